"""Terraform against the cloud simulator: the pieces shared by the lifecycle test
(tests/terraform/lifecycle.py) and the Terraform side of the benchmark (tests/bench/vs_terraform.py).

Standard library only. Every assertion about the cloud is made at the simulator (its admin API,
/_sim/pools and /_sim/counters), never from what Terraform prints.
"""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))

HW_AK, HW_SK = "TFHUAWEIACCESSKEY0001", "tf-huawei-secret-do-not-log"
ALI_AK, ALI_SK = "LTAItfAlibabaKey00001", "tf-alibaba-secret-do-not-log"
HW_PROJECT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
HW_REGION, ALI_REGION = "cn-north-4", "cn-hangzhou"

def log(msg):
    print(f"terraform: {msg}", file=sys.stderr, flush=True)


def hw_clusters(n):
    return [f"7f3a{i:04d}-5c6d-11ee-8c90-0255ac100b03" for i in range(n)]


def ali_clusters(n):
    return [f"ctf{i:04d}77e8bfbc4c4c999af2b51b65a1b" for i in range(n)]


def terraform_cli():
    """The Terraform CLI to run: tests/terraform/cli.sh's choice ($NODEPOOL_TERRAFORM, else
    `terraform` on PATH, else a cached OpenTofu build), resolved once per process."""
    if not os.environ.get("NODEPOOL_TERRAFORM"):
        out = subprocess.run([os.path.join(HERE, "cli.sh")], check=True, stdout=subprocess.PIPE)
        os.environ["NODEPOOL_TERRAFORM"] = out.stdout.decode().strip()
    return os.environ["NODEPOOL_TERRAFORM"]


def write_cli_config(path, providers):
    """The Terraform CLI configuration of tests/terraform/cliconfig.sh (dev_overrides to the
    cached provider builds, built on first use); returns its path."""
    subprocess.run([os.path.join(HERE, "cliconfig.sh"), path, *providers], check=True,
                   stdout=subprocess.DEVNULL)
    return path


# --- the simulator ---------------------------------------------------------------------------

class Sim:
    """nodepool-cloudsim on a free loopback port, stopped (by PID) with stop()."""

    def __init__(self, binary, config, log_path):
        self.logf = open(log_path, "ab")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--config", config],
                                     stdout=subprocess.PIPE, stderr=self.logf,
                                     stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode().strip()
        if not line:
            self.stop()
            raise RuntimeError(f"the simulator printed no address; see {log_path}")
        self.url = "http://" + line.rsplit(" ", 1)[1]

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

    def pools(self, cloud):
        """{name: pool} of one cloud, as the cloud's own show API renders them."""
        out = {}
        for p in self.get("/_sim/pools")[cloud]:
            pool = p["pool"]
            name = pool["metadata"]["name"] if cloud == "huawei" else pool["nodepool_info"]["name"]
            out[name] = pool | {"_cluster_id": p["cluster_id"]}
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()


def sim_config(path, hw=(), ali=(), timings=None, faults=None):
    """Writes the simulator's scenario file (JSON is YAML) and returns its path."""
    doc = {
        "huawei": {"accounts": [{"access_key": HW_AK, "secret_key": HW_SK}],
                   "clusters": [f"{HW_PROJECT}/{c}" for c in hw]},
        "alibaba": {"accounts": [{"access_key": ALI_AK, "secret_key": ALI_SK}],
                    "clusters": list(ali)},
        "timings": timings or {"provision_seconds": 1, "node_seconds": 0.2,
                               "delete_seconds": 1, "update_seconds": 0.5},
    }
    if faults:
        doc["faults"] = faults
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def diff(after, before):
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def count(delta, op=None, outcome=None):
    return sum(n for (_, o, out), n in delta.items()
               if (op is None or o == op) and (outcome is None or out == outcome))


# --- Terraform -------------------------------------------------------------------------------

