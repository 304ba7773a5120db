#!/bin/sh
# acme_mpic.sh CATENA - Multi-Perspective Issuance Corroboration (TLS BR
# 3.2.2.9): "catena serve" with six remote perspectives, each a real
# "catena perspective" agent on loopback with a DNS server of its own
# (catena-testdns). Three see the true DNS; the other three see a
# "hijacked" view in which some names have a CAA record naming another CA
# or an address where no challenge answers, as an attacker on one network
# path would show them. Checks:
#   - the agent's own input handling (secret, malformed and oversized
#     requests, wrong method and path), answered as problem documents;
#   - issuance when 0 or 2 of 6 disagree (two may fail with six), by
#     http-01 and, for a wildcard, dns-01;
#   - refusal, with the perspectives' problem type (caa, connection) and
#     each disagreeing perspective named, when 3 of 6 disagree, at
#     validation (issue and issuewild) and at the CAA recheck of finalize;
#   - a perspective that is down counts against the quorum;
#   - serve refuses to start with fewer perspectives than the BRs require
#     today, with all in one RIR region, or without the secret.
CATENA=$1
[ -x /usr/bin/python3 ] || exit 77
tmp=$(mktemp -d)
agent_pids=""
trap 'for p in $agent_pids; do kill "$p" 2>/dev/null; done; acme_cleanup; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"
client="/usr/bin/python3 $(dirname "$0")/acme/acmeclient.py"
TESTDNS="$(dirname "$CATENA")/tests/integration/catena-testdns"
[ -x "$TESTDNS" ] || fail "no catena-testdns beside $CATENA"

# testdns_start NAME: a loopback DNS server on $tmp/NAME.zone; sets port_NAME.
testdns_start() {
    printf '* A 127.0.0.1\n' >"$tmp/$1.zone"
    "$TESTDNS" 127.0.0.1:0 "$tmp/$1.zone" >"$tmp/$1.port" 2>"$tmp/$1.log" &
    acme_pids="$acme_pids $!"
    i=0
    until grep -q '^port ' "$tmp/$1.port" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 100 ] || fail "DNS $1 did not start"
        sleep 0.05
    done
    eval "port_$1=$(sed -n 's/^port //p' "$tmp/$1.port")"
}
testdns_start truth
for v in x1 x2 x3; do testdns_start "$v"; done
dns_port=$port_truth
# The hijacked views: x1 and x2 disagree on "two*" and "three*"; all
# three on "three*" and on "dcv" (an address where nothing answers).
for v in x1 x2 x3; do
    {
        [ "$v" = x3 ] || printf '%s CAA 0 issue "other-ca.test"\n' \
            two.mpic.example.com two2.mpic.example.com
        printf '%s CAA 0 issue "other-ca.test"\n' three.mpic.example.com
        printf 'wild3.mpic.example.com CAA 0 issuewild "other-ca.test"\n'
        printf 'dcv.mpic.example.com A 127.0.0.2\n'
    } >>"$tmp/$v.zone"
done

