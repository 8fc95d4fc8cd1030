//! The state every request handler reads: configuration, the active faults and variants, the
//! tunnel clock and store, and what follows from them (formats, error style).

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use serde_json::Value;

use super::clock::{self, Clock};
use super::errors::ErrorStyle;
use super::store::{IdStyle, Store, TokenStyle};
use super::{Fault, Op, ServerConfig, Variant, Verifier};
use crate::spec::facts;

/// Everything a request handler reads.
pub(crate) struct AppState {
    pub(crate) config: ServerConfig,
    faults: BTreeSet<Fault>,
    variants: BTreeSet<Variant>,
    pub(crate) clock: Clock,
    store: Mutex<Store>,
    pub(crate) verifier: Option<Verifier>,
    /// The open data-plane connections.
    pub(crate) connections: super::dataplane::Connections,
}

impl AppState {
    pub(crate) fn new(config: ServerConfig) -> AppState {
        let verifier = config
            .verify_sigv4
            .clone()
            .map(|keys| Verifier::new(keys, config.region.clone()));
        AppState {
            faults: config.faults.iter().copied().collect(),
            variants: config.variants.iter().copied().collect(),
            clock: Clock::new(config.time_scale),
            store: Mutex::default(),
            verifier,
            connections: Default::default(),
            config,
        }
    }

    pub(crate) fn fault(&self, f: Fault) -> bool {
        self.faults.contains(&f)
    }

    pub(crate) fn variant(&self, v: Variant) -> bool {
        self.variants.contains(&v)
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A poisoned lock only means a handler panicked mid-update; the data is still usable.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a tunnel closes when its lifetime passes (always, but for one fault).
    pub(crate) fn enforce_expiry(&self) -> bool {
        !self.fault(Fault::ExpiryNotEnforced)
    }

    pub(crate) fn id_style(&self) -> IdStyle {
        if self.variant(Variant::FullAlphabetIds) {
            IdStyle::FullAlphabet
        } else if self.variant(Variant::UuidIdsAndJwtTokens) {
            IdStyle::Uuid
        } else {
            IdStyle::Hex
        }
    }

    pub(crate) fn token_style(&self) -> TokenStyle {
        if self.variant(Variant::UuidIdsAndJwtTokens) {
            TokenStyle::Jwt
        } else {
            TokenStyle::Alphanumeric
        }
    }

    pub(crate) fn arn(&self, tunnel_id: &str) -> String {
        format!(
            "arn:aws:iot:{}:{}:tunnel/{tunnel_id}",
            self.config.region, self.config.account
        )
    }

    /// The error type of invalid input.
    pub(crate) fn validation_type(&self) -> &'static str {
        if self.variant(Variant::InvalidRequestException) {
            "InvalidRequestException"
        } else {
            "ValidationException"
        }
    }

    pub(crate) fn content_type(&self) -> &'static str {
        if self.variant(Variant::ApplicationJson) {
            "application/json"
        } else {
            facts::CONTENT_TYPE
        }
    }

    /// A timestamp as epoch seconds (or, under a DescribeTunnel fault, an ISO-8601 string).
    pub(crate) fn timestamp(&self, t: SystemTime, in_describe: bool) -> Value {
        if in_describe && self.fault(Fault::TimestampsAsStrings) {
            return Value::String(clock::iso8601(t));
        }
        let secs = clock::epoch_secs(t);
        if self.variant(Variant::FractionalTimestamps) {
            serde_json::Number::from_f64((secs * 1000.0).round() / 1000.0)
                .map(Value::Number)
                .unwrap_or(Value::Null)
        } else {
            Value::from(secs.floor() as i64)
        }
    }

    pub(crate) fn error_style(&self, op: Option<Op>) -> ErrorStyle {
        let rotate = op == Some(Op::RotateTunnelAccessToken);
        ErrorStyle {
            namespaced: self.variant(Variant::NamespacedErrorType),
            coral_suffix: self.variant(Variant::ErrorTypeSuffix),
            capital_message: self.variant(Variant::CapitalMessage),
            header_only_type: self.variant(Variant::HeaderOnlyErrorType),
            extra_members: self.variant(Variant::ExtraResponseMembers),
            application_json: self.variant(Variant::ApplicationJson),
            plain_text: rotate && self.fault(Fault::ErrorBodyPlainText),
            type_missing: rotate && self.fault(Fault::ErrorTypeMissing),
        }
    }
}
