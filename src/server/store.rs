//! The in-memory tunnel store, and the ids and tokens it hands out.
//!
//! Tunnels are kept in creation order (a sequence number), which gives ListTunnels its
//! newest-first order and a stable pagination cursor. Status is computed lazily from the clock:
//! a tunnel whose lifetime has passed reads as CLOSED without any background task. Closed
//! tunnels stay visible for at least 3 tunnel-hours; memory is bounded by `max_tunnels`, and the
//! oldest closed tunnels are forgotten first when the store is full.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use rand::distr::{Alphanumeric, SampleString};
use rand::Rng;
use serde_json::Value;

use crate::secret::SecretString;

/// How long (in tunnel-minutes) a closed tunnel stays visible: "at least 3 hours".
pub const CLOSED_RETENTION_MINUTES: f64 = 180.0;
/// The model's default `maxLifetimeTimeoutMinutes`.
pub const DEFAULT_LIFETIME_MINUTES: i64 = 720;

/// Formats of the ids and tokens the server hands out (all within the model's constraints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    /// 32 lowercase hex digits.
    Hex,
    /// A UUID, `8-4-4-4-12` hex digits.
    Uuid,
    /// 128 characters from the whole TunnelId alphabet `[a-zA-Z0-9_\-+=:]`.
    FullAlphabet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenStyle {
    /// 64 alphanumeric characters (about 380 bits).
    Alphanumeric,
    /// Three base64url segments like a JWT (a random 256-bit signature segment).
    Jwt,
}

fn hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

pub fn new_id(style: IdStyle) -> String {
    match style {
        IdStyle::Hex => hex(32),
        IdStyle::Uuid => uuid(),
        IdStyle::FullAlphabet => {
            const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=:";
            let mut rng = rand::rng();
            // Start with the characters clients most often mishandle, so every id contains them.
            let mut id = String::from("+=:_-");
            while id.len() < 128 {
                id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
            }
            id
        }
    }
}

