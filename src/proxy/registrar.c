/* proxy/registrar.c - REGISTER (RFC 3261 10.3, RFC 3327, RFC 5626, RFC 5627) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "proxy.reg"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "auth.h"
#include "domain.h"
#include "location.h"
#include "reg_int.h"
#include "registrar.h"

enum {
	AOR_MAX = 512,
	CONTACTS_HARD_MAX = 256, /* Contact values read from one request */
	TGRUU_LEN = 24,
};

struct registrar {
	struct registrar_conf cf;
	struct loc *loc;
	struct auth *auth;
	struct dom *dom;
};

/* One REGISTER being processed (kept across the async steps). */
struct regreq {
	struct registrar *r; /* reference */
	struct sip_stsx *st; /* reference; holds the request */
	struct log_ctx lctx;
	bool sips;            /* To is a sips: URI */
	bool gruu;            /* Supported: gruu */
	bool path;            /* Supported: path */
	char aor[AOR_MAX];    /* "user@domain" */
	char user[AOR_MAX];   /* the user part of aor */
	char domain[AOR_MAX]; /* the host part of aor */
};

void reg_lctx(struct log_ctx *lc, const struct sip_msg *msg)
{
	struct pl cid;

	memset(lc, 0, sizeof(*lc));
	if (!msg)
		return;
	cid = msg->callid;
	if (cid.l > sizeof(lc->callid) - 1)
		cid.l = sizeof(lc->callid) - 1;
	if (pl_strcpy(&cid, lc->callid, sizeof(lc->callid)))
		lc->callid[0] = '\0';
	if (loc_rx_print(msg->tp, &msg->src, lc->peer, sizeof(lc->peer)))
		lc->peer[0] = '\0';
	if (pl_strcpy(&msg->via.branch, lc->branch, sizeof(lc->branch)))
		lc->branch[0] = '\0';
}

static void registrar_destroy(void *data)
{
	struct registrar *r = data;

	mem_deref(r->loc);
	mem_deref(r->auth);
	mem_deref(r->dom);
}

int registrar_alloc(struct registrar **rp, const struct registrar_conf *cf,
                    struct loc *loc, struct auth *auth, struct dom *dom)
{
	struct registrar *r;

	if (!rp || !cf || !loc || !dom || (cf->auth && !auth))
		return EINVAL;
	if (cf->min_expires > cf->max_expires || !cf->max_contacts)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), registrar_destroy);
	if (!r)
		return ENOMEM;
	r->cf = *cf;
	if (r->cf.default_expires > r->cf.max_expires)
		r->cf.default_expires = r->cf.max_expires;
	if (r->cf.default_expires < r->cf.min_expires)
		r->cf.default_expires = r->cf.min_expires;
	r->loc = mem_ref(loc);
	r->auth = mem_ref(auth);
	r->dom = mem_ref(dom);
	*rp = r;
	return 0;
}

static void regreq_destroy(void *data)
{
	struct regreq *q = data;

	sip_stsx_release(q->st);
	mem_deref(q->r);
}

static struct sip_msg *req_msg(const struct regreq *q)
{
	return sip_stsx_req(q->st);
}

static void reply(struct regreq *q, uint16_t scode, const char *reason,
                  const char *hdrs)
{
	int err;

	if (scode >= 300)
		log_info(&q->lctx, "REGISTER %s: %u %s",
		         q->aor[0] ? q->aor : "-", scode,
		         reason ? reason : sip_reason(scode));
	err = sip_stsx_replyf(q->st, scode, reason, "%s", hdrs ? hdrs : "");
	if (err)
		log_warn(&q->lctx, "sending %u: %s", scode, err_str(err));
}

/* --- the 200 OK --- */

static int print_date(struct buf *b, uint64_t now)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
	                                   "Thu", "Fri", "Sat"};
	static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr",
	                                   "May", "Jun", "Jul", "Aug",
	                                   "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)now;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return EINVAL;
	return buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
	                  days[tm.tm_wday % 7], tm.tm_mday,
	                  mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	                  tm.tm_min, tm.tm_sec);
}

/* A value inside a uri-parameter: escape what paramchar does not allow
 * (RFC 3261 25.1), so an instance "urn:uuid:..." stays readable. */
static int print_param_value(struct buf *b, const char *s)
{
	int err = 0;

	for (; *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("[]/:&+$-_.!~*'()", c))
			err = buf_write_u8(b, c);
		else
			err = buf_printf(b, "%%%02X", c);
	}
	return err;
}

