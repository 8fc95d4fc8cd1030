//! Hand-written scenarios: `fixtures/cases/*.json` (embedded in the binary) and a user's directory
//! (`rotcheck run --fixtures DIR`). The format is documented in `fixtures/README.md` and defined by
//! `fixtures/cases.schema.json`, which every file is validated against before it is read; a bad
//! file is an error naming the file and the field (a JSON pointer).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::generate::is_safe_id;
use super::{Case, CaseKind, Expectation, TunnelState};
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// The fixture format's JSON Schema.
pub const SCHEMA_SOURCE: &str = include_str!("../../fixtures/cases.schema.json");

/// The fixture files shipped with rotcheck, embedded at compile time (a test keeps this list equal
/// to the directory's contents).
pub const EMBEDDED: &[(&str, &str)] = &[
    ("api-page.json", include_str!("../../fixtures/cases/api-page.json")),
    (
        "developer-guide.json",
        include_str!("../../fixtures/cases/developer-guide.json"),
    ),
    (
        "source-destination-config.json",
        include_str!("../../fixtures/cases/source-destination-config.json"),
    ),
    (
        "tunnel-states.json",
        include_str!("../../fixtures/cases/tunnel-states.json"),
    ),
    (
        "wire-format.json",
        include_str!("../../fixtures/cases/wire-format.json"),
    ),
];

/// Larger fixture files are refused rather than read into memory.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Headers the client sets itself (host, length, signature): a fixture may not set or remove them.
const CLIENT_HEADERS: [&str; 6] = [
    "host",
    "content-length",
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// One problem in a fixture file, at a JSON pointer into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// RFC 6901 pointer to the offending value; empty for the whole document.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "at {at}: {}", self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{}: {len} bytes, more than the {max}-byte limit for a fixture file", path.display())]
    TooLarge { path: PathBuf, len: u64, max: u64 },
    #[error("{file}: not valid JSON (line {line}, column {column}): {message}")]
    Json {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{file}: invalid fixture file: {}", list(issues))]
    Invalid { file: String, issues: Vec<Issue> },
    #[error("{}: no fixture files (*.json) in this directory", dir.display())]
    NoFixtures { dir: PathBuf },
}

fn list(issues: &[Issue]) -> String {
    const SHOWN: usize = 10;
    let mut s: Vec<String> = issues.iter().take(SHOWN).map(Issue::to_string).collect();
    if issues.len() > SHOWN {
        s.push(format!("and {} more", issues.len() - SHOWN));
    }
    s.join("; ")
}

/// The embedded fixtures (`fixtures/cases/*.json`).
pub fn embedded_fixtures() -> Result<Vec<Case>, FixtureError> {
    let mut out = Vec::new();
    for (name, text) in EMBEDDED {
        out.extend(parse_file(&format!("fixtures/cases/{name}"), name, text)?);
    }
    Ok(out)
}

/// Every `*.json` file of `dir` (not recursive), in file-name order.
pub fn load_fixtures(dir: &Path) -> Result<Vec<Case>, FixtureError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |error| FixtureError::Io { path, error }
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(FixtureError::NoFixtures { dir: dir.to_path_buf() });
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let len = std::fs::metadata(&path).map_err(io(&path))?.len();
        if len > MAX_FILE_BYTES {
            return Err(FixtureError::TooLarge {
                path,
                len,
                max: MAX_FILE_BYTES,
            });
        }
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.extend(parse_file(&path.display().to_string(), &file_name, &text)?);
    }
    Ok(out)
}

