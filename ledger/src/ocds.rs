//! The Open Contracting Data Standard (OCDS 1.1, with the bid extension) for one tender: its
//! releases, one per event the ledger records, and the record that compiles them. Pure: built
//! from the tender (live, or its archive record) and the participants' names, so every node
//! serves the same bytes for the same state.
//!
//! Data flow: [`releases`] walks the tender's history in order: the publication (`tender`),
//! each amendment (`tenderAmendment`), the opening (`tenderUpdate`, with `bids.details`: the
//! opening record of names and prices; nothing about bidders before it), the candidate
//! publicity (`award`, the first-ranked candidates as `pending` awards), and the award
//! (`award`) or the cancellation (`tenderCancellation`). [`record_package`] wraps them, with a
//! compiled release of the tender as it stands, in a record package (docs/protocol.md §10.13).

use serde_json::{Map, Value, json};

use sealbid_crypto::identity::PublicKey;

use crate::award::LotOutcome;
use crate::state::State;
use crate::tender::{BidStatus, Phase, Tender};
use crate::types::Market;

/// The OCDS version the packages declare.
pub const OCDS_VERSION: &str = "1.1";
/// The bid extension the releases use (`bids.details`), as the packages name it.
pub const BID_EXTENSION_URL: &str =
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json";

/// Who publishes, and under which OCID prefix.
#[derive(Debug, Clone, Copy)]
pub struct Publisher<'a> {
    /// The OCID prefix: a tender's OCID is the prefix, `-` and its id.
    pub ocid_prefix: &'a str,
    /// The publisher's name.
    pub name: &'a str,
    /// Where the package is served.
    pub uri: &'a str,
}

/// An instant, ms since the Unix epoch, as an RFC 3339 date-time in UTC.
pub fn date_time(timestamp_ms: u64) -> String {
    let nanos = i128::from(timestamp_ms).saturating_mul(1_000_000);
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|moment| moment.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// An amount in fen as an OCDS value in yuan (CNY).
fn value(fen: u64) -> Value {
    let amount = if fen.is_multiple_of(100) {
        json!(fen / 100)
    } else {
        // Every amount in the ledger is below 2^53 fen, so the fen are exact as a double; the
        // JSON writes the quotient as the shortest number that reads back equal (900.5).
        #[allow(clippy::cast_precision_loss)]
        let yuan = fen as f64 / 100.0;
        json!(yuan)
    };
    json!({"amount": amount, "currency": "CNY"})
}

/// A participant's name, or its key when the ledger has none.
fn name(state: &State, key: &PublicKey) -> String {
    state
        .participants
        .get(key)
        .map_or_else(|| key.to_string(), |participant| participant.name.clone())
}

/// Sets `key` of the object `object` (a no-op on anything but an object, which every caller
/// builds with `json!`).
fn set(object: &mut Value, key: &str, value: Value) {
    debug_assert!(object.is_object(), "only objects get members");
    if let Some(fields) = object.as_object_mut() {
        fields.insert(key.to_owned(), value);
    }
}

/// An organisation reference.
fn organisation(state: &State, key: &PublicKey) -> Value {
    json!({"id": key.to_string(), "name": name(state, key)})
}

/// What kind of procurement a market's tenders are, where OCDS has a category for it.
fn category(market: Market) -> Option<&'static str> {
    match market {
        Market::Construction => Some("works"),
        Market::Procurement | Market::LandUseRight | Market::PropertyRights | Market::CoalCoke => None,
    }
}

/// The market's name and its Chinese name, for `procurementMethodDetails`.
fn market_details(market: Market) -> &'static str {
    match market {
        Market::Procurement => "government procurement (政府采购)",
        Market::Construction => "construction tendering (工程建设招标)",
        Market::LandUseRight => "land-use right transfer (土地使用权出让)",
        Market::PropertyRights => "property rights transfer (产权交易)",
        Market::CoalCoke => "coal and coke trading (煤炭焦炭交易)",
    }
}

