//! What happened to every request, and the views of it the report needs: latency histograms
//! measured from each request's intended send time (so a stalled server cannot hide its queue:
//! no coordinated omission), and a per-second timeline of sent, accepted, refused by reason and
//! failed requests.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;

/// The largest latency the histograms hold, µs (an hour).
const LATENCY_US_MAX: u64 = 3_600_000_000;

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied; the receipt's audit index and leaf hash.
    Accepted {
        /// The entry's audit index.
        audit_index: u64,
        /// The entry's leaf hash.
        leaf_hash: sealbid_crypto::merkle::Hash,
    },
    /// Refused by the ledger or the API, with the problem's stable code.
    Refused {
        /// The problem's code (`late-bid`, …).
        code: String,
    },
    /// No answer after every attempt (connection refused, timeout, 503 on every node).
    Failed {
        /// The last error.
        reason: String,
    },
}

/// One request's times (µs from the run's start) and end.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Which request (an index into the caller's list).
    pub request: usize,
    /// When the schedule said to send it.
    pub intended_us: u64,
    /// When it was sent (after waiting for a free connection slot).
    pub sent_us: u64,
    /// When its last attempt was sent (after busy answers or a retry on another node).
    pub last_sent_us: u64,
    /// When its answer (or last failure) arrived.
    pub done_us: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// How many busy answers (503 with `Retry-After`) it got before its end.
    pub busy_answers: u32,
}

impl Sample {
    /// Latency from the intended send time.
    pub fn latency_us(&self) -> u64 {
        self.done_us.saturating_sub(self.intended_us)
    }
}

/// One second of the run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Second {
    /// Requests due (intended) in this second.
    pub sent: u64,
    /// Requests whose acceptance arrived in this second.
    pub accepted: u64,
    /// Refusals that arrived in this second, by code.
    pub refused: BTreeMap<String, u64>,
    /// Failures that arrived in this second.
    pub failed: u64,
    /// Median latency of the answers that arrived in this second, ms.
    pub latency_p50_ms: f64,
    /// 99th-percentile latency of the answers that arrived in this second, ms.
    pub latency_p99_ms: f64,
}

/// Latency percentiles, ms.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Percentiles {
    /// Answers counted.
    pub count: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p999_ms: f64,
    /// The slowest.
    pub max_ms: f64,
}

/// A histogram of latencies in µs (3 significant digits); the bounds are constants the crate
/// accepts, so `None` does not happen.
fn histogram() -> Option<Histogram<u64>> {
    Histogram::new_with_bounds(1, LATENCY_US_MAX, 3).ok()
}

/// The percentiles of `histogram`.
fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    let ms = |value: u64| value as f64 / 1_000.0;
    Percentiles {
        count: histogram.len(),
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p90_ms: ms(histogram.value_at_quantile(0.90)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        p999_ms: ms(histogram.value_at_quantile(0.999)),
        max_ms: ms(histogram.max()),
    }
}

/// The latency percentiles of the answers (accepted or refused) among `samples` that match
/// `keep`.
pub fn latency(samples: &[Sample], keep: impl Fn(&Sample) -> bool) -> Percentiles {
    let Some(mut all) = histogram() else {
        return Percentiles::default();
    };
    for sample in samples.iter().filter(|sample| keep(sample)) {
        all.saturating_record(sample.latency_us().max(1));
    }
    percentiles(&all)
}

