/* tests/unit/event/test_evt_winfo.c - watcher information templates (RFC
 * 3857) and durable subscriptions (restore after a restart) */
#include <stdio.h>
#include <string.h>

#include "base/tmr.h"
#include "event/winfo_doc.h"
#include "evt_test.h"
#include "sip/rec_tp.h"
#include "store/store.h"

struct wl {
	struct winfo_info info;
	uint32_t n;
	char resource[64];
	char package[32];
	struct {
		char uri[64];
		char status[16];
		char event[16];
		uint32_t expiration;
	} w[8];
};

static void wl_h(const char *resource, const char *package,
                 const struct winfo_watcher *w, void *arg)
{
	struct wl *l = arg;

	snprintf(l->resource, sizeof(l->resource), "%s", resource);
	snprintf(l->package, sizeof(l->package), "%s", package);
	if (l->n >= 8)
		return;
	snprintf(l->w[l->n].uri, sizeof(l->w[0].uri), "%s", w->uri);
	snprintf(l->w[l->n].status, sizeof(l->w[0].status), "%s", w->status);
	snprintf(l->w[l->n].event, sizeof(l->w[0].event), "%s", w->event);
	l->w[l->n].expiration = w->expiration_s;
	l->n++;
}

/* The next NOTIFY of Call-ID cid at or after *from (moved past it),
 * parsed as a winfo document into l; answered 200. */
static int winfo_next(struct efix *f, uint32_t *from, const char *cid,
                      struct wl *l)
{
	struct sip_msg *m = NULL;
	char errbuf[128];
	int i = (int)*from, err;

	memset(l, 0, sizeof(*l));
	for (;;) {
		i = efix_notify(f, (uint32_t)i, NULL);
		if (i < 0)
			return ENOENT;
		err = rec_tp_decode(f->rt, (uint32_t)i, &m);
		if (err)
			return err;
		if (!pl_strcmp(&m->callid, cid))
			break;
		m = mem_deref(m);
		i++;
	}
	*from = (uint32_t)i + 1;
	if (pl_strcmp(&m->ctype, WINFO_CTYPE)) {
		err = EPROTO;
		goto out;
	}
	err = winfo_doc_parse(m->body.p, m->body.l, &l->info, wl_h, l, errbuf,
	                      sizeof(errbuf));
	if (!err)
		err = efix_answer(f, (uint32_t)i, 200, NULL, NULL);
out:
	mem_deref(m);
	return err;
}

/* Answer every NOTIFY of Call-ID cid recorded at or after from. */
static void answer_cid(struct efix *f, uint32_t from, const char *cid)
{
	int i = (int)from;

	while ((i = efix_notify(f, (uint32_t)i, NULL)) >= 0) {
		struct sip_msg *m = NULL;

		if (!rec_tp_decode(f->rt, (uint32_t)i, &m) &&
		    !pl_strcmp(&m->callid, cid))
			(void)efix_answer(f, (uint32_t)i, 200, NULL, NULL);
		mem_deref(m);
		i++;
	}
}

