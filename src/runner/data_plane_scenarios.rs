//! The data-plane scenarios: each runs on the shared tunnel, takes fresh tokens from a rotation
//! (a token is single use; rotation is free), rotates or closes the tunnel through the control
//! plane, and connects to the data plane (`client::local_proxy`) the way a local proxy does. They
//! record what every handshake showed; the checks in `src/checks/` judge it.
//!
//! No token connects before the step that needs it fresh, so every refusal has one cause:
//! revocation in token-revoked, single use in token-single-use, the CLOSED tunnel in closed-tunnel.
//! connection-state runs first (no connection was ever made on the tunnel), closed-tunnel last
//! (it closes the tunnel).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::distr::{Alphanumeric, SampleString};
use serde_json::{json, Value};

use super::recorder::{Recorder, REQUEST, VERIFY};
use super::result::{ms, CaseResult, Sent};
use super::shared::{rotate_request, Shared};
use super::state::{close_request, Harness};
use super::transport::Transport;
use crate::checks::connection_state::StateObservation;
use crate::checks::data_plane::{DataPlaneObservation, Handshake};
use crate::checks::rotated_connection::RotatedObservation;
use crate::checks::token_revoked::RevokedObservation;
use crate::checks::token_single_use::SingleUseObservation;
use crate::checks::{self, CheckId, Evidence, Subject};
use crate::client::local_proxy::{Attempt, Connection, DataPlane, FirstMessage, Outcome};
use crate::secret::SecretString;
use crate::spec::facts::{self, ClientMode, DESTINATION_TOKEN, SOURCE_TOKEN};
use crate::wire::{HttpRequest, HttpResponse};

/// How long to wait for the first message after a 101.
pub const FIRST_MESSAGE_WAIT: Duration = Duration::from_secs(2);
/// How long CloseTunnel may take to end a connection.
pub const CLOSE_WAIT: Duration = Duration::from_secs(3);
/// How long DescribeTunnel may take to show a connection change.
pub const STATE_WAIT: Duration = Duration::from_secs(5);
const STATE_POLL: Duration = Duration::from_millis(100);
/// How long the rotated-connection advisory watches a connection after its token's rotation.
pub const ROTATED_WAIT: Duration = Duration::from_secs(1);

/// Why the data-plane checks are skipped when no data plane is known.
pub const NO_DATA_PLANE: &str =
    "no data plane given (--data-plane ws://HOST:PORT or wss://...); the data-plane parts of closed-tunnel and source-destination-config did not run either";
/// Why they are skipped under `--no-data-plane`.
pub const DATA_PLANE_OFF: &str =
    "--no-data-plane; the data-plane parts of closed-tunnel and source-destination-config did not run either";

/// One scenario: its result id and the check it feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Handshake,
    Revoked(ClientMode),
    SingleUse,
    SourceDestinationConfig,
    ClosedTunnel,
    ConnectionState,
    RotatedConnection,
    Relay,
}

impl Scenario {
    /// In the order they run on the shared tunnel.
    pub const ALL: [Scenario; 10] = [
        Scenario::ConnectionState,
        Scenario::Handshake,
        Scenario::Revoked(ClientMode::Source),
        Scenario::Revoked(ClientMode::Destination),
        Scenario::Revoked(ClientMode::All),
        Scenario::SingleUse,
        Scenario::SourceDestinationConfig,
        Scenario::RotatedConnection,
        Scenario::Relay,
        Scenario::ClosedTunnel,
    ];

    /// Control-plane requests the scenario sends against a conformant endpoint: the rotation
    /// for fresh tokens, then its own.
    pub fn requests(self) -> usize {
        1 + match self {
            Scenario::Handshake | Scenario::SingleUse | Scenario::Relay => 0,
            // The initial read, one poll each way, the other side's status.
            Scenario::ConnectionState => 4,
            Scenario::Revoked(_)
            | Scenario::SourceDestinationConfig
            | Scenario::RotatedConnection
            | Scenario::ClosedTunnel => 1,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Scenario::Handshake => "scenario/data-plane/handshake",
            Scenario::Revoked(ClientMode::Source) => "scenario/data-plane/token-revoked-source",
            Scenario::Revoked(ClientMode::Destination) => "scenario/data-plane/token-revoked-destination",
            Scenario::Revoked(ClientMode::All) => "scenario/data-plane/token-revoked-all",
            Scenario::SingleUse => "scenario/data-plane/token-single-use",
            Scenario::SourceDestinationConfig => "scenario/data-plane/source-destination-config",
            Scenario::ClosedTunnel => "scenario/data-plane/closed-tunnel",
            Scenario::ConnectionState => "scenario/data-plane/connection-state",
            Scenario::RotatedConnection => "scenario/data-plane/rotated-connection",
            Scenario::Relay => "scenario/data-plane/relay",
        }
    }

