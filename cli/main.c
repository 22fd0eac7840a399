/* main — the detsim command: detsim_main (detsim.h) over the built-in catalog of
 * scenarios (scenarios/), which the Makefile links in. A program of one's own has
 * the same main over its own scenarios. */
#include "detsim.h"

int main(int argc, char **argv)
{
    return detsim_main(argc, argv);
}
