/* proxy/location.c - AoR -> bindings, expiry (RFC 3261 10, RFC 5627) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "proxy.loc"

#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/tmr.h"
#include "../base/util.h"
#include "../store/store.h"
#include "location.h"
#include "reg_int.h"

/*
 * Memory: one block per AoR (list head, expiry timer, key) and one block
 * per binding (the public struct, a hash link for its temporary GRUU and
 * every string packed behind it). Expiry: each AoR keeps one timer for
 * its earliest binding, so 100k bindings cost at most 100k heap slots and
 * the heap does the sorting.
 */

enum {
	AOR_BUCKETS = 16384,
	GRUU_BUCKETS = 4096,
};

struct loc {
	struct store *st;
	struct tmrl *tl;
	struct hash *aors;  /* struct loc_aor, by key */
	struct hash *gruus; /* struct bpriv, by temp_gruu token */
	struct list watchers;
	uint32_t count;
};

struct loc_aor {
	struct le he;    /* in loc->aors */
	struct list bl;  /* struct loc_binding, q desc then newest */
	struct tmr tmr;  /* earliest expiry of bl */
	struct loc *loc; /* borrowed: the loc owns the table */
	bool dirty;      /* an expiry write could not be queued */
	char key[];
};

/* A binding as allocated here: the public part first. */
struct bpriv {
	struct loc_binding b;
	struct le gle; /* in loc->gruus while live with a temp_gruu */
};

struct watcher {
	struct le le;
	loc_change_h *h;
	void *arg;
};

/* One loc_replace in flight. */
struct repl {
	loc_done_h *done;
	void *arg;       /* reference held */
	struct loc *loc; /* reference held */
	int err;
	bool in_call; /* inside store_reg_replace */
	bool fired;   /* store completion seen during the call */
};

static const char *const tp_names[] = {"", "udp", "tcp", "tls"};

uint64_t loc_wallclock(const struct loc *loc)
{
	return tmrl_wallclock(loc->tl);
}

struct tmrl *loc_tmrl(const struct loc *loc)
{
	return loc->tl;
}

int loc_rx_print(enum sip_transp tp, const struct sa *addr, char *buf,
                 size_t size)
{
	char a[64];
	int n;

	if (!buf || !size)
		return EINVAL;
	if (tp <= SIP_TRANSP_NONE || tp > SIP_TRANSP_TLS || !addr ||
	    !sa_isset(addr)) {
		buf[0] = '\0';
		return 0;
	}
	if (sa_print(addr, a, sizeof(a)))
		return EINVAL;
	n = snprintf(buf, size, "%s:%s", tp_names[tp], a);
	if (n < 0 || (size_t)n >= size)
		return ERANGE;
	return 0;
}

int loc_rx_decode(const char *s, enum sip_transp *tp, struct sa *addr)
{
	const char *colon;
	struct pl name;

	if (!s || !tp || !addr)
		return EINVAL;
	colon = strchr(s, ':');
	if (!colon)
		return EINVAL;
	pl_set_mem(&name, s, (size_t)(colon - s));
	*tp = sip_transp_decode(&name);
	if (*tp == SIP_TRANSP_NONE)
		return EINVAL;
	return sa_decode(addr, colon + 1, strlen(colon + 1));
}

/* --- bindings --- */

static void bpriv_destroy(void *data)
{
	struct bpriv *bp = data;

	list_unlink(&bp->b.le);
	hash_unlink(&bp->gle);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 1;
}

static char *scopy(char **pos, const char *s)
{
	char *d = *pos;
	size_t n = slen(s);

	if (s)
		memcpy(d, s, n);
	else
		d[0] = '\0';
	*pos += n;
	return d;
}