TEST(test_evt_winfo)
{
	struct efix f;
	struct sreq r, wr, ar;
	struct sip_msg *rsp = NULL;
	struct wl l;
	char wtag[64], atag[64], b[64];
	uint32_t pos = 0, before;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, true, 256);
	if (err)
		goto out;
	EV_STR("test, test.winfo", evt_allow_events(f.e));

	/* the owner watches its watchers: full list, empty */
	f.ident = "bob@example.com";
	sreq_init(&wr);
	wr.event = "test.winfo";
	wr.callid = "w1";
	wr.from = "sip:bob@example.com";
	wr.ftag = "b1";
	wr.tp = SIP_TRANSP_TCP; /* no retransmissions to sort out */
	EV_ERR(efix_subscribe(&f, &wr, &rsp));
	EV_EQ(200, rsp->scode);
	(void)pl_strcpy(&rsp->to.tag, wtag, sizeof(wtag));
	rsp = mem_deref(rsp);
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(0, l.info.version);
	EV_ASSERT(l.info.full);
	EV_EQ(0, l.n);
	EV_EQ(1, evt_sub_count(f.e, "test.winfo"));
	EV_EQ(0, f.pkg.nsub); /* the framework answered it */

	/* a watcher waits for approval */
	f.ident = NULL;
	f.pkg.mode = TP_PENDING;
	sreq_init(&ar);
	ar.tp = SIP_TRANSP_TCP;
	EV_ERR(efix_subscribe(&f, &ar, &rsp));
	EV_EQ(200, rsp->scode);
	(void)pl_strcpy(&rsp->to.tag, atag, sizeof(atag));
	rsp = mem_deref(rsp);
	efix_advance(&f, 1000);
	answer_cid(&f, pos, "c1");
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(1, l.info.version);
	EV_ASSERT(!l.info.full);
	EV_EQ(1, l.n);
	EV_STR("sip:bob@example.com", l.resource);
	EV_STR("test", l.package);
	EV_STR("sip:alice@a.example.com", l.w[0].uri);
	EV_STR("pending", l.w[0].status);
	EV_STR("subscribe", l.w[0].event);
	EV_ASSERT(l.w[0].expiration > 0);

	/* approved */
	EV_ERR(evt_sub_set_state(f.pkg.last, EVT_ACTIVE, EVT_REASON_NONE, 0));
	efix_advance(&f, 1000);
	answer_cid(&f, pos, "c1");
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(2, l.info.version);
	EV_EQ(1, l.n);
	EV_STR("active", l.w[0].status);
	EV_STR("approved", l.w[0].event);

	/* the watcher leaves */
	ar.totag = atag;
	ar.cseq = 2;
	ar.expires = 0;
	EV_ERR(efix_subscribe(&f, &ar, NULL));
	efix_advance(&f, 1000);
	answer_cid(&f, pos, "c1");
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(3, l.info.version);
	EV_EQ(1, l.n);
	EV_STR("terminated", l.w[0].status);
	EV_STR("timeout", l.w[0].event);

	/* another one: only it is in the next partial list */
	sreq_init(&r);
	r.callid = "c2";
	r.from = "sip:carol@c.example.com";
	r.ftag = "k1";
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(efix_subscribe(&f, &r, NULL));
	efix_advance(&f, 1000);
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(4, l.info.version);
	EV_EQ(1, l.n);
	EV_STR("sip:carol@c.example.com", l.w[0].uri);
	EV_STR("pending", l.w[0].status);

	/* the owner refreshes: a full list, the one who left is gone */
	f.ident = NULL; /* in-dialog: not authenticated again */
	wr.totag = wtag;
	wr.cseq = 2;
	EV_ERR(efix_subscribe(&f, &wr, &rsp));
	EV_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(5, l.info.version);
	EV_ASSERT(l.info.full);
	EV_EQ(1, l.n);
	EV_STR("sip:carol@c.example.com", l.w[0].uri);

	/* a fetch that must wait shows as "waiting" */
	sreq_init(&r);
	r.callid = "c3";
	r.from = "sip:dave@d.example.com";
	r.ftag = "d1";
	r.expires = 0;
	r.tp = SIP_TRANSP_TCP;
	before = efix_nrec(&f);
	EV_ERR(efix_subscribe(&f, &r, NULL));
	EV_ASSERT(efix_nrec(&f) > before);
	efix_advance(&f, 1000);
	answer_cid(&f, pos, "c3");
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_EQ(6, l.info.version);
	EV_EQ(1, l.n);
	EV_STR("sip:dave@d.example.com", l.w[0].uri);
	EV_STR("waiting", l.w[0].status);

	/* the owner leaves: terminated, with the full list */
	wr.cseq = 3;
	wr.expires = 0;
	EV_ERR(efix_subscribe(&f, &wr, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("0", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_ERR(winfo_next(&f, &pos, "w1", &l));
	EV_ASSERT(l.info.full);
	EV_EQ(1, l.n);
	EV_EQ(0, evt_sub_count(f.e, "test.winfo"));
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

TEST(test_evt_winfo_owner_only)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL;
	struct wl l;
	uint32_t pos = 0;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, true, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.event = "test.winfo";
	f.ident = "alice@example.com";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	f.ident = NULL;
	r.callid = "c2";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	/* "BOB@EXAMPLE.COM" is not bob: the user part is exact */
	f.ident = "BOB@example.com";
	r.callid = "c3";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	EV_EQ(0, efix_count(&f, "NOTIFY "));

	/* the template of the template: the owner sees its winfo watchers */
	f.ident = "bob@EXAMPLE.com";
	r.callid = "c4";
	r.event = "test.winfo.winfo";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	EV_ERR(winfo_next(&f, &pos, "c4", &l));
	EV_EQ(0, l.n);
	r.callid = "c5";
	r.event = "test.winfo";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	efix_advance(&f, 1000);
	EV_ERR(winfo_next(&f, &pos, "c4", &l));
	EV_EQ(1, l.n);
	EV_STR("test.winfo", l.package);
	EV_STR("active", l.w[0].status);

	r.callid = "c6";
	r.event = "test.winfo.winfo.winfo";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(489, rsp->scode);
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

static void count_h(const struct store_sub *s, void *arg)
{
	(void)s;
	(*(uint32_t *)arg)++;
}

static uint32_t stored(struct efix *f)
{
	uint32_t n = 0;

	if (store_sub_list(f->st, count_h, &n))
		return UINT32_MAX;
	return n;
}

struct first {
	char id[32];
	char dst[64];
	char route[128];
	uint32_t lcseq;
};

static void first_h(const struct store_sub *s, void *arg)
{
	struct first *x = arg;

	if (x->id[0])
		return;
	snprintf(x->id, sizeof(x->id), "%s", s->id);
	snprintf(x->dst, sizeof(x->dst), "%s", s->dst);
	snprintf(x->route, sizeof(x->route), "%s", s->route);
	x->lcseq = s->local_cseq;
}

/* How long the stored subscription with Call-ID "c2" had left. */
struct left {
	uint64_t now;
	int64_t left;
};

static void left_h(const struct store_sub *s, void *arg)
{
	struct left *l = arg;

	if (!strcmp(s->callid, "c2"))
		l->left = (int64_t)(s->expires - l->now);
}

TEST(test_evt_restore)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL, *n0 = NULL;
	struct first x;
	char b[128], tag[64];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, true, false, 128);
	if (err)
		goto out;
	sreq_init(&r);
	r.extra = "Record-Route: <sip:192.0.2.9:5070;lr>\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	(void)pl_strcpy(&rsp->to.tag, tag, sizeof(tag));
	i = efix_notify(&f, 0, &n0);
	EV_ASSERT(i >= 0 && n0);
	EV_EQ(1, n0->cseq.num);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_ERR(evt_sub_set_pdata(f.pkg.last, "x=1"));
	/* a short one that will have expired */
	sreq_init(&r);
	r.callid = "c2";
	r.expires = 60;
	EV_ERR(efix_subscribe(&f, &r, NULL));
	EV_EQ(2, stored(&f));
	{
		/* stored at accept with the whole granted time ahead */
		struct left l = {tmrl_wallclock(f.tmrl), -1};

		EV_ERR(store_sub_list(f.st, left_h, &l));
		EV_ASSERT(l.left >= 59 && l.left <= 60);
	}
	memset(&x, 0, sizeof(x));
	EV_ERR(store_sub_list(f.st, first_h, &x));

	/* "kill -9": memory gone, store kept; no NOTIFY on the way out */
	efix_evt_free(&f);
	efix_advance(&f, 61000);
	before = efix_nrec(&f);
	EV_ERR(efix_evt_new(&f, NULL, false));
	EV_ERR(evt_restore(f.e));
	EV_EQ(1, f.pkg.nrestored);
	EV_EQ(1, stored(&f)); /* the expired one is gone */
	EV_EQ(1, evt_sub_count(f.e, "test"));
	EV_STR("x=1", evt_sub_pdata(f.pkg.last));
	EV_ASSERT(!evt_sub_request(f.pkg.last));
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	/* same dialog, same way, CSeq beyond anything sent before */
	EV_ASSERT(!pl_cmp(&n->callid, &n0->callid));
	EV_ASSERT(!pl_cmp(&n->from.tag, &n0->from.tag));
	EV_ASSERT(!pl_cmp(&n->to.tag, &n0->to.tag));
	EV_ASSERT(!pl_cmp(&n->ruri, &n0->ruri));
	EV_EQ(2 + 8192, n->cseq.num); /* 1 was stored */
	EV_ASSERT(sip_msg_hdr(n, SIP_HDR_ROUTE));
	EV_STR("active;expires=539",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("s0 v8193 full", efix_body(n, b, sizeof(b)));
	(void)sa_print(&rec_tp_get(f.rt, (uint32_t)i)->dst.addr, b, sizeof(b));
	EV_STR("192.0.2.9:5070", b);
	EV_STR("udp:192.0.2.9:5070", x.dst);
	EV_STR("<sip:192.0.2.9:5070;lr>", x.route);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* the dialog goes on: a refresh works */
	sreq_init(&r);
	r.totag = tag;
	r.cseq = 2;
	rsp = mem_deref(rsp);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	answer_cid(&f, before, "c1");

	/* and again: the CSeq keeps growing */
	efix_evt_free(&f);
	before = efix_nrec(&f);
	EV_ERR(efix_evt_new(&f, NULL, false));
	EV_ERR(evt_restore(f.e));
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_ASSERT(n->cseq.num > 2 * 8192);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* the package no longer allows it: terminated, and forgotten */
	efix_evt_free(&f);
	f.pkg.mode = TP_REJECT;
	before = efix_nrec(&f);
	EV_ERR(efix_evt_new(&f, NULL, false));
	EV_ERR(evt_restore(f.e));
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("terminated;reason=rejected",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, n->body.l);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(0, stored(&f));
	EV_EQ(0, evt_sub_count(f.e, NULL));
out:
	mem_deref(rsp);
	mem_deref(n);
	mem_deref(n0);
	efix_close(&f);
	return err;
}

TEST(test_evt_durable_unsubscribe)
{
	struct efix f;
	struct sreq r;
	char tag[64];
	struct sip_msg *rsp = NULL;
	int err;

	EV_START();
	err = efix_init(&f, NULL, true, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	(void)pl_strcpy(&rsp->to.tag, tag, sizeof(tag));
	EV_EQ(1, stored(&f));
	/* a fetch is never stored */
	sreq_init(&r);
	r.callid = "c2";
	r.expires = 0;
	EV_ERR(efix_subscribe(&f, &r, NULL));
	EV_EQ(1, stored(&f));
	/* the unsubscribed one leaves the store once it is over */
	sreq_init(&r);
	r.totag = tag;
	r.cseq = 2;
	r.expires = 0;
	EV_ERR(efix_subscribe(&f, &r, NULL));
	efix_advance(&f, 40000); /* the final NOTIFY timed out */
	EV_EQ(0, stored(&f));
	EV_EQ(2, f.pkg.nended);
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

/* 4100 NOTIFYs, each answered: an --oom replay would repeat the run once
 * per allocation of thousands of transactions; the checkpoint itself
 * allocates through the store call test_evt_restore covers. */
TEST_NO_OOM(test_evt_cseq_checkpoint)
{
	struct evt_conf cf = efix_conf;
	struct efix f;
	struct sreq r;
	struct first x;
	int i, err;

	EV_START();
	cf.notify_interval_ms = 0;
	err = efix_init(&f, &cf, true, false, 16);
	if (err)
		goto out;
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(efix_subscribe(&f, &r, NULL));
	for (uint32_t k = 0; k < 4100; k++) {
		i = efix_notify(&f, 0, NULL);
		EV_ASSERT(i >= 0);
		EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
		rec_tp_clear(f.rt);
		evt_notify_resource(f.e, "test", "bob@example.com", false);
	}
	memset(&x, 0, sizeof(x));
	EV_ERR(store_sub_list(f.st, first_h, &x));
	EV_EQ(4096, x.lcseq);
	EV_EQ(4100, f.pkg.last_version);
out:
	efix_close(&f);
	return err;
}
