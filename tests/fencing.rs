//! Fencing, end to end: a leader cut off from the API server (not killed) must stop acting.
//!
//! Two controller replicas under leader election (`--lease-seconds 3`, so the holder stops acting
//! 2 s after its last renewal and another may take over after 3 s), with the real local control
//! plane and the cloud simulator. Replica 1 reaches the API server through a TCP proxy the test
//! can cut (open connections closed, new ones refused), and the cloud through a proxy of its own
//! that records every request, so its cloud calls can be told from replica 2's.
//!
//! Replica 1 leads; NodePools of both clouds go Ready. Then replica 1 is cut off: it keeps
//! running, with its cached (soon stale) NodePools and a working path to the cloud. Replica 2
//! takes the Lease; the NodePools' node counts change, the pools are changed at the cloud behind
//! the controller's back, and new NodePools are made. Asserted at the simulator: replica 2 applies
//! the new specs, the pools keep the new counts over many of replica 1's resyncs (1 s), there is
//! exactly one pool per NodePool, and replica 1 makes no cloud call that changes anything after
//! the cut. When the connection comes back replica 1 stays a follower and nothing doubles.

mod common;

use common::e2e::*;
use common::kubeconfig::{api_server_address, write_proxied_kubeconfig};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, DeleteParams};
use nodepool_controller::cloud::{CloudPool, NodePoolProvider, PoolUpdate};
use nodepool_controller::crd::NodePool;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---------------------------------------------------------------------------------------------
// A cuttable TCP proxy in front of kube-apiserver (TLS passes through)
// ---------------------------------------------------------------------------------------------

/// While cut, every open connection is closed and every new one is closed at once: the replica
/// behind it cannot reach the API server at all, but keeps running.
#[derive(Default)]
struct CutProxy {
    cut: AtomicBool,
    next: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    open: Mutex<BTreeMap<u64, tokio::task::AbortHandle>>,
}

impl CutProxy {
    /// Cuts: refuses new connections from now on and closes the open ones.
    fn cut(&self) -> usize {
        self.cut.store(true, Ordering::SeqCst);
        let open = std::mem::take(&mut *self.open.lock().unwrap());
        let n = open.len();
        for handle in open.into_values() {
            handle.abort();
        }
        n
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

/// Starts the proxy on 127.0.0.1 in front of `upstream` (`host:port`); returns its port.
async fn start_cut_proxy(upstream: String, state: Arc<CutProxy>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut down, _)) = listener.accept().await else {
                return;
            };
            // Decided under the lock `cut` takes: a connection is either refused here or
            // registered before `cut` closes the registered ones.
            let mut open = state.open.lock().unwrap();
            if state.cut.load(Ordering::SeqCst) {
                state.refused.fetch_add(1, Ordering::SeqCst);
                drop(down);
                continue;
            }
            state.accepted.fetch_add(1, Ordering::SeqCst);
            let id = state.next.fetch_add(1, Ordering::SeqCst);
            let upstream = upstream.clone();
            let conn_state = state.clone();
            let task = tokio::spawn(async move {
                if let Ok(mut up) = TcpStream::connect(&upstream).await {
                    let _ = tokio::io::copy_bidirectional(&mut down, &mut up).await;
                }
                conn_state.open.lock().unwrap().remove(&id);
            });
            open.insert(id, task.abort_handle());
        }
    });
    port
}

// ---------------------------------------------------------------------------------------------
// A recording HTTP proxy in front of the simulator (one replica's cloud endpoint)
// ---------------------------------------------------------------------------------------------

/// Every request through the proxy: when, method, path.
#[derive(Default)]
struct CloudCalls(Mutex<Vec<(Instant, String, String)>>);

impl CloudCalls {
    /// Requests after `since` whose method changes something (anything but GET and HEAD).
    fn mutating_since(&self, since: Instant) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, m, _)| *t >= since && m != "GET" && m != "HEAD")
            .map(|(_, m, p)| format!("{m} {p}"))
            .collect()
    }

    fn all_since(&self, since: Instant) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _, _)| *t >= since)
            .count()
    }
}

