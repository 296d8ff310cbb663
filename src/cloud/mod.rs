//! Everything that talks to the clouds: request signing, error classification, the provider seam
//! the controller uses, and the two clients behind it.
//!
//! * [`NodePoolProvider`]: the object-safe seam (create, get, list, find by name or tag, update,
//!   delete, scale), answering with one cloud-neutral view, [`CloudPool`].
//! * [`huawei::HuaweiClient`] (CCE v3, `SDK-HMAC-SHA256` or a ready `X-Auth-Token`) and
//!   [`alibaba::AlibabaClient`] (ACK CS 2015-12-15, `ACS3-HMAC-SHA256`).
//! * [`http`]: the shared HTTP layer (timeouts, retries of idempotent calls only, jittered
//!   backoff honouring Retry-After), [`ratelimit`]: per-account token buckets shared through a
//!   registry, [`auth`]: `secrecy`-wrapped credentials with redacted `Debug`.
//!
//! Nothing in here logs a secret: credentials are only held as [`secrecy::SecretString`], signed
//! headers are never logged, and no error's `Display` contains a header value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod alibaba;
pub mod auth;
pub mod endpoint;
pub mod error;
pub mod http;
pub mod huawei;
pub mod identity;
pub mod phase;
pub mod ratelimit;
pub mod sign;
mod tags;

pub use error::{ApiError, Cloud, ErrorKind};

/// The `User-Agent` of every cloud request: the product and its version.
pub const USER_AGENT: &str = concat!("nodepool-controller/", env!("CARGO_PKG_VERSION"));

// ---------------------------------------------------------------------------------------------
// The cloud-neutral view
// ---------------------------------------------------------------------------------------------

/// One node pool as a cloud reports it, in a cloud-neutral shape.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudPool {
    /// The cloud's ID of the pool (CCE `metadata.uid`, ACK `nodepool_info.nodepool_id`).
    pub id: String,
    /// The pool's name at the cloud (empty if the cloud did not say).
    pub name: String,
    /// The raw phase or state: CCE `status.phase` (empty = settled), ACK `status.state`
    /// (`active` = settled). Empty when the cloud did not report one.
    pub cloud_phase: String,
    /// Node counts as the cloud gives them.
    pub nodes: NodeCounts,
    /// The pool's conditions as the cloud gives them (CCE: always in show/list; ACK: detail only).
    pub conditions: Vec<PoolCondition>,
    /// The owner mark the pool carries (CCE user tags, ACK scaling group tags), if any.
    pub owner: Option<OwnerMark>,
    /// The fields the controller manages, as the cloud reports them (for drift detection).
    pub managed: Managed,
    /// The cloud's own spec: CCE's `spec` object; for ACK the whole node pool object except
    /// `status`, in ACK's snake_case (use [`crate::crd::alibaba::from_wire`] for the CRD's shape).
    pub spec: Value,
    /// The cloud's own `status` object, unchanged (`null` if absent).
    pub status: Value,
}

/// Which NodePool a pool belongs to, as the tags the controller puts on every pool it creates or
/// adopts say: the NodePool's UID (what ownership is decided by) and, for people reading the
/// cloud console, its namespace and name (possibly shortened to the cloud's tag value limit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OwnerMark {
    /// The NodePool's `metadata.uid`.
    pub uid: String,
    /// `namespace/name` of the NodePool (CCE: `namespace_name`, shortened), when tagged.
    pub name: Option<String>,
}

/// The owner a NodePool writes into its pool's tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner<'a> {
    /// The NodePool's `metadata.uid`.
    pub uid: &'a str,
    /// The NodePool's namespace.
    pub namespace: &'a str,
    /// The NodePool's name.
    pub name: &'a str,
}

