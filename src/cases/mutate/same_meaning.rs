//! The same request in other text (whitespace, member order, escapes): a successful rotation.

use rand::RngCore;
use serde_json::{Map, Value};

use super::support::{current_str, request, same_meaning, string_members, text};
use super::{Mutant, Operator};
use crate::cases::json_text as jt;
use crate::cases::valid::BaseRequest;
use crate::spec::facts;
use crate::wire::HttpRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("whitespace-padding", "pretty-print the body with extra whitespace (same meaning)", whitespace_padding),
    op!("member-reorder", "reverse the order of members (same meaning)", member_reorder),
    op!("json-escape", "write ASCII characters as \\u escapes (same meaning)", json_escape),
];

fn whitespace_padding(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let pretty = serde_json::to_string_pretty(&base.body_value()).unwrap_or_else(|_| text(base));
    let body = format!(" \r\n\t{}\r\n \t", pretty.replace('\n', "\r\n\t"));
    vec![same_meaning(
        "body",
        "the body pretty-printed with leading and trailing whitespace".into(),
        base,
        request(body.into_bytes()),
    )]
}

fn reversed(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(reversed).collect()),
        other => other.clone(),
    }
}

fn member_reorder(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    vec![same_meaning(
        "body",
        "every object's members in reverse order".into(),
        base,
        HttpRequest::json(facts::ROTATE, &reversed(&base.body_value())),
    )]
}

/// `s` as a JSON string literal with every character written as a `\u00XX` escape.
fn all_escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for unit in s.encode_utf16() {
        out.push_str(&format!("\\u{unit:04x}"));
    }
    out.push('"');
    out
}

fn json_escape(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    let body = base.body_value();
    for t in string_members(base).into_iter().filter(|t| !t.is_tunnel_id()) {
        let literal = all_escaped(&current_str(base, &t.path));
        let text = jt::splice(&body, &t.path, &literal);
        out.push(same_meaning(
            t.name(),
            format!("{} written with \\u escapes", t.name()),
            base,
            request(text),
        ));
    }
    let t = text(base);
    let mut keys = t.clone();
    for name in base.body.keys() {
        keys = keys.replacen(&format!("\"{name}\":"), &format!("{}:", all_escaped(name)), 1);
    }
    if keys != t {
        out.push(same_meaning(
            "member-names",
            "the member names written with \\u escapes".into(),
            base,
            request(keys.into_bytes()),
        ));
    }
    out
}
