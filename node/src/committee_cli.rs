//! The `sealbid committee` subcommands: thin shells that parse flags, read the tender's key
//! generation from the API, call [`crate::committee`] and send the signed command.

use std::path::PathBuf;

use crate::committee::{self, encryption_keygen, load_encryption_key, tender};
use crate::participant::ParticipantError;
use crate::participant_cli::Connection;

/// `sealbid committee …`.
#[derive(Debug, clap::Subcommand)]
pub enum CommitteeCommand {
    /// Make an encryption key (the other members seal this member's shares to it); prints its
    /// public point. The identity key comes from `sealbid key new`.
    Keygen {
        /// Where to write it (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Register the encryption key under this member's identity (--key).
    Register(EncryptionKeyFlag),
    /// A tender's key generation.
    #[command(subcommand)]
    Dkg(DkgCommand),
    /// While the tender takes bids: prove this member still holds its share of the tender's
    /// opening key (a proof of knowledge; nothing secret is sent). Prove before the set time
    /// ahead of the deadline, and again after the deadline moves.
    ProveReadiness {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// This member's encryption key.
        #[command(flatten)]
        encryption: EncryptionKeyFlag,
    },
    /// After the close: release this member's share of the tender's opening key.
    ReleaseShare {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// This member's encryption key.
        #[command(flatten)]
        encryption: EncryptionKeyFlag,
    },
}

/// `sealbid committee dkg …`.
#[derive(Debug, clap::Subcommand)]
pub enum DkgCommand {
    /// Round 1: deal this member's shares to the others.
    Deal {
        /// The tender.
        #[arg(long)]
        tender: String,
    },
    /// Round 2: check the shares dealt to this member and respond.
    Respond {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// This member's encryption key.
        #[command(flatten)]
        encryption: EncryptionKeyFlag,
    },
    /// Show the key generation's progress.
    Status {
        /// The tender.
        #[arg(long)]
        tender: String,
    },
}

/// The member's encryption key file.
#[derive(Debug, clap::Args)]
pub struct EncryptionKeyFlag {
    /// The encryption key `sealbid committee keygen` wrote.
    #[arg(long)]
    pub encryption_key: PathBuf,
}

/// `sealbid committee …`.
pub async fn committee(connection: &Connection, command: CommitteeCommand) -> Result<(), ParticipantError> {
    match command {
        CommitteeCommand::Keygen { out } => {
            let key = encryption_keygen(&out)?;
            let point = serde_json::to_string(&key.public_point())
                .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
            println!("{}", point.trim_matches('"'));
        }
        CommitteeCommand::Register(flag) => {
            let encryption = load_encryption_key(&flag.encryption_key)?;
            let action = committee::register(&connection.signer()?, &encryption)?;
            connection.send(action, None).await?;
        }
        CommitteeCommand::Dkg(DkgCommand::Deal { tender: id }) => {
            let generation = connection.client()?.key_generation(tender(&id)?.as_str()).await?;
            let action = committee::deal(&generation, &connection.signer()?)?;
            connection.send(action, None).await?;
        }
        CommitteeCommand::Dkg(DkgCommand::Respond { tender: id, encryption }) => {
            let generation = connection.client()?.key_generation(tender(&id)?.as_str()).await?;
            let encryption = load_encryption_key(&encryption.encryption_key)?;
            let action = committee::respond(&generation, &connection.signer()?, &encryption)?;
            connection.send(action, None).await?;
        }
        CommitteeCommand::Dkg(DkgCommand::Status { tender: id }) => {
            let generation = connection.client()?.key_generation(tender(&id)?.as_str()).await?;
            let status = serde_json::json!({
                "tender": generation.tender,
                "members": generation.members.len(),
                "threshold": generation.parameters.threshold,
                "dealt": generation.dealings.len(),
                "dealing_closed": generation.dealing_closed,
                "responded": generation.responses.len(),
                "opening_key": generation.outcome.as_ref().map(|outcome| outcome.opening_key),
            });
            if connection.json {
                println!("{status}");
            } else {
                println!(
                    "tender {}: {} of {} dealt, {} responded, opening key {}",
                    generation.tender,
                    generation.dealings.len(),
                    generation.members.len(),
                    generation.responses.len(),
                    if generation.outcome.is_some() {
                        "ready"
                    } else {
                        "not yet"
                    }
                );
            }
        }
        CommitteeCommand::ProveReadiness { tender: id, encryption } => {
            let client = connection.client()?;
            let id = tender(&id)?;
            let generation = client.key_generation(id.as_str()).await?;
            let view = client.tender(id.as_str()).await?;
            let deadline_ms = view
                .pointer("/tender/deadline_ms")
                .and_then(serde_json::Value::as_u64)
                .ok_or_else(|| {
                    ParticipantError::Invalid(format!("the node's answer for tender {id} has no deadline_ms"))
                })?;
            let encryption = load_encryption_key(&encryption.encryption_key)?;
            let action = committee::prove_readiness(&generation, &connection.signer()?, &encryption, deadline_ms)?;
            connection.send(action, None).await?;
        }
        CommitteeCommand::ReleaseShare { tender: id, encryption } => {
            let generation = connection.client()?.key_generation(tender(&id)?.as_str()).await?;
            let encryption = load_encryption_key(&encryption.encryption_key)?;
            let action = committee::release_share(&generation, &connection.signer()?, &encryption)?;
            connection.send(action, None).await?;
        }
    }
    Ok(())
}
