//! Migration from Terraform, both ways, with the real huaweicloud Terraform provider (built by
//! tests/terraform/build.sh), the real local control plane, the cloud simulator and the
//! controller binary; every step is asserted at the simulator (its admin API).
//!
//! Taking over: `terraform apply` makes a CCE pool → a NodePool with the adopt annotation and
//! the same spec (Terraform's tags included) → the controller adopts it and writes its owner mark,
//! Terraform's tags stay → while Terraform still holds the pool, its plan would strip the mark →
//! `terraform state rm` and the resource block removed → `terraform plan` shows no change.
//! Going back: `deletionPolicy: Orphan`, delete the NodePool → the pool stays → `terraform
//! import` → `terraform apply` takes the pool back in place (same ID, the mark removed).

mod common;

use common::e2e::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams};
use nodepool_controller::crd::NodePool;
use serde_json::{Value, json};

const TF_POOL: &str = "tf-mig-00000";
const TF_ADDRESS: &str = "huaweicloud_cce_node_pool.pool[0]";

/// One Terraform working directory: tests/terraform/huaweicloud/main.tf, local state, the CLI
/// configuration of tests/terraform/cliconfig.sh (the cached provider build, no registry).
struct Terraform {
    dir: PathBuf,
    sim: String,
}

impl Terraform {
    fn new(sim: &str, name: &str) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("terraform-migration")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the working directory");
        std::fs::copy(
            root.join("tests/terraform/huaweicloud/main.tf"),
            dir.join("main.tf"),
        )
        .expect("copy main.tf");
        let out = Command::new(root.join("tests/terraform/cliconfig.sh"))
            .arg(dir.join("terraform.rc"))
            .arg("huaweicloud")
            .output()
            .expect("tests/terraform/cliconfig.sh runs");
        assert!(
            out.status.success(),
            "tests/terraform/cliconfig.sh (it builds the huaweicloud provider on first use): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Terraform {
            dir,
            sim: sim.to_string(),
        }
    }

    /// Sets the configuration's inputs: `pools` = 0 is the resource block removed.
    fn vars(&self, pools: u32) {
        let vars = json!({
            "cluster_ids": [HW_CLUSTER], "pools": pools, "name_prefix": "tf-mig",
            "node_count": 1, "max_node_count": 3, "team": "web"
        });
        std::fs::write(self.dir.join("run.auto.tfvars.json"), vars.to_string())
            .expect("write the variables");
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let bin = std::env::var("NODEPOOL_TERRAFORM").unwrap_or_else(|_| "terraform".into());
        let start = Instant::now();
        let out = Command::new(&bin)
            .args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraform.rc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_VAR_endpoint", &self.sim)
            .env("TF_VAR_project_id", PROJECT)
            .env("TF_VAR_access_key", HW_AK)
            .env("TF_VAR_secret_key", HW_SK)
            .output()
            .unwrap_or_else(|e| {
                panic!("{bin} does not run ({e}): this test needs the Terraform CLI on PATH")
            });
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "terraform {} -> {:?} in {:.1?}",
            args.join(" "),
            out.status.code(),
            start.elapsed()
        );
        (out.status.code().unwrap_or(-1), text)
    }

    fn ok(&self, args: &[&str]) -> String {
        let (rc, text) = self.run(args);
        assert_eq!(rc, 0, "terraform {}:\n{text}", args.join(" "));
        text
    }

    /// `terraform plan -detailed-exitcode`: (0 no change | 2 changes, output).
    fn plan(&self) -> (i32, String) {
        let (rc, text) = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert!(rc == 0 || rc == 2, "terraform plan failed ({rc}):\n{text}");
        (rc, text)
    }
}

/// The CCE pools at the simulator, by name.
async fn sim_pools(sim: &str) -> Vec<Value> {
    sim_get(sim, "pools").await["huawei"]
        .as_array()
        .expect("huawei pools")
        .iter()
        .map(|p| p["pool"].clone())
        .collect()
}

async fn sim_pool(sim: &str, name: &str) -> Value {
    let pools = sim_pools(sim).await;
    let named: Vec<&Value> = pools
        .iter()
        .filter(|p| p["metadata"]["name"] == name)
        .collect();
    assert_eq!(
        named.len(),
        1,
        "one pool named {name} at the simulator: {pools:?}"
    );
    named[0].clone()
}

