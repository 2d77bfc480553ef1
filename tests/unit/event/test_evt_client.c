/* tests/unit/event/test_evt_client.c - impd as a subscriber (RFC 6665 4.1) */
#include <stdio.h>
#include <string.h>

#include "evt_test.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"

struct crec {
	uint32_t calls;
	enum evt_state state;
	enum evt_reason reason;
	uint32_t retry_after;
	uint16_t scode;
	bool with_notify;
	char body[64];
	bool release; /* drop the csub when it is over */
	struct evt_csub **csp;
};

static void csub_h(struct evt_csub *cs, enum evt_state state,
                   enum evt_reason reason, uint32_t retry_after_s,
                   const struct sip_msg *notify, uint16_t scode, void *arg)
{
	struct crec *c = arg;

	(void)cs;
	c->calls++;
	c->state = state;
	c->reason = reason;
	c->retry_after = retry_after_s;
	c->scode = scode;
	c->with_notify = notify != NULL;
	c->body[0] = '\0';
	if (notify)
		snprintf(c->body, sizeof(c->body), "%.*s",
		         PL_PRINT(&notify->body));
	if (state == EVT_TERMINATED && c->release && c->csp)
		*c->csp = mem_deref(*c->csp);
}

struct cfix {
	struct efix f;
	struct sip_dst dst;
	struct evt_csub *cs;
	struct crec c;
	char callid[64];
	char ltag[32];
	uint32_t ncseq; /* next NOTIFY CSeq */
	uint32_t nbranch;
};

static int cfix_start(struct cfix *x, uint32_t expires)
{
	struct evt_csub_params p;
	struct sip_msg *m = NULL;
	int err;

	memset(&p, 0, sizeof(p));
	p.pkg = "test";
	p.ruri = "sip:carol@192.0.2.5";
	p.from = "sip:impd@example.com";
	p.dst = &x->dst;
	p.expires = expires;
	p.accept = "text/plain";
	p.extra_hdrs = "Supported: eventlist\r\n";
	x->c.csp = &x->cs;
	x->ncseq = 1;
	err = evt_csub_alloc(&x->cs, x->f.e, &p, csub_h, &x->c);
	if (err)
		return err;
	err = rec_tp_decode(x->f.rt, 0, &m);
	if (err)
		return err;
	(void)pl_strcpy(&m->callid, x->callid, sizeof(x->callid));
	(void)pl_strcpy(&m->from.tag, x->ltag, sizeof(x->ltag));
	mem_deref(m);
	return 0;
}

static int cfix_init(struct cfix *x)
{
	int err;

	memset(x, 0, sizeof(*x));
	err = efix_init(&x->f, NULL, false, false, 64);
	if (err)
		return err;
	x->dst.tp = SIP_TRANSP_UDP;
	return sa_set_str(&x->dst.addr, "192.0.2.5", 5060);
}

static void cfix_close(struct cfix *x)
{
	x->cs = mem_deref(x->cs);
	efix_close(&x->f);
}

/* A NOTIFY from the notifier (From tag ftag). */
static int notify_in(struct cfix *x, const char *ftag, const char *state,
                     const char *body)
{
	char text[2048];

	snprintf(text, sizeof(text),
	         "NOTIFY sip:127.0.0.1:5060 SIP/2.0\n"
	         "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKn%u\n"
	         "Max-Forwards: 70\n"
	         "From: <sip:carol@192.0.2.5>;tag=%s\n"
	         "To: <sip:impd@example.com>;tag=%s\n"
	         "Call-ID: %s\n"
	         "CSeq: %u NOTIFY\n"
	         "Contact: <sip:carol@192.0.2.5:5070>\n"
	         "Event: test\n"
	         "Subscription-State: %s\n"
	         "Content-Type: text/plain\n"
	         "Content-Length: %zu\n"
	         "\n%s",
	         ++x->nbranch, ftag, x->ltag, x->callid, x->ncseq, state,
	         strlen(body), body);
	x->ncseq++;
	return efix_recv(&x->f, text, SIP_TRANSP_UDP, "192.0.2.5:5060");
}