int loc_binding_alloc(struct loc_binding **bp, const struct loc_binding *b)
{
	struct bpriv *p;
	size_t n;
	char *pos;

	if (!bp || !b)
		return EINVAL;
	n = slen(b->aor) + slen(b->contact) + slen(b->instance) +
	    slen(b->callid) + slen(b->path) + slen(b->params) +
	    slen(b->user_agent) + slen(b->temp_gruu);
	p = mem_zalloc(sizeof(*p) + n, bpriv_destroy);
	if (!p)
		return ENOMEM;
	pos = (char *)(p + 1);
	p->b.aor = scopy(&pos, b->aor);
	p->b.contact = scopy(&pos, b->contact);
	p->b.instance = scopy(&pos, b->instance);
	p->b.callid = scopy(&pos, b->callid);
	p->b.path = scopy(&pos, b->path);
	p->b.params = scopy(&pos, b->params);
	p->b.user_agent = scopy(&pos, b->user_agent);
	p->b.temp_gruu = scopy(&pos, b->temp_gruu);
	p->b.reg_id = b->reg_id;
	p->b.cseq = b->cseq;
	p->b.expires = b->expires;
	p->b.q = b->q;
	p->b.rx_tp = b->rx_tp;
	p->b.rx_addr = b->rx_addr;
	*bp = &p->b;
	return 0;
}

/* --- AoR entries --- */

static void aor_destroy(void *data)
{
	struct loc_aor *a = data;

	tmr_cancel(&a->tmr);
	hash_unlink(&a->he);
	list_flush(&a->bl);
}

static int aor_alloc(struct loc_aor **ap, struct loc *loc, const char *key)
{
	size_t n = strlen(key) + 1;
	struct loc_aor *a;

	a = mem_zalloc(sizeof(*a) + n, aor_destroy);
	if (!a)
		return ENOMEM;
	memcpy(a->key, key, n);
	list_init(&a->bl);
	tmr_init(&a->tmr);
	a->loc = loc;
	*ap = a;
	return 0;
}

static bool aor_cmp(struct le *le, void *arg)
{
	const struct loc_aor *a = le->data;

	return !strcmp(a->key, arg);
}

static uint32_t key_hash(const char *key)
{
	struct pl pl;

	pl_set_str(&pl, key);
	return pl_hash(&pl);
}

static struct loc_aor *aor_find(const struct loc *loc, const char *key)
{
	struct le *le;

	le = hash_lookup(loc->aors, key_hash(key), aor_cmp, (void *)key);
	return le ? le->data : NULL;
}

/* Insert b into l after every binding that sorts before it: higher q, or
 * equal q and (by_expiry) a later expiry. Equal keys keep arrival order. */
static void insert_sorted(struct list *l, struct loc_binding *b, bool by_expiry)
{
	struct le *at = l->tail;

	while (at) {
		const struct loc_binding *o = at->data;

		if (o->q > b->q ||
		    (o->q == b->q && (!by_expiry || o->expires >= b->expires)))
			break;
		at = at->prev;
	}
	if (at)
		list_insert_after(l, at, &b->le, b);
	else
		list_prepend(l, &b->le, b);
}

static void binding_link(struct loc *loc, struct loc_aor *a,
                         struct loc_binding *b, bool by_expiry)
{
	struct bpriv *p = (struct bpriv *)b;

	insert_sorted(&a->bl, b, by_expiry);
	if (b->temp_gruu[0])
		hash_append(loc->gruus, key_hash(b->temp_gruu), &p->gle, p);
	loc->count++;
}

static void binding_drop(struct loc *loc, struct loc_binding *b)
{
	struct bpriv *p = (struct bpriv *)b;

	list_unlink(&b->le);
	hash_unlink(&p->gle);
	loc->count--;
	mem_deref(b);
}

static uint64_t earliest(const struct list *l)
{
	uint64_t e = UINT64_MAX;

	LIST_FOREACH(l, le) {
		const struct loc_binding *b = le->data;

		if (b->expires < e)
			e = b->expires;
	}
	return e;
}

static void aor_expire(void *arg);

/* Start a's timer for the earliest expiry in l (at least 1 s from now,
 * since expiry is checked on the wall clock in whole seconds). */
