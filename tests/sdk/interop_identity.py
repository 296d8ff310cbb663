"""The clouds' official credential libraries against nodepool-cloudsim's identity services.

alibabacloud-credentials (OIDC role provider from its environment variables, RAM role ARN provider
chained on it, ECS RAM role provider) and huaweicloudsdkcore (federation from its environment
variables, ECS metadata) obtain temporary credentials from the simulator, and the node-pool SDKs
(alibabacloud-cs20151215, huaweicloudsdkcce) call ACK and CCE with them, before and after the
first credentials expire.

Usage: interop_identity.py URL (or env CLOUDSIM_URL). Environment, set by tests/sim_identity.rs:
  ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE   (read by the library)
  HUAWEICLOUD_SDK_IDP_ID, HUAWEICLOUD_SDK_ID_TOKEN_FILE, HUAWEICLOUD_SDK_IAM_ENDPOINT,
  HUAWEICLOUD_SDK_PROJECT_ID                                                             (read by the library)
  CLOUDSIM_CHAIN_ROLE_ARN, CLOUDSIM_CHAIN_EXTERNAL_ID  the role assumed with AssumeRole from the OIDC role
  CLOUDSIM_ALI_CLUSTER, CLOUDSIM_HW_CLUSTER, CLOUDSIM_CREDENTIAL_SECONDS
Exits non-zero with a message on the first failed check.

The metadata providers hard-code their service's address (alibabacloud_credentials
provider/ecs_ram_role.py: '100.100.100.200'; huaweicloudsdkcore auth/internal.py MetadataAccessor:
'http://169.254.169.254'); both honour HTTP_PROXY, so the metadata phases set it to the simulator,
which answers requests in proxy form by their path. No packet leaves loopback.
"""

import json
import os
import sys
import time
import urllib.parse
import urllib.request

from alibabacloud_credentials.client import Client as CredentialClient
from alibabacloud_credentials.provider.ecs_ram_role import EcsRamRoleCredentialsProvider
from alibabacloud_credentials.provider.oidc import OIDCRoleArnCredentialsProvider
from alibabacloud_credentials.provider.ram_role_arn import RamRoleArnCredentialsProvider
from alibabacloud_cs20151215 import models as am
from alibabacloud_cs20151215.client import Client as CsClient
from alibabacloud_tea_openapi import utils_models as om
from darabonba.runtime import RuntimeOptions
from huaweicloudsdkcce.v3 import CceClient, ListNodePoolsRequest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.auth.provider import EnvCredentialProvider
from huaweicloudsdkcore.http.http_config import HttpConfig

URL = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CLOUDSIM_URL", "")).rstrip("/")
ALI_CLUSTER = os.environ.get("CLOUDSIM_ALI_CLUSTER", "c-ack-1")
HW_CLUSTER = os.environ.get("CLOUDSIM_HW_CLUSTER", "cce-cluster-1")
HW_PROJECT = os.environ.get("HUAWEICLOUD_SDK_PROJECT_ID", "")
LIFETIME = float(os.environ.get("CLOUDSIM_CREDENTIAL_SECONDS", "20"))
CHAIN_ROLE = os.environ.get("CLOUDSIM_CHAIN_ROLE_ARN", "")
CHAIN_EXTERNAL_ID = os.environ.get("CLOUDSIM_CHAIN_EXTERNAL_ID", "")
RT = RuntimeOptions(autoretry=False)
# The node-pool and IAM calls go straight to the simulator; only metadata calls use HTTP_PROXY.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

checks = 0


class Failed(Exception):
    pass


def check(cond, what):
    global checks
    if not cond:
        raise Failed(what)
    checks += 1


