//! Performance evaluation through the real ledger, on a scenario whose delays are known: in
//! September a construction tender's candidates published the day after its opening and its award
//! within its bid validity; in
//! November two objections answered (one in 2 days of the 3 allowed, one 2 days late), a
//! correction order replied 2 days late, a complaint reviewed and decided in time, and a second
//! order left unanswered past its due time. The expected figures are sums of the delays written
//! out below, and the instants were converted from China Standard Time by another program.

use std::rc::Rc;

use sealbid_ledger::command::Action;
use sealbid_ledger::complaints::{ComplaintMatter, Decision, Review};
use sealbid_ledger::objections::ObjectionMatter;
use sealbid_ledger::performance::{Month, Step, Tally, report};
use sealbid_ledger::types::{ComplaintId, CorrectionId, Market};

use crate::objections::{
    SEP_15_09H, SEP_16_10H, SEP_21, filed, harness_in_2026, office_answers, open_on_sep_15, publish,
};
use crate::support::lot;

/// One hour, ms.
const HOUR_MS: u64 = 60 * 60 * 1000;

// Instants, ms since the Unix epoch, of times in China Standard Time (UTC+8), 2026.
/// 11-02 10:00, a Monday.
const NOV_2_10H: u64 = 1_793_584_800_000;
/// 11-03 10:00.
const NOV_3_10H: u64 = 1_793_671_200_000;
/// 11-04 10:00.
const NOV_4_10H: u64 = 1_793_757_600_000;
/// 11-05 10:00.
const NOV_5_10H: u64 = 1_793_844_000_000;
/// 11-09 10:00, a Monday.
const NOV_9_10H: u64 = 1_794_189_600_000;
/// 11-10 00:00.
const NOV_10: u64 = 1_794_240_000_000;
/// 11-10 10:00.
const NOV_10_10H: u64 = 1_794_276_000_000;
/// 11-11 00:00: 3 working days after 5 November (6, 9 and 10 November) end here.
const NOV_11: u64 = 1_794_326_400_000;
/// 11-12 10:00.
const NOV_12_10H: u64 = 1_794_448_800_000;
/// 11-13 10:00.
const NOV_13_10H: u64 = 1_794_535_200_000;
/// 11-16 00:00.
const NOV_16: u64 = 1_794_758_400_000;
/// 11-20 10:00, the November tender's deadline.
const NOV_20_10H: u64 = 1_795_140_000_000;
/// 11-24 10:00.
const NOV_24_10H: u64 = 1_795_485_600_000;
/// 12-23 00:00: 30 working days after 10 November end with Tuesday 22 December.
const DEC_23: u64 = 1_797_955_200_000;
/// 09-19 00:00: 3 days after the opening on 15 September end with Friday 18 September.
const SEP_19: u64 = 1_789_747_200_000;
/// 10-16 00:00: 30 days after 15 September end with Thursday 15 October.
const OCT_16: u64 = 1_792_080_000_000;
/// 09-17 00:00: 1 day after 15 September ends with Wednesday 16 September.
const SEP_17: u64 = 1_789_574_400_000;
/// 09-15 15:00, the opening.
const SEP_15_15H: u64 = 1_789_455_600_000;

/// One actor's row of a report: the actor, its name, its steps' tallies and the total.
type Row<'a> = (&'a str, Option<&'a str>, Vec<(Step, Tally)>, Tally);

fn tally(count: u64, on_time: u64, taken_ms: u64, allowed_ms: u64) -> Tally {
    Tally {
        count,
        on_time,
        overdue: count - on_time,
        taken_ms,
        allowed_ms,
    }
}

fn month(text: &str) -> Month {
    Month::parse(text).unwrap()
}

