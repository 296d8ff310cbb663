//! The end-to-end harness shared by the controller tests: the cloud simulator and the
//! controller binary as child processes, the project's own cloud clients to read cloud state,
//! the simulator's admin API, and waits on NodePool conditions and Events.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use nodepool_controller::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use nodepool_controller::cloud::auth::{AccessKey, HuaweiAuth};
use nodepool_controller::cloud::huawei::{HuaweiClient, HuaweiConfig};
use nodepool_controller::cloud::ratelimit::{RateLimit, RateLimiters};
use nodepool_controller::cloud::{CloudPool, NodePoolProvider};
use nodepool_controller::crd::NodePool;
use serde_json::{Value, json};

pub const HW_AK: &str = "HWAKFAULT00000000001";
pub const HW_SK: &str = "hw-fault-secret-key-do-not-log";
pub const ALI_AK: &str = "LTAIfault000000000001";
pub const ALI_SK: &str = "ali-fault-secret-do-not-log";
pub const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
pub const HW_CLUSTER: &str = "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03";
pub const ALI_CLUSTER: &str = "c61da77e8bfbc4c4c999af2b51b65a1b";
pub const FLAVOR: &str = "s6.large.2";
pub const INSTANCE_TYPE: &str = "ecs.g7.xlarge";

/// A child process killed (SIGKILL) when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The cloud simulator on a free loopback port, with short lifecycle timings.
pub fn start_sim() -> (Proc, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(["--huawei-account", &format!("{HW_AK}:{HW_SK}")])
        .args(["--alibaba-account", &format!("{ALI_AK}:{ALI_SK}")])
        .args(["--huawei-cluster", &format!("{PROJECT}/{HW_CLUSTER}")])
        .args(["--alibaba-cluster", ALI_CLUSTER])
        .args(["--provision-seconds", "1", "--node-seconds", "0.2"])
        .args(["--delete-seconds", "1", "--update-seconds", "0.5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
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
    (Proc(child), format!("http://{addr}"))
}

/// How to start a controller.
pub struct Ctl<'a> {
    pub namespace: &'a str,
    /// The cloud endpoint (the simulator, or a proxy in front of it).
    pub endpoint: &'a str,
    /// Address of /healthz, /readyz and /metrics.
    pub http_addr: String,
    /// Where stdout and stderr go (inherited when `None`).
    pub log: Option<&'a Path>,
    /// `RUST_LOG` of the controller.
    pub rust_log: &'a str,
    /// `--resync-seconds` (how often a steady pool is read again).
    pub resync: &'a str,
    /// More flags.
    pub extra: Vec<String>,
    /// The kubeconfig the controller uses (the administrator's when `None`).
    pub kubeconfig: Option<&'a Path>,
}

impl<'a> Ctl<'a> {
    pub fn new(namespace: &'a str, endpoint: &'a str) -> Self {
        Ctl {
            namespace,
            endpoint,
            http_addr: "127.0.0.1:0".into(),
            log: None,
            rust_log: "info,kube=warn",
            resync: "20",
            extra: Vec::new(),
            kubeconfig: None,
        }
    }

    pub fn start(&self) -> Proc {
        let (out, err) = match self.log {
            Some(path) => {
                let f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("the log file");
                (
                    Stdio::from(f.try_clone().expect("clone the log file")),
                    Stdio::from(f),
                )
            }
            None => (Stdio::inherit(), Stdio::inherit()),
        };
        let child = Command::new(env!("CARGO_BIN_EXE_nodepool-controller"))
            .args(["run", "--namespace", self.namespace])
            .args(["--huawei-endpoint", self.endpoint])
            .args(["--alibaba-endpoint", self.endpoint])
            .args(["--poll-seconds", "0.3", "--resync-seconds", self.resync])
            .args(["--backoff-seconds", "0.3", "--backoff-max-seconds", "2"])
            .args(["--create-grace-seconds", "3"])
            .args(["--cloud-rate", "200", "--cloud-burst", "200"])
            .args(["--http-addr", &self.http_addr])
            .args(&self.extra)
            .env(
                "KUBECONFIG",
                self.kubeconfig
                    .map(Path::to_path_buf)
                    .unwrap_or_else(super::kubeconfig_path),
            )
            .env("RUST_LOG", self.rust_log)
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("the controller starts");
        Proc(child)
    }
}

pub fn limiters() -> Arc<RateLimiters> {
    RateLimiters::new(RateLimit {
        per_second: 100.0,
        burst: 100,
    })
}

pub fn huawei_client(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = HuaweiConfig::new("cn-north-4", PROJECT);
    cfg.endpoint = Some(sim.to_string());
    Arc::new(
        HuaweiClient::new(
            cfg,
            HuaweiAuth::AccessKey(AccessKey::new(HW_AK, HW_SK)),
            &limiters(),
        )
        .expect("a CCE client"),
    )
}

pub fn alibaba_client(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = AlibabaConfig::new("cn-hangzhou");
    cfg.endpoint = Some(sim.to_string());
    Arc::new(
        AlibabaClient::new(cfg, AccessKey::new(ALI_AK, ALI_SK), &limiters())
            .expect("an ACK client"),
    )
}

/// The label that marks a credentials Secret (`credentials::CREDENTIALS_LABEL`).
pub fn credentials_labels() -> Value {
    json!({nodepool_controller::credentials::CREDENTIALS_LABEL: "true"})
}

/// Creates or replaces a credentials Secret (labelled, type Opaque).
pub async fn put_secret(client: &Client, ns: &str, name: &str, data: Value) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let secret: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "labels": credentials_labels()}, "stringData": data
    }))
    .expect("a secret");
    match api.get_opt(name).await.expect("get secret") {
        None => {
            api.create(&PostParams::default(), &secret)
                .await
                .expect("create secret");
        }
        Some(old) => {
            // Replace the whole data (a rotation), keeping nothing of the old keys.
            let mut new = secret;
            new.metadata.resource_version = old.metadata.resource_version;
            api.replace(name, &PostParams::default(), &new)
                .await
                .expect("replace secret");
        }
    }
}

