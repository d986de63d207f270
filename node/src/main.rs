//! `sealbid`: the platform's binary. `sealbid serve` starts a node; with no configuration at
//! all it is a one-node platform with its data under `./sealbid-data` on
//! https://127.0.0.1:8443.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use sealbid_node::committee_cli::{self, CommitteeCommand};
use sealbid_node::failure::{Failure, FailureClass};
use sealbid_node::participant_cli::{
    self, BidderCommand, Connection, KeyCommand, OfficeCommand, OperatorCommand, RegistrarCommand,
};
use sealbid_node::supervisor_cli::{self, SupervisorCommand};
use sealbid_node::tender_cli::TenderReadCommand;
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
    /// Identity keys for any role: make one, print one's public key.
    Key {
        /// Print the public key as JSON.
        #[arg(long, global = true)]
        json: bool,
        /// What to do.
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Anyone: list tenders, show one, read its opening record and results.
    Tender {
        /// Where (--key is not needed).
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: TenderReadCommand,
    },
    /// Send a command saved by --save-command (or after a send that got no answer) again,
    /// exactly as it was signed: a command already applied is answered with its original
    /// receipt.
    Resend {
        /// Where (--key is not needed: the command is signed).
        #[command(flatten)]
        connection: Connection,
        /// The saved command.
        file: PathBuf,
        /// Also fetch the log's receipt and write it here.
        #[arg(long)]
        receipt: Option<PathBuf>,
    },
    /// Supervisors: fetch the audit log, verify it by replaying it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Operators: certificates for a multi-node cluster, and its membership.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// The platform's operator: grant roles.
    Operator {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// The trading centre's registrar: approve, reject or revoke bidders' registrations.
    Registrar {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: RegistrarCommand,
    },
    /// Bidders: keys, registration, sealing on this machine, bids, receipts.
    Bidder {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: BidderCommand,
    },
    /// Committee members: encryption key, the tender's key generation, share release.
    Committee {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: CommitteeCommand,
    },
    /// Supervisors (电子监察): watch the log live, read a tender's timeline, suspend and resume
    /// tenders, order corrections.
    Supervisor {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: SupervisorCommand,
    },
    /// The information service in OCDS: export every tender's releases and records to files.
    Ocds {
        /// Where (only --api and --authority matter).
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: sealbid_node::ocds_cli::OcdsCommand,
    },
    /// Tendering offices: publish, amend, close, open, disqualify, award; reply to corrections.
    Office {
        /// Where and as whom.
        #[command(flatten)]
        connection: Connection,
        /// What to do.
        #[command(subcommand)]
        command: OfficeCommand,
    },
}

/// Where a membership command goes and whose identity it presents.
#[derive(Debug, clap::Args)]
struct Target {
    /// A data folder whose node identity to present.
    #[arg(long, default_value = "sealbid-data")]
    data_dir: PathBuf,
    /// Any member; the request goes to the leader it names.
    #[arg(long, default_value = "127.0.0.1:8444")]
    via: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Prints a membership change's result as a sentence, or as JSON with `--json`.
fn report_membership(target: &Target, node_id: u64, membership: &str, sentence: &str) {
    if target.json {
        println!(
            "{}",
            serde_json::json!({ "node_id": node_id, "membership": membership })
        );
    } else {
        println!("{sentence}");
    }
}

/// `sealbid cluster …`: node addresses are node-to-node RPC addresses (`cluster_listen`).
#[derive(Debug, Subcommand)]
enum ClusterCommand {
    /// Write one data folder per node (node-1, node-2, …) holding certificates from one new
    /// authority and the cluster's checkpoint key; start each node with its folder (node 1
    /// normally, the others with --join).
    #[command(alias = "init")]
    Certificates {
        /// How many nodes.
        #[arg(long, default_value_t = 3)]
        nodes: usize,
        /// Names and addresses the certificates are valid for (repeat the flag).
        #[arg(long = "host", default_values_t = ["127.0.0.1".to_string(), "localhost".to_string()])]
        hosts: Vec<String>,
        /// Where to write the folders.
        #[arg(long)]
        out: PathBuf,
    },
    /// A node's view of the cluster, as JSON.
    Status {
        /// A data folder whose node identity to present.
        #[arg(long, default_value = "sealbid-data")]
        data_dir: PathBuf,
        /// The node to ask.
        #[arg(long, default_value = "127.0.0.1:8444")]
        node: String,
    },
    /// Add a node as a learner (it catches up; then promote it).
    AddLearner {
        /// Who to ask, as whom.
        #[command(flatten)]
        target: Target,
        /// The new node's id.
        #[arg(long)]
        node_id: u64,
        /// The new node's RPC address.
        #[arg(long)]
        address: String,
    },
    /// Make a learner a voter.
    Promote {
        /// Who to ask, as whom.
        #[command(flatten)]
        target: Target,
        /// The learner's id.
        #[arg(long)]
        node_id: u64,
    },
    /// Remove a node from the cluster.
    Remove {
        /// Who to ask, as whom.
        #[command(flatten)]
        target: Target,
        /// The node's id.
        #[arg(long)]
        node_id: u64,
    },
}

/// `sealbid audit …`.
#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Fetch the tree head and every audit entry into a file.
    Fetch {
        /// The node's API (https:// only).
        #[arg(long, env = "SEALBID_API", default_value = "https://127.0.0.1:8443")]
        api: String,
        /// The certificate authority to trust for the API.
        #[arg(long, env = "SEALBID_AUTHORITY", default_value = "sealbid-data/tls/authority.pem")]
        authority: PathBuf,
        /// Where to write the log.
        #[arg(long)]
        out: PathBuf,
        /// A supervisor's identity key (PKCS#8): the entries are read signed with it, every one
        /// in full even while tenders take bids. Without it, the public log (some entries
        /// withheld).
        #[arg(long)]
        key: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replay a fetched log from its first entry and check it against its head and signed
    /// checkpoints.
    Verify {
        /// The file `sealbid audit fetch` wrote.
        file: PathBuf,
        /// The log's verifier key (a node writes it to log.pub in its data folder).
        #[arg(long, default_value = "sealbid-data/log.pub")]
        log_key: PathBuf,
        /// Checkpoints kept from earlier (signed notes, one per file; repeat the flag): each
        /// must be a prefix of this log.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
        /// A witness that must have co-signed one of the checkpoints (the file's, or one kept
        /// from earlier): its key, as `sealbid supervisor witness-key` prints it. Repeat for
        /// several.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// How many of the --witness keys must have co-signed (default: all of them).
        #[arg(long)]
        witnesses_required: Option<usize>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
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
    /// The host:port at which the other nodes reach this node's RPC [default: the RPC
    /// address; required when that is every address, 0.0.0.0 or ::].
    #[arg(long)]
    cluster_advertise: Option<String>,
    /// This node's id [default: 1].
    #[arg(long)]
    node_id: Option<u64>,
    /// Entries between snapshots [default: 20000].
    #[arg(long)]
    snapshot_every: Option<u64>,
    /// The most commands the node handles at once; past it, 503 busy with Retry-After
    /// [default: 1024].
    #[arg(long)]
    commands_in_flight_max: Option<usize>,
    /// Join a cluster instead of forming a one-node cluster: wait for the leader to add this
    /// node (`sealbid cluster add-learner`). Also SEALBID_BOOTSTRAP=false.
    #[arg(long)]
    join: bool,
}

impl ServeFlags {
    /// The flags as the top settings layer.
    fn layer(&self) -> Layer {
        Layer {
            data_dir: self.data_dir.clone(),
            listen: self.listen.clone(),
            cluster_listen: self.cluster_listen.clone(),
            cluster_advertise: self.cluster_advertise.clone(),
            node_id: self.node_id,
            snapshot_every: self.snapshot_every,
            bootstrap: self.join.then_some(false),
            commands_in_flight_max: self.commands_in_flight_max,
            client_limits: None,
        }
    }
}

/// mimalloc returns freed memory to the system; the C library's allocator kept the peaks of
/// snapshots and archives resident for the life of the process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Parses the arguments, runs the command and exits with its class's code
/// ([`sealbid_node::failure`]): 0, or 1 to 5. A failure is printed as a sentence and a hint on
/// standard error (with `--json`, as one JSON object there); `SEALBID_DEBUG=1` adds the whole
/// error chain, with a backtrace where `RUST_BACKTRACE` asks for one.
fn main() -> std::process::ExitCode {
    let json = std::env::args()
        .take_while(|argument| argument != "--")
        .any(|argument| argument == "--json");
    let arguments = match Arguments::try_parse() {
        Ok(arguments) => arguments,
        Err(error) => return usage_failure(&error, json),
    };
    logs();
    // The node's runtime is multi-threaded: Raft, the state machine and replication share it;
    // the HTTP servers bring their own worker threads.
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(arguments)));
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => report(&error, json),
    }
}

