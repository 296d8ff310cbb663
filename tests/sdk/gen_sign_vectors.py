"""Generates tests/sign/own-vectors.json: edge-case signature vectors produced by
the clouds' official SDKs themselves, for tests/sign_vectors.rs.

  Huawei:  huaweicloudsdkcore Signer (SDK-HMAC-SHA256), run through
           BasicCredentials.sign_request; the canonical request, string to
           sign and signature are recorded from the Signer's own step methods
           while sign() runs, and the Authorization is what sign() set.
  Alibaba: alibabacloud_tea_openapi Utils.get_authorization (ACS3-HMAC-SHA256);
           the canonical request and string to sign are recorded from the
           hash/HMAC calls get_authorization itself makes.
  *-e2e-*: whole wire requests captured on a loopback server from the real
           CceClient / CS Client (temporary credentials, clock and nonce pinned).
  ROA HMAC-SHA1 (`alibaba_roa`): Alibaba's older signature (`Authorization:
           acs AK:signature`), captured on the loopback server from two
           official clients: aliyun-python-sdk-core's AcsClient with a
           CommonRequest (roa_signature_composer), and the CS Client with
           Config.signature_algorithm = 'v2' (alibabacloud_tea_openapi
           do_roarequest); each with the string to sign the SDK computed.

Same shape as tests/sign/sdk-vectors.json (a copy of the shared vectors), with
these additions: Huawei vectors carry `headers_after_signing` (the header map as
the SDK leaves it, values stripped); every signer-level vector carries
`request_uri_on_wire` / `path_and_query_on_wire`, the target as `requests`
would put it on the request line.

Usage (from the repository root):
  $(tests/sdk/venv.sh)/bin/python tests/sdk/gen_sign_vectors.py [OUT]
OUT defaults to tests/sign/own-vectors.json. The output is deterministic.
"""
import copy
import datetime as _dt
import hashlib
import http.server
import json
import os
import sys
import tempfile
import threading
from importlib.metadata import version
from pathlib import Path

# The Huawei client writes ~/.huaweicloud/application_id on construction, and
# requests honours proxy variables: keep both away from this run.
os.environ["HOME"] = tempfile.mkdtemp(prefix="gen-sign-vectors-")
for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "*"

import requests  # noqa: E402  (a dependency of both SDKs)
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.sdk_request import SdkRequest  # noqa: E402
from huaweicloudsdkcore.signer import signer as hw_signer_module  # noqa: E402
from huaweicloudsdkcore.signer.signer import Signer  # noqa: E402
from alibabacloud_tea_openapi import utils as ali_utils  # noqa: E402
from alibabacloud_tea_openapi.utils import (  # noqa: E402
    Utils,
    get_canonical_query_string,
    get_canonicalized_headers,
)
from darabonba.core import DaraCore  # noqa: E402
from darabonba.request import DaraRequest  # noqa: E402
from darabonba.url import Url as DaraURL  # noqa: E402

AK = "AKTESTEXAMPLE"
SK = "SKTESTEXAMPLESECRET"
PROJECT = "0123456789abcdef0123456789abcdef"
HOST = "127.0.0.1:8080"
HW_DATE = "20240115T083000Z"
ALI_DATE = "2024-01-15T08:30:00Z"
HW_UA = "huaweicloud-usdk-python/3.0; sdk-vector"
ALI_UA = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2"
CLUSTER_HW = "11111111-2222-3333-4444-555555555555"
CLUSTER_ALI = "c0123456789abcdef0123456789abcdef"
HW_POOLS = f"/api/v3/projects/{PROJECT}/clusters/{CLUSTER_HW}/nodepools"
ALI_POOLS = f"/clusters/{CLUSTER_ALI}/nodepools"
STS_TOKEN = "STS-TOKEN.example/with+chars=="
EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def wire_target(url):
    """The request target `requests` puts on the request line for this URL."""
    return requests.Request("GET", url).prepare().path_url


def large_body(kib):
    """A deterministic JSON body of about `kib` KiB with non-ASCII text in it."""
    items, i = [], 0
    while len(json.dumps(items, ensure_ascii=False).encode()) < kib * 1024:
        items.append({"key": f"label-{i:05d}", "value": f"值-{i:05d}-ü", "effect": "NoSchedule"})
        i += 1
    return json.dumps({"spec": {"nodeTemplate": {"taints": items}}}, ensure_ascii=False)


