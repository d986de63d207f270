//! Mutual TLS between the nodes of a cluster: every node presents a certificate signed by the
//! cluster's certificate authority and accepts only peers that do the same. The public API
//! presents the same certificate without asking clients for one. rustls with the ring provider
//! only. [`ClusterCertificates`] makes an authority and node certificates for a new cluster.
//!
//! The node's certificate and key are held by one `PresentedIdentity` that every server and
//! client configuration resolves through, so [`ClusterTls::reload`] swaps them for every new
//! handshake at once (connections already open keep theirs); a pair that does not parse or
//! whose key is not the certificate's is refused and the old pair kept.

use std::sync::{Arc, PoisonError, RwLock};

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Why the TLS identity could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file holds no usable certificate or key.
    #[error("unreadable PEM {what}: {reason}")]
    Pem {
        /// Which file.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    /// The private key is not the one of the certificate it came with.
    #[error("the private key is not the certificate's")]
    KeyMismatch,
    /// The peer-certificate verifier could not be built.
    #[error("peer verification: {0}")]
    Verifier(String),
}

/// A node's identity in the cluster: its certificate chain and key, and the cluster's
/// certificate authority.
#[derive(Debug)]
pub struct ClusterTls {
    /// The node's certificate (then any intermediates) and key, as every configuration built
    /// here presents them; [`ClusterTls::reload`] replaces them.
    presented: Arc<PresentedIdentity>,
    /// The cluster's certificate authority: the only one trusted for peers.
    authority: CertificateDer<'static>,
}

impl ClusterTls {
    /// Reads the identity from PEM text.
    pub fn from_pem(chain: &[u8], key: &[u8], authority: &[u8]) -> Result<Self, TlsError> {
        let presented = PresentedIdentity {
            current: RwLock::new(Arc::new(certified_key(chain, key)?)),
        };
        let authority = CertificateDer::from_pem_slice(authority).map_err(|error| TlsError::Pem {
            what: "certificate authority",
            reason: error.to_string(),
        })?;
        Ok(Self {
            presented: Arc::new(presented),
            authority,
        })
    }

    /// Presents the certificate chain and key of this PEM text from the next handshake on, as
    /// servers and as a client. A pair that does not parse, or whose key is not the
    /// certificate's, is refused and the pair in use kept. The authority trusted for peers does
    /// not change.
    pub fn reload(&self, chain: &[u8], key: &[u8]) -> Result<(), TlsError> {
        let replacement = Arc::new(certified_key(chain, key)?);
        *self.presented.current.write().unwrap_or_else(PoisonError::into_inner) = replacement;
        Ok(())
    }

    /// The ring provider: the only one this project uses.
    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::ring::default_provider())
    }

    /// A root store holding only the cluster's authority.
    fn roots(&self) -> Result<Arc<RootCertStore>, TlsError> {
        let mut roots = RootCertStore::empty();
        roots.add(self.authority.clone())?;
        Ok(Arc::new(roots))
    }

    /// The server side: present this node's certificate, require a peer certificate from the
    /// cluster's authority.
    pub fn server_config(&self) -> Result<ServerConfig, TlsError> {
        let verifier = WebPkiClientVerifier::builder_with_provider(self.roots()?, Self::provider())
            .build()
            .map_err(|error| TlsError::Verifier(error.to_string()))?;
        Ok(ServerConfig::builder_with_provider(Self::provider())
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::clone(&self.presented) as Arc<dyn ResolvesServerCert>))
    }

    /// The public side (the API): present this node's certificate, ask clients for none.
    pub fn public_server_config(&self) -> Result<ServerConfig, TlsError> {
        Ok(ServerConfig::builder_with_provider(Self::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(Arc::clone(&self.presented) as Arc<dyn ResolvesServerCert>))
    }

    /// The client side: trust only the cluster's authority, present this node's certificate.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        Ok(ClientConfig::builder_with_provider(Self::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.roots()?)
            .with_client_cert_resolver(Arc::clone(&self.presented) as Arc<dyn ResolvesClientCert>))
    }
}

/// The certificate chain and key a node presents, swapped whole by [`ClusterTls::reload`].
#[derive(Debug)]
struct PresentedIdentity {
    /// The pair in use: each handshake takes the one held when it starts.
    current: RwLock<Arc<CertifiedKey>>,
}

impl PresentedIdentity {
    /// The pair in use.
    fn current(&self) -> Arc<CertifiedKey> {
        Arc::clone(&self.current.read().unwrap_or_else(PoisonError::into_inner))
    }
}

