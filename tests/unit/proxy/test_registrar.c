/* tests/unit/proxy/test_registrar.c - REGISTER (RFC 3261 10.3, 3327, 5627) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "proxy/auth.h"
#include "proxy/domain.h"
#include "proxy/location.h"
#include "proxy/reg_int.h"
#include "proxy/registrar.h"
#include "sip/msg.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "test.h"

#define INST1 "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define INST2 "urn:uuid:0c8b1f8a-5b2e-4a6e-9d2f-3c1b7a6e0f11"

struct rfx {
	struct tmrl *tl;
	struct store *st;
	struct loc *loc;
	struct dom *dom;
	struct auth *auth;
	struct registrar *reg;
	struct rec_tp *rt;
	struct sip_tsxl *tsxl;
	unsigned branch;
};

static void noreq_h(struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static int user_add(struct store *st, const char *user, const char *pw)
{
	struct store_user u;
	int err;

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "example.com");
	err = auth_ha1(u.ha1_md5, sizeof(u.ha1_md5), "MD5", user, "example.com",
	               pw);
	if (!err)
		err = auth_ha1(u.ha1_sha256, sizeof(u.ha1_sha256), "SHA-256",
		               user, "example.com", pw);
	u.enabled = true;
	if (!err)
		err = store_user_add(st, &u);
	return err;
}

static int rfx_init(struct rfx *f, const struct registrar_conf *rc)
{
	static const struct sip_timers timers = {500, 4000, 5000};
	const struct registrar_conf dflt = {60, 3600, 3600, 10, false};
	const struct auth_conf ac = {300, 60, true, true, NULL};
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 0);
	if (!err)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = store_domain_add(f->st, "example.com");
	if (!err)
		err = user_add(f->st, "alice", "wonderland");
	if (!err)
		err = user_add(f->st, "bob", "builder");
	if (!err)
		err = loc_alloc(&f->loc, f->st, f->tl);
	if (!err)
		err = dom_alloc(&f->dom, f->st);
	if (!err)
		err = auth_alloc(&f->auth, f->st, f->tl, &ac);
	if (!err)
		err = registrar_alloc(&f->reg, rc ? rc : &dflt, f->loc, f->auth,
		                      f->dom);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tl, 8);
	if (!err)
		err = sip_tsxl_alloc(&f->tsxl, f->tl, rec_tp_ops(), f->rt,
		                     &timers, noreq_h, NULL);
	return err;
}

static void rfx_close(struct rfx *f)
{
	f->tsxl = mem_deref(f->tsxl);
	f->rt = mem_deref(f->rt);
	f->reg = mem_deref(f->reg);
	f->auth = mem_deref(f->auth);
	f->dom = mem_deref(f->dom);
	f->loc = mem_deref(f->loc);
	f->st = mem_deref(f->st);
	f->tl = mem_deref(f->tl);
}

/* Hand a request (text with "\n" line ends) to the registrar; *rspp is
 * its answer. ENOMEM when an injected failure shows: nothing sent, or
 * the 500 with Retry-After of a failed allocation. */
static int handle(struct rfx *f, const char *text, enum sip_transp tp,
                  struct sip_msg **rspp)
{
	struct sip_msg *msg = NULL, *rsp = NULL;
	struct sip_stsx *st = NULL;
	uint32_t before;
	int err;

	*rspp = NULL;
	err = rec_msg(&msg, text, tp, "192.0.2.1:5060");
	if (err)
		goto out;
	err = sip_stsx_alloc(&st, f->tsxl, msg);
	if (err)
		goto out;
	before = rec_tp_count(f->rt);
	registrar_handle(f->reg, st);
	if (rec_tp_count(f->rt) <= before) {
		err = ENOMEM;
		goto out;
	}
	err = rec_tp_decode(f->rt, rec_tp_count(f->rt) - 1, &rsp);
	if (err)
		goto out;
	if (rsp->scode == 500 && sip_msg_hdr(rsp, SIP_HDR_RETRY_AFTER)) {
		err = ENOMEM;
		goto out;
	}
	*rspp = rsp;
	rsp = NULL;
out:
	mem_deref(rsp);
	mem_deref(st);
	mem_deref(msg);
	return err;
}

