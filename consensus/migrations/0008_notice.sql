-- The information service's notices (docs/protocol.md §10.14), as the ledger derived them when it
-- applied each entry: by the entry's audit index and the notice's position among that entry's.
-- Like the archive, they are written as entries are applied: a node that caught up through a
-- snapshot has none for the entries before it.
CREATE TABLE notice (
    audit_index INTEGER NOT NULL,
    position INTEGER NOT NULL,
    notice TEXT NOT NULL,
    PRIMARY KEY (audit_index, position)
);
