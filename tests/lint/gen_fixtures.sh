#!/bin/sh
# gen_fixtures.sh OUTDIR [MKCRL [DERPATCH]] - generate the lint fixtures into
# the build tree (never committed) with the OpenSSL CLI, tests/lint/mkcrl.c
# (CRLs that "openssl ca" refuses to write, e.g. reason code 7),
# tests/lint/derpatch.c (DER edited and re-signed: a uniqueIdentifier, an
# encoded DEFAULT, an empty SEQUENCE) and, for keys and bytes no CLI writes
# (an off-curve point, a Fermat-factorable or ROCA-shaped modulus, a flipped
# signature byte), /usr/bin/python3. good-* fixtures are the passing cases
# (catena lint exits 0), bad-* fail a rule at error level (exit non-zero),
# warn-* only at warn level, edge-* sit on a boundary, ctx-* fail only with
# the signer's context (tests/lint/lintctx.c: a TBS, a shard URL);
# tests/lint/expect.tsv records which rule must give which result on each,
# and lint_fixtures.sh checks it. A directory with an issuer.pem holds
# fixtures issued by that CA.
set -eu
OUT=${1:?usage: gen_fixtures.sh OUTDIR [MKCRL [DERPATCH]]}
MKCRL=${2:-}
DERPATCH=${3:-}
mkdir -p "$OUT"
cd "$OUT"
rm -rf ./*
: > index.txt
echo 01 > crlnumber
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
new_certs_dir = .
serial = serial
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
policy = pol
unique_subject = no
email_in_dn = no
[pol]
[crl_ext]
authorityKeyIdentifier = keyid:always
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[req]
distinguished_name = dn
[dn]
CNF
q() { "$@" >/dev/null 2>&1; }
ec() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -out "$1"; }
root() { # root KEY PEM SUBJECT
    q openssl req -new -x509 -key "$1" -subj "$3" -days 3650 \
        -set_serial 0x0123456789abcdef0123456789abcdef \
        -config ca.cnf -extensions root -out "$2"
}
ec ca.key P-256
root ca.key ca.pem "/C=US/O=Catena Test/CN=Catena Test Root"
# Same name, RSA key: what a CA whose configuration points at the wrong key
# signs with.
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key
root rsa.key ca-rsa.pem "/C=US/O=Catena Test/CN=Catena Test Root"
ec other.key P-256
root other.key other.pem "/C=US/O=Other Test/CN=Other Root"

csr() { # csr KEY CSR
    q openssl req -new -key "$1" -subj "/CN=x" -config ca.cnf -out "$2"
}
ec leaf.key P-256
csr leaf.key leaf.csr

# Extension sections.
tls_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = critical,DNS:www.example.com
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = none
certificatePolicies = 2.23.140.1.2.1
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://ca.example.com/crl/0.crl
EXT
}
smime_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyAgreement
extendedKeyUsage = emailProtection
subjectAltName = email:alice@example.com
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = hash
certificatePolicies = 2.23.140.1.5.1.3
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://ca.example.com/crl/0.crl
EXT
}
svid_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = critical,URI:spiffe://example.org/ns/prod/sa/web
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = hash
EXT
}
subca_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = hash
certificatePolicies = 2.23.140.1.2.1
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://ca.example.com/crl/0.crl
EXT
}
svidca_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectAltName = URI:spiffe://example.org
certificatePolicies = 2.5.29.32.0
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = hash
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://ca.example.com/crl/0.crl
EXT
}
ocsp_ext() {
    cat <<'EXT'
[e]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
authorityKeyIdentifier = keyid:always
subjectKeyIdentifier = hash
noCheck = ignored
EXT
}
# sub VARIANT-SED - the extension section on stdin, edited by sed.
# cert OUT EXT [SUBJECT [START END [SERIAL [CSR [CA CAKEY [opts...]]]]]]
cert() {
    out=$1; ext=$2; subj=${3:-/}; start=${4:-}; end=${5:-}
    serial=${6:-01a2b3c4d5e6f708091a2b3c4d5e6f7081}; req=${7:-leaf.csr}
    ca=${8:-ca.pem}; cakey=${9:-ca.key}
    if [ $# -ge 9 ]; then shift 9; else set --; fi
    [ -n "$start" ] || start=$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)
    [ -n "$end" ] || end=$(date -u -d "${start%??????Z} +90 days -1 second" +%Y%m%d235959Z)
    printf '%s\n' "$ext" > ext.cnf
    echo "$serial" > serial
    : > index.txt # the database refuses a serial twice: fixtures reuse them
    if [ -n "$ext" ]; then set -- -extfile ext.cnf -extensions e "$@"; fi
    openssl ca -batch -notext -config ca.cnf -cert "$ca" -keyfile "$cakey" \
        -in "$req" -subj "$subj" -preserveDN -startdate "$start" \
        -enddate "$end" -outdir . "$@" -out "$out" >ca.log 2>&1 ||
        { echo "gen_fixtures: $out failed:"; cat ca.log; exit 1; } >&2
}
TLS=$(tls_ext)
tls() { # tls OUT SED [cert args after ext...]
    o=$1; s=$2; shift 2
    cert "$o" "$(printf '%s\n' "$TLS" | sed -e "$s")" "$@"
}

# ---- passing fixtures
cert good-tls.pem "$TLS"
tls good-tls-cn.pem "s/^subjectAltName.*/subjectAltName = DNS:www.example.com/" "/CN=www.example.com"
cert good-smime.pem "$(smime_ext)" "/CN=alice@example.com/emailAddress=alice@example.com"
cert good-svid.pem "$(svid_ext)"
ec sub.key P-256
csr sub.key sub.csr
cert good-subca.pem "$(subca_ext)" "/C=US/O=Catena Test/CN=Catena Test TLS CA" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7083 sub.csr
ec ocsp.key P-256
csr ocsp.key ocsp.csr
cert good-ocsp-signer.pem "$(ocsp_ext)" "/C=US/O=Catena Test/CN=Catena Test OCSP" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7084 ocsp.csr
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsaleaf.key
csr rsaleaf.key rsaleaf.csr
cert good-tls-rsa.pem "$(printf '%s\n' "$TLS" | sed 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/')" \
    / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7085 rsaleaf.csr
