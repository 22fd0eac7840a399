/* fidelity — make fidelity: every semantic point run on the real kernel and in
 * detsim, side by side (see fidelity.h and docs/fidelity.md).
 *
 * Usage: fidelity [--seeds N] [POINT...]. For each point (all by default) it runs
 * the Linux probe in a forked process of its own group, bounded by alarm(), with
 * every signal at its default action (a probe must not inherit an ignored
 * SIGPIPE), and the detsim scenario fidelity-POINT over seeds 0..N-1 (default
 * 10), each seed's answer read from the kernel console's last "answer: " line. A
 * point agrees when the probe's answer equals the scenario's on every seed.
 *
 * It prints point | Linux | detsim | agree, then a summary, and exits 0 when every
 * point agrees, is skipped (the machine lacks a privilege the probe needs), or is
 * a documented deliberate difference (the row names the key that selects Linux's
 * behaviour); 1 when any point disagrees otherwise; 2 on bad usage. */
#define _GNU_SOURCE
#include "fidelity.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/world.h"
#include "sim/run.h"

#define ANSWER_BYTES 200
#define PROBE_SECONDS 10

/* One row of the table: a point, the detsim config it runs under, and for a
 * deliberate difference the setting that selects Linux's behaviour instead. */
struct point {
    const char *name;       /* the probe's point; the scenario is fidelity-NAME */
    const char *issue;      /* the issue's point it checks, or "-" for one that agreed */
    const char *settings;   /* "key=value ..." for detsim, "" for its defaults */
    const char *deliberate; /* NULL, or the key=value that gives Linux's answer */
};

static const struct point points[] = {
    {"eintr-retry", "1", "", NULL},
    {"signal-before-block", "1", "", NULL},
    {"sa-restart", "1", "", NULL},
    {"port-bind-after-hup", "2", "", NULL},
    {"port-level-triggered", "2", "", NULL},
    {"port-edge-triggered", "2", "port_trigger=edge", NULL},
    {"pipe-small-writes", "3", "", NULL},
    {"pipe-large-write", "3", "", NULL},
    {"pipe-partial-then-epipe", "3", "", NULL},
    {"scm-rights-copy", "4", "", NULL},
    {"scm-rights-copy", "4", "handle_transfer=move", "handle_transfer=copy"},
    {"scm-rights-full-table", "4", "max_handles=8", NULL},
    {"scm-rights-full-table", "4", "max_handles=8 handle_transfer=move", "handle_transfer=copy"},
    {"sigpipe-default", "5", "", NULL},
    {"sigchld-interrupts", "6", "", NULL},
    {"sigchld-ignored", "6", "", NULL},
    {"kill-zombie", "7", "", NULL},
    {"subreaper", "7", "", NULL},
    {"init-does-not-reap", "7", "init_reaps=false", NULL},
    {"wait-status", "8", "", NULL},
    {"close-range", "9", "", NULL},
    {"cgroup-kill", "10", "", NULL},
    {"eof-after-drain", "-", "", NULL},
    {"seqpacket-epipe", "-", "", NULL},
    {"grandchild-holds-eof", "-", "", NULL},
    {"cloexec", "-", "", NULL},
    {"wait-echild", "-", "", NULL},
    {"orphan-adoption", "-", "", NULL},
    {"killpg-orphan", "-", "", NULL},
    {"kill-signals", "-", "", NULL},
    {"emfile", "-", "max_handles=8", NULL},
    {"eagain-nproc", "-", "max_procs=3", NULL},
    {"inflight-released", "-", "", NULL},
    {NULL, NULL, NULL, NULL},
};

/* ---- the Linux side ---------------------------------------------------------------- */

static void default_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The last line of text (trailing newlines dropped) into answer. */
static void last_line(char *text, char *answer, size_t bytes)
{
    size_t length = strlen(text);
    while (length && text[length - 1] == '\n')
        text[--length] = '\0';
    char *line = strrchr(text, '\n');
    snprintf(answer, bytes, "%s", line ? line + 1 : text);
}

/* Runs probe in a process group of its own; its answer (its last line of output)
 * goes to answer. Whatever it leaves behind is killed, and (the driver being a
 * subreaper) reaped. */
static void run_probe(const struct fidelity_probe *probe, char *answer, size_t bytes)
{
    int out[2];
    if (pipe(out) != 0) {
        snprintf(answer, bytes, "probe not run: pipe: %s", strerror(errno));
        return;
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        default_signals();
        setpgid(0, 0);
        close(out[0]);
        if (dup2(out[1], STDOUT_FILENO) < 0)
            _exit(3);
        close(out[1]);
        alarm(PROBE_SECONDS);
        probe->run();
        fflush(stdout);
        _exit(0);
    }
    close(out[1]);
    if (child < 0) {
        close(out[0]);
        snprintf(answer, bytes, "probe not run: fork: %s", strerror(errno));
        return;
    }
    int status = 0;
    waitpid(child, &status, 0);
    killpg(child, SIGKILL);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    /* A helper outside the group may still hold the pipe: read what is there. */
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    char text[4096];
    ssize_t n = read(out[0], text, sizeof text - 1);
    close(out[0]);
    text[n > 0 ? n : 0] = '\0';
    if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0) || !text[0])
        snprintf(answer, bytes, "probe failed (%s %d)%s%s",
                 WIFSIGNALED(status) ? "signal" : "exit",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
                 text[0] ? ": " : "", text[0] ? text : "");
    else
        last_line(text, answer, bytes);
}

