//! The `sealbid supervisor` subcommands (电子监察): watch the log live, read a tender's timeline,
//! suspend and resume a tender, review and decide complaints, order an office to correct something, read the orders held,
//! read the early warnings, decide on them and set their thresholds, and witness the log.
//! Thin shells that parse flags and send the signed command or read.

use sealbid_api::sse::StreamEvent;
use sealbid_api::watch::WatchedEntry;
use sealbid_crypto::cosignature::Cosigner;
use sealbid_ledger::command::Action;
use sealbid_ledger::complaints::{Decision, Handling, NotAcceptedReason, Review};
use sealbid_ledger::performance::{Month, Report};
use sealbid_ledger::types::{ComplaintId, WarningId};
use sealbid_ledger::warnings::disposition::Disposition;

use crate::participant::ParticipantError;
use crate::participant_cli::{Connection, parse_public_key, parse_tender, read_json};

/// `sealbid supervisor …`.
#[derive(Debug, clap::Subcommand)]
pub enum SupervisorCommand {
    /// Suspend a tender (实施条例 Art. 62): nothing on it moves until it is resumed, and its
    /// deadline is held.
    Suspend {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// Why (recorded; public with the tender's bids after its close).
        #[arg(long)]
        reason: String,
    },
    /// Resume a suspended tender: a deadline not yet passed at the suspension moves out by the
    /// time suspended, or to --deadline-ms.
    Resume {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The deadline from now on, ms since the Unix epoch, instead of the held one.
        #[arg(long)]
        deadline_ms: Option<u64>,
    },
    /// Review a bidder's complaint (投诉), once: accept it (`accepted`, or `accepted-suspending`
    /// to suspend the tender until the decision), refer it, or not accept it for a reason.
    ReviewComplaint {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The complaint's id (`CP-000001`, …; the tender's page lists them).
        #[arg(long)]
        complaint: String,
        /// The review.
        #[arg(long, value_enum)]
        review: ReviewFlag,
        /// The written reasons, as sent to the complainant.
        #[arg(long)]
        text: String,
    },
    /// Decide an accepted complaint, once: dismiss it, or uphold it with a re-evaluation, a
    /// re-tender or the proposed award annulled; a suspension its acceptance made ends.
    DecideComplaint {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The complaint's id.
        #[arg(long)]
        complaint: String,
        /// The decision.
        #[arg(long, value_enum)]
        decision: DecisionFlag,
        /// The handling decision's text (处理决定).
        #[arg(long)]
        text: String,
    },
    /// Print a month's performance evaluation (绩效评估): for every office and for the
    /// supervisors, each timed step done that month against the time allowed, and every case
    /// running late now. Text, or `--json` (the API's answer), or `--csv`.
    Report {
        /// The month, `YYYY-MM` (China Standard Time).
        #[arg(long)]
        month: String,
        /// CSV (RFC 4180) instead of text (`--json` prints the API's answer instead of either).
        #[arg(long)]
        csv: bool,
    },
    /// Order an office to correct something by a due time; prints the order's id.
    Correct {
        /// The office's key (`ed25519:…`).
        #[arg(long)]
        office: String,
        /// The tender concerned, if any (one of that office's open tenders).
        #[arg(long)]
        tender: Option<String>,
        /// What is to be corrected, and why.
        #[arg(long)]
        reason: String,
        /// When the reply is due, ms since the Unix epoch.
        #[arg(long)]
        due_ms: u64,
    },
    /// Print the correction orders the ledger holds, with their replies (a read signed with
    /// --key, which must hold the supervisor role).
    Corrections,
    /// Watch every applied entry live (a stream signed with --key), one line each (JSON with
    /// --json); reconnects with a fresh signature as each one expires, without a gap.
    Watch(WatchFlags),
    /// Print the early warnings with the thresholds in force (JSON): the open tenders', or one
    /// tender's (open or archived).
    Warnings {
        /// Only this tender's.
        #[arg(long)]
        tender: Option<String>,
    },
    /// Decide on a warning of an open tender: acknowledge it, dismiss it or escalate it, with a
    /// reason. A red warning holds the tender's award until acknowledged or dismissed.
    Dispose {
        /// The warning's tender (none for a warning about the log itself, a fork a witness
        /// reported).
        #[arg(long)]
        tender: Option<String>,
        /// The warning (`W-000001`, as `sealbid supervisor warnings` prints it).
        #[arg(long)]
        warning: String,
        /// What is decided.
        #[arg(long, value_enum)]
        disposition: DispositionFlag,
        /// Why (recorded; public with the tender's warnings once it is final).
        #[arg(long)]
        reason: String,
    },
    /// Set the early-warning thresholds from a JSON file holding every one of them
    /// (docs/protocol.md §10.8; `sealbid supervisor warnings` prints those in force).
    Thresholds {
        /// The file.
        #[arg(long)]
        file: std::path::PathBuf,
    },
    /// Witness the audit log: fetch the node's checkpoint, check it extends the last one
    /// co-signed (kept in --state), and co-sign it (C2SP tlog-cosignature/v1 with --key); a
    /// checkpoint that cannot extend it is refused and reported (report_log_fork), and the
    /// command fails.
    Witness(WitnessFlags),
    /// Print this supervisor's witness key, for `--witness` on `bidder receipts verify` and
    /// `audit verify`.
    WitnessKey {
        /// The witness's name (default: sealbid-witness/ and the key).
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a tender's entries in order, in the stream's form (JSON).
    Timeline {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The first audit index to look at.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// How many entries at most (up to 1,000).
        #[arg(long, default_value_t = 100)]
        count: u64,
    },
}

