//! `rotcheck cleanup`: delete the tunnels that interrupted runs left behind. Every tunnel a run
//! opens carries the tag `rotcheck-run` = its run id; this lists the endpoint's tunnels, keeps
//! those with the tag (of one run with --run), and deletes them (CloseTunnel, delete: true).

use std::process::ExitCode;

use anyhow::bail;
use rotcheck::client::{Client, RetryPolicy};
use rotcheck::runner::leftovers::Sweep;

use super::options::{ConnectionArgs, EndpointArgs};

const EXAMPLES: &str = "\
Examples:
  Delete every tunnel rotcheck runs left at an endpoint:
    rotcheck cleanup --endpoint https://api.tunneling.iot.us-east-1.amazonaws.com

  Only list them, or only those of one run (the id is in the run's report and tags):
    rotcheck cleanup --endpoint http://127.0.0.1:8080 --dry-run
    rotcheck cleanup --endpoint http://127.0.0.1:8080 --run 1764463200-1a2b3c4d

Exit codes: 0 nothing left (or --dry-run), 1 some tunnel could not be deleted, 2 setup error.";

/// Delete the tunnels interrupted rotcheck runs left open (found by their `rotcheck-run` tag).
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct CleanupArgs {
    #[command(flatten)]
    pub endpoint: EndpointArgs,

    /// Only the tunnels of this run id (the value of the rotcheck-run tag).
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,

    /// List what would be deleted, delete nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten, next_help_heading = "Connection")]
    pub connection: ConnectionArgs,
}

pub async fn run(args: CleanupArgs) -> anyhow::Result<ExitCode> {
    let Some((endpoint, _)) = args.endpoint.resolve_from_env()? else {
        bail!("no endpoint: pass --endpoint URL (or set AWS_ENDPOINT_URL_IOTSECURETUNNELING)");
    };
    // No rate limit: a cleanup sends one ListTunnels page and one CloseTunnel per leftover.
    let opts = args
        .connection
        .validate()?
        .options(Some(endpoint), &args.endpoint, None);
    let client = Client::connect(opts).await?;
    if let Some(n) = client.notice() {
        eprintln!("note: {n}");
    }
    let sweep = Sweep::new(&client, RetryPolicy::default());
    let found = sweep.find(args.run.as_deref()).await?;
    if found.is_empty() {
        println!("no tunnel left by a rotcheck run at {}", client.endpoint());
        return Ok(ExitCode::SUCCESS);
    }
    let mut failed = 0;
    for t in &found {
        if args.dry_run {
            println!("would delete {} ({}, run {})", t.tunnel_id, t.status, t.run);
            continue;
        }
        match sweep.delete(&t.tunnel_id).await {
            Ok(()) => println!("deleted {} ({}, run {})", t.tunnel_id, t.status, t.run),
            Err(rotcheck::runner::leftovers::LeftoverError::Setup(why)) => bail!("{why}"),
            Err(e) => {
                failed += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if !args.dry_run {
        println!("{} of {} tunnel(s) deleted", found.len() - failed, found.len());
    }
    Ok(if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
