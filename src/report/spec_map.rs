//! Renders the spec map ([`crate::traceability`]): the text `rotcheck spec` prints, and the
//! Markdown table docs/spec-coverage.md embeds (kept current by tests/spec_coverage.rs).

use std::fmt::Write as _;

use crate::traceability::{CheckRow, Coverage, Row};

fn status(row: &Row) -> &'static str {
    if row.covered {
        "covered"
    } else {
        "not covered"
    }
}

/// `check: fault, fault (--strict)` for one check of a row.
fn check_evidence(c: &CheckRow, code: &str) -> String {
    let faults: Vec<String> = c
        .faults
        .iter()
        .map(|f| format!("{code}{}{code}{}", f.name, if f.strict { " (--strict)" } else { "" }))
        .collect();
    let faults = if faults.is_empty() {
        "no fault".to_owned()
    } else {
        faults.join(", ")
    };
    format!("{code}{}{code} ← {faults}", c.check)
}

/// The listing of `rotcheck spec`: the coverage line, then per statement its kind, where it is
/// and what it says, the checks with the faults that prove them, the variants, and the gap.
pub fn text(coverage: &Coverage, rows: &[&Row]) -> String {
    let mut out = format!("{coverage}\n");
    for row in rows {
        let s = row.statement;
        let _ = writeln!(out, "\n{} ({}, {})", s.id, s.kind, status(row));
        let _ = writeln!(out, "  {}: \"{}\"", s.location(), s.quote());
        if row.checks.is_empty() {
            let _ = writeln!(out, "  checks:   none");
        }
        for c in &row.checks {
            let _ = writeln!(out, "  check:    {}", check_evidence(c, ""));
        }
        if !row.variants.is_empty() {
            let _ = writeln!(out, "  variants: {}", row.variants.join(", "));
        }
        if let Some(gap) = &s.gap {
            let _ = writeln!(out, "  gap:      {gap}");
        }
    }
    out
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The map as a Markdown table, one row per statement.
pub fn markdown(coverage: &Coverage, rows: &[&Row]) -> String {
    let mut out = format!(
        "{coverage}.\n\n| statement | checks ← faults that prove them | variants accepted | covered |\n|---|---|---|---|\n"
    );
    for row in rows {
        let s = row.statement;
        let checks = if row.checks.is_empty() {
            "none".to_owned()
        } else {
            row.checks
                .iter()
                .map(|c| check_evidence(c, "`"))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let variants = row
            .variants
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let covered = match (&s.gap, row.covered) {
            (_, true) => "yes".to_owned(),
            (Some(gap), false) => format!("no: {}", cell(gap)),
            (None, false) => "no".to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` ({})<br>{}: \"{}\" | {} | {} | {} |",
            s.id,
            s.kind,
            cell(&s.location()),
            cell(&s.quote()),
            cell(&checks),
            variants,
            covered
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::CheckId;
    use crate::spec::statements::{for_test, Statements};
    use crate::traceability::{build, CheckInfo, Tables};

    fn sample() -> Statements {
        for_test(
            r#"{"id": "proto.a", "kind": "fact", "source": "PROTOCOL.md", "text": "GET /tunnel?mode=source|destination"},
               {"id": "proto.b", "kind": "left-open", "source": "PROTOCOL.md", "text": "b", "gap": "no variant"}"#,
            "",
        )
    }

    #[test]
    fn rows_show_quote_checks_faults_variants_and_gaps() {
        let s = sample();
        let checks = [CheckInfo {
            id: CheckId::HANDSHAKE,
            statements: &["proto.a"],
            strict_applies: true,
        }];
        let tables = Tables::parse(
            "f1 handshake\nf2 handshake --strict\n",
            "f1 proto.a\nf2 proto.a\n",
            "v1 proto.a\n",
        )
        .expect("tables");
        let t = build(&s, &checks, &tables, &["f1", "f2"], &["v1"]);
        let rows: Vec<&Row> = t.rows.iter().collect();
        let text = text(&t.coverage(), &rows);
        assert!(text.starts_with("facts: 1/1 covered by a check and a fault;"), "{text}");
        assert!(
            text.contains("\nproto.a (fact, covered)\n  PROTOCOL.md: \"GET /tunnel?mode=source|destination\"\n"),
            "{text}"
        );
        assert!(
            text.contains("  check:    handshake ← f1, f2 (--strict)\n  variants: v1\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "proto.b (left-open, not covered)\n  PROTOCOL.md: \"b\"\n  checks:   none\n  gap:      no variant\n"
            ),
            "{text}"
        );
        let md = markdown(&t.coverage(), &rows);
        assert!(
            md.contains("mode=source\\|destination"),
            "a quote's `|` does not split the table: {md}"
        );
        assert!(
            md.contains("| `handshake` ← `f1`, `f2` (--strict) | `v1` | yes |"),
            "{md}"
        );
        assert!(md.contains("| none |  | no: no variant |"), "{md}");
    }
}
