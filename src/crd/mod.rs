//! The `NodePool` API (`cloud.nodepool.dev/v1alpha1`): types, schema, CEL rules.
//!
//! Doc comments on the fields below become the schema descriptions that
//! `kubectl explain` shows, so they speak to the user of the API.

pub mod account;
pub mod alibaba;
pub mod huawei;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, CustomResourceExt, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cloud::CloudSection;

pub use account::{CloudAccount, CloudAccountSpec};
pub use alibaba::AlibabaNodePool;
pub use huawei::HuaweiNodePool;

/// API group of the NodePool resource.
pub const GROUP: &str = "cloud.nodepool.dev";
/// Finalizer that holds a NodePool until its cloud pool is gone (or orphaned).
pub const FINALIZER: &str = "nodepools.cloud.nodepool.dev/finalizer";
/// Field manager for everything the controller writes.
pub const FIELD_MANAGER: &str = "nodepool-controller";
/// Annotation that pauses reconciliation of a NodePool while it is `"true"`.
pub const ANNOTATION_PAUSED: &str = "cloud.nodepool.dev/paused";
/// Annotation that adopts an existing cloud pool (its ID) instead of creating one.
pub const ANNOTATION_ADOPT_ID: &str = "cloud.nodepool.dev/adopt-id";
/// Annotation that makes a NodePool read-only: it mirrors the pool named by
/// [`ANNOTATION_ADOPT_ID`] (ID, phase, node counts) and never changes, marks or deletes it.
pub const ANNOTATION_READ_ONLY: &str = "cloud.nodepool.dev/read-only";
/// ACK tag (on the scaling group) carrying the UID of the NodePool that created the pool: how the
/// controller finds its own pool after a crash, since ACK does not promise unique names.
pub const OWNER_TAG: &str = crate::cloud::alibaba::marks::OWNER_UID_TAG;

