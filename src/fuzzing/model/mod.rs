//! A small executable model of the tunnel lifecycle, written from PROTOCOL.md and the API page
//! alone (nothing here reads the reference server's code): which tunnels exist, whether each is
//! OPEN or CLOSED at the model's clock, which access tokens were ever handed out, and what
//! `createdAt`, `timeoutConfig` and `destinationConfig` must keep saying.
//!
//! The driver tells the model what it sent and what came back, one operation at a time; the model
//! answers with the first rule the answer breaks. Points PROTOCOL.md marks as inferred or left open
//! are accepted either way: the error for rotating a CLOSED tunnel (a 200 is allowed too, but the
//! tunnel must stay CLOSED), whether a DESTINATION/ALL rotation replaces the destinationConfig,
//! which error wins for SOURCE + destinationConfig on a missing tunnel, ListTunnels' page size.
//!
//! Rules, each with its source:
//! - Status is OPEN until CloseTunnel or until createdAt + maxLifetimeTimeoutMinutes, then CLOSED;
//!   a closed tunnel never reopens (PROTOCOL.md, "Tunnel lifecycle"). Rotation does not extend the
//!   lifetime: `createdAt` and `timeoutConfig` never change ("Rotating the CAT doesn't extend the
//!   tunnel duration").
//! - A rotation of an OPEN tunnel returns exactly the mode's tokens, each new: never a token the
//!   service handed out before ("Revokes the current client access token"); the side not rotated
//!   keeps its token.
//! - SOURCE + destinationConfig is a 4xx and changes nothing (API page).
//! - An unknown or deleted tunnel is HTTP 400 `ResourceNotFoundException`; CloseTunnel with
//!   `delete` removes it at once; a closed tunnel stays visible for at least 3 hours; ListTunnels
//!   is newest first.
//! - Nothing is ever a 5xx.

mod adopt;

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use serde_json::Value;

use crate::checks::{error_type_of, CheckId};
use crate::spec::facts::{self, Citation, ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN, TOKEN_MEMBERS};
use crate::wire::HttpResponse;

pub use adopt::Known;

/// How long a closed tunnel stays visible at least, in tunnel-minutes ("at least 3 hours").
const RETENTION_MINUTES: f64 = 180.0;
/// Seconds either side of an expiry during which OPEN and CLOSED are both accepted, at least (the
/// driver widens it with the endpoint's latency: see [`Model::set_slack`]).
const EXPIRY_SLACK_SECS: f64 = 1.0;

/// What the model knows of one tunnel the sequence opened.
#[derive(Debug, Clone)]
pub struct Tunnel {
    pub id: String,
    pub arn: String,
    lifetime_minutes: f64,
    /// Model clock (seconds) at OpenTunnel.
    opened_at: f64,
    /// Model clock at the first successful CloseTunnel.
    closed_at: Option<f64>,
    deleted: bool,
    /// `createdAt` as first reported; every later report must equal it.
    created_at: Option<Value>,
    /// The destinationConfig values the tunnel may report (one once observed).
    configs: Vec<Option<Value>>,
    tags: BTreeMap<String, String>,
}

/// The tunnel's status at the model's clock, as far as the spec decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Life {
    Open,
    Closed,
    /// Within the slack of its expiry: OPEN or CLOSED.
    Expiring,
    /// Closed for longer than the retention: CLOSED, or already forgotten.
    MaybeGone,
    /// Deleted (CloseTunnel with delete), or never opened.
    Gone,
}

#[derive(Debug, Default)]
pub struct Model {
    tunnels: Vec<Tunnel>,
    /// Seconds the sequence has advanced the server's clock by.
    now: f64,
    /// Real seconds of one tunnel-minute on the server's clock.
    minute: f64,
    /// A fingerprint of every token handed out so far (by OpenTunnel or a rotation, any tunnel;
    /// with an adopted tunnel, its whole history): a reused tunnel's history stays small and the
    /// tokens themselves are not kept.
    issued: HashSet<u64>,
    /// Seconds either side of an expiry during which both states are accepted.
    slack: f64,
}

