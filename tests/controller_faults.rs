//! The controller under faults, end to end: the real local control plane, the cloud simulator
//! with injected faults (sold-out and failing flavors, throttling, refused credentials), the
//! `nodepool-controller` binary (killed with SIGKILL in one test), each test in a namespace of
//! its own with a controller scoped to it. Cloud state is read back through the project's own
//! cloud clients and the simulator's admin API.

mod common;

use common::e2e::*;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, Patch, PatchParams};
use nodepool_controller::crd::NodePool;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---------------------------------------------------------------------------------------------
// 1, 2: SoldOut and Error
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sold_out_flavors_and_instance_types_stall_the_pool_as_sold_out() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-soldout").await;
    let (_sim, sim) = start_sim();
    sim_put_faults(
        &sim,
        json!({"huawei_sold_out_flavors": [FLAVOR], "alibaba_sold_out_instance_types": [INSTANCE_TYPE]}),
    )
    .await;
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("hw-soldout", 2)).await;
    create(&api, alibaba_pool("ack-soldout", 2)).await;

    for (name, cloud_phase) in [("hw-soldout", "SoldOut"), ("ack-soldout", "active")] {
        let np = wait_for(&api, name, "SoldOut", Duration::from_secs(30), |n| {
            n.and_then(|n| n.status.as_ref()?.phase.as_deref()) == Some("SoldOut")
        })
        .await
        .expect("present");
        let status = np.status.clone().expect("status");
        assert_eq!(status.cloud_phase.as_deref(), Some(cloud_phase), "{name}");
        assert_eq!(status.current_node_count, Some(0), "{name}");
        assert_eq!(status.desired_node_count, Some(2), "{name}");
        assert_eq!(cond_status(&np, "Ready"), Some("False"), "{name}");
        assert_eq!(cond_status(&np, "Reconciling"), Some("False"), "{name}");
        let stalled = condition(&np, "Stalled").expect("Stalled");
        assert_eq!(stalled.status, "True", "{name}");
        assert_eq!(stalled.reason, "SoldOut", "{name}");
        assert!(
            stalled.message.contains("sold out"),
            "{name}: {}",
            stalled.message
        );
        let ev = wait_event(&client, &ns.name, name, "SoldOut").await;
        assert_eq!(ev.type_.as_deref(), Some("Warning"), "{name}");
    }
    assert_eq!(
        one_pool(huawei_client(&sim).as_ref(), HW_CLUSTER, "hw-soldout")
            .await
            .nodes
            .current,
        Some(0)
    );
    let ack = one_pool(alibaba_client(&sim).as_ref(), ALI_CLUSTER, "ack-soldout").await;
    assert!(
        ack.conditions
            .iter()
            .any(|c| c.reason.as_deref() == Some("OperationDenied.NoStock")),
        "the simulator reports ACK's sold-out as a condition: {:?}",
        ack.conditions
    );
    ns.delete().await;
}

