//! The model on hand-made answers: a faithful history passes, and each rule fails the history that
//! breaks it, under the check that holds the rule.

use serde_json::json;

use super::*;
use crate::checks::CheckId;
use crate::spec::facts;

const ARN: &str = "arn:aws:iot:us-east-1:123456789012:tunnel/t1";

fn ok(body: Value) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
        body: body.to_string().into_bytes(),
        truncated: false,
    }
}

fn err(status: u16, t: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), facts::CONTENT_TYPE.into())],
        body: json!({"__type": t, "message": "m"}).to_string().into_bytes(),
        truncated: false,
    }
}

/// The request the driver sends for each step (its body does not matter to the model).
fn sent(op: &str) -> HttpRequest {
    HttpRequest::json(op, &json!({}))
}

/// A model whose tunnel-minute lasts a minute.
fn model() -> LifecycleModel {
    LifecycleModel::new(60.0)
}

fn opened(model: &mut LifecycleModel, minutes: i64) {
    let resp =
        ok(json!({"tunnelId": "t1", "tunnelArn": ARN, "sourceAccessToken": "s0", "destinationAccessToken": "d0"}));
    model
        .open(minutes, None, BTreeMap::new(), &sent("OpenTunnel"), &resp)
        .unwrap();
}

impl LifecycleModel {
    fn rot(&mut self, i: Option<usize>, mode: ClientMode, config: Option<Value>, resp: &HttpResponse) -> Judged {
        self.rotate(i, mode, config, &sent(facts::ROTATE), resp)
    }

    fn desc(&mut self, i: Option<usize>, resp: &HttpResponse) -> Judged {
        self.describe(i, &sent("DescribeTunnel"), resp)
    }

    fn shut(&mut self, i: Option<usize>, delete: bool, resp: &HttpResponse) -> Judged {
        self.close(i, delete, &sent("CloseTunnel"), resp)
    }

    fn listed(&mut self, pages: &[HttpResponse], complete: bool, exclusive: bool) -> Judged {
        let pages: Vec<(HttpRequest, HttpResponse)> = pages.iter().map(|p| (sent("ListTunnels"), p.clone())).collect();
        self.list(&pages, complete, exclusive)
    }
}

fn described(status: &str, created: i64, minutes: i64) -> HttpResponse {
    ok(
        json!({"tunnel": {"tunnelId": "t1", "tunnelArn": ARN, "status": status, "createdAt": created,
        "timeoutConfig": {"maxLifetimeTimeoutMinutes": minutes}}}),
    )
}

fn rotated(source: &str) -> HttpResponse {
    ok(json!({"tunnelArn": ARN, "sourceAccessToken": source}))
}

#[test]
fn a_faithful_history_passes() {
    let mut m = model();
    opened(&mut m, 2);
    m.desc(Some(0), &described("OPEN", 100, 2)).unwrap();
    m.rot(Some(0), ClientMode::Source, None, &rotated("s1")).unwrap();
    m.advance(60.0);
    m.rot(Some(0), ClientMode::Source, None, &rotated("s2")).unwrap();
    m.desc(Some(0), &described("OPEN", 100, 2)).unwrap();
    m.advance(61.0);
    m.desc(Some(0), &described("CLOSED", 100, 2)).unwrap();
    m.rot(Some(0), ClientMode::All, None, &err(400, "InvalidRequestException"))
        .unwrap();
    m.shut(Some(0), true, &ok(json!({}))).unwrap();
    m.desc(Some(0), &err(400, "ResourceNotFoundException")).unwrap();
    m.listed(&[ok(json!({"tunnelSummaries": []}))], true, true).unwrap();
}

#[test]
fn a_recycled_token_is_caught() {
    let mut m = model();
    opened(&mut m, 10);
    m.rot(Some(0), ClientMode::Source, None, &rotated("s1")).unwrap();
    let e = m.rot(Some(0), ClientMode::Source, None, &rotated("s0")).unwrap_err();
    assert_eq!(e.check, CheckId::TOKEN_FRESH, "{e:?}");
    assert!(e.message.contains("repeats a token handed out before"), "{e:?}");
}

#[test]
fn a_reopened_tunnel_is_caught() {
    let mut m = model();
    opened(&mut m, 10);
    m.shut(Some(0), false, &ok(json!({}))).unwrap();
    // A 200 for rotating a CLOSED tunnel is only inferred to be wrong: accepted...
    m.rot(Some(0), ClientMode::Source, None, &rotated("s1")).unwrap();
    // ...but the tunnel must still read CLOSED.
    let e = m.desc(Some(0), &described("OPEN", 100, 10)).unwrap_err();
    assert_eq!(e.check, CheckId::CLOSED_TUNNEL, "{e:?}");
}

