//! The portal's public pages in a real browser: Debian's `chromium`, driven over WebDriver by
//! its `chromedriver` (a process started here, on a free loopback port, and killed at the end).
//! Two awarded tenders are listed, a tender's page shows its timeline, opening record and
//! results in yuan and China Standard Time, the language switches between Chinese and English,
//! and the page loads nothing from anywhere but the node. Screenshots of each step are written
//! to the test's target folder (`portal-screenshots/`).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::StatusCode;
use sealbid_ledger::command::Action;
use sealbid_ledger::events::Response;
use sealbid_ledger::types::Market;
use serde_json::{Value, json};

use crate::support::Platform;

/// A chromedriver process and a browser session through it.
pub struct Browser {
    /// The chromedriver process (its own process group, killed on drop with the browser).
    driver: Child,
    /// The session.
    pub client: Client,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = self.driver.id();
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -KILL -{group}")])
            .status();
        let _ = self.driver.wait();
    }
}

/// The base64 SHA-256 of the public key (SubjectPublicKeyInfo) of the certificate `platform`'s
/// node presents.
fn node_key_hash(platform: &Platform) -> String {
    let folder = platform.folder().expect("an in-process platform");
    let key = std::fs::read_to_string(folder.join("data").join("tls").join("node.key")).unwrap();
    let public_key = rcgen::PublicKeyData::subject_public_key_info(&rcgen::KeyPair::from_pem(&key).unwrap());
    base64::engine::general_purpose::STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &public_key))
}

/// A headless chromium for `platform`'s node. Its certificate comes from the node's own
/// authority, which the browser's store does not hold, so the browser is told that key (only
/// that key) is the node's: any other certificate error still stops the page.
pub async fn browser(platform: &Platform) -> Browser {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let program = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let driver = Command::new(&program)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|error| panic!("{program} does not start ({error}): install chromium and chromium-driver"));
    let pinned = format!("--ignore-certificate-errors-spki-list={}", node_key_hash(platform));
    let capabilities = json!({
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400", pinned]
        }
    });
    let capabilities = capabilities.as_object().unwrap().clone();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut attempts = 0;
    let client = loop {
        match ClientBuilder::new(connector.clone())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => break client,
            // chromedriver takes a moment to listen.
            Err(error) if attempts < 100 => {
                attempts += 1;
                let _ = error;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("no WebDriver session: {error}"),
        }
    };
    Browser { driver, client }
}

/// Waits (at most `seconds`) for `css` to be on the page.
pub async fn wait_for(client: &Client, css: &str, seconds: u64) {
    client
        .wait()
        .at_most(Duration::from_secs(seconds))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} never showed: {error}"));
}

/// The folder the screenshots go to.
pub fn screenshots() -> PathBuf {
    let folder = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("portal-screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Opens `url` and waits (at most 30 s) until the page has shown what its address names.
pub async fn open(client: &Client, url: &str, ready: &str) {
    client.goto(url).await.unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(&format!("main[data-ready=\"{ready}\"]")))
        .await
        .unwrap_or_else(|error| panic!("{url} did not show {ready}: {error}"));
}

/// The text of the element `css` selects.
pub async fn text_of(client: &Client, css: &str) -> String {
    client.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

/// Writes a screenshot of the page as `name`.png.
pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

/// The attribute `name` of the element `css` selects, if it has one.
pub async fn attribute_of(client: &Client, css: &str, name: &str) -> Option<String> {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"))
        .attr(name)
        .await
        .unwrap()
}

/// Clicks the element `css` selects.
pub async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("no {css}: {error}"))
        .click()
        .await
        .unwrap();
}

/// Asserts that nothing the pages loaded came from anywhere but the node; then ends the
/// session, the browser and the platform.
pub async fn finish(browser: Browser, platform: Platform) {
    for name in loaded(&browser.client).await {
        assert!(name.starts_with(&platform.base), "the page loaded {name}");
    }
    browser.client.clone().close().await.unwrap();
    drop(browser);
    platform.stop().await;
}

