//! The CCE request bodies built from a NodePool's `spec.huawei` (pure): the create body with the
//! owner tags, and CCE's `NodePoolUpdate` (its own field names: `rootVolumeUpdate`,
//! `nodeManagementUpdate`, ...) with only what CCE can change in place. Node counts go through
//! [`PoolUpdate::node_count`], never the body, and are left alone when autoscaling owns them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::marks;
use crate::cloud::{Cloud, CloudSection, Managed, Owner, PoolUpdate};
use crate::crd::HuaweiNodePool;
use crate::crd::huawei::{
    CceExistingNodesPolicy, CceExtensionScaleGroup, CceLogin, CceNodeManagement,
    CceNodeNameTemplate, CceNodePoolAutoscaling, CcePublicIp, CceRepairPolicy, CceRuntime,
    CceSecurityReinforcement, CceStorage, CceTaint, CceVolume,
};

impl CloudSection for HuaweiNodePool {
    fn cloud(&self) -> Cloud {
        Cloud::Huawei
    }
    fn region(&self) -> &str {
        &self.region
    }
    fn project(&self) -> &str {
        &self.project_id
    }
    fn cluster_id(&self) -> &str {
        &self.cluster_id
    }
    fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str {
        HuaweiNodePool::pool_name(self, default_name)
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

/// The CCE create body, with the owner tags in `nodeTemplate.userTags`.
pub fn create(spec: &HuaweiNodePool, owner: Owner<'_>) -> Value {
    let mut body = spec.create_body(owner.name);
    if let Some(template) = body
        .pointer_mut("/spec/nodeTemplate")
        .and_then(Value::as_object_mut)
    {
        marks::set_owner_tags(template, owner);
    }
    body
}

/// The managed fields as the spec wants them: the node count (0 when unset) unless autoscaling
/// owns it.
pub fn desired(spec: &HuaweiNodePool, owner: Owner<'_>) -> Managed {
    let body = create(spec, owner);
    let mut m = marks::managed(&body["spec"]);
    if marks::autoscaled(&body["spec"]) {
        m.node_count = None;
    } else {
        m.node_count.get_or_insert(0);
    }
    m
}

/// CCE's `NodePoolUpdate`, typed: borrowed from the spec's own types and serialised once. Only
/// what CCE can change in place is here (fields it cannot change are refused at `kubectl apply`),
/// under CCE's update names (`rootVolumeUpdate`, `nodeManagementUpdate`, ...).
#[derive(Serialize)]
struct NodePoolUpdate<'a> {
    metadata: UpdateMetadata<'a>,
    spec: SpecUpdate<'a>,
}

#[derive(Serialize)]
struct UpdateMetadata<'a> {
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpecUpdate<'a> {
    node_template: NodeSpecUpdate<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    autoscaling: Option<&'a CceNodePoolAutoscaling>,
    #[serde(skip_serializing_if = "Option::is_none")]
    repair_policy: Option<&'a CceRepairPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_management_update: Option<&'a CceNodeManagement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_security_groups: Option<&'a Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    taint_policy_on_existing_nodes: Option<&'a CceExistingNodesPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label_policy_on_existing_nodes: Option<&'a CceExistingNodesPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_tags_policy_on_existing_nodes: Option<&'a CceExistingNodesPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extension_scale_groups: Option<&'a Vec<CceExtensionScaleGroup>>,
}

/// CCE's `NodeSpecUpdate`. `taints`, `k8sTags` and `userTags` are always sent: absent would
/// leave what the cloud has, so removing them from the spec would not remove them at the cloud.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeSpecUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    os: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    login: Option<&'a CceLogin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    root_volume_update: Option<&'a CceVolume>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_volumes_update: Option<&'a Vec<CceVolume>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    storage: Option<&'a CceStorage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runtime: Option<&'a CceRuntime>,
    taints: &'a [CceTaint],
    #[serde(skip_serializing_if = "Option::is_none")]
    wait_post_install_finish: Option<bool>,
    k8s_tags: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ecs_group_id: Option<&'a String>,
    user_tags: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_name_template: Option<&'a CceNodeNameTemplate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initialized_conditions: Option<&'a Vec<String>>,
    #[serde(
        rename = "serverEnterpriseProjectID",
        skip_serializing_if = "Option::is_none"
    )]
    server_enterprise_project_id: Option<&'a String>,
    #[serde(rename = "publicIP", skip_serializing_if = "Option::is_none")]
    public_ip: Option<&'a CcePublicIp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node_nic_spec_update: Option<NicSpecUpdate<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extend_param: Option<ExtendParamUpdate<'a>>,
}

/// The part of `nodeNicSpec` an update can change: the primary NIC's subnets.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NicSpecUpdate<'a> {
    primary_nic: PrimaryNicUpdate<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrimaryNicUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    subnet_id: Option<&'a String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subnet_list: Option<&'a Vec<String>>,
}

