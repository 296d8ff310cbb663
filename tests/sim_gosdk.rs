//! The built `nodepool-cloudsim` binary, driven by the official Huawei Cloud Go SDK
//! (`huaweicloud-sdk-go-v3`, the SDK Go tools and the Terraform ecosystem use; `tests/gosdk`):
//! a node pool's whole life, whose requests sign only the headers the Go SDK sets (never Host),
//! checked at both ends — the SDK's view (`tests/gosdk` exits non-zero on any surprise) and the
//! simulator's counters and pools.
//!
//! Needs `NODEPOOL_GOSDK`, the client binary built by `tests/gosdk/build.sh` (exported by
//! `scripts/test.sh`); without it the test fails rather than skipping.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const CLUSTER: &str = "7e2f3a4b-5c6d-11ee-8c90-0255ac100b03";

/// A running simulator, killed when dropped.
struct Running {
    child: Child,
    addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start() -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--huawei-account",
            "go-ak:go-sk",
            "--huawei-cluster",
            &format!("{PROJECT}/{CLUSTER}"),
            "--provision-seconds",
            "0.3",
            "--node-seconds",
            "0.1",
            "--delete-seconds",
            "0.5",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starting nodepool-cloudsim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("reading the listen line");
    let addr = line
        .trim()
        .strip_prefix("nodepool-cloudsim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Running { child, addr }
}

/// A plain HTTP/1.0 GET of the admin API, parsed as JSON.
fn admin_get(addr: &str, path: &str) -> Value {
    let mut s = std::net::TcpStream::connect(addr).expect("connecting to the simulator");
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("writing");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("reading");
    let body = out.split_once("\r\n\r\n").map_or(out.as_str(), |(_, b)| b);
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
}

fn counter(counters: &Value, op: &str, outcome: &str) -> u64 {
    counters["counters"]
        .as_array()
        .expect("a counter list")
        .iter()
        .filter(|c| c["cloud"] == "huawei" && c["operation"] == op && c["outcome"] == outcome)
        .filter_map(|c| c["count"].as_u64())
        .sum()
}

#[test]
fn huawei_go_sdk_runs_a_node_pool_lifecycle() {
    let bin = std::env::var("NODEPOOL_GOSDK").unwrap_or_else(|_| {
        panic!(
            "NODEPOOL_GOSDK is not set: this test drives the simulator with the Huawei Cloud Go \
             SDK; run it through scripts/test.sh (tests/gosdk/build.sh builds the client and \
             prints its path)"
        )
    });
    let sim = start();
    let out = Command::new(&bin)
        .args([
            "lifecycle",
            &format!("http://{}", sim.addr),
            PROJECT,
            CLUSTER,
            "go-ak",
            "go-sk",
        ])
        .output()
        .unwrap_or_else(|e| panic!("running {bin}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the Go SDK run failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    for step in [
        "ShowCluster: phase Available",
        "CreateNodePool: id ",
        "WaitSteady: 1 node",
        "ListNodePools: found ",
        "UpdateNodePool: initialNodeCount 2",
        "WaitSteady: 2 nodes",
        "DeleteNodePool: accepted",
        "ShowNodePool: 404 after delete",
        "WrongSecret: 401",
        "lifecycle: OK",
    ] {
        assert!(stdout.contains(step), "no {step:?} in:\n{stdout}");
    }
    // The pool the SDK created is the one the simulator made.
    let id = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CreateNodePool: id "))
        .expect("the pool id")
        .trim()
        .to_owned();
    assert!(
        stdout.contains(&format!("ListNodePools: found {id}")),
        "{stdout}"
    );

    // The simulator's side: each call arrived once, was accepted, and nothing is left over.
    let counters = admin_get(&sim.addr, "/_sim/counters");
    for (op, outcome, want) in [
        ("ShowCluster", "ok", 1),
        ("CreateNodePool", "ok", 1),
        ("UpdateNodePool", "ok", 1),
        ("DeleteNodePool", "ok", 1),
        ("ListNodePools", "ok", 1),
        ("ListNodePools", "unauthorized", 1),
        ("ShowNodePool", "not_found", 1),
    ] {
        assert_eq!(
            counter(&counters, op, outcome),
            want,
            "{op} {outcome}: {counters}"
        );
    }
    assert!(counter(&counters, "ShowNodePool", "ok") >= 2, "{counters}");
    let refused: u64 = counters["counters"]
        .as_array()
        .expect("a counter list")
        .iter()
        .filter(|c| c["outcome"] == "unauthorized")
        .filter_map(|c| c["count"].as_u64())
        .sum();
    assert_eq!(refused, 1, "only the wrong secret is refused: {counters}");
    let pools = admin_get(&sim.addr, "/_sim/pools");
    assert_eq!(pools["huawei"], Value::Array(vec![]), "{pools}");
}
