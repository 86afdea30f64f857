/* Unit tests of common/mg.c helpers that the analyzers lean on. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mg.h"

Test(mg, memmem_agrees_with_libc)
{
    static const char *const needles[] = {"import",    "except", "noqa", "aise", "x", "__all__",
                                          "getLogger", "@",      "qq",   "ab",   "zz"};
    static const char alphabet[] = "abeimnopqrtx_@ \n";
    char hay[600];
    srand(11);
    for (int round = 0; round < 3000; round++) {
        size_t n = (size_t)rand() % sizeof(hay);
        for (size_t i = 0; i < n; i++)
            hay[i] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
        /* Plant a needle now and then, at the very ends too. */
        const char *needle = needles[(size_t)rand() % (sizeof(needles) / sizeof(*needles))];
        size_t k = strlen(needle);
        if (n >= k && rand() % 2) {
            size_t at = rand() % 3 == 0 ? n - k : (size_t)rand() % (n - k + 1);
            memcpy(hay + at, needle, k);
        }
        const char *want = memmem(hay, n, needle, k);
        const char *got = mg_memmem(hay, n, needle, k);
        cr_assert_eq(got, want, "round %d: needle '%s' in %zu bytes: %td, libc %td", round, needle,
                     n, got ? got - hay : -1, want ? want - hay : -1);
    }
}

Test(mg, memmem_edges)
{
    const char *t = "xximport";
    cr_assert_eq(mg_memmem(t, 8, "", 0), t);
    cr_assert_eq(mg_memmem(t, 8, "import", 6), t + 2);
    cr_assert_eq(mg_memmem(t + 2, 6, "import", 6), t + 2);
    cr_assert_null(mg_memmem(t + 2, 5, "import", 6));
    cr_assert_null(mg_memmem(t, 0, "i", 1));
    const char *qq = "Qq";
    cr_assert_eq(mg_memmem(qq, 2, "q", 1), qq + 1);
}
