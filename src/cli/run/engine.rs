//! The seam to the runner, client, server and cases modules: the only code of `run`, `record` and
//! `compare` that calls them. [`Target`] is what a run talks to (a client, plus the server when it
//! is the built-in one); [`footprint`] is what a run will use, computed before anything is sent.

use std::path::Path;
use std::sync::Arc;

use anyhow::bail;
use rotcheck::cases::{self, Case};
use rotcheck::client::Client;
use rotcheck::report::fmt_duration;
use rotcheck::report::progress::Progress;
use rotcheck::report::repro::fmt_num;
use rotcheck::runner::plan::{Cost, Plan, Unit};
use rotcheck::runner::{self, data_plane_scenarios, live, DataPlaneTarget, RunConfig, RunResult, Status};
use rotcheck::server::RunningServer;

use super::Settings;

/// The runner's progress events, drawn by the report module.
struct Sink<'a>(&'a Progress);

impl runner::ProgressSink for Sink<'_> {
    fn run_started(&self, total: usize) {
        self.0.start(total);
    }
    fn case_started(&self, id: &str) {
        self.0.case_started(id);
    }
    fn case_finished(&self, id: &str, status: Status) {
        self.0.case_finished(id, status, None);
    }
    fn cleanup_started(&self, tunnels: usize) {
        self.0.cleanup_started(tunnels);
    }
}

pub struct Target {
    client: Client,
    server: Option<RunningServer>,
    region: String,
}

impl Target {
    /// Connect to the settings' endpoint, or start the built-in target and connect to it.
    pub async fn start(settings: &Settings) -> anyhow::Result<Target> {
        let opts = settings
            .connection
            .options(settings.endpoint.clone(), &settings.signing, settings.limits.rate);
        if !settings.embedded() {
            let client = Client::connect(opts).await?;
            let region = client.region().to_owned();
            return Ok(Target {
                client,
                server: None,
                region,
            });
        }
        let region = settings.signing.embedded_region();
        let (client, server) = rotcheck::target::start_embedded(&region, settings.time_scale, &opts).await?;
        Ok(Target {
            client,
            server: Some(server),
            region,
        })
    }

    pub async fn shutdown(self) {
        if let Some(server) = self.server {
            server.shutdown().await;
        }
    }
}

/// `--data-plane`, else the built-in target's (same port), else the AWS one for an AWS
/// endpoint; otherwise none.
pub fn data_plane(target: &Target, settings: &Settings) -> DataPlaneTarget {
    data_plane_at(target.server.as_ref().map(|s| s.addr()), settings)
}

/// `server`: the built-in target's address, when it runs (its data plane is on the same port).
fn data_plane_at(server: Option<std::net::SocketAddr>, settings: &Settings) -> DataPlaneTarget {
    if settings.no_data_plane {
        return DataPlaneTarget::Off(data_plane_scenarios::DATA_PLANE_OFF.into());
    }
    let url = settings.data_plane.clone().or_else(|| match server {
        Some(addr) => Some(format!("ws://{addr}")),
        None if settings.embedded() => Some("ws://127.0.0.1:0".into()),
        None => settings
            .endpoint
            .as_deref()
            .and_then(rotcheck::client::local_proxy::derive_from_api),
    });
    url.map_or_else(DataPlaneTarget::default, DataPlaneTarget::Url)
}

/// The runner's configuration for these settings.
fn config(settings: &Settings, region: String, data_plane: DataPlaneTarget) -> RunConfig {
    let l = &settings.limits;
    RunConfig {
        seed: settings.seed,
        time_scale: settings.time_scale,
        live: settings.live,
        only: settings.only.clone(),
        checks: settings.checks.clone(),
        concurrency: settings.concurrency,
        endpoint: settings.endpoint.clone().unwrap_or_else(|| "embedded".into()),
        embedded: settings.embedded(),
        region,
        strict_selection: true,
        endpoint_source: settings.endpoint_source.clone(),
        limits: runner::Limits {
            retry: rotcheck::client::RetryPolicy::with_base(l.retry_base),
            max_tunnels: l.max_tunnels,
            max_opened: l.max_tunnels_opened,
            stall: l.stall,
            request_timeout: settings.connection.timeout,
            ..runner::Limits::default()
        },
        expiry_grace: settings.expiry_grace,
        mode: settings.mode,
        data_plane,
    }
}

