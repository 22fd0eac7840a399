/* commands — the detsim subcommands, one file each in cli/.
 *
 * Each takes the arguments after its name (argv[0] is the first of them), prints
 * its result on stdout, and returns the exit status: EXIT_EXPECTED (0) when the
 * outcome is the expected one, EXIT_UNEXPECTED (1) when not, EXIT_USAGE (2) after
 * one line on stderr for bad usage or bad input, EXIT_INTERNAL (3) after one line
 * on stderr for an internal error (cli/options.h). Nothing outside cli/ but the
 * tests includes this header. */
#ifndef DETSIM_COMMANDS_H
#define DETSIM_COMMANDS_H

/* detsim list [--names] [--portable]: every scenario with its description and
 * variants (or only the portable ones). */
int cli_list(int argc, char **argv);

/* detsim faults: every failpoint --fault can arm, with its error and description. */
int cli_faults(int argc, char **argv);

/* detsim run SCENARIO [options]: one seed, with its hang report and summary line;
 * 1 when the outcome is not the --expect one. */
int cli_run(int argc, char **argv);

/* detsim replay FILE [options]: a repro file's run again; 1 when its outcome, hash
 * or signature differs from the recorded one. */
int cli_replay(int argc, char **argv);

/* detsim sweep SCENARIO [options]: many seeds in forked workers (it forks itself:
 * call it where workers may be forked), or the fail-nth loop over one seed; 1 when
 * a seed or a configuration did not behave as expected. */
int cli_sweep(int argc, char **argv);

/* detsim merge FILE...: the summary of several sweeps' --json results; 1 when a
 * seed did not have its expected outcome. */
int cli_merge(int argc, char **argv);

/* detsim shrink FILE [options]: a repro shrunk to the smallest run that fails the
 * same way, written beside it (or to --output); 2 when it cannot be written. */
int cli_shrink(int argc, char **argv);

/* detsim differential SCENARIO [options]: a portable scenario in simulation and on
 * real processes, variant by variant; 1 when a variant's sides disagree. */
int cli_differential(int argc, char **argv);

/* detsim explore SCENARIO [options]: every schedule within a bound, depth first
 * (it forks a worker: call it where one may be forked); 1 when a failure is found
 * or the space is not exhausted within the budget. */
int cli_explore(int argc, char **argv);

#endif
