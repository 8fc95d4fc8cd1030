//! Why the runner could not set up what a case or scenario needs. Typed here, where the failure is
//! known; reports render the message (free of secrets: it names operations, statuses and error
//! types, never bodies).

use std::sync::Arc;

use crate::client::TransportError;

#[derive(Debug, Clone)]
pub enum SetupError {
    /// The endpoint gave no HTTP answer.
    NoAnswer {
        operation: String,
        source: Arc<TransportError>,
    },
    /// The endpoint refused a setup call (`answer`: status and error type).
    Refused {
        operation: &'static str,
        answer: String,
    },
    NoTunnelId,
    WrongState {
        found: String,
        wanted: &'static str,
    },
    /// A task of the runner's own failed (a panic or an abort).
    Internal {
        operation: &'static str,
        detail: String,
    },
    /// The case was not sent: the endpoint had already proved unreachable, or a setup failure
    /// (auth, tunnel quota) stopped the run.
    NotRun(String),
    /// No tunnel could be had within the account's quota.
    Budget(String),
    /// No tunnel may be opened any more: `--max-tunnels-opened` is reached.
    Spent(super::budget::BudgetError),
}

// By hand, not thiserror: a field named `source` would become `Error::source()`, and the message
// already shows it (a reporter walking the chain would print the transport error twice).
impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::NoAnswer { operation, source } => write!(f, "{operation}: {source}"),
            SetupError::Refused { operation, answer } => write!(f, "{operation} failed: {answer}"),
            SetupError::NoTunnelId => f.write_str("OpenTunnel answered without a tunnelId"),
            SetupError::WrongState { found, wanted } => {
                write!(f, "a freshly prepared tunnel is {found}, not {wanted}")
            }
            SetupError::Internal { operation, detail } => write!(f, "{operation}: internal error: {detail}"),
            SetupError::NotRun(why) => write!(f, "not run: {why}"),
            SetupError::Budget(why) => f.write_str(why),
            SetupError::Spent(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl SetupError {
    /// True when the endpoint could not be reached at all (connection refused, TLS, ...).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, SetupError::NoAnswer { source, .. } if source.is_unreachable())
    }
}