/// A node pool at a public cloud, kept in line with this spec by nodepool-controller.
///
/// Set exactly one of `huawei` (Huawei Cloud CCE) or `alibaba` (Alibaba Cloud ACK).
#[derive(CustomResource, KubeSchema, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[kube(
    group = "cloud.nodepool.dev",
    version = "v1alpha1",
    kind = "NodePool",
    plural = "nodepools",
    singular = "nodepool",
    shortname = "cnp",
    category = "cloud",
    namespaced,
    status = "NodePoolStatus",
    derive = "PartialEq",
    printcolumn(name = "Cloud", type_ = "string", json_path = ".status.cloud"),
    printcolumn(name = "Cluster", type_ = "string", json_path = ".status.clusterId"),
    printcolumn(name = "ID", type_ = "string", json_path = ".status.id"),
    printcolumn(name = "Phase", type_ = "string", json_path = ".status.phase"),
    printcolumn(name = "Nodes", type_ = "integer", json_path = ".status.currentNodeCount"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
    validation = Rule::new(
        "!has(self.spec.huawei) || has(self.spec.huawei.name) || (self.metadata.name.matches('^[a-z]([-a-z0-9]{0,48}[a-z0-9])?$') && self.metadata.name != 'DefaultPool')"
    ).message(
        "metadata.name is used as the CCE node pool name, which must start with a lowercase letter, contain only lowercase letters, digits and '-', be 1-50 characters long, not end with '-' and not be 'DefaultPool'; rename the object or set spec.huawei.name"
    ).reason(Reason::FieldValueInvalid),
)]
#[x_kube(
    validation = Rule::new("[has(self.huawei), has(self.alibaba)].filter(x, x).size() == 1")
        .message("set exactly one of spec.huawei (Huawei Cloud CCE) or spec.alibaba (Alibaba Cloud ACK)"),
    validation = Rule::new("has(self.huawei) == has(oldSelf.huawei) && has(self.alibaba) == has(oldSelf.alibaba)")
        .message("the cloud of a NodePool cannot change; delete it and create a new NodePool instead"),
    validation = Rule::new("[has(self.credentialsRef), has(self.accountRef)].filter(x, x).size() == 1")
        .message("set exactly one of spec.credentialsRef (a credentials Secret in this namespace) or spec.accountRef (a CloudAccount that allows this namespace)"),
)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolSpec {
    /// The Secret, in the NodePool's own namespace, holding the cloud credentials.
    /// Huawei: `accessKey` + `secretKey` (+ optional `securityToken`), or `token`.
    /// Alibaba: `accessKeyId` + `accessKeySecret` (+ optional `securityToken`).
    /// Credentials are never written inline in a NodePool. Set this or `accountRef`.
    /// (In the Rust type, absent = an empty name; see [`NodePoolSpec::credentials`].)
    #[serde(default, skip_serializing_if = "CredentialsRef::is_empty")]
    pub credentials_ref: CredentialsRef,

    /// A CloudAccount (cluster-scoped, set up by the platform team) whose identity the
    /// controller uses for this NodePool: keyless (RRSA, OIDC federation, instance metadata)
    /// or a shared key, optionally chained to a per-tenant role. The CloudAccount must list
    /// this namespace in `spec.allowedNamespaces`. Set this or `credentialsRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_ref: Option<AccountRef>,

    /// What happens to the cloud node pool when this NodePool is deleted:
    /// `Delete` (default) deletes it at the cloud and waits until it is gone;
    /// `Orphan` leaves it running and only releases the NodePool.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// What the controller does when a field it manages (node labels, taints, resource tags,
    /// the node count unless an autoscaler owns it, the owner mark) was changed at the cloud
    /// behind its back: `Correct` (default) sets it back to the spec; `Report` leaves it. Either
    /// way an Event names the fields and the `Drifted` condition shows it while it lasts.
    #[serde(default, skip_serializing_if = "DriftPolicy::is_default")]
    pub drift_policy: DriftPolicy,

    /// What the controller does when the pool it created was deleted outside of it (confirmed
    /// by a full list of the cluster): `Recreate` (default) creates it again, as the spec
    /// declares; `Report` stalls with `CloudPoolDeleted` and waits for the user.
    #[serde(default, skip_serializing_if = "WhenMissing::is_default")]
    pub when_missing: WhenMissing,

    /// A Huawei Cloud CCE node pool (API v3). Exactly one of `huawei` and `alibaba` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub huawei: Option<Box<HuaweiNodePool>>,

    /// An Alibaba Cloud ACK node pool (Container Service API 2015-12-15).
    /// Exactly one of `huawei` and `alibaba` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alibaba: Option<Box<AlibabaNodePool>>,
}

/// The cloud section of a spec: the one place that tells which cloud a NodePool names.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CloudSpec<'a> {
    /// `spec.huawei`.
    Huawei(&'a HuaweiNodePool),
    /// `spec.alibaba`.
    Alibaba(&'a AlibabaNodePool),
}

impl<'a> CloudSpec<'a> {
    /// The cloud's section, as the controller uses it (where the pool lives, its request bodies).
    pub fn section(&self) -> &'a dyn CloudSection {
        match *self {
            CloudSpec::Huawei(h) => h,
            CloudSpec::Alibaba(a) => a,
        }
    }

    /// The cloud cluster the pool belongs to.
    pub fn cluster_id(&self) -> &'a str {
        self.section().cluster_id()
    }
}

/// Where a NodePool's credentials come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialsFrom<'a> {
    /// A credentials Secret in the NodePool's namespace (`spec.credentialsRef`).
    Secret(&'a str),
    /// A CloudAccount (`spec.accountRef`).
    Account(&'a str),
}

impl NodePoolSpec {
    /// Where the credentials come from: the account when `accountRef` is set, else the Secret
    /// (the schema requires exactly one).
    pub fn credentials(&self) -> CredentialsFrom<'_> {
        match &self.account_ref {
            Some(a) => CredentialsFrom::Account(&a.name),
            None => CredentialsFrom::Secret(&self.credentials_ref.name),
        }
    }

    /// The cloud this spec names, with its section (`None` only with a stale CRD: the schema
    /// requires exactly one).
    pub fn cloud_spec(&self) -> Option<CloudSpec<'_>> {
        match (&self.huawei, &self.alibaba) {
            (Some(h), _) => Some(CloudSpec::Huawei(h)),
            (None, Some(a)) => Some(CloudSpec::Alibaba(a)),
            (None, None) => None,
        }
    }
}

