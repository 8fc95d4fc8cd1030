//! Protocol facts and the spec sentences that checks cite, quoted from `fixtures/spec`.

/// Prefix of the `X-Amz-Target` header: `IoTSecuredTunneling.<Operation>`.
pub const TARGET_PREFIX: &str = "IoTSecuredTunneling";
/// SigV4 signing name (credential scope `<date>/<region>/IoTSecuredTunneling/aws4_request`).
pub const SIGNING_NAME: &str = "IoTSecuredTunneling";
/// Content type of AWS JSON 1.1 requests and responses.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The operation under test.
pub const ROTATE: &str = "RotateTunnelAccessToken";

/// Where a quoted sentence comes from.
pub const PROTOCOL_MD: &str = "PROTOCOL.md";
pub const MODEL_JSON: &str = "iotsecuretunneling-2018-10-05.service-2.json";
pub const API_PAGE: &str = "RotateTunnelAccessToken.txt";

/// The `X-Amz-Target` value for an operation.
pub fn target(operation: &str) -> String {
    format!("{TARGET_PREFIX}.{operation}")
}

/// Client modes of RotateTunnelAccessToken, from the `ClientMode` enum of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClientMode {
    Source,
    Destination,
    All,
}

impl ClientMode {
    pub const ALL_MODES: [ClientMode; 3] = [ClientMode::Source, ClientMode::Destination, ClientMode::All];

    pub fn as_str(self) -> &'static str {
        match self {
            ClientMode::Source => "SOURCE",
            ClientMode::Destination => "DESTINATION",
            ClientMode::All => "ALL",
        }
    }

    pub fn parse(s: &str) -> Option<ClientMode> {
        Self::ALL_MODES.into_iter().find(|m| m.as_str() == s)
    }

    /// The token members a successful rotation in this mode returns, besides `tunnelArn`.
    /// PROTOCOL.md: "Response per mode (developer guide examples): `SOURCE` -> `sourceAccessToken` +
    /// `tunnelArn` only; `DESTINATION` -> `destinationAccessToken` + `tunnelArn` only; `ALL` -> both
    /// tokens + `tunnelArn`."
    pub fn token_members(self) -> &'static [&'static str] {
        match self {
            ClientMode::Source => &[SOURCE_TOKEN],
            ClientMode::Destination => &[DESTINATION_TOKEN],
            ClientMode::All => &[SOURCE_TOKEN, DESTINATION_TOKEN],
        }
    }
}

impl std::fmt::Display for ClientMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

pub const SOURCE_TOKEN: &str = "sourceAccessToken";
pub const DESTINATION_TOKEN: &str = "destinationAccessToken";
/// Members whose values are secrets (`"sensitive": true` shapes in the model).
pub const TOKEN_MEMBERS: [&str; 2] = [SOURCE_TOKEN, DESTINATION_TOKEN];

/// A sentence of the spec, with the file it is quoted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Citation {
    pub source: &'static str,
    pub text: &'static str,
}

macro_rules! citations {
    ($($name:ident: $src:expr, $text:expr;)+) => {
        $(pub const $name: Citation = Citation {
            source: $src,
            text: $text,
        };)+
        /// Every citation above with its name: a test finds each quote in the file it names.
        pub const ALL_CITATIONS: &[(&str, Citation)] = &[$((stringify!($name), $name)),+];
    };
}

