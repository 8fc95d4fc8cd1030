//! The runner against servers with one fault each: it fails exactly the check for that fault, and
//! passes the conformant server.

mod common;

use std::sync::Arc;

use common::{cases, Fault, HttpTransport, TestServer};
use rotcheck::checks::CheckId;
use rotcheck::runner::data_plane_scenarios::DATA_PLANE_ONLY;
use rotcheck::runner::{never_cancel, run, NoProgress, RunConfig, RunResult, Status};

async fn run_against(fault: Fault) -> (RunResult, TestServer) {
    let server = TestServer::start(fault, 1.0).await;
    let transport = Arc::new(HttpTransport::new(&server.url));
    let config = RunConfig {
        concurrency: 3,
        ..RunConfig::default()
    };
    let result = run(transport, cases(), &config, &NoProgress, never_cancel()).await;
    (result, server)
}

async fn assert_only(fault: Fault, expected: &[CheckId]) {
    let (result, server) = run_against(fault).await;
    assert_eq!(result.failed_checks(), expected, "{fault:?}: {:#?}", failures(&result));
    assert_eq!(result.exit_code(), 1, "{fault:?}");
    assert!(result.harness_errors.is_empty(), "{:?}", result.harness_errors);
    assert_eq!(server.tunnel_count(), 0, "cleanup deletes every tunnel");
}

fn failures(result: &RunResult) -> Vec<String> {
    result
        .cases
        .iter()
        .flat_map(|c| c.outcomes.iter().map(move |o| (c, o)))
        .filter(|(_, o)| matches!(o.status, Status::Fail | Status::Error))
        .map(|(c, o)| {
            format!(
                "{} {} {:?}: {} ({:?} / {:?})",
                c.id, o.check, o.status, o.message, o.expected, o.actual
            )
        })
        .collect()
}

#[tokio::test]
async fn conformant_server_passes_every_check() {
    let (result, server) = run_against(Fault::None).await;
    assert_eq!(
        result.exit_code(),
        0,
        "{:#?} {:?}",
        failures(&result),
        result.harness_errors
    );
    let tally = result.tally();
    for (id, t) in &tally {
        // This test server has no data plane: its checks are skipped, never passed; no run
        // judges what only a lifecycle sequence shows.
        if *id == CheckId::DURATION_LIVE || DATA_PLANE_ONLY.contains(id) || id.sequences_only() {
            assert_eq!(t.pass + t.fail + t.error, 0);
        } else {
            assert!(t.pass > 0, "{id} was never exercised");
        }
    }
    assert!(result.skipped_checks.iter().any(|s| s.check == CheckId::DURATION_LIVE));
    for id in DATA_PLANE_ONLY {
        assert!(result.skipped_checks.iter().any(|s| s.check == id), "{id} skipped");
    }
    assert_eq!(server.tunnel_count(), 0, "cleanup deletes every tunnel");
    // Pooling: far fewer tunnels than cases.
    let opened = result
        .cases
        .iter()
        .flat_map(|c| &c.exchanges)
        .filter(|x| x.request.operation() == Some("OpenTunnel"))
        .count();
    assert!(
        opened <= 3 * 3,
        "{opened} tunnels opened for {} cases",
        result.cases.len()
    );
    // Every token the server issued is known to the run's redactor.
    for token in server.issued_tokens() {
        assert_eq!(result.redactor.scrub(&token), "<redacted>");
    }
}

#[tokio::test]
async fn left_open_outcomes_are_never_flagged() {
    let (result, _server) = run_against(Fault::None).await;
    let get = result.cases.iter().find(|c| c.id == "left-open/get").unwrap();
    assert_eq!(
        get.response.as_ref().unwrap().status,
        405,
        "axum refuses GET without a JSON body"
    );
    assert!(get.outcomes.iter().all(|o| o.check != CheckId::ERROR_SHAPE));
    assert_eq!(get.worst(), Status::Pass);
}

#[tokio::test]
async fn not_found_with_404_fails_not_found() {
    assert_only(Fault::NotFound404, &[CheckId::NOT_FOUND]).await;
}

#[tokio::test]
async fn accepting_source_with_destination_config_fails_that_check() {
    assert_only(Fault::AcceptSourceWithConfig, &[CheckId::SOURCE_DESTINATION_CONFIG]).await;
}

#[tokio::test]
async fn resetting_created_at_fails_duration_static() {
    assert_only(Fault::ResetCreatedAtOnRotation, &[CheckId::DURATION_STATIC]).await;
}

#[tokio::test]
async fn quietly_extending_expiry_passes_without_the_live_scenario() {
    let (result, _server) = run_against(Fault::ExtendExpiryOnRotation).await;
    assert_eq!(
        result.exit_code(),
        0,
        "only duration-live can see it: {:#?}",
        failures(&result)
    );
}

#[tokio::test]
async fn reopening_a_closed_tunnel_fails_closed_tunnel() {
    assert_only(Fault::ReopenClosedOnRotation, &[CheckId::CLOSED_TUNNEL]).await;
}

#[tokio::test]
async fn both_tokens_for_source_fails_token_set() {
    assert_only(Fault::BothTokensForSource, &[CheckId::TOKEN_SET]).await;
}

#[tokio::test]
async fn reused_token_fails_token_fresh() {
    assert_only(Fault::ReuseSourceToken, &[CheckId::TOKEN_FRESH]).await;
}

#[tokio::test]
async fn wrong_arn_fails_tunnel_arn() {
    assert_only(Fault::WrongArn, &[CheckId::TUNNEL_ARN]).await;
}

#[tokio::test]
async fn accepting_a_bad_client_mode_fails_invalid_rejected() {
    assert_only(Fault::AcceptBadClientMode, &[CheckId::INVALID_REJECTED]).await;
}

#[tokio::test]
async fn string_timestamps_fail_describe_shape() {
    let (result, _server) = run_against(Fault::IsoTimestamps).await;
    assert!(
        result.failed_checks().contains(&CheckId::DESCRIBE_SHAPE),
        "{:#?}",
        failures(&result)
    );
    assert_eq!(result.exit_code(), 1);
}

#[tokio::test]
async fn a_500_on_malformed_json_fails_no_5xx() {
    let (result, _server) = run_against(Fault::CrashOnMalformedJson).await;
    let failed = result.failed_checks();
    assert!(failed.contains(&CheckId::NO_5XX), "{:#?}", failures(&result));
    assert!(failed
        .iter()
        .all(|c| matches!(*c, CheckId::NO_5XX | CheckId::INVALID_REJECTED | CheckId::ERROR_SHAPE)));
}

#[tokio::test]
async fn text_content_type_fails_response_schema() {
    assert_only(Fault::TextContentType, &[CheckId::RESPONSE_SCHEMA]).await;
}

#[tokio::test]
async fn typeless_text_errors_fail_error_shape() {
    let (result, _server) = run_against(Fault::TextErrors).await;
    let failed = result.failed_checks();
    assert!(failed.contains(&CheckId::ERROR_SHAPE), "{:#?}", failures(&result));
    assert!(failed.contains(&CheckId::NOT_FOUND));
    assert!(
        !failed.contains(&CheckId::CLOSED_TUNNEL),
        "the refusal's shape is not closed-tunnel's concern"
    );
}
