//! Variants: conformant behaviours the spec leaves open, switched on with `--variant NAME`. The
//! harness must pass the server under every variant: each one is a false alarm waiting to happen
//! in a harness built around one implementation's quirks.
//!
//! Each variant is one file here, added like a fault (see `faults/mod.rs`): a unit struct
//! implementing `Hook`, most often only `configure` (another allowed value for one of the open choices of `Behaviour`), and one line in the
//! catalog below. A variant must stay conformant: `tests/mutation_score.rs` runs the harness
//! against each one and fails unless it passes. `fixtures/variant-statements.txt` names the spec
//! statements whose latitude each one takes (tests/spec_coverage.rs fails without a line).

use super::catalog::catalog;

catalog! {
    /// A conformant alternative behaviour.
    pub enum Variant {
        NamespacedErrorType => namespaced_error_type, "namespaced-error-type",
            "error types are namespaced: `com.amazonaws.iotsecuretunneling#Name` in __type and the header",
        ErrorTypeSuffix => error_type_suffix, "error-type-suffix",
            "error types carry a `:http://internal.amazon.com/coral/...` suffix in __type and the header",
        CapitalMessage => capital_message, "capital-message",
            "error bodies use `Message` instead of `message`",
        HeaderOnlyErrorType => header_only_error_type, "header-only-error-type",
            "the error type is sent only in X-Amzn-Errortype, not in the body (botocore reads only __type)",
        ExtraResponseMembers => extra_response_members, "extra-response-members",
            "success and error bodies carry members the model does not know",
        LastUpdatedUnchanged => last_updated_unchanged, "last-updated-unchanged",
            "rotation does not move lastUpdatedAt",
        DestinationConfigKept => destination_config_kept, "destination-config-kept",
            "a DESTINATION or ALL rotation with a destinationConfig leaves the tunnel's as it was",
        InvalidRequestException => invalid_request_exception, "invalid-request-exception",
            "validation errors are named InvalidRequestException instead of ValidationException",
        ApplicationJson => application_json, "application-json",
            "responses are labelled Content-Type application/json",
        UuidIdsAndJwtTokens => uuid_ids_and_jwt_tokens, "uuid-ids-and-jwt-tokens",
            "tunnel ids are UUIDs and access tokens look like JWTs",
        FullAlphabetIds => full_alphabet_ids, "full-alphabet-ids",
            "tunnel ids are 128 characters drawn from the whole model alphabet, `+ = : _ -` included",
        StrictUnknownMembers => strict_unknown_members, "strict-unknown-members",
            "request members the model does not know are refused with 400 SerializationException",
        StrictContentType => strict_content_type, "strict-content-type",
            "a request Content-Type other than application/x-amz-json-1.x is refused with 415",
        FractionalTimestamps => fractional_timestamps, "fractional-timestamps",
            "timestamps carry microseconds (the default is milliseconds)",
        Max3Services => max_3_services, "max-3-services",
            "a destinationConfig with more than 3 services is refused with 400",
        ClosedTunnel409Conflict => closed_tunnel_409_conflict, "closed-tunnel-409-conflict",
            "rotating a CLOSED tunnel is refused with 409 ConflictException",
        NotFoundBeforeConflict => not_found_before_conflict, "not-found-before-conflict",
            "SOURCE + destinationConfig on an unknown tunnel reports ResourceNotFoundException first",
        ListPageSize1 => list_page_size_1, "list-page-size-1",
            "ListTunnels returns one tunnel per page when maxResults is absent",
        RotatedConnectionsDropped => rotated_connections_dropped, "rotated-connections-dropped",
            "data plane: a connection open on a token is closed at once when that token is rotated",
        RevokedToken403 => revoked_token_403, "revoked-token-403",
            "data plane: unknown, rotated and closed-tunnel tokens are refused with 403 and another text",
        ConnectionStateDelayed => connection_state_delayed, "connection-state-delayed",
            "data plane: DescribeTunnel shows a connection change 300 ms after it happens",
        RelayReframes => relay_reframes, "relay-reframes",
            "data plane: the relay splits data messages in two and packs queued messages into frames of its own size",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_unique_and_round_trips() {
        assert!(Variant::all().len() >= 6);
        for v in Variant::all() {
            assert_eq!(v.name().parse::<Variant>(), Ok(*v));
        }
        let mut names: Vec<&str> = Variant::all().iter().map(|v| v.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Variant::all().len());
    }
}
