//! The `burst` scenario from start to report: the platform (a local three-node cluster or the
//! given nodes), the actors and sealed bids, the deadline moved to the end of the window, the
//! open-model run with its late bids (and a leader kill if asked), close, shares, openings,
//! the check of every receipt, the etcd baseline if asked, and the summary.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sealbid_api::client::{Client, ClientError};
use sealbid_api::commands::CommandBody;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::note::NoteVerifier;
use tokio::time::Instant;

use crate::cluster::{LocalCluster, resident_kib};
use crate::driver::{Attempt, drive};
use crate::etcd::{EtcdCluster, grpc_client, put, put_request};
use crate::platform::{Platform, now_ms};
use crate::random::SeededRandom;
use crate::record::{Outcome, Sample, latency, longest_gap_after, timeline};
use crate::report::{LeaderKill, Summary, SystemRun, thresholds};
use crate::scenario::{Prepared, PreparedBid, Size, finish, prepare, set_deadlines};
use crate::verify::{Acknowledged, verify};

/// How long before the window opens the deadlines are moved (their amendments must be applied
/// first).
const LEAD_MS: u64 = 3_000;
/// How often node memory is sampled.
const MEMORY_SAMPLE_INTERVAL: Duration = Duration::from_millis(250);

/// Everything the burst takes; `sealbid-loadtest burst --help` documents each.
#[derive(Debug, Clone)]
pub struct Options {
    /// Tenders, across the markets.
    pub tenders: usize,
    /// On-time bids.
    pub bids: usize,
    /// Bids sent after the deadline.
    pub late_bids: usize,
    /// The bidding window, s.
    pub window_seconds: u64,
    /// How strongly arrivals crowd towards the deadline.
    pub sharpness: f64,
    /// The seed of the schedule, order, prices and quantities.
    pub seed: u64,
    /// Requests in flight at most (concurrent bidders).
    pub concurrency: usize,
    /// Time between the last on-time bid and the deadline, ms.
    pub deadline_margin_ms: u64,
    /// Nodes' API URLs to target instead of starting a cluster.
    pub targets: Vec<String>,
    /// With targets: the authority certificate to trust.
    pub authority: Option<PathBuf>,
    /// With targets: the operator's key.
    pub operator_key: Option<PathBuf>,
    /// With targets: the log's verifier key (default: ask the node, trusting it).
    pub log_key: Option<PathBuf>,
    /// The `sealbid` binary for a local cluster.
    pub sealbid_binary: PathBuf,
    /// Kill -9 the leader this many seconds into the window (local cluster only).
    pub kill_leader_at: Option<f64>,
    /// Restart the killed node this many seconds after the kill.
    pub restart_after: f64,
    /// Replay the schedule against three etcd members.
    pub etcd: bool,
    /// The `etcd` binary.
    pub etcd_binary: PathBuf,
    /// Where the JSON summary and charts go.
    pub out: PathBuf,
    /// Fail if the p99 latency exceeds this, ms.
    pub max_p99_ms: Option<f64>,
    /// Fail if the peak accepted rate is below this, per second.
    pub min_peak_rate: Option<u64>,
    /// Show a progress bar.
    pub progress: bool,
}

