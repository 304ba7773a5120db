#!/usr/bin/python3
"""acmeclient.py - a small ACME (RFC 8555) client for Catena's integration
tests: a full http-01 issuance, a malformed-request corpus checked against
the problem type and status each must get, the ARI (RFC 9773) flow, and
External Account Binding (RFC 8555 7.3.4) with the server requiring it
("eab") or not ("eab-optional"), and challenge POSTs answered once their
validation ends ("chalwait"; "chalwait-stop PID" also stops the server
while one is parked).

usage: acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT {flow,corpus,ari} [DB]
       acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT chalwait[-stop PID]
       acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT eab KID:HMAC x4
       acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT eab-optional KID:HMAC
       acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT mpic NAME=WANT...
"""
import base64
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import os
import sqlite3
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

ERR = "urn:ietf:params:acme:error:"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwk_of(key):
    n = key.public_key().public_numbers()
    return {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")),
            "y": b64(n.y.to_bytes(32, "big"))}


def thumbprint(key):
    d = json.dumps(jwk_of(key), sort_keys=True, separators=(",", ":"))
    h = hashes.Hash(hashes.SHA256())
    h.update(d.encode())
    return b64(h.finalize())


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


class Tokens(http.server.BaseHTTPRequestHandler):
    tokens = {}
    held = {}  # token -> threading.Event the answer waits for
    reached = threading.Event()  # a held token was asked for

    def do_GET(self):
        t = self.path.rsplit("/", 1)[-1]
        if t in Tokens.held:
            Tokens.reached.set()
            Tokens.held[t].wait(60)
        v = Tokens.tokens.get(t)
        if v is None:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.wfile.write(v.encode())

    def log_message(self, *a):
        pass


class Client:
    def __init__(self, directory, cafile, key=None):
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.directory = directory
        self.dir = self.req("GET", directory).json()
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self.kid = None
        self.nonce = None

    def req(self, method, url, body=None, ctype="application/jose+json"):
        r = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            r.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(r, context=self.ctx, timeout=30) as f:
                resp = Resp(f.status, f.headers, f.read())
        except urllib.error.HTTPError as e:
            resp = Resp(e.code, e.headers, e.read())
        n = resp.headers.get("Replay-Nonce")
        if n:
            self.nonce = n
        return resp

    def new_nonce(self):
        r = self.req("HEAD", self.dir["newNonce"])
        assert r.status == 200, r.status
        return r.headers["Replay-Nonce"]

    def sign(self, url, payload, key=None, use_jwk=False, nonce=None,
             alg="ES256", hdr_extra=None, hdr_drop=(), raw_payload=None):
        key = key or self.key
        hdr = {"alg": alg, "nonce": nonce or self.nonce or self.new_nonce(),
               "url": url}
        if use_jwk or self.kid is None:
            hdr["jwk"] = jwk_of(key)
        else:
            hdr["kid"] = self.kid
        hdr.update(hdr_extra or {})
        for k in hdr_drop:
            hdr.pop(k, None)
        self.nonce = None
        p = b64(json.dumps(hdr).encode())
        if raw_payload is not None:
            pl = raw_payload
        elif payload is None:
            pl = ""
        else:
            pl = b64(json.dumps(payload).encode())
        der = key.sign(f"{p}.{pl}".encode(), ec.ECDSA(hashes.SHA256()))
        r, s = utils.decode_dss_signature(der)
        sig = b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
        return {"protected": p, "payload": pl, "signature": sig}

    def post(self, url, payload, **kw):
        body = json.dumps(self.sign(url, payload, **kw)).encode()
        return self.req("POST", url, body)

    def account(self):
        r = self.post(self.dir["newAccount"], {
            "termsOfServiceAgreed": True,
            "contact": ["mailto:ops@example.com"]}, use_jwk=True)
        assert r.status in (200, 201), (r.status, r.body)
        self.kid = r.headers["Location"]
        return r

    def order(self, names, replaces=None):
        p = {"identifiers": [{"type": "dns", "value": n} for n in names]}
        if replaces:
            p["replaces"] = replaces
        return self.post(self.dir["newOrder"], p)

    def solve_http01(self, order):
        for az in order["authorizations"]:
            a = self.post(az, None).json()
            if a["status"] == "valid":
                continue
            ch = [c for c in a["challenges"] if c["type"] == "http-01"][0]
            Tokens.tokens[ch["token"]] = ch["token"] + "." + thumbprint(self.key)
            r = self.post(ch["url"], {})
            assert r.status == 200, (r.status, r.body)
            assert 'rel="up"' in r.headers.get("Link", "") or any(
                'rel="up"' in v for v in r.headers.get_all("Link")), r.headers
            for _ in range(100):
                a = self.post(az, None).json()
                if a["status"] != "pending":
                    break
                time.sleep(0.1)
            assert a["status"] == "valid", a

    def issue(self, names, replaces=None):
        r = self.order(names, replaces)
        assert r.status == 201, (r.status, r.body)
        ourl = r.headers["Location"]
        o = r.json()
        self.new_order = o
        self.solve_http01(o)
        ckey = ec.generate_private_key(ec.SECP256R1())
        csr = self.csr(names, ckey)
        r = self.post(o["finalize"], {"csr": b64(csr)})
        assert r.status == 200, (r.status, r.body)
        for _ in range(100):
            o = self.post(ourl, None).json()
            if o["status"] not in ("processing", "ready"):
                break
            time.sleep(0.1)
        assert o["status"] == "valid", o
        r = self.post(o["certificate"], None)
        assert r.status == 200 and r.headers["Content-Type"].startswith(
            "application/pem-certificate-chain"), (r.status, r.headers)
        return r.body.decode(), o, ourl

    @staticmethod
    def csr(names, key, cn=None):
        b = x509.CertificateSigningRequestBuilder()
        b = b.subject_name(x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, cn or names[0])]))
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(n) for n in names]), critical=False)
        return b.sign(key, hashes.SHA256()).public_bytes(
            serialization.Encoding.DER)


MACS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
        "HS512": hashlib.sha512}


def eab_jws(url, kid, hmac_b64, jwk, alg="HS256", hdr_extra=None,
            mac_key=None):
    """An externalAccountBinding as RFC 8555 7.3.4 builds it: a JWS over
    the account key, MAC'd with the operator's key."""
    hdr = {"alg": alg, "kid": kid, "url": url}
    hdr.update(hdr_extra or {})
    p = b64(json.dumps(hdr).encode())
    pl = b64(json.dumps(jwk).encode())
    key = mac_key if mac_key is not None else unb64(hmac_b64)
    sig = hmac.new(key, f"{p}.{pl}".encode(),
                   MACS.get(alg, hashlib.sha256)).digest()
    if alg == "none":
        sig = b""
    return {"protected": p, "payload": pl, "signature": b64(sig)}


