//! HTTP: routing to the two clouds and the admin API, authentication, faults, request ids and
//! counters.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::config::{FaultSpec, Faults};
use super::model::{now_ms, random_hex};
use super::state::{Bucket, Ctx, Reply, Sim, lock};
use super::{alibaba, huawei};
use crate::cloud::sign::{ReceivedRequest, VerifyError, percent_decode};

/// Most remembered ACK nonces (the oldest are forgotten first), so a long benchmark cannot
/// grow memory without bound.
const MAX_NONCES: usize = 200_000;

/// Largest request body accepted.
const MAX_BODY: usize = 4 << 20;

/// Serves the simulator on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let app = Router::new().fallback(handle).with_state(sim);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| format!("serving: {e}"))
}

/// What to send back.
enum Answer {
    /// A JSON reply with extra headers; `outcome` overrides the one derived from the status.
    Json {
        reply: Reply,
        headers: Vec<(&'static str, String)>,
        outcome: Option<&'static str>,
    },
    /// Hang up without an answer (a simulated timeout or a lost answer), counted as `outcome`.
    Drop(&'static str),
}

impl Answer {
    fn json(reply: Reply) -> Self {
        Self::Json {
            reply,
            headers: Vec::new(),
            outcome: None,
        }
    }
}

fn outcome_of(status: u16) -> &'static str {
    match status {
        200..=299 => "ok",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        409 => "conflict",
        429 => "throttled",
        400..=499 => "invalid",
        _ => "server_error",
    }
}

fn json_response(status: u16, body: &Value, headers: &[(&'static str, String)]) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut resp = Response::new(Body::from(bytes));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    resp
}

fn dropped_response() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("simulated timeout"))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    *resp.status_mut() = StatusCode::GATEWAY_TIMEOUT;
    resp
}

async fn handle(State(sim): State<Arc<Sim>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return json_response(413, &json!({"error": "request body too large"}), &[]);
        }
    };
    let method = parts.method.as_str();
    let path = parts.uri.path();
    let query = parts.uri.query().unwrap_or("");
    if path == "/_sim" || path.starts_with("/_sim/") {
        let reply = admin(&sim, method, path, query, &body);
        return json_response(reply.status, &reply.body, &[]);
    }
    let segments: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| String::from_utf8_lossy(&percent_decode(s)).into_owned())
        .collect();
    let req = Incoming {
        method,
        path,
        query,
        headers: &parts.headers,
        body: &body,
    };
    if path.starts_with("/api/v3/") {
        huawei_request(&sim, &req, &segments).await
    } else if path.starts_with("/clusters/") || path.starts_with("/tasks/") {
        alibaba_request(&sim, &req, &segments).await
    } else {
        json_response(
            404,
            &json!({"error": "not a CCE (/api/v3/), ACK (/clusters/, /tasks/) or admin (/_sim/) path"}),
            &[],
        )
    }
}

/// A received cloud request.
struct Incoming<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The shape of both verifiers, with the key lookup as a trait object.
type VerifyFn = fn(
    &ReceivedRequest<'_>,
    &dyn Fn(&str) -> Option<secrecy::SecretString>,
    Timestamp,
    std::time::Duration,
) -> Result<crate::cloud::sign::Verified, VerifyError>;

/// Verifies with one of the two verifiers.
fn verify_with(
    req: &Incoming<'_>,
    verify: VerifyFn,
    keys: &std::collections::HashMap<String, secrecy::SecretString>,
    max_skew: std::time::Duration,
) -> Result<crate::cloud::sign::Verified, VerifyError> {
    let headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let received = ReceivedRequest {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: &headers,
        body: req.body,
    };
    verify(
        &received,
        &|ak: &str| keys.get(ak).cloned(),
        Timestamp::now(),
        max_skew,
    )
}

fn huawei_verify(
    r: &ReceivedRequest<'_>,
    f: &dyn Fn(&str) -> Option<secrecy::SecretString>,
    now: Timestamp,
    skew: std::time::Duration,
) -> Result<crate::cloud::sign::Verified, VerifyError> {
    crate::cloud::huawei::sign::verify(r, f, now, skew)
}

fn alibaba_verify(
    r: &ReceivedRequest<'_>,
    f: &dyn Fn(&str) -> Option<secrecy::SecretString>,
    now: Timestamp,
    skew: std::time::Duration,
) -> Result<crate::cloud::sign::Verified, VerifyError> {
    crate::cloud::alibaba::sign::verify(r, f, now, skew)
}

