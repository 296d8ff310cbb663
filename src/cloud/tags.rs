//! Reading and writing `{key, value}` tag lists and taint lists, the shapes both clouds use for
//! the owner mark and the managed fields (see `huawei::marks` and `alibaba::marks`).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{OwnerMark, Taint};

/// The `(key, value)` pairs of a `[{key, value}]` list (a missing value reads as empty).
pub(crate) fn pairs(list: Option<&Value>) -> impl Iterator<Item = (&str, &str)> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some((
                t.get("key")?.as_str()?,
                t.get("value").and_then(Value::as_str).unwrap_or(""),
            ))
        })
}

/// The owner mark in a tag list: the value of `uid_key`, and of `name_key` when present.
pub(crate) fn owner(list: Option<&Value>, uid_key: &str, name_key: &str) -> Option<OwnerMark> {
    let mut uid = None;
    let mut name = None;
    for (k, v) in pairs(list) {
        if k == uid_key {
            uid = Some(v.to_owned());
        } else if k == name_key {
            name = Some(v.to_owned());
        }
    }
    uid.map(|uid| OwnerMark { uid, name })
}

/// `list` without the entries whose key `is_mark` selects, followed by `marks`.
pub(crate) fn with_marks(
    list: Option<&Value>,
    is_mark: impl Fn(&str) -> bool,
    marks: [Value; 2],
) -> Value {
    let mut tags: Vec<Value> = list
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter(|t| !t.get("key").and_then(Value::as_str).is_some_and(&is_mark))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    tags.extend(marks);
    Value::Array(tags)
}

/// The taints of a `[{key, value, effect}]` list.
pub(crate) fn taints(list: Option<&Value>) -> BTreeSet<Taint> {
    list.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| Taint {
            key: t["key"].as_str().unwrap_or_default().to_owned(),
            value: t["value"].as_str().unwrap_or_default().to_owned(),
            effect: t["effect"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// A node count given as a number or a numeric string.
pub(crate) fn count(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}
