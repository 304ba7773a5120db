#!/bin/sh
# bench_lint.sh - certificate lint throughput on the lint fixture corpus and
# on COUNT generated TLS certificates, next to OpenSSL parsing the same files
# in the same run (openssl verify: parse + signature check like "catena lint
# --issuer"; openssl storeutl -text: parse + print), with peak RSS from
# /usr/bin/time -v. Figures only: no assertions on speed.
# usage: bench_lint.sh CATENA BENCH_LINT [COUNT]
#   e.g. tests/bench/bench_lint.sh build/catena build/tests/bench/bench_lint
set -eu
CATENA=$1
BENCH=$2
COUNT=${3:-3000}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sh "$SRC/tests/lint/gen_fixtures.sh" "$tmp/fx" >/dev/null
/usr/bin/python3 "$SRC/tests/bench/bench_lint_gen.py" "$tmp/gen" "$COUNT"

# run NAME N CMD... - time CMD, print certificates/s over N certificates
# and the peak RSS.
run() {
    name=$1; n=$2; shift 2
    /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || true
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        k = split($2, a, ":"); s = 0
        for (i = 1; i <= k; i++) s = s * 60 + a[i]
        print s }' "$tmp/time")
    rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' \
        "$tmp/time")
    rate=$(awk -v n="$n" -v s="$secs" 'BEGIN {
        if (s > 0) printf "%.0f", n / s; else print "n/a" }')
    printf '%-44s %7s %10s %10s %12s\n' "$name" "$n" "$secs" "$rate" "$rss"
}

# bench_lint prints its own in-process figure: keep its certs/s.
inproc() {
    name=$1; shift
    /usr/bin/time -v -o "$tmp/time" "$BENCH" "$@" >"$tmp/out"
    rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' \
        "$tmp/time")
    awk -v name="$name" -v rss="$rss" '{
        printf "%-44s %7s %10s %10s %12s   (%s us/cert)\n", name, $6, $10,
            $14, rss, $12 }' "$tmp/out"
}

printf '%-44s %7s %10s %10s %12s\n' "what" "certs" "seconds" "certs/s" \
    "peak RSS kB"
fx=$(grep -l "BEGIN CERTIFICATE" "$tmp"/fx/*.pem | grep -v '/ca.pem$')
nfx=$(echo "$fx" | wc -l)
gen=$(ls "$tmp"/gen/c*.pem)
# Rounds so each in-process run lints about 30000 certificates.
rfx=$((30000 / nfx + 1))
rgen=$((30000 / COUNT + 1))
# shellcheck disable=SC2086
{
inproc "fixtures: catena_lint_cert in-process" "$rfx" $fx
inproc "fixtures: TBS + issuer (signer path)" "$rfx" --tbs --issuer "$tmp/fx/ca.pem" $fx
run "fixtures: catena lint --issuer (CLI)" "$nfx" "$CATENA" lint --issuer "$tmp/fx/ca.pem" $fx
run "fixtures: openssl verify (peer)" "$nfx" openssl verify -CAfile "$tmp/fx/ca.pem" $fx
inproc "generated: catena_lint_cert in-process" "$rgen" $gen
inproc "generated: TBS + issuer (signer path)" "$rgen" --tbs --issuer "$tmp/gen/ca.pem" $gen
run "generated: catena lint --issuer (CLI)" "$COUNT" "$CATENA" lint --issuer "$tmp/gen/ca.pem" $gen
run "generated: catena lint --format json (CLI)" "$COUNT" "$CATENA" lint --format json --issuer "$tmp/gen/ca.pem" $gen
run "generated: openssl verify (peer)" "$COUNT" openssl verify -CAfile "$tmp/gen/ca.pem" $gen
cat $gen > "$tmp/bundle.pem"
run "generated: openssl storeutl -text (peer)" "$COUNT" openssl storeutl -noout -text -certs "$tmp/bundle.pem"
}
echo "(CLI rows include process start, file reads and signature checks;"
echo " the in-process rows are bench_lint's loop over certificates in memory)"
