//! The eight operations, read straight through. `call` parses the raw body, validates it against
//! the model (`spec::validate_input_with`), runs the operation and returns the response body.
//! The choices the spec leaves open are values of the `Behaviour` (`behaviour.rs`), and the
//! points where the server can be made to deviate call the active hooks (`hooks.rs`) without
//! knowing which exist.

use serde_json::{json, Map, Value};

use super::dataplane;
use super::errors::ApiError;
use super::hooks::{NextToken, Rotated, RotationContext, Sides};
use super::store::{self, Side, StoreError, StoredTunnel, CLOSED_RETENTION_MINUTES, DEFAULT_LIFETIME_MINUTES};
use super::AppState;
use crate::secret::SecretString;
use crate::spec::facts::{ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::spec::{self, model, InputError, Op};

/// The model's maximum tags per TagList, applied to a tunnel's merged tags too.
const MAX_TAGS: usize = 200;
const NEXT_TOKEN_PREFIX: &str = "v1-";

/// Runs `op` on the raw request body.
pub(crate) fn call(state: &AppState, op: Op, raw: &[u8]) -> Result<Value, ApiError> {
    match run(state, op, raw) {
        Ok((request, mut response)) => {
            for h in state.hooks() {
                h.on_success(op, &request, &mut response, &state.config);
            }
            Ok(response)
        }
        Err(mut e) => {
            for h in state.hooks() {
                h.on_error(op, &mut e);
            }
            Err(e)
        }
    }
}

/// Parses, validates and runs `op`: the request as the operation read it, and the response.
fn run(state: &AppState, op: Op, raw: &[u8]) -> Result<(Value, Value), ApiError> {
    let mut body = parse_body(raw).map_err(|mut e| {
        for h in state.hooks() {
            h.unparsable_body(op, &mut e);
        }
        e
    })?;
    for h in state.hooks() {
        h.before_validation(op, &mut body)?;
    }
    validate(state, op, &body)?;
    for h in state.hooks() {
        h.after_validation(op, &body, state.behaviour())?;
    }
    let response = match op {
        Op::OpenTunnel => open_tunnel(state, &body),
        Op::DescribeTunnel => describe_tunnel(state, &body),
        Op::CloseTunnel => close_tunnel(state, &body),
        Op::ListTunnels => list_tunnels(state, &body),
        Op::RotateTunnelAccessToken => rotate(state, &body),
        Op::TagResource => tag_resource(state, &body),
        Op::UntagResource => untag_resource(state, &body),
        Op::ListTagsForResource => list_tags(state, &body),
    }?;
    Ok((body, response))
}

/// An empty body is `{}`; anything else must be JSON (the types are checked by validation).
fn parse_body(raw: &[u8]) -> Result<Value, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(raw).map_err(|e| ApiError::serialization(format!("The request body is not valid JSON: {e}")))
}

/// The model's constraints at the behaviour's strictness (a hook may show the validator another
/// view of the body), then the behaviour's own limit on services.
fn validate(state: &AppState, op: Op, body: &Value) -> Result<(), ApiError> {
    let b = state.behaviour();
    let view = state.hooks().find_map(|h| h.validator_view(op, body));
    spec::validate_input_with(model(), op.name(), view.as_ref().unwrap_or(body), b.strictness).map_err(
        |e| match e {
            InputError::Serialization(m) => ApiError::serialization(m),
            InputError::Validation(_) => ApiError::bad_request(b.validation_error, e.to_string()),
        },
    )?;
    if let Some(max) = b.max_services {
        let services = body.pointer("/destinationConfig/services").and_then(Value::as_array);
        if services.is_some_and(|s| s.len() > max) {
            return Err(b.violation(
                "destinationConfig.services",
                &format!("'[more than {max} items]'"),
                &format!("Member must have length less than or equal to {max}"),
            ));
        }
    }
    Ok(())
}

fn str_member<'a>(body: &'a Value, name: &str) -> &'a str {
    body.get(name).and_then(Value::as_str).unwrap_or("")
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
    let (now, wall) = state.creation_instant();
    let retention = state.clock.tunnel_minutes(CLOSED_RETENTION_MINUTES);
    let mut store = state.store();
    store
        .make_room(now, retention, state.config.max_tunnels, state.instant_expiry())
        .map_err(|StoreError::Full { max }| {
            ApiError::bad_request("LimitExceededException", format!("Limit of {max} tunnels reached"))
        })?;
    let id = loop {
        let id = store::new_id(state.behaviour().id_style);
        if !store.contains_id(&id) {
            break id;
        }
    };
    let seq = store.next_seq();
    let mut tunnel = StoredTunnel {
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
        source_token: store::new_token(state.behaviour().token_style),
        destination_token: store::new_token(state.behaviour().token_style),
        sides: store::SideState::unconnected(),
    };
    for h in state.hooks() {
        h.after_open(&mut tunnel);
    }
    let out = json!({
        "tunnelId": tunnel.id,
        "tunnelArn": tunnel.arn,
        "sourceAccessToken": tunnel.source_token.expose(),
        "destinationAccessToken": tunnel.destination_token.expose(),
    });
    store.insert(tunnel);
    state.tunnels_opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(out)
}

fn status(state: &AppState, t: &StoredTunnel, now: f64) -> &'static str {
    if t.is_open(now, state.instant_expiry()) {
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
    let created = state.timestamp(Op::DescribeTunnel, t.created_at);
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
    let updated = t.last_updated(now, state.instant_expiry());
    out.insert("lastUpdatedAt".into(), state.timestamp(Op::DescribeTunnel, updated));
    Ok(json!({"tunnel": out}))
}

