//! The owner mark and the managed fields of an ACK pool.
//!
//! ACK stores the scaling group's `tags` (the tags of the pool's ECS instances) and returns them
//! with the pool in list and detail answers. The controller adds two of them to every pool it
//! creates or adopts: [`OWNER_UID_TAG`] = the NodePool's UID (what ownership is decided by) and
//! [`OWNER_TAG`] = `namespace/name` of the NodePool for people (cut to [`TAG_VALUE_MAX`]).
//! ACK tag keys may not start with `aliyun` or `acs:`; these do not.

use serde_json::{Map, Value, json};

use crate::cloud::{Managed, Owner, OwnerMark, shorten, tags};

/// Tag carrying the UID of the NodePool that owns the pool.
pub const OWNER_UID_TAG: &str = "cloud.nodepool.dev/owner-uid";
/// Tag carrying `namespace/name` of the owning NodePool (for people; may be shortened).
pub const OWNER_TAG: &str = "cloud.nodepool.dev/owner";
/// The longest tag value the controller writes (ECS tag values: at most 128 characters).
pub const TAG_VALUE_MAX: usize = 128;

fn is_owner_key(key: &str) -> bool {
    key == OWNER_UID_TAG || key == OWNER_TAG
}

/// The two owner tags of `owner`, as ACK `scaling_group.tags` entries.
pub fn owner_tags(owner: Owner<'_>) -> [Value; 2] {
    let human = format!("{}/{}", owner.namespace, owner.name);
    [
        json!({"key": OWNER_UID_TAG, "value": owner.uid}),
        json!({"key": OWNER_TAG, "value": shorten(&human, TAG_VALUE_MAX)}),
    ]
}

/// Sets `scaling_group.tags` of a create or modify body to the spec's own tags plus the owner
/// tags (always present, so an update replaces the tags the spec no longer has).
pub fn set_owner_tags(body: &mut Map<String, Value>, owner: Owner<'_>) {
    let group = body
        .entry("scaling_group")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(group) = group.as_object_mut() {
        let tags = tags::with_marks(group.get("tags"), is_owner_key, owner_tags(owner));
        group.insert("tags".into(), tags);
    }
}

/// The owner mark of an ACK pool object (snake_case, as listed), if it carries one.
pub fn owner(pool: &Value) -> Option<OwnerMark> {
    tags::owner(
        pool.pointer("/scaling_group/tags"),
        OWNER_UID_TAG,
        OWNER_TAG,
    )
}

/// Whether ACK's autoscaler owns the pool's node count.
pub fn autoscaled(pool: &Value) -> bool {
    pool.pointer("/auto_scaling/enable")
        .and_then(Value::as_bool)
        == Some(true)
}

/// The managed fields of an ACK pool object (a create body or a pool the cloud reports).
pub fn managed(pool: &Value) -> Managed {
    Managed {
        labels: tags::pairs(pool.pointer("/kubernetes_config/labels"))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        taints: tags::taints(pool.pointer("/kubernetes_config/taints")),
        tags: tags::pairs(pool.pointer("/scaling_group/tags"))
            .filter(|(k, _)| !is_owner_key(k))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        node_count: pool
            .pointer("/scaling_group/desired_size")
            .or_else(|| pool.get("count"))
            .and_then(tags::count),
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
    fn owner_tags_go_into_the_scaling_group() {
        let mut body = json!({"scaling_group": {"tags": [
            {"key": "env", "value": "prod"}, {"key": OWNER_UID_TAG, "value": "old"}
        ]}})
        .as_object()
        .cloned()
        .expect("object");
        set_owner_tags(&mut body, OWNER);
        let pool = Value::Object(body);
        assert_eq!(
            owner(&pool),
            Some(OwnerMark {
                uid: OWNER.uid.into(),
                name: Some("team-a/web".into())
            })
        );
        assert_eq!(managed(&pool).tags.len(), 1);
        let mut empty = Map::new();
        set_owner_tags(&mut empty, OWNER);
        assert_eq!(
            empty["scaling_group"]["tags"].as_array().map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn managed_fields_of_a_listed_pool() {
        let pool = json!({
            "auto_scaling": {"enable": false},
            "scaling_group": {"desired_size": 2, "tags": [{"key": "a", "value": "b"}]},
            "kubernetes_config": {
                "labels": [{"key": "team", "value": "a"}],
                "taints": [{"key": "k", "value": "v", "effect": "NoExecute"}]
            }
        });
        let m = managed(&pool);
        assert_eq!(m.node_count, Some(2));
        assert_eq!(m.labels["team"], "a");
        assert_eq!(m.taints.len(), 1);
        assert_eq!(m.tags["a"], "b");
        assert!(!autoscaled(&pool));
        assert_eq!(owner(&pool), None);
    }
}