/// A Kubernetes taint as the clouds carry it on a pool's nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Taint {
    /// The taint key.
    pub key: String,
    /// The taint value (empty when none).
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// The fields of a pool the controller keeps in line with the spec, in one shape for both
/// clouds: compared after every steady read to find changes made behind the controller's back.
/// Built by the same per-cloud function from the request body the spec produces and from the
/// pool the cloud reports, so both sides are read the same way.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Managed {
    /// Kubernetes labels of the pool's nodes (CCE `k8sTags` without CCE's own
    /// `cce.cloud.com/` keys; ACK `kubernetes_config.labels`).
    pub labels: BTreeMap<String, String>,
    /// Taints of the pool's nodes.
    pub taints: BTreeSet<Taint>,
    /// Cloud resource tags (CCE `userTags`, ACK `scaling_group.tags`) without the owner mark.
    pub tags: BTreeMap<String, String>,
    /// The target node count (`None`: not set, or owned by an autoscaler).
    pub node_count: Option<i64>,
}

/// One managed field, as Events, conditions and the drift metric name it (bounded).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ManagedField {
    /// The node labels.
    Labels,
    /// The node taints.
    Taints,
    /// The resource tags.
    Tags,
    /// The target node count.
    NodeCount,
    /// The owner mark.
    OwnerMark,
}

impl ManagedField {
    /// The field's name (also the `field` label of the drift metric).
    pub fn label(self) -> &'static str {
        match self {
            ManagedField::Labels => "labels",
            ManagedField::Taints => "taints",
            ManagedField::Tags => "tags",
            ManagedField::NodeCount => "nodeCount",
            ManagedField::OwnerMark => "ownerMark",
        }
    }
}

impl Managed {
    /// The fields where `observed` differs from `self` (the spec's view). The node count is
    /// compared only when the spec sets one (an autoscaler owns it otherwise).
    pub fn differences(&self, observed: &Managed) -> Vec<ManagedField> {
        let mut out = Vec::new();
        if self.labels != observed.labels {
            out.push(ManagedField::Labels);
        }
        if self.taints != observed.taints {
            out.push(ManagedField::Taints);
        }
        if self.tags != observed.tags {
            out.push(ManagedField::Tags);
        }
        if self.node_count.is_some() && self.node_count != observed.node_count {
            out.push(ManagedField::NodeCount);
        }
        out
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(crate) fn shorten(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Node counts of a pool, as the cloud reports them (`None` = the cloud did not say).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCounts {
    /// Nodes in the pool now (CCE `currentNode`, excluding deleting ones; ACK `total_nodes`).
    pub current: Option<i64>,
    /// The target count (CCE `spec.initialNodeCount`; ACK `scaling_group.desired_size`).
    pub desired: Option<i64>,
    /// Nodes being created (CCE `creatingNode`; ACK `initial_nodes`).
    pub creating: Option<i64>,
    /// Nodes being removed (CCE `deletingNode`; ACK `removing_nodes`).
    pub deleting: Option<i64>,
    /// Healthy nodes (CCE `activeNode`; ACK `healthy_nodes`).
    pub healthy: Option<i64>,
    /// Failed nodes (ACK `failed_nodes`; CCE reports no such count, so always `None` there).
    pub failed: Option<i64>,
}

/// A condition of a pool as the cloud reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolCondition {
    /// The condition type (`Scalable`, `QuotaInsufficient`, ...).
    pub condition_type: String,
    /// `True` / `False` (as the cloud spells it).
    pub status: String,
    /// The cloud's reason, if any.
    pub reason: Option<String>,
    /// The cloud's message, if any.
    pub message: Option<String>,
}

/// What a create call answered.
#[derive(Clone, Debug, PartialEq)]
pub struct CreatedPool {
    /// The new pool's ID.
    pub id: String,
    /// The pool as the create answer describes it (CCE answers with the pool; ACK does not).
    pub pool: Option<CloudPool>,
    /// The cloud's asynchronous operation, if it gave one (ACK `task_id`, CCE `jobId`).
    pub task_id: Option<String>,
    /// The cloud's request ID, if it gave one.
    pub request_id: Option<String>,
}

/// What an accepted update, delete or scale call answered.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Accepted {
    /// The pool as the answer describes it (CCE update and delete answer with the pool).
    pub pool: Option<CloudPool>,
    /// The cloud's asynchronous operation, if it gave one (ACK `task_id`, CCE `jobId`).
    pub task_id: Option<String>,
    /// The cloud's request ID, if it gave one.
    pub request_id: Option<String>,
}

/// An update: the cloud's own update body plus an explicit node count.
///
/// The body is CCE's `NodePoolUpdate` (`metadata`, `spec` with `nodeTemplate`,
/// `nodeManagementUpdate`, ... — CCE's update field names) or ACK's ModifyClusterNodePool body
/// (snake_case). Node counts only change through `node_count`, so an update can never scale a
/// pool by accident:
///
/// * CCE, `node_count: None`: `spec.ignoreInitialNodeCount` is forced to `true` (whatever the
///   body says); `Some(n)`: `spec.initialNodeCount = n` and `spec.ignoreInitialNodeCount = false`.
/// * ACK, `node_count: None`: `scaling_group.desired_size` and the deprecated top-level `count`
///   are removed from the body; `Some(n)`: `scaling_group.desired_size = n`.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolUpdate {
    /// The cloud's update body (a JSON object).
    pub body: Value,
    /// The new target node count, or `None` to leave the count alone.
    pub node_count: Option<u32>,
}

