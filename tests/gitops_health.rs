//! GitOps health: NodePools carrying the conditions the controller computes for each state are
//! written to the real API server, read back, and judged by kstatus (the library Flux and kpt
//! use, built from `sigs.k8s.io/cli-utils`) and by the Argo CD health check in
//! `deploy/argocd/nodepool-health.lua` under a Lua 5.1 interpreter.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use nodepool_controller::cloud::phase::Phase;
use nodepool_controller::controller::conditions::{self, Failure, Outcome};
use nodepool_controller::crd::NodePool;
use serde_json::{Value, json};

struct State {
    name: &'static str,
    phase: Option<Phase>,
    in_sync: bool,
    failure: Option<Failure>,
    /// The spec changed after the status was written (observedGeneration is stale).
    spec_changed_after: bool,
    kstatus: &'static str,
    argocd: &'static str,
}

fn failure(reason: &'static str, retryable: bool) -> Option<Failure> {
    Some(Failure {
        reason,
        message: format!("{reason}: what to do"),
        retryable,
    })
}

fn states() -> Vec<State> {
    let s = |name, phase, in_sync, failure, spec_changed_after, kstatus, argocd| State {
        name,
        phase,
        in_sync,
        failure,
        spec_changed_after,
        kstatus,
        argocd,
    };
    vec![
        s(
            "ready",
            Some(Phase::Synchronized),
            true,
            None,
            false,
            "Current",
            "Healthy",
        ),
        s(
            "creating",
            Some(Phase::Creating),
            true,
            None,
            false,
            "InProgress",
            "Progressing",
        ),
        s(
            "scaling",
            Some(Phase::Synchronizing),
            true,
            None,
            false,
            "InProgress",
            "Progressing",
        ),
        s(
            "update-pending",
            Some(Phase::Synchronized),
            false,
            None,
            false,
            "InProgress",
            "Progressing",
        ),
        s(
            "spec-just-changed",
            Some(Phase::Synchronized),
            true,
            None,
            true,
            "InProgress",
            "Progressing",
        ),
        s(
            "deleting",
            Some(Phase::Deleting),
            true,
            None,
            false,
            "InProgress",
            "Progressing",
        ),
        s(
            "throttled",
            Some(Phase::Synchronized),
            true,
            failure("CloudThrottled", true),
            false,
            "InProgress",
            "Progressing",
        ),
        s(
            "auth-failed",
            Some(Phase::Synchronized),
            true,
            failure("CloudAuthFailed", false),
            false,
            "Failed",
            "Degraded",
        ),
        s(
            "no-credentials",
            None,
            false,
            failure("CredentialsSecretMissing", false),
            false,
            "Failed",
            "Degraded",
        ),
        s(
            "sold-out",
            Some(Phase::SoldOut),
            true,
            None,
            false,
            "Failed",
            "Degraded",
        ),
        s(
            "error",
            Some(Phase::Error),
            true,
            None,
            false,
            "Failed",
            "Degraded",
        ),
    ]
}

fn manifest(name: &str) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "alibaba-credentials"},
            "alibaba": {
                "regionId": "cn-hangzhou", "clusterId": "c61da77e8bfbc4c4c999af2b51b65a1b",
                "scalingGroup": {"vswitchIds": ["vsw-1"], "instanceTypes": ["ecs.g7.xlarge"],
                                 "instanceChargeType": "PostPaid", "keyPair": "kp", "desiredSize": 1}
            }
        }
    })
}

/// A Lua table constructor for a JSON value (what Argo CD hands a health script as `obj`).
fn lua(v: &Value) -> String {
    match v {
        Value::Null => "nil".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!(
            "{{{}}}",
            items.iter().map(lua).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| format!("[{k:?}] = {}", lua(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn argocd_health(obj: &Value) -> (String, String) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/argocd/nodepool-health.lua"
    );
    let program = format!(
        "obj = {}\nlocal hs = dofile({script:?})\nprint(hs.status)\nprint(hs.message)\n",
        lua(obj)
    );
    let out = Command::new("lua5.1")
        .args(["-e", &program])
        .output()
        .expect("lua5.1 runs (scripts/prereqs.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = text.lines();
    (
        lines.next().unwrap_or_default().to_string(),
        lines.next().unwrap_or_default().to_string(),
    )
}

fn kstatus(objects: &[Value]) -> Vec<Value> {
    let bin = std::env::var("NODEPOOL_KSTATUS").unwrap_or_else(|_| {
        panic!("NODEPOOL_KSTATUS is not set: run through scripts/test.sh (tests/env/build-kstatus.sh builds it)")
    });
    let mut child = Command::new(bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kstatus runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(objects).expect("json").as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("kstatus finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test]
async fn kstatus_and_argocd_read_every_state_as_intended() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "gitops").await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let states = states();
    for st in &states {
        let np: NodePool = serde_json::from_value(manifest(st.name)).expect("NodePool");
        api.create(&PostParams::default(), &np)
            .await
            .expect("create");
        let outcome = Outcome {
            generation: 1,
            phase: st.phase,
            in_sync: st.in_sync,
            failure: st.failure.clone(),
        };
        let conds = conditions::merge(&[], conditions::compute(&outcome), Timestamp::now());
        let mut status = json!({"observedGeneration": 1, "conditions": conds});
        if let Some(p) = st.phase {
            status["phase"] = json!(p.as_str());
        }
        api.patch_status(
            st.name,
            &PatchParams::apply("nodepool-controller").force(),
            &Patch::Apply(json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "NodePool", "status": status})),
        )
        .await
        .expect("status");
        if st.spec_changed_after {
            api.patch(
                st.name,
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"alibaba": {"scalingGroup": {"desiredSize": 3}}}})),
            )
            .await
            .expect("spec change");
        }
    }
    let mut objects = Vec::new();
    for st in &states {
        let np = api.get(st.name).await.expect("read back");
        objects.push(serde_json::to_value(&np).expect("json"));
    }
    let judged = kstatus(&objects);
    let mut failures = Vec::new();
    for ((st, obj), k) in states.iter().zip(&objects).zip(&judged) {
        assert_eq!(k["name"], st.name);
        if k["status"] != st.kstatus {
            failures.push(format!(
                "{}: kstatus {} ({}), want {}",
                st.name, k["status"], k["message"], st.kstatus
            ));
        }
        let (health, message) = argocd_health(obj);
        if health != st.argocd {
            failures.push(format!(
                "{}: Argo CD {health} ({message}), want {}",
                st.name, st.argocd
            ));
        }
        if st.argocd == "Degraded" && message.is_empty() {
            failures.push(format!("{}: Degraded without a message", st.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ns.delete().await;
}
