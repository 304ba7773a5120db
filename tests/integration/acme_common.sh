# acme_common.sh - shared set-up for the acme_*.sh integration tests
# (sourced, not run): a fresh CA with an ACME TLS certificate for
# "localhost", a loopback DNS server answering A queries with 127.0.0.1
# (pebble-challtestsrv, whose management API also sets TXT records for
# dns-01), and "catena serve" with ACME on HTTPS. Expects CATENA and tmp.

fail() { echo "FAIL: $*"; exit 1; }

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

acme_pids=""
acme_cleanup() {
    for p in $acme_pids; do kill "$p" 2>/dev/null; done
    for p in $acme_pids; do wait "$p" 2>/dev/null; done
}

# acme_dns_start: starts the loopback DNS server; sets dns_port, mgmt_port.
acme_dns_start() {
    command -v pebble-challtestsrv >/dev/null || { echo "no pebble-challtestsrv"; exit 77; }
    dns_port=$(free_port)
    mgmt_port=$(free_port)
    pebble-challtestsrv -dns01 "127.0.0.1:$dns_port" -http01 "" \
        -https01 "" -tlsalpn01 "" -management "127.0.0.1:$mgmt_port" \
        -defaultIPv4 127.0.0.1 -defaultIPv6 "" >"$tmp/dns.log" 2>&1 &
    acme_pids="$acme_pids $!"
    i=0
    until curl -s -o /dev/null "http://127.0.0.1:$mgmt_port/"; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "DNS server did not start"
        sleep 0.1
    done
}

# acme_set_txt NAME VALUE / acme_clear_txt NAME: dns-01 records.
acme_set_txt() {
    curl -sf -d "{\"host\":\"$1.\",\"value\":\"$2\"}" \
        "http://127.0.0.1:$mgmt_port/set-txt" >/dev/null
}
acme_clear_txt() {
    curl -sf -d "{\"host\":\"$1.\"}" \
        "http://127.0.0.1:$mgmt_port/clear-txt" >/dev/null
}

# acme_serve: init + [acme] + serve. Sets d, conf, acme_port, http01_port,
# directory, db. With acme_store set, the store is that URL instead of the
# SQLite file init made.
acme_serve() {
    d="$tmp/ca"
    http_port=$(free_port)
    acme_port=$(free_port)
    http01_port=$(free_port)
    "$CATENA" init --dir "$d" --hostname localhost \
        --listen "127.0.0.1:$http_port" >"$tmp/init.log" 2>&1 ||
        { cat "$tmp/init.log"; fail "catena init"; }
    conf="$d/catena.conf"
    db="$d/catena.db"
    if [ -n "${acme_store:-}" ]; then
        # Python, not sed: a PostgreSQL URL holds "&" and "|".
        /usr/bin/python3 -c 'import re, sys
p = sys.argv[1]
s = re.sub(r"(?m)^store = .*$", lambda m: "store = " + sys.argv[2],
           open(p).read())
open(p, "w").write(s)' "$conf" "$acme_store" || fail "setting the store"
    fi
    cat >>"$conf" <<EOC

[acme]
enabled = true
listen = 127.0.0.1:$acme_port
tls_cert = $d/acme-tls.pem
tls_key = $d/keys/acme-tls.key
base_url = https://localhost:$acme_port
terms_of_service = https://localhost:$acme_port/terms
website = https://catena.example
caa_identities = catena.test
dns_resolver = 127.0.0.1:$dns_port
http01_port = $http01_port
tlsalpn01_port = $http01_port
workers = 4
authz_reuse = 0s
EOC
    if [ -n "${acme_challenge_wait:-}" ]; then
        echo "challenge_wait = $acme_challenge_wait" >>"$conf"
    fi
    if [ -n "${acme_authz_lifetime:-}" ]; then
        echo "authz_lifetime = $acme_authz_lifetime" >>"$conf"
    fi
    # More [acme] keys, then sections of their own (e.g. the remote
    # perspectives of acme_mpic.sh).
    if [ -n "${acme_extra_conf:-}" ]; then
        printf '%s\n' "$acme_extra_conf" >>"$conf"
    fi
    directory="https://localhost:$acme_port/directory"
    acme_start
}

# acme_start: starts "catena serve" on $conf; sets serve_pid once the
# directory answers.
acme_start() {
    "$CATENA" serve --config "$conf" >>"$tmp/serve.log" 2>&1 &
    serve_pid=$!
    acme_pids="$acme_pids $serve_pid"
    i=0
    until curl -sf --cacert "$d/root.pem" "$directory" >/dev/null; do
        i=$((i + 1))
        [ $i -lt 150 ] || { cat "$tmp/serve.log"; fail "ACME did not start"; }
        kill -0 "$serve_pid" 2>/dev/null ||
            { cat "$tmp/serve.log"; fail "serve died"; }
        sleep 0.1
    done
}

