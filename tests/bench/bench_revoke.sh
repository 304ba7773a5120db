#!/bin/sh
# bench_revoke.sh CATENA [COUNT] - mass revocation: COUNT (default
# 1,000,000) issued certificates in the SQLite store, revoked from a list
# with "catena revoke --serials-from" (per row: lookup, profile/reason
# check, update, hash-chained audit record), after the "--renew-now" pass
# over the same list. Beside it in the same run: the store's floor (one
# bare sqlite3 UPDATE of the same rows, no checks, no audit) and
# "openssl ca -revoke", which revokes one serial per run by rewriting its
# index.txt (measured on REVOKE_OPENSSL serials of the same COUNT-line
# index, then extrapolated). Wall time, rate, CPU and peak RSS; no
# assertion on speed.
set -eu
CATENA=$1
COUNT=${2:-1000000}
NOSSL=${REVOKE_OPENSSL:-20}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d="$tmp/ca"
"$CATENA" init --dir "$d" >"$tmp/init.log" 2>&1 || { cat "$tmp/init.log"; exit 1; }
conf="$d/catena.conf"
/usr/bin/python3 "$here/bench_revoke_fill.py" "$d/catena.db" tls "$COUNT" \
    "$tmp/list" "$tmp/index.txt"
cp "$d/catena.db" "$tmp/floor.db"
echo "filled $COUNT issued certificates (every tenth already replaced)"

measure() { # measure NAME CMD...: "NAME wall_s peak_rss_kB cpu_s"
    name=$1; shift
    /usr/bin/time -v "$@" >"$tmp/$name.out" 2>"$tmp/$name.time" || true
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/$name.time" |
        awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/$name.time")
    cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$tmp/$name.time" |
        awk '{ s += $1 } END { print s }')
    echo "$name $wall $rss $cpu"
}
renew=$(measure renew "$CATENA" revoke --config "$conf" --serials-from "$tmp/list" \
    --renew-now --unreplaced "$tmp/unreplaced")
revoke=$(measure revoke "$CATENA" revoke --config "$conf" --serials-from "$tmp/list" \
    --reason superseded)
cat "$tmp/renew.out" "$tmp/revoke.out"
grep -q "revoked $COUNT," "$tmp/revoke.out" || { tail "$tmp/revoke.time"; echo "catena did not revoke them all"; exit 1; }

# The floor: the same rows revoked by one UPDATE joined to the list.
awk 'BEGIN { print "CREATE TEMP TABLE l (s TEXT PRIMARY KEY);"; print "BEGIN;" }
     { print "INSERT INTO l VALUES (\x27" $1 "\x27);" }
     END { print "UPDATE certificates SET status = 2, revoked_at = strftime(\x27%s\x27), reason = 4 WHERE serial IN (SELECT s FROM l);"; print "COMMIT;" }' \
    "$tmp/list" >"$tmp/floor.sql"
floor=$(measure floor sqlite3 "$tmp/floor.db" ".read $tmp/floor.sql")

# openssl ca: one revocation per run over the COUNT-line index.
mkdir -p "$tmp/ossl/newcerts"
cp "$tmp/index.txt" "$tmp/ossl/index.txt"
cat >"$tmp/ossl/ca.cnf" <<EOC
[ca]
default_ca = c
[c]
database = $tmp/ossl/index.txt
new_certs_dir = $tmp/ossl/newcerts
certificate = $d/tls.pem
private_key = $d/keys/tls.key
default_md = sha256
unique_subject = no
policy = p
[p]
commonName = supplied
EOC
head -n "$NOSSL" "$tmp/list" >"$tmp/ossl/list"
# openssl ca -revoke needs the certificate; -valid with a serial-only
# lookup is not offered, so each run revokes a generated certificate
# whose serial is on the list (-revoke reads only its serial).
i=0
: >"$tmp/ossl/certs"
while read -r s; do
    openssl req -new -x509 -key "$d/keys/tls.key" -subj "/CN=bench" \
        -set_serial "0x$s" -days 1 -out "$tmp/ossl/c$i.pem" 2>/dev/null
    echo "$tmp/ossl/c$i.pem" >>"$tmp/ossl/certs"
    i=$((i + 1))
done <"$tmp/ossl/list"
cat >"$tmp/ossl/run.sh" <<EOR
while read -r f; do
    openssl ca -config "$tmp/ossl/ca.cnf" -revoke "\$f" -crl_reason superseded -batch 2>/dev/null >/dev/null || exit 1
done <"$tmp/ossl/certs"
EOR
ossl=$(measure openssl sh "$tmp/ossl/run.sh")
grep -c "^R" "$tmp/ossl/index.txt" | awk -v n="$NOSSL" '{ if ($1 != n) { print "openssl ca revoked " $1 " of " n; exit 1 } }'

printf '%-26s %10s %12s %12s %12s\n' "mass revocation" "count" "wall s" "per s" "peak RSS kB"
line() { # line LABEL COUNT "name wall rss cpu"
    set -- "$1" "$2" $3
    awk -v l="$1" -v n="$2" -v w="$4" -v r="$5" 'BEGIN {
        printf "%-26s %10d %12.2f %12.2f %12s\n", l, n, w, (w > 0 ? n / w : 0), r }'
}
line "catena --renew-now" "$COUNT" "$renew"
line "catena --reason" "$COUNT" "$revoke"
line "sqlite3 bare UPDATE" "$COUNT" "$floor"
line "openssl ca -revoke" "$NOSSL" "$ossl"
set -- $revoke
cw=$2
set -- $floor
fw=$2
set -- $ossl
ow=$2
awk -v c="$cw" -v f="$fw" -v o="$ow" -v n="$COUNT" -v k="$NOSSL" 'BEGIN {
    printf "catena revoke: %.1f x the bare UPDATE time (per-row checks + audit chain)\n", c / f
    printf "openssl ca -revoke extrapolated to %d serials: %.0f s (%.1f h); catena is %.0f x faster\n", n, o / k * n, o / k * n / 3600, (o / k * n) / c
}'
