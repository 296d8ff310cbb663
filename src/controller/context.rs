//! Shared state of the reconcilers: configuration, cached cloud clients, the controller's own
//! status writes, the batched cloud reads, and the small helpers every step uses (Events,
//! requeues, fencing).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Client, Resource, ResourceExt};
use tracing::warn;

use super::accounts::{Accounts, IdentityConfig};
use super::cache::{CachedNodePool, key, slim};
use super::conditions;
use super::error::Error;
use super::leader::{LeaderElection, LeaderGate};
use super::metered::Metered;
use super::reads::{ClusterKey, ClusterReads};
use super::status::{set_finalizer, write_status};
use crate::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use crate::cloud::http::HttpConfig;
use crate::cloud::huawei::{HuaweiClient, HuaweiConfig};
use crate::cloud::phase::Phase;
use crate::cloud::ratelimit::{RateLimit, RateLimiters};
use crate::cloud::{Cloud, NodePoolProvider};
use crate::crd::{CloudAccount, CloudSpec, CredentialsFrom, NodePool, NodePoolStatus};
use crate::credentials::{self, Credentials, CredentialsError};
use crate::metrics::Metrics;

/// How the controller runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Watch only these namespaces (all namespaces when empty).
    pub namespaces: Vec<String>,
    /// Accept plain `http://` endpoints off loopback (see [`crate::cloud::endpoint`]).
    pub allow_insecure_endpoints: bool,
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
    /// How long after a create whose answer was lost the controller waits for the pool to
    /// appear (found by its owner mark) before it concludes nothing was made.
    pub create_grace: Duration,
    /// How long a delete may take at the cloud before the NodePool stalls with a message.
    pub delete_timeout: Duration,
    /// Keyless identities and identity service endpoints, for CloudAccounts.
    pub identity: IdentityConfig,
}

impl Config {
    /// Checks the cloud endpoint overrides (see [`crate::cloud::endpoint::check_endpoint`]);
    /// the controller refuses to start with an endpoint that fails it.
    pub fn check_endpoints(&self) -> Result<(), crate::cloud::endpoint::EndpointError> {
        let id = &self.identity;
        for url in [
            &self.huawei_endpoint,
            &self.alibaba_endpoint,
            &id.alibaba_sts_endpoint,
            &id.huawei_iam_endpoint,
        ]
        .into_iter()
        .flatten()
        {
            crate::cloud::endpoint::check_endpoint(url, self.allow_insecure_endpoints, false)?;
        }
        // The metadata services are plain HTTP on the instance's link-local address.
        for url in [&id.alibaba_metadata_endpoint, &id.huawei_metadata_endpoint]
            .into_iter()
            .flatten()
        {
            crate::cloud::endpoint::check_endpoint(url, self.allow_insecure_endpoints, true)?;
        }
        Ok(())
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            namespaces: Vec::new(),
            allow_insecure_endpoints: false,
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
            create_grace: Duration::from_secs(120),
            delete_timeout: Duration::from_secs(1800),
            identity: IdentityConfig::default(),
        }
    }
}

/// Shared state of the reconcilers.
pub struct Context {
    pub(super) client: Client,
    pub(super) config: Config,
    pub(super) recorder: Recorder,
    pub(super) limiters: Arc<RateLimiters>,
    /// Per-object count of consecutive failures, for exponential backoff.
    pub(super) failures: Mutex<HashMap<ObjectRef<NodePool>, u32>>,
    /// Prometheus metrics.
    pub(super) metrics: Arc<Metrics>,
    /// Whether this replica may act.
    pub(super) leader: LeaderGate,
    /// The phase each NodePool was last counted in (for the per-phase gauge).
    pub(super) phases: Mutex<HashMap<ObjectRef<NodePool>, &'static str>>,
    /// The controller's own last status writes (see [`OwnWrites`]).
    pub(super) own_writes: Arc<OwnWrites>,
    /// Batched reads: one list per cloud cluster (see [`ClusterReads`]).
    pub(super) reads: Arc<ClusterReads>,
    /// When the controller last changed each NodePool's cloud pool (create, update, delete):
    /// reads from before that moment are not used for it.
    pub(super) changed: Mutex<HashMap<ObjectRef<NodePool>, tokio::time::Instant>>,
    /// The credentials Secrets' metadata (never their data), from a watch.
    pub(super) secrets: Stores<PartialObjectMeta<Secret>>,
    /// Cloud clients by Secret (see [`Context::provider`]).
    pub(super) providers: Providers,
    /// The NodePools this controller watches (to tell which NodePool records or marks a pool).
    pub(super) nodepools: Stores<CachedNodePool>,
    /// The CloudAccounts, from a watch.
    pub(super) accounts: Store<CloudAccount>,
    /// Keys and cloud clients per CloudAccount (see [`Context::account_provider`]).
    pub(super) account_cache: Accounts,
}

