//! Unicode in string members: invisible, look-alike and astral characters, NUL, full-width
//! forms, lone surrogate escapes and bytes that are not UTF-8.

use rand::{Rng, RngCore};
use serde_json::json;

use super::support::{
    current_str, forbidden, insert_random, invalid, literal_with_raw, request, string_members, with_value,
};
use super::{Mutant, Operator};
use crate::cases::json_text as jt;
use crate::cases::valid::BaseRequest;
use crate::cases::{replace_bytes, TUNNEL_ID_PLACEHOLDER};

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("unicode-zero-width", "insert a zero-width character into a string member", |b, r| unicode(b, r, &ZERO_WIDTH)),
    op!("unicode-bidi", "insert a bidirectional control into a string member", |b, r| unicode(b, r, &BIDI)),
    op!("unicode-combining", "insert a combining mark into a string member", |b, r| unicode(b, r, &COMBINING)),
    op!("unicode-homoglyph", "insert a Cyrillic or Greek look-alike letter into a string member", |b, r| unicode(b, r, &HOMOGLYPH)),
    op!("unicode-astral", "insert an emoji or other astral character into a string member", |b, r| unicode(b, r, &ASTRAL)),
    op!("unicode-nul", "insert an escaped NUL into a string member", |b, r| unicode(b, r, &NUL)),
    op!("unicode-fullwidth", "replace ASCII letters or digits of a string member by full-width ones", unicode_fullwidth),
    op!("unicode-lone-surrogate", "insert a lone UTF-16 surrogate escape (\\ud800) into a string member", lone_surrogate),
    op!("invalid-utf8", "insert bytes that are not UTF-8 into a string member", invalid_utf8),
];

/// A family of characters to insert, with the name used in descriptions.
struct CharSet {
    what: &'static str,
    chars: &'static [char],
}

const ZERO_WIDTH: CharSet = CharSet {
    what: "a zero-width character",
    chars: &['\u{200b}', '\u{200c}', '\u{200d}', '\u{2060}', '\u{feff}'],
};
const BIDI: CharSet = CharSet {
    what: "a bidirectional control",
    chars: &['\u{202e}', '\u{202d}', '\u{200f}', '\u{2066}', '\u{2069}'],
};
const COMBINING: CharSet = CharSet {
    what: "a combining mark",
    chars: &['\u{0301}', '\u{0308}', '\u{0338}', '\u{20dd}'],
};
const HOMOGLYPH: CharSet = CharSet {
    what: "a look-alike non-Latin letter",
    chars: &['\u{0430}', '\u{0435}', '\u{043e}', '\u{0391}', '\u{039f}'],
};
const ASTRAL: CharSet = CharSet {
    what: "an astral-plane character",
    chars: &['😀', '\u{1d400}', '\u{10348}'],
};
const NUL: CharSet = CharSet {
    what: "a NUL character",
    chars: &['\u{0}'],
};

fn unicode(base: &BaseRequest, rng: &mut dyn RngCore, set: &CharSet) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_members(base) {
        let ch = set.chars[rng.random_range(0..set.chars.len())];
        let value = insert_random(rng, &current_str(base, &t.path), &ch.to_string());
        if !forbidden(t.shape, &value) {
            continue;
        }
        // Raw UTF-8 or a \u escape: both are the same JSON string.
        let escaped = rng.random_bool(0.5);
        let literal = jt::string_literal(&value, escaped);
        let text = jt::splice(&base.body_value(), &t.path, &literal);
        // JSON has no raw form for control characters: they are always escaped.
        let form = if escaped || ch.is_control() { "escaped" } else { "raw" };
        let what = format!("{} containing {} (U+{:04X}, {form})", t.name(), set.what, ch as u32);
        out.push(invalid(t.name(), what, request(text)));
    }
    out
}

fn unicode_fullwidth(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_members(base) {
        let current = current_str(base, &t.path);
        // Full-width forms are U+FF01..U+FF5E, the ASCII character plus 0xFEE0.
        let widen = |c: char| char::from_u32(c as u32 + 0xfee0).unwrap_or(c);
        let value = if current.contains(TUNNEL_ID_PLACEHOLDER) {
            let digits: String = (0..3)
                .map(|_| widen(char::from(b'0' + rng.random_range(0..10u8))))
                .collect();
            format!("{current}{digits}")
        } else {
            current
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { widen(c) } else { c })
                .collect()
        };
        if forbidden(t.shape, &value) {
            let what = format!("{} with full-width letters or digits", t.name());
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn lone_surrogate(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    const ESCAPES: [&str; 3] = ["\\ud800", "\\udbff", "\\udc00"];
    string_members(base)
        .into_iter()
        .map(|t| {
            let esc = ESCAPES[rng.random_range(0..ESCAPES.len())];
            let literal = literal_with_raw(rng, &current_str(base, &t.path), esc, false);
            let text = jt::splice(&base.body_value(), &t.path, &literal);
            let what = format!("{} containing the lone surrogate escape {esc}", t.name());
            invalid(t.name(), what, request(text))
        })
        .collect()
}

fn invalid_utf8(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    const SEQUENCES: [(&str, &[u8]); 6] = [
        ("a lone 0xFF byte", &[0xff]),
        ("a truncated two-byte sequence", &[0xc3, 0x28]),
        ("an overlong encoding of '/'", &[0xc0, 0xaf]),
        ("an encoded UTF-16 surrogate", &[0xed, 0xa0, 0x80]),
        ("a five-byte sequence", &[0xf8, 0x88, 0x80, 0x80, 0x80]),
        ("a truncated three-byte sequence", &[0xe2, 0x82]),
    ];
    const MARK: &str = "@@rotcheck-bytes@@";
    string_members(base)
        .into_iter()
        .map(|t| {
            let (what, bytes) = SEQUENCES[rng.random_range(0..SEQUENCES.len())];
            let literal = literal_with_raw(rng, &current_str(base, &t.path), MARK, false);
            let text = jt::splice(&base.body_value(), &t.path, &literal);
            let body = replace_bytes(&text, MARK.as_bytes(), bytes);
            invalid(
                t.name(),
                format!("{} containing {what} (not UTF-8)", t.name()),
                request(body),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;

    #[test]
    fn unicode_and_utf8_mutations_are_invalid_and_not_parseable_where_they_must_not_be() {
        for c in run("unicode-lone-surrogate") {
            assert!(c.request.body_json().is_none(), "serde_json rejects lone surrogates");
            assert!(String::from_utf8_lossy(&c.request.body).contains("\\ud"));
        }
        for c in run("invalid-utf8") {
            assert!(std::str::from_utf8(&c.request.body).is_err(), "{}", c.id);
        }
        let nul = run("unicode-nul");
        assert!(nul.iter().any(|c| c.request.body.windows(6).any(|w| w == b"\\u0000")));
        assert!(run("unicode-fullwidth")
            .iter()
            .all(|c| String::from_utf8_lossy(&c.request.body)
                .chars()
                .any(|ch| ('\u{ff10}'..='\u{ff5a}').contains(&ch))));
    }
}
