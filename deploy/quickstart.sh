#!/bin/sh
# Installs dependencies, builds Catena and runs the demo: a CA in ./demo on
# the embedded default (SQLite), every service on loopback. Ctrl-C stops it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"

demo=${CATENA_DEMO_DIR:-$top/demo}
if [ ! -f "$demo/catena.conf" ]; then
    ./build/catena init --dir "$demo" --hostname localhost \
        --acme-listen 127.0.0.1:14000
fi
./build/catena serve --check --config "$demo/catena.conf"
echo "demo CA in $demo; trust $demo/root.pem;" \
    "ACME directory https://localhost:14000/directory"
exec ./build/catena serve --config "$demo/catena.conf"
