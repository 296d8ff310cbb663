//! `spec.alibaba`: an Alibaba Cloud ACK node pool.
//!
//! The fields mirror the body of ACK's `CreateClusterNodePool` (Container Service API
//! 2015-12-15, as the official SDK `alibabacloud-cs20151215` 7.2.3 models it), with Alibaba's
//! snake_case names in lowerCamelCase (`scaling_group.instance_types` ->
//! `scalingGroup.instanceTypes`). [`AlibabaNodePool::create_body`] turns a spec back into the
//! snake_case wire body with [`to_wire`]; [`from_wire`] is the inverse. Both leave the subtrees
//! in [`VERBATIM_PATHS`] alone: their keys are not Alibaba snake_case names (kubelet's own
//! camelCase fields, sysctl names, free-form component configuration).
//!
//! Fields ACK cannot change after the pool is created (what `ModifyClusterNodePoolRequest`
//! cannot carry, plus `autoScaling.type`, which the SDK documents as not modifiable) are refused
//! on update by CEL transition rules on [`AlibabaNodePool`]; `tests/sdk/check_immutable.py`
//! derives that set from the SDK and checks it against the generated CRD.
//!
//! Doc comments become `kubectl explain` text; CEL rules sit next to the fields they guard.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::huawei::unchanged;

/// What to do about a field ACK cannot change: the generic advice.
const ACK_NEW_POOL: &str = "create a new NodePool with the new value and move the workloads to it";

/// A transition rule on `spec.alibaba` that refuses setting, changing or removing the field at
/// `path` (JSON names below `spec.alibaba`), which ModifyClusterNodePool cannot carry.
fn ack_fixed(path: &[&str], hint: &str) -> kube::core::Rule {
    unchanged(
        path,
        format!(
            "spec.alibaba.{} cannot be set, changed or removed after the pool is created (ACK cannot change it in place); {hint}",
            path.join(".")
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// The pool
// ---------------------------------------------------------------------------------------------

/// A node pool in an Alibaba Cloud ACK cluster: where the cluster is (`regionId`, `clusterId`)
/// plus the CreateClusterNodePool request (Container Service API 2015-12-15) in camelCase.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new(
        "!has(self.count) || !has(self.scalingGroup) || !has(self.scalingGroup.desiredSize)"
    ).message(
        "count is deprecated and conflicts with scalingGroup.desiredSize: set only scalingGroup.desiredSize"
    ),
    validation = Rule::new(
        "!has(self.scalingGroup) || (has(self.nodepoolInfo) && has(self.nodepoolInfo.type) && self.nodepoolInfo.type != 'ess') || has(self.scalingGroup.keyPair) || has(self.scalingGroup.loginPassword)"
    ).message(
        "set scalingGroup.keyPair (recommended) or scalingGroup.loginPassword: ACK needs a logon credential for the ECS nodes it creates (only edge, lingjun and hybrid pools may omit both)"
    ).reason(Reason::FieldValueRequired),
    validation = Rule::new(
        "(has(self.nodepoolInfo) && has(self.nodepoolInfo.type) ? self.nodepoolInfo.type : 'ess') == (has(oldSelf.nodepoolInfo) && has(oldSelf.nodepoolInfo.type) ? oldSelf.nodepoolInfo.type : 'ess')"
    ).message(
        "nodepoolInfo.type cannot change after creation (unset means ess); delete this NodePool and create a new one instead"
    ),
    validation = Rule::new(
        "(has(self.autoScaling) && has(self.autoScaling.type) ? self.autoScaling.type : 'cpu') == (has(oldSelf.autoScaling) && has(oldSelf.autoScaling.type) ? oldSelf.autoScaling.type : 'cpu')"
    ).message(
        "autoScaling.type cannot change after creation (unset means cpu); delete this NodePool and create a new one instead"
    ),
    validation = ack_fixed(&["autoMode"], ACK_NEW_POOL),
    validation = ack_fixed(&["efloNodeGroup", "clusterId"], ACK_NEW_POOL),
    validation = ack_fixed(&["efloNodeGroup", "groupId"], ACK_NEW_POOL),
    validation = ack_fixed(&["efloNodeGroup", "workerRamRoleName"], ACK_NEW_POOL),
    validation = ack_fixed(&["hostNetwork"], ACK_NEW_POOL),
    validation = ack_fixed(&["interconnectMode"], ACK_NEW_POOL),
    validation = ack_fixed(&["intranet"], ACK_NEW_POOL),
    validation = ack_fixed(&["interconnectConfig"], ACK_NEW_POOL),
    validation = ack_fixed(&["maxNodes"], ACK_NEW_POOL),
    validation = ack_fixed(&["nodeConfig"], "create a new NodePool with the new configuration (ACK changes it only with ModifyNodePoolNodeConfig, which the controller does not call)"),
    validation = ack_fixed(&["nodeComponents"], "create a new NodePool with the new components"),
    validation = ack_fixed(&["scalingGroup", "vpcId"], "create a new NodePool in the other VPC"),
    validation = ack_fixed(&["scalingGroup", "securityGroupId"], "list the security groups in scalingGroup.securityGroupIds instead (ACK can change those), or create a new NodePool"),
    validation = ack_fixed(&["scalingGroup", "ramRoleName"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "loginAsNonRoot"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "instanceMetadataOptions"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "cpuOptions"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "securityHardeningOs"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "socEnabled"], ACK_NEW_POOL),
    validation = ack_fixed(&["scalingGroup", "cisEnabled"], ACK_NEW_POOL),
)]
#[serde(rename_all = "camelCase")]
pub struct AlibabaNodePool {
    /// Region of the ACK cluster, e.g. `cn-hangzhou`; the controller calls
    /// `https://cs.<regionId>.aliyuncs.com`. Immutable.
    #[schemars(length(min = 1, max = 64))]
    #[x_kube(
        validation = Rule::new("self == oldSelf").message(
            "regionId cannot change after creation; delete this NodePool and create a new one for the other region"
        ),
        validation = Rule::new("self.matches('^[a-z]{2}(-[a-z0-9]+)+$')").message(
            "regionId must be an Alibaba Cloud region ID such as cn-hangzhou or ap-southeast-1 (lowercase letters, digits and '-')"
        ).reason(Reason::FieldValueInvalid),
    )]
    pub region_id: String,

    /// ID of the ACK cluster the pool belongs to, e.g. `c61da77e8bfbc4c4c999af2b51b65f3a7`.
    /// Immutable.
    #[schemars(length(min = 1, max = 64))]
    #[x_kube(
        validation = Rule::new("self == oldSelf").message(
            "clusterId cannot change after creation; delete this NodePool and create a new one for the other cluster"
        ),
        validation = Rule::new("self.matches('^[a-z0-9][a-z0-9-]*$')").message(
            "clusterId must be an ACK cluster ID such as c61da77e8bfbc4c4c999af2b51b65f3a7 (lowercase letters, digits and '-')"
        ).reason(Reason::FieldValueInvalid),
    )]
    pub cluster_id: String,

    /// Name, resource group and type of the pool. The name defaults to the NodePool's
    /// `metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodepool_info: Option<NodepoolInfo>,

    /// The ECS scaling group behind the pool: instance types, vSwitches, billing, image, logon,
    /// disks, network and spot settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_group: Option<ScalingGroup>,

    /// Kubernetes settings of the nodes: labels, taints, container runtime, CPU policy, user data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_config: Option<KubernetesConfig>,

    /// Node auto scaling. When enabled, ACK keeps the node count between `minInstances` and
    /// `maxInstances` instead of at `scalingGroup.desiredSize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<AutoScaling>,

    /// Managed node pool: automatic repair, upgrade and CVE fixing of the nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub management: Option<Management>,

    /// Confidential computing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tee_config: Option<TeeConfig>,

    /// Auto mode (intelligent managed pool); only valid if the cluster has auto mode enabled.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_mode: Option<AutoMode>,

    /// Node-level configuration: kubelet parameters and OS parameters (sysctl, transparent
    /// huge pages).
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_config: Option<NodeConfig>,

    /// Node components (for example `kubelet`) with pinned versions and custom configuration.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_components: Option<Vec<NodeComponent>>,

    /// Lingjun (EFLO) node group to associate; only for `nodepoolInfo.type: lingjun`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eflo_node_group: Option<EfloNodeGroup>,

    /// Edge pools only: `true` runs pods in the host network (sharing the node's IP and ports),
    /// `false` gives pods their own network stack.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,

    /// Edge pools only: whether the nodes of the pool can reach each other at Layer 3.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intranet: Option<bool>,

    /// Edge pools only (`nodepoolInfo.type: edge`): how the nodes reach the cloud. `basic`:
    /// over the Internet; `private`: over Express Connect, VPN or CEN.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_mode: Option<InterconnectMode>,

    /// Deprecated: use `scalingGroup.desiredSize`. Number of nodes to create with the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,

    /// Deprecated. Maximum number of nodes of an edge pool.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<i64>,

    /// Deprecated. Network settings of an enhanced edge pool.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interconnect_config: Option<InterconnectConfig>,

    /// Delete the pool even if it still has nodes (ACK DeleteClusterNodepool `force=true`);
    /// default false: ACK refuses to delete a pool that still has nodes, so the controller first
    /// scales the pool to 0 and deletes it once its nodes are gone. Read by the controller when
    /// it deletes the pool; never sent in a create or update request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_delete: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// nodepoolInfo
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// scalingGroup
// ---------------------------------------------------------------------------------------------

/// The ECS scaling group of the pool.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("!(has(self.keyPair) && has(self.loginPassword))").message(
        "set only one of scalingGroup.keyPair or scalingGroup.loginPassword (keyPair is recommended)"
    ),
    validation = Rule::new(
        "!has(self.loginPassword) || !has(self.imageType) || self.imageType != 'ContainerOS'"
    ).message(
        "ContainerOS nodes support only key pair logon: set scalingGroup.keyPair and remove scalingGroup.loginPassword"
    ),
    validation = Rule::new(
        "!has(self.keyPair) || !((has(self.imageType) && self.imageType in ['Windows', 'WindowsCore']) || (has(self.platform) && self.platform in ['Windows', 'WindowsCore']))"
    ).message(
        "Windows nodes do not support key pairs: set scalingGroup.loginPassword instead of scalingGroup.keyPair"
    ),
    validation = Rule::new(
        "!has(self.instanceChargeType) || self.instanceChargeType != 'PrePaid' || (has(self.period) && has(self.periodUnit))"
    ).message(
        "scalingGroup.period and scalingGroup.periodUnit are required when scalingGroup.instanceChargeType is PrePaid"
    ).reason(Reason::FieldValueRequired),
    validation = Rule::new(
        "!has(self.period) || ((has(self.periodUnit) && self.periodUnit == 'Week') ? self.period in [1, 2, 3, 4] : self.period in [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60])"
    ).message(
        "scalingGroup.period must be 1, 2, 3 or 4 when periodUnit is Week, and 1-9, 12, 24, 36, 48 or 60 when periodUnit is Month (the default)"
    ).reason(Reason::FieldValueInvalid),
    validation = Rule::new(
        "!has(self.autoRenewPeriod) || (has(self.autoRenew) && self.autoRenew)"
    ).message(
        "scalingGroup.autoRenewPeriod only applies when scalingGroup.autoRenew is true: set autoRenew: true or remove autoRenewPeriod"
    ),
    validation = Rule::new(
        "!has(self.autoRenewPeriod) || ((has(self.periodUnit) && self.periodUnit == 'Week') ? self.autoRenewPeriod in [1, 2, 3] : self.autoRenewPeriod in [1, 2, 3, 6, 12, 24, 36, 48, 60])"
    ).message(
        "scalingGroup.autoRenewPeriod must be 1, 2 or 3 when periodUnit is Week, and 1, 2, 3, 6, 12, 24, 36, 48 or 60 when periodUnit is Month (the default)"
    ).reason(Reason::FieldValueInvalid),
    validation = Rule::new("!(has(self.resourcePoolOptions) && has(self.privatePoolOptions))").message(
        "set only one of scalingGroup.resourcePoolOptions or scalingGroup.privatePoolOptions"
    ),
    validation = Rule::new(
        "!has(self.spotStrategy) || self.spotStrategy != 'SpotWithPriceLimit' || (has(self.spotPriceLimit) && self.spotPriceLimit.size() > 0)"
    ).message(
        "scalingGroup.spotStrategy SpotWithPriceLimit needs scalingGroup.spotPriceLimit (a maximum price per instance type)"
    ).reason(Reason::FieldValueRequired),
)]
#[serde(rename_all = "camelCase")]
pub struct ScalingGroup {
    // --- size, instance types, placement ------------------------------------------------------
    /// Number of nodes the pool should keep (0 allowed: create the pool empty and scale later).
    /// At least 2 is recommended for cluster components. Ignored while auto scaling is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("scalingGroup.desiredSize must be 0 or more"))]
    pub desired_size: Option<i64>,