# B7: a Debian weak-key list (openssl-vulnkey format) naming this key's
# fingerprint, the last 20 hex digits of SHA-1("Modulus=<HEX>\n"); the
# real lists are the operator's to install ([lint] debian_weak_keys).
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out debweak.key
csr debweak.key debweak.csr
cert ctx-b7-debian-weak.pem "$(printf '%s\n' "$TLS" | sed 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/')" \
    / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70b7 debweak.csr
mkdir -p weak
{
    echo "# openssl-blacklist style list for RSA-2048 (test data)"
    openssl x509 -in ctx-b7-debian-weak.pem -noout -modulus | sha1sum | cut -c21-40
    echo "00112233445566778899"
} >weak/blacklist.RSA-2048
mkdir -p weak4096   # covers RSA-4096 only: an RSA-2048 key cannot be checked
echo "00112233445566778899" >weak4096/blacklist.RSA-4096
q openssl genpkey -algorithm ED25519 -out ed.key
csr ed.key ed.csr
cert good-svid-ed25519.pem "$(svid_ext)" / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7086 ed.csr
ec p384.key P-384
csr p384.key p384.csr
tls good-tls-ip.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:www.example.com,IP:8.8.8.8/' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7094
tls good-tls-sct.pem '$a 1.3.6.1.4.1.11129.2.4.2 = DER:04:08:00:06:00:04:01:02:03:04' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7095
cp ca.pem good-root.pem
cert good-subca-nc.pem "$(subca_ext; cat <<'EXT'
nameConstraints = critical,permitted;DNS:example.com,excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:0:0:0:0:0:0:0:0/0:0:0:0:0:0:0:0,permitted;dirName:nc_dn
[nc_dn]
C = US
O = Catena Test
EXT
)" \
    "/C=US/O=Catena Test/CN=Catena Test Constrained CA" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7096 sub.csr
cert good-tls-p384.pem "$TLS" / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7087 p384.csr

# ---- historical bugs
# validity one second over the 200-day BR maximum (SC-081 from 2026-03-15)
tls bad-tls-200d-plus-1s.pem 's/^x//' / 20261101000000Z 20270520000000Z
tls edge-tls-200d.pem 's/^x//' / 20261101000000Z 20270519235958Z
# serials without entropy
tls bad-serial-1.pem 's/^x//' / "" "" 01
tls bad-serial-8.pem 's/^x//' / "" "" 0102030405060708