/// The tender's lots as OCDS items.
fn items(tender: &Tender) -> Value {
    tender
        .spec
        .lots
        .iter()
        .map(|lot| {
            let mut item = json!({"id": lot.id.to_string(), "description": lot.title});
            if let Some(tonnes) = lot.quantity_tonnes {
                set(&mut item, "quantity", json!(tonnes));
                set(&mut item, "unit", json!({"name": "tonne"}));
            }
            item
        })
        .collect()
}

/// The tender section with what is known at `deadline_ms` and `status`, and the amendments
/// up to `amendments`.
fn tender_section(tender: &Tender, status: &str, deadline_ms: u64, amendments: usize) -> Value {
    let mut section = json!({
        "id": tender.id.to_string(),
        "title": tender.spec.title,
        "status": status,
        "procuringEntity": {"id": tender.office.to_string()},
        "items": items(tender),
        "procurementMethod": "open",
        "procurementMethodDetails": market_details(tender.spec.market),
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {
            "startDate": date_time(tender.published_at_ms),
            "endDate": date_time(deadline_ms),
        },
    });
    if let Some(category) = category(tender.spec.market) {
        set(&mut section, "mainProcurementCategory", json!(category));
    }
    if amendments > 0 {
        set(
            &mut section,
            "amendments",
            tender
                .amendments
                .iter()
                .take(amendments)
                .enumerate()
                .map(|(index, amendment)| {
                    json!({
                        "id": format!("{}-amendment-{}", tender.id, index + 1),
                        "date": date_time(amendment.timestamp_ms),
                        "description": amendment.notice,
                    })
                })
                .collect(),
        );
    }
    section
}

/// The opening record as `bids.details`, with each bid's status `at_opening` (disqualified
/// bids were valid when opened) or as it stands.
fn bids(state: &State, tender: &Tender, at_opening: bool) -> Option<Value> {
    let opening = tender.opening.as_ref()?;
    let details: Vec<Value> = opening
        .bids
        .iter()
        .map(|bid| {
            let status = match (&bid.status, at_opening) {
                (BidStatus::Valid, _) | (BidStatus::Disqualified { .. }, true) => "valid",
                (BidStatus::Invalid { .. } | BidStatus::Disqualified { .. }, _) => "disqualified",
            };
            let mut detail = json!({
                "id": format!("{}-bid-{}", tender.id, bid.audit_index),
                "status": status,
                "tenderers": [organisation(state, &bid.bidder)],
            });
            if let Some(price) = bid.price_fen {
                set(&mut detail, "value", value(price.get()));
            }
            detail
        })
        .collect();
    Some(json!({"details": details}))
}

/// The parties: the office, and after the opening every bidder whose bid it read.
fn parties(state: &State, tender: &Tender) -> Value {
    let mut parties = vec![json!({
        "id": tender.office.to_string(),
        "name": name(state, &tender.office),
        "roles": ["procuringEntity"],
    })];
    if let Some(opening) = &tender.opening {
        let mut bidders: Vec<&PublicKey> = opening.bids.iter().map(|bid| &bid.bidder).collect();
        bidders.sort();
        bidders.dedup();
        let winners: Vec<PublicKey> = tender
            .results
            .iter()
            .flat_map(|results| results.values())
            .flat_map(|outcome| match outcome {
                LotOutcome::Awarded { winners } => winners.iter().map(|winner| winner.bidder).collect(),
                LotOutcome::Failed { .. } => Vec::new(),
            })
            .collect();
        for bidder in bidders {
            let roles = if winners.contains(bidder) {
                json!(["tenderer", "supplier"])
            } else {
                json!(["tenderer"])
            };
            parties.push(json!({"id": bidder.to_string(), "name": name(state, bidder), "roles": roles}));
        }
    }
    Value::Array(parties)
}

