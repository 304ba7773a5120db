#!/bin/sh
# gen_fixtures.sh OUTDIR - generate lint fixtures with the OpenSSL CLI into
# the build tree (never committed). Each bad-*.{pem,crl} is a historical
# bug; good-* must lint clean of errors. expected.tsv: file, rule, result.
set -eu
OUT=${1:?usage: gen_fixtures.sh OUTDIR}
mkdir -p "$OUT"
cd "$OUT"
rm -f expected.tsv index.txt* crlnumber* *.pem *.crl *.key
cat > ca.cnf <<'CNF'
[ca]
default_ca = d
[d]
database = index.txt
crlnumber = crlnumber
default_md = sha256
default_crl_days = 7
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:www.example.com
authorityKeyIdentifier = keyid:always
certificatePolicies = 2.23.140.1.2.1
authorityInfoAccess = caIssuers;URI:http://ca.example.com/ca.der
crlDistributionPoints = URI:http://ca.example.com/crl/0.crl
CNF
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/C=US/O=Catena Test/CN=Catena Test Root" \
    -days 3650 -set_serial 0x0123456789abcdef0123456789abcdef \
    -config ca.cnf -extensions root -out ca.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key 2>/dev/null
openssl req -new -key leaf.key -subj "/" -out leaf.csr 2>/dev/null
leaf() { # name serial days
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial "$2" \
        -days "$3" -extfile ca.cnf -extensions leaf -out "$1" 2>/dev/null
}
leaf good-leaf.pem 0x01a2b3c4d5e6f708091a2b3c4d5e6f7081 90
printf 'good-leaf.pem\te_cert_serial_low_entropy\tpass\n' >> expected.tsv
printf 'good-leaf.pem\te_tls_validity_too_long\tpass\n' >> expected.tsv
leaf bad-serial-1.pem 1 90
printf 'bad-serial-1.pem\te_cert_serial_low_entropy\terror\n' >> expected.tsv
leaf bad-serial-8.pem 0x0102030405060708 90
printf 'bad-serial-8.pem\te_cert_serial_low_entropy\terror\n' >> expected.tsv
leaf bad-tls-399d.pem 0x01a2b3c4d5e6f708091a2b3c4d5e6f7082 399
printf 'bad-tls-399d.pem\te_tls_validity_too_long\terror\n' >> expected.tsv
# CRLs: a clean one, reason 7 (patched by OpenSSL? it refuses: use the
# C-level unit test for 7), v1 without number/AKI, PEM where DER belongs.
: > index.txt
echo 01 > crlnumber
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out crl.pem 2>/dev/null
openssl crl -in crl.pem -outform DER -out good.crl
printf 'good.crl\te_crl_version_not_v2\tpass\n' >> expected.tsv
printf 'good.crl\te_crl_number_invalid\tpass\n' >> expected.tsv
cp crl.pem bad-pem.crl
printf 'bad-pem.crl\te_crl_not_single_der\terror\n' >> expected.tsv
rm -f crlnumber
sed -i -e 's/^crl_extensions.*//' -e 's/^crlnumber.*//' ca.cnf
openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.pem -out v1.pem 2>/dev/null
openssl crl -in v1.pem -outform DER -out bad-v1.crl
printf 'bad-v1.crl\te_crl_version_not_v2\terror\n' >> expected.tsv
printf 'bad-v1.crl\te_crl_number_invalid\terror\n' >> expected.tsv
printf 'bad-v1.crl\te_crl_aki_invalid\terror\n' >> expected.tsv
# A CRL signed by an RSA key under the EC CA's name.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
echo 01 > crlnumber
printf 'crlnumber = crlnumber\ncrl_extensions = crl_ext\n' >> ca.cnf
openssl ca -config ca.cnf -gencrl -keyfile rsa.key -cert ca.pem -out rsa.pem 2>/dev/null || true
if [ -s rsa.pem ]; then
    openssl crl -in rsa.pem -outform DER -out bad-rsa-sig.crl
    printf 'bad-rsa-sig.crl\te_crl_sig_alg_not_signer_key\terror\n' >> expected.tsv
fi
echo "fixtures in $OUT"
