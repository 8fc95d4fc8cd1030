//! `rotcheck schema --out DIR`: write the JSON Schemas derived from the service model.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Directory to write the schemas into (created if missing; existing files are overwritten).
    /// The committed copy lives in fixtures/schema.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: SchemaArgs) -> anyhow::Result<ExitCode> {
    // The error names the path and the OS error itself.
    let written =
        rotcheck::spec::schema::write_all(&args.out).map_err(|e| anyhow::anyhow!("writing JSON Schemas: {e}"))?;
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!("wrote {} schema files to {}", written.len(), args.out.display());
    Ok(ExitCode::SUCCESS)
}
