//! Wire tests of the CCE and ACK clients against a loopback axum server in the test: the exact
//! method, path, query, headers (the Authorization verified with the signing module's `verify`,
//! the server holding the same secret) and JSON body of every operation; every error shape and
//! class; retry and no-retry; Retry-After; timeouts; unreadable bodies.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use jiff::Timestamp;
use nodepool_controller::cloud::alibaba::sign as alibaba_sign;
use nodepool_controller::cloud::alibaba::{AlibabaClient, AlibabaConfig};
use nodepool_controller::cloud::auth::{AccessKey, HuaweiAuth};
use nodepool_controller::cloud::http::{HttpConfig, RetryPolicy};
use nodepool_controller::cloud::huawei::sign as huawei_sign;
use nodepool_controller::cloud::huawei::{HuaweiClient, HuaweiConfig};
use nodepool_controller::cloud::ratelimit::{RateLimit, RateLimiters};
use nodepool_controller::cloud::sign::{self, ReceivedRequest};
use nodepool_controller::cloud::{
    CloudError, ErrorKind, NodePoolProvider, Operation, PoolUpdate, TransportFailure, USER_AGENT,
};
use secrecy::SecretString;
use serde_json::{Value, json};

const AK: &str = "AKTESTEXAMPLE";
const SK: &str = "SKTESTEXAMPLESECRET";
const STS: &str = "STS-TOKEN-SECRET";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

// ---------------------------------------------------------------------------------------------
// The loopback server
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Captured {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name));
        let first = values.next()?;
        assert!(values.next().is_none(), "header {name} sent twice");
        Some(String::from_utf8(first.1.clone()).unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON request body")
    }

    fn received(&self) -> (Vec<(&str, &[u8])>, &Self) {
        (
            self.headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_slice()))
                .collect(),
            self,
        )
    }

    fn verify_huawei(&self) -> sign::Verified {
        let (headers, me) = self.received();
        let req = ReceivedRequest {
            method: &me.method,
            path: &me.path,
            query: &me.query,
            headers: &headers,
            body: &me.body,
        };
        huawei_sign::verify(
            &req,
            |ak| (ak == AK).then(|| SecretString::from(SK)),
            Timestamp::now(),
            sign::DEFAULT_MAX_SKEW,
        )
        .expect("the Huawei signature verifies")
    }

    fn verify_alibaba(&self) -> sign::Verified {
        let (headers, me) = self.received();
        let req = ReceivedRequest {
            method: &me.method,
            path: &me.path,
            query: &me.query,
            headers: &headers,
            body: &me.body,
        };
        alibaba_sign::verify(
            &req,
            |ak| (ak == AK).then(|| SecretString::from(SK)),
            Timestamp::now(),
            sign::DEFAULT_MAX_SKEW,
        )
        .expect("the Alibaba signature verifies")
    }

    fn signed_headers(&self) -> String {
        let auth = self
            .header("authorization")
            .expect("an Authorization header");
        let start = auth.find("SignedHeaders=").unwrap() + "SignedHeaders=".len();
        auth[start..].split(',').next().unwrap().to_owned()
    }
}

#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
}

fn reply(status: u16, content_type: Option<&str>, body: &[u8]) -> Reply {
    Reply {
        status,
        headers: content_type
            .map(|c| vec![("content-type".to_owned(), c.to_owned())])
            .unwrap_or_default(),
        body: body.to_vec(),
        delay: Duration::ZERO,
    }
}

fn json_reply(status: u16, body: Value) -> Reply {
    reply(
        status,
        Some("application/json;charset=UTF-8"),
        body.to_string().as_bytes(),
    )
}

impl Reply {
    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

#[derive(Default)]
struct ServerState {
    captured: Mutex<Vec<Captured>>,
    replies: Mutex<VecDeque<Reply>>,
}

struct Server {
    base: String,
    state: Arc<ServerState>,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let state = Arc::new(ServerState {
            captured: Mutex::new(Vec::new()),
            replies: Mutex::new(replies.into()),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Server {
            base: format!("http://{addr}"),
            state,
        }
    }

    fn requests(&self) -> Vec<Captured> {
        self.state.captured.lock().unwrap().clone()
    }

    fn only_request(&self) -> Captured {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:#?}");
        requests[0].clone()
    }
}

async fn handle(State(state): State<Arc<ServerState>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default()
        .to_vec();
    state.captured.lock().unwrap().push(Captured {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body,
    });
    let next = state.replies.lock().unwrap().pop_front();
    let reply = next.unwrap_or_else(|| reply(599, None, b"no scripted reply"));
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(name, value);
    }
    builder.body(Body::from(reply.body)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Clients
// ---------------------------------------------------------------------------------------------

fn fast_http() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(3),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_retry_after: Duration::from_secs(5),
        },
    }
}

fn limiters() -> Arc<RateLimiters> {
    RateLimiters::new(RateLimit {
        per_second: 1000.0,
        burst: 1000,
    })
}

fn huawei_with(server: &Server, auth: HuaweiAuth, http: HttpConfig) -> HuaweiClient {
    let config = HuaweiConfig {
        region: "cn-north-4".into(),
        project_id: PROJECT.into(),
        endpoint: Some(server.base.clone()),
        http,
    };
    HuaweiClient::new(config, auth, &limiters())
        .unwrap()
        .with_random(Arc::new(|| 0.0))
}

fn huawei(server: &Server) -> HuaweiClient {
    huawei_with(
        server,
        HuaweiAuth::AccessKey(AccessKey::new(AK, SK)),
        fast_http(),
    )
}

fn alibaba_with(server: &Server, key: AccessKey, http: HttpConfig) -> AlibabaClient {
    let config = AlibabaConfig {
        region: "cn-hangzhou".into(),
        endpoint: Some(server.base.clone()),
        force_delete: false,
        http,
    };
    AlibabaClient::new(config, key, &limiters())
        .unwrap()
        .with_random(Arc::new(|| 0.0))
}

