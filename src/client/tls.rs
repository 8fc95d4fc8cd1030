//! Extra trusted CA certificates: `--ca-bundle PATH` or `AWS_CA_BUNDLE`, a PEM file as the AWS CLI
//! and SDKs take it (for an implementation behind a private CA, or a TLS-inspecting proxy).

use std::path::Path;

use super::error::ClientError;

/// Larger files are refused rather than read (a bundle of every public CA is about 250 KiB).
const MAX_BUNDLE_BYTES: u64 = 16 * 1024 * 1024;

pub fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, ClientError> {
    let fail = |reason: String| ClientError::CaBundle {
        path: path.display().to_string(),
        reason,
    };
    let len = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?.len();
    if len > MAX_BUNDLE_BYTES {
        return Err(fail(format!("larger than {MAX_BUNDLE_BYTES} bytes")));
    }
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
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
        let dir = std::env::temp_dir().join(format!("rotcheck-ca-{}", std::process::id()));
        std::fs::write(&dir, "not a certificate").unwrap();
        assert!(read_ca_bundle(&dir).is_err());
        let _ = std::fs::remove_file(&dir);
    }
}