/// A decision on a warning, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DispositionFlag {
    /// Noted and followed up; the tender may go on.
    Acknowledge,
    /// Unfounded, for the reason given.
    Dismiss,
    /// Passed to a higher authority; a red warning still holds the award.
    Escalate,
}

impl From<DispositionFlag> for Disposition {
    fn from(flag: DispositionFlag) -> Self {
        match flag {
            DispositionFlag::Acknowledge => Disposition::Acknowledge,
            DispositionFlag::Dismiss => Disposition::Dismiss,
            DispositionFlag::Escalate => Disposition::Escalate,
        }
    }
}

/// A complaint's review, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ReviewFlag {
    /// Accepted; the decision is due in 30 working days.
    Accepted,
    /// Accepted, and the tender suspended until the decision (实施条例 Art. 62).
    AcceptedSuspending,
    /// Referred to the competent authority.
    Referred,
    /// Not accepted: the complainant is no party to the tender.
    NotAParty,
    /// Not accepted: nothing specific, no lead.
    NoGrounds,
    /// Not accepted: filed after its period.
    OutOfTime,
    /// Not accepted: decided already, no new evidence.
    AlreadyDecided,
    /// Not accepted: incomplete and not completed.
    Incomplete,
    /// Not accepted: before an administrative review or a court.
    OtherProceedings,
}

impl From<ReviewFlag> for Review {
    fn from(flag: ReviewFlag) -> Self {
        let not_accepted = |reason| Review::NotAccepted { reason };
        match flag {
            ReviewFlag::Accepted => Review::Accepted { suspend: false },
            ReviewFlag::AcceptedSuspending => Review::Accepted { suspend: true },
            ReviewFlag::Referred => Review::Referred,
            ReviewFlag::NotAParty => not_accepted(NotAcceptedReason::NotAParty),
            ReviewFlag::NoGrounds => not_accepted(NotAcceptedReason::NoGrounds),
            ReviewFlag::OutOfTime => not_accepted(NotAcceptedReason::OutOfTime),
            ReviewFlag::AlreadyDecided => not_accepted(NotAcceptedReason::AlreadyDecided),
            ReviewFlag::Incomplete => not_accepted(NotAcceptedReason::Incomplete),
            ReviewFlag::OtherProceedings => not_accepted(NotAcceptedReason::OtherProceedings),
        }
    }
}

/// A complaint's decision, as the flag spells it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DecisionFlag {
    /// Dismissed: no ground.
    Dismissed,
    /// Upheld: the evaluation is done again (after the opening).
    ReEvaluate,
    /// Upheld: the tender is cancelled, to be tendered again.
    ReTender,
    /// Upheld: the award the candidates propose is annulled (the winners disqualified); the
    /// office publishes the next in rank (during the publicity only).
    AnnulAward,
}

impl From<DecisionFlag> for Decision {
    fn from(flag: DecisionFlag) -> Self {
        match flag {
            DecisionFlag::Dismissed => Decision::Dismissed,
            DecisionFlag::ReEvaluate => Decision::Upheld {
                handling: Handling::ReEvaluate,
            },
            DecisionFlag::ReTender => Decision::Upheld {
                handling: Handling::ReTender,
            },
            DecisionFlag::AnnulAward => Decision::Upheld {
                handling: Handling::AnnulAward,
            },
        }
    }
}

/// Parses a complaint id, saying what one looks like.
fn parse_complaint(text: &str) -> Result<ComplaintId, ParticipantError> {
    ComplaintId::parse(text).map_err(|error| {
        ParticipantError::usage(
            format!("complaint {text:?}: {error}; a complaint id looks like CP-000001"),
            None,
        )
    })
}

