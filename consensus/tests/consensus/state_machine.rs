//! The state machine applies real ledger entries, writes their audit nodes and history, and
//! comes back the same from a snapshot: installed on another node (which then fills its history
//! hole), or reopened from its own database.

use openraft::storage::{RaftSnapshotBuilder, RaftStateMachine};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId};
use sealbid_consensus::{EntryBatch, LedgerReply, SnapshotFile, StateMachineStore, TypeConfig, Writer, open_database};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, Entry as LedgerEntry, EntryBody, Genesis, LedgerConfig};
use sealbid_ledger::types::Role;
use sqlx::Row;

const NOW_MS: u64 = 1_800_000_000_000;

/// The raft entry at `index` carrying one ledger entry.
fn raft_entry(index: u64, body: EntryBody) -> Entry<TypeConfig> {
    raft_batch(index, vec![body])
}

/// The raft entry at `index` carrying `bodies` as one batch.
fn raft_batch(index: u64, bodies: Vec<EntryBody>) -> Entry<TypeConfig> {
    Entry {
        log_id: LogId::new(CommittedLeaderId::new(1, 0), index),
        payload: EntryPayload::Normal(EntryBatch {
            entries: bodies
                .into_iter()
                .map(|body| LedgerEntry {
                    timestamp_ms: NOW_MS + index,
                    body,
                })
                .collect(),
        }),
    }
}

/// Genesis, then the operator granting the office role to `count` keys; one refused command.
fn entries(count: u64) -> Vec<Entry<TypeConfig>> {
    let operator = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let mut entries = vec![raft_entry(
        1,
        EntryBody::Genesis(Genesis {
            operator: operator.public_key(),
            config: LedgerConfig::default(),
        }),
    )];
    for number in 0..count {
        let mut seed = [2u8; 32];
        seed[..8].copy_from_slice(&number.to_be_bytes());
        let actor = IdentityKeyPair::from_seed(&seed).unwrap().public_key();
        let command = Command {
            nonce: number,
            expires_at_ms: NOW_MS + 60_000,
            action: Action::GrantRole {
                actor,
                role: Role::Office,
                name: format!("office {number}"),
            },
        };
        entries.push(raft_entry(
            number + 2,
            EntryBody::command(SignedMessage::sign(&operator, &command).unwrap(), 1, NOW_MS),
        ));
    }
    // The same nonce again: refused, not applied.
    let replay = match &entries[2].payload {
        EntryPayload::Normal(batch) => batch.entries[0].body.clone(),
        _ => unreachable!(),
    };
    entries.push(raft_entry(count + 2, replay));
    entries
}

