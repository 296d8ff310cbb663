#!/usr/bin/env python3
"""Terraform's node-pool lifecycle against the cloud simulator, asserted at the simulator.

    lifecycle.py --provider huaweicloud|alicloud --sim BINARY --dir DIR

apply (two pools, tagged) -> plan shows no change -> apply with a new node count, a new value of
the `team` tag (and on ACK a new system disk size) -> the same pools, changed in place -> plan
shows no change -> destroy -> no pool left.
Started by tests/terraform/run.sh.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as h  # noqa: E402

POOLS = 2


def fail(msg):
    h.log(f"FAIL: {msg}")
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def huawei_view(pool):
    spec, tmpl = pool["spec"], pool["spec"]["nodeTemplate"]
    return {
        "id": pool["metadata"]["uid"],
        "cluster": pool["_cluster_id"],
        "nodes": spec["initialNodeCount"],
        
        "tags": {t["key"]: t["value"] for t in tmpl.get("userTags") or []},
        "flavor": tmpl.get("flavor"),
        "phase": pool["status"]["phase"],
    }


def alibaba_view(pool):
    sg = pool["scaling_group"]
    return {
        "id": pool["nodepool_info"]["nodepool_id"],
        "cluster": pool["_cluster_id"],
        "nodes": sg.get("desired_size"),
        "tags": {t["key"]: t["value"] for t in sg.get("tags") or []},
        "disk": sg.get("system_disk_size"),
        "flavor": (sg.get("instance_types") or [None])[0],
        "phase": pool["status"]["state"],
    }


CLOUD = {"huaweicloud": ("huawei", huawei_view, "CreateNodePool", ("UpdateNodePool",),
                         "DeleteNodePool", "huawei-tf"),
         "alicloud": ("alibaba", alibaba_view, "CreateClusterNodePool",
                      ("ModifyClusterNodePool", "ScaleClusterNodePool"),
                      "DeleteClusterNodepool", "alicloud-tf")}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--provider", choices=sorted(CLOUD), required=True)
    p.add_argument("--sim", required=True, help="the nodepool-cloudsim binary")
    p.add_argument("--dir", required=True, help="working directory (state, logs)")
    args = p.parse_args()
    # A stopped test command stops the simulator and Terraform too (the finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cloud, view, create_op, update_op, delete_op, prefix = CLOUD[args.provider]
    args.dir = os.path.abspath(args.dir)
    os.makedirs(args.dir, exist_ok=True)
    hw, ali = (h.hw_clusters(1), []) if cloud == "huawei" else ([], h.ali_clusters(1))
    cfg = h.sim_config(os.path.join(args.dir, "cloudsim.yaml"), hw=hw, ali=ali)
    cli = h.write_cli_config(os.path.join(args.dir, "terraform.rc"), [args.provider])
    sim = h.Sim(args.sim, cfg, os.path.join(args.dir, "cloudsim.log"))
    t_start = time.monotonic()
    try:
        tf = h.Terraform(args.provider, os.path.join(args.dir, "work"), cli, sim.url,
                         {"cluster_ids": hw or ali, "pools": POOLS, "name_prefix": prefix,
                          "node_count": 1, "team": "web"})
        names = [f"{prefix}-{i:05d}" for i in range(POOLS)]

        h.log(f"apply: {POOLS} pools")
        before = sim.counters()
        r = tf.apply()
        d = h.diff(sim.counters(), before)
        pools = {n: view(p) for n, p in sim.pools(cloud).items()}
        check(sorted(pools) == names, f"the simulator holds {sorted(pools)}, not {names}")
        for n, v in pools.items():
            check(v["nodes"] == 1, f"{n}: {v['nodes']} nodes, not 1")
            check(v["tags"].get("managed-by") == "terraform" and v["tags"].get("team") == "web",
                  f"{n}: tags {v['tags']}")
            if cloud == "alibaba":
                check(v["disk"] == 120, f"{n}: system disk {v['disk']}")
            check(v["cluster"] == (hw or ali)[0], f"{n}: cluster {v['cluster']}")
        check(h.count(d, create_op, "ok") == POOLS, f"creates at the simulator: {d}")
        ids = {n: v["id"] for n, v in pools.items()}
        h.log(f"  applied in {r.seconds:.1f}s, {sum(d.values())} cloud requests, peak "
              f"{r.peak_mib:.0f} MiB; pools {ids}")

        rc, r = tf.plan_changes()
        check(rc == 0, f"plan after apply wants changes:\n{r.out[-3000:]}")

        if cloud == "huawei":
            h.log("apply: node count 1 -> 2, tag team web -> batch")
            tf.variables.update({"node_count": 2, "team": "batch"})
        else:
            h.log("apply: node count 1 -> 2, system disk 120 -> 200 GiB, tag team web -> batch")
            tf.variables.update({"node_count": 2, "system_disk_size": 200, "team": "batch"})
        before = sim.counters()
        r = tf.apply()
        d = h.diff(sim.counters(), before)
        pools = {n: view(p) for n, p in sim.pools(cloud).items()}
        check({n: v["id"] for n, v in pools.items()} == ids,
              f"the update replaced pools: {ids} -> {pools}")
        for n, v in pools.items():
            check(v["nodes"] == 2, f"{n}: {v['nodes']} nodes after the update, not 2")
            check(v["tags"].get("team") == "batch" and v["tags"].get("managed-by") == "terraform",
                  f"{n}: tags after the update {v['tags']}")
            if cloud == "alibaba":
                check(v["disk"] == 200, f"{n}: system disk after the update {v['disk']}")
        check(h.count(d, create_op) == 0 and h.count(d, delete_op) == 0,
              f"the update created or deleted: {d}")
        check(sum(h.count(d, op, "ok") for op in update_op) >= POOLS,
              f"updates at the simulator: {d}")
        h.log(f"  updated in {r.seconds:.1f}s, {sum(d.values())} cloud requests")

        rc, r = tf.plan_changes()
        check(rc == 0, f"plan after the update wants changes:\n{r.out[-3000:]}")

        h.log("destroy")
        before = sim.counters()
        r = tf.destroy()
        d = h.diff(sim.counters(), before)
        left = sim.pools(cloud)
        check(not left, f"pools left at the simulator after destroy: {sorted(left)}")
        check(h.count(d, delete_op, "ok") == POOLS, f"deletes at the simulator: {d}")
        h.log(f"  destroyed in {r.seconds:.1f}s, {sum(d.values())} cloud requests")
    finally:
        sim.stop()
    h.log(f"PASS: {args.provider} lifecycle in {time.monotonic() - t_start:.0f}s "
          f"(logs in {args.dir})")


if __name__ == "__main__":
    main()
