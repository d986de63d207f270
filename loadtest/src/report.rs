//! The run's report: a summary (also written as JSON), a text table for people, and the
//! thresholds that decide the exit code.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::record::{Percentiles, Second};
use crate::scenario::Finished;
use crate::verify::Verification;

/// One system's run of the schedule (sealbid, or the etcd baseline).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemRun {
    /// What ran.
    pub system: String,
    /// Requests sent on time (before the deadline).
    pub sent: usize,
    /// Accepted (sealbid: receipts; etcd: puts answered OK).
    pub accepted: usize,
    /// Refused, by the problem's code.
    pub refused: BTreeMap<String, usize>,
    /// Requests whose last attempt left before the deadline (less the allowance for reaching a
    /// node) and that were refused as late: what must never happen.
    pub late_refusals_sent_before_deadline: usize,
    /// Requests refused as late whose last attempt left after that: sent late by the load
    /// test's own queue (every connection slot busy) or after busy answers.
    pub late_refusals_sent_after_deadline: usize,
    /// Of those, the requests whose first attempt had left before the deadline (less the same
    /// allowance): answered busy or unanswered, then sent again after it.
    pub late_refusals_first_sent_before_deadline: usize,
    /// Busy answers (503 `busy` with `Retry-After`) before the requests' ends, every one
    /// followed by the same bytes again after the pause: not refusals.
    pub busy_answers: u64,
    /// No answer after every attempt.
    pub failed: usize,
    /// Latency of the accepted requests, from their intended send time.
    pub latency: Percentiles,
    /// The most acceptances in one second.
    pub peak_accepted_per_second: u64,
    /// The second it happened in, from the run's start.
    pub peak_second: usize,
    /// Every second of the run.
    pub timeline: Vec<Second>,
}

/// Everything the run found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// The run's parameters, as given.
    pub parameters: BTreeMap<String, String>,
    /// The offered rate at the end of the ramp, bids/s.
    pub offered_peak_per_second: f64,
    /// Time to seal and sign every bid before the run, s.
    pub sealing_seconds: f64,
    /// Sealing and signing per bid, µs.
    pub sealing_us_per_bid: f64,
    /// sealbid's run.
    pub sealbid: SystemRun,
    /// Late bids sent and how they were answered.
    pub late: SystemRun,
    /// The opening of each tender.
    pub openings: Vec<Finished>,
    /// Receipts against the final checkpoint and the openings.
    pub verification: Verification,
    /// The most resident memory each node had during the run, MiB, by node id.
    pub node_memory_peak_mib: BTreeMap<u64, f64>,
    /// With `--kill-leader-at`: the node killed, and the longest time without an accepted bid
    /// after the kill, ms.
    pub leader_kill: Option<LeaderKill>,
    /// The etcd baseline with the same schedule, if run.
    pub etcd: Option<SystemRun>,
    /// Thresholds and whether each held.
    pub thresholds: Vec<Threshold>,
}

/// A leader kill and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct LeaderKill {
    /// The node killed.
    pub node: u64,
    /// When, s from the run's start.
    pub at_seconds: f64,
    /// When it was restarted, s from the run's start.
    pub restarted_at_seconds: f64,
    /// The longest stretch without an acceptance after the kill, ms.
    pub writes_unavailable_ms: f64,
}

/// One threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Threshold {
    /// What is checked.
    pub name: String,
    /// The limit.
    pub limit: String,
    /// What was measured.
    pub measured: String,
    /// Whether it held.
    pub held: bool,
}