    /// ECS instance types to choose from when scaling out, e.g. `ecs.g7.xlarge`; 1 to 10 entries.
    /// Several types improve availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() >= 1 && self.size() <= 10").message(
        "scalingGroup.instanceTypes must list 1 to 10 ECS instance types"
    ))]
    pub instance_types: Option<Vec<String>>,

    /// Instance attribute filters that ACK uses to pick instance types (an alternative or
    /// complement to `instanceTypes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_patterns: Option<Vec<InstancePattern>>,

    /// vSwitches the nodes are created in; 1 to 8 entries. vSwitches in different zones improve
    /// availability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() >= 1 && self.size() <= 8").message(
        "scalingGroup.vswitchIds must list 1 to 8 vSwitch IDs"
    ))]
    pub vswitch_ids: Option<Vec<String>>,

    /// VPC of the vSwitches. Appears in the API reference and its examples but not in SDK 7.2.3;
    /// ACK derives the VPC from `vswitchIds`, so this is normally left unset.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,

    /// How a multi-zone scaling group spreads instances: `PRIORITY` (vSwitch order, default),
    /// `COST_OPTIMIZED` (cheapest vCPU price first, spot first) or `BALANCE` (even across zones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multi_az_policy: Option<MultiAzPolicy>,

    /// Scaling mode: `release` (default; create and release instances) or `recycle` (swift
    /// mode: stop and restart instances; stopped instances still pay for disks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaling_policy: Option<ScalingPolicy>,

    /// Deployment set that spreads the instances over physical servers. Limits the pool to
    /// 20 x (number of zones) nodes by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploymentset_id: Option<String>,

    /// Private pool (elasticity assurance or capacity reservation) to start instances from.
    /// Not together with `resourcePoolOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_pool_options: Option<PrivatePoolOptions>,

    /// Resource pools and strategy for creating pay-as-you-go instances. Not together with
    /// `privatePoolOptions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_pool_options: Option<ResourcePoolOptions>,

    // --- billing -------------------------------------------------------------------------------
    /// Billing of the nodes: `PostPaid` (pay-as-you-go, default) or `PrePaid` (subscription;
    /// then `period` and `periodUnit` are required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_charge_type: Option<InstanceChargeType>,

    /// Subscription length of `PrePaid` nodes, in `periodUnit`s. Week: 1-4; Month: 1-9, 12, 24,
    /// 36, 48 or 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<i64>,

    /// Unit of `period` for `PrePaid` nodes: `Month` (default) or `Week`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_unit: Option<PeriodUnit>,

    /// Renew `PrePaid` nodes automatically. Default: false. Ignored for `PostPaid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,

    /// Length of each automatic renewal, in `periodUnit`s (needs `autoRenew: true`).
    /// Week: 1-3; Month: 1, 2, 3, 6, 12, 24, 36, 48 or 60. Default: 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew_period: Option<i64>,

    // --- spot ----------------------------------------------------------------------------------
    /// Spot (preemptible) instances: `NoSpot` (pay-as-you-go), `SpotWithPriceLimit` (bid up to
    /// `spotPriceLimit`) or `SpotAsPriceGo` (follow the market price).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_strategy: Option<SpotStrategy>,

    /// Maximum hourly price per instance type, for `spotStrategy: SpotWithPriceLimit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_price_limit: Option<Vec<SpotPriceLimit>>,

    /// Number of cheapest instance types to spread spot instances over; 1 to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 10))]
    pub spot_instance_pools: Option<i64>,

    /// Replace spot instances that are about to be reclaimed with new ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot_instance_remedy: Option<bool>,

    /// With `multiAzPolicy: COST_OPTIMIZED`: create pay-as-you-go instances when spot instances
    /// cannot be created (price or stock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compensate_with_on_demand: Option<bool>,

    /// Minimum number of pay-as-you-go instances in the group; 0 to 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub on_demand_base_capacity: Option<i64>,

    /// Percentage of pay-as-you-go instances above `onDemandBaseCapacity`; 0 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub on_demand_percentage_above_base_capacity: Option<i64>,

    // --- image and logon -----------------------------------------------------------------------
    /// OS image type (preferred way to choose the OS), e.g. `AliyunLinux3`, `AliyunLinux3Arm64`,
    /// `AliyunLinux3Security`, `AliyunLinux3ContainerOptimized`, `AliyunLinux`,
    /// `AliyunLinuxSecurity`, `ContainerOS`, `CentOS`, `Windows`, `WindowsCore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    pub image_type: Option<String>,

    /// ID of a custom image. Default: the system image of `imageType`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,

    /// Deprecated: use `imageType`. OS distribution: `CentOS`, `AliyunLinux` (default),
    /// `Windows` or `WindowsCore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,

    /// Name of the ECS key pair for SSH logon (recommended). Exactly one of `keyPair` and
    /// `loginPassword` is required; ContainerOS supports only key pairs, Windows only passwords.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_pair: Option<String>,

    /// Discouraged: the SSH logon password, stored in plain text in this object; prefer
    /// `keyPair`. 8 to 30 characters with 3 of: upper case, lower case, digits, special characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self.size() >= 8 && self.size() <= 30").message(
        "scalingGroup.loginPassword must be 8 to 30 characters long (better: use scalingGroup.keyPair, a password here is stored in plain text)"
    ))]
    pub login_password: Option<Password>,

    /// Log on as the non-root user `ecs-user` instead of `root`.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_as_non_root: Option<bool>,

    // --- system disk ---------------------------------------------------------------------------
    /// System disk category: `cloud_efficiency` (default), `cloud_ssd`, `cloud_essd`,
    /// `cloud_auto` (ESSD AutoPL) or `cloud_essd_entry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_category: Option<SystemDiskCategory>,

    /// System disk categories in order of preference; the next one is tried when a category
    /// cannot be created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_categories: Option<Vec<SystemDiskCategory>>,

    /// System disk size in GiB; 20 to 2048.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 20 && self <= 2048").message(
        "scalingGroup.systemDiskSize must be between 20 and 2048 (GiB)"
    ))]
    pub system_disk_size: Option<i64>,

    /// ESSD performance level of the system disk: `PL0`, `PL1`, `PL2` or `PL3` (ESSD only;
    /// higher levels need larger disks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_performance_level: Option<DiskPerformanceLevel>,

    /// Provisioned IOPS of a `cloud_auto` system disk: 0 to min{50000, 1000 x size - baseline},
    /// baseline = min{1800 + 50 x size, 50000}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 50000))]
    pub system_disk_provisioned_iops: Option<i64>,

    /// Performance burst for a `cloud_auto` system disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_bursting_enabled: Option<bool>,

    /// Encrypt the system disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_encrypted: Option<bool>,

    /// Encryption algorithm of the system disk: `aes-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_encrypt_algorithm: Option<EncryptAlgorithm>,

    /// KMS key used to encrypt the system disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_kms_key_id: Option<String>,

    /// Automatic snapshot policy of the system disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_disk_snapshot_policy_id: Option<String>,

    // --- data disks ----------------------------------------------------------------------------
    /// Data disks attached to every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_disks: Option<Vec<DataDisk>>,

    /// How the node initializes block devices (format, mount, container runtime data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_init: Option<Vec<DiskInit>>,

    /// High-density disk mode (instance types only): the system plus data disks may use up to
    /// the instance type's high-density disk limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_high_density_mode: Option<bool>,

    // --- network and security ------------------------------------------------------------------
    /// Security group of the nodes. Prefer `securityGroupIds`, which wins when both are set.
    /// Immutable: ModifyClusterNodePool cannot carry it; use `securityGroupIds`, which ACK can change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_id: Option<String>,

    /// Security groups of the nodes (preferred over `securityGroupId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_group_ids: Option<Vec<String>>,

    /// Billing of node public IPs: `PayByBandwidth` or `PayByTraffic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_charge_type: Option<InternetChargeType>,

    /// Maximum outbound public bandwidth per node, in Mbit/s; 1 to 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100))]
    pub internet_max_bandwidth_out: Option<i64>,

    /// Worker RAM role of the nodes (a normal service role trusted by ECS, not starting with
    /// `KubernetesMasterRole-` or `KubernetesWorkerRole-`). Default: the cluster's worker role.
    /// ACK managed clusters 1.22 and later.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram_role_name: Option<String>,

    /// ApsaraDB RDS instances whose IP whitelists get the node IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rds_instances: Option<Vec<String>>,

    /// Instance metadata access (IMDS) of the nodes.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_metadata_options: Option<InstanceMetadataOptions>,

    /// CPU options of the nodes.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_options: Option<CpuOptions>,

    /// Alibaba Cloud OS security hardening. Default: false.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_hardening_os: Option<bool>,

    /// MLPS 2.0 (classified protection) security hardening; Alibaba Cloud Linux 2 and 3 only.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soc_enabled: Option<bool>,

    /// Deprecated: use `securityHardeningOs`. CIS security hardening.
    /// Immutable: ModifyClusterNodePool cannot carry it; create a new NodePool to change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cis_enabled: Option<bool>,

    /// ECS tags added to the instances only (not to the Kubernetes nodes; see
    /// `kubernetesConfig.labels`). Keys are unique; at most 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 20))]
    pub tags: Option<Vec<EcsTag>>,
}

/// A password, kept as written in the spec, that `Debug` never prints (so it stays out of logs).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(transform = drop_description)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An ECS tag.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "(!has(self.key) || !(self.key.startsWith('aliyun') || self.key.startsWith('acs:') || self.key.contains('http://') || self.key.contains('https://'))) && (!has(self.value) || !(self.value.startsWith('aliyun') || self.value.startsWith('acs:') || self.value.contains('http://') || self.value.contains('https://')))"
).message(
    "scalingGroup.tags: ECS tag keys and values must not start with 'aliyun' or 'acs:' and must not contain 'http://' or 'https://'"
).reason(Reason::FieldValueInvalid))]
#[serde(rename_all = "camelCase")]
pub struct EcsTag {
    /// Tag key, up to 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub key: Option<String>,
    /// Tag value, up to 128 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    pub value: Option<String>,
}

/// Maximum spot price for one instance type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SpotPriceLimit {
    /// The spot instance type, e.g. `ecs.g7.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type: Option<String>,
    /// Maximum price per instance and hour, as a decimal string, e.g. `"0.39"` (CNY on the
    /// China site, USD on the international site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_limit: Option<String>,
}

/// Private pool to start instances from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "!has(self.matchCriteria) || self.matchCriteria != 'Target' || has(self.id)"
).message(
    "scalingGroup.privatePoolOptions.id is required when matchCriteria is Target"
).reason(Reason::FieldValueRequired))]
#[serde(rename_all = "camelCase")]
pub struct PrivatePoolOptions {
    /// ID of the private pool (elasticity assurance or capacity reservation); required with
    /// `matchCriteria: Target`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Open`: use any matching open private pool, else the public pool; `Target`: only the pool
    /// `id`, else fail; `None`: do not use private pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_criteria: Option<PrivatePoolMatchCriteria>,
}