#[test]
fn a_hidden_extension_and_an_unenforced_expiry_are_caught() {
    let mut m = model();
    opened(&mut m, 1);
    m.advance(90.0);
    let e = m.desc(Some(0), &described("OPEN", 100, 1)).unwrap_err();
    assert_eq!(e.check, CheckId::DURATION_LIVE, "{e:?}");
}

#[test]
fn a_moved_created_at_and_a_reset_timeout_are_caught() {
    let mut m = model();
    opened(&mut m, 10);
    m.desc(Some(0), &described("OPEN", 100, 10)).unwrap();
    let e = m.desc(Some(0), &described("OPEN", 160, 10)).unwrap_err();
    assert_eq!(e.check, CheckId::DURATION_STATIC, "{e:?}");
    assert!(e.message.contains("createdAt changed"), "{e:?}");
    let e = m.desc(Some(0), &described("OPEN", 100, 720)).unwrap_err();
    assert_eq!(e.check, CheckId::DURATION_STATIC, "{e:?}");
    assert!(e.message.contains("maxLifetimeTimeoutMinutes"), "{e:?}");
}

#[test]
fn a_refused_source_rotation_must_not_store_its_destination_config() {
    let mut m = model();
    opened(&mut m, 10);
    let c = json!({"services": ["SSH"]});
    m.rot(
        Some(0),
        ClientMode::Source,
        Some(c.clone()),
        &err(400, "InvalidRequestException"),
    )
    .unwrap();
    let mut d = described("OPEN", 100, 10).body_json().unwrap();
    d["tunnel"]["destinationConfig"] = c;
    let e = m.desc(Some(0), &ok(d)).unwrap_err();
    assert_eq!(e.check, CheckId::SOURCE_DESTINATION_CONFIG, "{e:?}");
}

#[test]
fn wrong_token_sets_deleted_tunnels_and_lists_are_caught() {
    let mut m = model();
    opened(&mut m, 10);
    let both = ok(json!({"tunnelArn": ARN, "sourceAccessToken": "s1", "destinationAccessToken": "d1"}));
    let check = |r: Judged| r.unwrap_err().check;
    assert_eq!(
        check(m.rot(Some(0), ClientMode::Source, None, &both)),
        CheckId::TOKEN_SET
    );
    assert_eq!(
        check(m.rot(Some(0), ClientMode::Destination, None, &rotated("s2"))),
        CheckId::TOKEN_SET
    );
    let e = m.listed(&[ok(json!({"tunnelSummaries": []}))], true, true).unwrap_err();
    assert_eq!(e.check, CheckId::LISTING, "{e:?}");
    assert!(e.message.contains("missing"), "{e:?}");
    let refused = err(400, "ResourceNotFoundException");
    assert_eq!(
        check(m.desc(Some(0), &refused)),
        CheckId::LISTING,
        "an OPEN tunnel not shown"
    );
    m.shut(Some(0), true, &ok(json!({}))).unwrap();
    assert_eq!(
        check(m.desc(Some(0), &described("CLOSED", 100, 10))),
        CheckId::NOT_FOUND
    );
    assert_eq!(
        check(m.rot(None, ClientMode::All, None, &err(404, "ResourceNotFoundException"))),
        CheckId::NOT_FOUND
    );
}

#[test]
fn the_tags_listed_are_the_ones_set() {
    let mut m = model();
    opened(&mut m, 10);
    let tag = |m: &mut LifecycleModel, listed: &HttpResponse| {
        let (tr, lr) = (sent("TagResource"), sent("ListTagsForResource"));
        m.tag(Some(0), ("k0", "v1"), (&tr, &ok(json!({}))), (&lr, listed))
    };
    tag(&mut m, &ok(json!({"tags": [{"key": "k0", "value": "v1"}]}))).unwrap();
    let e = tag(&mut m, &ok(json!({}))).unwrap_err();
    assert_eq!(e.check, CheckId::TAGS, "{e:?}");
}

/// Regression: the faithful server forgets a closed tunnel exactly 3 hours after it closed ("at
/// least 3 hours"); the model called that a wrong ResourceNotFoundException (found by the
/// lifecycle target's 5-minute run).
#[test]
fn a_tunnel_closed_exactly_three_hours_ago_may_be_gone() {
    let mut m = model();
    opened(&mut m, 10);
    m.shut(Some(0), false, &ok(json!({}))).unwrap();
    m.advance(180.0 * 60.0);
    m.desc(Some(0), &err(400, "ResourceNotFoundException")).unwrap();
}

/// Regression: against a shared account (any real endpoint) ListTunnels also lists other people's
/// tunnels, and a walk cut short leaves ours unread; neither is a finding there.
#[test]
fn a_shared_account_lists_other_tunnels_and_a_cut_walk_misses_ours() {
    let mut m = model();
    opened(&mut m, 2);
    let foreign = ok(json!({"tunnelSummaries": [{"tunnelId": "someone-else", "status": "OPEN"}]}));
    m.listed(std::slice::from_ref(&foreign), false, false).unwrap();
    m.listed(std::slice::from_ref(&foreign), true, false).unwrap_err();
    let e = m.listed(&[foreign], true, true).unwrap_err();
    assert!(e.message.contains("never opened"), "{e:?}");
}

