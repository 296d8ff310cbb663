//! `nodeTemplate.extendParam`: CCE's `NodeExtendParam` and its enums.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::keep_field_docs;

/// Extended node parameters (CCE `extendParam`), with CCE's key names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct CceNodeExtendParam {
    /// ECS flavor category; reported by CCE, not needed on create.
    /// Immutable: CCE's update cannot carry it.
    #[serde(
        rename = "ecs:performancetype",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    // CEL cannot address a name with ':', so no rule on `nodeTemplate` can see this key; this
    // rule refuses changing it, but not setting or removing it.
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.huawei.nodeTemplate.extendParam.ecs:performancetype cannot change after the pool is created (CCE cannot change it in place); it is reported by CCE, leave it out or as CCE reports it"))]
    pub ecs_performancetype: Option<String>,

    /// Order ID; reported by CCE for yearly/monthly single nodes, not for pools.
    /// Immutable: CCE's update cannot carry it.
    #[serde(rename = "orderID", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,

    /// Product ID; reported by CCE for yearly/monthly nodes and pools.
    /// Immutable: CCE's update cannot carry it.
    #[serde(rename = "productID", default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,

    /// Most pods per node, system pods included: 16-256 (up to 1024 with the `kuasar-vmm` runtime).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(rename = "maxPods", default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 16 && self <= 1024").message("extendParam.maxPods must be between 16 and 256 (up to 1024 for kuasar-vmm secure-runtime nodes)"))]
    pub max_pods: Option<i64>,

    /// Yearly/monthly billing (`billingMode` 1 or 2, then required): `month` or `year`.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "periodType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub period_type: Option<CcePeriodType>,

    /// Number of periods (`billingMode` 1 or 2, then required): 1-9 months, or 1 year.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(rename = "periodNum", default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 1 && self <= 9").message("extendParam.periodNum must be 1-9 (months) or 1 (year)"))]
    pub period_num: Option<i64>,

    /// Renew yearly/monthly nodes automatically: `"true"` or `"false"` (default).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "isAutoRenew",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_auto_renew: Option<CceStringBool>,

    /// Pay yearly/monthly orders automatically: `"true"` or `"false"` (default for `billingMode` 1).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(rename = "isAutoPay", default, skip_serializing_if = "Option::is_none")]
    pub is_auto_pay: Option<CceStringBool>,

    /// Deprecated (use `storage`): Docker data disk layout, e.g.
    /// `dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "DockerLVMConfigOverride",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub docker_lvm_config_override: Option<String>,

    /// Deprecated (use `containerBaseSize`): disk space per container in GiB, 10-500; 0 or unset: default.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "dockerBaseSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self == 0 || (self >= 10 && self <= 500)").message("extendParam.dockerBaseSize must be 10-500 (GiB), or 0 for the default"))]
    pub docker_base_size: Option<i64>,

    /// Disk space per container in GiB, 10-500; 0 or unset: default (10 with Devicemapper,
    /// unlimited with OverlayFS). Cannot be changed by a pool update.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "containerBaseSize",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self == 0 || (self >= 10 && self <= 500)").message("extendParam.containerBaseSize must be 10-500 (GiB), or 0 for the default"))]
    pub container_base_size: Option<i64>,

    /// SSH public key of a single node; not supported for pools (use `login.sshKey`).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,

    /// Script run before the node is installed, Base64-encoded (`echo -n "$script" | base64`).
    #[serde(
        rename = "alpha.cce/preInstall",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_install: Option<String>,

    /// Script run after the node is installed, Base64-encoded (`echo -n "$script" | base64`).
    #[serde(
        rename = "alpha.cce/postInstall",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub post_install: Option<String>,

    /// ID of a private IMS image for the nodes (then `os` is optional).
    #[serde(
        rename = "alpha.cce/NodeImageID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub node_image_id: Option<String>,

    /// Deprecated: billing mode; use `nodeTemplate.billingMode`.
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "chargingMode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub charging_mode: Option<i64>,

    /// `spot`: create spot instances (only with `billingMode` 0).
    /// Immutable: CCE cannot change the billing of a pool; create a new NodePool.
    #[serde(
        rename = "marketType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub market_type: Option<CceMarketType>,

    /// Highest hourly price for spot instances (between the market and the pay-per-use price);
    /// unset: the pay-per-use price.
    #[serde(rename = "spotPrice", default, skip_serializing_if = "Option::is_none")]
    pub spot_price: Option<String>,

    /// Name of the IAM agency that gives the nodes temporary credentials for cloud services.
    #[serde(
        rename = "agency_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub agency_name: Option<String>,

    /// Memory reserved for Kubernetes components, in MiB (default depends on the flavor).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedMem",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_mem: Option<i64>,

    /// Memory reserved for system components, in MiB (default depends on the flavor).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedMem",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_mem: Option<i64>,

    /// CPU reserved for Kubernetes components, in millicores; with `systemReservedCpu` under 50%
    /// of the smallest flavor's CPU.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedCpu",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_cpu: Option<i64>,

    /// CPU reserved for system components, in millicores; with `kubeReservedCpu` under 50%
    /// of the smallest flavor's CPU.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedCpu",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_cpu: Option<i64>,

    /// Process IDs reserved for Kubernetes components, 0-2097152; with `systemReservedPid`
    /// under 50% of the node's `kernel.pid_max`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedPid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self >= 0 && self <= 2097152").message("extendParam.kubeReservedPid must be 0-2097152"))]
    pub kube_reserved_pid: Option<i64>,

    /// Process IDs reserved for system daemons, 0-2097152; with `kubeReservedPid` under 50%
    /// of the node's `kernel.pid_max`.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedPid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[x_kube(validation = Rule::new("self >= 0 && self <= 2097152").message("extendParam.systemReservedPid must be 0-2097152"))]
    pub system_reserved_pid: Option<i64>,

    /// Ephemeral storage reserved for Kubernetes components, in GiB; with `systemReservedStorage`
    /// under 50% of the container disk space.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "kubeReservedStorage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub kube_reserved_storage: Option<i64>,

    /// Ephemeral storage reserved for system daemons, in GiB; with `kubeReservedStorage`
    /// under 50% of the container disk space.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "systemReservedStorage",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_reserved_storage: Option<i64>,

    /// Node password of a single node (CCE shows it masked). DISCOURAGED: stored in etcd as
    /// written; use `login.sshKey`. Not reported for pools.
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "init-node-password",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub init_node_password: Option<String>,

    /// `cybersecurity`: harden the OS to MLPS 2.0 level 3 (HCE 2.0 only); empty: no hardening;
    /// `null` (the string): turn hardening off on update (unset keeps the current value).
    #[serde(
        rename = "securityReinforcementType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub security_reinforcement_type: Option<CceSecurityReinforcement>,

    /// ECS metadata service (IMDS) tokens: `optional` (default; v1 and v2) or `required` (v2 only).
    /// Immutable: CCE's update cannot carry it; create a new NodePool.
    #[serde(
        rename = "serverMetadataHttpTokens",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub server_metadata_http_tokens: Option<CceHttpTokens>,
}

/// Yearly/monthly billing period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CcePeriodType {
    /// Months.
    Month,
    /// Years.
    Year,
}

/// A boolean that CCE writes as the string `"true"` or `"false"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceStringBool {
    /// "true".
    True,
    /// "false".
    False,
}

/// Market type of the nodes' ECS servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceMarketType {
    /// Spot instances.
    Spot,
}

/// OS security hardening of the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceSecurityReinforcement {
    /// Empty: no hardening.
    #[serde(rename = "")]
    Empty,
    /// MLPS 2.0 level 3 hardening.
    #[serde(rename = "cybersecurity")]
    Cybersecurity,
    /// The string "null": turn hardening off on update.
    #[serde(rename = "null")]
    Off,
}

/// ECS metadata service token mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceHttpTokens {
    /// IMDS v1 and v2.
    Optional,
    /// IMDS v2 only.
    Required,
}