static bool last_is(struct cfix *x, const char *prefix)
{
	struct pl pl = rec_tp_pl(x->f.rt, efix_nrec(&x->f) - 1);

	return pl.l > strlen(prefix) && !memcmp(pl.p, prefix, strlen(prefix));
}

TEST(test_csub_basic)
{
	struct cfix x;
	struct sip_msg *m = NULL;
	char b[128];
	uint32_t before;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	EV_ERR(cfix_start(&x, 600));
	EV_EQ(EVT_INIT, evt_csub_state(x.cs));
	EV_ERR(rec_tp_decode(x.f.rt, 0, &m));
	EV_ASSERT(sip_msg_is(m, "SUBSCRIBE"));
	EV_PL("sip:carol@192.0.2.5", &m->ruri);
	EV_PL("sip:carol@192.0.2.5", &m->to.auri);
	EV_ASSERT(!pl_isset(&m->to.tag));
	EV_PL("sip:impd@example.com", &m->from.auri);
	EV_ASSERT(pl_isset(&m->from.tag));
	EV_EQ(1, m->cseq.num);
	EV_STR("test", efix_hdr(m, SIP_HDR_EVENT, b, sizeof(b)));
	EV_STR("600", efix_hdr(m, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_STR("text/plain", efix_hdr(m, SIP_HDR_ACCEPT, b, sizeof(b)));
	EV_STR("eventlist", efix_hdr(m, SIP_HDR_SUPPORTED, b, sizeof(b)));
	EV_STR("<sip:127.0.0.1:5060>",
	       efix_hdr(m, SIP_HDR_CONTACT, b, sizeof(b)));
	m = mem_deref(m);

	EV_ERR(efix_answer(&x.f, 0, 200, "n1",
	                   "Expires: 600\r\n"
	                   "Contact: <sip:carol@192.0.2.5:5070>\r\n"));
	EV_EQ(0, x.c.calls);
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "hello"));
	EV_ASSERT(last_is(&x, "SIP/2.0 200"));
	EV_EQ(1, x.c.calls);
	EV_EQ(EVT_ACTIVE, x.c.state);
	EV_ASSERT(x.c.with_notify);
	EV_STR("hello", x.c.body);
	EV_EQ(EVT_ACTIVE, evt_csub_state(x.cs));

	/* refresh at 90% of 600 s, inside the dialog */
	before = efix_nrec(&x.f);
	efix_advance(&x.f, 539999);
	EV_EQ(before, efix_nrec(&x.f));
	efix_advance(&x.f, 1);
	EV_EQ(before + 1, efix_nrec(&x.f));
	EV_ERR(rec_tp_decode(x.f.rt, before, &m));
	EV_ASSERT(sip_msg_is(m, "SUBSCRIBE"));
	EV_PL("sip:carol@192.0.2.5:5070", &m->ruri);
	EV_PL("n1", &m->to.tag);
	EV_EQ(2, m->cseq.num);
	EV_PL(x.callid, &m->callid);
	(void)sa_print(&rec_tp_get(x.f.rt, before)->dst.addr, b, sizeof(b));
	EV_STR("192.0.2.5:5070", b);
	m = mem_deref(m);
	/* a shorter grant: the next refresh comes sooner */
	EV_ERR(efix_answer(&x.f, before, 200, NULL, "Expires: 300\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=300", "hello"));
	before = efix_nrec(&x.f);
	efix_advance(&x.f, 270000);
	EV_EQ(before + 1, efix_nrec(&x.f));
	EV_ERR(efix_answer(&x.f, before, 200, NULL, "Expires: 300\r\n"));

	/* the end: Expires: 0, then the final NOTIFY */
	before = efix_nrec(&x.f);
	EV_ERR(evt_csub_end(x.cs));
	EV_ERR(rec_tp_decode(x.f.rt, before, &m));
	EV_STR("0", efix_hdr(m, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_EQ(4, m->cseq.num);
	m = mem_deref(m);
	EV_ERR(efix_answer(&x.f, before, 200, NULL, "Expires: 0\r\n"));
	EV_EQ(2, x.c.calls);
	EV_ERR(notify_in(&x, "n1", "terminated;reason=timeout", ""));
	EV_EQ(3, x.c.calls);
	EV_EQ(EVT_TERMINATED, x.c.state);
	EV_EQ(EVT_REASON_TIMEOUT, x.c.reason);
	EV_ASSERT(x.c.with_notify);
	EV_EQ(EVT_TERMINATED, evt_csub_state(x.cs));
	/* over: another NOTIFY is unknown */
	EV_ERR(notify_in(&x, "n1", "active", "again"));
	EV_ASSERT(last_is(&x, "SIP/2.0 481"));
	/* and releasing it sends nothing */
	before = efix_nrec(&x.f);
	x.cs = mem_deref(x.cs);
	EV_EQ(before, efix_nrec(&x.f));
out:
	mem_deref(m);
	cfix_close(&x);
	return err;
}

TEST(test_csub_notify_before_200)
{
	struct cfix x;
	struct sip_msg *m = NULL;
	uint32_t before;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	EV_ERR(cfix_start(&x, 600));
	/* the NOTIFY overtakes the 200 */
	EV_ERR(notify_in(&x, "n1", "pending;expires=600", ""));
	EV_ASSERT(last_is(&x, "SIP/2.0 200"));
	EV_EQ(1, x.c.calls);
	EV_EQ(EVT_PENDING, x.c.state);
	/* another fork's NOTIFY: 481 */
	EV_ERR(notify_in(&x, "n2", "active;expires=600", "x"));
	EV_ASSERT(last_is(&x, "SIP/2.0 481"));
	EV_EQ(1, x.c.calls);
	/* an old CSeq: 500 */
	x.ncseq = 1;
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "x"));
	EV_ASSERT(last_is(&x, "SIP/2.0 500"));
	x.ncseq = 3;
	EV_ERR(efix_answer(&x.f, 0, 200, "n1", "Expires: 1000\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=1000", "y"));
	EV_EQ(2, x.c.calls);
	EV_EQ(EVT_ACTIVE, x.c.state);
	/* refreshed at 900 s, to the Contact the NOTIFY gave */
	before = efix_nrec(&x.f);
	efix_advance(&x.f, 900000);
	EV_EQ(before + 1, efix_nrec(&x.f));
	EV_ERR(rec_tp_decode(x.f.rt, before, &m));
	EV_PL("sip:carol@192.0.2.5:5070", &m->ruri);
	EV_PL("n1", &m->to.tag);
out:
	mem_deref(m);
	cfix_close(&x);
	return err;
}

