//! The official calendar and the statutory periods on it: the operator publishes 2026's
//! calendar from ops/calendars/2026.json, read as it is; periods of calendar and working days
//! across the 2026 Spring Festival and National Day with their 调休 working weekends, a
//! deadline on a holiday rolling over, China Standard Time's day boundary, and a period that
//! needs a year not published. The expected instants were worked out by hand from the State
//! Council's 2026 arrangement and converted with another program, not by the code under test.

use std::collections::BTreeMap;
use std::rc::Rc;

use sealbid_ledger::Rejection;
use sealbid_ledger::calendar::{CalendarDate, CalendarError, Calendars, YearCalendar};
use sealbid_ledger::command::Action;
use sealbid_ledger::types::Role;

use crate::rejections::refused_command;
use crate::support::Harness;

/// 2026's calendar as the repository ships it.
pub(crate) fn calendar_file() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/calendars/2026.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

pub(crate) fn publication(file: &serde_json::Value) -> Action {
    serde_json::from_value(serde_json::json!({"publish_calendar": file})).unwrap()
}

/// The published calendars after the operator published 2026's.
fn published() -> BTreeMap<i32, YearCalendar> {
    let mut harness = Harness::new(3, 1);
    let operator = Rc::clone(&harness.operator);
    harness.run(&operator, publication(&calendar_file())).unwrap();
    harness.ledger.state().calendars.clone()
}

// Instants, ms since the Unix epoch, of times in China Standard Time (UTC+8).
/// 2026-02-12 10:00, a Thursday before the Spring Festival.
const FEB_12_10H: u64 = 1_770_861_600_000;
/// 2026-02-13 23:30, a Friday, half an hour before the 调休 Saturday.
const FEB_13_23H30: u64 = 1_770_996_600_000;
/// 2026-02-14 00:30, the 调休 Saturday.
const FEB_14_00H30: u64 = 1_771_000_200_000;
/// 2026-02-15 00:00, the first day off.
const FEB_15: u64 = 1_771_084_800_000;
/// 2026-02-20 09:00, within the holiday.
const FEB_20_09H: u64 = 1_771_549_200_000;
/// 2026-02-25 00:00: the end of Tuesday 24 February, the first working day after the holiday.
const FEB_25: u64 = 1_771_948_800_000;
/// 2026-03-03 00:00.
const MAR_3: u64 = 1_772_467_200_000;
/// 2026-09-18 15:00, the Friday before the 调休 Sunday.
const SEP_18_15H: u64 = 1_789_714_800_000;
/// 2026-09-23 00:00.
const SEP_23: u64 = 1_790_092_800_000;
/// 2026-09-28 08:00, a Monday.
const SEP_28_08H: u64 = 1_790_553_600_000;
/// 2026-09-29 11:00, a Tuesday.
const SEP_29_11H: u64 = 1_790_650_800_000;
/// 2026-10-09 00:00.
const OCT_9: u64 = 1_791_475_200_000;
/// 2026-10-10 00:00: the 调休 Saturday begins.
const OCT_10: u64 = 1_791_561_600_000;
/// 2026-10-11 00:00.
const OCT_11: u64 = 1_791_648_000_000;
/// 2026-12-28 09:00, a Monday.
const DEC_28_09H: u64 = 1_798_419_600_000;
/// 2027-01-01 00:00.
const JAN_1_2027: u64 = 1_798_732_800_000;

#[test]
fn periods_across_the_spring_festival_count_the_working_weekend_and_roll_past_the_holiday() {
    let years = published();
    let calendars = Calendars(&years);
    // 13 Feb (Fri), 14 Feb (the 调休 Saturday), then nine days off, then 24 Feb.
    assert_eq!(calendars.working_days_end_ms(FEB_12_10H, 3), Ok(FEB_25));
    // Five calendar days end on 17 February, a holiday: rolled to 24 February.
    assert_eq!(calendars.calendar_days_end_ms(FEB_12_10H, 5), Ok(FEB_25));
    // Ten calendar days from within the holiday end on Monday 2 March, a working day.
    assert_eq!(calendars.calendar_days_end_ms(FEB_20_09H, 10), Ok(MAR_3));
    // The day is China Standard Time's: 23:30 on Friday is Friday, 00:30 is the Saturday.
    assert_eq!(calendars.working_days_end_ms(FEB_13_23H30, 1), Ok(FEB_15));
    assert_eq!(calendars.working_days_end_ms(FEB_14_00H30, 1), Ok(FEB_25));
}

