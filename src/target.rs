//! The built-in target: the reference implementation started in-process on 127.0.0.1, with a
//! client for it. `rotcheck run` and `rotcheck fuzz` test it when no endpoint is given.

use std::net::{Ipv4Addr, SocketAddr};

use aws_credential_types::Credentials;

use crate::client::{Client, ClientError, ConnectOptions};
use crate::server::{self, Control, RunningServer, ServerConfig, ServerError};

/// Shows its cause in its message and so does not return it from `source()` (a reporter walking
/// the chain would print it twice).
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("cannot start the built-in reference implementation: {0}")]
    Server(ServerError),
    #[error("cannot create a client for the built-in reference implementation: {0}")]
    Client(ClientError),
}

impl From<ServerError> for EmbeddedError {
    fn from(e: ServerError) -> Self {
        EmbeddedError::Server(e)
    }
}

impl From<ClientError> for EmbeddedError {
    fn from(e: ClientError) -> Self {
        EmbeddedError::Client(e)
    }
}

/// Start the reference implementation on a free loopback port and a client for it. Only the
/// timeouts and body cap of `opts` apply.
pub async fn start_embedded(
    region: &str,
    time_scale: f64,
    opts: &ConnectOptions,
) -> Result<(Client, RunningServer), EmbeddedError> {
    let (client, server, _) = start_embedded_with_control(region, time_scale, opts).await?;
    Ok((client, server))
}

/// [`start_embedded`], with a [`Control`] on the server (to move its clock without waiting).
pub async fn start_embedded_with_control(
    region: &str,
    time_scale: f64,
    opts: &ConnectOptions,
) -> Result<(Client, RunningServer, Control), EmbeddedError> {
    let config = ServerConfig {
        time_scale,
        region: region.to_owned(),
        ..ServerConfig::default()
    };
    let (server, control) = server::spawn_with_control(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    // The built-in server does not verify signatures: fixed placeholder credentials, so the
    // user's real ones are never looked up (nor sent anywhere) for it.
    let credentials = Credentials::new(
        "AKIDROTCHECKEMBEDDED",
        "rotcheck-embedded-placeholder",
        None,
        None,
        "rotcheck-embedded",
    );
    let client = Client::for_endpoint(&server.url(), region, credentials, opts)?;
    Ok((client, server, control))
}
