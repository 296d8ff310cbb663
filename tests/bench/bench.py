#!/usr/bin/env python3
"""The benchmark's driver (standard library only; the plot is done by plot.py).

Started by tests/bench/run.sh once the control plane and the cloud simulator are up. It creates
the NodePools, starts and restarts the release controller (writing its PID to
$BENCH_DIR/controller.pid so that run.sh's EXIT trap can stop it), measures the three scenarios
and writes report.json and phases.jsonl.

Every cloud request figure comes from the simulator's own counters (GET /_sim/counters).
"""

import argparse
import base64
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

CLK_TCK = os.sysconf("SC_CLK_TCK")
GROUP = "cloud.nodepool.dev"
VERSION = "v1alpha1"

HW_AK, HW_SK = "BENCHHUAWEIACCESSKEY1", "bench-huawei-secret-key"
ALI_AK, ALI_SK = "LTAIbenchAlibabaKey01", "bench-alibaba-secret"
HW_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
HW_REGION, ALI_REGION = "cn-north-4", "cn-hangzhou"

# Operations that read one pool, list the pools of a cluster, or create one (simulator names).
POOL_READS = {"ShowNodePool", "DescribeClusterNodePoolDetail"}
LISTS = {"ListNodePools", "DescribeClusterNodePools"}
CREATES = {"CreateNodePool", "CreateClusterNodePool"}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(f"error: {msg}")
    sys.exit(1)


# --- clusters and objects ------------------------------------------------------------------------

