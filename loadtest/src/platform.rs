//! A sealbid platform as the load test reaches it: one API client per node, the operator's key,
//! and commands signed with fresh nonces. Setup and finishing commands go through here; the
//! burst's bids go through [`crate::driver`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sealbid_api::client::{Client, ClientError};
use sealbid_api::commands::Receipt;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command};

/// How long a command the load test signs stays valid: the ledger's default maximum is an hour,
/// and a long burst's bids are signed well before they are sent.
pub const COMMAND_LIFETIME_MS: u64 = 55 * 60 * 1000;

/// Why a step of the scenario failed.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The platform refused or could not be reached.
    #[error("{step}: {source}")]
    Client {
        /// What was being done.
        step: String,
        /// Why it failed.
        source: Box<ClientError>,
    },
    /// The platform answered something the scenario cannot use.
    #[error("{0}")]
    Unexpected(String),
}

/// The current time, ms since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
}

/// The platform under test.
#[derive(Debug)]
pub struct Platform {
    /// One client per node's API, in node order.
    pub clients: Vec<Client>,
    /// The platform's operator (grants roles).
    pub operator: IdentityKeyPair,
    /// The next nonce: the start time in µs, counted up, so reruns against the same platform
    /// never reuse a nonce.
    nonce: AtomicU64,
}

impl Platform {
    /// The platform behind `clients`, operated with `operator`.
    pub fn new(clients: Vec<Client>, operator: IdentityKeyPair) -> Self {
        Self {
            clients,
            operator,
            nonce: AtomicU64::new(now_ms().saturating_mul(1_000)),
        }
    }

    /// `action` signed by `key` with a fresh nonce.
    pub fn sign(&self, key: &IdentityKeyPair, action: Action) -> Result<SignedMessage, ScenarioError> {
        let command = Command {
            nonce: self.nonce.fetch_add(1, Ordering::Relaxed),
            expires_at_ms: now_ms() + COMMAND_LIFETIME_MS,
            action,
        };
        SignedMessage::sign(key, &command).map_err(|error| ScenarioError::Unexpected(error.to_string()))
    }

    /// The first node's client.
    pub fn first(&self) -> Result<&Client, ScenarioError> {
        self.clients
            .first()
            .ok_or_else(|| ScenarioError::Unexpected("no node to talk to".into()))
    }

    /// Signs `action` with `key` and submits it to the first node that answers; `step` names it
    /// in errors. A refusal with a code in `tolerated` (a registration from an earlier run) is
    /// `None`.
    pub async fn run(
        &self,
        step: &str,
        key: &IdentityKeyPair,
        action: Action,
        tolerated: &[&str],
    ) -> Result<Option<Receipt>, ScenarioError> {
        let command = self.sign(key, action)?;
        let mut last = None;
        for client in &self.clients {
            match client.submit(&command).await {
                Ok(receipt) => return Ok(Some(receipt)),
                Err(ClientError::Problem(problem)) if tolerated.contains(&problem.code.as_str()) => return Ok(None),
                Err(ClientError::Problem(problem)) if problem.status < 500 => {
                    return Err(ScenarioError::Client {
                        step: step.into(),
                        source: Box::new(ClientError::Problem(problem)),
                    });
                }
                Err(error) => last = Some(error),
            }
        }
        Err(ScenarioError::Client {
            step: step.into(),
            source: Box::new(last.unwrap_or_else(|| ClientError::Tls("no node to talk to".into()))),
        })
    }

    /// Waits until tender `id` no longer takes bids (the leader closes it once its deadline and
    /// the arrival window have passed), asking the first node that answers, for at most
    /// `wait`; its phase then.
    pub async fn wait_closed(&self, id: &str, wait: std::time::Duration) -> Result<String, ScenarioError> {
        let poll = std::time::Duration::from_millis(100);
        let started = std::time::Instant::now();
        loop {
            let mut phase = None;
            for client in &self.clients {
                if let Ok(view) = client.tender(id).await {
                    phase = view
                        .pointer("/tender/phase")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned);
                    break;
                }
            }
            match phase {
                Some(phase) if phase != "bidding" => return Ok(phase),
                _ if started.elapsed() >= wait => {
                    return Err(ScenarioError::Unexpected(format!(
                        "tender {id} still takes bids {} s after its deadline",
                        wait.as_secs()
                    )));
                }
                _ => tokio::time::sleep(poll).await,
            }
        }
    }

    /// Like [`Platform::run`], but the command must be applied.
    pub async fn apply(&self, step: &str, key: &IdentityKeyPair, action: Action) -> Result<Receipt, ScenarioError> {
        self.run(step, key, action, &[])
            .await?
            .ok_or_else(|| ScenarioError::Unexpected(format!("{step}: refused")))
    }
}
