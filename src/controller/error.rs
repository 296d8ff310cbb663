//! Why a reconcile failed, and what the controller does next (the error policy).

use std::sync::Arc;
use std::time::Duration;

use kube::runtime::controller::Action;

use super::accounts::AccountError;
use super::cache::{CachedNodePool, key};
use super::conditions::Failure;
use super::context::{Context, jitter};
use super::plan::Stall;
use crate::cloud::{Cloud, CloudError};
use crate::credentials::CredentialsError;

/// Why a reconcile failed; each variant maps to a fixed PascalCase reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cloud refused or failed a call.
    #[error("{0}")]
    Cloud(#[from] CloudError),
    /// The credentials Secret is missing or incomplete.
    #[error("{0}")]
    Credentials(#[from] CredentialsError),
    /// The CloudAccount is missing, does not allow the namespace, or cannot be used.
    #[error("{0}")]
    Account(#[from] AccountError),
    /// The decision needs the user (a pool that is not provably this NodePool's, ...).
    #[error("{}", .0.message())]
    Stalled(Stall),
    /// The cloud cluster does not exist, or the credentials cannot see it.
    #[error(
        "{cloud} cluster {cluster} was not found (it does not exist, or these credentials cannot see it): {source}; check the spec's cluster and region and the account"
    )]
    ClusterNotFound {
        /// The cloud.
        cloud: Cloud,
        /// The cluster.
        cluster: String,
        /// The cloud's answer.
        #[source]
        source: Box<CloudError>,
    },
    /// The cloud has not finished a delete within the delete timeout.
    #[error(
        "the cloud has been deleting pool {id} for more than {minutes} minutes: look at the pool's nodes in the cloud console (nodes that cannot be drained or released hold it; for ACK, spec.alibaba.forceDelete: true deletes a pool that still has nodes)"
    )]
    DeleteTimeout {
        /// The pool.
        id: String,
        /// The timeout, in minutes.
        minutes: u64,
    },
    /// This replica no longer holds the Lease: it stops before changing anything.
    #[error("this replica no longer holds the leader Lease")]
    LeaseLost,
    /// The NodePool has no cloud section (refused by the schema; only possible with a stale CRD).
    #[error("the NodePool sets neither spec.huawei nor spec.alibaba")]
    NoCloud,
    /// The NodePool names no credentials (refused by the schema; only with a stale CRD).
    #[error("the NodePool names no credentials: set spec.credentialsRef.name")]
    NoCredentials,
    /// A Kubernetes API call failed.
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// The NodePool as stored cannot be read by this build of the controller.
    #[error("the NodePool cannot be read by this controller version: {0}")]
    Decode(#[source] serde_json::Error),
    /// Deleting the cloud pool is blocked (e.g. by missing credentials).
    #[error(
        "{0}; to release the NodePool without deleting the cloud pool, set spec.deletionPolicy: Orphan"
    )]
    DeleteBlocked(Box<Error>),
}

impl Error {
    /// A bounded PascalCase reason for conditions, Events and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Cloud(e) => e.reason(),
            Error::Credentials(e) => e.reason(),
            Error::Account(e) => e.reason(),
            Error::Stalled(s) => s.reason(),
            Error::ClusterNotFound { .. } => "ClusterNotFound",
            Error::DeleteTimeout { .. } => "DeleteTimeout",
            Error::LeaseLost => "LeaseLost",
            Error::NoCloud => "NoCloud",
            Error::NoCredentials => "NoCredentials",
            Error::Kube(_) => "KubernetesApiError",
            Error::Decode(_) => "UnreadableSpec",
            Error::DeleteBlocked(inner) => inner.reason(),
        }
    }

    /// Whether retrying later can succeed without a change by the user.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Cloud(e) => e.kind().is_retryable(),
            Error::Credentials(_)
            | Error::Account(_)
            | Error::Stalled(_)
            | Error::ClusterNotFound { .. }
            | Error::DeleteTimeout { .. }
            | Error::NoCloud
            | Error::NoCredentials
            | Error::Decode(_) => false,
            Error::Kube(_) | Error::LeaseLost => true,
            Error::DeleteBlocked(inner) => inner.retryable(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Cloud(e) => e.retry_after(),
            _ => None,
        }
    }

    pub(super) fn failure(&self) -> Failure {
        Failure {
            reason: self.reason(),
            message: self.to_string(),
            retryable: self.retryable(),
        }
    }

    /// A cloud error, with "cluster not found" told apart from "pool not found".
    pub(super) fn from_cloud(e: CloudError, cluster: &str) -> Self {
        if e.is_cluster_not_found() {
            Error::ClusterNotFound {
                cloud: e.cloud(),
                cluster: cluster.to_string(),
                source: Box::new(e),
            }
        } else {
            Error::Cloud(e)
        }
    }
}

/// Per-object exponential backoff with jitter; terminal errors wait for a change (a spec or
/// Secret change triggers a reconcile) with a slow safety requeue.
pub fn error_policy(np: Arc<CachedNodePool>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = key(&np.metadata);
    if matches!(err, Error::LeaseLost) {
        return Action::requeue(super::leader::FOLLOWER_RECHECK);
    }
    let n = {
        let mut map = ctx.failures.lock().expect("failure map lock");
        let n = map.entry(key.clone()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    };
    if !err.retryable() {
        let delay = jitter(ctx.config.resync.max(Duration::from_secs(600)));
        ctx.own_writes.due_in(&key, Some(delay));
        return Action::requeue(delay);
    }
    let exp = ctx
        .config
        .backoff_base
        .saturating_mul(1u32 << (n - 1).min(16))
        .min(ctx.config.backoff_max);
    let delay = jitter(err.retry_after().map_or(exp, |r| r.max(exp)));
    ctx.own_writes.due_in(&key, Some(delay));
    Action::requeue(delay)
}
