//! Faults: plausible bugs of a real implementation, switched on with `--fault NAME`. Each names
//! the check expected to catch it, so the harness's detection power can be measured. Faults act
//! on RotateTunnelAccessToken only (the operation under test), except `timestamps-as-strings`
//! (DescribeTunnel) and `expiry-not-enforced` (the tunnel lifecycle). The hooks live in the
//! handlers; this file is the catalog.

use crate::checks::CheckId;

use super::catalog::catalog;

catalog! {
    /// A deliberate deviation from the spec.
    pub enum Fault {
        ExtendLifetimeVisible => "extend-lifetime-visible",
            "rotation restarts the tunnel's lifetime and reports the rotation time as createdAt",
        ExtendLifetimeHidden => "extend-lifetime-hidden",
            "rotation pushes the real expiry to now + lifetime while createdAt is reported unchanged",
        TimeoutReset => "timeout-reset",
            "rotation resets timeoutConfig.maxLifetimeTimeoutMinutes to the default 720",
        RotationClosesTunnel => "rotation-closes-tunnel",
            "a successful rotation leaves the tunnel CLOSED",
        ExpiryNotEnforced => "expiry-not-enforced",
            "tunnels never close when their max lifetime passes",
        SourceDestConfigAccepted => "source-dest-config-accepted",
            "SOURCE mode with a destinationConfig is served with HTTP 200",
        SourceDestConfigApplied => "source-dest-config-applied",
            "SOURCE mode with a destinationConfig is refused, but the destinationConfig is stored anyway",
        NotFound404 => "not-found-404",
            "an unknown tunnel gets HTTP 404 instead of 400",
        NotFoundWrongType => "not-found-wrong-type",
            "an unknown tunnel gets 400 ValidationException instead of ResourceNotFoundException",
        NotFound500 => "not-found-500",
            "an unknown tunnel gets HTTP 500",
        AllTokensAlways => "all-tokens-always",
            "SOURCE and DESTINATION rotations return (and rotate) both tokens",
        WrongTokenForMode => "wrong-token-for-mode",
            "SOURCE returns destinationAccessToken and DESTINATION returns sourceAccessToken",
        MissingArn => "missing-arn",
            "rotation responses omit tunnelArn",
        WrongArn => "wrong-arn",
            "rotation responses carry an ARN with another region and account",
        TokensNotRotated => "tokens-not-rotated",
            "rotation returns the tunnel's current tokens instead of new ones",
        EmptyTokens => "empty-tokens",
            "rotation returns empty strings as tokens",
        IdenticalTokens => "identical-tokens",
            "ALL rotation returns the same value for both tokens",
        TokensRecycled => "tokens-recycled",
            "rotation alternates between two token values (the previous token comes back)",
        LowercaseEnumAccepted => "lowercase-enum-accepted",
            "clientMode is matched case-insensitively (`source` is accepted)",
        MissingModeDefaultsAll => "missing-mode-defaults-all",
            "a missing clientMode is treated as ALL instead of being refused",
        ServicesUnchecked => "services-unchecked",
            "destinationConfig.services is not validated (empty list, bad items accepted)",
        MaxLengthOffByOne => "max-length-off-by-one",
            "a 128-character tunnelId or service is refused as too long",
        SpecialCharsRejected => "special-chars-rejected",
            "a tunnelId containing `+`, `=` or `:` is refused as invalid",
        ClosedTunnelReopens => "closed-tunnel-reopens",
            "rotating a CLOSED tunnel succeeds and sets it OPEN again",
        ErrorBodyPlainText => "error-body-plain-text",
            "errors are text/plain with no error type anywhere",
        ErrorTypeMissing => "error-type-missing",
            "error bodies are JSON without __type or code, and no X-Amzn-Errortype header",
        ServerErrorOnMalformedJson => "5xx-on-malformed-json",
            "a body that is not JSON gets HTTP 500",
        ServerErrorOnUnknownMember => "5xx-on-unknown-member",
            "a request member the model does not know gets HTTP 500",
        SuccessContentTypeHtml => "success-content-type-html",
            "successful rotations are labelled Content-Type text/html",
        TimestampsAsStrings => "timestamps-as-strings",
            "DescribeTunnel reports createdAt and lastUpdatedAt as ISO-8601 strings",
        RevokedTokenAccepted => "revoked-token-accepted",
            "data plane: a rotated side's previous token still opens a connection",
        RotationRevokesOtherSide => "rotation-revokes-other-side",
            "data plane: a SOURCE or DESTINATION rotation also revokes the other side's token",
        NewTokenRefused => "new-token-refused",
            "data plane: a rotated side's new token is refused (it counts as already used)",
        RefusedRotationRevokesSource => "refused-rotation-revokes-source",
            "data plane: SOURCE + destinationConfig is refused, yet the source token is silently replaced",
        TokenReusable => "token-reusable",
            "data plane: a token connects again and again without a client token",
        ClientTokenIgnored => "client-token-ignored",
            "data plane: a spent token reconnects with any client token, not only the one it bound",
        ClosedTunnelTokenAccepted => "closed-tunnel-token-accepted",
            "data plane: the tokens of a CLOSED tunnel still open connections",
        CloseKeepsConnections => "close-keeps-connections",
            "data plane: CloseTunnel and expiry leave open connections open",
        ConnectionStateNeverUpdated => "connection-state-never-updated",
            "data plane: DescribeTunnel always reports both sides DISCONNECTED",
        SubprotocolNotEchoed => "subprotocol-not-echoed",
            "data plane: the 101 carries no Sec-WebSocket-Protocol",
        ModeMismatchAccepted => "mode-mismatch-accepted",
            "data plane: a token connects in the other side's local-proxy-mode",
    }
}

