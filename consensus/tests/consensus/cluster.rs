//! A three-node cluster in one test process, over real mutual-TLS HTTPS on 127.0.0.1: commands
//! sent to any node are applied everywhere in the same order, many at once in batches; when the
//! leader stops, the others elect a new one and go on.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sealbid_consensus::tls::ClusterTls;
use sealbid_consensus::{LedgerReply, Replica, ReplicaConfig, ReplicaStatus, SubmitError};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command, EntryBody, Genesis, LedgerConfig};
use sealbid_ledger::types::Role;

/// A running node and what stops it.
struct Node {
    replica: Arc<Replica>,
    server: actix_web::dev::ServerHandle,
    address: String,
}

async fn start(node_id: u64, tls: &ClusterTls, folder: &std::path::Path) -> Node {
    start_with_clock(node_id, tls, folder, Arc::new(sealbid_consensus::clock::SystemClock)).await
}

/// A node on `clock`, with its background tasks (the closer, the clock watch).
async fn start_with_clock(
    node_id: u64,
    tls: &ClusterTls,
    folder: &std::path::Path,
    clock: Arc<dyn sealbid_consensus::clock::Clock>,
) -> Node {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let raft = openraft::Config {
        heartbeat_interval: 100,
        election_timeout_min: 500,
        election_timeout_max: 1000,
        ..openraft::Config::default()
    };
    let config = ReplicaConfig {
        node_id,
        database: folder.join(format!("node-{node_id}.sqlite")),
        raft,
        clock,
        commands_in_flight_max: 1024,
        metrics: sealbid_consensus::ConsensusMetrics::unregistered(),
        source_tag_key: Some(sealbid_ledger::command::SourceTagKey::derive(
            b"the test cluster's secret",
        )),
    };
    let replica = Arc::new(Replica::start(config, tls).await.unwrap());
    replica.spawn_closer();
    replica.spawn_clock_watch();
    let server = sealbid_consensus::server::serve(Arc::clone(&replica), listener, tls).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    Node {
        replica,
        server: handle,
        address,
    }
}

/// Polls until `check` holds, for at most ten seconds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The operator's command granting an office role to key number `number`.
fn grant(operator: &IdentityKeyPair, number: u64) -> EntryBody {
    let mut seed = [5u8; 32];
    seed[..8].copy_from_slice(&number.to_be_bytes());
    let actor = IdentityKeyPair::from_seed(&seed).unwrap().public_key();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let command = Command {
        nonce: number,
        expires_at_ms: now_ms + 10 * 60 * 1000,
        action: Action::GrantRole {
            actor,
            role: Role::Office,
            name: format!("office {number}"),
        },
    };
    // The receiving node stamps the arrival; the stamp sent here is replaced.
    EntryBody::command(SignedMessage::sign(operator, &command).unwrap(), 0, 0)
}

async fn statuses(nodes: &[&Node]) -> Vec<ReplicaStatus> {
    let mut all = Vec::new();
    for node in nodes {
        all.push(node.replica.status().await);
    }
    all
}

