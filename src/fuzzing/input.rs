//! Fuzz inputs, shared by the cargo-fuzz targets (decoded with `arbitrary` from libFuzzer's bytes)
//! and by the regression tests (which decode committed crash files the same way).
//!
//! The byte layouts are plain so that seeds can be written by [`super::seeds`]: `arbitrary`
//! reads integers as fixed-width little-endian, enum variants as a little-endian `u32` selector
//! (`selector * variants >> 32`), and a trailing `Vec` from all remaining bytes.

use std::cell::RefCell;
use std::collections::HashMap;

use arbitrary::{Arbitrary, Unstructured};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

use crate::cases::constraints as c;
use crate::cases::json_text::{self as jt, key, Seg};
use crate::cases::valid::{destination_config, BaseRequest, SERVICE_NAMES};
use crate::cases::{mutate, Case, TunnelState, TUNNEL_ID_PLACEHOLDER};
use crate::spec::facts::{self, ClientMode};
use crate::spec::Op;
use crate::wire::HttpRequest;

/// Strings the fuzzer builds by repetition stay below this many characters (the server's body cap
/// is 1 MiB; the point is long values, not exhausting memory).
const MAX_REPEAT: usize = 4096;
/// At most this many mutations are applied (the rest of a long input is ignored).
const MAX_MUTATIONS: usize = 16;
/// Bodies larger than this are not parsed for JSON edits: the fuzz server refuses them unread
/// (`oracles::FUZZ_MAX_BODY_BYTES`), so editing them would only cost a parse and a serialization
/// of up to ~300 KB per mutation.
pub const MAX_JSON_EDIT_BYTES: usize = 64 * 1024;
/// A catalog operator's random choices come from one of this many seeds per (skeleton, operator):
/// its mutants are generated once per thread and reused (generating them, huge strings and
/// random text included, costs far more than the rest of an input).
const OPERATOR_SEEDS: u64 = 16;
/// The operator mutants kept per thread, in body bytes; past it the cache starts over.
const OPERATOR_CACHE_BYTES: usize = 128 << 20;

/// The structured request target's input: a starting request and mutations on top of it.
#[derive(Debug, Clone, Arbitrary)]
pub struct RequestInput {
    pub start: Start,
    pub mutations: Vec<Mutation>,
}

/// Where a request starts.
#[derive(Debug, Clone, Arbitrary)]
pub enum Start {
    /// The request of one of the catalog's cases (seed 1, fixtures included), index modulo their
    /// number. Seeds use this variant (selector 0).
    Case(u16),
    /// A valid request built from parts.
    Skeleton(Skeleton),
}

