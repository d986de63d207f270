//! The `flood` scenario: one address holds many connections to a node (requests whose bodies
//! stall, and TCP connections that never send a TLS hello) while a normal client's requests
//! are timed; the same requests are timed before the flood and after it is gone.
//!
//! Each flood connection is held by its own task, which opens it again a second after the node
//! closes it (a stalled body after the body timeout, an idle connection after the handshake
//! timeout, either at once past the bound on connections per address), so the flood stands for
//! the whole measurement. The flood comes from 127.0.0.1 and the normal
//! client from 127.0.0.2 (the node bounds connections per source address). A normal request is
//! `GET /readyz` answered 200, timed from before the connection opens: each on a new TCP and TLS
//! connection, and then each on one kept-alive connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hdrhistogram::Histogram;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

use crate::cluster::{ClusterError, LocalCluster};

/// How long one normal request may take before it counts as unanswered.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long the flood takes to stand before the timing starts.
const FLOOD_SETTLE: Duration = Duration::from_secs(2);

/// The normal client's source address: another than the flood's.
const NORMAL_CLIENT_ADDRESS: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// How long a flood task waits before it opens again a connection the node closed (or
/// refused): the flood holds connections, it does not spin on them.
const REOPEN_PAUSE: Duration = Duration::from_secs(1);

/// What the flood takes; `sealbid-loadtest flood --help` documents each.
#[derive(Debug, Clone)]
pub struct FloodOptions {
    /// The `sealbid` binary of the local cluster.
    pub sealbid_binary: std::path::PathBuf,
    /// Connections whose request bodies stall.
    pub stalled: usize,
    /// TCP connections that never send a TLS hello.
    pub idle: usize,
    /// Normal requests timed in each phase and way.
    pub requests: usize,
}

/// Why the flood could not be run.
#[derive(Debug, thiserror::Error)]
pub enum FloodError {
    /// The cluster.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The TLS set-up.
    #[error("TLS: {0}")]
    Tls(String),
    /// A normal request failed.
    #[error("a normal request failed: {0}")]
    Request(String),
}

/// Latencies of one set of normal requests, ms.
#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    /// Requests answered 200.
    pub answered: usize,
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// What the flood measured.
#[derive(Debug, Clone, Serialize)]
pub struct FloodReport {
    /// Stalled-body connections held.
    pub stalled: usize,
    /// Idle TCP connections held.
    pub idle: usize,
    /// A new connection per request, before the flood.
    pub before_new_connection: Latencies,
    /// A new connection per request, during the flood.
    pub during_new_connection: Latencies,
    /// One kept-alive connection, during the flood.
    pub during_kept_alive: Latencies,
    /// A new connection per request, once the flood is gone.
    pub after_new_connection: Latencies,
}

impl FloodReport {
    /// The report as a table.
    pub fn to_text(&self) -> String {
        let row = |name: &str, latencies: &Latencies| {
            format!(
                "{name:<40} {:>6} {:>9.1} {:>9.1} {:>9.1}\n",
                latencies.answered, latencies.p50_ms, latencies.p99_ms, latencies.max_ms
            )
        };
        format!(
            "flood: {} stalled-body and {} idle TCP connections from one address\n{:<40} {:>6} {:>9} {:>9} {:>9}\n{}{}{}{}",
            self.stalled,
            self.idle,
            "normal GET /readyz",
            "200s",
            "p50 ms",
            "p99 ms",
            "max ms",
            row("before, new connection each", &self.before_new_connection),
            row("during, new connection each", &self.during_new_connection),
            row("during, one kept-alive connection", &self.during_kept_alive),
            row("after, new connection each", &self.after_new_connection),
        )
    }
}

/// A TLS client configuration that trusts `authority_pem`.
fn client_config(authority_pem: &[u8]) -> Result<rustls::ClientConfig, FloodError> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(authority_pem) {
        let certificate = certificate.map_err(|error| FloodError::Tls(error.to_string()))?;
        roots
            .add(certificate)
            .map_err(|error| FloodError::Tls(error.to_string()))?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| FloodError::Tls(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The name the node's certificate carries.
fn server_name() -> ServerName<'static> {
    ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into())
}

/// Holds one connection of the flood until `stop`: a stalled body (`stalled`) or an idle TCP
/// connection, opened again [`REOPEN_PAUSE`] after the node closes it.
async fn hold(address: SocketAddr, connector: TlsConnector, stalled: bool, mut stop: watch::Receiver<bool>) {
    let head = b"POST /v1/commands HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    while !*stop.borrow() {
        let held = async {
            let mut tcp = TcpStream::connect(address).await.ok()?;
            if !stalled {
                // Wait until the node closes it (its handshake timeout).
                let mut byte = [0u8; 1];
                let _ = tcp.read(&mut byte).await;
                return Some(());
            }
            let mut tls = connector.connect(server_name(), tcp).await.ok()?;
            tls.write_all(head).await.ok()?;
            tls.flush().await.ok()?;
            let mut answer = [0u8; 1024];
            // The node answers 408 once the body timeout has passed, then closes.
            while tls.read(&mut answer).await.ok()? > 0 {}
            Some(())
        };
        tokio::select! {
            _ = held => {}
            _ = stop.changed() => break,
        }
        tokio::select! {
            () = tokio::time::sleep(REOPEN_PAUSE) => {}
            _ = stop.changed() => break,
        }
    }
}

