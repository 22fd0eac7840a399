/* main — this project's test program: its scenarios (lost_update.c) and every
 * detsim command over them (list, run, replay, sweep, shrink, ...). */
#include "cli/detsim.h"

int main(int argc, char **argv)
{
    return detsim_main(argc, argv);
}
