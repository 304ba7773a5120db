#!/bin/sh
# bench_ocsp.sh CATENA - OCSP responses per second and p99 latency with
# wrk: "catena serve" next to "openssl ocsp -index ... -multi 2" on the
# same data (one issued certificate, a million-line-free index). Prints
# figures only; no assertion on speed.
set -eu
CATENA=$1
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
cpid= opid=
cleanup() {
    [ -z "$cpid" ] || kill "$cpid" 2>/dev/null || true
    # openssl ocsp -multi forks workers that outlive a TERM to their
    # parent; stop them first or "wait" never returns.
    if [ -n "$opid" ]; then
        pkill -TERM -P "$opid" 2>/dev/null || true
        kill "$opid" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cport=$(port)
oport=$(port)
d="$tmp/ca"
"$CATENA" init --dir "$d" --listen "127.0.0.1:$cport" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; exit 1; }
conf="$d/catena.conf"
printf '\n[caa]\n# The benchmark measures issuance without DNS.\ncheck = false\n' >>"$conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/leaf.key" -subj /CN=x -out "$tmp/leaf.csr" 2>/dev/null
"$CATENA" issue --config "$conf" --profile tls-server --csr "$tmp/leaf.csr" \
    --dns bench.example.com 2>/dev/null |
    awk '/BEGIN/ { n++ } n == 1' >"$tmp/leaf.pem"
serial=$(openssl x509 -in "$tmp/leaf.pem" -noout -serial | cut -d= -f2)
exp=$(openssl x509 -in "$tmp/leaf.pem" -noout -enddate | cut -d= -f2)
exp=$(date -u -d "$exp" +%y%m%d%H%M%SZ)
printf 'V\t%s\t\t%s\tunknown\t/CN=bench.example.com\n' "$exp" "$serial" \
    >"$tmp/index.txt"
openssl ocsp -issuer "$d/tls.pem" -cert "$tmp/leaf.pem" -no_nonce \
    -reqout "$tmp/req.der" >/dev/null 2>&1

"$CATENA" serve --config "$conf" >"$tmp/serve.log" 2>&1 &
cpid=$!
openssl ocsp -index "$tmp/index.txt" -port "$oport" -rsigner "$d/tls-ocsp.pem" \
    -rkey "$d/keys/tls-ocsp.key" -CA "$d/tls.pem" -multi 2 -nmin 5 \
    >"$tmp/openssl-ocsp.log" 2>&1 &
opid=$!
for u in "http://127.0.0.1:$cport/ocsp" "http://127.0.0.1:$oport/"; do
    i=0
    until openssl ocsp -issuer "$d/tls.pem" -cert "$tmp/leaf.pem" -url "$u" \
        -CAfile "$d/root.pem" -no_nonce 2>/dev/null | grep -q ": good"; do
        i=$((i + 1))
        [ $i -lt 100 ] || { cat "$tmp/serve.log" "$tmp/openssl-ocsp.log"; exit 1; }
        sleep 0.1
    done
done

run() { # run NAME URL: prints "NAME rps p99"
    OCSP_REQ="$tmp/req.der" wrk -t2 -c"$CONNS" -d"$DURATION" --latency \
        -s "$here/bench_ocsp.lua" "$2" >"$tmp/$1.wrk"
    rps=$(sed -n 's/^Requests\/sec: *//p' "$tmp/$1.wrk")
    p99=$(awk '$1 == "99%" { print $2 }' "$tmp/$1.wrk")
    errs=$(grep -c "Non-2xx\|Socket errors" "$tmp/$1.wrk" || true)
    echo "$1 $rps $p99 $errs"
}
set -- $(run catena "http://127.0.0.1:$cport/ocsp")
c_rps=$2 c_p99=$3
set -- $(run openssl "http://127.0.0.1:$oport/")
o_rps=$2 o_p99=$3
crss=$(awk '/VmHWM/ { print $2 }' "/proc/$cpid/status")
printf '%-34s %12s %10s %12s\n' "OCSP (wrk -c$CONNS -d$DURATION)" "resp/s" "p99" "peak RSS KB"
printf '%-34s %12s %10s %12s\n' "catena serve" "$c_rps" "$c_p99" "$crss"
printf '%-34s %12s %10s %12s\n' "openssl ocsp -multi 2" "$o_rps" "$o_p99" "-"
echo "ratio: $(echo "scale=1; $c_rps / $o_rps" | bc)x (target >= 4x)"
