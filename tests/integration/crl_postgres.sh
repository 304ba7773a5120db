#!/bin/sh
# crl_postgres.sh - CRL publication on PostgreSQL: crl/'s migrations (the
# partial indexes over revoked certificates), the publish pipeline storing
# through a second connection while the first reads under the advisory
# lock, shards verified by openssl with the revoked leaves listed, and
# CRL numbers increasing from one publication to the next.
# usage: crl_postgres.sh CATENA
set -eu
CATENA=$1
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 ||
    { echo "no PostgreSQL server binaries"; exit 77; }
for tool in openssl python3 psql; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
pg="$(dirname "$0")/../scripts/pg.sh"
trap 'sh "$pg" stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/crl_common.sh"

url=$(sh "$pg" start "$tmp/pg") || fail "PostgreSQL did not start"
d="$tmp/ca"
"$CATENA" init --dir "$d" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; fail "catena init"; }
conf="$d/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"
sed -i "s|^store = .*|store = $(echo "$url" | sed 's/&/\\&/g')|" "$conf"
i=0
while [ $i -lt 6 ]; do
    issue_leaf "$d" "leaf$i" >"$d/leaf$i.serial"
    i=$((i + 1))
done
for i in 0 1 2; do
    "$CATENA" revoke --config "$conf" --serial "$(cat "$d/leaf$i.serial")" \
        --reason keyCompromise >/dev/null || fail "revoke leaf$i"
done
num() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2; }
for round in 1 2; do
    "$CATENA" crl publish --config "$conf" >"$tmp/publish$round.log" 2>&1 ||
        { cat "$tmp/publish$round.log"; fail "crl publish $round"; }
    "$CATENA" crl export --config "$conf" --dir "$tmp/crls$round" ||
        fail "crl export $round"
    for i in 0 1 2 3 4 5; do
        leaf="$d/leaf$i.pem"
        crl="$tmp/crls$round/tls-$(shard_of "$leaf").crl"
        openssl crl -inform DER -in "$crl" -CAfile "$d/tls.pem" -noout 2>&1 |
            grep -q "verify OK" || fail "signature of $crl"
        openssl crl -inform DER -in "$crl" -out "$crl.pem"
        out=$(openssl verify -crl_check -CRLfile "$crl.pem" \
            -CAfile "$d/root.pem" -untrusted "$d/tls.pem" "$leaf" 2>&1 || true)
        if [ $i -lt 3 ]; then
            echo "$out" | grep -q "certificate revoked" ||
                fail "round $round: leaf$i should be revoked: $out"
        else
            echo "$out" | grep -q ": OK" ||
                fail "round $round: leaf$i should verify: $out"
        fi
    done
done
# crl/'s migrations ran with the first publication.
psql "$url" -Atc \
    "SELECT indexdef FROM pg_indexes WHERE indexname = 'crl_revoked_entries'" \
    >"$tmp/index" 2>&1 || fail "psql"
grep -q "WHERE (status = 2)" "$tmp/index" ||
    fail "no partial index over revoked certificates: $(cat "$tmp/index")"
before=$(num "$tmp/crls1/tls-0.crl")
after=$(num "$tmp/crls2/tls-0.crl")
python3 -c "import sys; sys.exit(0 if int('$after',16) > int('$before',16) else 1)" ||
    fail "CRL number did not increase: $before -> $after"
echo "crl_postgres: OK"
