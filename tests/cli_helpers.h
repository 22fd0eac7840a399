/* cli_helpers — running the built detsim binary (DETSIM_BIN, default build/detsim)
 * from a test, as a user would, in a work directory of its own. A test file that
 * includes this defines CLI_WORK_PREFIX ("/tmp/detsim-NAME-") first and declares
 * its suite with .fini = remove_work_dir. */
#ifndef DETSIM_TESTS_CLI_HELPERS_H
#define DETSIM_TESTS_CLI_HELPERS_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

struct cli_result {
    int status;
    char out[65536];
    char err[4096];
    int err_lines;
};

static char work_dir[256];

static void make_work_dir(void)
{
    if (work_dir[0])
        return;
    snprintf(work_dir, sizeof work_dir, "%sXXXXXX", CLI_WORK_PREFIX);
    cr_assert_not_null(mkdtemp(work_dir));
}

static void remove_work_dir(void)
{
    if (!work_dir[0])
        return;
    char command[300];
    snprintf(command, sizeof command, "rm -rf %s", work_dir);
    if (system(command) != 0)
        fprintf(stderr, "could not remove %s\n", work_dir);
    work_dir[0] = '\0';
}

static void slurp(const char *path, char *buffer, size_t bytes)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buffer, 1, bytes - 1, f) : 0;
    buffer[n] = '\0';
    if (f)
        fclose(f);
}

/* Runs a shell command in the work directory, capturing its output. $DETSIM is
 * the binary under test. */
static struct cli_result *shell(const char *format, ...) __attribute__((format(printf, 1, 2)));

static struct cli_result *shell(const char *format, ...)
{
    static struct cli_result r;
    make_work_dir();
    char cwd[1024];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    const char *bin = getenv("DETSIM_BIN") ? getenv("DETSIM_BIN") : "build/detsim";
    char script[2048], command[4096], out_path[300], err_path[300];
    va_list list;
    va_start(list, format);
    vsnprintf(script, sizeof script, format, list);
    va_end(list);
    snprintf(out_path, sizeof out_path, "%s/stdout", work_dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", work_dir);
    snprintf(command, sizeof command,
             "cd %s && DETSIM=%s%s%s && { %s ; } </dev/null >%s 2>%s", work_dir,
             bin[0] == '/' ? "" : cwd, bin[0] == '/' ? "" : "/", bin, script, out_path,
             err_path);
    int raw = system(command);
    cr_assert(WIFEXITED(raw), "%s did not exit normally", script);
    r.status = WEXITSTATUS(raw);
    slurp(out_path, r.out, sizeof r.out);
    slurp(err_path, r.err, sizeof r.err);
    r.err_lines = 0;
    for (const char *p = r.err; *p; p++)
        r.err_lines += *p == '\n';
    return &r;
}

#endif
