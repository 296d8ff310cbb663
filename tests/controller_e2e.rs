//! The controller end to end: the real local control plane, the cloud simulator, and the
//! `nodepool-controller` binary, each test in a namespace of its own with a controller scoped to
//! it. Cloud state is read back through the project's own cloud clients.

mod common;

use common::e2e::*;

use std::time::Duration;

use kube::api::{Api, DeleteParams, Patch, PatchParams};
use nodepool_controller::cloud::Owner;
use nodepool_controller::crd::{NodePool, OWNER_TAG};
use serde_json::json;

#[tokio::test]
async fn huawei_pool_is_created_updated_and_deleted() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-hw").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
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
    let _controller = Ctl::new(&ns.name, &sim).start();
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
    let _controller = Ctl::new(&ns.name, &sim).start();
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
    // The first attempt's create bodies, owner marks included, as the controller sends them.
    for (np, provider, cluster) in [(&hw, &cce, HW_CLUSTER), (&ali, &ack, ALI_CLUSTER)] {
        let owner = Owner {
            uid: np.metadata.uid.as_deref().expect("uid"),
            namespace: &ns.name,
            name: np.metadata.name.as_deref().expect("name"),
        };
        let body = np
            .spec
            .cloud_spec()
            .expect("a cloud")
            .section()
            .create(owner);
        provider
            .create(cluster, &body)
            .await
            .expect("the first attempt's create");
    }
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
    let _controller = Ctl::new(&ns.name, &sim).start();
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

    let _controller = Ctl::new(&ns.name, &sim).start();
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

