//! Running the controller: the watches (NodePools, credentials Secrets' metadata) per watched
//! namespace, leader election, the health and metrics server, the credentials Secrets'
//! finalizer, and the reconcile streams.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::controller::Controller;
use kube::runtime::events::{Recorder, Reporter};
use kube::runtime::reflector::{self, ObjectRef, reflector};
use kube::runtime::{WatchStreamExt, watcher};
use tracing::{debug, warn};

use super::cache::{CachedNodePool, key};
use super::context::{Config, Context, OwnWrites, Stores};
use super::error::error_policy;
use super::leader::LeaderGate;
use super::reads::ClusterReads;
use super::reconcile::reconcile;
use super::secrets::SecretKeeper;
use crate::cloud::ratelimit::RateLimiters;
use crate::crd::{CloudAccount, NodePool};
use crate::credentials::{CREDENTIALS_SELECTOR, CREDENTIALS_TYPE_SELECTOR};
use crate::metrics::Metrics;
use crate::server::{self, Health};

/// How long the watches wait after an error before they list or watch again: 0.25 s, doubling
/// to at most 1 s, ±20% jitter, back to 0.25 s with the next event.
///
/// kube's default (0.8 s doubling to 30 s, reset only after 120 s without an error) is shared by
/// the NodePool and Secret watches of a controller: after an API server restart, the refused
/// connections and the `410 Gone` of the old watches pushed it to 30 s and more, and the
/// controller stayed blind for over a minute after the API server was back. Listing again is
/// cheap for the API server (the watch cache serves it), so the wait stays short.
struct WatchBackoff(Duration);

