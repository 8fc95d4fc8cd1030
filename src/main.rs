//! The `rotcheck` command line. This is the CLI edge: the only place `anyhow` is used.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

/// Conformance harness and fuzzer for implementations of the AWS IoT Secure Tunneling action
/// RotateTunnelAccessToken.
///
/// Exit codes: 0 conformant (or command succeeded), 1 a conformance violation or fuzz finding,
/// 2 a usage, setup or connection error.
#[derive(Debug, Parser)]
#[command(name = "rotcheck", version, about, long_about, propagate_version = true)]
struct Cli {
    /// More output (-v: each case and request as it runs; -vv: debug logs). Tokens and
    /// credentials are redacted at every level.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Test an endpoint (default: the built-in reference implementation) for conformance.
    Run(cli::run::RunArgs),
    /// Run the built-in reference implementation of the secure-tunneling control plane.
    Serve(cli::serve::ServeArgs),
    /// Write the JSON Schemas derived from the service model.
    Schema(cli::schema::SchemaArgs),
    /// Fuzz an endpoint (default: the built-in one) with random mutated requests.
    Fuzz(cli::fuzz::FuzzArgs),
    /// Delete the tunnels that interrupted runs left at an endpoint (found by their tag).
    Cleanup(cli::cleanup::CleanupArgs),
    /// Record an endpoint's answers to the case sequence (for `rotcheck compare`).
    Record(cli::record::RecordArgs),
    /// Compare an endpoint with a recording, or with a reference endpoint: parity per JSON path.
    Compare(cli::compare::CompareArgs),
    /// List the spec's statements with the checks, faults and variants that cover each.
    Spec(cli::spec::SpecArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0 and usage errors with exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    cli::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => cli::run::run(args, cli.verbose).await,
            Command::Serve(args) => cli::serve::run(args).await,
            Command::Schema(args) => cli::schema::run(args),
            Command::Fuzz(args) => cli::fuzz::run(args, cli.verbose).await,
            Command::Cleanup(args) => cli::cleanup::run(args).await,
            Command::Record(args) => cli::record::run(args, cli.verbose).await,
            Command::Compare(args) => cli::compare::run(args, cli.verbose).await,
            Command::Spec(args) => cli::spec::run(args),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
