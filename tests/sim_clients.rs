//! The project's own cloud clients (`HuaweiClient`, `AlibabaClient`, through `NodePoolProvider`)
//! driven against the cloud simulator, in-process on a loopback port: the whole lifecycle of a
//! pool on each cloud, authentication and not-found answers, throttling, injected 5xx errors and
//! timeouts (retried only where the call is idempotent), and sold-out capacity as each client's
//! `CloudPool` reports it.
//!
//! The simulator is only touched through the clients, except for its admin API (`/_sim/faults`
//! to inject faults, `/_sim/counters` to count the requests it really received).

use std::sync::Arc;
use std::time::{Duration, Instant};

use nodepool_controller::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use nodepool_controller::cloud::auth::{AccessKey, HuaweiAuth};
use nodepool_controller::cloud::http::{HttpConfig, RetryPolicy};
use nodepool_controller::cloud::huawei::{HuaweiClient, HuaweiConfig};
use nodepool_controller::cloud::phase::Phase;
use nodepool_controller::cloud::ratelimit::{RateLimit, RateLimiters};
use nodepool_controller::cloud::{
    Cloud, CloudError, CloudPool, ErrorKind, NodeCounts, NodePoolProvider, PoolCondition,
    PoolUpdate, TransportFailure,
};
use nodepool_controller::controller::phase::derive;
use nodepool_controller::sim::config::Account;
use nodepool_controller::sim::{Scenario, Sim, Timings, server};
use serde_json::{Value, json};

const PROJECT: &str = "proj-1";
const CCE_CLUSTER: &str = "cce-1";
const ACK_CLUSTER: &str = "ack-1";
const HW_AK: &str = "HWAK";
const HW_SK: &str = "HWSK";
const ALI_AK: &str = "ALIAK";
const ALI_SK: &str = "ALISK";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

struct Harness {
    base: String,
    admin: reqwest::Client,
}

/// Lifecycle steps fast enough for tests, slow enough to observe every phase.
fn timings() -> Timings {
    Timings {
        provision_seconds: 0.3,
        node_seconds: 0.25,
        delete_seconds: 0.3,
        update_seconds: 0.5,
    }
}

