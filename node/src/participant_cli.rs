//! The `sealbid operator | registrar | bidder | office` subcommands: thin shells that parse flags, call
//! [`crate::participant`] and print the answer (JSON with `--json`).

use std::path::PathBuf;

use sealbid_api::client::Client;
use sealbid_api::client::ClientError;
use sealbid_api::commands::{CommandBody, Receipt};
use sealbid_crypto::identity::PublicKey;
use sealbid_crypto::seal::Envelope;
use sealbid_ledger::command::{Action, TenderSpec};
use sealbid_ledger::complaints::ComplaintMatter;
use sealbid_ledger::objections::ObjectionMatter;
use sealbid_ledger::types::{CorrectionId, LotId, ObjectionId, Role, TenderId};

use crate::checkpoints::{load_log_key, verify_checkpoint};
use crate::participant::{
    ParticipantError, SavedReceipt, envelope_sha256, fetch_log_receipt, load_key, opening_key, seal_offer, sign,
    verify_receipt,
};

/// Where the API is, what to trust, whose key signs, and how to print.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// The node's API (https:// only).
    #[arg(long, env = "SEALBID_API", default_value = "https://127.0.0.1:8443", global = true)]
    pub api: String,
    /// The certificate authority to trust for the API.
    #[arg(
        long,
        env = "SEALBID_AUTHORITY",
        default_value = "sealbid-data/tls/authority.pem",
        global = true
    )]
    pub authority: PathBuf,
    /// The signer's identity key (PKCS#8, as `sealbid key new` writes it).
    #[arg(long, env = "SEALBID_KEY", global = true)]
    pub key: Option<PathBuf>,
    /// Print answers, and errors, as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    /// Write the signed command to this file before sending it (never overwritten), to send
    /// exactly it again with `sealbid resend FILE`.
    #[arg(long, global = true)]
    pub save_command: Option<PathBuf>,
}

/// `sealbid operator …`: the platform's operator (the key printed by `sealbid serve`).
#[derive(Debug, clap::Subcommand)]
pub enum OperatorCommand {
    /// Grant a role (office, committee_member, supervisor, registrar) to a participant's key.
    Grant {
        /// The participant's key (`ed25519:…`).
        #[arg(long)]
        actor: String,
        /// The role.
        #[arg(long)]
        role: String,
        /// The name others see.
        #[arg(long)]
        name: String,
    },
    /// Publish a year's official calendar from a JSON file `{"year", "holidays", "working_days"}`
    /// (dates `YYYY-MM-DD`; ops/calendars holds the published years). Once per year.
    Calendar {
        /// The file.
        #[arg(long)]
        file: PathBuf,
    },
}

