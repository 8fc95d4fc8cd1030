//! Unit tests of the operations (`ops.rs`), under the faithful behaviour and under the faults and
//! variants whose effect shows in the tunnel's state. Kept beside `ops.rs` so that it names none.

use std::time::Duration;

use axum::http::StatusCode;

use super::*;
use crate::server::{Fault, ServerConfig, Variant};

fn state(faults: &[Fault], variants: &[Variant]) -> AppState {
    AppState::new(ServerConfig {
        faults: faults.to_vec(),
        variants: variants.to_vec(),
        max_tunnels: 3,
        ..Default::default()
    })
}

fn call_json(s: &AppState, op: Op, body: Value) -> Result<Value, ApiError> {
    call(s, op, body.to_string().as_bytes())
}

fn open(s: &AppState, minutes: i64) -> (String, Value) {
    let out = call_json(
        s,
        Op::OpenTunnel,
        json!({"timeoutConfig": {"maxLifetimeTimeoutMinutes": minutes}}),
    )
    .unwrap();
    (out["tunnelId"].as_str().unwrap().to_owned(), out)
}

fn describe(s: &AppState, id: &str) -> Value {
    call_json(s, Op::DescribeTunnel, json!({"tunnelId": id})).unwrap()["tunnel"].clone()
}

fn rotate_json(s: &AppState, id: &str, mode: &str) -> Result<Value, ApiError> {
    call_json(
        s,
        Op::RotateTunnelAccessToken,
        json!({"tunnelId": id, "clientMode": mode}),
    )
}

#[test]
fn lifetime_passes_on_the_scaled_clock_and_closed_tunnels_refuse_rotation() {
    let s = state(&[], &[]);
    let (id, _) = open(&s, 10);
    let before = describe(&s, &id);
    s.clock.advance(Duration::from_secs(5 * 60));
    rotate_json(&s, &id, "ALL").unwrap();
    let after = describe(&s, &id);
    assert_eq!(after["status"], "OPEN");
    assert_eq!(after["createdAt"], before["createdAt"]);
    assert_eq!(after["timeoutConfig"], before["timeoutConfig"]);
    s.clock.advance(Duration::from_secs(5 * 60 + 1));
    assert_eq!(
        describe(&s, &id)["status"],
        "CLOSED",
        "rotation did not extend the lifetime"
    );
    let err = rotate_json(&s, &id, "SOURCE").unwrap_err();
    assert_eq!(
        (err.status, err.error_type.as_str()),
        (StatusCode::BAD_REQUEST, "InvalidRequestException")
    );
    assert_eq!(describe(&s, &id)["status"], "CLOSED");
}

#[test]
fn closed_tunnels_are_kept_three_tunnel_hours_then_forgotten() {
    let s = state(&[], &[]);
    let (id, _) = open(&s, 1);
    s.clock.advance(Duration::from_secs(60 + 179 * 60));
    open(&s, 1);
    assert_eq!(describe(&s, &id)["status"], "CLOSED");
    s.clock.advance(Duration::from_secs(120));
    open(&s, 1);
    let err = call_json(&s, Op::DescribeTunnel, json!({"tunnelId": id})).unwrap_err();
    assert_eq!(err.error_type, "ResourceNotFoundException");
}

#[test]
fn tunnel_cap_refuses_with_limit_exceeded() {
    let s = state(&[], &[]);
    for _ in 0..3 {
        open(&s, 720);
    }
    let err = call_json(&s, Op::OpenTunnel, json!({})).unwrap_err();
    assert_eq!(
        (err.status, err.error_type.as_str()),
        (StatusCode::BAD_REQUEST, "LimitExceededException")
    );
}

