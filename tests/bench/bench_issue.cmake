# Issuance throughput: run with
#   tests/bench/bench_issue.sh build/catena build/tests/bench/bench_issue
add_executable(bench_issue ${CMAKE_CURRENT_LIST_DIR}/bench_issue.c)
target_include_directories(bench_issue PRIVATE ${PROJECT_SOURCE_DIR}/ca)
target_link_libraries(bench_issue PRIVATE catena_ca Threads::Threads)
