#!/bin/sh
# lint_fixtures.sh CATENA SRCDIR WORKDIR - generate the lint fixtures and
# check that "catena lint" gives each the expected rule result, and exits
# non-zero on every bad-* fixture and zero-error on good-* ones.
set -eu
CATENA=${1:?}; SRC=${2:?}; WORK=${3:?}
sh "$SRC/tests/lint/gen_fixtures.sh" "$WORK" >/dev/null
cd "$WORK"
fail=0
while IFS="$(printf '\t')" read -r file rule want; do
    got=$("$CATENA" lint --issuer ca.pem --format json "$file" | /usr/bin/python3 -c "
import json,sys
r={x['rule']:x['result'] for x in json.load(sys.stdin)[0]['results']}
print(r.get('$rule','missing'))")
    if [ "$got" != "$want" ]; then
        echo "FAIL $file $rule: want $want, got $got"; fail=1
    else
        echo "ok   $file $rule $got"
    fi
done < expected.tsv
for f in bad-*; do
    if "$CATENA" lint --issuer ca.pem "$f" >/dev/null; then
        echo "FAIL $f: catena lint exited 0"; fail=1
    fi
done
exit $fail
