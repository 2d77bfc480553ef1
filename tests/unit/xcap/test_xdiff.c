/* tests/unit/xcap/test_xdiff.c - the xcap-diff event package (RFC 5875)
 * over the events framework, the "mem:" store and the recording
 * transport */
#include <stdio.h>
#include <string.h>

#include "../event/evt_test.h"
#include "base/tmr.h"
#include "sip/rec_tp.h"
#include "store/docwatch.h"
#include "store/store.h"
#include "xcap/xdiff.h"

#define BOB   "bob@example.com"
#define CAROL "carol@example.com"
#define ROOT  "http://127.0.0.1:8080/xcap"
#define RL    "resource-lists"
#define PR    "pres-rules"
#define HEAD                                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<xcap-diff xmlns=\"urn:ietf:params:xml:ns:xcap-diff\" "               \
	"xcap-root=\"" ROOT "\">\n"
#define TAIL "</xcap-diff>\n"
#define URILIST(uris)                                                          \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">"     \
	"<list>" uris "</list></resource-lists>\n"
#define ENTRY(uri) "<entry uri=\"" uri "\"/>"

enum { WANT_MAX = 2048 };

/* The body expected: HEAD, then want_doc lines, then want_end. */
static void want_doc(char *w, const char *auid, const char *name,
                     const char *prev, const char *next)
{
	size_t l = strlen(w);

	if (!l)
		l = (size_t)snprintf(w, WANT_MAX, "%s", HEAD);
	snprintf(w + l, WANT_MAX - l,
	         "  <document sel=\"%s/users/sip:" BOB "/%s\"%s%s%s%s%s%s/>\n",
	         auid, name, prev ? " previous-etag=\"" : "", prev ? prev : "",
	         prev ? "\"" : "", next ? " new-etag=\"" : "", next ? next : "",
	         next ? "\"" : "");
}

static void want_end(char *w)
{
	size_t l = strlen(w);

	snprintf(w + l, WANT_MAX - l, "%s", TAIL);
}

/* The fixture: the events one, plus the package. */
struct xfx {
	struct efix f;
	struct xdiff *x;
	uint32_t from;     /* first record not looked at yet */
	const char *ctype; /* Content-Type of SUBSCRIBE bodies (NULL:
	                      resource-lists) */
	char reason[128];  /* reason phrase of the last SUBSCRIBE answer */
	char body[4096];
};

static int xfx_start(struct xfx *t, uint32_t poll_ms)
{
	const struct xdiff_conf cf = {ROOT, poll_ms};

	return xdiff_alloc(&t->x, &cf, t->f.e, t->f.st, t->f.tmrl);
}

/* Documents go into the store between init and start. */
static int xfx_init(struct xfx *t)
{
	memset(t, 0, sizeof(*t));
	return efix_init(&t->f, NULL, true, false, 256);
}

/* The evt goes first: the package holds the last reference to it. */
static void xfx_stop(struct xfx *t)
{
	efix_evt_free(&t->f);
	t->x = mem_deref(t->x);
}

static void xfx_close(struct xfx *t)
{
	xfx_stop(t);
	efix_close(&t->f);
}

static int put(struct xfx *t, const char *auid, const char *owner,
               const char *name, char *etag)
{
	static const char doc[] = "<x/>";

	return store_doc_put(t->f.st, auid, owner, name, doc, sizeof(doc) - 1,
	                     etag);
}

/* SUBSCRIBE to bob's documents as ident from dialog callid with body (a
 * URI-list or NULL); *scode: the answer. */
static int subscribe(struct xfx *t, const char *ident, const char *callid,
                     const char *body, uint16_t *scode)
{
	struct sip_msg *rsp = NULL;
	struct sreq r;
	char ct[128];
	int err;

	t->f.ident = ident;
	sreq_init(&r);
	r.event = XDIFF_PKG;
	r.callid = callid;
	r.from = "sip:" BOB;
	r.expires = 600;
	r.body = body;
	snprintf(ct, sizeof(ct), "Content-Type: %s\n",
	         t->ctype ? t->ctype : "application/resource-lists+xml");
	if (body)
		r.extra = ct;
	err = efix_subscribe(&t->f, &r, &rsp);
	if (!err) {
		*scode = rsp->scode;
		(void)pl_strcpy(&rsp->reason, t->reason, sizeof(t->reason));
	}
	mem_deref(rsp);
	return err;
}

