//! A supervisor's audit: the audit log fetched from a node into a file, then replayed from the
//! first entry in a fresh ledger. Every entry must be canonical, in its place and accepted on
//! replay (which checks every signature, nonce, phase and rule again); the copy's leaves, size
//! and root and the replayed ledger's state hash must equal what the node published; and
//! every signed checkpoint (the copy's own, and any the supervisor kept from earlier) must be
//! signed with the log's key and be a prefix of the replayed tree, so a copy cut short below
//! a checkpoint, or rewritten, fails even with a head rewritten to match. (Whoever edits the
//! file can put an older signed checkpoint in it: checkpoints kept from independent sources are
//! what pins the log's length.) The first thing that differs is reported, naming the entry.
//!
//! A copy fetched while tenders take bids holds withheld entries (`sealbid_ledger::disclosure`):
//! their leaves are checked with the rest, but the replay stops at the first of them (the state
//! depends on every entry before it), and the report says how many entries were not replayed and
//! from which on. A copy fetched once they are released replays to its end.
//!
//! File layout (JSON lines): the head (`{size, root, state_hash, checkpoint, witnessed?}`, the
//! checkpoint a signed note fetched just before the head, `witnessed` each witness's newest
//! co-signed checkpoint the node held, fetched with it), then one `{index, entry}` per line in
//! index order. An audit counts the witnesses whose cosignature is on a checkpoint found to be
//! a prefix of the log.

use std::io::{BufRead, Write};
use std::path::Path;

use sealbid_api::audit::{AuditEntry, TreeHead};
use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::encoding::from_canonical;
use sealbid_crypto::merkle::{MemoryNodeStore, MerkleTree};
use sealbid_ledger::command::Entry;
use sealbid_ledger::envelopes::placement;
use sealbid_ledger::{ApplyError, Ledger};

/// Why an audit failed.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be read or written.
    #[error("audit file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line of the file is not what belongs there.
    #[error("audit file line {line}: {reason}")]
    Format {
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An entry does not replay.
    #[error("audit entry {index}: {reason}")]
    Entry {
        /// The entry's audit index.
        index: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// The replay ends elsewhere than the node said.
    #[error("the replayed log does not match the published head: {reason}")]
    Head {
        /// What differs.
        reason: String,
    },
}

/// The first line of an audit file: the head the entries lead to and a signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CopyHead {
    /// The node's head when the entries were fetched.
    #[serde(flatten)]
    pub head: TreeHead,
    /// The node's signed checkpoint, fetched before the head (so no larger than it).
    pub checkpoint: String,
    /// Each witness's newest co-signed checkpoint the node held (`GET /v1/audit/witnessed`),
    /// fetched before the head.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnessed: Vec<String>,
}

/// What a passing audit established.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditReport {
    /// Entries in the copy: every leaf builds the head's root.
    pub entries: u64,
    /// Entries replayed: every one before the first withheld entry.
    pub replayed: u64,
    /// Entries the node served withheld (bids of tenders still taking bids, registrations while
    /// any tender takes bids): checked only as leaves until they are released.
    pub withheld: u64,
    /// The first entry not replayed, when the copy holds a withheld entry: the ledger's state
    /// depends on every entry before it, so the replay stops there.
    pub first_not_replayed: Option<u64>,
    /// Bids replayed without their envelope: replaced or withdrawn, their envelopes erased on
    /// every node; the signed entry still proves what was submitted (the envelope's digest),
    /// by whom, and when.
    pub erased_envelopes: u64,
    /// Whether the state hash was checked (only a copy replayed to its end reaches it).
    pub state_hash_checked: bool,
    /// The head the leaves reproduce.
    pub head: TreeHead,
    /// Tenders open at the end of the replay.
    pub open_tenders: usize,
    /// Tenders archived along the replay.
    pub archived_tenders: u64,
    /// Signed checkpoints found to be prefixes of the copy's tree.
    pub checkpoints: usize,
    /// The witnesses asked for (`--witness`) with a cosignature on one of those checkpoints.
    pub witnesses: Vec<String>,
}

