//! What the CLI prints when a command was applied: one sentence saying what happened, in the
//! participant's terms ("Bid on T-000001 lot 1 accepted, receipt saved to r.json"), from the
//! signed action and the ledger's answer. Pure: the caller prints it.

use std::path::Path;

use sealbid_api::commands::Receipt;
use sealbid_ledger::command::Action;
use sealbid_ledger::events::Response;

use crate::display::{china_standard_time, wire_name};

/// The sentence for `action` applied with `receipt`; `receipt_file` is where the log's receipt
/// was saved, if it was.
pub fn sentence(action: &Action, receipt: &Receipt, receipt_file: Option<&Path>) -> String {
    let mut text = what_happened(action, receipt.response.as_ref());
    if let Some(path) = receipt_file {
        text.push_str(&format!(", receipt saved to {}", path.display()));
    }
    if receipt.replayed {
        text.push_str(&format!(
            "; it had been applied before, as audit entry {}: this is its original receipt",
            receipt.audit_index
        ));
    } else if receipt_file.is_none() {
        text.push_str(&format!(" (audit entry {})", receipt.audit_index));
    }
    text
}

/// What `action` did, with what the ledger answered where it says more.
fn what_happened(action: &Action, response: Option<&Response>) -> String {
    match action {
        Action::GrantRole { actor, role, name } => {
            format!("Role {} granted to {name} ({actor})", wire_name(role))
        }
        Action::RegisterEncryptionKey { .. } => "Encryption key registered".into(),
        Action::RegisterBidder {
            organisation,
            credit_code,
        } => format!("{organisation} ({credit_code}) applied to register as a bidder; a registrar decides"),
        Action::ApproveBidder { bidder } => format!("Bidder {bidder} approved"),
        Action::RejectBidder { bidder, .. } => format!("Application of {bidder} rejected"),
        Action::RevokeBidder { bidder, .. } => format!("Registration of {bidder} revoked"),
        Action::PublishTender(spec) => match response {
            Some(Response::TenderPublished { tender }) => format!(
                "Tender {tender} published: {:?}, bidding ends {}",
                spec.title,
                china_standard_time(spec.deadline_ms)
            ),
            _ => format!("Tender {:?} published", spec.title),
        },
        Action::AmendTender { tender, .. } => match response {
            Some(Response::TenderAmended { deadline_ms }) => {
                format!(
                    "Tender {tender} amended; bidding ends {}",
                    china_standard_time(*deadline_ms)
                )
            }
            _ => format!("Tender {tender} amended"),
        },
        Action::CancelTender { tender, .. } => format!("Tender {tender} cancelled"),
        Action::Deal { tender, .. } => format!("Dealing for tender {tender}'s key generation accepted"),
        Action::Respond { tender, .. } => match response {
            Some(Response::KeyGenerationFinished { .. }) => format!(
                "Response for tender {tender}'s key generation accepted; the key generation is finished and bids \
                 are sealed to its opening key"
            ),
            _ => format!("Response for tender {tender}'s key generation accepted"),
        },
        Action::FinishKeyGeneration { tender } => format!("Tender {tender}'s key generation finished"),
        Action::SealReservePrice { tender, lot, .. } => format!("Reserve price of {tender} lot {lot} sealed"),
        Action::SubmitBid { tender, lot, .. } => format!("Bid on {tender} lot {lot} accepted"),
        Action::ReplaceBid { tender, lot, .. } => format!("Bid on {tender} lot {lot} replaced"),
        Action::WithdrawBid { tender, lot } => format!("Bid on {tender} lot {lot} withdrawn"),
        Action::CloseTender { tender } => format!("Bidding on tender {tender} closed"),
        Action::ReleaseShare { tender, .. } => match response {
            Some(Response::ShareAccepted {
                valid_shares,
                threshold,
            }) => format!("Share for tender {tender} released: {valid_shares} of the {threshold} the opening needs"),
            _ => format!("Share for tender {tender} released"),
        },
        Action::OpenTender { tender } => match response {
            Some(Response::TenderOpened { valid, invalid }) => {
                format!("Tender {tender} opened: {valid} valid bids, {invalid} not usable")
            }
            _ => format!("Tender {tender} opened"),
        },
        Action::ProveReadiness { tender, .. } => format!("Readiness to open tender {tender} proven"),
        Action::DisqualifyBid {
            tender, lot, bidder, ..
        } => format!("Bid of {bidder} on {tender} lot {lot} disqualified"),
        Action::PublishCandidates { tender } => match response {
            Some(Response::CandidatesPublished { ends_ms, award_from_ms }) => format!(
                "Candidates of tender {tender} published; the publicity ends {} and the award may be made from {}",
                china_standard_time(*ends_ms),
                china_standard_time(*award_from_ms)
            ),
            _ => format!("Candidates of tender {tender} published"),
        },
        Action::AwardTender { tender } => match response {
            Some(Response::TenderAwarded { results }) => format!(
                "Tender {tender} awarded: {} of its {} lots have winners (`sealbid tender results --tender {tender}` \
                 shows them)",
                results
                    .values()
                    .filter(|outcome| matches!(outcome, sealbid_ledger::award::LotOutcome::Awarded { .. }))
                    .count(),
                results.len()
            ),
            _ => format!("Tender {tender} awarded"),
        },
        Action::SuspendTender { tender, .. } => format!("Tender {tender} suspended"),
        Action::ResumeTender { tender, .. } => match response {
            Some(Response::TenderResumed { deadline_ms }) => {
                format!(
                    "Tender {tender} resumed; bidding ends {}",
                    china_standard_time(*deadline_ms)
                )
            }
            _ => format!("Tender {tender} resumed"),
        },
        Action::OrderCorrection { office, due_ms, .. } => match response {
            Some(Response::CorrectionOrdered { correction }) => format!(
                "Correction {correction} ordered to office {office}, due {}",
                china_standard_time(*due_ms)
            ),
            _ => format!("Correction ordered to office {office}"),
        },
        Action::ReplyCorrection { correction, .. } => format!("Reply to correction {correction} recorded"),
        Action::SetWarningThresholds { .. } => "Warning thresholds set".into(),
        Action::DisposeWarning {
            warning, disposition, ..
        } => format!("Warning {warning} disposed of: {}", wire_name(disposition)),
        Action::PublishCalendar(spec) => format!("The official calendar of {} published", spec.year),
        Action::FileObjection { tender, .. } => match response {
            Some(Response::ObjectionFiled {
                objection,
                answer_due_ms,
            }) => format!(
                "Objection {objection} on tender {tender} filed; the office's answer is due {}",
                china_standard_time(*answer_due_ms)
            ),
            _ => format!("Objection on tender {tender} filed"),
        },
        Action::AnswerObjection { tender, objection, .. } => {
            format!("Objection {objection} on tender {tender} answered")
        }
        Action::FileComplaint { tender, .. } => match response {
            Some(Response::ComplaintFiled {
                complaint,
                review_due_ms,
            }) => format!(
                "Complaint {complaint} on tender {tender} filed; the supervisors' review is due {}",
                china_standard_time(*review_due_ms)
            ),
            _ => format!("Complaint on tender {tender} filed"),
        },
        Action::ReviewComplaint { complaint, review, .. } => {
            format!(
                "Complaint {complaint} reviewed: {}",
                wire_name(review).replace('_', " ")
            )
        }
        Action::DecideComplaint {
            complaint, decision, ..
        } => format!(
            "Complaint {complaint} decided: {}",
            wire_name(decision).replace('_', " ")
        ),
        Action::ReportLogFork { .. } => "Log fork reported as a red integrity warning".into(),
    }
}
