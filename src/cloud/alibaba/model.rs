//! ACK (CS 2015-12-15) wire models: the node pool object of DescribeClusterNodePoolDetail /
//! DescribeClusterNodePools and the task answers. Unnamed fields are kept in `extra` (so a newer
//! ACK answer round-trips without loss); counts are read leniently, never fatally.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cloud::huawei::model::lenient_count;
use crate::cloud::{CloudPool, NodeCounts, PoolCondition};

/// A node pool object (snake_case, as ACK sends it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePool {
    /// `nodepool_info`: ID, name, type, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodepool_info: Option<NodepoolInfo>,
    /// `status`: state and node counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Every other top-level object (`scaling_group`, `kubernetes_config`, `management`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `nodepool_info`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodepoolInfo {
    /// The pool's ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodepool_id: Option<String>,
    /// The pool's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Status {
    /// `active`, `scaling`, `removing`, `deleting`, `updating`, `initial`, `failed`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// All nodes.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub total_nodes: Option<i64>,
    /// Healthy nodes.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub healthy_nodes: Option<i64>,
    /// Nodes being created.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub initial_nodes: Option<i64>,
    /// Nodes being removed.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub removing_nodes: Option<i64>,
    /// Failed nodes.
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub failed_nodes: Option<i64>,
    /// Conditions (DescribeClusterNodePoolDetail only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<Condition>>,
    /// Fields this model does not name (`serving_nodes`, `offline_nodes`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `status.conditions` item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
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
    /// Fields this model does not name (`last_transition_time`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// DescribeClusterNodePools: `{nodepools: [...]}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoolList {
    /// The pools: `None` when the answer lacks the field (an error for the caller),
    /// `Some(None)` for `null` (no pools).
    #[serde(
        default,
        deserialize_with = "crate::cloud::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub nodepools: Option<Option<Vec<NodePool>>>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// CreateClusterNodePool / ModifyClusterNodePool / DeleteClusterNodepool answers:
/// `{nodepool_id?, request_id, task_id}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskAnswer {
    /// The pool's ID (create, modify).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodepool_id: Option<String>,
    /// The request ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The asynchronous task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    /// Fields this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl NodePool {
    /// The pool's ID, if present and non-empty.
    pub fn id(&self) -> Option<&str> {
        self.nodepool_info
            .as_ref()
            .and_then(|i| i.nodepool_id.as_deref())
            .filter(|id| !id.is_empty())
    }

    /// The pool's name, if present.
    pub fn name(&self) -> Option<&str> {
        self.nodepool_info.as_ref().and_then(|i| i.name.as_deref())
    }

    /// Whether `scaling_group.tags` (the ECS tags of the pool, which DescribeClusterNodePools
    /// and DescribeClusterNodePoolDetail return) holds `{key, value}`.
    pub fn has_tag(&self, key: &str, value: &str) -> bool {
        self.extra
            .get("scaling_group")
            .and_then(|g| g.get("tags"))
            .and_then(Value::as_array)
            .is_some_and(|tags| {
                tags.iter().any(|t| {
                    t.get("key").and_then(Value::as_str) == Some(key)
                        && t.get("value").and_then(Value::as_str) == Some(value)
                })
            })
    }

    /// The cloud-neutral view; `None` without an ID. `spec` is the whole object except
    /// `status`, snake_case as ACK sends it.
    pub fn to_cloud_pool(&self) -> Option<CloudPool> {
        let id = self.id()?.to_owned();
        let status = self.status.clone().unwrap_or_default();
        let mut spec = self.extra.clone();
        if let Some(Ok(info)) = self.nodepool_info.as_ref().map(serde_json::to_value) {
            spec.insert("nodepool_info".into(), info);
        }
        let desired = spec
            .get("scaling_group")
            .and_then(|g| g.get("desired_size"))
            .and_then(|v| match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.parse().ok(),
                _ => None,
            });
        Some(CloudPool {
            id,
            name: self.name().unwrap_or_default().to_owned(),
            cloud_phase: status.state.clone().unwrap_or_default(),
            nodes: NodeCounts {
                current: status.total_nodes,
                desired,
                creating: status.initial_nodes,
                deleting: status.removing_nodes,
                healthy: status.healthy_nodes,
                failed: status.failed_nodes,
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
            owner: None,
            managed: Default::default(),
            spec: Value::Object(spec),
        })
        .map(|mut pool| {
            pool.owner = super::marks::owner(&pool.spec);
            pool.managed = super::marks::managed(&pool.spec);
            pool
        })
    }
}
