//! `rotcheck spec`: the spec map, statement by statement.

use std::process::ExitCode;

use anyhow::{anyhow, bail};
use rotcheck::checks::CheckId;
use rotcheck::report::spec_map;
use rotcheck::spec::statements::Kind;
use rotcheck::traceability::{self, Row};

const EXAMPLES: &str = "\
What it prints: the coverage figure (facts covered by a check and a fault, inferences covered
under `rotcheck run --strict`, left-open points accepted in a variant), then per statement of the
spec files (fixtures/spec): its id and kind, where it is and what it says, each check that
enforces it with the faults of `rotcheck serve --fault` that prove the check bites on it, the
variants of `rotcheck serve --variant` that prove the harness accepts what the spec leaves open,
and for a statement that is not covered, why not (its gap). The statements live in
fixtures/statements.json; docs/spec-coverage.md explains the map and how to extend it.

Examples:
  What nothing covers yet, and why:
    rotcheck spec --uncovered
  What one check enforces (the ids its failures quote):
    rotcheck spec --check token-revoked
  The points the spec leaves open:
    rotcheck spec --kind left-open

Exit codes: 0 printed, 2 the committed map is inconsistent (tests/spec_coverage.rs fails too).";

/// Print the spec's statements with the checks, faults and variants that cover each.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct SpecArgs {
    /// Only statements of this kind (repeatable).
    #[arg(long, value_enum, value_name = "KIND")]
    kind: Vec<KindArg>,

    /// Only the statements this check enforces (an id of `rotcheck run --list-checks`).
    #[arg(long, value_name = "ID")]
    check: Option<String>,

    /// Only statements that are not covered (each with the reason).
    #[arg(long)]
    uncovered: bool,

    /// Print a Markdown table instead of text (as in docs/spec-coverage.md).
    #[arg(long)]
    markdown: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum KindArg {
    /// Stated by a source.
    Fact,
    /// Marked "Inferred" in PROTOCOL.md: enforced only by `rotcheck run --strict`.
    Inference,
    /// Several outcomes allowed: the harness must accept each.
    LeftOpen,
}

impl KindArg {
    fn kind(self) -> Kind {
        match self {
            KindArg::Fact => Kind::Fact,
            KindArg::Inference => Kind::Inference,
            KindArg::LeftOpen => Kind::LeftOpen,
        }
    }
}

pub fn run(args: SpecArgs) -> anyhow::Result<ExitCode> {
    let check = match &args.check {
        Some(id) => Some(
            CheckId::parse(id)
                .ok_or_else(|| anyhow!("--check {id}: no such check (rotcheck run --list-checks lists them)"))?,
        ),
        None => None,
    };
    let trace = traceability::embedded().map_err(|e| anyhow!("the spec map does not load: {e}"))?;
    let rows: Vec<&Row> = trace
        .rows
        .iter()
        .filter(|r| args.kind.is_empty() || args.kind.iter().any(|k| k.kind() == r.statement.kind))
        .filter(|r| check.is_none_or(|c| r.checks.iter().any(|x| x.check == c)))
        .filter(|r| !args.uncovered || !r.covered)
        .collect();
    let coverage = trace.coverage();
    if args.markdown {
        print!("{}", spec_map::markdown(&coverage, &rows));
    } else {
        print!("{}", spec_map::text(&coverage, &rows));
    }
    if !trace.problems.is_empty() {
        let problems: Vec<String> = trace.problems.iter().map(ToString::to_string).collect();
        bail!(
            "the spec map has problems (tests/spec_coverage.rs names them too):\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
