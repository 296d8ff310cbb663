//! The owner mark and the managed fields of a CCE pool.
//!
//! CCE keeps no free-form labels on the pool object itself, but it stores the pool's
//! `spec.nodeTemplate.userTags` (the tags it puts on the pool's ECS servers) and returns them in
//! every show and list answer. The controller adds two of them to every pool it creates or
//! adopts:
//!
//! * [`OWNER_UID_TAG`] = the NodePool's UID: what ownership is decided by;
//! * [`OWNER_TAG`] = `namespace_name` of the NodePool, for people reading the console
//!   (`_` cannot occur in Kubernetes names, so the two parts stay apart), cut to
//!   [`TAG_VALUE_MAX`] characters.
//!
//! Both keys use only letters and `-`, which every version of the ECS tag rules accepts; CCE
//! refuses keys starting with `CCE-` or `__type_baremetal`, which these do not.

use serde_json::{Map, Value, json};

use crate::cloud::{Managed, Owner, OwnerMark, shorten, tags};

/// User tag carrying the UID of the NodePool that owns the pool.
pub const OWNER_UID_TAG: &str = "nodepool-owner-uid";
/// User tag carrying `namespace_name` of the owning NodePool (for people; may be shortened).
pub const OWNER_TAG: &str = "nodepool-owner";
/// The longest tag value the controller writes (ECS tag values: at most 43 characters).
pub const TAG_VALUE_MAX: usize = 43;
/// Prefix of the node labels CCE adds to every pool by itself (not managed by the spec).
const SYSTEM_LABEL_PREFIX: &str = "cce.cloud.com/";

fn is_owner_key(key: &str) -> bool {
    key == OWNER_UID_TAG || key == OWNER_TAG
}

/// The two owner tags of `owner`, as CCE `userTags` entries.
pub fn owner_tags(owner: Owner<'_>) -> [Value; 2] {
    let human = format!("{}_{}", owner.namespace, owner.name);
    [
        json!({"key": OWNER_UID_TAG, "value": owner.uid}),
        json!({"key": OWNER_TAG, "value": shorten(&human, TAG_VALUE_MAX)}),
    ]
}

/// Sets `userTags` of a node template (create `nodeTemplate` or update `NodeSpecUpdate`) to the
/// spec's own tags plus the owner tags. Always present, so that an update also clears tags the
/// spec no longer has (CCE: an absent `userTags` leaves them, a list replaces them).
pub fn set_owner_tags(template: &mut Map<String, Value>, owner: Owner<'_>) {
    let tags = tags::with_marks(template.get("userTags"), is_owner_key, owner_tags(owner));
    template.insert("userTags".into(), tags);
}

/// The owner mark in a CCE pool `spec`, if it carries one.
pub fn owner(spec: &Value) -> Option<OwnerMark> {
    tags::owner(
        spec.pointer("/nodeTemplate/userTags"),
        OWNER_UID_TAG,
        OWNER_TAG,
    )
}

/// Whether CCE's autoscaler owns the pool's node count.
pub fn autoscaled(spec: &Value) -> bool {
    spec.pointer("/autoscaling/enable").and_then(Value::as_bool) == Some(true)
}

/// The managed fields of a CCE pool `spec` (the create body's `spec` or a pool the cloud
/// reports).
pub fn managed(spec: &Value) -> Managed {
    let labels = spec
        .pointer("/nodeTemplate/k8sTags")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| !k.starts_with(SYSTEM_LABEL_PREFIX))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    Managed {
        labels,
        taints: tags::taints(spec.pointer("/nodeTemplate/taints")),
        tags: tags::pairs(spec.pointer("/nodeTemplate/userTags"))
            .filter(|(k, _)| !is_owner_key(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        node_count: spec.get("initialNodeCount").and_then(tags::count),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWNER: Owner<'static> = Owner {
        uid: "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        namespace: "team-a",
        name: "web",
    };

    #[test]
    fn owner_tags_replace_stale_marks_and_keep_user_tags() {
        let mut t = json!({"userTags": [
            {"key": "env", "value": "prod"},
            {"key": OWNER_UID_TAG, "value": "someone-else"},
        ]})
        .as_object()
        .cloned()
        .expect("object");
        set_owner_tags(&mut t, OWNER);
        let spec = json!({"nodeTemplate": t});
        assert_eq!(
            owner(&spec),
            Some(OwnerMark {
                uid: OWNER.uid.into(),
                name: Some("team-a_web".into())
            })
        );
        assert_eq!(
            managed(&spec).tags.into_iter().collect::<Vec<_>>(),
            vec![("env".to_string(), "prod".to_string())]
        );
    }

    #[test]
    fn empty_template_gets_only_the_marks() {
        let mut t = Map::new();
        set_owner_tags(&mut t, OWNER);
        assert_eq!(t["userTags"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn long_names_are_cut_to_the_tag_value_limit() {
        let long = "n".repeat(63);
        let tags = owner_tags(Owner {
            uid: OWNER.uid,
            namespace: &long,
            name: "web",
        });
        assert_eq!(tags[1]["value"].as_str().map(str::len), Some(TAG_VALUE_MAX));
        assert_eq!(tags[0]["value"], OWNER.uid);
    }

    #[test]
    fn managed_fields_skip_cce_labels_and_owner_tags() {
        let spec = json!({
            "initialNodeCount": 3,
            "nodeTemplate": {
                "k8sTags": {"cce.cloud.com/cce-nodepool": "web", "team": "a"},
                "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}],
                "userTags": [{"key": OWNER_UID_TAG, "value": "u"}, {"key": "env", "value": "prod"}]
            }
        });
        let m = managed(&spec);
        assert_eq!(m.labels.len(), 1);
        assert_eq!(m.labels["team"], "a");
        assert_eq!(m.taints.len(), 1);
        assert_eq!(m.tags.len(), 1);
        assert_eq!(m.node_count, Some(3));
        assert_eq!(owner(&spec).map(|o| o.uid), Some("u".into()));
        assert_eq!(managed(&json!({})), Managed::default());
    }
}
