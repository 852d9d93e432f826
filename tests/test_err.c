/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "lpae/err.h"

static void every_code_has_a_name_and_text(void **state)
{
    (void)state;
    for (int e = 0; e >= LPAE_ERR_MIN; e--) {
        assert_non_null(lpae_strerror(e));
        assert_string_not_equal(lpae_strerror(e), "unknown error");
        assert_true(strncmp(lpae_err_name(e), "LPAE_", 5) == 0);
        assert_string_not_equal(lpae_err_name(e), "LPAE_E?");
    }
    assert_string_equal(lpae_err_name(LPAE_EINVAL), "LPAE_EINVAL");
    assert_string_equal(lpae_err_name(LPAE_EPERM), "LPAE_EPERM");
}

static void unknown_codes_are_safe(void **state)
{
    (void)state;
    assert_string_equal(lpae_strerror(1), "unknown error");
    assert_string_equal(lpae_strerror(LPAE_ERR_MIN - 1), "unknown error");
    assert_string_equal(lpae_err_name(-1000), "LPAE_E?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_has_a_name_and_text),
        cmocka_unit_test(unknown_codes_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
