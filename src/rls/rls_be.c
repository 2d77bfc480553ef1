/* rls/rls_be.c - back-end subscriptions of the resource list server: one
 * per (watcher, member), shared by every list subscription of that
 * watcher that holds the member. A local member gets an internal
 * subscription to the presence package (the presence service authorizes
 * the watcher and shows it in watcher info as for any SUBSCRIBE);
 * another domain's member gets a SIP SUBSCRIBE with the watcher's
 * identity. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "rls"

#include "../base/buf.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../base/util.h"
#include "../proxy/domain.h"
#include "../proxy/location.h"
#include "../sip/msg.h"
#include "../sip/tp.h"
#include "rls_int.h"

#define RETRY_MIN_S 10 /* a remote subscription that ended: again after */

static void be_destroy(void *data)
{
	struct rls_be *be = data;

	hash_unlink(&be->he);
	tmr_cancel(&be->tmr);
	if (be->isub) {
		be->isub = evt_isub_end(be->isub);
		if (be->r->stats.local)
			be->r->stats.local--;
	}
	if (be->csub) {
		be->csub = mem_deref(be->csub);
		if (be->r->stats.remote)
			be->r->stats.remote--;
	}
	mem_deref(be->key);
	mem_deref(be->uri);
	mem_deref(be->aor);
	mem_deref(be->watcher);
	mem_deref(be->ident);
	mem_deref(be->display);
	mem_deref(be->body);
	mem_deref(be->ctype);
}

static const char *reason_str(enum evt_reason r)
{
	const char *s = evt_reason_name(r);

	return s && *s ? s : NULL;
}

static void set_body(struct rls_be *be, struct buf *body, const char *ctype)
{
	char *ct = NULL;

	if (body && ctype && mem_strdup(&ct, ctype))
		body = NULL; /* out of memory: no document this time */
	mem_deref(be->body);
	mem_deref(be->ctype);
	be->body = body ? mem_ref(body) : NULL;
	be->ctype = body ? ct : mem_deref(ct);
}

/* ---- local members: internal subscriptions ---- */

static void isub_h(struct evt_sub *s, enum evt_state state,
                   enum evt_reason reason, struct buf *body, const char *ctype,
                   void *arg)
{
	struct rls_be *be = arg;

	(void)s;
	be->known = true;
	switch (state) {
	case EVT_ACTIVE:
		be->state = RLMI_ACTIVE;
		be->reason = NULL;
		set_body(be, body, ctype);
		break;
	case EVT_PENDING:
		be->state = RLMI_PENDING;
		be->reason = NULL;
		set_body(be, NULL, NULL);
		break;
	default:
		be->state = RLMI_TERMINATED;
		be->reason = reason_str(reason);
		set_body(be, NULL, NULL);
		break;
	}
	rls_be_changed(be);
}

static int local_start(struct rls_be *be)
{
	struct evt_isub_params p;
	int err;

	memset(&p, 0, sizeof(p));
	p.pkg = "presence";
	p.resource = be->aor;
	p.watcher = be->watcher;
	p.display = be->display;
	p.ident = be->ident;
	p.accept = "application/pidf+xml";
	err = evt_isub_alloc(&be->isub, be->r->e, &p, isub_h, be);
	if (err)
		return err;
	be->r->stats.local++;
	if (evt_sub_state(be->isub) == EVT_TERMINATED) {
		/* decided at once: no such user, blocked */
		be->known = true;
		be->state = RLMI_TERMINATED;
		be->reason = reason_str(evt_sub_reason(be->isub));
		if (!be->reason)
			be->reason = evt_sub_scode(be->isub) == 404
			                 ? "noresource"
			                 : "rejected";
	}
	return 0;
}

/* ---- other domains: SIP subscriptions ---- */

static int remote_start(struct rls_be *be);

static void retry_h(void *arg)
{
	struct rls_be *be = arg;

	if (remote_start(be))
		tmr_start(&be->tmr, be->r->tl, RETRY_MIN_S * 1000, retry_h, be);
}

