//! Reproduction commands for a failure: a `curl` command sending the exact request (secrets
//! redacted) and the `rotcheck run --only CASE --seed S ...` command that reruns the case.
//!
//! Quoting is POSIX `sh` wherever possible: single quotes for printable text, and bodies that are
//! not plain text (newlines, control bytes, NUL, invalid UTF-8, a leading `@` curl would read as a
//! file name) are piped from `printf` with octal escapes, which reproduces any byte sequence.

use crate::cases::TunnelState;
use crate::redact::{is_secret_header, Redactor};
use crate::runner::{CaseResult, RunMeta, RunResult};
use crate::spec::facts;
use crate::wire::HttpRequest;

use super::RenderOptions;

/// Where a reproduction of an embedded run sends its request (start `rotcheck serve` there).
pub const EMBEDDED_REPRO_URL: &str = "http://127.0.0.1:8080";
/// The time scale `rotcheck run` uses for the embedded target unless told otherwise.
pub const EMBEDDED_TIME_SCALE: f64 = 60.0;
/// The time scale assumed for any other endpoint (real time).
pub const ENDPOINT_TIME_SCALE: f64 = 1.0;

/// Both reproduction commands of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repro {
    /// A shell snippet (comments included) that sends the case's request with curl.
    pub curl: String,
    /// The `rotcheck run` command that reruns only this case.
    pub rerun: String,
}

pub fn for_case(result: &RunResult, case: &CaseResult, opts: &RenderOptions) -> Repro {
    Repro {
        curl: curl_for_case(result, case),
        rerun: rerun_command(&result.meta, &case.id, opts),
    }
}

/// The request as it went on the wire: the `request` exchange when the runner recorded one
/// (it may carry the signature headers), else the case's request.
fn sent_request(case: &CaseResult) -> &HttpRequest {
    case.exchanges
        .iter()
        .find(|e| e.role == "request")
        .map(|e| &e.request)
        .unwrap_or(&case.request)
}

fn curl_for_case(result: &RunResult, case: &CaseResult) -> String {
    let meta = &result.meta;
    let mut out = String::new();
    let url = if meta.embedded {
        out.push_str(&format!(
            "# start the reference implementation first: rotcheck serve --port 8080 --time-scale {}\n",
            fmt_num(meta.time_scale)
        ));
        EMBEDDED_REPRO_URL.to_owned()
    } else {
        crate::redact::endpoint(&meta.endpoint)
    };
    if matches!(case.tunnel, TunnelState::Open { .. } | TunnelState::Closed) {
        out.push_str(
            "# the tunnel id in this request was opened for the run and deleted after it: \
             open a tunnel (OpenTunnel) and put its id in its place\n",
        );
    }
    let signing = if meta.embedded {
        Signing::AsRecorded
    } else {
        Signing::SigV4 { region: &meta.region }
    };
    out.push_str(&curl_command(sent_request(case), &url, signing, &result.redactor));
    out
}

/// How a reproduction authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing<'a> {
    /// Send the recorded headers as they are (secret ones show as `<redacted>`): for the
    /// reference implementation, which does not verify signatures unless told to.
    AsRecorded,
    /// curl signs the request itself (`--aws-sigv4`) for this region with the credentials in
    /// the user's environment, replacing rotcheck's own (redacted) signature headers.
    SigV4 { region: &'a str },
}

/// Headers that belong to a signature: replaced when curl signs anew.
fn is_signature_header(name: &str) -> bool {
    is_secret_header(name)
        || ["x-amz-date", "x-amz-content-sha256"]
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
}

/// A curl command that sends `req` to `endpoint` (`POST /`). Secret headers show as
/// `<redacted>`; the body is exact unless it holds a secret (then it is the redacted body).
pub fn curl_command(req: &HttpRequest, endpoint: &str, signing: Signing<'_>, redactor: &Redactor) -> String {
    let body = redactor.body_bytes(&req.body);
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let mut args: Vec<String> = vec![
        "curl".into(),
        "-sS".into(),
        "-i".into(),
        "-X".into(),
        shell_quote(&redactor.scrub(&req.method)),
        shell_quote(&url),
    ];
    let mut out = String::new();
    if let Signing::SigV4 { region } = signing {
        out.push_str(
            "# rotcheck signed this request (Authorization: <redacted>); curl signs it again with the \
             credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN\n\
             # (a profile, SSO or role: eval \"$(aws configure export-credentials --format env)\" first)\n",
        );
        args.push("--aws-sigv4".into());
        args.push(shell_quote(&format!(
            "aws:amz:{}:{}",
            shell_safe_or_placeholder(region),
            facts::SIGNING_NAME
        )));
        args.push("--user".into());
        args.push("\"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\"".into());
        // Expands to nothing without a session token (POSIX sh).
        args.push("${AWS_SESSION_TOKEN:+-H \"X-Amz-Security-Token: $AWS_SESSION_TOKEN\"}".into());
    }
    for (name, value) in &req.headers {
        // curl computes these from the URL and the body; a copied value could contradict them.
        if name.eq_ignore_ascii_case("host") || name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        if matches!(signing, Signing::SigV4 { .. }) && is_signature_header(name) {
            continue;
        }
        args.push("-H".into());
        args.push(shell_quote(&format!("{name}: {}", redactor.header_value(name, value))));
    }
    let sends_body = !body.is_empty() || !req.method.eq_ignore_ascii_case("GET");
    if sends_body && req.header("content-type").is_none() {
        // Without this curl would add `Content-Type: application/x-www-form-urlencoded`.
        args.push("-H".into());
        args.push(shell_quote("Content-Type:"));
    }
    let mut piped = None;
    if sends_body {
        args.push("--data-binary".into());
        match plain_text(&body) {
            Some(text) => args.push(shell_quote(text)),
            None => {
                args.push("@-".into());
                piped = Some(printf_command(&body));
            }
        }
    }
    if let Some(printf) = piped {
        out.push_str(&printf);
        out.push_str(" |\n  ");
    }
    out.push_str(&join_args(&args));
    out
}

