#!/bin/sh
# signer_key_isolation.sh - only the signer process opens CA private keys.
#
# Runs "catena issue" under strace -f and checks that every open of a file
# under DIR/keys/ comes from a process that exec'd "catena signer", that
# there is at least one (the check is not vacuous), and that the issued
# certificate verifies with openssl.
# usage: signer_key_isolation.sh CATENA
set -eu
CATENA=$1
for tool in openssl strace awk; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

dir=$tmp/ca
mkdir "$dir"
"$CATENA" init --dir "$dir" >"$tmp/init.out" 2>&1 ||
    { cat "$tmp/init.out"; fail "catena init"; }
printf '\n[caa]\n# CAA at issuance is tested in core_init_issue.sh.\ncheck = false\n' >>"$dir/catena.conf"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/leaf.key" -subj "/CN=www.example.com" \
    -out "$tmp/leaf.csr" 2>/dev/null

strace -f -qq -s 4096 -e trace=execve,open,openat -o "$tmp/trace" \
    "$CATENA" issue --config "$dir/catena.conf" --profile tls-server \
    --csr "$tmp/leaf.csr" --dns www.example.com >"$tmp/leaf.pem" \
    2>"$tmp/issue.err" || { cat "$tmp/issue.err"; fail "catena issue"; }

# The signer processes: those that exec'd argv[1] == "signer".
awk '/execve\(/ && /\["catena", "signer"/ { print $1 }' "$tmp/trace" \
    | sort -u >"$tmp/signer.pids"
[ -s "$tmp/signer.pids" ] || fail "no signer process was started"

# Every open(at) of a key file, by pid.
awk -v keys="\"$dir/keys/" '
    /open(at)?\(/ && index($0, keys) { print $1 }' "$tmp/trace" \
    >"$tmp/key.pids"
[ -s "$tmp/key.pids" ] || fail "no process opened a CA key (vacuous test)"
bad=$(grep -vxF -f "$tmp/signer.pids" "$tmp/key.pids" || true)
if [ -n "$bad" ]; then
    grep -F "$dir/keys/" "$tmp/trace" | head -20
    fail "CA keys opened outside the signer by pid(s): $(echo $bad)"
fi
echo "key opens: $(wc -l <"$tmp/key.pids"), all by signer pid(s)" \
     "$(tr '\n' ' ' <"$tmp/signer.pids")"

# And what was issued is a real certificate under the root.
awk '/-----BEGIN CERTIFICATE-----/ { n++ } n == 1' "$tmp/leaf.pem" \
    >"$tmp/leaf-only.pem"
[ -s "$tmp/leaf-only.pem" ] || fail "catena issue printed no certificate"
openssl verify -CAfile "$dir/root.pem" -untrusted "$dir/tls-chain.pem" \
    "$tmp/leaf-only.pem" >/dev/null || fail "issued certificate does not verify"
echo "PASS"
