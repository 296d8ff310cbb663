//! `nodeConfig`: ACK's `CreateClusterNodePoolRequestNodeConfig` (kubelet and OS parameters; camelCase on
//! the wire too, see [`super::wire::VERBATIM_PATHS`]).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::kubernetes_config::CpuPolicy;
use super::rules::drop_description;

/// Node-level configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeConfig {
    /// kubelet parameters, with kubelet's own KubeletConfiguration field names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubelet_configuration: Option<KubeletConfiguration>,
    /// Operating system parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_os_config: Option<NodeOsConfig>,
}

/// kubelet parameters (a subset of kubelet's KubeletConfiguration, same names and meaning).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletConfiguration {
    /// Allowed unsafe sysctl names or patterns, e.g. `net.core.somaxconn`, `kernel.msg*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_unsafe_sysctls: Option<Vec<String>>,
    /// IP addresses of the cluster DNS servers.
    #[serde(
        rename = "clusterDNS",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_dns: Option<Vec<String>>,
    /// Maximum number of log files per container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_files: Option<i64>,
    /// Maximum size of a container log file before rotation, e.g. `10Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_size: Option<String>,
    /// Maximum number of concurrent log rotation workers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_max_workers: Option<i64>,
    /// How often container logs are checked for rotation, e.g. `10s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_log_monitor_interval: Option<String>,
    /// Enforce CPU CFS quota for containers with CPU limits.
    #[serde(
        rename = "cpuCFSQuota",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_cfs_quota: Option<bool>,
    /// CPU CFS quota period, e.g. `100ms`.
    #[serde(
        rename = "cpuCFSQuotaPeriod",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu_cfs_quota_period: Option<String>,
    /// CPU manager policy: `none` or `static`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_manager_policy: Option<CpuPolicy>,
    /// Maximum burst of event records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_burst: Option<i64>,
    /// Maximum event records per second.
    #[serde(
        rename = "eventRecordQPS",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub event_record_qps: Option<i64>,
    /// Hard eviction thresholds, e.g. `memory.available: 100Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_hard: Option<BTreeMap<String, String>>,
    /// Soft eviction thresholds, e.g. `memory.available: 300Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_soft: Option<BTreeMap<String, String>>,
    /// Grace periods of the soft eviction thresholds, e.g. `memory.available: 30s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eviction_soft_grace_period: Option<BTreeMap<String, String>>,
    /// kubelet feature gates, e.g. `RotateKubeletServerCertificate: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_gates: Option<BTreeMap<String, bool>>,
    /// Disk usage percentage above which image garbage collection always runs.
    #[serde(
        rename = "imageGCHighThresholdPercent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub image_gc_high_threshold_percent: Option<i64>,
    /// Disk usage percentage below which image garbage collection never runs.
    #[serde(
        rename = "imageGCLowThresholdPercent",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub image_gc_low_threshold_percent: Option<i64>,
    /// Burst of requests to the API server.
    #[serde(
        rename = "kubeAPIBurst",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_api_burst: Option<i64>,
    /// Queries per second to the API server.
    #[serde(
        rename = "kubeAPIQPS",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_api_qps: Option<i64>,
    /// Resources reserved for Kubernetes components, e.g. `cpu: 100m`, `memory: 1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_reserved: Option<BTreeMap<String, String>>,
    /// Resources reserved for the operating system, e.g. `cpu: 100m`, `memory: 1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_reserved: Option<BTreeMap<String, String>>,
    /// Maximum number of pods on the node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_pods: Option<i64>,
    /// Memory manager policy: `None` or `Static`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_manager_policy: Option<MemoryManagerPolicy>,
    /// Maximum number of PIDs per pod.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_pids_limit: Option<i64>,
    /// Read-only kubelet port (0 disables it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only_port: Option<i64>,
    /// Burst of image pulls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_burst: Option<i64>,
    /// Image pulls per second.
    #[serde(
        rename = "registryPullQPS",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub registry_pull_qps: Option<i64>,
    /// Memory reserved per NUMA node (for the Static memory manager policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reserved_memory: Option<Vec<ReservedMemory>>,
    /// Pull images one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialize_image_pulls: Option<bool>,
    /// Issue and rotate kubelet serving certificates automatically; also set feature gate
    /// `RotateKubeletServerCertificate: true`. Clusters 1.30 and later (1.30-1.33 on request).
    #[serde(
        rename = "serverTLSBootstrap",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_tls_bootstrap: Option<bool>,
    /// Topology manager policy: `none`, `best-effort`, `restricted` or `single-numa-node`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topology_manager_policy: Option<TopologyManagerPolicy>,
    /// OpenTelemetry tracing of the kubelet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<KubeletTracing>,
}

