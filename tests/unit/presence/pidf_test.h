/* tests/unit/presence/pidf_test.h - shared helpers of the PIDF tests */
#ifndef PIDF_TEST_H
#define PIDF_TEST_H

#include <stdbool.h>

struct pidf;

/* Parse tests/data/presence/<name>; a parse error other than ENOMEM is a
 * test failure naming the file and the error. */
int pidf_test_load(struct pidf **dp, const char *name, bool lenient);
/* Parse a string; errors as above. */
int pidf_test_parse(struct pidf **dp, const char *xml, bool lenient);
/* The printed document as a NUL-terminated mem string. */
int pidf_test_print(char **sp, const struct pidf *d);

#endif