fn alibaba_roa_verify(
    r: &ReceivedRequest<'_>,
    f: &dyn Fn(&str) -> Option<secrecy::SecretString>,
    now: Timestamp,
    skew: std::time::Duration,
) -> Result<crate::cloud::sign::Verified, VerifyError> {
    crate::cloud::alibaba::roa::verify(r, f, now, skew)
}

/// The ACK gateway takes both signatures: `ACS3-HMAC-SHA256` (today's SDKs) and the older ROA
/// HMAC-SHA1 (`Authorization: acs AK:signature`, Terraform's alicloud provider and
/// `aliyun-python-sdk-core`), told apart by the `Authorization` scheme.
fn alibaba_verifier(req: &Incoming<'_>) -> VerifyFn {
    let roa = req
        .headers
        .get("authorization")
        .is_some_and(|v| crate::cloud::alibaba::roa::is_roa_authorization(v.as_bytes()));
    if roa {
        alibaba_roa_verify
    } else {
        alibaba_verify
    }
}

/// Applies rate limit, timeout, error rate and latency. `Err` is the answer to send instead.
enum FaultHit {
    Throttled { limit: u32, retry_after_ms: u64 },
    Timeout(u64),
    Error,
}

impl Sim {
    fn faults_for(&self, account: &str) -> FaultSpec {
        lock(&self.faults).for_account(account).clone()
    }

    /// Takes one token from the account's bucket; the wait until the next one when empty.
    fn take_token(&self, account: &str, limit: u32, now: i64) -> Option<u64> {
        let rate = f64::from(limit) / 60_000.0;
        let mut buckets = lock(&self.buckets);
        let b = buckets.entry(account.to_owned()).or_insert(Bucket {
            tokens: f64::from(limit),
            last_ms: now,
        });
        let elapsed = (now - b.last_ms).max(0) as f64;
        b.tokens = (b.tokens + elapsed * rate).min(f64::from(limit));
        b.last_ms = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            None
        } else if rate <= 0.0 {
            Some(60_000)
        } else {
            Some(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    async fn apply_faults(&self, account: &str) -> Option<FaultHit> {
        let spec = self.faults_for(account);
        if let Some(limit) = spec.rate_limit_per_minute
            && let Some(wait) = self.take_token(account, limit, now_ms())
        {
            return Some(FaultHit::Throttled {
                limit,
                retry_after_ms: wait,
            });
        }
        if spec.timeout_rate > 0.0 && fastrand::f64() < spec.timeout_rate {
            return Some(FaultHit::Timeout(spec.timeout_ms.unwrap_or(60_000)));
        }
        if spec.latency_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(spec.latency_ms)).await;
        }
        if spec.error_rate > 0.0 && fastrand::f64() < spec.error_rate {
            return Some(FaultHit::Error);
        }
        None
    }

    fn count(&self, cloud: &'static str, op: &'static str, outcome: &'static str) {
        *lock(&self.counters)
            .entry((cloud, op, outcome))
            .or_insert(0) += 1;
    }

    fn huawei_auth(&self, req: &Incoming<'_>, project: &str) -> Result<String, Reply> {
        let deny = |msg: String| {
            Reply::new(
                401,
                json!({"error_code": huawei::codes::AUTH,
                       "error_msg": format!("Incorrect IAM authentication information: {msg}")}),
            )
        };
        let header_project = req.header("x-project-id");
        let account = if req.headers.contains_key("authorization") {
            let v =
                verify_with(req, huawei_verify, &self.huawei_keys, self.max_skew).map_err(|e| {
                    deny(match &e {
                        VerifyError::UnknownAccessKey(ak) => {
                            format!("ak {ak} not exist")
                        }
                        VerifyError::SignatureMismatch => "verify aksk signature fail".into(),
                        VerifyError::DateOutsideWindow { .. }
                        | VerifyError::MalformedDate { .. } => {
                            "x-sdk-date expired or invalid".into()
                        }
                        other => format!("{} ({})", other.reason(), other),
                    })
                })?;
            if header_project != Some(project) {
                return Err(deny(format!(
                    "the X-Project-Id header {header_project:?} does not match project {project} in the path"
                )));
            }
            v.access_key
        } else if let Some(token) = req.header("x-auth-token") {
            match self.huawei_tokens.get(token) {
                None => return Err(deny("the token is invalid or has expired".into())),
                Some(Some(scope)) if scope != project => {
                    return Err(deny(format!(
                        "the token is not scoped to project {project}"
                    )));
                }
                _ => {}
            }
            if header_project.is_some_and(|p| p != project) {
                return Err(deny(format!(
                    "the X-Project-Id header does not match project {project} in the path"
                )));
            }
            token.to_owned()
        } else {
            return Err(deny("no Authorization or X-Auth-Token header".into()));
        };
        Ok(account)
    }

