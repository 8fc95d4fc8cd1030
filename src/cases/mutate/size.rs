//! Size and depth: values nested thousands deep and strings about 100 KB long, in unknown and
//! in known members (a parser without limits overflows its stack or its memory).

use rand::RngCore;
use serde_json::json;

use super::support::{current_str, forbidden, invalid, open_ended, request, string_members, unknown_name, with_value};
use super::{Mutant, Operator};
use crate::cases::constraints::{self as c, StringRule};
use crate::cases::json_text::{self as jt, key};
use crate::cases::valid::BaseRequest;
use crate::cases::TUNNEL_ID_PLACEHOLDER;

/// Length of huge strings: far beyond every maximum, well below a 1 MiB body cap.
pub const HUGE_LEN: usize = 100_000;
/// Nesting depth of deeply nested values (a recursive parser without a limit overflows its stack).
pub const DEEP_NESTING: usize = 10_000;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("deep-nesting-unknown", "add a deeply nested unknown member", deep_nesting_unknown),
    op!("deep-nesting-member", "replace a member by a deeply nested value", deep_nesting_member),
    op!("huge-string", "make a string member about 100 KB long", huge_string),
    op!("huge-unknown-member", "add an unknown member about 100 KB long", huge_unknown_member),
];

fn deep_array(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

fn deep_object(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

fn deep_nesting_unknown(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let name = unknown_name(rng);
    [
        ("array", deep_array(DEEP_NESTING)),
        ("object", deep_object(DEEP_NESTING)),
    ]
    .into_iter()
    .map(|(kind, fragment)| {
        let text = jt::splice(&base.body_value(), &[key(&name)], &fragment);
        let what = format!("an unknown member holding a {kind} nested {DEEP_NESTING} deep");
        open_ended(kind, what, request(text), Some(base.mode))
    })
    .collect()
}

fn deep_nesting_member(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for member in [c::CLIENT_MODE, c::DESTINATION_CONFIG] {
        for (kind, fragment) in [
            ("array", deep_array(DEEP_NESTING)),
            ("object", deep_object(DEEP_NESTING)),
        ] {
            // Either a wrong type or, for destinationConfig as an object, missing services.
            let text = jt::splice(&base.body_value(), &[key(member)], &fragment);
            let what = format!("{member} replaced by a {kind} nested {DEEP_NESTING} deep");
            out.push(invalid(format!("{member}-{kind}"), what, request(text)));
        }
    }
    out
}

fn huge_string(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_members(base) {
        let value = if t.is_enum() {
            current_str(base, &t.path).repeat(HUGE_LEN / 3)
        } else {
            let rule = StringRule::of(t.shape);
            let fill = rule.random_alnum(rng, HUGE_LEN);
            if t.is_tunnel_id() {
                format!("{TUNNEL_ID_PLACEHOLDER}{fill}")
            } else {
                fill
            }
        };
        if forbidden(t.shape, &value) {
            let what = format!("{} of about {} KB", t.name(), HUGE_LEN / 1000);
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn huge_unknown_member(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let name = unknown_name(rng);
    let value = c::random_suffix(rng, HUGE_LEN);
    vec![open_ended(
        "root",
        format!("an unknown member of about {} KB", HUGE_LEN / 1000),
        with_value(base, &[key(&name)], json!(value)),
        Some(base.mode),
    )]
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;

    #[test]
    fn huge_and_deep_bodies_stay_below_a_mebibyte() {
        for name in [
            "huge-string",
            "huge-unknown-member",
            "deep-nesting-unknown",
            "deep-nesting-member",
            "many-unknown-members",
        ] {
            for c in run(name) {
                assert!(
                    c.request.body.len() < 1024 * 1024,
                    "{} is {} bytes",
                    c.id,
                    c.request.body.len()
                );
                assert!(
                    c.request.body.len() > 15_000,
                    "{} is {} bytes",
                    c.id,
                    c.request.body.len()
                );
            }
        }
    }
}