fn alibaba(server: &Server) -> AlibabaClient {
    alibaba_with(server, AccessKey::new(AK, SK), fast_http())
}

fn host(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

// ---------------------------------------------------------------------------------------------
// Fixtures: the seeds' examples and SDK-model-shaped answers
// ---------------------------------------------------------------------------------------------

/// The CCE seed's request example (seed 000, "请求示例").
fn cce_seed_request() -> Value {
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": {"name": "my-node-pool"},
        "spec": {
            "initialNodeCount": 0,
            "type": "vm",
            "autoscaling": {"enable": false, "minNodeCount": 0, "maxNodeCount": 1,
                "scaleDownCooldownTime": 0, "priority": 0},
            "nodeTemplate": {
                "flavor": "s6.large.2", "az": "az1.dc1", "os": "EulerOS 2.5",
                "login": {"sshKey": "myKeypair"},
                "rootVolume": {"volumetype": "SATA", "size": 40},
                "dataVolumes": [{"volumetype": "SATA", "size": 100,
                    "extendParam": {"useType": "docker"}}],
                "billingMode": 0
            }
        }
    })
}

/// The CCE seed's 201 answer (seed 000, "响应示例"), verbatim.
const CCE_SEED_RESPONSE: &str = r#"{
  "kind": "NodePool",
  "apiVersion": "v3",
  "metadata": {"name": "my-node-pool", "uid": "99addaa2-69eb-11ea-a592-0255ac1001bb"},
  "spec": {
    "type": "vm",
    "nodeTemplate": {
      "flavor": "s6.large.2", "az": "az1.dc1", "os": "EulerOS 2.5",
      "login": {"sshKey": "myKeypair"},
      "rootVolume": {"volumetype": "SATA", "size": 40},
      "dataVolumes": [{"volumetype": "SATA", "size": 100, "extendParam": {"useType": "docker"}}],
      "publicIP": {"eip": {"bandwidth": {}}},
      "nodeNicSpec": {"primaryNic": {"subnetId": "7e767d10-7548-4df5-ad72-aeac1d08bd8a"}},
      "billingMode": 0,
      "extendParam": {"alpha.cce/NodeImageID": "", "alpha.cce/postInstall": "",
        "alpha.cce/preInstall": "", "maxPods": 110},
      "k8sTags": {"cce.cloud.com/cce-nodepool": "my-node-pool"}
    },
    "autoscaling": {"maxNodeCount": 1},
    "nodeManagement": {}
  },
  "status": {"phase": ""}
}"#;

/// A `NodePool` shaped like the SDK model's show answer (every status field), plus fields no
/// SDK version knows.
fn cce_show_answer(uid: &str, name: &str) -> Value {
    json!({
        "kind": "NodePool",
        "apiVersion": "v3",
        "metadata": {"name": name, "uid": uid, "annotations": {"a": "b"},
            "creationTimestamp": "2024-01-15 08:30:00.1 +0000 UTC",
            "updateTimestamp": "2024-01-15 08:31:00.1 +0000 UTC", "resourceVersion": 7,
            "futureMetadataField": {"x": 1}},
        "spec": {"type": "vm", "initialNodeCount": 3,
            "nodeTemplate": {"flavor": "c7.large.2", "az": "cn-north-4a",
                "userTags": [{"key": "nodepool.dev/owner", "value": name}]},
            "autoscaling": {"enable": false}},
        "status": {"currentNode": 2, "creatingNode": 1, "deletingNode": 0, "activeNode": 2,
            "repairingNode": 0, "repairFailedNode": 0, "configurationSyncedNodeCount": 2,
            "phase": "Synchronizing", "jobId": "",
            "conditions": [{"type": "Scalable", "status": "True", "lastProbeTime": "t1",
                "lastTransitTime": "t2", "reason": "", "message": "ok", "futureKey": 1}],
            "scaleGroupStatuses": [{"name": "default", "desiredNodeCount": 3}],
            "futureStatusField": true},
        "futureTopLevel": "kept"
    })
}

/// The ACK seed's first request example (seed 004), minus `ClusterId` (a path parameter).
fn ack_seed_request() -> Value {
    json!({
        "nodepool_info": {"name": "cluster-demo", "resource_group_id": "rg-aek2aa7u22q****"},
        "scaling_group": {
            "vswitch_ids": ["vsw-wz9mfnhmssud6eicu****"],
            "system_disk_category": "cloud_efficiency", "system_disk_size": 120,
            "data_disks": [{"category": "cloud_ssd", "size": 40, "encrypted": "false"}],
            "instance_types": ["ecs.d1ne.2xlarge"], "vpc_id": "vpc-wz984yvbd6lck22z3****",
            "tags": [{"key": "k-1", "value": "v-1"}], "instance_charge_type": "PrePaid",
            "login_password": "****", "period": 1, "period_unit": "Month", "auto_renew": true,
            "auto_renew_period": 1, "security_group_id": "sg-wz9a8g2mt6x5llu0****",
            "platform": "AliyunLinux",
            "image_id": "aliyun_2_1903_x64_20G_alibase_20200529.vhd", "rds_instances": []
        },
        "kubernetes_config": {"cpu_policy": "none", "cms_enabled": true,
            "labels": [{"key": "k-2", "value": "v-2"}],
            "taints": [{"key": "k-3", "value": "v-3", "effect": "NoSchedule"}],
            "user_data": "MTEx", "runtime": "docker", "runtime_version": "19.03.5"},
        "tee_config": {"tee_enable": true}
    })
}