TEST(test_csub_423)
{
	struct cfix x;
	struct sip_msg *m = NULL;
	char b[32];
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	EV_ERR(cfix_start(&x, 60));
	EV_ERR(efix_answer(&x.f, 0, 423, NULL, "Min-Expires: 1800\r\n"));
	EV_ASSERT(efix_nrec(&x.f) >= 2);
	EV_ERR(rec_tp_decode(x.f.rt, efix_nrec(&x.f) - 1, &m));
	EV_ASSERT(sip_msg_is(m, "SUBSCRIBE"));
	EV_STR("1800", efix_hdr(m, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_EQ(2, m->cseq.num);
	EV_PL(x.callid, &m->callid);
	EV_ASSERT(!pl_isset(&m->to.tag));
	EV_EQ(0, x.c.calls);
	/* once only */
	EV_ERR(efix_answer(&x.f, efix_nrec(&x.f) - 1, 423, NULL,
	                   "Min-Expires: 3600\r\n"));
	EV_EQ(1, x.c.calls);
	EV_EQ(EVT_TERMINATED, x.c.state);
	EV_EQ(423, x.c.scode);
	EV_ASSERT(!x.c.with_notify);
out:
	mem_deref(m);
	cfix_close(&x);
	return err;
}

TEST(test_csub_failures)
{
	struct cfix x;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	/* refused */
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 404, NULL, NULL));
	EV_EQ(1, x.c.calls);
	EV_EQ(404, x.c.scode);
	EV_EQ(EVT_TERMINATED, x.c.state);
	x.cs = mem_deref(x.cs);

	/* no answer at all: 408 */
	rec_tp_clear(x.f.rt);
	memset(&x.c, 0, sizeof(x.c));
	x.c.release = true; /* the handler lets it go */
	EV_ERR(cfix_start(&x, 600));
	efix_advance(&x.f, 32000);
	EV_EQ(1, x.c.calls);
	EV_EQ(408, x.c.scode);
	EV_ASSERT(!x.cs);

	/* 200 but never a NOTIFY (RFC 6665 4.1.2.4) */
	rec_tp_clear(x.f.rt);
	memset(&x.c, 0, sizeof(x.c));
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 200, "n1", "Expires: 600\r\n"));
	efix_advance(&x.f, 31999);
	EV_EQ(0, x.c.calls);
	efix_advance(&x.f, 1);
	EV_EQ(1, x.c.calls);
	EV_EQ(408, x.c.scode);
	x.cs = mem_deref(x.cs);

	/* the notifier ends it */
	rec_tp_clear(x.f.rt);
	memset(&x.c, 0, sizeof(x.c));
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 200, "n1", "Expires: 600\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "a"));
	EV_ERR(notify_in(&x, "n1",
	                 "terminated;reason=deactivated;retry-after=20", ""));
	EV_EQ(2, x.c.calls);
	EV_EQ(EVT_TERMINATED, x.c.state);
	EV_EQ(EVT_REASON_DEACTIVATED, x.c.reason);
	EV_EQ(20, x.c.retry_after);
	/* a NOTIFY without Subscription-State: 400 (tested on a live one
	 * below) */
	x.cs = mem_deref(x.cs);