#[tokio::test]
async fn failing_flavors_and_instance_types_stall_the_pool_in_error() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-error").await;
    let (_sim, sim) = start_sim();
    sim_put_faults(
        &sim,
        json!({"huawei_failing_flavors": [FLAVOR], "alibaba_failing_instance_types": [INSTANCE_TYPE]}),
    )
    .await;
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("hw-error", 1)).await;
    create(&api, alibaba_pool("ack-error", 1)).await;

    for (name, cloud_phase) in [("hw-error", "Error"), ("ack-error", "failed")] {
        let np = wait_for(&api, name, "Error", Duration::from_secs(30), |n| {
            n.and_then(|n| n.status.as_ref()?.phase.as_deref()) == Some("Error")
        })
        .await
        .expect("present");
        let status = np.status.clone().expect("status");
        assert_eq!(status.cloud_phase.as_deref(), Some(cloud_phase), "{name}");
        assert!(status.id.is_some(), "{name}");
        assert_eq!(cond_status(&np, "Ready"), Some("False"), "{name}");
        let stalled = condition(&np, "Stalled").expect("Stalled");
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            ("True", "Error"),
            "{name}"
        );
        assert!(stalled.message.contains("failed"), "{}", stalled.message);
        let ev = wait_event(&client, &ns.name, name, "Error").await;
        assert_eq!(ev.type_.as_deref(), Some("Warning"), "{name}");
    }
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 3: throttling
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_throttled_account_backs_off_and_every_pool_becomes_ready_once() {
    const POOLS: usize = 6;
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-throttle").await;
    let (_sim, sim) = start_sim();
    // A burst far below what six creates need: the account is throttled at once. Reads are
    // batched per cluster, so a mild limit would never be reached.
    sim_put_faults(
        &sim,
        json!({"accounts": {HW_AK: {"rate_limit_per_minute": 4}}}),
    )
    .await;
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let started = Instant::now();
    for i in 0..POOLS {
        create(&api, huawei_pool(&format!("busy-{i}"), 1)).await;
    }
    // Throttled for 5 s, then the cloud allows 60 requests a minute.
    tokio::time::sleep(Duration::from_secs(5)).await;
    sim_put_faults(
        &sim,
        json!({"accounts": {HW_AK: {"rate_limit_per_minute": 60}}}),
    )
    .await;
    for i in 0..POOLS {
        wait_for(
            &api,
            &format!("busy-{i}"),
            "Ready",
            Duration::from_secs(40),
            |n| ready_at(n, 1),
        )
        .await;
    }
    let took = started.elapsed();
    let throttled = sim_count(&sim, "huawei", |_, o| o == "throttled").await;
    assert!(throttled > 0, "the simulator throttled the account");
    // Let the controller run on for a few poll periods: steady pools are not polled fast.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Check the cloud with the rate limit lifted (our own reads must not be throttled).
    sim_put_faults(&sim, json!({})).await;
    let before_check = sim_count(&sim, "huawei", |_, _| true).await;
    let cce = huawei_client(&sim);
    for i in 0..POOLS {
        one_pool(cce.as_ref(), HW_CLUSTER, &format!("busy-{i}")).await;
    }
    assert_eq!(
        sim_count(&sim, "huawei", |op, o| op == "CreateNodePool" && o == "ok").await,
        POOLS as u64,
        "exactly one successful create per NodePool"
    );
    // No hot loop: the account allows 4 requests, then 60 a minute; with backoff the
    // controller stays within a small multiple of what it needs (a hot loop makes thousands).
    let elapsed_min = (took.as_secs_f64() + 3.0) / 60.0;
    let allowed = 4.0 + 60.0 + 60.0 * elapsed_min;
    eprintln!(
        "throttle: {before_check} requests ({throttled} throttled) in {:.1}s; the account allows {allowed:.0}",
        took.as_secs_f64() + 3.0
    );
    assert!(
        (before_check as f64) < 4.0 * allowed,
        "{before_check} cloud requests in {took:?}: a hot loop"
    );
    // Steady pools are not re-read fast: over 3 s nobody should poll.
    let idle_start = sim_count(&sim, "huawei", |_, _| true).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = sim_count(&sim, "huawei", |_, _| true).await - idle_start;
    assert!(
        idle <= 2,
        "{idle} cloud requests while every pool is steady"
    );
    let np = api.get("busy-0").await.expect("get");
    assert_eq!(cond_status(&np, "Synced"), Some("True"));
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 4: credentials
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bad_credentials_stall_with_a_clear_reason_and_rotation_recovers_without_leaking() {
    const WRONG_HW: &str = "WRONG-hw-secret-value-7f3a9";
    const WRONG_ALI: &str = "WRONG-ali-secret-value-4c2e1";
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-creds").await;
    let (_sim, sim) = start_sim();
    let log = std::env::temp_dir().join(format!("{}-controller.log", ns.name));
    let _ = std::fs::remove_file(&log);
    put_secret(&client, &ns.name, "hw-partial", json!({"accessKey": HW_AK})).await;
    put_secret(
        &client,
        &ns.name,
        "hw-wrong",
        json!({"accessKey": HW_AK, "secretKey": WRONG_HW}),
    )
    .await;
    put_secret(
        &client,
        &ns.name,
        "ali-wrong",
        json!({"accessKeyId": ALI_AK, "accessKeySecret": WRONG_ALI}),
    )
    .await;
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.log = Some(&log);
    // The controller's own debug logs, without the HTTP stacks' wire traces.
    ctl.rust_log =
        "debug,kube=info,tower=info,hyper=info,hyper_util=info,h2=info,rustls=info,reqwest=info";
    let _controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);

    let mut partial = huawei_pool("partial", 1);
    partial["spec"]["credentialsRef"]["name"] = json!("hw-partial");
    create(&api, partial).await;
    let mut wrong = huawei_pool("wrong", 1);
    wrong["spec"]["credentialsRef"]["name"] = json!("hw-wrong");
    create(&api, wrong).await;
    let mut ali_wrong = alibaba_pool("ali-wrong", 1);
    ali_wrong["spec"]["credentialsRef"]["name"] = json!("ali-wrong");
    create(&api, ali_wrong).await;

    // A missing key: the message names the Secret and the key.
    let np = wait_for(
        &api,
        "partial",
        "stalled on a missing key",
        Duration::from_secs(30),
        |n| stalled_with(n, "CredentialsInvalid"),
    )
    .await
    .expect("present");
    let msg = &condition(&np, "Stalled").expect("Stalled").message;
    assert!(
        msg.contains(&format!("{}/hw-partial", ns.name)) && msg.contains("secretKey"),
        "{msg}"
    );
    assert_eq!(cond_status(&np, "Ready"), Some("False"));
    assert_eq!(cond_status(&np, "Synced"), Some("False"));

    // Refused by the cloud: terminal, says so.
    for name in ["wrong", "ali-wrong"] {
        let np = wait_for(
            &api,
            name,
            "stalled on refused credentials",
            Duration::from_secs(30),
            |n| stalled_with(n, "CloudAuthFailed"),
        )
        .await
        .expect("present");
        assert_eq!(cond_status(&np, "Ready"), Some("False"), "{name}");
        assert!(np.status.as_ref().and_then(|s| s.id.as_ref()).is_none());
    }
    assert!(
        pools_named(huawei_client(&sim).as_ref(), HW_CLUSTER, "wrong")
            .await
            .is_empty()
    );
    // Terminal: no retry loop against the cloud while nothing changes.
    let refused = sim_count(&sim, "huawei", |_, o| o == "unauthorized").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        sim_count(&sim, "huawei", |_, o| o == "unauthorized").await,
        refused,
        "refused credentials are not retried until the Secret changes"
    );

    // Rotation: the same controller picks up the new values.
    put_secret(
        &client,
        &ns.name,
        "hw-partial",
        json!({"accessKey": HW_AK, "secretKey": HW_SK}),
    )
    .await;
    put_secret(
        &client,
        &ns.name,
        "hw-wrong",
        json!({"accessKey": HW_AK, "secretKey": HW_SK}),
    )
    .await;
    put_secret(
        &client,
        &ns.name,
        "ali-wrong",
        json!({"accessKeyId": ALI_AK, "accessKeySecret": ALI_SK}),
    )
    .await;
    for name in ["partial", "wrong", "ali-wrong"] {
        let np = wait_ready(&api, name, 1).await;
        assert_eq!(cond_status(&np, "Stalled"), Some("False"), "{name}");
    }

    // No secret value anywhere: status, Events, the controller's output.
    let secrets = [HW_SK, ALI_SK, WRONG_HW, WRONG_ALI];
    for name in ["partial", "wrong", "ali-wrong"] {
        let np = api.get(name).await.expect("get");
        let status = serde_json::to_string(&np.status).expect("json");
        let events =
            serde_json::to_string(&events_for(&client, &ns.name, name).await).expect("json");
        for s in secrets {
            assert!(!status.contains(s), "{name}: a secret in the status");
            assert!(!events.contains(s), "{name}: a secret in an Event");
        }
    }
    let output = std::fs::read_to_string(&log).expect("the controller's output");
    assert!(
        output.contains("CloudAuthFailed") && output.contains("CredentialsInvalid"),
        "the output was captured: {} bytes",
        output.len()
    );
    for s in secrets {
        assert!(!output.contains(s), "a secret in the controller's output");
    }
    let _ = std::fs::remove_file(&log);
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 5: updates of each mutable field
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cce_mutable_fields_reach_the_cloud_and_autoscaling_owns_the_count() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-upd-hw").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    create(&api, huawei_pool("upd", 1)).await;
    wait_ready(&api, "upd", 1).await;
    let updates_before =
        sim_count(&sim, "huawei", |op, o| op == "UpdateNodePool" && o == "ok").await;
    assert_eq!(updates_before, 0, "no update after a create");

    // Coalesced: count, taints, k8sTags, userTags in one generation.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"huawei": {"initialNodeCount": 2, "nodeTemplate": {
            "taints": [{"key": "dedicated", "value": "web", "effect": "NoSchedule"}],
            "k8sTags": {"team": "web"},
            "userTags": [{"key": "cost-center", "value": "cc-42"}]
        }}}}),
    )
    .await;
    let np = wait_for(
        &api,
        "upd",
        "Ready with 2 nodes",
        Duration::from_secs(30),
        |n| ready_at(n, g) && n.and_then(|n| n.status.as_ref()?.current_node_count) == Some(2),
    )
    .await
    .expect("present");
    assert_eq!(
        np.status.as_ref().and_then(|s| s.applied_generation),
        Some(g)
    );
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "upd").await;
    assert_eq!(pool.nodes.desired, Some(2));
    assert_eq!(pool.nodes.current, Some(2));
    let t = &pool.spec["nodeTemplate"];
    assert_eq!(
        t["taints"],
        json!([{"key": "dedicated", "value": "web", "effect": "NoSchedule"}])
    );
    assert_eq!(t["k8sTags"]["team"], "web");
    // The user's tags, and the owner mark beside them.
    assert_eq!(
        pool.managed.tags.iter().collect::<Vec<_>>(),
        vec![(&"cost-center".to_string(), &"cc-42".to_string())]
    );
    assert_eq!(
        pool.owner.as_ref().map(|o| o.uid.as_str()),
        np.metadata.uid.as_deref()
    );
    assert_eq!(t["userTags"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        sim_count(&sim, "huawei", |op, o| op == "UpdateNodePool" && o == "ok").await,
        1,
        "four changes, one call"
    );

    // One at a time: a label change alone.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"huawei": {"nodeTemplate": {"k8sTags": {"team": "api"}}}}}),
    )
    .await;
    wait_ready(&api, "upd", g).await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "upd").await;
    assert_eq!(pool.spec["nodeTemplate"]["k8sTags"]["team"], "api");
    assert_eq!(pool.nodes.desired, Some(2), "a label change does not scale");

    // Autoscaling bounds.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"huawei": {"autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 4}}}}),
    )
    .await;
    wait_ready(&api, "upd", g).await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "upd").await;
    assert_eq!(pool.spec["autoscaling"]["enable"], true);
    assert_eq!(pool.spec["autoscaling"]["minNodeCount"], 1);
    assert_eq!(pool.spec["autoscaling"]["maxNodeCount"], 4);
    assert_eq!(pool.nodes.desired, Some(2));

    // With autoscaling on, the spec's node count is not sent; the bounds still are.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"huawei": {"initialNodeCount": 3, "autoscaling": {"maxNodeCount": 5}}}}),
    )
    .await;
    wait_ready(&api, "upd", g).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "upd").await;
    assert_eq!(pool.spec["autoscaling"]["maxNodeCount"], 5);
    assert_eq!(pool.nodes.desired, Some(2), "the autoscaler owns the count");
    assert_eq!(pool.nodes.current, Some(2));
    assert_eq!(
        sim_count(&sim, "huawei", |op, _| op == "ScaleNodePool").await,
        0,
        "never a scale call"
    );
    ns.delete().await;
}