citations! {
    CITE_SUCCESS: PROTOCOL_MD,
        "Success: HTTP 200, same content type, JSON body. Timestamps (`createdAt`, `lastUpdatedAt`) are epoch seconds as JSON numbers (may be fractional).";
    CITE_TOKENS_PER_MODE: PROTOCOL_MD,
        "Response per mode (developer guide examples): `SOURCE` -> `sourceAccessToken` + `tunnelArn` only; `DESTINATION` -> `destinationAccessToken` + `tunnelArn` only; `ALL` -> both tokens + `tunnelArn`.";
    CITE_REVOKES: API_PAGE,
        "Revokes the current client access token (CAT) and returns new CAT for clients to use when reconnecting to secure tunneling to access the same tunnel.";
    CITE_ERRORS: PROTOCOL_MD,
        "Errors: a 4xx/5xx status, JSON body `{\"__type\": \"<ShapeName>\", \"message\": \"...\"}`; the type may also come in the `X-Amzn-Errortype` header.";
    CITE_NOT_FOUND: API_PAGE,
        "ResourceNotFoundException Thrown when an operation is attempted on a resource that does not exist. HTTP Status Code: 400";
    CITE_SOURCE_DEST_CONFIG: PROTOCOL_MD,
        "\"You can not use DestinationConfig with source clientMode\": a 4xx error, and nothing rotated.";
    CITE_INVALID_INPUT: PROTOCOL_MD,
        "Invalid input (pattern, length, enum, missing required member): HTTP 400.";
    CITE_NOT_EXTENDED: PROTOCOL_MD,
        "\"Rotating the CAT doesn't extend the tunnel duration\": the tunnel still closes at createdAt + maxLifetimeTimeoutMinutes; `createdAt` and `timeoutConfig` do not change.";
    CITE_LIFECYCLE: PROTOCOL_MD,
        "Status `OPEN` until CloseTunnel or until its max lifetime passes, then `CLOSED`; a closed tunnel never reopens.";
    CITE_LISTING: PROTOCOL_MD,
        "DescribeTunnel / ListTunnels still show it for at least 3 hours; CloseTunnel with `delete: true` removes it at once (then ResourceNotFoundException). ListTunnels is newest first.";
    CITE_TAGS: MODEL_JSON,
        "Lists the tags for the specified resource.";
    CITE_CLOSED_ROTATION: PROTOCOL_MD,
        "Inferred (no public source): rotating a CLOSED tunnel fails with a 4xx";
    CITE_NO_5XX: PROTOCOL_MD,
        "Left open by the spec (a harness must accept every listed outcome; only a 5xx or a crash fails)";
    CITE_ACCEPTED: API_PAGE,
        "The request accepts the following data in JSON format. [...] If the action is successful, the service sends back an HTTP 200 response.";
    CITE_DP_HANDSHAKE: PROTOCOL_MD,
        "Handshake: an HTTP/1.1 WebSocket upgrade (`GET /tunnel?local-proxy-mode=source|destination`); the mode must match the token's side or the handshake fails. The token comes in the `access-token` header (or the `awsiot-tunnel-token` cookie) [...] Success: `101 Switching Protocols` with a `channel-id` header and one of the offered subprotocols echoed in `Sec-WebSocket-Protocol` (clients give up without it). Right after, the service sends a `SERVICE_IDS` control message; clients expect it before any stream starts.";
    CITE_DP_SINGLE_USE: PROTOCOL_MD,
        "One use: without a client token, a CAT is spent by its first successful handshake; a second handshake with it is refused. With the optional `client-token` header (`^[a-zA-Z0-9-]{32,128}$`, unique per account among open tunnels) the same CAT may reconnect as long as the same client token comes with it; a different client token is refused (\"Invalid client token: ... does not match ...\").";
    CITE_DP_CONNECTION_STATE: PROTOCOL_MD,
        "Connection state: DescribeTunnel's `sourceConnectionState` / `destinationConnectionState` start `DISCONNECTED`, become `CONNECTED` while that side's local proxy is connected, and go back to `DISCONNECTED` when it disconnects while the tunnel is OPEN; `lastUpdatedAt` is when that status last changed.";
    CITE_DP_ROTATION: PROTOCOL_MD,
        "Rotation: the old CAT of each rotated side stops working for new handshakes; the new CAT works (that is what clients reconnect with). The side not rotated keeps its token.";
    CITE_DP_CLOSE: PROTOCOL_MD,
        "CloseTunnel (and expiry) closes the tunnel's WebSocket connections so no data flows; a closed tunnel's tokens cannot connect.";
    CITE_DP_RELAY: PROTOCOL_MD,
        "Relay (V3 guide, after the handshake): \"Tunnel communication messages are delivered reliably and in order.\" Every message a side sends on a stream reaches the other side once, in order, its payload bytes unchanged.";
    CITE_DP_INFERRED: PROTOCOL_MD,
        "Inferred (no public source): whether a connection that is already open with the old token is dropped on rotation (and with which close code) [...]. A harness must not fail an implementation on these.";
}