    fn alibaba_auth(&self, req: &Incoming<'_>) -> Result<String, Reply> {
        // ACS3 or ROA, by the Authorization scheme.
        let alibaba_verify = alibaba_verifier(req);
        let v =
            verify_with(req, alibaba_verify, &self.alibaba_keys, self.max_skew).map_err(|e| {
                match &e {
                    VerifyError::UnknownAccessKey(_) => alibaba::error(
                        404,
                        "InvalidAccessKeyId.NotFound",
                        "Specified access key is not found.",
                    ),
                    VerifyError::SignatureMismatch | VerifyError::PayloadHashMismatch => {
                        alibaba::error(
                            400,
                            "SignatureDoesNotMatch",
                            "Specified signature is not matched with our calculation.",
                        )
                    }
                    VerifyError::DateOutsideWindow { .. } => alibaba::error(
                        400,
                        "InvalidTimeStamp.Expired",
                        "Specified time stamp or date value is expired.",
                    ),
                    VerifyError::MalformedDate { .. } => alibaba::error(
                        400,
                        "InvalidTimeStamp.Format",
                        "Specified time stamp or date value is not well formatted.",
                    ),
                    other => alibaba::error(
                        400,
                        "IncompleteSignature",
                        format!(
                            "The request signature does not conform to Aliyun standards: {}",
                            other.reason()
                        ),
                    ),
                }
            })?;
        if let Some(nonce) = v.nonce {
            let now = now_ms();
            let window = i64::try_from(self.max_skew.as_millis()).unwrap_or(i64::MAX / 4) * 2;
            let mut n = lock(&self.nonces);
            while let Some((t, _)) = n.order.front() {
                if *t + window >= now && n.order.len() < MAX_NONCES {
                    break;
                }
                if let Some((_, old)) = n.order.pop_front() {
                    n.seen.remove(&old);
                }
            }
            if !n.seen.insert(nonce.clone()) {
                return Err(alibaba::error(
                    400,
                    "SignatureNonceUsed",
                    "Specified signature nonce was used already.",
                ));
            }
            n.order.push_back((now, nonce));
        }
        Ok(v.access_key)
    }

