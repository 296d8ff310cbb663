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

use kube::KubeSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod auto_scaling;
mod data_disk;
mod eflo;
mod kubernetes_config;
mod management;
mod node_components;
mod node_config;
mod nodepool_info;
mod rules;
mod scaling_group;
mod tee_config;
mod wire;

#[cfg(test)]
pub(crate) mod test_support;

use rules::{ACK_NEW_POOL, ack_fixed};

pub use data_disk::{
    DataDisk, DataDiskCategory, DiskEncrypted, DiskInit, DiskPerformanceLevel, EncryptAlgorithm,
    FileSystem,
};

pub use auto_scaling::{AutoScaling, AutoScalingType};
pub use eflo::{EfloNodeGroup, InterconnectConfig, InterconnectMode};
pub use kubernetes_config::{
    ContainerRuntime, CpuPolicy, KubernetesConfig, NodeLabel, Taint, TaintEffect,
};
pub use management::{
    AutoMode, AutoRepairPolicy, AutoUpgradePolicy, AutoVulFixPolicy, Management, UpgradeConfig,
};
pub use node_components::{NodeComponent, NodeComponentConfig, NodeComponentEnv};
pub use node_config::{
    Hugepage, KubeletConfiguration, KubeletTracing, MemoryManagerPolicy, NodeConfig, NodeOsConfig,
    ReservedMemory, TopologyManagerPolicy, TransparentHugepageDefrag, TransparentHugepageEnabled,
};
pub use nodepool_info::{NodePoolType, NodepoolInfo};
pub use scaling_group::{
    CpuOptions, EcsTag, HttpTokens, InstanceChargeType, InstanceMetadataOptions, InstancePattern,
    InternetChargeType, MultiAzPolicy, NestedVirtualization, Password, PeriodUnit, Platform,
    PrivatePoolMatchCriteria, PrivatePoolOptions, ResourcePoolOptions, ResourcePoolStrategy,
    ScalingGroup, ScalingPolicy, SpotPriceLimit, SpotStrategy, SystemDiskCategory,
};
pub use tee_config::TeeConfig;
pub use wire::{VERBATIM_PATHS, camel_to_snake, from_wire, snake_to_camel, to_wire};

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

    use serde_json::json;

    use crate::crd::NodePool;
    use crate::crd::alibaba::test_support::{
        EXTRA_WIRE_PATHS, RICH, SDK_WIRE_PATHS, SEED_AUTOSCALING, SEED_PREPAID, alibaba_schema,
        parse, under_verbatim,
    };

    use super::*;

    const SEED_CLUSTER: &str = "c61da77e8bfbc4c4c999af2b51b65f3a7";

    /// A spec from a wire body: snake -> camel, plus where the cluster is.
    fn spec_from_wire(body: &Value) -> AlibabaNodePool {
        let mut camel = from_wire(body.clone());
        camel["regionId"] = json!("cn-hangzhou");
        camel["clusterId"] = json!(SEED_CLUSTER);
        serde_json::from_value(camel).expect("wire body deserializes into the spec")
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
    fn seed_samples_are_the_seed_examples() {
        for (yaml, seed) in [
            (
                include_str!("../../../deploy/samples/alibaba-seed.yaml"),
                SEED_PREPAID,
            ),
            (
                include_str!("../../../deploy/samples/alibaba-seed-autoscaling.yaml"),
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
        let pool = sample(include_str!("../../../deploy/samples/alibaba-keypair.yaml"));
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
