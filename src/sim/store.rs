//! Everything the simulator remembers, and saving it to / loading it from a file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::Progress;

/// A CCE node pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CcePool {
    /// Project the pool lives in.
    pub project_id: String,
    /// Cluster the pool lives in.
    pub cluster_id: String,
    /// `metadata` as the cloud renders it (name, uid, timestamps, annotations).
    pub metadata: Value,
    /// `spec` as the cloud renders it (`initialNodeCount` is filled from `progress.to`).
    pub spec: Value,
    /// The node count's current move.
    pub progress: Progress,
    /// When a delete was accepted.
    pub deleting_since_ms: Option<i64>,
    /// The delete job's id.
    pub job_id: Option<String>,
    /// Before then the pool is invisible (its create answer was lost; see
    /// [`Faults::late_visibility_ms`](super::config::Faults::late_visibility_ms)).
    #[serde(default)]
    pub visible_from_ms: i64,
}

impl CcePool {
    /// The pool id (`metadata.uid`).
    pub fn uid(&self) -> &str {
        self.metadata["uid"].as_str().unwrap_or_default()
    }

    /// The pool name (`metadata.name`).
    pub fn name(&self) -> &str {
        self.metadata["name"].as_str().unwrap_or_default()
    }

    /// Whether list and get show the pool at `now_ms`.
    pub fn visible(&self, now_ms: i64) -> bool {
        now_ms >= self.visible_from_ms
    }

    /// The flavor of the default scale group.
    pub fn flavor(&self) -> &str {
        self.spec["nodeTemplate"]["flavor"]
            .as_str()
            .unwrap_or_default()
    }
}

/// A CCE job (only delete jobs are recorded).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CceJob {
    /// Job id.
    pub id: String,
    /// Job type, e.g. `DeleteNodepool`.
    pub job_type: String,
    /// Project.
    pub project_id: String,
    /// Cluster.
    pub cluster_id: String,
    /// The node pool id.
    pub resource_id: String,
    /// The node pool name.
    pub resource_name: String,
    /// When it started.
    pub created_ms: i64,
    /// When it is done.
    pub done_ms: i64,
}

/// An ACK node pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AckPool {
    /// Cluster the pool lives in.
    pub cluster_id: String,
    /// The pool object as DescribeClusterNodePoolDetail renders it, without `status`.
    pub body: Value,
    /// The node count's current move.
    pub progress: Progress,
    /// Whether the current move is the creation (state `initial` during the delay).
    pub creating: bool,
    /// A configuration update keeps the pool `updating` until then.
    pub updating_until_ms: i64,
    /// When a delete was accepted.
    pub deleting_since_ms: Option<i64>,
    /// Before then the pool is invisible (its create answer was lost; see
    /// [`Faults::late_visibility_ms`](super::config::Faults::late_visibility_ms)).
    #[serde(default)]
    pub visible_from_ms: i64,
}

impl AckPool {
    /// The pool id.
    pub fn id(&self) -> &str {
        self.body["nodepool_info"]["nodepool_id"]
            .as_str()
            .unwrap_or_default()
    }

    /// The pool name.
    pub fn name(&self) -> &str {
        self.body["nodepool_info"]["name"]
            .as_str()
            .unwrap_or_default()
    }

    /// Whether list and get show the pool at `now_ms`.
    pub fn visible(&self, now_ms: i64) -> bool {
        now_ms >= self.visible_from_ms
    }

    /// The instance types.
    pub fn instance_types(&self) -> Vec<String> {
        self.body["scaling_group"]["instance_types"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// An ACK task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AckTask {
    /// Task id.
    pub id: String,
    /// Cluster.
    pub cluster_id: String,
    /// Task type, e.g. `nodepool_create`.
    pub task_type: String,
    /// The node pool the task works on.
    pub nodepool_id: String,
    /// When it started.
    pub created_ms: i64,
    /// When it is done.
    pub done_ms: i64,
    /// `(code, message)` when it fails.
    pub error: Option<(String, String)>,
}

/// The simulator's whole state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Store {
    /// CCE clusters as `PROJECT_ID/CLUSTER_ID`.
    pub huawei_clusters: BTreeSet<String>,
    /// ACK cluster ids.
    pub alibaba_clusters: BTreeSet<String>,
    /// CCE pools by uid.
    pub cce_pools: BTreeMap<String, CcePool>,
    /// CCE jobs by id.
    pub cce_jobs: BTreeMap<String, CceJob>,
    /// ACK pools by id.
    pub ack_pools: BTreeMap<String, AckPool>,
    /// ACK tasks by id.
    pub ack_tasks: BTreeMap<String, AckTask>,
}

/// How long finished jobs and tasks are kept.
const TASK_RETENTION_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Removes pools whose delete has finished and old finished jobs and tasks.
    pub fn purge(&mut self, now_ms: i64, delete_ms: i64) {
        self.cce_pools
            .retain(|_, p| p.deleting_since_ms.is_none_or(|t| t + delete_ms > now_ms));
        self.ack_pools
            .retain(|_, p| p.deleting_since_ms.is_none_or(|t| t + delete_ms > now_ms));
        self.cce_jobs
            .retain(|_, j| j.done_ms + TASK_RETENTION_MS > now_ms);
        self.ack_tasks
            .retain(|_, t| t.done_ms + TASK_RETENTION_MS > now_ms);
    }

    /// Reads a state file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read(path).map_err(|e| format!("reading state {}: {e}", path.display()))?;
        let file: StateFile = serde_json::from_slice(&text)
            .map_err(|e| format!("parsing state {}: {e}", path.display()))?;
        if file.version != STATE_VERSION {
            return Err(format!(
                "state {} has version {}, this simulator reads {STATE_VERSION}",
                path.display(),
                file.version
            ));
        }
        Ok(file.store)
    }

    /// Serialises the state file.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        let file = StateFileRef {
            version: STATE_VERSION,
            store: self,
        };
        // Every value in the store is plain data: serialising cannot fail.
        serde_json::to_vec_pretty(&file).unwrap_or_default()
    }
}

/// Writes `bytes` to `path` atomically (a temporary file beside it, then a rename).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

const STATE_VERSION: u32 = 1;

#[derive(Deserialize)]
struct StateFile {
    version: u32,
    store: Store,
}

#[derive(Serialize)]
struct StateFileRef<'a> {
    version: u32,
    store: &'a Store,
}
