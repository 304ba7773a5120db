# dns.sh - a real loopback DNS server for integration tests (sourced).
#
# The server is catena-testdns (tests/integration/lib/testdns.c, built
# beside the catena binary: tests/integration/catena-testdns in the build
# tree). It answers on 127.0.0.1 UDP from a data file that it re-reads on
# every query, so the functions below change records at once, with no
# reload and no management port. It exits by itself when the shell that
# started it exits.
#
#   . tests/integration/lib/dns.sh
#   dns_start [TESTDNS_BINARY]    # sets DNS_PORT, DNS_RESOLVER, DNS_PID
#   dns_default_a 127.0.0.1       # every name without A records -> this
#   dns_add_a NAME IP             dns_add_aaaa NAME IP
#   dns_set_txt NAME VALUE        # replaces NAME's TXT records
#   dns_add_txt NAME VALUE        dns_clear_txt NAME
#   dns_add_caa NAME FLAGS TAG VALUE   # e.g. dns_add_caa x.test 128 tbs v
#   dns_set_cname NAME TARGET
#   dns_set_servfail NAME [TYPE]  # SERVFAIL for NAME (only TYPE if given)
#   dns_set_refused NAME [TYPE]   dns_set_drop NAME [TYPE] (never answers)
#   dns_clear NAME                # every record and behaviour of NAME
#   dns_stop
#
# Names are written without the trailing dot (one is accepted and removed).
# For ACME dns-01 hooks: dns_set_txt "_acme-challenge.$domain" "$value".
# The binary is found from $1, $CATENA_TESTDNS, or next to $CATENA.

dns_start() {
    DNS_BIN=${1:-${CATENA_TESTDNS:-}}
    if [ -z "$DNS_BIN" ] && [ -n "${CATENA:-}" ]; then
        DNS_BIN="$(dirname "$CATENA")/tests/integration/catena-testdns"
    fi
    [ -x "$DNS_BIN" ] || { echo "dns.sh: no catena-testdns ($DNS_BIN)" >&2; return 1; }
    DNS_DIR=$(mktemp -d)
    DNS_DATA="$DNS_DIR/records"
    : >"$DNS_DATA"
    "$DNS_BIN" 127.0.0.1:0 "$DNS_DATA" >"$DNS_DIR/port" 2>"$DNS_DIR/log" &
    DNS_PID=$!
    _i=0
    until grep -q '^port ' "$DNS_DIR/port" 2>/dev/null; do
        _i=$((_i + 1))
        if [ $_i -gt 100 ] || ! kill -0 "$DNS_PID" 2>/dev/null; then
            cat "$DNS_DIR/log" >&2
            echo "dns.sh: server did not start" >&2
            return 1
        fi
        sleep 0.05
    done
    DNS_PORT=$(sed -n 's/^port //p' "$DNS_DIR/port")
    DNS_RESOLVER="127.0.0.1:$DNS_PORT"
    export DNS_PORT DNS_RESOLVER DNS_DATA
}

dns_stop() {
    if [ -n "${DNS_PID:-}" ]; then
        kill "$DNS_PID" 2>/dev/null
        wait "$DNS_PID" 2>/dev/null
        DNS_PID=""
    fi
    [ -n "${DNS_DIR:-}" ] && rm -rf "$DNS_DIR"
    DNS_DIR=""
}

# _dns_name NAME: lower case, trailing dot removed.
_dns_name() {
    printf '%s' "${1%.}" | tr 'A-Z' 'a-z'
}

# _dns_append LINE: adds one line, atomically for a concurrent reader.
_dns_append() {
    cp "$DNS_DATA" "$DNS_DATA.tmp" && printf '%s\n' "$1" >>"$DNS_DATA.tmp" &&
        mv "$DNS_DATA.tmp" "$DNS_DATA"
}

# _dns_drop NAME [TYPE]: removes NAME's lines (of TYPE only, if given).
_dns_drop() {
    _n=$(_dns_name "$1")
    awk -v n="$_n" -v t="$2" \
        '!($1 == n && (t == "" || toupper($2) == toupper(t)))' \
        "$DNS_DATA" >"$DNS_DATA.tmp" && mv "$DNS_DATA.tmp" "$DNS_DATA"
}

dns_default_a() { _dns_drop '*' A; _dns_append "* A $1"; }
dns_add_a() { _dns_append "$(_dns_name "$1") A $2"; }
dns_add_aaaa() { _dns_append "$(_dns_name "$1") AAAA $2"; }
dns_add_txt() { _dns_append "$(_dns_name "$1") TXT \"$2\""; }
dns_set_txt() { _dns_drop "$1" TXT; dns_add_txt "$1" "$2"; }
dns_clear_txt() { _dns_drop "$1" TXT; }
dns_add_caa() { _dns_append "$(_dns_name "$1") CAA $2 $3 \"$4\""; }
dns_set_cname() { _dns_drop "$1" CNAME; _dns_append "$(_dns_name "$1") CNAME $2"; }
dns_set_servfail() { _dns_append "$(_dns_name "$1") SERVFAIL ${2:-}"; }
dns_set_refused() { _dns_append "$(_dns_name "$1") REFUSED ${2:-}"; }
dns_set_drop() { _dns_append "$(_dns_name "$1") DROP ${2:-}"; }
dns_clear() { _dns_drop "$1"; }
