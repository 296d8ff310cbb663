//! Keyless credentials end to end: a controller with no credentials Secret at all, holding only
//! ServiceAccount tokens from the real API server (TokenRequest), runs NodePools of both clouds
//! through CloudAccounts — Alibaba RRSA chained to a tenant role with an ExternalId, Huawei OIDC
//! federation chained to an agency — against the simulator's identity services, which verify the
//! tokens against the API server's issuer. Credentials expire during the run and are refreshed
//! without a refused call; refusals (a token for the wrong audience, a revoked role, a namespace
//! the account does not allow) stall with a message and never loop; no token or temporary key
//! reaches logs, Events or status. Needs the local control plane (`tests/env/up.sh`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::e2e::*;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use nodepool_controller::crd::{CloudAccount, NodePool};
use serde_json::{Value, json};

const UID: &str = "1234567890123456";
const HW_AUDIENCE: &str = "nodepool-huawei";
/// Lifetime of every temporary credential the simulator issues in these tests.
const LIFETIME: u64 = 9;

fn role(name: &str) -> String {
    format!("acs:ram::{UID}:role/{name}")
}

fn provider() -> String {
    format!("acs:ram::{UID}:oidc-provider/ack-rrsa")
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("keyless-{tag}-{:08x}", fastrand::u32(..)));
        std::fs::create_dir_all(&p).expect("a temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The API server's ServiceAccount issuer and its CA (from the test kubeconfig's env dir).
fn issuer() -> (String, PathBuf) {
    let out = common::kubectl()
        .args(["get", "--raw", "/.well-known/openid-configuration"])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the discovery document");
    let ca = common::kubeconfig_path()
        .parent()
        .expect("the env dir")
        .join("pki/ca.crt");
    assert!(ca.exists(), "{} exists", ca.display());
    (doc["issuer"].as_str().expect("issuer").to_owned(), ca)
}

/// A token of ServiceAccount `sa` in `ns` for `audience`, from the TokenRequest API.
fn token(ns: &str, sa: &str, audience: &str) -> String {
    let out = common::kubectl()
        .args(["-n", ns, "create", "token", sa, "--audience", audience])
        .args(["--duration", "10m"])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("text")
        .trim()
        .to_owned()
}

/// The simulator with identity services trusting `subject`.
fn start_identity_sim(dir: &Path, subject: &str) -> (Proc, String) {
    let (issuer, ca) = issuer();
    let scenario = format!(
        r#"
huawei:
  accounts: [{{access_key: hw-ak, secret_key: hw-sk}}]
  clusters: ["{PROJECT}/{HW_CLUSTER}"]
alibaba:
  accounts: [{{access_key: ali-ak, secret_key: ali-sk}}]
  clusters: ["{ALI_CLUSTER}"]
timings: {{provision_seconds: 1, node_seconds: 0.2, delete_seconds: 1, update_seconds: 0.5}}
identity:
  credential_seconds: {LIFETIME}
  oidc: {{issuer: "{issuer}", ca_file: "{ca}"}}
  alibaba:
    oidc_providers: [{{arn: "{provider}"}}]
    roles:
      - arn: "{controller}"
        account: controller-account
        oidc_provider: "{provider}"
        oidc_subjects: ["{subject}"]
      - arn: "{tenant}"
        account: tenant-account
        trusted_principals: ["role:{controller}"]
        external_id: tenant-ext
      - arn: "{node}"
        account: node-account
  huawei:
    idps:
      - id: nodepool-idp
        domain_id: 0b1c2d3e4f5a
        domain_name: nodepool-domain
        audience: {HW_AUDIENCE}
        subjects: ["{subject}"]
        account: federated-account
    agencies:
      - {{domain_name: tenant-domain, name: cce-admin, account: tenant-account, trusted_principals: ["idp:nodepool-idp"]}}
  instance:
    alibaba_role: "{node}"
    alibaba_imds_v2_required: true
    huawei_agency: tenant-domain/cce-admin
    huawei_metadata_token_required: true
"#,
        ca = ca.display(),
        provider = provider(),
        controller = role("controller"),
        tenant = role("tenant"),
        node = role("node"),
    );
    let config = dir.join("scenario.yaml");
    std::fs::write(&config, scenario).expect("the scenario");
    let mut child: Child = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"))
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the simulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the simulator prints its address");
    let addr = line
        .trim()
        .rsplit(' ')
        .next()
        .expect("an address")
        .to_owned();
    (Proc(child), format!("http://{addr}"))
}

fn account(name: &str, cloud: &str, assume: Value, namespaces: &[&str]) -> CloudAccount {
    serde_json::from_value(json!({
        "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
        "metadata": {"name": name},
        "spec": {"cloud": cloud, "source": {"oidc": {}}, "assumeRole": assume,
                 "allowedNamespaces": namespaces}
    }))
    .expect("a CloudAccount")
}

/// A pool manifest of `common::e2e` with `accountRef` instead of `credentialsRef`.
fn with_account(mut manifest: Value, account: &str) -> Value {
    let spec = manifest["spec"].as_object_mut().expect("spec");
    spec.remove("credentialsRef");
    spec.insert("accountRef".into(), json!({"name": account}));
    manifest
}

struct Setup {
    ns: common::TestNamespace,
    sim: String,
    _sim: Proc,
    dir: TempDir,
    accounts: Vec<String>,
    ali_token: PathBuf,
    hw_token: PathBuf,
    client: kube::Client,
}

impl Setup {
    async fn new(tag: &str) -> Self {
        let client = common::client().await;
        let ns = common::TestNamespace::new(&client, tag).await;
        common::kubectl()
            .args(["-n", &ns.name, "create", "serviceaccount", "controller"])
            .output()
            .expect("kubectl runs");
        let dir = TempDir::new(tag);
        let subject = format!("system:serviceaccount:{}:controller", ns.name);
        let (proc, sim) = start_identity_sim(&dir.0, &subject);
        let ali_token = dir.0.join("ali-token");
        let hw_token = dir.0.join("hw-token");
        std::fs::write(
            &ali_token,
            token(&ns.name, "controller", "sts.aliyuncs.com"),
        )
        .unwrap();
        std::fs::write(&hw_token, token(&ns.name, "controller", HW_AUDIENCE)).unwrap();
        let accounts = Api::<CloudAccount>::all(client.clone());
        let names = vec![format!("{}-ali", ns.name), format!("{}-hw", ns.name)];
        accounts
            .create(
                &PostParams::default(),
                &account(
                    &names[0],
                    "Alibaba",
                    json!({"roleArn": role("tenant"), "externalId": "tenant-ext"}),
                    &[&ns.name],
                ),
            )
            .await
            .expect("the Alibaba CloudAccount");
        accounts
            .create(
                &PostParams::default(),
                &account(
                    &names[1],
                    "Huawei",
                    json!({"domainName": "tenant-domain", "agencyName": "cce-admin"}),
                    &[&ns.name],
                ),
            )
            .await
            .expect("the Huawei CloudAccount");
        Setup {
            ns,
            sim,
            _sim: proc,
            dir,
            accounts: names,
            ali_token,
            hw_token,
            client,
        }
    }

    fn controller(&self, log: &Path) -> Proc {
        self.controller_with(log, &[])
    }

    fn controller_with(&self, log: &Path, more: &[&str]) -> Proc {
        let mut ctl = Ctl::new(&self.ns.name, &self.sim);
        ctl.log = Some(log);
        ctl.resync = "1";
        ctl.rust_log = "debug,kube=warn,hyper=warn,reqwest=warn,h2=warn,tower=warn";
        ctl.extra = [
            "--alibaba-sts-endpoint",
            &self.sim,
            "--huawei-iam-endpoint",
            &self.sim,
            "--alibaba-role-arn",
            &role("controller"),
            "--alibaba-oidc-provider-arn",
            &provider(),
            "--alibaba-oidc-token-file",
            &self.ali_token.display().to_string(),
            "--huawei-idp-id",
            "nodepool-idp",
            "--huawei-id-token-file",
            &self.hw_token.display().to_string(),
            "--credential-duration-seconds",
            "900",
        ]
        .iter()
        .chain(more)
        .map(|s| s.to_string())
        .collect();
        ctl.start()
    }

    fn api(&self) -> Api<NodePool> {
        Api::namespaced(self.client.clone(), &self.ns.name)
    }

    async fn finish(self) {
        let accounts = Api::<CloudAccount>::all(self.client.clone());
        for name in &self.accounts {
            let _ = accounts.delete(name, &DeleteParams::default()).await;
        }
        self.ns.delete().await;
    }
}

/// Calls of `cloud` at the simulator with `outcome`.
async fn calls(sim: &str, cloud: &str, outcome: &str) -> u64 {
    sim_count(sim, cloud, |_, o| o == outcome).await
}

async fn identity_calls(sim: &str) -> u64 {
    sim_count(sim, "alibaba-sts", |_, _| true).await
        + sim_count(sim, "huawei-iam", |_, _| true).await
}

#[tokio::test]
async fn without_any_secret_both_clouds_run_keyless_and_credentials_are_refreshed_in_time() {
    let s = Setup::new("keyless").await;
    let log = s.dir.0.join("controller.log");
    let _ctl = s.controller(&log);
    let started = std::time::Instant::now();
    let api = s.api();
    create(&api, with_account(alibaba_pool("ack", 1), &s.accounts[0])).await;
    create(&api, with_account(huawei_pool("cce", 1), &s.accounts[1])).await;
    let ack = wait_ready(&api, "ack", 1).await;
    let cce = wait_ready(&api, "cce", 1).await;
    assert!(ack.status.and_then(|st| st.id).is_some());
    assert!(cce.status.and_then(|st| st.id).is_some());

    // Three lifetimes of the temporary credentials, with reads every second and two updates.
    for (round, nodes) in [(1, 2), (2, 3)] {
        tokio::time::sleep(Duration::from_secs(LIFETIME + 2)).await;
        let generation = patch_spec(
            &api,
            "ack",
            json!({"alibaba": {"scalingGroup": {"desiredSize": nodes}}}),
        )
        .await;
        wait_ready(&api, "ack", generation).await;
        let generation =
            patch_spec(&api, "cce", json!({"huawei": {"initialNodeCount": nodes}})).await;
        wait_ready(&api, "cce", generation).await;
        eprintln!("round {round}: updated both pools to {nodes} nodes");
    }
    tokio::time::sleep(Duration::from_secs(LIFETIME)).await;

    // Every node-pool call was accepted: none was made with expired or refused credentials.
    for cloud in ["alibaba", "huawei"] {
        assert!(
            calls(&s.sim, cloud, "ok").await > 10,
            "{cloud}: calls were made"
        );
        for refused in ["unauthorized", "forbidden", "invalid"] {
            assert_eq!(
                calls(&s.sim, cloud, refused).await,
                0,
                "{cloud}: {refused} calls"
            );
        }
    }
    // The credentials were refreshed (more than one set per chain), and every identity call
    // succeeded: RRSA, then AssumeRole with the ExternalId; federation, then the agency.
    let ops = |cloud: &'static str, op: &'static str| {
        let sim = s.sim.clone();
        async move { sim_count(&sim, cloud, move |o, out| o == op && out == "ok").await }
    };
    let assumed = ops("alibaba-sts", "AssumeRole").await;
    let agency = ops("huawei-iam", "CreateTemporaryAccessKeyByAgency").await;
    assert!(assumed >= 3, "AssumeRole {assumed} times");
    assert!(agency >= 3, "the agency assumed {agency} times");
    assert!(ops("alibaba-sts", "AssumeRoleWithOIDC").await >= 1);
    assert!(ops("huawei-iam", "CreateTokenWithIdToken").await >= 1);
    for cloud in ["alibaba-sts", "huawei-iam"] {
        assert_eq!(
            sim_count(&s.sim, cloud, |_, o| o != "ok").await,
            0,
            "{cloud}: refused identity calls"
        );
    }
    // Refreshes follow the lifetime, not the reconciles (one every second): one set per two
    // thirds of it, at most.
    let most = (started.elapsed().as_secs_f64() / (LIFETIME as f64 * 2.0 / 3.0)).ceil() as u64 + 2;
    assert!(
        assumed <= most,
        "AssumeRole {assumed} times, at most {most} expected"
    );
    assert!(
        agency <= most,
        "the agency assumed {agency} times, at most {most} expected"
    );

    // No Secret was ever needed.
    let secrets =
        Api::<k8s_openapi::api::core::v1::Secret>::namespaced(s.client.clone(), &s.ns.name)
            .list(&Default::default())
            .await
            .unwrap();
    assert!(secrets.items.is_empty(), "no Secret in the namespace");

    // No token or temporary credential in the logs, Events or status.
    let issued = sim_get(&s.sim, "identity/issued").await;
    let mut secrets: Vec<String> = issued["secrets"]
        .as_array()
        .expect("issued secrets")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    assert!(secrets.len() >= 8, "the simulator remembers what it issued");
    secrets.push(std::fs::read_to_string(&s.ali_token).unwrap());
    secrets.push(std::fs::read_to_string(&s.hw_token).unwrap());
    let logs = std::fs::read_to_string(&log).expect("the controller's log");
    assert!(logs.contains("cloud_call"), "the log is the debug log");
    let mut seen = logs;
    for name in ["ack", "cce"] {
        let np = api.get(name).await.unwrap();
        seen.push_str(&serde_json::to_string(&np.status).unwrap());
        for e in events_for(&s.client, &s.ns.name, name).await {
            seen.push_str(&serde_json::to_string(&e).unwrap());
        }
    }
    for secret in &secrets {
        assert!(!secret.is_empty());
        assert!(
            !seen.contains(secret.as_str()),
            "a credential leaked into logs/Events/status"
        );
    }
    s.finish().await;
}

#[tokio::test]
async fn on_a_cloud_instance_the_metadata_services_give_the_credentials() {
    let s = Setup::new("keyless-metadata").await;
    let accounts = Api::<CloudAccount>::all(s.client.clone());
    let names = [
        format!("{}-ali-md", s.ns.name),
        format!("{}-hw-md", s.ns.name),
    ];
    for (name, cloud) in names.iter().zip(["Alibaba", "Huawei"]) {
        let account: CloudAccount = serde_json::from_value(json!({
            "apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
            "metadata": {"name": name},
            "spec": {"cloud": cloud, "source": {"instanceMetadata": {}},
                     "allowedNamespaces": [s.ns.name]}
        }))
        .unwrap();
        accounts
            .create(&PostParams::default(), &account)
            .await
            .unwrap();
    }
    let log = s.dir.0.join("controller.log");
    let _ctl = s.controller_with(
        &log,
        &[
            "--alibaba-metadata-endpoint",
            &s.sim,
            "--huawei-metadata-endpoint",
            &s.sim,
        ],
    );
    let api = s.api();
    create(&api, with_account(alibaba_pool("ack", 1), &names[0])).await;
    create(&api, with_account(huawei_pool("cce", 1), &names[1])).await;
    wait_ready(&api, "ack", 1).await;
    wait_ready(&api, "cce", 1).await;
    // Past the first credentials' expiry, and still every call accepted.
    tokio::time::sleep(Duration::from_secs(LIFETIME + 2)).await;
    let generation = patch_spec(&api, "cce", json!({"huawei": {"initialNodeCount": 2}})).await;
    wait_ready(&api, "cce", generation).await;
    let ok = |cloud: &'static str, op: &'static str| {
        let sim = s.sim.clone();
        async move { sim_count(&sim, cloud, move |o, out| o == op && out == "ok").await }
    };
    assert!(ok("alibaba-metadata", "GetRamRoleCredentials").await >= 2);
    assert!(ok("alibaba-metadata", "GetMetadataToken").await >= 2);
    assert!(ok("huawei-metadata", "GetSecurityKey").await >= 2);
    for cloud in ["alibaba", "huawei", "alibaba-metadata", "huawei-metadata"] {
        assert_eq!(
            sim_count(&s.sim, cloud, |_, o| o != "ok").await,
            0,
            "{cloud}: refused calls"
        );
    }
    for name in &names {
        let _ = accounts.delete(name, &DeleteParams::default()).await;
    }
    s.finish().await;
}

#[tokio::test]
async fn refused_credentials_stall_with_what_to_fix_and_never_loop() {
    let s = Setup::new("keyless-refused").await;
    // The Huawei token is for the wrong audience; the Alibaba tenant role is revoked.
    std::fs::write(
        &s.hw_token,
        token(&s.ns.name, "controller", "sts.aliyuncs.com"),
    )
    .unwrap();
    let admin = reqwest::Client::builder().no_proxy().build().unwrap();
    let revoke = |path: &'static str| {
        let (admin, sim) = (admin.clone(), s.sim.clone());
        async move {
            let r = admin
                .post(format!("{sim}/_sim/identity/{path}"))
                .json(&json!({"alibaba_role": role("tenant")}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    revoke("revoke").await;
    // A namespace the accounts do not allow.
    let other = common::TestNamespace::new(&s.client, "keyless-other").await;
    let log = s.dir.0.join("controller.log");
    let mut ctl = Ctl::new(&s.ns.name, &s.sim);
    ctl.log = Some(&log);
    let _ctl = s.controller(&log);
    let other_log = s.dir.0.join("other.log");
    ctl.namespace = &other.name;
    ctl.log = Some(&other_log);
    ctl.extra = vec!["--alibaba-sts-endpoint".into(), s.sim.clone()];
    let _other_ctl = ctl.start();

    let api = s.api();
    create(&api, with_account(alibaba_pool("ack", 1), &s.accounts[0])).await;
    create(&api, with_account(huawei_pool("cce", 1), &s.accounts[1])).await;
    let other_api: Api<NodePool> = Api::namespaced(s.client.clone(), &other.name);
    create(
        &other_api,
        with_account(alibaba_pool("stranger", 1), &s.accounts[0]),
    )
    .await;

    let ack = wait_for(&api, "ack", "stalled", Duration::from_secs(60), |np| {
        stalled_with(np, "CredentialsRefused")
    })
    .await
    .expect("present");
    let message = condition(&ack, "Stalled")
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(message.contains("NoPermission"), "{message}");
    let cce = wait_for(&api, "cce", "stalled", Duration::from_secs(60), |np| {
        stalled_with(np, "CredentialsRefused")
    })
    .await
    .expect("present");
    let message = condition(&cce, "Stalled")
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(
        message.contains("401") || message.contains("Unauthorized"),
        "{message}"
    );
    let stranger = wait_for(
        &other_api,
        "stranger",
        "stalled",
        Duration::from_secs(60),
        |np| stalled_with(np, "CloudAccountNotAllowed"),
    )
    .await
    .expect("present");
    let message = condition(&stranger, "Stalled")
        .map(|c| c.message.clone())
        .unwrap_or_default();
    assert!(message.contains("allowedNamespaces"), "{message}");

    // Nothing reached the node-pool APIs, and the identity services are not hammered.
    for cloud in ["alibaba", "huawei"] {
        assert_eq!(
            sim_count(&s.sim, cloud, |_, _| true).await,
            0,
            "{cloud} calls"
        );
    }
    let before = identity_calls(&s.sim).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after = identity_calls(&s.sim).await;
    assert!(
        after - before <= 2,
        "identity calls kept coming: {before} -> {after}"
    );

    // The fixes: the role restored and the account touched; a token of the right audience.
    revoke("restore").await;
    std::fs::write(&s.hw_token, token(&s.ns.name, "controller", HW_AUDIENCE)).unwrap();
    let accounts = Api::<CloudAccount>::all(s.client.clone());
    for name in &s.accounts {
        accounts
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"annotations": {"fixed": "yes"}}})),
            )
            .await
            .unwrap();
    }
    wait_ready(&api, "ack", 1).await;
    wait_ready(&api, "cce", 1).await;
    other.delete().await;
    s.finish().await;
}

