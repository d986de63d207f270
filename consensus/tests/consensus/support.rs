//! Test certificates: a cluster authority and identities for 127.0.0.1, from rcgen.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use sealbid_consensus::tls::ClusterTls;

/// PEM text of a cluster: its authority, and one (certificate, key) per identity.
pub struct ClusterPems {
    pub authority: String,
    pub identities: Vec<(String, String)>,
}

impl ClusterPems {
    /// An authority and `count` identities valid for 127.0.0.1.
    pub fn generate(count: usize) -> Self {
        let mut authority = CertificateParams::new(Vec::<String>::new()).unwrap();
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let authority = CertifiedIssuer::self_signed(authority, KeyPair::generate().unwrap()).unwrap();
        let identities = (0..count)
            .map(|_| {
                let key = KeyPair::generate().unwrap();
                let params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
                (params.signed_by(&key, &authority).unwrap().pem(), key.serialize_pem())
            })
            .collect();
        Self {
            authority: authority.pem(),
            identities,
        }
    }

    /// Identity `index` as a TLS configuration source.
    pub fn tls(&self, index: usize) -> ClusterTls {
        let (certificate, key) = &self.identities[index];
        ClusterTls::from_pem(certificate.as_bytes(), key.as_bytes(), self.authority.as_bytes()).unwrap()
    }
}