/// Resource pools for pay-as-you-go instances.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "!has(self.strategy) || self.strategy != 'PrivatePoolOnly' || (has(self.privatePoolIds) && self.privatePoolIds.size() > 0)"
).message(
    "scalingGroup.resourcePoolOptions.privatePoolIds is required when strategy is PrivatePoolOnly"
).reason(Reason::FieldValueRequired))]
#[serde(rename_all = "camelCase")]
pub struct ResourcePoolOptions {
    /// IDs of Target-mode private pools (elasticity assurances or capacity reservations); 1 to 20.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub private_pool_ids: Option<Vec<String>>,
    /// `PrivatePoolFirst`: the listed (or any open) private pools, then the public pool;
    /// `PrivatePoolOnly`: only the listed private pools; `None` (default): no strategy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<ResourcePoolStrategy>,
}

/// CPU options of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CpuOptions {
    /// Nested virtualization: `enabled` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nested_virtualization: Option<NestedVirtualization>,
}

/// Instance metadata access of the nodes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceMetadataOptions {
    /// `optional` (default): normal and hardened mode; `required`: hardened mode (IMDSv2) only.
    /// Allow-listed feature, ACK managed clusters 1.28 and later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_tokens: Option<HttpTokens>,
}

/// Instance attributes ACK uses to select instance types.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstancePattern {
    /// Number of vCPUs of the instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<i64>,
    /// Memory of the instance type, in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<f64>,
    /// Minimum number of vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_cpu_cores: Option<i64>,
    /// Maximum number of vCPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cpu_cores: Option<i64>,
    /// Minimum memory, in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_memory_size: Option<f64>,
    /// Maximum memory, in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_memory_size: Option<f64>,
    /// Maximum number of GPUs per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_gpu_amount: Option<i64>,
    /// CPU architectures, e.g. `X86`, `ARM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_architectures: Option<Vec<String>>,
    /// Instance categories, e.g. `General-purpose`, `Compute-optimized`, `Memory-optimized`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_categories: Option<Vec<String>>,
    /// Instance families to choose from, e.g. `ecs.g7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_type_families: Option<Vec<String>>,
    /// Instance family level, e.g. `EnterpriseLevel`, `EntryLevel`, `CreditEntryLevel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_family_level: Option<String>,
    /// Instance types to exclude; wildcards such as `ecs.t5*` are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded_instance_types: Option<Vec<String>>,
    /// Minimum number of elastic network interfaces (ENIs) per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_eni_quantity: Option<i64>,
    /// Minimum number of IPv4 addresses per ENI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_eni_private_ip_address_quantity: Option<i64>,
    /// Minimum number of IPv6 addresses per ENI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_eni_ipv6_address_quantity: Option<i64>,
    /// Deprecated: use `cpuArchitectures`. Architectures of the instance types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architectures: Option<Vec<String>>,
    /// Deprecated: use `cores`. Number of vCPUs of the instance type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<i64>,
    /// Deprecated. Whether burstable instance types are included: `Exclude`, `Include` or
    /// `Required`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst_performance_option: Option<String>,
    /// Deprecated. Maximum hourly price of the instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<f64>,
}

/// A data disk of every node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataDisk {
    /// Disk category: `cloud_efficiency` (default), `cloud_ssd`, `cloud_essd`, `cloud_auto`
    /// (ESSD AutoPL), `cloud_essd_entry`, `cloud` (basic), `elastic_ephemeral_disk_premium` or
    /// `elastic_ephemeral_disk_standard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<DataDiskCategory>,
    /// Size in GiB; 40 to 32768. Default: 120. Ignored when `snapshotId` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 40, max = 32768))]
    pub size: Option<i64>,
    /// Encrypt the disk: the string `"true"` or `"false"` (default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<DiskEncrypted>,
    /// KMS key used to encrypt the disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// ESSD performance level: `PL0`, `PL1`, `PL2` or `PL3` (ESSD only; depends on disk size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance_level: Option<DiskPerformanceLevel>,
    /// Provisioned IOPS of a `cloud_auto` disk: 0 to min{50000, 1000 x size - baseline},
    /// baseline = min{1800 + 50 x size, 50000}.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 50000))]
    pub provisioned_iops: Option<i64>,
    /// Performance burst of a `cloud_auto` disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bursting_enabled: Option<bool>,
    /// Automatic snapshot policy of the disk. Default: none (no automatic backup).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_snapshot_policy_id: Option<String>,
    /// Snapshot to create the disk from (its size wins over `size`; snapshots from before
    /// 2013-07-15 are rejected).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_id: Option<String>,
    /// Disk name: 2 to 128 characters, starting with a letter, not with `http://` or
    /// `https://`; letters, digits, `:`, `_` and `-`. Referenced by `scalingGroup.diskInit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_name: Option<String>,
    /// Device name, `/dev/xvdb` to `/dev/xvdz`. Default: assigned by ECS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^/dev/xvd[b-z]$"))]
    pub device: Option<String>,
    /// Format and mount the disk automatically.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_format: Option<bool>,
    /// File system when `autoFormat` is true: `ext4` or `xfs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_system: Option<FileSystem>,
    /// Mount path when `autoFormat` is true, e.g. `/mnt/data`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_target: Option<String>,
}

/// How a node initializes one block device.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiskInit {
    /// Required. The disk: a `dataDisks[].diskName` when `localDisk` is false, a name not used
    /// by `dataDisks` when it is true.
    pub disk_name: String,
    /// The entry is for a local disk (matched when the ECS disk name and symlinks do not match;
    /// reinitialized if found uninitialized at boot). Set `mountTarget` and `mkfsType` together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_disk: Option<bool>,
    /// File system to format the disk with, e.g. `ext4`, `xfs`. Unset: do not format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mkfs_type: Option<String>,
    /// Mount directory. Unset: do not mount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_target: Option<String>,
    /// Store the container runtime's data on this disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_for_runtime: Option<bool>,
}

/// Billing method of the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum InstanceChargeType {
    /// Subscription.
    PrePaid,
    /// Pay-as-you-go.
    PostPaid,
}

/// Unit of a subscription period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum PeriodUnit {
    /// Months.
    Month,
    /// Weeks.
    Week,
}

/// Operating system distribution (deprecated `platform`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum Platform {
    /// CentOS.
    CentOS,
    /// Alibaba Cloud Linux.
    AliyunLinux,
    /// Windows.
    Windows,
    /// Windows Server Core.
    WindowsCore,
}

/// Category of a system disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "snake_case")]
pub enum SystemDiskCategory {
    /// Ultra disk.
    CloudEfficiency,
    /// Standard SSD.
    CloudSsd,
    /// Enhanced SSD (ESSD).
    CloudEssd,
    /// ESSD AutoPL disk.
    CloudAuto,
    /// ESSD Entry disk.
    CloudEssdEntry,
}

/// Category of a data disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "snake_case")]
pub enum DataDiskCategory {
    /// Basic disk.
    Cloud,
    /// Ultra disk.
    CloudEfficiency,
    /// Standard SSD.
    CloudSsd,
    /// Enhanced SSD (ESSD).
    CloudEssd,
    /// ESSD AutoPL disk.
    CloudAuto,
    /// ESSD Entry disk.
    CloudEssdEntry,
    /// Premium elastic ephemeral disk.
    ElasticEphemeralDiskPremium,
    /// Standard elastic ephemeral disk.
    ElasticEphemeralDiskStandard,
}

/// ESSD performance level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum DiskPerformanceLevel {
    /// PL0.
    PL0,
    /// PL1.
    PL1,
    /// PL2.
    PL2,
    /// PL3.
    PL3,
}

/// Whether a data disk is encrypted; a string on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum DiskEncrypted {
    /// Encrypted.
    #[serde(rename = "true")]
    True,
    /// Not encrypted.
    #[serde(rename = "false")]
    False,
}

/// Disk encryption algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum EncryptAlgorithm {
    /// AES-256.
    #[serde(rename = "aes-256")]
    Aes256,
}

/// File system of an automatically formatted data disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum FileSystem {
    /// ext4.
    Ext4,
    /// XFS.
    Xfs,
}

/// How a multi-zone scaling group spreads instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MultiAzPolicy {
    /// In vSwitch order.
    Priority,
    /// Cheapest vCPU price first.
    CostOptimized,
    /// Evenly across zones.
    Balance,
}

/// Spot instance strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum SpotStrategy {
    /// Pay-as-you-go instances, no spot.
    NoSpot,
    /// Spot instances up to a maximum price.
    SpotWithPriceLimit,
    /// Spot instances at the market price.
    SpotAsPriceGo,
}

/// Scaling mode of the scaling group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum ScalingPolicy {
    /// Standard mode: create and release instances.
    Release,
    /// Swift mode: stop and start instances.
    Recycle,
}

/// Billing of public IP addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum InternetChargeType {
    /// Pay by bandwidth.
    PayByBandwidth,
    /// Pay by data transfer.
    PayByTraffic,
}

/// Private pool matching mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum PrivatePoolMatchCriteria {
    /// Any matching open private pool, else the public pool.
    Open,
    /// Only the given private pool.
    Target,
    /// No private pool.
    None,
}

/// Resource pool strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
pub enum ResourcePoolStrategy {
    /// Private pools first, then the public pool.
    PrivatePoolFirst,
    /// Only the listed private pools.
    PrivatePoolOnly,
    /// No resource pool strategy.
    None,
}

/// Nested virtualization setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum NestedVirtualization {
    /// Enabled.
    Enabled,
    /// Disabled.
    Disabled,
}

/// Instance metadata access mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum HttpTokens {
    /// Normal and hardened mode.
    Optional,
    /// Hardened mode (IMDSv2) only.
    Required,
}

// ---------------------------------------------------------------------------------------------
// kubernetesConfig
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// autoScaling, management, teeConfig, autoMode
// ---------------------------------------------------------------------------------------------

/// Node auto scaling.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(validation = Rule::new(
    "(has(self.maxInstances) ? self.maxInstances : 0) >= (has(self.minInstances) ? self.minInstances : 0)"
).message(
    "autoScaling.maxInstances must be greater than or equal to autoScaling.minInstances (both default to 0)"
).reason(Reason::FieldValueInvalid))]
#[serde(rename_all = "camelCase")]
pub struct AutoScaling {
    /// Enable auto scaling between `minInstances` and `maxInstances`. When false (default) the
    /// other fields here have no effect and the pool keeps `scalingGroup.desiredSize` nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
    /// Minimum number of instances, 0 to `maxInstances`. Default: 0. A non-zero value creates
    /// that many instances at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("autoScaling.minInstances must be 0 or more"))]
    pub min_instances: Option<i64>,
    /// Maximum number of instances, `minInstances` to 2000. Default: 0. Keep it at or above the
    /// current node count, or nodes are removed at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self <= 2000").message("autoScaling.maxInstances must be 2000 or less"))]
    pub max_instances: Option<i64>,
    /// Instance kind to scale: `cpu` (default), `gpu`, `gpushare` or `spot`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub r#type: Option<AutoScalingType>,
    /// Deprecated: use `scalingGroup.internetChargeType` and
    /// `scalingGroup.internetMaxBandwidthOut`. Bind an EIP to each node. Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_bond_eip: Option<bool>,
    /// Deprecated: use `scalingGroup.internetMaxBandwidthOut`. EIP peak bandwidth, in Mbit/s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip_bandwidth: Option<i64>,
    /// Deprecated: use `scalingGroup.internetChargeType`. EIP billing: `PayByBandwidth`
    /// (default) or `PayByTraffic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eip_internet_charge_type: Option<InternetChargeType>,
}

/// Instance kind for auto scaling.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = drop_description)]
#[serde(rename_all = "lowercase")]
pub enum AutoScalingType {
    /// Regular instances.
    Cpu,
    /// GPU-accelerated instances.
    Gpu,
    /// Shared GPU instances.
    Gpushare,
    /// Spot instances.
    Spot,
}

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

/// Confidential computing settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TeeConfig {
    /// Enable confidential computing for the pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tee_enable: Option<bool>,
}

