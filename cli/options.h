/* options — command-line parsing shared by the detsim subcommands. */
#ifndef DETSIM_OPTIONS_H
#define DETSIM_OPTIONS_H

enum { EXIT_EXPECTED = 0, EXIT_UNEXPECTED = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

struct option_spec {
    const char *name; /* without the leading -- */
    int takes_value;
};

struct parsed_option {
    const char *name;
    const char *value; /* NULL for a flag */
};

/* Prints "detsim: MESSAGE" as one line on stderr (control characters become '?')
 * and returns EXIT_USAGE. */
int options_usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Splits argv into at most option_max options (--name value, --name=value, -h) and
 * at most positional_max positionals. Returns 0, or EXIT_USAGE after printing the
 * error (more options or positionals than that is bad usage: the arrays are never
 * written past their size). */
int options_parse(const char *command, int argc, char **argv, const struct option_spec *specs,
                  struct parsed_option *options, int option_max, int *option_count,
                  const char **positionals, int *positional_count, int positional_max);

/* The number of elements of an array (not a pointer). */
#define OPTIONS_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

int options_has(const struct parsed_option *options, int count, const char *name);

#endif