static void csub_h(struct evt_csub *cs, enum evt_state state,
                   enum evt_reason reason, uint32_t retry_after_s,
                   const struct sip_msg *notify, uint16_t scode, void *arg)
{
	struct rls_be *be = arg;
	struct buf *b = NULL;

	(void)cs;
	be->known = true;
	if (state == EVT_ACTIVE || state == EVT_PENDING) {
		be->state = state == EVT_ACTIVE ? RLMI_ACTIVE : RLMI_PENDING;
		be->reason = NULL;
		if (state == EVT_ACTIVE && notify && notify->body.l) {
			char ct[128];

			if (!pl_strcpy(&notify->ctype, ct, sizeof(ct)) &&
			    !buf_alloc(&b, notify->body.l)) {
				if (!buf_write_pl(b, &notify->body))
					set_body(be, b, ct);
				mem_deref(b);
			}
		} else if (state == EVT_PENDING) {
			set_body(be, NULL, NULL);
		}
		rls_be_changed(be);
		return;
	}
	/* over: the csub is done */
	be->csub = mem_deref(be->csub);
	if (be->r->stats.remote)
		be->r->stats.remote--;
	be->state = RLMI_TERMINATED;
	set_body(be, NULL, NULL);
	if (!notify && scode == 404)
		be->reason = "noresource";
	else if (!notify && scode >= 300)
		be->reason =
		    scode == 403 || scode == 603 ? "rejected" : "giveup";
	else
		be->reason = reason_str(reason);
	if (reason == EVT_REASON_DEACTIVATED || reason == EVT_REASON_TIMEOUT ||
	    reason == EVT_REASON_PROBATION || (!notify && scode == 408) ||
	    (!notify && scode >= 500)) {
		uint32_t s = MAX(retry_after_s, (uint32_t)RETRY_MIN_S);

		if (reason == EVT_REASON_DEACTIVATED && !retry_after_s)
			s = 0; /* RFC 6665 4.1.3: at once */
		log_info(NULL,
		         "back-end subscription of %s to %s ended: again "
		         "in %u s",
		         be->watcher, be->uri, s);
		tmr_start(&be->tmr, be->r->tl, (uint64_t)s * 1000, retry_h, be);
	}
	rls_be_changed(be);
}

static int remote_start(struct rls_be *be)
{
	struct evt_csub_params p;
	struct sip_uri u;
	struct parse_err pe;
	struct sip_dst dst;
	struct pl pl;
	int err;

	pl_set_str(&pl, be->uri);
	memset(&dst, 0, sizeof(dst));
	if (sip_uri_decode(&u, &pl, &pe) || sip_uri_dst(&dst, &u))
		return EHOSTUNREACH;
	memset(&p, 0, sizeof(p));
	p.pkg = "presence";
	p.ruri = be->uri;
	p.from = be->watcher;
	p.dst = &dst;
	p.expires = be->r->cf.be_expires ? be->r->cf.be_expires : 3600;
	p.accept = "application/pidf+xml";
	err = evt_csub_alloc(&be->csub, be->r->e, &p, csub_h, be);
	if (!err)
		be->r->stats.remote++;
	return err;
}

/* ---- shared table ---- */

int rls_be_get(struct rls_be **bep, struct rls *r, const char *uri,
               const char *key, const char *watcher, const char *ident,
               const char *display)
{
	struct rls_be *be;
	struct sip_uri u;
	struct parse_err pe;
	struct pl pl;
	char *bkey = NULL, buf[600], aor[512];
	int err;

	if (snprintf(buf, sizeof(buf), "%s|%s", ident ? ident : watcher, key) >=
	    (int)sizeof(buf))
		return EINVAL;
	LIST_FOREACH(hash_list(r->bes, str_hash_ci(buf)), le) {
		be = le->data;
		if (!strcmp(be->key, buf)) {
			*bep = mem_ref(be);
			return 0;
		}
	}
	err = mem_strdup(&bkey, buf);
	if (err)
		return err;
	be = mem_zalloc(sizeof(*be), be_destroy);
	if (!be) {
		mem_deref(bkey);
		return ENOMEM;
	}
	be->r = r;
	be->key = bkey;
	tmr_init(&be->tmr);
	list_init(&be->users);
	rand_token(be->id, sizeof(be->id));
	err = mem_strdup(&be->uri, uri);
	if (!err)
		err = mem_strdup(&be->watcher, watcher);
	if (!err && ident)
		err = mem_strdup(&be->ident, ident);
	if (!err)
		err = mem_strdup(&be->display, display ? display : "");
	if (err)
		goto fail;
	hash_append(r->bes, str_hash_ci(be->key), &be->he, be);

	/* pres: and im: URIs name the user their sip: form names */
	if (!strncasecmp(uri, "pres:", 5) || !strncasecmp(uri, "im:", 3)) {
		snprintf(buf, sizeof(buf), "sip:%s", strchr(uri, ':') + 1);
		pl_set_str(&pl, buf);
	} else {
		pl_set_str(&pl, uri);
	}
	if (sip_uri_decode(&u, &pl, &pe) || !u.is_sip || !pl_isset(&u.user)) {
		be->known = true;
		be->state = RLMI_TERMINATED;
		be->reason = "noresource";
	} else if (!r->dom || dom_is_local(r->dom, &u.host)) {
		err = loc_aor_print(&u, aor, sizeof(aor));
		if (!err)
			err = mem_strdup(&be->aor, aor);
		if (!err)
			err = local_start(be);
	} else {
		err = remote_start(be);
		if (err == EHOSTUNREACH) {
			log_info(NULL, "no route to %s for %s's list", uri,
			         watcher);
			be->known = true;
			be->state = RLMI_TERMINATED;
			be->reason = "giveup";
			err = 0;
		}
	}
	if (err)
		goto fail;
	*bep = be;
	return 0;
fail:
	mem_deref(be);
	return err;
}
