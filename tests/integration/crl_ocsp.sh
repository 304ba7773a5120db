#!/bin/sh
# crl_ocsp.sh - "catena serve" publishing CRLs and answering OCSP:
# openssl ocsp good / revoked / unknown over POST and GET (SHA-1 and
# SHA-256 CertIDs), malformedRequest for junk, unauthorized for an issuer
# without a responder, RFC 5019 headers, CRL and CA downloads with
# conditional GETs, clients that connect and close without a request, and
# a revocation by another process showing up in OCSP and the shard CRL
# within 10 seconds.
# usage: crl_ocsp.sh CATENA
set -eu
CATENA=$1
for tool in openssl python3 curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/crl_common.sh"

port=$(free_port)
base="http://127.0.0.1:$port"
d="$tmp/ca"
"$CATENA" init --dir "$d" --trust-domain example.org \
    --listen "127.0.0.1:$port" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; fail "catena init"; }
conf="$d/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"

good=$(issue_leaf "$d" good)
bad=$(issue_leaf "$d" bad)
late=$(issue_leaf "$d" late)
"$CATENA" revoke --config "$conf" --serial "$bad" --reason keyCompromise \
    >/dev/null || fail "revoke"

"$CATENA" serve --config "$conf" >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "$base/health" >/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$tmp/serve.log"; fail "serve did not start"; }
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log"; fail "serve died"; }
    sleep 0.1
done

ocsp_post() { # ocsp_post LEAF.pem [openssl ocsp options]: prints the status
    leaf=$1; shift
    openssl ocsp -issuer "$d/tls.pem" "$@" -cert "$leaf" -url "$base/ocsp" \
        -CAfile "$d/root.pem" -no_nonce 2>&1
}

out=$(ocsp_post "$d/good.pem")
echo "$out" | grep -q "good.pem: good" || fail "POST good: $out"
echo "$out" | grep -q "Response verify OK" || fail "POST verify: $out"
out=$(ocsp_post "$d/good.pem" -sha256)
echo "$out" | grep -q "good.pem: good" || fail "POST SHA-256 good: $out"
out=$(ocsp_post "$d/bad.pem")
echo "$out" | grep -q "bad.pem: revoked" || fail "POST revoked: $out"
echo "$out" | grep -q "Reason: keyCompromise" || fail "revocation reason: $out"
out=$(openssl ocsp -issuer "$d/tls.pem" -serial 0x0102030405060708 \
    -url "$base/ocsp" -CAfile "$d/root.pem" -no_nonce 2>&1)
echo "$out" | grep -q "0x0102030405060708: unknown" ||
    fail "never-issued serial must be unknown: $out"
echo "POST: good, revoked (keyCompromise), unknown"

# GET: base64 of the DER request in the path, percent-encoded.
get_status() { # get_status LEAF.pem [digest option]
    openssl ocsp -issuer "$d/tls.pem" ${2:-} -cert "$1" -no_nonce \
        -reqout "$tmp/req.der" >/dev/null 2>&1
    path=$(python3 -c 'import base64,sys,urllib.parse; print(urllib.parse.quote(base64.b64encode(open(sys.argv[1],"rb").read()).decode(), safe=""))' "$tmp/req.der")
    curl -sf -D "$tmp/get.hdr" -o "$tmp/get.der" "$base/ocsp/$path" ||
        fail "GET /ocsp"
    openssl ocsp -respin "$tmp/get.der" -issuer "$d/tls.pem" ${2:-} \
        -cert "$1" -CAfile "$d/root.pem" 2>&1
}
out=$(get_status "$d/good.pem")
echo "$out" | grep -q "good.pem: good" || fail "GET good: $out"
hdr=$(tr -d '\r' <"$tmp/get.hdr")
echo "$hdr" | grep -qi '^content-type: application/ocsp-response' ||
    fail "GET content type: $hdr"
for h in cache-control last-modified expires etag; do
    echo "$hdr" | grep -qi "^$h: " || fail "GET lacks $h: $hdr"
done
echo "$hdr" | grep -qi '^cache-control: .*max-age=[1-9]' ||
    fail "GET max-age: $hdr"
out=$(get_status "$d/bad.pem" -sha256)
echo "$out" | grep -q "bad.pem: revoked" || fail "GET revoked: $out"
echo "GET: good, revoked; RFC 5019 headers present"

# Junk is malformedRequest; the server stays up.
head -c 300 /dev/urandom >"$tmp/junk"
curl -sf -H 'Content-Type: application/ocsp-request' --data-binary \
    @"$tmp/junk" -o "$tmp/junk.resp" "$base/ocsp" || fail "POST junk"
openssl ocsp -respin "$tmp/junk.resp" -resp_text 2>&1 |
    grep -qi "malformedrequest" || fail "junk not malformedRequest"
curl -sf -o "$tmp/junk2.resp" "$base/ocsp/not-base64!!" || fail "GET junk"
openssl ocsp -respin "$tmp/junk2.resp" -resp_text 2>&1 |
    grep -qi "malformedrequest" || fail "GET junk not malformedRequest"
