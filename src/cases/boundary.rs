//! Boundary cases: values at and just beyond each constraint of the model (lengths, pattern
//! characters, list sizes, enum values), plus the tunnel states the spec names (unknown, CLOSED)
//! and SOURCE with a destinationConfig. Bounds and alphabets come from [`super::constraints`].

use rand::{Rng, RngCore};
use serde_json::{json, Value};

use super::constraints::{self as c, StringRule, GUIDE_MAX_SERVICES};
use super::valid::{destination_config, thing_name, BaseRequest, SERVICE_NAMES};
use super::{Case, CaseKind, Expectation, TunnelState, TUNNEL_ID_PLACEHOLDER};
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// Characters outside every pattern, one per class the spec's patterns exclude. Each is checked
/// against the model before use, so a case can never call an allowed character invalid.
const DISALLOWED_CLASSES: [(&str, char); 6] = [
    ("space", ' '),
    ("slash", '/'),
    ("dot", '.'),
    ("non-ascii-letter", 'é'),
    ("emoji", '😀'),
    ("control", '\u{7}'),
];

/// A readable, id-safe name for a character.
pub fn char_name(ch: char) -> String {
    match ch {
        '_' => "underscore".into(),
        '-' => "hyphen".into(),
        '+' => "plus".into(),
        '=' => "equals".into(),
        ':' => "colon".into(),
        ' ' => "space".into(),
        '/' => "slash".into(),
        '.' => "dot".into(),
        other => format!("u{:04x}", other as u32),
    }
}

fn case(id: String, description: String, tunnel: TunnelState, body: &Value, expect: Expectation) -> Case {
    Case {
        id,
        kind: CaseKind::Boundary,
        description,
        tunnel,
        request: HttpRequest::json(facts::ROTATE, body),
        expect,
        operator: None,
    }
}

fn open() -> TunnelState {
    TunnelState::Open {
        destination_config: None,
    }
}

fn body(tunnel_id: &str, mode: &str, config: Option<Value>) -> Value {
    let mut b = json!({ c::TUNNEL_ID: tunnel_id, c::CLIENT_MODE: mode });
    if let Some(cfg) = config {
        b[c::DESTINATION_CONFIG] = cfg;
    }
    b
}

/// The mode a case in a series uses: the model's modes in turn.
fn nth_mode(i: usize) -> ClientMode {
    let modes = c::client_modes();
    modes[i % modes.len()]
}

/// All boundary cases.
pub fn cases(rng: &mut dyn RngCore) -> Vec<Case> {
    let mut out = tunnel_id(rng);
    out.extend(client_mode());
    out.extend(services(rng));
    out.extend(thing_name_cases(rng));
    out.extend(destination_config_cases(rng));
    out.extend(tunnel_state());
    out
}

fn tunnel_id(rng: &mut dyn RngCore) -> Vec<Case> {
    let rule = StringRule::tunnel_id();
    let mut out = Vec::new();
    let specials = rule.specials();
    let not_found = |name: String, what: String, id: String, out: &mut Vec<Case>| {
        let mode = nth_mode(out.len());
        out.push(case(
            format!("boundary/tunnelId/{name}"),
            format!("{what} tunnelId that no tunnel has ({mode}): exactly 400 ResourceNotFoundException"),
            TunnelState::Unknown { id },
            &body(TUNNEL_ID_PLACEHOLDER, mode.as_str(), None),
            Expectation::NotFound,
        ));
    };
    if !specials.is_empty() {
        // A one-character id: a special character, the least likely to be an id a server issued.
        let sep = specials[rng.random_range(0..specials.len())];
        let id = c::unknown_tunnel_id(rng, rule.min.max(1), sep);
        not_found(
            format!("len-{}", rule.min.max(1)),
            "A shortest well-formed".into(),
            id,
            &mut out,
        );
        let id = c::unknown_tunnel_id(rng, rule.max, '-');
        not_found(
            format!("len-{}", rule.max),
            "A longest well-formed".into(),
            id,
            &mut out,
        );
        for ch in &specials {
            let id = c::unknown_tunnel_id(rng, 32, *ch);
            let what = format!("A well-formed (with '{ch}')");
            not_found(format!("char-{}", char_name(*ch)), what, id, &mut out);
        }
    }
    let invalid_literal = |name: String, what: String, id: String| {
        case(
            format!("boundary/tunnelId/{name}"),
            format!("{what}: input the model forbids, a 4xx"),
            TunnelState::None,
            &body(&id, ClientMode::All.as_str(), None),
            Expectation::Invalid,
        )
    };
    if rule.min > 0 {
        let id = c::unknown_tunnel_id(rng, rule.min - 1, '-');
        out.push(invalid_literal(
            format!("len-{}", rule.min - 1),
            format!("tunnelId of {} characters, below the pattern's minimum", rule.min - 1),
            id,
        ));
    }
    let id = c::unknown_tunnel_id(rng, rule.max + 1, '-');
    out.push(invalid_literal(
        format!("len-{}", rule.max + 1),
        format!("tunnelId of {} characters, above the pattern's maximum", rule.max + 1),
        id,
    ));
    // The real tunnel's id with one forbidden character: a server that trims or sanitizes ids
    // would find the tunnel and rotate.
    for (i, (name, ch)) in DISALLOWED_CLASSES.iter().enumerate() {
        if rule.allows(&format!("a{ch}")) {
            continue;
        }
        let mode = nth_mode(i);
        out.push(case(
            format!("boundary/tunnelId/disallowed-{name}"),
            format!("The tunnel's id followed by a {name} character ({mode}): outside the pattern, a 4xx"),
            open(),
            &body(&format!("{TUNNEL_ID_PLACEHOLDER}{ch}"), mode.as_str(), None),
            Expectation::Invalid,
        ));
    }
    out
}

