/* tests/unit/im/test_im_defer.c - deferred delivery (one at a time, in
 * order, CPIM-wrapped, deleted after a 2xx, retried, expired), the IMDNs
 * impd sends (RFC 5438) and message-summary counts (RFC 3842) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/tmr.h"
#include "im/cpim.h"
#include "im/imdn.h"
#include "im/mwi.h"
#include "im_fix.h"
#include "sip/rec_tp.h"
#include "store/store.h"

/* bob offline; alice has a device for the IMDNs */
static const struct pt_binding alice_only[] = {
    {"alice@example.com", "sip:alice@" IMF_ALICE_UA, "udp:" IMF_ALICE_UA, 0,
     NULL},
};

static const char odd_body[] = "h\xc3\xa9llo\nsecond line\r\x00 tail \r\n";
#define ODD_LEN (sizeof(odd_body) - 1)
#define ODD_CT  "text/plain;charset=UTF-8"

/* The three messages alice leaves for bob. */
static const struct {
	const char *ctype, *body;
	size_t len;
} three[] = {
    {"text/plain", "first", 5},
    {ODD_CT, odd_body, ODD_LEN},
    {"text/html", "<p>third</p>", 12},
};

static int send_three(struct imfix *f)
{
	struct imf_req r;
	unsigned id;
	int err = 0;

	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.name = "Alice";
	r.ruri = IMF_BOB;
	r.auth = true;
	for (size_t i = 0; i < 3 && !err; i++) {
		r.ctype = three[i].ctype;
		r.body = three[i].body;
		r.len = three[i].len;
		err = imf_send(f, &r, &id);
		if (!err && imf_status(f, id) != 202)
			err = EPROTO;
		/* one fake second apart: distinct DateTimes */
		imf_advance(f, 1000);
	}
	return err;
}

/* The deferred MESSAGE at record idx carries stored message m wrapped
 * in CPIM with inner content (ctype, body, len). */
static bool wrapped_ok(const struct imfix *f, int idx, const struct imf_m *m,
                       const char *ctype, const char *body, size_t len)
{
	struct sip_msg *msg = NULL;
	struct cpim c;
	struct pl name, uri;
	const struct pl *v;
	const char *why;
	char dt[40], b[128];
	bool ok = false;

	if (imf_decode(f, idx, &msg))
		return false;
	if (pl_strcmp(&msg->ruri, "sip:bob@" IMF_BOB_UA3) ||
	    pl_strcmp(&msg->from.auri, IMF_ALICE) ||
	    pl_strcmp(&msg->from.dname, "Alice") || !pl_isset(&msg->from.tag) ||
	    pl_strcmp(&msg->to.auri, IMF_BOB) ||
	    pl_strcmp(&msg->ctype, "message/cpim") ||
	    strcmp("<sip:alice@example.com>",
	           imf_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY, b, sizeof(b))))
		goto out;
	if (cpim_parse(&c, msg->body.p, msg->body.l, &why) ||
	    cpim_datetime_print(dt, sizeof(dt), m->received_ms))
		goto out;
	v = cpim_field(&c, NULL, "From");
	if (!v || cpim_addr(v, &name, &uri) || pl_strcmp(&uri, IMF_ALICE) ||
	    (pl_strcmp(&name, "Alice") && pl_strcmp(&name, "\"Alice\"")))
		goto out;
	v = cpim_field(&c, NULL, "To");
	if (!v || cpim_addr(v, NULL, &uri) || pl_strcmp(&uri, IMF_BOB))
		goto out;
	v = cpim_field(&c, NULL, "DateTime");
	if (!v || pl_strcmp(v, dt))
		goto out;
	ok = !pl_strcmp(&c.ctype, ctype) && imf_pl_eq(&c.body, body, len);
out:
	mem_deref(msg);
	return ok;
}

/* Three waiting messages, bob registers: one MESSAGE at a time, in
 * order, each deleted only after its 200. */
