#!/bin/sh
# Installs every Debian package Catena's build, tests and benchmarks need.
# Idempotent: apt-get install skips what is already there. Run as root.
set -eu

PACKAGES="
build-essential cmake pkg-config git ca-certificates
libssl-dev openssl
libmicrohttpd-dev libgnutls28-dev
libjansson-dev
libpq-dev postgresql postgresql-client
libldns-dev ldnsutils bind9-dnsutils
libsqlite3-dev sqlite3
libcurl4-openssl-dev curl
libnghttp2-dev
libprotobuf-c-dev protobuf-c-compiler
libpsl-dev publicsuffix
libinih-dev
libcmocka-dev
libseccomp-dev
strace time jq
clang libclang-rt-14-dev
certbot lego uacme dehydrated pebble wrk nsd
python3 python3-grpcio python3-cryptography python3-acme python3-protobuf
"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $PACKAGES

# The benchmark runs its own NSD on a loopback port; the packaged service
# (started by the package on machines with systemd) is not wanted.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now nsd.service >/dev/null 2>&1 || true
fi
