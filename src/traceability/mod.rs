//! The map from the spec's statements to the evidence that rotcheck judges them: per statement
//! of `fixtures/statements.json`, the checks that enforce it (their `About`), the faults that
//! prove each of those checks bites on it (`fixtures/fault-checks.txt` and
//! `fixtures/fault-statements.txt`, proved by tests/mutation_score.rs) and the variants that
//! prove the checks do not over-reach there (`fixtures/variant-statements.txt`).
//!
//! Coverage, per kind of statement:
//! - a fact is covered by a check that enforces it and a fault, caught by that check in a plain
//!   `rotcheck run`, that breaks it;
//! - an inference is covered under `--strict`: a check that enforces it and that `--strict`
//!   applies to, and a fault of that check that breaks it;
//! - a left-open point is covered by a variant that takes its latitude (every variant passes).
//!
//! A statement that is not covered must say why (its `gap`), and one that is must not: a fact
//! that loses its last fault, or a check that names no statement, is a [`TraceProblem`].

pub mod tables;

use crate::checks::CheckId;
use crate::spec::statements::{Kind, Statement, Statements};

pub use tables::{TableError, Tables};

/// What the map needs of a check.
#[derive(Debug, Clone, Copy)]
pub struct CheckInfo {
    pub id: CheckId,
    pub statements: &'static [&'static str],
    /// Whether `--strict` turns the check's advisories into failures.
    pub strict_applies: bool,
}

impl CheckInfo {
    /// Every registered check, in report order.
    pub fn registered() -> Vec<CheckInfo> {
        CheckId::all()
            .map(|id| CheckInfo {
                id,
                statements: id.statements(),
                strict_applies: id.strict_applies(),
            })
            .collect()
    }
}

/// A fault that breaks a statement, and whether only `--strict` catches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRef {
    pub name: String,
    pub strict: bool,
}

/// A check that enforces a statement, with the faults that prove it bites there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub check: CheckId,
    pub faults: Vec<FaultRef>,
}

/// One statement and its evidence.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub statement: &'a Statement,
    pub checks: Vec<CheckRow>,
    pub variants: Vec<String>,
    pub covered: bool,
}

/// Covered statements out of all, for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub covered: usize,
    pub total: usize,
}

/// The coverage figure: per kind of statement, how many are covered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    pub facts: Tally,
    pub inferences: Tally,
    pub left_open: Tally,
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Coverage {
            facts,
            inferences,
            left_open,
        } = self;
        write!(
            f,
            "facts: {}/{} covered by a check and a fault; inferences: {}/{} covered under --strict; \
             left open: {}/{} accepted in a variant",
            facts.covered, facts.total, inferences.covered, inferences.total, left_open.covered, left_open.total
        )
    }
}

/// What is wrong with the map. Each names the statement, check, fault or variant to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceProblem {
    #[error("check {check} enforces no statement: list the ids it enforces in its About")]
    CheckWithoutStatements { check: CheckId },
    #[error("check {check} cites statement {id}, which fixtures/statements.json does not have")]
    CheckCitesUnknown { check: CheckId, id: String },
    #[error("{file}: {name} is not in the catalog of rotcheck serve")]
    UnknownName { file: &'static str, name: String },
    #[error("{file}: {name} has {count} lines, not one")]
    LineCount {
        file: &'static str,
        name: String,
        count: usize,
    },
    #[error("{file}: {name} names statement {id}, which fixtures/statements.json does not have")]
    UnknownStatement {
        file: &'static str,
        name: String,
        id: String,
    },
    #[error("fault {fault} breaks {id}, but its check {check} does not enforce it: list {id} in {check}'s About or name another statement")]
    NotEnforcedByCheck { fault: String, check: String, id: String },
    #[error("{kind} {id} is not covered ({why}): {fix}, or give the statement a gap saying why not")]
    Uncovered {
        id: String,
        kind: Kind,
        why: String,
        fix: &'static str,
    },
    #[error("{kind} {id} is covered, yet its gap says {gap:?}: remove the gap")]
    StaleGap { id: String, kind: Kind, gap: String },
}

/// The map and what is wrong with it.
#[derive(Debug, Clone)]
pub struct Trace<'a> {
    pub rows: Vec<Row<'a>>,
    pub problems: Vec<TraceProblem>,
}

