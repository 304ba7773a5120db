#!/bin/sh
# core_batch.sh - the batch issuance path: one lint refusal among good
# requests (only that row FAILED, the others issued and verifiable with
# openssl, the audit chain intact), then a signer killed with a batch in
# flight (every row RESERVED, no DER). usage: core_batch.sh CATENA CORE_BATCH
set -eu
CATENA=$1
BATCHBIN=$2
for tool in openssl sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "core_batch: FAIL: $*"; exit 1; }
"$CATENA" init --dir "$tmp/ca" >/dev/null
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$tmp/ca/catena.conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=batch" -outform DER \
    -out "$tmp/csr.der" 2>/dev/null
mkdir "$tmp/out"
"$BATCHBIN" "$CATENA" "$tmp/ca/catena.conf" "$tmp/csr.der" "$tmp/out" \
    | tee "$tmp/log" || fail "core_batch reported a failure"
grep -q '^after-restart: ok' "$tmp/log" || fail "no issuance after restart"
grep -q '^pool: ok' "$tmp/log" || fail "the signer pool did not issue"
grep -q '^verified: ok' "$tmp/log" || fail "the verified-CSR path misbehaved"
n=0
for pem in "$tmp"/out/batch-*.pem; do
    # The leaf verifies against the root through the issuer chain.
    openssl verify -CAfile "$tmp/ca/root.pem" -untrusted "$pem" "$pem" \
        >/dev/null || fail "$pem does not verify"
    openssl x509 -in "$pem" -noout -ext subjectAltName |
        grep -q 'DNS:batch.example.com' || fail "$pem has the wrong name"
    n=$((n + 1))
done
[ "$n" -eq 7 ] || fail "expected 7 certificates, found $n"
db="$tmp/ca/catena.db"
q() { sqlite3 "$db" "$1"; }
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'batch.example.com' AND status = 1 AND der IS NOT NULL")" = 7 ] ||
    fail "the 7 good requests are not ISSUED with DER"
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'localhost' AND status = 3 AND der IS NULL")" = 1 ] ||
    fail "the refused request is not FAILED"
q "SELECT detail FROM audit_log WHERE kind = 'refuse'" | grep -q localhost ||
    fail "the refusal is not audited"
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'kill-batch.example.com' AND status = 0 AND der IS NULL")" = 6 ] ||
    fail "the killed batch's rows are not all RESERVED without DER"
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'kill-batch.example.com' AND status <> 0")" = 0 ] ||
    fail "a killed batch's row left RESERVED"
# Serial of every issued row matches its certificate.
for pem in "$tmp"/out/batch-*.pem; do
    s=$(openssl x509 -in "$pem" -noout -serial | cut -d= -f2 |
        tr 'A-F' 'a-f' | sed 's/^0*//')
    [ "$(q "SELECT COUNT(*) FROM certificates WHERE ltrim(serial, '0') = '$s' AND status = 1")" = 1 ] ||
        fail "serial $s is not recorded as ISSUED"
done
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'pool.example.com' AND status = 1 AND der IS NOT NULL")" = 7 ] ||
    fail "the pool's 7 certificates are not ISSUED"
echo "core_batch: ok"
