/* presence/perm.c - presence permissions and their combination (RFC 4745
 * 10.2, RFC 5025 3.2-3.3) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/util.h"
#include "pidf.h"

/*
 * An items array of a struct pres_perm_set is a mem block of n + 1
 * pointers: n mem strings and a NULL after them. The block's destructor
 * releases the strings, so releasing the array is one mem_deref. Arrays
 * are never changed once made: copies and merges share them by
 * reference, so pres_perm_copy cannot fail and pres_rules_eval seldom
 * allocates.
 */

static void items_destroy(void *data)
{
	char **items = data;

	for (size_t i = 0; items[i]; i++)
		mem_deref(items[i]);
}

static void set_reset(struct pres_perm_set *s)
{
	s->items = mem_deref(s->items);
	s->n = 0;
	s->all = false;
}

void pres_perm_init(struct pres_perm *p)
{
	if (!p)
		return;
	memset(p, 0, sizeof(*p));
	p->sub_handling = PRES_BLOCK;
	p->user_input = PRES_UI_FALSE;
}

void pres_perm_reset(struct pres_perm *p)
{
	if (!p)
		return;
	set_reset(&p->devices);
	set_reset(&p->persons);
	set_reset(&p->services);
	set_reset(&p->unknown);
	pres_perm_init(p);
}

/* Like pres_perm_init, p is written without looking at what it held:
 * reset a permission that holds items first. */
void pres_perm_full(struct pres_perm *p, enum pres_handling h)
{
	if (!p)
		return;
	pres_perm_init(p);
	p->sub_handling = h;
	p->devices.all = true;
	p->persons.all = true;
	p->services.all = true;
	p->unknown.all = true;
	p->attrs = PRES_ATTR_ACTIVITIES | PRES_ATTR_CLASS | PRES_ATTR_DEVICEID |
	           PRES_ATTR_MOOD | PRES_ATTR_PLACE_IS | PRES_ATTR_PLACE_TYPE |
	           PRES_ATTR_PRIVACY | PRES_ATTR_RELATIONSHIP |
	           PRES_ATTR_STATUS_ICON | PRES_ATTR_SPHERE |
	           PRES_ATTR_TIME_OFFSET | PRES_ATTR_NOTE | PRES_ATTR_ALL;
	p->user_input = PRES_UI_FULL;
}

static void set_copy(struct pres_perm_set *dst, const struct pres_perm_set *src)
{
	dst->all = src->all;
	dst->items = src->n ? mem_ref(src->items) : NULL;
	dst->n = dst->items ? src->n : 0;
}

/* dst is written without looking at what it held (an out-parameter). */
int pres_perm_copy(struct pres_perm *dst, const struct pres_perm *src)
{
	if (!dst || !src)
		return EINVAL;
	pres_perm_init(dst);
	dst->sub_handling = src->sub_handling;
	dst->attrs = src->attrs;
	dst->user_input = src->user_input;
	set_copy(&dst->devices, &src->devices);
	set_copy(&dst->persons, &src->persons);
	set_copy(&dst->services, &src->services);
	set_copy(&dst->unknown, &src->unknown);
	return 0;
}

static bool set_has(const struct pres_perm_set *s, const char *item)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->items[i] && !strcmp(s->items[i], item))
			return true;
	return false;
}

/* The union of a and b as a new array in *out (NULL: a does, or b when a
 * is empty); *outn its length. Nothing changes on failure. */
static int set_union(char ***out, uint32_t *outn, const struct pres_perm_set *a,
                     const struct pres_perm_set *b)
{
	uint32_t extra = 0, k = 0;
	char **items;

	*out = NULL;
	*outn = 0;
	for (uint32_t i = 0; i < b->n; i++)
		if (b->items[i] && !set_has(a, b->items[i]))
			extra++;
	if (!extra)
		return 0;
	if (!a->n) {
		*out = mem_ref(b->items);
		*outn = b->n;
		return 0;
	}
	if ((size_t)a->n + extra >= UINT32_MAX)
		return ERANGE;
	items = mem_zalloc(((size_t)a->n + extra + 1) * sizeof(*items),
	                   items_destroy);
	if (!items)
		return ENOMEM;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->items[i])
			items[k++] = mem_ref(a->items[i]);
	for (uint32_t i = 0; i < b->n; i++) {
		if (!b->items[i] || set_has(a, b->items[i]))
			continue;
		/* b may repeat an item: keep the first only */
		bool dup = false;

		for (uint32_t j = 0; j < k && !dup; j++)
			dup = !strcmp(items[j], b->items[i]);
		if (!dup)
			items[k++] = mem_ref(b->items[i]);
	}
	*out = items;
	*outn = k;
	return 0;
}