impl Trace<'_> {
    pub fn coverage(&self) -> Coverage {
        let mut c = Coverage::default();
        for row in &self.rows {
            let tally = match row.statement.kind {
                Kind::Fact => &mut c.facts,
                Kind::Inference => &mut c.inferences,
                Kind::LeftOpen => &mut c.left_open,
            };
            tally.total += 1;
            tally.covered += usize::from(row.covered);
        }
        c
    }

    pub fn row(&self, id: &str) -> Option<&Row<'_>> {
        self.rows.iter().find(|r| r.statement.id == id)
    }
}

/// The committed map: the embedded statements and tables, the registered checks and the
/// server's catalogs.
pub fn embedded() -> Result<Trace<'static>, EmbeddedError> {
    let statements = Statements::embedded().map_err(|e| EmbeddedError::Statements(e.clone()))?;
    let tables = Tables::embedded()?;
    let faults: Vec<&str> = crate::server::Fault::all().iter().map(|f| f.name()).collect();
    let variants: Vec<&str> = crate::server::Variant::all().iter().map(|v| v.name()).collect();
    Ok(build(statements, &CheckInfo::registered(), &tables, &faults, &variants))
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EmbeddedError {
    #[error(transparent)]
    Statements(crate::spec::statements::StatementsError),
    #[error(transparent)]
    Table(#[from] TableError),
}

/// Join `statements` with the checks, the tables and the catalogs (`faults`, `variants`: the
/// names `rotcheck serve` knows).
pub fn build<'a>(
    statements: &'a Statements,
    checks: &[CheckInfo],
    tables: &Tables,
    faults: &[&str],
    variants: &[&str],
) -> Trace<'a> {
    let mut problems = table_problems(statements, checks, tables, faults, variants);
    let rows: Vec<Row> = statements
        .statements
        .iter()
        .map(|s| row(s, checks, tables, variants))
        .collect();
    for row in &rows {
        let s = row.statement;
        match (row.covered, &s.gap) {
            (true, Some(gap)) => problems.push(TraceProblem::StaleGap {
                id: s.id.clone(),
                kind: s.kind,
                gap: gap.clone(),
            }),
            (false, None) => problems.push(uncovered(row)),
            _ => {}
        }
    }
    Trace { rows, problems }
}

fn row<'a>(s: &'a Statement, checks: &[CheckInfo], tables: &Tables, variants: &[&str]) -> Row<'a> {
    let checks: Vec<(CheckRow, bool)> = checks
        .iter()
        .filter(|c| c.statements.contains(&s.id.as_str()))
        .map(|c| {
            let faults = tables
                .fault_checks
                .iter()
                .filter(|f| f.check == c.id.as_str() && tables.broken_by(&f.fault).contains(&s.id))
                .map(|f| FaultRef {
                    name: f.fault.clone(),
                    strict: f.strict,
                })
                .collect();
            (CheckRow { check: c.id, faults }, c.strict_applies)
        })
        .collect();
    let variants: Vec<String> = variants
        .iter()
        .filter(|v| tables.taken_by(v).contains(&s.id))
        .map(|v| (*v).to_owned())
        .collect();
    let covered = match s.kind {
        // A plain `rotcheck run` catches the fault: a strict-only fault proves nothing of a fact.
        Kind::Fact => checks.iter().any(|(c, _)| c.faults.iter().any(|f| !f.strict)),
        Kind::Inference => checks.iter().any(|(c, strict)| *strict && !c.faults.is_empty()),
        Kind::LeftOpen => !variants.is_empty(),
    };
    Row {
        statement: s,
        checks: checks.into_iter().map(|(c, _)| c).collect(),
        variants,
        covered,
    }
}