/// A valid RotateTunnelAccessToken request on a tunnel.
#[derive(Debug, Clone, Arbitrary)]
pub struct Skeleton {
    pub mode: ModeChoice,
    /// 0: no destinationConfig; 1..=3 services otherwise (modulo 4).
    pub services: u8,
    pub thing_name: bool,
    pub tunnel: TunnelChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum ModeChoice {
    Source,
    Destination,
    All,
}

impl ModeChoice {
    pub fn client_mode(self) -> ClientMode {
        match self {
            ModeChoice::Source => ClientMode::Source,
            ModeChoice::Destination => ClientMode::Destination,
            ModeChoice::All => ClientMode::All,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Arbitrary)]
pub enum TunnelChoice {
    Open,
    /// OPEN, opened with the request's destinationConfig.
    OpenWithConfig,
    Closed,
    /// A well-formed id no tunnel has.
    Unknown,
}

/// One change to the request.
#[derive(Debug, Clone, Arbitrary)]
pub enum Mutation {
    /// Set a member (creating it) to a value.
    Set {
        at: Path,
        value: Json,
    },
    Remove {
        at: Path,
    },
    /// Apply a catalog operator to the skeleton (replaces the request; skeleton starts only).
    Operator {
        index: u8,
        pick: u16,
        seed: u64,
    },
    Target(TargetChoice),
    ContentType(Option<String>),
    Method(MethodChoice),
    /// Set a header other than the ones the transport owns (Host, Content-Length, ...).
    Header {
        name: String,
        value: String,
    },
    /// Raw edits of the body bytes.
    Insert {
        at: u16,
        bytes: Vec<u8>,
    },
    Delete {
        at: u16,
        len: u8,
    },
    Truncate(u16),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Path {
    TunnelId,
    ClientMode,
    DestinationConfig,
    ThingName,
    Services,
    Service(u8),
    Unknown(String),
    UnknownInConfig(String),
}

impl Path {
    fn segs(&self) -> Vec<Seg> {
        match self {
            Path::TunnelId => vec![key(c::TUNNEL_ID)],
            Path::ClientMode => vec![key(c::CLIENT_MODE)],
            Path::DestinationConfig => vec![key(c::DESTINATION_CONFIG)],
            Path::ThingName => vec![key(c::DESTINATION_CONFIG), key(c::THING_NAME)],
            Path::Services => vec![key(c::DESTINATION_CONFIG), key(c::SERVICES)],
            Path::Service(i) => vec![
                key(c::DESTINATION_CONFIG),
                key(c::SERVICES),
                Seg::Index(usize::from(*i % 4)),
            ],
            Path::Unknown(name) => vec![key(name)],
            Path::UnknownInConfig(name) => vec![key(c::DESTINATION_CONFIG), key(name)],
        }
    }
}

/// A JSON value; nesting is one level (items are [`Leaf`]s) so decoding stays cheap.
#[derive(Debug, Clone, Arbitrary)]
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// The prepared tunnel's id with text around it.
    TunnelId {
        before: String,
        after: String,
    },
    /// `ch` repeated `n` times (long values without long inputs).
    Repeat {
        ch: char,
        n: u16,
    },
    Mode(ModeText),
    List(Vec<Leaf>),
    Object(Vec<(String, Leaf)>),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum Leaf {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Service(u8),
}

/// A clientMode value: the enum's, a near miss, or anything.
#[derive(Debug, Clone, Arbitrary)]
pub enum ModeText {
    Valid(ModeChoice),
    Lower(ModeChoice),
    Padded(ModeChoice),
    Other(String),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum TargetChoice {
    Op(u8),
    Missing,
    Raw(String),
}

#[derive(Debug, Clone, Arbitrary)]
pub enum MethodChoice {
    Get,
    Put,
    Delete,
    Patch,
    Lowercase,
    Other(String),
}

impl MethodChoice {
    /// The request method this choice stands for.
    pub fn method(&self) -> String {
        match self {
            MethodChoice::Get => "GET".into(),
            MethodChoice::Put => "PUT".into(),
            MethodChoice::Delete => "DELETE".into(),
            MethodChoice::Patch => "PATCH".into(),
            MethodChoice::Lowercase => "post".into(),
            MethodChoice::Other(s) => s.clone(),
        }
    }
}

/// Headers the transport writes from the message itself: never set from a fuzz input.
pub fn is_transport_header(name: &str) -> bool {
    [
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "expect",
        "upgrade",
        "te",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name.trim()))
}

impl Json {
    fn value(&self) -> Value {
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => json!(b),
            Json::Int(i) => json!(i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Str(s) => json!(s),
            Json::TunnelId { before, after } => json!(format!("{before}{TUNNEL_ID_PLACEHOLDER}{after}")),
            Json::Repeat { ch, n } => json!(ch.to_string().repeat(usize::from(*n).min(MAX_REPEAT))),
            Json::Mode(m) => json!(m.text()),
            Json::List(items) => Value::Array(items.iter().map(Leaf::value).collect()),
            Json::Object(members) => Value::Object(members.iter().map(|(k, v)| (k.clone(), v.value())).collect()),
        }
    }
}

impl Leaf {
    fn value(&self) -> Value {
        match self {
            Leaf::Null => Value::Null,
            Leaf::Bool(b) => json!(b),
            Leaf::Int(i) => json!(i),
            Leaf::Str(s) => json!(s),
            Leaf::Service(i) => json!(SERVICE_NAMES[usize::from(*i) % SERVICE_NAMES.len()]),
        }
    }
}

impl ModeText {
    fn text(&self) -> String {
        match self {
            ModeText::Valid(m) => m.client_mode().as_str().to_owned(),
            ModeText::Lower(m) => m.client_mode().as_str().to_ascii_lowercase(),
            ModeText::Padded(m) => format!(" {} ", m.client_mode().as_str()),
            ModeText::Other(s) => s.clone(),
        }
    }
}

impl Skeleton {
    pub fn base(&self) -> BaseRequest {
        let n = usize::from(self.services % 4);
        let config = (n > 0).then(|| destination_config(n, self.thing_name.then_some("rotcheck-fuzz-thing")));
        let open_config = match self.tunnel {
            TunnelChoice::OpenWithConfig => config.clone(),
            _ => None,
        };
        BaseRequest::new("fuzz", self.mode.client_mode(), config, open_config)
    }

    fn key(&self) -> SkeletonKey {
        (self.mode, self.services % 4, self.thing_name, self.tunnel)
    }