/// One cloud's section of a NodePool spec (`spec.huawei`, `spec.alibaba`), as the controller uses
/// it: where the pool lives and the request bodies that make the cloud's pool match the spec.
/// Each cloud implements it in its folder (`body.rs`); `crate::crd::CloudSpec::section` picks
/// the NodePool's cloud, so nothing else needs to match on the cloud.
pub trait CloudSection {
    /// The cloud.
    fn cloud(&self) -> Cloud;
    /// The region the pool lives in.
    fn region(&self) -> &str;
    /// The CCE project (empty for ACK).
    fn project(&self) -> &str;
    /// The cloud cluster the pool belongs to.
    fn cluster_id(&self) -> &str;
    /// The pool's name at the cloud (`default_name`: the NodePool's name).
    fn pool_name<'a>(&'a self, default_name: &'a str) -> &'a str;
    /// The create body of the pool, with the owner mark.
    fn create(&self, owner: Owner<'_>) -> Value;
    /// The update of the pool: everything the cloud can change in place, the owner mark, and
    /// empty lists and maps for node labels, taints and tags the spec no longer has (so that
    /// removing them from the spec removes them at the cloud).
    fn update(&self, owner: Owner<'_>) -> PoolUpdate;
    /// The managed fields as the spec wants them (the node count only where no autoscaler owns
    /// it).
    fn desired(&self, owner: Owner<'_>) -> Managed;
}

/// The seam between the controller and a cloud. Object-safe: the controller holds an
/// `Arc<dyn NodePoolProvider>` per account and region.
///
/// Every method makes at most one logical cloud call; idempotent ones (reads, update, delete) may
/// be retried inside the client on throttling and transient failures, create never is (the
/// controller recovers an unanswered create by [`find_by_name`](Self::find_by_name)).
#[async_trait]
pub trait NodePoolProvider: Send + Sync {
    /// Which cloud this provider talks to.
    fn cloud(&self) -> Cloud;

    /// Creates a pool from the cloud's own create body (CCE `NodePool`, ACK
    /// CreateClusterNodePool snake_case body). Never retried.
    async fn create(&self, cluster_id: &str, body: &Value) -> Result<CreatedPool, CloudError>;

    /// Reads one pool. A missing pool is an error whose [`CloudError::kind`] is
    /// [`ErrorKind::NotFound`].
    async fn get(&self, cluster_id: &str, pool_id: &str) -> Result<CloudPool, CloudError>;

    /// Lists every pool of a cluster (one call; the controller batches reads per cluster).
    /// CCE's default pool is not included.
    async fn list(&self, cluster_id: &str) -> Result<Vec<CloudPool>, CloudError>;

    /// Finds the pool with exactly this name; `Ok(None)` when there is none, an
    /// [`CloudError::Ambiguous`] error when several match.
    async fn find_by_name(
        &self,
        cluster_id: &str,
        name: &str,
    ) -> Result<Option<CloudPool>, CloudError>;

    /// Finds the pool carrying a tag `key=value`; `Ok(None)` when there is none. Where the tag
    /// is looked for is cloud-specific (see each client); an [`CloudError::Ambiguous`] error
    /// when several match.
    async fn find_by_tag(
        &self,
        cluster_id: &str,
        key: &str,
        value: &str,
    ) -> Result<Option<CloudPool>, CloudError>;

    /// Updates a pool (see [`PoolUpdate`] for how node counts are protected).
    async fn update(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &PoolUpdate,
    ) -> Result<Accepted, CloudError>;

    /// Deletes a pool. A pool that is already gone answers an error whose kind is
    /// [`ErrorKind::NotFound`], which the caller may count as deleted.
    async fn delete(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError>;

    /// Deletes a pool even if it still has nodes (ACK `force=true`). Clouds without such an
    /// option delete as [`delete`](Self::delete) does.
    async fn delete_forced(&self, cluster_id: &str, pool_id: &str) -> Result<Accepted, CloudError> {
        self.delete(cluster_id, pool_id).await
    }

    /// Sets the pool's target node count (CCE: `operation/scale`, a POST, never retried; ACK:
    /// ModifyClusterNodePool with only `scaling_group.desired_size`, a PUT).
    async fn scale(
        &self,
        cluster_id: &str,
        pool_id: &str,
        desired: u32,
    ) -> Result<Accepted, CloudError>;
}

/// Deserializes a field so that `null` and absence differ: absent → `None` (with
/// `#[serde(default)]`), `null` → `Some(None)`, a value → `Some(Some(v))`. A list answer that
/// lacks its list must not read as "no pools".
pub(crate) fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Some(Option::deserialize(d)?))
}

/// Picks the only element of `matches`, `None` for none, [`CloudError::Ambiguous`] for several.
pub(crate) fn single_match(
    cloud: Cloud,
    operation: Operation,
    what: String,
    mut matches: Vec<CloudPool>,
) -> Result<Option<CloudPool>, CloudError> {
    match matches.len() {
        0 => Ok(None),
        1 => Ok(matches.pop()),
        count => Err(CloudError::Ambiguous {
            cloud,
            operation,
            what,
            count,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The operation a cloud call was for (bounded; used in errors, logs and metric labels).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Building a client from its configuration.
    Configure,
    /// Create a pool.
    Create,
    /// Read one pool.
    Get,
    /// List the pools of a cluster.
    List,
    /// Update a pool.
    Update,
    /// Delete a pool.
    Delete,
    /// Set a pool's node count.
    Scale,
    /// Obtain temporary credentials from an identity service (STS, IAM, a metadata service).
    Credentials,
}

impl Operation {
    /// A bounded lowercase label.
    pub fn label(self) -> &'static str {
        match self {
            Operation::Configure => "configure",
            Operation::Create => "create",
            Operation::Get => "get",
            Operation::List => "list",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Scale => "scale",
            Operation::Credentials => "credentials",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Configure => "configuring the client",
            Operation::Create => "creating a node pool",
            Operation::Get => "reading a node pool",
            Operation::List => "listing node pools",
            Operation::Update => "updating a node pool",
            Operation::Delete => "deleting a node pool",
            Operation::Scale => "scaling a node pool",
            Operation::Credentials => "obtaining credentials",
        })
    }
}

/// Which transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportFailure {
    /// No connection could be made (refused, DNS, TLS handshake).
    Connect,
    /// The connect or total timeout ran out.
    Timeout,
    /// The connection broke while sending or receiving (e.g. a body cut short).
    Io,
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportFailure::Connect => "could not connect",
            TransportFailure::Timeout => "timed out",
            TransportFailure::Io => "the connection failed",
        })
    }
}