impl Fault {
    /// The check expected to catch this fault.
    pub fn caught_by(self) -> CheckId {
        use Fault::*;
        match self {
            ExtendLifetimeVisible | TimeoutReset | RotationClosesTunnel => CheckId::DURATION_STATIC,
            ExtendLifetimeHidden | ExpiryNotEnforced => CheckId::DURATION_LIVE,
            SourceDestConfigAccepted | SourceDestConfigApplied => CheckId::SOURCE_DESTINATION_CONFIG,
            NotFound404 | NotFoundWrongType | NotFound500 | SpecialCharsRejected => CheckId::NOT_FOUND,
            AllTokensAlways | WrongTokenForMode | MissingArn => CheckId::TOKEN_SET,
            WrongArn => CheckId::TUNNEL_ARN,
            TokensNotRotated | EmptyTokens | IdenticalTokens | TokensRecycled => CheckId::TOKEN_FRESH,
            LowercaseEnumAccepted | MissingModeDefaultsAll | ServicesUnchecked => CheckId::INVALID_REJECTED,
            MaxLengthOffByOne => CheckId::VALID_ACCEPTED,
            ClosedTunnelReopens => CheckId::CLOSED_TUNNEL,
            ErrorBodyPlainText | ErrorTypeMissing => CheckId::ERROR_SHAPE,
            ServerErrorOnMalformedJson | ServerErrorOnUnknownMember => CheckId::NO_5XX,
            SuccessContentTypeHtml => CheckId::RESPONSE_SCHEMA,
            TimestampsAsStrings => CheckId::DESCRIBE_SHAPE,
            RevokedTokenAccepted | RotationRevokesOtherSide | NewTokenRefused => CheckId::TOKEN_REVOKED,
            RefusedRotationRevokesSource => CheckId::SOURCE_DESTINATION_CONFIG,
            TokenReusable | ClientTokenIgnored => CheckId::TOKEN_SINGLE_USE,
            ClosedTunnelTokenAccepted | CloseKeepsConnections => CheckId::CLOSED_TUNNEL,
            ConnectionStateNeverUpdated => CheckId::CONNECTION_STATE,
            SubprotocolNotEchoed | ModeMismatchAccepted => CheckId::HANDSHAKE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_large_unique_and_round_trips() {
        assert!(Fault::all().len() >= 20);
        let mut names: Vec<&str> = Fault::all().iter().map(|f| f.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::all().len(), "fault names are unique");
        for f in Fault::all() {
            assert_eq!(f.name().parse::<Fault>(), Ok(*f));
            assert!(!f.description().is_empty());
        }
        assert!("no-such-fault"
            .parse::<Fault>()
            .unwrap_err()
            .contains("tokens-recycled"));
    }
}
