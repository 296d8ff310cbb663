//! Migration from Terraform, both ways, with the real Terraform providers (built by
//! tests/terraform/build.sh), the real local control plane, the cloud simulator and the
//! controller binary; every step is asserted at the simulator (its admin API).
//!
//! Taking over: `terraform apply` makes a pool → a NodePool with the adopt annotation and the
//! same spec (Terraform's tags included) → the controller adopts it and writes its owner mark,
//! Terraform's tags stay → while Terraform still holds the pool, its plan would strip the mark →
//! `terraform state rm` and the resource block removed → `terraform plan` shows no change.
//! Going back: `deletionPolicy: Orphan`, delete the NodePool → the pool stays → `terraform
//! import` → `terraform apply` takes the pool back in place (same ID, the mark removed).
//!
//! CCE (huaweicloud provider) runs in the test command. ACK (alicloud provider) runs on demand,
//! because that provider's first build takes ~9 min and ~5 GB:
//! `cargo test --test terraform_migration -- --ignored`.

mod common;

use common::e2e::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams};
use nodepool_controller::crd::NodePool;
use serde_json::{Value, json};

const TF_POOL: &str = "tf-mig-00000";

/// What differs between the two clouds: the provider, its resource, and where the simulator
/// keeps a pool's name, ID, tags and phase.
struct Cloud {
    /// Terraform provider: tests/terraform/<provider>/main.tf.
    provider: &'static str,
    /// The simulator's key for the cloud in /_sim/pools and /_sim/counters.
    sim_key: &'static str,
    address: &'static str,
    /// The owner mark's two tag keys (UID, then the human-readable owner).
    owner_uid_tag: &'static str,
    owner_tag: &'static str,
    /// The owner tag's value is `namespace` SEP `name`.
    owner_sep: &'static str,
    create_op: &'static str,
    delete_op: &'static str,
    mutating_ops: &'static [&'static str],
}

const CCE: Cloud = Cloud {
    provider: "huaweicloud",
    sim_key: "huawei",
    address: "huaweicloud_cce_node_pool.pool[0]",
    owner_uid_tag: "nodepool-owner-uid",
    owner_tag: "nodepool-owner",
    owner_sep: "_",
    create_op: "CreateNodePool",
    delete_op: "DeleteNodePool",
    mutating_ops: &[
        "CreateNodePool",
        "UpdateNodePool",
        "ScaleNodePool",
        "DeleteNodePool",
    ],
};

const ACK: Cloud = Cloud {
    provider: "alicloud",
    sim_key: "alibaba",
    address: "alicloud_cs_kubernetes_node_pool.pool[0]",
    owner_uid_tag: "cloud.nodepool.dev/owner-uid",
    owner_tag: "cloud.nodepool.dev/owner",
    owner_sep: "/",
    create_op: "CreateClusterNodePool",
    delete_op: "DeleteClusterNodepool",
    mutating_ops: &[
        "CreateClusterNodePool",
        "ModifyClusterNodePool",
        "ScaleClusterNodePool",
        "DeleteClusterNodepool",
        "RemoveNodePoolNodes",
    ],
};

impl Cloud {
    fn is_huawei(&self) -> bool {
        self.sim_key == "huawei"
    }

