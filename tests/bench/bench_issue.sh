#!/bin/sh
# bench_issue.sh - issuance throughput (store + lint + signer IPC + sign)
# for a P-256 and an RSA-2048 CA, next to the raw single-core signing rate
# that "openssl speed" measures in the same run, with peak RSS.
# Each key type runs the single-issue path (batch 1, catena_ca_issue) and
# the batch path (catena_ca_issue_batch) on one thread and on all cores,
# then the batch path with one signer process per core sharing each batch.
# usage: bench_issue.sh CATENA BENCH_ISSUE [COUNT [BATCH]]
set -eu
CATENA=$1
BENCH=$2
COUNT=${3:-2000}
BATCH=${4:-64}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/leaf.key" -subj "/CN=bench" -outform DER \
    -out "$tmp/leaf.csr" 2>/dev/null

raw_rates() { # raw_rates ecdsap256|rsa2048 -> "sign/s verify/s", one core
    case $1 in
    ecdsap256)
        openssl speed -seconds 3 ecdsap256 2>/dev/null |
            awk '/256 bits ecdsa \(nistp256\)/ { print $(NF-1), $NF }' ;;
    rsa2048)
        openssl speed -seconds 3 rsa2048 2>/dev/null |
            awk '/^rsa 2048 bits/ { print $(NF-1), $NF }' ;;
    esac
}
p256_rates=$(raw_rates ecdsap256)

THREADS=$(nproc)
printf '%-8s %7s %5s %7s %11s %13s %7s %11s %12s %12s\n' "CA key" \
    "threads" "batch" "signers" "catena c/s" "openssl sig/s" "ratio" "peak RSS kB" \
    "client us/c" "signer us/c"
for kt in p256 rsa2048; do
    "$CATENA" init --dir "$tmp/$kt" --key-type "$kt" >/dev/null 2>&1
    printf '\n[caa]\n# The benchmark measures issuance without DNS.\ncheck = false\n' >>"$tmp/$kt/catena.conf"
    case $kt in p256) peer=ecdsap256 ;; *) peer=rsa2048 ;; esac
    case $peer in
    ecdsap256) rates=$p256_rates ;;
    *) rates=$(raw_rates "$peer") ;;
    esac
    raw=${rates% *}
    # The least CPU an issuance can take on one core: sign, verify the
    # signed certificate (the signer does, once), verify the P-256 CSR's
    # proof of possession. Context for the ratio, not a target.
    floor=$(awk -v s="$raw" -v v="${rates#* }" -v c="${p256_rates#* }" \
        'BEGIN { printf "%.0f", 1 / (1 / s + 1 / v + 1 / c) }')
    echo "$kt: openssl speed $rates sign/s verify/s; crypto floor" \
        "(sign + verify + CSR verify) $floor certificates/s on one core"
    for run in "1 1 1" "1 $BATCH 1" "$THREADS 1 1" "$THREADS $BATCH 1" \
        "1 $BATCH $THREADS"; do
        set -- $run
        t=$1
        b=$2
        sg=$3
        /usr/bin/time -v -o "$tmp/$kt.time" "$BENCH" "$CATENA" \
            "$tmp/$kt/catena.conf" "$tmp/leaf.csr" "$COUNT" "$t" "$b" "$sg" \
            >"$tmp/$kt.out" 2>"$tmp/$kt.err"
        rate=$(awk '/^issued/ { print $(NF-1) }' "$tmp/$kt.out")
        cli=$(awk '/^cpu per/ { print $5 }' "$tmp/$kt.out")
        sig=$(awk '/^cpu per/ { print $8 }' "$tmp/$kt.out")
        rss=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' \
            "$tmp/$kt.time")
        ratio=$(awk -v a="$rate" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')
        printf '%-8s %7s %5s %7s %11s %13s %7s %11s %12s %12s\n' "$kt" "$t" \
            "$b" "$sg" "$rate" "$raw" "$ratio" "$rss" "$cli" "$sig"
    done
done
echo "(ratio = catena certificates/s over openssl speed signatures/s on one"
echo " core, same key type, same run; peak RSS is the client process and its"
echo " reaped children, /usr/bin/time -v; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