# ----------------------------------------------------------------------------
# Huawei
# ----------------------------------------------------------------------------

def huawei_vector(vid, description, method, path, query, headers, body=None, security_token=None):
    creds = BasicCredentials(AK, SK, PROJECT)
    if security_token is not None:
        creds = creds.with_security_token(security_token)
    request = SdkRequest(
        method=method, schema="http", host=HOST, resource_path=path,
        query_params=copy.deepcopy(query), header_params=dict(headers), body=body,
    )
    before = dict(headers)
    recorded = {}
    names = ("_process_signed_headers", "_process_canonical_request",
             "_process_string_to_sign", "_sign_string_to_sign")
    descriptors = {name: Signer.__dict__[name] for name in names}

    def recording(name):
        bound = getattr(Signer, name)  # a plain function, or the classmethod bound to Signer

        def wrapped(*args):
            # instance methods get (self, ...); the classmethod wrapper below drops `cls`.
            result = bound(*args)
            recorded[name] = result
            return result
        return wrapped

    try:
        signed_headers = recording("_process_signed_headers")
        Signer._process_signed_headers = classmethod(lambda cls, r: signed_headers(r))
        for name in names[1:]:
            setattr(Signer, name, recording(name))
        creds.sign_request(request)
    finally:
        for name, descriptor in descriptors.items():
            setattr(Signer, name, descriptor)

    after = dict(request.header_params)
    added = {k: v for k, v in after.items() if k not in before}
    body_bytes = body.encode() if isinstance(body, str) else (body or b"")
    return {
        "id": vid,
        "description": description,
        "inputs": {
            "access_key": AK,
            "secret_key": SK,
            "project_id": PROJECT,
            "method": method,
            "scheme": "http",
            "host": HOST,
            "path": path,
            "query_params": query,
            "headers_before_signing": before,
            "body": body,
            "body_sha256_hex": hashlib.sha256(body_bytes).hexdigest(),
            "x_sdk_date": HW_DATE,
        },
        "headers_added_by_signing": added,
        "headers_after_signing": after,
        "signed_headers": ";".join(recorded["_process_signed_headers"]),
        "canonical_request": recorded["_process_canonical_request"],
        "string_to_sign": recorded["_process_string_to_sign"],
        "signature": recorded["_sign_string_to_sign"],
        "authorization": after["Authorization"],
        "request_uri_on_wire": wire_target(request.url),
    }


def hw_headers(**extra):
    h = {"User-Agent": HW_UA, "Content-Type": "application/json", "X-Sdk-Date": HW_DATE}
    h.update(extra)
    return h


