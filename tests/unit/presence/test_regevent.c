/* tests/unit/presence/test_regevent.c - the reg event package (RFC 3680)
 * over the events framework, the location service and the recording
 * transport */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "event/evt.h"
#include "presence/regevent.h"
#include "presence/reginfo.h"
#include "proxy/location.h"
#include "sip/msg.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "test.h"

#define INST "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
#define BOB  "bob@example.com"

/*
 * In a --oom replay a failed allocation inside the framework is often
 * swallowed (a 500, a NOTIFY retried later or never), so an expectation
 * about the messages may not hold there: the checks below turn into
 * ENOMEM in a replay. A replay starts with mem_fail_count() == 0; a normal
 * run (other than the very first test of the process) has allocated
 * before. A failed check always fails a normal run.
 */
static uint32_t starts;
static bool replay;
#define RE_START() (replay = starts++ > 0 && mem_fail_count() == 0)
#define RE_ERR(e)                                                              \
	do {                                                                   \
		int re_e = (e);                                                \
		if (re_e) {                                                    \
			err = replay ? ENOMEM : re_e;                          \
			TEST_ERR(err);                                         \
		}                                                              \
	} while (0)
#define RE_ASSERT(c)                                                           \
	do {                                                                   \
		if (!(c)) {                                                    \
			if (replay) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_ASSERT(c);                                        \
		}                                                              \
	} while (0)
#define RE_EQ(a, b)     RE_ASSERT((long long)(a) == (long long)(b))
#define RE_STR_EQ(a, b) RE_ASSERT(!strcmp((a), (b)))

enum { SEEN_MAX = 32 };

struct rfx {
	struct tmrl *tl;
	struct store *st;
	struct loc *loc;
	struct rec_tp *rt;
	struct sip_tsxl *tsxl;
	struct evt *e;
	struct regevent *re;
	uint32_t next; /* first record not looked at yet */
	unsigned branch;
	char seen[SEEN_MAX][80]; /* "Call-ID CSeq" of NOTIFYs handled */
	unsigned nseen;
};

static void noreq_h(struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static int rfx_init(struct rfx *f)
{
	static const struct sip_timers timers = {500, 4000, 5000};
	const struct evt_conf ec = {60, 3600, 0, 3, 65536, 0, NULL};
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 0);
	if (!err)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = loc_alloc(&f->loc, f->st, f->tl);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tl, 64);
	if (!err)
		err = sip_tsxl_alloc(&f->tsxl, f->tl, rec_tp_ops(), f->rt,
		                     &timers, noreq_h, NULL);
	if (!err)
		err = evt_alloc(&f->e, &ec, f->tsxl, NULL);
	if (!err)
		err = regevent_alloc(&f->re, f->e, f->loc);
	return err;
}

static void rfx_close(struct rfx *f)
{
	/* evt and loc first: the regevent holds the last references */
	f->e = mem_deref(f->e);
	f->loc = mem_deref(f->loc);
	f->re = mem_deref(f->re);
	f->tsxl = mem_deref(f->tsxl);
	f->rt = mem_deref(f->rt);
	f->st = mem_deref(f->st);
	f->tl = mem_deref(f->tl);
}

/* Let zero-delay timers run. */
static void settle(struct rfx *f)
{
	tmrl_fake_advance(f->tl, 1);
}

/* SUBSCRIBE to bob's registrations as ident (NULL: unauthenticated) from
 * dialog callid; *scode: its final status. */
