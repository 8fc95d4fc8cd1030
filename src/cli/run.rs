//! `rotcheck run` (to be implemented).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct RunArgs {}

pub async fn run(_args: RunArgs, _verbose: u8) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rotcheck run` is not implemented yet")
}