/// A reference to a Secret in the NodePool's namespace.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct CredentialsRef {
    /// Name of the Secret (in the NodePool's namespace).
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 253").message("credentialsRef.name must name a Secret (1-253 characters)"))]
    pub name: String,
}

impl CredentialsRef {
    /// Whether no Secret is named (the NodePool uses `accountRef`).
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
    }
}

/// A reference to a CloudAccount (cluster-scoped).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, KubeSchema)]
pub struct AccountRef {
    /// Name of the CloudAccount.
    #[x_kube(validation = Rule::new("self.size() > 0 && self.size() <= 253").message("accountRef.name must name a CloudAccount (1-253 characters)"))]
    pub name: String,
}

/// What to do with the cloud node pool when the NodePool is deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Delete the cloud node pool and wait until the cloud confirms it is gone.
    #[default]
    Delete,
    /// Leave the cloud node pool in place; only the NodePool object goes away.
    Orphan,
}

/// What to do with managed fields changed at the cloud.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DriftPolicy {
    /// Set the fields back to the spec.
    #[default]
    Correct,
    /// Only report the difference (Event, `Drifted` condition, metric).
    Report,
}

impl DriftPolicy {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What to do when the pool was deleted outside the controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WhenMissing {
    /// Create the pool again from the spec.
    #[default]
    Recreate,
    /// Stall with `CloudPoolDeleted` until the user deletes the NodePool or changes this field.
    Report,
}

impl WhenMissing {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Observed state of a NodePool, written by the controller.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodePoolStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The cloud: `Huawei` or `Alibaba`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    /// The cloud cluster the pool belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    /// The cloud's ID of the pool: CCE `metadata.uid`, ACK `nodepool_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The phase in one vocabulary for both clouds: `Creating`, `Synchronizing`,
    /// `Synchronized`, `SoldOut`, `Deleting`, `Error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The raw phase (CCE `status.phase`) or state (ACK `status.state`) the cloud reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_phase: Option<String>,
    /// Nodes now in the pool, as the cloud counts them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_node_count: Option<i64>,
    /// The node count the cloud is steering the pool toward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired_node_count: Option<i64>,
    /// The `metadata.generation` whose spec was last sent to the cloud (by the create or an
    /// update); when it differs from `metadata.generation`, an update is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_generation: Option<i64>,
    /// When the controller decided to create the pool at the cloud (RFC 3339). Written before
    /// the create call, so that after a crash the controller knows a pool it finds by name (CCE)
    /// or by tag (ACK) is its own and adopts it instead of creating a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_requested_at: Option<String>,
    /// When the controller first asked the cloud to delete the pool (RFC 3339): a delete the
    /// cloud has not finished within the controller's delete timeout stalls with a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_requested_at: Option<String>,
    /// Standard conditions: `Ready`, `Synced`, `Reconciling`, `Stalled`. A map keyed by `type`
    /// (as Kubernetes' own conditions are): other tools may add conditions of their own types,
    /// which the controller's writes leave alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
}

/// The CustomResourceDefinition of NodePool, as YAML (what `nodepool-controller crd` prints).
pub fn crd_yaml() -> String {
    crd_file(NodePool::crd(), "nodepool")
}

/// The CloudAccount CustomResourceDefinition as YAML (what `crds/cloudaccount.yaml` holds).
pub fn account_crd_yaml() -> String {
    crd_file(CloudAccount::crd(), "cloudaccount")
}

/// Every CustomResourceDefinition of the API, as one multi-document YAML stream (for
/// `nodepool-controller crd | kubectl apply -f -`).
pub fn all_crds_yaml() -> String {
    format!("{}---\n{}", crd_yaml(), account_crd_yaml())
}

fn crd_file(
    crd: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    kind: &str,
) -> String {
    let mut out = format!(
        "# Generated by `nodepool-controller crd {kind}` from src/crd; do not edit by hand.\n"
    );
    out.push_str(&serde_yaml::to_string(&crd).expect("a CRD always serializes to YAML"));
    out
}