#[test]
fn the_expiry_slack_follows_the_endpoint_latency() {
    let mut m = model();
    opened(&mut m, 1);
    m.set_now(62.0);
    assert_eq!(m.status(&m.tunnels()[0]), ExpectedStatus::Closed);
    m.set_slack(5.0);
    assert_eq!(m.status(&m.tunnels()[0]), ExpectedStatus::Expiring);
    m.set_now(10.0);
    assert_eq!(
        m.status(&m.tunnels()[0]),
        ExpectedStatus::Expiring,
        "the clock never goes back"
    );
}

/// A model that saw `t1` opened (10 minutes), rotated once and described: what a campaign keeps.
fn kept() -> KeptTunnel {
    let mut m = model();
    opened(&mut m, 10);
    m.rot(Some(0), ClientMode::Source, None, &rotated("s1")).unwrap();
    m.desc(Some(0), &described("OPEN", 100, 10)).unwrap();
    m.advance(60.0);
    m.kept(0).expect("an OPEN tunnel with every property seen can be kept")
}

/// Guards reuse against missed findings: an adopted tunnel keeps its token history, createdAt and expiry.
#[test]
fn an_adopted_tunnel_is_judged_as_a_fresh_one_with_its_token_history() {
    let known = kept();
    let mut m = model();
    m.set_now(60.0);
    m.adopt(&known, &described("OPEN", 100, 10)).unwrap();
    // The token the rotation before the adoption replaced, coming back, is caught.
    let e = m.rot(Some(0), ClientMode::Source, None, &rotated("s0")).unwrap_err();
    assert_eq!(e.check, CheckId::TOKEN_FRESH, "{e:?}");
    let mut m = model();
    m.set_now(60.0);
    m.adopt(&known, &described("OPEN", 100, 10)).unwrap();
    m.rot(Some(0), ClientMode::Source, None, &rotated("s2")).unwrap();
    // createdAt and the lifetime are as they were seen before the adoption...
    let e = m.desc(Some(0), &described("OPEN", 160, 10)).unwrap_err();
    assert_eq!(e.check, CheckId::DURATION_STATIC, "{e:?}");
    m.desc(Some(0), &described("OPEN", 100, 10)).unwrap();
    // ...and so is the expiry: 10 minutes after the open, not after the adoption.
    m.advance(9.0 * 60.0 + 2.0);
    let e = m.desc(Some(0), &described("OPEN", 100, 10)).unwrap_err();
    assert_eq!(e.check, CheckId::DURATION_LIVE, "{e:?}");
}

/// Guards reuse against false findings: a tunnel not as it was left is not judged as if it were.
#[test]
fn a_tunnel_that_changed_since_it_was_kept_is_not_adopted() {
    let known = kept();
    for (answer, why) in [
        (described("CLOSED", 100, 10), "status CLOSED"),
        (described("OPEN", 160, 10), "createdAt"),
        (described("OPEN", 100, 720), "timeoutConfig"),
        (err(400, "ResourceNotFoundException"), "HTTP 400"),
    ] {
        let mut m = model();
        m.set_now(60.0);
        let e = m.adopt(&known, &answer).unwrap_err();
        assert!(e.contains(why), "{why}: {e}");
        assert!(m.tunnels().is_empty());
    }
    // Past its lifetime on the model's clock, it is not adopted either.
    let mut m = model();
    m.set_now(10.0 * 60.0);
    assert!(m.adopt(&known, &described("OPEN", 100, 10)).is_err());
}

/// Guards reuse against ambiguity: a tunnel whose createdAt or destinationConfig is not pinned is not kept.
#[test]
fn a_tunnel_is_kept_only_once_every_property_it_reports_is_pinned() {
    let mut m = model();
    opened(&mut m, 10);
    // createdAt not seen yet.
    assert!(m.kept(0).is_none());
    m.desc(Some(0), &described("OPEN", 100, 10)).unwrap();
    assert!(m.kept(0).is_some());
    // A DESTINATION rotation with a config may or may not replace it: unknown until described.
    let c = json!({"services": ["SSH"]});
    let rotated_dest = ok(json!({"tunnelArn": ARN, "destinationAccessToken": "d1"}));
    m.rot(Some(0), ClientMode::Destination, Some(c), &rotated_dest).unwrap();
    assert!(m.kept(0).is_none());
    m.desc(Some(0), &described("OPEN", 100, 10)).unwrap();
    assert!(m.kept(0).is_some());
    m.shut(Some(0), false, &ok(json!({}))).unwrap();
    assert!(m.kept(0).is_none());
}
