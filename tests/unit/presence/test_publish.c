/* tests/unit/presence/test_publish.c - PUBLISH (RFC 3903) for presence */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/list.h"
#include "base/tmr.h"
#include "pres_fix.h"
#include "presence/pidf.h"
#include "presence/presence_int.h"
#include "store/store.h"
#include "store/store_int.h"

#define BOB   "bob@example.com"
#define ALICE "alice@example.com"

/* --- what the store holds --- */

struct pubs_seen {
	uint32_t n;
	char etag[64];
	char publisher[64];
	char body[2048];
	uint64_t expires;
};

static void pub_h(const struct store_pub *p, void *arg)
{
	struct pubs_seen *s = arg;

	s->n++;
	snprintf(s->etag, sizeof(s->etag), "%s", p->etag);
	snprintf(s->publisher, sizeof(s->publisher), "%s", p->publisher);
	snprintf(s->body, sizeof(s->body), "%.*s", (int)p->len, p->body);
	s->expires = p->expires;
}

static int stored(struct pfx *f, struct pubs_seen *s)
{
	memset(s, 0, sizeof(*s));
	return store_pub_list(f->st, pub_h, s);
}

/* The first live publication of aor, or NULL. */
static struct ppub *pub_of(struct pfx *f, const char *aor)
{
	struct pent *pe = pres_pent_find(f->pres, aor);

	return pe ? list_ledata(list_head(&pe->pubs)) : NULL;
}

static bool pub_note_is(struct pfx *f, const char *aor, const char *note)
{
	const struct ppub *pub = pub_of(f, aor);
	const char *n = pub ? pidf_note(pub->doc) : NULL;

	return n && !strcmp(n, note);
}

static uint32_t npubs(struct pfx *f)
{
	struct pres_stats s;

	pres_stats_get(f->pres, &s);
	return s.publications;
}

static bool reason_is(const struct sip_msg *rsp, const char *prefix)
{
	return rsp && rsp->reason.l >= strlen(prefix) &&
	       !memcmp(rsp->reason.p, prefix, strlen(prefix));
}

static bool hdr_is(const struct sip_msg *rsp, enum sip_hdrid id,
                   const char *val)
{
	const struct sip_hdr *h = rsp ? sip_msg_hdr(rsp, id) : NULL;

	return h && !pl_strcasecmp(&h->val, val);
}

TEST(test_pres_pub_initial)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pubs_seen ps;
	struct pres_stats st;
	const struct sip_hdr *h;
	char doc[1024];
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "at my desk", NULL);
	TEST_ERR(err);
	err = pfx_publish(&f, BOB, NULL, BOB, "Event: presence\nExpires: 600\n",
	                  NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(600, rsp->expires);
	h = sip_msg_hdr(rsp, SIP_HDR_SIP_ETAG);
	PFX_ASSERT(h && h->val.l >= 8);

	pres_stats_get(f.pres, &st);
	PFX_EQ(1, st.publications);
	PFX_EQ(1, st.presentities);
	/* committed before the 200 */
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(1, ps.n);
	PFX_ASSERT(!pl_strcmp(&h->val, ps.etag));
	PFX_ASSERT(!strcmp(ps.publisher, BOB));
	PFX_ASSERT(strstr(ps.body, "at my desk") != NULL);
	PFX_EQ(tmrl_wallclock(f.tl) + 600, ps.expires);
	PFX_ASSERT(pub_of(&f, BOB) &&
	           pub_of(&f, BOB)->kind == PRES_SRC_PUBLISH);

	/* no Expires: the default; longer than the maximum: shortened */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(3600, rsp->expires);
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB,
	                  "Event: presence\nExpires: 90000\n", NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(3600, rsp->expires);
	PFX_EQ(3, npubs(&f));
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

TEST(test_pres_pub_refresh_modify_remove)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pubs_seen ps;
	char doc[1024], hdrs[256], tag1[64], tag2[64], tag3[64];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "first", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, "Event: presence\nExpires: 120\n", doc, &sc,
	              tag1);
	PFX_ERR(err);
	PFX_EQ(200, sc);

	/* refresh: If-Match without body: new tag, new expiry, same doc */
	tmrl_fake_advance(f.tl, 100000);
	snprintf(hdrs, sizeof(hdrs),
	         "Event: presence\nExpires: 120\nSIP-If-Match: %s\n", tag1);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL, NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(120, rsp->expires);
	PFX_ASSERT(sip_msg_hdr(rsp, SIP_HDR_SIP_ETAG));
	err = pl_strcpy(&sip_msg_hdr(rsp, SIP_HDR_SIP_ETAG)->val, tag2,
	                sizeof(tag2));
	PFX_ERR(err);
	PFX_ASSERT(strcmp(tag1, tag2));
	PFX_ASSERT(pub_of(&f, BOB));
	PFX_ASSERT(pub_note_is(&f, BOB, "first"));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(1, ps.n);
	PFX_ASSERT(!strcmp(ps.etag, tag2));
	PFX_EQ(tmrl_wallclock(f.tl) + 120, ps.expires);
	PFX_ASSERT(strstr(ps.body, "first") != NULL);
	/* the refresh moved the expiry: still there after the first 120 s */
	tmrl_fake_advance(f.tl, 60000);
	PFX_EQ(1, npubs(&f));

	/* the old tag is gone */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL, NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(412, rsp->scode);

	/* modify: If-Match with a body */
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "second", "away");
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs),
	         "Event: presence\nExpires: 300\nSIP-If-Match: %s\n", tag2);
	err = pfx_pub(&f, BOB, BOB, hdrs, doc, &sc, tag3);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	PFX_ASSERT(strcmp(tag3, tag2));
	PFX_ASSERT(pub_note_is(&f, BOB, "second"));
	PFX_EQ(PRES_AVAIL_AWAY, pidf_avail(pub_of(&f, BOB)->doc));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(1, ps.n);
	PFX_ASSERT(!strcmp(ps.etag, tag3));
	PFX_ASSERT(strstr(ps.body, "second") != NULL);

	/* remove: If-Match with Expires: 0 */
	rsp = mem_deref(rsp);
	snprintf(hdrs, sizeof(hdrs),
	         "Event: presence\nExpires: 0\nSIP-If-Match: %s\n", tag3);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL, NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(0, rsp->expires);
	PFX_EQ(0, npubs(&f));
	PFX_ASSERT(!pub_of(&f, BOB));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(0, ps.n);
	/* and the tag is no more */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL, NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(412, rsp->scode);
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

