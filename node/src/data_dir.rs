//! The node's data folder. On first start it is filled with what a one-node platform needs: a
//! cluster certificate authority and this node's certificate (for 127.0.0.1 and localhost), and
//! an operator key; later starts reuse them. Private keys are written readable by the owner only.
//!
//! Layout: `node.sqlite` (+ WAL, `.snapshot`), `tls/authority.pem`, `tls/node.pem`,
//! `tls/node.key`, `operator.pk8` (PKCS#8 Ed25519), `operator.pub` (`ed25519:` text).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ring::rand::SystemRandom;
use sealbid_consensus::tls::{ClusterCertificates, ClusterTls, TlsError};
use sealbid_crypto::identity::IdentityKeyPair;

/// Why the data folder could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Certificates could not be made or read.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The operator key could not be made or read.
    #[error("operator key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The prepared folder's files.
#[derive(Debug)]
pub struct DataDir {
    /// The folder.
    pub root: PathBuf,
    /// The SQLite database.
    pub database: PathBuf,
    /// The cluster authority's certificate: what clients trust.
    pub authority: PathBuf,
    /// This node's TLS identity.
    pub tls: ClusterTls,
    /// The operator's key file.
    pub operator_key_path: PathBuf,
    /// The operator's key.
    pub operator: IdentityKeyPair,
    /// Whether this start created the certificates and the key.
    pub created: bool,
}

impl DataDir {
    /// Opens `root`, creating it and its certificates and operator key if missing.
    pub fn prepare(root: &Path) -> Result<Self, DataDirError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| DataDirError::Io { path, source }
        };
        let tls_folder = root.join("tls");
        std::fs::create_dir_all(&tls_folder).map_err(io(&tls_folder))?;
        let authority = tls_folder.join("authority.pem");
        let certificate = tls_folder.join("node.pem");
        let key = tls_folder.join("node.key");
        let created = !authority.exists();
        if created {
            let hosts = ["127.0.0.1".to_string(), "localhost".to_string()];
            let generated = ClusterCertificates::generate(1, &hosts)?;
            let (node_certificate, node_key) = generated.identities.first().cloned().unwrap_or_default();
            write_private(&key, node_key.as_bytes()).map_err(io(&key))?;
            std::fs::write(&certificate, node_certificate).map_err(io(&certificate))?;
            std::fs::write(&authority, &generated.authority).map_err(io(&authority))?;
        }
        let read = |path: &Path| std::fs::read(path).map_err(io(path));
        let tls = ClusterTls::from_pem(&read(&certificate)?, &read(&key)?, &read(&authority)?)?;
        let operator_key_path = root.join("operator.pk8");
        let operator = operator_key(&operator_key_path, &root.join("operator.pub"))?;
        Ok(Self {
            root: root.to_path_buf(),
            database: root.join("node.sqlite"),
            authority,
            tls,
            operator_key_path,
            operator,
            created,
        })
    }
}

/// Reads the operator key at `path`, or makes one (and its public text beside it).
fn operator_key(path: &Path, public_path: &Path) -> Result<IdentityKeyPair, DataDirError> {
    let failed = |reason: String| DataDirError::Key {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        let pkcs8 = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
        return IdentityKeyPair::from_pkcs8(&pkcs8).map_err(|error| failed(error.to_string()));
    }
    let (key, pkcs8) = IdentityKeyPair::generate(&SystemRandom::new()).map_err(|error| failed(error.to_string()))?;
    write_private(path, &pkcs8).map_err(|error| failed(error.to_string()))?;
    std::fs::write(public_path, format!("{}\n", key.public_key())).map_err(|error| failed(error.to_string()))?;
    Ok(key)
}

/// Creates `path` readable and writable by its owner only, and writes `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
