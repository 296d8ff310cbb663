"""Drives nodepool-cloudsim with the official Huawei Cloud CCE SDK (huaweicloudsdkcce).

Usage: interop_huawei.py URL   (or env CLOUDSIM_URL), e.g. http://127.0.0.1:8080
Env (defaults match tests/sim_interop.rs): CLOUDSIM_HW_AK, CLOUDSIM_HW_SK, CLOUDSIM_HW_PROJECT,
CLOUDSIM_HW_CLUSTER, CLOUDSIM_HW_TOKEN (an X-Auth-Token the simulator accepts). The simulator must run with short timings (a few seconds at most per step).
Exits non-zero with a message on the first failed check.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcce.v3 import (
    CceClient,
    CreateNodePoolRequest,
    DeleteNodePoolRequest,
    ListNodePoolsRequest,
    Login,
    NodePool,
    NodePoolMetadata,
    NodePoolMetadataUpdate,
    NodePoolNodeAutoscaling,
    NodePoolSpec,
    NodePoolSpecUpdate,
    NodePoolUpdate,
    NodeSpecUpdate,
    NodeTemplate,
    ScaleNodePoolRequest,
    ScaleNodePoolRequestBody,
    ScaleNodePoolSpec,
    ShowNodePoolRequest,
    Taint,
    UpdateNodePoolRequest,
    UserTag,
    Volume,
)

URL = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLOUDSIM_URL", "")).rstrip("/")
AK = os.environ.get("CLOUDSIM_HW_AK", "hw-ak")
SK = os.environ.get("CLOUDSIM_HW_SK", "hw-sk")
PROJECT = os.environ.get("CLOUDSIM_HW_PROJECT", "0a1b2c3d4e5f")
CLUSTER = os.environ.get("CLOUDSIM_HW_CLUSTER", "cce-cluster-1")
TOKEN = os.environ.get("CLOUDSIM_HW_TOKEN", "hw-token")
DEADLINE = float(os.environ.get("CLOUDSIM_WAIT_SECONDS", "30"))

checks = 0


class Failed(Exception):
    pass


def check(cond, what):
    global checks
    if not cond:
        raise Failed(what)
    checks += 1


def client(sk=SK, cluster_project=PROJECT):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    cfg.retry_times = 0
    return (
        CceClient.new_builder()
        .with_http_config(cfg)
        .with_credentials(BasicCredentials(AK, sk, cluster_project))
        .with_endpoints([URL])
        .build()
    )


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def expect_error(fn, status, code, what):
    try:
        fn()
    except ClientRequestException as e:
        check(e.status_code == status, f"{what}: status {e.status_code}, want {status} ({e})")
        check(e.error_code == code, f"{what}: error_code {e.error_code!r}, want {code!r}")
        check(bool(e.request_id), f"{what}: no X-Request-Id on the error")
        return e
    raise Failed(f"{what}: no ClientRequestException")


def pool_body(name, flavor="s6.large.2", count=2):
    return NodePool(
        kind="NodePool",
        api_version="v3",
        metadata=NodePoolMetadata(name=name),
        spec=NodePoolSpec(
            initial_node_count=count,
            autoscaling=NodePoolNodeAutoscaling(enable=False, min_node_count=0, max_node_count=5),
            node_template=NodeTemplate(
                flavor=flavor,
                az="cn-north-4a",
                os="EulerOS 2.9",
                login=Login(ssh_key="my-keypair"),
                root_volume=Volume(size=40, volumetype="SAS"),
                data_volumes=[Volume(size=100, volumetype="SAS")],
            ),
        ),
    )


def show(c, uid):
    return c.show_node_pool(ShowNodePoolRequest(cluster_id=CLUSTER, nodepool_id=uid))


def wait_for(c, uid, what, pred):
    end = time.time() + DEADLINE
    seen = []
    while time.time() < end:
        p = show(c, uid)
        phase = p.status.phase or ""
        if not seen or seen[-1] != phase:
            seen.append(phase)
        if pred(p):
            return p, seen
        time.sleep(0.05)
    raise Failed(f"timed out waiting for {what}; phases seen {seen}")


def wait_gone(c, uid):
    end = time.time() + DEADLINE
    while time.time() < end:
        try:
            show(c, uid)
        except ClientRequestException as e:
            check(e.status_code == 404, f"deleted pool: status {e.status_code}, want 404")
            check(e.error_code == "CCE.01404001", f"deleted pool: code {e.error_code}")
            return
        time.sleep(0.05)
    raise Failed("timed out waiting for the deleted pool to disappear (404)")


def lifecycle(c):
    created = c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=pool_body("interop-pool")))
    check(created.status_code == 201, f"create: status {created.status_code}, want 201")
    uid = created.metadata.uid
    check(bool(uid), "create: no metadata.uid")
    check(created.metadata.name == "interop-pool", "create: name not echoed")
    check(created.spec.type == "vm", f"create: spec.type default {created.spec.type!r}")
    check(created.spec.initial_node_count == 2, "create: initialNodeCount not echoed")
    check(created.status.phase == "Synchronizing", f"create: phase {created.status.phase!r}")

    p, seen = wait_for(c, uid, "phase '' with 2 nodes", lambda p: not p.status.phase and p.status.current_node == 2)
    check("Synchronizing" in seen, f"create: never Synchronizing ({seen})")

    listed = c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER, show_default_node_pool="true"))
    check(listed.kind == "List", f"list: kind {listed.kind!r}")
    names = [i.metadata.name for i in listed.items]
    check("interop-pool" in names and "DefaultPool" in names, f"list: items {names}")
    listed = c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER))
    check("DefaultPool" not in [i.metadata.name for i in listed.items], "list: DefaultPool without showDefaultNodePool")

    expect_error(
        lambda: c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=pool_body("interop-pool"))),
        409, "CCE.01409001", "duplicate name")
    expect_error(
        lambda: c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=pool_body("Bad_Name"))),
        400, "CCE.01400001", "invalid name")

    upd = c.update_node_pool(UpdateNodePoolRequest(
        cluster_id=CLUSTER, nodepool_id=uid,
        body=NodePoolUpdate(
            metadata=NodePoolMetadataUpdate(name="interop-pool"),
            spec=NodePoolSpecUpdate(
                initial_node_count=3,
                node_template=NodeSpecUpdate(k8s_tags={"team": "interop"}),
                autoscaling=NodePoolNodeAutoscaling(enable=True, min_node_count=1, max_node_count=6),
            ),
        )))
    check(upd.spec.initial_node_count == 3, f"update: initialNodeCount {upd.spec.initial_node_count}")
    check(upd.spec.node_template.k8s_tags.get("team") == "interop", "update: k8sTags not applied")
    check(upd.spec.autoscaling.max_node_count == 6, "update: autoscaling not applied")
    wait_for(c, uid, "3 nodes after update", lambda p: not p.status.phase and p.status.current_node == 3)

    upd = c.update_node_pool(UpdateNodePoolRequest(
        cluster_id=CLUSTER, nodepool_id=uid,
        body=NodePoolUpdate(metadata=NodePoolMetadataUpdate(name="interop-pool"),
                            spec=NodePoolSpecUpdate(ignore_initial_node_count=True))))
    check(upd.spec.initial_node_count == 3, "update with ignoreInitialNodeCount changed the count")

    c.scale_node_pool(ScaleNodePoolRequest(
        cluster_id=CLUSTER, nodepool_id=uid,
        body=ScaleNodePoolRequestBody(kind="NodePool", api_version="v3",
                                      spec=ScaleNodePoolSpec(desired_node_count=1, scale_groups=["default"]))))
    p, _ = wait_for(c, uid, "1 node after scale", lambda p: not p.status.phase and p.status.current_node == 1)
    check(p.spec.initial_node_count == 1, "scale: initialNodeCount not the new target")

    deleted = c.delete_node_pool(DeleteNodePoolRequest(cluster_id=CLUSTER, nodepool_id=uid))
    check(deleted.status.phase == "Deleting", f"delete: phase {deleted.status.phase!r}")
    check(bool(deleted.status.job_id), "delete: no jobId")
    wait_gone(c, uid)


def refusals(c):
    bad = client(sk="not-the-secret")
    expect_error(lambda: bad.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER)),
                 401, "APIG.0301", "wrong secret")
    expect_error(lambda: c.list_node_pools(ListNodePoolsRequest(cluster_id="no-such-cluster")),
                 404, "CCE.01404001", "unknown cluster")


def throttling(c):
    # huaweicloudsdkcore mounts urllib3 Retry(total=retry_times, status_forcelist=[429]) even for
    # retry_times=0, so a 429 never reaches the SDK's error parser: it raises
    # ClientRequestException(429, error_code="429") whatever the body says. The body is
    # checked on the wire as well, with a token-authenticated request.
    admin("PUT", "/_sim/faults", {"accounts": {AK: {"rate_limit_per_minute": 2},
                                               TOKEN: {"rate_limit_per_minute": 1}}})
    try:
        c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER))
        c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER))
        try:
            c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER))
            raise Failed("throttling: third request within the minute was not refused")
        except ClientRequestException as e:
            check(e.status_code == 429, f"throttling: status {e.status_code}")
            check(e.error_code in ("429", "APIG.0308"), f"throttling: error_code {e.error_code!r}")
        if TOKEN:
            url = f"{URL}/api/v3/projects/{PROJECT}/clusters/{CLUSTER}/nodepools"
            statuses = []
            for _ in range(2):
                req = urllib.request.Request(url, headers={"X-Auth-Token": TOKEN, "X-Project-Id": PROJECT})
                try:
                    with urllib.request.urlopen(req, timeout=10) as resp:
                        statuses.append(resp.status)
                except urllib.error.HTTPError as e:
                    statuses.append(e.code)
                    body = json.loads(e.read())
                    check(body.get("error_code") == "APIG.0308", f"throttling body {body}")
                    check("limit:1,time:1 minute" in body.get("error_msg", ""), f"throttling body {body}")
                    check(bool(e.headers.get("X-Request-Id")), "throttling: no X-Request-Id")
            check(statuses == [200, 429], f"token requests: statuses {statuses}")
    finally:
        admin("PUT", "/_sim/faults", {})


def owner_tags(c):
    """userTags come back on show and list; CCE's limits; NodeSpecUpdate: absent = unchanged,
    [] / {} = delete (CCE's own k8sTag stays); names stay taken on rename."""
    owner = [UserTag(key="nodepool-owner-uid", value="0b7c3d5e-6f70-4a1b-8c2d-3e4f5a6b7c8d"),
             UserTag(key="nodepool-owner", value="default_web")]
    body = pool_body("owned-pool", count=0)
    body.spec.node_template.user_tags = owner
    body.spec.node_template.k8s_tags = {"team": "a"}
    body.spec.node_template.taints = [Taint(key="dedicated", value="web", effect="NoSchedule")]
    uid = c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=body)).metadata.uid
    pairs = lambda tags: [(t.key, t.value) for t in (tags or [])]
    want = pairs(owner)
    check(pairs(show(c, uid).spec.node_template.user_tags) == want, "show: userTags")
    listed = c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER)).items
    mine = [p for p in listed if ("nodepool-owner-uid", owner[0].value) in pairs(p.spec.node_template.user_tags)]
    check([p.metadata.uid for p in mine] == [uid], f"list: pools with the owner tag {[p.metadata.uid for p in mine]}")

    for what, tags in (("nine tags", [UserTag(key=f"k{i}", value="v") for i in range(9)]),
                       ("reserved CCE-", [UserTag(key="CCE-owner", value="v")]),
                       ("slash in key", [UserTag(key="owner/uid", value="v")])):
        bad = pool_body("bad-tags", count=0)
        bad.spec.node_template.user_tags = tags
        expect_error(lambda: c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=bad)),
                     400, "CCE.01400001", f"userTags: {what}")

    def update(template, name="owned-pool"):
        return c.update_node_pool(UpdateNodePoolRequest(
            cluster_id=CLUSTER, nodepool_id=uid,
            body=NodePoolUpdate(metadata=NodePoolMetadataUpdate(name=name),
                                spec=NodePoolSpecUpdate(ignore_initial_node_count=True, node_template=template))))

    t = update(NodeSpecUpdate()).spec.node_template
    check(pairs(t.user_tags) == want, "update without userTags changed them")
    check(len(t.taints or []) == 1 and t.k8s_tags.get("team") == "a", "update without lists changed them")
    t = update(NodeSpecUpdate(user_tags=[], taints=[], k8s_tags={})).spec.node_template
    check(pairs(t.user_tags) == [], f"userTags [] kept {pairs(t.user_tags)}")
    check((t.taints or []) == [], "taints [] kept them")
    check(t.k8s_tags == {"cce.cloud.com/cce-nodepool": "owned-pool"}, f"k8sTags {{}}: {t.k8s_tags}")

    other = c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=pool_body("other-pool", count=0)))
    expect_error(lambda: update(NodeSpecUpdate(), name="other-pool"), 409, "CCE.01409001", "rename to a taken name")
    for u in (uid, other.metadata.uid):
        c.delete_node_pool(DeleteNodePoolRequest(cluster_id=CLUSTER, nodepool_id=u))
    for u in (uid, other.metadata.uid):
        wait_gone(c, u)