def clusters(n):
    """n cloud clusters: the first half CCE (project/cluster), the rest ACK."""
    hw = [f"{HW_PROJECT}/be7c{i:04d}-5c6d-11ee-8c90-0255ac100b03" for i in range(n - n // 2)]
    ali = [f"cbench{i:04d}8bfbc4c4c999af2b51b65f3a" for i in range(n // 2)]
    return hw, ali


def sim_config(args):
    hw, ali = clusters(args.clusters)
    spec = {"rate_limit_per_minute": args.rate_per_minute, "latency_ms": args.latency_ms}
    return {
        "huawei": {"accounts": [{"access_key": HW_AK, "secret_key": HW_SK}], "clusters": hw},
        "alibaba": {"accounts": [{"access_key": ALI_AK, "secret_key": ALI_SK}], "clusters": ali},
        "timings": {"provision_seconds": args.provision_seconds, "node_seconds": args.node_seconds,
                    "delete_seconds": 5, "update_seconds": 2},
        "faults": {"accounts": {HW_AK: dict(spec), ALI_AK: dict(spec)}},
    }


def nodepool(i, ncl, namespace):
    """NodePool number i: cluster i % ncl; the first half of the clusters are CCE, one node each."""
    hw, ali = clusters(ncl)
    c = i % ncl
    name = f"np-{i:05d}"
    meta = {"name": name, "namespace": namespace, "labels": {"bench": "nodepool"}}
    if c < len(hw):
        project, cluster = hw[c].split("/")
        spec = {"credentialsRef": {"name": "huawei-credentials"}, "huawei": {
            "region": HW_REGION, "projectId": project, "clusterId": cluster,
            "initialNodeCount": 1, "type": "vm",
            "nodeTemplate": {"flavor": "s6.large.2", "az": "az1.dc1", "os": "EulerOS 2.5",
                             "login": {"sshKey": "bench"},
                             "rootVolume": {"volumetype": "SATA", "size": 40},
                             "dataVolumes": [{"volumetype": "SATA", "size": 100,
                                              "extendParam": {"useType": "docker"}}],
                             "billingMode": 0}}}
    else:
        spec = {"credentialsRef": {"name": "alibaba-credentials"}, "alibaba": {
            "regionId": ALI_REGION, "clusterId": ali[c - len(hw)],
            "nodepoolInfo": {"name": name},
            "scalingGroup": {"vswitchIds": ["vsw-bench0000000000000001"],
                             "instanceTypes": ["ecs.g7.xlarge"],
                             "systemDiskCategory": "cloud_essd", "systemDiskSize": 120,
                             "instanceChargeType": "PostPaid", "keyPair": "bench",
                             "desiredSize": 1}}}
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "NodePool", "metadata": meta, "spec": spec}


def pools_per_account(n, ncl):
    hw, _ = clusters(ncl)
    per = {"huawei": 0, "alibaba": 0}
    for i in range(n):
        per["huawei" if i % ncl < len(hw) else "alibaba"] += 1
    return per


# --- Kubernetes API (admin token from the kubeconfig) --------------------------------------------

class Kube:
    def __init__(self, kubectl, kubeconfig):
        def view(path):
            return subprocess.run(
                [kubectl, f"--kubeconfig={kubeconfig}", "config", "view", "--raw", "--minify",
                 "-o", f"jsonpath={path}"], check=True, capture_output=True, text=True).stdout
        server = view("{.clusters[0].cluster.server}")
        ca = base64.b64decode(view("{.clusters[0].cluster.certificate-authority-data}")).decode()
        self.token = view("{.users[0].user.token}")
        hostport = server.split("://", 1)[1].rstrip("/")
        self.host, port = hostport.rsplit(":", 1)
        self.port = int(port)
        self.ctx = ssl.create_default_context(cadata=ca)
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "conn", None)
        if c is None:
            # A Table list of 10,000 NodePools can take the API server over a minute on a busy
            # 2-core machine: wait for it rather than fail the run.
            c = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=300)
            self.local.conn = c
        return c

    def request(self, method, path, body=None, ctype="application/json", accept="application/json"):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": accept}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = ctype
        for attempt in range(3):
            c = self.conn()
            try:
                c.request(method, path, body=data, headers=headers)
                r = c.getresponse()
                text = r.read()
                return r.status, text
            except (OSError, http.client.HTTPException):
                c.close()
                self.local.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.2)

    def ok(self, method, path, body=None, **kw):
        status, text = self.request(method, path, body, **kw)
        if status >= 300:
            die(f"{method} {path}: HTTP {status}: {text[:500]!r}")
        return text

    def nodepools_path(self, ns):
        return f"/apis/{GROUP}/{VERSION}/namespaces/{ns}/nodepools"

    def first_stalled(self, ns):
        """'name: reason: message' of a NodePool with Stalled=True, or None. A benchmark has no
        reason to stall: one means the setup is wrong, and waiting longer shows nothing."""
        doc = json.loads(self.ok("GET", self.nodepools_path(ns) + "?labelSelector=bench%3Dnodepool"))
        for item in doc.get("items", []):
            for c in (item.get("status") or {}).get("conditions") or []:
                if c.get("type") == "Stalled" and c.get("status") == "True":
                    return f"{item['metadata']['name']}: {c.get('reason')}: {c.get('message')}"
        return None

    def phase_table(self, ns):
        """(phase counts, Ready=True count, total) from one server-side Table list."""
        text = self.ok("GET", self.nodepools_path(ns) + "?labelSelector=bench%3Dnodepool",
                       accept="application/json;as=Table;v=v1;g=meta.k8s.io")
        table = json.loads(text)
        cols = [c["name"] for c in table["columnDefinitions"]]
        pi, ri = cols.index("Phase"), cols.index("Ready")
        counts, ready = {}, 0
        for row in table["rows"]:
            phase = row["cells"][pi] or "(none)"
            counts[phase] = counts.get(phase, 0) + 1
            if row["cells"][ri] == "True":
                ready += 1
        return counts, ready, len(table["rows"])

    def apiserver_requests(self):
        """apiserver_request_total summed by resource and verb, for what the controller uses."""
        text = self.ok("GET", "/metrics", accept="text/plain").decode()
        out = {}
        for line in text.splitlines():
            if not line.startswith("apiserver_request_total{"):
                continue
            labels, value = line.rsplit(" ", 1)
            lab = dict(kv.split("=", 1) for kv in labels[len("apiserver_request_total{"):-1]
                       .split('",') if "=" in kv)
            lab = {k: v.strip('"') for k, v in lab.items()}
            res = lab.get("resource", "")
            if res not in ("nodepools", "secrets", "events", "leases"):
                continue
            key = f"{res}{'/' + lab['subresource'] if lab.get('subresource') else ''} {lab.get('verb')}"
            out[key] = out.get(key, 0) + int(float(value))
        return out


# --- simulator and controller --------------------------------------------------------------------

