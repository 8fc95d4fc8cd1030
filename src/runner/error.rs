//! Why the runner could not set up what a case or scenario needs. Typed here, where the failure is
//! known; reports render the message (free of secrets: it names operations, statuses and error
//! types, never bodies).

use std::sync::Arc;

use crate::client::TransportError;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SetupError {
    /// The endpoint gave no HTTP answer.
    #[error("{operation}: {source}")]
    NoAnswer {
        operation: String,
        #[source]
        source: Arc<TransportError>,
    },
    /// The endpoint refused a setup call (`answer`: status and error type).
    #[error("{operation} failed: {answer}")]
    Refused { operation: &'static str, answer: String },
    #[error("OpenTunnel answered without a tunnelId")]
    NoTunnelId,
    #[error("a freshly prepared tunnel is {found}, not {wanted}")]
    WrongState { found: String, wanted: &'static str },
    /// A task of the runner's own failed (a panic or an abort).
    #[error("{operation}: internal error: {detail}")]
    Internal { operation: &'static str, detail: String },
    /// The case was not sent: the endpoint had already proved unreachable, or a setup failure
    /// (auth, tunnel quota) stopped the run.
    #[error("not run: {0}")]
    NotRun(String),
    /// No tunnel could be had within the account's quota.
    #[error("{0}")]
    Budget(String),
    /// No tunnel may be opened any more: `--max-tunnels-opened` is reached.
    #[error("{0}")]
    Spent(super::budget::BudgetError),
}

impl SetupError {
    /// True when the endpoint could not be reached at all (connection refused, TLS, ...).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, SetupError::NoAnswer { source, .. } if source.is_unreachable())
    }
}
