//! Settings: each layer overrides the one below only where it names a setting, and bad values
//! are refused with a message that says what to fix.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use sealbid_node::{Layer, Settings, SettingsError};

fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

#[test]
fn nothing_configured_gives_the_documented_defaults() {
    let settings = Layer::default().settle().unwrap();
    assert_eq!(settings, Settings::default());
    assert_eq!(settings.data_dir, PathBuf::from("sealbid-data"));
    assert_eq!(settings.listen, "127.0.0.1:8443".parse::<SocketAddr>().unwrap());
    assert_eq!(settings.cluster_listen, "127.0.0.1:8444".parse::<SocketAddr>().unwrap());
}

#[test]
fn file_then_environment_then_flags() {
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("sealbid.toml");
    std::fs::write(
        &file,
        "data_dir = \"from-file\"\nlisten = \"127.0.0.1:9000\"\nnode_id = 4\n",
    )
    .unwrap();
    let file = Layer::from_file(&file).unwrap();
    let environment = Layer::from_environment(environment(&[
        ("SEALBID_LISTEN", "127.0.0.1:9001"),
        ("SEALBID_NODE_ID", "5"),
    ]))
    .unwrap();
    let flags = Layer {
        node_id: Some(6),
        ..Layer::default()
    };
    let settings = flags.over(environment.over(file)).settle().unwrap();
    assert_eq!(settings.data_dir, PathBuf::from("from-file"), "only the file names it");
    assert_eq!(
        settings.listen,
        "127.0.0.1:9001".parse::<SocketAddr>().unwrap(),
        "the environment beats the file"
    );
    assert_eq!(settings.node_id, 6, "flags beat everything");
    assert_eq!(
        settings.snapshot_every,
        Settings::default().snapshot_every,
        "nobody names it"
    );
}

#[test]
fn bad_values_are_refused_with_what_to_fix() {
    let invalid = |layer: Layer| match layer.settle() {
        Err(SettingsError::Invalid { name, fix, .. }) => (name, fix),
        other => panic!("expected an invalid setting, got {other:?}"),
    };
    let (name, fix) = invalid(Layer {
        listen: Some("localhost".into()),
        ..Layer::default()
    });
    assert_eq!(name, "listen");
    assert!(fix.contains("127.0.0.1:8443"), "{fix}");
    assert_eq!(
        invalid(Layer {
            node_id: Some(0),
            ..Layer::default()
        })
        .0,
        "node_id"
    );
    assert_eq!(
        invalid(Layer {
            commands_in_flight_max: Some(0),
            ..Layer::default()
        })
        .0,
        "commands_in_flight_max"
    );
    assert_eq!(
        invalid(Layer {
            snapshot_every: Some(5),
            ..Layer::default()
        })
        .0,
        "snapshot_every"
    );
    assert_eq!(
        invalid(Layer {
            listen: Some("127.0.0.1:7000".into()),
            cluster_listen: Some("127.0.0.1:7000".into()),
            ..Layer::default()
        })
        .0,
        "cluster_listen"
    );
    assert!(matches!(
        Layer::from_environment(environment(&[("SEALBID_NODE_ID", "one")])),
        Err(SettingsError::Invalid { name: "node_id", .. })
    ));

    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("sealbid.toml");
    std::fs::write(&file, "data_dir = \"x\"\nlisten_port = 8443\n").unwrap();
    match Layer::from_file(&file) {
        Err(SettingsError::Parse { reason, .. }) => assert!(reason.contains("listen_port"), "{reason}"),
        other => panic!("expected a parse error, got {other:?}"),
    }
    assert!(matches!(
        Layer::from_file(&folder.path().join("missing.toml")),
        Err(SettingsError::Read { .. })
    ));
}

#[test]
fn the_bound_on_commands_in_flight_comes_from_every_layer() {
    assert_eq!(Layer::default().settle().unwrap().commands_in_flight_max, 1024);
    let folder = tempfile::tempdir().unwrap();
    let file = folder.path().join("sealbid.toml");
    std::fs::write(&file, "commands_in_flight_max = 64\n").unwrap();
    let file = Layer::from_file(&file).unwrap();
    assert_eq!(file.clone().settle().unwrap().commands_in_flight_max, 64);
    let from_environment = Layer::from_environment(environment(&[("SEALBID_COMMANDS_IN_FLIGHT_MAX", "128")])).unwrap();
    assert_eq!(
        from_environment.over(file).settle().unwrap().commands_in_flight_max,
        128
    );
    let not_a_number = Layer::from_environment(environment(&[("SEALBID_COMMANDS_IN_FLIGHT_MAX", "many")]));
    assert!(matches!(
        not_a_number,
        Err(SettingsError::Invalid {
            name: "commands_in_flight_max",
            ..
        })
    ));
}

#[test]
fn host_names_listen_and_the_advertised_address_is_checked() {
    // A host name resolves: localhost is a loopback address.
    let settings = Layer {
        listen: Some("localhost:9443".into()),
        ..Layer::default()
    }
    .settle()
    .unwrap();
    assert!(
        settings.listen.ip().is_loopback() && settings.listen.port() == 9443,
        "{settings:?}"
    );
    let invalid = |layer: Layer| match layer.settle() {
        Err(SettingsError::Invalid { name, fix, .. }) => (name, fix),
        other => panic!("expected an invalid setting, got {other:?}"),
    };
    assert_eq!(
        invalid(Layer {
            listen: Some("no-such-host.invalid:9443".into()),
            ..Layer::default()
        })
        .0,
        "listen"
    );
    // Listening on every address needs an address the other nodes reach.
    let every = || Layer {
        cluster_listen: Some("0.0.0.0:8444".into()),
        ..Layer::default()
    };
    let (name, fix) = invalid(every());
    assert_eq!(name, "cluster_advertise");
    assert!(fix.contains("0.0.0.0:8444"), "{fix}");
    for bad in [
        "0.0.0.0:8444",
        "[::]:8444",
        "node1.example",
        "node1.example:0",
        ":8444",
        "::1:8444",
        "node 1:8444",
    ] {
        let (name, _) = invalid(Layer {
            cluster_advertise: Some(bad.into()),
            ..every()
        });
        assert_eq!(name, "cluster_advertise", "{bad}");
    }
    let environment =
        Layer::from_environment(environment(&[("SEALBID_CLUSTER_ADVERTISE", "node1.example:8444")])).unwrap();
    let settings = environment.over(every()).settle().unwrap();
    assert_eq!(settings.cluster_advertise.as_deref(), Some("node1.example:8444"));
    for good in ["10.0.0.1:8444", "[fd00::1]:8444"] {
        let layer = Layer {
            cluster_advertise: Some(good.into()),
            ..every()
        };
        assert_eq!(layer.settle().unwrap().cluster_advertise.as_deref(), Some(good));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_membership_records_the_advertised_address() {
    let overrides = Layer {
        cluster_advertise: Some("node-1.example:8444".into()),
        ..Layer::default()
    };
    let platform =
        crate::support::Platform::start_with(overrides, std::sync::Arc::new(sealbid_consensus::clock::SystemClock))
            .await;
    let application = platform.application.as_ref().unwrap();
    let metrics = application.replica.raft.metrics();
    let recorded = metrics
        .borrow()
        .membership_config
        .membership()
        .get_node(&1)
        .map(|node| node.addr.clone());
    assert_eq!(recorded.as_deref(), Some("node-1.example:8444"));
    platform.stop().await;
}
