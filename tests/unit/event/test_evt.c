/* tests/unit/event/test_evt.c - notifier side of the events framework (RFC
 * 6665): SUBSCRIBE answers, NOTIFY contents, refresh, expiry, failures */
#include <stdio.h>
#include <string.h>

#include "base/tmr.h"
#include "evt_test.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"

#define RES "bob@example.com"

/* Subscribe with r, expect 200 and the first NOTIFY; answer it with 200
 * when answer. *totagp: the dialog's local tag (buf of 64). */
static int sub_ok(struct efix *f, const struct sreq *r, char *totag,
                  bool answer, int *nidx)
{
	struct sip_msg *rsp = NULL;
	uint32_t before = efix_nrec(f);
	int i, err;

	err = efix_subscribe(f, r, &rsp);
	if (err)
		goto out;
	if (rsp->scode != 200) {
		err = ev_oom ? ENOMEM : EPROTO;
		goto out;
	}
	if (totag)
		(void)pl_strcpy(&rsp->to.tag, totag, 64);
	i = efix_notify(f, before, NULL);
	if (i < 0) {
		err = ev_oom ? ENOMEM : ENOENT;
		goto out;
	}
	if (nidx)
		*nidx = i;
	if (answer)
		err = efix_answer(f, (uint32_t)i, 200, NULL, NULL);
out:
	mem_deref(rsp);
	return err;
}

