-- What the ledger answered each applied entry, by audit index: a command sent again is answered
-- with its original receipt and response from here, without a new log entry. Entries a node
-- took from a peer's history after a snapshot have no row here.
CREATE TABLE command_response (
    audit_index INTEGER PRIMARY KEY,
    response TEXT NOT NULL
);