/// Why the burst could not run to its report.
#[derive(Debug, thiserror::Error)]
pub enum BurstError {
    /// Bad options.
    #[error("{0}")]
    Invalid(String),
    /// The local cluster failed.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// A scenario step failed.
    #[error(transparent)]
    Scenario(Box<crate::platform::ScenarioError>),
    /// The etcd baseline failed.
    #[error(transparent)]
    Etcd(#[from] crate::etcd::EtcdError),
    /// The report could not be written.
    #[error("writing the report: {0}")]
    Report(String),
}

impl From<crate::platform::ScenarioError> for BurstError {
    fn from(error: crate::platform::ScenarioError) -> Self {
        Self::Scenario(Box::new(error))
    }
}

/// The platform under test and, for a local cluster, its processes.
struct Target {
    /// The platform.
    platform: Platform,
    /// The cluster this tool started, if it did.
    cluster: Option<LocalCluster>,
    /// The key the log's checkpoints must verify under.
    log_key: NoteVerifier,
}

/// Runs the burst and returns its summary (its thresholds decide the exit code).
pub async fn run(options: &Options) -> Result<Summary, BurstError> {
    check(options)?;
    let target = connect(options).await?;
    let size = Size {
        tenders: options.tenders,
        bids: options.bids,
        late_bids: options.late_bids,
        seed: options.seed,
    };
    say(options, "preparing: actors, tenders, key generation, sealing every bid");
    let prepared = prepare(&target.platform, &size).await?;
    let window_ms = options.window_seconds * 1_000;
    let ramp = crate::schedule::Ramp {
        bids: options.bids,
        window_ms,
        sharpness: options.sharpness,
    };
    let mut random = SeededRandom::new(options.seed ^ 0x5EA1_B1D5);
    let mut order: Vec<usize> = (0..prepared.bids.len()).collect();
    random.shuffle(&mut order);
    let mut schedule_us = ramp.arrivals_us(&mut random);
    let deadline_offset_us = (window_ms + options.deadline_margin_ms) * 1_000;
    schedule_us.extend((0..prepared.late_bids.len() as u64).map(|late| deadline_offset_us + 1_000_000 + late * 50_000));
    // Request i of the run is `sent[i]`: the on-time bids in shuffled order, then the late ones.
    let sent: Vec<&PreparedBid> = order
        .iter()
        .filter_map(|bid| prepared.bids.get(*bid))
        .chain(&prepared.late_bids)
        .collect();
    let commands: Arc<Vec<CommandBody>> = Arc::new(sent.iter().map(|bid| bid.command.clone()).collect());
    let bidders: Vec<usize> = sent.iter().map(|bid| bid.bidder).collect();

    // The amendments take a few ms each; the window opens once they are surely applied.
    let start_ms = now_ms() + LEAD_MS + 100 * options.tenders as u64;
    let deadline_ms = start_ms + window_ms + options.deadline_margin_ms;
    set_deadlines(&target.platform, &prepared, deadline_ms).await?;
    if now_ms() >= start_ms {
        return Err(BurstError::Invalid(
            "moving the deadlines took longer than the lead before the window; fewer --tenders or a less loaded machine"
                .into(),
        ));
    }
    let start = Instant::now() + Duration::from_millis(start_ms.saturating_sub(now_ms()));
    say(options, "running the burst");
    let mut target = target;
    let sampling = MemorySampler::start(target.cluster.as_ref());
    let (samples, leader_kill) = send_bids(
        options,
        &mut target,
        start,
        &schedule_us,
        Arc::clone(&commands),
        &bidders,
    )
    .await;
    let node_memory_peak_mib = sampling.stop().await;

    say(options, "closing, releasing shares, opening, awarding the auctions");
    let openings = finish(&target.platform, &prepared, deadline_ms).await?;
    let acknowledged = acknowledged(&samples, &prepared, &sent);
    let tenders: Vec<String> = prepared.tenders.iter().map(|tender| tender.id.to_string()).collect();
    let verification = verify(target.platform.first()?, &target.log_key, &acknowledged, &tenders).await?;
    drop(target);

    let on_time = prepared.bids.len();
    let etcd = if options.etcd {
        say(options, "replaying the schedule against etcd");
        let on_time_schedule = schedule_us.get(..on_time).unwrap_or(&schedule_us);
        Some(run_etcd(options, start_after_lead(), on_time_schedule, &commands).await?)
    } else {
        None
    };
    let mut summary = Summary {
        parameters: parameters(options),
        offered_peak_per_second: ramp.peak_rate_per_second(),
        sealing_seconds: prepared.sealing_us as f64 / 1e6,
        sealing_us_per_bid: prepared.sealing_us as f64 / (prepared.bids.len() + prepared.late_bids.len()).max(1) as f64,
        sealbid: system_run(
            "sealbid",
            samples.iter().filter(|sample| sample.request < on_time),
            Some(deadline_offset_us),
        ),
        late: system_run("late", samples.iter().filter(|sample| sample.request >= on_time), None),
        openings,
        verification,
        node_memory_peak_mib,
        leader_kill,
        etcd,
        thresholds: Vec::new(),
    };
    summary.thresholds = thresholds(
        &summary,
        options.max_p99_ms,
        options.min_peak_rate,
        options.kill_leader_at.is_some(),
    );
    write_report(options, &summary)?;
    Ok(summary)
}

/// How long a request may take from leaving the load test to its arrival stamp at a node
/// (loopback, TLS already up): a bid sent closer than this to the deadline may fairly arrive
/// after it.
const ARRIVAL_ALLOWANCE_US: u64 = 20_000;

/// When a baseline run starts: after the same lead as the burst.
fn start_after_lead() -> Instant {
    Instant::now() + Duration::from_millis(LEAD_MS)
}

/// Refuses options that cannot make a run.
fn check(options: &Options) -> Result<(), BurstError> {
    let invalid = |reason: &str| Err(BurstError::Invalid(reason.into()));
    if options.tenders == 0 || options.bids == 0 {
        return invalid("--tenders and --bids must be at least 1");
    }
    if options.concurrency == 0 {
        return invalid("--concurrency must be at least 1");
    }
    if options.window_seconds == 0 {
        return invalid("--window-seconds must be at least 1");
    }
    if !options.sharpness.is_finite() || options.sharpness < 0.0 {
        return invalid("--sharpness must be a number ≥ 0");
    }
    if options.kill_leader_at.is_some() && !options.targets.is_empty() {
        return invalid("--kill-leader-at needs the cluster this tool starts itself (no --target)");
    }
    if !options.targets.is_empty() && (options.authority.is_none() || options.operator_key.is_none()) {
        return invalid("--target needs --authority (the platform's certificate authority) and --operator-key");
    }
    Ok(())
}

/// Prints a step on standard error.
fn say(options: &Options, step: &str) {
    if options.progress {
        eprintln!("{step}");
    }
}

/// Starts a local cluster or connects to the targets.
async fn connect(options: &Options) -> Result<Target, BurstError> {
    let invalid = |reason: String| BurstError::Invalid(reason);
    let read = |path: &PathBuf| std::fs::read(path).map_err(|error| invalid(format!("{}: {error}", path.display())));
    if options.targets.is_empty() {
        say(options, "starting a three-node cluster on loopback");
        let cluster = LocalCluster::start(&options.sealbid_binary).await?;
        let operator = IdentityKeyPair::from_pkcs8(&read(&cluster.data_dir(1).join("operator.pk8"))?)
            .map_err(|error| invalid(error.to_string()))?;
        let log_key = String::from_utf8_lossy(&read(&cluster.data_dir(1).join("log.pub"))?).into_owned();
        let log_key = NoteVerifier::parse(log_key.trim()).map_err(|error| invalid(error.to_string()))?;
        let platform = Platform::new(cluster.clients()?, operator);
        return Ok(Target {
            platform,
            cluster: Some(cluster),
            log_key,
        });
    }
    let authority = options.authority.as_ref().map(read).transpose()?.unwrap_or_default();
    let operator = options.operator_key.as_ref().map(read).transpose()?.unwrap_or_default();
    let operator = IdentityKeyPair::from_pkcs8(&operator).map_err(|error| invalid(error.to_string()))?;
    let clients = options
        .targets
        .iter()
        .map(|url| Client::new(url, &authority))
        .collect::<Result<Vec<_>, ClientError>>()
        .map_err(|error| invalid(error.to_string()))?;
    let log_key = match &options.log_key {
        Some(path) => String::from_utf8_lossy(&read(path)?).into_owned(),
        None => {
            let first = clients.first().ok_or_else(|| invalid("no target".into()))?;
            first
                .log_key()
                .await
                .map_err(|error| invalid(format!("asking for the log key: {error}")))?
                .verifier_key
        }
    };
    let log_key = NoteVerifier::parse(log_key.trim()).map_err(|error| invalid(error.to_string()))?;
    Ok(Target {
        platform: Platform::new(clients, operator),
        cluster: None,
        log_key,
    })
}

/// Sends every command on its schedule (bidder b's through node b mod n), killing and
/// restarting the leader if asked; the samples and the kill's record.
async fn send_bids(
    options: &Options,
    target: &mut Target,
    start: Instant,
    schedule_us: &[u64],
    commands: Arc<Vec<CommandBody>>,
    bidders: &[usize],
) -> (Vec<Sample>, Option<LeaderKill>) {
    let clients = Arc::new(target.platform.clients.clone());
    let bidders = Arc::new(bidders.to_vec());
    let send = move |index: usize, attempt: usize| {
        let clients = Arc::clone(&clients);
        let commands = Arc::clone(&commands);
        let bidders = Arc::clone(&bidders);
        async move {
            let node = bidders.get(index).copied().unwrap_or(0) + attempt;
            let (Some(client), Some(command)) = (clients.get(node % clients.len().max(1)), commands.get(index)) else {
                return Attempt::Retry("nothing to send".into());
            };
            classify(client.submit_body(command).await)
        }
    };
    let bar = progress_bar(options, schedule_us.len());
    let driving = drive(start, schedule_us, options.concurrency, send, |_| bar.inc(1));
    let Some(kill_at) = options.kill_leader_at else {
        let samples = driving.await;
        bar.finish_and_clear();
        return (samples, None);
    };
    let Some(cluster) = target.cluster.as_mut() else {
        return (driving.await, None);
    };
    let killing = async {
        tokio::time::sleep_until(start + Duration::from_secs_f64(kill_at)).await;
        let node = cluster.leader().await?;
        let killed_at = start.elapsed();
        cluster.kill(node);
        tokio::time::sleep(Duration::from_secs_f64(options.restart_after)).await;
        let restarted_at = start.elapsed();
        if let Err(error) = cluster.restart(node) {
            eprintln!("restarting node {node}: {error}");
        }
        Some((node, killed_at, restarted_at))
    };
    let (samples, kill) = tokio::join!(driving, killing);
    bar.finish_and_clear();
    let leader_kill = kill.map(|(node, killed_at, restarted_at)| {
        let from_us = u64::try_from(killed_at.as_micros()).unwrap_or(u64::MAX);
        LeaderKill {
            node,
            at_seconds: killed_at.as_secs_f64(),
            restarted_at_seconds: restarted_at.as_secs_f64(),
            writes_unavailable_ms: longest_gap_after(&samples, from_us) as f64 / 1_000.0,
        }
    });
    (samples, leader_kill)
}

/// A submission's answer as a driver attempt.
fn classify(answer: Result<sealbid_api::commands::Receipt, ClientError>) -> Attempt {
    match answer {
        Ok(receipt) => Attempt::Answered(Outcome::Accepted {
            audit_index: receipt.audit_index,
            leaf_hash: receipt.leaf_hash,
        }),
        Err(ClientError::Problem(problem)) if problem.code == "busy" => {
            Attempt::Busy(Duration::from_secs(problem.retry_after_seconds.unwrap_or(1)))
        }
        Err(ClientError::Problem(problem)) if problem.status >= 500 => Attempt::Retry(problem.code),
        Err(ClientError::Problem(problem)) => Attempt::Answered(Outcome::Refused { code: problem.code }),
        Err(error) => Attempt::Retry(error.to_string()),
    }
}

/// A progress bar over `total` requests (hidden without `--progress`).
fn progress_bar(options: &Options, total: usize) -> indicatif::ProgressBar {
    if !options.progress {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message("answers");
    bar
}

/// The accepted samples as acknowledgements to check, with their tender and bidder.
fn acknowledged(samples: &[Sample], prepared: &Prepared, sent: &[&PreparedBid]) -> Vec<Acknowledged> {
    samples
        .iter()
        .filter_map(|sample| {
            let Outcome::Accepted { audit_index, leaf_hash } = &sample.outcome else {
                return None;
            };
            let bid = sent.get(sample.request)?;
            Some(Acknowledged {
                audit_index: *audit_index,
                leaf_hash: *leaf_hash,
                tender: prepared.tenders.get(bid.tender)?.id.to_string(),
                bidder: bid.bidder_key.clone(),
            })
        })
        .collect()
}

/// One system's figures from its samples.
fn system_run<'a>(system: &str, samples: impl Iterator<Item = &'a Sample>, deadline_us: Option<u64>) -> SystemRun {
    let samples: Vec<Sample> = samples.cloned().collect();
    let late: Vec<&Sample> = samples
        .iter()
        .filter(|sample| matches!(&sample.outcome, Outcome::Refused { code } if code == "late-bid"))
        .collect();
    // Sent (µs from the start) early enough to arrive before the deadline.
    let before_deadline =
        |sent_us: u64| deadline_us.is_some_and(|deadline_us| sent_us + ARRIVAL_ALLOWANCE_US < deadline_us);
    let late_refusals_sent_before_deadline = late
        .iter()
        .filter(|sample| before_deadline(sample.last_sent_us))
        .count();
    let mut refused = BTreeMap::new();
    for sample in &samples {
        if let Outcome::Refused { code } = &sample.outcome {
            *refused.entry(code.clone()).or_insert(0) += 1;
        }
    }
    let seconds = timeline(&samples);
    let (peak_second, peak) = seconds
        .iter()
        .enumerate()
        .map(|(second, entry)| (second, entry.accepted))
        .max_by_key(|(_, accepted)| *accepted)
        .unwrap_or((0, 0));
    SystemRun {
        system: system.into(),
        sent: samples.len(),
        accepted: samples
            .iter()
            .filter(|sample| matches!(sample.outcome, Outcome::Accepted { .. }))
            .count(),
        refused,
        late_refusals_sent_before_deadline,
        late_refusals_sent_after_deadline: late.len() - late_refusals_sent_before_deadline,
        late_refusals_first_sent_before_deadline: late
            .iter()
            .filter(|sample| before_deadline(sample.sent_us) && !before_deadline(sample.last_sent_us))
            .count(),
        busy_answers: samples.iter().map(|sample| u64::from(sample.busy_answers)).sum(),
        failed: samples
            .iter()
            .filter(|sample| matches!(sample.outcome, Outcome::Failed { .. }))
            .count(),
        latency: latency(&samples, |sample| matches!(sample.outcome, Outcome::Accepted { .. })),
        peak_accepted_per_second: peak,
        peak_second,
        timeline: seconds,
    }
}

/// Replays the on-time schedule as etcd puts of the bids' bytes.
async fn run_etcd(
    options: &Options,
    start: Instant,
    schedule_us: &[u64],
    commands: &[CommandBody],
) -> Result<SystemRun, BurstError> {
    let cluster = EtcdCluster::start(&options.etcd_binary).await?;
    let http = grpc_client()?;
    let urls = Arc::new(cluster.client_urls.clone());
    let frames: Arc<Vec<Vec<u8>>> = Arc::new(
        commands
            .iter()
            .take(schedule_us.len())
            .enumerate()
            .map(|(index, command)| {
                let value = serde_json::to_vec(command).unwrap_or_default();
                put_request(format!("bid/{index}").as_bytes(), &value)
            })
            .collect(),
    );
    let send = move |index: usize, attempt: usize| {
        let (http, urls, frames) = (http.clone(), Arc::clone(&urls), Arc::clone(&frames));
        async move {
            let url = urls
                .get((index + attempt) % urls.len().max(1))
                .cloned()
                .unwrap_or_default();
            let frame = frames.get(index).cloned().unwrap_or_default();
            put(&http, &url, frame).await
        }
    };
    let bar = progress_bar(options, schedule_us.len());
    let samples = drive(start, schedule_us, options.concurrency, send, |_| bar.inc(1)).await;
    bar.finish_and_clear();
    drop(cluster);
    Ok(system_run("etcd", samples.iter(), None))
}

/// Samples the local cluster's node memory until stopped.
struct MemorySampler {
    /// Tells the task to stop.
    stop: Arc<AtomicBool>,
    /// The task; its answer is each node's peak, MiB.
    task: Option<tokio::task::JoinHandle<BTreeMap<u64, f64>>>,
}

impl MemorySampler {
    /// Starts sampling `cluster`'s processes (nothing without a local cluster).
    fn start(cluster: Option<&LocalCluster>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let Some(cluster) = cluster else {
            return Self { stop, task: None };
        };
        let processes = cluster.process_ids();
        let stopping = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut peaks: BTreeMap<u64, f64> = BTreeMap::new();
            // Bounded: the sampler ends when told, or after a day at the latest.
            for _ in 0..(24 * 3_600 * 4) {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                for (node, pid) in &processes {
                    if let Some(kib) = resident_kib(*pid) {
                        let peak = peaks.entry(*node).or_insert(0.0);
                        *peak = peak.max(kib as f64 / 1_024.0);
                    }
                }
                tokio::time::sleep(MEMORY_SAMPLE_INTERVAL).await;
            }
            peaks
        });
        Self { stop, task: Some(task) }
    }

    /// Stops sampling; each node's peak, MiB.
    async fn stop(self) -> BTreeMap<u64, f64> {
        self.stop.store(true, Ordering::Relaxed);
        match self.task {
            Some(task) => task.await.unwrap_or_default(),
            None => BTreeMap::new(),
        }
    }
}

