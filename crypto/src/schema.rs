//! OpenAPI schemas (feature `openapi`) of the types whose JSON is a string of their own form:
//! keys, curve points and scalars, hashes. The derived schemas of the other types refer to these.

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// A string schema with `description` and `pattern`, for a type whose JSON is such a string.
pub fn text(description: &str, pattern: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .pattern(Some(pattern))
        .into()
}

/// Declares the schema of `$type`: a string described by `$description`, matching `$pattern`.
macro_rules! string_schema {
    ($type:ty, $name:literal, $description:literal, $pattern:literal) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                text($description, $pattern)
            }
        }

        impl utoipa::ToSchema for $type {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    };
}

string_schema!(
    crate::identity::PublicKey,
    "PublicKey",
    "An Ed25519 public key: `ed25519:` and its 32 bytes in base64url without padding",
    "^ed25519:[A-Za-z0-9_-]{43}$"
);
string_schema!(
    crate::curve::CurvePoint,
    "CurvePoint",
    "A P-256 point, SEC1 compressed (33 bytes), base64url without padding",
    "^[A-Za-z0-9_-]{44}$"
);
string_schema!(
    crate::curve::CurveScalar,
    "CurveScalar",
    "A P-256 scalar, 32 bytes big-endian, base64url without padding",
    "^[A-Za-z0-9_-]{43}$"
);
string_schema!(
    crate::merkle::Hash,
    "Hash",
    "A SHA-256 hash, 32 bytes in base64url without padding",
    "^[A-Za-z0-9_-]{43}$"
);