fn leader_ctl<'a>(ns: &'a str, sim: &'a str, elect: &[&str]) -> Ctl<'a> {
    let mut ctl = Ctl::new(ns, sim);
    ctl.extra = elect.iter().map(|s| s.to_string()).collect();
    ctl
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
        leader_ctl(&ns.name, &sim, &elect).start(),
        leader_ctl(&ns.name, &sim, &elect).start(),
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

/// A kubeconfig for the local control plane that authenticates as `token`.
fn kubeconfig_with_token(token: &str, path: &std::path::Path) {
    let admin =
        kube::config::Kubeconfig::read_from(common::kubeconfig_path()).expect("admin kubeconfig");
    let mut kc = admin.clone();
    for named in &mut kc.auth_infos {
        named.auth_info = Some(kube::config::AuthInfo {
            token: Some(token.to_string().into()),
            ..kube::config::AuthInfo::default()
        });
    }
    let yaml = serde_yaml::to_string(&kc).expect("kubeconfig YAML");
    std::fs::write(path, yaml).expect("write kubeconfig");
}

/// The controller runs under a token of the ServiceAccount in `deploy/base`, bound to exactly the
/// shipped RBAC: a verb missing from `deploy/base/rbac.yaml` fails this test.
#[tokio::test]
async fn the_shipped_rbac_is_all_the_controller_needs() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-rbac").await;
    let out = common::kubectl()
        .args([
            "apply",
            "-k",
            concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/base"),
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "apply deploy/base: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::kubectl()
        .args([
            "-n",
            "nodepool-system",
            "create",
            "token",
            "nodepool-controller",
            "--duration=1h",
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "create token: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("token")
        .trim()
        .to_string();
    let dir = std::env::temp_dir().join(common::unique("rbac"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("controller.kubeconfig");
    kubeconfig_with_token(&token, &kubeconfig);

    // The ServiceAccount really is confined: it cannot, for example, delete NodePools.
    let can = common::kubectl()
        .args([
            "--token",
            &token,
            "auth",
            "can-i",
            "delete",
            "nodepools.cloud.nodepool.dev",
            "-n",
            &ns.name,
        ])
        .output()
        .expect("kubectl runs");
    assert_eq!(String::from_utf8_lossy(&can.stdout).trim(), "no");

    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let lease = common::unique("rbac-lease");
    let mut ctl = Ctl::new(&ns.name, &sim);
    ctl.kubeconfig = Some(&kubeconfig);
    ctl.extra = [
        "--leader-elect",
        "--leader-election-namespace",
        "nodepool-system",
        "--lease-name",
        &lease,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let _controller = ctl.start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);

    create(&api, alibaba_pool("rbac", 1)).await;
    let np = wait_for(&api, "rbac", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await
    .expect("present");
    assert!(
        np.metadata
            .finalizers
            .as_ref()
            .is_some_and(|f| !f.is_empty()),
        "finalizer patched"
    );
    let events = events_for(&client, &ns.name, "rbac").await;
    assert!(
        reasons(&events).contains(&"Created".to_string()),
        "Events created: {:?}",
        reasons(&events)
    );
    api.delete("rbac", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(&api, "rbac", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    ns.delete().await;
}

/// Deleting a NodePool whose credentials are gone does not hang silently: the condition says
/// what blocks it and how to release it, and switching to `Orphan` does.
#[tokio::test]
async fn a_delete_blocked_by_missing_credentials_says_how_to_release_it() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "e2e-stuck").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);

    create(&api, huawei_pool("stuck", 1)).await;
    // `kubectl wait` works on the Ready condition, as GitOps tools and scripts use it.
    let out = common::kubectl()
        .args([
            "-n",
            &ns.name,
            "wait",
            "--for=condition=Ready",
            "nodepool/stuck",
            "--timeout=60s",
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl wait: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = api
        .get("stuck")
        .await
        .expect("get")
        .status
        .and_then(|s| s.id)
        .expect("id");

    // The Secret is kept while the NodePool needs it (its finalizer); its deletion waits.
    // Removing that finalizer by hand (what `kubectl patch` of an impatient user does) makes
    // it really gone.
    let secrets = Api::<k8s_openapi::api::core::v1::Secret>::namespaced(client.clone(), &ns.name);
    let has_finalizer = |s: &k8s_openapi::api::core::v1::Secret| {
        s.metadata.finalizers.as_ref().is_some_and(|f| {
            f.iter()
                .any(|f| f == nodepool_controller::credentials::SECRET_FINALIZER)
        })
    };
    let start = std::time::Instant::now();
    while !has_finalizer(&secrets.get("huawei-credentials").await.expect("get")) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the Secret is not kept"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    secrets
        .delete("huawei-credentials", &DeleteParams::default())
        .await
        .expect("delete the Secret");
    let kept = secrets
        .get("huawei-credentials")
        .await
        .expect("the Secret is still there");
    assert!(kept.metadata.deletion_timestamp.is_some());
    assert!(
        has_finalizer(&kept),
        "kept by the controller: {:?}",
        kept.metadata.finalizers
    );
    secrets
        .patch(
            "huawei-credentials",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .expect("remove the finalizer by hand");
    api.delete("stuck", &DeleteParams::default())
        .await
        .expect("delete");
    // (The Secret's removal alone already stalls the NodePool; the deletion adds the way out.)
    let np = wait_for(&api, "stuck", "blocked", Duration::from_secs(30), |n| {
        n.and_then(|n| condition(n, "Stalled")).is_some_and(|c| {
            c.status == "True"
                && c.reason == "CredentialsSecretMissing"
                && c.message.contains("deletionPolicy: Orphan")
        })
    })
    .await
    .expect("still there");
    let message = &condition(&np, "Stalled").expect("Stalled").message;
    assert!(message.contains("deletionPolicy: Orphan"), "{message}");
    assert!(np.metadata.deletion_timestamp.is_some());

    api.patch(
        "stuck",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"deletionPolicy": "Orphan"}})),
    )
    .await
    .expect("switch to Orphan");
    wait_for(&api, "stuck", "gone", Duration::from_secs(30), |n| {
        n.is_none()
    })
    .await;
    // Orphaned: the cloud pool is still there.
    huawei_client(&sim)
        .get(HW_CLUSTER, &id)
        .await
        .expect("the pool stays");
    ns.delete().await;
}
