//! What the families share: the members of a base body (walking the model), whether the model
//! forbids a value, building requests, and the three kinds of mutant (invalid, left open, same
//! meaning).

use rand::{Rng, RngCore};
use serde_json::Value;

use super::Mutant;
use crate::cases::constraints::{self as c, StringRule};
use crate::cases::json_text::{self as jt, key, Seg};
use crate::cases::valid::BaseRequest;
use crate::cases::{Expectation, TUNNEL_ID_PLACEHOLDER};
use crate::spec::facts::{self, ClientMode};
use crate::spec::{model, Shape, ShapeKind};
use crate::wire::HttpRequest;

/// A member present in the base body, with its shape in the model.
pub(super) struct BodyMember {
    pub(super) path: Vec<Seg>,
    pub(super) shape: &'static Shape,
    /// A required member of its structure (list items are not members).
    pub(super) required: bool,
}

impl BodyMember {
    pub(super) fn name(&self) -> String {
        jt::dotted(&self.path)
    }

    pub(super) fn is_list_item(&self) -> bool {
        matches!(self.path.last(), Some(Seg::Index(_)))
    }

    pub(super) fn is_tunnel_id(&self) -> bool {
        self.path == [key(c::TUNNEL_ID)]
    }

    pub(super) fn is_string(&self) -> bool {
        matches!(self.shape.kind, ShapeKind::String(_))
    }

    pub(super) fn is_enum(&self) -> bool {
        self.shape.string_constraints().is_some_and(|c| c.enum_values.is_some())
    }
}

/// Every member of the base body (and the first item of each list), walking the model.
pub(super) fn body_members(base: &BaseRequest) -> Vec<BodyMember> {
    let mut out = Vec::new();
    walk(c::request_shape(), &base.body_value(), &mut Vec::new(), &mut out);
    out
}

fn walk(shape_name: &str, v: &Value, path: &mut Vec<Seg>, out: &mut Vec<BodyMember>) {
    let Some(shape) = model().shape(shape_name) else {
        return;
    };
    match &shape.kind {
        ShapeKind::Structure { members, required, .. } => {
            for m in members {
                let Some(child) = v.get(&m.name).filter(|x| !x.is_null()) else {
                    continue;
                };
                let Some(member_shape) = model().shape(&m.shape) else {
                    continue;
                };
                path.push(key(&m.name));
                out.push(BodyMember {
                    path: path.clone(),
                    shape: member_shape,
                    required: required.contains(&m.name),
                });
                walk(&m.shape, child, path, out);
                path.pop();
            }
        }
        ShapeKind::List { member, .. } => {
            let Some(first) = v.as_array().and_then(|a| a.first()) else {
                return;
            };
            let Some(member_shape) = model().shape(member) else {
                return;
            };
            path.push(Seg::Index(0));
            out.push(BodyMember {
                path: path.clone(),
                shape: member_shape,
                required: false,
            });
            walk(member, first, path, out);
            path.pop();
        }
        _ => {}
    }
}

pub(super) fn string_members(base: &BaseRequest) -> Vec<BodyMember> {
    body_members(base).into_iter().filter(BodyMember::is_string).collect()
}

/// A valid stand-in for the tunnel id when judging a value with the placeholder in it.
const SAMPLE_ID: &str = "rotcheckSampleId1";

/// Whether the model forbids `value` for a string shape (placeholder read as a valid id).
pub(super) fn forbidden(shape: &'static Shape, value: &str) -> bool {
    let value = value.replace(TUNNEL_ID_PLACEHOLDER, SAMPLE_ID);
    match shape.string_constraints().and_then(|c| c.enum_values.as_ref()) {
        Some(values) => !values.contains(&value),
        None => !StringRule::of(shape).allows(&value),
    }
}

pub(super) fn request(body: Vec<u8>) -> HttpRequest {
    HttpRequest::raw(facts::ROTATE, body)
}

pub(super) fn with_value(base: &BaseRequest, path: &[Seg], v: Value) -> HttpRequest {
    let mut body = base.body_value();
    jt::set(&mut body, path, v);
    HttpRequest::json(facts::ROTATE, &body)
}

pub(super) fn invalid(target: impl Into<String>, what: String, request: HttpRequest) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what}: the spec forbids it, a 4xx"),
        request,
        expect: Expectation::Invalid,
    }
}

pub(super) fn open_ended(
    target: impl Into<String>,
    what: String,
    request: HttpRequest,
    mode: Option<ClientMode>,
) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what}: left open by the spec, anything but a 5xx"),
        request,
        expect: Expectation::AnyNon5xx { mode },
    }
}

pub(super) fn same_meaning(
    target: impl Into<String>,
    what: String,
    base: &BaseRequest,
    request: HttpRequest,
) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what} ({}): the same request, a successful rotation", base.mode),
        request,
        expect: Expectation::Success { mode: base.mode },
    }
}

/// Insert `text` at a random character position of `value`, keeping the placeholder whole
/// (before or after it).
pub(super) fn insert_random(rng: &mut dyn RngCore, value: &str, text: &str) -> String {
    if value.contains(TUNNEL_ID_PLACEHOLDER) {
        return if rng.random_bool(0.5) {
            format!("{text}{value}")
        } else {
            format!("{value}{text}")
        };
    }
    let n = value.chars().count();
    let at = rng.random_range(0..=n);
    let byte = value.char_indices().nth(at).map_or(value.len(), |(i, _)| i);
    format!("{}{text}{}", &value[..byte], &value[byte..])
}

/// `value` as a JSON string literal with `raw` (escape text) inserted at a random position.
pub(super) fn literal_with_raw(rng: &mut dyn RngCore, value: &str, raw: &str, ascii_only: bool) -> String {
    const CUT: &str = "\u{1}";
    let marked = insert_random(rng, value, CUT);
    let (before, after) = marked.split_once(CUT).unwrap_or((&marked, ""));
    let b = jt::string_literal(before, ascii_only);
    let a = jt::string_literal(after, ascii_only);
    format!("{}{raw}{}", &b[..b.len() - 1], &a[1..])
}

pub(super) fn current_str(base: &BaseRequest, path: &[Seg]) -> String {
    jt::get(&base.body_value(), path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

pub(super) fn config_path(member: &str) -> Vec<Seg> {
    vec![key(c::DESTINATION_CONFIG), key(member)]
}

/// The services list of the base's destinationConfig, when it has one.
pub(super) fn services(base: &BaseRequest) -> Option<Vec<Value>> {
    jt::get(&base.body_value(), &config_path(c::SERVICES))?
        .as_array()
        .cloned()
}

/// The base body as compact JSON text.
pub(super) fn text(base: &BaseRequest) -> String {
    base.body_value().to_string()
}

/// A member name no model has.
pub(super) fn unknown_name(rng: &mut dyn RngCore) -> String {
    format!("rotcheckUnknown{}", c::random_suffix(rng, 6))
}
