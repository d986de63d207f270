//! `sealbid tender list | show | results`: anyone's reads of the tenders, as a person reads
//! them (offices by name, instants in China Standard Time, prices in yuan) or, with `--json`,
//! as the API answers them. Unsigned: nothing here needs a key.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::display::{china_standard_time, yuan};
use crate::participant::ParticipantError;
use crate::participant_cli::{Connection, parse_public_key, parse_tender};

/// `sealbid tender …`.
#[derive(Debug, clap::Subcommand)]
pub enum TenderReadCommand {
    /// List tenders by number: open ones by default, `--status final` for the finished ones.
    List {
        /// `open`, `final` or `all`.
        #[arg(long, value_enum, default_value_t = StatusFlag::Open)]
        status: StatusFlag,
        /// Only this market's (procurement, construction, land_use_right, property_rights,
        /// coal_coke).
        #[arg(long)]
        market: Option<String>,
        /// Only this office's: its key (`ed25519:…`).
        #[arg(long)]
        office: Option<String>,
        /// From this tender number on (1 for T-000001).
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// How many tenders to look at (at most 100).
        #[arg(long, default_value_t = 100)]
        count: u64,
    },
    /// A tender: what it is, where it stands, its deadline and lots, and its results once it has
    /// them.
    Show {
        /// The tender.
        #[arg(long)]
        tender: String,
    },
    /// A tender's opening record (every bid with its price, once opened) and each lot's result.
    Results {
        /// The tender.
        #[arg(long)]
        tender: String,
    },
}

/// Which tenders `list` covers.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StatusFlag {
    /// Not final yet.
    Open,
    /// Awarded, failed or cancelled.
    Final,
    /// Both.
    All,
}

impl StatusFlag {
    /// The API's name.
    fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Final => "final",
            Self::All => "all",
        }
    }
}

/// `sealbid tender …`.
pub async fn tender(connection: &Connection, command: TenderReadCommand) -> Result<(), ParticipantError> {
    match command {
        TenderReadCommand::List {
            status,
            market,
            office,
            from,
            count,
        } => list(connection, status, market.as_deref(), office.as_deref(), (from, count)).await,
        TenderReadCommand::Show { tender } => show(connection, &tender).await,
        TenderReadCommand::Results { tender } => results(connection, &tender).await,
    }
}

/// `sealbid tender list`.
async fn list(
    connection: &Connection,
    status: StatusFlag,
    market: Option<&str>,
    office: Option<&str>,
    (from, count): (u64, u64),
) -> Result<(), ParticipantError> {
    let mut path = format!(
        "{}?status={}&from={from}&count={count}",
        sealbid_api::paths::TENDERS,
        status.name()
    );
    if let Some(market) = market {
        crate::participant_cli::check_market(market)?;
        path.push_str(&format!("&market={market}"));
    }
    if let Some(office) = office {
        // Checked here, so that a wrong key is a usage error and not the server's refusal.
        parse_public_key(office)?;
        path.push_str(&format!("&office={}", office.replace(':', "%3A")));
    }
    let client = connection.client()?;
    let tenders = client.get_json(&path).await?;
    if connection.json {
        println!("{tenders}");
        return Ok(());
    }
    let names = participant_names(connection).await?;
    let tenders = tenders.as_array().cloned().unwrap_or_default();
    if tenders.is_empty() {
        println!("no {} tenders from T-{from:06} on", status.name());
    }
    for tender in &tenders {
        println!("{}", summary_line(tender, &names));
    }
    Ok(())
}

/// One tender as a line of `list`.
fn summary_line(tender: &Value, names: &BTreeMap<String, String>) -> String {
    format!(
        "{}  {:<16} {:<15} deadline {}  {} ({})",
        text(tender, "/id"),
        text(tender, "/spec/market"),
        text(tender, "/phase"),
        tender
            .pointer("/deadline_ms")
            .and_then(Value::as_u64)
            .map_or_else(String::new, china_standard_time),
        text(tender, "/spec/title"),
        name_of(names, &text(tender, "/office")),
    )
}