/// `rotcheck run --only CASE --seed S` plus every flag that changes what the case does.
pub fn rerun_command(meta: &RunMeta, case_id: &str, opts: &RenderOptions) -> String {
    let mut args: Vec<String> = vec![
        "rotcheck".into(),
        "run".into(),
        "--only".into(),
        shell_quote(case_id),
        "--seed".into(),
        meta.seed.to_string(),
    ];
    let default_scale = if meta.embedded {
        EMBEDDED_TIME_SCALE
    } else {
        args.push("--endpoint".into());
        args.push(shell_quote(&crate::redact::endpoint(&meta.endpoint)));
        args.push("--region".into());
        args.push(shell_quote(&meta.region));
        if meta.live {
            args.push("--live".into());
        }
        ENDPOINT_TIME_SCALE
    };
    if meta.time_scale != default_scale {
        args.push("--time-scale".into());
        args.push(fmt_num(meta.time_scale));
    }
    let all_checks = crate::checks::CheckId::all().all(|c| meta.checks.contains(&c));
    if !all_checks && !meta.checks.is_empty() {
        let mut ids: Vec<_> = meta.checks.clone();
        ids.sort_by_key(|c| super::check_rank(*c));
        ids.dedup();
        let list: Vec<&str> = ids.iter().map(|c| c.as_str()).collect();
        args.push("--checks".into());
        args.push(list.join(","));
    }
    if meta.mode == crate::runner::RunMode::Strict {
        args.push("--strict".into());
    }
    if let Some(dir) = &opts.fixtures {
        args.push("--fixtures".into());
        args.push(shell_quote(&dir.to_string_lossy()));
    }
    args.join(" ")
}

/// The body as text if single quotes can carry it unchanged: UTF-8, no control characters, and
/// no leading `@` (curl would read a file).
fn plain_text(body: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(body).ok()?;
    let plain = !text.starts_with('@') && !text.chars().any(char::is_control);
    plain.then_some(text)
}

/// `printf 'FORMAT'` printing exactly `bytes` (POSIX printf: `\ooo` octal escapes, `%%`).
pub fn printf_command(bytes: &[u8]) -> String {
    let mut fmt = String::with_capacity(bytes.len() + 16);
    for &b in bytes {
        match b {
            b'\\' => fmt.push_str("\\\\"),
            b'%' => fmt.push_str("%%"),
            b'\'' => fmt.push_str("\\047"),
            0x20..=0x7e => fmt.push(b as char),
            _ => fmt.push_str(&format!("\\{b:03o}")),
        }
    }
    format!("printf '{fmt}'")
}

/// Quote one shell word. Safe words stay bare; printable text goes in single quotes; text with
/// control characters uses `$'...'` (bash, zsh, ksh) with `\xHH` escapes.
pub fn shell_quote(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        return s.to_owned();
    }
    if !s.chars().any(char::is_control) {
        return format!("'{}'", s.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

fn shell_safe_or_placeholder(region: &str) -> &str {
    if !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        region
    } else {
        "REGION"
    }
}

/// `curl -sS -i -X POST URL -H ...` broken over lines, two arguments per `-H`/`--data-binary`.
fn join_args(args: &[String]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let takes_value = matches!(a.as_str(), "-H" | "--data-binary" | "--aws-sigv4" | "--user");
        if takes_value && i + 1 < args.len() {
            out.push_str(" \\\n    ");
            out.push_str(a);
            out.push(' ');
            out.push_str(&args[i + 1]);
            i += 2;
        } else {
            // The optional session-token expansion gets a line of its own, like a header.
            if a.starts_with("${") {
                out.push_str(" \\\n    ");
            } else if i > 0 {
                out.push(' ');
            }
            out.push_str(a);
            i += 1;
        }
    }
    out
}

