//! The burst scenario's actors and tenders: an office, a 2-of-3 opening committee, bidders with
//! their own keys, T tenders across the markets, and every bid sealed and signed before the run
//! (its cost is reported apart). After the run the office closes every tender, two members
//! release their shares, and the office opens (timed) each one and awards those of the markets
//! without candidate publicity (the others' award waits days for it).

use std::time::Instant;

use sealbid_api::commands::CommandBody;
use sealbid_crypto::curve::CurvePoint;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::{Action, LotSpec, TenderSpec};
use sealbid_ledger::types::{LotId, Market, Role, TenderId};
use sealbid_testkit::{Committee, approval, bidder, grant, key, sealed_offer, sealed_reserve};
use tokio::task::JoinSet;

use crate::platform::{Platform, ScenarioError, now_ms};
use crate::random::SeededRandom;

/// The markets tenders cycle through.
pub const MARKETS: [Market; 5] = [
    Market::Procurement,
    Market::Construction,
    Market::LandUseRight,
    Market::PropertyRights,
    Market::CoalCoke,
];
/// Setup commands in flight at once.
const SETUP_CONCURRENCY: usize = 32;
/// Key labels (testkit) of the scenario's actors, apart from other tests' actors.
const OFFICE_LABEL: u8 = 200;
/// The committee's key label.
const COMMITTEE_LABEL: u8 = 201;
/// Refusals that mean "already done by an earlier run against this platform".
const ALREADY_DONE: [&str; 2] = ["duplicate-registration", "wrong-registration-status"];
/// The width of each bidder's band of prices (all bands apart, so no two bids tie).
const PRICE_BAND_FEN: u64 = 900;
/// Reserve prices are low, so that nearly every bid is valid.
const RESERVE_FEN: u64 = 100_000;

/// The scenario's size.
#[derive(Debug, Clone)]
pub struct Size {
    /// Tenders, cycling through [`MARKETS`].
    pub tenders: usize,
    /// On-time bids in all.
    pub bids: usize,
    /// Bids sent after the deadline.
    pub late_bids: usize,
    /// Prices and quantities come from this seed.
    pub seed: u64,
}

impl Size {
    /// Bidders on time: enough for one bid per bidder per tender.
    pub fn bidders(&self) -> usize {
        self.bids.div_ceil(self.tenders.max(1))
    }
}

/// One bid, sealed and signed, and where it goes.
#[derive(Debug, Clone)]
pub struct PreparedBid {
    /// Index into [`Prepared::tenders`].
    pub tender: usize,
    /// The bidder's index.
    pub bidder: usize,
    /// The bidder's key text, as the opening lists it.
    pub bidder_key: String,
    /// The signed `SubmitBid` with its envelope beside it, as sent.
    pub command: CommandBody,
}

/// A tender of the scenario.
#[derive(Debug)]
pub struct ScenarioTender {
    /// Its id.
    pub id: TenderId,
    /// Its market.
    pub market: Market,
    /// Its committee (same keys for every tender; the dealings are the tender's own).
    pub committee: Committee,
}

/// Everything set up before the run.
#[derive(Debug)]
pub struct Prepared {
    /// The office running every tender.
    pub office: IdentityKeyPair,
    /// The tenders.
    pub tenders: Vec<ScenarioTender>,
    /// On-time bids, in bid order (bid j is on tender j mod T).
    pub bids: Vec<PreparedBid>,
    /// Late bids, by bidders who have no other bid on that tender.
    pub late_bids: Vec<PreparedBid>,
    /// Time spent sealing and signing the bids, µs, and how many.
    pub sealing_us: u64,
}