/// Whether every node applied the same entries to the same state.
async fn agree(nodes: &[&Node]) -> bool {
    let all = statuses(nodes).await;
    all.windows(2)
        .all(|pair| pair[0].last_applied == pair[1].last_applied && pair[0].state_hash == pair[1].state_hash)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_on_any_node_apply_everywhere_and_survive_the_leader_stopping() {
    let folder = tempfile::tempdir().unwrap();
    let pems = crate::support::ClusterPems::generate(3);
    let tls: Vec<ClusterTls> = (0..3).map(|index| pems.tls(index)).collect();
    let mut nodes = Vec::new();
    for (index, identity) in tls.iter().enumerate() {
        nodes.push(start(index as u64 + 1, identity, folder.path()).await);
    }
    let members: BTreeMap<u64, String> = nodes
        .iter()
        .map(|node| (node.replica.node_id, node.address.clone()))
        .collect();
    nodes[0].replica.initialize(members).await.unwrap();
    eventually("a leader", || async {
        nodes[0].replica.raft.current_leader().await.is_some()
    })
    .await;

    // Genesis through a follower (forwarded), then commands through every node in turn.
    let operator = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let genesis = EntryBody::Genesis(Genesis {
        operator: operator.public_key(),
        config: LedgerConfig::default(),
    });
    let leader = nodes[0].replica.raft.current_leader().await.unwrap();
    let follower = nodes.iter().find(|node| node.replica.node_id != leader).unwrap();
    assert!(matches!(
        follower.replica.submit(genesis, true).await.unwrap(),
        LedgerReply::Applied { .. }
    ));
    for number in 0..30u64 {
        let node = &nodes[number as usize % 3];
        let reply = node.replica.submit(grant(&operator, number), true).await.unwrap();
        assert!(
            matches!(reply, LedgerReply::Applied { audit_index, .. } if audit_index == number + 1),
            "{reply:?}"
        );
    }
    // A replayed command is refused the same way everywhere.
    let refused = nodes[1].replica.submit(grant(&operator, 3), true).await.unwrap();
    assert!(matches!(refused, LedgerReply::Rejected { .. }), "{refused:?}");
    let all: Vec<&Node> = nodes.iter().collect();
    eventually("three nodes in agreement", || agree(&all)).await;
    // A current read on the leader sees every acknowledged command; a follower refers to it.
    let leader = nodes[0].replica.raft.current_leader().await.unwrap();
    for node in &nodes {
        let read = node.replica.read_current(|ledger| ledger.audit().size()).await;
        if node.replica.node_id == leader {
            assert_eq!(read, Ok(31));
        } else {
            assert_eq!(read, Err(sealbid_consensus::SubmitError::NotLeader));
        }
    }
    assert!(statuses(&all).await.iter().all(|status| status.audit_size == 31));

    // 300 commands at once, through a follower and the leader: each is its own audit entry with
    // its own receipt, and they share Raft entries (the follower forwards them in batched
    // requests, the leader proposes batches).
    let log_before = statuses(&all).await[0].last_applied.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for number in 100..400u64 {
        let replica = Arc::clone(&nodes[number as usize % 2].replica);
        let body = grant(&operator, number);
        tasks.spawn(async move { replica.submit(body, true).await });
    }
    let mut audit_indexes = Vec::new();
    while let Some(reply) = tasks.join_next().await {
        match reply.unwrap().unwrap() {
            LedgerReply::Applied { audit_index, .. } => audit_indexes.push(audit_index),
            refused => panic!("{refused:?}"),
        }
    }
    audit_indexes.sort_unstable();
    assert_eq!(audit_indexes, (31..331).collect::<Vec<u64>>(), "one audit entry each");
    eventually("three nodes in agreement", || agree(&all)).await;
    let log_entries = statuses(&all).await[0].last_applied.unwrap() - log_before;
    assert!(
        log_entries < 300,
        "300 commands in {log_entries} Raft entries: they were not batched"
    );
    assert!(statuses(&all).await.iter().all(|status| status.audit_size == 331));

    // A forwarded request that is not a postcard sequence of entry bodies is refused, 400, with
    // nothing proposed.
    let peer = sealbid_consensus::network::https_client(&tls[1]).unwrap();
    let leader_address = &nodes[(leader - 1) as usize].address;
    let log_before = statuses(&all).await[0].last_applied;
    for garbage in [&b"\xff\xff\xff\xff\xff"[..], &b""[..], &b"\x01"[..]] {
        let response = peer
            .post(format!(
                "https://{leader_address}{}",
                sealbid_consensus::network::paths::FORWARD
            ))
            .header("content-type", sealbid_consensus::wire::CONTENT_TYPE)
            .body(garbage.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::BAD_REQUEST, "{garbage:?}");
    }
    assert_eq!(statuses(&all).await[0].last_applied, log_before);
    assert!(statuses(&all).await.iter().all(|status| status.audit_size == 331));

    // The leader stops; the other two elect a new one and go on.
    let leader = nodes[0].replica.raft.current_leader().await.unwrap();
    let stopped = nodes.iter().position(|node| node.replica.node_id == leader).unwrap();
    let stopped = nodes.remove(stopped);
    stopped.replica.raft.shutdown().await.unwrap();
    stopped.server.stop(false).await;
    eventually("a new leader", || async {
        nodes[0]
            .replica
            .raft
            .current_leader()
            .await
            .is_some_and(|new| new != leader)
    })
    .await;
    for number in 30..40u64 {
        let reply = nodes[number as usize % 2]
            .replica
            .submit(grant(&operator, number), true)
            .await
            .unwrap();
        assert!(matches!(reply, LedgerReply::Applied { .. }), "{reply:?}");
    }
    let survivors: Vec<&Node> = nodes.iter().collect();
    eventually("the survivors in agreement", || agree(&survivors)).await;
    assert!(statuses(&survivors).await.iter().all(|status| status.audit_size == 341));
    for node in nodes {
        node.replica.raft.shutdown().await.unwrap();
        node.server.stop(false).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_whose_clock_is_off_the_leaders_knows_it_and_its_stamps_are_refused() {
    let folder = tempfile::tempdir().unwrap();
    let pems = crate::support::ClusterPems::generate(3);
    let tls: Vec<ClusterTls> = (0..3).map(|index| pems.tls(index)).collect();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    // Node 3's clock runs ten seconds ahead (and stands still: the test moves it).
    let skewed = Arc::new(sealbid_consensus::clock::ManualClock::new(now_ms() + 10_000));
    let mut nodes = vec![
        start(1, &tls[0], folder.path()).await,
        start(2, &tls[1], folder.path()).await,
    ];
    nodes.push(start_with_clock(3, &tls[2], folder.path(), Arc::clone(&skewed) as Arc<_>).await);
    // Node 1 starts alone and leads; the others join as learners and are made voters, so the
    // leader stays node 1 (whose clock is right).
    nodes[0]
        .replica
        .initialize(BTreeMap::from([(1, nodes[0].address.clone())]))
        .await
        .unwrap();
    eventually("node 1 leads", || async {
        nodes[0].replica.raft.current_leader().await == Some(1)
    })
    .await;
    for node in &nodes[1..] {
        nodes[0]
            .replica
            .add_learner(node.replica.node_id, node.address.clone())
            .await
            .unwrap();
    }
    nodes[0]
        .replica
        .change_voters([1, 2, 3].into_iter().collect())
        .await
        .unwrap();
    let operator = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
    let genesis = EntryBody::Genesis(Genesis {
        operator: operator.public_key(),
        config: LedgerConfig::default(),
    });
    assert!(matches!(
        nodes[0].replica.submit(genesis, true).await.unwrap(),
        LedgerReply::Applied { .. }
    ));
    let window_ms = LedgerConfig::default().arrival_window_ms;

    eventually("node 3 finds its clock off", || async {
        nodes[2]
            .replica
            .clock_offset_ms()
            .is_some_and(|offset| offset > window_ms)
    })
    .await;
    eventually("node 2 finds its clock in step", || async {
        nodes[1]
            .replica
            .clock_offset_ms()
            .is_some_and(|offset| offset <= window_ms)
    })
    .await;
    assert_eq!(
        nodes[0].replica.clock_offset_ms(),
        Some(0),
        "the leader is its own reference"
    );

    // What node 3 stamps, the leader refuses unproposed; node 2's goes through.
    let size = nodes[0].replica.applied_audit_size();
    match nodes[2].replica.submit(grant(&operator, 1), true).await {
        Err(SubmitError::ArrivalOutOfWindow { node_id: 3, .. }) => {}
        other => panic!("a stamp ten seconds ahead is refused: {other:?}"),
    }
    assert_eq!(nodes[0].replica.applied_audit_size(), size);
    assert!(matches!(
        nodes[1].replica.submit(grant(&operator, 2), true).await.unwrap(),
        LedgerReply::Applied { .. }
    ));

    // Its clock set right, node 3 is in step again and its commands go through.
    skewed.set(now_ms());
    eventually("node 3 back in step", || async {
        nodes[2]
            .replica
            .clock_offset_ms()
            .is_some_and(|offset| offset <= window_ms)
    })
    .await;
    skewed.set(now_ms());
    assert!(matches!(
        nodes[2].replica.submit(grant(&operator, 3), true).await.unwrap(),
        LedgerReply::Applied { .. }
    ));
    for node in nodes {
        node.replica.raft.shutdown().await.unwrap();
        node.server.stop(false).await;
    }
}