    /// Runs a create like [`Sim::ctx_run`]; when the create is accepted and a lost answer is
    /// due (`Faults::lose_create_answers`), uses one up and hides the new pool for
    /// `Faults::late_visibility_ms` — all under the same locks, so concurrent creates each see
    /// their own count. Returns the reply and whether its answer is to be lost.
    fn run_create(
        &self,
        handle: impl FnOnce(&mut super::store::Store, &Ctx<'_>) -> Reply,
        hide: fn(&mut super::store::Store, &Reply, i64),
    ) -> (Reply, bool) {
        let mut faults = lock(&self.faults);
        let mut store = lock(&self.store);
        let now = now_ms();
        let reply = {
            let ctx = Ctx {
                now,
                timings: self.timings,
                faults: &faults,
            };
            handle(&mut store, &ctx)
        };
        let lost = reply.status < 300 && faults.lose_create_answers > 0;
        if lost {
            faults.lose_create_answers -= 1;
            let late = i64::try_from(faults.late_visibility_ms).unwrap_or(i64::MAX / 4);
            hide(&mut store, &reply, now.saturating_add(late));
        }
        (reply, lost)
    }

    fn ctx_run<T>(&self, f: impl FnOnce(&mut super::store::Store, &Ctx<'_>) -> T) -> T {
        let faults = lock(&self.faults);
        let mut store = lock(&self.store);
        let ctx = Ctx {
            now: now_ms(),
            timings: self.timings,
            faults: &faults,
        };
        f(&mut store, &ctx)
    }
}

async fn huawei_request(sim: &Sim, req: &Incoming<'_>, segments: &[String]) -> Response {
    let request_id = random_hex(32);
    let route = huawei::route(req.method, segments);
    let op = route.as_ref().map_or("Unknown", |r| r.op.name());
    let answer = match &route {
        None => Answer::json(huawei::error(
            404,
            huawei::codes::NO_API,
            "The API does not exist or has not been published in the environment",
        )),
        Some(route) => match sim.huawei_auth(req, &route.project_id) {
            Err(reply) => Answer::json(reply),
            Ok(account) => match sim.apply_faults(&account).await {
                Some(FaultHit::Throttled { limit, .. }) => Answer::json(huawei::error(
                    429,
                    huawei::codes::THROTTLED,
                    format!(
                        "The throttling threshold has been reached: policy user over ratelimit,limit:{limit},time:1 minute"
                    ),
                )),
                Some(FaultHit::Timeout(ms)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    Answer::Drop("timeout")
                }
                Some(FaultHit::Error) => Answer::Json {
                    reply: huawei::error(500, huawei::codes::INTERNAL, "Internal server error"),
                    headers: Vec::new(),
                    outcome: Some("injected_error"),
                },
                None => {
                    let handle = |store: &mut super::store::Store, ctx: &Ctx<'_>| {
                        huawei::handle(store, ctx, route, req.query, req.body)
                    };
                    let (reply, lost) = if route.op == huawei::Op::CreateNodePool {
                        sim.run_create(handle, huawei::hide_created)
                    } else {
                        (sim.ctx_run(handle), false)
                    };
                    if route.op.mutates() && reply.status < 300 {
                        sim.dirty.store(true, Ordering::SeqCst);
                    }
                    if lost {
                        Answer::Drop("lost_answer")
                    } else {
                        Answer::json(reply)
                    }
                }
            },
        },
    };
    match answer {
        Answer::Drop(outcome) => {
            sim.count("huawei", op, outcome);
            dropped_response()
        }
        Answer::Json {
            mut reply,
            mut headers,
            outcome,
        } => {
            sim.count("huawei", op, outcome.unwrap_or(outcome_of(reply.status)));
            if reply.status >= 400
                && reply.body["error_code"]
                    .as_str()
                    .is_some_and(|c| c.starts_with("APIG."))
            {
                reply.body["request_id"] = json!(request_id);
            }
            headers.push(("X-Request-Id", request_id));
            json_response(reply.status, &reply.body, &headers)
        }
    }
}

async fn alibaba_request(sim: &Sim, req: &Incoming<'_>, segments: &[String]) -> Response {
    let request_id = uppercase_request_id();
    let route = alibaba::route(req.method, segments);
    let op = route.as_ref().map_or("Unknown", |r| r.op.name());
    let answer = match &route {
        None => Answer::json(alibaba::error(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        )),
        Some(route) => match sim.alibaba_auth(req) {
            Err(reply) => Answer::json(reply),
            Ok(account) => match sim.apply_faults(&account).await {
                Some(FaultHit::Throttled { retry_after_ms, .. }) => Answer::Json {
                    reply: alibaba::error(
                        429,
                        "Throttling.User",
                        "Request was denied due to user flow control.",
                    ),
                    headers: vec![("x-acs-retry-after", retry_after_ms.to_string())],
                    outcome: None,
                },
                Some(FaultHit::Timeout(ms)) => {
                    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
                    Answer::Drop("timeout")
                }
                Some(FaultHit::Error) => Answer::Json {
                    reply: alibaba::error(
                        500,
                        "InternalError",
                        "The request processing has failed due to some unknown error.",
                    ),
                    headers: Vec::new(),
                    outcome: Some("injected_error"),
                },
                None => {
                    let handle = |store: &mut super::store::Store, ctx: &Ctx<'_>| {
                        alibaba::handle(store, ctx, route, req.query, req.body, &request_id)
                    };
                    let (reply, lost) = if route.op == alibaba::Op::CreateClusterNodePool {
                        sim.run_create(handle, alibaba::hide_created)
                    } else {
                        (sim.ctx_run(handle), false)
                    };
                    if route.op.mutates() && reply.status < 300 {
                        sim.dirty.store(true, Ordering::SeqCst);
                    }
                    if lost {
                        Answer::Drop("lost_answer")
                    } else {
                        Answer::json(reply)
                    }
                }
            },
        },
    };
    match answer {
        Answer::Drop(outcome) => {
            sim.count("alibaba", op, outcome);
            dropped_response()
        }
        Answer::Json {
            mut reply,
            mut headers,
            outcome,
        } => {
            sim.count("alibaba", op, outcome.unwrap_or(outcome_of(reply.status)));
            if reply.status >= 400 {
                reply.body["requestId"] = json!(request_id);
            }
            headers.push(("x-acs-request-id", request_id));
            json_response(reply.status, &reply.body, &headers)
        }
    }
}

