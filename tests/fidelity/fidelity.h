/* fidelity — detsim's semantics against the real kernel's (make fidelity).
 *
 * Each semantic point is one protocol written twice: a real-Linux probe
 * (linux_probes.c: real processes, real syscalls) and a detsim scenario
 * (tests/fidelity/scenarios_*.c, written against sim/sys.h only). Both end by
 * stating what they saw in one line, the answer, in the same words; the driver
 * (fidelity.c) runs both and prints point | Linux | detsim | agree. */
#ifndef DETSIM_TESTS_FIDELITY_H
#define DETSIM_TESTS_FIDELITY_H

/* A real-Linux probe: runs in a forked process of its own group, bounded by
 * alarm(), and prints its answer as the last line of standard output ("skipped:
 * why" when the machine lacks a privilege the point needs). Children it leaves
 * behind are killed and reaped by the driver. */
struct fidelity_probe {
    const char *point;
    void (*run)(void);
};

extern const struct fidelity_probe fidelity_linux_probes[];

/* The probe of point, or NULL. */
const struct fidelity_probe *fidelity_linux_probe(const char *point);

/* The helper mode of the fidelity binary that exec'd probe children run:
 * "--exec-child READY_FD MS" writes one byte to READY_FD, then sleeps MS
 * milliseconds and exits 0. Returns the exit status, or -1 when argv is not that
 * mode. */
int fidelity_exec_child(int argc, char **argv);

#endif