def admin(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(req, timeout=10) as resp:
        return json.loads(resp.read())


def counters(cloud):
    """{(operation, outcome): count} for one counter cloud."""
    out = {}
    for c in admin("GET", "/_sim/counters")["counters"]:
        if c["cloud"] == cloud:
            out[(c["operation"], c["outcome"])] = c["count"]
    return out


def failures(cloud):
    return {k: v for k, v in counters(cloud).items() if k[1] != "ok"}


def ack(credential_client):
    parsed = urllib.parse.urlparse(URL)
    return CsClient(om.Config(credential=credential_client, region_id="cn-hangzhou",
                              endpoint=parsed.netloc, protocol=parsed.scheme,
                              connect_timeout=5000, read_timeout=30000))


def list_ack(client, what):
    resp = client.describe_cluster_node_pools_with_options(
        ALI_CLUSTER, am.DescribeClusterNodePoolsRequest(), {}, RT)
    check(resp.status_code == 200, f"{what}: DescribeClusterNodePools status {resp.status_code}")
    return resp


def cce(credentials):
    cfg = HttpConfig.get_default_config()
    cfg.timeout = (5, 30)
    cfg.retry_times = 0
    return (CceClient.new_builder().with_http_config(cfg).with_credentials(credentials)
            .with_endpoints([URL]).build())


def list_cce(client, what):
    resp = client.list_node_pools(ListNodePoolsRequest(cluster_id=HW_CLUSTER))
    check(resp.status_code == 200, f"{what}: ListNodePools status {resp.status_code}")
    return resp


def outlive_credentials():
    time.sleep(LIFETIME + 1.5)


def alibaba_oidc():
    # Everything but the endpoint comes from ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN and
    # _OIDC_TOKEN_FILE. The library sets protocol 'https' but Tea's compose_url keeps a scheme
    # given with the host, so the plain-HTTP simulator is reachable unpatched.
    provider = OIDCRoleArnCredentialsProvider(sts_endpoint=URL, duration_seconds=900,
                                              role_session_name="interop-oidc")
    cred = provider.get_credentials()
    check(cred.get_access_key_id().startswith("STS."), "OIDC: not an STS access key")
    check(bool(cred.get_security_token()), "OIDC: no security token")
    client = ack(CredentialClient(provider=provider))
    list_ack(client, "OIDC role")
    outlive_credentials()
    # The first keys are expired now; the provider must fetch new ones by itself.
    list_ack(client, "OIDC role after the first keys expired")
    n = counters("alibaba-sts").get(("AssumeRoleWithOIDC", "ok"), 0)
    check(n >= 2, f"OIDC: {n} AssumeRoleWithOIDC calls, want a refresh after expiry")
    return provider


def alibaba_chain(oidc_provider):
    provider = RamRoleArnCredentialsProvider(credentials_provider=oidc_provider,
                                             role_arn=CHAIN_ROLE, external_id=CHAIN_EXTERNAL_ID,
                                             role_session_name="interop-chain",
                                             duration_seconds=900, sts_endpoint=URL)
    cred = provider.get_credentials()
    check(cred.get_access_key_id().startswith("STS."), "AssumeRole: not an STS access key")
    list_ack(ack(CredentialClient(provider=provider)), "chained role")
    n = counters("alibaba-sts").get(("AssumeRole", "ok"), 0)
    check(n >= 1, "AssumeRole: no successful call counted")


def with_metadata_proxy(fn):
    old = {k: os.environ.get(k) for k in ("HTTP_PROXY", "http_proxy")}
    os.environ["HTTP_PROXY"] = os.environ["http_proxy"] = URL
    try:
        return fn()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def alibaba_ecs():
    def run():
        provider = EcsRamRoleCredentialsProvider(disable_imds_v1=True, async_update_enabled=False)
        cred = provider.get_credentials()
        check(cred.get_access_key_id().startswith("STS."), "ECS RAM role: not an STS access key")
        client = ack(CredentialClient(provider=provider))
        list_ack(client, "ECS RAM role")
        outlive_credentials()
        list_ack(client, "ECS RAM role after the first keys expired")

    with_metadata_proxy(run)
    c = counters("alibaba-metadata")
    check(c.get(("GetMetadataToken", "ok"), 0) >= 1, f"ECS: no IMDSv2 token was asked for: {c}")
    check(c.get(("ListRamRoles", "ok"), 0) >= 1, f"ECS: the role name was not listed: {c}")
    check(c.get(("GetRamRoleCredentials", "ok"), 0) >= 2, f"ECS: no refresh after expiry: {c}")


def huawei_federation():
    # idp id, ID token file and project from HUAWEICLOUD_SDK_*; the IAM endpoint from
    # HUAWEICLOUD_SDK_IAM_ENDPOINT (a full URL, http accepted).
    credentials = EnvCredentialProvider.get_basic_credential_env_provider().get_credentials()
    client = cce(credentials)
    list_cce(client, "federation")
    check(bool(credentials.security_token), "federation: no security token on the credentials")
    first_ak = credentials.ak
    outlive_credentials()
    list_cce(client, "federation after the first keys expired")
    check(credentials.ak != first_ak, "federation: the SDK kept the expired key")
    c = counters("huawei-iam")
    check(c.get(("CreateTokenWithIdToken", "ok"), 0) >= 2, f"federation: token calls {c}")
    check(c.get(("CreateTemporaryAccessKeyByToken", "ok"), 0) >= 2, f"federation: key calls {c}")


def huawei_metadata():
    def run():
        credentials = BasicCredentials(project_id=HW_PROJECT)
        client = cce(credentials)
        list_cce(client, "metadata")
        check(bool(credentials.security_token), "metadata: no security token on the credentials")
        first_ak = credentials.ak
        outlive_credentials()
        list_cce(client, "metadata after the first keys expired")
        check(credentials.ak != first_ak, "metadata: the SDK kept the expired key")

    with_metadata_proxy(run)
    c = counters("huawei-metadata")
    check(c.get(("GetMetadataToken", "ok"), 0) >= 1, f"metadata: no token was asked for: {c}")
    check(c.get(("GetSecurityKey", "ok"), 0) >= 2, f"metadata: no refresh after expiry: {c}")


def main():
    if not URL:
        print("usage: interop_identity.py URL", file=sys.stderr)
        return 2
    try:
        oidc = alibaba_oidc()
        alibaba_chain(oidc)
        alibaba_ecs()
        huawei_federation()
        huawei_metadata()
        for cloud in ("alibaba-sts", "huawei-iam", "alibaba-metadata", "huawei-metadata",
                      "alibaba", "huawei"):
            check(not failures(cloud), f"failed {cloud} calls: {failures(cloud)}")
    except Failed as e:
        print(f"interop_identity: FAILED after {checks} checks: {e}", file=sys.stderr)
        return 1
    print(f"interop_identity: {checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
