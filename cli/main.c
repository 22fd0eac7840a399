/* detsim — the command line: the top-level help and the dispatch to the commands
 * (cli/commands.h, one file each).
 *
 * Exit status: 0 the outcome is the expected one, 1 it is not, 2 bad usage or bad
 * input (one line on stderr naming the problem), 3 an internal error. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/output.h"
#include "sim/coro.h"
#include "sim/run.h"

static const char main_help[] =
    "detsim - deterministic simulation and fault injection for the resource-management\n"
    "code of kernels and process supervisors.\n"
    "\n"
    "usage: detsim COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  list                 the scenarios, with one-line descriptions\n"
    "  run SCENARIO         run one seed and print the result (a hang report on a hang)\n"
    "  replay FILE          replay a repro file and check that outcome and hash match\n"
    "  faults               the failpoints --fault can arm, with one-line descriptions\n"
    "  sweep SCENARIO       run many seeds in forked workers; group failures by signature\n"
    "  merge FILE...        combine the --json results of several sweeps\n"
    "  shrink FILE          reduce a repro to the smallest run that fails the same way\n"
    "  explore SCENARIO     run every schedule within a bound of preemptions and faults\n"
    "  differential SCENARIO  a portable scenario in simulation and on real processes,\n"
    "                       compared variant by variant\n"
    "\n"
    "'detsim COMMAND --help' tells more. detsim --version prints the version.\n"
    "Exit status: 0 expected outcome, 1 unexpected outcome, 2 bad usage or input,\n"
    "3 internal error.\n";

int main(int argc, char **argv)
{
    int status;
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
