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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
            "set exactly one of spec.credentialsRef (a credentials Secret in this namespace) or spec.accountRef",
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
        case(
            "spec.huawei.name DefaultPool",
            set(hw(), "/spec/huawei/name", json!("DefaultPool")),
            "spec.huawei.name must start with a lowercase letter",
        ),
        case(
            "spec.huawei.name ending in '-'",
            set(hw(), "/spec/huawei/name", json!("web-")),
            "spec.huawei.name must start with a lowercase letter",
        ),
        case(
            "spec.huawei.name with uppercase letters",
            set(hw(), "/spec/huawei/name", json!("Web")),
            "spec.huawei.name must start with a lowercase letter",
        ),
        case(
            "spec.huawei.name of 51 characters",
            set(hw(), "/spec/huawei/name", json!("a".repeat(51))),
            "Too long: may not be more than 50",
        ),
        case(
            "missing initialNodeCount",
            unset(hw(), "/spec/huawei/initialNodeCount"),
            "spec.huawei.initialNodeCount is required",
        ),
        case(
            "negative initialNodeCount",
            set(hw(), "/spec/huawei/initialNodeCount", json!(-1)),
            "spec.huawei.initialNodeCount must be 0 or more",
        ),
        case(
            "minNodeCount above maxNodeCount",
            set(hw(), "/spec/huawei/autoscaling/minNodeCount", json!(5)),
            "maxNodeCount must be greater than or equal to minNodeCount",
        ),
        case(
            "negative minNodeCount",
            set(hw(), "/spec/huawei/autoscaling/minNodeCount", json!(-2)),
            "spec.huawei.autoscaling.minNodeCount must be 0 or more",
        ),
        case(
            "negative scaleDownCooldownTime",
            set(
                hw(),
                "/spec/huawei/autoscaling/scaleDownCooldownTime",
                json!(-5),
            ),
            "scaleDownCooldownTime must be 0 or more minutes",
        ),
        case(
            "scaleDownUtilizationThreshold above 1",
            set(
                hw(),
                "/spec/huawei/autoscaling/scaleDownUtilizationThreshold",
                json!(1.5),
            ),
            "scaleDownUtilizationThreshold must be between 0 and 1",
        ),
        case(
            "unknown pool type",
            set(hw(), "/spec/huawei/type", json!("container")),
            "supported values: \"vm\", \"ElasticBMS\", \"pm\"",
        ),
        case(
            "unknown taint effect",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/taints",
                json!([{"key": "dedicated", "value": "gpu", "effect": "NoRun"}]),
            ),
            "supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"",
        ),
        case(
            "zero-sized root volume",
            set(hw(), "/spec/huawei/nodeTemplate/rootVolume/size", json!(0)),
            "volume size must be a positive number of GiB",
        ),
        case(
            "billingMode 3",
            set(hw(), "/spec/huawei/nodeTemplate/billingMode", json!(3)),
            "billingMode must be 0 (pay-per-use), 1 (yearly/monthly)",
        ),
        case(
            "maxPods out of range",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/extendParam/maxPods",
                json!(4),
            ),
            "extendParam.maxPods must be between 16 and 256",
        ),
        case(
            "region with uppercase letters",
            set(hw(), "/spec/huawei/region", json!("CN-North-4")),
            "spec.huawei.region must be a Huawei Cloud region ID",
        ),
        case(
            "empty clusterId",
            set(hw(), "/spec/huawei/clusterId", json!("")),
            "spec.huawei.clusterId must be a non-empty CCE cluster ID",
        ),
        case(
            "reserved user tag key",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "CCE-owner", "value": "x"}]),
            ),
            "userTags[].key must not start with 'CCE-'",
        ),
        case(
            "user tag with the controller's owner-uid key",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "nodepool-owner-uid", "value": "x"}]),
            ),
            "userTags[].key must not be nodepool-owner-uid or nodepool-owner",
        ),
        case(
            "user tag with the controller's owner key",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "team", "value": "a"}, {"key": "nodepool-owner", "value": "x"}]),
            ),
            "userTags[].key must not be nodepool-owner-uid or nodepool-owner",
        ),
        case(
            "seven user tags (CCE allows 8, the controller adds 2)",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!(
                    (1..=7)
                        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
                        .collect::<Vec<_>>()
                ),
            ),
            "spec.huawei.nodeTemplate.userTags may hold at most 6 tags",
        ),
        case(
            "duplicate user tag keys",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "team", "value": "a"}, {"key": "team", "value": "b"}]),
            ),
            "userTags keys must be unique",
        ),
        case(
            "user tag key with a dot",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "team.name", "value": "a"}]),
            ),
            "userTags[].key must be 1-36 letters, digits, '-' or '_'",
        ),
        case(
            "user tag key of 37 characters",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "k".repeat(37), "value": "a"}]),
            ),
            "Too long: may not be more than 36",
        ),
        case(
            "user tag value with a slash",
            set(
                hw(),
                "/spec/huawei/nodeTemplate/userTags",
                json!([{"key": "owner", "value": "team-a/web"}]),
            ),
            "userTags[].value must not contain control characters or any of",
        ),
        case(
            "repair enabled without a policy",
            set(hw(), "/spec/huawei/repairPolicy", json!({"enable": true})),
            "repairPolicy.policy is required when repairPolicy.enable is true",
        ),
        // Alibaba ACK.
        case(
            "both keyPair and loginPassword",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/loginPassword",
                json!("Secret-Pass-1"),
            ),
            "set only one of scalingGroup.keyPair or scalingGroup.loginPassword",
        ),
        case(
            "neither keyPair nor loginPassword",
            unset(ali(), "/spec/alibaba/scalingGroup/keyPair"),
            "set scalingGroup.keyPair (recommended) or scalingGroup.loginPassword",
        ),
        case(
            "PrePaid without period",
            set(
                set(
                    ali(),
                    "/spec/alibaba/scalingGroup/instanceChargeType",
                    json!("PrePaid"),
                ),
                "/spec/alibaba/scalingGroup/periodUnit",
                json!("Month"),
            ),
            "scalingGroup.period and scalingGroup.periodUnit are required when scalingGroup.instanceChargeType is PrePaid",
        ),
        case(
            "PrePaid without periodUnit",
            set(
                set(
                    ali(),
                    "/spec/alibaba/scalingGroup/instanceChargeType",
                    json!("PrePaid"),
                ),
                "/spec/alibaba/scalingGroup/period",
                json!(1),
            ),
            "scalingGroup.period and scalingGroup.periodUnit are required when scalingGroup.instanceChargeType is PrePaid",
        ),
        case(
            "period 5 weeks",
            set(
                set(
                    set(
                        ali(),
                        "/spec/alibaba/scalingGroup/instanceChargeType",
                        json!("PrePaid"),
                    ),
                    "/spec/alibaba/scalingGroup/period",
                    json!(5),
                ),
                "/spec/alibaba/scalingGroup/periodUnit",
                json!("Week"),
            ),
            "scalingGroup.period must be 1, 2, 3 or 4 when periodUnit is Week",
        ),
        case(
            "unknown instanceChargeType",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/instanceChargeType",
                json!("Spot"),
            ),
            "supported values: \"PrePaid\", \"PostPaid\"",
        ),
        case(
            "unknown periodUnit",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/periodUnit",
                json!("Year"),
            ),
            "supported values: \"Month\", \"Week\"",
        ),
        case(
            "unknown system disk category",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/systemDiskCategory",
                json!("cloud_floppy"),
            ),
            "spec.alibaba.scalingGroup.systemDiskCategory: Unsupported value: \"cloud_floppy\"",
        ),
        case(
            "unknown data disk category",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/dataDisks",
                json!([{"category": "cloud_floppy", "size": 100}]),
            ),
            "spec.alibaba.scalingGroup.dataDisks[0].category: Unsupported value: \"cloud_floppy\"",
        ),
        case(
            "unknown platform",
            set(ali(), "/spec/alibaba/scalingGroup/platform", json!("Plan9")),
            "spec.alibaba.scalingGroup.platform: Unsupported value: \"Plan9\"",
        ),
        case(
            "unknown taint effect (ACK)",
            set(
                ali(),
                "/spec/alibaba/kubernetesConfig/taints",
                json!([{"key": "k", "value": "v", "effect": "NoRun"}]),
            ),
            "spec.alibaba.kubernetesConfig.taints[0].effect: Unsupported value: \"NoRun\"",
        ),
        case(
            "unknown cpuPolicy",
            set(
                ali(),
                "/spec/alibaba/kubernetesConfig/cpuPolicy",
                json!("dynamic"),
            ),
            "supported values: \"none\", \"static\"",
        ),
        case(
            "maxInstances below minInstances",
            set(
                ali(),
                "/spec/alibaba/autoScaling",
                json!({"enable": true, "minInstances": 5, "maxInstances": 2}),
            ),
            "autoScaling.maxInstances must be greater than or equal to autoScaling.minInstances",
        ),
        case(
            "system disk too small",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/systemDiskSize",
                json!(10),
            ),
            "scalingGroup.systemDiskSize must be between 20 and 2048",
        ),
        case(
            "no instance types",
            set(ali(), "/spec/alibaba/scalingGroup/instanceTypes", json!([])),
            "scalingGroup.instanceTypes must list 1 to 10 ECS instance types",
        ),
        case(
            "nine vSwitches",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/vswitchIds",
                json!(["a", "b", "c", "d", "e", "f", "g", "h", "i"]),
            ),
            "scalingGroup.vswitchIds must list 1 to 8 vSwitch IDs",
        ),
        case(
            "negative desiredSize",
            set(ali(), "/spec/alibaba/scalingGroup/desiredSize", json!(-1)),
            "scalingGroup.desiredSize must be 0 or more",
        ),
        case(
            "data disk encrypted as a boolean",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/dataDisks",
                json!([{"category": "cloud_essd", "size": 100, "encrypted": true}]),
            ),
            "spec.alibaba.scalingGroup.dataDisks[0].encrypted: Invalid value: \"boolean\"",
        ),
        case(
            "autoRenewPeriod without autoRenew",
            set(
                ali(),
                "/spec/alibaba/scalingGroup/autoRenewPeriod",
                json!(1),
            ),
            "scalingGroup.autoRenewPeriod only applies when scalingGroup.autoRenew is true",
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
        assert!(
            dry.is_ok(),
            "{path} refused by dry run: {}",
            dry.unwrap_err()
        );
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

/// A valid object, then an update that changes something immutable (`new` null: removes it).
struct Immutable {
    what: &'static str,
    before: Value,
    pointer: &'static str,
    new: Value,
    expect: &'static str,
}

/// `before` with `pointer` set to `new`, or removed when `new` is null.
fn changed(before: Value, pointer: &str, new: Value) -> Value {
    if new.is_null() {
        unset(before, pointer)
    } else {
        set(before, pointer, new)
    }
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
        Immutable {
            what: "huawei region",
            before: huawei("region"),
            pointer: "/spec/huawei/region",
            new: json!("cn-east-3"),
            expect: "spec.huawei.region cannot change after creation",
        },
        Immutable {
            what: "huawei projectId",
            before: huawei("project"),
            pointer: "/spec/huawei/projectId",
            new: json!("ffffffffffffffffffffffffffffffff"),
            expect: "spec.huawei.projectId cannot change after creation",
        },
        Immutable {
            what: "huawei clusterId",
            before: huawei("cluster"),
            pointer: "/spec/huawei/clusterId",
            new: json!("00000000-0000-0000-0000-000000000000"),
            expect: "spec.huawei.clusterId cannot change after creation",
        },
        Immutable {
            what: "huawei name",
            before: set(huawei("name"), "/spec/huawei/name", json!("web-a")),
            pointer: "/spec/huawei/name",
            new: json!("web-b"),
            expect: "spec.huawei.name cannot change after creation",
        },
        Immutable {
            what: "huawei name added later",
            before: huawei("name-added"),
            pointer: "/spec/huawei/name",
            new: json!("web-b"),
            expect: "spec.huawei.name cannot be added or removed after creation",
        },
        Immutable {
            what: "alibaba regionId",
            before: alibaba("region-id"),
            pointer: "/spec/alibaba/regionId",
            new: json!("cn-beijing"),
            expect: "regionId cannot change after creation",
        },
        Immutable {
            what: "alibaba clusterId",
            before: alibaba("cluster-id"),
            pointer: "/spec/alibaba/clusterId",
            new: json!("c0ffee0000000000000000000000000a"),
            expect: "clusterId cannot change after creation",
        },
        Immutable {
            what: "alibaba pool type",
            before: alibaba("pool-type"),
            pointer: "/spec/alibaba/nodepoolInfo/type",
            new: json!("edge"),
            expect: "nodepoolInfo.type cannot change after creation",
        },
    ]
}