/// How `sealbid supervisor witness` runs.
#[derive(Debug, clap::Args)]
pub struct WitnessFlags {
    /// The log's verifier key (a node writes it to log.pub in its data folder).
    #[arg(long, default_value = "sealbid-data/log.pub")]
    pub log_key: std::path::PathBuf,
    /// The file that keeps the last checkpoint co-signed (created by the first run).
    #[arg(long)]
    pub state: std::path::PathBuf,
    /// The witness's name (default: sealbid-witness/ and the key).
    #[arg(long)]
    pub name: Option<String>,
    /// How many times to look (1 to 1,000,000).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rounds: u64,
    /// The wait between two looks, ms.
    #[arg(long, default_value_t = 10_000)]
    pub interval_ms: u64,
}

/// What `sealbid supervisor watch` shows.
#[derive(Debug, clap::Args)]
pub struct WatchFlags {
    /// The first audit index to show (default: the next entry applied).
    #[arg(long)]
    pub from: Option<u64>,
    /// Only this tender's entries.
    #[arg(long)]
    pub tender: Option<String>,
    /// Only entries of this market's tenders (procurement, construction, land_use_right,
    /// property_rights, coal_coke).
    #[arg(long)]
    pub market: Option<String>,
    /// Only entries of this office's tenders and the orders to it (its key).
    #[arg(long)]
    pub office: Option<String>,
    /// Stop after this many entries (default: watch until interrupted).
    #[arg(long)]
    pub count: Option<u64>,
}

/// How long each stream's signature lives (the most a read's may, docs/protocol.md §9.10).
const STREAM_SIGNATURE_SECONDS: u64 = 300;
/// Streams that fail one after another before `watch` gives up.
const STREAM_FAILURES_MAX: u32 = 5;
/// The wait before reconnecting after a failure.
const RECONNECT_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// `sealbid supervisor …`.
pub async fn supervisor(connection: &Connection, command: SupervisorCommand) -> Result<(), ParticipantError> {
    let action = match command {
        SupervisorCommand::Watch(flags) => return watch(connection, &flags).await,
        SupervisorCommand::Witness(flags) => return witness(connection, &flags).await,
        SupervisorCommand::WitnessKey { name } => {
            println!("{}", cosigner(connection, name.as_deref())?.verifier());
            return Ok(());
        }
        SupervisorCommand::Timeline { tender, from, count } => {
            let tender = parse_tender(&tender)?;
            let path = format!("/v1/supervision/tenders/{tender}/timeline?from={from}&count={count}");
            return connection.print_signed_read(&path).await;
        }
        SupervisorCommand::Corrections => {
            return connection
                .print_signed_read(sealbid_api::paths::SUPERVISION_CORRECTIONS)
                .await;
        }
        SupervisorCommand::Warnings { tender } => {
            let path = match tender {
                Some(tender) => format!("/v1/supervision/tenders/{}/warnings", parse_tender(&tender)?),
                None => sealbid_api::paths::SUPERVISION_WARNINGS.to_owned(),
            };
            return connection.print_signed_read(&path).await;
        }
        SupervisorCommand::Report { month, csv } => return report(connection, &month, csv).await,
        SupervisorCommand::Thresholds { file } => Action::SetWarningThresholds {
            thresholds: read_json(&file)?,
        },
        SupervisorCommand::Dispose {
            tender,
            warning,
            disposition,
            reason,
        } => Action::DisposeWarning {
            tender: tender.as_deref().map(parse_tender).transpose()?,
            warning: WarningId::parse(&warning).map_err(|error| {
                ParticipantError::usage(
                    format!("warning {warning:?}: {error}; a warning id looks like W-000001"),
                    None,
                )
            })?,
            disposition: disposition.into(),
            reason,
        },
        SupervisorCommand::ReviewComplaint {
            tender,
            complaint,
            review,
            text,
        } => Action::ReviewComplaint {
            tender: parse_tender(&tender)?,
            complaint: parse_complaint(&complaint)?,
            review: review.into(),
            text,
        },
        SupervisorCommand::DecideComplaint {
            tender,
            complaint,
            decision,
            text,
        } => Action::DecideComplaint {
            tender: parse_tender(&tender)?,
            complaint: parse_complaint(&complaint)?,
            decision: decision.into(),
            text,
        },
        SupervisorCommand::Suspend { tender, reason } => Action::SuspendTender {
            tender: parse_tender(&tender)?,
            reason,
        },
        SupervisorCommand::Resume { tender, deadline_ms } => Action::ResumeTender {
            tender: parse_tender(&tender)?,
            deadline_ms,
        },
        SupervisorCommand::Correct {
            office,
            tender,
            reason,
            due_ms,
        } => Action::OrderCorrection {
            office: parse_public_key(&office)?,
            tender: tender.as_deref().map(parse_tender).transpose()?,
            reason,
            due_ms,
        },
    };
    connection.send(action, None).await?;
    Ok(())
}

