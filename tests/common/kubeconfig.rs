//! Kubeconfig helpers for tests that reach the API server through a proxy of their own
//! (the chaos run's watch breaker, the fencing test's cut-off leader).

use std::path::Path;

/// The current context's cluster of a kubeconfig.
pub fn current_cluster(kc: &mut serde_yaml::Value) -> &mut serde_yaml::Value {
    let context = kc["current-context"].as_str().unwrap_or("").to_string();
    let name = kc["contexts"]
        .as_sequence()
        .into_iter()
        .flatten()
        .find(|c| c["name"].as_str() == Some(context.as_str()))
        .and_then(|c| c["context"]["cluster"].as_str())
        .map(str::to_string);
    let clusters = kc["clusters"]
        .as_sequence_mut()
        .expect("the kubeconfig has clusters");
    match name {
        Some(n) => clusters
            .iter_mut()
            .find(|c| c["name"].as_str() == Some(n.as_str())),
        None => clusters.first_mut(),
    }
    .map(|c| &mut c["cluster"])
    .expect("the kubeconfig's current cluster")
}

pub fn read_kubeconfig(path: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(path).expect("the kubeconfig");
    serde_yaml::from_str(&text).expect("kubeconfig YAML")
}

/// The API server's `host:port`, from the kubeconfig's `server:` URL.
pub fn api_server_address(kubeconfig: &Path) -> String {
    let mut kc = read_kubeconfig(kubeconfig);
    let server = current_cluster(&mut kc)["server"]
        .as_str()
        .expect("a server URL")
        .to_string();
    server
        .strip_prefix("https://")
        .expect("an https:// server")
        .split('/')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Writes a copy of the kubeconfig at `from` whose current cluster is reached through a proxy
/// on 127.0.0.1:`proxy_port`.
pub fn write_proxied_kubeconfig(from: &Path, to: &Path, proxy_port: u16) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut kc = read_kubeconfig(from);
    // The serving certificate has IP SAN 127.0.0.1: another port on it verifies the same.
    current_cluster(&mut kc)["server"] = format!("https://127.0.0.1:{proxy_port}").into();
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600) // it holds the admin token
        .open(to)
        .expect("write the proxied kubeconfig");
    std::io::Write::write_all(
        &mut f,
        serde_yaml::to_string(&kc)
            .expect("kubeconfig YAML")
            .as_bytes(),
    )
    .expect("write the proxied kubeconfig");
}
