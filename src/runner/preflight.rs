//! The preflight: one cheap call (ListTunnels, maxResults 1) before any case, proving that the
//! endpoint answers and accepts the credentials. An auth failure there stops the run as a setup
//! error (exit 2) before a single case is judged; an unreachable endpoint does too.
//! Any other answer, errors included, is left to the cases to judge: a mock may not implement
//! ListTunnels.

use serde_json::json;

use super::recorder::SETUP;
use super::state::Harness;
use super::transport::Transport;
use crate::wire::HttpRequest;

pub fn preflight_request() -> HttpRequest {
    HttpRequest::json("ListTunnels", &json!({ "maxResults": 1 }))
}

impl<T: Transport> Harness<T> {
    /// Send the preflight call; false when the run cannot go on (see `unreachable_reason` and
    /// `guard.setup_failure`).
    pub async fn preflight(&self) -> bool {
        let mut rec = self.recorder().labelled("preflight");
        if let Err(e) = rec.send(SETUP, preflight_request()).await {
            self.transport_failed("preflight ListTunnels", e);
        }
        self.unreachable_reason().is_none() && self.guard.setup_failure().is_none()
    }
}
