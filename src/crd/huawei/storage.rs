//! `nodeTemplate.storage`, `rootVolume`, `dataVolumes`: CCE's `Volume`, `VolumeMetadata`, `Storage`
//! (selectors and groups) and LVM settings.

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rules::{free_form_object, keep_field_docs};

/// What happens to data disks when a node is reset.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVolumeConfig {
    /// `reset_managed_volumes` (default): wipe the data disks CCE manages; `retain_custom_volumes`:
    /// keep user-mounted and local persistent volumes (needs a recent cluster patch version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_reset_policy: Option<CceVolumeResetPolicy>,
}

/// Data disk policy on node reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "snake_case")]
pub enum CceVolumeResetPolicy {
    /// Wipe the data disks CCE manages.
    ResetManagedVolumes,
    /// Keep volumes mounted by the user or used as local persistent volumes.
    RetainCustomVolumes,
}

/// A disk (EVS volume) of a node.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVolume {
    /// Size in GiB. System disk 40-1024 (20-1024 from cluster v1.28); first data disk 20-32768
    /// (100-32768 without `storage`); other data disks 10-32768.
    #[x_kube(validation = Rule::new("self > 0").message("volume size must be a positive number of GiB (system disk 40-1024, data disks 10-32768)"))]
    pub size: i64,

    /// Disk type: `SAS` (high I/O), `SSD` (ultra-high I/O), `GPSSD` (general purpose SSD),
    /// `ESSD` (extreme SSD), `GPSSD2`, `ESSD2`; `SATA` only on existing nodes.
    pub volumetype: String,

    /// Provisioned IOPS; required for `GPSSD2` and `ESSD2`, not allowed for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<i64>,

    /// Provisioned throughput in MiB/s; required for `GPSSD2`, not allowed for other types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<i64>,

    /// Disk extension parameters as in ECS's create-server `extendparam` (e.g. `useType: docker`).
    /// Free-form: CCE passes it through to ECS, whose keys and value types vary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub extend_param: Option<BTreeMap<String, Value>>,

    /// Dedicated cloud only: ID of the dedicated distributed storage (DSS) pool (`dssPoolID`).
    #[serde(
        rename = "cluster_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_id: Option<String>,

    /// Dedicated cloud only: storage type of the disk; always `dss`.
    #[serde(
        rename = "cluster_type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub cluster_type: Option<CceVolumeClusterType>,

    /// `true`: a SCSI disk (for SDI flavors). Must be `true` for `ElasticBMS` pools.
    #[serde(
        rename = "hw:passthrough",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub hw_passthrough: Option<bool>,

    /// Disk encryption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<CceVolumeMetadata>,
}

/// Storage type of a dedicated cloud disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceVolumeClusterType {
    /// Dedicated distributed storage.
    Dss,
}

/// Encryption settings of a disk.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CceVolumeMetadata {
    /// `"1"`: encrypt the disk (set `__system__cmkid` too); `"0"` or unset: not encrypted.
    #[serde(
        rename = "__system__encrypted",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_encrypted: Option<CceFlag>,

    /// ID of the KMS customer master key that encrypts the disk.
    #[serde(
        rename = "__system__cmkid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub system_cmkid: Option<String>,
}

/// A yes/no flag that CCE writes as the string `"1"` or `"0"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CceFlag {
    /// No.
    #[serde(rename = "0")]
    No,
    /// Yes.
    #[serde(rename = "1")]
    Yes,
}

/// Disk layout of the nodes: selectors pick disks, groups turn them into volume groups.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorage {
    /// Disk selectors, matched in order (earlier ones first); names must be unique.
    #[schemars(length(max = 32))]
    pub storage_selectors: Vec<CceStorageSelector>,

    /// Storage groups built from the selected disks; exactly one has `cceManaged: true`.
    #[schemars(length(max = 32))]
    pub storage_groups: Vec<CceStorageGroup>,
}

