#!/bin/sh
# lint_fixtures.sh CATENA SRCDIR WORKDIR [MKCRL [DERPATCH [LINTCTX]]] - generate
# the lint fixtures (tests/lint/gen_fixtures.sh) and check every row of
# tests/lint/expect.tsv: "catena lint --issuer ca.pem" (DIR/issuer.pem for
# fixtures under DIR/) must give that rule that result on that fixture; a
# row with a fourth column is checked with tests/lint/lintctx.c run with
# those options instead (the signer's context: --tbs, --shard-url,
# --blocked). Every bad-* fixture must make catena lint exit non-zero,
# every good-* fixture must exit zero.
# Then the coverage claim: every rule of "catena lint --list" needs a row
# where it passes and a row where it fails at its own severity, unless
# tests/lint/coverage-exceptions.tsv names it with a reason; an exception
# for a rule that has both is an error too, so the list cannot go stale.
set -eu
CATENA=${1:?}; SRC=${2:?}; WORK=${3:?}; MKCRL=${4:-}; DERPATCH=${5:-}; LINTCTX=${6:-}
abs() { case $1 in /*|"") echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
CATENA=$(abs "$CATENA"); MKCRL=$(abs "$MKCRL"); DERPATCH=$(abs "$DERPATCH")
LINTCTX=$(abs "$LINTCTX")
sh "$SRC/tests/lint/gen_fixtures.sh" "$WORK" "$MKCRL" "$DERPATCH" >/dev/null
cd "$WORK"
"$CATENA" lint --list --format json > rules.json
# Directories of fixtures issued by another CA than ca.pem.
subdirs=$(for i in */issuer.pem; do [ -f "$i" ] && dirname "$i"; done)
# One JSON run per issuer over every fixture, then the table is checked in
# Python.
"$CATENA" lint --issuer ca.pem --format json good-* edge-* warn-* bad-* ctx-* \
    > results.json || true
for d in $subdirs; do
    "$CATENA" lint --issuer "$d/issuer.pem" --format json "$d"/good-* "$d"/bad-* \
        > "results-$d.json" || true
done
fail=0
/usr/bin/python3 - "$SRC/tests/lint/expect.tsv" "$SRC/tests/lint/coverage-exceptions.tsv" \
    "$LINTCTX" $subdirs <<'PY' || fail=1
import json, os, shlex, subprocess, sys
expect, exceptions, lintctx, subdirs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rules = {r["name"]: r["severity"] for r in json.load(open("rules.json"))}
got = {}
for name in ["results.json"] + [f"results-{d}.json" for d in subdirs]:
    for rep in json.load(open(name)):
        got[(rep["file"], "")] = {x["rule"]: x["result"] for x in rep["results"]}

def issuer_of(f):
    d = os.path.dirname(f)
    return f"{d}/issuer.pem" if d else "ca.pem"

rows = []
for line in open(expect):
    if not line.strip() or line.startswith("#"):
        continue
    cols = line.rstrip("\n").split("\t")
    if len(cols) == 3:
        cols.append("")
    if len(cols) != 4 or cols[1] not in rules:
        print(f"FAIL malformed row or unknown rule: {line.rstrip()}")
        sys.exit(1)
    rows.append(cols)

# Rows with a context: one lintctx run per (options, issuer).
groups = {}
for f, _, _, ctx in rows:
    if ctx:
        groups.setdefault((ctx, issuer_of(f)), set()).add(f)
