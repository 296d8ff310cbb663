"""Drives nodepool-cloudsim's ACK API with Alibaba's older ROA signature (HMAC-SHA1,
`Authorization: acs AK:signature`), as two official clients send it:

  * the CS client (alibabacloud-cs20151215) with Config.signature_algorithm = 'v2', which
    alibabacloud_tea_openapi sends through do_roarequest: a node pool's whole life;
  * aliyun-python-sdk-core's AcsClient with a ROA CommonRequest (Content-MD5 with a body,
    no nonce, an empty query value written `key=`).

Usage: interop_alibaba_roa.py URL   (or env CLOUDSIM_URL), e.g. http://127.0.0.1:8080
Env (defaults match tests/sim_interop.rs): CLOUDSIM_ALI_AK, CLOUDSIM_ALI_SK, CLOUDSIM_ALI_CLUSTER.
Exits non-zero with a message on the first failed check.
"""

import json
import os
import sys
import time
import urllib.parse

from alibabacloud_cs20151215 import models as m
from alibabacloud_cs20151215.client import Client
from alibabacloud_tea_openapi import utils as tea_utils
from alibabacloud_tea_openapi import utils_models as om
from alibabacloud_tea_openapi.exceptions import ClientException
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from darabonba.runtime import RuntimeOptions

URL = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLOUDSIM_URL", "")).rstrip("/")
AK = os.environ.get("CLOUDSIM_ALI_AK", "ali-ak")
SK = os.environ.get("CLOUDSIM_ALI_SK", "ali-sk")
CLUSTER = os.environ.get("CLOUDSIM_ALI_CLUSTER", "c-ack-1")
DEADLINE = float(os.environ.get("CLOUDSIM_WAIT_SECONDS", "30"))
RT = RuntimeOptions(autoretry=False)
HOST = urllib.parse.urlparse(URL).netloc

checks = 0


class Failed(Exception):
    pass


def check(cond, what):
    global checks
    if not cond:
        raise Failed(what)
    checks += 1


def v2_client(sk=SK):
    parsed = urllib.parse.urlparse(URL)
    return Client(om.Config(access_key_id=AK, access_key_secret=sk, region_id="cn-hangzhou",
                            endpoint=parsed.netloc, protocol=parsed.scheme,
                            signature_algorithm="v2", connect_timeout=5000, read_timeout=30000))


def expect_error(fn, status, code, what):
    try:
        fn()
    except ClientException as e:
        check(e.status_code == status and e.code == code,
              f"{what}: {e.status_code} {e.code}, want {status} {code} ({e})")
        return
    except Exception as e:
        raise Failed(f"{what}: {type(e).__name__} {e}, want ClientException {code}")
    raise Failed(f"{what}: accepted")


def detail(c, np):
    return c.describe_cluster_node_pool_detail_with_options(CLUSTER, np, {}, RT).body


def wait_for(c, np, what, pred):
    end = time.time() + DEADLINE
    while time.time() < end:
        b = detail(c, np)
        if pred(b):
            return b
        time.sleep(0.05)
    raise Failed(f"timed out waiting for {what}")


def tea_v2_lifecycle(c):
    req = m.CreateClusterNodePoolRequest(
        nodepool_info=m.CreateClusterNodePoolRequestNodepoolInfo(name="roa-v2"),
        scaling_group=m.CreateClusterNodePoolRequestScalingGroup(
            desired_size=1, instance_types=["ecs.g7.large"], vswitch_ids=["vsw-roa-1"],
            instance_charge_type="PostPaid", system_disk_category="cloud_essd",
            system_disk_size=120))
    np = c.create_cluster_node_pool_with_options(CLUSTER, req, {}, RT).body.nodepool_id
    check(bool(np), "create: no nodepool_id")
    wait_for(c, np, "1 node", lambda b: b.status.state == "active" and b.status.total_nodes == 1)
    pools = c.describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(nodepool_name="roa-v2"), {}, RT).body.nodepools
    check([p.nodepool_info.nodepool_id for p in pools] == [np], "list: filter by name")
    mod = m.ModifyClusterNodePoolRequest(
        scaling_group=m.ModifyClusterNodePoolRequestScalingGroup(desired_size=2))
    c.modify_cluster_node_pool_with_options(CLUSTER, np, mod, {}, RT)
    wait_for(c, np, "2 nodes", lambda b: b.status.state == "active" and b.status.total_nodes == 2)
    c.delete_cluster_nodepool_with_options(CLUSTER, np, m.DeleteClusterNodepoolRequest(force=True), {}, RT)
    end = time.time() + DEADLINE
    while time.time() < end:
        try:
            detail(c, np)
        except ClientException as e:
            check(e.status_code == 404 and e.code == "ErrorNodePoolNotFound", f"deleted pool: {e}")
            break
        time.sleep(0.05)
    else:
        raise Failed("timed out waiting for the deleted pool to disappear")


