//! The CCE request bodies built from a NodePool's `spec.huawei` (pure): the create body with the
//! owner tags, and CCE's `NodePoolUpdate` (its own field names: `rootVolumeUpdate`,
//! `nodeManagementUpdate`, ...) with only what CCE can change in place. Node counts go through
//! [`PoolUpdate::node_count`], never the body, and are left alone when autoscaling owns them.

use serde_json::{Map, Value, json};

use super::marks;
use crate::cloud::{Cloud, CloudSection, Managed, Owner, PoolUpdate};
use crate::crd::HuaweiNodePool;

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

/// The CCE update of a NodePool's pool.
pub fn update(spec: &HuaweiNodePool, owner: Owner<'_>) -> PoolUpdate {
    let create = create(spec, owner);
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
    let node_count = if marks::autoscaled(src) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