/// Parse one fixture file. `file` names it in errors; `file_name` (`x.json`) gives the id segment.
pub fn parse_file(file: &str, file_name: &str, text: &str) -> Result<Vec<Case>, FixtureError> {
    let invalid = |issues: Vec<Issue>| FixtureError::Invalid {
        file: file.to_owned(),
        issues,
    };
    let stem = file_name.strip_suffix(".json").unwrap_or(file_name);
    if stem.starts_with('.') || !is_safe_id(stem) || stem.contains('/') {
        return Err(invalid(vec![Issue {
            pointer: String::new(),
            message: format!("file name {file_name:?} cannot be part of a case id: use letters, digits and `_ . -`"),
        }]));
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| FixtureError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let issues = schema_issues(&doc);
    if !issues.is_empty() {
        return Err(invalid(issues));
    }
    let parsed: FixtureFile = serde_json::from_value(doc.clone()).map_err(|e| {
        invalid(vec![Issue {
            pointer: String::new(),
            message: e.to_string(),
        }])
    })?;
    let mut issues = Vec::new();
    let mut seen = BTreeMap::new();
    let mut cases = Vec::new();
    for (i, fc) in parsed.cases.into_iter().enumerate() {
        let at = |rest: &str| format!("/cases/{i}{rest}");
        if let Some(first) = seen.insert(fc.name.clone(), i) {
            issues.push(Issue {
                pointer: at("/name"),
                message: format!("name {:?} is already used by /cases/{first}", fc.name),
            });
        }
        let raw_request = &doc["cases"][i]["request"];
        match build_case(stem, fc, raw_request) {
            Ok(case) => cases.push(case),
            Err(mut found) => {
                for issue in &mut found {
                    issue.pointer = at(&issue.pointer);
                }
                issues.extend(found);
            }
        }
    }
    if issues.is_empty() {
        Ok(cases)
    } else {
        Err(invalid(issues))
    }
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema: Value = serde_json::from_str(SCHEMA_SOURCE).expect("embedded fixture schema is JSON (tested)");
        jsonschema::validator_for(&schema).expect("embedded fixture schema compiles (tested)")
    })
}

