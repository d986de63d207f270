//! The node's data folder. On first start it is filled with what a one-node platform needs: a
//! cluster certificate authority and this node's certificate (for 127.0.0.1, localhost and the
//! address the API listens on), and an operator key; later starts reuse them. The folder is the
//! owner's alone (0700), private keys are 0600 and a later start refuses keys others can read.
//! Files are written under a temporary name and renamed, so a crash never leaves half of them.
//! A lock file keeps a second node off the same folder.
//!
//! Layout: `lock`, `node.sqlite` (+ WAL, `.snapshot`), `tls/authority.pem`, `tls/node.pem`,
//! `tls/node.key`, `operator.pk8` (PKCS#8 Ed25519), `operator.pub` (`ed25519:` text).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
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
    /// Another node holds the folder.
    #[error("another sealbid node is using {path}: stop it, or give this one its own data_dir")]
    Locked {
        /// The folder.
        path: String,
    },
    /// A private key is readable by others.
    #[error("{path} is readable by other users: run chmod 600 {path}")]
    Exposed {
        /// The file.
        path: String,
    },
    /// A private key (the operator's, the log's) could not be made or read.
    #[error("key {path}: {reason}")]
    Key {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

/// The file, in a data folder, of the key that signs checkpoints.
pub const LOG_KEY_FILE: &str = "log.pk8";

/// The prepared folder's files.
#[derive(Debug)]
pub struct DataDir {
    /// The folder.
    pub root: PathBuf,
    /// The SQLite database.
    pub database: PathBuf,
    /// The cluster authority's certificate: what clients trust.
    pub authority: PathBuf,
    /// This node's certificate (`tls/node.pem`), read again on a reload.
    pub certificate: PathBuf,
    /// This node's TLS key (`tls/node.key`), read again on a reload.
    pub key: PathBuf,
    /// This node's TLS identity.
    pub tls: ClusterTls,
    /// The operator's key file.
    pub operator_key_path: PathBuf,
    /// The operator's key.
    pub operator: IdentityKeyPair,
    /// Whether this start created the certificates and the key.
    pub created: bool,
    /// Held for the node's life: the folder's lock.
    _lock: std::fs::File,
}

impl DataDir {
    /// Opens `root`, creating it and its certificates (valid for 127.0.0.1, localhost and
    /// `hosts`) and operator key if missing.
    pub fn prepare(root: &Path, hosts: &[String]) -> Result<Self, DataDirError> {
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| DataDirError::Io { path, source }
        };
        if !root.exists() {
            std::fs::create_dir_all(root).map_err(io(root))?;
            std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700)).map_err(io(root))?;
        }
        let lock_path = root.join("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.try_lock().map_err(|_| DataDirError::Locked {
            path: root.display().to_string(),
        })?;
        let tls_folder = root.join("tls");
        let authority = tls_folder.join("authority.pem");
        let certificate = tls_folder.join("node.pem");
        let key = tls_folder.join("node.key");
        let created = !tls_folder.exists();
        if created {
            let mut names = vec!["127.0.0.1".to_string(), "localhost".to_string()];
            names.extend(
                hosts
                    .iter()
                    .filter(|host| !names.contains(host))
                    .cloned()
                    .collect::<Vec<_>>(),
            );
            let generated = ClusterCertificates::generate(1, &names)?;
            let (node_certificate, node_key) = generated.identities.first().cloned().ok_or_else(|| {
                DataDirError::Tls(TlsError::Pem {
                    what: "certificate chain",
                    reason: "no node identity was generated".into(),
                })
            })?;
            // Written in a side folder and renamed: the certificates appear whole or not at all.
            let partial = root.join("tls.partial");
            if partial.exists() {
                std::fs::remove_dir_all(&partial).map_err(io(&partial))?;
            }
            std::fs::create_dir(&partial).map_err(io(&partial))?;
            write_private(&partial.join("node.key"), node_key.as_bytes()).map_err(io(&key))?;
            std::fs::write(partial.join("node.pem"), node_certificate).map_err(io(&certificate))?;
            std::fs::write(partial.join("authority.pem"), &generated.authority).map_err(io(&authority))?;
            std::fs::rename(&partial, &tls_folder).map_err(io(&tls_folder))?;
        }
        refuse_exposed(&key)?;
        let read = |path: &Path| std::fs::read(path).map_err(io(path));
        let tls = ClusterTls::from_pem(&read(&certificate)?, &read(&key)?, &read(&authority)?)?;
        let operator_key_path = root.join("operator.pk8");
        let operator = operator_key(&operator_key_path, &root.join("operator.pub"))?;
        // The key that signs the audit log's checkpoints: the same on every node of a cluster
        // (`sealbid cluster certificates` writes it into each folder), made here for a lone node.
        private_key(&root.join(LOG_KEY_FILE))?;
        Ok(Self {
            root: root.to_path_buf(),
            database: root.join("node.sqlite"),
            authority,
            certificate,
            key,
            tls,
            operator_key_path,
            operator,
            created,
            _lock: lock,
        })
    }
}

