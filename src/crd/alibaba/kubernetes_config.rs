//! `kubernetesConfig`: ACK's `CreateClusterNodePoolRequestKubernetesConfig` (labels, taints, runtime,
//! CPU policy, scripts).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::drop_description;

/// Kubernetes settings of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubernetesConfig {
    /// Kubernetes labels of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<NodeLabel>>,
    /// Kubernetes taints of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<Taint>>,
    /// Container runtime: `containerd` (default, recommended), `Sandboxed-Container.runv`
    /// (clusters up to 1.31) or `docker` (unmaintained; clusters up to 1.22).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<ContainerRuntime>,
    /// Version of the container runtime, e.g. `1.6.28`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_version: Option<String>,
    /// kubelet CPU management policy: `none` (default) or `static` (exclusive CPUs for
    /// Guaranteed pods).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_policy: Option<CpuPolicy>,
    /// Install the CloudMonitor agent on the nodes. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cms_enabled: Option<bool>,
    /// New nodes join unschedulable (cordoned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unschedulable: Option<bool>,
    /// Custom node names as `customized,<prefix>,ip,<suffix>`: the node, ECS instance and host
    /// name become `<prefix><private IP><suffix>` (2 to 64 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name_mode: Option<String>,
    /// Base64-encoded script run on each node after it joins the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<String>,
    /// Base64-encoded script run on each node before it joins the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_user_data: Option<String>,
}

/// A Kubernetes node label.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeLabel {
    /// Label key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Label value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A Kubernetes node taint.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Taint {
    /// Taint key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Taint value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `NoSchedule` (default), `NoExecute` or `PreferNoSchedule`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<TaintEffect>,
}

/// Effect of a taint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum TaintEffect {
    /// Do not schedule pods that do not tolerate the taint.
    NoSchedule,
    /// Also evict running pods that do not tolerate the taint.
    NoExecute,
    /// Avoid scheduling pods that do not tolerate the taint.
    PreferNoSchedule,
}

/// Container runtime of the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum ContainerRuntime {
    /// containerd.
    #[serde(rename = "containerd")]
    Containerd,
    /// Sandboxed containers (runV).
    #[serde(rename = "Sandboxed-Container.runv")]
    SandboxedContainerRunv,
    /// Docker (unmaintained).
    #[serde(rename = "docker")]
    Docker,
}

/// kubelet CPU management policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum CpuPolicy {
    /// Default CPU affinity.
    None,
    /// Exclusive CPUs for Guaranteed pods.
    Static,
}
