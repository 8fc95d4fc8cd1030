//! A sequence of lifecycle steps as text, for reproductions a user can read and replay
//! (`rotcheck fuzz --replay '...'`):
//!
//! ```text
//! open:2m advance:40s rotate:#0:SOURCE advance:80s list
//! ```
//!
//! Steps are separated by spaces (or commas). `#i` is the i-th tunnel the sequence opened,
//! `unknown` a well-formed id no tunnel has. Each step:
//! `open:<1..12|720>m[:config]`, `rotate:<tunnel>:<SOURCE|DESTINATION|ALL>[:config]`,
//! `describe:<tunnel>`, `close:<tunnel>[:delete]`, `list`, `tag:<tunnel>:k<0..3>:v<0..255>`,
//! `advance:<20..1280, a multiple of 20>s` (tunnel time).

use std::fmt::Write as _;

use thiserror::Error;

use super::driver::{advance_tunnel_secs, open_minutes, pick_index};
use super::input::ModeChoice;
use super::lifecycle::Step;

#[derive(Debug, Error, PartialEq, Eq)]
#[error("step {index} ({text:?}): {why}")]
pub struct NotationError {
    /// 1-based.
    pub index: usize,
    pub text: String,
    pub why: String,
}

fn mode_name(m: ModeChoice) -> &'static str {
    m.client_mode().as_str()
}

/// `steps` as text: each tunnel reference resolved the way the driver resolves it.
pub fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    let mut opened = 0usize;
    for (n, step) in steps.iter().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        let t = |b: u8| pick_index(b, opened).map_or("unknown".to_owned(), |i| format!("#{i}"));
        let _ = match step {
            Step::Open { lifetime, config } => {
                opened += 1;
                write!(
                    out,
                    "open:{}m{}",
                    open_minutes(*lifetime),
                    if *config { ":config" } else { "" }
                )
            }
            Step::Rotate { tunnel, mode, config } => write!(
                out,
                "rotate:{}:{}{}",
                t(*tunnel),
                mode_name(*mode),
                if *config { ":config" } else { "" }
            ),
            Step::Describe { tunnel } => write!(out, "describe:{}", t(*tunnel)),
            Step::Close { tunnel, delete } => {
                write!(out, "close:{}{}", t(*tunnel), if *delete { ":delete" } else { "" })
            }
            Step::List => write!(out, "list"),
            Step::Tag { tunnel, key, value } => write!(out, "tag:{}:k{}:v{value}", t(*tunnel), key % 4),
            Step::Advance { secs } => write!(out, "advance:{}s", advance_tunnel_secs(*secs)),
        };
    }
    out
}

