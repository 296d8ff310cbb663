//! The controller end to end: the real local control plane, the cloud simulator, and the
//! `nodepool-controller` binary, each test in a namespace of its own with a controller scoped to
//! it. Cloud state is read back through the project's own cloud clients.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use nodepool_controller::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use nodepool_controller::cloud::credentials::{AccessKey, HuaweiAuth};
use nodepool_controller::cloud::huawei::{HuaweiClient, HuaweiConfig};
use nodepool_controller::cloud::ratelimit::{RateLimit, RateLimiters};
use nodepool_controller::cloud::{CloudPool, NodePoolProvider};
use nodepool_controller::crd::{NodePool, OWNER_TAG};
use serde_json::{Value, json};

const HW_AK: &str = "HWAKE2E0000000000001";
const HW_SK: &str = "hw-e2e-secret-key-do-not-log";
const ALI_AK: &str = "LTAIe2e00000000000001";
const ALI_SK: &str = "ali-e2e-secret-do-not-log";
const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const HW_CLUSTER: &str = "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03";
const ALI_CLUSTER: &str = "c61da77e8bfbc4c4c999af2b51b65a1b";

/// A child process killed when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The cloud simulator on a free loopback port, with short lifecycle timings.
fn start_sim() -> (Proc, String) {
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

/// The controller binary, scoped to `namespace`, talking to the simulator at `sim`.
fn start_controller(namespace: &str, sim: &str) -> Proc {
    start_controller_with(namespace, sim, &[])
}

fn start_controller_with(namespace: &str, sim: &str, extra: &[&str]) -> Proc {
    let child = Command::new(env!("CARGO_BIN_EXE_nodepool-controller"))
        .args(["run", "--namespace", namespace])
        .args(["--huawei-endpoint", sim, "--alibaba-endpoint", sim])
        .args(["--poll-seconds", "0.3", "--resync-seconds", "20"])
        .args(["--backoff-seconds", "0.3", "--backoff-max-seconds", "2"])
        .args(["--cloud-rate", "200", "--cloud-burst", "200"])
        .args(["--http-addr", "127.0.0.1:0"])
        .args(extra)
        .env("KUBECONFIG", common::kubeconfig_path())
        .env("RUST_LOG", "info,kube=warn")
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the controller starts");
    Proc(child)
}

fn huawei_client(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = HuaweiConfig::new("cn-north-4", PROJECT);
    cfg.endpoint = Some(sim.to_string());
    let limiters = RateLimiters::new(RateLimit {
        per_second: 100.0,
        burst: 100,
    });
    Arc::new(
        HuaweiClient::new(
            cfg,
            HuaweiAuth::AccessKey(AccessKey::new(HW_AK, HW_SK)),
            &limiters,
        )
        .expect("a CCE client"),
    )
}

fn alibaba_client(sim: &str) -> Arc<dyn NodePoolProvider> {
    let mut cfg = AlibabaConfig::new("cn-hangzhou");
    cfg.endpoint = Some(sim.to_string());
    let limiters = RateLimiters::new(RateLimit {
        per_second: 100.0,
        burst: 100,
    });
    Arc::new(
        AlibabaClient::new(cfg, AccessKey::new(ALI_AK, ALI_SK), &limiters).expect("an ACK client"),
    )
}

async fn create_secrets(client: &Client, ns: &str) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    for (name, data) in [
        (
            "huawei-credentials",
            json!({"accessKey": HW_AK, "secretKey": HW_SK}),
        ),
        (
            "alibaba-credentials",
            json!({"accessKeyId": ALI_AK, "accessKeySecret": ALI_SK}),
        ),
    ] {
        let secret: Secret = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name}, "stringData": data
        }))
        .expect("a secret");
        api.create(&PostParams::default(), &secret)
            .await
            .expect("create secret");
    }
}

fn huawei_pool(name: &str, nodes: i64) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "huawei-credentials"},
            "huawei": {
                "region": "cn-north-4", "projectId": PROJECT, "clusterId": HW_CLUSTER,
                "type": "vm", "initialNodeCount": nodes,
                "nodeTemplate": {
                    "flavor": "s6.large.2", "az": "cn-north-4a", "os": "EulerOS 2.9",
                    "login": {"sshKey": "kp"},
                    "rootVolume": {"volumetype": "SSD", "size": 40},
                    "dataVolumes": [{"volumetype": "SSD", "size": 100}]
                }
            }
        }
    })
}

