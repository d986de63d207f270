//! A running one-node platform and a client for it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use sealbid_consensus::clock::{Clock, SystemClock};
use sealbid_crypto::identity::IdentityKeyPair;
use sealbid_crypto::signed::SignedMessage;
use sealbid_ledger::command::{Action, Command};
use sealbid_node::{Application, Layer};
use serde_json::Value;

/// The application, its folder and an HTTPS client that trusts its authority.
pub struct Platform {
    /// The application, when this test started it in-process.
    pub application: Option<Application>,
    /// `https://host:port` of the API.
    pub base: String,
    /// HTTPS trusting the platform's authority.
    pub http: reqwest::Client,
    /// The authority's certificate, PEM.
    pub authority: Vec<u8>,
    /// The ledger's operator key.
    pub operator: IdentityKeyPair,
    /// The last nonce signed.
    next_nonce: std::sync::atomic::AtomicU64,
    /// The platform's clock: commands are signed to expire ten minutes after it.
    clock: Arc<dyn Clock>,
    /// The data folder of an in-process application.
    _folder: Option<tempfile::TempDir>,
}

/// Kills a node process if the test ends (or fails) before it stops it.
pub struct KillOnDrop(pub Option<std::process::Child>);

impl KillOnDrop {
    /// Sends `signal` (by name, through the shell's `kill`).
    pub fn signal(&mut self, signal: &str) {
        let child = self.0.as_mut().expect("the process runs");
        let sent = std::process::Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", child.id())])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed");
    }

    /// Whether the process still runs.
    pub fn running(&mut self) -> bool {
        self.0.as_mut().is_some_and(|child| child.try_wait().unwrap().is_none())
    }

    /// Sends `signal` and waits up to 20 s for a clean exit; the exit status. On timeout the
    /// process is killed by the drop.
    pub fn stop(&mut self, signal: &str) -> std::process::ExitStatus {
        self.signal(signal);
        let child = self.0.as_mut().expect("the process runs");
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                self.0 = None;
                return status;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the process did not stop within 20 s of SIG{signal}");
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Held by tests that run `sealbid serve` as the README does, on its default ports (8443 and
/// 8444): one at a time.
pub static DEFAULT_PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Starts `sealbid serve` with no configuration in `folder` and waits (at most 30 s) until it
/// has printed its addresses: the process, its further output lines, what it printed so far.
pub fn start_serve(folder: &std::path::Path) -> (KillOnDrop, std::sync::mpsc::Receiver<String>, String) {
    let (child, printed, so_far, _log) = start_serve_logging(folder, std::process::Stdio::inherit(), None);
    (child, printed, so_far)
}

/// The lines `reader` gives, as they come.
fn lines_of(reader: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::{BufRead, BufReader};
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// As [`start_serve`], with the node's log (standard error) going to `log`, filtered by
/// `RUST_LOG` = `filter` (the default filter without one); when `log` is a pipe, also the log's
/// lines as they come.
pub fn start_serve_logging(
    folder: &std::path::Path,
    log: std::process::Stdio,
    filter: Option<&str>,
) -> (
    KillOnDrop,
    std::sync::mpsc::Receiver<String>,
    String,
    Option<std::sync::mpsc::Receiver<String>>,
) {
    use std::time::{Duration, Instant};
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sealbid"));
    command
        .arg("serve")
        .current_dir(folder)
        .env_remove("SEALBID_CONFIG")
        .env_remove("RUST_LOG");
    if let Some(filter) = filter {
        command.env("RUST_LOG", filter);
    }
    let mut child = command
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let receiver = lines_of(child.stdout.take().unwrap());
    let log_lines = child.stderr.take().map(lines_of);
    let child = KillOnDrop(Some(child));
    let mut printed = String::new();
    let started = Instant::now();
    while !printed.contains("cluster RPC") {
        let line = receiver
            .recv_timeout(Duration::from_secs(30).saturating_sub(started.elapsed()))
            .unwrap_or_else(|_| panic!("sealbid serve did not start within 30 s: {printed}"));
        printed.push_str(&line);
        printed.push('\n');
    }
    (child, receiver, printed, log_lines)
}

/// Every line `lines` gives until its writer has closed it (a process that exited), waiting at
/// most 10 s for each.
pub fn remaining_lines(lines: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        match lines.recv_timeout(std::time::Duration::from_secs(10)) {
            Ok(line) => all.push(line),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return all,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("no end of the output after 10 s: {all:?}"),
        }
    }
}

/// The current time, ms since the Unix epoch.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

impl Platform {
    /// Builds the application as `sealbid serve` does, on port 0 in a new folder.
    pub async fn start() -> Self {
        Self::start_with(Layer::default(), Arc::new(SystemClock)).await
    }

    /// As [`Platform::start`], with the settings in `overrides` and on `clock`.
    pub async fn start_with(overrides: Layer, clock: Arc<dyn Clock>) -> Self {
        let folder = tempfile::tempdir().unwrap();
        let settings = overrides
            .over(Layer {
                data_dir: Some(folder.path().join("data").display().to_string()),
                listen: Some("127.0.0.1:0".into()),
                cluster_listen: Some("127.0.0.1:0".into()),
                ..Layer::default()
            })
            .settle()
            .unwrap();
        let application = Application::build_with_clock(&settings, Arc::clone(&clock))
            .await
            .unwrap();
        let authority = std::fs::read(&application.data_dir.authority).unwrap();
        let http = sealbid_api::client::https_client(&authority).unwrap();
        let operator =
            IdentityKeyPair::from_pkcs8(&std::fs::read(&application.data_dir.operator_key_path).unwrap()).unwrap();
        Self {
            base: format!("https://{}", application.api_address),
            application: Some(application),
            http,
            authority,
            operator,
            next_nonce: std::sync::atomic::AtomicU64::new(0),
            clock,
            _folder: Some(folder),
        }
    }

    /// A platform running elsewhere (node processes), reached at `base`.
    pub fn remote(base: String, authority: Vec<u8>, operator: IdentityKeyPair, first_nonce: u64) -> Self {
        Self {
            application: None,
            http: sealbid_api::client::https_client(&authority).unwrap(),
            base,
            authority,
            operator,
            next_nonce: std::sync::atomic::AtomicU64::new(first_nonce),
            clock: Arc::new(SystemClock),
            _folder: None,
        }
    }

    /// Now, by the platform's clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// The data folder of an in-process application.
    pub fn folder(&self) -> Option<&std::path::Path> {
        self._folder.as_ref().map(tempfile::TempDir::path)
    }

    /// `action` signed by `key` with a fresh nonce, to expire ten minutes after the platform's
    /// clock.
    pub fn sign(&self, key: &IdentityKeyPair, action: Action) -> SignedMessage {
        let nonce = self.next_nonce.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let command = Command {
            nonce,
            expires_at_ms: self.clock.now_ms() + 10 * 60 * 1000,
            action,
        };
        SignedMessage::sign(key, &command).unwrap()
    }

    /// POSTs `body` as JSON to `path`; the status, the content type and the JSON answer.
    pub async fn post(&self, path: &str, body: &impl serde::Serialize) -> (StatusCode, String, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// POSTs raw bytes as JSON to `path`.
    pub async fn post_bytes(&self, path: &str, body: Vec<u8>) -> (StatusCode, String, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> (StatusCode, String, Value) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        answer(response).await
    }

    /// GETs `path` as text.
    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let response = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// The ledger's state hash, from the audit head.
    pub async fn state_hash(&self) -> String {
        let (status, _, head) = self.get("/v1/audit/head").await;
        assert_eq!(status, StatusCode::OK);
        head["state_hash"].as_str().unwrap().to_string()
    }

    /// How far the log has come on this node: the audit log's size and the Raft commit index
    /// (from `/metrics`); neither moves for a command refused before it was proposed.
    pub async fn log_position(&self) -> (u64, u64) {
        let (status, _, head) = self.get("/v1/audit/head").await;
        assert_eq!(status, StatusCode::OK, "{head}");
        let (status, metrics) = self.get_text("/metrics").await;
        assert_eq!(status, StatusCode::OK, "{metrics}");
        let commit_index = metrics
            .lines()
            .find_map(|line| line.strip_prefix("sealbid_raft_commit_index "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .expect("the commit index is a metric") as u64;
        (head["size"].as_u64().unwrap(), commit_index)
    }

    /// The value of the sample `name` (with its labels, as `/metrics` writes it), 0 when absent.
    pub async fn metric(&self, name: &str) -> f64 {
        let (status, metrics) = self.get_text("/metrics").await;
        assert_eq!(status, StatusCode::OK, "{metrics}");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0.0, |value| value.trim().parse::<f64>().unwrap())
    }

    /// Stops the application.
    pub async fn stop(mut self) {
        if let Some(application) = self.application.take() {
            application.stop().await;
        }
    }
}

/// Posts `action` signed by `key`, expecting the refusal `code` with `status`; asserts that
/// nothing reached the audit log or the state.
pub async fn refused(platform: &Platform, key: &IdentityKeyPair, action: Action, status: StatusCode, code: &str) {
    let before = (platform.log_position().await.0, platform.state_hash().await);
    let (answered, _, problem) = platform.post("/v1/commands", &platform.sign(key, action)).await;
    assert_eq!((answered, problem["code"].as_str()), (status, Some(code)), "{problem}");
    let after = (platform.log_position().await.0, platform.state_hash().await);
    assert_eq!(after, before, "the refusal {code} reached the audit log or the state");
}

async fn answer(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, content_type, value)
}
