//! `rotcheck schema --out DIR`: write the JSON Schemas derived from the service model.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Directory to write the schemas into (created if missing; existing files are overwritten).
    /// The committed copy lives in fixtures/schema.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: SchemaArgs) -> anyhow::Result<ExitCode> {
    let written = rotcheck::spec::schema::write_all(&args.out)
        .with_context(|| format!("writing JSON Schemas to {}", args.out.display()))?;
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!("wrote {} schema files to {}", written.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