/* The next NOTIFY at or after t->from (answered 200) with its body in
 * t->body; ENOENT when none. */
static int next_notify(struct xfx *t)
{
	struct sip_msg *n = NULL;
	char ct[128];
	int i, err = 0;

	i = efix_notify(&t->f, t->from, &n);
	if (i < 0 || !n) {
		mem_deref(n);
		return ENOENT;
	}
	t->from = (uint32_t)i + 1;
	efix_body(n, t->body, sizeof(t->body));
	efix_hdr(n, SIP_HDR_CONTENT_TYPE, ct, sizeof(ct));
	if (strcmp(ct, XDIFF_CTYPE))
		err = EPROTO;
	if (!err)
		err = efix_answer(&t->f, (uint32_t)i, 200, NULL, NULL);
	/* retransmissions sent before the answer are not new NOTIFYs */
	t->from = efix_nrec(&t->f);
	mem_deref(n);
	return err;
}

/* Let the pacing interval (500 ms) pass, then the next NOTIFY. */
static int later_notify(struct xfx *t)
{
	efix_advance(&t->f, 600);
	return next_notify(t);
}

/* Tell the watchers a document changed (what the XCAP server does). */
static void kick(struct xfx *t)
{
	docwatch_kick(t->f.st);
}

TEST(test_xdiff_notify)
{
	struct xfx t;
	char e1[64], e2[64], e3[64], e4[64], ec[64], want[WANT_MAX];
	uint16_t sc = 0;
	int err;

	EV_START();
	err = xfx_init(&t);
	if (err)
		goto out;
	EV_ERR(put(&t, RL, BOB, "index", e1));
	EV_ERR(put(&t, PR, BOB, "index", e2));
	EV_ERR(put(&t, RL, CAROL, "index", ec));
	EV_ERR(put(&t, "xcap-caps", "", "index", ec)); /* global: ignored */
	EV_ERR(xfx_start(&t, 0));

	/* the first NOTIFY: every document of bob's, none of carol's */
	EV_ERR(subscribe(&t, BOB, "c1", NULL, &sc));
	EV_EQ(200, sc);
	EV_EQ(1, evt_sub_count(t.f.e, XDIFF_PKG));
	EV_ERR(next_notify(&t));
	want[0] = '\0';
	want_doc(want, PR, "index", NULL, e2);
	want_doc(want, RL, "index", NULL, e1);
	want_end(want);
	EV_STR(want, t.body);

	/* a new version: previous and new etag */
	EV_ERR(put(&t, RL, BOB, "index", e3));
	kick(&t);
	EV_ERR(later_notify(&t));
	want[0] = '\0';
	want_doc(want, RL, "index", e1, e3);
	want_end(want);
	EV_STR(want, t.body);

	/* deleted: previous etag only */
	EV_ERR(store_doc_delete(t.f.st, PR, BOB, "index"));
	kick(&t);
	EV_ERR(later_notify(&t));
	want[0] = '\0';
	want_doc(want, PR, "index", e2, NULL);
	want_end(want);
	EV_STR(want, t.body);

	/* a new document: new etag only; two versions within the pacing
	 * interval make one NOTIFY with the last etag */
	EV_ERR(put(&t, RL, BOB, "friends list", e3));
	kick(&t);
	EV_ERR(put(&t, RL, BOB, "friends list", e4));
	kick(&t);
	EV_ERR(later_notify(&t));
	want[0] = '\0';
	want_doc(want, RL, "friends%20list", NULL, e4);
	want_end(want);
	EV_STR(want, t.body);
	efix_advance(&t.f, 600);
	EV_ASSERT(efix_notify(&t.f, t.from, NULL) < 0);

	/* carol's documents are not bob's business */
	EV_ERR(put(&t, RL, CAROL, "index", ec));
	kick(&t);
	efix_advance(&t.f, 600);
	EV_ASSERT(efix_notify(&t.f, t.from, NULL) < 0);
out:
	xfx_close(&t);
	return err;
}

