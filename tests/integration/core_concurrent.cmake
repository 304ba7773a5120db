# Issuance from several threads at once (single-issue and batch paths),
# through the bench tool's issuing loop. Included by CMakeLists.txt here.
add_test(NAME integration_core_concurrent
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_concurrent.sh
        $<TARGET_FILE:catena> $<TARGET_FILE:bench_issue>)
set_tests_properties(integration_core_concurrent
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
