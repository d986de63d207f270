//! `sealbid`: the platform's binary. `sealbid serve` starts a node; with no configuration at
//! all it is a one-node platform with its data under `./sealbid-data` on
//! https://127.0.0.1:8443.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use sealbid_node::{Application, Layer};

/// sealbid: sealed-bid public-resource trading.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Arguments {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run a node: defaults, then the TOML file, then SEALBID_ variables, then these flags.
    Serve(ServeFlags),
}

/// Flags of `sealbid serve`; each overrides the same setting from the file and environment.
#[derive(Debug, clap::Args)]
struct ServeFlags {
    /// A TOML settings file (also SEALBID_CONFIG).
    #[arg(long, env = "SEALBID_CONFIG")]
    config: Option<PathBuf>,
    /// The data folder [default: sealbid-data].
    #[arg(long)]
    data_dir: Option<String>,
    /// The API's address [default: 127.0.0.1:8443].
    #[arg(long)]
    listen: Option<String>,
    /// The node-to-node RPC address [default: 127.0.0.1:8444].
    #[arg(long)]
    cluster_listen: Option<String>,
    /// This node's id [default: 1].
    #[arg(long)]
    node_id: Option<u64>,
    /// Entries between snapshots [default: 20000].
    #[arg(long)]
    snapshot_every: Option<u64>,
}

impl ServeFlags {
    /// The flags as the top settings layer.
    fn layer(&self) -> Layer {
        Layer {
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            cluster_listen: self.cluster_listen.clone(),
            node_id: self.node_id,
            snapshot_every: self.snapshot_every,
        }
    }
}

/// The node's runtime is multi-threaded: Raft, the state machine and replication share it;
/// the HTTP servers bring their own worker threads.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let arguments = Arguments::parse();
    match arguments.command {
        Command::Serve(flags) => serve(flags).await,
    }
}

/// `sealbid serve`.
async fn serve(flags: ServeFlags) -> anyhow::Result<()> {
    let file = match &flags.config {
        Some(path) => Layer::from_file(path)?,
        None => Layer::default(),
    };
    let environment = Layer::from_environment(|name| std::env::var(name).ok())?;
    let settings = flags.layer().over(environment.over(file)).settle()?;
    let application = Application::build(&settings)
        .await
        .with_context(|| format!("starting the node in {}", settings.data_dir.display()))?;
    let data_dir = &application.data_dir;
    println!(
        "sealbid node {} serving https://{}",
        settings.node_id, application.api_address
    );
    println!("  data:          {}", data_dir.root.display());
    println!(
        "  trust anchor:  {} (clients verify the API's certificate with it)",
        data_dir.authority.display()
    );
    println!(
        "  operator key:  {} ({}{})",
        data_dir.operator_key_path.display(),
        data_dir.operator.public_key(),
        if data_dir.created { ", created now" } else { "" }
    );
    println!("  cluster RPC:   {}", application.cluster_address);
    application.run_until_interrupted().await?;
    println!("stopped");
    Ok(())
}
