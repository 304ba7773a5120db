#!/usr/bin/python3
"""acme_load.py - ACME (RFC 8555) load driver for bench_acme.sh.

N concurrent clients, spread over worker processes so the GIL is not the
limit; each client makes its account once, then repeats complete orders:
newOrder -> authz -> POST http-01 challenge -> poll authz -> finalize with a
fresh key and CSR -> poll order -> download the certificate. Every order
names a fresh domain, so authorization reuse cannot help either CA.

The http-01 answers come from this driver's own loopback responder: the
client index is part of each name, so the responder finds the account
thumbprint from the Host header without any shared state.

Polling is the same for every CA: wait min(Retry-After, --poll) seconds
(--poll when no Retry-After is sent) between polls.

Prints one JSON object: orders, orders/s, p50/p99 latency, errors, polls
per order and the driver's own CPU use (cores) over the measured window.

usage: acme_load.py DIRECTORY CAFILE HTTP01_PORT [--clients N]
                    [--duration S] [--procs P] [--poll S]
"""
import argparse
import asyncio
import base64
import hashlib
import http.client
import json
import multiprocessing as mp
import os
import re
import ssl
import sys
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

SHA256 = hashes.SHA256()
MAX_POLLS = 400


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jwk_of(key):
    n = key.public_key().public_numbers()
    return {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}


def thumbprint(key):
    d = json.dumps(jwk_of(key), sort_keys=True, separators=(",", ":"))
    return b64(hashlib.sha256(d.encode()).digest())


# ---- http-01 responder ------------------------------------------------

HOST_RE = re.compile(rb"\r\nhost:\s*[a-z0-9-]*?-c(\d+)-", re.I)