static int aor_schedule(struct loc_aor *a, const struct list *l)
{
	uint64_t now = loc_wallclock(a->loc), e = earliest(l);
	uint64_t delay;

	if (e == UINT64_MAX && !a->dirty) {
		tmr_cancel(&a->tmr);
		return 0;
	}
	if (a->dirty || e <= now + 1)
		delay = (e > now || a->dirty) ? 1000 : 0; /* dirty: retry */
	else
		delay = (e - now) * 1000;
	return tmr_start(&a->tmr, a->loc->tl, delay, aor_expire, a);
}

static void notify(struct loc *loc, const char *aor)
{
	LIST_FOREACH(&loc->watchers, le) {
		struct watcher *w = le->data;

		w->h(aor, w->arg);
	}
}

/* The store view of a binding; rx is the caller's buffer for received. */
static void sb_fill(struct store_binding *sb, const struct loc_binding *b,
                    char *rx, size_t rxsize)
{
	if (loc_rx_print(b->rx_tp, &b->rx_addr, rx, rxsize))
		rx[0] = '\0';
	sb->aor = b->aor;
	sb->contact = b->contact;
	sb->instance = b->instance;
	sb->reg_id = b->reg_id;
	sb->callid = b->callid;
	sb->cseq = b->cseq;
	sb->expires = b->expires;
	sb->q = b->q;
	sb->path = b->path;
	sb->received = rx;
	sb->params = b->params;
	sb->user_agent = b->user_agent;
	sb->temp_gruu = b->temp_gruu;
}

enum { RX_MAX = 80 };

/* A store array for l (NULL for an empty list): the store_binding
 * elements, then the "received" strings they point to. */
static int sb_array(struct store_binding **ap, const struct list *l)
{
	size_t n = list_count(l), i = 0;
	struct store_binding *arr;
	char *rx;

	*ap = NULL;
	if (!n)
		return 0;
	arr = mem_zalloc(n * (sizeof(*arr) + RX_MAX), NULL);
	if (!arr)
		return ENOMEM;
	rx = (char *)(arr + n);
	LIST_FOREACH(l, le) {
		sb_fill(&arr[i], le->data, rx + i * RX_MAX, RX_MAX);
		i++;
	}
	*ap = arr;
	return 0;
}

/* An expiry write in flight. */
struct xw {
	struct loc *loc; /* reference */
	char key[];
};

static void xw_destroy(void *data)
{
	mem_deref(((struct xw *)data)->loc);
}

static void expire_done(int err, void *arg)
{
	struct xw *x = arg;
	struct loc_aor *a;

	if (!err)
		return;
	log_warn(NULL, "writing expired bindings of %s: %s", x->key,
	         err_str(err));
	/* try again in a second (an empty AoR gets an entry back for it) */
	a = aor_find(x->loc, x->key);
	if (!a) {
		if (aor_alloc(&a, x->loc, x->key))
			return;
		hash_append(x->loc->aors, key_hash(a->key), &a->he, a);
	}
	a->dirty = true;
	if (aor_schedule(a, &a->bl))
		log_err(NULL, "expiry timer for %s", x->key);
}

/* Write a's bindings after an expiry. A write that cannot be queued or
 * committed leaves a dirty and is retried a second later. */
static void aor_write(struct loc_aor *a)
{
	struct store_binding *arr = NULL;
	size_t n = strlen(a->key) + 1;
	struct xw *x;
	int err;

	x = mem_zalloc(sizeof(*x) + n, xw_destroy);
	if (!x) {
		err = ENOMEM;
		goto out;
	}
	x->loc = mem_ref(a->loc);
	memcpy(x->key, a->key, n);
	err = sb_array(&arr, &a->bl);
	if (!err) {
		a->dirty = false;
		err = store_reg_replace(a->loc->st, a->key, arr,
		                        (uint32_t)list_count(&a->bl),
		                        expire_done, x);
	}
out:
	if (err) {
		a->dirty = true;
		log_warn(NULL, "writing expired bindings of %s: %s", a->key,
		         err_str(err));
	}
	mem_deref(arr);
	mem_deref(x);
}

