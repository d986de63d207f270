-- What each applied entry concerns, as the ledger derived it when it applied the entry, for
-- supervisors' live stream and tender timelines: the tender it acts on (`tender`), or, for a
-- correction order naming no tender, the office addressed (`office`); and each tender's market
-- and office, written once, at its publication. Entries a node took from a peer's history after
-- a snapshot have neither.
ALTER TABLE audit_entry ADD COLUMN tender TEXT;
ALTER TABLE audit_entry ADD COLUMN office TEXT;
CREATE INDEX audit_entry_by_tender ON audit_entry (tender, audit_index) WHERE tender IS NOT NULL;
CREATE TABLE tender_subject (
    tender TEXT PRIMARY KEY,
    market TEXT NOT NULL,
    office TEXT NOT NULL
);