/// Auto mode settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoMode {
    /// Enable auto mode; only valid if auto mode is enabled for the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// nodeConfig (kubelet and OS parameters; camelCase on the wire too)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// nodeComponents, efloNodeGroup, edge settings
// ---------------------------------------------------------------------------------------------

/// A node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponent {
    /// Component name, e.g. `kubelet`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Component version, e.g. `1.33.3-aliyun.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Component configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<NodeComponentConfig>,
}

/// Configuration of a node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponentConfig {
    /// Free-form, component-specific settings sent as written, e.g. for `kubelet`
    /// `{cpuManagerPolicy: static}`. Not validated here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub custom_config: Option<Map<String, Value>>,
    /// Environment variables of the component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envs: Option<Vec<NodeComponentEnv>>,
}

/// An environment variable of a node component.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeComponentEnv {
    /// Variable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Variable value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

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

/// Drops an enum type's own description from its schema, so that the description of the field
/// using it (what `kubectl explain` should show) is not overwritten when kube inlines the enum.
fn drop_description(schema: &mut schemars::Schema) {
    schema.remove("description");
}

/// Schema of a free-form object: any keys and values, kept as written.
fn free_form_object(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

// ---------------------------------------------------------------------------------------------
// Request body and the camelCase <-> snake_case converter
// ---------------------------------------------------------------------------------------------

/// Subtrees (CRD camelCase object keys from the body root; list items are transparent) that
/// [`to_wire`] and [`from_wire`] copy verbatim: only the key naming the subtree is renamed.
///
/// * `nodeConfig.kubeletConfiguration`: kubelet's camelCase names (`clusterDNS`, `kubeAPIQPS`).
/// * `nodeConfig.nodeOsConfig.hugepage`: camelCase on the wire too (`transparentEnabled`).
/// * `nodeConfig.nodeOsConfig.sysctl`: keys are sysctl names (`vm.max_map_count`).
/// * `nodeComponents[].config.customConfig`: free-form, component-specific keys.
pub const VERBATIM_PATHS: &[&[&str]] = &[
    &["nodeConfig", "kubeletConfiguration"],
    &["nodeConfig", "nodeOsConfig", "hugepage"],
    &["nodeConfig", "nodeOsConfig", "sysctl"],
    &["nodeComponents", "config", "customConfig"],
];

/// Renames a lowerCamelCase name to snake_case: each upper-case ASCII letter becomes `_` and
/// its lower-case form; digits stay where they are (`minimumEniIpv6AddressQuantity` ->
/// `minimum_eni_ipv6_address_quantity`). The inverse of serde's `camelCase` for snake_case
/// names whose `_` are each followed by a lower-case letter.
pub fn camel_to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Renames a snake_case name to lowerCamelCase exactly as serde's `rename_all = "camelCase"`
/// does: drop each `_` and upper-case the character after it.
pub fn snake_to_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Copy)]
enum Direction {
    ToWire,
    FromWire,
}

/// Converts a spec-shaped (camelCase) CreateClusterNodePool body to Alibaba's snake_case wire
/// body, recursively, except inside [`VERBATIM_PATHS`].
pub fn to_wire(value: Value) -> Value {
    convert(value, &mut Vec::new(), Direction::ToWire)
}

/// Converts an Alibaba snake_case node pool body (request, or a DescribeClusterNodePoolDetail
/// response) to the camelCase shape of this spec, except inside [`VERBATIM_PATHS`].
pub fn from_wire(value: Value) -> Value {
    convert(value, &mut Vec::new(), Direction::FromWire)
}

fn convert(value: Value, path: &mut Vec<String>, direction: Direction) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, child)| {
                    let (renamed, camel) = match direction {
                        Direction::ToWire => (camel_to_snake(&key), key),
                        Direction::FromWire => {
                            let camel = snake_to_camel(&key);
                            (camel.clone(), camel)
                        }
                    };
                    path.push(camel);
                    let child = if is_verbatim(path) {
                        child
                    } else {
                        convert(child, path, direction)
                    };
                    path.pop();
                    (renamed, child)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| convert(item, path, direction))
                .collect(),
        ),
        scalar => scalar,
    }
}

fn is_verbatim(path: &[String]) -> bool {
    VERBATIM_PATHS.iter().any(|verbatim| {
        verbatim.len() == path.len() && verbatim.iter().zip(path).all(|(a, b)| a == b)
    })
}

impl AlibabaNodePool {
    /// The node pool name at ACK: `nodepoolInfo.name`, else `default_name` (the NodePool's
    /// `metadata.name`).
    pub fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str {
        self.nodepool_info
            .as_ref()
            .and_then(|info| info.name.as_deref())
            .unwrap_or(default_name)
    }

    /// Whether to delete the pool even if it still has nodes (`forceDelete`, default false):
    /// the `force` query parameter of ACK's DeleteClusterNodepool.
    pub fn force_delete(&self) -> bool {
        self.force_delete.unwrap_or(false)
    }

    /// The snake_case CreateClusterNodePool request body for this pool (for
    /// `POST /clusters/{clusterId}/nodepools`): every set field, without `regionId`,
    /// `clusterId` and `forceDelete`, with `nodepool_info.name` defaulting to `default_name`.
    pub fn create_body(&self, default_name: &str) -> Value {
        let mut body = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            // A struct of plain data always serializes to an object.
            _ => Map::new(),
        };
        body.remove("regionId");
        body.remove("clusterId");
        body.remove("forceDelete");
        let info = body
            .entry("nodepoolInfo")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(info) = info {
            info.entry("name")
                .or_insert_with(|| Value::String(default_name.to_owned()));
        }
        to_wire(Value::Object(body))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use kube::CustomResourceExt;
    use serde_json::json;

    use super::*;
    use crate::crd::NodePool;

