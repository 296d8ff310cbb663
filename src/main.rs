use clap::Parser;
use nodepool_controller::cli::{Cli, Command};
use tracing_subscriber::EnvFilter;

/// jemalloc: see `Cargo.toml` and docs/performance.md (memory at 10,000 NodePools).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at start-up: one arena (the controller has two worker threads;
/// an arena per CPU kept each one's freed pages) and freed pages returned to the system at once
/// (the initial list of a large fleet leaves tens of MiB free that would otherwise stay
/// resident). At 10,000 NodePools: 63 MiB resident instead of 96 MiB with the defaults.
#[allow(non_upper_case_globals)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static malloc_conf: &[u8] = b"narenas:1,dirty_decay_ms:0,muzzy_decay_ms:0\0";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd { kind } => print!(
            "{}",
            match kind.as_deref() {
                Some("nodepool") => nodepool_controller::crd::crd_yaml(),
                Some(_) => nodepool_controller::crd::account_crd_yaml(),
                None => nodepool_controller::crd::all_crds_yaml(),
            }
        ),
        Command::Run(args) => {
            let filter = EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,kube=warn"));
            let builder = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
            if args.log_format == nodepool_controller::cli::LogFormat::Json {
                builder.json().init();
            } else {
                builder.init();
            }
            let config = args.config();
            // Refused before anything else: no request is ever sent to such an endpoint.
            config
                .check_endpoints()
                .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
            let client = kube::Client::try_default().await?;
            nodepool_controller::controller::run(client, config)
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "{e}: is the NodePool CRD installed (kubectl apply -f crds/) and may this identity list nodepools?"
                    )
                })?;
        }
    }
    Ok(())
}