fn tags(pool: &Value) -> Vec<(String, String)> {
    let mut tags: Vec<(String, String)> = pool["spec"]["nodeTemplate"]["userTags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["key"].as_str().unwrap_or_default().to_string(),
                t["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    tags.sort();
    tags
}

fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Mutating CCE calls counted by the simulator (creates, updates, scales, deletes).
async fn mutations(sim: &str) -> u64 {
    sim_count(sim, "huawei", |op, _| {
        matches!(
            op,
            "CreateNodePool" | "UpdateNodePool" | "ScaleNodePool" | "DeleteNodePool"
        )
    })
    .await
}

/// The NodePool that takes over the Terraform pool: the same spec as the HCL (pool name, flavor,
/// zone, OS, key pair, disks, autoscaling and Terraform's two tags).
fn takeover_nodepool(id: &str) -> Value {
    let mut np = huawei_pool("web", 1);
    np["metadata"]["annotations"] = json!({"cloud.nodepool.dev/adopt-id": id});
    let hw = &mut np["spec"]["huawei"];
    hw["name"] = json!(TF_POOL);
    hw["nodeTemplate"]["login"] = json!({"sshKey": "tf-keypair"});
    hw["nodeTemplate"]["userTags"] =
        json!([{"key": "managed-by", "value": "terraform"}, {"key": "team", "value": "web"}]);
    hw["autoscaling"] = json!({"enable": false, "minNodeCount": 0, "maxNodeCount": 3});
    np
}

#[tokio::test]
async fn terraform_pools_are_taken_over_and_handed_back() {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, "tf-migration").await;
    let (_sim_proc, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _ctl = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let tf = Terraform::new(&sim, &ns.name);

    // Terraform makes the pool.
    tf.vars(1);
    tf.ok(&["apply", "-auto-approve", "-no-color"]);
    let pool = sim_pool(&sim, TF_POOL).await;
    let id = pool["metadata"]["uid"].as_str().expect("an ID").to_string();
    let tf_tags = vec![
        ("managed-by".to_string(), "terraform".to_string()),
        ("team".to_string(), "web".to_string()),
    ];
    assert_eq!(tags(&pool), tf_tags, "Terraform's tags, no owner mark yet");

    // A NodePool adopts it; the controller writes its mark next to Terraform's tags.
    create(&api, takeover_nodepool(&id)).await;
    let np = wait_ready(&api, "web", 1).await;
    let uid = np.metadata.uid.clone().expect("a UID");
    assert_eq!(
        np.status.as_ref().and_then(|s| s.id.as_deref()),
        Some(id.as_str())
    );
    let start = Instant::now();
    let pool = loop {
        let pool = sim_pool(&sim, TF_POOL).await;
        if tag(&tags(&pool), "nodepool-owner-uid").is_some() {
            break pool;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no owner mark after 30s: {:?}",
            tags(&pool)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let t = tags(&pool);
    assert_eq!(pool["metadata"]["uid"], json!(id), "the same pool");
    assert_eq!(tag(&t, "nodepool-owner-uid"), Some(uid.as_str()));
    assert_eq!(
        tag(&t, "nodepool-owner"),
        Some(format!("{}_web", ns.name).as_str())
    );
    assert_eq!(tag(&t, "managed-by"), Some("terraform"), "{t:?}");
    assert_eq!(tag(&t, "team"), Some("web"), "{t:?}");
    assert_eq!(
        t.len(),
        4,
        "Terraform's two tags and the two mark tags: {t:?}"
    );
    assert_eq!(sim_pools(&sim).await.len(), 1, "no second pool was made");
    assert_eq!(
        sim_count(&sim, "huawei", |op, out| op == "CreateNodePool"
            && out == "ok")
        .await,
        1,
        "only Terraform's create"
    );

    // While Terraform still holds the pool in its state, its next apply would strip the mark.
    let (rc, text) = tf.plan();
    assert_eq!(
        rc, 2,
        "Terraform sees the controller's tags as drift:\n{text}"
    );
    assert!(
        text.contains("nodepool-owner-uid") && text.contains("update in-place"),
        "{text}"
    );

    // Hand it over: out of the state, out of the configuration; Terraform plans nothing.
    let before = mutations(&sim).await;
    tf.ok(&["state", "rm", "-no-color", TF_ADDRESS]);
    tf.vars(0);
    let (rc, text) = tf.plan();
    assert_eq!(rc, 0, "no change after the hand-over:\n{text}");
    assert_eq!(
        mutations(&sim).await,
        before,
        "plan changed nothing at the cloud"
    );
    let pool = sim_pool(&sim, TF_POOL).await;
    assert_eq!(pool["metadata"]["uid"], json!(id));
    assert_eq!(tag(&tags(&pool), "nodepool-owner-uid"), Some(uid.as_str()));

    // Going back: the NodePool lets go (Orphan), the pool stays at the cloud.
    patch_spec(&api, "web", json!({"spec": {"deletionPolicy": "Orphan"}})).await;
    api.delete("web", &DeleteParams::default())
        .await
        .expect("delete the NodePool");
    wait_for(&api, "web", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    let pool = sim_pool(&sim, TF_POOL).await;
    assert_eq!(pool["metadata"]["uid"], json!(id), "the pool stays");
    assert_ne!(pool["status"]["phase"], json!("Deleting"));
    assert_eq!(
        sim_count(&sim, "huawei", |op, _| op == "DeleteNodePool").await,
        0,
        "nothing was deleted"
    );

    // Terraform imports it and takes it back in place: the same pool, the mark removed.
    tf.vars(1);
    tf.ok(&[
        "import",
        "-no-color",
        TF_ADDRESS,
        &format!("{HW_CLUSTER}/{id}"),
    ]);
    let shown = tf.ok(&["state", "show", "-no-color", TF_ADDRESS]);
    assert!(shown.contains(&id), "{shown}");
    // The plan changes the pool in place (the controller leaves its mark on a pool it lets go:
    // Terraform removes it); nothing is replaced or destroyed.
    let (rc, text) = tf.plan();
    assert_eq!(rc, 2, "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy.")
            && !text.contains("must be replaced")
            && text.contains("nodepool-owner-uid"),
        "the import plans an in-place update that removes the mark:\n{text}"
    );
    tf.ok(&["apply", "-auto-approve", "-no-color"]);
    let pool = sim_pool(&sim, TF_POOL).await;
    assert_eq!(pool["metadata"]["uid"], json!(id), "the same pool");
    assert_eq!(tags(&pool), tf_tags, "Terraform's tags only");
    assert_eq!(sim_pools(&sim).await.len(), 1);
    let (rc, text) = tf.plan();
    assert_eq!(rc, 0, "Terraform is in charge again:\n{text}");
    ns.delete().await;
}
