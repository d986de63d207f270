//! How the `sealbid` CLI reports a failure. An error from any command is classified once, here,
//! into a [`FailureClass`] (which decides the exit code), one sentence saying what happened and
//! a hint saying what to do; `main` prints it to standard error, as two lines or, with
//! `--json`, as one JSON object. Nothing here prints a backtrace: the binary prints the full
//! error chain only when `SEALBID_DEBUG` is set.
//!
//! The exit codes (also in the README):
//!
//! | code | class | when |
//! |---|---|---|
//! | 0 | | it worked |
//! | 1 | `failed` | anything else: a file that cannot be read or written, a node that cannot start |
//! | 2 | `usage` | a flag, argument or setting is wrong; nothing was signed or sent |
//! | 3 | `refused` | the platform answered and refused it (a 4xx problem): nothing changed |
//! | 4 | `unreachable` | no answer, or the platform could not take it now (5xx, busy): try again |
//! | 5 | `verification_failed` | a receipt, checkpoint or log did not check |

use std::error::Error;

use sealbid_api::client::ClientError;
use sealbid_api::problem::Problem;

use crate::audit::{AuditError, FetchError};
use crate::checkpoints::CheckpointCheckError;
use crate::cluster::ClusterError;
use crate::participant::ParticipantError;
use crate::settings::SettingsError;

/// What kind of failure, which is what a script branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Anything else (exit 1).
    Failed,
    /// A flag, argument or setting is wrong (exit 2).
    Usage,
    /// The platform refused it (exit 3).
    Refused,
    /// No answer, or the platform could not take it now (exit 4).
    Unreachable,
    /// A receipt, checkpoint or log did not check (exit 5).
    VerificationFailed,
}

impl FailureClass {
    /// The process's exit code for this class.
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Failed => 1,
            Self::Usage => 2,
            Self::Refused => 3,
            Self::Unreachable => 4,
            Self::VerificationFailed => 5,
        }
    }
}

/// A failure as the CLI reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// What kind.
    pub class: FailureClass,
    /// The exit code the class gives.
    pub exit_code: u8,
    /// One sentence: what happened.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The platform's problem document, when it answered one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
}

impl Failure {
    /// A failure of `class` saying `message`, with `hint`.
    pub fn new(class: FailureClass, message: impl Into<String>, hint: Option<String>) -> Self {
        Self {
            class,
            exit_code: class.exit_code(),
            message: message.into(),
            hint,
            problem: None,
        }
    }

