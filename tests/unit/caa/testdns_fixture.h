/*
 * testdns_fixture.h - start and stop the loopback test DNS server
 * (tests/integration/lib/testdns.c, path in TESTDNS_PATH) from a cmocka
 * test, and rewrite its records.
 */
#ifndef CATENA_TESTDNS_FIXTURE_H
#define CATENA_TESTDNS_FIXTURE_H

#include <sys/types.h>

struct testdns {
    pid_t pid;
    char dir[256];
    char data[512];
    char resolver[64]; /* "127.0.0.1:PORT" */
};

/* testdns_start spawns the server on 127.0.0.1; 0 on success. */
int testdns_start(struct testdns *t);

/* testdns_write replaces the whole data file atomically; 0 on success. */
int testdns_write(struct testdns *t, const char *records);

/* testdns_stop kills the server and removes its files. */
void testdns_stop(struct testdns *t);

#endif