TEST(test_im_defer_drain_in_order)
{
	struct imfix f;
	struct imf_msgs ms, all;
	struct im_stats s;
	uint16_t scode;
	uint32_t mark;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(send_three(&f));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &all));
	PFX_EQ(3, all.n);
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", NULL));
	im_stats_get(f.im, &s);
	PFX_EQ(3, s.waiting);

	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", NULL));
	for (uint32_t k = 0; k < 3; k++) {
		i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, k);
		PFX_ASSERT(i >= 0);
		PFX_ASSERT(wrapped_ok(&f, i, &all.m[k], three[k].ctype,
		                      three[k].body, three[k].len));
		/* still stored until the device says 200 */
		PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
		PFX_EQ(3 - k, ms.n);
		PFX_EQ(all.m[k].id, ms.m[0].id);
		mark = imf_nrec(&f);
		PFX_ERR(imf_answer(&f, i, 200));
		PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
		PFX_EQ(2 - k, ms.n);
		/* then (only then) the next one */
		PFX_EQ(k < 2 ? 1 : 0, imf_count(&f, mark, "MESSAGE", NULL));
	}
	PFX_EQ(3, imf_count(&f, 0, "MESSAGE", NULL));
	im_stats_get(f.im, &s);
	PFX_EQ(3, s.delivered_later);
	PFX_EQ(0, s.waiting);
out:
	imf_close(&f);
	return err;
}

/* 480 stops the drain (all stay stored) until retry_s later; a 415
 * drops that one message and the drain goes on. */
TEST(test_im_defer_retry_and_drop)
{
	struct imfix f;
	struct sip_msg *plain = NULL;
	struct imf_msgs ms, all;
	uint16_t scode;
	uint32_t mark;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(send_three(&f));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &all));
	PFX_EQ(3, all.n);
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(wrapped_ok(&f, i, &all.m[0], "text/plain", "first", 5));

	/* the device is busy elsewhere: nothing more for now */
	mark = imf_nrec(&f);
	PFX_ERR(imf_answer(&f, i, 480));
	PFX_EQ(0, imf_count(&f, mark, "MESSAGE", NULL));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(3, ms.n);
	imf_advance(&f, 59000);
	PFX_EQ(0, imf_count(&f, mark, "MESSAGE", NULL));
	/* retry_s after the failure: the first one again */
	imf_clear(&f);
	imf_advance(&f, 1500);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", IMF_BOB_UA3));
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(wrapped_ok(&f, i, &all.m[0], "text/plain", "first", 5));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(2, ms.n);

	/* the second: the device refuses CPIM (415), gets it once more
	 * unwrapped, refuses that too: dropped, the third follows */
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 1);
	PFX_ASSERT(wrapped_ok(&f, i, &all.m[1], ODD_CT, odd_body, ODD_LEN));
	mark = imf_nrec(&f);
	PFX_ERR(imf_answer(&f, i, 415));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(2, ms.n);
	PFX_EQ(1, imf_count(&f, mark, "MESSAGE", NULL));
	i = imf_find(&f, mark, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_decode(&f, i, &plain));
	PFX_ASSERT(!pl_strcmp(&plain->ctype, ODD_CT));
	PFX_ASSERT(imf_pl_eq(&plain->body, odd_body, ODD_LEN));
	plain = mem_deref(plain);
	mark = imf_nrec(&f);
	PFX_ERR(imf_answer(&f, i, 415));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(1, ms.n);
	PFX_EQ(all.m[2].id, ms.m[0].id);
	PFX_EQ(1, imf_count(&f, mark, "MESSAGE", NULL));
	i = imf_find(&f, mark, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(
	    wrapped_ok(&f, i, &all.m[2], "text/html", "<p>third</p>", 12));
	/* nobody asked for IMDNs: nothing goes to alice */
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", IMF_ALICE_UA));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
out:
	mem_deref(plain);
	imf_close(&f);
	return err;
}