/// Every resource the page loaded, and the page itself.
pub async fn loaded(client: &Client) -> Vec<String> {
    let names = client
        .execute(
            "return [location.href].concat(performance.getEntriesByType('resource').map(entry => entry.name));",
            Vec::new(),
        )
        .await
        .unwrap();
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap().to_owned())
        .collect()
}

/// Publishes `count` one-lot tenders and cancels each at once (a cast of its own, label 8).
async fn cancelled_tenders(platform: &Platform, count: u64) {
    let cast = crate::tender::cast(platform, 8, 0).await;
    for _ in 0..count {
        let deadline_ms = crate::support::now_ms() + crate::tender::BIDDING_MS;
        let spec = crate::tender::spec(&cast, Market::Procurement, crate::tender::lot("1"), deadline_ms);
        let receipt = crate::tender::run(platform, &cast.office, Action::PublishTender(spec)).await;
        let Response::TenderPublished { tender } = crate::tender::response(&receipt) else {
            panic!("{receipt}")
        };
        let cancel = Action::CancelTender {
            tender,
            reason: "项目资金未落实".into(),
        };
        crate::tender::run(platform, &cast.office, cancel).await;
    }
}

/// Holds back the page's reads of T-000002 by three seconds (a timer in the page, longer than
/// the home page takes), marks the body once the first is asked for, and asks for T-000002's
/// page.
const SLOW_TENDER: &str = r##"
window.originalFetch = window.fetch;
window.fetch = (resource, ...rest) => {
  if (!String(resource).includes("/v1/tenders/T-000002")) return window.originalFetch(resource, ...rest);
  document.body.dataset.tenderAsked = "yes";
  return new Promise((resolve) => setTimeout(resolve, 3000)).then(() => window.originalFetch(resource, ...rest));
};
location.hash = "#/tender/T-000002";
"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_portal_shows_tenders_and_results_in_a_browser() {
    let platform = Platform::start().await;
    // T-000001, a land-use right, and T-000002, a coal sale, both awarded.
    crate::tender::land_use_and_coal(&platform, 7).await;

    // The files and their policy, over HTTPS: nothing but the node's own.
    let page = platform.http.get(format!("{}/", platform.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.starts_with("default-src 'none'; script-src 'self'"), "{policy}");
    for file in ["portal.js", "wire.js", "reasons.js", "desks.js", "portal.css"] {
        let (status, _) = platform.get_text(&format!("/portal/{file}")).await;
        assert_eq!(status, StatusCode::OK, "{file}");
    }
    let (status, _, problem) = platform.get("/portal/nothing.js").await;
    assert_eq!(
        (status, &problem["code"]),
        (StatusCode::NOT_FOUND, &Value::from("not-found"))
    );

    let browser = browser(&platform).await;
    let client = &browser.client;
    let home = format!("{}/", platform.base);

    // The home page, in Chinese: both tenders among the finished ones, by market and status.
    open(client, &home, "#/").await;
    let coal = text_of(client, "#final-tenders tr[data-tender=\"T-000002\"]").await;
    assert!(coal.contains("煤炭焦炭交易") && coal.contains("已定标"), "{coal}");
    assert!(coal.contains("北京时间"), "{coal}");
    let land = text_of(client, "#final-tenders tr[data-tender=\"T-000001\"]").await;
    assert!(land.contains("土地使用权出让"), "{land}");
    assert!(text_of(client, "#notices").await.contains("中标结果公告"));
    screenshot(client, "1-home-zh").await;

    // The coal sale's page: its opening record and results in yuan, its timeline.
    open(client, &format!("{home}#/tender/T-000002"), "#/tender/T-000002").await;
    let opening = text_of(client, "#opening").await;
    for price in ["¥950.00", "¥920.00", "¥900.00", "¥880.00"] {
        assert!(opening.contains(price), "{price} in {opening}");
    }
    let results = text_of(client, "#results").await;
    // 300 t at ¥950, 500 t at ¥920 and 200 t at ¥900.
    for paid in ["¥285,000.00", "¥460,000.00", "¥180,000.00"] {
        assert!(results.contains(paid), "{paid} in {results}");
    }
    let timeline = text_of(client, "#timeline").await;
    for kind in ["招标公告", "开标记录", "中标结果公告"] {
        assert!(timeline.contains(kind), "{kind} in {timeline}");
    }
    assert_eq!(text_of(client, "#phase").await, "已定标");
    screenshot(client, "2-tender-zh").await;

    // In English.
    click(client, "#lang-en").await;
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//dd[@id='phase' and text()='Awarded']"))
        .await
        .unwrap();
    assert!(text_of(client, "#timeline").await.contains("Opening record"));
    assert!(text_of(client, "#results").await.contains("285,000.00"));
    screenshot(client, "3-tender-en").await;

    // Finished tenders a page at a time: from T-000002 on, only it; two finished tenders fit on
    // the home page's first page, so neither page links to more.
    open(client, &format!("{home}#/final/2"), "#/final/2").await;
    let page = text_of(client, "#final-tenders").await;
    assert!(page.contains("T-000002") && !page.contains("T-000001"), "{page}");
    assert!(client.find_all(Locator::Id("more-final")).await.unwrap().is_empty());

    // A page asked for while another still loads replaces it: the tender page asked for first,
    // whose read the page is made to hold back, is dropped when it comes, not shown over the
    // home page asked for after it and shown before.
    let dropped = client
        .execute(
            "return Number(document.getElementById('main').dataset.dropped ?? 0);",
            Vec::new(),
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap();
    client.execute(SLOW_TENDER, Vec::new()).await.unwrap();
    wait_for(client, "body[data-tender-asked]", 30).await;
    client.execute("location.hash = '#/';", Vec::new()).await.unwrap();
    let home_shown = format!("main[data-ready=\"#/\"][data-dropped=\"{dropped}\"] #open-tenders");
    let home_shown = home_shown.replace("[data-dropped=\"0\"]", ":not([data-dropped])");
    wait_for(client, &home_shown, 30).await;
    let tender_dropped = format!("main[data-ready=\"#/\"][data-dropped=\"{}\"]", dropped + 1);
    wait_for(client, &tender_dropped, 30).await;
    assert!(client.find_all(Locator::Id("summary")).await.unwrap().is_empty());
    client
        .execute("window.fetch = window.originalFetch;", Vec::new())
        .await
        .unwrap();
    assert!(text_of(client, "#open-tenders").await.contains("Open tenders"));
    assert!(client.find_all(Locator::Id("more-final")).await.unwrap().is_empty());

    // A hundred and one finished tenders: the home page lists the first hundred and links to
    // the rest, whose page lists T-000101 alone.
    cancelled_tenders(&platform, 99).await;
    open(client, &home, "#/").await;
    let finished = client.find_all(Locator::Css("#final-tenders tbody tr")).await.unwrap();
    assert_eq!(finished.len(), 100);
    assert!(text_of(client, "#final-tenders").await.contains("T-000100"));
    let more = client.find(Locator::Id("more-final")).await.unwrap();
    assert_eq!(more.attr("href").await.unwrap().as_deref(), Some("#/final/101"));
    more.click().await.unwrap();
    wait_for(client, "main[data-ready=\"#/final/101\"]", 30).await;
    let rest = client.find_all(Locator::Css("#final-tenders tbody tr")).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].attr("data-tender").await.unwrap().as_deref(), Some("T-000101"));
    assert!(client.find_all(Locator::Id("more-final")).await.unwrap().is_empty());

    // A tender that does not exist says so.
    open(client, &format!("{home}#/tender/T-999999"), "#/tender/T-999999").await;
    assert!(text_of(client, "#not-found").await.contains("No such tender"));
    screenshot(client, "4-not-found-en").await;

    // Nothing the pages loaded came from anywhere but the node.
    finish(browser, platform).await;
}