    fn name_of<'a>(&self, pool: &'a Value) -> &'a Value {
        if self.is_huawei() {
            &pool["metadata"]["name"]
        } else {
            &pool["nodepool_info"]["name"]
        }
    }

    fn id_of<'a>(&self, pool: &'a Value) -> &'a Value {
        if self.is_huawei() {
            &pool["metadata"]["uid"]
        } else {
            &pool["nodepool_info"]["nodepool_id"]
        }
    }

    /// The pool's tags (CCE `userTags`, ACK `scaling_group.tags`), sorted.
    fn tags(&self, pool: &Value) -> Vec<(String, String)> {
        let list = if self.is_huawei() {
            &pool["spec"]["nodeTemplate"]["userTags"]
        } else {
            &pool["scaling_group"]["tags"]
        };
        let mut tags: Vec<(String, String)> = list
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

    fn deleting(&self, pool: &Value) -> bool {
        if self.is_huawei() {
            pool["status"]["phase"] == "Deleting"
        } else {
            pool["status"]["state"] == "deleting"
        }
    }

    /// `terraform import` ID: CCE `cluster/pool`, ACK `cluster:pool`.
    fn import_id(&self, id: &str) -> String {
        if self.is_huawei() {
            format!("{HW_CLUSTER}/{id}")
        } else {
            format!("{ALI_CLUSTER}:{id}")
        }
    }

    /// The NodePool that takes over the Terraform pool: the same spec as the HCL (pool name,
    /// machine type, disks, key pair, count and Terraform's two tags).
    fn takeover_nodepool(&self, id: &str) -> Value {
        let tf_tags =
            json!([{"key": "managed-by", "value": "terraform"}, {"key": "team", "value": "web"}]);
        let mut np = if self.is_huawei() {
            let mut np = huawei_pool("web", 1);
            let hw = &mut np["spec"]["huawei"];
            hw["name"] = json!(TF_POOL);
            hw["nodeTemplate"]["login"] = json!({"sshKey": "tf-keypair"});
            hw["nodeTemplate"]["userTags"] = tf_tags;
            hw["autoscaling"] = json!({"enable": false, "minNodeCount": 0, "maxNodeCount": 3});
            np
        } else {
            let mut np = alibaba_pool("web", 1);
            let ali = &mut np["spec"]["alibaba"];
            ali["nodepoolInfo"] = json!({"name": TF_POOL});
            let group = &mut ali["scalingGroup"];
            group["vswitchIds"] = json!(["vsw-tf0000000000000001"]);
            group["keyPair"] = json!("tf-keypair");
            group["tags"] = tf_tags;
            np
        };
        np["metadata"]["annotations"] = json!({"cloud.nodepool.dev/adopt-id": id});
        np
    }
}

