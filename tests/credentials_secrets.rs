//! Credentials Secrets end to end (real control plane, cloud simulator, controller binary):
//! only labelled Opaque Secrets are read; the Secret a NodePool with `deletionPolicy: Delete`
//! needs is kept until the NodePool is gone, so deleting a namespace deletes its cloud pools;
//! and the namespaced mode runs under Roles alone.

mod common;

use common::e2e::*;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::events::v1::Event;
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use nodepool_controller::crd::NodePool;
use nodepool_controller::credentials::SECRET_FINALIZER;
use serde_json::json;

fn has_secret_finalizer(s: &Secret) -> bool {
    s.metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == SECRET_FINALIZER))
}

/// The Events about the Secret `name`.
async fn secret_events(client: &Client, ns: &str, name: &str) -> Vec<Event> {
    Api::<Event>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("list Events")
        .items
        .into_iter()
        .filter(|e| {
            e.regarding.as_ref().is_some_and(|r| {
                r.kind.as_deref() == Some("Secret") && r.name.as_deref() == Some(name)
            })
        })
        .collect()
}

async fn wait_secret_event(client: &Client, ns: &str, name: &str, reason: &str) -> Event {
    let start = Instant::now();
    loop {
        let events = secret_events(client, ns, name).await;
        if let Some(e) = events.iter().find(|e| e.reason.as_deref() == Some(reason)) {
            return e.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Secret {ns}/{name}: no Event {reason}; seen: {:?}",
            reasons(&events)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn wait_secret(
    api: &Api<Secret>,
    name: &str,
    what: &str,
    pred: impl Fn(Option<&Secret>) -> bool,
) -> Option<Secret> {
    let start = Instant::now();
    loop {
        let s = api.get_opt(name).await.expect("get Secret");
        if pred(s.as_ref()) {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "Secret {name}: not {what}; finalizers: {:?}",
            s.and_then(|s| s.metadata.finalizers)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// No value of a test Secret in any Event or NodePool status of the namespace.
async fn assert_no_secret_values(client: &Client, ns: &str) {
    let events = Api::<Event>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("list Events");
    let text = serde_json::to_string(&events.items).expect("JSON");
    let pools = Api::<NodePool>::namespaced(client.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("list NodePools");
    let status = serde_json::to_string(
        &pools
            .items
            .iter()
            .map(|p| p.status.clone())
            .collect::<Vec<_>>(),
    )
    .expect("JSON");
    for value in [HW_SK, ALI_SK] {
        assert!(!text.contains(value), "a Secret value in an Event");
        assert!(!status.contains(value), "a Secret value in a status");
    }
}

/// A NodePool naming a ServiceAccount token Secret, or an unlabelled Secret, is Stalled with a
/// message that says what to fix, and nothing of it reaches a cloud — even though both hold
/// valid cloud keys. Labelling the Opaque one makes its NodePool Ready; labelling the token
/// Secret does not make it a credentials Secret.
#[tokio::test]
async fn secrets_that_are_not_credentials_secrets_are_refused_unread() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "cred-label").await;
    let (_sim, sim) = start_sim();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns.name);
    let out = common::kubectl()
        .args(["-n", &ns.name, "create", "serviceaccount", "robot"])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A real ServiceAccount token Secret, which also holds valid CCE keys.
    let token: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "robot-token",
                     "annotations": {"kubernetes.io/service-account.name": "robot"}},
        "stringData": {"accessKey": HW_AK, "secretKey": HW_SK}
    }))
    .expect("a Secret");
    secrets
        .create(&PostParams::default(), &token)
        .await
        .expect("create the token Secret");
    // An Opaque Secret with valid keys, without the label.
    let plain: Secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": "plain"},
        "stringData": {"accessKey": HW_AK, "secretKey": HW_SK}
    }))
    .expect("a Secret");
    secrets
        .create(&PostParams::default(), &plain)
        .await
        .expect("create the plain Secret");

    let _controller = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let mut sa = huawei_pool("uses-token", 1);
    sa["spec"]["credentialsRef"]["name"] = json!("robot-token");
    create(&api, sa).await;
    let mut unlabelled = huawei_pool("uses-plain", 1);
    unlabelled["spec"]["credentialsRef"]["name"] = json!("plain");
    create(&api, unlabelled).await;

    for (np, secret) in [("uses-token", "robot-token"), ("uses-plain", "plain")] {
        let got = wait_for(&api, np, "Stalled", Duration::from_secs(30), |n| {
            stalled_with(n, "CredentialsSecretNotLabelled")
        })
        .await
        .expect("present");
        let msg = &condition(&got, "Stalled").expect("Stalled").message;
        let fix = format!(
            "kubectl -n {} label secret {secret} cloud.nodepool.dev/credentials=true",
            ns.name
        );
        assert!(msg.contains(&fix), "{msg}");
        let ev = wait_event(&client, &ns.name, np, "CredentialsSecretNotLabelled").await;
        assert!(ev.note.as_deref().unwrap_or("").contains(&fix), "{ev:?}");
        assert!(
            got.metadata.finalizers.is_some(),
            "the NodePool is the controller's"
        );
    }

    // Labelling the token Secret does not make it credentials: its type is checked.
    secrets
        .patch(
            "robot-token",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": credentials_labels()}})),
        )
        .await
        .expect("label the token Secret");
    // (The label watch selects Opaque Secrets only, so the label does not trigger a reconcile
    // of the NodePools naming it; a NodePool created now meets it at once.)
    let mut labelled = huawei_pool("uses-labelled-token", 1);
    labelled["spec"]["credentialsRef"]["name"] = json!("robot-token");
    create(&api, labelled).await;
    let got = wait_for(
        &api,
        "uses-labelled-token",
        "Stalled (type)",
        Duration::from_secs(30),
        |n| stalled_with(n, "CredentialsSecretWrongType"),
    )
    .await
    .expect("present");
    let msg = &condition(&got, "Stalled").expect("Stalled").message;
    assert!(
        msg.contains("of type kubernetes.io/service-account-token"),
        "{msg}"
    );
    assert_eq!(
        sim_count(&sim, "huawei", |_, _| true).await,
        0,
        "no request reached the cloud with a Secret that is not a credentials Secret"
    );
    // No finalizer on a Secret that is not a credentials Secret.
    let token = secrets.get("robot-token").await.expect("get");
    assert!(!has_secret_finalizer(&token));
    let plain = secrets.get("plain").await.expect("get");
    assert!(!has_secret_finalizer(&plain));

    // The fix the message names works.
    let out = common::kubectl()
        .args([
            "-n",
            &ns.name,
            "label",
            "secret",
            "plain",
            "cloud.nodepool.dev/credentials=true",
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(&api, "uses-plain", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await;
    assert!(sim_count(&sim, "huawei", |op, _| op.contains("Create")).await >= 1);
    wait_secret(&secrets, "plain", "kept", |s| {
        s.is_some_and(has_secret_finalizer)
    })
    .await;
    assert_no_secret_values(&client, &ns.name).await;

    // The stalled NodePool is released as usual; the plain Secret's NodePool deletes its pool.
    for np in ["uses-token", "uses-labelled-token", "uses-plain"] {
        api.delete(np, &DeleteParams::default())
            .await
            .expect("delete");
    }
    for np in ["uses-token", "uses-labelled-token"] {
        let orphan = json!({"spec": {"deletionPolicy": "Orphan"}});
        api.patch(np, &PatchParams::default(), &Patch::Merge(orphan))
            .await
            .expect("Orphan");
    }
    for np in ["uses-token", "uses-labelled-token", "uses-plain"] {
        wait_for(&api, np, "gone", Duration::from_secs(60), |n| n.is_none()).await;
    }
    // Released when no NodePool needs it anymore, though the Secret itself stays.
    wait_secret(&secrets, "plain", "released", |s| {
        s.is_some_and(|s| !has_secret_finalizer(s))
    })
    .await;
    let ev = wait_secret_event(&client, &ns.name, "plain", "CredentialsReleased").await;
    assert!(
        ev.note.as_deref().unwrap_or("").contains("released"),
        "{ev:?}"
    );
    ns.delete().await;
}

/// Runs kube-controller-manager (namespace and garbage collector controllers) for the control
/// plane of the test kubeconfig, if it is not running yet.
fn ensure_kcm() {
    let kubeconfig = common::kubeconfig_path();
    let env_dir = kubeconfig
        .parent()
        .expect("the kubeconfig lives in the control plane's env dir");
    let out = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/env/kcm.sh"))
        .arg("start")
        .env("NODEPOOL_ENV_DIR", env_dir)
        .output()
        .expect("kcm.sh runs");
    assert!(
        out.status.success(),
        "kube-controller-manager did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Deleting a namespace deletes its cloud pools: the credentials Secret stays until the
/// NodePools (both clouds, `deletionPolicy: Delete`) have deleted their pools and are gone,
/// then goes last, and the namespace disappears.
#[tokio::test]
async fn deleting_a_namespace_deletes_its_pools_and_the_secret_goes_last() {
    ensure_kcm();
    let client = common::client().await;
    let ns = common::unique("cred-nsdel");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": ns}})).expect("a Namespace"),
        )
        .await
        .expect("create the namespace");
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns).await;
    let _controller = Ctl::new(&ns, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns);
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    create(&api, huawei_pool("web", 1)).await;
    create(&api, huawei_pool("batch", 1)).await;
    create(&api, alibaba_pool("ack", 1)).await;
    for np in ["web", "batch", "ack"] {
        wait_for(&api, np, "Ready", Duration::from_secs(60), |n| {
            ready_at(n, 1)
        })
        .await;
    }
    let cce = huawei_client(&sim);
    let ack = alibaba_client(&sim);
    assert_eq!(pools_named(cce.as_ref(), HW_CLUSTER, "web").await.len(), 1);
    assert_eq!(pools_named(ack.as_ref(), ALI_CLUSTER, "ack").await.len(), 1);
    for s in ["huawei-credentials", "alibaba-credentials"] {
        wait_secret(&secrets, s, "kept", |s| s.is_some_and(has_secret_finalizer)).await;
    }
    let start = Instant::now();
    loop {
        let ev = secret_events(&client, &ns, "huawei-credentials").await;
        if ev.iter().any(|e| {
            e.reason.as_deref() == Some("CredentialsInUse")
                && e.note.as_deref().unwrap_or("").contains("batch, web")
        }) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no CredentialsInUse Event naming batch, web: {:?}",
            ev.iter().map(|e| e.note.clone()).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_no_secret_values(&client, &ns).await;

    namespaces
        .delete(&ns, &DeleteParams::default())
        .await
        .expect("delete the namespace");
    // Until the namespace is gone: while any NodePool exists, both Secrets exist.
    let start = Instant::now();
    loop {
        if namespaces
            .get_opt(&ns)
            .await
            .expect("get namespace")
            .is_none()
        {
            break;
        }
        // Secrets first, NodePools after: a NodePool still there at the second read was there at
        // the first, and so must be the Secret it needs.
        let present: Vec<String> = secrets
            .list(&ListParams::default())
            .await
            .expect("list")
            .items
            .into_iter()
            .filter_map(|s| s.metadata.name)
            .collect();
        let pools = api.list(&ListParams::default()).await.expect("list");
        for p in &pools.items {
            let needs = p.spec.credentials_ref.name.clone();
            assert!(
                present.contains(&needs),
                "Secret {needs} went before NodePool {:?}; Secrets: {present:?}",
                p.metadata.name
            );
        }
        let last_nodepools: BTreeMap<_, _> = pools
            .items
            .iter()
            .map(|p| {
                (
                    p.metadata.name.clone(),
                    p.status.as_ref().and_then(|s| s.phase.clone()),
                )
            })
            .collect();
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "namespace {ns} still there after 120 s; NodePools: {last_nodepools:?}, Secrets: {present:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "namespace {ns}: gone {:.1} s after its deletion (3 NodePools, 2 Secrets)",
        start.elapsed().as_secs_f64()
    );
    // Every cloud pool is deleted at the simulator.
    for name in ["web", "batch"] {
        assert!(
            pools_named(cce.as_ref(), HW_CLUSTER, name).await.is_empty(),
            "CCE pool {name} left"
        );
    }
    assert!(
        pools_named(ack.as_ref(), ALI_CLUSTER, "ack")
            .await
            .is_empty(),
        "ACK pool left"
    );
    assert!(sim_count(&sim, "huawei", |op, _| op.contains("Delete")).await >= 2);
    assert!(sim_count(&sim, "alibaba", |op, _| op.contains("Delete")).await >= 1);
}

/// Role and RoleBinding rules of `deploy/namespaced`, as `kubectl kustomize` renders them.
fn namespaced_manifests() -> Vec<serde_json::Value> {
    let out = common::kubectl()
        .args([
            "kustomize",
            concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/namespaced"),
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("YAML");
    serde_yaml::Deserializer::from_str(&text)
        .map(|d| {
            let v: serde_yaml::Value = serde::Deserialize::deserialize(d).expect("a document");
            serde_json::to_value(v).expect("JSON")
        })
        .collect()
}

fn apply(manifest: &serde_json::Value) {
    let mut child = common::kubectl()
        .args(["apply", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    std::io::Write::write_all(
        child.stdin.as_mut().expect("stdin"),
        manifest.to_string().as_bytes(),
    )
    .expect("write the manifest");
    let out = child.wait_with_output().expect("kubectl ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The namespaced mode under a ServiceAccount token bound ONLY to the Roles of
/// `deploy/namespaced` (no ClusterRole): two listed namespaces, NodePools of both clouds go
/// Ready and their Secrets are kept and released; a NodePool in an unlisted namespace is left
/// alone (no finalizer, no status, no cloud call).
#[tokio::test]
async fn the_namespaced_mode_needs_only_roles_and_leaves_other_namespaces_alone() {
    let client = common::client().await;
    let docs = namespaced_manifests();
    // The only cluster-wide grant is reading CloudAccounts (cluster-scoped): nothing on Secrets.
    let cluster_roles: Vec<&serde_json::Value> =
        docs.iter().filter(|d| d["kind"] == "ClusterRole").collect();
    assert_eq!(
        cluster_roles.len(),
        1,
        "deploy/namespaced: {cluster_roles:?}"
    );
    assert_eq!(
        cluster_roles[0]["rules"],
        json!([{"apiGroups": ["cloud.nodepool.dev"], "resources": ["cloudaccounts"],
                "verbs": ["get", "list", "watch"]}]),
        "deploy/namespaced has no cluster-wide access but reading CloudAccounts"
    );
    let role = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Role" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("deploy/namespaced has Role {name}"))
            .clone()
    };
    let (per_ns, leader) = (
        role("nodepool-controller"),
        role("nodepool-controller-leader-election"),
    );
    let ctl_ns = common::TestNamespace::new(&client, "cred-ctl").await;
    let a = common::TestNamespace::new(&client, "cred-a").await;
    let b = common::TestNamespace::new(&client, "cred-b").await;
    let other = common::TestNamespace::new(&client, "cred-other").await;
    let sa = "nodepool-ns-controller";
    apply(&json!({"apiVersion": "v1", "kind": "ServiceAccount",
                  "metadata": {"name": sa, "namespace": ctl_ns.name}}));
    for (template, ns) in [
        (&per_ns, &a.name),
        (&per_ns, &b.name),
        (&leader, &ctl_ns.name),
    ] {
        let mut r = template.clone();
        r["metadata"]["namespace"] = json!(ns);
        apply(&r);
        let name = r["metadata"]["name"].clone();
        apply(&json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ctl_ns.name}]
        }));
    }
    let out = common::kubectl()
        .args(["-n", &ctl_ns.name, "create", "token", sa, "--duration=1h"])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("token")
        .trim()
        .to_string();
    let can_i = |args: &[&str]| {
        let out = common::kubectl()
            .args(["--token", &token, "auth", "can-i"])
            .args(args)
            .output()
            .expect("kubectl runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(can_i(&["list", "secrets", "--all-namespaces"]), "no");
    assert_eq!(can_i(&["get", "secrets", "-n", &other.name]), "no");
    assert_eq!(
        can_i(&["list", "nodepools.cloud.nodepool.dev", "-n", &other.name]),
        "no"
    );
    assert_eq!(can_i(&["patch", "secrets", "-n", &a.name]), "yes");
    let dir = std::env::temp_dir().join(common::unique("nsmode"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let kubeconfig = dir.join("controller.kubeconfig");
    let mut kc =
        kube::config::Kubeconfig::read_from(common::kubeconfig_path()).expect("kubeconfig");
    for named in &mut kc.auth_infos {
        named.auth_info = Some(kube::config::AuthInfo {
            token: Some(token.clone().into()),
            ..kube::config::AuthInfo::default()
        });
    }
    std::fs::write(&kubeconfig, serde_yaml::to_string(&kc).expect("YAML")).expect("write");

    let (_sim, sim) = start_sim();
    for ns in [&a.name, &b.name, &other.name] {
        create_secrets(&client, ns).await;
    }
    let lease = common::unique("ns-lease");
    let mut ctl = Ctl::new(&a.name, &sim);
    ctl.kubeconfig = Some(&kubeconfig);
    ctl.extra = [
        "--namespaces",
        &b.name,
        "--leader-elect",
        "--leader-election-namespace",
        &ctl_ns.name,
        "--lease-name",
        &lease,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let _controller = ctl.start();

    let api_a: Api<NodePool> = Api::namespaced(client.clone(), &a.name);
    let api_b: Api<NodePool> = Api::namespaced(client.clone(), &b.name);
    let api_o: Api<NodePool> = Api::namespaced(client.clone(), &other.name);
    create(&api_a, huawei_pool("in-a", 1)).await;
    create(&api_b, alibaba_pool("in-b", 1)).await;
    create(&api_o, huawei_pool("elsewhere", 1)).await;
    wait_for(&api_a, "in-a", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await;
    wait_for(&api_b, "in-b", "Ready", Duration::from_secs(60), |n| {
        ready_at(n, 1)
    })
    .await;
    let sa_secrets: Api<Secret> = Api::namespaced(client.clone(), &a.name);
    let sb_secrets: Api<Secret> = Api::namespaced(client.clone(), &b.name);
    wait_secret(&sa_secrets, "huawei-credentials", "kept", |s| {
        s.is_some_and(has_secret_finalizer)
    })
    .await;
    wait_secret(&sb_secrets, "alibaba-credentials", "kept", |s| {
        s.is_some_and(has_secret_finalizer)
    })
    .await;
    // Not needed by any NodePool: never kept.
    let unused = sa_secrets.get("alibaba-credentials").await.expect("get");
    assert!(!has_secret_finalizer(&unused));

    // The unlisted namespace: untouched, and nothing at the cloud for it.
    let left = api_o.get("elsewhere").await.expect("get");
    assert!(
        left.metadata.finalizers.is_none(),
        "{:?}",
        left.metadata.finalizers
    );
    assert!(left.status.is_none(), "{:?}", left.status);
    let cce = huawei_client(&sim);
    assert!(
        pools_named(cce.as_ref(), HW_CLUSTER, "elsewhere")
            .await
            .is_empty()
    );
    assert_eq!(
        sim_count(&sim, "huawei", |op, o| op.contains("Create") && o == "ok").await,
        1,
        "one CCE create (in-a), none for the unlisted namespace"
    );
    let o_secrets: Api<Secret> = Api::namespaced(client.clone(), &other.name);
    assert!(!has_secret_finalizer(
        &o_secrets.get("huawei-credentials").await.expect("get")
    ));

    // Deleted NodePools release their Secrets (which stay, without the finalizer).
    api_a
        .delete("in-a", &DeleteParams::default())
        .await
        .expect("delete");
    api_b
        .delete("in-b", &DeleteParams::default())
        .await
        .expect("delete");
    wait_for(&api_a, "in-a", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    wait_for(&api_b, "in-b", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    wait_secret(&sa_secrets, "huawei-credentials", "released", |s| {
        s.is_some_and(|s| !has_secret_finalizer(s))
    })
    .await;
    wait_secret(&sb_secrets, "alibaba-credentials", "released", |s| {
        s.is_some_and(|s| !has_secret_finalizer(s))
    })
    .await;
    wait_secret_event(
        &client,
        &a.name,
        "huawei-credentials",
        "CredentialsReleased",
    )
    .await;
    assert_no_secret_values(&client, &a.name).await;
    assert_no_secret_values(&client, &b.name).await;
    let _ = std::fs::remove_dir_all(&dir);
    for ns in [a, b, other, ctl_ns] {
        ns.delete().await;
    }
}

/// A plain http:// endpoint off loopback is refused at start-up, before any request, with a
/// message that says what to do; `--allow-insecure-endpoints` lets it through (the controller
/// then goes on to the API server, which this test does not need: it stops it at once).
#[test]
fn an_insecure_endpoint_is_refused_at_start() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nodepool-controller"))
        .args(["run", "--huawei-endpoint", "http://10.0.0.5:8080"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .expect("the controller runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refusing to start"), "{err}");
    assert!(err.contains("http://10.0.0.5:8080"), "{err}");
    assert!(err.contains("--allow-insecure-endpoints"), "{err}");

    // With the opt-in, the endpoint passes and the next failure is the missing kubeconfig.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nodepool-controller"))
        .args(["run", "--allow-insecure-endpoints"])
        .args(["--alibaba-endpoint", "http://10.0.0.5:8080"])
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .expect("the controller runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("refusing to start"), "{err}");
}
