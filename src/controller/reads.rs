//! Batched cloud reads: one list call per cloud cluster serves every NodePool of that cluster.
//!
//! Reading each pool with its own GET costs one cloud request per NodePool per poll; a fleet
//! of NodePools would spend an account's API rate limit on reads. Instead, a reconcile asks for
//! its pool in a snapshot of the cluster's pool list that is recent enough for it (`max_age`:
//! short while the pool is changing, half the resync interval when it is steady) and taken
//! after the controller's own last change to the pool (`not_before`), so a snapshot from before
//! an update is never mistaken for its result. Concurrent callers for the same cluster wait for
//! one list call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::cloud::{Cloud, CloudError, CloudPool, NodePoolProvider};

/// Which list a snapshot is: the cloud, the credentials used (Secret namespace/name), the region,
/// the project (CCE) and the cluster.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct ClusterKey {
    /// The cloud.
    pub cloud: Cloud,
    /// The credentials Secret (`namespace/name`): accounts may see different pools.
    pub credentials: String,
    /// The region.
    pub region: String,
    /// The CCE project (empty for ACK).
    pub project: String,
    /// The cluster.
    pub cluster: String,
}

struct Snapshot {
    taken: Instant,
    pools: HashMap<String, CloudPool>,
}

type Slot = Arc<tokio::sync::Mutex<Option<Snapshot>>>;

/// Snapshots of cluster pool lists, shared by all reconciles.
#[derive(Default)]
pub struct ClusterReads {
    slots: Mutex<HashMap<ClusterKey, Slot>>,
}

/// What a batched read found.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // short-lived, one per reconcile
pub enum Read {
    /// The pool as the snapshot shows it, without the cloud's raw `spec` and `status`
    /// (`null`): phase, node counts and conditions are kept.
    Found(CloudPool),
    /// The snapshot does not show the pool (confirm with a GET before believing it gone).
    Absent,
}