type Verdict = Result<(), Broken>;

/// The rule an answer broke: a conformance check's, or one only a sequence shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Check(CheckId),
    /// Which tunnels DescribeTunnel and ListTunnels show, and in which order.
    Listing,
    /// ListTagsForResource lists the tags TagResource set.
    Tags,
}

use Rule::Check as C;

impl Rule {
    /// The name findings show: the check's id, else `lifecycle-listing` / `lifecycle-tags`.
    pub fn name(&self) -> String {
        match self {
            Rule::Check(c) => c.to_string(),
            Rule::Listing => "lifecycle-listing".into(),
            Rule::Tags => "lifecycle-tags".into(),
        }
    }

    pub fn citation(&self) -> Citation {
        match self {
            Rule::Check(c) => c.citation(),
            Rule::Listing => facts::CITE_LISTING,
            Rule::Tags => facts::CITE_TAGS,
        }
    }
}

/// An answer that broke a rule of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub rule: Rule,
    pub message: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule.name(), self.message)
    }
}

pub fn broken(rule: Rule, message: impl Into<String>) -> Broken {
    Broken {
        rule,
        message: message.into(),
    }
}

fn status_is(resp: &HttpResponse, status: u16) -> bool {
    resp.status == status
}

fn is_4xx(resp: &HttpResponse) -> bool {
    (400..500).contains(&resp.status)
}

fn not_found(what: &str, resp: &HttpResponse) -> Verdict {
    let t = error_type_of(Some(resp));
    if resp.status == 400 && t.as_deref() == Some("ResourceNotFoundException") {
        Ok(())
    } else {
        Err(broken(
            C(CheckId::NOT_FOUND),
            format!(
                "{what}: expected HTTP 400 ResourceNotFoundException, got HTTP {} {}",
                resp.status,
                t.unwrap_or_default()
            ),
        ))
    }
}

fn body(resp: &HttpResponse, what: &str) -> Result<Value, Broken> {
    resp.body_json().filter(Value::is_object).ok_or_else(|| {
        broken(
            C(CheckId::RESPONSE_SCHEMA),
            format!("{what}: the 200 body is not a JSON object"),
        )
    })
}

/// A token's fingerprint (SipHash with fixed keys: the same token always gives the same value;
/// two of the few thousand tokens a campaign sees collide with odds of about 1 in 10^12).
fn fingerprint(token: &str) -> u64 {
    let mut h = DefaultHasher::new();
    token.hash(&mut h);
    h.finish()
}

fn str_of<'a>(v: &'a Value, member: &str) -> Option<&'a str> {
    v.get(member).and_then(Value::as_str)
}

impl Model {
    /// A model for a server whose tunnel-minute lasts `minute` real seconds.
    pub fn new(minute: f64) -> Model {
        Model {
            minute,
            slack: EXPIRY_SLACK_SECS,
            ..Model::default()
        }
    }

    /// The server's clock now reads `secs` past the sequence's start (it never goes back).
    pub fn set_now(&mut self, secs: f64) {
        self.now = self.now.max(secs);
    }

    /// Accept both states within `secs` of an expiry (at least the default second): a remote
    /// endpoint decides a tunnel's state somewhere between sending and receiving.
    pub fn set_slack(&mut self, secs: f64) {
        self.slack = secs.max(EXPIRY_SLACK_SECS);
    }

    /// The ids of the tunnels opened and not deleted (what a cleanup must delete).
    pub fn undeleted(&self) -> Vec<String> {
        self.tunnels
            .iter()
            .filter(|t| !t.deleted)
            .map(|t| t.id.clone())
            .collect()
    }

    pub fn tunnels(&self) -> &[Tunnel] {
        &self.tunnels
    }