for (ctx, issuer), files in groups.items():
    if not lintctx:
        print("FAIL rows need lintctx, which was not given")
        sys.exit(1)
    out = subprocess.run([lintctx, "--issuer", issuer] + shlex.split(ctx) + sorted(files),
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(f"FAIL lintctx {ctx}: {out.stderr.strip()}")
        sys.exit(1)
    for l in out.stdout.splitlines():
        f, rule, res = l.split("\t")
        got.setdefault((f, ctx), {})[rule] = res

bad = 0
passing, failing = set(), set()
for f, rule, want, ctx in rows:
    have = got.get((f, ctx), {}).get(rule, "missing")
    if have != want:
        print(f"FAIL {f} {rule}{' [' + ctx + ']' if ctx else ''}: want {want}, got {have}")
        bad += 1
        continue
    if want == "pass":
        passing.add(rule)
    elif want == rules[rule]:
        failing.add(rule)

excepted = {}
for line in open(exceptions):
    if not line.strip() or line.startswith("#"):
        continue
    rule, why = line.rstrip("\n").split("\t", 1)
    excepted[rule] = why
both = [r for r in rules if r in passing and r in failing]
print(f"{len(both)} of {len(rules)} rules have a passing fixture and one failing at their severity")
for r in rules:
    if r in passing and r in failing:
        if r in excepted:
            print(f"FAIL {r} is covered: drop it from coverage-exceptions.tsv")
            bad += 1
        continue
    lacks = " and ".join(w for w, s in (("passing", passing), ("failing", failing)) if r not in s)
    if r in excepted:
        print(f"exception {r} (no {lacks} fixture): {excepted[r]}")
    else:
        print(f"FAIL {r} has no {lacks} fixture and no exception")
        bad += 1
for r in excepted:
    if r not in rules:
        print(f"FAIL coverage-exceptions.tsv names unknown rule {r}")
        bad += 1
sys.exit(1 if bad else 0)
PY
for f in bad-*; do
    if "$CATENA" lint --issuer ca.pem "$f" >/dev/null; then
        echo "FAIL $f: catena lint exited 0"; fail=1
    fi
done
for f in good-*; do
    if ! "$CATENA" lint --issuer ca.pem "$f" >/dev/null; then
        echo "FAIL $f: catena lint exited non-zero"; fail=1
    fi
done
for d in $subdirs; do
    for f in "$d"/bad-*; do
        if "$CATENA" lint --issuer "$d/issuer.pem" "$f" >/dev/null; then
            echo "FAIL $f: catena lint exited 0"; fail=1
        fi
    done
    for f in "$d"/good-*; do
        if ! "$CATENA" lint --issuer "$d/issuer.pem" "$f" >/dev/null; then
            echo "FAIL $f: catena lint exited non-zero"; fail=1
        fi
    done
done
# The operator's way to B7: "catena lint --weak-keys DIR" refuses the
# listed key, passes another, and rejects a list that is not one.
if "$CATENA" lint --issuer ca.pem --weak-keys weak ctx-b7-debian-weak.pem \
    >b7.out 2>&1 || ! grep -q e_key_debian_weak b7.out; then
    echo "FAIL catena lint --weak-keys did not refuse the listed key"; fail=1
fi
"$CATENA" lint --issuer ca.pem --weak-keys weak good-tls-rsa.pem >/dev/null ||
    { echo "FAIL catena lint --weak-keys refused an unlisted key"; fail=1; }
mkdir -p weak-bad && printf 'not-a-fingerprint\n' >weak-bad/list
if "$CATENA" lint --weak-keys weak-bad good-tls-rsa.pem >b7bad.out 2>&1 ||
    ! grep -q "weak-bad/list:1: not a weak-key fingerprint" b7bad.out; then
    echo "FAIL a malformed weak-key list: $(cat b7bad.out)"; fail=1
fi
# --shard-url and --tbs: a CRLDP naming another shard is an error; the
# unsigned TBS of a good certificate lints clean as the signer sees it.
if "$CATENA" lint --issuer ca.pem --shard-url http://ca.example.com/crl/9.crl \
    good-tls.pem >shard.out 2>&1 || ! grep -q e_cert_crldp_not_shard shard.out; then
    echo "FAIL catena lint --shard-url: $(cat shard.out)"; fail=1
fi
openssl asn1parse -in good-tls.pem -strparse 4 -noout -out good-tls.tbs.der >/dev/null
"$CATENA" lint --issuer ca.pem --tbs good-tls.tbs.der >tbs.out 2>&1 ||
    { echo "FAIL catena lint --tbs on a good TBS: $(cat tbs.out)"; fail=1; }
[ $fail -eq 0 ] && echo "all fixture expectations hold"
exit $fail
