//! Ownership, adversarially: what other tools, other teams and the cloud console do to the pools
//! of a cluster, with the real local control plane, the cloud simulator and the controller
//! binary. Every test asserts at the cloud side (pools counted, owner marks and specs read back
//! through the project's clients and the simulator's counters), for both clouds.

mod common;

use common::e2e::*;

use std::time::Duration;

use kube::api::{Api, DeleteParams, Patch, PatchParams};
use nodepool_controller::cloud::{CloudPool, NodePoolProvider, PoolUpdate};
use nodepool_controller::crd::NodePool;
use serde_json::json;

/// A pool of `name` made outside the controller (the console, Terraform, a script) through the
/// cloud's official SDK (`tests/sdk/foreign_pool.py`): no owner mark. Returns its ID.
fn foreign_pool(sim: &str, cloud: &str, name: &str, count: u32) -> String {
    let python = std::env::var("NODEPOOL_SDK_PYTHON").unwrap_or_else(|_| {
        panic!(
            "NODEPOOL_SDK_PYTHON is not set: this test makes foreign pools with the official cloud \
             SDKs; run it through scripts/test.sh (it exports the SDK virtualenv's python)"
        )
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/sdk/foreign_pool.py");
    let out = std::process::Command::new(python)
        .args([script, sim, cloud, name, &count.to_string()])
        .env("CLOUDSIM_HW_AK", HW_AK)
        .env("CLOUDSIM_HW_SK", HW_SK)
        .env("CLOUDSIM_HW_PROJECT", PROJECT)
        .env("CLOUDSIM_HW_CLUSTER", HW_CLUSTER)
        .env("CLOUDSIM_ALI_AK", ALI_AK)
        .env("CLOUDSIM_ALI_SK", ALI_SK)
        .env("CLOUDSIM_ALI_CLUSTER", ALI_CLUSTER)
        .output()
        .expect("the SDK script runs");
    assert!(
        out.status.success(),
        "foreign_pool.py {cloud} {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

async fn set_paused(api: &Api<NodePool>, name: &str, paused: bool) {
    let value = if paused { json!("true") } else { json!(null) };
    api.patch(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cloud.nodepool.dev/paused": value}}})),
    )
    .await
    .expect("annotate");
}

fn stalled_reason(np: Option<&NodePool>) -> Option<String> {
    np.and_then(|n| condition(n, "Stalled"))
        .filter(|c| c.status == "True")
        .map(|c| c.reason.clone())
}

async fn wait_stalled(api: &Api<NodePool>, name: &str, reason: &str) -> NodePool {
    wait_for(api, name, reason, Duration::from_secs(30), |n| {
        stalled_reason(n).as_deref() == Some(reason)
    })
    .await
    .expect("present")
}

async fn wait_gone(api: &Api<NodePool>, name: &str) {
    wait_for(api, name, "gone", Duration::from_secs(60), |n| n.is_none()).await;
}

#[tokio::test]
async fn a_foreign_pool_of_the_same_name_is_never_adopted_changed_or_deleted() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-foreign").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);
    // The first create fails (the cluster's pool quota is full), so the NodePool has tried and
    // failed before the foreign pool appears.
    sim_put_faults(&sim, json!({"max_pools_per_cluster": 0})).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let cases = [
        (
            "samename",
            huawei_pool("samename", 1),
            cce.clone(),
            HW_CLUSTER,
        ),
        (
            "samename-ack",
            alibaba_pool("samename-ack", 1),
            ack.clone(),
            ALI_CLUSTER,
        ),
    ];
    for (name, manifest, _, _) in &cases {
        create(&api, manifest.clone()).await;
        wait_for(
            &api,
            name,
            "a failed first create",
            Duration::from_secs(30),
            |n| {
                n.and_then(|n| condition(n, "Synced"))
                    .is_some_and(|c| c.status == "False")
            },
        )
        .await;
    }
    // Held still (paused) while the quota is lifted and the foreign pools appear, so that the
    // NodePools' next attempt meets them.
    for (name, _, _, _) in &cases {
        set_paused(&api, name, true).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim_put_faults(&sim, json!({})).await;
    for (name, manifest, _, _) in &cases {
        let cloud = if manifest["spec"].get("huawei").is_some() {
            "huawei"
        } else {
            "alibaba"
        };
        let id = foreign_pool(&sim, cloud, name, 1);
        assert!(!id.is_empty(), "{name}: the SDK made a pool");
    }
    for (name, _, _, _) in &cases {
        set_paused(&api, name, false).await;
    }
    for (name, _, provider, cluster) in &cases {
        let np = wait_stalled(&api, name, "NameTaken").await;
        let msg = &condition(&np, "Stalled").expect("Stalled").message;
        let pools = pools_named(provider.as_ref(), cluster, name).await;
        assert_eq!(pools.len(), 1, "{name}: only the foreign pool exists");
        assert!(msg.contains(&pools[0].id), "{name}: names the pool: {msg}");
        assert!(msg.contains("made outside this controller"), "{msg}");
        assert_eq!(pools[0].owner, None, "{name}: the foreign pool got no mark");
        assert_eq!(np.status.as_ref().and_then(|s| s.id.clone()), None);
    }
    // Nothing was sent to the foreign pools, and deleting the NodePools leaves them.
    for cloud in ["huawei", "alibaba"] {
        assert_eq!(
            sim_count(&sim, cloud, |op, o| o == "ok"
                && matches!(
                    op,
                    "UpdateNodePool"
                        | "DeleteNodePool"
                        | "ModifyClusterNodePool"
                        | "DeleteClusterNodepool"
                ))
            .await,
            0,
            "{cloud}"
        );
    }
    for (name, _, provider, cluster) in &cases {
        api.delete(name, &DeleteParams::default())
            .await
            .expect("delete");
        wait_gone(&api, name).await;
        let pools = pools_named(provider.as_ref(), cluster, name).await;
        assert_eq!(pools.len(), 1, "{name}: the foreign pool stays");
        assert_ne!(pools[0].cloud_phase, "Deleting", "{name}");
    }
    ns.delete().await;
}

#[tokio::test]
async fn a_foreign_pool_made_before_the_nodepool_is_never_taken() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-early").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let early = foreign_pool(&sim, "huawei", "early", 2);
    let early_ack = foreign_pool(&sim, "alibaba", "early-ack", 2);
    let _controller = Ctl::new(&ns.name, &sim).start();
    create(&api, huawei_pool("early", 1)).await;
    create(&api, alibaba_pool("early-ack", 1)).await;
    for (name, id) in [("early", &early), ("early-ack", &early_ack)] {
        let np = wait_stalled(&api, name, "NameTaken").await;
        let msg = &condition(&np, "Stalled").expect("Stalled").message;
        assert!(msg.contains(id.as_str()), "{msg}");
    }
    for cloud in ["huawei", "alibaba"] {
        assert_eq!(
            sim_count(&sim, cloud, |op, _| matches!(
                op,
                "CreateNodePool"
                    | "CreateClusterNodePool"
                    | "UpdateNodePool"
                    | "ModifyClusterNodePool"
            ))
            .await,
            1,
            "{cloud}: only the foreign create and no update: nothing from the controller"
        );
    }
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);
    assert_eq!(
        one_pool(cce.as_ref(), HW_CLUSTER, "early")
            .await
            .nodes
            .desired,
        Some(2)
    );
    assert_eq!(
        one_pool(ack.as_ref(), ALI_CLUSTER, "early-ack")
            .await
            .nodes
            .desired,
        Some(2)
    );
    ns.delete().await;
}

#[tokio::test]
async fn an_adopt_annotation_cannot_take_another_teams_pool() {
    let client = common::client().await;
    let team_a = common::TestNamespace::new(&client, "own-team-a").await;
    let team_b = common::TestNamespace::new(&client, "own-team-b").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &team_a.name).await;
    create_secrets(&client, &team_b.name).await;
    let _a = Ctl::new(&team_a.name, &sim).start();
    let _b = Ctl::new(&team_b.name, &sim).start();
    let api_a: Api<NodePool> = Api::namespaced(client.clone(), &team_a.name);
    let api_b: Api<NodePool> = Api::namespaced(client.clone(), &team_b.name);
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);
    let mut ids = Vec::new();
    for manifest in [huawei_pool("web", 2), alibaba_pool("web-ack", 2)] {
        let name = manifest["metadata"]["name"]
            .as_str()
            .expect("name")
            .to_string();
        create(&api_a, manifest).await;
        let np = wait_ready(&api_a, &name, 1).await;
        ids.push(np.status.and_then(|s| s.id).expect("an ID"));
    }
    // Team B points NodePools (of other names) at team A's pools.
    for (i, mut manifest) in [huawei_pool("thief", 5), alibaba_pool("thief-ack", 5)]
        .into_iter()
        .enumerate()
    {
        manifest["metadata"]["annotations"] = json!({"cloud.nodepool.dev/adopt-id": ids[i]});
        if i == 0 {
            manifest["spec"]["huawei"]["name"] = json!("web");
        }
        let name = manifest["metadata"]["name"]
            .as_str()
            .expect("name")
            .to_string();
        create(&api_b, manifest).await;
        let np = wait_stalled(&api_b, &name, "OwnedByOther").await;
        let msg = &condition(&np, "Stalled").expect("Stalled").message;
        assert!(msg.contains(&ids[i]), "{msg}");
        api_b
            .delete(&name, &DeleteParams::default())
            .await
            .expect("delete");
        wait_gone(&api_b, &name).await;
    }
    // Team A's pools are untouched: same count, still marked for team A, still there.
    for (provider, cluster, name) in [
        (cce.as_ref(), HW_CLUSTER, "web"),
        (ack.as_ref(), ALI_CLUSTER, "web-ack"),
    ] {
        let pool = one_pool(provider, cluster, name).await;
        assert_eq!(pool.nodes.desired, Some(2), "{name}");
        let a = api_a.get(name).await.expect("team A's NodePool");
        assert_eq!(
            pool.owner.as_ref().map(|o| o.uid.as_str()),
            a.metadata.uid.as_deref(),
            "{name}"
        );
        assert_ne!(pool.cloud_phase, "Deleting", "{name}");
    }
    team_a.delete().await;
    team_b.delete().await;
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_and_whose_pool_appears_late_makes_one_pool() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-lost").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    sim_put_faults(
        &sim,
        json!({"lose_create_answers": 2, "late_visibility_ms": 1500}),
    )
    .await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("lost", 1)).await;
    create(&api, alibaba_pool("lost-ack", 1)).await;
    for (name, provider, cluster) in [
        ("lost", huawei_client(&sim), HW_CLUSTER),
        ("lost-ack", alibaba_client(&sim), ALI_CLUSTER),
    ] {
        let np = wait_ready(&api, name, 1).await;
        let pools = pools_named(provider.as_ref(), cluster, name).await;
        assert_eq!(pools.len(), 1, "{name}: exactly one pool");
        assert_eq!(
            pools[0].owner.as_ref().map(|o| o.uid.clone()),
            np.metadata.uid.clone(),
            "{name}: found by its mark"
        );
        assert_eq!(np.status.and_then(|s| s.id), Some(pools[0].id.clone()));
        wait_event(&client, &ns.name, name, "Recovered").await;
    }
    assert_eq!(
        sim_get(&sim, "faults").await["lose_create_answers"],
        json!(0),
        "both answers were lost"
    );
    ns.delete().await;
}