TEST(test_evt_accept)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	const struct rec_sent *rs;
	char b[256], dst[64];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	snprintf(f.pkg.state, sizeof(f.pkg.state), "open");
	sreq_init(&r);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_ASSERT(pl_isset(&rsp->to.tag));
	EV_STR("600", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_STR("<sip:127.0.0.1:5060>",
	       efix_hdr(rsp, SIP_HDR_CONTACT, b, sizeof(b)));
	EV_EQ(1, f.pkg.nsub);
	EV_EQ(1, evt_sub_count(f.e, "test"));
	EV_EQ(1, evt_sub_count(f.e, NULL));
	EV_EQ(0, evt_sub_count(f.e, "other"));

	i = efix_notify(&f, 0, &n);
	EV_ASSERT(i > 0 && n);
	/* the 200 left before the NOTIFY */
	EV_ASSERT(rec_tp_find(f.rt, 0, "SIP/2.0 200") < i);
	EV_PL("sip:alice@192.0.2.1:5060", &n->ruri);
	EV_PL("sip:bob@example.com", &n->from.auri);
	EV_ASSERT(!pl_cmp(&n->from.tag, &rsp->to.tag));
	EV_PL("sip:alice@a.example.com", &n->to.auri);
	EV_PL("a1", &n->to.tag);
	EV_PL("Alice", &n->to.dname);
	EV_PL("c1", &n->callid);
	EV_EQ(1, n->cseq.num);
	EV_PL("NOTIFY", &n->cseq.met);
	EV_EQ(70, n->maxfwd);
	EV_ASSERT(!pl_strcmp(&n->via.tp_name, "UDP"));
	EV_ASSERT(n->via.branch.l > 7 &&
	          !memcmp(n->via.branch.p, "z9hG4bK", 7));
	EV_STR("test", efix_hdr(n, SIP_HDR_EVENT, b, sizeof(b)));
	EV_STR("active;expires=600",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("<sip:127.0.0.1:5060>",
	       efix_hdr(n, SIP_HDR_CONTACT, b, sizeof(b)));
	EV_STR("impd-test", efix_hdr(n, SIP_HDR_USER_AGENT, b, sizeof(b)));
	EV_PL("text/plain", &n->ctype);
	EV_STR("open v0 full", efix_body(n, b, sizeof(b)));
	EV_ASSERT(!sip_msg_hdr(n, SIP_HDR_ROUTE));
	/* no route set: back over the flow the SUBSCRIBE came on */
	rs = rec_tp_get(f.rt, (uint32_t)i);
	EV_EQ(SIP_TRANSP_UDP, rs->dst.tp);
	(void)sa_print(&rs->dst.addr, dst, sizeof(dst));
	EV_STR("192.0.2.1:5060", dst);

	/* answered: nothing more */
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	before = efix_nrec(&f);
	efix_advance(&f, 10000);
	EV_EQ(before, efix_nrec(&f));

	/* a change: the next NOTIFY, one CSeq up, partial */
	snprintf(f.pkg.state, sizeof(f.pkg.state), "closed");
	evt_notify_resource(f.e, "test", RES, false);
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_EQ(2, n->cseq.num);
	EV_STR("closed v1 partial", efix_body(n, b, sizeof(b)));
	EV_STR("active;expires=590",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
out:
	mem_deref(rsp);
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_route_set)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	const struct rec_sent *rs;
	const struct sip_hdr *h;
	char b[256];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.extra = "Record-Route: <sip:192.0.2.9:5070;lr>\n"
	          "Record-Route: <sip:p2.example.com;lr>\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	/* RFC 3261 12.1.1: the Record-Route goes back in the 200 */
	EV_EQ(2, sip_msg_hdr_count(rsp, SIP_HDR_RECORD_ROUTE));
	i = efix_notify(&f, 0, &n);
	EV_ASSERT(i >= 0 && n);
	h = sip_msg_hdr(n, SIP_HDR_ROUTE);
	EV_ASSERT(h);
	EV_PL("<sip:192.0.2.9:5070;lr>", &h->val);
	h = sip_msg_hdr_next(n, h);
	EV_ASSERT(h);
	EV_PL("<sip:p2.example.com;lr>", &h->val);
	EV_PL("sip:alice@192.0.2.1:5060", &n->ruri);
	rs = rec_tp_get(f.rt, (uint32_t)i);
	(void)sa_print(&rs->dst.addr, b, sizeof(b));
	EV_STR("192.0.2.9:5070", b);
	EV_EQ(SIP_TRANSP_UDP, rs->dst.tp);
	rsp = mem_deref(rsp);
	n = mem_deref(n);

	/* TCP: the NOTIFY goes back on the connection (transport, source
	 * address); impd's Contact says transport=tcp */
	sreq_init(&r);
	r.callid = "c2";
	r.tp = SIP_TRANSP_TCP;
	r.src = "192.0.2.7:40000";
	before = efix_nrec(&f);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("<sip:127.0.0.1:5060;transport=tcp>",
	       efix_hdr(rsp, SIP_HDR_CONTACT, b, sizeof(b)));
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_PL("c2", &n->callid);
	rs = rec_tp_get(f.rt, (uint32_t)i);
	EV_EQ(SIP_TRANSP_TCP, rs->dst.tp);
	(void)sa_print(&rs->dst.addr, b, sizeof(b));
	EV_STR("192.0.2.7:40000", b);
	EV_ASSERT(!pl_strcmp(&n->via.tp_name, "TCP"));
out:
	mem_deref(rsp);
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_strict_route)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *n = NULL;
	const struct sip_hdr *h;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.extra = "Record-Route: <sip:192.0.2.9:5070>\n";
	EV_ERR(sub_ok(&f, &r, NULL, false, &i));
	EV_ASSERT(efix_notify(&f, 0, &n) >= 0 && n);
	/* RFC 3261 12.2.1.1: a strict router is the Request-URI, the remote
	 * target the last Route */
	EV_PL("sip:192.0.2.9:5070", &n->ruri);
	h = sip_msg_hdr(n, SIP_HDR_ROUTE);
	EV_ASSERT(h);
	EV_PL("<sip:alice@192.0.2.1:5060>", &h->val);
	EV_ASSERT(!sip_msg_hdr_next(n, h));
out:
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_pending_then_active)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *n = NULL;
	char b[128];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	f.pkg.mode = TP_DEFER;
	sreq_init(&r);
	before = efix_nrec(&f);
	EV_ERR(efix_subscribe(&f, &r, NULL));
	/* undecided: no answer yet, the request is there to look at */
	EV_EQ(before, efix_nrec(&f));
	EV_ASSERT(f.pkg.last);
	EV_ASSERT(evt_sub_request(f.pkg.last));
	EV_EQ(EVT_INIT, evt_sub_state(f.pkg.last));
	EV_STR(RES, evt_sub_resource(f.pkg.last));
	EV_STR("sip:alice@a.example.com", evt_sub_watcher(f.pkg.last));
	EV_STR("Alice", evt_sub_display(f.pkg.last));
	EV_ASSERT(!evt_sub_ident(f.pkg.last));
	EV_STR("test", evt_sub_package(f.pkg.last));
	EV_ASSERT(!evt_sub_fetch(f.pkg.last));
	EV_ASSERT(evt_sub_accepts(f.pkg.last, "text/plain"));
	EV_ASSERT(!evt_sub_accepts(f.pkg.last, "application/pidf+xml"));
	EV_ASSERT(!evt_sub_supports(f.pkg.last, "eventlist"));
	EV_ASSERT(evt_sub_evt(f.pkg.last) == f.e);
	EV_ERR(evt_sub_set_pdata(f.pkg.last, "rule=7"));
	EV_STR("rule=7", evt_sub_pdata(f.pkg.last));
	EV_ERR(evt_sub_accept(f.pkg.last, EVT_PENDING));
	EV_EQ(EPROTO, evt_sub_accept(f.pkg.last, EVT_ACTIVE));
	EV_ASSERT(!evt_sub_request(f.pkg.last));
	EV_EQ(1, efix_count(&f, "SIP/2.0 200"));
	i = efix_notify(&f, 0, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("pending;expires=600",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, n->body.l); /* nothing before authorization */
	EV_EQ(0, f.pkg.nbody);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	/* a change while pending sends nothing */
	before = efix_nrec(&f);
	evt_notify_resource(f.e, "test", RES, true);
	efix_advance(&f, 1000);
	EV_EQ(before, efix_nrec(&f));

	/* approved: a NOTIFY with the full state */
	EV_ERR(evt_sub_set_state(f.pkg.last, EVT_ACTIVE, EVT_REASON_NONE, 0));
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("active;expires=599",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("s0 v1 full", efix_body(n, b, sizeof(b)));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* back to pending: a NOTIFY without body */
	before = efix_nrec(&f);
	EV_ERR(evt_sub_set_state(f.pkg.last, EVT_PENDING, EVT_REASON_NONE, 0));
	efix_advance(&f, 500);
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("pending;expires=599",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, n->body.l);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* the package ends it: terminated;reason=rejected, no body */
	before = efix_nrec(&f);
	EV_ERR(evt_sub_set_state(f.pkg.last, EVT_TERMINATED,
	                         EVT_REASON_DEACTIVATED, 30));
	EV_EQ(0, evt_sub_count(f.e, NULL));
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("terminated;reason=deactivated;retry-after=30",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, n->body.l);
	EV_EQ(0, f.pkg.nended);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(1, f.pkg.nended);
out:
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_reject)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	f.pkg.mode = TP_REJECT;
	sreq_init(&r);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	EV_EQ(1, f.pkg.nended);
	EV_EQ(0, evt_sub_count(f.e, NULL));
	EV_EQ(0, efix_count(&f, "NOTIFY "));
	rsp = mem_deref(rsp);

	/* decided later */
	f.pkg.mode = TP_DEFER;
	r.callid = "c2";
	EV_ERR(efix_subscribe(&f, &r, NULL));
	EV_ASSERT(f.pkg.last);
	EV_ERR(evt_sub_reject(f.pkg.last, 404, NULL, EVT_REASON_NORESOURCE));
	EV_EQ(1, efix_count(&f, "SIP/2.0 404"));
	EV_EQ(2, f.pkg.nended);
	EV_ASSERT(!f.pkg.last);

	/* never decided: 500 before the client gives up */
	r.callid = "c3";
	EV_ERR(efix_subscribe(&f, &r, NULL));
	EV_ASSERT(f.pkg.last);
	efix_advance(&f, 25000);
	EV_EQ(1, efix_count(&f, "SIP/2.0 500"));
	EV_EQ(3, f.pkg.nended);
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

static const char sub_noevent[] =
    "SUBSCRIBE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKne\n"
    "Max-Forwards: 70\n"
    "From: <sip:alice@a.example.com>;tag=a1\n"
    "To: <sip:bob@example.com>\n"
    "Call-ID: ne1\n"
    "CSeq: 1 SUBSCRIBE\n"
    "Contact: <sip:alice@192.0.2.1>\n"
    "Content-Length: 0\n"
    "\n";

static const char sub_nocontact[] =
    "SUBSCRIBE sip:bob@example.com SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnc\n"
    "Max-Forwards: 70\n"
    "From: <sip:alice@a.example.com>;tag=a1\n"
    "To: <sip:bob@example.com>\n"
    "Call-ID: nc1\n"
    "CSeq: 1 SUBSCRIBE\n"
    "Event: test\n"
    "Content-Length: 0\n"
    "\n";

static const char notify_stray[] =
    "NOTIFY sip:127.0.0.1:5060 SIP/2.0\n"
    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKns\n"
    "Max-Forwards: 70\n"
    "From: <sip:alice@a.example.com>;tag=a1\n"
    "To: <sip:bob@example.com>;tag=%s\n"
    "Call-ID: c6\n"
    "CSeq: 5 NOTIFY\n"
    "Event: test\n"
    "Subscription-State: active\n"
    "Content-Length: 0\n"
    "\n";

/* The last response recorded starts with status. */
static bool last_is(struct efix *f, const char *status)
{
	char p[32];
	struct pl pl;

	snprintf(p, sizeof(p), "SIP/2.0 %s", status);
	pl = rec_tp_pl(f->rt, efix_nrec(f) - 1);
	return pl.l > strlen(p) && !memcmp(pl.p, p, strlen(p));
}

TEST(test_evt_bad_subscribe)
{
	const struct evt_conf cf = {60, 3600, 500, 3, 64, 2, NULL};
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL;
	char b[256], big[200], tag[64], text[1024];
	int err;

	EV_START();
	err = efix_init(&f, &cf, false, false, 64);
	if (err)
		goto out;
	EV_STR("test", evt_allow_events(f.e));

	/* RFC 6665 8.3.2 / 4.2.1: unknown package */
	sreq_init(&r);
	r.event = "presence";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(489, rsp->scode);
	EV_STR("test", efix_hdr(rsp, SIP_HDR_ALLOW_EVENTS, b, sizeof(b)));
	rsp = mem_deref(rsp);

	EV_ERR(efix_recv(&f, sub_noevent, SIP_TRANSP_UDP, "192.0.2.1:5060"));
	EV_ASSERT(last_is(&f, "400"));
	EV_ERR(efix_recv(&f, sub_nocontact, SIP_TRANSP_UDP, "192.0.2.1:5060"));
	EV_ASSERT(last_is(&f, "400"));

	/* body over max_body */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sreq_init(&r);
	r.callid = "c2";
	r.body = big;
	r.extra = "Content-Type: text/plain\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(413, rsp->scode);
	rsp = mem_deref(rsp);

	/* Accept without the package's type */
	sreq_init(&r);
	r.callid = "c3";
	r.extra = "Accept: application/pidf+xml\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(406, rsp->scode);
	rsp = mem_deref(rsp);
	/* multipart/related is fine only with Supported: eventlist */
	r.callid = "c4";
	r.extra = "Accept: multipart/related\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(406, rsp->scode);
	rsp = mem_deref(rsp);

	/* Expires below the minimum */
	sreq_init(&r);
	r.callid = "c5";
	r.expires = 30;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(423, rsp->scode);
	EV_STR("60", efix_hdr(rsp, SIP_HDR_MIN_EXPIRES, b, sizeof(b)));
	rsp = mem_deref(rsp);
	EV_EQ(0, f.pkg.nsub);

	/* accepted ones: wildcards, eventlist */
	sreq_init(&r);
	r.callid = "c6";
	r.extra = "Accept: text/*, application/pidf+xml\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	(void)pl_strcpy(&rsp->to.tag, tag, sizeof(tag));
	EV_ASSERT(evt_sub_accepts(f.pkg.last, "text/html"));
	EV_ASSERT(evt_sub_accepts(f.pkg.last, "application/pidf+xml"));
	EV_ASSERT(!evt_sub_accepts(f.pkg.last, "application/xml"));
	rsp = mem_deref(rsp);
	r.callid = "c7";
	r.extra = "Accept: multipart/related;type=\"application/rlmi+xml\"\n"
	          "Supported: eventlist\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_ASSERT(evt_sub_supports(f.pkg.last, "eventlist"));
	rsp = mem_deref(rsp);

	/* max_subs (2) reached */
	r.callid = "c8";
	r.extra = NULL;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(503, rsp->scode);
	EV_ASSERT(sip_msg_hdr(rsp, SIP_HDR_RETRY_AFTER));
	rsp = mem_deref(rsp);

	/* RFC 6665 4.1.2.2 / 3261 12.2.2: unknown dialog */
	sreq_init(&r);
	r.callid = "c9";
	r.totag = "nosuchtag";
	r.cseq = 2;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(481, rsp->scode);
	rsp = mem_deref(rsp);

	/* a NOTIFY to impd for a notifier-side dialog (c6's) */
	snprintf(text, sizeof(text), notify_stray, tag);
	EV_ERR(efix_recv(&f, text, SIP_TRANSP_UDP, "192.0.2.1:5060"));
	EV_ASSERT(last_is(&f, "481"));
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

/* sip.lenient (REQUIREMENTS D-02): a SUBSCRIBE without Event is taken as
 * Event: presence; this fixture serves only "test", so that gives 489
 * (not the strict 400) */
TEST(test_evt_lenient_no_event)
{
	struct evt_conf cf = efix_conf;
	struct efix f;
	int err;

	EV_START();
	cf.lenient = true;
	err = efix_init(&f, &cf, false, false, 16);
	if (err)
		goto out;
	EV_ERR(efix_recv(&f, sub_noevent, SIP_TRANSP_UDP, "192.0.2.1:5060"));
	EV_ASSERT(last_is(&f, "489"));
out:
	efix_close(&f);
	return err;
}

TEST(test_evt_expires_bounds)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL;
	char b[64];
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.expires = 100000;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("3600", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_EQ(3600, evt_sub_expires_in(f.pkg.last));
	rsp = mem_deref(rsp);
	/* none: the package's default */
	r.callid = "c2";
	r.expires = -1;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("600", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	efix_advance(&f, 5000);
	EV_EQ(595, evt_sub_expires_in(f.pkg.last));
	EV_EQ(5, evt_sub_duration(f.pkg.last));
out:
	mem_deref(rsp);
	efix_close(&f);
	return err;
}

TEST(test_evt_fetch)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	char b[128];
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	snprintf(f.pkg.state, sizeof(f.pkg.state), "here");
	sreq_init(&r);
	r.expires = 0;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("0", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_ASSERT(f.pkg.last && evt_sub_fetch(f.pkg.last));
	i = efix_notify(&f, 0, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("terminated;reason=timeout",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("here v0 full", efix_body(n, b, sizeof(b)));
	EV_EQ(0, evt_sub_count(f.e, NULL));
	EV_EQ(0, f.pkg.nended);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(1, f.pkg.nended);
	EV_EQ(1, efix_count(&f, "NOTIFY "));
	rsp = mem_deref(rsp);
	n = mem_deref(n);

	/* a pending fetch: no state */
	f.pkg.mode = TP_PENDING;
	r.callid = "c2";
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	i = efix_notify(&f, 3, &n);
	EV_ASSERT(i >= 0 && n);
	EV_PL("c2", &n->callid);
	EV_STR("terminated;reason=timeout",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, n->body.l);
	/* lost: the final NOTIFY is not sent again */
	efix_advance(&f, 40000);
	EV_EQ(2, f.pkg.nended);
	EV_EQ(2, efix_count(&f, "NOTIFY "));
out:
	mem_deref(rsp);
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_refresh)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	char b[128], tag[64];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	EV_ERR(sub_ok(&f, &r, tag, true, NULL));
	efix_advance(&f, 100000);

	/* refresh: 200 with the new time, then the full state */
	r.totag = tag;
	r.cseq = 2;
	r.expires = 1200;
	r.contact = "sip:alice@192.0.2.1:5062";
	before = efix_nrec(&f);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("1200", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_EQ(2, n->cseq.num);
	EV_STR("active;expires=1200",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("s0 v1 full", efix_body(n, b, sizeof(b)));
	/* a target refresh */
	EV_PL("sip:alice@192.0.2.1:5062", &n->ruri);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	rsp = mem_deref(rsp);

	/* an old CSeq: 500 (RFC 3261 12.2.2) */
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(500, rsp->scode);
	rsp = mem_deref(rsp);
	/* another event id: another dialog usage, unknown */
	r.cseq = 3;
	r.event = "test;id=9";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(481, rsp->scode);

	/* the refresh moved the expiry: still there after 600 s */
	efix_advance(&f, 700000);
	EV_EQ(1, evt_sub_count(f.e, NULL));
out:
	mem_deref(rsp);
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_unsubscribe)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	char b[128], tag[64];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	EV_ERR(sub_ok(&f, &r, tag, true, NULL));
	r.totag = tag;
	r.cseq = 2;
	r.expires = 0;
	before = efix_nrec(&f);
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("0", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("terminated;reason=timeout",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_STR("s0 v1 full", efix_body(n, b, sizeof(b)));
	EV_EQ(0, evt_sub_count(f.e, NULL));
	/* the dialog is going: another SUBSCRIBE in it gets 481 */
	rsp = mem_deref(rsp);
	r.cseq = 3;
	r.expires = 600;
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(481, rsp->scode);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(1, f.pkg.nended);
out:
	mem_deref(rsp);
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_expiry)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *n = NULL;
	char b[128];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.expires = 60;
	EV_ERR(sub_ok(&f, &r, NULL, true, NULL));
	before = efix_nrec(&f);
	efix_advance(&f, 59999);
	EV_EQ(before, efix_nrec(&f));
	efix_advance(&f, 1);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("terminated;reason=timeout",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_EQ(0, evt_sub_count(f.e, NULL));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(1, f.pkg.nended);
	EV_ASSERT(!f.pkg.last);
out:
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_notify_481)
{
	struct efix f;
	struct sreq r;
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	EV_ERR(sub_ok(&f, &r, NULL, false, &i));
	EV_ERR(efix_answer(&f, (uint32_t)i, 481, NULL, NULL));
	EV_EQ(1, f.pkg.nended);
	EV_EQ(0, evt_sub_count(f.e, NULL));
	/* over at once: no terminated NOTIFY, nothing later */
	before = efix_nrec(&f);
	evt_notify_resource(f.e, "test", RES, true);
	efix_advance(&f, 700000);
	EV_EQ(1, efix_count(&f, "NOTIFY "));
	EV_EQ(-1, rec_tp_find(f.rt, before, "NOTIFY "));

	/* another 4xx ends it too */
	r.callid = "c2";
	EV_ERR(sub_ok(&f, &r, NULL, false, &i));
	EV_ERR(efix_answer(&f, (uint32_t)i, 489, NULL, NULL));
	EV_EQ(2, f.pkg.nended);
out:
	efix_close(&f);
	return err;
}

/* Times (ms after the first) of the NOTIFYs recorded, and their CSeqs. */
static uint32_t notify_times(struct efix *f, uint64_t *t, uint32_t *cseq,
                             uint32_t max)
{
	uint32_t n = 0;
	int i = 0;

	while (n < max && (i = efix_notify(f, (uint32_t)i, NULL)) >= 0) {
		struct sip_msg *m = NULL;

		t[n] = rec_tp_get(f->rt, (uint32_t)i)->t;
		if (!rec_tp_decode(f->rt, (uint32_t)i, &m))
			cseq[n] = m->cseq.num;
		mem_deref(m);
		n++;
		i++;
	}
	return n;
}

TEST(test_evt_notify_retry)
{
	struct efix f;
	struct sreq r;
	uint64_t t[8];
	uint32_t cs[8], n;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	/* over TCP: no retransmissions, only Timer F (32 s) */
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(sub_ok(&f, &r, NULL, false, NULL));
	efix_advance(&f, 32000); /* timeout 1: again after 1 s */
	efix_advance(&f, 1000);
	efix_advance(&f, 32000); /* timeout 2: after 2 s */
	efix_advance(&f, 2000);
	efix_advance(&f, 32000); /* timeout 3: after 4 s */
	EV_EQ(1, evt_sub_count(f.e, NULL));
	efix_advance(&f, 4000);
	EV_EQ(0, f.pkg.nended);
	efix_advance(&f, 32000); /* timeout 4: gave up */
	EV_EQ(1, f.pkg.nended);
	EV_EQ(0, evt_sub_count(f.e, NULL));
	n = notify_times(&f, t, cs, 8);
	EV_EQ(4, n);
	EV_EQ(33000, t[1] - t[0]);
	EV_EQ(34000, t[2] - t[1]);
	EV_EQ(36000, t[3] - t[2]);
	for (uint32_t k = 0; k < n; k++)
		EV_EQ(k + 1, cs[k]);
	/* every retry carries the full state */
	EV_EQ(4, f.pkg.nfull);

	/* a 503 is retried too; a success resets the count */
	rec_tp_clear(f.rt);
	sreq_init(&r);
	r.callid = "c2";
	EV_ERR(sub_ok(&f, &r, NULL, false, &i));
	EV_ERR(efix_answer(&f, (uint32_t)i, 503, NULL, NULL));
	EV_EQ(-1, efix_notify(&f, (uint32_t)i + 1, NULL));
	efix_advance(&f, 999);
	EV_EQ(-1, efix_notify(&f, (uint32_t)i + 1, NULL));
	efix_advance(&f, 1);
	i = efix_notify(&f, (uint32_t)i + 1, NULL);
	EV_ASSERT(i >= 0);
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	EV_EQ(1, evt_sub_count(f.e, NULL));
out:
	efix_close(&f);
	return err;
}

TEST(test_evt_send_failure)
{
	struct efix f;
	struct sreq r;
	uint32_t before;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(sub_ok(&f, &r, NULL, true, NULL));
	/* the transport refuses: retried after 1 s */
	rec_tp_fail_next(f.rt, ECONNREFUSED, 1);
	before = efix_nrec(&f);
	evt_notify_resource(f.e, "test", RES, false);
	efix_advance(&f, 500);
	EV_EQ(before, efix_nrec(&f));
	efix_advance(&f, 1000);
	EV_ASSERT(efix_notify(&f, before, NULL) >= 0);
	EV_EQ(1, evt_sub_count(f.e, NULL));
out:
	efix_close(&f);
	return err;
}

TEST(test_evt_coalesce)
{
	struct efix f;
	struct sreq r;
	struct sip_msg *n = NULL;
	char b[64];
	uint32_t before;
	int i, err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	EV_ERR(sub_ok(&f, &r, NULL, true, NULL));
	before = efix_nrec(&f);
	/* ten changes within 100 ms */
	for (int k = 1; k <= 10; k++) {
		snprintf(f.pkg.state, sizeof(f.pkg.state), "s%d", k);
		evt_notify_resource(f.e, "test", RES, false);
		efix_advance(&f, 10);
	}
	EV_EQ(before, efix_nrec(&f));
	efix_advance(&f, 400); /* 500 ms after the first NOTIFY */
	EV_EQ(before + 1, efix_nrec(&f));
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_STR("s10 v1 partial", efix_body(n, b, sizeof(b)));
	/* one outstanding at a time: a change now waits for the answer */
	evt_notify_resource(f.e, "test", RES, false);
	efix_advance(&f, 2000);
	EV_EQ(2, efix_count(&f, "NOTIFY "));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));
	n = mem_deref(n);
	i = efix_notify(&f, (uint32_t)i + 1, &n);
	EV_ASSERT(i >= 0 && n);
	EV_EQ(3, n->cseq.num);
out:
	mem_deref(n);
	efix_close(&f);
	return err;
}

TEST(test_evt_throttle)
{
	struct efix f;
	struct sreq r;
	uint32_t before;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 64);
	if (err)
		goto out;
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	r.event = "test;throttle=10";
	EV_ERR(sub_ok(&f, &r, NULL, true, NULL));
	before = efix_nrec(&f);
	evt_notify_resource(f.e, "test", RES, false);
	efix_advance(&f, 9999);
	EV_EQ(before, efix_nrec(&f));
	efix_advance(&f, 1);
	EV_ASSERT(efix_notify(&f, before, NULL) >= 0);
	EV_EQ(before + 1, efix_nrec(&f));
out:
	efix_close(&f);
	return err;
}

/* Heavy load (1000 subscriptions, thousands of messages): an --oom
 * replay would repeat it once per allocation; the load logic has no
 * allocation paths of its own that the other tests do not cover. */
TEST_NO_OOM(test_evt_inflight_cap)
{
	struct efix f;
	struct sreq r;
	char cid[32];
	uint32_t n0, n1, n2;
	int err;

	EV_START();
	err = efix_init(&f, NULL, false, false, 8000);
	if (err)
		goto out;
	sreq_init(&r);
	r.tp = SIP_TRANSP_TCP;
	r.callid = cid;
	for (int k = 0; k < 1000; k++) {
		snprintf(cid, sizeof(cid), "c%d", k);
		EV_ERR(efix_subscribe(&f, &r, NULL));
	}
	EV_EQ(1000, evt_sub_count(f.e, "test"));
	EV_EQ(1000, efix_count(&f, "SIP/2.0 200"));
	/* first NOTIFYs: 512 in flight, the rest waits */
	EV_EQ(512, efix_count(&f, "NOTIFY "));
	EV_EQ(512, sip_tsxl_count(f.tl, false));
	n0 = efix_answer_all(&f, 0, 200);
	EV_EQ(512, n0);
	EV_EQ(1000, efix_count(&f, "NOTIFY "));
	EV_EQ(488, sip_tsxl_count(f.tl, false));
	efix_answer_all(&f, 0, 200);
	EV_EQ(0, sip_tsxl_count(f.tl, false));

	/* one change for all: still no more than 512 at once */
	rec_tp_clear(f.rt);
	snprintf(f.pkg.state, sizeof(f.pkg.state), "busy");
	evt_notify_resource(f.e, "test", RES, false);
	efix_advance(&f, 500);
	EV_EQ(512, efix_count(&f, "NOTIFY "));
	/* a later change for the waiting ones joins their pending NOTIFY */
	snprintf(f.pkg.state, sizeof(f.pkg.state), "away");
	evt_notify_resource(f.e, "test", RES, false);
	n1 = efix_answer_all(&f, 0, 200);
	EV_EQ(512, n1);
	n2 = efix_count(&f, "NOTIFY ");
	EV_EQ(1000, n2);
	{
		struct sip_msg *m = NULL;
		char b[64];
		int i = efix_notify(&f, (uint32_t)efix_nrec(&f) - 1, &m);

		EV_ASSERT(i >= 0 && m);
		EV_STR("away v1 partial", efix_body(m, b, sizeof(b)));
		mem_deref(m);
	}
out:
	efix_close(&f);
	return err;
}
