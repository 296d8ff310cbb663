//! `spec.huawei`: a node pool in a Huawei Cloud CCE cluster (CCE API v3).
//!
//! [`HuaweiNodePool`] says where the pool lives (region, project, cluster), what it is
//! called at CCE, and — flattened in, under CCE's own JSON names — every field of CCE's
//! node pool `spec` as the official SDK (`huaweicloudsdkcce` 3.1.219, models `NodePoolSpec`,
//! `NodeTemplate` and their children) knows it. [`HuaweiNodePool::create_body`] turns it
//! into the body of `POST /api/v3/projects/{project_id}/clusters/{cluster_id}/nodepools`.
//!
//! Left out on purpose: what CCE generates and only reports (`metadata.uid`, timestamps,
//! `resourceVersion`, `extensionScaleGroups[].metadata.uid`) and the update-only login flags
//! (`removeUserPassword`, `removeSSHKey`), which mean nothing in a create request.
//!
//! Fields CCE cannot change after the pool is created (what its update model `NodePoolUpdate`
//! cannot carry, plus `flavor` and `az`, which it documents as not modifiable) are refused on
//! update by CEL transition rules; `tests/sdk/check_immutable.py` derives that set from the SDK
//! and checks it against the generated CRD.
//!
//! Doc comments on the types below become the `kubectl explain` text of `spec.huawei`.

use std::collections::BTreeMap;

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod extend_param;
mod network;
mod rules;
mod scaling;
mod storage;
mod template;

#[cfg(test)]
mod test_support;

use rules::{CCE_NAME_RULE, CCE_NEW_POOL, cce_fixed, keep_field_docs, unchanged_or};

pub use extend_param::{
    CceHttpTokens, CceMarketType, CceNodeExtendParam, CcePeriodType, CceSecurityReinforcement,
    CceStringBool,
};
pub use network::{
    CceBandwidth, CceBandwidthChargeMode, CceBandwidthShareType, CceEip, CceNicSpec,
    CceNodeNicSpec, CcePublicIp,
};
pub(super) use rules::unchanged;
pub use scaling::{
    CceCapacityPreference, CceCapacityReservation, CceExtensionScaleGroup, CceNodeManagement,
    CceNodePoolAutoscaling, CceRepairAction, CceRepairPolicy, CceScaleGroupAutoscaling,
    CceScaleGroupMetadata, CceScaleGroupSpec, CceSecurityId,
};
pub use storage::{
    CceFlag, CceLvType, CceLvmConfig, CceRuntimeConfig, CceStorage, CceStorageGroup,
    CceStorageMatchLabels, CceStorageSelector, CceStorageType, CceVirtualSpace,
    CceVirtualSpaceName, CceVolume, CceVolumeClusterType, CceVolumeConfig, CceVolumeMetadata,
    CceVolumeResetPolicy,
};
pub use template::{
    CCE_MAX_SPEC_USER_TAGS, CCE_MAX_USER_TAGS, CCE_OWNER_TAG, CCE_OWNER_UID_TAG,
    CceConfigurationItem, CceHostnameConfig, CceHostnameType, CceLogin, CceNodeNameTemplate,
    CceNodeTemplate, CcePackageConfiguration, CceRuntime, CceRuntimeClass, CceRuntimeName,
    CceTaint, CceTaintEffect, CceUserPassword, CceUserTag,
};