async fn behind_the_back(provider: &dyn NodePoolProvider, cluster: &str, pool: &CloudPool) {
    let body = if cluster == HW_CLUSTER {
        json!({"metadata": {"name": pool.name}, "spec": {"nodeTemplate": {
            "k8sTags": {"team": "someone-else"},
            "taints": [{"key": "console", "value": "x", "effect": "NoSchedule"}]
        }}})
    } else {
        json!({"kubernetes_config": {
            "labels": [{"key": "team", "value": "someone-else"}],
            "taints": [{"key": "console", "value": "x", "effect": "NoSchedule"}]
        }})
    };
    provider
        .update(
            cluster,
            &pool.id,
            &PoolUpdate {
                body,
                node_count: Some(3),
            },
        )
        .await
        .expect("a change at the console");
}

#[tokio::test]
async fn changes_behind_the_controllers_back_are_corrected_or_reported() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-drift").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.resync = "1";
    let _controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let mut hw = huawei_pool("drift", 1);
    hw["spec"]["huawei"]["nodeTemplate"]["k8sTags"] = json!({"team": "web"});
    let mut ack = alibaba_pool("drift-ack", 1);
    ack["spec"]["alibaba"]["kubernetesConfig"]["labels"] = json!([{"key": "team", "value": "web"}]);
    let mut reported = huawei_pool("drift-report", 1);
    reported["spec"]["driftPolicy"] = json!("Report");
    for m in [hw, ack, reported] {
        create(&api, m).await;
    }
    let cce = huawei_client(&sim);
    let alic = alibaba_client(&sim);
    for (name, provider, cluster) in [
        ("drift", &cce, HW_CLUSTER),
        ("drift-ack", &alic, ALI_CLUSTER),
        ("drift-report", &cce, HW_CLUSTER),
    ] {
        wait_ready(&api, name, 1).await;
        let pool = one_pool(provider.as_ref(), cluster, name).await;
        behind_the_back(provider.as_ref(), cluster, &pool).await;
    }
    // Corrected: the count, the labels and the taints go back to the spec.
    for (name, provider, cluster) in [
        ("drift", &cce, HW_CLUSTER),
        ("drift-ack", &alic, ALI_CLUSTER),
    ] {
        let mut pool = one_pool(provider.as_ref(), cluster, name).await;
        for _ in 0..150 {
            if pool.nodes.desired == Some(1)
                && pool.managed.labels.get("team").map(String::as_str) == Some("web")
                && pool.managed.taints.is_empty()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            pool = one_pool(provider.as_ref(), cluster, name).await;
        }
        assert_eq!(pool.nodes.desired, Some(1), "{name}: {:?}", pool.managed);
        assert_eq!(
            pool.managed.labels.get("team").map(String::as_str),
            Some("web")
        );
        assert!(pool.managed.taints.is_empty(), "{name}: {:?}", pool.managed);
        let ev = wait_event(&client, &ns.name, name, "DriftDetected").await;
        let note = ev.note.unwrap_or_default();
        assert!(
            note.contains("nodeCount") && note.contains("labels"),
            "{note}"
        );
        wait_ready(&api, name, 1).await;
    }
    // Reported only: the cloud keeps the change; the condition and an Event say so.
    let np = wait_for(
        &api,
        "drift-report",
        "Drifted",
        Duration::from_secs(30),
        |n| {
            n.and_then(|n| condition(n, "Drifted"))
                .is_some_and(|c| c.status == "True" && c.reason == "DriftReported")
        },
    )
    .await
    .expect("present");
    let msg = &condition(&np, "Drifted").expect("Drifted").message;
    assert!(msg.contains("nodeCount"), "{msg}");
    wait_event(&client, &ns.name, "drift-report", "DriftDetected").await;
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "drift-report").await;
    assert_eq!(pool.nodes.desired, Some(3), "left as changed");

    // Removing labels from the spec removes them at the cloud.
    let g = patch_spec(
        &api,
        "drift",
        json!({"spec": {"huawei": {"nodeTemplate": {"k8sTags": null}}}}),
    )
    .await;
    let g_ack = patch_spec(
        &api,
        "drift-ack",
        json!({"spec": {"alibaba": {"kubernetesConfig": {"labels": null}}}}),
    )
    .await;
    wait_ready(&api, "drift", g).await;
    wait_ready(&api, "drift-ack", g_ack).await;
    for (name, provider, cluster) in [
        ("drift", &cce, HW_CLUSTER),
        ("drift-ack", &alic, ALI_CLUSTER),
    ] {
        let pool = one_pool(provider.as_ref(), cluster, name).await;
        assert!(
            pool.managed.labels.is_empty(),
            "{name}: {:?}",
            pool.managed.labels
        );
    }
    // In line again: no more updates, however often the pools are read (resync 1 s), so the
    // comparison has no false positives (labels, taints, tags the clouds add themselves).
    let updates = || async {
        sim_count(&sim, "huawei", |op, _| op == "UpdateNodePool").await
            + sim_count(&sim, "alibaba", |op, _| op == "ModifyClusterNodePool").await
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let settled = updates().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(updates().await, settled, "no update while nothing drifts");
    ns.delete().await;
}

