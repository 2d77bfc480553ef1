/* presence/publish.c - event state publication (RFC 3903 4-6, 8) for the
 * presence package: entity tags, expiry, publisher authorization */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "pres"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/sa.h"
#include "../base/util.h"
#include "../proxy/location.h"
#include "../sip/tsx.h"
#include "../store/store.h"
#include "presence_int.h"

#define PIDF_CTYPE "application/pidf+xml"

enum pub_op {
	OP_INITIAL = 0,
	OP_REFRESH,
	OP_MODIFY,
	OP_REMOVE,
};

static const char *const op_names[] = {"new", "refresh", "modify", "remove"};

/* One PUBLISH waiting for the store. */
struct pubreq {
	struct le le;        /* in pres->reqs */
	struct pres *p;      /* borrowed; NULL once pres is gone */
	struct sip_stsx *st; /* reference */
	struct log_ctx lctx;
	enum pub_op op;
	enum pres_src_kind kind;
	struct pent *pe;  /* reference */
	struct ppub *pub; /* reference: the new or the changed one */
	char *etag;       /* the new entity tag (mem) */
	uint64_t expires; /* new absolute expiry */
	uint32_t exp_s;   /* granted interval */
	uint64_t updated_ms;
	struct pidf *doc; /* new document (initial, modify) */
	char *body;       /* its text (mem) */
	size_t len;
	char aor[PRES_AOR_MAX];
	char publisher[PRES_AOR_MAX];
};

void pres_lctx(struct log_ctx *lc, const struct sip_msg *msg)
{
	struct pl cid;
	char addr[56];

	memset(lc, 0, sizeof(*lc));
	if (!msg)
		return;
	cid = msg->callid;
	if (cid.l > sizeof(lc->callid) - 1)
		cid.l = sizeof(lc->callid) - 1;
	if (pl_strcpy(&cid, lc->callid, sizeof(lc->callid)))
		lc->callid[0] = '\0';
	if (sa_isset(&msg->src) && !sa_print(&msg->src, addr, sizeof(addr)))
		snprintf(lc->peer, sizeof(lc->peer), "%s:%s",
		         sip_transp_lname(msg->tp), addr);
	if (pl_strcpy(&msg->via.branch, lc->branch, sizeof(lc->branch)))
		lc->branch[0] = '\0';
}

/* --- publications --- */

static void ppub_destroy(void *data)
{
	struct ppub *pub = data;

	tmr_cancel(&pub->tmr);
	list_unlink(&pub->le);
	mem_deref(pub->etag);
	mem_deref(pub->publisher);
	mem_deref(pub->body);
	mem_deref(pub->doc);
}

int pres_ppub_alloc(struct ppub **pp, const char *etag, const char *publisher,
                    enum pres_src_kind kind, const char *body, size_t len,
                    struct pidf *doc)
{
	struct ppub *pub;
	int err;

	if (!pp || !etag || !publisher || !body || !doc)
		return EINVAL;
	pub = mem_zalloc(sizeof(*pub), ppub_destroy);
	if (!pub)
		return ENOMEM;
	tmr_init(&pub->tmr);
	pub->kind = kind;
	err = mem_strdup(&pub->etag, etag);
	if (!err)
		err = mem_strdup(&pub->publisher, publisher);
	if (!err)
		err = mem_strndup(&pub->body, body, len);
	if (err) {
		mem_deref(pub);
		return err;
	}
	pub->len = len;
	pub->doc = mem_ref(doc);
	snprintf(pub->sid, sizeof(pub->sid), "%s", etag);
	*pp = pub;
	return 0;
}

static void del_done(int err, void *arg)
{
	(void)arg;
	if (err)
		log_warn(NULL, "deleting an expired publication: %s",
		         err_str(err));
}

/* The publication's time is up: its tuples leave the composition. */
static void pub_expire(void *arg)
{
	struct ppub *pub = arg;
	struct pent *pe = pub->pe;
	struct pres *p;
	uint64_t now;
	int err;

	if (!pe || !pe->p || pub->busy)
		return; /* a store write in flight decides (pub_done) */
	p = pe->p;
	now = tmrl_wallclock(p->tl);
	if (pub->expires > now) {
		tmr_start(&pub->tmr, p->tl, (pub->expires - now) * 1000,
		          pub_expire, pub);
		return;
	}
	log_info(NULL, "publication %s of %s (by %s) expired", pub->etag,
	         pe->aor, pub->publisher);
	err = store_pub_delete(p->st, pub->etag, del_done, NULL);
	if (err)
		log_warn(NULL, "deleting publication %s: %s", pub->etag,
		         err_str(err));
	mem_ref(pe);
	pub->pe = NULL;
	list_unlink(&pub->le);
	mem_deref(pub);
	p->npubs--;
	pres_pent_changed(pe);
	pres_pent_check(pe);
	mem_deref(pe);
}