/* ---- the detsim side --------------------------------------------------------------- */

struct seed_answer {
    char text[ANSWER_BYTES];
};

/* At the end of a run, the newest "answer: " line of the kernel console. */
static void read_answer(void *context, const struct run_result *result,
                        const struct run_view *view)
{
    (void)result;
    struct seed_answer *out = context;
    const struct world *w = view->world;
    uint32_t kept = w->console_count < CONSOLE_LINES_MAX ? w->console_count : CONSOLE_LINES_MAX;
    for (uint32_t i = 0; i < kept; i++) {
        const char *line = w->console[(w->console_count - 1 - i) % CONSOLE_LINES_MAX];
        if (strncmp(line, "answer: ", 8) == 0) {
            snprintf(out->text, sizeof out->text, "%s", line + 8);
            return;
        }
    }
}

/* Applies "key=value key=value" to config. Returns 0, or -1 with error set. */
static int apply_settings(struct config *config, const char *settings, char *error,
                          size_t bytes)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", settings);
    char *save = NULL;
    for (char *one = strtok_r(copy, " ", &save); one; one = strtok_r(NULL, " ", &save))
        if (config_assign(config, one, error, bytes) != 0)
            return -1;
    return 0;
}

/* Runs one seed of scenario under settings; its answer, or what the run ended
 * with when it gave none, goes to answer. Returns 0, or -1 when it could not run. */
static int run_seed(const struct scenario *scenario, const char *settings, uint64_t seed,
                    char *answer, size_t bytes)
{
    struct seed_answer got = {""};
    struct run_observer observer = {NULL, read_answer, &got, NULL};
    struct run_options options = {0};
    char error[256];
    options.scenario = scenario;
    options.seed = seed;
    options.strategy = SCHED_STRATEGY_DEFAULT;
    options.observer = &observer;
    if (run_config_init(&options.config, scenario) != 0 ||
        config_assign(&options.config, "max_steps=100000", error, sizeof error) != 0 ||
        apply_settings(&options.config, settings, error, sizeof error) != 0) {
        snprintf(answer, bytes, "bad settings '%s'", settings);
        return -1;
    }
    struct run_result result;
    if (run_scenario(&options, &result) != 0) {
        run_result_free(&result);
        snprintf(answer, bytes, "the harness could not run it");
        return -1;
    }
    if (got.text[0])
        snprintf(answer, bytes, "%s", got.text);
    else
        snprintf(answer, bytes, "no answer (%s)", sched_outcome_name(result.outcome));
    run_result_free(&result);
    return 0;
}

/* The scenario's answer over seeds 0..seeds-1: the answer when every seed gives the
 * same, else "varies: ..." naming the first two. */
static void run_detsim(const struct point *p, uint64_t seeds, char *answer, size_t bytes)
{
    char name[96];
    snprintf(name, sizeof name, "fidelity-%s", p->name);
    const struct scenario *scenario = scenario_find(name);
    if (!scenario) {
        snprintf(answer, bytes, "no scenario %s", name);
        return;
    }
    char first[ANSWER_BYTES];
    if (run_seed(scenario, p->settings, 0, first, sizeof first) != 0) {
        snprintf(answer, bytes, "%s", first);
        return;
    }
    for (uint64_t seed = 1; seed < seeds; seed++) {
        char other[ANSWER_BYTES];
        run_seed(scenario, p->settings, seed, other, sizeof other);
        if (strcmp(first, other) != 0) {
            snprintf(answer, bytes, "varies: seed 0 \"%.60s\", seed %" PRIu64 " \"%.60s\"",
                     first, seed, other);
            return;
        }
    }
    snprintf(answer, bytes, "%s", first);
}

/* ---- the table --------------------------------------------------------------------- */

enum verdict { AGREES, SKIPPED, DELIBERATE, DISAGREES };

static enum verdict judge(const struct point *p, const char *linux_answer,
                          const char *detsim_answer, char *text, size_t bytes)
{
    if (strncmp(linux_answer, "skipped", 7) == 0) {
        snprintf(text, bytes, "skipped");
        return SKIPPED;
    }
    int same = strcmp(linux_answer, detsim_answer) == 0;
    if (p->deliberate && !same) {
        snprintf(text, bytes, "deliberate (Linux: %s)", p->deliberate);
        return DELIBERATE;
    }
    if (p->deliberate) {
        snprintf(text, bytes, "NO: documented as different, but agrees");
        return DISAGREES;
    }
    snprintf(text, bytes, same ? "yes" : "NO");
    return same ? AGREES : DISAGREES;
}

