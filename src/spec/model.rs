//! The service model (`fixtures/spec/iotsecuretunneling-2018-10-05.service-2.json`), parsed into
//! typed shapes. The file is embedded at compile time so the binary needs no files at run time.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

/// The model file, byte for byte as copied from ../shared/spec.
pub const MODEL_SOURCE: &str = include_str!("../../fixtures/spec/iotsecuretunneling-2018-10-05.service-2.json");

#[derive(Debug, Clone)]
pub struct Model {
    pub api_version: String,
    pub target_prefix: String,
    pub signing_name: String,
    pub operations: BTreeMap<String, Operation>,
    pub shapes: BTreeMap<String, Shape>,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub name: String,
    pub input: Option<String>,
    pub output: Option<String>,
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Shape {
    pub name: String,
    pub kind: ShapeKind,
    pub documentation: Option<String>,
}

#[derive(Debug, Clone)]
pub enum ShapeKind {
    String(StringConstraints),
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    Boolean,
    Timestamp,
    Structure {
        members: Vec<Member>,
        required: Vec<String>,
        exception: bool,
    },
    List {
        member: String,
        min: Option<u64>,
        max: Option<u64>,
    },
}

#[derive(Debug, Clone, Default)]
pub struct StringConstraints {
    /// Minimum length in Unicode code points.
    pub min: Option<u64>,
    /// Maximum length in Unicode code points.
    pub max: Option<u64>,
    /// The model's pattern, as written there. Matching is whole-string: see [`Shape::pattern_matcher`].
    pub pattern: Option<String>,
    pub enum_values: Option<Vec<String>>,
    pub sensitive: bool,
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub shape: String,
}

#[derive(Debug, thiserror::Error)]
#[error("service model: {0}")]
pub struct ModelError(String);

/// The embedded model. Parsed once; its validity is asserted by this module's tests, so a broken
/// embed cannot ship.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::parse(MODEL_SOURCE).expect("embedded service model is valid (tested)"))
}

impl Model {
    pub fn parse(source: &str) -> Result<Model, ModelError> {
        let root: Value = serde_json::from_str(source).map_err(|e| ModelError(e.to_string()))?;
        let meta = &root["metadata"];
        let mut operations = BTreeMap::new();
        for (name, op) in root["operations"]
            .as_object()
            .ok_or_else(|| ModelError("no operations".into()))?
        {
            operations.insert(name.clone(), parse_operation(name, op));
        }
        let mut shapes = BTreeMap::new();
        for (name, s) in root["shapes"]
            .as_object()
            .ok_or_else(|| ModelError("no shapes".into()))?
        {
            let shape = Shape {
                name: name.clone(),
                kind: parse_kind(name, s)?,
                documentation: s["documentation"].as_str().map(str::to_owned),
            };
            shapes.insert(name.clone(), shape);
        }
        let model = Model {
            api_version: text(&meta["apiVersion"], "metadata.apiVersion")?,
            target_prefix: text(&meta["targetPrefix"], "metadata.targetPrefix")?,
            signing_name: text(&meta["signingName"], "metadata.signingName")?,
            operations,
            shapes,
        };
        model.check_references()?;
        Ok(model)
    }

