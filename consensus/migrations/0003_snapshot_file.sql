-- Snapshots moved to a file beside the database (see snapshot_file.rs), so writing one never
-- holds up the database writer.
DROP TABLE snapshot;
