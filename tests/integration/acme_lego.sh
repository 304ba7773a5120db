#!/bin/sh
# acme_lego.sh CATENA - unmodified lego against "catena serve": --http on
# the configured http-01 port, dns-01 through the exec provider writing TXT
# records into the loopback DNS server, and revocation; then, with the
# server restarted to require External Account Binding, one http-01
# issuance for a new account registered with --eab --kid --hmac.
CATENA=$1
command -v lego >/dev/null || exit 77
tmp=$(mktemp -d)
trap 'acme_cleanup; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"

acme_dns_start
acme_serve
export LEGO_CA_CERTIFICATES="$d/root.pem"
lg() {
    lego --accept-tos --email ops@example.com --server "$directory" \
        --path "$tmp/lego" "$@"
}
lg --domains lego.example.com --http --http.port "127.0.0.1:$http01_port" \
    run >"$tmp/l1.log" 2>&1 ||
    { cat "$tmp/l1.log"; tail -30 "$tmp/serve.log"; fail "lego http-01"; }
acme_check_chain "$tmp/lego/certificates/lego.example.com.crt"
# The challenge POST was answered with the outcome (challenge_wait), so
# lego neither slept Retry-After nor polled the authorization.
grep -q "The server validated our request" "$tmp/l1.log" ||
    { cat "$tmp/l1.log"; fail "lego: challenge answer was not final"; }
echo "lego http-01: ok"

cat >"$tmp/exec.sh" <<EOH
#!/bin/sh
# lego exec provider: \$1 = present|cleanup, \$2 = FQDN, \$3 = value.
case "\$1" in
present) curl -sf -d "{\"host\":\"\$2\",\"value\":\"\$3\"}" http://127.0.0.1:$mgmt_port/set-txt ;;
cleanup) curl -sf -d "{\"host\":\"\$2\"}" http://127.0.0.1:$mgmt_port/clear-txt ;;
esac
EOH
chmod +x "$tmp/exec.sh"
EXEC_PATH="$tmp/exec.sh" EXEC_PROPAGATION_TIMEOUT=20 EXEC_POLLING_INTERVAL=1 \
    lg --domains ldns.example.com --dns exec \
    --dns.resolvers "127.0.0.1:$dns_port" --dns.disable-cp run \
    >"$tmp/l2.log" 2>&1 ||
    { cat "$tmp/l2.log"; tail -30 "$tmp/serve.log"; fail "lego dns-01"; }
acme_check_chain "$tmp/lego/certificates/ldns.example.com.crt"
echo "lego dns-01: ok"

lg --domains lego.example.com revoke >"$tmp/l3.log" 2>&1 ||
    { cat "$tmp/l3.log"; fail "lego revoke"; }
echo "lego revoke: ok"

# External Account Binding required: a fresh lego account (own --path)
# registers with a key from "catena acme eab add" and obtains one.
acme_require_eab
acme_eab_add
lego --accept-tos --email ops@example.com --server "$directory" \
    --path "$tmp/lego-eab" --eab --kid "$eab_kid" --hmac "$eab_hmac" \
    --domains leab.example.com --http --http.port "127.0.0.1:$http01_port" \
    run >"$tmp/l4.log" 2>&1 ||
    { cat "$tmp/l4.log"; tail -30 "$tmp/serve.log"; fail "lego EAB"; }
acme_check_chain "$tmp/lego-eab/certificates/leab.example.com.crt"
acme_eab_bound "$eab_kid"
echo "lego with EAB: ok"
