//! The eight operations. Each takes the parsed, validated request body and returns the response
//! body. Input validation is the spec module's (`validate_input`); the fault and variant hooks
//! here are small switches on the one implementation.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::dataplane;
use super::errors::ApiError;
use super::faults::Fault;
use super::store::{self, Side, StoreError, Tunnel, CLOSED_RETENTION_MINUTES, DEFAULT_LIFETIME_MINUTES};
use super::variants::Variant;
use super::AppState;
use crate::secret::SecretString;
use crate::spec::facts::{ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::spec::{self, model, InputError, ShapeKind};

/// The model's maximum tags per TagList, applied to a tunnel's merged tags too.
const MAX_TAGS: usize = 200;
const DEFAULT_PAGE_SIZE: usize = 100;
const NEXT_TOKEN_PREFIX: &str = "v1-";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    OpenTunnel,
    DescribeTunnel,
    CloseTunnel,
    ListTunnels,
    RotateTunnelAccessToken,
    TagResource,
    UntagResource,
    ListTagsForResource,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::OpenTunnel,
        Op::DescribeTunnel,
        Op::CloseTunnel,
        Op::ListTunnels,
        Op::RotateTunnelAccessToken,
        Op::TagResource,
        Op::UntagResource,
        Op::ListTagsForResource,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::OpenTunnel => "OpenTunnel",
            Op::DescribeTunnel => "DescribeTunnel",
            Op::CloseTunnel => "CloseTunnel",
            Op::ListTunnels => "ListTunnels",
            Op::RotateTunnelAccessToken => "RotateTunnelAccessToken",
            Op::TagResource => "TagResource",
            Op::UntagResource => "UntagResource",
            Op::ListTagsForResource => "ListTagsForResource",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// Runs `op` on the raw request body.
pub(crate) fn call(state: &AppState, op: Op, raw: &[u8]) -> Result<Value, ApiError> {
    let is_rotation = op == Op::RotateTunnelAccessToken;
    let mut body = parse_body(raw).map_err(|e| {
        if is_rotation && state.fault(Fault::ServerErrorOnMalformedJson) {
            ApiError::internal("Internal error while reading the request")
        } else {
            e
        }
    })?;
    if is_rotation {
        input_faults(state, &mut body)?;
    }
    if state.variant(Variant::StrictUnknownMembers) {
        if let Some(path) = unknown_member(op_input(op), &body, "") {
            return Err(ApiError::serialization(format!("Unknown member '{path}'")));
        }
    }
    validate(state, op, &body)?;
    if state.variant(Variant::Max3Services) {
        let services = body.pointer("/destinationConfig/services").and_then(Value::as_array);
        if services.is_some_and(|s| s.len() > 3) {
            return Err(violation(
                state,
                "destinationConfig.services",
                "'[more than 3 items]'",
                "Member must have length less than or equal to 3",
            ));
        }
    }
    if is_rotation {
        validation_faults(state, &body)?;
    }
    match op {
        Op::OpenTunnel => open_tunnel(state, &body),
        Op::DescribeTunnel => describe_tunnel(state, &body),
        Op::CloseTunnel => close_tunnel(state, &body),
        Op::ListTunnels => list_tunnels(state, &body),
        Op::RotateTunnelAccessToken => rotate(state, &body),
        Op::TagResource => tag_resource(state, &body),
        Op::UntagResource => untag_resource(state, &body),
        Op::ListTagsForResource => list_tags(state, &body),
    }
}

/// An empty body is `{}`; anything else must be JSON (the types are checked by validation).
fn parse_body(raw: &[u8]) -> Result<Value, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(raw).map_err(|e| ApiError::serialization(format!("The request body is not valid JSON: {e}")))
}

fn op_input(op: Op) -> &'static str {
    model()
        .operation(op.name())
        .and_then(|o| o.input.as_deref())
        .unwrap_or_default()
}

/// The path of the first member the model does not know, at any depth.
fn unknown_member(shape: &str, v: &Value, path: &str) -> Option<String> {
    let m = model();
    match (&m.shape(shape)?.kind, v) {
        (ShapeKind::Structure { members, .. }, Value::Object(obj)) => obj.iter().find_map(|(k, child)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match members.iter().find(|mm| &mm.name == k) {
                Some(mm) => unknown_member(&mm.shape, child, &p),
                None => Some(p),
            }
        }),
        (ShapeKind::List { member, .. }, Value::Array(items)) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| unknown_member(member, item, &format!("{path}.member.{}", i + 1))),
        _ => None,
    }
}