#[test]
fn the_monthly_report_sums_each_steps_time_taken_against_its_time_allowed_and_lists_what_runs_late() {
    let mut harness = harness_in_2026(SEP_15_09H, 3);
    let supervisor = harness.grant_supervisor();
    let office = harness.office.public_key();

    // September: candidates published 19 hours after the opening, of the 81 allowed; the award
    // on the 21st, 133 hours after the deadline, within the 30 days' bid validity.
    let mut spec = harness.spec(Market::Construction, vec![lot("1")], 2);
    spec.deadline_ms = SEP_15_09H + 2 * HOUR_MS;
    spec.bid_validity_days = Some(30);
    let september = harness.publish(spec);
    harness.prove_readiness(&september, 1);
    harness.prove_readiness(&september, 2);
    for (bidder, price) in [(0, 900), (1, 820), (2, 700)] {
        harness.bid(&september, "1", bidder, price, None).unwrap();
    }
    open_on_sep_15(&mut harness, &september);
    harness.now_ms = SEP_16_10H;
    harness
        .office_runs(Action::PublishCandidates {
            tender: september.clone(),
        })
        .unwrap();
    harness.now_ms = SEP_21;
    harness
        .office_runs(Action::AwardTender {
            tender: september.clone(),
        })
        .unwrap();

    // November: objections filed on the 2nd and 3rd, due 3 days later (6 and 7 November at
    // 00:00: 86 hours each); answered after 48 hours, and after 6 days.
    harness.now_ms = NOV_2_10H - HOUR_MS;
    let tender = publish(&mut harness, Market::Construction, NOV_20_10H);
    harness.now_ms = NOV_2_10H;
    let (first, _) = filed(&mut harness, &tender, 0, ObjectionMatter::Documents);
    harness.now_ms = NOV_3_10H;
    let (second, _) = filed(&mut harness, &tender, 1, ObjectionMatter::Documents);
    harness.now_ms = NOV_4_10H;
    office_answers(&mut harness, &tender, &first, false);
    // A correction order due on 10 November at 00:00, and a complaint after the first answer.
    harness.now_ms = NOV_5_10H;
    let order = |due_ms| Action::OrderCorrection {
        office,
        tender: Some(tender.clone()),
        reason: "publish the qualification terms in full".into(),
        due_ms,
    };
    harness.run(&supervisor, order(NOV_10)).unwrap();
    let bidder = Rc::clone(&harness.bidders[0]);
    harness
        .run(
            &bidder,
            Action::FileComplaint {
                tender: tender.clone(),
                matter: ComplaintMatter::Documents,
                objection: Some(first),
                known_at_ms: None,
                text: "the answer leaves the favoured maker's standard in".into(),
            },
        )
        .unwrap();
    harness.now_ms = NOV_9_10H;
    office_answers(&mut harness, &tender, &second, false);
    // The complaint reviewed after 5 days (due after 134 hours), the order replied 2 days late.
    harness.now_ms = NOV_10_10H;
    let complaint = ComplaintId::numbered(1);
    harness
        .run(
            &supervisor,
            Action::ReviewComplaint {
                tender: tender.clone(),
                complaint: complaint.clone(),
                review: Review::Accepted { suspend: false },
                text: "accepted".into(),
            },
        )
        .unwrap();
    harness.now_ms = NOV_12_10H;
    harness
        .office_runs(Action::ReplyCorrection {
            correction: CorrectionId::numbered(1),
            reply: "published".into(),
        })
        .unwrap();
    // A second order, due on 16 November, that the office never answers.
    harness.now_ms = NOV_13_10H;
    harness.run(&supervisor, order(NOV_16)).unwrap();
    // The complaint decided 14 days after its acceptance, of the 30 working days allowed.
    harness.now_ms = NOV_24_10H;
    harness
        .run(
            &supervisor,
            Action::DecideComplaint {
                tender: tender.clone(),
                complaint,
                decision: Decision::Dismissed,
                text: "the standard is open to every maker".into(),
            },
        )
        .unwrap();

    let state = harness.ledger.state();
    let november = report(state, month("2026-11"));
    assert_eq!(november.month, "2026-11");
    assert_eq!(november.as_of_ms, NOV_24_10H, "as of the last entry");
    let rows: Vec<Row<'_>> = november
        .actors
        .iter()
        .map(|actor| {
            let steps = actor.steps.iter().map(|(step, tally)| (*step, *tally)).collect();
            (actor.actor.as_str(), actor.name.as_deref(), steps, actor.total)
        })
        .collect();
    let office_key = office.to_string();
    let objections = tally(2, 1, (48 + 144) * HOUR_MS, 2 * 86 * HOUR_MS);
    let correction = tally(1, 0, 7 * 24 * HOUR_MS, NOV_10 - NOV_5_10H);
    let review = tally(1, 1, 5 * 24 * HOUR_MS, NOV_11 - NOV_5_10H);
    let decision = tally(1, 1, 14 * 24 * HOUR_MS, DEC_23 - NOV_10_10H);
    assert_eq!(NOV_10 - NOV_5_10H, 110 * HOUR_MS);
    assert_eq!(NOV_11 - NOV_5_10H, 134 * HOUR_MS);
    let mut expected = vec![
        (
            office_key.as_str(),
            Some("交易中心"),
            vec![(Step::ObjectionAnswer, objections), (Step::CorrectionReply, correction)],
            tally(3, 1, (48 + 144 + 168) * HOUR_MS, (172 + 110) * HOUR_MS),
        ),
        (
            "supervisors",
            None,
            vec![(Step::ComplaintReview, review), (Step::ComplaintDecision, decision)],
            tally(
                2,
                2,
                (120 + 336) * HOUR_MS,
                (NOV_11 - NOV_5_10H) + (DEC_23 - NOV_10_10H),
            ),
        ),
    ];
    expected.sort_by(|left, right| left.0.cmp(right.0));
    assert_eq!(rows, expected);
    assert_eq!(november.actors[0].total.on_time_per_mille(), Some(333));

    // Running late: the second order, 8 days and 10 hours past its due time.
    let late: Vec<(String, Step, Option<String>, u64, u64)> = november
        .running_late
        .iter()
        .map(|case| {
            (
                case.actor.clone(),
                case.step,
                case.case.clone(),
                case.due_ms,
                case.late_by_ms,
            )
        })
        .collect();
    assert_eq!(
        late,
        vec![(
            office_key.clone(),
            Step::CorrectionReply,
            Some("C-000002".to_owned()),
            NOV_16,
            (8 * 24 + 10) * HOUR_MS
        )]
    );
    assert_eq!(november.running_late[0].tender.as_ref(), Some(&tender));

    // September holds the publicity and the award; October nothing; the running-late list is
    // the same whatever the month.
    let september_report = report(state, month("2026-09"));
    assert_eq!(september_report.actors.len(), 1);
    assert_eq!(
        september_report.actors[0].steps.get(&Step::CandidatePublicity),
        Some(&tally(1, 1, 19 * HOUR_MS, SEP_19 - SEP_15_15H))
    );
    assert_eq!(
        september_report.actors[0].steps.get(&Step::Award),
        Some(&tally(1, 1, 133 * HOUR_MS, OCT_16 - (SEP_15_09H + 2 * HOUR_MS)))
    );
    assert_eq!(SEP_19 - SEP_15_15H, 81 * HOUR_MS);
    let october = report(state, month("2026-10"));
    assert!(october.actors.is_empty());
    assert_eq!(october.running_late, november.running_late);

    // The JSON, as protocol.md gives it.
    let json = serde_json::to_value(&november).unwrap();
    assert_eq!(
        json["actors"][0]["steps"]["objection_answer"]["taken_ms"],
        192 * HOUR_MS,
        "{json}"
    );
    assert_eq!(json["running_late"][0]["step"], "correction_reply");
}