/// The awards of `outcomes` (per lot) with `status` for an awarded lot.
fn awards<'a>(
    state: &State,
    tender: &Tender,
    outcomes: impl Iterator<Item = (&'a crate::types::LotId, &'a LotOutcome)>,
    status: &str,
    date_ms: u64,
) -> Value {
    outcomes
        .map(|(lot, outcome)| {
            let item = tender
                .spec
                .lots
                .iter()
                .find(|spec| &spec.id == lot)
                .map(|spec| json!({"id": spec.id.to_string(), "description": spec.title}));
            let mut award = json!({
                "id": format!("{}-award-{lot}", tender.id),
                "date": date_time(date_ms),
                "items": item.into_iter().collect::<Vec<_>>(),
            });
            match outcome {
                LotOutcome::Awarded { winners } => {
                    set(&mut award, "status", json!(status));
                    set(
                        &mut award,
                        "suppliers",
                        winners
                            .iter()
                            .map(|winner| organisation(state, &winner.bidder))
                            .collect(),
                    );
                    set(
                        &mut award,
                        "value",
                        value(winners.iter().map(|winner| winner.pay_fen).sum()),
                    );
                    if let [winner] = winners.as_slice() {
                        set(
                            &mut award,
                            "relatedBid",
                            json!(format!("{}-bid-{}", tender.id, winner.audit_index)),
                        );
                    }
                }
                LotOutcome::Failed { .. } => set(&mut award, "status", json!("unsuccessful")),
            }
            award
        })
        .collect()
}

/// The tender's status as it stands.
fn status(tender: &Tender) -> &'static str {
    match tender.phase {
        Phase::Cancelled => "cancelled",
        Phase::Failed => "unsuccessful",
        Phase::Awarded => "complete",
        Phase::KeyGeneration | Phase::Bidding | Phase::Closed | Phase::Opened | Phase::Publicity => "active",
    }
}

/// One release of `tender`: `number` orders it, `tag` says what it is.
fn release(ocid: &str, number: usize, tag: &str, date_ms: u64, body: Map<String, Value>) -> Value {
    let mut release = json!({
        "ocid": ocid,
        "id": format!("{ocid}-{number:02}-{tag}"),
        "date": date_time(date_ms),
        "tag": [tag],
        "initiationType": "tender",
        "language": "zh",
    });
    if let Some(fields) = release.as_object_mut() {
        fields.extend(body);
    }
    release
}

/// The fields of a release, from pairs.
fn fields<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(key, value)| (key.to_owned(), value)).collect()
}

/// Every release of `tender`, oldest first; `final_at_ms` is when it became final (its archive
/// record's time), if it did.
pub fn releases(state: &State, tender: &Tender, ocid_prefix: &str, final_at_ms: Option<u64>) -> Vec<Value> {
    let ocid = format!("{ocid_prefix}-{}", tender.id);
    let office_party = || {
        json!([{
            "id": tender.office.to_string(),
            "name": name(state, &tender.office),
            "roles": ["procuringEntity"],
        }])
    };
    let mut releases = vec![release(
        &ocid,
        1,
        "tender",
        tender.published_at_ms,
        fields([
            ("parties", office_party()),
            ("tender", tender_section(tender, "active", tender.spec.deadline_ms, 0)),
        ]),
    )];
    for (index, amendment) in tender.amendments.iter().enumerate() {
        let section = tender_section(tender, "active", amendment.deadline_ms, index + 1);
        releases.push(release(
            &ocid,
            releases.len() + 1,
            "tenderAmendment",
            amendment.timestamp_ms,
            fields([("parties", office_party()), ("tender", section)]),
        ));
    }
    let deadline_ms = tender.deadline_ms;
    let amendments = tender.amendments.len();
    if let (Some(opened_at_ms), Some(bids)) = (tender.opened_at_ms, bids(state, tender, true)) {
        let mut section = tender_section(tender, "active", deadline_ms, amendments);
        set(&mut section, "numberOfTenderers", json!(tenderers(tender)));
        releases.push(release(
            &ocid,
            releases.len() + 1,
            "tenderUpdate",
            opened_at_ms,
            fields([("parties", parties(state, tender)), ("tender", section), ("bids", bids)]),
        ));
    }
    if let Some(publicity) = &tender.publicity {
        let outcomes = publicity
            .lots
            .iter()
            .map(|(lot, publicized)| (lot, &publicized.outcome));
        let pending = awards(state, tender, outcomes, "pending", publicity.published_at_ms);
        releases.push(release(
            &ocid,
            releases.len() + 1,
            "award",
            publicity.published_at_ms,
            fields([("parties", parties(state, tender)), ("awards", pending)]),
        ));
    }
    if let Some(final_at_ms) = final_at_ms {
        let section = tender_section(tender, status(tender), deadline_ms, amendments);
        let (tag, mut body) = match &tender.results {
            Some(results) => (
                "award",
                fields([("awards", awards(state, tender, results.iter(), "active", final_at_ms))]),
            ),
            None => ("tenderCancellation", Map::new()),
        };
        body.insert("tender".into(), section);
        body.insert("parties".into(), parties(state, tender));
        releases.push(release(&ocid, releases.len() + 1, tag, final_at_ms, body));
    }
    releases
}