/// Prints `error` as its class says and gives its exit code.
fn report(error: &anyhow::Error, json: bool) -> std::process::ExitCode {
    let failure = Failure::of(error.as_ref());
    if json {
        eprintln!("{}", failure.json());
    } else {
        eprintln!("{}", failure.text());
    }
    if std::env::var_os("SEALBID_DEBUG").is_some() {
        eprintln!("{error:?}");
    }
    std::process::ExitCode::from(failure.exit_code)
}

/// A command line that does not parse: clap's own message (or help, which is no failure), or
/// with `--json` the usage failure as JSON.
fn usage_failure(error: &clap::Error, json: bool) -> std::process::ExitCode {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(error.kind(), ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand) && !json
    {
        let _ = error.print();
        return std::process::ExitCode::from(if error.use_stderr() { 2 } else { 0 });
    }
    if !json {
        let _ = error.print();
        return std::process::ExitCode::from(FailureClass::Usage.exit_code());
    }
    let rendered = error.render().to_string();
    let message = rendered
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_owned();
    let failure = Failure::new(
        FailureClass::Usage,
        message,
        Some("`sealbid --help`, or --help after any command, lists what it takes".into()),
    );
    eprintln!("{}", failure.json());
    std::process::ExitCode::from(failure.exit_code)
}