    /// The server's clock moved `secs` real seconds forward.
    pub fn advance(&mut self, secs: f64) {
        self.now += secs;
    }

    pub fn life(&self, t: &Tunnel) -> Life {
        if t.deleted {
            return Life::Gone;
        }
        let expiry = t.opened_at + t.lifetime_minutes * self.minute;
        let closed = match t.closed_at {
            Some(c) => Some(c.min(expiry)),
            None => (self.now >= expiry + self.slack).then_some(expiry),
        };
        match closed {
            // "At least 3 hours": from exactly 3 hours on (less the slack) it may be gone.
            Some(c) if self.now - c >= RETENTION_MINUTES * self.minute - self.slack => Life::MaybeGone,
            Some(_) => Life::Closed,
            None if (self.now - expiry).abs() < self.slack => Life::Expiring,
            None => Life::Open,
        }
    }

    fn life_of(&self, i: Option<usize>) -> Life {
        i.and_then(|i| self.tunnels.get(i)).map_or(Life::Gone, |t| self.life(t))
    }

    fn fresh(&mut self, token: &str, what: &str) -> Verdict {
        if token.is_empty() {
            return Err(broken(
                C(CheckId::TOKEN_FRESH),
                format!("{what}: an empty access token"),
            ));
        }
        if !self.issued.insert(fingerprint(token)) {
            return Err(broken(
                C(CheckId::TOKEN_FRESH),
                format!("{what}: an access token handed out before came back"),
            ));
        }
        Ok(())
    }

    /// OpenTunnel with `lifetime_minutes`, `config` and `tags`: 200 with an id, an ARN and two
    /// new tokens.
    pub fn open(
        &mut self,
        lifetime_minutes: i64,
        config: Option<Value>,
        tags: BTreeMap<String, String>,
        resp: &HttpResponse,
    ) -> Verdict {
        if !status_is(resp, 200) {
            return Err(broken(
                C(CheckId::VALID_ACCEPTED),
                format!("OpenTunnel: HTTP {}", resp.status),
            ));
        }
        let b = body(resp, "OpenTunnel")?;
        let (Some(id), Some(arn)) = (str_of(&b, "tunnelId"), str_of(&b, "tunnelArn")) else {
            return Err(broken(
                C(CheckId::RESPONSE_SCHEMA),
                "OpenTunnel: no tunnelId or tunnelArn",
            ));
        };
        if self.tunnels.iter().any(|t| t.id == id) {
            return Err(broken(
                Rule::Listing,
                "OpenTunnel: a tunnelId handed out before came back",
            ));
        }
        let (Some(source), Some(destination)) = (str_of(&b, SOURCE_TOKEN), str_of(&b, DESTINATION_TOKEN)) else {
            return Err(broken(
                C(CheckId::RESPONSE_SCHEMA),
                "OpenTunnel: both access tokens are expected",
            ));
        };
        let (source, destination) = (source.to_owned(), destination.to_owned());
        self.fresh(&source, "OpenTunnel")?;
        self.fresh(&destination, "OpenTunnel")?;
        let (id, arn) = (id.to_owned(), arn.to_owned());
        self.tunnels.push(Tunnel {
            id,
            arn,
            lifetime_minutes: lifetime_minutes as f64,
            opened_at: self.now,
            closed_at: None,
            deleted: false,
            created_at: None,
            configs: vec![config],
            tags,
        });
        Ok(())
    }

