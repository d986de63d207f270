//! A typed client of the API (feature `client`), for the CLI, the load test and tests: HTTPS
//! with rustls and the ring provider, trusting only the platform's authority certificate.
//! Failures the API reports come back as the [`Problem`] it sent.

use std::time::Duration;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::seal::Envelope;
use sealbid_crypto::signed::SignedMessage;
use serde::de::DeserializeOwned;

use sealbid_crypto::receipt::Receipt as LogReceipt;
use sealbid_ledger::query::KeyGeneration;

use crate::audit::{AuditEntry, AuditProof, LogKey, TreeHead};
use crate::commands::{CommandBody, Receipt};
use crate::paths;
use crate::problem::Problem;

/// How long a request may take in all: a command waits for commit and apply.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a read's signature lives: long enough for a slow answer, short enough that a copy
/// of the request is soon useless.
const READ_SIGNATURE_LIFETIME_SECONDS: u64 = 60;
/// How long opening a connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The API answered with a problem.
    #[error("{0}")]
    Problem(Problem),
    /// The request did not get an answer (connection, timeout) or the answer was unreadable.
    #[error("request failed: {0}")]
    Transport(#[from] reqwest::Error),
    /// The authority certificate or TLS setup is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// A read could not be signed.
    #[error("signing the read: {0}")]
    Signing(String),
}

/// A client of one node's API.
#[derive(Debug, Clone)]
pub struct Client {
    /// `https://host:port`.
    base: String,
    /// The HTTPS client.
    http: reqwest::Client,
}

