/* testdns_fixture.c - see testdns_fixture.h. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testdns_fixture.h"
#include "../../common/test_tmp.h"

extern char **environ;

int
testdns_start(struct testdns *t)
{
    posix_spawn_file_actions_t fa;
    char *argv[4];
    char buf[64] = "";
    size_t got = 0;
    int pfd[2];
    int rc = -1;

    memset(t, 0, sizeof(*t));
    if (test_mkdtemp(t->dir, sizeof(t->dir), "catena-testdns-") == NULL) {
        return -1;
    }
    snprintf(t->data, sizeof(t->data), "%s/records", t->dir);
    if (testdns_write(t, "") != 0 || pipe(pfd) != 0) {
        return -1;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    argv[0] = (char *)TESTDNS_PATH;
    argv[1] = (char *)"127.0.0.1:0";
    argv[2] = t->data;
    argv[3] = NULL;
    if (posix_spawn(&t->pid, TESTDNS_PATH, &fa, NULL, argv, environ) != 0) {
        t->pid = 0;
        goto out;
    }
    close(pfd[1]);
    pfd[1] = -1;
    /* Wait for "port N\n"; the server prints it once it is bound. */
    while (got + 1 < sizeof(buf) && strchr(buf, '\n') == NULL) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        ssize_t n;
        if (poll(&p, 1, 10000) <= 0) {
            goto out;
        }
        n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
        if (n <= 0) {
            goto out;
        }
        got += (size_t)n;
        buf[got] = '\0';
    }
    if (strncmp(buf, "port ", 5) != 0) {
        goto out;
    }
    buf[strcspn(buf, "\n")] = '\0';
    snprintf(t->resolver, sizeof(t->resolver), "127.0.0.1:%.8s", buf + 5);
    rc = 0;
out:
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[0]);
    if (pfd[1] >= 0) {
        close(pfd[1]);
    }
    if (rc != 0) {
        testdns_stop(t);
    }
    return rc;
}

int
testdns_write(struct testdns *t, const char *records)
{
    char tmp[600];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", t->data);
    f = fopen(tmp, "w");
    if (f == NULL) {
        return -1;
    }
    if (fputs(records, f) < 0) {
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) {
        return -1;
    }
    return rename(tmp, t->data);
}

void
testdns_stop(struct testdns *t)
{
    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        while (waitpid(t->pid, NULL, 0) < 0 && errno == EINTR) {
        }
        t->pid = 0;
    }
    if (t->data[0] != '\0') {
        unlink(t->data);
    }
    if (t->dir[0] != '\0') {
        rmdir(t->dir);
    }
}
