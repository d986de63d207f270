//! Liveness, readiness and the metrics page.
//!
//! `/livez` answers 200 while the process serves. `/readyz` answers 200 only when a leader is
//! known and this node has applied everything it knows to be committed, 503 with the reason
//! otherwise. `/metrics` refreshes the gauges from the node and renders every metric.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use sealbid_ledger::tender::Phase;

use crate::ApiState;
use crate::problem::Problem;

/// The answer of `/readyz`.
#[derive(Debug, Serialize)]
struct Readiness {
    /// The leader's id, if one is known.
    leader: Option<u64>,
    /// The committed index this node knows of.
    committed_index: Option<u64>,
    /// The last index it applied.
    applied_index: Option<u64>,
}

/// Always 200 while the process serves.
pub async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("live\n")
}

/// 200 when a leader is known and this node has applied what it knows to be committed.
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
    if readiness.applied_index < readiness.committed_index {
        return Err(Problem::unavailable(
            "not-ready",
            format!(
                "applied up to {:?}, committed up to {:?}: catching up",
                readiness.applied_index, readiness.committed_index
            ),
        ));
    }
    Ok(HttpResponse::Ok().json(readiness))
}

/// The Prometheus text exposition.
pub async fn metrics(state: web::Data<ApiState>) -> Result<HttpResponse, Problem> {
    let raft = state.replica.raft.metrics().borrow().clone();
    let gauges = &state.metrics;
    gauges.raft_term.set(to_gauge(raft.current_term));
    gauges.raft_leader.set(to_gauge(raft.current_leader.unwrap_or(0)));
    gauges
        .raft_commit_index
        .set(to_gauge(state.replica.committed_index().unwrap_or(0)));
    gauges
        .raft_applied_index
        .set(to_gauge(raft.last_applied.map_or(0, |log_id| log_id.index)));
    let phases: Vec<Phase> = state
        .replica
        .read_applied(|ledger| ledger.state().tenders.values().map(|tender| tender.phase).collect())
        .await;
    gauges.tenders.reset();
    for phase in phases {
        gauges
            .tenders
            .with_label_values(&[&format!("{phase:?}").to_lowercase()])
            .inc();
    }
    let text = gauges.render().map_err(|error| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics-failed",
            "Metrics failed",
            error.to_string(),
        )
    })?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}

/// Gauges are signed; indexes and terms stay far below 2^63.
fn to_gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