def responder(port, thumbs, ready):
    async def handle(reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            line = head.split(b"\r\n", 1)[0].split(b" ")
            token = line[1].rsplit(b"/", 1)[-1].decode() if len(line) > 1 else ""
            m = HOST_RE.search(head)
            if m and int(m.group(1)) < len(thumbs) and token:
                body = (token + "." + thumbs[int(m.group(1))]).encode()
                status = b"200 OK"
            else:
                body, status = b"", b"404 Not Found"
            writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: " +
                         str(len(body)).encode() +
                         b"\r\nConnection: close\r\n\r\n" + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main():
        srv = await asyncio.start_server(handle, "127.0.0.1", port,
                                         backlog=512)
        ready.set()
        async with srv:
            await srv.serve_forever()

    asyncio.run(main())


# ---- client -----------------------------------------------------------

class AcmeError(Exception):
    pass


class Client:
    def __init__(self, directory, ctx, key, idx, poll):
        u = urllib.parse.urlsplit(directory)
        self.host, self.port = u.hostname, u.port or 443
        self.ctx, self.key, self.idx, self.poll = ctx, key, idx, poll
        self.conn = None
        self.nonce = None
        self.kid = None
        self.jwk = jwk_of(key)
        self.polls = 0
        self.bad_nonces = 0
        self.retry_after_seen = 0
        self.dir = json.loads(self.req("GET", directory)[2])

    def req(self, method, url, body=None):
        path = urllib.parse.urlsplit(url)
        target = path.path + ("?" + path.query if path.query else "")
        hdrs = {"Content-Type": "application/jose+json"} if body else {}
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(
                    self.host, self.port, context=self.ctx, timeout=15)
            try:
                self.conn.request(method, target, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                # A server may close an idle keep-alive connection.
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        n = r.getheader("Replay-Nonce")
        if n:
            self.nonce = n
        if r.will_close:
            self.conn.close()
            self.conn = None
        return r.status, r, data

    def post(self, url, payload, use_jwk=False):
        for _ in range(5):
            if self.nonce is None:
                self.req("HEAD", self.dir["newNonce"])
            hdr = {"alg": "ES256", "nonce": self.nonce, "url": url}
            if use_jwk:
                hdr["jwk"] = self.jwk
            else:
                hdr["kid"] = self.kid
            self.nonce = None
            p = b64(json.dumps(hdr).encode())
            pl = "" if payload is None else b64(json.dumps(payload).encode())
            der = self.key.sign(f"{p}.{pl}".encode(), ec.ECDSA(SHA256))
            r, s = utils.decode_dss_signature(der)
            sig = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            body = json.dumps({"protected": p, "payload": pl,
                               "signature": sig}).encode()
            st, resp, data = self.req("POST", url, body)
            if st == 400 and b"badNonce" in data:
                self.bad_nonces += 1
                continue
            return st, resp, data
        raise AcmeError("badNonce five times")

    def account(self):
        st, r, data = self.post(self.dir["newAccount"],
                                {"termsOfServiceAgreed": True}, use_jwk=True)
        if st not in (200, 201):
            raise AcmeError(f"newAccount {st} {data[:200]!r}")
        self.kid = r.getheader("Location")

    def wait(self, resp):
        ra = resp.getheader("Retry-After")
        delay = self.poll
        if ra is not None:
            self.retry_after_seen += 1
            try:
                delay = min(float(ra), self.poll)
            except ValueError:
                pass
        self.polls += 1
        if delay > 0:
            time.sleep(delay)

    def poll_until(self, url, busy, what):
        for _ in range(MAX_POLLS):
            st, r, data = self.post(url, None)
            if st != 200:
                raise AcmeError(f"{what} {st} {data[:200]!r}")
            o = json.loads(data)
            if o["status"] not in busy:
                return o
            self.wait(r)
        raise AcmeError(f"{what} still {o['status']}")

    def order(self, name):
        st, r, data = self.post(self.dir["newOrder"], {
            "identifiers": [{"type": "dns", "value": name}]})
        if st != 201:
            raise AcmeError(f"newOrder {st} {data[:200]!r}")
        ourl = r.getheader("Location")
        o = json.loads(data)
        for az in o["authorizations"]:
            st, r, data = self.post(az, None)
            a = json.loads(data)
            if a["status"] == "valid":
                continue
            ch = [c for c in a["challenges"] if c["type"] == "http-01"][0]
            st, r, data = self.post(ch["url"], {})
            if st != 200:
                raise AcmeError(f"challenge {st} {data[:200]!r}")
            self.wait(r)
            a = self.poll_until(az, ("pending", "processing"), "authz")
            if a["status"] != "valid":
                raise AcmeError(f"authz {a}")
        ckey = ec.generate_private_key(ec.SECP256R1())
        csr = x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        ).add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]),
                        critical=False).sign(ckey, SHA256)
        st, r, data = self.post(o["finalize"], {"csr": b64(
            csr.public_bytes(serialization.Encoding.DER))})
        if st != 200:
            raise AcmeError(f"finalize {st} {data[:200]!r}")
        o = json.loads(data)
        if o["status"] != "valid":
            self.wait(r)
            o = self.poll_until(ourl, ("ready", "processing"), "order")
        if o["status"] != "valid":
            raise AcmeError(f"order {o}")
        st, r, data = self.post(o["certificate"], None)
        if st != 200 or b"BEGIN CERTIFICATE" not in data:
            raise AcmeError(f"certificate {st}")


