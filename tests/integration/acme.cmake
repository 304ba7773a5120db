# Integration tests of the ACME server (acme/): a real "catena serve" over
# HTTPS with the test client, certbot and lego. Included by CMakeLists.txt.
foreach(part client certbot lego)
    add_test(NAME integration_acme_${part}
        COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/acme_${part}.sh
            $<TARGET_FILE:catena>)
    set_tests_properties(integration_acme_${part} PROPERTIES
        LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 900)
endforeach()
