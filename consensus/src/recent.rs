//! The log's newest entries in memory. They serve readers as soon as they are appended (before
//! the writer has committed them), and afterwards they spare the leader's replication a database
//! read and a decoding of every entry it sends. The capacity counts ledger entries (a log entry
//! is a batch of them), so memory stays bounded whatever the batch sizes: durable entries beyond
//! it are dropped oldest first, but never the newest; entries still waiting for the writer are
//! never dropped.

use std::collections::BTreeMap;
use std::ops::RangeBounds;

use openraft::{EntryPayload, LogId, RaftLogId};

use crate::types::TypeConfig;

/// The log entry type.
type Entry = openraft::Entry<TypeConfig>;

/// A contiguous run of the log's newest entries, each marked durable or not.
#[derive(Debug)]
pub struct RecentEntries {
    /// Entry and whether the writer has committed it, by index.
    entries: BTreeMap<u64, (Entry, bool)>,
    /// The ledger entries `entries` hold ([`weight`] summed).
    held: usize,
    /// Ledger entries kept at most, counting durable log entries only when dropping.
    capacity: usize,
}

/// How many ledger entries a log entry holds, at least one.
fn weight(entry: &Entry) -> usize {
    match &entry.payload {
        EntryPayload::Normal(batch) => batch.entries.len().max(1),
        EntryPayload::Blank | EntryPayload::Membership(_) => 1,
    }
}

