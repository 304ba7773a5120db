#!/bin/sh
# Installs dependencies, builds Catena twice (normal, and ASan+UBSan) and runs
# every test: unit + integration on the normal build, unit under the
# sanitizers. ctest's output is what CI reads.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

./deploy/install-deps.sh

cmake -S . -B build -DCATENA_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$jobs"

cmake -S . -B build-asan -DCATENA_WERROR=ON -DCATENA_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug
cmake --build build-asan -j"$jobs"

status=0
# --no-tests=error: a suite that ran no test does not count.
ctest --test-dir build --output-on-failure --no-tests=error -j"$jobs" \
    --timeout 600 || status=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan -L unit --output-on-failure \
    --no-tests=error -j"$jobs" --timeout 600 || status=1
exit $status
