#!/bin/sh
# run_replay.sh CATENA FUZZDIR ITERATIONS - makes seeds from a fresh
# "catena init" (certificates, a CRL, an OCSP response, a CSR) plus the
# committed text seeds, then runs every fuzz target's replay binary on them.
set -eu
CATENA=$1
FUZZ=$2
N=$3
src=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CATENA" init --dir "$tmp/ca" --hostname localhost >"$tmp/init.log" 2>&1 ||
    { cat "$tmp/init.log"; fail "init"; }
mkdir "$tmp/der"
for c in root tls smime spiffe tls-ocsp; do
    openssl x509 -in "$tmp/ca/$c.pem" -outform DER -out "$tmp/der/$c.der"
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k.pem" -subj / -outform DER -out "$tmp/csr-ec.der" 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout "$tmp/k2.pem" \
    -subj /CN=x -outform DER -out "$tmp/csr-rsa.der" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$tmp/k3.pem" -subj /CN=a.example.com \
    -addext "subjectAltName=DNS:a.example.com,DNS:b.example.com,IP:198.51.101.7" \
    -outform DER -out "$tmp/csr-san.der" 2>/dev/null
"$CATENA" crl publish --config "$tmp/ca/catena.conf" >/dev/null 2>&1 || fail "crl publish"
mkdir "$tmp/crls"
"$CATENA" crl export --config "$tmp/ca/catena.conf" --dir "$tmp/crls" >/dev/null 2>&1 || fail "crl export"
cp "$tmp/crls/tls-0.crl" "$tmp/der/crl.der"

"$FUZZ/fuzz_lint_replay" "$N" "$tmp"/der/*.der
"$FUZZ/fuzz_csr_replay" "$N" "$tmp"/csr-*.der
"$FUZZ/fuzz_tbs_replay" "$N" "$tmp"/der/root.der "$tmp"/der/tls.der \
    "$tmp"/der/tls-ocsp.der
"$FUZZ/fuzz_jws_replay" "$N" "$src"/seeds/jws/*
"$FUZZ/fuzz_certid_replay" "$N" "$src"/seeds/certid/*
"$FUZZ/fuzz_config_replay" "$N" "$src"/seeds/config/* "$tmp/ca/catena.conf"
echo "fuzz replay: OK"