    pub fn tunnel(&self, base: &BaseRequest) -> TunnelState {
        match self.tunnel {
            TunnelChoice::Open | TunnelChoice::OpenWithConfig => base.tunnel.clone(),
            TunnelChoice::Closed => TunnelState::Closed,
            TunnelChoice::Unknown => TunnelState::Unknown {
                id: "rotcheckFuzzUnknownTunnel0".into(),
            },
        }
    }
}

/// The cases `Start::Case` indexes: seed 1, fixtures included, sorted by id. Built once.
pub fn start_cases() -> &'static [Case] {
    static CASES: std::sync::OnceLock<Vec<Case>> = std::sync::OnceLock::new();
    CASES.get_or_init(|| {
        let fixtures = crate::cases::embedded_fixtures().unwrap_or_default();
        crate::cases::all_cases(1, fixtures).unwrap_or_else(|_| crate::cases::generate(1))
    })
}

/// A request template (placeholder in it) and the tunnel it runs against.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    pub tunnel: TunnelState,
    pub request: HttpRequest,
}

impl RequestInput {
    /// Decode libFuzzer's bytes the way `fuzz_target!` does for a typed input.
    pub fn decode(data: &[u8]) -> Option<RequestInput> {
        RequestInput::arbitrary_take_rest(Unstructured::new(data)).ok()
    }

    /// The request to send: the start with every mutation applied.
    pub fn prepare(&self) -> PreparedRequest {
        let (mut prepared, base) = match &self.start {
            Start::Case(i) => {
                let cases = start_cases();
                let case = &cases[usize::from(*i) % cases.len().max(1)];
                (
                    PreparedRequest {
                        tunnel: case.tunnel.clone(),
                        request: case.request.clone(),
                    },
                    None,
                )
            }
            Start::Skeleton(s) => {
                let base = s.base();
                (
                    PreparedRequest {
                        tunnel: s.tunnel(&base),
                        request: base.request(),
                    },
                    Some((s.key(), base)),
                )
            }
        };
        for m in self.mutations.iter().take(MAX_MUTATIONS) {
            apply(m, &mut prepared.request, base.as_ref().map(|(k, b)| (*k, b)));
        }
        prepared
    }
}

/// What a skeleton's base request is made of (its cache key).
type SkeletonKey = (ModeChoice, u8, bool, TunnelChoice);

/// The requests catalog operator `op` makes from `base` with seed `seed % OPERATOR_SEEDS`,
/// generated once per thread.
fn operator_mutants(key: SkeletonKey, base: &BaseRequest, op: usize, seed: u64) -> std::rc::Rc<Vec<HttpRequest>> {
    type Cache = (HashMap<(SkeletonKey, usize, u64), std::rc::Rc<Vec<HttpRequest>>>, usize);
    thread_local! {
        static CACHE: RefCell<Cache> = RefCell::new((HashMap::new(), 0));
    }
    let seed = seed % OPERATOR_SEEDS;
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(hit) = cache.0.get(&(key, op, seed)) {
            return hit.clone();
        }
        let ops = mutate::catalog();
        let made: Vec<HttpRequest> = ops[op % ops.len()]
            .apply(base, &mut StdRng::seed_from_u64(seed))
            .into_iter()
            .map(|c| c.request)
            .collect();
        let bytes: usize = made.iter().map(|r| r.body.len()).sum();
        if cache.1 + bytes > OPERATOR_CACHE_BYTES {
            *cache = (HashMap::new(), 0);
        }
        let made = std::rc::Rc::new(made);
        cache.1 += bytes;
        cache.0.insert((key, op, seed), made.clone());
        made
    })
}

fn apply(m: &Mutation, req: &mut HttpRequest, base: Option<(SkeletonKey, &BaseRequest)>) {
    match m {
        Mutation::Set { at, value } => edit_json(req, |body| {
            jt::set(body, &at.segs(), value.value());
        }),
        Mutation::Remove { at } => edit_json(req, |body| {
            jt::remove(body, &at.segs());
        }),
        Mutation::Operator { index, pick, seed } => {
            let Some((key, base)) = base else { return };
            let made = operator_mutants(key, base, usize::from(*index), *seed);
            if let Some(made) = made.get(usize::from(*pick) % made.len().max(1)) {
                *req = made.clone();
            }
        }
        Mutation::Target(t) => match t {
            TargetChoice::Op(i) => req.set_header("X-Amz-Target", facts::target(Op::ALL[usize::from(*i) % 8].name())),
            TargetChoice::Missing => req.remove_header("X-Amz-Target"),
            TargetChoice::Raw(s) => req.set_header("X-Amz-Target", s.clone()),
        },
        Mutation::ContentType(ct) => match ct {
            Some(ct) => req.set_header("Content-Type", ct.clone()),
            None => req.remove_header("Content-Type"),
        },
        Mutation::Method(m) => req.method = m.method(),
        Mutation::Header { name, value } => {
            if !is_transport_header(name) {
                req.set_header(name, value.clone());
            }
        }
        Mutation::Insert { at, bytes } => {
            let at = usize::from(*at).min(req.body.len());
            req.body.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let at = usize::from(*at).min(req.body.len());
            let end = (at + usize::from(*len)).min(req.body.len());
            req.body.drain(at..end);
        }
        Mutation::Truncate(n) => req.body.truncate(usize::from(*n)),
    }
}