static void aor_expire(void *arg)
{
	struct loc_aor *a = arg;
	struct loc *loc = a->loc;
	uint64_t now = loc_wallclock(loc);
	bool changed = false;
	int err;

	LIST_FOREACH(&a->bl, le) {
		struct loc_binding *b = le->data;

		if (b->expires <= now) {
			log_debug(NULL, "binding %s -> %s expired", a->key,
			          b->contact);
			binding_drop(loc, b);
			changed = true;
		}
	}

	if (changed || a->dirty)
		aor_write(a);
	if (changed)
		notify(loc, a->key);

	if (!list_count(&a->bl) && !a->dirty) {
		mem_deref(a);
		return;
	}
	err = aor_schedule(a, &a->bl);
	if (err)
		log_err(NULL, "expiry timer for %s: %s", a->key, err_str(err));
}

/* --- the location service --- */

static void loc_destroy(void *data)
{
	struct loc *loc = data;

	hash_flush(loc->aors);
	loc->aors = mem_deref(loc->aors);
	loc->gruus = mem_deref(loc->gruus);
	list_flush(&loc->watchers);
	loc->st = mem_deref(loc->st);
	loc->tl = mem_deref(loc->tl);
}

struct load_ctx {
	struct loc *loc;
	uint64_t now;
	int err;
};

static int load_one(struct loc *loc, const struct store_binding *sb)
{
	struct loc_binding tmpl, *b = NULL;
	struct loc_aor *a;
	int err;

	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.aor = (char *)sb->aor;
	tmpl.contact = (char *)sb->contact;
	tmpl.instance = (char *)sb->instance;
	tmpl.reg_id = sb->reg_id;
	tmpl.callid = (char *)sb->callid;
	tmpl.cseq = sb->cseq;
	tmpl.expires = sb->expires;
	tmpl.q = sb->q;
	tmpl.path = (char *)sb->path;
	tmpl.params = (char *)sb->params;
	tmpl.user_agent = (char *)sb->user_agent;
	tmpl.temp_gruu = (char *)sb->temp_gruu;
	if (sb->received && sb->received[0] &&
	    loc_rx_decode(sb->received, &tmpl.rx_tp, &tmpl.rx_addr)) {
		tmpl.rx_tp = SIP_TRANSP_NONE;
		sa_init(&tmpl.rx_addr, AF_UNSPEC);
	}

	err = loc_binding_alloc(&b, &tmpl);
	if (err)
		return err;

	a = aor_find(loc, sb->aor);
	if (!a) {
		err = aor_alloc(&a, loc, sb->aor);
		if (err) {
			mem_deref(b);
			return err;
		}
		hash_append(loc->aors, key_hash(a->key), &a->he, a);
	}
	binding_link(loc, a, b, true);
	return 0;
}

static void load_h(const struct store_binding *sb, void *arg)
{
	struct load_ctx *lc = arg;

	if (lc->err || !sb->aor || !sb->aor[0] || !sb->contact)
		return;
	if (sb->expires <= lc->now)
		return;
	lc->err = load_one(lc->loc, sb);
}

static bool schedule_h(struct le *le, void *arg)
{
	struct loc_aor *a = le->data;
	int *errp = arg;

	*errp = aor_schedule(a, &a->bl);
	return *errp != 0;
}

