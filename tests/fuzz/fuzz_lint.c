/* fuzz_lint.c - the linter's DER parsers: certificates, CRLs and OCSP
 * responses, as whole objects and as TBS, from untrusted bytes. */
#include <stddef.h>
#include <stdint.h>

#include "catena/lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
run(enum catena_rc (*fn)(const uint8_t *, size_t,
                         const struct catena_lint_ctx *,
                         struct catena_lint_report **),
    const uint8_t *data, size_t size, int is_tbs)
{
    struct catena_lint_ctx ctx = {.now = 1795000000, .is_tbs = is_tbs,
                                  .max_validity_seconds = 90 * 86400};
    struct catena_lint_report *report = NULL;
    char buf[512];

    if (fn(data, size, &ctx, &report) == CATENA_OK) {
        (void)catena_lint_report_errors(report, CATENA_LINT_WARN, buf,
                                        sizeof(buf));
        catena_lint_report_free(report);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int is_tbs = 0; is_tbs <= 1; is_tbs++) {
        run(catena_lint_cert, data, size, is_tbs);
        run(catena_lint_crl, data, size, is_tbs);
        run(catena_lint_ocsp, data, size, is_tbs);
    }
    return 0;
}