/// The `extendParam` keys `NodePoolUpdate` accepts.
#[derive(Serialize)]
struct ExtendParamUpdate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    agency_name: Option<&'a String>,
    #[serde(
        rename = "alpha.cce/preInstall",
        skip_serializing_if = "Option::is_none"
    )]
    pre_install: Option<&'a String>,
    #[serde(
        rename = "alpha.cce/postInstall",
        skip_serializing_if = "Option::is_none"
    )]
    post_install: Option<&'a String>,
    #[serde(rename = "spotPrice", skip_serializing_if = "Option::is_none")]
    spot_price: Option<&'a String>,
    #[serde(
        rename = "securityReinforcementType",
        skip_serializing_if = "Option::is_none"
    )]
    security_reinforcement_type: Option<&'a CceSecurityReinforcement>,
    #[serde(
        rename = "alpha.cce/NodeImageID",
        skip_serializing_if = "Option::is_none"
    )]
    node_image_id: Option<&'a String>,
}

impl ExtendParamUpdate<'_> {
    fn is_empty(&self) -> bool {
        self.agency_name.is_none()
            && self.pre_install.is_none()
            && self.post_install.is_none()
            && self.spot_price.is_none()
            && self.security_reinforcement_type.is_none()
            && self.node_image_id.is_none()
    }
}

