#!/bin/sh
# core_mass_revoke.sh CATENA - mass revocation from a list of serials:
# the ARI "renew now" step, then revocation, with the count of certificates
# a newer one already replaced, the list of those not replaced, refusals of
# bad lines without stopping, idempotent reruns, the audit chain, and the
# result checked by openssl against the published CRL.
set -eu
CATENA=$1
for tool in openssl sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

d="$tmp/ca"
"$CATENA" init --dir "$d" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log"; fail init; }
conf="$d/catena.conf"
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$conf"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj "/CN=x" -out "$tmp/req.pem" 2>/dev/null

issue() { # issue NAME [--replaces SERIAL] -> prints the serial
    name=$1
    shift
    "$CATENA" issue --config "$conf" --profile tls-server --csr "$tmp/req.pem" \
        --dns "$name.example.com" "$@" >"$tmp/$name.pem" 2>"$tmp/$name.err" ||
        { cat "$tmp/$name.err"; fail "issue $name"; }
    openssl x509 -in "$tmp/$name.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}
a=$(issue a)
b=$(issue b)
c=$(issue c)
a2=$(issue a2 --replaces "$a")
if "$CATENA" issue --config "$conf" --profile tls-server --csr "$tmp/req.pem" \
    --dns x.example.com --replaces 01ff >/dev/null 2>&1; then
    fail "--replaces of an unknown serial accepted"
fi
[ "$(sqlite3 "$d/catena.db" "SELECT replaced_by FROM certificates WHERE serial = '$a'")" = "$a2" ] ||
    fail "replaced_by not recorded"

# The list: three real serials (one in upper case with colons), a comment,
# a blank line, an unknown serial and a malformed line.
colons=$(echo "$b" | tr 'a-f' 'A-F' | sed 's/../&:/g; s/:$//')
printf '# incident 42\n%s\n%s\n\n%s\n0102030405\nnot-a-serial\n' \
    "$a" "$colons" "$c" >"$tmp/list"

# Step 1: renew now. Exit 1 because two lines were refused.
set +e
"$CATENA" revoke --config "$conf" --serials-from "$tmp/list" --renew-now \
    --unreplaced "$tmp/unreplaced1" >"$tmp/renew.out" 2>"$tmp/renew.err"
st=$?
set -e
cat "$tmp/renew.out" "$tmp/renew.err"
[ $st = 1 ] || fail "renew-now exit $st, want 1 (refused lines)"
grep -q "listed 5: renew-now set 3, not in use 0, unknown 1, refused 1; replaced by a newer certificate 1, not replaced 2" "$tmp/renew.out" ||
    fail "renew-now summary"
[ "$(sort "$tmp/unreplaced1" | tr '\n' ' ')" = "$(printf '%s\n%s\n' "$b" "$c" | sort | tr '\n' ' ')" ] ||
    fail "unreplaced list: $(cat "$tmp/unreplaced1")"
now=$(date +%s)
for s in "$a" "$b" "$c"; do
    end=$(sqlite3 "$d/catena.db" "SELECT ari_end FROM certificates WHERE serial = '$s'")
    [ "$end" -lt "$now" ] || fail "ARI window of $s not in the past ($end)"
done

# Step 2: revoke. The same list; then again (idempotent).
set +e
"$CATENA" revoke --config "$conf" --serials-from - --reason superseded \
    --unreplaced "$tmp/unreplaced2" <"$tmp/list" >"$tmp/rev.out" 2>"$tmp/rev.err"
st=$?
set -e
cat "$tmp/rev.out" "$tmp/rev.err"
[ $st = 1 ] || fail "revoke exit $st"
grep -q "listed 5: revoked 3, already revoked 0, unknown 1, refused 1; replaced by a newer certificate 1, not replaced 2" "$tmp/rev.out" ||
    fail "revoke summary"
grep -q "line 6: no certificate with serial 0102030405" "$tmp/rev.err" || fail "unknown serial not named"
grep -q "line 7: a serial is hex digits (colons allowed), not 'not-a-serial'" "$tmp/rev.err" ||
    fail "malformed line not named"
"$CATENA" revoke --config "$conf" --serials-from "$tmp/list" \
    --reason superseded >"$tmp/rev2.out" 2>/dev/null || true
grep -q "revoked 0, already revoked 3" "$tmp/rev2.out" || fail "rerun not idempotent: $(cat "$tmp/rev2.out")"
# A reason the profile forbids is refused per line, nothing revoked.
printf '%s\n' "$a2" >"$tmp/one"
if "$CATENA" revoke --config "$conf" --serials-from "$tmp/one" \
    --reason certificateHold >"$tmp/hold.out" 2>&1; then
    fail "certificateHold accepted for tls-server"
fi
grep -q "refused 1" "$tmp/hold.out" || fail "refusal not counted: $(cat "$tmp/hold.out")"
# A line too long to be a serial is refused, not truncated into one.
head -c 300 /dev/zero | tr '\0' 'a' >"$tmp/long"
echo >>"$tmp/long"
if "$CATENA" revoke --config "$conf" --serials-from "$tmp/long" \
    --reason superseded >"$tmp/long.out" 2>&1; then
    fail "an over-long line accepted"
fi
grep -q "line 1: too long for a serial" "$tmp/long.out" && grep -q "listed 1: revoked 0" "$tmp/long.out" ||
    fail "over-long line: $(cat "$tmp/long.out")"
# Usage errors: a list with --serial, --renew-now with a reason.
if "$CATENA" revoke --config "$conf" --serials-from "$tmp/list" --serial "$a" \
    --reason superseded >/dev/null 2>&1; then fail "both --serial and a list"; fi
if "$CATENA" revoke --config "$conf" --serials-from "$tmp/list" --renew-now \
    --reason superseded >/dev/null 2>&1; then fail "--renew-now with a reason"; fi

# Every revocation is audited once, and the chain holds.
n=$(sqlite3 "$d/catena.db" "SELECT count(*) FROM audit_log WHERE kind = 'revoke'")
[ "$n" = 3 ] || fail "audit revoke records: $n, want 3"
"$CATENA" status --config "$conf" >/dev/null || fail "audit chain broken"

# The CRL says so: openssl finds b revoked (superseded) and a2 good.
"$CATENA" crl publish --config "$conf" >/dev/null 2>&1 || fail "crl publish"
"$CATENA" crl export --config "$conf" --dir "$tmp/crl" >/dev/null 2>&1 ||
    fail "crl export"
: >"$tmp/all.crl.pem"
for f in "$tmp"/crl/tls-*.crl; do
    openssl crl -inform DER -in "$f" >>"$tmp/all.crl.pem" || fail "crl $f"
done
[ -s "$tmp/all.crl.pem" ] || fail "no TLS CRL shard exported: $(ls "$tmp/crl")"
leaf() { awk '/BEGIN/{n++} n==1' "$1" >"$1.leaf"; awk '/BEGIN/{n++} n>1' "$1" >"$1.rest"; }
leaf "$tmp/b.pem"
leaf "$tmp/a2.pem"
# -crl_check needs the CRL of the leaf's own shard: give openssl them all.
out=$(openssl verify -crl_check -CAfile "$d/root.pem" -untrusted "$tmp/b.pem.rest" \
    -CRLfile "$tmp/all.crl.pem" "$tmp/b.pem.leaf" 2>&1 || true)
echo "$out" | grep -q "certificate revoked" || fail "b not revoked per openssl: $out"
openssl verify -crl_check -CAfile "$d/root.pem" -untrusted "$tmp/a2.pem.rest" \
    -CRLfile "$tmp/all.crl.pem" "$tmp/a2.pem.leaf" || fail "a2 not good per openssl"
echo "mass revocation: renew-now, revoke, rerun, audit, CRL verified"