/// A simulator of its own for each test (faults and counters are per simulator).
async fn start() -> Harness {
    let mut s = Scenario::default();
    s.huawei.accounts = vec![Account {
        access_key: HW_AK.into(),
        secret_key: HW_SK.into(),
    }];
    s.huawei.clusters = vec![format!("{PROJECT}/{CCE_CLUSTER}")];
    s.alibaba.accounts = vec![Account {
        access_key: ALI_AK.into(),
        secret_key: ALI_SK.into(),
    }];
    s.alibaba.clusters = vec![ACK_CLUSTER.into()];
    s.timings = timings();
    let sim = Sim::new(s, None).expect("a simulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve(listener, sim, std::future::pending()));
    Harness {
        base: format!("http://{addr}"),
        admin: reqwest::Client::new(),
    }
}

/// Short timeouts and quick, deterministic retries (jitter fixed at its maximum).
fn http(max_attempts: u32, base_delay_ms: u64) -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(base_delay_ms),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

/// The client-side limiter out of the way (its own tests are in `src/cloud/ratelimit.rs`).
fn limiters() -> Arc<RateLimiters> {
    RateLimiters::new(RateLimit {
        per_second: 10_000.0,
        burst: 10_000,
    })
}

impl Harness {
    fn huawei_with(&self, secret: &str, http: HttpConfig) -> HuaweiClient {
        let config = HuaweiConfig {
            region: "cn-north-4".into(),
            project_id: PROJECT.into(),
            endpoint: Some(self.base.clone()),
            http,
        };
        HuaweiClient::new(
            config,
            HuaweiAuth::AccessKey(AccessKey::new(HW_AK, secret)),
            &limiters(),
        )
        .expect("a CCE client")
        .with_random(Arc::new(|| 1.0))
    }

    fn huawei(&self) -> HuaweiClient {
        self.huawei_with(HW_SK, http(3, 20))
    }

    fn alibaba_with(&self, secret: &str, http: HttpConfig) -> AlibabaClient {
        let config = AlibabaConfig {
            region: "cn-hangzhou".into(),
            endpoint: Some(self.base.clone()),
            force_delete: false,
            http,
        };
        AlibabaClient::new(config, AccessKey::new(ALI_AK, secret), &limiters())
            .expect("an ACK client")
            .with_random(Arc::new(|| 1.0))
    }

    fn alibaba(&self) -> AlibabaClient {
        self.alibaba_with(ALI_SK, http(3, 20))
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.admin.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("admin API");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.expect("admin JSON")
    }

    /// Replaces every fault (`{}` clears them).
    async fn faults(&self, faults: Value) {
        self.admin(reqwest::Method::PUT, "/_sim/faults", Some(faults))
            .await;
    }

    /// How many requests of `operation` the simulator answered with `outcome`.
    async fn count(&self, cloud: &str, operation: &str, outcome: &str) -> u64 {
        self.counts(cloud, operation)
            .await
            .into_iter()
            .find(|(o, _)| o == outcome)
            .map_or(0, |(_, n)| n)
    }

    /// Every outcome of `operation` the simulator counted, with its count.
    async fn counts(&self, cloud: &str, operation: &str) -> Vec<(String, u64)> {
        let v = self
            .admin(reqwest::Method::GET, "/_sim/counters", None)
            .await;
        v["counters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["cloud"] == cloud && c["operation"] == operation)
            .map(|c| {
                (
                    c["outcome"].as_str().unwrap().to_owned(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect()
    }
}

/// Reads the pool every 25 ms until `done` holds (10 s at most); returns every view seen.
async fn poll_until(
    client: &dyn NodePoolProvider,
    cluster: &str,
    id: &str,
    done: impl Fn(&CloudPool) -> bool,
) -> Vec<CloudPool> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let pool = client.get(cluster, id).await.expect("get");
        let finished = done(&pool);
        seen.push(pool);
        if finished {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "pool {id} never got there; last seen: {:?}",
            seen.last()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Reads the pool until the cloud says it is gone; returns the raw phases seen before.
async fn poll_until_gone(client: &dyn NodePoolProvider, cluster: &str, id: &str) -> CloudError {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get(cluster, id).await {
            Ok(pool) => {
                assert_eq!(
                    derive(client.cloud(), &pool),
                    Phase::Deleting,
                    "a deleted pool reads as Deleting until it is gone: {pool:?}"
                );
                assert!(Instant::now() < deadline, "pool {id} never went away");
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            Err(e) => return e,
        }
    }
}

fn counts(current: i64, desired: i64, failed: Option<i64>) -> NodeCounts {
    NodeCounts {
        current: Some(current),
        desired: Some(desired),
        creating: Some(0),
        deleting: Some(0),
        healthy: Some(current),
        failed,
    }
}

/// The node counts seen over a poll never go backwards while a pool grows.
fn assert_monotonic(seen: &[CloudPool], up: bool) {
    let currents: Vec<i64> = seen.iter().filter_map(|p| p.nodes.current).collect();
    let ordered = currents
        .windows(2)
        .all(|w| if up { w[0] <= w[1] } else { w[0] >= w[1] });
    assert!(ordered, "node counts jumped around: {currents:?}");
}

fn api_status_code(err: &CloudError) -> (u16, Option<&str>) {
    let api = err
        .api_error()
        .unwrap_or_else(|| panic!("not a cloud answer: {err}"));
    (api.status, api.code.as_deref())
}

fn cce_body(name: &str, flavor: &str, nodes: u32) -> Value {
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": {"name": name},
        "spec": {
            "initialNodeCount": nodes,
            "nodeTemplate": {
                "flavor": flavor,
                "az": "cn-north-4a",
                "os": "EulerOS 2.9",
                "login": {"sshKey": "key-1"},
                "rootVolume": {"volumetype": "SAS", "size": 40},
                "dataVolumes": [{"volumetype": "SAS", "size": 100}],
                "userTags": [{"key": "nodepool.owner", "value": "ns-a.web"}]
            },
            "autoscaling": {"enable": false}
        }
    })
}

fn ack_body(name: &str, instance_type: &str, nodes: u32) -> Value {
    json!({
        "nodepool_info": {"name": name},
        "scaling_group": {
            "desired_size": nodes,
            "instance_types": [instance_type],
            "vswitch_ids": ["vsw-1"],
            "system_disk_category": "cloud_essd",
            "system_disk_size": 120,
            "tags": [{"key": "nodepool.owner", "value": "ns-a.web"}]
        },
        "kubernetes_config": {"runtime": "containerd", "runtime_version": "1.6.20"}
    })
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cce_lifecycle_through_the_client() {
    let h = start().await;
    let cce = h.huawei();
    let c = CCE_CLUSTER;

    // Create: CCE answers with the pool itself, still provisioning.
    let created = cce
        .create(c, &cce_body("web", "c7.large.2", 2))
        .await
        .expect("create");
    assert_eq!(created.id.len(), 36, "a UUID: {}", created.id);
    assert_eq!(created.task_id, None, "CCE's create answer has no jobId");
    let first = created.pool.expect("CCE answers a create with the pool");
    assert_eq!(first.id, created.id);
    assert_eq!(first.name, "web");
    assert_eq!(first.cloud_phase, "Synchronizing");
    assert_eq!(first.nodes.desired, Some(2));
    assert_eq!(first.nodes.current, Some(0));
    assert_eq!(derive(Cloud::Huawei, &first), Phase::Synchronizing);
    let id = created.id;

    // Get until settled: an empty phase with the target reached.
    let seen = poll_until(&cce, c, &id, |p| {
        p.cloud_phase.is_empty() && p.nodes.current == Some(2)
    })
    .await;
    assert_eq!(seen[0].cloud_phase, "Synchronizing");
    assert_monotonic(&seen, true);
    let settled = seen.last().unwrap();
    assert_eq!(settled.nodes, counts(2, 2, None));
    assert_eq!(settled.conditions, Vec::<PoolCondition>::new());
    assert_eq!(derive(Cloud::Huawei, settled), Phase::Synchronized);
    assert_eq!(settled.spec["nodeTemplate"]["flavor"], "c7.large.2");
    assert_eq!(settled.spec["initialNodeCount"], 2);

    // List (the default pool is left out), by name, by user tag.
    let listed = cce.list(c).await.expect("list");
    assert_eq!(
        listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert_eq!(&listed[0], settled, "list and show describe the pool alike");
    let by_name = cce.find_by_name(c, "web").await.unwrap().expect("by name");
    assert_eq!(by_name.id, id);
    assert_eq!(cce.find_by_name(c, "we").await.unwrap(), None);
    let by_tag = cce
        .find_by_tag(c, "nodepool.owner", "ns-a.web")
        .await
        .unwrap()
        .expect("by tag");
    assert_eq!(by_tag.id, id);
    assert_eq!(
        cce.find_by_tag(c, "nodepool.owner", "ns-b.web")
            .await
            .unwrap(),
        None
    );

    // Update without a node count: the body even says initialNodeCount 0 (and CCE reads an
    // update without ignoreInitialNodeCount as "scale to initialNodeCount"), yet the count
    // stays at 2 because the client forces ignoreInitialNodeCount.
    let accepted = cce
        .update(
            c,
            &id,
            &PoolUpdate {
                body: json!({
                    "metadata": {"name": "web"},
                    "spec": {
                        "initialNodeCount": 0,
                        "nodeTemplate": {"k8sTags": {"team": "blue"}}
                    }
                }),
                node_count: None,
            },
        )
        .await
        .expect("update");
    let answered = accepted.pool.expect("CCE answers an update with the pool");
    assert_eq!(answered.nodes.desired, Some(2));
    tokio::time::sleep(Duration::from_millis(300)).await; // longer than a node step
    let after = cce.get(c, &id).await.unwrap();
    assert_eq!(after.nodes, counts(2, 2, None));
    assert_eq!(after.cloud_phase, "");
    assert_eq!(after.spec["nodeTemplate"]["k8sTags"]["team"], "blue");
    assert_eq!(after.spec["nodeTemplate"]["flavor"], "c7.large.2");

    // Update with a node count: the target moves, nodes follow.
    let accepted = cce
        .update(
            c,
            &id,
            &PoolUpdate {
                body: json!({"metadata": {"name": "web"}, "spec": {}}),
                node_count: Some(3),
            },
        )
        .await
        .expect("update with a count");
    assert_eq!(accepted.pool.unwrap().nodes.desired, Some(3));
    let seen = poll_until(&cce, c, &id, |p| {
        p.cloud_phase.is_empty() && p.nodes.current == Some(3)
    })
    .await;
    assert_monotonic(&seen, true);
    assert_eq!(seen.last().unwrap().nodes, counts(3, 3, None));

    // Scale down through operation/scale.
    let accepted = cce.scale(c, &id, 1).await.expect("scale");
    assert_eq!(accepted.pool, None);
    assert_eq!(cce.get(c, &id).await.unwrap().nodes.desired, Some(1));
    let seen = poll_until(&cce, c, &id, |p| {
        p.cloud_phase.is_empty() && p.nodes.current == Some(1)
    })
    .await;
    assert_monotonic(&seen, false);
    assert_eq!(seen.last().unwrap().nodes, counts(1, 1, None));
    assert_eq!(
        derive(Cloud::Huawei, seen.last().unwrap()),
        Phase::Synchronized
    );

    // Delete: answered with the pool in Deleting and the delete job's ID; gone afterwards.
    let accepted = cce.delete(c, &id).await.expect("delete");
    let deleting = accepted.pool.expect("CCE answers a delete with the pool");
    assert_eq!(deleting.cloud_phase, "Deleting");
    assert_eq!(derive(Cloud::Huawei, &deleting), Phase::Deleting);
    assert_eq!(accepted.task_id.as_deref().map(str::len), Some(36));
    let gone = poll_until_gone(&cce, c, &id).await;
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    assert_eq!(api_status_code(&gone), (404, Some("CCE.01404001")));
    let again = cce.delete(c, &id).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::NotFound, "{again}");
    assert!(again.is_not_found());
    assert_eq!(cce.list(c).await.unwrap(), Vec::new());
    assert_eq!(cce.find_by_name(c, "web").await.unwrap(), None);
}

#[tokio::test]
async fn ack_lifecycle_through_the_client() {
    let h = start().await;
    let ack = h.alibaba();
    let c = ACK_CLUSTER;

    // Create: ACK answers with the pool's ID and a task, not the pool.
    let created = ack
        .create(c, &ack_body("web", "ecs.g7.large", 2))
        .await
        .expect("create");
    assert!(created.id.starts_with("np"), "{}", created.id);
    assert_eq!(created.pool, None);
    assert!(
        created
            .task_id
            .as_deref()
            .is_some_and(|t| t.starts_with("T-")),
        "{:?}",
        created.task_id
    );
    assert_eq!(created.request_id.as_deref().map(str::len), Some(36));
    let id = created.id;

    // Get until settled: `active` with the target reached.
    let seen = poll_until(&ack, c, &id, |p| {
        p.cloud_phase == "active" && p.nodes.current == Some(2)
    })
    .await;
    assert_eq!(seen[0].cloud_phase, "initial");
    assert_eq!(derive(Cloud::Alibaba, &seen[0]), Phase::Synchronizing);
    assert!(
        seen.iter().any(|p| p.cloud_phase == "scaling"),
        "{:?}",
        seen.iter().map(|p| &p.cloud_phase).collect::<Vec<_>>()
    );
    assert_monotonic(&seen, true);
    let settled = seen.last().unwrap();
    assert_eq!(settled.name, "web");
    assert_eq!(settled.nodes, counts(2, 2, Some(0)));
    assert_eq!(settled.conditions, Vec::<PoolCondition>::new());
    assert_eq!(derive(Cloud::Alibaba, settled), Phase::Synchronized);
    assert_eq!(
        settled.spec["scaling_group"]["instance_types"],
        json!(["ecs.g7.large"])
    );
    assert_eq!(settled.spec["nodepool_info"]["nodepool_id"], id.as_str());

    // List, by name (NodepoolName filter, exact match), by scaling-group tag.
    let listed = ack.list(c).await.expect("list");
    assert_eq!(
        listed.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        [id.as_str()]
    );
    assert_eq!(listed[0].nodes, settled.nodes);
    let by_name = ack.find_by_name(c, "web").await.unwrap().expect("by name");
    assert_eq!(by_name.id, id);
    assert_eq!(ack.find_by_name(c, "we").await.unwrap(), None);
    let by_tag = ack
        .find_by_tag(c, "nodepool.owner", "ns-a.web")
        .await
        .unwrap()
        .expect("by tag");
    assert_eq!(by_tag.id, id);
    assert_eq!(
        ack.find_by_tag(c, "nodepool.owner", "ns-b.web")
            .await
            .unwrap(),
        None
    );

    // Update without a node count: the body's desired_size and count are dropped by the
    // client, so only the labels change.
    let accepted = ack
        .update(
            c,
            &id,
            &PoolUpdate {
                body: json!({
                    "count": 0,
                    "scaling_group": {"desired_size": 0},
                    "kubernetes_config": {"labels": [{"key": "team", "value": "blue"}]}
                }),
                node_count: None,
            },
        )
        .await
        .expect("update");
    assert!(accepted.task_id.is_some() && accepted.request_id.is_some());
    let updating = ack.get(c, &id).await.unwrap();
    assert_eq!(updating.cloud_phase, "updating");
    assert_eq!(updating.nodes, counts(2, 2, Some(0)));
    assert_eq!(
        updating.spec["kubernetes_config"]["labels"],
        json!([{"key": "team", "value": "blue"}])
    );
    let seen = poll_until(&ack, c, &id, |p| p.cloud_phase == "active").await;
    assert_eq!(seen.last().unwrap().nodes, counts(2, 2, Some(0)));

    // Update with a node count.
    ack.update(
        c,
        &id,
        &PoolUpdate {
            body: json!({}),
            node_count: Some(3),
        },
    )
    .await
    .expect("update with a count");
    let scaling = ack.get(c, &id).await.unwrap();
    assert_eq!(scaling.cloud_phase, "scaling");
    assert_eq!(scaling.nodes.desired, Some(3));
    let seen = poll_until(&ack, c, &id, |p| {
        p.cloud_phase == "active" && p.nodes.current == Some(3)
    })
    .await;
    assert_monotonic(&seen, true);
    assert_eq!(seen.last().unwrap().nodes, counts(3, 3, Some(0)));

    // Scale down (ModifyClusterNodePool with only desired_size).
    let accepted = ack.scale(c, &id, 1).await.expect("scale");
    assert!(accepted.task_id.is_some());
    let removing = ack.get(c, &id).await.unwrap();
    assert_eq!(removing.cloud_phase, "removing");
    assert_eq!(removing.nodes.desired, Some(1));
    let seen = poll_until(&ack, c, &id, |p| {
        p.cloud_phase == "active" && p.nodes.current == Some(1)
    })
    .await;
    assert_monotonic(&seen, false);
    assert_eq!(seen.last().unwrap().nodes, counts(1, 1, Some(0)));

    // Delete: without force ACK refuses while the pool still has nodes; with force it goes.
    let refused = ack
        .delete_cluster_nodepool(c, &id, false)
        .await
        .unwrap_err();
    assert_eq!(
        api_status_code(&refused),
        (400, Some("ErrorNodePoolNotEmpty")),
        "{refused}"
    );
    assert_eq!(ack.get(c, &id).await.unwrap().cloud_phase, "active");
    let accepted = ack
        .delete_cluster_nodepool(c, &id, true)
        .await
        .expect("forced delete");
    assert!(
        accepted
            .task_id
            .as_deref()
            .is_some_and(|t| t.starts_with("T-"))
    );
    let deleting = ack.get(c, &id).await.unwrap();
    assert_eq!(deleting.cloud_phase, "deleting");
    let gone = poll_until_gone(&ack, c, &id).await;
    assert_eq!(gone.kind(), ErrorKind::NotFound, "{gone}");
    assert_eq!(api_status_code(&gone), (404, Some("ErrorNodePoolNotFound")));
    assert!(gone.request_id().is_some());
    let again = ack.delete(c, &id).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::NotFound, "{again}");
    assert_eq!(ack.list(c).await.unwrap(), Vec::new());
    assert_eq!(ack.find_by_name(c, "web").await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Authentication and missing clusters
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_and_is_not_retried() {
    let h = start().await;
    let cce = h.huawei_with("not-the-secret", http(3, 20));
    let err = cce.list(CCE_CLUSTER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert_eq!(api_status_code(&err), (401, Some("APIG.0301")));
    assert!(err.request_id().is_some());
    // One request only: an auth failure is not worth a retry.
    assert_eq!(
        h.counts("huawei", "ListNodePools").await,
        [("unauthorized".to_owned(), 1)]
    );
    // Nothing secret in what the error says.
    assert!(!err.to_string().contains("not-the-secret"), "{err}");

    let ack = h.alibaba_with("not-the-secret", http(3, 20));
    let err = ack.list(ACK_CLUSTER).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert_eq!(api_status_code(&err), (400, Some("SignatureDoesNotMatch")));
    assert!(err.request_id().is_some());
    assert_eq!(
        h.counts("alibaba", "DescribeClusterNodePools").await,
        [("invalid".to_owned(), 1)]
    );
    assert!(!err.to_string().contains("not-the-secret"), "{err}");

    // The right secret on the same simulator works.
    assert_eq!(h.huawei().list(CCE_CLUSTER).await.unwrap(), Vec::new());
    assert_eq!(h.alibaba().list(ACK_CLUSTER).await.unwrap(), Vec::new());
}

#[tokio::test]
async fn an_unknown_cluster_is_not_found() {
    let h = start().await;
    let cce = h.huawei();
    for err in [
        cce.list("no-such-cluster").await.unwrap_err(),
        cce.get("no-such-cluster", "pool").await.unwrap_err(),
        cce.create("no-such-cluster", &cce_body("web", "c7.large.2", 1))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(api_status_code(&err), (404, Some("CCE.01404001")));
    }
    let ack = h.alibaba();
    for err in [
        ack.list("no-such-cluster").await.unwrap_err(),
        ack.get("no-such-cluster", "np1").await.unwrap_err(),
        ack.create("no-such-cluster", &ack_body("web", "ecs.g7.large", 1))
            .await
            .unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(api_status_code(&err), (404, Some("ErrorClusterNotFound")));
    }
    // An unknown pool in a known cluster, too.
    let err = cce.get(CCE_CLUSTER, "no-such-pool").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = ack.get(ACK_CLUSTER, "np-no-such-pool").await.unwrap_err();
    assert_eq!(
        (err.kind(), api_status_code(&err)),
        (ErrorKind::NotFound, (404, Some("ErrorNodePoolNotFound")))
    );
}

// ---------------------------------------------------------------------------------------------
// Throttling
// ---------------------------------------------------------------------------------------------

/// Spends the simulator's bucket for the client's account (60 per minute: 60 at once, then one a
/// second) with single-attempt lists; returns the throttling error and how many went through.
async fn exhaust(client: &dyn NodePoolProvider, cluster: &str) -> (CloudError, u32) {
    let start = Instant::now();
    let mut ok = 0u32;
    loop {
        match client.list(cluster).await {
            Ok(_) => ok += 1,
            Err(e) => {
                let elapsed = start.elapsed().as_secs_f64();
                // Exactly the burst, plus at most the tokens that refilled meanwhile.
                assert!(
                    ok >= 60 && f64::from(ok) <= 60.0 + elapsed,
                    "{ok} lists went through in {elapsed:.2} s"
                );
                return (e, ok);
            }
        }
        assert!(ok <= 200, "never throttled");
    }
}

#[tokio::test]
async fn cce_throttling_is_reported_and_gets_are_retried_until_the_limit_refills() {
    let h = start().await;
    h.faults(json!({"accounts": {HW_AK: {"rate_limit_per_minute": 60}}}))
        .await;
    let once = h.huawei_with(HW_SK, http(1, 20));
    let (err, ok) = exhaust(&once, CCE_CLUSTER).await;
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(api_status_code(&err), (429, Some("APIG.0308")));
    assert!(
        err.to_string()
            .contains("policy user over ratelimit,limit:60,time:1 minute"),
        "{err}"
    );
    // CCE's gateway sends no Retry-After: the client falls back to its own backoff.
    assert_eq!(err.retry_after(), None);
    assert_eq!(
        h.count("huawei", "ListNodePools", "ok").await,
        u64::from(ok)
    );
    assert_eq!(h.count("huawei", "ListNodePools", "throttled").await, 1);

    // A client that retries: backoff 400 ms, 800 ms, 1.6 s (jitter fixed at its maximum) reaches
    // past the one second the bucket needs for its next token.
    let retrying = h.huawei_with(HW_SK, http(4, 400));
    let start = Instant::now();
    assert_eq!(retrying.list(CCE_CLUSTER).await.unwrap(), Vec::new());
    let elapsed = start.elapsed();
    let throttled = h.count("huawei", "ListNodePools", "throttled").await - 1;
    assert_eq!(
        h.count("huawei", "ListNodePools", "ok").await,
        u64::from(ok) + 1
    );
    assert!(
        (1..=3).contains(&throttled),
        "{throttled} throttled attempts"
    );
    // Every throttled attempt was followed by a backoff of 400 ms * 2^(n-1).
    let backoff_ms: u64 = (0..throttled).map(|n| 400 << n).sum();
    assert!(
        elapsed >= Duration::from_millis(backoff_ms),
        "{elapsed:?} for {throttled} retries"
    );

    // The retry took the token that had refilled; a create right after is throttled, and
    // never retried.
    let err = retrying
        .create(CCE_CLUSTER, &cce_body("web", "c7.large.2", 1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(
        h.counts("huawei", "CreateNodePool").await,
        [("throttled".to_owned(), 1)]
    );
}

#[tokio::test]
async fn ack_throttling_carries_retry_after_and_gets_wait_for_it() {
    let h = start().await;
    h.faults(json!({"accounts": {ALI_AK: {"rate_limit_per_minute": 60}}}))
        .await;
    let once = h.alibaba_with(ALI_SK, http(1, 20));
    let (err, ok) = exhaust(&once, ACK_CLUSTER).await;
    assert_eq!(err.kind(), ErrorKind::Throttled, "{err}");
    assert_eq!(api_status_code(&err), (429, Some("Throttling.User")));
    assert!(err.request_id().is_some());
    // x-acs-retry-after: the milliseconds until the bucket's next token (at most one second).
    let after = err.retry_after().expect("ACK says when to come back");
    assert!(
        after > Duration::ZERO && after <= Duration::from_secs(1),
        "{after:?}"
    );

    // A retrying client with a tiny backoff waits for x-acs-retry-after instead, so its one
    // retry is enough: exactly one more throttled answer, then success.
    let retrying = h.alibaba_with(ALI_SK, http(3, 1));
    let start = Instant::now();
    assert_eq!(retrying.list(ACK_CLUSTER).await.unwrap(), Vec::new());
    let elapsed = start.elapsed();
    assert_eq!(
        h.count("alibaba", "DescribeClusterNodePools", "throttled")
            .await,
        2
    );
    assert_eq!(
        h.count("alibaba", "DescribeClusterNodePools", "ok").await,
        u64::from(ok) + 1
    );
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");

    // A Retry-After longer than the client will wait inside a call comes back at once.
    let mut impatient = http(3, 1);
    impatient.retry.max_retry_after = Duration::from_millis(1);
    let impatient = h.alibaba_with(ALI_SK, impatient);
    let err = loop {
        let throttled_before = h
            .count("alibaba", "DescribeClusterNodePools", "throttled")
            .await;
        // Spend the token that refilled meanwhile, if any.
        if let Err(e) = impatient.list(ACK_CLUSTER).await {
            assert_eq!(
                h.count("alibaba", "DescribeClusterNodePools", "throttled")
                    .await,
                throttled_before + 1,
                "sent once, not retried"
            );
            break e;
        }
    };
    assert_eq!(err.kind(), ErrorKind::Throttled);
    let hint = err.retry_after().unwrap();
    assert!(hint > Duration::from_millis(1));
    // The account's bucket now holds every later call back until the cloud's hint: the next
    // call waits for it and is not throttled.
    let throttled_before = h
        .count("alibaba", "DescribeClusterNodePools", "throttled")
        .await;
    let start = Instant::now();
    impatient
        .list(ACK_CLUSTER)
        .await
        .expect("the call after the hint");
    // (1 ms of slack: the client counts the hint from the throttled answer, a moment before
    // `start`.)
    assert!(
        start.elapsed() + Duration::from_millis(1) >= hint,
        "{:?} < {hint:?}",
        start.elapsed()
    );
    assert_eq!(
        h.count("alibaba", "DescribeClusterNodePools", "throttled")
            .await,
        throttled_before,
        "no throttled answer after waiting for the hint"
    );
}

// ---------------------------------------------------------------------------------------------
// Injected 5xx errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cce_5xx_reads_are_retried_creates_and_scales_are_not() {
    let h = start().await;
    let cce = h.huawei();
    let id = cce
        .create(CCE_CLUSTER, &cce_body("web", "c7.large.2", 1))
        .await
        .unwrap()
        .id;
    h.faults(json!({"accounts": {HW_AK: {"error_rate": 1.0}}}))
        .await;

    // A GET: three attempts (the client's max), then the 5xx is returned as Transient.
    let err = cce.get(CCE_CLUSTER, &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert_eq!(api_status_code(&err), (500, Some("CCE.01500001")));
    assert_eq!(
        h.counts("huawei", "ShowNodePool").await,
        [("injected_error".to_owned(), 3)]
    );

    // A create POST: one attempt only, the pool is not there.
    let err = cce
        .create(CCE_CLUSTER, &cce_body("api", "c7.large.2", 1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert_eq!(
        h.counts("huawei", "CreateNodePool").await,
        [("injected_error".to_owned(), 1), ("ok".to_owned(), 1)]
    );
    // The scale POST: not retried either.
    let err = cce.scale(CCE_CLUSTER, &id, 3).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(
        h.counts("huawei", "ScaleNodePool").await,
        [("injected_error".to_owned(), 1)]
    );
    // An update PUT is idempotent: retried.
    let err = cce
        .update(
            CCE_CLUSTER,
            &id,
            &PoolUpdate {
                body: json!({"spec": {}}),
                node_count: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(
        h.counts("huawei", "UpdateNodePool").await,
        [("injected_error".to_owned(), 3)]
    );

    // A GET that meets the fault once and then finds it cleared succeeds on its retry.
    let slow_retry = h.huawei_with(HW_SK, http(3, 400));
    let get = tokio::spawn({
        let id = id.clone();
        async move { slow_retry.get(CCE_CLUSTER, &id).await }
    });
    wait_for_count(&h, "huawei", "ShowNodePool", "injected_error", 4).await;
    h.faults(json!({})).await;
    let pool = get.await.unwrap().expect("the retry succeeds");
    assert_eq!(pool.id, id);
    assert_eq!(
        h.counts("huawei", "ShowNodePool").await,
        [("injected_error".to_owned(), 4), ("ok".to_owned(), 1)]
    );
    // Only the first create happened.
    let names: Vec<String> = cce
        .list(CCE_CLUSTER)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["web"]);
}

#[tokio::test]
async fn ack_5xx_reads_are_retried_creates_are_not() {
    let h = start().await;
    let ack = h.alibaba();
    let id = ack
        .create(ACK_CLUSTER, &ack_body("web", "ecs.g7.large", 1))
        .await
        .unwrap()
        .id;
    h.faults(json!({"accounts": {ALI_AK: {"error_rate": 1.0}}}))
        .await;

    let err = ack.get(ACK_CLUSTER, &id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert_eq!(api_status_code(&err), (500, Some("InternalError")));
    assert!(err.request_id().is_some());
    assert_eq!(
        h.counts("alibaba", "DescribeClusterNodePoolDetail").await,
        [("injected_error".to_owned(), 3)]
    );

    let err = ack
        .create(ACK_CLUSTER, &ack_body("api", "ecs.g7.large", 1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert_eq!(
        h.count("alibaba", "CreateClusterNodePool", "injected_error")
            .await,
        1
    );
    // ACK's scale is a ModifyClusterNodePool PUT: idempotent, so retried.
    let err = ack.scale(ACK_CLUSTER, &id, 3).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(
        h.counts("alibaba", "ModifyClusterNodePool").await,
        [("injected_error".to_owned(), 3)]
    );

    let slow_retry = h.alibaba_with(ALI_SK, http(3, 400));
    let get = tokio::spawn({
        let id = id.clone();
        async move { slow_retry.get(ACK_CLUSTER, &id).await }
    });
    wait_for_count(
        &h,
        "alibaba",
        "DescribeClusterNodePoolDetail",
        "injected_error",
        4,
    )
    .await;
    h.faults(json!({})).await;
    assert_eq!(get.await.unwrap().expect("the retry succeeds").id, id);
    assert_eq!(
        h.counts("alibaba", "DescribeClusterNodePoolDetail").await,
        [("injected_error".to_owned(), 4), ("ok".to_owned(), 1)]
    );
    let names: Vec<String> = ack
        .list(ACK_CLUSTER)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["web"]);
}

/// Waits (2 s at most) until the simulator has counted `n` answers of this kind.
async fn wait_for_count(h: &Harness, cloud: &str, op: &str, outcome: &str, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while h.count(cloud, op, outcome).await < n {
        assert!(
            Instant::now() < deadline,
            "{op} never reached {n} {outcome}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Timeouts
// ---------------------------------------------------------------------------------------------

/// A 300 ms per-attempt timeout; the simulator holds timed-out requests for 5 s.
fn short_timeout(max_attempts: u32) -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_millis(300),
        ..http(max_attempts, 20)
    }
}

fn assert_timeout(err: &CloudError, elapsed: Duration, attempts: u32) {
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    assert_eq!(err.reason(), "CloudTimeout", "{err}");
    assert!(
        matches!(
            err,
            CloudError::Transport {
                failure: TransportFailure::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    let floor = Duration::from_millis(300) * attempts;
    // Well before the simulator's 5 s hang: the client's own timeout fired.
    assert!(
        elapsed >= floor && elapsed < floor + Duration::from_millis(700),
        "{attempts} attempt(s) took {elapsed:?}"
    );
}

#[tokio::test]
async fn timeouts_are_transient_and_bounded_by_the_client_timeout() {
    let h = start().await;
    h.faults(json!({"global": {"timeout_rate": 1.0, "timeout_ms": 5000}}))
        .await;

    let cce = h.huawei_with(HW_SK, short_timeout(1));
    let start = Instant::now();
    let err = cce.list(CCE_CLUSTER).await.unwrap_err();
    assert_timeout(&err, start.elapsed(), 1);

    // Two attempts for a GET when the client allows two.
    let cce2 = h.huawei_with(HW_SK, short_timeout(2));
    let start = Instant::now();
    let err = cce2.get(CCE_CLUSTER, "some-pool").await.unwrap_err();
    assert_timeout(&err, start.elapsed(), 2);

    // A create that timed out is not sent again, even by a client allowing three attempts.
    let cce3 = h.huawei_with(HW_SK, short_timeout(3));
    let start = Instant::now();
    let err = cce3
        .create(CCE_CLUSTER, &cce_body("web", "c7.large.2", 1))
        .await
        .unwrap_err();
    assert_timeout(&err, start.elapsed(), 1);

    let ack = h.alibaba_with(ALI_SK, short_timeout(1));
    let start = Instant::now();
    let err = ack.list(ACK_CLUSTER).await.unwrap_err();
    assert_timeout(&err, start.elapsed(), 1);
    let ack3 = h.alibaba_with(ALI_SK, short_timeout(3));
    let start = Instant::now();
    let err = ack3
        .create(ACK_CLUSTER, &ack_body("web", "ecs.g7.large", 1))
        .await
        .unwrap_err();
    assert_timeout(&err, start.elapsed(), 1);

    // Nothing was created behind the timeouts.
    h.faults(json!({})).await;
    assert_eq!(h.huawei().list(CCE_CLUSTER).await.unwrap(), Vec::new());
    assert_eq!(h.alibaba().list(ACK_CLUSTER).await.unwrap(), Vec::new());
}

// ---------------------------------------------------------------------------------------------
// Sold out
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cce_sold_out_flavor_reads_as_sold_out() {
    let h = start().await;
    h.faults(json!({"huawei_sold_out_flavors": ["c7.sold.2"]}))
        .await;
    let cce = h.huawei();
    let created = cce
        .create(CCE_CLUSTER, &cce_body("web", "c7.sold.2", 2))
        .await
        .expect("CCE accepts the pool; the capacity problem shows later");
    let id = created.id;
    let seen = poll_until(&cce, CCE_CLUSTER, &id, |p| p.cloud_phase != "Synchronizing").await;
    let pool = seen.last().unwrap();
    assert_eq!(pool.cloud_phase, "SoldOut");
    assert_eq!(pool.nodes, counts(0, 2, None));
    let message = Some("flavor c7.sold.2 is sold out".to_owned());
    assert_eq!(
        pool.conditions,
        [
            PoolCondition {
                condition_type: "Scalable".into(),
                status: "False".into(),
                reason: Some("ResourceInsufficient".into()),
                message: message.clone(),
            },
            PoolCondition {
                condition_type: "ResourceInsufficient".into(),
                status: "True".into(),
                reason: Some("ResourceInsufficient".into()),
                message,
            },
        ]
    );
    assert_eq!(derive(Cloud::Huawei, pool), Phase::SoldOut);
    // The conditions alone (no SoldOut phase, as newer CCE reports it) give SoldOut too.
    let by_conditions = CloudPool {
        cloud_phase: String::new(),
        ..pool.clone()
    };
    assert_eq!(derive(Cloud::Huawei, &by_conditions), Phase::SoldOut);
    // List reports the same.
    assert_eq!(
        cce.list(CCE_CLUSTER).await.unwrap(),
        std::slice::from_ref(pool)
    );
    // And the pool does not grow later.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        cce.get(CCE_CLUSTER, &id).await.unwrap().nodes.current,
        Some(0)
    );
}

#[tokio::test]
async fn ack_sold_out_instance_type_reads_as_failed_nodes_and_a_condition() {
    let h = start().await;
    h.faults(json!({"alibaba_sold_out_instance_types": ["ecs.sold"]}))
        .await;
    let ack = h.alibaba();
    let id = ack
        .create(ACK_CLUSTER, &ack_body("web", "ecs.sold", 2))
        .await
        .expect("ACK accepts the pool; the capacity problem shows later")
        .id;
    let seen = poll_until(&ack, ACK_CLUSTER, &id, |p| p.cloud_phase != "initial").await;
    let pool = seen.last().unwrap();
    // ACK's state goes back to active: the scaling task failed, the pool itself is fine.
    assert_eq!(pool.cloud_phase, "active");
    assert_eq!(pool.nodes, counts(0, 2, Some(2)));
    assert_eq!(pool.conditions.len(), 1, "{:?}", pool.conditions);
    let c = &pool.conditions[0];
    assert_eq!(
        (
            c.condition_type.as_str(),
            c.status.as_str(),
            c.reason.as_deref()
        ),
        ("ScalingFailed", "True", Some("OperationDenied.NoStock"))
    );
    assert!(
        c.message
            .as_deref()
            .is_some_and(|m| m.contains("sold out") && m.contains("ecs.sold")),
        "{c:?}"
    );
    // DescribeClusterNodePools has no conditions, but the failed nodes show there too.
    let listed = ack.list(ACK_CLUSTER).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].nodes, counts(0, 2, Some(2)));
    assert_eq!(listed[0].conditions, Vec::new());
}

// ---------------------------------------------------------------------------------------------
// The client-side rate limiter, through real clients
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn clients_of_one_account_and_region_share_one_rate_limit() {
    let h = start().await;
    // 10 requests per second, no burst, shared through one registry as the controller does.
    let registry = RateLimiters::new(RateLimit {
        per_second: 10.0,
        burst: 1,
    });
    let client = |region: &str| {
        let config = HuaweiConfig {
            region: region.into(),
            project_id: PROJECT.into(),
            endpoint: Some(h.base.clone()),
            http: http(1, 20),
        };
        Arc::new(
            HuaweiClient::new(
                config,
                HuaweiAuth::AccessKey(AccessKey::new(HW_AK, HW_SK)),
                &registry,
            )
            .unwrap(),
        )
    };
    // Two clients of the same account and region (say, two NodePools' reconciles), and one of
    // the same account in another region.
    let (a1, a2, other) = (
        client("cn-north-4"),
        client("cn-north-4"),
        client("cn-south-1"),
    );
    let start = Instant::now();
    let mut shared = Vec::new();
    for i in 0..10 {
        let c = if i % 2 == 0 { a1.clone() } else { a2.clone() };
        shared.push(tokio::spawn(async move {
            c.list(CCE_CLUSTER).await.unwrap();
            start.elapsed()
        }));
    }
    let alone = tokio::spawn(async move {
        other.list(CCE_CLUSTER).await.unwrap();
        start.elapsed()
    });
    let mut done = Vec::new();
    for t in shared {
        done.push(t.await.unwrap());
    }
    done.sort_unstable();
    // Together the two clients went no faster than 10 per second: the k-th call no earlier
    // than k * 100 ms.
    for (k, at) in done.iter().enumerate() {
        assert!(
            *at >= Duration::from_millis(100) * k as u32,
            "call {k} at {at:?}: {done:?}"
        );
    }
    // The other region has a bucket of its own: it did not queue behind them.
    let alone = alone.await.unwrap();
    assert!(alone < done[3], "{alone:?} vs {done:?}");
    assert_eq!(h.count("huawei", "ListNodePools", "ok").await, 11);
}

// ---------------------------------------------------------------------------------------------
// Owner tags, lost create answers, sold-out repair
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn owner_tags_come_back_and_find_the_pool() {
    let h = start().await;
    let uid = "0b7c3d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d";

    let cce = h.huawei();
    let mut body = cce_body("web", "c7.large.2", 0);
    body["spec"]["nodeTemplate"]["userTags"] = json!([
        {"key": "nodepool-owner-uid", "value": uid},
        {"key": "nodepool-owner", "value": "default_web"}
    ]);
    let created = cce.create(CCE_CLUSTER, &body).await.expect("create");
    let found = cce
        .find_by_tag(CCE_CLUSTER, "nodepool-owner-uid", uid)
        .await
        .unwrap()
        .expect("found by its owner tag");
    assert_eq!(found.id, created.id);
    let got = cce.get(CCE_CLUSTER, &created.id).await.unwrap();
    assert_eq!(
        got.spec["nodeTemplate"]["userTags"],
        body["spec"]["nodeTemplate"]["userTags"]
    );
    // A reserved key is refused in CCE's error shape.
    let mut bad = cce_body("bad", "c7.large.2", 0);
    bad["spec"]["nodeTemplate"]["userTags"] = json!([{"key": "CCE-owner", "value": "x"}]);
    let err = cce.create(CCE_CLUSTER, &bad).await.unwrap_err();
    assert_eq!(api_status_code(&err), (400, Some("CCE.01400001")), "{err}");
    // An empty list removes the tags.
    cce.update(
        CCE_CLUSTER,
        &created.id,
        &PoolUpdate {
            body: json!({"spec": {"nodeTemplate": {"userTags": []}}}),
            node_count: None,
        },
    )
    .await
    .expect("update");
    assert_eq!(
        cce.find_by_tag(CCE_CLUSTER, "nodepool-owner-uid", uid)
            .await
            .unwrap(),
        None
    );

    let ack = h.alibaba();
    let mut body = ack_body("web", "ecs.g7.large", 0);
    body["scaling_group"]["tags"] = json!([
        {"key": "cloud.nodepool.dev/owner-uid", "value": uid},
        {"key": "cloud.nodepool.dev/owner", "value": "default/web"}
    ]);
    let created = ack.create(ACK_CLUSTER, &body).await.expect("create");
    let found = ack
        .find_by_tag(ACK_CLUSTER, "cloud.nodepool.dev/owner-uid", uid)
        .await
        .unwrap()
        .expect("found by its owner tag");
    assert_eq!(found.id, created.id);
    let mut bad = ack_body("bad", "ecs.g7.large", 0);
    bad["scaling_group"]["tags"] = json!([{"key": "acs:owner", "value": "x"}]);
    let err = ack.create(ACK_CLUSTER, &bad).await.unwrap_err();
    assert_eq!(
        api_status_code(&err),
        (400, Some("InvalidParameter")),
        "{err}"
    );
    ack.update(
        ACK_CLUSTER,
        &created.id,
        &PoolUpdate {
            body: json!({"scaling_group": {"tags": []}}),
            node_count: None,
        },
    )
    .await
    .expect("update");
    assert_eq!(
        ack.find_by_tag(ACK_CLUSTER, "cloud.nodepool.dev/owner-uid", uid)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn a_lost_create_answer_is_a_transport_error_and_the_pool_shows_up_late() {
    let h = start().await;
    h.faults(json!({"lose_create_answers": 2, "late_visibility_ms": 700}))
        .await;
    let cce = h.huawei();
    let ack = h.alibaba();
    let t0 = Instant::now();

    let mut body = cce_body("late", "c7.large.2", 0);
    body["spec"]["nodeTemplate"]["userTags"] =
        json!([{"key": "nodepool-owner-uid", "value": "u1"}]);
    let err = cce.create(CCE_CLUSTER, &body).await.unwrap_err();
    assert!(matches!(err, CloudError::Transport { .. }), "{err}");
    assert_eq!(err.kind(), ErrorKind::Transient, "{err}");
    // Not visible yet; a second create of the same name meets the hidden pool.
    assert_eq!(cce.list(CCE_CLUSTER).await.unwrap(), Vec::new());
    let dup = cce.create(CCE_CLUSTER, &body).await.unwrap_err();
    assert_eq!(api_status_code(&dup), (409, Some("CCE.01409001")), "{dup}");

    let mut body = ack_body("late", "ecs.g7.large", 0);
    body["scaling_group"]["tags"] = json!([{"key": "cloud.nodepool.dev/owner-uid", "value": "u2"}]);
    let err = ack.create(ACK_CLUSTER, &body).await.unwrap_err();
    assert!(matches!(err, CloudError::Transport { .. }), "{err}");
    assert_eq!(ack.list(ACK_CLUSTER).await.unwrap(), Vec::new());
    assert_eq!(h.count("huawei", "CreateNodePool", "lost_answer").await, 1);
    assert_eq!(
        h.count("alibaba", "CreateClusterNodePool", "lost_answer")
            .await,
        1
    );

    // Found by its owner tag once visible.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (hw, ali) = loop {
        let hw = cce
            .find_by_tag(CCE_CLUSTER, "nodepool-owner-uid", "u1")
            .await
            .unwrap();
        let ali = ack
            .find_by_tag(ACK_CLUSTER, "cloud.nodepool.dev/owner-uid", "u2")
            .await
            .unwrap();
        if let (Some(hw), Some(ali)) = (hw, ali) {
            break (hw, ali);
        }
        assert!(Instant::now() < deadline, "the late pools never showed up");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(
        t0.elapsed() >= Duration::from_millis(650),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(hw.name, "late");
    assert_eq!(ali.name, "late");
    assert_eq!(cce.get(CCE_CLUSTER, &hw.id).await.unwrap().id, hw.id);
    assert_eq!(ack.get(ACK_CLUSTER, &ali.id).await.unwrap().id, ali.id);
}

#[tokio::test]
async fn sold_out_pools_recover_through_the_clients() {
    let h = start().await;
    h.faults(json!({"alibaba_sold_out_instance_types": ["ecs.sold"]}))
        .await;

    // ACK: a new instance type in stock lets the pool reach its target.
    let ack = h.alibaba();
    let id = ack
        .create(ACK_CLUSTER, &ack_body("s", "ecs.sold", 2))
        .await
        .expect("create")
        .id;
    let seen = poll_until(&ack, ACK_CLUSTER, &id, |p| p.nodes.failed == Some(2)).await;
    assert_eq!(
        derive(Cloud::Alibaba, seen.last().unwrap()),
        Phase::SoldOut,
        "{:?}",
        seen.last()
    );
    ack.update(
        ACK_CLUSTER,
        &id,
        &PoolUpdate {
            body: json!({"scaling_group": {"instance_types": ["ecs.g7.large"]}}),
            node_count: None,
        },
    )
    .await
    .expect("update");
    let seen = poll_until(&ack, ACK_CLUSTER, &id, |p| {
        p.cloud_phase == "active" && p.nodes.current == Some(2)
    })
    .await;
    let last = seen.last().unwrap();
    assert_eq!(last.nodes.failed, Some(0));
    assert_eq!(derive(Cloud::Alibaba, last), Phase::Synchronized);

    // CCE: lowering the target to the nodes the pool has ends SoldOut.
    let cce = h.huawei();
    let id = cce
        .create(CCE_CLUSTER, &cce_body("p", "c7.large.2", 1))
        .await
        .expect("create")
        .id;
    poll_until(&cce, CCE_CLUSTER, &id, |p| {
        p.cloud_phase.is_empty() && p.nodes.current == Some(1)
    })
    .await;
    h.faults(json!({"huawei_sold_out_flavors": ["c7.large.2"]}))
        .await;
    cce.update(
        CCE_CLUSTER,
        &id,
        &PoolUpdate {
            body: json!({}),
            node_count: Some(3),
        },
    )
    .await
    .expect("update to 3");
    let sold = cce.get(CCE_CLUSTER, &id).await.unwrap();
    assert_eq!(sold.cloud_phase, "SoldOut", "{sold:?}");
    assert_eq!(derive(Cloud::Huawei, &sold), Phase::SoldOut);
    cce.update(
        CCE_CLUSTER,
        &id,
        &PoolUpdate {
            body: json!({}),
            node_count: Some(1),
        },
    )
    .await
    .expect("update to 1");
    let back = cce.get(CCE_CLUSTER, &id).await.unwrap();
    assert_eq!(back.cloud_phase, "", "{back:?}");
    assert_eq!(back.nodes.current, Some(1));
    assert_eq!(back.conditions, Vec::<PoolCondition>::new());
}
