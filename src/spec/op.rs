//! The eight operations of the secure-tunneling control plane, by their model names. Everything
//! above `spec` (the server, the fuzz inputs, the cases) names an operation with this type.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    OpenTunnel,
    DescribeTunnel,
    CloseTunnel,
    ListTunnels,
    RotateTunnelAccessToken,
    TagResource,
    UntagResource,
    ListTagsForResource,
}

impl Op {
    pub const ALL: [Op; 8] = [
        Op::OpenTunnel,
        Op::DescribeTunnel,
        Op::CloseTunnel,
        Op::ListTunnels,
        Op::RotateTunnelAccessToken,
        Op::TagResource,
        Op::UntagResource,
        Op::ListTagsForResource,
    ];

    /// The operation's name in the model (and in `X-Amz-Target` after the prefix).
    pub fn name(self) -> &'static str {
        match self {
            Op::OpenTunnel => "OpenTunnel",
            Op::DescribeTunnel => "DescribeTunnel",
            Op::CloseTunnel => "CloseTunnel",
            Op::ListTunnels => "ListTunnels",
            Op::RotateTunnelAccessToken => "RotateTunnelAccessToken",
            Op::TagResource => "TagResource",
            Op::UntagResource => "UntagResource",
            Op::ListTagsForResource => "ListTagsForResource",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model;

    #[test]
    fn every_op_is_a_model_operation_and_round_trips() {
        for op in Op::ALL {
            assert!(model().operation(op.name()).is_some(), "{op:?}");
            assert_eq!(Op::parse(op.name()), Some(op));
        }
        assert_eq!(Op::parse("rotateTunnelAccessToken"), None);
    }
}