def tree_rss_kib(root):
    """Resident memory of `root` and all its descendants (KiB), from /proc."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(pid))
    total, todo, names = 0, [root], {}
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("Name:"):
                        name = line.split()[1]
                    elif line.startswith("VmRSS:"):
                        kib = int(line.split()[1])
                        total += kib
                        names[name] = names.get(name, 0) + kib
        except OSError:
            pass
        todo += children.get(pid, [])
    return total, names


class Run:
    """The result of one terraform command."""

    def __init__(self, args, rc, out, seconds, peak_kib, peak_by_name):
        self.args, self.rc, self.out, self.seconds = args, rc, out, seconds
        self.peak_mib = peak_kib / 1024
        self.peak_by_name_mib = {k: round(v / 1024, 1) for k, v in peak_by_name.items()}


def provider_env(provider, sim_url, access_key=None, secret_key=None, prefix=""):
    """TF_VAR_* of one provider's configuration (tests/terraform/<provider>/main.tf). Keys go
    through the environment, never the command line (which `ps` shows)."""
    if provider == "huaweicloud":
        return {f"TF_VAR_{prefix}access_key": access_key or HW_AK,
                f"TF_VAR_{prefix}secret_key": secret_key or HW_SK,
                f"TF_VAR_{prefix}project_id": HW_PROJECT,
                f"TF_VAR_{prefix}endpoint": sim_url}
    return {f"TF_VAR_{prefix}access_key": access_key or ALI_AK,
            f"TF_VAR_{prefix}secret_key": secret_key or ALI_SK,
            f"TF_VAR_{prefix}endpoint": sim_url.split("://", 1)[1]}


class Terraform:
    """One Terraform working directory with local state, run with the generated CLI
    configuration. `files` maps a file name in the directory to its text; by default the
    directory holds a copy of tests/terraform/<provider>/main.tf."""

    def __init__(self, provider, workdir, cli_config, sim_url, variables, env=None, files=None):
        self.provider = provider
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        if files is None:
            shutil.copy(os.path.join(HERE, provider, "main.tf"), os.path.join(workdir, "main.tf"))
        else:
            for name, text in files.items():
                path = os.path.join(workdir, name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(text)
        self.env = dict(os.environ)
        self.env.update({"TF_CLI_CONFIG_FILE": cli_config, "TF_IN_AUTOMATION": "1",
                         "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"})
        self.env.update(env if env is not None else provider_env(provider, sim_url))
        self.variables = dict(variables)

    def var_file(self):
        path = os.path.join(self.workdir, "run.auto.tfvars.json")
        with open(path, "w") as f:
            json.dump(self.variables, f, indent=1)

    def run(self, *args, check=True, timeout=3600):
        """Runs `terraform ARGS`; samples the memory of terraform and its provider processes."""
        self.var_file()
        cmd = [terraform_cli(), *args]
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=self.workdir, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        peak, peak_names, out = [0], [{}], []

        def reader():
            for line in proc.stdout:
                out.append(line.decode(errors="replace"))

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        try:
            while proc.poll() is None:
                kib, names = tree_rss_kib(proc.pid)
                if kib > peak[0]:
                    peak[0], peak_names[0] = kib, names
                if time.monotonic() - t0 > timeout:
                    proc.kill()
                time.sleep(0.2)
        finally:
            if proc.poll() is None:
                # Stopped from outside: let Terraform release its state lock and its providers.
                proc.terminate()
                proc.wait(30)
        t.join()
        r = Run(args, proc.returncode, "".join(out), time.monotonic() - t0, peak[0], peak_names[0])
        with open(os.path.join(self.workdir, "terraform.log"), "a") as f:
            f.write(f"$ terraform {' '.join(args)}  (exit {r.rc}, {r.seconds:.1f}s)\n{r.out}\n")
        if check and r.rc != 0:
            raise RuntimeError(f"terraform {' '.join(args)} exited {r.rc}:\n{r.out[-4000:]}")
        return r

    def apply(self, *extra):
        return self.run("apply", "-auto-approve", "-no-color", *extra)

    def plan_changes(self, *extra):
        """(exit code of plan -detailed-exitcode: 0 none, 2 changes; the run)."""
        r = self.run("plan", "-detailed-exitcode", "-no-color", *extra, check=False)
        if r.rc not in (0, 2):
            raise RuntimeError(f"terraform plan failed ({r.rc}):\n{r.out[-4000:]}")
        return r.rc, r

    def destroy(self, *extra):
        return self.run("destroy", "-auto-approve", "-no-color", *extra)
