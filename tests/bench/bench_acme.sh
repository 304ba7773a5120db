#!/bin/sh
# bench_acme.sh - complete ACME orders per second (newOrder -> authz ->
# http-01 -> finalize with a fresh CSR -> certificate download) with N
# concurrent clients, against "catena serve" (SQLite) and against Pebble
# (Debian package) under the same driver (acme_load, built from
# acme_load.c) in the same run.
# Both CAs validate http-01 against the driver's loopback responder and
# resolve names through the same loopback DNS server (NSD).
# Every order names a fresh domain and both CAs have authorization reuse
# off, so reuse inflates neither figure. Prints orders/s, p50/p99 order
# latency, the ratio, the driver's and each server's CPU use over the
# measured window, and each server's peak RSS from /usr/bin/time -v.
# usage: bench_acme.sh CATENA [CLIENTS] [SECONDS]
# CLIENTS may be a list ("1 2 4 8"): one run per count, then the ratio at
# each. ROUNDS=R (default 1) repeats each count R times, each round a
# fresh Catena run followed by a fresh Pebble run, and adds the median of
# the rounds: on a machine shared with other work one run's rate moves by
# 15-25 %. With few clients both CAs are bound by latency (Pebble answers
# a challenge and a finalize "processing", so its clients wait and poll;
# Catena answers both with the outcome); with more, by CPU, which the
# driver, both servers and the DNS server share.
# The driver is the acme_load built beside CATENA (BUILD/tests/bench/
# acme_load for BUILD/catena); ACME_LOAD=PATH names another.
# BENCH_CAS="catena" runs one CA only (e.g. to profile it by pid).
set -eu
CATENA=$1
CLIENTS=${2:-8}
SECONDS_RUN=${3:-20}
CAS=${BENCH_CAS:-catena pebble}
ROUNDS=${ROUNDS:-1}
case "$ROUNDS" in
'' | *[!0-9]* | 0) echo "ROUNDS must be a positive number"; exit 2 ;;
esac
if [ "$ROUNDS" -gt 1 ] || [ "$CLIENTS" != "${CLIENTS#* }" ]; then
    out=$(mktemp)
    for n in $CLIENTS; do
        r=1
        while [ "$r" -le "$ROUNDS" ]; do
            # Not piped into tee: sh has no pipefail, and a failed run must
            # end the list instead of adding a ratio of partial figures.
            rc=0
            ROUNDS=1 sh "$0" "$CATENA" "$n" "$SECONDS_RUN" >"$out.run" || rc=$?
            [ "$ROUNDS" -gt 1 ] && echo "round $r of $ROUNDS:"
            cat "$out.run"
            cat "$out.run" >>"$out"
            [ "$rc" = 0 ] || { rm -f "$out" "$out.run"; exit "$rc"; }
            echo
            r=$((r + 1))
        done
    done
    echo "ratio catena/pebble by clients (orders/s each):"
    awk '/^ACME complete orders/ { n = $4 }
         /^catena / { c = $3 } /^pebble / { p = $3 }
         /^ratio catena/ { printf "  %3d clients: %s  (%s / %s)\n", n, $3, c, p }' "$out"
    if [ "$ROUNDS" -gt 1 ]; then
        echo "median of $ROUNDS rounds by clients (ratio; orders/s each):"
        awk '/^ACME complete orders/ { n = $4 }
             /^catena / { c[n] = c[n] " " $3 } /^pebble / { p[n] = p[n] " " $3 }
             /^ratio catena/ { r[n] = r[n] " " $3; if (!(n in seen)) { seen[n] = 1; order[++k] = n } }
             function median(list,   a, m, i, j, t) {
                 m = split(list, a, " ")
                 for (i = 2; i <= m; i++)
                     for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
                 return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
             }
             END { for (i = 1; i <= k; i++) { n = order[i]
                       printf "  %3d clients: %.2f  (%s / %s; ratios:%s)\n", n,
                              median(r[n]), median(c[n]), median(p[n]), r[n] } }' "$out"
    fi
    rm -f "$out" "$out.run"
    exit 0
fi
DRIVER=${ACME_LOAD:-$(dirname "$CATENA")/tests/bench/acme_load}
[ -x "$DRIVER" ] || { echo "no driver at $DRIVER (build the acme_load target)"; exit 1; }
NSD=$(command -v nsd || echo /usr/sbin/nsd)
for t in pebble /usr/bin/time openssl drill "$NSD"; do
    command -v "$t" >/dev/null || { echo "missing $t"; exit 77; }