static int print_binding(struct buf *b, const struct regreq *q,
                         const struct loc_binding *lb, uint64_t now)
{
	const char *scheme = q->sips ? "sips" : "sip";
	int err;

	err = buf_printf(b, "Contact: <%s>%s", lb->contact, lb->params);
	if (!err && lb->q != 1000)
		err = buf_printf(b, ";q=%u.%03u", lb->q / 1000, lb->q % 1000);
	if (!err)
		err = buf_printf(b, ";expires=%llu",
		                 (unsigned long long)(lb->expires - now));
	if (!err && q->gruu && lb->instance[0]) {
		err = buf_printf(b, ";pub-gruu=\"%s:%s;gr=", scheme, q->aor);
		if (!err)
			err = print_param_value(b, lb->instance);
		if (!err && lb->temp_gruu[0])
			err = buf_printf(b, "\";temp-gruu=\"%s:%s@%s;gr",
			                 scheme, lb->temp_gruu, q->domain);
		if (!err)
			err = buf_write_str(b, "\"");
	}
	if (!err)
		err = buf_write_str(b, "\r\n");
	return err;
}

static void reply_ok(struct regreq *q)
{
	const struct sip_msg *msg = req_msg(q);
	uint64_t now = loc_wallclock(q->r->loc);
	const struct list *bl;
	struct buf *b = NULL;
	int err;

	err = buf_alloc(&b, 512);
	if (err)
		goto out;
	bl = loc_find(q->r->loc, q->aor);
	if (bl) {
		LIST_FOREACH(bl, le) {
			const struct loc_binding *lb = le->data;

			if (lb->expires <= now)
				continue;
			err = print_binding(b, q, lb, now);
			if (err)
				goto out;
		}
	}
	/* RFC 3327 5.3: the Path we stored, for a client that understands
	 * it */
	if (q->path) {
		for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PATH);
		     h && !err; h = sip_msg_hdr_next(msg, h))
			err =
			    buf_printf(b, "Path: %.*s\r\n", PL_PRINT(&h->val));
		if (err)
			goto out;
	}
	err = print_date(b, now);
	if (!err)
		err = buf_write_u8(b, 0);
	if (err)
		goto out;
	log_debug(&q->lctx, "REGISTER %s: 200, %zu bindings", q->aor,
	          list_count(bl));
	err = sip_stsx_replyf(q->st, 200, NULL, "%s", (const char *)b->b);
	if (err)
		log_warn(&q->lctx, "sending 200: %s", err_str(err));
	b = mem_deref(b);
	return;
out:
	mem_deref(b);
	log_warn(&q->lctx, "building 200: %s", err_str(err));
	reply(q, 500, NULL, "Retry-After: 5\r\n");
}

static void replaced(int err, void *arg)
{
	struct regreq *q = arg;

	if (err) {
		/* memory already holds the new state; the next write of this
		 * AoR stores it */
		log_err(&q->lctx, "storing bindings of %s: %s", q->aor,
		        err_str(err));
		reply(q, 500, NULL, "Retry-After: 5\r\n");
		return;
	}
	reply_ok(q);
}

/* --- contact processing --- */

/* One Contact of the request, with what the binding needs. */
struct rc {
	struct sip_contact c;
	struct pl instance; /* without quotes and <>, or empty */
	uint32_t reg_id;
	uint64_t expires; /* seconds asked (after bounds) */
};

/* Strip the quotes and angle brackets of +sip.instance (RFC 5626 4.1). */
static void instance_get(const struct pl *params, struct pl *inst)
{
	struct pl v;

	*inst = pl_null;
	if (sip_param_get(params, "+sip.instance", &v) || !v.l)
		return;
	if (v.l >= 2 && v.p[0] == '"' && v.p[v.l - 1] == '"') {
		v.p++;
		v.l -= 2;
	}
	if (v.l >= 2 && v.p[0] == '<' && v.p[v.l - 1] == '>') {
		v.p++;
		v.l -= 2;
	}
	*inst = v;
}