    /// `error` classified: the first error in its chain that this module knows decides the class,
    /// and the context around it (the chain's earlier links) prefixes the sentence.
    pub fn of(error: &(dyn Error + 'static)) -> Self {
        let mut context = Vec::new();
        let mut link = Some(error);
        while let Some(current) = link {
            if let Some(mut failure) = known(current) {
                if !context.is_empty() {
                    failure.message = format!("{}: {}", context.join(": "), failure.message);
                }
                return failure;
            }
            context.push(current.to_string());
            link = current.source();
        }
        Self::new(FailureClass::Failed, error_chain(error), None)
    }

    /// The two lines printed without `--json`: the sentence, then the hint.
    pub fn text(&self) -> String {
        match &self.hint {
            Some(hint) => format!("error: {}\nhint: {hint}", self.message),
            None => format!("error: {}", self.message),
        }
    }

    /// The JSON printed with `--json`: `{"error": {class, exit_code, message, hint, problem}}`.
    pub fn json(&self) -> String {
        serde_json::json!({ "error": self }).to_string()
    }
}

/// Every message of `error`'s chain, joined as one sentence.
fn error_chain(error: &(dyn Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut link = error.source();
    while let Some(current) = link {
        let text = current.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        link = current.source();
    }
    parts.join(": ")
}

/// The failure `error` is, if it is one of the errors this module knows.
fn known(error: &(dyn Error + 'static)) -> Option<Failure> {
    if let Some(error) = error.downcast_ref::<ParticipantError>() {
        return Some(participant(error));
    }
    if let Some(error) = error.downcast_ref::<ClientError>() {
        return Some(client(error));
    }
    if let Some(error) = error.downcast_ref::<FetchError>() {
        return Some(match error {
            FetchError::Client(error) => client(error),
            FetchError::Incomplete { .. } => Failure::new(
                FailureClass::Unreachable,
                error.to_string(),
                Some("run the fetch again in a while, or give another node with --api".into()),
            ),
        });
    }
    if let Some(error) = error.downcast_ref::<AuditError>() {
        return Some(match error {
            AuditError::Io { .. } => Failure::new(FailureClass::Failed, error.to_string(), None),
            _ => Failure::new(
                FailureClass::VerificationFailed,
                error.to_string(),
                Some(VERIFICATION_HINT.into()),
            ),
        });
    }
    if let Some(error) = error.downcast_ref::<CheckpointCheckError>() {
        return Some(match error {
            CheckpointCheckError::Key { .. } => Failure::new(
                FailureClass::Usage,
                error.to_string(),
                Some("give the log's verifier key with --log-key (log.pub in a node's data folder)".into()),
            ),
            CheckpointCheckError::Invalid(_) => Failure::new(
                FailureClass::VerificationFailed,
                error.to_string(),
                Some(VERIFICATION_HINT.into()),
            ),
        });
    }
    if let Some(error) = error.downcast_ref::<ClusterError>() {
        let class = match error {
            ClusterError::Unreachable { .. } => FailureClass::Unreachable,
            ClusterError::Refused { .. } => FailureClass::Refused,
            ClusterError::Invalid(_) => FailureClass::Usage,
            ClusterError::Io { .. } | ClusterError::Tls(_) => FailureClass::Failed,
        };
        return Some(Failure::new(class, error.to_string(), None));
    }
    if let Some(error) = error.downcast_ref::<SettingsError>() {
        return Some(Failure::new(
            FailureClass::Usage,
            error.to_string(),
            Some("`sealbid serve --help` lists the settings".into()),
        ));
    }
    None
}

/// What to do when something did not check.
const VERIFICATION_HINT: &str = "keep the files as they are: they are the evidence of what did not check";

/// A participant command's failure.
fn participant(error: &ParticipantError) -> Failure {
    match error {
        ParticipantError::Client(error) => client(error),
        ParticipantError::Unanswered { saved, source } => {
            let mut failure = client(source);
            failure.hint = Some(format!(
                "the command may have been applied or not; it is signed and saved in {saved}: send exactly it again \
                 with `sealbid resend {saved}` (a command already applied is answered with its original receipt)"
            ));
            failure
        }
        ParticipantError::Usage { message, hint } => Failure::new(FailureClass::Usage, message, hint.clone()),
        ParticipantError::Verification(message) => Failure::new(
            FailureClass::VerificationFailed,
            message,
            Some(VERIFICATION_HINT.into()),
        ),
        ParticipantError::File { path, reason } => Failure::new(
            FailureClass::Failed,
            format!("{path}: {reason}"),
            Some("check the file named, and the flag that names it".into()),
        ),
        ParticipantError::Invalid(message) => Failure::new(FailureClass::Failed, message, None),
    }
}

/// An API call's failure.
fn client(error: &ClientError) -> Failure {
    match error {
        ClientError::Problem(problem) => refused(problem),
        ClientError::Transport(error) => transport(error),
        ClientError::Tls(reason) => Failure::new(
            FailureClass::Usage,
            format!("the trust anchor cannot be used: {reason}"),
            Some(AUTHORITY_HINT.into()),
        ),
        ClientError::Signing(reason) => Failure::new(FailureClass::Failed, format!("signing the read: {reason}"), None),
    }
}

/// Where the trust anchor comes from.
const AUTHORITY_HINT: &str = "give the platform's trust anchor with --authority or SEALBID_AUTHORITY (tls/authority.pem in a node's data folder)";

/// A problem the platform answered.
fn refused(problem: &Problem) -> Failure {
    let status = problem.status;
    let class = if status >= 500 || status == 408 || status == 429 {
        FailureClass::Unreachable
    } else {
        FailureClass::Refused
    };
    let message = match class {
        FailureClass::Unreachable => format!(
            "the platform could not take it now ({status} {}): {}",
            problem.code, problem.detail
        ),
        _ => format!(
            "the platform refused it ({status} {}): {}",
            problem.code, problem.detail
        ),
    };
    let hint = match status {
        400 | 413 | 422 => "nothing changed; correct what the detail names and send it again",
        401 => "check --key (or SEALBID_KEY): the command must be signed with a registered participant's key",
        403 => "check --key (or SEALBID_KEY): the signer lacks the role or the registration this needs",
        404 => "check the id: `sealbid tender list` lists the tenders",
        409 => {
            "nothing changed: the detail says what stands in the way (`sealbid tender show --tender ID` shows where \
             a tender stands)"
        }
        _ if class == FailureClass::Unreachable => {
            "wait the seconds the node asks and send the same signed command again: `sealbid resend FILE` with the \
             file --save-command wrote (a command already applied is answered with its receipt)"
        }
        _ => "nothing changed",
    };
    let mut failure = Failure::new(class, message, Some(hint.into()));
    failure.problem = Some(problem.clone());
    failure
}

/// A request that got no answer.
fn transport(error: &reqwest::Error) -> Failure {
    let address = error
        .url()
        .map(|url| format!("{}://{}", url.scheme(), url.authority()))
        .unwrap_or_else(|| "the node".into());
    if let Some(tls) = rustls_error(error) {
        return Failure::new(
            FailureClass::Unreachable,
            format!("the TLS handshake with {address} failed: {tls}"),
            Some(format!(
                "the node's certificate must come from the trust anchor: {AUTHORITY_HINT}; and --api must name a host the certificate covers"
            )),
        );
    }
    let root = root_cause(error);
    if error.is_timeout() {
        return Failure::new(
            FailureClass::Unreachable,
            format!("{address} did not answer in time: {root}"),
            Some(
                "the command may have been applied or not: send the same signed command again with `sealbid resend FILE` \
                 (the file --save-command wrote); a command already applied is answered with its receipt"
                    .into(),
            ),
        );
    }
    if error.is_connect() {
        return Failure::new(
            FailureClass::Unreachable,
            format!("cannot connect to {address}: {root}"),
            Some("is a node running there? give its API with --api or SEALBID_API".into()),
        );
    }
    Failure::new(
        FailureClass::Unreachable,
        format!("the request to {address} failed: {root}"),
        Some("try again; if it keeps failing, ask the platform's operator".into()),
    )
}

/// The TLS error under a request's failure, if the handshake failed.
fn rustls_error(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut link: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(current) = link {
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // An I/O error hides the error it wraps from `source` (and may wrap another I/O error).
        link = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// The innermost error's message.
fn root_cause(error: &(dyn Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}
