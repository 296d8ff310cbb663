//! The ACK request bodies built from a NodePool's `spec.alibaba` (pure): the create body with the
//! owner tag that lets the controller find its pool again after a crash, and the
//! ModifyClusterNodePool body with only what ACK can change in place. Node counts go through
//! [`PoolUpdate::node_count`], never the body, and are left alone when autoscaling owns them.

use serde_json::{Map, Value, json};

use super::marks;
use crate::cloud::{Cloud, CloudSection, Managed, Owner, PoolUpdate};
use crate::crd::AlibabaNodePool;

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
pub fn update(spec: &AlibabaNodePool, owner: Owner<'_>) -> PoolUpdate {
    let create = create(spec, owner);
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
    let node_count = if marks::autoscaled(&create) {
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
