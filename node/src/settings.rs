//! The node's settings, layered: defaults, then a TOML file, then `SEALBID_` environment
//! variables, then command-line flags; each layer sets only what it names. The result is
//! validated once, with messages that say what to fix.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the settings' shape.
    #[error("the settings file {path} is not valid: {reason}")]
    Parse {
        /// The file.
        path: String,
        /// What is wrong (TOML's message, with the line).
        reason: String,
    },
    /// A value is out of range or of the wrong form.
    #[error("setting {name} = {value:?} is not valid: {fix}")]
    Invalid {
        /// The setting (its TOML key).
        name: &'static str,
        /// The value given.
        value: String,
        /// What to change.
        fix: String,
    },
}

/// The largest bound on commands in flight a node accepts (tokio's semaphore allows more; a
/// node that takes more than this at once only queues them).
pub const COMMANDS_IN_FLIGHT_LIMIT: usize = 1 << 20;

/// Everything the node needs to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The folder holding the database, the snapshot, the certificates and the operator key.
    pub data_dir: PathBuf,
    /// Where the public HTTPS API listens (port 0: any free port).
    pub listen: SocketAddr,
    /// Where node-to-node RPC listens (mutual TLS; port 0: any free port).
    pub cluster_listen: SocketAddr,
    /// The `host:port` at which the other nodes reach this node's RPC (a host name or an IP
    /// address), which a node forming the cluster records in its membership (a joining node's
    /// is the address the leader is given to add it); `None`: the address it listens on, which
    /// may then not be every address (`0.0.0.0`, `::`).
    pub cluster_advertise: Option<String>,
    /// This node's id in the cluster (from 1).
    pub node_id: u64,
    /// A snapshot after this many log entries; the log before it is purged.
    pub snapshot_every: u64,
    /// Whether a node whose cluster is not formed yet forms a one-node cluster of itself and
    /// writes the ledger's genesis (the default). A node joining a cluster sets it to false
    /// and waits for the leader to add it (`sealbid cluster add-learner`).
    pub bootstrap: bool,
    /// The most commands the node handles at once (its clients' and, as leader, those its
    /// followers forward); past it a command is answered 503 `busy` with `Retry-After` at
    /// once, before it is stamped or proposed.
    pub commands_in_flight_max: usize,
    /// What clients may hold of the public API: connections, handshakes, timeouts, requests
    /// per address (the file's `[client_limits]` table).
    pub client_limits: sealbid_api::ClientLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("sealbid-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            cluster_listen: SocketAddr::from(([127, 0, 0, 1], 8444)),
            cluster_advertise: None,
            node_id: 1,
            snapshot_every: 20_000,
            bootstrap: true,
            commands_in_flight_max: 1024,
            client_limits: sealbid_api::ClientLimits::default(),
        }
    }
}

/// One layer: the settings it names, as text, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    /// See [`Settings::data_dir`].
    pub data_dir: Option<String>,
    /// See [`Settings::listen`].
    pub listen: Option<String>,
    /// See [`Settings::cluster_listen`].
    pub cluster_listen: Option<String>,
    /// See [`Settings::cluster_advertise`].
    pub cluster_advertise: Option<String>,
    /// See [`Settings::node_id`].
    pub node_id: Option<u64>,
    /// See [`Settings::snapshot_every`].
    pub snapshot_every: Option<u64>,
    /// See [`Settings::bootstrap`].
    pub bootstrap: Option<bool>,
    /// See [`Settings::commands_in_flight_max`].
    pub commands_in_flight_max: Option<usize>,
    /// See [`Settings::client_limits`] (the file's `[client_limits]` table only).
    pub client_limits: Option<crate::client_limits::ClientLimitsLayer>,
}

