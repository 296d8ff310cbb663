//! The simulator's identity services (Alibaba STS, Huawei IAM federation, both metadata
//! services) with ID tokens from the real local API server's TokenRequest API, verified against
//! its ServiceAccount issuer; temporary keys at the node-pool APIs until and after they expire;
//! revocation; counters; and the official credential libraries (`tests/sdk/interop_identity.py`).
//!
//! Needs the local control plane (`NODEPOOL_TEST_KUBECONFIG`, `NODEPOOL_KUBECTL`; see
//! `tests/env/up.sh`) and, for the library test, `NODEPOOL_SDK_PYTHON`. Without them the tests
//! fail rather than skip.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use jiff::Timestamp;
use nodepool_controller::cloud::alibaba::sign as alibaba_sign;
use nodepool_controller::cloud::huawei::sign as huawei_sign;
use nodepool_controller::cloud::sign::{RequestToSign, uri_encode};
use nodepool_controller::sim::identity::alibaba_sts::{rpc_signature, rpc_string_to_sign};
use secrecy::SecretString;
use serde_json::{Value, json};

const UID: &str = "1234567890123456";
const PROJECT: &str = "0a1b2c3d4e5f";
const HW_CLUSTER: &str = "cce-cluster-1";
const ACK: &str = "c-ack-1";
const HW_AUDIENCE: &str = "nodepool-huawei";

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: this test needs the local control plane (eval \"$(tests/env/up.sh)\"; \
             export NODEPOOL_TEST_KUBECONFIG=$KUBECONFIG NODEPOOL_KUBECTL=$(tests/env/build.sh)/kubectl \
             NODEPOOL_SDK_PYTHON=$(tests/sdk/venv.sh)/bin/python), as scripts/test.sh does"
        )
    })
}

/// The local control plane: kubectl, the issuer, its CA and signing key, a test namespace.
struct Cluster {
    kubectl: String,
    kubeconfig: String,
    issuer: String,
    ca: PathBuf,
    sa_key: PathBuf,
    namespace: String,
}

impl Cluster {
    fn new(tag: &str) -> Self {
        let kubeconfig = env("NODEPOOL_TEST_KUBECONFIG");
        let kubectl = env("NODEPOOL_KUBECTL");
        let pki = Path::new(&kubeconfig)
            .parent()
            .expect("kubeconfig in the env dir")
            .join("pki");
        let mut c = Self {
            kubectl,
            kubeconfig,
            issuer: String::new(),
            ca: pki.join("ca.crt"),
            sa_key: pki.join("sa.key"),
            namespace: format!("sim-identity-{tag}-{:08x}", fastrand::u32(..)),
        };
        let doc: Value =
            serde_json::from_str(&c.run(&["get", "--raw", "/.well-known/openid-configuration"]))
                .expect("discovery document");
        c.issuer = doc["issuer"].as_str().expect("issuer").to_owned();
        c.run(&["create", "namespace", &c.namespace.clone()]);
        for sa in ["controller", "intruder"] {
            c.run(&["-n", &c.namespace.clone(), "create", "serviceaccount", sa]);
        }
        c
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.kubectl)
            .arg(format!("--kubeconfig={}", self.kubeconfig))
            .args(args)
            .output()
            .expect("running kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn subject(&self, sa: &str) -> String {
        format!("system:serviceaccount:{}:{sa}", self.namespace)
    }

    /// A token from the real TokenRequest API.
    fn token(&self, sa: &str, audience: &str) -> String {
        self.run(&[
            "-n",
            &self.namespace,
            "create",
            "token",
            sa,
            "--audience",
            audience,
            "--duration",
            "10m",
        ])
        .trim()
        .to_owned()
    }

    /// The issuer's signing key id (from its JWKS).
    fn kid(&self) -> String {
        let jwks: Value =
            serde_json::from_str(&self.run(&["get", "--raw", "/openid/v1/jwks"])).unwrap();
        jwks["keys"][0]["kid"].as_str().unwrap().to_owned()
    }

    /// A token signed by `key` (PEM RSA private key) with the given header and claims: the
    /// TokenRequest API cannot make expired or foreign tokens, so these are signed with openssl.
    fn mint(&self, key: &Path, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut child = Command::new("openssl")
            .args(["dgst", "-sha256", "-sign"])
            .arg(key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "openssl dgst failed");
        format!("{input}.{}", b64url(&out.stdout))
    }

    fn claims(&self, sa: &str, audience: &str, exp_offset: i64) -> Value {
        let now = Timestamp::now().as_second();
        json!({"iss": self.issuer, "sub": self.subject(sa), "aud": [audience],
               "iat": now - 700, "nbf": now - 700, "exp": now + exp_offset})
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.kubectl)
            .arg(format!("--kubeconfig={}", self.kubeconfig))
            .args(["delete", "namespace", &self.namespace, "--wait=false"])
            .output();
    }
}

/// A running simulator binary, killed when dropped.
struct Sim {
    child: Child,
    url: String,
    http: reqwest::Client,
    _dir: TempDir,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("sim-identity-{tag}-{:08x}", fastrand::u32(..)));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn role(name: &str) -> String {
    format!("acs:ram::{UID}:role/{name}")
}

fn provider() -> String {
    format!("acs:ram::{UID}:oidc-provider/ack-rrsa")
}

