//! The chaos driver of issue 8, run by `tests/chaos/run.sh` (which sets `NODEPOOL_CHAOS` and
//! starts a fresh local control plane). Without `NODEPOOL_CHAOS` the test PANICS: it never skips.
//!
//! Phases, in this order, each in a namespace and with a simulator of its own:
//!
//! 1. bad input: missing Secrets and keys, empty and wrong credentials, a Secret that exists only
//!    in another namespace (the controller here watches all namespaces, as in a cluster);
//! 2. crash chaos: NodePools of both clouds created, updated and deleted while the controller is
//!    killed with SIGKILL at seeded random moments;
//! 3. the same with two replicas under leader election, the leader killed;
//! 4. control-plane faults: kube-apiserver, then kube-apiserver and etcd, killed and restarted;
//!    meanwhile a proxy between the controller and the API server cuts every connection every
//!    2–6 s (watches that break), and another client writes the NodePools' status (its own
//!    condition by server-side apply, and stale read-modify-write PUTs that may conflict); the
//!    controller must leave that condition alone;
//! 5. cloud faults: 5xx, timeouts, throttling bursts and slow answers at the simulator; malformed,
//!    truncated, huge and wrongly typed answers and lost answers to mutations from a proxy in
//!    front of it, which also counts requests per pool; a permanently sold-out flavor;
//!
//! then a scan of every controller log, Event and status for every credential value used.
//!
//! Phases 2–5 share their cloud with other tenants: foreign pools made through the project's
//! clients with the clouds' own create bodies and no owner mark (the console, Terraform), before
//! and during the workload, some named as the workload's NodePools are or will be; in phases 2
//! and 3 also another team (a namespace of its own with its own controller) whose NodePools have
//! the workload's names. Each pool the phase's controller does not own is snapshotted when first
//! seen and must end unchanged and present; no pool at any simulator may change its owner mark.
//!
//! At the end of each phase: every NodePool has exactly one cloud pool with the spec's mutable
//! fields (or, where someone else's pool has its name, is Stalled `NameTaken` with none), deleted
//! ones have none, nothing else of its own is at the simulator, every status is Ready with the
//! cloud's ID. Everything is written to `$CHAOS_OUT/report.json`.

#[path = "common/kubeconfig.rs"]
mod kubeconfig;
use kubeconfig::{api_server_address, write_proxied_kubeconfig};

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use nodepool_controller::cloud::alibaba::marks as alibaba_marks;
use nodepool_controller::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use nodepool_controller::cloud::auth::{AccessKey, HuaweiAuth};
use nodepool_controller::cloud::huawei::marks as huawei_marks;
use nodepool_controller::cloud::huawei::{HuaweiClient, HuaweiConfig};
use nodepool_controller::cloud::ratelimit::{RateLimit, RateLimiters};
use nodepool_controller::cloud::{ErrorKind, NodePoolProvider};
use nodepool_controller::crd::{CloudAccount, FIELD_MANAGER, NodePool};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const HW_CLUSTER: &str = "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03";
const ALI_CLUSTER: &str = "c61da77e8bfbc4c4c999af2b51b65a1b";
const FLAVOR: &str = "s6.large.2";
const SOLD_OUT_FLAVOR: &str = "c7.soldout.2";
const INSTANCE_TYPE: &str = "ecs.g7.xlarge";

/// Credentials the simulator accepts. Every value here is scanned for at the end.
const HW_AK: &str = "HWAKCHAOS00000000001";
const HW_SK: &str = "hw-chaos-SECRET-0f3c9a-never-log";
const ALI_AK: &str = "LTAIchaos00000000001";
const ALI_SK: &str = "ali-chaos-SECRET-7d21be-never-log";
/// Refused credentials (bad-input phase).
const WRONG_HW_AK: &str = "HWAKWRONG00000000009";
const WRONG_HW_SK: &str = "hw-wrong-SECRET-55e1aa-never-log";
const BAD_SIG_HW_SK: &str = "hw-badsig-SECRET-9b0c11-never-log";
const WRONG_ALI_SK: &str = "ali-wrong-SECRET-c3f0d2-never-log";
const OTHER_NS_SK: &str = "hw-otherns-SECRET-4a7e60-never-log";
const HW_TOKEN: &str = "MIIchaosTOKEN-SECRET-e0a1b2-never-log";

fn secret_values() -> Vec<&'static str> {
    vec![
        HW_SK,
        ALI_SK,
        WRONG_HW_SK,
        BAD_SIG_HW_SK,
        WRONG_ALI_SK,
        OTHER_NS_SK,
        HW_TOKEN,
    ]
}

// ---------------------------------------------------------------------------------------------
// Settings and the report
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Settings {
    quick: bool,
    seed: u64,
    out: PathBuf,
    restart_script: PathBuf,
    kubeconfig: PathBuf,
    /// NodePools created in the crash phase.
    crash_pools: usize,
    /// Least SIGKILLs in the crash phase.
    crash_kills: usize,
    leader_pools: usize,
    leader_kills: usize,
    cp_pools: usize,
    fault_pools: usize,
    /// Rounds of foreign pools made before each phase's workload, and while it runs.
    foreign_before: usize,
    foreign_during: usize,
    converge_timeout: Duration,
}

impl Settings {
    fn from_env() -> Self {
        if std::env::var_os("NODEPOOL_CHAOS").is_none() {
            panic!(
                "NODEPOOL_CHAOS is not set: this is the chaos driver of tests/chaos/run.sh, which \
                 starts its own control plane and sets it; run `tests/chaos/run.sh --quick` \
                 (it is deliberately not part of a plain `cargo test`)"
            );
        }
        let quick = std::env::var("CHAOS_MODE").as_deref() != Ok("full");
        let seed = std::env::var("CHAOS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let out = std::env::var_os("CHAOS_OUT")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target/chaos"));
        let restart_script = std::env::var_os("CHAOS_RESTART")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("tests/chaos/restart-controlplane.sh"));
        let kubeconfig = PathBuf::from(
            std::env::var_os("NODEPOOL_TEST_KUBECONFIG")
                .expect("NODEPOOL_TEST_KUBECONFIG (set by tests/chaos/run.sh)"),
        );
        let n = |quick_n: usize, full_n: usize| if quick { quick_n } else { full_n };
        Settings {
            quick,
            seed,
            out,
            restart_script,
            kubeconfig,
            crash_pools: n(40, 300),
            crash_kills: n(6, 20),
            leader_pools: n(12, 60),
            leader_kills: n(2, 6),
            cp_pools: n(12, 60),
            fault_pools: n(16, 80),
            foreign_before: n(1, 3),
            foreign_during: n(2, 5),
            converge_timeout: Duration::from_secs(n(45, 300) as u64),
        }
    }
}

#[derive(Default)]
struct Report {
    kills_survived: u64,
    kills_by_phase: BTreeMap<String, u64>,
    faults: BTreeMap<String, u64>,
    bad_inputs: Vec<Value>,
    duplicates: Vec<String>,
    orphans: Vec<String>,
    missing: Vec<String>,
    wrong_spec: Vec<String>,
    untrue_status: Vec<String>,
    convergence: BTreeMap<String, f64>,
    phases: BTreeMap<String, Value>,
    secret_hits: Vec<String>,
    access_key_id_hits: BTreeMap<String, u64>,
    /// Pools the phases' controllers do not own (foreign and the other team's) snapshotted,
    /// and those of them that changed or went away.
    foreign_watched: u64,
    foreign_problems: Vec<String>,
    /// The workload's NodePools that ended Stalled with NameTaken (someone else's pool has the
    /// name), at each phase's last check.
    name_taken: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn fault(&mut self, kind: &str, n: u64) {
        *self.faults.entry(kind.to_string()).or_default() += n;
    }
    fn fail(&mut self, msg: impl Into<String>) {
        let msg = msg.into();
        eprintln!("chaos: FAILURE: {msg}");
        self.failures.push(msg);
    }
}

type Shared = Arc<Mutex<Report>>;

fn log(msg: impl AsRef<str>) {
    eprintln!(
        "chaos: {} {}",
        jiff::Timestamp::now().strftime("%H:%M:%S%.3f"),
        msg.as_ref()
    );
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A child process killed (SIGKILL) when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Proc {
    fn pid(&self) -> u32 {
        self.0.id()
    }
    /// SIGKILL and reap. Err when it had already exited by itself (a crash).
    fn sigkill(mut self) -> Result<(), String> {
        if let Ok(Some(status)) = self.0.try_wait() {
            return Err(format!(
                "the controller (pid {}) had exited by itself: {status}",
                self.0.id()
            ));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        Ok(())
    }
    fn exited(&mut self) -> Option<String> {
        self.0.try_wait().ok().flatten().map(|s| s.to_string())
    }
    /// Peak resident memory (VmHWM) in KiB.
    fn peak_rss_kib(&self) -> Option<u64> {
        let text = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).ok()?;
        text.lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }
}

fn start_sim(s: &Settings, phase: &str, faults: Option<&Value>) -> (Proc, String) {
    start_sim_with(s, phase, faults.map(|f| json!({ "faults": f })))
}

/// The simulator with a scenario file (`faults`, `identity`, ...), if any.
fn start_sim_with(s: &Settings, phase: &str, scenario: Option<Value>) -> (Proc, String) {
    let logs = s.out.join("logs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"));
    cmd.args(["--listen", "127.0.0.1:0"])
        .args(["--huawei-account", &format!("{HW_AK}:{HW_SK}")])
        .args(["--alibaba-account", &format!("{ALI_AK}:{ALI_SK}")])
        .args(["--huawei-token", HW_TOKEN])
        .args(["--huawei-cluster", &format!("{PROJECT}/{HW_CLUSTER}")])
        .args(["--alibaba-cluster", ALI_CLUSTER])
        .args(["--provision-seconds", "0.6", "--node-seconds", "0.1"])
        .args(["--delete-seconds", "0.6", "--update-seconds", "0.3"]);
    if let Some(scenario) = scenario {
        let path = logs.join(format!("sim-{phase}.yaml"));
        std::fs::write(&path, serde_yaml::to_string(&scenario).expect("yaml"))
            .expect("write scenario");
        cmd.arg("--config").arg(path);
    }
    let err = std::fs::File::create(logs.join(format!("sim-{phase}.log"))).expect("sim log");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::from(err))
        .spawn()
        .expect("the simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("the simulator prints its address");
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_string();
    let url = format!("http://{addr}");
    SIM_PHASES
        .lock()
        .unwrap()
        .insert(url.clone(), phase.to_string());
    (Proc(child), url)
}

/// How to start a controller.
#[derive(Clone)]
struct Ctl {
    namespace: Option<String>,
    endpoint: String,
    log: PathBuf,
    extra: Vec<String>,
    rust_log: String,
    kubeconfig: PathBuf,
}

impl Ctl {
    fn new(s: &Settings, namespace: Option<&str>, endpoint: &str, phase: &str) -> Self {
        Ctl {
            namespace: namespace.map(str::to_string),
            endpoint: endpoint.to_string(),
            log: s.out.join("logs").join(format!("controller-{phase}.log")),
            extra: Vec::new(),
            rust_log: std::env::var("CHAOS_RUST_LOG").unwrap_or_else(|_| "info,kube=warn".into()),
            kubeconfig: s.kubeconfig.clone(),
        }
    }

    fn start(&self) -> Proc {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("the log file");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nodepool-controller"));
        cmd.arg("run");
        if let Some(ns) = &self.namespace {
            cmd.args(["--namespace", ns]);
        }
        cmd.args(["--huawei-endpoint", &self.endpoint])
            .args(["--alibaba-endpoint", &self.endpoint])
            .args(["--poll-seconds", "0.5", "--resync-seconds", "20"])
            .args(["--backoff-seconds", "0.3", "--backoff-max-seconds", "3"])
            // The simulator shows a pool at once: a lost create answer needs no long grace
            // (the default, 120 s, is longer than a phase's convergence budget).
            .args(["--create-grace-seconds", "3"])
            .args(["--cloud-rate", "100", "--cloud-burst", "100"])
            .args(["--http-addr", "127.0.0.1:0"])
            .args(&self.extra)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("RUST_LOG", &self.rust_log)
            .stdout(Stdio::from(f.try_clone().expect("clone")))
            .stderr(Stdio::from(f));
        Proc(cmd.spawn().expect("the controller starts"))
    }
}

// ---------------------------------------------------------------------------------------------
// Kubernetes helpers (every call retried: the API server is restarted in one phase)
// ---------------------------------------------------------------------------------------------

async fn kube_client(path: &Path) -> Client {
    let kc = Kubeconfig::read_from(path).expect("kubeconfig");
    let mut cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("a usable kubeconfig");
    cfg.read_timeout = Some(Duration::from_secs(10));
    cfg.connect_timeout = Some(Duration::from_secs(3));
    Client::try_from(cfg).expect("a client")
}

/// Retries `f` for up to 90 s while the API server answers with errors other than those
/// `accept` maps to a result.
async fn kretry<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let start = Instant::now();
    loop {
        match f().await {
            Ok(v) => return v,
            Err(e) => {
                if start.elapsed() > Duration::from_secs(90) {
                    panic!("{what}: the API server kept failing for 90s: {e}");
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    }
}

async fn create_ns(client: &Client, name: &str) {
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": name}})).expect("namespace");
    let api: Api<Namespace> = Api::all(client.clone());
    kretry("create namespace", || async {
        match api.create(&PostParams::default(), &ns).await {
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
            r => r.map(|_| ()),
        }
    })
    .await;
}

async fn put_secret(client: &Client, ns: &str, name: &str, data: Value) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "labels": {"cloud.nodepool.dev/credentials": "true"}},
        "stringData": data
    }))
    .expect("a secret");
    kretry("put secret", || async {
        match api.get_opt(name).await? {
            None => api
                .create(&PostParams::default(), &secret)
                .await
                .map(|_| ()),
            Some(old) => {
                let mut new = secret.clone();
                new.metadata.resource_version = old.metadata.resource_version;
                api.replace(name, &PostParams::default(), &new)
                    .await
                    .map(|_| ())
            }
        }
    })
    .await;
}

async fn create_secrets(client: &Client, ns: &str) {
    put_secret(
        client,
        ns,
        "huawei-credentials",
        json!({"accessKey": HW_AK, "secretKey": HW_SK}),
    )
    .await;
    put_secret(
        client,
        ns,
        "alibaba-credentials",
        json!({"accessKeyId": ALI_AK, "accessKeySecret": ALI_SK}),
    )
    .await;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CloudKind {
    Huawei,
    Alibaba,
}

fn huawei_pool(name: &str, secret: &str, nodes: i64, tag: &str, flavor: &str) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": secret},
            "huawei": {
                "region": "cn-north-4", "projectId": PROJECT, "clusterId": HW_CLUSTER,
                "type": "vm", "initialNodeCount": nodes,
                "nodeTemplate": {
                    "flavor": flavor, "az": "cn-north-4a", "os": "EulerOS 2.9",
                    "login": {"sshKey": "kp"},
                    "rootVolume": {"volumetype": "SSD", "size": 40},
                    "dataVolumes": [{"volumetype": "SSD", "size": 100}],
                    "k8sTags": {"chaos": tag}
                }
            }
        }
    })
}

