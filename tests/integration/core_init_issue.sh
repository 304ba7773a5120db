#!/bin/sh
# core_init_issue.sh - catena init for every key type, issuance verified by
# openssl, the revocation rules, blocked keys and the audit chain.
# usage: core_init_issue.sh CATENA
set -eu
CATENA=$1
for tool in openssl sqlite3; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/dns.sh"
trap 'dns_stop || true; rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*"; exit 1; }

# CAA at issuance (TLS BR 3.2.2.8, S/MIME BR 3.2.2.3) asks this loopback
# DNS server; names without CAA records permit any CA.
dns_start || fail "DNS server"
caa_conf() { # caa_conf CONF: our CAA identity and the loopback resolver
    printf '\n[caa]\nidentities = catena.example.net\nresolver = %s\n' \
        "$DNS_RESOLVER" >>"$1"
}

# split CHAIN LEAF REST: first certificate into LEAF, the others into REST.
split() {
    awk -v leaf="$2" -v rest="$3" '
        /-----BEGIN CERTIFICATE-----/ { n++ }
        { if (n == 1) print > leaf; else print > rest }' "$1"
    [ -s "$3" ] || : >"$3"
}

newcsr() { # newcsr KEYSPEC OUT.csr OUT.key
    case $1 in
    rsa*) openssl req -new -newkey "rsa:${1#rsa}" -nodes -keyout "$3" \
              -subj "/CN=ignored" -out "$2" 2>/dev/null ;;
    ed25519) openssl req -new -newkey ed25519 -nodes -keyout "$3" \
                 -subj "/CN=ignored" -out "$2" 2>/dev/null ;;
    *) openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:$1" -nodes \
           -keyout "$3" -subj "/CN=ignored" -out "$2" 2>/dev/null ;;
    esac
}

verify() { # verify DIR CHAIN.pem
    split "$2" "$2.leaf" "$2.rest"
    # Only what catena issue printed: the chain must be complete.
    openssl verify -CAfile "$1/root.pem" -untrusted "$2.rest" \
        "$2.leaf" || fail "openssl verify $2"
}

for kt in p256 p384 rsa2048 rsa3072 rsa4096 ed25519; do
    d="$tmp/$kt"
    "$CATENA" init --dir "$d" --key-type "$kt" --name "Catena $kt" \
        --trust-domain example.org >"$d.log" 2>&1 || {
        cat "$d.log"; fail "init $kt"; }
    [ "$(stat -c %a "$d/keys")" = 700 ] || fail "keys dir mode"
    [ "$(stat -c %a "$d/keys/root.key")" = 600 ] || fail "key mode"
    for ca in tls smime spiffe; do
        openssl verify -CAfile "$d/root.pem" "$d/$ca.pem" >/dev/null ||
            fail "$kt: $ca CA does not chain to the root"
        openssl verify -CAfile "$d/root.pem" -untrusted "$d/$ca.pem" \
            "$d/$ca-ocsp.pem" >/dev/null || fail "$kt: $ca OCSP signer"
    done
    conf="$d/catena.conf"
    caa_conf "$conf"
    newcsr P-256 "$d/leaf.csr" "$d/leaf.key"
    "$CATENA" issue --config "$conf" --profile tls-server --csr "$d/leaf.csr" \
        --dns www.example.com --dns Example.COM. >"$d/tls.chain" ||
        fail "$kt: issue tls-server"
    verify "$d" "$d/tls.chain"
    openssl x509 -in "$d/tls.chain.leaf" -noout -ext subjectAltName |
        grep -q 'DNS:example.com' || fail "$kt: name not canonicalised"
    "$CATENA" issue --config "$conf" --profile smime-mailbox \
        --csr "$d/leaf.csr" --email alice@Example.com >"$d/smime.chain" ||
        fail "$kt: issue smime-mailbox"
    verify "$d" "$d/smime.chain"
    "$CATENA" issue --config "$conf" --profile x509-svid --csr "$d/leaf.csr" \
        --uri spiffe://example.org/workload/a >"$d/svid.chain" ||
        fail "$kt: issue x509-svid"
    verify "$d" "$d/svid.chain"
    # The store's SPKI hash (key blocklist, CA-key check) is the hash of
    # the certificate's own SubjectPublicKeyInfo bytes.
    for c in tls smime svid; do
        s=$(openssl x509 -in "$d/$c.chain.leaf" -noout -serial | cut -d= -f2 |
            tr 'A-F' 'a-f')
        want=$(openssl x509 -in "$d/$c.chain.leaf" -noout -pubkey |
            openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1)
        got=$(sqlite3 "$d/catena.db" \
            "SELECT lower(hex(spki_sha256)) FROM certificates WHERE serial = '$s'")
        [ "$want" = "$got" ] || fail "$kt $c: stored SPKI hash $got != $want"
    done
    echo "$kt: init, tls-server, smime-mailbox, x509-svid verified"
