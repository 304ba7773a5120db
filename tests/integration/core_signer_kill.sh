#!/bin/sh
# core_signer_kill.sh - the signer dies mid-request: the issuance fails
# with a clear error, the serial stays RESERVED with no DER, and the next
# issuance works. usage: core_signer_kill.sh CATENA CORE_SIGNER_KILL
set -eu
CATENA=$1
KILLBIN=$2
for tool in openssl sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CATENA" init --dir "$tmp/ca" >/dev/null
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$tmp/ca/catena.conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=kill-test.example.com" -outform DER \
    -out "$tmp/csr.der" 2>/dev/null
"$KILLBIN" "$CATENA" "$tmp/ca/catena.conf" "$tmp/csr.der" | tee "$tmp/out"
grep -q '^killed-mid-request: signer ' "$tmp/out"
grep -q '^already-dead: signer ' "$tmp/out"
grep -q '^after-restart: ok ' "$tmp/out"
grep -q '^listener: 1 call(s) for tls/' "$tmp/out"
db="$tmp/ca/catena.db"
table=$(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'cert%' ORDER BY length(name) LIMIT 1")
reserved=$(sqlite3 "$db" "SELECT COUNT(*) FROM $table WHERE status = 0 AND der IS NULL")
issued_kill=$(sqlite3 "$db" "SELECT COUNT(*) FROM $table WHERE names LIKE '%kill-test%' AND status IN (1, 2)")
echo "reserved rows without DER: $reserved; issued kill-test rows: $issued_kill"
# Two interrupted issuances (mid-request and already dead) leave their
# reservations; the two successful ones are ISSUED.
[ "$reserved" -eq 2 ]
[ "$issued_kill" -eq 2 ]
# The CLI path works after the kills too (a new key: the old one was
# revoked for keyCompromise by the listener step).
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k2.pem" -subj "/CN=kill-test.example.com" -outform DER \
    -out "$tmp/csr2.der" 2>/dev/null
"$CATENA" issue --config "$tmp/ca/catena.conf" --profile tls-server \
    --csr "$tmp/csr2.der" --dns kill-test.example.com >"$tmp/chain.pem"
grep -q 'BEGIN CERTIFICATE' "$tmp/chain.pem"
echo "core_signer_kill: ok"