fn alibaba_pool(name: &str, nodes: i64) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "alibaba-credentials"},
            "alibaba": {
                "regionId": "cn-hangzhou", "clusterId": ALI_CLUSTER,
                "scalingGroup": {
                    "vswitchIds": ["vsw-e2e0001"], "instanceTypes": ["ecs.g7.xlarge"],
                    "instanceChargeType": "PostPaid", "keyPair": "kp", "desiredSize": nodes,
                    "systemDiskCategory": "cloud_essd", "systemDiskSize": 120
                },
                "kubernetesConfig": {"runtime": "containerd"}
            }
        }
    })
}

async fn create(api: &Api<NodePool>, manifest: Value) -> NodePool {
    let np: NodePool = serde_json::from_value(manifest).expect("a NodePool");
    api.create(&PostParams::default(), &np)
        .await
        .expect("create NodePool")
}

fn condition<'a>(
    np: &'a NodePool,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    np.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
}

/// Waits until `pred` holds for the NodePool (or it is gone, when `pred` accepts `None`).
async fn wait_for(
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

fn ready_at(np: Option<&NodePool>, generation: i64) -> bool {
    np.and_then(|n| condition(n, "Ready"))
        .is_some_and(|c| c.status == "True" && c.observed_generation == Some(generation))
}

async fn pools_named(provider: &dyn NodePoolProvider, cluster: &str, name: &str) -> Vec<CloudPool> {
    provider
        .list(cluster)
        .await
        .expect("list cloud pools")
        .into_iter()
        .filter(|p| p.name == name)
        .collect()
}

#[tokio::test]
async fn huawei_pool_is_created_updated_and_deleted() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-hw").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = start_controller(&ns.name, &sim);
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);

    create(&api, huawei_pool("web", 2)).await;
    let np = wait_for(&api, "web", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await
    .expect("present");
    let status = np.status.clone().expect("status");
    assert_eq!(status.phase.as_deref(), Some("Synchronized"));
    assert_eq!(status.cloud_phase.as_deref(), Some(""));
    assert_eq!(status.current_node_count, Some(2));
    assert_eq!(status.cloud.as_deref(), Some("huawei"));
    assert_eq!(status.observed_generation, Some(1));
    assert!(
        np.metadata
            .finalizers
            .as_ref()
            .is_some_and(|f| !f.is_empty())
    );
    let pools = pools_named(cce.as_ref(), HW_CLUSTER, "web").await;
    assert_eq!(pools.len(), 1, "exactly one cloud pool");
    assert_eq!(Some(&pools[0].id), status.id.as_ref());

    // Update: node count and a label, coalesced into one call from a steady state.
    api.patch(
        "web",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"huawei": {"initialNodeCount": 3,
            "nodeTemplate": {"k8sTags": {"team": "web"}}}}})),
    )
    .await
    .expect("patch spec");
    let np = wait_for(
        &api,
        "web",
        "Ready at generation 2",
        Duration::from_secs(60),
        |n| ready_at(n, 2) && n.and_then(|n| n.status.as_ref()?.current_node_count) == Some(3),
    )
    .await
    .expect("present");
    let id = np.status.and_then(|s| s.id).expect("id");
    let pool = cce.get(HW_CLUSTER, &id).await.expect("cloud pool");
    assert_eq!(pool.nodes.desired, Some(3));
    assert_eq!(pool.spec["nodeTemplate"]["k8sTags"]["team"], "web");
    assert_eq!(pools_named(cce.as_ref(), HW_CLUSTER, "web").await.len(), 1);

    // Delete: the finalizer holds the object until the cloud pool is gone.
    api.delete("web", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(&api, "web", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    let err = cce
        .get(HW_CLUSTER, &id)
        .await
        .expect_err("the pool is gone");
    assert_eq!(err.kind(), nodepool_controller::cloud::ErrorKind::NotFound);
    ns.delete().await;
}

#[tokio::test]
async fn alibaba_pool_is_created_and_orphaned() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-ali").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = start_controller(&ns.name, &sim);
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let ack = alibaba_client(&sim);

    let mut manifest = alibaba_pool("batch", 2);
    manifest["spec"]["deletionPolicy"] = json!("Orphan");
    let created = create(&api, manifest).await;
    let np = wait_for(&api, "batch", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await
    .expect("present");
    let status = np.status.expect("status");
    assert_eq!(status.cloud_phase.as_deref(), Some("active"));
    assert_eq!(status.phase.as_deref(), Some("Synchronized"));
    let id = status.id.expect("id");
    // The pool carries the owner tag with the NodePool's UID.
    let uid = created.metadata.uid.expect("uid");
    let tagged = ack
        .find_by_tag(ALI_CLUSTER, OWNER_TAG, &uid)
        .await
        .expect("find by tag")
        .expect("the pool carries the owner tag");
    assert_eq!(tagged.id, id);

    // Orphan: the object goes, the cloud pool stays.
    api.delete("batch", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(&api, "batch", "gone", Duration::from_secs(30), |n| {
        n.is_none()
    })
    .await;
    let pool = ack
        .get(ALI_CLUSTER, &id)
        .await
        .expect("the orphaned pool is still there");
    assert_eq!(pool.cloud_phase, "active");
    ns.delete().await;
}

#[tokio::test]
async fn missing_credentials_say_what_to_fix_and_recover_when_the_secret_appears() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-creds").await;
    let (_sim, sim) = start_sim();
    let _controller = start_controller(&ns.name, &sim);
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);

    create(&api, huawei_pool("nocreds", 1)).await;
    let np = wait_for(
        &api,
        "nocreds",
        "stalled on credentials",
        Duration::from_secs(30),
        |n| {
            n.and_then(|n| condition(n, "Stalled"))
                .is_some_and(|c| c.status == "True" && c.reason == "CredentialsSecretMissing")
        },
    )
    .await
    .expect("present");
    let stalled = condition(&np, "Stalled").expect("Stalled");
    assert!(
        stalled
            .message
            .contains(&format!("{}/huawei-credentials does not exist", ns.name)),
        "{}",
        stalled.message
    );
    assert_eq!(
        condition(&np, "Ready").map(|c| c.status.as_str()),
        Some("False")
    );

    // The Secret appears: the Secret watch re-reconciles without waiting for a slow retry.
    create_secrets(&client, &ns.name).await;
    wait_for(&api, "nocreds", "Ready", Duration::from_secs(30), |n| {
        ready_at(n, 1)
    })
    .await;
    ns.delete().await;
}