# ---- A: structure and encoding
cert bad-a1-v1.pem "" "/CN=www.example.com"
tls bad-a2-non-der.pem 's/^subjectAltName.*/subjectAltName = critical,DER:30:81:11:82:0f:77:77:77:2e:65:78:61:6d:70:6c:65:2e:63:6f:6d/'
tls bad-a4-sha1.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7088 leaf.csr ca.pem ca.key -md sha1
tls bad-a5-rsa-under-ec.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7089 leaf.csr ca-rsa.pem rsa.key
tls bad-a7-other-issuer.pem 's/^authorityKeyIdentifier.*//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f708a leaf.csr other.pem other.key
tls bad-a8-serial-zero.pem 's/^x//' / "" "" 00
tls bad-a13-outlives-issuer.pem 's/^x//' / "" 20400101000000Z
tls bad-a15-empty-eku.pem 's/^extendedKeyUsage.*/extendedKeyUsage = DER:30:00/'
tls bad-a16-unknown-ext.pem '$a 1.2.3.4 = DER:05:00'
tls bad-a17-no-aki.pem 's/^authorityKeyIdentifier.*/authorityKeyIdentifier = none/'
tls warn-a18-ski-in-tls.pem 's/^subjectKeyIdentifier.*/subjectKeyIdentifier = hash/'
tls warn-a19-ku-not-critical.pem 's/^keyUsage.*/keyUsage = digitalSignature/'
tls bad-a20-ec-key-encipherment.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/'
tls bad-a21-bc-pathlen-leaf.pem 's/^basicConstraints.*/basicConstraints = critical,DER:30:03:02:01:00/'
tls bad-a22-ku-eku.pem 's/^keyUsage.*/keyUsage = critical,cRLSign/'
tls bad-a24-multi-rdn.pem 's/^x//' "/CN=www.example.com+O=Example" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f708b leaf.csr ca.pem ca.key -multivalue-rdn
tls bad-a25-san-not-critical.pem 's/^subjectAltName.*/subjectAltName = DNS:www.example.com/'
tls bad-a26-dns.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:www..example.com/'
tls bad-a27-ip-5-octets.pem 's/^subjectAltName.*/subjectAltName = critical,DER:30:07:87:05:01:02:03:04:05/'
tls bad-a28-uri.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:www.example.com,URI:nocolon/'
tls bad-a29-email.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:www.example.com,email:alice/'
tls bad-a30-policy-dup.pem 's/^certificatePolicies.*/certificatePolicies = 2.23.140.1.2.1,2.23.140.1.2.1/'
tls bad-a31-aia-ftp.pem 's|^authorityInfoAccess.*|authorityInfoAccess = caIssuers;URI:ftp://ca.example.com/ca.der|'
tls bad-a32-crldp-ldap.pem 's|^crlDistributionPoints.*|crlDistributionPoints = URI:ldap://ca.example.com/cn=crl|'
# notAfter two days before notBefore.
tls bad-a11-negative.pem 's/^x//' / "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)" \
    "$(date -u -d '-2 days' +%Y%m%d%H%M%SZ)" 01a2b3c4d5e6f708091a2b3c4d5e6f70a0
# An SKI that is no hash of the key (S/MIME, where an SKI is expected).
cert bad-a18-ski-not-key.pem "$(smime_ext | sed 's/^subjectKeyIdentifier.*/subjectKeyIdentifier = 0102030405060708090a0b0c0d0e0f1011121314/')" \
    "/CN=alice@example.com/emailAddress=alice@example.com" "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a1
# A CA certificate whose keyUsage is not critical (an error for CAs, a
# warning for leaves).
cert bad-a19-ca-ku-not-critical.pem "$(subca_ext | sed 's/^keyUsage.*/keyUsage = keyCertSign,cRLSign,digitalSignature/')" \
    "/C=US/O=Catena Test/CN=Catena Test TLS CA" "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a2 sub.csr
# countryName in lower case.
tls bad-a23-country-lower.pem 's/^subjectAltName.*/subjectAltName = DNS:www.example.com/' "/C=us/CN=www.example.com" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f70a3
# notBefore three days back and a day ahead: the signer (lintctx --tbs)
# refuses both; a signed certificate is past judging.
tls ctx-a12-backdated.pem 's/^x//' / "$(date -u -d '-3 days' +%Y%m%d%H%M%SZ)" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a4
tls ctx-a12-future.pem 's/^x//' / "$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a5

