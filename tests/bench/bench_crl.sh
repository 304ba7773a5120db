#!/bin/sh
# bench_crl.sh CATENA [COUNT] - time to generate and sign every CRL shard
# for COUNT (default 1,000,000) revoked certificates, next to
# "openssl ca -gencrl" on the same revocation set, with peak RSS.
# RUNS (default 1) runs of each side, alternating; the speed-up is taken
# from the medians. Prints figures only; no assertion on speed.
set -eu
CATENA=$1
COUNT=${2:-1000000}
SHARDS=${SHARDS:-16}
RUNS=${RUNS:-1}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d="$tmp/ca"
"$CATENA" init --dir "$d" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log"; exit 1; }
conf="$d/catena.conf"
# Spread the tls issuer over more shards for a million entries.
sed -i "/^\[issuer \"tls\"\]/,/^\[/ s/^num_shards = .*/num_shards = $SHARDS/" "$conf"
"$CATENA" crl urls --config "$conf" >/dev/null   # registers the shard count
# crl/'s schema (its covering index of revoked entries) exists before the
# certificates do, as in a running CA; otherwise the timed publish would
# also build that index over a million rows.
"$CATENA" crl show --config "$conf" >/dev/null
t0=$(date +%s.%N)
/usr/bin/python3 "$here/bench_crl_fill.py" "$d/catena.db" tls "$SHARDS" \
    "$COUNT" "$tmp/index.txt"
t1=$(date +%s.%N)
echo "filled $COUNT revoked certificates in $(echo "$t1 - $t0" | bc) s"
# The fill's writes reach the disk before anything is timed: otherwise the
# first side to sync a file (SQLite's checkpoint does) waits for them.
sync

measure() { # measure NAME CMD...: prints wall seconds, peak RSS, CPU s
    name=$1; shift
    /usr/bin/time -v "$@" >"$tmp/$name.out" 2>"$tmp/$name.time" || {
        cat "$tmp/$name.out" "$tmp/$name.time" >&2; exit 1; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/$name.time" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$name.time")
    cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$tmp/$name.time" |
        awk '{ s += $1 } END { print s }')
    echo "$name $wall $rss $cpu"
}

cat >"$tmp/openssl-ca.cnf" <<CNF
[ ca ]
default_ca = bench
[ bench ]
database = $tmp/index.txt
crlnumber = $tmp/crlnumber
default_md = sha256
default_crl_days = 1
crl_extensions = crl_ext
[ crl_ext ]
authorityKeyIdentifier = keyid
CNF
echo 1000 >"$tmp/crlnumber"

# Each side in turn, so a busy moment on a shared machine hits both. The
# first catena run writes every shard, later runs replace them.
: >"$tmp/runs"
for run in $(seq "$RUNS"); do
    measure catena "$CATENA" crl publish --config "$conf" >>"$tmp/runs"
    measure openssl openssl ca -gencrl -config "$tmp/openssl-ca.cnf" \
        -cert "$d/tls.pem" -keyfile "$d/keys/tls.key" \
        -out "$tmp/openssl.crl" >>"$tmp/runs"
done
if [ "$RUNS" -gt 1 ]; then
    awk '{ printf "run %d %-8s wall %6s s  CPU %6s s  peak RSS %8s KB\n",
           int((NR + 1) / 2), $1, $2, $4, $3 }' "$tmp/runs"
fi
median() { # median NAME FIELD: the median of one column of one side
    awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$tmp/runs" | sort -g |
        awk '{ v[NR] = $1 }
             END { if (NR % 2) print v[(NR + 1) / 2];
                   else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
c_wall=$(median catena 2) c_rss=$(median catena 3) c_cpu=$(median catena 4)
o_wall=$(median openssl 2) o_rss=$(median openssl 3) o_cpu=$(median openssl 4)
entries=$("$CATENA" crl show --config "$conf" | awk '$1 == "tls" { n += $(NF-1) } END { print n }')
# CPU is user + system of the process and its children (Catena's signer
# process included): on a shared machine it is the steadier figure.
label="CRL generation ($COUNT)"
[ "$RUNS" -gt 1 ] && label="CRL gen. ($COUNT), median of $RUNS"
printf '%-34s %8s %8s %12s %10s\n' "$label" "wall s" "CPU s" \
    "peak RSS KB" "entries"
printf '%-34s %8s %8s %12s %10s\n' "catena crl publish ($SHARDS shards)" \
    "$c_wall" "$c_cpu" "$c_rss" "$entries"
printf '%-34s %8s %8s %12s %10s\n' "openssl ca -gencrl" "$o_wall" "$o_cpu" \
    "$o_rss" \
    "$(openssl crl -in "$tmp/openssl.crl" -noout -text | grep -c 'Serial Number')"
echo "speed-up: wall $(echo "scale=1; $o_wall / $c_wall" | bc)x," \
    "CPU $(echo "scale=1; $o_cpu / $c_cpu" | bc)x (target >= 10x, catena < 10 s)"