# acme_require_eab: restarts the server on the same store with
# external_account_required = true (RFC 8555 7.3.4).
acme_require_eab() {
    kill "$serve_pid" && wait "$serve_pid" 2>/dev/null
    sed -i 's/^\[acme\]$/[acme]\nexternal_account_required = true/' "$conf"
    acme_start
    curl -sf --cacert "$d/root.pem" "$directory" |
        grep -q '"externalAccountRequired": true' ||
        fail "directory does not say externalAccountRequired"
}

# acme_eab_add [KID]: "catena acme eab add"; sets eab_kid and eab_hmac.
acme_eab_add() {
    "$CATENA" acme eab add --config "$conf" ${1:+--kid "$1"} \
        >"$tmp/eab.out" 2>&1 || { cat "$tmp/eab.out"; fail "eab add"; }
    eab_kid=$(sed -n 's/^kid: //p' "$tmp/eab.out")
    eab_hmac=$(sed -n 's/^hmac_key: //p' "$tmp/eab.out")
    [ -n "$eab_kid" ] && [ -n "$eab_hmac" ] || fail "eab add printed no key"
}

# acme_eab_bound KID: the key list shows KID bound to an account.
acme_eab_bound() {
    "$CATENA" acme eab list --config "$conf" >"$tmp/eab.list" 2>&1 ||
        { cat "$tmp/eab.list"; fail "eab list"; }
    grep -q "^$1 .*https://localhost:$acme_port/acct/[0-9]*\$" \
        "$tmp/eab.list" || { cat "$tmp/eab.list"; fail "kid $1 not bound"; }
}

# acme_eab_client: against a server requiring EAB, four keys (one with an
# operator-chosen kid) for the test client's "eab" checks (uses $client);
# afterwards the server is up and each key is bound.
acme_eab_client() {
    pairs=""
    for k in "" ops.team-2 "" ""; do
        acme_eab_add $k
        pairs="$pairs $eab_kid:$eab_hmac"
    done
    # shellcheck disable=SC2086 # one argument per key
    $client "$directory" "$d/root.pem" "$http01_port" eab $pairs ||
        { tail -50 "$tmp/serve.log"; fail "EAB required"; }
    kill -0 "$serve_pid" || fail "server died during the EAB tests"
    for p in $pairs; do
        acme_eab_bound "${p%%:*}"
    done
    # "eab remove": a bound key stays; an unused one goes from the list.
    "$CATENA" acme eab remove --config "$conf" --kid ops.team-2 \
        >"$tmp/eab.rm" 2>&1 && fail "eab remove took a bound key"
    grep -q "bound to account" "$tmp/eab.rm" || { cat "$tmp/eab.rm";
        fail "eab remove of a bound key: no reason given"; }
    acme_eab_add unused.key
    "$CATENA" acme eab remove --config "$conf" --kid unused.key \
        >"$tmp/eab.rm" 2>&1 || { cat "$tmp/eab.rm"; fail "eab remove"; }
    "$CATENA" acme eab list --config "$conf" >"$tmp/eab.list" 2>&1 ||
        fail "eab list"
    grep -q "^unused.key " "$tmp/eab.list" && fail "removed key still listed"
    acme_eab_bound ops.team-2
}

# acme_check_chain CHAIN.pem: verifies against root.pem and lints the leaf.
acme_check_chain() {
    awk '/BEGIN CERT/ { n++ } n == 1 { print }' "$1" >"$1.leaf"
    awk '/BEGIN CERT/ { n++ } n >= 2 { print }' "$1" >"$1.inter"
    openssl verify -CAfile "$d/root.pem" -untrusted "$1.inter" "$1.leaf" ||
        fail "openssl verify $1"
    "$CATENA" lint "$1.leaf" >"$1.lint" 2>&1 ||
        { cat "$1.lint"; fail "catena lint $1"; }
}

# acme_cert_status SERIAL STATUS: succeeds when the store ($db) holds the
# certificate with hex SERIAL (as openssl prints it; a leading 00 may be
# stored) in STATUS (1 issued, 2 revoked).
acme_cert_status() {
    /usr/bin/python3 - "$db" "$(echo "$1" | tr 'A-F' 'a-f')" "$2" <<'EOP'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(
    "SELECT status FROM certificates WHERE serial = ? OR serial = ?",
    (sys.argv[2], "00" + sys.argv[2])).fetchone()
sys.exit(0 if r and r[0] == int(sys.argv[3]) else 1)
EOP
}
