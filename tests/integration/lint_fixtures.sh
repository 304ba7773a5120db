#!/bin/sh
# lint_fixtures.sh CATENA SRCDIR WORKDIR [MKCRL] - generate the lint fixtures
# (tests/lint/gen_fixtures.sh) and check every row of tests/lint/expect.tsv:
# "catena lint --issuer ca.pem" (sub/issuer.pem for sub/*) must give that
# rule that result on that fixture. Every bad-* fixture must make catena lint exit non-zero, every
# good-* fixture must exit zero. Prints how many rules have both a passing
# and a failing fixture, and which lack one.
set -eu
CATENA=${1:?}; SRC=${2:?}; WORK=${3:?}; MKCRL=${4:-}
case $CATENA in /*) ;; *) CATENA=$PWD/$CATENA ;; esac
case $MKCRL in /*|"") ;; *) MKCRL=$PWD/$MKCRL ;; esac
sh "$SRC/tests/lint/gen_fixtures.sh" "$WORK" "$MKCRL" >/dev/null
cd "$WORK"
"$CATENA" lint --list --format json > rules.json
# One JSON run over every fixture, then the table is checked in Python.
"$CATENA" lint --issuer ca.pem --format json good-* edge-* warn-* bad-* > results.json || true
# Fixtures under sub/ were issued by the constrained sub-CA sub/issuer.pem.
"$CATENA" lint --issuer sub/issuer.pem --format json sub/good-* sub/bad-* > results-sub.json || true
fail=0
/usr/bin/python3 - "$SRC/tests/lint/expect.tsv" <<'PY' || fail=1
import json, sys
rules = [r["name"] for r in json.load(open("rules.json"))]
got = {}
for rep in json.load(open("results.json")) + json.load(open("results-sub.json")):
    got[rep["file"]] = {x["rule"]: x["result"] for x in rep["results"]}
bad = 0
passing, failing = set(), set()
for line in open(sys.argv[1]):
    if not line.strip() or line.startswith("#"):
        continue
    f, rule, want = line.rstrip("\n").split("\t")
    have = got.get(f, {}).get(rule, "missing")
    if have != want:
        print(f"FAIL {f} {rule}: want {want}, got {have}")
        bad += 1
        continue
    (passing if want == "pass" else failing).add(rule)
both = [r for r in rules if r in passing and r in failing]
print(f"{len(both)} of {len(rules)} rules have a passing and a failing fixture")
print("no passing fixture:", " ".join(r for r in rules if r not in passing) or "-")
print("no failing fixture:", " ".join(r for r in rules if r not in failing) or "-")
sys.exit(1 if bad else 0)
PY
for f in bad-* sub/bad-*; do
    case $f in sub/*) issuer=sub/issuer.pem ;; *) issuer=ca.pem ;; esac
    if "$CATENA" lint --issuer "$issuer" "$f" >/dev/null; then
        echo "FAIL $f: catena lint exited 0"; fail=1
    fi
done
for f in good-* sub/good-*; do
    case $f in sub/*) issuer=sub/issuer.pem ;; *) issuer=ca.pem ;; esac
    if ! "$CATENA" lint --issuer "$issuer" "$f" >/dev/null; then
        echo "FAIL $f: catena lint exited non-zero"; fail=1
    fi
done
[ $fail -eq 0 ] && echo "all fixture expectations hold"
exit $fail