TEST(test_xdiff_forbidden)
{
	struct xfx t;
	uint16_t sc = 0;
	int err;

	EV_START();
	err = xfx_init(&t);
	if (err)
		goto out;
	EV_ERR(xfx_start(&t, 0));
	/* another user */
	EV_ERR(subscribe(&t, CAROL, "c1", NULL, &sc));
	EV_EQ(403, sc);
	/* nobody authenticated */
	EV_ERR(subscribe(&t, NULL, "c2", NULL, &sc));
	EV_EQ(403, sc);
	/* the domain compares without case, the user with */
	EV_ERR(subscribe(&t, "Bob@example.com", "c3", NULL, &sc));
	EV_EQ(403, sc);
	EV_EQ(0, evt_sub_count(t.f.e, XDIFF_PKG));
	EV_ASSERT(efix_notify(&t.f, 0, NULL) < 0);
	EV_ERR(subscribe(&t, "bob@EXAMPLE.com", "c4", NULL, &sc));
	EV_EQ(200, sc);
out:
	xfx_close(&t);
	return err;
}

TEST(test_xdiff_bad_body)
{
	static const struct {
		const char *body, *reason; /* reason: its beginning */
	} bad[] = {
	    {URILIST(ENTRY("resource-lists/users/sip:" CAROL "/index")),
	     "Not the subscriber's documents: resource-lists/users/sip:" CAROL},
	    {URILIST(ENTRY("resource-lists/global/index")),
	     "Not the subscriber's documents"},
	    {"<resource-lists", "Bad URI list: line 1"},
	    {URILIST(ENTRY("resource-lists/users/sip:" BOB
	                   "/index/~~/resource-lists/list")),
	     "Node selectors are not supported"},
	    {URILIST(ENTRY("no-such-usage/users/sip:" BOB "/index")),
	     "Unknown application usage: no-such-usage"},
	    {URILIST(ENTRY("xcap-caps/users/sip:" BOB "/index")),
	     "Unknown application usage: xcap-caps"},
	    {URILIST(ENTRY("http://xcap.example.net/xcap/resource-lists/users/"
	                   "sip:" BOB "/index")),
	     "Not below the XCAP root: http://xcap.example.net/"},
	    {URILIST(ENTRY(ROOT "x/resource-lists/users/sip:" BOB "/index")),
	     "Not below the XCAP root"},
	    {URILIST(ENTRY("/other/resource-lists/users/sip:" BOB "/index")),
	     "Not below the XCAP root"},
	    {URILIST(ENTRY("sip:" BOB)), "Not below the XCAP root"},
	    {URILIST(ENTRY("resource-lists/users/sip:" BOB "/in%zzdex")),
	     "Bad escape in XCAP URI"},
	    {URILIST(ENTRY("resource-lists/users/sip:" BOB "/a%0d%0ab")),
	     "Bad escape in XCAP URI"},
	    /* a newline from the XML must not reach the status line */
	    {URILIST(ENTRY("other:&#13;&#10;X: y")),
	     "Not below the XCAP root: other:??X: y"},
	    {URILIST(""), "The URI list names no document"},
	};
	struct xfx t;
	uint16_t sc = 0;
	char cid[16];
	int err;

	EV_START();
	err = xfx_init(&t);
	if (err)
		goto out;
	EV_ERR(xfx_start(&t, 0));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cid, sizeof(cid), "c%zu", i);
		EV_ERR(subscribe(&t, BOB, cid, bad[i].body, &sc));
		if (!ev_oom && (sc != 400 || strncmp(t.reason, bad[i].reason,
		                                     strlen(bad[i].reason))))
			test_fail(__FILE__, __LINE__, "body %zu: %u %s", i, sc,
			          t.reason);
		EV_EQ(400, sc);
		EV_ASSERT(
		    !strncmp(t.reason, bad[i].reason, strlen(bad[i].reason)));
	}
	/* a body of another type */
	t.ctype = "text/plain";
	EV_ERR(
	    subscribe(&t, BOB, "ct", "resource-lists/users/sip:" BOB "/", &sc));
	EV_EQ(415, sc);
	EV_EQ(0, evt_sub_count(t.f.e, XDIFF_PKG));
	EV_ASSERT(efix_notify(&t.f, 0, NULL) < 0);
	/* the same URI-list type with parameters is fine */
	t.ctype = "Application/Resource-Lists+XML; charset=UTF-8";
	EV_ERR(subscribe(
	    &t, BOB, "ok",
	    URILIST(ENTRY("/xcap/resource-lists/users/sip:" BOB "/")), &sc));
	EV_EQ(200, sc);
out:
	xfx_close(&t);
	return err;
}

