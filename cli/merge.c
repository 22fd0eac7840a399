/* merge — `detsim merge [--junit FILE] [--json FILE] FILE...`: one summary of several
 * sweeps' results, the shards of one sweep above all, judged as the unsharded sweep
 * would be. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "reports/junit.h"
#include "reports/seeds.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"
#include "reports/tally.h"

static const char merge_help[] =
    "usage: detsim merge [--junit FILE] [--json FILE] RESULTS...\n"
    "\n"
    "Combines the --json results of several sweeps (the shards of one sweep, say) into\n"
    "the summary the unsharded sweep prints: with --variant, the table of\n"
    "configurations with what each declares and its verdict. The files must come from\n"
    "sweeps of the same scenario and settings (their header lines say so) and hold no\n"
    "seed twice; a file given twice, a directory or a file with no results is\n"
    "refused. When the files are not every shard of one sweep, a verdict that needs\n"
    "the missing seeds is not given, and the merge exits 1.\n"
    "\n"
    "options:\n"
    "  --junit FILE   a JUnit XML report of the merged results, verdicts first\n"
    "  --json FILE    the merged results as one results file (every shard needed)\n"
    "\n"
    "Exit status: 0 when every seed had its expected outcome and every configuration\n"
    "behaved as declared over every shard, 1 when not (or a shard is missing), 2 when\n"
    "the files cannot be merged, 3 when a report cannot be written.\n";

/* What merging the files shares with the reader's callbacks. */
struct merging {
    struct sweep_header reference; /* the first file's header */
    struct sweep_header file;      /* the header of the file being read */
    const char *reference_path;
    const char *path;
    struct tally tally;
    struct seeds_set seen;         /* (configuration, seed) of the files read */
    struct junit *junit;           /* --junit, or NULL */
    int shards_differ;             /* the files are not shards of one seed range */
    uint64_t *shards_seen;         /* the shard number of each file read */
    long files;
};

/* Takes the file's header as the reference (the first file) or checks it against it.
 * Returns 0, or -1 with the difference in error. */
static int check_header(void *context, const struct sweep_header *file, char *error,
                        size_t error_bytes)
{
    struct merging *m = context;
    char difference[400];
    m->shards_seen[m->files++] = file->shard;
    if (!m->reference_path) {
        m->reference = *file;
        m->reference_path = m->path;
        tally_init(&m->tally, &m->reference);
        if (m->junit) /* its testcases are named after the scenario */
            snprintf(m->junit->scenario, sizeof m->junit->scenario, "%s", file->scenario);
        return 0;
    }
    m->shards_differ |= file->shards != m->reference.shards ||
                        file->first != m->reference.first || file->last != m->reference.last;
    if (!sweep_header_diff(&m->reference, m->reference_path, file, m->path, difference,
                           sizeof difference))
        return 0;
    snprintf(error, error_bytes, "cannot merge results of different sweeps: %s", difference);
    return -1;
}

static int merge_record(void *context, const struct sweep_record *r, char *error,
                        size_t error_bytes)
{
    struct merging *m = context;
    long c = tally_config_of(&m->tally, r->config);
    int added = c < 0 ? 0 : seeds_set_add(&m->seen, (uint32_t)c, r->seed);
    if (c < 0)
        snprintf(error, error_bytes, "a result of configuration '%s', which the header does "
                 "not list", r->config);
    else if (added == 0)
        snprintf(error, error_bytes, "seed %" PRIu64 "%s%s was read already: its result "
                 "would count twice (the same shard in two files?)", r->seed,
                 r->config[0] ? " of " : "", r->config);
    if (c < 0 || added == 0)
        return -1;
    if (added < 0 || tally_add(&m->tally, r, 0) != 0) {
        snprintf(error, error_bytes, "out of memory");
        return -1;
    }
    if (m->junit && junit_add(m->junit, r, c) != 0) {
        snprintf(error, error_bytes, "cannot write the JUnit report");
        return -1;
    }
    return 0;
}