done

# CAA at issuance: a record naming another CA refuses (issue for TLS,
# issuemail for S/MIME), one naming us permits, a SERVFAIL refuses, and
# without [caa] identities nothing publicly trusted is issued.
d="$tmp/p256"
conf="$d/catena.conf"
refused() { # refused WHAT PATTERN ARGS...: catena issue must fail so
    what=$1
    pat=$2
    shift 2
    if "$CATENA" issue --config "$@" --csr "$d/leaf.csr" >/dev/null \
        2>"$d/caa.err"; then
        fail "CAA: $what was issued"
    fi
    grep -q "$pat" "$d/caa.err" || { cat "$d/caa.err"; fail "CAA: $what: unclear refusal"; }
    echo "CAA refused as expected: $what: $(cat "$d/caa.err")"
}
dns_add_caa other.example.org 0 issue "otherca.example"
refused "tls-server under another CA's issue record" "CAA" "$conf" \
    --profile tls-server --dns www.other.example.org
dns_add_caa wild.example.org 0 issue "catena.example.net"
dns_add_caa wild.example.org 0 issuewild ";"
"$CATENA" issue --config "$conf" --profile tls-server --csr "$d/leaf.csr" \
    --dns wild.example.org >/dev/null || fail "CAA: issue record naming us"
refused "a wildcard under issuewild \";\"" "CAA" "$conf" \
    --profile tls-server --dns '*.wild.example.org'
dns_add_caa mail.example.net 0 issuemail "otherca.example"
dns_add_caa mail.example.net 0 issue "catena.example.net"
refused "smime-mailbox under another CA's issuemail" "CAA" "$conf" \
    --profile smime-mailbox --email bob@mail.example.net
dns_add_caa ok.example.net 0 issuemail "catena.example.net"
"$CATENA" issue --config "$conf" --profile smime-mailbox --csr "$d/leaf.csr" \
    --email carol@ok.example.net >/dev/null || fail "CAA: issuemail naming us"
dns_set_servfail broken.example.org CAA
refused "tls-server when the CAA lookup SERVFAILs" "DNS\|dns\|SERVFAIL" \
    "$conf" --profile tls-server --dns www.broken.example.org
grep -v '^identities' "$conf" >"$d/noid.conf"
refused "tls-server without [caa] identities" "identities" "$d/noid.conf" \
    --profile tls-server --dns www.example.com
"$CATENA" issue --config "$d/noid.conf" --profile x509-svid \
    --csr "$d/leaf.csr" --uri spiffe://example.org/no-caa >/dev/null ||
    fail "CAA: an SVID needs no CAA"
# Each refusal is in the audit log (the three CAA decisions, the DNS
# failure).
n=$(sqlite3 "$d/catena.db" "SELECT count(*) FROM audit_log WHERE kind = 'refuse' AND (detail LIKE '%CAA at%' OR detail LIKE '%broken.example.org%')")
[ "$n" -ge 4 ] || fail "CAA refusals audited: $n, want 4"

