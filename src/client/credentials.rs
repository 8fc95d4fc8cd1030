//! AWS credentials: the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`), then the shared credentials/config files (`AWS_PROFILE` or `default`).
//!
//! Deliberately not the SDK's default chain: that one would also probe the EC2 instance metadata
//! service (169.254.169.254) and container endpoints. Profiles that name those as their
//! `credential_source` get an error instead.

use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::profile::ProfileFileCredentialsProvider;
use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};
use aws_credential_types::Credentials;

use super::error::ClientError;

/// Access key id of the placeholder credentials (visible in the Authorization header on purpose:
/// a server's logs then show that the request was not signed by real credentials).
pub const PLACEHOLDER_ACCESS_KEY_ID: &str = "AKIDROTCHECKPLACEHOLDER";

/// Credentials for signing requests to a local endpoint when none are configured. A local
/// implementation under test may check the signature's form but cannot know real keys.
pub fn placeholder() -> Credentials {
    Credentials::new(
        PLACEHOLDER_ACCESS_KEY_ID,
        "rotcheck-placeholder-secret-access-key",
        None,
        None,
        "rotcheck-placeholder",
    )
}

/// Stands in for the metadata-service credential sources a profile may name.
#[derive(Debug)]
struct NoMetadataService(&'static str);

impl ProvideCredentials for NoMetadataService {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::ready(Err(CredentialsError::invalid_configuration(format!(
            "the profile's credential_source = {} is not supported: rotcheck never queries instance or \
             container metadata; use environment variables or static profile credentials",
            self.0
        ))))
    }
}

/// The outcome of looking for credentials.
#[derive(Debug)]
pub enum Lookup {
    Found(Credentials),
    /// Nothing configured.
    NotFound,
    /// Something is configured but unusable (bad profile, failing credential process, ...).
    Failed(String),
}

/// Look for credentials in the environment, then the profile files (`AWS_PROFILE` or `default`).
/// An explicit `profile` (`--profile`) is used alone, as the AWS CLI does: it wins over
/// credentials in the environment. Bounded by `timeout` (a profile may call STS or SSO).
pub async fn lookup(profile: Option<&str>, timeout: Duration) -> Lookup {
    let mut profile_provider = ProfileFileCredentialsProvider::builder()
        .with_custom_provider("Ec2InstanceMetadata", NoMetadataService("Ec2InstanceMetadata"))
        .with_custom_provider("EcsContainer", NoMetadataService("EcsContainer"));
    let chain = match profile {
        Some(p) => {
            profile_provider = profile_provider.profile_name(p);
            CredentialsProviderChain::first_try("Profile", profile_provider.build())
        }
        None => CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
            .or_else("Profile", profile_provider.build()),
    };
    match tokio::time::timeout(timeout, chain.provide_credentials()).await {
        Err(_) => Lookup::Failed(format!("loading credentials took longer than {timeout:?}")),
        Ok(Ok(c)) => Lookup::Found(c),
        Ok(Err(CredentialsError::CredentialsNotLoaded(_))) => Lookup::NotFound,
        Ok(Err(e)) => Lookup::Failed(describe(&e)),
    }
}

/// The error with its sources: the SDK's top-level messages are terse.
fn describe(e: &CredentialsError) -> String {
    use std::error::Error;
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.join(": ")
}

/// What to sign with, given the lookup and whether the endpoint is this machine. Returns the
/// credentials and, for placeholder credentials, the notice to show once.
pub fn choose(lookup: Lookup, endpoint: &str, loopback: bool) -> Result<(Credentials, Option<String>), ClientError> {
    match (lookup, loopback) {
        (Lookup::Found(c), _) => Ok((c, None)),
        (Lookup::NotFound, true) => Ok((
            placeholder(),
            Some(format!(
                "no AWS credentials found; signing requests to the local endpoint {endpoint} with placeholder \
                 credentials (access key {PLACEHOLDER_ACCESS_KEY_ID})"
            )),
        )),
        (Lookup::Failed(reason), true) => Ok((
            placeholder(),
            Some(format!(
                "AWS credentials could not be loaded ({reason}); signing requests to the local endpoint \
                 {endpoint} with placeholder credentials (access key {PLACEHOLDER_ACCESS_KEY_ID})"
            )),
        )),
        (Lookup::NotFound, false) => Err(ClientError::NoCredentials {
            endpoint: endpoint.to_owned(),
        }),
        (Lookup::Failed(reason), false) => Err(ClientError::Credentials(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholder_only_for_loopback() {
        let (c, notice) = choose(Lookup::NotFound, "http://127.0.0.1:1/", true).unwrap();
        assert_eq!(c.access_key_id(), PLACEHOLDER_ACCESS_KEY_ID);
        assert!(notice.unwrap().contains("placeholder"));
        let err = choose(Lookup::NotFound, "https://example.com/", false).unwrap_err();
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
        assert!(err.to_string().contains("https://example.com/"), "{err}");
        let err = choose(Lookup::Failed("bad profile".into()), "https://example.com/", false).unwrap_err();
        assert!(err.to_string().contains("bad profile"));
        let (_, notice) = choose(Lookup::Failed("bad profile".into()), "http://localhost/", true).unwrap();
        assert!(notice.unwrap().contains("bad profile"));
    }

    #[test]
    fn found_credentials_are_used_without_notice() {
        let real = Credentials::new("AKIAREAL", "s3cr3t", None, None, "test");
        let (c, notice) = choose(Lookup::Found(real), "http://127.0.0.1/", true).unwrap();
        assert_eq!(c.access_key_id(), "AKIAREAL");
        assert!(notice.is_none());
        assert!(
            !format!("{c:?}").contains("s3cr3t"),
            "Debug of Credentials redacts the secret"
        );
    }
}