/// The key of a Secret in the metadata store.
pub(super) fn meta_ref(r: &ObjectRef<Secret>) -> ObjectRef<PartialObjectMeta<Secret>> {
    let m = ObjectRef::new(&r.name);
    match &r.namespace {
        Some(ns) => m.within(ns),
        None => m,
    }
}

/// The stores of several watches read as one: the controller keeps one store per watched
/// namespace (see `run`), and most readers want all of them.
pub struct Stores<K: kube::runtime::reflector::Lookup + Clone + 'static>(pub Vec<Store<K>>)
where
    K::DynamicType: std::hash::Hash + Eq;

impl<K> Stores<K>
where
    K: kube::runtime::reflector::Lookup + Clone + 'static,
    K::DynamicType: std::hash::Hash + Eq + Clone,
{
    /// The object, from whichever store holds it.
    pub fn get(&self, r: &ObjectRef<K>) -> Option<Arc<K>> {
        self.0.iter().find_map(|s| s.get(r))
    }

    /// Every object of every store.
    pub fn state(&self) -> Vec<Arc<K>> {
        self.0.iter().flat_map(|s| s.state()).collect()
    }
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
pub(super) struct OwnWrite {
    /// The `resourceVersion` the write produced.
    resource_version: String,
    /// Whether the write went to the object as the reconcile saw it (same generation, deletion
    /// and annotations), so that its watch echo may be answered without a cloud read.
    echo: bool,
    /// When the object is next due (the requeue or backoff the last reconcile chose).
    due: Option<std::time::Instant>,
}

#[derive(Default)]
pub(super) struct OwnWrites(
    Mutex<HashMap<ObjectRef<NodePool>, OwnWrite>>,
    Mutex<std::collections::HashSet<ObjectRef<NodePool>>>,
);

impl OwnWrites {
    pub(super) fn wrote(
        &self,
        key: ObjectRef<NodePool>,
        resource_version: Option<String>,
        echo: bool,
    ) {
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

    pub(super) fn due_in(&self, key: &ObjectRef<NodePool>, delay: Option<Duration>) {
        if let Some(entry) = self.0.lock().expect("own writes lock").get_mut(key) {
            entry.due = delay.map(|d| std::time::Instant::now() + d);
        }
    }

    pub(super) fn forget(&self, key: &ObjectRef<NodePool>) {
        self.0.lock().expect("own writes lock").remove(key);
    }

    /// Makes the next reconcile of `key` a real one (something it depends on changed).
    pub(super) fn force(&self, key: ObjectRef<NodePool>) {
        self.1.lock().expect("own writes lock").insert(key);
    }

    /// Whether `np` is known to be at least as new as the controller's last status write, so
    /// that a status equal to its own needs no write. Without a recorded write the object as
    /// listed or read is the newest the controller knows.
    pub(super) fn is_current(&self, np: &NodePool) -> bool {
        let map = self.0.lock().expect("own writes lock");
        match map.get(&key(&np.metadata)) {
            Some(w) => np.metadata.resource_version.as_ref() == Some(&w.resource_version),
            None => true,
        }
    }

    /// The remaining wait when `np` is unchanged since the controller's own write and not due.
    pub(super) fn not_due(&self, np: &NodePool) -> Option<Duration> {
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
pub(super) struct ProviderKey {
    secret: ObjectRef<PartialObjectMeta<Secret>>,
    cloud: Cloud,
    region: String,
    project: String,
}

/// Cached cloud clients with the `resourceVersion` of the Secret they were built from.
pub(super) type Providers = Mutex<HashMap<ProviderKey, (String, Arc<dyn NodePoolProvider>)>>;

/// Where a NodePool's pool lives and how it is named at the cloud.
pub(super) struct Target {
    pub(super) cloud: Cloud,
    pub(super) region: String,
    /// The CCE project (empty for ACK).
    pub(super) project: String,
    pub(super) cluster: String,
    pub(super) name: String,
}

pub(super) fn target(np: &NodePool) -> Result<Target, Error> {
    let default_name = np.name_any();
    let spec = np.spec.cloud_spec().ok_or(Error::NoCloud)?.section();
    Ok(Target {
        cloud: spec.cloud(),
        region: spec.region().to_string(),
        project: spec.project().to_string(),
        cluster: spec.cluster_id().to_string(),
        name: spec.pool_name(&default_name).to_string(),
    })
}

impl Context {
    /// The cloud client for the NodePool, with the credentials of its Secret.
    ///
    /// Clients are kept per Secret, cloud, region and project, and rebuilt when the Secret's
    /// `resourceVersion` (known from the Secrets' metadata watch, without reading the Secret)
    /// changes: reading the Secret and building a client with a fresh connection pool for every
    /// reconcile would cost an API server request and new TLS connections each time.
    pub(super) async fn provider(&self, np: &NodePool) -> Result<Arc<dyn NodePoolProvider>, Error> {
        if let CredentialsFrom::Account(account) = np.spec.credentials() {
            return self.account_provider(np, account).await;
        }
        let Target {
            cloud,
            region,
            project,
            ..
        } = target(np)?;
        let secret_ref = credentials::credential_secrets(np)
            .into_iter()
            .next()
            .ok_or(Error::NoCredentials)?;
        let key = ProviderKey {
            secret: meta_ref(&secret_ref),
            cloud,
            region,
            project,
        };
        // Only credentials Secrets are watched: a Secret in the store is labelled and Opaque.
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
        let secret = self
            .credentials_secret(&secret_ref, watched.is_some())
            .await?;
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

    /// Reads a credentials Secret. A Secret the label watch has not seen is first looked at
    /// with a metadata-only GET, which tells "missing" from "not a credentials Secret" without
    /// transferring its data: the data of a Secret without the label is never read. The full
    /// GET is checked again (label and type) before anything is taken from it.
    async fn credentials_secret(
        &self,
        r: &ObjectRef<Secret>,
        watched: bool,
    ) -> Result<Secret, Error> {
        let ns = r.namespace.clone().unwrap_or_default();
        let missing = || CredentialsError::SecretMissing {
            namespace: ns.clone(),
            name: r.name.clone(),
        };
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), &ns);
        if !watched {
            let meta = secrets
                .get_metadata_opt(&r.name)
                .await?
                .ok_or_else(missing)?;
            credentials::check_labelled(&meta.metadata)?;
        }
        let secret = secrets.get_opt(&r.name).await?.ok_or_else(missing)?;
        credentials::check_secret(&secret)?;
        Ok(secret)
    }

    fn build_provider(
        &self,
        np: &NodePool,
        cloud: Cloud,
        secret: &Secret,
    ) -> Result<Arc<dyn NodePoolProvider>, Error> {
        let spec = np.spec.cloud_spec().ok_or(Error::NoCloud)?;
        let provider: Arc<dyn NodePoolProvider> =
            match (credentials::from_secret(cloud, secret)?, spec) {
                (Credentials::Huawei(auth), CloudSpec::Huawei(h)) => {
                    let mut cfg = HuaweiConfig::new(&h.region, &h.project_id);
                    cfg.endpoint = self.config.huawei_endpoint.clone();
                    cfg.http = self.config.http.clone();
                    Arc::new(HuaweiClient::new(cfg, auth, &self.limiters)?)
                }
                (Credentials::Alibaba(key), CloudSpec::Alibaba(a)) => {
                    let mut cfg = AlibabaConfig::new(&a.region_id);
                    cfg.endpoint = self.config.alibaba_endpoint.clone();
                    cfg.http = self.config.http.clone();
                    Arc::new(AlibabaClient::new(cfg, key, &self.limiters)?)
                }
                // `from_secret` reads the credentials of the spec's own cloud.
                _ => return Err(Error::NoCloud),
            };
        Ok(Arc::new(Metered::new(provider, self.metrics.clone())))
    }

    /// Writes the status and counts the NodePool in its phase. A status equal to the one the
    /// object already carries is not written again (when the object is at least as new as the
    /// controller's own last write): most reconciles of a steady or provisioning pool change
    /// nothing, and each write costs an API server request and a watch event.
    pub(super) async fn write_status(
        &self,
        np: &NodePool,
        status: &NodePoolStatus,
    ) -> Result<(), Error> {
        let unchanged = np.status.as_ref().is_some_and(|current| {
            // Conditions other writers added are theirs and not part of the comparison.
            let mut own = current.clone();
            own.conditions
                .retain(|c| conditions::OWN.contains(&c.type_.as_str()));
            own == *status
        });
        if !unchanged || !self.own_writes.is_current(np) {
            self.fence()?;
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
    pub(super) async fn release(&self, np: &NodePool) -> Result<(), Error> {
        self.fence()?;
        set_finalizer(&self.client, np, false).await?;
        self.own_writes.forget(&key(&np.metadata));
        self.changed
            .lock()
            .expect("changed map lock")
            .remove(&key(&np.metadata));
        self.count_phase(np, None);
        Ok(())
    }

    /// Fencing: `Err(LeaseLost)` unless this replica still holds the Lease. Called before every
    /// mutating cloud call and every status write.
    pub(super) fn fence(&self) -> Result<(), Error> {
        if self.leader.is_leader() {
            Ok(())
        } else {
            Err(Error::LeaseLost)
        }
    }

    /// Records that the controller is about to change the NodePool's cloud pool (and checks
    /// the Lease first: see [`Context::fence`]).
    pub(super) fn mark_changed(&self, np: &NodePool) -> Result<(), Error> {
        self.fence()?;
        self.changed
            .lock()
            .expect("changed map lock")
            .insert(key(&np.metadata), tokio::time::Instant::now());
        Ok(())
    }

    /// The batched list the NodePool's pools are read from.
    pub(super) fn cluster_key(&self, np: &NodePool, target: &Target) -> ClusterKey {
        ClusterKey {
            cloud: target.cloud,
            credentials: match np.spec.credentials() {
                CredentialsFrom::Account(account) => format!("cloudaccount/{account}"),
                CredentialsFrom::Secret(secret) => {
                    format!("{}/{secret}", np.namespace().unwrap_or_default())
                }
            },
            region: target.region.clone(),
            project: target.project.clone(),
            cluster: target.cluster.clone(),
        }
    }

    /// How old a snapshot may be for this NodePool: at most half an interval, so a pool polled
    /// every `poll` seconds is seen at most 1.5 polls after the cloud changed it, at one list
    /// per cluster per half poll however many pools the cluster has.
    pub(super) fn max_age(&self, np: &NodePool) -> Duration {
        let steady = np
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .and_then(|p| Phase::ALL.into_iter().find(|x| x.as_str() == p))
            .is_some_and(|p| !p.is_transient());
        if steady {
            self.config.resync / 2
        } else {
            self.config.transient_poll / 2
        }
    }

    /// When the controller last changed the NodePool's pool: reads from before are not used.
    pub(super) fn not_before(&self, np: &NodePool) -> Option<tokio::time::Instant> {
        self.changed
            .lock()
            .expect("changed map lock")
            .get(&key(&np.metadata))
            .copied()
    }

    pub(super) fn count_phase(&self, np: &NodePool, phase: Option<&'static str>) {
        let key = key(&np.metadata);
        let mut map = self.phases.lock().expect("phase map lock");
        let old = match phase {
            Some(p) => map.insert(key, p),
            None => map.remove(&key),
        };
        self.metrics.phase_changed(old, phase);
    }

    pub(super) async fn event(
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
            event_failed(&e);
        }
    }

    pub(super) fn requeue_for(&self, np: &NodePool, phase: Option<Phase>) -> Action {
        let base = match phase {
            Some(p) if p.is_transient() => self.config.transient_poll,
            _ => self.config.resync,
        };
        let delay = jitter(base);
        self.own_writes.due_in(&key(&np.metadata), Some(delay));
        Action::requeue(delay)
    }
}

/// Logs an Event that could not be published, except in a namespace being deleted: the API
/// server refuses every new object there, Events included, and saying so for each would only
/// add noise to a namespace deletion.
pub(super) fn event_failed(e: &kube::Error) {
    match e {
        kube::Error::Api(s) if s.code == 403 && s.message.contains("being terminated") => {
            tracing::debug!(error = %e, "Event refused in a terminating namespace");
        }
        _ => warn!(error = %e, "could not publish an Event"),
    }
}

/// `d` ± 10%.
pub(super) fn jitter(d: Duration) -> Duration {
    d.mul_f64(0.9 + fastrand::f64() * 0.2)
}
