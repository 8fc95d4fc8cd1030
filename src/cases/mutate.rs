//! Mutation operators: named, one-at-a-time changes to a valid request, each producing requests
//! together with what the spec requires of the answer.
//!
//! The generator applies every operator to the request that carries every member; the fuzzer
//! picks operators and bases at random. An operator is deterministic for a given RNG state, and
//! returns nothing when it does not apply to the base (e.g. a destinationConfig mutation on a
//! request without one).
//!
//! Expectations: the spec forbids it -> [`Expectation::Invalid`] (a 4xx); the spec leaves it open
//! (PROTOCOL.md "Left open by the spec", or no source says) -> [`Expectation::AnyNon5xx`]; a
//! mutation that keeps the request's meaning (whitespace, member order, escapes) ->
//! [`Expectation::Success`]. String mutations are checked against the model before a case is
//! called invalid.

use rand::{Rng, RngCore};
use serde_json::{json, Map, Value};

use super::constraints::{self as c, StringRule, GUIDE_MAX_SERVICES};
use super::json_text::{self as jt, key, Seg};
use super::valid::{destination_config, BaseRequest, SERVICE_NAMES};
use super::{replace_bytes, Case, CaseKind, Expectation, TUNNEL_ID_PLACEHOLDER};
use crate::spec::facts::{self, ClientMode};
use crate::spec::{model, Shape, ShapeKind};
use crate::wire::HttpRequest;

/// Length of huge strings: far beyond every maximum, well below a 1 MiB body cap.
pub const HUGE_LEN: usize = 100_000;
/// Nesting depth of deeply nested values (a recursive parser without a limit overflows its stack).
pub const DEEP_NESTING: usize = 10_000;
/// Number of members in the many-unknown-members mutation.
pub const MANY_MEMBERS: usize = 10_000;

type Build = fn(&BaseRequest, &mut dyn RngCore) -> Vec<Mutant>;

/// A named mutation. `name` is id-safe (`mutate/<name>/<target>`).
pub struct Operator {
    pub name: &'static str,
    /// One line: what the operator changes.
    pub description: &'static str,
    build: Build,
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// One request an operator made from a base.
struct Mutant {
    /// Id-safe: what was changed, e.g. `destinationConfig.services.member`.
    target: String,
    /// One line: what is sent and what the spec requires.
    description: String,
    request: HttpRequest,
    expect: Expectation,
}

/// Every operator, in a fixed order.
pub fn catalog() -> &'static [Operator] {
    CATALOG
}

/// The operator called `name`.
pub fn find(name: &str) -> Option<&'static Operator> {
    CATALOG.iter().find(|op| op.name == name)
}

impl Operator {
    /// See [`apply`].
    pub fn apply(&self, base: &BaseRequest, rng: &mut impl Rng) -> Vec<Case> {
        apply(self, base, rng)
    }
}

/// Apply `op` to `base`: the mutated cases (ids `mutate/<operator>/<target>`, on the base's
/// tunnel). Empty when the operator does not apply to this base. Ids do not name the base: a
/// caller applying operators to several bases (the fuzzer) makes them unique itself.
pub fn apply(op: &Operator, base: &BaseRequest, rng: &mut impl Rng) -> Vec<Case> {
    let rng: &mut dyn RngCore = rng;
    (op.build)(base, rng)
        .into_iter()
        .map(|m| Case {
            id: format!("mutate/{}/{}", op.name, m.target),
            kind: CaseKind::Mutated,
            description: m.description,
            tunnel: base.tunnel.clone(),
            request: m.request,
            expect: m.expect,
            operator: Some(op.name.to_owned()),
        })
        .collect()
}

macro_rules! op {
    ($name:literal, $desc:literal, $build:expr) => {
        Operator {
            name: $name,
            description: $desc,
            build: $build,
        }
    };
}

