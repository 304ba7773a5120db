# ACME load driver for bench_acme.sh, which finds it next to the catena
# binary as build/tests/bench/acme_load. It links catena_acme for the
# server's own base64url encoder.
add_executable(acme_load ${CMAKE_CURRENT_LIST_DIR}/acme_load.c)
target_include_directories(acme_load PRIVATE ${PROJECT_SOURCE_DIR}/acme)
target_link_libraries(acme_load PRIVATE catena_acme PkgConfig::CURL
    PkgConfig::JANSSON OpenSSL::Crypto Threads::Threads m)