#[test]
fn hidden_lifetime_extension_and_unenforced_expiry_keep_tunnels_open() {
    for fault in [Fault::ExtendLifetimeHidden, Fault::ExpiryNotEnforced] {
        let s = state(&[fault], &[]);
        let (id, _) = open(&s, 10);
        let created = describe(&s, &id)["createdAt"].clone();
        s.clock.advance(Duration::from_secs(9 * 60));
        rotate_json(&s, &id, "SOURCE").unwrap();
        s.clock.advance(Duration::from_secs(2 * 60));
        let t = describe(&s, &id);
        assert_eq!(
            (t["status"].as_str(), &t["createdAt"]),
            (Some("OPEN"), &created),
            "{fault}"
        );
    }
}

#[test]
fn visible_extension_timeout_reset_and_closing_show_in_describe() {
    let s = state(&[Fault::ExtendLifetimeVisible], &[]);
    let (id, _) = open(&s, 10);
    let created = describe(&s, &id)["createdAt"].as_f64().unwrap();
    s.clock.advance(Duration::from_secs(120));
    rotate_json(&s, &id, "SOURCE").unwrap();
    assert!(describe(&s, &id)["createdAt"].as_f64().unwrap() >= created + 119.0);

    let s = state(&[Fault::TimeoutReset], &[]);
    let (id, _) = open(&s, 10);
    rotate_json(&s, &id, "SOURCE").unwrap();
    assert_eq!(describe(&s, &id)["timeoutConfig"]["maxLifetimeTimeoutMinutes"], 720);

    let s = state(&[Fault::RotationClosesTunnel], &[]);
    let (id, _) = open(&s, 10);
    rotate_json(&s, &id, "SOURCE").unwrap();
    assert_eq!(describe(&s, &id)["status"], "CLOSED");
}

#[test]
fn rotation_moves_last_updated_at_unless_the_variant_says_otherwise() {
    for (variants, moves) in [(vec![], true), (vec![Variant::LastUpdatedUnchanged], false)] {
        let s = state(&[], &variants);
        let (id, _) = open(&s, 10);
        let before = describe(&s, &id)["lastUpdatedAt"].as_f64().unwrap();
        s.clock.advance(Duration::from_secs(5));
        rotate_json(&s, &id, "SOURCE").unwrap();
        let after = describe(&s, &id)["lastUpdatedAt"].as_f64().unwrap();
        assert_eq!(after > before, moves, "{variants:?}");
    }
}

#[test]
fn recycled_tokens_alternate_between_two_values() {
    let s = state(&[Fault::TokensRecycled], &[]);
    let (id, opened) = open(&s, 10);
    let first = rotate_json(&s, &id, "SOURCE").unwrap()["sourceAccessToken"].clone();
    let second = rotate_json(&s, &id, "SOURCE").unwrap()["sourceAccessToken"].clone();
    let third = rotate_json(&s, &id, "SOURCE").unwrap()["sourceAccessToken"].clone();
    assert_eq!(second, opened["sourceAccessToken"]);
    assert_eq!(third, first);
    assert_ne!(first, second);
}

#[test]
fn destination_rotation_replaces_the_destination_config() {
    let s = state(&[], &[]);
    let (id, _) = open(&s, 10);
    let cfg = json!({"thingName": "thing-1", "services": ["SSH"]});
    call_json(
        &s,
        Op::RotateTunnelAccessToken,
        json!({"tunnelId": id, "clientMode": "DESTINATION", "destinationConfig": cfg}),
    )
    .unwrap();
    assert_eq!(describe(&s, &id)["destinationConfig"], cfg);
    // The variant keeps the tunnel's (here: none) and still rotates.
    let kept = state(&[], &[Variant::DestinationConfigKept]);
    let (kept_id, _) = open(&kept, 10);
    let rotated = call_json(
        &kept,
        Op::RotateTunnelAccessToken,
        json!({"tunnelId": kept_id, "clientMode": "DESTINATION", "destinationConfig": cfg}),
    )
    .unwrap();
    assert!(rotated["destinationAccessToken"].is_string(), "{rotated}");
    assert_eq!(describe(&kept, &kept_id).get("destinationConfig"), None);
    let listed = call_json(&s, Op::ListTunnels, json!({"thingName": "thing-1"})).unwrap();
    assert_eq!(listed["tunnelSummaries"][0]["tunnelId"], json!(id));
    let listed = call_json(&s, Op::ListTunnels, json!({"thingName": "other"})).unwrap();
    assert_eq!(listed["tunnelSummaries"], json!([]));
}