/* One row of the table, as printed. */
struct row {
    char issue[4];
    char label[96]; /* the point, and its detsim settings in brackets */
    char linux_answer[ANSWER_BYTES];
    char detsim_answer[ANSWER_BYTES];
    char verdict[128];
};

#define POINTS_MAX 64

static int selected(const char *name, int argc, char **argv, int first)
{
    if (first >= argc)
        return 1;
    for (int i = first; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

/* Runs the selected points into rows; counts[] gets the verdicts. Returns how many
 * rows there are. */
static uint32_t run_points(int argc, char **argv, int first, uint64_t seeds, struct row *rows,
                           uint32_t counts[4])
{
    uint32_t n = 0;
    for (const struct point *p = points; p->name && n < POINTS_MAX; p++) {
        if (!selected(p->name, argc, argv, first))
            continue;
        struct row *r = &rows[n++];
        snprintf(r->issue, sizeof r->issue, "%s", p->issue);
        snprintf(r->label, sizeof r->label, "%s%s%s%s", p->name, p->settings[0] ? " [" : "",
                 p->settings, p->settings[0] ? "]" : "");
        const struct fidelity_probe *probe = fidelity_linux_probe(p->name);
        if (probe)
            run_probe(probe, r->linux_answer, sizeof r->linux_answer);
        else
            snprintf(r->linux_answer, sizeof r->linux_answer, "no probe");
        run_detsim(p, seeds, r->detsim_answer, sizeof r->detsim_answer);
        counts[judge(p, r->linux_answer, r->detsim_answer, r->verdict, sizeof r->verdict)]++;
    }
    return n;
}

/* The table, each column as wide as its widest cell. */
static void print_table(const struct row *rows, uint32_t n)
{
    int wide[3] = {(int)strlen("point [detsim settings]"), 5, 6};
    for (uint32_t i = 0; i < n; i++) {
        const char *cells[3] = {rows[i].label, rows[i].linux_answer, rows[i].detsim_answer};
        for (int c = 0; c < 3; c++)
            if ((int)strlen(cells[c]) > wide[c])
                wide[c] = (int)strlen(cells[c]);
    }
    printf("%-3s | %-*s | %-*s | %-*s | %s\n", "#", wide[0], "point [detsim settings]", wide[1],
           "Linux", wide[2], "detsim", "agree");
    for (uint32_t i = 0; i < n; i++)
        printf("%-3s | %-*s | %-*s | %-*s | %s\n", rows[i].issue, wide[0], rows[i].label,
               wide[1], rows[i].linux_answer, wide[2], rows[i].detsim_answer, rows[i].verdict);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: fidelity [--seeds N] [POINT...]\n"
                 "Runs each semantic point on the real kernel and in detsim and prints\n"
                 "point | Linux | detsim | agree. Exit 0: every point agrees, is skipped or\n"
                 "is a documented deliberate difference; 1: a point disagrees.\n");
}

/* Parses [--seeds N] [POINT...]: *seeds and *first (the first point's index).
 * Returns 0, 1 (--help: done), or 2 (bad usage: the message is written). */
static int parse_args(int argc, char **argv, uint64_t *seeds, int *first)
{
    *seeds = 10;
    *first = 1;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 1;
    }
    if (argc > 1 && strcmp(argv[1], "--seeds") == 0) {
        char *end = NULL;
        *seeds = argc > 2 ? strtoull(argv[2], &end, 10) : 0;
        if (!end || *end || *seeds == 0 || *seeds > 100000) {
            fprintf(stderr, "fidelity: --seeds wants a count from 1 to 100000, not '%s'\n",
                    argc > 2 ? argv[2] : "");
            return 2;
        }
        *first = 3;
    }
    for (int i = *first; i < argc; i++) {
        int known = 0;
        for (const struct point *p = points; p->name; p++)
            known |= strcmp(p->name, argv[i]) == 0;
        if (!known) {
            fprintf(stderr, "fidelity: unknown point '%s'\n", argv[i]);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int helper = fidelity_exec_child(argc, argv);
    if (helper >= 0)
        return helper;
    uint64_t seeds;
    int first;
    int usage_rc = parse_args(argc, argv, &seeds, &first);
    if (usage_rc)
        return usage_rc == 1 ? 0 : 2;
    /* Orphans of the probes come back to the driver, which reaps them. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    static struct row rows[POINTS_MAX];
    uint32_t counts[4] = {0, 0, 0, 0};
    uint32_t n = run_points(argc, argv, first, seeds, rows, counts);
    print_table(rows, n);
    printf("fidelity: %" PRIu32 " points, %" PRIu64 " seeds each in detsim: %" PRIu32
           " agree, %" PRIu32 " deliberate differences, %" PRIu32 " skipped, %" PRIu32
           " disagree\n",
           n, seeds, counts[AGREES], counts[DELIBERATE], counts[SKIPPED], counts[DISAGREES]);
    return counts[DISAGREES] ? 1 : 0;
}
