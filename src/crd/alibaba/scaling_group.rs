//! `scalingGroup`: ACK's `CreateClusterNodePoolRequestScalingGroup` (instances, system disk, network,
//! billing, spot and private pool options) and its enums; data disks are in [`super::data_disk`].

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::data_disk::{DataDisk, DiskInit, DiskPerformanceLevel, EncryptAlgorithm};
use super::rules::drop_description;

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