/// Fields the clouds' update models cannot carry (tests/sdk/check_immutable.py derives the full
/// set): one of each kind, changed, set and removed; each refused with a message that names the
/// field and says what to do.
fn cloud_fixed_cases() -> Vec<Immutable> {
    let hw = || huawei("fixed");
    let ali = || alibaba("fixed");
    let case = |what, before, pointer, new, expect| Immutable {
        what,
        before,
        pointer,
        new,
        expect,
    };
    let hw_with = |pointer: &str, value: Value| set(hw(), pointer, value);
    let ali_with = |pointer: &str, value: Value| set(ali(), pointer, value);
    vec![
        // CCE: documented as not modifiable although NodeSpecUpdate has them.
        case(
            "CCE flavor changed",
            hw(),
            "/spec/huawei/nodeTemplate/flavor",
            json!("s6.xlarge.2"),
            "add an extension scale group (extensionScaleGroups) with the new flavor",
        ),
        case(
            "CCE flavor removed",
            hw(),
            "/spec/huawei/nodeTemplate/flavor",
            Value::Null,
            "spec.huawei.nodeTemplate.flavor cannot be set, changed or removed",
        ),
        case(
            "CCE az changed",
            hw(),
            "/spec/huawei/nodeTemplate/az",
            json!("cn-north-4b"),
            "spec.huawei.nodeTemplate.az cannot be set, changed or removed",
        ),
        // CCE: not in NodePoolUpdate at all.
        case(
            "CCE billingMode set to yearly/monthly",
            hw(),
            "/spec/huawei/nodeTemplate/billingMode",
            json!(1),
            "spec.huawei.nodeTemplate.billingMode cannot change after the pool is created (unset means 0",
        ),
        case(
            "CCE pool type changed",
            hw(),
            "/spec/huawei/type",
            json!("ElasticBMS"),
            "spec.huawei.type cannot change after the pool is created (unset means vm",
        ),
        case(
            "CCE maxPods set",
            hw(),
            "/spec/huawei/nodeTemplate/extendParam",
            json!({"maxPods": 64}),
            "spec.huawei.nodeTemplate.extendParam.maxPods cannot be set, changed or removed",
        ),
        case(
            "CCE maxPods removed",
            hw_with(
                "/spec/huawei/nodeTemplate/extendParam",
                json!({"maxPods": 64}),
            ),
            "/spec/huawei/nodeTemplate/extendParam/maxPods",
            Value::Null,
            "spec.huawei.nodeTemplate.extendParam.maxPods cannot be set, changed or removed",
        ),
        case(
            "CCE init-node-password changed (an escaped CEL name)",
            hw_with(
                "/spec/huawei/nodeTemplate/extendParam",
                json!({"init-node-password": "a"}),
            ),
            "/spec/huawei/nodeTemplate/extendParam/init-node-password",
            json!("b"),
            "spec.huawei.nodeTemplate.extendParam.init-node-password cannot be set, changed or removed",
        ),
        case(
            "CCE ecs:performancetype changed (only the change: ':' is not addressable in CEL)",
            hw_with(
                "/spec/huawei/nodeTemplate/extendParam",
                json!({"ecs:performancetype": "normal"}),
            ),
            "/spec/huawei/nodeTemplate/extendParam/ecs:performancetype",
            json!("computingv3"),
            "extendParam.ecs:performancetype cannot change after the pool is created",
        ),
        case(
            "CCE billing period changed",
            hw_with(
                "/spec/huawei/nodeTemplate/extendParam",
                json!({"periodType": "month", "periodNum": 1}),
            ),
            "/spec/huawei/nodeTemplate/extendParam/periodNum",
            json!(2),
            "create a new NodePool with the new billing settings",
        ),
        case(
            "CCE fixed IPs added (three levels down, all optional)",
            hw(),
            "/spec/huawei/nodeTemplate/nodeNicSpec",
            json!({"primaryNic": {"fixedIps": ["192.168.0.10"]}}),
            "spec.huawei.nodeTemplate.nodeNicSpec.primaryNic.fixedIps cannot be set, changed or removed",
        ),
        case(
            "CCE pod security groups changed",
            hw_with("/spec/huawei/podSecurityGroups", json!([{"id": "sg-1"}])),
            "/spec/huawei/podSecurityGroups",
            json!([{"id": "sg-2"}]),
            "spec.huawei.podSecurityGroups cannot be set, changed or removed",
        ),
        case(
            "CCE annotations added",
            hw(),
            "/spec/huawei/annotations",
            json!({"cce.cloud.com/x": "y"}),
            "spec.huawei.annotations cannot be set, changed or removed",
        ),
        case(
            "CCE hostnameConfig added",
            hw(),
            "/spec/huawei/nodeTemplate/hostnameConfig",
            json!({"type": "cceNodeName"}),
            "spec.huawei.nodeTemplate.hostnameConfig cannot be set, changed or removed",
        ),
        // ACK: not in ModifyClusterNodePoolRequest.
        case(
            "ACK securityGroupId set",
            ali(),
            "/spec/alibaba/scalingGroup/securityGroupId",
            json!("sg-1"),
            "list the security groups in scalingGroup.securityGroupIds instead",
        ),
        case(
            "ACK securityGroupId changed",
            ali_with("/spec/alibaba/scalingGroup/securityGroupId", json!("sg-1")),
            "/spec/alibaba/scalingGroup/securityGroupId",
            json!("sg-2"),
            "spec.alibaba.scalingGroup.securityGroupId cannot be set, changed or removed",
        ),
        case(
            "ACK securityGroupId removed",
            ali_with("/spec/alibaba/scalingGroup/securityGroupId", json!("sg-1")),
            "/spec/alibaba/scalingGroup/securityGroupId",
            Value::Null,
            "spec.alibaba.scalingGroup.securityGroupId cannot be set, changed or removed",
        ),
        case(
            "ACK ramRoleName changed",
            ali_with("/spec/alibaba/scalingGroup/ramRoleName", json!("role-a")),
            "/spec/alibaba/scalingGroup/ramRoleName",
            json!("role-b"),
            "spec.alibaba.scalingGroup.ramRoleName cannot be set, changed or removed",
        ),
        case(
            "ACK IMDS options set",
            ali(),
            "/spec/alibaba/scalingGroup/instanceMetadataOptions",
            json!({"httpTokens": "required"}),
            "spec.alibaba.scalingGroup.instanceMetadataOptions cannot be set, changed or removed",
        ),
        case(
            "ACK kubelet configuration set",
            ali(),
            "/spec/alibaba/nodeConfig",
            json!({"kubeletConfiguration": {"maxPods": 64}}),
            "ACK changes it only with ModifyNodePoolNodeConfig, which the controller does not call",
        ),
        case(
            "ACK whole scaling group removed (takes its securityGroupId with it)",
            ali_with("/spec/alibaba/scalingGroup/securityGroupId", json!("sg-1")),
            "/spec/alibaba/scalingGroup",
            Value::Null,
            "spec.alibaba.scalingGroup.securityGroupId cannot be set, changed or removed",
        ),
        case(
            "ACK auto scaling type changed (documented as not modifiable)",
            ali(),
            "/spec/alibaba/autoScaling/type",
            json!("spot"),
            "autoScaling.type cannot change after creation",
        ),
    ]
}

