# Batch issuance (catena_ca_issue_batch): a lint refusal inside a batch and
# a signer killed mid-batch. Included by CMakeLists.txt here.
add_executable(core_batch ${CMAKE_CURRENT_LIST_DIR}/core_batch.c)
target_include_directories(core_batch PRIVATE ${PROJECT_SOURCE_DIR}/ca)
target_link_libraries(core_batch PRIVATE catena_ca Threads::Threads)
add_test(NAME integration_core_batch
    COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/core_batch.sh
        $<TARGET_FILE:catena> $<TARGET_FILE:core_batch>)
set_tests_properties(integration_core_batch
    PROPERTIES LABELS integration SKIP_RETURN_CODE 77 TIMEOUT 300)
