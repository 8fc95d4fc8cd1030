//! The one place secrets are removed before anything is printed, logged, snapshotted or written.
//!
//! Three layers: header values that are credentials (`Authorization`, `X-Amz-Security-Token`, ...),
//! JSON members that the model marks sensitive (the access tokens), and every secret value the
//! run has seen, scrubbed from any text (an endpoint may echo a token inside an error message);
//! and endpoint URLs lose any credentials pasted into them.

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use serde_json::Value;

use crate::spec::facts::TOKEN_MEMBERS;

pub const REDACTED: &str = "<redacted>";

/// Headers whose values are credentials or signatures.
pub const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "x-amz-security-token",
    "access-token",
    "cookie",
    "set-cookie",
];

/// An endpoint fit for output (reports, first lines, errors): user information
/// (`user:password@`), query and fragment removed, since people do paste credentials into URLs.
pub fn endpoint(endpoint: &str) -> String {
    match reqwest::Url::parse(endpoint) {
        Ok(mut url) if url.has_host() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        // Not a URL with a host (e.g. `embedded`): nothing to strip.
        _ => endpoint.to_owned(),
    }
}

pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Replace sensitive members (at any depth) with `<redacted>`.
pub fn redact_json(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if TOKEN_MEMBERS.contains(&k.as_str()) && !val.is_null() {
                    *val = Value::String(REDACTED.into());
                } else {
                    redact_json(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        _ => {}
    }
}

/// Replace the value of every sensitive member (at any depth) with `reference(value)`: a parity
/// recording keeps which token is which (`<token:1>`) without the token itself. Non-string values
/// of such members become `<redacted>`.
pub fn replace_token_members(v: &mut Value, reference: &mut dyn FnMut(&str) -> String) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if TOKEN_MEMBERS.contains(&k.as_str()) {
                    match val {
                        Value::Null => {}
                        Value::String(s) => *s = reference(s),
                        other => *other = Value::String(REDACTED.into()),
                    }
                } else {
                    replace_token_members(val, reference);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| replace_token_members(i, reference)),
        _ => {}
    }
}

/// Collects every secret seen during a run and scrubs them from text. Cheap to clone.
#[derive(Clone, Default, Debug)]
pub struct Redactor {
    secrets: Arc<RwLock<BTreeSet<String>>>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Remember a secret so that later output never shows it. Very short values are skipped:
    /// scrubbing "a" would mangle every message (they are still redacted by member name).
    pub fn add(&self, secret: &str) {
        if secret.chars().count() >= 4 {
            self.secrets
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .insert(secret.to_owned());
        }
    }

    /// Remember the token members of a JSON response.
    pub fn add_tokens_from(&self, v: &Value) {
        if let Value::Object(map) = v {
            for (k, val) in map {
                if let (true, Some(s)) = (TOKEN_MEMBERS.contains(&k.as_str()), val.as_str()) {
                    self.add(s);
                } else {
                    self.add_tokens_from(val);
                }
            }
        } else if let Value::Array(items) = v {
            items.iter().for_each(|i| self.add_tokens_from(i));
        }
    }

    /// Text with every known secret replaced.
    pub fn scrub(&self, text: &str) -> String {
        let secrets = self.secrets.read().unwrap_or_else(|e| e.into_inner());
        let mut out = text.to_owned();
        // Longest first, so a secret containing another is replaced whole.
        let mut sorted: Vec<&String> = secrets.iter().collect();
        sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in sorted {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        out
    }

    /// A header value fit for output.
    pub fn header_value(&self, name: &str, value: &str) -> String {
        if is_secret_header(name) {
            REDACTED.to_owned()
        } else {
            self.scrub(value)
        }
    }

    /// A body fit for output: JSON with sensitive members redacted, else scrubbed text.
    pub fn body(&self, body: &[u8]) -> String {
        match serde_json::from_slice::<Value>(body) {
            Ok(mut v) => {
                redact_json(&mut v);
                self.scrub(&v.to_string())
            }
            Err(_) => self.scrub(&String::from_utf8_lossy(body)),
        }
    }

    /// The exact bytes of a body when they hold nothing secret (so a reproduction sends the same
    /// bytes, malformed JSON and duplicate keys included); otherwise the redacted [`Self::body`].
    pub fn body_bytes<'a>(&self, body: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let has_token_member = serde_json::from_slice::<Value>(body)
            .map(|v| contains_token_member(&v))
            .unwrap_or(false);
        let text = String::from_utf8_lossy(body);
        if !has_token_member && self.scrub(&text) == text {
            std::borrow::Cow::Borrowed(body)
        } else {
            std::borrow::Cow::Owned(self.body(body).into_bytes())
        }
    }

    /// A JSON value fit for output.
    pub fn json(&self, v: &Value) -> Value {
        let mut v = v.clone();
        redact_json(&mut v);
        scrub_strings(self, &mut v);
        v
    }
}

fn contains_token_member(v: &Value) -> bool {
    match v {
        Value::Object(map) => map
            .iter()
            .any(|(k, val)| (TOKEN_MEMBERS.contains(&k.as_str()) && !val.is_null()) || contains_token_member(val)),
        Value::Array(items) => items.iter().any(contains_token_member),
        _ => false,
    }
}

fn scrub_strings(r: &Redactor, v: &mut Value) {
    match v {
        Value::String(s) => *s = r.scrub(s),
        Value::Array(a) => a.iter_mut().for_each(|x| scrub_strings(r, x)),
        Value::Object(m) => m.values_mut().for_each(|x| scrub_strings(r, x)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn endpoint_loses_credentials_and_query() {
        assert_eq!(
            endpoint("https://AKID:secret@example.test:8443/x?X-Amz-Signature=abc"),
            "https://example.test:8443/x"
        );
        assert_eq!(endpoint("embedded"), "embedded");
    }

    #[test]
    fn tokens_are_redacted_by_member_and_by_value() {
        let r = Redactor::new();
        let resp = json!({"sourceAccessToken": "tok-AAAA", "tunnelArn": "arn"});
        r.add_tokens_from(&resp);
        assert_eq!(
            r.json(&resp),
            json!({"sourceAccessToken": REDACTED, "tunnelArn": "arn"})
        );
        assert_eq!(
            r.scrub("error: token tok-AAAA was revoked"),
            "error: token <redacted> was revoked"
        );
        assert_eq!(
            r.header_value("Authorization", "AWS4-HMAC-SHA256 Credential=AKID"),
            REDACTED
        );
        assert!(!r.body(br#"{"x":{"destinationAccessToken":"zzzz"}}"#).contains("zzzz"));
    }

    #[test]
    fn body_bytes_keeps_exact_bytes_unless_secret() {
        let r = Redactor::new();
        r.add("tok-SECRET");
        let dup = br#"{"a":1, "a":2}"#;
        assert_eq!(&*r.body_bytes(dup), dup);
        let raw = b"\xff\x00{not json";
        assert_eq!(&*r.body_bytes(raw), raw);
        assert!(!String::from_utf8_lossy(&r.body_bytes(b"echo tok-SECRET")).contains("tok-SECRET"));
        let member = br#"{"sourceAccessToken":"abc"}"#;
        assert!(!String::from_utf8_lossy(&r.body_bytes(member)).contains("abc"));
    }
}
