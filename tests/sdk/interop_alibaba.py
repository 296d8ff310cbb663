"""Drives nodepool-cloudsim with the official Alibaba Cloud ACK SDK (alibabacloud-cs20151215).

Usage: interop_alibaba.py URL   (or env CLOUDSIM_URL), e.g. http://127.0.0.1:8080
Env (defaults match tests/sim_interop.rs): CLOUDSIM_ALI_AK, CLOUDSIM_ALI_SK, CLOUDSIM_ALI_CLUSTER.
The simulator must run with short timings (a few seconds at most per step).
Exits non-zero with a message on the first failed check.
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request

from alibabacloud_cs20151215 import models as m
from alibabacloud_cs20151215.client import Client
from alibabacloud_tea_openapi import utils_models as om
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException
from darabonba.runtime import RuntimeOptions

URL = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLOUDSIM_URL", "")).rstrip("/")
AK = os.environ.get("CLOUDSIM_ALI_AK", "ali-ak")
SK = os.environ.get("CLOUDSIM_ALI_SK", "ali-sk")
CLUSTER = os.environ.get("CLOUDSIM_ALI_CLUSTER", "c-ack-1")
DEADLINE = float(os.environ.get("CLOUDSIM_WAIT_SECONDS", "30"))
RT = RuntimeOptions(autoretry=False)

checks = 0


class Failed(Exception):
    pass


def check(cond, what):
    global checks
    if not cond:
        raise Failed(what)
    checks += 1


def client(ak=AK, sk=SK):
    parsed = urllib.parse.urlparse(URL)
    return Client(om.Config(access_key_id=ak, access_key_secret=sk, region_id="cn-hangzhou",
                            endpoint=parsed.netloc, protocol=parsed.scheme,
                            connect_timeout=5000, read_timeout=30000))


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def expect_error(fn, exc_type, status, code, what):
    try:
        fn()
    except exc_type as e:
        check(e.status_code == status, f"{what}: status {e.status_code}, want {status} ({e})")
        check(e.code == code, f"{what}: code {e.code!r}, want {code!r}")
        check(bool(e.request_id), f"{what}: no requestId")
        return e
    except Exception as e:
        raise Failed(f"{what}: {type(e).__name__} {e}, want {exc_type.__name__}")
    raise Failed(f"{what}: no {exc_type.__name__}")


def create_request(name, instance_type="ecs.g7.large", desired=2):
    return m.CreateClusterNodePoolRequest(
        nodepool_info=m.CreateClusterNodePoolRequestNodepoolInfo(name=name),
        scaling_group=m.CreateClusterNodePoolRequestScalingGroup(
            desired_size=desired,
            instance_types=[instance_type],
            vswitch_ids=["vsw-interop-1"],
            instance_charge_type="PostPaid",
            system_disk_category="cloud_essd",
            system_disk_size=120,
            tags=[m.CreateClusterNodePoolRequestScalingGroupTags(key="nodepool-controller/owner", value=name)],
        ),
        kubernetes_config=m.CreateClusterNodePoolRequestKubernetesConfig(
            runtime="containerd", labels=[m.Tag(key="workload", value="interop")]),
    )


def detail(c, np):
    return c.describe_cluster_node_pool_detail_with_options(CLUSTER, np, {}, RT).body


def wait_for(c, np, what, pred):
    end = time.time() + DEADLINE
    seen = []
    while time.time() < end:
        b = detail(c, np)
        if not seen or seen[-1] != b.status.state:
            seen.append(b.status.state)
        if pred(b):
            return b, seen
        time.sleep(0.05)
    raise Failed(f"timed out waiting for {what}; states seen {seen}")


def wait_task(c, task_id, state):
    end = time.time() + DEADLINE
    while time.time() < end:
        t = c.describe_task_info_with_options(task_id, {}, RT).body
        if t.state != "running":
            check(t.state == state, f"task {task_id}: state {t.state}, want {state}")
            return t
        time.sleep(0.05)
    raise Failed(f"timed out waiting for task {task_id}")


def wait_gone(c, np):
    end = time.time() + DEADLINE
    while time.time() < end:
        try:
            detail(c, np)
        except ClientException as e:
            check(e.status_code == 404 and e.code == "ErrorNodePoolNotFound", f"deleted pool: {e}")
            return
        time.sleep(0.05)
    raise Failed("timed out waiting for the deleted pool to disappear (404)")


def lifecycle(c):
    resp = c.create_cluster_node_pool_with_options(CLUSTER, create_request("interop-ack"), {}, RT)
    np, task = resp.body.nodepool_id, resp.body.task_id
    check(bool(np) and bool(task) and bool(resp.body.request_id), f"create: body {resp.body.to_map()}")
    check(bool(resp.headers.get("x-acs-request-id")), "create: no x-acs-request-id header")

    b, seen = wait_for(c, np, "active with 2 nodes", lambda b: b.status.state == "active" and b.status.total_nodes == 2)
    check(seen[0] == "initial", f"create: first state {seen[0]!r}, want initial ({seen})")
    check(b.nodepool_info.name == "interop-ack", "detail: name")
    check(b.scaling_group.desired_size == 2, "detail: desired_size")
    check(b.scaling_group.instance_types == ["ecs.g7.large"], "detail: instance_types")
    check([(t.key, t.value) for t in b.scaling_group.tags] == [("nodepool-controller/owner", "interop-ack")], "detail: tags")
    check([(t.key, t.value) for t in b.kubernetes_config.labels] == [("workload", "interop")], "detail: labels")
    wait_task(c, task, "success")

    # A second pool with the same name is allowed on ACK.
    dup = c.create_cluster_node_pool_with_options(CLUSTER, create_request("interop-ack", desired=0), {}, RT).body
    pools = c.describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(nodepool_name="interop-ack"), {}, RT).body.nodepools
    check(sorted(p.nodepool_info.nodepool_id for p in pools) == sorted([np, dup.nodepool_id]), "list: filter by name")
    others = c.describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(nodepool_name="nobody"), {}, RT).body.nodepools
    check(others == [], f"list: unknown name gave {len(others)} pools")
    c.delete_cluster_nodepool_with_options(CLUSTER, dup.nodepool_id, m.DeleteClusterNodepoolRequest(force=True), {}, RT)

    # ModifyClusterNodePool replaces scaling_group.tags as a whole and this SDK sends `tags: []`
    # when none are given: a scaling_group change repeats the tags to keep them.
    owner = [m.Tag(key="nodepool-controller/owner", value="interop-ack")]
    mod = c.modify_cluster_node_pool_with_options(CLUSTER, np, m.ModifyClusterNodePoolRequest(
        scaling_group=m.ModifyClusterNodePoolRequestScalingGroup(desired_size=3, tags=owner)), {}, RT).body
    check(mod.nodepool_id == np and bool(mod.task_id), f"modify: body {mod.to_map()}")
    b, _ = wait_for(c, np, "active with 3 nodes", lambda b: b.status.state == "active" and b.status.total_nodes == 3)
    check([(t.key, t.value) for t in b.scaling_group.tags] == [("nodepool-controller/owner", "interop-ack")],
          "modify: repeated tags not kept")

    mod = c.modify_cluster_node_pool_with_options(CLUSTER, np, m.ModifyClusterNodePoolRequest(
        kubernetes_config=m.ModifyClusterNodePoolRequestKubernetesConfig(labels=[m.Tag(key="workload", value="v2")])),
        {}, RT).body
    b, seen = wait_for(c, np, "active after update", lambda b: b.status.state == "active")
    check([(t.key, t.value) for t in b.kubernetes_config.labels] == [("workload", "v2")], "modify: labels")
    check("updating" in seen, f"modify: never updating ({seen})")

    sc = c.scale_cluster_node_pool_with_options(CLUSTER, np, m.ScaleClusterNodePoolRequest(count=1), {}, RT).body
    check(bool(sc.task_id), "scale: no task_id")
    b, seen = wait_for(c, np, "active with 4 nodes", lambda b: b.status.state == "active" and b.status.total_nodes == 4)
    check("scaling" in seen, f"scale: never scaling ({seen})")
    wait_task(c, sc.task_id, "success")

    # Without force, a pool that still has nodes is not deleted.
    for req in (m.DeleteClusterNodepoolRequest(), m.DeleteClusterNodepoolRequest(force=False)):
        expect_error(lambda: c.delete_cluster_nodepool_with_options(CLUSTER, np, req, {}, RT),
                     ClientException, 400, "ErrorNodePoolNotEmpty", f"delete without force ({req.to_map()})")
    check(detail(c, np).status.state == "active", "refused delete: state changed")
    de = c.delete_cluster_nodepool_with_options(CLUSTER, np, m.DeleteClusterNodepoolRequest(force=True), {}, RT).body
    check(bool(de.request_id) and bool(de.task_id), f"delete: body {de.to_map()}")
    check(detail(c, np).status.state == "deleting", "delete: state not deleting")
    wait_gone(c, np)


def tags_and_lists(c):
    """Tag limits; tags, labels and taints replaced as a whole (`[]` clears them)."""
    bad = create_request("bad-tags", desired=0)
    bad.scaling_group.tags = [m.CreateClusterNodePoolRequestScalingGroupTags(key="aliyun-owner", value="x")]
    expect_error(lambda: c.create_cluster_node_pool_with_options(CLUSTER, bad, {}, RT),
                 ClientException, 400, "InvalidParameter", "reserved tag prefix")
    req = create_request("lists", desired=0)
    req.kubernetes_config.taints = [m.Taint(key="k", value="v", effect="NoSchedule")]
    np = c.create_cluster_node_pool_with_options(CLUSTER, req, {}, RT).body.nodepool_id
    pairs = lambda xs: [(x.key, x.value) for x in (xs or [])]
    tags = [m.Tag(key="cloud.nodepool.dev/owner-uid", value="0b7c"),
            m.Tag(key="cloud.nodepool.dev/owner", value="default/lists")]
    c.modify_cluster_node_pool_with_options(CLUSTER, np, m.ModifyClusterNodePoolRequest(
        scaling_group=m.ModifyClusterNodePoolRequestScalingGroup(tags=tags)), {}, RT)
    b = detail(c, np)
    check(pairs(b.scaling_group.tags) == pairs(tags), f"tags replaced: {pairs(b.scaling_group.tags)}")
    check(pairs(b.kubernetes_config.labels) == [("workload", "interop")], "labels untouched by a scaling_group change")
    listed = c.describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(nodepool_name="lists"), {}, RT).body.nodepools
    check(pairs(listed[0].scaling_group.tags) == pairs(tags), "list: tags")
    # The SDK sends labels: [] and taints: [] for a kubernetes_config without them: both go.
    c.modify_cluster_node_pool_with_options(CLUSTER, np, m.ModifyClusterNodePoolRequest(
        kubernetes_config=m.ModifyClusterNodePoolRequestKubernetesConfig(cpu_policy="none")), {}, RT)
    b = detail(c, np)
    check(pairs(b.kubernetes_config.labels) == [] and (b.kubernetes_config.taints or []) == [],
          f"[] did not clear labels/taints: {b.kubernetes_config.to_map()}")
    check(pairs(b.scaling_group.tags) == pairs(tags), "tags touched by a kubernetes_config change")
    c.modify_cluster_node_pool_with_options(CLUSTER, np, m.ModifyClusterNodePoolRequest(
        scaling_group=m.ModifyClusterNodePoolRequestScalingGroup(tags=[])), {}, RT)
    check(pairs(detail(c, np).scaling_group.tags) == [], "tags [] did not clear them")
    # Without nodes, a pool goes without force.
    c.delete_cluster_nodepool_with_options(CLUSTER, np, m.DeleteClusterNodepoolRequest(), {}, RT)
    wait_gone(c, np)


def lost_create_answer(c):
    """A create whose answer is lost: the SDK sees a broken connection, the pool shows up later."""
    admin("PUT", "/_sim/faults", {"lose_create_answers": 1, "late_visibility_ms": 500})
    try:
        try:
            c.create_cluster_node_pool_with_options(CLUSTER, create_request("late", desired=0), {}, RT)
            raise Failed("lost answer: the create was answered")
        except (Failed, ClientException):
            raise
        except Exception:  # the SDK's transport error for a dropped connection
            pass
        check(admin("GET", "/_sim/faults")["lose_create_answers"] == 0, "lost answer: count not used up")
        find = lambda: c.describe_cluster_node_pools_with_options(
            CLUSTER, m.DescribeClusterNodePoolsRequest(nodepool_name="late"), {}, RT).body.nodepools
        check(find() == [], "lost answer: the pool is visible at once")
        end = time.time() + DEADLINE
        while not find():
            if time.time() > end:
                raise Failed("lost answer: the pool never showed up")
            time.sleep(0.05)
        np = find()[0].nodepool_info.nodepool_id
        c.delete_cluster_nodepool_with_options(CLUSTER, np, m.DeleteClusterNodepoolRequest(force=True), {}, RT)
        wait_gone(c, np)
    finally:
        admin("PUT", "/_sim/faults", {})


def refusals(c):
    expect_error(lambda: client(sk="not-the-secret").describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT), ClientException, 400, "SignatureDoesNotMatch", "wrong secret")
    expect_error(lambda: client(ak="nobody").describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT), ClientException, 404, "InvalidAccessKeyId.NotFound", "unknown key")
    expect_error(lambda: c.describe_cluster_node_pools_with_options(
        "c-nope", m.DescribeClusterNodePoolsRequest(), {}, RT), ClientException, 404, "ErrorClusterNotFound", "unknown cluster")


def throttling(c):
    admin("PUT", "/_sim/faults", {"accounts": {AK: {"rate_limit_per_minute": 2}}})
    try:
        for _ in range(2):
            c.describe_cluster_node_pools_with_options(CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT)
        e = expect_error(lambda: c.describe_cluster_node_pools_with_options(
            CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT), ThrottlingException, 429, "Throttling.User", "throttling")
        check(e.retry_after and e.retry_after > 0, f"throttling: retry_after {e.retry_after!r}")
    finally:
        admin("PUT", "/_sim/faults", {})


def sold_out(c):
    admin("PUT", "/_sim/faults", {"alibaba_sold_out_instance_types": ["ecs.sold.out"]})
    try:
        resp = c.create_cluster_node_pool_with_options(
            CLUSTER, create_request("sold-out", instance_type="ecs.sold.out"), {}, RT).body
        t = wait_task(c, resp.task_id, "fail")
        check(t.error.code == "OperationDenied.NoStock", f"sold out: task error {t.error.to_map()}")
        b = detail(c, resp.nodepool_id)
        check(b.status.total_nodes == 0 and b.status.failed_nodes == 2, f"sold out: status {b.status.to_map()}")
        # An instance type in stock lets the pool reach its target.
        mod = c.modify_cluster_node_pool_with_options(CLUSTER, resp.nodepool_id, m.ModifyClusterNodePoolRequest(
            scaling_group=m.ModifyClusterNodePoolRequestScalingGroup(
                instance_types=["ecs.g7.large"],
                tags=[m.Tag(key=t.key, value=t.value) for t in b.scaling_group.tags])), {}, RT).body
        b, _ = wait_for(c, resp.nodepool_id, "2 nodes after the new instance type",
                        lambda b: b.status.state == "active" and b.status.total_nodes == 2)
        check(b.status.failed_nodes == 0, f"repaired: status {b.status.to_map()}")
        wait_task(c, mod.task_id, "success")
        c.delete_cluster_nodepool_with_options(CLUSTER, resp.nodepool_id, m.DeleteClusterNodepoolRequest(force=True), {}, RT)
        wait_gone(c, resp.nodepool_id)
    finally:
        admin("PUT", "/_sim/faults", {})


def main():
    if not URL:
        print("interop_alibaba: give the simulator URL as argv[1] or CLOUDSIM_URL", file=sys.stderr)
        return 2
    c = client()
    step = None
    try:
        for step in (lifecycle, tags_and_lists, lost_create_answer, refusals, throttling, sold_out):
            step(c)
    except Failed as e:
        print(f"interop_alibaba: FAILED in {step.__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # an unexpected SDK exception is a failure too
        print(f"interop_alibaba: FAILED in {step.__name__}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"interop_alibaba: OK ({checks} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
