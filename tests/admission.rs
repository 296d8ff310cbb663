//! Apply-time validation against the real local API server: every sample in
//! `deploy/samples/` is accepted, and invalid manifests are refused with a
//! message that says what to fix. Runs `kubectl` (the user's path: strict
//! field validation, server-side dry run) against the control plane of
//! `tests/env/up.sh`.

mod common;

use serde_json::{Value, json};
use std::io::Write;
use std::process::Stdio;

/// Runs `kubectl <args> -f -` with `manifest` on stdin; Ok(stdout) or Err(stderr).
fn kubectl_stdin(args: &[&str], manifest: &Value) -> Result<String, String> {
    let mut child = common::kubectl()
        .args(args)
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(serde_json::to_string(manifest).expect("json").as_bytes())
        .expect("write manifest");
    let out = child.wait_with_output().expect("kubectl finishes");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn kubectl_get(ns: &str, name: &str) -> Value {
    let out = common::kubectl()
        .args(["-n", ns, "get", "nodepool", name, "-o", "json"])
        .output()
        .expect("kubectl runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

fn samples() -> Vec<(String, Value)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/samples");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("deploy/samples exists") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read sample");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(doc).expect("sample is YAML");
            if value.get("kind") == Some(&json!("NodePool")) {
                out.push((path.display().to_string(), value));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn huawei(name: &str) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "huawei-credentials"},
            "huawei": {
                "region": "cn-north-4",
                "projectId": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "clusterId": "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03",
                "type": "vm",
                "initialNodeCount": 1,
                "nodeTemplate": {
                    "flavor": "s6.large.2",
                    "az": "cn-north-4a",
                    "os": "EulerOS 2.9",
                    "login": {"sshKey": "my-keypair"},
                    "rootVolume": {"volumetype": "SSD", "size": 40},
                    "dataVolumes": [{"volumetype": "SSD", "size": 100}]
                },
                "autoscaling": {"enable": true, "minNodeCount": 1, "maxNodeCount": 3,
                                "scaleDownCooldownTime": 10, "priority": 1}
            }
        }
    })
}

fn alibaba(name: &str) -> Value {
    json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1",
        "kind": "NodePool",
        "metadata": {"name": name},
        "spec": {
            "credentialsRef": {"name": "alibaba-credentials"},
            "alibaba": {
                "regionId": "cn-hangzhou",
                "clusterId": "c61da77e8bfbc4c4c999af2b51b65a1b",
                "nodepoolInfo": {"name": "web"},
                "scalingGroup": {
                    "vswitchIds": ["vsw-wz9mfnhmssud6eicu0001"],
                    "instanceTypes": ["ecs.g7.xlarge"],
                    "instanceChargeType": "PostPaid",
                    "keyPair": "my-keypair",
                    "systemDiskCategory": "cloud_essd",
                    "systemDiskSize": 120,
                    "desiredSize": 2
                },
                "kubernetesConfig": {"runtime": "containerd", "cpuPolicy": "none"},
                "autoScaling": {"enable": false}
            }
        }
    })
}

/// Sets `pointer` (a JSON pointer) in `v` to `new`, creating objects on the way.
fn set(mut v: Value, pointer: &str, new: Value) -> Value {
    let mut cur = &mut v;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        cur = match cur {
            Value::Array(items) => {
                let idx: usize = part.parse().expect("array index");
                if last {
                    items[idx] = new;
                    return v;
                }
                &mut items[idx]
            }
            Value::Object(map) => {
                if last {
                    map.insert((*part).to_string(), new);
                    return v;
                }
                map.entry((*part).to_string()).or_insert_with(|| json!({}))
            }
            other => panic!("cannot descend into {other} at {part}"),
        };
    }
    v
}

/// Removes `pointer` from `v`.
fn unset(mut v: Value, pointer: &str) -> Value {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer");
    if let Some(Value::Object(map)) = v.pointer_mut(parent) {
        map.remove(key);
    }
    v
}

/// An invalid manifest and a fragment the API server's refusal must contain.
struct Invalid {
    what: &'static str,
    manifest: Value,
    expect: &'static str,
}