class Sim:
    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=30) as r:
            return json.load(r)

    def put(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)

    def counters(self):
        return {(c["cloud"], c["operation"], c["outcome"]): c["count"]
                for c in self.get("/_sim/counters")["counters"]}

    def pool_count(self):
        p = self.get("/_sim/pools")
        return len(p["huawei"]) + len(p["alibaba"])


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def summarize(delta, pools):
    """Cloud request figures from a counter delta."""
    by_op, by_outcome = {}, {}
    for (cloud, op, outcome), n in delta.items():
        by_op[f"{cloud}/{op}"] = by_op.get(f"{cloud}/{op}", 0) + n
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
    total = sum(delta.values())
    throttled = by_outcome.get("throttled", 0)
    return {
        "total": total,
        "by_operation": dict(sorted(by_op.items())),
        "by_outcome": dict(sorted(by_outcome.items())),
        "throttled": throttled,
        "throttled_fraction": throttled / total if total else 0.0,
        "creates": sum(n for (_, op, _), n in delta.items() if op in CREATES),
        "pool_reads": sum(n for (_, op, _), n in delta.items() if op in POOL_READS),
        "lists": sum(n for (_, op, _), n in delta.items() if op in LISTS),
        "per_pool": total / pools if pools else 0.0,
    }


def proc_stats(pid):
    """(VmRSS MiB, VmHWM MiB, CPU seconds) of a live process."""
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)
    return rss, hwm, cpu