/// The CCE update of a NodePool's pool.
pub fn update(spec: &HuaweiNodePool, owner: Owner<'_>) -> PoolUpdate {
    static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
    let pool = &spec.spec;
    let t = &pool.node_template;
    let mut user_tags: Vec<Value> = t
        .user_tags
        .iter()
        .flatten()
        .filter_map(|tag| serde_json::to_value(tag).ok())
        .collect();
    user_tags.extend(marks::owner_tags(owner));
    let extend_param = t.extend_param.as_ref().map(|e| ExtendParamUpdate {
        agency_name: e.agency_name.as_ref(),
        pre_install: e.pre_install.as_ref(),
        post_install: e.post_install.as_ref(),
        spot_price: e.spot_price.as_ref(),
        security_reinforcement_type: e.security_reinforcement_type.as_ref(),
        node_image_id: e.node_image_id.as_ref(),
    });
    let nic = t
        .node_nic_spec
        .as_ref()
        .and_then(|n| n.primary_nic.as_ref())
        .filter(|p| p.subnet_id.is_some() || p.subnet_list.is_some())
        .map(|p| NicSpecUpdate {
            primary_nic: PrimaryNicUpdate {
                subnet_id: p.subnet_id.as_ref(),
                subnet_list: p.subnet_list.as_ref(),
            },
        });
    let body = NodePoolUpdate {
        metadata: UpdateMetadata {
            name: spec.pool_name(owner.name),
        },
        spec: SpecUpdate {
            node_template: NodeSpecUpdate {
                os: t.os.as_ref(),
                login: t.login.as_ref(),
                root_volume_update: t.root_volume.as_ref(),
                data_volumes_update: t.data_volumes.as_ref(),
                storage: t.storage.as_ref(),
                runtime: t.runtime.as_ref(),
                taints: t.taints.as_deref().unwrap_or_default(),
                wait_post_install_finish: t.wait_post_install_finish,
                k8s_tags: t.k8s_tags.as_ref().unwrap_or(&NO_LABELS),
                ecs_group_id: t.ecs_group_id.as_ref(),
                user_tags,
                node_name_template: t.node_name_template.as_ref(),
                initialized_conditions: t.initialized_conditions.as_ref(),
                server_enterprise_project_id: t.server_enterprise_project_id.as_ref(),
                public_ip: t.public_ip.as_ref(),
                node_nic_spec_update: nic,
                extend_param: extend_param.filter(|e| !e.is_empty()),
            },
            autoscaling: pool.autoscaling.as_ref(),
            repair_policy: pool.repair_policy.as_ref(),
            node_management_update: pool.node_management.as_ref(),
            custom_security_groups: pool.custom_security_groups.as_ref(),
            taint_policy_on_existing_nodes: pool.taint_policy_on_existing_nodes.as_ref(),
            label_policy_on_existing_nodes: pool.label_policy_on_existing_nodes.as_ref(),
            user_tags_policy_on_existing_nodes: pool.user_tags_policy_on_existing_nodes.as_ref(),
            extension_scale_groups: pool.extension_scale_groups.as_ref(),
        },
    };
    let autoscaled = pool.autoscaling.as_ref().and_then(|a| a.enable) == Some(true);
    let node_count = if autoscaled {
        None
    } else {
        pool.initial_node_count.and_then(|n| u32::try_from(n).ok())
    };
    PoolUpdate {
        body: serde_json::to_value(&body).expect("a NodePoolUpdate always serializes"),
        node_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const WEB: Owner<'static> = Owner {
        uid: "uid-1",
        namespace: "team-a",
        name: "web",
    };

    fn huawei(extra: Value) -> HuaweiNodePool {
        let mut v = json!({
            "region": "cn-north-4", "projectId": "p1", "clusterId": "c1",
            "type": "vm", "initialNodeCount": 3,
            "nodeTemplate": {
                "flavor": "s6.large.2", "az": "cn-north-4a", "os": "EulerOS 2.9",
                "login": {"sshKey": "kp"},
                "rootVolume": {"volumetype": "SSD", "size": 40},
                "dataVolumes": [{"volumetype": "SSD", "size": 100}],
                "taints": [{"key": "a", "value": "b", "effect": "NoSchedule"}],
                "k8sTags": {"team": "web"},
                "extendParam": {"maxPods": 110, "alpha.cce/preInstall": "ZWNobw=="},
                "billingMode": 0
            },
            "nodeManagement": {"serverGroupReference": "sg-1"}
        });
        if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
            base.extend(more);
        }
        serde_json::from_value(v).expect("a valid spec")
    }

    #[test]
    fn cce_update_uses_update_names_and_keeps_flavor_out() {
        let u = update(&huawei(json!({})), WEB);
        assert_eq!(u.node_count, Some(3));
        assert_eq!(u.body["metadata"]["name"], "web");
        let t = &u.body["spec"]["nodeTemplate"];
        assert_eq!(
            t["rootVolumeUpdate"],
            json!({"volumetype": "SSD", "size": 40})
        );
        assert_eq!(t["dataVolumesUpdate"][0]["size"], 100);
        assert_eq!(t["taints"][0]["key"], "a");
        assert_eq!(t["k8sTags"]["team"], "web");
        assert_eq!(
            t["extendParam"],
            json!({"alpha.cce/preInstall": "ZWNobw=="})
        );
        for absent in ["flavor", "az", "rootVolume", "dataVolumes", "billingMode"] {
            assert!(
                t.get(absent).is_none(),
                "{absent} must not be sent in an update"
            );
        }
        assert_eq!(
            u.body["spec"]["nodeManagementUpdate"],
            json!({"serverGroupReference": "sg-1"})
        );
        assert!(u.body["spec"].get("nodeManagement").is_none());
        assert!(u.body["spec"].get("initialNodeCount").is_none());
    }

    #[test]
    fn cce_bodies_carry_the_owner_mark_and_clear_what_the_spec_removed() {
        let spec = huawei(json!({}));
        let create = create(&spec, WEB);
        let mark = marks::owner(&create["spec"]).expect("marked");
        assert_eq!(mark.uid, "uid-1");
        assert_eq!(mark.name.as_deref(), Some("team-a_web"));
        let bare = huawei(json!({"nodeTemplate": {"flavor": "s6.large.2", "az": "cn-north-4a"}}));
        let u = update(&bare, WEB);
        let t = &u.body["spec"]["nodeTemplate"];
        assert_eq!(t["taints"], json!([]), "removed taints are cleared");
        assert_eq!(t["k8sTags"], json!({}), "removed labels are cleared");
        assert_eq!(
            t["userTags"].as_array().map(Vec::len),
            Some(2),
            "only the owner mark: the user's tags were removed"
        );
        let nic = huawei(json!({"nodeTemplate": {
            "flavor": "s6.large.2", "az": "cn-north-4a",
            "nodeNicSpec": {"primaryNic": {"subnetId": "sub-2", "fixedIps": ["10.0.0.9"]}}
        }}));
        let u = update(&nic, WEB);
        assert_eq!(
            u.body["spec"]["nodeTemplate"]["nodeNicSpecUpdate"],
            json!({"primaryNic": {"subnetId": "sub-2"}})
        );
    }

    #[test]
    fn desired_managed_fields_follow_the_spec_and_leave_autoscaled_counts_out() {
        let d = desired(&huawei(json!({})), WEB);
        assert_eq!(d.node_count, Some(3));
        assert_eq!(d.labels["team"], "web");
        assert!(d.tags.is_empty(), "the owner mark is not a user tag");
        let auto =
            huawei(json!({"autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 5}}));
        assert_eq!(desired(&auto, WEB).node_count, None);
    }

    #[test]
    fn cce_update_leaves_the_count_to_the_autoscaler() {
        let u = update(
            &huawei(json!({"autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 5}})),
            WEB,
        );
        assert_eq!(u.node_count, None);
        assert_eq!(u.body["spec"]["autoscaling"]["maxNodeCount"], 5);
    }
}