#[test]
fn list_pages_newest_first_with_next_token() {
    let s = state(&[], &[Variant::ListPageSize1]);
    let ids: Vec<String> = (0..3).map(|_| open(&s, 10).0).collect();
    let mut seen = Vec::new();
    let mut token = Value::Null;
    loop {
        let page = call_json(&s, Op::ListTunnels, json!({"nextToken": token})).unwrap();
        let summaries = page["tunnelSummaries"].as_array().unwrap();
        assert_eq!(summaries.len(), 1);
        seen.push(summaries[0]["tunnelId"].as_str().unwrap().to_owned());
        token = page["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    assert_eq!(seen, ids.into_iter().rev().collect::<Vec<_>>());
    let err = call_json(&s, Op::ListTunnels, json!({"nextToken": "bogus"})).unwrap_err();
    assert_eq!(err.status, StatusCode::BAD_REQUEST);
}

#[test]
fn tags_round_trip_by_arn() {
    let s = state(&[], &[]);
    let (_, opened) = open(&s, 10);
    let arn = opened["tunnelArn"].as_str().unwrap();
    assert_eq!(
        call_json(&s, Op::ListTagsForResource, json!({"resourceArn": arn})).unwrap(),
        json!({})
    );
    let tags = json!([{"key": "a", "value": "1"}, {"key": "b", "value": ""}]);
    call_json(&s, Op::TagResource, json!({"resourceArn": arn, "tags": tags})).unwrap();
    call_json(&s, Op::UntagResource, json!({"resourceArn": arn, "tagKeys": ["a"]})).unwrap();
    let listed = call_json(&s, Op::ListTagsForResource, json!({"resourceArn": arn})).unwrap();
    assert_eq!(listed, json!({"tags": [{"key": "b", "value": ""}]}));
    let err = call_json(&s, Op::TagResource, json!({"resourceArn": "arn:nope", "tags": tags})).unwrap_err();
    assert_eq!(err.error_type, "ResourceNotFoundException");
}

/// Guards the layering of the server (issue 8): the faithful operations name no fault or variant;
/// they act only through the behaviour's open choices and the hook points.
#[test]
fn ops_rs_names_no_fault_or_variant() {
    let text = include_str!("ops.rs");
    for word in ["Fault", "Variant", "fault", "variant"] {
        assert!(!text.contains(word), "ops.rs mentions `{word}`");
    }
    for name in Fault::all()
        .iter()
        .map(|f| f.name())
        .chain(Variant::all().iter().map(|v| v.name()))
    {
        assert!(!text.contains(name), "ops.rs mentions `{name}`");
    }
}

/// Guards the hook order kept from the switches they replaced: faults act before variants, so a
/// reopening fault wins over the 409 variant, and the later variant's ids win.
#[test]
fn combined_faults_and_variants_keep_their_precedence() {
    let s = state(&[Fault::ClosedTunnelReopens], &[Variant::ClosedTunnel409Conflict]);
    let (id, _) = open(&s, 1);
    s.clock.advance(Duration::from_secs(61));
    assert_eq!(describe(&s, &id)["status"], "CLOSED");
    rotate_json(&s, &id, "ALL").unwrap();
    assert_eq!(describe(&s, &id)["status"], "OPEN");

    let s = state(&[], &[Variant::FullAlphabetIds, Variant::UuidIdsAndJwtTokens]);
    let (id, opened) = open(&s, 10);
    assert_eq!(id.chars().count(), 128);
    assert!(opened["sourceAccessToken"].as_str().unwrap().starts_with("eyJ"));
}