#[tokio::test]
async fn a_create_interrupted_before_the_status_write_is_adopted_not_repeated() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-crash").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);

    // The state a crash leaves: the intent recorded, the cloud pool made, no ID in status.
    let hw = create(&api, huawei_pool("crashed", 1)).await;
    let ali = create(&api, alibaba_pool("crashed-ack", 1)).await;
    let hw_spec = hw.spec.huawei.clone().expect("huawei");
    cce.create(HW_CLUSTER, &hw_spec.create_body("crashed"))
        .await
        .expect("the first attempt's create");
    let ali_spec = ali.spec.alibaba.clone().expect("alibaba");
    let ali_uid = ali.metadata.uid.clone().expect("uid");
    let ali_body =
        nodepool_controller::controller::update::alibaba_create(&ali_spec, "crashed-ack", &ali_uid);
    ack.create(ALI_CLUSTER, &ali_body)
        .await
        .expect("the first attempt's create");
    for name in ["crashed", "crashed-ack"] {
        api.patch_status(
            name,
            &PatchParams::apply("crash-test").force(),
            &Patch::Apply(json!({
                "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
                "status": {"phase": "Creating", "createRequestedAt": "2026-01-01T00:00:00Z"}
            })),
        )
        .await
        .expect("write the intent");
    }

    // The controller comes back.
    let _controller = start_controller(&ns.name, &sim);
    for name in ["crashed", "crashed-ack"] {
        wait_for(&api, name, "Ready", Duration::from_secs(60), |n| {
            n.and_then(|n| condition(n, "Ready"))
                .is_some_and(|c| c.status == "True")
        })
        .await;
    }
    assert_eq!(
        pools_named(cce.as_ref(), HW_CLUSTER, "crashed").await.len(),
        1
    );
    assert_eq!(
        pools_named(ack.as_ref(), ALI_CLUSTER, "crashed-ack")
            .await
            .len(),
        1
    );
    ns.delete().await;
}