# Debian weak keys: with [lint] debian_weak_keys the signer's lint refuses
# a key on the list (rule B7) and still signs others.
newcsr rsa2048 "$d/weak.csr" "$d/weak.key"
newcsr rsa2048 "$d/fine.csr" "$d/fine.key"
mkdir -p "$d/weak-keys"
openssl req -in "$d/weak.csr" -noout -modulus | sha1sum | cut -c21-40 \
    >"$d/weak-keys/blacklist.RSA-2048"
cp "$conf" "$d/weak.conf"
printf '\n[lint]\ndebian_weak_keys = %s\n' "$d/weak-keys" >>"$d/weak.conf"
if "$CATENA" issue --config "$d/weak.conf" --profile tls-server \
    --csr "$d/weak.csr" --dns weak.example.com >/dev/null 2>"$d/weak.err"; then
    fail "a Debian weak key was certified"
fi
grep -q e_key_debian_weak "$d/weak.err" || { cat "$d/weak.err"; fail "weak key: unclear refusal"; }
"$CATENA" issue --config "$d/weak.conf" --profile tls-server \
    --csr "$d/fine.csr" --dns fine.example.com >/dev/null ||
    fail "an RSA key not on the weak-key list was refused"

# Profile policy: the TLS profile takes no Ed25519 key, no mail address.
newcsr ed25519 "$d/ed.csr" "$d/ed.key"
if "$CATENA" issue --config "$conf" --profile tls-server --csr "$d/ed.csr" \
    --dns www.example.com >/dev/null 2>"$d/err"; then
    fail "Ed25519 accepted for tls-server"
fi
grep -q 'not accepted' "$d/err" || fail "unclear key type refusal"
newcsr rsa1024 "$d/weak.csr" "$d/weak.key" || true
if [ -s "$d/weak.csr" ] && "$CATENA" issue --config "$conf" \
    --profile tls-server --csr "$d/weak.csr" --dns www.example.com \
    >/dev/null 2>&1; then
    fail "RSA-1024 accepted"
fi

# Validity: inclusive, the profile default, and [profile] narrowing.
nb=$(openssl x509 -in "$d/tls.chain.leaf" -noout -startdate | cut -d= -f2)
na=$(openssl x509 -in "$d/tls.chain.leaf" -noout -enddate | cut -d= -f2)
len=$(( $(date -u -d "$na" +%s) - $(date -u -d "$nb" +%s) + 1 ))
[ "$len" -eq $((90 * 86400)) ] || fail "default tls-server lifetime $len"
"$CATENA" issue --config "$conf" --profile tls-server --csr "$d/leaf.csr" \
    --dns www.example.com --days 365 >/dev/null 2>"$d/err" &&
    fail "365 days accepted for tls-server"
grep -q 'maximum' "$d/err" || fail "unclear lifetime refusal"
cp "$conf" "$d/narrow.conf"
printf '[profile "tls-server"]\nmax_lifetime = 30d\n' >>"$d/narrow.conf"
"$CATENA" issue --config "$d/narrow.conf" --profile tls-server \
    --csr "$d/leaf.csr" --dns www.example.com --days 31 >/dev/null 2>&1 &&
    fail "[profile] max_lifetime ignored"
"$CATENA" issue --config "$d/narrow.conf" --profile tls-server \
    --csr "$d/leaf.csr" --dns www.example.com >"$d/narrow.chain" 2>/dev/null ||
    fail "issue under a narrowed profile"
openssl x509 -in "$d/narrow.chain" -noout -checkend $((30 * 86400)) \
    >/dev/null && fail "default not narrowed to max_lifetime"

# CA keys (issuing CA and its OCSP responder) are never certified in an
# end-entity certificate (BR 6.1.1.3).
for k in tls tls-ocsp; do
    openssl req -new -key "$d/keys/$k.key" -subj "/CN=x" \
        -out "$d/$k-reuse.csr" 2>/dev/null
    out=$("$CATENA" issue --config "$conf" --profile tls-server \
        --csr "$d/$k-reuse.csr" --dns www.example.com 2>&1) &&
        fail "the $k key was certified"
    echo "$out" | grep -q 'belongs to a CA' || fail "unclear CA-key refusal: $out"