/* Header params without expires and q (stored apart), quotes honoured. */
static int params_filter(struct buf *b, const struct pl *params)
{
	size_t i = 0, n = params->l;
	const char *p = params->p;
	int err = 0;

	while (i < n && !err) {
		size_t s, e, nl;
		bool quoted = false;

		while (i < n && p[i] != ';')
			i++;
		if (i >= n)
			break;
		s = i++;
		for (e = i; e < n; e++) {
			if (p[e] == '"' && (e == i || p[e - 1] != '\\'))
				quoted = !quoted;
			else if (p[e] == ';' && !quoted)
				break;
		}
		for (nl = i;
		     nl < e && p[nl] != '=' && p[nl] != ' ' && p[nl] != '\t';
		     nl++)
			;
		struct pl name = {p + i, nl - i};
		if (pl_strcasecmp(&name, "expires") &&
		    pl_strcasecmp(&name, "q") && name.l)
			err = buf_write(b, p + s, e - s);
		i = e;
	}
	return err;
}

static bool same_uri(const char *stored, const struct sip_uri *u)
{
	struct sip_uri su;
	struct parse_err pe;
	struct pl pl;

	pl_set_str(&pl, stored);
	if (sip_uri_decode(&su, &pl, &pe))
		return false;
	return sip_uri_cmp(&su, u);
}

/* Does request contact rc update binding b? (RFC 3261 10.3 step 7;
 * RFC 5626 6: instance and reg-id; RFC 5627: one binding per instance) */
static bool rc_matches(const struct rc *rc, const struct loc_binding *b)
{
	if (rc->instance.l && rc->reg_id)
		return b->reg_id == rc->reg_id &&
		       !pl_strcmp(&rc->instance, b->instance);
	if (rc->instance.l && !b->reg_id &&
	    !pl_strcmp(&rc->instance, b->instance))
		return true;
	return same_uri(b->contact, &rc->c.addr.uri);
}

/* The Path values of the request joined with ",". */
static int path_join(struct buf *b, const struct sip_msg *msg)
{
	int err = 0;
	bool first = true;

	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_PATH);
	     h && !err; h = sip_msg_hdr_next(msg, h)) {
		if (!first)
			err = buf_write_u8(b, ',');
		if (!err)
			err = buf_write_pl(b, &h->val);
		first = false;
	}
	return err;
}

struct strs {
	struct buf *b;
	size_t off[8];
};

/* Append a NUL-terminated copy of pl to s->b, remember where. */
static int str_add(struct strs *s, int idx, const struct pl *pl)
{
	int err;

	s->off[idx] = s->b->end;
	s->b->pos = s->b->end;
	err = pl ? buf_write_pl(s->b, pl) : 0;
	if (!err)
		err = buf_write_u8(s->b, 0);
	return err;
}

enum {
	S_CONTACT,
	S_INSTANCE,
	S_CALLID,
	S_PATH,
	S_PARAMS,
	S_UA,
	S_TGRUU,
};

/* A new binding for rc; old: the binding it replaces, or NULL. */
static int binding_new(struct loc_binding **bp, const struct regreq *q,
                       const struct rc *rc, const struct loc_binding *old,
                       uint64_t now)
{
	const struct sip_msg *msg = req_msg(q);
	const struct sip_hdr *ua = sip_msg_hdr(msg, SIP_HDR_USER_AGENT);
	struct strs s;
	struct loc_binding t;
	char tok[TGRUU_LEN + 1] = "";
	struct pl tpl;
	char *base;
	int err;

	memset(&s, 0, sizeof(s));
	err = buf_alloc(&s.b, 256);
	if (err)
		return err;
	err = str_add(&s, S_CONTACT, &rc->c.addr.auri);
	if (!err)
		err = str_add(&s, S_INSTANCE, &rc->instance);
	if (!err)
		err = str_add(&s, S_CALLID, &msg->callid);
	if (!err) {
		s.off[S_PATH] = s.b->end;
		err = path_join(s.b, msg);
		if (!err)
			err = buf_write_u8(s.b, 0);
	}
	if (!err) {
		s.off[S_PARAMS] = s.b->end;
		err = params_filter(s.b, &rc->c.addr.params);
		if (!err)
			err = buf_write_u8(s.b, 0);
	}
	if (!err)
		err = str_add(&s, S_UA, ua ? &ua->val : NULL);
	if (err)
		goto out;

	/* temporary GRUU (RFC 5627 3.2): one token per instance, kept while
	 * the Call-ID stays; a new Call-ID invalidates the old ones */
	if (rc->instance.l) {
		if (old && old->temp_gruu[0] &&
		    !pl_strcmp(&msg->callid, old->callid))
			snprintf(tok, sizeof(tok), "%s", old->temp_gruu);
		else if (q->gruu)
			rand_token(tok, TGRUU_LEN);
	}
	pl_set_str(&tpl, tok);
	err = str_add(&s, S_TGRUU, &tpl);
	if (err)
		goto out;

	base = (char *)s.b->b;
	memset(&t, 0, sizeof(t));
	t.aor = (char *)q->aor;
	t.contact = base + s.off[S_CONTACT];
	t.instance = base + s.off[S_INSTANCE];
	t.reg_id = rc->reg_id;
	t.callid = base + s.off[S_CALLID];
	t.cseq = msg->cseq.num;
	t.expires = now + rc->expires;
	t.q = rc->c.q > 1000 ? 1000 : rc->c.q;
	t.path = base + s.off[S_PATH];
	t.rx_tp = msg->tp;
	t.rx_addr = msg->src;
	t.params = base + s.off[S_PARAMS];
	t.user_agent = base + s.off[S_UA];
	t.temp_gruu = base + s.off[S_TGRUU];
	err = loc_binding_alloc(bp, &t);
out:
	mem_deref(s.b);
	return err;
}