#[tokio::test]
async fn ack_mutable_fields_reach_the_cloud_and_autoscaling_owns_the_count() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-upd-ali").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let ack = alibaba_client(&sim);
    create(&api, alibaba_pool("upd", 1)).await;
    wait_ready(&api, "upd", 1).await;

    // Coalesced: desired size, labels, taints.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"alibaba": {
            "scalingGroup": {"desiredSize": 2},
            "kubernetesConfig": {
                "labels": [{"key": "team", "value": "batch"}],
                "taints": [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
            }
        }}}),
    )
    .await;
    wait_for(
        &api,
        "upd",
        "Ready with 2 nodes",
        Duration::from_secs(30),
        |n| ready_at(n, g) && n.and_then(|n| n.status.as_ref()?.current_node_count) == Some(2),
    )
    .await;
    let pool = one_pool(ack.as_ref(), ALI_CLUSTER, "upd").await;
    assert_eq!(pool.nodes.desired, Some(2));
    assert_eq!(pool.nodes.current, Some(2));
    let kc = &pool.spec["kubernetes_config"];
    assert_eq!(kc["labels"], json!([{"key": "team", "value": "batch"}]));
    assert_eq!(
        kc["taints"],
        json!([{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}])
    );
    assert_eq!(
        sim_count(&sim, "alibaba", |op, o| op == "ModifyClusterNodePool"
            && o == "ok")
        .await,
        1,
        "three changes, one call"
    );

    // Autoscaling bounds (min at the current size, so nothing moves).
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"alibaba": {"autoScaling": {"enable": true, "minInstances": 2, "maxInstances": 3}}}}),
    )
    .await;
    wait_ready(&api, "upd", g).await;
    let pool = one_pool(ack.as_ref(), ALI_CLUSTER, "upd").await;
    assert_eq!(pool.spec["auto_scaling"]["enable"], true);
    assert_eq!(pool.spec["auto_scaling"]["min_instances"], 2);
    assert_eq!(pool.spec["auto_scaling"]["max_instances"], 3);

    // With autoscaling on, desiredSize is not sent; the bounds still are.
    let g = patch_spec(
        &api,
        "upd",
        json!({"spec": {"alibaba": {"scalingGroup": {"desiredSize": 3}, "autoScaling": {"maxInstances": 4}}}}),
    )
    .await;
    wait_ready(&api, "upd", g).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pool = one_pool(ack.as_ref(), ALI_CLUSTER, "upd").await;
    assert_eq!(pool.spec["auto_scaling"]["max_instances"], 4);
    assert_eq!(pool.nodes.desired, Some(2), "the autoscaler owns the count");
    assert_eq!(pool.nodes.current, Some(2));
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 6: pause
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_paused_pool_is_not_updated_until_the_annotation_goes() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-pause").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    create(&api, huawei_pool("paused", 1)).await;
    wait_ready(&api, "paused", 1).await;

    api.patch(
        "paused",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cloud.nodepool.dev/paused": "true"}}})),
    )
    .await
    .expect("pause");
    let g = patch_spec(
        &api,
        "paused",
        json!({"spec": {"huawei": {"initialNodeCount": 2, "nodeTemplate": {"k8sTags": {"paused": "yes"}}}}}),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "paused").await;
    assert!(pool.spec["nodeTemplate"]["k8sTags"].get("paused").is_none());
    assert_eq!(pool.nodes.desired, Some(1));
    assert_eq!(
        sim_count(&sim, "huawei", |op, _| op == "UpdateNodePool").await,
        0
    );
    let np = api.get("paused").await.expect("get");
    assert_ne!(
        np.status.as_ref().and_then(|s| s.applied_generation),
        Some(g)
    );

    api.patch(
        "paused",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cloud.nodepool.dev/paused": null}}})),
    )
    .await
    .expect("unpause");
    wait_for(
        &api,
        "paused",
        "Ready with 2 nodes",
        Duration::from_secs(30),
        |n| ready_at(n, g) && n.and_then(|n| n.status.as_ref()?.current_node_count) == Some(2),
    )
    .await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "paused").await;
    assert_eq!(pool.spec["nodeTemplate"]["k8sTags"]["paused"], "yes");
    assert_eq!(pool.nodes.desired, Some(2));
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 7: a real crash between the create call and the status write
// ---------------------------------------------------------------------------------------------