/// A random UUID-shaped string (request ids, UUID-style tunnel ids).
pub fn uuid() -> String {
    let h = hex(32);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub fn new_token(style: TokenStyle) -> SecretString {
    let mut rng = rand::rng();
    match style {
        TokenStyle::Alphanumeric => SecretString::new(Alphanumeric.sample_string(&mut rng, 64)),
        TokenStyle::Jwt => {
            const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut seg = |n: usize| -> String {
                (0..n)
                    .map(|_| char::from(B64URL[rng.random_range(0..B64URL.len())]))
                    .collect()
            };
            // `{"alg":"HS256","typ":"JWT"}` base64url-encoded, then a random payload and signature.
            let (payload, sig) = (seg(43), seg(43));
            SecretString::new(format!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{sig}"))
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoredTunnel {
    pub seq: u64,
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub tags: Vec<(String, String)>,
    pub destination_config: Option<Value>,
    pub lifetime_minutes: i64,
    /// Reported `createdAt` (wall clock).
    pub created_at: SystemTime,
    pub last_updated_at: SystemTime,
    /// Clock reading (real seconds) the lifetime counts from, and when it ends.
    pub opened_at: f64,
    pub expires_at: f64,
    /// Clock reading of CloseTunnel (or of a fault closing it).
    pub closed_at: Option<f64>,
    pub source_token: SecretString,
    pub destination_token: SecretString,
    /// Data-plane state of each side, indexed by [`Side::index`].
    pub sides: [SideState; 2],
}

/// One side of a tunnel on the data plane (the local proxy a token is for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Source,
    Destination,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Source, Side::Destination];

    pub fn index(self) -> usize {
        self as usize
    }

    /// `source` / `destination`, as in `local-proxy-mode`.
    pub fn mode(self) -> &'static str {
        match self {
            Side::Source => "source",
            Side::Destination => "destination",
        }
    }
}

/// What the data plane keeps per side of a tunnel.
#[derive(Debug, Clone, Default)]
pub struct SideState {
    /// Open connections DescribeTunnel counts (CONNECTED when above 0), and when that status last
    /// changed (None: never, reported as createdAt).
    pub connections: u32,
    pub changed_at: Option<SystemTime>,
    /// The current token made a successful handshake: with the client token it bound, if any.
    pub spent: Option<Option<String>>,
    /// The side's earlier tokens, revoked by rotations, oldest first (at most
    /// [`REVOKED_KEPT`]): a handshake with one is refused as revoked rather than unknown.
    pub revoked: Vec<SecretString>,
}

/// Revoked tokens remembered per side: enough to tell a client its token was rotated away,
/// bounded for a tunnel rotated for hours on end (an older one is refused as unknown).
pub const REVOKED_KEPT: usize = 16;

impl SideState {
    /// Both sides of a new tunnel: no connection yet, tokens unspent.
    pub fn unconnected() -> [SideState; 2] {
        [SideState::default(), SideState::default()]
    }
}

impl StoredTunnel {
    pub fn token(&self, side: Side) -> &SecretString {
        match side {
            Side::Source => &self.source_token,
            Side::Destination => &self.destination_token,
        }
    }

    pub fn side(&self, side: Side) -> &SideState {
        &self.sides[side.index()]
    }

    pub fn side_mut(&mut self, side: Side) -> &mut SideState {
        &mut self.sides[side.index()]
    }

    /// Replaces `side`'s token with `token`: the current one is revoked, the new one unspent.
    pub fn replace_token(&mut self, side: Side, token: SecretString) {
        let old = match side {
            Side::Source => std::mem::replace(&mut self.source_token, token),
            Side::Destination => std::mem::replace(&mut self.destination_token, token),
        };
        let s = self.side_mut(side);
        s.revoked.push(old);
        if s.revoked.len() > REVOKED_KEPT {
            s.revoked.remove(0);
        }
        s.spent = None;
    }

    /// When the tunnel closed (clock reading), if it has: by CloseTunnel or by its lifetime.
    /// `instant_expiry`: whether the lifetime's end closes it at once (false when an expiry sweep
    /// closes it instead, see `production::sweep`).
    pub fn closed_since(&self, now: f64, instant_expiry: bool) -> Option<f64> {
        let by_expiry = (instant_expiry && now >= self.expires_at).then_some(self.expires_at);
        match (self.closed_at, by_expiry) {
            (Some(c), Some(e)) => Some(c.min(e)),
            (c, e) => c.or(e),
        }
    }

    pub fn is_open(&self, now: f64, instant_expiry: bool) -> bool {
        self.closed_since(now, instant_expiry).is_none()
    }

    /// `lastUpdatedAt` as reported: a lazy close by expiry counts as an update at expiry time.
    pub fn last_updated(&self, now: f64, instant_expiry: bool) -> SystemTime {
        match self.closed_since(now, instant_expiry) {
            Some(c) if self.closed_at != Some(c) => {
                let at = super::clock::add_secs(self.created_at, c - self.opened_at);
                at.max(self.last_updated_at)
            }
            _ => self.last_updated_at,
        }
    }
}

#[derive(Debug)]
pub enum StoreError {
    /// The store holds `max` tunnels that may not yet be forgotten.
    Full { max: usize },
}

#[derive(Debug, Default, Clone)]
pub struct Store {
    tunnels: BTreeMap<u64, StoredTunnel>,
    ids: HashMap<String, u64>,
    arns: HashMap<String, u64>,
    next_seq: u64,
}

impl Store {
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.tunnels.len()
    }

    pub fn contains_id(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&StoredTunnel> {
        self.ids.get(id).and_then(|s| self.tunnels.get(s))
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut StoredTunnel> {
        let seq = *self.ids.get(id)?;
        self.tunnels.get_mut(&seq)
    }

    pub fn get_by_arn_mut(&mut self, arn: &str) -> Option<&mut StoredTunnel> {
        let seq = *self.arns.get(arn)?;
        self.tunnels.get_mut(&seq)
    }

    pub fn remove(&mut self, id: &str) -> Option<StoredTunnel> {
        let seq = self.ids.remove(id)?;
        let t = self.tunnels.remove(&seq)?;
        self.arns.remove(&t.arn);
        Some(t)
    }

    /// The next sequence number; the caller builds the tunnel with it and calls [`Store::insert`].
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Make room for one more tunnel: forget closed tunnels past their retention, then, if the
    /// store is still full, the oldest closed ones. Fails when `max` tunnels are open.
    pub fn make_room(&mut self, now: f64, retention: f64, max: usize, instant_expiry: bool) -> Result<(), StoreError> {
        let expired: Vec<String> = self
            .tunnels
            .values()
            .filter(|t| {
                t.closed_since(now, instant_expiry)
                    .is_some_and(|c| now - c >= retention)
            })
            .map(|t| t.id.clone())
            .collect();
        for id in expired {
            self.remove(&id);
        }
        while self.tunnels.len() >= max {
            let oldest_closed = self
                .tunnels
                .values()
                .find(|t| !t.is_open(now, instant_expiry))
                .map(|t| t.id.clone());
            match oldest_closed {
                Some(id) => {
                    self.remove(&id);
                }
                None => return Err(StoreError::Full { max }),
            }
        }
        Ok(())
    }

    pub fn insert(&mut self, t: StoredTunnel) {
        self.ids.insert(t.id.clone(), t.seq);
        self.arns.insert(t.arn.clone(), t.seq);
        self.tunnels.insert(t.seq, t);
    }

    /// Every tunnel, for a sweep over them.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut StoredTunnel> {
        self.tunnels.values_mut()
    }

    /// The tunnel and side whose current token is `token`.
    pub fn find_token(&self, token: &str) -> Option<(&StoredTunnel, Side)> {
        self.find_side(token, |t, side| t.token(side).expose() == token)
    }

    /// The tunnel and side a rotation revoked `token` from (a current token is not revoked).
    pub fn find_revoked(&self, token: &str) -> Option<(&StoredTunnel, Side)> {
        self.find_side(token, |t, side| {
            t.side(side).revoked.iter().any(|r| r.expose() == token)
        })
    }

    fn find_side(&self, token: &str, matches: impl Fn(&StoredTunnel, Side) -> bool) -> Option<(&StoredTunnel, Side)> {
        if token.is_empty() {
            return None;
        }
        self.tunnels.values().find_map(|t| {
            Side::BOTH
                .into_iter()
                .find(|&side| matches(t, side))
                .map(|side| (t, side))
        })
    }

    /// Tunnels newest first, starting at sequence number `from` (inclusive) when given.
    pub fn newest_first(&self, from: Option<u64>) -> impl Iterator<Item = &StoredTunnel> {
        self.tunnels.range(..=from.unwrap_or(u64::MAX)).rev().map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model;

    fn tunnel(store: &mut Store, now: f64, lifetime: f64) -> String {
        let seq = store.next_seq();
        let id = new_id(IdStyle::Hex);
        store.insert(StoredTunnel {
            seq,
            id: id.clone(),
            arn: format!("arn:{id}"),
            description: None,
            tags: vec![],
            destination_config: None,
            lifetime_minutes: 1,
            created_at: SystemTime::now(),
            last_updated_at: SystemTime::now(),
            opened_at: now,
            expires_at: now + lifetime,
            closed_at: None,
            source_token: new_token(TokenStyle::Alphanumeric),
            destination_token: new_token(TokenStyle::Alphanumeric),
            sides: Default::default(),
        });
        id
    }

    #[test]
    fn ids_and_tokens_fit_the_model_and_differ() {
        let pattern = model().shape("TunnelId").unwrap().pattern_matcher().unwrap();
        for style in [IdStyle::Hex, IdStyle::Uuid, IdStyle::FullAlphabet] {
            let (a, b) = (new_id(style), new_id(style));
            assert!(pattern.is_match(&a), "{a}");
            assert_ne!(a, b);
        }
        assert_eq!(new_id(IdStyle::FullAlphabet).chars().count(), 128);
        for style in [TokenStyle::Alphanumeric, TokenStyle::Jwt] {
            let (a, b) = (new_token(style), new_token(style));
            assert_ne!(a, b);
            assert!(a.expose().len() >= 43);
        }
    }

    #[test]
    fn status_is_lazy_and_expiry_counts_as_the_close_time() {
        let mut s = Store::default();
        let id = tunnel(&mut s, 0.0, 60.0);
        let t = s.get(&id).unwrap();
        assert!(t.is_open(59.9, true));
        assert_eq!(t.closed_since(60.5, true), Some(60.0));
        assert!(
            t.is_open(1e9, false),
            "left to an expiry sweep: open until the sweep closes it"
        );
        let before = t.last_updated_at;
        assert!(t.last_updated(61.0, true) >= before);
    }

    #[test]
    fn full_store_forgets_oldest_closed_first_and_refuses_when_all_open() {
        let mut s = Store::default();
        let a = tunnel(&mut s, 0.0, 10.0);
        let b = tunnel(&mut s, 0.0, 1000.0);
        // At 20 s, `a` is closed (by expiry) but within retention: forgotten only because full.
        assert!(s.make_room(20.0, 1e6, 2, true).is_ok());
        assert!(!s.contains_id(&a) && s.contains_id(&b));
        tunnel(&mut s, 20.0, 1000.0);
        assert!(matches!(
            s.make_room(20.0, 1e6, 2, true),
            Err(StoreError::Full { max: 2 })
        ));
        // Retention passed: forgotten even when there is room.
        s.get_mut(&b).unwrap().closed_at = Some(21.0);
        assert!(s.make_room(100.0, 50.0, 10, true).is_ok());
        assert!(!s.contains_id(&b));
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn newest_first_resumes_at_a_cursor() {
        let mut s = Store::default();
        let ids: Vec<String> = (0..3).map(|_| tunnel(&mut s, 0.0, 10.0)).collect();
        let order: Vec<&str> = s.newest_first(None).map(|t| t.id.as_str()).collect();
        assert_eq!(order, [ids[2].as_str(), ids[1].as_str(), ids[0].as_str()]);
        let seq = s.get(&ids[1]).unwrap().seq;
        assert_eq!(s.newest_first(Some(seq)).count(), 2);
    }
}
