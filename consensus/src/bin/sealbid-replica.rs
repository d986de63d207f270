//! A bare cluster node for the consensus tests and for operators trying the cluster before the
//! full `sealbid` binary exists: it serves node-to-node RPC, forwarded commands and its status
//! over mutual TLS, and nothing else.
//!
//! ```text
//! sealbid-replica --id 1 --listen 127.0.0.1:7001 --database node-1.sqlite \
//!     --certificate node-1.pem --key node-1.key --authority cluster-ca.pem \
//!     [--initialize 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003] [--snapshot-every 1000]
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use sealbid_consensus::tls::ClusterTls;
use sealbid_consensus::{Replica, ReplicaConfig};

/// The command line, parsed.
struct Arguments {
    node_id: u64,
    listen: String,
    database: PathBuf,
    certificate: PathBuf,
    key: PathBuf,
    authority: PathBuf,
    initialize: Option<BTreeMap<u64, String>>,
    snapshot_every: u64,
}

/// Parses `--name value` pairs.
fn arguments() -> anyhow::Result<Arguments> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut words = std::env::args().skip(1);
    while let Some(name) = words.next() {
        let Some(name) = name.strip_prefix("--") else {
            bail!("unexpected argument {name:?}")
        };
        let value = words.next().with_context(|| format!("--{name} needs a value"))?;
        values.insert(name.to_string(), value);
    }
    let initialize = match values.remove("initialize") {
        None => None,
        Some(members) => Some(
            members
                .split(',')
                .map(|member| {
                    let (id, address) = member.split_once('=').context("members are id=host:port")?;
                    Ok((id.parse()?, address.to_string()))
                })
                .collect::<anyhow::Result<_>>()?,
        ),
    };
    let snapshot_every = values
        .remove("snapshot-every")
        .map_or(Ok(5000), |value| value.parse())?;
    let mut take =
        |name: &str| -> anyhow::Result<String> { values.remove(name).with_context(|| format!("--{name} is required")) };
    let arguments = Arguments {
        node_id: take("id")?.parse()?,
        listen: take("listen")?,
        database: take("database")?.into(),
        certificate: take("certificate")?.into(),
        key: take("key")?.into(),
        authority: take("authority")?.into(),
        initialize,
        snapshot_every,
    };
    if let Some(unknown) = values.keys().next() {
        bail!("unknown option --{unknown}");
    }
    Ok(arguments)
}

/// mimalloc returns freed memory to the system; the C library's allocator kept the peaks of
/// snapshots and archives resident for the life of the process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Raft, the state machine and replication run on a multi-threaded runtime (a single-threaded
/// one would hold the whole node to one core); the HTTP server brings its own worker threads.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let arguments = arguments()?;
    let tls = ClusterTls::from_pem(
        &std::fs::read(&arguments.certificate)?,
        &std::fs::read(&arguments.key)?,
        &std::fs::read(&arguments.authority)?,
    )?;
    let raft = ReplicaConfig::raft(arguments.snapshot_every);
    let config = ReplicaConfig {
        node_id: arguments.node_id,
        database: arguments.database,
        raft,
        clock: Arc::new(sealbid_consensus::clock::SystemClock),
        commands_in_flight_max: 1024,
        // The bare node serves no metrics.
        metrics: sealbid_consensus::ConsensusMetrics::unregistered(),
        // The bare node tags no source addresses.
        source_tag_key: None,
    };
    let replica = Arc::new(Replica::start(config, &tls).await?);
    let _history_filler = replica.spawn_history_filler();
    let _closer = replica.spawn_closer();
    let _clock_watch = replica.spawn_clock_watch();
    let listener = std::net::TcpListener::bind(&arguments.listen)?;
    let server = sealbid_consensus::server::serve(Arc::clone(&replica), listener, &tls)?;
    if let Some(members) = arguments.initialize {
        replica.initialize(members).await?;
    }
    server.await?;
    Ok(())
}