fn close_tunnel(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let id = str_member(body, "tunnelId");
    let delete = body.get("delete").and_then(Value::as_bool).unwrap_or(false);
    let (now, wall) = (state.clock.now(), state.clock.wall());
    let instant = state.instant_expiry();
    let mut store = state.store();
    if delete {
        store.remove(id).ok_or_else(|| ApiError::not_found(id))?;
    } else {
        let t = store.get_mut(id).ok_or_else(|| ApiError::not_found(id))?;
        if t.is_open(now, instant) {
            t.closed_at = Some(now);
            t.last_updated_at = wall;
        }
    }
    Ok(json!({}))
}

fn list_tunnels(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let thing = member(body, "thingName").and_then(Value::as_str);
    let size = body
        .get("maxResults")
        .and_then(Value::as_u64)
        .map_or(state.behaviour().list_page_size, |n| n as usize);
    let from = match member(body, "nextToken").and_then(Value::as_str) {
        None => None,
        Some(token) => Some(
            token
                .strip_prefix(NEXT_TOKEN_PREFIX)
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| ApiError::bad_request(state.behaviour().validation_error, "Invalid nextToken"))?,
        ),
    };
    let now = state.clock.now();
    let instant = state.instant_expiry();
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
            s.insert("createdAt".into(), state.timestamp(Op::ListTunnels, t.created_at));
            s.insert(
                "lastUpdatedAt".into(),
                state.timestamp(Op::ListTunnels, t.last_updated(now, instant)),
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

/// Rotates `side` of `t`: a fresh random token replaces the current one (which is revoked),
/// unless a hook chooses the next token. Returns the token handed out.
fn rotate_side(state: &AppState, t: &mut StoredTunnel, side: Side) -> SecretString {
    let revoked = &t.side(side).revoked;
    let fresh = match state.hooks().find_map(|h| h.next_token(t.token(side), revoked)) {
        Some(NextToken::Keep) => {
            // Handed out again, but as a rotation's: unspent.
            t.side_mut(side).spent = None;
            return t.token(side).clone();
        }
        Some(NextToken::Use(token)) => token,
        None => loop {
            let fresh = store::new_token(state.behaviour().token_style);
            if fresh != *t.token(side) {
                break fresh;
            }
        },
    };
    t.replace_token(side, fresh.clone());
    fresh
}

fn rotate(state: &AppState, body: &Value) -> Result<Value, ApiError> {
    let b = state.behaviour();
    let id = str_member(body, "tunnelId");
    let mode = ClientMode::parse(str_member(body, "clientMode"))
        .ok_or_else(|| ApiError::bad_request(b.validation_error, "Invalid clientMode"))?;
    let dest = member(body, "destinationConfig");
    let (now, wall) = (state.clock.now(), state.clock.wall());
    let mut store = state.store();

    // SOURCE with a destinationConfig is refused, before or after the tunnel lookup.
    let source_with_config =
        mode == ClientMode::Source && (b.source_with_config_before_lookup || store.contains_id(id));
    if let Some(config) = dest.filter(|_| source_with_config) {
        let mut served = false;
        for h in state.hooks() {
            served |= h.source_with_config(store.get_mut(id), config, b);
        }
        if !served {
            return Err(ApiError::bad_request(
                "InvalidRequestException",
                "You can not use DestinationConfig with source clientMode",
            ));
        }
    }

    let t = store.get_mut(id).ok_or_else(|| ApiError::not_found(id))?;
    let at = RotationContext {
        now,
        wall,
        lifetime: state.clock.tunnel_minutes(t.lifetime_minutes as f64),
        clock: &state.clock,
        token_style: b.token_style,
    };
    if !t.is_open(now, state.instant_expiry()) && !state.hooks().any(|h| h.rotate_closed(t, &at)) {
        return Err((b.closed_rotation_error)(id));
    }

    let mut sides = Sides {
        source: mode != ClientMode::Destination,
        destination: mode != ClientMode::Source,
    };
    for h in state.hooks() {
        h.rotated_sides(mode, &mut sides);
    }
    let mut tokens = Rotated {
        source: sides.source.then(|| rotate_side(state, t, Side::Source)),
        destination: sides.destination.then(|| rotate_side(state, t, Side::Destination)),
    };
    // A DESTINATION or ALL rotation with a destinationConfig replaces the tunnel's (or, the
    // spec allows it, leaves it as it was).
    if mode != ClientMode::Source && b.rotation_updates_destination_config {
        if let Some(d) = dest {
            t.destination_config = Some(d.clone());
        }
    }
    if b.rotation_moves_last_updated {
        t.last_updated_at = wall;
    }
    for h in state.hooks() {
        h.after_rotation(t, &mut tokens, &at);
    }

    let mut out = Map::new();
    out.insert("tunnelArn".into(), json!(t.arn));
    if let Some(s) = tokens.source {
        out.insert(SOURCE_TOKEN.into(), json!(s.expose()));
    }
    if let Some(d) = tokens.destination {
        out.insert(DESTINATION_TOKEN.into(), json!(d.expose()));
    }
    Ok(Value::Object(out))
}

fn by_arn<'a>(store: &'a mut store::Store, arn: &str) -> Result<&'a mut StoredTunnel, ApiError> {
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
            state.behaviour().validation_error,
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
#[path = "ops_tests.rs"]
mod tests;