/// The plan of a run and what it costs.
pub struct Footprint {
    pub plan: Plan,
    pub cost: Cost,
}

/// What a run of `cases` with these settings will use, computed without sending anything.
pub fn footprint(settings: &Settings, cases: &[Case]) -> Footprint {
    let config = config(settings, String::new(), data_plane_at(None, settings));
    let plan = runner::prepare(cases.to_vec(), &config).plan;
    Footprint {
        cost: plan.cost(settings.limits.rate, settings.time_scale),
        plan,
    }
}

/// A limit for people: the number, or `unlimited`.
fn limit(v: Option<usize>) -> String {
    v.map_or("unlimited".to_owned(), |n| n.to_string())
}

/// The budget, for the first line of a command against a remote endpoint ("" otherwise).
pub fn budget_note(settings: &Settings, f: &Footprint) -> String {
    if !settings.remote {
        return String::new();
    }
    let l = &settings.limits;
    format!(
        "; budget: {} tunnel(s) opened ({} planned), {} at once, {} requests/s (about {} requests)",
        limit(l.max_tunnels_opened),
        f.cost.tunnels,
        limit(l.max_tunnels),
        l.rate.map_or("unlimited".to_owned(), fmt_num),
        f.cost.requests,
    )
}

/// A budget in all below what the plan needs is refused before anything is sent.
pub fn check_budget(settings: &Settings, f: &Footprint) -> anyhow::Result<()> {
    match settings.limits.max_tunnels_opened {
        Some(max) if max < f.cost.tunnels => bail!(
            "--max-tunnels-opened {max} is below the {} tunnels this run needs ({}); raise it{}",
            f.cost.tunnels,
            tunnels_needed(&f.plan),
            if f.plan.live {
                ", or leave the live check out with --no-live"
            } else {
                ""
            }
        ),
        _ => Ok(()),
    }
}

fn tunnels_needed(plan: &Plan) -> String {
    let mut v = Vec::new();
    if !plan.shared.is_empty() {
        v.push("one shared by the cases and scenarios");
    }
    if plan.live {
        v.push("a 1-minute tunnel for the live check");
    }
    v.join(", ")
}

/// `--plan`: what the run will use, in a few lines.
pub fn render_plan(settings: &Settings, f: &Footprint) -> String {
    let p = &f.plan;
    let s = &p.shared;
    let rate = settings
        .limits
        .rate
        .map_or("no rate limit".to_owned(), |r| format!("--rate {}", fmt_num(r)));
    let mut out = format!(
        "plan against {}: {} tunnel(s) opened ({}), about {} requests, about {} at {rate}\n",
        settings.target_name(),
        f.cost.tunnels,
        tunnels_needed(p),
        f.cost.requests,
        fmt_duration(f.cost.time),
    );
    if !s.is_empty() {
        let groups = s.open.iter().filter(|u| matches!(u, Unit::Group(_))).count();
        let alone = s.open.iter().filter(|u| matches!(u, Unit::One(_))).count();
        let open_cases: usize = s.open.iter().map(|u| u.cases().len()).sum();
        out.push_str(&format!(
            "  shared tunnel: {}{open_cases} case(s) on the OPEN tunnel ({groups} group(s) verified together, {alone} alone), {} data-plane scenario(s), {} case(s) on the CLOSED tunnel\n",
            if s.aged { "the aged rotation, " } else { "" },
            s.scenarios.len(),
            s.closed.len(),
        ));
    }
    if p.live {
        out.push_str(&format!(
            "  live tunnel: about {} requests over about {} (the cases run meanwhile)\n",
            live::requests_estimate(),
            fmt_duration(live::duration_estimate(live::real_lifetime(settings.time_scale))),
        ));
    }
    if !p.tunnel_less.is_empty() {
        out.push_str(&format!("  no tunnel: {} case(s)\n", p.tunnel_less.len()));
    }
    out.push_str(&format!(
        "  budget: {} tunnel(s) opened at most, {} at once; retries and replacements of tunnels an implementation closed come on top\n",
        limit(settings.limits.max_tunnels_opened),
        limit(settings.limits.max_tunnels),
    ));
    out.push_str("nothing was sent (--plan)\n");
    out
}

