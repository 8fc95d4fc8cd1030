//! `timestamps-as-strings`: DescribeTunnel reports createdAt and lastUpdatedAt as ISO-8601
//! strings instead of epoch seconds.

use std::time::SystemTime;

use serde_json::Value;

use crate::server::clock;
use crate::server::hooks::Hook;
use crate::spec::Op;

pub(super) struct TimestampsAsStrings;

impl Hook for TimestampsAsStrings {
    fn timestamp(&self, op: Op, t: SystemTime) -> Option<Value> {
        (op == Op::DescribeTunnel).then(|| Value::String(clock::iso8601(t)))
    }
}