out:
	cfix_close(&x);
	return err;
}

TEST(test_csub_refresh_failure)
{
	struct cfix x;
	uint32_t before;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 200, "n1", "Expires: 600\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "a"));
	before = efix_nrec(&x.f);
	efix_advance(&x.f, 540000);
	EV_EQ(before + 1, efix_nrec(&x.f));
	/* a 500: still valid until the end of the last grant */
	EV_ERR(efix_answer(&x.f, before, 500, NULL, NULL));
	EV_EQ(1, x.c.calls);
	efix_advance(&x.f, 59999);
	EV_EQ(1, x.c.calls);
	efix_advance(&x.f, 1);
	EV_EQ(2, x.c.calls);
	EV_EQ(EVT_TERMINATED, x.c.state);
	EV_EQ(408, x.c.scode);
	x.cs = mem_deref(x.cs);

	/* a 481 ends it at once */
	rec_tp_clear(x.f.rt);
	memset(&x.c, 0, sizeof(x.c));
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 200, "n1", "Expires: 600\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "a"));
	/* a bad NOTIFY changes nothing */
	{
		char text[512];

		snprintf(text, sizeof(text),
		         "NOTIFY sip:127.0.0.1:5060 SIP/2.0\n"
		         "Via: SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKbad\n"
		         "From: <sip:carol@192.0.2.5>;tag=n1\n"
		         "To: <sip:impd@example.com>;tag=%s\n"
		         "Call-ID: %s\n"
		         "CSeq: 10 NOTIFY\n"
		         "Event: test\n"
		         "Content-Length: 0\n"
		         "\n",
		         x.ltag, x.callid);
		EV_ERR(efix_recv(&x.f, text, SIP_TRANSP_UDP, "192.0.2.5:5060"));
		EV_ASSERT(last_is(&x, "SIP/2.0 400"));
		EV_EQ(1, x.c.calls);
	}
	before = efix_nrec(&x.f);
	efix_advance(&x.f, 540000);
	EV_ERR(efix_answer(&x.f, before, 481, NULL, NULL));
	EV_EQ(2, x.c.calls);
	EV_EQ(481, x.c.scode);
out:
	cfix_close(&x);
	return err;
}