/// Selects disks of a node for a storage group.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageSelector {
    /// Name of the selector, referenced by `storageGroups[].selectorNames`; unique.
    pub name: String,

    /// `evs` (cloud disks), `local` (all local disks as one volume group; at most one such
    /// selector) or `system` (the system disk).
    pub storage_type: CceStorageType,

    /// Which EVS disks match (unset: all disks of the type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_labels: Option<CceStorageMatchLabels>,
}

/// Kind of disk a storage selector picks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceStorageType {
    /// EVS cloud disks.
    #[default]
    Evs,
    /// Local disks of the flavor.
    Local,
    /// The system disk.
    System,
}

/// Disk properties a storage selector matches; every value is a string, unset matches any.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageMatchLabels {
    /// Disk size in GiB, e.g. `"100"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,

    /// Disk type, e.g. `SSD`, `GPSSD`, `SAS`, `ESSD`, `SATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_type: Option<String>,

    /// Disk IOPS, e.g. `"3000"` (to tell `GPSSD2`/`ESSD2` disks apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iops: Option<String>,

    /// Disk throughput in MiB/s, e.g. `"125"` (to tell `GPSSD2` disks apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throughput: Option<String>,

    /// `"1"`: only encrypted disks; `"0"`: only unencrypted disks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_encrypted: Option<CceFlag>,

    /// KMS key ID (36 characters) of the encrypted disks to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_cmkid: Option<String>,

    /// How many matching disks to take (unset: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<String>,
}

/// A volume group built from the disks of one or more selectors.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceStorageGroup {
    /// Name of the volume group; unique. Must be `vgpaas` when `cceManaged` is true,
    /// `vg-everest-localvolume-ephemeral` / `-persistent` for local ephemeral / persistent volumes.
    pub name: String,

    /// `true`: this group holds Kubernetes and the container runtime (exactly one group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cce_managed: Option<bool>,

    /// Selectors (`storageSelectors[].name`) whose disks form the group; a selector belongs
    /// to one group only, and a `system` selector must be alone.
    pub selector_names: Vec<String>,

    /// How the group's space is split.
    #[schemars(length(max = 4))]
    pub virtual_spaces: Vec<CceVirtualSpace>,
}

/// A share of a storage group's space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceVirtualSpace {
    /// `kubernetes` (kubelet; needs `lvmConfig`), `runtime` (container runtime; needs
    /// `runtimeConfig`), `share` (both in one; needs `lvmConfig`) or `user` (needs `lvmConfig.path`).
    pub name: CceVirtualSpaceName,

    /// Share of the group as a whole percentage, 1%-100%, e.g. `90%`; the shares of a group add up to 100% at most.
    #[schemars(length(max = 4))]
    #[x_kube(validation = Rule::new("self.matches('^([1-9][0-9]?|100)%$')").message("virtualSpaces[].size must be a whole percentage from 1% to 100%, such as 90%"))]
    pub size: String,

    /// Logical volume settings (for `kubernetes`, `share` and `user`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lvm_config: Option<CceLvmConfig>,

    /// Container runtime volume settings (for `runtime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_config: Option<CceRuntimeConfig>,
}

/// What a virtual space is used for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceVirtualSpaceName {
    /// Kubernetes and the runtime in one space.
    Share,
    /// Kubelet space.
    #[default]
    Kubernetes,
    /// Container runtime space.
    Runtime,
    /// User space mounted at a path.
    User,
}

/// Logical volume settings of a virtual space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceLvmConfig {
    /// LVM write mode: `linear`, or `striped` (striped over several disks, faster).
    pub lv_type: CceLvType,

    /// Mount path, only for the `user` space: an absolute path of letters, digits, '.', '-', '_'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Container runtime volume settings of a virtual space.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceRuntimeConfig {
    /// LVM write mode: `linear`, or `striped` (striped over several disks, faster).
    pub lv_type: CceLvType,
}

/// LVM write mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceLvType {
    /// One disk after the other.
    #[default]
    Linear,
    /// Striped over several disks.
    Striped,
}