/// A failed cloud call. `Display` names the cloud and the operation and never contains a
/// credential or a header value.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// The cloud answered with an error (HTTP 4xx/5xx), parsed and classified.
    #[error("{operation}: {source}")]
    Api {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// The parsed answer.
        #[source]
        source: ApiError,
    },
    /// No answer: connect failure, timeout, broken connection.
    #[error("{operation} at {cloud}: {failure}: {detail}")]
    Transport {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// What failed.
        failure: TransportFailure,
        /// The transport's description (no URL, no headers).
        detail: String,
    },
    /// A success answer whose body could not be read as what the operation returns.
    #[error("{operation} at {cloud}: the HTTP {status} answer could not be read: {detail}")]
    Decode {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong (never the body itself).
        detail: String,
    },
    /// The request could not be signed (e.g. an empty access key).
    #[error("{operation} at {cloud}: the request could not be signed: {source}")]
    Sign {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// Why.
        #[source]
        source: sign::SignError,
    },
    /// The input could not be turned into a request (a bad endpoint or region, a body that is
    /// not a JSON object, a credential that is not a valid header value).
    #[error("{operation} at {cloud}: {detail}")]
    InvalidInput {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// What is wrong (never a secret).
        detail: String,
    },
    /// No credentials: the identity service refused them or could not be reached (the call
    /// itself was never sent).
    #[error("{operation} at {cloud}: no credentials: {source}")]
    Credentials {
        /// The cloud.
        cloud: Cloud,
        /// The operation that needed them.
        operation: Operation,
        /// The identity service's answer (shared: one failure is returned to every waiting call).
        #[source]
        source: std::sync::Arc<CloudError>,
    },
    /// A lookup matched more than one pool.
    #[error("{operation} at {cloud}: {count} node pools match {what}; refusing to pick one")]
    Ambiguous {
        /// The cloud.
        cloud: Cloud,
        /// The operation.
        operation: Operation,
        /// What was looked for (a name or a tag).
        what: String,
        /// How many pools matched.
        count: usize,
    },
}

