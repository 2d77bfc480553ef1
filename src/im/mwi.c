/* im/mwi.c - the message-summary event package (RFC 3842 3, 5) for
 * deferred pager messages */
#include "mwi.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "im.mwi"

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../event/evt.h"

enum {
	AOR_MAX = 520,
	MWI_BUCKETS = 256,
};

/*
 * Lifetime (as in presence/regevent.c): evt keeps a pointer to us as the
 * package's arg and has no evt_pkg_unregister. We hold a reference to
 * evt and drop it first in our destructor, so its subscriptions end
 * while we are whole: the caller releases evt before releasing us.
 */
struct im_mwi {
	struct evt *e;       /* reference */
	struct hash *counts; /* struct wcount by AoR; only non-zero counts */
};

struct wcount {
	struct le he;
	char *aor; /* "bob@example.com", the host in lower case */
	uint32_t n;
};

static void wcount_destroy(void *data)
{
	struct wcount *w = data;

	hash_unlink(&w->he);
	mem_deref(w->aor);
}

static void mwi_destroy(void *data)
{
	struct im_mwi *m = data;

	m->e = mem_deref(m->e);
	hash_flush(m->counts);
	m->counts = mem_deref(m->counts);
}

/* The form subscriptions name their resource in (proxy/location.c
 * loc_aor_print): the user as given, the host in lower case. false:
 * empty or too long. */
static bool aor_key(char *key, size_t size, const char *aor)
{
	size_t n = aor ? strlen(aor) : 0;
	char *at;

	if (!n || n >= size)
		return false;
	memcpy(key, aor, n + 1);
	at = strrchr(key, '@');
	for (char *p = at ? at + 1 : key + n; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	return true;
}

static bool wcount_cmp(struct le *le, void *arg)
{
	const struct wcount *w = le->data;

	return !strcmp(w->aor, arg);
}

static struct wcount *wcount_find(const struct im_mwi *m, const char *key)
{
	struct le *le;

	le = hash_lookup(m->counts, str_hash_ci(key), wcount_cmp, (void *)key);
	return le ? le->data : NULL;
}

uint32_t im_mwi_get(const struct im_mwi *m, const char *aor)
{
	const struct wcount *w;
	char key[AOR_MAX];

	if (!m || !aor_key(key, sizeof(key), aor))
		return 0;
	w = wcount_find(m, key);
	return w ? w->n : 0;
}

void im_mwi_set(struct im_mwi *m, const char *aor, uint32_t waiting)
{
	struct wcount *w;
	char key[AOR_MAX];

	if (!m || !aor_key(key, sizeof(key), aor))
		return;
	w = wcount_find(m, key);
	if ((w ? w->n : 0) == waiting)
		return;
	if (!waiting) {
		mem_deref(w);
	} else if (w) {
		w->n = waiting;
	} else {
		w = mem_zalloc(sizeof(*w), wcount_destroy);
		if (!w || mem_strdup(&w->aor, key)) {
			mem_deref(w);
			log_warn(NULL, "%s: %u waiting: out of memory", key,
			         waiting);
			return;
		}
		w->n = waiting;
		hash_append(m->counts, str_hash_ci(key), &w->he, w);
	}
	evt_notify_resource(m->e, MWI_EVENT, key, true);
}

int im_mwi_body(struct buf **mbp, const char *account_uri, uint32_t waiting)
{
	struct buf *b = NULL;
	int err;

	if (!mbp || (account_uri && strpbrk(account_uri, "\r\n")))
		return EINVAL;
	err = buf_alloc(&b, 128);
	if (err)
		return err;
	err = buf_printf(b, "Messages-Waiting: %s\r\n", waiting ? "yes" : "no");
	if (!err && account_uri && *account_uri)
		err = buf_printf(b, "Message-Account: %s\r\n", account_uri);
	if (!err)
		err =
		    buf_printf(b, "Text-Message: %u/0\r\n", (unsigned)waiting);
	if (err) {
		mem_deref(b);
		return err;
	}
	*mbp = b;
	return 0;
}

/* "user@domain" (the resource, the authenticated identity): equal users,
 * domains equal but for case. */
static bool same_aor(const char *a, const char *b)
{
	const char *ata = strrchr(a, '@'), *atb = strrchr(b, '@');

	if (!ata || !atb || ata - a != atb - b)
		return false;
	return !strncmp(a, b, (size_t)(ata - a)) && !strcasecmp(ata, atb);
}

static int subscribe_h(struct evt_sub *sub, bool restored, void *arg)
{
	const char *ident = evt_sub_ident(sub), *res = evt_sub_resource(sub);

	(void)arg;
	/* a restored subscription without a stored identity passed this
	 * check when it was made */
	if ((ident && res && same_aor(ident, res)) || (restored && !ident))
		return evt_sub_accept(sub, EVT_ACTIVE);
	log_info(NULL, "message-summary subscription to %s by %s refused",
	         res ? res : "", ident ? ident : "(unauthenticated)");
	return evt_sub_reject(sub, 403, NULL, EVT_REASON_REJECTED);
}

/* Always the full state (RFC 3842 has no partial state). */
static int body_h(struct evt_sub *sub, bool full, struct buf **bodyp,
                  char *ctype, size_t ctype_size, void *arg)
{
	const struct im_mwi *m = arg;
	const char *res = evt_sub_resource(sub);
	char account[AOR_MAX + 4];

	(void)full;
	(void)ctype;
	(void)ctype_size;
	if (!res || snprintf(account, sizeof(account), "sip:%s", res) >=
	                (int)sizeof(account))
		return EINVAL;
	return im_mwi_body(bodyp, account, im_mwi_get(m, res));
}

int im_mwi_alloc(struct im_mwi **mp, struct evt *e)
{
	struct evt_pkg pkg;
	struct im_mwi *m;
	int err;

	if (!mp || !e)
		return EINVAL;
	m = mem_zalloc(sizeof(*m), mwi_destroy);
	if (!m)
		return ENOMEM;
	err = hash_alloc(&m->counts, MWI_BUCKETS);
	if (err)
		goto out;
	m->e = mem_ref(e);

	memset(&pkg, 0, sizeof(pkg));
	pkg.name = MWI_EVENT;
	pkg.ctype = MWI_CTYPE;
	pkg.default_expires = 3600;
	pkg.subscribe = subscribe_h;
	pkg.body = body_h;
	pkg.arg = m;
	err = evt_pkg_register(e, &pkg);
out:
	if (err)
		mem_deref(m);
	else
		*mp = m;
	return err;
}
