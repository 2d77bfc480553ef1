/* tests/unit/proxy/test_location.c - location service (RFC 3261 10, 5627) */
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "proxy/location.h"
#include "proxy/reg_int.h"
#include "sip/msg.h"
#include "store/store.h"
#include "test.h"

struct lfx {
	struct tmrl *tl;
	struct store *st;
	struct loc *loc;
};

static int lfx_init(struct lfx *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 1000);
	if (!err)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = loc_alloc(&f->loc, f->st, f->tl);
	return err;
}

static void lfx_close(struct lfx *f)
{
	f->loc = mem_deref(f->loc);
	f->st = mem_deref(f->st);
	f->tl = mem_deref(f->tl);
}

/* Append a binding for aor to l, expiring ttl seconds from now. */
static int mk(struct lfx *f, struct list *l, const char *aor,
              const char *contact, uint32_t q, uint64_t ttl,
              const char *instance, const char *tgruu)
{
	struct loc_binding t, *b;
	int err;

	memset(&t, 0, sizeof(t));
	t.aor = (char *)aor;
	t.contact = (char *)contact;
	t.instance = (char *)instance;
	t.callid = "cid-1";
	t.cseq = 1;
	t.expires = tmrl_wallclock(f->tl) + ttl;
	t.q = q;
	t.temp_gruu = (char *)tgruu;
	t.rx_tp = SIP_TRANSP_TCP;
	err = sa_set_str(&t.rx_addr, "192.0.2.7", 40000);
	if (err)
		return err;
	err = loc_binding_alloc(&b, &t);
	if (err)
		return err;
	list_append(l, &b->le, b);
	return 0;
}

struct done_rec {
	int n;
	int err;
};

static void done_h(int err, void *arg)
{
	struct done_rec *d = arg;

	d->n++;
	d->err = err;
}

static int replace(struct lfx *f, const char *aor, struct list *l)
{
	struct done_rec *d = mem_zalloc(sizeof(*d), NULL);
	int err;

	if (!d)
		return ENOMEM;
	err = loc_replace(f->loc, aor, l, done_h, d);
	if (err) {
		list_flush(l);
		goto out;
	}
	/* mem: store without a loop completes inline */
	if (d->n != 1) {
		test_fail(__FILE__, __LINE__, "done ran %d times", d->n);
		err = EINVAL;
		goto out;
	}
	err = d->err;
out:
	mem_deref(d);
	return err;
}

static const struct loc_binding *nth(const struct list *l, unsigned i)
{
	const struct le *le = list_head(l);

	while (le && i--)
		le = le->next;
	return le ? le->data : NULL;
}

static void count_h(const struct store_binding *b, void *arg)
{
	(void)b;
	(*(unsigned *)arg)++;
}

static unsigned stored(struct lfx *f, const char *aor)
{
	unsigned n = 0;

	if (store_reg_list(f->st, aor, count_h, &n))
		return 9999;
	return n;
}

static int uri(struct sip_uri *u, const char *s)
{
	struct parse_err pe;
	struct pl pl;

	pl_set_str(&pl, s);
	return sip_uri_decode(u, &pl, &pe);
}