/* A restart: messages in the store and bob bound when the service
 * starts: delivered after the start-up tick. */
TEST(test_im_defer_startup)
{
	static const struct pt_binding b[] = {
	    {"bob@example.com", "sip:bob@" IMF_BOB_UA3, "udp:" IMF_BOB_UA3, 0,
	     NULL},
	};
	struct imfix f;
	struct store_msg m;
	struct imf_msgs all, ms;
	struct im_stats s;
	int i, err;

	PFX_START();
	err = imf_init_store(&f, b, 1, true);
	memset(&m, 0, sizeof(m));
	m.owner = "bob@example.com";
	m.sender = IMF_ALICE;
	m.sender_name = "Alice";
	m.sender_auth = true;
	m.recipient = IMF_BOB;
	m.received_ms = tmrl_wallclock(f.p.tmrl) * 1000 - 5000;
	m.expires = tmrl_wallclock(f.p.tmrl) + 3600;
	m.ctype = "text/plain";
	m.imdn_id = "";
	for (int k = 0; k < 2 && !err; k++) {
		m.body = k ? "second" : "first";
		m.len = strlen(m.body);
		err = store_msg_put_sync(f.p.st, &m, 0, 0, NULL);
	}
	if (!err)
		err = imf_start(&f, NULL);
	if (err)
		goto out;
	im_stats_get(f.im, &s);
	PFX_EQ(2, s.waiting);
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", NULL));
	imf_advance(&f, 1000);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", NULL));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &all));
	PFX_EQ(2, all.n);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(wrapped_ok(&f, i, &all.m[0], "text/plain", "first", 5));
	PFX_ERR(imf_answer(&f, i, 200));
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 1);
	PFX_ASSERT(wrapped_ok(&f, i, &all.m[1], "text/plain", "second", 6));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
	PFX_EQ(2, imf_count(&f, 0, "MESSAGE", NULL));
out:
	imf_close(&f);
	return err;
}

/* A CPIM body asking for IMDNs (RFC 5438 6). */
static int cpim_body(char *buf, size_t size, const char *id, const char *disp,
                     const char *text)
{
	int n = snprintf(buf, size,
	                 "From: <sip:alice@example.com>\r\n"
	                 "To: <sip:bob@example.com>\r\n"
	                 "DateTime: 2026-01-02T03:04:05.678Z\r\n"
	                 "NS: imdn <urn:ietf:params:imdn>\r\n"
	                 "imdn.Message-ID: %s\r\n"
	                 "imdn.Disposition-Notification: %s\r\n"
	                 "\r\n"
	                 "Content-Type: text/plain\r\n"
	                 "\r\n"
	                 "%s",
	                 id, disp, text);

	return n > 0 && (size_t)n < size ? 0 : ERANGE;
}

/* The IMDN MESSAGE at record idx: impd tells alice about bob's copy of
 * message id. status: "stored" or "failed"; dt: the <datetime> expected
 * (NULL: any). */
static bool imdn_ok(const struct imfix *f, int idx, const char *id,
                    enum imdn_status status, const char *dt)
{
	struct sip_msg *msg = NULL;
	struct imdn d;
	struct cpim c;
	struct pl uri;
	const struct pl *v;
	const char *why;
	char e[128];
	bool ok = false;

