# Lint throughput: run with
#   tests/bench/bench_lint.sh build/catena build/tests/bench/bench_lint
add_executable(bench_lint ${CMAKE_CURRENT_LIST_DIR}/bench_lint.c)
target_link_libraries(bench_lint PRIVATE catena_ca)
target_link_libraries(bench_lint PRIVATE OpenSSL::Crypto)