    pub fn check(self) -> CheckId {
        match self {
            Scenario::Handshake => CheckId::HANDSHAKE,
            Scenario::Revoked(_) => CheckId::TOKEN_REVOKED,
            Scenario::SingleUse => CheckId::TOKEN_SINGLE_USE,
            Scenario::SourceDestinationConfig => CheckId::SOURCE_DESTINATION_CONFIG,
            Scenario::ClosedTunnel => CheckId::CLOSED_TUNNEL,
            Scenario::ConnectionState => CheckId::CONNECTION_STATE,
            Scenario::RotatedConnection => CheckId::ROTATED_CONNECTION,
            Scenario::Relay => CheckId::RELAY,
        }
    }

    fn description(self) -> String {
        let text = match self {
            Scenario::Handshake => "data plane: a source token in destination mode is refused; the source token (header) and the destination token (cookie) connect with 101, channel-id, the subprotocol echoed and SERVICE_IDS",
            Scenario::Revoked(ClientMode::Source) => "data plane: rotate SOURCE; the previous source token is refused, the new one and the destination token connect",
            Scenario::Revoked(ClientMode::Destination) => "data plane: rotate DESTINATION; the previous destination token is refused, the new one and the source token connect",
            Scenario::Revoked(ClientMode::All) => "data plane: rotate ALL; both previous tokens are refused, both new ones connect",
            Scenario::SingleUse => "data plane: a token connects once without a client token; with a client token it reconnects with the same one and is refused with another",
            Scenario::SourceDestinationConfig => "data plane: after SOURCE + destinationConfig is refused, the source token from OpenTunnel still connects",
            Scenario::ClosedTunnel => "data plane: CloseTunnel ends a source connection; the destination token of the CLOSED tunnel is refused",
            Scenario::ConnectionState => "data plane: sourceConnectionState goes DISCONNECTED -> CONNECTED -> DISCONNECTED with a source connection",
            Scenario::RotatedConnection => "data plane: a source connection open while SOURCE is rotated (left open by the spec: advisory)",
            Scenario::Relay => "data plane: a burst of several MB each way on one stream (two V3 connections) arrives whole and in order",
        };
        text.to_owned()
    }
}

/// The scenarios to run for the selected checks.
pub fn planned(selected: &BTreeSet<CheckId>, only: &super::select::OnlyFilter) -> Vec<Scenario> {
    Scenario::ALL
        .into_iter()
        .filter(|s| selected.contains(&s.check()) && only.matches(s.id()))
        .collect()
}

fn client_token() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 40)
}

/// What a scenario carries from step to step.
struct Run<'h, T: Transport> {
    h: &'h Arc<Harness<T>>,
    shared: &'h mut Shared<T>,
    dp: &'h DataPlane,
    rec: Recorder<'h, T>,
    request: HttpRequest,
    response: Option<HttpResponse>,
    transport_error: Option<String>,
}

