#!/bin/sh
# caa_lego.sh CATENA TESTDNS - CAA (RFC 8659, RFC 8657) at validation time,
# end to end: "catena serve" resolving through the loopback DNS server of
# lib/dns.sh, unmodified lego as the client. A domain whose CAA names
# another CA is refused with the "caa" problem, so is its child (tree
# climbing); issuewild is honoured for a wildcard (dns-01) and not for the
# plain name (http-01); an unknown critical tag refuses, a non-critical
# one does not; a SERVFAIL on the CAA query refuses ("dns"); accounturi
# and validationmethods are applied.
CATENA=$1
command -v lego >/dev/null || exit 77
tmp=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
trap 'acme_cleanup; dns_stop; rm -rf "$tmp"' EXIT
. "$here/acme_common.sh"
. "$here/lib/dns.sh"

dns_start "$2" || fail "DNS server"
dns_default_a 127.0.0.1
dns_port=$DNS_PORT
acme_serve
export LEGO_CA_CERTIFICATES="$d/root.pem"

lg() {
    lego --accept-tos --email ops@example.com --server "$directory" \
        --path "$tmp/lego" "$@"
}
http_order() {
    lg --domains "$1" --http --http.port "127.0.0.1:$http01_port" run \
        >"$tmp/$1.log" 2>&1
}
cat >"$tmp/exec.sh" <<EOH
#!/bin/sh
# lego exec provider: \$1 = present|cleanup, \$2 = FQDN, \$3 = value.
DNS_DATA="$DNS_DATA"
. "$here/lib/dns.sh"
case "\$1" in
present) dns_set_txt "\$2" "\$3" ;;
cleanup) dns_clear_txt "\$2" ;;
esac
EOH
chmod +x "$tmp/exec.sh"
dns_order() {
    EXEC_PATH="$tmp/exec.sh" EXEC_PROPAGATION_TIMEOUT=20 \
        EXEC_POLLING_INTERVAL=1 \
        lg --domains "$1" --dns exec --dns.resolvers "$DNS_RESOLVER" \
        --dns.disable-cp run >"$tmp/$1.log" 2>&1
}

# expect OK|caa|dns KIND NAME: runs an http or dns order and checks it.
expect() {
    _want=$1 _kind=$2 _name=$3
    if [ "$_kind" = http ]; then http_order "$_name"; else dns_order "$_name"; fi
    _rc=$?
    if [ "$_want" = OK ]; then
        [ $_rc -eq 0 ] || { cat "$tmp/$_name.log"; tail -20 "$tmp/serve.log";
            fail "$_name should have been issued"; }
    else
        [ $_rc -ne 0 ] || fail "$_name was issued despite CAA"
        grep -q "urn:ietf:params:acme:error:$_want" "$tmp/$_name.log" ||
            { cat "$tmp/$_name.log"; fail "$_name: no $_want problem"; }
    fi
    echo "$_name ($_kind): $_want"
}

dns_add_caa us.caa.example.com 0 issue "catena.test"
dns_add_caa them.caa.example.com 0 issue "other-ca.example"
dns_add_caa crit.caa.example.com 128 tbs "unknown"
dns_add_caa crit.caa.example.com 0 issue "catena.test"
dns_add_caa noncrit.caa.example.com 0 tbs "unknown"
dns_add_caa noncrit.caa.example.com 0 issue "catena.test"
dns_set_servfail sf.caa.example.com CAA
dns_add_caa w.caa.example.com 0 issue "catena.test"
dns_add_caa w.caa.example.com 0 issuewild ";"
dns_add_caa w2.caa.example.com 0 issue ";"
dns_add_caa w2.caa.example.com 0 issuewild "catena.test"
dns_add_caa vm.caa.example.com 0 issue "catena.test; validationmethods=dns-01"
dns_add_caa acct.caa.example.com 0 issue "catena.test; accounturi=https://elsewhere/acct/1"
dns_set_cname alias.caa.example.com them.caa.example.com

expect OK http none.caa.example.com
expect OK http us.caa.example.com
expect caa http them.caa.example.com
expect caa http child.them.caa.example.com
expect caa http alias.caa.example.com
expect caa http crit.caa.example.com
expect OK http noncrit.caa.example.com
expect dns http sf.caa.example.com
expect OK http w.caa.example.com
expect caa dns '*.w.caa.example.com'
expect OK dns '*.w2.caa.example.com'
expect caa http w2.caa.example.com
expect caa http vm.caa.example.com
expect OK dns vm.caa.example.com
expect caa http acct.caa.example.com

# accounturi naming lego's own account permits it (RFC 8657 3).
acct=$(find "$tmp/lego/accounts" -name account.json -exec \
    sed -n 's/.*"uri": *"\([^"]*\)".*/\1/p' {} \; | head -1)
[ -n "$acct" ] || fail "no account URL in lego's account file"
dns_add_caa acct2.caa.example.com 0 issue "catena.test; accounturi=$acct"
expect OK http acct2.caa.example.com
echo "CAA end to end: ok"
