//! A construction tender's candidate publicity and an objection to its result, over HTTPS on a
//! test clock: days pass by setting the clock, never by sleeping. The leader records the
//! unanswered objection by itself when its answer period ends; the award is refused while the
//! publicity runs, while the objection is unanswered, while it may still be taken to a
//! complaint and while the complaint is open (the leader records its overdue review by itself
//! too), then made, with a result notice to
//! every bidder; the whole log replays.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use sealbid_consensus::clock::ManualClock;
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_ledger::command::Action;
use sealbid_ledger::complaints::{ComplaintMatter, NotAcceptedReason, Review};
use sealbid_ledger::events::Response;
use sealbid_ledger::objections::ObjectionMatter;
use sealbid_ledger::types::{LotId, Market, TenderId};
use sealbid_testkit::sealed_offer;
use serde_json::Value;

use crate::signed_reads::read;
use crate::support::{Platform, now_ms, refused};
use crate::tender::{
    BIDDING_MS, cast, close_and_open, lot, publish_candidates, publish_test_calendars, publish_until, response, run,
    submit, verify_receipts_and_audit,
};

const LABEL: u8 = 30;

/// A day, ms.
const DAY_MS: u64 = 86_400_000;

/// The arrival window after a deadline before the leader closes bidding, with a margin.
const PAST_THE_WINDOW_MS: u64 = 10_000;

