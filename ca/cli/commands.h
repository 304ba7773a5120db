/*
 * commands.h - the sub-commands of the catena binary. Each returns the
 * process exit status: 0 success, 1 failure, 2 usage error.
 */
#ifndef CATENA_CLI_COMMANDS_H
#define CATENA_CLI_COMMANDS_H

int catena_cmd_init(int argc, char **argv);   /* cmd_init.c */
int catena_cmd_issue(int argc, char **argv);  /* cmd_issue.c */
int catena_cmd_revoke(int argc, char **argv); /* cmd_revoke.c */
int catena_cmd_status(int argc, char **argv); /* cmd_status.c */
int catena_cmd_serve(int argc, char **argv);  /* cmd_serve.c */
int catena_cmd_lint(int argc, char **argv);   /* cmd_lint.c */
int catena_cmd_crl(int argc, char **argv);    /* cmd_crl.c */
int catena_cmd_caa(int argc, char **argv);    /* cmd_caa.c */
int catena_cmd_acme(int argc, char **argv);   /* cmd_acme.c */
int catena_cmd_perspective(int argc, char **argv); /* cmd_perspective.c */

#endif
