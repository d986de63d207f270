//! Mutual TLS between the nodes of a cluster: every node presents a certificate signed by the
//! cluster's certificate authority and accepts only peers that do the same. The public API
//! presents the same certificate without asking clients for one. rustls with the ring provider
//! only. [`ClusterCertificates`] makes an authority and node certificates for a new cluster.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
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
    /// The peer-certificate verifier could not be built.
    #[error("peer verification: {0}")]
    Verifier(String),
}

/// A node's identity in the cluster: its certificate chain and key, and the cluster's
/// certificate authority.
#[derive(Debug)]
pub struct ClusterTls {
    /// The node's certificate, then any intermediates.
    chain: Vec<CertificateDer<'static>>,
    /// The node's private key.
    key: PrivateKeyDer<'static>,
    /// The cluster's certificate authority: the only one trusted for peers.
    authority: CertificateDer<'static>,
}

impl ClusterTls {
    /// Reads the identity from PEM text.
    pub fn from_pem(chain: &[u8], key: &[u8], authority: &[u8]) -> Result<Self, TlsError> {
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
        let authority =
            CertificateDer::from_pem_slice(authority).map_err(|error| pem("certificate authority", error))?;
        Ok(Self { chain, key, authority })
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
            .with_single_cert(self.chain.clone(), self.key.clone_key())?)
    }

    /// The public side (the API): present this node's certificate, ask clients for none.
    pub fn public_server_config(&self) -> Result<ServerConfig, TlsError> {
        Ok(ServerConfig::builder_with_provider(Self::provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(self.chain.clone(), self.key.clone_key())?)
    }

    /// The client side: trust only the cluster's authority, present this node's certificate.
    pub fn client_config(&self) -> Result<ClientConfig, TlsError> {
        Ok(ClientConfig::builder_with_provider(Self::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(self.roots()?)
            .with_client_auth_cert(self.chain.clone(), self.key.clone_key())?)
    }
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
