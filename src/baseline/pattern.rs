//! A baseline entry's case pattern: a glob over case ids (`*` any run of characters, `?` one).
//! Unlike `--only`, a pattern without wildcards is the exact id, never a prefix: an entry for
//! `boundary/tunnelId/len-1` must not hide a new failure of `boundary/tunnelId/len-128`.

use regex::Regex;

#[derive(Debug, Clone)]
pub struct CasePattern(Regex);

impl CasePattern {
    /// None for an empty pattern.
    pub fn new(pattern: &str) -> Option<CasePattern> {
        if pattern.is_empty() {
            return None;
        }
        let mut re = String::from("^");
        for ch in pattern.chars() {
            match ch {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
            }
        }
        re.push('$');
        // Escaped literals and two wildcards always form a valid regex.
        Regex::new(&re).ok().map(CasePattern)
    }

    pub fn matches(&self, id: &str) -> bool {
        self.0.is_match(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_without_wildcards_glob_with_them() {
        let exact = CasePattern::new("boundary/tunnelId/len-1").unwrap();
        assert!(exact.matches("boundary/tunnelId/len-1"));
        assert!(!exact.matches("boundary/tunnelId/len-128"), "not a prefix");
        let glob = CasePattern::new("boundary/*/len-1??").unwrap();
        assert!(glob.matches("boundary/tunnelId/len-128"));
        assert!(!glob.matches("boundary/tunnelId/len-1"));
        assert!(CasePattern::new("a.b").unwrap().matches("a.b"));
        assert!(
            !CasePattern::new("a.b").unwrap().matches("axb"),
            "regex characters are literal"
        );
        assert!(CasePattern::new("").is_none());
    }
}