/// `sealbid tender show`.
async fn show(connection: &Connection, tender: &str) -> Result<(), ParticipantError> {
    let id = parse_tender(tender)?;
    let answer = connection.client()?.tender(id.as_str()).await?;
    if connection.json {
        println!("{answer}");
        return Ok(());
    }
    let names = participant_names(connection).await?;
    let view = answer.get("tender").cloned().unwrap_or_default();
    println!("{} {}", text(&view, "/id"), text(&view, "/spec/title"));
    println!("  market:     {}", text(&view, "/spec/market"));
    println!("  office:     {}", name_of(&names, &text(&view, "/office")));
    println!("  phase:      {}", text(&view, "/phase"));
    if let Some(deadline_ms) = view.pointer("/deadline_ms").and_then(Value::as_u64) {
        println!("  deadline:   {}", china_standard_time(deadline_ms));
    }
    if let Some(since_ms) = view.pointer("/suspended_since_ms").and_then(Value::as_u64) {
        println!("  suspended:  since {}", china_standard_time(since_ms));
    }
    let amendments = view
        .pointer("/amendments")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    println!("  amendments: {amendments}");
    match view.pointer("/bid_count").and_then(Value::as_u64) {
        Some(bids) => println!("  bids:       {bids}"),
        None => println!("  bids:       withheld until the close"),
    }
    for lot in view
        .pointer("/spec/lots")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        println!("  lot {}: {}", text(lot, "/id"), text(lot, "/title"));
    }
    print_results(answer.get("results"), &names);
    Ok(())
}

/// `sealbid tender results`.
async fn results(connection: &Connection, tender: &str) -> Result<(), ParticipantError> {
    let id = parse_tender(tender)?;
    let client = connection.client()?;
    let answer = client.tender(id.as_str()).await?;
    let bids = client
        .get_json(&sealbid_api::paths::TENDER_BIDS.replace("{id}", id.as_str()))
        .await?;
    if connection.json {
        println!(
            "{}",
            serde_json::json!({ "tender": id, "bids": bids, "results": answer.get("results") })
        );
        return Ok(());
    }
    let names = participant_names(connection).await?;
    match bids.get("opened") {
        Some(opened) => {
            println!("{id} opening record:");
            for bid in opened.pointer("/bids").and_then(Value::as_array).into_iter().flatten() {
                let price = bid
                    .get("price_fen")
                    .and_then(Value::as_u64)
                    .map_or_else(|| "no price".to_owned(), yuan);
                println!(
                    "  lot {}: {} bid {price} ({}, audit entry {})",
                    text(bid, "/lot"),
                    name_of(&names, &text(bid, "/bidder")),
                    wire_status(bid.get("status")),
                    bid.get("audit_index").and_then(Value::as_u64).unwrap_or_default()
                );
            }
        }
        None => println!("{id} is not opened yet: its bids are withheld or sealed"),
    }
    print_results(answer.get("results"), &names);
    Ok(())
}

/// A bid's status as the API names it (`valid`, or the reason it is not).
fn wire_status(status: Option<&Value>) -> String {
    match status {
        Some(Value::String(name)) => name.clone(),
        Some(Value::Object(members)) => members
            .iter()
            .next()
            .map(|(name, fields)| match fields.get("reason").and_then(Value::as_str) {
                Some(reason) => format!("{name}: {reason}"),
                None => name.clone(),
            })
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Prints each lot's outcome, if the tender has them.
fn print_results(results: Option<&Value>, names: &BTreeMap<String, String>) {
    let Some(Value::Object(lots)) = results else {
        println!("  results:    none yet");
        return;
    };
    for (lot, outcome) in lots {
        if let Some(winners) = outcome.pointer("/awarded/winners").and_then(Value::as_array) {
            let winners: Vec<String> = winners
                .iter()
                .map(|winner| {
                    let price = winner
                        .get("price_fen")
                        .and_then(Value::as_u64)
                        .map_or_else(String::new, yuan);
                    format!("{} at {price}", name_of(names, &text(winner, "/bidder")))
                })
                .collect();
            println!("  lot {lot} awarded to {}", winners.join(", "));
        } else {
            let reason = outcome
                .pointer("/failed/reason")
                .map(|reason| wire_status(Some(reason)));
            println!("  lot {lot} failed: {}", reason.unwrap_or_default());
        }
    }
}

/// The public participants' names by key (offices, committee members, supervisors); bidders
/// stay keys, as the public registry has them.
async fn participant_names(connection: &Connection) -> Result<BTreeMap<String, String>, ParticipantError> {
    let participants = connection.client()?.get_json(sealbid_api::paths::PARTICIPANTS).await?;
    Ok(participants
        .as_array()
        .into_iter()
        .flatten()
        .map(|participant| (text(participant, "/key"), text(participant, "/name")))
        .collect())
}

/// The name of `key`, or the key itself when it has no public name.
fn name_of(names: &BTreeMap<String, String>, key: &str) -> String {
    names.get(key).cloned().unwrap_or_else(|| key.to_owned())
}

/// The string at `pointer` in `value`, or nothing.
fn text(value: &Value, pointer: &str) -> String {
    match value.pointer(pointer) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