    /// RotateTunnelAccessToken of tunnel `i` (`None`: an id no tunnel has).
    pub fn rotate(
        &mut self,
        i: Option<usize>,
        mode: ClientMode,
        config: Option<Value>,
        resp: &HttpResponse,
    ) -> Verdict {
        let what = format!("RotateTunnelAccessToken {mode}");
        let life = self.life_of(i);
        if mode == ClientMode::Source && config.is_some() {
            // Refused whatever the tunnel; which error wins on a missing one is left open.
            return if is_4xx(resp) {
                Ok(())
            } else {
                Err(broken(
                    C(CheckId::SOURCE_DESTINATION_CONFIG),
                    format!(
                        "{what} with a destinationConfig: expected a 4xx, got HTTP {}",
                        resp.status
                    ),
                ))
            };
        }
        let (Some(i), Life::Open | Life::Closed | Life::Expiring | Life::MaybeGone) = (i, life) else {
            return not_found(&what, resp);
        };
        if life == Life::Open && !status_is(resp, 200) {
            return Err(broken(
                C(CheckId::VALID_ACCEPTED),
                format!("{what} of an OPEN tunnel: HTTP {}", resp.status),
            ));
        }
        if !status_is(resp, 200) {
            // CLOSED: refusing is inferred, any 4xx will do.
            return if resp.status < 500 {
                Ok(())
            } else {
                Err(broken(C(CheckId::NO_5XX), format!("{what}: HTTP {}", resp.status)))
            };
        }
        let b = body(resp, &what)?;
        if str_of(&b, "tunnelArn") != Some(self.tunnels[i].arn.as_str()) {
            return Err(broken(
                C(CheckId::TUNNEL_ARN),
                format!("{what}: tunnelArn is not the tunnel's ARN"),
            ));
        }
        for m in TOKEN_MEMBERS {
            let wanted = mode.token_members().contains(&m);
            match (wanted, b.get(m).filter(|v| !v.is_null())) {
                (true, Some(Value::String(token))) => self.fresh(token, &what)?,
                (true, _) => return Err(broken(C(CheckId::TOKEN_SET), format!("{what}: no {m} string"))),
                (false, Some(_)) => {
                    return Err(broken(
                        C(CheckId::TOKEN_SET),
                        format!("{what}: {m} returned, but the mode does not rotate it"),
                    ))
                }
                (false, None) => {}
            }
        }
        if let (Some(c), true) = (config, mode != ClientMode::Source) {
            // Replacing the stored destinationConfig is inferred: either value may show.
            let t = &mut self.tunnels[i];
            if !t.configs.contains(&Some(c.clone())) {
                t.configs.push(Some(c));
            }
        }
        Ok(())
    }

