/* progname — the program's name in the commands detsim prints; see progname.h. */
#include "progname.h"

#include <string.h>

static char name[64] = "detsim";

void progname_set(const char *argv0)
{
    if (!argv0)
        return;
    const char *slash = strrchr(argv0, '/');
    const char *base = slash ? slash + 1 : argv0;
    size_t length = strlen(base);
    if (length == 0)
        return;
    if (length >= sizeof name)
        length = sizeof name - 1;
    memcpy(name, base, length);
    name[length] = '\0';
}

const char *progname(void)
{
    return name;
}