/// The Terraform CLI of tests/terraform/cli.sh: $NODEPOOL_TERRAFORM, else `terraform` on PATH,
/// else a cached OpenTofu build.
fn terraform_cli() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("tests/terraform/cli.sh"))
        .output()
        .expect("tests/terraform/cli.sh runs");
    assert!(
        out.status.success(),
        "tests/terraform/cli.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// One Terraform working directory: tests/terraform/<provider>/main.tf, local state, the CLI
/// configuration of tests/terraform/cliconfig.sh (the cached provider build, no registry).
struct Terraform {
    cloud: &'static Cloud,
    bin: String,
    dir: PathBuf,
    sim: String,
}

impl Terraform {
    fn new(cloud: &'static Cloud, sim: &str, name: &str) -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("terraform-migration")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the working directory");
        std::fs::copy(
            root.join(format!("tests/terraform/{}/main.tf", cloud.provider)),
            dir.join("main.tf"),
        )
        .expect("copy main.tf");
        let out = Command::new(root.join("tests/terraform/cliconfig.sh"))
            .arg(dir.join("terraform.rc"))
            .arg(cloud.provider)
            .output()
            .expect("tests/terraform/cliconfig.sh runs");
        assert!(
            out.status.success(),
            "tests/terraform/cliconfig.sh (it builds the {} provider on first use): {}",
            cloud.provider,
            String::from_utf8_lossy(&out.stderr)
        );
        Terraform {
            cloud,
            bin: terraform_cli(),
            dir,
            sim: sim.to_string(),
        }
    }

    /// Sets the configuration's inputs: `pools` = 0 is the resource block removed.
    fn vars(&self, pools: u32) {
        let vars = if self.cloud.is_huawei() {
            json!({
                "cluster_ids": [HW_CLUSTER], "pools": pools, "name_prefix": "tf-mig",
                "node_count": 1, "max_node_count": 3, "team": "web"
            })
        } else {
            json!({
                "cluster_ids": [ALI_CLUSTER], "pools": pools, "name_prefix": "tf-mig",
                "node_count": 1, "team": "web"
            })
        };
        std::fs::write(self.dir.join("run.auto.tfvars.json"), vars.to_string())
            .expect("write the variables");
    }

    fn run(&self, args: &[&str]) -> (i32, String) {
        let bin = &self.bin;
        let start = Instant::now();
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraform.rc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1");
        if self.cloud.is_huawei() {
            cmd.env("TF_VAR_endpoint", &self.sim)
                .env("TF_VAR_project_id", PROJECT)
                .env("TF_VAR_access_key", HW_AK)
                .env("TF_VAR_secret_key", HW_SK);
        } else {
            // The alicloud provider takes host:port and `protocol = "HTTP"`.
            cmd.env("TF_VAR_endpoint", self.sim.trim_start_matches("http://"))
                .env("TF_VAR_access_key", ALI_AK)
                .env("TF_VAR_secret_key", ALI_SK);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{bin} does not run: {e}"));
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

/// The cloud's pools at the simulator.
async fn sim_pools(cloud: &Cloud, sim: &str) -> Vec<Value> {
    sim_get(sim, "pools").await[cloud.sim_key]
        .as_array()
        .unwrap_or_else(|| panic!("{} pools at the simulator", cloud.sim_key))
        .iter()
        .map(|p| p["pool"].clone())
        .collect()
}

async fn sim_pool(cloud: &Cloud, sim: &str, name: &str) -> Value {
    let pools = sim_pools(cloud, sim).await;
    let named: Vec<&Value> = pools.iter().filter(|p| cloud.name_of(p) == name).collect();
    assert_eq!(
        named.len(),
        1,
        "one pool named {name} at the simulator: {pools:?}"
    );
    named[0].clone()
}

fn tag<'a>(tags: &'a [(String, String)], key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Mutating calls counted by the simulator (creates, updates, scales, deletes).
async fn mutations(cloud: &Cloud, sim: &str) -> u64 {
    sim_count(sim, cloud.sim_key, |op, _| cloud.mutating_ops.contains(&op)).await
}

#[tokio::test]
async fn cce_pools_made_by_terraform_are_taken_over_and_handed_back() {
    take_over_and_hand_back(&CCE, "tf-migration").await;
}

#[tokio::test]
#[ignore = "the alicloud provider's first build takes ~9 min and ~5 GB: run with --ignored"]
async fn ack_pools_made_by_terraform_are_taken_over_and_handed_back() {
    take_over_and_hand_back(&ACK, "tf-migration-ack").await;
}

async fn take_over_and_hand_back(cloud: &'static Cloud, ns_prefix: &str) {
    let client = common::client().await;
    let ns = common::TestNamespace::new(&client, ns_prefix).await;
    let (_sim_proc, sim) = start_sim();
    create_secrets(&client, &ns.name).await;
    let _ctl = Ctl::new(&ns.name, &sim).start();
    let api: Api<NodePool> = Api::namespaced(client.clone(), &ns.name);
    let tf = Terraform::new(cloud, &sim, &ns.name);

    // Terraform makes the pool.
    tf.vars(1);
    tf.ok(&["apply", "-auto-approve", "-no-color"]);
    let pool = sim_pool(cloud, &sim, TF_POOL).await;
    let id = cloud.id_of(&pool).as_str().expect("an ID").to_string();
    let tf_tags = vec![
        ("managed-by".to_string(), "terraform".to_string()),
        ("team".to_string(), "web".to_string()),
    ];
    assert_eq!(
        cloud.tags(&pool),
        tf_tags,
        "Terraform's tags, no owner mark yet"
    );

    // A NodePool adopts it; the controller writes its mark next to Terraform's tags.
    create(&api, cloud.takeover_nodepool(&id)).await;
    let np = wait_ready(&api, "web", 1).await;
    let uid = np.metadata.uid.clone().expect("a UID");
    assert_eq!(
        np.status.as_ref().and_then(|s| s.id.as_deref()),
        Some(id.as_str())
    );
    let start = Instant::now();
    let pool = loop {
        let pool = sim_pool(cloud, &sim, TF_POOL).await;
        if tag(&cloud.tags(&pool), cloud.owner_uid_tag).is_some() {
            break pool;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no owner mark after 30s: {:?}",
            cloud.tags(&pool)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let t = cloud.tags(&pool);
    assert_eq!(cloud.id_of(&pool), &json!(id), "the same pool");
    assert_eq!(tag(&t, cloud.owner_uid_tag), Some(uid.as_str()));
    assert_eq!(
        tag(&t, cloud.owner_tag),
        Some(format!("{}{}web", ns.name, cloud.owner_sep).as_str())
    );
    assert_eq!(tag(&t, "managed-by"), Some("terraform"), "{t:?}");
    assert_eq!(tag(&t, "team"), Some("web"), "{t:?}");
    assert_eq!(
        t.len(),
        4,
        "Terraform's two tags and the two mark tags: {t:?}"
    );
    assert_eq!(
        sim_pools(cloud, &sim).await.len(),
        1,
        "no second pool was made"
    );
    assert_eq!(
        sim_count(&sim, cloud.sim_key, |op, out| op == cloud.create_op
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
        text.contains(cloud.owner_uid_tag) && text.contains("update in-place"),
        "{text}"
    );

    // Hand it over: out of the state, out of the configuration; Terraform plans nothing.
    let before = mutations(cloud, &sim).await;
    tf.ok(&["state", "rm", "-no-color", cloud.address]);
    tf.vars(0);
    let (rc, text) = tf.plan();
    assert_eq!(rc, 0, "no change after the hand-over:\n{text}");
    assert_eq!(
        mutations(cloud, &sim).await,
        before,
        "plan changed nothing at the cloud"
    );
    let pool = sim_pool(cloud, &sim, TF_POOL).await;
    assert_eq!(cloud.id_of(&pool), &json!(id));
    assert_eq!(
        tag(&cloud.tags(&pool), cloud.owner_uid_tag),
        Some(uid.as_str())
    );

    // Going back: the NodePool lets go (Orphan), the pool stays at the cloud.
    patch_spec(&api, "web", json!({"spec": {"deletionPolicy": "Orphan"}})).await;
    api.delete("web", &DeleteParams::default())
        .await
        .expect("delete the NodePool");
    wait_for(&api, "web", "gone", Duration::from_secs(60), |n| {
        n.is_none()
    })
    .await;
    let pool = sim_pool(cloud, &sim, TF_POOL).await;
    assert_eq!(cloud.id_of(&pool), &json!(id), "the pool stays");
    assert!(
        !cloud.deleting(&pool),
        "the pool is not being deleted: {pool}"
    );
    assert_eq!(
        sim_count(&sim, cloud.sim_key, |op, _| op == cloud.delete_op).await,
        0,
        "nothing was deleted"
    );

    // Terraform imports it and takes it back in place: the same pool, the mark removed.
    tf.vars(1);
    tf.ok(&["import", "-no-color", cloud.address, &cloud.import_id(&id)]);
    let shown = tf.ok(&["state", "show", "-no-color", cloud.address]);
    assert!(shown.contains(&id), "{shown}");
    // The plan changes the pool in place (the controller leaves its mark on a pool it lets go:
    // Terraform removes it); nothing is replaced or destroyed.
    let (rc, text) = tf.plan();
    assert_eq!(rc, 2, "{text}");
    assert!(
        text.contains("Plan: 0 to add, 1 to change, 0 to destroy.")
            && !text.contains("must be replaced")
            && text.contains(cloud.owner_uid_tag),
        "the import plans an in-place update that removes the mark:\n{text}"
    );
    tf.ok(&["apply", "-auto-approve", "-no-color"]);
    let pool = sim_pool(cloud, &sim, TF_POOL).await;
    assert_eq!(cloud.id_of(&pool), &json!(id), "the same pool");
    assert_eq!(cloud.tags(&pool), tf_tags, "Terraform's tags only");
    assert_eq!(sim_pools(cloud, &sim).await.len(), 1);
    let (rc, text) = tf.plan();
    assert_eq!(rc, 0, "Terraform is in charge again:\n{text}");
    ns.delete().await;
}
