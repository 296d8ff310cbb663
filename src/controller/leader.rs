//! Leader election on a `coordination.k8s.io` Lease: every replica watches and keeps its caches
//! warm, only the Lease holder reconciles (calls clouds, writes status).

use std::time::Duration;

use kube::Client;
use kube_lease_manager::LeaseManagerBuilder;
use tokio::sync::watch;
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

/// Whether this replica may act. Cheap to clone and to ask.
#[derive(Clone, Debug)]
pub struct LeaderGate(watch::Receiver<bool>);

impl LeaderGate {
    /// A gate that is always open (single replica, no election).
    pub fn always() -> Self {
        let (tx, rx) = watch::channel(true);
        // Keep the sender alive for the life of the process so the value stays readable.
        std::mem::forget(tx);
        LeaderGate(rx)
    }

    /// Whether this replica holds the Lease now.
    pub fn is_leader(&self) -> bool {
        *self.0.borrow()
    }

    /// Starts the election; the gate opens while this replica holds the Lease.
    pub async fn elect(
        client: Client,
        cfg: &LeaderElection,
    ) -> Result<Self, kube_lease_manager::LeaseManagerError> {
        let seconds = cfg.lease_seconds.max(2);
        let manager = LeaseManagerBuilder::new(client, &cfg.lease_name)
            .with_namespace(&cfg.namespace)
            .with_identity(&cfg.identity)
            .with_duration(seconds)
            .with_grace((seconds / 3).max(1))
            // One field manager per replica: a replica takes a free Lease by an unforced
            // server-side apply, and only a conflict between two managers stops a second
            // replica from taking it at the same moment. With one manager shared by all
            // replicas, two could lead at once.
            .with_field_manager(lease_field_manager(&cfg.identity))
            .build()
            .await?;
        let (rx, task) = manager.watch().await;
        let mut watch_rx = rx.clone();
        let identity = cfg.identity.clone();
        tokio::spawn(async move {
            while watch_rx.changed().await.is_ok() {
                let leading = *watch_rx.borrow_and_update();
                info!(identity = %identity, leading, "leadership changed");
            }
            match task.await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warn!(error = %e, "leader election stopped"),
                Err(e) => warn!(error = %e, "leader election task failed"),
            }
        });
        Ok(LeaderGate(rx))
    }
}

/// How long a non-leader waits before looking again.
pub const FOLLOWER_RECHECK: Duration = Duration::from_secs(2);

/// The field manager of this replica's Lease writes: unique per identity (see
/// [`LeaderGate::elect`]), at most 128 bytes as the API server requires.
pub fn lease_field_manager(identity: &str) -> String {
    let mut name = format!("{}-{identity}", crate::crd::FIELD_MANAGER);
    if name.len() > 128 {
        let mut end = 128;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_write_the_lease_as_different_field_managers() {
        let a = lease_field_manager("nodepool-controller-7d9f-abcde");
        let b = lease_field_manager("nodepool-controller-7d9f-fghij");
        assert_ne!(a, b);
        assert!(a.starts_with(crate::crd::FIELD_MANAGER));
        let long = lease_field_manager(&"x".repeat(300));
        assert_eq!(long.len(), 128);
    }
}