pub async fn create_secrets(client: &Client, ns: &str) {
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

pub fn huawei_pool(name: &str, nodes: i64) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "huawei-credentials"},
            "huawei": {
                "region": "cn-north-4", "projectId": PROJECT, "clusterId": HW_CLUSTER,
                "type": "vm", "initialNodeCount": nodes,
                "nodeTemplate": {
                    "flavor": FLAVOR, "az": "cn-north-4a", "os": "EulerOS 2.9",
                    "login": {"sshKey": "kp"},
                    "rootVolume": {"volumetype": "SSD", "size": 40},
                    "dataVolumes": [{"volumetype": "SSD", "size": 100}]
                }
            }
        }
    })
}

pub fn alibaba_pool(name: &str, nodes: i64) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "alibaba-credentials"},
            "alibaba": {
                "regionId": "cn-hangzhou", "clusterId": ALI_CLUSTER,
                "scalingGroup": {
                    "vswitchIds": ["vsw-e2e0001"], "instanceTypes": [INSTANCE_TYPE],
                    "instanceChargeType": "PostPaid", "keyPair": "kp", "desiredSize": nodes,
                    "systemDiskCategory": "cloud_essd", "systemDiskSize": 120
                },
                "kubernetesConfig": {"runtime": "containerd"}
            }
        }
    })
}

pub async fn create(api: &Api<NodePool>, manifest: Value) -> NodePool {
    let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
    api.create(&PostParams::default(), &np)
        .await
        .expect("create NodePool")
}

pub async fn patch_spec(api: &Api<NodePool>, name: &str, patch: Value) -> i64 {
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .expect("patch NodePool")
        .metadata
        .generation
        .expect("a generation")
}

pub fn condition<'a>(
    np: &'a NodePool,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    np.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
}

pub fn cond_status<'a>(np: &'a NodePool, type_: &str) -> Option<&'a str> {
    condition(np, type_).map(|c| c.status.as_str())
}

