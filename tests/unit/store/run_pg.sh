#!/bin/sh
# run_pg.sh URLFILE TEST - run the store suite against the PostgreSQL whose
# URL tests/scripts/pg.sh wrote to URLFILE. A missing server is a failure.
set -eu
if [ ! -s "$1" ]; then
    echo "run_pg.sh: no PostgreSQL URL in $1 (did pg.sh start fail?)" >&2
    exit 1
fi
CATENA_TEST_STORE_URL=$(cat "$1")
export CATENA_TEST_STORE_URL
exec "$2"
