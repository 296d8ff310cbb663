//! The Helm chart `charts/nodepool-controller`, rendered by the pinned helm
//! (`tests/tools/build.sh helm`, given as `NODEPOOL_HELM`):
//! - it makes the same install as the Kustomize base `deploy/base` (rendered by the pinned
//!   kubectl, `NODEPOOL_KUBECTL`): kinds, names, namespaces, RBAC, the container, Service, PDB;
//! - its CRD, alerts and dashboard are those of `crds/` and `deploy/monitoring/`;
//! - every value of `ci/all-toggles-values.yaml` does what it says, and the schema refuses
//!   unknown keys and wrong values;
//! - it installs into the real local control plane (namespaced and cluster-wide RBAC checked with
//!   the API server's own authorizer), upgrades and uninstalls.
//!
//! The tools are required: without them the tests fail, they never skip.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn chart_dir() -> PathBuf {
    Path::new(ROOT).join("charts/nodepool-controller")
}

fn tool(var: &str, build: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "{var} is not set: this test needs it (`export {var}=$({build})`, as scripts/test.sh does)"
        ),
    }
}

/// helm, with its caches and configuration in target/ (nothing read from or written to $HOME).
fn helm() -> Command {
    let mut cmd = Command::new(tool("NODEPOOL_HELM", "tests/tools/build.sh helm"));
    let home = Path::new(ROOT).join("target/helm-home");
    cmd.env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"));
    cmd
}

fn run(mut cmd: Command) -> Result<String, String> {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{cmd:?} failed: {}\n{stdout}",
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn docs(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("rendered YAML parses"))
        .filter(|v| !v.is_null())
        .collect()
}
/// `helm template` of the chart as release `nodepool-controller` in `nodepool-system`.
fn template(args: &[&str]) -> Result<Vec<Value>, String> {
    let mut cmd = helm();
    cmd.args(["template", "nodepool-controller"])
        .arg(chart_dir())
        .args(["--namespace", "nodepool-system"])
        .args(args);
    run(cmd).map(|t| docs(&t))
}

fn all_toggles() -> String {
    chart_dir()
        .join("ci/all-toggles-values.yaml")
        .to_string_lossy()
        .into_owned()
}

/// The values that mean the same install as deploy/base.
const SAME_AS_BASE: &[&str] = &[
    "--set",
    "image.repository=nodepool-controller",
    "--set",
    "image.tag=0.1.0",
    "--set",
    "crds.install=false",
];

fn key(o: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    (
        s(&o["kind"]),
        s(&o["metadata"]["namespace"]),
        s(&o["metadata"]["name"]),
    )
}

fn by_key(objs: Vec<Value>) -> BTreeMap<(String, String, String), Value> {
    let mut out = BTreeMap::new();
    for o in objs {
        let k = key(&o);
        assert!(out.insert(k.clone(), o).is_none(), "{k:?} rendered twice");
    }
    out
}

fn find<'a>(objs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objs.iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| {
            panic!(
                "no {kind} {name} among {:?}",
                objs.iter().map(key).collect::<Vec<_>>()
            )
        })
}

fn kinds(objs: &[Value], kind: &str) -> Vec<Value> {
    objs.iter().filter(|o| o["kind"] == kind).cloned().collect()
}

fn yaml(s: &str) -> Value {
    serde_yaml::from_str(s).expect("YAML")
}

/// Whether every label of `selector` is among `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    let sel = selector.as_mapping().expect("a selector map");
    !sel.is_empty() && sel.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// The fields of an object that make the install what it is (labels and Helm's annotations