fn validate(state: &AppState, op: Op, body: &Value) -> Result<(), ApiError> {
    let checked;
    let target = if op == Op::RotateTunnelAccessToken && state.fault(Fault::ServicesUnchecked) {
        // The bug: services are never looked at. Validate a copy with a harmless list instead.
        let mut copy = body.clone();
        if let Some(s) = copy.pointer_mut("/destinationConfig/services").filter(|s| s.is_array()) {
            *s = json!(["SSH"]);
        }
        checked = copy;
        &checked
    } else {
        body
    };
    spec::validate_input(model(), op.name(), target).map_err(|e| match e {
        InputError::Serialization(m) => ApiError::serialization(m),
        InputError::Validation(_) => ApiError::bad_request(state.validation_type(), e.to_string()),
    })
}

fn violation(state: &AppState, path: &str, value: &str, constraint: &str) -> ApiError {
    ApiError::bad_request(
        state.validation_type(),
        format!("1 validation error detected: Value {value} at '{path}' failed to satisfy constraint: {constraint}"),
    )
}

/// Faults that change the request before validation sees it.
fn input_faults(state: &AppState, body: &mut Value) -> Result<(), ApiError> {
    let Value::Object(obj) = body else {
        return Ok(());
    };
    if state.fault(Fault::ServerErrorOnUnknownMember) {
        let known = ["tunnelId", "clientMode", "destinationConfig"];
        if obj.keys().any(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::internal("Internal error: unexpected member"));
        }
    }
    if state.fault(Fault::LowercaseEnumAccepted) {
        if let Some(Value::String(mode)) = obj.get_mut("clientMode") {
            let upper = mode.to_ascii_uppercase();
            if ClientMode::parse(&upper).is_some() {
                *mode = upper;
            }
        }
    }
    if state.fault(Fault::MissingModeDefaultsAll) && obj.get("clientMode").is_none_or(Value::is_null) {
        obj.insert("clientMode".into(), json!("ALL"));
    }
    Ok(())
}

/// Faults that refuse valid input after validation passed.
fn validation_faults(state: &AppState, body: &Value) -> Result<(), ApiError> {
    let id = str_member(body, "tunnelId");
    if state.fault(Fault::MaxLengthOffByOne) {
        if id.chars().count() >= 128 {
            return Err(violation(
                state,
                "tunnelId",
                &format!("'{id}'"),
                "Member must have length less than or equal to 127",
            ));
        }
        let services = body.pointer("/destinationConfig/services").and_then(Value::as_array);
        for (i, s) in services.into_iter().flatten().enumerate() {
            if s.as_str().is_some_and(|s| s.chars().count() >= 128) {
                return Err(violation(
                    state,
                    &format!("destinationConfig.services.member.{}", i + 1),
                    "'(128 characters)'",
                    "Member must have length less than or equal to 127",
                ));
            }
        }
    }
    if state.fault(Fault::SpecialCharsRejected) && id.contains(['+', '=', ':']) {
        return Err(violation(
            state,
            "tunnelId",
            &format!("'{id}'"),
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_-]{1,128}",
        ));
    }
    Ok(())
}

fn str_member<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or_default()
}

/// A present, non-null member.
fn member<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

fn tags_of(v: Option<&Value>) -> Vec<(String, String)> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| Some((t.get("key")?.as_str()?.to_owned(), t.get("value")?.as_str()?.to_owned())))
        .collect()
}

fn merge_tags(into: &mut Vec<(String, String)>, tags: Vec<(String, String)>) {
    for (k, v) in tags {
        match into.iter_mut().find(|(key, _)| *key == k) {
            Some(slot) => slot.1 = v,
            None => into.push((k, v)),
        }
    }
}

fn tags_json(tags: &[(String, String)]) -> Value {
    Value::Array(tags.iter().map(|(k, v)| json!({"key": k, "value": v})).collect())
}