# ---- B: keys
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.key
csr rsa1024.key rsa1024.csr
tls bad-b2-rsa1024.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f708c rsa1024.csr
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 -out rsae3.key
csr rsae3.key rsae3.csr
tls warn-b3-rsa-e3.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f708d rsae3.csr
ec k256.key secp256k1
csr k256.key k256.csr
tls bad-b9-secp256k1.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f708e k256.csr
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit -out explicit.key
csr explicit.key explicit.csr
tls bad-b9-explicit.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f708f explicit.csr
tls bad-b11-ed25519-tls.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7090 ed.csr
q openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out dsa.param
q openssl genpkey -paramfile dsa.param -out dsa.key
csr dsa.key dsa.csr
tls bad-b1-dsa.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7091 dsa.csr
# A subscriber certificate for the CA's own key.
csr ca.key cakey.csr
tls bad-b8-ca-key.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a6 cakey.csr
# Keys no CLI writes: an RSA modulus with p and q close together (Fermat),
# one with a factor 3, one that is a prime squared, and a P-256 point
# moved off the curve.
/usr/bin/python3 - <<'PY'
import random, subprocess
def is_prime(n):
    if n < 2: return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0: return n == p
    d, s = n - 1, 0
    while d % 2 == 0: d //= 2; s += 1
    for _ in range(24):
        x = pow(random.randrange(2, n - 2), d, n)
        if x in (1, n - 1): continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1: break
        else: return False
    return True
def next_prime(n):
    n |= 1
    while not is_prime(n): n += 2
    return n
def der_len(n):
    if n < 128: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b
def tlv(t, v): return bytes([t]) + der_len(len(v)) + v
def integer(n):
    b = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return tlv(2, b)
