//! Walking a JSON tree with the JSON Pointer (RFC 6901) of every value, so each error and
//! warning names the member it is about, and each object remembers which members were read:
//! the rest are the unknown ones, reported rather than silently dropped.

use serde_json::{Map, Value};

use super::MudError;

/// An object being read: which members were asked for, so the others can be listed.
pub(super) struct Obj<'a> {
    map: &'a Map<String, Value>,
    pub path: String,
    used: Vec<&'a str>,
}

/// `path` + `/key`, escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`).
pub(super) fn child(path: &str, key: &str) -> String {
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

pub(super) fn err(path: &str, message: impl Into<String>) -> MudError {
    MudError::Field {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
        message: message.into(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl<'a> Obj<'a> {
    pub fn new(value: &'a Value, path: &str) -> Result<Obj<'a>, MudError> {
        match value {
            Value::Object(map) => Ok(Obj {
                map,
                path: path.to_string(),
                used: Vec::new(),
            }),
            other => Err(err(
                path,
                format!("expected an object, found {}", kind(other)),
            )),
        }
    }

    /// The first of `names` present (the final RFC name first, then draft spellings), with
    /// the name found. Every one of `names` counts as known.
    pub fn any(&mut self, names: &[&'a str]) -> Option<(&'a str, &'a Value, String)> {
        self.used.extend_from_slice(names);
        names.iter().find_map(|n| {
            self.map
                .get_key_value(*n)
                .map(|(k, v)| (k.as_str(), v, child(&self.path, k)))
        })
    }

    pub fn get(&mut self, name: &'a str) -> Option<(&'a Value, String)> {
        self.any(&[name]).map(|(_, v, p)| (v, p))
    }

    /// A member that must be present (any of its spellings).
    pub fn require(&mut self, names: &[&'a str]) -> Result<(&'a Value, String), MudError> {
        match self.any(names) {
            Some((_, v, p)) => Ok((v, p)),
            None => Err(err(
                &self.path,
                format!("missing member {:?}", names.first().copied().unwrap_or("")),
            )),
        }
    }

    /// Pointers of the members no one asked for.
    pub fn unknown(&self) -> Vec<String> {
        self.map
            .keys()
            .filter(|k| !self.used.contains(&k.as_str()))
            .map(|k| child(&self.path, k))
            .collect()
    }
}

pub(super) fn string<'v>(v: &'v Value, path: &str) -> Result<&'v str, MudError> {
    v.as_str()
        .ok_or_else(|| err(path, format!("expected a string, found {}", kind(v))))
}

pub(super) fn array<'v>(v: &'v Value, path: &str) -> Result<&'v [Value], MudError> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| err(path, format!("expected an array, found {}", kind(v))))
}

/// An unsigned integer in `0..=max`. RFC 7951 writes 8- to 32-bit integers as JSON numbers;
/// a number in a string (some generators quote everything) is read too.
pub(super) fn uint(v: &Value, path: &str, max: u64) -> Result<u64, MudError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    match n {
        Some(n) if n <= max => Ok(n),
        _ => Err(err(
            path,
            format!("expected an integer from 0 to {max}, found {v}"),
        )),
    }
}

/// A YANG identity: `prefix:name` or `name`; the name part.
pub(super) fn identity(s: &str) -> &str {
    s.rsplit_once(':').map_or(s, |(_, name)| name)
}