static int pub_arm(struct pres *p, struct ppub *pub)
{
	uint64_t now = tmrl_wallclock(p->tl);
	uint64_t left = pub->expires > now ? pub->expires - now : 0;

	return tmr_start(&pub->tmr, p->tl, left * 1000, pub_expire, pub);
}

void pres_ppub_link(struct pent *pe, struct ppub *pub)
{
	pub->pe = pe;
	list_append(&pe->pubs, &pub->le, mem_ref(pub));
	if (pe->p)
		pe->p->npubs++;
}

static struct ppub *pub_find(const struct pent *pe, const struct pl *etag)
{
	if (!pe)
		return NULL;
	LIST_FOREACH(&pe->pubs, le) {
		struct ppub *pub = le->data;

		if (!pl_strcmp(etag, pub->etag))
			return pub;
	}
	return NULL;
}

/* --- requests --- */

static void pubreq_destroy(void *data)
{
	struct pubreq *q = data;

	list_unlink(&q->le);
	sip_stsx_release(q->st);
	mem_deref(q->pub);
	mem_deref(q->pe);
	mem_deref(q->etag);
	mem_deref(q->doc);
	mem_deref(q->body);
}

void pres_pub_detach(struct pres *p)
{
	LIST_FOREACH(&p->reqs, le) {
		struct pubreq *q = le->data;

		list_unlink(&q->le);
		q->p = NULL;
		q->st = sip_stsx_release(q->st);
	}
}

static void reply(struct pubreq *q, uint16_t scode, const char *reason,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void reply(struct pubreq *q, uint16_t scode, const char *reason,
                  const char *fmt, ...)
{
	char hdrs[256] = "";
	va_list ap;
	int err;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(hdrs, sizeof(hdrs), fmt, ap);
		va_end(ap);
	}
	if (scode >= 300)
		log_info(&q->lctx, "PUBLISH %s from %s: %u %s",
		         q->aor[0] ? q->aor : "-",
		         q->publisher[0] ? q->publisher : "-", scode,
		         reason ? reason : sip_reason(scode));
	err = sip_stsx_replyf(q->st, scode, reason, "%s", hdrs);
	if (err)
		log_warn(&q->lctx, "sending %u: %s", scode, err_str(err));
}

