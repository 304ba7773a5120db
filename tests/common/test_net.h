/*
 * test_net.h - socket helpers shared by the C tests' loopback servers.
 */
#ifndef CATENA_TEST_NET_H
#define CATENA_TEST_NET_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* test_send_all writes all of |buf| to |c|, giving up silently when the
 * peer is gone (a test server's client may hang up mid-answer). */
static inline void
test_send_all(int c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(c, buf, len, MSG_NOSIGNAL);

        if (n <= 0) {
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

#endif