openssl rand -hex 32 >"$tmp/secret"
chmod 600 "$tmp/secret"
# Six agents: name, RIR, DNS view.
agents="p1:RIPE:truth p2:ARIN:truth p3:APNIC:truth p4:RIPE:x1 p5:ARIN:x2 p6:LACNIC:x3"
sections=""
for a in $agents; do
    n=${a%%:*}; rest=${a#*:}; rir=${rest%%:*}
    p=$(free_port)
    eval "aport_$n=$p"
    sections="$sections
[acme_perspective \"$n\"]
url = https://localhost:$p
rir = $rir"
done
acme_extra_conf="perspective_ca = $tmp/ca/root.pem
perspective_secret_file = $tmp/secret
caa_reuse = 0s
$sections"
acme_challenge_wait=5s
acme_serve

# start_agent NAME VIEW: "catena perspective" with its own config.
start_agent() {
    eval "p=\$aport_$1; r=\$port_$2"
    cat >"$tmp/$1.conf" <<EOC
[perspective]
name = $1
listen = 127.0.0.1:$p
tls_cert = $d/acme-tls.pem
tls_key = $d/keys/acme-tls.key
secret_file = $tmp/secret
dns_resolver = 127.0.0.1:$r
http01_port = $http01_port
tlsalpn01_port = $http01_port
threads = 4
EOC
    "$CATENA" perspective --config "$tmp/$1.conf" >"$tmp/$1.out" 2>&1 &
    eval "agent_$1=$!"
    agent_pids="$agent_pids $!"
    i=0
    until [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/root.pem" \
        -X POST "https://localhost:$p/corroborate")" = 401 ]; do
        i=$((i + 1)); [ $i -lt 100 ] || { cat "$tmp/$1.out"; fail "agent $1 did not start"; }
        sleep 0.1
    done
}
for a in $agents; do
    n=${a%%:*}; v=${a##*:}
    start_agent "$n" "$v"
done

# The agent's own input: each answered with a problem document and the
# agent still up.
url="https://localhost:$aport_p1/corroborate"
secret=$(cat "$tmp/secret")
req='{"identifier":{"type":"dns","value":"ok.mpic.example.com"},"caa":{"identities":["catena.test"]}}'
# agent_case NAME STATUS TYPE CURL_ARGS...: the answer's status and type.
agent_case() {
    name=$1 want=$2 type=$3
    shift 3
    got=$(curl -s -o "$tmp/agent.body" -w '%{http_code}' --cacert "$d/root.pem" "$@")
    [ "$got" = "$want" ] || { cat "$tmp/agent.body"; fail "agent $name: HTTP $got, want $want"; }
    [ -z "$type" ] || grep -q "\"urn:ietf:params:acme:error:$type\"" "$tmp/agent.body" ||
        { cat "$tmp/agent.body"; fail "agent $name: no $type problem"; }
    echo "ok   agent $name: $got $type"
}
agent_case "no secret" 401 unauthorized -X POST -d "$req" "$url"
agent_case "wrong secret" 401 unauthorized -X POST -d "$req" \
    -H "Authorization: Bearer 0123456789abcdef0123456789abcdef0123" "$url"
agent_case "secret as Basic" 401 unauthorized -X POST -d "$req" \
    -H "Authorization: Basic $secret" "$url"
for bad in 'not json' '[1,2]' '{"identifier":{"type":"dns"}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"}}' \
    '{"identifier":{"type":"email","value":"a@example.com"},"caa":{"identities":["catena.test"]}}' \
    '{"identifier":{"type":"dns","value":"a b.example.com"},"caa":{"identities":["catena.test"]}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"},"caa":{"identities":[]}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"},"caa":{"identities":["catena.test"],"x":1}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"},"challenge":{"type":"http-02","token":"t","keyAuthorization":"t.x"}}' \
    '{"identifier":{"type":"ip","value":"127.0.0.1"},"caa":{"identities":["catena.test"]}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"},"wildcard":"yes","caa":{"identities":["catena.test"]}}' \
    '{"identifier":{"type":"dns","value":"a.example.com"},"caa":{"identities":["catena.test"]},"extra":true}' \
    '{"identifier":{"type":"dns","value":"a.example.com","value":"b.example.com"},"caa":{"identities":["catena.test"]}}'; do
    agent_case "malformed $bad" 400 malformed -X POST -d "$bad" \
        -H "Authorization: Bearer $secret" "$url"
done
head -c 20000 /dev/zero | tr '\0' 'a' >"$tmp/big"
agent_case "oversized body" 413 malformed -X POST --data-binary @"$tmp/big" \
    -H "Authorization: Bearer $secret" "$url"
agent_case "GET" 405 "" "$url"
agent_case "other path" 404 malformed -X POST -d "$req" \
    -H "Authorization: Bearer $secret" "https://localhost:$aport_p1/other"
agent_case "CAA check" 200 "" -X POST -d "$req" \
    -H "Authorization: Bearer $secret" "$url"
grep -q '"caa":{"status":"valid"}' "$tmp/agent.body" ||
    { cat "$tmp/agent.body"; fail "agent CAA check: not valid"; }
agent_case "CAA refused in a hijacked view" 200 "" -X POST \
    -d '{"identifier":{"type":"dns","value":"three.mpic.example.com"},"caa":{"identities":["catena.test"]}}' \
    -H "Authorization: Bearer $secret" "https://localhost:$aport_p4/corroborate"
grep -q '"status":"invalid","problem":{"type":"urn:ietf:params:acme:error:caa"' \
    "$tmp/agent.body" || { cat "$tmp/agent.body"; fail "hijacked view: CAA not refused"; }
kill -0 "$agent_p1" || fail "agent died on malformed input"

# Orders through the primary.
export MPIC_HIJACK_FILES="$tmp/x1.zone $tmp/x2.zone $tmp/x3.zone"
export MPIC_ZONE_FILES="$tmp/truth.zone $MPIC_HIJACK_FILES"
$client "$directory" "$d/root.pem" "$http01_port" mpic \
    ok.mpic.example.com=ok two.mpic.example.com=ok \
    three.mpic.example.com=caa dcv.mpic.example.com=connection \
    late.mpic.example.com=late-caa '*.wild.mpic.example.com=ok' \
    '*.wild3.mpic.example.com=caa' ||
    { tail -40 "$tmp/serve.log"; fail "MPIC orders"; }
grep -q "MPIC for two.mpic.example.com corroborated despite: p4: .*p5: " \
    "$tmp/serve.log" || { grep MPIC "$tmp/serve.log"; fail "two of six disagreeing not logged"; }
grep -q "perspective: dns three.mpic.example.com: challenge valid, caa invalid" \
    "$tmp/p6.out" || { cat "$tmp/p6.out"; fail "agent p6 did not log its check"; }

# One perspective down: it counts as not corroborating.
kill "$agent_p6"
wait "$agent_p6" 2>/dev/null
$client "$directory" "$d/root.pem" "$http01_port" mpic \
    ok2.mpic.example.com=ok two2.mpic.example.com=caa ||
    { tail -40 "$tmp/serve.log"; fail "MPIC with a perspective down"; }
grep -q "MPIC for dns two2.mpic.example.com: .*p6: " "$tmp/serve.log" ||
    { grep MPIC "$tmp/serve.log"; fail "the perspective that is down is not named"; }
kill -0 "$serve_pid" || fail "server died"

# Configurations the BRs refuse: serve must not start.
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null
# refused_conf WHAT MESSAGE: serve on $tmp/bad.conf fails, saying MESSAGE.
refused_conf() {
    rc=0
    timeout 30 "$CATENA" serve --config "$tmp/bad.conf" >"$tmp/bad.out" 2>&1 || rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || { cat "$tmp/bad.out"; fail "serve started with $1 (exit $rc)"; }
    grep -q "$2" "$tmp/bad.out" || { cat "$tmp/bad.out"; fail "$1: no reason given"; }
    echo "ok   refused: $1"
}
# Three perspectives: fewer than the four (five from 2026-12-15) required.
awk '/^\[acme_perspective "p4"\]/ { skip = 1 } /^\[/ && !/acme_perspective "p[456]"/ { skip = 0 } !skip' \
    "$conf" >"$tmp/bad.conf"
refused_conf "3 perspectives" "TLS BR 3.2.2.9 requires at least"
sed 's/^rir = .*/rir = RIPE/' "$conf" >"$tmp/bad.conf"
refused_conf "all in one RIR" "RIR service region"
sed 's/^rir = RIPE$/rir = IANA/' "$conf" >"$tmp/bad.conf"
refused_conf "an unknown RIR" "rir must be"
grep -v '^perspective_secret_file' "$conf" >"$tmp/bad.conf"
refused_conf "no secret" "perspective_secret_file"
echo "acme_mpic: all checks passed"
