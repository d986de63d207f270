//! Three node processes on 127.0.0.1: a tender with 1,000 sealed bids is submitted while the
//! leader is killed with SIGKILL half-way; a new leader takes over, every acknowledged bid is on
//! both survivors with equal state hashes, and the killed node restarts from its database and
//! catches up (through a snapshot, since the leader purges its log behind snapshots).

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ring::rand::SystemRandom;
use sealbid_consensus::{LedgerReply, ReplicaStatus, SubmitError};
use sealbid_crypto::curve::CurveScalar;
use sealbid_crypto::dkg::{CommitteeParameters, Dealing, KnowledgeProof, Response as DkgResponse};
use sealbid_crypto::encoding::to_canonical;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::{OpeningKey, SealContext, seal};
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
struct NodeProcess {
    node_id: u64,
    address: String,
    arguments: Vec<String>,
    child: Option<Child>,
}

impl NodeProcess {
    fn spawn(&mut self) {
        let child = Process::new(env!("CARGO_BIN_EXE_sealbid-replica"))
            .args(&self.arguments)
            .spawn()
            .unwrap();
        self.child = Some(child);
    }

    /// SIGKILL, no goodbye.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
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

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

/// Signs commands with fresh nonces.
struct Signer {
    next_nonce: u64,
}

impl Signer {
    fn command(&mut self, key: &IdentityKeyPair, action: Action) -> EntryBody {
        self.next_nonce += 1;
        let command = Command {
            nonce: self.next_nonce,
            expires_at_ms: now_ms() + 30 * 60 * 1000,
            action,
        };
        EntryBody::Command(SignedMessage::sign(key, &command).unwrap())
    }
}

/// A client of the cluster, as an operator's tool would be.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    addresses: Arc<Vec<String>>,
}

