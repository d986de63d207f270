//! The open-model sender: each request leaves at its intended time whether or not earlier ones
//! have been answered, through at most `concurrency` connections in flight (a request due while
//! all are busy waits, and the wait counts in its latency). A request that gets no answer (a
//! node down, 503, an unknown outcome) is sent again, the same signed bytes, to the next node:
//! the platform answers a resent command with its earlier receipt, so retrying never bids
//! twice. A node that answers busy (503 with `Retry-After`) gets the same bytes again after
//! that pause, at most [`BUSY_ANSWERS_MAX`] times; the request keeps its intended send time,
//! so the pauses count in its latency.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::record::{Outcome, Sample};

/// How many nodes a request tries before it counts as failed.
pub const ATTEMPTS_MAX: usize = 3;
/// How long to wait before trying the next node.
const RETRY_PAUSE: Duration = Duration::from_millis(200);
/// How many busy answers one request takes before it counts as failed.
pub const BUSY_ANSWERS_MAX: u32 = 20;
/// The longest pause a busy answer's `Retry-After` is honoured with.
const BUSY_PAUSE_MAX: Duration = Duration::from_secs(2);

/// What one attempt of one request gave.
#[derive(Debug)]
pub enum Attempt {
    /// A final answer: accepted or refused.
    Answered(Outcome),
    /// No answer from this node; another may give one.
    Retry(String),
    /// The node is busy: send the same bytes to it again after this pause (its
    /// `Retry-After`).
    Busy(Duration),
}