	memset(&d, 0, sizeof(d));
	if (imf_decode(f, idx, &msg))
		return false;
	if (pl_strcmp(&msg->ruri, "sip:alice@" IMF_ALICE_UA) ||
	    pl_strcmp(&msg->from.auri, IMF_BOB) ||
	    pl_strcmp(&msg->to.auri, IMF_ALICE) ||
	    pl_strcmp(&msg->ctype, "message/cpim") ||
	    cpim_parse(&c, msg->body.p, msg->body.l, &why))
		goto out;
	v = cpim_field(&c, NULL, "From");
	if (!v || cpim_addr(v, NULL, &uri) || pl_strcmp(&uri, IMF_BOB))
		goto out;
	v = cpim_field(&c, NULL, "To");
	if (!v || cpim_addr(v, NULL, &uri) || pl_strcmp(&uri, IMF_ALICE))
		goto out;
	/* a new message id of its own, and a DateTime */
	v = cpim_field(&c, IMDN_NS_URI, "Message-ID");
	if (!v || !v->l || !pl_strcmp(v, id) ||
	    !cpim_field(&c, NULL, "DateTime"))
		goto out;
	if (pl_strcmp(&c.ctype, IMDN_CTYPE) ||
	    !imf_has(&c.content_hdrs, "Content-Disposition: notification"))
		goto out;
	if (imdn_parse(&d, c.body.p, c.body.l, e, sizeof(e)))
		goto out;
	ok = !strcmp(d.message_id, id) && d.status == status &&
	     d.kind == (status == IMDN_STORED ? IMDN_KIND_PROCESSING
	                                      : IMDN_KIND_DELIVERY) &&
	     (!dt || !strcmp(d.datetime, dt));
out:
	imdn_reset(&d);
	mem_deref(msg);
	return ok;
}

/* processing asked, bob offline: 202, then an IMDN "stored" to alice;
 * when bob registers he gets the CPIM body unchanged. */
TEST(test_im_imdn_processing_stored)
{
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	struct sip_msg *msg = NULL;
	char body[512];
	uint16_t scode;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(cpim_body(body, sizeof(body), "m-0001",
	                  "positive-delivery, processing", "ping"));
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.ruri = IMF_BOB;
	r.ctype = "message/cpim";
	r.body = body;
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(1, ms.n);
	PFX_ASSERT(!strcmp(ms.m[0].imdn_id, "m-0001"));
	PFX_EQ(IMDN_POSITIVE_DELIVERY | IMDN_PROCESSING, ms.m[0].imdn_disp);
	PFX_ASSERT(!strcmp(ms.m[0].ctype, "message/cpim"));

	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", IMF_ALICE_UA));
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", NULL));
	i = imf_find(&f, 0, "MESSAGE", IMF_ALICE_UA, 0);
	PFX_ASSERT(imdn_ok(&f, i, "m-0001", IMDN_STORED, NULL));
	PFX_ERR(imf_answer(&f, i, 200));

	/* the original CPIM goes to bob as it came */
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_decode(&f, i, &msg));
	PFX_ASSERT(!pl_strcmp(&msg->ctype, "message/cpim"));
	PFX_ASSERT(imf_pl_eq(&msg->body, body, strlen(body)));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
	/* impd does not send positive delivery IMDNs: bob's device does */
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", IMF_ALICE_UA));
out:
	mem_deref(msg);
	imf_close(&f);
	return err;
}

/* Messages older than max_age_s go; negative-delivery asked: an IMDN
 * "failed" to the sender. Younger ones stay. */
