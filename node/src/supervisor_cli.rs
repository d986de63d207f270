//! The `sealbid supervisor` subcommands (电子监察): suspend and resume a tender, order an office
//! to correct something, and read the orders held. Thin shells that parse flags and send the
//! signed command or read.

use sealbid_ledger::command::Action;

use crate::participant::ParticipantError;
use crate::participant_cli::{Connection, parse_public_key, parse_tender};

/// `sealbid supervisor …`.
#[derive(Debug, clap::Subcommand)]
pub enum SupervisorCommand {
    /// Suspend a tender (实施条例 Art. 62): nothing on it moves until it is resumed, and its
    /// deadline is held.
    Suspend {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// Why (recorded; public with the tender's bids after its close).
        #[arg(long)]
        reason: String,
    },
    /// Resume a suspended tender: a deadline not yet passed at the suspension moves out by the
    /// time suspended, or to --deadline-ms.
    Resume {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The deadline from now on, ms since the Unix epoch, instead of the held one.
        #[arg(long)]
        deadline_ms: Option<u64>,
    },
    /// Order an office to correct something by a due time; prints the order's id.
    Correct {
        /// The office's key (`ed25519:…`).
        #[arg(long)]
        office: String,
        /// The tender concerned, if any (one of that office's open tenders).
        #[arg(long)]
        tender: Option<String>,
        /// What is to be corrected, and why.
        #[arg(long)]
        reason: String,
        /// When the reply is due, ms since the Unix epoch.
        #[arg(long)]
        due_ms: u64,
    },
    /// Print the correction orders the ledger holds, with their replies (a read signed with
    /// --key, which must hold the supervisor role).
    Corrections,
}

/// `sealbid supervisor …`.
pub async fn supervisor(connection: &Connection, command: SupervisorCommand) -> Result<(), ParticipantError> {
    let action = match command {
        SupervisorCommand::Corrections => {
            return connection
                .print_signed_read(sealbid_api::paths::SUPERVISION_CORRECTIONS)
                .await;
        }
        SupervisorCommand::Suspend { tender, reason } => Action::SuspendTender {
            tender: parse_tender(&tender)?,
            reason,
        },
        SupervisorCommand::Resume { tender, deadline_ms } => Action::ResumeTender {
            tender: parse_tender(&tender)?,
            deadline_ms,
        },
        SupervisorCommand::Correct {
            office,
            tender,
            reason,
            due_ms,
        } => Action::OrderCorrection {
            office: parse_public_key(&office)?,
            tender: tender.as_deref().map(parse_tender).transpose()?,
            reason,
            due_ms,
        },
    };
    connection.send(action, None).await?;
    Ok(())
}
