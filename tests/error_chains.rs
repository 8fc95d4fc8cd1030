//! Every error that wraps another prints its cause once, as the CLI prints errors (anyhow's
//! `{:#}`: the message, then each `source()`): a variant shows its cause in its message or
//! returns it from `source()`, never both.

use std::path::Path;
use std::sync::Arc;

use rotcheck::client::TransportError;
use rotcheck::runner::SetupError;
use rotcheck::server::ServerError;
use rotcheck::target::EmbeddedError;

/// What `main` prints for an error that reached it with `context`.
fn printed<E: std::error::Error + Send + Sync + 'static>(e: E) -> String {
    format!("{:#}", anyhow::Error::new(e).context("context"))
}

fn assert_once(printed: &str, cause: &str) {
    assert_eq!(printed.matches(cause).count(), 1, "{cause:?} once in: {printed}");
}

/// A path whose parent is a file: creating it fails (ENOTDIR or EEXIST, by platform).
fn under_a_file(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("file");
    std::fs::write(&file, "x").expect("write");
    file.join("x.xml")
}

/// Regression: `rotcheck run --junit /etc/passwd/x.xml` ended with
/// "File exists (os error 17): File exists (os error 17)".
#[test]
fn a_report_that_cannot_be_written_names_its_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = rotcheck::report::write_file(&under_a_file(dir.path()), b"<x/>").unwrap_err();
    let text = printed(err);
    assert!(text.contains("cannot write the report to"), "{text}");
    assert_once(&text, "os error");
}

#[test]
fn file_errors_of_the_other_modules_name_their_cause_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.json");
    assert_once(&printed(rotcheck::baseline::load(&missing).unwrap_err()), "os error");
    let schema_dir = under_a_file(dir.path());
    assert_once(
        &printed(rotcheck::spec::schema::write_all(&schema_dir).unwrap_err()),
        "os error",
    );
    assert_once(
        &printed(rotcheck::cases::load_fixtures(&missing).unwrap_err()),
        "os error",
    );
    let json = printed(rotcheck::parity::Recording::parse("{").unwrap_err());
    assert_once(&json, "EOF while parsing");
}

#[test]
fn wrapped_setup_and_startup_errors_name_their_cause_once() {
    let bind = || ServerError::Bind {
        addr: "127.0.0.1:1".parse().expect("addr"),
        error: std::io::Error::other("address on fire"),
    };
    assert_once(&printed(bind()), "address on fire");
    assert_once(&printed(EmbeddedError::from(bind())), "address on fire");
    let no_answer = SetupError::NoAnswer {
        operation: "OpenTunnel".into(),
        source: Arc::new(TransportError::Refused {
            endpoint: "http://127.0.0.1:1/".into(),
            detail: "tcp connect error".into(),
        }),
    };
    let text = printed(no_answer);
    assert!(text.starts_with("context: OpenTunnel: connection refused"), "{text}");
    assert_once(&text, "tcp connect error");
}
