//! How a finding is shown: the failing check, what was expected and received, and a curl command
//! reproducing the shrunk request, secrets redacted.
//!
//! The curl command is the report module's (`crate::report::repro`), so `rotcheck run` and
//! `rotcheck fuzz` reproduce requests the same way.

use crate::cases::TunnelState;
use crate::redact::Redactor;
use crate::report::repro::{curl_command, Signing, EMBEDDED_REPRO_URL};
use crate::report::summary::terminal_safe;

use super::campaign::Finding;

/// How a reproduction of a request to `endpoint` (`None`: the built-in target) authenticates.
fn signing<'a>(endpoint: Option<&str>, region: &'a str) -> Signing<'a> {
    match endpoint {
        None => Signing::AsRecorded,
        Some(_) => Signing::SigV4 { region },
    }
}

/// The text printed for one finding.
/// `endpoint` is `None` for the built-in target (the reproduction then goes to `rotcheck serve`).
pub fn render(n: usize, f: &Finding, endpoint: Option<&str>, region: &str, redactor: &Redactor) -> String {
    let o = &f.outcome;
    // Messages can quote a hostile endpoint (error types): secrets out, control characters escaped.
    let show = |s: &str| terminal_safe(&redactor.scrub(s)).replace('\n', " ");
    let mut out = format!("finding {n}: {} — {}\n", f.check, show(&o.message));
    if let (Some(e), Some(a)) = (&o.expected, &o.actual) {
        out.push_str(&format!("  expected: {}\n  actual:   {}\n", show(e), show(a)));
    }
    let cite = f.check.citation();
    out.push_str(&format!("  spec ({}): \"{}\"\n", cite.source, cite.text));
    out.push_str(&format!(
        "  made by: {}; {}\n",
        f.operator,
        show(&f.original.description)
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
            out.push_str(&format!(
                "    # start the reference implementation first: rotcheck serve --port {}\n",
                EMBEDDED_REPRO_URL.rsplit(':').next().unwrap_or("8080")
            ));
            EMBEDDED_REPRO_URL.to_owned()
        }
    };
    if f.names_tunnel && matches!(f.shrunk.tunnel, TunnelState::Open { .. } | TunnelState::Closed) {
        let state = if f.shrunk.tunnel == TunnelState::Closed {
            "a CLOSED"
        } else {
            "an OPEN"
        };
        out.push_str(&format!(
            "    # the tunnel id below was opened for the run and deleted after it: use {state} tunnel's id\n"
        ));
    }
    let curl = curl_command(&f.shrunk.request, &url, signing(endpoint, region), redactor);
    for line in curl.lines() {
        out.push_str(&format!("    {line}\n"));
    }
    out
}
