//! The request's constraints as the generators use them, read from the service model so that a
//! case cannot drift from the spec: string lengths and alphabets, the enum, the list minimum.
//!
//! The model is embedded and its shape is asserted by tests; a lookup that fails here is a broken
//! build, not bad input, hence the `expect`s.

use rand::{Rng, RngCore};

use crate::spec::facts::{self, ClientMode};
use crate::spec::{model, PatternMatcher, Shape, ShapeKind};

/// Member names of the request (checked against the model by this module's tests).
pub const TUNNEL_ID: &str = "tunnelId";
pub const CLIENT_MODE: &str = "clientMode";
pub const DESTINATION_CONFIG: &str = "destinationConfig";
pub const SERVICES: &str = "services";
pub const THING_NAME: &str = "thingName";

/// The developer guide's "up to 3 services per tunnel": not in the model, so more than this is
/// left open by PROTOCOL.md (accepted or refused with a 4xx).
pub const GUIDE_MAX_SERVICES: usize = 3;

/// Prefix of every unknown tunnel id the generators make, so that they never collide with ids a
/// server hands out (mixed with seed-derived random characters).
pub const UNKNOWN_ID_PREFIX: &str = "rotcheck";

/// The input shape of RotateTunnelAccessToken.
pub fn request_shape() -> &'static str {
    model()
        .operation(facts::ROTATE)
        .and_then(|op| op.input.as_deref())
        .expect("embedded model has RotateTunnelAccessToken input (tested)")
}

/// The shape of `structure.member`.
pub fn member_shape(structure: &str, member: &str) -> &'static Shape {
    model()
        .member_shape(structure, member)
        .unwrap_or_else(|| panic!("embedded model has {structure}.{member} (tested)"))
}

/// The shape of `destinationConfig`.
pub fn destination_config_shape() -> &'static Shape {
    member_shape(request_shape(), DESTINATION_CONFIG)
}

/// The list shape of `destinationConfig.services`.
pub fn service_list_shape() -> &'static Shape {
    member_shape(&destination_config_shape().name, SERVICES)
}

/// The element shape of a list shape.
pub fn list_member(list: &Shape) -> &'static Shape {
    match &list.kind {
        ShapeKind::List { member, .. } => model()
            .shape(member)
            .unwrap_or_else(|| panic!("embedded model has {member} (tested)")),
        _ => panic!("{} is a list in the embedded model (tested)", list.name),
    }
}

/// Minimum number of services (`ServiceList.min`).
pub fn services_min() -> usize {
    match &service_list_shape().kind {
        ShapeKind::List { min, .. } => min.unwrap_or(0) as usize,
        _ => 0,
    }
}

/// The client modes, in the model's order.
pub fn client_modes() -> Vec<ClientMode> {
    enum_values()
        .iter()
        .map(|v| ClientMode::parse(v).unwrap_or_else(|| panic!("model enum value {v} is a ClientMode (tested)")))
        .collect()
}

/// The `ClientMode` enum values as the model lists them.
pub fn enum_values() -> Vec<String> {
    member_shape(request_shape(), CLIENT_MODE)
        .string_constraints()
        .and_then(|c| c.enum_values.clone())
        .expect("ClientMode is an enum in the embedded model (tested)")
}

/// What a string member accepts: code-point length bounds and its pattern.
#[derive(Debug, Clone)]
pub struct StringRule {
    /// The shape's name, e.g. `TunnelId`.
    pub shape: String,
    pub min: usize,
    pub max: usize,
    /// Printable ASCII characters the pattern accepts, in code-point order.
    pub alphabet: Vec<char>,
    matcher: Option<&'static PatternMatcher>,
}

impl StringRule {
    /// The rule for a string shape. Bounds come from `min`/`max`, or from a pattern that ends in
    /// `{m,n}` (TunnelId states its length only there).
    pub fn of(shape: &'static Shape) -> StringRule {
        let c = shape
            .string_constraints()
            .unwrap_or_else(|| panic!("{} is a string shape (tested)", shape.name));
        let counted = c.pattern.as_deref().and_then(counted_bounds);
        let min = c.min.map(|m| m as usize).or(counted.map(|b| b.0)).unwrap_or(0);
        let max = c
            .max
            .map(|m| m as usize)
            .or(counted.map(|b| b.1))
            .unwrap_or_else(|| panic!("{} has a maximum length (tested)", shape.name));
        let matcher = shape.pattern_matcher();
        let probe_len = min.max(1);
        let alphabet = (0x20u8..0x7f)
            .map(char::from)
            .filter(|ch| matcher.is_none_or(|m| m.is_match(&ch.to_string().repeat(probe_len))))
            .collect();
        StringRule {
            shape: shape.name.clone(),
            min,
            max,
            alphabet,
            matcher,
        }
    }

    pub fn tunnel_id() -> StringRule {
        StringRule::of(member_shape(request_shape(), TUNNEL_ID))
    }

    pub fn service() -> StringRule {
        StringRule::of(list_member(service_list_shape()))
    }

    pub fn thing_name() -> StringRule {
        StringRule::of(member_shape(&destination_config_shape().name, THING_NAME))
    }

