-- The audit log's history: every applied ledger entry's canonical bytes by audit index, kept
-- after the Raft log is purged behind snapshots. A node that catches up through a snapshot
-- fetches the entries it missed from a peer.
CREATE TABLE audit_entry (
    audit_index INTEGER PRIMARY KEY,
    entry BLOB NOT NULL
);
