# Integration tests of "catena lint" (included by the lead's
# tests/integration/CMakeLists.txt).
add_test(NAME integration_lint_fixtures
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lint_fixtures.sh $<TARGET_FILE:catena>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/lint-fixtures)
add_test(NAME integration_lint_zlint_corpus
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lint_zlint_corpus.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_lint_fixtures integration_lint_zlint_corpus
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
