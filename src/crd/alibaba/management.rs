//! `management` and `autoMode`: ACK's `CreateClusterNodePoolRequestManagement` (auto repair, upgrade,
//! CVE fixing, surge settings) and `CreateClusterNodePoolRequestAutoMode`.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Managed node pool settings. The other fields only apply with `enable: true`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Management {
    /// Make this a managed node pool. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Repair faulty nodes automatically. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_repair: Option<bool>,
    /// How nodes are repaired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_repair_policy: Option<AutoRepairPolicy>,
    /// Use ECS fault diagnosis for node auto repair.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_fault_diagnosis: Option<bool>,
    /// Upgrade nodes automatically. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade: Option<bool>,
    /// What is upgraded automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade_policy: Option<AutoUpgradePolicy>,
    /// Fix CVE vulnerabilities automatically. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_vul_fix: Option<bool>,
    /// How CVEs are fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_vul_fix_policy: Option<AutoVulFixPolicy>,
    /// Node rotation; only for intelligent managed (auto mode) pools, where it is on by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift_enabled: Option<bool>,
    /// Deprecated: use `autoUpgrade`. Rolling upgrade settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_config: Option<UpgradeConfig>,
}

/// Node auto repair policy.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoRepairPolicy {
    /// Allow restarting nodes during repair (with `autoRepair: true`). Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_node: Option<bool>,
    /// Repairs wait for manual approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_required: Option<bool>,
    /// Nodes repaired at the same time: a number (1-100000) or a percentage (1%-100%).
    /// Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    #[x_kube(validation = Rule::new("self.matches('^([1-9][0-9]{0,4}|100000|([1-9][0-9]?|100)%)$')").message(
        "management.autoRepairPolicy.maxParallelRepairingNodes must be a number from 1 to 100000 or a percentage from 1% to 100%"
    ).reason(Reason::FieldValueInvalid))]
    pub max_parallel_repairing_nodes: Option<String>,
    /// Stop auto repair when this many nodes are faulty: a number (1-100000) or a percentage
    /// (1%-100%). Default: 100%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 8))]
    #[x_kube(validation = Rule::new("self.matches('^([1-9][0-9]{0,4}|100000|([1-9][0-9]?|100)%)$')").message(
        "management.autoRepairPolicy.maxUnhealthyNodesThreshold must be a number from 1 to 100000 or a percentage from 1% to 100%"
    ).reason(Reason::FieldValueInvalid))]
    pub max_unhealthy_nodes_threshold: Option<String>,
}

/// Node auto upgrade policy (with `autoUpgrade: true`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoUpgradePolicy {
    /// Upgrade the kubelet automatically. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade_kubelet: Option<bool>,
    /// Upgrade the operating system automatically. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade_os: Option<bool>,
    /// Upgrade the container runtime automatically. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade_runtime: Option<bool>,
}

/// CVE auto fix policy (with `autoVulFix: true`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoVulFixPolicy {
    /// Allow restarting nodes to fix CVEs. Default: true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_node: Option<bool>,
    /// Comma-separated CVE levels to fix: `asap` (high), `later` (medium), `nntf` (low), e.g.
    /// `asap,later`. Default: `asap`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 32))]
    #[x_kube(validation = Rule::new("self.matches('^(asap|later|nntf)(,(asap|later|nntf))*$')").message(
        "management.autoVulFixPolicy.vulLevel must be a comma-separated list of asap, later and nntf, e.g. asap,later"
    ).reason(Reason::FieldValueInvalid))]
    pub vul_level: Option<String>,
    /// Packages not to update when fixing CVEs. Default: `kernel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_packages: Option<String>,
}

/// Deprecated rolling upgrade settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new("!(has(self.surge) && has(self.surgePercentage))").message(
    "set only one of management.upgradeConfig.surge or management.upgradeConfig.surgePercentage"
))]
#[serde(rename_all = "camelCase")]
pub struct UpgradeConfig {
    /// Deprecated: use `management.autoUpgrade`. Enable auto upgrade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_upgrade: Option<bool>,
    /// Maximum number of unavailable nodes; 1 to 1000. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub max_unavailable: Option<i64>,
    /// Extra nodes created during an upgrade (not more than the current node count). Not
    /// together with `surgePercentage`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub surge: Option<i64>,
    /// Extra nodes during an upgrade as a percentage of the node count. Not together with
    /// `surge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub surge_percentage: Option<i64>,
}

/// Auto mode settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoMode {
    /// Enable auto mode; only valid if auto mode is enabled for the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
}
