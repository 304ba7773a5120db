# CAA and validation tests (the "validation" part). catena-testdns is the
# loopback DNS server of tests/integration/lib/dns.sh and of the unit tests
# in tests/unit/caa and tests/unit/validate.
add_executable(catena_testdns ${CMAKE_CURRENT_LIST_DIR}/lib/testdns.c)
target_link_libraries(catena_testdns PRIVATE PkgConfig::LDNS)
set_target_properties(catena_testdns PROPERTIES OUTPUT_NAME catena-testdns)

# CAA end to end: catena serve + lego against the loopback DNS server.
add_test(NAME integration_caa_lego
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/caa_lego.sh $<TARGET_FILE:catena>
        $<TARGET_FILE:catena_testdns>)
set_tests_properties(integration_caa_lego PROPERTIES
    LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 900)

# "catena caa check" decisions against the loopback DNS server.
add_test(NAME integration_caa_cli
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/caa_cli.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_caa_cli PROPERTIES
    LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
