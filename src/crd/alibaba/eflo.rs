//! `efloNodeGroup` and `interconnectConfig`: ACK's Lingjun (EFLO) node group and interconnect settings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::drop_description;

/// Lingjun (EFLO) node group of a `lingjun` pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EfloNodeGroup {
    /// ID of the Lingjun cluster.
    /// Immutable: ModifyClusterNodePool cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// ID of the node group in the Lingjun cluster.
    /// Immutable: ModifyClusterNodePool cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// Add nodes of the group to the pool automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_attach_enabled: Option<bool>,
    /// Worker RAM role of the Lingjun nodes.
    /// Immutable: ModifyClusterNodePool cannot carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_ram_role_name: Option<String>,
}

/// How edge nodes reach the cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum InterconnectMode {
    /// Over the Internet.
    Basic,
    /// Over Express Connect, VPN or CEN.
    Private,
}

/// Deprecated network settings of an enhanced edge pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InterconnectConfig {
    /// Deprecated. Bandwidth of the enhanced edge pool, in Mbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandwidth: Option<i64>,
    /// Deprecated. Cloud Connect Network (CCN) instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccn_id: Option<String>,
    /// Deprecated. Region of the CCN instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ccn_region_id: Option<String>,
    /// Deprecated. Cloud Enterprise Network (CEN) instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cen_id: Option<String>,
    /// Deprecated. Subscription length of the enhanced edge pool, in months (a string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub improved_period: Option<String>,
}
