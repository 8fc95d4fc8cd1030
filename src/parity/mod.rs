//! Parity with a reference: record what one endpoint answers to the run's case sequence, then
//! compare another endpoint with it, per case and per JSON path (`rotcheck record`,
//! `rotcheck compare`). Modelled on LocalStack's snapshot testing: generated values become
//! stable references, known divergences are ignore entries with a reason.
//!
//! The runner produces the exchanges; this module only normalizes ([`normalize`]), stores
//! ([`recording`]), diffs ([`diff`], [`ignore`]) and renders ([`render`]) them.

mod diff;
mod ignore;
mod normalize;
mod recording;
pub mod render;

pub use diff::{compare, CaseComparison, Comparison, Difference, ExchangeRef, Group, Kind};
pub use ignore::{load_file as load_ignore_file, parse_file as parse_ignore_file, IgnoreError, IgnoreRule};
pub use normalize::{recording as normalize_run, FAMILIES, MAX_TEXT, RESPONSE_HEADERS};
pub use recording::{
    Body, Provenance, RecordedCase, RecordedExchange, RecordedRequest, RecordedResponse, Recording, RecordingError,
    CONTROL_PLANE, FORMAT, SCHEMA, VERSION,
};

/// The provenance's `endpoint_host` for an endpoint URL: `host[:port]` only (no scheme, path,
/// query or user information, which may hold credentials); `embedded` for the built-in target.
pub fn endpoint_host(endpoint: Option<&str>) -> String {
    let Some(endpoint) = endpoint else {
        return "embedded".into();
    };
    match reqwest::Url::parse(endpoint) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => "unknown".into(),
        },
        Err(_) => "unknown".into(),
    }
}

/// The UTC day for a provenance: `SOURCE_DATE_EPOCH` (seconds) when set, as for reproducible
/// builds, else today.
pub fn recording_date(source_date_epoch: Option<&str>) -> Result<String, String> {
    let at = match source_date_epoch {
        Some(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .map_err(|_| format!("SOURCE_DATE_EPOCH must be whole seconds since 1970, got {s:?}"))?;
            time::OffsetDateTime::from_unix_timestamp(secs).map_err(|e| format!("SOURCE_DATE_EPOCH {s}: {e}"))?
        }
        None => time::OffsetDateTime::now_utc(),
    };
    Ok(at.date().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenance_keeps_no_credentials_and_dates_are_days() {
        assert_eq!(endpoint_host(None), "embedded");
        assert_eq!(
            endpoint_host(Some("https://AKID:secret@api.example.test:8443/x?X-Amz-Signature=s")),
            "api.example.test:8443"
        );
        assert_eq!(recording_date(Some("0")).unwrap(), "1970-01-01");
        assert_eq!(recording_date(Some("1795996800")).unwrap(), "2026-11-30");
        assert!(recording_date(Some("soon")).is_err());
    }
}
