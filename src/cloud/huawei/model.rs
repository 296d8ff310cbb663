//! CCE v3 wire models: what the controller reads from a `NodePool` answer. Every struct keeps the
//! fields it does not name in `extra`, so an answer from a newer CCE round-trips without loss;
//! counts are read leniently (a number or a numeric string; anything else is `None`, never fatal).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cloud::{CloudPool, NodeCounts, PoolCondition};

/// Reads an optional count: a JSON integer or a numeric string; anything else is `None`.
pub(crate) fn lenient_count<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<i64>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A CCE `NodePool` (create, show, update and delete answers; an item of list).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    /// `NodePool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `v3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Name, ID and timestamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// CCE's `NodePoolSpec`, unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Value>,
    /// The pool's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `NodePoolMetadata`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// The pool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The pool's ID (used in paths).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Fields this model does not name (annotations, timestamps, resourceVersion, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `NodePoolStatus` (and the create / delete variants).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// All nodes, excluding deleting ones.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub current_node: Option<i64>,
    /// Nodes being created.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub creating_node: Option<i64>,
    /// Nodes being deleted.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleting_node: Option<i64>,
    /// Available nodes.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub active_node: Option<i64>,
    /// The phase (empty or absent = settled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The job of a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// Fields this model does not name (repairingNode, scaleGroupStatuses, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `NodePoolCondition`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// The type.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub condition_type: Option<String>,
    /// `True` / `False`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Fields this model does not name (lastProbeTime, lastTransitTime, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The list answer: `{kind: "List", apiVersion: "v3", items: [NodePool]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolList {
    /// The pools: `None` when the answer lacks the field (an error for the caller),
    /// `Some(None)` for `null` (no pools).
    #[serde(
        default,
        deserialize_with = "crate::cloud::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub items: Option<Option<Vec<NodePool>>>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NodePool {
    /// The pool's ID (`metadata.uid`), if present and non-empty.
    pub fn id(&self) -> Option<&str> {
        self.metadata
            .as_ref()
            .and_then(|m| m.uid.as_deref())
            .filter(|id| !id.is_empty())
    }

    /// The cloud-neutral view; `None` without an ID.
    pub fn to_cloud_pool(&self) -> Option<CloudPool> {
        let id = self.id()?.to_owned();
        let status = self.status.clone().unwrap_or_default();
        let spec = self.spec.clone().unwrap_or(Value::Null);
        let desired = spec.get("initialNodeCount").and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        });
        Some(CloudPool {
            id,
            name: self
                .metadata
                .as_ref()
                .and_then(|m| m.name.clone())
                .unwrap_or_default(),
            cloud_phase: status.phase.clone().unwrap_or_default(),
            nodes: NodeCounts {
                current: status.current_node,
                desired,
                creating: status.creating_node,
                deleting: status.deleting_node,
                healthy: status.active_node,
                failed: None,
            },
            conditions: status
                .conditions
                .iter()
                .flatten()
                .map(|c| PoolCondition {
                    condition_type: c.condition_type.clone().unwrap_or_default(),
                    status: c.status.clone().unwrap_or_default(),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                })
                .collect(),
            status: self
                .status
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or(Value::Null),
            owner: super::marks::owner(&spec),
            managed: super::marks::managed(&spec),
            spec,
        })
    }

    /// Whether `spec.nodeTemplate.userTags` holds `{key, value}`.
    pub fn has_user_tag(&self, key: &str, value: &str) -> bool {
        self.spec
            .as_ref()
            .and_then(|s| s.pointer("/nodeTemplate/userTags"))
            .and_then(Value::as_array)
            .is_some_and(|tags| {
                tags.iter().any(|t| {
                    t.get("key").and_then(Value::as_str) == Some(key)
                        && t.get("value").and_then(Value::as_str) == Some(value)
                })
            })
    }
}