fn client_mode() -> Vec<Case> {
    let mut out = Vec::new();
    let invalid = |name: String, value: String| {
        case(
            format!("boundary/clientMode/{name}"),
            format!("clientMode {value:?}, not one of the model's enum values: a 4xx"),
            open(),
            &body(TUNNEL_ID_PLACEHOLDER, &value, None),
            Expectation::Invalid,
        )
    };
    let values = c::enum_values();
    for mode in c::client_modes() {
        let v = mode.as_str();
        out.push(case(
            format!("boundary/clientMode/value-{v}"),
            format!("clientMode {v} (an enum value) on an OPEN tunnel: a successful rotation"),
            open(),
            &body(TUNNEL_ID_PLACEHOLDER, v, None),
            Expectation::Success { mode },
        ));
        let mut mixed: String = v[..1].to_owned();
        mixed.push_str(&v[1..].to_ascii_lowercase());
        let variants = [
            ("lower", v.to_ascii_lowercase()),
            ("mixed", mixed),
            ("padded", format!("{v} ")),
            ("leading-space", format!(" {v}")),
        ];
        for (what, value) in variants {
            if !values.contains(&value) {
                out.push(invalid(format!("{what}-{v}"), value));
            }
        }
    }
    out.push(invalid("empty".into(), String::new()));
    if !values.iter().any(|v| v == "BOTH") {
        out.push(invalid("unknown".into(), "BOTH".into()));
    }
    out
}

/// Cases for one string member of the destinationConfig: lengths min-1, min, max, max+1, and its
/// special characters (allowed: success) and the TunnelId-only or other excluded characters
/// (invalid).
fn config_string_cases(
    rng: &mut dyn RngCore,
    member: &str,
    rule: &StringRule,
    make_config: &dyn Fn(String) -> Value,
) -> Vec<Case> {
    let mut out = Vec::new();
    let push = |name: String, what: String, value: String, out: &mut Vec<Case>| {
        let mode = if out.len() % 2 == 0 {
            ClientMode::Destination
        } else {
            ClientMode::All
        };
        let ok = rule.allows(&value);
        let (expect, outcome) = if ok {
            (Expectation::Success { mode }, "a successful rotation")
        } else {
            (Expectation::Invalid, "input the model forbids, a 4xx")
        };
        out.push(case(
            format!("boundary/{member}/{name}"),
            format!("{mode} with a {member} value {what}: {outcome}"),
            open(),
            &body(TUNNEL_ID_PLACEHOLDER, mode.as_str(), Some(make_config(value))),
            expect,
        ));
    };
    let mut lengths = vec![rule.min, rule.max, rule.max + 1];
    if rule.min > 0 {
        lengths.insert(0, rule.min - 1);
    }
    if rule.min == 0 {
        lengths.insert(0, 1);
    }
    for len in lengths {
        let value = rule.random(rng, len);
        let what = format!("of {len} character{}", if len == 1 { "" } else { "s" });
        push(format!("len-{len}"), what, value, &mut out);
    }
    let tunnel_rule = StringRule::tunnel_id();
    let mut chars: Vec<char> = rule.specials();
    chars.extend(tunnel_rule.specials().into_iter().filter(|ch| !rule.allows_char(*ch)));
    chars.extend(
        DISALLOWED_CLASSES
            .iter()
            .map(|(_, ch)| *ch)
            .filter(|ch| ch.is_ascii() && !ch.is_ascii_control()),
    );
    for ch in chars {
        let value = format!("{}{ch}{}", rule.random_alnum(rng, 4), rule.random_alnum(rng, 4));
        let allowed = if rule.allows(&value) { "allowed" } else { "not allowed" };
        push(
            format!("char-{}", char_name(ch)),
            format!("containing '{ch}' ({allowed} by its pattern)"),
            value,
            &mut out,
        );
    }
    out
}

