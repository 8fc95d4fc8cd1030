//! `rotcheck schema` (to be implemented).

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`rotcheck schema` is not implemented yet")
}
