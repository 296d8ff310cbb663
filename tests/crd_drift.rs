//! `crds/` is generated from the Rust types; this fails when a checked-in file drifts from
//! them. Regenerate with `cargo run -- crd nodepool > crds/nodepool.yaml` and
//! `cargo run -- crd cloudaccount > crds/cloudaccount.yaml`.

#[test]
fn checked_in_crds_match_the_types() {
    for (file, kind, generated) in [
        (
            "nodepool.yaml",
            "nodepool",
            nodepool_controller::crd::crd_yaml(),
        ),
        (
            "cloudaccount.yaml",
            "cloudaccount",
            nodepool_controller::crd::account_crd_yaml(),
        ),
    ] {
        let path = format!("{}/crds/{file}", env!("CARGO_MANIFEST_DIR"));
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            on_disk == generated,
            "crds/{file} differs from the Rust types; run `cargo run -- crd {kind} > crds/{file}`"
        );
    }
}

#[test]
fn crd_directory_holds_only_generated_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/crds");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("crds/ exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, vec!["cloudaccount.yaml", "nodepool.yaml"]);
}

#[test]
fn the_crd_command_prints_every_crd() {
    let all = nodepool_controller::crd::all_crds_yaml();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&all)
        .map(|d| serde::Deserialize::deserialize(d).expect("each document is YAML"))
        .collect();
    let kinds: Vec<&str> = docs
        .iter()
        .map(|d| {
            d["spec"]["names"]["kind"]
                .as_str()
                .expect("a CRD names its kind")
        })
        .collect();
    assert_eq!(kinds, ["NodePool", "CloudAccount"]);
}