/// The cases of a run: generated for `seed`, with the fixtures of `fixtures` (else the built-in
/// ones).
pub fn load_cases(seed: u64, fixtures: Option<&Path>) -> anyhow::Result<Vec<Case>> {
    let fixtures = match fixtures {
        Some(dir) => cases::load_fixtures(dir)?,
        None => cases::embedded_fixtures()?,
    };
    Ok(cases::all_cases(seed, fixtures)?)
}

/// The ids of the scenarios a run may hold besides its cases (the live and aged rotations, the
/// data-plane scenarios), for [`check_only`].
pub fn scenario_ids<'a>() -> impl Iterator<Item = &'a str> {
    let ids: [&'a str; 2] = [runner::live::LIVE_CASE_ID, runner::aged::AGED_CASE_ID];
    ids.into_iter()
        .chain(data_plane_scenarios::Scenario::ALL.map(|s| -> &'a str { s.id() }))
}

/// A mistyped --only must not pass a CI gate by testing nothing: refused unless it matches one
/// of `ids`.
pub fn check_only<'a>(only: Option<&str>, mut ids: impl Iterator<Item = &'a str>) -> anyhow::Result<()> {
    let Some(only) = only else { return Ok(()) };
    let filter = runner::select::OnlyFilter::new(Some(only));
    if !ids.any(|id| filter.matches(id)) {
        bail!("--only {only:?} matched no case (patterns: a prefix, or a glob with * and ?)");
    }
    Ok(())
}

/// Run `cases` against `target`; Ctrl-C (`cancel`) stops the run, which still deletes its tunnels.
pub async fn execute(
    target: &Target,
    cases: Vec<Case>,
    settings: &Settings,
    progress: &Progress,
    cancel: tokio::sync::watch::Receiver<bool>,
) -> RunResult {
    let config = config(settings, target.region.clone(), data_plane(target, settings));
    // The client implements the runner's Transport (src/runner/transport.rs).
    let transport = Arc::new(target.client.clone());
    runner::run(transport, cases, &config, &Sink(progress), cancel).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::run::test_support::settings;

    const AWS: &str = "https://api.tunneling.iot.eu-west-1.amazonaws.com";

    fn url(flags: &[&str], server: Option<std::net::SocketAddr>) -> DataPlaneTarget {
        data_plane_at(server, &settings(flags).unwrap())
    }

    #[test]
    fn the_data_plane_is_derived_where_it_is_known_and_off_elsewhere() {
        let addr: std::net::SocketAddr = "127.0.0.1:4567".parse().unwrap();
        assert_eq!(url(&[], Some(addr)), DataPlaneTarget::Url("ws://127.0.0.1:4567".into()));
        assert_eq!(url(&[], None), DataPlaneTarget::Url("ws://127.0.0.1:0".into()));
        assert_eq!(
            url(&["--endpoint", AWS], None),
            DataPlaneTarget::Url("wss://data.tunneling.iot.eu-west-1.amazonaws.com".into())
        );
        assert_eq!(
            url(&["--endpoint", "http://127.0.0.1:4566"], None),
            DataPlaneTarget::default()
        );
        assert_eq!(
            url(
                &[
                    "--endpoint",
                    "http://127.0.0.1:4566",
                    "--data-plane",
                    " ws://127.0.0.1:9 "
                ],
                None
            ),
            DataPlaneTarget::Url("ws://127.0.0.1:9".into()),
            "--data-plane wins, trimmed"
        );
        assert_eq!(
            url(&["--no-data-plane"], Some(addr)),
            DataPlaneTarget::Off(data_plane_scenarios::DATA_PLANE_OFF.into())
        );
    }

    fn cases() -> Vec<Case> {
        load_cases(1, None).unwrap()
    }

    #[test]
    fn a_run_needs_the_shared_tunnel_and_the_live_one() {
        let with_live = footprint(&settings(&["--live"]).unwrap(), &cases());
        assert_eq!(with_live.cost.tunnels, 2);
        let without = footprint(&settings(&["--no-live"]).unwrap(), &cases());
        assert_eq!(without.cost.tunnels, 1);
        assert!(with_live.cost.requests > without.cost.requests);
    }

    #[test]
    fn a_budget_below_the_plan_is_refused_and_names_the_way_out() {
        let s = settings(&["--endpoint", AWS, "--live", "--max-tunnels-opened", "1"]).unwrap();
        let e = check_budget(&s, &footprint(&s, &cases())).unwrap_err().to_string();
        assert!(e.contains("--max-tunnels-opened 1 is below the 2 tunnels"), "{e}");
        assert!(e.contains("--no-live"), "{e}");
        let s = settings(&["--endpoint", AWS, "--no-live", "--max-tunnels-opened", "1"]).unwrap();
        assert!(check_budget(&s, &footprint(&s, &cases())).is_ok());
        let s = settings(&["--endpoint", AWS]).unwrap();
        assert!(
            check_budget(&s, &footprint(&s, &cases())).is_ok(),
            "the default budget suffices"
        );
    }

    #[test]
    fn the_budget_note_is_for_remote_endpoints_only() {
        let local = settings(&["--endpoint", "http://127.0.0.1:4566"]).unwrap();
        assert_eq!(budget_note(&local, &footprint(&local, &cases())), "");
        let remote = settings(&["--endpoint", AWS, "--rate", "2"]).unwrap();
        let note = budget_note(&remote, &footprint(&remote, &cases()));
        assert!(
            note.starts_with("; budget: 3 tunnel(s) opened (1 planned), 5 at once, 2 requests/s"),
            "{note}"
        );
    }

    #[test]
    fn the_plan_says_what_is_used_and_that_nothing_was_sent() {
        let s = settings(&["--endpoint", AWS, "--live"]).unwrap();
        let text = render_plan(&s, &footprint(&s, &cases()));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("plan against https://api.tunneling.iot.eu-west-1.amazonaws.com/: 2 tunnel(s) opened"),
            "{text}"
        );
        assert!(lines[0].ends_with("at --rate 5"), "{text}");
        assert!(text.contains("\n  shared tunnel: the aged rotation, "), "{text}");
        assert!(text.contains("\n  live tunnel: about "), "{text}");
        assert!(
            text.contains("\n  budget: 3 tunnel(s) opened at most, 5 at once;"),
            "{text}"
        );
        assert_eq!(lines.last(), Some(&"nothing was sent (--plan)"));
        let local = settings(&["--no-live"]).unwrap();
        let text = render_plan(&local, &footprint(&local, &cases()));
        assert!(
            text.starts_with("plan against the built-in reference implementation: 1 tunnel(s)"),
            "{text}"
        );
        assert!(
            !text.contains("live tunnel") && text.contains("no rate limit"),
            "{text}"
        );
    }

    #[test]
    fn only_must_match_a_case_or_a_scenario() {
        let ids = ["valid/all", "mutate/x/tunnelId"];
        assert!(check_only(None, ids.into_iter()).is_ok());
        assert!(check_only(Some("valid/"), ids.into_iter()).is_ok());
        assert!(check_only(Some("mutate/*/tunnelId"), ids.into_iter()).is_ok());
        let e = check_only(Some("vaild/"), ids.into_iter()).unwrap_err().to_string();
        assert!(e.contains("matched no case"), "{e}");
        assert!(check_only(Some(runner::live::LIVE_CASE_ID), scenario_ids()).is_ok());
    }
}