/* A reason phrase from parser text: printable ASCII only, short. */
static void reason_make(char *buf, size_t size, const char *prefix,
                        const char *text)
{
	size_t n;

	snprintf(buf, size, "%s%s", prefix, text);
	for (n = 0; buf[n]; n++) {
		unsigned char c = (unsigned char)buf[n];

		if (c < 0x20 || c >= 0x7f)
			buf[n] = c >= 0x80 ? '?' : ' ';
	}
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

static bool same_domain(const char *a, const char *b)
{
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');

	return da && db && !strcasecmp(da, db);
}

static bool is_trusted(const struct pres *p, const char *who)
{
	for (uint32_t i = 0; i < p->n_trusted; i++)
		if (!strcmp(p->trusted[i], who))
			return true;
	return false;
}

static bool ctype_is_pidf(const struct pl *ctype)
{
	struct pl t = *ctype;
	const char *semi = pl_strchr(&t, ';');

	if (semi)
		t.l = (size_t)(semi - t.p);
	pl_trim(&t);
	return !pl_strcasecmp(&t, PIDF_CTYPE);
}

static void store_pub_fill(struct store_pub *sp, const struct pubreq *q)
{
	memset(sp, 0, sizeof(*sp));
	sp->etag = q->etag;
	sp->event = "presence";
	sp->resource = q->aor;
	sp->publisher = q->publisher;
	sp->expires = q->expires;
	sp->updated_ms = q->updated_ms;
	sp->ctype = PIDF_CTYPE;
	sp->body = q->body;
	sp->len = q->len;
}

static void reply_ok(struct pubreq *q, const char *etag, uint32_t exp_s)
{
	log_debug(&q->lctx, "PUBLISH %s by %s: %s %s, %u s", q->aor,
	          q->publisher, op_names[q->op], etag, exp_s);
	reply(q, 200, NULL, "SIP-ETag: %s\r\nExpires: %u\r\n", etag, exp_s);
}

/* The store has answered a write of q. */
static void pub_done(int err, void *arg)
{
	struct pubreq *q = arg;
	struct pres *p = q->p;
	struct pent *pe = q->pe;
	struct ppub *pub = q->pub;
	char *tmp;

	if (!p)
		return;
	list_unlink(&q->le);
	if (q->op == OP_INITIAL)
		pe->npending--;
	else
		pub->busy = false;

	if (err) {
		log_warn(&q->lctx, "storing publication of %s: %s", q->aor,
		         err_str(err));
		reply(q, 500, "Store failure", "Retry-After: 5\r\n");
		if (q->op != OP_INITIAL && pub->pe &&
		    pub->expires <= tmrl_wallclock(p->tl))
			tmr_start(&pub->tmr, p->tl, 0, pub_expire, pub);
		pres_pent_check(pe);
		return;
	}

	switch (q->op) {
	case OP_INITIAL:
		pres_ppub_link(pe, pub);
		reply_ok(q, pub->etag, q->exp_s);
		pres_pent_changed(pe);
		break;
	case OP_REFRESH:
	case OP_MODIFY:
		tmp = pub->etag;
		pub->etag = q->etag;
		q->etag = tmp;
		pub->expires = q->expires;
		if (pub->pe)
			pub_arm(p, pub); /* running: never allocates */
		if (q->op == OP_MODIFY) {
			struct pidf *d = pub->doc;

			pub->doc = q->doc;
			q->doc = d;
			tmp = pub->body;
			pub->body = q->body;
			q->body = tmp;
			pub->len = q->len;
			pub->updated_ms = q->updated_ms;
		}
		reply_ok(q, pub->etag, q->exp_s);
		if (q->op == OP_MODIFY)
			pres_pent_changed(pe);
		break;
	case OP_REMOVE:
		log_debug(&q->lctx, "PUBLISH %s by %s: removed %s", q->aor,
		          q->publisher, pub->etag);
		reply(q, 200, NULL, "SIP-ETag: %s\r\nExpires: 0\r\n",
		      pub->etag);
		if (pub->pe) {
			pub->pe = NULL;
			list_unlink(&pub->le);
			mem_deref(pub); /* the pent's reference */
			p->npubs--;
		}
		pres_pent_changed(pe);
		break;
	}
	pres_pent_check(pe);
}

static int start_initial(struct pubreq *q)
{
	struct pres *p = q->p;
	struct store_pub sp;
	struct pent *pe;
	char etag[PRES_ETAG_LEN + 1];
	int err;

	err = pres_pent_get(&pe, p, q->aor);
	if (err)
		return err;
	q->pe = mem_ref(pe);
	if (list_count(&pe->pubs) + pe->npending >= p->cf.max_pubs) {
		reply(q, 403, "Too many publications", NULL);
		pres_pent_check(pe);
		return 0;
	}
	rand_token(etag, PRES_ETAG_LEN);
	err = mem_strdup(&q->etag, etag);
	if (!err)
		err = pres_ppub_alloc(&q->pub, etag, q->publisher, q->kind,
		                      q->body, q->len, q->doc);
	if (err)
		goto out;
	q->pub->expires = q->expires;
	q->pub->updated_ms = q->updated_ms;
	q->pub->created_ms = q->updated_ms;
	err = pub_arm(p, q->pub);
	if (err)
		goto out;
	store_pub_fill(&sp, q);
	pe->npending++;
	err = store_pub_put(p->st, &sp, NULL, pub_done, q);
	if (err)
		pe->npending--;
out:
	if (err)
		pres_pent_check(pe);
	return err;
}

static int start_change(struct pubreq *q, struct ppub *pub)
{
	struct pres *p = q->p;
	struct store_pub sp;
	char etag[PRES_ETAG_LEN + 1];
	int err;

	q->pe = mem_ref(pub->pe);
	q->pub = mem_ref(pub);
	if (q->op != OP_REMOVE) {
		rand_token(etag, PRES_ETAG_LEN);
		err = mem_strdup(&q->etag, etag);
		if (err)
			return err;
	}
	/* busy before the call: a store without a loop answers inside it */
	pub->busy = true;
	if (q->op == OP_REMOVE) {
		err = store_pub_delete(p->st, pub->etag, pub_done, q);
	} else {
		store_pub_fill(&sp, q);
		if (q->op == OP_REFRESH) {
			sp.body = pub->body;
			sp.len = pub->len;
			sp.updated_ms = pub->updated_ms;
		}
		err = store_pub_put(p->st, &sp, pub->etag, pub_done, q);
	}
	if (err)
		pub->busy = false;
	return err;
}

static void publish(struct pubreq *q, const char *ident,
                    const struct sip_msg *msg)
{
	struct pres *p = q->p;
	const struct sip_hdr *evh, *im;
	enum pres_src_kind kind = PRES_SRC_PUBLISH;
	struct ppub *pub = NULL;
	struct sip_event ev;
	struct parse_err perr;
	uint32_t exp_s;
	char errbuf[160], reason[112];
	int err;

	if (loc_aor_print(&msg->uri, q->aor, sizeof(q->aor))) {
		reply(q, 404, NULL, NULL);
		return;
	}
	/* RFC 3903 6 step 2: a package that takes publications */
	evh = sip_msg_hdr(msg, SIP_HDR_EVENT);
	if (!evh || sip_event_decode(&ev, &evh->val, &perr) ||
	    pl_strcmp(&ev.package, "presence")) {
		reply(q, 489, NULL, "Allow-Events: presence\r\n");
		return;
	}
	/* step 1: who may publish for this presentity */
	if (ident)
		snprintf(q->publisher, sizeof(q->publisher), "%s", ident);
	else if (loc_aor_print(&msg->from.uri, q->publisher,
	                       sizeof(q->publisher)))
		q->publisher[0] = '\0';
	if (strcmp(q->publisher, q->aor)) {
		if (!q->publisher[0] || !is_trusted(p, q->publisher) ||
		    !same_domain(q->publisher, q->aor)) {
			reply(q, 403,
			      "Not allowed to publish for this presentity",
			      NULL);
			return;
		}
		kind = PRES_SRC_TRUSTED;
	}
	/* step 3: the expiration interval */
	if (msg->expires < 0)
		exp_s = p->cf.pub_default_expires;
	else if (msg->expires > 0 && msg->expires < p->cf.pub_min_expires) {
		reply(q, 423, NULL, "Min-Expires: %u\r\n",
		      p->cf.pub_min_expires);
		return;
	} else if (msg->expires > p->cf.pub_max_expires)
		exp_s = p->cf.pub_max_expires;
	else
		exp_s = (uint32_t)msg->expires;
	/* step 4: which publication */
	im = sip_msg_hdr(msg, SIP_HDR_SIP_IF_MATCH);
	if (im) {
		pub = pub_find(pres_pent_find(p, q->aor), &im->val);
		if (!pub || pub->busy) {
			reply(q, 412, NULL, NULL);
			return;
		}
		if (exp_s == 0)
			q->op = OP_REMOVE;
		else
			q->op = msg->body.l ? OP_MODIFY : OP_REFRESH;
	} else if (!msg->body.l) {
		reply(q, 400, "Missing body", NULL);
		return;
	} else if (exp_s == 0) {
		reply(q, 400, "Expires 0 without SIP-If-Match", NULL);
		return;
	} else {
		q->op = OP_INITIAL;
	}
	/* step 5: the body */
	if (q->op == OP_INITIAL || q->op == OP_MODIFY) {
		if (!ctype_is_pidf(&msg->ctype)) {
			reply(q, 415, NULL, "Accept: " PIDF_CTYPE "\r\n");
			return;
		}
		if (msg->body.l > p->cf.max_doc) {
			reply(q, 413, NULL, NULL);
			return;
		}
		errbuf[0] = '\0';
		err = pidf_parse(&q->doc, msg->body.p, msg->body.l,
		                 p->cf.lenient, errbuf, sizeof(errbuf));
		if (err == EBADMSG) {
			reason_make(reason, sizeof(reason), "Bad PIDF: ",
			            errbuf[0] ? errbuf : "not a document");
			reply(q, 400, reason, NULL);
			return;
		}
		if (!err)
			err = mem_strndup(&q->body, msg->body.p, msg->body.l);
		if (err)
			goto fail;
		q->len = msg->body.l;
	}
	q->exp_s = exp_s;
	q->expires = tmrl_wallclock(p->tl) + exp_s;
	q->updated_ms = pres_wall_ms(p);

	q->kind = kind;
	if (q->op == OP_INITIAL)
		err = start_initial(q);
	else
		err = start_change(q, pub);
	if (!err)
		return;
fail:
	log_warn(&q->lctx, "PUBLISH %s: %s", q->aor, err_str(err));
	reply(q, 500, NULL, "Retry-After: 5\r\n");
}

bool pres_handle_publish(struct sip_stsx *st, const char *ident, void *arg)
{
	struct pres *p = arg;
	const struct sip_msg *msg;
	struct pubreq *q;

	if (!p || !st)
		return false;
	msg = sip_stsx_req(st);
	if (!msg)
		return false;
	q = mem_zalloc(sizeof(*q), pubreq_destroy);
	if (!q) {
		sip_stsx_replyf(st, 500, NULL, "Retry-After: 5\r\n");
		return true;
	}
	q->st = mem_ref(st);
	q->p = p;
	pres_lctx(&q->lctx, msg);
	list_append(&p->reqs, &q->le, q);
	publish(q, ident, msg);
	/* a store operation in flight holds its own reference */
	mem_deref(q);
	return true;
}

/* --- start-up --- */

struct expired {
	struct le le;
	char *etag;
};

static void expired_destroy(void *data)
{
	struct expired *x = data;

	list_unlink(&x->le);
	mem_deref(x->etag);
}

struct load_ctx {
	struct pres *p;
	uint64_t now;
	struct list expired;
	uint32_t loaded;
	int err;
};

static int load_one(struct load_ctx *c, const struct store_pub *sp)
{
	struct pres *p = c->p;
	struct pidf *doc = NULL;
	struct ppub *pub = NULL;
	struct pent *pe = NULL;
	char errbuf[128];
	int err;

	/* stored documents were accepted once: read them leniently */
	err = pidf_parse(&doc, sp->body, sp->len, true, errbuf, sizeof(errbuf));
	if (err == EBADMSG) {
		log_warn(NULL, "stored publication %s of %s: %s (dropped)",
		         sp->etag, sp->resource, errbuf);
		return EBADMSG;
	}
	if (!err)
		err = pres_ppub_alloc(&pub, sp->etag, sp->publisher,
		                      strcmp(sp->publisher, sp->resource)
		                          ? PRES_SRC_TRUSTED
		                          : PRES_SRC_PUBLISH,
		                      sp->body, sp->len, doc);
	if (!err)
		err = pres_pent_get(&pe, p, sp->resource);
	if (err)
		goto out;
	pub->expires = sp->expires;
	pub->updated_ms = sp->updated_ms;
	if (sp->updated_ms > p->last_ms)
		p->last_ms = sp->updated_ms;
	err = pub_arm(p, pub);
	if (!err) {
		pres_ppub_link(pe, pub);
		c->loaded++;
	}
	pres_pent_check(pe);
out:
	mem_deref(pub);
	mem_deref(doc);
	return err;
}

static int expired_add(struct load_ctx *c, const char *etag)
{
	struct expired *x = mem_zalloc(sizeof(*x), expired_destroy);

	if (!x)
		return ENOMEM;
	if (mem_strdup(&x->etag, etag)) {
		mem_deref(x);
		return ENOMEM;
	}
	list_append(&c->expired, &x->le, x);
	return 0;
}

static void load_h(const struct store_pub *sp, void *arg)
{
	struct load_ctx *c = arg;
	int err;

	if (c->err || !sp->event || strcmp(sp->event, "presence") ||
	    !sp->resource || !sp->etag || !sp->publisher || !sp->body)
		return;
	if (sp->expires <= c->now) {
		c->err = expired_add(c, sp->etag);
		return;
	}
	err = load_one(c, sp);
	if (err == EBADMSG)
		err = expired_add(c, sp->etag);
	c->err = err;
}

int pres_pub_load(struct pres *p)
{
	struct load_ctx c;
	uint32_t ndel = 0;
	int err;

	memset(&c, 0, sizeof(c));
	c.p = p;
	c.now = tmrl_wallclock(p->tl);
	list_init(&c.expired);
	err = store_pub_list(p->st, load_h, &c);
	if (!err)
		err = c.err;
	LIST_FOREACH(&c.expired, le) {
		struct expired *x = le->data;

		if (!err && !store_pub_delete(p->st, x->etag, del_done, NULL))
			ndel++;
	}
	list_flush(&c.expired);
	if (!err && (c.loaded || ndel))
		log_info(NULL, "%u publication(s) loaded, %u expired deleted",
		         c.loaded, ndel);
	return err;
}