static int subscribe(struct rfx *f, const char *callid, const char *ident,
                     uint16_t *scode)
{
	struct sip_msg *msg = NULL, *rsp = NULL;
	struct sip_stsx *st = NULL;
	char text[1024];
	unsigned n = ++f->branch;
	uint32_t i, from;
	int err;

	snprintf(text, sizeof(text),
	         "SUBSCRIBE sip:" BOB " SIP/2.0\n"
	         "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKs%u\n"
	         "Max-Forwards: 70\n"
	         "From: <sip:%s>;tag=w%u\n"
	         "To: <sip:" BOB ">\n"
	         "Call-ID: %s\n"
	         "CSeq: 1 SUBSCRIBE\n"
	         "Contact: <sip:watcher@192.0.2.1:5060>\n"
	         "Event: reg\n"
	         "Accept: application/reginfo+xml\n"
	         "Expires: 3600\n"
	         "Content-Length: 0\n\n",
	         n, ident ? ident : "anon@example.net", n, callid);
	err = rec_msg(&msg, text, SIP_TRANSP_UDP, "192.0.2.1:5060");
	if (err)
		goto out;
	err = sip_stsx_alloc(&st, f->tsxl, msg);
	if (err)
		goto out;
	from = rec_tp_count(f->rt);
	evt_handle_subscribe(st, ident, f->e);
	st = sip_stsx_release(st);
	settle(f);

	err = ENOENT;
	for (i = from; i < rec_tp_count(f->rt); i++) {
		struct pl pl = rec_tp_pl(f->rt, i);

		if (pl.l < 12 || memcmp(pl.p, "SIP/2.0 ", 8) ||
		    !memcmp(pl.p, "SIP/2.0 1", 9))
			continue;
		err = rec_tp_decode(f->rt, i, &rsp);
		if (err)
			goto out;
		*scode = rsp->scode;
		break;
	}
out:
	mem_deref(rsp);
	sip_stsx_release(st);
	mem_deref(msg);
	return err;
}

enum { MAXC = 4 };

/* One NOTIFY as received. */
struct got {
	char callid[64];
	char substate[64];
	struct reginfo_info info;
	char aor[64], rid[32], rstate[16];
	unsigned n;
	struct {
		char id[32], state[16], event[16], uri[64], instance[64];
		uint32_t expires, q, reg_id, cseq;
	} c[MAXC];
};

static void cpy(char *d, size_t size, const char *s)
{
	snprintf(d, size, "%s", s ? s : "");
}

static void contact_h(const struct reginfo_reg *reg,
                      const struct reginfo_contact *c, void *arg)
{
	struct got *g = arg;

	cpy(g->aor, sizeof(g->aor), reg->aor);
	cpy(g->rid, sizeof(g->rid), reg->id);
	cpy(g->rstate, sizeof(g->rstate), reg->state);
	if (!c || g->n >= MAXC)
		return;
	cpy(g->c[g->n].id, sizeof(g->c[0].id), c->id);
	cpy(g->c[g->n].state, sizeof(g->c[0].state), c->state);
	cpy(g->c[g->n].event, sizeof(g->c[0].event), c->event);
	cpy(g->c[g->n].uri, sizeof(g->c[0].uri), c->uri);
	cpy(g->c[g->n].instance, sizeof(g->c[0].instance), c->instance);
	g->c[g->n].expires = c->expires;
	g->c[g->n].q = c->q;
	g->c[g->n].reg_id = c->reg_id;
	g->c[g->n].cseq = c->cseq;
	g->n++;
}

/* Answer request rec i with 200. */
static int answer(struct rfx *f, const struct sip_msg *req)
{
	struct sip_msg *rsp = NULL;
	struct buf *mb = NULL;
	char text[2048];
	int err;

	err = sip_resp_encode(&mb, req, 200, NULL, NULL, NULL, NULL);
	if (err)
		return err;
	if (mb->end >= sizeof(text)) {
		err = EMSGSIZE;
		goto out;
	}
	memcpy(text, mb->b, mb->end);
	text[mb->end] = '\0';
	err = rec_msg(&rsp, text, SIP_TRANSP_UDP, "192.0.2.1:5060");
	if (!err)
		err = sip_tsxl_recv(f->tsxl, rsp);
out:
	mem_deref(rsp);
	mem_deref(mb);
	return err;
}

/* Has a NOTIFY with req's Call-ID and CSeq been handled already? (If not,
 * it is now.) */
static bool seen_before(struct rfx *f, const struct sip_msg *req)
{
	char key[80];

	snprintf(key, sizeof(key), "%.*s %u", PL_PRINT(&req->callid),
	         req->cseq.num);
	for (unsigned i = 0; i < f->nseen; i++) {
		if (!strcmp(f->seen[i], key))
			return true;
	}
	if (f->nseen < SEEN_MAX)
		snprintf(f->seen[f->nseen++], sizeof(f->seen[0]), "%s", key);
	return false;
}

