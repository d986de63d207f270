//! The official working-day calendar (法定节假日与调休) and the statutory periods computed on it.
//! The operator publishes each year's calendar as a signed command: the public holidays (days
//! off, weekends among them) and the weekend days made working days (调休). Every period is
//! computed here, from entry timestamps read in China Standard Time (UTC+8, no daylight saving),
//! so every replica and every replay reaches the same deadline.
//!
//! Data flow: `publish_calendar` ([`crate::command::Action`]) is checked by
//! [`YearCalendar::new`] and kept in the state by year; a rule with a period asks
//! [`Calendars`] for its end ([`Calendars::calendar_days_end_ms`],
//! [`Calendars::working_days_end_ms`]). A period that touches a year not published is refused
//! ([`CalendarError::YearNotPublished`]), never guessed.
//!
//! The rules (docs/protocol.md §10.9): the day of the event is not counted; a period of n
//! calendar days ends with the n-th day after it, moved to the next working day when that day is
//! not one (财政部94号令 Art. 42; 民法典 Art. 203); a period of n working days ends with the n-th
//! working day after it. The period ends at 24:00 China Standard Time of its last day: an act
//! is in time if its entry's timestamp is before that instant.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month, Weekday};

/// China Standard Time's offset from UTC, ms.
pub const CHINA_STANDARD_OFFSET_MS: u64 = 8 * 60 * 60 * 1000;
/// One day, ms.
const DAY_MS: u64 = 24 * 60 * 60 * 1000;
/// The Julian day number of 1970-01-01.
const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// The years a calendar may be published for.
pub const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// The longest period, in days, the ledger computes.
pub const PERIOD_DAYS_MAX: u32 = 1_000;

/// Why a period could not be computed, or a calendar is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The period touches a year whose calendar the operator has not published.
    #[error("the official calendar of {year} is not published yet: the operator publishes it (publish_calendar)")]
    YearNotPublished {
        /// The year.
        year: i32,
    },
    /// The calendar is not one of its year, or not well formed.
    #[error("calendar of {year}: {reason}")]
    Invalid {
        /// The year.
        year: i32,
        /// What is wrong.
        reason: String,
    },
    /// A period of no day, or longer than [`PERIOD_DAYS_MAX`].
    #[error("a period is 1 to {PERIOD_DAYS_MAX} days, not {days}")]
    Length {
        /// The days asked for.
        days: u32,
    },
}

/// A date of the calendar, written `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalendarDate(pub Date);

impl CalendarDate {
    /// Parses `YYYY-MM-DD` exactly (four-digit year, two-digit month and day, a real date).
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|byte| byte.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let year = i32::try_from(number(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
        let day = u8::try_from(number(8..10)?).ok()?;
        Date::from_calendar_date(year, month, day).ok().map(Self)
    }

    /// The date in China Standard Time of the instant `timestamp_ms` (ms since the Unix epoch).
    pub fn of_timestamp(timestamp_ms: u64) -> Self {
        let days = (timestamp_ms + CHINA_STANDARD_OFFSET_MS) / DAY_MS;
        let julian = UNIX_EPOCH_JULIAN_DAY + i64::try_from(days).unwrap_or(i64::MAX / 2);
        let julian = i32::try_from(julian).unwrap_or(i32::MAX);
        Self(Date::from_julian_day(julian).unwrap_or(Date::MAX))
    }

    /// 00:00 China Standard Time of this date, ms since the Unix epoch (0 before it).
    pub fn start_ms(self) -> u64 {
        let days = i64::from(self.0.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY;
        u64::try_from(days)
            .ok()
            .and_then(|days| days.checked_mul(DAY_MS))
            .map_or(0, |start| start.saturating_sub(CHINA_STANDARD_OFFSET_MS))
    }

    /// The next day.
    fn next(self) -> Self {
        Self(self.0.next_day().unwrap_or(Date::MAX))
    }

    /// Whether it is a Saturday or a Sunday.
    fn is_weekend(self) -> bool {
        matches!(self.0.weekday(), Weekday::Saturday | Weekday::Sunday)
    }
}

impl std::fmt::Display for CalendarDate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for CalendarDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CalendarDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a date YYYY-MM-DD")))
    }
}

/// A year's calendar as the operator publishes it (`publish_calendar`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// The year.
    pub year: i32,
    /// The days off of its public holidays, weekends within them included.
    pub holidays: Vec<CalendarDate>,
    /// The weekend days made working days (调休).
    pub working_days: Vec<CalendarDate>,
}