    /// The seed's first request example (subscription pool), minus `ClusterId` (a path parameter).
    const SEED_PREPAID: &str = r#"{
        "nodepool_info":{
            "name":"cluster-demo",
            "resource_group_id":"rg-aek2aa7u22q****"
        },
        "scaling_group":{
            "vswitch_ids":[
                "vsw-wz9mfnhmssud6eicu****"
            ],
            "system_disk_category":"cloud_efficiency",
            "system_disk_size":120,
            "data_disks":[
                {
                    "category":"cloud_ssd",
                    "size":40,
                    "encrypted":"false"
                }
            ],
            "instance_types":[
                "ecs.d1ne.2xlarge"
            ],
            "vpc_id":"vpc-wz984yvbd6lck22z3****",
            "tags":[
                {
                    "key":"k-1",
                    "value":"v-1"
                }
            ],
            "instance_charge_type":"PrePaid",
            "login_password":"****",
            "period":1,
            "period_unit":"Month",
            "auto_renew":true,
            "auto_renew_period":1,
            "security_group_id":"sg-wz9a8g2mt6x5llu0****",
            "platform":"AliyunLinux",
            "image_id":"aliyun_2_1903_x64_20G_alibase_20200529.vhd",
            "rds_instances":[

            ]
        },
        "kubernetes_config":{
            "cpu_policy":"none",
            "cms_enabled":true,
            "labels":[
                {
                    "key":"k-2",
                    "value":"v-2"
                }
            ],
            "taints":[
                {
                    "key":"k-3",
                    "value":"v-3",
                    "effect":"NoSchedule"
                }
            ],
            "user_data":"MTEx",
            "runtime":"docker",
            "runtime_version":"19.03.5"
        },
        "tee_config":{
            "tee_enable":true
        }
    }"#;

    /// The seed's second request example (auto scaling pool), minus `ClusterId`.
    const SEED_AUTOSCALING: &str = r#"{
        "nodepool_info":{
            "name":"autoScale-demo",
            "resource_group_id":"rg-acfmyvw3wjm****"
        },
        "scaling_group":{
            "vswitch_ids":[
                "vsw-wz9mfnhmssud6eic****"
            ],
            "system_disk_category":"cloud_efficiency",
            "system_disk_size":120,
            "data_disks":[

            ],
            "instance_types":[
                "ecs.t6-c1m2.large"
            ],
            "vpc_id":"vpc-wz984yvbd6lck22z3****",
            "tags":[

            ],
            "instance_charge_type":"PostPaid",
            "login_password":"****",
            "platform":"AliyunLinux",
            "image_id":"aliyun_2_1903_x64_20G_alibase_20200529.vhd",
            "rds_instances":[

            ],
            "scaling_policy":"release"
        },
        "kubernetes_config":{
            "cpu_policy":"none",
            "cms_enabled":false,
            "labels":[
                {
                    "key":"workload_type",
                    "value":"cpu"
                }
            ],
            "taints":[

            ],
            "user_data":"",
            "runtime":"docker",
            "runtime_version":"19.03.5"
        },
        "tee_config":{
            "tee_enable":true
        },
        "auto_scaling":{
            "enable":true,
            "max_instances":10,
            "min_instances":1,
            "type":"cpu"
        }
    }"#;

    /// A wire body that sets every field of the SDK's CreateClusterNodePoolRequest (checked:
    /// the SDK's own `from_map(...).to_map()` returns it unchanged, apart from dropping
    /// `vpc_id`). Serde-only: it deliberately breaks CEL rules (keyPair with loginPassword,
    /// count with desiredSize, ...) to touch every field.
    const RICH: &str = r#"{
  "auto_mode": {"enable": false},
  "auto_scaling": {"enable": true, "min_instances": 1, "max_instances": 20, "type": "spot",
    "is_bond_eip": false, "eip_bandwidth": 5, "eip_internet_charge_type": "PayByTraffic"},
  "count": 3,
  "eflo_node_group": {"cluster_id": "i118578141694745246bfb", "group_id": "i123229811696143596f4d",
    "auto_attach_enabled": true, "worker_ram_role_name": "LingjunWorkerRole"},
  "host_network": true,
  "interconnect_config": {"bandwidth": 10, "ccn_id": "ccn-qm5i0i0q9yi1abcde", "ccn_region_id": "cn-shanghai",
    "cen_id": "cen-ey9k9nfhz0f1abcde", "improved_period": "1"},
  "interconnect_mode": "private",
  "intranet": false,
  "kubernetes_config": {"cms_enabled": true, "cpu_policy": "static",
    "labels": [{"key": "workload", "value": "batch"}], "node_name_mode": "customized,worker,ip,.example",
    "pre_user_data": "ZWNobyBwcmU=", "runtime": "Sandboxed-Container.runv", "runtime_version": "2.2.1",
    "taints": [{"key": "gpu", "value": "true", "effect": "PreferNoSchedule"}, {"key": "spot", "effect": "NoExecute"}],
    "unschedulable": false, "user_data": "ZWNobyBwb3N0"},
  "management": {"enable": true, "auto_fault_diagnosis": true, "auto_repair": true,
    "auto_repair_policy": {"approval_required": false, "max_parallel_repairing_nodes": "10%",
      "max_unhealthy_nodes_threshold": "5", "restart_node": true},
    "auto_upgrade": true,
    "auto_upgrade_policy": {"auto_upgrade_kubelet": true, "auto_upgrade_os": false, "auto_upgrade_runtime": true},
    "auto_vul_fix": true,
    "auto_vul_fix_policy": {"exclude_packages": "kernel,containerd", "restart_node": false, "vul_level": "asap,later,nntf"},
    "drift_enabled": false,
    "upgrade_config": {"auto_upgrade": true, "max_unavailable": 2, "surge": 1, "surge_percentage": 50}},
  "max_nodes": 50,
  "node_components": [{"name": "kubelet", "version": "1.33.3-aliyun.1",
    "config": {"custom_config": {"cpuManagerPolicy": "static", "some_snake_key": {"nestedCamel": [1, "two"]}},
      "envs": [{"name": "HTTP_PROXY", "value": "http://proxy.internal:3128"}]}}],
  "node_config": {
    "kubelet_configuration": {
      "allowedUnsafeSysctls": ["net.core.somaxconn", "kernel.msg*"],
      "clusterDNS": ["192.168.0.10"],
      "containerLogMaxFiles": 5, "containerLogMaxSize": "20Mi", "containerLogMaxWorkers": 2,
      "containerLogMonitorInterval": "10s", "cpuCFSQuota": true, "cpuCFSQuotaPeriod": "100ms",
      "cpuManagerPolicy": "static", "eventBurst": 50, "eventRecordQPS": 25,
      "evictionHard": {"memory.available": "100Mi", "nodefs.available": "10%"},
      "evictionSoft": {"memory.available": "300Mi"},
      "evictionSoftGracePeriod": {"memory.available": "30s"},
      "featureGates": {"RotateKubeletServerCertificate": true, "InPlacePodVerticalScaling": false},
      "imageGCHighThresholdPercent": 85, "imageGCLowThresholdPercent": 80,
      "kubeAPIBurst": 100, "kubeAPIQPS": 50,
      "kubeReserved": {"cpu": "200m", "memory": "1Gi"},
      "maxPods": 110, "memoryManagerPolicy": "Static", "podPidsLimit": 4096, "readOnlyPort": 0,
      "registryBurst": 20, "registryPullQPS": 10,
      "reservedMemory": [{"numaNode": 0, "limits": {"memory": "1124Mi"}}],
      "serializeImagePulls": false, "serverTLSBootstrap": true,
      "systemReserved": {"cpu": "100m", "memory": "500Mi"},
      "topologyManagerPolicy": "single-numa-node",
      "tracing": {"endpoint": "localhost:4317", "samplingRatePerMillion": 100}},
    "node_os_config": {
      "hugepage": {"khugepagedAllocSleepMillisecs": 60000, "khugepagedDefrag": 1, "khugepagedPagesToScan": 4096,
        "khugepagedScanSleepMillisecs": 10000, "transparentDefrag": "defer+madvise", "transparentEnabled": "madvise"},
      "sysctl": {"vm.max_map_count": 262144, "net.ipv4.tcp_keepalive_time": "600", "fs.aio-max-nr": 1048576}}},
  "nodepool_info": {"name": "rich-pool", "resource_group_id": "rg-acfmyvw3wjmb1ab", "type": "ess"},
  "scaling_group": {
    "auto_renew": true, "auto_renew_period": 2, "cis_enabled": false, "compensate_with_on_demand": true,
    "cpu_options": {"nested_virtualization": "enabled"},
    "data_disks": [
      {"auto_format": true, "auto_snapshot_policy_id": "sp-bp1a2b3c4d5e6f7g8h", "bursting_enabled": true,
       "category": "cloud_auto", "device": "/dev/xvdb", "disk_name": "data1", "encrypted": "true",
       "file_system": "xfs", "kms_key_id": "0e478b7a-4262-4802-b8cb-00d3fb40826e", "mount_target": "/mnt/data1",
       "performance_level": "PL1", "provisioned_iops": 1000, "size": 500, "snapshot_id": "s-bp1a2b3c4d5e6f7g8h"},
      {"category": "elastic_ephemeral_disk_standard", "size": 64, "encrypted": "false"}],
    "deploymentset_id": "ds-bp1a2b3c4d5e6f7g8h9i", "desired_size": 4,
    "disk_init": [{"disk_name": "data1", "local_disk": false, "mkfs_type": "ext4", "mount_for_runtime": true,
      "mount_target": "/var/lib/containerd"}],
    "enable_high_density_mode": false,
    "image_id": "aliyun_3_x64_20G_alibase_20240528.vhd", "image_type": "AliyunLinux3",
    "instance_charge_type": "PrePaid",
    "instance_metadata_options": {"http_tokens": "required"},
    "instance_patterns": [{"architectures": ["X86"], "burst_performance_option": "Exclude", "core": 8, "cores": 8,
      "cpu_architectures": ["X86", "ARM"], "excluded_instance_types": ["ecs.t5*"],
      "instance_categories": ["General-purpose"], "instance_family_level": "EnterpriseLevel",
      "instance_type_families": ["ecs.g7", "ecs.g8i"], "max_cpu_cores": 16, "max_memory_size": 64.0,
      "max_price": 1.25, "maximum_gpu_amount": 0, "memory": 32.5, "min_cpu_cores": 4, "min_memory_size": 8.0,
      "minimum_eni_ipv6_address_quantity": 1, "minimum_eni_private_ip_address_quantity": 10,
      "minimum_eni_quantity": 2}],
    "instance_types": ["ecs.g7.2xlarge", "ecs.g8i.2xlarge"],
    "internet_charge_type": "PayByBandwidth", "internet_max_bandwidth_out": 10,
    "key_pair": "ops-keypair", "login_as_non_root": true, "login_password": "Sample#Passw0rd",
    "multi_az_policy": "COST_OPTIMIZED",
    "on_demand_base_capacity": 1, "on_demand_percentage_above_base_capacity": 30,
    "period": 6, "period_unit": "Month", "platform": "AliyunLinux",
    "private_pool_options": {"id": "eap-bp1a2b3c4d5e6f7g8h", "match_criteria": "Target"},
    "ram_role_name": "CustomWorkerRole",
    "rds_instances": ["rm-bp1a2b3c4d5e6f7g8h"],
    "resource_pool_options": {"private_pool_ids": ["crp-bp1a2b3c4d5e6f7g8h"], "strategy": "PrivatePoolFirst"},
    "scaling_policy": "recycle",
    "security_group_id": "sg-bp1a2b3c4d5e6f7g8h9i", "security_group_ids": ["sg-bp1a2b3c4d5e6f7g8h9i", "sg-bp1j2k3l4m5n6o7p8q9r"],
    "security_hardening_os": true, "soc_enabled": false,
    "spot_instance_pools": 3, "spot_instance_remedy": true,
    "spot_price_limit": [{"instance_type": "ecs.g7.2xlarge", "price_limit": "0.39"}],
    "spot_strategy": "SpotWithPriceLimit",
    "system_disk_bursting_enabled": false,
    "system_disk_categories": ["cloud_essd", "cloud_auto", "cloud_essd_entry"],
    "system_disk_category": "cloud_essd", "system_disk_encrypt_algorithm": "aes-256", "system_disk_encrypted": true,
    "system_disk_kms_key_id": "0e478b7a-4262-4802-b8cb-00d3fb40826e", "system_disk_performance_level": "PL2",
    "system_disk_provisioned_iops": 0, "system_disk_size": 120, "system_disk_snapshot_policy_id": "sp-bp1a2b3c4d5e6f7g8h",
    "tags": [{"key": "team", "value": "platform"}],
    "vpc_id": "vpc-bp1a2b3c4d5e6f7g8h9i",
    "vswitch_ids": ["vsw-bp1a2b3c4d5e6f7g8h9i", "vsw-bp1j2k3l4m5n6o7p8q9r"]},
  "tee_config": {"tee_enable": false}
}"#;

    /// Every JSON path of CreateClusterNodePoolRequest as SDK 7.2.3's `to_map()` names it
    /// (`[]` marks a list; names below VERBATIM_PATHS keep their wire spelling).
    const SDK_WIRE_PATHS: &[&str] = &[
        "auto_mode",
        "auto_mode.enable",
        "auto_scaling",
        "auto_scaling.eip_bandwidth",
        "auto_scaling.eip_internet_charge_type",
        "auto_scaling.enable",
        "auto_scaling.is_bond_eip",
        "auto_scaling.max_instances",
        "auto_scaling.min_instances",
        "auto_scaling.type",
        "count",
        "eflo_node_group",
        "eflo_node_group.auto_attach_enabled",
        "eflo_node_group.cluster_id",
        "eflo_node_group.group_id",
        "eflo_node_group.worker_ram_role_name",
        "host_network",
        "interconnect_config",
        "interconnect_config.bandwidth",
        "interconnect_config.ccn_id",
        "interconnect_config.ccn_region_id",
        "interconnect_config.cen_id",
        "interconnect_config.improved_period",
        "interconnect_mode",
        "intranet",
        "kubernetes_config",
        "kubernetes_config.cms_enabled",
        "kubernetes_config.cpu_policy",
        "kubernetes_config.labels[]",
        "kubernetes_config.labels[].key",
        "kubernetes_config.labels[].value",
        "kubernetes_config.node_name_mode",
        "kubernetes_config.pre_user_data",
        "kubernetes_config.runtime",
        "kubernetes_config.runtime_version",
        "kubernetes_config.taints[]",
        "kubernetes_config.taints[].effect",
        "kubernetes_config.taints[].key",
        "kubernetes_config.taints[].value",
        "kubernetes_config.unschedulable",
        "kubernetes_config.user_data",
        "management",
        "management.auto_fault_diagnosis",
        "management.auto_repair",
        "management.auto_repair_policy",
        "management.auto_repair_policy.approval_required",
        "management.auto_repair_policy.max_parallel_repairing_nodes",
        "management.auto_repair_policy.max_unhealthy_nodes_threshold",
        "management.auto_repair_policy.restart_node",
        "management.auto_upgrade",
        "management.auto_upgrade_policy",
        "management.auto_upgrade_policy.auto_upgrade_kubelet",
        "management.auto_upgrade_policy.auto_upgrade_os",
        "management.auto_upgrade_policy.auto_upgrade_runtime",
        "management.auto_vul_fix",
        "management.auto_vul_fix_policy",
        "management.auto_vul_fix_policy.exclude_packages",
        "management.auto_vul_fix_policy.restart_node",
        "management.auto_vul_fix_policy.vul_level",
        "management.drift_enabled",
        "management.enable",
        "management.upgrade_config",
        "management.upgrade_config.auto_upgrade",
        "management.upgrade_config.max_unavailable",
        "management.upgrade_config.surge",
        "management.upgrade_config.surge_percentage",
        "max_nodes",
        "node_components[]",
        "node_components[].config",
        "node_components[].config.custom_config",
        "node_components[].config.envs[]",
        "node_components[].config.envs[].name",
        "node_components[].config.envs[].value",
        "node_components[].name",
        "node_components[].version",
        "node_config",
        "node_config.kubelet_configuration",
        "node_config.kubelet_configuration.allowedUnsafeSysctls[]",
        "node_config.kubelet_configuration.clusterDNS[]",
        "node_config.kubelet_configuration.containerLogMaxFiles",
        "node_config.kubelet_configuration.containerLogMaxSize",
        "node_config.kubelet_configuration.containerLogMaxWorkers",
        "node_config.kubelet_configuration.containerLogMonitorInterval",
        "node_config.kubelet_configuration.cpuCFSQuota",
        "node_config.kubelet_configuration.cpuCFSQuotaPeriod",
        "node_config.kubelet_configuration.cpuManagerPolicy",
        "node_config.kubelet_configuration.eventBurst",
        "node_config.kubelet_configuration.eventRecordQPS",
        "node_config.kubelet_configuration.evictionHard",
        "node_config.kubelet_configuration.evictionSoft",
        "node_config.kubelet_configuration.evictionSoftGracePeriod",
        "node_config.kubelet_configuration.featureGates",
        "node_config.kubelet_configuration.imageGCHighThresholdPercent",
        "node_config.kubelet_configuration.imageGCLowThresholdPercent",
        "node_config.kubelet_configuration.kubeAPIBurst",
        "node_config.kubelet_configuration.kubeAPIQPS",
        "node_config.kubelet_configuration.kubeReserved",
        "node_config.kubelet_configuration.maxPods",
        "node_config.kubelet_configuration.memoryManagerPolicy",
        "node_config.kubelet_configuration.podPidsLimit",
        "node_config.kubelet_configuration.readOnlyPort",
        "node_config.kubelet_configuration.registryBurst",
        "node_config.kubelet_configuration.registryPullQPS",
        "node_config.kubelet_configuration.reservedMemory[]",
        "node_config.kubelet_configuration.reservedMemory[].limits",
        "node_config.kubelet_configuration.reservedMemory[].numaNode",
        "node_config.kubelet_configuration.serializeImagePulls",
        "node_config.kubelet_configuration.serverTLSBootstrap",
        "node_config.kubelet_configuration.systemReserved",
        "node_config.kubelet_configuration.topologyManagerPolicy",
        "node_config.kubelet_configuration.tracing",
        "node_config.kubelet_configuration.tracing.endpoint",
        "node_config.kubelet_configuration.tracing.samplingRatePerMillion",
        "node_config.node_os_config",
        "node_config.node_os_config.hugepage",
        "node_config.node_os_config.hugepage.khugepagedAllocSleepMillisecs",
        "node_config.node_os_config.hugepage.khugepagedDefrag",
        "node_config.node_os_config.hugepage.khugepagedPagesToScan",
        "node_config.node_os_config.hugepage.khugepagedScanSleepMillisecs",
        "node_config.node_os_config.hugepage.transparentDefrag",
        "node_config.node_os_config.hugepage.transparentEnabled",
        "node_config.node_os_config.sysctl",
        "nodepool_info",
        "nodepool_info.name",
        "nodepool_info.resource_group_id",
        "nodepool_info.type",
        "scaling_group",
        "scaling_group.auto_renew",
        "scaling_group.auto_renew_period",
        "scaling_group.cis_enabled",
        "scaling_group.compensate_with_on_demand",
        "scaling_group.cpu_options",
        "scaling_group.cpu_options.nested_virtualization",
        "scaling_group.data_disks[]",
        "scaling_group.data_disks[].auto_format",
        "scaling_group.data_disks[].auto_snapshot_policy_id",
        "scaling_group.data_disks[].bursting_enabled",
        "scaling_group.data_disks[].category",
        "scaling_group.data_disks[].device",
        "scaling_group.data_disks[].disk_name",
        "scaling_group.data_disks[].encrypted",
        "scaling_group.data_disks[].file_system",
        "scaling_group.data_disks[].kms_key_id",
        "scaling_group.data_disks[].mount_target",
        "scaling_group.data_disks[].performance_level",
        "scaling_group.data_disks[].provisioned_iops",
        "scaling_group.data_disks[].size",
        "scaling_group.data_disks[].snapshot_id",
        "scaling_group.deploymentset_id",
        "scaling_group.desired_size",
        "scaling_group.disk_init[]",
        "scaling_group.disk_init[].disk_name",
        "scaling_group.disk_init[].local_disk",
        "scaling_group.disk_init[].mkfs_type",
        "scaling_group.disk_init[].mount_for_runtime",
        "scaling_group.disk_init[].mount_target",
        "scaling_group.enable_high_density_mode",
        "scaling_group.image_id",
        "scaling_group.image_type",
        "scaling_group.instance_charge_type",
        "scaling_group.instance_metadata_options",
        "scaling_group.instance_metadata_options.http_tokens",
        "scaling_group.instance_patterns[]",
        "scaling_group.instance_patterns[].architectures[]",
        "scaling_group.instance_patterns[].burst_performance_option",
        "scaling_group.instance_patterns[].core",
        "scaling_group.instance_patterns[].cores",
        "scaling_group.instance_patterns[].cpu_architectures[]",
        "scaling_group.instance_patterns[].excluded_instance_types[]",
        "scaling_group.instance_patterns[].instance_categories[]",
        "scaling_group.instance_patterns[].instance_family_level",
        "scaling_group.instance_patterns[].instance_type_families[]",
        "scaling_group.instance_patterns[].max_cpu_cores",
        "scaling_group.instance_patterns[].max_memory_size",
        "scaling_group.instance_patterns[].max_price",
        "scaling_group.instance_patterns[].maximum_gpu_amount",
        "scaling_group.instance_patterns[].memory",
        "scaling_group.instance_patterns[].min_cpu_cores",
        "scaling_group.instance_patterns[].min_memory_size",
        "scaling_group.instance_patterns[].minimum_eni_ipv6_address_quantity",
        "scaling_group.instance_patterns[].minimum_eni_private_ip_address_quantity",
        "scaling_group.instance_patterns[].minimum_eni_quantity",
        "scaling_group.instance_types[]",
        "scaling_group.internet_charge_type",
        "scaling_group.internet_max_bandwidth_out",
        "scaling_group.key_pair",
        "scaling_group.login_as_non_root",
        "scaling_group.login_password",
        "scaling_group.multi_az_policy",
        "scaling_group.on_demand_base_capacity",
        "scaling_group.on_demand_percentage_above_base_capacity",
        "scaling_group.period",
        "scaling_group.period_unit",
        "scaling_group.platform",
        "scaling_group.private_pool_options",
        "scaling_group.private_pool_options.id",
        "scaling_group.private_pool_options.match_criteria",
        "scaling_group.ram_role_name",
        "scaling_group.rds_instances[]",
        "scaling_group.resource_pool_options",
        "scaling_group.resource_pool_options.private_pool_ids[]",
        "scaling_group.resource_pool_options.strategy",
        "scaling_group.scaling_policy",
        "scaling_group.security_group_id",
        "scaling_group.security_group_ids[]",
        "scaling_group.security_hardening_os",
        "scaling_group.soc_enabled",
        "scaling_group.spot_instance_pools",
        "scaling_group.spot_instance_remedy",
        "scaling_group.spot_price_limit[]",
        "scaling_group.spot_price_limit[].instance_type",
        "scaling_group.spot_price_limit[].price_limit",
        "scaling_group.spot_strategy",
        "scaling_group.system_disk_bursting_enabled",
        "scaling_group.system_disk_categories[]",
        "scaling_group.system_disk_category",
        "scaling_group.system_disk_encrypt_algorithm",
        "scaling_group.system_disk_encrypted",
        "scaling_group.system_disk_kms_key_id",
        "scaling_group.system_disk_performance_level",
        "scaling_group.system_disk_provisioned_iops",
        "scaling_group.system_disk_size",
        "scaling_group.system_disk_snapshot_policy_id",
        "scaling_group.tags[]",
        "scaling_group.tags[].key",
        "scaling_group.tags[].value",
        "scaling_group.vswitch_ids[]",
        "tee_config",
        "tee_config.tee_enable",
    ];

    /// Wire paths in the spec that the SDK does not model: `vpc_id` is in the API reference
    /// and both of its request examples.
    const EXTRA_WIRE_PATHS: &[&str] = &["scaling_group.vpc_id"];

    const SEED_CLUSTER: &str = "c61da77e8bfbc4c4c999af2b51b65f3a7";

    fn parse(json: &str) -> Value {
        serde_json::from_str(json).expect("test JSON parses")
    }

    /// A spec from a wire body: snake -> camel, plus where the cluster is.
    fn spec_from_wire(body: &Value) -> AlibabaNodePool {
        let mut camel = from_wire(body.clone());
        camel["regionId"] = json!("cn-hangzhou");
        camel["clusterId"] = json!(SEED_CLUSTER);
        serde_json::from_value(camel).expect("wire body deserializes into the spec")
    }

    fn alibaba_schema() -> Value {
        let crd = serde_json::to_value(NodePool::crd()).expect("CRD serializes");
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
            ["alibaba"]
            .clone()
    }

    fn under_verbatim(camel_path: &[String]) -> bool {
        VERBATIM_PATHS.iter().any(|verbatim| {
            camel_path.len() > verbatim.len()
                && verbatim.iter().zip(camel_path).all(|(a, b)| a == b)
        })
    }

    /// Every property of the body part of the schema, as a wire path in the SDK table's form.
    fn schema_wire_paths(
        node: &Value,
        camel: &mut Vec<String>,
        prefix: &str,
        out: &mut BTreeSet<String>,
    ) {
        let Some(properties) = node["properties"].as_object() else {
            return;
        };
        for (name, child) in properties {
            if camel.is_empty() && ["regionId", "clusterId", "forceDelete"].contains(&name.as_str())
            {
                continue;
            }
            camel.push(name.clone());
            let segment = if under_verbatim(camel) {
                name.clone()
            } else {
                camel_to_snake(name)
            };
            let mut path = if prefix.is_empty() {
                segment
            } else {
                format!("{prefix}.{segment}")
            };
            let next = if child["type"] == "array" {
                path.push_str("[]");
                &child["items"]
            } else {
                child
            };
            out.insert(path.clone());
            schema_wire_paths(next, camel, &path, out);
            camel.pop();
        }
    }

    /// All wire paths set in a body (same form as SDK_WIRE_PATHS; maps and free-form objects
    /// are leaves).
    fn body_wire_paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        let Some(map) = value.as_object() else { return };
        for (key, child) in map {
            let mut path = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            let leaf_map = matches!(
                key.as_str(),
                "sysctl"
                    | "custom_config"
                    | "evictionHard"
                    | "evictionSoft"
                    | "evictionSoftGracePeriod"
                    | "featureGates"
                    | "kubeReserved"
                    | "systemReserved"
                    | "limits"
            );
            match child {
                Value::Array(items) => {
                    path.push_str("[]");
                    out.insert(path.clone());
                    for item in items {
                        body_wire_paths(item, &path, out);
                    }
                }
                Value::Object(_) if !leaf_map => {
                    out.insert(path.clone());
                    body_wire_paths(child, &path, out);
                }
                _ => {
                    out.insert(path);
                }
            }
        }
    }

    /// `actual` equals a seed value, where a seed string with `****` (the docs' redaction)
    /// matches any non-empty string without `*` that starts with the part before `****`.
    fn matches_seed(actual: &Value, seed: &Value) -> bool {
        match (actual, seed) {
            (Value::String(a), Value::String(s)) if s.contains("****") => {
                let prefix = &s[..s.find("****").unwrap_or(0)];
                a.len() > prefix.len() && a.starts_with(prefix) && !a.contains('*')
            }
            (Value::Object(a), Value::Object(s)) => {
                a.len() == s.len()
                    && s.iter()
                        .all(|(k, sv)| a.get(k).is_some_and(|av| matches_seed(av, sv)))
            }
            (Value::Array(a), Value::Array(s)) => {
                a.len() == s.len() && a.iter().zip(s).all(|(av, sv)| matches_seed(av, sv))
            }
            _ => actual == seed,
        }
    }

    // --- (a) the seed's request examples ---------------------------------------------------

    #[test]
    fn seed_prepaid_example_round_trips() {
        let seed = parse(SEED_PREPAID);
        let spec = spec_from_wire(&seed);
        assert_eq!(spec.create_body("ignored"), seed);
        let group = spec.scaling_group.as_ref().expect("scaling group");
        assert_eq!(
            group.instance_charge_type,
            Some(InstanceChargeType::PrePaid)
        );
        assert_eq!(group.period_unit, Some(PeriodUnit::Month));
        assert_eq!(
            group.data_disks.as_ref().expect("disks")[0].encrypted,
            Some(DiskEncrypted::False)
        );
        assert_eq!(
            group.rds_instances,
            Some(vec![]),
            "an empty list is kept, not dropped"
        );
        assert_eq!(spec.pool_name("ignored"), "cluster-demo");
    }

    #[test]
    fn seed_autoscaling_example_round_trips() {
        let seed = parse(SEED_AUTOSCALING);
        let spec = spec_from_wire(&seed);
        assert_eq!(spec.create_body("ignored"), seed);
        let scaling = spec.auto_scaling.as_ref().expect("auto scaling");
        assert_eq!(
            (scaling.min_instances, scaling.max_instances),
            (Some(1), Some(10))
        );
        assert_eq!(scaling.r#type, Some(AutoScalingType::Cpu));
        let k8s = spec.kubernetes_config.as_ref().expect("kubernetes config");
        assert_eq!(
            k8s.user_data.as_deref(),
            Some(""),
            "an empty string is kept"
        );
        assert_eq!(k8s.taints, Some(vec![]));
        assert_eq!(k8s.runtime, Some(ContainerRuntime::Docker));
    }

    // --- (b) every field -------------------------------------------------------------------

    #[test]
    fn rich_body_sets_every_sdk_field_and_round_trips() {
        let rich = parse(RICH);
        let mut set = BTreeSet::new();
        body_wire_paths(&rich, "", &mut set);
        let expected: BTreeSet<String> = SDK_WIRE_PATHS
            .iter()
            .chain(EXTRA_WIRE_PATHS)
            .map(|p| p.to_string())
            .collect();
        assert_eq!(set, expected, "RICH must set exactly every SDK field");

        let spec = spec_from_wire(&rich);
        assert_eq!(spec.create_body("ignored"), rich);
        // Through the spec's own serde shape too (what the apiserver stores).
        let stored = serde_json::to_value(&spec).expect("spec serializes");
        let back: AlibabaNodePool = serde_json::from_value(stored).expect("spec deserializes");
        assert_eq!(back, spec);
    }

    #[test]
    fn from_wire_inverts_to_wire() {
        for body in [parse(RICH), parse(SEED_PREPAID), parse(SEED_AUTOSCALING)] {
            assert_eq!(to_wire(from_wire(body.clone())), body);
        }
    }

    #[test]
    fn create_body_leaves_out_location_and_defaults_the_name() {
        let spec = AlibabaNodePool {
            region_id: "cn-hangzhou".into(),
            cluster_id: SEED_CLUSTER.into(),
            ..Default::default()
        };
        assert_eq!(
            spec.create_body("web"),
            json!({"nodepool_info": {"name": "web"}})
        );
        assert_eq!(spec.pool_name("web"), "web");

        let spec = AlibabaNodePool {
            nodepool_info: Some(NodepoolInfo {
                resource_group_id: Some("rg-1".into()),
                r#type: Some(NodePoolType::Ess),
                ..Default::default()
            }),
            ..spec
        };
        assert_eq!(
            spec.create_body("web"),
            json!({"nodepool_info": {"name": "web", "resource_group_id": "rg-1", "type": "ess"}})
        );

        let spec = AlibabaNodePool {
            nodepool_info: Some(NodepoolInfo {
                name: Some("ack-name".into()),
                ..Default::default()
            }),
            ..spec
        };
        assert_eq!(spec.pool_name("web"), "ack-name");
        assert_eq!(
            spec.create_body("web")["nodepool_info"],
            json!({"name": "ack-name"})
        );
    }

    #[test]
    fn debug_output_never_shows_the_login_password() {
        let mut seed = parse(SEED_AUTOSCALING);
        seed["scaling_group"]["login_password"] = json!("Sw0rdfish-Secret");
        let spec = spec_from_wire(&seed);
        let group = spec.scaling_group.as_ref().expect("scaling group");
        assert_eq!(
            group.login_password,
            Some(Password("Sw0rdfish-Secret".into()))
        );
        let debug = format!("{spec:?}");
        assert!(
            debug.contains("Password(<redacted>)") && !debug.contains("Sw0rdfish"),
            "{debug}"
        );
        // ... while the request body still carries it.
        assert_eq!(
            spec.create_body("x")["scaling_group"]["login_password"],
            "Sw0rdfish-Secret"
        );
    }

    #[test]
    fn data_disk_encrypted_is_a_string_on_the_wire() {
        let disk: DataDisk = serde_json::from_value(json!({"encrypted": "true"})).expect("string");
        assert_eq!(
            serde_json::to_value(&disk).expect("serializes"),
            json!({"encrypted": "true"})
        );
        assert!(serde_json::from_value::<DataDisk>(json!({"encrypted": true})).is_err());
        assert!(serde_json::from_value::<DataDisk>(json!({"encrypted": "yes"})).is_err());
    }

    fn names<T: Serialize>(values: &[T]) -> Vec<String> {
        values
            .iter()
            .map(|v| {
                serde_json::to_value(v)
                    .expect("serializes")
                    .as_str()
                    .expect("a string")
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn enums_use_the_documented_wire_spellings() {
        use DataDiskCategory as D;
        use SystemDiskCategory as S;
        assert_eq!(
            names(&[
                NodePoolType::Ess,
                NodePoolType::Edge,
                NodePoolType::Lingjun,
                NodePoolType::Hybrid
            ]),
            ["ess", "edge", "lingjun", "hybrid"]
        );
        assert_eq!(
            names(&[InstanceChargeType::PrePaid, InstanceChargeType::PostPaid]),
            ["PrePaid", "PostPaid"]
        );
        assert_eq!(
            names(&[PeriodUnit::Month, PeriodUnit::Week]),
            ["Month", "Week"]
        );
        assert_eq!(
            names(&[
                Platform::CentOS,
                Platform::AliyunLinux,
                Platform::Windows,
                Platform::WindowsCore
            ]),
            ["CentOS", "AliyunLinux", "Windows", "WindowsCore"]
        );
        assert_eq!(
            names(&[
                S::CloudEfficiency,
                S::CloudSsd,
                S::CloudEssd,
                S::CloudAuto,
                S::CloudEssdEntry
            ]),
            [
                "cloud_efficiency",
                "cloud_ssd",
                "cloud_essd",
                "cloud_auto",
                "cloud_essd_entry"
            ]
        );
        assert_eq!(
            names(&[
                D::Cloud,
                D::CloudEfficiency,
                D::CloudSsd,
                D::CloudEssd,
                D::CloudAuto,
                D::CloudEssdEntry,
                D::ElasticEphemeralDiskPremium,
                D::ElasticEphemeralDiskStandard
            ]),
            [
                "cloud",
                "cloud_efficiency",
                "cloud_ssd",
                "cloud_essd",
                "cloud_auto",
                "cloud_essd_entry",
                "elastic_ephemeral_disk_premium",
                "elastic_ephemeral_disk_standard"
            ]
        );
        assert_eq!(
            names(&[
                DiskPerformanceLevel::PL0,
                DiskPerformanceLevel::PL1,
                DiskPerformanceLevel::PL2,
                DiskPerformanceLevel::PL3
            ]),
            ["PL0", "PL1", "PL2", "PL3"]
        );
        assert_eq!(
            names(&[DiskEncrypted::True, DiskEncrypted::False]),
            ["true", "false"]
        );
        assert_eq!(names(&[EncryptAlgorithm::Aes256]), ["aes-256"]);
        assert_eq!(names(&[FileSystem::Ext4, FileSystem::Xfs]), ["ext4", "xfs"]);
        assert_eq!(
            names(&[
                MultiAzPolicy::Priority,
                MultiAzPolicy::CostOptimized,
                MultiAzPolicy::Balance
            ]),
            ["PRIORITY", "COST_OPTIMIZED", "BALANCE"]
        );
        assert_eq!(
            names(&[
                SpotStrategy::NoSpot,
                SpotStrategy::SpotWithPriceLimit,
                SpotStrategy::SpotAsPriceGo
            ]),
            ["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"]
        );
        assert_eq!(
            names(&[ScalingPolicy::Release, ScalingPolicy::Recycle]),
            ["release", "recycle"]
        );
        assert_eq!(
            names(&[
                InternetChargeType::PayByBandwidth,
                InternetChargeType::PayByTraffic
            ]),
            ["PayByBandwidth", "PayByTraffic"]
        );
        assert_eq!(
            names(&[
                PrivatePoolMatchCriteria::Open,
                PrivatePoolMatchCriteria::Target,
                PrivatePoolMatchCriteria::None
            ]),
            ["Open", "Target", "None"]
        );
        assert_eq!(
            names(&[
                ResourcePoolStrategy::PrivatePoolFirst,
                ResourcePoolStrategy::PrivatePoolOnly,
                ResourcePoolStrategy::None
            ]),
            ["PrivatePoolFirst", "PrivatePoolOnly", "None"]
        );
        assert_eq!(
            names(&[
                NestedVirtualization::Enabled,
                NestedVirtualization::Disabled
            ]),
            ["enabled", "disabled"]
        );
        assert_eq!(
            names(&[HttpTokens::Optional, HttpTokens::Required]),
            ["optional", "required"]
        );
        assert_eq!(
            names(&[
                TaintEffect::NoSchedule,
                TaintEffect::NoExecute,
                TaintEffect::PreferNoSchedule
            ]),
            ["NoSchedule", "NoExecute", "PreferNoSchedule"]
        );
        assert_eq!(
            names(&[
                ContainerRuntime::Containerd,
                ContainerRuntime::SandboxedContainerRunv,
                ContainerRuntime::Docker
            ]),
            ["containerd", "Sandboxed-Container.runv", "docker"]
        );
        assert_eq!(
            names(&[CpuPolicy::None, CpuPolicy::Static]),
            ["none", "static"]
        );
        assert_eq!(
            names(&[
                AutoScalingType::Cpu,
                AutoScalingType::Gpu,
                AutoScalingType::Gpushare,
                AutoScalingType::Spot
            ]),
            ["cpu", "gpu", "gpushare", "spot"]
        );
        assert_eq!(
            names(&[MemoryManagerPolicy::None, MemoryManagerPolicy::Static]),
            ["None", "Static"]
        );
        assert_eq!(
            names(&[
                TopologyManagerPolicy::None,
                TopologyManagerPolicy::BestEffort,
                TopologyManagerPolicy::Restricted,
                TopologyManagerPolicy::SingleNumaNode
            ]),
            ["none", "best-effort", "restricted", "single-numa-node"]
        );
        assert_eq!(
            names(&[
                TransparentHugepageEnabled::Always,
                TransparentHugepageEnabled::Madvise,
                TransparentHugepageEnabled::Never
            ]),
            ["always", "madvise", "never"]
        );
        assert_eq!(
            names(&[
                TransparentHugepageDefrag::Always,
                TransparentHugepageDefrag::Defer,
                TransparentHugepageDefrag::DeferMadvise,
                TransparentHugepageDefrag::Madvise,
                TransparentHugepageDefrag::Never
            ]),
            ["always", "defer", "defer+madvise", "madvise", "never"]
        );
        assert_eq!(
            names(&[InterconnectMode::Basic, InterconnectMode::Private]),
            ["basic", "private"]
        );
    }

    // --- (c) the converter -----------------------------------------------------------------

    #[test]
    fn names_convert_both_ways_including_digits() {
        for (camel, snake) in [
            (
                "minimumEniIpv6AddressQuantity",
                "minimum_eni_ipv6_address_quantity",
            ),
            (
                "onDemandPercentageAboveBaseCapacity",
                "on_demand_percentage_above_base_capacity",
            ),
            ("vswitchIds", "vswitch_ids"),
            ("nodepoolInfo", "nodepool_info"),
            ("deploymentsetId", "deploymentset_id"),
            ("type", "type"),
        ] {
            assert_eq!(camel_to_snake(camel), snake);
            assert_eq!(snake_to_camel(snake), camel);
        }
    }

    #[test]
    fn to_wire_renames_keys_recursively_through_lists() {
        let spec = json!({
            "scalingGroup": {"instanceTypes": ["ecs.gN7i-c8g1.2xlarge"], "dataDisks": [{"kmsKeyId": "kmsKey", "size": 40}]},
            "kubernetesConfig": {"labels": [{"key": "camelKey", "value": "camelValue"}]},
        });
        assert_eq!(
            to_wire(spec),
            json!({
                "scaling_group": {"instance_types": ["ecs.gN7i-c8g1.2xlarge"], "data_disks": [{"kms_key_id": "kmsKey", "size": 40}]},
                "kubernetes_config": {"labels": [{"key": "camelKey", "value": "camelValue"}]},
            }),
            "keys are renamed, string values never are"
        );
        assert_eq!(to_wire(json!(["aB", 1, null])), json!(["aB", 1, null]));
    }

    #[test]
    fn verbatim_subtrees_keep_their_keys_both_ways() {
        let spec = json!({
            "nodeConfig": {
                "kubeletConfiguration": {"clusterDNS": ["10.0.0.10"], "kubeAPIQPS": 50, "evictionHard": {"memory.available": "5%"}},
                "nodeOsConfig": {
                    "hugepage": {"transparentEnabled": "never", "khugepagedDefrag": 0},
                    "sysctl": {"vm.max_map_count": 262144, "kernel.someCamel": "1"},
                },
            },
            "nodeComponents": [{"name": "kubelet", "config": {
                "customConfig": {"cpuManagerPolicy": "static", "snake_key": {"innerCamel": 1}},
                "envs": [{"name": "A_B", "value": "c_d"}],
            }}],
        });
        let wire = json!({
            "node_config": {
                "kubelet_configuration": {"clusterDNS": ["10.0.0.10"], "kubeAPIQPS": 50, "evictionHard": {"memory.available": "5%"}},
                "node_os_config": {
                    "hugepage": {"transparentEnabled": "never", "khugepagedDefrag": 0},
                    "sysctl": {"vm.max_map_count": 262144, "kernel.someCamel": "1"},
                },
            },
            "node_components": [{"name": "kubelet", "config": {
                "custom_config": {"cpuManagerPolicy": "static", "snake_key": {"innerCamel": 1}},
                "envs": [{"name": "A_B", "value": "c_d"}],
            }}],
        });
        assert_eq!(to_wire(spec.clone()), wire);
        assert_eq!(from_wire(wire), spec);
    }

    #[test]
    fn only_the_listed_paths_are_verbatim() {
        // The same key names elsewhere are ordinary Alibaba names and get converted.
        assert_eq!(
            to_wire(
                json!({"scalingGroup": {"sysctl": {"aB": 1}, "customConfig": {"cD": 2}}, "sysctl": {"eF": 3}})
            ),
            json!({"scaling_group": {"sysctl": {"a_b": 1}, "custom_config": {"c_d": 2}}, "sysctl": {"e_f": 3}})
        );
    }

    #[test]
    fn verbatim_paths_exist_in_the_schema() {
        let schema = alibaba_schema();
        for path in VERBATIM_PATHS {
            let mut node = &schema;
            for key in *path {
                if node["type"] == "array" {
                    node = &node["items"];
                }
                node = &node["properties"][*key];
                assert!(
                    node.is_object(),
                    "verbatim path {path:?}: no property {key}"
                );
            }
        }
    }

    #[test]
    fn every_sdk_name_survives_camel_and_back() {
        for path in SDK_WIRE_PATHS.iter().chain(EXTRA_WIRE_PATHS) {
            let mut camel_path: Vec<String> = Vec::new();
            for segment in path.split('.') {
                let segment = segment.trim_end_matches("[]");
                camel_path.push(segment.to_owned());
                if under_verbatim(&camel_path) {
                    continue; // kept in its wire spelling
                }
                let camel = snake_to_camel(segment);
                assert_eq!(camel_to_snake(&camel), segment, "in {path}");
                *camel_path.last_mut().expect("just pushed") = camel;
            }
        }
    }

    #[test]
    fn schema_fields_are_exactly_the_sdk_fields() {
        let schema = alibaba_schema();
        let mut found = BTreeSet::new();
        schema_wire_paths(&schema, &mut Vec::new(), "", &mut found);
        let expected: BTreeSet<String> = SDK_WIRE_PATHS
            .iter()
            .chain(EXTRA_WIRE_PATHS)
            .map(|p| p.to_string())
            .collect();
        let missing: Vec<_> = expected.difference(&found).collect();
        let unknown: Vec<_> = found.difference(&expected).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "missing from the spec: {missing:?}; not SDK names: {unknown:?}"
        );

        // And every converted property name comes back unchanged: camel -> snake -> camel.
        fn check(node: &Value, camel: &mut Vec<String>) {
            let Some(properties) = node["properties"].as_object() else {
                return;
            };
            for (name, child) in properties {
                camel.push(name.clone());
                if !under_verbatim(camel) {
                    assert_eq!(&snake_to_camel(&camel_to_snake(name)), name);
                }
                check(
                    if child["type"] == "array" {
                        &child["items"]
                    } else {
                        child
                    },
                    camel,
                );
                camel.pop();
            }
        }
        check(&schema, &mut Vec::new());
    }

    // --- (d) schema shape and samples ------------------------------------------------------

    #[test]
    fn schema_is_structural_and_documented() {
        fn walk(node: &Value, path: &str, problems: &mut Vec<String>) {
            for keyword in ["anyOf", "oneOf", "allOf", "not", "$ref"] {
                if node.get(keyword).is_some() {
                    problems.push(format!("{path}: {keyword}"));
                }
            }
            let typed = node["type"].is_string()
                || node["x-kubernetes-int-or-string"] == true
                || node["x-kubernetes-preserve-unknown-fields"] == true;
            if !typed {
                problems.push(format!("{path}: no type"));
            }
            if let Some(properties) = node["properties"].as_object() {
                for (name, child) in properties {
                    if child["description"].as_str().is_none_or(str::is_empty) {
                        problems.push(format!("{path}.{name}: no description"));
                    }
                    walk(child, &format!("{path}.{name}"), problems);
                }
            }
            if node["items"].is_object() {
                walk(&node["items"], &format!("{path}[]"), problems);
            }
            if node["additionalProperties"].is_object() {
                walk(
                    &node["additionalProperties"],
                    &format!("{path}{{}}"),
                    problems,
                );
            }
            for rule in node["x-kubernetes-validations"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if rule["message"].as_str().is_none_or(str::is_empty) {
                    problems.push(format!("{path}: rule without message: {}", rule["rule"]));
                }
            }
        }
        let mut problems = Vec::new();
        walk(&alibaba_schema(), "alibaba", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// (schema path, number of CEL rules there): a rule added, moved or lost shows up here.
    #[test]
    fn cel_rules_sit_where_expected() {
        fn collect(node: &Value, path: &str, out: &mut Vec<(String, usize)>) {
            if let Some(rules) = node["x-kubernetes-validations"].as_array() {
                out.push((path.to_owned(), rules.len()));
            }
            for (name, child) in node["properties"].as_object().into_iter().flatten() {
                collect(child, &format!("{path}.{name}"), out);
            }
            if node["items"].is_object() {
                collect(&node["items"], &format!("{path}[]"), out);
            }
        }
        let mut found = Vec::new();
        collect(&alibaba_schema(), "alibaba", &mut found);
        let expected = [
            ("alibaba", 24),
            ("alibaba.autoScaling", 1),
            ("alibaba.autoScaling.maxInstances", 1),
            ("alibaba.autoScaling.minInstances", 1),
            ("alibaba.clusterId", 2),
            (
                "alibaba.management.autoRepairPolicy.maxParallelRepairingNodes",
                1,
            ),
            (
                "alibaba.management.autoRepairPolicy.maxUnhealthyNodesThreshold",
                1,
            ),
            ("alibaba.management.autoVulFixPolicy.vulLevel", 1),
            ("alibaba.management.upgradeConfig", 1),
            ("alibaba.nodepoolInfo.name", 1),
            ("alibaba.regionId", 2),
            ("alibaba.scalingGroup", 9),
            ("alibaba.scalingGroup.desiredSize", 1),
            ("alibaba.scalingGroup.instanceTypes", 1),
            ("alibaba.scalingGroup.loginPassword", 1),
            ("alibaba.scalingGroup.privatePoolOptions", 1),
            ("alibaba.scalingGroup.resourcePoolOptions", 1),
            ("alibaba.scalingGroup.systemDiskSize", 1),
            ("alibaba.scalingGroup.tags[]", 1),
            ("alibaba.scalingGroup.vswitchIds", 1),
        ];
        let expected: Vec<(String, usize)> =
            expected.iter().map(|(p, n)| (p.to_string(), *n)).collect();
        found.sort();
        assert_eq!(found, expected);
    }

    fn sample(yaml: &str) -> NodePool {
        serde_yaml::from_str(yaml).expect("sample parses as a NodePool")
    }

    #[test]
    fn force_delete_defaults_to_false_and_stays_out_of_the_body() {
        let mut spec = spec_from_wire(&parse(SEED_PREPAID));
        assert!(!spec.force_delete());
        spec.force_delete = Some(true);
        assert!(spec.force_delete());
        let body = spec.create_body("web");
        assert!(body.get("force_delete").is_none() && body.get("forceDelete").is_none());
        let camel = serde_json::to_value(&spec).expect("spec serializes");
        assert_eq!(camel["forceDelete"], json!(true));
    }

    #[test]
    fn fields_ack_cannot_update_are_guarded_and_documented() {
        let schema = alibaba_schema();
        let guarded: Vec<String> = schema["x-kubernetes-validations"]
            .as_array()
            .expect("rules")
            .iter()
            .filter(|r| r["rule"].as_str().is_some_and(|t| t.contains("oldSelf")))
            .filter_map(|r| r["fieldPath"].as_str().map(str::to_string))
            .collect();
        // What ModifyClusterNodePoolRequest cannot carry; the full derivation from the SDK is
        // tests/sdk/check_immutable.py.
        for field in [
            ".scalingGroup.securityGroupId",
            ".scalingGroup.ramRoleName",
            ".scalingGroup.loginAsNonRoot",
            ".scalingGroup.instanceMetadataOptions",
            ".scalingGroup.vpcId",
            ".nodeConfig",
            ".nodeComponents",
            ".autoMode",
            ".efloNodeGroup.groupId",
        ] {
            assert!(guarded.iter().any(|g| g == field), "{field} is not guarded");
            let mut node = &schema;
            for name in field.trim_start_matches('.').split('.') {
                node = &node["properties"][name];
            }
            assert!(
                node["description"]
                    .as_str()
                    .is_some_and(|d| d.contains("Immutable")),
                "{field}: the description does not say Immutable"
            );
        }
        // What it can carry is not guarded.
        for field in [
            ".scalingGroup.securityGroupIds",
            ".scalingGroup.instanceChargeType",
            ".scalingGroup.instanceTypes",
            ".scalingGroup.desiredSize",
            ".kubernetesConfig",
            ".forceDelete",
        ] {
            assert!(!guarded.iter().any(|g| g == field), "{field} can change");
        }
    }

    #[test]
    fn seed_samples_are_the_seed_examples() {
        for (yaml, seed) in [
            (
                include_str!("../../deploy/samples/alibaba-seed.yaml"),
                SEED_PREPAID,
            ),
            (
                include_str!("../../deploy/samples/alibaba-seed-autoscaling.yaml"),
                SEED_AUTOSCALING,
            ),
        ] {
            let pool = sample(yaml);
            assert_eq!(pool.spec.credentials_ref.name, "alibaba-credentials");
            assert!(pool.spec.huawei.is_none());
            let alibaba = pool.spec.alibaba.as_ref().expect("spec.alibaba");
            assert_eq!(alibaba.region_id, "cn-hangzhou");
            assert!(matches_seed(
                &json!(alibaba.cluster_id),
                &json!("c61da77e8bfbc4c4c999af2b51b65****")
            ));
            let name = pool.metadata.name.as_deref().expect("metadata.name");
            let body = alibaba.create_body(name);
            assert!(matches_seed(&body, &parse(seed)), "{name}: {body:#}");
        }
    }

    #[test]
    fn keypair_sample_is_a_post_paid_key_pair_pool() {
        let pool = sample(include_str!("../../deploy/samples/alibaba-keypair.yaml"));
        assert_eq!(pool.spec.credentials_ref.name, "alibaba-credentials");
        let alibaba = pool.spec.alibaba.as_ref().expect("spec.alibaba");
        let group = alibaba.scaling_group.as_ref().expect("scalingGroup");
        assert!(group.key_pair.is_some() && group.login_password.is_none());
        assert_eq!(
            group.instance_charge_type,
            Some(InstanceChargeType::PostPaid)
        );
        let k8s = alibaba
            .kubernetes_config
            .as_ref()
            .expect("kubernetesConfig");
        assert!(k8s.labels.as_ref().is_some_and(|l| !l.is_empty()));
        assert!(k8s.taints.as_ref().is_some_and(|t| !t.is_empty()));
        assert_eq!(
            alibaba.auto_scaling.as_ref().and_then(|a| a.enable),
            Some(true)
        );
        assert_eq!(
            alibaba.management.as_ref().and_then(|m| m.enable),
            Some(true)
        );
        let body = alibaba.create_body("ignored");
        assert!(body.get("region_id").is_none() && body.get("cluster_id").is_none());
        assert!(body["scaling_group"]["login_password"].is_null());
    }
}
