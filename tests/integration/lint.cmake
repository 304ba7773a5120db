# Integration tests of "catena lint" (included by the lead's
# tests/integration/CMakeLists.txt).
add_library(lint_fixture_io STATIC ${PROJECT_SOURCE_DIR}/tests/lint/fixture_io.c)
target_link_libraries(lint_fixture_io PUBLIC OpenSSL::Crypto)
# mkcrl writes the CRL fixtures "openssl ca -gencrl" refuses to (reason 7).
add_executable(lint_mkcrl ${PROJECT_SOURCE_DIR}/tests/lint/mkcrl.c)
target_link_libraries(lint_mkcrl PRIVATE catena_ca lint_fixture_io OpenSSL::Crypto)
# derpatch edits and re-signs DER no CLI writes (uniqueIdentifier, an
# encoded DEFAULT, an empty SEQUENCE); lintctx lints with the context the
# signer has and "catena lint" cannot pass (a TBS, a shard URL, CA state).
add_executable(lint_derpatch ${PROJECT_SOURCE_DIR}/tests/lint/derpatch.c)
target_link_libraries(lint_derpatch PRIVATE catena_ca lint_fixture_io OpenSSL::Crypto)
add_executable(lint_lintctx ${PROJECT_SOURCE_DIR}/tests/lint/lintctx.c)
target_include_directories(lint_lintctx PRIVATE ${PROJECT_SOURCE_DIR}/ca)
target_link_libraries(lint_lintctx PRIVATE catena_ca catena_lint lint_fixture_io
    OpenSSL::Crypto)
add_test(NAME integration_lint_fixtures
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lint_fixtures.sh $<TARGET_FILE:catena>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/lint-fixtures
            $<TARGET_FILE:lint_mkcrl> $<TARGET_FILE:lint_derpatch>
            $<TARGET_FILE:lint_lintctx>)
add_test(NAME integration_lint_zlint_corpus
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lint_zlint_corpus.sh $<TARGET_FILE:catena>)
set_tests_properties(integration_lint_fixtures integration_lint_zlint_corpus
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77)
