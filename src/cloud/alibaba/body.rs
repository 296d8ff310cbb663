//! The ACK request bodies built from a NodePool's `spec.alibaba` (pure): the create body with the
//! owner tag that lets the controller find its pool again after a crash, and the
//! ModifyClusterNodePool body with only what ACK can change in place. Node counts go through
//! [`PoolUpdate::node_count`], never the body, and are left alone when autoscaling owns them.

use serde::Serialize;
use serde_json::{Map, Value};

use super::marks;
use crate::cloud::{Cloud, CloudSection, Managed, Owner, PoolUpdate};
use crate::crd::AlibabaNodePool;
use crate::crd::alibaba::{
    AutoScaling, DataDisk, DiskInit, DiskPerformanceLevel, EcsTag, EfloNodeGroup, EncryptAlgorithm,
    InstanceChargeType, InstancePattern, InternetChargeType, Management, MultiAzPolicy, Password,
    PeriodUnit, Platform, PrivatePoolOptions, ResourcePoolOptions, ScalingGroup, ScalingPolicy,
    SpotPriceLimit, SpotStrategy, SystemDiskCategory, TeeConfig, to_wire,
};

impl CloudSection for AlibabaNodePool {
    fn cloud(&self) -> Cloud {
        Cloud::Alibaba
    }
    fn region(&self) -> &str {
        &self.region_id
    }
    fn project(&self) -> &str {
        ""
    }
    fn cluster_id(&self) -> &str {
        &self.cluster_id
    }
    fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str {
        AlibabaNodePool::pool_name(self, default_name)
    }
    fn create(&self, owner: Owner<'_>) -> Value {
        create(self, owner)
    }
    fn update(&self, owner: Owner<'_>) -> PoolUpdate {
        update(self, owner)
    }
    fn desired(&self, owner: Owner<'_>) -> Managed {
        desired(self, owner)
    }
}

/// The ACK create body, with the owner tags in `scaling_group.tags`.
pub fn create(spec: &AlibabaNodePool, owner: Owner<'_>) -> Value {
    let mut body = spec.create_body(owner.name);
    if let Some(obj) = body.as_object_mut() {
        marks::set_owner_tags(obj, owner);
    }
    body
}

/// The managed fields as the spec wants them (the node count only where no autoscaler owns it).
pub fn desired(spec: &AlibabaNodePool, owner: Owner<'_>) -> Managed {
    let body = create(spec, owner);
    let mut m = marks::managed(&body);
    if marks::autoscaled(&body) {
        m.node_count = None;
    }
    m
}

/// ACK's ModifyClusterNodePool body, typed: borrowed from the spec's own types, serialised once
/// (in the spec's camelCase, then to ACK's snake_case by [`to_wire`]). Only what ACK can change in
/// place is here; fields it cannot change are refused at `kubectl apply`, and the node count goes
/// through [`PoolUpdate::node_count`].
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Modify<'a> {
    nodepool_info: InfoUpdate<'a>,
    scaling_group: ScalingGroupUpdate<'a>,
    kubernetes_config: KubernetesConfigUpdate,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_scaling: Option<&'a AutoScaling>,
    #[serde(skip_serializing_if = "Option::is_none")]
    management: Option<&'a Management>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tee_config: Option<&'a TeeConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    eflo_node_group: Option<&'a EfloNodeGroup>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoUpdate<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group_id: Option<&'a String>,
}

/// The kubernetes_config of a modify: the spec's (serialised), with labels and taints always
/// present (ACK replaces these lists as a whole; an empty one clears them, an absent one leaves
/// them).
#[derive(Serialize)]
struct KubernetesConfigUpdate {
    #[serde(flatten)]
    rest: Map<String, Value>,
    labels: Value,
    taints: Value,
}

/// The scaling group fields ModifyClusterNodePool takes (not `desiredSize`, which is the node
/// count, nor the create-only ones: security group, RAM role, CPU and metadata options,
/// non-root login, hardening, SOC and CIS settings).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScalingGroupUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_types: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_patterns: Option<&'a Vec<InstancePattern>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vswitch_ids: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_az_policy: Option<&'a MultiAzPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scaling_policy: Option<&'a ScalingPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deploymentset_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_pool_options: Option<&'a PrivatePoolOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_pool_options: Option<&'a ResourcePoolOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    instance_charge_type: Option<&'a InstanceChargeType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    period_unit: Option<&'a PeriodUnit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_renew: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_renew_period: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spot_strategy: Option<&'a SpotStrategy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spot_price_limit: Option<&'a Vec<SpotPriceLimit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spot_instance_pools: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spot_instance_remedy: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    compensate_with_on_demand: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_demand_base_capacity: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    on_demand_percentage_above_base_capacity: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_type: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    platform: Option<&'a Platform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key_pair: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    login_password: Option<&'a Password>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_category: Option<&'a SystemDiskCategory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_categories: Option<&'a Vec<SystemDiskCategory>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_size: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_performance_level: Option<&'a DiskPerformanceLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_provisioned_iops: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_bursting_enabled: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_encrypted: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_encrypt_algorithm: Option<&'a EncryptAlgorithm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_kms_key_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    system_disk_snapshot_policy_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_disks: Option<&'a Vec<DataDisk>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    disk_init: Option<&'a Vec<DiskInit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enable_high_density_mode: Option<&'a bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    security_group_ids: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internet_charge_type: Option<&'a InternetChargeType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    internet_max_bandwidth_out: Option<&'a i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rds_instances: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<&'a Vec<EcsTag>>,
}

