//! Command-line interface of the `nodepool-controller` binary.
use clap::{Parser, Subcommand};

/// Runs Huawei Cloud CCE and Alibaba Cloud ACK node pools from Kubernetes NodePool objects.
#[derive(Debug, Parser)]
#[command(name = "nodepool-controller", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the NodePool CustomResourceDefinition as YAML (what `crds/` holds).
    Crd,
}
