//! The SigV4 oracle: a catalog case's request, correctly signed, then tampered with, through the
//! server's verifier.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;

use super::inprocess::materialize;
use super::{violation, OracleFailure};
use crate::client::sigv4 as signer;
use crate::fuzzing::input::{self, SigV4Input, Tamper};
use crate::server::{AuthError, SigV4Keys, Verifier};
use crate::wire::HttpRequest;

const KEY_ID: &str = "AKIDROTCHECKFUZZ";
const SECRET: &str = "rotcheck-fuzz-secret-key";
const REGION: &str = "us-east-1";
const HOST: &str = "127.0.0.1:8080";
/// The verifier's allowed clock skew, in seconds.
const MAX_SKEW: i64 = 300;

/// 2015-08-30T12:36:00Z, the AWS test suite's date: the verifier's fixed "now".
fn signing_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A request as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wire {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn values(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn set(&mut self, name: &str, value: String) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value));
    }

    fn remove(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }

    /// Only headers that are valid HTTP (what a client can actually send).
    fn sendable(mut self) -> Wire {
        self.headers.retain(|(k, v)| {
            http::HeaderName::from_bytes(k.as_bytes()).is_ok() && http::HeaderValue::from_str(v).is_ok()
        });
        self
    }
}

/// The last correctly signed state of the request, and whether its signature should verify.
struct Signed {
    wire: Wire,
    signature: String,
    /// Signed with the right keys, inside the allowed clock skew.
    valid: bool,
}

/// Signs `wire` (its Authorization and X-Amz-Date replaced) at `time`.
fn sign(wire: &Wire, time: SystemTime, key_id: &str, secret: &str) -> Option<Signed> {
    let host = wire.values("host").first().copied().unwrap_or(HOST).to_owned();
    let unsigned = HttpRequest {
        method: wire.method.clone(),
        headers: wire.headers.clone(),
        body: wire.body.clone(),
    };
    // A client (re-)signing a request signs it afresh: a previous signature's headers
    // (Authorization, X-Amz-Date, ...) are not part of what it signs.
    let req = HttpRequest {
        headers: signer::sendable_headers(&unsigned),
        ..unsigned
    };
    // The URL only gives the signer the path (the Host header, when there is one, is what it
    // signs): a tampered Host such as `h/st%` must not move the path.
    let url = format!("http://{HOST}{}", wire.path);
    let credentials = Credentials::new(key_id, secret, None, None, "rotcheck-fuzz");
    let added = signer::signed_headers(&req, &url, REGION, &credentials, time).ok()?;
    let mut signed = wire.clone();
    // An HTTP/1.1 client always sends the Host it signed (even if a tampering removed it).
    if signed.values("host").is_empty() {
        signed.set("host", host);
    }
    for (k, v) in added {
        signed.set(&k, v);
    }
    let auth = signed.values("authorization").first()?.to_string();
    let signature = auth.rsplit_once("Signature=")?.1.trim().to_owned();
    Some(Signed {
        wire: signed,
        signature,
        valid: true,
    })
}

/// SigV4 target: a case's request, correctly signed, then tampered with. The verifier must accept
/// the untouched request (and one with only unsigned headers added), and must refuse every request
/// whose signed parts changed or whose Authorization lacks the correct signature.
pub fn sigv4_bytes(data: &[u8]) -> Result<(), OracleFailure> {
    let Some(input) = SigV4Input::decode(data) else {
        return Ok(());
    };
    check_sigv4(&input)
}

pub fn check_sigv4(input: &SigV4Input) -> Result<(), OracleFailure> {
    let verifier = Verifier::new(SigV4Keys::new(KEY_ID, SECRET), REGION).with_fixed_time(signing_time());
    check_sigv4_with(input, &|method, uri, headers, body| {
        verifier.verify(method, uri, headers, body)
    })
}

/// What a verifier says of a request (method, URI, headers, body).
type Verify<'a> = dyn Fn(&str, &http::Uri, &http::HeaderMap, &[u8]) -> Result<(), AuthError> + 'a;