/// Runs the command.
async fn run(arguments: Arguments) -> anyhow::Result<()> {
    match arguments.command {
        Command::Serve(flags) => serve(flags).await,
        Command::Key { json, command } => Ok(participant_cli::key(command, json)?),
        Command::Tender { connection, command } => Ok(sealbid_node::tender_cli::tender(&connection, command).await?),
        Command::Resend {
            connection,
            file,
            receipt,
        } => Ok(participant_cli::resend(&connection, &file, receipt.as_deref()).await?),
        Command::Audit(AuditCommand::Fetch {
            api,
            authority,
            out,
            key,
            json,
        }) => audit_fetch(&api, &authority, &out, key.as_deref(), json).await,
        Command::Audit(AuditCommand::Verify {
            file,
            log_key,
            checkpoints,
            witnesses,
            witnesses_required,
            json,
        }) => {
            let witnesses = sealbid_node::witness::parse_witnesses(&witnesses)?;
            let required = sealbid_node::witness::witnesses_required(&witnesses, witnesses_required)?;
            audit_verify(&file, &log_key, &checkpoints, (&witnesses, required), json)
        }
        Command::Cluster(command) => cluster(command).await,
        Command::Operator { connection, command } => Ok(participant_cli::operator(&connection, command).await?),
        Command::Registrar { connection, command } => Ok(participant_cli::registrar(&connection, command).await?),
        Command::Bidder { connection, command } => Ok(participant_cli::bidder(&connection, command).await?),
        Command::Office { connection, command } => Ok(participant_cli::office(&connection, command).await?),
        Command::Committee { connection, command } => Ok(committee_cli::committee(&connection, command).await?),
        Command::Supervisor { connection, command } => Ok(supervisor_cli::supervisor(&connection, command).await?),
        Command::Ocds { connection, command } => Ok(sealbid_node::ocds_cli::ocds(&connection, command).await?),
    }
}

