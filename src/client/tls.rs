//! The TLS and HTTP settings every client of the harness shares: the control plane's signing
//! client and the data plane's WebSocket handshakes are built by one function,
//! [`http_client_builder`], so `--ca-bundle PATH` / `AWS_CA_BUNDLE` (a PEM file as the AWS CLI
//! and SDKs take it: a private CA, a TLS-inspecting proxy) reaches both, with the bundled and the
//! system's roots, the same proxy rules and the same redirect policy.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::Url;

use super::error::ClientError;

/// Larger files are refused rather than read (a bundle of every public CA is about 250 KiB).
const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;
/// The variable the AWS CLI and SDKs read a CA bundle from.
pub const CA_BUNDLE_VAR: &str = "AWS_CA_BUNDLE";

/// Trusted roots besides the bundled and the system's: the certificates of a CA bundle.
#[derive(Clone, Default)]
pub struct TlsSettings {
    extra_roots: Vec<reqwest::Certificate>,
    bundle: Option<PathBuf>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSettings")
            .field("bundle", &self.bundle)
            .field("extra_roots", &self.extra_roots.len())
            .finish()
    }
}

impl TlsSettings {
    /// `--ca-bundle` (`flag`), else `AWS_CA_BUNDLE` from the process environment.
    pub fn resolve(flag: Option<&Path>) -> Result<TlsSettings, ClientError> {
        TlsSettings::resolve_with(flag, |k| std::env::var_os(k).map(PathBuf::from))
    }

    /// [`TlsSettings::resolve`] with `env` standing for the environment (an empty value is unset).
    pub fn resolve_with(
        flag: Option<&Path>,
        env: impl Fn(&str) -> Option<PathBuf>,
    ) -> Result<TlsSettings, ClientError> {
        let bundle = flag
            .map(Path::to_path_buf)
            .or_else(|| env(CA_BUNDLE_VAR).filter(|p| !p.as_os_str().is_empty()));
        match bundle {
            None => Ok(TlsSettings::default()),
            Some(path) => Ok(TlsSettings {
                extra_roots: read_ca_bundle(&path)?,
                bundle: Some(path),
            }),
        }
    }

    /// The CA bundle trusted besides the usual roots, if any.
    pub fn bundle(&self) -> Option<&Path> {
        self.bundle.as_deref()
    }
}

/// The one place an HTTP client of the harness is configured: `target`'s roots, proxy rules,
/// connect timeout, no redirects (a redirect is an answer to judge, and following one would
/// re-send a signed request) and the user agent. Callers add only what is theirs (the control
/// plane's whole-exchange timeout, the data plane's HTTP/1.1 for the upgrade).
pub fn http_client_builder(tls: &TlsSettings, target: &Url, connect_timeout: Duration) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rotcheck/", env!("CARGO_PKG_VERSION")))
        // The system's root certificates besides the bundled ones (a corporate CA installed on
        // the machine).
        .tls_built_in_native_certs(true);
    if super::config::is_loopback(target) {
        // A local endpoint is never reached through a proxy from the environment. Others go
        // through HTTPS_PROXY / HTTP_PROXY unless NO_PROXY names them (reqwest reads those).
        builder = builder.no_proxy();
    }
    for cert in &tls.extra_roots {
        builder = builder.add_root_certificate(cert.clone());
    }
    builder
}

fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let fail = |reason: String| ClientError::CaBundle {
        path: path.display().to_string(),
        reason,
    };
    let len = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.len();
    if len > MAX_BUNDLE_BYTES {
        return Err(fail(format!("larger than {MAX_BUNDLE_BYTES} bytes")));
    }
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(super::error::source_chain(&e)))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_bundle_is_a_setup_error_naming_it() {
        let e = read_ca_bundle(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("ca.pem");
        std::fs::write(&junk, "not a certificate").unwrap();
        assert!(read_ca_bundle(&junk).is_err());
    }

    #[test]
    fn the_flag_wins_over_aws_ca_bundle_and_an_empty_variable_is_unset() {
        let env = |v: &'static str| move |k: &str| (k == CA_BUNDLE_VAR).then(|| PathBuf::from(v));
        let e = TlsSettings::resolve_with(Some(Path::new("/nonexistent/flag.pem")), env("/nonexistent/env.pem"))
            .unwrap_err();
        assert!(e.to_string().contains("flag.pem"), "{e}");
        let e = TlsSettings::resolve_with(None, env("/nonexistent/env.pem")).unwrap_err();
        assert!(e.to_string().contains("env.pem"), "{e}");
        assert!(TlsSettings::resolve_with(None, env("")).unwrap().bundle().is_none());
    }
}