#[tokio::test]
async fn a_sold_out_pool_is_repaired_from_its_spec() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-soldout").await;
    let (_sim, sim) = start_sim();
    sim_put_faults(
        &sim,
        json!({"huawei_sold_out_flavors": [FLAVOR], "alibaba_sold_out_instance_types": [INSTANCE_TYPE]}),
    )
    .await;
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("hw-repair", 2)).await;
    create(&api, alibaba_pool("ack-repair", 2)).await;
    for name in ["hw-repair", "ack-repair"] {
        wait_for(&api, name, "SoldOut", Duration::from_secs(30), |n| {
            n.and_then(|n| n.status.as_ref()?.phase.as_deref()) == Some("SoldOut")
        })
        .await;
    }
    // CCE cannot change the flavor of a pool: the node count is lowered to what is there.
    let g = patch_spec(
        &api,
        "hw-repair",
        json!({"spec": {"huawei": {"initialNodeCount": 0}}}),
    )
    .await;
    // ACK can change the instance types in place.
    let g_ack = patch_spec(
        &api,
        "ack-repair",
        json!({"spec": {"alibaba": {"scalingGroup": {"instanceTypes": ["ecs.g7.2xlarge"]}}}}),
    )
    .await;
    wait_ready(&api, "hw-repair", g).await;
    let np = wait_ready(&api, "ack-repair", g_ack).await;
    assert_eq!(np.status.and_then(|s| s.current_node_count), Some(2));
    let pool = one_pool(alibaba_client(&sim).as_ref(), ALI_CLUSTER, "ack-repair").await;
    assert_eq!(pool.nodes.current, Some(2));
    assert_eq!(
        pool.spec["scaling_group"]["instance_types"],
        json!(["ecs.g7.2xlarge"])
    );
    let pool = one_pool(huawei_client(&sim).as_ref(), HW_CLUSTER, "hw-repair").await;
    assert_eq!(pool.nodes.desired, Some(0));
    ns.delete().await;
}