#[tokio::test]
async fn a_foreign_pool_with_the_same_name_is_not_taken_over_until_adopted() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-adopt").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    let manifest = huawei_pool("existing", 1);
    let spec: NodePool = serde_json::from_value(manifest.clone()).expect("NodePool");
    let existing = cce
        .create(
            HW_CLUSTER,
            &spec.spec.huawei.expect("huawei").create_body("existing"),
        )
        .await
        .expect("a pool made outside Kubernetes");

    let _controller = start_controller(&ns.name, &sim);
    create(&api, manifest).await;
    let np = wait_for(
        &api,
        "existing",
        "stalled on the name",
        Duration::from_secs(30),
        |n| {
            n.and_then(|n| condition(n, "Stalled"))
                .is_some_and(|c| c.status == "True" && c.reason == "NameTaken")
        },
    )
    .await
    .expect("present");
    assert!(
        condition(&np, "Stalled")
            .expect("Stalled")
            .message
            .contains("cloud.nodepool.dev/adopt-id"),
        "the message says how to adopt"
    );
    assert_eq!(
        pools_named(cce.as_ref(), HW_CLUSTER, "existing")
            .await
            .len(),
        1
    );

    api.patch(
        "existing",
        &PatchParams::default(),
        &Patch::Merge(
            json!({"metadata": {"annotations": {"cloud.nodepool.dev/adopt-id": existing.id}}}),
        ),
    )
    .await
    .expect("annotate");
    let np = wait_for(&api, "existing", "Ready", Duration::from_secs(60), |n| {
        n.and_then(|n| condition(n, "Ready"))
            .is_some_and(|c| c.status == "True")
    })
    .await
    .expect("present");
    assert_eq!(np.status.and_then(|s| s.id), Some(existing.id));
    assert_eq!(
        pools_named(cce.as_ref(), HW_CLUSTER, "existing")
            .await
            .len(),
        1
    );
    ns.delete().await;
}

#[tokio::test]
async fn two_replicas_elect_one_leader_and_fail_over() {
    use k8s_openapi::api::coordination::v1::Lease;
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-leader").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let elect = [
        "--leader-elect",
        "--leader-election-namespace",
        ns.name.as_str(),
        "--lease-seconds",
        "3",
    ];
    let mut replicas = vec![
        start_controller_with(&ns.name, &sim, &elect),
        start_controller_with(&ns.name, &sim, &elect),
    ];
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);

    for i in 0..4 {
        create(&api, huawei_pool(&format!("pool-{i}"), 1)).await;
    }
    for i in 0..4 {
        wait_for(
            &api,
            &format!("pool-{i}"),
            "Ready",
            Duration::from_secs(60),
            |n| ready_at(n, 1),
        )
        .await;
        assert_eq!(
            pools_named(cce.as_ref(), HW_CLUSTER, &format!("pool-{i}"))
                .await
                .len(),
            1,
            "two replicas must not create twice"
        );
    }
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns.name);
    let holder = leases
        .get("nodepool-controller")
        .await
        .expect("the Lease exists")
        .spec
        .and_then(|s| s.holder_identity)
        .expect("a holder");

    // Kill the leader (its identity carries its PID): the other replica takes over.
    let leader_pid: u32 = holder
        .split('-')
        .nth(2)
        .and_then(|p| p.parse().ok())
        .expect("identity nodepool-controller-<pid>-<n>");
    let before = replicas.len();
    replicas.retain(|p| p.0.id() != leader_pid);
    assert_eq!(
        replicas.len(),
        before - 1,
        "the leader is one of the replicas"
    );
    create(&api, huawei_pool("after-failover", 1)).await;
    wait_for(
        &api,
        "after-failover",
        "Ready",
        Duration::from_secs(60),
        |n| ready_at(n, 1),
    )
    .await;
    assert_eq!(
        pools_named(cce.as_ref(), HW_CLUSTER, "after-failover")
            .await
            .len(),
        1
    );
    let holder_after = leases
        .get("nodepool-controller")
        .await
        .expect("the Lease exists")
        .spec
        .and_then(|s| s.holder_identity)
        .expect("a holder");
    assert_ne!(
        holder, holder_after,
        "the surviving replica holds the Lease"
    );
    ns.delete().await;
}
