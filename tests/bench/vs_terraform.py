#!/usr/bin/env python3
"""Side by side: the same N node pools made with `terraform apply` (the huaweicloud and alicloud
providers, one state, one apply) and with NodePools through the controller, against the same
simulator limits (rate limit per account, latency, provisioning time).

Started by tests/bench/vs-terraform.sh once the control plane is up. For each N and each tool
the simulator is reset (pools, counters, rate-limit buckets), so every run starts alike. Every
cloud figure comes from the simulator's counters; "all ready" is read at the simulator for both
tools (every pool present and settled), and additionally as `terraform apply` exiting and as
every NodePool Ready.

Writes report-terraform.json into --dir; the table goes to stdout.
"""

import argparse
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "terraform"))
import bench as b  # noqa: E402
import harness as h  # noqa: E402

ROOT_VARS = """\
# Both clouds in one configuration and one state, as a team with both would keep them.
variable "hw_node_count_overrides" {
  type    = map(number)
  default = {}
}
"""

MODULES = {
    "huawei": """
variable "hw_endpoint" { type = string }
variable "hw_access_key" { type = string }
variable "hw_secret_key" {
  type      = string
  sensitive = true
}
variable "hw_project_id" { type = string }
variable "hw_clusters" { type = list(string) }
variable "hw_pools" { type = number }

module "cce" {
  source               = "./huaweicloud"
  endpoint             = var.hw_endpoint
  access_key           = var.hw_access_key
  secret_key           = var.hw_secret_key
  project_id           = var.hw_project_id
  cluster_ids          = var.hw_clusters
  pools                = var.hw_pools
  name_prefix          = "tf-cce"
  node_count_overrides = var.hw_node_count_overrides
}
""",
    "alibaba": """
variable "ali_endpoint" { type = string }
variable "ali_access_key" { type = string }
variable "ali_secret_key" {
  type      = string
  sensitive = true
}
variable "ali_clusters" { type = list(string) }
variable "ali_pools" { type = number }

module "ack" {
  source      = "./alicloud"
  endpoint    = var.ali_endpoint
  access_key  = var.ali_access_key
  secret_key  = var.ali_secret_key
  cluster_ids = var.ali_clusters
  pools       = var.ali_pools
  name_prefix = "tf-ack"
}
""",
}


def settled(cloud, pool):
    if cloud == "huawei":
        return pool["status"]["phase"] == "" and pool["status"]["currentNode"] >= 1
    return pool["status"]["state"] == "active" and pool["status"]["total_nodes"] >= 1


class ReadyWatch:
    """Polls /_sim/pools every second; records when `want` pools of each cloud are settled."""

    def __init__(self, sim, want):
        self.sim, self.want, self.t0 = sim, want, time.monotonic()
        self.at = None

    def poll(self):
        if self.at is not None:
            return True
        doc = self.sim.get("/_sim/pools")
        ok = all(sum(1 for p in doc[cloud] if settled(cloud, p["pool"])) >= n
                 for cloud, n in self.want.items())
        if ok:
            self.at = time.monotonic() - self.t0
        return ok


def split(args, n):
    """Pools per cloud for N: the benchmark's own split (cluster i % clusters, half CCE)."""
    per = b.pools_per_account(n, args.clusters)
    if "alibaba" not in args.clouds:
        per = {"huawei": n}
    if "huawei" not in args.clouds:
        per = {"alibaba": n}
    return per