/* Stale when the same client (Call-ID) sends a CSeq not above the one
 * stored (RFC 3261 10.3 steps 6 and 7). */
static bool stale(const struct sip_msg *msg, const struct loc_binding *b)
{
	return !pl_strcmp(&msg->callid, b->callid) && msg->cseq.num <= b->cseq;
}

static void process(struct regreq *q)
{
	const struct sip_msg *msg = req_msg(q);
	const struct registrar_conf *cf = &q->r->cf;
	uint64_t now = loc_wallclock(q->r->loc);
	const struct list *cur = loc_find(q->r->loc, q->aor);
	struct list nl = LIST_INIT;
	struct rc *rcs = NULL;
	bool *gone = NULL;
	uint32_t n, i = 0, ncur = (uint32_t)list_count(cur);
	bool star = false;
	int err = 0;

	n = sip_msg_hdr_count(msg, SIP_HDR_CONTACT);
	if (!n) {
		reply_ok(q); /* a query */
		return;
	}
	if (n > CONTACTS_HARD_MAX) {
		reply(q, 403, "Too many contacts", NULL);
		return;
	}
	rcs = mem_zalloc(n * sizeof(*rcs), NULL);
	gone = mem_zalloc((ncur + 1) * sizeof(*gone), NULL);
	if (!rcs || !gone) {
		err = ENOMEM;
		goto out;
	}

	for (const struct sip_hdr *h = sip_msg_hdr(msg, SIP_HDR_CONTACT);
	     h && i < n; h = sip_msg_hdr_next(msg, h), i++) {
		struct rc *rc = &rcs[i];
		struct parse_err pe;
		struct pl v;
		int64_t e;

		if (sip_contact_decode(&rc->c, &h->val, &pe)) {
			reply(q, 400, "Bad Contact", NULL);
			goto out;
		}
		if (rc->c.star) {
			star = true;
			continue;
		}
		if (!rc->c.addr.uri.is_sip) {
			reply(q, 400, "Unsupported Contact URI scheme", NULL);
			goto out;
		}
		instance_get(&rc->c.addr.params, &rc->instance);
		if (!sip_param_get(&rc->c.addr.params, "reg-id", &v) &&
		    pl_u32(&v, &rc->reg_id)) {
			reply(q, 400, "Bad reg-id", NULL);
			goto out;
		}
		e = rc->c.expires >= 0  ? rc->c.expires
		    : msg->expires >= 0 ? msg->expires
		                        : (int64_t)cf->default_expires;
		if (e > 0 && e < (int64_t)cf->min_expires) {
			char hdr[40];

			snprintf(hdr, sizeof(hdr), "Min-Expires: %u\r\n",
			         cf->min_expires);
			reply(q, 423, NULL, hdr);
			goto out;
		}
		if (e > (int64_t)cf->max_expires)
			e = cf->max_expires;
		rc->expires = (uint64_t)e;
	}

	if (star) {
		/* RFC 3261 10.3 step 6 */
		if (n != 1 || msg->expires != 0) {
			reply(q, 400, "Invalid wildcard Contact", NULL);
			goto out;
		}
		if (cur) {
			LIST_FOREACH(cur, le) {
				if (stale(msg, le->data)) {
					reply(q, 500, "Stale CSeq", NULL);
					goto out;
				}
			}
		}
		goto replace;
	}

	/* RFC 3261 10.3 step 7: the request's contacts (newest first, in
	 * request order), then the untouched bindings */
	for (i = 0; i < n; i++) {
		const struct rc *rc = &rcs[i];
		const struct loc_binding *old = NULL;
		struct loc_binding *b;
		uint32_t j = 0;

		if (cur) {
			LIST_FOREACH(cur, le) {
				const struct loc_binding *ob = le->data;

				if (!gone[j] && ob->expires > now &&
				    rc_matches(rc, ob)) {
					if (stale(msg, ob)) {
						reply(q, 500, "Stale CSeq",
						      NULL);
						goto out;
					}
					gone[j] = true;
					old = ob;
				}
				j++;
			}
		}
		/* a contact given twice in one request: the last one wins */
		LIST_FOREACH(&nl, le) {
			if (rc_matches(rc, le->data)) {
				list_unlink(le);
				mem_deref(le->data);
			}
		}
		if (!rc->expires)
			continue; /* removal */
		err = binding_new(&b, q, rc, old, now);
		if (err)
			goto out;
		list_append(&nl, &b->le, b);
	}
	if (cur) {
		uint32_t j = 0;

		LIST_FOREACH(cur, le) {
			const struct loc_binding *ob = le->data;
			struct loc_binding *b;

			if (!gone[j++] && ob->expires > now) {
				err = loc_binding_alloc(&b, ob);
				if (err)
					goto out;
				list_append(&nl, &b->le, b);
			}
		}
	}
	if (list_count(&nl) > cf->max_contacts) {
		reply(q, 403, "Too many contacts", NULL);
		goto out;
	}

replace:
	err = loc_replace(q->r->loc, q->aor, &nl, replaced, q);
out:
	if (err) {
		log_warn(&q->lctx, "REGISTER %s: %s", q->aor, err_str(err));
		reply(q, 500, NULL, "Retry-After: 5\r\n");
	}
	list_flush(&nl);
	mem_deref(rcs);
	mem_deref(gone);
}