/// `sealbid supervisor report`: reads the month's report and prints it as asked.
async fn report(connection: &Connection, month: &str, csv: bool) -> Result<(), ParticipantError> {
    let month = Month::parse(month).ok_or_else(|| {
        ParticipantError::usage(format!("month {month:?}: a month looks like 2026-11 (YYYY-MM)"), None)
    })?;
    let path = format!("{}?month={month}", sealbid_api::paths::PERFORMANCE);
    let answer = connection.client()?.get_json(&path).await?;
    if connection.json {
        println!("{answer}");
        return Ok(());
    }
    let report: Report = serde_json::from_value(answer)
        .map_err(|error| ParticipantError::Invalid(format!("the node's report: {error}")))?;
    if csv {
        print!("{}", crate::report_cli::csv(&report));
    } else {
        print!("{}", crate::report_cli::text(&report, beijing_time));
    }
    Ok(())
}

/// `sealbid supervisor witness`: looks `flags.rounds` times, co-signing each checkpoint that
/// extends the last one co-signed; refuses and reports one that cannot.
async fn witness(connection: &Connection, flags: &WitnessFlags) -> Result<(), ParticipantError> {
    use crate::witness::{Observation, cosign, load_state, observe, save_state};
    let cosigner = cosigner(connection, flags.name.as_deref())?;
    let log_key = crate::checkpoints::load_log_key(&flags.log_key)
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    let client = connection.client()?;
    let mut last = load_state(&flags.state, &log_key)?;
    for round in 0..flags.rounds {
        if round > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(flags.interval_ms)).await;
        }
        match observe(&client, &log_key, last.as_ref()).await? {
            Observation::Extends(held) => {
                let accepted = cosign(&client, &cosigner, &held, now_seconds()).await?;
                save_state(&flags.state, &held)?;
                say(connection.json, "cosigned", accepted.size, "co-signed the checkpoint");
                last = Some(held);
            }
            Observation::Unchanged => {
                let size = last.as_ref().map_or(0, |last| last.checkpoint.size);
                say(connection.json, "unchanged", size, "already co-signed the checkpoint");
            }
            Observation::Behind(held) => say(
                connection.json,
                "behind",
                held.checkpoint.size,
                "the node lags behind the last co-signed checkpoint; nothing co-signed for",
            ),
            Observation::Fork {
                witnessed,
                presented,
                reason,
            } => {
                let report = Action::ReportLogFork {
                    witnessed: witnessed.note.clone(),
                    presented: presented.note.clone(),
                };
                let reported = match connection.send(report, None).await {
                    Ok(_) => "Reported to the node as a red integrity warning (report_log_fork)".to_owned(),
                    Err(error) => {
                        format!("The report to the node failed ({error}): take both checkpoints below to another node")
                    }
                };
                return Err(ParticipantError::Verification(format!(
                    "refused to co-sign: {reason}. {reported}; {} still holds the checkpoint co-signed last.\n\
                     co-signed:\n{}\npresented:\n{}",
                    flags.state.display(),
                    witnessed.note,
                    presented.note
                )));
            }
        }
    }
    Ok(())
}

/// The signer's witness key, named `name` or by default ([`crate::witness::default_name`]).
fn cosigner(connection: &Connection, name: Option<&str>) -> Result<Cosigner, ParticipantError> {
    let key = connection.signer()?;
    let name = name.map_or_else(|| crate::witness::default_name(&key.public_key()), str::to_owned);
    Cosigner::new(&name, key).map_err(|error| ParticipantError::usage(format!("witness name {name:?}: {error}"), None))
}

/// Prints what one look did: a JSON line, or a sentence ending with the size.
fn say(json: bool, outcome: &str, size: u64, sentence: &str) {
    if json {
        println!("{}", serde_json::json!({"outcome": outcome, "size": size}));
    } else {
        println!("{sentence} of {size} entries");
    }
}

