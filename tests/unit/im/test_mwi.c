/* tests/unit/im/test_mwi.c - the message-summary package (RFC 3842) over
 * the events framework and the recording transport */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "event/evt_test.h"
#include "im/mwi.h"
#include "sip/rec_tp.h"

#define BOB_ACCOUNT "sip:bob@example.com"
#define ACCEPT_MWI  "Accept: application/simple-message-summary\n"

static const char body_none[] = "Messages-Waiting: no\r\n"
                                "Message-Account: sip:bob@example.com\r\n"
                                "Text-Message: 0/0\r\n";
static const char body_three[] = "Messages-Waiting: yes\r\n"
                                 "Message-Account: sip:bob@example.com\r\n"
                                 "Text-Message: 3/0\r\n";

/* The events fixture with the message-summary package. */
static int mfix_init(struct efix *f, struct im_mwi **mp)
{
	int err = efix_init(f, NULL, false, false, 64);

	if (!err)
		err = im_mwi_alloc(mp, f->e);
	return err;
}

/* evt first: the package holds the last reference to it */
static void mfix_close(struct efix *f, struct im_mwi *m)
{
	f->pkg.last = mem_deref(f->pkg.last);
	f->e = mem_deref(f->e);
	mem_deref(m);
	efix_close(f);
}

static void mwi_req(struct sreq *r, const char *from, const char *callid)
{
	sreq_init(r);
	r->event = MWI_EVENT;
	r->from = from;
	r->callid = callid;
	r->expires = -1;
	r->extra = ACCEPT_MWI;
}

TEST(test_mwi_body)
{
	struct buf *b = NULL;
	int err;

	err = im_mwi_body(&b, BOB_ACCOUNT, 3);
	TEST_ERR(err);
	TEST_EQ(sizeof(body_three) - 1, b->end);
	TEST_ASSERT(!memcmp(body_three, b->b, b->end));
	b = mem_deref(b);

	err = im_mwi_body(&b, BOB_ACCOUNT, 0);
	TEST_ERR(err);
	TEST_EQ(sizeof(body_none) - 1, b->end);
	TEST_ASSERT(!memcmp(body_none, b->b, b->end));
	b = mem_deref(b);

	/* no account: the line is left out (it is optional) */
	err = im_mwi_body(&b, NULL, 4294967295u);
	TEST_ERR(err);
	TEST_EQ(strlen("Messages-Waiting: yes\r\n"
	               "Text-Message: 4294967295/0\r\n"),
	        b->end);
	TEST_ASSERT(!memcmp("Messages-Waiting: yes\r\n"
	                    "Text-Message: 4294967295/0\r\n",
	                    b->b, b->end));
	b = mem_deref(b);

	/* no header injection through the account */
	TEST_ERR_EQ(EINVAL, im_mwi_body(&b, "sip:a@b\r\nX: y", 1));
	TEST_ERR_EQ(EINVAL, im_mwi_body(NULL, BOB_ACCOUNT, 1));
	TEST_ASSERT(b == NULL);
out:
	mem_deref(b);
	return err;
}

TEST(test_mwi_counts)
{
	struct efix f;
	struct im_mwi *m = NULL;
	int err;

	/* a failed allocation in im_mwi_set is logged and swallowed: in a
	 * --oom replay a count may be missing (ENOMEM then) */
	EV_START();
	err = mfix_init(&f, &m);
	if (err)
		goto out;
	EV_EQ(0, im_mwi_get(m, "bob@example.com"));
	im_mwi_set(m, "bob@Example.COM", 2);
	/* the domain compares without case, the user with */
	EV_EQ(2, im_mwi_get(m, "bob@example.com"));
	EV_EQ(2, im_mwi_get(m, "bob@EXAMPLE.com"));
	EV_EQ(0, im_mwi_get(m, "Bob@example.com"));
	EV_EQ(0, im_mwi_get(m, "carol@example.com"));
	im_mwi_set(m, "bob@example.com", 7);
	EV_EQ(7, im_mwi_get(m, "bob@example.com"));
	im_mwi_set(m, "bob@example.com", 0);
	EV_EQ(0, im_mwi_get(m, "bob@example.com"));
	EV_EQ(0, im_mwi_get(m, NULL));
	EV_EQ(0, im_mwi_get(NULL, "bob@example.com"));
	im_mwi_set(NULL, "bob@example.com", 1);
	im_mwi_set(m, NULL, 1);
	im_mwi_set(m, "", 1);
	EV_EQ(0, im_mwi_get(m, ""));
	EV_EQ(EINVAL, im_mwi_alloc(NULL, f.e));
	EV_EQ(EINVAL, im_mwi_alloc(&m, NULL));
out:
	mfix_close(&f, m);
	return err;
}

