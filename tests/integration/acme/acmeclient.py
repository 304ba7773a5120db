#!/usr/bin/python3
"""acmeclient.py - a small ACME (RFC 8555) client for Catena's integration
tests: a full http-01 issuance, a malformed-request corpus checked against
the problem type and status each must get, and the ARI (RFC 9773) flow.

usage: acmeclient.py DIRECTORY_URL ROOT_PEM HTTP01_PORT {flow,corpus,ari} [DB]
"""
import base64
import http.server
import json
import sqlite3
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.x509.oid import NameOID

ERR = "urn:ietf:params:acme:error:"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


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

    def do_GET(self):
        t = self.path.rsplit("/", 1)[-1]
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
    # Directory, nonce and account basics.
    assert "renewalInfo" in c.dir and "meta" in c.dir
    r = c.req("GET", c.dir["newNonce"])
    assert r.status == 204 and r.headers["Cache-Control"] == "no-store"
    r = c.post(c.kid, None)
    assert r.status == 200 and r.json()["status"] == "valid", r.body
    r = c.post(c.kid + "/orders", None)
    assert r.status == 200 and len(r.json()["orders"]) >= 1, r.body
    print("flow ok:", o["certificate"])


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
    # Unknown kid.
    ok &= expect("unknown kid", c.post(url, good, hdr_extra={
        "kid": c.kid.rsplit("/", 1)[0] + "/999999"}), "accountDoesNotExist",
        400)
    ok &= expect("alg none", c.post(url, good, alg="none"),
                 "badSignatureAlgorithm", 400)
    ok &= expect("HS256", c.post(url, good, alg="HS256"),
                 "badSignatureAlgorithm", 400)
    ok &= expect("jwk and kid", c.post(url, good, hdr_extra={
        "jwk": jwk_of(c.key)}), "malformed", 400)
    # Oversized body: refused before parsing (by the listener or by us).
    big = json.dumps({"protected": "e30", "payload": "A" * 70000,
                      "signature": "AA"}).encode()
    r = c.req("POST", url, big)
    good_big = r.status in (400, 413)
    print(("ok   " if good_big else "FAIL ") + f"oversized body: {r.status}")
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
    # The order is still ready and finalizes with a correct CSR.
    r = c.post(o["finalize"], {"csr": b64(c.csr(["d.example.com"], ckey))})
    good_fin = r.status == 200 and r.json()["status"] == "valid"
    print(("ok   " if good_fin else "FAIL ") + f"finalize after bad CSRs: {r.status}")
    ok &= good_fin
    # Server still up.
    r = c.req("GET", c.directory)
    ok &= r.status == 200
    return ok


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
    con = sqlite3.connect(db, timeout=10)
    rb = con.execute("SELECT replaced_by FROM certificates WHERE serial = ?",
                     (serial,)).fetchone()[0]
    con.close()
    _, serial2, _ = cert_id(chain2)
    assert rb == serial2, (rb, serial2)
    print("replaced_by recorded:", rb)
    r = c.order(["ari.example.com"], replaces=cid)
    assert expect("second replacement", r, "alreadyReplaced", 409)
    return True


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
    finally:
        srv.shutdown()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