/// Registers the actors, publishes and keys the tenders, seals and signs every bid.
pub async fn prepare(platform: &Platform, size: &Size) -> Result<Prepared, ScenarioError> {
    let office = key(OFFICE_LABEL, 0).map_err(unexpected)?;
    let operator = &platform.operator;
    platform
        .run(
            "grant the office",
            operator,
            grant(&office, Role::Office, "Load-test office"),
            &ALREADY_DONE,
        )
        .await?;
    let committee = Committee::new(COMMITTEE_LABEL, 3, 2).map_err(unexpected)?;
    for (identity, _) in &committee.members {
        let action = grant(identity, Role::CommitteeMember, "Load-test member");
        platform.run("grant a member", operator, action, &ALREADY_DONE).await?;
    }
    for (identity, action) in committee.registrations().map_err(unexpected)? {
        platform
            .run("register an encryption key", identity, action, &ALREADY_DONE)
            .await?;
    }
    let registrar = grant(operator, Role::Registrar, "Load-test registration desk");
    platform
        .run("grant the registrar", operator, registrar, &ALREADY_DONE)
        .await?;
    register_bidders(platform, size.bidders() + size.late_bids).await?;
    let mut tenders = Vec::new();
    for index in 0..size.tenders {
        let market = MARKETS
            .get(index % MARKETS.len())
            .copied()
            .unwrap_or(Market::Procurement);
        tenders.push(publish(platform, &office, index, market, size).await?);
    }
    let mut opening_keys = Vec::new();
    for tender in &mut tenders {
        opening_keys.push(generate_key(platform, &office, tender).await?);
    }
    let started = Instant::now();
    let mut random = SeededRandom::new(size.seed);
    let mut seal = |tender: usize, bidder_index: usize| {
        seal_bid(platform, &tenders, &opening_keys, tender, bidder_index, &mut random)
    };
    // Bid j is bidder j / T's on tender j mod T; late bid k is a bidder of its own, beyond them.
    let bids = (0..size.bids)
        .map(|bid| seal(bid % size.tenders, bid / size.tenders))
        .collect::<Result<Vec<_>, _>>()?;
    let late_bids = (0..size.late_bids)
        .map(|late| seal(late % size.tenders, size.bidders() + late))
        .collect::<Result<Vec<_>, _>>()?;
    let sealing_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    Ok(Prepared {
        office,
        tenders,
        bids,
        late_bids,
        sealing_us,
    })
}

/// A step's error that is not the platform's.
fn unexpected(error: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::Unexpected(error.to_string())
}

/// Registers bidders `0..count` (testkit's keys and credit codes), many at a time; the operator,
/// as the registrar, approves each application once it is in.
async fn register_bidders(platform: &Platform, count: usize) -> Result<(), ScenarioError> {
    let mut running = JoinSet::new();
    for index in 0..count {
        let (key, action) = bidder(index as u64).map_err(unexpected)?;
        let registration = platform.sign(&key, action)?;
        let approval = platform.sign(&platform.operator, approval(&key))?;
        let client = platform
            .clients
            .get(index % platform.clients.len().max(1))
            .cloned()
            .ok_or_else(|| unexpected("no node"))?;
        running.spawn(async move {
            already_done(client.submit(&registration).await, "register a bidder")?;
            already_done(client.submit(&approval).await, "approve a bidder")
        });
        if running.len() >= SETUP_CONCURRENCY {
            joined(running.join_next().await)?;
        }
    }
    while let Some(finished) = running.join_next().await {
        joined(Some(finished))?;
    }
    Ok(())
}

/// A set-up step's answer: applied, or done by an earlier run.
fn already_done(
    answer: Result<sealbid_api::commands::Receipt, sealbid_api::client::ClientError>,
    step: &str,
) -> Result<(), ScenarioError> {
    match answer {
        Ok(_) => Ok(()),
        Err(sealbid_api::client::ClientError::Problem(problem)) if ALREADY_DONE.contains(&problem.code.as_str()) => {
            Ok(())
        }
        Err(source) => Err(ScenarioError::Client {
            step: step.into(),
            source: Box::new(source),
        }),
    }
}