fn uncovered(row: &Row) -> TraceProblem {
    let s = row.statement;
    let names = || {
        row.checks
            .iter()
            .map(|c| c.check.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (why, fix) = match s.kind {
        _ if row.checks.is_empty() && s.kind != Kind::LeftOpen => (
            "no check enforces it".to_owned(),
            "list its id in the About of a check that enforces it",
        ),
        Kind::Fact => (
            format!("no fault breaks it that its checks ({}) catch in a plain run", names()),
            "name it for such a fault in fixtures/fault-statements.txt",
        ),
        Kind::Inference => (
            format!("no fault of its checks ({}) breaks it under --strict", names()),
            "name it for such a fault in fixtures/fault-statements.txt",
        ),
        Kind::LeftOpen => (
            "no variant takes its latitude".to_owned(),
            "name it for such a variant in fixtures/variant-statements.txt",
        ),
    };
    TraceProblem::Uncovered {
        id: s.id.clone(),
        kind: s.kind,
        why,
        fix,
    }
}

/// Problems of the checks' declarations and the tables, whatever the coverage.
fn table_problems(
    statements: &Statements,
    checks: &[CheckInfo],
    tables: &Tables,
    faults: &[&str],
    variants: &[&str],
) -> Vec<TraceProblem> {
    use tables::{FAULT_CHECKS_FILE, FAULT_STATEMENTS_FILE, VARIANT_STATEMENTS_FILE};
    let mut problems = Vec::new();
    for c in checks {
        if c.statements.is_empty() {
            problems.push(TraceProblem::CheckWithoutStatements { check: c.id });
        }
        for id in c.statements.iter().filter(|id| statements.get(id).is_none()) {
            problems.push(TraceProblem::CheckCitesUnknown {
                check: c.id,
                id: (*id).to_owned(),
            });
        }
    }
    let fault_check_names: Vec<&str> = tables.fault_checks.iter().map(|f| f.fault.as_str()).collect();
    let fault_names: Vec<&str> = tables.fault_statements.iter().map(|l| l.name.as_str()).collect();
    let variant_names: Vec<&str> = tables.variant_statements.iter().map(|l| l.name.as_str()).collect();
    for (file, listed, catalog) in [
        (FAULT_CHECKS_FILE, &fault_check_names, faults),
        (FAULT_STATEMENTS_FILE, &fault_names, faults),
        (VARIANT_STATEMENTS_FILE, &variant_names, variants),
    ] {
        for name in catalog {
            let count = listed.iter().filter(|l| *l == name).count();
            if count != 1 {
                problems.push(TraceProblem::LineCount {
                    file,
                    name: (*name).to_owned(),
                    count,
                });
            }
        }
        for name in listed.iter().filter(|l| !catalog.contains(l)) {
            problems.push(TraceProblem::UnknownName {
                file,
                name: (*name).to_owned(),
            });
        }
    }
    for (file, lines) in [
        (FAULT_STATEMENTS_FILE, &tables.fault_statements),
        (VARIANT_STATEMENTS_FILE, &tables.variant_statements),
    ] {
        for line in lines.iter() {
            for id in line.statements.iter().filter(|id| statements.get(id).is_none()) {
                problems.push(TraceProblem::UnknownStatement {
                    file,
                    name: line.name.clone(),
                    id: id.clone(),
                });
            }
        }
    }
    for line in &tables.fault_statements {
        let Some(fc) = tables.fault_check(&line.name) else {
            continue;
        };
        let enforced = checks
            .iter()
            .find(|c| c.id.as_str() == fc.check)
            .map_or(&[][..], |c| c.statements);
        for id in line.statements.iter().filter(|id| !enforced.contains(&id.as_str())) {
            problems.push(TraceProblem::NotEnforcedByCheck {
                fault: line.name.clone(),
                check: fc.check.clone(),
                id: id.clone(),
            });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::statements::for_test;

    fn statements() -> Statements {
        for_test(
            r#"{"id": "api.fact", "kind": "fact", "source": "PROTOCOL.md", "text": "a"},
               {"id": "api.inferred", "kind": "inference", "source": "PROTOCOL.md", "text": "b"},
               {"id": "api.open", "kind": "left-open", "source": "PROTOCOL.md", "text": "c"},
               {"id": "api.untested", "kind": "fact", "source": "PROTOCOL.md", "text": "d", "gap": "not observable"}"#,
            "",
        )
    }

    fn is_uncovered(t: &Trace, id: &str) -> bool {
        t.problems
            .iter()
            .any(|p| matches!(p, TraceProblem::Uncovered { id: i, .. } if i == id))
    }

    fn checks() -> Vec<CheckInfo> {
        vec![CheckInfo {
            id: CheckId::NOT_FOUND,
            statements: &["api.fact", "api.inferred"],
            strict_applies: true,
        }]
    }

    const FAULT_CHECKS: &str = "f1 not-found\nf2 not-found --strict\n";

    fn tables(fault_statements: &str) -> Tables {
        Tables::parse(FAULT_CHECKS, fault_statements, "v1 api.open\n").expect("tables parse")
    }

    fn trace<'a>(s: &'a Statements, fault_statements: &str) -> Trace<'a> {
        build(s, &checks(), &tables(fault_statements), &["f1", "f2"], &["v1"])
    }

    #[test]
    fn each_kind_is_covered_by_its_own_evidence() {
        let s = statements();
        let t = trace(&s, "f1 api.fact\nf2 api.inferred\n");
        assert_eq!(t.problems, vec![]);
        let c = t.coverage();
        assert_eq!((c.facts.covered, c.facts.total), (1, 2));
        assert_eq!((c.inferences.covered, c.left_open.covered), (1, 1));
        let fact = t.row("api.fact").expect("row");
        assert_eq!(
            fact.checks[0].faults,
            vec![FaultRef {
                name: "f1".into(),
                strict: false
            }]
        );
        assert_eq!(
            t.row("api.open").map(|r| r.variants.clone()),
            Some(vec!["v1".to_owned()])
        );
        assert_eq!(
            c.to_string(),
            "facts: 1/2 covered by a check and a fault; inferences: 1/1 covered under --strict; left open: 1/1 accepted in a variant"
        );
    }

    /// The acceptance rule: a fact that loses its last fault fails, naming the statement.
    #[test]
    fn a_fact_without_its_last_fault_is_named() {
        let s = statements();
        let t = trace(&s, "f1 api.inferred\nf2 api.inferred\n");
        let msgs: Vec<String> = t.problems.iter().map(ToString::to_string).collect();
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(
            msgs[0].starts_with("fact api.fact is not covered (no fault breaks it"),
            "{}",
            msgs[0]
        );
        // A strict-only fault does not cover a fact.
        let t = trace(&s, "f1 api.inferred\nf2 api.fact\n");
        assert!(is_uncovered(&t, "api.fact"));
    }

    #[test]
    fn unknown_ids_names_and_stale_gaps_are_problems() {
        let s = statements();
        let t = build(
            &s,
            &[CheckInfo {
                id: CheckId::NOT_FOUND,
                statements: &["api.fact", "api.gone"],
                strict_applies: true,
            }],
            &Tables::parse(
                FAULT_CHECKS,
                "f1 api.fact api.open api.nope\nf2 api.inferred\nf9 api.fact\n",
                "v1 api.open api.untested\n",
            )
            .expect("parse"),
            &["f1", "f2"],
            &["v1", "v2"],
        );
        let has = |p: TraceProblem| assert!(t.problems.contains(&p), "{p} not in {:#?}", t.problems);
        has(TraceProblem::CheckCitesUnknown {
            check: CheckId::NOT_FOUND,
            id: "api.gone".into(),
        });
        has(TraceProblem::UnknownName {
            file: tables::FAULT_STATEMENTS_FILE,
            name: "f9".into(),
        });
        has(TraceProblem::LineCount {
            file: tables::VARIANT_STATEMENTS_FILE,
            name: "v2".into(),
            count: 0,
        });
        has(TraceProblem::UnknownStatement {
            file: tables::FAULT_STATEMENTS_FILE,
            name: "f1".into(),
            id: "api.nope".into(),
        });
        has(TraceProblem::NotEnforcedByCheck {
            fault: "f1".into(),
            check: "not-found".into(),
            id: "api.open".into(),
        });
        // f2 is strict and its check no longer enforces api.inferred: uncovered, and named.
        assert!(is_uncovered(&t, "api.inferred"));
    }

    #[test]
    fn a_gap_on_a_covered_statement_is_stale() {
        let s = for_test(
            r#"{"id": "api.open", "kind": "left-open", "source": "PROTOCOL.md", "text": "c", "gap": "none yet"}"#,
            "",
        );
        let t = build(&s, &[], &tables(""), &["f1", "f2"], &["v1"]);
        assert!(
            t.problems
                .iter()
                .any(|p| matches!(p, TraceProblem::StaleGap { id, .. } if id == "api.open")),
            "{:?}",
            t.problems
        );
    }

    #[test]
    fn the_committed_map_builds() {
        let t = embedded().expect("embedded statements and tables");
        assert_eq!(
            t.rows.len(),
            Statements::embedded().expect("statements").statements.len()
        );
    }
}