/* REGISTER for user@example.com with extra header lines. */
static int reg(struct rfx *f, const char *user, const char *callid,
               uint32_t cseq, const char *extra, struct sip_msg **rspp)
{
	struct buf *b = NULL;
	int err;

	err = buf_alloc(&b, 512);
	if (err)
		return err;
	err = buf_printf(b,
	                 "REGISTER sip:example.com SIP/2.0\n"
	                 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKr%u\n"
	                 "Max-Forwards: 70\n"
	                 "From: <sip:%s@example.com>;tag=ft\n"
	                 "To: <sip:%s@example.com>\n"
	                 "Call-ID: %s\n"
	                 "CSeq: %u REGISTER\n"
	                 "%s"
	                 "Content-Length: 0\n\n",
	                 ++f->branch, user, user, callid, cseq,
	                 extra ? extra : "");
	if (!err)
		err = buf_write_u8(b, 0);
	if (!err)
		err = handle(f, (const char *)b->b, SIP_TRANSP_UDP, rspp);
	mem_deref(b);
	return err;
}

/* The binding of the 200 whose URI is uri: its expires and q. */
static int contact_get(const struct sip_msg *rsp, const char *uri,
                       int64_t *expires, uint32_t *q, struct sip_contact *cp)
{
	for (const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_CONTACT); h;
	     h = sip_msg_hdr_next(rsp, h)) {
		struct sip_contact c;
		struct parse_err pe;

		if (sip_contact_decode(&c, &h->val, &pe))
			return EBADMSG;
		if (pl_strcmp(&c.addr.auri, uri))
			continue;
		if (expires)
			*expires = c.expires;
		if (q)
			*q = c.q;
		if (cp)
			*cp = c;
		return 0;
	}
	return ENOENT;
}

static const struct loc_binding *nth(const struct list *l, unsigned i)
{
	const struct le *le = list_head(l);

	while (le && i--)
		le = le->next;
	return le ? le->data : NULL;
}

static unsigned nbind(struct rfx *f, const char *aor)
{
	return (unsigned)list_count(loc_find(f->loc, aor));
}

