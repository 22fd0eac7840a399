/* options — command-line parsing; see options.h. */
#include "options.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/progname.h"
int options_usage_error(const char *format, ...)
{
    char message[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    /* One line, whatever the user typed: control characters become '?'. */
    for (char *p = message; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    fprintf(stderr, "detsim: %s\n", message);
    return EXIT_USAGE;
}

int options_parse(const char *command, int argc, char **argv, const struct option_spec *specs,
                  struct parsed_option *options, int option_max, int *option_count,
                  const char **positionals, int *positional_count, int positional_max)
{
    *option_count = 0;
    *positional_count = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (arg[0] == '-' && arg[1] != '\0' && strcmp(arg, "--") != 0)
                return options_usage_error("unknown option '%s' for '%s' (see '%s %s --help')",
                                           arg, command, progname(), command);
            if (*positional_count == positional_max)
                return options_usage_error("unexpected argument '%s' for '%s' (see '%s %s "
                                           "--help')",
                                           arg, command, progname(), command);
            positionals[(*positional_count)++] = arg;
            continue;
        }
        const char *name = arg + 2;
        const char *equals = strchr(name, '=');
        size_t name_length = equals ? (size_t)(equals - name) : strlen(name);
        const struct option_spec *spec = NULL;
        for (const struct option_spec *s = specs; s->name; s++)
            if (strlen(s->name) == name_length && strncmp(s->name, name, name_length) == 0)
                spec = s;
        if (!spec)
            return options_usage_error("unknown option '--%.*s' for '%s' (see '%s %s --help')",
                                       (int)name_length, name, command, progname(),
                                       command);
        const char *value = NULL;
        if (spec->takes_value) {
            if (equals)
                value = equals + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return options_usage_error("option --%s needs a value", spec->name);
        } else if (equals) {
            return options_usage_error("option --%s takes no value", spec->name);
        }
        /* A flag given again changes nothing: it takes no room. */
        if (!value && options_has(options, *option_count, spec->name))
            continue;
        if (*option_count == option_max)
            return options_usage_error("too many options for '%s' (at most %d)", command,
                                       option_max);
        options[*option_count] = (struct parsed_option){spec->name, value};
        (*option_count)++;
    }
    return 0;
}

int options_has(const struct parsed_option *options, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(options[i].name, name) == 0)
            return 1;
    return 0;
}
