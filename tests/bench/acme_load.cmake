# ACME load driver for bench_acme.sh, which finds it next to the catena
# binary as build/tests/bench/acme_load. It links catena_acme for the
# server's own base64url encoder; its HTTP client (acme_http.c) is
# HTTP/1.1 straight over OpenSSL.
add_executable(acme_load ${CMAKE_CURRENT_LIST_DIR}/acme_load.c
    ${CMAKE_CURRENT_LIST_DIR}/acme_http.c)
target_include_directories(acme_load PRIVATE ${PROJECT_SOURCE_DIR}/acme)
target_link_libraries(acme_load PRIVATE catena_acme PkgConfig::JANSSON
    OpenSSL::SSL OpenSSL::Crypto Threads::Threads m)
# The driver's HTTP client parses what the server under test sends: its
# limits and its answers to malformed responses are tested against a real
# TLS server.
if(CMOCKA_FOUND)
    add_executable(test_acme_http ${CMAKE_CURRENT_LIST_DIR}/test_acme_http.c
        ${CMAKE_CURRENT_LIST_DIR}/acme_http.c)
    target_link_libraries(test_acme_http PRIVATE OpenSSL::SSL OpenSSL::Crypto
        Threads::Threads PkgConfig::CMOCKA)
    add_test(NAME unit_bench_acme_http COMMAND test_acme_http)
    set_tests_properties(unit_bench_acme_http PROPERTIES LABELS unit
        TIMEOUT 120)
else()
    message(WARNING "cmocka not found: test_acme_http skipped")
endif()
