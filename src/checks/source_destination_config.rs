//! source-destination-config: SOURCE mode with a destinationConfig is refused with a 4xx, and the
//! tunnel is unchanged: DescribeTunnel before and after agree on status, createdAt, timeoutConfig
//! and destinationConfig (`lastUpdatedAt` is left open and ignored).
//!
//! On the data plane ([`check_data_plane`]): "nothing rotated" means the source token OpenTunnel
//! gave still connects after the refusal.

use serde_json::Value;

use super::data_plane::{is_not_run_of, not_run, observation, DataPlaneObservation, Handshake};
use super::{
    case_answer, expects, one, same_json, same_timestamp, show, step_expects, summary, About, Check, CheckId,
    CheckOutcome, Evidence, StepExpectation, TunnelObservation,
};
use crate::cases::Expectation;
use crate::spec::facts;
use crate::wire::HttpResponse;

impl CheckId {
    pub const SOURCE_DESTINATION_CONFIG: CheckId = CheckId::new("source-destination-config");
}

const ID: CheckId = CheckId::SOURCE_DESTINATION_CONFIG;

pub struct SourceDestinationConfig;

impl Check for SourceDestinationConfig {
    fn about(&self) -> About {
        About {
            id: ID,
            description: "SOURCE mode with a destinationConfig is refused with a 4xx and changes nothing",
            citation: facts::CITE_SOURCE_DEST_CONFIG,
            statements: &["api.source-config-refused", "proto.rotate.source-config-refused"],
        }
    }

    fn applies(&self, e: &Evidence) -> bool {
        expects(e, |x| matches!(x, Expectation::SourceWithDestinationConfig))
            || step_expects(e, StepExpectation::SourceWithDestinationConfig)
            || e.as_observed().is_some_and(|o| o.full)
            || matches!(
                observation(e),
                Some(DataPlaneObservation::SourceDestinationConfig { .. })
            )
            || is_not_run_of(e, ID)
    }

    fn judge(&self, e: &Evidence) -> Vec<CheckOutcome> {
        if let Some(o) = not_run(e, ID) {
            return o;
        }
        if let Some(s) = e.as_step() {
            return vec![refused(s.response)
                .unwrap_or_else(|| CheckOutcome::pass(ID, format!("refused ({})", summary(s.response))))];
        }
        if let Some(o) = e.as_observed() {
            return vec![check_reported(o)];
        }
        if let Some(DataPlaneObservation::SourceDestinationConfig { refusal, old_source }) = observation(e) {
            return vec![check_data_plane(refusal, old_source)];
        }
        one(case_answer(e, ID).map(|(c, resp)| check(resp, c.before, c.after)))
    }
}

/// The members of a DescribeTunnel `tunnel` that differ between `before` and `after`.
pub fn changed_members(before: &Value, after: &Value) -> Vec<String> {
    let mut changed = Vec::new();
    for member in ["status", "timeoutConfig", "destinationConfig"] {
        if !same_json(before.get(member), after.get(member)) {
            changed.push(format!(
                "{member}: {} -> {}",
                show(before.get(member)),
                show(after.get(member))
            ));
        }
    }
    if !same_timestamp(before.get("createdAt"), after.get("createdAt")) {
        changed.push(format!(
            "createdAt: {} -> {}",
            show(before.get("createdAt")),
            show(after.get("createdAt"))
        ));
    }
    changed
}

/// The failure when `resp` is not the refusal SOURCE + destinationConfig gets (a 4xx).
fn refused(resp: &HttpResponse) -> Option<CheckOutcome> {
    (!(400..500).contains(&resp.status)).then(|| {
        CheckOutcome::fail(ID, "SOURCE mode with a destinationConfig was not refused with a 4xx")
            .with("a 4xx error", summary(resp))
    })
}

