//! The shared tunnel: one tunnel serves every case and scenario that needs one, since rotation
//! is what RotateTunnelAccessToken is for and a tunnel is what a run pays for. This is the
//! runner's model of it: which tunnel it is, its tokens, and DescribeTunnel as last read (the
//! next case's "before"). Before each step the model makes sure the tunnel is in the state the
//! step needs (OPEN, OPEN with a given destinationConfig, CLOSED), repairing it when an earlier
//! step changed it (a rotation for a destinationConfig, CloseTunnel, or a new tunnel when it can
//! never be OPEN again), so that one case's outcome never becomes another case's.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use super::case::TunnelFacts;
use super::error::SetupError;
use super::recorder::{Recorder, SETUP};
use super::state::{status_of, Harness, OpenedTunnel, POOL_LIFETIME_MINUTES};
use super::transport::Transport;
use crate::checks::{same_json, summary};
use crate::secret::SecretString;
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// The tunnel a track holds, and what the runner knows of it.
pub struct Shared<T: Transport> {
    h: Arc<Harness<T>>,
    pub tunnel: Option<OpenedTunnel>,
    /// DescribeTunnel's `tunnel` object as last read. None: not read, unreadable, or a request
    /// since may have changed it.
    pub last: Option<Value>,
    /// The destinationConfig a new tunnel is opened with.
    open_with: Option<Value>,
    /// A tunnel older than this is replaced before a step, so that none expires during one
    /// (an expiry between the before and after reads would look like a closed tunnel).
    max_age: Duration,
    /// The implementation kept the tunnel's destinationConfig across a DESTINATION rotation that
    /// named another (PROTOCOL.md: such a rotation "may update" it). From then on a step that
    /// wants a destinationConfig runs on the tunnel as it is: the checks compare the tunnel
    /// before and after, never with the config the step wanted, and a new tunnel for each
    /// config would spend the budget on a conformant choice.
    keeps_config: bool,
}

pub fn rotate_request(tunnel_id: &str, mode: ClientMode, destination_config: Option<&Value>) -> HttpRequest {
    let mut body = json!({"tunnelId": tunnel_id, "clientMode": mode.as_str()});
    if let Some(d) = destination_config {
        body["destinationConfig"] = d.clone();
    }
    HttpRequest::json(facts::ROTATE, &body)
}

impl<T: Transport> Shared<T> {
    pub fn new(h: Arc<Harness<T>>, open_with: Option<Value>) -> Shared<T> {
        let lifetime = f64::from(POOL_LIFETIME_MINUTES) * 60.0 / h.time_scale;
        Shared {
            max_age: Duration::try_from_secs_f64(lifetime / 2.0).unwrap_or(Duration::MAX),
            h,
            tunnel: None,
            last: None,
            open_with,
            keeps_config: false,
        }
    }

    pub fn harness(&self) -> Arc<Harness<T>> {
        Arc::clone(&self.h)
    }

    /// Carry a tunnel over (from an earlier batch of the same session).
    pub fn adopt(&mut self, tunnel: OpenedTunnel) {
        self.tunnel = Some(tunnel);
        self.last = None;
    }

    /// What checks need to know of the tunnel for a case judged with `before` and `after`.
    pub fn facts(&self, earlier_tokens: Vec<SecretString>, before: Option<Value>, after: Option<Value>) -> TunnelFacts {
        TunnelFacts {
            arn: self.tunnel.as_ref().and_then(|t| t.arn.clone()),
            earlier_tokens,
            before,
            after,
        }
    }

    /// Every token the tunnel has had so far.
    pub fn tokens(&self) -> Vec<SecretString> {
        self.tunnel
            .as_ref()
            .map(|t| t.tokens.tokens().to_vec())
            .unwrap_or_default()
    }

    /// The tunnel's id (empty when the track holds none).
    pub fn id(&self) -> String {
        self.tunnel.as_ref().map(|t| t.id.clone()).unwrap_or_default()
    }

    /// A successful answer about the tunnel: keep its tokens.
    pub fn record_answer(&mut self, body: &Value) {
        if let Some(t) = &mut self.tunnel {
            t.record_answer(body);
        }
    }

    /// Read DescribeTunnel into `last`.
    pub async fn describe(&mut self, rec: &mut Recorder<'_, T>, role: &str) -> Option<Value> {
        let id = self.tunnel.as_ref()?.id.clone();
        self.last = self.h.describe(rec, role, &id).await;
        if let (Some(t), Some(arn)) = (&mut self.tunnel, self.last.as_ref().and_then(|d| d.get("tunnelArn"))) {
            if t.arn.is_none() {
                t.arn = arn.as_str().map(str::to_owned);
            }
        }
        self.last.clone()
    }

    /// Delete the tunnel the track holds (its budget slot is free again).
    pub async fn release(&mut self, rec: &mut Recorder<'_, T>) {
        if let Some(t) = self.tunnel.take() {
            if let Err(e) = self.h.delete(rec, &t.id).await {
                // Left in the run's list: cleanup tries again.
                tracing::debug!("deleting tunnel {} failed ({e}); cleanup retries it", t.id);
            }
        }
        self.last = None;
    }