TEST(test_mwi_subscribe_notify)
{
	struct efix f;
	struct im_mwi *m = NULL;
	struct sreq r;
	struct sip_msg *rsp = NULL, *n = NULL;
	char b[512];
	uint32_t before, seen = 0;
	int i, err;

	EV_START();
	err = mfix_init(&f, &m);
	if (err)
		goto out;
	im_mwi_set(m, "bob@example.com", 3);
	f.ident = "bob@example.com";
	mwi_req(&r, "sip:bob@example.com", "m1");
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	EV_STR("3600", efix_hdr(rsp, SIP_HDR_EXPIRES, b, sizeof(b)));
	EV_EQ(1, evt_sub_count(f.e, MWI_EVENT));

	/* the first NOTIFY: the current count */
	i = efix_notify(&f, 0, &n);
	EV_ASSERT(i > 0 && n);
	EV_STR("message-summary", efix_hdr(n, SIP_HDR_EVENT, b, sizeof(b)));
	EV_STR("active;expires=3600",
	       efix_hdr(n, SIP_HDR_SUBSCRIPTION_STATE, b, sizeof(b)));
	EV_PL("application/simple-message-summary", &n->ctype);
	EV_STR(body_three, efix_body(n, b, sizeof(b)));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* a new count: a NOTIFY with it */
	before = efix_nrec(&f);
	im_mwi_set(m, "bob@example.com", 5);
	efix_advance(&f, 1000);
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_EQ(2, n->cseq.num);
	EV_STR("Messages-Waiting: yes\r\n"
	       "Message-Account: sip:bob@example.com\r\n"
	       "Text-Message: 5/0\r\n",
	       efix_body(n, b, sizeof(b)));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* the same count again, or someone else's: nothing sent */
	before = efix_nrec(&f);
	im_mwi_set(m, "bob@EXAMPLE.com", 5);
	im_mwi_set(m, "carol@example.com", 1);
	efix_advance(&f, 1000);
	EV_EQ(before, efix_nrec(&f));

	/* all delivered */
	im_mwi_set(m, "bob@example.com", 0);
	efix_advance(&f, 1000);
	n = mem_deref(n);
	i = efix_notify(&f, before, &n);
	EV_ASSERT(i >= 0 && n);
	EV_EQ(3, n->cseq.num);
	EV_STR(body_none, efix_body(n, b, sizeof(b)));
	EV_ERR(efix_answer(&f, (uint32_t)i, 200, NULL, NULL));

	/* the first change goes at once; those that follow within the
	 * notify interval make one NOTIFY with the last count (a NOTIFY
	 * may be sent again unanswered: the same CSeq) */
	before = efix_nrec(&f);
	n = mem_deref(n);
	im_mwi_set(m, "bob@example.com", 1);
	im_mwi_set(m, "bob@example.com", 2);
	im_mwi_set(m, "bob@example.com", 3);
	efix_advance(&f, 1000);
	for (i = efix_notify(&f, before, &n); i >= 0;
	     i = efix_notify(&f, (uint32_t)i + 1, &n)) {
		EV_ASSERT(n);
		EV_ASSERT(n->cseq.num == 4 || n->cseq.num == 5);
		EV_STR(n->cseq.num == 4
		           ? "Messages-Waiting: yes\r\n"
		             "Message-Account: sip:bob@example.com\r\n"
		             "Text-Message: 1/0\r\n"
		           : body_three,
		       efix_body(n, b, sizeof(b)));
		seen |= 1u << (n->cseq.num - 4);
		if (n->cseq.num == 4)
			(void)efix_answer(&f, (uint32_t)i, 200, NULL, NULL);
		n = mem_deref(n);
	}
	EV_EQ(3, seen);
out:
	mem_deref(rsp);
	mem_deref(n);
	mfix_close(&f, m);
	return err;
}

TEST(test_mwi_owner_only)
{
	struct efix f;
	struct im_mwi *m = NULL;
	struct sreq r;
	struct sip_msg *rsp = NULL;
	int err;

	EV_START();
	err = mfix_init(&f, &m);
	if (err)
		goto out;
	im_mwi_set(m, "bob@example.com", 3);

	/* alice may not learn how many messages wait for bob */
	f.ident = "alice@example.com";
	mwi_req(&r, "sip:alice@example.com", "m2");
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);

	/* nor an unauthenticated subscriber claiming to be bob */
	f.ident = NULL;
	mwi_req(&r, "sip:bob@example.com", "m3");
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	EV_EQ(0, evt_sub_count(f.e, MWI_EVENT));
	EV_EQ(0, efix_count(&f, "NOTIFY "));

	/* bob, with a domain spelt in capitals */
	f.ident = "bob@EXAMPLE.COM";
	mwi_req(&r, "sip:bob@example.com", "m4");
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);

	/* a subscriber that accepts another type: 406 (the framework) */
	f.ident = "bob@example.com";
	mwi_req(&r, "sip:bob@example.com", "m5");
	r.extra = "Accept: application/pidf+xml\n";
	EV_ERR(efix_subscribe(&f, &r, &rsp));
	EV_EQ(406, rsp->scode);
	EV_EQ(1, evt_sub_count(f.e, MWI_EVENT));
out:
	mem_deref(rsp);
	mfix_close(&f, m);
	return err;
}
