//! Malformed JSON and bodies that are not a JSON object: what a strict parser refuses (and the
//! few things RFC 8259 lets a parser accept, which are left open).

use rand::{Rng, RngCore};
use serde_json::Value;

use super::support::{config_path, current_str, invalid, literal_with_raw, open_ended, request, services, text};
use super::{Mutant, Operator};
use crate::cases::constraints as c;
use crate::cases::json_text::{self as jt, key};
use crate::cases::valid::BaseRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("malformed-truncated", "cut the body short", malformed_truncated),
    op!("malformed-trailing-comma", "add a trailing comma to an object or array", malformed_trailing_comma),
    op!("malformed-single-quotes", "quote strings with single quotes", malformed_single_quotes),
    op!("malformed-nan", "give clientMode a NaN or Infinity literal", malformed_nan),
    op!("malformed-comment", "add a comment to the body", malformed_comment),
    op!("malformed-unquoted-key", "write a member name without quotes", malformed_unquoted_key),
    op!("malformed-control-char", "put a raw control character inside a string", malformed_control_char),
    op!("trailing-garbage", "append text after the JSON object", trailing_garbage),
    op!("empty-body", "send no body at all", empty_body),
    op!("non-object-body", "send a JSON value that is not an object", non_object_body),
    op!("bom-prefix", "prefix the body with a UTF-8 byte order mark", bom_prefix),
];

fn malformed_truncated(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let full = text(base).into_bytes();
    // Any proper prefix of an object's text lacks its closing brace.
    let cut = rng.random_range(1..full.len());
    vec![invalid(
        "body",
        format!("the body cut after {cut} of {} bytes", full.len()),
        request(full[..cut].to_vec()),
    )]
}

fn malformed_trailing_comma(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let body = base.body_value();
    let mut out = Vec::new();
    let t = text(base);
    if let Some(inner) = t.strip_suffix('}') {
        out.push(invalid(
            "root",
            "a trailing comma in the body object".into(),
            request(format!("{inner},}}").into()),
        ));
    }
    if let Some(list) = services(base) {
        let items: Vec<String> = list.iter().map(Value::to_string).collect();
        let fragment = format!("[{},]", items.join(","));
        let text = jt::splice(&body, &config_path(c::SERVICES), &fragment);
        out.push(invalid(
            "destinationConfig.services",
            "a trailing comma in destinationConfig.services".into(),
            request(text),
        ));
    }
    out
}

fn malformed_single_quotes(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    vec![invalid(
        "body",
        "every string quoted with single quotes".into(),
        request(text(base).replace('"', "'").into_bytes()),
    )]
}

fn malformed_nan(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    [
        ("nan", "NaN"),
        ("infinity", "Infinity"),
        ("negative-infinity", "-Infinity"),
    ]
    .into_iter()
    .map(|(name, lit)| {
        let text = jt::splice(&base.body_value(), &[key(c::CLIENT_MODE)], lit);
        invalid(
            format!("clientMode-{name}"),
            format!("clientMode given the non-JSON literal {lit}"),
            request(text),
        )
    })
    .collect()
}

fn malformed_comment(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let t = text(base);
    let Some(inner) = t.strip_prefix('{') else {
        return Vec::new();
    };
    [
        ("block", format!("{{/* rotcheck */{inner}")),
        ("line", format!("{{// rotcheck\n{inner}")),
    ]
    .into_iter()
    .map(|(kind, body)| {
        invalid(
            kind,
            format!("a {kind} comment in the body"),
            request(body.into_bytes()),
        )
    })
    .collect()
}

fn malformed_unquoted_key(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let quoted = format!("\"{}\":", c::CLIENT_MODE);
    let t = text(base);
    if !t.contains(&quoted) {
        return Vec::new();
    }
    let body = t.replacen(&quoted, &format!("{}:", c::CLIENT_MODE), 1);
    vec![invalid(
        c::CLIENT_MODE,
        "the member name clientMode without quotes".into(),
        request(body.into_bytes()),
    )]
}

fn malformed_control_char(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    const CONTROLS: [char; 4] = ['\u{1}', '\t', '\n', '\u{1f}'];
    [c::TUNNEL_ID, c::CLIENT_MODE]
        .into_iter()
        .filter(|m| base.body.contains_key(*m))
        .map(|m| {
            let ch = CONTROLS[rng.random_range(0..CONTROLS.len())];
            let literal = literal_with_raw(rng, &current_str(base, &[key(m)]), &ch.to_string(), false);
            let text = jt::splice(&base.body_value(), &[key(m)], &literal);
            let what = format!("{m} containing an unescaped U+{:04X}", ch as u32);
            invalid(m, what, request(text))
        })
        .collect()
}

fn trailing_garbage(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let t = text(base);
    // Parsers differ: many stop after the first value (Jackson's default). Either outcome passes.
    [
        ("text", format!("{t}rotcheck")),
        ("second-object", format!("{t}{t}")),
        ("bracket", format!("{t}]")),
    ]
    .into_iter()
    .map(|(name, body)| {
        let what = format!("the body followed by trailing {name}");
        open_ended(name, what, request(body.into_bytes()), Some(base.mode))
    })
    .collect()
}

fn empty_body(_: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    vec![invalid(
        "body",
        "an empty body (no required member)".into(),
        request(Vec::new()),
    )]
}

fn non_object_body(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let t = text(base);
    [
        ("array", format!("[{t}]")),
        ("string", Value::String(t.clone()).to_string()),
        ("number", "1".to_owned()),
        ("null", "null".to_owned()),
        ("boolean", "true".to_owned()),
    ]
    .into_iter()
    .map(|(name, body)| {
        invalid(
            name,
            format!("a body that is a JSON {name}"),
            request(body.into_bytes()),
        )
    })
    .collect()
}

fn bom_prefix(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut body = "\u{feff}".as_bytes().to_vec();
    body.extend_from_slice(text(base).as_bytes());
    // JSON forbids a BOM (RFC 8259 section 8.1) but lets parsers ignore one.
    vec![open_ended(
        "body",
        "the body prefixed with a UTF-8 byte order mark".into(),
        request(body),
        Some(base.mode),
    )]
}
