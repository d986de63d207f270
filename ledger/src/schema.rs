//! OpenAPI schemas (feature `openapi`) of the ledger's types whose JSON is a string of their own
//! form; the derived schemas of the other types refer to these.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

impl utoipa::PartialSchema for crate::calendar::CalendarDate {
    fn schema() -> RefOr<Schema> {
        sealbid_crypto::schema::text("A date, YYYY-MM-DD", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    }
}

impl utoipa::ToSchema for crate::calendar::CalendarDate {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CalendarDate")
    }
}
