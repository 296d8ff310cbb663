//! Disks of the pool's instances: ACK's `DataDisk` (`scalingGroup.dataDisks[]`), the disk
//! initialisation list (`scalingGroup.diskInit[]`) and the disk enums the system disk shares.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rules::drop_description;

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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
}
