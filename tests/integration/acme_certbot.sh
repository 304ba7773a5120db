#!/bin/sh
# acme_certbot.sh CATENA - unmodified certbot against "catena serve":
# --standalone http-01, --manual dns-01 with hooks writing TXT records into
# the loopback DNS server, renewal, revocation; then, with the server
# restarted to require External Account Binding, registration without it
# refused and one http-01 issuance for a new account registered with
# --eab-kid/--eab-hmac-key. Chains verified and linted.
CATENA=$1
command -v certbot >/dev/null || exit 77
tmp=$(mktemp -d)
trap 'acme_cleanup; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"

acme_dns_start
acme_serve
export REQUESTS_CA_BUNDLE="$d/root.pem"
cb() {
    certbot --non-interactive --agree-tos -m ops@example.com \
        --server "$directory" --config-dir "$tmp/cb/etc" \
        --work-dir "$tmp/cb/work" --logs-dir "$tmp/cb/logs" "$@"
}

cb certonly --standalone --http-01-address 127.0.0.1 \
    --http-01-port "$http01_port" -d web.example.com -d www.example.com \
    >"$tmp/cb1.log" 2>&1 ||
    { cat "$tmp/cb1.log"; tail -30 "$tmp/serve.log"; fail "certbot http-01"; }
live="$tmp/cb/etc/live/web.example.com"
acme_check_chain "$live/fullchain.pem"
echo "certbot http-01: ok"

# dns-01 through manual hooks that talk to the DNS server's API.
cat >"$tmp/auth.sh" <<EOH
#!/bin/sh
curl -sf -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\",\"value\":\"\$CERTBOT_VALIDATION\"}" http://127.0.0.1:$mgmt_port/set-txt
EOH
cat >"$tmp/cleanup.sh" <<EOH
#!/bin/sh
curl -sf -d "{\"host\":\"_acme-challenge.\$CERTBOT_DOMAIN.\"}" http://127.0.0.1:$mgmt_port/clear-txt
EOH
chmod +x "$tmp/auth.sh" "$tmp/cleanup.sh"
cb certonly --manual --preferred-challenges dns \
    --manual-auth-hook "$tmp/auth.sh" --manual-cleanup-hook "$tmp/cleanup.sh" \
    -d dns.example.com -d '*.dns.example.com' >"$tmp/cb2.log" 2>&1 ||
    { cat "$tmp/cb2.log"; tail -30 "$tmp/serve.log"; fail "certbot dns-01"; }
acme_check_chain "$tmp/cb/etc/live/dns.example.com/fullchain.pem"
echo "certbot dns-01 (with wildcard): ok"

old=$(openssl x509 -in "$live/cert.pem" -noout -serial)
cb renew --force-renewal --no-random-sleep-on-renew --cert-name web.example.com \
    >"$tmp/cb3.log" 2>&1 || { cat "$tmp/cb3.log"; fail "certbot renew"; }
new=$(openssl x509 -in "$live/cert.pem" -noout -serial)
[ "$old" != "$new" ] || fail "renewal kept the old certificate"
acme_check_chain "$live/fullchain.pem"
echo "certbot renew: ok"

cb revoke --cert-path "$live/cert.pem" --reason keycompromise \
    --no-delete-after-revoke >"$tmp/cb4.log" 2>&1 ||
    { cat "$tmp/cb4.log"; tail -30 "$tmp/serve.log"; fail "certbot revoke"; }
acme_cert_status "$(echo "$new" | cut -d= -f2)" 2 ||
    fail "revocation not stored"
echo "certbot revoke: ok"

# External Account Binding required: a new account needs a key from
# "catena acme eab add"; one more issuance, with a fresh certbot account.
acme_require_eab
cbe() {
    certbot --non-interactive --agree-tos -m ops@example.com \
        --server "$directory" --config-dir "$tmp/cbe/etc" \
        --work-dir "$tmp/cbe/work" --logs-dir "$tmp/cbe/logs" "$@"
}
if cbe register >"$tmp/cb5.log" 2>&1; then
    fail "certbot registered without EAB"
fi
grep -qi "external account" "$tmp/cb5.log" ||
    { cat "$tmp/cb5.log"; fail "certbot: no externalAccountRequired"; }
acme_eab_add
cbe certonly --eab-kid "$eab_kid" --eab-hmac-key "$eab_hmac" --standalone \
    --http-01-address 127.0.0.1 --http-01-port "$http01_port" \
    -d eab.example.com >"$tmp/cb6.log" 2>&1 ||
    { cat "$tmp/cb6.log"; tail -30 "$tmp/serve.log"; fail "certbot EAB"; }
acme_check_chain "$tmp/cbe/etc/live/eab.example.com/fullchain.pem"
acme_eab_bound "$eab_kid"
echo "certbot with EAB: ok"
