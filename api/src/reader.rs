//! Who is reading: reads that need a role are signed by the reader with its identity key, by
//! RFC 9421 HTTP Message Signatures (algorithm `ed25519`). The signature covers exactly the
//! request's `@method`, `@authority`, `@path` and `@query`, carries `created`, `expires` and
//! `keyid` (the reader's key text, `ed25519:` and base64url), and lives at most
//! [`SIGNATURE_LIFETIME_SECONDS_MAX`].
//!
//! Data flow: the handler hands the request to [`authenticate`], which parses the
//! `Signature-Input` and `Signature` fields (crate `httpsig-hyper`, over an `http` request built
//! from this one's method, authority, path and query and those two fields only), checks the
//! parameters against this node's clock and verifies the signature with the key named by
//! `keyid` (ring, through the crypto crate); the reader's key comes back, and [`require_role`]
//! checks it against the ledger this node has applied. Every refusal is a 401 or 403 problem
//! and changes nothing.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use httpsig_hyper::MessageSignature;
use httpsig_hyper::MessageSignatureReq;
use httpsig_hyper::prelude::{
    AlgorithmName, HttpSigError, HttpSigResult, HttpSignatureParams, SigningKey, VerifyingKey,
};

use sealbid_crypto::identity::{IdentityKeyPair, PublicKey, Signature};
use sealbid_ledger::types::Role;

use crate::ApiState;
use crate::problem::Problem;

/// The components a read's signature covers, in this order.
pub const COVERED_COMPONENTS: [&str; 4] = ["@method", "@authority", "@path", "@query"];
/// The longest a read's signature may live (`expires` − `created`), in seconds.
pub const SIGNATURE_LIFETIME_SECONDS_MAX: u64 = 300;
/// How far a read's `created` may lie ahead of this node's clock, in seconds.
pub const CLOCK_SKEW_SECONDS_MAX: u64 = 60;

/// A reader's identity key as the signature library verifies with it (Ed25519 on ring).
struct ReaderKey(PublicKey);

impl VerifyingKey for ReaderKey {
    fn verify(&self, data: &[u8], signature: &[u8]) -> HttpSigResult<()> {
        let bytes: [u8; 64] = signature
            .try_into()
            .map_err(|_| HttpSigError::InvalidSignature("an Ed25519 signature is 64 bytes".into()))?;
        self.0
            .verify(data, &Signature(bytes))
            .map_err(|error| HttpSigError::InvalidSignature(error.to_string()))
    }

    fn key_id(&self) -> String {
        self.0.to_string()
    }

    fn alg(&self) -> AlgorithmName {
        AlgorithmName::Ed25519
    }
}

/// A reader's key pair as the signature library signs with it.
pub struct ReaderSigner<'a>(pub &'a IdentityKeyPair);

impl SigningKey for ReaderSigner<'_> {
    fn sign(&self, data: &[u8]) -> HttpSigResult<Vec<u8>> {
        Ok(self.0.sign(data).0.to_vec())
    }

    fn key_id(&self) -> String {
        self.0.public_key().to_string()
    }

    fn alg(&self) -> AlgorithmName {
        AlgorithmName::Ed25519
    }
}

/// The signature parameters of a read signed by `key` at `created_seconds` (Unix time),
/// valid for `lifetime_seconds`.
pub fn read_parameters(
    key: &IdentityKeyPair,
    created_seconds: u64,
    lifetime_seconds: u64,
) -> Result<HttpSignatureParams, HttpSigError> {
    let components = COVERED_COMPONENTS
        .iter()
        .map(|name| httpsig_hyper::prelude::message_component::HttpMessageComponentId::try_from(*name))
        .collect::<Result<Vec<_>, _>>()?;
    let mut parameters = HttpSignatureParams::try_new(&components)?;
    parameters
        .set_created(created_seconds)
        .set_expires(created_seconds.saturating_add(lifetime_seconds))
        .set_key_info(&ReaderSigner(key));
    Ok(parameters)
}

/// Signs `request` (an `http` request with an absolute URI) as read by `key` at
/// `created_seconds`, adding its `Signature-Input` and `Signature` fields.
pub async fn sign_read(
    request: &mut http::Request<String>,
    key: &IdentityKeyPair,
    created_seconds: u64,
    lifetime_seconds: u64,
) -> Result<(), httpsig_hyper::HyperSigError> {
    let parameters = read_parameters(key, created_seconds, lifetime_seconds)?;
    request
        .set_message_signature(&parameters, &ReaderSigner(key), Some("sealbid"))
        .await
}

/// The reader of `request`, whose signature verifies at `now_seconds`; a 401 problem otherwise.
pub async fn authenticate(request: &HttpRequest, now_seconds: u64) -> Result<PublicKey, Problem> {
    Ok(authenticate_until(request, now_seconds).await?.0)
}