/// The per-second timeline of `samples`.
pub fn timeline(samples: &[Sample]) -> Vec<Second> {
    let seconds = samples
        .iter()
        .map(|sample| sample.done_us.max(sample.intended_us) / 1_000_000 + 1)
        .max()
        .unwrap_or(0);
    let mut timeline = vec![Second::default(); usize::try_from(seconds).unwrap_or(0)];
    let mut histograms: Vec<Option<Histogram<u64>>> = (0..timeline.len()).map(|_| histogram()).collect();
    let second_of = |us: u64| usize::try_from(us / 1_000_000).unwrap_or(usize::MAX);
    for sample in samples {
        if let Some(second) = timeline.get_mut(second_of(sample.intended_us)) {
            second.sent += 1;
        }
        let done = second_of(sample.done_us);
        let Some(second) = timeline.get_mut(done) else { continue };
        match &sample.outcome {
            Outcome::Accepted { .. } => second.accepted += 1,
            Outcome::Refused { code } => *second.refused.entry(code.clone()).or_default() += 1,
            Outcome::Failed { .. } => {
                second.failed += 1;
                continue;
            }
        }
        if let Some(Some(histogram)) = histograms.get_mut(done) {
            histogram.saturating_record(sample.latency_us().max(1));
        }
    }
    for (second, histogram) in timeline.iter_mut().zip(&histograms) {
        if let Some(histogram) = histogram.as_ref().filter(|histogram| !histogram.is_empty()) {
            second.latency_p50_ms = histogram.value_at_quantile(0.50) as f64 / 1_000.0;
            second.latency_p99_ms = histogram.value_at_quantile(0.99) as f64 / 1_000.0;
        }
    }
    timeline
}

/// The longest stretch, µs, between consecutive acceptances that arrived after `from_us`
/// (and between `from_us` and the first): how long writes were unavailable after a fault.
pub fn longest_gap_after(samples: &[Sample], from_us: u64) -> u64 {
    let mut accepted: Vec<u64> = samples
        .iter()
        .filter(|sample| matches!(sample.outcome, Outcome::Accepted { .. }) && sample.done_us >= from_us)
        .map(|sample| sample.done_us)
        .collect();
    accepted.sort_unstable();
    let mut previous = from_us;
    let mut longest = 0;
    for done in accepted {
        longest = longest.max(done - previous);
        previous = done;
    }
    longest
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::{Outcome, Sample, latency, longest_gap_after, timeline};
    use sealbid_crypto::merkle::Hash;

    fn sample(intended_us: u64, done_us: u64, outcome: Outcome) -> Sample {
        Sample {
            request: 0,
            intended_us,
            sent_us: intended_us,
            last_sent_us: intended_us,
            done_us,
            outcome,
            busy_answers: 0,
        }
    }

    fn accepted() -> Outcome {
        Outcome::Accepted {
            audit_index: 1,
            leaf_hash: Hash::empty_tree(),
        }
    }

    #[test]
    fn latency_counts_from_the_intended_time_not_the_send_time() {
        // Sent 900 ms late (the client waited for a slot): the wait is part of the latency.
        let mut late = sample(0, 1_000_000, accepted());
        late.sent_us = 900_000;
        let percentiles = latency(&[late], |_| true);
        assert!((percentiles.max_ms - 1_000.0).abs() < 1.0, "{percentiles:?}");
    }

    #[test]
    fn the_timeline_puts_each_request_in_its_seconds() {
        let samples = [
            sample(100_000, 200_000, accepted()),
            sample(
                900_000,
                1_300_000,
                Outcome::Refused {
                    code: "late-bid".into(),
                },
            ),
            sample(
                1_100_000,
                2_500_000,
                Outcome::Failed {
                    reason: "refused".into(),
                },
            ),
        ];
        let seconds = timeline(&samples);
        assert_eq!(seconds.len(), 3);
        assert_eq!((seconds[0].sent, seconds[0].accepted), (2, 1));
        assert_eq!((seconds[1].sent, seconds[1].refused.get("late-bid")), (1, Some(&1)));
        assert_eq!((seconds[2].failed, seconds[2].accepted), (1, 0));
        assert!((seconds[0].latency_p99_ms - 100.0).abs() < 0.5, "{:?}", seconds[0]);
    }

    #[test]
    fn the_gap_after_a_fault_is_the_longest_pause_in_acceptances() {
        let samples = [
            sample(0, 1_000_000, accepted()),
            sample(0, 1_200_000, accepted()),
            sample(0, 3_700_000, accepted()),
            sample(0, 3_800_000, Outcome::Failed { reason: "x".into() }),
            sample(0, 3_900_000, accepted()),
        ];
        assert_eq!(longest_gap_after(&samples, 1_100_000), 2_500_000);
        assert_eq!(longest_gap_after(&samples, 0), 2_500_000);
    }
}