/// The tender as `/v1/tenders/{id}` shows it.
async fn view(platform: &Platform, tender: &TenderId) -> Value {
    let (status, _, body) = platform.get(&format!("/v1/tenders/{tender}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["tender"].clone()
}

/// Waits (at most 15 s) until the leader has recorded a lapse at `pointer` of the tender's view
/// (`/objections/0/lapsed`, say); the tender then.
async fn wait_lapsed(platform: &Platform, tender: &TenderId, pointer: &str) -> Value {
    for _ in 0..150 {
        let tender_view = view(platform, tender).await;
        if tender_view.pointer(pointer).is_some_and(|lapse| !lapse.is_null()) {
            return tender_view;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the leader did not record the lapse at {pointer}");
}

/// Whether the supervisors' warnings of `tender` include one of `indicator` at `level`.
async fn warned(
    platform: &Platform,
    tender: &TenderId,
    supervisor: &IdentityKeyPair,
    indicator: &str,
    level: &str,
) -> bool {
    let (status, warnings) = read(
        platform,
        &format!("/v1/supervision/tenders/{tender}/warnings"),
        supervisor,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{warnings}");
    warnings["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|warning| warning["indicator"] == indicator && warning["level"] == level)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_objection_to_the_result_lapses_unanswered_and_holds_the_award_until_it_is_answered() {
    let clock = Arc::new(ManualClock::new(now_ms()));
    let platform = Platform::start_with(sealbid_node::Layer::default(), clock.clone()).await;
    publish_test_calendars(&platform).await;
    let mut cast = cast(&platform, LABEL, 4).await;
    let supervisor = sealbid_testkit::key(LABEL, 1_001).unwrap();
    let deadline_ms = platform.now_ms() + BIDDING_MS;
    let (tender, opening_key) = publish_until(&platform, &mut cast, Market::Construction, lot("1"), deadline_ms).await;
    let lot_id = LotId::parse("1").unwrap();
    let mut receipts = Vec::new();
    // Prices with no pattern between them: no red warning holds the award.
    for (bidder, price) in cast.bidders.iter().zip([90_000, 72_000, 85_000]) {
        let envelope = sealed_offer(&tender, &lot_id, bidder, price, None, &opening_key).unwrap();
        receipts.push(submit(&platform, bidder, &tender, &lot_id, &envelope).await);
    }
    let objection = |key: usize, matter: ObjectionMatter| {
        let action = Action::FileObjection {
            tender: tender.clone(),
            matter,
            text: "The evaluation misread our qualification".into(),
        };
        (&cast.bidders[key], action)
    };
    // 实施条例 Art. 22: an objection to the documents comes at least 10 days before the deadline.
    let (key, late_objection) = objection(0, ObjectionMatter::Documents);
    refused(
        &platform,
        key,
        late_objection,
        StatusCode::CONFLICT,
        "objection-out-of-time",
    )
    .await;

    clock.set(deadline_ms + PAST_THE_WINDOW_MS);
    close_and_open(&platform, &cast, &tender).await;
    // Before the publicity, the result is not open to objection, and the award is refused.
    let (key, early) = objection(0, ObjectionMatter::Evaluation);
    refused(&platform, key, early, StatusCode::CONFLICT, "objection-out-of-time").await;
    let award = || Action::AwardTender { tender: tender.clone() };
    refused(&platform, &cast.office, award(), StatusCode::CONFLICT, "wrong-phase").await;

    // 实施条例 Art. 54: three days of publicity, the lowest offer first.
    let (ends_ms, award_from_ms) = publish_candidates(&platform, &cast, &tender).await;
    assert_eq!(
        ends_ms, award_from_ms,
        "a construction award waits for the publicity only"
    );
    // Three days from today, rolled over a weekend at most (the test calendar has no holidays).
    let now = platform.now_ms();
    assert!((now + 3 * DAY_MS..now + 6 * DAY_MS).contains(&ends_ms), "{ends_ms}");
    let open = platform
        .http
        .get(format!("{}/v1/tenders/{tender}", platform.base))
        .send()
        .await
        .unwrap();
    assert_eq!(open.headers()["cache-control"], "no-cache", "an open tender changes");
    assert!(open.headers().get("etag").is_none());
    let publicized = view(&platform, &tender).await;
    let candidates = &publicized["publicity"]["lots"]["1"]["candidates"];
    assert_eq!(
        candidates[0]["bidder"],
        cast.bidders[1].public_key().to_string(),
        "{publicized}"
    );
    assert_eq!(candidates[0]["price_fen"], 72_000, "{publicized}");
    assert_eq!(candidates.as_array().unwrap().len(), 3, "{publicized}");
    refused(
        &platform,
        &cast.office,
        award(),
        StatusCode::CONFLICT,
        "publicity-running",
    )
    .await;

    // Bidder 0 objects to the result; bidder 3, which did not bid, may not.
    let (key, outsider) = objection(3, ObjectionMatter::Evaluation);
    refused(&platform, key, outsider, StatusCode::FORBIDDEN, "not-a-party").await;
    let (key, filed) = objection(0, ObjectionMatter::Evaluation);
    let receipt = run(&platform, key, filed).await;
    let Response::ObjectionFiled {
        objection: objection_id,
        answer_due_ms,
    } = response(&receipt)
    else {
        panic!("{receipt}")
    };
    let now = platform.now_ms();
    assert!(
        (now + 3 * DAY_MS..now + 6 * DAY_MS).contains(&answer_due_ms),
        "{answer_due_ms}"
    );

    // The answer period ends unanswered: the leader records it, and a supervisor is warned.
    clock.set(answer_due_ms.max(award_from_ms) + 1_000);
    let lapsed = wait_lapsed(&platform, &tender, "/objections/0/lapsed").await;
    let lapse_index = lapsed["objections"][0]["lapsed"]["audit_index"].as_u64().unwrap();
    let (_, _, served) = platform
        .get(&format!("/v1/audit/entries?from={lapse_index}&count=1"))
        .await;
    let entry = served[0]["entry"].as_str().unwrap_or_else(|| panic!("{served}"));
    assert!(
        entry.contains("\"lapse\"") && entry.contains(objection_id.as_str()),
        "{entry}"
    );
    assert!(warned(&platform, &tender, &supervisor, "objection-unanswered", "yellow").await);

    // The publicity is over, but the unanswered objection holds the award until the answer.
    refused(
        &platform,
        &cast.office,
        award(),
        StatusCode::CONFLICT,
        "objection-pending",
    )
    .await;
    let answer = |objection: sealbid_ledger::types::ObjectionId| Action::AnswerObjection {
        tender: tender.clone(),
        objection,
        answer: "The qualification was read as filed".into(),
        amends: false,
    };
    let unknown = sealbid_ledger::types::ObjectionId::parse("O-000099").unwrap();
    refused(
        &platform,
        &cast.office,
        answer(unknown),
        StatusCode::NOT_FOUND,
        "unknown-objection",
    )
    .await;
    run(&platform, &cast.office, answer(objection_id.clone())).await;
    let answered = view(&platform, &tender).await;
    assert_eq!(answered["objections"][0]["answer"]["overdue"], true, "{answered}");
    refused(
        &platform,
        &cast.office,
        answer(objection_id.clone()),
        StatusCode::CONFLICT,
        "objection-answered",
    )
    .await;

    // Answered, the objection may go to a supervisor for 10 days: the award waits for that
    // window. Bidder 0 complains; the open complaint holds the award in turn.
    refused(
        &platform,
        &cast.office,
        award(),
        StatusCode::CONFLICT,
        "complaint-window-open",
    )
    .await;
    let complaint = Action::FileComplaint {
        tender: tender.clone(),
        matter: ComplaintMatter::Evaluation,
        objection: Some(objection_id.clone()),
        known_at_ms: None,
        text: "The answer does not say which qualification was read".into(),
    };
    let receipt = run(&platform, &cast.bidders[0], complaint).await;
    let Response::ComplaintFiled {
        complaint: complaint_id,
        review_due_ms,
    } = response(&receipt)
    else {
        panic!("{receipt}")
    };
    refused(
        &platform,
        &cast.office,
        award(),
        StatusCode::CONFLICT,
        "complaint-pending",
    )
    .await;

    // No supervisor reviews it in 3 working days: the leader records that by itself, and the
    // supervisors are warned. The late review does not accept it, which ends it.
    clock.set(review_due_ms + 1_000);
    wait_lapsed(&platform, &tender, "/complaints/0/review_lapsed").await;
    assert!(warned(&platform, &tender, &supervisor, "complaint-overdue", "yellow").await);
    let review = Action::ReviewComplaint {
        tender: tender.clone(),
        complaint: complaint_id,
        review: Review::NotAccepted {
            reason: NotAcceptedReason::AlreadyDecided,
        },
        text: "The objection's answer decided the matter; no new evidence".into(),
    };
    run(&platform, &supervisor, review).await;
    let reviewed = view(&platform, &tender).await;
    assert_eq!(reviewed["complaints"][0]["review"]["overdue"], true, "{reviewed}");

    // The award applies the published outcome and notifies every bidder whose bid was opened.
    let receipt = run(&platform, &cast.office, award()).await;
    let Response::TenderAwarded { .. } = response(&receipt) else {
        panic!("{receipt}")
    };
    let awarded = view(&platform, &tender).await;
    assert_eq!(awarded["phase"], "awarded", "{awarded}");
    let mut notices: Vec<(String, bool)> = awarded["result_notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|notice| {
            assert_eq!(notice["lot"], "1", "{notice}");
            (
                notice["bidder"].as_str().unwrap().to_owned(),
                notice["won"].as_bool().unwrap(),
            )
        })
        .collect();
    notices.sort();
    let mut expected: Vec<(String, bool)> = (0..3)
        .map(|index| (cast.bidders[index].public_key().to_string(), index == 1))
        .collect();
    expected.sort();
    assert_eq!(notices, expected, "{awarded}");
    // The information service: the tender's OCDS record, from the archive.
    let (status, _, package) = platform.get(&format!("/v1/tenders/{tender}/ocds")).await;
    assert_eq!(status, StatusCode::OK, "{package}");
    assert_eq!(
        package["uri"],
        format!("{}/v1/tenders/{tender}/ocds", platform.base),
        "the package's own https address"
    );
    let record = &package["records"][0];
    assert_eq!(record["ocid"], format!("ocds-sealbid-{tender}"));
    let tags: Vec<&str> = record["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["tag"][0].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["tender", "tenderUpdate", "award", "award"], "{package}");
    assert_eq!(record["compiledRelease"]["tender"]["status"], "complete");
    assert_eq!(
        record["compiledRelease"]["awards"][0]["suppliers"][0]["id"],
        cast.bidders[1].public_key().to_string()
    );
    let (status, _, _) = platform.get("/v1/tenders/T-999999/ocds").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A final tender's views never change: a tag, kept for a year, and 304 for a client that
    // holds it.
    let url = format!("{}/v1/tenders/{tender}", platform.base);
    let first = platform.http.get(&url).send().await.unwrap();
    assert_eq!(first.headers()["cache-control"], "public, max-age=31536000, immutable");
    let tag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(tag.starts_with('"') && tag.len() == 66, "{tag}");
    let body = first.bytes().await.unwrap();
    let again = platform.http.get(&url).send().await.unwrap();
    assert_eq!(again.headers()["etag"], tag.as_str(), "the same tag each time");
    assert_eq!(again.bytes().await.unwrap(), body);
    let cached = platform
        .http
        .get(&url)
        .header("if-none-match", format!("\"other\", {tag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert!(cached.bytes().await.unwrap().is_empty());
    let stale = platform
        .http
        .get(format!("{url}/bids"))
        .header("if-none-match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::OK);
    // The information service's notices: the publication, the opening record with names and
    // prices, the candidates and the result, in log order, whole pages or one at a time.
    let (status, _, page) = platform.get("/v1/notices").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let notices = page["notices"].as_array().unwrap();
    let kinds: Vec<&str> = notices
        .iter()
        .map(|notice| notice["content"].as_object().unwrap().keys().next().unwrap().as_str())
        .collect();
    assert_eq!(kinds, ["tender", "opening", "candidates", "result"], "{page}");
    assert_eq!(page["next"], Value::Null);
    let opening = &notices[1]["content"]["opening"]["bids"];
    assert_eq!(opening.as_array().unwrap().len(), 3, "{opening}");
    assert!(
        opening
            .as_array()
            .unwrap()
            .iter()
            .any(|bid| bid["price_fen"] == 72_000 && bid["bidder"] == cast.bidders[1].public_key().to_string()),
        "{opening}"
    );
    let mut paged = Vec::new();
    let mut from = Some(0);
    for _ in 0..10 {
        let Some(start) = from else { break };
        let (_, _, page) = platform.get(&format!("/v1/notices?from={start}&count=1")).await;
        paged.extend(page["notices"].as_array().unwrap().iter().cloned());
        from = page["next"].as_u64();
    }
    assert_eq!(&paged, notices, "one at a time, the same notices");
    // Filtered by kind, tender, market and office: what matches of the page read.
    let (_, _, results) = platform.get("/v1/notices?kind=result").await;
    assert_eq!(
        results["notices"].as_array().unwrap(),
        &[notices[3].clone()],
        "{results}"
    );
    let tender_id = notices[0]["tender"].as_str().unwrap();
    let office = notices[0]["office"].as_str().unwrap().replace(':', "%3A");
    let market = notices[0]["market"].as_str().unwrap();
    for query in [
        format!("tender={tender_id}"),
        format!("office={office}&market={market}"),
    ] {
        let (status, _, page) = platform.get(&format!("/v1/notices?{query}")).await;
        assert_eq!(
            (status, page["notices"].as_array().unwrap()),
            (StatusCode::OK, notices),
            "{query}"
        );
    }
    for query in ["tender=T-999999", "market=coal_coke", "kind=amendment"] {
        let (_, _, page) = platform.get(&format!("/v1/notices?{query}")).await;
        assert_eq!(page["notices"], serde_json::json!([]), "{query}: {page}");
    }
    // A filtered page of one that holds nothing still says where the next starts.
    let (_, _, empty_page) = platform.get("/v1/notices?count=1&kind=result").await;
    assert_eq!(
        (&empty_page["notices"], empty_page["next"].as_u64()),
        (
            &serde_json::json!([]),
            notices[0]["audit_index"].as_u64().map(|index| index + 1)
        ),
        "{empty_page}"
    );
    for bad in [
        "?count=many",
        "?from=-1",
        "?colour=blue",
        "?kind=gossip",
        "?office=ed25519:x",
        "?tender=no%20such",
        "?market=fish",
    ] {
        let (status, _, problem) = platform.get(&format!("/v1/notices{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }
    let (status, atom) = platform.get_text("/v1/notices.atom").await;
    assert_eq!(status, StatusCode::OK);
    let feed: atom_syndication::Feed = atom.parse().unwrap_or_else(|error| panic!("{error}: {atom}"));
    let titles: Vec<String> = feed.entries.iter().map(|entry| entry.title.value.clone()).collect();
    assert_eq!(titles.len(), 4, "{atom}");
    assert!(
        titles[0].starts_with(&format!("{tender} ")) && titles[0].ends_with("中标结果公告 result"),
        "{titles:?}"
    );
    assert!(
        titles[3].ends_with("招标公告 tender notice"),
        "newest first: {titles:?}"
    );
    verify_receipts_and_audit(&platform, &receipts).await;
    platform.stop().await;
}