fn open_tunnel(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let lifetime = body
        .pointer("/timeoutConfig/maxLifetimeTimeoutMinutes")
        .and_then(Value::as_i64)
        .unwrap_or(DEFAULT_LIFETIME_MINUTES);
    let mut tags = Vec::new();
    merge_tags(&mut tags, tags_of(member(body, "tags")));
    let (now, wall) = (state.clock.now(), state.clock.wall());
    let retention = state.clock.tunnel_minutes(CLOSED_RETENTION_MINUTES);
    let mut store = state.store();
    store
        .make_room(now, retention, state.config.max_tunnels, state.enforce_expiry())
        .map_err(|StoreError::Full { max }| {
            ApiError::bad_request("LimitExceededException", format!("Limit of {max} tunnels reached"))
        })?;
    let id = loop {
        let id = store::new_id(state.id_style());
        if !store.contains_id(&id) {
            break id;
        }
    };
    let seq = store.next_seq();
    let tunnel = Tunnel {
        seq,
        arn: state.arn(&id),
        id,
        description: member(body, "description").and_then(Value::as_str).map(str::to_owned),
        tags,
        destination_config: member(body, "destinationConfig").cloned(),
        lifetime_minutes: lifetime,
        created_at: wall,
        last_updated_at: wall,
        opened_at: now,
        expires_at: now + state.clock.tunnel_minutes(lifetime as f64),
        closed_at: None,
        source_token: store::new_token(state.token_style()),
        destination_token: store::new_token(state.token_style()),
        previous_source_token: None,
        previous_destination_token: None,
        sides: Default::default(),
    };
    let out = json!({
        "tunnelId": tunnel.id,
        "tunnelArn": tunnel.arn,
        "sourceAccessToken": tunnel.source_token.expose(),
        "destinationAccessToken": tunnel.destination_token.expose(),
    });
    store.insert(tunnel);
    Ok(out)
}

fn status(state: &AppState, t: &Tunnel, now: f64) -> &'static str {
    if t.is_open(now, state.enforce_expiry()) {
        "OPEN"
    } else {
        "CLOSED"
    }
}

fn describe_tunnel(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let id = str_member(body, "tunnelId");
    let now = state.clock.now();
    let store = state.store();
    let t = store.get(id).ok_or_else(|| ApiError::not_found(id))?;
    let created = state.timestamp(t.created_at, true);
    let mut out = Map::new();
    out.insert("tunnelId".into(), json!(t.id));
    out.insert("tunnelArn".into(), json!(t.arn));
    out.insert("status".into(), json!(status(state, t, now)));
    out.insert(
        "sourceConnectionState".into(),
        dataplane::connection_state(state, t, Side::Source),
    );
    out.insert(
        "destinationConnectionState".into(),
        dataplane::connection_state(state, t, Side::Destination),
    );
    if let Some(d) = &t.description {
        out.insert("description".into(), json!(d));
    }
    if let Some(d) = &t.destination_config {
        out.insert("destinationConfig".into(), d.clone());
    }
    out.insert(
        "timeoutConfig".into(),
        json!({"maxLifetimeTimeoutMinutes": t.lifetime_minutes}),
    );
    if !t.tags.is_empty() {
        out.insert("tags".into(), tags_json(&t.tags));
    }
    out.insert("createdAt".into(), created);
    let updated = t.last_updated(now, state.enforce_expiry());
    out.insert("lastUpdatedAt".into(), state.timestamp(updated, true));
    Ok(json!({"tunnel": out}))
}

fn close_tunnel(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let id = str_member(body, "tunnelId");
    let delete = body.get("delete").and_then(Value::as_bool).unwrap_or(false);
    let (now, wall) = (state.clock.now(), state.clock.wall());
    let enforce = state.enforce_expiry();
    let mut store = state.store();
    if delete {
        store.remove(id).ok_or_else(|| ApiError::not_found(id))?;
    } else {
        let t = store.get_mut(id).ok_or_else(|| ApiError::not_found(id))?;
        if t.is_open(now, enforce) {
            t.closed_at = Some(now);
            t.last_updated_at = wall;
        }
    }
    Ok(json!({}))
}

fn list_tunnels(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let thing = member(body, "thingName").and_then(Value::as_str);
    let default_size = if state.variant(Variant::ListPageSize1) {
        1
    } else {
        DEFAULT_PAGE_SIZE
    };
    let size = body
        .get("maxResults")
        .and_then(Value::as_u64)
        .map_or(default_size, |n| n as usize);
    let from = match member(body, "nextToken").and_then(Value::as_str) {
        None => None,
        Some(token) => Some(
            token
                .strip_prefix(NEXT_TOKEN_PREFIX)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| ApiError::bad_request(state.validation_type(), "Invalid nextToken"))?,
        ),
    };
    let now = state.clock.now();
    let enforce = state.enforce_expiry();
    let store = state.store();
    let mut matching = store.newest_first(from).filter(|t| {
        thing.is_none_or(|name| {
            t.destination_config
                .as_ref()
                .and_then(|d| d.get("thingName"))
                .and_then(Value::as_str)
                == Some(name)
        })
    });
    let page: Vec<Value> = matching
        .by_ref()
        .take(size)
        .map(|t| {
            let mut s = Map::new();
            s.insert("tunnelId".into(), json!(t.id));
            s.insert("tunnelArn".into(), json!(t.arn));
            s.insert("status".into(), json!(status(state, t, now)));
            if let Some(d) = &t.description {
                s.insert("description".into(), json!(d));
            }
            s.insert("createdAt".into(), state.timestamp(t.created_at, false));
            s.insert(
                "lastUpdatedAt".into(),
                state.timestamp(t.last_updated(now, enforce), false),
            );
            Value::Object(s)
        })
        .collect();
    let mut out = json!({"tunnelSummaries": page});
    if let Some(next) = matching.next() {
        out["nextToken"] = json!(format!("{NEXT_TOKEN_PREFIX}{}", next.seq));
    }
    Ok(out)
}