async fn state_machine(folder: &tempfile::TempDir) -> StateMachineStore {
    let database = folder.path().join("node.sqlite");
    let pool = open_database(&database).await.unwrap();
    StateMachineStore::open(pool.clone(), Writer::start(pool), SnapshotFile::beside(&database))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_is_applied_as_one_audit_leaf_and_one_reply_per_entry_in_order() {
    let folder = tempfile::tempdir().unwrap();
    let mut store = state_machine(&folder).await;
    // Genesis alone, then the three grants and the replay of the second grant as one batch.
    let mut all = entries(3);
    let bodies: Vec<EntryBody> = all
        .drain(1..)
        .map(|entry| match entry.payload {
            EntryPayload::Normal(batch) => batch.entries[0].body.clone(),
            _ => unreachable!(),
        })
        .collect();
    all.push(raft_batch(2, bodies));
    let replies = store.apply(all).await.unwrap();
    assert_eq!(replies.len(), 2, "one reply list per raft entry");
    assert_eq!(replies[1].len(), 4, "one reply per ledger entry of the batch");
    let indexes: Vec<Option<u64>> = replies
        .iter()
        .flatten()
        .map(|reply| match reply {
            LedgerReply::Applied { audit_index, .. } => Some(*audit_index),
            LedgerReply::Rejected { .. } => None,
        })
        .collect();
    assert_eq!(indexes, vec![Some(0), Some(1), Some(2), Some(3), None]);
    assert!(
        matches!(&replies[1][3], LedgerReply::Rejected { code, first_audit_index: Some(2), .. } if code == "replayed-nonce"),
        "the batch's own earlier entry counts: {:?}",
        replies[1][3]
    );
    assert_eq!(store.read(|ledger| ledger.audit().size()).await, 4);
}

#[tokio::test]
async fn applied_entries_survive_snapshot_install_and_reopening() {
    let leader_folder = tempfile::tempdir().unwrap();
    let mut leader = state_machine(&leader_folder).await;
    let replies: Vec<LedgerReply> = leader.apply(entries(20)).await.unwrap().into_iter().flatten().collect();
    assert_eq!(replies.len(), 22);
    assert!(matches!(replies[0], LedgerReply::Applied { audit_index: 0, .. }));
    assert!(
        matches!(replies[21], LedgerReply::Rejected { ref code, first_audit_index: Some(2), .. } if code == "replayed-nonce"),
        "{:?}",
        replies[21]
    );
    let hash = leader.read(|ledger| ledger.state_hash()).await;
    let audit_size = leader.read(|ledger| ledger.audit().size()).await;
    assert_eq!(audit_size, 21, "the refused entry is not an audit leaf");

    let built = leader.build_snapshot().await.unwrap();
    assert_eq!(built.meta.last_log_id.map(|log_id| log_id.index), Some(22));
    // The built snapshot's data went straight into the file, and openraft sends what
    // `get_current_snapshot` reads from there.
    let snapshot = leader
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("the built snapshot is current");
    assert_eq!(snapshot.meta, built.meta);

    // Apply does not wait for its audit nodes, but the snapshot is written after them: once it
    // is durable, every node is in the database (21 leaves and their complete parents).
    let pool = open_database(&leader_folder.path().join("node.sqlite")).await.unwrap();
    let nodes: i64 = sqlx::query("SELECT COUNT(*) AS count FROM audit_node")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get("count");
    assert_eq!(nodes, 21 + 10 + 5 + 2 + 1);

    let follower_folder = tempfile::tempdir().unwrap();
    let mut follower = state_machine(&follower_folder).await;
    let mut received = follower.begin_receiving_snapshot().await.unwrap();
    *received = *snapshot.snapshot;
    follower.install_snapshot(&snapshot.meta, received).await.unwrap();
    assert_eq!(follower.read(|ledger| ledger.state_hash()).await, hash);

    // The follower goes on from the snapshot exactly as the leader does.
    let operator = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let actor = IdentityKeyPair::from_seed(&[9; 32]).unwrap().public_key();
    let command = Command {
        nonce: 1_000,
        expires_at_ms: NOW_MS + 60_000,
        action: Action::GrantRole {
            actor,
            role: Role::Supervisor,
            name: "supervisor".into(),
        },
    };
    let next = raft_entry(
        23,
        EntryBody::command(SignedMessage::sign(&operator, &command).unwrap(), 1, NOW_MS),
    );
    leader.apply([next.clone()]).await.unwrap();
    follower.apply([next]).await.unwrap();
    let hash_after = leader.read(|ledger| ledger.state_hash()).await;
    assert_eq!(follower.read(|ledger| ledger.state_hash()).await, hash_after);

    // A node reopened from its database restores its last snapshot (then openraft re-applies
    // the log after it).
    drop(follower);
    let reopened = state_machine(&follower_folder).await;
    assert_eq!(reopened.read(|ledger| ledger.state_hash()).await, hash);
    let mut reopened = reopened;
    let (last_applied, _) = reopened.applied_state().await.unwrap();
    assert_eq!(last_applied.map(|log_id| log_id.index), Some(22));
}

#[tokio::test]
async fn a_node_installed_from_a_snapshot_fills_its_history_hole_and_refuses_a_wrong_history() {
    use sealbid_consensus::history::{HistoryError, fill, first_hole, read_entries};

    let leader_folder = tempfile::tempdir().unwrap();
    let mut leader = state_machine(&leader_folder).await;
    leader.apply(entries(20)).await.unwrap();
    leader.build_snapshot().await.unwrap();
    let snapshot = leader
        .get_current_snapshot()
        .await
        .unwrap()
        .expect("the built snapshot is current");
    let history = read_entries(leader.pool(), 0, 100).await.unwrap();
    assert_eq!(
        history.len(),
        21,
        "every applied entry is history; the refused one is not"
    );
    assert_eq!(first_hole(leader.pool(), 0, 21).await.unwrap(), None);

    let follower_folder = tempfile::tempdir().unwrap();
    let mut follower = state_machine(&follower_folder).await;
    let mut received = follower.begin_receiving_snapshot().await.unwrap();
    *received = *snapshot.snapshot;
    follower.install_snapshot(&snapshot.meta, received).await.unwrap();
    assert_eq!(follower.history_size(), 21);
    assert_eq!(first_hole(follower.pool(), 0, 21).await.unwrap(), Some((0, 21)));

    let nodes = |pool: sqlx::SqlitePool| async move {
        let rows = sqlx::query("SELECT level, node_index, hash FROM audit_node ORDER BY level, node_index")
            .fetch_all(&pool)
            .await
            .unwrap();
        rows.iter()
            .map(|row| {
                (
                    row.get::<i64, _>("level"),
                    row.get::<i64, _>("node_index"),
                    row.get::<Vec<u8>, _>("hash"),
                )
            })
            .collect::<Vec<_>>()
    };
    let follower_nodes_before = nodes(follower.pool().clone()).await;

    // Two real entries swapped: each is a ledger entry, but the rebuilt tree contradicts the
    // snapshot's right edge.
    let mut tampered = history.clone();
    let (fifth, sixth) = (tampered[5].1.clone(), tampered[6].1.clone());
    tampered[5].1 = sixth;
    tampered[6].1 = fifth;
    let error = fill(follower.pool(), follower.writer(), (0, 21), tampered)
        .await
        .unwrap_err();
    assert!(matches!(error, HistoryError::Mismatch { .. }), "{error}");
    // Not an entry at all.
    let mut garbage = history.clone();
    garbage[3].1 = b"{\"not\":\"an entry\"}".to_vec();
    let error = fill(follower.pool(), follower.writer(), (0, 21), garbage)
        .await
        .unwrap_err();
    assert!(matches!(error, HistoryError::NotAnEntry { index: 3, .. }), "{error}");
    // Other entries than those asked for.
    let error = fill(follower.pool(), follower.writer(), (1, 21), history.clone())
        .await
        .unwrap_err();
    assert!(matches!(error, HistoryError::WrongRange { .. }), "{error}");
    // None of the refused attempts left anything behind.
    assert_eq!(nodes(follower.pool().clone()).await, follower_nodes_before);
    assert_eq!(first_hole(follower.pool(), 0, 21).await.unwrap(), Some((0, 21)));

    // The true history fills the hole, here in two batches: the follower then holds what the
    // leader holds.
    fill(follower.pool(), follower.writer(), (0, 21), history[..10].to_vec())
        .await
        .unwrap();
    assert_eq!(first_hole(follower.pool(), 0, 21).await.unwrap(), Some((10, 21)));
    assert_eq!(first_hole(follower.pool(), 5, 21).await.unwrap(), Some((10, 21)));
    fill(follower.pool(), follower.writer(), (10, 21), history[10..].to_vec())
        .await
        .unwrap();
    assert_eq!(first_hole(follower.pool(), 0, 21).await.unwrap(), None);
    assert_eq!(
        first_hole(follower.pool(), 21, 21).await.unwrap(),
        None,
        "nothing to scan above the size"
    );
    assert_eq!(read_entries(follower.pool(), 0, 100).await.unwrap(), history);
    assert_eq!(nodes(follower.pool().clone()).await, nodes(leader.pool().clone()).await);
}

#[tokio::test]
async fn the_snapshot_file_keeps_the_newest_snapshot_and_a_damaged_one_stops_the_node_from_opening() {
    use openraft::{BasicNode, SnapshotMeta, StoredMembership};
    use sealbid_consensus::SnapshotFileError;

    let folder = tempfile::tempdir().unwrap();
    let database = folder.path().join("node.sqlite");
    let file = SnapshotFile::beside(&database);
    assert!(file.load().await.unwrap().is_none(), "no file, no snapshot");
    let meta = |index: u64| SnapshotMeta::<u64, BasicNode> {
        last_log_id: Some(LogId::new(CommittedLeaderId::new(1, 0), index)),
        last_membership: StoredMembership::default(),
        snapshot_id: format!("snapshot-{index}"),
    };
    file.save(&meta(10), std::sync::Arc::new(b"ten".to_vec()))
        .await
        .unwrap();
    file.save(&meta(5), std::sync::Arc::new(b"five".to_vec()))
        .await
        .unwrap();
    let (kept, data) = file.load().await.unwrap().unwrap();
    assert_eq!(
        (kept.snapshot_id.as_str(), data.as_slice()),
        ("snapshot-10", b"ten".as_slice())
    );
    file.save(&meta(12), std::sync::Arc::new(b"twelve".to_vec()))
        .await
        .unwrap();
    assert_eq!(file.load().await.unwrap().unwrap().1, b"twelve");

    // Data written as it is produced: a writer that fails halfway leaves the current snapshot
    // as it was, and one that finishes replaces it.
    let failed = file
        .save_with(&meta(13), |out| {
            out.write_all(b"thir")?;
            Err(std::io::Error::other("the encoding failed"))
        })
        .await;
    assert!(matches!(failed, Err(SnapshotFileError::Io { .. })), "{failed:?}");
    assert_eq!(file.load().await.unwrap().unwrap().1, b"twelve");
    file.save_with(&meta(14), |out| {
        out.write_all(b"four")?;
        out.write_all(b"teen")
    })
    .await
    .unwrap();
    let (kept, data) = file.load().await.unwrap().unwrap();
    assert_eq!(
        (kept.snapshot_id.as_str(), data.as_slice()),
        ("snapshot-14", b"fourteen".as_slice())
    );

    // A damaged file is an error, never an empty state.
    let mut path = database.as_os_str().to_owned();
    path.push(".snapshot");
    std::fs::write(&path, [0, 0, 0, 0, 0, 0, 0, 9, b'{', b'x']).unwrap();
    assert!(
        matches!(file.load().await, Err(SnapshotFileError::Damaged { .. })),
        "cut short"
    );
    std::fs::write(&path, [0, 0, 0, 0, 0, 0, 0, 2, b'{', b'x']).unwrap();
    assert!(matches!(file.load().await, Err(SnapshotFileError::Damaged { .. })));
    std::fs::write(&path, [255; 16]).unwrap();
    assert!(matches!(file.load().await, Err(SnapshotFileError::Damaged { .. })));
    let pool = open_database(&database).await.unwrap();
    assert!(
        StateMachineStore::open(pool.clone(), Writer::start(pool), file)
            .await
            .is_err()
    );
}
