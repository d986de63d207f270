//! Three node processes on 127.0.0.1: a tender with 1,000 sealed bids is submitted while the
//! leader is killed with SIGKILL half-way; a new leader takes over, every acknowledged bid is on
//! both survivors with equal state hashes, and the killed node restarts from its database and
//! catches up (through a snapshot, since the leader purges its log behind snapshots).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use sealbid_consensus::{LedgerReply, ReplicaStatus, SubmitError};
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeParameters, Dealing, KnowledgeProof, Response as DkgResponse};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::OpeningKey;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{
    Action, Command, EntryBody, Genesis, LedgerConfig, LotSpec, Offer, TenderSpec, encryption_key_statement,
};
use sealbid_ledger::events::Response;
use sealbid_ledger::types::{Fen, LotId, Market, Role};

use crate::support::ClusterPems;

/// Bidders and lots: every bidder bids once on every lot.
const BIDDERS: usize = 100;
const LOTS: usize = 10;
/// Bids in flight at once.
const CONCURRENCY: usize = 16;

/// One node process and how to start it again.
pub struct NodeProcess {
    pub node_id: u64,
    pub address: String,
    arguments: Vec<String>,
    /// The running process; behind a lock so a test can kill and restart nodes while it
    /// shares the cluster with the code submitting bids.
    child: std::sync::Mutex<Option<Child>>,
}

impl NodeProcess {
    pub fn spawn(&self) {
        let child = Process::new(env!("CARGO_BIN_EXE_sealbid-replica"))
            .args(&self.arguments)
            .spawn()
            .unwrap();
        *self.child.lock().unwrap() = Some(child);
    }