/// A node pool in a Huawei Cloud CCE cluster: where it lives, its name at CCE, and CCE's
/// own node pool spec (every field after `annotations`, with CCE's JSON names).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[x_kube(
    validation = Rule::new("has(self.name) == has(oldSelf.name)")
        .message("spec.huawei.name cannot be added or removed after creation: the CCE pool is found by its name (spec.huawei.name, else metadata.name); create a new NodePool instead")
        .field_path(".name"),
    validation = Rule::new("has(self.initialNodeCount)")
        .message("spec.huawei.initialNodeCount is required: set the number of nodes CCE creates with the pool (0 or more)")
        .reason(Reason::FieldValueRequired)
        .field_path(".initialNodeCount"),
    validation = cce_fixed(&[], &["annotations"], CCE_NEW_POOL),
    validation = unchanged_or(&["type"], "'vm'", "spec.huawei.type cannot change after the pool is created (unset means vm; CCE cannot change it in place); create a new NodePool of the other type and move the workloads to it".into()),
    validation = cce_fixed(&[], &["podSecurityGroups"], CCE_NEW_POOL),
)]
#[serde(rename_all = "camelCase")]
pub struct HuaweiNodePool {
    /// Huawei Cloud region of the cluster, e.g. `cn-north-4`; the controller calls
    /// `https://cce.{region}.myhuaweicloud.com`. Cannot change after creation.
    #[schemars(length(max = 63))]
    #[x_kube(
        validation = Rule::new("self.matches('^[a-z][a-z0-9]*(-[a-z0-9]+)*$')")
            .message("spec.huawei.region must be a Huawei Cloud region ID such as cn-north-4 (lowercase letters, digits and '-')"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.region cannot change after creation; create a new NodePool for a pool in another region"),
    )]
    pub region: String,

    /// ID of the IAM project of `region` that owns the cluster (32 hex characters,
    /// see "My Credentials" in the console). Cannot change after creation.
    #[schemars(length(max = 64))]
    #[x_kube(
        validation = Rule::new("self.matches('^[A-Za-z0-9-]+$')")
            .message("spec.huawei.projectId must be a non-empty project ID made of letters, digits and '-' (the 32-character IAM project ID of the region)"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.projectId cannot change after creation; create a new NodePool for a pool in another project"),
    )]
    pub project_id: String,

    /// ID (UUID) of the CCE cluster the pool belongs to. Cannot change after creation.
    #[schemars(length(max = 64))]
    #[x_kube(
        validation = Rule::new("self.matches('^[A-Za-z0-9-]+$')")
            .message("spec.huawei.clusterId must be a non-empty CCE cluster ID made of letters, digits and '-' (a UUID)"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.clusterId cannot change after creation; create a new NodePool for a pool in another cluster"),
    )]
    pub cluster_id: String,

    /// Name of the pool at CCE (default: the NodePool's `metadata.name`). Starts with a lowercase
    /// letter; lowercase letters, digits and '-'; 1-50 characters; no trailing '-'; not `DefaultPool`.
    /// Cannot be set, changed or removed after creation: the controller finds the pool by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 50))]
    #[x_kube(
        validation = Rule::new(CCE_NAME_RULE)
            .message("spec.huawei.name must start with a lowercase letter, contain only lowercase letters, digits and '-', be 1-50 characters long, not end with '-' and not be 'DefaultPool'"),
        validation = Rule::new("self == oldSelf")
            .message("spec.huawei.name cannot change after creation; the controller finds the CCE pool by this name, so create a new NodePool instead"),
    )]
    pub name: Option<String>,

    /// Annotations sent as `metadata.annotations` of CCE's create request. Note: SDK 3.1.219
    /// documents CCE node pool annotations as read-only (ignored on create); set only keys CCE documents.
    /// Immutable: CCE's update request has no annotations; create a new NodePool to change them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = 64))]
    pub annotations: Option<BTreeMap<String, String>>,

    /// CCE's node pool spec (sent as the request's `spec`).
    #[serde(flatten)]
    pub spec: CceNodePoolSpec,
}

impl HuaweiNodePool {
    /// The pool's name at CCE: `name` if set, else `default_name` (the NodePool's `metadata.name`).
    pub fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str {
        self.name.as_deref().unwrap_or(default_name)
    }

    /// The body of CCE's create-node-pool request (`POST .../clusters/{cluster_id}/nodepools`):
    /// `kind`, `apiVersion`, `metadata` (name and, if set, annotations) and `spec` (CCE fields only;
    /// region, project and cluster go into the URL, not the body).
    pub fn create_body(&self, default_name: &str) -> Value {
        let mut metadata = serde_json::Map::new();
        metadata.insert("name".into(), self.pool_name(default_name).into());
        if let Some(annotations) = &self.annotations {
            metadata.insert(
                "annotations".into(),
                Value::Object(
                    annotations
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
        }
        serde_json::json!({
            "kind": "NodePool",
            "apiVersion": "v3",
            "metadata": metadata,
            "spec": self.spec.to_value(),
        })
    }
}

/// CCE's node pool `spec` (API v3 `NodePoolSpec`), field for field with CCE's JSON names.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CceNodePoolSpec {
    /// Node type: `vm` (ECS virtual machines; CCE's default when unset), `ElasticBMS`
    /// (C6 elastic bare-metal, e.g. flavor `c6.22xlarge.2.physical`) or `pm` (bare-metal servers).
    /// Immutable: CCE cannot change a pool's node type; create a new NodePool instead.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<CcePoolType>,

    /// The template every node of the pool is created from: flavor, AZ, OS, disks, login, labels...
    pub node_template: CceNodeTemplate,

    /// Nodes to create with the pool (required); at most the node limit of the cluster's flavor.
    /// CCE reports the pool's current target node count here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[x_kube(validation = Rule::new("self >= 0").message("spec.huawei.initialNodeCount must be 0 or more"))]
    pub initial_node_count: Option<i64>,

    /// Auto scaling of the pool by CCE's autoscaler add-on (which must be installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<CceNodePoolAutoscaling>,

    /// Node self-repair when system or Kubernetes components fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair_policy: Option<CceRepairPolicy>,

    /// Node management: the ECS server group all nodes of the pool are created in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_management: Option<CceNodeManagement>,

    /// Security groups for the pods on the pool's nodes (CCE Turbo, clusters v1.21+); at most 5.
    /// Immutable: CCE's update request cannot carry them; create a new NodePool to change them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 5))]
    pub pod_security_groups: Option<Vec<CceSecurityId>>,

    /// Extra scale groups (other flavors/AZs) scaled together with the default one.
    /// On update a given list (even empty) replaces all extension scale groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 100))]
    pub extension_scale_groups: Option<Vec<CceExtensionScaleGroup>>,

    /// Security group IDs for new nodes (default: the cluster's node security group).
    /// Keep the rules CCE itself needs open on these groups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_security_groups: Option<Vec<String>>,

    /// Whether taint changes also apply to existing nodes: `refresh` (CCE's default) or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taint_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,

    /// Whether Kubernetes label (`k8sTags`) changes also apply to existing nodes:
    /// `refresh` (CCE's default) or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,

    /// Whether resource tag (`userTags`) changes also apply to existing nodes:
    /// `ignore` (CCE's default) or `refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_tags_policy_on_existing_nodes: Option<CceExistingNodesPolicy>,
}

impl CceNodePoolSpec {
    /// This spec as the JSON object CCE expects (unset fields omitted).
    pub fn to_value(&self) -> Value {
        // Infallible: every map in the spec has string keys, and serde_json turns
        // non-finite floats into `null` rather than failing.
        serde_json::to_value(self).expect("a CceNodePoolSpec always serializes to JSON")
    }
}

/// Node type of a CCE node pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
pub enum CcePoolType {
    /// Elastic Cloud Server virtual machines (CCE's default).
    #[default]
    #[serde(rename = "vm")]
    Vm,
    /// C6 elastic bare-metal servers.
    #[serde(rename = "ElasticBMS")]
    ElasticBms,
    /// Bare-metal servers.
    #[serde(rename = "pm")]
    Pm,
}

/// Whether a change to the pool's template also applies to nodes that already exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(transform = keep_field_docs)]
#[serde(rename_all = "lowercase")]
pub enum CceExistingNodesPolicy {
    /// Leave existing nodes as they are.
    Ignore,
    /// Update existing nodes too.
    Refresh,
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use crate::crd::NodePool;
    use crate::crd::huawei::test_support::huawei_schema;