#[test]
fn a_month_is_yyyy_mm_exactly() {
    assert_eq!(Month::parse("2026-11"), Some(Month { year: 2026, month: 11 }));
    for bad in [
        "2026-13",
        "2026-00",
        "2026-1",
        "26-11",
        "2026/11",
        "2026-11-01",
        "",
        "２０２６-11",
        "0999-01",
    ] {
        assert_eq!(Month::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Month::of_timestamp(NOV_2_10H).to_string(), "2026-11");
    // 31 October 16:00 UTC is 1 November 00:00 in China Standard Time.
    assert_eq!(Month::of_timestamp(1_793_462_400_000).to_string(), "2026-11");
    assert_eq!(Month::of_timestamp(1_793_462_400_000 - 1).to_string(), "2026-10");
}

#[test]
fn a_bid_validity_outside_one_to_a_thousand_days_is_refused_and_an_expired_one_runs_late() {
    let mut harness = harness_in_2026(SEP_15_09H, 3);
    let office = Rc::clone(&harness.office);
    let supervisor = harness.grant_supervisor();
    for days in [0, 1_001] {
        let mut spec = harness.spec(Market::Construction, vec![lot("1")], 2);
        spec.bid_validity_days = Some(days);
        crate::rejections::refused_command(&mut harness, &office, Action::PublishTender(spec), |rejection| {
            matches!(rejection, sealbid_ledger::Rejection::Invalid(_))
        });
    }
    // A tender opened and never awarded: 1 day's validity from the deadline (15 September
    // 11:00) ends at 00:00 on the 17th; from then its award runs late.
    let mut spec = harness.spec(Market::LandUseRight, vec![lot("1")], 2);
    spec.deadline_ms = SEP_15_09H + 2 * HOUR_MS;
    spec.bid_validity_days = Some(1);
    let tender = harness.publish(spec);
    harness.bid(&tender, "1", 0, 5_000, None).unwrap();
    open_on_sep_15(&mut harness, &tender);
    harness.now_ms = SEP_17 + 10 * HOUR_MS;
    harness
        .run(
            &supervisor,
            Action::SuspendTender {
                tender: tender.clone(),
                reason: "an entry to move the ledger's clock".into(),
            },
        )
        .unwrap();
    let late = report(harness.ledger.state(), month("2026-09")).running_late;
    assert_eq!(
        late.iter()
            .map(|case| (case.step, case.due_ms, case.late_by_ms))
            .collect::<Vec<_>>(),
        vec![(Step::Award, SEP_17, 10 * HOUR_MS)]
    );
}