def tf_setup(args, sim, n, parallelism_label):
    hw, ali = b.clusters(args.clusters)
    per = split(args, n)
    files = {"main.tf": ROOT_VARS + "".join(MODULES[c] for c in args.clouds)}
    env, variables = {}, {}
    if "huawei" in args.clouds:
        with open(os.path.join(h.HERE, "huaweicloud", "main.tf")) as f:
            files["huaweicloud/main.tf"] = f.read()
        env.update(h.provider_env("huaweicloud", sim.url, b.HW_AK, b.HW_SK, "hw_"))
        variables.update({"hw_clusters": [c.split("/")[1] for c in hw],
                          "hw_pools": per["huawei"]})
    if "alibaba" in args.clouds:
        with open(os.path.join(h.HERE, "alicloud", "main.tf")) as f:
            files["alicloud/main.tf"] = f.read()
        env.update(h.provider_env("alicloud", sim.url, b.ALI_AK, b.ALI_SK, "ali_"))
        variables.update({"ali_clusters": ali, "ali_pools": per["alibaba"]})
    work = os.path.join(args.dir, f"tf-{n}-{parallelism_label}")
    if os.path.isdir(work):
        import shutil
        shutil.rmtree(work)
    tf = h.Terraform("both", work, args.cli_config, sim.url, variables, env=env, files=files)
    # Installs the local modules only: providers come from dev_overrides (init would look them up).
    tf.run("get", "-no-color")
    return tf, per


def reset(sim):
    req = b.urllib.request.Request(sim.url + "/_sim/reset", data=b"", method="POST")
    with b.urllib.request.urlopen(req, timeout=30) as r:
        r.read()


def run_terraform(args, sim, n, parallelism):
    reset(sim)
    label = f"p{parallelism}"
    tf, per = tf_setup(args, sim, n, label)
    b.log(f"terraform apply -parallelism={parallelism}: {n} pools {per}")
    watch = ReadyWatch(sim, per)
    before = sim.counters()
    # The watch runs beside the apply; the apply's own sampling loop measures memory.
    import threading
    stop = threading.Event()

    def watcher():
        while not stop.is_set() and not watch.poll():
            time.sleep(1)

    t = threading.Thread(target=watcher, daemon=True)
    t.start()
    r = tf.run("apply", "-auto-approve", "-no-color", f"-parallelism={parallelism}",
               timeout=args.timeout)
    stop.set()
    t.join()
    watch.poll()
    delta = b.diff(sim.counters(), before)
    cloud = b.summarize(delta, n)
    out = {"tool": "terraform", "pools": n, "per_cloud": per, "parallelism": parallelism,
           "seconds_apply": round(r.seconds, 1),
           "seconds_to_all_ready_at_cloud": round(watch.at, 1) if watch.at else None,
           "cloud_requests": cloud,
           "peak_rss_mib": round(r.peak_mib, 1), "peak_rss_mib_by_process": r.peak_by_name_mib}
    # What a change to one pool costs: plan (refresh of the whole state), then apply.
    before = sim.counters()
    tf.variables["hw_node_count_overrides"] = {"0": 2}
    rc, p = tf.plan_changes(f"-parallelism={parallelism}")
    plan_delta = b.diff(sim.counters(), before)
    if rc != 2:
        b.die(f"terraform plan did not see the one-pool change:\n{p.out[-2000:]}")
    before = sim.counters()
    a = tf.apply(f"-parallelism={parallelism}")
    apply_delta = b.diff(sim.counters(), before)
    out["change_one_pool"] = {
        "plan_seconds": round(p.seconds, 1), "plan_requests": sum(plan_delta.values()),
        "apply_seconds": round(a.seconds, 1), "apply_requests": sum(apply_delta.values()),
        "apply_by_operation": b.summarize(apply_delta, 1)["by_operation"],
        "peak_rss_mib": round(max(p.peak_mib, a.peak_mib), 1)}
    b.log(f"  apply {r.seconds:.0f}s, all ready at the cloud {out['seconds_to_all_ready_at_cloud']}s, "
          f"{cloud['total']} requests ({cloud['per_pool']:.1f}/pool, {cloud['throttled']} throttled), "
          f"peak {r.peak_mib:.0f} MiB; one-pool change: plan {p.seconds:.0f}s/"
          f"{sum(plan_delta.values())} req, apply {a.seconds:.0f}s/{sum(apply_delta.values())} req")
    return out


