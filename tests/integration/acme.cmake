# Integration tests of the ACME server (acme/): a real "catena serve" over
# HTTPS with the test client, certbot, lego, uacme and dehydrated
# (acme_uacme.sh runs both). Included by CMakeLists.txt.
foreach(part client certbot lego uacme)
    add_test(NAME integration_acme_${part}
        COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/acme_${part}.sh
            $<TARGET_FILE:catena>)
    set_tests_properties(integration_acme_${part} PROPERTIES
        LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 900)
endforeach()
# EAB on PostgreSQL: the server tests/unit/store starts (fixture
# "postgres"); the script makes a database of its own in it.
add_test(NAME integration_acme_eab_pg
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/acme_eab_pg.sh $<TARGET_FILE:catena>
        ${PROJECT_BINARY_DIR}/tests/unit/store/pg/url)
set_tests_properties(integration_acme_eab_pg PROPERTIES
    LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300
    FIXTURES_REQUIRED postgres)
# Multi-Perspective Issuance Corroboration: six "catena perspective"
# agents on loopback, each with its own DNS server (catena-testdns).
add_test(NAME integration_acme_mpic
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/acme_mpic.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_acme_mpic PROPERTIES
    LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