/// The token that replaces `current`, with the token faults applied.
fn next_token(state: &AppState, current: &mut SecretString, previous: &mut Option<SecretString>) -> SecretString {
    if state.fault(Fault::TokensNotRotated) {
        return current.clone();
    }
    let fresh = if state.fault(Fault::EmptyTokens) {
        SecretString::new("")
    } else if let Some(old) = previous.take().filter(|_| state.fault(Fault::TokensRecycled)) {
        old
    } else {
        loop {
            let t = store::new_token(state.token_style());
            if t != *current {
                break t;
            }
        }
    };
    *previous = Some(std::mem::replace(current, fresh.clone()));
    fresh
}

fn rotate(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let id = str_member(body, "tunnelId");
    let mode = ClientMode::parse(str_member(body, "clientMode"))
        .ok_or_else(|| ApiError::bad_request(state.validation_type(), "Invalid clientMode"))?;
    let dest = member(body, "destinationConfig");
    let (now, wall) = (state.clock.now(), state.clock.wall());
    let enforce = state.enforce_expiry();
    let mut store = state.store();

    let conflict = mode == ClientMode::Source && dest.is_some() && !state.fault(Fault::SourceDestConfigAccepted);
    if conflict && (!state.variant(Variant::NotFoundBeforeConflict) || store.contains_id(id)) {
        if state.fault(Fault::SourceDestConfigApplied) {
            if let Some(t) = store.get_mut(id) {
                t.destination_config = dest.cloned();
            }
        }
        dataplane::on_refused_rotation(state, store.get_mut(id));
        return Err(ApiError::bad_request(
            "InvalidRequestException",
            "You can not use DestinationConfig with source clientMode",
        ));
    }

    let Some(t) = store.get_mut(id) else {
        let mut e = ApiError::not_found(id);
        if state.fault(Fault::NotFound404) {
            e.status = StatusCode::NOT_FOUND;
        } else if state.fault(Fault::NotFoundWrongType) {
            e.error_type = "ValidationException".into();
        } else if state.fault(Fault::NotFound500) {
            e = ApiError::internal("Internal error while looking up the tunnel");
        }
        return Err(e);
    };

    let lifetime = state.clock.tunnel_minutes(t.lifetime_minutes as f64);
    if !t.is_open(now, enforce) {
        if state.fault(Fault::ClosedTunnelReopens) {
            t.closed_at = None;
            t.expires_at = t.expires_at.max(now + lifetime);
        } else if state.variant(Variant::ClosedTunnel409Conflict) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "ConflictException",
                format!("Tunnel {id} is CLOSED"),
            ));
        } else {
            return Err(ApiError::bad_request(
                "InvalidRequestException",
                format!("Tunnel {id} is CLOSED; its access tokens cannot be rotated"),
            ));
        }
    }

    let both = state.fault(Fault::AllTokensAlways);
    let rotate_source = both || mode != ClientMode::Destination;
    let rotate_destination = both || mode != ClientMode::Source;
    let revoked: Vec<(Side, SecretString)> = [(Side::Source, rotate_source), (Side::Destination, rotate_destination)]
        .into_iter()
        .filter(|(_, rotated)| *rotated)
        .map(|(side, _)| (side, t.token(side).clone()))
        .collect();
    let source = rotate_source.then(|| next_token(state, &mut t.source_token, &mut t.previous_source_token));
    let mut destination =
        rotate_destination.then(|| next_token(state, &mut t.destination_token, &mut t.previous_destination_token));
    if state.fault(Fault::IdenticalTokens) {
        if let (Some(s), Some(_)) = (&source, &destination) {
            t.destination_token = s.clone();
            destination = Some(s.clone());
        }
    }

    dataplane::on_rotation(state, t, &revoked);

    if mode != ClientMode::Source {
        if let Some(d) = dest {
            t.destination_config = Some(d.clone());
        }
    }
    if !state.variant(Variant::LastUpdatedUnchanged) {
        t.last_updated_at = wall;
    }
    if state.fault(Fault::ExtendLifetimeVisible) {
        t.created_at = wall;
        t.opened_at = now;
        t.expires_at = now + lifetime;
    }
    if state.fault(Fault::ExtendLifetimeHidden) {
        t.expires_at = now + lifetime;
    }
    if state.fault(Fault::TimeoutReset) {
        t.lifetime_minutes = DEFAULT_LIFETIME_MINUTES;
        t.expires_at = t.opened_at + state.clock.tunnel_minutes(DEFAULT_LIFETIME_MINUTES as f64);
    }
    if state.fault(Fault::RotationClosesTunnel) {
        t.closed_at = Some(now);
    }

    let mut out = Map::new();
    if !state.fault(Fault::MissingArn) {
        let arn = if state.fault(Fault::WrongArn) {
            let other_region = if state.config.region == "eu-west-1" {
                "us-west-2"
            } else {
                "eu-west-1"
            };
            let other_account = if state.config.account == "210987654321" {
                "111122223333"
            } else {
                "210987654321"
            };
            format!("arn:aws:iot:{other_region}:{other_account}:tunnel/{}", t.id)
        } else {
            t.arn.clone()
        };
        out.insert("tunnelArn".into(), json!(arn));
    }
    let swap = state.fault(Fault::WrongTokenForMode) && mode != ClientMode::All;
    let (source_key, destination_key) = if swap {
        (DESTINATION_TOKEN, SOURCE_TOKEN)
    } else {
        (SOURCE_TOKEN, DESTINATION_TOKEN)
    };
    if let Some(s) = source {
        out.insert(source_key.into(), json!(s.expose()));
    }
    if let Some(d) = destination {
        out.insert(destination_key.into(), json!(d.expose()));
    }
    Ok(Value::Object(out))
}