impl<'h, T: Transport> Run<'h, T> {
    /// A handshake; the connection is kept open when `keep`, else closed at once.
    async fn handshake(&self, label: &str, attempt: Attempt, keep: bool) -> (Handshake, Option<Box<Connection>>) {
        let mut h = Handshake {
            label: label.to_owned(),
            offered: attempt.subprotocols.iter().map(|p| (*p).to_owned()).collect(),
            ..Default::default()
        };
        let connected = {
            let _waiting = self
                .h
                .guard
                .watchdog
                .waiting(format!("the data-plane handshake: {label}"));
            self.dp.connect(&attempt).await
        };
        if connected.is_ok() {
            self.h.guard.watchdog.progress();
        }
        match connected {
            Err(e) => {
                h.error = Some(self.h.redactor.scrub(&e.to_string()));
                (h, None)
            }
            Ok(Outcome::Refused(r)) => {
                h.status = Some(r.status);
                h.body_prefix = self.h.redactor.scrub(&r.body_prefix);
                (h, None)
            }
            Ok(Outcome::Connected(mut conn)) => {
                h.status = Some(101);
                h.channel_id = conn.accepted.channel_id.is_some();
                h.subprotocol = conn.accepted.subprotocol.clone();
                h.accept_key_ok = conn.accepted.accept_key_ok;
                match conn.first_message(FIRST_MESSAGE_WAIT).await {
                    FirstMessage::Message(m) => h.first_message_type = Some(m.r#type),
                    FirstMessage::Malformed(why) => h.first_problem = Some(why),
                    FirstMessage::Closed => h.first_problem = Some("the server closed the connection".into()),
                    FirstMessage::Timeout => {
                        h.first_problem = Some(format!("nothing within {} ms", FIRST_MESSAGE_WAIT.as_millis()));
                    }
                }
                if keep {
                    (h, Some(conn))
                } else {
                    conn.close().await;
                    (h, None)
                }
            }
        }
    }

    /// A handshake whose connection is closed at once.
    async fn try_token(&self, label: &str, attempt: Attempt) -> Handshake {
        self.handshake(label, attempt, false).await.0
    }

    /// The scenario's own request (a rotation or CloseTunnel): recorded as the case's request.
    async fn send(&mut self, request: HttpRequest) -> Option<HttpResponse> {
        self.request = request.clone();
        // The request may change the tunnel: the next step reads it again.
        self.shared.last = None;
        match self.rec.send(REQUEST, request).await {
            Ok(r) => {
                if let Some(b) = r.body_json().filter(|_| r.is_success()) {
                    self.shared.record_answer(&b);
                }
                self.response = Some(r.clone());
                Some(r)
            }
            Err(e) => {
                self.transport_error = Some(e.to_string());
                None
            }
        }
    }

    /// Fresh tokens of both sides of the shared tunnel, and its id.
    async fn fresh(&mut self) -> Result<(String, SecretString, SecretString), String> {
        let (source, destination) = self.shared.fresh_pair(&mut self.rec).await?;
        Ok((self.shared.id(), source, destination))
    }

    /// The connection status of `side` (`source`/`destination`) in DescribeTunnel.
    async fn side_status(&mut self, tunnel_id: &str, side: &str) -> Option<String> {
        let t = self.h.describe(&mut self.rec, VERIFY, tunnel_id).await?;
        t.get(format!("{side}ConnectionState"))
            .and_then(|c| c.get("status"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    /// Poll until `side` shows `want` or [`STATE_WAIT`] passes; the last status read.
    async fn wait_status(&mut self, tunnel_id: &str, side: &str, want: &str) -> Option<String> {
        let start = Instant::now();
        loop {
            let got = self.side_status(tunnel_id, side).await;
            if got.as_deref() == Some(want) || start.elapsed() >= STATE_WAIT {
                return got;
            }
            tokio::time::sleep(STATE_POLL).await;
        }
    }
}

/// The data-plane checks that only the scenarios feed: skipped as a whole without a data plane.
pub const DATA_PLANE_ONLY: [CheckId; 6] = [
    CheckId::HANDSHAKE,
    CheckId::TOKEN_REVOKED,
    CheckId::TOKEN_SINGLE_USE,
    CheckId::CONNECTION_STATE,
    CheckId::ROTATED_CONNECTION,
    CheckId::RELAY,
];

/// Run one scenario on the shared tunnel against the data plane `dp`.
pub async fn run<T: Transport>(
    shared: &mut Shared<T>,
    dp: &DataPlane,
    scenario: Scenario,
    selected: &BTreeSet<CheckId>,
) -> CaseResult {
    let started = Instant::now();
    let h = &shared.harness();
    let mut run = Run {
        h,
        shared,
        dp,
        rec: h.recorder().labelled(scenario.id()),
        request: HttpRequest::json(facts::ROTATE, &json!({"tunnelId": "", "clientMode": "ALL"})),
        response: None,
        transport_error: None,
    };
    let obs = match h.stop_reason() {
        Some(why) => Err(super::error::SetupError::NotRun(why).to_string()),
        None => body(&mut run, scenario).await,
    };
    let obs = match obs {
        Ok(o) => o,
        Err(why) => {
            h.setup_problem(scenario.id(), &why);
            DataPlaneObservation::NotRun {
                check: scenario.check(),
                why,
            }
        }
    };
    let outcomes = checks::judge(
        &Evidence {
            exchanges: &run.rec.exchanges,
            subject: Subject::DataPlane(&obs),
        },
        selected,
    );
    let mode = match scenario {
        Scenario::Revoked(mode) => mode,
        _ => ClientMode::All,
    };
    let sent = Sent {
        request: run.request,
        response: run.response,
        transport_error: run.transport_error,
    };
    CaseResult::scenario(
        scenario.id(),
        scenario.description(),
        mode,
        sent,
        outcomes,
        run.rec.exchanges,
        started,
    )
}

async fn body<T: Transport>(run: &mut Run<'_, T>, scenario: Scenario) -> Result<DataPlaneObservation, String> {
    match scenario {
        Scenario::Handshake => handshake(run).await,
        Scenario::Revoked(mode) => revoked(run, mode).await,
        Scenario::SingleUse => single_use(run).await,
        Scenario::SourceDestinationConfig => source_destination_config(run).await,
        Scenario::ClosedTunnel => closed_tunnel(run).await,
        Scenario::ConnectionState => connection_state(run).await,
        Scenario::RotatedConnection => rotated_connection(run).await,
        Scenario::Relay => relay(run).await,
    }
}

async fn handshake<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, destination) = run.fresh().await?;
    run.request = super::state::describe_request(&tunnel_id);
    let mismatch = run
        .try_token(
            "the source token in destination mode",
            Attempt::new("destination", source.clone()),
        )
        .await;
    let mut good = vec![
        run.try_token("the source token (access-token header)", Attempt::new("source", source))
            .await,
    ];
    let mut cookie = Attempt::new("destination", destination);
    cookie.via_cookie = true;
    good.push(run.try_token("the destination token (cookie)", cookie).await);
    Ok(DataPlaneObservation::Handshake { good, mismatch })
}

fn new_token(resp: &HttpResponse, member: &str) -> Option<SecretString> {
    resp.body_json()?
        .get(member)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(SecretString::new)
}

async fn revoked<T: Transport>(run: &mut Run<'_, T>, mode: ClientMode) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, destination) = run.fresh().await?;
    let mut obs = RevokedObservation {
        mode: mode.as_str().to_owned(),
        ..Default::default()
    };
    let Some(resp) = run.send(rotate_request(&tunnel_id, mode, None)).await else {
        obs.inconclusive = Some("the rotation got no response".into());
        return Ok(DataPlaneObservation::Revoked(obs));
    };
    if !resp.is_success() {
        obs.inconclusive = Some(format!("the rotation was refused ({})", checks::summary(&resp)));
        return Ok(DataPlaneObservation::Revoked(obs));
    }
    let sides = [
        ("source", SOURCE_TOKEN, source, ClientMode::Destination),
        ("destination", DESTINATION_TOKEN, destination, ClientMode::Source),
    ];
    for (side, member, old, unrotated_in) in sides {
        if mode == unrotated_in {
            obs.unrotated.push(
                run.try_token(&format!("the unrotated {side} token"), Attempt::new(side, old))
                    .await,
            );
            continue;
        }
        obs.old_tokens.push(
            run.try_token(&format!("the previous {side} token"), Attempt::new(side, old))
                .await,
        );
        match new_token(&resp, member) {
            Some(new) => obs.new_tokens.push(
                run.try_token(&format!("the new {side} token"), Attempt::new(side, new))
                    .await,
            ),
            None => obs.inconclusive = Some(format!("the rotation returned no {member}")),
        }
    }
    Ok(DataPlaneObservation::Revoked(obs))
}

async fn single_use<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, destination) = run.fresh().await?;
    run.request = super::state::describe_request(&tunnel_id);
    let first = run
        .try_token("the source token, first use", Attempt::new("source", source.clone()))
        .await;
    let second = run
        .try_token("the source token, second use", Attempt::new("source", source))
        .await;
    let (a, b) = (client_token(), client_token());
    let with = |ct: &str| {
        let mut at = Attempt::new("destination", destination.clone());
        at.client_token = Some(ct.to_owned());
        at
    };
    let bound = run
        .try_token("the destination token with client token A", with(&a))
        .await;
    let same_client = run
        .try_token("the destination token again with client token A", with(&a))
        .await;
    let other_client = run
        .try_token("the destination token with client token B", with(&b))
        .await;
    let obs = SingleUseObservation {
        first,
        second,
        bound,
        same_client,
        other_client,
    };
    Ok(DataPlaneObservation::SingleUse(obs))
}