def huawei_vectors():
    out = []
    out.append(huawei_vector(
        "hw-own-1-empty-query-value", "GET with a query parameter whose value is empty",
        "GET", HW_POOLS, [("showDefaultNodePool", ""), ("limit", "10")], hw_headers()))
    out.append(huawei_vector(
        "hw-own-2-query-reserved-chars",
        "query keys and values with '=', '&', '%', '+', a literal '%20', '*' and a space: every "
        "key and value is quote(safe='~')-encoded, pairs sorted on the raw text",
        "GET", HW_POOLS,
        [("filter", "a=b&c"), ("pct", "100%"), ("plus", "1+1"), ("lit", "%20"),
         ("k=&", "v"), ("sp", "a b*"), ("plus", "1 1")], hw_headers()))
    out.append(huawei_vector(
        "hw-own-3-unicode-path-encoded",
        "DELETE of a node pool whose ID segment holds non-ASCII characters, percent-encoded by "
        "the client (quote(v, safe=''))",
        "DELETE", HW_POOLS + "/" + DaraURL.percent_encode("节点-ü 1"), [], hw_headers()))
    out.append(huawei_vector(
        "hw-own-4-unicode-path-raw",
        "a path with raw (unencoded) non-ASCII characters: the canonical URI encodes them; "
        "requests encodes them on the wire",
        "GET", HW_POOLS + "/节点-ü", [], hw_headers()))
    out.append(huawei_vector(
        "hw-own-5-encoded-slash-in-path",
        "a segment holding an encoded '/' (%2F): the SDK unquotes the whole path before "
        "splitting it, so %2F becomes a separator in the canonical URI",
        "GET", HW_POOLS + "/a%2Fb", [], hw_headers()))
    out.append(huawei_vector(
        "hw-own-6-repeated-query-keys",
        "repeated keys, given both as repeated pairs and as a list value (sorted and expanded)",
        "GET", HW_POOLS,
        [("tag", "b"), ("id", "2"), ("tag", "a"), ("id", "10"), ("name", ["z", "x", "y"])],
        hw_headers()))
    out.append(huawei_vector(
        "hw-own-7-header-values-with-spaces",
        "header values with surrounding spaces and tabs (stripped in the canonical headers and "
        "by the SDK on the wire); a header whose name contains '_' is not signed",
        "GET", HW_POOLS, [],
        hw_headers(**{"User-Agent": "  " + HW_UA + " \t", "X-Custom-Header": "\t inner  value ",
                      "X_Not_Signed": " skipped "})))
    out.append(huawei_vector(
        "hw-own-8-large-body", "POST with a body of about 16 KiB (raw UTF-8)",
        "POST", HW_POOLS, [], hw_headers(), body=large_body(16)))
    out.append(huawei_vector(
        "hw-own-9-security-token",
        "temporary credentials: BasicCredentials.with_security_token adds a signed X-Security-Token",
        "POST", HW_POOLS, [], hw_headers(), body='{"kind": "NodePool"}', security_token=STS_TOKEN))
    out.append(huawei_vector(
        "hw-own-10-lowercase-header-names",
        "every header given in lowercase (including host, so the SDK adds no Host): signed "
        "exactly as the canonical spellings would be",
        "POST", HW_POOLS, [],
        {"user-agent": HW_UA, "content-type": "application/json", "x-sdk-date": HW_DATE,
         "host": HOST},
        body='{"kind": "NodePool"}'))
    out.append(huawei_vector(
        "hw-own-11-non-json-content-type",
        "Content-Type that is neither JSON nor BSON: the SDK adds X-Sdk-Content-Sha256: "
        "UNSIGNED-PAYLOAD, signs it, and uses it instead of the body hash",
        "PUT", HW_POOLS + "/np-1", [],
        hw_headers(**{"Content-Type": "application/octet-stream"}), body="raw bytes"))
    out.append(huawei_vector(
        "hw-own-12-lowercase-non-json-content-type",
        "the same with the header spelled 'content-type': the SDK only looks for the exact "
        "spelling 'Content-Type', so the body is hashed as usual",
        "PUT", HW_POOLS + "/np-1", [],
        {"User-Agent": HW_UA, "content-type": "text/plain", "X-Sdk-Date": HW_DATE},
        body="raw bytes"))
    return out


# ----------------------------------------------------------------------------
# Alibaba
# ----------------------------------------------------------------------------

def alibaba_vector(vid, description, method, path, query, headers, body=None, nonce="0" * 32):
    body_bytes = body.encode() if isinstance(body, str) else (body or b"")
    payload = hashlib.sha256(body_bytes).hexdigest()
    hdrs = {"host": HOST, "x-acs-version": "2015-12-15", "x-acs-action": "DescribeClusterNodePools",
            "user-agent": ALI_UA, "x-acs-date": ALI_DATE, "x-acs-signature-nonce": nonce,
            "accept": "application/json"}
    hdrs.update(headers)
    # A None value removes a default (e.g. to give only a differently spelled name).
    hdrs = {k: v for k, v in hdrs.items() if v is not None}
    if body is not None and not any(k.lower() == "content-type" for k in hdrs):
        hdrs["content-type"] = "application/json; charset=utf-8"
    hdrs["x-acs-content-sha256"] = payload
    if not any(k.lower() == "x-acs-credentials-provider" for k in hdrs):
        hdrs["x-acs-credentials-provider"] = "static_ak"

    request = DaraRequest()
    request.protocol = "http"
    request.method = method
    request.pathname = path
    request.query = dict(query)
    request.headers = dict(hdrs)
    request.body = body

    recorded = {}
    original_hash, original_sig = Utils.hash, ali_utils.signature_method

    def rec_hash(raw, sign_type):
        recorded["canonical_request"] = raw.decode("utf-8")
        return original_hash(raw, sign_type)

    def rec_sig(secret, source, sign_type):
        recorded["string_to_sign"] = source
        result = original_sig(secret, source, sign_type)
        recorded["signature"] = result.hex()
        return result

    try:
        Utils.hash = staticmethod(rec_hash)
        ali_utils.signature_method = rec_sig
        authorization = Utils.get_authorization(request, "ACS3-HMAC-SHA256", payload, AK, SK)
    finally:
        Utils.hash = staticmethod(original_hash)
        ali_utils.signature_method = original_sig

    _, signed = get_canonicalized_headers(request.headers)
    url = DaraCore.compose_url(request)
    return {
        "id": vid,
        "description": description,
        "inputs": {
            "access_key": AK,
            "secret_key": SK,
            "method": method,
            "scheme": "http",
            "host": HOST,
            "path": path,
            "query": query,
            "headers_before_signing": hdrs,
            "body": body,
            "body_sha256_hex": payload,
            "x_acs_date": ALI_DATE,
            "x_acs_signature_nonce": nonce,
        },
        "canonical_query_string": get_canonical_query_string(request.query),
        "signed_headers": signed,
        "canonical_request": recorded["canonical_request"],
        "string_to_sign": recorded["string_to_sign"],
        "signature": recorded["signature"],
        "authorization": authorization,
        "url_on_wire": url,
        "path_and_query_on_wire": wire_target(url),
    }


