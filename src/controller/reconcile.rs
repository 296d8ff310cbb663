//! The reconcile loop: finalizer → observe (one cloud read) → at most one mutating cloud call →
//! status by server-side apply → requeue after an interval chosen by phase.
//!
//! Crash-safe create: before the create call the controller writes `status.createRequestedAt`.
//! A NodePool without `status.id` whose status records that intent is looked up at the cloud
//! before anything is created — CCE by name within the cluster, ACK by the owner tag carrying
//! the NodePool's UID — and a pool found that way is adopted. Without the intent no create was
//! ever sent for it, so there is nothing to find. A CCE pool with the NodePool's name that the
//! controller did not ask for (CCE refuses the create with a conflict) is never taken over
//! silently: the NodePool stalls with `NameTaken` until the user adopts it (annotation) or
//! picks another name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, Store, reflector};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource, ResourceExt};
use serde_json::json;
use tracing::{Instrument, debug, info, warn};

use super::cache::{CachedNodePool, key, slim};
use super::conditions::{self, Failure, Outcome};
use super::credentials::{self, Credentials, CredentialsError};
use super::leader::{FOLLOWER_RECHECK, LeaderElection, LeaderGate};
use super::metered::Metered;
use super::phase::{self, Phase};
use super::reads::{ClusterKey, ClusterReads, Read};
use super::update;
use crate::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use crate::cloud::http::HttpConfig;
use crate::cloud::huawei::{HuaweiClient, HuaweiConfig};
use crate::cloud::ratelimit::{RateLimit, RateLimiters};
use crate::cloud::{Cloud, CloudError, CloudPool, ErrorKind, NodePoolProvider};
use crate::crd::{
    ANNOTATION_ADOPT_ID, ANNOTATION_PAUSED, DeletionPolicy, FIELD_MANAGER, FINALIZER, NodePool,
    NodePoolStatus, OWNER_TAG,
};
use crate::metrics::Metrics;
use crate::server::{self, Health};

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Watch only this namespace (all namespaces when `None`).
    pub namespace: Option<String>,
    /// Override of the CCE endpoint (`https://cce.{region}.myhuaweicloud.com` by default).
    pub huawei_endpoint: Option<String>,
    /// Override of the ACK endpoint (`https://cs.{region}.aliyuncs.com` by default).
    pub alibaba_endpoint: Option<String>,
    /// Re-read a steady pool this often (jittered by ±10%).
    pub resync: Duration,
    /// Re-read a pool in a transient phase this often.
    pub transient_poll: Duration,
    /// First delay after a retryable failure; doubles per consecutive failure.
    pub backoff_base: Duration,
    /// The longest delay after failures.
    pub backoff_max: Duration,
    /// Client-side budget of cloud requests per account and region.
    pub rate_limit: RateLimit,
    /// Timeouts and retries of cloud calls.
    pub http: HttpConfig,
    /// Concurrent reconciles.
    pub concurrency: u16,
    /// Name reported in Events (`reportingController`).
    pub reporter: String,
    /// This replica's identity (`reportingInstance`).
    pub instance: Option<String>,
    /// Leader election; `None` = this replica always acts.
    pub leader_election: Option<LeaderElection>,
    /// Address of `/healthz`, `/readyz` and `/metrics`; `None` = not served.
    pub http_addr: Option<std::net::SocketAddr>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespace: None,
            huawei_endpoint: None,
            alibaba_endpoint: None,
            resync: Duration::from_secs(300),
            transient_poll: Duration::from_secs(10),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            rate_limit: RateLimit::default(),
            http: HttpConfig::default(),
            concurrency: 16,
            reporter: "nodepool-controller".into(),
            instance: None,
            leader_election: None,
            http_addr: None,
        }
    }
}

/// Why a reconcile failed; each variant maps to a fixed PascalCase reason.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The cloud refused or failed a call.
    #[error("{0}")]
    Cloud(#[from] CloudError),
    /// The credentials Secret is missing or incomplete.
    #[error("{0}")]
    Credentials(#[from] CredentialsError),
    /// A CCE pool with this name exists that the controller did not create.
    #[error(
        "a CCE node pool named {name} already exists in cluster {cluster} (ID {id}) and was not created by this NodePool: adopt it with the annotation {ANNOTATION_ADOPT_ID}: {id}, or choose another spec.huawei.name"
    )]
    NameTaken {
        /// The pool name.
        name: String,
        /// The cluster.
        cluster: String,
        /// The existing pool's ID.
        id: String,
    },
    /// The NodePool has no cloud section (refused by the schema; only possible with a stale CRD).
    #[error("the NodePool sets neither spec.huawei nor spec.alibaba")]
    NoCloud,
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
            Error::NameTaken { .. } => "NameTaken",
            Error::NoCloud => "NoCloud",
            Error::Kube(_) => "KubernetesApiError",
            Error::Decode(_) => "UnreadableSpec",
            Error::DeleteBlocked(inner) => inner.reason(),
        }
    }

    /// Whether retrying later can succeed without a change by the user.
    pub fn retryable(&self) -> bool {
        match self {
            Error::Cloud(e) => e.kind().is_retryable(),
            Error::Credentials(_) | Error::NameTaken { .. } | Error::NoCloud | Error::Decode(_) => {
                false
            }
            Error::Kube(_) => true,
            Error::DeleteBlocked(inner) => inner.retryable(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Cloud(CloudError::Api { source, .. }) => source.retry_after,
            _ => None,
        }
    }

    fn failure(&self) -> Failure {
        Failure {
            reason: self.reason(),
            message: self.to_string(),
            retryable: self.retryable(),
        }
    }
}