static void authenticated(enum auth_result res, const char *user,
                          const char *domain, void *arg)
{
	struct regreq *q = arg;

	(void)domain;
	if (res != AUTH_OK)
		return; /* answered by auth */
	/* RFC 3261 10.3 step 4: only the owner registers an AoR */
	if (!user || strcmp(user, q->user)) {
		log_notice(&q->lctx, "%s may not register %s",
		           user ? user : "-", q->aor);
		reply(q, 403, "AoR not owned by user", NULL);
		return;
	}
	process(q);
}

void registrar_handle(struct registrar *r, struct sip_stsx *st)
{
	const struct sip_msg *msg;
	struct regreq *q;
	char *at;
	int err;

	if (!r || !st)
		return;
	msg = sip_stsx_req(st);
	if (!msg)
		return;

	q = mem_zalloc(sizeof(*q), regreq_destroy);
	if (!q) {
		sip_stsx_replyf(st, 500, NULL, "Retry-After: 5\r\n");
		return;
	}
	q->r = mem_ref(r);
	q->st = mem_ref(st);
	reg_lctx(&q->lctx, msg);

	/* RFC 3261 10.3 step 5: To holds a SIP or SIPS AoR of ours
	 * (RFC 4475 3.3.4: any other scheme is a 400) */
	if (!msg->to.uri.is_sip) {
		reply(q, 400, "Invalid To URI scheme", NULL);
		goto out;
	}
	if (loc_aor_print(&msg->to.uri, q->aor, sizeof(q->aor)) ||
	    !dom_is_local(r->dom, &msg->to.uri.host)) {
		reply(q, 404, NULL, NULL);
		q->aor[0] = '\0';
		goto out;
	}
	at = strrchr(q->aor, '@');
	snprintf(q->user, sizeof(q->user), "%.*s", (int)(at - q->aor), q->aor);
	snprintf(q->domain, sizeof(q->domain), "%s", at + 1);
	q->sips = msg->to.uri.sips;
	q->gruu = sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "gruu");
	q->path = sip_msg_hdr_has_value(msg, SIP_HDR_SUPPORTED, "path");

	if (!r->cf.auth) {
		process(q);
		goto out;
	}
	err = auth_verify(r->auth, st, q->domain, false, authenticated, q);
	if (err) {
		log_warn(&q->lctx, "authentication: %s", err_str(err));
		reply(q, 500, NULL, "Retry-After: 5\r\n");
	}
out:
	mem_deref(q);
}
