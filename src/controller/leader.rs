//! Leader election on a `coordination.k8s.io` Lease, with fencing: every replica watches and
//! keeps its caches warm, only the Lease holder reconciles (calls clouds, writes status), and a
//! holder that cannot renew stops acting *before* anyone else may take the Lease over.
//!
//! The algorithm is client-go's: the holder renews `renewTime` every [`LeaderElection::retry`]
//! with an update that carries the Lease's `resourceVersion` (optimistic concurrency: of two
//! replicas writing the same version, one gets a conflict). A replica that is not the holder
//! takes the Lease only after it has seen the same holder and `renewTime` for a whole lease
//! duration on its own clock (no comparison of clocks between machines).
//!
//! Fencing: the holder counts itself leader only until `renew deadline` (2/3 of the lease
//! duration) after the start of its last successful renewal, measured on its monotonic clock.
//! A holder cut off from the API server therefore stops before the Lease can expire for the
//! others, and [`LeaderGate::lost`] lets in-flight work stop at that moment.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::time::Instant;
use tracing::{info, warn};

/// Where the Lease lives and who this replica is.
#[derive(Clone, Debug)]
pub struct LeaderElection {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub lease_name: String,
    /// This replica's identity (the Pod name in a cluster).
    pub identity: String,
    /// How long a Lease is held without renewal.
    pub lease_seconds: u64,
}

impl LeaderElection {
    fn duration(&self) -> Duration {
        Duration::from_secs(self.lease_seconds.max(3))
    }

    /// How long after the start of its last successful renewal the holder still acts.
    pub fn renew_deadline(&self) -> Duration {
        self.duration() * 2 / 3
    }

    /// How often the holder renews and a follower looks.
    pub fn retry(&self) -> Duration {
        (self.duration() / 6).max(Duration::from_millis(250))
    }
}

#[derive(Debug)]
struct GateState {
    /// `None`: not the holder; `Some(t)`: the holder, acting until `t`.
    until: Mutex<Option<Instant>>,
    always: bool,
}

/// Whether this replica may act. Cheap to clone and to ask.
#[derive(Clone, Debug)]
pub struct LeaderGate(Arc<GateState>);

impl LeaderGate {
    /// A gate that is always open (single replica, no election).
    pub fn always() -> Self {
        LeaderGate(Arc::new(GateState {
            until: Mutex::new(None),
            always: true,
        }))
    }

    fn closed() -> Self {
        LeaderGate(Arc::new(GateState {
            until: Mutex::new(None),
            always: false,
        }))
    }

    fn until(&self) -> Option<Instant> {
        *self.0.until.lock().expect("leader gate lock")
    }

    fn set(&self, until: Option<Instant>) {
        *self.0.until.lock().expect("leader gate lock") = until;
    }

    /// Whether this replica holds the Lease now (and its last renewal is recent enough).
    pub fn is_leader(&self) -> bool {
        self.0.always || self.until().is_some_and(|t| Instant::now() < t)
    }

