#!/bin/sh
# run_pg.sh URLFILE TEST - run TEST against a database of its own in the
# PostgreSQL whose URL tests/scripts/pg.sh wrote to URLFILE (the store
# suite drops and remakes the schema of the database named there). A
# missing server is a failure.
set -eu
if [ ! -s "$1" ]; then
    echo "run_pg.sh: no PostgreSQL URL in $1 (did pg.sh start fail?)" >&2
    exit 1
fi
pgurl=$(cat "$1")
dbname="issue_hook_$$"
trap 'psql -q "$pgurl" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1' \
    EXIT
psql -q "$pgurl" -c "CREATE DATABASE $dbname"
CATENA_TEST_STORE_URL=$(echo "$pgurl" | sed "s|/catena?|/$dbname?|")
export CATENA_TEST_STORE_URL
"$2"