impl CloudError {
    /// The cloud the call was for.
    pub fn cloud(&self) -> Cloud {
        match self {
            CloudError::Api { cloud, .. }
            | CloudError::Transport { cloud, .. }
            | CloudError::Decode { cloud, .. }
            | CloudError::Sign { cloud, .. }
            | CloudError::InvalidInput { cloud, .. }
            | CloudError::Credentials { cloud, .. }
            | CloudError::Ambiguous { cloud, .. } => *cloud,
        }
    }

    /// The operation the call was for.
    pub fn operation(&self) -> Operation {
        match self {
            CloudError::Api { operation, .. }
            | CloudError::Transport { operation, .. }
            | CloudError::Decode { operation, .. }
            | CloudError::Sign { operation, .. }
            | CloudError::InvalidInput { operation, .. }
            | CloudError::Credentials { operation, .. }
            | CloudError::Ambiguous { operation, .. } => *operation,
        }
    }

    /// What the failure means for the caller.
    ///
    /// Transport failures and undecodable success bodies are [`ErrorKind::Transient`] (a create
    /// whose answer was lost may still have happened: recover by lookup); signing failures are
    /// [`ErrorKind::Auth`] (the credentials are unusable); bad input is [`ErrorKind::Invalid`];
    /// an ambiguous lookup is [`ErrorKind::Conflict`].
    pub fn kind(&self) -> ErrorKind {
        match self {
            CloudError::Api { source, .. } => source.kind,
            CloudError::Transport { .. } | CloudError::Decode { .. } => ErrorKind::Transient,
            CloudError::Sign { .. } => ErrorKind::Auth,
            CloudError::InvalidInput { .. } => ErrorKind::Invalid,
            CloudError::Credentials { source, .. } => identity::credentials_kind(source),
            CloudError::Ambiguous { .. } => ErrorKind::Conflict,
        }
    }