/// The scenario: a controller role (OIDC), a target role (AssumeRole with ExternalId, trusting
/// the account and the controller role), a node role for the instance; an IdP and two agencies
/// (one trusting the IdP, one trusting the first agency), the second the instance's.
fn scenario(cluster: &Cluster, seconds: u64) -> String {
    let subject = cluster.subject("controller");
    format!(
        r#"
huawei:
  accounts: [{{access_key: hw-ak, secret_key: hw-sk}}]
  clusters: ["{PROJECT}/{HW_CLUSTER}"]
alibaba:
  accounts: [{{access_key: ali-ak, secret_key: ali-sk}}]
  clusters: ["{ACK}"]
timings: {{provision_seconds: 0.3, node_seconds: 0.1, delete_seconds: 0.3, update_seconds: 0.3}}
identity:
  credential_seconds: {seconds}
  oidc: {{issuer: "{issuer}", ca_file: "{ca}"}}
  alibaba:
    oidc_providers: [{{arn: "{provider}"}}]
    roles:
      - arn: "{controller}"
        account: role-account
        oidc_provider: "{provider}"
        oidc_subjects: ["{subject}"]
      - arn: "{target}"
        account: ali-ak
        trusted_principals: ["account:ali-ak", "role:{controller}"]
        external_id: ext-123
      - arn: "{node}"
        account: ali-ak
  huawei:
    idps:
      - id: nodepool-idp
        domain_id: 0b1c2d3e4f5a
        domain_name: nodepool-domain
        audience: {HW_AUDIENCE}
        subjects: ["{subject}"]
        account: hw-ak
    agencies:
      - {{domain_name: nodepool-domain, name: cce-admin, account: hw-ak, trusted_principals: ["idp:nodepool-idp", "account:hw-ak"]}}
      - {{domain_name: other-domain, name: cce-operator, account: hw-ak, trusted_principals: ["agency:nodepool-domain/cce-admin"]}}
  instance:
    alibaba_role: "{node}"
    alibaba_imds_v2_required: true
    huawei_agency: other-domain/cce-operator
    huawei_metadata_token_required: true
"#,
        issuer = cluster.issuer,
        ca = cluster.ca.display(),
        provider = provider(),
        controller = role("controller"),
        target = role("target"),
        node = role("node"),
    )
}