/* The next NOTIFY sent (after f->next): checked, parsed into g and
 * answered 200. ENOENT if there is none. */
static int notify_get(struct rfx *f, struct got *g)
{
	struct sip_msg *req = NULL;
	const struct sip_hdr *h;
	char e[128];
	int i, err;

	memset(g, 0, sizeof(*g));
	for (;;) {
		i = rec_tp_find(f->rt, f->next, "NOTIFY ");
		if (i < 0)
			return ENOENT;
		f->next = (uint32_t)i + 1;
		err = rec_tp_decode(f->rt, (uint32_t)i, &req);
		if (err)
			return err;
		if (!seen_before(f, req))
			break;
		req = mem_deref(req); /* a retransmission */
	}
	h = sip_msg_xhdr(req, "Event");
	if (!h || pl_strcmp(&h->val, "reg") ||
	    pl_strcmp(&req->ctype, REGINFO_CTYPE)) {
		err = EPROTO;
		goto out;
	}
	h = sip_msg_xhdr(req, "Subscription-State");
	if (h && pl_strcpy(&h->val, g->substate, sizeof(g->substate)))
		g->substate[0] = '\0';
	if (pl_strcpy(&req->callid, g->callid, sizeof(g->callid)))
		g->callid[0] = '\0';
	err = reginfo_doc_parse(req->body.p, req->body.l, &g->info, contact_h,
	                        g, e, sizeof(e));
	if (err) {
		if (err != ENOMEM)
			test_fail(__FILE__, __LINE__, "reginfo: %s", e);
		goto out;
	}
	err = answer(f, req);
out:
	mem_deref(req);
	return err;
}

/* Does NOTIFY g list contact uri? Its index, or -1. */
static int cfind(const struct got *g, const char *uri)
{
	for (unsigned i = 0; i < g->n; i++) {
		if (!strcmp(g->c[i].uri, uri))
			return (int)i;
	}
	return -1;
}

struct bspec {
	const char *contact;
	const char *instance;
	uint32_t reg_id;
	uint32_t ttl; /* s from now */
	uint32_t cseq;
	uint32_t q;
};

/* Bob's bindings become the n given (a REGISTER's effect). */
static int set_bindings(struct rfx *f, const struct bspec *bs, size_t n)
{
	struct list l;
	size_t i;
	int err = 0;

	list_init(&l);
	for (i = 0; !err && i < n; i++) {
		struct loc_binding t, *b;

		memset(&t, 0, sizeof(t));
		t.aor = BOB;
		t.contact = (char *)bs[i].contact;
		t.instance = (char *)bs[i].instance;
		t.reg_id = bs[i].reg_id;
		t.callid = "reg-call-1";
		t.cseq = bs[i].cseq;
		t.expires = tmrl_wallclock(f->tl) + bs[i].ttl;
		t.q = bs[i].q;
		err = loc_binding_alloc(&b, &t);
		if (!err)
			list_append(&l, &b->le, b);
	}
	if (!err)
		err = loc_replace(f->loc, BOB, &l, NULL, NULL);
	list_flush(&l);
	settle(f);
	return err;
}

#define CA "sip:bob@192.0.2.4:5060"
#define CB "sip:bob@198.51.100.7:5062;transport=tcp"

