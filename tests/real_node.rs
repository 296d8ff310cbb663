//! The controller installed for real, on a real node: its image (tests/image/Containerfile,
//! the binary of this build) in two Pods of `deploy/test` (deploy/base with the local image and
//! the simulator's endpoints), run by the kubelet and containerd of `tests/env/node-up.sh`.
//! Run by `tests/env/node-e2e.sh`, which brings the node up and down around it and sets
//! `NODEPOOL_REAL_NODE` to the control plane's env dir; without it this test PANICS (it never
//! skips).
//!
//! What it establishes, in order:
//! 1. the install path: CRDs, then `kubectl apply -k deploy/test` → both Pods Ready, one holds the
//!    Lease; each container runs as uid 65532 with no capabilities on a read-only root (read
//!    from the host's /proc), serves /healthz and /readyz on its Pod IP, and reached the API
//!    server through the `kubernetes` Service from inside the Pod network;
//! 2. the samples of both clouds (deploy/samples) go Ready through the in-cluster controller;
//! 3. the leader Pod deleted while pools are being created: the other replica takes the Lease
//!    and every NodePool ends Ready with exactly one pool at the cloud (counted at the
//!    simulator's admin API);
//! 4. `kubectl rollout restart` while updates are in flight: every update reaches the cloud;
//! 5. the PodDisruptionBudget: evicting one of two Ready Pods is allowed, the second refused;
//!    the liveness probe never restarted a container;
//! 6. /metrics scraped through the apiserver's service proxy and on the leader's Pod IP;
//! 7. the install removed with `kubectl delete -k`;
//! 8. the Helm chart (charts/nodepool-controller) installed on the same node: two Pods under the
//!    same confinement, its Lease held; it takes over the NodePools and creates new ones;
//! 9. NodePools deleted (pools gone at the cloud) through it, then `helm uninstall`.
#![forbid(unsafe_code)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::e2e::{
    ALI_AK, ALI_CLUSTER, ALI_SK, HW_AK, HW_CLUSTER, HW_SK, PROJECT, Proc, alibaba_pool,
    create_secrets, huawei_pool, patch_spec, ready_at, sim_get,
};
use common::{client, kubectl, unique};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::{Client, ResourceExt};
use nodepool_controller::crd::NodePool;
use serde_json::json;

