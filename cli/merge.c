/* merge — `detsim merge FILE...`: one summary of several sweeps' results. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "reports/seeds.h"
#include "reports/sweep.h"
#include "reports/sweep_run.h"
#include "reports/tally.h"

static const char merge_help[] =
    "usage: detsim merge FILE...\n"
    "\n"
    "Combines the --json results of several sweeps (the shards of one sweep, say) into\n"
    "one summary. The files must come from sweeps of the same scenario and settings\n"
    "(their header lines say so) and hold no seed twice; a file given twice, a\n"
    "directory or a file with no results is refused. Exit 1 when any seed did not\n"
    "have its expected outcome, 2 when the files cannot be merged.\n";

/* What merging the files shares with the reader's callback. */
struct merging {
    struct sweep_header reference; /* the first file's header */
    struct sweep_header file;      /* the header of the file being read */
    const char *reference_path;
    const char *path;
    struct tally tally;
    struct seeds_set seen;         /* (configuration, seed) of the files read */
};

/* Takes the file's header as the reference (the first file) or checks it against it.
 * Returns 0, or -1 with the difference in error. */
static int check_header(void *context, const struct sweep_header *file, char *error,
                        size_t error_bytes)
{
    struct merging *m = context;
    char difference[400];
    if (!m->reference_path) {
        m->reference = *file;
        m->reference_path = m->path;
        tally_init(&m->tally, &m->reference);
        return 0;
    }
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
static int check_distinct(int argc, char **argv, int i)
{
    struct stat st, other;
    if (argv[i][0] == '-')
        return options_usage_error("unknown option '%s' for 'merge'", argv[i]);
    if (stat(argv[i], &st) != 0)
        return 0; /* the reader says why */
    for (int j = 0; j < i; j++)
        if (stat(argv[j], &other) == 0 && other.st_dev == st.st_dev && other.st_ino == st.st_ino)
            return options_usage_error("'%s' is given twice%s%s: its seeds would count twice",
                                       argv[i], strcmp(argv[i], argv[j]) ? ", as " : "",
                                       strcmp(argv[i], argv[j]) ? argv[j] : "");
    (void)argc;
    return 0;
}

int cli_merge(int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        fputs(merge_help, stdout);
        return EXIT_EXPECTED;
    }
    if (argc < 1)
        return options_usage_error("merge needs one or more results files (see 'detsim merge --help')");
    static struct merging m; /* large: two headers and the tally */
    memset(&m, 0, sizeof m);
    int status = 0;
    for (int i = 0; i < argc && status == 0; i++)
        status = check_distinct(argc, argv, i);
    for (int i = 0; i < argc && status == 0; i++)
        status = merge_file(&m, argv[i]);
    if (status == 0) {
        printf("merge: %ld seeds from %d file%s\n", m.tally.count, argc, argc == 1 ? "" : "s");
        /* a sweep's configurations: a merge of one sweep's shards has no more */
        if (m.reference.config_count > 1 || m.reference.configs[0][0])
            tally_config_table(stdout, &m.tally, NULL, 0, NULL);
        long unexpected = tally_summary(stdout, &m.tally, SWEEP_REPRO_DIR, "seeds");
        status = unexpected ? EXIT_UNEXPECTED : EXIT_EXPECTED;
    }
    tally_free(&m.tally);
    seeds_set_free(&m.seen);
    return status;
}