#[tokio::test]
async fn a_paused_nodepool_is_not_deleted_at_the_cloud_until_unpaused() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-paused").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    create(&api, huawei_pool("held", 1)).await;
    wait_ready(&api, "held", 1).await;
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cloud.nodepool.dev/paused": "true"}}})),
    )
    .await
    .expect("pause");
    api.delete("held", &DeleteParams::default())
        .await
        .expect("delete");
    let np = wait_stalled(&api, "held", "PausedDeletion").await;
    assert!(np.metadata.deletion_timestamp.is_some());
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        sim_count(&sim, "huawei", |op, _| op == "DeleteNodePool").await,
        0,
        "no delete call while paused"
    );
    assert_eq!(
        pools_named(huawei_client(&sim).as_ref(), HW_CLUSTER, "held")
            .await
            .len(),
        1
    );
    api.patch(
        "held",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"cloud.nodepool.dev/paused": null}}})),
    )
    .await
    .expect("unpause");
    wait_gone(&api, "held").await;
    assert!(
        pools_named(huawei_client(&sim).as_ref(), HW_CLUSTER, "held")
            .await
            .is_empty()
    );
    ns.delete().await;
}

#[tokio::test]
async fn a_read_only_nodepool_mirrors_a_pool_and_never_changes_or_deletes_it() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-readonly").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let id = foreign_pool(&sim, "huawei", "tf-pool", 2);
    let id_ack = foreign_pool(&sim, "alibaba", "tf-pool-ack", 2);
    let _controller = Ctl::new(&ns.name, &sim).start();
    for (mut m, id) in [
        (huawei_pool("mirror", 5), &id),
        (alibaba_pool("mirror-ack", 5), &id_ack),
    ] {
        m["metadata"]["annotations"] = json!({
            "cloud.nodepool.dev/adopt-id": id, "cloud.nodepool.dev/read-only": "true"
        });
        create(&api, m).await;
    }
    for (name, id) in [("mirror", &id), ("mirror-ack", &id_ack)] {
        let np = wait_for(&api, name, "mirroring", Duration::from_secs(30), |n| {
            n.and_then(|n| n.status.as_ref()).is_some_and(|s| {
                s.current_node_count == Some(2) && s.id.as_deref() == Some(id.as_str())
            })
        })
        .await
        .expect("present");
        assert_eq!(
            np.status.and_then(|s| s.desired_node_count),
            Some(2),
            "{name}"
        );
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    for name in ["mirror", "mirror-ack"] {
        api.delete(name, &DeleteParams::default())
            .await
            .expect("delete");
        wait_gone(&api, name).await;
    }
    for cloud in ["huawei", "alibaba"] {
        assert_eq!(
            sim_count(&sim, cloud, |op, _| matches!(
                op,
                "UpdateNodePool"
                    | "DeleteNodePool"
                    | "ScaleNodePool"
                    | "ModifyClusterNodePool"
                    | "DeleteClusterNodepool"
            ))
            .await,
            0,
            "{cloud}: a read-only NodePool sends nothing"
        );
    }
    let cce = huawei_client(&sim);
    let pool = one_pool(cce.as_ref(), HW_CLUSTER, "tf-pool").await;
    assert_eq!(
        (pool.nodes.desired, pool.owner),
        (Some(2), None),
        "unchanged, unmarked"
    );
    let ack = alibaba_client(&sim);
    let pool = one_pool(ack.as_ref(), ALI_CLUSTER, "tf-pool-ack").await;
    assert_eq!(
        (pool.nodes.desired, pool.owner),
        (Some(2), None),
        "unchanged, unmarked"
    );
    ns.delete().await;
}

