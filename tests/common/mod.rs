//! Shared helpers for the integration tests that run against the real local
//! control plane started by `tests/env/up.sh` (see `scripts/test.sh`).
#![allow(dead_code)]

pub mod e2e;
pub mod kubeconfig;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// The kubeconfig of the local control plane. Tests that need the API server
/// fail loudly without it: they never skip.
pub fn kubeconfig_path() -> PathBuf {
    match std::env::var_os("NODEPOOL_TEST_KUBECONFIG") {
        Some(p) => PathBuf::from(p),
        None => panic!(
            "NODEPOOL_TEST_KUBECONFIG is not set: this test needs the local control plane; \
             run it through scripts/test.sh (or `eval $(tests/env/up.sh)` and export \
             NODEPOOL_TEST_KUBECONFIG=$KUBECONFIG)"
        ),
    }
}

/// A client for the local control plane, as its administrator.
pub async fn client() -> Client {
    let path = kubeconfig_path();
    let kc = Kubeconfig::read_from(&path)
        .unwrap_or_else(|e| panic!("reading kubeconfig {}: {e}", path.display()));
    let cfg = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("a usable kubeconfig");
    Client::try_from(cfg).expect("a client")
}

/// The kubectl that matches the local API server's version.
pub fn kubectl() -> std::process::Command {
    let bin = std::env::var("NODEPOOL_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let mut cmd = std::process::Command::new(bin);
    cmd.arg("--kubeconfig").arg(kubeconfig_path());
    cmd
}

/// A name unique to this test process and call, for namespaces and objects.
pub fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .subsec_nanos();
    format!(
        "{prefix}-{:x}{:x}-{}",
        std::process::id(),
        nanos % 0xffff,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh namespace, deleted when the guard is dropped.
pub struct TestNamespace {
    pub name: String,
    client: Client,
}

impl TestNamespace {
    pub async fn new(client: &Client, prefix: &str) -> Self {
        let name = unique(prefix);
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}
        }))
        .expect("a namespace");
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .expect("create test namespace");
        TestNamespace {
            name,
            client: client.clone(),
        }
    }
}

impl TestNamespace {
    /// Deletes the namespace. Without a namespace controller (tests/env/kcm.sh
    /// runs one for the tests that need it) its objects stay until the control
    /// plane is torn down; the name is unique, so they never disturb another test.
    pub async fn delete(self) {
        let _ = Api::<Namespace>::all(self.client)
            .delete(&self.name, &DeleteParams::default())
            .await;
    }
}
