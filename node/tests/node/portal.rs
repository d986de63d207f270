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
    for file in ["portal.js", "wire.js", "desks.js", "portal.css"] {
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

    // A tender that does not exist says so.
    open(client, &format!("{home}#/tender/T-999999"), "#/tender/T-999999").await;
    assert!(text_of(client, "#not-found").await.contains("No such tender"));
    screenshot(client, "4-not-found-en").await;

    // Nothing the pages loaded came from anywhere but the node.
    finish(browser, platform).await;
}
