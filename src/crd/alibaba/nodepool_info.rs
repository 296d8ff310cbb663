//! `nodepoolInfo`: ACK's `CreateClusterNodePoolRequestNodepoolInfo` (pool name, type, resource group).

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::drop_description;

/// Name, resource group and type of the node pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodepoolInfo {
    /// Name of the node pool at ACK. Default: the NodePool's `metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() > 0").message(
        "nodepoolInfo.name must not be empty; remove it to use metadata.name"
    ))]
    pub name: Option<String>,

    /// Resource group of the pool; the ECS instances it creates join this group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group_id: Option<String>,

    /// Pool type: `ess` (standard, default), `edge`, `lingjun` or `hybrid`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<NodePoolType>,
}

/// Node pool type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum NodePoolType {
    /// Standard pool (managed and auto scaling features).
    Ess,
    /// Edge node pool.
    Edge,
    /// Lingjun node pool.
    Lingjun,
    /// Hybrid cloud node pool.
    Hybrid,
}
