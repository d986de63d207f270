//! A supervisor's witness reports a fork of the log: two checkpoints of this log that cannot
//! both be true. The ledger does not hold the log's key nor judge the proofs: it checks that
//! the two are checkpoints of one log that differ, keeps both in the entry (anyone checks their
//! signatures against the log's published key), and raises a red `integrity` warning about the
//! log itself, which holds every award until a supervisor settles it.

use sealbid_crypto::checkpoint::Checkpoint;
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::note;

use crate::events::{AuditEvent, Response};
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State};
use crate::types::Role;
use crate::warnings::{Finding, Indicator, Level, evidence, value};

/// The longest signed checkpoint a report may carry, bytes (a checkpoint with a hundred
/// signatures is under 10 KiB).
pub const REPORTED_CHECKPOINT_BYTES_MAX: usize = 16 * 1024;

/// The checkpoint in the signed note `text`, named `what` in a refusal.
fn reported_checkpoint(text: &str, what: &str) -> Result<Checkpoint, Rejection> {
    if text.len() > REPORTED_CHECKPOINT_BYTES_MAX {
        return Err(Rejection::Invalid(format!(
            "the {what} checkpoint is longer than {REPORTED_CHECKPOINT_BYTES_MAX} bytes"
        )));
    }
    let signed = note::parse(text).map_err(|error| Rejection::Invalid(format!("the {what} checkpoint: {error}")))?;
    Checkpoint::parse(&signed.text).map_err(|error| Rejection::Invalid(format!("the {what} checkpoint: {error}")))
}

/// Supervisor reports that `presented` does not extend `witnessed`, which it co-signed.
pub(crate) fn report_log_fork(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    witnessed: &str,
    presented: &str,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Supervisor)?;
    let earlier = reported_checkpoint(witnessed, "witnessed")?;
    let later = reported_checkpoint(presented, "presented")?;
    if earlier.origin != later.origin {
        return Err(Rejection::Invalid(format!(
            "the checkpoints are of two logs ({:?} and {:?})",
            earlier.origin, later.origin
        )));
    }
    if earlier.size == later.size && earlier.root == later.root {
        return Err(Rejection::Invalid(
            "the two checkpoints are one tree head: nothing is forked".into(),
        ));
    }
    let finding = Finding {
        indicator: Indicator::Integrity,
        level: Level::Red,
        lot: None,
        evidence: evidence(
            vec![context.audit_index],
            Vec::new(),
            [
                ("witnessed_size", value(earlier.size)),
                ("presented_size", value(later.size)),
            ],
        ),
    };
    state.raise(None, context, vec![finding]);
    Ok(Effect {
        events: vec![AuditEvent::LogForkReported {
            supervisor: *signer,
            witnessed_size: earlier.size,
            presented_size: later.size,
        }],
        ..Effect::respond(Response::Applied)
    })
}