/// The time now, POSIX seconds.
fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// The stream's path and query for the entries from `from` on, with `flags`' filters.
fn stream_path(flags: &WatchFlags, from: Option<u64>) -> Result<String, ParticipantError> {
    let mut parameters = Vec::new();
    if let Some(from) = from {
        parameters.push(format!("from={from}"));
    }
    if let Some(tender) = &flags.tender {
        parameters.push(format!("tender={}", parse_tender(tender)?));
    }
    if let Some(market) = &flags.market {
        crate::participant_cli::check_market(market)?;
        parameters.push(format!("market={market}"));
    }
    if let Some(office) = &flags.office {
        // A key's text is base64url after `ed25519:`; only the colon needs escaping in a query.
        parameters.push(format!(
            "office={}",
            parse_public_key(office)?.to_string().replace(':', "%3A")
        ));
    }
    Ok(format!(
        "{}?{}",
        sealbid_api::paths::SUPERVISION_STREAM,
        parameters.join("&")
    ))
}

/// `sealbid supervisor watch`: prints entries as they are applied, reconnecting from the next
/// index whenever a stream ends.
async fn watch(connection: &Connection, flags: &WatchFlags) -> Result<(), ParticipantError> {
    let client = connection.client()?;
    let key = connection.signer()?;
    let mut next = flags.from;
    let mut shown = 0_u64;
    let mut failures = 0_u32;
    loop {
        let path = stream_path(flags, next)?;
        let mut failure = None;
        let mut done = false;
        let mut ended = false;
        let result = client
            .watch(
                &path,
                &key,
                STREAM_SIGNATURE_SECONDS,
                |event: StreamEvent| match event.name.as_str() {
                    "entry" => {
                        match serde_json::from_str::<WatchedEntry>(&event.data) {
                            Ok(entry) => {
                                next = Some(entry.index + 1);
                                print_entry(connection.json, &entry, &event.data);
                                shown += 1;
                            }
                            Err(error) => failure = Some(format!("an entry that does not parse: {error}")),
                        }
                        done = flags.count.is_some_and(|count| shown >= count);
                        !done && failure.is_none()
                    }
                    "error" => {
                        failure = Some(event.data);
                        false
                    }
                    "end" => {
                        // Resume where the node stopped, also when no entry came (a stream from
                        // the head that stayed quiet): nothing applied in between is missed.
                        let resume = serde_json::from_str::<serde_json::Value>(&event.data)
                            .ok()
                            .and_then(|end| end.get("next").and_then(serde_json::Value::as_u64));
                        next = resume.or(next);
                        ended = true;
                        true
                    }
                    _ => true,
                },
            )
            .await;
        if done {
            return Ok(());
        }
        match (result, failure) {
            (Err(error @ sealbid_api::client::ClientError::Problem(_)), _) => return Err(error.into()),
            (Err(error), _) => failure = Some(error.to_string()),
            (Ok(()), None) if !ended => failure = Some("the stream closed without an end event".into()),
            (Ok(()), failure_seen) => failure = failure_seen,
        }
        match failure {
            Some(reason) => {
                failures += 1;
                eprintln!("the stream failed ({reason}); reconnecting");
                if failures >= STREAM_FAILURES_MAX {
                    return Err(ParticipantError::Invalid(format!(
                        "the stream failed {failures} times in a row: {reason}"
                    )));
                }
                tokio::time::sleep(RECONNECT_WAIT).await;
            }
            None => failures = 0,
        }
    }
}

/// Prints one entry: its JSON with `json`, else a line for a person.
fn print_entry(json: bool, entry: &WatchedEntry, data: &str) {
    if json {
        println!("{data}");
        return;
    }
    let who = entry
        .signer_name
        .clone()
        .or_else(|| entry.signer.map(|signer| signer.to_string()))
        .unwrap_or_else(|| "the leader".into());
    let tender = entry
        .tender
        .as_ref()
        .map_or_else(String::new, |tender| format!(" {tender}"));
    let arrival = match (entry.received_at_ms, entry.node_id) {
        (Some(received_at_ms), Some(node_id)) => {
            format!(", arrived {} at node {node_id}", beijing_time(received_at_ms))
        }
        _ => String::new(),
    };
    println!(
        "#{} {} {}{tender} by {who}{arrival}",
        entry.index,
        beijing_time(entry.timestamp_ms),
        entry.kind
    );
}

/// `ms` since the Unix epoch as RFC 3339 in Beijing time (UTC+08:00), to the millisecond.
fn beijing_time(ms: u64) -> String {
    let beijing = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    i128::from(ms)
        .checked_mul(1_000_000)
        .and_then(|nanos| time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
        .and_then(|moment| {
            moment
                .to_offset(beijing)
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{ms} ms"))
}