/// One normal request on a new connection: ms from before the connection until the whole
/// answer, if it is a 200.
async fn new_connection_request(address: SocketAddr, connector: &TlsConnector) -> Option<f64> {
    let start = Instant::now();
    let request = async {
        let socket = tokio::net::TcpSocket::new_v4().ok()?;
        socket.bind(SocketAddr::new(NORMAL_CLIENT_ADDRESS.into(), 0)).ok()?;
        let tcp = socket.connect(address).await.ok()?;
        let mut tls = connector.connect(server_name(), tcp).await.ok()?;
        tls.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut answer = Vec::new();
        let _ = tls.read_to_end(&mut answer).await;
        answer.starts_with(b"HTTP/1.1 200").then_some(())
    };
    tokio::time::timeout(REQUEST_TIMEOUT, request).await.ok().flatten()?;
    Some(start.elapsed().as_secs_f64() * 1_000.0)
}

/// `count` normal requests, one after another, each on a new connection.
async fn time_new_connections(address: SocketAddr, connector: &TlsConnector, count: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        if let Some(time) = new_connection_request(address, connector).await {
            times.push(time);
        }
    }
    times
}

/// `count` normal requests, one after another, on one kept-alive connection.
async fn time_kept_alive(base: &str, http: &reqwest::Client, count: usize) -> Vec<f64> {
    let mut times = Vec::with_capacity(count);
    for _ in 0..count {
        let start = Instant::now();
        let answer = tokio::time::timeout(REQUEST_TIMEOUT, http.get(format!("{base}/readyz")).send()).await;
        if answer.is_ok_and(|answer| answer.is_ok_and(|answer| answer.status().is_success())) {
            times.push(start.elapsed().as_secs_f64() * 1_000.0);
        }
    }
    times
}

/// The latencies of `times`.
fn latencies(times: &[f64]) -> Latencies {
    let mut histogram = Histogram::<u64>::new(3).unwrap_or_else(|_| unreachable!("3 significant figures are valid"));
    for time in times {
        // Microseconds, whole.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let _ = histogram.record((time * 1_000.0) as u64);
    }
    let ms = |micros: u64| micros as f64 / 1_000.0;
    Latencies {
        answered: times.len(),
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

/// Runs the flood against node 1 of a local cluster.
pub async fn run_flood(options: &FloodOptions) -> Result<FloodReport, FloodError> {
    let cluster = LocalCluster::start(&options.sealbid_binary).await?;
    let address: SocketAddr = cluster
        .api_address(1)
        .ok_or_else(|| FloodError::Request("node 1 has no address".into()))?;
    let config = client_config(&cluster.authority)?;
    let connector = TlsConnector::from(Arc::new(config.clone()));
    let base = format!("https://{address}");
    let before = time_new_connections(address, &connector, options.requests).await;

    let (stop, stopped) = watch::channel(false);
    let mut flood = JoinSet::new();
    for index in 0..options.stalled + options.idle {
        flood.spawn(hold(
            address,
            connector.clone(),
            index < options.stalled,
            stopped.clone(),
        ));
    }
    tokio::time::sleep(FLOOD_SETTLE).await;
    let during = time_new_connections(address, &connector, options.requests).await;
    let http = reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .local_address(std::net::IpAddr::V4(NORMAL_CLIENT_ADDRESS))
        .build()
        .map_err(|error| FloodError::Tls(error.to_string()))?;
    let kept_alive = time_kept_alive(&base, &http, options.requests).await;
    let _ = stop.send(true);
    while flood.join_next().await.is_some() {}

    let after = time_new_connections(address, &connector, options.requests).await;
    Ok(FloodReport {
        stalled: options.stalled,
        idle: options.idle,
        before_new_connection: latencies(&before),
        during_new_connection: latencies(&during),
        during_kept_alive: latencies(&kept_alive),
        after_new_connection: latencies(&after),
    })
}

#[cfg(test)]
mod tests {
    use super::latencies;

    #[test]
    fn latencies_are_the_median_the_99th_percentile_and_the_slowest_of_the_answered() {
        let times: Vec<f64> = (1..=200).map(f64::from).collect();
        let figures = latencies(&times);
        assert_eq!(figures.answered, 200);
        // Three significant figures: within 0.1 % of 100, 198 and 200 ms.
        assert!((figures.p50_ms - 100.0).abs() <= 0.1, "{figures:?}");
        assert!((figures.p99_ms - 198.0).abs() <= 0.2, "{figures:?}");
        assert!((figures.max_ms - 200.0).abs() <= 0.2, "{figures:?}");
        assert_eq!(latencies(&[]).answered, 0);
    }
}
