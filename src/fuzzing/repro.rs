//! How a finding is shown: the failing check, what was expected and received, and a curl command
//! reproducing the shrunk request, secrets redacted.
//!
//! The curl rendering is one call ([`curl`]); it moves to the report module's reproduction code
//! once that lands (src/report/repro.rs).

use crate::cases::TunnelState;
use crate::redact::{is_secret_header, Redactor};
use crate::wire::HttpRequest;

use super::campaign::Finding;

/// Where a reproduction against the built-in target sends its request (`rotcheck serve --port 8080`).
pub const EMBEDDED_REPRO_URL: &str = "http://127.0.0.1:8080";

/// POSIX shell single-quoting.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A body as a shell word: quoted text, or `printf` octal escapes for bytes that are not printable.
fn body_arg(body: &[u8]) -> (Option<String>, String) {
    let printable = std::str::from_utf8(body).is_ok_and(|s| !s.chars().any(|c| c.is_control()) && !s.starts_with('@'));
    if printable {
        return (None, shell_quote(&String::from_utf8_lossy(body)));
    }
    let escaped: String = body
        .iter()
        .map(|b| match b {
            b' '..=b'~' if !matches!(b, b'\'' | b'\\' | b'%') => (*b as char).to_string(),
            _ => format!("\\{b:03o}"),
        })
        .collect();
    (Some(format!("printf '{escaped}'")), "@-".to_owned())
}

/// `body` with known secrets replaced, byte-exact elsewhere (invalid UTF-8 is kept as it is).
fn scrub_bytes(redactor: &Redactor, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    for chunk in body.utf8_chunks() {
        out.extend_from_slice(redactor.scrub(chunk.valid()).as_bytes());
        out.extend_from_slice(chunk.invalid());
    }
    out
}

/// A curl command sending `req` to `endpoint`, secret headers and known tokens redacted.
pub fn curl(req: &HttpRequest, endpoint: &str, redactor: &Redactor) -> String {
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let mut args = vec![
        "curl".to_owned(),
        "-sS".into(),
        "-i".into(),
        "-X".into(),
        shell_quote(&redactor.scrub(&req.method)),
        shell_quote(&url),
    ];
    for (k, v) in &req.headers {
        let v = if is_secret_header(k) {
            "<redacted>".to_owned()
        } else {
            redactor.scrub(v)
        };
        args.push("-H".into());
        args.push(shell_quote(&format!("{k}: {v}")));
    }
    let body = scrub_bytes(redactor, &req.body);
    let (pipe, arg) = body_arg(&body);
    args.push("--data-binary".into());
    args.push(arg);
    let cmd = args.join(" ");
    match pipe {
        Some(p) => format!("{p} | {cmd}"),
        None => cmd,
    }
}

/// The text printed for one finding.
pub fn render(n: usize, f: &Finding, endpoint: Option<&str>, redactor: &Redactor) -> String {
    let o = &f.outcome;
    let mut out = format!("finding {n}: {} — {}\n", f.check, redactor.scrub(&o.message));
    if let (Some(e), Some(a)) = (&o.expected, &o.actual) {
        out.push_str(&format!(
            "  expected: {}\n  actual:   {}\n",
            redactor.scrub(e),
            redactor.scrub(a)
        ));
    }
    let cite = f.check.citation();
    out.push_str(&format!("  spec ({}): \"{}\"\n", cite.source, cite.text));
    out.push_str(&format!(
        "  operator: {}; {}\n",
        f.operator,
        redactor.scrub(&f.original.description)
    ));
    out.push_str(&format!(
        "  shrunk: body {} -> {} bytes, headers {} -> {} ({} candidate requests)\n",
        f.original.request.body.len(),
        f.shrunk.request.body.len(),
        f.original.request.headers.len(),
        f.shrunk.request.headers.len(),
        f.shrink_requests
    ));
    out.push_str("  reproduce:\n");
    let url = match endpoint {
        Some(e) => e.to_owned(),
        None => {
            out.push_str("    # start the reference implementation first: rotcheck serve --port 8080\n");
            EMBEDDED_REPRO_URL.to_owned()
        }
    };
    if matches!(f.shrunk.tunnel, TunnelState::Open { .. } | TunnelState::Closed) {
        let state = if f.shrunk.tunnel == TunnelState::Closed {
            "a CLOSED"
        } else {
            "an OPEN"
        };
        out.push_str(&format!(
            "    # the tunnel id below was opened for the run and deleted after it: use {state} tunnel's id\n"
        ));
    }
    out.push_str(&format!("    {}\n", curl(&f.shrunk.request, &url, redactor)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn curl_redacts_and_quotes() {
        let r = Redactor::new();
        r.add("tok-SECRET-1");
        let mut req = HttpRequest::json("RotateTunnelAccessToken", &json!({"tunnelId": "it's tok-SECRET-1"}));
        req.headers
            .push(("Authorization".into(), "AWS4-HMAC-SHA256 Signature=abc".into()));
        let c = curl(&req, "http://127.0.0.1:9", &r);
        assert!(!c.contains("tok-SECRET-1") && !c.contains("Signature=abc"), "{c}");
        assert!(c.contains("'Authorization: <redacted>'"), "{c}");
        assert!(c.contains(r#"'{"tunnelId":"it'\''s <redacted>"}'"#), "{c}");
        let raw = HttpRequest::raw("RotateTunnelAccessToken", vec![0xff, b'{', b'\n']);
        let c = curl(&raw, "http://127.0.0.1:9", &r);
        assert!(c.starts_with("printf '\\377{\\012' | curl"), "{c}");
        assert!(c.ends_with("--data-binary @-"), "{c}");
    }
}