impl ResolvesServerCert for PresentedIdentity {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

impl ResolvesClientCert for PresentedIdentity {
    fn resolve(&self, _root_hint_subjects: &[&[u8]], _schemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The pair of a PEM certificate chain and a PEM private key, checked to belong together.
fn certified_key(chain: &[u8], key: &[u8]) -> Result<CertifiedKey, TlsError> {
    let pem = |what, error: rustls_pki_types::pem::Error| TlsError::Pem {
        what,
        reason: error.to_string(),
    };
    let chain = CertificateDer::pem_slice_iter(chain)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| pem("certificate chain", error))?;
    if chain.is_empty() {
        return Err(TlsError::Pem {
            what: "certificate chain",
            reason: "no certificate".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|error| pem("private key", error))?;
    CertifiedKey::from_der(chain, key, &ClusterTls::provider()).map_err(|error| match error {
        rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch,
        other => TlsError::Config(other),
    })
}

/// PEM text of a new cluster's authority and of node identities it signed.
#[derive(Debug, Clone)]
pub struct ClusterCertificates {
    /// The authority's certificate: what nodes and clients trust.
    pub authority: String,
    /// One (certificate, private key) per node.
    pub identities: Vec<(String, String)>,
}

impl ClusterCertificates {
    /// A new authority and `count` node identities, each valid for `hosts` (names or IP
    /// addresses, as clients will address the nodes).
    pub fn generate(count: usize, hosts: &[String]) -> Result<Self, TlsError> {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let failed = |error: rcgen::Error| TlsError::Verifier(format!("certificate generation: {error}"));
        let mut authority = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        authority
            .distinguished_name
            .push(rcgen::DnType::CommonName, "sealbid cluster authority");
        let authority =
            CertifiedIssuer::self_signed(authority, KeyPair::generate().map_err(failed)?).map_err(failed)?;
        let identities = (0..count)
            .map(|_| {
                let key = KeyPair::generate().map_err(failed)?;
                let params = CertificateParams::new(hosts.to_vec()).map_err(failed)?;
                Ok((
                    params.signed_by(&key, &authority).map_err(failed)?.pem(),
                    key.serialize_pem(),
                ))
            })
            .collect::<Result<Vec<_>, TlsError>>()?;
        Ok(Self {
            authority: authority.pem(),
            identities,
        })
    }

    /// Identity `index` as a TLS configuration source.
    pub fn tls(&self, index: usize) -> Result<ClusterTls, TlsError> {
        let (certificate, key) = self.identities.get(index).ok_or_else(|| TlsError::Pem {
            what: "certificate chain",
            reason: format!("no identity {index}"),
        })?;
        ClusterTls::from_pem(certificate.as_bytes(), key.as_bytes(), self.authority.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused_and_the_pair_in_use_kept() {
        let hosts = ["127.0.0.1".to_owned()];
        let ours = ClusterCertificates::generate(2, &hosts).unwrap();
        let theirs = ClusterCertificates::generate(1, &hosts).unwrap();
        let (certificate, key) = &ours.identities[0];
        let foreign_key = &theirs.identities[0].1;
        let mismatched = ClusterTls::from_pem(
            certificate.as_bytes(),
            foreign_key.as_bytes(),
            ours.authority.as_bytes(),
        );
        assert!(matches!(mismatched, Err(TlsError::KeyMismatch)), "{mismatched:?}");

        let tls = ClusterTls::from_pem(certificate.as_bytes(), key.as_bytes(), ours.authority.as_bytes()).unwrap();
        let before = tls.presented.current();
        let refused = tls.reload(certificate.as_bytes(), foreign_key.as_bytes());
        assert!(matches!(refused, Err(TlsError::KeyMismatch)), "{refused:?}");
        assert!(
            Arc::ptr_eq(&before, &tls.presented.current()),
            "the pair in use is kept"
        );
        assert!(matches!(
            tls.reload(b"not PEM", key.as_bytes()),
            Err(TlsError::Pem { .. })
        ));

        let (next_certificate, next_key) = &ours.identities[1];
        tls.reload(next_certificate.as_bytes(), next_key.as_bytes()).unwrap();
        let presented = tls.presented.current();
        let expected = CertificateDer::from_pem_slice(next_certificate.as_bytes()).unwrap();
        assert_eq!(
            presented.cert.first(),
            Some(&expected),
            "the new certificate is presented"
        );
    }
}