    fn check_references(&self) -> Result<(), ModelError> {
        let known = |s: &str| -> Result<(), ModelError> {
            if self.shapes.contains_key(s) {
                Ok(())
            } else {
                Err(ModelError(format!("unknown shape {s}")))
            }
        };
        for op in self.operations.values() {
            for s in op.input.iter().chain(op.output.iter()).chain(op.errors.iter()) {
                known(s)?;
            }
        }
        for shape in self.shapes.values() {
            match &shape.kind {
                ShapeKind::Structure { members, .. } => {
                    for m in members {
                        known(&m.shape)?;
                    }
                }
                ShapeKind::List { member, .. } => known(member)?,
                ShapeKind::String(c) if c.pattern.is_some() => {
                    shape
                        .pattern_matcher()
                        .ok_or_else(|| ModelError(format!("bad pattern in {}", shape.name)))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shapes.get(name)
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The shape a structure's member refers to.
    pub fn member_shape(&self, structure: &str, member: &str) -> Option<&Shape> {
        match &self.shape(structure)?.kind {
            ShapeKind::Structure { members, .. } => members
                .iter()
                .find(|m| m.name == member)
                .and_then(|m| self.shape(&m.shape)),
            _ => None,
        }
    }

    /// All exception shapes (their names are the error types clients know).
    pub fn exceptions(&self) -> impl Iterator<Item = &Shape> {
        self.shapes
            .values()
            .filter(|s| matches!(s.kind, ShapeKind::Structure { exception: true, .. }))
    }
}

/// A string the model must have, or which one it lacks.
fn text(v: &Value, what: &str) -> Result<String, ModelError> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| ModelError(format!("missing {what}")))
}

/// The strings of a JSON array (none when it is not one).
fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
}

fn parse_operation(name: &str, op: &Value) -> Operation {
    let shape_ref = |key: &str| op[key]["shape"].as_str().map(str::to_owned);
    let errors = op["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["shape"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Operation {
        name: name.to_owned(),
        input: shape_ref("input"),
        output: shape_ref("output"),
        errors,
    }
}

/// What the shape `name` (`s` in the model) is, with its constraints.
fn parse_kind(name: &str, s: &Value) -> Result<ShapeKind, ModelError> {
    Ok(match s["type"].as_str() {
        Some("string") => ShapeKind::String(StringConstraints {
            min: s["min"].as_u64(),
            max: s["max"].as_u64(),
            pattern: s["pattern"].as_str().map(str::to_owned),
            enum_values: strings(&s["enum"]),
            sensitive: s["sensitive"].as_bool().unwrap_or(false),
        }),
        Some("integer") => ShapeKind::Integer {
            min: s["min"].as_i64(),
            max: s["max"].as_i64(),
        },
        Some("boolean") => ShapeKind::Boolean,
        Some("timestamp") => ShapeKind::Timestamp,
        Some("structure") => ShapeKind::Structure {
            members: s["members"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| Member {
                            name: k.clone(),
                            shape: v["shape"].as_str().unwrap_or_default().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            required: strings(&s["required"]).unwrap_or_default(),
            exception: s["exception"].as_bool().unwrap_or(false),
        },
        Some("list") => ShapeKind::List {
            member: text(&s["member"]["shape"], &format!("{name}.member"))?,
            min: s["min"].as_u64(),
            max: s["max"].as_u64(),
        },
        other => return Err(ModelError(format!("shape {name}: unsupported type {other:?}"))),
    })
}

impl Shape {
    pub fn string_constraints(&self) -> Option<&StringConstraints> {
        match &self.kind {
            ShapeKind::String(c) => Some(c),
            _ => None,
        }
    }

    /// The pattern as a whole-string matcher. AWS validates a value against the whole pattern
    /// (`[a-zA-Z0-9_\-+=:]{1,128}` rejects `a/b`), so the model's unanchored patterns are anchored.
    pub fn pattern_matcher(&self) -> Option<&'static PatternMatcher> {
        static CACHE: OnceLock<std::sync::Mutex<BTreeMap<String, &'static PatternMatcher>>> = OnceLock::new();
        let pattern = self.string_constraints()?.pattern.as_deref()?;
        let mut cache = CACHE
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(m) = cache.get(pattern) {
            return Some(m);
        }
        let m: &'static PatternMatcher = Box::leak(Box::new(PatternMatcher::new(pattern)?));
        cache.insert(pattern.to_owned(), m);
        Some(m)
    }
}

/// A model pattern compiled for whole-string matching.
#[derive(Debug)]
pub struct PatternMatcher {
    re: Regex,
    /// Code-point bounds split off a trailing `{m,n}` on a single character class: compiling
    /// `[^\p{C}]{1,2048}` as written builds an automaton thousands of states wide, while
    /// "every character in the class, and m..=n of them" is the same language.
    len: Option<(usize, usize)>,
}

impl PatternMatcher {
    pub fn new(pattern: &str) -> Option<PatternMatcher> {
        static COUNTED_CLASS: OnceLock<Regex> = OnceLock::new();
        let counted = COUNTED_CLASS
            .get_or_init(|| Regex::new(r"^\^?(\[(?:\\.|[^\]\\])*\])\{(\d+),(\d+)\}\$?$").expect("static regex"));
        if let Some(c) = counted.captures(pattern) {
            let (min, max) = (c[2].parse().ok()?, c[3].parse().ok()?);
            let re = Regex::new(&format!("^(?:{})*$", &c[1])).ok()?;
            return Some(PatternMatcher {
                re,
                len: Some((min, max)),
            });
        }
        Some(PatternMatcher {
            re: Regex::new(&anchored(pattern)).ok()?,
            len: None,
        })
    }

    pub fn is_match(&self, s: &str) -> bool {
        if let Some((min, max)) = self.len {
            let n = s.chars().count();
            if n < min || n > max {
                return false;
            }
        }
        self.re.is_match(s)
    }
}

/// `^(?:pattern)$`, the whole-string form of a model pattern (also used in the JSON Schemas,
/// whose `pattern` keyword is unanchored).
pub fn anchored(pattern: &str) -> String {
    let inner = pattern.strip_prefix('^').unwrap_or(pattern);
    let inner = inner.strip_suffix('$').unwrap_or(inner);
    format!("^(?:{inner})$")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_model_parses_with_all_eight_operations() {
        let m = model();
        assert_eq!(m.operations.len(), 8);
        assert_eq!(m.signing_name, "IoTSecuredTunneling");
        assert_eq!(m.target_prefix, super::super::facts::TARGET_PREFIX);
        assert!(m.operation("RotateTunnelAccessToken").is_some());
    }

    #[test]
    fn tunnel_id_pattern_is_whole_string() {
        let s = model().shape("TunnelId").unwrap();
        let re = s.pattern_matcher().unwrap();
        assert!(re.is_match("abc_-+=:09"));
        assert!(!re.is_match("a/b"));
        assert!(!re.is_match(""));
        assert!(re.is_match(&"a".repeat(128)));
        assert!(!re.is_match(&"a".repeat(129)));
    }

    #[test]
    fn counted_class_split_matches_like_the_pattern() {
        let m = PatternMatcher::new("[a-z]{2,3}").unwrap();
        assert!(m.len.is_some());
        assert!(!m.is_match("a") && m.is_match("ab") && m.is_match("abc") && !m.is_match("abcd"));
        assert!(!m.is_match("aB"));
        let plain = PatternMatcher::new("^([\\p{L}]*)$").unwrap();
        assert!(plain.len.is_none() && plain.is_match("") && plain.is_match("é"));
    }

    #[test]
    fn description_pattern_rejects_control_characters() {
        let re = model().shape("Description").unwrap().pattern_matcher().unwrap();
        assert!(re.is_match("héllo wörld"));
        assert!(!re.is_match("a\u{0007}b"));
        assert!(!re.is_match("a\u{200b}b"), "zero-width space is category Cf");
    }
}
