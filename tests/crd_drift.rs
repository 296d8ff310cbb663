//! `crds/` is generated from the Rust types; this fails when the checked-in
//! file drifts from them. Regenerate with
//! `cargo run -- crd > crds/nodepool.yaml`.

#[test]
fn checked_in_crd_matches_the_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/crds/nodepool.yaml");
    let on_disk = std::fs::read_to_string(path).expect("crds/nodepool.yaml exists");
    let generated = nodepool_controller::crd::crd_yaml();
    assert!(
        on_disk == generated,
        "crds/nodepool.yaml differs from the Rust types; run `cargo run -- crd > crds/nodepool.yaml`"
    );
}

#[test]
fn crd_directory_holds_only_generated_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/crds");
    let names: Vec<String> = std::fs::read_dir(dir)
        .expect("crds/ exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, vec!["nodepool.yaml".to_string()]);
}