TEST(test_regevent_owner_flow)
{
	struct rfx f;
	struct got g;
	char id_a[32] = "", rid[32] = "";
	uint16_t sc = 0;
	int err, i;

	RE_START();
	err = rfx_init(&f);
	TEST_ERR(err);

	/* the owner subscribes: 200, then the full (empty) state */
	err = subscribe(&f, "regsub-1", BOB, &sc);
	RE_ERR(err);
	RE_EQ(200, sc);
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_ASSERT(!strncmp(g.substate, "active", 6));
	RE_ASSERT(g.info.full);
	RE_EQ(0, g.info.version);
	RE_STR_EQ("sip:" BOB, g.aor);
	RE_STR_EQ("init", g.rstate);
	RE_EQ(0, g.n);
	RE_ASSERT(g.rid[0]);
	cpy(rid, sizeof(rid), g.rid);

	/* a REGISTER adds a contact: partial, "registered" */
	{
		const struct bspec b[] = {{CA, INST, 1, 100, 1, 500}};

		err = set_bindings(&f, b, 1);
		RE_ERR(err);
	}
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_ASSERT(!g.info.full);
	RE_EQ(1, g.info.version);
	RE_STR_EQ(rid, g.rid); /* stable */
	RE_STR_EQ("active", g.rstate);
	RE_EQ(1, g.n);
	RE_STR_EQ(CA, g.c[0].uri);
	RE_STR_EQ("active", g.c[0].state);
	RE_STR_EQ("registered", g.c[0].event);
	RE_EQ(100, g.c[0].expires);
	RE_EQ(500, g.c[0].q);
	RE_EQ(1, g.c[0].reg_id);
	RE_EQ(1, g.c[0].cseq);
	RE_STR_EQ(INST, g.c[0].instance);
	cpy(id_a, sizeof(id_a), g.c[0].id);

	/* 10 s later a refresh for 100 s: "refreshed", same id */
	tmrl_fake_advance(f.tl, 10000);
	{
		const struct bspec b[] = {{CA, INST, 1, 100, 2, 500}};

		err = set_bindings(&f, b, 1);
		RE_ERR(err);
	}
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_EQ(2, g.info.version);
	RE_EQ(1, g.n);
	RE_STR_EQ(id_a, g.c[0].id);
	RE_STR_EQ("refreshed", g.c[0].event);
	RE_EQ(100, g.c[0].expires);

	/* a shorter expiry: "shortened" */
	{
		const struct bspec b[] = {{CA, INST, 1, 50, 3, 500}};

		err = set_bindings(&f, b, 1);
		RE_ERR(err);
	}
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_EQ(3, g.info.version);
	RE_EQ(1, g.n);
	RE_STR_EQ("shortened", g.c[0].event);
	RE_EQ(50, g.c[0].expires);

	/* a second contact: only it is in the partial document */
	{
		const struct bspec b[] = {{CA, INST, 1, 50, 3, 500},
		                          {CB, NULL, 0, 30, 1, 0}};

		err = set_bindings(&f, b, 2);
		RE_ERR(err);
	}
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_EQ(4, g.info.version);
	RE_EQ(1, g.n);
	RE_STR_EQ(CB, g.c[0].uri);
	RE_STR_EQ("registered", g.c[0].event);
	RE_STR_EQ("", g.c[0].instance);
	RE_ASSERT(strcmp(id_a, g.c[0].id));

	/* the first one is removed before it expires: "unregistered" */
	{
		const struct bspec b[] = {{CB, NULL, 0, 30, 1, 0}};

		err = set_bindings(&f, b, 1);
		RE_ERR(err);
	}
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_EQ(5, g.info.version);
	RE_STR_EQ("active", g.rstate);
	RE_EQ(1, g.n);
	RE_STR_EQ(CA, g.c[0].uri);
	RE_STR_EQ(id_a, g.c[0].id);
	RE_STR_EQ("terminated", g.c[0].state);
	RE_STR_EQ("unregistered", g.c[0].event);

	/* the second one runs out on the clock: "expired", and the
	 * registration is over */
	tmrl_fake_advance(f.tl, 31000);
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_EQ(6, g.info.version);
	RE_ASSERT(!g.info.full);
	RE_STR_EQ("terminated", g.rstate);
	RE_EQ(1, g.n);
	i = cfind(&g, CB);
	RE_EQ(0, i);
	RE_STR_EQ("terminated", g.c[0].state);
	RE_STR_EQ("expired", g.c[0].event);
	RE_EQ(0, g.c[0].expires);
	RE_ASSERT(notify_get(&f, &g) == ENOENT);
out:
	rfx_close(&f);
	return err;
}

