//! Helpers shared by the test modules.

use std::path::PathBuf;

/// The repository root (the crate's parent folder).
pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `../shared/vectors` relative to the repository root, as the vectors' README says.
pub fn vectors_folder() -> PathBuf {
    let folder = repository_root().join("../shared/vectors");
    assert!(
        folder.is_dir(),
        "the shared test vectors are missing at {}",
        folder.display()
    );
    folder
}

/// Decodes hex text.
pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Every `*.json` file below `folder`, sorted.
pub fn json_files(folder: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|extension| extension == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}
