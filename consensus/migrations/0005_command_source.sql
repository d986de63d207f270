-- The address each command came from, with the salt of the commitment in its entry's arrival
-- stamp, by audit index: for supervisors only, never part of the audit history that the public
-- reads. Entries a node took from a peer's history after a snapshot have no row here.
CREATE TABLE command_source (
    audit_index INTEGER PRIMARY KEY,
    address TEXT NOT NULL,
    salt BLOB NOT NULL
);
