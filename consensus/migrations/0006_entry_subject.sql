-- What each applied entry concerns (its tender, that tender's market and office, or the office
-- a correction order is addressed to), as the ledger derived it when it applied the entry: for
-- supervisors' live stream and tender timelines. Only entries that concern something have a row;
-- entries a node took from a peer's history after a snapshot have none.
CREATE TABLE entry_subject (
    audit_index INTEGER PRIMARY KEY,
    tender TEXT,
    subject TEXT NOT NULL
);
CREATE INDEX entry_subject_by_tender ON entry_subject (tender, audit_index);
