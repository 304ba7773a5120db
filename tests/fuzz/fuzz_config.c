/* fuzz_config.c - the INI configuration loader (schemas, typed values). */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "catena/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct catena_config *cfg = NULL;
    struct catena_err err;
    char path[64];
    int fd = memfd_create("fuzz.conf", MFD_CLOEXEC);

    if (fd < 0) {
        return 0;
    }
    if (write(fd, data, size) == (ssize_t)size) {
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (catena_config_load(path, catena_core_config_schemas,
                               catena_core_num_config_schemas, &cfg,
                               &err) == CATENA_OK) {
            int64_t v;

            if (catena_config_get_int(cfg, "http", NULL, "threads", 4, &v,
                                      &err) != CATENA_OK) {
                v = 0; /* a malformed value is an error, not a crash */
            }
            catena_config_free(cfg);
        }
    }
    close(fd);
    return 0;
}