int loc_alloc(struct loc **lp, struct store *st, struct tmrl *tl)
{
	struct load_ctx lc;
	struct loc *loc;
	int err;

	if (!lp || !st || !tl)
		return EINVAL;
	loc = mem_zalloc(sizeof(*loc), loc_destroy);
	if (!loc)
		return ENOMEM;
	list_init(&loc->watchers);
	loc->st = mem_ref(st);
	loc->tl = mem_ref(tl);
	err = hash_alloc(&loc->aors, AOR_BUCKETS);
	if (err)
		goto out;
	err = hash_alloc(&loc->gruus, GRUU_BUCKETS);
	if (err)
		goto out;

	lc.loc = loc;
	lc.now = loc_wallclock(loc);
	lc.err = 0;
	err = store_reg_list(st, NULL, load_h, &lc);
	if (!err)
		err = lc.err;
	if (err)
		goto out;
	hash_apply(loc->aors, schedule_h, &err);
	if (err)
		goto out;
	log_info(NULL, "%u bindings loaded", loc->count);

out:
	if (err)
		mem_deref(loc);
	else
		*lp = loc;
	return err;
}

const struct list *loc_find(struct loc *loc, const char *aor)
{
	struct loc_aor *a;

	if (!loc || !aor)
		return NULL;
	a = aor_find(loc, aor);
	if (!a || !list_count(&a->bl))
		return NULL;
	return &a->bl;
}

static bool gruu_cmp(struct le *le, void *arg)
{
	const struct bpriv *p = le->data;

	return !strcmp(p->b.temp_gruu, arg);
}

/* The host of a "user@host" key (after the last '@'). */
static const char *key_host(const char *key)
{
	const char *at = strrchr(key, '@');

	return at ? at + 1 : "";
}

struct loc_binding *loc_find_gruu(struct loc *loc, const struct sip_uri *uri)
{
	char key[512], tok[128], inst[256];
	struct loc_aor *a;
	size_t n;

	if (!loc || !uri || !uri->has_gr)
		return NULL;

	if (!pl_isset(&uri->gr)) {
		/* temporary: sip:<token>@<domain>;gr */
		struct le *le;

		if (pl_strcpy(&uri->user, tok, sizeof(tok)) || !tok[0])
			return NULL;
		if (loc_aor_print(uri, key, sizeof(key)))
			return NULL;
		le = hash_lookup(loc->gruus, key_hash(tok), gruu_cmp, tok);
		if (!le)
			return NULL;
		if (strcmp(key_host(((struct bpriv *)le->data)->b.aor),
		           key_host(key)))
			return NULL;
		return &((struct bpriv *)le->data)->b;
	}

	/* public: the AoR plus ;gr=<instance> */
	if (loc_aor_print(uri, key, sizeof(key)))
		return NULL;
	if (sip_unescape(&uri->gr, inst, sizeof(inst), &n) || strlen(inst) != n)
		return NULL;
	a = aor_find(loc, key);
	if (!a)
		return NULL;
	LIST_FOREACH(&a->bl, le) {
		struct loc_binding *b = le->data;

		if (b->instance[0] && !strcmp(b->instance, inst))
			return b;
	}
	return NULL;
}

static void repl_destroy(void *data)
{
	struct repl *r = data;

	mem_deref(r->arg);
	mem_deref(r->loc);
}

static void repl_finish(struct repl *r)
{
	if (r->err)
		log_err(NULL, "storing bindings: %s", err_str(r->err));
	if (r->done)
		r->done(r->err, r->arg);
}

static void repl_store_done(int err, void *arg)
{
	struct repl *r = arg;

	r->err = err;
	if (r->in_call) {
		/* completed inline: answer once memory is updated */
		r->fired = true;
		return;
	}
	repl_finish(r);
}