/// aside; selectors are checked against each side's own Pods instead).
fn meaning(o: &Value, pod_labels: &Value) -> Value {
    let mut m = Mapping::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::from(k), v);
    };
    match o["kind"].as_str().unwrap_or("") {
        "ClusterRole" | "Role" => put("rules", o["rules"].clone()),
        "ClusterRoleBinding" | "RoleBinding" => {
            put("roleRef", o["roleRef"].clone());
            put("subjects", o["subjects"].clone());
        }
        "ServiceAccount" => put(
            "automountServiceAccountToken",
            Value::Bool(o["automountServiceAccountToken"].as_bool().unwrap_or(true)),
        ),
        "Deployment" => {
            let spec = &o["spec"];
            let pod = &spec["template"]["spec"];
            assert!(
                selects(
                    &spec["selector"]["matchLabels"],
                    &spec["template"]["metadata"]["labels"]
                ),
                "the Deployment's selector does not select its Pods: {o:?}"
            );
            put("replicas", spec["replicas"].clone());
            put("serviceAccountName", pod["serviceAccountName"].clone());
            put("securityContext", pod["securityContext"].clone());
            let mut containers = Vec::new();
            for c in pod["containers"].as_sequence().expect("containers") {
                let mut cm = Mapping::new();
                for f in [
                    "name",
                    "image",
                    "args",
                    "env",
                    "envFrom",
                    "ports",
                    "livenessProbe",
                    "readinessProbe",
                    "resources",
                    "securityContext",
                ] {
                    cm.insert(Value::from(f), c[f].clone());
                }
                containers.push(Value::Mapping(cm));
            }
            put("containers", Value::Sequence(containers));
            for f in [
                "nodeSelector",
                "tolerations",
                "affinity",
                "topologySpreadConstraints",
                "priorityClassName",
                "imagePullSecrets",
            ] {
                put(f, pod[f].clone());
            }
        }
        "Service" => {
            assert!(
                selects(&o["spec"]["selector"], pod_labels),
                "the Service does not select the Pods: {o:?}"
            );
            put(
                "type",
                Value::from(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
            );
            put("ports", o["spec"]["ports"].clone());
        }
        "PodDisruptionBudget" => {
            assert!(
                selects(&o["spec"]["selector"]["matchLabels"], pod_labels),
                "the PDB does not select the Pods: {o:?}"
            );
            put("minAvailable", o["spec"]["minAvailable"].clone());
            put("maxUnavailable", o["spec"]["maxUnavailable"].clone());
        }
        other => panic!("no comparison for kind {other}: add it to meaning()"),
    }
    Value::Mapping(m)
}

fn pod_labels(objs: &[Value]) -> Value {
    kinds(objs, "Deployment")
        .first()
        .expect("a Deployment")["spec"]["template"]["metadata"]["labels"]
        .clone()
}

#[test]
fn chart_and_kustomize_base_make_the_same_install() {
    let kubectl = tool("NODEPOOL_KUBECTL", "echo $(tests/env/build.sh)/kubectl");
    let mut cmd = Command::new(kubectl);
    cmd.arg("kustomize")
        .arg(Path::new(ROOT).join("deploy/base"));
    let base = docs(&run(cmd).expect("kubectl kustomize deploy/base"));
    let chart = template(SAME_AS_BASE).expect("helm template");
    let (base_pods, chart_pods) = (pod_labels(&base), pod_labels(&chart));

    let mut base = by_key(base);
    // Helm does not own namespaces (`--create-namespace`); the base makes its own.
    let ns = base
        .remove(&("Namespace".into(), String::new(), "nodepool-system".into()))
        .expect("the base's Namespace");
    assert_eq!(
        ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"], "restricted",
        "docs/operations.md tells chart users to set this label"
    );
    let chart = by_key(chart);
    assert_eq!(
        base.keys().collect::<Vec<_>>(),
        chart.keys().collect::<Vec<_>>(),
        "the same objects (kind, namespace, name)"
    );
    for (k, b) in &base {
        let (b, c) = (meaning(b, &base_pods), meaning(&chart[k], &chart_pods));
        if let Some(d) = difference("", &b, &c) {
            panic!("{k:?} differs between deploy/base and the chart at {d}");
        }
    }
}