    use super::*;

    /// The request example of the seed document ("创建节点池", CCE API v3), verbatim.
    const SEED_REQUEST: &str = r#"{
  "kind": "NodePool",
  "apiVersion": "v3",
  "metadata": {
    "name": "my-node-pool"
  },
  "spec": {
    "initialNodeCount": 0,
    "type": "vm",
    "autoscaling": {
      "enable": false,
      "minNodeCount": 0,
      "maxNodeCount": 1,
      "scaleDownCooldownTime": 0,
      "priority": 0
    },
    "nodeTemplate": {
      "flavor": "s6.large.2",
      "az": "az1.dc1",
      "os": "EulerOS 2.5",
      "login": {
        "sshKey": "myKeypair"
      },
      "rootVolume": {
        "volumetype": "SATA",
        "size": 40
      },
      "dataVolumes": [
        {
          "volumetype": "SATA",
          "size": 100,
          "extendParam": {
            "useType": "docker"
          }
        }
      ],
      "billingMode": 0
    }
  }
}"#;

    /// The response example of the seed document, verbatim.
    const SEED_RESPONSE: &str = r#"{
  "kind": "NodePool",
  "apiVersion": "v3",
  "metadata": {
    "name": "my-node-pool",
    "uid": "99addaa2-69eb-11ea-a592-0255ac1001bb"
  },
  "spec": {
    "type": "vm",
    "nodeTemplate": {
      "flavor": "s6.large.2",
      "az": "az1.dc1",
      "os": "EulerOS 2.5",
      "login": {
        "sshKey": "myKeypair"
      },
      "rootVolume": {
        "volumetype": "SATA",
        "size": 40
      },
      "dataVolumes": [
        {
          "volumetype": "SATA",
          "size": 100,
          "extendParam": {
            "useType": "docker"
          }
        }
      ],
      "publicIP": {
        "eip": {
          "bandwidth": {}
        }
      },
      "nodeNicSpec": {
        "primaryNic": {
          "subnetId": "7e767d10-7548-4df5-ad72-aeac1d08bd8a"
        }
      },
      "billingMode": 0,
      "extendParam": {
        "alpha.cce/NodeImageID": "",
        "alpha.cce/postInstall": "",
        "alpha.cce/preInstall": "",
        "maxPods": 110
      },
      "k8sTags": {
        "cce.cloud.com/cce-nodepool": "my-node-pool"
      }
    },
    "autoscaling": {
      "maxNodeCount": 1
    },
    "nodeManagement": {}
  },
  "status": {
    "phase": ""
  }
}"#;

    /// `spec.huawei` using every field this module models (values plausible, not all
    /// meaningful together: e.g. `publicIP` has both the node and the pool shapes).
    fn rich() -> Value {
        let extend_param = json!({
            "ecs:performancetype": "computingv3",
            "orderID": "CS2401011234ABCDE",
            "productID": "00301-123456-0--0",
            "maxPods": 110,
            "periodType": "month",
            "periodNum": 1,
            "isAutoRenew": "false",
            "isAutoPay": "true",
            "DockerLVMConfigOverride": "dockerThinpool=vgpaas/90%VG;kubernetesLV=vgpaas/10%VG;diskType=evs;lvType=linear",
            "dockerBaseSize": 20,
            "containerBaseSize": 20,
            "publicKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample ops@example.com",
            "alpha.cce/preInstall": "ZWNobyBwcmU=",
            "alpha.cce/postInstall": "ZWNobyBwb3N0",
            "alpha.cce/NodeImageID": "85bd7e3c-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "chargingMode": 0,
            "marketType": "spot",
            "spotPrice": "0.5",
            "agency_name": "cce-node-agency",
            "kubeReservedMem": 500,
            "systemReservedMem": 500,
            "kubeReservedCpu": 100,
            "systemReservedCpu": 100,
            "kubeReservedPid": 20000,
            "systemReservedPid": 20000,
            "kubeReservedStorage": 5,
            "systemReservedStorage": 5,
            "init-node-password": "********",
            "securityReinforcementType": "cybersecurity",
            "serverMetadataHttpTokens": "required"
        });
        let storage = json!({
            "storageSelectors": [
                {
                    "name": "cceUse",
                    "storageType": "evs",
                    "matchLabels": {
                        "size": "200",
                        "volumeType": "SSD",
                        "iops": "3000",
                        "throughput": "125",
                        "metadataEncrypted": "1",
                        "metadataCmkid": "5d3f6c0e-1b2a-4c8d-9e7f-0a1b2c3d4e5f",
                        "count": "1"
                    }
                },
                {"name": "localDisks", "storageType": "local"}
            ],
            "storageGroups": [
                {
                    "name": "vgpaas",
                    "cceManaged": true,
                    "selectorNames": ["cceUse"],
                    "virtualSpaces": [
                        {"name": "runtime", "size": "90%", "runtimeConfig": {"lvType": "linear"}},
                        {"name": "kubernetes", "size": "10%", "lvmConfig": {"lvType": "linear"}}
                    ]
                },
                {
                    "name": "vguser",
                    "selectorNames": ["localDisks"],
                    "virtualSpaces": [
                        {"name": "user", "size": "100%", "lvmConfig": {"lvType": "striped", "path": "/data"}}
                    ]
                }
            ]
        });
        let node_template = json!({
            "flavor": "c7.2xlarge.4",
            "az": "cn-north-4a",
            "os": "Huawei Cloud EulerOS 2.0",
            "login": {
                "sshKey": "ops-keypair",
                "userPassword": {"username": "root", "password": "JDYkc2FsdCRoYXNoZWQ="}
            },
            "volumeConfig": {"volumeResetPolicy": "retain_custom_volumes"},
            "rootVolume": {
                "size": 50,
                "volumetype": "GPSSD2",
                "iops": 3000,
                "throughput": 125,
                "extendParam": {"resourceSpecCode": "GPSSD2", "snapshotCount": 0},
                "cluster_id": "0f5c1a2b-dss-pool",
                "cluster_type": "dss",
                "hw:passthrough": true,
                "metadata": {
                    "__system__encrypted": "1",
                    "__system__cmkid": "5d3f6c0e-1b2a-4c8d-9e7f-0a1b2c3d4e5f"
                }
            },
            "dataVolumes": [
                {"size": 200, "volumetype": "SSD", "extendParam": {"useType": "docker"}},
                {"size": 500, "volumetype": "ESSD", "metadata": {"__system__encrypted": "0"}},
                {
                    "size": 1000,
                    "volumetype": "GPSSD2",
                    "iops": 6000,
                    "throughput": 250,
                    "cluster_id": "0f5c1a2b-dss-pool",
                    "cluster_type": "dss",
                    "hw:passthrough": true
                }
            ],
            "storage": storage,
            "publicIP": {
                "ids": ["a1b2c3d4-0000-4000-8000-000000000001"],
                "count": 1,
                "eip": {
                    "iptype": "5_bgp",
                    "bandwidth": {"chargemode": "traffic", "size": 10, "sharetype": "PER"}
                },
                "iptype": "5_bgp",
                "bandwidth": {"chargemode": "bandwidth", "size": 5, "sharetype": "PER"}
            },
            "nodeNicSpec": {
                "primaryNic": {
                    "subnetId": "0b6d9a2e-3f4c-4d5e-8a9b-1c2d3e4f5a6b",
                    "fixedIps": ["192.168.0.10"],
                    "ipBlock": "192.168.0.0/24",
                    "subnetList": ["0b6d9a2e-3f4c-4d5e-8a9b-1c2d3e4f5a6b", "1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c"]
                },
                "extNics": [{
                    "subnetId": "1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c",
                    "fixedIps": ["192.168.1.10"],
                    "ipBlock": "192.168.1.0/24",
                    "subnetList": ["1c7e0b3f-4a5d-4e6f-9b0c-2d3e4f5a6b7c"]
                }]
            },
            "count": 1,
            "billingMode": 1,
            "taints": [
                {"key": "workload", "value": "batch", "effect": "NoSchedule"},
                {"key": "example.com/drain", "effect": "NoExecute"}
            ],
            "waitPostInstallFinish": true,
            "k8sTags": {"workload": "batch", "example.com/team": "platform"},
            "ecsGroupId": "e1f2a3b4-5c6d-4e7f-8a9b-0c1d2e3f4a5b",
            "dedicatedHostId": "d1e2f3a4-5b6c-4d7e-8f9a-0b1c2d3e4f5a",
            "userTags": [{"key": "team", "value": "platform"}, {"key": "cost-center", "value": "4711"}],
            "runtime": {"name": "containerd", "runtimeClass": "runc"},
            "initializedConditions": ["CCEInitial", "CustomedInitial:15m"],
            "extendParam": extend_param,
            "hostnameConfig": {"type": "cceNodeName"},
            "serverEnterpriseProjectID": "0",
            "partition": "center",
            "configurationsOverride": [{
                "name": "kubelet",
                "configurations": [
                    {"name": "kube-api-qps", "value": 100},
                    {"name": "cpu-manager-policy", "value": "static"},
                    {"name": "allowed-unsafe-sysctls", "value": ["net.core.somaxconn"]}
                ]
            }],
            "nodeNameTemplate": {"nodeNamePrefix": "batch-", "nodeNameSuffix": "-cce"}
        });
        json!({
            "region": "cn-north-4",
            "projectId": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "clusterId": "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03",
            "name": "rich-pool",
            "annotations": {"example.com/owner": "platform"},
            "type": "vm",
            "initialNodeCount": 3,
            "nodeTemplate": node_template,
            "autoscaling": {
                "enable": true,
                "minNodeCount": 1,
                "maxNodeCount": 50,
                "scaleDownCooldownTime": 20,
                "priority": 5,
                "scaleDownUnneededTime": 10,
                "scaleDownUtilizationThreshold": 0.5
            },
            "repairPolicy": {"enable": true, "policy": "restartNode"},
            "nodeManagement": {"serverGroupReference": "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f"},
            "podSecurityGroups": [{"id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"}],
            "extensionScaleGroups": [{
                "metadata": {"name": "c7-az2"},
                "spec": {
                    "flavor": "c7.2xlarge.4",
                    "az": "cn-north-4b",
                    "capacityReservationSpecification": {
                        "id": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
                        "preference": "targeted"
                    },
                    "autoscaling": {"enable": true, "extensionPriority": 1, "minNodeCount": 1, "maxNodeCount": 10}
                }
            }],
            "customSecurityGroups": ["2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"],
            "taintPolicyOnExistingNodes": "ignore",
            "labelPolicyOnExistingNodes": "refresh",
            "userTagsPolicyOnExistingNodes": "refresh"
        })
    }

    /// The fields of `spec.huawei` that are not part of CCE's `spec`.
    const LOCATION_FIELDS: [&str; 5] = ["region", "projectId", "clusterId", "name", "annotations"];

    /// `spec.huawei` for `cce_spec` (a CCE `spec` object) in cn-north-4.
    fn located(cce_spec: &Value) -> Value {
        let mut huawei = cce_spec.clone();
        let map = huawei.as_object_mut().expect("a CCE spec is an object");
        map.insert("region".into(), json!("cn-north-4"));
        map.insert(
            "projectId".into(),
            json!("0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
        );
        map.insert(
            "clusterId".into(),
            json!("7e2f3a4b-5c6d-11ee-8c90-0255ac100b03"),
        );
        huawei
    }

    fn parse(huawei: Value) -> HuaweiNodePool {
        serde_json::from_value(huawei).expect("spec.huawei deserializes")
    }

    fn keys(schema: &Value) -> BTreeSet<String> {
        schema["properties"]
            .as_object()
            .expect("an object schema with properties")
            .keys()
            .cloned()
            .collect()
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn seed_request_example_round_trips_through_create_body() {
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        let pool = parse(located(&seed["spec"]));

        let spec = &pool.spec;
        assert_eq!(spec.pool_type, Some(CcePoolType::Vm));
        assert_eq!(spec.initial_node_count, Some(0));
        let autoscaling = spec.autoscaling.as_ref().expect("autoscaling");
        assert_eq!(
            (
                autoscaling.enable,
                autoscaling.min_node_count,
                autoscaling.max_node_count
            ),
            (Some(false), Some(0), Some(1))
        );
        let template = &spec.node_template;
        assert_eq!(template.flavor.as_deref(), Some("s6.large.2"));
        assert_eq!(
            template.login.as_ref().and_then(|l| l.ssh_key.as_deref()),
            Some("myKeypair")
        );
        assert_eq!(template.root_volume.as_ref().map(|v| v.size), Some(40));
        let data = &template.data_volumes.as_ref().expect("dataVolumes")[0];
        assert_eq!((data.size, data.volumetype.as_str()), (100, "SATA"));
        assert_eq!(
            data.extend_param.as_ref().and_then(|p| p.get("useType")),
            Some(&json!("docker"))
        );
        assert_eq!(template.billing_mode, Some(0));

        assert_eq!(pool.pool_name("my-node-pool"), "my-node-pool");
        assert_eq!(pool.create_body("my-node-pool"), seed);
    }

    #[test]
    fn seed_response_spec_round_trips() {
        let response: Value = serde_json::from_str(SEED_RESPONSE).expect("seed response is JSON");
        let pool = parse(located(&response["spec"]));

        let template = &pool.spec.node_template;
        let public_ip = template.public_ip.as_ref().expect("publicIP");
        assert_eq!(
            public_ip.eip.as_ref().and_then(|e| e.bandwidth.clone()),
            Some(CceBandwidth::default())
        );
        assert_eq!(
            template
                .node_nic_spec
                .as_ref()
                .and_then(|n| n.primary_nic.as_ref())
                .and_then(|p| p.subnet_id.as_deref()),
            Some("7e767d10-7548-4df5-ad72-aeac1d08bd8a")
        );
        let extend = template.extend_param.as_ref().expect("extendParam");
        assert_eq!(extend.max_pods, Some(110));
        assert_eq!(extend.node_image_id.as_deref(), Some(""));
        assert_eq!(extend.pre_install.as_deref(), Some(""));
        assert_eq!(extend.post_install.as_deref(), Some(""));
        assert_eq!(
            template
                .k8s_tags
                .as_ref()
                .and_then(|t| t.get("cce.cloud.com/cce-nodepool"))
                .map(String::as_str),
            Some("my-node-pool")
        );
        assert_eq!(
            pool.spec.node_management,
            Some(CceNodeManagement::default())
        );
        assert_eq!(pool.spec.initial_node_count, None);

        assert_eq!(pool.spec.to_value(), response["spec"]);
        let body = pool.create_body("my-node-pool");
        assert_eq!(body["spec"], response["spec"]);
        assert_eq!(body["metadata"], json!({"name": "my-node-pool"}));
    }

    #[test]
    fn rich_example_round_trips_and_builds_the_create_body() {
        let input = rich();
        let pool = parse(input.clone());
        assert_eq!(
            serde_json::to_value(&pool).expect("spec.huawei serializes"),
            input,
            "spec.huawei does not survive a typed round trip"
        );

        let mut cce_spec = input.clone();
        for field in LOCATION_FIELDS {
            cce_spec.as_object_mut().expect("object").remove(field);
        }
        let want = json!({
            "kind": "NodePool",
            "apiVersion": "v3",
            "metadata": {"name": "rich-pool", "annotations": {"example.com/owner": "platform"}},
            "spec": cce_spec,
        });
        // The explicit name wins over the NodePool's metadata.name.
        assert_eq!(pool.pool_name("ignored"), "rich-pool");
        assert_eq!(pool.create_body("ignored"), want);

        // Typed values of the odd JSON names.
        let root = pool
            .spec
            .node_template
            .root_volume
            .as_ref()
            .expect("rootVolume");
        assert_eq!(root.hw_passthrough, Some(true));
        assert_eq!(root.cluster_type, Some(CceVolumeClusterType::Dss));
        assert_eq!(
            root.metadata.as_ref().and_then(|m| m.system_encrypted),
            Some(CceFlag::Yes)
        );
        let extend = pool
            .spec
            .node_template
            .extend_param
            .as_ref()
            .expect("extendParam");
        assert_eq!(extend.is_auto_pay, Some(CceStringBool::True));
        assert_eq!(extend.market_type, Some(CceMarketType::Spot));
        assert_eq!(
            pool.spec
                .autoscaling
                .as_ref()
                .and_then(|a| a.scale_down_utilization_threshold),
            Some(0.5)
        );
    }

    /// Collects, for every object node of `schema`, the properties that `value` (and, for
    /// arrays, any of its items) never sets.
    fn unset_properties(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                match value.get(name) {
                    Some(v) => unset_properties(sub, v, &format!("{path}.{name}"), out),
                    None => out.push(format!("{path}.{name}")),
                }
            }
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            let mut per_item: Option<BTreeSet<String>> = None;
            for v in values {
                let mut missing = Vec::new();
                unset_properties(items, v, &format!("{path}[]"), &mut missing);
                let missing: BTreeSet<String> = missing.into_iter().collect();
                per_item = Some(match per_item {
                    None => missing,
                    Some(acc) => acc.intersection(&missing).cloned().collect(),
                });
            }
            out.extend(per_item.unwrap_or_default());
        }
    }

    #[test]
    fn rich_example_sets_every_field_of_the_schema() {
        let mut missing = Vec::new();
        unset_properties(&huawei_schema(), &rich(), "spec.huawei", &mut missing);
        assert!(
            missing.is_empty(),
            "the rich example leaves out {missing:?}"
        );
    }

    #[test]
    fn create_body_holds_only_cce_fields() {
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        let pool = parse(located(&seed["spec"]));
        let body = pool.create_body("web");
        assert_eq!(body["kind"], "NodePool");
        assert_eq!(body["apiVersion"], "v3");
        assert_eq!(body["metadata"], json!({"name": "web"}));
        let spec = body["spec"].as_object().expect("spec is an object");
        for field in LOCATION_FIELDS {
            assert!(
                !spec.contains_key(field),
                "{field} leaked into the CCE spec"
            );
        }
        assert_eq!(
            body.as_object()
                .map(|b| b.keys().cloned().collect::<BTreeSet<_>>()),
            Some(set(&["kind", "apiVersion", "metadata", "spec"]))
        );
    }

    /// CCE SDK 3.1.219 JSON names (`attribute_map`) per model, against the schema.
    #[test]
    fn schema_has_every_sdk_field_under_its_json_name() {
        let huawei = huawei_schema();
        let template = &huawei["properties"]["nodeTemplate"];
        let cases: [(&str, &Value, &[&str], &[&str]); 8] = [
            (
                "NodePoolSpec (+ location)",
                &huawei,
                &[
                    "type",
                    "nodeTemplate",
                    "initialNodeCount",
                    "autoscaling",
                    "repairPolicy",
                    "nodeManagement",
                    "podSecurityGroups",
                    "extensionScaleGroups",
                    "customSecurityGroups",
                    "taintPolicyOnExistingNodes",
                    "labelPolicyOnExistingNodes",
                    "userTagsPolicyOnExistingNodes",
                    "region",
                    "projectId",
                    "clusterId",
                    "name",
                    "annotations",
                ],
                &[],
            ),
            (
                "NodeTemplate",
                template,
                &[
                    "flavor",
                    "az",
                    "os",
                    "login",
                    "volumeConfig",
                    "rootVolume",
                    "dataVolumes",
                    "storage",
                    "publicIP",
                    "nodeNicSpec",
                    "count",
                    "billingMode",
                    "taints",
                    "waitPostInstallFinish",
                    "k8sTags",
                    "ecsGroupId",
                    "dedicatedHostId",
                    "userTags",
                    "runtime",
                    "initializedConditions",
                    "extendParam",
                    "hostnameConfig",
                    "serverEnterpriseProjectID",
                    "partition",
                    "configurationsOverride",
                    "nodeNameTemplate",
                ],
                &[],
            ),
            (
                "Volume",
                &template["properties"]["rootVolume"],
                &[
                    "size",
                    "volumetype",
                    "iops",
                    "throughput",
                    "extendParam",
                    "cluster_id",
                    "cluster_type",
                    "hw:passthrough",
                    "metadata",
                ],
                &[],
            ),
            (
                "VolumeMetadata",
                &template["properties"]["rootVolume"]["properties"]["metadata"],
                &["__system__encrypted", "__system__cmkid"],
                &[],
            ),
            (
                "NodeExtendParam",
                &template["properties"]["extendParam"],
                &[
                    "ecs:performancetype",
                    "orderID",
                    "productID",
                    "maxPods",
                    "periodType",
                    "periodNum",
                    "isAutoRenew",
                    "isAutoPay",
                    "DockerLVMConfigOverride",
                    "dockerBaseSize",
                    "containerBaseSize",
                    "publicKey",
                    "alpha.cce/preInstall",
                    "alpha.cce/postInstall",
                    "alpha.cce/NodeImageID",
                    "chargingMode",
                    "marketType",
                    "spotPrice",
                    "agency_name",
                    "kubeReservedMem",
                    "systemReservedMem",
                    "kubeReservedCpu",
                    "systemReservedCpu",
                    "kubeReservedPid",
                    "systemReservedPid",
                    "kubeReservedStorage",
                    "systemReservedStorage",
                    "init-node-password",
                    "securityReinforcementType",
                    "serverMetadataHttpTokens",
                ],
                &[],
            ),
            (
                "Login",
                &template["properties"]["login"],
                &[
                    "sshKey",
                    "userPassword",
                    "removeUserPassword",
                    "removeSSHKey",
                ],
                // Update-only flags: meaningless in a create body.
                &["removeUserPassword", "removeSSHKey"],
            ),
            (
                "NodePoolNodeAutoscaling",
                &huawei["properties"]["autoscaling"],
                &[
                    "enable",
                    "minNodeCount",
                    "maxNodeCount",
                    "scaleDownCooldownTime",
                    "priority",
                    "scaleDownUnneededTime",
                    "scaleDownUtilizationThreshold",
                ],
                &[],
            ),
            (
                "ExtensionScaleGroupMetadata",
                &huawei["properties"]["extensionScaleGroups"]["items"]["properties"]["metadata"],
                &["uid", "name"],
                // Generated by CCE; "filling it has no effect" on create.
                &["uid"],
            ),
        ];
        for (model, schema, sdk, omitted) in cases {
            let want: BTreeSet<String> = set(sdk).difference(&set(omitted)).cloned().collect();
            assert_eq!(
                keys(schema),
                want,
                "{model}: schema properties differ from the SDK"
            );
        }

        // The odd names, spelled exactly as CCE spells them.
        let tricky = [
            ("/properties/publicIP", template),
            ("/properties/serverEnterpriseProjectID", template),
            ("/properties/k8sTags", template),
            ("/properties/rootVolume/properties/hw:passthrough", template),
            ("/properties/rootVolume/properties/cluster_id", template),
            ("/properties/rootVolume/properties/cluster_type", template),
            (
                "/properties/rootVolume/properties/metadata/properties/__system__encrypted",
                template,
            ),
            (
                "/properties/dataVolumes/items/properties/hw:passthrough",
                template,
            ),
            (
                "/properties/extendParam/properties/alpha.cce~1NodeImageID",
                template,
            ),
            (
                "/properties/extendParam/properties/alpha.cce~1preInstall",
                template,
            ),
            (
                "/properties/extendParam/properties/ecs:performancetype",
                template,
            ),
            ("/properties/extendParam/properties/agency_name", template),
            (
                "/properties/extendParam/properties/init-node-password",
                template,
            ),
            (
                "/properties/extendParam/properties/DockerLVMConfigOverride",
                template,
            ),
            ("/properties/extendParam/properties/orderID", template),
            ("/properties/hostnameConfig/properties/type", template),
            ("/properties/type", &huawei),
        ];
        for (pointer, root) in tricky {
            assert!(root.pointer(pointer).is_some(), "schema lacks {pointer}");
        }
    }

    /// Walks a schema node and reports what a Kubernetes structural schema forbids.
    fn structural_problems(node: &Value, path: &str, out: &mut Vec<String>) {
        let obj = node.as_object().expect("schema nodes are objects");
        for key in [
            "anyOf",
            "oneOf",
            "allOf",
            "not",
            "$ref",
            "const",
            "definitions",
            "$defs",
        ] {
            if obj.contains_key(key) {
                out.push(format!("{path}: has {key}"));
            }
        }
        let free = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
        let ty = obj.get("type").and_then(Value::as_str);
        if ty.is_none() && !free {
            out.push(format!("{path}: no type"));
        }
        if let Some(additional) = obj.get("additionalProperties") {
            if !additional.is_object() {
                out.push(format!("{path}: additionalProperties is not a schema"));
            }
            if obj.contains_key("properties") {
                out.push(format!("{path}: both properties and additionalProperties"));
            }
            structural_problems(additional, &format!("{path}{{}}"), out);
        }
        if ty == Some("array") {
            match obj.get("items") {
                Some(items) => structural_problems(items, &format!("{path}[]"), out),
                None => out.push(format!("{path}: array without items")),
            }
        }
        if let Some(props) = obj.get("properties").and_then(Value::as_object) {
            for (name, sub) in props {
                let sub_path = format!("{path}.{name}");
                let described = sub
                    .get("description")
                    .and_then(Value::as_str)
                    .is_some_and(|d| !d.trim().is_empty());
                if !described {
                    out.push(format!("{sub_path}: no description"));
                }
                structural_problems(sub, &sub_path, out);
            }
        }
    }

    #[test]
    fn schema_is_structural_and_documented() {
        let mut problems = Vec::new();
        structural_problems(&huawei_schema(), "spec.huawei", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// A sample NodePool, after checking that the Rust types keep every field of it.
    fn sample(file: &str) -> NodePool {
        let path = format!("{}/deploy/samples/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let raw: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let pool: NodePool =
            serde_json::from_value(raw.clone()).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut want = raw["spec"].clone();
        want["deletionPolicy"] = json!("Delete");
        assert_eq!(
            serde_json::to_value(&pool.spec).expect("spec serializes"),
            want,
            "{path}: the Rust types lose or change fields of the sample"
        );
        pool
    }

    #[test]
    fn seed_sample_sends_the_seed_request() {
        let pool = sample("huawei-seed.yaml");
        let huawei = pool.spec.huawei.as_ref().expect("spec.huawei");
        let name = pool.metadata.name.as_deref().expect("metadata.name");
        let seed: Value = serde_json::from_str(SEED_REQUEST).expect("seed request is JSON");
        assert_eq!(huawei.create_body(name), seed);
        assert_eq!(huawei.region, "cn-north-4");
        assert_eq!(pool.spec.credentials_ref.name, "huawei-credentials");
    }

    #[test]
    fn autoscaling_sample_is_complete() {
        let pool = sample("huawei-autoscaling.yaml");
        let huawei = pool.spec.huawei.as_ref().expect("spec.huawei");
        let autoscaling = huawei.spec.autoscaling.as_ref().expect("autoscaling");
        assert_eq!(autoscaling.enable, Some(true));
        assert!(autoscaling.max_node_count >= autoscaling.min_node_count);
        let template = &huawei.spec.node_template;
        assert!(template.taints.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(template.k8s_tags.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(template.user_tags.as_ref().is_some_and(|t| !t.is_empty()));
        assert!(
            template
                .data_volumes
                .as_ref()
                .is_some_and(|d| !d.is_empty())
        );
        assert_eq!(
            template.extend_param.as_ref().and_then(|e| e.max_pods),
            Some(64)
        );
        let body = huawei.create_body("batch");
        assert_eq!(body["metadata"]["name"], "batch-workers");
        assert_eq!(
            body["spec"]["nodeTemplate"]["extendParam"],
            json!({"maxPods": 64})
        );
    }
}
