//! `service-ids-withheld`: a connection is never sent its `SERVICE_IDS` message (data plane).

use bytes::Bytes;

use crate::server::hooks::Hook;

pub(super) struct ServiceIdsWithheld;

impl Hook for ServiceIdsWithheld {
    fn opening_messages(&self, messages: &mut Vec<Bytes>) {
        messages.clear();
    }
}