/// One year's official calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct YearCalendar {
    /// The days off of the public holidays, weekends within them included.
    pub holidays: BTreeSet<CalendarDate>,
    /// The weekend days made working days (调休).
    pub working_days: BTreeSet<CalendarDate>,
    /// The audit index of the entry that published it.
    pub audit_index: u64,
}

impl YearCalendar {
    /// The calendar of `spec`, published by entry `audit_index`, checked: every day of its
    /// year, none given twice, every working day a Saturday or Sunday and not a holiday.
    pub fn new(spec: &CalendarSpec, audit_index: u64) -> Result<Self, CalendarError> {
        let year = spec.year;
        let invalid = |reason: String| CalendarError::Invalid { year, reason };
        if !CALENDAR_YEARS.contains(&year) {
            return Err(invalid(format!(
                "a calendar is for a year from {} to {}",
                CALENDAR_YEARS.start(),
                CALENDAR_YEARS.end()
            )));
        }
        let mut holiday_set = BTreeSet::new();
        for date in &spec.holidays {
            if date.0.year() != year || !holiday_set.insert(*date) {
                return Err(invalid(format!("holiday {date} is of another year, or given twice")));
            }
        }
        let mut working_set = BTreeSet::new();
        for date in &spec.working_days {
            if date.0.year() != year || !working_set.insert(*date) {
                return Err(invalid(format!(
                    "working day {date} is of another year, or given twice"
                )));
            }
            if !date.is_weekend() || holiday_set.contains(date) {
                return Err(invalid(format!(
                    "working day {date} must be a Saturday or Sunday that is not a holiday"
                )));
            }
        }
        Ok(Self {
            holidays: holiday_set,
            working_days: working_set,
            audit_index,
        })
    }

    /// Whether `date` (of this year) is a working day.
    fn is_working_day(&self, date: CalendarDate) -> bool {
        if self.holidays.contains(&date) {
            return false;
        }
        !date.is_weekend() || self.working_days.contains(&date)
    }
}

/// The published calendars, by year: what periods are computed on.
#[derive(Debug, Clone, Copy)]
pub struct Calendars<'a>(pub &'a BTreeMap<i32, YearCalendar>);

impl Calendars<'_> {
    /// Whether `date` is a working day; refused for a year not published.
    pub fn is_working_day(&self, date: CalendarDate) -> Result<bool, CalendarError> {
        let year = date.0.year();
        self.0
            .get(&year)
            .map(|calendar| calendar.is_working_day(date))
            .ok_or(CalendarError::YearNotPublished { year })
    }

    /// When a period of `days` calendar days from the event at `from_ms` ends (24:00 China
    /// Standard Time of its last day, moved to the next working day if it is not one).
    pub fn calendar_days_end_ms(&self, from_ms: u64, days: u32) -> Result<u64, CalendarError> {
        check_length(days)?;
        let mut last = CalendarDate::of_timestamp(from_ms);
        for _ in 0..days {
            last = last.next();
        }
        // Bounded: a year holds far fewer days off in a row than PERIOD_DAYS_MAX.
        for _ in 0..PERIOD_DAYS_MAX {
            if self.is_working_day(last)? {
                return Ok(last.next().start_ms());
            }
            last = last.next();
        }
        Err(CalendarError::Length { days })
    }

    /// When a period of `days` working days from the event at `from_ms` ends (24:00 China
    /// Standard Time of its `days`-th working day after the event's day).
    pub fn working_days_end_ms(&self, from_ms: u64, days: u32) -> Result<u64, CalendarError> {
        check_length(days)?;
        let mut date = CalendarDate::of_timestamp(from_ms);
        let mut counted = 0;
        // Bounded: every week holds working days, so `days` of them come within 7 · days + the
        // longest run of days off.
        for _ in 0..(PERIOD_DAYS_MAX * 2) {
            date = date.next();
            if self.is_working_day(date)? {
                counted += 1;
                if counted == days {
                    return Ok(date.next().start_ms());
                }
            }
        }
        Err(CalendarError::Length { days })
    }
}

/// Refuses a period of no day or longer than [`PERIOD_DAYS_MAX`].
fn check_length(days: u32) -> Result<(), CalendarError> {
    if days == 0 || days > PERIOD_DAYS_MAX {
        return Err(CalendarError::Length { days });
    }
    Ok(())
}
