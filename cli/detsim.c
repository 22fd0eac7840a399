/* detsim — the command line: the top-level help and the dispatch to the commands
 * (cli/commands.h, one file each); see detsim.h.
 *
 * Exit status: 0 the outcome is the expected one, 1 it is not, 2 bad usage or bad
 * input (one line on stderr naming the problem), 3 an internal error. */
#include "detsim.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "sim/coro.h"
#include "sim/run.h"
#include "util/progname.h"

static const char main_help[] =
    "detsim - deterministic simulation and fault injection for the resource-management\n"
    "code of kernels and process supervisors.\n"
    "\n";

/* After the usage line, which names the program. */
static const char main_help_commands[] =
    "commands:\n"
    "  list                 the scenarios, with one-line descriptions\n"
    "  run SCENARIO         run one seed and print the result (a hang report on a hang)\n"
    "  replay FILE|DIR      replay a repro file and check that outcome and hash match;\n"
    "                       a folder: every repro file in it, and a summary\n"
    "  faults               the failpoints --fault can arm, with one-line descriptions\n"
    "  sweep SCENARIO       run many seeds in forked workers; group failures by signature\n"
    "  merge FILE...        combine the --json results of several sweeps\n"
    "  shrink FILE          reduce a repro to the smallest run that fails the same way\n"
    "  explore SCENARIO     run every schedule within a bound of preemptions and faults\n"
    "  differential SCENARIO  a portable scenario in simulation and on real processes,\n"
    "                       compared variant by variant\n"
    "\n";

/* After the line that names the program again. */
static const char main_help_status[] =
    "Exit status: 0 expected outcome, 1 unexpected outcome, 2 bad usage or input,\n"
    "3 internal error.\n";

int detsim_main(int argc, char **argv)
{
    int status;
    progname_set(argc > 0 ? argv[0] : NULL);
    /* Past a file size limit, a write fails with EFBIG, which is reported, instead of
     * killing the process with nothing said. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2)
        return options_usage_error("missing command (commands: list, run, replay, sweep, merge, shrink, "
                           "faults, differential, explore; see 'detsim --help')");
    const char *command = argv[1];
    if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
        strcmp(command, "help") == 0) {
        fputs(main_help, stdout);
        printf("usage: %s COMMAND [options]\n\n", progname());
        fputs(main_help_commands, stdout);
        printf("'%s COMMAND --help' tells more. %s --version prints the version.\n", progname(),
               progname());
        fputs(main_help_status, stdout);
        return output_check_stdout();
    }
    if (strcmp(command, "--version") == 0 || strcmp(command, "version") == 0) {
        printf("detsim %s\n", DETSIM_VERSION);
        return output_check_stdout();
    }
    if (strcmp(command, "list") == 0)
        status = cli_list(argc - 2, argv + 2);
    else if (strcmp(command, "run") == 0)
        status = cli_run(argc - 2, argv + 2);
    else if (strcmp(command, "replay") == 0)
        status = cli_replay(argc - 2, argv + 2);
    else if (strcmp(command, "faults") == 0)
        status = cli_faults(argc - 2, argv + 2);
    else if (strcmp(command, "sweep") == 0)
        status = cli_sweep(argc - 2, argv + 2);
    else if (strcmp(command, "merge") == 0)
        status = cli_merge(argc - 2, argv + 2);
    else if (strcmp(command, "shrink") == 0)
        status = cli_shrink(argc - 2, argv + 2);
    else if (strcmp(command, "differential") == 0)
        status = cli_differential(argc - 2, argv + 2);
    else if (strcmp(command, "explore") == 0)
        status = cli_explore(argc - 2, argv + 2);
    else
        status = options_usage_error("unknown command '%s' (commands: list, run, replay, sweep, merge, "
                             "shrink, faults, differential, explore; see 'detsim --help')",
                             command);
    coro_pool_drain();
    /* What was printed must have reached stdout: a full disk is an error. */
    if (output_check_stdout() != 0 && status < EXIT_INTERNAL)
        status = EXIT_INTERNAL;
    return status;
}