    /// The tunnel object DescribeTunnel or ListTunnels reported: status, createdAt, timeoutConfig
    /// and destinationConfig.
    fn observe(&mut self, i: usize, tunnel: &Value, what: &str, full: bool) -> Verdict {
        let life = self.life(&self.tunnels[i]);
        let status = str_of(tunnel, "status");
        let ok = match life {
            Life::Open => status == Some("OPEN"),
            Life::Closed | Life::MaybeGone => status == Some("CLOSED"),
            Life::Expiring => matches!(status, Some("OPEN" | "CLOSED")),
            Life::Gone => false,
        };
        if !ok {
            let t = &self.tunnels[i];
            // Still OPEN past its lifetime: the lifetime was extended; else the OPEN/CLOSED rule.
            let status_rule = if status == Some("OPEN") && t.closed_at.is_none() {
                C(CheckId::DURATION_LIVE)
            } else {
                C(CheckId::CLOSED_TUNNEL)
            };
            let expiry = t.lifetime_minutes;
            return Err(broken(status_rule, format!(
                "{what}: status {} but the model says {life:?} (opened {:.1} tunnel-minutes ago with a {expiry}-minute lifetime, closed by CloseTunnel: {})",
                status.unwrap_or("missing"),
                (self.now - t.opened_at) / self.minute.max(1e-9),
                t.closed_at.is_some()
            )));
        }
        let t = &mut self.tunnels[i];
        let created = tunnel.get("createdAt").cloned();
        match (&t.created_at, created) {
            (Some(first), Some(now)) if *first != now => {
                return Err(broken(
                    C(CheckId::DURATION_STATIC),
                    format!("{what}: createdAt changed from {first} to {now}"),
                ));
            }
            (None, Some(now)) => t.created_at = Some(now),
            (_, None) if full => return Err(broken(C(CheckId::DESCRIBE_SHAPE), format!("{what}: no createdAt"))),
            _ => {}
        }
        if full {
            let minutes = tunnel
                .pointer("/timeoutConfig/maxLifetimeTimeoutMinutes")
                .and_then(Value::as_f64);
            if minutes != Some(t.lifetime_minutes) {
                return Err(broken(
                    C(CheckId::DURATION_STATIC),
                    format!(
                        "{what}: timeoutConfig.maxLifetimeTimeoutMinutes is {} but the tunnel was opened with {}",
                        minutes.map_or("missing".into(), |m| m.to_string()),
                        t.lifetime_minutes
                    ),
                ));
            }
            let config = tunnel.get("destinationConfig").filter(|v| !v.is_null()).cloned();
            if !t.configs.contains(&config) {
                return Err(broken(
                    C(CheckId::SOURCE_DESTINATION_CONFIG),
                    format!(
                        "{what}: destinationConfig is {} but only {} was ever set",
                        config.as_ref().map_or("absent".into(), Value::to_string),
                        t.configs
                            .iter()
                            .map(|c| c.as_ref().map_or("absent".into(), Value::to_string))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                ));
            }
            t.configs = vec![config];
        }
        Ok(())
    }

    /// DescribeTunnel of tunnel `i`.
    pub fn describe(&mut self, i: Option<usize>, resp: &HttpResponse) -> Verdict {
        let life = self.life_of(i);
        match (i, life) {
            (Some(i), Life::Open | Life::Closed | Life::Expiring) => {
                if !status_is(resp, 200) {
                    return Err(broken(
                        Rule::Listing,
                        format!("DescribeTunnel of a {life:?} tunnel: HTTP {}", resp.status),
                    ));
                }
                let b = body(resp, "DescribeTunnel")?;
                let tunnel = b.get("tunnel").cloned().unwrap_or(Value::Null);
                self.observe(i, &tunnel, "DescribeTunnel", true)
            }
            (Some(i), Life::MaybeGone) if status_is(resp, 200) => {
                let b = body(resp, "DescribeTunnel")?;
                let tunnel = b.get("tunnel").cloned().unwrap_or(Value::Null);
                self.observe(i, &tunnel, "DescribeTunnel", true)
            }
            (Some(_), Life::MaybeGone) | (_, Life::Gone) => not_found("DescribeTunnel", resp),
            (None, _) => not_found("DescribeTunnel", resp),
        }
    }

    /// CloseTunnel of tunnel `i`.
    pub fn close(&mut self, i: Option<usize>, delete: bool, resp: &HttpResponse) -> Verdict {
        let life = self.life_of(i);
        let Some(i) = i.filter(|_| life != Life::Gone) else {
            return not_found("CloseTunnel", resp);
        };
        match life {
            Life::Open | Life::Expiring if !status_is(resp, 200) => {
                return Err(broken(
                    C(CheckId::VALID_ACCEPTED),
                    format!("CloseTunnel of an OPEN tunnel: HTTP {}", resp.status),
                ));
            }
            // Closing a CLOSED tunnel again: the spec says nothing; anything but a 5xx.
            _ if resp.status >= 500 => {
                return Err(broken(C(CheckId::NO_5XX), format!("CloseTunnel: HTTP {}", resp.status)))
            }
            _ => {}
        }
        if status_is(resp, 200) {
            let now = self.now;
            let t = &mut self.tunnels[i];
            t.closed_at.get_or_insert(now);
            t.deleted |= delete;
        }
        Ok(())
    }

    /// Every page of a ListTunnels walk (following nextToken; `complete` when the last page had
    /// none): each visible tunnel listed once, with the right status and createdAt; deleted ones
    /// never; newest first. Tunnels the sequence did not open are someone else's unless
    /// `exclusive` (the sequence owns the endpoint): then listing one is a finding.
    pub fn list(&mut self, pages: &[HttpResponse], complete: bool, exclusive: bool) -> Verdict {
        let mut listed: Vec<Value> = Vec::new();
        for resp in pages {
            if !status_is(resp, 200) {
                return Err(broken(
                    C(CheckId::VALID_ACCEPTED),
                    format!("ListTunnels: HTTP {}", resp.status),
                ));
            }
            let b = body(resp, "ListTunnels")?;
            listed.extend(
                b.get("tunnelSummaries")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
        }
        let mut order = Vec::new();
        for s in &listed {
            let id = str_of(s, "tunnelId").unwrap_or_default();
            let Some(i) = self.tunnels.iter().position(|t| t.id == id) else {
                if exclusive {
                    return Err(broken(
                        Rule::Listing,
                        "ListTunnels: a tunnel this sequence never opened is listed",
                    ));
                }
                continue;
            };
            if order.contains(&i) {
                return Err(broken(Rule::Listing, "ListTunnels: a tunnel is listed twice"));
            }
            if self.life(&self.tunnels[i]) == Life::Gone {
                return Err(broken(Rule::Listing, "ListTunnels: a deleted tunnel is listed"));
            }
            self.observe(i, s, "ListTunnels", false)?;
            order.push(i);
        }
        for (i, t) in self.tunnels.iter().enumerate() {
            let visible = matches!(self.life(t), Life::Open | Life::Closed | Life::Expiring);
            if visible && complete && !order.contains(&i) {
                return Err(broken(
                    Rule::Listing,
                    format!("ListTunnels: a {:?} tunnel is missing", self.life(t)),
                ));
            }
        }
        if order.windows(2).any(|w| w[0] < w[1]) {
            return Err(broken(Rule::Listing, "ListTunnels: not newest first"));
        }
        Ok(())
    }

    /// TagResource of tunnel `i` with one tag, then ListTagsForResource (`listed`).
    pub fn tag(
        &mut self,
        i: Option<usize>,
        key: &str,
        value: &str,
        tagged: &HttpResponse,
        listed: &HttpResponse,
    ) -> Verdict {
        let life = self.life_of(i);
        let Some(i) = i.filter(|_| !matches!(life, Life::Gone | Life::MaybeGone)) else {
            if life == Life::MaybeGone {
                return if tagged.status < 500 && listed.status < 500 {
                    Ok(())
                } else {
                    Err(broken(C(CheckId::NO_5XX), "TagResource: a 5xx"))
                };
            }
            not_found("TagResource", tagged)?;
            return not_found("ListTagsForResource", listed);
        };
        if !status_is(tagged, 200) {
            // Tagging a CLOSED tunnel: the spec says nothing; anything but a 5xx.
            let tag_rule = if tagged.status >= 500 {
                C(CheckId::NO_5XX)
            } else {
                C(CheckId::VALID_ACCEPTED)
            };
            return if life == Life::Open || tagged.status >= 500 {
                Err(broken(
                    tag_rule,
                    format!("TagResource of a {life:?} tunnel: HTTP {}", tagged.status),
                ))
            } else {
                Ok(())
            };
        }
        let t = &mut self.tunnels[i];
        t.tags.insert(key.to_owned(), value.to_owned());
        if !status_is(listed, 200) {
            return Err(broken(
                C(CheckId::VALID_ACCEPTED),
                format!("ListTagsForResource: HTTP {}", listed.status),
            ));
        }
        let b = body(listed, "ListTagsForResource")?;
        let got: BTreeMap<String, String> = b
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|t| Some((str_of(t, "key")?.to_owned(), str_of(t, "value")?.to_owned())))
            .collect();
        if got != t.tags {
            return Err(broken(
                Rule::Tags,
                format!(
                    "ListTagsForResource: tags {:?}, expected {:?}",
                    got.keys().collect::<Vec<_>>(),
                    t.tags.keys().collect::<Vec<_>>()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