/// `sealbid cluster …`.
async fn cluster(command: ClusterCommand) -> anyhow::Result<()> {
    use sealbid_node::cluster::{ClusterAdmin, write_certificates};
    match command {
        ClusterCommand::Certificates { nodes, hosts, out } => {
            for folder in write_certificates(&out, nodes, &hosts)? {
                println!("{}", folder.display());
            }
        }
        ClusterCommand::Status { data_dir, node } => {
            let status = ClusterAdmin::from_data_dir(&data_dir)?.status(&node).await?;
            println!("{}", serde_json::to_string_pretty(&status)?);
        }
        ClusterCommand::AddLearner {
            target,
            node_id,
            address,
        } => {
            // Adding a learner returns once it has caught up, which can take minutes.
            let spinner = indicatif::ProgressBar::new_spinner();
            spinner.set_message(format!("node {node_id} is catching up"));
            spinner.enable_steady_tick(std::time::Duration::from_millis(200));
            let added = ClusterAdmin::from_data_dir(&target.data_dir)?
                .add_learner(&target.via, node_id, &address)
                .await;
            spinner.finish_and_clear();
            added?;
            report_membership(
                &target,
                node_id,
                "learner",
                &format!("node {node_id} is a learner and has caught up"),
            );
        }
        ClusterCommand::Promote { target, node_id } => {
            ClusterAdmin::from_data_dir(&target.data_dir)?
                .promote(&target.via, node_id)
                .await?;
            report_membership(&target, node_id, "voter", &format!("node {node_id} is a voter"));
        }
        ClusterCommand::Remove { target, node_id } => {
            ClusterAdmin::from_data_dir(&target.data_dir)?
                .remove(&target.via, node_id)
                .await?;
            report_membership(&target, node_id, "removed", &format!("node {node_id} left the cluster"));
        }
    }
    Ok(())
}

/// A progress bar of `total` steps on standard error.
fn progress_bar(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// `sealbid audit fetch`.
async fn audit_fetch(
    api: &str,
    authority: &std::path::Path,
    out: &std::path::Path,
    key: Option<&std::path::Path>,
    json: bool,
) -> anyhow::Result<()> {
    let client = Connection {
        api: api.to_owned(),
        authority: authority.to_owned(),
        key: None,
        json,
        save_command: None,
    }
    .client()?;
    let supervisor = key.map(sealbid_node::participant::load_key).transpose()?;
    let bar = progress_bar(0, "fetching");
    let (head, entries) = sealbid_node::audit::fetch(&client, supervisor.as_ref(), |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .await?;
    bar.finish_and_clear();
    sealbid_node::audit::write_file(out, &head, &entries)?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "entries": entries.len(), "file": out.display().to_string() })
        );
    } else {
        println!("{} entries written to {}", entries.len(), out.display());
    }
    Ok(())
}