/// A TCP proxy in front of the simulator that, once armed, passes create requests
/// (`POST .../nodepools`) through but never returns their answers: the cloud makes the pool, the
/// caller never hears about it. The simulator's `latency_ms` is applied before the request is
/// handled, so it cannot hold an answer back after the pool is stored; this proxy can.
struct BlackholeProxy {
    url: String,
    armed: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for BlackholeProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn blackhole_proxy(upstream: &str) -> BlackholeProxy {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let armed = Arc::new(AtomicBool::new(true));
    let armed2 = armed.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((down, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let armed = armed2.clone();
            tokio::spawn(async move {
                let Ok(up) = tokio::net::TcpStream::connect(&upstream).await else {
                    return;
                };
                let (mut dr, mut dw) = down.into_split();
                let (mut ur, mut uw) = up.into_split();
                let hole = Arc::new(AtomicBool::new(false));
                let hole2 = hole.clone();
                let to_up = tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match dr.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        let chunk = &buf[..n];
                        let first_line = chunk.split(|b| *b == b'\n').next().unwrap_or(&[]);
                        let line = String::from_utf8_lossy(first_line);
                        if armed.load(Ordering::SeqCst)
                            && line.starts_with("POST ")
                            && line.contains("/nodepools ")
                        {
                            hole2.store(true, Ordering::SeqCst);
                        }
                        if uw.write_all(chunk).await.is_err() {
                            return;
                        }
                    }
                });
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let n = match ur.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => n,
                    };
                    if hole.load(Ordering::SeqCst) {
                        continue; // swallowed: the caller waits forever
                    }
                    if dw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                to_up.abort();
            });
        }
    });
    BlackholeProxy { url, armed, task }
}