impl ClusterReads {
    fn slot(&self, key: &ClusterKey) -> Slot {
        self.slots
            .lock()
            .expect("cluster reads lock")
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// The pool `id` in a snapshot of its cluster taken after `not_before` and at most
    /// `max_age` old; lists the cluster when there is no such snapshot.
    pub async fn read(
        &self,
        key: &ClusterKey,
        provider: &dyn NodePoolProvider,
        id: &str,
        not_before: Option<Instant>,
        max_age: Duration,
    ) -> Result<Read, CloudError> {
        let mut found = self
            .select(key, provider, not_before, max_age, |p| p.id == id)
            .await?;
        Ok(match found.pop() {
            Some(p) => Read::Found(p),
            None => Read::Absent,
        })
    }

    /// The pools matching `pick` in a snapshot of the cluster taken after `not_before` and at
    /// most `max_age` old; lists the cluster when there is no such snapshot.
    pub async fn select(
        &self,
        key: &ClusterKey,
        provider: &dyn NodePoolProvider,
        not_before: Option<Instant>,
        max_age: Duration,
        pick: impl Fn(&CloudPool) -> bool,
    ) -> Result<Vec<CloudPool>, CloudError> {
        let slot = self.slot(key);
        let mut guard = slot.lock().await;
        let now = Instant::now();
        let usable = guard.as_ref().is_some_and(|s| {
            now.duration_since(s.taken) <= max_age && not_before.is_none_or(|nb| s.taken > nb)
        });
        if !usable {
            let taken = Instant::now();
            let pools = provider.list(&key.cluster).await?;
            *guard = Some(Snapshot {
                taken,
                pools: pools
                    .into_iter()
                    .map(|mut p| {
                        // The reconcile reads phase, counts, conditions, the owner mark and the
                        // managed fields only; the cloud's own spec and status are most of a
                        // pool's size and would be held for every pool of the fleet.
                        p.spec = serde_json::Value::Null;
                        p.status = serde_json::Value::Null;
                        (p.id.clone(), p)
                    })
                    .collect(),
            });
        }
        let snapshot = guard.as_ref().expect("a snapshot was just stored");
        let mut out: Vec<CloudPool> = snapshot
            .pools
            .values()
            .filter(|p| pick(p))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Drops snapshots older than `max_age` (they would be refreshed before any use anyway), so
    /// memory holds only recent lists.
    pub fn evict_older_than(&self, max_age: Duration) {
        let now = Instant::now();
        self.slots
            .lock()
            .expect("cluster reads lock")
            .retain(|_, slot| match slot.try_lock() {
                Ok(s) => s
                    .as_ref()
                    .is_some_and(|s| now.duration_since(s.taken) <= max_age),
                // In use right now: keep.
                Err(_) => true,
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{Accepted, CreatedPool, NodeCounts, PoolUpdate};
    use async_trait::async_trait;
    use serde_json::Value;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A provider that only lists, counting its calls.
    struct Lister {
        lists: AtomicU32,
        ids: Vec<&'static str>,
    }

    fn pool(id: &str) -> CloudPool {
        CloudPool {
            id: id.into(),
            name: id.into(),
            cloud_phase: String::new(),
            nodes: NodeCounts::default(),
            conditions: vec![],
            spec: serde_json::json!({"nodeTemplate": {"flavor": "s6.large.2"}}),
            status: serde_json::json!({"phase": "", "currentNode": 1}),
            ..CloudPool::default()
        }
    }

    #[async_trait]
    impl NodePoolProvider for Lister {
        fn cloud(&self) -> Cloud {
            Cloud::Huawei
        }
        async fn create(&self, _: &str, _: &Value) -> Result<CreatedPool, CloudError> {
            unreachable!("reads only list")
        }
        async fn get(&self, _: &str, _: &str) -> Result<CloudPool, CloudError> {
            unreachable!("reads only list")
        }
        async fn list(&self, _: &str) -> Result<Vec<CloudPool>, CloudError> {
            self.lists.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            Ok(self.ids.iter().map(|id| pool(id)).collect())
        }
        async fn find_by_name(&self, _: &str, _: &str) -> Result<Option<CloudPool>, CloudError> {
            unreachable!("reads only list")
        }
        async fn find_by_tag(
            &self,
            _: &str,
            _: &str,
            _: &str,
        ) -> Result<Option<CloudPool>, CloudError> {
            unreachable!("reads only list")
        }
        async fn update(&self, _: &str, _: &str, _: &PoolUpdate) -> Result<Accepted, CloudError> {
            unreachable!("reads only list")
        }
        async fn delete(&self, _: &str, _: &str) -> Result<Accepted, CloudError> {
            unreachable!("reads only list")
        }
        async fn scale(&self, _: &str, _: &str, _: u32) -> Result<Accepted, CloudError> {
            unreachable!("reads only list")
        }
    }

    fn key(cluster: &str) -> ClusterKey {
        ClusterKey {
            cloud: Cloud::Huawei,
            credentials: "ns/creds".into(),
            region: "cn-north-4".into(),
            project: "p".into(),
            cluster: cluster.into(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_readers_of_a_cluster_share_one_list() {
        let reads = Arc::new(ClusterReads::default());
        let provider = Arc::new(Lister {
            lists: AtomicU32::new(0),
            ids: vec!["a", "b", "c"],
        });
        let mut tasks = Vec::new();
        for id in ["a", "b", "c", "a", "x"] {
            let (reads, provider) = (reads.clone(), provider.clone());
            tasks.push(tokio::spawn(async move {
                reads
                    .read(
                        &key("c1"),
                        provider.as_ref(),
                        id,
                        None,
                        Duration::from_secs(10),
                    )
                    .await
            }));
        }
        let mut found = 0;
        let mut absent = 0;
        for t in tasks {
            match t.await.expect("task").expect("read") {
                Read::Found(p) => {
                    found += 1;
                    assert!(!p.id.is_empty() && p.name == p.id, "identity kept: {p:?}");
                    assert!(
                        p.spec.is_null() && p.status.is_null(),
                        "snapshots keep no raw cloud objects: {p:?}"
                    );
                }
                Read::Absent => absent += 1,
            }
        }
        assert_eq!((found, absent), (4, 1));
        assert_eq!(
            provider.lists.load(Ordering::SeqCst),
            1,
            "one list for five readers"
        );
        // Another cluster is another list.
        reads
            .read(
                &key("c2"),
                provider.as_ref(),
                "a",
                None,
                Duration::from_secs(10),
            )
            .await
            .expect("read");
        assert_eq!(provider.lists.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn snapshots_expire_and_never_predate_an_own_change() {
        let reads = ClusterReads::default();
        let provider = Lister {
            lists: AtomicU32::new(0),
            ids: vec!["a"],
        };
        let max_age = Duration::from_secs(10);
        reads
            .read(&key("c1"), &provider, "a", None, max_age)
            .await
            .expect("read");
        tokio::time::advance(Duration::from_secs(5)).await;
        reads
            .read(&key("c1"), &provider, "a", None, max_age)
            .await
            .expect("read");
        assert_eq!(
            provider.lists.load(Ordering::SeqCst),
            1,
            "fresh enough: reused"
        );
        // The controller changed the pool after the snapshot: the next read lists again.
        let changed = Instant::now();
        tokio::time::advance(Duration::from_millis(1)).await;
        reads
            .read(&key("c1"), &provider, "a", Some(changed), max_age)
            .await
            .expect("read");
        assert_eq!(
            provider.lists.load(Ordering::SeqCst),
            2,
            "older than the change: listed"
        );
        tokio::time::advance(Duration::from_secs(11)).await;
        reads
            .read(&key("c1"), &provider, "a", None, max_age)
            .await
            .expect("read");
        assert_eq!(provider.lists.load(Ordering::SeqCst), 3, "too old: listed");
        reads.evict_older_than(Duration::from_secs(1));
        tokio::time::advance(Duration::from_secs(2)).await;
        reads.evict_older_than(Duration::from_secs(1));
        assert!(reads.slots.lock().expect("lock").is_empty());
    }
}