def alibaba_vectors():
    out = []
    out.append(alibaba_vector(
        "ali-own-1-empty-query-value", "GET with a query parameter whose value is empty",
        "GET", ALI_POOLS, {"NodepoolName": "", "limit": "10"}, {}, nonce="1" * 32))
    out.append(alibaba_vector(
        "ali-own-2-query-reserved-chars",
        "values with '=', '&', '%', '+', a literal '%20', '*', '~', '/' and a space; a key with a "
        "space and a '.' (keys are not encoded in the canonical query; form-encoded on the wire)",
        "GET", ALI_POOLS,
        {"filter": "a=b&c", "pct": "100%", "plus": "1+1", "lit": "%20", "sp": "a b*~/",
         "k y": "v", "a.b": "1"}, {}, nonce="2" * 32))
    out.append(alibaba_vector(
        "ali-own-3-unicode-path",
        "DELETE of a node pool whose ID holds non-ASCII characters, a space, '*' and '~', "
        "encoded by the SDK's own DaraURL.percent_encode; the canonical URI is that path as is",
        "DELETE", ALI_POOLS + "/" + DaraURL.percent_encode("节点-ü 1*~"), {},
        {"x-acs-action": "DeleteClusterNodepool"}, nonce="3" * 32))
    out.append(alibaba_vector(
        "ali-own-4-repeated-query-keys",
        "a list query parameter as the SDK sends one: Utils.query flattens it to numbered keys "
        "(the query is a map, so a key can never repeat)",
        "GET", ALI_POOLS, Utils.query({"ids": ["np-b", "np-a", "np-c"], "NodepoolName": "x"}), {},
        nonce="4" * 32))
    out.append(alibaba_vector(
        "ali-own-5-header-values-with-spaces",
        "header values with surrounding spaces and tabs (stripped in the canonical headers)",
        "GET", ALI_POOLS, {},
        {"user-agent": "  " + ALI_UA + " \t", "x-acs-action": " DescribeClusterNodePools ",
         "x-custom": "\t inner  value "}, nonce="5" * 32))
    out.append(alibaba_vector(
        "ali-own-6-large-body", "POST with a body of about 16 KiB (raw UTF-8)",
        "POST", ALI_POOLS, {}, {"x-acs-action": "CreateClusterNodePool"},
        body=large_body(16), nonce="6" * 32))
    out.append(alibaba_vector(
        "ali-own-7-security-token",
        "temporary credentials: x-acs-accesskey-id and x-acs-security-token are present at "
        "signing time and signed (provider static_sts)",
        "POST", ALI_POOLS, {},
        {"x-acs-action": "CreateClusterNodePool", "x-acs-credentials-provider": "static_sts",
         "x-acs-accesskey-id": AK, "x-acs-security-token": STS_TOKEN},
        body='{"nodepool_info":{"name":"pool-a"}}', nonce="7" * 32))
    out.append(alibaba_vector(
        "ali-own-8-mixed-case-header-names",
        "header names in mixed case are lowercased; one name given under two spellings is "
        "signed once with its values sorted and joined by ','",
        "GET", ALI_POOLS, {},
        {"X-Acs-Version": "2015-12-15", "x-acs-version": None, "Accept": "text/plain",
         "X-Custom": "b-value", "x-custom": "a-value"}, nonce="8" * 32))
    return out


