//! Faults: plausible bugs of a real implementation, switched on with `--fault NAME`, to measure
//! the harness against. Faults act on RotateTunnelAccessToken (the operation under test), on
//! what DescribeTunnel reports (`timestamps-as-strings`, `tunnel-status-lowercase`,
//! `connection-status-lowercase`), on the tunnel lifecycle (`expiry-not-enforced`) and on the
//! data plane. Which check is expected to catch each one is test data, not the server's
//! business: `fixtures/fault-checks.txt`, read by `tests/mutation_score.rs` and `rotcheck serve
//! --list-faults`.
//!
//! Each fault is one file here: a unit struct implementing `Hook` at the points it needs
//! (`server/hooks.rs` lists them). A fault never sets the behaviour (`configure`): that holds
//! the spec's open choices, and a fault breaks the spec.
//! To add one:
//! 1. write `my_fault.rs` with `pub(super) struct MyFault;` and `impl Hook for MyFault { ... }`;
//! 2. add one line to the catalog below: `MyFault => my_fault, "my-fault", "what it breaks"`
//!    (the macro declares the module);
//! 3. add `my-fault CHECK-ID` to `fixtures/fault-checks.txt` (`tests/check_lists.rs` prints the
//!    missing line; the mutation score then checks that the check catches it),
//!    followed by `--strict` when the fault breaks only a point PROTOCOL.md infers (it must then
//!    pass `rotcheck run` and fail `rotcheck run --strict`);
//! 4. add `my-fault STATEMENT-ID...` to `fixtures/fault-statements.txt`: the spec statements it
//!    breaks, each enforced by that check (tests/spec_coverage.rs fails without it).
//!
//! If no hook point fits, add one to `Hook` (a method with a do-nothing body, named after the
//! point where it is called) and call it from the faithful code at that point, never a test for
//! a particular fault, and never a field or knob named after it (`tests/server_names.rs`).

use serde_json::Value;

use super::catalog::catalog;
use crate::spec::Op;