TEST(test_im_defer_expiry)
{
	struct im_conf cf;
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	struct im_stats s;
	char body[512];
	unsigned id;
	int i, err;

	PFX_START();
	imf_conf(&cf);
	cf.max_age_s = 300;
	err = imf_init(&f, &cf, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(cpim_body(body, sizeof(body), "m-0077", "negative-delivery",
	                  "see you"));
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.ruri = IMF_BOB;
	r.ctype = "message/cpim";
	r.body = body;
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	/* processing was not asked: no IMDN now */
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", NULL));

	imf_advance(&f, 200 * 1000);
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "younger", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(2, ms.n);

	/* the first one is 300 s old at most a minute later */
	imf_clear(&f);
	imf_advance(&f, 100 * 1000);
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(2, ms.n);
	imf_advance(&f, 61 * 1000);
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(1, ms.n);
	PFX_ASSERT(!strcmp(ms.m[0].body, "younger"));
	im_stats_get(f.im, &s);
	PFX_EQ(1, s.expired);
	PFX_EQ(1, s.waiting);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", NULL));
	i = imf_find(&f, 0, "MESSAGE", IMF_ALICE_UA, 0);
	PFX_ASSERT(imdn_ok(&f, i, "m-0077", IMDN_FAILED, NULL));
	PFX_ERR(imf_answer(&f, i, 200));

	/* the younger one asked for nothing: it goes silently */
	imf_clear(&f);
	imf_advance(&f, 200 * 1000);
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", NULL));
	im_stats_get(f.im, &s);
	PFX_EQ(2, s.expired);
	PFX_EQ(0, s.waiting);
out:
	imf_close(&f);
	return err;
}

/* A device refusing a stored message for good: negative IMDN when it was
 * asked for. */
TEST(test_im_defer_refused_imdn)
{
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	char body[512];
	uint16_t scode;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(cpim_body(body, sizeof(body), "m-0099",
	                  "positive-delivery, negative-delivery", "nope"));
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.ruri = IMF_BOB;
	r.ctype = "message/cpim";
	r.body = body;
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(i >= 0);
	PFX_ERR(imf_answer(&f, i, 488));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", IMF_ALICE_UA));
	i = imf_find(&f, 0, "MESSAGE", IMF_ALICE_UA, 0);
	PFX_ASSERT(imdn_ok(&f, i, "m-0099", IMDN_FAILED, NULL));
out:
	imf_close(&f);
	return err;
}

/* The last NOTIFY body sent to the message-summary client (idx: its
 * record), or "" when none; every NOTIFY seen is answered 200. */
static const char *last_summary(struct imfix *f, char *buf, size_t size)
{
	buf[0] = '\0';
	for (uint32_t k = 0;; k++) {
		int i = imf_find(f, 0, "NOTIFY", IMF_BOB_SUB, k);
		struct sip_msg *n = NULL;

		if (i < 0)
			break;
		if (!imf_decode(f, i, &n)) {
			if (n->body.l < size)
				pl_strcpy(&n->body, buf, size);
			mem_deref(n);
		}
		(void)imf_answer(f, i, 200);
	}
	return buf;
}

/* message-summary: bob watches his waiting count change. */
TEST(test_im_defer_summary)
{
	static const char none[] = "Messages-Waiting: no\r\n"
	                           "Message-Account: sip:bob@example.com\r\n"
	                           "Text-Message: 0/0\r\n";
	static const char two[] = "Messages-Waiting: yes\r\n"
	                          "Message-Account: sip:bob@example.com\r\n"
	                          "Text-Message: 2/0\r\n";
	static const char one_left[] =
	    "Messages-Waiting: yes\r\n"
	    "Message-Account: sip:bob@example.com\r\n"
	    "Text-Message: 1/0\r\n";
	struct imfix f;
	struct imf_req r;
	char b[256];
	uint16_t scode;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	memset(&r, 0, sizeof(r));
	r.met = "SUBSCRIBE";
	r.from = IMF_BOB;
	r.ruri = IMF_BOB;
	r.contact = "sip:bob@" IMF_BOB_SUB;
	r.src = IMF_BOB_SUB;
	r.hdrs = "Event: message-summary\r\n"
	         "Accept: application/simple-message-summary\r\n"
	         "Expires: 3600\r\n";
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(200, imf_status(&f, id));
	PFX_ASSERT(!strcmp(none, last_summary(&f, b, sizeof(b))));

	/* alice may not watch bob's count */
	r.from = IMF_ALICE;
	r.contact = "sip:alice@" IMF_ALICE_UA;
	r.src = IMF_ALICE_UA;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(403, imf_status(&f, id));

	imf_clear(&f);
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "one", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "two", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	imf_advance(&f, 300);
	PFX_ASSERT(!strcmp(two, last_summary(&f, b, sizeof(b))));
	imf_advance(&f, 300);

	/* bob's phone comes: delivered one by one, the count follows */
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_answer(&f, i, 200));
	imf_advance(&f, 300);
	PFX_ASSERT(!strcmp(one_left, last_summary(&f, b, sizeof(b))));
	/* the second one went out when the first was deleted */
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 1);
	PFX_ERR(imf_answer(&f, i, 200));
	imf_advance(&f, 300);
	PFX_ASSERT(!strcmp(none, last_summary(&f, b, sizeof(b))));
	PFX_EQ(2, imf_count(&f, 0, "MESSAGE", NULL));
