//! The cloud simulator, driven in-process over HTTP with requests signed by the crate's own
//! signers: lifecycle timing, validation, authentication, faults, counters, the admin API and
//! state save/load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use nodepool_controller::cloud::alibaba::sign as alibaba_sign;
use nodepool_controller::cloud::huawei::sign as huawei_sign;
use nodepool_controller::cloud::sign::{self, RequestToSign};
use nodepool_controller::sim::config::{Account, Token};
use nodepool_controller::sim::{Scenario, Sim, Timings, server};
use secrecy::SecretString;
use serde_json::{Value, json};

const PROJECT: &str = "proj1";
const CLUSTER: &str = "cce1";
const ACK: &str = "ack1";

struct Harness {
    host: String,
    http: reqwest::Client,
    sim: Arc<Sim>,
}

fn scenario(timings: Timings) -> Scenario {
    let mut s = Scenario::default();
    s.huawei.accounts = vec![
        Account {
            access_key: "HAK".into(),
            secret_key: "HSK".into(),
        },
        Account {
            access_key: "HAK2".into(),
            secret_key: "HSK2".into(),
        },
    ];
    s.huawei.tokens = vec![Token {
        token: "tok-1".into(),
        project_id: Some(PROJECT.into()),
    }];
    s.huawei.clusters = vec![format!("{PROJECT}/{CLUSTER}")];
    s.alibaba.accounts = vec![Account {
        access_key: "AAK".into(),
        secret_key: "ASK".into(),
    }];
    s.alibaba.clusters = vec![ACK.into()];
    s.timings = timings;
    s
}

fn fast() -> Timings {
    Timings {
        provision_seconds: 0.5,
        node_seconds: 0.1,
        delete_seconds: 0.4,
        update_seconds: 0.3,
    }
}

async fn start_with(scenario: Scenario, state: Option<std::path::PathBuf>) -> Harness {
    let sim = Sim::new(scenario, state).expect("simulator");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host = listener.local_addr().unwrap().to_string();
    tokio::spawn(server::serve(listener, sim.clone(), std::future::pending()));
    Harness {
        host,
        http: reqwest::Client::new(),
        sim,
    }
}

async fn start() -> Harness {
    start_with(scenario(fast()), None).await
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Harness {
    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Answer {
        self.try_send(method, path_and_query, headers, body)
            .await
            .unwrap_or_else(|e| panic!("no answer: {e}"))
    }

    /// Sends; `Err` when the connection broke before a whole answer arrived.
    async fn try_send(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(String, String)],
        body: Vec<u8>,
    ) -> Result<Answer, reqwest::Error> {
        let mut req = self.http.request(
            method.parse().unwrap(),
            format!("http://{}{}", self.host, path_and_query),
        );
        for (n, v) in headers {
            req = req.header(n.as_str(), v.as_str());
        }
        let resp = req.body(body).send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("non-JSON answer: {}", String::from_utf8_lossy(&bytes)));
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// A CCE request signed with SDK-HMAC-SHA256 at `time`.
    #[allow(clippy::too_many_arguments)]
    async fn cce_as(
        &self,
        ak: &str,
        sk: &str,
        project_header: &str,
        time: Timestamp,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let (pq, headers, body) =
            self.cce_signed(ak, sk, project_header, time, method, path, query, body);
        self.send(method, &pq, &headers, body).await
    }

    /// A signed CCE request: path and query, headers, body.
    #[allow(clippy::too_many_arguments)]
    fn cce_signed(
        &self,
        ak: &str,
        sk: &str,
        project_header: &str,
        time: Timestamp,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (String, Vec<(String, String)>, Vec<u8>) {
        let body = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        let base = [
            ("Content-Type", "application/json"),
            ("Host", self.host.as_str()),
            ("User-Agent", "sim-test"),
            ("X-Project-Id", project_header),
        ];
        let req = RequestToSign {
            method,
            path,
            query,
            headers: &base,
            body: &body,
        };
        let signed = huawei_sign::sign(&req, ak, &SecretString::from(sk.to_owned()), time).unwrap();
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
        let q = huawei_sign::canonical_query_string(query);
        let pq = if q.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{q}")
        };
        (pq, headers, body)
    }

    /// A CCE request under the test cluster's node pools that must get no answer.
    async fn cce_unanswered(&self, method: &str, rest: &str, body: Option<Value>) {
        let path = format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools{rest}");
        let (pq, headers, body) = self.cce_signed(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            method,
            &path,
            &[],
            body,
        );
        if let Ok(a) = self.try_send(method, &pq, &headers, body).await {
            panic!("an answer arrived: {} {}", a.status, a.body);
        }
    }

    async fn cce(&self, method: &str, rest: &str, body: Option<Value>) -> Answer {
        let path = format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools{rest}");
        self.cce_as(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            method,
            &path,
            &[],
            body,
        )
        .await
    }

    /// An ACK request signed with ACS3-HMAC-SHA256, and the exact headers sent (for replays).
    async fn ack_as(
        &self,
        ak: &str,
        sk: &str,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> (
        Result<Answer, reqwest::Error>,
        Vec<(String, String)>,
        String,
        Vec<u8>,
    ) {
        let body = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        let mut base = vec![
            ("accept", "application/json"),
            ("host", self.host.as_str()),
            ("user-agent", "sim-test"),
            ("x-acs-action", "Test"),
            ("x-acs-version", "2015-12-15"),
        ];
        if !body.is_empty() {
            base.push(("content-type", "application/json; charset=utf-8"));
        }
        let req = RequestToSign {
            method,
            path,
            query,
            headers: &base,
            body: &body,
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
        let q = alibaba_sign::wire_query_string(query);
        let pq = if q.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{q}")
        };
        let answer = self.try_send(method, &pq, &headers, body.clone()).await;
        (answer, headers, pq, body)
    }

    async fn ack(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.ack_q(method, path, &[], body).await
    }

    /// An ACK request with a query.
    async fn ack_q(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        self.ack_as("AAK", "ASK", method, path, query, body)
            .await
            .0
            .unwrap_or_else(|e| panic!("no answer: {e}"))
    }

    async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        let body = body
            .map(|b| serde_json::to_vec(&b).unwrap())
            .unwrap_or_default();
        self.send(method, path, &[], body).await
    }

    fn counter(&self, cloud: &str, op: &str, outcome: &str) -> u64 {
        self.sim
            .counters()
            .into_iter()
            .find(|((c, o, r), _)| *c == cloud && *o == op && *r == outcome)
            .map_or(0, |(_, n)| n)
    }
}

fn cce_pool(name: &str, flavor: &str, count: u32) -> Value {
    json!({
        "kind": "NodePool", "apiVersion": "v3",
        "metadata": {"name": name},
        "spec": {"initialNodeCount": count,
                 "nodeTemplate": {"flavor": flavor, "az": "az1", "os": "EulerOS 2.9",
                                  "login": {"sshKey": "k"},
                                  "rootVolume": {"size": 40, "volumetype": "SAS"}}}
    })
}