#[tokio::test]
async fn a_pool_deleted_outside_is_recreated_or_reported_and_a_missing_cluster_stalls() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-missing").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.resync = "1";
    let _controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let mut report = alibaba_pool("gone-report", 0);
    report["spec"]["whenMissing"] = json!("Report");
    for m in [huawei_pool("gone", 0), report] {
        create(&api, m).await;
    }
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);
    let first = wait_ready(&api, "gone", 1)
        .await
        .status
        .and_then(|s| s.id)
        .expect("id");
    let first_ack = wait_ready(&api, "gone-report", 1)
        .await
        .status
        .and_then(|s| s.id)
        .expect("id");
    cce.delete(HW_CLUSTER, &first)
        .await
        .expect("deleted at the console");
    ack.delete(ALI_CLUSTER, &first_ack)
        .await
        .expect("deleted at the console");
    // Recreate (the default): a new pool, with the mark, and the NodePool records it.
    let np = wait_for(&api, "gone", "a new pool", Duration::from_secs(60), |n| {
        n.and_then(|n| n.status.as_ref()?.id.as_deref())
            .is_some_and(|id| id != first)
            && ready_at(n, 1)
    })
    .await
    .expect("present");
    let pools = pools_named(cce.as_ref(), HW_CLUSTER, "gone").await;
    assert_eq!(pools.len(), 1);
    assert_eq!(Some(pools[0].id.clone()), np.status.and_then(|s| s.id));
    wait_event(&client, &ns.name, "gone", "CloudPoolMissing").await;
    // Report: stalls, nothing is created.
    wait_stalled(&api, "gone-report", "CloudPoolDeleted").await;
    assert!(
        pools_named(ack.as_ref(), ALI_CLUSTER, "gone-report")
            .await
            .is_empty()
    );
    // A cluster that does not exist is its own error, not "pool gone".
    let mut lost = huawei_pool("nocluster", 1);
    lost["spec"]["huawei"]["clusterId"] = json!("00000000-0000-0000-0000-000000000000");
    create(&api, lost).await;
    let np = wait_stalled(&api, "nocluster", "ClusterNotFound").await;
    assert!(np.status.and_then(|s| s.id).is_none());
    ns.delete().await;
}