/// A node pool object shaped like the SDK's DescribeClusterNodePoolDetail response model, plus
/// fields no SDK version knows.
fn ack_detail_answer(id: &str, name: &str, tag_value: &str) -> Value {
    json!({
        "auto_scaling": {"enable": false, "max_instances": 0, "min_instances": 0, "type": "cpu"},
        "host_network": true,
        "intranet": false,
        "kubernetes_config": {"runtime": "containerd", "runtime_version": "1.6.28",
            "labels": [{"key": "owner", "value": "label-only"}], "taints": [],
            "cms_enabled": false, "cpu_policy": "none", "node_name_mode": "customized,aliyun,ip,com"},
        "management": {"enable": true, "auto_repair": true,
            "auto_repair_policy": {"restart_node": true, "auto_repair_policy_id": "arp-1"}},
        "nodepool_info": {"nodepool_id": id, "name": name, "type": "ess", "is_default": false,
            "region_id": "cn-hangzhou", "resource_group_id": "rg-1",
            "created": "2024-01-15T08:30:00+08:00", "updated": "2024-01-15T08:35:00+08:00"},
        "scaling_group": {"desired_size": 3, "instance_types": ["ecs.g7.large"],
            "vswitch_ids": ["vsw-1"], "scaling_group_id": "asg-1",
            "tags": [{"key": "nodepool.dev/owner", "value": tag_value}],
            "data_disks": [], "instance_charge_type": "PostPaid", "login_password": "********"},
        "status": {"state": "scaling", "total_nodes": 2, "healthy_nodes": 1, "serving_nodes": 1,
            "initial_nodes": 1, "removing_nodes": 0, "failed_nodes": 0, "offline_nodes": 0,
            "conditions": [{"type": "Scalable", "status": "True", "reason": "", "message": "m",
                "last_transition_time": "2024-01-15T08:31:00Z"}]},
        "tee_config": {"tee_enable": false},
        "future_top_level": {"kept": [1, 2]}
    })
}

// ---------------------------------------------------------------------------------------------
// Huawei CCE: the wire
// ---------------------------------------------------------------------------------------------

fn assert_huawei_common(req: &Captured, server: &Server) {
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(req.header("host"), Some(host(server)));
    assert_eq!(req.header("user-agent").as_deref(), Some(USER_AGENT));
    assert_eq!(req.header("x-project-id").as_deref(), Some(PROJECT));
    let date = req.header("x-sdk-date").unwrap();
    assert!(huawei_sign::parse_date(&date).is_some(), "{date}");
    assert_eq!(
        req.signed_headers(),
        "content-type;host;user-agent;x-project-id;x-sdk-date"
    );
    assert!(
        req.header("authorization")
            .unwrap()
            .starts_with(&format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders="))
    );
    assert_eq!(req.verify_huawei().access_key, AK);
}

#[tokio::test]
async fn huawei_create_sends_the_sdk_request_and_reads_the_seed_answer() {
    let server = Server::start(vec![reply(
        201,
        Some("application/json"),
        CCE_SEED_RESPONSE.as_bytes(),
    )])
    .await;
    let created = huawei(&server)
        .create("cluster-1", &cce_seed_request())
        .await
        .unwrap();
    assert_eq!(created.id, "99addaa2-69eb-11ea-a592-0255ac1001bb");
    let pool = created.pool.unwrap();
    assert_eq!(pool.name, "my-node-pool");
    assert_eq!(pool.cloud_phase, "");
    assert_eq!(
        pool.spec["nodeTemplate"]["extendParam"]["maxPods"],
        json!(110)
    );

    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        format!("/api/v3/projects/{PROJECT}/clusters/cluster-1/nodepools")
    );
    assert_eq!(req.query, "");
    assert_huawei_common(&req, &server);
    assert_eq!(req.json(), cce_seed_request());
}

#[tokio::test]
async fn huawei_get_list_update_delete_scale_on_the_wire() {
    let uid = "99addaa2-69eb-11ea-a592-0255ac1001bb";
    let server = Server::start(vec![
        json_reply(200, cce_show_answer(uid, "pool-a")),
        json_reply(
            200,
            json!({"kind": "List", "apiVersion": "v3",
                "items": [cce_show_answer(uid, "pool-a"), cce_show_answer("other", "pool-b")]}),
        ),
        json_reply(200, cce_show_answer(uid, "pool-a")),
        json_reply(200, {
            let mut v = cce_show_answer(uid, "pool-a");
            v["status"] = json!({"phase": "Deleting", "jobId": "job-9"});
            v
        }),
        json_reply(200, json!({"orderID": ""})),
    ])
    .await;
    let client = huawei(&server);

    let pool = client.get("cluster-1", uid).await.unwrap();
    assert_eq!(pool.id, uid);
    assert_eq!(pool.name, "pool-a");
    assert_eq!(pool.cloud_phase, "Synchronizing");
    assert_eq!(
        (
            pool.nodes.current,
            pool.nodes.desired,
            pool.nodes.creating,
            pool.nodes.deleting,
            pool.nodes.healthy,
            pool.nodes.failed
        ),
        (Some(2), Some(3), Some(1), Some(0), Some(2), None)
    );
    assert_eq!(pool.conditions.len(), 1);
    assert_eq!(pool.conditions[0].condition_type, "Scalable");
    assert_eq!(pool.conditions[0].status, "True");
    assert_eq!(pool.conditions[0].message.as_deref(), Some("ok"));
    assert_eq!(pool.status["futureStatusField"], json!(true));

    let pools = client.list("cluster-1").await.unwrap();
    assert_eq!(
        pools.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["pool-a", "pool-b"]
    );

    let update = PoolUpdate {
        body: json!({"metadata": {"name": "pool-a"},
            "spec": {"nodeTemplate": {"k8sTags": {"team": "x"}}, "initialNodeCount": 0}}),
        node_count: None,
    };
    let accepted = client.update("cluster-1", uid, &update).await.unwrap();
    assert_eq!(accepted.pool.unwrap().id, uid);

    let deleted = client.delete("cluster-1", uid).await.unwrap();
    assert_eq!(deleted.task_id.as_deref(), Some("job-9"));
    assert_eq!(deleted.pool.unwrap().cloud_phase, "Deleting");

    client.scale("cluster-1", uid, 5).await.unwrap();

    let requests = server.requests();
    let pool_path = format!("/api/v3/projects/{PROJECT}/clusters/cluster-1/nodepools/{uid}");
    let expect: [(&str, String); 5] = [
        ("GET", pool_path.clone()),
        (
            "GET",
            format!("/api/v3/projects/{PROJECT}/clusters/cluster-1/nodepools"),
        ),
        ("PUT", pool_path.clone()),
        ("DELETE", pool_path.clone()),
        ("POST", format!("{pool_path}/operation/scale")),
    ];
    assert_eq!(requests.len(), expect.len());
    for (req, (method, path)) in requests.iter().zip(&expect) {
        assert_eq!(&req.method, method);
        assert_eq!(&req.path, path);
        assert_eq!(req.query, "");
        assert_huawei_common(req, &server);
    }
    assert!(requests[0].body.is_empty() && requests[1].body.is_empty());
    assert!(requests[3].body.is_empty());
    // The NodePoolUpdate body: the caller's fields, and the count never moves by accident.
    assert_eq!(
        requests[2].json(),
        json!({"metadata": {"name": "pool-a"},
            "spec": {"nodeTemplate": {"k8sTags": {"team": "x"}}, "initialNodeCount": 0,
                "ignoreInitialNodeCount": true}})
    );
    assert_eq!(
        requests[4].json(),
        json!({"kind": "NodePool", "apiVersion": "v3",
            "spec": {"desiredNodeCount": 5, "scaleGroups": ["default"]}})
    );
}

