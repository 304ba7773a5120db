#!/bin/sh
# acme_eab_pg.sh CATENA URLFILE - External Account Binding with the store
# on PostgreSQL (the throw-away server of tests/scripts/pg.sh, in a
# database of its own): the python client's "eab" checks against a server
# requiring EAB. Here, unlike SQLite (one writer at a time), the eight
# newAccount requests racing for one kid really overlap, so the race shows
# whether a key binds once. Before that, the malformed-request corpus: its
# replays (a newOrder sent twice at once, whose nonce use commits with the
# order) overlap here too, and so do the conformance cases' replacing
# orders.
CATENA=$1
[ -x /usr/bin/python3 ] || exit 77
command -v psql >/dev/null || { echo "no psql"; exit 77; }
[ -s "$2" ] || { echo "no PostgreSQL URL in $2 (is cmocka missing?)"; exit 77; }
tmp=$(mktemp -d)
pgurl=$(cat "$2")
dbname="acme_eab_$$"
trap 'acme_cleanup; psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $dbname" \
    >/dev/null 2>&1; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"
client="/usr/bin/python3 $(dirname "$0")/acme/acmeclient.py"

psql -q "$pgurl" -c "CREATE DATABASE $dbname" || fail "createdb"
acme_store=$(echo "$pgurl" | sed "s|/catena?|/$dbname?|")
acme_dns_start
# As in acme_client.sh: the conformance cases check a valid
# authorization's expiry against a longer lifetime.
acme_authz_lifetime=300d
acme_serve
grep -q "^store = postgresql" "$conf" || fail "store is not PostgreSQL"
$client "$directory" "$d/root.pem" "$http01_port" corpus ||
    { tail -50 "$tmp/serve.log"; fail "malformed corpus"; }
# The RFC 8555 cases, among them eight orders replacing one certificate at
# once: on PostgreSQL they overlap, and only the row lock taken in the
# order's transaction lets exactly one through.
$client "$directory" "$d/root.pem" "$http01_port" conformance ||
    { tail -50 "$tmp/serve.log"; fail "RFC 8555 conformance cases"; }
acme_require_eab
acme_eab_client
echo "acme corpus and EAB on PostgreSQL: passed"