TEST(test_regevent_full_state)
{
	const struct bspec b[] = {{CA, INST, 1, 600, 7, 1000},
	                          {CB, NULL, 0, 300, 2, 250}};
	struct rfx f;
	struct got g, g2;
	uint16_t sc = 0;
	int err, ia, ib;

	RE_START();
	err = rfx_init(&f);
	TEST_ERR(err);
	err = set_bindings(&f, b, 2);
	RE_ERR(err);

	err = subscribe(&f, "regsub-2", BOB, &sc);
	RE_ERR(err);
	RE_EQ(200, sc);
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_ASSERT(g.info.full);
	RE_EQ(0, g.info.version);
	RE_STR_EQ("active", g.rstate);
	RE_EQ(2, g.n);
	ia = cfind(&g, CA);
	ib = cfind(&g, CB);
	RE_ASSERT(ia >= 0 && ib >= 0);
	RE_STR_EQ("registered", g.c[ia].event);
	RE_STR_EQ("registered", g.c[ib].event);
	RE_STR_EQ("active", g.c[ia].state);
	RE_EQ(600, g.c[ia].expires);
	RE_EQ(300, g.c[ib].expires);
	RE_EQ(1000, g.c[ia].q);
	RE_EQ(250, g.c[ib].q);
	RE_STR_EQ(INST, g.c[ia].instance);
	RE_ASSERT(strcmp(g.c[ia].id, g.c[ib].id));

	/* another subscription of the owner sees the same ids */
	err = subscribe(&f, "regsub-3", BOB, &sc);
	RE_ERR(err);
	RE_EQ(200, sc);
	err = notify_get(&f, &g2);
	RE_ERR(err);
	RE_ASSERT(g2.info.full);
	RE_STR_EQ(g.rid, g2.rid);
	RE_EQ(2, g2.n);
	RE_STR_EQ(g.c[ia].id, g2.c[cfind(&g2, CA)].id);
	RE_STR_EQ(g.c[ib].id, g2.c[cfind(&g2, CB)].id);

	/* a change reaches both: one partial NOTIFY each */
	err = set_bindings(&f, b, 1);
	RE_ERR(err);
	err = notify_get(&f, &g);
	RE_ERR(err);
	err = notify_get(&f, &g2);
	RE_ERR(err);
	RE_ASSERT(strcmp(g.callid, g2.callid));
	RE_ASSERT(!g.info.full && !g2.info.full);
	RE_EQ(1, g.info.version);
	RE_EQ(1, g2.info.version);
	RE_EQ(1, g.n);
	RE_EQ(1, g2.n);
	RE_STR_EQ("unregistered", g.c[0].event);
	RE_STR_EQ(CB, g2.c[0].uri);
out:
	rfx_close(&f);
	return err;
}

TEST(test_regevent_not_owner)
{
	struct rfx f;
	struct got g;
	uint16_t sc = 0;
	int err;

	RE_START();
	err = rfx_init(&f);
	TEST_ERR(err);

	err = subscribe(&f, "regsub-4", "alice@example.com", &sc);
	RE_ERR(err);
	RE_EQ(403, sc);
	err = subscribe(&f, "regsub-5", NULL, &sc);
	RE_ERR(err);
	RE_EQ(403, sc);
	/* the same user of another domain is someone else */
	err = subscribe(&f, "regsub-6", "bob@example.net", &sc);
	RE_ERR(err);
	RE_EQ(403, sc);
	/* the domain compares without case */
	err = subscribe(&f, "regsub-7", "bob@EXAMPLE.com", &sc);
	RE_ERR(err);
	RE_EQ(200, sc);
	err = notify_get(&f, &g);
	RE_ERR(err);
	RE_STR_EQ("regsub-7", g.callid);
	RE_ASSERT(notify_get(&f, &g) == ENOENT);
	RE_EQ(1, evt_sub_count(f.e, "reg"));
out:
	rfx_close(&f);
	return err;
}

TEST(test_regevent_alloc_args)
{
	struct regevent *re = NULL;
	struct rfx f;
	int err;

	err = rfx_init(&f);
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, regevent_alloc(NULL, f.e, f.loc));
	TEST_ERR_EQ(EINVAL, regevent_alloc(&re, NULL, f.loc));
	TEST_ERR_EQ(EINVAL, regevent_alloc(&re, f.e, NULL));
	/* the package is there once */
	TEST_ERR_EQ(EEXIST, regevent_alloc(&re, f.e, f.loc));
	TEST_ASSERT(re == NULL);
	TEST_ASSERT(strstr(evt_allow_events(f.e), "reg") != NULL);
	err = 0;
out:
	rfx_close(&f);
	return err;
}
