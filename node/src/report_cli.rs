//! `sealbid supervisor report`: a month's performance evaluation (绩效评估) from
//! `GET /v1/performance`, as text for a person (names, hours, China Standard Time) or as CSV
//! for a spreadsheet; `--json` prints the API's answer. Pure rendering around one read.

use std::fmt::Write as _;

use sealbid_ledger::performance::{Late, Report, Tally};

/// One hour, ms.
const HOUR_MS: u64 = 60 * 60 * 1000;

/// Who: the name with the key, or the supervisors.
fn who(actor: &str, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{name} ({actor})"),
        None => actor.to_owned(),
    }
}

/// Hours with one decimal, of a total over `count` steps.
fn mean_hours(total_ms: u64, count: u64) -> String {
    if count == 0 {
        return "-".to_owned();
    }
    let tenths = total_ms.saturating_mul(10) / count / HOUR_MS;
    format!("{}.{} h", tenths / 10, tenths % 10)
}

/// The on-time share, with one decimal.
fn rate(tally: &Tally) -> String {
    match tally.on_time_per_mille() {
        Some(per_mille) => format!("{}.{}%", per_mille / 10, per_mille % 10),
        None => "-".to_owned(),
    }
}

/// A line of the tallies' table.
fn tally_line(output: &mut String, label: &str, tally: &Tally) {
    let _ = writeln!(
        output,
        "  {label:<22} {:>6} {:>8} {:>8} {:>9} {:>12} {:>13}",
        tally.count,
        tally.on_time,
        tally.overdue,
        rate(tally),
        mean_hours(tally.taken_ms, tally.count),
        mean_hours(tally.allowed_ms, tally.count),
    );
}

/// How late, in days and hours.
fn lateness(late_by_ms: u64) -> String {
    let hours = late_by_ms / HOUR_MS;
    format!("{} d {} h", hours / 24, hours % 24)
}

/// The report as text; `time` writes an instant in China Standard Time.
pub fn text(report: &Report, time: impl Fn(u64) -> String) -> String {
    let mut output = String::new();
    let _ = writeln!(
        output,
        "Performance evaluation {} (as of {})",
        report.month,
        time(report.as_of_ms)
    );
    if report.actors.is_empty() {
        let _ = writeln!(output, "\nNo timed step was done in {}.", report.month);
    }
    for actor in &report.actors {
        let _ = writeln!(output, "\n{}", who(&actor.actor, actor.name.as_deref()));
        let _ = writeln!(
            output,
            "  {:<22} {:>6} {:>8} {:>8} {:>9} {:>12} {:>13}",
            "step", "done", "on time", "overdue", "on time %", "mean taken", "mean allowed"
        );
        for (step, tally) in &actor.steps {
            tally_line(&mut output, step.name(), tally);
        }
        tally_line(&mut output, "all steps", &actor.total);
    }
    let _ = writeln!(output, "\nRunning late now: {}", report.running_late.len());
    for case in &report.running_late {
        let _ = writeln!(output, "  {}", late_line(case, &time));
    }
    output
}

/// One case running late, for a person.
fn late_line(case: &Late, time: &impl Fn(u64) -> String) -> String {
    let tender = case.tender.as_ref().map_or("-".to_owned(), ToString::to_string);
    format!(
        "{} {} tender {} case {}: due {}, late {}",
        who(&case.actor, case.name.as_deref()),
        case.step.name(),
        tender,
        case.case.as_deref().unwrap_or("-"),
        time(case.due_ms),
        lateness(case.late_by_ms)
    )
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The report as CSV (RFC 4180): one row per actor and step, one `total` row per actor, one
/// `late` row per case running late.
pub fn csv(report: &Report) -> String {
    let mut output = String::from(
        "kind,month,actor,name,step,count,on_time,overdue,taken_ms,allowed_ms,tender,case,due_ms,late_by_ms\r\n",
    );
    let mut row =
        |kind: &str, actor: &str, name: Option<&str>, step: &str, tally: Option<&Tally>, late: Option<&Late>| {
            let numbers = tally.map_or_else(
                || ",,,,".to_owned(),
                |tally| {
                    format!(
                        "{},{},{},{},{}",
                        tally.count, tally.on_time, tally.overdue, tally.taken_ms, tally.allowed_ms
                    )
                },
            );
            let case = late.map_or_else(
                || ",,,".to_owned(),
                |late| {
                    format!(
                        "{},{},{},{}",
                        late.tender.as_ref().map_or(String::new(), ToString::to_string),
                        field(late.case.as_deref().unwrap_or("")),
                        late.due_ms,
                        late.late_by_ms
                    )
                },
            );
            let _ = write!(
                output,
                "{kind},{},{},{},{step},{numbers},{case}\r\n",
                report.month,
                field(actor),
                field(name.unwrap_or(""))
            );
        };
    for actor in &report.actors {
        for (step, tally) in &actor.steps {
            row(
                "tally",
                &actor.actor,
                actor.name.as_deref(),
                step.name(),
                Some(tally),
                None,
            );
        }
        row(
            "total",
            &actor.actor,
            actor.name.as_deref(),
            "",
            Some(&actor.total),
            None,
        );
    }
    for case in &report.running_late {
        row(
            "late",
            &case.actor,
            case.name.as_deref(),
            case.step.name(),
            None,
            Some(case),
        );
    }
    output
}