/// The simulator's port on the node's address; deploy/test/deployment.yaml names it.
const SIM_PORT: u16 = 18090;
const SYSTEM_NS: &str = "nodepool-system";
const DEPLOYMENT: &str = "nodepool-controller";
const IMAGE: &str = "localhost/nodepool-controller:test";
/// The Helm release and its namespace (charts/nodepool-controller).
const HELM_RELEASE: &str = "nodepool-controller";
const HELM_NS: &str = "nodepool-helm";
/// The samples' clusters (deploy/samples), besides the harness's own.
const SAMPLE_ALI_CLUSTERS: [&str; 2] = [
    "c61da77e8bfbc4c4c999af2b51b65f3a7",
    "c8f2d1e0b7a64c3e9d5f1a2b3c4d5e6f7",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The env dir of the control plane with the node (`NODEPOOL_REAL_NODE`).
fn env_dir() -> PathBuf {
    match std::env::var_os("NODEPOOL_REAL_NODE") {
        Some(dir) => PathBuf::from(dir),
        None => panic!(
            "NODEPOOL_REAL_NODE is not set: this test needs the real node of \
             tests/env/node-up.sh; run it through tests/env/node-e2e.sh"
        ),
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Wall time of each phase, printed at the end (and as they pass).
struct Clock {
    start: Instant,
    phases: Vec<(String, f64)>,
    last: Instant,
}

impl Clock {
    fn new() -> Self {
        let now = Instant::now();
        Clock {
            start: now,
            phases: Vec::new(),
            last: now,
        }
    }
    fn lap(&mut self, what: &str) {
        let secs = self.last.elapsed().as_secs_f64();
        eprintln!("real_node: {what}: {secs:.1}s");
        self.phases.push((what.to_string(), secs));
        self.last = Instant::now();
    }
}

/// On a failure, the controller Pods' state and logs, to see why.
struct DumpOnPanic;

impl Drop for DumpOnPanic {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let commands: [&[&str]; 4] = [
            &["get", "pods,deploy,rs,pdb,lease", "-o", "wide"],
            &["describe", "pods"],
            &["get", "events"],
            &[
                "logs",
                "-l",
                "app.kubernetes.io/name=nodepool-controller",
                "--tail=40",
                "--prefix",
            ],
        ];
        for (ns, args) in [SYSTEM_NS, HELM_NS]
            .into_iter()
            .flat_map(|ns| commands.map(|args| (ns, args)))
        {
            if let Ok(out) = kubectl().args(["-n", ns]).args(args).output() {
                eprintln!(
                    "--- kubectl {}\n{}{}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
}

async fn wait_until<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match probe().await {
            Ok(v) => return v,
            Err(last) if start.elapsed() > timeout => {
                panic!("not {what} after {timeout:?}; last: {last}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// The controller's Pods that are not being deleted.
async fn live_pods(pods: &Api<Pod>) -> Vec<Pod> {
    pods.list(&ListParams::default().labels("app.kubernetes.io/name=nodepool-controller"))
        .await
        .expect("list Pods")
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Two Pods of the current template Ready, nothing else left over; returns them.
async fn rolled_out(client: &Client, timeout: Duration) -> Vec<Pod> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), SYSTEM_NS);
    let pods: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NS);
    let (deployments, pods) = (&deployments, &pods);
    wait_until("rolled out with 2 Ready Pods", timeout, || async move {
        let d = deployments
            .get(DEPLOYMENT)
            .await
            .map_err(|e| e.to_string())?;
        let s = d.status.clone().unwrap_or_default();
        let generation = d.metadata.generation.unwrap_or(0);
        let settled = s.observed_generation == Some(generation)
            && s.updated_replicas == Some(2)
            && s.ready_replicas == Some(2)
            && s.replicas == Some(2);
        let live = live_pods(pods).await;
        let all = pods
            .list(&ListParams::default().labels("app.kubernetes.io/name=nodepool-controller"))
            .await
            .map_err(|e| e.to_string())?;
        if settled && live.len() == 2 && all.items.len() == 2 && live.iter().all(pod_ready) {
            Ok(live)
        } else {
            Err(format!("{s:?}; {} Pods", all.items.len()))
        }
    })
    .await
}

async fn lease_holder(client: &Client) -> Option<String> {
    Api::<Lease>::namespaced(client.clone(), SYSTEM_NS)
        .get_opt(DEPLOYMENT)
        .await
        .expect("get Lease")
        .and_then(|l| l.spec?.holder_identity)
}

/// The Lease's holder once it is one of the controller's live Pods (and, when given, not `not`).
async fn wait_leader(client: &Client, not: Option<&str>) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NS);
    let pods = &pods;
    wait_until(
        "a Lease held by a live Pod",
        Duration::from_secs(60),
        || async move {
            let names: Vec<String> = live_pods(pods).await.iter().map(|p| p.name_any()).collect();
            match lease_holder(client).await {
                Some(h) if names.contains(&h) && Some(h.as_str()) != not => Ok(h),
                other => Err(format!("holder {other:?}, Pods {names:?}")),
            }
        },
    )
    .await
}

fn container_id(pod: &Pod) -> String {
    let status = &pod.status.as_ref().expect("status").container_statuses;
    let id = status.as_ref().expect("container statuses")[0]
        .container_id
        .clone()
        .expect("a container ID");
    id.strip_prefix("containerd://")
        .unwrap_or_else(|| panic!("not a containerd ID: {id}"))
        .to_string()
}

/// The host PID of the container's process: the process whose cgroup names the container.
fn host_pid(container: &str) -> u32 {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc") {
        let entry = entry.expect("a /proc entry");
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let (Ok(cgroup), Ok(cmdline)) = (
            std::fs::read_to_string(entry.path().join("cgroup")),
            std::fs::read(entry.path().join("cmdline")),
        ) else {
            continue;
        };
        if cgroup.contains(container)
            && cmdline.starts_with(b"/usr/local/bin/nodepool-controller\0")
        {
            found.push(pid);
        }
    }
    assert_eq!(
        found.len(),
        1,
        "processes of container {container}: {found:?}"
    );
    found[0]
}

/// What the kernel says about the controller's process: uid/gid, capabilities, root mount.
fn assert_confined(pid: u32) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in /proc/{pid}/status"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(field("Uid:"), ["65532"; 4], "uids of {pid}");
    assert_eq!(field("Gid:"), ["65532"; 4], "gids of {pid}");
    assert_eq!(
        field("CapEff:"),
        ["0000000000000000"],
        "effective capabilities"
    );
    assert_eq!(
        field("CapPrm:"),
        ["0000000000000000"],
        "permitted capabilities"
    );
    assert_eq!(field("NoNewPrivs:"), ["1"], "no_new_privs");
    assert_eq!(
        field("Seccomp:"),
        ["2"],
        "a seccomp filter (RuntimeDefault)"
    );
    let mountinfo = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).expect("mountinfo");
    let root = mountinfo
        .lines()
        .find(|l| l.split_whitespace().nth(4) == Some("/"))
        .expect("a root mount");
    let options = root.split_whitespace().nth(5).expect("mount options");
    assert!(
        options.split(',').any(|o| o == "ro"),
        "the root filesystem is mounted {options}: {root}"
    );
}

/// The IDs of every pool at the simulator, both clouds (its admin API, not the cloud APIs).
async fn sim_pool_ids(sim: &str) -> Vec<String> {
    let all = sim_get(sim, "pools").await;
    let huawei = all["huawei"].as_array().expect("huawei pools").iter();
    let alibaba = all["alibaba"].as_array().expect("alibaba pools").iter();
    let mut ids: Vec<String> = huawei
        .map(|p| &p["pool"]["metadata"]["uid"])
        .chain(alibaba.map(|p| &p["pool"]["nodepool_info"]["nodepool_id"]))
        .map(|id| {
            id.as_str()
                .unwrap_or_else(|| panic!("a pool ID in {all}"))
                .to_string()
        })
        .collect();
    ids.sort();
    ids
}

/// Asks the Eviction API to evict a controller Pod, once. Through kubectl, not the kube client:
/// that one retries 429 answers (the budget's refusal) until they stop.
fn evict(pod: &str) -> Result<String, String> {
    use std::io::Write;
    let body = json!({
        "apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": pod, "namespace": SYSTEM_NS}
    });
    let mut child = kubectl()
        .args(["create", "-f", "-"])
        .arg(format!(
            "--raw=/api/v1/namespaces/{SYSTEM_NS}/pods/{pod}/eviction"
        ))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(body.to_string().as_bytes())
        .expect("write the Eviction");
    let out = child.wait_with_output().expect("kubectl ends");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Every NodePool has exactly one pool at the simulator, the one its status names, and the
/// simulator (this test's own) has no other pool.
async fn one_pool_each(sim: &str, nodepools: &Api<NodePool>) {
    let mut expected: Vec<String> = nodepools
        .list(&ListParams::default())
        .await
        .expect("list NodePools")
        .items
        .iter()
        .map(|np| {
            np.status
                .as_ref()
                .and_then(|s| s.id.clone())
                .unwrap_or_else(|| panic!("{}: no cloud ID in status", np.name_any()))
        })
        .collect();
    expected.sort();
    assert_eq!(
        sim_pool_ids(sim).await,
        expected,
        "pools at the simulator vs NodePools"
    );
}

async fn all_ready(nodepools: &Api<NodePool>, timeout: Duration) {
    wait_until(
        "every NodePool Ready at its generation",
        timeout,
        || async move {
            let list = nodepools
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?;
            let waiting: Vec<String> = list
                .items
                .iter()
                .filter(|np| !ready_at(Some(np), np.metadata.generation.unwrap_or(0)))
                .map(|np| np.name_any())
                .collect();
            if waiting.is_empty() && !list.items.is_empty() {
                Ok(())
            } else {
                Err(format!("waiting for {waiting:?}"))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn installed_controller_runs_on_a_real_node() {
    let env = env_dir();
    let node_ip = std::fs::read_to_string(env.join("node-ip"))
        .expect("the node's address (written by up.sh)")
        .trim()
        .to_string();
    let mut clock = Clock::new();
    let _dump = DumpOnPanic;
    let client = client().await;

    // The image of this build, into the node's containerd.
    let binary = std::env::var("NODEPOOL_IMAGE_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_nodepool-controller").to_string());
    let image =
        run(Command::new(repo().join("tests/image/build.sh")).args(["controller", &binary]));
    assert_eq!(image.trim(), IMAGE);
    run(Command::new(repo().join("tests/env/node-load.sh"))
        .arg(IMAGE)
        .env("NODEPOOL_ENV_DIR", &env));
    clock.lap("image built and imported");

    // The simulator on the node's address, where the Pods reach the host.
    let mut sim_cmd = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"));
    sim_cmd
        .args(["--listen", &format!("{node_ip}:{SIM_PORT}")])
        .args(["--huawei-account", &format!("{HW_AK}:{HW_SK}")])
        .args(["--alibaba-account", &format!("{ALI_AK}:{ALI_SK}")])
        .args(["--huawei-cluster", &format!("{PROJECT}/{HW_CLUSTER}")])
        .args(["--alibaba-cluster", ALI_CLUSTER])
        .args(["--provision-seconds", "2", "--node-seconds", "0.3"])
        .args(["--delete-seconds", "1", "--update-seconds", "1"])
        .stdout(std::process::Stdio::null());
    for c in SAMPLE_ALI_CLUSTERS {
        sim_cmd.args(["--alibaba-cluster", c]);
    }
    let _sim = Proc(sim_cmd.spawn().expect("the simulator starts"));
    let sim_url = format!("http://{node_ip}:{SIM_PORT}");
    let sim = sim_url.as_str();
    wait_until(
        "the simulator answering",
        Duration::from_secs(20),
        || async move {
            reqwest::get(format!("{sim}/_sim/health"))
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        },
    )
    .await;

    // 1. The install path.
    run(kubectl()
        .args(["apply", "--server-side", "-f"])
        .arg(repo().join("crds")));
    run(kubectl()
        .arg("apply")
        .arg("-k")
        .arg(repo().join("deploy/test")));
    let pods_api: Api<Pod> = Api::namespaced(client.clone(), SYSTEM_NS);
    let pods = rolled_out(&client, Duration::from_secs(120)).await;
    let names: Vec<String> = pods.iter().map(|p| p.name_any()).collect();
    let leader = wait_leader(&client, None).await;
    clock.lap("installed: 2 Pods Ready, Lease held");
    for pod in &pods {
        let spec = pod.spec.as_ref().expect("spec");
        assert_eq!(spec.containers[0].image.as_deref(), Some(IMAGE));
        assert_confined(host_pid(&container_id(pod)));
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.clone())
            .expect("a Pod IP");
        assert!(
            ip.starts_with("10.244.0."),
            "Pod IP {ip} outside the Pod network"
        );
        for (path, body) in [("healthz", "ok"), ("readyz", "ok")] {
            let got = reqwest::get(format!("http://{ip}:8080/{path}"))
                .await
                .unwrap_or_else(|e| panic!("{path} of {}: {e}", pod.name_any()));
            assert!(got.status().is_success(), "{path}: {}", got.status());
            assert_eq!(got.text().await.expect("body"), body);
        }
    }
    // In-cluster config: the Pods talked to the apiserver at the `kubernetes` Service's address.
    let logs = run(kubectl().args(["-n", SYSTEM_NS, "logs", &leader]));
    assert!(
        logs.contains("leader election started"),
        "the leader's log shows no leader election: {logs}"
    );

    // 2. The samples of both clouds.
    let ns = unique("realnode");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}})).expect("a namespace"),
        )
        .await
        .expect("create namespace");
    create_secrets(&client, &ns).await;
    let mut samples = 0;
    for entry in std::fs::read_dir(repo().join("deploy/samples")).expect("deploy/samples") {
        let path = entry.expect("an entry").path();
        if path.file_name().is_some_and(|n| n == "credentials.yaml") {
            continue;
        }
        run(kubectl().args(["-n", &ns, "apply", "-f"]).arg(&path));
        samples += 1;
    }
    let nodepools: Api<NodePool> = Api::namespaced(client.clone(), &ns);
    assert!(samples >= 4, "only {samples} samples");
    all_ready(&nodepools, Duration::from_secs(120)).await;
    one_pool_each(sim, &nodepools).await;
    let samples_pools = sim_pool_ids(sim).await.len();
    clock.lap("samples of both clouds Ready");

    // 3. The leader deleted while pools are being created.
    let created: Vec<String> = (0..3)
        .flat_map(|i| [format!("hw-{i}"), format!("ali-{i}")])
        .collect();
    for name in &created {
        let manifest = if name.starts_with("hw") {
            huawei_pool(name, 1)
        } else {
            alibaba_pool(name, 1)
        };
        let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
        nodepools
            .create(&PostParams::default(), &np)
            .await
            .expect("create");
    }
    wait_until(
        "a create at the cloud",
        Duration::from_secs(30),
        || async move {
            let made = sim_pool_ids(sim).await.len() - samples_pools;
            if made > 0 {
                Ok(made)
            } else {
                Err("none yet".into())
            }
        },
    )
    .await;
    let handover = Instant::now();
    pods_api
        .delete(&leader, &DeleteParams::default())
        .await
        .expect("delete the leader Pod");
    let new_leader = wait_leader(&client, Some(&leader)).await;
    let handover_secs = handover.elapsed().as_secs_f64();
    all_ready(&nodepools, Duration::from_secs(120)).await;
    one_pool_each(sim, &nodepools).await;
    clock.lap(&format!(
        "leader {leader} deleted mid-create; {new_leader} led after {handover_secs:.1}s; one pool each"
    ));
    let pods = rolled_out(&client, Duration::from_secs(120)).await;

    // 4. A rollout restart while updates are in flight.
    let mut generations = BTreeMap::new();
    for name in &created {
        let patch = if name.starts_with("hw") {
            json!({"spec": {"huawei": {"initialNodeCount": 2}}})
        } else {
            json!({"spec": {"alibaba": {"scalingGroup": {"desiredSize": 2}}}})
        };
        generations.insert(name.clone(), patch_spec(&nodepools, name, patch).await);
    }
    run(kubectl().args([
        "-n",
        SYSTEM_NS,
        "rollout",
        "restart",
        "deployment",
        DEPLOYMENT,
    ]));
    run(kubectl().args([
        "-n",
        SYSTEM_NS,
        "rollout",
        "status",
        "deployment",
        DEPLOYMENT,
        "--timeout=180s",
    ]));
    let restarted = rolled_out(&client, Duration::from_secs(120)).await;
    let restarted_names: Vec<String> = restarted.iter().map(|p| p.name_any()).collect();
    assert!(
        restarted_names
            .iter()
            .all(|n| !names.contains(n) && !pods.iter().any(|p| &p.name_any() == n)),
        "the rollout replaced no Pod: {restarted_names:?}"
    );
    wait_leader(&client, None).await;
    all_ready(&nodepools, Duration::from_secs(120)).await;
    for (name, generation) in &generations {
        let np = nodepools.get(name).await.expect("get");
        assert!(
            ready_at(Some(&np), *generation),
            "{name} not Ready at {generation}"
        );
        let status = np.status.expect("status");
        assert_eq!(status.desired_node_count, Some(2), "{name}: {status:?}");
    }
    one_pool_each(sim, &nodepools).await;
    clock.lap("rollout restart during updates: every update applied, one pool each");

    // 5. The PodDisruptionBudget and the probes.
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), SYSTEM_NS);
    let pdbs = &pdbs;
    wait_until(
        "the budget allowing one disruption",
        Duration::from_secs(60),
        || async move {
            let pdb = pdbs.get(DEPLOYMENT).await.map_err(|e| e.to_string())?;
            let s = pdb.status.unwrap_or_default();
            if s.disruptions_allowed == Some(1) && s.current_healthy == Some(2) {
                Ok(())
            } else {
                Err(format!("{s:?}"))
            }
        },
    )
    .await;
    let budget = |pdb: PodDisruptionBudget| format!("{:?}", pdb.status);
    let readiness = |pods: Vec<Pod>| -> Vec<(String, bool)> {
        pods.iter().map(|p| (p.name_any(), pod_ready(p))).collect()
    };
    let before = (
        budget(pdbs.get(DEPLOYMENT).await.expect("PDB")),
        readiness(live_pods(&pods_api).await),
    );
    let first = evict(&restarted_names[0]);
    assert!(first.is_ok(), "evicting one of two Ready Pods: {first:?}");
    let between = (
        budget(pdbs.get(DEPLOYMENT).await.expect("PDB")),
        readiness(live_pods(&pods_api).await),
    );
    let second = evict(&restarted_names[1]);
    match second {
        Err(e) if e.contains("TooManyRequests") && e.contains("disruption budget") => {}
        other => panic!(
            "evicting the second Pod was not refused with 429: {other:?}\n\
             before the first eviction: {before:?}\nbefore the second: {between:?}"
        ),
    }
    let after = rolled_out(&client, Duration::from_secs(120)).await;
    for pod in &after {
        let restarts = pod
            .status
            .as_ref()
            .and_then(|s| s.container_statuses.as_ref())
            .expect("statuses")[0]
            .restart_count;
        assert_eq!(restarts, 0, "{} restarted (liveness)", pod.name_any());
    }
    let leader = wait_leader(&client, None).await;
    clock.lap("eviction of one Pod allowed, of the second refused");

    // 6. Metrics: through the apiserver's service proxy, and on the leader's Pod IP.
    // The service proxy picks an endpoint per request: every answer is the controller's
    // OpenMetrics text, and within a few requests the leader's (which counts reconciles) answers.
    let mut from_leader = 0;
    for _ in 0..40 {
        let scraped = run(kubectl().arg("get").arg(format!(
            "--raw=/api/v1/namespaces/{SYSTEM_NS}/services/nodepool-controller-metrics:http/proxy/metrics"
        )));
        assert!(
            scraped.contains("# TYPE nodepool_reconcile_duration_seconds histogram")
                && scraped.trim_end().ends_with("# EOF"),
            "not the controller's metrics through the service:\n{scraped}"
        );
        if scraped.contains(r#"nodepool_reconcile_total{outcome="ok""#) {
            from_leader += 1;
            if from_leader == 2 {
                break;
            }
        }
    }
    assert!(
        from_leader > 0,
        "the leader's metrics never came through the service"
    );
    // The leader after the eviction has reconciled every NodePool at least once since it started.
    let leader_pod = after
        .iter()
        .find(|p| p.name_any() == leader)
        .expect("the leader");
    let leader_ip = leader_pod
        .status
        .as_ref()
        .and_then(|s| s.pod_ip.clone())
        .expect("IP");
    let leader_ip = leader_ip.as_str();
    let leader_metrics = wait_until(
        "the leader counting reconciles",
        Duration::from_secs(60),
        || async move {
            let text = reqwest::get(format!("http://{leader_ip}:8080/metrics"))
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?;
            let ok: f64 = text
                .lines()
                .find(|l| l.starts_with(r#"nodepool_reconcile_total{outcome="ok""#))
                .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                .unwrap_or(0.0);
            if ok > 0.0 { Ok(text) } else { Err(text) }
        },
    )
    .await;
    assert!(leader_metrics.contains("nodepool_cloud_requests_total"));
    clock.lap("metrics scraped through the service proxy and the Pod IP");

    // 7. The Kustomize install removed; the NodePools stay (with their finalizers).
    run(kubectl()
        .arg("delete")
        .arg("-k")
        .arg(repo().join("deploy/test"))
        .arg("--timeout=120s"));
    assert!(
        live_pods(&pods_api).await.is_empty(),
        "controller Pods left after kubectl delete -k"
    );
    clock.lap("kubectl delete -k deploy/test");

    // 8. The Helm chart on the same node takes over the same NodePools, and creates new ones.
    let helm = std::env::var("NODEPOOL_HELM")
        .unwrap_or_else(|_| panic!("NODEPOOL_HELM (the helm binary) is not set"));
    let endpoint = format!("cloud.huaweiEndpoint={sim},cloud.alibabaEndpoint={sim}");
    run(Command::new(&helm)
        .args(["install", HELM_RELEASE])
        .arg(repo().join("charts/nodepool-controller"))
        .args([
            "--namespace",
            HELM_NS,
            "--create-namespace",
            "--wait",
            "--timeout=180s",
        ])
        .arg("--kubeconfig")
        .arg(common::kubeconfig_path())
        .args(["--set", "crds.install=false", "--set", &endpoint])
        .args([
            "--set",
            &format!(
                "image.repository={}",
                IMAGE.split(':').next().expect("name")
            ),
        ])
        .args(["--set", "image.tag=test", "--set", "image.pullPolicy=Never"])
        .args([
            "--set-json",
            "controller.pollSeconds=0.5",
            "--set-json",
            "controller.createGraceSeconds=3",
        ])
        .args(["--set-json", "leaderElection.leaseSeconds=5"])
        // The simulator is plain HTTP on the node's address (not loopback).
        .args(["--set-json", r#"extraArgs=["--allow-insecure-endpoints"]"#]));
    let helm_pods: Api<Pod> = Api::namespaced(client.clone(), HELM_NS);
    let helm_live = live_pods(&helm_pods).await;
    assert_eq!(helm_live.len(), 2, "Pods of the chart");
    assert!(
        helm_live.iter().all(pod_ready),
        "the chart's Pods are not all Ready"
    );
    for pod in &helm_live {
        assert_confined(host_pid(&container_id(pod)));
    }
    let helm_names: Vec<String> = helm_live.iter().map(|p| p.name_any()).collect();
    let leases: Api<Lease> = Api::namespaced(client.clone(), HELM_NS);
    let leases = &leases;
    let helm_names = &helm_names;
    wait_until(
        "the chart's Lease held by one of its Pods",
        Duration::from_secs(60),
        || async move {
            let holders: Vec<String> = leases
                .list(&ListParams::default())
                .await
                .map_err(|e| e.to_string())?
                .items
                .into_iter()
                .filter_map(|l| l.spec?.holder_identity)
                .collect();
            if holders.len() == 1 && helm_names.contains(&holders[0]) {
                Ok(())
            } else {
                Err(format!("holders {holders:?}"))
            }
        },
    )
    .await;
    for name in ["hw-helm", "ali-helm"] {
        let manifest = if name.starts_with("hw") {
            huawei_pool(name, 1)
        } else {
            alibaba_pool(name, 1)
        };
        let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
        nodepools
            .create(&PostParams::default(), &np)
            .await
            .expect("create");
    }
    all_ready(&nodepools, Duration::from_secs(120)).await;
    one_pool_each(sim, &nodepools).await;
    clock.lap("helm install on the node: 2 Pods, Lease held, NodePools of both clouds Ready");

    // 9. Clean up through the chart's controller: NodePools deleted at the cloud, then uninstall.
    // ACK pools with auto scaling on (two of the samples) are deleted with forceDelete: the drain
    // before an ACK delete scales through desired_size, which an auto-scaling pool does not
    // follow, so the controller repeats ModifyClusterNodePool and never deletes it (seen here and
    // with the controller on the host; a controller issue of its own, not of the install).
    for np in nodepools
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
    {
        let spec = serde_json::to_value(&np.spec).expect("spec");
        if spec["alibaba"]["autoScaling"]["enable"] == json!(true) {
            patch_spec(
                &nodepools,
                &np.name_any(),
                json!({"spec": {"alibaba": {"forceDelete": true}}}),
            )
            .await;
        }
    }
    run(kubectl().args(["-n", &ns, "delete", "nodepools", "--all", "--timeout=120s"]));
    let left = sim_pool_ids(sim).await;
    assert!(left.is_empty(), "pools left at the simulator: {left:?}");
    namespaces
        .delete(&ns, &DeleteParams::default())
        .await
        .expect("delete namespace");
    run(Command::new(&helm)
        .args([
            "uninstall",
            HELM_RELEASE,
            "--namespace",
            HELM_NS,
            "--wait",
            "--timeout=120s",
        ])
        .arg("--kubeconfig")
        .arg(common::kubeconfig_path()));
    assert!(
        live_pods(&helm_pods).await.is_empty(),
        "the chart's Pods left after helm uninstall"
    );
    namespaces
        .delete(HELM_NS, &DeleteParams::default())
        .await
        .expect("delete namespace");
    clock.lap("NodePools deleted at the cloud, chart uninstalled");
    eprintln!(
        "real_node: total {:.1}s",
        clock.start.elapsed().as_secs_f64()
    );
}