/// `sealbid audit verify`.
fn audit_verify(
    file: &std::path::Path,
    log_key: &std::path::Path,
    earlier: &[PathBuf],
    (witnesses, witnesses_required): (&[sealbid_crypto::cosignature::CosignerVerifier], usize),
    json: bool,
) -> anyhow::Result<()> {
    use sealbid_node::checkpoints::{load_log_key, verify_checkpoint};
    let log_key = load_log_key(log_key)?;
    let (head, entries) = sealbid_node::audit::read_file(file)?;
    let mut notes = vec![head.checkpoint.clone()];
    let mut checkpoints =
        vec![verify_checkpoint(&head.checkpoint, &log_key).context("the checkpoint in the audit file")?];
    for text in &head.witnessed {
        checkpoints.push(verify_checkpoint(text, &log_key).context("a witnessed checkpoint in the audit file")?);
        notes.push(text.clone());
    }
    for path in earlier {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        checkpoints.push(verify_checkpoint(&text, &log_key).with_context(|| path.display().to_string())?);
        notes.push(text);
    }
    let bar = progress_bar(entries.len() as u64, "replaying");
    let result = sealbid_node::audit::verify(&head.head, &checkpoints, &entries, |done| bar.set_position(done));
    bar.finish_and_clear();
    let mut report = result?;
    // Every checkpoint is now a prefix of the replayed log: count who co-signed them.
    report.witnesses = sealbid_node::witness::cosigned_by(&notes, witnesses);
    if report.witnesses.len() < witnesses_required {
        return Err(sealbid_node::participant::ParticipantError::Verification(format!(
            "{} of the {witnesses_required} witnesses required co-signed a checkpoint of this log ({}); \
             fetch the log again once they have, or keep their checkpoints with --checkpoint",
            report.witnesses.len(),
            if report.witnesses.is_empty() {
                "none".to_owned()
            } else {
                report.witnesses.join(", ")
            }
        ))
        .into());
    }
    if json {
        println!("{}", serde_json::to_string(&report)?);
    } else if let Some(first) = report.first_not_replayed {
        println!(
            "verified in part: all {} leaves build the head's root and {} signed checkpoints are prefixes of the log; \
             {} entries replayed (every signature, rule and leaf checks; {} open tenders, {} archived); \
             {} entries from entry {first} on not replayed yet, because {} of them are withheld \
             (a bid until its tender closes, a registration while any tender takes bids): \
             fetch the log again once they are released to replay everything and check the state hash",
            report.entries,
            report.checkpoints,
            report.replayed,
            report.open_tenders,
            report.archived_tenders,
            report.entries - report.replayed,
            report.withheld
        );
    } else {
        println!(
            "verified: {} entries replayed; every signature, rule and leaf checks; root and state hash match the head; \
             {} signed checkpoints are prefixes of the log ({} open tenders, {} archived; {} replaced or withdrawn \
             bids replayed by their signed digest, their envelopes erased)",
            report.entries, report.checkpoints, report.open_tenders, report.archived_tenders, report.erased_envelopes
        );
    }
    if !json && !report.witnesses.is_empty() {
        println!("co-signed by the witnesses {}", report.witnesses.join(", "));
    }
    Ok(())
}

/// The node's log, on standard error: its own events (start and stop, leader changes, closes,
/// certificate reloads) at info, its parts' warnings and errors; `RUST_LOG` refines it. Coloured
/// text on a terminal; one JSON object per line otherwise (a file, a pipe, a service manager's
/// journal), never with colour codes.
fn logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        log.with_ansi(true).init();
    } else {
        log.with_ansi(false).json().flatten_event(true).init();
    }
}

/// What the log shows when `RUST_LOG` is not set: the node's own crates at info, the rest at warn.
const DEFAULT_LOG_FILTER: &str = "warn,sealbid=info,sealbid_node=info,sealbid_api=info,sealbid_consensus=info";

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
    tracing::info!(
        node_id = settings.node_id,
        api = %application.api_address,
        cluster = %application.cluster_address,
        data = %data_dir.root.display(),
        "the node started"
    );
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
    let log_key =
        std::fs::read_to_string(data_dir.root.join(sealbid_node::checkpoints::LOG_PUBLIC_FILE)).unwrap_or_default();
    println!(
        "  log key:       {} (receipts and audits check checkpoints with it; also in log.pub)",
        log_key.trim()
    );
    println!("  cluster RPC:   {}", application.cluster_address);
    println!(
        "  open files:    {} (soft limit; the connection bounds need {})",
        application.open_files,
        settings.client_limits.open_files_needed()
    );
    application.run_until_interrupted().await?;
    tracing::info!(node_id = settings.node_id, "the node stopped");
    println!("stopped");
    Ok(())
}