fn by_arn<'a>(store: &'a mut store::Store, arn: &str) -> Result<&'a mut Tunnel, ApiError> {
    store.get_by_arn_mut(arn).ok_or_else(|| {
        let shown: String = arn.chars().take(256).collect();
        ApiError::bad_request("ResourceNotFoundException", format!("Resource {shown} not found"))
    })
}

fn tag_resource(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let mut store = state.store();
    let t = by_arn(&mut store, str_member(body, "resourceArn"))?;
    let mut merged = t.tags.clone();
    merge_tags(&mut merged, tags_of(member(body, "tags")));
    if merged.len() > MAX_TAGS {
        return Err(ApiError::bad_request(
            state.validation_type(),
            format!("A tunnel can have at most {MAX_TAGS} tags"),
        ));
    }
    t.tags = merged;
    Ok(json!({}))
}

fn untag_resource(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let keys: Vec<&str> = body
        .get("tagKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut store = state.store();
    let t = by_arn(&mut store, str_member(body, "resourceArn"))?;
    t.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
    Ok(json!({}))
}

fn list_tags(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let mut store = state.store();
    let t = by_arn(&mut store, str_member(body, "resourceArn"))?;
    // TagList has at least one member in the model: an untagged tunnel omits `tags`.
    if t.tags.is_empty() {
        Ok(json!({}))
    } else {
        Ok(json!({"tags": tags_json(&t.tags)}))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::server::ServerConfig;

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
        let created = describe(&s, &id)["createdAt"].as_i64().unwrap();
        s.clock.advance(Duration::from_secs(120));
        rotate_json(&s, &id, "SOURCE").unwrap();
        assert!(describe(&s, &id)["createdAt"].as_i64().unwrap() >= created + 119);

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
            let before = describe(&s, &id)["lastUpdatedAt"].as_i64().unwrap();
            s.clock.advance(Duration::from_secs(5));
            rotate_json(&s, &id, "SOURCE").unwrap();
            let after = describe(&s, &id)["lastUpdatedAt"].as_i64().unwrap();
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

    #[test]
    fn strict_unknown_members_finds_nested_members() {
        assert_eq!(
            unknown_member(
                "RotateTunnelAccessTokenRequest",
                &json!({"tunnelId": "x", "destinationConfig": {"services": ["a"], "x": 1}}),
                ""
            ),
            Some("destinationConfig.x".into())
        );
        assert_eq!(
            unknown_member("RotateTunnelAccessTokenRequest", &json!({"tunnelId": "x"}), ""),
            None
        );
    }
}
