#!/bin/sh
# crl_publish.sh - CRL shards end to end: init, issue, revoke with several
# reasons, "catena crl publish", then every shard is verified by openssl,
# revoked leaves are reported revoked (with the reason) and good leaves
# OK, IDP == CRLDP byte for byte, "catena lint" passes on every shard,
# CRL numbers increase, and "catena crl urls" lists every shard.
# usage: crl_publish.sh CATENA
set -eu
CATENA=$1
for tool in openssl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/crl_common.sh"

d="$tmp/ca"
"$CATENA" init --dir "$d" --trust-domain example.org \
    --listen "127.0.0.1:$(free_port)" >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; fail "catena init"; }
conf="$d/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"

# Twelve leaves: five revoked with different reasons, the rest good.
i=0
while [ $i -lt 12 ]; do
    issue_leaf "$d" "leaf$i" >"$d/leaf$i.serial"
    i=$((i + 1))
done
revoke() { # revoke N REASON
    "$CATENA" revoke --config "$conf" --serial "$(cat "$d/leaf$1.serial")" \
        --reason "$2" >/dev/null || fail "revoke leaf$1 $2"
}
revoke 0 keyCompromise
revoke 1 superseded
revoke 2 unspecified
revoke 3 cessationOfOperation
revoke 4 affiliationChanged

"$CATENA" crl publish --config "$conf" >"$tmp/publish1.log" ||
    fail "crl publish"
cat "$tmp/publish1.log"
"$CATENA" crl export --config "$conf" --dir "$tmp/crls" || fail "crl export"
n=$(ls "$tmp/crls" | wc -l)
[ "$n" -eq 13 ] || fail "expected 13 shards (root 1 + 3 x 4), got $n"

for f in "$tmp"/crls/*.crl; do
    issuer=$(basename "$f" | sed 's/-[0-9]*\.crl$//')
    openssl crl -inform DER -in "$f" -CAfile "$d/$issuer.pem" -noout \
        2>&1 | grep -q "verify OK" || fail "signature of $f"
    # DER only, no trailing data: re-encoding gives the same bytes.
    openssl crl -inform DER -in "$f" -outform DER -out "$f.re"
    cmp -s "$f" "$f.re" || fail "$f is not canonical DER"
    "$CATENA" lint "$f" --issuer "$d/$issuer.pem" >"$f.lint" 2>&1 ||
        { cat "$f.lint"; fail "catena lint $f"; }
    openssl crl -inform DER -in "$f" -out "$f.pem"
done

reason_of() { # reason_of CRL.der SERIAL: the reason text of an entry
    openssl crl -inform DER -in "$1" -noout -text |
        awk -v s="Serial Number: $2" '
            index($0, s) { found = 1; next }
            found && /Serial Number/ { exit }
            found && /Reason Code/ { getline; gsub(/^ +/, ""); print; exit }'
}

check_leaf() { # check_leaf N revoked|good [REASON]
    leaf="$d/leaf$1.pem"
    shard=$(shard_of "$leaf")
    crl="$tmp/crls/tls-$shard.crl"
    [ -n "$shard" ] || fail "leaf$1 has no shard CRLDP"
    [ "$(cdp_uri "$leaf")" = "$(idp_uri "$crl")" ] ||
        fail "leaf$1: CRLDP $(cdp_uri "$leaf") != IDP $(idp_uri "$crl")"
    out=$(openssl verify -crl_check -CRLfile "$crl.pem" -CAfile "$d/root.pem" \
        -untrusted "$d/tls.pem" "$leaf" 2>&1 || true)
    case $2 in
    good)
        echo "$out" | grep -q ": OK" || fail "leaf$1 should verify: $out" ;;
    revoked)
        echo "$out" | grep -q "certificate revoked" ||
            fail "leaf$1 should be revoked: $out"
        got=$(reason_of "$crl" "$(cat "$d/leaf$1.serial")")
        [ "$got" = "$3" ] || fail "leaf$1 reason '$got', want '$3'" ;;
    esac
    echo "leaf$1 (shard $shard): $2 ${3:-}"
}
check_leaf 0 revoked "Key Compromise"
check_leaf 1 revoked "Superseded"
check_leaf 2 revoked ""
check_leaf 3 revoked "Cessation Of Operation"
check_leaf 4 revoked "Affiliation Changed"
i=5
while [ $i -lt 12 ]; do
    check_leaf $i good
    i=$((i + 1))
done

# The CRL number grows with every publication.
num() { openssl crl -inform DER -in "$1" -noout -crlnumber | cut -d= -f2; }
before=$(num "$tmp/crls/tls-0.crl")
"$CATENA" crl publish --config "$conf" >/dev/null || fail "second publish"
"$CATENA" crl export --config "$conf" --dir "$tmp/crls2" || fail "export 2"
after=$(num "$tmp/crls2/tls-0.crl")
python3 -c "import sys; sys.exit(0 if int('$after',16) > int('$before',16) else 1)" ||
    fail "CRL number did not increase: $before -> $after"

# CCADB JSON array of every shard URL.
"$CATENA" crl urls --config "$conf" >"$tmp/urls.json" || fail "crl urls"
python3 - "$tmp/urls.json" <<'PY' || fail "crl urls output"
import json, sys
urls = json.load(open(sys.argv[1]))
assert isinstance(urls, list) and len(urls) == 13, urls
assert all(u.startswith("http://") and u.endswith(".crl") for u in urls)
assert len(set(urls)) == 13
PY
"$CATENA" crl show --config "$conf" >"$tmp/show.txt" || fail "crl show"
[ "$(grep -c '^tls ' "$tmp/show.txt")" -eq 4 ] || {
    cat "$tmp/show.txt"; fail "crl show lists 4 tls shards"; }
echo "crl_publish: OK"
