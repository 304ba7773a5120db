#!/bin/sh
# pg.sh - a throw-away PostgreSQL server for tests.
#
#   pg.sh start DIR   initdb + start a server, create database "catena",
#                     print its URL and write it to DIR/url
#   pg.sh stop DIR    stop that server and delete its data
#
# The server listens only on a unix socket and on 127.0.0.1 at a free port;
# authentication is "trust", the superuser is "postgres". initdb and pg_ctl
# refuse to run as root, so as root they run as the postgres user. The data
# directory and socket live in a short /tmp directory (unix socket paths
# are limited to 107 bytes and postgres must be able to reach them); DIR
# keeps only the URL and the path of that directory.
#
# The server is throw-away, so by default it does not fsync (tests run
# several times faster); PG_DURABLE=1 keeps PostgreSQL's durable defaults,
# e.g. to measure commit rates.
set -eu

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2

pg_bin=${PG_BIN:-}
if [ -z "$pg_bin" ]; then
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V); do
        pg_bin=$d
    done
fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/pg_ctl" ]; then
    echo "pg.sh: no PostgreSQL server binaries (set PG_BIN)" >&2
    exit 1
fi

# as_pg runs a command as the server's owner.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

stop() {
    [ -f "$dir/pgdir" ] || return 0
    data=$(cat "$dir/pgdir")
    case $data in
    /tmp/catena-pg.*) ;;
    *)
        echo "pg.sh: refusing to remove $data" >&2
        exit 1
        ;;
    esac
    if [ -f "$data/data/postmaster.pid" ]; then
        as_pg "$pg_bin/pg_ctl" -D "$data/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$data"
    rm -f "$dir/pgdir" "$dir/url"
}

start() {
    mkdir -p "$dir"
    stop
    data=$(mktemp -d /tmp/catena-pg.XXXXXX)
    echo "$data" >"$dir/pgdir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres "$data"
    fi
    if ! as_pg "$pg_bin/initdb" -D "$data/data" -A trust -U postgres \
        --no-sync -E UTF8 >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        echo "pg.sh: initdb failed" >&2
        exit 1
    fi
    durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if [ "${PG_DURABLE:-0}" = 1 ]; then
        durability=""
    fi
    tries=0
    while :; do
        port=$(free_port)
        if as_pg "$pg_bin/pg_ctl" -D "$data/data" -l "$data/server.log" -w \
            -t 60 -o "-c listen_addresses=127.0.0.1 -c port=$port \
            -c unix_socket_directories=$data -c max_connections=50 \
            $durability" \
            start >/dev/null 2>&1; then
            break
        fi
        # Another process may have taken the port between probe and bind.
        tries=$((tries + 1))
        if [ $tries -ge 5 ]; then
            cat "$data/server.log" >&2 || true
            echo "pg.sh: the server did not start" >&2
            exit 1
        fi
    done
    cp "$data/server.log" "$dir/server.log" 2>/dev/null || true
    if ! as_pg "$pg_bin/createdb" -h "$data" -p "$port" -U postgres catena; then
        echo "pg.sh: createdb failed" >&2
        exit 1
    fi
    url="postgresql:///catena?host=$data&port=$port&user=postgres"
    echo "$url" >"$dir/url"
    echo "$url"
}

case $cmd in
start) start ;;
stop) stop ;;
*) usage ;;
esac