#[tokio::test]
async fn an_ack_pool_with_nodes_is_emptied_before_its_delete_unless_forced() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-ackdel").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let mut forced = alibaba_pool("forced", 2);
    forced["spec"]["alibaba"]["forceDelete"] = json!(true);
    create(&api, forced).await;
    create(&api, alibaba_pool("drained", 2)).await;
    for name in ["forced", "drained"] {
        wait_ready(&api, name, 1).await;
    }
    let modifies = || {
        sim_count(&sim, "alibaba", |op, o| {
            op == "ModifyClusterNodePool" && o == "ok"
        })
    };
    let before = modifies().await;
    api.delete("forced", &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&api, "forced").await;
    assert_eq!(
        modifies().await,
        before,
        "forced: deleted with its nodes, no scale-in"
    );
    api.delete("drained", &DeleteParams::default())
        .await
        .expect("delete");
    wait_gone(&api, "drained").await;
    assert_eq!(
        modifies().await,
        before + 1,
        "drained: one scale to zero first"
    );
    wait_event(&client, &ns.name, "drained", "ScalingToZero").await;
    let ack = alibaba_client(&sim);
    for name in ["forced", "drained"] {
        assert!(
            pools_named(ack.as_ref(), ALI_CLUSTER, name)
                .await
                .is_empty(),
            "{name}: gone at the cloud"
        );
    }
    ns.delete().await;
}