/* The merged set goes to *res; dst is not touched. */
static int set_merge(struct pres_perm_set *res, const struct pres_perm_set *dst,
                     const struct pres_perm_set *src)
{
	char **items;
	uint32_t n;
	int err;

	memset(res, 0, sizeof(*res));
	if (dst->all || src->all) {
		res->all = true;
		return 0;
	}
	err = set_union(&items, &n, dst, src);
	if (err)
		return err;
	if (items) {
		res->items = items;
		res->n = n;
	} else if (dst->n) {
		res->items = mem_ref(dst->items);
		res->n = dst->n;
	}
	return 0;
}

/* dst must be initialized; it is unchanged when this fails. */
int pres_perm_merge(struct pres_perm *dst, const struct pres_perm *src)
{
	struct pres_perm_set s[4];
	int err;

	if (!dst || !src)
		return EINVAL;
	memset(s, 0, sizeof(s));
	err = set_merge(&s[0], &dst->devices, &src->devices);
	if (!err)
		err = set_merge(&s[1], &dst->persons, &src->persons);
	if (!err)
		err = set_merge(&s[2], &dst->services, &src->services);
	if (!err)
		err = set_merge(&s[3], &dst->unknown, &src->unknown);
	if (err) {
		for (size_t i = 0; i < 4; i++)
			set_reset(&s[i]);
		return err;
	}
	set_reset(&dst->devices);
	set_reset(&dst->persons);
	set_reset(&dst->services);
	set_reset(&dst->unknown);
	dst->devices = s[0];
	dst->persons = s[1];
	dst->services = s[2];
	dst->unknown = s[3];
	if (src->sub_handling > dst->sub_handling)
		dst->sub_handling = src->sub_handling;
	if (src->user_input > dst->user_input)
		dst->user_input = src->user_input;
	dst->attrs |= src->attrs;
	return 0;
}

/*
 * The key hashes a canonical form without allocating: a chain of MD5
 * digests, each over the previous digest and one field. Items are fed in
 * sorted order (each smallest item above the last one, so repeats count
 * once); an item enters as the digest of its bytes, which keeps every
 * step a fixed size. sub_handling is not part of the key: the key names
 * what a watcher may see, and the transformation does not look at it.
 */
static void chain(char h[33], const char *tag, const char *val)
{
	char b[33 + 16 + 33];
	int n = snprintf(b, sizeof(b), "%s|%s|%s", h, tag, val);

	md5_hex(h, b, n > 0 ? (size_t)n : 0);
}

static void chain_set(char h[33], const char *tag,
                      const struct pres_perm_set *s)
{
	const char *last = NULL;
	char ih[33];

	if (s->all) {
		chain(h, tag, "all");
		return;
	}
	chain(h, tag, "some");
	for (;;) {
		const char *next = NULL;

		for (uint32_t i = 0; i < s->n; i++) {
			const char *it = s->items[i];

			if (!it || (last && strcmp(it, last) <= 0))
				continue;
			if (!next || strcmp(it, next) < 0)
				next = it;
		}
		if (!next)
			break;
		md5_hex(ih, next, strlen(next));
		chain(h, "item", ih);
		last = next;
	}
	chain(h, tag, "end");
}

void pres_perm_key(const struct pres_perm *p, char key[33])
{
	char num[16];

	memset(key, '0', 32);
	key[32] = '\0';
	if (!p)
		return;
	snprintf(num, sizeof(num), "%x", (unsigned)p->attrs);
	chain(key, "attrs", num);
	snprintf(num, sizeof(num), "%d", (int)p->user_input);
	chain(key, "ui", num);
	chain_set(key, "devices", &p->devices);
	chain_set(key, "persons", &p->persons);
	chain_set(key, "services", &p->services);
	chain_set(key, "unknown", &p->unknown);
}