/// Memory reserved on one NUMA node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReservedMemory {
    /// The NUMA node index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numa_node: Option<i64>,
    /// Reserved quantities by resource, e.g. `memory: 1Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<BTreeMap<String, String>>,
}

/// OpenTelemetry tracing of the kubelet.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KubeletTracing {
    /// Collector endpoint, e.g. `localhost:4317`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Spans sampled per million.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000000))]
    pub sampling_rate_per_million: Option<i64>,
}

/// kubelet memory manager policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum MemoryManagerPolicy {
    /// No memory management.
    None,
    /// NUMA-aware memory for Guaranteed pods.
    Static,
}

/// kubelet topology manager policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyManagerPolicy {
    /// No topology alignment.
    None,
    /// Prefer aligned resources.
    BestEffort,
    /// Reject pods without aligned resources.
    Restricted,
    /// Require resources from a single NUMA node.
    SingleNumaNode,
}

/// Operating system parameters of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeOsConfig {
    /// Transparent huge pages (`/sys/kernel/mm/transparent_hugepage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hugepage: Option<Hugepage>,
    /// Kernel parameters by sysctl name, e.g. `vm.max_map_count: 262144`. Only some parameters
    /// are supported; clusters 1.28 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sysctl: Option<BTreeMap<String, IntOrString>>,
}

/// Transparent huge page settings (names as on the wire).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hugepage {
    /// `transparent_hugepage/enabled`: `always`, `madvise` or `never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transparent_enabled: Option<TransparentHugepageEnabled>,
    /// `transparent_hugepage/defrag`: `always`, `defer`, `defer+madvise`, `madvise` or `never`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transparent_defrag: Option<TransparentHugepageDefrag>,
    /// `khugepaged/defrag`: 1 lets khugepaged defragment memory, 0 does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1))]
    pub khugepaged_defrag: Option<i64>,
    /// `khugepaged/alloc_sleep_millisecs`: wait after a failed huge page allocation, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub khugepaged_alloc_sleep_millisecs: Option<i64>,
    /// `khugepaged/scan_sleep_millisecs`: pause between khugepaged scans, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub khugepaged_scan_sleep_millisecs: Option<i64>,
    /// `khugepaged/pages_to_scan`: pages scanned per khugepaged pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub khugepaged_pages_to_scan: Option<i64>,
}

/// `transparent_hugepage/enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum TransparentHugepageEnabled {
    /// Always use huge pages.
    Always,
    /// Only in `madvise` regions.
    Madvise,
    /// Never.
    Never,
}

/// `transparent_hugepage/defrag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum TransparentHugepageDefrag {
    /// Stall allocations to defragment.
    #[serde(rename = "always")]
    Always,
    /// Defragment in the background.
    #[serde(rename = "defer")]
    Defer,
    /// `defer`, and direct reclaim in `madvise` regions.
    #[serde(rename = "defer+madvise")]
    DeferMadvise,
    /// Direct reclaim in `madvise` regions only.
    #[serde(rename = "madvise")]
    Madvise,
    /// Never.
    #[serde(rename = "never")]
    Never,
}
