/* Text buffers and bounded copies (util/text.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "util/text.h"

Test(text, copy_cuts_as_snprintf_does)
{
    static const char *const names[] = {"", "a", "exactly thirty-one bytes long...",
                                        "thirty-two bytes long, one too m",
                                        "a name far longer than any buffer it is copied to"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        for (size_t size = 1; size < 40; size++) {
            char copied[40], printed[40];
            memset(copied, 'x', sizeof copied);
            cr_assert_eq(text_copy(copied, size, names[i]), copied);
            snprintf(printed, size, "%s", names[i]);
            cr_assert_str_eq(copied, printed, "\"%s\" into %zu bytes", names[i], size);
            cr_assert_eq(copied[size], 'x', "\"%s\" into %zu bytes: nothing written past them",
                         names[i], size);
        }
}

Test(text, copy_of_null_is_empty)
{
    char buffer[8] = "full";
    cr_assert_str_eq(text_copy(buffer, sizeof buffer, NULL), "");
}

Test(text, printf_appends)
{
    struct text t = {0};
    cr_assert_str_eq(text_str(&t), "");
    text_printf(&t, "%s %d", "pid", 3);
    text_printf(&t, "; %s", "exited");
    cr_assert_str_eq(text_str(&t), "pid 3; exited");
    cr_assert_eq(t.length, strlen("pid 3; exited"));
    text_free(&t);
}
