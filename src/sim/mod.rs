//! The cloud simulator behind `nodepool-cloudsim`: the Huawei CCE v3 and Alibaba ACK node-pool
//! APIs on one local port, with real request signing, node pools that move through their
//! lifecycle over time, injectable faults and an admin API under `/_sim/`.
//!
//! * [`huawei`] and [`alibaba`]: the two APIs (routing, validation, answers).
//! * [`model`]: node-count progress as a pure function of time.
//! * [`store`]: the state and its file.
//! * [`server`]: HTTP, authentication, faults, counters and the admin API.
//! * [`config`]: flags and the YAML scenario file.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;

pub mod alibaba;
pub mod config;
pub mod huawei;
pub mod model;
pub mod server;
pub mod store;

pub use config::{Args, Faults, Scenario, Timings};
use store::Store;

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
struct Bucket {
    tokens: f64,
    last_ms: i64,
}

/// Recently seen Alibaba signature nonces, for replay detection.
#[derive(Debug, Default)]
struct Nonces {
    seen: HashSet<String>,
    order: VecDeque<(i64, String)>,
}

/// The running simulator's shared state.
pub struct Sim {
    huawei_keys: HashMap<String, SecretString>,
    huawei_tokens: HashMap<String, Option<String>>,
    alibaba_keys: HashMap<String, SecretString>,
    timings: TimingsMs,
    max_skew: Duration,
    start_faults: Faults,
    start_clusters: (Vec<String>, Vec<String>),
    state_path: Option<PathBuf>,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    buckets: Mutex<HashMap<String, Bucket>>,
    counters: Mutex<BTreeMap<CounterKey, u64>>,
    nonces: Mutex<Nonces>,
    dirty: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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

/// Runs the simulator until SIGINT/SIGTERM: binds, prints `nodepool-cloudsim listening on ADDR`
/// on stdout, serves, and saves the state on the way out.
pub async fn run(args: Args) -> Result<(), String> {
    let scenario = match &args.config {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default(),
    }
    .merge_args(&args)?;
    let sim = Sim::new(scenario, args.state.clone())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "nodepool-cloudsim listening on {addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, "listening");
    let saver = {
        let sim = sim.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                if let Err(e) = sim.save_if_dirty() {
                    tracing::warn!(error = %e, "saving state");
                }
            }
        })
    };
    let result = server::serve(listener, sim.clone(), shutdown_signal()).await;
    saver.abort();
    sim.save()?;
    result
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
