//! Tunnels earlier runs left behind (a run killed with SIGKILL, a machine that lost power): every
//! tunnel rotcheck opens carries the tag `rotcheck-run` = the run id, so they can be found with
//! ListTunnels and DescribeTunnel and deleted (`rotcheck cleanup`). Tunnels without the tag are
//! never touched.

use std::sync::atomic::AtomicBool;

use serde_json::{json, Value};

use super::budget::RUN_TAG_KEY;
use super::guard::Guard;
use super::recorder::{Recorder, CLEANUP, SETUP};
use super::state::{close_request, describe_request};
use super::transport::Transport;
use crate::checks::summary;
use crate::client::RetryPolicy;
use crate::redact::Redactor;
use crate::wire::HttpRequest;

/// Pages of ListTunnels read at most (100 tunnels a page: far beyond any account's quota).
const MAX_PAGES: usize = 100;

/// A tunnel a run left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leftover {
    pub tunnel_id: String,
    /// The value of its `rotcheck-run` tag.
    pub run: String,
    pub status: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LeftoverError {
    #[error("{0}")]
    Setup(String),
    #[error("{what} failed: {detail}")]
    Call { what: String, detail: String },
}

/// Finds and deletes leftover tunnels.
pub struct Sweep<'a, T> {
    transport: &'a T,
    redactor: Redactor,
    reached: AtomicBool,
    guard: Guard,
}

impl<'a, T: Transport> Sweep<'a, T> {
    pub fn new(transport: &'a T, retry: RetryPolicy) -> Self {
        Sweep {
            transport,
            redactor: Redactor::new(),
            reached: AtomicBool::new(false),
            // The cleanup command has no watchdog loop: the request timeout given here is unused.
            guard: Guard::new(retry, std::time::Duration::from_secs(30)),
        }
    }

    fn recorder(&self) -> Recorder<'_, T> {
        Recorder::new(self.transport, &self.redactor, &self.reached, &self.guard)
    }

    async fn call(&self, what: &str, req: HttpRequest) -> Result<Value, LeftoverError> {
        let mut rec = self.recorder();
        let resp = rec.send(SETUP, req).await;
        if let Some(why) = self.guard.setup_failure() {
            return Err(LeftoverError::Setup(why));
        }
        let resp = resp.map_err(|e| LeftoverError::Call {
            what: what.into(),
            detail: e.to_string(),
        })?;
        if !resp.is_success() {
            return Err(LeftoverError::Call {
                what: what.into(),
                detail: summary(&resp),
            });
        }
        resp.body_json().ok_or_else(|| LeftoverError::Call {
            what: what.into(),
            detail: "the answer is not JSON".into(),
        })
    }

    /// Every tunnel tagged by a rotcheck run (only `run`'s, when given).
    pub async fn find(&self, run: Option<&str>) -> Result<Vec<Leftover>, LeftoverError> {
        let mut ids = Vec::new();
        let mut next: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut body = json!({ "maxResults": 100 });
            if let Some(t) = &next {
                body["nextToken"] = json!(t);
            }
            let page = self
                .call("ListTunnels", HttpRequest::json("ListTunnels", &body))
                .await?;
            for s in page
                .get("tunnelSummaries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(id) = s.get("tunnelId").and_then(Value::as_str) {
                    ids.push(id.to_owned());
                }
            }
            next = page
                .get("nextToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if next.is_none() {
                break;
            }
        }
        let mut found = Vec::new();
        for id in ids {
            let described = match self.call("DescribeTunnel", describe_request(&id)).await {
                Ok(d) => d,
                // Deleted meanwhile (by its own run's cleanup, say).
                Err(LeftoverError::Call { .. }) => continue,
                Err(e) => return Err(e),
            };
            let tunnel = described.get("tunnel").cloned().unwrap_or(Value::Null);
            let tag = tunnel
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|t| t.get("key").and_then(Value::as_str) == Some(RUN_TAG_KEY))
                .and_then(|t| t.get("value").and_then(Value::as_str));
            if let Some(value) = tag.filter(|v| run.is_none_or(|r| r == *v)) {
                found.push(Leftover {
                    tunnel_id: id,
                    run: value.to_owned(),
                    status: tunnel.get("status").and_then(Value::as_str).unwrap_or("?").to_owned(),
                });
            }
        }
        Ok(found)
    }

    /// CloseTunnel with `delete: true` (already retried); a tunnel already gone counts as deleted.
    pub async fn delete(&self, tunnel_id: &str) -> Result<(), LeftoverError> {
        let mut rec = self.recorder();
        let resp = rec.send(CLEANUP, close_request(tunnel_id, true)).await;
        if let Some(why) = self.guard.setup_failure() {
            return Err(LeftoverError::Setup(why));
        }
        let what = format!("CloseTunnel (delete) of {tunnel_id}");
        match resp {
            Ok(r) if r.is_success() => Ok(()),
            Ok(r) if crate::wire::parse_error(&r).is_some_and(|e| e.type_name == "ResourceNotFoundException") => Ok(()),
            Ok(r) => Err(LeftoverError::Call {
                what,
                detail: summary(&r),
            }),
            Err(e) => Err(LeftoverError::Call {
                what,
                detail: e.to_string(),
            }),
        }
    }
}
