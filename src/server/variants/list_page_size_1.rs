//! `list-page-size-1`: ListTunnels returns one tunnel per page when maxResults is absent.

use crate::server::behaviour::Behaviour;
use crate::server::hooks::Hook;

pub(super) struct ListPageSize1;

impl Hook for ListPageSize1 {
    fn configure(&self, b: &mut Behaviour) {
        b.list_page_size = 1;
    }
}
