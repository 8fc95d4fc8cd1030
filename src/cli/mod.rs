//! Subcommands, one file each. Each returns the process exit code; an `Err` is a setup error (2).

pub mod cleanup;
pub mod compare;
pub mod fuzz;
mod fuzz_sequences;
mod options;
mod outputs;
pub mod record;
pub mod run;
pub mod schema;
pub mod serve;
pub mod signals;
pub mod spec;

/// Logs go to stderr; `-v` shows info, `-vv` debug. `RUST_LOG` overrides.
pub fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("rotcheck={default},warn")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// `flags` parsed as clap parses the option group `T` inside a subcommand: the tests of each
/// group and subcommand read their arguments the way users write them.
#[cfg(test)]
pub(crate) fn parse_flags<T: clap::Args>(flags: &[&str]) -> Result<T, clap::Error> {
    #[derive(clap::Parser)]
    struct Wrapper<T: clap::Args> {
        #[command(flatten)]
        group: T,
    }
    let argv = std::iter::once("rotcheck").chain(flags.iter().copied());
    <Wrapper<T> as clap::Parser>::try_parse_from(argv).map(|c| c.group)
}
