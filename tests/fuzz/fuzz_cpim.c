/* tests/fuzz/fuzz_cpim.c - libFuzzer target: message/cpim (RFC 3862)
 * parse, field lookups, addresses, DateTime; what parses builds again and
 * parses to the same URI and the same content */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "im/cpim.h"

static void rebuild(const struct cpim *c, const struct pl *fn,
                    const struct pl *fu, const struct pl *tu, uint64_t ms)
{
	const struct pl *id = cpim_field(c, IMDN_NS_URI, "Message-ID");
	char *s[5] = {NULL, NULL, NULL, NULL, NULL};
	struct cpim_wrap w = {
	    .datetime_ms = ms, .body = c->body.p, .len = c->body.l};
	struct buf *mb = NULL;
	struct cpim c2;
	struct pl u, want;

	if (!pl_strdup(&s[0], fn) && !pl_strdup(&s[1], fu) &&
	    !pl_strdup(&s[2], tu) && !pl_strdup(&s[3], &c->ctype) &&
	    (!id || !pl_strdup(&s[4], id))) {
		w.from_name = s[0];
		w.from_uri = s[1];
		w.to_uri = s[2];
		w.ctype = s[3];
		w.imdn_id = s[4];
		pl_set_str(&want, s[1]); /* a NUL in the URI ended the copy */
		pl_trim(&want);
		if (!cpim_build(&mb, &w) &&
		    (cpim_parse(&c2, (const char *)mb->b, mb->end, NULL) ||
		     cpim_addr(cpim_field(&c2, NULL, "From"), NULL, &u) ||
		     pl_cmp(&u, &want) || c2.body.l != c->body.l ||
		     (c->body.l && memcmp(c2.body.p, c->body.p, c->body.l))))
			abort(); /* built what does not parse back */
	}
	for (int i = 0; i < 5; i++)
		mem_deref(s[i]);
	mem_deref(mb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pl *v, *from, *to;
	struct pl fn, fu, tu;
	struct cpim c;
	uint64_t ms = 0, ms2 = 1;
	char dt[32];

	if (cpim_parse(&c, (const char *)data, size, NULL))
		return 0;
	for (v = cpim_field(&c, NULL, "To"); v; v = cpim_field_next(&c, v))
		cpim_addr(v, &fn, &tu);
	v = cpim_field(&c, NULL, "DateTime");
	if (v && !cpim_datetime_parse(v, &ms) &&
	    !cpim_datetime_print(dt, sizeof(dt), ms)) {
		struct pl p;

		pl_set_str(&p, dt);
		if (cpim_datetime_parse(&p, &ms2) || ms2 != ms)
			abort();
	}
	from = cpim_field(&c, NULL, "From");
	to = cpim_field(&c, NULL, "To");
	if (from && to && !cpim_addr(from, &fn, &fu) &&
	    !cpim_addr(to, NULL, &tu))
		rebuild(&c, &fn, &fu, &tu, ms);
	return 0;
}