// One operator a line: the catalog reads as a table.
#[rustfmt::skip]
static CATALOG: &[Operator] = &[
    op!("missing-member", "remove a required member", missing_member),
    op!("null-member", "set a member to JSON null (null = absent)", null_member),
    op!("type-number", "give a non-number member a JSON number", type_number),
    op!("type-boolean", "give a member a JSON boolean", type_boolean),
    op!("type-string", "give a non-string member a JSON string", type_string),
    op!("type-array", "give a non-list member a JSON array", type_array),
    op!("type-object", "give a non-structure member a JSON object", type_object),
    op!("empty-string", "set a string member to the empty string", empty_string),
    op!("pattern-char", "insert a printable ASCII character the member's pattern excludes", pattern_char),
    op!("length-over-max", "make a string member longer than its maximum", length_over_max),
    op!("enum-variant", "replace clientMode by a near miss of an enum value", enum_variant),
    op!("services-empty", "send an empty services list", services_empty),
    op!("services-null-item", "put a null item into the services list", services_null_item),
    op!("services-too-many", "send more services than the developer guide's 3", services_too_many),
    op!("services-duplicate-items", "repeat a service name in the list", services_duplicate_items),
    op!("unknown-member", "add a member the model does not know", unknown_member),
    op!("many-unknown-members", "add thousands of unknown members", many_unknown_members),
    op!("member-name-case", "change the case of a member name", member_name_case),
    op!("duplicate-key", "repeat a member in the same object", duplicate_key),
    op!("deep-nesting-unknown", "add a deeply nested unknown member", deep_nesting_unknown),
    op!("deep-nesting-member", "replace a member by a deeply nested value", deep_nesting_member),
    op!("huge-string", "make a string member about 100 KB long", huge_string),
    op!("huge-unknown-member", "add an unknown member about 100 KB long", huge_unknown_member),
    op!("unicode-zero-width", "insert a zero-width character into a string member", unicode_zero_width),
    op!("unicode-bidi", "insert a bidirectional control into a string member", unicode_bidi),
    op!("unicode-combining", "insert a combining mark into a string member", unicode_combining),
    op!("unicode-homoglyph", "insert a Cyrillic or Greek look-alike letter into a string member", unicode_homoglyph),
    op!("unicode-astral", "insert an emoji or other astral character into a string member", unicode_astral),
    op!("unicode-nul", "insert an escaped NUL into a string member", unicode_nul),
    op!("unicode-fullwidth", "replace ASCII letters or digits of a string member by full-width ones", unicode_fullwidth),
    op!("unicode-lone-surrogate", "insert a lone UTF-16 surrogate escape (\\ud800) into a string member", lone_surrogate),
    op!("invalid-utf8", "insert bytes that are not UTF-8 into a string member", invalid_utf8),
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
    op!("whitespace-padding", "pretty-print the body with extra whitespace (same meaning)", whitespace_padding),
    op!("member-reorder", "reverse the order of members (same meaning)", member_reorder),
    op!("json-escape", "write ASCII characters as \\u escapes (same meaning)", json_escape),
    op!("content-type-wrong", "send another Content-Type", content_type_wrong),
    op!("content-type-missing", "send no Content-Type", content_type_missing),
    op!("target-missing", "send no X-Amz-Target", target_missing),
    op!("target-unknown-operation", "name an operation the service does not have", target_unknown_operation),
    op!("target-other-service", "name another service's target prefix", target_other_service),
    op!("target-malformed", "send an X-Amz-Target without prefix or operation", target_malformed),
    op!("method-other", "use another HTTP method than POST", method_other),
    op!("source-with-destination-config", "SOURCE mode with a destinationConfig", source_with_destination_config),
];