/// The steps `text` names ([`render`]'s output parses back to steps that run the same requests).
// Long: one arm per step form, so the whole notation reads in one place (`render` mirrors it).
pub fn parse(text: &str) -> Result<Vec<Step>, NotationError> {
    let mut steps = Vec::new();
    let mut opened = 0usize;
    for (n, word) in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        let fail = |why: &str| NotationError {
            index: n + 1,
            text: word.to_owned(),
            why: why.to_owned(),
        };
        let parts: Vec<&str> = word.split(':').collect();
        let tunnel = |p: Option<&&str>| -> Result<u8, NotationError> {
            match p.copied() {
                Some("unknown") => u8::try_from(opened).map_err(|_| fail("too many tunnels")),
                Some(s) if s.starts_with('#') => {
                    let i: usize = s[1..].parse().map_err(|_| fail("a tunnel is #<number> or unknown"))?;
                    if i >= opened {
                        return Err(fail(&format!("only {opened} tunnel(s) are open at this step")));
                    }
                    u8::try_from(i).map_err(|_| fail("too many tunnels"))
                }
                _ => Err(fail("a tunnel is #<number> or unknown")),
            }
        };
        let flag = |p: Option<&&str>, name: &str| -> Result<bool, NotationError> {
            match p.copied() {
                None => Ok(false),
                Some(f) if f == name => Ok(true),
                Some(_) => Err(fail(&format!("the only option here is :{name}"))),
            }
        };
        let arity = |max: usize| {
            if parts.len() > max {
                Err(fail("too many ':' parts"))
            } else {
                Ok(())
            }
        };
        let step = match parts[0] {
            "open" => {
                arity(3)?;
                let minutes: i64 = parts
                    .get(1)
                    .and_then(|m| m.strip_suffix('m'))
                    .and_then(|m| m.parse().ok())
                    .ok_or_else(|| fail("open:<minutes>m, e.g. open:2m"))?;
                let lifetime = match minutes {
                    720 => u8::MAX,
                    1..=12 => (minutes - 1) as u8,
                    _ => return Err(fail("a lifetime of 1 to 12 minutes, or 720")),
                };
                opened += 1;
                Step::Open {
                    lifetime,
                    config: flag(parts.get(2), "config")?,
                }
            }
            "rotate" => {
                arity(4)?;
                let mode = match parts.get(2).copied() {
                    Some("SOURCE") => ModeChoice::Source,
                    Some("DESTINATION") => ModeChoice::Destination,
                    Some("ALL") => ModeChoice::All,
                    _ => return Err(fail("rotate:<tunnel>:<SOURCE|DESTINATION|ALL>")),
                };
                Step::Rotate {
                    tunnel: tunnel(parts.get(1))?,
                    mode,
                    config: flag(parts.get(3), "config")?,
                }
            }
            "describe" => {
                arity(2)?;
                Step::Describe {
                    tunnel: tunnel(parts.get(1))?,
                }
            }
            "close" => {
                arity(3)?;
                Step::Close {
                    tunnel: tunnel(parts.get(1))?,
                    delete: flag(parts.get(2), "delete")?,
                }
            }
            "list" => {
                arity(1)?;
                Step::List
            }
            "tag" => {
                arity(4)?;
                let num = |p: Option<&&str>, prefix: char, max: u32| {
                    p.and_then(|s| s.strip_prefix(prefix))
                        .and_then(|s| s.parse::<u32>().ok())
                        .filter(|v| *v <= max)
                        .map(|v| v as u8)
                        .ok_or_else(|| fail("tag:<tunnel>:k<0..3>:v<0..255>"))
                };
                Step::Tag {
                    tunnel: tunnel(parts.get(1))?,
                    key: num(parts.get(2), 'k', 3)?,
                    value: num(parts.get(3), 'v', 255)?,
                }
            }
            "advance" => {
                arity(2)?;
                let secs: u64 = parts
                    .get(1)
                    .and_then(|s| s.strip_suffix('s'))
                    .and_then(|s| s.parse().ok())
                    .filter(|s| (20..=1280).contains(s) && s % 20 == 0)
                    .ok_or_else(|| fail("advance:<seconds>s, a multiple of 20 from 20 to 1280"))?;
                Step::Advance {
                    secs: (secs / 20 - 1) as u8,
                }
            }
            _ => return Err(fail("unknown step (open, rotate, describe, close, list, tag, advance)")),
        };
        steps.push(step);
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzing::lifecycle::{seed_sequences, LifecycleInput};
    use arbitrary::{Arbitrary, Unstructured};

    #[test]
    fn rendered_sequences_parse_back_to_the_same_requests() {
        for (name, input) in seed_sequences() {
            let text = render(&input.steps);
            let back = parse(&text).unwrap_or_else(|e| panic!("{name}: {text}: {e}"));
            // The requests depend on the resolved tunnels, not on the raw bytes: compare renders.
            assert_eq!(render(&back), text, "{name}");
        }
        // Random sequences too (tunnel bytes far past the opened count, every variant).
        let bytes: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut u = Unstructured::new(&bytes);
        for _ in 0..50 {
            let Ok(input) = LifecycleInput::arbitrary(&mut u) else {
                break;
            };
            let text = render(&input.steps);
            let back = parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(render(&back), text);
        }
    }

    #[test]
    fn a_readable_sequence() {
        let steps =
            parse("open:2m, advance:40s rotate:#0:SOURCE describe:unknown close:#0:delete tag:#0:k1:v7").unwrap();
        assert_eq!(
            render(&steps),
            "open:2m advance:40s rotate:#0:SOURCE describe:unknown close:#0:delete tag:#0:k1:v7"
        );
    }

    #[test]
    fn mistakes_are_named() {
        for (text, why) in [
            ("rotate:#0:ALL", "only 0 tunnel(s)"),
            ("open:13m", "1 to 12 minutes"),
            ("open:2m advance:30s", "multiple of 20"),
            ("open:2m rotate:#0:BOTH", "SOURCE|DESTINATION|ALL"),
            ("open:2m jump", "unknown step"),
            ("open:2m close:#0:now", ":delete"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
    }
}