/// `sealbid key …`: identity keys, for every role alike.
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Make an identity key (Ed25519, PKCS#8, readable by its owner only) for any role:
    /// bidder, office, committee member, registrar, supervisor. Prints its public key, which the
    /// operator grants a role to.
    New {
        /// Where to write it (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Print the public key of an identity key file.
    Show {
        /// The key file.
        #[arg(long, env = "SEALBID_KEY")]
        key: PathBuf,
    },
}

/// `sealbid key …`.
pub fn key(command: KeyCommand, json: bool) -> Result<(), ParticipantError> {
    let (public_key, path) = match command {
        KeyCommand::New { out } => (crate::participant::keygen(&out)?.public_key(), out),
        KeyCommand::Show { key } => (load_key(&key)?.public_key(), key),
    };
    if json {
        println!(
            "{}",
            serde_json::json!({ "public_key": public_key.to_string(), "file": path.display().to_string() })
        );
    } else {
        println!("{public_key}");
    }
    Ok(())
}

/// `sealbid resend FILE`: sends a command saved by `--save-command` (or after a failed send)
/// exactly as it was signed (by its own key: `--key` plays no part); a command already applied
/// is answered with its original receipt.
pub async fn resend(
    connection: &Connection,
    file: &std::path::Path,
    receipt: Option<&std::path::Path>,
) -> Result<(), ParticipantError> {
    let client = connection.client()?;
    let body: CommandBody = read_json(file)?;
    let command: sealbid_ledger::command::Command = serde_json::from_str(&body.payload).map_err(|error| {
        ParticipantError::usage(
            format!("{}: the saved payload is not a command: {error}", file.display()),
            Some("give a file that --save-command wrote"),
        )
    })?;
    send_body(connection, &client, (&body, Some(file)), &command.action, receipt).await?;
    Ok(())
}

/// `sealbid registrar …`: the trading centre's registration desk decides bidders' applications
/// after checking the companies' documents.
#[derive(Debug, clap::Subcommand)]
pub enum RegistrarCommand {
    /// Approve a pending application: the key may bid and holds its credit code.
    Approve {
        /// The applicant's key (`ed25519:…`).
        #[arg(long)]
        bidder: String,
    },
    /// Reject a pending application.
    Reject {
        /// The applicant's key (`ed25519:…`).
        #[arg(long)]
        bidder: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Revoke an approved registration (a squatter's): the key may no longer bid and its credit
    /// code is free for the real company.
    Revoke {
        /// The bidder's key (`ed25519:…`).
        #[arg(long)]
        bidder: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Print the whole registry of participants, applicants included (a read signed with
    /// --key, which must hold a role).
    Registry,
}

/// `sealbid bidder …`.
#[derive(Debug, clap::Subcommand)]
pub enum BidderCommand {
    /// Print this key's registration, roles, bids in open tenders and objections (a read signed
    /// with --key).
    Status,
    /// Apply to register as a bidder with the organisation's unified social credit code; a
    /// registrar approves the application.
    Register {
        /// The organisation's registered name.
        #[arg(long)]
        organisation: String,
        /// Its unified social credit code (18 characters).
        #[arg(long)]
        credit_code: String,
    },
    /// Seal an offer on this machine to the tender's opening key; writes the envelope.
    Seal {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The lot.
        #[arg(long)]
        lot: String,
        /// The price in fen (1 yuan = 100 fen).
        #[arg(long)]
        price_fen: u64,
        /// Coal/coke: the tonnes wanted.
        #[arg(long)]
        quantity_tonnes: Option<u64>,
        /// Where to write the sealed envelope (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Submit a sealed envelope as a bid; prints (and with --receipt, writes) the receipt.
    Submit(BidFlags),
    /// Replace this bidder's bid on a lot with a new sealed envelope.
    Replace(BidFlags),
    /// Withdraw this bidder's bid on a lot.
    Withdraw {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The lot.
        #[arg(long)]
        lot: String,
    },
    /// Object to a tender's office about its documents, its opening or its evaluation result
    /// (异议; 质疑 in government procurement), within the statutory window; prints the
    /// objection's id and when the answer is due. `sealbid bidder status` shows the answer.
    Object {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// What the objection is about.
        #[arg(long, value_enum)]
        matter: MatterFlag,
        /// What the bidder objects to, and why.
        #[arg(long)]
        text: String,
    },
    /// Complain to the supervisors about a tender (投诉), within the statutory window: about the
    /// documents, the opening or the evaluation result after this bidder's own objection on it
    /// was answered or its answer period ended (--objection); about another matter (tendering
    /// law only) within 10 days of when this bidder knew (--known-at-ms). Prints the complaint's
    /// id and when its review is due.
    Complain {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// What the complaint is about.
        #[arg(long, value_enum)]
        matter: ComplaintMatterFlag,
        /// This bidder's objection it follows (`O-000001`, …), for documents, opening and
        /// evaluation.
        #[arg(long)]
        objection: Option<String>,
        /// For another matter: when this bidder knew of it, ms since the Unix epoch.
        #[arg(long)]
        known_at_ms: Option<u64>,
        /// What the complaint is, and why.
        #[arg(long)]
        text: String,
    },
    /// Check receipts against the audit trail.
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
}

/// What a complaint is about, as `--matter` takes it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ComplaintMatterFlag {
    /// The tender documents (after an objection).
    Documents,
    /// The opening (after an objection).
    Opening,
    /// The evaluation result (after an objection).
    Evaluation,
    /// Any other breach in the tender (tendering law only; with --known-at-ms).
    Other,
}

impl From<ComplaintMatterFlag> for ComplaintMatter {
    fn from(flag: ComplaintMatterFlag) -> Self {
        match flag {
            ComplaintMatterFlag::Documents => ComplaintMatter::Documents,
            ComplaintMatterFlag::Opening => ComplaintMatter::Opening,
            ComplaintMatterFlag::Evaluation => ComplaintMatter::Evaluation,
            ComplaintMatterFlag::Other => ComplaintMatter::Other,
        }
    }
}

/// What an objection is about, as `--matter` takes it.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum MatterFlag {
    /// The tender documents, while the tender takes bids (tendering law: until 10 days before
    /// the deadline; government procurement: within 7 working days of the documents or their
    /// last amendment).
    Documents,
    /// The opening, after it (tendering law: the same day; government procurement: within 7
    /// working days).
    Opening,
    /// The evaluation result, while the candidates are publicized (government procurement:
    /// and for the 7 working days after).
    Evaluation,
}

impl From<MatterFlag> for ObjectionMatter {
    fn from(flag: MatterFlag) -> Self {
        match flag {
            MatterFlag::Documents => ObjectionMatter::Documents,
            MatterFlag::Opening => ObjectionMatter::Opening,
            MatterFlag::Evaluation => ObjectionMatter::Evaluation,
        }
    }
}

/// Parses an objection id.
fn parse_objection(text: &str) -> Result<ObjectionId, ParticipantError> {
    ObjectionId::parse(text).map_err(|error| {
        usage(format!(
            "objection {text:?}: {error}; an objection id looks like O-000001"
        ))
    })
}

/// A sealed envelope to send for a lot.
#[derive(Debug, clap::Args)]
pub struct BidFlags {
    /// The tender.
    #[arg(long)]
    pub tender: String,
    /// The lot.
    #[arg(long)]
    pub lot: String,
    /// The envelope `sealbid bidder seal` wrote.
    #[arg(long)]
    pub envelope: PathBuf,
    /// Also write the receipt here.
    #[arg(long)]
    pub receipt: Option<PathBuf>,
}

/// `sealbid bidder receipts …`.
#[derive(Debug, clap::Subcommand)]
pub enum ReceiptsCommand {
    /// Check each receipt: its checkpoint is signed with the log's key and includes the entry,
    /// the node's current checkpoint extends it, and the entry served hashes to the leaf.
    Verify {
        /// The log's verifier key (the node writes it to log.pub in its data folder).
        #[arg(long, default_value = "sealbid-data/log.pub")]
        log_key: PathBuf,
        /// Receipt files (as `--receipt` wrote them).
        #[arg(required = true)]
        receipts: Vec<PathBuf>,
        /// A witness that must have co-signed a checkpoint extending each receipt's: its key,
        /// as `sealbid supervisor witness-key` prints it. Repeat for several.
        #[arg(long = "witness")]
        witnesses: Vec<String>,
        /// How many of the --witness keys must have co-signed (default: all of them).
        #[arg(long)]
        witnesses_required: Option<usize>,
    },
}

/// `sealbid office …`.
#[derive(Debug, clap::Subcommand)]
pub enum OfficeCommand {
    /// The office's tender commands.
    #[command(subcommand)]
    Tender(TenderCommand),
    /// Supervisors' correction orders to this office.
    #[command(subcommand)]
    Correction(CorrectionCommand),
}

/// `sealbid office correction …`.
#[derive(Debug, clap::Subcommand)]
pub enum CorrectionCommand {
    /// Print the orders addressed to this office, the suspensions of its tenders and the
    /// objections to them (a read signed with --key).
    List,
    /// Reply to an order, saying what the office did (once per order).
    Reply {
        /// The order's id (`C-000001`, …).
        #[arg(long)]
        correction: String,
        /// The reply.
        #[arg(long)]
        reply: String,
    },
}

/// `sealbid office tender …`.
#[derive(Debug, clap::Subcommand)]
pub enum TenderCommand {
    /// Publish a tender described by a JSON file (a TenderSpec; see docs/protocol.md §10).
    Publish {
        /// The specification.
        #[arg(long)]
        spec: PathBuf,
    },
    /// Publish an amendment, optionally moving the deadline.
    Amend {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The amendment's text.
        #[arg(long)]
        notice: String,
        /// The new deadline, ms since the Unix epoch.
        #[arg(long)]
        deadline_ms: Option<u64>,
    },
    /// Wait for bidding to close: the platform closes it by itself once the deadline and the
    /// ledger's arrival window have passed; if it is still open 30 s later, the office closes it.
    Close(TenderFlag),
    /// Open the bids (after enough committee shares are released).
    Open(TenderFlag),
    /// Disqualify an opened bid.
    Disqualify {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The lot.
        #[arg(long)]
        lot: String,
        /// The bidder's key.
        #[arg(long)]
        bidder: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// Construction and government procurement: end the evaluation and publish the ranked
    /// candidates; prints when the publicity ends and from when the award may be made.
    PublishCandidates(TenderFlag),
    /// Apply the award rule and publish the results (after the candidate publicity, where the
    /// market has one).
    Award(TenderFlag),
    /// Answer a bidder's objection (`sealbid office correction list` shows those to answer).
    Answer {
        /// The tender.
        #[arg(long)]
        tender: String,
        /// The objection's id (`O-000001`, …).
        #[arg(long)]
        objection: String,
        /// The answer.
        #[arg(long)]
        answer: String,
        /// The answer changes the tender documents: it is also published as an amendment, and
        /// the deadline moves out by the tender's notice period if it is closer.
        #[arg(long)]
        amends: bool,
    },
}

/// A tender.
#[derive(Debug, clap::Args)]
pub struct TenderFlag {
    /// The tender.
    #[arg(long)]
    pub tender: String,
}

/// Parses a tender id.
pub fn parse_tender(text: &str) -> Result<TenderId, ParticipantError> {
    TenderId::parse(text).map_err(|error| usage(format!("tender {text:?}: {error}; a tender id looks like T-000001")))
}

/// A usage error saying `message`.
fn usage(message: String) -> ParticipantError {
    ParticipantError::usage(message, None)
}

/// Parses a lot id.
fn lot(text: &str) -> Result<LotId, ParticipantError> {
    LotId::parse(text).map_err(|error| usage(format!("lot {text:?}: {error}")))
}

/// Refuses a `--market` that is not a market's name as the API's queries take it (lower case
/// and `_`), before anything is sent.
pub fn check_market(market: &str) -> Result<(), ParticipantError> {
    if market
        .chars()
        .all(|character| character.is_ascii_lowercase() || character == '_')
    {
        Ok(())
    } else {
        Err(usage(format!("market {market:?}: a market's name, like procurement")))
    }
}

/// Parses a public key.
pub fn parse_public_key(text: &str) -> Result<PublicKey, ParticipantError> {
    PublicKey::parse(text).map_err(|error| {
        usage(format!(
            "key {text:?}: {error}; a key looks like ed25519:… as `sealbid key new` prints it"
        ))
    })
}

/// Reads a JSON file.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> Result<T, ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|error| failed(error.to_string()))?;
    serde_json::from_str(&text).map_err(|error| failed(error.to_string()))
}

/// Writes a new JSON file, readable by its owner only; an existing file is never overwritten.
fn write_new_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<(), ParticipantError> {
    let text = serde_json::to_string_pretty(value).map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    crate::participant::write_new_file(path, format!("{text}\n").as_bytes())
}

/// Writes a JSON file.
fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<(), ParticipantError> {
    let failed = |reason: String| ParticipantError::File {
        path: path.display().to_string(),
        reason,
    };
    let text = serde_json::to_string_pretty(value).map_err(|error| failed(error.to_string()))?;
    std::fs::write(path, text + "\n").map_err(|error| failed(error.to_string()))
}

impl Connection {
    /// The API client. A plain `http://` address, or one that is not an address at all, is
    /// refused here, before anything is signed or sent.
    pub fn client(&self) -> Result<Client, ParticipantError> {
        check_api_address(&self.api)?;
        let authority = std::fs::read(&self.authority).map_err(|error| {
            ParticipantError::usage(
                format!("cannot read the trust anchor {}: {error}", self.authority.display()),
                Some(
                    "give the platform's trust anchor with --authority or SEALBID_AUTHORITY \
                     (tls/authority.pem in a node's data folder)",
                ),
            )
        })?;
        Ok(Client::new(&self.api, &authority)?)
    }

    /// Reads `path` signed with the signer's key and prints the answer (JSON).
    pub async fn print_signed_read(&self, path: &str) -> Result<(), ParticipantError> {
        let key = self.signer()?;
        let answer: serde_json::Value = self.client()?.get_signed(path, &key).await?;
        let text = if self.json {
            serde_json::to_string(&answer)
        } else {
            serde_json::to_string_pretty(&answer)
        }
        .map_err(|error| ParticipantError::Invalid(error.to_string()))?;
        println!("{text}");
        Ok(())
    }

    /// The signer's key.
    pub fn signer(&self) -> Result<sealbid_crypto::identity::IdentityKeyPair, ParticipantError> {
        let path = self.key.as_ref().ok_or_else(|| {
            ParticipantError::usage(
                "this command is signed, and no signer's key is given",
                Some("give the signer's identity key with --key FILE or SEALBID_KEY"),
            )
        })?;
        load_key(path)
    }

    /// Signs and submits `action` and prints the answer; with `save`, also fetches the log's
    /// receipt (signed checkpoint, inclusion proof) and writes both there.
    pub async fn send(&self, action: Action, save: Option<&std::path::Path>) -> Result<Receipt, ParticipantError> {
        self.send_with_envelope(action, None, save).await
    }

    /// Signs `action` once, with a bid's `envelope` beside it, and sends it as
    /// [`Connection::send`] does. With `--save-command` the signed command is written first; a
    /// command that got no answer is saved in any case (see `send_body`).
    pub async fn send_with_envelope(
        &self,
        action: Action,
        envelope: Option<&Envelope>,
        save: Option<&std::path::Path>,
    ) -> Result<Receipt, ParticipantError> {
        let client = self.client()?;
        let signed = sign(&self.signer()?, action.clone())?;
        let body = CommandBody::new(signed, envelope.cloned());
        if let Some(path) = &self.save_command {
            write_new_json(path, &body)?;
        }
        send_body(self, &client, (&body, self.save_command.as_deref()), &action, save).await
    }
}

/// Sends `body` (which signs `action`; `saved_in` is the file that already holds it, if one
/// does), prints what happened and, with `save`, fetches the log's receipt and writes it there.
/// A command that got no answer, or one the node could not take now, may be sent again only as
/// the same signed bytes: it is saved (unless a file holds it already, to
/// `sealbid-unsent-<nonce>.json` here) and the error names the file for `sealbid resend`.
async fn send_body(
    connection: &Connection,
    client: &Client,
    (body, saved_in): (&CommandBody, Option<&std::path::Path>),
    action: &Action,
    save: Option<&std::path::Path>,
) -> Result<Receipt, ParticipantError> {
    let receipt = match client.submit_body(body).await {
        Ok(receipt) => receipt,
        Err(error) if answer_uncertain(&error) => {
            let saved = match saved_in {
                Some(path) => path.to_owned(),
                None => {
                    let path = unsent_file(body);
                    write_new_json(&path, body)?;
                    path
                }
            };
            return Err(ParticipantError::Unanswered {
                saved: saved.display().to_string(),
                source: Box::new(error),
            });
        }
        Err(error) => return Err(error.into()),
    };
    let Some(path) = save else {
        connection.print_applied(action, &receipt, None);
        return Ok(receipt);
    };
    match fetch_log_receipt(client, receipt.clone()).await {
        Ok(log_receipt) => {
            write_json(path, &log_receipt)?;
            connection.print_applied(action, &receipt, Some(path));
            Ok(receipt)
        }
        Err(error) => {
            // Whatever happened to the log's receipt, the user sees the command was applied.
            connection.print_applied(action, &receipt, None);
            Err(error)
        }
    }
}

/// Whether a failed send may have been applied, or may be taken if sent again: no answer, or a
/// 5xx, 408 or 429 problem.
fn answer_uncertain(error: &ClientError) -> bool {
    match error {
        ClientError::Transport(_) => true,
        ClientError::Problem(problem) => problem.status >= 500 || problem.status == 408 || problem.status == 429,
        ClientError::Tls(_) | ClientError::Signing(_) => false,
    }
}

/// Where a command that got no answer is kept when `--save-command` was not given: the current
/// folder, named by the command's nonce.
fn unsent_file(body: &CommandBody) -> PathBuf {
    let nonce = serde_json::from_str::<sealbid_ledger::command::Command>(&body.payload)
        .map(|command| command.nonce)
        .unwrap_or_default();
    PathBuf::from(format!("sealbid-unsent-{nonce}.json"))
}

impl Connection {
    /// Prints that `action` was applied: a sentence, or the receipt as JSON.
    pub fn print_applied(&self, action: &Action, receipt: &Receipt, receipt_file: Option<&std::path::Path>) {
        if self.json {
            println!("{}", serde_json::to_string(receipt).unwrap_or_default());
        } else {
            println!("{}", crate::outcome::sentence(action, receipt, receipt_file));
        }
    }
}

/// Refuses an API address that is not `https://host[:port]`: the platform speaks only HTTPS,
/// and a command sent in the clear would show who bids what to anyone on the path.
pub fn check_api_address(api: &str) -> Result<(), ParticipantError> {
    const HINT: &str = "give the node's API as https://host:port with --api or SEALBID_API";
    let Some(rest) = api.strip_prefix("https://") else {
        let reason = if api.starts_with("http://") {
            "a plain http:// address; the platform speaks only HTTPS, and nothing was signed or sent"
        } else {
            "not an https:// address"
        };
        return Err(ParticipantError::usage(
            format!("the API address {api:?} is {reason}"),
            Some(HINT),
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || rest.contains(char::is_whitespace) {
        return Err(ParticipantError::usage(
            format!("the API address {api:?} names no host"),
            Some(HINT),
        ));
    }
    Ok(())
}

/// `sealbid operator …`.
pub async fn operator(connection: &Connection, command: OperatorCommand) -> Result<(), ParticipantError> {
    match command {
        OperatorCommand::Grant { actor, role, name } => {
            let role: Role = serde_json::from_value(serde_json::Value::String(role.clone())).map_err(|_| {
                usage(format!(
                    "role {role:?}: use office, committee_member, supervisor, registrar or admin"
                ))
            })?;
            let action = Action::GrantRole {
                actor: parse_public_key(&actor)?,
                role,
                name,
            };
            connection.send(action, None).await?;
        }
        OperatorCommand::Calendar { file } => {
            connection
                .send(Action::PublishCalendar(read_json(&file)?), None)
                .await?;
        }
    }
    Ok(())
}

/// `sealbid registrar …`.
pub async fn registrar(connection: &Connection, command: RegistrarCommand) -> Result<(), ParticipantError> {
    let action = match command {
        RegistrarCommand::Registry => return connection.print_signed_read(sealbid_api::paths::REGISTRY).await,
        RegistrarCommand::Approve { bidder } => Action::ApproveBidder {
            bidder: parse_public_key(&bidder)?,
        },
        RegistrarCommand::Reject { bidder, reason } => Action::RejectBidder {
            bidder: parse_public_key(&bidder)?,
            reason,
        },
        RegistrarCommand::Revoke { bidder, reason } => Action::RevokeBidder {
            bidder: parse_public_key(&bidder)?,
            reason,
        },
    };
    connection.send(action, None).await?;
    Ok(())
}

/// `sealbid bidder …`.
pub async fn bidder(connection: &Connection, command: BidderCommand) -> Result<(), ParticipantError> {
    match command {
        BidderCommand::Status => connection.print_signed_read(sealbid_api::paths::ME).await?,
        BidderCommand::Register {
            organisation,
            credit_code,
        } => {
            let action = Action::RegisterBidder {
                organisation,
                credit_code,
            };
            connection.send(action, None).await?;
        }
        BidderCommand::Seal {
            tender: tender_text,
            lot: lot_text,
            price_fen,
            quantity_tonnes,
            out,
        } => {
            let (tender, lot) = (parse_tender(&tender_text)?, lot(&lot_text)?);
            let key = connection.signer()?;
            let opening_key = opening_key(&connection.client()?, &tender).await?;
            let envelope = seal_offer(&tender, &lot, &key, price_fen, quantity_tonnes, &opening_key)?;
            write_json(&out, &envelope)?;
            println!("sealed to tender {tender}'s opening key: {}", out.display());
        }
        BidderCommand::Submit(flags) => {
            let envelope: Envelope = read_json(&flags.envelope)?;
            let action = Action::SubmitBid {
                tender: parse_tender(&flags.tender)?,
                lot: lot(&flags.lot)?,
                envelope_sha256: envelope_sha256(&envelope)?,
            };
            connection
                .send_with_envelope(action, Some(&envelope), flags.receipt.as_deref())
                .await?;
        }
        BidderCommand::Replace(flags) => {
            let envelope: Envelope = read_json(&flags.envelope)?;
            let action = Action::ReplaceBid {
                tender: parse_tender(&flags.tender)?,
                lot: lot(&flags.lot)?,
                envelope_sha256: envelope_sha256(&envelope)?,
            };
            connection
                .send_with_envelope(action, Some(&envelope), flags.receipt.as_deref())
                .await?;
        }
        BidderCommand::Withdraw {
            tender: tender_text,
            lot: lot_text,
        } => {
            let action = Action::WithdrawBid {
                tender: parse_tender(&tender_text)?,
                lot: lot(&lot_text)?,
            };
            connection.send(action, None).await?;
        }
        BidderCommand::Object {
            tender: tender_text,
            matter,
            text,
        } => {
            let action = Action::FileObjection {
                tender: parse_tender(&tender_text)?,
                matter: matter.into(),
                text,
            };
            connection.send(action, None).await?;
        }
        BidderCommand::Complain {
            tender: tender_text,
            matter,
            objection,
            known_at_ms,
            text,
        } => {
            let action = Action::FileComplaint {
                tender: parse_tender(&tender_text)?,
                matter: matter.into(),
                objection: objection.as_deref().map(parse_objection).transpose()?,
                known_at_ms,
                text,
            };
            connection.send(action, None).await?;
        }
        BidderCommand::Receipts(ReceiptsCommand::Verify {
            log_key,
            receipts,
            witnesses,
            witnesses_required,
        }) => {
            let client = connection.client()?;
            let log_key = load_log_key(&log_key).map_err(|error| {
                ParticipantError::usage(
                    error.to_string(),
                    Some("give the log's verifier key with --log-key (log.pub in a node's data folder)"),
                )
            })?;
            let witnesses = crate::witness::parse_witnesses(&witnesses)?;
            let required = crate::witness::witnesses_required(&witnesses, witnesses_required)?;
            let requirement = crate::witness::Requirement::fetch(&client, &log_key, witnesses, required).await?;
            let current = verify_checkpoint(&client.checkpoint().await?, &log_key)
                .map_err(|error| ParticipantError::Verification(format!("the node's current checkpoint: {error}")))?;
            for path in receipts {
                let saved: SavedReceipt = read_json(&path)?;
                let check = verify_receipt(&client, &log_key, &current, &saved, &requirement)
                    .await
                    .map_err(|error| match error {
                        ParticipantError::Verification(reason) => {
                            ParticipantError::Verification(format!("{}: {reason}", path.display()))
                        }
                        other => other,
                    })?;
                if connection.json {
                    println!("{}", serde_json::to_string(&check).unwrap_or_default());
                } else {
                    println!(
                        "{}: audit entry {} is in the signed checkpoint of {} entries, which the current one ({}) extends{}",
                        path.display(),
                        check.audit_index,
                        check.checkpoint_size,
                        check.current_size,
                        if check.witnesses.is_empty() {
                            String::new()
                        } else {
                            format!("; co-signed by {}", check.witnesses.join(", "))
                        }
                    );
                }
            }
        }
    }
    Ok(())
}

/// How long `sealbid office tender close` waits for the platform's own close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);
/// How often it looks.
const CLOSE_POLL: std::time::Duration = std::time::Duration::from_millis(200);

/// `sealbid office tender close`: the leader closes bidding by itself once the deadline and the
/// ledger's arrival window have passed, so this waits for that (at most [`CLOSE_WAIT`]); only a
/// tender still taking bids then is closed by the office's own command. Before the deadline it
/// refuses, sending nothing.
async fn close_bidding(connection: &Connection, id: &TenderId) -> Result<(), ParticipantError> {
    let client = connection.client()?;
    let phase_and_deadline = |view: &serde_json::Value| {
        (
            view.pointer("/tender/phase")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            view.pointer("/tender/deadline_ms").and_then(serde_json::Value::as_u64),
        )
    };
    let (_, deadline_ms) = phase_and_deadline(&client.tender(id.as_str()).await?);
    let deadline_ms = deadline_ms
        .ok_or_else(|| ParticipantError::Invalid(format!("the node's answer about {id} has no deadline")))?;
    let now_ms = sealbid_consensus::clock::Clock::now_ms(&sealbid_consensus::clock::SystemClock);
    if now_ms < deadline_ms {
        return Err(ParticipantError::usage(
            format!(
                "tender {id} takes bids for {} s more (deadline {deadline_ms} ms); nothing was sent",
                (deadline_ms - now_ms).div_ceil(1_000)
            ),
            Some("the platform closes bidding by itself at the deadline: run this after it"),
        ));
    }
    let waited = tokio::time::timeout(CLOSE_WAIT, async {
        loop {
            match phase_and_deadline(&client.tender(id.as_str()).await?).0.as_deref() {
                Some("bidding") | None => tokio::time::sleep(CLOSE_POLL).await,
                Some(phase) => return Ok::<String, ParticipantError>(phase.to_owned()),
            }
        }
    })
    .await;
    match waited {
        Ok(Ok(phase)) => {
            if connection.json {
                println!("{}", serde_json::json!({ "tender": id, "phase": phase }));
            } else {
                println!("tender {id} is {phase}: the platform closed bidding at its deadline");
            }
            Ok(())
        }
        Ok(Err(error)) => Err(error),
        Err(_) => {
            connection
                .send(Action::CloseTender { tender: id.clone() }, None)
                .await?;
            Ok(())
        }
    }
}

/// `sealbid office …`.
pub async fn office(connection: &Connection, command: OfficeCommand) -> Result<(), ParticipantError> {
    let command = match command {
        OfficeCommand::Tender(command) => command,
        OfficeCommand::Correction(CorrectionCommand::List) => {
            return connection.print_signed_read(sealbid_api::paths::ME).await;
        }
        OfficeCommand::Correction(CorrectionCommand::Reply { correction, reply }) => {
            let correction = CorrectionId::parse(&correction).map_err(|error| {
                usage(format!(
                    "correction {correction:?}: {error}; an order's id looks like C-000001"
                ))
            })?;
            connection
                .send(Action::ReplyCorrection { correction, reply }, None)
                .await?;
            return Ok(());
        }
    };
    let action = match command {
        TenderCommand::Publish { spec } => Action::PublishTender(read_json::<TenderSpec>(&spec)?),
        TenderCommand::Amend {
            tender: id,
            notice,
            deadline_ms,
        } => Action::AmendTender {
            tender: parse_tender(&id)?,
            notice,
            deadline_ms,
        },
        TenderCommand::Close(flag) => return close_bidding(connection, &parse_tender(&flag.tender)?).await,
        TenderCommand::Open(flag) => Action::OpenTender {
            tender: parse_tender(&flag.tender)?,
        },
        TenderCommand::Disqualify {
            tender: id,
            lot: lot_text,
            bidder,
            reason,
        } => Action::DisqualifyBid {
            tender: parse_tender(&id)?,
            lot: lot(&lot_text)?,
            bidder: parse_public_key(&bidder)?,
            reason,
        },
        TenderCommand::PublishCandidates(flag) => Action::PublishCandidates {
            tender: parse_tender(&flag.tender)?,
        },
        TenderCommand::Award(flag) => Action::AwardTender {
            tender: parse_tender(&flag.tender)?,
        },
        TenderCommand::Answer {
            tender: id,
            objection,
            answer,
            amends,
        } => Action::AnswerObjection {
            tender: parse_tender(&id)?,
            objection: parse_objection(&objection)?,
            answer,
            amends,
        },
    };
    connection.send(action, None).await?;
    Ok(())
}