TEST(test_xdiff_selection)
{
	struct xfx t;
	char e1[64], e2[64], e3[64], e4[64], want[WANT_MAX];
	uint16_t sc = 0;
	int err;

	EV_START();
	err = xfx_init(&t);
	if (err)
		goto out;
	EV_ERR(put(&t, RL, BOB, "index", e1));
	EV_ERR(put(&t, RL, BOB, "other", e2));
	EV_ERR(put(&t, PR, BOB, "index", e3));
	EV_ERR(xfx_start(&t, 0));

	/* one document (relative URI) */
	EV_ERR(subscribe(
	    &t, BOB, "c1",
	    URILIST(ENTRY("resource-lists/users/sip:" BOB "/index")), &sc));
	EV_EQ(200, sc);
	EV_ERR(next_notify(&t));
	want[0] = '\0';
	want_doc(want, RL, "index", NULL, e1);
	want_end(want);
	EV_STR(want, t.body);
	/* the others change: nothing to say */
	EV_ERR(put(&t, RL, BOB, "other", e2));
	EV_ERR(put(&t, PR, BOB, "index", e3));
	kick(&t);
	efix_advance(&t.f, 600);
	EV_ASSERT(efix_notify(&t.f, t.from, NULL) < 0);
	/* it changes */
	EV_ERR(put(&t, RL, BOB, "index", e4));
	kick(&t);
	EV_ERR(later_notify(&t));
	want[0] = '\0';
	want_doc(want, RL, "index", e1, e4);
	want_end(want);
	EV_STR(want, t.body);

	/* a directory (absolute URI below the root) and a document that
	 * does not exist yet */
	EV_ERR(subscribe(
	    &t, BOB, "c2",
	    URILIST(ENTRY(ROOT "/pres-rules/users/sip:" BOB "/")
	                ENTRY("resource-lists/users/sip:" BOB "/later")),
	    &sc));
	EV_EQ(200, sc);
	EV_ERR(next_notify(&t));
	want[0] = '\0';
	want_doc(want, PR, "index", NULL, e3);
	want_end(want);
	EV_STR(want, t.body);
	EV_ERR(put(&t, RL, BOB, "later", e1));
	kick(&t);
	EV_ERR(later_notify(&t));
	want[0] = '\0';
	want_doc(want, RL, "later", NULL, e1);
	want_end(want);
	EV_STR(want, t.body);
out:
	xfx_close(&t);
	return err;
}

TEST(test_xdiff_restore)
{
	struct xfx t;
	char e1[64], e2[64], e3[64], e4[64], want[WANT_MAX];
	uint16_t sc = 0;
	uint32_t before;
	int err;

	EV_START();
	err = xfx_init(&t);
	if (err)
		goto out;
	EV_ERR(put(&t, RL, BOB, "index", e1));
	EV_ERR(put(&t, PR, BOB, "index", e2));
	EV_ERR(xfx_start(&t, 500));
	EV_ERR(subscribe(&t, BOB, "c1",
	                 URILIST(ENTRY("pres-rules/users/sip:" BOB "/index")),
	                 &sc));
	EV_EQ(200, sc);
	EV_ERR(next_notify(&t));

	/* "kill -9", and documents change meanwhile */
	xfx_stop(&t);
	EV_ERR(put(&t, PR, BOB, "index", e3));
	EV_ERR(put(&t, RL, BOB, "index", e1));
	before = efix_nrec(&t.f);
	EV_ERR(efix_evt_new(&t.f, NULL, false));
	EV_ERR(xfx_start(&t, 500));
	EV_ERR(evt_restore(t.f.e));
	EV_EQ(1, evt_sub_count(t.f.e, XDIFF_PKG));
	t.from = before;
	EV_ERR(next_notify(&t));
	/* the full state of the selection, nothing else */
	want[0] = '\0';
	want_doc(want, PR, "index", NULL, e3);
	want_end(want);
	EV_STR(want, t.body);

	/* found by polling, not told: the selection still holds */
	EV_ERR(put(&t, RL, BOB, "index", e1));
	efix_advance(&t.f, 1100);
	EV_ASSERT(efix_notify(&t.f, t.from, NULL) < 0);
	EV_ERR(put(&t, PR, BOB, "index", e4));
	efix_advance(&t.f, 600);
	EV_ERR(next_notify(&t));
	want[0] = '\0';
	want_doc(want, PR, "index", e3, e4);
	want_end(want);
	EV_STR(want, t.body);
out:
	xfx_close(&t);
	return err;
}
