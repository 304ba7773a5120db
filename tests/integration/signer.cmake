# Integration tests of the signer: CA keys are opened only by the signer
# process. Included by CMakeLists.txt here.
add_test(NAME integration_signer_key_isolation
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/signer_key_isolation.sh
        $<TARGET_FILE:catena>)
set_tests_properties(integration_signer_key_isolation
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
