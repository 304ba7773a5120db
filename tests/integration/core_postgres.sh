#!/bin/sh
# core_postgres.sh - the issuing core on PostgreSQL: issue, keyCompromise
# revocation (idempotent) blocking the key, status with an intact chain.
# usage: core_postgres.sh CATENA
set -eu
CATENA=$1
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL server binaries"; exit 77; }
command -v runuser >/dev/null || exit 77
tmp=$(mktemp -d)
pgd="$tmp/pg"
cleanup() {
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgd/data" stop -m fast \
        >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# initdb and pg_ctl refuse to run as root.
mkdir -p "$pgd"
chown postgres "$pgd"
chmod 755 "$tmp"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
runuser -u postgres -- "$PGBIN/initdb" -D "$pgd/data" -A trust >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$pgd/data" -w -l "$pgd/log" \
    -o "-p $port -k $pgd -c listen_addresses=''" start >/dev/null
runuser -u postgres -- "$PGBIN/createdb" -h "$pgd" -p "$port" catena

"$CATENA" init --dir "$tmp/ca" >/dev/null 2>&1 || fail "init"
conf="$tmp/ca/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"
sed -i "s|^store = .*|store = postgresql://postgres@/catena?host=$pgd\&port=$port|" \
    "$conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=x" -out "$tmp/r.csr" 2>/dev/null
"$CATENA" issue --config "$conf" --profile tls-server --csr "$tmp/r.csr" \
    --dns www.example.com >"$tmp/chain.pem" 2>/dev/null || fail "issue"
openssl x509 -in "$tmp/chain.pem" -out "$tmp/leaf.pem"
sed '1,/END CERTIFICATE/d' "$tmp/chain.pem" >"$tmp/rest.pem"
openssl verify -CAfile "$tmp/ca/root.pem" -untrusted "$tmp/rest.pem" \
    "$tmp/leaf.pem" >/dev/null || fail "verify"
serial=$(openssl x509 -in "$tmp/leaf.pem" -noout -serial | cut -d= -f2)
"$CATENA" revoke --config "$conf" --serial "$serial" --reason keyCompromise \
    >/dev/null 2>&1 || fail "revoke"
"$CATENA" revoke --config "$conf" --serial "$serial" --reason keyCompromise \
    >/dev/null 2>&1 || fail "revoke again"
out=$("$CATENA" issue --config "$conf" --profile tls-server \
    --csr "$tmp/r.csr" --dns www.example.com 2>&1) && fail "blocked key accepted"
echo "$out" | grep -q blocked || fail "unclear refusal: $out"
"$CATENA" status --config "$conf" >"$tmp/status" || fail "status"
grep -q 'revoked   1' "$tmp/status" || fail "counts: $(cat "$tmp/status")"
grep -q 'audit chain: ok' "$tmp/status" || fail "audit chain"
echo "core_postgres: ok"