impl Client {
    /// Submits through node `start`, trying the others on connection errors (bounded).
    async fn submit(&self, body: &EntryBody, start: usize) -> Option<LedgerReply> {
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

    async fn status(&self, address: &str) -> Option<ReplicaStatus> {
        let response = self
            .http
            .get(format!("https://{address}/cluster/status"))
            .send()
            .await
            .ok()?;
        response.json().await.ok()
    }

    /// Polls until every node in `addresses` reports the same applied state, for at most 60 s.
    async fn agreement(&self, addresses: &[String]) -> Vec<ReplicaStatus> {
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

fn applied(reply: Option<LedgerReply>) -> Response {
    match reply {
        Some(LedgerReply::Applied { response, .. }) => response,
        other => panic!("expected an applied command, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_bids_survive_killing_the_leader() {
    let folder = tempfile::tempdir().unwrap();
    let pems = ClusterPems::generate(4);
    let authority = write(folder.path(), "authority.pem", &pems.authority);
    let addresses: Vec<String> = (0..3).map(|_| free_address()).collect();
    let members = addresses
        .iter()
        .enumerate()
        .map(|(index, address)| format!("{}={address}", index + 1))
        .collect::<Vec<_>>();
    let mut nodes: Vec<NodeProcess> = (0..3)
        .map(|index| {
            let certificate = write(folder.path(), &format!("node-{index}.pem"), &pems.identities[index].0);
            let key = write(folder.path(), &format!("node-{index}.key"), &pems.identities[index].1);
            let mut arguments = vec![
                "--id".into(),
                (index + 1).to_string(),
                "--listen".into(),
                addresses[index].clone(),
                "--database".into(),
                folder.path().join(format!("node-{index}.sqlite")).display().to_string(),
                "--certificate".into(),
                certificate.display().to_string(),
                "--key".into(),
                key.display().to_string(),
                "--authority".into(),
                authority.display().to_string(),
                "--snapshot-every".into(),
                "200".into(),
            ];
            if index == 0 {
                arguments.extend(["--initialize".to_string(), members.join(",")]);
            }
            NodeProcess {
                node_id: index as u64 + 1,
                address: addresses[index].clone(),
                arguments,
                child: None,
            }
        })
        .collect();
    for node in &mut nodes {
        node.spawn();
    }
    let http = sealbid_consensus::network::https_client(&pems.tls(3)).unwrap();
    let client = Client {
        http,
        addresses: Arc::new(addresses.clone()),
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

    // The scene: operator, office, a 2-of-3 committee with its key, bidders, a tender of 10 lots.
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
            (
                IdentityKeyPair::from_seed(&[10 + index; 32]).unwrap(),
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
    let lots: Vec<LotSpec> = (0..LOTS)
        .map(|index| LotSpec {
            id: LotId::parse(&index.to_string()).unwrap(),
            title: format!("lot {index}"),
            quantity_tonnes: None,
            lot_size_tonnes_min: None,
        })
        .collect();
    let spec = TenderSpec {
        title: "road maintenance".into(),
        market: Market::Construction,
        lots,
        deadline_ms: now_ms() + 60 * 60 * 1000,
        notice_period_ms: 60_000,
        valid_bids_min: 3,
        committee: members.iter().map(|(identity, _)| identity.public_key()).collect(),
        threshold: 2,
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
    for (member, (identity, encryption)) in (1..=3).zip(&members) {
        let response = DkgResponse::create(&parameters, member, encryption, &dealings, &SystemRandom::new()).unwrap();
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
    let opening_key = opening_key.expect("the key generation finished");
    let bidders: Vec<IdentityKeyPair> = (0..BIDDERS)
        .map(|index| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(index as u64).to_be_bytes());
            IdentityKeyPair::from_seed(&seed).unwrap()
        })
        .collect();
    for (index, bidder) in bidders.iter().enumerate() {
        let code = credit_code(index);
        let register = signer.command(
            bidder,
            Action::RegisterBidder {
                organisation: format!("Bidder {index}"),
                credit_code: code,
            },
        );
        applied(client.submit(&register, index).await);
    }

    // 1,000 sealed bids, CONCURRENCY at a time; the leader is killed after half of them.
    let bids: Vec<EntryBody> = (0..LOTS)
        .flat_map(|lot| (0..BIDDERS).map(move |bidder| (lot, bidder)))
        .map(|(lot, bidder)| {
            let key = &bidders[bidder];
            let lot_id = LotId::parse(&lot.to_string()).unwrap();
            let offer = Offer {
                tender: tender.clone(),
                lot: lot_id.clone(),
                bidder: key.public_key(),
                price_fen: Fen::new(1_000 + bidder as u64).unwrap(),
                quantity_tonnes: None,
            };
            let context = SealContext::bid(tender.as_str(), lot_id.as_str(), &key.public_key().to_string());
            let envelope = seal(
                &to_canonical(&offer).unwrap(),
                &context,
                &opening_key,
                &SystemRandom::new(),
            )
            .unwrap();
            signer.command(
                key,
                Action::SubmitBid {
                    tender: tender.clone(),
                    lot: lot_id,
                    envelope,
                },
            )
        })
        .collect();
    let mut acknowledged = 0usize;
    for (round, chunk) in bids.chunks(CONCURRENCY).enumerate() {
        if round * CONCURRENCY == 496 {
            let leader = client
                .status(&addresses[0])
                .await
                .or(client.status(&addresses[1]).await)
                .and_then(|status| status.leader)
                .unwrap();
            nodes[(leader - 1) as usize].kill();
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (offset, body) in chunk.iter().enumerate() {
            let (client, body) = (client.clone(), body.clone());
            tasks.spawn(async move { client.submit(&body, offset).await });
        }
        while let Some(reply) = tasks.join_next().await {
            if let Some(LedgerReply::Applied {
                response: Response::BidAccepted { .. },
                ..
            }) = reply.unwrap()
            {
                acknowledged += 1;
            }
        }
    }
    let killed = nodes
        .iter()
        .position(|node| node.child.is_none())
        .expect("a node was killed");
    let survivors: Vec<String> = nodes
        .iter()
        .filter(|node| node.child.is_some())
        .map(|node| node.address.clone())
        .collect();
    let statuses = client.agreement(&survivors).await;
    assert!(
        acknowledged >= 990,
        "only {acknowledged} of 1000 bids were acknowledged"
    );
    assert!(
        statuses[0].bids >= acknowledged && statuses[0].bids <= 1000,
        "{} bids held, {acknowledged} acknowledged",
        statuses[0].bids
    );
    assert_ne!(statuses[0].leader, Some(nodes[killed].node_id));

    // The leader's log no longer reaches back to where the killed node stopped: catching up
    // needs a snapshot.
    let log_bound = |index: usize, query: &'static str| {
        let path = folder.path().join(format!("node-{index}.sqlite"));
        async move {
            let pool = sealbid_consensus::open_database(&path).await.unwrap();
            let row = sqlx::query(query).fetch_one(&pool).await.unwrap();
            sqlx::Row::get::<Option<i64>, _>(&row, 0).unwrap_or(0)
        }
    };
    let killed_last = log_bound(killed, "SELECT MAX(log_index) FROM raft_log").await;
    let leader = statuses[0].leader.unwrap() as usize - 1;
    let leader_first = log_bound(leader, "SELECT MIN(log_index) FROM raft_log").await;
    assert!(
        leader_first > killed_last + 1,
        "leader's log starts at {leader_first}; the killed node stopped at {killed_last}"
    );

    // The killed node restarts from its database and catches up.
    nodes[killed].spawn();
    let everyone = client.agreement(&addresses).await;
    assert_eq!(everyone[0].bids, statuses[0].bids);
}

/// A valid unified social credit code for bidder `index`.
fn credit_code(index: usize) -> String {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let body = format!("91350100MA{index:07}");
    let sum: u32 = body
        .chars()
        .enumerate()
        .map(|(position, character)| ALPHABET.find(character).unwrap() as u32 * 3u32.pow(position as u32) % 31)
        .sum();
    let check = ALPHABET.chars().nth(((31 - sum % 31) % 31) as usize).unwrap();
    format!("{body}{check}")
}