fn services(rng: &mut dyn RngCore) -> Vec<Case> {
    let rule = StringRule::service();
    let mut out = config_string_cases(rng, c::SERVICES, &rule, &|s| json!({ c::SERVICES: [s] }));
    let min = c::services_min();
    let mut counts = vec![(min.max(1), "at the model's minimum")];
    if min > 0 {
        counts.insert(0, (min - 1, "below the model's minimum"));
    }
    counts.push((GUIDE_MAX_SERVICES, "at the developer guide's maximum"));
    counts.push((GUIDE_MAX_SERVICES + 1, "above the developer guide's maximum"));
    counts.dedup_by_key(|(n, _)| *n);
    for (i, (n, what)) in counts.into_iter().enumerate() {
        let mode = if i % 2 == 0 {
            ClientMode::Destination
        } else {
            ClientMode::All
        };
        let names: Vec<String> = (0..n)
            .map(|k| match SERVICE_NAMES.get(k) {
                Some(s) => (*s).to_owned(),
                None => format!("SVC{k}-{}", rule.random_alnum(rng, 4)),
            })
            .collect();
        let (expect, outcome) = if n < min {
            (Expectation::Invalid, "input the model forbids, a 4xx")
        } else if n > GUIDE_MAX_SERVICES {
            (
                Expectation::AnyNon5xx { mode: Some(mode) },
                "left open (accepted or a 4xx)",
            )
        } else {
            (Expectation::Success { mode }, "a successful rotation")
        };
        out.push(case(
            format!("boundary/services/count-{n}"),
            format!(
                "{mode} with {n} service{} ({what}): {outcome}",
                if n == 1 { "" } else { "s" }
            ),
            open(),
            &body(
                TUNNEL_ID_PLACEHOLDER,
                mode.as_str(),
                Some(json!({ c::SERVICES: names })),
            ),
            expect,
        ));
    }
    out
}

fn thing_name_cases(rng: &mut dyn RngCore) -> Vec<Case> {
    let rule = StringRule::thing_name();
    config_string_cases(
        rng,
        c::THING_NAME,
        &rule,
        &|t| json!({ c::THING_NAME: t, c::SERVICES: [SERVICE_NAMES[0]] }),
    )
}

fn destination_config_cases(rng: &mut dyn RngCore) -> Vec<Case> {
    let mut out = Vec::new();
    let thing = thing_name(rng);
    for (name, cfg) in [
        ("source-with-config", destination_config(1, None)),
        ("source-with-config-thing", destination_config(2, Some(&thing))),
    ] {
        let base = BaseRequest::new(name, ClientMode::Source, Some(cfg), None);
        out.push(case(
            format!("boundary/destinationConfig/{name}"),
            format!(
                "{} on an OPEN tunnel: refused with a 4xx, nothing rotated",
                base.summary()
            ),
            open(),
            &base.body_value(),
            Expectation::SourceWithDestinationConfig,
        ));
    }
    let invalid = [
        (
            "empty-object",
            json!({}),
            "an empty destinationConfig (services missing)",
        ),
        (
            "thing-only",
            json!({ c::THING_NAME: thing }),
            "a destinationConfig with a thingName and no services",
        ),
    ];
    for (i, (name, cfg, what)) in invalid.into_iter().enumerate() {
        let mode = if i % 2 == 0 {
            ClientMode::Destination
        } else {
            ClientMode::All
        };
        out.push(case(
            format!("boundary/destinationConfig/{name}"),
            format!("{mode} with {what}: a required member is missing, a 4xx"),
            open(),
            &body(TUNNEL_ID_PLACEHOLDER, mode.as_str(), Some(cfg)),
            Expectation::Invalid,
        ));
    }
    out
}

