//! Bounded memory: once a case is judged, its response bodies are kept only as a redacted prefix
//! for the reports. An endpoint answering every request with a body at the size cap (1 MiB by
//! default) would otherwise make a run hold hundreds of megabytes until the report is written.
//!
//! The prefix is cut from the *redacted* text: a cut through a token would leave a piece of it
//! that the redactor (which matches whole tokens) could no longer recognise.

use super::result::CaseResult;
use crate::redact::Redactor;
use crate::wire::HttpResponse;

/// Bytes of each response body kept after judging.
pub const KEPT_BODY_BYTES: usize = 16 * 1024;

/// Cut the response bodies of a judged case (its own and those of every exchange).
pub fn compact(case: &mut CaseResult, redactor: &Redactor) {
    if let Some(r) = &mut case.response {
        compact_response(r, redactor);
    }
    for x in &mut case.exchanges {
        if let Some(r) = &mut x.response {
            compact_response(r, redactor);
        }
    }
}

fn compact_response(resp: &mut HttpResponse, redactor: &Redactor) {
    if resp.body.len() <= KEPT_BODY_BYTES {
        return;
    }
    let text = redactor.body(&resp.body);
    let mut end = KEPT_BODY_BYTES.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    resp.body = text.as_bytes()[..end].to_vec();
    resp.body.shrink_to_fit();
    resp.truncated = true;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_bodies_keep_a_redacted_prefix() {
        let redactor = Redactor::new();
        let token = "AQGAAXiT0ken-secret-value";
        redactor.add_tokens_from(&serde_json::json!({ "sourceAccessToken": token }));
        let mut body = format!("x{token}").repeat(10_000).into_bytes();
        body.truncate(KEPT_BODY_BYTES * 4);
        let mut resp = HttpResponse {
            status: 200,
            headers: vec![],
            body,
            truncated: false,
        };
        compact_response(&mut resp, &redactor);
        assert!(resp.body.len() <= KEPT_BODY_BYTES && resp.truncated);
        let text = String::from_utf8(resp.body).unwrap();
        assert!(!text.contains("AQGAAXiT0k"), "no piece of a token survives the cut");
    }
}
