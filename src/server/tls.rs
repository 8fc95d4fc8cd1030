//! HTTPS and WSS for `rotcheck serve` (`--tls-cert/--tls-key`, or `--tls self-signed`): the
//! real service is only ever reached over TLS, so clients' certificate handling (`--ca-bundle`,
//! `AWS_CA_BUNDLE`, the AWS local proxy's) can be tried against the reference server. The control
//! plane and the data plane share the port, as over plain HTTP.
//!
//! Handshakes run in tasks of their own (at most [`HANDSHAKE_TIMEOUT`] each), so a client that
//! connects and never speaks holds up no one. Only HTTP/1.1 is offered (ALPN): the server speaks
//! nothing else, and the WebSocket upgrade needs it.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// How long a client may take over its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Larger certificate or key files are refused rather than read.
const MAX_PEM_BYTES: u64 = 1024 * 1024;
/// Finished handshakes waiting for the server to pick them up (the spawned handshakes wait
/// beyond it: memory stays bounded by the connections the OS lets in).
const READY_QUEUE: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    // The causes are in the messages and not sources: a chain printer would repeat them.
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} is larger than {MAX_PEM_BYTES} bytes: not a PEM certificate or key")]
    TooLarge { path: String },
    #[error("{path}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)")]
    NoCertificate { path: String },
    #[error("{path}: no usable PEM private key in it (expected PKCS#8, PKCS#1 or SEC1): {reason}")]
    NoKey { path: String, reason: String },
    #[error("the certificate and the key do not make a TLS identity: {0}")]
    Mismatch(rustls::Error),
    #[error("cannot make a self-signed certificate: {0}")]
    Generate(rcgen::Error),
}

/// A certificate chain and its private key, ready to serve. Never shows the key.
#[derive(Clone)]
pub struct TlsIdentity {
    config: Arc<rustls::ServerConfig>,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity").finish_non_exhaustive()
    }
}

/// A generated CA and the identity it signed; the CA's PEM is what clients trust.
pub struct SelfSigned {
    pub identity: TlsIdentity,
    pub ca_pem: String,
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    let name = path.display().to_string();
    let read = |error| TlsError::Read {
        path: name.clone(),
        error,
    };
    if std::fs::metadata(path).map_err(read)?.len() > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge { path: name });
    }
    std::fs::read(path).map_err(read)
}

impl TlsIdentity {
    /// The certificate chain (leaf first) and the private key, from PEM files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<TlsIdentity, TlsError> {
        let cert_pem = read_pem(cert)?;
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .filter_map(Result::ok)
            .collect();
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                path: cert.display().to_string(),
            });
        }
        let key_pem = read_pem(key)?;
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::NoKey {
            path: key.display().to_string(),
            reason: e.to_string(),
        })?;
        TlsIdentity::new(chain, key_der)
    }

    /// A fresh CA, and a certificate it signs for `bind` (when it is a specific address),
    /// `localhost`, 127.0.0.1 and ::1. The keys live in memory only.
    pub fn self_signed(bind: IpAddr) -> Result<SelfSigned, TlsError> {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(TlsError::Generate)?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "rotcheck serve test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().map_err(TlsError::Generate)?;
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(TlsError::Generate)?;

        let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        if !bind.is_unspecified() && !names.contains(&bind.to_string()) {
            names.push(bind.to_string());
        }
        let mut leaf_params = CertificateParams::new(names).map_err(TlsError::Generate)?;
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "rotcheck serve");
        let leaf_key = KeyPair::generate().map_err(TlsError::Generate)?;
        let leaf = leaf_params.signed_by(&leaf_key, &ca).map_err(TlsError::Generate)?;
        let key = PrivateKeyDer::try_from(leaf_key.serialize_der()).map_err(|e| TlsError::NoKey {
            path: "(generated)".into(),
            reason: e.to_owned(),
        })?;
        let identity = TlsIdentity::new(vec![leaf.der().clone(), ca.der().clone()], key)?;
        Ok(SelfSigned {
            identity,
            ca_pem: ca.pem(),
        })
    }

    fn new(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<TlsIdentity, TlsError> {
        // Explicitly ring: the dependency tree enables two providers, so there is no default.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Mismatch)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(TlsError::Mismatch)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsIdentity {
            config: Arc::new(config),
        })
    }
}

/// A TCP listener whose connections come out TLS-terminated (axum's `serve` takes it as is).
pub(crate) struct TlsListener {
    tcp: Arc<TcpListener>,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
}

impl TlsListener {
    pub fn new(tcp: TcpListener, identity: &TlsIdentity) -> TlsListener {
        let tcp = Arc::new(tcp);
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        let acceptor = TlsAcceptor::from(Arc::clone(&identity.config));
        let listener = Arc::clone(&tcp);
        // Ends when the TlsListener (the receiver) is dropped, which frees the port.
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = tx.closed() => return,
                    a = listener.accept() => a,
                };
                let (stream, peer) = match accepted {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::info!(%peer, "TLS handshake failed: {e}"),
                        Err(_) => tracing::info!(%peer, "TLS handshake not finished within {HANDSHAKE_TIMEOUT:?}"),
                    }
                });
            }
        });
        TlsListener { tcp, ready }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task never ends while the receiver lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pem_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        let e = TlsIdentity::from_pem_files(&junk, &junk).unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e}");
        assert!(e.to_string().contains("junk.pem"), "{e}");
        let e = TlsIdentity::from_pem_files(&dir.path().join("absent.pem"), &junk).unwrap_err();
        assert!(e.to_string().contains("absent.pem"), "{e}");
    }

    #[test]
    fn a_self_signed_identity_comes_with_its_ca() {
        let s = TlsIdentity::self_signed("127.0.0.1".parse().unwrap()).unwrap();
        assert!(s.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(!format!("{:?}", s.identity).contains("PRIVATE"));
    }
}
