//! Request bodies the controller sends, built from a NodePool's spec (pure).
//!
//! * Create: the cloud's own create body, plus (ACK) the owner tag that lets the controller find
//!   its pool again after a crash.
//! * Update: CCE's `NodePoolUpdate` (its own field names: `rootVolumeUpdate`,
//!   `nodeManagementUpdate`, ...) or ACK's ModifyClusterNodePool body, with only what each cloud
//!   can change in place. Node counts go through [`PoolUpdate::node_count`], never the body, and
//!   are left alone when autoscaling owns them.

use serde_json::{Map, Value, json};

use crate::cloud::{Managed, Owner, PoolUpdate, alibaba, huawei};
use crate::crd::{AlibabaNodePool, CloudSpec, HuaweiNodePool};

/// The create body of a NodePool's pool, with the owner mark.
pub fn create(spec: CloudSpec<'_>, owner: Owner<'_>) -> Value {
    match spec {
        CloudSpec::Huawei(h) => huawei_create(h, owner),
        CloudSpec::Alibaba(a) => alibaba_create(a, owner),
    }
}

/// The update of a NodePool's pool: everything the cloud can change in place, the owner mark,
/// and empty lists and maps for node labels, taints and tags the spec no longer has (so that
/// removing them from the spec removes them at the cloud).
pub fn update(spec: CloudSpec<'_>, owner: Owner<'_>) -> PoolUpdate {
    match spec {
        CloudSpec::Huawei(h) => huawei_update(h, owner),
        CloudSpec::Alibaba(a) => alibaba_update(a, owner),
    }
}

/// The managed fields as the spec wants them (the node count only where no autoscaler owns it).
pub fn desired(spec: CloudSpec<'_>, owner: Owner<'_>) -> Managed {
    match spec {
        CloudSpec::Huawei(h) => {
            let body = huawei_create(h, owner);
            let mut m = huawei::marks::managed(&body["spec"]);
            if huawei::marks::autoscaled(&body["spec"]) {
                m.node_count = None;
            } else {
                m.node_count.get_or_insert(0);
            }
            m
        }
        CloudSpec::Alibaba(a) => {
            let body = alibaba_create(a, owner);
            let mut m = alibaba::marks::managed(&body);
            if alibaba::marks::autoscaled(&body) {
                m.node_count = None;
            }
            m
        }
    }
}

/// The CCE create body, with the owner tags in `nodeTemplate.userTags`.
pub fn huawei_create(spec: &HuaweiNodePool, owner: Owner<'_>) -> Value {
    let mut body = spec.create_body(owner.name);
    if let Some(template) = body
        .pointer_mut("/spec/nodeTemplate")
        .and_then(Value::as_object_mut)
    {
        huawei::marks::set_owner_tags(template, owner);
    }
    body
}

/// The ACK create body, with the owner tags in `scaling_group.tags`.
pub fn alibaba_create(spec: &AlibabaNodePool, owner: Owner<'_>) -> Value {
    let mut body = spec.create_body(owner.name);
    if let Some(obj) = body.as_object_mut() {
        alibaba::marks::set_owner_tags(obj, owner);
    }
    body
}

/// Keys of CCE's `nodeTemplate` that `NodePoolUpdate` accepts, with their update names.
const CCE_TEMPLATE_UPDATE: &[(&str, &str)] = &[
    ("os", "os"),
    ("login", "login"),
    ("rootVolume", "rootVolumeUpdate"),
    ("dataVolumes", "dataVolumesUpdate"),
    ("storage", "storage"),
    ("runtime", "runtime"),
    ("taints", "taints"),
    ("waitPostInstallFinish", "waitPostInstallFinish"),
    ("k8sTags", "k8sTags"),
    ("ecsGroupId", "ecsGroupId"),
    ("userTags", "userTags"),
    ("nodeNameTemplate", "nodeNameTemplate"),
    ("initializedConditions", "initializedConditions"),
    ("serverEnterpriseProjectID", "serverEnterpriseProjectID"),
    ("publicIP", "publicIP"),
];