def new_account(c, eab=None, key=None, **extra):
    """newAccount for c.key (or |key|) with an optional binding."""
    payload = {"termsOfServiceAgreed": True,
               "contact": ["mailto:ops@example.com"]}
    if eab is not None:
        payload["externalAccountBinding"] = eab
    payload.update(extra)
    return c.post(c.dir["newAccount"], payload, use_jwk=True, key=key)


def eab_optional(c, pair):
    """The server does not require a binding but checks one it is given."""
    kid, key = pair.split(":", 1)
    ok = c.dir["meta"].get("externalAccountRequired") is False
    print(("ok   " if ok else "FAIL ") + "directory: externalAccountRequired false")
    url = c.dir["newAccount"]
    ok &= expect("optional EAB, wrong MAC", new_account(
        c, eab_jws(url, kid, key, jwk_of(c.key), mac_key=b"x" * 64)),
        "unauthorized", 403)
    r = new_account(c, eab_jws(url, kid, key, jwk_of(c.key)))
    good = r.status == 201
    print(("ok   " if good else "FAIL ") + f"optional EAB bound: {r.status}")
    other = Client(c.directory, c.ctx_file)
    r2 = new_account(other)
    good &= r2.status == 201
    print(("ok   " if r2.status == 201 else "FAIL ") +
          f"no EAB where none is required: {r2.status}")
    return ok and good


def eab(c, pairs):
    """The server requires a binding (external_account_required = true)."""
    keys = [p.split(":", 1) for p in pairs]
    (kid1, key1), (kid2, key2), (kid3, key3), (kid4, key4) = keys
    url = c.dir["newAccount"]
    mine = jwk_of(c.key)
    ok = c.dir["meta"].get("externalAccountRequired") is True
    print(("ok   " if ok else "FAIL ") + "directory: externalAccountRequired true")
    ok &= expect("no EAB", new_account(c), "externalAccountRequired", 400)
    ok &= expect("wrong MAC", new_account(
        c, eab_jws(url, kid1, key1, mine, mac_key=unb64(key2))),
        "unauthorized", 403)
    ok &= expect("unknown kid", new_account(
        c, eab_jws(url, "no-such-kid", key1, mine)), "unauthorized", 403)
    for alg in ("none", "RS256"):
        r = new_account(c, eab_jws(url, kid1, key1, mine, alg=alg))
        ok &= expect(f"EAB alg {alg}", r, "badSignatureAlgorithm", 400)
        algs = r.json().get("algorithms")
        good = algs == ["HS256", "HS384", "HS512"]
        print(("ok   " if good else "FAIL ") + f"  algorithms: {algs}")
        ok &= good
    ok &= expect("EAB url is newOrder", new_account(
        c, eab_jws(c.dir["newOrder"], kid1, key1, mine)), "malformed", 400)
    ok &= expect("EAB with a nonce", new_account(
        c, eab_jws(url, kid1, key1, mine, hdr_extra={"nonce": c.new_nonce()})),
        "malformed", 400)
    other = ec.generate_private_key(ec.SECP256R1())
    ok &= expect("EAB payload is another key", new_account(
        c, eab_jws(url, kid1, key1, jwk_of(other))), "malformed", 400)
    ok &= expect("EAB not a JWS", new_account(c, "abc"), "malformed", 400)
    # None of that made an account.
    ok &= expect("no account after refusals", c.post(url, {
        "onlyReturnExisting": True}, use_jwk=True), "accountDoesNotExist", 400)
    # The real binding, then an order with the bound account.
    r = new_account(c, eab_jws(url, kid1, key1, mine))
    good = r.status == 201 and "Location" in r.headers
    print(("ok   " if good else "FAIL ") + f"EAB bound account: {r.status}")
    if not good:
        return False
    acct = c.kid = r.headers["Location"]
    chain, o, _ = c.issue(["eab.example.com"])
    print("ok   issued with the bound account:", o["certificate"])
    # The existing account needs no binding to be found again.
    r = c.post(url, {"onlyReturnExisting": True}, use_jwk=True)
    good = r.status == 200 and r.headers.get("Location") == acct
    print(("ok   " if good else "FAIL ") +
          f"onlyReturnExisting without EAB: {r.status}")
    ok &= good
    r = new_account(c)
    good = r.status == 200 and r.headers.get("Location") == acct
    print(("ok   " if good else "FAIL ") + f"same key again, no EAB: {r.status}")
    ok &= good
    # A bound kid, correctly MAC'd, for a second account key.
    ok &= expect("bound kid for another key", new_account(
        c, eab_jws(url, kid1, key1, jwk_of(other)), key=other),
        "unauthorized", 403)
    # HS512 (and the operator-named kid).
    c2 = Client(c.directory, c.ctx_file)
    r = new_account(c2, eab_jws(url, kid2, key2, jwk_of(c2.key), alg="HS512"))
    good = r.status == 201
    print(("ok   " if good else "FAIL ") + f"HS512 binding: {r.status}")
    ok &= good
    # Eight new keys race for one kid: exactly one account gets it.
    racers = [Client(c.directory, c.ctx_file) for _ in range(8)]
    bodies = [json.dumps(x.sign(url, {
        "termsOfServiceAgreed": True,
        "externalAccountBinding": eab_jws(url, kid3, key3, jwk_of(x.key))},
        use_jwk=True)).encode() for x in racers]
    results = at_once([(x, "POST", url, b) for x, b in zip(racers, bodies)])
    codes = sorted(r.status for r in results)
    good = codes == [201] + [403] * (len(racers) - 1) and all(
        r.json().get("type") == ERR + "unauthorized"
        for r in results if r.status == 403)
    print(("ok   " if good else "FAIL ") + f"8 keys race for one kid: {codes}")
    ok &= good
    # HS384 with the last key.
    c4 = Client(c.directory, c.ctx_file)
    r = new_account(c4, eab_jws(url, kid4, key4, jwk_of(c4.key), alg="HS384"))
    good = r.status == 201
    print(("ok   " if good else "FAIL ") + f"HS384 binding: {r.status}")
    ok &= good
    r = c.req("GET", c.directory)
    ok &= r.status == 200
    return ok


def start_responder(port):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Tokens)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def expect(name, r, ptype, status):
    try:
        body = r.json()
    except ValueError:
        body = {}
    ok = (r.status == status and body.get("type") == ERR + ptype and
          r.headers.get("Content-Type", "").startswith(
              "application/problem+json") and
          r.headers.get("Replay-Nonce"))
    print(("ok   " if ok else "FAIL ") + f"{name}: {r.status} {body.get('type')}"
          f" (want {status} {ptype})")
    return bool(ok)