fn ack_pool(name: &str, instance_type: &str, desired: u32) -> Value {
    json!({
        "nodepool_info": {"name": name},
        "scaling_group": {"desired_size": desired, "instance_types": [instance_type],
                          "vswitch_ids": ["vsw-1"], "instance_charge_type": "PostPaid",
                          "tags": [{"key": "owner", "value": name}], "data_disks": []},
        "kubernetes_config": {"labels": [{"key": "a", "value": "b"}], "taints": []}
    })
}

async fn wait_until(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("timed out waiting for {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_lifecycle_follows_the_clock() {
    let h = start().await;
    let t0 = Instant::now();
    let created = h
        .cce("POST", "", Some(cce_pool("pool-a", "s6.large.2", 2)))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(created.headers.contains_key("x-request-id"));
    let uid = created.body["metadata"]["uid"].as_str().unwrap().to_owned();
    assert_eq!(created.body["status"]["phase"], "Synchronizing");
    assert_eq!(created.body["spec"]["type"], "vm");
    assert_eq!(
        created.body["spec"]["nodeTemplate"]["k8sTags"]["cce.cloud.com/cce-nodepool"],
        "pool-a"
    );
    let shown = h.cce("GET", &format!("/{uid}"), None).await;
    assert_eq!(shown.body["status"]["currentNode"], 0);
    assert_eq!(shown.body["status"]["creatingNode"], 2);

    let mut seen_one = false;
    wait_until("2 nodes", async || {
        let s = h.cce("GET", &format!("/{uid}"), None).await.body;
        seen_one |= s["status"]["currentNode"] == 1;
        s["status"]["phase"] == "" && s["status"]["currentNode"] == 2
    })
    .await;
    // provision 0.5 s + 2 nodes x 0.1 s
    assert!(
        t0.elapsed() >= Duration::from_millis(650),
        "{:?}",
        t0.elapsed()
    );
    assert!(seen_one, "the count jumped from 0 to 2");

    // An update without initialNodeCount (and without ignoreInitialNodeCount) means 0.
    let upd = h
        .cce(
            "PUT",
            &format!("/{uid}"),
            Some(json!({"metadata": {"name": "pool-a"}, "spec": {}})),
        )
        .await;
    assert_eq!(upd.status, 200, "{}", upd.body);
    assert_eq!(upd.body["spec"]["initialNodeCount"], 0);
    assert_eq!(upd.body["status"]["phase"], "Synchronizing");
    wait_until("scale in to 0", async || {
        h.cce("GET", &format!("/{uid}"), None).await.body["status"]["currentNode"] == 0
    })
    .await;

    let del = h.cce("DELETE", &format!("/{uid}"), None).await;
    assert_eq!(del.status, 200);
    assert_eq!(del.body["status"]["phase"], "Deleting");
    let job = del.body["status"]["jobId"].as_str().unwrap().to_owned();
    let job_path = format!("/api/v3/projects/{PROJECT}/jobs/{job}");
    let j = h
        .cce_as(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            "GET",
            &job_path,
            &[],
            None,
        )
        .await;
    assert_eq!(j.body["status"]["phase"], "Running", "{}", j.body);
    let t1 = Instant::now();
    wait_until("404 after delete", async || {
        h.cce("GET", &format!("/{uid}"), None).await.status == 404
    })
    .await;
    assert!(t1.elapsed() >= Duration::from_millis(300));
    let gone = h.cce("GET", &format!("/{uid}"), None).await;
    assert_eq!(gone.body["error_code"], "CCE.01404001");
    let j = h
        .cce_as(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            "GET",
            &job_path,
            &[],
            None,
        )
        .await;
    assert_eq!(j.body["status"]["phase"], "Success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_validation_and_authentication() {
    let h = start().await;
    for bad in [
        "Pool",
        "1pool",
        "pool-",
        "pool_a",
        "DefaultPool",
        &"a".repeat(51),
    ] {
        let r = h.cce("POST", "", Some(cce_pool(bad, "f", 0))).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(r.body["error_code"], "CCE.01400001");
    }
    assert_eq!(
        h.cce("POST", "", Some(cce_pool("p", "f", 0))).await.status,
        201
    );
    let dup = h.cce("POST", "", Some(cce_pool("p", "f", 0))).await;
    assert_eq!(dup.status, 409);
    let mut no_flavor = cce_pool("q", "f", 0);
    no_flavor["spec"]["nodeTemplate"]
        .as_object_mut()
        .unwrap()
        .remove("flavor");
    assert_eq!(h.cce("POST", "", Some(no_flavor)).await.status, 400);
    let list = h.cce("GET", "", None).await;
    let uid = list.body["items"][0]["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let scale = h
        .cce(
            "POST",
            &format!("/{uid}/operation/scale"),
            Some(json!({"spec": {}})),
        )
        .await;
    assert_eq!(scale.status, 400);
    let flavor = h
        .cce(
            "PUT",
            &format!("/{uid}"),
            Some(json!({"spec": {"initialNodeCount": 0, "nodeTemplate": {"flavor": "other"}}})),
        )
        .await;
    assert_eq!(flavor.status, 400, "{}", flavor.body);
    let other_cluster = h
        .cce_as(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/nope/nodepools"),
            &[],
            None,
        )
        .await;
    assert_eq!(other_cluster.status, 404);
    assert_eq!(other_cluster.body["error_code"], "CCE.01404001");
    let with_default = h
        .cce_as(
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now(),
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools"),
            &[("showDefaultNodePool", "true")],
            None,
        )
        .await;
    assert_eq!(with_default.body["kind"], "List");
    assert_eq!(
        with_default.body["items"][0]["metadata"]["name"],
        "DefaultPool"
    );
    assert_eq!(with_default.body["items"].as_array().unwrap().len(), 2);

    let path = format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools");
    let cases: [(&str, &str, &str, Timestamp); 4] = [
        ("HAK", "wrong", PROJECT, Timestamp::now()),
        ("NOPE", "HSK", PROJECT, Timestamp::now()),
        ("HAK", "HSK", "other-project", Timestamp::now()),
        (
            "HAK",
            "HSK",
            PROJECT,
            Timestamp::now() - jiff::SignedDuration::from_mins(20),
        ),
    ];
    for (ak, sk, project, time) in cases {
        let r = h
            .cce_as(ak, sk, project, time, "GET", &path, &[], None)
            .await;
        assert_eq!(r.status, 401, "{ak} {sk} {project}: {}", r.body);
        assert_eq!(r.body["error_code"], "APIG.0301");
        assert!(r.headers.contains_key("x-request-id"));
    }
    // Tokens.
    let tok = |t: &'static str, p: &'static str| {
        vec![
            ("X-Auth-Token".to_string(), t.to_string()),
            ("X-Project-Id".to_string(), p.to_string()),
        ]
    };
    assert_eq!(
        h.send("GET", &path, &tok("tok-1", PROJECT), vec![])
            .await
            .status,
        200
    );
    assert_eq!(
        h.send("GET", &path, &tok("tok-2", PROJECT), vec![])
            .await
            .status,
        401
    );
    assert_eq!(
        h.send("GET", &path, &tok("tok-1", "x"), vec![])
            .await
            .status,
        401
    );
    assert_eq!(h.send("GET", &path, &[], vec![]).await.status, 401);
    let unknown = h.send("GET", "/api/v3/whatever", &[], vec![]).await;
    assert_eq!(
        (unknown.status, unknown.body["error_code"].as_str()),
        (404, Some("APIG.0101"))
    );
    assert_eq!(h.counter("huawei", "ListNodePools", "unauthorized"), 7);
}

/// Request headers as sent, in order.
type Headers = Vec<(String, String)>;
/// A change made to the headers after signing.
type Edit<'a> = &'a dyn Fn(&mut Headers);

/// What the API gateway accepts besides the Python SDK's requests: a signature over only the
/// headers Huawei's signing guide requires (`X-Sdk-Date`; the Go SDK and the Terraform
/// provider sign a few more, never `host`), and the cluster read tools make before a pool call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_minimal_signed_headers_and_show_cluster() {
    let h = start().await;
    let cluster_path = format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}");
    // Signs exactly `signed` and X-Sdk-Date, as the Go SDK signs (by hand: the crate's signer
    // always signs Host), and sends Content-Type and User-Agent unsigned too.
    let send = async |path: &str,
                      signed: &[(&str, &str)],
                      time: Timestamp,
                      edit: &dyn Fn(&mut Headers)| {
        let date = huawei_sign::format_date(time);
        let mut lines: Vec<(String, String)> = signed
            .iter()
            .map(|(n, v)| (n.to_lowercase(), v.to_string()))
            .collect();
        lines.push(("x-sdk-date".into(), date.clone()));
        lines.sort();
        let names = lines
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let block: String = lines.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
        let canonical = format!(
            "GET\n{}\n\n{block}\n{names}\n{}",
            huawei_sign::canonical_uri(path),
            sign::EMPTY_SHA256_HEX
        );
        let to_sign = format!(
            "SDK-HMAC-SHA256\n{date}\n{}",
            sign::sha256_hex(canonical.as_bytes())
        );
        let signature = hex::encode(sign::hmac_sha256(b"HSK", to_sign.as_bytes()));
        let mut headers: Vec<(String, String)> = signed
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        headers.push(("Content-Type".into(), "application/json".into()));
        headers.push(("User-Agent".into(), "huaweicloud-usdk-go/3.0".into()));
        headers.push(("X-Sdk-Date".into(), date));
        headers.push((
            "Authorization".into(),
            format!("SDK-HMAC-SHA256 Access=HAK, SignedHeaders={names}, Signature={signature}"),
        ));
        edit(&mut headers);
        h.send("GET", path, &headers, vec![]).await
    };
    let project = [("X-Project-Id", PROJECT)];
    let keep = |_: &mut Vec<(String, String)>| {};

    let shown = send(&cluster_path, &project, Timestamp::now(), &keep).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["kind"], "Cluster");
    assert_eq!(shown.body["apiVersion"], "v3");
    assert_eq!(shown.body["metadata"]["uid"], CLUSTER);
    assert_eq!(shown.body["status"]["phase"], "Available");
    assert_eq!(shown.body["spec"]["category"], "CCE");
    assert_eq!(h.counter("huawei", "ShowCluster", "ok"), 1);
    // Only X-Sdk-Date signed.
    let bare = send(
        &format!("{cluster_path}/nodepools"),
        &[],
        Timestamp::now(),
        &|hs| {
            hs.push(("X-Project-Id".into(), PROJECT.into()));
        },
    )
    .await;
    assert_eq!(bare.status, 200, "{}", bare.body);
    assert_eq!(bare.body["kind"], "List");

    let other = send(
        &format!("/api/v3/projects/{PROJECT}/clusters/nope"),
        &project,
        Timestamp::now(),
        &keep,
    )
    .await;
    assert_eq!(other.status, 404, "{}", other.body);
    assert_eq!(other.body["error_code"], "CCE.01404001");

    // Still refused: a wrong signature, an expired or missing X-Sdk-Date, X-Sdk-Date not signed.
    let flip_signature = |hs: &mut Vec<(String, String)>| {
        let auth = hs.iter_mut().find(|(n, _)| n == "Authorization").unwrap();
        let last = auth.1.pop().unwrap();
        auth.1.push(if last == '0' { '1' } else { '0' });
    };
    let drop_date = |hs: &mut Vec<(String, String)>| hs.retain(|(n, _)| n != "X-Sdk-Date");
    let unsign_date = |hs: &mut Vec<(String, String)>| {
        let auth = hs.iter_mut().find(|(n, _)| n == "Authorization").unwrap();
        auth.1 = auth.1.replace(
            "SignedHeaders=x-project-id;x-sdk-date",
            "SignedHeaders=x-project-id",
        );
    };
    let late = Timestamp::now() - jiff::SignedDuration::from_mins(16);
    let refused: [(&str, Timestamp, Edit<'_>, &str); 4] = [
        (
            "wrong signature",
            Timestamp::now(),
            &flip_signature,
            "verify aksk signature fail",
        ),
        ("expired date", late, &keep, "x-sdk-date expired or invalid"),
        (
            "no X-Sdk-Date",
            Timestamp::now(),
            &drop_date,
            "MissingSignedHeader",
        ),
        (
            "X-Sdk-Date not signed",
            Timestamp::now(),
            &unsign_date,
            "RequiredHeaderNotSigned",
        ),
    ];
    for (what, time, edit, message) in refused {
        let r = send(&cluster_path, &project, time, edit).await;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.body["error_code"], "APIG.0301", "{what}");
        let msg = r.body["error_msg"].as_str().unwrap();
        assert!(msg.contains(message), "{what}: {msg}");
    }
    assert_eq!(h.counter("huawei", "ShowCluster", "unauthorized"), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_sold_out_failing_and_quota() {
    let mut s = scenario(fast());
    s.faults.huawei_sold_out_flavors.insert("sold".into());
    s.faults.huawei_failing_flavors.insert("broken".into());
    s.faults.max_nodes_per_cluster = Some(3);
    s.faults.max_pools_per_cluster = Some(4);
    let h = start_with(s, None).await;
    let sold = h
        .cce("POST", "", Some(cce_pool("sold", "sold", 2)))
        .await
        .body;
    let broken = h
        .cce("POST", "", Some(cce_pool("broken", "broken", 2)))
        .await
        .body;
    let a = h.cce("POST", "", Some(cce_pool("a", "ok", 2))).await.body;
    let b = h.cce("POST", "", Some(cce_pool("b", "ok", 2))).await.body;
    let refused = h.cce("POST", "", Some(cce_pool("c", "ok", 0))).await;
    assert_eq!(refused.status, 403, "pool quota: {}", refused.body);
    let uid = |v: &Value| v["metadata"]["uid"].as_str().unwrap().to_owned();
    let show = async |u: String| h.cce("GET", &format!("/{u}"), None).await.body;
    tokio::time::sleep(Duration::from_millis(900)).await;
    let s = show(uid(&sold)).await;
    assert_eq!(s["status"]["phase"], "SoldOut", "{s}");
    assert_eq!(s["status"]["currentNode"], 0);
    assert_eq!(s["status"]["conditions"][0]["type"], "Scalable");
    assert_eq!(s["status"]["conditions"][0]["status"], "False");
    assert_eq!(
        s["status"]["conditions"][0]["reason"],
        "ResourceInsufficient"
    );
    let e = show(uid(&broken)).await;
    assert_eq!(e["status"]["phase"], "Error", "{e}");
    assert_eq!(e["status"]["conditions"][0]["type"], "UnexpectedError");
    // Sold-out and failed pools hold no nodes, so `a` takes 2 of the quota of 3, `b` gets 1.
    let pa = show(uid(&a)).await;
    assert_eq!(
        (
            pa["status"]["phase"].as_str(),
            pa["status"]["currentNode"].as_u64()
        ),
        (Some(""), Some(2))
    );
    let pb = show(uid(&b)).await;
    assert_eq!(pb["status"]["phase"], "SoldOut", "{pb}");
    assert_eq!(pb["status"]["currentNode"], 1);
    assert_eq!(pb["status"]["conditions"][0]["reason"], "QuotaInsufficient");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_lifecycle_tasks_and_validation() {
    let h = start().await;
    let base = format!("/clusters/{ACK}/nodepools");
    let created = h
        .ack("POST", &base, Some(ack_pool("w", "ecs.g7.large", 2)))
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert!(created.headers.contains_key("x-acs-request-id"));
    let np = created.body["nodepool_id"].as_str().unwrap().to_owned();
    let task = created.body["task_id"].as_str().unwrap().to_owned();
    assert!(created.body["request_id"].is_string());
    let d = h.ack("GET", &format!("{base}/{np}"), None).await.body;
    assert_eq!(d["status"]["state"], "initial", "{d}");
    assert_eq!(d["nodepool_info"]["nodepool_id"], np.as_str());
    assert!(d["scaling_group"]["scaling_group_id"].is_string());
    let t = h.ack("GET", &format!("/tasks/{task}"), None).await.body;
    assert_eq!(t["state"], "running");
    let mut states = vec![];
    wait_until("active", async || {
        let d = h.ack("GET", &format!("{base}/{np}"), None).await.body;
        let s = d["status"]["state"].as_str().unwrap().to_owned();
        if states.last() != Some(&s) {
            states.push(s.clone());
        }
        s == "active"
    })
    .await;
    assert_eq!(states, ["initial", "scaling", "active"]);
    let t = h.ack("GET", &format!("/tasks/{task}"), None).await.body;
    assert_eq!(t["state"], "success", "{t}");
    assert_eq!(t["target"]["id"], np.as_str());

    // Modify without tags keeps them (other empty lists are skipped); lowering desired_size
    // removes nodes.
    let m = h
        .ack(
            "PUT",
            &format!("{base}/{np}"),
            Some(json!({"scaling_group": {"desired_size": 1, "data_disks": []}})),
        )
        .await;
    assert_eq!(m.status, 200, "{}", m.body);
    let d = h.ack("GET", &format!("{base}/{np}"), None).await.body;
    assert_eq!(d["status"]["state"], "removing");
    assert_eq!(d["scaling_group"]["tags"][0]["value"], "w");
    // Names may repeat; the list filters by name.
    h.ack("POST", &base, Some(ack_pool("w", "ecs.g7.large", 0)))
        .await;
    h.ack("POST", &base, Some(ack_pool("other", "ecs.g7.large", 0)))
        .await;
    let l = h.ack_q("GET", &base, &[("NodepoolName", "w")], None).await;
    assert_eq!(
        l.body["nodepools"].as_array().unwrap().len(),
        2,
        "{}",
        l.body
    );
    assert!(l.body["nodepools"][0].get("host_network").is_none());
    let sc = h
        .ack("POST", &format!("{base}/{np}"), Some(json!({"count": 2})))
        .await;
    assert_eq!(sc.status, 200);
    assert!(sc.body["task_id"].is_string());
    let d = h.ack("GET", &format!("{base}/{np}"), None).await.body;
    assert_eq!(d["scaling_group"]["desired_size"], 3);

    let del = h
        .ack_q(
            "DELETE",
            &format!("{base}/{np}"),
            &[("force", "True")],
            None,
        )
        .await;
    assert_eq!(del.status, 200);
    assert!(del.body["request_id"].is_string() && del.body["task_id"].is_string());
    let d = h.ack("GET", &format!("{base}/{np}"), None).await;
    assert_eq!(d.body["status"]["state"], "deleting");
    let busy = h
        .ack("POST", &format!("{base}/{np}"), Some(json!({"count": 1})))
        .await;
    assert_eq!(busy.status, 400);
    wait_until("404", async || {
        h.ack("GET", &format!("{base}/{np}"), None).await.status == 404
    })
    .await;
    let gone = h.ack("GET", &format!("{base}/{np}"), None).await;
    assert_eq!(gone.body["code"], "ErrorNodePoolNotFound");
    assert!(gone.body["requestId"].is_string());

    // Validation and errors.
    let mut no_types = ack_pool("x", "t", 1);
    no_types["scaling_group"]["instance_types"] = json!([]);
    let r = h.ack("POST", &base, Some(no_types)).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("InvalidParameter"))
    );
    let r = h.ack("GET", "/clusters/nope/nodepools", None).await;
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("ErrorClusterNotFound"))
    );
    let r = h
        .ack("POST", &format!("{base}/{np}x"), Some(json!({"count": 0})))
        .await;
    assert_eq!(r.status, 404);
    let r = h
        .ack_as("AAK", "bad", "GET", &base, &[], None)
        .await
        .0
        .unwrap();
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (400, Some("SignatureDoesNotMatch"))
    );
    let r = h
        .ack_as("ZZZ", "bad", "GET", &base, &[], None)
        .await
        .0
        .unwrap();
    assert_eq!(
        (r.status, r.body["code"].as_str()),
        (404, Some("InvalidAccessKeyId.NotFound"))
    );
    // A replayed request (same nonce) is refused.
    let (first, headers, pq, body) = h.ack_as("AAK", "ASK", "GET", &base, &[], None).await;
    assert_eq!(first.unwrap().status, 200);
    let replay = h.send("GET", &pq, &headers, body).await;
    assert_eq!(replay.body["code"], "SignatureNonceUsed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_sold_out_and_failing_instance_types() {
    let mut s = scenario(fast());
    s.faults
        .alibaba_sold_out_instance_types
        .insert("sold".into());
    s.faults
        .alibaba_failing_instance_types
        .insert("broken".into());
    let h = start_with(s, None).await;
    let base = format!("/clusters/{ACK}/nodepools");
    let sold = h
        .ack("POST", &base, Some(ack_pool("s", "sold", 2)))
        .await
        .body;
    let broken = h
        .ack("POST", &base, Some(ack_pool("b", "broken", 2)))
        .await
        .body;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let t = h
        .ack(
            "GET",
            &format!("/tasks/{}", sold["task_id"].as_str().unwrap()),
            None,
        )
        .await
        .body;
    assert_eq!(t["state"], "fail");
    assert_eq!(t["error"]["code"], "OperationDenied.NoStock");
    let d = h
        .ack(
            "GET",
            &format!("{base}/{}", sold["nodepool_id"].as_str().unwrap()),
            None,
        )
        .await
        .body;
    assert_eq!(d["status"]["state"], "active");
    assert_eq!(d["status"]["failed_nodes"], 2);
    let d = h
        .ack(
            "GET",
            &format!("{base}/{}", broken["nodepool_id"].as_str().unwrap()),
            None,
        )
        .await
        .body;
    assert_eq!(d["status"]["state"], "failed", "{d}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_errors_latency_and_counters() {
    let h = start().await;
    let faults = json!({"accounts": {"HAK": {"rate_limit_per_minute": 3},
                                     "AAK": {"rate_limit_per_minute": 2}}});
    assert_eq!(
        h.admin("PUT", "/_sim/faults", Some(faults.clone()))
            .await
            .status,
        200
    );
    let got = h.admin("GET", "/_sim/faults", None).await.body;
    assert_eq!(got["accounts"]["HAK"]["rate_limit_per_minute"], 3, "{got}");
    assert_eq!(got["accounts"]["AAK"]["latency_ms"], 0, "{got}");
    for _ in 0..3 {
        assert_eq!(h.cce("GET", "", None).await.status, 200);
    }
    let t = h.cce("GET", "", None).await;
    assert_eq!(t.status, 429);
    assert_eq!(
        t.body,
        json!({"error_code": "APIG.0308",
               "error_msg": "The throttling threshold has been reached: policy user over ratelimit,limit:3,time:1 minute",
               "request_id": t.headers["x-request-id"].to_str().unwrap()})
    );
    // Another account is not throttled.
    let other = h
        .cce_as(
            "HAK2",
            "HSK2",
            PROJECT,
            Timestamp::now(),
            "GET",
            &format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools"),
            &[],
            None,
        )
        .await;
    assert_eq!(other.status, 200);
    let base = format!("/clusters/{ACK}/nodepools");
    h.ack("GET", &base, None).await;
    h.ack("GET", &base, None).await;
    let t = h.ack("GET", &base, None).await;
    assert_eq!(
        (t.status, t.body["code"].as_str()),
        (429, Some("Throttling.User"))
    );
    let wait: u64 = t.headers["x-acs-retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 30_000, "{wait}");
    assert_eq!(h.counter("huawei", "ListNodePools", "ok"), 4);
    assert_eq!(h.counter("huawei", "ListNodePools", "throttled"), 1);
    assert_eq!(
        h.counter("alibaba", "DescribeClusterNodePools", "throttled"),
        1
    );
    let counters = h.admin("GET", "/_sim/counters", None).await.body;
    assert_eq!(counters["total"], 8);

    // Error rate 1: every request fails with a 5xx in the cloud's shape.
    h.admin(
        "PUT",
        "/_sim/faults",
        Some(json!({"global": {"error_rate": 1.0}})),
    )
    .await;
    let e = h.cce("GET", "", None).await;
    assert_eq!(
        (e.status, e.body["error_code"].as_str()),
        (500, Some("CCE.01500001"))
    );
    let e = h.ack("GET", &base, None).await;
    assert_eq!(
        (e.status, e.body["code"].as_str()),
        (500, Some("InternalError"))
    );
    assert_eq!(h.counter("huawei", "ListNodePools", "injected_error"), 1);

    // Latency.
    h.admin(
        "PUT",
        "/_sim/faults",
        Some(json!({"global": {"latency_ms": 300}})),
    )
    .await;
    let t0 = Instant::now();
    assert_eq!(h.cce("GET", "", None).await.status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));

    // Timeout: the request hangs, then the connection is dropped without an answer.
    h.admin(
        "PUT",
        "/_sim/faults",
        Some(json!({"global": {"timeout_rate": 1.0, "timeout_ms": 200}})),
    )
    .await;
    let t0 = Instant::now();
    let resp = h
        .http
        .get(format!("http://{}/clusters/{ACK}/nodepools", h.host))
        .send()
        .await;
    // Unsigned, so refused before faults apply: timeouts hit authenticated requests only.
    assert_eq!(resp.unwrap().status(), 400);
    let path = format!("/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools");
    let body = b"";
    let req = RequestToSign {
        method: "GET",
        path: &path,
        query: &[],
        headers: &[
            ("Content-Type", "application/json"),
            ("Host", h.host.as_str()),
            ("X-Project-Id", PROJECT),
        ],
        body,
    };
    let signed =
        huawei_sign::sign(&req, "HAK", &SecretString::from("HSK"), Timestamp::now()).unwrap();
    let mut rb = h
        .http
        .get(format!("http://{}{path}", h.host))
        .header("Content-Type", "application/json")
        .header("X-Project-Id", PROJECT);
    for (n, v) in &signed.headers_to_add {
        rb = rb.header(*n, v);
    }
    let outcome = match rb.send().await {
        Ok(r) => r.bytes().await.map(|_| ()),
        Err(e) => Err(e),
    };
    assert!(outcome.is_err(), "a timed-out request got a full answer");
    assert!(t0.elapsed() >= Duration::from_millis(200));
    assert_eq!(h.counter("huawei", "ListNodePools", "timeout"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sim-state-{}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let h = start_with(scenario(fast()), Some(file.clone())).await;
    // A cluster added at run time is kept too.
    let added = h
        .admin(
            "POST",
            "/_sim/clusters",
            Some(json!({"alibaba": "ack-extra"})),
        )
        .await;
    assert_eq!(added.status, 200);
    let c = h.cce("POST", "", Some(cce_pool("keep", "f", 3))).await.body;
    let uid = c["metadata"]["uid"].as_str().unwrap().to_owned();
    let a = h
        .ack(
            "POST",
            "/clusters/ack-extra/nodepools",
            Some(ack_pool("k", "t", 1)),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let np = a.body["nodepool_id"].as_str().unwrap().to_owned();
    let task = a.body["task_id"].as_str().unwrap().to_owned();
    let saved = h.admin("POST", "/_sim/save", None).await;
    assert_eq!(saved.body["saved"], true);
    drop(h);

    let h2 = start_with(scenario(fast()), Some(file.clone())).await;
    let shown = h2.cce("GET", &format!("/{uid}"), None).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["metadata"]["name"], "keep");
    assert_eq!(shown.body["spec"]["initialNodeCount"], 3);
    assert_eq!(
        shown.body["metadata"]["creationTimestamp"],
        c["metadata"]["creationTimestamp"]
    );
    let d = h2
        .ack("GET", &format!("/clusters/ack-extra/nodepools/{np}"), None)
        .await;
    assert_eq!(d.status, 200, "{}", d.body);
    assert_eq!(d.body["scaling_group"]["tags"][0]["value"], "k");
    assert_eq!(
        h2.ack("GET", &format!("/tasks/{task}"), None).await.status,
        200
    );
    // Progress continues from the saved timestamps.
    wait_until("3 nodes after restart", async || {
        h2.cce("GET", &format!("/{uid}"), None).await.body["status"]["currentNode"] == 3
    })
    .await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_lists_resets_and_refuses() {
    let h = start().await;
    h.cce("POST", "", Some(cce_pool("one", "f", 1))).await;
    h.ack(
        "POST",
        &format!("/clusters/{ACK}/nodepools"),
        Some(ack_pool("two", "t", 1)),
    )
    .await;
    let pools = h.admin("GET", "/_sim/pools", None).await.body;
    assert_eq!(pools["huawei"][0]["pool"]["metadata"]["name"], "one");
    assert_eq!(pools["huawei"][0]["cluster_id"], CLUSTER);
    assert_eq!(pools["alibaba"][0]["pool"]["nodepool_info"]["name"], "two");
    let clusters = h.admin("GET", "/_sim/clusters", None).await.body;
    assert_eq!(clusters["huawei"][0], format!("{PROJECT}/{CLUSTER}"));
    assert_eq!(h.admin("GET", "/_sim/health", None).await.body["ok"], true);
    assert_eq!(h.admin("GET", "/_sim/nope", None).await.status, 404);
    assert_eq!(
        h.admin("PUT", "/_sim/faults", Some(json!({"bogus": 1})))
            .await
            .status,
        400
    );
    assert_eq!(
        h.admin(
            "POST",
            "/_sim/clusters",
            Some(json!({"huawei": "no-slash"}))
        )
        .await
        .status,
        400
    );
    // Without --state, save is a no-op that says so.
    assert_eq!(
        h.admin("POST", "/_sim/save", None).await.body["saved"],
        false
    );
    assert_eq!(h.admin("POST", "/_sim/reset", None).await.status, 200);
    let pools = h.admin("GET", "/_sim/pools", None).await.body;
    assert_eq!(pools, json!({"huawei": [], "alibaba": []}));
    assert_eq!(
        h.admin("GET", "/_sim/counters", None).await.body["total"],
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_user_tags_limits_and_clearing() {
    let h = start().await;
    let owner = json!([{"key": "nodepool-owner-uid", "value": "0b7c3d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d"},
                       {"key": "nodepool-owner", "value": "default_web"}]);
    let mut body = cce_pool("web", "s6.large.2", 0);
    body["spec"]["nodeTemplate"]["userTags"] = owner.clone();
    body["spec"]["nodeTemplate"]["taints"] =
        json!([{"key": "dedicated", "value": "web", "effect": "NoSchedule"}]);
    body["spec"]["nodeTemplate"]["k8sTags"] = json!({"team": "a"});
    let c = h.cce("POST", "", Some(body)).await;
    assert_eq!(c.status, 201, "{}", c.body);
    assert_eq!(c.body["spec"]["nodeTemplate"]["userTags"], owner);
    let uid = c.body["metadata"]["uid"].as_str().unwrap().to_owned();
    let pool = format!("/{uid}");
    // List and get return the tags as sent.
    let listed = h.cce("GET", "", None).await.body;
    assert_eq!(
        listed["items"][0]["spec"]["nodeTemplate"]["userTags"],
        owner
    );
    let shown = h.cce("GET", &pool, None).await.body;
    assert_eq!(shown["spec"]["nodeTemplate"]["userTags"], owner);

    // CCE's documented limits, on create and on update alike.
    let nine: Vec<Value> = (0..9)
        .map(|i| json!({"key": format!("k{i}"), "value": "v"}))
        .collect();
    let refused = [
        ("nine tags", json!(nine)),
        ("reserved CCE-", json!([{"key": "CCE-owner", "value": "v"}])),
        (
            "reserved __type_baremetal",
            json!([{"key": "__type_baremetal", "value": "v"}]),
        ),
        ("reserved sys", json!([{"key": "sys-owner", "value": "v"}])),
        ("slash in key", json!([{"key": "owner/uid", "value": "v"}])),
        ("long key", json!([{"key": "k".repeat(129), "value": "v"}])),
        (
            "long value",
            json!([{"key": "k", "value": "v".repeat(256)}]),
        ),
        ("pipe in value", json!([{"key": "k", "value": "a|b"}])),
        (
            "duplicate key",
            json!([{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]),
        ),
    ];
    for (what, tags) in refused {
        let mut b = cce_pool("other", "s6.large.2", 0);
        b["spec"]["nodeTemplate"]["userTags"] = tags.clone();
        let r = h.cce("POST", "", Some(b)).await;
        assert_eq!(
            (r.status, r.body["error_code"].as_str()),
            (400, Some("CCE.01400001")),
            "create, {what}: {}",
            r.body
        );
        let r = h
            .cce(
                "PUT",
                &pool,
                Some(json!({"spec": {"initialNodeCount": 0, "nodeTemplate": {"userTags": tags}}})),
            )
            .await;
        assert_eq!(
            (r.status, r.body["error_code"].as_str()),
            (400, Some("CCE.01400001")),
            "update, {what}: {}",
            r.body
        );
    }
    let eight: Vec<Value> = (0..8)
        .map(|i| json!({"key": format!("k{i}"), "value": "v/w"}))
        .collect();
    let mut b = cce_pool("eight", "s6.large.2", 0);
    b["spec"]["nodeTemplate"]["userTags"] = json!(eight);
    assert_eq!(h.cce("POST", "", Some(b)).await.status, 201);

    // Absent lists are left as they are.
    let u = h
        .cce(
            "PUT",
            &pool,
            Some(json!({"spec": {"initialNodeCount": 0, "nodeTemplate": {}}})),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    let t = &u.body["spec"]["nodeTemplate"];
    assert_eq!(t["userTags"], owner);
    assert_eq!(t["taints"].as_array().unwrap().len(), 1);
    assert_eq!(t["k8sTags"]["team"], "a");
    // A list replaces.
    let u = h
        .cce(
            "PUT",
            &pool,
            Some(json!({"spec": {"initialNodeCount": 0,
                                 "nodeTemplate": {"userTags": [owner[0].clone()]}}})),
        )
        .await;
    assert_eq!(
        u.body["spec"]["nodeTemplate"]["userTags"],
        json!([owner[0].clone()])
    );
    // `[]` / `{}` delete the custom ones; CCE's own label stays.
    let u = h
        .cce(
            "PUT",
            &pool,
            Some(json!({"spec": {"initialNodeCount": 0,
                                 "nodeTemplate": {"userTags": [], "taints": [], "k8sTags": {}}}})),
        )
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    let shown = h.cce("GET", &pool, None).await.body;
    let t = &shown["spec"]["nodeTemplate"];
    assert_eq!(t["userTags"], json!([]));
    assert_eq!(t["taints"], json!([]));
    assert_eq!(t["k8sTags"], json!({"cce.cloud.com/cce-nodepool": "web"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cce_names_stay_taken_on_rename_and_while_deleting() {
    let h = start().await;
    let a = h.cce("POST", "", Some(cce_pool("a", "f", 0))).await.body;
    let b = h.cce("POST", "", Some(cce_pool("b", "f", 0))).await.body;
    let a = format!("/{}", a["metadata"]["uid"].as_str().unwrap());
    let b = format!("/{}", b["metadata"]["uid"].as_str().unwrap());
    let rename = json!({"metadata": {"name": "a"}, "spec": {"ignoreInitialNodeCount": true}});
    let r = h.cce("PUT", &b, Some(rename.clone())).await;
    assert_eq!(
        (r.status, r.body["error_code"].as_str()),
        (409, Some("CCE.01409001")),
        "{}",
        r.body
    );
    // A pool being deleted holds its name until it is gone.
    assert_eq!(h.cce("DELETE", &a, None).await.status, 200);
    assert_eq!(
        h.cce("POST", "", Some(cce_pool("a", "f", 0))).await.status,
        409
    );
    assert_eq!(h.cce("PUT", &b, Some(rename.clone())).await.status, 409);
    wait_until("a gone", async || {
        h.cce("GET", &a, None).await.status == 404
    })
    .await;
    let r = h.cce("PUT", &b, Some(rename)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["metadata"]["name"], "a");
    assert_eq!(h.cce("GET", &b, None).await.body["metadata"]["name"], "a");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ack_tags_limits_list_replacement_and_forced_delete() {
    let h = start().await;
    let base = format!("/clusters/{ACK}/nodepools");
    for bad in [
        json!([{"key": "aliyun-owner", "value": "x"}]),
        json!([{"key": "owner", "value": "acs:x"}]),
        json!([{"key": "owner", "value": "https://x"}]),
        json!([{"key": "k".repeat(129), "value": "x"}]),
    ] {
        let mut b = ack_pool("bad", "t", 0);
        b["scaling_group"]["tags"] = bad.clone();
        let r = h.ack("POST", &base, Some(b)).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("InvalidParameter")),
            "{bad}: {}",
            r.body
        );
    }
    let mut b = ack_pool("w", "t", 1);
    b["kubernetes_config"]["taints"] = json!([{"key": "k", "value": "v", "effect": "NoSchedule"}]);
    let np = h.ack("POST", &base, Some(b)).await.body["nodepool_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pool = format!("{base}/{np}");
    let modify = async |body: Value| {
        let m = h.ack("PUT", &pool, Some(body)).await;
        assert_eq!(m.status, 200, "{}", m.body);
        h.ack("GET", &pool, None).await.body
    };
    // Absent or null: unchanged.
    let d = modify(
        json!({"kubernetes_config": {"cpu_policy": "none", "labels": null},
                          "scaling_group": {"tags": null}}),
    )
    .await;
    assert_eq!(
        d["kubernetes_config"]["labels"],
        json!([{"key": "a", "value": "b"}])
    );
    assert_eq!(
        d["kubernetes_config"]["taints"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        d["scaling_group"]["tags"],
        json!([{"key": "owner", "value": "w"}])
    );
    // A list replaces the whole list.
    let tags = json!([{"key": "cloud.nodepool.dev/owner-uid", "value": "0b7c"},
                      {"key": "cloud.nodepool.dev/owner", "value": "default/w"}]);
    let d = modify(json!({"scaling_group": {"tags": tags}})).await;
    assert_eq!(d["scaling_group"]["tags"], tags);
    let listed = h.ack("GET", &base, None).await.body;
    assert_eq!(listed["nodepools"][0]["scaling_group"]["tags"], tags);
    // `[]` clears.
    let d = modify(json!({"kubernetes_config": {"labels": [], "taints": []},
                          "scaling_group": {"tags": []}}))
    .await;
    assert_eq!(d["kubernetes_config"]["labels"], json!([]));
    assert_eq!(d["kubernetes_config"]["taints"], json!([]));
    assert_eq!(d["scaling_group"]["tags"], json!([]));
    let r = h
        .ack(
            "PUT",
            &pool,
            Some(json!({"scaling_group": {"tags": [{"key": "acs:x", "value": "y"}]}})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);

    // Delete without force is refused while the pool has nodes.
    wait_until("1 node", async || {
        h.ack("GET", &pool, None).await.body["status"]["total_nodes"] == 1
    })
    .await;
    for query in [
        &[][..],
        &[("force", "False")][..],
        &[("force", "false")][..],
    ] {
        let r = h.ack_q("DELETE", &pool, query, None).await;
        assert_eq!(
            (r.status, r.body["code"].as_str()),
            (400, Some("ErrorNodePoolNotEmpty")),
            "{query:?}: {}",
            r.body
        );
        assert!(r.body["requestId"].is_string());
    }
    assert_ne!(
        h.ack("GET", &pool, None).await.body["status"]["state"],
        "deleting"
    );
    let r = h.ack_q("DELETE", &pool, &[("force", "true")], None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        h.ack("GET", &pool, None).await.body["status"]["state"],
        "deleting"
    );
    // Deleting again answers like the first delete, force or not.
    assert_eq!(h.ack("DELETE", &pool, None).await.status, 200);
    // A pool without nodes goes without force.
    let empty = h.ack("POST", &base, Some(ack_pool("e", "t", 0))).await.body["nodepool_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = h.ack("DELETE", &format!("{base}/{empty}"), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sold_out_pools_recover_when_changed() {
    let mut s = scenario(fast());
    s.faults
        .alibaba_sold_out_instance_types
        .insert("ecs.sold".into());
    let h = start_with(s.clone(), None).await;

    // CCE: a pool that grew short because its flavor sold out settles at its current count.
    let c = h.cce("POST", "", Some(cce_pool("p", "f", 1))).await.body;
    let pool = format!("/{}", c["metadata"]["uid"].as_str().unwrap());
    wait_until("1 node", async || {
        let b = h.cce("GET", &pool, None).await.body;
        b["status"]["phase"] == "" && b["status"]["currentNode"] == 1
    })
    .await;
    let mut faults = s.faults.clone();
    faults.huawei_sold_out_flavors.insert("f".into());
    h.admin("PUT", "/_sim/faults", Some(json!(faults))).await;
    let u = h
        .cce("PUT", &pool, Some(json!({"spec": {"initialNodeCount": 3}})))
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    let b = h.cce("GET", &pool, None).await.body;
    assert_eq!(b["status"]["phase"], "SoldOut", "{b}");
    assert_eq!(b["status"]["currentNode"], 1);
    let u = h
        .cce("PUT", &pool, Some(json!({"spec": {"initialNodeCount": 1}})))
        .await;
    assert_eq!(u.status, 200, "{}", u.body);
    let b = h.cce("GET", &pool, None).await.body;
    assert_eq!(b["status"]["phase"], "", "{b}");
    assert_eq!(b["status"]["conditions"], json!([]));
    assert_eq!(b["spec"]["initialNodeCount"], 1);

    // ACK: switching a sold-out pool to an instance type in stock lets it reach its target.
    let base = format!("/clusters/{ACK}/nodepools");
    let created = h
        .ack("POST", &base, Some(ack_pool("s", "ecs.sold", 2)))
        .await
        .body;
    let pool = format!("{base}/{}", created["nodepool_id"].as_str().unwrap());
    let task = created["task_id"].as_str().unwrap().to_owned();
    wait_until("create task failed", async || {
        h.ack("GET", &format!("/tasks/{task}"), None).await.body["state"] == "fail"
    })
    .await;
    let d = h.ack("GET", &pool, None).await.body;
    assert_eq!(
        (
            d["status"]["total_nodes"].as_u64(),
            d["status"]["failed_nodes"].as_u64()
        ),
        (Some(0), Some(2)),
        "{d}"
    );
    let m = h
        .ack(
            "PUT",
            &pool,
            Some(json!({"scaling_group": {"instance_types": ["ecs.g7.large"]}})),
        )
        .await
        .body;
    assert_eq!(
        h.ack("GET", &pool, None).await.body["status"]["state"],
        "scaling"
    );
    wait_until("2 nodes", async || {
        let d = h.ack("GET", &pool, None).await.body;
        d["status"]["state"] == "active" && d["status"]["total_nodes"] == 2
    })
    .await;
    let d = h.ack("GET", &pool, None).await.body;
    assert_eq!(d["status"]["failed_nodes"], 0, "{d}");
    assert_eq!(d["status"]["conditions"], json!([]));
    let t = h
        .ack(
            "GET",
            &format!("/tasks/{}", m["task_id"].as_str().unwrap()),
            None,
        )
        .await
        .body;
    assert_eq!(t["state"], "success", "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_answers_and_late_pools() {
    let h = start().await;
    let set = h
        .admin(
            "PUT",
            "/_sim/faults",
            Some(json!({"lose_create_answers": 2, "late_visibility_ms": 800})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let left = async || {
        h.admin("GET", "/_sim/faults", None).await.body["lose_create_answers"]
            .as_u64()
            .unwrap()
    };
    let t0 = Instant::now();

    // CCE: the create is carried out, its answer lost.
    h.cce_unanswered("POST", "", Some(cce_pool("late", "f", 1)))
        .await;
    assert_eq!(h.counter("huawei", "CreateNodePool", "lost_answer"), 1);
    assert_eq!(left().await, 1);
    assert_eq!(h.cce("GET", "", None).await.body["items"], json!([]));
    let admin_pools = h.admin("GET", "/_sim/pools", None).await.body;
    let uid = admin_pools["huawei"][0]["pool"]["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = h.cce("GET", &format!("/{uid}"), None).await;
    assert_eq!(
        (hidden.status, hidden.body["error_code"].as_str()),
        (404, Some("CCE.01404001"))
    );
    // The invisible pool holds its name; a refused create does not use up a lost answer.
    let again = h.cce("POST", "", Some(cce_pool("late", "f", 1))).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(left().await, 1);

    // ACK likewise.
    let base = format!("/clusters/{ACK}/nodepools");
    let (answer, ..) = h
        .ack_as(
            "AAK",
            "ASK",
            "POST",
            &base,
            &[],
            Some(ack_pool("late", "t", 1)),
        )
        .await;
    assert!(
        answer.is_err(),
        "an answer arrived: {:?}",
        answer.map(|a| a.body)
    );
    assert_eq!(
        h.counter("alibaba", "CreateClusterNodePool", "lost_answer"),
        1
    );
    assert_eq!(left().await, 0);
    assert_eq!(h.ack("GET", &base, None).await.body["nodepools"], json!([]));
    let admin_pools = h.admin("GET", "/_sim/pools", None).await.body;
    let np = admin_pools["alibaba"][0]["pool"]["nodepool_info"]["nodepool_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let hidden = h.ack("GET", &format!("{base}/{np}"), None).await;
    assert_eq!(
        (hidden.status, hidden.body["code"].as_str()),
        (404, Some("ErrorNodePoolNotFound"))
    );
    // Once the count is used up, creates are answered again.
    let answered = h.ack("POST", &base, Some(ack_pool("next", "t", 0))).await;
    assert_eq!(answered.status, 200, "{}", answered.body);

    // Both pools show up after late_visibility_ms, with their lifecycle counted from the create.
    wait_until("the late CCE pool", async || {
        h.cce("GET", "", None).await.body["items"][0]["metadata"]["uid"] == uid.as_str()
    })
    .await;
    assert!(
        t0.elapsed() >= Duration::from_millis(750),
        "{:?}",
        t0.elapsed()
    );
    wait_until("the late ACK pool", async || {
        h.ack_q("GET", &base, &[("NodepoolName", "late")], None)
            .await
            .body["nodepools"][0]["nodepool_info"]["nodepool_id"]
            == np.as_str()
    })
    .await;
    let shown = h.cce("GET", &format!("/{uid}"), None).await;
    assert_eq!(shown.status, 200);
    wait_until("the late pools' nodes", async || {
        h.cce("GET", &format!("/{uid}"), None).await.body["status"]["currentNode"] == 1
            && h.ack("GET", &format!("{base}/{np}"), None).await.body["status"]["total_nodes"] == 1
    })
    .await;
}
