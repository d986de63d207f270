//! The node's current snapshot, as a file beside its database. Writing it there instead of in
//! SQLite keeps the database writer free while hundreds of MiB are written: log appends go on.
//!
//! The file is written to a temporary name, fsynced and renamed over the current one (then the
//! folder is fsynced), so a crash leaves the old snapshot or the new one, never half of one.
//! Layout: the metadata's length (8 bytes, big-endian), the metadata as JSON, the data.

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use openraft::{BasicNode, SnapshotMeta};

/// Snapshot metadata.
type Meta = SnapshotMeta<u64, BasicNode>;

/// Metadata longer than this is refused when reading (it is a few hundred bytes).
const META_BYTES_MAX: u64 = 1024 * 1024;

/// What is gathered before each write to the file: an encoder writes in small pieces.
const WRITE_BUFFER_BYTES: usize = 256 * 1024;

/// Why a snapshot file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotFileError {
    /// The file system refused.
    #[error("snapshot file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a snapshot.
    #[error("snapshot file {path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The current snapshot's file. Cloning shares the lock that keeps saves one at a time.
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    /// The current snapshot.
    path: PathBuf,
    /// Saves run one at a time, so the newer-or-equal check and the rename are one step.
    saving: Arc<tokio::sync::Mutex<()>>,
}

impl SnapshotFile {
    /// The snapshot file beside `database` (its name with `.snapshot` added).
    pub fn beside(database: &std::path::Path) -> Self {
        let mut name = database.as_os_str().to_owned();
        name.push(".snapshot");
        Self {
            path: PathBuf::from(name),
            saving: Arc::default(),
        }
    }

    /// The current snapshot's metadata and data, if there is one.
    pub async fn load(&self) -> Result<Option<(Meta, Vec<u8>)>, SnapshotFileError> {
        let path = self.path.clone();
        run_blocking(move || read(&path, true)).await
    }

    /// Makes `data` the current snapshot unless the current one covers more of the log (a
    /// snapshot built from an older copy never replaces one installed meanwhile).
    pub async fn save(&self, meta: &Meta, data: Arc<Vec<u8>>) -> Result<(), SnapshotFileError> {
        self.save_with(meta, move |file| file.write_all(&data)).await
    }

    /// As [`Self::save`], with the data written by `write_data` straight into the file as it
    /// is produced, so that a snapshot of hundreds of MiB is never held in memory whole.
    /// `write_data` runs off the async threads, and not at all when the current snapshot
    /// covers more of the log.
    pub async fn save_with(
        &self,
        meta: &Meta,
        write_data: impl FnOnce(&mut dyn Write) -> std::io::Result<()> + Send + 'static,
    ) -> Result<(), SnapshotFileError> {
        let _one_at_a_time = self.saving.lock().await;
        let (path, meta) = (self.path.clone(), meta.clone());
        run_blocking(move || {
            let newest = read(&path, false)?.and_then(|(current, _)| current.last_log_id);
            if newest > meta.last_log_id {
                return Ok(());
            }
            write(&path, &meta, write_data)
        })
        .await
    }
}

/// Runs file work off the async threads.
async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, SnapshotFileError> + Send + 'static,
) -> Result<T, SnapshotFileError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| SnapshotFileError::Io {
            path: String::new(),
            source: std::io::Error::other(error),
        })?
}

/// Reads the metadata, and the data too with `with_data`; `None` if there is no file.
fn read(path: &std::path::Path, with_data: bool) -> Result<Option<(Meta, Vec<u8>)>, SnapshotFileError> {
    let io = |source| SnapshotFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let damaged = |reason: String| SnapshotFileError::Damaged {
        path: path.display().to_string(),
        reason,
    };
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io(error)),
    };
    // A file cut short is damaged, not unreadable.
    let short = |error: std::io::Error| {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            damaged("the file ends early".into())
        } else {
            io(error)
        }
    };
    let mut length = [0u8; 8];
    file.read_exact(&mut length).map_err(short)?;
    let length = u64::from_be_bytes(length);
    if length > META_BYTES_MAX {
        return Err(damaged(format!("metadata of {length} bytes")));
    }
    let mut meta = vec![0u8; usize::try_from(length).map_err(|error| damaged(error.to_string()))?];
    file.read_exact(&mut meta).map_err(short)?;
    let meta: Meta = serde_json::from_slice(&meta).map_err(|error| damaged(error.to_string()))?;
    let mut data = Vec::new();
    if with_data {
        file.read_to_end(&mut data).map_err(io)?;
    }
    Ok(Some((meta, data)))
}

/// Writes a temporary file (the data by `write_data`), fsyncs it, renames it over `path` and
/// fsyncs the folder.
fn write(
    path: &std::path::Path,
    meta: &Meta,
    write_data: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), SnapshotFileError> {
    let io = |source| SnapshotFileError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = serde_json::to_vec(meta).map_err(|error| io(std::io::Error::other(error)))?;
    let mut temporary_name = path.as_os_str().to_owned();
    temporary_name.push(".writing");
    let temporary = PathBuf::from(temporary_name);
    let mut file = std::io::BufWriter::with_capacity(WRITE_BUFFER_BYTES, File::create(&temporary).map_err(io)?);
    file.write_all(&(meta.len() as u64).to_be_bytes()).map_err(io)?;
    file.write_all(&meta).map_err(io)?;
    write_data(&mut file).map_err(io)?;
    let file = file.into_inner().map_err(|error| io(error.into_error()))?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(io)?;
    // The rename is durable once the folder is (a bare file name lives in the current folder).
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => std::path::Path::new("."),
    };
    File::open(folder).and_then(|folder| folder.sync_all()).map_err(io)?;
    Ok(())
}
