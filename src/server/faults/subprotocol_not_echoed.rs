//! `subprotocol-not-echoed`: the 101 carries no Sec-WebSocket-Protocol (data plane).

use axum::http::header;
use axum::response::Response;

use crate::server::dataplane::handshake::RefusalReason;
use crate::server::hooks::Hook;

pub(super) struct SubprotocolNotEchoed;

impl Hook for SubprotocolNotEchoed {
    fn finish_upgrade(&self, refused: Option<RefusalReason>, response: &mut Response) {
        if refused.is_none() {
            response.headers_mut().remove(header::SEC_WEBSOCKET_PROTOCOL);
        }
    }
}