    /// SIGKILL, no goodbye.
    pub fn kill(&self) {
        if let Some(mut child) = self.child.lock().unwrap_or_else(|poison| poison.into_inner()).take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// The process id, while the node runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.lock().unwrap().as_ref().map(Child::id)
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free port on 127.0.0.1 (released before the node binds it).
fn free_address() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

fn write(folder: &Path, name: &str, text: &str) -> PathBuf {
    let path = folder.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Signs commands with fresh nonces.
pub struct Signer {
    next_nonce: u64,
}

impl Signer {
    pub fn command(&mut self, key: &IdentityKeyPair, action: Action) -> EntryBody {
        self.next_nonce += 1;
        let command = Command {
            nonce: self.next_nonce,
            expires_at_ms: now_ms() + 30 * 60 * 1000,
            action,
        };
        // The receiving node stamps the arrival; the stamp sent here is replaced.
        EntryBody::command(SignedMessage::sign(key, &command).unwrap(), 0, 0)
    }
}

/// A client of the cluster, as an operator's tool would be.
#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub addresses: Arc<Vec<String>>,
}

impl Client {
    /// Submits through node `start`, trying the others on connection errors (bounded).
    pub async fn submit(&self, body: &EntryBody, start: usize) -> Option<LedgerReply> {
        for attempt in 0..30 {
            let address = &self.addresses[(start + attempt) % self.addresses.len()];
            let sent = self
                .http
                .post(format!("https://{address}/cluster/submit"))
                .json(body)
                .send()
                .await;
            let Ok(response) = sent else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            match response.json::<Result<LedgerReply, SubmitError>>().await {
                Ok(Ok(reply)) => return Some(reply),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        None
    }

    pub async fn status(&self, address: &str) -> Option<ReplicaStatus> {
        let response = self
            .http
            .get(format!("https://{address}/cluster/status"))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// Polls until every node in `addresses` reports the same applied state, for at most 60 s.
    pub async fn agreement(&self, addresses: &[String]) -> Vec<ReplicaStatus> {
        for _ in 0..300 {
            let mut all = Vec::new();
            for address in addresses {
                all.extend(self.status(address).await);
            }
            let same = all.len() == addresses.len()
                && all.windows(2).all(|pair| {
                    pair[0].state_hash == pair[1].state_hash && pair[0].last_applied == pair[1].last_applied
                });
            if same {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let mut last = Vec::new();
        for address in addresses {
            last.push(self.status(address).await);
        }
        panic!("nodes {addresses:?} did not agree within a minute: {last:?}");
    }
}

pub fn applied(reply: Option<LedgerReply>) -> Response {
    match reply {
        Some(LedgerReply::Applied { response, .. }) => response,
        other => panic!("expected an applied command, got {other:?}"),
    }
}

/// Node processes on 127.0.0.1 with their files, and a client holding its own identity.
pub struct Cluster {
    pub folder: tempfile::TempDir,
    pub nodes: Vec<NodeProcess>,
    pub client: Client,
}

impl Cluster {
    /// Starts `voters` nodes as a new cluster and prepares (without starting) `spare` more.
    pub async fn start(voters: usize, spare: usize) -> Self {
        Self::start_with_snapshots_every(voters, spare, 200).await
    }

    /// As [`Cluster::start`], with each node taking a snapshot every `snapshot_every` entries.
    pub async fn start_with_snapshots_every(voters: usize, spare: usize, snapshot_every: u64) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let count = voters + spare;
        let pems = ClusterPems::generate(count + 1);
        let authority = write(folder.path(), "authority.pem", &pems.0.authority);
        let addresses: Vec<String> = (0..count).map(|_| free_address()).collect();
        let members: Vec<String> = addresses
            .iter()
            .take(voters)
            .enumerate()
            .map(|(index, address)| format!("{}={address}", index + 1))
            .collect();
        let nodes: Vec<NodeProcess> = (0..count)
            .map(|index| {
                let certificate = write(folder.path(), &format!("node-{index}.pem"), &pems.0.identities[index].0);
                let key = write(folder.path(), &format!("node-{index}.key"), &pems.0.identities[index].1);
                let database = folder.path().join(format!("node-{index}.sqlite"));
                let mut arguments: Vec<String> = [
                    ("--id", (index + 1).to_string()),
                    ("--listen", addresses[index].clone()),
                    ("--database", database.display().to_string()),
                    ("--certificate", certificate.display().to_string()),
                    ("--key", key.display().to_string()),
                    ("--authority", authority.display().to_string()),
                    ("--snapshot-every", snapshot_every.to_string()),
                ]
                .into_iter()
                .flat_map(|(name, value)| [name.to_string(), value])
                .collect();
                if index == 0 {
                    arguments.extend(["--initialize".to_string(), members.join(",")]);
                }
                NodeProcess {
                    node_id: index as u64 + 1,
                    address: addresses[index].clone(),
                    arguments,
                    child: std::sync::Mutex::new(None),
                }
            })
            .collect();
        for node in nodes.iter().take(voters) {
            node.spawn();
        }
        let http = sealbid_consensus::network::https_client(&pems.tls(count)).unwrap();
        let client = Client {
            http,
            addresses: Arc::new(addresses[..voters].to_vec()),
        };
        for _ in 0..100 {
            if client
                .status(&addresses[0])
                .await
                .and_then(|status| status.leader)
                .is_some()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Self { folder, nodes, client }
    }

    /// The address of the leader, as node 1 or 2 sees it.
    pub async fn leader(&self) -> u64 {
        for _ in 0..100 {
            for node in self.nodes.iter().filter(|node| node.pid().is_some()) {
                if let Some(leader) = self.client.status(&node.address).await.and_then(|status| status.leader) {
                    return leader;
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("no leader");
    }

    /// Posts an operator request to the leader.
    async fn operate<T: serde::Serialize>(&self, path: &str, request: &T) {
        let leader = self.leader().await;
        let address = &self.nodes[(leader - 1) as usize].address;
        let response = self
            .client
            .http
            .post(format!("https://{address}{path}"))
            .json(request)
            .send()
            .await
            .unwrap();
        let result: Result<(), SubmitError> = response.json().await.unwrap();
        result.unwrap();
    }
}

/// A published tender with its committee key, and registered bidders. The committee's data is
/// kept for the cluster benchmark, which also opens and awards the tender.
#[allow(dead_code)]
pub struct Scene {
    pub signer: Signer,
    pub office: IdentityKeyPair,
    pub members: Vec<(IdentityKeyPair, OpeningKey)>,
    pub parameters: CommitteeParameters,
    pub dealings: Vec<Dealing>,
    pub responses: Vec<DkgResponse>,
    pub tender: sealbid_ledger::types::TenderId,
    pub opening_key: sealbid_crypto::curve::CurvePoint,
    pub lots: usize,
    pub bidders: Vec<IdentityKeyPair>,
}

impl Scene {
    /// Genesis, an office, a 2-of-3 committee that generates the key, a tender of LOTS lots and
    /// BIDDERS registered bidders, all through the cluster.
    pub async fn set_up(client: &Client, lots: usize, bidders: usize) -> Self {
        let mut signer = Signer { next_nonce: 0 };
        let operator = IdentityKeyPair::from_seed(&[1; 32]).unwrap();
        let office = IdentityKeyPair::from_seed(&[2; 32]).unwrap();
        let genesis = EntryBody::Genesis(Genesis {
            operator: operator.public_key(),
            config: LedgerConfig::default(),
        });
        applied(client.submit(&genesis, 0).await);
        let grant = signer.command(
            &operator,
            Action::GrantRole {
                actor: office.public_key(),
                role: Role::Office,
                name: "office".into(),
            },
        );
        applied(client.submit(&grant, 1).await);
        let members: Vec<(IdentityKeyPair, OpeningKey)> = (0..3u8)
            .map(|index| {
                let identity = IdentityKeyPair::from_seed(&[10 + index; 32]).unwrap();
                (
                    identity,
                    OpeningKey::new(CurveScalar::from_bytes(&[20 + index; 32]).unwrap()),
                )
            })
            .collect();
        for (identity, encryption) in &members {
            let grant = signer.command(
                &operator,
                Action::GrantRole {
                    actor: identity.public_key(),
                    role: Role::CommitteeMember,
                    name: "member".into(),
                },
            );
            applied(client.submit(&grant, 0).await);
            let statement = encryption_key_statement(&identity.public_key()).unwrap();
            let proof = KnowledgeProof::create(encryption.secret(), &statement, &SystemRandom::new()).unwrap();
            let register = signer.command(
                identity,
                Action::RegisterEncryptionKey {
                    encryption_key: encryption.public_point(),
                    proof,
                },
            );
            applied(client.submit(&register, 2).await);
        }
        let lot_count = lots;
        let lots: Vec<LotSpec> = (0..lot_count)
            .map(|index| LotSpec {
                id: LotId::parse(&index.to_string()).unwrap(),
                title: format!("lot {index}"),
                quantity_tonnes: None,
                lot_size_tonnes_min: None,
                ceiling_price_fen: None,
            })
            .collect();
        let spec = TenderSpec {
            title: "road maintenance".into(),
            market: Market::Construction,
            lots,
            deadline_ms: now_ms() + 60 * 60 * 1000,
            notice_period_ms: 1_000,
            valid_bids_min: 3,
            committee: members.iter().map(|(identity, _)| identity.public_key()).collect(),
            threshold: 2,
            bid_validity_days: None,
        };
        let publish = signer.command(&office, Action::PublishTender(spec));
        let Response::TenderPublished { tender } = applied(client.submit(&publish, 0).await) else {
            panic!()
        };
        let parameters = CommitteeParameters {
            session: tender.to_string(),
            threshold: 2,
            member_keys: members
                .iter()
                .map(|(_, encryption)| encryption.public_point())
                .collect(),
        };
        let dealings: Vec<Dealing> = (1..=3)
            .map(|dealer| Dealing::create(&parameters, dealer, &SystemRandom::new()).unwrap())
            .collect();
        for (dealing, (identity, _)) in dealings.iter().zip(&members) {
            let deal = signer.command(
                identity,
                Action::Deal {
                    tender: tender.clone(),
                    dealing: dealing.clone(),
                },
            );
            applied(client.submit(&deal, 1).await);
        }
        let mut opening_key = None;
        let mut responses = Vec::new();
        for (member, (identity, encryption)) in (1..=3).zip(&members) {
            let response =
                DkgResponse::create(&parameters, member, encryption, &dealings, &SystemRandom::new()).unwrap();
            responses.push(response.clone());
            let respond = signer.command(
                identity,
                Action::Respond {
                    tender: tender.clone(),
                    response,
                },
            );
            if let Response::KeyGenerationFinished { opening_key: key } = applied(client.submit(&respond, 2).await) {
                opening_key = Some(key);
            }
        }
        let bidder_count = bidders;
        let bidders: Vec<IdentityKeyPair> = (0..bidder_count)
            .map(|index| {
                let mut seed = [7u8; 32];
                seed[..8].copy_from_slice(&(index as u64).to_be_bytes());
                IdentityKeyPair::from_seed(&seed).unwrap()
            })
            .collect();
        // The operator is the registrar here too: it approves each bidder's application.
        let registrar = signer.command(
            &operator,
            Action::GrantRole {
                actor: operator.public_key(),
                role: Role::Registrar,
                name: "registration desk".into(),
            },
        );
        applied(client.submit(&registrar, 0).await);
        for (index, bidder) in bidders.iter().enumerate() {
            let register = signer.command(
                bidder,
                Action::RegisterBidder {
                    organisation: format!("Bidder {index}"),
                    credit_code: credit_code(index),
                },
            );
            applied(client.submit(&register, index).await);
            let approve = signer.command(
                &operator,
                Action::ApproveBidder {
                    bidder: bidder.public_key(),
                },
            );
            applied(client.submit(&approve, index).await);
        }
        Self {
            signer,
            office,
            members,
            parameters,
            dealings,
            responses,
            tender,
            opening_key: opening_key.expect("the key generation finished"),
            lots: lot_count,
            bidders,
        }
    }

    /// One sealed bid per bidder and lot, signed.
    pub fn bids(&mut self) -> Vec<EntryBody> {
        let mut bids = Vec::with_capacity(self.lots * self.bidders.len());
        for lot in 0..self.lots {
            for (number, key) in self.bidders.iter().enumerate() {
                let lot_id = LotId::parse(&lot.to_string()).unwrap();
                let offer = Offer {
                    tender: self.tender.clone(),
                    lot: lot_id.clone(),
                    bidder: key.public_key(),
                    price_fen: Fen::new(1_000 + number as u64).unwrap(),
                    quantity_tonnes: None,
                };
                let envelope = offer.seal(&self.opening_key, &SystemRandom::new()).unwrap();
                let action = Action::SubmitBid {
                    tender: self.tender.clone(),
                    lot: lot_id,
                    envelope_sha256: envelope.sha256().unwrap(),
                };
                bids.push(self.signer.command(key, action).with_envelope(envelope));
            }
        }
        bids
    }
}

/// An acknowledged bid: its audit-log index and leaf hash, as the reply gave them.
type Acknowledged = (u64, sealbid_crypto::merkle::Hash);

/// Submits `bids` CONCURRENCY at a time; calls `between` before each round with its number.
/// Returns the bids acknowledged as accepted.
async fn submit_all<F, Fut>(client: &Client, bids: &[EntryBody], mut between: F) -> Vec<Acknowledged>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut acknowledged = Vec::new();
    for (round, chunk) in bids.chunks(CONCURRENCY).enumerate() {
        between(round).await;
        let mut tasks = tokio::task::JoinSet::new();
        for (offset, body) in chunk.iter().enumerate() {
            let (client, body) = (client.clone(), body.clone());
            tasks.spawn(async move { client.submit(&body, offset).await });
        }
        while let Some(reply) = tasks.join_next().await {
            if let Some(LedgerReply::Applied {
                response: Response::BidAccepted { .. },
                audit_index,
                leaf_hash,
                ..
            }) = reply.unwrap()
            {
                acknowledged.push((audit_index, leaf_hash));
            }
        }
    }
    acknowledged
}

/// Asserts that node `index`'s database holds every acknowledged bid as the same audit-log
/// leaf, and the entry itself in its history. Nodes write these shortly after applying, and a
/// node caught up through a snapshot fetches the history it missed, so this waits up to 10 s.
async fn assert_holds_every_acknowledged_bid(cluster: &Cluster, index: usize, acknowledged: &[Acknowledged]) {
    let path = cluster.folder.path().join(format!("node-{index}.sqlite"));
    let pool = sealbid_consensus::open_database(&path).await.unwrap();
    let mut missing = Vec::new();
    for _ in 0..50 {
        let rows = sqlx::query("SELECT node_index, hash FROM audit_node WHERE level = 0")
            .fetch_all(&pool)
            .await
            .unwrap();
        let leaves: std::collections::HashMap<i64, Vec<u8>> = rows
            .iter()
            .map(|row| (sqlx::Row::get(row, "node_index"), sqlx::Row::get(row, "hash")))
            .collect();
        let entries = sqlx::query("SELECT audit_index, entry FROM audit_entry")
            .fetch_all(&pool)
            .await
            .unwrap();
        let history: std::collections::HashMap<i64, sealbid_crypto::merkle::Hash> = entries
            .iter()
            .map(|row| {
                let bytes: Vec<u8> = sqlx::Row::get(row, "entry");
                (
                    sqlx::Row::get(row, "audit_index"),
                    sealbid_crypto::merkle::leaf_hash(&bytes),
                )
            })
            .collect();
        missing = acknowledged
            .iter()
            .filter(|(audit_index, leaf_hash)| {
                let index = *audit_index as i64;
                leaves.get(&index).map(Vec::as_slice) != Some(leaf_hash.0.as_slice())
                    || history.get(&index) != Some(leaf_hash)
            })
            .copied()
            .collect();
        if missing.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!(
        "node {} lacks {} acknowledged bids, first {:?}",
        index + 1,
        missing.len(),
        missing.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_bids_survive_killing_the_leader() {
    let cluster = Cluster::start(3, 0).await;
    let mut scene = Scene::set_up(&cluster.client, LOTS, BIDDERS).await;
    let bids = scene.bids();
    let client = cluster.client.clone();
    let leader = cluster.leader().await;
    let killed = (leader - 1) as usize;
    let acknowledged = submit_all(&client, &bids, |round| {
        if round == 31 {
            cluster.nodes[killed].kill();
        }
        async {}
    })
    .await;
    let survivors: Vec<String> = cluster
        .nodes
        .iter()
        .filter(|node| node.pid().is_some())
        .map(|node| node.address.clone())
        .collect();
    let statuses = client.agreement(&survivors).await;
    assert!(
        acknowledged.len() >= 990,
        "only {} of 1000 bids were acknowledged",
        acknowledged.len()
    );
    assert!(
        statuses[0].bids >= acknowledged.len() && statuses[0].bids <= 1000,
        "{} bids held, {} acknowledged",
        statuses[0].bids,
        acknowledged.len()
    );
    assert_ne!(statuses[0].leader, Some(leader));
    for index in (0..3).filter(|index| *index != killed) {
        assert_holds_every_acknowledged_bid(&cluster, index, &acknowledged).await;
    }

    // The leader's log no longer reaches back to where the killed node stopped: catching up
    // needs a snapshot.
    let log_bound = |index: usize, query: &'static str| {
        let path = cluster.folder.path().join(format!("node-{index}.sqlite"));
        async move {
            let pool = sealbid_consensus::open_database(&path).await.unwrap();
            let row = sqlx::query(query).fetch_one(&pool).await.unwrap();
            sqlx::Row::get::<Option<i64>, _>(&row, 0).unwrap_or(0)
        }
    };
    let killed_last = log_bound(killed, "SELECT MAX(log_index) FROM raft_log").await;
    let new_leader = statuses[0].leader.unwrap() as usize - 1;
    let leader_first = log_bound(new_leader, "SELECT MIN(log_index) FROM raft_log").await;
    assert!(
        leader_first > killed_last + 1,
        "leader's log starts at {leader_first}; the killed node stopped at {killed_last}"
    );

    // The killed node restarts from its database and catches up.
    cluster.nodes[killed].spawn();
    let addresses: Vec<String> = cluster.nodes.iter().map(|node| node.address.clone()).collect();
    let everyone = client.agreement(&addresses).await;
    assert_eq!(everyone[0].bids, statuses[0].bids);
    assert_holds_every_acknowledged_bid(&cluster, killed, &acknowledged).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn membership_grows_to_five_and_back_to_three_while_bids_flow_and_a_follower_is_killed() {
    let cluster = Cluster::start(3, 2).await;
    let mut scene = Scene::set_up(&cluster.client, LOTS, BIDDERS).await;
    let bids = scene.bids();
    for node in cluster.nodes.iter().skip(3) {
        node.spawn();
    }
    let client = cluster.client.clone();
    let learners: Vec<(u64, String)> = cluster
        .nodes
        .iter()
        .skip(3)
        .map(|node| (node.node_id, node.address.clone()))
        .collect();
    let follower = std::sync::Mutex::new(None);
    let voter_ids = |status: &ReplicaStatus| status.voters.clone();
    let acknowledged = submit_all(&client, &bids, |round| {
        let (cluster, learners, follower) = (&cluster, learners.clone(), &follower);
        async move {
            match round {
                10 => {
                    for (node_id, address) in learners {
                        let learner = sealbid_consensus::server::Learner { node_id, address };
                        cluster
                            .operate(sealbid_consensus::network::paths::LEARNERS, &learner)
                            .await;
                    }
                }
                20 => {
                    cluster
                        .operate(
                            sealbid_consensus::network::paths::VOTERS,
                            &BTreeSet::from([1u64, 2, 3, 4, 5]),
                        )
                        .await;
                    let status = cluster.client.status(&cluster.nodes[0].address).await.unwrap();
                    assert_eq!(voter_ids(&status), BTreeSet::from([1, 2, 3, 4, 5]));
                }
                25 => {
                    // Kill -9 a follower among nodes 1-3 in the middle of the writes.
                    let leader = cluster.leader().await;
                    let index = (0..3).find(|index| *index as u64 + 1 != leader).unwrap();
                    cluster.nodes[index].kill();
                    *follower.lock().unwrap() = Some(index);
                }
                32 => {
                    let index = follower.lock().unwrap().unwrap();
                    cluster.nodes[index].spawn();
                }
                40 => {
                    cluster
                        .operate(sealbid_consensus::network::paths::VOTERS, &BTreeSet::from([1u64, 2, 3]))
                        .await
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(
        acknowledged.len() >= 990,
        "only {} of 1000 bids were acknowledged",
        acknowledged.len()
    );
    let voters: Vec<String> = cluster.nodes.iter().take(3).map(|node| node.address.clone()).collect();
    let statuses = client.agreement(&voters).await;
    assert!(statuses[0].bids >= acknowledged.len() && statuses[0].bids <= 1000);
    assert!(statuses[0].leader.is_some_and(|leader| leader <= 3));
    assert_eq!(voter_ids(&statuses[0]), BTreeSet::from([1, 2, 3]));
    // The follower killed mid-writes reopened its database, rejoined and holds every bid.
    for index in 0..3 {
        assert_holds_every_acknowledged_bid(&cluster, index, &acknowledged).await;
    }
}

/// A valid unified social credit code for bidder `index`.
fn credit_code(index: usize) -> String {
    sealbid_ledger::credit_code::CreditCode::from_parts('9', '1', "350100", &format!("MA{index:06}"))
        .unwrap()
        .as_str()
        .to_string()
}

/// Sends `signal` (by name, through the shell's `kill`) to node `index`'s process.
fn signal(cluster: &Cluster, index: usize, name: &str) {
    let pid = cluster.nodes[index].pid().expect("the node runs");
    let sent = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{name} {pid}")])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_forwarded_to_a_paused_leader_go_to_the_new_one() {
    let cluster = Cluster::start(3, 0).await;
    let mut scene = Scene::set_up(&cluster.client, LOTS, BIDDERS).await;
    let bids: Vec<EntryBody> = scene.bids().into_iter().take(400).collect();
    let leader = cluster.leader().await;
    let paused = (leader - 1) as usize;
    // Bids go through the two followers only, which forward them to the leader.
    let followers = Client {
        http: cluster.client.http.clone(),
        addresses: Arc::new(
            cluster
                .nodes
                .iter()
                .filter(|node| node.node_id != leader)
                .map(|node| node.address.clone())
                .collect(),
        ),
    };
    let mut slowest = Duration::ZERO;
    let mut acknowledged = 0;
    for (round, chunk) in bids.chunks(CONCURRENCY).enumerate() {
        match round {
            // The leader stops (SIGSTOP) with these bids forwarded to it: its connections stay
            // open and nothing answers.
            5 => signal(&cluster, paused, "STOP"),
            20 => signal(&cluster, paused, "CONT"),
            _ => {}
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (offset, body) in chunk.iter().enumerate() {
            let (client, body) = (followers.clone(), body.clone());
            tasks.spawn(async move {
                let started = std::time::Instant::now();
                let reply = client.submit(&body, offset).await;
                (reply, started.elapsed())
            });
        }
        while let Some(answer) = tasks.join_next().await {
            let (reply, took) = answer.unwrap();
            slowest = slowest.max(took);
            match reply {
                Some(LedgerReply::Applied { .. }) => acknowledged += 1,
                // Sent again to the new leader after the old one had taken it: the first copy's.
                Some(LedgerReply::Rejected {
                    first_audit_index: Some(_),
                    ..
                }) => acknowledged += 1,
                other => panic!("round {round}: {other:?}"),
            }
        }
    }
    assert_eq!(acknowledged, bids.len());
    // Nobody waited for the 60 s reply timeout: forwards to the paused leader were given up as
    // soon as the followers elected another (a bound far above the election, far below the
    // timeout).
    assert!(slowest < Duration::from_secs(15), "a bid waited {slowest:?}");
    let addresses: Vec<String> = cluster.nodes.iter().map(|node| node.address.clone()).collect();
    let statuses = cluster.client.agreement(&addresses).await;
    assert_ne!(statuses[0].leader, Some(leader));
    assert_eq!(statuses[0].bids, bids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposed_leader_caught_up_through_a_snapshot_answers_the_commands_it_had_taken() {
    // A snapshot every 5 log entries, the log purged behind it: a node that misses a few rounds
    // can only catch up through a snapshot.
    let cluster = Cluster::start_with_snapshots_every(3, 0, 5).await;
    let mut scene = Scene::set_up(&cluster.client, LOTS, BIDDERS).await;
    let bids: Vec<EntryBody> = scene.bids().into_iter().take(400).collect();
    let (to_leader, to_followers) = bids.split_at(200);
    let leader = cluster.leader().await;
    let paused = (leader - 1) as usize;
    let only = |addresses: Vec<String>| Client {
        http: cluster.client.http.clone(),
        addresses: Arc::new(addresses),
    };
    let leader_client = only(vec![cluster.nodes[paused].address.clone()]);
    let followers: Vec<String> = cluster
        .nodes
        .iter()
        .filter(|node| node.node_id != leader)
        .map(|node| node.address.clone())
        .collect();
    let followers_client = only(followers.clone());

    // The leader takes bids CONCURRENCY at a time, its own clients' commands proposed by it;
    // once 50 are acknowledged it stops (SIGSTOP) with the next ones in flight.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let sender = {
        let (client, bids, acknowledged) = (leader_client.clone(), to_leader.to_vec(), Arc::clone(&acknowledged));
        tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            let mut answered_at = Vec::new();
            let mut take_answer = |answer: Result<(Option<LedgerReply>, std::time::Instant), _>| {
                let (reply, at): (Option<LedgerReply>, std::time::Instant) = answer.unwrap();
                assert!(is_acknowledged(&reply), "{reply:?}");
                acknowledged.fetch_add(1, Ordering::SeqCst);
                answered_at.push(at);
            };
            for body in bids {
                if tasks.len() == CONCURRENCY {
                    take_answer(tasks.join_next().await.unwrap());
                }
                let client = client.clone();
                tasks.spawn(async move { (client.submit(&body, 0).await, std::time::Instant::now()) });
            }
            while let Some(answer) = tasks.join_next().await {
                take_answer(answer);
            }
            answered_at.into_iter().max()
        })
    };
    for _ in 0..600 {
        if acknowledged.load(Ordering::SeqCst) >= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(acknowledged.load(Ordering::SeqCst) >= 50, "the leader took no bids");
    signal(&cluster, paused, "STOP");
    let stopped_at = acknowledged.load(Ordering::SeqCst);

    // The two others elect a leader and go on far past the paused one's log: more than 5 rounds
    // one after another, so more than 5 log entries, a snapshot and a purge.
    let mut new_leader = None;
    for _ in 0..100 {
        if let Some(status) = cluster.client.status(&followers[0]).await
            && status.leader.is_some_and(|known| known != leader)
        {
            new_leader = status.leader;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let new_leader = new_leader.expect("the followers elected no new leader");
    let new_leader_address = &cluster.nodes[(new_leader - 1) as usize].address;
    // The paused node's log agrees with the new leader's at most up to here.
    let elected_at = cluster
        .client
        .status(new_leader_address)
        .await
        .unwrap()
        .last_applied
        .unwrap();
    for (round, chunk) in to_followers.chunks(CONCURRENCY).enumerate() {
        let mut tasks = tokio::task::JoinSet::new();
        for (offset, body) in chunk.iter().enumerate() {
            let (client, body) = (followers_client.clone(), body.clone());
            tasks.spawn(async move { client.submit(&body, offset).await });
        }
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.unwrap();
            assert!(is_acknowledged(&reply), "round {round}: {reply:?}");
        }
    }
    // The snapshot past the rounds is built, and the log purged behind it, in the background:
    // wait for it (at most 10 s).
    let mut purged_to = None;
    for _ in 0..100 {
        purged_to = cluster.client.status(new_leader_address).await.unwrap().log_purged_to;
        if purged_to.is_some_and(|purged| purged > elected_at + 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        purged_to.is_some_and(|purged| purged > elected_at + 1),
        "the new leader's log must be purged past the paused node's ({purged_to:?}, elected at {elected_at}): \
         only a snapshot can catch it up"
    );
    assert!(
        acknowledged.load(Ordering::SeqCst) < 200,
        "some of the paused leader's commands are still waiting ({stopped_at} answered before the pause)"
    );

    // The old leader resumes, learns it was deposed, installs a snapshot, and answers every
    // command it had taken: each sent on to the new leader (a copy it had already had applied
    // gets the earlier receipt), none left to the 60 s reply timeout.
    let resumed = std::time::Instant::now();
    signal(&cluster, paused, "CONT");
    let last_answered = sender.await.unwrap().expect("answers after the pause");
    assert_eq!(acknowledged.load(Ordering::SeqCst), 200);
    let waited = last_answered.saturating_duration_since(resumed);
    assert!(
        waited < Duration::from_secs(15),
        "the last answer came {waited:?} after the resumption"
    );
    let addresses: Vec<String> = cluster.nodes.iter().map(|node| node.address.clone()).collect();
    let statuses = cluster.client.agreement(&addresses).await;
    assert_eq!(statuses[0].bids, bids.len());
    assert_eq!(statuses[0].leader, Some(new_leader));
}

/// A bid's reply that acknowledges it: applied, or refused as a copy of one applied before.
fn is_acknowledged(reply: &Option<LedgerReply>) -> bool {
    matches!(
        reply,
        Some(LedgerReply::Applied { .. })
            | Some(LedgerReply::Rejected {
                first_audit_index: Some(_),
                ..
            })
    )
}