/// `extendParam` keys `NodePoolUpdate` accepts.
const CCE_EXTEND_PARAM_UPDATE: &[&str] = &[
    "agency_name",
    "alpha.cce/preInstall",
    "alpha.cce/postInstall",
    "spotPrice",
    "securityReinforcementType",
    "alpha.cce/NodeImageID",
];

/// Keys of CCE's pool `spec` that `NodePoolUpdate` accepts, with their update names.
const CCE_SPEC_UPDATE: &[(&str, &str)] = &[
    ("autoscaling", "autoscaling"),
    ("repairPolicy", "repairPolicy"),
    ("nodeManagement", "nodeManagementUpdate"),
    ("customSecurityGroups", "customSecurityGroups"),
    ("taintPolicyOnExistingNodes", "taintPolicyOnExistingNodes"),
    ("labelPolicyOnExistingNodes", "labelPolicyOnExistingNodes"),
    (
        "userTagsPolicyOnExistingNodes",
        "userTagsPolicyOnExistingNodes",
    ),
    ("extensionScaleGroups", "extensionScaleGroups"),
];

/// Whether autoscaling owns the pool's node count (then the controller never sets it).
fn autoscaled(autoscaling: Option<&Value>) -> bool {
    autoscaling
        .and_then(|a| a.get("enable"))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The CCE update of a NodePool's pool.
pub fn huawei_update(spec: &HuaweiNodePool, owner: Owner<'_>) -> PoolUpdate {
    let create = huawei_create(spec, owner);
    let src = &create["spec"];
    let mut out = Map::new();
    for (from, to) in CCE_SPEC_UPDATE {
        if let Some(v) = src.get(*from) {
            out.insert((*to).to_string(), v.clone());
        }
    }
    let mut template = Map::new();
    if let Some(t) = src.get("nodeTemplate") {
        for (from, to) in CCE_TEMPLATE_UPDATE {
            if let Some(v) = t.get(*from) {
                template.insert((*to).to_string(), v.clone());
            }
        }
        // The primary NIC's subnets are the part of `nodeNicSpec` an update can change.
        if let Some(Value::Object(nic)) = t.pointer("/nodeNicSpec/primaryNic") {
            let kept: Map<String, Value> = nic
                .iter()
                .filter(|(k, _)| matches!(k.as_str(), "subnetId" | "subnetList"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                template.insert(
                    "nodeNicSpecUpdate".into(),
                    json!({"primaryNic": Value::Object(kept)}),
                );
            }
        }
        if let Some(Value::Object(params)) = t.get("extendParam") {
            let kept: Map<String, Value> = params
                .iter()
                .filter(|(k, _)| CCE_EXTEND_PARAM_UPDATE.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !kept.is_empty() {
                template.insert("extendParam".into(), Value::Object(kept));
            }
        }
    }
    // Removed from the spec = removed at the cloud (absent would leave them as they are).
    template.entry("taints").or_insert_with(|| json!([]));
    template.entry("k8sTags").or_insert_with(|| json!({}));
    out.insert("nodeTemplate".into(), Value::Object(template));
    let node_count = if autoscaled(src.get("autoscaling")) {
        None
    } else {
        src.get("initialNodeCount")
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    PoolUpdate {
        body: json!({"metadata": {"name": create["metadata"]["name"]}, "spec": Value::Object(out)}),
        node_count,
    }
}

/// `scaling_group` fields ModifyClusterNodePool does not take (create-only).
const ACK_CREATE_ONLY_SCALING: &[&str] = &[
    "cis_enabled",
    "cpu_options",
    "instance_metadata_options",
    "login_as_non_root",
    "ram_role_name",
    "security_group_id",
    "security_hardening_os",
    "soc_enabled",
    "desired_size",
];

/// Top-level ModifyClusterNodePool fields (besides `scaling_group`).
const ACK_MODIFY_TOP: &[&str] = &[
    "auto_scaling",
    "kubernetes_config",
    "management",
    "tee_config",
    "eflo_node_group",
];

/// The ACK update of a NodePool's pool.
pub fn alibaba_update(spec: &AlibabaNodePool, owner: Owner<'_>) -> PoolUpdate {
    let create = alibaba_create(spec, owner);
    let mut out = Map::new();
    for key in ACK_MODIFY_TOP {
        if let Some(v) = create.get(*key) {
            out.insert((*key).to_string(), v.clone());
        }
    }
    if let Some(info) = create.get("nodepool_info") {
        let mut kept = Map::new();
        for key in ["name", "resource_group_id"] {
            if let Some(v) = info.get(key) {
                kept.insert(key.to_string(), v.clone());
            }
        }
        out.insert("nodepool_info".into(), Value::Object(kept));
    }
    if let Some(Value::Object(group)) = create.get("scaling_group") {
        let kept: Map<String, Value> = group
            .iter()
            .filter(|(k, _)| !ACK_CREATE_ONLY_SCALING.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert("scaling_group".into(), Value::Object(kept));
    }
    // Removed from the spec = removed at the cloud.
    if let Value::Object(k) = out.entry("kubernetes_config").or_insert_with(|| json!({})) {
        k.entry("labels").or_insert_with(|| json!([]));
        k.entry("taints").or_insert_with(|| json!([]));
    }
    let node_count = if autoscaled(create.get("auto_scaling")) {
        None
    } else {
        create
            .get("scaling_group")
            .and_then(|g| g.get("desired_size"))
            .or_else(|| create.get("count"))
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
    };
    PoolUpdate {
        body: Value::Object(out),
        node_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::alibaba::marks::OWNER_UID_TAG as OWNER_TAG;

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
        let u = huawei_update(&huawei(json!({})), WEB);
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
        let create = huawei_create(&spec, WEB);
        let mark = huawei::marks::owner(&create["spec"]).expect("marked");
        assert_eq!(mark.uid, "uid-1");
        assert_eq!(mark.name.as_deref(), Some("team-a_web"));
        let bare = huawei(json!({"nodeTemplate": {"flavor": "s6.large.2", "az": "cn-north-4a"}}));
        let u = huawei_update(&bare, WEB);
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
        let u = huawei_update(&nic, WEB);
        assert_eq!(
            u.body["spec"]["nodeTemplate"]["nodeNicSpecUpdate"],
            json!({"primaryNic": {"subnetId": "sub-2"}})
        );
    }

    #[test]
    fn desired_managed_fields_follow_the_spec_and_leave_autoscaled_counts_out() {
        let d = desired(CloudSpec::Huawei(&huawei(json!({}))), WEB);
        assert_eq!(d.node_count, Some(3));
        assert_eq!(d.labels["team"], "web");
        assert!(d.tags.is_empty(), "the owner mark is not a user tag");
        let auto =
            huawei(json!({"autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 5}}));
        assert_eq!(desired(CloudSpec::Huawei(&auto), WEB).node_count, None);
        let a = desired(CloudSpec::Alibaba(&alibaba(json!({}))), WEB);
        assert_eq!(a.node_count, Some(2));
        assert_eq!(a.tags["team"], "web");
        assert_eq!(a.labels["a"], "b");
    }

    #[test]
    fn ack_update_clears_labels_and_taints_the_spec_removed() {
        let u = alibaba_update(
            &alibaba(json!({"kubernetesConfig": {"runtime": "containerd"}})),
            WEB,
        );
        assert_eq!(u.body["kubernetes_config"]["labels"], json!([]));
        assert_eq!(u.body["kubernetes_config"]["taints"], json!([]));
    }

    #[test]
    fn cce_update_leaves_the_count_to_the_autoscaler() {
        let u = huawei_update(
            &huawei(json!({"autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 5}})),
            WEB,
        );
        assert_eq!(u.node_count, None);
        assert_eq!(u.body["spec"]["autoscaling"]["maxNodeCount"], 5);
    }

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
    fn ack_create_carries_the_owner_tag_once() {
        let body = alibaba_create(&alibaba(json!({})), WEB);
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
        let u = alibaba_update(&alibaba(json!({})), WEB);
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

        let auto = alibaba_update(
            &alibaba(
                json!({"autoScaling": {"enable": true, "minInstances": 1, "maxInstances": 4}}),
            ),
            WEB,
        );
        assert_eq!(auto.node_count, None);
    }
}