/// Shared state of the reconcilers.
pub struct Context {
    client: Client,
    config: Config,
    recorder: Recorder,
    limiters: Arc<RateLimiters>,
    /// Per-object count of consecutive failures, for exponential backoff.
    failures: Mutex<HashMap<ObjectRef<NodePool>, u32>>,
    /// Prometheus metrics.
    metrics: Arc<Metrics>,
    /// Whether this replica may act.
    leader: LeaderGate,
    /// The phase each NodePool was last counted in (for the per-phase gauge).
    phases: Mutex<HashMap<ObjectRef<NodePool>, &'static str>>,
    /// The controller's own last status writes (see [`OwnWrites`]).
    own_writes: Arc<OwnWrites>,
    /// Batched reads: one list per cloud cluster (see [`ClusterReads`]).
    reads: Arc<ClusterReads>,
    /// When the controller last changed each NodePool's cloud pool (create, update, delete):
    /// reads from before that moment are not used for it.
    changed: Mutex<HashMap<ObjectRef<NodePool>, tokio::time::Instant>>,
    /// The credentials Secrets' metadata (never their data), from a watch.
    secrets: Store<PartialObjectMeta<Secret>>,
    /// Cloud clients by Secret (see [`Context::provider`]).
    providers: Providers,
}

/// Per NodePool: the `resourceVersion` the controller's own last status write produced, and
/// when the object is next due (the requeue or backoff the last reconcile chose).
///
/// Every status write comes back as a watch event, and kube's scheduler runs a triggered
/// reconcile at once, replacing the pending requeue. Without this, each reconcile that writes
/// the status is followed at once by another one with another cloud read: twice the reads, and
/// after a failure the backoff is skipped. A reconcile of an object that is still exactly as
/// the controller wrote it, before it is due, is therefore answered with the remaining wait.
/// A change of the credentials Secret marks the NodePool, so its next reconcile is a real one.
/// The controller's own last status write of one NodePool.
struct OwnWrite {
    /// The `resourceVersion` the write produced.
    resource_version: String,
    /// Whether the write went to the object as the reconcile saw it (same generation, deletion
    /// and annotations), so that its watch echo may be answered without a cloud read.
    echo: bool,
    /// When the object is next due (the requeue or backoff the last reconcile chose).
    due: Option<std::time::Instant>,
}

#[derive(Default)]
struct OwnWrites(
    Mutex<HashMap<ObjectRef<NodePool>, OwnWrite>>,
    Mutex<std::collections::HashSet<ObjectRef<NodePool>>>,
);

impl OwnWrites {
    fn wrote(&self, key: ObjectRef<NodePool>, resource_version: Option<String>, echo: bool) {
        let mut map = self.0.lock().expect("own writes lock");
        match resource_version {
            Some(resource_version) => {
                map.insert(
                    key,
                    OwnWrite {
                        resource_version,
                        echo,
                        due: None,
                    },
                );
            }
            None => {
                map.remove(&key);
            }
        }
    }

    fn due_in(&self, key: &ObjectRef<NodePool>, delay: Option<Duration>) {
        if let Some(entry) = self.0.lock().expect("own writes lock").get_mut(key) {
            entry.due = delay.map(|d| std::time::Instant::now() + d);
        }
    }

    fn forget(&self, key: &ObjectRef<NodePool>) {
        self.0.lock().expect("own writes lock").remove(key);
    }

    /// Makes the next reconcile of `key` a real one (something it depends on changed).
    fn force(&self, key: ObjectRef<NodePool>) {
        self.1.lock().expect("own writes lock").insert(key);
    }

    /// Whether `np` is known to be at least as new as the controller's last status write, so
    /// that a status equal to its own needs no write. Without a recorded write the object as
    /// listed or read is the newest the controller knows.
    fn is_current(&self, np: &NodePool) -> bool {
        let map = self.0.lock().expect("own writes lock");
        match map.get(&key(&np.metadata)) {
            Some(w) => np.metadata.resource_version.as_ref() == Some(&w.resource_version),
            None => true,
        }
    }

    /// The remaining wait when `np` is unchanged since the controller's own write and not due.
    fn not_due(&self, np: &NodePool) -> Option<Duration> {
        let key = key(&np.metadata);
        if self.1.lock().expect("own writes lock").remove(&key) {
            return None;
        }
        let map = self.0.lock().expect("own writes lock");
        let w = map.get(&key).filter(|w| w.echo)?;
        if np.metadata.resource_version.as_ref() != Some(&w.resource_version) {
            return None;
        }
        let left = w
            .due
            .as_ref()?
            .checked_duration_since(std::time::Instant::now())?;
        (left > Duration::from_millis(50)).then_some(left)
    }
}

/// What a cached cloud client is for: one Secret, cloud, region and (CCE) project.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct ProviderKey {
    secret: ObjectRef<PartialObjectMeta<Secret>>,
    cloud: Cloud,
    region: String,
    project: String,
}

/// Cached cloud clients with the `resourceVersion` of the Secret they were built from.
type Providers = Mutex<HashMap<ProviderKey, (String, Arc<dyn NodePoolProvider>)>>;

/// Where a NodePool's pool lives and how it is named at the cloud.
struct Target {
    cloud: Cloud,
    region: String,
    /// The CCE project (empty for ACK).
    project: String,
    cluster: String,
    name: String,
}

