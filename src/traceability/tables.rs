//! The fixture tables that tie the reference server's catalogs to the checks and the spec:
//! `fixtures/fault-checks.txt` (the check that catches each fault), `fixtures/fault-statements.txt`
//! (the statements each fault breaks) and `fixtures/variant-statements.txt` (the statements whose
//! latitude each variant takes). Test data kept beside the catalogs, not in the server: the server
//! does not know the checks. Lines are `NAME WORD...`; `#` starts a comment line.

/// Which check catches each fault (`NAME CHECK [--strict]`).
pub const FAULT_CHECKS: &str = include_str!("../../fixtures/fault-checks.txt");
/// Which statements each fault breaks (`NAME STATEMENT...`).
pub const FAULT_STATEMENTS: &str = include_str!("../../fixtures/fault-statements.txt");
/// Which statements each variant takes a latitude of (`NAME STATEMENT...`).
pub const VARIANT_STATEMENTS: &str = include_str!("../../fixtures/variant-statements.txt");

pub const FAULT_CHECKS_FILE: &str = "fixtures/fault-checks.txt";
pub const FAULT_STATEMENTS_FILE: &str = "fixtures/fault-statements.txt";
pub const VARIANT_STATEMENTS_FILE: &str = "fixtures/variant-statements.txt";

/// One line of `fixtures/fault-checks.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultCheck {
    pub fault: String,
    pub check: String,
    /// The fault breaks only an inferred point: only `rotcheck run --strict` catches it.
    pub strict: bool,
}

/// A name and the statement ids its line lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    pub name: String,
    pub statements: Vec<String>,
}

/// The three tables, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    pub fault_checks: Vec<FaultCheck>,
    pub fault_statements: Vec<StatementLine>,
    pub variant_statements: Vec<StatementLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: `{text}` is not {expected}")]
pub struct TableError {
    pub file: &'static str,
    pub line: usize,
    pub text: String,
    pub expected: &'static str,
}

/// The words of each line that is neither blank nor a comment, with its line number.
fn entries(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split_whitespace().collect()))
}

fn statement_lines(text: &str, file: &'static str) -> Result<Vec<StatementLine>, TableError> {
    entries(text)
        .map(|(line, words)| match words.split_first() {
            Some((name, ids)) if !ids.is_empty() => Ok(StatementLine {
                name: (*name).to_owned(),
                statements: ids.iter().map(|s| (*s).to_owned()).collect(),
            }),
            _ => Err(TableError {
                file,
                line,
                text: words.join(" "),
                expected: "NAME STATEMENT-ID...",
            }),
        })
        .collect()
}

impl Tables {
    pub fn parse(fault_checks: &str, fault_statements: &str, variant_statements: &str) -> Result<Tables, TableError> {
        let fault_checks = entries(fault_checks)
            .map(|(line, words)| match words[..] {
                [fault, check] | [fault, check, "--strict"] => Ok(FaultCheck {
                    fault: fault.to_owned(),
                    check: check.to_owned(),
                    strict: words.len() == 3,
                }),
                _ => Err(TableError {
                    file: FAULT_CHECKS_FILE,
                    line,
                    text: words.join(" "),
                    expected: "FAULT CHECK [--strict]",
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Tables {
            fault_checks,
            fault_statements: statement_lines(fault_statements, FAULT_STATEMENTS_FILE)?,
            variant_statements: statement_lines(variant_statements, VARIANT_STATEMENTS_FILE)?,
        })
    }

    /// The committed tables.
    pub fn embedded() -> Result<Tables, TableError> {
        Tables::parse(FAULT_CHECKS, FAULT_STATEMENTS, VARIANT_STATEMENTS)
    }

    /// The line of `fault` in `fixtures/fault-checks.txt`.
    pub fn fault_check(&self, fault: &str) -> Option<&FaultCheck> {
        self.fault_checks.iter().find(|f| f.fault == fault)
    }

    /// The statements `fault` breaks (none when it has no line).
    pub fn broken_by(&self, fault: &str) -> &[String] {
        self.fault_statements
            .iter()
            .find(|l| l.name == fault)
            .map_or(&[], |l| &l.statements)
    }

    /// The statements whose latitude `variant` takes (none when it has no line).
    pub fn taken_by(&self, variant: &str) -> &[String] {
        self.variant_statements
            .iter()
            .find(|l| l.name == variant)
            .map_or(&[], |l| &l.statements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_tables_parse() {
        let t = Tables::embedded().expect("the fixture tables parse");
        assert!(t
            .fault_check("not-found-404")
            .is_some_and(|f| f.check == "not-found" && !f.strict));
        assert!(t.fault_check("closed-tunnel-accepted").is_some_and(|f| f.strict));
        assert!(t.broken_by("not-found-404").contains(&"api.not-found".to_owned()));
        assert!(t.broken_by("no-such-fault").is_empty());
    }

    #[test]
    fn malformed_lines_are_named_with_their_file_and_line() {
        let e = Tables::parse("# c\na b --loose\n", "", "").unwrap_err();
        assert_eq!((e.file, e.line, e.text.as_str()), (FAULT_CHECKS_FILE, 2, "a b --loose"));
        let e = Tables::parse("", "", "\nlonely\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "fixtures/variant-statements.txt line 2: `lonely` is not NAME STATEMENT-ID..."
        );
    }
}
