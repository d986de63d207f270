//! Test certificates: a cluster authority and identities for 127.0.0.1.

use sealbid_consensus::tls::{ClusterCertificates, ClusterTls};

/// PEM text of a cluster: its authority, and one (certificate, key) per identity.
pub struct ClusterPems(pub ClusterCertificates);

impl ClusterPems {
    /// An authority and `count` identities valid for 127.0.0.1.
    pub fn generate(count: usize) -> Self {
        Self(ClusterCertificates::generate(count, &["127.0.0.1".to_string()]).unwrap())
    }

    /// Identity `index` as a TLS configuration source.
    pub fn tls(&self, index: usize) -> ClusterTls {
        self.0.tls(index).unwrap()
    }
}
