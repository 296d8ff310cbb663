"""Load check for nodepool-cloudsim: signed GETs (list node pools) over keep-alive connections.

Usage: interop_load.py HOST:PORT [SECONDS] [WORKERS] [huawei|alibaba]
Every request is signed afresh (SDK-HMAC-SHA256 or ACS3-HMAC-SHA256, stdlib only, the same
algorithms as the official SDKs) so the simulator verifies a real signature each time (and, for
ACK, sees a new nonce). Expects the accounts and clusters of tests/sim_interop.rs:
  nodepool-cloudsim --listen 127.0.0.1:18080 --huawei-account hw-ak:hw-sk \
    --alibaba-account ali-ak:ali-sk --huawei-cluster 0a1b2c3d4e5f/cce-cluster-1 --alibaba-cluster c-ack-1
Prints requests/s; exits non-zero if any answer was not 200.
"""

import hashlib
import hmac
import multiprocessing
import os
import socket
import sys
import time


def huawei_request(host):
    path = "/api/v3/projects/0a1b2c3d4e5f/clusters/cce-cluster-1/nodepools"
    date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {"content-type": "application/json", "host": host, "user-agent": "load",
               "x-project-id": "0a1b2c3d4e5f", "x-sdk-date": date}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["GET", path + "/", "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, hashlib.sha256(b"").hexdigest()])
    sts = f"SDK-HMAC-SHA256\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(b"hw-sk", sts.encode(), hashlib.sha256).hexdigest()
    auth = f"SDK-HMAC-SHA256 Access=hw-ak, SignedHeaders={signed}, Signature={sig}"
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()] + [f"authorization: {auth}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def alibaba_request(host):
    path = "/clusters/c-ack-1/nodepools"
    headers = {"accept": "application/json", "host": host, "user-agent": "load",
               "x-acs-action": "DescribeClusterNodePools", "x-acs-version": "2015-12-15",
               "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "x-acs-signature-nonce": os.urandom(16).hex(),
               "x-acs-content-sha256": hashlib.sha256(b"").hexdigest()}
    signed = ";".join(sorted(headers))
    canonical = "\n".join(["GET", path, "", "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)),
                           signed, headers["x-acs-content-sha256"]])
    sts = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(b"ali-sk", sts.encode(), hashlib.sha256).hexdigest()
    auth = f"ACS3-HMAC-SHA256 Credential=ali-ak,SignedHeaders={signed},Signature={sig}"
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()] + [f"authorization: {auth}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, rest[length:]


def worker(args):
    host, seconds, cloud = args
    make = huawei_request if cloud == "huawei" else alibaba_request
    sock = socket.create_connection(host.split(":")[0:1] + [int(host.split(":")[1])])
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = bad = 0
    buf = b""
    end = time.time() + seconds
    while time.time() < end:
        sock.sendall(make(host))
        status, buf = read_response(sock, buf)
        if status == 200:
            ok += 1
        else:
            bad += 1
    return ok, bad


def main():
    host = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    cloud = sys.argv[4] if len(sys.argv) > 4 else "huawei"
    with multiprocessing.Pool(workers) as pool:
        results = pool.map(worker, [(host, seconds, cloud)] * workers)
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    print(f"{cloud}: {ok} signed GETs answered 200 in {seconds:.0f}s by {workers} connections = "
          f"{ok / seconds:.0f} requests/s ({bad} other answers)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