/// A finished set-up task's outcome.
fn joined(finished: Option<Result<Result<(), ScenarioError>, tokio::task::JoinError>>) -> Result<(), ScenarioError> {
    match finished {
        None => Ok(()),
        Some(Ok(outcome)) => outcome,
        Some(Err(error)) => Err(unexpected(error)),
    }
}

/// Publishes tender `index` in `market` (one lot; deadline far ahead, moved before the run).
async fn publish(
    platform: &Platform,
    office: &IdentityKeyPair,
    index: usize,
    market: Market,
    size: &Size,
) -> Result<ScenarioTender, ScenarioError> {
    let committee = Committee::new(COMMITTEE_LABEL, 3, 2).map_err(unexpected)?;
    let bids_on_it = size.bidders() + size.late_bids;
    let spec = TenderSpec {
        title: format!("Load-test tender {index}"),
        market,
        lots: vec![LotSpec {
            id: lot()?,
            title: "Lot 1".into(),
            quantity_tonnes: market.is_multi_unit().then_some(bids_on_it as u64 * 50),
            lot_size_tonnes_min: market.is_multi_unit().then_some(1),
            ceiling_price_fen: None,
        }],
        deadline_ms: now_ms() + 50 * 60 * 1000,
        notice_period_ms: 1_000,
        // Procurement and construction fail with fewer than 3 valid bids (流标); the ledger
        // refuses a lower minimum there.
        valid_bids_min: if matches!(market, Market::Procurement | Market::Construction) {
            3
        } else {
            1
        },
        committee: committee.identities(),
        threshold: 2,
        bid_validity_days: None,
    };
    let receipt = platform
        .apply("publish a tender", office, Action::PublishTender(spec))
        .await?;
    let answer = serde_json::to_value(&receipt.response).map_err(unexpected)?;
    let id = answer
        .pointer("/tender_published/tender")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| unexpected(format!("publishing answered {answer}")))?;
    Ok(ScenarioTender {
        id: TenderId::parse(id).map_err(unexpected)?,
        market,
        committee,
    })
}

/// The lot every tender has.
fn lot() -> Result<LotId, ScenarioError> {
    LotId::parse("1").map_err(unexpected)
}

/// Runs the tender's key generation (3 dealings, 3 responses), seals the office's reserve for
/// the markets that have one; the opening key.
async fn generate_key(
    platform: &Platform,
    office: &IdentityKeyPair,
    tender: &mut ScenarioTender,
) -> Result<CurvePoint, ScenarioError> {
    let id = tender.id.clone();
    for (identity, action) in tender.committee.deals(&id).map_err(unexpected)? {
        platform.apply("deal", identity, action).await?;
    }
    for (identity, action) in tender.committee.responses(&id).map_err(unexpected)? {
        platform.apply("respond", identity, action).await?;
    }
    let generation = platform
        .first()?
        .key_generation(id.as_str())
        .await
        .map_err(|source| ScenarioError::Client {
            step: "read the key generation".into(),
            source: Box::new(source),
        })?;
    let opening_key = generation
        .outcome
        .map(|outcome| outcome.opening_key)
        .ok_or_else(|| unexpected(format!("tender {id} has no opening key after the key generation")))?;
    if tender.market.has_reserve_price() {
        let envelope = sealed_reserve(&id, &lot()?, office, RESERVE_FEN, &opening_key).map_err(unexpected)?;
        let action = Action::SealReservePrice {
            tender: id,
            lot: lot()?,
            envelope,
        };
        platform.apply("seal a reserve", office, action).await?;
    }
    Ok(opening_key)
}

