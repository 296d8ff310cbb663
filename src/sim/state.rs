//! The simulator's shared state ([`Sim`]) and what its handlers take and give ([`Ctx`],
//! [`Reply`]), in their own module so that the module root (which runs [`super::server`]) and
//! the server (which serves this state) do not import each other.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

use super::config::{self, Faults, Scenario, Timings};
use super::model;
use super::store::{self, Store};

/// Lifecycle timings in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimingsMs {
    /// From create until the first node arrives.
    pub provision: i64,
    /// Per node.
    pub step: i64,
    /// From delete until gone.
    pub delete: i64,
    /// ACK `updating` duration.
    pub update: i64,
}

impl From<Timings> for TimingsMs {
    fn from(t: Timings) -> Self {
        Self {
            provision: config::millis(t.provision_seconds),
            step: config::millis(t.node_seconds),
            delete: config::millis(t.delete_seconds),
            update: config::millis(t.update_seconds),
        }
    }
}

/// What a handler needs besides the store.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    /// Now, in milliseconds since the epoch.
    pub now: i64,
    /// Lifecycle timings.
    pub timings: TimingsMs,
    /// The current faults.
    pub faults: &'a Faults,
}

/// A JSON answer before the HTTP layer adds headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Value,
}

impl Reply {
    /// A reply.
    pub fn new(status: u16, body: Value) -> Self {
        Self { status, body }
    }
}

/// Counter key: (cloud, operation, outcome).
pub type CounterKey = (&'static str, &'static str, &'static str);

/// A token bucket for one account's rate limit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bucket {
    pub(super) tokens: f64,
    pub(super) last_ms: i64,
}

/// Recently seen Alibaba signature nonces, for replay detection.
#[derive(Debug, Default)]
pub(super) struct Nonces {
    pub(super) seen: HashSet<String>,
    pub(super) order: VecDeque<(i64, String)>,
}

/// The running simulator's shared state.
pub struct Sim {
    pub(super) huawei_keys: HashMap<String, SecretString>,
    pub(super) huawei_tokens: HashMap<String, Option<String>>,
    pub(super) alibaba_keys: HashMap<String, SecretString>,
    pub(super) timings: TimingsMs,
    pub(super) max_skew: Duration,
    pub(super) start_faults: Faults,
    pub(super) start_clusters: (Vec<String>, Vec<String>),
    pub(super) state_path: Option<PathBuf>,
    pub(super) store: Mutex<Store>,
    pub(super) faults: Mutex<Faults>,
    pub(super) buckets: Mutex<HashMap<String, Bucket>>,
    pub(super) counters: Mutex<BTreeMap<CounterKey, u64>>,
    pub(super) nonces: Mutex<Nonces>,
    pub(super) dirty: AtomicBool,
    /// The identity services (STS, IAM, metadata) and the credentials they issued.
    pub(super) identity: super::identity::Identity,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sim {
    /// Builds a simulator from a merged scenario; loads the state file if it exists.
    pub fn new(scenario: Scenario, state_path: Option<PathBuf>) -> Result<Arc<Self>, String> {
        let mut store = match &state_path {
            Some(p) if p.exists() => Store::load(p)?,
            _ => Store::default(),
        };
        store
            .huawei_clusters
            .extend(scenario.huawei.clusters.iter().cloned());
        store
            .alibaba_clusters
            .extend(scenario.alibaba.clusters.iter().cloned());
        let keys = |accounts: &[config::Account]| {
            accounts
                .iter()
                .map(|a| {
                    (
                        a.access_key.clone(),
                        SecretString::from(a.secret_key.clone()),
                    )
                })
                .collect::<HashMap<_, _>>()
        };
        Ok(Arc::new(Self {
            huawei_keys: keys(&scenario.huawei.accounts),
            huawei_tokens: scenario
                .huawei
                .tokens
                .iter()
                .map(|t| (t.token.clone(), t.project_id.clone()))
                .collect(),
            alibaba_keys: keys(&scenario.alibaba.accounts),
            timings: scenario.timings.into(),
            max_skew: Duration::from_secs(scenario.max_skew_seconds.unwrap_or(900)),
            start_faults: scenario.faults.clone(),
            start_clusters: (
                scenario.huawei.clusters.clone(),
                scenario.alibaba.clusters.clone(),
            ),
            state_path,
            store: Mutex::new(store),
            faults: Mutex::new(scenario.faults),
            buckets: Mutex::new(HashMap::new()),
            counters: Mutex::new(BTreeMap::new()),
            nonces: Mutex::new(Nonces::default()),
            dirty: AtomicBool::new(false),
            identity: super::identity::Identity::new(scenario.identity)?,
        }))
    }

    /// Saves the state file now (no-op without `--state`).
    pub fn save(&self) -> Result<bool, String> {
        let Some(path) = &self.state_path else {
            return Ok(false);
        };
        self.dirty.store(false, Ordering::SeqCst);
        let bytes = {
            let mut store = lock(&self.store);
            store.purge(model::now_ms(), self.timings.delete);
            store.to_file_bytes()
        };
        store::write_atomically(path, &bytes)
            .map_err(|e| format!("writing state {}: {e}", path.display()))?;
        Ok(true)
    }

    /// Saves the state if anything changed since the last save.
    pub fn save_if_dirty(&self) -> Result<bool, String> {
        if self.dirty.load(Ordering::SeqCst) {
            self.save()
        } else {
            Ok(false)
        }
    }

    /// The counters as a sorted list.
    pub fn counters(&self) -> Vec<(CounterKey, u64)> {
        lock(&self.counters).iter().map(|(k, v)| (*k, *v)).collect()
    }
}