done
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    pkill -f "$tmp/nsd/nsd.conf" 2>/dev/null || true
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_url() { # wait_url URL CAFILE PID LOG
    i=0
    until curl -sf --cacert "$2" "$1" >/dev/null 2>&1; do
        i=$((i + 1))
        kill -0 "$3" 2>/dev/null && [ $i -lt 200 ] ||
            { cat "$4"; echo "server did not start"; exit 1; }
        sleep 0.1
    done
}
rss_of() { awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$1"; }
stop() { # stop TIME_PID: SIGTERM the server under /usr/bin/time, wait
    for c in $(pgrep -P "$1"); do kill "$c" 2>/dev/null || true; done
    wait "$1" 2>/dev/null || true
}
field() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# Loopback DNS: NSD (Debian package) serving a root zone in which every
# name under bench.example.com has A 127.0.0.1 and nothing else, and no
# name has CAA, so both CAs climb the whole tree (name, bench.example.com,
# example.com, com) and get NODATA with the zone's SOA. An authoritative
# server in C keeps the DNS server's own CPU small beside the two CAs it
# serves (pebble-challtestsrv, in Go, took about 0.23 of the 2 cores at 380
# orders/s); its figure is printed as dns ms/o.
dns_port=$(free_port)
h01_port=$(free_port)
mkdir "$tmp/nsd"
cat >"$tmp/nsd/root.zone" <<'EOZ'
$TTL 3600
.                   IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 3600
.                   IN NS  ns.example.com.
ns.example.com.     IN A   127.0.0.1
*.bench.example.com. 60 IN A 127.0.0.1
EOZ
cat >"$tmp/nsd/nsd.conf" <<EOC
server:
    ip-address: 127.0.0.1@$dns_port
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$tmp/nsd"
    database: ""
    zonelistfile: "$tmp/nsd/zone.list"
    xfrdfile: "$tmp/nsd/xfrd.state"
    xfrdir: "$tmp/nsd"
    pidfile: "$tmp/nsd/nsd.pid"
    logfile: "$tmp/nsd/nsd.log"
    server-count: 1
    verbosity: 1
    # Response rate limiting would drop the benchmark's queries.
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: "."
    zonefile: "root.zone"
EOC
"$NSD" -d -c "$tmp/nsd/nsd.conf" >"$tmp/dns.log" 2>&1 &
dns_pid=$!
pids="$pids $dns_pid"
i=0
until drill -p "$dns_port" @127.0.0.1 a.bench.example.com A 2>/dev/null |
        grep -q 'IN[[:space:]]*A[[:space:]]*127\.0\.0\.1'; do
    i=$((i + 1))
    kill -0 "$dns_pid" 2>/dev/null && [ $i -lt 100 ] ||
        { cat "$tmp/dns.log" "$tmp/nsd/nsd.log" 2>/dev/null; echo "DNS server did not start"; exit 1; }
    sleep 0.1
done
# dns_ticks prints the CPU clock ticks used so far by NSD's processes (it
# forks a server and a zone-transfer process).
dns_ticks() {
    t=0
    for p in $(pgrep -f "$tmp/nsd/nsd.conf"); do
        [ -r "/proc/$p/stat" ] || continue
        t=$((t + $(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$p/stat")))
    done
    echo "$t"
}

run_catena() {
d="$tmp/catena"
acme_port=$(free_port)
"$CATENA" init --dir "$d" --hostname localhost \
    --listen "127.0.0.1:$(free_port)" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; exit 1; }
cat >>"$d/catena.conf" <<EOC

[acme]
enabled = true
listen = 127.0.0.1:$acme_port
tls_cert = $d/acme-tls.pem
tls_key = $d/keys/acme-tls.key
base_url = https://localhost:$acme_port
caa_identities = catena.test
dns_resolver = 127.0.0.1:$dns_port
http01_port = $h01_port
tlsalpn01_port = $h01_port
authz_reuse = 0s
EOC
/usr/bin/time -v -o "$tmp/catena.time" "$CATENA" serve \
    --config "$d/catena.conf" >"$tmp/catena.log" 2>&1 &
ctime=$!
pids="$pids $ctime"
wait_url "https://localhost:$acme_port/directory" "$d/root.pem" "$ctime" \
    "$tmp/catena.log"
spids=""
for c in $(pgrep -P "$ctime"); do
    spids="$spids --server-pid $c"
    for g in $(pgrep -P "$c"); do spids="$spids --server-pid $g"; done
done
# shellcheck disable=SC2086
"$DRIVER" "https://localhost:$acme_port/directory" "$d/root.pem" "$h01_port" \
    --clients "$CLIENTS" --duration "$SECONDS_RUN" $spids >"$tmp/catena.json"
stop "$ctime"
}

run_pebble() {
p_port=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/pebble.key" -out "$tmp/pebble.pem" -days 2 \
    -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
cat >"$tmp/pebble.json" <<EOC
{"pebble": {
  "listenAddress": "127.0.0.1:$p_port",
  "managementListenAddress": "127.0.0.1:$(free_port)",
  "certificate": "$tmp/pebble.pem",
  "privateKey": "$tmp/pebble.key",
  "httpPort": $h01_port,
  "tlsPort": $(free_port),
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
EOC
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    /usr/bin/time -v -o "$tmp/pebble.time" pebble -config "$tmp/pebble.json" \
    -dnsserver "127.0.0.1:$dns_port" >"$tmp/pebble.log" 2>&1 &
ptime=$!
pids="$pids $ptime"
wait_url "https://localhost:$p_port/dir" "$tmp/pebble.pem" "$ptime" \
    "$tmp/pebble.log"
spids=""
for c in $(pgrep -P "$ptime"); do spids="$spids --server-pid $c"; done
# shellcheck disable=SC2086
"$DRIVER" "https://localhost:$p_port/dir" "$tmp/pebble.pem" "$h01_port" \
    --clients "$CLIENTS" --duration "$SECONDS_RUN" $spids >"$tmp/pebble.json.out"
stop "$ptime"
}

for ca in $CAS; do
    d0=$(dns_ticks)
    "run_$ca"
    echo $(($(dns_ticks) - d0)) >"$tmp/$ca.dns_ticks"
done
hz=$(getconf CLK_TCK)
echo "ACME complete orders, $CLIENTS clients, ${SECONDS_RUN}s each, $(nproc) cores (driver, server and DNS share them)"
printf '%-8s %7s %9s %8s %8s %7s %8s %10s %9s %10s %9s %12s %8s\n' CA orders \
    "orders/s" "p50 ms" "p99 ms" errors "polls/o" "driver cpu" "drv ms/o" \
    "server cpu" "srv ms/o" "peak RSS kB" "dns ms/o"
for ca in $CAS; do
    j="$tmp/$ca.json"
    [ "$ca" = pebble ] && j="$tmp/pebble.json.out"
    /usr/bin/python3 - "$j" "$ca" "$(rss_of "$tmp/$ca.time")" \
        "$(cat "$tmp/$ca.dns_ticks")" "$hz" <<'EOP'
import json, sys
r = json.load(open(sys.argv[1]))
def per_order(cores):
    return 1000 * cores / r["orders_per_s"] if r["orders"] else 0
# The DNS server's CPU covers the whole run (start-up and the driver's
# account set-up too), so per order it is an upper bound.
dns_ms = (1000 * int(sys.argv[4]) / int(sys.argv[5]) / r["orders"]
          if r["orders"] else 0)
print("%-8s %7d %9.1f %8.1f %8.1f %7d %8.2f %10.2f %9.2f %10.2f %9.2f %12s %8.3f" % (
    sys.argv[2], r["orders"], r["orders_per_s"], r["p50_ms"], r["p99_ms"],
    r["errors"], r["polls_per_order"], r["driver_cpu_cores"],
    per_order(r["driver_cpu_cores"]), r["server_cpu_cores"],
    per_order(r["server_cpu_cores"]), sys.argv[3], dns_ms))
for e in r["first_errors"]:
    print("   error:", e)
EOP
done
[ "$CAS" = "catena pebble" ] || exit 0
for ca in $CAS; do
    j="$tmp/$ca.json"
    [ "$ca" = pebble ] && j="$tmp/pebble.json.out"
    [ "$(field "$j" errors)" = 0 ] ||
        echo "NOTE: $ca had failed orders (see errors above); its rate is not its capacity"
done
c=$(field "$tmp/catena.json" orders_per_s)
p=$(field "$tmp/pebble.json.out" orders_per_s)
awk -v c="$c" -v p="$p" 'BEGIN { if (p > 0) printf "ratio catena/pebble: %.2f (target >= 5)\n", c / p; else print "ratio: pebble completed no orders" }'
echo "(cpu = cores busy over the measured window; catena's includes its signer"
echo " process; drv/srv ms/o = driver/server CPU per order, steadier than"
echo " orders/s on a machine shared with other work)"