fn invalid_cases() -> Vec<Invalid> {
    let hw = || huawei("web");
    let ali = || alibaba("web");
    let case = |what, manifest, expect| Invalid {
        what,
        manifest,
        expect,
    };
    vec![
        // The NodePool as a whole.
        case(
            "no cloud",
            unset(hw(), "/spec/huawei"),
            "set exactly one of spec.huawei (Huawei Cloud CCE) or spec.alibaba",
        ),
        case(
            "both clouds",
            set(hw(), "/spec/alibaba", ali()["spec"]["alibaba"].clone()),
            "set exactly one of spec.huawei (Huawei Cloud CCE) or spec.alibaba",
        ),
        case(
            "no credentialsRef",
            unset(hw(), "/spec/credentialsRef"),
            "spec.credentialsRef: Required value",
        ),
        case(
            "empty credentialsRef name",
            set(hw(), "/spec/credentialsRef/name", json!("")),
            "credentialsRef.name must name a Secret",
        ),
        case(
            "credentials inline",
            set(hw(), "/spec/credentialsRef/secretKey", json!("abc")),
            "unknown field \"spec.credentialsRef.secretKey\"",
        ),
        case(
            "unknown deletion policy",
            set(hw(), "/spec/deletionPolicy", json!("Retain")),
            "supported values: \"Delete\", \"Orphan\"",
        ),
        case(
            "unknown field",
            set(hw(), "/spec/huawei/flavour", json!("s6.large.2")),
            "unknown field \"spec.huawei.flavour\"",
        ),
        case(
            "wrong type",
            set(hw(), "/spec/huawei/initialNodeCount", json!("two")),
            "spec.huawei.initialNodeCount: Invalid value: \"string\"",
        ),
        // CCE's name rule, from metadata.name and from spec.huawei.name.
        case(
            "metadata.name with a dot used as CCE name",
            huawei("web.pool"),
            "metadata.name is used as the CCE node pool name",
        ),
        case(
            "metadata.name of 51 characters used as CCE name",
            huawei(&format!("a{}", "b".repeat(50))),
            "metadata.name is used as the CCE node pool name",
        ),
        case(
            "metadata.name starting with a digit used as CCE name",
            huawei("1web"),
            "metadata.name is used as the CCE node pool name",
        ),
    ]
}

#[tokio::test]
async fn samples_are_accepted_and_stored_without_loss() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "samples").await;
    let samples = samples();
    assert!(
        samples.len() >= 4,
        "deploy/samples/ should hold samples of both clouds"
    );
    for (path, sample) in &samples {
        let dry = kubectl_stdin(&["-n", &ns.name, "apply", "--dry-run=server"], sample);
        assert!(dry.is_ok(), "{path} refused by dry run: {}", dry.unwrap_err());
        let real = kubectl_stdin(&["-n", &ns.name, "apply"], sample);
        assert!(real.is_ok(), "{path} refused: {}", real.unwrap_err());
        let name = sample["metadata"]["name"].as_str().expect("name");
        let stored = kubectl_get(&ns.name, name);
        let mut want = sample["spec"].clone();
        if want.get("deletionPolicy").is_none() {
            want["deletionPolicy"] = json!("Delete");
        }
        assert_eq!(
            stored["spec"], want,
            "{path}: the API server pruned or changed fields of the sample"
        );
        // Typed round trip: the controller reads exactly what was stored.
        let typed: nodepool_controller::crd::NodePool =
            serde_json::from_value(stored.clone()).expect("stored object deserializes");
        assert_eq!(
            serde_json::to_value(&typed.spec).expect("spec serializes"),
            want,
            "{path}: the Rust types lose fields of the sample"
        );
    }
    ns.delete().await;
}

#[tokio::test]
async fn invalid_manifests_are_refused_with_a_message_that_says_what_to_fix() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "invalid").await;
    let cases = invalid_cases();
    assert!(cases.len() >= 25, "only {} invalid cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        match kubectl_stdin(&["-n", &ns.name, "apply", "--dry-run=server"], &c.manifest) {
            Ok(out) => failures.push(format!("{}: accepted ({out})", c.what)),
            Err(err) if !err.contains(c.expect) => failures.push(format!(
                "{}: refused, but the message lacks {:?}:\n{err}",
                c.what, c.expect
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ns.delete().await;
}

/// A valid object, then an update that changes something immutable.
struct Immutable {
    what: &'static str,
    before: Value,
    pointer: &'static str,
    new: Value,
    expect: &'static str,
}

fn immutable_cases() -> Vec<Immutable> {
    vec![
        Immutable {
            what: "switch cloud",
            before: huawei("switch"),
            pointer: "/spec",
            new: alibaba("switch")["spec"].clone(),
            expect: "the cloud of a NodePool cannot change",
        },
    ]
}

#[tokio::test]
async fn immutable_fields_cannot_change() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "immutable").await;
    let mut failures = Vec::new();
    for (i, c) in immutable_cases().into_iter().enumerate() {
        let name = format!("imm-{i}");
        let before = set(c.before, "/metadata/name", json!(name));
        kubectl_stdin(&["-n", &ns.name, "apply"], &before)
            .unwrap_or_else(|e| panic!("{}: the valid object was refused: {e}", c.what));
        let after = set(before, c.pointer, c.new);
        match kubectl_stdin(&["-n", &ns.name, "apply"], &after) {
            Ok(out) => failures.push(format!("{}: update accepted ({out})", c.what)),
            Err(err) if !err.contains(c.expect) => failures.push(format!(
                "{}: refused, but the message lacks {:?}:\n{err}",
                c.what, c.expect
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ns.delete().await;
}
