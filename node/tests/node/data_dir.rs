//! The data folder: one node at a time, private keys kept private, and the operator key checked
//! against the ledger it started.

use std::os::unix::fs::PermissionsExt;

use sealbid_node::data_dir::{DataDir, DataDirError};
use sealbid_node::{Application, BuildError, Layer};

fn layer(folder: &std::path::Path) -> Layer {
    Layer {
        data_dir: Some(folder.display().to_string()),
        listen: Some("127.0.0.1:0".into()),
        cluster_listen: Some("127.0.0.1:0".into()),
        ..Layer::default()
    }
}

#[test]
fn the_folder_is_private_locked_and_its_keys_must_stay_private() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("data");
    let first = DataDir::prepare(&root, &[]).unwrap();
    assert!(first.created);
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&root), 0o700);
    assert_eq!(mode(&root.join("operator.pk8")), 0o600);
    assert_eq!(mode(&root.join("tls/node.key")), 0o600);

    // A second node on the same folder is refused while the first holds it.
    assert!(matches!(DataDir::prepare(&root, &[]), Err(DataDirError::Locked { .. })));
    let public = first.operator.public_key();
    drop(first);
    let again = DataDir::prepare(&root, &[]).unwrap();
    assert!(!again.created);
    assert_eq!(again.operator.public_key(), public, "the key is reused");
    drop(again);

    // A key others can read is refused.
    std::fs::set_permissions(root.join("operator.pk8"), std::fs::Permissions::from_mode(0o644)).unwrap();
    match DataDir::prepare(&root, &[]) {
        Err(error @ DataDirError::Exposed { .. }) => assert!(error.to_string().contains("chmod 600"), "{error}"),
        other => panic!("expected the exposed key to be refused, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_refuses_an_operator_key_that_did_not_start_its_ledger() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path().join("data");
    let settings = layer(&root).settle().unwrap();
    Application::build(&settings).await.unwrap().stop().await;

    // Another operator key in place of the first.
    std::fs::remove_file(root.join("operator.pk8")).unwrap();
    let other = DataDir::prepare(&root, &[]).unwrap();
    drop(other);
    match Application::build(&settings).await {
        Err(BuildError::Cluster(message)) => assert!(message.contains("not this ledger's operator"), "{message}"),
        Ok(_) => panic!("a foreign operator key was accepted"),
        Err(other) => panic!("unexpected error {other}"),
    }
}