    /// A bounded PascalCase reason for conditions, Events and metric labels.
    pub fn reason(&self) -> &'static str {
        match self {
            CloudError::Api { source, .. } => source.kind.reason(),
            CloudError::Transport {
                failure: TransportFailure::Timeout,
                ..
            } => "CloudTimeout",
            CloudError::Transport { .. } => "CloudUnreachable",
            CloudError::Decode { .. } => "CloudBadResponse",
            CloudError::Sign { .. } => "CloudSigningFailed",
            CloudError::InvalidInput { .. } => "CloudInvalidInput",
            CloudError::Credentials { source, .. } => match identity::credentials_kind(source) {
                ErrorKind::Auth => "CredentialsRefused",
                _ => "CredentialsUnavailable",
            },
            CloudError::Ambiguous { .. } => "CloudAmbiguousPool",
        }
    }

    /// Whether this is the cloud saying the pool (or cluster) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.kind() == ErrorKind::NotFound
    }

    /// Whether the cloud said the *cluster* does not exist (or cannot be seen with these
    /// credentials): ACK's `ErrorClusterNotFound`, or a NotFound answer to a list of the
    /// cluster's pools (CCE has one not-found code for every resource; a list can only miss its
    /// cluster).
    pub fn is_cluster_not_found(&self) -> bool {
        match self {
            CloudError::Api {
                source, operation, ..
            } => {
                source.code.as_deref() == Some("ErrorClusterNotFound")
                    || (source.kind == ErrorKind::NotFound && *operation == Operation::List)
            }
            _ => false,
        }
    }

    /// Whether the cloud certainly made nothing: the request was refused with a client error
    /// (other than a timeout), or never sent. A create that failed otherwise (no answer, a
    /// server error, an unreadable success) may still have made a pool.
    pub fn nothing_made(&self) -> bool {
        match self {
            CloudError::Api { source, .. } => source.status < 500 && source.status != 408,
            CloudError::Sign { .. }
            | CloudError::InvalidInput { .. }
            | CloudError::Credentials { .. } => true,
            CloudError::Transport { .. }
            | CloudError::Decode { .. }
            | CloudError::Ambiguous { .. } => false,
        }
    }

    /// The delay the cloud asked for (Retry-After / x-acs-retry-after), if any.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            CloudError::Api { source, .. } => source.retry_after,
            _ => None,
        }
    }

    /// The cloud's request ID, when the cloud answered with an error.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            CloudError::Api { source, .. } => source.request_id.as_deref(),
            _ => None,
        }
    }

    /// The parsed error answer, when the cloud answered with an error.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            CloudError::Api { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn provider_is_object_safe() {
        fn takes(_: Option<Arc<dyn NodePoolProvider>>) {}
        takes(None);
    }

    #[test]
    fn user_agent_names_product_and_version() {
        assert_eq!(
            USER_AGENT,
            format!("nodepool-controller/{}", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn error_kinds_and_reasons() {
        let api = |status, kind| CloudError::Api {
            cloud: Cloud::Huawei,
            operation: Operation::Get,
            source: ApiError {
                cloud: Cloud::Huawei,
                status,
                code: Some("CCE.01404001".into()),
                message: "not found".into(),
                request_id: Some("rid".into()),
                retry_after: None,
                kind,
            },
        };
        let e = api(404, ErrorKind::NotFound);
        assert!(e.is_not_found());
        assert_eq!(e.reason(), "CloudNotFound");
        assert_eq!(e.request_id(), Some("rid"));
        assert_eq!(
            e.to_string(),
            "reading a node pool: Huawei Cloud CCE answered HTTP 404 CCE.01404001: not found (request ID rid)"
        );
        let t = CloudError::Transport {
            cloud: Cloud::Alibaba,
            operation: Operation::List,
            failure: TransportFailure::Timeout,
            detail: "operation timed out".into(),
        };
        assert_eq!(t.kind(), ErrorKind::Transient);
        assert_eq!(t.reason(), "CloudTimeout");
        assert_eq!(
            t.to_string(),
            "listing node pools at Alibaba Cloud ACK: timed out: operation timed out"
        );
        let s = CloudError::Sign {
            cloud: Cloud::Alibaba,
            operation: Operation::Create,
            source: sign::SignError::EmptySecretKey,
        };
        assert_eq!(
            (s.kind(), s.reason()),
            (ErrorKind::Auth, "CloudSigningFailed")
        );
        let d = CloudError::Decode {
            cloud: Cloud::Huawei,
            operation: Operation::Create,
            status: 201,
            detail: "x".into(),
        };
        assert_eq!(
            (d.kind(), d.reason()),
            (ErrorKind::Transient, "CloudBadResponse")
        );
        let a = CloudError::Ambiguous {
            cloud: Cloud::Huawei,
            operation: Operation::List,
            what: "name \"p\"".into(),
            count: 2,
        };
        assert_eq!(
            (a.kind(), a.reason()),
            (ErrorKind::Conflict, "CloudAmbiguousPool")
        );
    }
}