    /// Completes when this replica stops being the leader (never for [`LeaderGate::always`]).
    pub async fn lost(&self) {
        if self.0.always {
            return std::future::pending().await;
        }
        loop {
            match self.until() {
                Some(t) if Instant::now() < t => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Starts the election; the gate opens while this replica holds the Lease.
    pub async fn elect(client: Client, cfg: &LeaderElection) -> Result<Self, kube::Error> {
        let api: Api<Lease> = Api::namespaced(client, &cfg.namespace);
        let gate = LeaderGate::closed();
        let mut elector = Elector {
            api,
            cfg: cfg.clone(),
            seen: None,
        };
        // The first attempt runs before the controller starts, so that a single replica leads
        // from its first reconcile; errors surface here (e.g. no RBAC on Leases).
        let started = Instant::now();
        if elector.step().await? {
            gate.set(Some(started + cfg.renew_deadline()));
        }
        let task_gate = gate.clone();
        tokio::spawn(async move {
            let mut leading = task_gate.is_leader();
            info!(identity = %elector.cfg.identity, leading, "leader election started");
            loop {
                tokio::time::sleep(elector.cfg.retry()).await;
                let started = Instant::now();
                match elector.step().await {
                    Ok(true) => task_gate.set(Some(started + elector.cfg.renew_deadline())),
                    Ok(false) => task_gate.set(None),
                    // The deadline of the last renewal stands: the gate closes by itself.
                    Err(e) => warn!(error = %e, "could not renew or acquire the Lease"),
                }
                let now = task_gate.is_leader();
                if now != leading {
                    info!(identity = %elector.cfg.identity, leading = now, "leadership changed");
                    leading = now;
                }
            }
        });
        Ok(gate)
    }
}

/// What a follower last saw of the Lease, and when (on its own clock).
struct Seen {
    holder: Option<String>,
    renew: Option<MicroTime>,
    at: Instant,
}

struct Elector {
    api: Api<Lease>,
    cfg: LeaderElection,
    seen: Option<Seen>,
}

impl Elector {
    /// One attempt to renew or acquire; `Ok(true)` when this replica holds the Lease.
    async fn step(&mut self) -> Result<bool, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let me = self.cfg.identity.clone();
        let seconds = i32::try_from(self.cfg.duration().as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.cfg.lease_name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.cfg.lease_name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return conflict_is_false(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        if holder.as_deref() != Some(me.as_str()) {
            let changed = self
                .seen
                .as_ref()
                .is_none_or(|s| s.holder != holder || s.renew != spec.renew_time);
            if changed {
                self.seen = Some(Seen {
                    holder: holder.clone(),
                    renew: spec.renew_time.clone(),
                    at: Instant::now(),
                });
            }
            let held_for = spec
                .lease_duration_seconds
                .and_then(|s| u64::try_from(s).ok())
                .map_or(self.cfg.duration(), Duration::from_secs);
            let expired = self
                .seen
                .as_ref()
                .is_some_and(|s| s.at.elapsed() >= held_for);
            if holder.is_some() && !expired {
                return Ok(false);
            }
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            spec.holder_identity = Some(me);
        }
        spec.renew_time = Some(now);
        spec.lease_duration_seconds = Some(seconds);
        let name = self.cfg.lease_name.clone();
        // `replace` sends the resourceVersion read above: a concurrent writer makes it a 409.
        conflict_is_false(
            self.api
                .replace(&name, &PostParams::default(), &lease)
                .await,
        )
    }
}

fn conflict_is_false(result: Result<Lease, kube::Error>) -> Result<bool, kube::Error> {
    match result {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
        Err(e) => Err(e),
    }
}

/// How long a non-leader waits before looking again.
pub const FOLLOWER_RECHECK: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(seconds: u64) -> LeaderElection {
        LeaderElection {
            namespace: "ns".into(),
            lease_name: "l".into(),
            identity: "me".into(),
            lease_seconds: seconds,
        }
    }

    #[test]
    fn the_holder_stops_well_before_others_may_take_over() {
        let c = cfg(15);
        assert_eq!(c.renew_deadline(), Duration::from_secs(10));
        assert_eq!(c.retry(), Duration::from_millis(2500));
        assert!(c.retry() * 3 < c.renew_deadline());
        assert_eq!(cfg(0).renew_deadline(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_gate_closes_at_the_deadline_of_the_last_renewal() {
        let gate = LeaderGate::closed();
        assert!(!gate.is_leader());
        gate.lost().await;
        gate.set(Some(Instant::now() + Duration::from_secs(10)));
        assert!(gate.is_leader());
        let before = Instant::now();
        gate.lost().await;
        assert_eq!(before.elapsed(), Duration::from_secs(10));
        assert!(!gate.is_leader());
        assert!(LeaderGate::always().is_leader());
    }
}