fn scaling_group(g: &ScalingGroup) -> ScalingGroupUpdate<'_> {
    ScalingGroupUpdate {
        instance_types: g.instance_types.as_ref(),
        instance_patterns: g.instance_patterns.as_ref(),
        vswitch_ids: g.vswitch_ids.as_ref(),
        vpc_id: g.vpc_id.as_ref(),
        multi_az_policy: g.multi_az_policy.as_ref(),
        scaling_policy: g.scaling_policy.as_ref(),
        deploymentset_id: g.deploymentset_id.as_ref(),
        private_pool_options: g.private_pool_options.as_ref(),
        resource_pool_options: g.resource_pool_options.as_ref(),
        instance_charge_type: g.instance_charge_type.as_ref(),
        period: g.period.as_ref(),
        period_unit: g.period_unit.as_ref(),
        auto_renew: g.auto_renew.as_ref(),
        auto_renew_period: g.auto_renew_period.as_ref(),
        spot_strategy: g.spot_strategy.as_ref(),
        spot_price_limit: g.spot_price_limit.as_ref(),
        spot_instance_pools: g.spot_instance_pools.as_ref(),
        spot_instance_remedy: g.spot_instance_remedy.as_ref(),
        compensate_with_on_demand: g.compensate_with_on_demand.as_ref(),
        on_demand_base_capacity: g.on_demand_base_capacity.as_ref(),
        on_demand_percentage_above_base_capacity: g
            .on_demand_percentage_above_base_capacity
            .as_ref(),
        image_type: g.image_type.as_ref(),
        image_id: g.image_id.as_ref(),
        platform: g.platform.as_ref(),
        key_pair: g.key_pair.as_ref(),
        login_password: g.login_password.as_ref(),
        system_disk_category: g.system_disk_category.as_ref(),
        system_disk_categories: g.system_disk_categories.as_ref(),
        system_disk_size: g.system_disk_size.as_ref(),
        system_disk_performance_level: g.system_disk_performance_level.as_ref(),
        system_disk_provisioned_iops: g.system_disk_provisioned_iops.as_ref(),
        system_disk_bursting_enabled: g.system_disk_bursting_enabled.as_ref(),
        system_disk_encrypted: g.system_disk_encrypted.as_ref(),
        system_disk_encrypt_algorithm: g.system_disk_encrypt_algorithm.as_ref(),
        system_disk_kms_key_id: g.system_disk_kms_key_id.as_ref(),
        system_disk_snapshot_policy_id: g.system_disk_snapshot_policy_id.as_ref(),
        data_disks: g.data_disks.as_ref(),
        disk_init: g.disk_init.as_ref(),
        enable_high_density_mode: g.enable_high_density_mode.as_ref(),
        security_group_ids: g.security_group_ids.as_ref(),
        internet_charge_type: g.internet_charge_type.as_ref(),
        internet_max_bandwidth_out: g.internet_max_bandwidth_out.as_ref(),
        rds_instances: g.rds_instances.as_ref(),
        tags: g.tags.as_ref(),
    }
}

