use clap::Parser;
use nodepool_controller::cli::{Cli, Command};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Crd => print!("{}", nodepool_controller::crd::crd_yaml()),
    }
    Ok(())
}
