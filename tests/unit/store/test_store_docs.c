/* tests/unit/store/test_store_docs.c - documents, publications, subscriptions
 */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "base/loop.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store_test.h"
#include "test.h"

typedef int suite_h(const char *uri);

static bool persistent(const char *uri)
{
	return !strncmp(uri, "sqlite:", 7);
}

/* ---- collecting documents ---- */

#define MAXDOCS 64

struct dcol {
	char buf[4096];
	unsigned n;
	int calls;
	int err; /* the last handler error */
	bool wrong_thread;
	pthread_t tid;
	struct {
		uint64_t seq;
		uint64_t mtime_ms;
		char etag[40];
		bool tomb;
		size_t len;
	} d[MAXDOCS];
};

/* "auid/owner/name=content" (content printed up to its first NUL), or
 * "auid/owner/name-" for a tombstone. */
static void doc_h(const struct store_doc *d, void *arg)
{
	struct dcol *c = arg;
	size_t l = strlen(c->buf);

	if (d->content)
		snprintf(c->buf + l, sizeof(c->buf) - l, "%s%s/%s/%s=%s",
		         c->n ? " " : "", d->auid, d->owner, d->name,
		         d->content);
	else
		snprintf(c->buf + l, sizeof(c->buf) - l, "%s%s/%s/%s-",
		         c->n ? " " : "", d->auid, d->owner, d->name);
	if (c->n < MAXDOCS) {
		c->d[c->n].seq = d->seq;
		c->d[c->n].mtime_ms = d->mtime_ms;
		snprintf(c->d[c->n].etag, sizeof(c->d[c->n].etag), "%s",
		         d->etag);
		c->d[c->n].tomb = !d->content;
		c->d[c->n].len = d->len;
	}
	c->n++;
}

static void docs_h(int err, const struct store_doc *docs, uint32_t n, void *arg)
{
	struct dcol *c = arg;

	c->calls++;
	c->err = err;
	if (!pthread_equal(c->tid, pthread_self()))
		c->wrong_thread = true;
	if (err && (docs || n))
		c->wrong_thread = true; /* not what the contract says */
	for (uint32_t i = 0; i < n; i++)
		doc_h(&docs[i], arg);
}

static void dcol_reset(struct dcol *c)
{
	pthread_t tid = c->tid;

	memset(c, 0, sizeof(*c));
	c->tid = tid;
}

static struct dcol *dcol_alloc(void)
{
	struct dcol *c = mem_zalloc(sizeof(*c), NULL);

	if (c)
		c->tid = pthread_self();
	return c;
}

/* Changes since `since` through the async call; the store has no loop,
 * so the handler has run on return. */
static int changes(struct store *st, uint64_t since, uint32_t max,
                   struct dcol *c)
{
	int err;

	dcol_reset(c);
	err = store_doc_changes_async(st, since, max, docs_h, c);
	if (err)
		return err;
	if (c->calls != 1)
		return EPROTO;
	return c->err;
}

static int doc_text(struct store *st, const char *auid, const char *owner,
                    const char *name, struct dcol *c)
{
	dcol_reset(c);
	return store_doc_get(st, auid, owner, name, doc_h, c);
}

/* ---- documents ---- */