impl Layer {
    /// The layer in the TOML file at `path`.
    pub fn from_file(path: &Path) -> Result<Self, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| SettingsError::Parse {
            path: path.display().to_string(),
            reason: error.to_string(),
        })
    }

    /// The layer in `SEALBID_DATA_DIR`, `SEALBID_LISTEN`, `SEALBID_CLUSTER_LISTEN`,
    /// `SEALBID_CLUSTER_ADVERTISE`, `SEALBID_NODE_ID`, `SEALBID_SNAPSHOT_EVERY` and
    /// `SEALBID_BOOTSTRAP`, read through `variable`.
    pub fn from_environment(variable: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let number = |name: &'static str, key: &str| -> Result<Option<u64>, SettingsError> {
            variable(key)
                .map(|value| {
                    value.parse().map_err(|_| SettingsError::Invalid {
                        name,
                        value,
                        fix: format!("{key} must be a whole number"),
                    })
                })
                .transpose()
        };
        Ok(Self {
            data_dir: variable("SEALBID_DATA_DIR"),
            listen: variable("SEALBID_LISTEN"),
            cluster_listen: variable("SEALBID_CLUSTER_LISTEN"),
            cluster_advertise: variable("SEALBID_CLUSTER_ADVERTISE"),
            node_id: number("node_id", "SEALBID_NODE_ID")?,
            snapshot_every: number("snapshot_every", "SEALBID_SNAPSHOT_EVERY")?,
            commands_in_flight_max: number("commands_in_flight_max", "SEALBID_COMMANDS_IN_FLIGHT_MAX")?
                .map(|value| usize::try_from(value).unwrap_or(usize::MAX)),
            bootstrap: variable("SEALBID_BOOTSTRAP")
                .map(|value| match value.as_str() {
                    "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(SettingsError::Invalid {
                        name: "bootstrap",
                        value,
                        fix: "SEALBID_BOOTSTRAP must be true or false".into(),
                    }),
                })
                .transpose()?,
            client_limits: None,
        })
    }

    /// This layer over `below`: what this one names wins.
    pub fn over(self, below: Layer) -> Layer {
        Layer {
            data_dir: self.data_dir.or(below.data_dir),
            listen: self.listen.or(below.listen),
            cluster_listen: self.cluster_listen.or(below.cluster_listen),
            cluster_advertise: self.cluster_advertise.or(below.cluster_advertise),
            node_id: self.node_id.or(below.node_id),
            snapshot_every: self.snapshot_every.or(below.snapshot_every),
            bootstrap: self.bootstrap.or(below.bootstrap),
            commands_in_flight_max: self.commands_in_flight_max.or(below.commands_in_flight_max),
            client_limits: match (self.client_limits, below.client_limits) {
                (Some(above), Some(below)) => Some(above.over(below)),
                (above, below) => above.or(below),
            },
        }
    }

    /// The defaults with this layer applied, validated.
    pub fn settle(self) -> Result<Settings, SettingsError> {
        let defaults = Settings::default();
        let address = |name: &'static str, value: Option<String>, default: SocketAddr| match value {
            None => Ok(default),
            Some(value) => listen_address(&value).ok_or_else(|| SettingsError::Invalid {
                name,
                fix: "give a host name or an IP address and a port, such as 127.0.0.1:8443 or localhost:8443".into(),
                value,
            }),
        };
        let settings = Settings {
            data_dir: self.data_dir.map_or(defaults.data_dir, PathBuf::from),
            listen: address("listen", self.listen, defaults.listen)?,
            cluster_listen: address("cluster_listen", self.cluster_listen, defaults.cluster_listen)?,
            cluster_advertise: self.cluster_advertise,
            node_id: self.node_id.unwrap_or(defaults.node_id),
            snapshot_every: self.snapshot_every.unwrap_or(defaults.snapshot_every),
            bootstrap: self.bootstrap.unwrap_or(defaults.bootstrap),
            commands_in_flight_max: self.commands_in_flight_max.unwrap_or(defaults.commands_in_flight_max),
            client_limits: self.client_limits.unwrap_or_default().settle()?,
        };
        settings.validate()?;
        Ok(settings)
    }
}

impl Settings {
    /// Checks the values against each other and their ranges.
    fn validate(&self) -> Result<(), SettingsError> {
        if self.node_id == 0 {
            return Err(SettingsError::Invalid {
                name: "node_id",
                value: "0".into(),
                fix: "node ids start at 1".into(),
            });
        }
        if self.snapshot_every < 100 {
            return Err(SettingsError::Invalid {
                name: "snapshot_every",
                value: self.snapshot_every.to_string(),
                fix: "take snapshots every 100 entries or more".into(),
            });
        }
        if !(1..=COMMANDS_IN_FLIGHT_LIMIT).contains(&self.commands_in_flight_max) {
            return Err(SettingsError::Invalid {
                name: "commands_in_flight_max",
                value: self.commands_in_flight_max.to_string(),
                fix: format!("allow from 1 to {COMMANDS_IN_FLIGHT_LIMIT} commands in flight"),
            });
        }
        if self.listen == self.cluster_listen && self.listen.port() != 0 {
            return Err(SettingsError::Invalid {
                name: "cluster_listen",
                value: self.cluster_listen.to_string(),
                fix: "the API and the cluster RPC need different ports".into(),
            });
        }
        match &self.cluster_advertise {
            Some(advertised) if !is_advertisable(advertised) => {
                return Err(SettingsError::Invalid {
                    name: "cluster_advertise",
                    value: advertised.clone(),
                    fix: "give the host name or IP address and the port (1 to 65535) at which the other nodes \
                          reach this one, such as node1.example:8444 or 10.0.0.1:8444; not every address (0.0.0.0, ::)"
                        .into(),
                });
            }
            None if self.cluster_listen.ip().is_unspecified() => {
                return Err(SettingsError::Invalid {
                    name: "cluster_advertise",
                    value: String::new(),
                    fix: format!(
                        "the cluster RPC listens on every address ({}): set cluster_advertise to the host:port at \
                         which the other nodes reach this one",
                        self.cluster_listen
                    ),
                });
            }
            _ => {}
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(SettingsError::Invalid {
                name: "data_dir",
                value: String::new(),
                fix: "name a folder, such as sealbid-data".into(),
            });
        }
        Ok(())
    }
}

/// The address `text` names to listen on: an IP address and port, or a host name and port
/// resolved by the system (its first address).
fn listen_address(text: &str) -> Option<SocketAddr> {
    if let Ok(address) = text.parse() {
        return Some(address);
    }
    let (host, port) = text.rsplit_once(':')?;
    if host.is_empty() || port.parse::<u16>().is_err() {
        return None;
    }
    std::net::ToSocketAddrs::to_socket_addrs(text).ok()?.next()
}

/// Whether `text` is a `host:port` the other nodes can reach: a host name (letters, digits,
/// `-` and `.`) or an IP address (IPv6 in brackets) that is not every address, and a port from
/// 1 to 65535.
fn is_advertisable(text: &str) -> bool {
    let Some((host, port)) = text.rsplit_once(':') else {
        return false;
    };
    if !port.parse::<u16>().is_ok_and(|port| port != 0) {
        return false;
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .unwrap_or(host);
    match literal.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_unspecified() && (ip.is_ipv4() || host.starts_with('[')),
        Err(_) => {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .chars()
                    .all(|character| character.is_ascii_alphanumeric() || matches!(character, '-' | '.'))
                && !host.starts_with(['-', '.'])
        }
    }
}
