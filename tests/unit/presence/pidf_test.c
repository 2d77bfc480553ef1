/* tests/unit/presence/pidf_test.c - shared helpers of the PIDF tests */
#include "pidf_test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "presence/pidf.h"
#include "test.h"

int pidf_test_load(struct pidf **dp, const char *name, bool lenient)
{
	char rel[128], msg[160];
	char *xml = NULL;
	size_t len;
	int err;

	snprintf(rel, sizeof(rel), "presence/%s", name);
	err = test_read_file(&xml, &len, rel);
	if (!err)
		err = pidf_parse(dp, xml, len, lenient, msg, sizeof(msg));
	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s: %s", name, msg);
	mem_deref(xml);
	return err;
}

int pidf_test_parse(struct pidf **dp, const char *xml, bool lenient)
{
	char msg[160];
	int err = pidf_parse(dp, xml, strlen(xml), lenient, msg, sizeof(msg));

	if (err && err != ENOMEM)
		test_fail(__FILE__, __LINE__, "%s", msg);
	return err;
}

int pidf_test_print(char **sp, const struct pidf *d)
{
	struct buf *mb = NULL;
	int err = pidf_print(&mb, d);

	if (!err)
		err = mem_strndup(sp, (const char *)mb->b, mb->end);
	mem_deref(mb);
	return err;
}