/// An ACK-style request id: an uppercase UUID.
fn uppercase_request_id() -> String {
    super::model::random_uuid().to_uppercase()
}

// ---------------------------------------------------------------------------------------------
// Admin API
// ---------------------------------------------------------------------------------------------

fn admin_error(status: u16, msg: impl Into<String>) -> Reply {
    Reply::new(status, json!({"error": msg.into()}))
}

/// The admin API (no authentication: it is meant for loopback use).
fn admin(sim: &Sim, method: &str, path: &str, _query: &str, body: &[u8]) -> Reply {
    match (method, path.trim_end_matches('/')) {
        ("GET", "/_sim/health") => Reply::new(200, json!({"ok": true})),
        ("GET", "/_sim/pools") => sim.ctx_run(|store, ctx| {
            store.purge(ctx.now, ctx.timings.delete);
            let hw: Vec<Value> = store
                .cce_pools
                .values()
                .map(|p| {
                    json!({"project_id": p.project_id, "cluster_id": p.cluster_id,
                           "pool": huawei::render(p, ctx.now)})
                })
                .collect();
            let ali: Vec<Value> = store
                .ack_pools
                .values()
                .map(|p| json!({"cluster_id": p.cluster_id, "pool": alibaba::render(p, ctx.now, true)}))
                .collect();
            Reply::new(200, json!({"huawei": hw, "alibaba": ali}))
        }),
        ("GET", "/_sim/counters") => {
            let list: Vec<Value> = sim
                .counters()
                .into_iter()
                .map(|((cloud, op, outcome), n)| {
                    json!({"cloud": cloud, "operation": op, "outcome": outcome, "count": n})
                })
                .collect();
            let total: u64 = list.iter().filter_map(|v| v["count"].as_u64()).sum();
            Reply::new(200, json!({"total": total, "counters": list}))
        }
        ("GET", "/_sim/faults") => Reply::new(200, json!(*lock(&sim.faults))),
        ("PUT", "/_sim/faults") => match serde_json::from_slice::<Faults>(body) {
            Ok(f) => {
                *lock(&sim.faults) = f.clone();
                lock(&sim.buckets).clear();
                Reply::new(200, json!(f))
            }
            Err(e) => admin_error(400, format!("not a faults document: {e}")),
        },
        ("GET", "/_sim/clusters") => {
            let store = lock(&sim.store);
            Reply::new(
                200,
                json!({"huawei": store.huawei_clusters, "alibaba": store.alibaba_clusters}),
            )
        }
        ("POST", "/_sim/clusters") => {
            let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let mut store = lock(&sim.store);
            let mut added = false;
            if let Some(c) = v["huawei"].as_str() {
                if let Err(e) = super::config::parse_huawei_cluster(c) {
                    return admin_error(400, e);
                }
                store.huawei_clusters.insert(c.to_owned());
                added = true;
            }
            if let Some(c) = v["alibaba"].as_str().filter(|c| !c.is_empty()) {
                store.alibaba_clusters.insert(c.to_owned());
                added = true;
            }
            if !added {
                return admin_error(
                    400,
                    "give {\"huawei\": \"PROJECT_ID/CLUSTER_ID\"} and/or {\"alibaba\": \"CLUSTER_ID\"}",
                );
            }
            sim.dirty.store(true, Ordering::SeqCst);
            Reply::new(
                200,
                json!({"huawei": store.huawei_clusters, "alibaba": store.alibaba_clusters}),
            )
        }
        ("POST", "/_sim/reset") => {
            {
                let mut store = lock(&sim.store);
                *store = super::store::Store::default();
                store
                    .huawei_clusters
                    .extend(sim.start_clusters.0.iter().cloned());
                store
                    .alibaba_clusters
                    .extend(sim.start_clusters.1.iter().cloned());
            }
            *lock(&sim.faults) = sim.start_faults.clone();
            lock(&sim.buckets).clear();
            lock(&sim.counters).clear();
            sim.dirty.store(true, Ordering::SeqCst);
            Reply::new(200, json!({"reset": true}))
        }
        ("POST", "/_sim/save") => match sim.save() {
            Ok(saved) => Reply::new(
                200,
                json!({"saved": saved, "path": sim.state_path.as_ref().map(|p| p.display().to_string())}),
            ),
            Err(e) => admin_error(500, e),
        },
        _ => admin_error(
            404,
            "admin API: GET health|pools|counters|faults|clusters, PUT faults, POST clusters|reset|save (under /_sim/)",
        ),
    }
}