int loc_replace(struct loc *loc, const char *aor, struct list *bindings,
                loc_done_h *done, void *arg)
{
	struct loc_aor *a, *anew = NULL;
	struct store_binding *arr = NULL;
	struct repl *r = NULL;
	uint32_t n;
	int err;

	if (!loc || !aor || !aor[0] || !bindings)
		return EINVAL;
	n = (uint32_t)list_count(bindings);

	r = mem_zalloc(sizeof(*r), repl_destroy);
	if (!r)
		return ENOMEM;
	r->done = done;
	r->arg = mem_ref(arg);
	r->loc = mem_ref(loc);

	a = aor_find(loc, aor);
	if (!a && n) {
		err = aor_alloc(&anew, loc, aor);
		if (err)
			goto out;
		a = anew;
	}
	err = sb_array(&arr, bindings);
	if (err)
		goto out;
	if (n) {
		/* the timer first: once the write is queued, nothing may
		 * fail any more */
		err = aor_schedule(a, bindings);
		if (err)
			goto out;
	}

	r->in_call = true;
	err = store_reg_replace(loc->st, aor, arr, n, repl_store_done, r);
	r->in_call = false;
	if (err) {
		if (a && !anew && aor_schedule(a, &a->bl))
			log_err(NULL, "expiry timer for %s", aor);
		goto out;
	}

	/* commit to memory */
	if (a) {
		LIST_FOREACH(&a->bl, le) {
			binding_drop(loc, le->data);
		}
		LIST_FOREACH(bindings, le) {
			struct loc_binding *b = le->data;

			list_unlink(&b->le);
			binding_link(loc, a, b, false);
		}
		a->dirty = false; /* this write supersedes */
		if (anew)
			hash_append(loc->aors, key_hash(a->key), &a->he, a);
		anew = NULL;
		notify(loc, a->key);
		if (!n)
			mem_deref(a); /* nothing left: drop the entry */
	}
	if (r->fired)
		repl_finish(r);

out:
	mem_deref(anew);
	mem_deref(arr);
	mem_deref(r);
	return err;
}

uint32_t loc_count(const struct loc *loc)
{
	return loc ? loc->count : 0;
}

int loc_watch(struct loc *loc, loc_change_h *h, void *arg)
{
	struct watcher *w;

	if (!loc || !h)
		return EINVAL;
	w = mem_zalloc(sizeof(*w), NULL);
	if (!w)
		return ENOMEM;
	w->h = h;
	w->arg = arg;
	list_append(&loc->watchers, &w->le, w);
	return 0;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* Characters a SIP user part may carry unescaped (RFC 3261 25.1:
 * unreserved / user-unreserved). Escapes of anything else stay escaped,
 * so "%00" and "%40" ('@') keep the key printable and unambiguous. */
static bool user_char(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-_.!~*'()&=+$,;?/", c) != NULL;
}

int loc_aor_print(const struct sip_uri *uri, char *buf, size_t size)
{
	static const char hexd[] = "0123456789ABCDEF";
	size_t o = 0, i;
	bool v6;

	if (!uri || !buf || !size)
		return EINVAL;
	if (!pl_isset(&uri->user) || !pl_isset(&uri->host))
		return EINVAL;

	for (i = 0; i < uri->user.l; i++) {
		char c = uri->user.p[i];

		if (c == '%') {
			int v;

			if (i + 2 >= uri->user.l ||
			    !is_hex(uri->user.p[i + 1]) ||
			    !is_hex(uri->user.p[i + 2]))
				return EINVAL;
			v = hexval(uri->user.p[i + 1]) * 16 +
			    hexval(uri->user.p[i + 2]);
			i += 2;
			if (user_char(v)) {
				if (o + 1 >= size)
					return ERANGE;
				buf[o++] = (char)v;
			} else {
				if (o + 3 >= size)
					return ERANGE;
				buf[o++] = '%';
				buf[o++] = hexd[v >> 4];
				buf[o++] = hexd[v & 15];
			}
			continue;
		}
		if (o + 1 >= size)
			return ERANGE;
		buf[o++] = c;
	}

	v6 = uri->af == AF_INET6;
	if (o + uri->host.l + 2 + (v6 ? 2 : 0) > size)
		return ERANGE;
	buf[o++] = '@';
	if (v6)
		buf[o++] = '[';
	for (i = 0; i < uri->host.l; i++) {
		char c = uri->host.p[i];

		buf[o++] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	if (v6)
		buf[o++] = ']';
	buf[o] = '\0';
	return 0;
}