impl Summary {
    /// Whether every threshold held.
    pub fn passed(&self) -> bool {
        self.thresholds.iter().all(|threshold| threshold.held)
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "sealbid burst");
        for (name, value) in &self.parameters {
            let _ = writeln!(text, "  {name:<22} {value}");
        }
        let _ = writeln!(
            text,
            "  sealing before the run  {:.1} s ({:.0} µs per bid)",
            self.sealing_seconds, self.sealing_us_per_bid
        );
        let _ = writeln!(
            text,
            "  offered peak rate      {:.0} bids/s",
            self.offered_peak_per_second
        );
        let _ = writeln!(text);
        let _ = writeln!(
            text,
            "{:<10} {:>7} {:>8} {:>7} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>11}",
            "system",
            "sent",
            "accepted",
            "refused",
            "failed",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
            "peak /s"
        );
        for run in std::iter::once(&self.sealbid).chain(self.etcd.as_ref()) {
            row(&mut text, run);
        }
        let _ = writeln!(text);
        let _ = writeln!(text, "refusals by reason (on time):");
        if self.sealbid.refused.is_empty() {
            let _ = writeln!(text, "  none");
        }
        for (code, count) in &self.sealbid.refused {
            let _ = writeln!(text, "  {code:<28} {count}");
        }
        let _ = writeln!(
            text,
            "busy answers (503 busy, sent again after Retry-After; not refusals): {}",
            self.sealbid.busy_answers
        );
        let _ = writeln!(
            text,
            "refused as late although sent before the deadline: {}; refused as late, last sent after it: {} \
             (first sent before it: {})",
            self.sealbid.late_refusals_sent_before_deadline,
            self.sealbid.late_refusals_sent_after_deadline,
            self.sealbid.late_refusals_first_sent_before_deadline
        );
        let _ = writeln!(
            text,
            "late bids: {} sent, {} refused {:?}, {} accepted, {} failed",
            self.late.sent,
            self.late.refused.values().sum::<usize>(),
            self.late.refused,
            self.late.accepted,
            self.late.failed
        );
        let _ = writeln!(text);
        let _ = writeln!(text, "openings:");
        for opening in &self.openings {
            let _ = writeln!(
                text,
                "  {} {:<16} {:>9.1} ms  {}",
                opening.tender,
                format!("{:?}", opening.market),
                opening.opening_ms,
                opening.opened
            );
        }
        let verification = &self.verification;
        let _ = writeln!(
            text,
            "receipts: {} checked against the signed checkpoint of {} entries; {} not in the log, {} not opened: {} lost; {} opened without a receipt",
            verification.receipts,
            verification.checkpoint_size,
            verification.receipts_not_in_log,
            verification.bids_not_opened,
            verification.lost,
            verification.opened_without_receipt
        );
        if !self.node_memory_peak_mib.is_empty() {
            let memory: Vec<String> = self
                .node_memory_peak_mib
                .iter()
                .map(|(node, mib)| format!("node {node} {mib:.0} MiB"))
                .collect();
            let _ = writeln!(text, "peak resident memory: {}", memory.join(", "));
        }
        if let Some(kill) = &self.leader_kill {
            let _ = writeln!(
                text,
                "leader kill: node {} killed at {:.1} s, restarted at {:.1} s; writes unavailable for {:.0} ms",
                kill.node, kill.at_seconds, kill.restarted_at_seconds, kill.writes_unavailable_ms
            );
        }
        let _ = writeln!(text);
        for threshold in &self.thresholds {
            let _ = writeln!(
                text,
                "{} {:<34} limit {:<12} measured {}",
                if threshold.held { "PASS" } else { "FAIL" },
                threshold.name,
                threshold.limit,
                threshold.measured
            );
        }
        text
    }
}

/// One system's line of the table.
fn row(text: &mut String, run: &SystemRun) {
    let latency = &run.latency;
    let _ = writeln!(
        text,
        "{:<10} {:>7} {:>8} {:>7} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>11}",
        run.system,
        run.sent,
        run.accepted,
        run.refused.values().sum::<usize>(),
        run.failed,
        latency.p50_ms,
        latency.p90_ms,
        latency.p99_ms,
        latency.p999_ms,
        latency.max_ms,
        run.peak_accepted_per_second
    );
}