/// Edit the body as JSON when it is a JSON object (other bodies are left alone).
fn edit_json(req: &mut HttpRequest, f: impl FnOnce(&mut Value)) {
    if req.body.len() > MAX_JSON_EDIT_BYTES {
        return;
    }
    let Some(mut body) = req.body_json().filter(Value::is_object) else {
        return;
    };
    f(&mut body);
    req.body = body.to_string().into_bytes();
}

/// The raw-bytes target's input: the first byte picks the operation named by `X-Amz-Target`
/// (modulo 9; 8 sends none), the rest is the body, sent against an OPEN tunnel (the placeholder in
/// it is replaced by the tunnel's id).
pub fn raw_request(data: &[u8]) -> PreparedRequest {
    let (sel, body) = data.split_first().map_or((0, &[][..]), |(s, b)| (*s, b));
    let mut request = HttpRequest::raw(facts::ROTATE, body.to_vec());
    match Op::ALL.get(usize::from(sel % 9)) {
        Some(op) => request.set_header("X-Amz-Target", facts::target(op.name())),
        None => request.remove_header("X-Amz-Target"),
    }
    PreparedRequest {
        tunnel: TunnelState::Open {
            destination_config: None,
        },
        request,
    }
}

/// The selector byte of [`raw_request`] for an operation.
pub fn raw_selector(operation: Option<&str>) -> u8 {
    operation
        .and_then(|o| Op::ALL.iter().position(|op| op.name() == o))
        .map_or(8, |i| i as u8)
}

/// The response-checking target's input. Layout: status (u16 LE), mode (u8: SOURCE, DESTINATION,
/// ALL modulo 3), content type (u8, see [`CONTENT_TYPES`]), error-type header (u8, see
/// [`ERROR_TYPE_HEADERS`]), truncated (low bit), then the body: a plain layout, so that seeds
/// are real responses byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseInput {
    pub status: u16,
    pub mode: u8,
    pub content_type: u8,
    pub error_type_header: u8,
    pub truncated: bool,
    pub body: Vec<u8>,
}

/// Content types the response target picks from (`None`: no header).
pub const CONTENT_TYPES: [Option<&str>; 7] = [
    Some(facts::CONTENT_TYPE),
    Some("application/json"),
    Some("application/x-amz-json-1.1; charset=utf-8"),
    Some("APPLICATION/JSON"),
    Some("text/html"),
    Some("application/x-amz-json-1.0"),
    None,
];

/// `X-Amzn-Errortype` values the response target picks from (`None`: no header).
pub const ERROR_TYPE_HEADERS: [Option<&str>; 4] = [
    None,
    Some("ValidationException"),
    Some("ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.iotsecuretunneling/"),
    Some(""),
];

impl ResponseInput {
    pub fn decode(data: &[u8]) -> Option<ResponseInput> {
        let (head, body) = data.split_at_checked(6)?;
        Some(ResponseInput {
            status: u16::from_le_bytes([head[0], head[1]]),
            mode: head[2],
            content_type: head[3],
            error_type_header: head[4],
            truncated: head[5] & 1 == 1,
            body: body.to_vec(),
        })
    }

    pub fn mode(&self) -> ClientMode {
        ClientMode::ALL_MODES[usize::from(self.mode) % 3]
    }

    pub fn response(&self) -> crate::wire::HttpResponse {
        let mut headers = Vec::new();
        if let Some(ct) = CONTENT_TYPES[usize::from(self.content_type) % CONTENT_TYPES.len()] {
            headers.push(("Content-Type".to_owned(), ct.to_owned()));
        }
        if let Some(t) = ERROR_TYPE_HEADERS[usize::from(self.error_type_header) % ERROR_TYPE_HEADERS.len()] {
            headers.push(("X-Amzn-Errortype".to_owned(), t.to_owned()));
        }
        crate::wire::HttpResponse {
            status: self.status,
            headers,
            body: self.body.clone(),
            truncated: self.truncated,
        }
    }

