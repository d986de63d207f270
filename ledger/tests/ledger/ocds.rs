//! OCDS output through the real ledger, validated against the OCDS 1.1.5 release-package and
//! record-package schemas patched with the bid extension, read as they are from
//! `../shared/vectors/ocds-1.1.5/` (JSON Schema draft 4, formats checked), with every code from
//! the codelists there: a construction tender before its close (nothing about bidders), at its
//! candidate publicity (the opening record, a pending award) and awarded, and a cancelled one.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::rc::Rc;

use serde_json::{Value, json};

use sealbid_ledger::command::Action;
use sealbid_ledger::ocds::{Publisher, record_package, release_package, releases};
use sealbid_ledger::tender::Tender;
use sealbid_ledger::types::{LotId, Market, TenderId};

use crate::objections::{SEP_15_09H, harness_in_2026, publish};
use crate::support::Harness;

/// Where the schemas are served from, as their `$ref`s name them.
const SCHEMA_BASE: &str = "https://standard.open-contracting.org/schema/1__1__5/";

const PUBLISHER: Publisher<'static> = Publisher {
    ocid_prefix: "ocds-sealbid",
    name: "sealbid",
    uri: "https://127.0.0.1:8443/v1/tenders/T-000001/ocds",
};

fn vectors() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/vectors/ocds-1.1.5"))
}