#[tokio::test]
async fn huawei_update_with_explicit_count_and_encoded_path() {
    let server = Server::start(vec![json_reply(200, cce_show_answer("id 1", "p"))]).await;
    let update = PoolUpdate {
        body: json!({"metadata": {"name": "p"}, "spec": {}}),
        node_count: Some(7),
    };
    huawei(&server)
        .update("c/1", "id 1", &update)
        .await
        .unwrap();
    let req = server.only_request();
    assert_eq!(
        req.path,
        format!("/api/v3/projects/{PROJECT}/clusters/c%2F1/nodepools/id%201")
    );
    assert_eq!(
        req.json(),
        json!({"metadata": {"name": "p"},
            "spec": {"initialNodeCount": 7, "ignoreInitialNodeCount": false}})
    );
    assert_huawei_common(&req, &server);
}

#[tokio::test]
async fn huawei_temporary_credentials_sign_the_security_token() {
    let server = Server::start(vec![json_reply(200, cce_show_answer("u", "p"))]).await;
    let key = AccessKey::new(AK, SK).with_security_token(STS);
    huawei_with(&server, HuaweiAuth::AccessKey(key), fast_http())
        .get("c", "u")
        .await
        .unwrap();
    let req = server.only_request();
    assert_eq!(req.header("x-security-token").as_deref(), Some(STS));
    assert_eq!(
        req.signed_headers(),
        "content-type;host;user-agent;x-project-id;x-sdk-date;x-security-token"
    );
    req.verify_huawei();
}

#[tokio::test]
async fn huawei_token_auth_sends_x_auth_token_and_no_signature() {
    let server = Server::start(vec![json_reply(200, cce_show_answer("u", "p"))]).await;
    let auth = HuaweiAuth::Token(SecretString::from("IAM-TOKEN-SECRET"));
    huawei_with(&server, auth, fast_http())
        .get("c", "u")
        .await
        .unwrap();
    let req = server.only_request();
    assert_eq!(
        req.header("x-auth-token").as_deref(),
        Some("IAM-TOKEN-SECRET")
    );
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(req.header("user-agent").as_deref(), Some(USER_AGENT));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(req.header("x-sdk-date"), None);
}

