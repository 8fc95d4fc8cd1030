//! A tunnel an earlier sequence left OPEN, taken into a new sequence's model as its first tunnel
//! (`rotcheck fuzz --sequences` on a tunnel budget runs most sequences on tunnels it already
//! has). The model then judges the new sequence exactly as if it had opened the tunnel itself:
//! createdAt, timeoutConfig and destinationConfig as DescribeTunnel reports them (and as the
//! campaign last saw them), the moment it opened on the campaign's clock, its tags, and every
//! token handed out for it, so a token from before the adoption that comes back is still caught.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{str_of, LifecycleModel, SequenceTunnel};
use crate::checks::{ExpectedStatus, IssuedTokens};
use crate::wire::HttpResponse;

/// What a campaign knows of a tunnel it keeps open between sequences.
#[derive(Debug, Clone)]
pub struct KeptTunnel {
    pub id: String,
    pub arn: String,
    lifetime_minutes: f64,
    /// On the model clock of the sequences that share the tunnel (see the driver's `Timeline`).
    opened_at: f64,
    created_at: Value,
    config: Option<Value>,
    tags: BTreeMap<String, String>,
    /// The tokens handed out in the sequences that used the tunnel.
    issued: IssuedTokens,
}

impl KeptTunnel {
    /// The model clock reading at which the tunnel's lifetime ends, for a tunnel-minute of
    /// `minute` real seconds.
    pub fn expires_at(&self, minute: f64) -> f64 {
        self.opened_at + self.lifetime_minutes * minute
    }
}

impl LifecycleModel {
    /// What the model knows of tunnel `i`, if it can be reused: OPEN, never closed, and every
    /// property a later DescribeTunnel reports pinned to one value (createdAt seen, the
    /// destinationConfig observed since the last change that may or may not have applied).
    pub fn kept(&self, i: usize) -> Option<KeptTunnel> {
        let t = self.tunnels.get(i)?;
        if self.status(t) != ExpectedStatus::Open || t.closed_at.is_some() || t.configs.len() != 1 {
            return None;
        }
        Some(KeptTunnel {
            id: t.id.clone(),
            arn: t.arn.clone(),
            lifetime_minutes: t.lifetime_minutes,
            opened_at: t.opened_at,
            created_at: t.created_at.clone()?,
            config: t.configs[0].clone(),
            tags: t.tags.clone(),
            issued: self.issued.clone(),
        })
    }

    /// Takes `kept` as the sequence's first tunnel, from the DescribeTunnel answer `described`.
    /// `Err` (why) when the answer is not that tunnel, OPEN, with the createdAt, timeoutConfig
    /// and destinationConfig the campaign last saw: it changed while no sequence used it, so the
    /// model could not judge it as a fresh tunnel, and it is not adopted.
    pub fn adopt(&mut self, kept: &KeptTunnel, described: &HttpResponse) -> Result<(), String> {
        if !self.tunnels.is_empty() {
            return Err("a tunnel is adopted as a sequence's first".into());
        }
        let mut tunnel = SequenceTunnel {
            id: kept.id.clone(),
            arn: kept.arn.clone(),
            lifetime_minutes: kept.lifetime_minutes,
            opened_at: kept.opened_at,
            closed_at: None,
            deleted: false,
            created_at: None,
            configs: Vec::new(),
            tags: kept.tags.clone(),
        };
        if self.status(&tunnel) != ExpectedStatus::Open {
            return Err("at or past its expiry".into());
        }
        if described.status != 200 {
            return Err(format!("DescribeTunnel answered HTTP {}", described.status));
        }
        let Some(b) = described.body_json().filter(Value::is_object) else {
            return Err("DescribeTunnel answered a body that is not a JSON object".into());
        };
        let t = b.get("tunnel").cloned().unwrap_or(Value::Null);
        if str_of(&t, "tunnelId") != Some(kept.id.as_str()) {
            return Err("DescribeTunnel described another tunnel".into());
        }
        if str_of(&t, "status") != Some("OPEN") {
            return Err(format!(
                "status {}, expected OPEN",
                str_of(&t, "status").unwrap_or("missing")
            ));
        }
        let created = t.get("createdAt").cloned();
        if created.as_ref() != Some(&kept.created_at) {
            return Err("createdAt changed".into());
        }
        let minutes = t
            .pointer("/timeoutConfig/maxLifetimeTimeoutMinutes")
            .and_then(Value::as_f64);
        if minutes != Some(kept.lifetime_minutes) {
            return Err("timeoutConfig changed".into());
        }
        let config = t.get("destinationConfig").filter(|v| !v.is_null()).cloned();
        if config != kept.config {
            return Err("destinationConfig changed".into());
        }
        tunnel.created_at = created;
        tunnel.configs = vec![config];
        self.tunnels.push(tunnel);
        self.issued.extend(&kept.issued);
        Ok(())
    }

    /// The model clock reading at which tunnel `i` expires (`None`: no such tunnel).
    pub fn expires_at(&self, i: usize) -> Option<f64> {
        self.tunnels
            .get(i)
            .map(|t| t.opened_at + t.lifetime_minutes * self.minute)
    }

    /// Whether tunnel `i` was closed (or deleted) by CloseTunnel.
    pub fn closed(&self, i: usize) -> bool {
        self.tunnels.get(i).is_none_or(|t| t.closed_at.is_some() || t.deleted)
    }

    /// The model's clock (seconds on the sequence's timeline).
    pub fn now(&self) -> f64 {
        self.now
    }
}