    /// The bytes that decode to this input (for seeds).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.status.to_le_bytes().to_vec();
        out.extend([
            self.mode,
            self.content_type,
            self.error_type_header,
            u8::from(self.truncated),
        ]);
        out.extend_from_slice(&self.body);
        out
    }
}

/// The SigV4 target's input: a case's request (index into [`start_cases`]), signed correctly,
/// then tampered with.
#[derive(Debug, Clone, Arbitrary)]
pub struct SigV4Input {
    pub case: u16,
    pub tampering: Vec<Tamper>,
}

/// One change to a signed request.
#[derive(Debug, Clone, Arbitrary)]
pub enum Tamper {
    /// Replace the Authorization header.
    Authorization(String),
    /// Overwrite one byte of the Authorization header.
    AuthorizationByte {
        at: u16,
        byte: u8,
    },
    /// Send a second Authorization header.
    ExtraAuthorization(String),
    RemoveAuthorization,
    /// Replace X-Amz-Date.
    Date(String),
    /// Sign again, `secs` seconds away from the signing time (a fresh, valid signature).
    Resign {
        secs: i16,
    },
    /// Sign again with another secret.
    ResignWithSecret(String),
    /// Sign again with another access key id.
    ResignWithKey(String),
    Body(Vec<u8>),
    BodyByte {
        at: u16,
        byte: u8,
    },
    /// Set a header the signature covers (content-type, x-amz-target, host).
    SignedHeader {
        which: u8,
        value: String,
    },
    /// Remove a header the signature covers.
    RemoveSignedHeader(u8),
    /// Add a header the signature does not cover (`x-fuzz-NAME`).
    UnsignedHeader {
        name: String,
        value: String,
    },
    Method(MethodChoice),
    /// Append to the path.
    Path(String),
}

impl SigV4Input {
    pub fn decode(data: &[u8]) -> Option<SigV4Input> {
        SigV4Input::arbitrary_take_rest(Unstructured::new(data)).ok()
    }
}

/// The bytes that decode to `RequestInput { start: Start::Case(i), mutations: [] }`.
pub fn encode_case_start(i: u16) -> Vec<u8> {
    let mut out = 0u32.to_le_bytes().to_vec();
    out.extend(i.to_le_bytes());
    out
}

/// The bytes that decode to an untampered `SigV4Input` for case `i`.
pub fn encode_sigv4_case(i: u16) -> Vec<u8> {
    i.to_le_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_starts_round_trip() {
        for i in [0u16, 1, 77, u16::MAX] {
            let input = RequestInput::decode(&encode_case_start(i)).unwrap();
            assert!(matches!(input.start, Start::Case(j) if j == i), "{input:?}");
            assert!(input.mutations.is_empty());
            let s = SigV4Input::decode(&encode_sigv4_case(i)).unwrap();
            assert_eq!(s.case, i);
            assert!(s.tampering.is_empty());
        }
    }

    #[test]
    fn response_inputs_round_trip() {
        let r = ResponseInput {
            status: 200,
            mode: 2,
            content_type: 1,
            error_type_header: 3,
            truncated: true,
            body: b"{\"a\":1}".to_vec(),
        };
        assert_eq!(ResponseInput::decode(&r.encode()), Some(r));
        assert_eq!(ResponseInput::decode(&[1, 2, 3]), None);
    }

    #[test]
    fn raw_requests_name_the_selected_operation() {
        let p = raw_request(&[raw_selector(Some("ListTunnels")), b'{', b'}']);
        assert_eq!(p.request.operation(), Some("ListTunnels"));
        assert_eq!(p.request.body, b"{}");
        assert_eq!(raw_request(&[8]).request.operation(), None);
        assert_eq!(raw_request(&[]).request.operation(), Some("OpenTunnel"));
    }

    #[test]
    fn skeletons_start_valid() {
        let s = Skeleton {
            mode: ModeChoice::Destination,
            services: 2,
            thing_name: true,
            tunnel: TunnelChoice::OpenWithConfig,
        };
        let input = RequestInput {
            start: Start::Skeleton(s),
            mutations: vec![],
        };
        let p = input.prepare();
        let body = p.request.body_json().unwrap();
        assert_eq!(body["clientMode"], "DESTINATION");
        assert_eq!(body["destinationConfig"]["services"], json!(["SSH", "RDP"]));
        assert!(matches!(
            p.tunnel,
            TunnelState::Open {
                destination_config: Some(_)
            }
        ));
    }
}