    /// Give up the current tunnel (if any) and open a fresh one with `config`.
    async fn replace(&mut self, rec: &mut Recorder<'_, T>, config: Option<&Value>) -> Result<(), SetupError> {
        // Deleted before the new one is opened: a track never waits for a slot while it holds
        // one (see budget.rs).
        self.release(rec).await;
        let t = self.h.open(rec, config, POOL_LIFETIME_MINUTES).await?;
        self.tunnel = Some(t);
        self.describe(rec, SETUP).await;
        match status_of(self.last.as_ref()) {
            Some(s) if s != "OPEN" => Err(SetupError::WrongState {
                found: s.to_owned(),
                wanted: "OPEN",
            }),
            _ => Ok(()),
        }
    }

    /// Make sure the tunnel is OPEN (and, with `config`, has that destinationConfig); returns
    /// DescribeTunnel as read then (None: unreadable), the "before" of the next step.
    pub async fn ensure_open(
        &mut self,
        rec: &mut Recorder<'_, T>,
        config: Option<&Value>,
    ) -> Result<Option<Value>, SetupError> {
        let too_old = self
            .tunnel
            .as_ref()
            .is_some_and(|t| t.opened_at.elapsed() >= self.max_age);
        if self.tunnel.is_none() || too_old {
            let with = config.cloned().or_else(|| self.open_with.clone());
            self.replace(rec, with.as_ref()).await?;
        } else if self.last.is_none() {
            self.describe(rec, SETUP).await;
        }
        if self.last.is_some() && status_of(self.last.as_ref()) != Some("OPEN") {
            // CLOSED (by an earlier step, or expired): a closed tunnel never reopens.
            let with = config.cloned().or_else(|| self.open_with.clone());
            self.replace(rec, with.as_ref()).await?;
        }
        if let Some(want) = config {
            if !self.has_config(want) && !self.keeps_config {
                self.set_config(rec, want).await?;
            }
        }
        Ok(self.last.clone())
    }

    fn has_config(&self, want: &Value) -> bool {
        self.last
            .as_ref()
            .is_none_or(|t| same_json(t.get("destinationConfig"), Some(want)))
    }

    /// Give the tunnel the destinationConfig `want`: a DESTINATION rotation with it (which may
    /// update the tunnel's: PROTOCOL.md leaves it open). If the rotation was served and the
    /// tunnel kept its config, the implementation keeps configs (`keeps_config`) and the step
    /// runs on the tunnel as it is; a refused rotation or a tunnel no longer OPEN gets a new
    /// tunnel opened with `want`.
    async fn set_config(&mut self, rec: &mut Recorder<'_, T>, want: &Value) -> Result<(), SetupError> {
        let request = rotate_request(&self.id(), ClientMode::Destination, Some(want));
        let mut served = false;
        if let Ok(resp) = rec.send(SETUP, request).await {
            if let Some(b) = resp.body_json().filter(|_| resp.is_success()) {
                self.record_answer(&b);
                served = true;
            }
        }
        self.describe(rec, SETUP).await;
        let open = status_of(self.last.as_ref()) == Some("OPEN");
        let has = self.has_config(want);
        if open && served && !has {
            self.keeps_config = true;
        } else if !open || !has {
            self.replace(rec, Some(want)).await?;
        }
        Ok(())
    }

    /// Make sure the tunnel is CLOSED (CloseTunnel without delete); returns DescribeTunnel as
    /// read then.
    pub async fn ensure_closed(&mut self, rec: &mut Recorder<'_, T>) -> Result<Option<Value>, SetupError> {
        if self.tunnel.is_none() {
            let with = self.open_with.clone();
            self.replace(rec, with.as_ref()).await?;
        } else if self.last.is_none() {
            self.describe(rec, SETUP).await;
        }
        if status_of(self.last.as_ref()) == Some("CLOSED") {
            return Ok(self.last.clone());
        }
        let id = self.id();
        self.h.close(rec, &id).await?;
        self.describe(rec, SETUP).await;
        match status_of(self.last.as_ref()) {
            Some(s) if s != "CLOSED" => Err(SetupError::WrongState {
                found: s.to_owned(),
                wanted: "CLOSED",
            }),
            _ => Ok(self.last.clone()),
        }
    }

    /// Fresh tokens for both sides, never used on the data plane: a rotation of ALL (a token is
    /// single use, and rotation is free). A refused rotation is retried once on a tunnel made
    /// OPEN again.
    pub async fn fresh_pair(&mut self, rec: &mut Recorder<'_, T>) -> Result<(SecretString, SecretString), String> {
        let mut why = String::new();
        for attempt in 0..2 {
            if self.tunnel.is_none() || attempt > 0 {
                self.last = None;
                self.ensure_open(rec, None).await.map_err(|e| e.to_string())?;
            }
            let request = rotate_request(&self.id(), ClientMode::All, None);
            match rec.send(SETUP, request).await {
                Ok(resp) if resp.is_success() => {
                    let body = resp.body_json().unwrap_or(Value::Null);
                    self.record_answer(&body);
                    let token = |m: &str| body.get(m).and_then(Value::as_str).filter(|t| !t.is_empty());
                    return match (token(facts::SOURCE_TOKEN), token(facts::DESTINATION_TOKEN)) {
                        (Some(s), Some(d)) => Ok((SecretString::new(s), SecretString::new(d))),
                        _ => Err("a rotation of ALL returned no source or destination token".into()),
                    };
                }
                Ok(resp) => why = format!("a rotation of ALL for fresh tokens was refused ({})", summary(&resp)),
                Err(e) => return Err(format!("a rotation of ALL for fresh tokens got no answer: {e}")),
            }
        }
        Err(why)
    }
}