/// The mutated cases of `generate()`: every operator applied to the base that carries every
/// member, each with its own RNG stream so that cases do not shift when operators are added.
pub fn cases(seed: u64, base: &BaseRequest) -> Vec<Case> {
    CATALOG
        .iter()
        .flat_map(|op| apply(op, base, &mut super::rng_for(seed, op.name)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

/// A member present in the base body, with its shape in the model.
struct Target {
    path: Vec<Seg>,
    shape: &'static Shape,
    /// A required member of its structure (list items are not members).
    required: bool,
}

impl Target {
    fn name(&self) -> String {
        jt::dotted(&self.path)
    }

    fn is_list_item(&self) -> bool {
        matches!(self.path.last(), Some(Seg::Index(_)))
    }

    fn is_tunnel_id(&self) -> bool {
        self.path == [key(c::TUNNEL_ID)]
    }

    fn is_string(&self) -> bool {
        matches!(self.shape.kind, ShapeKind::String(_))
    }

    fn is_enum(&self) -> bool {
        self.shape.string_constraints().is_some_and(|c| c.enum_values.is_some())
    }
}

/// Every member of the base body (and the first item of each list), walking the model.
fn targets(base: &BaseRequest) -> Vec<Target> {
    let mut out = Vec::new();
    walk(c::request_shape(), &base.body_value(), &mut Vec::new(), &mut out);
    out
}

fn walk(shape_name: &str, v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Target>) {
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
                out.push(Target {
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
            out.push(Target {
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

fn string_targets(base: &BaseRequest) -> Vec<Target> {
    targets(base).into_iter().filter(Target::is_string).collect()
}

/// A valid stand-in for the tunnel id when judging a value with the placeholder in it.
const SAMPLE_ID: &str = "rotcheckSampleId1";

/// Whether the model forbids `value` for a string shape (placeholder read as a valid id).
fn forbidden(shape: &'static Shape, value: &str) -> bool {
    let value = value.replace(TUNNEL_ID_PLACEHOLDER, SAMPLE_ID);
    match shape.string_constraints().and_then(|c| c.enum_values.as_ref()) {
        Some(values) => !values.contains(&value),
        None => !StringRule::of(shape).allows(&value),
    }
}

fn request(body: Vec<u8>) -> HttpRequest {
    HttpRequest::raw(facts::ROTATE, body)
}

fn with_value(base: &BaseRequest, path: &[Seg], v: Value) -> HttpRequest {
    let mut body = base.body_value();
    jt::set(&mut body, path, v);
    HttpRequest::json(facts::ROTATE, &body)
}

fn invalid(target: impl Into<String>, what: String, request: HttpRequest) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what}: the spec forbids it, a 4xx"),
        request,
        expect: Expectation::Invalid,
    }
}

fn open_ended(target: impl Into<String>, what: String, request: HttpRequest, mode: Option<ClientMode>) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what}: left open by the spec, anything but a 5xx"),
        request,
        expect: Expectation::AnyNon5xx { mode },
    }
}

fn same_meaning(target: impl Into<String>, what: String, base: &BaseRequest, request: HttpRequest) -> Mutant {
    Mutant {
        target: target.into(),
        description: format!("{what} ({}): the same request, a successful rotation", base.mode),
        request,
        expect: Expectation::Success { mode: base.mode },
    }
}

/// Insert `text` at a random character position of `value`, keeping the placeholder whole
/// (before or after it).
fn insert_random(rng: &mut dyn RngCore, value: &str, text: &str) -> String {
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
fn literal_with_raw(rng: &mut dyn RngCore, value: &str, raw: &str, ascii_only: bool) -> String {
    const CUT: &str = "\u{1}";
    let marked = insert_random(rng, value, CUT);
    let (before, after) = marked.split_once(CUT).unwrap_or((&marked, ""));
    let b = jt::string_literal(before, ascii_only);
    let a = jt::string_literal(after, ascii_only);
    format!("{}{raw}{}", &b[..b.len() - 1], &a[1..])
}

fn current_str(base: &BaseRequest, path: &[Seg]) -> String {
    jt::get(&base.body_value(), path)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn config_path(member: &str) -> Vec<Seg> {
    vec![key(c::DESTINATION_CONFIG), key(member)]
}

// ---------------------------------------------------------------------------------------------
// Members

fn missing_member(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    targets(base)
        .into_iter()
        .filter(|t| t.required && !t.is_list_item())
        .map(|t| {
            let mut body = base.body_value();
            jt::remove(&mut body, &t.path);
            let what = format!("{} (required) removed", t.name());
            invalid(t.name(), what, HttpRequest::json(facts::ROTATE, &body))
        })
        .collect()
}

fn null_member(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    targets(base)
        .into_iter()
        .filter(|t| !t.is_list_item())
        .map(|t| {
            let req = with_value(base, &t.path, Value::Null);
            if t.required {
                invalid(t.name(), format!("{} (required) set to null", t.name()), req)
            } else {
                // Whether null means absent for an optional member is not stated for this service.
                let what = format!("{} (optional) set to null", t.name());
                open_ended(t.name(), what, req, Some(base.mode))
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonType {
    Number,
    Boolean,
    String,
    Array,
    Object,
}

impl JsonType {
    fn of_shape(shape: &Shape) -> Option<JsonType> {
        Some(match shape.kind {
            ShapeKind::String(_) => JsonType::String,
            ShapeKind::Integer { .. } | ShapeKind::Timestamp => JsonType::Number,
            ShapeKind::Boolean => JsonType::Boolean,
            ShapeKind::Structure { .. } => JsonType::Object,
            ShapeKind::List { .. } => JsonType::Array,
        })
    }

    fn name(self) -> &'static str {
        match self {
            JsonType::Number => "a JSON number",
            JsonType::Boolean => "a JSON boolean",
            JsonType::String => "a JSON string",
            JsonType::Array => "a JSON array",
            JsonType::Object => "a JSON object",
        }
    }
}

fn wrong_type(base: &BaseRequest, rng: &mut dyn RngCore, ty: JsonType) -> Vec<Mutant> {
    let body = base.body_value();
    targets(base)
        .into_iter()
        .filter(|t| JsonType::of_shape(t.shape) != Some(ty))
        .map(|t| {
            let current = jt::get(&body, &t.path).cloned().unwrap_or(Value::Null);
            let v = match ty {
                JsonType::Number => json!(rng.random_range(0..100_000)),
                JsonType::Boolean => json!(rng.random_bool(0.5)),
                JsonType::String => json!(SERVICE_NAMES[rng.random_range(0..SERVICE_NAMES.len())]),
                // The current value wrapped: a server that unwraps one-item arrays or objects
                // would otherwise accept it.
                JsonType::Array => json!([current]),
                JsonType::Object => json!({ "value": current }),
            };
            let what = format!("{} given {} instead of its model type", t.name(), ty.name());
            invalid(t.name(), what, with_value(base, &t.path, v))
        })
        .collect()
}

fn type_number(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    wrong_type(b, r, JsonType::Number)
}

fn type_boolean(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    wrong_type(b, r, JsonType::Boolean)
}

fn type_string(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    wrong_type(b, r, JsonType::String)
}

fn type_array(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    wrong_type(b, r, JsonType::Array)
}

fn type_object(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    wrong_type(b, r, JsonType::Object)
}

fn empty_string(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    string_targets(base)
        .into_iter()
        .filter(|t| forbidden(t.shape, ""))
        .map(|t| {
            let what = format!("{} set to the empty string", t.name());
            invalid(t.name(), what, with_value(base, &t.path, json!("")))
        })
        .collect()
}

fn pattern_char(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_targets(base).into_iter().filter(|t| !t.is_enum()) {
        let rule = StringRule::of(t.shape);
        let bad = rule.disallowed_ascii();
        if bad.is_empty() {
            continue;
        }
        let ch = bad[rng.random_range(0..bad.len())];
        let value = insert_random(rng, &current_str(base, &t.path), &ch.to_string());
        if forbidden(t.shape, &value) {
            let what = format!("{} with {ch:?} inserted (outside its pattern)", t.name());
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn length_over_max(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_targets(base).into_iter().filter(|t| !t.is_enum()) {
        let rule = StringRule::of(t.shape);
        let extra = rng.random_range(1..=8);
        // The tunnel's own id padded: at least one character more than the maximum.
        let value = if t.is_tunnel_id() {
            format!(
                "{TUNNEL_ID_PLACEHOLDER}{}",
                rule.random_alnum(rng, rule.max + extra - 1)
            )
        } else {
            rule.random(rng, rule.max + extra)
        };
        if forbidden(t.shape, &value) {
            let what = format!("{} longer than its maximum of {}", t.name(), rule.max);
            out.push(invalid(t.name(), what, with_value(base, &t.path, json!(value))));
        }
    }
    out
}

fn enum_variant(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    let values = c::enum_values();
    for t in string_targets(base).into_iter().filter(Target::is_enum) {
        let v = current_str(base, &t.path);
        let others: Vec<&String> = values.iter().filter(|o| **o != v).collect();
        let other = others
            .get(rng.random_range(0..others.len().max(1)))
            .map_or("", |o| o.as_str());
        let variants = [
            ("lower", v.to_ascii_lowercase()),
            ("padded", format!(" {v} ")),
            ("tab-padded", format!("{v}\t")),
            ("joined", format!("{v},{other}")),
            (
                "unknown",
                format!("ROTCHECK_{}", c::random_suffix(rng, 4).to_ascii_uppercase()),
            ),
        ];
        for (name, value) in variants {
            if forbidden(t.shape, &value) {
                let what = format!("{} set to {value:?} (not an enum value)", t.name());
                out.push(invalid(
                    format!("{}-{name}", t.name()),
                    what,
                    with_value(base, &t.path, json!(value)),
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The services list

fn services(base: &BaseRequest) -> Option<Vec<Value>> {
    jt::get(&base.body_value(), &config_path(c::SERVICES))?
        .as_array()
        .cloned()
}

fn services_empty(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    if services(base).is_none() || c::services_min() == 0 {
        return Vec::new();
    }
    let what = format!("destinationConfig.services empty (minimum {})", c::services_min());
    vec![invalid(
        "destinationConfig.services",
        what,
        with_value(base, &config_path(c::SERVICES), json!([])),
    )]
}

fn services_null_item(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let Some(mut list) = services(base) else {
        return Vec::new();
    };
    let at = rng.random_range(0..=list.len());
    list.insert(at, Value::Null);
    vec![invalid(
        "destinationConfig.services",
        "destinationConfig.services with a null item".into(),
        with_value(base, &config_path(c::SERVICES), Value::Array(list)),
    )]
}

fn services_too_many(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    if services(base).is_none() {
        return Vec::new();
    }
    let rule = StringRule::service();
    [GUIDE_MAX_SERVICES + 1, 100]
        .into_iter()
        .map(|n| {
            let list: Vec<String> = (0..n)
                .map(|i| format!("svc{i}-{}", rule.random_alnum(rng, 4)))
                .collect();
            open_ended(
                format!("count-{n}"),
                format!("{n} services (the developer guide allows up to {GUIDE_MAX_SERVICES})"),
                with_value(base, &config_path(c::SERVICES), json!(list)),
                Some(base.mode),
            )
        })
        .collect()
}

fn services_duplicate_items(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let Some(list) = services(base) else {
        return Vec::new();
    };
    let Some(first) = list.first().cloned() else {
        return Vec::new();
    };
    let mut twice = list.clone();
    twice.push(first);
    // The model has no uniqueness constraint; whether a server accepts repeats is not stated.
    vec![open_ended(
        "destinationConfig.services",
        "destinationConfig.services with a repeated name".into(),
        with_value(base, &config_path(c::SERVICES), Value::Array(twice)),
        Some(base.mode),
    )]
}

// ---------------------------------------------------------------------------------------------
// Unknown, renamed and repeated members

/// The objects of the base body: the root and the destinationConfig when present.
fn object_paths(base: &BaseRequest) -> Vec<(String, Vec<Seg>)> {
    let mut out = vec![("root".to_owned(), Vec::new())];
    if base.has_destination_config() {
        out.push((c::DESTINATION_CONFIG.to_owned(), vec![key(c::DESTINATION_CONFIG)]));
    }
    out
}

fn unknown_name(rng: &mut dyn RngCore) -> String {
    format!("rotcheckUnknown{}", c::random_suffix(rng, 6))
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
    targets(base)
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
    for t in targets(base).into_iter().filter(|t| !t.is_list_item()) {
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

// ---------------------------------------------------------------------------------------------
// Size and depth

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
    for t in string_targets(base) {
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

// ---------------------------------------------------------------------------------------------
// Unicode

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
    for t in string_targets(base) {
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

fn unicode_zero_width(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &ZERO_WIDTH)
}

fn unicode_bidi(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &BIDI)
}

fn unicode_combining(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &COMBINING)
}

fn unicode_homoglyph(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &HOMOGLYPH)
}

fn unicode_astral(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &ASTRAL)
}

fn unicode_nul(b: &BaseRequest, r: &mut dyn RngCore) -> Vec<Mutant> {
    unicode(b, r, &NUL)
}

fn unicode_fullwidth(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let mut out = Vec::new();
    for t in string_targets(base) {
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
    string_targets(base)
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
    string_targets(base)
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

// ---------------------------------------------------------------------------------------------
// Malformed JSON

fn text(base: &BaseRequest) -> String {
    base.body_value().to_string()
}

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

// ---------------------------------------------------------------------------------------------
// Same meaning, other text

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
    for t in string_targets(base).into_iter().filter(|t| !t.is_tunnel_id()) {
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

// ---------------------------------------------------------------------------------------------
// HTTP

fn content_type_wrong(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    [
        ("application-json", "application/json"),
        ("amz-json-1.0", "application/x-amz-json-1.0"),
        ("text-plain", "text/plain"),
        ("form-urlencoded", "application/x-www-form-urlencoded"),
        ("with-charset", "application/x-amz-json-1.1; charset=utf-8"),
    ]
    .into_iter()
    .map(|(name, ct)| {
        let mut req = base.request();
        req.set_header("Content-Type", ct);
        open_ended(name, format!("Content-Type {ct}"), req, Some(base.mode))
    })
    .collect()
}

fn content_type_missing(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut req = base.request();
    req.remove_header("Content-Type");
    vec![open_ended(
        "header",
        "no Content-Type header".into(),
        req,
        Some(base.mode),
    )]
}

fn with_target(base: &BaseRequest, target: Option<&str>) -> HttpRequest {
    let mut req = base.request();
    match target {
        Some(t) => req.set_header("X-Amz-Target", t),
        None => req.remove_header("X-Amz-Target"),
    }
    req
}

fn target_missing(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    vec![invalid(
        "header",
        "no X-Amz-Target header".into(),
        with_target(base, None),
    )]
}

fn target_unknown_operation(base: &BaseRequest, rng: &mut dyn RngCore) -> Vec<Mutant> {
    let unknown = format!("RotcheckNoSuchOperation{}", c::random_suffix(rng, 4));
    [
        ("suffixed", format!("{}X", facts::ROTATE)),
        ("unknown", unknown),
        ("plural", format!("{}s", facts::ROTATE)),
    ]
    .into_iter()
    .filter(|(_, op)| model().operation(op).is_none())
    .map(|(name, op)| {
        let t = facts::target(&op);
        invalid(
            name,
            format!("X-Amz-Target {t} (no such operation)"),
            with_target(base, Some(&t)),
        )
    })
    .collect()
}

fn target_other_service(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    ["DynamoDB_20120810", "Logs_20140328", "AWSIoTSecureTunneling"]
        .into_iter()
        .filter(|p| *p != facts::TARGET_PREFIX)
        .map(|prefix| {
            let t = format!("{prefix}.{}", facts::ROTATE);
            invalid(
                prefix,
                format!("X-Amz-Target {t} (another service)"),
                with_target(base, Some(&t)),
            )
        })
        .collect()
}

fn target_malformed(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    [
        ("no-prefix", facts::ROTATE.to_owned()),
        ("no-operation", format!("{}.", facts::TARGET_PREFIX)),
        ("prefix-only", facts::TARGET_PREFIX.to_owned()),
        ("empty", String::new()),
    ]
    .into_iter()
    .map(|(name, t)| invalid(name, format!("X-Amz-Target {t:?}"), with_target(base, Some(&t))))
    .collect()
}

fn method_other(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    ["GET", "PUT", "DELETE", "PATCH"]
        .into_iter()
        .map(|m| {
            let mut req = base.request();
            req.method = m.to_owned();
            open_ended(m, format!("method {m} instead of POST"), req, None)
        })
        .collect()
}

fn source_with_destination_config(base: &BaseRequest, _: &mut dyn RngCore) -> Vec<Mutant> {
    let mut body = base.body_value();
    jt::set(&mut body, &[key(c::CLIENT_MODE)], json!(ClientMode::Source.as_str()));
    let target = if base.has_destination_config() {
        c::CLIENT_MODE
    } else {
        jt::set(&mut body, &[key(c::DESTINATION_CONFIG)], destination_config(1, None));
        c::DESTINATION_CONFIG
    };
    vec![Mutant {
        target: target.to_owned(),
        description: "clientMode SOURCE with a destinationConfig on an OPEN tunnel: a 4xx, nothing rotated".into(),
        request: HttpRequest::json(facts::ROTATE, &body),
        expect: Expectation::SourceWithDestinationConfig,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::valid;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::BTreeSet;

    fn full() -> BaseRequest {
        valid::full_base(&mut StdRng::seed_from_u64(1))
    }

    fn run(name: &str) -> Vec<Case> {
        let op = find(name).unwrap_or_else(|| panic!("no operator {name}"));
        apply(op, &full(), &mut StdRng::seed_from_u64(5))
    }

    fn targets_of(cases: &[Case]) -> BTreeSet<String> {
        cases
            .iter()
            .map(|c| c.id.rsplit_once('/').unwrap().1.to_owned())
            .collect()
    }

    #[test]
    fn catalog_is_large_named_and_unique() {
        assert!(catalog().len() >= 25, "{}", catalog().len());
        let names: BTreeSet<_> = catalog().iter().map(|o| o.name).collect();
        assert_eq!(names.len(), catalog().len());
        for op in catalog() {
            assert!(op
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            assert!(!op.description.is_empty() && !op.description.contains('\n'));
        }
    }

    #[test]
    fn every_operator_applies_to_the_full_base() {
        for op in catalog() {
            let cases = apply(op, &full(), &mut StdRng::seed_from_u64(9));
            assert!(!cases.is_empty(), "{} made nothing", op.name);
            for c in &cases {
                assert_eq!(c.operator.as_deref(), Some(op.name));
                assert!(c.id.starts_with(&format!("mutate/{}/", op.name)));
            }
        }
    }

    #[test]
    fn operators_are_deterministic_for_an_rng_state() {
        for op in catalog() {
            let a = apply(op, &full(), &mut StdRng::seed_from_u64(42));
            let b = apply(op, &full(), &mut StdRng::seed_from_u64(42));
            assert_eq!(a, b, "{}", op.name);
        }
    }

    #[test]
    fn required_members_missing_and_null_are_invalid_optional_null_is_open() {
        let missing = run("missing-member");
        assert_eq!(
            targets_of(&missing),
            ["clientMode", "destinationConfig.services", "tunnelId"]
                .map(String::from)
                .into()
        );
        assert!(missing.iter().all(|c| c.expect == Expectation::Invalid));
        for c in run("null-member") {
            let optional = c.id.ends_with("destinationConfig") || c.id.ends_with("thingName");
            let expected = if optional {
                Expectation::AnyNon5xx {
                    mode: Some(ClientMode::All),
                }
            } else {
                Expectation::Invalid
            };
            assert_eq!(c.expect, expected, "{}", c.id);
        }
    }

    #[test]
    fn wrong_types_cover_every_member_and_skip_the_right_type() {
        let strings = targets_of(&run("type-string"));
        assert_eq!(
            strings,
            ["destinationConfig", "destinationConfig.services"]
                .map(String::from)
                .into()
        );
        let numbers = targets_of(&run("type-number"));
        assert_eq!(numbers.len(), 6, "{numbers:?}");
        let objects = targets_of(&run("type-object"));
        assert!(!objects.contains("destinationConfig") && objects.contains("clientMode"));
        for name in [
            "type-number",
            "type-boolean",
            "type-string",
            "type-array",
            "type-object",
        ] {
            assert!(run(name).iter().all(|c| c.expect == Expectation::Invalid));
        }
    }

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

    #[test]
    fn operators_skip_members_the_base_lacks() {
        let source = BaseRequest::new("source", ClientMode::Source, None, None);
        let mut rng = StdRng::seed_from_u64(2);
        for name in [
            "services-empty",
            "services-null-item",
            "services-too-many",
            "services-duplicate-items",
        ] {
            assert!(apply(find(name).unwrap(), &source, &mut rng).is_empty(), "{name}");
        }
        let sw = apply(find("source-with-destination-config").unwrap(), &source, &mut rng);
        assert_eq!(sw.len(), 1);
        let body = sw[0].request.body_json().unwrap();
        assert_eq!(body["clientMode"], "SOURCE");
        assert!(body["destinationConfig"]["services"].is_array());
        assert_eq!(sw[0].expect, Expectation::SourceWithDestinationConfig);
    }

    #[test]
    fn method_and_header_mutations() {
        for c in run("method-other") {
            assert_ne!(c.request.method, "POST");
            assert_eq!(c.expect, Expectation::AnyNon5xx { mode: None });
        }
        assert!(run("content-type-missing")[0].request.header("content-type").is_none());
        assert!(run("target-missing")[0].request.header("x-amz-target").is_none());
        for c in run("target-other-service")
            .into_iter()
            .chain(run("target-unknown-operation"))
        {
            assert_eq!(
                c.request.operation().filter(|o| model().operation(o).is_some()),
                None,
                "{}",
                c.id
            );
            assert_eq!(c.expect, Expectation::Invalid);
        }
    }
}