def run_controller(args, sim, kube, n):
    reset(sim)
    # A fresh namespace per run: NodePools of an earlier run must not count.
    ns = f"vs-tf-{n}-{int(time.time())}"
    args.namespace = ns
    status, _ = kube.request("POST", "/api/v1/namespaces",
                             {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if status not in (201, 409):
        b.die(f"creating namespace {ns}: HTTP {status}")
    b.create_credentials(kube, ns)
    per = split(args, n)
    ids = [i for i in range(n * 2) if ("huawei" if i % args.clusters < args.clusters - args.clusters // 2
                                         else "alibaba") in per][:n]
    ctrl = b.Controller(args, b.measured_flags(args, args.storm_resync_seconds),
                        f"controller-vs-tf-{n}.log")
    try:
        b.log(f"controller: {n} NodePools {per}")
        watch = ReadyWatch(sim, per)
        before = sim.counters()
        t0 = time.monotonic()
        path = kube.nodepools_path(ns)
        for i in ids:
            status, text = kube.request("POST", path, b.nodepool(i, args.clusters, ns))
            if status >= 300 and status != 409:
                b.die(f"creating np-{i:05d}: HTTP {status}: {text[:300]!r}")
        elapsed = b.wait_ready(kube, args, n, args.timeout, t0=t0, ctrl=ctrl)
        while not watch.poll():
            time.sleep(0.5)
        delta = b.diff(sim.counters(), before)
        cloud = b.summarize(delta, n)
        _, hwm, cpu = ctrl.stats()
        out = {"tool": "controller", "pools": n, "per_cloud": per,
               "seconds_to_all_ready": round(elapsed, 1),
               "seconds_to_all_ready_at_cloud": round(watch.at, 1),
               "cloud_requests": cloud, "peak_rss_mib": round(hwm, 1)}
        # One pool changed: the first CCE NodePool to two nodes.
        first = next(i for i in ids if i % args.clusters < args.clusters - args.clusters // 2) \
            if "huawei" in per else ids[0]
        name = f"np-{first:05d}"
        time.sleep(2)
        before = sim.counters()
        t0 = time.monotonic()
        patch = ({"spec": {"huawei": {"initialNodeCount": 2}}} if "huawei" in per
                 else {"spec": {"alibaba": {"scalingGroup": {"desiredSize": 2}}}})
        kube.ok("PATCH", f"{path}/{name}", patch, ctype="application/merge-patch+json")
        while True:
            np = json.loads(kube.ok("GET", f"{path}/{name}"))
            conds = {c["type"]: c for c in np.get("status", {}).get("conditions", [])}
            ready = conds.get("Ready", {})
            if ready.get("status") == "True" and ready.get("observedGeneration") == np["metadata"]["generation"] \
                    and np["status"].get("observedGeneration") == np["metadata"]["generation"]:
                break
            if time.monotonic() - t0 > args.timeout:
                b.die(f"{name} not Ready after the change")
            time.sleep(0.2)
        secs = time.monotonic() - t0
        d = b.diff(sim.counters(), before)
        out["change_one_pool"] = {"seconds": round(secs, 1), "requests": sum(d.values()),
                                  "by_operation": b.summarize(d, 1)["by_operation"]}
        b.log(f"  all Ready {elapsed:.0f}s (cloud {watch.at:.0f}s), {cloud['total']} requests "
              f"({cloud['per_pool']:.1f}/pool, {cloud['throttled']} throttled), peak {hwm:.0f} MiB; "
              f"one-pool change {secs:.1f}s/{sum(d.values())} req")
        return out
    finally:
        ctrl.stop(signal.SIGTERM)


def table(rows):
    head = ["N", "tool", "all ready s (cloud)", "serial floor s", "requests/pool", "throttled",
            "peak MiB", "one-pool change"]
    lines = [head]
    for r in rows:
        c = r["cloud_requests"]
        if r["tool"] == "terraform":
            tool = f"terraform -parallelism={r['parallelism']}"
            ready = f"{r['seconds_apply']} ({r['seconds_to_all_ready_at_cloud']})"
            ch = r["change_one_pool"]
            change = (f"plan {ch['plan_seconds']}s/{ch['plan_requests']} req + "
                      f"apply {ch['apply_seconds']}s/{ch['apply_requests']} req")
        else:
            tool = "controller"
            ready = f"{r['seconds_to_all_ready']} ({r['seconds_to_all_ready_at_cloud']})"
            ch = r["change_one_pool"]
            change = f"{ch['seconds']}s/{ch['requests']} req"
        lines.append([str(r["pools"]), tool, ready, str(r["serial_floor_seconds"]),
                      f"{c['per_pool']:.2f}", f"{c['throttled']} ({100 * c['throttled_fraction']:.1f}%)",
                      str(r["peak_rss_mib"]), change])
    w = [max(len(l[i]) for l in lines) for i in range(len(head))]
    out = []
    for k, l in enumerate(lines):
        out.append("  ".join(x.ljust(w[i]) for i, x in enumerate(l)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w[i] for i in range(len(head))))
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--kubectl", required=True)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--controller", required=True)
    p.add_argument("--sim", required=True, help="the nodepool-cloudsim binary")
    p.add_argument("--cli-config", required=True)
    p.add_argument("--sizes", default="50,200")
    p.add_argument("--parallelism", default="10,50", help="terraform -parallelism values")
    p.add_argument("--clouds", default="huawei,alibaba")
    p.add_argument("--metrics-port", type=int, default=18291)
    p.add_argument("--clusters", type=int, default=10)
    p.add_argument("--rate-per-minute", type=int, default=600)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--provision-seconds", type=float, default=60)
    p.add_argument("--node-seconds", type=float, default=10)
    p.add_argument("--poll-seconds", type=float, default=10)
    p.add_argument("--storm-resync-seconds", type=int, default=300)
    p.add_argument("--resync-seconds", type=int, default=300)
    p.add_argument("--cloud-rate", type=float, default=None)
    p.add_argument("--cloud-burst", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--timeout", type=float, default=3600)
    p.add_argument("--loader-threads", type=int, default=8)
    args = p.parse_args()
    args.clouds = args.clouds.split(",")
    args.scope = "namespace"
    if args.cloud_rate is None:
        args.cloud_rate = args.rate_per_minute / 60
    args.dir = os.path.abspath(args.dir)
    args.cli_config = os.path.abspath(args.cli_config)
    os.makedirs(args.dir, exist_ok=True)
    cfg_path = os.path.join(args.dir, "cloudsim-vs-terraform.yaml")
    with open(cfg_path, "w") as f:
        json.dump(b.sim_config(args), f, indent=1)
    sim = h.Sim(args.sim, cfg_path, os.path.join(args.dir, "cloudsim-vs-terraform.log"))
    args.sim_url = sim.url
    kube = b.Kube(args.kubectl, args.kubeconfig)
    rows = []
    report = {"inputs": {"clusters": args.clusters, "clouds": args.clouds,
                         "rate_limit_per_minute_per_account": args.rate_per_minute,
                         "latency_ms": args.latency_ms,
                         "provision_seconds": args.provision_seconds,
                         "node_seconds": args.node_seconds,
                         "controller": {"poll_seconds": args.poll_seconds,
                                        "resync_seconds": args.storm_resync_seconds,
                                        "cloud_rate": args.cloud_rate,
                                        "cloud_burst": args.cloud_burst,
                                        "concurrency": args.concurrency},
                         "providers": {"huaweicloud": os.environ.get("HUAWEICLOUD_VERSION"),
                                       "alicloud": os.environ.get("ALICLOUD_VERSION")}},
              "runs": rows}
    try:
        for n in [int(x) for x in args.sizes.split(",")]:
            per = split(args, n)
            floor = round(max(per.values()) / (args.rate_per_minute / 60.0)
                          + args.provision_seconds + args.node_seconds, 1)
            # The controller first: the long Terraform runs come last, and every run is in
            # the report as soon as it ends.
            r = run_controller(args, sim, kube, n)
            r["serial_floor_seconds"] = floor
            rows.append(r)
            write(args, report)
            for par in [int(x) for x in args.parallelism.split(",")]:
                r = run_terraform(args, sim, n, par)
                r["serial_floor_seconds"] = floor
                rows.append(r)
                write(args, report)
    finally:
        sim.stop()
    print(table(rows))


def write(args, report):
    path = os.path.join(args.dir, "report-terraform.json")
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