#[tokio::test]
async fn huawei_find_by_name_and_tag() {
    let list = json!({"kind": "List", "apiVersion": "v3", "items": [
        cce_show_answer("u1", "pool-a"), cce_show_answer("u2", "pool-b"),
        cce_show_answer("u3", "pool-b")]});
    let server = Server::start(vec![
        json_reply(200, list.clone()),
        json_reply(200, list.clone()),
        json_reply(200, list.clone()),
        json_reply(200, list.clone()),
        json_reply(
            200,
            json!({"kind": "List", "apiVersion": "v3", "items": null}),
        ),
    ])
    .await;
    let client = huawei(&server);
    let found = client.find_by_name("c", "pool-a").await.unwrap().unwrap();
    assert_eq!(found.id, "u1");
    let err = client.find_by_name("c", "pool-b").await.unwrap_err();
    assert!(
        matches!(err, CloudError::Ambiguous { count: 2, .. }),
        "{err}"
    );
    assert_eq!(err.kind(), ErrorKind::Conflict);
    let tagged = client
        .find_by_tag("c", "nodepool.dev/owner", "pool-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tagged.id, "u1");
    assert_eq!(
        client
            .find_by_tag("c", "nodepool.dev/owner", "nope")
            .await
            .unwrap(),
        None
    );
    assert_eq!(client.find_by_name("c", "pool-a").await.unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// Alibaba ACK: the wire
// ---------------------------------------------------------------------------------------------

const ACK_SIGNED_WITH_BODY: &str = "accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";
const ACK_SIGNED_NO_BODY: &str = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";

fn assert_alibaba_common(req: &Captured, server: &Server, action: &str) {
    assert_eq!(req.header("host"), Some(host(server)));
    assert_eq!(req.header("x-acs-version").as_deref(), Some("2015-12-15"));
    assert_eq!(req.header("x-acs-action").as_deref(), Some(action));
    assert_eq!(req.header("user-agent").as_deref(), Some(USER_AGENT));
    assert_eq!(req.header("accept").as_deref(), Some("application/json"));
    assert_eq!(
        req.header("x-acs-credentials-provider").as_deref(),
        Some("static_ak")
    );
    let date = req.header("x-acs-date").unwrap();
    assert!(alibaba_sign::parse_date(&date).is_some(), "{date}");
    let nonce = req.header("x-acs-signature-nonce").unwrap();
    assert!(
        nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()),
        "{nonce}"
    );
    assert_eq!(
        req.header("x-acs-content-sha256"),
        Some(sign::sha256_hex(&req.body))
    );
    if req.body.is_empty() {
        assert_eq!(req.header("content-type"), None);
        assert_eq!(req.signed_headers(), ACK_SIGNED_NO_BODY);
    } else {
        assert_eq!(
            req.header("content-type").as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(req.signed_headers(), ACK_SIGNED_WITH_BODY);
    }
    assert!(
        req.header("authorization")
            .unwrap()
            .starts_with(&format!("ACS3-HMAC-SHA256 Credential={AK},SignedHeaders="))
    );
    let verified = req.verify_alibaba();
    assert_eq!(verified.nonce, Some(nonce));
}

#[tokio::test]
async fn alibaba_create_sends_the_seed_body_compact_and_sorted() {
    let server = Server::start(vec![json_reply(
        200,
        json!({"nodepool_id": "np31da1b38983f4511b490fc62108a****",
            "request_id": "R-1", "task_id": "T-1"}),
    )])
    .await;
    let created = alibaba(&server)
        .create("c61da77e8bfbc4c4c999af2b51b65", &ack_seed_request())
        .await
        .unwrap();
    assert_eq!(created.id, "np31da1b38983f4511b490fc62108a****");
    assert_eq!(created.task_id.as_deref(), Some("T-1"));
    assert_eq!(created.request_id.as_deref(), Some("R-1"));
    assert_eq!(created.pool, None);

    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(
        req.path,
        "/clusters/c61da77e8bfbc4c4c999af2b51b65/nodepools"
    );
    assert_eq!(req.query, "");
    assert_alibaba_common(&req, &server, "CreateClusterNodePool");
    // Compact, UTF-8, keys sorted at every level, as the SDK's top level; nothing added.
    let body = String::from_utf8(req.body.clone()).unwrap();
    assert!(
        body.starts_with(r#"{"kubernetes_config":{"cms_enabled":true,"cpu_policy":"none","#),
        "{body}"
    );
    assert!(!body.contains(": ") && !body.contains(", "), "{body}");
    assert_eq!(req.json(), ack_seed_request());
}

#[tokio::test]
async fn alibaba_get_list_modify_delete_scale_on_the_wire() {
    let server = Server::start(vec![
        json_reply(200, ack_detail_answer("np-1", "pool-a", "a")),
        json_reply(
            200,
            json!({"nodepools": [ack_detail_answer("np-1", "pool a+b 节点", "a")]}),
        ),
        json_reply(
            200,
            json!({"nodepool_id": "np-1", "request_id": "R-3", "task_id": "T-3"}),
        ),
        json_reply(200, json!({"request_id": "R-4", "task_id": "T-4"})),
        json_reply(
            200,
            json!({"nodepool_id": "np-1", "request_id": "R-5", "task_id": "T-5"}),
        ),
    ])
    .await;
    let client = alibaba(&server);

    let pool = client.get("c1", "np-1").await.unwrap();
    assert_eq!(pool.id, "np-1");
    assert_eq!(pool.name, "pool-a");
    assert_eq!(pool.cloud_phase, "scaling");
    assert_eq!(
        (
            pool.nodes.current,
            pool.nodes.desired,
            pool.nodes.creating,
            pool.nodes.deleting,
            pool.nodes.healthy,
            pool.nodes.failed
        ),
        (Some(2), Some(3), Some(1), Some(0), Some(1), Some(0))
    );
    assert_eq!(pool.conditions[0].condition_type, "Scalable");
    assert_eq!(
        pool.spec["scaling_group"]["scaling_group_id"],
        json!("asg-1")
    );
    assert_eq!(
        pool.spec["nodepool_info"]["region_id"],
        json!("cn-hangzhou")
    );
    assert_eq!(pool.spec["future_top_level"], json!({"kept": [1, 2]}));
    assert!(pool.spec.get("status").is_none());
    assert_eq!(pool.status["serving_nodes"], json!(1));

    let found = client.find_by_name("c1", "pool a+b 节点").await.unwrap();
    assert_eq!(found.unwrap().id, "np-1");

    let update = PoolUpdate {
        body: json!({"kubernetes_config": {"labels": [{"key": "k", "value": "v"}]},
            "scaling_group": {"desired_size": 9}}),
        node_count: None,
    };
    let accepted = client.update("c1", "np-1", &update).await.unwrap();
    assert_eq!(accepted.task_id.as_deref(), Some("T-3"));
    let deleted = client.delete("c1", "np-1").await.unwrap();
    assert_eq!(deleted.request_id.as_deref(), Some("R-4"));
    client.scale("c1", "np-1", 4).await.unwrap();

    let requests = server.requests();
    let expect = [
        (
            "GET",
            "/clusters/c1/nodepools/np-1",
            "",
            "DescribeClusterNodePoolDetail",
        ),
        (
            "GET",
            "/clusters/c1/nodepools",
            "NodepoolName=pool+a%2Bb+%E8%8A%82%E7%82%B9",
            "DescribeClusterNodePools",
        ),
        (
            "PUT",
            "/clusters/c1/nodepools/np-1",
            "",
            "ModifyClusterNodePool",
        ),
        (
            "DELETE",
            "/clusters/c1/nodepools/np-1",
            "force=False",
            "DeleteClusterNodepool",
        ),
        (
            "PUT",
            "/clusters/c1/nodepools/np-1",
            "",
            "ModifyClusterNodePool",
        ),
    ];
    assert_eq!(requests.len(), expect.len());
    for (req, (method, path, query, action)) in requests.iter().zip(expect) {
        assert_eq!(req.method, method);
        assert_eq!(req.path, path);
        assert_eq!(req.query, query);
        assert_alibaba_common(req, &server, action);
    }
    // Without a node count, desired_size is taken out of the modify body.
    assert_eq!(
        requests[2].json(),
        json!({"kubernetes_config": {"labels": [{"key": "k", "value": "v"}]},
            "scaling_group": {}})
    );
    assert_eq!(
        requests[4].json(),
        json!({"scaling_group": {"desired_size": 4}})
    );
}

#[tokio::test]
async fn alibaba_sts_credentials_and_force_delete() {
    let server = Server::start(vec![json_reply(
        200,
        json!({"request_id": "R", "task_id": "T"}),
    )])
    .await;
    let key = AccessKey::new(AK, SK).with_security_token(STS);
    let config = AlibabaConfig {
        region: "cn-hangzhou".into(),
        endpoint: Some(server.base.clone()),
        force_delete: true,
        http: fast_http(),
    };
    let client = AlibabaClient::new(config, key, &limiters()).unwrap();
    client.delete("c1", "np-1").await.unwrap();
    let req = server.only_request();
    assert_eq!(req.query, "force=True");
    assert_eq!(
        req.header("x-acs-credentials-provider").as_deref(),
        Some("static_sts")
    );
    assert_eq!(req.header("x-acs-accesskey-id").as_deref(), Some(AK));
    assert_eq!(req.header("x-acs-security-token").as_deref(), Some(STS));
    assert_eq!(
        req.signed_headers(),
        "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"
    );
    req.verify_alibaba();
}

#[tokio::test]
async fn alibaba_find_by_tag_uses_scaling_group_tags() {
    let list = json!({"nodepools": [ack_detail_answer("np-1", "a", "owner-1"),
        ack_detail_answer("np-2", "b", "owner-2")]});
    let server = Server::start(vec![
        json_reply(200, list.clone()),
        json_reply(200, list.clone()),
        json_reply(200, json!({"nodepools": []})),
    ])
    .await;
    let client = alibaba(&server);
    let found = client
        .find_by_tag("c1", "nodepool.dev/owner", "owner-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, "np-2");
    // A kubernetes_config label with the same key/value does not count.
    assert_eq!(
        client
            .find_by_tag("c1", "owner", "label-only")
            .await
            .unwrap(),
        None
    );
    assert_eq!(client.list("c1").await.unwrap(), vec![]);
    for req in server.requests() {
        assert_eq!(req.query, "");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors, retries, timeouts, unreadable bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn huawei_error_answers_are_classified_with_request_id() {
    let cases: Vec<(Reply, ErrorKind, Option<&str>)> = vec![
        (
            json_reply(
                404,
                json!({"error_code": "CCE.01404001",
                "error_msg": "The resource could not be found."}),
            )
            .header("X-Request-Id", "rid-404"),
            ErrorKind::NotFound,
            Some("CCE.01404001"),
        ),
        (
            json_reply(
                400,
                json!({"errorCode": "CCE.01400001", "errorMessage": "Invalid request.",
                "message": "name is invalid"}),
            ),
            ErrorKind::Invalid,
            Some("CCE.01400001"),
        ),
        (
            json_reply(
                401,
                json!({"error_code": "APIG.0301",
                "error_msg": "Incorrect IAM authentication information"}),
            ),
            ErrorKind::Auth,
            Some("APIG.0301"),
        ),
        (
            json_reply(
                409,
                json!({"error_code": "CCE.01409001", "error_msg": "exists"}),
            ),
            ErrorKind::Conflict,
            Some("CCE.01409001"),
        ),
        (
            json_reply(
                403,
                json!({"error_code": "CCE.01403001",
                "error_msg": "Insufficient ECS quota"}),
            ),
            ErrorKind::Quota,
            Some("CCE.01403001"),
        ),
    ];
    for (answer, kind, code) in cases {
        let server = Server::start(vec![answer]).await;
        let err = huawei(&server).get("c", "u").await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(err.api_error().unwrap().code.as_deref(), code);
        assert_eq!(err.operation(), Operation::Get);
        // Not retryable: exactly one request.
        assert_eq!(server.requests().len(), 1, "{err}");
        if kind == ErrorKind::NotFound {
            assert_eq!(err.request_id(), Some("rid-404"));
            assert!(err.is_not_found());
        }
        assert!(!err.to_string().contains(SK));
    }
}

#[tokio::test]
async fn delete_of_a_missing_pool_is_not_found_on_both_clouds() {
    let server = Server::start(vec![json_reply(
        404,
        json!({"error_code": "CCE.01404001", "error_msg": "not found"}),
    )])
    .await;
    let err = huawei(&server).delete("c", "u").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let server = Server::start(vec![json_reply(
        400,
        json!({"code": "ErrorNodePoolNotFound", "message": "nodepool not found",
            "requestId": "R-9"}),
    )])
    .await;
    let err = alibaba(&server).delete("c", "np").await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(err.request_id(), Some("R-9"));
    assert_eq!(
        err.to_string(),
        "deleting a node pool: Alibaba Cloud ACK answered HTTP 400 ErrorNodePoolNotFound: nodepool not found (request ID R-9)"
    );
}

#[tokio::test]
async fn create_answered_503_is_not_retried() {
    let server = Server::start(vec![
        json_reply(
            503,
            json!({"error_code": "CCE.01500000", "error_msg": "busy"}),
        ),
        reply(201, Some("application/json"), CCE_SEED_RESPONSE.as_bytes()),
    ])
    .await;
    let err = huawei(&server)
        .create("c", &cce_seed_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(vec![
        json_reply(
            429,
            json!({"code": "Throttling.User", "message": "flow control"}),
        )
        .header("x-acs-retry-after", "10"),
        json_reply(200, json!({"nodepool_id": "np"})),
    ])
    .await;
    let err = alibaba(&server)
        .create("c", &ack_seed_request())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn get_answered_503_then_200_succeeds() {
    let server = Server::start(vec![
        json_reply(
            503,
            json!({"error_code": "CCE.01500000", "error_msg": "busy"}),
        ),
        json_reply(200, cce_show_answer("u", "p")),
    ])
    .await;
    let pool = huawei(&server).get("c", "u").await.unwrap();
    assert_eq!(pool.id, "u");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    // Each attempt is signed afresh and verifies.
    for req in &requests {
        req.verify_huawei();
    }

    let server = Server::start(vec![
        reply(502, Some("text/html"), b"<html>Bad Gateway</html>"),
        json_reply(200, json!({"request_id": "R", "task_id": "T"})),
    ])
    .await;
    alibaba(&server).delete("c", "np").await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_ne!(
        requests[0].header("x-acs-signature-nonce"),
        requests[1].header("x-acs-signature-nonce")
    );
    for req in &requests {
        req.verify_alibaba();
    }
}

#[tokio::test]
async fn retries_are_bounded() {
    let busy = || json_reply(500, json!({"error_code": "CCE.01500000", "error_msg": "x"}));
    let server = Server::start(vec![busy(), busy(), busy(), busy()]).await;
    let err = huawei(&server).list("c").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(server.requests().len(), 3, "max_attempts = 3");
}

#[tokio::test]
async fn throttled_get_waits_for_retry_after() {
    let server = Server::start(vec![
        json_reply(
            429,
            json!({"error_code": "APIG.0308",
            "error_msg": "The throttling threshold has been reached"}),
        )
        .header("Retry-After", "1"),
        json_reply(200, cce_show_answer("u", "p")),
    ])
    .await;
    let start = Instant::now();
    huawei(&server).get("c", "u").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.requests().len(), 2);

    let server = Server::start(vec![
        json_reply(
            400,
            json!({"code": "Throttling.Api", "message": "busy", "requestId": "R"}),
        )
        .header("x-acs-retry-after", "300"),
        json_reply(200, ack_detail_answer("np", "p", "t")),
    ])
    .await;
    let start = Instant::now();
    alibaba(&server).get("c", "np").await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn retry_after_beyond_the_limit_is_returned_not_waited() {
    let server = Server::start(vec![
        json_reply(
            429,
            json!({"error_code": "APIG.0308", "error_msg": "slow down"}),
        )
        .header("Retry-After", "60"),
        json_reply(200, cce_show_answer("u", "p")),
    ])
    .await;
    let start = Instant::now();
    let err = huawei(&server).get("c", "u").await.unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(err.reason(), "CloudThrottled");
    assert_eq!(server.requests().len(), 1);
}

fn timeout_http() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_millis(300),
        retry: RetryPolicy {
            max_attempts: 1,
            ..fast_http().retry
        },
        ..fast_http()
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_as_transient() {
    let hang = || json_reply(200, json!({})).delayed(Duration::from_secs(3600));
    let server = Server::start(vec![hang(), hang()]).await;
    let client = huawei_with(
        &server,
        HuaweiAuth::AccessKey(AccessKey::new(AK, SK)),
        timeout_http(),
    );
    let start = Instant::now();
    let err = client.get("c", "u").await.unwrap_err();
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(3),
        "{took:?}"
    );
    assert!(
        matches!(
            err,
            CloudError::Transport {
                failure: TransportFailure::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.reason(), "CloudTimeout");

    let client = alibaba_with(&server, AccessKey::new(AK, SK), timeout_http());
    let err = client.create("c", &ack_seed_request()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_timed_out_get_is_retried() {
    let server = Server::start(vec![
        json_reply(200, json!({})).delayed(Duration::from_secs(3600)),
        json_reply(200, cce_show_answer("u", "p")),
    ])
    .await;
    let http = HttpConfig {
        timeout: Duration::from_millis(300),
        ..fast_http()
    };
    let client = huawei_with(&server, HuaweiAuth::AccessKey(AccessKey::new(AK, SK)), http);
    assert_eq!(client.get("c", "u").await.unwrap().id, "u");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let config = HuaweiConfig {
        region: "cn-north-4".into(),
        project_id: PROJECT.into(),
        endpoint: Some(format!("http://{addr}")),
        http: fast_http(),
    };
    let client = HuaweiClient::new(
        config,
        HuaweiAuth::AccessKey(AccessKey::new(AK, SK)),
        &limiters(),
    )
    .unwrap();
    let err = client.get("c", "u").await.unwrap_err();
    assert!(
        matches!(
            err,
            CloudError::Transport {
                failure: TransportFailure::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Transient);
    assert_eq!(err.reason(), "CloudUnreachable");
}

#[tokio::test]
async fn unreadable_success_bodies_are_clear_errors() {
    let cases: Vec<(Reply, &str)> = vec![
        (
            reply(200, Some("application/json"), b""),
            "the body is empty",
        ),
        (
            reply(
                200,
                Some("application/json"),
                br#"{"kind":"NodePool","metadata":{"uid""#,
            ),
            "the body is truncated JSON",
        ),
        (
            reply(200, None, b"<html>oops</html>"),
            "the body is not JSON",
        ),
        (
            reply(200, Some("text/html"), br#"{"metadata":{"uid":"u"}}"#),
            "content type \"text/html\" is not JSON",
        ),
        (
            reply(200, Some("application/json"), b"[1,2,3]"),
            "the JSON does not have the expected shape",
        ),
        (
            reply(
                200,
                Some("application/json"),
                br#"{"metadata":{"name":"p"}}"#,
            ),
            "the node pool has no metadata.uid",
        ),
    ];
    for (answer, want) in cases {
        let server = Server::start(vec![answer]).await;
        let err = huawei(&server).get("c", "u").await.unwrap_err();
        assert!(matches!(err, CloudError::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains(want), "{err} / {want}");
        assert_eq!(err.kind(), ErrorKind::Transient);
        assert_eq!(err.reason(), "CloudBadResponse");
    }
    // ACK: every success must be JSON, DELETE included (as the SDK requires).
    let server = Server::start(vec![reply(200, None, b"")]).await;
    let err = alibaba(&server).delete("c", "np").await.unwrap_err();
    assert!(err.to_string().contains("the body is empty"), "{err}");
    // ACK create without a pool ID: the pool may exist, so say so.
    let server = Server::start(vec![json_reply(200, json!({"request_id": "R"}))]).await;
    let err = alibaba(&server)
        .create("c", &ack_seed_request())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no nodepool_id"), "{err}");
}

#[tokio::test]
async fn huawei_delete_accepts_an_empty_success_body_like_the_sdk() {
    let server = Server::start(vec![reply(204, None, b"")]).await;
    let accepted = huawei(&server).delete("c", "u").await.unwrap();
    assert_eq!(accepted.pool, None);
    assert_eq!(accepted.task_id, None);
}

#[tokio::test]
async fn unreadable_error_bodies_keep_the_status_class() {
    let server = Server::start(vec![reply(404, Some("text/html"), b"<html>nope</html>")]).await;
    let err = huawei(&server).get("c", "u").await.unwrap_err();
    assert!(err.is_not_found());
    let server = Server::start(vec![reply(400, None, b"{\"code\":")]).await;
    let err = alibaba(&server).get("c", "np").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    assert_eq!(
        err.api_error().unwrap().message,
        "unreadable error body (8 bytes)"
    );
}

#[tokio::test]
async fn invalid_inputs_are_refused_before_sending() {
    let server = Server::start(vec![]).await;
    let err = huawei(&server).create("c", &json!([1])).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Invalid);
    let err = alibaba_with(&server, AccessKey::new(AK, ""), fast_http())
        .get("c", "np")
        .await
        .unwrap_err();
    assert!(matches!(err, CloudError::Sign { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(server.requests().is_empty());

    let bad_region = HuaweiClient::new(
        HuaweiConfig::new("cn-north-4.evil.example", PROJECT),
        HuaweiAuth::AccessKey(AccessKey::new(AK, SK)),
        &limiters(),
    )
    .unwrap_err();
    assert_eq!(bad_region.kind(), ErrorKind::Invalid);
    let bad_endpoint = AlibabaClient::new(
        AlibabaConfig {
            endpoint: Some("http://127.0.0.1:1/prefix".into()),
            ..AlibabaConfig::new("cn-hangzhou")
        },
        AccessKey::new(AK, SK),
        &limiters(),
    )
    .unwrap_err();
    assert_eq!(bad_endpoint.kind(), ErrorKind::Invalid);
}

#[test]
fn secrets_never_show_in_debug_or_errors() {
    let key = AccessKey::new(AK, SK).with_security_token(STS);
    let client = AlibabaClient::new(AlibabaConfig::new("cn-hangzhou"), key, &limiters()).unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains(SK) && !text.contains(STS), "{text}");
    let client = HuaweiClient::new(
        HuaweiConfig::new("cn-north-4", PROJECT),
        HuaweiAuth::Token(SecretString::from("IAM-TOKEN-SECRET")),
        &limiters(),
    )
    .unwrap();
    let text = format!("{client:?}");
    assert!(!text.contains("IAM-TOKEN-SECRET"), "{text}");
    assert!(
        text.contains("https://cce.cn-north-4.myhuaweicloud.com"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips of the wire models
// ---------------------------------------------------------------------------------------------

#[test]
fn cce_models_round_trip_without_loss() {
    use nodepool_controller::cloud::huawei::model::{NodePool, NodePoolList};
    for input in [
        serde_json::from_str::<Value>(CCE_SEED_RESPONSE).unwrap(),
        cce_show_answer("u", "p"),
    ] {
        let parsed: NodePool = serde_json::from_value(input.clone()).unwrap();
        assert_eq!(serde_json::to_value(&parsed).unwrap(), input);
    }
    let list = json!({"kind": "List", "apiVersion": "v3",
        "items": [cce_show_answer("u", "p")], "futureListField": 1});
    let parsed: NodePoolList = serde_json::from_value(list.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), list);
    // Counts of an unexpected type are ignored, not fatal.
    let odd = json!({"metadata": {"uid": "u"}, "status": {"currentNode": "4",
        "creatingNode": "many", "activeNode": null, "conditions": null}});
    let parsed: NodePool = serde_json::from_value(odd).unwrap();
    let pool = parsed.to_cloud_pool().unwrap();
    assert_eq!(pool.nodes.current, Some(4));
    assert_eq!(pool.nodes.creating, None);
    assert!(pool.conditions.is_empty());
}

#[test]
fn ack_models_round_trip_without_loss() {
    use nodepool_controller::cloud::alibaba::model::{NodePool, NodePoolList, TaskAnswer};
    let detail = ack_detail_answer("np", "p", "t");
    let parsed: NodePool = serde_json::from_value(detail.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), detail);
    let list = json!({"nodepools": [detail], "page_info": {"total_count": 1}});
    let parsed: NodePoolList = serde_json::from_value(list.clone()).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), list);
    // The seed's create answer.
    let answer = json!({"nodepool_id": "np31da1b38983f4511b490fc62108a****"});
    let parsed: TaskAnswer = serde_json::from_value(answer.clone()).unwrap();
    assert_eq!(
        parsed.nodepool_id.as_deref(),
        Some("np31da1b38983f4511b490fc62108a****")
    );
    assert_eq!(serde_json::to_value(&parsed).unwrap(), answer);
    // The ACK seed's create request converts to the CRD's camelCase shape and back.
    let camel = nodepool_controller::crd::alibaba::from_wire(ack_seed_request());
    assert_eq!(camel["scalingGroup"]["systemDiskSize"], json!(120));
    assert_eq!(
        nodepool_controller::crd::alibaba::to_wire(camel),
        ack_seed_request()
    );
}
