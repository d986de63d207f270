//! `sealbid-loadtest`: the bid-opening burst against a sealbid cluster, with a report, charts
//! and thresholds that set the exit code (0 only if every one held).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use sealbid_loadtest::burst::{Options, run};
use sealbid_loadtest::flood::{FloodOptions, run_flood};

/// sealbid's load test.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Arguments {
    /// What to run.
    #[command(subcommand)]
    command: Scenario,
}

/// The scenarios.
#[derive(Debug, Subcommand)]
enum Scenario {
    /// Bids ramping to a peak at the deadline, late bids, then close, shares and opening of
    /// every tender; every receipt checked afterwards.
    Burst(Box<BurstFlags>),
    /// A normal client's requests timed while one address holds many stalled-body and idle TCP
    /// connections to a node of a local cluster, and before and after.
    Flood(FloodFlags),
}

/// Flags of `flood`.
#[derive(Debug, clap::Args)]
struct FloodFlags {
    /// Connections whose request bodies stall.
    #[arg(long, default_value_t = 1_000)]
    stalled: usize,
    /// TCP connections that never send a TLS hello.
    #[arg(long, default_value_t = 1_000)]
    idle: usize,
    /// Normal requests timed in each phase and way.
    #[arg(long, default_value_t = 500)]
    requests: usize,
    /// The `sealbid` binary for the local cluster [default: beside this one].
    #[arg(long)]
    sealbid_bin: Option<PathBuf>,
    /// Where flood.json goes.
    #[arg(long, default_value = "loadtest-report")]
    out: PathBuf,
}

/// The `sealbid` binary: `given`, or the one beside this binary.
fn sealbid_binary(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    Ok(match given {
        Some(path) => path,
        None => std::env::current_exe()?.with_file_name("sealbid"),
    })
}

/// Flags of `burst`.
#[derive(Debug, clap::Args)]
struct BurstFlags {
    /// Tenders, cycling through procurement, construction, land-use right, property rights and
    /// coal/coke.
    #[arg(long, default_value_t = 8)]
    tenders: usize,
    /// Bids sent before the deadline, in all.
    #[arg(long, default_value_t = 10_000)]
    bids: usize,
    /// Bids sent after the deadline (each must be refused).
    #[arg(long, default_value_t = 10)]
    late_bids: usize,
    /// The bidding window, s: the ramp runs over it.
    #[arg(long, default_value_t = 60)]
    window_seconds: u64,
    /// How strongly arrivals crowd towards the deadline (0 = a steady rate; 4 puts ~56 % of the
    /// bids in the last fifth).
    #[arg(long, default_value_t = 4.0)]
    sharpness: f64,
    /// Fixes the schedule, the order of bids, prices and quantities.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Requests in flight at most: the concurrent bidders.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Between the last scheduled bid and the deadline, ms.
    #[arg(long, default_value_t = 2_000)]
    deadline_margin_ms: u64,
    /// A node's API URL to target (repeat for each node) instead of starting a local cluster.
    #[arg(long = "target")]
    targets: Vec<String>,
    /// With --target: the platform's certificate authority (PEM).
    #[arg(long)]
    authority: Option<PathBuf>,
    /// With --target: the operator's key (PKCS#8), to grant the scenario's roles.
    #[arg(long)]
    operator_key: Option<PathBuf>,
    /// With --target: the log's verifier key (log.pub); without it the node is asked.
    #[arg(long)]
    log_key: Option<PathBuf>,
    /// The `sealbid` binary for the local cluster [default: beside this one].
    #[arg(long)]
    sealbid_bin: Option<PathBuf>,
    /// Kill -9 the leader this many seconds into the window (local cluster only).
    #[arg(long)]
    kill_leader_at: Option<f64>,
    /// Restart the killed node this many seconds after the kill.
    #[arg(long, default_value_t = 5.0)]
    restart_after: f64,
    /// Also replay the schedule against three etcd members (see loadtest/install-etcd).
    #[arg(long)]
    etcd: bool,
    /// The etcd binary.
    #[arg(long, default_value = "etcd")]
    etcd_bin: PathBuf,
    /// Where summary.json, report.txt and the charts go.
    #[arg(long, default_value = "loadtest-report")]
    out: PathBuf,
    /// Fail if the on-time bids' p99 latency exceeds this, ms.
    #[arg(long)]
    max_p99_ms: Option<f64>,
    /// Fail if the most bids accepted in one second is below this.
    #[arg(long)]
    min_peak_rate: Option<u64>,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

impl BurstFlags {
    /// The options the burst takes.
    fn options(self) -> anyhow::Result<Options> {
        let sealbid_binary = sealbid_binary(self.sealbid_bin)?;
        Ok(Options {
            tenders: self.tenders,
            bids: self.bids,
            late_bids: self.late_bids,
            window_seconds: self.window_seconds,
            sharpness: self.sharpness,
            seed: self.seed,
            concurrency: self.concurrency,
            deadline_margin_ms: self.deadline_margin_ms,
            targets: self.targets,
            authority: self.authority,
            operator_key: self.operator_key,
            log_key: self.log_key,
            sealbid_binary,
            kill_leader_at: self.kill_leader_at,
            restart_after: self.restart_after,
            etcd: self.etcd,
            etcd_binary: self.etcd_bin,
            out: self.out,
            max_p99_ms: self.max_p99_ms,
            min_peak_rate: self.min_peak_rate,
            progress: !self.quiet,
        })
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<std::process::ExitCode> {
    let flags = match Arguments::parse().command {
        Scenario::Burst(flags) => *flags,
        Scenario::Flood(flags) => return flood(flags).await,
    };
    let options = flags.options()?;
    let summary = run(&options).await?;
    print!("{}", summary.to_text());
    println!("report, summary.json and charts in {}", options.out.display());
    Ok(if summary.passed() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

/// Runs `flood` and writes its report.
async fn flood(flags: FloodFlags) -> anyhow::Result<std::process::ExitCode> {
    let options = FloodOptions {
        sealbid_binary: sealbid_binary(flags.sealbid_bin)?,
        stalled: flags.stalled,
        idle: flags.idle,
        requests: flags.requests,
    };
    let report = run_flood(&options).await?;
    print!("{}", report.to_text());
    std::fs::create_dir_all(&flags.out)?;
    std::fs::write(flags.out.join("flood.json"), serde_json::to_vec_pretty(&report)?)?;
    println!("flood.json in {}", flags.out.display());
    let every_one_answered = [
        &report.before_new_connection,
        &report.during_new_connection,
        &report.during_kept_alive,
        &report.after_new_connection,
    ]
    .iter()
    .all(|latencies| latencies.answered == options.requests);
    Ok(if every_one_answered {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