/// `before`/`after`: the DescribeTunnel `tunnel` objects around the request (None: not readable).
pub fn check(resp: &HttpResponse, before: Option<&Value>, after: Option<&Value>) -> CheckOutcome {
    if let Some(failed) = refused(resp) {
        return failed;
    }
    let (Some(before), Some(after)) = (before, after) else {
        return CheckOutcome::error(
            ID,
            "refused, but DescribeTunnel could not be read to confirm nothing changed",
        );
    };
    let changed = changed_members(before, after);
    if changed.is_empty() {
        CheckOutcome::pass(ID, format!("refused ({}) and the tunnel is unchanged", summary(resp)))
    } else {
        CheckOutcome::fail(ID, "refused, but the tunnel changed").with("no change", changed.join("; "))
    }
}

/// A tunnel a lifecycle sequence described: its destinationConfig is one the sequence set (a
/// refused SOURCE rotation's never is; a DESTINATION or ALL rotation's may have replaced it).
pub fn check_reported(o: &TunnelObservation) -> CheckOutcome {
    let config = o.reported.get("destinationConfig").filter(|v| !v.is_null()).cloned();
    if o.expected.configs.contains(&config) {
        return CheckOutcome::pass(ID, format!("{}: destinationConfig as set", o.operation));
    }
    let shown = |c: &Option<Value>| c.as_ref().map_or("absent".into(), Value::to_string);
    let set: Vec<String> = o.expected.configs.iter().map(shown).collect();
    CheckOutcome::fail(
        ID,
        format!("{}: the destinationConfig is not one that was ever set", o.operation),
    )
    .with(set.join(" or "), shown(&config))
}

/// `refusal`: the answer to SOURCE + destinationConfig; `old_source`: the handshake with the
/// source token from OpenTunnel, after it.
pub fn check_data_plane(refusal: &HttpResponse, old_source: &Handshake) -> CheckOutcome {
    if !(400..500).contains(&refusal.status) {
        return CheckOutcome::skip(
            ID,
            "the request was not refused, so its tokens may have changed (judged above)",
        );
    }
    if old_source.status.is_none() {
        return CheckOutcome::error(ID, format!("the handshake got no answer: {}", old_source.line()));
    }
    if old_source.accepted() {
        CheckOutcome::pass(
            ID,
            "after the refusal the source token still connects (nothing was rotated)",
        )
    } else {
        CheckOutcome::fail(
            ID,
            "refused, but the source token no longer connects: it was rotated or revoked",
        )
        .with("HTTP 101 with the unchanged source token", old_source.line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testutil::json_response;
    use crate::checks::Status;
    use serde_json::json;

    fn tunnel() -> Value {
        json!({"status": "OPEN", "createdAt": 100, "timeoutConfig": {"maxLifetimeTimeoutMinutes": 720},
               "lastUpdatedAt": 100})
    }

    #[test]
    fn data_plane_old_source_token_must_still_connect() {
        use crate::checks::data_plane::testutil::{connected, refused};
        let r = json_response(400, r#"{"__type":"InvalidRequestException"}"#);
        assert_eq!(check_data_plane(&r, &connected("s")).status, Status::Pass);
        assert_eq!(check_data_plane(&r, &refused(400)).status, Status::Fail);
        let ok = json_response(200, "{}");
        assert_eq!(check_data_plane(&ok, &refused(400)).status, Status::Skip);
    }

    #[test]
    fn refused_and_unchanged_passes_even_if_last_updated_moves() {
        let mut after = tunnel();
        after["lastUpdatedAt"] = json!(200);
        after["createdAt"] = json!(100.0);
        let r = json_response(400, r#"{"__type":"InvalidRequestException"}"#);
        assert_eq!(check(&r, Some(&tunnel()), Some(&after)).status, Status::Pass);
    }

    #[test]
    fn accepted_or_state_change_fails() {
        let ok = json_response(200, r#"{"tunnelArn":"a"}"#);
        assert_eq!(check(&ok, Some(&tunnel()), Some(&tunnel())).status, Status::Fail);
        let mut after = tunnel();
        after["destinationConfig"] = json!({"services": ["SSH"]});
        let r = json_response(400, r#"{"__type":"InvalidRequestException"}"#);
        let o = check(&r, Some(&tunnel()), Some(&after));
        assert_eq!(o.status, Status::Fail);
        assert!(o.actual.unwrap().contains("destinationConfig"));
        assert_eq!(check(&r, None, Some(&after)).status, Status::Error);
    }
}
