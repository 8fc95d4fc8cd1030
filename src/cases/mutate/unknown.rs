//! Unknown, renamed and repeated members: what the model does not name, or names twice.

use rand::{Rng, RngCore};
use serde_json::json;

use super::support::{body_members, open_ended, request, unknown_name, with_value};
use super::{Mutant, Operator};
use crate::cases::constraints as c;
use crate::cases::json_text::{self as jt, key, Seg};
use crate::cases::valid::{destination_config, BaseRequest, SERVICE_NAMES};
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// Number of members in the many-unknown-members mutation.
pub const MANY_MEMBERS: usize = 10_000;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("unknown-member", "add a member the model does not know", unknown_member),
    op!("many-unknown-members", "add thousands of unknown members", many_unknown_members),
    op!("member-name-case", "change the case of a member name", member_name_case),
    op!("duplicate-key", "repeat a member in the same object", duplicate_key),
];

/// The objects of the base body: the root and the destinationConfig when present.
fn object_paths(base: &BaseRequest) -> Vec<(String, Vec<Seg>)> {
    let mut out = vec![("root".to_owned(), Vec::new())];
    if base.has_destination_config() {
        out.push((c::DESTINATION_CONFIG.to_owned(), vec![key(c::DESTINATION_CONFIG)]));
    }
    out
}

fn unknown_member(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    object_paths(base)
        .into_iter()
        .map(|(name, mut path)| {
            let value = match rng.random_range(0..5) {
                0 => json!("x"),
                1 => json!(42),
                2 => json!(true),
                3 => json!([1, "two"]),
                _ => json!({ "nested": null }),
            };
            path.push(key(&unknown_name(rng)));
            let what = format!("an unknown member added to {name}");
            open_ended(name, what, with_value(base, &path, value), Some(base.mode))
        })
        .collect()
}

fn many_unknown_members(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut body = base.body_value();
    let prefix = unknown_name(rng);
    if let Some(obj) = body.as_object_mut() {
        for i in 0..MANY_MEMBERS {
            obj.insert(format!("{prefix}{i}"), json!(i));
        }
    }
    vec![open_ended(
        "root",
        format!("{MANY_MEMBERS} unknown members added"),
        HttpRequest::json(facts::ROTATE, &body),
        Some(base.mode),
    )]
}

fn member_name_case(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    body_members(base)
        .into_iter()
        .filter(|t| !t.is_list_item())
        .filter_map(|t| {
            let (Seg::Key(name), parent) = t.path.split_last()? else {
                return None;
            };
            let mut chars = name.chars();
            let renamed: String = chars.next()?.to_uppercase().chain(chars).collect();
            if renamed == *name {
                return None;
            }
            let mut body = base.body_value();
            let v = jt::remove(&mut body, &t.path)?;
            let mut new_path = parent.to_vec();
            new_path.push(key(&renamed));
            jt::set(&mut body, &new_path, v);
            // Member names are case-sensitive in JSON; whether a server also matches them
            // case-insensitively is not stated, so either outcome passes.
            let what = format!("{} renamed to {renamed}", t.name());
            Some(open_ended(
                t.name(),
                what,
                HttpRequest::json(facts::ROTATE, &body),
                Some(base.mode),
            ))
        })
        .collect()
}

fn duplicate_key(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let body = base.body_value();
    let mut out = Vec::new();
    for t in body_members(base).into_iter().filter(|t| !t.is_list_item()) {
        let Some((Seg::Key(name), parent)) = t.path.split_last() else {
            continue;
        };
        let Some(current) = jt::get(&body, &t.path) else {
            continue;
        };
        // A second, different value that is valid on its own, and the mode if either wins.
        let (other, mode) = if t.is_tunnel_id() {
            let id = c::unknown_tunnel_id(rng, 40, '-');
            // Only the real id can succeed, and it carries the base's mode.
            (json!(id), Some(base.mode))
        } else if name == c::CLIENT_MODE {
            let modes: Vec<ClientMode> = c::client_modes().into_iter().filter(|m| *m != base.mode).collect();
            (json!(modes[rng.random_range(0..modes.len())].as_str()), None)
        } else if name == c::DESTINATION_CONFIG {
            (destination_config(2, None), Some(base.mode))
        } else if name == c::SERVICES {
            (json!([SERVICE_NAMES[1]]), Some(base.mode))
        } else {
            (
                json!(format!("rotcheck-other-{}", c::random_suffix(rng, 6))),
                Some(base.mode),
            )
        };
        for (suffix, second, mode) in [("same", current.clone(), Some(base.mode)), ("different", other, mode)] {
            if let Some(text) = jt::with_extra_member(&body, parent, name, &second.to_string()) {
                let what = format!("{} repeated with the {suffix} value", t.name());
                out.push(open_ended(format!("{}-{suffix}", t.name()), what, request(text), mode));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_support::run;
    use crate::cases::Expectation;

    #[test]
    fn duplicate_keys_are_open_and_mode_free_only_for_a_different_client_mode() {
        for c in run("duplicate-key") {
            let text = String::from_utf8(c.request.body.clone()).unwrap();
            let Expectation::AnyNon5xx { mode } = c.expect else {
                panic!("{}", c.id)
            };
            assert_eq!(mode.is_none(), c.id.ends_with("clientMode-different"), "{}", c.id);
            let member = c.id.rsplit_once('/').unwrap().1.rsplit_once('-').unwrap().0;
            let last = member.rsplit('.').next().unwrap();
            assert!(text.matches(&format!("\"{last}\":")).count() >= 2, "{text}");
        }
    }
}
