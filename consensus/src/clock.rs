//! The node's clock, behind a trait: what stamps a command's arrival and an entry's timestamp,
//! and what tells the leader that a tender's deadline has passed. Nodes run on
//! [`SystemClock`]; tests set the time with [`ManualClock`] instead of sleeping to it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as this node knows them.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in ms since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// The operating system's wall clock (kept in step by NTP on a real site).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_millis());
        u64::try_from(since_epoch).unwrap_or(u64::MAX)
    }
}

/// A clock that says what it was last set to: tests move it past deadlines at once.
#[derive(Debug)]
pub struct ManualClock {
    /// The time it shows.
    now_ms: AtomicU64,
}

impl ManualClock {
    /// A clock showing `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            now_ms: AtomicU64::new(now_ms),
        }
    }

    /// Sets the time.
    pub fn set(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }

    /// Moves the time on by `step_ms`.
    pub fn advance(&self, step_ms: u64) {
        self.now_ms.fetch_add(step_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}
