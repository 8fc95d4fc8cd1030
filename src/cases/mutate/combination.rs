//! Members valid on their own and forbidden together: SOURCE mode with a destinationConfig.

use rand::RngCore;
use serde_json::json;

use super::{Mutant, Operator};
use crate::cases::constraints as c;
use crate::cases::json_text::{self as jt, key};
use crate::cases::valid::{destination_config, BaseRequest};
use crate::cases::Expectation;
use crate::spec::facts::{self, ClientMode};
use crate::wire::HttpRequest;

/// This family's operators, in catalog order.
#[rustfmt::skip]
pub(super) static OPERATORS: &[Operator] = &[
    op!("source-with-destination-config", "SOURCE mode with a destinationConfig", source_with_destination_config),
];

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
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::super::{apply, find};
    use crate::cases::valid::BaseRequest;
    use crate::cases::Expectation;
    use crate::spec::facts::ClientMode;

    #[test]
    fn a_source_base_gets_a_destination_config_added() {
        let source = BaseRequest::new("source", ClientMode::Source, None, None);
        let sw = apply(
            find("source-with-destination-config").unwrap(),
            &source,
            &mut StdRng::seed_from_u64(2),
        );
        assert_eq!(sw.len(), 1);
        let body = sw[0].request.body_json().unwrap();
        assert_eq!(body["clientMode"], "SOURCE");
        assert!(body["destinationConfig"]["services"].is_array());
        assert_eq!(sw[0].expect, Expectation::SourceWithDestinationConfig);
    }
}
