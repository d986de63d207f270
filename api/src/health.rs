//! Liveness, readiness and the metrics page.
//!
//! `/livez` answers 200 while the process serves. `/readyz` answers 200 when a leader is known
//! and this node has applied what it knows to be committed, give or take
//! [`READY_LAG_ENTRIES_MAX`] entries (under load the commit index always runs a little ahead of
//! apply; a node that far behind is catching up) and its clock is within the ledger's arrival
//! window of the leader's (a node further off would get every command it stamps refused), 503
//! with the reason otherwise. `/metrics`
//! refreshes the gauges from the node and renders every metric.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use sealbid_ledger::tender::Phase;

use crate::ApiState;
use crate::problem::Problem;

/// How far apply may trail the commit index on a ready node.
pub const READY_LAG_ENTRIES_MAX: u64 = 1_000;

/// The answer of `/readyz`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = NodeReadiness)]
pub(crate) struct Readiness {
    /// The leader's id, if one is known.
    leader: Option<u64>,
    /// The committed index this node knows of.
    committed_index: Option<u64>,
    /// The last index it applied.
    applied_index: Option<u64>,
}

/// Always 200 while the process serves.
#[utoipa::path(get, path = "/livez", tag = "operations",
    responses((status = 200, description = "The process serves", body = String, content_type = "text/plain")))]
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("live\n")
}

/// 200 when a leader is known and this node has applied what it knows to be committed.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "A leader is known and this node has applied what is committed", body = Readiness),
        (status = 503, description = "No leader, catching up, or the node's clock is off the leader's by more than the arrival window", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let metrics = state.replica.raft.metrics().borrow().clone();
    let readiness = Readiness {
        leader: metrics.current_leader,
        committed_index: state.replica.committed_index(),
        applied_index: metrics.last_applied.map(|log_id| log_id.index),
    };
    if readiness.leader.is_none() {
        return Err(Problem::unavailable("not-ready", "no leader is known yet"));
    }
    let window_ms = state.replica.arrival_window_ms();
    if let Some(offset_ms) = state.replica.clock_offset_ms()
        && offset_ms > window_ms
    {
        return Err(Problem::unavailable(
            "clock-skew",
            format!(
                "this node's clock is {offset_ms} ms off the leader's, more than the {window_ms} ms arrival window: \
                 the leader refuses what it stamps; fix its time synchronisation"
            ),
        ));
    }
    let applied = readiness.applied_index.unwrap_or(0);
    let committed = readiness.committed_index.unwrap_or(0);
    if applied.saturating_add(READY_LAG_ENTRIES_MAX) < committed {
        return Err(Problem::unavailable(
            "not-ready",
            format!("applied up to {applied}, committed up to {committed}: catching up"),
        ));
    }
    Ok(HttpResponse::Ok().json(readiness))
}

/// The Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn metrics(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let raft = state.replica.raft.metrics().borrow().clone();
    let gauges = &state.metrics;
    gauges.raft_term.set(to_gauge(raft.current_term));
    gauges.raft_leader.set(to_gauge(raft.current_leader.unwrap_or(0)));
    gauges.has_leader.set(i64::from(raft.current_leader.is_some()));
    gauges
        .raft_commit_index
        .set(to_gauge(state.replica.committed_index().unwrap_or(0)));
    gauges
        .raft_applied_index
        .set(to_gauge(raft.last_applied.map_or(0, |log_id| log_id.index)));
    gauges
        .commands_in_flight
        .set(i64::try_from(state.replica.commands_in_flight()).unwrap_or(i64::MAX));
    let phases: Vec<Phase> = state
        .replica
        .read_applied(|ledger| ledger.state().tenders.values().map(|tender| tender.phase).collect())
        .await;
    gauges.tenders.reset();
    for phase in phases {
        gauges.tenders.with_label_values(&[&phase_label(phase)]).inc();
    }
    let text = gauges
        .render()
        .map_err(|error| Problem::internal("metrics-failed", error.to_string()))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}

/// Gauges are signed; indexes and terms stay far below 2^63.
fn to_gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The phase's name as the API writes it (`key_generation`, …).
fn phase_label(phase: Phase) -> String {
    match serde_json::to_value(phase) {
        Ok(serde_json::Value::String(name)) => name,
        _ => format!("{phase:?}").to_lowercase(),
    }
}
