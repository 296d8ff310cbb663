//! The controller's cache of NodePools, kept compact.
//!
//! Every NodePool in scope stays in the controller's memory (the reflector store behind the
//! watch). As Rust structs, a NodePool costs about 6 KiB: the cloud specs model every field of
//! the clouds' APIs, most of them unset, and each set string is an allocation of its own. A
//! cached NodePool keeps its metadata as is, but its spec and status as their JSON text (about
//! 1 KiB and 0.7 KiB), parsed when a reconcile needs them — a few microseconds, once per
//! reconcile. It also drops what the controller never reads: the managed fields and
//! `kubectl apply`'s copy of the manifest.
//!
//! A spec that this build cannot parse (say, a newer CRD than the controller) fails only the
//! reconcile of that one NodePool, not the watch of all of them.

use std::borrow::Cow;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use kube::core::NamespaceResourceScope;
use kube::runtime::reflector::ObjectRef;
use serde::{Deserialize, Deserializer};

use crate::crd::{CredentialsRef, NodePool};

/// The annotation `kubectl apply` keeps its last applied manifest in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops what the controller never reads from a NodePool's metadata: the managed fields (often
/// larger than the spec) and `kubectl apply`'s copy of the manifest. Applied to every NodePool
/// the controller holds, watched or read, so that they compare alike.
pub fn slim_metadata(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
}

/// [`slim_metadata`] of a NodePool.
pub fn slim(np: &mut NodePool) {
    slim_metadata(&mut np.metadata);
}

/// The key the controller files per-NodePool state under: namespace and name only (an
/// `ObjectRef` made from an object also carries its UID and resourceVersion as strings, which
/// the key does not need; equality and hashing ignore them anyway).
pub fn key(meta: &ObjectMeta) -> ObjectRef<NodePool> {
    let r = ObjectRef::new(meta.name.as_deref().unwrap_or_default());
    match meta.namespace.as_deref() {
        Some(ns) => r.within(ns),
        None => r,
    }
}

/// A NodePool as the controller caches it (see the module documentation).
#[derive(Clone, Debug, PartialEq)]
pub struct CachedNodePool {
    /// The metadata, without managed fields and `kubectl apply`'s annotation.
    pub metadata: ObjectMeta,
    spec: Box<str>,
    status: Option<Box<str>>,
}

impl CachedNodePool {
    /// The cached form of a NodePool.
    pub fn new(np: &NodePool) -> Self {
        let mut metadata = np.metadata.clone();
        slim_metadata(&mut metadata);
        CachedNodePool {
            metadata,
            spec: serde_json::to_string(&np.spec)
                .expect("a NodePool spec serializes")
                .into_boxed_str(),
            status: np.status.as_ref().map(|s| {
                serde_json::to_string(s)
                    .expect("a NodePool status serializes")
                    .into_boxed_str()
            }),
        }
    }

    /// The whole NodePool, parsed.
    pub fn expand(&self) -> Result<NodePool, serde_json::Error> {
        Ok(NodePool {
            metadata: self.metadata.clone(),
            spec: serde_json::from_str(&self.spec)?,
            status: self
                .status
                .as_deref()
                .map(serde_json::from_str)
                .transpose()?,
        })
    }

    /// The name of the credentials Secret the spec refers to (`None` if the spec cannot say).
    pub fn credentials_name(&self) -> Option<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Refs {
            credentials_ref: CredentialsRef,
        }
        serde_json::from_str::<Refs>(&self.spec)
            .ok()
            .map(|r| r.credentials_ref.name)
    }

    /// The name of the CloudAccount the spec refers to, if any.
    pub fn account_name(&self) -> Option<String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Refs {
            account_ref: Option<crate::crd::AccountRef>,
        }
        serde_json::from_str::<Refs>(&self.spec)
            .ok()
            .and_then(|r| r.account_ref)
            .map(|r| r.name)
    }

    /// Bytes held by the spec and status text (for tests and the documentation's figures).
    pub fn text_len(&self) -> usize {
        self.spec.len() + self.status.as_deref().map_or(0, str::len)
    }
}

impl<'de> Deserialize<'de> for CachedNodePool {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            metadata: ObjectMeta,
            #[serde(default)]
            spec: serde_json::Value,
            #[serde(default)]
            status: serde_json::Value,
        }
        let wire = Wire::deserialize(d)?;
        let mut metadata = wire.metadata;
        slim_metadata(&mut metadata);
        Ok(CachedNodePool {
            metadata,
            spec: wire.spec.to_string().into_boxed_str(),
            status: (!wire.status.is_null()).then(|| wire.status.to_string().into_boxed_str()),
        })
    }
}