async fn source_destination_config<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, _) = run.fresh().await?;
    let config = json!({"services": ["SSH"]});
    let Some(resp) = run
        .send(rotate_request(&tunnel_id, ClientMode::Source, Some(&config)))
        .await
    else {
        return Err("SOURCE + destinationConfig got no response".into());
    };
    let old = run
        .try_token(
            "the source token from OpenTunnel, after the refusal",
            Attempt::new("source", source),
        )
        .await;
    Ok(DataPlaneObservation::SourceDestinationConfig {
        refusal: resp,
        old_source: old,
    })
}

async fn closed_tunnel<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, destination) = run.fresh().await?;
    let (open_before, conn) = run
        .handshake(
            "the source token before CloseTunnel",
            Attempt::new("source", source),
            true,
        )
        .await;
    let Some(resp) = run.send(close_request(&tunnel_id, false)).await else {
        return Err("CloseTunnel got no response".into());
    };
    if !resp.is_success() {
        return Err(format!("CloseTunnel failed: {}", checks::summary(&resp)));
    }
    let ended = match conn {
        Some(mut c) => {
            let ended = c.closed_within(CLOSE_WAIT).await;
            c.close().await;
            ended
        }
        None => false,
    };
    let closed_token = run
        .try_token(
            "the destination token of the CLOSED tunnel",
            Attempt::new("destination", destination),
        )
        .await;
    Ok(DataPlaneObservation::ClosedTunnel {
        open_before,
        ended,
        wait_ms: ms(CLOSE_WAIT),
        closed_token,
    })
}