impl RecentEntries {
    /// Keeps durable log entries while they hold at most `capacity` ledger entries in all.
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: BTreeMap::new(),
            held: 0,
            capacity,
        }
    }

    /// Adds entries just appended to the log (not yet durable).
    pub fn append(&mut self, entries: impl IntoIterator<Item = Entry>) {
        for entry in entries {
            self.held = self.held.saturating_add(weight(&entry));
            if let Some((replaced, _)) = self.entries.insert(entry.get_log_id().index, (entry, false)) {
                self.held = self.held.saturating_sub(weight(&replaced));
            }
        }
    }

    /// Marks `log_ids` durable (an index since truncated and re-appended stays as it is), then
    /// drops the oldest durable entries beyond the capacity.
    pub fn mark_durable(&mut self, log_ids: &[LogId<u64>]) {
        for log_id in log_ids {
            if let Some((entry, durable)) = self.entries.get_mut(&log_id.index)
                && entry.get_log_id() == log_id
            {
                *durable = true;
            }
        }
        // The newest entry stays whatever its size: it is the next one followers ask for.
        while self.held > self.capacity && self.entries.len() > 1 {
            match self.entries.first_entry() {
                Some(oldest) if oldest.get().1 => {
                    let (dropped, _) = oldest.remove();
                    self.held = self.held.saturating_sub(weight(&dropped));
                }
                _ => break,
            }
        }
    }

    /// Forgets the entries from `index` on (the log was truncated there).
    pub fn truncate(&mut self, index: u64) {
        self.entries.retain(|kept, _| *kept < index);
        self.recount();
    }

    /// Forgets the entries up to and including `index` (the log was purged there).
    pub fn purge(&mut self, index: u64) {
        self.entries.retain(|kept, _| *kept > index);
        self.recount();
    }

    /// Sums the weights again after entries were dropped in bulk.
    fn recount(&mut self) {
        self.held = self.entries.values().map(|(entry, _)| weight(entry)).sum();
    }

    /// The newest entry's log id.
    pub fn last_log_id(&self) -> Option<LogId<u64>> {
        self.entries.values().next_back().map(|(entry, _)| *entry.get_log_id())
    }

    /// The entries in `range` if memory holds all of them: the run starts at or before the
    /// range's start (the run always ends at the log's end).
    pub fn covering(&self, range: impl RangeBounds<u64>) -> Option<Vec<Entry>> {
        let first = *self.entries.first_key_value()?.0;
        let covered = match range.start_bound() {
            std::ops::Bound::Included(start) => first <= *start,
            std::ops::Bound::Excluded(start) => first <= start.saturating_add(1),
            std::ops::Bound::Unbounded => false,
        };
        covered.then(|| self.in_range(range))
    }

    /// Whatever entries of `range` memory holds.
    pub fn in_range(&self, range: impl RangeBounds<u64>) -> Vec<Entry> {
        self.entries.range(range).map(|(_, (entry, _))| entry.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use openraft::{CommittedLeaderId, EntryPayload};

    use super::*;

    fn entry(term: u64, index: u64) -> Entry {
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
            payload: EntryPayload::Blank,
        }
    }

    /// A log entry holding a batch of `count` ledger entries.
    fn batch(term: u64, index: u64, count: usize) -> Entry {
        let tender = sealbid_ledger::types::TenderId::parse("T-1").unwrap();
        let close = sealbid_ledger::command::Entry {
            timestamp_ms: 1,
            body: sealbid_ledger::command::EntryBody::Close { tender },
        };
        Entry {
            log_id: LogId::new(CommittedLeaderId::new(term, 1), index),
            payload: EntryPayload::Normal(crate::types::EntryBatch {
                entries: vec![close; count],
            }),
        }
    }

    fn indexes(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|entry| entry.log_id.index).collect()
    }

    #[test]
    fn waiting_entries_stay_and_durable_ones_beyond_capacity_go_oldest_first() {
        let mut recent = RecentEntries::new(2);
        recent.append((1..=4).map(|index| entry(1, index)));
        recent.mark_durable(&[]);
        assert_eq!(
            indexes(&recent.in_range(..)),
            [1, 2, 3, 4],
            "nothing durable, nothing dropped"
        );
        recent.mark_durable(&[entry(1, 1).log_id, entry(1, 2).log_id]);
        assert_eq!(
            indexes(&recent.in_range(..)),
            [3, 4],
            "two durable ones dropped to reach the capacity"
        );
        recent.mark_durable(&[entry(1, 3).log_id, entry(1, 4).log_id]);
        assert_eq!(indexes(&recent.in_range(..)), [3, 4]);
        recent.append([entry(1, 5)]);
        recent.mark_durable(&[entry(1, 5).log_id]);
        assert_eq!(indexes(&recent.in_range(..)), [4, 5]);
    }

    #[test]
    fn the_capacity_counts_the_ledger_entries_of_batches() {
        let mut recent = RecentEntries::new(4);
        recent.append([batch(1, 1, 3), batch(1, 2, 2), entry(1, 3)]);
        let all: Vec<LogId<u64>> = (1..=3).map(|index| entry(1, index).log_id).collect();
        recent.mark_durable(&all);
        assert_eq!(
            indexes(&recent.in_range(..)),
            [2, 3],
            "six ledger entries held: the batch of three goes, three remain"
        );
        recent.append([batch(1, 4, 5)]);
        recent.mark_durable(&[entry(1, 4).log_id]);
        assert_eq!(
            indexes(&recent.in_range(..)),
            [4],
            "a batch above the capacity alone stays the newest"
        );
    }

    #[test]
    fn covering_answers_only_when_memory_holds_the_start_of_the_range() {
        let mut recent = RecentEntries::new(10);
        assert!(recent.covering(0..5).is_none(), "empty memory covers nothing");
        recent.append((5..=8).map(|index| entry(1, index)));
        assert_eq!(indexes(&recent.covering(5..7).unwrap()), [5, 6]);
        assert_eq!(indexes(&recent.covering(6..).unwrap()), [6, 7, 8]);
        assert!(recent.covering(4..7).is_none(), "index 4 is only in the database");
        assert_eq!(recent.last_log_id(), Some(entry(1, 8).log_id));
    }

    #[test]
    fn truncation_and_purging_forget_entries_and_a_stale_flush_marks_nothing() {
        let mut recent = RecentEntries::new(0);
        recent.append((1..=5).map(|index| entry(1, index)));
        recent.truncate(4);
        recent.append([entry(2, 4)]);
        // The flush of the truncated term-1 entry 4 arrives late: the term-2 entry stays waiting.
        recent.mark_durable(&[entry(1, 4).log_id]);
        assert_eq!(indexes(&recent.in_range(..)), [1, 2, 3, 4]);
        assert_eq!(recent.last_log_id(), Some(entry(2, 4).log_id));
        recent.purge(2);
        assert_eq!(indexes(&recent.in_range(..)), [3, 4]);
        recent.mark_durable(&[entry(1, 3).log_id, entry(2, 4).log_id]);
        assert_eq!(
            indexes(&recent.in_range(..)),
            [4],
            "capacity 0 keeps nothing durable but the newest"
        );
    }
}