/// Where two values first differ: the path, and both sides there.
fn difference(path: &str, a: &Value, b: &Value) -> Option<String> {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            let keys: std::collections::BTreeSet<String> = x
                .keys()
                .chain(y.keys())
                .map(|k| {
                    serde_yaml::to_string(k)
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                })
                .collect();
            keys.into_iter().find_map(|k| {
                let key = Value::from(k.as_str());
                let null = Value::Null;
                difference(
                    &format!("{path}.{k}"),
                    x.get(&key).unwrap_or(&null),
                    y.get(&key).unwrap_or(&null),
                )
            })
        }
        (Value::Sequence(x), Value::Sequence(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| difference(&format!("{path}[{i}]"), p, q)),
        _ if a == b => None,
        _ => Some(format!(
            "{path}: deploy/base has {}, the chart has {}",
            serde_json::to_string(a).unwrap_or_default(),
            serde_json::to_string(b).unwrap_or_default()
        )),
    }
}

#[test]
fn chart_crd_is_the_generated_crd() {
    for (file, link) in [
        ("nodepool.yaml", "nodepool-crd.yaml"),
        ("cloudaccount.yaml", "cloudaccount-crd.yaml"),
    ] {
        let generated = std::fs::read_to_string(Path::new(ROOT).join("crds").join(file))
            .expect("a generated CRD");
        let in_chart = std::fs::read_to_string(chart_dir().join("files").join(link))
            .expect("the chart's copy");
        assert!(
            in_chart == generated,
            "charts/nodepool-controller/files/{link} differs from crds/{file}: make it a link again (ln -sf ../../../crds/{file})"
        );
    }
    let objs = template(&[]).expect("helm template");
    let crd = find(
        &objs,
        "CustomResourceDefinition",
        "nodepools.cloud.nodepool.dev",
    );
    assert_eq!(
        crd["metadata"]["annotations"]["helm.sh/resource-policy"], "keep",
        "kept on uninstall by default"
    );
    assert_eq!(
        crd["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "Helm"
    );
    let mut stripped = crd.clone();
    let meta = stripped["metadata"].as_mapping_mut().expect("metadata");
    meta.remove("labels");
    meta.remove("annotations");
    let generated = std::fs::read_to_string(Path::new(ROOT).join("crds/nodepool.yaml"))
        .expect("crds/nodepool.yaml");
    assert!(
        stripped == yaml(&generated),
        "the rendered CRD is crds/nodepool.yaml"
    );
    let accounts = find(
        &objs,
        "CustomResourceDefinition",
        "cloudaccounts.cloud.nodepool.dev",
    );
    let mut stripped = accounts.clone();
    let meta = stripped["metadata"].as_mapping_mut().expect("metadata");
    meta.remove("labels");
    meta.remove("annotations");
    let generated = std::fs::read_to_string(Path::new(ROOT).join("crds/cloudaccount.yaml"))
        .expect("crds/cloudaccount.yaml");
    assert!(
        stripped == yaml(&generated),
        "the rendered CloudAccount CRD is crds/cloudaccount.yaml"
    );

    let objs = template(&["--set", "crds.keep=false"]).expect("helm template");
    let crd = find(
        &objs,
        "CustomResourceDefinition",
        "nodepools.cloud.nodepool.dev",
    );
    assert!(
        crd["metadata"]["annotations"].is_null(),
        "{:?}",
        crd["metadata"]
    );
    let objs = template(&["--set", "crds.install=false"]).expect("helm template");
    assert!(kinds(&objs, "CustomResourceDefinition").is_empty());
}

#[test]
fn chart_alerts_and_dashboard_are_those_of_deploy_monitoring() {
    let alerts = std::fs::read_to_string(Path::new(ROOT).join("deploy/monitoring/alerts.yaml"))
        .expect("alerts.yaml");
    let dashboard =
        std::fs::read_to_string(Path::new(ROOT).join("deploy/monitoring/dashboard.json"))
            .expect("dashboard.json");
    for (file, want) in [("alerts.yaml", &alerts), ("dashboard.json", &dashboard)] {
        let got = std::fs::read_to_string(chart_dir().join("files").join(file)).expect(file);
        assert!(
            &got == want,
            "charts/nodepool-controller/files/{file} differs from deploy/monitoring/{file}: make it a link again"
        );
    }
    // Default runbook links: the rule file as it is.
    let objs = template(&["--set", "prometheusRule.enabled=true"]).expect("helm template");
    let rule = find(&objs, "PrometheusRule", "nodepool-controller");
    assert_eq!(rule["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(rule["spec"], yaml(&alerts));
    // With a runbook base URL: the same rules, links made absolute.
    let objs = template(&["-f", &all_toggles()]).expect("helm template");
    let rule = find(&objs, "PrometheusRule", "platform-nodepools");
    let base = "https://git.example.com/nodepool-controller/blob/v0.1.0/";
    let want = yaml(&alerts.replace("runbook_url: docs/", &format!("runbook_url: {base}docs/")));
    assert_eq!(rule["spec"], want);
    let cm = find(&objs, "ConfigMap", "platform-nodepools-dashboard");
    assert_eq!(cm["metadata"]["namespace"], "monitoring");
    assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
    let got: serde_json::Value = serde_json::from_str(
        cm["data"]["nodepool-controller.json"]
            .as_str()
            .expect("the dashboard"),
    )
    .expect("JSON");
    let want: serde_json::Value = serde_json::from_str(&dashboard).expect("JSON");
    assert_eq!(got, want);
}

#[test]
fn default_chart_is_least_privilege_and_hardened() {
    let objs = template(&[]).expect("helm template");
    let dep = find(&objs, "Deployment", "nodepool-controller");
    let pod = &dep["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(
        c["image"],
        "ghcr.io/nodepool-controller/nodepool-controller:0.1.0"
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], yaml("[ALL]"));
    // Off by default: things that need other CRDs or opt-in.
    for kind in [
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "ConfigMap",
    ] {
        assert!(kinds(&objs, kind).is_empty(), "{kind} rendered by default");
    }
    // The only Role is the Lease's; the ClusterRole has no write on Secrets.
    let roles = kinds(&objs, "Role");
    assert_eq!(roles.len(), 1);
    assert_eq!(
        roles[0]["metadata"]["name"],
        "nodepool-controller-leader-election"
    );
    let cr = find(&objs, "ClusterRole", "nodepool-controller");
    for rule in cr["rules"].as_sequence().expect("rules") {
        if rule["resources"] == yaml("[secrets]") {
            assert_eq!(rule["verbs"], yaml("[get, list, watch, patch]"));
        }
    }
}

#[test]
fn every_toggle_does_what_it_says() {
    let objs = template(&["-f", &all_toggles()]).expect("helm template");
    let name = "platform-nodepools";
    let dep = find(&objs, "Deployment", name);
    let pod_meta = &dep["spec"]["template"]["metadata"];
    let pod = &dep["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!(dep["spec"]["replicas"], 3);
    assert_eq!(
        c["image"],
        "registry.example.com/platform/nodepool-controller:0.1.0-rc.1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    assert_eq!(c["imagePullPolicy"], "Always");
    assert_eq!(
        pod["imagePullSecrets"],
        yaml("[{name: registry-credentials}]")
    );
    let args: Vec<&str> = c["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("a string"))
        .collect();
    assert_eq!(
        args,
        [
            "run",
            "--leader-elect",
            "--log-format=text",
            "--leader-election-namespace=platform-leases",
            "--lease-name=platform-nodepools",
            "--lease-seconds=30",
            "--namespaces=team-a,team-b",
            "--huawei-endpoint=https://cce.private.example.com",
            "--alibaba-endpoint=https://cs.private.example.com",
            "--cloud-rate=2.5",
            "--cloud-burst=4",
            "--resync-seconds=600",
            "--poll-seconds=5",
            "--create-grace-seconds=180",
            "--delete-timeout-seconds=3600",
            "--backoff-seconds=1",
            "--backoff-max-seconds=120",
            "--http-addr=0.0.0.0:9090",
            "--concurrency=32",
        ]
    );
    let env = c["env"].as_sequence().expect("env");
    let env_names: Vec<&str> = env.iter().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(
        env_names,
        ["POD_NAME", "POD_NAMESPACE", "RUST_LOG", "HTTPS_PROXY"]
    );
    assert_eq!(env[2]["value"], "info,nodepool_controller=debug");
    assert_eq!(
        c["envFrom"],
        yaml("[{configMapRef: {name: nodepool-extra-env}}]")
    );
    assert_eq!(c["ports"], yaml("[{name: http, containerPort: 9090}]"));
    assert_eq!(c["resources"]["limits"]["cpu"], "1");
    assert_eq!(pod["securityContext"]["runAsUser"], 10001);
    assert_eq!(pod["securityContext"]["fsGroup"], 10001);
    assert_eq!(pod["serviceAccountName"], "nodepool-operator");
    assert_eq!(pod["nodeSelector"]["kubernetes.io/os"], "linux");
    assert_eq!(pod["tolerations"][0]["operator"], "Exists");
    assert!(pod["affinity"]["podAntiAffinity"].is_mapping());
    assert_eq!(pod["topologySpreadConstraints"][0]["maxSkew"], 1);
    assert_eq!(pod["priorityClassName"], "system-cluster-critical");
    assert_eq!(pod["terminationGracePeriodSeconds"], 20);
    assert_eq!(pod_meta["annotations"]["example.com/owner"], "platform");
    assert_eq!(pod_meta["labels"]["team"], "platform");
    assert_eq!(pod_meta["labels"]["app.kubernetes.io/name"], "npc");
    for o in &objs {
        assert_eq!(
            o["metadata"]["labels"]["cost-center"],
            "42",
            "commonLabels on {:?}",
            key(o)
        );
    }

    let sa = find(&objs, "ServiceAccount", "nodepool-operator");
    assert_eq!(
        sa["metadata"]["annotations"]["example.com/cloud-identity"],
        "nodepool-operator@example"
    );
    // Namespaced RBAC: a Role and RoleBinding per watched namespace; the only ClusterRole reads
    // CloudAccounts (cluster-scoped) and grants nothing on Secrets.
    let cluster_roles = kinds(&objs, "ClusterRole");
    assert_eq!(cluster_roles.len(), 1);
    assert_eq!(
        cluster_roles[0]["rules"],
        yaml(
            "[{apiGroups: [cloud.nodepool.dev], resources: [cloudaccounts], verbs: [get, list, watch]}]"
        )
    );
    assert_eq!(kinds(&objs, "ClusterRoleBinding").len(), 1);
    for ns in ["team-a", "team-b"] {
        let role = objs
            .iter()
            .find(|o| o["kind"] == "Role" && o["metadata"]["namespace"] == ns)
            .unwrap_or_else(|| panic!("no Role in {ns}"));
        assert!(
            role["rules"]
                .as_sequence()
                .expect("rules")
                .iter()
                .any(|r| r["resources"] == yaml("[secrets]"))
        );
        let rb = objs
            .iter()
            .find(|o| o["kind"] == "RoleBinding" && o["metadata"]["namespace"] == ns)
            .unwrap_or_else(|| panic!("no RoleBinding in {ns}"));
        assert_eq!(rb["subjects"][0]["name"], "nodepool-operator");
        assert_eq!(rb["subjects"][0]["namespace"], "nodepool-system");
    }
    let lease_role = find(&objs, "Role", "platform-nodepools-leader-election");
    assert_eq!(lease_role["metadata"]["namespace"], "platform-leases");

    let pdb = find(&objs, "PodDisruptionBudget", name);
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert!(pdb["spec"]["minAvailable"].is_null());
    let svc = find(&objs, "Service", "platform-nodepools-metrics");
    assert_eq!(svc["spec"]["ports"][0]["port"], 9090);
    assert_eq!(svc["metadata"]["annotations"]["example.com/scrape"], "true");
    let sm = find(&objs, "ServiceMonitor", name);
    assert_eq!(sm["metadata"]["labels"]["release"], "kube-prometheus-stack");
    assert_eq!(sm["spec"]["endpoints"][0]["port"], "http");
    assert_eq!(sm["spec"]["endpoints"][0]["interval"], "30s");
    assert_eq!(
        sm["spec"]["endpoints"][0]["relabelings"][0]["replacement"],
        "prod-1"
    );
    assert_eq!(
        sm["spec"]["endpoints"][0]["metricRelabelings"][0]["action"],
        "drop"
    );
    assert!(selects(
        &sm["spec"]["selector"]["matchLabels"],
        &svc["metadata"]["labels"]
    ));
    let pm = find(&objs, "PodMonitor", name);
    assert_eq!(pm["spec"]["podMetricsEndpoints"][0]["interval"], "1m");
    assert!(selects(
        &pm["spec"]["selector"]["matchLabels"],
        &pod_meta["labels"]
    ));
    let crd = find(
        &objs,
        "CustomResourceDefinition",
        "nodepools.cloud.nodepool.dev",
    );
    assert!(crd["metadata"]["annotations"].is_null(), "crds.keep=false");
}

#[test]
fn the_schema_and_the_templates_refuse_bad_values() {
    for (args, says) in [
        (vec!["--set", "bogus=1"], "bogus"),
        (vec!["--set", "image.pullPolicy=Sometimes"], "pullPolicy"),
        (vec!["--set", "image.digest=latest"], "digest"),
        (
            vec!["--set", "leaderElection.leaseSecond=30"],
            "leaseSecond",
        ),
        (vec!["--set", "cloud.rate=0"], "rate"),
        (
            vec!["--set", "watchNamespaces[0]=Team_A"],
            "watchNamespaces",
        ),
        (vec!["--set", "logging.format=xml"], "format"),
        (
            vec![
                "--set",
                "serviceMonitor.enabled=true",
                "--set",
                "service.enabled=false",
            ],
            "service.enabled",
        ),
        (
            vec!["--set", "serviceAccount.create=false"],
            "serviceAccount.name",
        ),
    ] {
        match template(&args) {
            Ok(_) => panic!("{args:?} was accepted"),
            Err(e) => assert!(
                e.contains(says),
                "{args:?}: the error does not name {says}: {e}"
            ),
        }
    }
}

/// `kubectl auth can-i VERB WHAT... --as` the ServiceAccount, in a namespace or all (`None`).
fn can_i(sa_ns: &str, sa: &str, verb: &str, what: &[&str], in_ns: Option<&str>) -> bool {
    let mut cmd = common::kubectl();
    cmd.args(["auth", "can-i", verb])
        .args(what)
        .arg("--as")
        .arg(format!("system:serviceaccount:{sa_ns}:{sa}"));
    match in_ns {
        Some(ns) => cmd.args(["-n", ns]),
        None => cmd.arg("-A"),
    };
    let out = cmd.output().expect("kubectl auth can-i");
    let answer = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        answer == "yes" || answer == "no",
        "{cmd:?}: {answer} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    answer == "yes"
}

/// `helm install`, `upgrade` and `uninstall` against the local control plane; the RBAC the
/// chart makes is checked with the API server's authorizer (`kubectl auth can-i --as`).
#[tokio::test]
async fn chart_installs_upgrades_and_uninstalls_on_the_control_plane() {
    let client = common::client().await;
    let home = common::TestNamespace::new(&client, "chart-home").await;
    let watched = common::TestNamespace::new(&client, "chart-watched").await;
    let other = common::TestNamespace::new(&client, "chart-other").await;
    let release = common::unique("np");
    let sa = format!("{release}-nodepool-controller");
    let kubeconfig = common::kubeconfig_path();
    let helm_in = |verb: &str, extra: &[&str]| {
        let mut cmd = helm();
        cmd.arg(verb)
            .arg(&release)
            .arg(chart_dir())
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--namespace", &home.name])
            // The CRD is the control plane's, shared with the other tests.
            .args(["--set", "crds.install=false"])
            .args(extra);
        run(cmd)
    };
    // Namespaced: only the watched namespace's Secrets and NodePools.
    let watch = format!("watchNamespaces={{{}}}", watched.name);
    helm_in("install", &["--set", &watch]).expect("helm install");
    assert!(can_i(
        &home.name,
        &sa,
        "get",
        &["secrets"],
        Some(&watched.name)
    ));
    assert!(can_i(
        &home.name,
        &sa,
        "patch",
        &["nodepools.cloud.nodepool.dev", "--subresource=status"],
        Some(&watched.name)
    ));
    assert!(can_i(
        &home.name,
        &sa,
        "create",
        &["events.events.k8s.io"],
        Some(&watched.name)
    ));
    assert!(!can_i(
        &home.name,
        &sa,
        "get",
        &["secrets"],
        Some(&other.name)
    ));
    assert!(!can_i(&home.name, &sa, "list", &["secrets"], None));
    assert!(!can_i(
        &home.name,
        &sa,
        "list",
        &["nodepools.cloud.nodepool.dev"],
        None
    ));
    assert!(can_i(
        &home.name,
        &sa,
        "update",
        &["leases.coordination.k8s.io"],
        Some(&home.name)
    ));
    assert!(!can_i(
        &home.name,
        &sa,
        "delete",
        &["secrets"],
        Some(&watched.name)
    ));
    let mut cmd = common::kubectl();
    cmd.args([
        "-n",
        &home.name,
        "get",
        "deployment",
        &sa,
        "-o",
        "jsonpath={.spec.template.spec.containers[0].args}",
    ]);
    let args = run(cmd).expect("the Deployment exists");
    assert!(
        args.contains(&format!("--namespaces={}", watched.name)),
        "{args}"
    );

    // Cluster-wide after an upgrade: every namespace, no write on Secrets.
    helm_in("upgrade", &[]).expect("helm upgrade");
    assert!(can_i(&home.name, &sa, "list", &["secrets"], None));
    assert!(can_i(
        &home.name,
        &sa,
        "watch",
        &["nodepools.cloud.nodepool.dev"],
        None
    ));
    assert!(!can_i(
        &home.name,
        &sa,
        "update",
        &["secrets"],
        Some(&other.name)
    ));

    let mut cmd = helm();
    cmd.args([
        "uninstall",
        &release,
        "--namespace",
        &home.name,
        "--kubeconfig",
    ])
    .arg(&kubeconfig);
    run(cmd).expect("helm uninstall");
    assert!(!can_i(&home.name, &sa, "list", &["secrets"], None));

    // The chart's CRD as the API server sees it (a server-side dry run: the real CRD is shared).
    let mut render = helm();
    render
        .args(["template", "x"])
        .arg(chart_dir())
        .args(["--show-only", "templates/crds.yaml"]);
    let crd = run(render).expect("helm template the CRD");
    let path = Path::new(ROOT).join("target/chart-crd.yaml");
    std::fs::write(&path, crd).expect("write the rendered CRD");
    let mut apply = common::kubectl();
    apply
        .args([
            "apply",
            "--server-side",
            "--dry-run=server",
            "--force-conflicts",
        ])
        .args(["--field-manager", "chart-test", "-f"])
        .arg(&path);
    run(apply).expect("the API server accepts the chart's CRD");

    for ns in [home, watched, other] {
        ns.delete().await;
    }
}
