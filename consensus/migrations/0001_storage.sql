-- openraft's vote, log and committed id; the state machine's snapshots, audit-log nodes and
-- the archive of final tenders.
CREATE TABLE raft_vote (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    vote TEXT NOT NULL
);

CREATE TABLE raft_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE raft_log (
    log_index INTEGER PRIMARY KEY,
    entry TEXT NOT NULL
);

CREATE TABLE snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    -- The last log index the snapshot covers (-1: none); a snapshot never replaces a newer one.
    last_log_index INTEGER NOT NULL,
    meta TEXT NOT NULL,
    data BLOB NOT NULL
);

CREATE TABLE audit_node (
    level INTEGER NOT NULL,
    node_index INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, node_index)
) WITHOUT ROWID;

CREATE TABLE archive (
    tender TEXT PRIMARY KEY,
    record TEXT NOT NULL
);
