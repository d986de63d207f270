//! The `[client_limits]` table of the settings file: the bounds on what clients hold of the
//! public API ([`sealbid_api::ClientLimits`]), each optional, over the defaults.

use std::time::Duration;

use serde::Deserialize;

use sealbid_api::ClientLimits;

use crate::settings::SettingsError;

/// The table as written: any of the bounds, in whole numbers (durations in ms).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientLimitsLayer {
    /// See [`ClientLimits::connections_max`].
    pub connections_max: Option<usize>,
    /// See [`ClientLimits::tls_handshakes_max`].
    pub tls_handshakes_max: Option<usize>,
    /// See [`ClientLimits::tls_handshake_timeout`], ms.
    pub tls_handshake_timeout_ms: Option<u64>,
    /// See [`ClientLimits::request_head_timeout`], ms.
    pub request_head_timeout_ms: Option<u64>,
    /// See [`ClientLimits::request_body_timeout`], ms.
    pub request_body_timeout_ms: Option<u64>,
    /// See [`ClientLimits::requests_per_address_max`].
    pub requests_per_address_max: Option<usize>,
    /// See [`ClientLimits::connections_per_address_max`].
    pub connections_per_address_max: Option<usize>,
    /// See [`ClientLimits::listen_backlog`].
    pub listen_backlog: Option<u32>,
}

impl ClientLimitsLayer {
    /// This layer's bounds where it names them, `below`'s elsewhere.
    pub fn over(self, below: Self) -> Self {
        Self {
            connections_max: self.connections_max.or(below.connections_max),
            tls_handshakes_max: self.tls_handshakes_max.or(below.tls_handshakes_max),
            tls_handshake_timeout_ms: self.tls_handshake_timeout_ms.or(below.tls_handshake_timeout_ms),
            request_head_timeout_ms: self.request_head_timeout_ms.or(below.request_head_timeout_ms),
            request_body_timeout_ms: self.request_body_timeout_ms.or(below.request_body_timeout_ms),
            requests_per_address_max: self.requests_per_address_max.or(below.requests_per_address_max),
            connections_per_address_max: self.connections_per_address_max.or(below.connections_per_address_max),
            listen_backlog: self.listen_backlog.or(below.listen_backlog),
        }
    }

    /// The bounds, over the defaults; each must be at least 1.
    pub fn settle(self) -> Result<ClientLimits, SettingsError> {
        let defaults = ClientLimits::default();
        let milliseconds = |value: Option<u64>, default: Duration| value.map_or(default, Duration::from_millis);
        let limits = ClientLimits {
            connections_max: self.connections_max.unwrap_or(defaults.connections_max),
            tls_handshakes_max: self.tls_handshakes_max.unwrap_or(defaults.tls_handshakes_max),
            tls_handshake_timeout: milliseconds(self.tls_handshake_timeout_ms, defaults.tls_handshake_timeout),
            request_head_timeout: milliseconds(self.request_head_timeout_ms, defaults.request_head_timeout),
            request_body_timeout: milliseconds(self.request_body_timeout_ms, defaults.request_body_timeout),
            requests_per_address_max: self
                .requests_per_address_max
                .unwrap_or(defaults.requests_per_address_max),
            connections_per_address_max: self
                .connections_per_address_max
                .unwrap_or(defaults.connections_per_address_max),
            listen_backlog: self.listen_backlog.unwrap_or(defaults.listen_backlog),
        };
        let counts = [
            ("client_limits.connections_max", limits.connections_max as u128),
            ("client_limits.tls_handshakes_max", limits.tls_handshakes_max as u128),
            (
                "client_limits.tls_handshake_timeout_ms",
                limits.tls_handshake_timeout.as_millis(),
            ),
            (
                "client_limits.request_head_timeout_ms",
                limits.request_head_timeout.as_millis(),
            ),
            (
                "client_limits.request_body_timeout_ms",
                limits.request_body_timeout.as_millis(),
            ),
            (
                "client_limits.requests_per_address_max",
                limits.requests_per_address_max as u128,
            ),
            (
                "client_limits.connections_per_address_max",
                limits.connections_per_address_max as u128,
            ),
            ("client_limits.listen_backlog", u128::from(limits.listen_backlog)),
        ];
        if let Some((name, value)) = counts.into_iter().find(|(_, value)| *value == 0) {
            return Err(SettingsError::Invalid {
                name,
                value: value.to_string(),
                fix: "give a whole number of at least 1".into(),
            });
        }
        Ok(limits)
    }
}

/// Raises this process's soft limit on open files to what `limits` can need (at most the hard
/// limit); the limit in force afterwards. A node whose limit stays below the need still runs,
/// and says so.
pub fn raise_open_files(limits: &ClientLimits) -> u64 {
    let needed = limits.open_files_needed();
    match rlimit::increase_nofile_limit(needed) {
        Ok(limit) => {
            if limit < needed {
                tracing::warn!(
                    limit,
                    needed,
                    "the open-file limit is below what the connection bounds need; raise the hard limit (ulimit -Hn) or lower client_limits.connections_max"
                );
            }
            limit
        }
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file limit");
            0
        }
    }
}
