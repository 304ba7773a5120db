# Integration tests of crl/: CRL shards published and verified by openssl,
# and "catena serve" answering OCSP and serving CRLs. Included by
# CMakeLists.txt here.
add_test(NAME integration_crl_publish
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/crl_publish.sh $<TARGET_FILE:catena>)
add_test(NAME integration_crl_ocsp
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/crl_ocsp.sh $<TARGET_FILE:catena>)
add_test(NAME integration_crl_postgres
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/crl_postgres.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_crl_publish integration_crl_ocsp
    integration_crl_postgres
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600)
