//! The operator publishes a year's official calendar (holidays and 调休 working days), once.

use sealbid_crypto::identity::PublicKey;

use crate::calendar::{CalendarSpec, YearCalendar};
use crate::events::Response;
use crate::rejection::Rejection;
use crate::state::{Effect, EntryContext, State};
use crate::types::Role;

/// Admin publishes the calendar of a year not published yet.
pub(crate) fn publish(
    state: &mut State,
    context: &EntryContext,
    signer: &PublicKey,
    spec: &CalendarSpec,
) -> Result<Effect, Rejection> {
    state.require_role(signer, Role::Admin)?;
    if state.calendars.contains_key(&spec.year) {
        return Err(Rejection::CalendarPublished(spec.year));
    }
    let calendar =
        YearCalendar::new(spec, context.audit_index).map_err(|error| Rejection::Invalid(error.to_string()))?;
    state.calendars.insert(spec.year, calendar);
    Ok(Effect::respond(Response::Applied))
}
