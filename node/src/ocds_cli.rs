//! `sealbid ocds export`: writes the information service's OCDS output to files: every tender's
//! releases as release packages of up to 100 tenders (`releases-0001.json`, …, from
//! `GET /v1/ocds/releases`) and each tender's record package (`records/T-000001.json`, from
//! `GET /v1/tenders/{id}/ocds`). A thin shell over the reads.

use std::path::{Path, PathBuf};

use sealbid_api::client::{Client, ClientError};
use sealbid_ledger::types::TenderId;

use crate::participant::ParticipantError;
use crate::participant_cli::Connection;

/// Tenders per release package written.
const TENDERS_PER_FILE: u64 = 100;
/// Pages read at most: a bound on the loop (100 tenders each, ten million tenders).
const PAGES_MAX: u64 = 100_000;

/// `sealbid ocds …`.
#[derive(Debug, clap::Subcommand)]
pub enum OcdsCommand {
    /// Write every tender's OCDS releases and record package under --out (created if absent;
    /// files there of the same names are replaced); prints what it wrote.
    Export {
        /// The folder to write into.
        #[arg(long)]
        out: PathBuf,
    },
}

/// `sealbid ocds …`.
pub async fn ocds(connection: &Connection, command: OcdsCommand) -> Result<(), ParticipantError> {
    match command {
        OcdsCommand::Export { out } => export(&connection.client()?, &out).await,
    }
}

/// Writes `value` as JSON to `path`.
fn write(path: &Path, value: &serde_json::Value) -> Result<(), ParticipantError> {
    let text = serde_json::to_string_pretty(value).map_err(|error| ParticipantError::Invalid(error.to_string()))?;
    std::fs::write(path, text).map_err(|error| ParticipantError::File {
        path: path.display().to_string(),
        reason: error.to_string(),
    })
}

/// The tender ids a release package's releases are of, in order, once each.
fn tenders_of(package: &serde_json::Value) -> Vec<String> {
    let mut tenders: Vec<String> = Vec::new();
    let releases = package.get("releases").and_then(serde_json::Value::as_array);
    for release in releases.into_iter().flatten() {
        let tender = release
            .pointer("/tender/id")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if !tender.is_empty() && tenders.last() != Some(&tender) {
            tenders.push(tender);
        }
    }
    tenders
}

/// Reads every page of releases from tender 1 on, and every tender's record.
async fn export(client: &Client, out: &Path) -> Result<(), ParticipantError> {
    let records = out.join("records");
    std::fs::create_dir_all(&records).map_err(|error| ParticipantError::File {
        path: records.display().to_string(),
        reason: error.to_string(),
    })?;
    let mut from = 1;
    let mut files = 0;
    let mut written = 0;
    for page in 1..=PAGES_MAX {
        let path = format!(
            "{}?from={from}&count={TENDERS_PER_FILE}",
            sealbid_api::paths::OCDS_RELEASES
        );
        let package = match client.get_json(&path).await {
            Ok(package) => package,
            Err(ClientError::Problem(problem)) if problem.code == "no-tenders" => break,
            Err(error) => return Err(error.into()),
        };
        let tenders = tenders_of(&package);
        let file = out.join(format!("releases-{page:04}.json"));
        write(&file, &package)?;
        files += 1;
        for tender in &tenders {
            let record = client.get_json(&format!("/v1/tenders/{tender}/ocds")).await?;
            write(&records.join(format!("{tender}.json")), &record)?;
            written += 1;
        }
        let last = tenders
            .last()
            .and_then(|tender| TenderId::parse(tender).ok())
            .and_then(|tender| tender.number());
        let Some(last) = last else {
            break;
        };
        from = last + 1;
    }
    println!(
        "wrote {files} release package(s) and {written} record package(s) under {}",
        out.display()
    );
    Ok(())
}