fn start(cluster: &Cluster, seconds: u64) -> Sim {
    let dir = TempDir::new("sim");
    let config = dir.0.join("scenario.yaml");
    std::fs::write(&config, scenario(cluster, seconds)).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"))
        .args(["--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting nodepool-cloudsim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("reading the listen line");
    let addr = line
        .trim()
        .strip_prefix("nodepool-cloudsim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Sim {
        child,
        url: format!("http://{addr}"),
        http: reqwest::Client::builder().no_proxy().build().unwrap(),
        _dir: dir,
    }
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["Code"]
            .as_str()
            .or_else(|| self.body["code"].as_str())
            .or_else(|| self.body["error_code"].as_str())
            .unwrap_or("")
    }
}

/// Temporary credentials: (access key, secret, security token).
#[derive(Clone)]
struct Temp {
    ak: String,
    sk: String,
    token: String,
}

impl Sim {
    async fn send(
        &self,
        method: &str,
        pq: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{pq}", self.url));
        for (n, v) in headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let resp = req.body(body).send().await.expect("an answer");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let a = self
            .send(
                method,
                path,
                &[],
                body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
            )
            .await;
        assert!(a.status < 300, "admin {path}: {} {}", a.status, a.text);
        a.body
    }

    async fn counter(&self, cloud: &str, op: &str, outcome: &str) -> u64 {
        let c = self.admin("GET", "/_sim/counters", None).await;
        c["counters"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|x| x["cloud"] == cloud && x["operation"] == op && x["outcome"] == outcome)
            .filter_map(|x| x["count"].as_u64())
            .sum()
    }

    /// An STS call with form-encoded query parameters (GET), as the credentials libraries send.
    async fn sts(&self, params: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(String, String)> = vec![
            ("Format".into(), "JSON".into()),
            ("Version".into(), "2015-04-01".into()),
            (
                "Timestamp".into(),
                Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ),
        ];
        all.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let q: Vec<String> = all
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
            .collect();
        self.send("GET", &format!("/?{}", q.join("&")), &[], Vec::new())
            .await
    }

    async fn oidc(&self, role: &str, token: &str) -> Answer {
        self.sts(&[
            ("Action", "AssumeRoleWithOIDC"),
            ("RoleArn", role),
            ("OIDCProviderArn", &provider()),
            ("OIDCToken", token),
            ("RoleSessionName", "sim-test"),
            ("DurationSeconds", "900"),
        ])
        .await
    }

    /// `AssumeRole`, signed with (ak, sk) and carrying `token` as SecurityToken when given;
    /// `tamper` changes a parameter after signing.
    #[allow(clippy::too_many_arguments)]
    async fn assume_role(
        &self,
        ak: &str,
        sk: &str,
        token: Option<&str>,
        role: &str,
        external_id: Option<&str>,
        nonce: &str,
        tamper: bool,
    ) -> Answer {
        let mut params: Vec<(String, String)> = [
            ("Action", "AssumeRole"),
            ("Format", "JSON"),
            ("Version", "2015-04-01"),
            ("RoleArn", role),
            ("RoleSessionName", "sim-chain"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureVersion", "1.0"),
            ("SignatureNonce", nonce),
            ("AccessKeyId", ak),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        params.push((
            "Timestamp".into(),
            Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        ));
        if let Some(e) = external_id {
            params.push(("ExternalId".into(), e.into()));
        }
        if let Some(t) = token {
            params.push(("SecurityToken".into(), t.into()));
        }
        let sig = rpc_signature(
            &SecretString::from(sk.to_owned()),
            &rpc_string_to_sign("GET", &params),
        );
        params.push(("Signature".into(), sig));
        if tamper {
            params.push(("DurationSeconds".into(), "1000".into()));
        }
        let q: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
            .collect();
        self.send("GET", &format!("/?{}", q.join("&")), &[], Vec::new())
            .await
    }

    /// ACK `DescribeClusterNodePools`, ACS3-signed, with `token` in `x-acs-security-token`.
    async fn ack_list(&self, ak: &str, sk: &str, token: Option<&str>) -> Answer {
        let host = self.url.trim_start_matches("http://").to_owned();
        let path = format!("/clusters/{ACK}/nodepools");
        let mut base = vec![
            ("accept", "application/json"),
            ("host", host.as_str()),
            ("user-agent", "sim-identity-test"),
            ("x-acs-action", "DescribeClusterNodePools"),
            ("x-acs-version", "2015-12-15"),
        ];
        if let Some(t) = token {
            base.push(("x-acs-security-token", t));
        }
        let req = RequestToSign {
            method: "GET",
            path: &path,
            query: &[],
            headers: &base,
            body: &[],
        };
        let nonce = format!("{:032x}", fastrand::u128(..));
        let signed = alibaba_sign::sign(
            &req,
            ak,
            &SecretString::from(sk.to_owned()),
            Timestamp::now(),
            &nonce,
        )
        .unwrap();
        let mut headers: Vec<(String, String)> = base
            .iter()
            .filter(|(n, _)| *n != "host")
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        headers.extend(
            signed
                .headers_to_add
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone())),
        );
        self.send("GET", &path, &headers, Vec::new()).await
    }

    /// A Huawei request signed with SDK-HMAC-SHA256, with `token` in `X-Security-Token`.
    #[allow(clippy::too_many_arguments)]
    async fn huawei_signed(
        &self,
        ak: &str,
        sk: &str,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
        project: Option<&str>,
    ) -> Answer {
        let host = self.url.trim_start_matches("http://").to_owned();
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut base = vec![
            ("Content-Type", "application/json"),
            ("Host", host.as_str()),
            ("User-Agent", "sim-identity-test"),
        ];
        if let Some(p) = project {
            base.push(("X-Project-Id", p));
        }
        if let Some(t) = token {
            base.push(("X-Security-Token", t));
        }
        let req = RequestToSign {
            method,
            path,
            query: &[],
            headers: &base,
            body: &body,
        };
        let signed = huawei_sign::sign(
            &req,
            ak,
            &SecretString::from(sk.to_owned()),
            Timestamp::now(),
        )
        .unwrap();
        let mut headers: Vec<(String, String)> = base
            .iter()
            .filter(|(n, _)| *n != "Host")
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        headers.extend(
            signed
                .headers_to_add
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone())),
        );
        self.send(method, path, &headers, body).await
    }

    async fn cce_list(&self, ak: &str, sk: &str, token: Option<&str>) -> Answer {
        let path = format!("/api/v3/projects/{PROJECT}/clusters/{HW_CLUSTER}/nodepools");
        self.huawei_signed(ak, sk, token, "GET", &path, None, Some(PROJECT))
            .await
    }

    async fn iam_json(&self, path: &str, headers: &[(&str, &str)], body: Value) -> Answer {
        let mut h: Vec<(String, String)> = vec![(
            "Content-Type".into(),
            "application/json;charset=UTF-8".into(),
        )];
        h.extend(
            headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
        );
        self.send("POST", path, &h, body.to_string().into_bytes())
            .await
    }

    async fn id_token(&self, idp: &str, jwt: &str, scope: Option<Value>) -> Answer {
        let mut auth = json!({"id_token": {"id": jwt}});
        if let Some(s) = scope {
            auth["scope"] = s;
        }
        self.iam_json(
            "/v3.0/OS-AUTH/id-token/tokens",
            &[("X-Idp-Id", idp)],
            json!({"auth": auth}),
        )
        .await
    }
}

fn temp_alibaba(a: &Answer) -> Temp {
    assert_eq!(a.status, 200, "{}", a.text);
    let c = &a.body["Credentials"];
    Temp {
        ak: c["AccessKeyId"].as_str().unwrap().to_owned(),
        sk: c["AccessKeySecret"].as_str().unwrap().to_owned(),
        token: c["SecurityToken"].as_str().unwrap().to_owned(),
    }
}

fn temp_huawei(a: &Answer) -> Temp {
    assert_eq!(a.status, 201, "{}", a.text);
    let c = &a.body["credential"];
    Temp {
        ak: c["access"].as_str().unwrap().to_owned(),
        sk: c["secret"].as_str().unwrap().to_owned(),
        token: c["securitytoken"].as_str().unwrap().to_owned(),
    }
}

fn assert_error(a: &Answer, status: u16, code: &str, what: &str) {
    assert_eq!((a.status, a.code()), (status, code), "{what}: {}", a.text);
    // STS errors carry the whole STS error shape.
    if a.body.get("HostId").is_some() {
        for k in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(a.body[k].is_string(), "{what}: no {k} in {}", a.text);
        }
    }
}