class Controller:
    def __init__(self, args, flags, logname):
        self.args = args
        env = dict(os.environ)
        env.update({"KUBECONFIG": args.kubeconfig,
                    "NODEPOOL_HUAWEI_ENDPOINT": args.sim_url,
                    "NODEPOOL_ALIBABA_ENDPOINT": args.sim_url,
                    "RUST_LOG": os.environ.get("BENCH_RUST_LOG", "info,kube=warn")})
        cmd = [args.controller, "run", "--http-addr", f"127.0.0.1:{args.metrics_port}"]
        if args.scope == "namespace":
            cmd += ["--namespace", args.namespace]
        cmd += flags
        self.cmd = cmd
        self.logf = open(os.path.join(args.dir, logname), "ab")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.logf, stderr=self.logf,
                                     stdin=subprocess.DEVNULL)
        self.started = time.monotonic()
        with open(os.path.join(args.dir, "controller.pid"), "w") as f:
            f.write(str(self.proc.pid))
        log(f"controller started (pid {self.proc.pid}): {' '.join(cmd[1:])}")

    def alive(self):
        return self.proc.poll() is None

    def check(self):
        if not self.alive():
            die(f"the controller exited with {self.proc.returncode}; see {self.logf.name}")

    def stats(self):
        self.check()
        return proc_stats(self.proc.pid)

    def reconciles(self):
        """Sum of nodepool_reconcile_total (all outcomes) from the controller's /metrics."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.args.metrics_port}/metrics",
                                        timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return 0
        return sum(int(float(l.rsplit(" ", 1)[1])) for l in text.splitlines()
                   if l.startswith("nodepool_reconcile_total"))

    def stop(self, sig=signal.SIGTERM):
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        try:
            os.remove(os.path.join(self.args.dir, "controller.pid"))
        except FileNotFoundError:
            pass


def measured_flags(args, resync=None):
    resync = args.resync_seconds if resync is None else resync
    return ["--resync-seconds", str(resync), "--poll-seconds", str(args.poll_seconds),
            "--cloud-rate", str(args.cloud_rate), "--cloud-burst", str(args.cloud_burst),
            "--concurrency", str(args.concurrency)]


# --- scenarios -----------------------------------------------------------------------------------

def create_pools(kube, args, start, count):
    path = kube.nodepools_path(args.namespace)

    def one(i):
        status, text = kube.request("POST", path, nodepool(i, args.clusters, args.namespace))
        if status == 409:
            return
        if status >= 300:
            raise RuntimeError(f"creating np-{i:05d}: HTTP {status}: {text[:400]!r}")

    with ThreadPoolExecutor(args.loader_threads) as ex:
        for f in [ex.submit(one, i) for i in range(start, start + count)]:
            f.result()


def create_credentials(kube, ns):
    """The two credentials Secrets the NodePools name: type Opaque with the credentials label,
    or the controller does not read them."""
    for name, data in (("huawei-credentials", {"accessKey": HW_AK, "secretKey": HW_SK}),
                       ("alibaba-credentials", {"accessKeyId": ALI_AK, "accessKeySecret": ALI_SK})):
        status, text = kube.request("POST", f"/api/v1/namespaces/{ns}/secrets",
                                    {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                                     "metadata": {"name": name, "labels": {
                                         "cloud.nodepool.dev/credentials": "true"}},
                                     "stringData": data})
        if status not in (201, 409):
            die(f"creating secret {name}: HTTP {status} {text[:300]!r}")


def wait_ready(kube, args, n, timeout, samples=None, t0=None, ctrl=None, every=1.0):
    """Polls the Table list until n NodePools are Ready; returns seconds since t0."""
    t0 = t0 or time.monotonic()
    deadline = time.monotonic() + timeout
    last_log = 0
    while True:
        counts, ready, total = kube.phase_table(args.namespace)
        now = time.monotonic()
        if samples is not None:
            samples.append({"t": round(now - t0, 2), "ready": ready, "total": total,
                            "phases": counts})
        if ready >= n:
            return now - t0
        if ctrl:
            ctrl.check()
        if now > deadline:
            die(f"only {ready} of {n} NodePools Ready after {timeout:.0f}s (phases {counts})")
        if now - last_log > 15:
            log(f"  {now - t0:6.1f}s: {ready}/{n} Ready, phases {counts}")
            last_log = now
            stalled = kube.first_stalled(args.namespace)
            if stalled:
                die(f"a NodePool is Stalled, so the run cannot finish: {stalled}")
        time.sleep(max(0.0, every - (time.monotonic() - now)))


def floor_of(args, n):
    per = pools_per_account(n, args.clusters)
    provisioning = args.provision_seconds + args.node_seconds  # one node per pool
    rate = args.rate_per_minute / 60.0
    minimal = 2 * n
    req_floor = max(2 * p for p in per.values()) / rate
    return provisioning, minimal, req_floor, max(provisioning, req_floor)


def serial_floor_of(args, n):
    """A tighter bound than the issue's floor: the last create cannot go out before every create
    of its account has (the cloud's rate) and is Ready a provisioning time later."""
    per = pools_per_account(n, args.clusters)
    return max(per.values()) / (args.rate_per_minute / 60.0) + args.provision_seconds + args.node_seconds


def storm(kube, sim, args, ctrl):
    n = args.pools
    log(f"create storm: {n} NodePools over {args.clusters} clusters")
    before = sim.counters()
    api_before = kube.apiserver_requests()
    _, hwm0, cpu0 = ctrl.stats()
    samples = []
    t0 = time.monotonic()
    create_pools(kube, args, 0, n)
    applied = time.monotonic() - t0
    log(f"  all {n} NodePools created in the apiserver in {applied:.1f}s")
    elapsed = wait_ready(kube, args, n, args.timeout, samples=samples, t0=t0, ctrl=ctrl)
    delta = diff(sim.counters(), before)
    api = diff(kube.apiserver_requests(), api_before)
    rss, hwm, cpu = ctrl.stats()
    provisioning, minimal, req_floor, floor = floor_of(args, n)
    cloud = summarize(delta, n)
    return {
        "scenario": "create_storm",
        "inputs": common_inputs(args) | {"pools": n},
        "applied_seconds": round(applied, 2),
        "seconds_to_all_ready": round(elapsed, 2),
        "floor": {"provisioning_seconds": provisioning, "minimal_requests": minimal,
                  "minimal_requests_per_account_over_rate_seconds": round(req_floor, 2),
                  "floor_seconds": round(floor, 2),
                  "serial_floor_seconds": round(serial_floor_of(args, n), 2)},
        "ratio_to_floor": round(elapsed / floor, 3),
        "ratio_to_serial_floor": round(elapsed / serial_floor_of(args, n), 3),
        "cloud_requests": cloud,
        "extra_requests_per_pool": round((cloud["total"] - minimal) / n, 3),
        "controller": {"peak_rss_mib": round(hwm, 1), "rss_mib_at_end": round(rss, 1),
                       "cpu_seconds": round(cpu - cpu0, 2)},
        "apiserver_requests": api,
        "apiserver_requests_total": sum(api.values()),
        "phase_samples": len(samples),
    }, samples


def fill(kube, sim, args, have, want):
    """Brings the Ready NodePools from `have` to `want` quickly: the simulator's limit and latency
    are lifted and a fast controller does the work; both are restored afterwards. Not measured."""
    log(f"fill: creating NodePools {have}..{want} with limits lifted (not measured)")
    faults = sim.get("/_sim/faults")
    sim.put("/_sim/faults", {**faults, "accounts": {}})
    ctrl = Controller(args, ["--resync-seconds", "3600", "--poll-seconds", "2",
                             "--cloud-rate", "1000", "--cloud-burst", "1000",
                             "--concurrency", "64"], "controller-fill.log")
    try:
        t0 = time.monotonic()
        create_pools(kube, args, have, want - have)
        wait_ready(kube, args, want, max(args.timeout, want * 0.5), ctrl=ctrl, every=15.0)
        log(f"fill: {want} Ready after {time.monotonic() - t0:.0f}s")
    finally:
        ctrl.stop()
        sim.put("/_sim/faults", faults)


def steady(kube, sim, args, ctrl, n):
    log(f"steady state: {n} Ready NodePools for {args.steady_seconds:.0f}s")
    before = sim.counters()
    api_before = kube.apiserver_requests()
    rss0, _, cpu0 = ctrl.stats()
    t0 = time.monotonic()
    rss_samples = [rss0]
    while time.monotonic() - t0 < args.steady_seconds:
        time.sleep(min(5.0, max(0.1, args.steady_seconds - (time.monotonic() - t0))))
        rss_samples.append(ctrl.stats()[0])
    window = time.monotonic() - t0
    rss, hwm, cpu = ctrl.stats()
    delta = diff(sim.counters(), before)
    api = diff(kube.apiserver_requests(), api_before)
    cloud = summarize(delta, n)
    per_hour = cloud["total"] * 3600 / window
    resyncs = window / args.resync_seconds
    return {
        "scenario": "steady_state",
        "inputs": common_inputs(args) | {"pools": n, "window_seconds": round(window, 1)},
        "controller": {"rss_mib_max": round(max(rss_samples), 1),
                       "rss_mib_mean": round(sum(rss_samples) / len(rss_samples), 1),
                       "peak_rss_mib_process": round(hwm, 1),
                       "cpu_seconds": round(cpu - cpu0, 2),
                       "cpu_percent_of_one_core": round(100 * (cpu - cpu0) / window, 2)},
        "cloud_requests": cloud,
        "cloud_requests_per_hour": round(per_hour),
        "cloud_requests_per_cluster_per_resync": round(cloud["total"] / args.clusters / resyncs, 2),
        "target_requests_per_hour_one_list_per_cluster": round(args.clusters * 3600 / args.resync_seconds),
        "apiserver_requests": api,
        "apiserver_requests_per_hour": round(sum(api.values()) * 3600 / window),
    }


def restart(kube, sim, args, ctrl, n):
    log(f"restart: killing the controller (SIGKILL) and starting it again with {n} NodePools")
    ctrl.stop(signal.SIGKILL)
    before = sim.counters()
    api_before = kube.apiserver_requests()
    ctrl = Controller(args, measured_flags(args), "controller-restart.log")
    hw, ali = clusters(args.clusters)
    per = pools_per_account(n, args.clusters)
    t_reconciled = t_read = None
    deadline = time.monotonic() + max(args.timeout, n * 2 / (args.rate_per_minute / 60) * 3)
    last_log = 0
    while t_reconciled is None or t_read is None:
        now = time.monotonic()
        ctrl.check()
        if t_reconciled is None and ctrl.reconciles() >= n:
            t_reconciled = now - ctrl.started
        d = diff(sim.counters(), before)
        reads = sum(v for (_, op, out), v in d.items() if op in POOL_READS and out == "ok")
        lists = sum(v for (_, op, out), v in d.items() if op in LISTS and out == "ok")
        # Read at the cloud: per cloud, as many successful single-pool reads as it has pools
        # (or, for a controller that lists, as many lists as it has clusters).
        covered = all(
            sum(v for (c, op, out), v in d.items() if c == cloud and op in POOL_READS and out == "ok")
            >= per[cloud]
            or sum(v for (c, op, out), v in d.items() if c == cloud and op in LISTS and out == "ok")
            >= ncl
            for cloud, ncl in (("huawei", len(hw)), ("alibaba", len(ali))))
        if t_read is None and covered:
            t_read = now - ctrl.started
        if now > deadline:
            die(f"restart: not every NodePool re-checked after {now - ctrl.started:.0f}s "
                f"(reconciles {ctrl.reconciles()}, pool reads {reads}, lists {lists})")
        if now - last_log > 15:
            log(f"  {now - ctrl.started:6.1f}s: reconciles {ctrl.reconciles()}, pool reads {reads}")
            last_log = now
        time.sleep(0.25)
    recheck = max(t_reconciled, t_read)
    delta = diff(sim.counters(), before)
    api = diff(kube.apiserver_requests(), api_before)
    rss, hwm, cpu = ctrl.stats()
    cloud = summarize(delta, n)
    return {
        "scenario": "restart",
        "inputs": common_inputs(args) | {"pools": n},
        "seconds_to_all_rechecked": round(recheck, 2),
        "seconds_to_all_reconciled": round(t_reconciled, 2),
        "seconds_to_all_read_at_cloud": round(t_read, 2),
        "creates": cloud["creates"],
        "cloud_requests": cloud,
        "controller": {"peak_rss_mib": round(hwm, 1), "cpu_seconds": round(cpu, 2)},
        "apiserver_requests": api,
        "apiserver_requests_total": sum(api.values()),
    }, ctrl


def common_inputs(args):
    return {"clusters": args.clusters, "storm_resync_seconds": args.storm_resync_seconds, "clouds": ["huawei", "alibaba"],
            "accounts": 2, "rate_limit_per_minute_per_account": args.rate_per_minute,
            "latency_ms": args.latency_ms, "provision_seconds": args.provision_seconds,
            "node_seconds": args.node_seconds, "nodes_per_pool": 1,
            "controller": {"resync_seconds": args.resync_seconds, "poll_seconds": args.poll_seconds,
                           "cloud_rate": args.cloud_rate, "cloud_burst": args.cloud_burst,
                           "concurrency": args.concurrency, "scope": args.scope}}


# --- main ----------------------------------------------------------------------------------------

def cmd_config(args):
    json.dump(sim_config(args), sys.stdout, indent=1)


def cmd_run(args):
    kube = Kube(args.kubectl, args.kubeconfig)
    sim = Sim(args.sim_url)
    ns = args.namespace
    status, _ = kube.request("POST", "/api/v1/namespaces",
                             {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    if status not in (201, 409):
        die(f"creating namespace {ns}: HTTP {status}")
    create_credentials(kube, ns)
    # Validate one object of each cloud against the CRD before the storm (a dry run).
    for i in (0, args.clusters - 1):
        status, text = kube.request("POST", kube.nodepools_path(ns) + "?dryRun=All",
                                    nodepool(i, args.clusters, ns))
        if status >= 300:
            die(f"the generated NodePool is refused by the apiserver: {text[:600]!r}")

    report = []
    ctrl = Controller(args, measured_flags(args, args.storm_resync_seconds), "controller.log")
    try:
        r, samples = storm(kube, sim, args, ctrl)
        report.append(r)
        with open(os.path.join(args.dir, "phases.jsonl"), "w") as f:
            for s in samples:
                f.write(json.dumps(s) + "\n")
        write(args, report)
        n = args.pools
        if args.steady_pools > n or args.storm_resync_seconds != args.resync_seconds:
            # The storm ran with the storm's resync; steady state gets its own controller.
            ctrl.stop()
            if args.steady_pools > n:
                fill(kube, sim, args, n, args.steady_pools)
                n = args.steady_pools
            ctrl = Controller(args, measured_flags(args), "controller-steady.log")
            # Steady state starts once the start-up pass over every pool is over.
            t0 = time.monotonic()
            while ctrl.reconciles() < n:
                ctrl.check()
                if time.monotonic() - t0 > max(args.timeout, n * 2 / (args.rate_per_minute / 60) * 3):
                    die("the steady-state controller did not reconcile every NodePool")
                time.sleep(1)
            log(f"steady-state controller has reconciled all {n} after {time.monotonic() - t0:.0f}s")
        else:
            # Let the last confirming reads of the storm settle.
            time.sleep(min(5.0, args.poll_seconds))
        report.append(steady(kube, sim, args, ctrl, n))
        write(args, report)
        r, ctrl = restart(kube, sim, args, ctrl, n)
        report.append(r)
        write(args, report)
    finally:
        ctrl.stop()
    print_table(report)


def write(args, report):
    path = os.path.join(args.dir, "report.json")
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


def print_table(report):
    rows = []
    for r in report:
        s, c = r["scenario"], r["cloud_requests"]
        if s == "create_storm":
            rows += [
                (s, "NodePools", r["inputs"]["pools"]),
                (s, "seconds to all Ready", r["seconds_to_all_ready"]),
                (s, "floor seconds (provisioning, requests/rate)",
                 f'{r["floor"]["floor_seconds"]} ({r["floor"]["provisioning_seconds"]}, '
                 f'{r["floor"]["minimal_requests_per_account_over_rate_seconds"]})'),
                (s, "ratio to floor (target <= 1.15)", r["ratio_to_floor"]),
                (s, "serial floor: creates/rate + provisioning",
                 f'{r["floor"]["serial_floor_seconds"]} (ratio {r["ratio_to_serial_floor"]})'),
                (s, "cloud requests (minimal 2/pool)", f'{c["total"]} ({c["per_pool"]:.2f}/pool)'),
                (s, "extra requests per pool (target <= 1.1)", r["extra_requests_per_pool"]),
                (s, "throttled (target < 1%)", f'{c["throttled"]} ({100 * c["throttled_fraction"]:.2f}%)'),
                (s, "by operation", ", ".join(f"{k}={v}" for k, v in c["by_operation"].items())),
                (s, "controller peak RSS MiB / CPU s",
                 f'{r["controller"]["peak_rss_mib"]} / {r["controller"]["cpu_seconds"]}'),
                (s, "apiserver requests", r["apiserver_requests_total"]),
            ]
        elif s == "steady_state":
            rows += [
                (s, "NodePools / window s", f'{r["inputs"]["pools"]} / {r["inputs"]["window_seconds"]}'),
                (s, "RSS MiB max (target < 64)", r["controller"]["rss_mib_max"]),
                (s, "CPU % of one core (target < 2)", r["controller"]["cpu_percent_of_one_core"]),
                (s, "cloud requests in window", f'{c["total"]} ({", ".join(f"{k}={v}" for k, v in c["by_operation"].items())})'),
                (s, "cloud requests per hour", r["cloud_requests_per_hour"]),
                (s, "per cluster per resync (target 1)", r["cloud_requests_per_cluster_per_resync"]),
                (s, "apiserver requests per hour", r["apiserver_requests_per_hour"]),
            ]
        else:
            rows += [
                (s, "NodePools", r["inputs"]["pools"]),
                (s, "seconds to all re-checked (target < 30 at 10k)", r["seconds_to_all_rechecked"]),
                (s, "creates (target 0)", r["creates"]),
                (s, "cloud requests", f'{c["total"]} ({", ".join(f"{k}={v}" for k, v in c["by_operation"].items())})'),
                (s, "throttled", c["throttled"]),
            ]
    w0 = max(len(a) for a, _, _ in rows)
    w1 = max(len(b) for _, b, _ in rows)
    print(f"\n{'scenario':<{w0}}  {'figure':<{w1}}  value")
    print(f"{'-' * w0}  {'-' * w1}  -----")
    for a, b, v in rows:
        print(f"{a:<{w0}}  {b:<{w1}}  {v}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["config", "run"])
    p.add_argument("--dir", default=".")
    p.add_argument("--kubectl")
    p.add_argument("--kubeconfig")
    p.add_argument("--controller")
    p.add_argument("--sim-url")
    p.add_argument("--metrics-port", type=int, default=18281)
    p.add_argument("--namespace", default="bench")
    p.add_argument("--scope", choices=["namespace", "cluster"], default="namespace")
    p.add_argument("--pools", type=int, default=100)
    p.add_argument("--steady-pools", type=int, default=0)
    p.add_argument("--steady-seconds", type=float, default=60)
    p.add_argument("--clusters", type=int, default=10)
    p.add_argument("--rate-per-minute", type=int, default=300)
    p.add_argument("--latency-ms", type=int, default=100)
    p.add_argument("--provision-seconds", type=float, default=20)
    p.add_argument("--node-seconds", type=float, default=5)
    p.add_argument("--resync-seconds", type=int, default=300)
    p.add_argument("--storm-resync-seconds", type=int, default=300)
    p.add_argument("--poll-seconds", type=float, default=10)
    p.add_argument("--cloud-rate", type=float, default=5)
    p.add_argument("--cloud-burst", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--loader-threads", type=int, default=8)
    p.add_argument("--timeout", type=float, default=600)
    args = p.parse_args()
    args.steady_pools = max(args.steady_pools, args.pools)
    if args.clusters < 2:
        die("--clusters must be at least 2 (both clouds)")
    if args.command == "config":
        cmd_config(args)
    else:
        for a in ("kubectl", "kubeconfig", "controller", "sim_url"):
            if not getattr(args, a):
                die(f"--{a.replace('_', '-')} is required")
        cmd_run(args)


if __name__ == "__main__":
    main()