TEST(test_pres_pub_rejects)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pres_conf cf;
	char doc[1024], big[6000];
	int err;

	PFX_START();
	pfx_conf(&cf);
	cf.max_doc = 2048;
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);

	/* 412: no such publication */
	err = pfx_publish(&f, BOB, NULL, BOB,
	                  "Event: presence\nSIP-If-Match: nosuchtag\n", NULL,
	                  NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(412, rsp->scode);
	/* 423 with Min-Expires */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, "Event: presence\nExpires: 30\n",
	                  NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(423, rsp->scode);
	PFX_ASSERT(hdr_is(rsp, SIP_HDR_MIN_EXPIRES, "60"));
	/* 489: another package, or none */
	rsp = mem_deref(rsp);
	err =
	    pfx_publish(&f, BOB, NULL, BOB, "Event: dialog\n", NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(489, rsp->scode);
	PFX_ASSERT(hdr_is(rsp, SIP_HDR_ALLOW_EVENTS, "presence"));
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, "Expires: 60\n", NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(489, rsp->scode);
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, "Event: presence.winfo\n", NULL,
	                  doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(489, rsp->scode);
	/* 415 with Accept */
	rsp = mem_deref(rsp);
	err =
	    pfx_publish(&f, BOB, NULL, BOB, NULL, "text/plain", "hello", &rsp);
	PFX_ERR(err);
	PFX_EQ(415, rsp->scode);
	PFX_ASSERT(hdr_is(rsp, SIP_HDR_ACCEPT, "application/pidf+xml"));
	/* parameters of the type are fine */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL,
	                  "Application/PIDF+XML; charset=UTF-8", doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	/* 413 */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, NULL, NULL);
	TEST_ERR(err);
	{
		char *bigdoc = NULL;

		bigdoc = mem_alloc(strlen(doc) + sizeof(big) + 64, NULL);
		if (!bigdoc) {
			err = ENOMEM;
			goto out;
		}
		snprintf(bigdoc, strlen(doc) + sizeof(big) + 64,
		         "%s<!-- %s -->\n", doc, big);
		rsp = mem_deref(rsp);
		err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL, bigdoc, &rsp);
		mem_deref(bigdoc);
		PFX_ERR(err);
		PFX_EQ(413, rsp->scode);
	}
	/* 400: initial without body */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL, NULL, &rsp);
	PFX_ERR(err);
	PFX_EQ(400, rsp->scode);
	PFX_ASSERT(reason_is(rsp, "Missing body"));
	/* 400: not PIDF */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL,
	                  "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	                  "entity=\"pres:bob@example.com\">\n<tuple>\n",
	                  &rsp);
	PFX_ERR(err);
	PFX_EQ(400, rsp->scode);
	PFX_ASSERT(reason_is(rsp, "Bad PIDF: "));
	PFX_ASSERT(rsp->reason.l <= 110);
	/* only the good one is live */
	PFX_EQ(1, npubs(&f));
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