/// The ACK update of a NodePool's pool.
pub fn update(spec: &AlibabaNodePool, owner: Owner<'_>) -> PoolUpdate {
    static NO_GROUP: std::sync::LazyLock<ScalingGroup> =
        std::sync::LazyLock::new(ScalingGroup::default);
    let group = spec.scaling_group.as_ref().unwrap_or(&NO_GROUP);
    let mut kubernetes = match spec.kubernetes_config.as_ref().map(serde_json::to_value) {
        Some(Ok(Value::Object(map))) => map,
        _ => Map::new(),
    };
    let labels = kubernetes
        .remove("labels")
        .unwrap_or_else(|| Value::Array(Vec::new()));
    let taints = kubernetes
        .remove("taints")
        .unwrap_or_else(|| Value::Array(Vec::new()));
    let body = Modify {
        nodepool_info: InfoUpdate {
            name: spec.pool_name(owner.name),
            resource_group_id: spec
                .nodepool_info
                .as_ref()
                .and_then(|i| i.resource_group_id.as_ref()),
        },
        scaling_group: scaling_group(group),
        kubernetes_config: KubernetesConfigUpdate {
            rest: kubernetes,
            labels,
            taints,
        },
        auto_scaling: spec.auto_scaling.as_ref(),
        management: spec.management.as_ref(),
        tee_config: spec.tee_config.as_ref(),
        eflo_node_group: spec.eflo_node_group.as_ref(),
    };
    let mut body = to_wire(serde_json::to_value(&body).expect("a modify body always serializes"));
    if let Some(obj) = body.as_object_mut() {
        marks::set_owner_tags(obj, owner);
    }
    let autoscaled = spec.auto_scaling.as_ref().and_then(|a| a.enable) == Some(true);
    let node_count = if autoscaled {
        None
    } else {
        group
            .desired_size
            .or(spec.count)
            .and_then(|n| u32::try_from(n).ok())
    };
    PoolUpdate { body, node_count }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::alibaba::marks::OWNER_UID_TAG as OWNER_TAG;
    use serde_json::json;

    /// Every scaling group field of the SDK's create request that ModifyClusterNodePool takes
    /// reaches the modify body: the typed body lists its fields one by one, so a field added to
    /// the spec and forgotten here would be dropped silently.
    #[test]
    fn ack_modify_carries_every_modifiable_scaling_group_field() {
        use crate::crd::alibaba::{from_wire, test_support};
        let mut rich = from_wire(test_support::parse(test_support::RICH));
        rich["regionId"] = json!("cn-hangzhou");
        rich["clusterId"] = json!("c1");
        let spec: AlibabaNodePool = serde_json::from_value(rich).expect("the rich spec");
        let create = create(&spec, WEB);
        let update = update(&spec, WEB);
        let keys = |v: &Value| -> std::collections::BTreeSet<String> {
            v.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let created = keys(&create["scaling_group"]);
        let modified = keys(&update.body["scaling_group"]);
        let dropped: Vec<&String> = created.difference(&modified).collect();
        assert_eq!(
            dropped,
            [
                "cis_enabled",
                "cpu_options",
                "desired_size",
                "instance_metadata_options",
                "login_as_non_root",
                "ram_role_name",
                "security_group_id",
                "security_hardening_os",
                "soc_enabled"
            ],
            "only the create-only fields and the count stay out"
        );
        assert!(modified.is_subset(&created));
        for top in [
            "auto_scaling",
            "kubernetes_config",
            "management",
            "tee_config",
            "eflo_node_group",
        ] {
            assert_eq!(update.body.get(top), create.get(top), "{top}");
        }
        assert_eq!(
            update.body["nodepool_info"]["name"],
            create["nodepool_info"]["name"]
        );
    }

    const WEB: Owner<'static> = Owner {
        uid: "uid-1",
        namespace: "team-a",
        name: "web",
    };

    fn alibaba(extra: Value) -> AlibabaNodePool {
        let mut v = json!({
            "regionId": "cn-hangzhou", "clusterId": "c61da77e",
            "nodepoolInfo": {"name": "web", "type": "ess"},
            "scalingGroup": {
                "vswitchIds": ["vsw-1"], "instanceTypes": ["ecs.g7.xlarge"],
                "instanceChargeType": "PostPaid", "keyPair": "kp", "desiredSize": 2,
                "securityGroupId": "sg-1", "tags": [{"key": "team", "value": "web"}]
            },
            "kubernetesConfig": {"runtime": "containerd", "labels": [{"key": "a", "value": "b"}]}
        });
        if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
            base.extend(more);
        }
        serde_json::from_value(v).expect("a valid spec")
    }

    #[test]
    fn desired_managed_fields_follow_the_spec() {
        let a = desired(&alibaba(json!({})), WEB);
        assert_eq!(a.node_count, Some(2));
        assert_eq!(a.tags["team"], "web");
        assert_eq!(a.labels["a"], "b");
    }

    #[test]
    fn ack_update_clears_labels_and_taints_the_spec_removed() {
        let u = update(
            &alibaba(json!({"kubernetesConfig": {"runtime": "containerd"}})),
            WEB,
        );
        assert_eq!(u.body["kubernetes_config"]["labels"], json!([]));
        assert_eq!(u.body["kubernetes_config"]["taints"], json!([]));
    }

    #[test]
    fn ack_create_carries_the_owner_tag_once() {
        let body = create(&alibaba(json!({})), WEB);
        let tags = body["scaling_group"]["tags"].as_array().expect("tags");
        assert!(tags.contains(&json!({"key": "team", "value": "web"})));
        assert_eq!(
            tags.iter().filter(|t| t["key"] == OWNER_TAG).count(),
            1,
            "{tags:?}"
        );
        assert!(tags.contains(&json!({"key": OWNER_TAG, "value": "uid-1"})));
    }

    #[test]
    fn ack_update_drops_create_only_fields_and_moves_the_count() {
        let u = update(&alibaba(json!({})), WEB);
        assert_eq!(u.node_count, Some(2));
        let g = &u.body["scaling_group"];
        assert!(g.get("security_group_id").is_none());
        assert!(g.get("desired_size").is_none());
        assert_eq!(g["instance_types"], json!(["ecs.g7.xlarge"]));
        assert!(
            g["tags"]
                .as_array()
                .expect("tags")
                .contains(&json!({"key": OWNER_TAG, "value": "uid-1"})),
            "the owner tag survives updates"
        );
        assert_eq!(u.body["nodepool_info"], json!({"name": "web"}));
        assert_eq!(u.body["kubernetes_config"]["labels"][0]["key"], "a");

        let auto = update(
            &alibaba(
                json!({"autoScaling": {"enable": true, "minInstances": 1, "maxInstances": 4}}),
            ),
            WEB,
        );
        assert_eq!(auto.node_count, None);
    }
}
