# CRL and OCSP benchmarks (figures beside openssl in the same run):
#   tests/bench/bench_crl.sh build/catena [COUNT]
#   tests/bench/bench_ocsp.sh build/catena
# Registered with the label "bench" so a plain ctest run skips them.
add_test(NAME bench_crl COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/bench_crl.sh
    $<TARGET_FILE:catena>)
add_test(NAME bench_ocsp COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/bench_ocsp.sh
    $<TARGET_FILE:catena>)
set_tests_properties(bench_crl bench_ocsp PROPERTIES LABELS bench
    TIMEOUT 1800)
