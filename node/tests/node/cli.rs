//! A procurement tender driven by the `sealbid` CLI as each participant would run it on their
//! own machine: keys, roles, registration, the committee's encryption keys, publication, the
//! key generation, sealing, bids with receipts, a replacement, the deadline, close, share
//! release, opening, the candidates' publicity (the award refused while it runs) and a query on
//! the result answered, receipts checked against signed checkpoints, the log fetched and
//! verified; and the CLI's refusals (out-of-order committee steps, a wrong key, a bad argument),
//! each with a message and a non-zero exit.

use std::path::{Path, PathBuf};
use std::process::Command;

use sealbid_crypto::identity::PublicKey;
use sealbid_ledger::command::{Action, LotSpec, TenderSpec};
use sealbid_ledger::types::{LotId, Market, TenderId};
use sealbid_testkit::bidder;

use crate::support::{Platform, now_ms};

/// Runs `sealbid` with `arguments` plus the platform's API and authority.
fn invoke(platform: &Platform, authority: &Path, arguments: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sealbid"))
        .args(arguments)
        .args(["--api", &platform.base, "--authority", &authority.display().to_string()])
        .output()
        .unwrap()
}

/// Runs `sealbid` with `arguments` plus the platform's API and authority; standard output.
pub(crate) fn sealbid(platform: &Platform, authority: &Path, arguments: &[&str]) -> String {
    let output = invoke(platform, authority, arguments);
    assert!(
        output.status.success(),
        "sealbid {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `sealbid` with `arguments` plus the platform's API and authority, expecting a refusal;
/// its standard error.
pub(crate) fn refused(platform: &Platform, authority: &Path, arguments: &[&str]) -> String {
    let output = invoke(platform, authority, arguments);
    assert!(!output.status.success(), "sealbid {arguments:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

/// Makes an identity key with `sealbid key new` at `path`; its public key's text.
pub(crate) fn new_key(path: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_sealbid"))
        .args(["key", "new", "--out", path])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Owned arguments as the `&str`s `run` and `refused` take.
pub(crate) fn arguments(owned: &[String]) -> Vec<&str> {
    owned.iter().map(String::as_str).collect()
}

fn path_text(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_procurement_tender_through_the_cli() {
    let platform = Platform::start().await;
    let application = platform.application.as_ref().unwrap();
    let authority = application.data_dir.authority.clone();
    let operator_key = path_text(&application.data_dir.operator_key_path);
    let folder = tempfile::tempdir().unwrap();
    let file = |name: &str| -> PathBuf { folder.path().join(name) };
    let run = |arguments: &[&str]| sealbid(&platform, &authority, arguments);

    // The office makes its key; the operator grants it the office role.
    let office_key = path_text(&file("office.pk8"));
    let office = new_key(&office_key);
    let grant = |actor: &str, role: &str, name: &str| {
        run(&[
            "operator",
            "grant",
            "--key",
            &operator_key,
            "--actor",
            actor,
            "--role",
            role,
            "--name",
            name,
        ])
    };
    grant(&office, "office", "City office");
    let supervisor_key = path_text(&file("supervisor.pk8"));
    let supervisor = new_key(&supervisor_key);
    grant(&supervisor, "supervisor", "Finance bureau");

    // The operator publishes 2026's official calendar as the repository ships it, once.
    let calendar = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/calendars/2026.json");
    run(&["operator", "calendar", "--key", &operator_key, "--file", calendar]);
    let (_, _, calendars) = platform.get("/v1/calendars").await;
    assert_eq!(calendars["2026"]["working_days"][1], "2026-02-14", "{calendars}");
    let refusal = refused(
        &platform,
        &authority,
        &["operator", "calendar", "--key", &operator_key, "--file", calendar],
    );
    assert!(refusal.contains("calendar-published"), "{refusal}");

    // Three committee members make identity and encryption keys; the operator grants them the
    // role; each registers its encryption key.
    let mut members = Vec::new();
    for member in 1..=3 {
        let identity = path_text(&file(&format!("member-{member}.pk8")));
        let encryption = path_text(&file(&format!("member-{member}.enc")));
        let public = new_key(&identity);
        grant(&public, "committee_member", &format!("Member {member}"));
        run(&["committee", "keygen", "--out", &encryption]);
        run(&[
            "committee",
            "register",
            "--key",
            &identity,
            "--encryption-key",
            &encryption,
        ]);
        members.push((identity, encryption, PublicKey::parse(&public).unwrap()));
    }
    let refused = |arguments: &[&str]| refused(&platform, &authority, arguments);

    // The operator grants the trading centre's registrar its role.
    let registrar_key = path_text(&file("registrar.pk8"));
    let registrar = new_key(&registrar_key);
    grant(&registrar, "registrar", "Registration desk");

    // Three bidders make keys and apply; a squatter applies first with bidder 0's credit code.
    // Applying holds nothing: the registrar, checking the documents, rejects the squatter and
    // approves the three.
    let register = |key: &str, organisation: &str, credit_code: &str| {
        run(&[
            "bidder",
            "register",
            "--key",
            key,
            "--organisation",
            organisation,
            "--credit-code",
            credit_code,
        ])
    };
    let code = |index: u64| {
        let Action::RegisterBidder { credit_code, .. } = bidder(500 + index).unwrap().1 else {
            panic!()
        };
        credit_code
    };
    let squatter_key = path_text(&file("squatter.pk8"));
    let squatter = new_key(&squatter_key);
    register(&squatter_key, "Bidder 0 Co., Ltd.", &code(0));
    let mut bidders = Vec::new();
    for index in 0..3u64 {
        let key = path_text(&file(&format!("bidder-{index}.pk8")));
        let public = new_key(&key);
        register(&key, &format!("Bidder {index} Co., Ltd."), &code(index));
        bidders.push((key, public));
    }
    let approve = |signer: &str, applicant: &str| {
        ["registrar", "approve", "--key", signer, "--bidder", applicant].map(str::to_string)
    };
    let message = refused(&arguments(&approve(&office_key, &bidders[0].1)));
    assert!(message.contains("403 missing-role"), "{message}");
    run(&[
        "registrar",
        "reject",
        "--key",
        &registrar_key,
        "--bidder",
        &squatter,
        "--reason",
        "the business licence names another legal representative",
    ]);
    let message = refused(&arguments(&approve(&registrar_key, &squatter)));
    assert!(message.contains("409 wrong-registration-status"), "{message}");
    for (_, public) in &bidders {
        run(&arguments(&approve(&registrar_key, public)));
    }

    // The office publishes from a JSON specification.
    let spec = TenderSpec {
        title: "Street lighting maintenance".into(),
        market: Market::Procurement,
        lots: vec![LotSpec {
            id: LotId::parse("1").unwrap(),
            title: "District 1".into(),
            quantity_tonnes: None,
            lot_size_tonnes_min: None,
            ceiling_price_fen: None,
        }],
        deadline_ms: now_ms() + 10 * 60 * 1000,
        notice_period_ms: 1_000,
        valid_bids_min: 3,
        committee: members.iter().map(|(_, _, public)| *public).collect(),
        threshold: 2,
        bid_validity_days: None,
    };
    std::fs::write(file("spec.json"), serde_json::to_string(&spec).unwrap()).unwrap();
    let spec_path = path_text(&file("spec.json"));
    let published = run(&[
        "office",
        "tender",
        "publish",
        "--key",
        &office_key,
        "--spec",
        &spec_path,
        "--json",
    ]);
    let receipt: serde_json::Value = serde_json::from_str(&published).unwrap();
    let tender = TenderId::parse(receipt["response"]["tender_published"]["tender"].as_str().unwrap()).unwrap();
    let tender_text = tender.to_string();

    // The committee generates the opening key. Responding before every member dealt, and with
    // another member's encryption key, is refused by the CLI before anything is sent.
    let member = |index: usize| (members[index].0.as_str(), members[index].1.as_str());
    let deal = |index: usize| {
        run(&[
            "committee",
            "dkg",
            "deal",
            "--key",
            member(index).0,
            "--tender",
            &tender_text,
        ])
    };
    let respond_arguments = |identity: &str, encryption: &str| {
        [
            "committee",
            "dkg",
            "respond",
            "--key",
            identity,
            "--encryption-key",
            encryption,
            "--tender",
            &tender_text,
        ]
        .map(str::to_string)
    };
    deal(0);
    let early = respond_arguments(member(0).0, member(0).1);
    let message = refused(&arguments(&early));
    assert!(message.contains("still in its dealing round"), "{message}");
    deal(1);
    deal(2);
    let message = refused(&[
        "committee",
        "dkg",
        "deal",
        "--key",
        member(0).0,
        "--tender",
        &tender_text,
    ]);
    assert!(message.contains("dealing round is over"), "{message}");
    let swapped = respond_arguments(member(0).0, member(1).1);
    let message = refused(&swapped.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(message.contains("not the one member 1 registered"), "{message}");
    let message = refused(&[
        "committee",
        "dkg",
        "deal",
        "--key",
        &office_key,
        "--tender",
        &tender_text,
    ]);
    assert!(message.contains("is not on tender"), "{message}");
    for index in 0..3 {
        let arguments = respond_arguments(member(index).0, member(index).1);
        run(&arguments.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let status = run(&["committee", "dkg", "status", "--tender", &tender_text, "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(
        (status["dealt"].as_u64(), status["responded"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(status["opening_key"].is_string(), "{status}");
    let release = |index: usize| {
        [
            "committee",
            "release-share",
            "--key",
            member(index).0,
            "--encryption-key",
            member(index).1,
            "--tender",
            &tender_text,
        ]
    };
    // Before the close the ledger refuses a share, and the CLI says so.
    let message = refused(&release(0));
    assert!(message.contains("close"), "{message}");

    // Each bidder seals on its own machine and submits, keeping the receipt; bidder 2 then
    // replaces its offer with a lower one.
    // Seals `price` with `key` on this machine, checks the envelope hides it, sends it with
    // `verb` (submit or replace); the receipt's file.
    let bid = |verb: &str, key: &str, price: &str, name: &str| {
        let envelope = path_text(&file(&format!("envelope-{name}.json")));
        let lot = ["--key", key, "--tender", &tender_text, "--lot", "1"];
        run(&[
            &["bidder", "seal"][..],
            &lot,
            &["--price-fen", price, "--out", &envelope],
        ]
        .concat());
        let sealed = std::fs::read_to_string(&envelope).unwrap();
        assert!(!sealed.contains(price), "the envelope does not show the price");
        let receipt = path_text(&file(&format!("receipt-{name}.json")));
        run(&[
            &["bidder", verb][..],
            &lot,
            &["--envelope", &envelope, "--receipt", &receipt],
        ]
        .concat());
        receipt
    };
    let mut receipts = Vec::new();
    for (index, ((key, _), price)) in bidders.iter().zip(["90000", "80000", "85000"]).enumerate() {
        receipts.push(bid("submit", key, price, &index.to_string()));
    }
    // Not 70,000: 70,000, 80,000 and 90,000 from one address are a price pattern and a shared
    // address at once, whose red warning would hold the award for a supervisor.
    receipts.push(bid("replace", &bidders[2].0, "72000", "2b"));

    // The office ends bidding, closes, and after two shares opens.
    let deadline_ms = now_ms() + 3_000;
    run(&[
        "office",
        "tender",
        "amend",
        "--key",
        &office_key,
        "--tender",
        &tender_text,
        "--notice",
        "closing",
        "--deadline-ms",
        &deadline_ms.to_string(),
    ]);
    tokio::time::sleep(std::time::Duration::from_millis(
        deadline_ms.saturating_sub(now_ms()) + 100,
    ))
    .await;
    run(&[
        "office",
        "tender",
        "close",
        "--key",
        &office_key,
        "--tender",
        &tender_text,
    ]);
    for index in 0..2 {
        run(&release(index));
    }
    run(&[
        "office",
        "tender",
        "open",
        "--key",
        &office_key,
        "--tender",
        &tender_text,
    ]);
    // The office publishes the ranked candidates (on test calendars for the years 2026's does
    // not cover); the award waits for the publicity and the queries' window, and the CLI
    // says so.
    crate::tender::publish_test_calendars(&platform).await;
    let office_acts = |verb: &str| {
        [
            "office",
            "tender",
            verb,
            "--key",
            &office_key,
            "--tender",
            &tender_text,
            "--json",
        ]
        .map(str::to_owned)
    };
    let published = run(&arguments(&office_acts("publish-candidates")));
    let published: serde_json::Value = serde_json::from_str(&published).unwrap();
    assert!(
        published["response"]["candidates_published"]["award_from_ms"].as_u64() > Some(now_ms()),
        "{published}"
    );
    let (_, _, view) = platform.get(&format!("/v1/tenders/{tender_text}")).await;
    let first = &view["tender"]["publicity"]["lots"]["1"]["candidates"][0];
    assert_eq!(
        (first["rank"].as_u64(), first["bidder"].as_str()),
        (Some(1), Some(bidders[2].1.as_str())),
        "the lowest offer (the replacement) ranks first: {view}"
    );
    let message = refused(&arguments(&office_acts("award")));
    assert!(message.contains("publicity-running"), "{message}");
    // Bidder 0 queries the result; the office answers it, once.
    let objected = run(&[
        "bidder",
        "object",
        "--key",
        &bidders[0].0,
        "--tender",
        &tender_text,
        "--matter",
        "evaluation",
        "--text",
        "The winning price is abnormally low",
        "--json",
    ]);
    let objected: serde_json::Value = serde_json::from_str(&objected).unwrap();
    let objection = objected["response"]["objection_filed"]["objection"]
        .as_str()
        .unwrap_or_else(|| panic!("{objected}"))
        .to_owned();
    let answer = [
        "office",
        "tender",
        "answer",
        "--key",
        &office_key,
        "--tender",
        &tender_text,
        "--objection",
        &objection,
        "--answer",
        "The price was checked against the cost estimate",
    ];
    run(&answer);
    let message = refused(&answer);
    assert!(message.contains("objection-answered"), "{message}");
    // Not satisfied, bidder 0 complains to the supervisors after its query; bidder 1, who
    // did not query, is refused. The supervisor accepts the complaint and dismisses it.
    let complain = |key: &str| {
        [
            "bidder",
            "complain",
            "--key",
            key,
            "--tender",
            &tender_text,
            "--matter",
            "evaluation",
            "--objection",
            &objection,
            "--text",
            "The answer does not show the cost estimate",
            "--json",
        ]
        .map(str::to_owned)
    };
    let message = refused(&arguments(&complain(&bidders[1].0)));
    assert!(message.contains("409 objection-required"), "{message}");
    let complained = run(&arguments(&complain(&bidders[0].0)));
    let complained: serde_json::Value = serde_json::from_str(&complained).unwrap();
    let complaint = complained["response"]["complaint_filed"]["complaint"]
        .as_str()
        .unwrap_or_else(|| panic!("{complained}"))
        .to_owned();
    let supervise = |verb: &str, flag: &str, value: &str| {
        run(&[
            "supervisor",
            verb,
            "--key",
            &supervisor_key,
            "--tender",
            &tender_text,
            "--complaint",
            &complaint,
            flag,
            value,
            "--text",
            "Checked against the evaluation report",
            "--json",
        ])
    };
    supervise("review-complaint", "--review", "accepted");
    let decided = supervise("decide-complaint", "--decision", "dismissed");
    let decided: serde_json::Value = serde_json::from_str(&decided).unwrap();
    let entry: sealbid_ledger::command::Entry = serde_json::from_str(decided["entry"].as_str().unwrap()).unwrap();
    // The month's performance report counts the decision, in time, for the supervisors.
    let month = sealbid_ledger::performance::Month::of_timestamp(entry.timestamp_ms).to_string();
    let report = run(&["supervisor", "report", "--month", &month, "--csv"]);
    let mut lines = report.lines();
    assert_eq!(
        lines.next(),
        Some("kind,month,actor,name,step,count,on_time,overdue,taken_ms,allowed_ms,tender,case,due_ms,late_by_ms"),
        "{report}"
    );
    let decision_row = lines
        .find(|line| line.starts_with(&format!("tally,{month},supervisors,,complaint_decision,1,1,0,")))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(decision_row.ends_with(",,,,"), "{decision_row}");
    let text = run(&["supervisor", "report", "--month", &month]);
    assert!(
        text.starts_with(&format!("Performance evaluation {month} (as of ")),
        "{text}"
    );
    assert!(text.contains("complaint_decision"), "{text}");
    let message = refused(&["supervisor", "report", "--month", "2026-13"]);
    assert!(message.contains("a month looks like 2026-11"), "{message}");
    for query in ["?month=11-2026", "?month=2026-11&extra=1", ""] {
        let (status, _, problem) = platform.get(&format!("/v1/performance{query}")).await;
        assert_eq!(status.as_u16(), 400, "{query}: {problem}");
    }
    let (_, _, problem) = platform.get("/v1/performance?month=2026-00").await;
    assert_eq!(problem["type"], "urn:sealbid:problem:malformed-month", "{problem}");
    // The information service's OCDS output, exported to files: one release package and the
    // tender's record; past the last tender the API says there is none.
    let export = folder.path().join("ocds");
    let printed = run(&["ocds", "export", "--out", &path_text(&export)]);
    assert!(
        printed.contains("wrote 1 release package(s) and 1 record package(s)"),
        "{printed}"
    );
    let releases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(export.join("releases-0001.json")).unwrap()).unwrap();
    let tags: Vec<&str> = releases["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|release| release["tag"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        tags,
        ["tender", "tenderAmendment", "tenderUpdate", "award"],
        "{releases}"
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(export.join("records").join(format!("{tender_text}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(record["records"][0]["ocid"], format!("ocds-sealbid-{tender_text}"));
    let (status, _, problem) = platform.get("/v1/ocds/releases?from=2").await;
    assert_eq!(
        (status.as_u16(), problem["code"].as_str()),
        (404, Some("no-tenders")),
        "{problem}"
    );
    let (_, _, view) = platform.get(&format!("/v1/tenders/{tender_text}")).await;
    let held = &view["tender"]["complaints"][0];
    assert_eq!(
        (held["review"]["outcome"].clone(), held["decision"]["outcome"].clone()),
        (
            serde_json::json!({"accepted": {"suspend": false}}),
            serde_json::json!("dismissed")
        ),
        "{view}"
    );

    // Every bidder checks its receipts against the log's signed checkpoints; a supervisor
    // fetches and verifies the whole log.
    let log_key = path_text(&application.data_dir.root.join("log.pub"));
    let mut verify = vec!["bidder", "receipts", "verify", "--log-key", &log_key];
    verify.extend(receipts.iter().map(String::as_str));
    let checked = run(&verify);
    assert_eq!(
        checked.lines().filter(|line| line.ends_with("extends")).count(),
        4,
        "{checked}"
    );
    // A receipt for another entry than the one its proof is for (both leaf hashes changed
    // together) fails on the inclusion proof, naming the entry.
    let forged = path_text(&file("forged.json"));
    let mut saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&receipts[0]).unwrap()).unwrap();
    let other_leaf = saved["log"]["inclusion_proof"][0].clone();
    saved["command"]["leaf_hash"] = other_leaf.clone();
    saved["log"]["leaf_hash"] = other_leaf;
    std::fs::write(&forged, saved.to_string()).unwrap();
    let message = refused(&["bidder", "receipts", "verify", "--log-key", &log_key, &forged]);
    assert!(
        message.contains("receipt for audit entry") && message.contains("inclusion proof"),
        "{message}"
    );
    let forged_check = invoke(
        &platform,
        &authority,
        &["bidder", "receipts", "verify", "--log-key", &log_key, &forged, "--json"],
    );
    let error = json_error(&String::from_utf8(forged_check.stderr).unwrap());
    assert_eq!(forged_check.status.code(), Some(5), "verification failed: {error}");
    assert_eq!(error["class"], "verification_failed", "{error}");
    // Checked under a key that is not the log's, a genuine receipt is refused: the node's
    // checkpoint is not signed by it.
    let log_name = std::fs::read_to_string(&log_key).unwrap();
    let log_name = log_name.split('+').next().unwrap();
    let stranger = ring::rand::SystemRandom::new();
    let stranger = sealbid_crypto::identity::IdentityKeyPair::generate(&stranger)
        .unwrap()
        .0;
    let stranger = sealbid_crypto::note::NoteVerifier::new(log_name, stranger.public_key()).unwrap();
    let stranger_key = path_text(&file("stranger.pub"));
    std::fs::write(&stranger_key, format!("{stranger}\n")).unwrap();
    let message = refused(&["bidder", "receipts", "verify", "--log-key", &stranger_key, &receipts[0]]);
    assert!(message.contains("checkpoint"), "{message}");
    let log = path_text(&file("audit.jsonl"));
    run(&["audit", "fetch", "--out", &log]);
    // `audit verify` reads only the file and the key: it takes no --api.
    let verified = Command::new(env!("CARGO_BIN_EXE_sealbid"))
        .args(["audit", "verify", &log, "--log-key", &log_key])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // A command with a bad argument is refused before anything is sent, as a usage error.
    let bad_argument = invoke(
        &platform,
        &authority,
        &[
            "office",
            "tender",
            "close",
            "--key",
            &office_key,
            "--tender",
            "not a tender",
        ],
    );
    let message = String::from_utf8(bad_argument.stderr).unwrap();
    assert!(message.contains("not a tender"), "{message}");
    assert_eq!(bad_argument.status.code(), Some(2), "a usage error: {message}");
    platform.stop().await;
}

/// Runs `sealbid` with exactly `arguments` in `folder`, with `environment` set and no
/// `SEALBID_` variable inherited; its exit code, standard output and standard error.
fn exit_of(folder: &Path, arguments: &[&str], environment: &[(&str, &str)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sealbid"));
    command.args(arguments).current_dir(folder);
    for name in ["SEALBID_API", "SEALBID_AUTHORITY", "SEALBID_KEY", "SEALBID_DEBUG"] {
        command.env_remove(name);
    }
    command.env("RUST_BACKTRACE", "1");
    for (name, value) in environment {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The `{"error": …}` object `--json` prints on standard error.
fn json_error(stderr: &str) -> serde_json::Value {
    let value: serde_json::Value =
        serde_json::from_str(stderr.trim()).unwrap_or_else(|error| panic!("{error}: {stderr}"));
    value["error"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_has_its_exit_code_sentence_and_json() {
    let platform = Platform::start().await;
    let application = platform.application.as_ref().unwrap();
    let authority = path_text(&application.data_dir.authority);
    let operator_key = path_text(&application.data_dir.operator_key_path);
    let folder = tempfile::tempdir().unwrap();
    let here = folder.path();
    let audit_size = || async { platform.get("/v1/audit/head").await.2["size"].as_u64().unwrap() };
    // The defaults come from the environment: no --api, --authority or --key below.
    let environment = [
        ("SEALBID_API", platform.base.as_str()),
        ("SEALBID_AUTHORITY", authority.as_str()),
        ("SEALBID_KEY", operator_key.as_str()),
    ];
    let (code, office, _) = exit_of(here, &["key", "new", "--out", "office.pk8"], &[]);
    assert_eq!(code, 0);
    let office = office.trim().to_owned();
    let grant = [
        "operator",
        "grant",
        "--actor",
        &office,
        "--role",
        "office",
        "--name",
        "City office",
    ];
    let before = audit_size().await;

    // Usage (2): a command line that does not parse, and a plain http:// address, refused before
    // anything is signed or sent.
    let (code, _, stderr) = exit_of(here, &["tender", "lst"], &environment);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unrecognized subcommand 'lst'"), "{stderr}");
    let (code, _, stderr) = exit_of(here, &["tender", "lst", "--json"], &environment);
    let error = json_error(&stderr);
    assert_eq!(
        (code, &error["class"], &error["exit_code"]),
        (2, &"usage".into(), &2.into()),
        "{error}"
    );
    let http = platform.base.replace("https://", "http://");
    let mut arguments = grant.to_vec();
    arguments.extend(["--api", &http]);
    let (code, _, stderr) = exit_of(here, &arguments, &environment);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.starts_with("error: the API address \"http://") && stderr.contains("nothing was signed or sent"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nhint: give the node's API as https://host:port"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("stack backtrace") && !stderr.contains("Stack backtrace"),
        "{stderr}"
    );

    // Refused (3): the office's key may not grant roles; nothing changes.
    let mut arguments = grant.to_vec();
    arguments.extend(["--key", "office.pk8"]);
    let (code, _, stderr) = exit_of(here, &arguments, &environment);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.starts_with("error: the platform refused it (403 missing-role): "),
        "{stderr}"
    );
    assert!(stderr.contains("\nhint: check --key"), "{stderr}");
    arguments.push("--json");
    let (code, stdout, stderr) = exit_of(here, &arguments, &environment);
    let error = json_error(&stderr);
    assert_eq!((code, stdout.as_str()), (3, ""), "{stderr}");
    assert_eq!(error["class"], "refused", "{error}");
    assert_eq!(error["problem"]["code"], "missing-role", "{error}");
    assert_eq!(error["problem"]["status"], 403, "{error}");
    assert_eq!(audit_size().await, before, "nothing refused entered the log");

    // Unreachable (4): no node at the address. The signed command is saved here, named in the
    // hint; resent to the node, it is applied once, and resent again it gets its first receipt.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("https://{}", closed.local_addr().unwrap());
    drop(closed);
    let mut arguments = grant.to_vec();
    arguments.extend(["--api", &nowhere, "--json"]);
    let (code, _, stderr) = exit_of(here, &arguments, &environment);
    let error = json_error(&stderr);
    assert_eq!((code, &error["class"]), (4, &"unreachable".into()), "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot connect to https://127.0.0.1:"),
        "{error}"
    );
    let hint = error["hint"].as_str().unwrap();
    let saved = hint
        .split_whitespace()
        .find(|word| word.starts_with("sealbid-unsent-"))
        .unwrap_or_else(|| panic!("the hint names the saved command: {hint}"))
        .trim_end_matches(['`', ':', ')', ','])
        .to_owned();
    assert!(here.join(&saved).exists(), "{saved}");
    assert_eq!(audit_size().await, before);
    // Resent to no node again, the saved file is named again, and no other is written.
    let (code, _, stderr) = exit_of(here, &["resend", &saved, "--api", &nowhere, "--json"], &environment);
    let error = json_error(&stderr);
    assert_eq!(code, 4, "{error}");
    assert!(
        error["hint"]
            .as_str()
            .unwrap()
            .contains(&format!("`sealbid resend {saved}`")),
        "{error}"
    );
    let unsent = std::fs::read_dir(here)
        .unwrap()
        .filter(|file| {
            file.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("sealbid-unsent-")
        })
        .count();
    assert_eq!(unsent, 1);
    let (code, applied, stderr) = exit_of(here, &["resend", &saved], &environment);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        applied.trim(),
        format!("Role office granted to City office ({office}) (audit entry {before})")
    );
    let (code, again, stderr) = exit_of(here, &["resend", &saved], &environment);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        again.trim(),
        format!(
            "Role office granted to City office ({office}); it had been applied before, as audit entry {before}: this is its original receipt"
        )
    );
    assert_eq!(audit_size().await, before + 1, "resent, the command is applied once");

    // --save-command writes the command before sending it, and never over another file.
    let mut arguments = vec![
        "operator",
        "calendar",
        "--file",
        "missing.json",
        "--save-command",
        &saved,
    ];
    let (code, _, stderr) = exit_of(here, &arguments, &environment);
    assert_eq!(code, 1, "a file that cannot be read: {stderr}");
    assert!(stderr.starts_with("error: missing.json: "), "{stderr}");
    let calendar = concat!(env!("CARGO_MANIFEST_DIR"), "/../ops/calendars/2026.json");
    arguments[3] = calendar;
    let (code, _, stderr) = exit_of(here, &arguments, &environment);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("never overwrites"), "{stderr}");
    assert_eq!(
        audit_size().await,
        before + 1,
        "a command that could not be saved is not sent"
    );
    arguments[5] = "calendar-command.json";
    let (code, published, stderr) = exit_of(here, &arguments, &environment);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        published.starts_with("The official calendar of 2026 published"),
        "{published}"
    );
    let saved_body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(here.join("calendar-command.json")).unwrap()).unwrap();
    assert!(
        saved_body["payload"].as_str().unwrap().contains("publish_calendar"),
        "{saved_body}"
    );

    // Failed (1): a key file is never overwritten.
    let (code, _, stderr) = exit_of(here, &["key", "new", "--out", "office.pk8", "--json"], &[]);
    let error = json_error(&stderr);
    assert_eq!((code, &error["class"]), (1, &"failed".into()), "{error}");

    // Usage (2) too: a trust anchor that cannot be read.
    let (code, _, stderr) = exit_of(
        here,
        &["tender", "list", "--authority", "/nonexistent/authority.pem"],
        &environment,
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--authority or SEALBID_AUTHORITY"), "{stderr}");
    platform.stop().await;
}