/// An HTTPS client (ring) trusting only the authority in `authority_pem`.
pub fn https_client(authority_pem: &[u8]) -> Result<reqwest::Client, ClientError> {
    let authority =
        CertificateDer::from_pem_slice(authority_pem).map_err(|error| ClientError::Tls(error.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(authority)
        .map_err(|error| ClientError::Tls(error.to_string()))?;
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|error| ClientError::Tls(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()?)
}

impl Client {
    /// A client of the API at `base` (`https://host:port`), trusting `authority_pem`.
    pub fn new(base: &str, authority_pem: &[u8]) -> Result<Self, ClientError> {
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http: https_client(authority_pem)?,
        })
    }

    /// Submits a signed command; its receipt once applied.
    pub async fn submit(&self, command: &SignedMessage) -> Result<Receipt, ClientError> {
        self.submit_with_envelope(command, None).await
    }

    /// Submits a signed command with the envelope a bid's command signs the digest of; its
    /// receipt once applied.
    pub async fn submit_with_envelope(
        &self,
        command: &SignedMessage,
        envelope: Option<&Envelope>,
    ) -> Result<Receipt, ClientError> {
        self.submit_body(&CommandBody::new(command.clone(), envelope.cloned()))
            .await
    }

    /// Submits a command body as built (a signed command and a bid's envelope); its receipt
    /// once applied.
    pub async fn submit_body(&self, body: &CommandBody) -> Result<Receipt, ClientError> {
        let response = self
            .http
            .post(format!("{}{}", self.base, paths::COMMANDS))
            .json(body)
            .send()
            .await?;
        read(response).await
    }

    /// The audit log's size, root and the state hash.
    pub async fn audit_head(&self) -> Result<TreeHead, ClientError> {
        self.get(paths::AUDIT_HEAD).await
    }

    /// Audit entries from `from` (at most `count`).
    pub async fn audit_entries(&self, from: u64, count: u64) -> Result<Vec<AuditEntry>, ClientError> {
        self.get(&format!("{}?from={from}&count={count}", paths::AUDIT_ENTRIES))
            .await
    }

    /// The log's origin and checkpoint-signing key.
    pub async fn log_key(&self) -> Result<LogKey, ClientError> {
        self.get(paths::AUDIT_LOG_KEY).await
    }

    /// The current checkpoint as a signed note.
    pub async fn checkpoint(&self) -> Result<String, ClientError> {
        let response = self
            .http
            .get(format!("{}{}", self.base, paths::AUDIT_CHECKPOINT))
            .send()
            .await?;
        if response.status().is_success() {
            return Ok(response.text().await?);
        }
        read(response).await
    }

    /// Sends a witness's cosignature of a checkpoint.
    pub async fn submit_cosignature(
        &self,
        submission: &crate::witness::CosignatureSubmission,
    ) -> Result<crate::witness::CosignatureAccepted, ClientError> {
        let response = self
            .http
            .post(format!("{}{}", self.base, paths::AUDIT_COSIGNATURES))
            .json(submission)
            .send()
            .await?;
        read(response).await
    }

    /// Each witness's newest cosigned checkpoint the node holds.
    pub async fn witnessed(&self) -> Result<crate::witness::Witnessed, ClientError> {
        self.get(paths::AUDIT_WITNESSED).await
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<AuditProof, ClientError> {
        self.get(&format!("{}?index={index}&size={size}", paths::AUDIT_INCLUSION))
            .await
    }

    /// The consistency proof from the tree of `from` entries to that of `to`.
    pub async fn consistency_proof(&self, from: u64, to: u64) -> Result<AuditProof, ClientError> {
        self.get(&format!("{}?from={from}&to={to}", paths::AUDIT_CONSISTENCY))
            .await
    }

    /// A receipt for entry `index`: the current signed checkpoint and the inclusion proof.
    pub async fn receipt(&self, index: u64) -> Result<LogReceipt, ClientError> {
        self.get(&format!("{}?index={index}", paths::AUDIT_RECEIPT)).await
    }

    /// A tender's key generation.
    pub async fn key_generation(&self, tender: &str) -> Result<KeyGeneration, ClientError> {
        self.get(&format!("/v1/tenders/{tender}/key-generation")).await
    }

    /// A tender (open or archived), as JSON.
    pub async fn tender(&self, id: &str) -> Result<serde_json::Value, ClientError> {
        self.get(&format!("/v1/tenders/{id}")).await
    }

    /// GETs `path` (any route of the API) as JSON.
    pub async fn get_json(&self, path: &str) -> Result<serde_json::Value, ClientError> {
        self.get(path).await
    }

    /// A GET of `path` with a read signed by `reader` (RFC 9421, [`crate::reader`]) that lives
    /// `lifetime_seconds` from now.
    async fn signed_get(
        &self,
        path: &str,
        reader: &IdentityKeyPair,
        lifetime_seconds: u64,
    ) -> Result<reqwest::RequestBuilder, ClientError> {
        let url = format!("{}{path}", self.base);
        let mut signed = http::Request::builder()
            .method(http::Method::GET)
            .uri(&url)
            .body(String::new())
            .map_err(|error| ClientError::Signing(error.to_string()))?;
        let created_seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        crate::reader::sign_read(&mut signed, reader, created_seconds, lifetime_seconds)
            .await
            .map_err(|error| ClientError::Signing(error.to_string()))?;
        let mut request = self.http.get(url);
        for (name, value) in signed.headers() {
            request = request.header(name.as_str(), value.as_bytes());
        }
        Ok(request)
    }

    /// GETs `path` signed as read by `reader` (RFC 9421, [`crate::reader`]) and decodes the
    /// answer.
    pub async fn get_signed<T: DeserializeOwned>(
        &self,
        path: &str,
        reader: &IdentityKeyPair,
    ) -> Result<T, ClientError> {
        let request = self.signed_get(path, reader, READ_SIGNATURE_LIFETIME_SECONDS).await?;
        read(request.send().await?).await
    }

    /// Opens the stream at `path_and_query` (a supervisor's, `/v1/supervision/stream?…`) with a
    /// read signed by `reader` for `lifetime_seconds`, and hands each event to `on_event` until
    /// the stream ends or `on_event` answers `false`.
    pub async fn watch(
        &self,
        path_and_query: &str,
        reader: &IdentityKeyPair,
        lifetime_seconds: u64,
        mut on_event: impl FnMut(crate::sse::StreamEvent) -> bool,
    ) -> Result<(), ClientError> {
        // The stream lasts as long as the signature; the client's usual bound would cut it.
        let request = self
            .signed_get(path_and_query, reader, lifetime_seconds)
            .await?
            .timeout(Duration::from_secs(lifetime_seconds) + REQUEST_TIMEOUT);
        let mut response = request.send().await?;
        if !response.status().is_success() {
            return read::<serde_json::Value>(response).await.map(|_| ());
        }
        let mut events = crate::sse::EventReader::default();
        while let Some(chunk) = response.chunk().await? {
            for event in events.push(&chunk) {
                if !on_event(event) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Every audit entry from `from` (at most `count`) in full, read by a supervisor.
    pub async fn supervised_entries(
        &self,
        from: u64,
        count: u64,
        supervisor: &IdentityKeyPair,
    ) -> Result<Vec<AuditEntry>, ClientError> {
        self.get_signed(
            &format!("{}?from={from}&count={count}", paths::SUPERVISION_ENTRIES),
            supervisor,
        )
        .await
    }

    /// GETs `path` and decodes the answer.
    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let response = self.http.get(format!("{}{path}", self.base)).send().await?;
        read(response).await
    }
}

/// The answer as `T`, or the problem it reports.
async fn read<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, ClientError> {
    if response.status().is_success() {
        return Ok(response.json().await?);
    }
    let status = response.status();
    let text = response.text().await?;
    Err(ClientError::Problem(serde_json::from_str(&text).unwrap_or_else(|_| {
        Problem::new(
            actix_web::http::StatusCode::from_u16(status.as_u16()).unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY),
            "unexpected-answer",
            "The answer is not a problem document",
            text,
        )
    })))
}