TEST(test_csub_release)
{
	struct cfix x;
	struct sip_msg *m = NULL;
	const struct sip_hdr *h;
	char b[64];
	uint32_t before;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	EV_ERR(cfix_start(&x, 600));
	EV_ERR(efix_answer(&x.f, 0, 200, "n1",
	                   "Expires: 600\r\n"
	                   "Record-Route: <sip:192.0.2.20;lr>\r\n"
	                   "Record-Route: <sip:192.0.2.21:5080;lr>\r\n"));
	EV_ERR(notify_in(&x, "n1", "active;expires=600", "a"));
	before = efix_nrec(&x.f);
	x.cs = mem_deref(x.cs);
	/* RFC 6665 4.1.2.3: unsubscribed on the way out */
	EV_EQ(before + 1, efix_nrec(&x.f));
	EV_ERR(rec_tp_decode(x.f.rt, before, &m));
	EV_ASSERT(sip_msg_is(m, "SUBSCRIBE"));
	EV_STR("0", efix_hdr(m, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_PL("n1", &m->to.tag);
	/* RFC 3261 12.1.2: the route set is the Record-Route reversed */
	h = sip_msg_hdr(m, SIP_HDR_ROUTE);
	EV_ASSERT(h);
	EV_PL("<sip:192.0.2.21:5080;lr>", &h->val);
	h = sip_msg_hdr_next(m, h);
	EV_ASSERT(h);
	EV_PL("<sip:192.0.2.20;lr>", &h->val);
	(void)sa_print(&rec_tp_get(x.f.rt, before)->dst.addr, b, sizeof(b));
	EV_STR("192.0.2.21:5080", b);
	EV_EQ(1, x.c.calls); /* nobody is told */
	/* its final NOTIFY finds nothing */
	EV_ERR(notify_in(&x, "n1", "terminated;reason=timeout", ""));
	EV_ASSERT(last_is(&x, "SIP/2.0 481"));
out:
	mem_deref(m);
	cfix_close(&x);
	return err;
}

/* Feed everything recorded from *pos on back into the transaction layer
 * (impd talks to itself); until nothing new comes. */
static void loopback(struct efix *f, uint32_t *pos)
{
	while (*pos < efix_nrec(f)) {
		struct pl pl = rec_tp_pl(f->rt, *pos);
		char *text = NULL;

		(*pos)++;
		if (!pl.l || pl_strdup(&text, &pl))
			continue;
		(void)efix_recv(f, text, SIP_TRANSP_UDP, "127.0.0.1:5060");
		mem_deref(text);
	}
}

TEST(test_csub_loopback)
{
	struct cfix x;
	struct evt_csub_params p;
	uint32_t pos = 0;
	int err;

	EV_START();
	err = cfix_init(&x);
	if (err)
		goto out;
	/* impd subscribes to bob on itself: client and notifier meet */
	(void)sa_set_str(&x.dst.addr, "127.0.0.1", 5060);
	snprintf(x.f.pkg.state, sizeof(x.f.pkg.state), "online");
	memset(&p, 0, sizeof(p));
	p.pkg = "test";
	p.ruri = "sip:bob@example.com";
	p.from = "sip:rls@example.com";
	p.dst = &x.dst;
	p.expires = 600;
	EV_ERR(evt_csub_alloc(&x.cs, x.f.e, &p, csub_h, &x.c));
	loopback(&x.f, &pos);
	EV_EQ(1, x.f.pkg.nsub);
	EV_EQ(1, x.c.calls);
	EV_EQ(EVT_ACTIVE, x.c.state);
	EV_STR("online v0 full", x.c.body);
	EV_EQ(EVT_ACTIVE, evt_csub_state(x.cs));

	snprintf(x.f.pkg.state, sizeof(x.f.pkg.state), "away");
	evt_notify_resource(x.f.e, "test", "bob@example.com", false);
	efix_advance(&x.f, 500);
	loopback(&x.f, &pos);
	EV_EQ(2, x.c.calls);
	EV_STR("away v1 partial", x.c.body);

	EV_ERR(evt_csub_end(x.cs));
	loopback(&x.f, &pos);
	EV_EQ(3, x.c.calls);
	EV_EQ(EVT_TERMINATED, x.c.state);
	EV_EQ(EVT_REASON_TIMEOUT, x.c.reason);
	EV_EQ(1, x.f.pkg.nended);
out:
	cfix_close(&x);
	return err;
}