def tea_v2_refusals(c):
    expect_error(lambda: v2_client(sk="not-the-secret").describe_cluster_node_pools_with_options(
        CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT), 400, "SignatureDoesNotMatch",
        "wrong secret")
    # The same nonce twice: the second request is a replay.
    original = tea_utils.Utils.get_nonce
    tea_utils.Utils.get_nonce = staticmethod(lambda: "0123456789abcdef0123456789abcdef")
    try:
        c.describe_cluster_node_pools_with_options(CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT)
        expect_error(lambda: c.describe_cluster_node_pools_with_options(
            CLUSTER, m.DescribeClusterNodePoolsRequest(), {}, RT), 400, "SignatureNonceUsed",
            "replayed nonce")
    finally:
        tea_utils.Utils.get_nonce = original


def core_request(method, query=None, body=None):
    req = CommonRequest(domain=HOST, version="2015-12-15", action_name="DescribeClusterNodePools",
                        uri_pattern="/clusters/[ClusterId]/nodepools")
    req.set_protocol_type(urllib.parse.urlparse(URL).scheme)
    req.set_method(method)
    req.add_path_param("ClusterId", CLUSTER)
    for k, v in (query or {}).items():
        req.add_query_param(k, v)
    if body is not None:
        req.set_content(json.dumps(body).encode())
        req.set_content_type("application/json")
    return req


def sdk_core(sk=SK):
    return AcsClient(AK, sk, "cn-hangzhou", auto_retry=False, max_retry_time=0, timeout=30,
                     connect_timeout=5)


def core_calls():
    c = sdk_core()
    listed = json.loads(c.do_action_with_exception(core_request("GET", {"NodepoolName": "no such pool", "empty": ""})))
    check(listed.get("nodepools") == [], f"core list: {listed}")
    created = json.loads(c.do_action_with_exception(core_request("POST", body={
        "nodepool_info": {"name": "roa-core"},
        "scaling_group": {"desired_size": 0, "instance_types": ["ecs.g7.large"],
                          "vswitch_ids": ["vsw-roa-1"]}})))
    check(bool(created.get("nodepool_id")), f"core create: {created}")
    try:
        sdk_core(sk="not-the-secret").do_action_with_exception(core_request("GET"))
    except ServerException as e:
        # This SDK reads only a capitalised "Code"; ACK's ROA errors carry "code".
        check(e.get_http_status() == 400 and "SignatureDoesNotMatch" in str(e),
              f"core wrong secret: {e}")
    else:
        raise Failed("core wrong secret: accepted")
    return created["nodepool_id"]


def main():
    if not URL:
        print("interop_alibaba_roa: give the simulator URL as argv[1] or CLOUDSIM_URL", file=sys.stderr)
        return 2
    c = v2_client()
    step = None
    try:
        for step in (tea_v2_lifecycle, tea_v2_refusals):
            step(c)
        step = core_calls
        np = core_calls()
        c.delete_cluster_nodepool_with_options(CLUSTER, np, m.DeleteClusterNodepoolRequest(force=True), {}, RT)
    except Failed as e:
        print(f"interop_alibaba_roa: FAILED in {step.__name__}: {e}", file=sys.stderr)
        return 1
    except Exception as e:  # an unexpected SDK exception is a failure too
        print(f"interop_alibaba_roa: FAILED in {step.__name__}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"interop_alibaba_roa: OK ({checks} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
