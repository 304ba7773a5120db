# crl_common.sh - helpers shared by the crl_*.sh integration tests
# (sourced, not run). Expects CATENA and tmp to be set.

fail() { echo "FAIL: $*"; exit 1; }

# free_port prints a TCP port nobody listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# issue_leaf DIR NAME: a tls-server certificate for NAME.example.com;
# writes DIR/NAME.pem (leaf only) and prints the serial in upper-case hex.
issue_leaf() {
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1/$2.key" -subj "/CN=ignored" -out "$1/$2.csr" 2>/dev/null
    "$CATENA" issue --config "$1/catena.conf" --profile tls-server \
        --csr "$1/$2.csr" --dns "$2.example.com" >"$1/$2.chain" \
        2>"$1/$2.log" || { cat "$1/$2.log"; fail "issue $2"; }
    awk '/-----BEGIN CERTIFICATE-----/ { n++ } n == 1 { print }' \
        "$1/$2.chain" >"$1/$2.pem"
    openssl x509 -in "$1/$2.pem" -noout -serial | cut -d= -f2
}

# shard_of LEAF.pem: the shard number named by the leaf's CRLDP.
shard_of() {
    openssl x509 -in "$1" -noout -ext crlDistributionPoints |
        sed -n 's|.*URI:.*/crl/[a-z]*/\([0-9]*\)\.crl.*|\1|p' | head -n 1
}

# cdp_uri LEAF.pem: the leaf's first CRLDP URI.
cdp_uri() {
    openssl x509 -in "$1" -noout -ext crlDistributionPoints |
        sed -n 's|^ *URI:||p' | head -n 1
}

# idp_uri CRL.der: the IDP fullName URI of a CRL.
idp_uri() {
    openssl crl -inform DER -in "$1" -noout -text |
        sed -n '/Issuing Distribution Point/,/Revoked/s|^ *URI:\([^ ]*\).*|\1|p' |
        head -n 1
}
