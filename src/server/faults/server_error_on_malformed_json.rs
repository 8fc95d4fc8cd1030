//! `5xx-on-malformed-json`: a rotation whose body is not JSON gets HTTP 500.

use crate::server::errors::ApiError;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct ServerErrorOnMalformedJson;

impl Hook for ServerErrorOnMalformedJson {
    fn unparsable_body(&self, op: Op, err: &mut ApiError) {
        if op == Op::RotateTunnelAccessToken {
            *err = ApiError::internal("Internal error while reading the request");
        }
    }
}