catalog! {
    /// A deliberate deviation from the spec.
    pub enum Fault {
        ExtendLifetimeVisible => extend_lifetime_visible, "extend-lifetime-visible",
            "rotation restarts the tunnel's lifetime and reports the rotation time as createdAt",
        ExtendLifetimeHidden => extend_lifetime_hidden, "extend-lifetime-hidden",
            "rotation pushes the real expiry to now + lifetime while createdAt is reported unchanged",
        TimeoutReset => timeout_reset, "timeout-reset",
            "rotation resets timeoutConfig.maxLifetimeTimeoutMinutes to the default 720",
        RotationClosesTunnel => rotation_closes_tunnel, "rotation-closes-tunnel",
            "a successful rotation leaves the tunnel CLOSED",
        ExpiryNotEnforced => expiry_not_enforced, "expiry-not-enforced",
            "tunnels never close when their max lifetime passes",
        SourceDestConfigAccepted => source_dest_config_accepted, "source-dest-config-accepted",
            "SOURCE mode with a destinationConfig is served with HTTP 200",
        SourceDestConfigApplied => source_dest_config_applied, "source-dest-config-applied",
            "SOURCE mode with a destinationConfig is refused, but the destinationConfig is stored anyway",
        NotFound404 => not_found_404, "not-found-404",
            "an unknown tunnel gets HTTP 404 instead of 400",
        NotFoundWrongType => not_found_wrong_type, "not-found-wrong-type",
            "an unknown tunnel gets 400 ValidationException instead of ResourceNotFoundException",
        NotFound500 => not_found_500, "not-found-500",
            "an unknown tunnel gets HTTP 500",
        AllTokensAlways => all_tokens_always, "all-tokens-always",
            "SOURCE and DESTINATION rotations return (and rotate) both tokens",
        WrongTokenForMode => wrong_token_for_mode, "wrong-token-for-mode",
            "SOURCE returns destinationAccessToken and DESTINATION returns sourceAccessToken",
        MissingArn => missing_arn, "missing-arn",
            "rotation responses omit tunnelArn",
        WrongArn => wrong_arn, "wrong-arn",
            "rotation responses carry an ARN with another region and account",
        TunnelArnTooLong => tunnel_arn_too_long, "tunnel-arn-too-long",
            "rotation responses carry a tunnelArn of 1601 characters (the model allows 1600)",
        TunnelArnEmpty => tunnel_arn_empty, "tunnel-arn-empty",
            "rotation responses carry an empty tunnelArn",
        TokensNotRotated => tokens_not_rotated, "tokens-not-rotated",
            "rotation returns the tunnel's current tokens instead of new ones",
        EmptyTokens => empty_tokens, "empty-tokens",
            "rotation returns empty strings as tokens",
        IdenticalTokens => identical_tokens, "identical-tokens",
            "ALL rotation returns the same value for both tokens",
        TokensRecycled => tokens_recycled, "tokens-recycled",
            "rotation alternates between two token values (the previous token comes back)",
        LowercaseEnumAccepted => lowercase_enum_accepted, "lowercase-enum-accepted",
            "clientMode is matched case-insensitively (`source` is accepted)",
        MissingModeDefaultsAll => missing_mode_defaults_all, "missing-mode-defaults-all",
            "a missing clientMode is treated as ALL instead of being refused",
        ServicesUnchecked => services_unchecked, "services-unchecked",
            "destinationConfig.services is not validated (empty list, bad items accepted)",
        ServicesOptional => services_optional, "services-optional",
            "a destinationConfig without its required services is accepted",
        ThingNameUnchecked => thing_name_unchecked, "thing-name-unchecked",
            "destinationConfig.thingName is not validated (empty, too long or off its pattern accepted)",
        MaxLengthOffByOne => max_length_off_by_one, "max-length-off-by-one",
            "a 128-character tunnelId or service is refused as too long",
        SpecialCharsRejected => special_chars_rejected, "special-chars-rejected",
            "a tunnelId containing `+`, `=` or `:` is refused as invalid",
        ClosedTunnelReopens => closed_tunnel_reopens, "closed-tunnel-reopens",
            "rotating a CLOSED tunnel succeeds and sets it OPEN again",
        ClosedTunnelAccepted => closed_tunnel_accepted, "closed-tunnel-accepted",
            "rotating a CLOSED tunnel succeeds with new tokens (the tunnel stays CLOSED); caught only with --strict",
        LookupBeforeValidation => lookup_before_validation, "lookup-before-validation",
            "the tunnel is looked up before the input is validated: an invalid tunnelId (too long, bad characters) gets ResourceNotFoundException; caught only with --strict",
        ErrorBodyPlainText => error_body_plain_text, "error-body-plain-text",
            "errors are text/plain with no error type anywhere",
        ErrorTypeMissing => error_type_missing, "error-type-missing",
            "error bodies are JSON without __type or code, and no X-Amzn-Errortype header",
        ServerErrorOnMalformedJson => server_error_on_malformed_json, "5xx-on-malformed-json",
            "a body that is not JSON gets HTTP 500",
        ServerErrorOnUnknownMember => server_error_on_unknown_member, "5xx-on-unknown-member",
            "a request member the model does not know gets HTTP 500",
        SuccessContentTypeHtml => success_content_type_html, "success-content-type-html",
            "successful rotations are labelled Content-Type text/html",
        SuccessStatus201 => success_status_201, "success-status-201",
            "successful rotations are answered with HTTP 201 instead of 200",
        TimestampsAsStrings => timestamps_as_strings, "timestamps-as-strings",
            "DescribeTunnel reports createdAt and lastUpdatedAt as ISO-8601 strings",
        TunnelStatusLowercase => tunnel_status_lowercase, "tunnel-status-lowercase",
            "DescribeTunnel reports the tunnel's status as `open` / `closed`",
        ConnectionStatusLowercase => connection_status_lowercase, "connection-status-lowercase",
            "DescribeTunnel reports connection states as `connected` / `disconnected`",
        RevokedTokenAccepted => revoked_token_accepted, "revoked-token-accepted",
            "data plane: a rotated side's previous token still opens a connection",
        RotationRevokesOtherSide => rotation_revokes_other_side, "rotation-revokes-other-side",
            "data plane: a SOURCE or DESTINATION rotation also revokes the other side's token",
        RevokedTokenRefused500 => revoked_token_refused_500, "revoked-token-refused-500",
            "data plane: a rotated side's previous token is refused with HTTP 500 instead of a 4xx",
        NewTokenRefused => new_token_refused, "new-token-refused",
            "data plane: a rotated side's new token is refused (it counts as already used)",
        RefusedRotationRevokesSource => refused_rotation_revokes_source, "refused-rotation-revokes-source",
            "data plane: SOURCE + destinationConfig is refused, yet the source token is silently replaced",
        TokenReusable => token_reusable, "token-reusable",
            "data plane: a token connects again and again without a client token",
        ClientTokenIgnored => client_token_ignored, "client-token-ignored",
            "data plane: a spent token reconnects with any client token, not only the one it bound",
        ClientTokenReconnectRefused => client_token_reconnect_refused, "client-token-reconnect-refused",
            "data plane: a spent token is refused even with the client token it was bound to",
        ClosedTunnelTokenAccepted => closed_tunnel_token_accepted, "closed-tunnel-token-accepted",
            "data plane: the tokens of a CLOSED tunnel still open connections",
        CloseKeepsConnections => close_keeps_connections, "close-keeps-connections",
            "data plane: CloseTunnel and expiry leave open connections open",
        ConnectionStateNeverUpdated => connection_state_never_updated, "connection-state-never-updated",
            "data plane: DescribeTunnel always reports both sides DISCONNECTED",
        SubprotocolNotEchoed => subprotocol_not_echoed, "subprotocol-not-echoed",
            "data plane: the 101 carries no Sec-WebSocket-Protocol",
        ServiceIdsWithheld => service_ids_withheld, "service-ids-withheld",
            "data plane: a connection is never sent its SERVICE_IDS message",
        ModeMismatchAccepted => mode_mismatch_accepted, "mode-mismatch-accepted",
            "data plane: a token connects in the other side's local-proxy-mode",
        RelayDropsWhenBusy => relay_drops_when_busy, "relay-drops-when-busy",
            "data plane: the relay drops messages when the receiving side's queue is full",
        RelayReorders => relay_reorders, "relay-reorders",
            "data plane: the relay swaps each pair of frames it delivers",
    }
}

/// For `Hook::validator_view`: a rotation's body with `patch` applied (None: another operation,
/// or `patch` found nothing to change).
fn rotation_view(op: Op, body: &Value, patch: impl FnOnce(&mut Value) -> Option<()>) -> Option<Value> {
    if op != Op::RotateTunnelAccessToken {
        return None;
    }
    let mut copy = body.clone();
    patch(&mut copy)?;
    Some(copy)
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
