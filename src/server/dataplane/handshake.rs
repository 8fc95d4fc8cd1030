//! The upgrade request, read and judged: size, `local-proxy-mode`, the token (header or cookie,
//! exactly one value), the client token and the subprotocols; then the token against the store
//! (current, unspent or reconnecting with its client token, the right side, an OPEN tunnel).
//! Pure functions over the request head and the store: no I/O, never a panic on any input.

use std::sync::OnceLock;

use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use regex::Regex;

use super::super::store::{Side, Store, StoredTunnel};

/// The largest upgrade request accepted (request line and headers).
pub const MAX_REQUEST_BYTES: usize = 4096;
pub const TOKEN_HEADER: &str = "access-token";
pub const TOKEN_COOKIE: &str = "awsiot-tunnel-token";
pub const CLIENT_TOKEN_HEADER: &str = "client-token";
/// The subprotocols served, newest first (the server picks the newest one offered).
pub const SUBPROTOCOLS: [&str; 3] = [
    "aws.iot.securetunneling-3.0",
    "aws.iot.securetunneling-2.0",
    "aws.iot.securetunneling-1.0",
];

/// Why a handshake is refused: what the hooks are told (`Hook::handshake_refused`,
/// `Hook::finish_upgrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// The upgrade request is malformed (mode, headers, client token, subprotocol, size).
    BadRequest,
    /// No token, or one no tunnel has (or had, as far as the store remembers).
    UnknownToken,
    /// A token a rotation revoked.
    Revoked,
    /// The token is the other side's (`local-proxy-mode` does not match).
    WrongMode,
    /// The token's tunnel is CLOSED.
    ClosedTunnel,
    /// The token was spent by an earlier handshake, and no client token reconnects it.
    Spent,
    /// The token was spent with another client token than the one given.
    ClientTokenMismatch,
}

/// A refused handshake: a 4xx with a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub message: String,
    pub reason: RefusalReason,
}

impl Refusal {
    fn new(reason: RefusalReason, message: impl Into<String>) -> Refusal {
        Refusal {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            reason,
        }
    }

    fn bad(message: impl Into<String>) -> Refusal {
        Refusal::new(RefusalReason::BadRequest, message)
    }
}

/// What the upgrade request asks for, before the store is consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub mode: Side,
    pub token: String,
    pub client_token: Option<String>,
    pub subprotocol: &'static str,
}

fn client_token_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new("^[a-zA-Z0-9-]{32,128}$").unwrap_or_else(|_| unreachable!("a fixed, valid pattern")))
}

/// Size of the request head as sent on the wire (approximately: request line and header lines).
pub fn head_size(parts: &Parts) -> usize {
    let line = parts.method.as_str().len() + parts.uri.to_string().len() + 12;
    let headers: usize = parts.headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    line + headers
}

/// Every token value the request carries: `access-token` headers and `awsiot-tunnel-token` cookies.
fn token_values(headers: &HeaderMap) -> Vec<String> {
    let mut values: Vec<String> = headers
        .get_all(TOKEN_HEADER)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .collect();
    for cookie in headers.get_all(header::COOKIE) {
        for pair in String::from_utf8_lossy(cookie.as_bytes()).split(';') {
            if let Some((name, value)) = pair.split_once('=') {
                if name.trim() == TOKEN_COOKIE {
                    values.push(value.trim().to_owned());
                }
            }
        }
    }
    values
}

/// Reads the request head: everything that can be judged without the store.
// Long: the request head's checks in the order the protocol guides state them.
pub fn read_offer(parts: &Parts) -> Result<Offer, Refusal> {
    if head_size(parts) > MAX_REQUEST_BYTES {
        return Err(Refusal::bad(format!(
            "The upgrade request exceeds {MAX_REQUEST_BYTES} bytes"
        )));
    }
    let mode = parts
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == "local-proxy-mode")
        .map(|(_, v)| v)
        .collect::<Vec<_>>();
    let mode = match mode.as_slice() {
        ["source"] => Side::Source,
        ["destination"] => Side::Destination,
        _ => {
            return Err(Refusal::bad(
                "local-proxy-mode must be given once: source or destination",
            ))
        }
    };
    let token = match token_values(&parts.headers).as_slice() {
        [] => {
            return Err(Refusal::new(
                RefusalReason::UnknownToken,
                "Invalid access token: no access token given",
            ))
        }
        [one] => one.clone(),
        _ => {
            return Err(Refusal::bad(
                "Invalid access token: more than one access token value given",
            ))
        }
    };
    let client_token = match parts
        .headers
        .get_all(CLIENT_TOKEN_HEADER)
        .iter()
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => None,
        [one] => {
            let v = one.to_str().unwrap_or_default();
            if !client_token_pattern().is_match(v) {
                return Err(Refusal::bad(
                    "Invalid client token: it must match ^[a-zA-Z0-9-]{32,128}$",
                ));
            }
            Some(v.to_owned())
        }
        _ => return Err(Refusal::bad("Invalid client token: more than one client token given")),
    };
    let offered: Vec<String> = parts
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(',')
                .map(|p| p.trim().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let Some(subprotocol) = SUBPROTOCOLS.into_iter().find(|p| offered.iter().any(|o| o == p)) else {
        return Err(Refusal::bad(format!(
            "Sec-WebSocket-Protocol must offer one of {}",
            SUBPROTOCOLS.join(", ")
        )));
    };
    Ok(Offer {
        mode,
        token,
        client_token,
        subprotocol,
    })
}

