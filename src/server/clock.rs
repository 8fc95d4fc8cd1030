//! Time: the tunnel clock (`--time-scale`), wall-clock timestamps and their formats.
//!
//! Tunnel lifetimes run on a scaled clock so a 1-minute tunnel can expire in a second: one
//! tunnel-minute lasts `60 / scale` real seconds. Instants are kept as `f64` seconds since the
//! clock started, so no arithmetic on them can overflow or panic, whatever the input.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The largest accepted `--time-scale` (one tunnel-minute lasts at least 60 µs).
pub const MAX_TIME_SCALE: f64 = 1_000_000.0;

#[derive(Debug, Clone)]
pub struct Clock {
    scale: f64,
    start: Instant,
    /// Added to every reading; tests and fuzz targets move it, to expire tunnels without sleeping.
    offset: Arc<Mutex<Duration>>,
}

impl Clock {
    /// `scale` must be finite and in `(0, MAX_TIME_SCALE]` (checked by `ServerConfig::validate`);
    /// anything else falls back to 1 so the clock itself can never misbehave.
    pub fn new(scale: f64) -> Clock {
        let scale = if scale.is_finite() && scale > 0.0 && scale <= MAX_TIME_SCALE {
            scale
        } else {
            1.0
        };
        Clock {
            scale,
            start: Instant::now(),
            offset: Arc::default(),
        }
    }

    fn offset(&self) -> Duration {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Real seconds since the clock started.
    pub fn now(&self) -> f64 {
        (self.start.elapsed() + self.offset()).as_secs_f64()
    }

    /// The wall-clock time (what `createdAt` reports).
    pub fn wall(&self) -> SystemTime {
        SystemTime::now() + self.offset()
    }

    /// Real seconds that `minutes` tunnel-minutes last.
    pub fn tunnel_minutes(&self, minutes: f64) -> f64 {
        minutes * 60.0 / self.scale
    }

    /// Moves both readings forward (tests, and fuzz targets through `server::Control`).
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

/// Seconds since the Unix epoch (negative before it).
pub fn epoch_secs(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// `t` shifted by `secs` real seconds, saturating instead of panicking.
pub fn add_secs(t: SystemTime, secs: f64) -> SystemTime {
    let d = Duration::try_from_secs_f64(secs.abs()).unwrap_or(Duration::ZERO);
    if secs >= 0.0 {
        t.checked_add(d).unwrap_or(t)
    } else {
        t.checked_sub(d).unwrap_or(t)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn split(t: SystemTime) -> (i64, i64, i64, i64, i64, i64) {
    let secs = epoch_secs(t).floor() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `2015-08-30T12:36:00Z`.
pub fn iso8601(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20150830T123600Z`, the SigV4 `X-Amz-Date` form.
pub fn amz_date(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = split(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// Parses the SigV4 `X-Amz-Date` form `YYYYMMDDTHHMMSSZ`.
pub fn parse_amz_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_round_trips() {
        let t = parse_amz_date("20150830T123600Z").unwrap();
        assert_eq!(epoch_secs(t), 1_440_938_160.0);
        assert_eq!(amz_date(t), "20150830T123600Z");
        assert_eq!(iso8601(t), "2015-08-30T12:36:00Z");
        assert_eq!(
            parse_amz_date("20240229T000000Z").map(amz_date).as_deref(),
            Some("20240229T000000Z")
        );
        for bad in [
            "",
            "2015-08-30T12:36:00Z",
            "20151330T123600Z",
            "2015083012360Z0",
            "+0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn scale_shortens_tunnel_minutes_and_bad_scales_fall_back() {
        assert_eq!(Clock::new(60.0).tunnel_minutes(1.0), 1.0);
        assert_eq!(Clock::new(1.0).tunnel_minutes(720.0), 43_200.0);
        assert_eq!(Clock::new(f64::NAN).tunnel_minutes(1.0), 60.0);
        assert_eq!(Clock::new(-3.0).tunnel_minutes(1.0), 60.0);
    }

    #[test]
    fn advance_moves_both_readings() {
        let c = Clock::new(1.0);
        let (n, w) = (c.now(), c.wall());
        c.advance(Duration::from_secs(3600));
        assert!(c.now() >= n + 3600.0);
        assert!(c.wall() >= w + Duration::from_secs(3600));
        assert_eq!(add_secs(w, -1e300), w, "saturates instead of panicking");
    }
}