fn schema_issues(doc: &Value) -> Vec<Issue> {
    validator()
        .iter_errors(doc)
        .map(|e| {
            use jsonschema::error::ValidationErrorKind as Kind;
            // The schema's own words where they are clear; the format's where they are not. The
            // full message quotes the offending value; a long one (a raw body) is masked.
            let full = e.to_string();
            let message = match e.kind() {
                Kind::FalseSchema => "not allowed here (see fixtures/README.md for what goes where)".to_owned(),
                // The schema's only oneOf: a request's body.
                Kind::OneOfMultipleValid { .. } | Kind::OneOfNotValid { .. } => {
                    "give exactly one of `body` and `rawBody`".to_owned()
                }
                _ if full.chars().count() <= 200 => full,
                _ => e.masked().to_string(),
            };
            Issue {
                pointer: e.instance_path().to_string(),
                message,
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    #[serde(rename = "$schema")]
    _schema: Option<String>,
    #[serde(rename = "description")]
    _description: Option<String>,
    cases: Vec<FixtureCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureCase {
    name: String,
    description: String,
    #[serde(default)]
    tunnel: Option<FixtureTunnel>,
    request: FixtureRequest,
    expect: FixtureExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixtureTunnel {
    state: String,
    destination_config: Option<Value>,
    id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FixtureRequest {
    operation: Option<String>,
    method: Option<String>,
    /// Read from the raw document instead (so that `"body": null` is a body).
    #[serde(rename = "body")]
    _body: Option<Value>,
    raw_body: Option<String>,
    #[serde(default)]
    headers: serde_json::Map<String, Value>,
    #[serde(default)]
    remove_headers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureExpect {
    outcome: String,
    mode: Option<ClientMode>,
}

fn issue(pointer: impl Into<String>, message: impl Into<String>) -> Issue {
    Issue {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// RFC 6901 escaping of one pointer segment.
fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// The case, or the issues found (pointers relative to the case).
fn build_case(stem: &str, fc: FixtureCase, raw_request: &Value) -> Result<Case, Vec<Issue>> {
    let mut issues = Vec::new();
    let tunnel = tunnel_state(fc.tunnel, &mut issues);
    let expect = expectation(&fc.expect, &mut issues);
    check_state_fits(&expect, &tunnel, &fc.expect.outcome, &mut issues);
    let request = request(fc.request, raw_request, &expect, &mut issues);
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Case {
        id: format!("fixture/{stem}/{}", fc.name),
        kind: CaseKind::Fixture,
        description: fc.description,
        tunnel,
        request,
        expect,
        operator: None,
    })
}

/// The fixture's tunnel (OPEN when it names none).
fn tunnel_state(tunnel: Option<FixtureTunnel>, issues: &mut Vec<Issue>) -> TunnelState {
    let Some(t) = tunnel else {
        return TunnelState::Open {
            destination_config: None,
        };
    };
    match (t.state.as_str(), t.id) {
        ("open", _) => TunnelState::Open {
            destination_config: t.destination_config,
        },
        ("closed", _) => TunnelState::Closed,
        ("unknown", Some(id)) => TunnelState::Unknown { id },
        ("none", _) => TunnelState::None,
        (other, _) => {
            issues.push(issue("/tunnel/state", format!("unknown tunnel state {other:?}")));
            TunnelState::None
        }
    }
}

fn expectation(expect: &FixtureExpect, issues: &mut Vec<Issue>) -> Expectation {
    match (expect.outcome.as_str(), expect.mode) {
        ("success", Some(mode)) => Expectation::Success { mode },
        ("not-found", None) => Expectation::NotFound,
        ("invalid", None) => Expectation::Invalid,
        ("source-with-destination-config", None) => Expectation::SourceWithDestinationConfig,
        ("closed-tunnel", None) => Expectation::ClosedTunnel,
        ("any-non5xx", mode) => Expectation::AnyNon5xx { mode },
        (other, _) => {
            issues.push(issue(
                "/expect",
                format!("outcome {other:?} with this mode is not an expectation"),
            ));
            Expectation::Invalid
        }
    }
}

/// An expectation that cannot hold for the tunnel's state is a mistake in the fixture.
fn check_state_fits(expect: &Expectation, tunnel: &TunnelState, outcome: &str, issues: &mut Vec<Issue>) {
    let needs = match expect {
        Expectation::Success { .. } | Expectation::SourceWithDestinationConfig => Some("open"),
        Expectation::ClosedTunnel => Some("closed"),
        Expectation::NotFound => Some("unknown"),
        _ => None,
    };
    let state = match tunnel {
        TunnelState::Open { .. } => "open",
        TunnelState::Closed => "closed",
        TunnelState::Unknown { .. } => "unknown",
        TunnelState::None => "none",
    };
    if let Some(needed) = needs {
        let ok = state == needed || (needed == "unknown" && state == "none");
        if !ok {
            issues.push(issue(
                "/expect/outcome",
                format!("outcome {outcome:?} needs a tunnel in state {needed:?}, not {state:?}"),
            ));
        }
    }
}

/// The fixture's request: its body (`body` or `rawBody`), method and headers, checked against
/// the expectation's mode and the headers the client sets itself.
fn request(req: FixtureRequest, raw_request: &Value, expect: &Expectation, issues: &mut Vec<Issue>) -> HttpRequest {
    let operation = req.operation.unwrap_or_else(|| facts::ROTATE.to_owned());
    let body = match (raw_request.get("body"), req.raw_body) {
        (Some(v), None) => serde_json::to_vec(v).unwrap_or_default(),
        (None, Some(raw)) => raw.into_bytes(),
        _ => {
            issues.push(issue("/request", "give exactly one of `body` and `rawBody`"));
            Vec::new()
        }
    };
    // A success or an open-ended answer with a mode must match the mode the body asks for.
    if let Some(mode) = expected_mode(expect) {
        let asked = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|b| b.get("clientMode").and_then(Value::as_str).map(str::to_owned));
        if let Some(asked) = asked.filter(|a| ClientMode::parse(a).is_some_and(|m| m != mode)) {
            issues.push(issue(
                "/expect/mode",
                format!("mode {mode} differs from the body's clientMode {asked}"),
            ));
        }
    }
    let mut request = HttpRequest::raw(&operation, body);
    if let Some(m) = req.method {
        request.method = m;
    }
    for (i, name) in req.remove_headers.iter().enumerate() {
        if is_client_header(name) {
            issues.push(issue(
                format!("/request/removeHeaders/{i}"),
                format!("{name} is set by the client and cannot be removed"),
            ));
        }
        request.remove_header(name);
    }
    for (name, value) in &req.headers {
        let at = format!("/request/headers/{}", pointer_segment(name));
        if is_client_header(name) {
            issues.push(issue(
                &at,
                format!("{name} is set by the client and cannot be overridden"),
            ));
        }
        match value.as_str() {
            Some(v) => request.set_header(name, v),
            None => issues.push(issue(&at, "header values are strings")),
        }
    }
    request
}

fn expected_mode(e: &Expectation) -> Option<ClientMode> {
    match e {
        Expectation::Success { mode } => Some(*mode),
        Expectation::AnyNon5xx { mode } => *mode,
        _ => None,
    }
}

fn is_client_header(name: &str) -> bool {
    CLIENT_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::constraints::{self as c, StringRule};
    use crate::spec::{model, model::anchored};

    fn parse(text: &str) -> Result<Vec<Case>, FixtureError> {
        parse_file("t.json", "t.json", text)
    }

    fn issues(text: &str) -> Vec<Issue> {
        match parse(text) {
            Err(FixtureError::Invalid { issues, .. }) => issues,
            other => panic!("expected an invalid fixture, got {other:?}"),
        }
    }

    const OK_CASE: &str = r#"{"name": "a", "description": "d",
        "request": {"body": {"tunnelId": "{{tunnelId}}", "clientMode": "ALL"}},
        "expect": {"outcome": "success", "mode": "ALL"}}"#;

    #[test]
    fn embedded_fixtures_load_and_match_the_directory() {
        let cases = embedded_fixtures().unwrap();
        assert!(cases.len() >= 8, "{}", cases.len());
        assert!(cases
            .iter()
            .all(|c| c.kind == CaseKind::Fixture && c.id.starts_with("fixture/")));
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/cases");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| (*n).to_owned()).collect();
        assert_eq!(on_disk, embedded, "add new fixture files to EMBEDDED");
        assert_eq!(load_fixtures(&dir).unwrap(), cases);
    }

    #[test]
    fn schema_patterns_are_the_models() {
        let schema: Value = serde_json::from_str(SCHEMA_SOURCE).unwrap();
        let defs = &schema["$defs"];
        let tid = model().shape("TunnelId").unwrap().string_constraints().unwrap();
        assert_eq!(defs["tunnelId"]["pattern"], anchored(tid.pattern.as_deref().unwrap()));
        let svc = StringRule::service();
        let dc = &defs["destinationConfig"]["properties"];
        let service = c::list_member(c::service_list_shape()).string_constraints().unwrap();
        assert_eq!(
            dc["services"]["items"]["pattern"],
            anchored(service.pattern.as_deref().unwrap())
        );
        assert_eq!(dc["services"]["items"]["maxLength"], svc.max);
        assert_eq!(dc["services"]["minItems"], c::services_min());
        let thing = StringRule::thing_name();
        assert_eq!(dc["thingName"]["maxLength"], thing.max);
        let modes: Vec<String> = c::enum_values();
        assert_eq!(defs["expect"]["properties"]["mode"]["enum"], serde_json::json!(modes));
    }

    #[test]
    fn a_minimal_case_gets_defaults() {
        let cases = parse(&format!(r#"{{"cases": [{OK_CASE}]}}"#)).unwrap();
        let c = &cases[0];
        assert_eq!(c.id, "fixture/t/a");
        assert_eq!(c.request.method, "POST");
        assert_eq!(
            c.request.header("X-Amz-Target"),
            Some("IoTSecuredTunneling.RotateTunnelAccessToken")
        );
        assert_eq!(c.request.header("Content-Type"), Some(facts::CONTENT_TYPE));
        assert_eq!(
            c.tunnel,
            TunnelState::Open {
                destination_config: None
            }
        );
        assert_eq!(c.expect, Expectation::Success { mode: ClientMode::All });
    }

    #[test]
    fn headers_raw_body_and_null_body() {
        let text = r#"{"cases": [
          {"name": "raw", "description": "d", "tunnel": {"state": "none"},
           "request": {"rawBody": "{\"tunnelId\": ", "method": "GET", "headers": {"Content-Type": "text/plain"},
                       "removeHeaders": ["x-amz-target"]},
           "expect": {"outcome": "any-non5xx"}},
          {"name": "null", "description": "d", "request": {"body": null}, "expect": {"outcome": "invalid"}}]}"#;
        let cases = parse(text).unwrap();
        assert_eq!(cases[0].request.body, b"{\"tunnelId\": ");
        assert_eq!(cases[0].request.method, "GET");
        assert_eq!(cases[0].request.header("content-type"), Some("text/plain"));
        assert_eq!(cases[0].request.header("x-amz-target"), None);
        assert_eq!(cases[1].request.body, b"null");
    }

    #[test]
    fn outcomes_are_the_expectations_serde_names() {
        let all = [
            Expectation::Success {
                mode: ClientMode::Source,
            },
            Expectation::NotFound,
            Expectation::Invalid,
            Expectation::SourceWithDestinationConfig,
            Expectation::ClosedTunnel,
            Expectation::AnyNon5xx { mode: None },
            Expectation::AnyNon5xx {
                mode: Some(ClientMode::All),
            },
        ];
        for e in all {
            let mut expect = serde_json::to_value(&e).unwrap();
            let outcome = expect["expect"].take();
            let mut fixture = serde_json::json!({"outcome": outcome});
            if let Some(mode) = expect.get("mode") {
                fixture["mode"] = mode.clone();
            }
            let tunnel = match e {
                Expectation::NotFound => serde_json::json!({"state": "unknown", "id": "x"}),
                Expectation::ClosedTunnel => serde_json::json!({"state": "closed"}),
                _ => serde_json::json!({"state": "open"}),
            };
            let body = serde_json::json!({"tunnelId": "{{tunnelId}}", "clientMode": "SOURCE"});
            let text = serde_json::json!({"cases": [{"name": "a", "description": "d", "tunnel": tunnel,
                "request": {"body": body}, "expect": fixture}]});
            let body_mode_ok = !matches!(e, Expectation::AnyNon5xx { mode: Some(_) });
            match parse(&text.to_string()) {
                Ok(cases) => assert_eq!(cases[0].expect, e),
                Err(err) => assert!(!body_mode_ok, "{e:?}: {err}"),
            }
        }
    }

    #[test]
    fn bad_json_names_file_line_and_column() {
        let err = parse("{\"cases\": [\n  {\"name\": }\n]}").unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, FixtureError::Json { line: 2, .. }), "{err:?}");
        assert!(msg.starts_with("t.json: not valid JSON (line 2"), "{msg}");
    }

    #[test]
    fn schema_errors_name_file_and_pointer() {
        let text = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {}}, "expect": {"outcome": "sucess", "mode": "ALL"}}]}"#;
        let found = issues(text);
        assert!(
            found.iter().any(|i| i.pointer == "/cases/0/expect/outcome"),
            "{found:?}"
        );
        let msg = parse(text).unwrap_err().to_string();
        assert!(
            msg.starts_with("t.json: invalid fixture file: at /cases/0/expect/outcome"),
            "{msg}"
        );
        assert!(msg.contains("sucess"), "{msg}");

        let missing_mode = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {}}, "expect": {"outcome": "success"}}]}"#;
        assert!(issues(missing_mode).iter().any(|i| i.pointer == "/cases/0/expect"));

        let bad_id = r#"{"cases": [{"name": "a", "description": "d", "tunnel": {"state": "unknown", "id": "a/b"},
            "request": {"body": {}}, "expect": {"outcome": "not-found"}}]}"#;
        assert!(issues(bad_id).iter().any(|i| i.pointer == "/cases/0/tunnel/id"));

        let both = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {}, "rawBody": "x"}, "expect": {"outcome": "invalid"}}]}"#;
        let found = issues(both);
        assert_eq!(found[0].pointer, "/cases/0/request");
        assert!(
            found[0].message.contains("exactly one of `body` and `rawBody`"),
            "{found:?}"
        );

        let mode_on_invalid = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {}}, "expect": {"outcome": "invalid", "mode": "ALL"}}]}"#;
        let found = issues(mode_on_invalid);
        assert_eq!(found[0].pointer, "/cases/0/expect/mode");
        assert!(found[0].message.starts_with("not allowed here"), "{found:?}");

        let unknown_field = r#"{"cases": [{"name": "a b", "description": "d", "extra": 1,
            "request": {"body": {}}, "expect": {"outcome": "invalid"}}]}"#;
        let found = issues(unknown_field);
        assert!(found.iter().any(|i| i.pointer == "/cases/0/name"), "{found:?}");
        assert!(
            found
                .iter()
                .any(|i| i.pointer == "/cases/0" && i.message.contains("extra")),
            "{found:?}"
        );
    }

    #[test]
    fn semantic_errors_name_the_field() {
        let dup = format!(r#"{{"cases": [{OK_CASE}, {OK_CASE}]}}"#);
        let found = issues(&dup);
        assert_eq!(found[0].pointer, "/cases/1/name");

        let closed_success = r#"{"cases": [{"name": "a", "description": "d", "tunnel": {"state": "closed"},
            "request": {"body": {}}, "expect": {"outcome": "success", "mode": "ALL"}}]}"#;
        assert_eq!(issues(closed_success)[0].pointer, "/cases/0/expect/outcome");

        let mode_mismatch = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {"tunnelId": "{{tunnelId}}", "clientMode": "SOURCE"}},
            "expect": {"outcome": "success", "mode": "ALL"}}]}"#;
        assert_eq!(issues(mode_mismatch)[0].pointer, "/cases/0/expect/mode");

        let host = r#"{"cases": [{"name": "a", "description": "d",
            "request": {"body": {}, "headers": {"Host": "x"}}, "expect": {"outcome": "invalid"}}]}"#;
        let found = issues(host);
        assert_eq!(found[0].pointer, "/cases/0/request/headers/Host");
        assert!(found[0].message.contains("set by the client"));
    }

    #[test]
    fn unsafe_file_names_are_refused() {
        let text = format!(r#"{{"cases": [{OK_CASE}]}}"#);
        let err = parse_file("dir/a b.json", "a b.json", &text).unwrap_err();
        assert!(
            err.to_string().starts_with("dir/a b.json: invalid fixture file"),
            "{err}"
        );
    }
}
