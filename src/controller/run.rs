//! Running the controller: the watches (NodePools, credentials Secrets' metadata), leader
//! election, the health and metrics server, and the reconcile stream.

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
use super::context::{Config, Context, OwnWrites};
use super::error::error_policy;
use super::leader::LeaderGate;
use super::reads::ClusterReads;
use super::reconcile::reconcile;
use crate::cloud::ratelimit::RateLimiters;
use crate::crd::{CloudAccount, NodePool};
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
    let (accounts, accounts_writer) = reflector::store();
    let account_events = reflector(
        accounts_writer,
        watcher::watcher(
            Api::<CloudAccount>::all(client.clone()),
            watcher::Config::default(),
        ),
    )
    .touched_objects();
    let (secrets, secrets_writer) = reflector::store();
    let (store, writer) = reflector::store();
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
        nodepools: store.clone(),
        accounts,
        account_cache: Default::default(),
        client,
        config: config.clone(),
    });
    // The NodePool cache holds compact objects (see [`CachedNodePool`]). Readiness: the watch
    // has listed everything once.
    let cached: Api<CachedNodePool> = match &config.namespace {
        Some(ns) => Api::namespaced(ctx.client.clone(), ns),
        None => Api::all(ctx.client.clone()),
    };
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
    // A change of a credentials Secret re-reconciles the NodePools that name it; a change of a
    // CloudAccount, the NodePools that use it.
    let account_store = store.clone();
    let account_writes = own_writes.clone();
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
        .watches_stream(account_events, move |account| {
            let name = account.metadata.name.clone();
            account_store
                .state()
                .into_iter()
                .filter(|np| name.is_some() && np.account_name() == name)
                .inspect(|np| account_writes.force(key(&np.metadata)))
                .map(|np| ObjectRef::from_obj(np.as_ref()))
                .collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
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
