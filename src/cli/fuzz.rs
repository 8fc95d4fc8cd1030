//! `rotcheck fuzz` (to be implemented).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct FuzzArgs {}

pub async fn run(_args: FuzzArgs, _verbose: u8) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rotcheck fuzz` is not implemented yet")
}