def flow(c, out):
    c.account()
    chain, o, _ = c.issue(["a.example.com", "b.example.com"])
    with open(out, "w") as f:
        f.write(chain)
    # newOrder answered with the order as stored: POST-as-GET agrees on
    # everything the order has not changed since.
    n = c.new_order
    assert n["status"] == "pending", n
    assert n["identifiers"] == [{"type": "dns", "value": v} for v in
                                ("a.example.com", "b.example.com")], n
    for k in ("identifiers", "authorizations", "finalize", "expires"):
        assert n[k] == o[k], (k, n, o)
    assert "replaces" not in n, n
    # A valid authorization lists the challenge that was validated
    # (RFC 8555 7.1.4); while pending it offered all three.
    a = c.post(n["authorizations"][0], None).json()
    assert a["status"] == "valid" and "wildcard" not in a, a
    assert a["identifier"] == {"type": "dns", "value": "a.example.com"}, a
    assert [ch["type"] for ch in a["challenges"]] == ["http-01"], a
    ch = a["challenges"][0]
    assert ch["url"] and ch["token"], ch
    assert ch["status"] == "valid" and "validated" in ch, ch
    p = c.post(c.order(["pending3.example.com"]).json()["authorizations"][0],
               None).json()
    assert p["status"] == "pending", p
    assert sorted(ch["type"] for ch in p["challenges"]) == [
        "dns-01", "http-01", "tls-alpn-01"], p
    for ch in p["challenges"]:
        assert ch["status"] == "pending" and "validated" not in ch, ch
    # Directory, nonce and account basics.
    assert "renewalInfo" in c.dir and "meta" in c.dir
    r = c.req("GET", c.dir["newNonce"])
    assert r.status == 204 and r.headers["Cache-Control"] == "no-store"
    r = c.post(c.kid, None)
    assert r.status == 200 and r.json()["status"] == "valid", r.body
    r = c.post(c.kid + "/orders", None)
    assert r.status == 200 and len(r.json()["orders"]) >= 1, r.body
    print("flow ok:", o["certificate"])


