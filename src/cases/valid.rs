//! Valid requests: every client mode; DESTINATION and ALL with and without a destinationConfig;
//! thingName present and absent; 1 to 3 services. Each is a [`BaseRequest`] (the mutation
//! operators start from these) and a case expecting a successful rotation on an OPEN tunnel.

use rand::RngCore;
use serde_json::{json, Map, Value};

use super::constraints::{self as c, GUIDE_MAX_SERVICES};
use super::{Case, CaseKind, Expectation, TunnelState, TUNNEL_ID_PLACEHOLDER};
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// Service names the valid requests use: the developer guide's examples (checked against the
/// Service pattern by the tests).
pub const SERVICE_NAMES: [&str; GUIDE_MAX_SERVICES] = ["SSH", "RDP", "VNC"];

/// A valid RotateTunnelAccessToken request on an OPEN tunnel: the starting point of mutations.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseRequest {
    /// Short, id-safe name, e.g. `destination/services-2-thing`.
    pub label: String,
    pub mode: ClientMode,
    /// The request body; `tunnelId` is the placeholder.
    pub body: Map<String, Value>,
    /// The tunnel the request runs against (always OPEN for a base).
    pub tunnel: TunnelState,
}

impl BaseRequest {
    /// A base request of `mode` with an optional destinationConfig, on an OPEN tunnel opened with
    /// `open_config`.
    pub fn new(label: impl Into<String>, mode: ClientMode, config: Option<Value>, open_config: Option<Value>) -> Self {
        let mut body = Map::new();
        body.insert(c::TUNNEL_ID.into(), Value::String(TUNNEL_ID_PLACEHOLDER.into()));
        body.insert(c::CLIENT_MODE.into(), Value::String(mode.as_str().into()));
        if let Some(config) = config {
            body.insert(c::DESTINATION_CONFIG.into(), config);
        }
        BaseRequest {
            label: label.into(),
            mode,
            body,
            tunnel: TunnelState::Open {
                destination_config: open_config,
            },
        }
    }

    pub fn body_value(&self) -> Value {
        Value::Object(self.body.clone())
    }

    /// The well-formed AWS JSON 1.1 request for this body.
    pub fn request(&self) -> HttpRequest {
        HttpRequest::json(facts::ROTATE, &self.body_value())
    }

    pub fn has_destination_config(&self) -> bool {
        self.body.contains_key(c::DESTINATION_CONFIG)
    }

    /// One line for case descriptions, e.g. `DESTINATION with destinationConfig (2 services, thingName)`.
    /// The valid case this base is: a successful rotation on an OPEN tunnel.
    pub fn valid_case(&self) -> Case {
        Case {
            id: format!("valid/{}", self.label),
            kind: CaseKind::Valid,
            description: format!("{} on an OPEN tunnel: a successful rotation", self.summary()),
            tunnel: self.tunnel.clone(),
            request: self.request(),
            expect: Expectation::Success { mode: self.mode },
            operator: None,
        }
    }

    pub fn summary(&self) -> String {
        match self.body.get(c::DESTINATION_CONFIG) {
            None => format!("{} without destinationConfig", self.mode),
            Some(dc) => {
                let n = dc[c::SERVICES].as_array().map_or(0, Vec::len);
                let thing = if dc.get(c::THING_NAME).is_some() {
                    ", thingName"
                } else {
                    ""
                };
                let s = if n == 1 { "" } else { "s" };
                format!("{} with destinationConfig ({n} service{s}{thing})", self.mode)
            }
        }
    }
}

/// A destinationConfig with the first `n` of [`SERVICE_NAMES`] and an optional thing name.
pub fn destination_config(n: usize, thing_name: Option<&str>) -> Value {
    let services: Vec<&str> = SERVICE_NAMES.iter().copied().take(n).collect();
    let mut dc = Map::new();
    if let Some(t) = thing_name {
        dc.insert(c::THING_NAME.into(), Value::String(t.into()));
    }
    dc.insert(c::SERVICES.into(), json!(services));
    Value::Object(dc)
}

/// A thing name from the ThingName alphabet, varied by the seed.
pub fn thing_name(rng: &mut dyn RngCore) -> String {
    format!("rotcheck-thing-{}", c::random_suffix(rng, 8))
}

/// Every valid base request. Labels are stable across seeds; thing names vary with the seed.
pub fn bases(rng: &mut dyn RngCore) -> Vec<BaseRequest> {
    let mut out = Vec::new();
    for mode in c::client_modes() {
        let m = mode.as_str().to_ascii_lowercase();
        out.push(BaseRequest::new(m.clone(), mode, None, None));
        if mode == ClientMode::Source {
            // SOURCE with a destinationConfig is not valid: see the boundary cases.
            continue;
        }
        for n in c::services_min().max(1)..=GUIDE_MAX_SERVICES {
            out.push(BaseRequest::new(
                format!("{m}/services-{n}"),
                mode,
                Some(destination_config(n, None)),
                None,
            ));
            // With a thing name, the tunnel is opened with the same destinationConfig, as in the
            // developer guide's flow (open for a device, rotate for the same device).
            let cfg = destination_config(n, Some(&thing_name(rng)));
            out.push(BaseRequest::new(
                format!("{m}/services-{n}-thing"),
                mode,
                Some(cfg.clone()),
                Some(cfg),
            ));
        }
    }
    out
}

/// The valid cases: one per base request, each expecting a successful rotation.
pub fn cases(rng: &mut dyn RngCore) -> Vec<Case> {
    bases(rng).iter().map(BaseRequest::valid_case).collect()
}

/// The base that carries every request member (mode ALL, destinationConfig with services and a
/// thingName): the one the generated mutations start from, so every member can be mutated.
pub fn full_base(rng: &mut dyn RngCore) -> BaseRequest {
    let cfg = destination_config(1, Some(&thing_name(rng)));
    BaseRequest::new("all/services-1-thing", ClientMode::All, Some(cfg), None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::constraints::StringRule;
    use crate::spec::{model, validate_input};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn service_names_satisfy_the_model() {
        let r = StringRule::service();
        assert!(SERVICE_NAMES.iter().all(|s| r.allows(s)));
        let mut rng = StdRng::seed_from_u64(1);
        assert!(StringRule::thing_name().allows(&thing_name(&mut rng)));
    }

    #[test]
    fn every_base_is_valid_input() {
        let mut rng = StdRng::seed_from_u64(3);
        let bases = bases(&mut rng);
        assert_eq!(bases.len(), 3 + 2 * 6);
        for b in &bases {
            let body = crate::cases::test_support::with_id(&b.body_value());
            assert_eq!(validate_input(model(), facts::ROTATE, &body), Ok(()), "{}", b.label);
            assert!(b.mode != ClientMode::Source || !b.has_destination_config());
        }
        for mode in ClientMode::ALL_MODES {
            assert!(bases.iter().any(|b| b.mode == mode));
        }
        assert!(bases
            .iter()
            .any(|b| b.mode == ClientMode::All && !b.has_destination_config()));
        assert!(bases.iter().any(|b| b.summary().contains("thingName")));
        assert!(bases.iter().any(|b| b.summary().contains("3 services")));
    }
}