/// What a user debugging a NodePool reads: JSON logs where the error that ended a reconcile is
/// logged once at warn with its reason, inside the reconcile's span (namespace, name, cloud,
/// cluster), and each cloud call has a span of its own (operation, attempt, outcome, status,
/// the cloud's request ID).
#[tokio::test]
async fn json_logs_carry_the_reconcile_and_cloud_call_spans() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "own-logs").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let log = std::env::temp_dir().join(format!("{}-controller.log", ns.name));
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.log = Some(&log);
    ctl.rust_log = "info,kube=warn,nodepool_controller::cloud=debug";
    ctl.extra = vec!["--log-format".into(), "json".into()];
    let controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    foreign_pool(&sim, "huawei", "logged", 1);
    create(&api, huawei_pool("logged", 1)).await;
    wait_stalled(&api, "logged", "NameTaken").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(controller);
    let text = std::fs::read_to_string(&log).expect("the controller's log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let failed: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "reconcile failed")
        .collect();
    assert!(!failed.is_empty(), "no 'reconcile failed' line in {text}");
    for l in &failed {
        assert_eq!(l["level"], "WARN", "{l}");
        assert_eq!(l["fields"]["reason"], "NameTaken", "{l}");
        let span = &l["span"];
        assert_eq!(span["name"], "reconcile", "{l}");
        assert_eq!(span["namespace"], ns.name.as_str(), "{l}");
        assert_eq!(span["cloud"], "Huawei", "{l}");
        assert_eq!(span["cluster"], HW_CLUSTER, "{l}");
    }
    let call = lines
        .iter()
        .find(|l| l["fields"]["message"] == "cloud call" && l["span"]["operation"] == "list")
        .unwrap_or_else(|| panic!("no cloud_call span in {text}"));
    assert_eq!(call["span"]["outcome"], "ok", "{call}");
    assert_eq!(call["span"]["status"], 200, "{call}");
    assert!(
        call["span"]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty()),
        "{call}"
    );
    assert_eq!(call["span"]["attempt"], 1, "{call}");
    let parents: Vec<&str> = call["spans"]
        .as_array()
        .expect("the span list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(parents, ["reconcile", "cloud_call"], "{call}");
    let _ = std::fs::remove_file(&log);
    ns.delete().await;
}