fn read(path: &str) -> Value {
    let path = vectors().join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// RFC 7386 JSON Merge Patch, as OCDS applies an extension's schema to the release schema.
fn merge(target: &mut Value, patch: &Value) {
    match (target.as_object_mut(), patch.as_object()) {
        (Some(target), Some(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        _ => *target = patch.clone(),
    }
}

/// The schemas by their URLs, the release schema patched with the bid extension.
struct LocalSchemas(HashMap<String, Value>);

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0
            .get(uri.as_str())
            .cloned()
            .ok_or_else(|| format!("no local copy of {uri}").into())
    }
}

fn local_schemas() -> LocalSchemas {
    let mut release = read("schema/release-schema.json");
    merge(&mut release, &read("bid-extension/release-schema.json"));
    let mut schemas = HashMap::new();
    schemas.insert(format!("{SCHEMA_BASE}release-schema.json"), release);
    for name in [
        "versioned-release-validation-schema.json",
        "release-package-schema.json",
        "record-package-schema.json",
    ] {
        schemas.insert(format!("{SCHEMA_BASE}{name}"), read(&format!("schema/{name}")));
    }
    LocalSchemas(schemas)
}

/// Validates `instance` against the package schema `name`; every error, if any.
fn errors(name: &str, instance: &Value) -> Vec<String> {
    let schemas = local_schemas();
    let schema = schemas.0[&format!("{SCHEMA_BASE}{name}")].clone();
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .with_retriever(schemas)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

/// The codes of a codelist (its first column).
fn codes(path: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(vectors().join(path)).unwrap();
    text.lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .map(|code| code.trim_matches('"').to_owned())
        .collect()
}

/// Every value at `key` anywhere in `value` (strings, or the strings of an array).
fn values_at(value: &Value, key: &str, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (name, inner) in fields {
                if name == key {
                    match inner {
                        Value::String(text) => {
                            found.insert(text.clone());
                        }
                        Value::Array(items) => found.extend(items.iter().filter_map(Value::as_str).map(str::to_owned)),
                        _ => {}
                    }
                }
                values_at(inner, key, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| values_at(item, key, found)),
        _ => {}
    }
}

/// Every code the package uses is in its codelist.
fn check_codes(package: &Value) {
    let releases: Vec<&Value> = package["records"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|record| {
            record["releases"]
                .as_array()
                .unwrap()
                .iter()
                .chain([&record["compiledRelease"]])
        })
        .collect();
    for release in releases {
        let used = |section: &Value, key: &str| {
            let mut found = BTreeSet::new();
            values_at(section, key, &mut found);
            found
        };
        let check = |found: BTreeSet<String>, list: &str| {
            let allowed = codes(list);
            for code in found {
                assert!(allowed.contains(&code), "{code:?} is not in {list}");
            }
        };
        check(
            used(&json!({"tag": release["tag"]}), "tag"),
            "schema/codelists/releaseTag.csv",
        );
        check(
            used(&json!({"x": release["initiationType"]}), "x"),
            "schema/codelists/initiationType.csv",
        );
        check(
            used(&json!({"status": release["tender"]["status"]}), "status"),
            "schema/codelists/tenderStatus.csv",
        );
        check(used(&release["awards"], "status"), "schema/codelists/awardStatus.csv");
        check(
            used(&release["bids"], "status"),
            "bid-extension/codelists/bidStatus.csv",
        );
        check(used(&release["parties"], "roles"), "schema/codelists/partyRole.csv");
        check(used(release, "currency"), "schema/codelists/currency.csv");
        check(
            used(&release["tender"], "procurementMethod"),
            "schema/codelists/method.csv",
        );
        check(
            used(&release["tender"], "mainProcurementCategory"),
            "schema/codelists/procurementCategory.csv",
        );
        check(
            used(&release["tender"], "submissionMethod"),
            "schema/codelists/submissionMethod.csv",
        );
    }
}

/// The tender's record package and its releases as a release package, both valid and with
/// codes from the codelists; the record package.
fn validated(harness: &Harness, tender: &Tender, final_at_ms: Option<u64>) -> Value {
    let state = harness.ledger.state();
    let package = record_package(state, tender, &PUBLISHER, final_at_ms);
    assert_eq!(
        errors("record-package-schema.json", &package),
        Vec::<String>::new(),
        "{package:#}"
    );
    let release_package = release_package(
        releases(state, tender, PUBLISHER.ocid_prefix, final_at_ms),
        PUBLISHER.name,
        PUBLISHER.uri,
    );
    assert_eq!(
        errors("release-package-schema.json", &release_package),
        Vec::<String>::new()
    );
    assert_eq!(release_package["publishedDate"], package["publishedDate"]);
    check_codes(&package);
    package
}

fn tags(package: &Value) -> Vec<String> {
    package["records"][0]["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["tag"][0].as_str().unwrap().to_owned())
        .collect()
}

fn live<'a>(harness: &'a Harness, tender: &TenderId) -> &'a Tender {
    &harness.ledger.state().tenders[tender]
}

#[test]
fn a_tender_is_published_in_ocds_releases_and_a_record_that_validate_against_the_schemas() {
    let mut harness = harness_in_2026(SEP_15_09H, 4);
    let tender = publish(&mut harness, Market::Construction, SEP_15_09H + 2 * 60 * 60 * 1000);
    let amended = harness
        .office_runs(Action::AmendTender {
            tender: tender.clone(),
            notice: "the site visit moves to 10:00".into(),
            deadline_ms: None,
        })
        .unwrap();
    // The amendment is a notice of the information service too, with the deadline it moved.
    let deadline_ms = live(&harness, &tender).deadline_ms;
    assert_eq!(
        amended
            .notices
            .iter()
            .map(|notice| notice.content.clone())
            .collect::<Vec<_>>(),
        vec![sealbid_ledger::notices::Content::Amendment {
            notice: "the site visit moves to 10:00".into(),
            deadline_ms
        }]
    );
    harness.prove_readiness(&tender, 1);
    harness.prove_readiness(&tender, 2);
    for (bidder, price) in [(0, 90_050), (1, 80_000), (2, 70_000), (3, 75_000)] {
        harness.bid(&tender, "1", bidder, price, None).unwrap();
    }

    // Before the close: the tender and its amendment, nothing about any bidder.
    let bidding = validated(&harness, live(&harness, &tender), None);
    assert_eq!(tags(&bidding), ["tender", "tenderAmendment"]);
    let text = bidding.to_string();
    for bidder in &harness.bidders {
        assert!(
            !text.contains(&bidder.public_key().to_string()),
            "a bidder is named before the close"
        );
    }
    assert!(bidding["records"][0]["compiledRelease"].get("bids").is_none());
    assert_eq!(
        bidding["records"][0]["compiledRelease"]["tender"]["amendments"][0]["description"],
        "the site visit moves to 10:00"
    );

    // Opened, one bid disqualified, the candidates published: the opening record and a pending
    // award.
    // The amendment came inside the notice period, so the deadline moved out.
    harness.now_ms = live(&harness, &tender).deadline_ms + 60 * 60 * 1000;
    harness.close(&tender);
    harness.release_shares(&tender, 2);
    harness
        .office_runs(Action::OpenTender { tender: tender.clone() })
        .unwrap();
    harness
        .office_runs(Action::DisqualifyBid {
            tender: tender.clone(),
            lot: LotId::parse("1").unwrap(),
            bidder: harness.bidders[2].public_key(),
            reason: "its licence had expired".into(),
        })
        .unwrap();
    harness.now_ms += 24 * 60 * 60 * 1000;
    harness
        .office_runs(Action::PublishCandidates { tender: tender.clone() })
        .unwrap();
    let publicized = validated(&harness, live(&harness, &tender), None);
    assert_eq!(
        tags(&publicized),
        ["tender", "tenderAmendment", "tenderUpdate", "award"]
    );
    // The bid extension is in force: a bid without its id is refused.
    let mut no_bid_id = publicized.clone();
    no_bid_id["records"][0]["releases"][2]["bids"]["details"][0]
        .as_object_mut()
        .unwrap()
        .remove("id");
    assert!(!errors("record-package-schema.json", &no_bid_id).is_empty());
    let opening = &publicized["records"][0]["releases"][2];
    let details = opening["bids"]["details"].as_array().unwrap();
    assert_eq!(details.len(), 4);
    assert!(
        details.iter().all(|bid| bid["status"] == "valid"),
        "at the opening every bid was valid: {opening}"
    );
    let prices: BTreeSet<String> = details.iter().map(|bid| bid["value"]["amount"].to_string()).collect();
    assert_eq!(
        prices,
        ["700", "750", "800", "900.5"].map(str::to_owned).into(),
        "prices in yuan"
    );
    assert_eq!(opening["tender"]["numberOfTenderers"], 4);
    let compiled = &publicized["records"][0]["compiledRelease"];
    let disqualified: Vec<&Value> = compiled["bids"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|bid| bid["status"] == "disqualified")
        .collect();
    assert_eq!(disqualified.len(), 1, "the compiled release has the bid's status now");
    assert_eq!(
        disqualified[0]["tenderers"][0]["id"],
        harness.bidders[2].public_key().to_string()
    );
    let pending = &compiled["awards"][0];
    assert_eq!(pending["status"], "pending");
    assert_eq!(
        pending["suppliers"][0]["id"],
        harness.bidders[3].public_key().to_string()
    );
    assert_eq!(pending["value"], json!({"amount": 750, "currency": "CNY"}));

    // Awarded once the publicity has run: the award is active, the tender complete, the
    // winner a supplier.
    harness.now_ms = live(&harness, &tender).publicity.as_ref().unwrap().award_from_ms;
    let (_, _) = harness.award(&tender);
    let record = harness.archived.last().unwrap().clone();
    let awarded = validated(&harness, &record.tender, Some(record.archived_at_ms));
    assert_eq!(
        tags(&awarded),
        ["tender", "tenderAmendment", "tenderUpdate", "award", "award"]
    );
    let compiled = &awarded["records"][0]["compiledRelease"];
    assert_eq!(compiled["tender"]["status"], "complete");
    assert_eq!(compiled["awards"][0]["status"], "active");
    let winner = harness.bidders[3].public_key().to_string();
    let supplier = compiled["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|party| party["id"] == winner)
        .unwrap();
    assert_eq!(supplier["roles"], json!(["tenderer", "supplier"]));
    assert_eq!(supplier["name"], "Bidder 3 Co.");
    assert_eq!(awarded["publishedDate"], compiled["date"]);
}

#[test]
fn a_cancelled_tender_ends_with_a_tender_cancellation() {
    let mut harness = harness_in_2026(SEP_15_09H, 1);
    let tender = publish(&mut harness, Market::LandUseRight, SEP_15_09H + 2 * 60 * 60 * 1000);
    let office = Rc::clone(&harness.office);
    harness
        .run(
            &office,
            Action::CancelTender {
                tender: tender.clone(),
                reason: "the plot's planning conditions changed".into(),
            },
        )
        .unwrap();
    let record = harness.archived.last().unwrap().clone();
    let cancelled = validated(&harness, &record.tender, Some(record.archived_at_ms));
    assert_eq!(tags(&cancelled), ["tender", "tenderCancellation"]);
    assert_eq!(
        cancelled["records"][0]["compiledRelease"]["tender"]["status"],
        "cancelled"
    );
    assert!(
        cancelled["records"][0]["compiledRelease"]["tender"]
            .get("mainProcurementCategory")
            .is_none()
    );
}

#[test]
fn the_validator_refuses_what_the_schemas_refuse() {
    // The check is only as good as the validator: a release without its ocid, a date that is
    // no date-time and a currency off the list are each refused.
    let harness = {
        let mut harness = harness_in_2026(SEP_15_09H, 1);
        publish(&mut harness, Market::Procurement, SEP_15_09H + 2 * 60 * 60 * 1000);
        harness
    };
    let tender = harness.ledger.state().tenders.values().next().unwrap();
    let package = record_package(harness.ledger.state(), tender, &PUBLISHER, None);
    assert!(errors("record-package-schema.json", &package).is_empty());
    let broken = |change: &dyn Fn(&mut Value)| {
        let mut package = package.clone();
        change(&mut package);
        errors("record-package-schema.json", &package)
    };
    assert!(
        !broken(&|package| {
            package["records"][0]["compiledRelease"]
                .as_object_mut()
                .unwrap()
                .remove("ocid");
        })
        .is_empty()
    );
    assert!(!broken(&|package| package["publishedDate"] = json!("7 September")).is_empty());
    assert!(
        !broken(&|package| {
            package["records"][0]["releases"][0]["tender"]["value"] = json!({"amount": 1, "currency": "RMB"});
        })
        .is_empty()
    );
}

#[test]
fn a_tender_id_names_its_number_which_pages_the_releases() {
    assert_eq!(TenderId::numbered(42).number(), Some(42));
    assert_eq!(TenderId::numbered(1_234_567).number(), Some(1_234_567));
    for other in ["T-", "T-12a", "X-000001", "t-000001", "T--1"] {
        assert_eq!(TenderId::parse(other).unwrap().number(), None, "{other}");
    }
}