TEST(test_reg_add_refresh_remove)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	const struct list *bl;
	int64_t e = 0;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:alice@192.0.2.1:5060>\n"
	          "User-Agent: test-phone/1.0\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(1, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	err = contact_get(rsp, "sip:alice@192.0.2.1:5060", &e, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(3600, e); /* the default */
	TEST_ASSERT(sip_msg_hdr(rsp, SIP_HDR_DATE) != NULL);
	rsp = mem_deref(rsp);

	bl = loc_find(f.loc, "alice@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(1, list_count(bl));
	TEST_STR_EQ("sip:alice@192.0.2.1:5060", nth(bl, 0)->contact);
	TEST_STR_EQ("c1", nth(bl, 0)->callid);
	TEST_EQ(1, nth(bl, 0)->cseq);
	TEST_STR_EQ("test-phone/1.0", nth(bl, 0)->user_agent);
	TEST_EQ(SIP_TRANSP_UDP, nth(bl, 0)->rx_tp);
	TEST_EQ(5060, sa_port(&nth(bl, 0)->rx_addr));
	TEST_EQ(tmrl_wallclock(f.tl) + 3600, nth(bl, 0)->expires);

	/* refresh with an Expires header, same Call-ID, higher CSeq */
	tmrl_fake_advance(f.tl, 100 * 1000);
	err = reg(&f, "alice", "c1", 2,
	          "Contact: <sip:alice@192.0.2.1:5060>\nExpires: 1800\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(1, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	err = contact_get(rsp, "sip:alice@192.0.2.1:5060", &e, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(1800, e);
	rsp = mem_deref(rsp);
	TEST_EQ(1, nbind(&f, "alice@example.com"));

	/* the same URI written differently is the same binding (19.1.4) */
	err = reg(&f, "alice", "c1", 3,
	          "Contact: <sip:alice@192.0.2.1:5060;unknown=1>;expires=900\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(1, nbind(&f, "alice@example.com"));
	rsp = mem_deref(rsp);

	/* removal */
	err = reg(&f, "alice", "c1", 4,
	          "Contact: <sip:alice@192.0.2.1:5060>;expires=0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(0, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	TEST_ASSERT(loc_find(f.loc, "alice@example.com") == NULL);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_q_and_several)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	const struct list *bl;
	uint32_t q = 0;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:vm@192.0.2.9>;q=0.1\n"
	          "Contact: <sip:alice@192.0.2.1>;q=1.0, "
	          "<sip:alice@192.0.2.2>;q=0.5\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(3, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	err = contact_get(rsp, "sip:vm@192.0.2.9", NULL, &q, NULL);
	TEST_ERR(err);
	TEST_EQ(100, q);
	rsp = mem_deref(rsp);

	bl = loc_find(f.loc, "alice@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(3, list_count(bl));
	TEST_STR_EQ("sip:alice@192.0.2.1", nth(bl, 0)->contact);
	TEST_STR_EQ("sip:alice@192.0.2.2", nth(bl, 1)->contact);
	TEST_STR_EQ("sip:vm@192.0.2.9", nth(bl, 2)->contact);

	/* another device, another Call-ID: added, the rest untouched */
	err = reg(&f, "alice", "c2", 1,
	          "Contact: <sip:alice@192.0.2.3>;q=0.7\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(4, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	rsp = mem_deref(rsp);
	bl = loc_find(f.loc, "alice@example.com");
	TEST_STR_EQ("sip:alice@192.0.2.3", nth(bl, 1)->contact);

	/* remove one of four */
	err = reg(&f, "alice", "c1", 2,
	          "Contact: <sip:alice@192.0.2.2>;expires=0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(3, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	TEST_ERR_EQ(ENOENT,
	            contact_get(rsp, "sip:alice@192.0.2.2", NULL, NULL, NULL));
	rsp = mem_deref(rsp);

	/* a query lists them without changing anything */
	err = reg(&f, "alice", "c9", 1, NULL, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(3, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	TEST_EQ(3, nbind(&f, "alice@example.com"));
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_wildcard)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "alice@example.com"));

	/* "*" needs Expires: 0 and nothing else */
	err = reg(&f, "alice", "c2", 1, "Contact: *\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(400, rsp->scode);
	rsp = mem_deref(rsp);
	err = reg(&f, "alice", "c2", 1, "Contact: *\nExpires: 60\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(400, rsp->scode);
	rsp = mem_deref(rsp);
	err = reg(&f, "alice", "c2", 1,
	          "Contact: *\nContact: <sip:c@192.0.2.3>\nExpires: 0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(400, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "alice@example.com"));

	/* same Call-ID, CSeq not higher: refused */
	err = reg(&f, "alice", "c1", 1, "Contact: *\nExpires: 0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(500, rsp->scode);
	TEST_PL_EQ("Stale CSeq", &rsp->reason);
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "alice@example.com"));

	err = reg(&f, "alice", "c2", 1, "Contact: *\nExpires: 0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(0, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	TEST_ASSERT(loc_find(f.loc, "alice@example.com") == NULL);
	TEST_EQ(0, loc_count(f.loc));
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_expires_bounds)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	const struct sip_hdr *h;
	int64_t e = 0;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:alice@192.0.2.1>;expires=30\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(423, rsp->scode);
	h = sip_msg_hdr(rsp, SIP_HDR_MIN_EXPIRES);
	TEST_ASSERT(h != NULL);
	TEST_PL_EQ("60", &h->val);
	rsp = mem_deref(rsp);
	TEST_EQ(0, loc_count(f.loc));

	/* Expires header too short */
	err = reg(&f, "alice", "c1", 2,
	          "Contact: <sip:alice@192.0.2.1>\nExpires: 59\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(423, rsp->scode);
	rsp = mem_deref(rsp);

	/* the contact parameter wins over the header */
	err = reg(&f, "alice", "c1", 3,
	          "Contact: <sip:alice@192.0.2.1>;expires=60\nExpires: 5\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	err = contact_get(rsp, "sip:alice@192.0.2.1", &e, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(60, e);
	rsp = mem_deref(rsp);

	/* too long: cut to the maximum */
	err = reg(&f, "alice", "c1", 4,
	          "Contact: <sip:alice@192.0.2.1>;expires=86400\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	err = contact_get(rsp, "sip:alice@192.0.2.1", &e, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(3600, e);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_stale_cseq)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	int64_t e = 0;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 10,
	          "Contact: <sip:alice@192.0.2.1>;expires=600\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);

	err = reg(&f, "alice", "c1", 10,
	          "Contact: <sip:alice@192.0.2.1>;expires=1200\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(500, rsp->scode);
	TEST_PL_EQ("Stale CSeq", &rsp->reason);
	rsp = mem_deref(rsp);
	err = reg(&f, "alice", "c1", 9,
	          "Contact: <sip:alice@192.0.2.1>;expires=0\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(500, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(1, nbind(&f, "alice@example.com"));
	TEST_EQ(tmrl_wallclock(f.tl) + 600,
	        nth(loc_find(f.loc, "alice@example.com"), 0)->expires);

	/* another Call-ID may update it whatever its CSeq */
	err = reg(&f, "alice", "c2", 1,
	          "Contact: <sip:alice@192.0.2.1>;expires=1200\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	err = contact_get(rsp, "sip:alice@192.0.2.1", &e, NULL, NULL);
	TEST_ERR(err);
	TEST_EQ(1200, e);
	TEST_STR_EQ("c2", nth(loc_find(f.loc, "alice@example.com"), 0)->callid);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_max_contacts)
{
	const struct registrar_conf cf = {60, 3600, 3600, 2, false};
	struct rfx f;
	struct sip_msg *rsp = NULL;
	int err;

	err = rfx_init(&f, &cf);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:a@192.0.2.1>, <sip:b@192.0.2.2>\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	err = reg(&f, "alice", "c2", 1, "Contact: <sip:c@192.0.2.3>\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(403, rsp->scode);
	TEST_PL_EQ("Too many contacts", &rsp->reason);
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "alice@example.com"));

	/* swapping one for another in one request is fine */
	err = reg(&f, "alice", "c1", 2,
	          "Contact: <sip:a@192.0.2.1>;expires=0, <sip:c@192.0.2.3>\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(2, nbind(&f, "alice@example.com"));
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_path)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	const struct sip_hdr *h;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:alice@10.0.0.5>\n"
	          "Path: <sip:edge1.example.com;lr>\n"
	          "Path: <sip:edge2.example.com;lr>\n"
	          "Supported: path\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(2, sip_msg_hdr_count(rsp, SIP_HDR_PATH));
	h = sip_msg_hdr(rsp, SIP_HDR_PATH);
	TEST_PL_EQ("<sip:edge1.example.com;lr>", &h->val);
	rsp = mem_deref(rsp);
	TEST_STR_EQ("<sip:edge1.example.com;lr>,<sip:edge2.example.com;lr>",
	            nth(loc_find(f.loc, "alice@example.com"), 0)->path);

	/* without Supported: path it is stored but not echoed */
	err = reg(&f, "bob", "c2", 1,
	          "Contact: <sip:bob@10.0.0.6>\n"
	          "Path: <sip:edge1.example.com;lr>\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(0, sip_msg_hdr_count(rsp, SIP_HDR_PATH));
	TEST_STR_EQ("<sip:edge1.example.com;lr>",
	            nth(loc_find(f.loc, "bob@example.com"), 0)->path);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

/* The value of a quoted contact param, unquoted, as a URI. */
static int gruu_param(const struct sip_contact *c, const char *name,
                      struct sip_uri *u, char *buf, size_t size)
{
	struct parse_err pe;
	struct pl v;
	int err;

	err = sip_param_get(&c->addr.params, name, &v);
	if (err)
		return err;
	if (v.l < 2 || v.p[0] != '"' || v.p[v.l - 1] != '"')
		return EBADMSG;
	v.p++;
	v.l -= 2;
	err = pl_strcpy(&v, buf, size);
	if (err)
		return err;
	pl_set_str(&v, buf);
	return sip_uri_decode(u, &v, &pe);
}

TEST(test_reg_gruu)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	struct sip_contact c;
	struct sip_uri pub, tmp;
	char pbuf[256], tbuf[256], tbuf2[256];
	const struct list *bl;
	struct loc_binding *b1;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err =
	    reg(&f, "alice", "c1", 1,
	        "Contact: <sip:alice@192.0.2.1>;+sip.instance=\"<" INST1 ">\"\n"
	        "Supported: gruu, path\n",
	        &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	err = contact_get(rsp, "sip:alice@192.0.2.1", NULL, NULL, &c);
	TEST_ERR(err);
	err = gruu_param(&c, "pub-gruu", &pub, pbuf, sizeof(pbuf));
	TEST_ERR(err);
	TEST_STR_EQ("sip:alice@example.com;gr=" INST1, pbuf);
	err = gruu_param(&c, "temp-gruu", &tmp, tbuf, sizeof(tbuf));
	TEST_ERR(err);
	TEST_ASSERT(tmp.has_gr && !pl_isset(&tmp.gr));
	TEST_PL_EQ("example.com", &tmp.host);
	rsp = mem_deref(rsp);

	/* a second instance of alice, and one without instance */
	err =
	    reg(&f, "alice", "c2", 1,
	        "Contact: <sip:alice@192.0.2.2>;+sip.instance=\"<" INST2 ">\"\n"
	        "Contact: <sip:alice@192.0.2.3>\n"
	        "Supported: gruu\n",
	        &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(3, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	err = contact_get(rsp, "sip:alice@192.0.2.3", NULL, NULL, &c);
	TEST_ERR(err);
	TEST_ASSERT(!sip_param_exists(&c.addr.params, "pub-gruu"));
	rsp = mem_deref(rsp);

	/* each GRUU reaches exactly its instance */
	bl = loc_find(f.loc, "alice@example.com");
	TEST_EQ(3, list_count(bl));
	b1 = loc_find_gruu(f.loc, &pub);
	TEST_ASSERT(b1 != NULL);
	TEST_STR_EQ("sip:alice@192.0.2.1", b1->contact);
	TEST_STR_EQ(INST1, b1->instance);
	TEST_ASSERT(loc_find_gruu(f.loc, &tmp) == b1);

	/* a refresh (same Call-ID) keeps the temporary GRUU valid */
	err =
	    reg(&f, "alice", "c1", 2,
	        "Contact: <sip:alice@192.0.2.1>;+sip.instance=\"<" INST1 ">\"\n"
	        "Supported: gruu\n",
	        &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	err = contact_get(rsp, "sip:alice@192.0.2.1", NULL, NULL, &c);
	TEST_ERR(err);
	err = gruu_param(&c, "temp-gruu", &tmp, tbuf2, sizeof(tbuf2));
	TEST_ERR(err);
	TEST_STR_EQ(tbuf, tbuf2);
	b1 = loc_find_gruu(f.loc, &tmp);
	TEST_ASSERT(b1 != NULL);
	TEST_STR_EQ("sip:alice@192.0.2.1", b1->contact);
	TEST_EQ(3, nbind(&f, "alice@example.com"));
	rsp = mem_deref(rsp);

	/* the instance moved (new URI, same instance, new Call-ID): one
	 * binding per instance; the old temporary GRUU is gone */
	err = reg(&f, "alice", "c3", 1,
	          "Contact: <sip:alice@192.0.2.99>;+sip.instance=\"<" INST1
	          ">\"\n"
	          "Supported: gruu\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(3, nbind(&f, "alice@example.com"));
	b1 = loc_find_gruu(f.loc, &pub);
	TEST_ASSERT(b1 != NULL);
	TEST_STR_EQ("sip:alice@192.0.2.99", b1->contact);
	TEST_ASSERT(loc_find_gruu(f.loc, &tmp) == NULL);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_outbound_regid)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	/* RFC 5626: two flows of one instance */
	err = reg(&f, "alice", "c1", 1,
	          "Contact: <sip:alice@192.0.2.1;transport=tcp>;reg-id=1;"
	          "+sip.instance=\"<" INST1 ">\"\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	err = reg(&f, "alice", "c2", 1,
	          "Contact: <sip:alice@192.0.2.1;transport=tcp>;reg-id=2;"
	          "+sip.instance=\"<" INST1 ">\"\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "alice@example.com"));
	/* flow 1 comes back from another address: it replaces flow 1 */
	err = reg(&f, "alice", "c3", 1,
	          "Contact: <sip:alice@198.51.100.7;transport=tcp>;reg-id=1;"
	          "+sip.instance=\"<" INST1 ">\"\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(2, nbind(&f, "alice@example.com"));
	TEST_STR_EQ("sip:alice@198.51.100.7;transport=tcp",
	            nth(loc_find(f.loc, "alice@example.com"), 0)->contact);
	TEST_EQ(1, nth(loc_find(f.loc, "alice@example.com"), 0)->reg_id);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_expiry_and_reload)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	struct loc *loc2 = NULL;
	const struct list *bl;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	err =
	    reg(&f, "alice", "c1", 1,
	        "Contact: <sip:alice@192.0.2.1>;expires=60\n"
	        "Contact: <sip:alice@192.0.2.2>;expires=600;q=0.4;+sip.audio\n",
	        &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);

	/* a 2xx means it is in the store: a fresh service sees it */
	err = loc_alloc(&loc2, f.st, f.tl);
	TEST_ERR(err);
	bl = loc_find(loc2, "alice@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(2, list_count(bl));
	TEST_STR_EQ("sip:alice@192.0.2.2", nth(bl, 1)->contact);
	TEST_STR_EQ(";+sip.audio", nth(bl, 1)->params);
	TEST_EQ(400, nth(bl, 1)->q);
	TEST_EQ(SIP_TRANSP_UDP, nth(bl, 1)->rx_tp);
	loc2 = mem_deref(loc2);

	tmrl_fake_advance(f.tl, 60 * 1000);
	TEST_EQ(1, nbind(&f, "alice@example.com"));
	err = reg(&f, "alice", "c9", 1, NULL, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(1, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	rsp = mem_deref(rsp);

	tmrl_fake_advance(f.tl, 540 * 1000);
	TEST_ASSERT(loc_find(f.loc, "alice@example.com") == NULL);
	err = loc_alloc(&loc2, f.st, f.tl);
	TEST_ERR(err);
	TEST_EQ(0, loc_count(loc2));
out:
	mem_deref(loc2);
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

TEST(test_reg_bad_requests)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	/* RFC 4475 3.3.4 (unksm2) */
	err = handle(&f,
	             "REGISTER sip:example.com SIP/2.0\n"
	             "To: isbn:2983792873\n"
	             "From: <http://www.example.com>;tag=3234233\n"
	             "Call-ID: unksm2.daksdj@hyphenated-host.example.com\n"
	             "CSeq: 234902 REGISTER\n"
	             "Max-Forwards: 70\n"
	             "Via: SIP/2.0/UDP 192.0.2.21:5060;branch=z9hG4bKkdjuw\n"
	             "Contact: <name:John_Smith>\n"
	             "l: 0\n\n",
	             SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(400, rsp->scode);
	TEST_PL_EQ("Invalid To URI scheme", &rsp->reason);
	rsp = mem_deref(rsp);

	/* not our domain */
	err = handle(&f,
	             "REGISTER sip:example.com SIP/2.0\n"
	             "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx1\n"
	             "Max-Forwards: 70\n"
	             "From: <sip:alice@example.org>;tag=1\n"
	             "To: <sip:alice@example.org>\n"
	             "Call-ID: x1\n"
	             "CSeq: 1 REGISTER\n"
	             "Contact: <sip:alice@192.0.2.1>\n"
	             "Content-Length: 0\n\n",
	             SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(404, rsp->scode);
	rsp = mem_deref(rsp);

	/* no user part */
	err = handle(&f,
	             "REGISTER sip:example.com SIP/2.0\n"
	             "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx2\n"
	             "Max-Forwards: 70\n"
	             "From: <sip:example.com>;tag=1\n"
	             "To: <sip:example.com>\n"
	             "Call-ID: x2\n"
	             "CSeq: 1 REGISTER\n"
	             "Content-Length: 0\n\n",
	             SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(404, rsp->scode);
	rsp = mem_deref(rsp);

	/* a non-SIP contact */
	err = reg(&f, "alice", "c1", 1, "Contact: <mailto:alice@example.com>\n",
	          &rsp);
	TEST_ERR(err);
	TEST_EQ(400, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(0, loc_count(f.loc));
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

/* RFC 4475 messages a registrar must accept. */
TEST(test_reg_torture)
{
	struct rfx f;
	struct sip_msg *rsp = NULL;
	const struct list *bl;
	int err;

	err = rfx_init(&f, NULL);
	TEST_ERR(err);
	/* 3.1.1.4 escnull: two distinct contacts */
	err = handle(&f,
	             "REGISTER sip:example.com SIP/2.0\n"
	             "To: sip:null-%00-null@example.com\n"
	             "From: sip:null-%00-null@example.com;tag=839923423\n"
	             "Max-Forwards: 70\n"
	             "Call-ID: escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd\n"
	             "CSeq: 14398234 REGISTER\n"
	             "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKkdjuw\n"
	             "Contact: <sip:%00@host5.example.com>\n"
	             "Contact: <sip:%00%00@host5.example.com>\n"
	             "L:0\n\n",
	             SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(2, sip_msg_hdr_count(rsp, SIP_HDR_CONTACT));
	rsp = mem_deref(rsp);
	TEST_EQ(2, nbind(&f, "null-%00-null@example.com"));

	/* 3.3.12 cparam01: unknownparam is a contact param */
	err =
	    handle(&f,
	           "REGISTER sip:example.com SIP/2.0\n"
	           "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKc1\n"
	           "Max-Forwards: 70\n"
	           "From: sip:watson@example.com;tag=DkfVgjkrtMwaerKKpe\n"
	           "To: sip:watson@example.com\n"
	           "Call-ID: cparam01.70710@saturn.example.com\n"
	           "CSeq: 2 REGISTER\n"
	           "Contact: sip:+19725552222@gw1.example.net;unknownparam\n"
	           "l: 0\n\n",
	           SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	/* 3.3.13 cparam02: unknownparam belongs to the URI */
	err =
	    handle(&f,
	           "REGISTER sip:example.com SIP/2.0\n"
	           "Via: SIP/2.0/UDP saturn.example.com:5060;branch=z9hG4bKc2\n"
	           "Max-Forwards: 70\n"
	           "From: sip:watson@example.com;tag=838293\n"
	           "To: sip:watson@example.com\n"
	           "Call-ID: cparam02.70710@saturn.example.com\n"
	           "CSeq: 3 REGISTER\n"
	           "Contact: <sip:+19725552222@gw1.example.net;unknownparam>\n"
	           "l: 0\n\n",
	           SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	rsp = mem_deref(rsp);
	/* the two URIs are equal (RFC 3261 19.1.4: a parameter in one URI
	 * only is ignored), so the second REGISTER updated the binding */
	bl = loc_find(f.loc, "watson@example.com");
	TEST_EQ(1, list_count(bl));
	TEST_STR_EQ("sip:+19725552222@gw1.example.net;unknownparam",
	            nth(bl, 0)->contact);
	TEST_STR_EQ("", nth(bl, 0)->params);
	TEST_STR_EQ("cparam02.70710@saturn.example.com", nth(bl, 0)->callid);

	/* 3.3.14 regescrt: the escaped header stays in the binding */
	err =
	    handle(&f,
	           "REGISTER sip:example.com SIP/2.0\n"
	           "To: sip:user@example.com\n"
	           "From: sip:user@example.com;tag=8\n"
	           "Max-Forwards: 70\n"
	           "Call-ID: regescrt.k345asrl3fdbv@192.0.2.1\n"
	           "CSeq: 14398234 REGISTER\n"
	           "Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bKe1\n"
	           "M: <sip:user@example.com?Route=%3Csip:sip.example.com%3E>\n"
	           "L:0\n\n",
	           SIP_TRANSP_UDP, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_STR_EQ("sip:user@example.com?Route=%3Csip:sip.example.com%3E",
	            nth(loc_find(f.loc, "user@example.com"), 0)->contact);
out:
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}

/* An Authorization header for user answering the challenge in rsp. */
static int answer(char *out, size_t size, const struct sip_msg *rsp,
                  const char *user, const char *pw, uint32_t nc)
{
	const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_WWW_AUTHENTICATE);
	char ha1[65], resp[65], ncs[9];
	struct parse_err pe;
	struct sip_auth ch;
	struct pl ncpl;
	int err, n;

	if (!h)
		return ENOENT;
	err = sip_auth_decode(&ch, &h->val, &pe);
	if (err)
		return err;
	err = auth_ha1(ha1, sizeof(ha1), "SHA-256", user, "example.com", pw);
	if (err)
		return err;
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	pl_set_str(&ncpl, ncs);
	err = auth_response(resp, sizeof(resp), "SHA-256", ha1, &ch.nonce,
	                    &ncpl, &PL("c0ffee"), &PL("auth"), &PL("REGISTER"),
	                    &PL("sip:example.com"));
	if (err)
		return err;
	n = snprintf(out, size,
	             "Authorization: Digest username=\"%s\", "
	             "realm=\"example.com\", nonce=\"%.*s\", "
	             "uri=\"sip:example.com\", response=\"%s\", "
	             "algorithm=SHA-256, cnonce=\"c0ffee\", qop=auth, nc=%s\n",
	             user, PL_PRINT(&ch.nonce), resp, ncs);
	return (n < 0 || (size_t)n >= size) ? ERANGE : 0;
}

TEST(test_reg_auth)
{
	const struct registrar_conf cf = {60, 3600, 3600, 10, true};
	struct rfx f;
	struct sip_msg *rsp = NULL, *ch = NULL;
	char hdrs[1024], a[512];
	int err;

	err = rfx_init(&f, &cf);
	TEST_ERR(err);
	err =
	    reg(&f, "alice", "c1", 1, "Contact: <sip:alice@192.0.2.1>\n", &ch);
	TEST_ERR(err);
	TEST_EQ(401, ch->scode);
	TEST_EQ(2, sip_msg_hdr_count(ch, SIP_HDR_WWW_AUTHENTICATE));
	TEST_EQ(0, loc_count(f.loc));

	err = answer(a, sizeof(a), ch, "alice", "wonderland", 1);
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Contact: <sip:alice@192.0.2.1>\n%s", a);
	err = reg(&f, "alice", "c1", 2, hdrs, &rsp);
	TEST_ERR(err);
	TEST_EQ(200, rsp->scode);
	TEST_EQ(1, nbind(&f, "alice@example.com"));
	rsp = mem_deref(rsp);

	/* bob's good credentials do not register alice */
	err = answer(a, sizeof(a), ch, "bob", "builder", 2);
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Contact: <sip:bob@192.0.2.5>\n%s", a);
	err = reg(&f, "alice", "c5", 1, hdrs, &rsp);
	TEST_ERR(err);
	TEST_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(1, nbind(&f, "alice@example.com"));

	/* a wrong password */
	err = answer(a, sizeof(a), ch, "alice", "rabbit", 3);
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Contact: <sip:evil@192.0.2.66>\n%s", a);
	err = reg(&f, "alice", "c6", 1, hdrs, &rsp);
	TEST_ERR(err);
	TEST_EQ(403, rsp->scode);
	rsp = mem_deref(rsp);
	TEST_EQ(1, nbind(&f, "alice@example.com"));

	/* RFC 4475 3.3.7 regaut01: an unknown scheme gets a challenge */
	err =
	    reg(&f, "alice", "c7", 1,
	        "Authorization: NoOneKnowsThisScheme opaque-data=here\n", &rsp);
	TEST_ERR(err);
	TEST_EQ(401, rsp->scode);
out:
	mem_deref(ch);
	mem_deref(rsp);
	rfx_close(&f);
	return err;
}