def rsa_spki(n, e=65537):
    alg = tlv(0x30, tlv(6, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    key = tlv(0x30, integer(n) + integer(e))
    return tlv(0x30, alg + tlv(3, b"\x00" + key))
def pem(der, kind):
    import base64
    b = base64.encodebytes(der).decode().replace("\n", "")
    return f"-----BEGIN {kind}-----\n" + "\n".join(b[i:i+64] for i in range(0, len(b), 64)) + f"\n-----END {kind}-----\n"
p = next_prime(random.getrandbits(1024) | (3 << 1022))  # N = p*q gets 2048 bits
q = next_prime(p + 2)
open("fermat.pub", "w").write(pem(rsa_spki(p * q), "PUBLIC KEY"))
# q - p near 2^515: Fermat needs several rounds, not one.
q = next_prime(p + (1 << 515) + (1 << 513))
open("fermat8.pub", "w").write(pem(rsa_spki(p * q), "PUBLIC KEY"))
sq = next_prime(random.getrandbits(1024) | (3 << 1022))
open("square.pub", "w").write(pem(rsa_spki(sq * sq), "PUBLIC KEY"))
# A sound modulus with public exponent 1.
big = lambda: next_prime(random.getrandbits(1024) | (3 << 1022))
open("e1.pub", "w").write(pem(rsa_spki(big() * big(), 1), "PUBLIC KEY"))
open("factor3.pub", "w").write(pem(rsa_spki(3 * next_prime(random.getrandbits(2046) | (1 << 2045))), "PUBLIC KEY"))
# ROCA: RSALib primes are k * M + (65537^a mod M), M the product of the
# primes to 167, so N mod each of them is a power of 65537. k is drawn so
# that p >= 1.5 * 2^1023 and N has 2048 bits.
M = 1
for i in range(2, 168):
    if all(i % j for j in range(2, i)): M *= i
def roca_prime():
    while True:
        r = random.randrange((3 << 1022) // M + 1, (1 << 1024) // M) * M + \
            pow(65537, random.randrange(1, 1 << 20), M)
        if is_prime(r): return r
open("roca.pub", "w").write(pem(rsa_spki(roca_prime() * roca_prime()), "PUBLIC KEY"))
PY
printf '%s\n' "$TLS" | sed 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyEncipherment/' > ext.cnf
# An empty subject (the SAN names the server), so that each fails only
# its key rule.
q openssl req -new -key leaf.key -subj / -config ca.cnf -out empty.csr
for k in b5-fermat b5-fermat8 b4-factor3 b4-square b6-roca b3-e1; do
    q openssl x509 -req -in empty.csr -CA ca.pem -CAkey ca.key -force_pubkey "${k#*-}.pub" \
        -set_serial 0x01a2b3c4d5e6f708091a2b3c4d5e6f7092 -days 90 \
        -extfile ext.cnf -extensions e -out "bad-$k.pem"
done
# patch FILE.pem OUT.pem WHAT - byte surgery on DER no CLI writes.
patch() {
    openssl x509 -in "$1" -outform DER -out patch.der
    /usr/bin/python3 - "$3" <<'PY'
import sys
d = bytearray(open("patch.der", "rb").read())
what = sys.argv[1]
if what == "sig":          # last signature octet
    d[-1] ^= 0x01
elif what == "point":      # last octet of the P-256 point's Y
    i = d.find(bytes.fromhex("034200 04".replace(" ", "")))
    d[i + 3 + 64] ^= 0x01
elif what == "outer-alg":  # outer signatureAlgorithm SHA-256 -> SHA-384
    i = d.rfind(bytes.fromhex("2a8648ce3d040302"))
    d[i + 7] = 0x03
open("patch.der", "wb").write(d)
PY
    openssl x509 -inform DER -in patch.der -out "$2" 2>/dev/null ||
        cp patch.der "$2"
}
patch good-tls.pem bad-a6-signature.pem sig
patch good-tls.pem bad-b10-off-curve.pem point
patch good-tls.pem bad-a3-outer-alg.pem outer-alg

# ---- T: TLS BR
tls bad-t1-no-san.pem 's/^subjectAltName.*//' "/CN=www.example.com"
tls bad-t2-internal.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:db.internal/'
tls bad-t2-private-ip.pem 's/^subjectAltName.*/subjectAltName = critical,IP:10.1.2.3/'
tls bad-t3-cn-not-san.pem 's/^subjectAltName.*/subjectAltName = DNS:www.example.com/' "/CN=other.example.com"
tls bad-t4-ou.pem 's/^subjectAltName.*/subjectAltName = DNS:www.example.com/' "/C=US/O=Example/OU=Web/CN=www.example.com"
tls bad-t5-no-policy.pem 's/^certificatePolicies.*//'
tls bad-t6-code-signing.pem 's/^extendedKeyUsage.*/extendedKeyUsage = serverAuth,codeSigning/'
tls bad-t8-bc-not-critical.pem 's/^basicConstraints.*/basicConstraints = CA:FALSE/'
tls warn-t7-key-agreement.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyAgreement/'
tls bad-t9-no-aia.pem 's/^authorityInfoAccess.*//'
tls bad-t11-empty-sct.pem '$a 1.3.6.1.4.1.11129.2.4.2 = DER:04:02:00:00'

# ---- S: S/MIME BR
SM=$(smime_ext)
smime() { o=$1; s=$2; shift 2
    cert "$o" "$(printf '%s\n' "$SM" | sed -e "$s")" "${@:-/CN=alice@example.com/emailAddress=alice@example.com}"; }
smime bad-s1-no-policy.pem 's/^certificatePolicies.*//'
smime bad-s2-server-auth.pem 's/^extendedKeyUsage.*/extendedKeyUsage = emailProtection,serverAuth/'
smime bad-s2-code-signing.pem 's/^extendedKeyUsage.*/extendedKeyUsage = emailProtection,codeSigning/'
smime bad-s3-cert-sign.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyCertSign/'
smime bad-s4-no-mailbox.pem 's/^subjectAltName.*/subjectAltName = DNS:www.example.com/'
smime bad-s5-country.pem 's/^x//' "/C=XX/CN=alice@example.com/emailAddress=alice@example.com"
smime bad-s6-no-crldp.pem 's/^crlDistributionPoints.*//'
smime bad-s7-900-days.pem 's/^x//' "/CN=alice@example.com/emailAddress=alice@example.com" 20261101000000Z 20290420000000Z
smime bad-s8-name-constraints.pem '$a nameConstraints = critical,permitted;DNS:example.com'
# subjectDirectoryAttributes (dateOfBirth) in a Strict mailbox certificate.
smime bad-s8-sda-strict.pem '$a 2.5.29.9 = DER:30:1f:30:1d:06:08:2b:06:01:05:05:07:09:01:31:11:18:0f:31:39:38:30:30:31:30:31:31:32:30:30:30:30:5a'

# ---- P: SPIFFE X509-SVID
SV=$(svid_ext)
svid() { o=$1; s=$2; shift 2; cert "$o" "$(printf '%s\n' "$SV" | sed -e "$s")" "$@"; }
svid bad-p1-two-uris.pem 's|^subjectAltName.*|subjectAltName = critical,URI:spiffe://example.org/a,URI:spiffe://example.org/b|'
svid bad-p2-dotdot.pem 's|^subjectAltName.*|subjectAltName = critical,URI:spiffe://Example.org/a/../b|'
svid bad-p3-cert-sign.pem 's/^keyUsage.*/keyUsage = critical,digitalSignature,keyCertSign/'
svid bad-p5-san-not-critical.pem 's|^subjectAltName.*|subjectAltName = URI:spiffe://example.org/ns/prod/sa/web|'
# Signing SVIDs: a CA whose SPIFFE ID is its trust domain, and one whose
# ID has a path.
ec svidca.key P-256
csr svidca.key svidca.csr
cert good-svid-ca.pem "$(svidca_ext)" "/C=US/O=Catena Test/CN=Catena Test SPIFFE CA" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f70a7 svidca.csr
cert bad-p4-ca-id-path.pem "$(svidca_ext | sed 's|^subjectAltName.*|subjectAltName = URI:spiffe://example.org/ca|')" \
    "/C=US/O=Catena Test/CN=Catena Test SPIFFE CA" "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a8 svidca.csr
# Under that CA (svid/issuer.pem): a leaf of its trust domain and one of
# another.
mkdir svid
cp good-svid-ca.pem svid/issuer.pem
svid svid/good-svid.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f70a9 leaf.csr good-svid-ca.pem svidca.key
svid svid/bad-p6-other-td.pem 's|^subjectAltName.*|subjectAltName = critical,URI:spiffe://example.net/ns/prod/sa/web|' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f70aa leaf.csr good-svid-ca.pem svidca.key

# ---- K: CA certificates
SC=$(subca_ext)
subca() { o=$1; s=$2; shift 2
    cert "$o" "$(printf '%s\n' "$SC" | sed -e "$s")" "${1:-/C=US/O=Catena Test/CN=Catena Test TLS CA}" "" "" \
        01a2b3c4d5e6f708091a2b3c4d5e6f7093 sub.csr; }
subca bad-k1-no-cert-sign.pem 's/^keyUsage.*/keyUsage = critical,cRLSign,digitalSignature/'
subca bad-k2-no-org.pem 's/^x//' "/CN=Catena Test TLS CA"
subca bad-k4-no-aia.pem 's/^authorityInfoAccess.*//'
subca bad-k5-nc-not-critical.pem '$a nameConstraints = permitted;DNS:example.com'
# k3: a self-signed root with an EKU.
printf '[root]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\nsubjectKeyIdentifier = hash\nextendedKeyUsage = serverAuth\n[req]\ndistinguished_name = dn\n[dn]\n' > root-eku.cnf
q openssl req -new -x509 -key other.key -subj "/C=US/O=Other Test/CN=Root With EKU" -days 3650 \
    -set_serial 0x0123456789abcdef0123456789abcdf0 -config root-eku.cnf -extensions root \
    -out bad-k3-root-eku.pem

# ---- C: CRLs
crl_gen() { # crl_gen OUT.crl [openssl ca args]
    o=$1; shift
    q openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem "$@" -out crl.tmp
    openssl crl -in crl.tmp -outform DER -out "$o"
}
crl_gen good-openssl.crl -crlexts crl_ext
openssl crl -in good-openssl.crl -inform DER -out bad-c2-pem.crl
sed '/^crlnumber/d' ca.cnf > ca-v1.cnf
q openssl ca -config ca-v1.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl.tmp
openssl crl -in crl.tmp -outform DER -out bad-c1-v1.crl
if [ -n "$MKCRL" ]; then
    "$MKCRL" ca.pem ca.key good.crl
    "$MKCRL" ca.pem ca.key good-revoked.crl reason=1
    "$MKCRL" ca.pem ca.key good-no-reason.crl entry
    "$MKCRL" ca.pem ca.key bad-c20-reason7.crl reason=7
    "$MKCRL" ca.pem ca.key bad-c21-unspecified.crl reason=0
    "$MKCRL" ca.pem ca.key bad-c21-hold.crl reason=6
    "$MKCRL" ca.pem rsa.key bad-c5-rsa-under-ec.crl
    "$MKCRL" other.pem other.key bad-c7-other-issuer.crl
    "$MKCRL" ca.pem ca.key bad-c9-no-next-update.crl nonext
    "$MKCRL" ca.pem ca.key bad-c10-30-days.crl days=30
    "$MKCRL" ca.pem ca.key bad-c12-no-number.crl nonumber
    "$MKCRL" ca.pem ca.key bad-c14-no-aki.crl noaki
    "$MKCRL" ca.pem ca.key bad-c18-duplicate.crl reason=1 dup
    "$MKCRL" ca.pem ca.key bad-c1-v1-no-number-aki.crl v1 nonumber noaki
    "$MKCRL" ca.pem ca.key good-invalidity.crl reason=1 invalidity
    "$MKCRL" ca.pem ca.key warn-c23-invalidity-late.crl reason=1 invalidity-late
    "$MKCRL" ca.pem ca.key bad-c4-sha1.crl sha1
    "$MKCRL" ca.pem ca.key bad-c19-revoked-later.crl reason=1 revoked-later
    "$MKCRL" ca.pem ca.key bad-c15-delta.crl number=2 delta
    "$MKCRL" ca.pem ca.key bad-c16-two-numbers.crl dupnumber
    "$MKCRL" ca.pem ca.key bad-c8-gentime.crl gentime
    "$MKCRL" ca.pem ca.key bad-c23-cert-issuer.crl reason=1 certissuer
    # Partitioned CRLs: a CA-only shard (entries need a reasonCode), a
    # user-only shard, an IDP naming an ldap URI, a cACompromise entry in a
    # user-only shard.
    shard=fullname:URI:http://ca.example.com/crl
    "$MKCRL" ca.pem ca.key good-idp-ca.crl reason=1 "idp=critical,$shard/ca.crl,onlyCA:TRUE"
    "$MKCRL" ca.pem ca.key bad-c22-ca-no-reason.crl entry "idp=critical,$shard/ca.crl,onlyCA:TRUE"
    "$MKCRL" ca.pem ca.key good-idp-user.crl reason=1 "idp=critical,$shard/0.crl,onlyuser:TRUE"
    "$MKCRL" ca.pem ca.key bad-c24-idp-ldap.crl reason=1 "idp=critical,fullname:URI:ldap://ca.example.com/cn=crl"
    "$MKCRL" ca.pem ca.key bad-c25-ca-compromise-user.crl reason=2 "idp=critical,$shard/0.crl,onlyuser:TRUE"
    # thisUpdate two hours back: more than the signer's 1h05 backdating.
    "$MKCRL" ca.pem ca.key ctx-c11-backdated.crl backdate=7200
    # PEM armour names the kind, so the cut DER is judged as a CRL.
    { echo "-----BEGIN X509 CRL-----"; head -c 60 good.crl | openssl base64
      echo "-----END X509 CRL-----"; } > bad-crl-parse-truncated.crl
    cp good.crl patch.crl
    /usr/bin/python3 -c "
d = bytearray(open('patch.crl', 'rb').read()); d[-1] ^= 1
open('bad-c6-signature.crl', 'wb').write(d)"
fi

# ---- O: OCSP responses
printf 'V\t%s\t\t0123456789ABCDEF\tunknown\t/CN=x\n' "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" > ocsp-index.txt
q openssl ocsp -issuer ca.pem -serial 0x0123456789abcdef -no_nonce -reqout ocsp-req.der
ocsp() { # ocsp OUT SIGNER KEY [args]
    o=$1; s=$2; k=$3; shift 3
    q openssl ocsp -index ocsp-index.txt -CA ca.pem -rsigner "$s" -rkey "$k" \
        -reqin ocsp-req.der -respout "$o" "$@"
}
ocsp good-ca.ocsp ca.pem ca.key -ndays 4 -rother good-ocsp-signer.pem -resp_no_certs
ocsp good-delegated.ocsp good-ocsp-signer.pem ocsp.key -ndays 4
ocsp bad-o3-no-next-update.ocsp ca.pem ca.key -resp_no_certs
ocsp bad-o3-30-days.ocsp ca.pem ca.key -ndays 30 -resp_no_certs
ocsp bad-o4-sha1.ocsp ca.pem ca.key -ndays 4 -rmd sha1 -resp_no_certs
ocsp bad-o5-not-delegated.ocsp good-tls.pem leaf.key -ndays 4
/usr/bin/python3 -c "
d = bytearray(open('good-ca.ocsp', 'rb').read()); d[-1] ^= 1
open('bad-o9-signature.ocsp', 'wb').write(d)"
# A revoked answer (keyCompromise), and one revoked after its thisUpdate.
printf 'R\t%s\t%s,keyCompromise\t0123456789ABCDEF\tunknown\t/CN=x\n' \
    "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" "$(date -u -d '-1 day' +%y%m%d%H%M%SZ)" > ocsp-index.txt
ocsp good-revoked.ocsp ca.pem ca.key -ndays 4 -resp_no_certs
printf 'R\t%s\t%s,keyCompromise\t0123456789ABCDEF\tunknown\t/CN=x\n' \
    "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" "$(date -u -d '+1 day' +%y%m%d%H%M%SZ)" > ocsp-index.txt
ocsp bad-o8-revoked-later.ocsp ca.pem ca.key -ndays 4 -resp_no_certs
# Signed by a key that is neither the CA's nor a delegated responder's.
printf 'V\t%s\t\t0123456789ABCDEF\tunknown\t/CN=x\n' "$(date -u -d '+30 days' +%y%m%d%H%M%SZ)" > ocsp-index.txt
ocsp bad-o2-other-responder.ocsp other.pem other.key -ndays 4 -resp_no_certs
# A CertID naming another issuer, answered by this CA.
q openssl ocsp -issuer other.pem -serial 0x0123456789abcdef -no_nonce -reqout ocsp-req.der
ocsp bad-o6-other-cert-id.ocsp ca.pem ca.key -ndays 4 -resp_no_certs
# OCSPResponse { responseStatus unauthorized (6) }: no CLI writes one.
printf '\060\003\012\001\006' > bad-o1-unauthorized.ocsp
# producedAt's tag replaced: a response whose ResponseData does not parse.
/usr/bin/python3 -c "
d = bytearray(open('good-ca.ocsp', 'rb').read()); d[d.find(b'\x18\x0f')] = 0x04
open('bad-ocsp-parse-producedat.ocsp', 'wb').write(d)"
openssl x509 -in good-tls.pem -outform DER | head -c 100 > bad-cert-parse-truncated.der
# ---- DER no CLI writes, edited by derpatch and re-signed with the CA key
# (paths count children below the outermost TLV: 0.4.0 is a certificate's
# notBefore; see derpatch.c).
if [ -n "$DERPATCH" ]; then
    hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
    # notBefore as a GeneralizedTime in 20xx (UTCTime is required to 2049).
    "$DERPATCH" good-tls.pem bad-a10-generalized.pem -k ca.key \
        "replace=0.4.0:180f$(hex "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)")" sign=-
    # issuerUniqueID [1] after the subjectPublicKeyInfo.
    "$DERPATCH" good-tls.pem bad-a14-issuer-uid.pem -k ca.key insert=0.7:810200ab sign=-
    if [ -n "$MKCRL" ]; then
        # critical FALSE encoded in the CRL's AKI (crlExtensions is TBS
        # child 5; the AKI is its second extension).
        "$DERPATCH" good.crl bad-c3-critical-false.crl -k ca.key insert=0.5.0.1.1:010100 sign=-
        # revokedCertificates as an empty SEQUENCE before crlExtensions.
        "$DERPATCH" good.crl bad-c17-empty-revoked.crl -k ca.key insert=0.5:3000 sign=-
    fi
    # version v1 encoded in the ResponseData (inside responseBytes'
    # OCTET STRING), re-signed.
    "$DERPATCH" good-ca.ocsp bad-o7-version-v1.ocsp -k ca.key insert=1.0.1.0.0.0:a003020100 sign=1.0.1.0
fi
# ---- under the constrained sub-CA (lint_fixtures.sh lints sub/* with
# --issuer sub/issuer.pem): a name outside its nameConstraints, a CA below
# its pathLenConstraint 0.
mkdir sub
cp good-subca-nc.pem sub/issuer.pem
tls sub/good-tls.pem 's/^x//' / "" "" 01a2b3c4d5e6f708091a2b3c4d5e6f7097 leaf.csr good-subca-nc.pem sub.key
tls sub/bad-k7-outside-nc.pem 's/^subjectAltName.*/subjectAltName = critical,DNS:www.example.net/' / "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7098 leaf.csr good-subca-nc.pem sub.key
cert sub/bad-k8-below-pathlen-0.pem "$(subca_ext)" "/C=US/O=Catena Test/CN=Catena Test Sub Sub CA" "" "" \
    01a2b3c4d5e6f708091a2b3c4d5e6f7099 ocsp.csr good-subca-nc.pem sub.key
rm -f ./*.tmp patch.der patch.crl ca.log ext.cnf
echo "fixtures in $OUT"
