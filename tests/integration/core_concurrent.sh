#!/bin/sh
# core_concurrent.sh - issuance from several threads at once, each with its
# own store handle, through the single-issue path (writes outside and
# inside transactions) and the batch path: no issuance fails, every row is
# ISSUED with DER, a sample verifies with openssl, and the audit chain
# holds. The threads' writes share the process's SQLite writer connection
# (ca/store/sqlite.c); a statement put back after the writer gate was left
# once failed about one issuance in 2000 here.
# usage: core_concurrent.sh CATENA BENCH_ISSUE
set -eu
CATENA=$1
BENCH=$2
for tool in openssl sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "core_concurrent: FAIL: $*"; exit 1; }
"$CATENA" init --dir "$tmp/ca" >/dev/null 2>&1
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$tmp/ca/catena.conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=bench" -outform DER \
    -out "$tmp/csr.der" 2>/dev/null
total=0
# COUNT THREADS BATCH: the bench tool's figures are not looked at, only
# what it issued.
for run in "3000 4 1" "1024 4 16"; do
    set -- $run
    "$BENCH" "$CATENA" "$tmp/ca/catena.conf" "$tmp/csr.der" "$1" "$2" "$3" 1 \
        >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err"; fail "bench_issue $run exited non-zero"; }
    if grep '^issue [0-9]*:' "$tmp/err"; then
        fail "issuances failed with $2 threads, batch $3"
    fi
    grep -q "^issued $1 certificates with $2 thread" "$tmp/out" ||
        { cat "$tmp/out"; fail "bench_issue $run did not report $1 issued"; }
    total=$((total + $1))
    echo "threads $2, batch $3: $1 issued"
done
db="$tmp/ca/catena.db"
q() { sqlite3 "$db" "$1"; }
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'bench.example.com' AND status = 1 AND der IS NOT NULL")" = "$total" ] ||
    fail "not all $total certificates are ISSUED with DER"
[ "$(q "SELECT COUNT(*) FROM certificates WHERE names = 'bench.example.com' AND status <> 1")" = 0 ] ||
    fail "a certificate is left RESERVED or FAILED"
q "SELECT writefile('$tmp/last.der', der) FROM certificates WHERE names = 'bench.example.com' ORDER BY created_at DESC LIMIT 1" >/dev/null
openssl x509 -inform DER -in "$tmp/last.der" -out "$tmp/last.pem"
openssl verify -CAfile "$tmp/ca/root.pem" -untrusted "$tmp/ca/tls-chain.pem" \
    "$tmp/last.pem" >/dev/null || fail "a certificate does not verify"
"$CATENA" status --config "$tmp/ca/catena.conf" >"$tmp/status" 2>&1 ||
    { cat "$tmp/status"; fail "catena status failed"; }
grep -q '^audit chain: ok' "$tmp/status" || { cat "$tmp/status"; fail "audit chain broken"; }
echo "core_concurrent: ok ($total certificates)"
