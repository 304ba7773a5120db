#!/bin/sh
# acme_uacme.sh CATENA - two more unmodified clients against "catena serve":
# uacme (C, libcurl-gnutls; asks for nonces with GET, polls the challenge)
# and dehydrated (shell and curl), each registering, obtaining with
# http-01 from a webroot served on the configured http-01 port, obtaining
# again, and revoking. Every certificate is verified with openssl and
# linted.
CATENA=$1
command -v uacme >/dev/null && command -v dehydrated >/dev/null || exit 77
tmp=$(mktemp -d)
trap 'acme_cleanup; kill "$web" 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/acme_common.sh"

acme_dns_start
acme_serve
mkdir -p "$tmp/www/.well-known/acme-challenge" "$tmp/dh"
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$tmp/www" \
    "$http01_port" >"$tmp/web.log" 2>&1 &
web=$!

# uacme: its hook writes the key authorization where the webroot serves it.
cat >"$tmp/hook.sh" <<EOH
#!/bin/sh
# \$1 begin|done|failed, \$2 challenge type, \$3 identifier, \$4 token,
# \$5 key authorization. Only http-01 is offered to take.
[ "\$2" = http-01 ] || exit 1
case "\$1" in
begin) printf '%s' "\$5" >"$tmp/www/.well-known/acme-challenge/\$4" ;;
*) rm -f "$tmp/www/.well-known/acme-challenge/\$4" ;;
esac
EOH
chmod +x "$tmp/hook.sh"
# uacme's libcurl-gnutls trusts only the system bundle (no environment
# variable moves it): in a mount namespace of its own, uacme sees a bundle
# that also holds the test root. The system's own file is not touched.
cat /etc/ssl/certs/ca-certificates.crt "$d/root.pem" >"$tmp/bundle.pem" \
    2>/dev/null || cp "$d/root.pem" "$tmp/bundle.pem"
if unshare -m true 2>/dev/null && [ -e /etc/ssl/certs/ca-certificates.crt ]; then
    ua() {
        unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt &&
            exec uacme "$@"' "$tmp/bundle.pem" -v -y -t EC -a "$directory" \
            -c "$tmp/uacme" -h "$tmp/hook.sh" "$@"
    }
    ua new ops@example.com >"$tmp/u1.log" 2>&1 ||
        { cat "$tmp/u1.log"; tail -30 "$tmp/serve.log"; fail "uacme new"; }
    ua issue ua.example.com >"$tmp/u2.log" 2>&1 ||
        { cat "$tmp/u2.log"; tail -30 "$tmp/serve.log"; fail "uacme issue"; }
    acme_check_chain "$tmp/uacme/ua.example.com/cert.pem"
    first=$(openssl x509 -noout -serial -in "$tmp/uacme/ua.example.com/cert.pem")
    ua -f issue ua.example.com >"$tmp/u3.log" 2>&1 ||
        { cat "$tmp/u3.log"; fail "uacme issue again"; }
    acme_check_chain "$tmp/uacme/ua.example.com/cert.pem"
    second=$(openssl x509 -noout -serial -in "$tmp/uacme/ua.example.com/cert.pem")
    [ "$first" != "$second" ] || fail "uacme: no new certificate"
    ua revoke "$tmp/uacme/ua.example.com/cert.pem" >"$tmp/u4.log" 2>&1 ||
        { cat "$tmp/u4.log"; fail "uacme revoke"; }
    acme_cert_status "${second#serial=}" 2 || fail "uacme: not revoked"
    echo "uacme: new, issue, issue again, revoke: ok"
else
    echo "uacme: skipped (no mount namespace to give it the test root)"
fi

# dehydrated: curl reads CURL_CA_BUNDLE.
cat >"$tmp/dh.conf" <<EOC
CA="$directory"
BASEDIR="$tmp/dh"
WELLKNOWN="$tmp/www/.well-known/acme-challenge"
KEY_ALGO=prime256v1
CONTACT_EMAIL=ops@example.com
EOC
dh() { CURL_CA_BUNDLE="$d/root.pem" dehydrated -f "$tmp/dh.conf" "$@"; }
dh --register --accept-terms >"$tmp/d1.log" 2>&1 ||
    { cat "$tmp/d1.log"; fail "dehydrated register"; }
dh -c -d de.example.com >"$tmp/d2.log" 2>&1 ||
    { cat "$tmp/d2.log"; tail -30 "$tmp/serve.log"; fail "dehydrated issue"; }
acme_check_chain "$tmp/dh/certs/de.example.com/fullchain.pem"
dh -c --force -d de.example.com >"$tmp/d3.log" 2>&1 ||
    { cat "$tmp/d3.log"; fail "dehydrated issue again"; }
acme_check_chain "$tmp/dh/certs/de.example.com/fullchain.pem"
serial=$(openssl x509 -noout -serial -in "$tmp/dh/certs/de.example.com/cert.pem")
dh --revoke "$tmp/dh/certs/de.example.com/cert.pem" >"$tmp/d4.log" 2>&1 ||
    { cat "$tmp/d4.log"; fail "dehydrated revoke"; }
acme_cert_status "${serial#serial=}" 2 || fail "dehydrated: not revoked"
echo "dehydrated: register, issue, issue again, revoke: ok"