/* A modification that does not parse leaves the previous state. */
TEST(test_pres_pub_bad_keeps_state)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pubs_seen ps;
	char doc[1024], hdrs[256], tag[64];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "kept", NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL,
	                  "<presence xmlns=\"urn:example:not-pidf\" "
	                  "entity=\"pres:bob@example.com\"/>",
	                  &rsp);
	PFX_ERR(err);
	PFX_EQ(400, rsp->scode);
	PFX_ASSERT(reason_is(rsp, "Bad PIDF: "));
	for (size_t i = 0; i < rsp->reason.l; i++)
		PFX_ASSERT(rsp->reason.p[i] >= 0x20);
	PFX_ASSERT(pub_of(&f, BOB));
	PFX_ASSERT(pub_note_is(&f, BOB, "kept"));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(1, ps.n);
	PFX_ASSERT(!strcmp(ps.etag, tag));
	/* the tag still works */
	err = pfx_pub(&f, BOB, BOB, hdrs, NULL, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

TEST(test_pres_pub_publishers)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pres_conf cf;
	struct pubs_seen ps;
	char doc[1024];
	int err;

	PFX_START();
	pfx_conf(&cf);
	cf.trusted = "calendar@EXAMPLE.com , sip:gw@other.net";
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "cal", false, "meeting", NULL);
	TEST_ERR(err);

	/* another user may not publish for bob */
	err = pfx_publish(&f, ALICE, NULL, BOB, NULL, NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(403, rsp->scode);
	PFX_ASSERT(
	    reason_is(rsp, "Not allowed to publish for this presentity"));
	/* nor an unauthenticated From of someone else */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, NULL, "carol@example.com", BOB, NULL, NULL, doc,
	                  &rsp);
	PFX_ERR(err);
	PFX_EQ(403, rsp->scode);
	/* a trusted publisher of another domain is not trusted here */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, NULL, "gw@other.net", BOB, NULL, NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(403, rsp->scode);
	PFX_EQ(0, npubs(&f));

	/* the configured calendar gateway of the domain may */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, "Calendar@example.com", NULL, BOB, NULL, NULL,
	                  doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(403, rsp->scode); /* user parts compare exactly */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, "calendar@example.com", NULL, BOB, NULL, NULL,
	                  doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_ASSERT(pub_of(&f, BOB));
	PFX_EQ(PRES_SRC_TRUSTED, pub_of(&f, BOB)->kind);
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_ASSERT(!strcmp(ps.publisher, "calendar@example.com"));

	/* without authentication (auth.proxy = no) the From counts */
	rsp = mem_deref(rsp);
	err = pfx_publish(&f, NULL, BOB, BOB, NULL, NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(200, rsp->scode);
	PFX_EQ(2, npubs(&f));
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

TEST(test_pres_pub_max_pubs)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pres_conf cf;
	char doc[1024], hdrs[256], tag[64];
	uint16_t sc;
	int err;

	PFX_START();
	pfx_conf(&cf);
	cf.max_pubs = 2;
	err = pfx_init(&f, &cf);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "t", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL, doc, &rsp);
	PFX_ERR(err);
	PFX_EQ(403, rsp->scode);
	PFX_ASSERT(reason_is(rsp, "Too many publications"));
	/* another presentity is not affected */
	err = pfx_pub(&f, ALICE, ALICE, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	/* room again after a removal */
	snprintf(hdrs, sizeof(hdrs),
	         "Event: presence\nExpires: 0\nSIP-If-Match: %s\n", tag);
	err = pfx_pub(&f, BOB, BOB, hdrs, NULL, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	PFX_EQ(3, npubs(&f));
out:
	mem_deref(rsp);
	pfx_close(&f);
	return err;
}

TEST(test_pres_pub_expiry)
{
	struct pfx f;
	struct pubs_seen ps;
	struct pres_stats st;
	char doc[1024];
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "t", true, NULL, NULL);
	TEST_ERR(err);
	err = pfx_pub(&f, BOB, BOB, "Event: presence\nExpires: 60\n", doc, &sc,
	              NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	err = pfx_pub(&f, BOB, BOB, "Event: presence\nExpires: 120\n", doc, &sc,
	              NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	tmrl_fake_advance(f.tl, 59000);
	PFX_EQ(2, npubs(&f));
	tmrl_fake_advance(f.tl, 2000);
	PFX_EQ(1, npubs(&f));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(1, ps.n);
	tmrl_fake_advance(f.tl, 60000);
	PFX_EQ(0, npubs(&f));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(0, ps.n);
	/* nothing is left of bob */
	pres_stats_get(f.pres, &st);
	PFX_EQ(0, st.presentities);
out:
	pfx_close(&f);
	return err;
}

/* Publications survive a restart; expired ones are deleted. */
TEST(test_pres_pub_restart)
{
	struct pfx f;
	struct store_pub p;
	struct pubs_seen ps;
	char doc[1024], hdrs[256];
	uint64_t now;
	uint16_t sc;
	int err;

	PFX_START();
	err = pfx_init_store(&f);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "stored", NULL);
	TEST_ERR(err);
	now = tmrl_wallclock(f.tl);
	memset(&p, 0, sizeof(p));
	p.etag = "live1";
	p.event = "presence";
	p.resource = BOB;
	p.publisher = BOB;
	p.expires = now + 100;
	p.updated_ms = now * 1000;
	p.ctype = "application/pidf+xml";
	p.body = doc;
	p.len = strlen(doc);
	err = store_pub_put_sync(f.st, &p, NULL);
	TEST_ERR(err);
	p.etag = "old1";
	p.expires = now - 1;
	err = store_pub_put_sync(f.st, &p, NULL);
	TEST_ERR(err);
	p.etag = "cal1";
	p.publisher = "calendar@example.com";
	p.expires = now + 1000;
	err = store_pub_put_sync(f.st, &p, NULL);
	TEST_ERR(err);
	err = pfx_start(&f, NULL);
	TEST_ERR(err);

	PFX_EQ(2, npubs(&f));
	err = stored(&f, &ps);
	PFX_ERR(err);
	PFX_EQ(2, ps.n);
	/* the restored tag works for a refresh */
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: live1\n");
	err = pfx_pub(&f, BOB, BOB, hdrs, NULL, &sc, NULL);
	PFX_ERR(err);
	PFX_EQ(200, sc);
	/* and the restored expiry runs */
	tmrl_fake_advance(f.tl, 1001 * 1000);
	PFX_EQ(1, npubs(&f));
out:
	pfx_close(&f);
	return err;
}

/* A store failure: 500 with Retry-After, nothing changes. */
TEST_NO_OOM(test_pres_pub_store_failure)
{
	struct pfx f;
	struct sip_msg *rsp = NULL;
	struct pubs_seen ps;
	char dir[256], path[300], uri[320], doc[1024], hdrs[256], tag[64];
	const char *tmp = getenv("TMPDIR");
	uint16_t sc;
	int err;

	memset(&f, 0, sizeof(f));
	pfx_oom = false;
	snprintf(dir, sizeof(dir), "%s/impd-pres-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return EIO;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", path);
	err = pfx_init_store_uri(&f, uri, true);
	TEST_ERR(err);
	err = pfx_start(&f, NULL);
	TEST_ERR(err);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "one", NULL);
	TEST_ERR(err);

	store_sqlite_fail_commits(1);
	err = pfx_publish(&f, BOB, NULL, BOB, NULL, NULL, doc, &rsp);
	store_sqlite_fail_commits(0);
	TEST_ERR(err);
	TEST_EQ(500, rsp->scode);
	TEST_ASSERT(hdr_is(rsp, SIP_HDR_RETRY_AFTER, "5"));
	TEST_EQ(0, npubs(&f));

	err = pfx_pub(&f, BOB, BOB, NULL, doc, &sc, tag);
	TEST_ERR(err);
	TEST_EQ(200, sc);
	err = pfx_pidf(doc, sizeof(doc), BOB, "pc", true, "two", NULL);
	TEST_ERR(err);
	snprintf(hdrs, sizeof(hdrs), "Event: presence\nSIP-If-Match: %s\n",
	         tag);
	rsp = mem_deref(rsp);
	store_sqlite_fail_commits(1);
	err = pfx_publish(&f, BOB, NULL, BOB, hdrs, NULL, doc, &rsp);
	store_sqlite_fail_commits(0);
	TEST_ERR(err);
	TEST_EQ(500, rsp->scode);
	TEST_ASSERT(pub_of(&f, BOB));
	TEST_ASSERT(pub_note_is(&f, BOB, "one"));
	TEST_ASSERT(!strcmp(pub_of(&f, BOB)->etag, tag));
	err = stored(&f, &ps);
	TEST_ERR(err);
	TEST_EQ(1, ps.n);
	TEST_ASSERT(!strcmp(ps.etag, tag));
	/* the same modification goes through afterwards */
	err = pfx_pub(&f, BOB, BOB, hdrs, doc, &sc, NULL);
	TEST_ERR(err);
	TEST_EQ(200, sc);
	TEST_ASSERT(pub_note_is(&f, BOB, "two"));
out:
	store_sqlite_fail_commits(0);
	mem_deref(rsp);
	pfx_close(&f);
	{
		static const char *const sfx[] = {"", "-wal", "-shm",
		                                  "-journal"};
		char p[400];

		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
			unlink(p);
		}
		rmdir(dir);
	}
	return err;
}