impl WatchBackoff {
    const MIN: Duration = Duration::from_millis(250);
    /// The NodePool and Secret watches share this backoff, and after an API server restart each
    /// watch's `410 Gone` counts as one more error before the relist it calls for: with a 5 s
    /// ceiling the controller stayed blind for 10-11 s after the API server was back (chaos,
    /// control-plane phase). Two watches retrying once a second cost an API server nothing.
    const MAX: Duration = Duration::from_secs(1);

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

/// The NodePool API of a scope (one namespace, or all when `None`).
fn scoped<K>(client: &Client, scope: &Option<String>) -> Api<K>
where
    K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Runs the controller until a shutdown signal.
///
/// With `--namespaces a,b` every watch is made per namespace (a Role in each namespace is all
/// the controller may have; a cluster-wide watch would need a ClusterRole). Each namespace gets
/// its own watches, stores and `Controller`, run side by side on one [`Context`]: a reflector
/// store takes the `Init`/`InitDone` of one watch as "the complete list", so several watches
/// merged into one store would make each relist of one namespace drop the objects of the
/// others. The readers that want every NodePool or Secret read all stores through
/// [`Stores`](super::context::Stores). Without a list, there is one scope: all namespaces.
pub async fn run(client: Client, config: Config) -> Result<(), kube::Error> {
    let scopes: Vec<Option<String>> = if config.namespaces.is_empty() {
        vec![None]
    } else {
        config.namespaces.iter().cloned().map(Some).collect()
    };
    // Fail fast with a clear message when the CRD is missing (or a namespace is not readable).
    for scope in &scopes {
        scoped::<NodePool>(&client, scope)
            .list(&kube::api::ListParams::default().limit(1))
            .await?;
    }
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
    {
        // `nodepool_leader`, for the "no leader" alert: sampled every second.
        let (leader, metrics) = (leader.clone(), metrics.clone());
        tokio::spawn(async move {
            loop {
                metrics.leader.set(i64::from(leader.is_leader()));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
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
    let (secret_stores, secret_writers): (Vec<_>, Vec<_>) =
        scopes.iter().map(|_| reflector::store()).unzip();
    let (np_stores, np_writers): (Vec<_>, Vec<_>) =
        scopes.iter().map(|_| reflector::store()).unzip();
    // Fed by a NodePool watch and a Secret watch per scope.
    let keeper = Arc::new(SecretKeeper::new(2 * scopes.len()));
    // CloudAccounts are cluster-scoped: one watch, whose changes are sent to the scope of each
    // NodePool that uses the account.
    let (accounts, accounts_writer) = reflector::store();
    let account_events = reflector(
        accounts_writer,
        watcher::watcher(
            Api::<CloudAccount>::all(client.clone()),
            watcher::Config::default(),
        ),
    )
    .touched_objects();
    let (account_senders, account_receivers): (Vec<_>, Vec<_>) = scopes
        .iter()
        .map(|_| futures::channel::mpsc::unbounded::<ObjectRef<CachedNodePool>>())
        .unzip();
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
        secrets: Stores(secret_stores),
        providers: Mutex::new(HashMap::new()),
        nodepools: Stores(np_stores.clone()),
        accounts,
        account_cache: Default::default(),
        client,
        config: config.clone(),
    });
    tokio::spawn(
        keeper
            .clone()
            .run(ctx.clone(), config.resync.min(Duration::from_secs(60))),
    );
    {
        let (ctx, scopes) = (ctx.clone(), scopes.clone());
        tokio::spawn(async move {
            let mut events = std::pin::pin!(account_events);
            while let Some(event) = events.next().await {
                let Ok(account) = event else { continue };
                let name = account.metadata.name.clone();
                for np in ctx.nodepools.state() {
                    if name.is_none() || np.account_name() != name {
                        continue;
                    }
                    ctx.own_writes.force(key(&np.metadata));
                    let scope = scopes.iter().position(|s| {
                        s.is_none() || s.as_deref() == np.metadata.namespace.as_deref()
                    });
                    if let Some(i) = scope {
                        let _ = account_senders[i].unbounded_send(ObjectRef::from_obj(np.as_ref()));
                    }
                }
            }
        });
    }
    let unlisted = Arc::new(std::sync::atomic::AtomicUsize::new(scopes.len()));
    let concurrency = (config.concurrency as usize / scopes.len()).max(1) as u16;
    let mut runs = Vec::new();
    for (((scope, (secret_writer, np_writer)), store), account_triggers) in scopes
        .iter()
        .zip(secret_writers.into_iter().zip(np_writers))
        .zip(np_stores)
        .zip(account_receivers)
    {
        // Only credentials Secrets (the label, and type Opaque), and only their metadata: a
        // metadata watch transfers no Secret data. Values are read when a client has to be
        // built for them.
        let (secret_keeper, secret_ctx) = (keeper.clone(), ctx.clone());
        let mut secrets_listed = false;
        let secret_events = reflector(
            secret_writer,
            watcher::watcher(
                scoped::<PartialObjectMeta<Secret>>(&ctx.client, scope),
                watcher::Config::default()
                    .labels(CREDENTIALS_SELECTOR)
                    .fields(CREDENTIALS_TYPE_SELECTOR),
            ),
        )
        .inspect(move |event| {
            if let Ok(event) = event {
                if matches!(event, watcher::Event::InitDone) && !secrets_listed {
                    secrets_listed = true;
                    secret_keeper.listed();
                }
                secret_keeper.secret_event(event, &secret_ctx.secrets);
            }
        })
        .touched_objects();
        // The NodePool cache holds compact objects (see [`CachedNodePool`]). Readiness: every
        // scope's watch has listed everything once.
        let (np_keeper, np_ctx, ready, unlisted) =
            (keeper.clone(), ctx.clone(), ready.clone(), unlisted.clone());
        let mut listed = false;
        let nodepool_events = reflector(
            np_writer,
            watcher::watcher(
                scoped::<CachedNodePool>(&ctx.client, scope),
                watcher::Config::default().any_semantic(),
            ),
        )
        .inspect(move |event| {
            if let Ok(event) = event {
                let first_list = matches!(event, watcher::Event::InitDone) && !listed;
                if first_list {
                    // Before the index is rebuilt, so the Secrets it queues are checked.
                    listed = true;
                    np_keeper.listed();
                }
                np_keeper.nodepool_event(event, &np_ctx.nodepools);
                if first_list && unlisted.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                    ready.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            }
        })
        .applied_objects();
        let (mapper_keeper, own_writes) = (keeper.clone(), own_writes.clone());
        let controller =
            Controller::for_stream(nodepool_events, store).trigger_backoff(WatchBackoff::new());
        // A change of a credentials Secret re-reconciles the NodePools that name it.
        let run = controller
            .with_config(kube::runtime::controller::Config::default().concurrency(concurrency))
            .watches_stream(secret_events, move |secret| {
                let r = ObjectRef::<Secret>::new(secret.metadata.name.as_deref().unwrap_or(""))
                    .within(secret.metadata.namespace.as_deref().unwrap_or(""));
                mapper_keeper
                    .users(&r)
                    .into_iter()
                    .inspect(|np| own_writes.force(np.clone()))
                    .map(|np| {
                        ObjectRef::new(&np.name).within(np.namespace.as_deref().unwrap_or(""))
                    })
                    .collect::<Vec<ObjectRef<CachedNodePool>>>()
            })
            // A change of a CloudAccount re-reconciles the NodePools that use it.
            .reconcile_on(account_triggers)
            .shutdown_on_signal()
            .run(reconcile, error_policy, ctx.clone());
        runs.push(run.boxed());
    }
    futures::stream::select_all(runs)
        .for_each(|res| async move {
            match res {
                Ok((obj, _)) => debug!(object = %obj, "reconciled"),
                // Each failure was logged once at warn with its reason where it ended the
                // reconcile (`status::fail`); queue errors are the runtime's own.
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
    fn watch_backoff_doubles_to_one_second_and_resets() {
        let mut b = WatchBackoff::new();
        let waits: Vec<Duration> = (0..8).map(|_| b.next().expect("endless")).collect();
        let nominal = [0.25, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0];
        for (w, n) in waits.iter().zip(nominal) {
            let s = w.as_secs_f64();
            assert!(s >= n * 0.8 - 1e-9 && s <= n * 1.2 + 1e-9, "{s} vs {n}");
        }
        b.reset();
        assert!(b.next().expect("endless") <= Duration::from_millis(300));
    }
}
