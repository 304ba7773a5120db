#!/bin/sh
# lint_own_artifacts.sh CATENA - everything Catena signs lints clean:
# the root, the issuing CAs, the OCSP responders, the ACME server
# certificate, one leaf of each subscriber profile (tls-server with DNS and
# IP names, smime-mailbox, x509-svid) for every CA key type, every CRL shard
# (with revocations in it) and live OCSP responses (good and revoked) from
# "catena serve". Each is also checked by OpenSSL.
set -eu
CATENA=$1
tmp=$(mktemp -d)
pid=""
cleanup() {
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# lint_clean FILE [catena lint options]: catena lint must exit 0.
lint_clean() {
    f=$1
    shift
    "$CATENA" lint "$@" "$f" >"$f.lint" 2>&1 || { cat "$f.lint"; fail "lint: $f"; }
}

# leaf_of CHAIN OUT: the first certificate of a PEM chain.
leaf_of() {
    awk '/BEGIN CERT/{n++} n==1' "$1" >"$2"
}

newkey() { # newkey KEYFILE: a P-256 key and, beside it, a CSR with no subject
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1" -subj "/" -out "$1.csr" 2>/dev/null
}

for kt in p256 p384 rsa2048 ed25519; do
    d="$tmp/$kt"
    "$CATENA" init --dir "$d" --key-type "$kt" --hostname localhost \
        >"$tmp/init-$kt.log" 2>&1 || { cat "$tmp/init-$kt.log"; fail "init $kt"; }
    conf="$d/catena.conf"
    printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"
    for ca in root tls smime spiffe; do
        lint_clean "$d/$ca.pem" --issuer "$d/root.pem"
    done
    for ca in tls smime spiffe; do
        lint_clean "$d/$ca-ocsp.pem" --issuer "$d/$ca.pem"
    done
    # The ACME listener's certificate is private-PKI (name "localhost").
    leaf_of "$d/acme-tls.pem" "$d/acme-leaf.pem"
    lint_clean "$d/acme-leaf.pem" --profile private-tls --issuer "$d/tls.pem"

    newkey "$d/tls.key"
    "$CATENA" issue --config "$conf" --profile tls-server --csr "$d/tls.key.csr" \
        --dns www.example.com --dns api.example.com --ip 198.51.101.7 \
        >"$d/tls-leaf-chain.pem" 2>"$d/issue.log" || { cat "$d/issue.log"; fail "issue tls $kt"; }
    newkey "$d/smime.key"
    "$CATENA" issue --config "$conf" --profile smime-mailbox \
        --csr "$d/smime.key.csr" --email alice@example.com \
        >"$d/smime-leaf-chain.pem" 2>"$d/issue.log" || { cat "$d/issue.log"; fail "issue smime $kt"; }
    newkey "$d/svid.key"
    "$CATENA" issue --config "$conf" --profile x509-svid \
        --csr "$d/svid.key.csr" --uri spiffe://example.org/ns/prod/sa/web \
        >"$d/svid-leaf-chain.pem" 2>"$d/issue.log" || { cat "$d/issue.log"; fail "issue svid $kt"; }
    for p in tls smime svid; do
        case $p in tls) ca=tls ;; smime) ca=smime ;; svid) ca=spiffe ;; esac
        leaf_of "$d/$p-leaf-chain.pem" "$d/$p-leaf.pem"
        openssl verify -CAfile "$d/root.pem" -untrusted "$d/$p-leaf-chain.pem" \
            "$d/$p-leaf.pem" >/dev/null || fail "openssl verify $p $kt"
        lint_clean "$d/$p-leaf.pem" --issuer "$d/$ca.pem"
    done
    echo "$kt: CA, OCSP responder, ACME, tls/smime/svid leaves lint clean"
done

# CRLs with entries, and live OCSP responses, on the P-256 hierarchy.
d="$tmp/p256"
conf="$d/catena.conf"
port=$(free_port)
sed -i "s|^base_url = .*|base_url = http://127.0.0.1:$port|; s|^listen = 127.0.0.1:8080|listen = 127.0.0.1:$port|" "$conf"
for n in 1 2 3; do
    newkey "$d/r$n.key"
    "$CATENA" issue --config "$conf" --profile tls-server --csr "$d/r$n.key.csr" \
        --dns "r$n.example.com" >"$d/r$n-chain.pem" 2>/dev/null || fail "issue r$n"
    leaf_of "$d/r$n-chain.pem" "$d/r$n.pem"
done
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'; }
"$CATENA" revoke --config "$conf" --serial "$(serial_of "$d/r1.pem")" --reason keyCompromise >/dev/null 2>&1 || fail "revoke r1"
"$CATENA" revoke --config "$conf" --serial "$(serial_of "$d/r2.pem")" --reason unspecified >/dev/null 2>&1 || fail "revoke r2"
"$CATENA" crl publish --config "$conf" >"$tmp/publish.log" 2>&1 || { cat "$tmp/publish.log"; fail "crl publish"; }
mkdir "$tmp/crls"
"$CATENA" crl export --config "$conf" --dir "$tmp/crls" >/dev/null 2>&1 || fail "crl export"
n=0
for f in "$tmp/crls"/*.crl; do
    issuer=$(basename "$f" | sed 's/-[0-9]*\.crl$//')
    lint_clean "$f" --issuer "$d/$issuer.pem"
    n=$((n + 1))
done
[ "$n" -ge 13 ] || fail "expected at least 13 shards, got $n"
echo "CRL shards lint clean: $n"

"$CATENA" serve --config "$conf" >"$tmp/serve.log" 2>&1 &
pid=$!
i=0
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { cat "$tmp/serve.log"; fail "serve did not start"; }
    sleep 0.1
done
for n in 1 2 3; do
    openssl ocsp -issuer "$d/tls.pem" -cert "$d/r$n.pem" -no_nonce \
        -url "http://127.0.0.1:$port/ocsp" -CAfile "$d/root.pem" \
        -respout "$tmp/r$n.ocsp" >"$tmp/ocsp$n.txt" 2>&1 || { cat "$tmp/ocsp$n.txt"; fail "openssl ocsp r$n"; }
    grep -q "Response verify OK" "$tmp/ocsp$n.txt" || { cat "$tmp/ocsp$n.txt"; fail "ocsp verify r$n"; }
    lint_clean "$tmp/r$n.ocsp" --issuer "$d/tls.pem"
done
grep -q "revoked" "$tmp/ocsp1.txt" || fail "r1 not revoked in OCSP"
grep -q ": good" "$tmp/ocsp3.txt" || fail "r3 not good in OCSP"
echo "OCSP responses (good, revoked) lint clean"
echo "lint_own_artifacts: OK"