# An issuer without a delegated responder (the root) is unauthorized.
openssl ocsp -issuer "$d/root.pem" -cert "$d/tls.pem" -no_nonce \
    -reqout "$tmp/root.req" >/dev/null 2>&1
curl -sf --data-binary @"$tmp/root.req" -H \
    'Content-Type: application/ocsp-request' -o "$tmp/root.resp" \
    "$base/ocsp" || fail "POST root"
openssl ocsp -respin "$tmp/root.resp" -resp_text 2>&1 |
    grep -qi "unauthorized" || fail "root issuer not unauthorized"
echo "malformedRequest and unauthorized answered"

# Clients that connect and leave (or send half a request) disturb nothing.
python3 - "$port" <<'PY'
import socket, sys
port = int(sys.argv[1])
for i in range(50):
    s = socket.create_connection(("127.0.0.1", port))
    if i % 2:
        s.sendall(b"POST /ocsp HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
    s.close()
PY
out=$(ocsp_post "$d/good.pem")
echo "$out" | grep -q "good.pem: good" || fail "after connect-close: $out"
kill -0 "$pid" || fail "server died after connect-close clients"
echo "connect-then-close clients: server unaffected"

# CRLs and the CA certificate over HTTP, with conditional GETs.
shard=$(shard_of "$d/bad.pem")
curl -sf -D "$tmp/crl.hdr" -o "$tmp/shard.crl" "$base/crl/tls/$shard.crl" ||
    fail "GET CRL"
hdr=$(tr -d '\r' <"$tmp/crl.hdr")
echo "$hdr" | grep -qi '^content-type: application/pkix-crl' ||
    fail "CRL content type: $hdr"
openssl crl -inform DER -in "$tmp/shard.crl" -CAfile "$d/tls.pem" -noout \
    2>&1 | grep -q "verify OK" || fail "served CRL does not verify"
openssl crl -inform DER -in "$tmp/shard.crl" -noout -text |
    grep -q "Serial Number: $bad" || fail "revoked serial not in served CRL"
etag=$(echo "$hdr" | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
lm=$(echo "$hdr" | sed -n 's/^[Ll]ast-[Mm]odified: //p')
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    "$base/crl/tls/$shard.crl")
[ "$code" = 304 ] || fail "If-None-Match gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-Modified-Since: $lm" \
    "$base/crl/tls/$shard.crl")
[ "$code" = 304 ] || fail "If-Modified-Since gave $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/crl/tls/99.crl")
[ "$code" = 404 ] || fail "missing shard gave $code"
# A method a resource does not take: 405 with Allow (RFC 9110 15.5.6).
for m in "PUT /crl/tls/$shard.crl GET, HEAD" "DELETE /ca/tls.der GET, HEAD" \
    "PUT /ocsp GET, HEAD, POST"; do
    verb=${m%% *}; rest=${m#* }; path=${rest%% *}; allow=${rest#* }
    curl -s -o /dev/null -D "$tmp/405.hdr" -X "$verb" "$base$path"
    tr -d '\r' <"$tmp/405.hdr" | head -1 | grep -q ' 405' ||
        fail "$verb $path: $(head -1 "$tmp/405.hdr")"
    tr -d '\r' <"$tmp/405.hdr" | grep -qi "^allow: $allow\$" ||
        fail "$verb $path: no 'Allow: $allow'"
done
curl -sf -D "$tmp/ca.hdr" -o "$tmp/tls.der" "$base/ca/tls.der" ||
    fail "GET CA"
openssl x509 -in "$d/tls.pem" -outform DER -out "$tmp/tls.want.der"
cmp -s "$tmp/tls.der" "$tmp/tls.want.der" || fail "/ca/tls.der differs"
tr -d '\r' <"$tmp/ca.hdr" | grep -qi '^content-type: application/pkix-cert' ||
    fail "CA content type"
echo "CRL and CA served; 304 on If-None-Match and If-Modified-Since"

# A revocation by another process reaches OCSP and the CRL within 10 s.
out=$(ocsp_post "$d/late.pem")
echo "$out" | grep -q "late.pem: good" || fail "late not good first: $out"
"$CATENA" revoke --config "$conf" --serial "$late" --reason superseded \
    >/dev/null || fail "revoke late"
lshard=$(shard_of "$d/late.pem")
i=0
while :; do
    o=$(ocsp_post "$d/late.pem")
    curl -sf -o "$tmp/late.crl" "$base/crl/tls/$lshard.crl" || true
    if echo "$o" | grep -q "late.pem: revoked" &&
        openssl crl -inform DER -in "$tmp/late.crl" -noout -text 2>/dev/null |
        grep -q "Serial Number: $late"; then
        break
    fi
    i=$((i + 1))
    [ $i -lt 20 ] || { tail -20 "$tmp/serve.log"; fail "revocation not visible within 10 s"; }
    sleep 0.5
done
echo "revocation visible in OCSP and CRL after about $((i / 2)) s"
kill -0 "$pid" || fail "server died"
echo "crl_ocsp: OK"
