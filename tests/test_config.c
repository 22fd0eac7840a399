/* Config keys and the strict parsers behind --seed, --set and durations. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "util/config.h"
#include "sim/run.h"

Test(config, u64_accepts_decimal_and_hex_and_nothing_else)
{
    uint64_t v;
    cr_assert_eq(config_parse_u64("0", &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(config_parse_u64("18446744073709551615", &v), 0);
    cr_assert_eq(v, UINT64_MAX);
    cr_assert_eq(config_parse_u64("0xFFffFFffFFffFFff", &v), 0);
    cr_assert_eq(v, UINT64_MAX);
    const char *bad[] = {"", "-1", "+1", "1e3", "0x", "18446744073709551616", " 1", "1 ",
                         "0x10000000000000000", "12abc", "0b101"};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_neq(config_parse_u64(bad[i], &v), 0, "'%s' must be refused", bad[i]);
}

Test(config, durations_need_a_unit_and_keep_nanosecond_precision)
{
    struct { const char *text; uint64_t ns; } good[] = {
        {"0ns", 0}, {"90s", 90000000000ULL}, {"1.5ms", 1500000}, {"20us", 20000},
        {"0.000000001s", 1}, {"18446744073709551615ns", UINT64_MAX}};
    char error[200];
    for (unsigned i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ns = 7;
        cr_assert_eq(config_parse_duration(good[i].text, &ns, error, sizeof error), 0, "%s: %s",
                     good[i].text, error);
        cr_assert_eq(ns, good[i].ns, "%s", good[i].text);
    }
    struct { const char *text; const char *reason; } bad[] = {
        {"90", "missing unit"}, {"5h", "unknown unit 'h'"}, {"ms", "expected a number"},
        {"1.5ns", "finer than one nanosecond"}, {"20000000000s", "too large"},
        {"-1s", "expected a number"}, {"1.0000000001s", "too many decimals"}};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ns;
        cr_assert_neq(config_parse_duration(bad[i].text, &ns, error, sizeof error), 0, "%s",
                      bad[i].text);
        cr_assert(strstr(error, bad[i].reason), "%s: '%s' lacks '%s'", bad[i].text, error,
                  bad[i].reason);
    }
}

static const struct config_key keys[] = {
    {"count", CONFIG_UINT, 5, 1, 10, "a count"},
    {"size", CONFIG_BYTES, 4096, 1024, 1ULL << 30, "a size"},
    {"wait", CONFIG_DURATION, 1000000, 0, 60000000000ULL, "a wait"},
    {"flag", CONFIG_BOOL, 0, 0, 1, "a flag"},
    {0},
};

Test(config, assign_checks_key_type_and_range_and_leaves_the_config_alone_on_error)
{
    struct config config;
    char error[200];
    cr_assert_eq(config_init(&config, keys, NULL), 0);
    cr_assert_eq(config_get(&config, "count"), 5);
    cr_assert_eq(config_assign(&config, "count=10", error, sizeof error), 0, "%s", error);
    cr_assert_eq(config_get(&config, "count"), 10);
    cr_assert_eq(config_assign(&config, "size=64KiB", error, sizeof error), 0, "%s", error);
    cr_assert_eq(config_get(&config, "size"), 65536);
    cr_assert_eq(config_assign(&config, "wait=2s", error, sizeof error), 0, "%s", error);
    cr_assert_eq(config_get(&config, "wait"), 2000000000ULL);
    cr_assert_eq(config_assign(&config, "flag=on", error, sizeof error), 0, "%s", error);
    cr_assert_eq(config_get(&config, "flag"), 1);

    struct { const char *assignment; const char *reason; } bad[] = {
        {"count=11", "out of range [1, 10]"}, {"count=0", "out of range"},
        {"count=x", "not a non-negative integer"}, {"size=1KB", "not a byte count"},
        {"size=512", "out of range"}, {"wait=2", "missing unit"}, {"flag=2", "not a boolean"},
        {"nope=1", "unknown config key 'nope'"}, {"count", "expected key=value"},
        {"=3", "expected key=value"}};
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_neq(config_assign(&config, bad[i].assignment, error, sizeof error), 0, "%s",
                      bad[i].assignment);
        cr_assert(strstr(error, bad[i].reason), "%s: '%s' lacks '%s'", bad[i].assignment,
                  error, bad[i].reason);
    }
    cr_assert_eq(config_get(&config, "count"), 10, "unchanged by the failed assignments");
}

Test(config, formatted_values_parse_back_to_themselves)
{
    uint64_t samples[] = {0, 1, 999, 1000, 1500000, 90000000000ULL, 1024, 65536};
    char text[48], error[200];
    for (const struct config_key *k = keys; k->name; k++)
        for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
            uint64_t value = samples[i];
            if (value < k->min || value > k->max)
                continue;
            uint64_t back;
            config_format_value(k, value, text);
            cr_assert_eq(config_parse_value(k, text, &back, error, sizeof error), 0,
                         "%s=%s: %s", k->name, text, error);
            cr_assert_eq(back, value, "%s=%s", k->name, text);
        }
}

Test(config, repeated_keys_are_refused)
{
    static const struct config_key clash[] = {{"max_steps", CONFIG_UINT, 1, 0, 9, "again"}, {0}};
    struct config config;
    cr_assert_eq(config_init(&config, run_core_keys, clash), -EINVAL);
}
