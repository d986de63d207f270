-- Witnesses' cosignatures (C2SP tlog-cosignature/v1) of this log's checkpoints, as this node
-- received and checked them: one row per witness and tree size. `witness` is the witness's
-- verifier key text (name+id+base64), `root` the tree's root at `size` (checked against this
-- node's own tree), `line` the signature line with its newline (its time is in it).
CREATE TABLE cosignature (
    witness TEXT NOT NULL,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    line TEXT NOT NULL,
    PRIMARY KEY (witness, size)
);
CREATE INDEX cosignature_by_size ON cosignature (size);
