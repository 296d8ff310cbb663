//! The built `nodepool-cloudsim` binary, driven by the clouds' official Python SDKs
//! (`tests/sdk/interop_huawei.py`, `tests/sdk/interop_alibaba.py`), plus a restart of the binary
//! with `--state`.
//!
//! Needs `NODEPOOL_SDK_PYTHON` (the SDK virtualenv's python, exported by `scripts/test.sh`);
//! without it the test fails rather than skipping.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

fn start(extra: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nodepool-cloudsim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--huawei-account",
            "hw-ak:hw-sk",
            "--huawei-token",
            "hw-token@0a1b2c3d4e5f",
            "--alibaba-account",
            "ali-ak:ali-sk",
            "--huawei-cluster",
            "0a1b2c3d4e5f/cce-cluster-1",
            "--alibaba-cluster",
            "c-ack-1",
            "--provision-seconds",
            "0.3",
            "--node-seconds",
            "0.1",
            "--delete-seconds",
            "0.5",
            "--update-seconds",
            "0.3",
        ])
        .args(extra)
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
    Running { child, addr }
}

fn sdk_python() -> String {
    std::env::var("NODEPOOL_SDK_PYTHON").unwrap_or_else(|_| {
        panic!(
            "NODEPOOL_SDK_PYTHON is not set: this test drives the simulator with the official \
             cloud SDKs; run it through scripts/test.sh (which builds the SDK virtualenv with \
             tests/sdk/venv.sh and exports NODEPOOL_SDK_PYTHON)"
        )
    })
}

fn run_script(python: &str, script: &str, url: &str, home: &Path) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/sdk")
        .join(script);
    let out = Command::new(python)
        .arg(&path)
        .arg(url)
        // The Huawei SDK writes ~/.huaweicloud/application_id: keep that out of the real home.
        .env("HOME", home)
        .output()
        .unwrap_or_else(|e| panic!("running {python} {}: {e}", path.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(stdout.contains(": OK ("), "{script}: no OK line:\n{stdout}");
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn official_sdks_drive_the_simulator() {
    let python = sdk_python();
    let sim = start(&[]);
    let url = format!("http://{}", sim.addr);
    let home = tmp_dir("sim-sdk-home");
    run_script(&python, "interop_huawei.py", &url, &home);
    run_script(&python, "interop_alibaba.py", &url, &home);
    let counters = admin_get(&sim.addr, "/_sim/counters");
    assert!(counters.contains("\"cloud\":\"huawei\""), "{counters}");
    assert!(counters.contains("\"cloud\":\"alibaba\""), "{counters}");
}

/// ACK's older ROA signature (HMAC-SHA1) from two official clients: the CS client in `v2` mode
/// (a node pool's whole life, a wrong secret, a replayed nonce) and `aliyun-python-sdk-core`.
#[test]
fn official_alibaba_clients_sign_with_roa_hmac_sha1() {
    let python = sdk_python();
    let sim = start(&[]);
    let url = format!("http://{}", sim.addr);
    let home = tmp_dir("sim-roa-home");
    run_script(&python, "interop_alibaba_roa.py", &url, &home);
    let counters = admin_get(&sim.addr, "/_sim/counters");
    for expected in [
        r#""operation":"CreateClusterNodePool","outcome":"ok""#,
        r#""operation":"ModifyClusterNodePool","outcome":"ok""#,
        r#""operation":"DeleteClusterNodepool","outcome":"ok""#,
        r#""operation":"DescribeClusterNodePools","outcome":"invalid""#,
    ] {
        assert!(counters.contains(expected), "{expected} in {counters}");
    }
}

/// A plain HTTP/1.0 GET, to read the admin API without an HTTP client crate.
fn admin_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or(out)
}

fn admin_post(addr: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn the_binary_saves_state_on_sigterm_and_reloads_it() {
    let dir = tmp_dir("sim-bin-state");
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let state_arg = state.to_str().unwrap();
    let sim = start(&["--state", state_arg]);
    // A run-time change (a new cluster) marks the state dirty.
    let answer = admin_post(&sim.addr, "/_sim/clusters", r#"{"alibaba":"c-added"}"#);
    assert!(answer.contains("c-added"), "{answer}");
    let status = Command::new("kill")
        .args(["-TERM", &sim.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut sim = sim;
    let exit = sim.child.wait().unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let saved = std::fs::read_to_string(&state).expect("state file written on shutdown");
    assert!(saved.contains("c-added"), "{saved}");

    let again = start(&["--state", state_arg]);
    let clusters = admin_get(&again.addr, "/_sim/clusters");
    assert!(clusters.contains("c-added"), "{clusters}");
    std::fs::remove_dir_all(&dir).ok();
}
