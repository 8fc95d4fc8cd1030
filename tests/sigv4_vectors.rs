//! The AWS SigV4 test suite (fixtures/sigv4, copied from botocore's sources, Apache-2.0): the
//! client's signing code must produce each case's Authorization header exactly.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use rotcheck::client::sigv4::{sign, Scope, Signable};

const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const SERVICE: &str = "service";

fn suite_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sigv4")
}

/// Every directory holding a `<name>.req`.
fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if p.join(format!("{name}.req")).is_file() {
                out.push(p.clone());
            }
            cases(&p, out);
        }
    }
}

struct Raw {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Parse a `.req` file: request line, headers (folded continuation lines joined with a space),
/// blank line, body.
fn parse_req(text: &str) -> Raw {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], text.as_bytes()[i + 2..].to_vec()),
        None => (text, Vec::new()),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let method = request_line.split(' ').next().unwrap().to_owned();
    let path = request_line[method.len() + 1..request_line.rfind(' ').unwrap()].to_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().expect("continuation after a header");
            last.1 = format!("{} {}", last.1, line.trim());
        } else {
            let (k, v) = line.split_once(':').expect("header line");
            headers.push((k.to_owned(), v.to_owned()));
        }
    }
    Raw {
        method,
        path,
        headers,
        body,
    }
}

/// The wire form of a raw `path?query`: the path URI-encoded as SigV4 specifies (every byte but
/// unreserved characters and `/`), the query with only bytes that cannot appear in a URI encoded
/// (the signer re-encodes query parameters itself).
fn wire_path(raw: &str) -> String {
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let encode = |s: &str, keep: &dyn Fn(u8) -> bool| -> String {
        s.bytes()
            .map(|b| {
                if keep(b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    let mut out = encode(path, &|b| b.is_ascii_alphanumeric() || b"-._~/".contains(&b));
    if let Some(q) = query {
        out.push('?');
        out.push_str(&encode(q, &|b| b.is_ascii_graphic()));
    }
    out
}

/// `YYYYMMDDTHHMMSSZ` to a time (days-from-civil, proleptic Gregorian).
fn parse_amz_date(s: &str) -> SystemTime {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0, 4), n(4, 6), n(6, 8));
    let (hh, mm, ss) = (n(9, 11), n(11, 13), n(13, 15));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    UNIX_EPOCH + Duration::from_secs((days * 86_400 + hh * 3600 + mm * 60 + ss) as u64)
}

fn read(dir: &Path, ext: &str) -> Option<String> {
    let name = dir.file_name()?.to_string_lossy().into_owned();
    std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).ok()
}

/// Sign one case; returns (expected, actual) Authorization values.
fn run_case(dir: &Path) -> Result<(String, String), String> {
    let req = parse_req(&read(dir, "req").ok_or("no .req")?);
    let expected = read(dir, "authz").ok_or("no .authz")?.trim().to_owned();
    let date = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-date"))
        .map(|(_, v)| v.clone())
        .ok_or("no X-Amz-Date")?;
    // The session token: sent in the request, or (get-vanilla-with-session-token) only shown in
    // the canonical request.
    let token = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-security-token"))
        .map(|(_, v)| v.clone())
        .or_else(|| {
            read(dir, "creq")?
                .lines()
                .find_map(|l| l.strip_prefix("x-amz-security-token:").map(str::to_owned))
        });
    let host = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone())
        .ok_or("no Host")?;
    let url = format!("https://{host}{}", wire_path(&req.path));
    let credentials = Credentials::new(ACCESS_KEY, SECRET_KEY, token, None, "sigv4-suite");
    let scope = Scope {
        region: REGION,
        service: SERVICE,
        time: parse_amz_date(&date),
        // post-sts-header-after adds the token after signing; every other case signs it.
        sign_session_token: expected.contains("x-amz-security-token"),
        // The suite's canonical URI is the path encoded once, i.e. the wire form as is.
        double_encode_path: false,
    };
    let signed = sign(
        Signable {
            method: &req.method,
            url: &url,
            headers: &req.headers,
            body: &req.body,
        },
        scope,
        &credentials,
    )
    .map_err(|e| e.to_string())?;
    let actual = signed
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v)
        .ok_or("no authorization header produced")?;
    Ok((expected, actual))
}

#[test]
fn every_vector_of_the_suite_signs_to_its_authorization_header() {
    let dir = suite_dir();
    assert!(
        dir.join("LICENSE").is_file() && dir.join("NOTICE").is_file(),
        "keep the suite's LICENSE and NOTICE"
    );
    let mut all = Vec::new();
    cases(&dir, &mut all);
    all.sort();
    assert!(all.len() >= 30, "expected the whole suite, found {} cases", all.len());
    let mut failures = Vec::new();
    for case in &all {
        let name = case.strip_prefix(&dir).unwrap().display().to_string();
        match run_case(case) {
            Ok((expected, actual)) if expected == actual => {}
            Ok((expected, actual)) => failures.push(format!("{name}:\n  expected {expected}\n  actual   {actual}")),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn the_date_parser_matches_a_known_instant() {
    assert_eq!(
        parse_amz_date("20150830T123600Z"),
        UNIX_EPOCH + Duration::from_secs(1_440_938_160)
    );
}
