//! The operator publishes a year's official calendar (holidays and 调休 working days), once.

use sealbid_crypto::identity::PublicKey;

use crate::calendar::{CalendarDate, YearCalendar};
use crate::events::Response;
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State};
use crate::types::Role;

/// What a `publish_calendar` command gives.
pub(crate) struct Publication<'a> {
    /// The year.
    pub year: i32,
    /// Its holidays (days off).
    pub holidays: &'a [CalendarDate],
    /// Its weekend days made working days.
    pub working_days: &'a [CalendarDate],
}

/// Admin publishes the calendar of a year not published yet.
pub(crate) fn publish(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    publication: &Publication<'_>,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Admin)?;
    if state.calendars.contains_key(&publication.year) {
        return Err(Rejection::CalendarPublished(publication.year));
    }
    let calendar = YearCalendar::new(
        publication.year,
        publication.holidays,
        publication.working_days,
        context.audit_index,
    )
    .map_err(|error| Rejection::Invalid(error.to_string()))?;
    state.calendars.insert(publication.year, calendar);
    Ok(Effect::respond(Response::Applied))
}
