#!/bin/sh
# caa_cli.sh CATENA - "catena caa check" against a real loopback DNS server:
# issue / issuewild / issuemail decisions, tree climbing, an unknown
# critical tag, and fail-closed on SERVFAIL and on no answer.
set -eu
CATENA=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/dns.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
trap 'dns_stop || true' EXIT
dns_start || fail "DNS server"
R=$DNS_RESOLVER

# expect permitted|refused ARGS...: runs catena caa check with our identity.
expect() {
    want=$1
    shift
    out=$("$CATENA" caa check --resolver "$R" --identity catena.example.net "$@" 2>&1) && got=permitted || got=refused
    [ "$got" = "$want" ] || fail "caa check $* gave $got, want $want: $out"
    echo "$want: $* ($out)"
}

expect permitted none.example.com                     # no CAA anywhere
dns_add_caa us.example.com 0 issue "catena.example.net"
expect permitted us.example.com
expect permitted www.us.example.com                   # climbs to the parent
dns_add_caa other.example.com 0 issue "otherca.example"
expect refused other.example.com
expect refused deep.sub.other.example.com
dns_add_caa wild.example.com 0 issue "catena.example.net"
dns_add_caa wild.example.com 0 issuewild ";"
expect permitted wild.example.com
expect refused '*.wild.example.com'                   # issuewild forbids
dns_add_caa crit.example.com 128 tbs "unknown"
dns_add_caa crit.example.com 0 issue "catena.example.net"
expect refused crit.example.com                       # unknown critical tag
dns_add_caa mail.example.com 0 issuemail "catena.example.net"
dns_add_caa mail.example.com 0 issue ";"
expect permitted --email alice@mail.example.com       # issuemail names us
expect refused mail.example.com                       # but TLS is forbidden
dns_add_caa nomail.example.com 0 issuemail "otherca.example"
expect refused --email bob@nomail.example.com
dns_add_caa acct.example.com 0 issue "catena.example.net; accounturi=https://ca/acct/1"
expect permitted --account-uri https://ca/acct/1 acct.example.com
expect refused --account-uri https://ca/acct/2 acct.example.com
dns_set_servfail broken.example.com CAA
expect refused broken.example.com                     # fail closed
dns_set_drop silent.example.com CAA
expect refused silent.example.com                     # timeout: fail closed
echo "caa_cli: OK"
exit 0
