#!/bin/sh
# acme_client.sh CATENA - "catena serve" ACME driven by the test client in
# acme/acmeclient.py: a full http-01 issuance (chain verified with openssl
# and linted), the malformed-request corpus (each answered with its problem
# type and status, server still up), ARI (window, moved window, replaces,
# alreadyReplaced), RFC 8555 cases (authorization deactivation, revocation
# by the certificate's key, names refused at newOrder, CN-only CSR,
# keyChange, concurrent replacing orders, a valid authorization's expiry
# within the BR's validation reuse limit), challenge POSTs answered with their validation's
# outcome (challenge_wait, also when the server stops while one waits),
# and External Account Binding with keys from
# "catena acme eab add": verified when offered, then required (refusals,
# a bound account that orders, single use under a race).
CATENA=$1
[ -x /usr/bin/python3 ] || exit 77
tmp=$(mktemp -d)
trap 'acme_cleanup; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"
client="/usr/bin/python3 $(dirname "$0")/acme/acmeclient.py"

acme_dns_start
# Generous, so a loaded machine still validates within the wait.
acme_challenge_wait=5s
# Longer than the Baseline Requirements let a validation be relied on, so
# the conformance cases see a valid authorization's expiry cut to that.
acme_authz_lifetime=300d
acme_serve
$client "$directory" "$d/root.pem" "$http01_port" flow "$tmp/flow.pem" ||
    { tail -50 "$tmp/serve.log"; fail "http-01 flow"; }
acme_check_chain "$tmp/flow.pem"
$client "$directory" "$d/root.pem" "$http01_port" corpus ||
    { tail -50 "$tmp/serve.log"; fail "malformed corpus"; }
kill -0 "$serve_pid" || fail "server died during the corpus"
$client "$directory" "$d/root.pem" "$http01_port" ari "$db" ||
    { tail -50 "$tmp/serve.log"; fail "ARI"; }
$client "$directory" "$d/root.pem" "$http01_port" conformance "$db" ||
    { tail -50 "$tmp/serve.log"; fail "RFC 8555 conformance cases"; }

# Challenge answers that wait for their validation; the second run stops
# the server while a challenge POST is parked, then it starts again.
$client "$directory" "$d/root.pem" "$http01_port" chalwait ||
    { tail -50 "$tmp/serve.log"; fail "challenge wait"; }
$client "$directory" "$d/root.pem" "$http01_port" chalwait-stop "$serve_pid" ||
    { tail -50 "$tmp/serve.log"; fail "challenge wait at stop"; }
wait "$serve_pid"; st=$?
[ "$st" -eq 0 ] || { tail -20 "$tmp/serve.log"; fail "serve exit $st after stop"; }
acme_start

# External Account Binding: checked where offered, then required.
acme_eab_add
$client "$directory" "$d/root.pem" "$http01_port" eab-optional \
    "$eab_kid:$eab_hmac" || { tail -50 "$tmp/serve.log"; fail "EAB optional"; }
acme_eab_bound "$eab_kid"
acme_require_eab
acme_eab_client
[ "$(grep -c '/acct/' "$tmp/eab.list")" -eq 5 ] ||
    { cat "$tmp/eab.list"; fail "EAB list: want 5 bound keys"; }

# A CAA check may stand for at most 8 hours (TLS BR 3.2.2.8): a longer
# caa_reuse is a configuration error, and serve does not start.
kill "$serve_pid" && wait "$serve_pid" 2>/dev/null
sed -i 's/^\[acme\]$/[acme]\ncaa_reuse = 9h/' "$conf"
rc=0
timeout 30 "$CATENA" serve --config "$conf" >"$tmp/caa_reuse.log" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] ||
    { cat "$tmp/caa_reuse.log"; fail "serve started with caa_reuse = 9h (exit $rc)"; }
grep -q 'caa_reuse: 0..8h' "$tmp/caa_reuse.log" ||
    { cat "$tmp/caa_reuse.log"; fail "caa_reuse = 9h: unclear refusal"; }

echo "acme client: flow, corpus, ARI, challenge wait, EAB, caa_reuse cap passed"