TEST(test_loc_aor_print)
{
	struct sip_uri u;
	char buf[128];
	int err;

	err = uri(&u, "sip:Al%69ce@EXAMPLE.com:5070;transport=tcp");
	TEST_ERR(err);
	err = loc_aor_print(&u, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("Alice@example.com", buf);

	/* RFC 4475 3.1.1.4: %00 stays escaped (keys are C strings) */
	err = uri(&u, "sip:null-%00-null@example.com");
	TEST_ERR(err);
	err = loc_aor_print(&u, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("null-%00-null@example.com", buf);

	err = uri(&u, "sip:a%40b@example.com"); /* '@' stays escaped */
	TEST_ERR(err);
	err = loc_aor_print(&u, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("a%40b@example.com", buf);

	err = uri(&u, "sips:bob@[2001:DB8::1]:5061");
	TEST_ERR(err);
	err = loc_aor_print(&u, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("bob@[2001:db8::1]", buf);

	err = uri(&u, "sip:example.com");
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL, loc_aor_print(&u, buf, sizeof(buf)));
	err = uri(&u, "sip:alice@example.com");
	TEST_ERR(err);
	TEST_ERR_EQ(ERANGE, loc_aor_print(&u, buf, 10));
	err = 0;
out:
	return err;
}

TEST(test_loc_rx_print)
{
	enum sip_transp tp;
	struct sa a, b;
	char buf[80];
	int err;

	err = sa_set_str(&a, "2001:db8::9", 5062);
	TEST_ERR(err);
	err = loc_rx_print(SIP_TRANSP_TLS, &a, buf, sizeof(buf));
	TEST_ERR(err);
	TEST_STR_EQ("tls:[2001:db8::9]:5062", buf);
	err = loc_rx_decode(buf, &tp, &b);
	TEST_ERR(err);
	TEST_EQ(SIP_TRANSP_TLS, tp);
	TEST_ASSERT(sa_cmp(&a, &b));
	TEST_ERR_EQ(EINVAL, loc_rx_decode("sctp:1.2.3.4:5", &tp, &b));
	err = 0;
out:
	return err;
}

TEST(test_loc_replace_order)
{
	struct lfx f;
	struct list l = LIST_INIT;
	const struct list *bl;
	int err;

	err = lfx_init(&f);
	TEST_ERR(err);
	TEST_EQ(0, loc_count(f.loc));
	TEST_ASSERT(loc_find(f.loc, "alice@example.com") == NULL);

	err = mk(&f, &l, "alice@example.com", "sip:vm@example.com", 100, 3600,
	         "", "");
	TEST_ERR(err);
	err = mk(&f, &l, "alice@example.com", "sip:a1@192.0.2.7", 1000, 3600,
	         "", "");
	TEST_ERR(err);
	err = mk(&f, &l, "alice@example.com", "sip:a2@192.0.2.8", 500, 3600, "",
	         "");
	TEST_ERR(err);
	err = mk(&f, &l, "alice@example.com", "sip:a3@192.0.2.9", 1000, 3600,
	         "", "");
	TEST_ERR(err);
	err = replace(&f, "alice@example.com", &l);
	TEST_ERR(err);
	TEST_EQ(0, list_count(&l)); /* moved in */

	bl = loc_find(f.loc, "alice@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(4, list_count(bl));
	TEST_EQ(4, loc_count(f.loc));
	/* q descending; equal q keep the given (newest first) order */
	TEST_STR_EQ("sip:a1@192.0.2.7", nth(bl, 0)->contact);
	TEST_STR_EQ("sip:a3@192.0.2.9", nth(bl, 1)->contact);
	TEST_STR_EQ("sip:a2@192.0.2.8", nth(bl, 2)->contact);
	TEST_STR_EQ("sip:vm@example.com", nth(bl, 3)->contact);
	TEST_EQ(SIP_TRANSP_TCP, nth(bl, 0)->rx_tp);
	TEST_EQ(4, stored(&f, "alice@example.com"));

	/* replace with one, then with none */
	err = mk(&f, &l, "alice@example.com", "sip:a9@192.0.2.9", 1000, 60, "",
	         "");
	TEST_ERR(err);
	err = replace(&f, "alice@example.com", &l);
	TEST_ERR(err);
	bl = loc_find(f.loc, "alice@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(1, list_count(bl));
	TEST_EQ(1, loc_count(f.loc));
	TEST_EQ(1, stored(&f, "alice@example.com"));

	err = replace(&f, "alice@example.com", &l);
	TEST_ERR(err);
	TEST_ASSERT(loc_find(f.loc, "alice@example.com") == NULL);
	TEST_EQ(0, loc_count(f.loc));
	TEST_EQ(0, stored(&f, "alice@example.com"));
	TEST_EQ(0, tmrl_count(f.tl));
out:
	list_flush(&l);
	lfx_close(&f);
	return err;
}

struct watch_rec {
	unsigned n;
	char last[64];
};

static void watch_h(const char *aor, void *arg)
{
	struct watch_rec *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", aor);
}

TEST(test_loc_expiry)
{
	struct lfx f;
	struct list l = LIST_INIT;
	struct watch_rec w = {0, ""};
	const struct list *bl;
	int err;

	err = lfx_init(&f);
	TEST_ERR(err);
	err = loc_watch(f.loc, watch_h, &w);
	TEST_ERR(err);

	err =
	    mk(&f, &l, "bob@example.com", "sip:b1@192.0.2.1", 1000, 60, "", "");
	TEST_ERR(err);
	err = mk(&f, &l, "bob@example.com", "sip:b2@192.0.2.2", 1000, 120, "",
	         "");
	TEST_ERR(err);
	err = replace(&f, "bob@example.com", &l);
	TEST_ERR(err);
	TEST_EQ(1, w.n);
	TEST_STR_EQ("bob@example.com", w.last);
	TEST_EQ(1, tmrl_count(f.tl)); /* one timer per AoR */

	tmrl_fake_advance(f.tl, 59000);
	TEST_EQ(2, loc_count(f.loc));
	tmrl_fake_advance(f.tl, 1000);
	bl = loc_find(f.loc, "bob@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(1, list_count(bl));
	TEST_STR_EQ("sip:b2@192.0.2.2", nth(bl, 0)->contact);
	TEST_EQ(2, w.n);
	/* written through (a write that could not be queued is retried a
	 * second later) */
	tmrl_fake_advance(f.tl, 1000);
	TEST_EQ(1, stored(&f, "bob@example.com"));

	tmrl_fake_advance(f.tl, 59000);
	TEST_ASSERT(loc_find(f.loc, "bob@example.com") == NULL);
	TEST_EQ(0, loc_count(f.loc));
	TEST_EQ(3, w.n);
	tmrl_fake_advance(f.tl, 1000);
	TEST_EQ(0, stored(&f, "bob@example.com"));
	TEST_EQ(0, tmrl_count(f.tl));
out:
	list_flush(&l);
	lfx_close(&f);
	return err;
}

TEST(test_loc_reload)
{
	struct lfx f;
	struct loc *loc2 = NULL;
	struct list l = LIST_INIT;
	const struct list *bl;
	struct sip_uri u;
	int err;

	err = lfx_init(&f);
	TEST_ERR(err);
	err = mk(&f, &l, "carol@example.com", "sip:c1@192.0.2.1", 1000, 10, "",
	         "");
	TEST_ERR(err);
	err = mk(&f, &l, "carol@example.com", "sip:c2@192.0.2.2", 300, 3600,
	         "urn:uuid:00000000-0000-1000-8000-000A95A0E128", "tok123");
	TEST_ERR(err);
	err = mk(&f, &l, "carol@example.com", "sip:c3@192.0.2.3", 700, 3600, "",
	         "");
	TEST_ERR(err);
	err = replace(&f, "carol@example.com", &l);
	TEST_ERR(err);

	/* "restart": a second service on the same store, 20 s later; the
	 * first one's timers are not run */
	f.loc = mem_deref(f.loc);
	tmrl_fake_advance(f.tl, 20000);
	err = loc_alloc(&loc2, f.st, f.tl);
	TEST_ERR(err);
	bl = loc_find(loc2, "carol@example.com");
	TEST_ASSERT(bl != NULL);
	TEST_EQ(2, list_count(bl)); /* the expired one is dropped */
	TEST_STR_EQ("sip:c3@192.0.2.3", nth(bl, 0)->contact);
	TEST_STR_EQ("sip:c2@192.0.2.2", nth(bl, 1)->contact);
	TEST_EQ(300, nth(bl, 1)->q);
	TEST_EQ(SIP_TRANSP_TCP, nth(bl, 1)->rx_tp);
	TEST_EQ(40000, sa_port(&nth(bl, 1)->rx_addr));
	TEST_STR_EQ("cid-1", nth(bl, 1)->callid);
	TEST_EQ(2, loc_count(loc2));

	err = uri(&u, "sip:tok123@example.com;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(loc2, &u) == nth(bl, 1));

	tmrl_fake_advance(f.tl, 3600 * 1000);
	TEST_EQ(0, loc_count(loc2));
	TEST_ASSERT(loc_find_gruu(loc2, &u) == NULL);
out:
	list_flush(&l);
	mem_deref(loc2);
	lfx_close(&f);
	return err;
}

TEST(test_loc_gruu)
{
	static const char i1[] =
	    "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
	static const char i2[] =
	    "urn:uuid:11111111-2222-3333-4444-555555555555";
	struct lfx f;
	struct list l = LIST_INIT;
	const struct list *bl;
	struct sip_uri u;
	int err;

	err = lfx_init(&f);
	TEST_ERR(err);
	err = mk(&f, &l, "dave@example.com", "sip:d1@192.0.2.1", 1000, 600, i1,
	         "tgA");
	TEST_ERR(err);
	err = mk(&f, &l, "dave@example.com", "sip:d2@192.0.2.2", 1000, 600, i2,
	         "tgB");
	TEST_ERR(err);
	err = mk(&f, &l, "dave@example.com", "sip:d3@192.0.2.3", 1000, 600, "",
	         "");
	TEST_ERR(err);
	err = replace(&f, "dave@example.com", &l);
	TEST_ERR(err);
	bl = loc_find(f.loc, "dave@example.com");
	TEST_ASSERT(bl != NULL);

	err = uri(&u, "sip:dave@example.com;gr=urn:uuid:11111111-2222-3333-"
	              "4444-555555555555");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == nth(bl, 1));
	err = uri(&u, "sip:dave@EXAMPLE.com;gr=urn:uuid:f81d4fae-7dec-11d0-"
	              "a765-00a0c91e6bf6");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == nth(bl, 0));
	/* escaped gr value */
	err = uri(&u, "sip:dave@example.com;gr=urn%3Auuid%3Af81d4fae-7dec-"
	              "11d0-a765-00a0c91e6bf6");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == nth(bl, 0));

	err = uri(&u, "sip:dave@example.com;gr=urn:uuid:nope");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);
	err = uri(&u, "sip:eve@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-"
	              "a765-00a0c91e6bf6");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);
	err = uri(&u, "sip:dave@example.com");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);

	/* temporary */
	err = uri(&u, "sip:tgB@example.com;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == nth(bl, 1));
	err = uri(&u, "sip:tgB@other.example;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);
	err = uri(&u, "sip:tgC@example.com;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);

	/* after a replace without it, the old token is gone */
	err = mk(&f, &l, "dave@example.com", "sip:d1@192.0.2.1", 1000, 600, i1,
	         "tgA");
	TEST_ERR(err);
	err = replace(&f, "dave@example.com", &l);
	TEST_ERR(err);
	err = uri(&u, "sip:tgB@example.com;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) == NULL);
	err = uri(&u, "sip:tgA@example.com;gr");
	TEST_ERR(err);
	TEST_ASSERT(loc_find_gruu(f.loc, &u) != NULL);
out:
	list_flush(&l);
	lfx_close(&f);
	return err;
}

/* Memory of the location service per binding: 20k AoRs of one contact
 * each, loaded from the store (so the store's own copies are not
 * counted). No --oom: 20k allocation points. */
TEST_NO_OOM(test_loc_memory)
{
	enum { N = 20000 };
	struct lfx f;
	struct loc *loc2 = NULL;
	struct mem_stat before, after;
	size_t per, blocks;
	int err;

	err = lfx_init(&f);
	TEST_ERR(err);
	for (unsigned i = 0; i < N; i++) {
		char aor[64], contact[96];
		struct store_binding sb;

		memset(&sb, 0, sizeof(sb));
		snprintf(aor, sizeof(aor), "user%u@example.com", i);
		snprintf(contact, sizeof(contact),
		         "sip:user%u@192.0.2.%u:5060;transport=tcp", i,
		         i % 250);
		sb.aor = aor;
		sb.contact = contact;
		sb.instance = "";
		sb.callid = "3848276298220188511@192.0.2.1";
		sb.cseq = 1;
		sb.expires = tmrl_wallclock(f.tl) + 3600;
		sb.q = 1000;
		sb.path = "";
		sb.received = "tcp:192.0.2.1:40000";
		sb.params = "";
		sb.user_agent = "";
		sb.temp_gruu = "";
		err = store_reg_replace_sync(f.st, aor, &sb, 1);
		TEST_ERR(err);
	}
	mem_stat_get(&before);
	err = loc_alloc(&loc2, f.st, f.tl);
	TEST_ERR(err);
	mem_stat_get(&after);
	TEST_EQ(N, loc_count(loc2));
	per = (after.bytes - before.bytes) / N;
	blocks = (after.blocks - before.blocks) / N;
	log_msg("test", LOG_LVL_INFO, NULL,
	        "%zu bytes in %zu blocks per binding", per, blocks);
	/* struct loc_binding with its sockaddr is 256 octets; strings ~110
	 * here; AoR entry, GRUU link, timer slot and hash heads the rest */
	TEST_ASSERT(per < 650);
	TEST_ASSERT(blocks <= 2);
out:
	mem_deref(loc2);
	lfx_close(&f);
	return err;
}
