//! Which checks and cases a run covers (`--checks`, `--only`).

use std::collections::BTreeSet;

use regex::Regex;

use super::result::SkippedCheck;
use crate::checks::CheckId;

/// The checks to run: `requested`, or every check when it is empty.
pub fn selected_checks(requested: &[CheckId]) -> BTreeSet<CheckId> {
    if requested.is_empty() {
        CheckId::all().collect()
    } else {
        requested.iter().copied().collect()
    }
}

/// The checks left out, recorded so that a report can say they did not run: those not selected,
/// and those only a lifecycle sequence can show.
pub fn unselected(selected: &BTreeSet<CheckId>) -> Vec<SkippedCheck> {
    CheckId::all()
        .filter_map(|check| {
            let reason = if !selected.contains(&check) {
                "not selected (--checks)"
            } else if check.sequences_only() {
                "judged only by lifecycle sequences (rotcheck fuzz --sequences)"
            } else {
                return None;
            };
            Some(SkippedCheck {
                check,
                reason: reason.into(),
            })
        })
        .collect()
}

/// `--only`: a glob over case ids (`*` any run of characters, `?` one) when it has a wildcard,
/// else a prefix.
pub enum OnlyFilter {
    All,
    Prefix(String),
    Glob(Regex),
}

impl OnlyFilter {
    pub fn new(pattern: Option<&str>) -> OnlyFilter {
        let Some(p) = pattern.filter(|p| !p.is_empty()) else {
            return OnlyFilter::All;
        };
        if !p.contains(['*', '?']) {
            return OnlyFilter::Prefix(p.to_owned());
        }
        let mut re = String::from("^");
        for ch in p.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        re.push('$');
        // Escaped literals and two wildcards always form a valid regex; fall back to a prefix.
        Regex::new(&re).map_or_else(|_| OnlyFilter::Prefix(p.to_owned()), OnlyFilter::Glob)
    }

    pub fn matches(&self, id: &str) -> bool {
        match self {
            OnlyFilter::All => true,
            OnlyFilter::Prefix(p) => id.starts_with(p.as_str()),
            OnlyFilter::Glob(re) => re.is_match(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_is_a_glob_or_a_prefix() {
        assert!(OnlyFilter::new(None).matches("x"));
        let prefix = OnlyFilter::new(Some("boundary/"));
        assert!(prefix.matches("boundary/tunnelId/len-128") && !prefix.matches("valid/all"));
        let glob = OnlyFilter::new(Some("*/tunnelId/*"));
        assert!(glob.matches("boundary/tunnelId/len-128") && !glob.matches("valid/all"));
        let q = OnlyFilter::new(Some("valid/a?l"));
        assert!(q.matches("valid/all") && !q.matches("valid/all2"));
        assert!(OnlyFilter::new(Some("a.b*")).matches("a.bc") && !OnlyFilter::new(Some("a.b*")).matches("axbc"));
    }

    #[test]
    fn empty_selection_means_every_check() {
        assert_eq!(selected_checks(&[]).len(), CheckId::all().count());
        let one = selected_checks(&[CheckId::NO_5XX]);
        assert_eq!(unselected(&one).len(), CheckId::all().count() - 1);
    }
}