/// Writes `head` and `entries` to `path` in the audit file layout.
pub fn write_file(path: &Path, head: &CopyHead, entries: &[AuditEntry]) -> Result<(), AuditError> {
    let io = |source| AuditError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    serde_json::to_writer(&mut file, head).map_err(|error| io(error.into()))?;
    writeln!(file).map_err(io)?;
    for entry in entries {
        serde_json::to_writer(&mut file, entry).map_err(|error| io(error.into()))?;
        writeln!(file).map_err(io)?;
    }
    file.flush().map_err(io)
}

/// Reads an audit file.
pub fn read_file(path: &Path) -> Result<(CopyHead, Vec<AuditEntry>), AuditError> {
    let io = |source| AuditError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let mut lines = file.lines().enumerate();
    let head: CopyHead = match lines.next() {
        Some((_, line)) => parse_line(1, &line.map_err(io)?)?,
        None => {
            return Err(AuditError::Format {
                line: 1,
                reason: "the file is empty; it starts with the head and checkpoint".into(),
            });
        }
    };
    let mut entries = Vec::new();
    for (number, line) in lines {
        entries.push(parse_line(number + 1, &line.map_err(io)?)?);
    }
    Ok((head, entries))
}

/// One JSON line as `T`.
fn parse_line<T: serde::de::DeserializeOwned>(line: usize, text: &str) -> Result<T, AuditError> {
    serde_json::from_str(text).map_err(|error| AuditError::Format {
        line,
        reason: error.to_string(),
    })
}

/// The audit under way: the ledger replaying the entries up to the first withheld one, and the
/// tree of every leaf in the copy.
struct Replay {
    /// The ledger rebuilt from the entries replayed.
    ledger: Ledger<MemoryNodeStore>,
    /// Every leaf of the copy, replayed or not.
    leaves: MerkleTree<MemoryNodeStore>,
    /// The first entry not replayed.
    first_not_replayed: Option<u64>,
    /// Withheld entries seen.
    withheld: u64,
    /// Bids replayed without their (erased) envelope.
    erased_envelopes: u64,
}

impl Replay {
    /// Checks entry `index` of the copy and replays it if every entry before it was replayed.
    fn take(&mut self, index: u64, audit_entry: &AuditEntry) -> Result<(), AuditError> {
        let failed = |reason: String| AuditError::Entry { index, reason };
        if audit_entry.index != index {
            return Err(failed(format!(
                "the file holds entry {} in this place",
                audit_entry.index
            )));
        }
        let leaf = audit_entry.leaf_hash();
        self.leaves
            .append_leaf_hashes(&[leaf])
            .map_err(|error| failed(error.to_string()))?;
        let Some(text) = audit_entry.text() else {
            self.withheld += 1;
            self.first_not_replayed.get_or_insert(index);
            return Ok(());
        };
        let bytes = text.as_bytes();
        let mut entry: Entry =
            from_canonical(bytes).map_err(|error| failed(format!("not a canonical ledger entry: {error}")))?;
        if self.first_not_replayed.is_some() {
            return Ok(());
        }
        match &audit_entry.envelope {
            // The ledger checks it against the digest the command signs.
            Some(envelope) => entry.body = entry.body.with_envelope(envelope.clone()),
            None if placement(&entry).is_some() => self.erased_envelopes += 1,
            None => {}
        }
        let applied = self.ledger.apply(&entry).map_err(|error| match error {
            ApplyError::Rejected(rejection) => failed(format!("refused on replay: {rejection}")),
            ApplyError::Fatal(fatal) => failed(format!("cannot be applied: {fatal}")),
        })?;
        if applied.audit_index != index || applied.leaf_hash != leaf {
            return Err(failed("its leaf differs from the one the ledger appends".into()));
        }
        Ok(())
    }
}