fn target(np: &NodePool) -> Result<Target, Error> {
    let default_name = np.name_any();
    if let Some(h) = &np.spec.huawei {
        Ok(Target {
            cloud: Cloud::Huawei,
            region: h.region.clone(),
            project: h.project_id.clone(),
            cluster: h.cluster_id.clone(),
            name: h.pool_name(&default_name).to_string(),
        })
    } else if let Some(a) = &np.spec.alibaba {
        Ok(Target {
            cloud: Cloud::Alibaba,
            region: a.region_id.clone(),
            project: String::new(),
            cluster: a.cluster_id.clone(),
            name: a.pool_name(&default_name).to_string(),
        })
    } else {
        Err(Error::NoCloud)
    }
}

impl Context {
    /// The cloud client for the NodePool, with the credentials of its Secret.
    ///
    /// Clients are kept per Secret, cloud, region and project, and rebuilt when the Secret's
    /// `resourceVersion` (known from the Secrets' metadata watch, without reading the Secret)
    /// changes: reading the Secret and building a client with a fresh connection pool for every
    /// reconcile would cost an API server request and new TLS connections each time.
    async fn provider(&self, np: &NodePool) -> Result<Arc<dyn NodePoolProvider>, Error> {
        let ns = np.namespace().unwrap_or_default();
        let secret_name = &np.spec.credentials_ref.name;
        let Target {
            cloud,
            region,
            project,
            ..
        } = target(np)?;
        let key = ProviderKey {
            secret: ObjectRef::new(secret_name).within(&ns),
            cloud,
            region,
            project,
        };
        let watched = self
            .secrets
            .get(&key.secret)
            .and_then(|m| m.metadata.resource_version.clone());
        if let Some(rv) = &watched {
            let cache = self.providers.lock().expect("provider cache lock");
            if let Some((cached_rv, provider)) = cache.get(&key)
                && cached_rv == rv
            {
                return Ok(provider.clone());
            }
        }
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &ns);
        let secret =
            secrets
                .get_opt(secret_name)
                .await?
                .ok_or_else(|| CredentialsError::SecretMissing {
                    namespace: ns.clone(),
                    name: secret_name.clone(),
                })?;
        let provider = self.build_provider(np, cloud, &secret)?;
        let mut cache = self.providers.lock().expect("provider cache lock");
        match secret.metadata.resource_version.clone() {
            Some(rv) => {
                cache.insert(key, (rv, provider.clone()));
            }
            None => {
                cache.remove(&key);
            }
        }
        Ok(provider)
    }

    fn build_provider(
        &self,
        np: &NodePool,
        cloud: Cloud,
        secret: &Secret,
    ) -> Result<Arc<dyn NodePoolProvider>, Error> {
        let provider: Arc<dyn NodePoolProvider> = match credentials::from_secret(cloud, secret)? {
            Credentials::Huawei(auth) => {
                let h = np.spec.huawei.as_ref().ok_or(Error::NoCloud)?;
                let mut cfg = HuaweiConfig::new(&h.region, &h.project_id);
                cfg.endpoint = self.config.huawei_endpoint.clone();
                cfg.http = self.config.http.clone();
                Arc::new(HuaweiClient::new(cfg, auth, &self.limiters)?)
            }
            Credentials::Alibaba(key) => {
                let a = np.spec.alibaba.as_ref().ok_or(Error::NoCloud)?;
                let mut cfg = AlibabaConfig::new(&a.region_id);
                cfg.endpoint = self.config.alibaba_endpoint.clone();
                cfg.http = self.config.http.clone();
                Arc::new(AlibabaClient::new(cfg, key, &self.limiters)?)
            }
        };
        Ok(Arc::new(Metered::new(provider, self.metrics.clone())))
    }

    /// Writes the status and counts the NodePool in its phase. A status equal to the one the
    /// object already carries is not written again (when the object is at least as new as the
    /// controller's own last write): most reconciles of a steady or provisioning pool change
    /// nothing, and each write costs an API server request and a watch event.
    async fn write_status(&self, np: &NodePool, status: &NodePoolStatus) -> Result<(), Error> {
        let unchanged = np.status.as_ref().is_some_and(|current| {
            // Conditions other writers added are theirs and not part of the comparison.
            let mut own = current.clone();
            own.conditions
                .retain(|c| conditions::OWN.contains(&c.type_.as_str()));
            own == *status
        });
        if !unchanged || !self.own_writes.is_current(np) {
            let mut written = write_status(&self.client, np, status).await?;
            slim(&mut written);
            // Only a write to the object as this reconcile saw it may suppress the echo: if the
            // spec, the deletion or the annotations changed meanwhile, the next reconcile is real.
            let same = written.metadata.generation == np.metadata.generation
                && written.metadata.deletion_timestamp.is_some()
                    == np.metadata.deletion_timestamp.is_some()
                && written.metadata.annotations == np.metadata.annotations;
            self.own_writes
                .wrote(key(&np.metadata), written.metadata.resource_version, same);
        }
        let phase = status
            .phase
            .as_deref()
            .and_then(|p| Phase::ALL.into_iter().find(|x| x.as_str() == p))
            .map(Phase::as_str);
        self.count_phase(np, phase);
        Ok(())
    }

    /// Releases the NodePool (removes the finalizer) and stops counting it.
    async fn release(&self, np: &NodePool) -> Result<(), Error> {
        set_finalizer(&self.client, np, false).await?;
        self.own_writes.forget(&key(&np.metadata));
        self.changed
            .lock()
            .expect("changed map lock")
            .remove(&key(&np.metadata));
        self.count_phase(np, None);
        Ok(())
    }

    /// Records that the controller is about to change the NodePool's cloud pool.
    fn mark_changed(&self, np: &NodePool) {
        self.changed
            .lock()
            .expect("changed map lock")
            .insert(key(&np.metadata), tokio::time::Instant::now());
    }

    /// Reads the NodePool's pool `id` through its cluster's batched list (falling back to a GET
    /// when the list does not show it, or when only the detail view tells the truth).
    async fn observe_pool(
        &self,
        np: &NodePool,
        target: &Target,
        provider: &dyn NodePoolProvider,
        id: &str,
    ) -> Result<CloudPool, CloudError> {
        let key = ClusterKey {
            cloud: target.cloud,
            credentials: format!(
                "{}/{}",
                np.namespace().unwrap_or_default(),
                np.spec.credentials_ref.name
            ),
            region: target.region.clone(),
            project: target.project.clone(),
            cluster: target.cluster.clone(),
        };
        let steady = np
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .and_then(|p| Phase::ALL.into_iter().find(|x| x.as_str() == p))
            .is_some_and(|p| !p.is_transient());
        // A snapshot at most half an interval old: a pool polled every `poll` seconds is then
        // seen at most 1.5 polls after the cloud changed it, at one list per cluster per half
        // poll however many pools the cluster has.
        let max_age = if steady {
            self.config.resync / 2
        } else {
            self.config.transient_poll / 2
        };
        let not_before = self
            .changed
            .lock()
            .expect("changed map lock")
            .get(&super::cache::key(&np.metadata))
            .copied();
        match self
            .reads
            .read(&key, provider, id, not_before, max_age)
            .await?
        {
            // ACK lists carry no conditions: a settled pool with failed nodes is read in detail
            // to tell a sold-out pool from a healthy one.
            Read::Found(pool)
                if target.cloud == Cloud::Alibaba
                    && pool.cloud_phase == "active"
                    && pool.nodes.failed.unwrap_or(0) > 0 =>
            {
                provider.get(&target.cluster, id).await
            }
            Read::Found(pool) => Ok(pool),
            Read::Absent => provider.get(&target.cluster, id).await,
        }
    }

    fn count_phase(&self, np: &NodePool, phase: Option<&'static str>) {
        let key = key(&np.metadata);
        let mut map = self.phases.lock().expect("phase map lock");
        let old = match phase {
            Some(p) => map.insert(key, p),
            None => map.remove(&key),
        };
        self.metrics.phase_changed(old, phase);
    }

    async fn event(
        &self,
        np: &NodePool,
        type_: EventType,
        reason: &str,
        action: &str,
        note: String,
    ) {
        let ev = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: action.to_string(),
            secondary: None,
        };
        if let Err(e) = self.recorder.publish(&ev, &np.object_ref(&())).await {
            warn!(error = %e, "could not publish an Event");
        }
    }

    fn requeue_for(&self, np: &NodePool, phase: Option<Phase>) -> Action {
        let base = match phase {
            Some(p) if p.is_transient() => self.config.transient_poll,
            _ => self.config.resync,
        };
        let delay = jitter(base);
        self.own_writes.due_in(&key(&np.metadata), Some(delay));
        Action::requeue(delay)
    }
}