/* Reads the file at path into m. Returns 0 or EXIT_USAGE after printing the error. */
static int merge_file(struct merging *m, const char *path)
{
    char error[700];
    int has_header = 0;
    struct sweep_reader reader = {check_header, merge_record, m};
    m->path = path;
    long count = sweep_read_results(path, &m->file, &has_header, &reader, NULL, error,
                                    sizeof error);
    if (count >= 0 && !has_header)
        return options_usage_error("'%s' holds no results (an empty file, or not a detsim "
                                   "results file)", path);
    return count < 0 ? options_usage_error("%s", error) : 0;
}

/* Refuses a file named twice (the same file under two names too). Returns 0 or
 * EXIT_USAGE after printing the error. */
static int check_distinct(const char **paths, int i)
{
    struct stat st, other;
    if (stat(paths[i], &st) != 0)
        return 0; /* the reader says why */
    for (int j = 0; j < i; j++)
        if (stat(paths[j], &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino)
            return options_usage_error("'%s' is given twice%s%s: its seeds would count twice",
                                       paths[i], strcmp(paths[i], paths[j]) ? ", as " : "",
                                       strcmp(paths[i], paths[j]) ? paths[j] : "");
    return 0;
}

/* Whether the files read are every shard of one sweep's seeds. */
static int every_shard(const struct merging *m)
{
    if (m->shards_differ || m->reference.shards > (uint64_t)m->files)
        return 0;
    for (uint64_t k = 1; k <= m->reference.shards; k++) {
        long i = 0;
        while (i < m->files && m->shards_seen[i] != k)
            i++;
        if (i == m->files)
            return 0;
    }
    return 1;
}

/* Prints the table with the verdicts, the summary and the verdict line, as the
 * unsharded sweep does; held gets each configuration's verdict. Returns the exit
 * status. */
static int print_results(struct merging *m, int complete, int files, int *held)
{
    const struct sweep_header *h = &m->reference;
    const char *declared[PLAN_CONFIGS_MAX];
    for (long c = 0; c < h->config_count; c++)
        declared[c] = h->declared[c];
    printf("merge: %ld seeds from %d file%s\n", m->tally.count, files, files == 1 ? "" : "s");
    if (!complete)
        printf("(not every shard of one sweep: a verdict that needs the other seeds is not "
               "given)\n");
    long broken = 0;
    /* a sweep's configurations: a merge of one sweep's shards has no more */
    if (h->config_count > 1 || h->configs[0][0])
        broken = tally_config_table(stdout, &m->tally, h->verdicts ? declared : NULL,
                                    !complete, held);
    long unexpected = tally_summary(stdout, &m->tally, SWEEP_REPRO_DIR, "seeds");
    if (broken)
        printf("verdict: %ld of %ld configurations did not behave as declared\n", broken,
               h->config_count);
    /* a shard missing (a task that died, a file not copied back) is no success */
    if (!complete)
        printf("verdict: not known: the files are %ld of the %" PRIu64 " shards of %" PRIu64
               "..%" PRIu64 ", or shards of different seeds\n", m->files, h->shards, h->first,
               h->last);
    return unexpected || broken || !complete ? EXIT_UNEXPECTED : EXIT_EXPECTED;
}

static int copy_record(void *context, const struct sweep_record *r, char *error,
                       size_t error_bytes)
{
    (void)error, (void)error_bytes;
    sweep_write_json(context, r);
    return 0;
}

/* --json: the header of the whole sweep, then every file's records, read again.
 * Returns 0 or EXIT_USAGE after printing the error. */
static int write_merged(struct merging *m, FILE *out, const char **paths, int files)
{
    static struct sweep_header header;
    char error[700];
    int has_header;
    struct sweep_reader reader = {NULL, copy_record, out};
    sweep_write_header(out, &m->reference);
    for (int i = 0; i < files; i++)
        if (sweep_read_results(paths[i], &header, &has_header, &reader, NULL, error,
                               sizeof error) < 0)
            return options_usage_error("%s", error);
    return 0;
}

/* Opens --junit and --json before anything is read (a bad path is found first).
 * Returns 0 or EXIT_USAGE after printing the error (nothing left open). */
static int open_outputs(const struct parsed_option *options, int count, struct junit *junit,
                        struct output_file *json, struct merging *m)
{
    const char *junit_path = NULL;
    for (int i = 0; i < count; i++) {
        if (strcmp(options[i].name, "junit") == 0)
            junit_path = options[i].value;
        else if (strcmp(options[i].name, "json") == 0)
            json->path = options[i].value;
    }
    int rc = junit_path ? junit_open(junit, junit_path, "merge") : 0;
    if (rc != 0)
        return options_usage_error("cannot write '%s': %s", junit_path, strerror(-rc));
    m->junit = junit_path ? junit : NULL;
    if (output_open(json, "merged results file") != 0) {
        if (m->junit)
            junit_discard(m->junit);
        return EXIT_USAGE;
    }
    return 0;
}

/* Writes --junit and --json after a merge that read every file. Returns status, or
 * EXIT_USAGE / EXIT_INTERNAL after printing the error. */
static int finish_outputs(struct merging *m, struct output_file *json, const char **paths,
                          int files, int complete, const int *held, int status)
{
    if (complete) /* the merged results are the whole sweep's */
        m->reference.shard = m->reference.shards = 1;
    if (m->junit) {
        int rc = junit_finish(m->junit, &m->reference, m->reference.verdicts ? held : NULL);
        m->junit = NULL;
        if (rc != 0) {
            fprintf(stderr, "detsim: cannot write the JUnit report: %s\n", strerror(-rc));
            status = EXIT_INTERNAL;
        }
    }
    int rc = 0;
    if (json->stream && !complete)
        rc = options_usage_error("--json: these files are not every shard of one sweep");
    else if (json->stream)
        rc = write_merged(m, json->stream, paths, files);
    if (output_close(json, "merged results file", rc == 0) != 0 && rc == 0)
        rc = EXIT_INTERNAL;
    return rc ? rc : status;
}

int cli_merge(int argc, char **argv)
{
    static const struct option_spec specs[] = {{"help", 0}, {"junit", 1}, {"json", 1}, {0}};
    struct parsed_option options[8];
    int option_count, files;
    const char **paths = malloc(((size_t)argc + 1) * sizeof *paths);
    if (!paths) {
        fprintf(stderr, "detsim: out of memory\n");
        return EXIT_INTERNAL;
    }
    int status = options_parse("merge", argc, argv, specs, options, OPTIONS_COUNT(options),
                               &option_count, paths, &files, argc);
    if (status == 0 && options_has(options, option_count, "help")) {
        fputs(merge_help, stdout);
        free(paths);
        return EXIT_EXPECTED;
    }
    if (status == 0 && files < 1)
        status = options_usage_error("merge needs one or more results files (see 'detsim "
                                     "merge --help')");
    for (int i = 0; i < files && status == 0; i++)
        status = check_distinct(paths, i);
    static struct merging m; /* large: two headers and the tally */
    static struct junit junit;
    struct output_file json = {0};
    int held[PLAN_CONFIGS_MAX];
    memset(&m, 0, sizeof m);
    m.shards_seen = malloc(((size_t)files + 1) * sizeof *m.shards_seen);
    if (status == 0 && !m.shards_seen)
        status = options_usage_error("out of memory");
    if (status == 0)
        status = open_outputs(options, option_count, &junit, &json, &m);
    int opened = status == 0;
    for (int i = 0; i < files && status == 0; i++)
        status = merge_file(&m, paths[i]);
    if (status == 0) {
        int complete = every_shard(&m);
        status = print_results(&m, complete, files, held);
        status = finish_outputs(&m, &json, paths, files, complete, held, status);
    } else if (opened) {
        if (m.junit)
            junit_discard(m.junit);
        output_close(&json, "merged results file", 0);
    }
    tally_free(&m.tally);
    seeds_set_free(&m.seen);
    free(m.shards_seen);
    free(paths);
    return status;
}