/// Replays `entries` from an empty ledger, up to the first withheld one, and checks every
/// leaf against `head` and every `checkpoints` (already verified as signed with the log's key),
/// and the state hash when the whole copy replayed; `progress` is told each entry checked.
pub fn verify(
    head: &TreeHead,
    checkpoints: &[Checkpoint],
    entries: &[AuditEntry],
    progress: impl Fn(u64),
) -> Result<AuditReport, AuditError> {
    let mut replay = Replay {
        ledger: Ledger::replaying(MemoryNodeStore::new()),
        leaves: MerkleTree::new(MemoryNodeStore::new()),
        first_not_replayed: None,
        withheld: 0,
        erased_envelopes: 0,
    };
    for (position, audit_entry) in entries.iter().enumerate() {
        let index = position as u64;
        replay.take(index, audit_entry)?;
        progress(index + 1);
    }
    let (size, root) = (replay.leaves.size(), replay.leaves.root());
    if size != head.size {
        return Err(AuditError::Head {
            reason: format!("the copy holds {size} entries, the head says {}", head.size),
        });
    }
    if root != head.root {
        return Err(AuditError::Head {
            reason: "the Merkle root differs".into(),
        });
    }
    let complete = replay.first_not_replayed.is_none();
    if complete && replay.ledger.state_hash() != head.state_hash {
        return Err(AuditError::Head {
            reason: "the state hash differs".into(),
        });
    }
    for checkpoint in checkpoints {
        check_prefix(&replay.leaves, checkpoint)?;
    }
    Ok(AuditReport {
        checkpoints: checkpoints.len(),
        entries: size,
        replayed: replay.ledger.audit().size(),
        withheld: replay.withheld,
        erased_envelopes: replay.erased_envelopes,
        first_not_replayed: replay.first_not_replayed,
        state_hash_checked: complete,
        open_tenders: replay.ledger.state().tenders.len(),
        archived_tenders: replay.ledger.state().archived_count,
        head: head.clone(),
        witnesses: Vec::new(),
    })
}

/// Refuses a copy whose tree `checkpoint` is not a prefix of.
fn check_prefix(leaves: &MerkleTree<MemoryNodeStore>, checkpoint: &Checkpoint) -> Result<(), AuditError> {
    let size = leaves.size();
    if checkpoint.size > size {
        return Err(AuditError::Head {
            reason: format!(
                "a checkpoint signed with the log's key covers {} entries; the copy holds {size}: it is cut short",
                checkpoint.size
            ),
        });
    }
    let root = leaves.root_at(checkpoint.size).map_err(|error| AuditError::Head {
        reason: error.to_string(),
    })?;
    if root != checkpoint.root {
        return Err(AuditError::Head {
            reason: format!(
                "the first {} entries do not give the root of the checkpoint signed for that size: the log was rewritten",
                checkpoint.size
            ),
        });
    }
    Ok(())
}

/// Entries asked for per request while fetching.
const FETCH_PAGE_ENTRIES: u64 = 1_000;

/// Fetches the head and every entry up to it from the API behind `client`: the public log, or,
/// read signed by `supervisor`, every entry in full; `progress` is told the head's size once
/// and then each page's end.
pub async fn fetch(
    client: &sealbid_api::client::Client,
    supervisor: Option<&sealbid_crypto::identity::IdentityKeyPair>,
    progress: impl Fn(u64, u64),
) -> Result<(CopyHead, Vec<AuditEntry>), FetchError> {
    // The checkpoint first: the same node's head fetched after it is at least as large (the
    // check in `verify` catches a head from another, lagging node behind a load balancer).
    let checkpoint = client.checkpoint().await?;
    let witnessed = client.witnessed().await?.checkpoints;
    let head = client.audit_head().await?;
    let mut entries = Vec::new();
    let mut from = 0;
    while from < head.size {
        let count = FETCH_PAGE_ENTRIES.min(head.size - from);
        let page = match supervisor {
            Some(key) => client.supervised_entries(from, count, key).await?,
            None => client.audit_entries(from, count).await?,
        };
        // The node must send the entries asked for, consecutively, or the log has a gap.
        let first_gap = page
            .iter()
            .enumerate()
            .find(|(offset, entry)| entry.index != from + *offset as u64)
            .map(|(offset, _)| from + offset as u64);
        if let Some(index) = first_gap.or(page.is_empty().then_some(from)) {
            return Err(FetchError::Incomplete { index });
        }
        from += page.len() as u64;
        entries.extend(page);
        progress(from, head.size);
    }
    Ok((
        CopyHead {
            head,
            checkpoint,
            witnessed,
        },
        entries,
    ))
}

/// Why fetching the log failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The API refused or could not be reached.
    #[error(transparent)]
    Client(#[from] sealbid_api::client::ClientError),
    /// The node lacks an entry below its head (it may still be filling its history).
    #[error(
        "the node did not send audit entry {index}: it may still be fetching its history; try again or ask another node"
    )]
    Incomplete {
        /// The first entry missing.
        index: u64,
    },
}