/// A number the way a user types it: `60`, not `60.0`.
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What `sh` makes of a shell snippet that writes to stdout.
    fn sh_output(script: &str) -> Vec<u8> {
        let out = Command::new("sh").arg("-c").arg(script).output().expect("sh runs");
        assert!(
            out.status.success(),
            "sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    #[test]
    fn printf_reproduces_any_bytes() {
        let nasty: Vec<u8> = (0u8..=255).chain(b"%s %% \\n '\"$(x)`y`".iter().copied()).collect();
        assert_eq!(sh_output(&printf_command(&nasty)), nasty);
    }

    #[test]
    fn single_quoting_round_trips_through_sh() {
        for s in [
            "plain",
            "it's \"quoted\" $HOME `x` \\",
            "{\"tunnelId\":\"a b\"}",
            "ünïcødé ✓",
        ] {
            let got = sh_output(&format!("printf '%s' {}", shell_quote(s)));
            assert_eq!(got, s.as_bytes(), "for {s:?}");
        }
    }

    #[test]
    fn ansi_c_quoting_carries_control_characters() {
        let q = shell_quote("a\nb\tc'\\");
        assert_eq!(q, "$'a\\nb\\tc\\'\\\\'");
        let out = Command::new("bash").arg("-c").arg(format!("printf '%s' {q}")).output();
        if let Ok(out) = out {
            assert_eq!(out.stdout, b"a\nb\tc'\\");
        }
    }

    #[test]
    fn curl_redacts_signature_and_keeps_body_exact() {
        let r = Redactor::new();
        let mut req = HttpRequest::raw(facts::ROTATE, b"{\"tunnelId\":\"x\", \"tunnelId\":\"y\"}".to_vec());
        req.set_header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=abcdef",
        );
        req.set_header("X-Amz-Security-Token", "SESSIONTOKEN");
        let cmd = curl_command(&req, "http://127.0.0.1:8080", Signing::AsRecorded, &r);
        assert!(cmd.contains("-H 'Authorization: <redacted>'"), "{cmd}");
        assert!(cmd.contains("-H 'X-Amz-Security-Token: <redacted>'"), "{cmd}");
        assert!(!cmd.contains("AKIDEXAMPLE") && !cmd.contains("abcdef") && !cmd.contains("SESSIONTOKEN"));
        assert!(
            cmd.contains("--data-binary '{\"tunnelId\":\"x\", \"tunnelId\":\"y\"}'"),
            "{cmd}"
        );

        let cmd = curl_command(&req, "https://example.test", Signing::SigV4 { region: "eu-west-1" }, &r);
        assert!(
            cmd.contains("--aws-sigv4 aws:amz:eu-west-1:IoTSecuredTunneling"),
            "{cmd}"
        );
        assert!(
            cmd.contains("--user \"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY\""),
            "{cmd}"
        );
        assert!(cmd.contains("(Authorization: <redacted>)"), "{cmd}");
        assert!(!cmd.contains("-H 'Authorization"), "curl signs anew: {cmd}");
        assert!(!cmd.contains("AKIDEXAMPLE") && !cmd.contains("abcdef") && !cmd.contains("SESSIONTOKEN"));
        assert!(cmd.contains("-X POST https://example.test/"), "{cmd}");
    }

    #[test]
    fn curl_pipes_binary_bodies_and_suppresses_default_content_type() {
        let r = Redactor::new();
        let mut req = HttpRequest::raw(facts::ROTATE, vec![0xff, b'\n', 0, b'{']);
        req.remove_header("Content-Type");
        let cmd = curl_command(&req, "http://127.0.0.1:8080", Signing::AsRecorded, &r);
        assert!(cmd.starts_with("printf '\\377\\012\\000{' |"), "{cmd}");
        assert!(cmd.contains("--data-binary @-"));
        assert!(cmd.contains("-H Content-Type: "), "{cmd}");
        // The piped part reproduces the body exactly.
        let printf = cmd.split(" |").next().unwrap_or_default();
        assert_eq!(sh_output(printf), vec![0xff, b'\n', 0, b'{']);
    }

    #[test]
    fn curl_body_with_a_token_is_redacted() {
        let r = Redactor::new();
        r.add("tok-1234567");
        let req = HttpRequest::raw(facts::ROTATE, b"{\"tunnelId\":\"tok-1234567\"}".to_vec());
        let cmd = curl_command(&req, "http://127.0.0.1:1", Signing::AsRecorded, &r);
        assert!(!cmd.contains("tok-1234567") && cmd.contains("<redacted>"), "{cmd}");
    }

    #[test]
    fn numbers_print_like_flags() {
        assert_eq!(fmt_num(60.0), "60");
        assert_eq!(fmt_num(0.5), "0.5");
    }
}