/// As [`authenticate`], with the signature's `expires` (Unix seconds): how long a read that
/// lasts (a stream) may go on.
pub async fn authenticate_until(request: &HttpRequest, now_seconds: u64) -> Result<(PublicKey, u64), Problem> {
    let signed = signed_parts(request)?;
    let parameters = signed.get_signature_params().map_err(|error| bad(error.to_string()))?;
    let mut signatures = parameters.into_iter();
    let (Some((_, parameters)), None) = (signatures.next(), signatures.next()) else {
        return Err(bad("a read carries exactly one signature".into()));
    };
    let reader = check_parameters(&parameters, now_seconds)?;
    signed
        .verify_message_signature(&ReaderKey(reader), parameters.keyid.as_deref())
        .await
        .map_err(|error| bad(format!("the signature does not verify with {reader}: {error}")))?;
    // check_parameters refused a signature without `expires`.
    Ok((reader, parameters.expires.unwrap_or(now_seconds)))
}

/// Refuses `reader` unless the ledger this node applied gives it one of `roles`.
pub async fn require_role(state: &ApiState, reader: &PublicKey, roles: &[Role], what: &str) -> Result<(), Problem> {
    let held = state
        .replica
        .read_applied(|ledger| {
            ledger
                .state()
                .participants
                .get(reader)
                .is_some_and(|participant| roles.iter().any(|role| participant.roles.contains(role)))
        })
        .await;
    if held {
        return Ok(());
    }
    let names: Vec<String> = roles
        .iter()
        .map(|role| match serde_json::to_value(role) {
            Ok(serde_json::Value::String(name)) => name,
            _ => format!("{role:?}"),
        })
        .collect();
    Err(Problem::new(
        StatusCode::FORBIDDEN,
        "missing-role",
        "The reader lacks the role",
        format!(
            "{what} is for a key with one of the roles {}; {reader} holds none of them",
            names.join(", ")
        ),
    ))
}

/// The parts of `request` a read's signature covers, with its signature fields, as an `http`
/// request; a 401 problem for an unsigned request.
fn signed_parts(request: &HttpRequest) -> Result<http::Request<String>, Problem> {
    let headers = request.headers();
    if !headers.contains_key("signature-input") || !headers.contains_key("signature") {
        return Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "signature-required",
            "This read must be signed",
            format!(
                "{} needs a role: sign the request with your identity key (RFC 9421, alg ed25519, covering {}; docs/protocol.md §9.10)",
                request.path(),
                COVERED_COMPONENTS.join(" ")
            ),
        ));
    }
    let authority = request
        .uri()
        .authority()
        .map(|authority| authority.as_str().to_owned())
        .or_else(|| {
            headers
                .get("host")
                .and_then(|host| host.to_str().ok())
                .map(str::to_owned)
        })
        .ok_or_else(|| bad("the request names no authority (Host)".into()))?;
    let path_and_query = request.uri().path_and_query().map_or("/", |path| path.as_str());
    let uri = format!("https://{}{path_and_query}", authority.to_ascii_lowercase());
    let mut builder = http::Request::builder().method(request.method().as_str()).uri(uri);
    for name in ["signature-input", "signature"] {
        for value in headers.get_all(name) {
            builder = builder.header(name, value.as_bytes());
        }
    }
    builder
        .body(String::new())
        .map_err(|error| bad(format!("the request's parts cannot be read: {error}")))
}

/// The reader a signature's `parameters` name, if they are what a read must carry at
/// `now_seconds`.
fn check_parameters(parameters: &HttpSignatureParams, now_seconds: u64) -> Result<PublicKey, Problem> {
    let covered: Vec<String> = parameters
        .covered_components
        .iter()
        .map(|component| component.to_string().trim_matches('"').to_owned())
        .collect();
    if covered != COVERED_COMPONENTS {
        return Err(bad(format!(
            "the signature covers {covered:?}; a read's covers exactly {COVERED_COMPONENTS:?}, in that order"
        )));
    }
    if parameters.alg.as_deref().is_some_and(|alg| alg != "ed25519") {
        return Err(bad("the algorithm of a read's signature is ed25519".into()));
    }
    let (Some(created), Some(expires)) = (parameters.created, parameters.expires) else {
        return Err(bad("a read's signature carries both created and expires".into()));
    };
    if expires < created || expires - created > SIGNATURE_LIFETIME_SECONDS_MAX {
        return Err(bad(format!(
            "a read's signature lives at most {SIGNATURE_LIFETIME_SECONDS_MAX} s (created {created}, expires {expires})"
        )));
    }
    if created > now_seconds.saturating_add(CLOCK_SKEW_SECONDS_MAX) {
        return Err(bad(format!(
            "the signature was created at {created}, ahead of this node's clock ({now_seconds}) by more than {CLOCK_SKEW_SECONDS_MAX} s"
        )));
    }
    if expires <= now_seconds {
        return Err(bad(format!(
            "the signature expired at {expires}; this node's clock reads {now_seconds}: sign the read again"
        )));
    }
    let keyid = parameters
        .keyid
        .as_deref()
        .ok_or_else(|| bad("a read's signature names its key (keyid)".into()))?;
    PublicKey::parse(keyid).map_err(|error| bad(format!("keyid {keyid:?} is not a key: {error}")))
}

/// A signature that does not make a read.
fn bad(detail: String) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "bad-read-signature",
        "The read's signature is not valid",
        detail,
    )
}