impl Resource for CachedNodePool {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(dt: &()) -> Cow<'_, str> {
        NodePool::kind(dt)
    }
    fn group(dt: &()) -> Cow<'_, str> {
        NodePool::group(dt)
    }
    fn version(dt: &()) -> Cow<'_, str> {
        NodePool::version(dt)
    }
    fn api_version(dt: &()) -> Cow<'_, str> {
        NodePool::api_version(dt)
    }
    fn plural(dt: &()) -> Cow<'_, str> {
        NodePool::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn wire() -> serde_json::Value {
        json!({
            "apiVersion": "cloud.nodepool.dev/v1alpha1",
            "kind": "NodePool",
            "metadata": {
                "name": "web", "namespace": "team-a", "uid": "u-1", "resourceVersion": "42",
                "generation": 3,
                "labels": {"app": "web"},
                "annotations": {
                    LAST_APPLIED: "{\"a\":\"very long manifest\"}",
                    "cloud.nodepool.dev/paused": "true"
                },
                "finalizers": ["cloud.nodepool.dev/finalizer"],
                "managedFields": [{"manager": "kubectl", "operation": "Apply",
                                   "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]
            },
            "spec": {
                "credentialsRef": {"name": "huawei-credentials"},
                "deletionPolicy": "Orphan",
                "huawei": {
                    "region": "cn-north-4", "projectId": "p1", "clusterId": "c1",
                    "initialNodeCount": 2, "type": "vm",
                    "nodeTemplate": {"flavor": "s6.large.2", "az": "az1", "os": "EulerOS 2.9",
                                     "login": {"sshKey": "k"},
                                     "rootVolume": {"volumetype": "SSD", "size": 40},
                                     "dataVolumes": [{"volumetype": "SSD", "size": 100}]}
                }
            },
            "status": {
                "id": "pool-1", "phase": "Synchronized", "observedGeneration": 3,
                "conditions": [{"type": "Ready", "status": "True", "reason": "Available",
                                "message": "ok", "lastTransitionTime": "2026-11-24T00:00:00Z",
                                "observedGeneration": 3}]
            }
        })
    }

    #[test]
    fn a_cached_nodepool_expands_to_the_same_nodepool_without_what_is_never_read() {
        let full: NodePool = serde_json::from_value(wire()).expect("a NodePool");
        let cached: CachedNodePool = serde_json::from_value(wire()).expect("a cached NodePool");
        let expanded = cached.expand().expect("expands");
        assert_eq!(expanded.spec, full.spec);
        assert_eq!(expanded.status, full.status);
        assert_eq!(expanded.metadata.managed_fields, None);
        let annotations = expanded.metadata.annotations.clone().expect("annotations");
        assert!(!annotations.contains_key(LAST_APPLIED));
        assert_eq!(
            annotations
                .get("cloud.nodepool.dev/paused")
                .map(String::as_str),
            Some("true")
        );
        let mut slimmed = full.clone();
        slim(&mut slimmed);
        assert_eq!(expanded, slimmed);
        // Built from a NodePool, the same once expanded (the JSON text may order keys otherwise).
        assert_eq!(
            CachedNodePool::new(&full).expand().expect("expands"),
            expanded
        );
    }

    #[test]
    fn the_credentials_name_is_read_without_parsing_the_whole_spec() {
        let cached: CachedNodePool = serde_json::from_value(wire()).expect("a cached NodePool");
        assert_eq!(
            cached.credentials_name().as_deref(),
            Some("huawei-credentials")
        );
    }

    #[test]
    fn a_nodepool_without_status_has_none() {
        let mut w = wire();
        w.as_object_mut().expect("object").remove("status");
        let cached: CachedNodePool = serde_json::from_value(w).expect("a cached NodePool");
        assert_eq!(cached.expand().expect("expands").status, None);
    }

    #[test]
    fn a_spec_this_build_cannot_parse_fails_on_expand_not_on_watch() {
        let mut w = wire();
        w["spec"]["deletionPolicy"] = json!("Shred");
        let cached: CachedNodePool = serde_json::from_value(w).expect("cached anyway");
        let err = cached.expand().expect_err("an unknown policy");
        assert!(err.to_string().contains("Shred"), "{err}");
    }

    #[test]
    fn the_key_is_namespace_and_name() {
        let cached: CachedNodePool = serde_json::from_value(wire()).expect("a cached NodePool");
        let k = key(&cached.metadata);
        assert_eq!(k, ObjectRef::<NodePool>::new("web").within("team-a"));
        assert_eq!(k.extra.uid, None, "no UID string kept in keys");
    }
}