/// The thresholds: always zero lost receipts, every request answered, every late bid refused
/// as late and no bid sent before the deadline refused as late, and (when asked for) a leader
/// killed; p99 and peak rate when limits are given.
pub fn thresholds(
    summary: &Summary,
    max_p99_ms: Option<f64>,
    min_peak_rate: Option<u64>,
    kill_asked: bool,
) -> Vec<Threshold> {
    let late_refused = summary.late.refused.get("late-bid").copied().unwrap_or(0);
    let on_time_refused_late = summary.sealbid.late_refusals_sent_before_deadline;
    let failed = summary.sealbid.failed + summary.late.failed;
    let mut thresholds = vec![
        Threshold {
            name: "lost receipts".into(),
            limit: "0".into(),
            measured: summary.verification.lost.to_string(),
            held: summary.verification.lost == 0,
        },
        Threshold {
            name: "requests without an answer".into(),
            limit: "0".into(),
            measured: failed.to_string(),
            held: failed == 0,
        },
        Threshold {
            name: "late bids refused as late".into(),
            limit: format!("{} of {}", summary.late.sent, summary.late.sent),
            measured: late_refused.to_string(),
            held: late_refused == summary.late.sent,
        },
        Threshold {
            name: "bids sent before the deadline refused as late".into(),
            limit: "0".into(),
            measured: on_time_refused_late.to_string(),
            held: on_time_refused_late == 0,
        },
    ];
    if kill_asked {
        thresholds.push(Threshold {
            name: "leader killed and restarted".into(),
            limit: "yes".into(),
            measured: if summary.leader_kill.is_some() {
                "yes"
            } else {
                "no leader found"
            }
            .into(),
            held: summary.leader_kill.is_some(),
        });
    }
    if let Some(limit) = max_p99_ms {
        let measured = summary.sealbid.latency.p99_ms;
        thresholds.push(Threshold {
            name: "p99 latency (ms)".into(),
            limit: format!("≤ {limit}"),
            measured: format!("{measured:.1}"),
            held: measured <= limit,
        });
    }
    if let Some(limit) = min_peak_rate {
        let measured = summary.sealbid.peak_accepted_per_second;
        thresholds.push(Threshold {
            name: "peak accepted bids per second".into(),
            limit: format!("≥ {limit}"),
            measured: measured.to_string(),
            held: measured >= limit,
        });
    }
    thresholds
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::{Summary, thresholds};

    #[test]
    fn a_lost_receipt_fails_the_run_whatever_else_held() {
        let mut summary = Summary::default();
        summary.sealbid.latency.p99_ms = 40.0;
        summary.sealbid.peak_accepted_per_second = 900;
        summary.thresholds = thresholds(&summary, Some(50.0), Some(800), false);
        assert!(summary.passed());
        summary.verification.lost = 1;
        summary.thresholds = thresholds(&summary, Some(50.0), Some(800), false);
        assert!(!summary.passed());
        assert!(summary.to_text().contains("FAIL lost receipts"));
    }

    #[test]
    fn unanswered_requests_an_accepted_late_bid_or_a_kill_that_did_not_happen_fail_the_run() {
        let mut summary = Summary::default();
        summary.late.sent = 2;
        summary.late.refused.insert("late-bid".into(), 2);
        assert!(
            thresholds(&summary, None, None, false)
                .iter()
                .all(|threshold| threshold.held)
        );
        summary.sealbid.failed = 1;
        assert!(!thresholds(&summary, None, None, false)[1].held);
        summary.sealbid.failed = 0;
        summary.late.refused.insert("late-bid".into(), 1);
        summary.late.accepted = 1;
        assert!(!thresholds(&summary, None, None, false)[2].held);
        summary.late.refused.insert("late-bid".into(), 2);
        summary.sealbid.late_refusals_sent_after_deadline = 1;
        assert!(
            thresholds(&summary, None, None, false)[3].held,
            "a bid the load test itself sent after the deadline may be late"
        );
        summary.sealbid.late_refusals_sent_before_deadline = 1;
        assert!(
            !thresholds(&summary, None, None, false)[3].held,
            "an on-time bid refused as late"
        );
        summary.sealbid.late_refusals_sent_before_deadline = 0;
        let with_kill = thresholds(&summary, None, None, true);
        assert_eq!(with_kill.len(), 5);
        assert!(!with_kill[4].held, "no kill was recorded");
    }

    #[test]
    fn each_limit_is_checked_only_when_given() {
        let mut summary = Summary::default();
        summary.sealbid.latency.p99_ms = 120.0;
        summary.sealbid.peak_accepted_per_second = 100;
        assert_eq!(thresholds(&summary, None, None, false).len(), 4);
        let checked = thresholds(&summary, Some(100.0), Some(50), false);
        assert!(!checked[4].held, "p99 120 ms over 100 ms");
        assert!(checked[5].held, "100/s over 50/s");
    }
}