def lost_create_answer(c):
    """A create whose answer is lost: the SDK sees a broken connection, the pool shows up later."""
    admin("PUT", "/_sim/faults", {"lose_create_answers": 1, "late_visibility_ms": 500})
    try:
        try:
            c.create_node_pool(CreateNodePoolRequest(cluster_id=CLUSTER, body=pool_body("late-pool", count=0)))
            raise Failed("lost answer: the create was answered")
        except (Failed, ClientRequestException):
            raise
        except Exception:  # the SDK's transport error for a dropped connection
            pass
        check(admin("GET", "/_sim/faults")["lose_create_answers"] == 0, "lost answer: count not used up")
        names = lambda: [p.metadata.name for p in c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER)).items]
        check("late-pool" not in names(), "lost answer: the pool is visible at once")
        end = time.time() + DEADLINE
        while "late-pool" not in names():
            if time.time() > end:
                raise Failed("lost answer: the pool never showed up")
            time.sleep(0.05)
        uid = [p.metadata.uid for p in c.list_node_pools(ListNodePoolsRequest(cluster_id=CLUSTER)).items
               if p.metadata.name == "late-pool"][0]
        c.delete_node_pool(DeleteNodePoolRequest(cluster_id=CLUSTER, nodepool_id=uid))
        wait_gone(c, uid)
    finally:
        admin("PUT", "/_sim/faults", {})


