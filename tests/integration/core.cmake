# Integration tests of the issuing core (ca/): init, issue, revoke, status,
# and the signer dying mid-request. Included by CMakeLists.txt here.
add_executable(core_signer_kill ${CMAKE_CURRENT_LIST_DIR}/core_signer_kill.c)
target_include_directories(core_signer_kill PRIVATE ${PROJECT_SOURCE_DIR}/ca)
target_link_libraries(core_signer_kill PRIVATE catena_ca Threads::Threads)

add_test(NAME integration_core_init_issue
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_init_issue.sh $<TARGET_FILE:catena>)
add_test(NAME integration_core_signer_kill
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_signer_kill.sh
        $<TARGET_FILE:catena> $<TARGET_FILE:core_signer_kill>)
set_tests_properties(integration_core_init_issue integration_core_signer_kill
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600)
add_test(NAME integration_core_serve
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_serve.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_core_serve
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
add_test(NAME integration_core_postgres
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_postgres.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_core_postgres
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
add_test(NAME integration_core_mass_revoke
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_mass_revoke.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_core_mass_revoke
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