/// Bidder `bidder`'s bid on tender `tender`, sealed and signed.
fn seal_bid(
    platform: &Platform,
    tenders: &[ScenarioTender],
    opening_keys: &[CurvePoint],
    tender: usize,
    bidder_index: usize,
    random: &mut SeededRandom,
) -> Result<PreparedBid, ScenarioError> {
    let (Some(scenario_tender), Some(opening_key)) = (tenders.get(tender), opening_keys.get(tender)) else {
        return Err(unexpected(format!("no tender {tender}")));
    };
    let (key, _) = bidder(bidder_index as u64).map_err(unexpected)?;
    // Every bid of the load test comes from this machine's address, so two equal prices on a
    // tender would raise the red `converging-signals` warning and hold its award for a
    // supervisor: each bidder prices within its own band of 900 fen, so no two are equal.
    let price_fen = 1_000_000 + bidder_index as u64 * PRICE_BAND_FEN + random.below(PRICE_BAND_FEN);
    let quantity = scenario_tender.market.is_multi_unit().then(|| 1 + random.below(100));
    let envelope =
        sealed_offer(&scenario_tender.id, &lot()?, &key, price_fen, quantity, opening_key).map_err(unexpected)?;
    let action = Action::SubmitBid {
        tender: scenario_tender.id.clone(),
        lot: lot()?,
        envelope_sha256: envelope.sha256().map_err(unexpected)?,
    };
    Ok(PreparedBid {
        tender,
        bidder: bidder_index,
        bidder_key: key.public_key().to_string(),
        command: CommandBody::new(platform.sign(&key, action)?, Some(envelope)),
    })
}

/// Moves every tender's deadline to `deadline_ms` (the run's end).
pub async fn set_deadlines(platform: &Platform, prepared: &Prepared, deadline_ms: u64) -> Result<(), ScenarioError> {
    for tender in &prepared.tenders {
        let action = Action::AmendTender {
            tender: tender.id.clone(),
            notice: "The bidding window of the load test".into(),
            deadline_ms: Some(deadline_ms),
        };
        platform.apply("move the deadline", &prepared.office, action).await?;
    }
    Ok(())
}

/// What finishing one tender took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finished {
    /// The tender.
    pub tender: String,
    /// Its market.
    pub market: Market,
    /// From sending `OpenTender` to its receipt (commit, then decrypting and ranking every bid),
    /// ms.
    pub opening_ms: f64,
    /// The ledger's answer to the opening.
    pub opened: serde_json::Value,
}

/// How long after the deadline the load test waits for the leader to close a tender: the
/// arrival window (2 s by default) and a margin.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits for the leader to close every tender (at the deadline plus the arrival window),
/// releases two shares each, opens (timed) and awards those of the markets without candidate
/// publicity: a procurement or construction award waits days for its publicity to run, so
/// those tenders end the run opened.
pub async fn finish(
    platform: &Platform,
    prepared: &Prepared,
    deadline_ms: u64,
) -> Result<Vec<Finished>, ScenarioError> {
    let wait_ms = deadline_ms.saturating_sub(now_ms()) + 200;
    tokio::time::sleep(std::time::Duration::from_millis(wait_ms)).await;
    let mut finished = Vec::new();
    for tender in &prepared.tenders {
        let id = tender.id.clone();
        platform.wait_closed(id.as_str(), CLOSE_WAIT).await?;
        for member in 1..=2 {
            let (identity, action) = tender.committee.release(&id, member).map_err(unexpected)?;
            platform.apply("release a share", identity, action).await?;
        }
        let started = Instant::now();
        let receipt = platform
            .apply("open", &prepared.office, Action::OpenTender { tender: id.clone() })
            .await?;
        let opening_ms = started.elapsed().as_secs_f64() * 1_000.0;
        if !tender.market.rules().candidate_publicity {
            platform
                .apply("award", &prepared.office, Action::AwardTender { tender: id.clone() })
                .await?;
        }
        finished.push(Finished {
            tender: id.to_string(),
            market: tender.market,
            opening_ms,
            opened: serde_json::to_value(&receipt.response).map_err(unexpected)?,
        });
    }
    Ok(finished)
}