# ----------------------------------------------------------------------------
# End-to-end captures from the real clients
# ----------------------------------------------------------------------------

class Capture(http.server.BaseHTTPRequestHandler):
    captured = []
    reply = b"{}"

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Capture.captured.append({
            "method": self.command,
            "path_and_query": self.path,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body.decode("utf-8"),
        })
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(Capture.reply)))
        self.end_headers()
        self.wfile.write(Capture.reply)

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def log_message(self, *args):
        pass


# A fixed port keeps the output deterministic: the Host header (signed) carries it.
CAPTURE_PORT = int(os.environ.get("GEN_SIGN_VECTORS_PORT", "58080"))


def capture(reply, call):
    try:
        server = http.server.HTTPServer(("127.0.0.1", CAPTURE_PORT), Capture)
    except OSError as e:
        sys.exit(f"cannot listen on 127.0.0.1:{CAPTURE_PORT} ({e}); set GEN_SIGN_VECTORS_PORT")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Capture.captured, Capture.reply = [], reply
    try:
        call(f"127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
    assert len(Capture.captured) == 1, Capture.captured
    return Capture.captured[0]


def huawei_e2e():
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkcce.v3 import CceClient, ListNodePoolsRequest

    class FixedDateTime(_dt.datetime):
        @classmethod
        def utcnow(cls):
            return _dt.datetime(2024, 1, 15, 8, 30, 0)

    def call(host):
        cfg = HttpConfig.get_default_config()
        cfg.timeout, cfg.retry_times, cfg.user_agent = (5, 30), 0, "sdk-vector"
        creds = BasicCredentials(AK, SK, PROJECT).with_security_token(STS_TOKEN)
        client = (CceClient.new_builder().with_http_config(cfg).with_credentials(creds)
                  .with_endpoints([f"http://{host}"]).build())
        client.list_node_pools(ListNodePoolsRequest(
            cluster_id=CLUSTER_HW, show_default_node_pool="true", advance_status=False))

    original = hw_signer_module.datetime
    hw_signer_module.datetime = FixedDateTime
    try:
        wire = capture(b'{"items": []}', call)
    finally:
        hw_signer_module.datetime = original
    authorization = next(v for k, v in wire["headers"] if k == "Authorization")
    return {
        "id": "hw-e2e-1-sts-list-query",
        "description": "Captured from a real CceClient.list_node_pools call with temporary "
                       "credentials (X-Security-Token), a string and a bool query parameter, clock "
                       "pinned to 20240115T083000Z; the capture server listened on "
                       "127.0.0.1:58080.",
        "wire_request": wire,
        "secret_key": SK,
        "authorization": authorization,
    }


def alibaba_e2e():
    from alibabacloud_cs20151215 import models as cs_models
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi import utils_models as om
    from darabonba.runtime import RuntimeOptions

    def call(host):
        client = Client(om.Config(access_key_id=AK, access_key_secret=SK, security_token=STS_TOKEN,
                                  region_id="cn-hangzhou", endpoint=host, protocol="http",
                                  connect_timeout=5000, read_timeout=30000))
        client.describe_cluster_node_pools_with_options(
            CLUSTER_ALI, cs_models.DescribeClusterNodePoolsRequest(nodepool_name="pool a+b 节点=1&2"),
            {"user-agent": "sdk-vector"}, RuntimeOptions(autoretry=False))

    original_ts, original_nonce = Utils.get_timestamp, Utils.get_nonce
    Utils.get_timestamp = staticmethod(lambda: ALI_DATE)
    Utils.get_nonce = staticmethod(lambda: "9" * 32)
    try:
        wire = capture(b'{"nodepools": []}', call)
    finally:
        Utils.get_timestamp, Utils.get_nonce = original_ts, original_nonce
    authorization = next(v for k, v in wire["headers"] if k == "Authorization")
    return {
        "id": "ali-e2e-1-sts-describe-query",
        "description": "Captured from a real CS Client.describe_cluster_node_pools_with_options "
                       "call with temporary credentials (x-acs-accesskey-id, "
                       "x-acs-security-token), a NodepoolName with a space, '+', '=', '&' and "
                       "non-ASCII (form-encoded on the wire); x-acs-date and nonce pinned, "
                       "user-agent overridden; the capture server listened on "
                       "127.0.0.1:58080.",
        "wire_request": wire,
        "secret_key": SK,
        "authorization": authorization,
    }


# ----------------------------------------------------------------------------
# Alibaba ROA HMAC-SHA1 (the older signature)
# ----------------------------------------------------------------------------

ALI_RFC2616_DATE = "Mon, 15 Jan 2024 08:30:00 GMT"


def roa_capture_sdk_core(vid, description, method, query, body=None, security_token=None):
    """A real aliyun-python-sdk-core AcsClient call (ROA CommonRequest), captured."""
    from aliyunsdkcore.auth.composer import roa_signature_composer as composer
    from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.request import CommonRequest
    from aliyunsdkcore.utils import parameter_helper

    recorded = {}
    original_compose = composer.compose_string_to_sign

    def recording_compose(*args, **kwargs):
        recorded["string_to_sign"] = original_compose(*args, **kwargs)
        return recorded["string_to_sign"]

    def call(host):
        cred = (StsTokenCredential(AK, SK, security_token) if security_token
                else AccessKeyCredential(AK, SK))
        client = AcsClient(credential=cred, region_id="cn-hangzhou", auto_retry=False,
                           max_retry_time=0, timeout=30, connect_timeout=5)
        request = CommonRequest(domain=host, version="2015-12-15",
                                action_name="DescribeClusterNodePools",
                                uri_pattern="/clusters/[ClusterId]/nodepools")
        request.set_protocol_type("http")
        request.set_method(method)
        request.add_path_param("ClusterId", CLUSTER_ALI)
        for k, v in query.items():
            request.add_query_param(k, v)
        if body is not None:
            request.set_content(body.encode("utf-8"))
            request.set_content_type("application/json")
        client.do_action_with_exception(request)

    original_date = parameter_helper.get_rfc_2616_date
    parameter_helper.get_rfc_2616_date = lambda: ALI_RFC2616_DATE
    composer.compose_string_to_sign = recording_compose
    try:
        wire = capture(b'{"nodepools": []}', call)
    finally:
        parameter_helper.get_rfc_2616_date = original_date
        composer.compose_string_to_sign = original_compose
    authorization = next(v for k, v in wire["headers"] if k.lower() == "authorization")
    return {
        "id": vid,
        "description": description,
        "client": f"aliyun-python-sdk-core {version('aliyun-python-sdk-core')} AcsClient",
        "wire_request": wire,
        "secret_key": SK,
        "string_to_sign": recorded["string_to_sign"],
        "authorization": authorization,
    }


def roa_capture_tea_openapi_v2(vid, description, call_client, security_token=None):
    """A real CS Client call with signature_algorithm='v2' (do_roarequest), captured."""
    from alibabacloud_cs20151215.client import Client
    from alibabacloud_tea_openapi import utils_models as om

    recorded = {}
    original_sts, original_date, original_nonce = (
        Utils.get_string_to_sign, Utils.get_date_utcstring, Utils.get_nonce)

    def recording_sts(request):
        recorded["string_to_sign"] = original_sts(request)
        return recorded["string_to_sign"]

    def call(host):
        client = Client(om.Config(access_key_id=AK, access_key_secret=SK,
                                  security_token=security_token, region_id="cn-hangzhou",
                                  endpoint=host, protocol="http", signature_algorithm="v2",
                                  connect_timeout=5000, read_timeout=30000))
        call_client(client)

    Utils.get_string_to_sign = staticmethod(recording_sts)
    Utils.get_date_utcstring = staticmethod(lambda: ALI_RFC2616_DATE)
    Utils.get_nonce = staticmethod(lambda: "a" * 32)
    try:
        wire = capture(b'{"nodepools": [], "nodepool_id": "np-1", "task_id": "T-1"}', call)
    finally:
        Utils.get_string_to_sign = staticmethod(original_sts)
        Utils.get_date_utcstring = staticmethod(original_date)
        Utils.get_nonce = staticmethod(original_nonce)
    authorization = next(v for k, v in wire["headers"] if k.lower() == "authorization")
    return {
        "id": vid,
        "description": description,
        "client": (f"alibabacloud-cs20151215 {version('alibabacloud-cs20151215')} on "
                   f"alibabacloud-tea-openapi {version('alibabacloud-tea-openapi')}, "
                   "signature_algorithm='v2'"),
        "wire_request": wire,
        "secret_key": SK,
        "string_to_sign": recorded["string_to_sign"],
        "authorization": authorization,
    }


def alibaba_roa_vectors():
    from alibabacloud_cs20151215 import models as cs_models
    from darabonba.runtime import RuntimeOptions

    def describe(client):
        client.describe_cluster_node_pools_with_options(
            CLUSTER_ALI, cs_models.DescribeClusterNodePoolsRequest(nodepool_name="pool a+b 节点=1&2"),
            {"user-agent": "sdk-vector"}, RuntimeOptions(autoretry=False))

    def create(client):
        client.create_cluster_node_pool_with_options(
            CLUSTER_ALI,
            cs_models.CreateClusterNodePoolRequest(
                nodepool_info=cs_models.CreateClusterNodePoolRequestNodepoolInfo(name="pool-a"),
                scaling_group=cs_models.CreateClusterNodePoolRequestScalingGroup(
                    instance_types=["ecs.g7.large"], vswitch_ids=["vsw-1"], desired_size=2)),
            {"user-agent": "sdk-vector"}, RuntimeOptions(autoretry=False))

    def delete(client):
        client.delete_cluster_nodepool_with_options(
            CLUSTER_ALI, "np-节点 1", cs_models.DeleteClusterNodepoolRequest(force=False),
            {"user-agent": "sdk-vector"}, RuntimeOptions(autoretry=False))

    return [
        roa_capture_sdk_core(
            "ali-roa-1-core-list-query", "aliyun-python-sdk-core GET with a query holding a "
            "space, '+', '=', '&' and non-ASCII (raw in the string to sign, form-encoded on the "
            "wire) and an empty value (written 'key=' by this SDK); RegionId added by the SDK",
            "GET", {"NodepoolName": "pool a+b 节点=1&2", "empty": ""}),
        roa_capture_sdk_core(
            "ali-roa-2-core-post-body-sts", "aliyun-python-sdk-core POST with a JSON body "
            "(Content-MD5 signed) and temporary credentials (x-acs-security-token)",
            "POST", {}, body='{"nodepool_info":{"name":"pool-a"}}', security_token=STS_TOKEN),
        roa_capture_tea_openapi_v2(
            "ali-roa-3-tea-v2-describe-sts", "CS Client (signature_algorithm='v2') "
            "describe_cluster_node_pools with temporary credentials and a NodepoolName needing "
            "encoding; x-acs-signature-nonce signed, no Content-MD5",
            describe, security_token=STS_TOKEN),
        roa_capture_tea_openapi_v2(
            "ali-roa-4-tea-v2-create-body", "CS Client (signature_algorithm='v2') "
            "create_cluster_node_pool: a JSON body, which this SDK leaves out of the signature "
            "(no Content-MD5)", create),
        roa_capture_tea_openapi_v2(
            "ali-roa-5-tea-v2-delete-encoded-path", "CS Client (signature_algorithm='v2') "
            "delete_cluster_nodepool of a pool ID with non-ASCII and a space (percent-encoded "
            "path, signed as sent) and force=false", delete),
    ]


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "sign" / "own-vectors.json"
    doc = {
        "about": "Edge-case signature vectors generated by tests/sdk/gen_sign_vectors.py from the "
                 "official SDKs' own signing code (see the script's docstring). Same shape as "
                 "sdk-vectors.json. Regenerate with: $(tests/sdk/venv.sh)/bin/python "
                 "tests/sdk/gen_sign_vectors.py",
        "sdk_versions": {p: version(p) for p in (
            "huaweicloudsdkcore", "huaweicloudsdkcce", "alibabacloud-cs20151215",
            "alibabacloud-tea-openapi", "alibabacloud-credentials", "darabonba-core",
            "alibabacloud-tea", "aliyun-python-sdk-core", "requests")},
        "huawei": huawei_vectors() + [huawei_e2e()],
        "alibaba": alibaba_vectors() + [alibaba_e2e()],
        "alibaba_roa": alibaba_roa_vectors(),
    }
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}: {len(doc['huawei'])} huawei, {len(doc['alibaba'])} alibaba, "
          f"{len(doc['alibaba_roa'])} alibaba ROA HMAC-SHA1 vectors")


if __name__ == "__main__":
    main()