def sold_out(c):
    admin("PUT", "/_sim/faults", {"huawei_sold_out_flavors": ["c7.sold.out"]})
    try:
        created = c.create_node_pool(CreateNodePoolRequest(
            cluster_id=CLUSTER, body=pool_body("sold-out-pool", flavor="c7.sold.out")))
        uid = created.metadata.uid
        p, _ = wait_for(c, uid, "phase SoldOut", lambda p: p.status.phase == "SoldOut")
        check(p.status.current_node == 0, f"sold out: currentNode {p.status.current_node}")
        conds = {(x.type, x.status, x.reason) for x in (p.status.conditions or [])}
        check(("Scalable", "False", "ResourceInsufficient") in conds, f"sold out: conditions {conds}")
        check(("ResourceInsufficient", "True", "ResourceInsufficient") in conds, f"sold out: conditions {conds}")
        # Lowering the target to the nodes the pool has ends SoldOut.
        upd = c.update_node_pool(UpdateNodePoolRequest(
            cluster_id=CLUSTER, nodepool_id=uid,
            body=NodePoolUpdate(metadata=NodePoolMetadataUpdate(name="sold-out-pool"),
                                spec=NodePoolSpecUpdate(initial_node_count=0))))
        check(not upd.status.phase, f"sold out: phase after lowering the target {upd.status.phase!r}")
        check(not (upd.status.conditions or []), "sold out: conditions after lowering the target")
        c.delete_node_pool(DeleteNodePoolRequest(cluster_id=CLUSTER, nodepool_id=uid))
        wait_gone(c, uid)
    finally:
        admin("PUT", "/_sim/faults", {})


def main():
    if not URL:
        print("interop_huawei: give the simulator URL as argv[1] or CLOUDSIM_URL", file=sys.stderr)
        return 2
    c = client()
    step = None
    try:
        for step in (lifecycle, refusals, throttling, owner_tags, lost_create_answer, sold_out):
            step(c)
    except Failed as e:
        print(f"interop_huawei: FAILED in {step.__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # an unexpected SDK exception is a failure too
        print(f"interop_huawei: FAILED in {step.__name__}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"interop_huawei: OK ({checks} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