static int suite_docs(const char *uri)
{
	struct store *st = NULL;
	struct dcol *c;
	char e1[33], e2[33], e3[33];
	uint64_t seq = 99;
	int err;

	c = dcol_alloc();
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(0, seq);
	TEST_ERR_EQ(ENOENT,
	            store_doc_get(st, "pres-rules", "a@x", "index", doc_h, c));

	/* a put makes a fresh etag and takes the next sequence */
	err = store_doc_put(st, "pres-rules", "alice@example.com", "index",
	                    "<r1/>", 5, e1);
	TEST_ERR(err);
	TEST_EQ(32, strlen(e1));
	err = doc_text(st, "pres-rules", "alice@example.com", "index", c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r1/>", c->buf);
	TEST_STR_EQ(e1, c->d[0].etag);
	TEST_EQ(1, c->d[0].seq);
	TEST_EQ(5, c->d[0].len);
	TEST_ASSERT(c->d[0].mtime_ms > 1600000000000ULL);

	err = store_doc_put(st, "pres-rules", "alice@example.com", "index",
	                    "<r2/>", 5, e2);
	TEST_ERR(err);
	TEST_ASSERT(strcmp(e1, e2) != 0);
	err = doc_text(st, "pres-rules", "alice@example.com", "index", c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/>", c->buf);
	TEST_STR_EQ(e2, c->d[0].etag);
	TEST_EQ(2, c->d[0].seq);

	/* same content again: still a new etag and sequence */
	err = store_doc_put(st, "pres-rules", "alice@example.com", "index",
	                    "<r2/>", 5, e3);
	TEST_ERR(err);
	TEST_ASSERT(strcmp(e2, e3) != 0);

	err = store_doc_put(st, "pres-rules", "bob@example.com", "index",
	                    "<b/>", 4, NULL);
	TEST_ERR(err);
	err = store_doc_put(st, "resource-lists", "alice@example.com", "index",
	                    "<l/>", 4, NULL);
	TEST_ERR(err);
	/* a global document: owner NULL is stored as "" */
	err = store_doc_put(st, "pres-rules", NULL, "default", "<g/>", 4, NULL);
	TEST_ERR(err);
	err = doc_text(st, "pres-rules", "", "default", c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules//default=<g/>", c->buf);
	TEST_EQ(6, c->d[0].seq);
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(6, seq);

	/* keys compare exactly */
	TEST_ERR_EQ(ENOENT, store_doc_get(st, "pres-rules", "Bob@example.com",
	                                  "index", doc_h, c));

	/* listings: live documents in sequence order, filtered */
	dcol_reset(c);
	err = store_doc_list(st, NULL, NULL, doc_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "pres-rules/bob@example.com/index=<b/> "
	            "resource-lists/alice@example.com/index=<l/> "
	            "pres-rules//default=<g/>",
	            c->buf);
	TEST_EQ(3, c->d[0].seq);
	TEST_EQ(6, c->d[3].seq);
	dcol_reset(c);
	err = store_doc_list(st, "pres-rules", NULL, doc_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "pres-rules/bob@example.com/index=<b/> "
	            "pres-rules//default=<g/>",
	            c->buf);
	dcol_reset(c);
	err = store_doc_list(st, NULL, "alice@example.com", doc_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "resource-lists/alice@example.com/index=<l/>",
	            c->buf);
	dcol_reset(c);
	err = store_doc_list(st, "resource-lists", "bob@example.com", doc_h, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* delete leaves a tombstone with the next sequence */
	err = store_doc_delete(st, "pres-rules", "bob@example.com", "index");
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, store_doc_get(st, "pres-rules", "bob@example.com",
	                                  "index", doc_h, c));
	TEST_ERR_EQ(ENOENT, store_doc_delete(st, "pres-rules",
	                                     "bob@example.com", "index"));
	TEST_ERR_EQ(ENOENT,
	            store_doc_delete(st, "pres-rules", "nobody", "index"));
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(7, seq); /* the failed deletes took nothing */
	dcol_reset(c);
	err = store_doc_list(st, "pres-rules", NULL, doc_h, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "pres-rules//default=<g/>",
	            c->buf);

	/* changes: tombstones included, by sequence, at most max */
	err = changes(st, 0, 100, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "resource-lists/alice@example.com/index=<l/> "
	            "pres-rules//default=<g/> "
	            "pres-rules/bob@example.com/index-",
	            c->buf);
	TEST_EQ(3, c->d[0].seq);
	TEST_EQ(7, c->d[3].seq);
	TEST_ASSERT(c->d[3].tomb);
	TEST_EQ(0, c->d[3].len);
	TEST_STR_EQ("", c->d[3].etag);
	TEST_ASSERT(!c->wrong_thread);
	err = changes(st, 5, 100, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules//default=<g/> "
	            "pres-rules/bob@example.com/index-",
	            c->buf);
	err = changes(st, 0, 2, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/index=<r2/> "
	            "resource-lists/alice@example.com/index=<l/>",
	            c->buf);
	err = changes(st, 7, 10, c);
	TEST_ERR(err);
	TEST_EQ(0, c->n);

	/* a put revives a tombstone */
	err = store_doc_put(st, "pres-rules", "bob@example.com", "index",
	                    "<b2/>", 5, e1);
	TEST_ERR(err);
	err = doc_text(st, "pres-rules", "bob@example.com", "index", c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/bob@example.com/index=<b2/>", c->buf);
	TEST_EQ(8, c->d[0].seq);
	TEST_STR_EQ(e1, c->d[0].etag);
	err = changes(st, 7, 10, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/bob@example.com/index=<b2/>", c->buf);

	/* content is bytes: an embedded NUL, and an empty document */
	err = store_doc_put(st, "x", "o", "bin", "a\0b", 3, NULL);
	TEST_ERR(err);
	err = doc_text(st, "x", "o", "bin", c);
	TEST_ERR(err);
	TEST_EQ(3, c->d[0].len);
	err = store_doc_put(st, "x", "o", "empty", NULL, 0, NULL);
	TEST_ERR(err);
	err = doc_text(st, "x", "o", "empty", c);
	TEST_ERR(err);
	TEST_STR_EQ("x/o/empty=", c->buf); /* live, not a tombstone */
	TEST_EQ(0, c->d[0].len);
	TEST_ASSERT(!c->d[0].tomb);

	/* bad arguments */
	TEST_ERR_EQ(EINVAL, store_doc_put(st, NULL, "o", "n", "x", 1, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_put(st, "", "o", "n", "x", 1, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_put(st, "a", "o", "", "x", 1, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_put(st, "a", "o", "n", NULL, 1, NULL));
	TEST_ERR_EQ(E2BIG, store_doc_put(st, "a", "o", "n", "x",
	                                 STORE_MAX_BODY + 1, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_delete(st, "a", "o", NULL));
	TEST_ERR_EQ(EINVAL, store_doc_get(st, "a", "o", "n", NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_list(st, NULL, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_seq(st, NULL));
	TEST_ERR_EQ(EINVAL, store_doc_changes_async(st, 0, 0, docs_h, c));
	TEST_ERR_EQ(EINVAL, store_doc_changes_async(st, 0, 1, NULL, c));
	TEST_ERR_EQ(EINVAL,
	            store_doc_put_async(st, "a", "o", NULL, "x", 1, docs_h, c));
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(10, seq);
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* The async put without a loop: the handler gets the document with its
 * etag and sequence before the call returns. */
static int suite_doc_put_inline(const char *uri)
{
	struct store *st = NULL;
	struct dcol *c, *g = NULL;
	char first[40];
	int err;

	c = dcol_alloc();
	if (!c)
		return ENOMEM;
	g = dcol_alloc();
	if (!g) {
		err = ENOMEM;
		goto out;
	}
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
	err = store_doc_put(st, "pres-rules", "a@x", "index", "<1/>", 4, NULL);
	TEST_ERR(err);

	err = store_doc_put_async(st, "pres-rules", "b@x", "index", "<2/>", 4,
	                          docs_h, c);
	TEST_ERR(err);
	TEST_EQ(1, c->calls);
	err = c->err;
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/b@x/index=<2/>", c->buf);
	TEST_EQ(2, c->d[0].seq);
	TEST_EQ(32, strlen(c->d[0].etag));
	err = doc_text(st, "pres-rules", "b@x", "index", g);
	TEST_ERR(err);
	TEST_STR_EQ(c->d[0].etag, g->d[0].etag);
	TEST_EQ(2, g->d[0].seq);
	snprintf(first, sizeof(first), "%s", c->d[0].etag);

	/* a second put: a new etag, the next sequence */
	dcol_reset(c);
	err = store_doc_put_async(st, "pres-rules", "b@x", "index", "<3/>", 4,
	                          docs_h, c);
	TEST_ERR(err);
	err = c->err;
	TEST_ERR(err);
	TEST_EQ(3, c->d[0].seq);
	TEST_ASSERT(strcmp(first, c->d[0].etag) != 0);
	err = doc_text(st, "pres-rules", "b@x", "index", g);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/b@x/index=<3/>", g->buf);
	TEST_STR_EQ(c->d[0].etag, g->d[0].etag);
	err = changes(st, 0, 10, c);
	TEST_ERR(err);
	TEST_EQ(2, c->n);
	TEST_STR_EQ("pres-rules/a@x/index=<1/> pres-rules/b@x/index=<3/>",
	            c->buf);
	TEST_STR_EQ(g->d[0].etag, c->d[1].etag);
	TEST_EQ(1, mem_nrefs(c));

	/* the async get and delete */
	dcol_reset(g);
	err = store_doc_get_async(st, "pres-rules", "b@x", "index", docs_h, g);
	TEST_ERR(err);
	TEST_EQ(1, g->calls);
	err = g->err;
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/b@x/index=<3/>", g->buf);
	TEST_STR_EQ(c->d[1].etag, g->d[0].etag);
	dcol_reset(g);
	err =
	    store_doc_delete_async(st, "pres-rules", "b@x", "index", docs_h, g);
	TEST_ERR(err);
	TEST_EQ(1, g->calls);
	err = g->err;
	TEST_ERR(err);
	TEST_EQ(0, g->n);
	dcol_reset(g);
	err =
	    store_doc_delete_async(st, "pres-rules", "b@x", "index", docs_h, g);
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, g->err);
	dcol_reset(g);
	err = store_doc_get_async(st, "pres-rules", "b@x", "index", docs_h, g);
	TEST_ERR(err);
	TEST_ERR_EQ(ENOENT, g->err);
	TEST_EQ(0, g->n);
	TEST_ERR_EQ(EINVAL, store_doc_get_async(st, "pres-rules", "b@x", NULL,
	                                        docs_h, g));
	TEST_ERR_EQ(EINVAL, store_doc_delete_async(st, "pres-rules", "b@x",
	                                           "index", NULL, g));
	/* the delete left a tombstone with the next sequence */
	err = changes(st, 3, 10, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);
	TEST_ASSERT(c->d[0].tomb);
	TEST_EQ(4, c->d[0].seq);
	TEST_EQ(1, mem_nrefs(g));
out:
	mem_deref(st);
	mem_deref(g);
	mem_deref(c);
	return err;
}

/* ---- publications ---- */

struct pcol {
	char buf[2048];
	unsigned n;
	int calls, ok, other;
};

static void pub_h(const struct store_pub *p, void *arg)
{
	struct pcol *c = arg;
	size_t l = strlen(c->buf);

	snprintf(c->buf + l, sizeof(c->buf) - l,
	         "%s%s|%s|%s|%s|%llu|%llu|%s|%zu|%s", c->n ? " " : "", p->etag,
	         p->event, p->resource, p->publisher,
	         (unsigned long long)p->expires,
	         (unsigned long long)p->updated_ms, p->ctype, p->len, p->body);
	c->n++;
}

static void pdone_h(int err, void *arg)
{
	struct pcol *c = arg;

	c->calls++;
	if (!err)
		c->ok++;
	else
		c->other = err;
}

static int pub_text(struct store *st, struct pcol *c)
{
	memset(c->buf, 0, sizeof(c->buf));
	c->n = 0;
	return store_pub_list(st, pub_h, c);
}

static const struct store_pub pub1 = {
    .etag = "e1",
    .event = "presence",
    .resource = "bob@example.com",
    .publisher = "bob@example.com",
    .expires = 4102444800ULL,
    .updated_ms = 1700000000123ULL,
    .ctype = "application/pidf+xml",
    .body = "<presence/>",
    .len = 11,
};

static int suite_pubs(const char *uri)
{
	struct store *st = NULL;
	struct store_pub p;
	struct pcol *c;
	int err;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);

	err = store_pub_put_sync(st, &pub1, NULL);
	TEST_ERR(err);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_STR_EQ("e1|presence|bob@example.com|bob@example.com|4102444800|"
	            "1700000000123|application/pidf+xml|11|<presence/>",
	            c->buf);

	/* a second publisher; NULL strings come back as "" */
	memset(&p, 0, sizeof(p));
	p.etag = "e2";
	p.event = "presence";
	p.resource = "bob@example.com";
	p.expires = 100;
	err = store_pub_put_sync(st, &p, NULL);
	TEST_ERR(err);

	/* a modify: e1 becomes e3 in one commit */
	p = pub1;
	p.etag = "e3";
	p.body = "<presence>x</presence>";
	p.len = 22;
	err = store_pub_put(st, &p, "e1", pdone_h, c);
	TEST_ERR(err);
	err = c->other; /* ENOMEM in the backend (OOM replay) */
	TEST_ERR(err);
	TEST_EQ(1, c->calls);
	TEST_EQ(1, c->ok);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_EQ(2, c->n);
	TEST_ASSERT(strstr(c->buf, "e2|presence|bob@example.com||100|0||0|"));
	TEST_ASSERT(strstr(c->buf, "e3|presence|bob@example.com|"
	                           "bob@example.com|4102444800|1700000000123|"
	                           "application/pidf+xml|22|"
	                           "<presence>x</presence>"));
	TEST_ASSERT(!strstr(c->buf, "e1|"));

	/* a put with an etag already there replaces it */
	p.len = 10;
	err = store_pub_put_sync(st, &p, NULL);
	TEST_ERR(err);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_EQ(2, c->n);
	TEST_ASSERT(strstr(c->buf, "|10|<presence>"));

	/* delete, also of what is gone */
	err = store_pub_delete(st, "e2", pdone_h, c);
	TEST_ERR(err);
	err = store_pub_delete(st, "e2", pdone_h, c);
	TEST_ERR(err);
	TEST_EQ(3, c->calls);
	TEST_EQ(3, c->ok);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);

	if (persistent(uri)) {
		st = mem_deref(st);
		err = store_open(&st, uri, NULL);
		TEST_ERR(err);
		err = pub_text(st, c);
		TEST_ERR(err);
		TEST_STR_EQ("e3|presence|bob@example.com|bob@example.com|"
		            "4102444800|1700000000123|application/pidf+xml|10|"
		            "<presence>",
		            c->buf);
	}

	/* bad arguments */
	p.etag = "";
	TEST_ERR_EQ(EINVAL, store_pub_put_sync(st, &p, NULL));
	p.etag = "e9";
	p.body = NULL;
	TEST_ERR_EQ(EINVAL, store_pub_put(st, &p, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_pub_put_sync(st, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_pub_delete(st, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_pub_list(st, NULL, NULL));
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* ---- subscriptions ---- */

static const struct store_sub sub_full = {
    .id = "s1",
    .event = "presence",
    .event_id = "7",
    .resource = "bob@example.com",
    .watcher = "sip:alice@example.com",
    .ident = "alice@example.com",
    .callid = "a84b4c76e66710@pc33",
    .local_tag = "lt1",
    .remote_tag = "rt1",
    .from_hdr = "<sip:alice@example.com>;tag=rt1",
    .to_hdr = "<sip:bob@example.com>",
    .contact = "<sip:alice@192.0.2.4:5060>",
    .route = "<sip:p1.example.com;lr>,<sip:p2.example.com;lr>",
    .dst = "udp:192.0.2.4:5060",
    .local_contact = "<sip:impd@192.0.2.1>",
    .accept = "application/pidf+xml,multipart/related",
    .supported = "eventlist",
    .local_cseq = 12,
    .remote_cseq = 3,
    .expires = 4102444800ULL,
    .created = 1700000000ULL,
    .state = 2,
    .throttle_ms = 5000,
    .data = "opaque data",
};

struct scol {
	int err; /* the last handler error */
	int n;
	int full_ok;  /* s1 matched sub_full (or its update) */
	int empty_ok; /* s2 had "" for every string */
	uint32_t s1_cseq;
	int calls, ok;
};

static bool str_eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static void sub_h(const struct store_sub *s, void *arg)
{
	struct scol *c = arg;
	const struct store_sub *f = &sub_full;

	c->n++;
	if (str_eq(s->id, "s1")) {
		c->s1_cseq = s->local_cseq;
		c->full_ok =
		    str_eq(s->event, f->event) &&
		    str_eq(s->event_id, f->event_id) &&
		    str_eq(s->resource, f->resource) &&
		    str_eq(s->watcher, f->watcher) &&
		    str_eq(s->ident, f->ident) &&
		    str_eq(s->callid, f->callid) &&
		    str_eq(s->local_tag, f->local_tag) &&
		    str_eq(s->remote_tag, f->remote_tag) &&
		    str_eq(s->from_hdr, f->from_hdr) &&
		    str_eq(s->to_hdr, f->to_hdr) &&
		    str_eq(s->contact, f->contact) &&
		    str_eq(s->route, f->route) && str_eq(s->dst, f->dst) &&
		    str_eq(s->local_contact, f->local_contact) &&
		    str_eq(s->accept, f->accept) &&
		    str_eq(s->supported, f->supported) &&
		    s->remote_cseq == f->remote_cseq &&
		    s->expires == f->expires && s->created == f->created &&
		    s->state == f->state && s->throttle_ms == f->throttle_ms &&
		    str_eq(s->data, f->data);
	} else if (str_eq(s->id, "s2")) {
		c->empty_ok =
		    str_eq(s->event, "") && str_eq(s->event_id, "") &&
		    str_eq(s->resource, "") && str_eq(s->watcher, "") &&
		    str_eq(s->ident, "") && str_eq(s->callid, "") &&
		    str_eq(s->local_tag, "") && str_eq(s->remote_tag, "") &&
		    str_eq(s->from_hdr, "") && str_eq(s->to_hdr, "") &&
		    str_eq(s->contact, "") && str_eq(s->route, "") &&
		    str_eq(s->dst, "") && str_eq(s->local_contact, "") &&
		    str_eq(s->accept, "") && str_eq(s->supported, "") &&
		    str_eq(s->data, "") && s->local_cseq == 0 &&
		    s->expires == 9 && s->state == -1;
	}
}

static void sdone_h(int err, void *arg)
{
	struct scol *c = arg;

	c->calls++;
	if (!err)
		c->ok++;
	else
		c->err = err;
}

static int sub_scan(struct store *st, struct scol *c)
{
	c->n = c->full_ok = c->empty_ok = 0;
	c->s1_cseq = 0;
	return store_sub_list(st, sub_h, c);
}

static int suite_subs(const char *uri)
{
	struct store *st = NULL;
	struct store_sub s;
	struct scol *c;
	int err;

	c = mem_zalloc(sizeof(*c), NULL);
	if (!c)
		return ENOMEM;
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);

	err = store_sub_put_sync(st, &sub_full);
	TEST_ERR(err);
	memset(&s, 0, sizeof(s));
	s.id = "s2";
	s.expires = 9;
	s.state = -1;
	err = store_sub_put(st, &s, sdone_h, c);
	TEST_ERR(err);
	err = c->err; /* ENOMEM in the backend (OOM replay) */
	TEST_ERR(err);
	TEST_EQ(1, c->ok);
	err = sub_scan(st, c);
	TEST_ERR(err);
	TEST_EQ(2, c->n);
	TEST_ASSERT(c->full_ok);
	TEST_ASSERT(c->empty_ok);
	TEST_EQ(12, c->s1_cseq);

	/* replace by id: a NOTIFY checkpoint */
	s = sub_full;
	s.local_cseq = 13;
	err = store_sub_put(st, &s, sdone_h, c);
	TEST_ERR(err);
	err = c->err;
	TEST_ERR(err);
	err = sub_scan(st, c);
	TEST_ERR(err);
	TEST_EQ(2, c->n);
	TEST_ASSERT(c->full_ok);
	TEST_EQ(13, c->s1_cseq);

	/* delete, also of what is gone */
	err = store_sub_delete(st, "s2", sdone_h, c);
	TEST_ERR(err);
	err = store_sub_delete(st, "s2", sdone_h, c);
	TEST_ERR(err);
	TEST_EQ(4, c->calls);
	TEST_EQ(4, c->ok);
	err = sub_scan(st, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);
	TEST_ASSERT(!c->empty_ok);

	if (persistent(uri)) {
		st = mem_deref(st);
		err = store_open(&st, uri, NULL);
		TEST_ERR(err);
		err = sub_scan(st, c);
		TEST_ERR(err);
		TEST_EQ(1, c->n);
		TEST_ASSERT(c->full_ok);
		TEST_EQ(13, c->s1_cseq);
	}

	s.id = "";
	TEST_ERR_EQ(EINVAL, store_sub_put_sync(st, &s));
	TEST_ERR_EQ(EINVAL, store_sub_put(st, NULL, NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_sub_delete(st, "", NULL, NULL));
	TEST_ERR_EQ(EINVAL, store_sub_list(st, NULL, NULL));
	TEST_EQ(1, mem_nrefs(c));
out:
	mem_deref(st);
	mem_deref(c);
	return err;
}

/* ---- async through a real loop ---- */

struct lctx {
	struct dcol put;   /* doc put handlers */
	struct dcol ch;    /* changes handlers */
	struct pcol pdone; /* publication handlers */
	struct scol sdone; /* subscription handlers */
	bool wrong_thread;
	pthread_t tid;
};

static int run_until(struct loop *l, const int *count, int want)
{
	for (int i = 0; i < 1000 && *count < want; i++) {
		int err = loop_run_once(l, 10);

		if (err)
			return err;
	}
	return *count >= want ? 0 : ETIMEDOUT;
}

static void loop_drain(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
}

static void lput_h(int err, const struct store_doc *docs, uint32_t n, void *arg)
{
	struct lctx *x = arg;

	if (!pthread_equal(x->tid, pthread_self()))
		x->wrong_thread = true;
	docs_h(err, docs, n, &x->put);
}

static void lch_h(int err, const struct store_doc *docs, uint32_t n, void *arg)
{
	struct lctx *x = arg;

	if (!pthread_equal(x->tid, pthread_self()))
		x->wrong_thread = true;
	docs_h(err, docs, n, &x->ch);
}

static void lpub_h(int err, void *arg)
{
	struct lctx *x = arg;

	if (!pthread_equal(x->tid, pthread_self()))
		x->wrong_thread = true;
	pdone_h(err, &x->pdone);
}

static void lsub_h(int err, void *arg)
{
	struct lctx *x = arg;

	if (!pthread_equal(x->tid, pthread_self()))
		x->wrong_thread = true;
	sdone_h(err, &x->sdone);
}

static int suite_async_loop(const char *uri)
{
	struct store *st = NULL;
	struct loop *l = NULL;
	struct store_pub p = pub1;
	struct store_sub s = sub_full;
	struct lctx *x;
	struct pcol pl;
	struct scol sl;
	char name[32], body[32];
	int err;

	x = mem_zalloc(sizeof(*x), NULL);
	if (!x)
		return ENOMEM;
	x->tid = x->put.tid = x->ch.tid = pthread_self();
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, uri, l);
	TEST_ERR(err);

	/* 40 puts, then the changes: the changes see all of them */
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "d%02d", i);
		snprintf(body, sizeof(body), "<b%02d/>", i);
		err = store_doc_put_async(st, "pres-rules", "alice@example.com",
		                          name, body, strlen(body), lput_h, x);
		TEST_ERR(err);
	}
	memset(body, 'x', sizeof(body) - 1); /* the request was copied */
	err = store_doc_changes_async(st, 0, 100, lch_h, x);
	TEST_ERR(err);
	TEST_EQ(0, x->put.calls); /* handlers run from the loop */
	err = run_until(l, &x->ch.calls, 1);
	TEST_ERR(err);
	TEST_EQ(40, x->put.calls);
	TEST_EQ(40, x->put.n);
	TEST_EQ(0, x->ch.err);
	TEST_EQ(40, x->ch.n);
	TEST_ASSERT(!x->wrong_thread && !x->put.wrong_thread &&
	            !x->ch.wrong_thread);
	for (int i = 0; i < 40; i++) {
		/* each put's handler saw the sequence the changes show */
		TEST_EQ(i + 1, x->put.d[i].seq);
		TEST_EQ(i + 1, x->ch.d[i].seq);
		TEST_STR_EQ(x->put.d[i].etag, x->ch.d[i].etag);
		if (i)
			TEST_ASSERT(
			    strcmp(x->ch.d[i].etag, x->ch.d[i - 1].etag) != 0);
	}
	TEST_ASSERT(strstr(x->ch.buf, "pres-rules/alice@example.com/d00="
	                              "<b00/> "));
	TEST_ASSERT(strstr(x->ch.buf, "pres-rules/alice@example.com/d39="
	                              "<b39/>"));

	/* a delete (sync, as impctl does) shows up as a tombstone */
	err = store_doc_delete(st, "pres-rules", "alice@example.com", "d05");
	TEST_ERR(err);
	dcol_reset(&x->ch);
	err = store_doc_changes_async(st, 40, 100, lch_h, x);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(1, x->ch.calls);
	TEST_STR_EQ("pres-rules/alice@example.com/d05-", x->ch.buf);
	TEST_EQ(41, x->ch.d[0].seq);

	/* a NULL handler is allowed */
	err = store_doc_put_async(st, "pres-rules", "alice@example.com", "d05",
	                          "<n/>", 4, NULL, NULL);
	TEST_ERR(err);
	store_flush(st);
	dcol_reset(&x->ch);
	err = doc_text(st, "pres-rules", "alice@example.com", "d05", &x->ch);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/alice@example.com/d05=<n/>", x->ch.buf);
	TEST_EQ(42, x->ch.d[0].seq);

	/* publications and subscriptions */
	err = store_pub_put(st, &p, NULL, lpub_h, x);
	TEST_ERR(err);
	p.etag = "e2";
	err = store_pub_put(st, &p, "e1", lpub_h, x);
	TEST_ERR(err);
	p.etag = "e3";
	err = store_pub_put(st, &p, NULL, lpub_h, x);
	TEST_ERR(err);
	err = store_pub_delete(st, "e3", lpub_h, x);
	TEST_ERR(err);
	err = store_sub_put(st, &s, lsub_h, x);
	TEST_ERR(err);
	s.id = "s2";
	err = store_sub_put(st, &s, lsub_h, x);
	TEST_ERR(err);
	err = store_sub_delete(st, "s2", lsub_h, x);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(4, x->pdone.ok);
	TEST_EQ(3, x->sdone.ok);
	TEST_ASSERT(!x->wrong_thread);

	memset(&pl, 0, sizeof(pl));
	err = store_pub_list(st, pub_h, &pl);
	TEST_ERR(err);
	TEST_EQ(1, pl.n);
	TEST_ASSERT(!strncmp(pl.buf, "e2|presence|", 12));
	memset(&sl, 0, sizeof(sl));
	err = store_sub_list(st, sub_h, &sl);
	TEST_ERR(err);
	TEST_EQ(1, sl.n);
	TEST_ASSERT(sl.full_ok);
	TEST_EQ(1, mem_nrefs(x));
out:
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(x);
	return err;
}

/* ---- backends ---- */

static int with_mem(suite_h *fn)
{
	return fn("mem:");
}

static int with_sqlite(suite_h *fn)
{
	struct tmpdb t;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	err = fn(t.uri);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_mem_docs)
{
	return with_mem(suite_docs);
}

TEST(test_store_sqlite_docs)
{
	return with_sqlite(suite_docs);
}

TEST(test_store_mem_doc_put_inline)
{
	return with_mem(suite_doc_put_inline);
}

TEST(test_store_sqlite_doc_put_inline)
{
	return with_sqlite(suite_doc_put_inline);
}

TEST(test_store_mem_pubs)
{
	return with_mem(suite_pubs);
}

TEST(test_store_sqlite_pubs)
{
	return with_sqlite(suite_pubs);
}

TEST(test_store_mem_subs)
{
	return with_mem(suite_subs);
}

TEST(test_store_sqlite_subs)
{
	return with_sqlite(suite_subs);
}

TEST_NO_OOM(test_store_mem_docs_async_loop)
{
	return with_mem(suite_async_loop);
}

TEST_NO_OOM(test_store_sqlite_docs_async_loop)
{
	return with_sqlite(suite_async_loop);
}

/* ---- SQLite only ---- */

/* The sequence, the etags and the tombstones survive a restart; the
 * sequence never goes back. */
TEST(test_store_sqlite_doc_seq_reopen)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct dcol *c = NULL;
	char e1[33];
	uint64_t seq = 0;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = dcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = store_doc_put(st, "pres-rules", "a@x", "index", "<1/>", 4, e1);
	TEST_ERR(err);
	err = store_doc_put(st, "pres-rules", "b@x", "index", "<2/>", 4, NULL);
	TEST_ERR(err);
	err = store_doc_delete(st, "pres-rules", "b@x", "index");
	TEST_ERR(err);
	st = mem_deref(st);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(3, seq);
	err = doc_text(st, "pres-rules", "a@x", "index", c);
	TEST_ERR(err);
	TEST_STR_EQ(e1, c->d[0].etag);
	err = changes(st, 0, 10, c);
	TEST_ERR(err);
	TEST_STR_EQ("pres-rules/a@x/index=<1/> pres-rules/b@x/index-", c->buf);
	err = store_doc_put(st, "pres-rules", "c@x", "index", "<3/>", 4, NULL);
	TEST_ERR(err);
	st = mem_deref(st);

	/* even when the newest documents are gone from the table, a new
	 * change gets a higher sequence than any before */
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = doc_text(st, "pres-rules", "c@x", "index", c);
	TEST_ERR(err);
	TEST_EQ(4, c->d[0].seq);
	st = mem_deref(st);
	{
		sqlite3 *db = NULL;
		int rc = sqlite3_open(t.path, &db);

		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, "DELETE FROM docs WHERE seq >= 3",
			                  NULL, NULL, NULL);
		sqlite3_close(db);
		TEST_EQ(SQLITE_OK, rc);
	}
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	err = store_doc_put(st, "pres-rules", "d@x", "index", "<4/>", 4, NULL);
	TEST_ERR(err);
	err = doc_text(st, "pres-rules", "d@x", "index", c);
	TEST_ERR(err);
	TEST_EQ(5, c->d[0].seq);
out:
	mem_deref(st);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* impctl (a second store on the file) writes; the daemon's store sees the
 * change through its change feed. */
TEST_NO_OOM(test_store_sqlite_doc_two_writers)
{
	struct tmpdb t;
	struct store *st = NULL, *adm = NULL;
	struct loop *l = NULL;
	struct dcol *c = NULL;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = dcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	err = store_open(&adm, t.uri, NULL);
	TEST_ERR(err);
	for (int i = 0; i < 10; i++) {
		err = store_doc_put_async(st, "pres-rules", "a@x", "index",
		                          "<d/>", 4, NULL, NULL);
		TEST_ERR(err);
		err = store_doc_put(adm, "pres-rules", "b@x", "index", "<i/>",
		                    4, NULL);
		TEST_ERR(err);
	}
	store_flush(st);
	err = store_doc_changes_async(st, 0, 100, docs_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(1, c->calls);
	TEST_EQ(0, c->err);
	TEST_EQ(2, c->n);
	/* both writers drew from the one sequence: 20 changes in all */
	TEST_ASSERT(c->d[0].seq < c->d[1].seq);
	TEST_EQ(20, c->d[1].seq);
out:
	mem_deref(adm);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* A modify (new etag, old one removed) is one write: when the commit
 * fails, the old publication is still there. */
TEST_NO_OOM(test_store_sqlite_pub_modify_atomic)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct pcol *c = NULL;
	struct store_pub p = pub1;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	c = mem_zalloc(sizeof(*c), NULL);
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	err = store_pub_put(st, &pub1, NULL, pdone_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(1, c->ok);

	store_sqlite_fail_commits(1);
	p.etag = "e2";
	err = store_pub_put(st, &p, "e1", pdone_h, c);
	TEST_ERR(err);
	store_flush(st);
	store_sqlite_fail_commits(0);
	TEST_EQ(2, c->calls);
	TEST_EQ(EIO, c->other);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);
	TEST_ASSERT(!strncmp(c->buf, "e1|", 3));

	err = store_pub_put(st, &p, "e1", pdone_h, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(2, c->ok);
	err = pub_text(st, c);
	TEST_ERR(err);
	TEST_EQ(1, c->n);
	TEST_ASSERT(!strncmp(c->buf, "e2|", 3));
	TEST_EQ(1, mem_nrefs(c));
out:
	store_sqlite_fail_commits(0);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* A file at schema version 2 gets the new tables and keeps its data. */
TEST(test_store_sqlite_migrate_v2_docs)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct dcol *c = NULL;
	sqlite3 *db = NULL;
	uint64_t seq = 1;
	bool ex = false;
	int rc, err = tmpdb_init(&t);

	if (err)
		return err;
	c = dcol_alloc();
	if (!c) {
		err = ENOMEM;
		goto out;
	}
	/* the version 2 schema, as shipped (a fixture) */
	rc = sqlite3_open(t.path, &db);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(
		    db,
		    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
		    "INSERT INTO schema_version VALUES (2);"
		    "CREATE TABLE domains (name TEXT NOT NULL COLLATE NOCASE "
		    "PRIMARY KEY);"
		    "CREATE TABLE users (user TEXT NOT NULL, domain TEXT NOT "
		    "NULL COLLATE NOCASE, ha1_md5 TEXT NOT NULL DEFAULT '', "
		    "ha1_sha256 TEXT NOT NULL DEFAULT '', enabled INTEGER NOT "
		    "NULL DEFAULT 1, PRIMARY KEY (user, domain));"
		    "CREATE TABLE registrations (aor TEXT NOT NULL, contact "
		    "TEXT NOT NULL, instance TEXT NOT NULL DEFAULT '', reg_id "
		    "INTEGER NOT NULL DEFAULT 0, callid TEXT NOT NULL DEFAULT "
		    "'', cseq INTEGER NOT NULL DEFAULT 0, expires INTEGER NOT "
		    "NULL, q INTEGER NOT NULL DEFAULT 1000, path TEXT NOT NULL "
		    "DEFAULT '', received TEXT NOT NULL DEFAULT '', params "
		    "TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL "
		    "DEFAULT '', temp_gruu TEXT NOT NULL DEFAULT '');"
		    "CREATE INDEX registrations_aor ON registrations (aor);"
		    "CREATE INDEX registrations_expires ON registrations "
		    "(expires);"
		    "INSERT INTO domains VALUES ('example.com');",
		    NULL, NULL, NULL);
	sqlite3_close(db);
	TEST_EQ(SQLITE_OK, rc);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	TEST_EQ(STORE_SCHEMA_VERSION, store_schema_version(st));
	err = store_domain_exists(st, "example.com", &ex);
	TEST_ERR(err);
	TEST_ASSERT(ex);
	err = store_doc_seq(st, &seq);
	TEST_ERR(err);
	TEST_EQ(0, seq);
	err = store_doc_put(st, "pres-rules", "a@x", "index", "<1/>", 4, NULL);
	TEST_ERR(err);
	err = doc_text(st, "pres-rules", "a@x", "index", c);
	TEST_ERR(err);
	TEST_EQ(1, c->d[0].seq);
out:
	mem_deref(st);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}