fn tunnel_state() -> Vec<Case> {
    c::client_modes()
        .into_iter()
        .map(|mode| {
            case(
                format!("boundary/tunnelState/closed-{}", mode.as_str().to_ascii_lowercase()),
                format!("{mode} rotation of a CLOSED tunnel: never reopens it (the 4xx refusal is inferred)"),
                TunnelState::Closed,
                &body(TUNNEL_ID_PLACEHOLDER, mode.as_str(), None),
                Expectation::ClosedTunnel,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn all() -> Vec<Case> {
        cases(&mut StdRng::seed_from_u64(11))
    }

    fn find<'a>(cases: &'a [Case], id: &str) -> &'a Case {
        cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"))
    }

    #[test]
    fn unknown_ids_cover_both_lengths_and_each_special_character() {
        let cases = all();
        let rule = StringRule::tunnel_id();
        let mut names = vec!["len-1".to_owned(), "len-128".to_owned()];
        names.extend(["underscore", "hyphen", "plus", "equals", "colon"].map(|n| format!("char-{n}")));
        for n in names {
            let c = find(&cases, &format!("boundary/tunnelId/{n}"));
            assert_eq!(c.expect, Expectation::NotFound);
            let TunnelState::Unknown { id } = &c.tunnel else {
                panic!("{n}: {:?}", c.tunnel)
            };
            assert!(rule.allows(id), "{id}");
        }
        let TunnelState::Unknown { id } = &find(&cases, "boundary/tunnelId/len-128").tunnel else {
            unreachable!()
        };
        assert_eq!(id.len(), 128);
        assert!(id.starts_with("rotcheck-unknown-"));
    }

    #[test]
    fn out_of_pattern_ids_are_invalid() {
        let cases = all();
        for n in ["len-0", "len-129"]
            .into_iter()
            .map(String::from)
            .chain(DISALLOWED_CLASSES.iter().map(|(n, _)| format!("disallowed-{n}")))
        {
            let c = find(&cases, &format!("boundary/tunnelId/{n}"));
            assert_eq!(c.expect, Expectation::Invalid, "{n}");
            let id = c.request.body_json().unwrap()["tunnelId"].as_str().unwrap().to_owned();
            assert!(
                !StringRule::tunnel_id().allows(&id.replace(TUNNEL_ID_PLACEHOLDER, "abc")),
                "{n}"
            );
        }
    }

    #[test]
    fn lengths_and_counts_have_the_right_expectations() {
        let cases = all();
        for member in ["services", "thingName"] {
            for (len, ok) in [(0, false), (1, true), (128, true), (129, false)] {
                let c = find(&cases, &format!("boundary/{member}/len-{len}"));
                assert_eq!(matches!(c.expect, Expectation::Success { .. }), ok, "{}", c.id);
                assert_eq!(c.expect == Expectation::Invalid, !ok, "{}", c.id);
            }
            // '+' and '=' are allowed in a tunnel id, not in a service or thing name.
            assert_eq!(
                find(&cases, &format!("boundary/{member}/char-plus")).expect,
                Expectation::Invalid
            );
            assert!(matches!(
                find(&cases, &format!("boundary/{member}/char-colon")).expect,
                Expectation::Success { .. }
            ));
        }
        assert_eq!(find(&cases, "boundary/services/count-0").expect, Expectation::Invalid);
        assert!(matches!(
            find(&cases, "boundary/services/count-1").expect,
            Expectation::Success { .. }
        ));
        assert!(matches!(
            find(&cases, "boundary/services/count-3").expect,
            Expectation::Success { .. }
        ));
        assert!(matches!(
            find(&cases, "boundary/services/count-4").expect,
            Expectation::AnyNon5xx { mode: Some(_) }
        ));
    }

    #[test]
    fn enum_values_succeed_and_variants_are_invalid() {
        let cases = all();
        for mode in ClientMode::ALL_MODES {
            let v = mode.as_str();
            assert_eq!(
                find(&cases, &format!("boundary/clientMode/value-{v}")).expect,
                Expectation::Success { mode }
            );
            for what in ["lower", "mixed", "padded", "leading-space"] {
                assert_eq!(
                    find(&cases, &format!("boundary/clientMode/{what}-{v}")).expect,
                    Expectation::Invalid
                );
            }
        }
        assert_eq!(find(&cases, "boundary/clientMode/empty").expect, Expectation::Invalid);
        assert_eq!(find(&cases, "boundary/clientMode/unknown").expect, Expectation::Invalid);
    }

    #[test]
    fn source_with_config_and_closed_tunnels() {
        let cases = all();
        let c = find(&cases, "boundary/destinationConfig/source-with-config");
        assert_eq!(c.expect, Expectation::SourceWithDestinationConfig);
        assert!(matches!(c.tunnel, TunnelState::Open { .. }));
        for m in ["source", "destination", "all"] {
            let c = find(&cases, &format!("boundary/tunnelState/closed-{m}"));
            assert_eq!(
                (c.expect.clone(), c.tunnel.clone()),
                (Expectation::ClosedTunnel, TunnelState::Closed)
            );
        }
    }
}