/// The options as the report lists them.
fn parameters(options: &Options) -> BTreeMap<String, String> {
    let mut parameters = BTreeMap::new();
    let mut set = |name: &str, value: String| {
        parameters.insert(name.to_string(), value);
    };
    set("tenders", options.tenders.to_string());
    set("bids", options.bids.to_string());
    set("late bids", options.late_bids.to_string());
    set("window", format!("{} s", options.window_seconds));
    set("sharpness", options.sharpness.to_string());
    set("seed", options.seed.to_string());
    set("concurrency", options.concurrency.to_string());
    set(
        "target",
        if options.targets.is_empty() {
            "3 local nodes".into()
        } else {
            options.targets.join(" ")
        },
    );
    if let Some(kill) = options.kill_leader_at {
        set("kill leader at", format!("{kill} s"));
    }
    parameters
}

/// Writes `summary.json`, `report.txt` and the charts into the output folder.
fn write_report(options: &Options, summary: &Summary) -> Result<(), BurstError> {
    let failed = |error: &dyn std::fmt::Display| BurstError::Report(error.to_string());
    std::fs::create_dir_all(&options.out).map_err(|error| failed(&error))?;
    let json = serde_json::to_string_pretty(summary).map_err(|error| failed(&error))?;
    std::fs::write(options.out.join("summary.json"), json + "\n").map_err(|error| failed(&error))?;
    std::fs::write(options.out.join("report.txt"), summary.to_text()).map_err(|error| failed(&error))?;
    crate::charts::draw(&options.out, &summary.sealbid, summary.etcd.as_ref()).map_err(|error| failed(&error))
}
