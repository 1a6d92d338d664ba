/*
** afile.h — output files written atomically: the text goes to a temporary name in the
** same folder ("DIR/.NAME.PID.N.tmp"), is flushed and fsync'd, then renamed over
** NAME, so that a reader (or a SIGKILL, a full disk, a crash) never sees a partial
** file under NAME: either the old file, no file, or the whole new one. A path that
** exists and is not a regular file (/dev/stdout, a FIFO) is written in place.
** Thread-safe: the fuzz workers write their failures at the same time.
*/
#ifndef VMMSIM_AFILE_H
#define VMMSIM_AFILE_H

#include <stdio.h>

#define CLI_AFILE_PATH_MAX 4096

typedef struct cli_afile {
    FILE *f;                          /* write here between open and commit */
    char  path[CLI_AFILE_PATH_MAX];   /* the final name */
    char  tmp[CLI_AFILE_PATH_MAX];    /* the temporary name; "" when written in place */
} cli_afile;

/* Opens a temporary file beside path. NULL (errno set) when it cannot. */
FILE *cli_afile_open(cli_afile *a, const char *path);
/* Flushes, fsyncs and renames the temporary file to its final name. 0, or -1 with
** errno set (the temporary file is removed, an older file at path is untouched). */
int   cli_afile_commit(cli_afile *a);
/* Drops the temporary file (an error on the way): the final name is untouched. */
void  cli_afile_abort(cli_afile *a);
/* Before any work: can path be written, and is it none of the command's inputs
** (NULL-terminated; NULL entries skipped up to n)? 0, or -1 with why filled
** ("is the scenario SCENARIO", "is a folder", "its folder ... : No such file"). */
int   cli_afile_check(const char *path, const char *const *inputs, int n, char *why, size_t len);
/* Is name one of this module's temporary files (".X.PID.N.tmp")? */
int   cli_afile_is_tmp(const char *name);

#endif
