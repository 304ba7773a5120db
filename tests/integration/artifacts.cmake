# Everything Catena signs lints clean (issue #3 acceptance).
add_test(NAME integration_lint_own_artifacts
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/lint_own_artifacts.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_lint_own_artifacts PROPERTIES
    LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 600)