/// Seconds until an expiry in the `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` form.
fn seconds_left(expiration: &str) -> f64 {
    let t: Timestamp = expiration.parse().unwrap();
    (t.as_millisecond() - Timestamp::now().as_millisecond()) as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alibaba_sts_and_ack_with_temporary_keys() {
    let cluster = Cluster::new("ali");
    let sim = start(&cluster, 8);
    let good = cluster.token("controller", "sts.aliyuncs.com");

    // AssumeRoleWithOIDC with a real ServiceAccount token.
    let a = sim.oidc(&role("controller"), &good).await;
    let t1 = temp_alibaba(&a);
    assert!(t1.ak.starts_with("STS."), "{}", t1.ak);
    let left = seconds_left(a.body["Credentials"]["Expiration"].as_str().unwrap());
    assert!(
        (6.0..=8.5).contains(&left),
        "configured lifetime 8 s, {left} s left"
    );
    assert_eq!(
        a.body["AssumedRoleUser"]["Arn"],
        format!("{}/sim-test", role("controller"))
    );
    assert!(
        a.body["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":sim-test")
    );
    assert_eq!(
        a.body["OIDCTokenInfo"]["Subject"],
        cluster.subject("controller")
    );
    assert_eq!(a.body["OIDCTokenInfo"]["Issuer"], cluster.issuer.as_str());
    assert!(a.body["RequestId"].is_string());

    // Refusals of the token.
    let kid = cluster.kid();
    let wrong_aud = cluster.token("controller", "not-sts");
    assert_error(
        &sim.oidc(&role("controller"), &wrong_aud).await,
        401,
        "AuthenticationFail.OIDCToken.AudienceNotMatch",
        "wrong audience",
    );
    let intruder = cluster.token("intruder", "sts.aliyuncs.com");
    assert_error(
        &sim.oidc(&role("controller"), &intruder).await,
        403,
        "NoPermission",
        "subject not trusted",
    );
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let expired = cluster.mint(
        &cluster.sa_key,
        &header,
        &cluster.claims("controller", "sts.aliyuncs.com", -60),
    );
    assert_error(
        &sim.oidc(&role("controller"), &expired).await,
        401,
        "AuthenticationFail.OIDCToken.Expired",
        "expired token (signed by the issuer's own key)",
    );
    let mut foreign_claims = cluster.claims("controller", "sts.aliyuncs.com", 600);
    foreign_claims["iss"] = json!("https://issuer.invalid");
    let foreign_iss = cluster.mint(&cluster.sa_key, &header, &foreign_claims);
    assert_error(
        &sim.oidc(&role("controller"), &foreign_iss).await,
        401,
        "AuthenticationFail.OIDCToken.Invalid",
        "foreign issuer",
    );
    let dir = TempDir::new("key");
    let other_key = dir.0.join("other.key");
    assert!(
        Command::new("openssl")
            .args(["genrsa", "-out"])
            .arg(&other_key)
            .arg("2048")
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success()
    );
    let forged = cluster.mint(
        &other_key,
        &header,
        &cluster.claims("controller", "sts.aliyuncs.com", 600),
    );
    assert_error(
        &sim.oidc(&role("controller"), &forged).await,
        401,
        "AuthenticationFail.OIDCToken.InvalidSignature",
        "signed by a foreign key",
    );
    let parts: Vec<&str> = good.split('.').collect();
    let unsigned = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    assert_error(
        &sim.oidc(&role("controller"), &unsigned).await,
        401,
        "AuthenticationFail.OIDCToken.Invalid",
        "unsigned token",
    );
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["sub"] = json!(cluster.subject("intruder"));
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(payload.to_string().as_bytes()),
        parts[2]
    );
    assert_error(
        &sim.oidc(&role("controller"), &tampered).await,
        401,
        "AuthenticationFail.OIDCToken.InvalidSignature",
        "payload changed after signing",
    );
    assert_error(
        &sim.oidc(&role("missing"), &good).await,
        404,
        "EntityNotExist.Role",
        "no role",
    );
    assert_error(
        &sim.oidc(&role("target"), &good).await,
        401,
        "AuthenticationFail.NoPermission",
        "role without the provider",
    );
    let a = sim
        .sts(&[
            ("Action", "AssumeRoleWithOIDC"),
            ("RoleArn", &role("controller")),
            (
                "OIDCProviderArn",
                &format!("acs:ram::{UID}:oidc-provider/other"),
            ),
            ("OIDCToken", &good),
            ("RoleSessionName", "sim-test"),
        ])
        .await;
    assert_error(
        &a,
        401,
        "AuthenticationFail.NoPermission",
        "unknown provider",
    );

    // AssumeRole with a permanent key: ExternalId, signature, nonce.
    let a = sim
        .assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("target"),
            Some("ext-123"),
            "n-1",
            false,
        )
        .await;
    let t_target = temp_alibaba(&a);
    assert_eq!(
        sim.ack_list(&t_target.ak, &t_target.sk, Some(&t_target.token))
            .await
            .status,
        200
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("target"),
            Some("ext-123"),
            "n-1",
            false,
        )
        .await,
        400,
        "SignatureNonceUsed",
        "replayed nonce",
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("target"),
            Some("wrong"),
            "n-2",
            false,
        )
        .await,
        403,
        "NoPermission",
        "wrong ExternalId",
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("target"),
            None,
            "n-3",
            false,
        )
        .await,
        403,
        "NoPermission",
        "missing ExternalId",
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "wrong-sk",
            None,
            &role("target"),
            Some("ext-123"),
            "n-4",
            false,
        )
        .await,
        400,
        "SignatureDoesNotMatch",
        "wrong secret",
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("target"),
            Some("ext-123"),
            "n-5",
            true,
        )
        .await,
        400,
        "SignatureDoesNotMatch",
        "parameter added after signing",
    );
    assert_error(
        &sim.assume_role(
            "nobody",
            "x",
            None,
            &role("target"),
            Some("ext-123"),
            "n-6",
            false,
        )
        .await,
        404,
        "InvalidAccessKeyId.NotFound",
        "unknown key",
    );
    assert_error(
        &sim.assume_role(
            "ali-ak",
            "ali-sk",
            None,
            &role("controller"),
            None,
            "n-7",
            false,
        )
        .await,
        403,
        "NoPermission",
        "account not trusted by the role",
    );

    // AssumeRole with the OIDC role's temporary key (role chaining): the token must come along.
    let a = sim
        .assume_role(
            &t1.ak,
            &t1.sk,
            Some(&t1.token),
            &role("target"),
            Some("ext-123"),
            "n-8",
            false,
        )
        .await;
    temp_alibaba(&a);
    assert_error(
        &sim.assume_role(
            &t1.ak,
            &t1.sk,
            None,
            &role("target"),
            Some("ext-123"),
            "n-9",
            false,
        )
        .await,
        400,
        "MissingSecurityToken",
        "temporary key without its token",
    );
    assert_error(
        &sim.assume_role(
            &t1.ak,
            &t1.sk,
            Some(&t_target.token),
            &role("target"),
            Some("ext-123"),
            "n-10",
            false,
        )
        .await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
        "another key's token",
    );

    // The same calls as a form POST (how other clients send them); the RPC signature then
    // covers the method POST.
    let form = |pairs: &[(String, String)]| {
        pairs
            .iter()
            .map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes()), uri_encode(v.as_bytes())))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    };
    let form_header = vec![(
        "Content-Type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let now = Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let oidc_form: Vec<(String, String)> = [
        ("Action", "AssumeRoleWithOIDC"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("Timestamp", now.as_str()),
        ("RoleArn", role("controller").as_str()),
        ("OIDCProviderArn", provider().as_str()),
        ("OIDCToken", good.as_str()),
        ("RoleSessionName", "sim-form"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let a = sim.send("POST", "/", &form_header, form(&oidc_form)).await;
    temp_alibaba(&a);
    let mut signed_form: Vec<(String, String)> = [
        ("Action", "AssumeRole"),
        ("Format", "JSON"),
        ("Version", "2015-04-01"),
        ("Timestamp", now.as_str()),
        ("RoleArn", role("target").as_str()),
        ("RoleSessionName", "sim-form"),
        ("ExternalId", "ext-123"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", "n-form"),
        ("AccessKeyId", "ali-ak"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let sig = rpc_signature(
        &SecretString::from("ali-sk".to_owned()),
        &rpc_string_to_sign("POST", &signed_form),
    );
    signed_form.push(("Signature".into(), sig));
    let a = sim
        .send("POST", "/", &form_header, form(&signed_form))
        .await;
    temp_alibaba(&a);

    // The temporary key at ACK.
    assert_eq!(
        sim.ack_list(&t1.ak, &t1.sk, Some(&t1.token)).await.status,
        200
    );
    assert_error(
        &sim.ack_list(&t1.ak, &t1.sk, None).await,
        400,
        "MissingSecurityToken",
        "ACK, no token",
    );
    assert_error(
        &sim.ack_list(&t1.ak, &t1.sk, Some(&t_target.token)).await,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
        "ACK, another key's token",
    );
    assert_error(
        &sim.ack_list(&t1.ak, "wrong", Some(&t1.token)).await,
        400,
        "SignatureDoesNotMatch",
        "ACK, wrong temporary secret",
    );

    // Revocation: assuming fails at once; keys already issued work until they expire.
    sim.admin(
        "POST",
        "/_sim/identity/revoke",
        Some(json!({"alibaba_role": role("controller")})),
    )
    .await;
    assert_error(
        &sim.oidc(&role("controller"), &good).await,
        403,
        "NoPermission",
        "revoked role",
    );
    assert_eq!(
        sim.ack_list(&t1.ak, &t1.sk, Some(&t1.token)).await.status,
        200,
        "an issued key keeps working after revocation"
    );
    let view = sim.admin("GET", "/_sim/identity", None).await;
    assert_eq!(view["alibaba_roles"][0]["revoked"], true, "{view}");
    sim.admin(
        "POST",
        "/_sim/identity/restore",
        Some(json!({"alibaba_role": role("controller")})),
    )
    .await;
    let a2 = sim.oidc(&role("controller"), &good).await;
    let t2 = temp_alibaba(&a2);
    let last_expiry = a2.body["Credentials"]["Expiration"]
        .as_str()
        .unwrap()
        .to_owned();

    // Temporary keys act as the role's account: the budget is shared by all its keys.
    sim.admin(
        "PUT",
        "/_sim/faults",
        Some(json!({"accounts": {"role-account": {"rate_limit_per_minute": 2}}})),
    )
    .await;
    assert_eq!(
        sim.ack_list(&t1.ak, &t1.sk, Some(&t1.token)).await.status,
        200
    );
    assert_eq!(
        sim.ack_list(&t2.ak, &t2.sk, Some(&t2.token)).await.status,
        200
    );
    let a = sim.ack_list(&t2.ak, &t2.sk, Some(&t2.token)).await;
    assert_error(
        &a,
        429,
        "Throttling.User",
        "third call of one account through two keys",
    );
    assert_eq!(
        sim.ack_list("ali-ak", "ali-sk", None).await.status,
        200,
        "another account's budget"
    );
    sim.admin("PUT", "/_sim/faults", Some(json!({}))).await;

    // After the lifetime, the keys are refused with the real error.
    tokio::time::sleep(Duration::from_secs_f64(seconds_left(&last_expiry) + 0.5)).await;
    assert_error(
        &sim.ack_list(&t1.ak, &t1.sk, Some(&t1.token)).await,
        400,
        "InvalidSecurityToken.Expired",
        "ACK, expired key",
    );
    assert_error(
        &sim.assume_role(
            &t1.ak,
            &t1.sk,
            Some(&t1.token),
            &role("target"),
            Some("ext-123"),
            "n-11",
            false,
        )
        .await,
        400,
        "InvalidSecurityToken.Expired",
        "STS, expired key",
    );

    // Counters: by operation and outcome.
    assert_eq!(
        sim.counter("alibaba-sts", "AssumeRoleWithOIDC", "ok").await,
        3
    );
    assert_eq!(
        sim.counter("alibaba-sts", "AssumeRoleWithOIDC", "forbidden")
            .await,
        2
    );
    assert_eq!(
        sim.counter("alibaba-sts", "AssumeRoleWithOIDC", "unauthorized")
            .await,
        8
    );
    assert_eq!(sim.counter("alibaba-sts", "AssumeRole", "ok").await, 3);
    assert_eq!(
        sim.counter("alibaba-sts", "AssumeRole", "forbidden").await,
        3
    );
    assert_eq!(
        sim.counter("alibaba", "DescribeClusterNodePools", "throttled")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_iam_federation_agencies_and_cce() {
    let cluster = Cluster::new("hw");
    let sim = start(&cluster, 8);
    let good = cluster.token("controller", HW_AUDIENCE);

    // ID token → unscoped token → temporary keys, as huaweicloudsdkcore does.
    let a = sim.id_token("nodepool-idp", &good, None).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let unscoped = a.headers["x-subject-token"].to_str().unwrap().to_owned();
    assert_eq!(a.body["token"]["methods"], json!(["mapped"]));
    assert_eq!(
        a.body["token"]["user"]["OS-FEDERATION"]["identity_provider"]["id"],
        "nodepool-idp"
    );
    assert_eq!(a.body["token"]["user"]["domain"]["name"], "nodepool-domain");
    let a = sim.iam_json("/v3.0/OS-CREDENTIAL/securitytokens", &[],
        json!({"auth": {"identity": {"methods": ["token"], "token": {"id": unscoped, "duration_seconds": 900}}}})).await;
    let fed = temp_huawei(&a);
    let left = seconds_left(a.body["credential"]["expires_at"].as_str().unwrap());
    assert!(
        (6.0..=8.5).contains(&left),
        "configured lifetime 8 s, {left} s left"
    );
    assert_eq!(
        sim.cce_list(&fed.ak, &fed.sk, Some(&fed.token))
            .await
            .status,
        200
    );
    // An unscoped token calls no service; a project-scoped one does.
    let a = sim
        .send(
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/{HW_CLUSTER}/nodepools"),
            &[("X-Auth-Token".into(), unscoped.clone())],
            Vec::new(),
        )
        .await;
    assert_error(&a, 401, "APIG.0301", "unscoped token at CCE");
    let a = sim
        .id_token(
            "nodepool-idp",
            &good,
            Some(json!({"project": {"id": PROJECT}})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let scoped = a.headers["x-subject-token"].to_str().unwrap().to_owned();
    // Issued after the keys above: it may outlive them by however long this test took since.
    let scoped_expires = a.body["token"]["expires_at"]
        .as_str()
        .expect("the token's expires_at")
        .to_owned();
    let a = sim
        .send(
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/{HW_CLUSTER}/nodepools"),
            &[("X-Auth-Token".into(), scoped.clone())],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);

    // Refusals of the ID token.
    let kid = cluster.kid();
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    for (jwt, status, what) in [
        (
            cluster.token("controller", "sts.aliyuncs.com"),
            401,
            "wrong audience",
        ),
        (
            cluster.token("intruder", HW_AUDIENCE),
            403,
            "subject not trusted",
        ),
        (
            cluster.mint(
                &cluster.sa_key,
                &header,
                &cluster.claims("controller", HW_AUDIENCE, -60),
            ),
            401,
            "expired",
        ),
        ("a.b".to_owned(), 401, "not a JWS"),
    ] {
        let a = sim.id_token("nodepool-idp", &jwt, None).await;
        assert_eq!(a.status, status, "{what}: {}", a.text);
        assert_eq!(a.body["error"]["code"], status, "{what}: {}", a.text);
        assert!(a.headers.get("x-subject-token").is_none(), "{what}");
    }
    assert_eq!(
        sim.id_token("other-idp", &good, None).await.status,
        401,
        "unknown IdP"
    );
    let a = sim
        .iam_json(
            "/v3.0/OS-AUTH/id-token/tokens",
            &[],
            json!({"auth": {"id_token": {"id": good}}}),
        )
        .await;
    assert_eq!(a.status, 400, "no X-Idp-Id: {}", a.text);
    let a = sim
        .iam_json(
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[],
            json!({"auth": {"identity": {"methods": ["token"], "token": {"id": "MIIforged"}}}}),
        )
        .await;
    assert_eq!(a.status, 401, "forged IAM token: {}", a.text);

    // Temporary keys at CCE: the token must come along and be the key's.
    assert_error(
        &sim.cce_list(&fed.ak, &fed.sk, None).await,
        401,
        "APIG.0301",
        "CCE, no token",
    );
    let permanent = sim.cce_list("hw-ak", "hw-sk", None).await;
    assert_eq!(permanent.status, 200, "{}", permanent.text);

    // Agencies: the federated user (by token) assumes cce-admin; cce-admin's keys (signed, with
    // their token) assume other-domain's cce-operator (agency chaining).
    let assume = |domain: &str, agency: &str| {
        json!({"auth": {"identity": {"methods": ["assume_role"],
        "assume_role": {"domain_name": domain, "agency_name": agency, "duration_seconds": 900}}}})
    };
    let a = sim
        .iam_json(
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[("X-Auth-Token", &unscoped)],
            assume("nodepool-domain", "cce-admin"),
        )
        .await;
    let admin_keys = temp_huawei(&a);
    assert_eq!(
        sim.cce_list(&admin_keys.ak, &admin_keys.sk, Some(&admin_keys.token))
            .await
            .status,
        200
    );
    let a = sim
        .huawei_signed(
            &admin_keys.ak,
            &admin_keys.sk,
            Some(&admin_keys.token),
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            Some(assume("other-domain", "cce-operator")),
            None,
        )
        .await;
    let operator = temp_huawei(&a);
    assert_eq!(
        sim.cce_list(&operator.ak, &operator.sk, Some(&operator.token))
            .await
            .status,
        200
    );
    let a = sim
        .huawei_signed(
            &admin_keys.ak,
            &admin_keys.sk,
            None,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            Some(assume("other-domain", "cce-operator")),
            None,
        )
        .await;
    assert_eq!(
        a.status, 401,
        "chaining without the security token: {}",
        a.text
    );
    let a = sim
        .iam_json(
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[("X-Auth-Token", &unscoped)],
            assume("other-domain", "cce-operator"),
        )
        .await;
    assert_eq!(a.status, 403, "IdP not trusted by cce-operator: {}", a.text);
    let a = sim
        .huawei_signed(
            "hw-ak",
            "hw-sk",
            None,
            "POST",
            "/v3.0/OS-CREDENTIAL/securitytokens",
            Some(assume("nodepool-domain", "cce-admin")),
            None,
        )
        .await;
    assert_eq!(a.status, 201, "the account assumes cce-admin: {}", a.text);
    let a = sim
        .iam_json(
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[("X-Auth-Token", &unscoped)],
            assume("nodepool-domain", "missing"),
        )
        .await;
    assert_eq!(a.status, 404, "unknown agency: {}", a.text);

    // Revocation.
    sim.admin(
        "POST",
        "/_sim/identity/revoke",
        Some(json!({"huawei_agency": "nodepool-domain/cce-admin"})),
    )
    .await;
    let a = sim
        .iam_json(
            "/v3.0/OS-CREDENTIAL/securitytokens",
            &[("X-Auth-Token", &unscoped)],
            assume("nodepool-domain", "cce-admin"),
        )
        .await;
    assert_eq!(a.status, 403, "revoked agency: {}", a.text);
    assert_eq!(
        sim.cce_list(&admin_keys.ak, &admin_keys.sk, Some(&admin_keys.token))
            .await
            .status,
        200,
        "an issued key keeps working after revocation"
    );
    sim.admin(
        "POST",
        "/_sim/identity/revoke",
        Some(json!({"huawei_idp": "nodepool-idp"})),
    )
    .await;
    assert_eq!(
        sim.id_token("nodepool-idp", &good, None).await.status,
        401,
        "revoked IdP"
    );
    sim.admin(
        "POST",
        "/_sim/identity/restore",
        Some(json!({"huawei_idp": "nodepool-idp"})),
    )
    .await;

    // After the lifetime: keys and tokens refused.
    tokio::time::sleep(Duration::from_secs_f64(left + 0.5)).await;
    let a = sim.cce_list(&fed.ak, &fed.sk, Some(&fed.token)).await;
    assert_error(&a, 401, "APIG.0301", "CCE, expired key");
    assert!(a.text.contains("expired"), "{}", a.text);
    let scoped_left = seconds_left(&scoped_expires);
    if scoped_left > -0.5 {
        tokio::time::sleep(Duration::from_secs_f64(scoped_left + 0.5)).await;
    }
    let a = sim
        .send(
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/{HW_CLUSTER}/nodepools"),
            &[("X-Auth-Token".into(), scoped)],
            Vec::new(),
        )
        .await;
    assert_error(&a, 401, "APIG.0301", "CCE, expired scoped token");

    assert_eq!(
        sim.counter("huawei-iam", "CreateTokenWithIdToken", "ok")
            .await,
        2
    );
    assert_eq!(
        sim.counter("huawei-iam", "CreateTokenWithIdToken", "unauthorized")
            .await,
        5
    );
    assert_eq!(
        sim.counter("huawei-iam", "CreateTokenWithIdToken", "forbidden")
            .await,
        1
    );
    assert_eq!(
        sim.counter("huawei-iam", "CreateTemporaryAccessKeyByToken", "ok")
            .await,
        1
    );
    assert_eq!(
        sim.counter(
            "huawei-iam",
            "CreateTemporaryAccessKeyByToken",
            "unauthorized"
        )
        .await,
        1
    );
    assert_eq!(
        sim.counter(
            "huawei-iam",
            "CreateTemporaryAccessKeyByAgency",
            "unauthorized"
        )
        .await,
        1
    );
    assert_eq!(
        sim.counter(
            "huawei-iam",
            "CreateTemporaryAccessKeyByAgency",
            "not_found"
        )
        .await,
        1
    );
    assert_eq!(
        sim.counter("huawei-iam", "CreateTemporaryAccessKeyByAgency", "ok")
            .await,
        3
    );
    assert_eq!(
        sim.counter(
            "huawei-iam",
            "CreateTemporaryAccessKeyByAgency",
            "forbidden"
        )
        .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_services_serve_the_instance_role() {
    let cluster = Cluster::new("md");
    let sim = start(&cluster, 30);
    // Alibaba: IMDSv2 token, role name, credentials.
    let a = sim
        .send(
            "PUT",
            "/latest/api/token",
            &[(
                "X-aliyun-ecs-metadata-token-ttl-seconds".into(),
                "60".into(),
            )],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let token = a.text.clone();
    let with = |t: &str| vec![("X-aliyun-ecs-metadata-token".to_owned(), t.to_owned())];
    let a = sim.send("PUT", "/latest/api/token", &[], Vec::new()).await;
    assert_eq!(a.status, 400, "no TTL");
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/",
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 403, "IMDSv2 required, no token");
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/",
            &with("bogus"),
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 403, "unknown token");
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/",
            &with(&token),
            Vec::new(),
        )
        .await;
    assert_eq!((a.status, a.text.as_str()), (200, "node"));
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/other",
            &with(&token),
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 404, "another role");
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/node",
            &with(&token),
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["Code"], "Success");
    let left = seconds_left(a.body["Expiration"].as_str().unwrap());
    assert!((28.0..=30.5).contains(&left), "{left}");
    let t = Temp {
        ak: a.body["AccessKeyId"].as_str().unwrap().into(),
        sk: a.body["AccessKeySecret"].as_str().unwrap().into(),
        token: a.body["SecurityToken"].as_str().unwrap().into(),
    };
    assert_eq!(sim.ack_list(&t.ak, &t.sk, Some(&t.token)).await.status, 200);

    // Huawei: metadata token, security key of the instance's agency.
    let a = sim
        .send(
            "PUT",
            "/meta-data/latest/api/token",
            &[("X-Metadata-Token-Ttl-Seconds".into(), "60".into())],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let hw_token = a.text.clone();
    let a = sim
        .send("GET", "/openstack/latest/securitykey", &[], Vec::new())
        .await;
    assert_eq!(a.status, 401, "token required");
    assert!(
        !a.text.contains("Agency"),
        "a missing token is not a missing agency: {}",
        a.text
    );
    let a = sim
        .send(
            "GET",
            "/openstack/latest/securitykey",
            &[("X-Metadata-Token".into(), hw_token.clone())],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let c = &a.body["credential"];
    let hw = Temp {
        ak: c["access"].as_str().unwrap().into(),
        sk: c["secret"].as_str().unwrap().into(),
        token: c["securitytoken"].as_str().unwrap().into(),
    };
    assert_eq!(
        sim.cce_list(&hw.ak, &hw.sk, Some(&hw.token)).await.status,
        200
    );

    // Revoked instance entries: no credentials.
    sim.admin(
        "POST",
        "/_sim/identity/revoke",
        Some(json!({"alibaba_role": role("node")})),
    )
    .await;
    let a = sim
        .send(
            "GET",
            "/latest/meta-data/ram/security-credentials/node",
            &with(&token),
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 404);
    sim.admin(
        "POST",
        "/_sim/identity/revoke",
        Some(json!({"huawei_agency": "other-domain/cce-operator"})),
    )
    .await;
    let a = sim
        .send(
            "GET",
            "/openstack/latest/securitykey",
            &[("X-Metadata-Token".into(), hw_token)],
            Vec::new(),
        )
        .await;
    assert_eq!(a.status, 401);
    assert!(
        a.text
            .contains("Please configure Cloud Service Agency first"),
        "{}",
        a.text
    );

    assert_eq!(
        sim.counter("alibaba-metadata", "GetRamRoleCredentials", "ok")
            .await,
        1
    );
    assert_eq!(
        sim.counter("alibaba-metadata", "ListRamRoles", "forbidden")
            .await,
        2
    );
    assert_eq!(
        sim.counter("huawei-metadata", "GetSecurityKey", "ok").await,
        1
    );
    assert_eq!(
        sim.counter("huawei-metadata", "GetSecurityKey", "unauthorized")
            .await,
        2
    );
    // Admin reset forgets issued credentials.
    sim.admin("POST", "/_sim/reset", None).await;
    assert_error(
        &sim.ack_list(&t.ak, &t.sk, Some(&t.token)).await,
        404,
        "InvalidAccessKeyId.NotFound",
        "key forgotten by reset",
    );
}

#[test]
fn official_credential_libraries() {
    let python = env("NODEPOOL_SDK_PYTHON");
    let cluster = Cluster::new("sdk");
    let seconds = 10;
    let sim = start(&cluster, seconds);
    let dir = TempDir::new("tokens");
    let ali_token = dir.0.join("ali-token");
    let hw_token = dir.0.join("hw-token");
    std::fs::write(&ali_token, cluster.token("controller", "sts.aliyuncs.com")).unwrap();
    std::fs::write(&hw_token, cluster.token("controller", HW_AUDIENCE)).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/interop_identity.py");
    let started = std::time::Instant::now();
    let out = Command::new(python)
        .arg(&script)
        .arg(&sim.url)
        .env("HOME", &dir.0)
        .env("ALIBABA_CLOUD_ROLE_ARN", role("controller"))
        .env("ALIBABA_CLOUD_OIDC_PROVIDER_ARN", provider())
        .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &ali_token)
        .env("HUAWEICLOUD_SDK_IDP_ID", "nodepool-idp")
        .env("HUAWEICLOUD_SDK_ID_TOKEN_FILE", &hw_token)
        .env("HUAWEICLOUD_SDK_IAM_ENDPOINT", &sim.url)
        .env("HUAWEICLOUD_SDK_PROJECT_ID", PROJECT)
        .env("CLOUDSIM_CHAIN_ROLE_ARN", role("target"))
        .env("CLOUDSIM_CHAIN_EXTERNAL_ID", "ext-123")
        .env("CLOUDSIM_ALI_CLUSTER", ACK)
        .env("CLOUDSIM_HW_CLUSTER", HW_CLUSTER)
        .env("CLOUDSIM_CREDENTIAL_SECONDS", seconds.to_string())
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .expect("running interop_identity.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "interop_identity.py failed after {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        started.elapsed()
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    eprintln!(
        "interop_identity.py: {} in {:?}",
        stdout.trim(),
        started.elapsed()
    );
}
