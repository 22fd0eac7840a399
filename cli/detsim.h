/* detsim — the command line as a library function, for a program of one's own.
 *
 * A program made of its own scenarios (SCENARIO, sim/sys.h) and this function has
 * every detsim command over them: list, run, replay, sweep, merge, shrink, faults,
 * differential. Its main is
 *
 *     #include "cli/detsim.h"
 *     int main(int argc, char **argv) { return detsim_main(argc, argv); }
 *
 * linked with libdetsim.a (pkg-config detsim); the built-in catalog of scenarios
 * is not in it unless its object is linked too (pkg-config --variable=catalog
 * detsim). The replay commands the program prints name it (argv[0]'s last
 * component), not detsim. docs/install.md tells more. */
#ifndef DETSIM_DETSIM_H
#define DETSIM_DETSIM_H

/* Runs the detsim command argv[1] with its arguments (argv[0] names the program)
 * and returns the exit status: 0 the expected outcome, 1 an unexpected one, 2 bad
 * usage or input (one line on stderr), 3 an internal error. Call it once per
 * process: it sets process-wide state (the program's name, SIGXFSZ ignored). */
int detsim_main(int argc, char **argv);

#endif