#[tokio::test]
async fn bad_credential_settings_are_refused_at_apply() {
    let cases = [
        (
            json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
                   "metadata": {"name": "two-sources"},
                   "spec": {"cloud": "Alibaba", "allowedNamespaces": ["a"],
                            "source": {"oidc": {}, "instanceMetadata": {}}}}),
            "set exactly one of spec.source.secretRef, spec.source.oidc or spec.source.instanceMetadata",
        ),
        (
            json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
                   "metadata": {"name": "huawei-with-arn"},
                   "spec": {"cloud": "Huawei", "allowedNamespaces": ["a"], "source": {"oidc": {}},
                            "assumeRole": {"roleArn": role("x")}}}),
            "assumeRole.roleArn and assumeRole.externalId are Alibaba Cloud's",
        ),
        (
            json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
                   "metadata": {"name": "bad-arn"},
                   "spec": {"cloud": "Alibaba", "allowedNamespaces": ["a"], "source": {"oidc": {}},
                            "assumeRole": {"roleArn": "arn:aws:iam::1:role/x"}}}),
            "roleArn must look like acs:ram::<account ID>:role/<role name>",
        ),
        (
            json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
                   "metadata": {"name": "agency-half"},
                   "spec": {"cloud": "Huawei", "allowedNamespaces": ["a"], "source": {"instanceMetadata": {}},
                            "assumeRole": {"agencyName": "x"}}}),
            "assumeRole needs roleArn (Alibaba Cloud) or domainName and agencyName (Huawei Cloud)",
        ),
        (
            json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
                   "metadata": {"name": "bad-namespace"},
                   "spec": {"cloud": "Alibaba", "allowedNamespaces": ["Team_A"], "source": {"oidc": {}}}}),
            "allowedNamespaces lists namespace names",
        ),
        (
            {
                let mut np = alibaba_pool("both", 1);
                np["metadata"]["namespace"] = json!("default");
                np["spec"]["accountRef"] = json!({"name": "a"});
                np
            },
            "set exactly one of spec.credentialsRef (a credentials Secret in this namespace) or spec.accountRef",
        ),
        (
            {
                let mut np = alibaba_pool("neither", 1);
                np["metadata"]["namespace"] = json!("default");
                np["spec"].as_object_mut().unwrap().remove("credentialsRef");
                np
            },
            "set exactly one of spec.credentialsRef (a credentials Secret in this namespace) or spec.accountRef",
        ),
    ];
    for (manifest, expected) in cases {
        let out = dry_run(&manifest);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "accepted: {manifest}");
        assert!(stderr.contains(expected), "{manifest}: {stderr}");
    }
    // And a good one passes.
    let good = json!({"apiVersion": "cloud.nodepool.dev/v1alpha1", "kind": "CloudAccount",
        "metadata": {"name": "good"},
        "spec": {"cloud": "Huawei", "allowedNamespaces": ["*"], "source": {"oidc": {"idpId": "idp"}},
                 "assumeRole": {"domainName": "d", "agencyName": "a", "durationSeconds": 900}}});
    let out = dry_run(&good);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `kubectl apply --dry-run=server` of one manifest.
fn dry_run(manifest: &Value) -> std::process::Output {
    use std::io::Write;
    let mut child = common::kubectl()
        .args(["apply", "--dry-run=server", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(manifest.to_string().as_bytes())
        .expect("the manifest is written");
    child.wait_with_output().expect("kubectl finishes")
}