#[tokio::test]
async fn a_controller_killed_during_create_adopts_the_pool_after_restart() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-kill").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let proxy = blackhole_proxy(&sim).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);

    let mut controller = Ctl::new(&ns.name, &proxy.url).start();
    create(&api, huawei_pool("killed", 1)).await;
    create(&api, alibaba_pool("killed-ack", 1)).await;

    // Wait until the simulator has stored both pools (their answers are held by the proxy).
    let start = Instant::now();
    loop {
        let pools = sim_get(&sim, "pools").await;
        let hw = pools["huawei"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["pool"]["metadata"]["name"] == "killed");
        let ali = pools["alibaba"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["pool"]["nodepool_info"]["name"] == "killed-ack");
        if hw && ali {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the creates did not reach the simulator: {pools}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGKILL while both create calls are in flight.
    controller.0.kill().expect("SIGKILL");
    controller.0.wait().expect("reaped");
    for name in ["killed", "killed-ack"] {
        let np = api.get(name).await.expect("get");
        let status = np.status.clone().expect("the intent was recorded");
        assert!(status.create_requested_at.is_some(), "{name}");
        assert_eq!(
            status.id, None,
            "{name}: the crash came before the status write"
        );
        assert_eq!(status.phase.as_deref(), Some("Creating"), "{name}");
    }

    proxy.armed.store(false, Ordering::SeqCst);
    let _controller = Ctl::new(&ns.name, &proxy.url).start();
    for name in ["killed", "killed-ack"] {
        wait_ready(&api, name, 1).await;
        wait_event(&client, &ns.name, name, "Recovered").await;
    }
    let hw = one_pool(cce.as_ref(), HW_CLUSTER, "killed").await;
    let ali = one_pool(ack.as_ref(), ALI_CLUSTER, "killed-ack").await;
    assert_eq!(
        api.get("killed")
            .await
            .expect("get")
            .status
            .and_then(|s| s.id),
        Some(hw.id)
    );
    assert_eq!(
        api.get("killed-ack")
            .await
            .expect("get")
            .status
            .and_then(|s| s.id),
        Some(ali.id)
    );
    assert_eq!(
        sim_count(&sim, "huawei", |op, _| op == "CreateNodePool").await,
        1
    );
    assert_eq!(
        sim_count(&sim, "alibaba", |op, _| op == "CreateClusterNodePool").await,
        1
    );
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 8: Events
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_lifecycle_is_told_in_events() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-events").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("told", 1)).await;
    let np = wait_ready(&api, "told", 1).await;
    let id = np.status.and_then(|s| s.id).expect("id");
    api.delete("told", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(&api, "told", "gone", Duration::from_secs(30), |n| {
        n.is_none()
    })
    .await;

    let deleted = wait_event(&client, &ns.name, "told", "Deleted").await;
    let events = events_for(&client, &ns.name, "told").await;
    let seen = reasons(&events);
    for reason in ["Created", "Synchronized", "DeleteRequested", "Deleted"] {
        assert!(seen.iter().any(|r| r == reason), "no {reason} in {seen:?}");
    }
    for e in &events {
        assert_eq!(e.type_.as_deref(), Some("Normal"), "{:?}", e.reason);
        assert_eq!(
            e.reporting_controller.as_deref(),
            Some("nodepool-controller")
        );
        let r = e.regarding.as_ref().expect("regarding");
        assert_eq!(r.kind.as_deref(), Some("NodePool"));
    }
    let created = events
        .iter()
        .find(|e| e.reason.as_deref() == Some("Created"))
        .expect("Created");
    assert!(created.note.as_deref().unwrap_or("").contains(&id));
    assert!(deleted.note.as_deref().unwrap_or("").contains(&id));
    ns.delete().await;
}

// ---------------------------------------------------------------------------------------------
// 9: metrics and readiness
// ---------------------------------------------------------------------------------------------

/// The value of the sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l[series.len()..].trim().parse().ok())
}

#[tokio::test]
async fn metrics_and_readiness_are_served() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "flt-metrics").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let port = free_port();
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.http_addr = format!("127.0.0.1:{port}");
    let _controller = ctl.start();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "/readyz never 200"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let healthz = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), 200);

    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("measured", 1)).await;
    wait_ready(&api, "measured", 1).await;
    // The gauge is updated with the status write; give the scrape a moment.
    let start = Instant::now();
    let text = loop {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if sample(&text, r#"nodepool_nodepools{phase="Synchronized"}"#) == Some(1.0)
            || start.elapsed() > Duration::from_secs(5)
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(&text, r#"nodepool_nodepools{phase="Synchronized"}"#),
        Some(1.0),
        "{text}"
    );
    for phase in ["Creating", "Synchronizing"] {
        assert_eq!(
            sample(&text, &format!(r#"nodepool_nodepools{{phase="{phase}"}}"#)).unwrap_or(0.0),
            0.0,
            "{text}"
        );
    }
    assert!(
        sample(&text, r#"nodepool_reconcile_total{outcome="ok",reason=""}"#).unwrap_or(0.0) >= 2.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"nodepool_cloud_requests_total{cloud="huawei",operation="create",outcome="ok"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            r#"nodepool_cloud_requests_total{cloud="huawei",operation="list",outcome="ok"}"#
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("nodepool_reconcile_duration_seconds_count"),
        "{text}"
    );
    assert!(!text.contains("measured"), "no object names in labels");
    ns.delete().await;
}