/// [`check_sigv4`] with any verifier (the server's, or a broken one in the tests).
fn check_sigv4_with(input: &SigV4Input, verify: &Verify) -> Result<(), OracleFailure> {
    let cases = input::start_cases();
    let Some(case) = cases.get(usize::from(input.case) % cases.len().max(1)) else {
        return Ok(());
    };
    let req = materialize(&case.request, "rotcheckFuzzTunnel1");
    let mut wire = Wire {
        method: req.method.clone(),
        path: "/".into(),
        headers: signer::sendable_headers(&req),
        body: req.body.clone(),
    };
    wire.set("host", HOST.into());
    let Some(mut base) = sign(&wire.sendable(), signing_time(), KEY_ID, SECRET) else {
        return Ok(());
    };
    let mut current = base.wire.clone();
    for t in input.tampering.iter().take(16) {
        tamper(t, &mut current, &mut base);
    }
    let current = current.sendable();
    let signed_names: Vec<String> = base
        .wire
        .values("authorization")
        .first()
        .and_then(|a| a.split("SignedHeaders=").nth(1))
        .map(|s| {
            s.split(',')
                .next()
                .unwrap_or("")
                .split(';')
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();

    let Ok(uri) = current.path.parse::<http::Uri>() else {
        return Ok(());
    };
    let mut headers = http::HeaderMap::new();
    for (k, v) in &current.headers {
        if let (Ok(k), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_str(v),
        ) {
            headers.append(k, v);
        }
    }
    let verdict = verify(&current.method, &uri, &headers, &current.body);

    let canon = |vals: Vec<&str>| -> Vec<String> {
        vals.iter()
            .map(|v| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let signed_parts_same = current.method.eq_ignore_ascii_case(&base.wire.method)
        && current.path == base.wire.path
        && current.body == base.wire.body
        && signed_names
            .iter()
            .all(|n| canon(current.values(n)) == canon(base.wire.values(n)));
    let auth = current.values("authorization");
    let carries_signature = auth.len() == 1 && auth[0].contains(&base.signature);
    if verdict.is_ok() && !(base.valid && signed_parts_same && carries_signature) {
        return violation(format!(
            "a request that is not correctly signed was verified (signed with the right keys in time: {}, signed parts unchanged: {signed_parts_same}, carries the signature: {carries_signature})",
            base.valid
        ));
    }
    let mut untouched = current.clone();
    untouched
        .headers
        .retain(|(k, _)| !k.to_ascii_lowercase().starts_with("x-fuzz-"));
    if let (Err(e), true) = (&verdict, base.valid && untouched == base.wire) {
        return violation(format!("a correctly signed request was refused: {e}"));
    }
    Ok(())
}

fn tamper(t: &Tamper, w: &mut Wire, base: &mut Signed) {
    const SIGNED: [&str; 4] = ["content-type", "x-amz-target", "host", "x-amz-date"];
    match t {
        Tamper::Authorization(s) => w.set("authorization", s.clone()),
        Tamper::AuthorizationByte { at, byte } => {
            if let Some(a) = w.values("authorization").first() {
                let mut bytes = a.as_bytes().to_vec();
                if !bytes.is_empty() {
                    let i = usize::from(*at) % bytes.len();
                    bytes[i] = *byte;
                }
                let s = String::from_utf8_lossy(&bytes).into_owned();
                w.set("authorization", s);
            }
        }
        Tamper::ExtraAuthorization(s) => w.headers.push(("authorization".into(), s.clone())),
        Tamper::RemoveAuthorization => w.remove("authorization"),
        Tamper::Date(s) => w.set("x-amz-date", s.clone()),
        Tamper::Resign { secs } => resign(w, base, i64::from(*secs), KEY_ID, SECRET),
        Tamper::ResignWithSecret(s) => resign(w, base, 0, KEY_ID, s),
        Tamper::ResignWithKey(k) => resign(w, base, 0, k, SECRET),
        Tamper::Body(b) => w.body = b.clone(),
        Tamper::BodyByte { at, byte } => {
            if !w.body.is_empty() {
                let i = usize::from(*at) % w.body.len();
                w.body[i] = *byte;
            }
        }
        Tamper::SignedHeader { which, value } => w.set(SIGNED[usize::from(*which) % SIGNED.len()], value.clone()),
        Tamper::RemoveSignedHeader(which) => w.remove(SIGNED[usize::from(*which) % SIGNED.len()]),
        Tamper::UnsignedHeader { name, value } => {
            let name: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            w.headers.push((format!("x-fuzz-{name}"), value.clone()));
        }
        Tamper::Method(m) => w.method = m.method(),
        Tamper::Path(s) => {
            let extra: String = s.chars().filter(char::is_ascii_alphanumeric).collect();
            if !extra.is_empty() {
                w.path = format!("{}{extra}", w.path);
            }
        }
    }
}

/// Signs the current request again (a new baseline): valid when signed with the right keys at
/// most the allowed skew away from the verifier's clock.
fn resign(w: &mut Wire, base: &mut Signed, secs: i64, key_id: &str, secret: &str) {
    let Some(time) = UNIX_EPOCH.checked_add(Duration::from_secs((1_440_938_160 + secs).max(0) as u64)) else {
        return;
    };
    if key_id.is_empty() || secret.is_empty() {
        return;
    }
    let Some(mut signed) = sign(&w.clone().sendable(), time, key_id, secret) else {
        return;
    };
    // Exactly at the skew limit is left to the verifier either way.
    if secs.abs() == MAX_SKEW {
        return;
    }
    signed.valid = secs.abs() < MAX_SKEW && key_id == KEY_ID && secret == SECRET;
    *w = signed.wire.clone();
    *base = signed;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::input::encode_sigv4_case;

    #[test]
    fn a_verifier_that_accepts_tampering_or_refuses_good_signatures_is_caught() {
        let tampered = SigV4Input {
            case: 0,
            tampering: vec![Tamper::Body(b"{}".to_vec())],
        };
        let e = check_sigv4_with(&tampered, &|_, _, _, _| Ok(())).unwrap_err();
        assert!(e.message.contains("not correctly signed was verified"), "{e}");
        let untouched = SigV4Input {
            case: 0,
            tampering: vec![],
        };
        let refuse = |_: &str, _: &http::Uri, _: &http::HeaderMap, _: &[u8]| Err(AuthError::Missing);
        let e = check_sigv4_with(&untouched, &refuse).unwrap_err();
        assert!(e.message.contains("correctly signed request was refused"), "{e}");
    }

    #[test]
    fn signed_requests_verify_and_tampered_ones_do_not() {
        for i in 0..20u16 {
            assert_eq!(sigv4_bytes(&encode_sigv4_case(i)), Ok(()), "case {i}");
            for t in [
                Tamper::Body(b"{}".to_vec()),
                Tamper::Resign { secs: 1000 },
                Tamper::ResignWithSecret("other".into()),
                Tamper::Method(input::MethodChoice::Put),
                Tamper::UnsignedHeader {
                    name: "a".into(),
                    value: "b".into(),
                },
                Tamper::Resign { secs: 10 },
            ] {
                let input = SigV4Input {
                    case: i,
                    tampering: vec![t],
                };
                assert_eq!(check_sigv4(&input), Ok(()), "case {i}");
            }
        }
    }
}