/// `d` ± 10%.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.9 + fastrand::f64() * 0.2)
}

/// Writes the whole status by server-side apply with the controller's field manager; returns
/// the object as written.
async fn write_status(
    client: &Client,
    np: &NodePool,
    status: &NodePoolStatus,
) -> Result<NodePool, Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "status": status,
    });
    Ok(api
        .patch_status(
            &np.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?)
}

/// Adds or removes the controller's finalizer by server-side apply (finalizers are a set, so
/// other owners' finalizers are untouched).
async fn set_finalizer(client: &Client, np: &NodePool, present: bool) -> Result<(), Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    let finalizers: Vec<&str> = if present { vec![FINALIZER] } else { vec![] };
    let patch = json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": np.name_any(), "finalizers": finalizers},
    });
    match api
        .patch(
            &np.name_any(),
            &PatchParams::apply(FIELD_MANAGER),
            &Patch::Apply(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        // Already gone: nothing left to release.
        Err(kube::Error::Api(s)) if !present && s.code == 404 => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The NodePool as the API server has it now (`None` when it is gone).
///
/// The controller's cache can lag behind the controller's own last status write: a reconcile
/// right after a create may see the object without `status.id` and `status.createRequestedAt`,
/// look the pool up by name, take it for a foreign pool (`NameTaken`) and overwrite the status,
/// losing the ID. Before anything is looked up, created or released for a NodePool without an
/// ID, it is therefore read afresh.
async fn read_latest(client: &Client, np: &NodePool) -> Result<Option<NodePool>, Error> {
    let api: Api<NodePool> = Api::namespaced(client.clone(), &np.namespace().unwrap_or_default());
    Ok(api.get_opt(&np.name_any()).await?.map(|mut n| {
        slim(&mut n);
        n
    }))
}

fn is_not_found(e: &CloudError) -> bool {
    e.kind() == ErrorKind::NotFound
}

/// Copies what the cloud reports into the status.
fn observe(status: &mut NodePoolStatus, cloud: Cloud, pool: &CloudPool) -> Phase {
    let phase = phase::derive(cloud, pool);
    status.id = Some(pool.id.clone());
    status.phase = Some(phase.as_str().to_string());
    status.cloud_phase = Some(pool.cloud_phase.clone());
    status.current_node_count = pool.nodes.current;
    status.desired_node_count = pool.nodes.desired;
    phase
}

fn finish_status(
    np: &NodePool,
    status: &mut NodePoolStatus,
    phase: Option<Phase>,
    failure: Option<Failure>,
) {
    let generation = np.metadata.generation.unwrap_or(0);
    let previous = np
        .status
        .as_ref()
        .map(|s| s.conditions.clone())
        .unwrap_or_default();
    let outcome = Outcome {
        generation,
        phase,
        in_sync: status.applied_generation == Some(generation),
        failure,
    };
    status.conditions =
        conditions::merge(&previous, conditions::compute(&outcome), Timestamp::now());
    status.observed_generation = Some(generation);
}

/// Reconciles one NodePool.
pub async fn reconcile(cached: Arc<CachedNodePool>, ctx: Arc<Context>) -> Result<Action, Error> {
    let np = cached.expand().map_err(Error::Decode)?;
    let span = tracing::info_span!(
        "reconcile",
        namespace = %np.namespace().unwrap_or_default(),
        name = %np.name_any(),
        cloud_id = np.status.as_ref().and_then(|s| s.id.as_deref()).unwrap_or(""),
    );
    if !ctx.leader.is_leader() {
        return Ok(Action::requeue(FOLLOWER_RECHECK));
    }
    if let Some(left) = ctx.own_writes.not_due(&np) {
        debug!(namespace = %np.namespace().unwrap_or_default(), name = %np.name_any(), ?left, "unchanged since the controller's own status write; not due yet");
        return Ok(Action::requeue(left));
    }
    let started = std::time::Instant::now();
    let result = async {
        if np.metadata.deletion_timestamp.is_some() {
            cleanup(&np, &ctx).await
        } else {
            apply(&np, &ctx).await
        }
    }
    .instrument(span)
    .await;
    ctx.metrics
        .reconciled(result.as_ref().err().map(Error::reason), started.elapsed());
    if result.is_ok() {
        ctx.failures
            .lock()
            .expect("failure map lock")
            .remove(&key(&np.metadata));
    }
    result
}

/// Records a failure in status and as an Event, then returns it for the error policy.
async fn fail(
    np: &NodePool,
    ctx: &Context,
    mut status: NodePoolStatus,
    phase: Option<Phase>,
    err: Error,
    action: &str,
) -> Result<Action, Error> {
    warn!(namespace = %np.namespace().unwrap_or_default(), name = %np.name_any(), reason = err.reason(), error = %err, "reconcile failed");
    finish_status(np, &mut status, phase, Some(err.failure()));
    ctx.event(
        np,
        EventType::Warning,
        err.reason(),
        action,
        err.to_string(),
    )
    .await;
    ctx.write_status(np, &status).await?;
    Err(err)
}

async fn apply(np: &NodePool, ctx: &Context) -> Result<Action, Error> {
    if np.annotations().get(ANNOTATION_PAUSED).map(String::as_str) == Some("true") {
        debug!("paused");
        return Ok(Action::requeue(ctx.config.resync));
    }
    if !np.finalizers().iter().any(|f| f == FINALIZER) {
        set_finalizer(&ctx.client, np, true).await?;
    }
    let latest;
    let np = if np.status.as_ref().and_then(|s| s.id.as_ref()).is_none() {
        match read_latest(&ctx.client, np).await? {
            Some(n) if n.metadata.deletion_timestamp.is_some() => return cleanup(&n, ctx).await,
            Some(n) => {
                latest = n;
                &latest
            }
            None => return Ok(Action::await_change()),
        }
    } else {
        np
    };
    let mut status = np.status.clone().unwrap_or_default();
    let prev_phase = status.phase.clone();
    let target = match target(np) {
        Ok(t) => t,
        Err(e) => return fail(np, ctx, status, None, e, "Reconcile").await,
    };
    status.cloud = Some(target.cloud.label().to_string());
    status.cluster_id = Some(target.cluster.clone());
    let provider = match ctx.provider(np).await {
        Ok(p) => p,
        Err(e) => return fail(np, ctx, status, None, e, "ReadCredentials").await,
    };
    let uid = np.uid().unwrap_or_default();
    let generation = np.metadata.generation.unwrap_or(0);

    // Observe: one cloud read.
    let observed = match status.id.clone() {
        Some(id) => match ctx.observe_pool(np, &target, provider.as_ref(), &id).await {
            Ok(pool) => Some(pool),
            Err(e) if is_not_found(&e) => {
                ctx.event(
                    np,
                    EventType::Warning,
                    "CloudPoolMissing",
                    "Observe",
                    format!("the cloud pool {id} no longer exists; it will be created again"),
                )
                .await;
                status.id = None;
                status.applied_generation = None;
                status.create_requested_at = None;
                None
            }
            Err(e) => return fail(np, ctx, status, None, e.into(), "Observe").await,
        },
        None => match lookup(np, ctx, provider.as_ref(), &target, &uid).await {
            Ok(found) => found,
            Err(e) => return fail(np, ctx, status, None, e, "Lookup").await,
        },
    };

    let Some(pool) = observed else {
        // Create, exactly once: record the intent, then call.
        // Keep the first intent: rewriting it on every attempt would change the status each
        // time, and each status write triggers the next reconcile at once (no backoff).
        let first_attempt = status.create_requested_at.is_none();
        if first_attempt {
            status.create_requested_at = Some(Timestamp::now().to_string());
        }
        status.phase = Some(Phase::Creating.as_str().to_string());
        finish_status(np, &mut status, Some(Phase::Creating), None);
        ctx.write_status(np, &status).await?;
        let body = match (&np.spec.huawei, &np.spec.alibaba) {
            (Some(h), _) => update::huawei_create(h, &np.name_any()),
            (None, Some(a)) => update::alibaba_create(a, &np.name_any(), &uid),
            (None, None) => return fail(np, ctx, status, None, Error::NoCloud, "Create").await,
        };
        ctx.mark_changed(np);
        return match provider.create(&target.cluster, &body).await {
            Ok(created) => {
                info!(id = %created.id, "created the cloud pool");
                status.id = Some(created.id.clone());
                status.applied_generation = Some(generation);
                let phase = match &created.pool {
                    Some(p) => observe(&mut status, target.cloud, p),
                    None => {
                        status.phase = Some(Phase::Synchronizing.as_str().to_string());
                        Phase::Synchronizing
                    }
                };
                // A fresh pool is never steady before a confirming read.
                let phase = if phase == Phase::Synchronized {
                    Phase::Synchronizing
                } else {
                    phase
                };
                status.phase = Some(phase.as_str().to_string());
                finish_status(np, &mut status, Some(phase), None);
                ctx.write_status(np, &status).await?;
                ctx.event(
                    np,
                    EventType::Normal,
                    "Created",
                    "Create",
                    format!(
                        "created {} node pool {} ({}) in cluster {}",
                        target.cloud, target.name, created.id, target.cluster
                    ),
                )
                .await;
                Ok(ctx.requeue_for(np, Some(phase)))
            }
            Err(e)
                if first_attempt
                    && target.cloud == Cloud::Huawei
                    && e.kind() == ErrorKind::Conflict =>
            {
                // The cloud refused the first create: nothing was made for this NodePool, so
                // the intent is withdrawn (a later lookup must not adopt the other pool).
                status.create_requested_at = None;
                let err = name_taken(provider.as_ref(), &target)
                    .await
                    .unwrap_or_else(|| e.into());
                fail(np, ctx, status, None, err, "Create").await
            }
            Err(e) => fail(np, ctx, status, Some(Phase::Creating), e.into(), "Create").await,
        };
    };

    let mut phase = observe(&mut status, target.cloud, &pool);
    if status.applied_generation != Some(generation) && phase == Phase::Synchronized {
        // Update in place, only from a steady state; all spec changes since go in one call.
        let upd = match (&np.spec.huawei, &np.spec.alibaba) {
            (Some(h), _) => update::huawei_update(h, &np.name_any()),
            (None, Some(a)) => update::alibaba_update(a, &np.name_any(), &uid),
            (None, None) => {
                return fail(np, ctx, status, Some(phase), Error::NoCloud, "Update").await;
            }
        };
        ctx.mark_changed(np);
        match provider.update(&target.cluster, &pool.id, &upd).await {
            Ok(_) => {
                status.applied_generation = Some(generation);
                phase = Phase::Synchronizing;
                status.phase = Some(phase.as_str().to_string());
                ctx.event(
                    np,
                    EventType::Normal,
                    "Updated",
                    "Update",
                    format!(
                        "sent generation {generation} of the spec to the cloud pool {}",
                        pool.id
                    ),
                )
                .await;
            }
            Err(e) => return fail(np, ctx, status, Some(phase), e.into(), "Update").await,
        }
    }
    finish_status(np, &mut status, Some(phase), None);
    if prev_phase.as_deref() != status.phase.as_deref() {
        let note = format!(
            "phase {} (cloud: {:?}, nodes {}/{})",
            phase,
            pool.cloud_phase,
            pool.nodes.current.unwrap_or(0),
            pool.nodes.desired.unwrap_or(0)
        );
        let type_ = if matches!(phase, Phase::Error | Phase::SoldOut) {
            EventType::Warning
        } else {
            EventType::Normal
        };
        ctx.event(np, type_, phase.as_str(), "Observe", note).await;
    }
    ctx.write_status(np, &status).await?;
    Ok(ctx.requeue_for(np, Some(phase)))
}

/// Finds the NodePool's pool at the cloud when the status has no ID yet: by the adopt
/// annotation, then CCE by name (only adopted if the controller asked for it), ACK by owner tag.
async fn lookup(
    np: &NodePool,
    ctx: &Context,
    provider: &dyn NodePoolProvider,
    target: &Target,
    uid: &str,
) -> Result<Option<CloudPool>, Error> {
    if let Some(id) = np
        .annotations()
        .get(ANNOTATION_ADOPT_ID)
        .filter(|s| !s.is_empty())
    {
        let pool = provider.get(&target.cluster, id).await?;
        ctx.event(
            np,
            EventType::Normal,
            "Adopted",
            "Adopt",
            format!("adopted the existing cloud pool {id}"),
        )
        .await;
        return Ok(Some(pool));
    }
    let requested = np
        .status
        .as_ref()
        .and_then(|s| s.create_requested_at.as_ref())
        .is_some();
    if !requested {
        // Nothing was ever asked for: no pool of this NodePool can exist. A CCE pool of the same
        // name that someone else made is refused by the create call (409), and only then looked
        // up (see `name_taken`); looking first would cost a list call per new NodePool.
        return Ok(None);
    }
    match target.cloud {
        Cloud::Huawei => match provider.find_by_name(&target.cluster, &target.name).await? {
            Some(pool) if requested => {
                ctx.event(
                    np,
                    EventType::Normal,
                    "Recovered",
                    "Lookup",
                    format!(
                        "found the pool {} created before a restart; adopting it",
                        pool.id
                    ),
                )
                .await;
                Ok(Some(pool))
            }
            Some(pool) => Err(Error::NameTaken {
                name: target.name.clone(),
                cluster: target.cluster.clone(),
                id: pool.id,
            }),
            None => Ok(None),
        },
        Cloud::Alibaba => {
            let found = provider
                .find_by_tag(&target.cluster, OWNER_TAG, uid)
                .await?;
            if let Some(pool) = &found {
                ctx.event(
                    np,
                    EventType::Normal,
                    "Recovered",
                    "Lookup",
                    format!(
                        "found the pool {} created before a restart; adopting it",
                        pool.id
                    ),
                )
                .await;
            }
            Ok(found)
        }
    }
}

/// After CCE refused a first create with a conflict: `NameTaken` when a pool of that name
/// exists in the cluster, `None` when the lookup cannot tell (the conflict is then reported).
async fn name_taken(provider: &dyn NodePoolProvider, target: &Target) -> Option<Error> {
    match provider.find_by_name(&target.cluster, &target.name).await {
        Ok(Some(pool)) => Some(Error::NameTaken {
            name: target.name.clone(),
            cluster: target.cluster.clone(),
            id: pool.id,
        }),
        Ok(None) | Err(_) => None,
    }
}

async fn cleanup(np: &NodePool, ctx: &Context) -> Result<Action, Error> {
    if !np.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    if np.spec.deletion_policy == DeletionPolicy::Orphan {
        ctx.event(
            np,
            EventType::Normal,
            "Orphaned",
            "Delete",
            "deletionPolicy is Orphan: the cloud pool is left in place".into(),
        )
        .await;
        ctx.release(np).await?;
        return Ok(Action::await_change());
    }
    let latest;
    let np = if np.status.as_ref().and_then(|s| s.id.as_ref()).is_none() {
        match read_latest(&ctx.client, np).await? {
            Some(n) => {
                latest = n;
                &latest
            }
            None => return Ok(Action::await_change()),
        }
    } else {
        np
    };
    let mut status = np.status.clone().unwrap_or_default();
    let target = match target(np) {
        Ok(t) => t,
        Err(e) => return fail(np, ctx, status, None, e, "Delete").await,
    };
    let provider = match ctx.provider(np).await {
        Ok(p) => p,
        Err(e) => {
            let blocked = Error::DeleteBlocked(Box::new(e));
            return fail(np, ctx, status, Some(Phase::Deleting), blocked, "Delete").await;
        }
    };
    let uid = np.uid().unwrap_or_default();
    let id = match status.id.clone() {
        Some(id) => Some(id),
        None => match lookup(np, ctx, provider.as_ref(), &target, &uid).await {
            Ok(found) => found.map(|p| p.id),
            // A same-named pool that is not ours is not deleted.
            Err(Error::NameTaken { .. }) => None,
            Err(e) => return fail(np, ctx, status, Some(Phase::Deleting), e, "Delete").await,
        },
    };
    let Some(id) = id else {
        ctx.release(np).await?;
        return Ok(Action::await_change());
    };
    // Delete until the cloud confirms the pool is gone.
    let gone = match ctx.observe_pool(np, &target, provider.as_ref(), &id).await {
        Err(e) if is_not_found(&e) => true,
        Err(e) => return fail(np, ctx, status, Some(Phase::Deleting), e.into(), "Delete").await,
        Ok(pool) => {
            let phase = observe(&mut status, target.cloud, &pool);
            if phase != Phase::Deleting {
                ctx.mark_changed(np);
                match provider.delete(&target.cluster, &id).await {
                    Ok(_) => {
                        ctx.event(
                            np,
                            EventType::Normal,
                            "DeleteRequested",
                            "Delete",
                            format!("asked the cloud to delete pool {id}"),
                        )
                        .await;
                        false
                    }
                    Err(e) if is_not_found(&e) => true,
                    Err(e) => {
                        return fail(np, ctx, status, Some(Phase::Deleting), e.into(), "Delete")
                            .await;
                    }
                }
            } else {
                false
            }
        }
    };
    if gone {
        ctx.event(
            np,
            EventType::Normal,
            "Deleted",
            "Delete",
            format!("the cloud pool {id} is gone"),
        )
        .await;
        ctx.release(np).await?;
        return Ok(Action::await_change());
    }
    status.phase = Some(Phase::Deleting.as_str().to_string());
    finish_status(np, &mut status, Some(Phase::Deleting), None);
    ctx.write_status(np, &status).await?;
    Ok(ctx.requeue_for(np, Some(Phase::Deleting)))
}

/// Per-object exponential backoff with jitter; terminal errors wait for a change (a spec or
/// Secret change triggers a reconcile) with a slow safety requeue.
pub fn error_policy(np: Arc<CachedNodePool>, err: &Error, ctx: Arc<Context>) -> Action {
    let key = key(&np.metadata);
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

/// How long the watches wait after an error before they list or watch again: 0.25 s, doubling
/// to at most 5 s, ±20% jitter, back to 0.25 s with the next event.
///
/// kube's default (0.8 s doubling to 30 s, reset only after 120 s without an error) is shared by
/// the NodePool and Secret watches of a controller: after an API server restart, the refused
/// connections and the `410 Gone` of the old watches pushed it to 30 s and more, and the
/// controller stayed blind for over a minute after the API server was back. Listing again is
/// cheap for the API server (the watch cache serves it), so the wait stays short.
struct WatchBackoff(Duration);

impl WatchBackoff {
    const MIN: Duration = Duration::from_millis(250);
    const MAX: Duration = Duration::from_secs(5);

    fn new() -> Self {
        WatchBackoff(Self::MIN)
    }
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let d = self.0;
        self.0 = (self.0 * 2).min(Self::MAX);
        Some(d.mul_f64(0.8 + fastrand::f64() * 0.4))
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.0 = Self::MIN;
    }
}

/// Runs the controller until a shutdown signal.
pub async fn run(client: Client, config: Config) -> Result<(), kube::Error> {
    let nodepools: Api<NodePool> = match &config.namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    // Fail fast with a clear message when the CRD is missing.
    nodepools
        .list(&kube::api::ListParams::default().limit(1))
        .await?;
    // Only the Secrets' metadata is watched (`PartialObjectMeta` requests carry no Secret data);
    // values are read when a client has to be built for them.
    let secrets_api = match &config.namespace {
        Some(ns) => Api::<PartialObjectMeta<Secret>>::namespaced(client.clone(), ns),
        None => Api::<PartialObjectMeta<Secret>>::all(client.clone()),
    };
    let reporter = Reporter {
        controller: config.reporter.clone(),
        instance: config.instance.clone(),
    };
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(addr) = config.http_addr {
        let health = Health {
            metrics: metrics.clone(),
            ready: ready.clone(),
        };
        tokio::spawn(async move {
            if let Err(e) = server::serve(addr, health).await {
                warn!(error = %e, %addr, "the health and metrics server stopped");
            }
        });
    }
    let leader = match &config.leader_election {
        Some(le) => LeaderGate::elect(client.clone(), le)
            .await
            .map_err(|e| kube::Error::Service(Box::new(e)))?,
        None => LeaderGate::always(),
    };
    let own_writes = Arc::new(OwnWrites::default());
    // Batched reads; snapshots older than a resync are dropped so memory holds only recent lists.
    let reads = Arc::new(ClusterReads::default());
    {
        let reads = reads.clone();
        let every = config.resync;
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                reads.evict_older_than(every);
            }
        });
    }
    let (secrets, secrets_writer) = reflector::store();
    let secret_events = reflector(
        secrets_writer,
        watcher::watcher(secrets_api, watcher::Config::default()),
    )
    .touched_objects();
    let ctx = Arc::new(Context {
        metrics,
        leader,
        phases: Mutex::new(HashMap::new()),
        recorder: Recorder::new(client.clone(), reporter),
        limiters: RateLimiters::new(config.rate_limit),
        failures: Mutex::new(HashMap::new()),
        own_writes: own_writes.clone(),
        reads: reads.clone(),
        changed: Mutex::new(HashMap::new()),
        secrets,
        providers: Mutex::new(HashMap::new()),
        client,
        config: config.clone(),
    });
    // The NodePool cache holds compact objects (see [`CachedNodePool`]). Readiness: the watch
    // has listed everything once.
    let cached: Api<CachedNodePool> = match &config.namespace {
        Some(ns) => Api::namespaced(ctx.client.clone(), ns),
        None => Api::all(ctx.client.clone()),
    };
    let (store, writer) = reflector::store();
    let nodepool_events = reflector(
        writer,
        watcher::watcher(cached, watcher::Config::default().any_semantic()).inspect(move |event| {
            if matches!(event, Ok(watcher::Event::InitDone)) {
                ready.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }),
    )
    .applied_objects();
    let controller =
        Controller::for_stream(nodepool_events, store.clone()).trigger_backoff(WatchBackoff::new());
    // A change of a credentials Secret re-reconciles the NodePools that name it.
    controller
        .with_config(kube::runtime::controller::Config::default().concurrency(config.concurrency))
        .watches_stream(secret_events, move |secret| {
            let ns = secret.metadata.namespace.clone();
            let name = secret.metadata.name.clone();
            store
                .state()
                .into_iter()
                .filter(|np| np.metadata.namespace == ns && np.credentials_name() == name)
                .inspect(|np| own_writes.force(key(&np.metadata)))
                .map(|np| ObjectRef::from_obj(np.as_ref()))
                .collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|res| async move {
            match res {
                Ok((obj, _)) => debug!(object = %obj, "reconciled"),
                Err(e) => debug!(error = %e, "reconcile error"),
            }
        })
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::utils::Backoff;

    #[test]
    fn watch_backoff_doubles_to_five_seconds_and_resets() {
        let mut b = WatchBackoff::new();
        let waits: Vec<Duration> = (0..8).map(|_| b.next().expect("endless")).collect();
        let nominal = [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0];
        for (w, n) in waits.iter().zip(nominal) {
            let s = w.as_secs_f64();
            assert!(s >= n * 0.8 - 1e-9 && s <= n * 1.2 + 1e-9, "{s} vs {n}");
        }
        b.reset();
        assert!(b.next().expect("endless") <= Duration::from_millis(300));
    }
}
