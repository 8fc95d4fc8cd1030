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
        ClosedTunnelAccepted => "closed-tunnel-accepted",
            "rotating a CLOSED tunnel succeeds with new tokens (the tunnel stays CLOSED); caught only with --strict",
        LookupBeforeValidation => "lookup-before-validation",
            "the tunnel is looked up before the input is validated: an unknown, invalid tunnelId (too long, bad characters) gets ResourceNotFoundException; caught only with --strict",
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
    }
}

impl Fault {
    /// Breaks only a point PROTOCOL.md infers: `rotcheck run` passes it (an advisory) and
    /// `rotcheck run --strict` fails it.
    pub fn strict_only(self) -> bool {
        matches!(self, Fault::ClosedTunnelAccepted | Fault::LookupBeforeValidation)
    }

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
            LowercaseEnumAccepted | MissingModeDefaultsAll | ServicesUnchecked | LookupBeforeValidation => {
                CheckId::INVALID_REJECTED
            }
            MaxLengthOffByOne => CheckId::VALID_ACCEPTED,
            ClosedTunnelReopens | ClosedTunnelAccepted => CheckId::CLOSED_TUNNEL,
            ErrorBodyPlainText | ErrorTypeMissing => CheckId::ERROR_SHAPE,
            ServerErrorOnMalformedJson | ServerErrorOnUnknownMember => CheckId::NO_5XX,
            SuccessContentTypeHtml => CheckId::RESPONSE_SCHEMA,
            TimestampsAsStrings => CheckId::DESCRIBE_SHAPE,
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
