/*
 * sandbox.c - the signer's privilege drop and seccomp filter. Both are all
 * or nothing: any failure stops the signer before it answers a request.
 * The filter is a build-time switch (CATENA_SANDBOX), off in sanitizer
 * builds, never a runtime flag.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifdef CATENA_SANDBOX
#include <seccomp.h>
#endif

#include "catena/log.h"
#include "signer/signer.h"

enum catena_rc
catena_signer_drop_privileges(const char *user, struct catena_err *err)
{
    struct passwd pw;
    struct passwd *found = NULL;
    char buf[4096];
    uid_t r = 0, e = 0, s = 0;
    gid_t rg = 0, eg = 0, sg = 0;

    if (user != NULL && user[0] != '\0' && geteuid() == 0) {
        if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 ||
            found == NULL) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "[signer] user %s does not exist", user);
        }
        if (pw.pw_uid == 0) {
            return catena_err_set(err, CATENA_ERR_CONFIG,
                                  "[signer] user %s is root", user);
        }
        if (setgroups(0, NULL) != 0 ||
            setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0 ||
            setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) != 0) {
            return catena_err_set_errno(err, CATENA_ERR_SIGNER,
                                        "cannot drop privileges to %s", user);
        }
        /* Trust, but verify: every id must have changed, and root must
         * be out of reach. */
        if (getresuid(&r, &e, &s) != 0 || getresgid(&rg, &eg, &sg) != 0 ||
            r != pw.pw_uid || e != pw.pw_uid || s != pw.pw_uid ||
            rg != pw.pw_gid || eg != pw.pw_gid || sg != pw.pw_gid ||
            setuid(0) == 0) {
            return catena_err_set(err, CATENA_ERR_SIGNER,
                                  "privilege drop to %s did not hold", user);
        }
        CATENA_INFO("signer runs as %s (uid %u)", user, (unsigned)pw.pw_uid);
    } else if (geteuid() == 0) {
        CATENA_WARN("signer runs as root: set [signer] user to drop "
                    "privileges after the keys are open");
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        return catena_err_set_errno(err, CATENA_ERR_SIGNER,
                                    "PR_SET_NO_NEW_PRIVS");
    }
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return catena_err_set_errno(err, CATENA_ERR_SIGNER,
                                    "PR_SET_DUMPABLE");
    }
    return CATENA_OK;
}

#ifdef CATENA_SANDBOX
/*
 * What signing needs once the keys are in memory: reading and writing the
 * socket (and stderr for the log), memory, the clock, randomness for ECDSA
 * nonces and DRBG reseeds, and exiting. No open, no socket, no exec.
 */
static const int allowed[] = {
    SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(readv),
    SCMP_SYS(writev),        SCMP_SYS(recvfrom),     SCMP_SYS(recvmsg),
    SCMP_SYS(sendto),        SCMP_SYS(sendmsg),      SCMP_SYS(poll),
    SCMP_SYS(ppoll),         SCMP_SYS(close),        SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),    SCMP_SYS(lseek),        SCMP_SYS(brk),
    SCMP_SYS(mmap),          SCMP_SYS(munmap),       SCMP_SYS(mremap),
    SCMP_SYS(madvise),       SCMP_SYS(futex),        SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
    SCMP_SYS(getpid),        SCMP_SYS(gettid),       SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigprocmask), SCMP_SYS(exit),        SCMP_SYS(exit_group),
    SCMP_SYS(tgkill),        SCMP_SYS(sched_yield),
};

enum catena_rc
catena_signer_sandbox(struct catena_err *err)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    enum catena_rc rc = CATENA_OK;
    int r = 0;

    if (ctx == NULL) {
        return catena_err_set(err, CATENA_ERR_SIGNER, "seccomp_init failed");
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) != 0) {
            break;
        }
    }
    /* mprotect only without PROT_EXEC: malloc needs it for new arenas,
     * nothing here needs to make memory executable. */
    if (r == 0) {
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                             SCMP_A2(SCMP_CMP_MASKED_EQ, 0x4 /* PROT_EXEC */,
                                     0));
    }
    if (r == 0) {
        r = seccomp_load(ctx);
    }
    if (r != 0) {
        errno = -r;
        rc = catena_err_set_errno(err, CATENA_ERR_SIGNER,
                                  "cannot install the seccomp filter");
    }
    seccomp_release(ctx);
    return rc;
}
#else
enum catena_rc
catena_signer_sandbox(struct catena_err *err)
{
    (void)err;
    CATENA_DEBUG("built without CATENA_SANDBOX: no seccomp filter");
    return CATENA_OK;
}
#endif