/// What a handshake refuses for a spent token.
const SPENT: &str = "Invalid access token: the token was previously used and cannot be used again";

/// The tunnel and side the offer connects to. `is_open` tells whether a tunnel is OPEN now;
/// `admits` whether a refusal for a reason is admitted instead, and `refuses_reconnect` whether
/// a spent token that would reconnect is refused (the hooks' say).
pub fn admit<'s>(
    store: &'s Store,
    offer: &Offer,
    is_open: impl Fn(&StoredTunnel) -> bool,
    admits: impl Fn(RefusalReason) -> bool,
    refuses_reconnect: bool,
) -> Result<(&'s StoredTunnel, Side), Refusal> {
    let refuse = |reason, message: String| {
        if admits(reason) {
            Ok(())
        } else {
            Err(Refusal::new(reason, message))
        }
    };
    // The revoked tokens are searched only for a token no tunnel holds now.
    let (tunnel, side) = if let Some(found) = store.find_token(&offer.token) {
        found
    } else if let Some(found) = store.find_revoked(&offer.token) {
        refuse(
            RefusalReason::Revoked,
            "Invalid access token: the token was revoked by a rotation".into(),
        )?;
        found
    } else {
        return Err(Refusal::new(
            RefusalReason::UnknownToken,
            "Invalid access token: the token is not valid",
        ));
    };
    if side != offer.mode {
        refuse(
            RefusalReason::WrongMode,
            format!(
                "Invalid access token: the token is not valid for local-proxy-mode {}",
                offer.mode.mode()
            ),
        )?;
    }
    if !is_open(tunnel) {
        refuse(
            RefusalReason::ClosedTunnel,
            "Invalid access token: the tunnel is CLOSED".into(),
        )?;
    }
    match (&tunnel.side(side).spent, &offer.client_token) {
        (None, _) => {}
        (Some(Some(bound)), Some(given)) if bound == given => {}
        (Some(Some(_)), Some(_)) => refuse(
            RefusalReason::ClientTokenMismatch,
            "Invalid client token: the client token given does not match the client token bound to this access token"
                .into(),
        )?,
        (Some(_), _) => refuse(RefusalReason::Spent, SPENT.into())?,
    }
    if refuses_reconnect && tunnel.side(side).spent.is_some() {
        return Err(Refusal::new(RefusalReason::Spent, SPENT));
    }
    Ok((tunnel, side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut b = Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    const PROTO: (&str, &str) = ("sec-websocket-protocol", "aws.iot.securetunneling-2.0");

    #[test]
    fn offer_reads_mode_token_and_newest_subprotocol() {
        let p = parts(
            "/tunnel?local-proxy-mode=source",
            &[
                ("access-token", "tok"),
                (
                    "sec-websocket-protocol",
                    "aws.iot.securetunneling-1.0, aws.iot.securetunneling-3.0",
                ),
            ],
        );
        let o = read_offer(&p).unwrap();
        assert_eq!(
            (o.mode, o.token.as_str(), o.subprotocol),
            (Side::Source, "tok", SUBPROTOCOLS[0])
        );
        let p = parts(
            "/tunnel?local-proxy-mode=destination",
            &[("cookie", "a=b; awsiot-tunnel-token=tok"), PROTO],
        );
        assert_eq!(read_offer(&p).unwrap().token, "tok");
    }

    #[test]
    fn bad_offers_are_4xx_refusals() {
        let cases = [
            parts("/tunnel", &[("access-token", "t"), PROTO]),
            parts("/tunnel?local-proxy-mode=both", &[("access-token", "t"), PROTO]),
            parts("/tunnel?local-proxy-mode=source", &[PROTO]),
            parts(
                "/tunnel?local-proxy-mode=source",
                &[("access-token", "t"), ("cookie", "awsiot-tunnel-token=t"), PROTO],
            ),
            parts("/tunnel?local-proxy-mode=source", &[("access-token", "t")]),
            parts(
                "/tunnel?local-proxy-mode=source",
                &[("access-token", "t"), ("client-token", "short"), PROTO],
            ),
            parts(
                "/tunnel?local-proxy-mode=source",
                &[("access-token", "t"), ("x-pad", &"a".repeat(5000)), PROTO],
            ),
        ];
        for p in cases {
            let r = read_offer(&p).unwrap_err();
            assert!(r.status.is_client_error(), "{r:?}");
        }
    }
}
