/* progname — the name the replay commands detsim prints give the program.
 *
 * The detsim command is "detsim"; a user's program built on libdetsim
 * (detsim_main, cli/detsim.h) is its own argv[0], so that the "replay: ..." lines
 * and repro hints it prints run that program, which has the user's scenarios, and
 * not a detsim that has none of them. Output text only: no run reads it. */
#ifndef DETSIM_PROGNAME_H
#define DETSIM_PROGNAME_H

/* Sets the name from argv0: its last path component, at most 63 bytes kept. An
 * empty or NULL argv0 leaves the name as it was. */
void progname_set(const char *argv0);

/* The name set by progname_set, "detsim" until then. */
const char *progname(void);

#endif