out:
	imf_close(&f);
	return err;
}

/*
 * KNOWN BUG (im_defer.c, reported to the lead; this test fails until it
 * is fixed): a message that expires while it is on its way to a device
 * is counted off twice: once by the expiry (expired_h) and again when
 * the device answers 200 (deleted_h: the store says "gone already" as
 * success). The waiting count then misses a message that still waits,
 * and im_defer_kick / loc_changed give up on a count of 0: that message
 * is never retried (nor delivered on the next REGISTER).
 */
TEST(test_im_defer_bug_expired_in_flight)
{
	struct im_conf cf;
	struct imfix f;
	struct imf_msgs ms;
	struct im_stats s;
	uint16_t scode;
	unsigned id;
	uint32_t mark;
	int a, b, c, err;

	PFX_START();
	imf_conf(&cf);
	cf.max_age_s = 120;
	err = imf_init(&f, &cf, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "A", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "B", true, &id));
	PFX_EQ(202, imf_status(&f, id));

	/* 100 s later bob comes: A is delivered, B goes out */
	imf_advance(&f, 100 * 1000);
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	a = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_answer(&f, a, 200));
	b = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 1);
	PFX_ASSERT(b >= 0);

	/* B reaches max_age_s while the device has not answered yet */
	imf_advance(&f, 21500);
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);

	/* C: the device does not take it now (480): stored */
	mark = imf_nrec(&f);
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "C", true, &id));
	c = imf_find(&f, mark, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_answer(&f, c, 480));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(1, ms.n);

	/* now the device answers B; the drain goes on with C: 480 */
	mark = imf_nrec(&f);
	PFX_ERR(imf_answer(&f, b, 200));
	c = imf_find(&f, mark, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(c >= 0);
	PFX_ERR(imf_answer(&f, c, 480));
	im_stats_get(f.im, &s);
	PFX_EQ(1, s.waiting); /* fails: 0 */

	/* retry_s later C must be tried again */
	imf_clear(&f);
	imf_advance(&f, 61 * 1000);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", IMF_BOB_UA3));
out:
	imf_close(&f);
	return err;
}

/*
 * KNOWN BUG (im_imdn.c, reported to the lead; fails until fixed): the
 * <datetime> of an IMDN must be the DateTime of the message it is about
 * (RFC 5438 7.2.1.2; the contract: "<datetime> of the original"), the
 * value the sender uses to match it. impd writes the time it accepted
 * the message instead.
 */
TEST(test_im_imdn_bug_datetime)
{
	struct imfix f;
	struct imf_req r;
	char body[512];
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	PFX_ERR(cpim_body(body, sizeof(body), "m-0005", "processing", "x"));
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.ruri = IMF_BOB;
	r.ctype = "message/cpim";
	r.body = body;
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	i = imf_find(&f, 0, "MESSAGE", IMF_ALICE_UA, 0);
	PFX_ASSERT(imdn_ok(&f, i, "m-0005", IMDN_STORED, NULL));
	PFX_ASSERT(
	    imdn_ok(&f, i, "m-0005", IMDN_STORED, "2026-01-02T03:04:05.678Z"));
out:
	imf_close(&f);
	return err;
}

/* A device that answers 480 while registered: stored (202), then tried
 * again as a deferred message retry_s later. */