/// Sends request `index` (of `schedule_us.len()`) at `start + schedule_us[index]` through
/// `send(index, attempt)`, at most `concurrency` at a time; every request's sample, in
/// completion order. `progress` is told each completion.
pub async fn drive<Send, Sent>(
    start: Instant,
    schedule_us: &[u64],
    concurrency: usize,
    send: Send,
    progress: impl Fn(&Sample),
) -> Vec<Sample>
where
    Send: Fn(usize, usize) -> Sent + Clone + std::marker::Send + 'static,
    Sent: Future<Output = Attempt> + std::marker::Send + 'static,
{
    assert!(concurrency >= 1, "at least one request in flight");
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    let mut samples = Vec::with_capacity(schedule_us.len());
    let micros = move |instant: Instant| u64::try_from(instant.duration_since(start).as_micros()).unwrap_or(u64::MAX);
    for (index, intended_us) in schedule_us.iter().copied().enumerate() {
        tokio::time::sleep_until(start + Duration::from_micros(intended_us)).await;
        // Collect what finished meanwhile, so the set holds at most `concurrency` tasks.
        while let Some(finished) = running.try_join_next() {
            if let Ok(sample) = finished {
                progress(&sample);
                samples.push(sample);
            }
        }
        let Ok(slot) = Arc::clone(&slots).acquire_owned().await else {
            break;
        };
        let send = send.clone();
        let sent_us = micros(Instant::now());
        running.spawn(async move {
            let _slot = slot;
            let mut outcome = Outcome::Failed {
                reason: "not sent".into(),
            };
            let mut attempt = 0;
            let mut busy_answers = 0;
            let mut last_sent_us = sent_us;
            while attempt < ATTEMPTS_MAX {
                last_sent_us = micros(Instant::now());
                match send(index, attempt).await {
                    Attempt::Answered(answer) => {
                        outcome = answer;
                        break;
                    }
                    Attempt::Retry(reason) => {
                        outcome = Outcome::Failed { reason };
                        attempt += 1;
                        if attempt < ATTEMPTS_MAX {
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                    }
                    Attempt::Busy(pause) => {
                        busy_answers += 1;
                        outcome = Outcome::Failed {
                            reason: format!("busy {busy_answers} times"),
                        };
                        if busy_answers >= BUSY_ANSWERS_MAX {
                            break;
                        }
                        tokio::time::sleep(pause.min(BUSY_PAUSE_MAX)).await;
                    }
                }
            }
            Sample {
                request: index,
                intended_us,
                sent_us,
                last_sent_us,
                done_us: micros(Instant::now()),
                outcome,
                busy_answers,
            }
        });
    }
    while let Some(finished) = running.join_next().await {
        if let Ok(sample) = finished {
            progress(&sample);
            samples.push(sample);
        }
    }
    samples
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::{ATTEMPTS_MAX, Attempt, BUSY_ANSWERS_MAX, drive};
    use crate::record::Outcome;

    fn accepted(index: usize) -> Outcome {
        Outcome::Accepted {
            audit_index: index as u64,
            leaf_hash: sealbid_crypto::merkle::Hash::empty_tree(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_server_shows_up_as_latency_from_the_intended_time() {
        // One slot, each answer 100 ms, a request due every 10 ms: request i waits for the i
        // before it, so its latency is about (i + 1) × 100 ms − i × 10 ms.
        let schedule: Vec<u64> = (0..5).map(|index| index * 10_000).collect();
        let send = |index: usize, _attempt: usize| async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            Attempt::Answered(accepted(index))
        };
        let start = tokio::time::Instant::now();
        let mut samples = drive(start, &schedule, 1, send, |_| {}).await;
        samples.sort_by_key(|sample| sample.request);
        for (index, sample) in samples.iter().enumerate() {
            let expected_us = (index as u64 + 1) * 100_000 - index as u64 * 10_000;
            assert!(sample.latency_us().abs_diff(expected_us) < 2_000, "{index}: {sample:?}");
            assert!(sample.sent_us >= sample.intended_us);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn requests_leave_on_schedule_when_slots_are_free_and_retries_are_bounded() {
        let schedule = [0, 50_000, 100_000];
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let send = move |index: usize, attempt: usize| {
            counted.fetch_add(1, Ordering::SeqCst);
            async move {
                match index {
                    // Answers on the second node.
                    0 if attempt == 0 => Attempt::Retry("node down".into()),
                    // Never answers.
                    2 => Attempt::Retry("node down".into()),
                    _ => Attempt::Answered(accepted(index)),
                }
            }
        };
        let start = tokio::time::Instant::now();
        let mut samples = drive(start, &schedule, 8, send, |_| {}).await;
        samples.sort_by_key(|sample| sample.request);
        assert_eq!(samples[0].outcome, accepted(0));
        assert_eq!(samples[1].sent_us, 50_000);
        assert!(matches!(samples[2].outcome, Outcome::Failed { .. }));
        assert_eq!(calls.load(Ordering::SeqCst), 2 + 1 + ATTEMPTS_MAX);
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_answer_is_retried_after_its_pause_with_the_intended_time_kept() {
        // Request 0: busy twice (pause 300 ms), then accepted; request 1: always busy.
        let schedule = [0, 10_000];
        let answers = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&answers);
        let send = move |index: usize, _attempt: usize| {
            let call = counted.fetch_add(usize::from(index == 0), Ordering::SeqCst);
            async move {
                match index {
                    0 if call < 2 => Attempt::Busy(Duration::from_millis(300)),
                    0 => Attempt::Answered(accepted(0)),
                    _ => Attempt::Busy(Duration::from_millis(300)),
                }
            }
        };
        let start = tokio::time::Instant::now();
        let mut samples = drive(start, &schedule, 8, send, |_| {}).await;
        samples.sort_by_key(|sample| sample.request);
        assert_eq!(samples[0].outcome, accepted(0));
        assert_eq!(samples[0].busy_answers, 2);
        // Two pauses of 300 ms, counted from the intended send time.
        assert!(samples[0].latency_us() >= 600_000, "{:?}", samples[0]);
        assert!(
            samples[0].last_sent_us >= samples[0].sent_us + 600_000,
            "{:?}",
            samples[0]
        );
        assert!(matches!(samples[1].outcome, Outcome::Failed { .. }));
        assert_eq!(samples[1].busy_answers, BUSY_ANSWERS_MAX);
    }
}