/// Starts a proxy in front of `upstream` (`http://host:port`) that records each request's
/// method and path (HTTP/1.1, bodies with Content-Length, keep-alive); returns its URL.
async fn start_recording_proxy(upstream: &str, calls: Arc<CloudCalls>) -> String {
    let upstream = upstream.trim_start_matches("http://").to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((down, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let calls = calls.clone();
            tokio::spawn(async move {
                let _ = record_conn(down, &upstream, calls).await;
            });
        }
    });
    url
}

async fn record_conn(
    down: TcpStream,
    upstream: &str,
    calls: Arc<CloudCalls>,
) -> std::io::Result<()> {
    let up = TcpStream::connect(upstream).await?;
    let (mut dr, mut dw) = down.into_split();
    let (mut ur, mut uw) = up.into_split();
    let answers = tokio::spawn(async move { tokio::io::copy(&mut ur, &mut dw).await });
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let result = loop {
        let head_end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break Some(i + 4);
            }
            match dr.read(&mut chunk).await {
                Ok(0) | Err(_) => break None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let Some(head_end) = head_end else {
            break Ok(());
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let mut first = lines.next().unwrap_or("").split(' ');
        let method = first.next().unwrap_or("").to_string();
        let path = first.next().unwrap_or("").to_string();
        let length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            match dr.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let end = (head_end + length).min(buf.len());
        calls.0.lock().unwrap().push((Instant::now(), method, path));
        let request: Vec<u8> = buf.drain(..end).collect();
        if let Err(e) = uw.write_all(&request).await {
            break Err(e);
        }
    };
    let _ = uw.shutdown().await;
    let _ = answers.await;
    result
}

// ---------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------

const LEASE: &str = "nodepool-controller";

/// The PID in the Lease holder's identity (`nodepool-controller-<pid>-<n>`).
async fn holder_pid(leases: &Api<Lease>) -> Option<u32> {
    let lease = leases.get_opt(LEASE).await.ok()??;
    let holder = lease.spec?.holder_identity?;
    holder.split('-').nth(2)?.parse().ok()
}

async fn wait_holder(leases: &Api<Lease>, pid: u32, what: &str, timeout: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if holder_pid(leases).await == Some(pid) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < timeout,
            "{what}: the Lease is not held by pid {pid} after {timeout:?} (holder pid {:?})",
            holder_pid(leases).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The NodePools of the test and the cloud each lives in.
struct Pools {
    cce: Arc<dyn NodePoolProvider>,
    ack: Arc<dyn NodePoolProvider>,
}

impl Pools {
    fn at(&self, name: &str) -> (&dyn NodePoolProvider, &'static str) {
        if name.starts_with("ali-") {
            (self.ack.as_ref(), ALI_CLUSTER)
        } else {
            (self.cce.as_ref(), HW_CLUSTER)
        }
    }

    async fn named(&self, name: &str) -> Vec<CloudPool> {
        let (provider, cluster) = self.at(name);
        pools_named(provider, cluster, name).await
    }

    /// What is wrong at the cloud now: each NodePool of `want` (name → node count) has exactly
    /// one pool, marked with its UID, with that count and no labels.
    async fn problems(&self, want: &BTreeMap<&str, (i64, String)>) -> Vec<String> {
        let mut out = Vec::new();
        for (name, (count, uid)) in want {
            let pools = self.named(name).await;
            match pools.as_slice() {
                [p] => {
                    if p.nodes.desired != Some(*count) {
                        out.push(format!(
                            "{name}: node count {:?}, the spec says {count}",
                            p.nodes.desired
                        ));
                    }
                    if !p.managed.labels.is_empty() {
                        out.push(format!("{name}: labels {:?}", p.managed.labels));
                    }
                    if p.owner.as_ref().map(|o| &o.uid) != Some(uid) {
                        out.push(format!("{name}: owner mark {:?}", p.owner));
                    }
                }
                _ => out.push(format!(
                    "{name}: {} pools: {:?}",
                    pools.len(),
                    pools.iter().map(|p| &p.id).collect::<Vec<_>>()
                )),
            }
        }
        out
    }
}

/// A change at the cloud console: node count 3 and a node label.
async fn behind_the_back(pools: &Pools, name: &str) {
    let (provider, cluster) = pools.at(name);
    let pool = pools.named(name).await.pop().expect("a pool");
    let body = if cluster == HW_CLUSTER {
        json!({"metadata": {"name": pool.name}, "spec": {"nodeTemplate": {
            "k8sTags": {"team": "console"}}}})
    } else {
        json!({"kubernetes_config": {"labels": [{"key": "team", "value": "console"}]}})
    };
    provider
        .update(
            cluster,
            &pool.id,
            &PoolUpdate {
                body,
                node_count: Some(3),
            },
        )
        .await
        .expect("a change at the console");
}

fn uid(np: &NodePool) -> String {
    np.metadata.uid.clone().expect("a UID")
}

#[tokio::test]
async fn a_leader_cut_off_from_the_api_server_makes_no_cloud_change_after_losing_the_lease() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "fence").await;
    let (_sim, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns.name);
    let pools = Pools {
        cce: huawei_client(&sim),
        ack: alibaba_client(&sim),
    };
    let logs = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&ns.name);
    std::fs::create_dir_all(&logs).expect("log dir");
    eprintln!("fencing: the replicas' logs are in {}", logs.display());

    // Replica 1: the API server through the cuttable proxy, the cloud through the recorder.
    let cutter = Arc::new(CutProxy::default());
    let kubeconfig = logs.join("replica-1.kubeconfig");
    let port = start_cut_proxy(
        api_server_address(&common::kubeconfig_path()),
        cutter.clone(),
    )
    .await;
    write_proxied_kubeconfig(&common::kubeconfig_path(), &kubeconfig, port);
    let calls = Arc::new(CloudCalls::default());
    let r1_cloud = start_recording_proxy(&sim, calls.clone()).await;
    let elect: Vec<String> = [
        "--leader-elect",
        "--leader-election-namespace",
        ns.name.as_str(),
        "--lease-seconds",
        "3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let log1 = logs.join("replica-1.log");
    let log2 = logs.join("replica-2.log");
    let mut ctl1 = Ctl::new(&ns.name, &r1_cloud);
    ctl1.resync = "1";
    ctl1.extra = elect.clone();
    ctl1.kubeconfig = Some(&kubeconfig);
    ctl1.log = Some(&log1);
    let mut replica1 = ctl1.start();
    let pid1 = replica1.0.id();
    wait_holder(&leases, pid1, "replica 1 alone", Duration::from_secs(20)).await;

    // NodePools of both clouds, Ready under replica 1.
    let mut want: BTreeMap<&str, (i64, String)> = BTreeMap::new();
    for (name, manifest) in [
        ("hw-a", huawei_pool("hw-a", 1)),
        ("ali-a", alibaba_pool("ali-a", 1)),
    ] {
        create(&api, manifest).await;
        let np = wait_ready(&api, name, 1).await;
        want.insert(name, (1, uid(&np)));
    }
    assert_eq!(pools.problems(&want).await, Vec::<String>::new());
    let r1_creates = calls.mutating_since(Instant::now() - Duration::from_secs(3600));
    assert!(
        r1_creates.iter().filter(|c| c.starts_with("POST")).count() >= 2,
        "replica 1 made the pools through its recorded endpoint: {r1_creates:?}"
    );

    // Replica 2: directly to the API server and the simulator.
    let mut ctl2 = Ctl::new(&ns.name, &sim);
    ctl2.resync = "1";
    ctl2.extra = elect;
    ctl2.log = Some(&log2);
    let mut replica2 = ctl2.start();
    let pid2 = replica2.0.id();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        holder_pid(&leases).await,
        Some(pid1),
        "replica 1 still leads while connected"
    );

    // Cut replica 1 off. It keeps running with its cached NodePools and its cloud endpoint.
    let cut_at = Instant::now();
    let closed = cutter.cut();
    let takeover = wait_holder(&leases, pid2, "after the cut", Duration::from_secs(20)).await;
    let took_over_at = Instant::now();
    eprintln!(
        "fencing: cut replica 1 ({closed} connections closed); replica 2 took the Lease after {takeover:?}"
    );
    assert!(
        replica1.0.try_wait().expect("wait").is_none(),
        "replica 1 keeps running while cut off"
    );

    // While cut: new node counts in the specs, changes at the cloud behind the back, new
    // NodePools. Replica 2 applies them all.
    for name in ["hw-a", "ali-a"] {
        let patch = if name.starts_with("ali-") {
            json!({"spec": {"alibaba": {"scalingGroup": {"desiredSize": 2}}}})
        } else {
            json!({"spec": {"huawei": {"initialNodeCount": 2}}})
        };
        let generation = patch_spec(&api, name, patch).await;
        wait_ready(&api, name, generation).await;
        want.get_mut(name).expect("known").0 = 2;
    }
    for (name, manifest) in [
        ("hw-new", huawei_pool("hw-new", 2)),
        ("ali-new", alibaba_pool("ali-new", 2)),
    ] {
        create(&api, manifest).await;
        let np = wait_ready(&api, name, 1).await;
        want.insert(name, (2, uid(&np)));
    }
    for name in ["hw-a", "ali-a"] {
        behind_the_back(&pools, name).await;
    }
    // Replica 2 sets them back to the spec.
    let start = Instant::now();
    loop {
        let problems = pools.problems(&want).await;
        if problems.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "replica 2 did not set the pools back to the spec: {problems:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Hold: many of replica 1's resyncs (1 s), the pools stay as the NEW specs say.
    let hold = Duration::from_secs(8);
    let start = Instant::now();
    let mut samples = 0;
    while start.elapsed() < hold {
        let problems = pools.problems(&want).await;
        assert!(
            problems.is_empty(),
            "while replica 1 is cut off ({:.1} s after the cut): {problems:?}; replica 1's \
             mutating cloud calls since the cut: {:?}",
            cut_at.elapsed().as_secs_f64(),
            calls.mutating_since(cut_at)
        );
        samples += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let r1_after_cut = calls.mutating_since(cut_at);
    eprintln!(
        "fencing: {samples} samples over {hold:?}; replica 1 since the cut: {} cloud requests, mutating: {r1_after_cut:?}",
        calls.all_since(cut_at)
    );
    assert_eq!(
        r1_after_cut,
        Vec::<String>::new(),
        "replica 1 changed the cloud after it was cut off"
    );
    // It stopped acting (2 s after its last renewal) before replica 2 could take over (3 s):
    // from then on it does not even read.
    assert_eq!(
        calls.all_since(took_over_at),
        0,
        "replica 1 called the cloud after replica 2 took the Lease"
    );
    assert!(
        cutter.refused.load(Ordering::SeqCst) > 0,
        "replica 1 tried to reach the API server while cut off"
    );
    assert!(
        replica1.0.try_wait().expect("wait").is_none(),
        "replica 1 kept running while cut off"
    );

    // Restore: replica 1 comes back as a follower; nothing doubles or changes.
    let accepted = cutter.accepted.load(Ordering::SeqCst);
    cutter.restore();
    let start = Instant::now();
    while cutter.accepted.load(Ordering::SeqCst) == accepted {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "replica 1 did not reconnect"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reconnected = Instant::now();
    while reconnected.elapsed() < Duration::from_secs(5) {
        assert_eq!(
            holder_pid(&leases).await,
            Some(pid2),
            "replica 2 keeps the Lease"
        );
        assert_eq!(pools.problems(&want).await, Vec::<String>::new());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        calls.mutating_since(cut_at),
        Vec::<String>::new(),
        "replica 1 changed the cloud as a follower"
    );
    assert_eq!(
        calls.all_since(took_over_at),
        0,
        "replica 1 called the cloud as a follower"
    );
    assert!(replica1.0.try_wait().expect("wait").is_none());
    assert!(replica2.0.try_wait().expect("wait").is_none());

    // Cleanup through the leader: every pool goes.
    for name in want.keys() {
        api.delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }
    for name in want.keys() {
        wait_for(&api, name, "gone", Duration::from_secs(60), |n| n.is_none()).await;
        assert_eq!(pools.named(name).await.len(), 0, "{name}: the pool is gone");
    }
    drop(replica1);
    drop(replica2);
    ns.delete().await;
    // The replicas' logs and the proxied kubeconfig (with the admin token) are kept only when
    // the test fails.
    let _ = std::fs::remove_dir_all(&logs);
}