TEST(test_im_defer_after_device_480)
{
	static const struct pt_binding b[] = {
	    {"alice@example.com", "sip:alice@" IMF_ALICE_UA,
	     "udp:" IMF_ALICE_UA, 0, NULL},
	    {"bob@example.com", "sip:bob@" IMF_BOB_UA3, "udp:" IMF_BOB_UA3, 0,
	     NULL},
	};
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, b, 2, true);
	if (err)
		goto out;
	imf_advance(&f, 1000); /* past the start-up tick */
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.name = "Alice";
	r.ruri = IMF_BOB;
	r.ctype = "text/plain";
	r.body = "are you there";
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_answer(&f, i, 480));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(1, ms.n);
	imf_clear(&f);
	imf_advance(&f, 59 * 1000);
	PFX_EQ(0, imf_count(&f, 0, "MESSAGE", NULL));
	imf_advance(&f, 1500);
	PFX_EQ(1, imf_count(&f, 0, "MESSAGE", IMF_BOB_UA3));
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(
	    wrapped_ok(&f, i, &ms.m[0], "text/plain", "are you there", 13));
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
out:
	imf_close(&f);
	return err;
}

/*
 * KNOWN BUG (im.c req_alloc + im_defer.c im_defer_request, reported to
 * the lead; fails until fixed): the From display name is stored with its
 * quoted-pair escapes (sip_addr.dname keeps them) and escaped again when
 * the deferred MESSAGE is built: "Al \"Pal\"" reaches bob as
 * "Al \\\"Pal\\\"" (and the CPIM From likewise).
 */
TEST(test_im_defer_bug_display_name)
{
	struct imfix f;
	struct imf_req r;
	struct sip_msg *msg = NULL;
	struct cpim c;
	struct pl name, uri;
	const char *why;
	uint16_t scode;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.name = "Al \\\"Pal\\\"";
	r.ruri = IMF_BOB;
	r.ctype = "text/plain";
	r.body = "quoted";
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ERR(imf_decode(&f, i, &msg));
	/* the display name as alice's device wrote it */
	PFX_ASSERT(!pl_strcmp(&msg->from.dname, "Al \\\"Pal\\\""));
	PFX_ASSERT(!cpim_parse(&c, msg->body.p, msg->body.l, &why));
	PFX_ASSERT(!cpim_addr(cpim_field(&c, NULL, "From"), &name, &uri));
	PFX_ASSERT(!pl_strcmp(&name, "Al \\\"Pal\\\""));
out:
	mem_deref(msg);
	imf_close(&f);
	return err;
}

/* A display name folded over two lines (LWS inside the quoted-string,
 * RFC 3261 25.1) must not stop the drain: that message and the ones
 * behind it are delivered. */
TEST(test_im_defer_folded_name)
{
	struct imfix f;
	struct imf_req r;
	struct imf_msgs ms;
	uint16_t scode;
	unsigned id;
	int i, err;

	PFX_START();
	err = imf_init(&f, NULL, alice_only, 1, true);
	if (err)
		goto out;
	memset(&r, 0, sizeof(r));
	r.from = IMF_ALICE;
	r.name = "Al\r\n Pal";
	r.ruri = IMF_BOB;
	r.ctype = "text/plain";
	r.body = "folded";
	r.auth = true;
	PFX_ERR(imf_send(&f, &r, &id));
	PFX_EQ(202, imf_status(&f, id));
	PFX_ERR(imf_msg(&f, IMF_ALICE, IMF_BOB, "plain", true, &id));
	PFX_EQ(202, imf_status(&f, id));
	imf_clear(&f);
	PFX_ERR(imf_register(&f, "bob", IMF_BOB_UA3, 3600, &scode));
	PFX_EQ(200, scode);
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 0);
	PFX_ASSERT(i >= 0);
	PFX_ERR(imf_answer(&f, i, 200));
	i = imf_find(&f, 0, "MESSAGE", IMF_BOB_UA3, 1);
	PFX_ERR(imf_answer(&f, i, 200));
	PFX_ERR(imf_msgs(&f, "bob@example.com", &ms));
	PFX_EQ(0, ms.n);
out:
	imf_close(&f);
	return err;
}