def worker(args, keys, indices, ready, go, results):
    import threading
    ctx = ssl.create_default_context(cafile=args.cafile)
    clients, errs = [], []
    for i in indices:
        try:
            c = Client(args.directory, ctx, keys[i], i, args.poll)
            c.account()
            clients.append(c)
        except Exception as e:  # reported, not hidden
            errs.append(f"client {i} setup: {e}")
    ready.release()
    go.wait()
    t_end = go_time.value + args.duration
    out = {"lat": [], "errors": 0, "polls": 0, "bad_nonces": 0,
           "retry_after": 0, "first_errors": errs}

    def run(c):
        seq = 0
        lat, nerr = [], 0
        while time.time() < t_end:
            seq += 1
            name = f"o{seq}-c{c.idx}-{args.run_id}.bench.example.com"
            t0 = time.time()
            try:
                c.order(name)
                t1 = time.time()
                if t1 <= t_end:
                    lat.append(t1 - t0)
            except Exception as e:
                nerr += 1
                if len(out["first_errors"]) < 5:
                    out["first_errors"].append(f"{name}: {e}")
                time.sleep(0.05)
        return lat, nerr

    res = [None] * len(clients)

    def th(k):
        res[k] = run(clients[k])

    ts = [threading.Thread(target=th, args=(k,)) for k in range(len(clients))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for k, c in enumerate(clients):
        out["lat"] += res[k][0]
        out["errors"] += res[k][1]
        out["polls"] += c.polls
        out["bad_nonces"] += c.bad_nonces
        out["retry_after"] += c.retry_after_seen
    results.put(out)


def proc_cpu(pid):
    """utime + stime of |pid| in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


go_time = None


def main():
    global go_time
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("cafile")
    ap.add_argument("http01_port", type=int)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--procs", type=int, default=0)
    ap.add_argument("--poll", type=float, default=0.02,
                    help="longest wait between polls (s)")
    ap.add_argument("--server-pid", type=int, action="append", default=[],
                    help="also report these processes' CPU over the window")
    args = ap.parse_args()
    args.run_id = b64(os.urandom(4)).lower().replace("_", "x").replace(
        "-", "y")
    procs = args.procs or min(args.clients, max(2, os.cpu_count() or 2))
    keys = [ec.generate_private_key(ec.SECP256R1())
            for _ in range(args.clients)]
    thumbs = [thumbprint(k) for k in keys]
    ctx = mp.get_context("fork")
    go_time = ctx.Value("d", 0.0)
    rready = ctx.Event()
    resp = ctx.Process(target=responder, args=(args.http01_port, thumbs,
                                               rready), daemon=True)
    resp.start()
    if not rready.wait(10):
        sys.exit("responder did not start")
    ready, go, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    ws = []
    for p in range(procs):
        idx = list(range(p, args.clients, procs))
        w = ctx.Process(target=worker, args=(args, keys, idx, ready, go,
                                             results))
        w.start()
        ws.append(w)
    for _ in ws:
        ready.acquire()
    pids = [os.getpid(), resp.pid] + [w.pid for w in ws]
    cpu0 = sum(proc_cpu(p) for p in pids)
    scpu0 = sum(proc_cpu(p) for p in args.server_pid)
    go_time.value = time.time()
    go.set()
    time.sleep(args.duration)
    cpu1 = sum(proc_cpu(p) for p in pids)
    scpu1 = sum(proc_cpu(p) for p in args.server_pid)
    outs = [results.get(timeout=300) for _ in ws]
    for w in ws:
        w.join()
    resp.terminate()
    lat = sorted(x for o in outs for x in o["lat"])
    n = len(lat)

    def pct(q):
        return lat[min(n - 1, int(q * n))] * 1000 if n else 0.0

    res = {
        "clients": args.clients, "procs": procs, "duration": args.duration,
        "orders": n, "orders_per_s": n / args.duration,
        "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "errors": sum(o["errors"] for o in outs),
        "polls_per_order": sum(o["polls"] for o in outs) / max(n, 1),
        "retry_after_headers": sum(o["retry_after"] for o in outs),
        "bad_nonces": sum(o["bad_nonces"] for o in outs),
        "driver_cpu_cores": (cpu1 - cpu0) / args.duration,
        "server_cpu_cores": (scpu1 - scpu0) / args.duration,
        "first_errors": [e for o in outs for e in o["first_errors"]][:5],
    }
    print(json.dumps(res))


if __name__ == "__main__":
    main()
