//! `nodepool-cloudsim`: the Huawei CCE and Alibaba ACK node-pool APIs on localhost.
//!
//! Everything lives in [`nodepool_controller::sim`]; this only parses the flags.
use clap::Parser;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = nodepool_controller::sim::Args::parse();
    if let Err(e) = nodepool_controller::sim::run(args).await {
        eprintln!("nodepool-cloudsim: {e}");
        std::process::exit(1);
    }
}