done

# A lint refusal: the name is not public (BR 7.1.2.7.12, lint T2). The
# serial was reserved, is marked FAILED, and the refusal is audited.
out=$("$CATENA" issue --config "$conf" --profile tls-server \
    --csr "$d/leaf.csr" --dns localhost 2>&1) && fail "localhost accepted"
echo "$out" | grep -q 'lint' || fail "unclear lint refusal: $out"
db="$d/catena.db"
[ "$(sqlite3 "$db" "SELECT COUNT(*) FROM certificates WHERE status = 3 AND der IS NULL AND names = 'localhost'")" = 1 ] ||
    fail "the refused serial is not FAILED"
sqlite3 "$db" "SELECT detail FROM audit_log WHERE kind = 'refuse'" |
    grep -q localhost || fail "the refusal is not audited"

# Revocation.
serial=$(openssl x509 -in "$d/tls.chain.leaf" -noout -serial | cut -d= -f2)
out=$("$CATENA" revoke --config "$conf" --serial "$serial" --reason 7 2>&1) &&
    fail "reason 7 accepted"
echo "$out" | grep -q 'no reason 7' || fail "unclear message for 7: $out"
"$CATENA" revoke --config "$conf" --serial "$serial" --reason bogus \
    >/dev/null 2>&1 && fail "unknown reason accepted"
out=$("$CATENA" revoke --config "$conf" --serial "$serial" \
    --reason certificateHold 2>&1) && fail "certificateHold accepted"
echo "$out" | grep -q 'cannot be used' || fail "unclear hold refusal: $out"
out=$("$CATENA" revoke --config "$conf" --serial 01deadbeef \
    --reason superseded 2>&1) && fail "unknown serial accepted"
echo "$out" | grep -q 'no certificate with serial' ||
    fail "unclear unknown-serial error: $out"
"$CATENA" revoke --config "$conf" --serial "$serial" --reason superseded ||
    fail "revoke"
"$CATENA" revoke --config "$conf" --serial "$serial" --reason superseded ||
    fail "revoke is not idempotent"

# keyCompromise blocks the key for every later request.
newcsr P-256 "$d/k2.csr" "$d/k2.key"
"$CATENA" issue --config "$conf" --profile tls-server --csr "$d/k2.csr" \
    --dns a.example.com >"$d/k2.chain" || fail "issue k2"
split "$d/k2.chain" "$d/k2.leaf" "$d/k2.rest"
s2=$(openssl x509 -in "$d/k2.leaf" -noout -serial | cut -d= -f2)
"$CATENA" revoke --config "$conf" --serial "$s2" --reason keyCompromise ||
    fail "revoke keyCompromise"
out=$("$CATENA" issue --config "$conf" --profile tls-server \
    --csr "$d/k2.csr" --dns b.example.com 2>&1) && fail "blocked key accepted"
echo "$out" | grep -q 'blocked' || fail "unclear blocked-key refusal: $out"

# Audit chain: intact, then tampered.
"$CATENA" status --config "$conf" >"$d/status" || {
    cat "$d/status"; fail "status on an intact chain"; }
grep -q 'audit chain: ok' "$d/status" || fail "status output"
db="$d/catena.db"
table=$(sqlite3 "$db" "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%audit%' ORDER BY length(name) LIMIT 1")
[ -n "$table" ] || fail "no audit table"
col=$(sqlite3 "$db" "SELECT name FROM pragma_table_info('$table') WHERE name IN ('detail','details','data','payload','body') LIMIT 1")
[ -n "$col" ] || fail "no audit detail column"
sqlite3 "$db" "UPDATE $table SET $col = $col || ' ' WHERE rowid = (SELECT MIN(rowid) + 1 FROM $table)"
if "$CATENA" status --config "$conf" >"$d/status2" 2>&1; then
    cat "$d/status2"; fail "status did not notice the tampered audit log"
fi
grep -q 'BROKEN' "$d/status2" || fail "status output on a broken chain"
echo "core_init_issue: ok"
