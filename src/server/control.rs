//! In-process control of a reference server, for fuzz targets that reuse one server across
//! thousands of inputs: snapshot the tunnel store once it holds the tunnels an input needs, restore
//! it before each input (a clone of a handful of tunnels instead of a new server and HTTP setup
//! calls), and move the tunnel clock forward without sleeping.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::state::AppState;
use super::store::Store;
use super::ServerConfig;

/// A handle on the state behind a router made by [`router_with_control`].
#[derive(Clone)]
pub struct Control {
    state: Arc<AppState>,
}

impl std::fmt::Debug for Control {
    // The state holds tokens: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control").finish_non_exhaustive()
    }
}

/// The tunnel store at one moment (ids, tokens, states, tags); opaque.
#[derive(Debug, Clone)]
pub struct StoreSnapshot(Store);

impl Control {
    /// The store as it is now.
    pub fn snapshot(&self) -> StoreSnapshot {
        StoreSnapshot(self.state.store().clone())
    }

    /// Puts the store back as it was at `snapshot` (the clock is not moved back).
    pub fn restore(&self, snapshot: &StoreSnapshot) {
        *self.state.store() = snapshot.0.clone();
    }

    /// Moves the server's clocks (the tunnel clock and the wall clock createdAt comes from)
    /// forward by `by` real seconds: tunnels expire as if that time had passed.
    pub fn advance_clock(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Tunnels this server has opened (successful OpenTunnel calls) since it started; a store
    /// [`Control::restore`] does not change it.
    pub fn tunnels_opened(&self) -> u64 {
        self.state.tunnels_opened.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Real seconds one tunnel-minute lasts on this server's clock (`60 / time_scale`).
    pub fn tunnel_minute(&self) -> Duration {
        Duration::from_secs_f64(self.state.clock.tunnel_minutes(1.0))
    }
}

/// [`super::router`], with a [`Control`] on its state.
pub fn router_with_control(config: ServerConfig) -> (Router, Control) {
    let state = Arc::new(AppState::new(super::sanitized(config)));
    (super::app(state.clone()), Control { state })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    async fn call(app: &Router, op: &str, body: &str) -> (u16, Value) {
        let req = axum::http::Request::post("/")
            .header("x-amz-target", format!("IoTSecuredTunneling.{op}"))
            .body(Body::from(body.to_owned()))
            .unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    #[tokio::test]
    async fn restore_undoes_every_change_and_the_clock_expires_tunnels() {
        let (app, control) = router_with_control(ServerConfig::default());
        let (_, opened) = call(
            &app,
            "OpenTunnel",
            r#"{"timeoutConfig":{"maxLifetimeTimeoutMinutes":1}}"#,
        )
        .await;
        let id = opened["tunnelId"].as_str().unwrap().to_owned();
        let snapshot = control.snapshot();
        let describe = format!(r#"{{"tunnelId":"{id}"}}"#);
        call(&app, "CloseTunnel", &format!(r#"{{"tunnelId":"{id}","delete":true}}"#)).await;
        assert_eq!(call(&app, "DescribeTunnel", &describe).await.0, 400);
        control.restore(&snapshot);
        let (status, described) = call(&app, "DescribeTunnel", &describe).await;
        assert_eq!((status, described["tunnel"]["status"].as_str()), (200, Some("OPEN")));
        control.advance_clock(control.tunnel_minute() + Duration::from_secs(1));
        let (_, described) = call(&app, "DescribeTunnel", &describe).await;
        assert_eq!(described["tunnel"]["status"], "CLOSED");
    }

    /// Guards the budget tests' yardstick: only tunnels actually opened count, and a restore does not reset it.
    #[tokio::test]
    async fn tunnels_opened_counts_successful_opens_only_and_survives_a_restore() {
        let (app, control) = router_with_control(ServerConfig {
            max_tunnels: 1,
            ..ServerConfig::default()
        });
        let empty = control.snapshot();
        assert_eq!(call(&app, "OpenTunnel", "{}").await.0, 200);
        // The store is full: LimitExceededException opens nothing.
        assert_eq!(call(&app, "OpenTunnel", "{}").await.0, 400);
        assert_eq!(control.tunnels_opened(), 1);
        control.restore(&empty);
        assert_eq!(call(&app, "OpenTunnel", "{}").await.0, 200);
        assert_eq!(control.tunnels_opened(), 2);
    }
}