/// How many bidders the opening read.
fn tenderers(tender: &Tender) -> usize {
    let mut bidders: Vec<&PublicKey> = tender
        .opening
        .iter()
        .flat_map(|opening| opening.bids.iter().map(|bid| &bid.bidder))
        .collect();
    bidders.sort();
    bidders.dedup();
    bidders.len()
}

/// The tender as it stands, as a compiled release dated `date_ms`.
fn compiled(state: &State, tender: &Tender, ocid_prefix: &str, date_ms: u64, final_at_ms: Option<u64>) -> Value {
    let ocid = format!("{ocid_prefix}-{}", tender.id);
    let mut section = tender_section(tender, status(tender), tender.deadline_ms, tender.amendments.len());
    let mut body = fields([("parties", parties(state, tender))]);
    if let Some(bids) = bids(state, tender, false) {
        set(&mut section, "numberOfTenderers", json!(tenderers(tender)));
        body.insert("bids".into(), bids);
    }
    body.insert("tender".into(), section);
    match (&tender.results, &tender.publicity, final_at_ms) {
        (Some(results), _, Some(final_at_ms)) => {
            body.insert(
                "awards".into(),
                awards(state, tender, results.iter(), "active", final_at_ms),
            );
        }
        (_, Some(publicity), _) => {
            let outcomes = publicity
                .lots
                .iter()
                .map(|(lot, publicized)| (lot, &publicized.outcome));
            body.insert(
                "awards".into(),
                awards(state, tender, outcomes, "pending", publicity.published_at_ms),
            );
        }
        _ => {}
    }
    let mut compiled = release(&ocid, 0, "compiled", date_ms, body);
    set(&mut compiled, "id", json!(format!("{ocid}-compiled")));
    compiled
}

/// The record package of `tender`: its releases and the compiled release, published at the
/// newest release's date.
pub fn record_package(state: &State, tender: &Tender, publisher: &Publisher<'_>, final_at_ms: Option<u64>) -> Value {
    let releases = releases(state, tender, publisher.ocid_prefix, final_at_ms);
    let published_ms = releases_date_ms(tender, final_at_ms);
    let compiled = compiled(state, tender, publisher.ocid_prefix, published_ms, final_at_ms);
    json!({
        "uri": publisher.uri,
        "version": OCDS_VERSION,
        "extensions": [BID_EXTENSION_URL],
        "publisher": {"name": publisher.name},
        "publishedDate": date_time(published_ms),
        "records": [{
            "ocid": format!("{}-{}", publisher.ocid_prefix, tender.id),
            "releases": releases,
            "compiledRelease": compiled,
        }],
    })
}

/// A release package of `releases` (of one or more tenders), published at the newest release's
/// date.
pub fn release_package(releases: Vec<Value>, publisher: &str, uri: &str) -> Value {
    let published = releases
        .iter()
        .filter_map(|release| release.get("date").and_then(Value::as_str))
        .max()
        .unwrap_or_default()
        .to_owned();
    json!({
        "uri": uri,
        "version": OCDS_VERSION,
        "extensions": [BID_EXTENSION_URL],
        "publisher": {"name": publisher},
        "publishedDate": published,
        "releases": releases,
    })
}

/// The newest release's instant.
fn releases_date_ms(tender: &Tender, final_at_ms: Option<u64>) -> u64 {
    [
        Some(tender.published_at_ms),
        tender.amendments.last().map(|amendment| amendment.timestamp_ms),
        tender.opened_at_ms,
        tender.publicity.as_ref().map(|publicity| publicity.published_at_ms),
        final_at_ms,
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(tender.published_at_ms)
}