/// Waits until `pred` holds for the NodePool (or it is gone, when `pred` accepts `None`).
pub async fn wait_for(
    api: &Api<NodePool>,
    name: &str,
    what: &str,
    timeout: Duration,
    pred: impl Fn(Option<&NodePool>) -> bool,
) -> Option<NodePool> {
    let start = Instant::now();
    loop {
        let np = api.get_opt(name).await.expect("get NodePool");
        if pred(np.as_ref()) {
            return np;
        }
        if start.elapsed() > timeout {
            panic!(
                "{name}: not {what} after {timeout:?}; last seen: {}",
                serde_json::to_string_pretty(&np.map(|n| n.status)).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn ready_at(np: Option<&NodePool>, generation: i64) -> bool {
    np.and_then(|n| condition(n, "Ready"))
        .is_some_and(|c| c.status == "True" && c.observed_generation == Some(generation))
}

pub fn stalled_with(np: Option<&NodePool>, reason: &str) -> bool {
    np.and_then(|n| condition(n, "Stalled"))
        .is_some_and(|c| c.status == "True" && c.reason == reason)
}

pub async fn wait_ready(api: &Api<NodePool>, name: &str, generation: i64) -> NodePool {
    wait_for(
        api,
        name,
        &format!("Ready at generation {generation}"),
        Duration::from_secs(30),
        |n| ready_at(n, generation),
    )
    .await
    .expect("present")
}

pub async fn pools_named(
    provider: &dyn NodePoolProvider,
    cluster: &str,
    name: &str,
) -> Vec<CloudPool> {
    provider
        .list(cluster)
        .await
        .expect("list cloud pools")
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

pub async fn one_pool(provider: &dyn NodePoolProvider, cluster: &str, name: &str) -> CloudPool {
    let mut pools = pools_named(provider, cluster, name).await;
    assert_eq!(pools.len(), 1, "exactly one cloud pool named {name}");
    let id = pools.pop().expect("one").id;
    // `get` gives the detail view (ACK conditions are only in the detail).
    provider.get(cluster, &id).await.expect("get cloud pool")
}

pub async fn sim_get(sim: &str, path: &str) -> Value {
    reqwest::get(format!("{sim}/_sim/{path}"))
        .await
        .expect("the admin API answers")
        .json()
        .await
        .expect("admin JSON")
}

pub async fn sim_put_faults(sim: &str, faults: Value) {
    let resp = reqwest::Client::new()
        .put(format!("{sim}/_sim/faults"))
        .json(&faults)
        .send()
        .await
        .expect("the admin API answers");
    assert!(
        resp.status().is_success(),
        "PUT faults: {:?}",
        resp.text().await
    );
}

/// `count` of the simulator's counters matching `cloud` and `pred(operation, outcome)`.
pub async fn sim_count(sim: &str, cloud: &str, pred: impl Fn(&str, &str) -> bool) -> u64 {
    sim_get(sim, "counters").await["counters"]
        .as_array()
        .expect("counters")
        .iter()
        .filter(|c| {
            c["cloud"] == cloud
                && pred(
                    c["operation"].as_str().unwrap_or(""),
                    c["outcome"].as_str().unwrap_or(""),
                )
        })
        .filter_map(|c| c["count"].as_u64())
        .sum()
}

/// The events.k8s.io/v1 Events about the NodePool `name`.
pub async fn events_for(client: &Client, ns: &str, name: &str) -> Vec<Event> {
    Api::<Event>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("list Events")
        .items
        .into_iter()
        .filter(|e| {
            e.regarding
                .as_ref()
                .is_some_and(|r| r.name.as_deref() == Some(name))
        })
        .collect()
}

pub fn reasons(events: &[Event]) -> Vec<String> {
    events.iter().filter_map(|e| e.reason.clone()).collect()
}

/// Waits until an Event with `reason` exists for the NodePool `name`, and returns it.
pub async fn wait_event(client: &Client, ns: &str, name: &str, reason: &str) -> Event {
    let start = Instant::now();
    loop {
        let events = events_for(client, ns, name).await;
        if let Some(e) = events.iter().find(|e| e.reason.as_deref() == Some(reason)) {
            return e.clone();
        }
        if start.elapsed() > Duration::from_secs(15) {
            panic!("{name}: no Event {reason}; seen: {:?}", reasons(&events));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