def http_layer(c):
    """Answers the HTTP layer owes every ACME request: a body over the cap
    (64 KiB) is a 413 problem document with a nonce and the index link,
    also when the client sends it all first (Content-Length or chunked) or
    waits for 100-continue; a 405 names the allowed methods (RFC 9110
    15.5.6); a deactivated account's POST-as-GET is 401 unauthorized (RFC
    8555 7.3.6)."""
    import http.client
    import io
    import socket
    from urllib.parse import urlsplit

    ok = True
    url = c.dir["newOrder"]

    def send(name, call):
        try:
            return call()
        except (OSError, http.client.HTTPException) as e:
            print(f"FAIL {name}: no answer ({e!r})")
            return None

    def problem(name, r, ptype, status):
        if r is None:
            return False
        links = r.headers.get_all("Link") or []
        good = any('rel="index"' in v and c.directory in v for v in links)
        print(("ok   " if good else "FAIL ") + f"{name}: Link {links}")
        return expect(name, r, ptype, status) and good

    def expect_continue():
        # The client sends only the head and waits, as RFC 9110 10.1.1
        # lets it; the answer comes instead of "100 Continue".
        u = urlsplit(url)
        head = (f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                "Content-Type: application/jose+json\r\n"
                "Content-Length: 70000\r\nExpect: 100-continue\r\n\r\n")
        data = b""
        with socket.create_connection((u.hostname, u.port), timeout=30) as raw:
            with c.ctx.wrap_socket(raw, server_hostname=u.hostname) as s:
                s.sendall(head.encode())
                while True:
                    try:
                        k = s.recv(65536)
                    except (ssl.SSLError, ConnectionError):
                        break
                    if not k:
                        break
                    data += k
        line, _, rest = data.partition(b"\r\n")
        hdrs, _, body = rest.partition(b"\r\n\r\n")
        parts = line.split()
        return Resp(int(parts[1]) if len(parts) > 1 and parts[1].isdigit()
                    else 0,
                    http.client.parse_headers(io.BytesIO(hdrs + b"\r\n\r\n")),
                    body)

    def paced(body):
        # Sent in pieces, a pause between them: a server that answers
        # before reading it all and closes has reset the connection by
        # the next piece, and the client never sees the answer.
        u = urlsplit(url)
        h = http.client.HTTPSConnection(u.hostname, u.port, context=c.ctx,
                                        timeout=30)
        try:
            h.putrequest("POST", u.path)
            h.putheader("Content-Type", "application/jose+json")
            h.putheader("Content-Length", str(len(body)))
            h.endheaders()
            for i in range(0, len(body), 7000):
                h.send(body[i:i + 7000])
                time.sleep(0.05)
            f = h.getresponse()
            return Resp(f.status, f.headers, f.read())
        finally:
            h.close()

    big = json.dumps({"protected": "e30", "payload": "A" * 70000,
                      "signature": "AA"}).encode()
    ok &= problem("over the cap, Content-Length", send(
        "over the cap, Content-Length", lambda: paced(big)),
        "malformed", 413)
    ok &= problem("over the cap, chunked", send(
        "over the cap, chunked", lambda: c.req(
            "POST", url, (big[i:i + 8192] for i in range(0, len(big), 8192)))),
        "malformed", 413)
    ok &= problem("over the cap, 100-continue", send(
        "over the cap, 100-continue", expect_continue), "malformed", 413)
    # A body within the cap is still read whole after those.
    r = c.order(["g.example.com"])
    good = r.status == 201
    print(("ok   " if good else "FAIL ") + f"newOrder after them: {r.status}")
    ok &= good
    for name, method, u, allow in (
            ("GET newOrder", "GET", url, {"POST"}),
            ("PUT directory", "PUT", c.directory, {"GET", "HEAD"}),
            ("POST newNonce", "POST", c.dir["newNonce"], {"GET", "HEAD"})):
        r = c.req(method, u, b"{}" if method != "GET" else None)
        got = {m.strip() for m in (r.headers.get("Allow") or "").split(",")
               if m.strip()}
        good = got == allow
        print(("ok   " if good else "FAIL ") +
              f"{name}: Allow {r.headers.get('Allow')} (want {sorted(allow)})")
        ok &= problem(name, r, "malformed", 405) and good
    # A deactivated account: 401, where the other unauthorized cases (a
    # wrong url in the corpus) stay 403.
    d = Client(c.directory, c.ctx_file)
    d.account()
    r = d.post(d.kid, {"status": "deactivated"})
    good = r.status == 200 and r.json().get("status") == "deactivated"
    print(("ok   " if good else "FAIL ") + f"deactivate: {r.status}")
    ok &= good
    ok &= expect("deactivated account, POST-as-GET", d.post(d.kid, None),
                 "unauthorized", 401)
    ok &= expect("deactivated account, newOrder", d.order(["h.example.com"]),
                 "unauthorized", 401)
    ok &= expect("deactivated account's key, newAccount", d.post(
        d.dir["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True),
        "unauthorized", 401)
    return ok


def corpus(c):
    c.account()
    ok = True
    url = c.dir["newOrder"]
    good = {"identifiers": [{"type": "dns", "value": "c.example.com"}]}
    # Bad base64 in the payload.
    j = c.sign(url, good)
    j["payload"] = j["payload"] + "="
    ok &= expect("bad base64", c.req("POST", url, json.dumps(j).encode()),
                 "malformed", 400)
    # Wrong url in the protected header.
    ok &= expect("wrong url", c.post(url, good,
                                     hdr_extra={"url": c.dir["newAccount"]}),
                 "unauthorized", 403)
    # Reused nonce.
    n = c.new_nonce()
    r = c.post(url, good, nonce=n)
    assert r.status == 201, r.body
    r = c.post(url, good, nonce=n)
    ok &= expect("reused nonce", r, "badNonce", 400)
    ok &= replays(c, url, good)
    # Unknown kid.
    ok &= expect("unknown kid", c.post(url, good, hdr_extra={
        "kid": c.kid.rsplit("/", 1)[0] + "/999999"}), "accountDoesNotExist",
        400)
    ok &= expect("alg none", c.post(url, good, alg="none"),
                 "badSignatureAlgorithm", 400)
    r = c.post(url, good, alg="HS256")
    ok &= expect("HS256", r, "badSignatureAlgorithm", 400)
    # RFC 8555 6.2: the problem lists the algorithms that are accepted.
    algs = r.json().get("algorithms")
    good_algs = algs == ["ES256", "ES384", "ES512", "RS256", "EdDSA"]
    print(("ok   " if good_algs else "FAIL ") + f"  algorithms: {algs}")
    ok &= good_algs
    ok &= expect("jwk and kid", c.post(url, good, hdr_extra={
        "jwk": jwk_of(c.key)}), "malformed", 400)
    # Oversized body: refused before parsing, with an answer the client
    # receives (http_layer checks its headers and the upload forms).
    big = json.dumps({"protected": "e30", "payload": "A" * 70000,
                      "signature": "AA"}).encode()
    try:
        status = c.req("POST", url, big).status
    except (urllib.error.URLError, ConnectionError, ssl.SSLError) as e:
        status = f"connection closed while sending ({e})"
    good_big = status == 413
    print(("ok   " if good_big else "FAIL ") + f"oversized body: {status}")
    ok &= good_big
    # notBefore is not supported.
    ok &= expect("notBefore", c.post(url, dict(good, notBefore="2030-01-01T00:00:00Z")),
                 "malformed", 400)
    ok &= expect("bad identifier", c.post(url, {"identifiers": [
        {"type": "dns", "value": "bad..name"}]}), "rejectedIdentifier", 400)
    ok &= expect("unsupported identifier", c.post(url, {"identifiers": [
        {"type": "email", "value": "a@example.com"}]}),
        "unsupportedIdentifier", 400)
    ok &= expect("bad contact", c.post(c.kid, {
        "contact": ["mailto:a@example.com?subject=x"]}), "invalidContact",
        400)
    ok &= expect("tel contact", c.post(c.kid, {"contact": ["tel:+1555"]}),
                 "unsupportedContact", 400)
    ok &= expect("onlyReturnExisting", Client(c.directory, c.ctx_file).post(
        c.dir["newAccount"], {"onlyReturnExisting": True}, use_jwk=True),
        "accountDoesNotExist", 400)
    # Finalize before the order is ready.
    r = c.order(["d.example.com"])
    o = r.json()
    ckey = ec.generate_private_key(ec.SECP256R1())
    ok &= expect("finalize not ready", c.post(o["finalize"], {
        "csr": b64(c.csr(["d.example.com"], ckey))}), "orderNotReady", 403)
    # Make it ready, then send bad CSRs.
    c.solve_http01(o)
    ok &= expect("CSR with extra names", c.post(o["finalize"], {
        "csr": b64(c.csr(["d.example.com", "evil.example.com"], ckey))}),
        "badCSR", 400)
    ok &= expect("CSR reusing the account key", c.post(o["finalize"], {
        "csr": b64(c.csr(["d.example.com"], c.key))}), "badCSR", 400)
    ok &= expect("CSR bad CN", c.post(o["finalize"], {
        "csr": b64(c.csr(["d.example.com"], ckey, cn="x.example.com"))}),
        "badCSR", 400)
    ok &= expect("CSR not base64url", c.post(o["finalize"], {
        "csr": "!!!"}), "badCSR", 400)
    # The order is still ready and finalizes with a correct CSR; the same
    # request sent again is a replay, refused for its nonce.
    fin = json.dumps(c.sign(o["finalize"], {
        "csr": b64(c.csr(["d.example.com"], ckey))})).encode()
    r = c.req("POST", o["finalize"], fin)
    good_fin = r.status == 200 and r.json()["status"] == "valid"
    print(("ok   " if good_fin else "FAIL ") + f"finalize after bad CSRs: {r.status}")
    ok &= good_fin
    ok &= expect("replayed finalize", c.req("POST", o["finalize"], fin),
                 "badNonce", 400)
    ok &= finalize_cases(c)
    # Server still up.
    r = c.req("GET", c.directory)
    ok &= r.status == 200
    ok &= http_layer(c)
    return ok


def finalize_cases(c):
    """Two finalize requests for one order at once: one issues, the other
    gets orderNotReady. A key revoked for keyCompromise by its own key is
    blocked: a CSR with it is badCSR and its order becomes invalid."""
    ok = True
    r = c.order(["race.example.com"])
    ourl, o = r.headers["Location"], r.json()
    c.solve_http01(o)
    ckey = ec.generate_private_key(ec.SECP256R1())
    bodies = [json.dumps(c.sign(o["finalize"], {
        "csr": b64(c.csr(["race.example.com"], ckey))})).encode()
        for _ in range(2)]
    got = at_once([(c, "POST", o["finalize"], b) for b in bodies])
    got.sort(key=lambda x: x.status)
    good = got[0].status == 200 and c.post(ourl, None).json()["status"] == \
        "valid"
    print(("ok   " if good else "FAIL ") +
          f"one order finalized twice at once: {[x.status for x in got]}")
    ok &= good
    ok &= expect("the other finalize", got[1], "orderNotReady", 403)
    # Revoke with the certificate's own key: the key is blocked.
    ckey = ec.generate_private_key(ec.SECP256R1())
    r = c.order(["blocked.example.com"])
    ourl, o = r.headers["Location"], r.json()
    c.solve_http01(o)
    fin = c.post(o["finalize"], {"csr": b64(c.csr(["blocked.example.com"],
                                                  ckey))})
    assert fin.status == 200, (fin.status, fin.body)
    cert = c.post(c.post(ourl, None).json()["certificate"], None).body
    der = x509.load_pem_x509_certificate(cert).public_bytes(
        serialization.Encoding.DER)
    r = c.post(c.dir["revokeCert"], {"certificate": b64(der), "reason": 1},
               key=ckey, use_jwk=True)
    good = r.status == 200
    print(("ok   " if good else "FAIL ") +
          f"revoked by its own key, keyCompromise: {r.status}")
    ok &= good
    r = c.order(["blocked.example.com"])
    ourl, o = r.headers["Location"], r.json()
    c.solve_http01(o)
    ok &= expect("CSR with a blocked key", c.post(o["finalize"], {
        "csr": b64(c.csr(["blocked.example.com"], ckey))}), "badCSR", 400)
    st = c.post(ourl, None).json()
    good = st["status"] == "invalid" and \
        st.get("error", {}).get("type") == ERR + "badCSR"
    print(("ok   " if good else "FAIL ") +
          f"its order afterwards: {st['status']} {st.get('error')}")
    ok &= good
    return ok


def replays(c, url, good):
    """Nonces of requests whose writes carry the nonce's use: a nonce
    spent by a refused request, a replayed challenge, and one newOrder
    sent twice at once (exactly one may create an order)."""
    ok = True
    n = c.new_nonce()
    r = c.post(url, {"identifiers": [{"type": "dns", "value": "bad..name"}]},
               nonce=n)
    ok &= expect("refused newOrder", r, "rejectedIdentifier", 400)
    ok &= expect("nonce of a refused newOrder", c.post(url, good, nonce=n),
                 "badNonce", 400)
    r = c.order(["e.example.com"])
    assert r.status == 201, r.body
    a = c.post(r.json()["authorizations"][0], None).json()
    ch = [x for x in a["challenges"] if x["type"] == "http-01"][0]
    Tokens.tokens[ch["token"]] = ch["token"] + "." + thumbprint(c.key)
    body = json.dumps(c.sign(ch["url"], {})).encode()
    r = c.req("POST", ch["url"], body)
    good_ch = r.status == 200 and r.json()["status"] in ("processing", "valid")
    print(("ok   " if good_ch else "FAIL ") + f"challenge: {r.status}")
    ok &= good_ch
    ok &= expect("replayed challenge", c.req("POST", ch["url"], body),
                 "badNonce", 400)
    body = json.dumps(c.sign(url, good)).encode()
    got = at_once([(c, "POST", url, body)] * 2)
    got.sort(key=lambda x: x.status)
    good_race = got[0].status == 201
    print(("ok   " if good_race else "FAIL ") +
          f"one newOrder sent twice at once: {[x.status for x in got]}")
    ok &= good_race
    ok &= expect("the other one", got[1], "badNonce", 400)
    return ok


def at_once(reqs):
    """Sends each (client, method, url, body) of |reqs| from its own thread,
    all released together; returns the responses in the same order."""
    barrier = threading.Barrier(len(reqs))
    got = [None] * len(reqs)

    def send(i):
        cl, method, url, body = reqs[i]
        barrier.wait()
        got[i] = cl.req(method, url, body)
    ts = [threading.Thread(target=send, args=(i,)) for i in range(len(reqs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return got


def cert_id(pem):
    cert = x509.load_pem_x509_certificate(pem.encode())
    aki = cert.extensions.get_extension_for_class(
        x509.AuthorityKeyIdentifier).value.key_identifier
    sn = cert.serial_number
    sb = sn.to_bytes((sn.bit_length() + 8) // 8, "big")  # keeps a leading 00
    return b64(aki) + "." + b64(sb), sb.hex(), cert


def ari(c, db):
    c.account()
    chain, o, _ = c.issue(["ari.example.com"])
    cid, serial, cert = cert_id(chain)
    r = c.req("GET", c.dir["renewalInfo"] + "/" + cid)
    assert r.status == 200, (r.status, r.body)
    assert r.headers.get("Retry-After"), r.headers
    w = r.json()["suggestedWindow"]
    nb = cert.not_valid_before.strftime("%Y-%m-%dT%H:%M:%SZ")
    na = cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert nb <= w["start"] < w["end"] <= na, (w, nb, na)
    print("ARI window inside validity:", w)
    # Padding and garbage are refused.
    r = c.req("GET", c.dir["renewalInfo"] + "/" + cid + "=")
    assert r.status == 400, r.status
    # The operator moves the window into the past.
    now = int(time.time())
    con = sqlite3.connect(db, timeout=10)
    con.execute("UPDATE certificates SET ari_start = ?, ari_end = ? WHERE "
                "serial = ?", (now - 7200, now - 3600, serial))
    con.commit()
    con.close()
    r = c.req("GET", c.dir["renewalInfo"] + "/" + cid)
    w2 = r.json()["suggestedWindow"]
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
    assert w2["end"] < past, (w2, past)
    print("ARI window moved into the past:", w2)
    # Replacement links the new certificate to the old one.
    chain2, o2, _ = c.issue(["ari.example.com"], replaces=cid)
    assert o2.get("replaces") == cid, o2
    assert c.new_order.get("replaces") == cid, c.new_order
    con = sqlite3.connect(db, timeout=10)
    rb = con.execute("SELECT replaced_by FROM certificates WHERE serial = ?",
                     (serial,)).fetchone()[0]
    con.close()
    _, serial2, _ = cert_id(chain2)
    assert rb == serial2, (rb, serial2)
    print("replaced_by recorded:", rb)
    r = c.order(["ari.example.com"], replaces=cid)
    assert expect("second replacement", r, "alreadyReplaced", 409)
    # An unfinished replacement order blocks another until it expires,
    # even while its stored status still says pending.
    chain3, _, _ = c.issue(["ari2.example.com"])
    cid3, _, _ = cert_id(chain3)
    r = c.order(["ari2.example.com"], replaces=cid3)
    assert r.status == 201, (r.status, r.body)
    oid = int(r.headers["Location"].rsplit("/", 1)[1])
    r = c.order(["ari2.example.com"], replaces=cid3)
    assert expect("replacement while one is pending", r, "alreadyReplaced",
                  409)
    con = sqlite3.connect(db, timeout=10)
    con.execute("UPDATE acme_orders SET expires = ? WHERE id = ?",
                (int(time.time()) - 10, oid))
    con.commit()
    con.close()
    r = c.order(["ari2.example.com"], replaces=cid3)
    assert r.status == 201, (r.status, r.body)
    print("replacement after the pending one expired:", r.status)
    return stuck_finalize(c, db)


def stuck_finalize(c, db):
    """A finalize that stopped between its two commits leaves the order
    processing with its serial reserved; reading the order settles it:
    invalid (serverInternal) once the reservation is old, valid if the
    certificate was recorded, and untouched while it is recent."""
    _, o, ourl = c.issue(["stuck.example.com"])
    serial = o["certificate"].rsplit("/", 1)[1]
    now = int(time.time())

    def set_state(cert_status, created_at):
        con = sqlite3.connect(db, timeout=10)
        con.execute("UPDATE certificates SET status = ?, created_at = ? "
                    "WHERE serial = ?", (cert_status, created_at, serial))
        con.execute("UPDATE acme_orders SET status = 'processing' WHERE "
                    "serial = ?", (serial,))
        con.commit()
        con.close()

    set_state(0, now)  # reserved just now: a finalize still in flight
    got = c.post(ourl, None).json()
    assert got["status"] == "processing", got
    set_state(1, now)  # recorded as issued: the order is valid
    got = c.post(ourl, None).json()
    assert got["status"] == "valid", got
    set_state(0, now - 3600)  # reserved an hour ago: it stopped
    got = c.post(ourl, None).json()
    assert got["status"] == "invalid", got
    assert got["error"]["type"] == ERR + "serverInternal", got
    print("stuck finalize settled:", got["status"], got["error"]["detail"])
    return True


def chal_start(c, name, answer=True, held=None):
    """newOrder for |name|; returns (authz url, http-01 challenge) with the
    responder set to answer (or not, or only once |held| is set)."""
    r = c.order([name])
    assert r.status == 201, (r.status, r.body)
    az = r.json()["authorizations"][0]
    a = c.post(az, None).json()
    ch = [x for x in a["challenges"] if x["type"] == "http-01"][0]
    if answer:
        Tokens.tokens[ch["token"]] = ch["token"] + "." + thumbprint(c.key)
    if held is not None:
        Tokens.held[ch["token"]] = held
    return az, ch


def chalwait(c, stop_pid=None):
    """The challenge POST is answered with the validation's outcome (the
    server waits up to challenge_wait, 5s here); past the wait it answers
    "processing" with Retry-After and the client polls as usual."""
    c.account()
    # Outcome known within the wait: valid, and the authorization too,
    # with no poll in between.
    az, ch = chal_start(c, "wait-ok.example.com")
    r = c.post(ch["url"], {})
    body = r.json()
    assert r.status == 200 and body["status"] == "valid", (r.status, body)
    assert "validated" in body and r.headers.get("Replay-Nonce"), body
    assert "Retry-After" not in r.headers, r.headers
    a = c.post(az, None).json()
    assert a["status"] == "valid", a
    # A failed validation: answered invalid, with the problem.
    az, ch = chal_start(c, "wait-bad.example.com", answer=False)
    r = c.post(ch["url"], {})
    body = r.json()
    assert r.status == 200 and body["status"] == "invalid", (r.status, body)
    assert body["error"]["type"] == ERR + "unauthorized", body
    assert c.post(az, None).json()["status"] == "invalid"
    # The responder holds its answer past the wait: "processing" first.
    gate = threading.Event()
    az, ch = chal_start(c, "wait-slow.example.com", held=gate)
    if stop_pid is not None:
        # Stopping the server answers the parked POST before it exits.
        import os
        import signal
        got = {}

        def post():
            got["r"] = c.post(ch["url"], {})
        t = threading.Thread(target=post)
        t.start()
        # Validating, so the POST is parked.
        assert Tokens.reached.wait(30), "validation never reached us"
        os.kill(stop_pid, signal.SIGTERM)
        t.join(30)
        gate.set()
        assert not t.is_alive(), "parked POST not answered at stop"
        r = got["r"]
        assert r.status == 200 and r.json()["status"] == "processing", (
            r.status, r.body)
        print("chalwait-stop ok")
        return True
    r = c.post(ch["url"], {})
    body = r.json()
    assert r.status == 200 and body["status"] == "processing", body
    assert r.headers.get("Retry-After") == "1", r.headers
    gate.set()
    for _ in range(100):
        a = c.post(az, None).json()
        if a["status"] != "pending":
            break
        time.sleep(0.1)
    assert a["status"] == "valid", a
    print("chalwait ok")
    return True


def posted_at_once(c, url, bodies):
    """POSTs each of |bodies| to |url| on its own connection: every
    connection is made (TLS included) and every request written out in
    advance, then all are sent at one barrier, so that they meet in the
    server instead of queueing behind handshakes; returns the statuses."""
    import socket
    u = urllib.parse.urlsplit(url)
    socks, reqs = [], []
    for b in bodies:
        raw = socket.create_connection((u.hostname, u.port), timeout=30)
        socks.append(c.ctx.wrap_socket(raw, server_hostname=u.hostname))
        reqs.append((f"POST {u.path} HTTP/1.1\r\nHost: {u.netloc}\r\n"
                     "Content-Type: application/jose+json\r\n"
                     f"Content-Length: {len(b)}\r\nConnection: close\r\n"
                     "\r\n").encode() + b)
    barrier = threading.Barrier(len(bodies))
    got = [0] * len(bodies)

    def send(i):
        barrier.wait()
        socks[i].sendall(reqs[i])
        resp = http.client.HTTPResponse(socks[i])
        resp.begin()
        got[i] = resp.status
        resp.read()
    ts = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for sk in socks:
        sk.close()
    return got


def conformance(c, db=None):
    """RFC 8555 points a review found broken: authorization deactivation,
    revocation with the certificate's key blocking the key whatever the
    reason, names the CA never issues for refused at newOrder, a CSR naming
    its identifier in the common name only, the inner keyChange JWS without
    a nonce, finished authorizations listing only the challenge that
    decided them, and concurrent orders replacing one certificate."""
    c.account()
    ok = True
    # An account update that repeats the status the account has is no
    # change; any other status but "deactivated" is refused.
    r = c.post(c.kid, {"status": "valid",
                       "contact": ["mailto:other@example.com"]})
    good = r.status == 200 and r.json()["status"] == "valid" and \
        r.json()["contact"] == ["mailto:other@example.com"]
    print(("ok   " if good else "FAIL ") +
          f"account update restating status valid: {r.status}")
    ok &= good
    ok &= expect("account update to status revoked",
                 c.post(c.kid, {"status": "revoked"}), "malformed", 400)
    # 7.5.2: the client deactivates a pending authorization; its order is
    # invalid from then on (7.1.6).
    r = c.order(["deact.example.com"])
    ourl, o = r.headers["Location"], r.json()
    r = c.post(o["authorizations"][0], {"status": "deactivated"})
    good = r.status == 200 and r.json()["status"] == "deactivated"
    print(("ok   " if good else "FAIL ") +
          f"authorization deactivated: {r.status} {r.body[:120]}")
    ok &= good
    st = c.post(ourl, None).json()["status"]
    print(("ok   " if st == "invalid" else "FAIL ") +
          f"its order afterwards: {st}")
    ok &= st == "invalid"
    ok &= expect("deactivating it again", c.post(
        o["authorizations"][0], {"status": "deactivated"}), "malformed", 400)
    # 7.1.4: a valid authorization lists the challenge that was validated.
    r = c.order(["onechall.example.com"])
    o = r.json()
    pending = c.post(o["authorizations"][0], None).json()
    c.solve_http01(o)
    a = c.post(o["authorizations"][0], None).json()
    kinds = [(x["type"], x["status"]) for x in a["challenges"]]
    good = a["status"] == "valid" and kinds == [("http-01", "valid")]
    print(("ok   " if good else "FAIL ") +
          f"challenges of a valid authorization: {kinds}")
    ok &= good
    # TLS BR 4.2.1 (ballot SC-081): a validation is relied on for at most
    # 398 days, 200 from 2026-03-15, 100 from 2027-03-15, 10 from
    # 2029-03-15. The server runs with authz_lifetime = 300d (acme_client.sh):
    # the pending authorization shows that, the valid one no more than the
    # limit past its validation.
    now = datetime.datetime.now(datetime.timezone.utc)
    limit = 398
    for start, days in (("2026-03-15", 200), ("2027-03-15", 100),
                        ("2029-03-15", 10)):
        if now >= datetime.datetime.fromisoformat(start + "T00:00:00+00:00"):
            limit = days
    def when(t):
        return datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    left_pending = (when(pending["expires"]) - now).total_seconds() / 86400
    left_valid = (when(a["expires"]) - now).total_seconds() / 86400
    good = left_pending > 299 and limit - 1 < left_valid <= limit
    print(("ok   " if good else "FAIL ") +
          f"authorization expiry: pending {left_pending:.2f} d, valid "
          f"{left_valid:.2f} d (BR reuse limit today {limit} d)")
    ok &= good
    # Names and addresses no certificate of this CA may carry: refused up
    # front, not after validation.
    # The Public Suffix List's ICANN section decides TLDs and suffixes:
    # no unknown TLD, no bare public suffix, no wildcard directly left of
    # one (BR 3.2.2.6).
    for t, v in (("dns", "host.corp"), ("dns", "*.intranet"),
                 ("dns", "www.example.ukei"), ("dns", "co.uk"),
                 ("dns", "*.co.uk"), ("dns", "*.com"),
                 ("dns", "xn--12311613412431243.example.com"),
                 ("ip", "127.0.0.1"), ("ip", "10.1.2.3"), ("ip", "fe80::1")):
        r = c.post(c.dir["newOrder"], {"identifiers": [{"type": t,
                                                        "value": v}]})
        ok &= expect(f"newOrder for {v}", r, "rejectedIdentifier", 400)
        sub = r.json().get("subproblems", [{}])[0]
        good = sub.get("identifier") == {"type": t, "value": v}
        print(("ok   " if good else "FAIL ") + f"  its subproblem: {sub}")
        ok &= good
    # 7.4: the identifier in the common name only.
    r = c.order(["cnonly.example.com"])
    ourl, o = r.headers["Location"], r.json()
    c.solve_http01(o)
    ckey = ec.generate_private_key(ec.SECP256R1())
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "cnonly.example.com")]))
    csr = b.sign(ckey, hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)
    r = c.post(o["finalize"], {"csr": b64(csr)})
    good = r.status == 200 and r.json()["status"] == "valid"
    print(("ok   " if good else "FAIL ") + f"CSR with the CN only: {r.status}")
    ok &= good
    pem = c.post(c.post(ourl, None).json()["certificate"], None).body
    cert = x509.load_pem_x509_certificate(pem)
    san = cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    print(("ok   " if san == ["cnonly.example.com"] else "FAIL ") +
          f"  its certificate's SAN: {san}")
    ok &= san == ["cnonly.example.com"]
    # Revoked with its own key and no reason: the key is blocked all the
    # same (a reason of keyCompromise is finalize_cases' case).
    der = cert.public_bytes(serialization.Encoding.DER)
    r = c.post(c.dir["revokeCert"], {"certificate": b64(der)}, key=ckey,
               use_jwk=True)
    print(("ok   " if r.status == 200 else "FAIL ") +
          f"revoked by its own key, no reason: {r.status}")
    ok &= r.status == 200
    # Revoked: ARI says "renew now", a window wholly in the past.
    cid, _, _ = cert_id(pem.decode())
    w = c.req("GET", c.dir["renewalInfo"] + "/" + cid).json()[
        "suggestedWindow"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    good = w["start"] < w["end"] <= now
    print(("ok   " if good else "FAIL ") +
          f"  ARI window of the revoked certificate: {w} (now {now})")
    ok &= good
    r = c.order(["cnonly.example.com"])
    o = r.json()
    c.solve_http01(o)
    ok &= expect("CSR with the key revoked by itself", c.post(o["finalize"], {
        "csr": b64(c.csr(["cnonly.example.com"], ckey))}), "badCSR", 400)
    # 7.3.5: the inner JWS of keyChange must not carry a nonce; without
    # one the key rolls over, and the old key no longer works.
    new = ec.generate_private_key(ec.SECP256R1())
    url = c.dir["keyChange"]
    inner_payload = {"account": c.kid, "oldKey": jwk_of(c.key)}
    inner = c.sign(url, inner_payload, key=new, use_jwk=True)
    ok &= expect("keyChange inner JWS with a nonce",
                 c.post(url, None, raw_payload=b64(json.dumps(inner).encode())),
                 "malformed", 400)
    inner = c.sign(url, inner_payload, key=new, use_jwk=True,
                   hdr_drop=("nonce",))
    r = c.post(url, None, raw_payload=b64(json.dumps(inner).encode()))
    print(("ok   " if r.status == 200 else "FAIL ") +
          f"keyChange: {r.status} {r.body[:120]}")
    ok &= r.status == 200
    old = c.key
    c.key = new
    r = c.post(c.kid, None)
    print(("ok   " if r.status == 200 else "FAIL ") +
          f"account read with the new key: {r.status}")
    ok &= r.status == 200
    r = c.post(c.kid, None, key=old)
    good = r.status in (400, 401, 403) and "problem" in r.headers.get(
        "Content-Type", "")
    print(("ok   " if good else "FAIL ") +
          f"request signed with the old key: {r.status} {r.body[:120]}")
    ok &= good
    # 7.1.2.1: the orders list leaves invalid orders out and pages with
    # Link rel="next".
    lc = Client(c.directory, c.ctx_file)
    lc.ctx_file = c.ctx_file
    lc.account()
    made = []
    for i in range(103):
        r = lc.order([f"page{i}.example.com"])
        made.append(r.headers["Location"])
    dead = lc.order(["dead.example.com"])
    lc.post(dead.json()["authorizations"][0], {"status": "deactivated"})
    pages, listed, url = 0, [], lc.kid + "/orders"
    while url and pages < 5:
        r = lc.post(url, None)
        pages += 1
        listed += r.json()["orders"]
        nxt = [v for v in (r.headers.get_all("Link") or [])
               if 'rel="next"' in v]
        url = nxt[0].split(">")[0].lstrip("<") if nxt else None
    good = pages == 2 and sorted(listed) == sorted(made) and \
        dead.headers["Location"] not in listed
    print(("ok   " if good else "FAIL ") +
          f"orders list: {len(listed)} orders in {pages} pages, "
          f"the invalid one {'left out' if dead.headers['Location'] not in listed else 'listed'}")
    ok &= good
    # 7.3.6: deactivating an account cancels what it has under way: its
    # pending order becomes invalid, its pending authorization deactivated
    # (read from the store: the account itself can read nothing any more).
    if db is not None:
        d = Client(c.directory, c.ctx_file)
        d.account()
        r = d.order(["gone.example.com"])
        oid = int(r.headers["Location"].rsplit("/", 1)[1])
        aid = int(r.json()["authorizations"][0].rsplit("/", 1)[1])
        r = d.post(d.kid, {"status": "deactivated"})
        con = sqlite3.connect(db, timeout=10)
        got = (con.execute("SELECT status FROM acme_orders WHERE id = ?",
                           (oid,)).fetchone()[0],
               con.execute("SELECT status FROM acme_authzs WHERE id = ?",
                           (aid,)).fetchone()[0])
        con.close()
        good = r.status == 200 and got == ("invalid", "deactivated")
        print(("ok   " if good else "FAIL ") +
              f"account deactivated ({r.status}): its order and "
              f"authorization {got}")
        ok &= good
    # RFC 9773 5: of orders replacing one certificate sent at once, one is
    # created and the others get alreadyReplaced.
    chain, _, _ = c.issue(["race-ari.example.com"])
    cid, _, _ = cert_id(chain)
    p = {"identifiers": [{"type": "dns", "value": "race-ari.example.com"}],
         "replaces": cid}
    bodies = [json.dumps(c.sign(c.dir["newOrder"], p)).encode()
              for _ in range(8)]
    got = sorted(posted_at_once(c, c.dir["newOrder"], bodies))
    good = got == [201] + [409] * 7
    print(("ok   " if good else "FAIL ") +
          f"eight orders replacing one certificate at once: {got}")
    ok &= good
    return ok


def zone_add(line, files):
    """Adds |line| to each loopback DNS data file in |files| (catena-testdns
    re-reads them per query), atomically."""
    for f in files:
        with open(f) as fh:
            data = fh.read()
        with open(f + ".tmp", "w") as fh:
            fh.write(data + line + "\n")
        os.replace(f + ".tmp", f)


def hijack(name, files):
    """A CAA record naming another CA for |name| in the views |files|."""
    zone_add(f'{name} CAA 0 issue "other-ca.test"', files)


def mpic(c, cases, hijack_files):
    """Multi-Perspective Issuance Corroboration (TLS BR 3.2.2.9): each case
    NAME=WANT orders NAME by http-01 and expects WANT: "ok" (issued), a
    problem type on the challenge ("caa", "connection", ...), or
    "late-TYPE": valid, then the hijacked DNS views get a CAA record for
    NAME and the CAA recheck at finalize must fail with TYPE. A "*." NAME
    is proven by dns-01, its TXT record written into every view
    (MPIC_ZONE_FILES)."""
    zones = os.environ.get("MPIC_ZONE_FILES", "").split()
    c.account()
    ok = True
    for case in cases:
        name, want = case.split("=", 1)
        late = want.startswith("late-")
        want = want[5:] if late else want
        r = c.order([name])
        assert r.status == 201, (r.status, r.body)
        ourl = r.headers["Location"]
        o = r.json()
        az = o["authorizations"][0]
        a = c.post(az, None).json()
        ctype = "dns-01" if name.startswith("*.") else "http-01"
        ch = [x for x in a["challenges"] if x["type"] == ctype][0]
        ka = ch["token"] + "." + thumbprint(c.key)
        if ctype == "dns-01":
            txt = b64(hashlib.sha256(ka.encode()).digest())
            zone_add(f'_acme-challenge.{name[2:]} TXT "{txt}"', zones)
        else:
            Tokens.tokens[ch["token"]] = ka
        r = c.post(ch["url"], {})
        assert r.status == 200, (r.status, r.body)
        for _ in range(300):
            a = c.post(az, None).json()
            if a["status"] not in ("pending", "processing"):
                break
            time.sleep(0.1)
        if not late and want != "ok":
            err = [x for x in a["challenges"] if x["type"] == ctype][0] \
                .get("error", {})
            good = (a["status"] == "invalid" and err.get("type") == ERR + want
                    and "multi-perspective corroboration failed" in
                    err.get("detail", ""))
            print(("ok   " if good else "FAIL ") +
                  f"{name}: authz {a['status']} {err.get('type')} "
                  f"(want {want}): {err.get('detail', '')[:300]}")
            ok &= good
            continue
        if a["status"] != "valid":
            print(f"FAIL {name}: authz {a['status']} {a}")
            ok = False
            continue
        if late:
            hijack(name, hijack_files)
            time.sleep(1.2)  # past caa_reuse = 0s: finalize checks again
        csr = c.csr([name], ec.generate_private_key(ec.SECP256R1()))
        r = c.post(o["finalize"], {"csr": b64(csr)})
        for _ in range(100):
            o = c.post(ourl, None).json()
            if o["status"] not in ("processing", "ready"):
                break
            time.sleep(0.1)
        if want == "ok":
            good = o["status"] == "valid"
            if good:
                cr = c.post(o["certificate"], None)
                good = cr.status == 200 and b"BEGIN CERTIFICATE" in cr.body
            print(("ok   " if good else "FAIL ") +
                  f"{name}: order {o['status']} (want valid)")
        else:
            err = o.get("error", {})
            good = (o["status"] == "invalid" and err.get("type") == ERR + want
                    and "multi-perspective corroboration failed" in
                    err.get("detail", "") and r.status >= 400)
            print(("ok   " if good else "FAIL ") +
                  f"{name}: finalize {r.status}, order {o['status']} "
                  f"{err.get('type')} (want {want}): "
                  f"{err.get('detail', '')[:300]}")
        ok &= good
    return ok


def main():
    directory, root, port, cmd = sys.argv[1:5]
    srv = start_responder(int(port))
    c = Client(directory, root)
    c.ctx_file = root
    ok = False
    try:
        if cmd == "flow":
            flow(c, sys.argv[5])
            ok = True
        elif cmd == "corpus":
            ok = corpus(c)
        elif cmd == "ari":
            ok = ari(c, sys.argv[5])
        elif cmd == "conformance":
            ok = conformance(c, sys.argv[5] if len(sys.argv) > 5 else None)
        elif cmd == "eab":
            ok = eab(c, sys.argv[5:9])
        elif cmd == "eab-optional":
            ok = eab_optional(c, sys.argv[5])
        elif cmd == "chalwait":
            ok = chalwait(c)
        elif cmd == "chalwait-stop":
            ok = chalwait(c, int(sys.argv[5]))
        elif cmd == "mpic":
            ok = mpic(c, sys.argv[5:],
                      os.environ.get("MPIC_HIJACK_FILES", "").split())
    finally:
        srv.shutdown()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