impl DataDir {
    /// Reads `tls/node.pem` and `tls/node.key` again and presents them from the next handshake
    /// on (the API and node-to-node RPC alike). A pair that cannot be read, does not parse or
    /// does not belong together is refused and the pair in use kept.
    pub fn reload_tls(&self) -> Result<(), DataDirError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| DataDirError::Io {
                path: path.display().to_string(),
                source,
            })
        };
        refuse_exposed(&self.key)?;
        self.tls.reload(&read(&self.certificate)?, &read(&self.key)?)?;
        Ok(())
    }

    /// The key that signs checkpoints (read again from the folder: it is kept nowhere else).
    pub fn log_key(&self) -> Result<IdentityKeyPair, DataDirError> {
        private_key(&self.root.join(LOG_KEY_FILE)).map(|(key, _)| key)
    }

    /// The cluster's key for source tags, derived from the log key's file: every node of a
    /// cluster holds the same file, so every node tags an address alike.
    pub fn source_tag_key(&self) -> Result<sealbid_ledger::command::SourceTagKey, DataDirError> {
        private_key(&self.root.join(LOG_KEY_FILE))
            .map(|(_, pkcs8)| sealbid_ledger::command::SourceTagKey::derive(pkcs8.as_ref()))
    }
}

/// Refuses a private key file that others may read.
fn refuse_exposed(path: &Path) -> Result<(), DataDirError> {
    let mode = std::fs::metadata(path)
        .map_err(|source| DataDirError::Io {
            path: path.display().to_string(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(DataDirError::Exposed {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// Reads the operator key at `path`, or makes one (and its public text beside it).
fn operator_key(path: &Path, public_path: &Path) -> Result<IdentityKeyPair, DataDirError> {
    let (key, _) = private_key(path)?;
    if !public_path.exists() {
        std::fs::write(public_path, format!("{}\n", key.public_key())).map_err(|error| DataDirError::Key {
            path: public_path.display().to_string(),
            reason: error.to_string(),
        })?;
    }
    Ok(key)
}

/// Reads the Ed25519 key (PKCS#8) at `path`, refusing it if others may read it, or makes one;
/// the key and its PKCS#8 bytes.
fn private_key(path: &Path) -> Result<(IdentityKeyPair, Vec<u8>), DataDirError> {
    let failed = |reason: String| DataDirError::Key {
        path: path.display().to_string(),
        reason,
    };
    if path.exists() {
        refuse_exposed(path)?;
        let pkcs8 = std::fs::read(path).map_err(|error| failed(error.to_string()))?;
        let key = IdentityKeyPair::from_pkcs8(&pkcs8).map_err(|error| failed(error.to_string()))?;
        return Ok((key, pkcs8));
    }
    let (key, pkcs8) = IdentityKeyPair::generate(&SystemRandom::new()).map_err(|error| failed(error.to_string()))?;
    write_private(path, &pkcs8).map_err(|error| failed(error.to_string()))?;
    Ok((key, pkcs8))
}

/// Writes `bytes` to `path`, readable and writable by its owner only: under a temporary name,
/// fsynced, then renamed.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".partial");
    let temporary = PathBuf::from(temporary);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}