/// A valid object, then an update the cloud can apply in place.
struct Mutable {
    what: &'static str,
    before: Value,
    pointer: &'static str,
    new: Value,
}

fn mutable_cases() -> Vec<Mutable> {
    let hw = || huawei("mutable");
    let ali = || alibaba("mutable");
    let case = |what, before, pointer, new| Mutable {
        what,
        before,
        pointer,
        new,
    };
    vec![
        case(
            "CCE node count",
            hw(),
            "/spec/huawei/initialNodeCount",
            json!(3),
        ),
        case(
            "CCE autoscaling range",
            hw(),
            "/spec/huawei/autoscaling/maxNodeCount",
            json!(10),
        ),
        case(
            "CCE labels",
            hw(),
            "/spec/huawei/nodeTemplate/k8sTags",
            json!({"team": "web"}),
        ),
        case(
            "CCE taints",
            hw(),
            "/spec/huawei/nodeTemplate/taints",
            json!([{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]),
        ),
        case(
            "CCE user tags (6, the most a spec may set)",
            hw(),
            "/spec/huawei/nodeTemplate/userTags",
            json!(
                (1..=6)
                    .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
                    .collect::<Vec<_>>()
            ),
        ),
        case(
            "CCE OS",
            hw(),
            "/spec/huawei/nodeTemplate/os",
            json!("Huawei Cloud EulerOS 2.0"),
        ),
        case(
            "CCE system disk size",
            hw(),
            "/spec/huawei/nodeTemplate/rootVolume/size",
            json!(100),
        ),
        case(
            "CCE pre-install script (an extendParam key NodePoolUpdate carries)",
            hw(),
            "/spec/huawei/nodeTemplate/extendParam",
            json!({"alpha.cce/preInstall": "ZWNobw=="}),
        ),
        case(
            "CCE primary NIC subnets (nodeNicSpecUpdate)",
            hw(),
            "/spec/huawei/nodeTemplate/nodeNicSpec",
            json!({"primaryNic": {"subnetList": ["subnet-1"]}}),
        ),
        case(
            "CCE billingMode set to its default",
            hw(),
            "/spec/huawei/nodeTemplate/billingMode",
            json!(0),
        ),
        case(
            "CCE pool type removed (vm is the default)",
            hw(),
            "/spec/huawei/type",
            Value::Null,
        ),
        case(
            "ACK desired size",
            ali(),
            "/spec/alibaba/scalingGroup/desiredSize",
            json!(5),
        ),
        case(
            "ACK labels",
            ali(),
            "/spec/alibaba/kubernetesConfig/labels",
            json!([{"key": "team", "value": "web"}]),
        ),
        case(
            "ACK taints",
            ali(),
            "/spec/alibaba/kubernetesConfig/taints",
            json!([{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]),
        ),
        case(
            "ACK instance charge type (ModifyClusterNodePool carries it)",
            set(
                set(ali(), "/spec/alibaba/scalingGroup/period", json!(1)),
                "/spec/alibaba/scalingGroup/periodUnit",
                json!("Month"),
            ),
            "/spec/alibaba/scalingGroup/instanceChargeType",
            json!("PrePaid"),
        ),
        case(
            "ACK security groups (the list form)",
            ali(),
            "/spec/alibaba/scalingGroup/securityGroupIds",
            json!(["sg-1", "sg-2"]),
        ),
        case(
            "ACK instance types",
            ali(),
            "/spec/alibaba/scalingGroup/instanceTypes",
            json!(["ecs.g7.2xlarge"]),
        ),
        case(
            "ACK forceDelete",
            ali(),
            "/spec/alibaba/forceDelete",
            json!(true),
        ),
    ]
}

#[tokio::test]
async fn immutable_fields_cannot_change() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "immutable").await;
    let mut failures = Vec::new();
    let cases = immutable_cases().into_iter().chain(cloud_fixed_cases());
    for (i, c) in cases.enumerate() {
        let name = format!("imm-{i}");
        let before = set(c.before, "/metadata/name", json!(name));
        kubectl_stdin(&["-n", &ns.name, "apply"], &before)
            .unwrap_or_else(|e| panic!("{}: the valid object was refused: {e}", c.what));
        let after = changed(before, c.pointer, c.new);
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

#[tokio::test]
async fn fields_the_cloud_can_update_change_freely() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "mutable").await;
    let mut failures = Vec::new();
    for (i, c) in mutable_cases().into_iter().enumerate() {
        let name = format!("mut-{i}");
        let before = set(c.before, "/metadata/name", json!(name));
        kubectl_stdin(&["-n", &ns.name, "apply"], &before)
            .unwrap_or_else(|e| panic!("{}: the valid object was refused: {e}", c.what));
        let after = changed(before, c.pointer, c.new);
        match kubectl_stdin(&["-n", &ns.name, "apply"], &after) {
            Ok(_) => {
                let stored = kubectl_get(&ns.name, &name);
                let want = after.pointer(c.pointer);
                if stored.pointer(c.pointer) != want {
                    failures.push(format!(
                        "{}: stored {:?}, applied {want:?}",
                        c.what,
                        stored.pointer(c.pointer)
                    ));
                }
            }
            Err(err) => failures.push(format!("{}: update refused:\n{err}", c.what)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    ns.delete().await;
}

#[tokio::test]
async fn kubectl_explain_documents_the_fields() {
    let _ = common::client().await;
    for (path, want) in [
        ("nodepool.spec.huawei.autoscaling", "minNodeCount"),
        (
            "nodepool.spec.huawei.autoscaling.scaleDownCooldownTime",
            "Minutes",
        ),
        ("nodepool.spec.alibaba.scalingGroup", "instanceTypes"),
        ("nodepool.spec.credentialsRef", "Secret"),
        ("nodepool.spec.deletionPolicy", "Orphan"),
        ("nodepool.spec.huawei.nodeTemplate.flavor", "Immutable"),
        (
            "nodepool.spec.alibaba.scalingGroup.securityGroupId",
            "Immutable",
        ),
        ("nodepool.spec.alibaba.forceDelete", "force=true"),
    ] {
        let out = common::kubectl()
            .args(["explain", path])
            .output()
            .expect("kubectl runs");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "kubectl explain {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains(want),
            "kubectl explain {path} lacks {want:?}:\n{text}"
        );
        assert!(
            !text.contains("<empty>"),
            "kubectl explain {path} has an undocumented field:\n{text}"
        );
    }
}