#[test]
fn periods_across_national_day_count_both_working_weekends_and_roll_past_the_holiday() {
    let years = published();
    let calendars = Calendars(&years);
    // Saturday 19 September is off, Sunday 20 September (调休) is worked.
    assert_eq!(calendars.working_days_end_ms(SEP_18_15H, 3), Ok(SEP_23));
    // 30 September, then 1–7 October off, then 8 and 9 October; the fourth is the 调休 Saturday.
    assert_eq!(calendars.working_days_end_ms(SEP_29_11H, 3), Ok(OCT_10));
    assert_eq!(calendars.working_days_end_ms(SEP_29_11H, 4), Ok(OCT_11));
    // Seven calendar days end on 5 October, a holiday: rolled to Thursday 8 October.
    assert_eq!(calendars.calendar_days_end_ms(SEP_28_08H, 7), Ok(OCT_9));
}

#[test]
fn a_period_that_needs_a_year_not_published_is_refused_and_so_is_one_of_no_day() {
    let years = published();
    let calendars = Calendars(&years);
    assert_eq!(calendars.working_days_end_ms(DEC_28_09H, 3), Ok(JAN_1_2027));
    assert_eq!(
        calendars.working_days_end_ms(DEC_28_09H, 4),
        Err(CalendarError::YearNotPublished { year: 2027 })
    );
    assert_eq!(
        calendars.calendar_days_end_ms(DEC_28_09H, 10),
        Err(CalendarError::YearNotPublished { year: 2027 })
    );
    assert_eq!(
        calendars.calendar_days_end_ms(FEB_12_10H, 0),
        Err(CalendarError::Length { days: 0 })
    );
    let none = BTreeMap::new();
    assert_eq!(
        Calendars(&none).working_days_end_ms(FEB_12_10H, 1),
        Err(CalendarError::YearNotPublished { year: 2026 })
    );
}

#[test]
fn the_operator_publishes_a_year_once_and_a_calendar_that_is_not_one_is_refused() {
    let mut harness = Harness::new(3, 1);
    let operator = Rc::clone(&harness.operator);
    let office = Rc::clone(&harness.office);
    let file = calendar_file();
    refused_command(&mut harness, &office, publication(&file), |rejection| {
        *rejection == Rejection::MissingRole(Role::Admin)
    });
    let changed = |member: &str, value: serde_json::Value| {
        let mut file = file.clone();
        file[member] = value;
        publication(&file)
    };
    for bad in [
        // A weekday as a 调休 working day; a holiday as one; another year's date; a date twice;
        // a year out of range.
        changed("working_days", serde_json::json!(["2026-03-02"])),
        changed("working_days", serde_json::json!(["2026-02-15"])),
        changed("holidays", serde_json::json!(["2027-01-01"])),
        changed("holidays", serde_json::json!(["2026-10-01", "2026-10-01"])),
        changed("year", serde_json::json!(1999)),
    ] {
        refused_command(&mut harness, &operator, bad, |rejection| {
            matches!(rejection, Rejection::Invalid(_))
        });
    }
    assert!(harness.ledger.state().calendars.is_empty());
    // A date that is not YYYY-MM-DD does not even read as a command.
    let malformed =
        serde_json::json!({"publish_calendar": {"year": 2026, "holidays": ["2026-2-15"], "working_days": []}});
    assert!(serde_json::from_value::<Action>(malformed).is_err());
    assert_eq!(CalendarDate::parse("2026-02-29"), None);

    harness.run(&operator, publication(&file)).unwrap();
    let published = &harness.ledger.state().calendars[&2026];
    assert_eq!(published.holidays.len(), 33);
    assert_eq!(published.working_days.len(), 6);
    refused_command(&mut harness, &operator, publication(&file), |rejection| {
        *rejection == Rejection::CalendarPublished(2026)
    });
}