fn alibaba_pool(name: &str, secret: &str, nodes: i64, tag: &str) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": secret},
            "alibaba": {
                "regionId": "cn-hangzhou", "clusterId": ALI_CLUSTER,
                "scalingGroup": {
                    "vswitchIds": ["vsw-chaos0001"], "instanceTypes": [INSTANCE_TYPE],
                    "instanceChargeType": "PostPaid", "keyPair": "kp", "desiredSize": nodes,
                    "systemDiskCategory": "cloud_essd", "systemDiskSize": 120
                },
                "kubernetesConfig": {"runtime": "containerd", "labels": [{"key": "chaos", "value": tag}]}
            }
        }
    })
}

fn cond<'a>(
    np: &'a NodePool,
    t: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    np.status.as_ref()?.conditions.iter().find(|c| c.type_ == t)
}

// ---------------------------------------------------------------------------------------------
// Simulator admin API
// ---------------------------------------------------------------------------------------------

async fn sim_get(sim: &str, path: &str) -> Value {
    for _ in 0..50 {
        if let Ok(r) = reqwest::get(format!("{sim}/_sim/{path}")).await
            && let Ok(v) = r.json::<Value>().await
        {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the simulator's admin API does not answer {path}");
}

async fn sim_put_faults(sim: &str, faults: &Value) {
    let resp = reqwest::Client::new()
        .put(format!("{sim}/_sim/faults"))
        .json(faults)
        .send()
        .await
        .expect("the admin API answers");
    assert!(
        resp.status().is_success(),
        "PUT faults: {:?}",
        resp.text().await
    );
}

/// A pool at the simulator.
#[derive(Debug, Clone)]
struct SimPool {
    cloud: CloudKind,
    name: String,
    id: String,
    nodes: Option<i64>,
    /// The `chaos` node label (the workload's marker of a spec version).
    tag: Option<String>,
    /// The UID in the pool's owner mark, if it carries one.
    owner: Option<String>,
    /// Being deleted (CCE phase `Deleting`, ACK state `deleting`).
    deleting: bool,
    /// The pool as the simulator renders it, without `status`: spec, labels, tags, count, name.
    fingerprint: Value,
}

async fn sim_pools(sim: &str) -> Vec<SimPool> {
    let v = sim_get(sim, "pools").await;
    let mut out = Vec::new();
    for p in v["huawei"].as_array().into_iter().flatten() {
        let p = &p["pool"];
        out.push(SimPool {
            cloud: CloudKind::Huawei,
            name: p["metadata"]["name"].as_str().unwrap_or("").to_string(),
            id: p["metadata"]["uid"].as_str().unwrap_or("").to_string(),
            nodes: p["spec"]["initialNodeCount"].as_i64(),
            tag: p["spec"]["nodeTemplate"]["k8sTags"]["chaos"]
                .as_str()
                .map(str::to_string),
            owner: huawei_marks::owner(&p["spec"]).map(|o| o.uid),
            deleting: p["status"]["phase"] == "Deleting",
            fingerprint: without_status(p),
        });
    }
    for p in v["alibaba"].as_array().into_iter().flatten() {
        let p = &p["pool"];
        let tag = p["kubernetes_config"]["labels"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| l["key"] == "chaos")
            .and_then(|l| l["value"].as_str())
            .map(str::to_string);
        out.push(SimPool {
            cloud: CloudKind::Alibaba,
            name: p["nodepool_info"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            id: p["nodepool_info"]["nodepool_id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            nodes: p["scaling_group"]["desired_size"].as_i64(),
            tag,
            owner: alibaba_marks::owner(p).map(|o| o.uid),
            deleting: p["status"]["state"] == "deleting",
            fingerprint: without_status(p),
        });
    }
    observe_owners(sim, &out);
    out
}

fn without_status(pool: &Value) -> Value {
    let mut v = pool.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v
}

/// Every pool's owner mark as first seen, by simulator and pool ID (IDs are never reused): a
/// later look that finds another mark (or none where there was one) is a pool changing owner.
/// Fed by every [`sim_pools`] call, so by every convergence check of every phase.
static OWNERS_SEEN: Mutex<BTreeMap<(String, String), Option<String>>> = Mutex::new(BTreeMap::new());
/// The owner changes seen (one entry per pool and new owner).
static OWNER_CHANGES: Mutex<Vec<String>> = Mutex::new(Vec::new());
/// The phase of each simulator (for the reports).
static SIM_PHASES: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());
/// Every temporary credential the phases' simulators issued (secret keys, security tokens, IAM
/// tokens): the secret scan looks for them too.
static ISSUED_SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn observe_owners(sim: &str, pools: &[SimPool]) {
    let phase = SIM_PHASES
        .lock()
        .unwrap()
        .get(sim)
        .cloned()
        .unwrap_or_default();
    let mut seen = OWNERS_SEEN.lock().unwrap();
    for p in pools {
        let key = (sim.to_string(), p.id.clone());
        match seen.get(&key) {
            None => {
                seen.insert(key, p.owner.clone());
            }
            Some(first) if *first != p.owner => {
                let change = format!(
                    "[{phase}] {:?} pool {} ({}): owner mark {first:?} became {:?}",
                    p.cloud, p.name, p.id, p.owner
                );
                let mut changes = OWNER_CHANGES.lock().unwrap();
                if !changes.contains(&change) {
                    eprintln!("chaos: FAILURE: {change}");
                    changes.push(change);
                }
            }
            Some(_) => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The counting and fault-injecting proxy in front of the simulator
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct ProxyState {
    /// Requests per pool ID (GET/PUT/POST/DELETE of `.../nodepools/{id}`).
    per_pool: Mutex<BTreeMap<String, u64>>,
    /// Requests by kind: list, create, task, other.
    per_kind: Mutex<BTreeMap<String, u64>>,
    /// Injected answers by kind.
    injected: Mutex<BTreeMap<String, u64>>,
    /// Per mille of GETs answered by the proxy itself with a broken answer.
    garbage_permille: AtomicU64,
    /// Per mille of mutations forwarded whose answer is then lost.
    lose_permille: AtomicU64,
    /// Bytes of the huge answer.
    huge_bytes: AtomicU64,
    seq: AtomicU64,
    seed: u64,
}

impl ProxyState {
    fn reset_counts(&self) {
        self.per_pool.lock().unwrap().clear();
        self.per_kind.lock().unwrap().clear();
    }
    /// A deterministic choice per request sequence number (seeded).
    fn roll(&self) -> u64 {
        let n = self.seq.fetch_add(1, Ordering::SeqCst);
        let mut rng = fastrand::Rng::with_seed(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.u64(0..1000)
    }
}

fn pool_of_path(path: &str) -> (String, Option<String>) {
    let segs: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    if segs.first() == Some(&"") && segs.get(1) == Some(&"tasks") {
        return ("task".into(), None);
    }
    match segs.iter().position(|s| *s == "nodepools") {
        Some(i) => match segs.get(i + 1).filter(|s| !s.is_empty()) {
            Some(id) => ("pool".into(), Some(id.to_string())),
            None => ("list_or_create".into(), None),
        },
        None => ("other".into(), None),
    }
}

fn garbage_answer(kind: usize, huge: u64) -> (String, Vec<u8>) {
    let (ctype, body): (&str, Vec<u8>) = match kind {
        0 => (
            "application/json",
            br#"{"kind":"NodePool","metadata":{"uid":"#.to_vec(),
        ),
        1 => (
            "text/html",
            b"<html><body>502 Bad Gateway</body></html>".to_vec(),
        ),
        2 => ("text/plain", br#"{"kind":"NodePool"}"#.to_vec()),
        3 => ("application/json", Vec::new()),
        4 => ("application/json", br#"[1, "not a pool", null]"#.to_vec()),
        _ => {
            // A huge, well-formed but useless JSON answer.
            let mut b = Vec::with_capacity(huge as usize + 16);
            b.extend_from_slice(b"{\"pad\":\"");
            b.resize(huge as usize, b'x');
            b.extend_from_slice(b"\"}");
            ("application/json", b)
        }
    };
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    (head, body)
}

const GARBAGE_KINDS: [&str; 6] = [
    "truncated_json",
    "html_answer",
    "wrong_content_type",
    "empty_body",
    "wrong_shape_json",
    "huge_body",
];

/// A TCP proxy that parses the request heads (HTTP/1.1, Content-Length bodies) to count and,
/// when told to, answers GETs itself with broken answers or loses the answers to mutations.
async fn start_proxy(upstream: &str, state: Arc<ProxyState>) -> String {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((down, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let state = state.clone();
            tokio::spawn(async move {
                let _ = proxy_conn(down, &upstream, state).await;
            });
        }
    });
    url
}

async fn proxy_conn(
    down: tokio::net::TcpStream,
    upstream: &str,
    state: Arc<ProxyState>,
) -> std::io::Result<()> {
    let up = tokio::net::TcpStream::connect(upstream).await?;
    let (mut dr, dw) = down.into_split();
    let (mut ur, mut uw) = up.into_split();
    let dw = Arc::new(tokio::sync::Mutex::new(dw));
    let hole = Arc::new(AtomicBool::new(false));
    let relay = {
        let dw = dw.clone();
        let hole = hole.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match ur.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                if hole.load(Ordering::SeqCst) {
                    continue;
                }
                if dw.lock().await.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
            let _ = dw.lock().await.shutdown().await;
        })
    };
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        // Read one request head.
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let n = dr.read(&mut chunk).await?;
            if n == 0 {
                relay.abort();
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or("").to_string();
        let content_length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + content_length {
            let n = dr.read(&mut chunk).await?;
            if n == 0 {
                relay.abort();
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let request: Vec<u8> = buf.drain(..head_end + content_length).collect();
        let mut parts = first.split(' ');
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let (kind, pool) = pool_of_path(&path);
        let kind = if kind == "list_or_create" {
            if method == "POST" { "create" } else { "list" }.to_string()
        } else {
            kind
        };
        if !path.starts_with("/_sim") {
            *state.per_kind.lock().unwrap().entry(kind).or_default() += 1;
            if let Some(id) = pool {
                *state.per_pool.lock().unwrap().entry(id).or_default() += 1;
            }
        }
        let roll = state.roll();
        if method == "GET" && roll < state.garbage_permille.load(Ordering::SeqCst) {
            let k = (roll as usize) % GARBAGE_KINDS.len();
            *state
                .injected
                .lock()
                .unwrap()
                .entry(GARBAGE_KINDS[k].to_string())
                .or_default() += 1;
            let (h, b) = garbage_answer(k, state.huge_bytes.load(Ordering::SeqCst));
            hole.store(true, Ordering::SeqCst);
            let mut w = dw.lock().await;
            let _ = w.write_all(h.as_bytes()).await;
            let _ = w.write_all(&b).await;
            let _ = w.shutdown().await;
            relay.abort();
            return Ok(());
        }
        if method != "GET" && roll < state.lose_permille.load(Ordering::SeqCst) {
            *state
                .injected
                .lock()
                .unwrap()
                .entry(format!("lost_answer_{}", method.to_lowercase()))
                .or_default() += 1;
            hole.store(true, Ordering::SeqCst);
            uw.write_all(&request).await?;
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = dw.lock().await.shutdown().await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            relay.abort();
            return Ok(());
        }
        uw.write_all(&request).await?;
    }
}

// ---------------------------------------------------------------------------------------------
// The workload: NodePools created, updated and deleted, and what the cloud must end up with
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Expect {
    cloud: CloudKind,
    nodes: i64,
    tag: String,
}

struct Workload {
    api: Api<NodePool>,
    rng: fastrand::Rng,
    live: BTreeMap<String, Expect>,
    deleted: BTreeSet<String>,
    created: usize,
    target: usize,
    prefix: String,
    ops: BTreeMap<&'static str, u64>,
    /// Pools at the cloud that are not this workload's (foreign ones, another team's): the
    /// convergence check leaves them out.
    others: Others,
    /// Names also used by a foreign pool or another team's NodePool: the workload's NodePool of
    /// such a name may end Stalled with `NameTaken` instead of Ready.
    taken: BTreeSet<String>,
    /// CloudAccounts (Huawei, Alibaba) that every other NodePool names in `accountRef` instead
    /// of the credentials Secret (see [`chained_accounts`]).
    accounts: Option<(String, String)>,
}

impl Workload {
    fn new(client: &Client, ns: &str, seed: u64, target: usize, prefix: &str) -> Self {
        Workload {
            api: Api::namespaced(client.clone(), ns),
            rng: fastrand::Rng::with_seed(seed),
            live: BTreeMap::new(),
            deleted: BTreeSet::new(),
            created: 0,
            target,
            prefix: prefix.to_string(),
            ops: BTreeMap::new(),
            others: Others::default(),
            taken: BTreeSet::new(),
            accounts: None,
        }
    }

    /// The name the `i`-th NodePool gets if it is of `cloud`.
    fn name_of(&self, cloud: CloudKind, i: usize) -> String {
        match cloud {
            CloudKind::Huawei => format!("{}-hw-{i}", self.prefix),
            CloudKind::Alibaba => format!("{}-ali-{i}", self.prefix),
        }
    }

    fn done(&self) -> bool {
        self.created >= self.target
    }

    /// One seeded operation: create (until `target` were created), update or delete.
    async fn step(&mut self) {
        let r = self.rng.u32(0..100);
        let can_mutate = !self.live.is_empty();
        if !self.done() && (r < 55 || !can_mutate) {
            self.create_one().await;
        } else if can_mutate && r < 85 {
            self.update_one().await;
        } else if can_mutate && self.live.len() > 2 {
            self.delete_one().await;
        } else if !self.done() {
            self.create_one().await;
        } else {
            self.update_one().await;
        }
    }

    async fn create_one(&mut self) {
        let i = self.created;
        self.created += 1;
        let cloud = if self.rng.bool() {
            CloudKind::Huawei
        } else {
            CloudKind::Alibaba
        };
        let nodes = self.rng.i64(0..3);
        let tag = format!("v{}", self.rng.u32(0..1000));
        let name = self.name_of(cloud, i);
        let mut manifest = match cloud {
            CloudKind::Huawei => huawei_pool(&name, "huawei-credentials", nodes, &tag, FLAVOR),
            CloudKind::Alibaba => alibaba_pool(&name, "alibaba-credentials", nodes, &tag),
        };
        if let Some((hw, ali)) = self.accounts.as_ref().filter(|_| i % 2 == 1) {
            let account = if cloud == CloudKind::Huawei { hw } else { ali };
            let spec = manifest["spec"].as_object_mut().expect("spec");
            spec.remove("credentialsRef");
            spec.insert("accountRef".into(), json!({ "name": account }));
        }
        let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
        let api = self.api.clone();
        kretry("create NodePool", || async {
            match api.create(&PostParams::default(), &np).await {
                // Created before the API server went away and the answer was lost.
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await;
        self.live.insert(name, Expect { cloud, nodes, tag });
        *self.ops.entry("create").or_default() += 1;
    }

    async fn update_one(&mut self) {
        let names: Vec<String> = self.live.keys().cloned().collect();
        let name = names[self.rng.usize(0..names.len())].clone();
        let nodes = self.rng.i64(0..4);
        let tag = format!("v{}", self.rng.u32(0..1000));
        let e = self.live.get_mut(&name).expect("live");
        let patch = match e.cloud {
            CloudKind::Huawei => json!({"spec": {"huawei": {
                "initialNodeCount": nodes, "nodeTemplate": {"k8sTags": {"chaos": tag}}}}}),
            CloudKind::Alibaba => json!({"spec": {"alibaba": {
                "scalingGroup": {"desiredSize": nodes},
                "kubernetesConfig": {"runtime": "containerd", "labels": [{"key": "chaos", "value": tag}]}}}}),
        };
        e.nodes = nodes;
        e.tag = tag;
        let api = self.api.clone();
        kretry("patch NodePool", || async {
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ())
        })
        .await;
        *self.ops.entry("update").or_default() += 1;
    }

    async fn delete_one(&mut self) {
        let names: Vec<String> = self.live.keys().cloned().collect();
        let name = names[self.rng.usize(0..names.len())].clone();
        let api = self.api.clone();
        kretry("delete NodePool", || async {
            match api.delete(&name, &DeleteParams::default()).await {
                Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await;
        self.live.remove(&name);
        self.deleted.insert(name);
        *self.ops.entry("delete").or_default() += 1;
    }
}

/// What a convergence check found.
#[derive(Default, Debug)]
struct Check {
    not_converged: Vec<String>,
    duplicates: Vec<String>,
    orphans: Vec<String>,
    missing: Vec<String>,
    wrong_spec: Vec<String>,
    untrue_status: Vec<String>,
    /// NodePools Stalled with `NameTaken` because a foreign pool or another team's holds
    /// their name (allowed only for names in [`Workload::taken`]).
    name_taken: Vec<String>,
}

impl Check {
    fn clean(&self) -> bool {
        self.not_converged.is_empty()
            && self.duplicates.is_empty()
            && self.orphans.is_empty()
            && self.missing.is_empty()
            && self.wrong_spec.is_empty()
            && self.untrue_status.is_empty()
    }
}

/// One look at the NodePools and the simulator. `exempt` names NodePools that are expected
/// not to be Ready (a permanently sold-out pool); their cloud pool still must be unique.
async fn check(wl: &Workload, sim: &str, exempt: &BTreeMap<String, Expect>) -> Check {
    let mut c = Check::default();
    let api = wl.api.clone();
    let nps = kretry("list NodePools", || async {
        api.list(&ListParams::default()).await
    })
    .await
    .items;
    let by_name: BTreeMap<String, &NodePool> = nps
        .iter()
        .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
        .collect();
    let pools = sim_pools(sim).await;
    let mut at_cloud: BTreeMap<String, Vec<&SimPool>> = BTreeMap::new();
    for p in pools.iter().filter(|p| !wl.others.covers(p)) {
        at_cloud.entry(p.name.clone()).or_default().push(p);
    }
    for name in wl.deleted.iter() {
        if by_name.contains_key(name) {
            c.not_converged
                .push(format!("{name}: deleted but the NodePool is still there"));
        }
    }
    let all: Vec<(&String, &Expect, bool)> = wl
        .live
        .iter()
        .map(|(n, e)| (n, e, false))
        .chain(exempt.iter().map(|(n, e)| (n, e, true)))
        .collect();
    for (name, exp, is_exempt) in all {
        let Some(np) = by_name.get(name) else {
            c.missing.push(format!("{name}: the NodePool is gone"));
            continue;
        };
        let cloud = at_cloud.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if cloud.len() > 1 {
            c.duplicates.push(format!(
                "{name}: {} cloud pools: {:?}",
                cloud.len(),
                cloud.iter().map(|p| &p.id).collect::<Vec<_>>()
            ));
        }
        if is_exempt {
            continue;
        }
        if wl.taken.contains(name.as_str())
            && cloud.is_empty()
            && cond(np, "Stalled").is_some_and(|c| c.status == "True" && c.reason == "NameTaken")
        {
            // Someone else's pool has the name: the controller makes no second pool of it (CCE
            // names are unique per cluster; on ACK it looks before its first create).
            c.name_taken.push(name.clone());
            continue;
        }
        let generation = np.metadata.generation.unwrap_or(0);
        let ready = cond(np, "Ready")
            .is_some_and(|r| r.status == "True" && r.observed_generation == Some(generation));
        if !ready {
            c.not_converged.push(format!(
                "{name}: not Ready at generation {generation}: {:?}",
                cond(np, "Ready").map(|r| (
                    &r.status,
                    &r.reason,
                    &r.message,
                    r.observed_generation
                ))
            ));
            continue;
        }
        let [pool] = cloud else {
            if cloud.is_empty() {
                c.untrue_status
                    .push(format!("{name}: Ready but no cloud pool"));
            }
            continue;
        };
        let id = np.status.as_ref().and_then(|s| s.id.clone());
        if id.as_deref() != Some(pool.id.as_str()) {
            c.untrue_status.push(format!(
                "{name}: status.id {id:?} but the cloud pool is {}",
                pool.id
            ));
        }
        if pool.cloud != exp.cloud
            || pool.nodes != Some(exp.nodes)
            || pool.tag.as_deref() != Some(exp.tag.as_str())
        {
            c.wrong_spec.push(format!(
                "{name}: cloud has nodes {:?} tag {:?}, spec wants nodes {} tag {}",
                pool.nodes, pool.tag, exp.nodes, exp.tag
            ));
        }
    }
    for (name, ps) in &at_cloud {
        if !wl.live.contains_key(name) && !exempt.contains_key(name) {
            for p in ps {
                c.orphans.push(format!("{name} ({:?} {})", p.cloud, p.id));
            }
        }
    }
    c
}

/// Waits until a check is clean; returns seconds from `since` (the last fault) and the final
/// check. Orphans of deleted NodePools still being deleted are allowed to drain.
async fn converge(
    wl: &Workload,
    sim: &str,
    exempt: &BTreeMap<String, Expect>,
    since: Instant,
    timeout: Duration,
) -> (f64, Check) {
    let start = Instant::now();
    let mut last_seen: BTreeMap<String, (f64, String)> = BTreeMap::new();
    loop {
        let c = check(wl, sim, exempt).await;
        for entry in c
            .not_converged
            .iter()
            .chain(&c.wrong_spec)
            .chain(&c.duplicates)
        {
            let name = entry.split(':').next().unwrap_or("").to_string();
            last_seen.insert(name, (since.elapsed().as_secs_f64(), entry.clone()));
        }
        if c.clean() || start.elapsed() > timeout {
            let mut slow: Vec<(f64, String)> = last_seen.into_values().collect();
            slow.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (t, what) in slow.iter().take(3) {
                log(format!(
                    "  slowest: still not converged at +{t:.1}s: {}",
                    &what[..what.len().min(300)]
                ));
            }
            return (since.elapsed().as_secs_f64(), c);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

fn record_check(rep: &Shared, phase: &str, secs: f64, c: &Check) {
    let mut r = rep.lock().unwrap();
    r.convergence.insert(phase.to_string(), secs);
    let tag = |v: &Vec<String>| {
        v.iter()
            .map(|s| format!("[{phase}] {s}"))
            .collect::<Vec<_>>()
    };
    r.duplicates.extend(tag(&c.duplicates));
    r.orphans.extend(tag(&c.orphans));
    r.missing.extend(tag(&c.missing));
    r.wrong_spec.extend(tag(&c.wrong_spec));
    r.untrue_status.extend(tag(&c.untrue_status));
    r.name_taken.extend(tag(&c.name_taken));
    if !c.clean() {
        let sample: Vec<&String> = c
            .not_converged
            .iter()
            .chain(&c.duplicates)
            .chain(&c.orphans)
            .chain(&c.missing)
            .chain(&c.wrong_spec)
            .chain(&c.untrue_status)
            .take(8)
            .collect();
        r.fail(format!(
            "{phase}: not converged after {secs:.1}s ({} not converged, {} duplicates, {} orphans, {} missing, {} wrong spec, {} untrue status); first: {sample:?}",
            c.not_converged.len(),
            c.duplicates.len(),
            c.orphans.len(),
            c.missing.len(),
            c.wrong_spec.len(),
            c.untrue_status.len()
        ));
    } else {
        log(format!(
            "{phase}: converged {secs:.1}s after the last fault"
        ));
    }
}

/// Deletes every NodePool of the workload and waits until they and their cloud pools are gone
/// (what a user's cleanup does; also proves deletion works after the chaos).
async fn drain(wl: &mut Workload, sim: &str, rep: &Shared, phase: &str, timeout: Duration) {
    let names: Vec<String> = wl.live.keys().cloned().collect();
    for name in names {
        let api = wl.api.clone();
        kretry("delete NodePool", || async {
            match api.delete(&name, &DeleteParams::default()).await {
                Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await;
        wl.live.remove(&name);
        wl.deleted.insert(name);
    }
    let (secs, c) = converge(wl, sim, &BTreeMap::new(), Instant::now(), timeout).await;
    let left = sim_pools(sim)
        .await
        .iter()
        .filter(|p| !wl.others.covers(p))
        .count();
    if !c.clean() || left > 0 {
        rep.lock().unwrap().fail(format!(
            "{phase}: deleting every NodePool did not finish in {secs:.1}s: {} left at the cloud, {:?}",
            left,
            c.not_converged.iter().chain(&c.orphans).take(5).collect::<Vec<_>>()
        ));
    } else {
        log(format!(
            "{phase}: every NodePool deleted, the cloud is empty ({secs:.1}s)"
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Other tenants of the cloud: foreign pools (the console, Terraform) and another team
// ---------------------------------------------------------------------------------------------

/// The pools at the cloud a workload does not own: foreign pools (by ID) and the pools of
/// another team's NodePools (by the UID in their owner mark).
#[derive(Clone, Debug, Default)]
struct Others {
    foreign_ids: BTreeSet<String>,
    other_uids: BTreeSet<String>,
}

impl Others {
    fn covers(&self, p: &SimPool) -> bool {
        self.foreign_ids.contains(&p.id)
            || p.owner
                .as_ref()
                .is_some_and(|uid| self.other_uids.contains(uid))
    }
}

/// What a pool the phase's controller does not own looked like when first seen.
#[derive(Debug)]
struct Frozen {
    cloud: CloudKind,
    name: String,
    /// `console` (made through the cloud API without an owner mark) or `other-team`.
    kind: &'static str,
    fingerprint: Value,
}

fn cce_provider(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = HuaweiConfig::new("cn-north-4", PROJECT);
    cfg.endpoint = Some(sim.to_string());
    let limits = RateLimiters::new(RateLimit {
        per_second: 100.0,
        burst: 100,
    });
    Arc::new(
        HuaweiClient::new(
            cfg,
            HuaweiAuth::AccessKey(AccessKey::new(HW_AK, HW_SK)),
            &limits,
        )
        .expect("a CCE client"),
    )
}

fn ack_provider(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = AlibabaConfig::new("cn-hangzhou");
    cfg.endpoint = Some(sim.to_string());
    let limits = RateLimiters::new(RateLimit {
        per_second: 100.0,
        burst: 100,
    });
    Arc::new(
        AlibabaClient::new(cfg, AccessKey::new(ALI_AK, ALI_SK), &limits).expect("an ACK client"),
    )
}

/// The paths (two levels deep) where two pool renderings differ.
fn differences(a: &Value, b: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) if depth > 0 => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let (va, vb) = (
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                );
                differences(va, vb, &format!("{at}.{k}"), depth - 1, out);
            }
        }
        _ if a != b => out.push(at.trim_start_matches('.').to_string()),
        _ => {}
    }
}

/// The foreign pools and the other team's pools of one phase's simulator: made, snapshotted
/// when first seen, and compared at the end.
struct Bystanders {
    phase: String,
    sim: String,
    cce: Arc<dyn NodePoolProvider>,
    ack: Arc<dyn NodePoolProvider>,
    others: Others,
    /// Names of foreign pools and of the other team's NodePools.
    taken: BTreeSet<String>,
    frozen: BTreeMap<String, Frozen>,
    /// Foreign pools made with a name the workload uses or will use, and with other names.
    same_name: u64,
    other_name: u64,
    /// Foreign creates the cloud refused because the name was taken (CCE).
    refused: u64,
    /// The other team's pools snapshotted.
    other_team_seen: u64,
    /// By pool ID: how a pool the controller does not own changed or went away.
    problems: BTreeMap<String, String>,
    rng: fastrand::Rng,
}

impl Bystanders {
    fn new(phase: &str, sim: &str, seed: u64) -> Self {
        Bystanders {
            phase: phase.to_string(),
            sim: sim.to_string(),
            cce: cce_provider(sim),
            ack: ack_provider(sim),
            others: Others::default(),
            taken: BTreeSet::new(),
            frozen: BTreeMap::new(),
            same_name: 0,
            other_name: 0,
            refused: 0,
            other_team_seen: 0,
            problems: BTreeMap::new(),
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Tells the workload which pools and names are someone else's.
    fn share(&self, wl: &mut Workload) {
        wl.others = self.others.clone();
        wl.taken = self.taken.clone();
    }

    /// A pool made through the cloud's API with the cloud's own create body and no owner mark
    /// (the console, Terraform), carrying a tag of its own. Retried under cloud faults: after a
    /// failed create the pool is looked for by name before trying again.
    async fn make_foreign(&mut self, cloud: CloudKind, name: &str, same_name: bool) {
        let nodes = self.rng.i64(0..3);
        let (provider, cluster, body) = match cloud {
            CloudKind::Huawei => {
                let np: NodePool =
                    serde_json::from_value(huawei_pool(name, "none", nodes, "console", FLAVOR))
                        .expect("NodePool");
                let mut body = np.spec.huawei.as_ref().expect("CCE").create_body(name);
                body["spec"]["nodeTemplate"]["userTags"] =
                    json!([{"key": "made-by", "value": "console"}]);
                (self.cce.clone(), HW_CLUSTER, body)
            }
            CloudKind::Alibaba => {
                let np: NodePool =
                    serde_json::from_value(alibaba_pool(name, "none", nodes, "terraform"))
                        .expect("NodePool");
                let mut body = np.spec.alibaba.as_ref().expect("ACK").create_body(name);
                body["scaling_group"]["tags"] = json!([{"key": "made-by", "value": "terraform"}]);
                (self.ack.clone(), ALI_CLUSTER, body)
            }
        };
        for _ in 0..30 {
            let err = match provider.create(cluster, &body).await {
                Ok(made) => {
                    self.adopt_foreign(&made.id, name, same_name);
                    return;
                }
                Err(e) => e,
            };
            // The answer may have been lost after the pool was made: look (until a list
            // answers) before creating again, or a second pool of the name would be left.
            let mut pools = None;
            for _ in 0..30 {
                match provider.list(cluster).await {
                    Ok(p) => {
                        pools = Some(p);
                        break;
                    }
                    Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                }
            }
            let pools = pools
                .unwrap_or_else(|| panic!("{}: the simulator's list never answered", self.phase));
            if let Some(p) = pools.iter().find(|p| {
                p.name == name && p.owner.is_none() && !self.others.foreign_ids.contains(&p.id)
            }) {
                let id = p.id.clone();
                self.adopt_foreign(&id, name, same_name);
                return;
            }
            if err.kind() == ErrorKind::Conflict {
                // CCE: the name is someone's already.
                self.refused += 1;
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!(
            "{}: could not make the foreign pool {name} at the simulator",
            self.phase
        );
    }

    fn adopt_foreign(&mut self, id: &str, name: &str, same_name: bool) {
        self.others.foreign_ids.insert(id.to_string());
        self.taken.insert(name.to_string());
        if same_name {
            self.same_name += 1;
        } else {
            self.other_name += 1;
        }
    }

    /// Foreign pools named as the workload's `i`-th NodePool will be (of either cloud: the
    /// workload picks one), and one of another name.
    async fn foreign_round(&mut self, wl: &mut Workload, i: usize, round: usize) {
        for cloud in [CloudKind::Huawei, CloudKind::Alibaba] {
            self.make_foreign(cloud, &wl.name_of(cloud, i), true).await;
        }
        let cloud = if round.is_multiple_of(2) {
            CloudKind::Huawei
        } else {
            CloudKind::Alibaba
        };
        let other = format!("console-{}-{round}", wl.prefix);
        self.make_foreign(cloud, &other, false).await;
        self.share(wl);
        self.observe().await;
    }

    /// Snapshots every pool not owned by the phase's controller that is seen for the first time.
    async fn observe(&mut self) {
        for p in sim_pools(&self.sim).await {
            if self.frozen.contains_key(&p.id) || p.deleting || !self.others.covers(&p) {
                continue;
            }
            let kind = if self.others.foreign_ids.contains(&p.id) {
                "console"
            } else {
                self.other_team_seen += 1;
                "other-team"
            };
            self.frozen.insert(
                p.id.clone(),
                Frozen {
                    cloud: p.cloud,
                    name: p.name.clone(),
                    kind,
                    fingerprint: p.fingerprint.clone(),
                },
            );
        }
    }

    /// Compares every snapshotted pool with the cloud now: still there, not being deleted,
    /// spec, labels, tags (owner mark included) and count unchanged.
    async fn verify(&mut self, when: &str) {
        self.observe().await;
        let now: BTreeMap<String, SimPool> = sim_pools(&self.sim)
            .await
            .into_iter()
            .map(|p| (p.id.clone(), p))
            .collect();
        for (id, f) in &self.frozen {
            if self.problems.contains_key(id) {
                continue;
            }
            let problem = match now.get(id) {
                None => Some("deleted".to_string()),
                Some(p) if p.deleting => Some("being deleted".to_string()),
                Some(p) if p.fingerprint != f.fingerprint => {
                    let mut paths = Vec::new();
                    differences(&f.fingerprint, &p.fingerprint, "", 3, &mut paths);
                    Some(format!("changed: {paths:?}"))
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                let msg = format!(
                    "[{}] {} {:?} pool {} ({id}) {problem} ({when})",
                    self.phase, f.kind, f.cloud, f.name
                );
                eprintln!("chaos: FAILURE: {msg}");
                self.problems.insert(id.clone(), msg);
            }
        }
    }

    /// The other team's pools are its own to delete: no longer watched.
    fn release_other_team(&mut self) {
        self.frozen.retain(|_, f| f.kind != "other-team");
    }

    fn record(&self, rep: &Shared, team_b: Option<&OtherTeam>) -> Value {
        let console = self.others.foreign_ids.len() as u64;
        let mut r = rep.lock().unwrap();
        r.foreign_watched += console + self.other_team_seen;
        if !self.problems.is_empty() {
            r.fail(format!(
                "{}: {} pools the controller does not own changed or went away: {:?}",
                self.phase,
                self.problems.len(),
                self.problems.values().take(5).collect::<Vec<_>>()
            ));
        }
        r.foreign_problems.extend(self.problems.values().cloned());
        json!({
            "console_pools": console,
            "console_pools_with_workload_names": self.same_name,
            "console_pools_with_other_names": self.other_name,
            "console_creates_refused_name_taken": self.refused,
            "other_team": team_b.map(|t| json!({
                "namespace": t.ns,
                "nodepools": t.pools.len(),
                "pools_watched": self.other_team_seen,
                "ready": t.ready,
                "name_taken": t.name_taken,
            })),
            "changed_or_deleted": self.problems.values().collect::<Vec<_>>(),
        })
    }
}

/// Another team: NodePools in a namespace of its own, run by its own controller (scoped to that
/// namespace), on the same account and cluster, named as the workload's NodePools are.
struct OtherTeam {
    ns: String,
    api: Api<NodePool>,
    controller: Proc,
    /// Its NodePools: name → (cloud, UID).
    pools: BTreeMap<String, (CloudKind, String)>,
    ready: usize,
    name_taken: usize,
}

impl OtherTeam {
    async fn start(s: &Settings, client: &Client, sim: &str, phase: &str, ns: &str) -> Self {
        let ns = format!("{ns}-team-b");
        create_ns(client, &ns).await;
        create_secrets(client, &ns).await;
        let controller = Ctl::new(s, Some(&ns), sim, &format!("{phase}-team-b")).start();
        OtherTeam {
            api: Api::namespaced(client.clone(), &ns),
            ns,
            controller,
            pools: BTreeMap::new(),
            ready: 0,
            name_taken: 0,
        }
    }

    async fn create(&mut self, bys: &mut Bystanders, cloud: CloudKind, name: &str) {
        if self.pools.contains_key(name) {
            return;
        }
        let manifest = match cloud {
            CloudKind::Huawei => huawei_pool(name, "huawei-credentials", 1, "team-b", FLAVOR),
            CloudKind::Alibaba => alibaba_pool(name, "alibaba-credentials", 1, "team-b"),
        };
        let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
        let api = self.api.clone();
        let made = kretry("create the other team's NodePool", || async {
            match api.create(&PostParams::default(), &np).await {
                Ok(n) => Ok(Some(n)),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await;
        let np = match made {
            Some(n) => n,
            None => kretry("get", || async { api.get(name).await }).await,
        };
        let uid = np.metadata.uid.expect("a UID");
        bys.others.other_uids.insert(uid.clone());
        bys.taken.insert(name.to_string());
        self.pools.insert(name.to_string(), (cloud, uid));
    }

    /// Waits until each of its NodePools is Ready with exactly one pool marked with its UID,
    /// or Stalled with `NameTaken` and none; returns what is not so at the timeout.
    async fn settle(&mut self, sim: &str, timeout: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let api = self.api.clone();
            let nps: BTreeMap<String, NodePool> =
                kretry("list", || async { api.list(&ListParams::default()).await })
                    .await
                    .items
                    .into_iter()
                    .map(|n| (n.metadata.name.clone().unwrap_or_default(), n))
                    .collect();
            let pools = sim_pools(sim).await;
            let (mut ready, mut taken, mut problems) = (0, 0, Vec::new());
            for (name, (cloud, uid)) in &self.pools {
                let mine: Vec<&SimPool> = pools
                    .iter()
                    .filter(|p| p.owner.as_deref() == Some(uid.as_str()))
                    .collect();
                let np = nps.get(name);
                let is_ready = np
                    .and_then(|n| cond(n, "Ready"))
                    .is_some_and(|c| c.status == "True");
                let is_taken = np
                    .and_then(|n| cond(n, "Stalled"))
                    .is_some_and(|c| c.status == "True" && c.reason == "NameTaken");
                let id = np
                    .and_then(|n| n.status.as_ref())
                    .and_then(|s| s.id.clone());
                match mine.as_slice() {
                    [p] if is_ready && id.as_deref() == Some(p.id.as_str()) && p.name == *name => {
                        ready += 1
                    }
                    [] if is_taken => taken += 1,
                    _ => problems.push(format!(
                        "{}/{name} ({cloud:?}): Ready {is_ready}, NameTaken {is_taken}, status.id {id:?}, pools marked with its UID: {:?}",
                        self.ns,
                        mine.iter().map(|p| (&p.name, &p.id)).collect::<Vec<_>>()
                    )),
                }
            }
            if problems.is_empty() || start.elapsed() > timeout {
                self.ready = ready;
                self.name_taken = taken;
                return problems;
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    }

    /// Deletes its NodePools and waits until they and their pools are gone.
    async fn drain(&mut self, sim: &str, timeout: Duration) -> Vec<String> {
        for name in self.pools.keys() {
            let api = self.api.clone();
            kretry("delete", || async {
                match api.delete(name, &DeleteParams::default()).await {
                    Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
                    r => r.map(|_| ()),
                }
            })
            .await;
        }
        let uids: BTreeSet<&String> = self.pools.values().map(|(_, uid)| uid).collect();
        let start = Instant::now();
        loop {
            let api = self.api.clone();
            let left: Vec<String> =
                kretry("list", || async { api.list(&ListParams::default()).await })
                    .await
                    .items
                    .into_iter()
                    .filter_map(|n| n.metadata.name)
                    .collect();
            let pools: Vec<String> = sim_pools(sim)
                .await
                .into_iter()
                .filter(|p| p.owner.as_ref().is_some_and(|o| uids.contains(o)))
                .map(|p| format!("{} ({})", p.name, p.id))
                .collect();
            if left.is_empty() && pools.is_empty() {
                return Vec::new();
            }
            if start.elapsed() > timeout {
                return vec![format!(
                    "{}: the other team's NodePools {left:?} or pools {pools:?} are not gone",
                    self.ns
                )];
            }
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
    }
}

/// The other tenants of one phase: foreign pools made before the workload starts and at
/// `during_at` ops while it runs, and (optionally) another team.
struct Tenants {
    bys: Bystanders,
    team_b: Option<OtherTeam>,
    during_at: Vec<usize>,
    rounds: usize,
    rng: fastrand::Rng,
}

impl Tenants {
    /// Before the workload: `s.foreign_before` rounds of foreign pools named as the workload's
    /// NodePools 1, 4, 7, ... will be (both clouds' names: the workload picks one cloud per
    /// NodePool) plus one of another name each; the other team's NodePools named as the
    /// workload's NodePool 2 will be (both clouds).
    #[allow(clippy::too_many_arguments)]
    async fn before(
        s: &Settings,
        client: &Client,
        sim: &str,
        phase: &str,
        ns: &str,
        seed: u64,
        with_team: bool,
        wl: &mut Workload,
        total_ops: usize,
    ) -> Self {
        let mut bys = Bystanders::new(phase, sim, seed);
        let mut rounds = 0;
        for k in 0..s.foreign_before {
            let i = (1 + 3 * k).min(wl.target.saturating_sub(1));
            bys.foreign_round(wl, i, rounds).await;
            rounds += 1;
        }
        let mut team_b = None;
        if with_team {
            let mut team = OtherTeam::start(s, client, sim, phase, ns).await;
            for cloud in [CloudKind::Huawei, CloudKind::Alibaba] {
                team.create(&mut bys, cloud, &wl.name_of(cloud, 2)).await;
            }
            bys.share(wl);
            team_b = Some(team);
        }
        let during_at = (1..=s.foreign_during)
            .map(|k| total_ops * k / (s.foreign_during + 1))
            .collect();
        log(format!(
            "{phase}: {} foreign pools at the cloud before the workload{}",
            bys.others.foreign_ids.len(),
            if with_team {
                ", and the other team's NodePools"
            } else {
                ""
            }
        ));
        Tenants {
            bys,
            team_b,
            during_at,
            rounds,
            rng: fastrand::Rng::with_seed(seed ^ 0x7e4a),
        }
    }

    /// At op `i` of the workload: at the scheduled ops, foreign pools named as the next NodePool
    /// but one will be; at the middle one, the other team also makes NodePools named as two live
    /// NodePools of the workload (one per cloud, when there are).
    async fn during(&mut self, wl: &mut Workload, i: usize) {
        let Some(k) = self.during_at.iter().position(|at| *at == i) else {
            return;
        };
        let next = (wl.created + 1).min(wl.target.saturating_sub(1));
        self.bys.foreign_round(wl, next, self.rounds).await;
        self.rounds += 1;
        if k == self.during_at.len() / 2
            && let Some(team) = self.team_b.as_mut()
        {
            for cloud in [CloudKind::Huawei, CloudKind::Alibaba] {
                let names: Vec<String> = wl
                    .live
                    .iter()
                    .filter(|(_, e)| e.cloud == cloud)
                    .map(|(n, _)| n.clone())
                    .collect();
                if !names.is_empty() {
                    let name = names[self.rng.usize(0..names.len())].clone();
                    team.create(&mut self.bys, cloud, &name).await;
                }
            }
            self.bys.share(wl);
        }
        self.bys.observe().await;
    }

    /// After the workload converged: the other team's NodePools settled, nothing of anyone
    /// else's changed.
    async fn converged(&mut self, sim: &str, rep: &Shared, timeout: Duration) {
        if let Some(team) = self.team_b.as_mut() {
            let problems = team.settle(sim, timeout).await;
            if !problems.is_empty() {
                rep.lock().unwrap().fail(format!(
                    "{}: the other team's NodePools did not settle: {problems:?}",
                    self.bys.phase
                ));
            }
        }
        self.bys.verify("after convergence").await;
    }

    /// After the workload's NodePools were deleted: nothing of anyone else's changed; then the
    /// other team deletes its NodePools, and the foreign pools are still there, unchanged.
    /// Records the phase's figures under `phases.<phase>.tenants`.
    async fn drained(mut self, sim: &str, rep: &Shared, timeout: Duration) {
        self.bys
            .verify("after the workload's NodePools were deleted")
            .await;
        if let Some(team) = self.team_b.as_mut() {
            self.bys.release_other_team();
            let problems = team.drain(sim, timeout).await;
            if !problems.is_empty() {
                rep.lock()
                    .unwrap()
                    .fail(format!("{}: {problems:?}", self.bys.phase));
            }
            self.bys
                .verify("after the other team's NodePools were deleted")
                .await;
        }
        let v = self.bys.record(rep, self.team_b.as_ref());
        let phase = self.bys.phase.clone();
        if let Some(mut team) = self.team_b.take()
            && let Some(st) = team.controller.exited()
        {
            rep.lock()
                .unwrap()
                .fail(format!("{phase}: the other team's controller exited: {st}"));
        }
        let mut r = rep.lock().unwrap();
        let entry = r.phases.entry(phase).or_insert_with(|| json!({}));
        entry["tenants"] = v;
    }
}

// ---------------------------------------------------------------------------------------------
// Phase 1: bad input
// ---------------------------------------------------------------------------------------------

async fn phase_bad_input(s: &Settings, client: &Client, rep: &Shared) {
    let ns = format!("chaos-bad-{}", s.seed);
    let other = format!("chaos-other-{}", s.seed);
    create_ns(client, &ns).await;
    create_ns(client, &other).await;
    let (sim_proc, sim) = start_sim(s, "bad-input", None);
    // Watches every namespace, as in a cluster: the Secret of the other namespace is visible
    // to the controller's informer; the NodePool must still not be able to use it.
    let mut ctl = Ctl::new(s, None, &sim, "bad-input");
    ctl.rust_log = "debug,kube=info,hyper=info,reqwest=info,tower=info,h2=info,rustls=info".into();
    let controller = ctl.start();

    // (name, cloud, secret name, secret data or None, the reason and words the condition needs)
    struct Case {
        name: &'static str,
        cloud: CloudKind,
        secret: &'static str,
        data: Option<Value>,
        reason: &'static str,
        words: Vec<String>,
        stalled: bool,
    }
    let nsq = |n: &str| format!("{ns}/{n}");
    let cases = vec![
        Case {
            name: "no-secret",
            cloud: CloudKind::Huawei,
            secret: "does-not-exist",
            data: None,
            reason: "CredentialsSecretMissing",
            words: vec![nsq("does-not-exist")],
            stalled: true,
        },
        Case {
            name: "no-secret-ali",
            cloud: CloudKind::Alibaba,
            secret: "ali-does-not-exist",
            data: None,
            reason: "CredentialsSecretMissing",
            words: vec![nsq("ali-does-not-exist")],
            stalled: true,
        },
        Case {
            name: "missing-sk",
            cloud: CloudKind::Huawei,
            secret: "hw-missing-sk",
            data: Some(json!({"accessKey": HW_AK})),
            reason: "",
            words: vec![nsq("hw-missing-sk"), "secretKey".into()],
            stalled: true,
        },
        Case {
            name: "empty-ak",
            cloud: CloudKind::Huawei,
            secret: "hw-empty-ak",
            data: Some(json!({"accessKey": "", "secretKey": HW_SK})),
            reason: "",
            words: vec![nsq("hw-empty-ak"), "accessKey".into()],
            stalled: true,
        },
        Case {
            name: "empty-secret",
            cloud: CloudKind::Alibaba,
            secret: "ali-empty",
            data: Some(json!({})),
            reason: "",
            words: vec![nsq("ali-empty"), "accessKeyId".into()],
            stalled: true,
        },
        Case {
            name: "missing-ali-sk",
            cloud: CloudKind::Alibaba,
            secret: "ali-missing-sk",
            data: Some(json!({"accessKeyId": ALI_AK, "accessKeySecret": "   "})),
            reason: "",
            words: vec![nsq("ali-missing-sk"), "accessKeySecret".into()],
            stalled: true,
        },
        Case {
            name: "wrong-ak",
            cloud: CloudKind::Huawei,
            secret: "hw-wrong-ak",
            data: Some(json!({"accessKey": WRONG_HW_AK, "secretKey": WRONG_HW_SK})),
            reason: "",
            words: vec![],
            stalled: true,
        },
        Case {
            name: "wrong-sk",
            cloud: CloudKind::Huawei,
            secret: "hw-wrong-sk",
            data: Some(json!({"accessKey": HW_AK, "secretKey": BAD_SIG_HW_SK})),
            reason: "",
            words: vec![],
            stalled: true,
        },
        Case {
            name: "wrong-ali-sk",
            cloud: CloudKind::Alibaba,
            secret: "ali-wrong-sk",
            data: Some(json!({"accessKeyId": ALI_AK, "accessKeySecret": WRONG_ALI_SK})),
            reason: "",
            words: vec![],
            stalled: true,
        },
        Case {
            name: "other-ns",
            cloud: CloudKind::Huawei,
            secret: "shared-credentials",
            data: None, // exists only in the other namespace, with VALID credentials
            reason: "CredentialsSecretMissing",
            words: vec![nsq("shared-credentials")],
            stalled: true,
        },
        Case {
            name: "token-ok",
            cloud: CloudKind::Huawei,
            secret: "hw-token",
            data: Some(json!({"token": HW_TOKEN})),
            reason: "",
            words: vec![],
            stalled: false,
        },
    ];
    // The other namespace's Secret holds credentials the cloud ACCEPTS, so a cross-namespace
    // read would show as a pool at the simulator.
    put_secret(
        client,
        &other,
        "shared-credentials",
        json!({"accessKey": HW_AK, "secretKey": HW_SK, "note": OTHER_NS_SK}),
    )
    .await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns);
    for c in &cases {
        if let Some(d) = &c.data {
            put_secret(client, &ns, c.secret, d.clone()).await;
        }
        let m = match c.cloud {
            CloudKind::Huawei => huawei_pool(c.name, c.secret, 1, "bad", FLAVOR),
            CloudKind::Alibaba => alibaba_pool(c.name, c.secret, 1, "bad"),
        };
        let np: NodePool = serde_json::from_value(m).expect("NodePool");
        kretry("create", || async {
            api.create(&PostParams::default(), &np).await.map(|_| ())
        })
        .await;
    }
    // A Secret whose value is not UTF-8 (binary data).
    {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
        let bin: Secret = serde_json::from_value(json!({
            "metadata": {"name": "hw-binary", "labels": {"cloud.nodepool.dev/credentials": "true"}},
            "data": {"accessKey": "SFdBSw==", "secretKey": "/w=="} // "HWAK", 0xFF
        }))
        .expect("secret");
        let _ = secrets.create(&PostParams::default(), &bin).await;
        let np: NodePool =
            serde_json::from_value(huawei_pool("binary-sk", "hw-binary", 1, "bad", FLAVOR))
                .expect("NodePool");
        kretry("create", || async {
            api.create(&PostParams::default(), &np).await.map(|_| ())
        })
        .await;
    }

    // Wait for every case to show its condition.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut results: BTreeMap<String, Value> = BTreeMap::new();
    let mut all_names: Vec<(&str, &str, Vec<String>, bool, &str)> = cases
        .iter()
        .map(|c| (c.name, c.reason, c.words.clone(), c.stalled, c.secret))
        .collect();
    all_names.push((
        "binary-sk",
        "",
        vec![format!("{ns}/hw-binary"), "secretKey".into()],
        true,
        "hw-binary",
    ));
    loop {
        let mut pending = Vec::new();
        for (name, reason, words, stalled, secret) in &all_names {
            let np = kretry("get", || async { api.get(name).await }).await;
            let ok = if *stalled {
                cond(&np, "Stalled").is_some_and(|c| {
                    c.status == "True"
                        && (reason.is_empty() || c.reason == *reason)
                        && words.iter().all(|w| c.message.contains(w.as_str()))
                }) && cond(&np, "Ready").is_some_and(|c| c.status == "False")
            } else {
                cond(&np, "Ready").is_some_and(|c| c.status == "True")
            };
            let st = cond(&np, "Stalled")
                .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()));
            results.insert(
                name.to_string(),
                json!({"secret": secret, "expect_stalled": stalled, "ok": ok,
                       "stalled": st.as_ref().map(|s| &s.0), "reason": st.as_ref().map(|s| &s.1),
                       "message": st.as_ref().map(|s| &s.2)}),
            );
            if !ok {
                pending.push(name.to_string());
            }
        }
        if pending.is_empty() || Instant::now() > deadline {
            let mut r = rep.lock().unwrap();
            for p in &pending {
                r.fail(format!(
                    "bad-input {p}: the condition is not as required: {}",
                    results[p]
                ));
            }
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Nothing was created with the other namespace's credentials, nor with refused ones.
    let pools = sim_pools(&sim).await;
    let unexpected: Vec<&SimPool> = pools.iter().filter(|p| p.name != "token-ok").collect();
    if !unexpected.is_empty() {
        rep.lock().unwrap().fail(format!(
            "bad-input: cloud pools were created for NodePools with unusable credentials: {:?}",
            unexpected.iter().map(|p| &p.name).collect::<Vec<_>>()
        ));
    }
    // A rotation fixes a refused Secret: the NodePool goes Ready without a change of its own.
    put_secret(
        client,
        &ns,
        "hw-wrong-sk",
        json!({"accessKey": HW_AK, "secretKey": HW_SK}),
    )
    .await;
    let start = Instant::now();
    let rotated = loop {
        let np = kretry("get", || async { api.get("wrong-sk").await }).await;
        if cond(&np, "Ready").is_some_and(|c| c.status == "True") {
            break true;
        }
        if start.elapsed() > Duration::from_secs(30) {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let mut controller = controller;
    {
        let mut r = rep.lock().unwrap();
        if !rotated {
            r.fail(
                "bad-input: after fixing the Secret hw-wrong-sk the NodePool did not become Ready",
            );
        }
        if let Some(status) = controller.exited() {
            r.fail(format!("bad-input: the controller exited: {status}"));
        }
        for (name, v) in results {
            r.bad_inputs.push(json!({"case": name, "result": v}));
        }
        r.bad_inputs
            .push(json!({"case": "rotation-fixes-wrong-sk", "result": {"ok": rotated}}));
        r.phases.insert(
            "bad_input".into(),
            json!({"namespace": ns, "other_namespace": other, "cases": all_names.len() + 1}),
        );
    }
    log("bad-input: done");
    // The cluster-wide controller must not act on the other phases' NodePools (it points at
    // this phase's simulator): both stop here.
    drop(controller);
    drop(sim_proc);
}

// ---------------------------------------------------------------------------------------------
// Phases 2 and 3: crash chaos with one replica, and two replicas with the leader killed
// ---------------------------------------------------------------------------------------------

async fn phase_crash(s: &Settings, client: &Client, rep: &Shared) {
    let phase = "crash";
    let ns = format!("chaos-crash-{}", s.seed);
    create_ns(client, &ns).await;
    create_secrets(client, &ns).await;
    // Every other NodePool acts through a CloudAccount that chains from the static keys to a
    // role (Alibaba, with an ExternalId) or an agency (Huawei) whose credentials live
    // CHAINED_SECONDS: they expire and are refreshed many times across the SIGKILLs.
    let (_sim_proc, sim) =
        start_sim_with(s, phase, Some(json!({ "identity": chained_identity() })));
    let accounts = chained_accounts(client, &ns).await;
    let mut ctl = Ctl::new(s, Some(&ns), &sim, phase);
    ctl.extra = vec![
        "--alibaba-sts-endpoint".into(),
        sim.clone(),
        "--huawei-iam-endpoint".into(),
        sim.clone(),
    ];
    let mut controller = Some(ctl.start());
    let mut wl = Workload::new(client, &ns, s.seed, s.crash_pools, "c");
    wl.accounts = Some(accounts.clone());
    let mut rng = fastrand::Rng::with_seed(s.seed.wrapping_add(1));
    let started = Instant::now();
    // Ops until `crash_pools` were created; about 1.9 ops per created pool.
    let total_ops = s.crash_pools * 19 / 10;
    let mut kill_at: BTreeSet<usize> = BTreeSet::new();
    while kill_at.len() < s.crash_kills {
        kill_at.insert(rng.usize(1..total_ops));
    }
    let mut tenants = Tenants::before(
        s,
        client,
        &sim,
        phase,
        &ns,
        s.seed.wrapping_add(11),
        true,
        &mut wl,
        total_ops,
    )
    .await;
    let mut kills = 0u64;
    let mut last_fault = Instant::now();
    let mut i = 0;
    while !wl.done() || i < total_ops {
        wl.step().await;
        tenants.during(&mut wl, i).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(20..120))).await;
        if kill_at.contains(&i) {
            // A random moment: a little later than the op, while the controller works on it.
            tokio::time::sleep(Duration::from_millis(rng.u64(0..600))).await;
            if let Some(c) = controller.take()
                && let Err(e) = c.sigkill()
            {
                rep.lock().unwrap().fail(format!("{phase}: {e}"));
            }
            kills += 1;
            last_fault = Instant::now();
            // Half the restarts at once, half after a pause in which more changes arrive.
            if rng.bool() {
                tokio::time::sleep(Duration::from_millis(rng.u64(100..1500))).await;
            }
            controller = Some(ctl.start());
        }
        i += 1;
    }
    log(format!(
        "{phase}: {} ops in {:.1}s, {kills} SIGKILLs; converging",
        i,
        started.elapsed().as_secs_f64()
    ));
    let (secs, c) = converge(&wl, &sim, &BTreeMap::new(), last_fault, s.converge_timeout).await;
    record_check(rep, phase, secs, &c);
    tenants.converged(&sim, rep, s.converge_timeout).await;
    let cloud_pools = sim_pools(&sim)
        .await
        .iter()
        .filter(|p| !wl.others.covers(p))
        .count();
    let counters = sim_get(&sim, "counters").await;
    let creates: u64 = counters["counters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            (c["operation"] == "CreateNodePool" || c["operation"] == "CreateClusterNodePool")
                && c["outcome"] == "ok"
        })
        .filter_map(|c| c["count"].as_u64())
        .sum();
    {
        let mut r = rep.lock().unwrap();
        r.kills_survived += kills;
        r.kills_by_phase.insert(phase.into(), kills);
        r.fault("sigkill_controller", kills);
        r.phases.insert(
            phase.into(),
            json!({"namespace": ns, "nodepools_created": wl.created, "ops": wl.ops,
                   "live_at_end": wl.live.len(), "deleted": wl.deleted.len(), "kills": kills,
                   "cloud_pools_at_end": cloud_pools, "successful_cloud_creates": creates,
                   "cloud_requests_total": counters["total"]}),
        );
        if creates as usize != wl.created {
            // Not a failure by itself: a NodePool deleted before its create was sent has none.
            log(format!(
                "{phase}: {creates} successful creates at the cloud for {} NodePools (foreign and \
                 the other team's pools included)",
                wl.created
            ));
        }
    }
    if let Some(mut c) = controller.take() {
        if let Some(st) = c.exited() {
            rep.lock()
                .unwrap()
                .fail(format!("{phase}: the controller exited: {st}"));
        }
        // Cleanup with a live controller proves deletion after the chaos.
        drain(&mut wl, &sim, rep, phase, s.converge_timeout).await;
    }
    tenants.drained(&sim, rep, s.converge_timeout).await;
    check_chained(&sim, rep, phase).await;
    let cloud_accounts: Api<CloudAccount> = Api::all(client.clone());
    for name in [&accounts.0, &accounts.1] {
        kretry("delete CloudAccount", || async {
            match cloud_accounts.delete(name, &DeleteParams::default()).await {
                Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await;
    }
}

/// Lifetime of the chained credentials in the crash phase, in seconds.
const CHAINED_SECONDS: u64 = 12;
const CHAINED_ROLE: &str = "acs:ram::1234567890123456:role/chaos-tenant";
const CHAINED_EXTERNAL_ID: &str = "chaos-tenant-ext";
const CHAINED_DOMAIN: &str = "chaos-tenant-domain";
const CHAINED_AGENCY: &str = "cce-admin";

/// The simulator's identity services for the crash phase: the static keys may assume the role
/// and the agency, whose temporary keys act as the same accounts (same clusters, same budgets).
fn chained_identity() -> Value {
    json!({
        "credential_seconds": CHAINED_SECONDS,
        "alibaba": {"roles": [{
            "arn": CHAINED_ROLE, "account": ALI_AK,
            "trusted_principals": [format!("account:{ALI_AK}")],
            "external_id": CHAINED_EXTERNAL_ID,
        }]},
        "huawei": {"agencies": [{
            "domain_name": CHAINED_DOMAIN, "name": CHAINED_AGENCY, "account": HW_AK,
            "trusted_principals": [format!("account:{HW_AK}")],
        }]},
    })
}

/// The crash phase's two CloudAccounts (Huawei, Alibaba): the namespace's credentials Secret
/// as the source, then the role / agency of [`chained_identity`].
async fn chained_accounts(client: &Client, ns: &str) -> (String, String) {
    let api: Api<CloudAccount> = Api::all(client.clone());
    let hw = format!("{ns}-huawei");
    let ali = format!("{ns}-alibaba");
    for (name, spec) in [
        (
            &hw,
            json!({"cloud": "Huawei", "allowedNamespaces": [ns],
                   "source": {"secretRef": {"namespace": ns, "name": "huawei-credentials"}},
                   "assumeRole": {"domainName": CHAINED_DOMAIN, "agencyName": CHAINED_AGENCY}}),
        ),
        (
            &ali,
            json!({"cloud": "Alibaba", "allowedNamespaces": [ns],
                   "source": {"secretRef": {"namespace": ns, "name": "alibaba-credentials"}},
                   "assumeRole": {"roleArn": CHAINED_ROLE, "externalId": CHAINED_EXTERNAL_ID}}),
        ),
    ] {
        let account: CloudAccount = serde_json::from_value(json!({
            "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
            "metadata": {"name": name}, "spec": spec
        }))
        .expect("a CloudAccount");
        kretry("create CloudAccount", || async {
            match api.create(&PostParams::default(), &account).await {
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
                r => r.map(|_| ()),
            }
        })
        .await;
    }
    (hw, ali)
}

/// After the crash phase: the chained credentials were used and refreshed, no node-pool call
/// was refused for its credentials (an expired key, a missing token), and every temporary
/// credential the simulator issued joins the secret scan.
async fn check_chained(sim: &str, rep: &Shared, phase: &str) {
    let counters = sim_get(sim, "counters").await;
    let count = |cloud: &str, op: Option<&str>, outcome: &str| -> u64 {
        counters["counters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| {
                c["cloud"] == cloud
                    && op.is_none_or(|op| c["operation"] == op)
                    && c["outcome"] == outcome
            })
            .filter_map(|c| c["count"].as_u64())
            .sum()
    };
    let assumed = count("alibaba-sts", Some("AssumeRole"), "ok");
    let agency = count("huawei-iam", Some("CreateTemporaryAccessKeyByAgency"), "ok");
    let refused: Vec<String> = ["alibaba", "huawei"]
        .iter()
        .flat_map(|cloud| {
            ["unauthorized", "forbidden", "invalid"]
                .iter()
                .map(move |o| (cloud, o, count(cloud, None, o)))
        })
        .filter(|(_, _, n)| *n > 0)
        .map(|(c, o, n)| format!("{c}: {n} {o}"))
        .collect();
    let issued = sim_get(sim, "identity/issued").await;
    let secrets: Vec<String> = issued["secrets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    log(format!(
        "{phase}: chained credentials: AssumeRole {assumed}, agency {agency}, {} temporary \
         secrets issued; refused node-pool calls: {refused:?}",
        secrets.len()
    ));
    let mut r = rep.lock().unwrap();
    if assumed < 2 || agency < 2 {
        r.fail(format!(
            "{phase}: the chained credentials were not used and refreshed (AssumeRole {assumed}, \
             agency {agency})"
        ));
    }
    if !refused.is_empty() {
        r.fail(format!(
            "{phase}: node-pool calls refused (expired or wrong credentials): {refused:?}"
        ));
    }
    if let Some(p) = r.phases.get_mut(phase).and_then(Value::as_object_mut) {
        p.insert(
            "chained_credentials".into(),
            json!({"assume_role": assumed, "agency": agency, "issued_secrets": secrets.len(),
                   "lifetime_seconds": CHAINED_SECONDS}),
        );
    }
    ISSUED_SECRETS.lock().unwrap().extend(secrets);
}

async fn lease_holder_pid(client: &Client, ns: &str) -> Option<u32> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let lease = leases.get_opt("nodepool-controller").await.ok()??;
    let holder = lease.spec?.holder_identity?;
    holder.split('-').nth(2)?.parse().ok()
}

async fn phase_leader(s: &Settings, client: &Client, rep: &Shared) {
    let phase = "leader";
    let ns = format!("chaos-leader-{}", s.seed);
    create_ns(client, &ns).await;
    create_secrets(client, &ns).await;
    let (_sim_proc, sim) = start_sim(s, phase, None);
    let mut ctl = Ctl::new(s, Some(&ns), &sim, phase);
    ctl.extra = vec![
        "--leader-elect".into(),
        "--leader-election-namespace".into(),
        ns.clone(),
        "--lease-seconds".into(),
        "3".into(),
    ];
    let mut replicas: Vec<Proc> = vec![ctl.start(), ctl.start()];
    let mut wl = Workload::new(client, &ns, s.seed.wrapping_add(2), s.leader_pools, "l");
    let mut rng = fastrand::Rng::with_seed(s.seed.wrapping_add(3));
    let total_ops = s.leader_pools * 19 / 10;
    let mut kill_at: BTreeSet<usize> = BTreeSet::new();
    while kill_at.len() < s.leader_kills {
        kill_at.insert(rng.usize(total_ops / 4..total_ops));
    }
    let mut tenants = Tenants::before(
        s,
        client,
        &sim,
        phase,
        &ns,
        s.seed.wrapping_add(12),
        true,
        &mut wl,
        total_ops,
    )
    .await;
    let mut kills = 0u64;
    let mut last_fault = Instant::now();
    let mut i = 0;
    while !wl.done() || i < total_ops {
        wl.step().await;
        tenants.during(&mut wl, i).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(50..200))).await;
        if kill_at.contains(&i) {
            // Wait for a leader to be elected, then kill it.
            let start = Instant::now();
            let pid = loop {
                if let Some(pid) = lease_holder_pid(client, &ns).await
                    && replicas.iter().any(|p| p.pid() == pid)
                {
                    break Some(pid);
                }
                if start.elapsed() > Duration::from_secs(15) {
                    break None;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            match pid {
                Some(pid) => {
                    let idx = replicas.iter().position(|p| p.pid() == pid).expect("found");
                    let leader = replicas.remove(idx);
                    if let Err(e) = leader.sigkill() {
                        rep.lock().unwrap().fail(format!("{phase}: {e}"));
                    }
                    kills += 1;
                    last_fault = Instant::now();
                    replicas.push(ctl.start());
                }
                None => rep.lock().unwrap().fail(format!(
                    "{phase}: no live replica holds the Lease after 15s"
                )),
            }
        }
        i += 1;
    }
    log(format!(
        "{phase}: {i} ops, {kills} leader SIGKILLs; converging"
    ));
    let (secs, c) = converge(&wl, &sim, &BTreeMap::new(), last_fault, s.converge_timeout).await;
    record_check(rep, phase, secs, &c);
    tenants.converged(&sim, rep, s.converge_timeout).await;
    {
        let mut r = rep.lock().unwrap();
        r.kills_survived += kills;
        r.kills_by_phase.insert(phase.into(), kills);
        r.fault("sigkill_leader", kills);
        r.phases.insert(
            phase.into(),
            json!({"namespace": ns, "nodepools_created": wl.created, "ops": wl.ops,
                   "replicas": 2, "lease_seconds": 3, "leader_kills": kills}),
        );
    }
    for p in replicas.iter_mut() {
        if let Some(st) = p.exited() {
            rep.lock()
                .unwrap()
                .fail(format!("{phase}: a replica exited: {st}"));
        }
    }
    drain(&mut wl, &sim, rep, phase, s.converge_timeout).await;
    tenants.drained(&sim, rep, s.converge_timeout).await;
}

// ---------------------------------------------------------------------------------------------
// Phase 4: control-plane faults
// ---------------------------------------------------------------------------------------------

async fn restart_control_plane(s: &Settings, what: &str) -> bool {
    let script = s.restart_script.clone();
    let what = what.to_string();
    tokio::task::spawn_blocking(move || {
        Command::new(script)
            .arg(what)
            .stdout(Stdio::null())
            .status()
            .map(|st| st.success())
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

// ---------------------------------------------------------------------------------------------
// Phase 4's extra faults: watches that break, and a second writer of the status
// ---------------------------------------------------------------------------------------------

/// A plain TCP proxy in front of kube-apiserver (TLS passes through untouched) whose open
/// connections can all be cut at once: every watch and in-flight request through it breaks.
#[derive(Default)]
struct CutProxy {
    next: AtomicU64,
    /// The open connections, by number; a connection removes itself when it ends.
    open: Mutex<BTreeMap<u64, tokio::task::AbortHandle>>,
    accepted: AtomicU64,
    /// Connections closed at once because the API server could not be reached (while it is
    /// down for a restart).
    upstream_failed: AtomicU64,
}

impl CutProxy {
    /// Cuts every open connection (both sides are closed); returns how many were cut.
    fn cut_all(&self) -> u64 {
        let open = std::mem::take(&mut *self.open.lock().unwrap());
        let mut cut = 0;
        for handle in open.into_values() {
            if !handle.is_finished() {
                handle.abort();
                cut += 1;
            }
        }
        cut
    }
}

/// Starts the proxy on 127.0.0.1:0 in front of `upstream` (`host:port`); returns its address
/// and the accept loop (abort it to stop accepting).
async fn start_cut_proxy(
    upstream: String,
    state: Arc<CutProxy>,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accept = tokio::spawn(async move {
        loop {
            let Ok((mut down, _)) = listener.accept().await else {
                return;
            };
            state.accepted.fetch_add(1, Ordering::SeqCst);
            let id = state.next.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            let conn_state = state.clone();
            // Registered under the lock before the connection can end and remove itself.
            let mut open = state.open.lock().unwrap();
            let task = tokio::spawn(async move {
                let up = tokio::time::timeout(
                    Duration::from_secs(3),
                    tokio::net::TcpStream::connect(&upstream),
                )
                .await;
                match up {
                    Ok(Ok(mut up)) => {
                        let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                    }
                    _ => {
                        conn_state.upstream_failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
                conn_state.open.lock().unwrap().remove(&id);
            });
            open.insert(id, task.abort_handle());
        }
    });
    (addr, accept)
}

/// What the connection breaker did.
#[derive(Default, Debug)]
struct Breaks {
    /// Cut events (every 2–6 s).
    events: u64,
    /// Cut events that found at least one open connection (the `watch_break` faults).
    effective: u64,
    connections_cut: u64,
    last: Option<Instant>,
}

/// Cuts every connection through the proxy at seeded intervals until `stop`.
async fn break_watches(
    proxy: Arc<CutProxy>,
    seed: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Breaks {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut b = Breaks::default();
    loop {
        let wait = Duration::from_millis(rng.u64(2000..6000));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return b,
        }
        let cut = proxy.cut_all();
        log(format!(
            "control_plane: cut {cut} connections to the API server"
        ));
        b.events += 1;
        b.connections_cut += cut;
        if cut > 0 {
            b.effective += 1;
            b.last = Some(Instant::now());
        }
    }
}

/// The condition type another tool (the auditor) keeps in a NodePool's status.
const AUDIT: &str = "ChaosAudit";
/// The auditor's field manager for its server-side applies (not forced).
const AUDIT_MANAGER: &str = "chaos-auditor";
/// The field manager of its read-modify-write PUTs.
const AUDIT_PUT_MANAGER: &str = "chaos-auditor-put";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuditWay {
    Apply,
    Put,
}

/// Per NodePool: the auditor's writes and what they must have left behind.
#[derive(Default, Debug)]
struct AuditTrail {
    applied: u64,
    put: u64,
    /// The last write known to have gone through: how, and its message.
    last: Option<(AuditWay, String)>,
    /// Messages of later writes whose outcome is unknown (the API server failed mid-request):
    /// any of them may be the one the condition shows.
    unsure: Vec<String>,
}

/// What the auditor did.
#[derive(Default, Debug)]
struct Audit {
    /// Applies that went through (forced ones included).
    apply_ok: u64,
    /// Applies refused with a conflict (409), by the managers the conflict names.
    apply_conflict: u64,
    apply_conflict_with: BTreeMap<String, u64>,
    /// Forced applies after a conflict with the auditor's own PUTs only, that went through.
    apply_forced_over_own_put: u64,
    /// Conflict messages that name the controller: it owns fields of a condition not its own.
    controller_conflicts: Vec<String>,
    put_ok: u64,
    put_conflict: u64,
    /// The NodePool was gone (deleted meanwhile).
    not_found: u64,
    /// Refused with another 4xx (a harness bug if ever non-zero).
    refused: u64,
    /// Transport errors and 5xx (the API server went away): outcome unknown.
    unsure: u64,
    /// The read before the write failed (nothing written).
    read_failed: u64,
    first_refusal: Option<String>,
    trails: BTreeMap<String, AuditTrail>,
}

/// The field managers an apply conflict names (`conflict with "m" using …`).
fn conflict_managers(message: &str) -> BTreeSet<String> {
    message
        .split("with \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// Another client writing the status of random live NodePools every 50–300 ms (seeded) until
/// `stop`: mostly its own `ChaosAudit` condition by server-side apply (field manager
/// `chaos-auditor`, not forced), one time in three a read-modify-write PUT of the whole status
/// with the `resourceVersion` it read, after a pause of 0–200 ms.
///
/// A PUT that goes through makes its field manager the owner of the condition's changed fields,
/// so the next apply conflicts with the auditor's own PUTs; when those are all it conflicts
/// with, the auditor takes its condition back with a forced apply (without that, no apply would
/// go through on a NodePool after its first PUT). A conflict that names anyone else, above all
/// the controller, is recorded and not forced.
async fn audit_statuses(
    client: Client,
    ns: String,
    live: Arc<Mutex<Vec<String>>>,
    seed: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Audit {
    let api: Api<DynamicObject> =
        Api::namespaced_with(client, &ns, &ApiResource::erase::<NodePool>(&()));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut a = Audit::default();
    let mut n = 0u64;
    loop {
        let pause = Duration::from_millis(rng.u64(50..300));
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => return a,
        }
        let names = live.lock().unwrap().clone();
        if names.is_empty() {
            continue;
        }
        let name = names[rng.usize(0..names.len())].clone();
        let way = if rng.u32(0..3) == 0 {
            AuditWay::Put
        } else {
            AuditWay::Apply
        };
        let stale_for = Duration::from_millis(rng.u64(0..200));
        n += 1;
        let obj = match api.get(&name).await {
            Ok(o) => o,
            Err(kube::Error::Api(e)) if e.code == 404 => {
                a.not_found += 1;
                continue;
            }
            Err(_) => {
                a.read_failed += 1;
                continue;
            }
        };
        let message = format!(
            "audit #{n} by {}",
            if way == AuditWay::Put { "put" } else { "apply" }
        );
        let condition = json!({
            "type": AUDIT, "status": "True", "reason": "Audited", "message": message,
            "lastTransitionTime": jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "observedGeneration": obj.metadata.generation,
        });
        let result = match way {
            AuditWay::Apply => {
                let patch = json!({
                    "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
                    "status": {"conditions": [condition]},
                });
                let first = api
                    .patch_status(
                        &name,
                        &PatchParams::apply(AUDIT_MANAGER),
                        &Patch::Apply(&patch),
                    )
                    .await;
                match first {
                    Err(kube::Error::Api(e)) if e.code == 409 => {
                        a.apply_conflict += 1;
                        let managers = conflict_managers(&e.message);
                        for m in &managers {
                            *a.apply_conflict_with.entry(m.clone()).or_default() += 1;
                        }
                        if managers.contains(FIELD_MANAGER) {
                            a.controller_conflicts
                                .push(format!("{name}: {}", e.message));
                        }
                        if managers.is_empty()
                            || managers.iter().any(|m| m.as_str() != AUDIT_PUT_MANAGER)
                        {
                            continue;
                        }
                        let forced = api
                            .patch_status(
                                &name,
                                &PatchParams::apply(AUDIT_MANAGER).force(),
                                &Patch::Apply(&patch),
                            )
                            .await;
                        if forced.is_ok() {
                            a.apply_forced_over_own_put += 1;
                        }
                        forced
                    }
                    other => other,
                }
            }
            AuditWay::Put => {
                // A stale writer: what it read, changed a little later.
                tokio::time::sleep(stale_for).await;
                let mut obj = obj;
                // Ownership is the server's to track (a PUT carrying managedFields sets them).
                obj.metadata.managed_fields = None;
                if !obj.data["status"].is_object() {
                    obj.data["status"] = json!({});
                }
                let mut conditions: Vec<Value> = obj.data["status"]["conditions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                conditions.retain(|c| c["type"] != AUDIT);
                conditions.push(condition);
                obj.data["status"]["conditions"] = Value::Array(conditions);
                let pp = PostParams {
                    field_manager: Some(AUDIT_PUT_MANAGER.into()),
                    ..PostParams::default()
                };
                api.replace_status(&name, &pp, &obj).await
            }
        };
        let trail = a.trails.entry(name.clone()).or_default();
        match result {
            Ok(_) => {
                match way {
                    AuditWay::Apply => {
                        a.apply_ok += 1;
                        trail.applied += 1;
                    }
                    AuditWay::Put => {
                        a.put_ok += 1;
                        trail.put += 1;
                    }
                }
                trail.last = Some((way, message));
                trail.unsure.clear();
            }
            Err(kube::Error::Api(e)) if e.code == 409 => match way {
                AuditWay::Apply => a.apply_conflict += 1,
                AuditWay::Put => a.put_conflict += 1,
            },
            Err(kube::Error::Api(e)) if e.code == 404 => a.not_found += 1,
            Err(kube::Error::Api(e)) if e.code < 500 => {
                a.refused += 1;
                a.first_refusal
                    .get_or_insert_with(|| format!("{way:?} {name}: {} {}", e.code, e.message));
            }
            Err(_) => {
                a.unsure += 1;
                trail.unsure.push(message);
            }
        }
    }
}

/// After convergence: every live NodePool the auditor wrote to carries the `ChaosAudit`
/// condition of the auditor's last write that went through (or of a later one whose outcome is
/// unknown). The controller's status writes must have left it alone. Returns the NodePools
/// checked whose last write was a server-side apply, those whose last write was a PUT, and the
/// problems found.
async fn check_audit(wl: &Workload, audit: &Audit) -> (u64, u64, Vec<String>) {
    let api = wl.api.clone();
    let nps = kretry("list NodePools", || async {
        api.list(&ListParams::default()).await
    })
    .await
    .items;
    let (mut by_apply, mut by_put) = (0, 0);
    let mut problems = Vec::new();
    for np in &nps {
        let name = np.metadata.name.clone().unwrap_or_default();
        if !wl.live.contains_key(&name) {
            continue;
        }
        let Some(trail) = audit.trails.get(&name) else {
            continue;
        };
        let Some((way, message)) = &trail.last else {
            continue;
        };
        match way {
            AuditWay::Apply => by_apply += 1,
            AuditWay::Put => by_put += 1,
        }
        let expected = || {
            format!(
                "its last write that went through was a {} of {message:?} (after {} applies and {} PUTs that went through{})",
                if *way == AuditWay::Apply {
                    "server-side apply"
                } else {
                    "PUT"
                },
                trail.applied,
                trail.put,
                if trail.unsure.is_empty() {
                    String::new()
                } else {
                    format!("; later writes of unknown outcome: {:?}", trail.unsure)
                }
            )
        };
        match cond(np, AUDIT) {
            None => problems.push(format!(
                "{name}: the {AUDIT} condition is gone, {}; conditions now: {:?}",
                expected(),
                np.status.as_ref().map(|s| s
                    .conditions
                    .iter()
                    .map(|c| c.type_.clone())
                    .collect::<Vec<_>>())
            )),
            Some(c) if c.message != *message && !trail.unsure.contains(&c.message) => problems
                .push(format!(
                    "{name}: the {AUDIT} condition says {:?}, but {}",
                    c.message,
                    expected()
                )),
            Some(_) => {}
        }
    }
    (by_apply, by_put, problems)
}

async fn phase_control_plane(s: &Settings, client: &Client, rep: &Shared) {
    let phase = "control_plane";
    let ns = format!("chaos-cp-{}", s.seed);
    create_ns(client, &ns).await;
    create_secrets(client, &ns).await;
    let (_sim_proc, sim) = start_sim(s, phase, None);
    // The controller reaches the API server through a proxy that cuts every connection at
    // seeded moments (watches that break); the driver's own client goes to it directly.
    let cutter = Arc::new(CutProxy::default());
    let (proxy_addr, proxy_accept) =
        start_cut_proxy(api_server_address(&s.kubeconfig), cutter.clone()).await;
    let proxied = s.out.join("control-plane-proxied.kubeconfig");
    write_proxied_kubeconfig(&s.kubeconfig, &proxied, proxy_addr.port());
    let mut ctl = Ctl::new(s, Some(&ns), &sim, phase);
    ctl.kubeconfig = proxied;
    let mut controller = ctl.start();
    let mut wl = Workload::new(client, &ns, s.seed.wrapping_add(4), s.cp_pools, "p");
    let mut rng = fastrand::Rng::with_seed(s.seed.wrapping_add(5));
    // Another writer of the NodePools' status (conflicts on status writes), and the breaker.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let live_names: Arc<Mutex<Vec<String>>> = Arc::default();
    let breaker = tokio::spawn(break_watches(
        cutter.clone(),
        s.seed.wrapping_add(8),
        stop_rx.clone(),
    ));
    let auditor = tokio::spawn(audit_statuses(
        client.clone(),
        ns.clone(),
        live_names.clone(),
        s.seed.wrapping_add(9),
        stop_rx,
    ));
    let publish = |wl: &Workload| {
        *live_names.lock().unwrap() = wl.live.keys().cloned().collect();
    };
    let total_ops = s.cp_pools * 19 / 10;
    let mut tenants = Tenants::before(
        s,
        client,
        &sim,
        phase,
        &ns,
        s.seed.wrapping_add(13),
        false,
        &mut wl,
        total_ops,
    )
    .await;
    let restarts: Vec<(usize, &str)> = if s.quick {
        vec![(total_ops / 3, "apiserver"), (2 * total_ops / 3, "both")]
    } else {
        vec![
            (total_ops / 5, "apiserver"),
            (2 * total_ops / 5, "both"),
            (3 * total_ops / 5, "apiserver"),
            (4 * total_ops / 5, "both"),
        ]
    };
    let mut last_restart = Instant::now();
    let mut probe_latency: Vec<Value> = Vec::new();
    let mut done = BTreeMap::<String, u64>::new();
    let mut i = 0;
    while !wl.done() || i < total_ops {
        wl.step().await;
        publish(&wl);
        tenants.during(&mut wl, i).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(30..150))).await;
        for (at, what) in &restarts {
            if *at == i {
                log(format!("{phase}: restarting {what}"));
                let ok = restart_control_plane(s, what).await;
                if !ok {
                    rep.lock()
                        .unwrap()
                        .fail(format!("{phase}: restarting {what} failed"));
                }
                last_restart = Instant::now();
                // How long until the controller sees a NodePool created right after the
                // API server is back (its watches must have recovered).
                let probe = format!("p-probe-{i}");
                let np: NodePool = serde_json::from_value(huawei_pool(
                    &probe,
                    "huawei-credentials",
                    0,
                    "probe",
                    FLAVOR,
                ))
                .expect("NodePool");
                let api = wl.api.clone();
                kretry("create probe", || async {
                    match api.create(&PostParams::default(), &np).await {
                        Err(kube::Error::Api(e)) if e.code == 409 => Ok(()),
                        r => r.map(|_| ()),
                    }
                })
                .await;
                let t = Instant::now();
                let seen = loop {
                    let got = kretry("get probe", || async { api.get(&probe).await }).await;
                    // The controller's status (the auditor never writes observedGeneration and
                    // does not know the probe before this measurement ends).
                    if got
                        .status
                        .as_ref()
                        .is_some_and(|st| st.observed_generation.is_some())
                    {
                        break Some(t.elapsed().as_secs_f64());
                    }
                    if t.elapsed() > Duration::from_secs(120) {
                        break None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                log(format!(
                    "{phase}: after restarting {what}, a new NodePool got its first status in {seen:?} s"
                ));
                probe_latency.push(json!({"after": what, "first_status_seconds": seen}));
                wl.live.insert(
                    probe,
                    Expect {
                        cloud: CloudKind::Huawei,
                        nodes: 0,
                        tag: "probe".into(),
                    },
                );
                publish(&wl);
                *done
                    .entry(
                        if *what == "both" {
                            "restart_apiserver_and_etcd"
                        } else {
                            "restart_apiserver"
                        }
                        .into(),
                    )
                    .or_default() += 1;
            }
        }
        i += 1;
    }
    // The breaker stops first, then the auditor: its last write is the last fault, and the
    // convergence check sees a quiet system.
    let _ = stop_tx.send(true);
    let breaks = breaker.await.expect("the breaker task");
    let audit = auditor.await.expect("the auditor task");
    // Convergence is measured from the last fault: a restart, a cut, or the auditor's last write.
    let last_fault = [Some(last_restart), breaks.last, Some(Instant::now())]
        .into_iter()
        .flatten()
        .max()
        .expect("a time");
    log(format!(
        "{phase}: {i} ops; {} watch breaks ({} connections cut); status writes by another \
         client: {} applies ({} conflicts, {} forced over its own PUTs), {} PUTs ({} conflicts), {} of \
         unknown outcome; converging",
        breaks.effective,
        breaks.connections_cut,
        audit.apply_ok,
        audit.apply_conflict,
        audit.apply_forced_over_own_put,
        audit.put_ok,
        audit.put_conflict,
        audit.unsure
    ));
    let (secs, c) = converge(&wl, &sim, &BTreeMap::new(), last_fault, s.converge_timeout).await;
    record_check(rep, phase, secs, &c);
    tenants.converged(&sim, rep, s.converge_timeout).await;
    // The controller's writes leave another writer's condition alone.
    let (audit_by_apply, audit_by_put, audit_problems) = check_audit(&wl, &audit).await;
    log(format!(
        "{phase}: {AUDIT} conditions checked: {audit_by_apply} last set by apply, {audit_by_put} by PUT; {} problems",
        audit_problems.len()
    ));
    {
        let mut r = rep.lock().unwrap();
        for (k, v) in &done {
            r.fault(k, *v);
        }
        r.fault("watch_break", breaks.effective);
        r.fault(
            "status_write_conflict",
            audit.apply_conflict + audit.put_conflict,
        );
        r.fault("concurrent_status_write", audit.apply_ok + audit.put_ok);
        if !audit_problems.is_empty() {
            r.fail(format!(
                "{phase}: {} of {} NodePools lost or changed the {AUDIT} condition another client \
                 set (the controller's status writes must leave other types alone); first: {:?}",
                audit_problems.len(),
                audit_by_apply + audit_by_put,
                audit_problems.iter().take(5).collect::<Vec<_>>()
            ));
        }
        if !audit.controller_conflicts.is_empty() {
            r.fail(format!(
                "{phase}: {} of the auditor's applies of its own {AUDIT} condition conflicted with \
                 the controller ({FIELD_MANAGER}), which must own none of its fields; first: {:?}",
                audit.controller_conflicts.len(),
                audit
                    .controller_conflicts
                    .iter()
                    .take(3)
                    .collect::<Vec<_>>()
            ));
        }
        if audit.refused > 0 {
            r.fail(format!(
                "{phase}: the API server refused {} of the auditor's status writes (a harness bug); first: {:?}",
                audit.refused, audit.first_refusal
            ));
        }
        if let Some(st) = controller.exited() {
            r.fail(format!(
                "{phase}: the controller exited after the control-plane restarts: {st}"
            ));
        }
        r.phases.insert(
            phase.into(),
            json!({"namespace": ns, "nodepools_created": wl.created, "ops": wl.ops, "restarts": done,
                   "watch_recovery_probe": probe_latency,
                   "watch_breaks": {
                       "interval_ms": [2000, 6000],
                       "cut_events": breaks.events,
                       "cut_events_with_open_connections": breaks.effective,
                       "connections_cut": breaks.connections_cut,
                       "connections_proxied": cutter.accepted.load(Ordering::SeqCst),
                       "upstream_connect_failures": cutter.upstream_failed.load(Ordering::SeqCst),
                   },
                   "status_writes_by_another_client": {
                       "interval_ms": [50, 300],
                       "apply_ok": audit.apply_ok,
                       "apply_conflict": audit.apply_conflict,
                       "apply_conflict_with": audit.apply_conflict_with,
                       "apply_forced_over_own_put": audit.apply_forced_over_own_put,
                       "apply_conflict_with_controller": audit.controller_conflicts,
                       "put_ok": audit.put_ok,
                       "put_conflict_409": audit.put_conflict,
                       "not_found": audit.not_found,
                       "refused": audit.refused,
                       "outcome_unknown": audit.unsure,
                       "read_failed": audit.read_failed,
                       "nodepools_written": audit.trails.values().filter(|t| t.last.is_some()).count(),
                       "audit_conditions_checked": audit_by_apply,
                       "audit_conditions_checked_last_by_put": audit_by_put,
                       "audit_condition_problems": audit_problems,
                   }}),
        );
    }
    drain(&mut wl, &sim, rep, phase, s.converge_timeout).await;
    tenants.drained(&sim, rep, s.converge_timeout).await;
    drop(controller);
    proxy_accept.abort();
    cutter.cut_all();
}

// ---------------------------------------------------------------------------------------------
// Phase 5: cloud faults
// ---------------------------------------------------------------------------------------------

async fn phase_cloud_faults(s: &Settings, client: &Client, rep: &Shared) {
    let phase = "cloud_faults";
    let ns = format!("chaos-cloud-{}", s.seed);
    create_ns(client, &ns).await;
    create_secrets(client, &ns).await;
    let base = |spec: Value| {
        json!({
            "global": spec,
            "huawei_sold_out_flavors": [SOLD_OUT_FLAVOR],
        })
    };
    let noisy =
        json!({"error_rate": 0.10, "timeout_rate": 0.05, "timeout_ms": 1500, "latency_ms": 20});
    let (_sim_proc, sim) = start_sim(s, phase, Some(&base(json!({}))));
    let proxy = Arc::new(ProxyState {
        seed: s.seed,
        huge_bytes: AtomicU64::new(if s.quick { 8 << 20 } else { 64 << 20 }),
        ..ProxyState::default()
    });
    let endpoint = start_proxy(&sim, proxy.clone()).await;
    let ctl = Ctl::new(s, Some(&ns), &endpoint, phase);
    let mut controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns);

    // The pool that can never be satisfied.
    let sold_out: NodePool = serde_json::from_value(huawei_pool(
        "soldout",
        "huawei-credentials",
        2,
        "so",
        SOLD_OUT_FLAVOR,
    ))
    .expect("NodePool");
    kretry("create", || async {
        api.create(&PostParams::default(), &sold_out)
            .await
            .map(|_| ())
    })
    .await;
    let mut exempt = BTreeMap::new();
    exempt.insert(
        "soldout".to_string(),
        Expect {
            cloud: CloudKind::Huawei,
            nodes: 2,
            tag: "so".into(),
        },
    );

    let mut wl = Workload::new(client, &ns, s.seed.wrapping_add(6), s.fault_pools, "f");
    let total_ops = s.fault_pools * 19 / 10;
    // Foreign pools are made before the faults start, and while they last (retried).
    let mut tenants = Tenants::before(
        s,
        client,
        &sim,
        phase,
        &ns,
        s.seed.wrapping_add(14),
        false,
        &mut wl,
        total_ops,
    )
    .await;
    sim_put_faults(&sim, &base(noisy.clone())).await;
    proxy.garbage_permille.store(100, Ordering::SeqCst);
    proxy.lose_permille.store(100, Ordering::SeqCst);
    let mut rng = fastrand::Rng::with_seed(s.seed.wrapping_add(7));
    let mut faults = BTreeMap::<String, u64>::new();
    let mut i = 0;
    let started = Instant::now();
    while !wl.done() || i < total_ops {
        wl.step().await;
        tenants.during(&mut wl, i).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(50..200))).await;
        match rng.u32(0..12) {
            0 => {
                // A throttling burst: 30 requests a minute for a few seconds.
                let mut spec = noisy.clone();
                spec["rate_limit_per_minute"] = json!(30);
                sim_put_faults(&sim, &base(spec)).await;
                tokio::time::sleep(Duration::from_millis(rng.u64(1000..2500))).await;
                sim_put_faults(&sim, &base(noisy.clone())).await;
                *faults.entry("throttling_burst".into()).or_default() += 1;
            }
            1 => {
                // Slow answers for a while.
                let mut spec = noisy.clone();
                spec["latency_ms"] = json!(rng.u64(400..1200));
                sim_put_faults(&sim, &base(spec)).await;
                tokio::time::sleep(Duration::from_millis(rng.u64(1000..2500))).await;
                sim_put_faults(&sim, &base(noisy.clone())).await;
                *faults.entry("slow_answers_period".into()).or_default() += 1;
            }
            _ => {}
        }
        i += 1;
    }
    // Keep the noise a little longer so in-flight work meets it too.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let noisy_secs = started.elapsed().as_secs_f64();
    let peak_rss_faulty = controller.peak_rss_kib();
    // The cloud recovers (the sold-out flavor stays sold out).
    sim_put_faults(&sim, &base(json!({}))).await;
    proxy.garbage_permille.store(0, Ordering::SeqCst);
    proxy.lose_permille.store(0, Ordering::SeqCst);
    let last_fault = Instant::now();
    let counters = sim_get(&sim, "counters").await;
    for c in counters["counters"].as_array().into_iter().flatten() {
        let outcome = c["outcome"].as_str().unwrap_or("");
        if matches!(outcome, "injected_error" | "timeout" | "throttled") {
            *faults.entry(format!("sim_{outcome}")).or_default() +=
                c["count"].as_u64().unwrap_or(0);
        }
    }
    for (k, v) in proxy.injected.lock().unwrap().iter() {
        *faults.entry(format!("proxy_{k}")).or_default() += v;
    }
    log(format!(
        "{phase}: {i} ops under faults for {noisy_secs:.1}s: {faults:?}; converging"
    ));
    let (secs, c) = converge(&wl, &sim, &exempt, last_fault, s.converge_timeout).await;
    record_check(rep, phase, secs, &c);
    tenants.converged(&sim, rep, s.converge_timeout).await;

    // The sold-out pool: a clear Stalled, exactly one cloud pool.
    let np = kretry("get", || async { api.get("soldout").await }).await;
    let stalled =
        cond(&np, "Stalled").map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()));
    let ok = stalled
        .as_ref()
        .is_some_and(|(st, reason, _)| st == "True" && reason == "SoldOut");
    if !ok {
        rep.lock().unwrap().fail(format!(
            "{phase}: the permanently sold-out pool is not Stalled/SoldOut: {stalled:?}"
        ));
    }

    // No hot loop: requests per pool in a quiet window after convergence.
    proxy.reset_counts();
    let window = Duration::from_secs(if s.quick { 10 } else { 30 });
    tokio::time::sleep(window).await;
    let per_pool = proxy.per_pool.lock().unwrap().clone();
    let per_kind = proxy.per_kind.lock().unwrap().clone();
    let pools_now = sim_pools(&sim).await;
    let max_per_pool = per_pool.values().copied().max().unwrap_or(0);
    // resync 20 s ±10%: at most one or two reads per steady pool per window of 10 s; allow 3 per
    // resync period plus 2.
    let bound = 2 + 3 * (window.as_secs() / 18 + 1);
    let hot: Vec<(String, u64)> = per_pool
        .iter()
        .filter(|(_, n)| **n > bound)
        .map(|(k, v)| {
            let name = pools_now
                .iter()
                .find(|p| &p.id == k)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| k.clone());
            (name, *v)
        })
        .collect();
    let peak_rss = controller.peak_rss_kib();
    {
        let mut r = rep.lock().unwrap();
        // With batched reads one list serves many pools: bound the window's total as well.
        let total: u64 = per_kind.values().sum();
        let total_bound = bound * (pools_now.len() as u64 + 2);
        if total > total_bound {
            r.fail(format!(
                "{phase}: hot loop: {total} cloud requests in a quiet {}s window for {} pools (bound {total_bound}): {per_kind:?}",
                window.as_secs(),
                pools_now.len()
            ));
        }
        if !hot.is_empty() {
            r.fail(format!(
                "{phase}: hot loop: more than {bound} requests per pool in a quiet {}s window: {hot:?}",
                window.as_secs()
            ));
        }
        if let Some(st) = controller.exited() {
            r.fail(format!(
                "{phase}: the controller exited under cloud faults: {st}"
            ));
        }
        for (k, v) in &faults {
            r.fault(k, *v);
        }
        r.phases.insert(
            phase.into(),
            json!({"namespace": ns, "nodepools_created": wl.created, "ops": wl.ops,
                   "noisy_seconds": noisy_secs,
                   "sold_out_pool_stalled": stalled,
                   "quiet_window_seconds": window.as_secs(),
                   "quiet_window_requests_per_pool_max": max_per_pool,
                   "quiet_window_requests_per_pool_bound": bound,
                   "quiet_window_requests_by_kind": per_kind,
                   "quiet_window_requests_total": per_kind.values().sum::<u64>(),
                   "quiet_window_pools_seen": per_pool.len(),
                   "controller_peak_rss_kib_under_faults": peak_rss_faulty,
                   "controller_peak_rss_kib": peak_rss,
                   "huge_body_bytes": proxy.huge_bytes.load(Ordering::SeqCst)}),
        );
    }
    // Drain (the sold-out pool too).
    wl.live.insert("soldout".into(), exempt["soldout"].clone());
    let _ = kretry("delete", || async {
        api.delete("soldout", &DeleteParams::default())
            .await
            .map(|_| ())
    })
    .await;
    wl.live.remove("soldout");
    wl.deleted.insert("soldout".into());
    drain(&mut wl, &sim, rep, phase, s.converge_timeout).await;
    tenants.drained(&sim, rep, s.converge_timeout).await;
}

// ---------------------------------------------------------------------------------------------
// The secret scan
// ---------------------------------------------------------------------------------------------

fn b64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

async fn scan_secrets(s: &Settings, client: &Client, rep: &Shared) {
    let mut corpus: Vec<(String, String)> = Vec::new();
    let logs = s.out.join("logs");
    for entry in std::fs::read_dir(&logs).into_iter().flatten().flatten() {
        let p = entry.path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if name.starts_with("controller-") {
            let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).to_string();
            if text.contains("panicked at") {
                rep.lock()
                    .unwrap()
                    .fail(format!("a controller panicked: see {}", p.display()));
            }
            corpus.push((format!("log {name}"), text));
        }
    }
    let events: Api<k8s_openapi::api::events::v1::Event> = Api::all(client.clone());
    let ev = kretry("list events", || async {
        events.list(&ListParams::default()).await
    })
    .await;
    let n_events = ev.items.len();
    corpus.push((
        "events.k8s.io Events".into(),
        serde_json::to_string(&ev.items).unwrap_or_default(),
    ));
    let core: Api<k8s_openapi::api::core::v1::Event> = Api::all(client.clone());
    let cev = kretry("list core events", || async {
        core.list(&ListParams::default()).await
    })
    .await;
    corpus.push((
        "core Events".into(),
        serde_json::to_string(&cev.items).unwrap_or_default(),
    ));
    let nps: Api<NodePool> = Api::all(client.clone());
    let all = kretry("list NodePools", || async {
        nps.list(&ListParams::default()).await
    })
    .await;
    let statuses: Vec<Value> = all
        .items
        .iter()
        .map(|n| json!({"name": n.metadata.name, "ns": n.metadata.namespace, "status": n.status}))
        .collect();
    corpus.push((
        "NodePool statuses".into(),
        serde_json::to_string(&statuses).unwrap_or_default(),
    ));
    let bytes: usize = corpus.iter().map(|(_, t)| t.len()).sum();
    let issued = ISSUED_SECRETS.lock().unwrap().clone();
    let mut values: Vec<String> = secret_values().iter().map(|s| s.to_string()).collect();
    values.extend(issued.iter().cloned());
    let mut r = rep.lock().unwrap();
    for secret in &values {
        for needle in [secret.clone(), b64(secret)] {
            for (what, text) in &corpus {
                let n = text.matches(needle.as_str()).count();
                if n > 0 {
                    r.secret_hits
                        .push(format!("{n} x a credential value in {what}"));
                }
            }
        }
    }
    for ak in [HW_AK, ALI_AK, WRONG_HW_AK] {
        let n: usize = corpus.iter().map(|(_, t)| t.matches(ak).count()).sum();
        r.access_key_id_hits.insert(ak.to_string(), n as u64);
    }
    if !r.secret_hits.is_empty() {
        let hits = r.secret_hits.clone();
        r.fail(format!("credential values leaked: {hits:?}"));
    }
    r.phases.insert(
        "secret_scan".into(),
        json!({"sources": corpus.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>(),
               "bytes_scanned": bytes, "events": n_events, "nodepools": all.items.len(),
               "values_scanned_for": values.len() * 2,
               "temporary_values_scanned_for": issued.len() * 2}),
    );
    log(format!(
        "secret scan: {bytes} bytes of logs, Events and statuses; {} static and {} temporary \
         credential values",
        secret_values().len(),
        issued.len()
    ));
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// Writes `report.json` (after every phase, so a run cut short by the time limit still leaves
/// what it found; `complete` is false until the end).
fn write_report(
    s: &Settings,
    rep: &Shared,
    timings: &BTreeMap<String, f64>,
    started: Instant,
    complete: bool,
) {
    let r = rep.lock().unwrap();
    let longest = r.convergence.values().copied().fold(0.0_f64, f64::max);
    let owner_changes = OWNER_CHANGES.lock().unwrap().clone();
    let report = json!({
        "mode": if s.quick { "quick" } else { "full" },
        "phases_run": std::env::var("CHAOS_PHASES").unwrap_or_else(|_| "all".into()),
        "complete": complete,
        "seed": s.seed,
        "passed": complete && r.failures.is_empty(),
        "kills_survived": r.kills_survived,
        "kills_by_phase": r.kills_by_phase,
        "faults_injected": r.faults,
        "bad_inputs_tried": r.bad_inputs.len(),
        "bad_inputs": r.bad_inputs,
        "duplicates_found": r.duplicates.len(),
        "duplicates": r.duplicates,
        "orphans_found": r.orphans.len(),
        "orphans": r.orphans,
        "missing": r.missing,
        "wrong_spec": r.wrong_spec,
        "untrue_status": r.untrue_status,
        "foreign_pools_watched": r.foreign_watched,
        "foreign_pools_changed_or_deleted": r.foreign_problems.len(),
        "foreign_pool_changes": r.foreign_problems,
        "pools_changing_owner": owner_changes.len(),
        "owner_changes": owner_changes,
        "name_taken_stalls": r.name_taken.len(),
        "name_taken": r.name_taken,
        "secret_hits": r.secret_hits.len(),
        "secret_hit_details": r.secret_hits,
        "access_key_id_occurrences": r.access_key_id_hits,
        "convergence_after_last_fault_seconds": r.convergence,
        "longest_convergence_after_last_fault_seconds": (longest * 10.0).round() / 10.0,
        "phase_seconds": timings,
        "phases": r.phases,
        "duration_seconds": (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        "failures": r.failures,
    });
    let path = s.out.join("report.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report).expect("json"))
        .expect("write report");
    if complete {
        log(format!("report written to {}", path.display()));
    }
}

#[test]
fn chaos_run() {
    let s = Settings::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    std::fs::create_dir_all(s.out.join("logs")).expect("out dir");
    log(format!(
        "seed {} ({}); reproduce with tests/chaos/run.sh {}--seed {}",
        s.seed,
        if s.quick { "quick" } else { "full" },
        if s.quick { "--quick " } else { "" },
        s.seed
    ));
    let rep: Shared = Arc::new(Mutex::new(Report::default()));
    let started = Instant::now();
    let mut timings = BTreeMap::<String, f64>::new();
    rt.block_on(async {
        let client = kube_client(&s.kubeconfig).await;
        // CHAOS_PHASES=crash,leader,... runs a subset (for digging into one phase).
        let only = std::env::var("CHAOS_PHASES").ok();
        let on = |p: &str| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|x| x.trim() == p))
        };
        if on("bad_input") {
            let t = Instant::now();
            phase_bad_input(&s, &client, &rep).await;
            timings.insert("bad_input".into(), t.elapsed().as_secs_f64());
            write_report(&s, &rep, &timings, started, false);
        }
        if on("crash") {
            let t = Instant::now();
            phase_crash(&s, &client, &rep).await;
            timings.insert("crash".into(), t.elapsed().as_secs_f64());
            write_report(&s, &rep, &timings, started, false);
        }
        if on("leader") {
            let t = Instant::now();
            phase_leader(&s, &client, &rep).await;
            timings.insert("leader".into(), t.elapsed().as_secs_f64());
            write_report(&s, &rep, &timings, started, false);
        }
        if on("control_plane") {
            let t = Instant::now();
            phase_control_plane(&s, &client, &rep).await;
            timings.insert("control_plane".into(), t.elapsed().as_secs_f64());
            write_report(&s, &rep, &timings, started, false);
        }
        // A fresh client: the old one's connections died with the API server.
        let client = kube_client(&s.kubeconfig).await;
        if on("cloud_faults") {
            let t = Instant::now();
            phase_cloud_faults(&s, &client, &rep).await;
            timings.insert("cloud_faults".into(), t.elapsed().as_secs_f64());
            write_report(&s, &rep, &timings, started, false);
        }
        scan_secrets(&s, &client, &rep).await;
    });
    {
        let changes = OWNER_CHANGES.lock().unwrap().clone();
        if !changes.is_empty() {
            rep.lock().unwrap().fail(format!(
                "{} pools changed owner (no pool may): {changes:?}",
                changes.len()
            ));
        }
    }
    write_report(&s, &rep, &timings, started, true);
    let r = rep.lock().unwrap();
    assert!(
        r.failures.is_empty(),
        "chaos run failed (seed {}): {:#?}",
        s.seed,
        r.failures
    );
}
