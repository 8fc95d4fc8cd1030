//! Conformance checks. One file each; every check has an id, a one-line description and the spec
//! sentence it enforces. Checks judge recorded data only (no I/O): the runner gathers the data.

use serde::Serialize;

use crate::spec::facts::{self, Citation};

/// Every check the harness runs. The ids are the public names (`--checks`, reports, fault table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckId {
    ResponseSchema,
    TokenSet,
    TokenFresh,
    TunnelArn,
    ErrorShape,
    NotFound,
    SourceDestinationConfig,
    InvalidRejected,
    ValidAccepted,
    DurationStatic,
    DurationLive,
    ClosedTunnel,
    No5xx,
    DescribeShape,
}

impl CheckId {
    pub const ALL: [CheckId; 14] = [
        CheckId::ResponseSchema,
        CheckId::TokenSet,
        CheckId::TokenFresh,
        CheckId::TunnelArn,
        CheckId::ErrorShape,
        CheckId::NotFound,
        CheckId::SourceDestinationConfig,
        CheckId::InvalidRejected,
        CheckId::ValidAccepted,
        CheckId::DurationStatic,
        CheckId::DurationLive,
        CheckId::ClosedTunnel,
        CheckId::No5xx,
        CheckId::DescribeShape,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::ResponseSchema => "response-schema",
            CheckId::TokenSet => "token-set",
            CheckId::TokenFresh => "token-fresh",
            CheckId::TunnelArn => "tunnel-arn",
            CheckId::ErrorShape => "error-shape",
            CheckId::NotFound => "not-found",
            CheckId::SourceDestinationConfig => "source-destination-config",
            CheckId::InvalidRejected => "invalid-rejected",
            CheckId::ValidAccepted => "valid-accepted",
            CheckId::DurationStatic => "duration-static",
            CheckId::DurationLive => "duration-live",
            CheckId::ClosedTunnel => "closed-tunnel",
            CheckId::No5xx => "no-5xx",
            CheckId::DescribeShape => "describe-shape",
        }
    }

    pub fn parse(s: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// One line: what the check asserts.
    pub fn description(self) -> &'static str {
        match self {
            CheckId::ResponseSchema => "a successful rotation is HTTP 200 with a JSON content type and a body valid against the RotateTunnelAccessTokenResponse schema",
            CheckId::TokenSet => "a successful rotation returns exactly the client mode's token set plus tunnelArn",
            CheckId::TokenFresh => "returned tokens are non-empty, distinct from each other and from every earlier token of the tunnel",
            CheckId::TunnelArn => "tunnelArn equals the ARN OpenTunnel/DescribeTunnel report for the tunnel",
            CheckId::ErrorShape => "an error response has a JSON body and an error type (X-Amzn-Errortype, __type or code)",
            CheckId::NotFound => "a well-formed unknown tunnelId gets exactly HTTP 400 ResourceNotFoundException",
            CheckId::SourceDestinationConfig => "SOURCE mode with a destinationConfig is refused with a 4xx and changes nothing",
            CheckId::InvalidRejected => "input the model forbids is refused with a 4xx and an error type",
            CheckId::ValidAccepted => "valid input (including every boundary value) on an OPEN tunnel is accepted with HTTP 200",
            CheckId::DurationStatic => "after a rotation createdAt and timeoutConfig are unchanged and the tunnel is still OPEN",
            CheckId::DurationLive => "a tunnel rotated mid-life is CLOSED once createdAt + maxLifetimeTimeoutMinutes has passed",
            CheckId::ClosedTunnel => "rotating a CLOSED tunnel never reopens it (the refusal itself is inferred and only reported)",
            CheckId::No5xx => "no request, however malformed, gets a 5xx",
            CheckId::DescribeShape => "every OpenTunnel/DescribeTunnel response the runner reads is valid against its schema",
        }
    }

    /// The spec sentence the check enforces.
    pub fn citation(self) -> Citation {
        match self {
            CheckId::ResponseSchema => facts::CITE_SUCCESS,
            CheckId::TokenSet => facts::CITE_TOKENS_PER_MODE,
            CheckId::TokenFresh => facts::CITE_REVOKES,
            CheckId::TunnelArn => facts::CITE_TOKENS_PER_MODE,
            CheckId::ErrorShape => facts::CITE_ERRORS,
            CheckId::NotFound => facts::CITE_NOT_FOUND,
            CheckId::SourceDestinationConfig => facts::CITE_SOURCE_DEST_CONFIG,
            CheckId::InvalidRejected => facts::CITE_INVALID_INPUT,
            CheckId::ValidAccepted => facts::CITE_MODEL_SHAPES,
            CheckId::DurationStatic => facts::CITE_NOT_EXTENDED,
            CheckId::DurationLive => facts::CITE_NOT_EXTENDED,
            CheckId::ClosedTunnel => facts::CITE_LIFECYCLE,
            CheckId::No5xx => facts::CITE_NO_5XX,
            CheckId::DescribeShape => facts::CITE_SUCCESS,
        }
    }
}

impl std::fmt::Display for CheckId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
