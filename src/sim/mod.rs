//! The cloud simulator behind `nodepool-cloudsim`: the Huawei CCE v3 and Alibaba ACK node-pool
//! APIs on one local port, with real request signing, node pools that move through their
//! lifecycle over time, injectable faults and an admin API under `/_sim/`.
//!
//! * [`huawei`] and [`alibaba`]: the two APIs (routing, validation, answers).
//! * [`model`]: node-count progress as a pure function of time.
//! * [`store`]: the state and its file; [`state`]: the running simulator's shared state.
//! * [`server`]: HTTP, authentication, faults, counters and the admin API.
//! * [`config`]: flags and the YAML scenario file.
//! * [`identity`]: Alibaba STS, Huawei IAM federation and both metadata services, issuing
//!   temporary keys that the node-pool APIs accept until they expire.

use std::time::Duration;

pub mod alibaba;
pub mod config;
pub mod huawei;
pub mod identity;
pub mod model;
pub mod server;
pub mod state;
pub mod store;

pub use config::{Args, Faults, Scenario, Timings};
pub use state::{CounterKey, Ctx, Reply, Sim, TimingsMs};

/// Runs the simulator until SIGINT/SIGTERM: binds, prints `nodepool-cloudsim listening on ADDR`
/// on stdout, serves, and saves the state on the way out.
pub async fn run(args: Args) -> Result<(), String> {
    let scenario = match &args.config {
        Some(path) => Scenario::load(path)?,
        None => Scenario::default(),
    }
    .merge_args(&args)?;
    let sim = Sim::new(scenario, args.state.clone())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("binding {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("local address: {e}"))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "nodepool-cloudsim listening on {addr}");
        let _ = out.flush();
    }
    tracing::info!(%addr, "listening");
    if sim.identity.oidc.is_some() {
        // Read the issuer's keys now; an issuer not up yet is read again on the first token.
        let sim = sim.clone();
        tokio::spawn(async move {
            if let Some(v) = &sim.identity.oidc
                && let Err(e) = v.refresh().await
            {
                tracing::warn!(issuer = v.issuer(), error = %e, "reading the OIDC issuer's keys");
            }
        });
    }
    let saver = {
        let sim = sim.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                if let Err(e) = sim.save_if_dirty() {
                    tracing::warn!(error = %e, "saving state");
                }
            }
        })
    };
    let result = server::serve(listener, sim.clone(), shutdown_signal()).await;
    saver.abort();
    sim.save()?;
    result
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