async fn connection_state<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, _) = run.fresh().await?;
    run.request = super::state::describe_request(&tunnel_id);
    let mut obs = StateObservation {
        side: "source".into(),
        wait_ms: ms(STATE_WAIT),
        ..Default::default()
    };
    obs.initial = run.side_status(&tunnel_id, "source").await;
    let (connect, conn) = run
        .handshake("the source token", Attempt::new("source", source), true)
        .await;
    obs.connect = connect;
    if let Some(conn) = conn {
        obs.while_connected = run.wait_status(&tunnel_id, "source", "CONNECTED").await;
        obs.other_while_connected = run.side_status(&tunnel_id, "destination").await;
        conn.close().await;
        obs.after_disconnect = run.wait_status(&tunnel_id, "source", "DISCONNECTED").await;
    }
    Ok(DataPlaneObservation::ConnectionState(obs))
}

async fn rotated_connection<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, _) = run.fresh().await?;
    let mut obs = RotatedObservation {
        wait_ms: ms(ROTATED_WAIT),
        ..Default::default()
    };
    let (connect, conn) = run
        .handshake("the source token", Attempt::new("source", source), true)
        .await;
    let Some(mut conn) = conn else {
        obs.not_observed = Some(format!("no connection ({})", connect.summary()));
        return Ok(DataPlaneObservation::Rotated(obs));
    };
    match run.send(rotate_request(&tunnel_id, ClientMode::Source, None)).await {
        Some(r) if r.is_success() => {
            obs.closed = conn.closed_within(ROTATED_WAIT).await;
        }
        Some(r) => obs.not_observed = Some(format!("the rotation was refused ({})", checks::summary(&r))),
        None => obs.not_observed = Some("the rotation got no response".into()),
    }
    conn.close().await;
    Ok(DataPlaneObservation::Rotated(obs))
}

/// The relay burst (`runner::relay`) with fresh tokens of the shared tunnel.
async fn relay<T: Transport>(run: &mut Run<'_, T>) -> Result<DataPlaneObservation, String> {
    let (tunnel_id, source, destination) = run.fresh().await?;
    run.request = super::state::describe_request(&tunnel_id);
    let obs = super::relay::observe(run.dp, source, destination).await;
    Ok(DataPlaneObservation::Relay(obs))
}