    /// Whether the model accepts `s` (length in code points, whole-string pattern).
    pub fn allows(&self, s: &str) -> bool {
        let n = s.chars().count();
        n >= self.min && n <= self.max && self.matcher.is_none_or(|m| m.is_match(s))
    }

    pub fn allows_char(&self, c: char) -> bool {
        self.alphabet.contains(&c)
    }

    /// The allowed characters that are neither ASCII letters nor digits (`_-+=:` for TunnelId).
    pub fn specials(&self) -> Vec<char> {
        self.alphabet
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_alphanumeric())
            .collect()
    }

    /// Printable ASCII characters the pattern rejects.
    pub fn disallowed_ascii(&self) -> Vec<char> {
        (0x20u8..0x7f)
            .map(char::from)
            .filter(|c| !self.allows_char(*c))
            .collect()
    }

    /// Random letters and digits (always in the alphabet of the model's patterns).
    pub fn random_alnum(&self, rng: &mut dyn RngCore, len: usize) -> String {
        let alnum: Vec<char> = self
            .alphabet
            .iter()
            .copied()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        pick_string(rng, &alnum, len)
    }

    /// Random characters from the whole allowed alphabet.
    pub fn random(&self, rng: &mut dyn RngCore, len: usize) -> String {
        pick_string(rng, &self.alphabet, len)
    }
}

fn pick_string(rng: &mut dyn RngCore, alphabet: &[char], len: usize) -> String {
    if alphabet.is_empty() {
        return String::new();
    }
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())])
        .collect()
}

/// `(m, n)` of a pattern that ends in `{m,n}`.
fn counted_bounds(pattern: &str) -> Option<(usize, usize)> {
    let p = pattern.strip_suffix('$').unwrap_or(pattern);
    let inner = p.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    let (m, n) = inner[open + 1..].split_once(',')?;
    Some((m.trim().parse().ok()?, n.trim().parse().ok()?))
}

/// A well-formed tunnel id no server hands out: `rotcheck<sep>unknown<sep>` and random letters and
/// digits, cut or padded to `len` code points. `sep` must be one of the id's special characters.
pub fn unknown_tunnel_id(rng: &mut dyn RngCore, len: usize, sep: char) -> String {
    let rule = StringRule::tunnel_id();
    let mut id = format!("{UNKNOWN_ID_PREFIX}{sep}unknown{sep}");
    if id.chars().count() >= len {
        // Short ids cannot carry the prefix: keep the separator and random characters.
        let mut short: String = sep.to_string();
        short.push_str(&rule.random_alnum(rng, len.saturating_sub(1)));
        return short.chars().take(len).collect();
    }
    let fill = len - id.chars().count();
    id.push_str(&rule.random_alnum(rng, fill));
    id
}

/// A short random alphanumeric token for names (thing names, unknown member names).
pub fn random_suffix(rng: &mut dyn RngCore, len: usize) -> String {
    StringRule::tunnel_id().random_alnum(rng, len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn member_names_exist_in_the_model() {
        let req = request_shape();
        assert_eq!(req, "RotateTunnelAccessTokenRequest");
        for m in [TUNNEL_ID, CLIENT_MODE, DESTINATION_CONFIG] {
            assert!(model().member_shape(req, m).is_some(), "{m}");
        }
        let dc = &destination_config_shape().name;
        for m in [SERVICES, THING_NAME] {
            assert!(model().member_shape(dc, m).is_some(), "{m}");
        }
        assert_eq!(services_min(), 1);
    }

    #[test]
    fn tunnel_id_rule_reads_pattern_bounds_and_specials() {
        let r = StringRule::tunnel_id();
        assert_eq!((r.min, r.max), (1, 128));
        assert_eq!(r.specials(), vec!['+', '-', ':', '=', '_']);
        assert!(r.disallowed_ascii().contains(&' ') && r.disallowed_ascii().contains(&'/'));
        assert!(!r.disallowed_ascii().contains(&'a'));
    }

    #[test]
    fn service_and_thing_rules_come_from_min_max() {
        for r in [StringRule::service(), StringRule::thing_name()] {
            assert_eq!((r.min, r.max), (1, 128), "{}", r.shape);
            assert_eq!(r.specials(), vec!['-', ':', '_']);
        }
    }

    #[test]
    fn client_modes_follow_the_model_enum() {
        assert_eq!(client_modes(), ClientMode::ALL_MODES.to_vec());
    }

    #[test]
    fn unknown_ids_are_well_formed_at_every_length() {
        let r = StringRule::tunnel_id();
        let mut rng = StdRng::seed_from_u64(7);
        for len in [1, 2, 5, 17, 64, 128] {
            for sep in r.specials() {
                let id = unknown_tunnel_id(&mut rng, len, sep);
                assert_eq!(id.chars().count(), len);
                assert!(r.allows(&id), "{id}");
                assert!(id.contains(sep), "{id} contains {sep}");
            }
        }
    }

    #[test]
    fn counted_bounds_parses_trailing_quantifier() {
        assert_eq!(counted_bounds("[a-z]{1,128}"), Some((1, 128)));
        assert_eq!(counted_bounds("^[a-z]{2,3}$"), Some((2, 3)));
        assert_eq!(counted_bounds("[a-z]+"), None);
    }
}
