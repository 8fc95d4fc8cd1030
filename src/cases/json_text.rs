//! Request bodies as JSON text, including text a JSON library will not produce: duplicate keys,
//! lone surrogate escapes, `NaN`, raw control characters, invalid UTF-8. Mutations edit a
//! `serde_json::Value` where they can and splice raw fragments into its serialization where they
//! must.

use serde_json::Value;

/// One step of a path into a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub fn key(k: &str) -> Seg {
    Seg::Key(k.to_owned())
}

/// `destinationConfig.services.member`: the AWS form of a member path (list items are `member`),
/// also used in case ids.
pub fn dotted(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => k.as_str(),
            Seg::Index(_) => "member",
        })
        .collect::<Vec<_>>()
        .join(".")
}

pub fn get<'a>(v: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| match seg {
        Seg::Key(k) => cur.as_object()?.get(k),
        Seg::Index(i) => cur.as_array()?.get(*i),
    })
}

fn get_mut<'a>(v: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |cur, seg| match seg {
        Seg::Key(k) => cur.as_object_mut()?.get_mut(k),
        Seg::Index(i) => cur.as_array_mut()?.get_mut(*i),
    })
}

/// Set the value at `path`, adding the last key if missing. False if the parent does not exist.
pub fn set(v: &mut Value, path: &[Seg], new: Value) -> bool {
    let Some((last, parent)) = path.split_last() else {
        *v = new;
        return true;
    };
    match (get_mut(v, parent), last) {
        (Some(Value::Object(m)), Seg::Key(k)) => {
            m.insert(k.clone(), new);
            true
        }
        (Some(Value::Array(a)), Seg::Index(i)) if *i < a.len() => {
            a[*i] = new;
            true
        }
        _ => false,
    }
}

/// Remove the value at `path`, keeping the order of the other members.
pub fn remove(v: &mut Value, path: &[Seg]) -> Option<Value> {
    let (last, parent) = path.split_last()?;
    match (get_mut(v, parent)?, last) {
        (Value::Object(m), Seg::Key(k)) => m.shift_remove(k),
        (Value::Array(a), Seg::Index(i)) if *i < a.len() => Some(a.remove(*i)),
        _ => None,
    }
}

/// Stands in for a raw fragment while serializing. Not a value any case uses.
const MARK: &str = "@@rotcheck-raw-fragment@@";

/// The JSON text of `v` with the value at `path` replaced by the raw text `fragment`.
/// An empty path replaces the whole body.
pub fn splice(v: &Value, path: &[Seg], fragment: &str) -> Vec<u8> {
    let mut copy = v.clone();
    if !set(&mut copy, path, Value::String(MARK.into())) {
        return v.to_string().into_bytes();
    }
    copy.to_string()
        .replacen(&format!("\"{MARK}\""), fragment, 1)
        .into_bytes()
}

/// The JSON text of the object at `path` with `"name": value_text` appended as its last member.
/// The member may already exist: that is how duplicate keys are made.
pub fn with_extra_member(v: &Value, path: &[Seg], name: &str, value_text: &str) -> Option<Vec<u8>> {
    let obj = get(v, path)?.as_object()?;
    let text = Value::Object(obj.clone()).to_string();
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let sep = if inner.is_empty() { "" } else { "," };
    let member = format!("{{{inner}{sep}{}:{value_text}}}", string_literal(name, false));
    Some(splice(v, path, &member))
}

/// A JSON string literal for `s`. With `ascii_only`, every non-ASCII character is written as a
/// `\uXXXX` escape (astral characters as a surrogate pair); otherwise as raw UTF-8.
pub fn string_literal(s: &str, ascii_only: bool) -> String {
    if !ascii_only {
        return Value::String(s.to_owned()).to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || (c as u32) >= 0x7f => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body() -> Value {
        json!({"tunnelId": "{{tunnelId}}", "clientMode": "ALL",
               "destinationConfig": {"thingName": "t", "services": ["SSH", "RDP"]}})
    }

    #[test]
    fn paths_get_set_remove_keep_order() {
        let mut v = body();
        let p = [key("destinationConfig"), key("services"), Seg::Index(1)];
        assert_eq!(dotted(&p), "destinationConfig.services.member");
        assert_eq!(get(&v, &p), Some(&json!("RDP")));
        assert!(set(&mut v, &p, json!(5)));
        assert_eq!(v["destinationConfig"]["services"], json!(["SSH", 5]));
        assert_eq!(remove(&mut v, &[key("tunnelId")]), Some(json!("{{tunnelId}}")));
        assert_eq!(v.as_object().unwrap().keys().next().unwrap(), "clientMode");
        assert!(!set(&mut v, &[key("nope"), key("x")], json!(1)));
    }

    #[test]
    fn splice_inserts_raw_text() {
        let text = splice(&body(), &[key("clientMode")], "NaN");
        let s = String::from_utf8(text).unwrap();
        assert!(s.contains("\"clientMode\":NaN"), "{s}");
        assert!(serde_json::from_str::<Value>(&s).is_err());
    }

    #[test]
    fn duplicate_member_is_appended_last() {
        let text = with_extra_member(&body(), &[], "clientMode", "\"SOURCE\"").unwrap();
        let s = String::from_utf8(text).unwrap();
        assert_eq!(s.matches("\"clientMode\"").count(), 2);
        assert!(s.ends_with(",\"clientMode\":\"SOURCE\"}"), "{s}");
        let nested = with_extra_member(&body(), &[key("destinationConfig")], "thingName", "\"u\"").unwrap();
        let s = String::from_utf8(nested).unwrap();
        assert!(
            s.contains("\"thingName\":\"t\",\"services\":[\"SSH\",\"RDP\"],\"thingName\":\"u\"}"),
            "{s}"
        );
    }

    #[test]
    fn ascii_only_literals_escape_everything_else() {
        assert_eq!(
            string_literal("a\u{200b}😀\u{0}", true),
            "\"a\\u200b\\ud83d\\ude00\\u0000\""
        );
        let back: String = serde_json::from_str(&string_literal("a\u{200b}😀\u{0}", true)).unwrap();
        assert_eq!(back, "a\u{200b}😀\u{0}");
        assert_eq!(string_literal("é", false), "\"é\"");
    }
}
