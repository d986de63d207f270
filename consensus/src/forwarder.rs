//! A follower's batching: commands for the leader wait in one bounded queue, and one task sends
//! all that wait (up to [`FORWARD_ENTRIES_MAX`] and about [`FORWARD_BYTES_MAX`]) to the leader in
//! one request over the pooled, kept-open HTTPS connection, postcard-encoded ([`crate::wire`];
//! the answers come back as JSON: see [`crate::server`]).
//! At most [`REQUESTS_IN_FLIGHT_MAX`] requests are out at once, so while they are answered the
//! next one fills. The leader answers each command of a request in order; each waiting caller
//! gets its own answer.
//!
//! A request to a leader that another one replaced is given up as soon as this node knows the
//! new one: its commands are answered [`SubmitError::NotLeader`], and the caller sends the same
//! signed bytes to the new leader (a command the old one applied is refused there as a replay
//! and answered with its earlier receipt).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::Raft;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use sealbid_ledger::command::EntryBody;

use crate::leadership;
use crate::metrics::ConsensusMetrics;
use crate::network::paths;
use crate::proposer::take_waiting;
use crate::replica::SubmitError;
use crate::types::{LedgerReply, TypeConfig};
use crate::wire;

/// The most commands in one forwarded request.
pub const FORWARD_ENTRIES_MAX: usize = 1024;
/// A request takes no further command once it holds this many bytes (so it is at most this plus
/// one command: see [`crate::server::SUBMIT_BYTES_MAX`]).
const FORWARD_BYTES_MAX: usize = 1024 * 1024;
/// The most forwarded requests out at once.
const REQUESTS_IN_FLIGHT_MAX: usize = 4;
/// How long the leader may take to answer a request before its commands are reported unknown.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(60);

/// What the leader answers for one forwarded command.
pub type Forwarded = Result<LedgerReply, SubmitError>;

/// One command waiting to be forwarded.
struct Forward {
    /// The leader it is for (as the caller saw it).
    leader: u64,
    /// The command, stamped with its arrival here.
    body: EntryBody,
    /// The waiting caller.
    answer: oneshot::Sender<Forwarded>,
}

/// What the forwarder task needs to reach the leader.
pub(crate) struct Route {
    /// openraft: the membership's addresses and who leads.
    pub raft: Raft<TypeConfig>,
    /// The mutual-TLS HTTPS client (its pool keeps the connection to the leader open).
    pub client: reqwest::Client,
    /// Forwarded requests and their sizes.
    pub metrics: ConsensusMetrics,
}

/// The handle to the node's forwarder task; dropping it ends the task once the queue is empty.
#[derive(Debug)]
pub(crate) struct Forwarder {
    /// The queue, bounded: a caller waits for room.
    queue: mpsc::Sender<Forward>,
}

impl Forwarder {
    /// Starts the forwarder task with room for `queue_max` waiting commands.
    pub(crate) fn start(route: Route, queue_max: usize) -> Self {
        let (queue, receiver) = mpsc::channel(queue_max.max(1));
        tokio::spawn(run(Arc::new(route), receiver));
        Self { queue }
    }

    /// Sends `body` to `leader` in the next request and waits for its answer.
    pub(crate) async fn forward(&self, leader: u64, body: EntryBody) -> Forwarded {
        let (answer, answered) = oneshot::channel();
        self.queue
            .send(Forward { leader, body, answer })
            .await
            .map_err(|_| SubmitError::Raft("this node's forwarder has stopped".into()))?;
        answered
            .await
            .map_err(|_| SubmitError::Raft("this node's forwarder dropped the command".into()))?
    }
}

/// The forwarder task: a request whenever commands wait and fewer than
/// [`REQUESTS_IN_FLIGHT_MAX`] are out.
async fn run(route: Arc<Route>, mut receiver: mpsc::Receiver<Forward>) {
    let requests = Arc::new(Semaphore::new(REQUESTS_IN_FLIGHT_MAX));
    while let Some(first) = receiver.recv().await {
        let Ok(place) = Arc::clone(&requests).acquire_owned().await else {
            return;
        };
        let waiting = take_waiting(
            first,
            &mut receiver,
            FORWARD_ENTRIES_MAX,
            FORWARD_BYTES_MAX,
            |forward| &forward.body,
        );
        // Leadership rarely moves between two commands; when it does, one request per leader.
        let mut by_leader: BTreeMap<u64, Vec<Forward>> = BTreeMap::new();
        for forward in waiting {
            by_leader.entry(forward.leader).or_default().push(forward);
        }
        let mut place = Some(place);
        for (leader, group) in by_leader {
            let place = match place.take() {
                Some(place) => place,
                None => match Arc::clone(&requests).acquire_owned().await {
                    Ok(place) => place,
                    Err(_) => return,
                },
            };
            tokio::spawn(send(Arc::clone(&route), leader, group, place));
        }
    }
}

/// Sends `group` to `leader` in one request and answers each caller.
async fn send(route: Arc<Route>, leader: u64, group: Vec<Forward>, _place: OwnedSemaphorePermit) {
    let (bodies, answers): (Vec<EntryBody>, Vec<oneshot::Sender<Forwarded>>) =
        group.into_iter().map(|forward| (forward.body, forward.answer)).unzip();
    route.metrics.forwarded_requests.inc();
    #[allow(clippy::cast_precision_loss)] // at most FORWARD_ENTRIES_MAX
    route.metrics.forwarded_request_commands.observe(bodies.len() as f64);
    match exchange(&route, leader, &bodies).await {
        Ok(replies) => {
            let mut replies = replies.into_iter();
            for answer in answers {
                // A leader that answered fewer commands than it was sent: the rest are unknown.
                let _unheard = answer.send(replies.next().unwrap_or(Err(SubmitError::Unknown)));
            }
        }
        Err(error) => answers.into_iter().for_each(|answer| {
            let _unheard = answer.send(Err(error.clone()));
        }),
    }
}

/// One request: `bodies` to `leader`, its answers back. [`SubmitError::NoLeader`] when it could
/// not be sent (no address, no connection), [`SubmitError::NotLeader`] when another leader
/// became known first, [`SubmitError::Unknown`] when it was sent but not answered.
async fn exchange(route: &Route, leader: u64, bodies: &[EntryBody]) -> Result<Vec<Forwarded>, SubmitError> {
    let address = leadership::member_address(&route.raft, leader).ok_or(SubmitError::NoLeader)?;
    let encoded = wire::encode(bodies).map_err(|error| SubmitError::Raft(error.to_string()))?;
    let request = async {
        let response = route
            .client
            .post(format!("https://{address}{}", paths::FORWARD))
            .header(reqwest::header::CONTENT_TYPE, wire::CONTENT_TYPE)
            .body(encoded)
            .timeout(FORWARD_TIMEOUT)
            .send()
            .await
            .map_err(|error| {
                if error.is_connect() {
                    SubmitError::NoLeader
                } else {
                    SubmitError::Unknown
                }
            })?;
        if !response.status().is_success() {
            tracing::warn!(status = %response.status(), leader, "the leader refused a forwarded request");
            return Err(SubmitError::Unknown);
        }
        let bytes = response.bytes().await.map_err(|_| SubmitError::Unknown)?;
        wire::decode_named::<Vec<Forwarded>>(&bytes).map_err(|error| {
            tracing::warn!(%error, leader, "the leader's answer to a forwarded request is not readable");
            SubmitError::Unknown
        })
    };
    tokio::select! {
        result = request => result,
        () = leadership::other_than(&route.raft, leader) => Err(SubmitError::NotLeader),
    }
}
