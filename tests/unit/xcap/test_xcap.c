/* tests/unit/xcap/test_xcap.c - the XCAP server glue (RFC 4825 6-8, 11):
 * the request logic driven directly (plain and --oom), the write queue,
 * and the whole server over HTTP with digest authentication */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "http/http.h"
#include "proxy/domain.h"
#include "store/store.h"
#include "test.h"
#include "xcap/xcap.h"
#include "xcap/xcap_int.h"

#define DOMAIN   "example.com"
#define ALICE    "alice@example.com"
#define BOB      "bob@example.com"
#define ADMIN    "admin@example.com"
#define RL_DOC   "resource-lists/users/sip:alice@example.com/index"
#define RLS_A    "rls-services/users/sip:alice@example.com/index"
#define RLS_B    "rls-services/users/sip:bob@example.com/index"
#define CT_RL    "application/resource-lists+xml"
#define CT_RLS   "application/rls-services+xml"
#define CT_EL    "application/xcap-el+xml"
#define CT_ATT   "application/xcap-att+xml"
#define CT_ERR   "application/xcap-error+xml"
#define MAX_DOC  4096
#define BASE_URI "http://xcap.test"

static const char rl_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
    "  <list name=\"friends\">\n"
    "    <entry uri=\"sip:bob@example.com\">"
    "<display-name>Bob</display-name></entry>\n"
    "  </list>\n"
    "  <list name=\"work\"/>\n"
    "  <list/>\n"
    "</resource-lists>\n";

static const char rl_doc2[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<resource-lists xmlns=\"urn:ietf:params:xml:ns:resource-lists\">\n"
    "  <list name=\"friends\"/>\n"
    "</resource-lists>\n";

#define RLS_FMT                                                                \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<rls-services xmlns=\"urn:ietf:params:xml:ns:rls-services\"\n"        \
	"    xmlns:rl=\"urn:ietf:params:xml:ns:resource-lists\">\n"            \
	"  <service uri=\"%s\">\n"                                             \
	"    <list><rl:entry uri=\"sip:carol@example.com\"/></list>\n"         \
	"    <packages><package>presence</package></packages>\n"               \
	"  </service>\n"                                                       \
	"</rls-services>\n"

/* ---- the request logic without sockets ---- */

struct cap {
	unsigned calls;
	unsigned status;
	char ctype[128];
	char hdrs[512];
	char body[16384];
	size_t blen;
};

static void cap_h(unsigned status, const char *ctype, const char *body,
                  size_t len, const char *hdrs, void *arg)
{
	struct cap *c = arg;

	c->calls++;
	c->status = status;
	snprintf(c->ctype, sizeof(c->ctype), "%s", ctype ? ctype : "");
	snprintf(c->hdrs, sizeof(c->hdrs), "%s", hdrs ? hdrs : "");
	c->blen = len < sizeof(c->body) - 1 ? len : sizeof(c->body) - 1;
	if (len)
		memcpy(c->body, body, c->blen);
	c->body[c->blen] = '\0';
}

/* The entity tag of a response (unquoted), or "". */
static const char *cap_etag(const struct cap *c, char *out, size_t size)
{
	const char *p = strstr(c->hdrs, "ETag: \"");

	out[0] = '\0';
	if (p) {
		const char *e = strchr(p + 7, '"');

		if (e)
			snprintf(out, size, "%.*s", (int)(e - p - 7), p + 7);
	}
	return out;
}

struct cfix {
	struct loop *loop; /* only for the write queue test */
	struct store *st;
	struct tmrl *tl;
	struct dom *dom;
	struct xcap *x;
};

static int cfix_init(struct cfix *f, bool with_loop)
{
	struct xcap_conf cf = {"/xcap", MAX_DOC, DOMAIN};
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 1000);
	if (!err && with_loop)
		err = loop_alloc(&f->loop);
	if (!err)
		err = store_open(&f->st, "mem:", f->loop);
	if (!err)
		err = store_domain_add(f->st, DOMAIN);
	if (!err)
		err = dom_alloc(&f->dom, f->st);
	if (!err)
		err = xcap_core_alloc(&f->x, &cf, f->st, f->tl, f->dom);
	return err;
}

static void cfix_close(struct cfix *f)
{
	f->x = mem_deref(f->x);
	f->dom = mem_deref(f->dom);
	if (f->st)
		store_flush(f->st);
	f->st = mem_deref(f->st);
	f->tl = mem_deref(f->tl);
	f->loop = mem_deref(f->loop);
}

/* Request options. */
struct ro {
	const char *user;
	bool admin;
	const char *ctype;
	const char *if_match;
	const char *if_none;
	const char *body;
	size_t blen; /* 0: strlen(body) */
	const char *query;
};

static void rq_fill(struct xcap_rq *rq, const char *method, const char *rest,
                    const struct ro *o)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = method;
	rq->rest = rest;
	rq->base = BASE_URI;
	rq->user = o && o->user ? o->user : ALICE;
	if (o) {
		rq->admin = o->admin;
		rq->ctype = o->ctype;
		rq->if_match = o->if_match;
		rq->if_none_match = o->if_none;
		rq->body = o->body;
		rq->blen = o->body ? (o->blen ? o->blen : strlen(o->body)) : 0;
		rq->query = o->query;
	}
}

/* One request answered at once (the store has no loop). A 500 can only
 * come from an injected allocation failure here: ENOMEM. */
static int call(struct cfix *f, const char *method, const char *rest,
                const struct ro *o, struct cap *c)
{
	struct xcap_rq rq;

	rq_fill(&rq, method, rest, o);
	memset(c, 0, sizeof(*c));
	xcap_handle(f->x, &rq, cap_h, c);
	if (c->calls != 1) {
		test_fail(__FILE__, __LINE__, "%s %s: %u replies", method, rest,
		          c->calls);
		return EPROTO;
	}
	if (c->status == 500)
		return ENOMEM;
	return 0;
}

#define CALL(m, rest, o, st)                                                   \
	do {                                                                   \
		err = call(&f, (m), (rest), (o), &c);                          \
		TEST_ERR(err);                                                 \
		TEST_EQ((st), c.status);                                       \
	} while (0)

/* The stored document is still exactly doc with entity tag etag. */
static int same_doc(struct cfix *fp, const char *rest, const char *doc,
                    const char *etag)
{
	struct cap c;
	char e[80];
	int err = call(fp, "GET", rest, NULL, &c);

	if (err)
		return err;
	if (c.status != 200 || c.blen != strlen(doc) || strcmp(c.body, doc) ||
	    strcmp(cap_etag(&c, e, sizeof(e)), etag)) {
		test_fail(__FILE__, __LINE__,
		          "document changed: %u etag %s (want %s)\n%s",
		          c.status, e, etag, c.body);
		return EINVAL;
	}
	return 0;
}

#define SAME(rest, doc, etag)                                                  \
	do {                                                                   \
		err = same_doc(&f, (rest), (doc), (etag));                     \
		TEST_ERR(err);                                                 \
	} while (0)

static void log_capture(enum log_level lvl, const char *module,
                        const char *line, void *arg)
{
	char *out = arg;

	if (lvl == LOG_LVL_INFO && !strcmp(module, "xcap"))
		snprintf(out, 256, "%s", line);
}

TEST(test_xcap_doc_etags)
{
	struct ro put = {.ctype = CT_RL, .body = rl_doc};
	struct ro o;
	struct xcap_stats s;
	struct cfix f;
	struct cap c;
	char e1[80], e2[80], v[128], logged[256] = "";
	log_h *oldh = NULL;
	void *olda = NULL;
	enum log_level oldl = log_level_get();
	int err;

	log_handler_get(&oldh, &olda);
	err = cfix_init(&f, false);
	TEST_ERR(err);

	CALL("GET", RL_DOC, NULL, 404);
	TEST_STR_EQ("text/plain", c.ctype);

	/* create: 201 with an entity tag, logged at info */
	log_handler_set(log_capture, logged);
	log_level_set(LOG_LVL_INFO);
	err = call(&f, "PUT", RL_DOC, &put, &c);
	log_handler_set(oldh, olda);
	log_level_set(oldl);
	TEST_ERR(err);
	TEST_EQ(201, c.status);
	TEST_ASSERT(cap_etag(&c, e1, sizeof(e1))[0] != '\0');
	TEST_EQ(0, c.blen);
	TEST_STR_EQ("xcap PUT " RL_DOC " by " ALICE ": 201", logged);

	/* GET: byte-equal, the usage's type, the same tag */
	CALL("GET", RL_DOC, NULL, 200);
	TEST_STR_EQ(CT_RL, c.ctype);
	TEST_EQ(strlen(rl_doc), c.blen);
	TEST_STR_EQ(rl_doc, c.body);
	TEST_STR_EQ(e1, cap_etag(&c, v, sizeof(v)));

	/* conditional GET */
	snprintf(v, sizeof(v), "\"%s\"", e1);
	o = (struct ro){.if_none = v};
	CALL("GET", RL_DOC, &o, 304);
	TEST_EQ(0, c.blen);
	TEST_ASSERT(strstr(c.hdrs, e1) != NULL);
	o = (struct ro){.if_none = "\"other\", W/\"x\""};
	CALL("GET", RL_DOC, &o, 200);
	o = (struct ro){.if_none = "*"};
	CALL("GET", RL_DOC, &o, 304);
	o = (struct ro){.if_match = "\"stale\""};
	CALL("GET", RL_DOC, &o, 412);
	o = (struct ro){.if_match = v};
	CALL("GET", RL_DOC, &o, 200);

	/* stale If-Match, If-None-Match * on an existing document: 412,
	 * nothing changes */
	o = put;
	o.body = rl_doc2;
	o.if_match = "\"stale\"";
	CALL("PUT", RL_DOC, &o, 412);
	o.if_match = "W/\"x\", \"y\"";
	CALL("PUT", RL_DOC, &o, 412);
	snprintf(v, sizeof(v), "W/\"%s\"", e1); /* weak never matches */
	o.if_match = v;
	CALL("PUT", RL_DOC, &o, 412);
	o.if_match = NULL;
	o.if_none = "*";
	CALL("PUT", RL_DOC, &o, 412);
	TEST_STR_EQ("If-None-Match: the document exists\n", c.body);
	SAME(RL_DOC, rl_doc, e1);

	/* replace with the right tag: 200, a new tag */
	snprintf(v, sizeof(v), "\"%s\"", e1);
	o = put;
	o.body = rl_doc2;
	o.if_match = v;
	CALL("PUT", RL_DOC, &o, 200);
	cap_etag(&c, e2, sizeof(e2));
	TEST_ASSERT(e2[0] && strcmp(e1, e2));
	SAME(RL_DOC, rl_doc2, e2);

	/* DELETE: stale tag 412, then 200 and gone */
	o = (struct ro){.if_match = v};
	CALL("DELETE", RL_DOC, &o, 412);
	SAME(RL_DOC, rl_doc2, e2);
	CALL("DELETE", RL_DOC, NULL, 200);
	TEST_STR_EQ("", c.hdrs);
	CALL("GET", RL_DOC, NULL, 404);
	CALL("DELETE", RL_DOC, NULL, 404);

	/* If-Match on a missing document: 412; If-None-Match *: created */
	o = put;
	o.if_match = "*";
	CALL("PUT", RL_DOC, &o, 412);
	TEST_STR_EQ("If-Match: no such document\n", c.body);
	o = (struct ro){.if_match = "*"};
	CALL("GET", RL_DOC, &o, 412);
	o = put;
	o.if_none = "*";
	CALL("PUT", RL_DOC, &o, 201);

	xcap_stats_get(f.x, &s);
	TEST_EQ(12, s.gets);
	TEST_EQ(8, s.puts);
	TEST_EQ(3, s.deletes);
	TEST_EQ(11, s.errors);
out:
	log_handler_set(oldh, olda);
	log_level_set(oldl);
	cfix_close(&f);
	return err;
}

#define FRIENDS RL_DOC "/~~/resource-lists/list[@name=\"friends\"]"

TEST(test_xcap_nodes)
{
	struct ro put = {.ctype = CT_RL, .body = rl_doc};
	struct ro el = {.ctype = CT_EL};
	struct ro att = {.ctype = CT_ATT};
	struct cfix f;
	struct cap c;
	char e0[80], e1[80], v[80];
	int err;

	err = cfix_init(&f, false);
	TEST_ERR(err);
	CALL("PUT", RL_DOC, &put, 201);
	cap_etag(&c, e0, sizeof(e0));

	/* element: create, read, replace, delete */
	el.body = "<entry uri=\"sip:carol@example.com\"/>";
	CALL("PUT", FRIENDS "/entry[@uri=\"sip:carol@example.com\"]", &el, 201);
	cap_etag(&c, e1, sizeof(e1));
	TEST_ASSERT(e1[0] && strcmp(e0, e1));
	CALL("GET", FRIENDS "/entry[@uri=\"sip:carol@example.com\"]", NULL,
	     200);
	TEST_STR_EQ(CT_EL, c.ctype);
	TEST_STR_EQ("<entry uri=\"sip:carol@example.com\"/>", c.body);
	TEST_STR_EQ(e1, cap_etag(&c, v, sizeof(v)));
	CALL("GET", FRIENDS "/entry[2]/@uri", NULL, 200);
	TEST_STR_EQ(CT_ATT, c.ctype);
	TEST_STR_EQ("sip:carol@example.com", c.body);
	el.body = "<entry uri=\"sip:carol@example.com\">"
	          "<display-name>Carol</display-name></entry>";
	CALL("PUT", FRIENDS "/entry[2]", &el, 200);
	CALL("GET", FRIENDS "/entry[2]/display-name", NULL, 200);
	TEST_STR_EQ("<display-name>Carol</display-name>", c.body);
	CALL("DELETE", FRIENDS "/entry[2]", NULL, 200);
	CALL("GET", FRIENDS "/entry[2]", NULL, 404);
	CALL("GET", FRIENDS "/entry[1]/@uri", NULL, 200);
	TEST_STR_EQ("sip:bob@example.com", c.body);

	/* attribute: replace, create, read, delete */
	att.body = "colleagues";
	CALL("PUT", RL_DOC "/~~/resource-lists/list[2]/@name", &att, 200);
	CALL("GET", RL_DOC "/~~/resource-lists/list[@name=\"colleagues\"]",
	     NULL, 200);
	TEST_STR_EQ("<list name=\"colleagues\"/>", c.body);
	att.body = "family";
	CALL("PUT", RL_DOC "/~~/resource-lists/list[3]/@name", &att, 201);
	CALL("GET", RL_DOC "/~~/resource-lists/list[3]/@name", NULL, 200);
	TEST_STR_EQ(CT_ATT, c.ctype);
	TEST_STR_EQ("family", c.body);
	CALL("DELETE", RL_DOC "/~~/resource-lists/list[3]/@name", NULL, 200);
	CALL("GET", RL_DOC "/~~/resource-lists/list[3]/@name", NULL, 404);
	CALL("DELETE", RL_DOC "/~~/resource-lists/list[3]/@name", NULL, 404);

	/* namespace bindings: readable, not writable */
	CALL("GET", RL_DOC "/~~/resource-lists/namespace::*", NULL, 200);
	TEST_STR_EQ("application/xcap-ns+xml", c.ctype);
	TEST_ASSERT(strstr(c.body, "urn:ietf:params:xml:ns:resource-lists"));
	CALL("PUT", RL_DOC "/~~/resource-lists/namespace::*", &el, 405);
	TEST_ASSERT(strstr(c.hdrs, "Allow: GET\r\n") != NULL);
	CALL("DELETE", RL_DOC "/~~/resource-lists/namespace::*", NULL, 405);

	/* a prefix bound in the query */
	{
		struct ro q = {.query = "xmlns(r=urn:ietf:params:xml:ns:"
		                        "resource-lists)"};

		CALL("GET", RL_DOC "/~~/r:resource-lists/r:list[1]/@name", &q,
		     200);
		TEST_STR_EQ("friends", c.body);
	}
out:
	cfix_close(&f);
	return err;
}

/* A 409 whose body carries element tag (and the document did not
 * change). */
static int conflict(struct cfix *fp, const char *method, const char *rest,
                    const struct ro *o, const char *tag, const char *doc,
                    const char *etag, struct cap *cp)
{
	struct cap cl, *c = cp ? cp : &cl;
	int err = call(fp, method, rest, o, c);

	if (err)
		return err;
	if (c->status != 409 || strcmp(c->ctype, CT_ERR) ||
	    !strstr(c->body, tag) ||
	    !strstr(c->body, "urn:ietf:params:xml:ns:xcap-error")) {
		test_fail(__FILE__, __LINE__, "%s %s: %u %s, want 409 %s",
		          method, rest, c->status, c->body, tag);
		return EINVAL;
	}
	return doc ? same_doc(fp, RL_DOC, doc, etag) : 0;
}

#define CONFLICT(m, rest, o, tag)                                              \
	do {                                                                   \
		err = conflict(&f, (m), (rest), (o), (tag), rl_doc, e0, &c);   \
		TEST_ERR(err);                                                 \
	} while (0)

TEST(test_xcap_conflicts)
{
	struct ro put = {.ctype = CT_RL, .body = rl_doc};
	struct ro o, el = {.ctype = CT_EL}, att = {.ctype = CT_ATT};
	char big[MAX_DOC + 200], e0[80];
	struct cfix f;
	struct cap c;
	size_t n;
	int err;

	err = cfix_init(&f, false);
	TEST_ERR(err);

	/* element PUT into a document that does not exist: no-parent naming
	 * the user's directory */
	el.body = "<entry uri=\"sip:x@example.com\"/>";
	err = conflict(&f, "PUT", FRIENDS "/entry", &el, "<no-parent", NULL,
	               NULL, &c);
	TEST_ERR(err);
	TEST_ASSERT(strstr(c.body, "<ancestor>" BASE_URI "/xcap/resource-lists"
	                           "/users/sip:alice@example.com/</ancestor>"));

	CALL("PUT", RL_DOC, &put, 201);
	cap_etag(&c, e0, sizeof(e0));

	o = put;
	o.body = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:"
	         "resource-lists\"><list>";
	CONFLICT("PUT", RL_DOC, &o, "<not-well-formed");
	o.body = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:"
	         "resource-lists\"><list name=\"\xff\xfe\"/></resource-lists>";
	CONFLICT("PUT", RL_DOC, &o, "<not-utf-8");
	o.body = "<resource-lists xmlns=\"urn:ietf:params:xml:ns:"
	         "resource-lists\"><entyr/></resource-lists>";
	CONFLICT("PUT", RL_DOC, &o, "<schema-validation-error");
	el.body = "<entry uri=\"sip:x@example.com\"/>"
	          "<entry uri=\"sip:y@example.com\"/>";
	CONFLICT("PUT", FRIENDS "/entry[2]", &el, "<not-xml-frag");
	el.body = "<entry uri=\"sip:x@example.com\"/>";
	CONFLICT("PUT", RL_DOC "/~~/resource-lists/list[@name=\"nope\"]/entry",
	         &el, "<no-parent");
	TEST_ASSERT(strstr(c.body, "<ancestor>" BASE_URI "/xcap/" RL_DOC
	                           "/~~/resource-lists</ancestor>"));
	el.body = "<entry uri=\"sip:eve@example.com\"/>";
	CONFLICT("PUT", FRIENDS "/entry[@uri=\"sip:dave@example.com\"]", &el,
	         "<cannot-insert");
	CONFLICT("DELETE", RL_DOC "/~~/resource-lists", NULL, "<cannot-delete");
	att.body = "a<b";
	CONFLICT("PUT", RL_DOC "/~~/resource-lists/list[2]/@name", &att,
	         "<not-xml-att-value");
	el.body = "<entry uri=\"sip:bob@example.com\"/>";
	CONFLICT("PUT", FRIENDS "/entry[2]", &el, "<uniqueness-failure");
	att.body = "friends";
	CONFLICT("PUT", RL_DOC "/~~/resource-lists/list[3]/@name", &att,
	         "<uniqueness-failure");

	/* too large after the change: constraint-failure */
	n = (size_t)snprintf(big, sizeof(big),
	                     "<resource-lists xmlns=\"urn:ietf:params:xml:ns:"
	                     "resource-lists\"><list name=\"");
	memset(big + n, 'x', MAX_DOC);
	n += MAX_DOC;
	n +=
	    (size_t)snprintf(big + n, sizeof(big) - n, "\"/></resource-lists>");
	o = put;
	o.body = big;
	o.blen = n;
	CONFLICT("PUT", RL_DOC, &o, "<constraint-failure");

	/* wrong or missing Content-Type: 415 */
	o = put;
	o.ctype = "text/xml";
	CALL("PUT", RL_DOC, &o, 415);
	o.ctype = NULL;
	CALL("PUT", RL_DOC, &o, 415);
	o = el;
	o.ctype = CT_RL;
	CALL("PUT", FRIENDS "/entry[2]", &o, 415);
	o.ctype = CT_EL "; charset=UTF-8";
	o.body = "<entry uri=\"sip:zed@example.com\"/>";
	CALL("PUT", FRIENDS "/entry[2]", &o, 201);
out:
	cfix_close(&f);
	return err;
}

TEST(test_xcap_access)
{
	struct ro put = {.ctype = CT_RL, .body = rl_doc};
	struct ro bob = {.user = BOB}, admin = {.user = ADMIN, .admin = true};
	struct ro o;
	struct cfix f;
	struct cap c;
	char e0[80];
	int err;

	err = cfix_init(&f, false);
	TEST_ERR(err);
	CALL("PUT", RL_DOC, &put, 201);
	cap_etag(&c, e0, sizeof(e0));

	/* another user: 403 for every method; the admin may */
	CALL("GET", RL_DOC, &bob, 403);
	o = put;
	o.user = BOB;
	CALL("PUT", RL_DOC, &o, 403);
	CALL("DELETE", RL_DOC, &bob, 403);
	SAME(RL_DOC, rl_doc, e0);
	CALL("GET", RL_DOC, &admin, 200);
	TEST_STR_EQ(rl_doc, c.body);
	o.user = ADMIN;
	o.admin = true;
	o.body = rl_doc2;
	CALL("PUT", RL_DOC, &o, 200);
	/* the domain of the identity compares without case */
	o = (struct ro){.user = "alice@EXAMPLE.com"};
	CALL("GET", RL_DOC, &o, 200);
	o = (struct ro){.user = "Alice@example.com"};
	CALL("GET", RL_DOC, &o, 403);

	/* methods, malformed and unknown URIs */
	CALL("POST", RL_DOC, NULL, 405);
	TEST_STR_EQ("Allow: GET, PUT, DELETE\r\n", c.hdrs);
	CALL("GET", RL_DOC "/~~/resource-lists/list[0]", NULL, 400);
	TEST_ASSERT(strstr(c.body, "position") != NULL);
	CALL("GET", RL_DOC "/~~/resource-lists/x:list", NULL, 400);
	CALL("GET", "nothing/users/sip:alice@example.com/index", NULL, 404);
	CALL("GET", "resource-lists/users/sip:alice@example.com/", NULL, 404);
	CALL("GET", "resource-lists", NULL, 404);

	/* the global tree: read only; xcap-caps for anyone */
	CALL("GET", "xcap-caps/global/index", NULL, 200);
	TEST_STR_EQ("application/xcap-caps+xml", c.ctype);
	TEST_ASSERT(strstr(c.body, "<auid>resource-lists</auid>") != NULL);
	TEST_ASSERT(cap_etag(&c, e0, sizeof(e0))[0] != '\0');
	o = (struct ro){.user = BOB, .if_none = e0};
	CALL("GET", "xcap-caps/global/index", &o, 304);
	CALL("GET", "xcap-caps/global/other", NULL, 404);
	o = put;
	CALL("PUT", "xcap-caps/global/index", &o, 405);
	TEST_STR_EQ("Allow: GET\r\n", c.hdrs);
	CALL("DELETE", "xcap-caps/global/index", NULL, 405);
	CALL("GET", "xcap-caps/users/sip:alice@example.com/index", NULL, 404);
out:
	cfix_close(&f);
	return err;
}

TEST(test_xcap_rls_services)
{
	struct ro o = {.ctype = CT_RLS};
	struct ro admin = {.user = ADMIN, .admin = true};
	char doc[1024], doc2[1024], e0[80];
	struct cfix f;
	struct cap c;
	int err;

	err = cfix_init(&f, false);
	TEST_ERR(err);

	snprintf(doc, sizeof(doc), RLS_FMT, "sip:friends@example.com");
	o.body = doc;
	CALL("PUT", RLS_A, &o, 201);
	cap_etag(&c, e0, sizeof(e0));

	/* the same service URI for bob: taken */
	o.user = BOB;
	err = conflict(&f, "PUT", RLS_B, &o, "<uniqueness-failure", NULL, NULL,
	               &c);
	TEST_ERR(err);
	TEST_ASSERT(strstr(c.body, "<alt-value>") != NULL);
	CALL("GET", RLS_B, &o, 404);
	/* a service in a domain impd does not serve */
	snprintf(doc2, sizeof(doc2), RLS_FMT, "sip:friends@elsewhere.test");
	o.body = doc2;
	err = conflict(&f, "PUT", RLS_B, &o, "<constraint-failure", NULL, NULL,
	               NULL);
	TEST_ERR(err);
	/* another name than index */
	o.body = doc;
	err = conflict(&f, "PUT", "rls-services/users/sip:bob@example.com/mine",
	               &o, "<constraint-failure", NULL, NULL, &c);
	TEST_ERR(err);
	TEST_ASSERT(strstr(c.body, "document name must be index") != NULL);
	CALL("GET", "rls-services/users/sip:bob@example.com/mine", &o, 404);

	snprintf(doc2, sizeof(doc2), RLS_FMT, "sip:bobs@example.com");
	o.body = doc2;
	CALL("PUT", RLS_B, &o, 201);

	/* the global document: every user's services, administrators only */
	CALL("GET", "rls-services/global/index", NULL, 403);
	CALL("GET", "rls-services/global/index", &admin, 200);
	TEST_STR_EQ(CT_RLS, c.ctype);
	TEST_ASSERT(strstr(c.body, "uri=\"sip:friends@example.com\""));
	TEST_ASSERT(strstr(c.body, "uri=\"sip:bobs@example.com\""));
	TEST_ASSERT(strstr(c.body, "<rls-services xmlns=\"urn:ietf:params:"
	                           "xml:ns:rls-services\""));
	CALL("GET", "rls-services/global/index/~~/rls-services/service[2]/@uri",
	     &admin, 200);
	TEST_STR_EQ("sip:bobs@example.com", c.body);

	/* alice gives the URI up: bob may take it */
	CALL("DELETE", RLS_A, NULL, 200);
	o.body = doc;
	CALL("PUT", RLS_B, &o, 200);
	CALL("GET", "rls-services/global/index", &admin, 200);
	TEST_ASSERT(strstr(c.body, "uri=\"sip:friends@example.com\""));
	TEST_ASSERT(!strstr(c.body, "uri=\"sip:bobs@example.com\""));
	o.user = NULL;
	err = conflict(&f, "PUT", RLS_A, &o, "<uniqueness-failure", NULL, NULL,
	               NULL);
	TEST_ERR(err);
out:
	cfix_close(&f);
	return err;
}

/* Two writes to one document at once: the second waits for the first
 * to be stored, then sees it (If-None-Match: * fails). */
TEST_NO_OOM(test_xcap_write_queue)
{
	struct ro o = {.ctype = CT_RL, .body = rl_doc, .if_none = "*"};
	struct xcap_rq rq;
	struct cap c1, c2, c3;
	struct cfix f;
	struct timespec end, now;
	int err;

	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&c3, 0, sizeof(c3));
	err = cfix_init(&f, true);
	TEST_ERR(err);
	rq_fill(&rq, "PUT", RL_DOC, &o);
	xcap_handle(f.x, &rq, cap_h, &c1);
	xcap_handle(f.x, &rq, cap_h, &c2);
	TEST_EQ(0, c1.calls); /* waits for the store */
	TEST_EQ(0, c2.calls); /* waits its turn */
	rq_fill(&rq, "GET", RL_DOC, NULL);
	xcap_handle(f.x, &rq, cap_h, &c3); /* reads do not queue */
	TEST_EQ(0, c3.calls);              /* but they wait for the store */
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 3;
	do {
		(void)loop_run_once(f.loop, 5);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!c2.calls && now.tv_sec < end.tv_sec);
	TEST_EQ(1, c3.calls);
	TEST_ASSERT(c3.status == 200 || c3.status == 404);
	TEST_EQ(1, c1.calls);
	TEST_EQ(201, c1.status);
	TEST_EQ(1, c2.calls);
	TEST_EQ(412, c2.status);

	/* the server goes away with a write reading its document, one
	 * waiting and a read: each is answered, and the first write, which
	 * had not changed anything yet, is not made */
	memset(&c1, 0, sizeof(c1));
	memset(&c2, 0, sizeof(c2));
	memset(&c3, 0, sizeof(c3));
	o.if_none = NULL;
	rq_fill(&rq, "PUT", RL_DOC, &o);
	xcap_handle(f.x, &rq, cap_h, &c1);
	xcap_handle(f.x, &rq, cap_h, &c2);
	rq_fill(&rq, "GET", RL_DOC, NULL);
	xcap_handle(f.x, &rq, cap_h, &c3);
	f.x = mem_deref(f.x);
	TEST_EQ(1, c2.calls);
	TEST_EQ(503, c2.status);
	store_flush(f.st);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 3;
	do {
		(void)loop_run_once(f.loop, 5);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((!c1.calls || !c3.calls) && now.tv_sec < end.tv_sec);
	TEST_EQ(1, c1.calls);
	TEST_EQ(503, c1.status);
	TEST_EQ(1, c3.calls);
	TEST_EQ(200, c3.status);
out:
	cfix_close(&f);
	return err;
}

/* ---- over HTTP ---- */

struct rsp {
	unsigned status;
	char head[4096];
	char body[16384];
	size_t blen;
};

struct hfix {
	struct loop *loop;
	struct store *st;
	struct dom *dom;
	struct http *h;
	struct xcap *x;
	uint16_t port;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int user_add(struct store *st, const char *user, const char *pw)
{
	struct store_user u;
	char in[256];

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "%s", DOMAIN);
	snprintf(in, sizeof(in), "%s:%s:%s", user, DOMAIN, pw);
	md5_hex(u.ha1_md5, in, strlen(in));
	sha256_hex(u.ha1_sha256, in, strlen(in));
	u.enabled = true;
	return store_user_add(st, &u);
}

static int hfix_init(struct hfix *f)
{
	struct http_conf hc = {
	    .listen = "127.0.0.1:0",
	    .admins = ADMIN,
	    .max_body = 8192,
	    .nonce_ttl_s = 300,
	    .server_name = "impd-test/1",
	};
	struct xcap_conf xc = {"/xcap", MAX_DOC, DOMAIN};
	int err;

	memset(f, 0, sizeof(*f));
	err = loop_alloc(&f->loop);
	if (!err)
		err = store_open(&f->st, "mem:", f->loop);
	if (!err)
		err = store_domain_add(f->st, DOMAIN);
	if (!err)
		err = user_add(f->st, "alice", "wonderland");
	if (!err)
		err = user_add(f->st, "bob", "builder");
	if (!err)
		err = user_add(f->st, "admin", "root");
	if (!err)
		err = dom_alloc(&f->dom, f->st);
	if (!err)
		err = http_alloc(&f->h, &hc, f->loop, f->st);
	if (!err)
		err = xcap_alloc(&f->x, &xc, f->h, f->st, loop_tmrl(f->loop),
		                 f->dom);
	if (!err)
		f->port = http_port(f->h);
	return err;
}

static void hfix_close(struct hfix *f)
{
	f->h = mem_deref(f->h); /* first: its routes borrow the xcap */
	f->x = mem_deref(f->x);
	f->dom = mem_deref(f->dom);
	if (f->st)
		store_flush(f->st);
	f->st = mem_deref(f->st);
	f->loop = mem_deref(f->loop);
}

/* Send raw bytes on a new connection, run the loop until the whole
 * response is in. */
static int xfer(struct hfix *f, const char *out, size_t on, struct rsp *r)
{
	static char raw[sizeof(r->head) + sizeof(r->body)];
	struct sockaddr_in sin;
	size_t rn = 0, clen = 0;
	uint64_t end = now_ms() + 3000;
	const char *hend = NULL;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(f->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    send(fd, out, on, MSG_NOSIGNAL) != (ssize_t)on) {
		err = errno;
		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	while (now_ms() < end) {
		ssize_t n;

		(void)loop_run_once(f->loop, 5);
		n = recv(fd, raw + rn, sizeof(raw) - 1 - rn, 0);
		if (n == 0)
			break;
		if (n < 0)
			continue;
		rn += (size_t)n;
		raw[rn] = '\0';
		if (!hend) {
			const char *cl;

			hend = strstr(raw, "\r\n\r\n");
			if (!hend)
				continue;
			cl = strcasestr(raw, "\r\nContent-Length:");
			if (cl && cl < hend)
				clen = strtoul(cl + 17, NULL, 10);
		}
		if (rn >= (size_t)(hend - raw) + 4 + clen)
			break;
	}
	close(fd);
	if (!hend)
		return ETIMEDOUT;
	if ((size_t)(hend - raw) >= sizeof(r->head))
		return EMSGSIZE;
	memcpy(r->head, raw, (size_t)(hend - raw) + 2);
	r->blen = rn - (size_t)(hend - raw) - 4;
	memcpy(r->body, hend + 4, r->blen);
	if (sscanf(r->head, "HTTP/1.1 %u", &r->status) != 1)
		return EBADMSG;
	return 0;
}

/* The first value of header field name, or NULL. */
static const char *hdr(const struct rsp *r, const char *name, char *out,
                       size_t size)
{
	const char *p = r->head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(out, size, "%.*s",
			         (int)(e ? (size_t)(e - v) : strlen(v)), v);
			return out;
		}
	}
	return NULL;
}

static bool param(const char *ch, const char *name, char *out, size_t size)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	for (p = ch; (p = strcasestr(p, key)); p++) {
		const char *v = p + strlen(key), *e;

		if (p != ch && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (*v == '"')
			e = strchr(++v, '"');
		else
			e = v + strcspn(v, ", ");
		if (!e)
			return false;
		snprintf(out, size, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

static void sha256_str(char out[65], const char *s)
{
	sha256_hex(out, s, strlen(s));
}

/* The SHA-256 challenge of a 401 answered (RFC 7616 3.4.1, qop=auth). */
static int digest(char *out, size_t size, const struct rsp *r,
                  const char *method, const char *uri, const char *user,
                  const char *pw)
{
	char ch[512], realm[128], nonce[256], opaque[128], in[2048];
	char ha1[65], ha2[65], resp[65];
	/* the SHA-256 challenge comes first */
	if (!hdr(r, "WWW-Authenticate", ch, sizeof(ch)) ||
	    !strcasestr(ch, "SHA-256"))
		return ENOENT;
	if (!param(ch, "realm", realm, sizeof(realm)) ||
	    !param(ch, "nonce", nonce, sizeof(nonce)))
		return EINVAL;
	if (!param(ch, "opaque", opaque, sizeof(opaque)))
		opaque[0] = '\0';
	snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
	sha256_str(ha1, in);
	snprintf(in, sizeof(in), "%s:%s", method, uri);
	sha256_str(ha2, in);
	snprintf(in, sizeof(in), "%s:%s:00000001:0a4f113b:auth:%s", ha1, nonce,
	         ha2);
	sha256_str(resp, in);
	snprintf(out, size,
	         "Authorization: Digest username=\"%s\", realm=\"%s\", "
	         "nonce=\"%s\", uri=\"%s\", algorithm=SHA-256, qop=auth, "
	         "nc=00000001, cnonce=\"0a4f113b\", response=\"%s\", "
	         "opaque=\"%s\"\r\n",
	         user, realm, nonce, uri, resp, opaque);
	return 0;
}

/* A request as user (password pw): first without credentials (401),
 * then answering the challenge. hdrs: extra "Name: value\r\n" lines. */
static int hreq(struct hfix *f, const char *method, const char *uri,
                const char *user, const char *pw, const char *hdrs,
                const char *body, size_t blen, struct rsp *r)
{
	static char out[16384];
	char auth[1024] = "";
	int n, err;

	for (int round = 0; round < 2; round++) {
		n = snprintf(out, sizeof(out),
		             "%s %s HTTP/1.1\r\nHost: xcap.test:8080\r\n%s%s"
		             "Content-Length: %zu\r\n\r\n",
		             method, uri, auth, hdrs ? hdrs : "", blen);
		if (n < 0 || (size_t)n + blen > sizeof(out))
			return EMSGSIZE;
		if (blen)
			memcpy(out + n, body, blen);
		err = xfer(f, out, (size_t)n + blen, r);
		if (err || !user || r->status != 401 || round)
			return err;
		err = digest(auth, sizeof(auth), r, method, uri, user, pw);
		if (err)
			return err;
	}
	return 0;
}

static size_t slen(const char *s)
{
	return s ? strlen(s) : 0;
}

#define U_RL   "/xcap/" RL_DOC
#define U_FR   U_RL "/~~/resource-lists/list%5b@name=%22friends%22%5d"
#define A_HDRS "Content-Type: " CT_RL "\r\n"

#define HREQ(m, uri, who, pw, hdrs, body, st)                                  \
	do {                                                                   \
		err = hreq(&f, (m), (uri), (who), (pw), (hdrs), (body),        \
		           slen(body), &r);                                    \
		TEST_ERR(err);                                                 \
		TEST_EQ((st), r.status);                                       \
	} while (0)

TEST_NO_OOM(test_xcap_http)
{
	char v[512], e1[128], e2[128], h2[512];
	struct xcap_stats s;
	struct hfix f;
	struct rsp r;
	int err;

	err = hfix_init(&f);
	TEST_ERR(err);
	TEST_ASSERT(f.port != 0);

	/* no credentials: a challenge in the realm of the path's domain */
	HREQ("GET", U_RL, NULL, NULL, NULL, NULL, 401);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", v, sizeof(v)));
	TEST_ASSERT(strstr(v, "realm=\"example.com\"") != NULL);

	/* PUT: 201 with a quoted entity tag; GET byte-equal */
	HREQ("PUT", U_RL, "alice", "wonderland", A_HDRS, rl_doc, 201);
	TEST_ASSERT(hdr(&r, "ETag", e1, sizeof(e1)));
	TEST_ASSERT(e1[0] == '"' && e1[strlen(e1) - 1] == '"');
	HREQ("GET", U_RL, "alice", "wonderland", NULL, NULL, 200);
	TEST_STR_EQ(CT_RL, hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_EQ(strlen(rl_doc), r.blen);
	TEST_ASSERT(!memcmp(rl_doc, r.body, r.blen));
	TEST_STR_EQ(e1, hdr(&r, "ETag", v, sizeof(v)));

	/* conditional requests on the wire */
	snprintf(h2, sizeof(h2), "If-None-Match: %s\r\n", e1);
	HREQ("GET", U_RL, "alice", "wonderland", h2, NULL, 304);
	snprintf(h2, sizeof(h2), A_HDRS "If-Match: \"stale\"\r\n");
	HREQ("PUT", U_RL, "alice", "wonderland", h2, rl_doc2, 412);
	snprintf(h2, sizeof(h2), A_HDRS "If-None-Match: *\r\n");
	HREQ("PUT", U_RL, "alice", "wonderland", h2, rl_doc2, 412);

	/* element and attribute */
	HREQ("PUT", U_FR "/entry%5b2%5d", "alice", "wonderland",
	     "Content-Type: " CT_EL "\r\n",
	     "<entry uri=\"sip:carol@example.com\"/>", 201);
	TEST_ASSERT(hdr(&r, "ETag", e2, sizeof(e2)));
	TEST_ASSERT(strcmp(e1, e2));
	HREQ("GET", U_FR "/entry%5b2%5d", "alice", "wonderland", NULL, NULL,
	     200);
	TEST_STR_EQ(CT_EL, hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_STR_EQ("<entry uri=\"sip:carol@example.com\"/>", r.body);
	TEST_STR_EQ(e2, hdr(&r, "ETag", v, sizeof(v)));
	HREQ("DELETE", U_FR "/entry%5b2%5d", "alice", "wonderland", NULL, NULL,
	     200);
	HREQ("GET", U_FR "/entry%5b2%5d", "alice", "wonderland", NULL, NULL,
	     404);
	HREQ("PUT", U_RL "/~~/resource-lists/list%5b3%5d/@name", "alice",
	     "wonderland", "Content-Type: " CT_ATT "\r\n", "family", 201);
	HREQ("GET", U_RL "/~~/resource-lists/list%5b3%5d/@name", "alice",
	     "wonderland", NULL, NULL, 200);
	TEST_STR_EQ(CT_ATT, hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_STR_EQ("family", r.body);
	HREQ("DELETE", U_RL "/~~/resource-lists/list%5b3%5d/@name", "alice",
	     "wonderland", NULL, NULL, 200);
	HREQ("GET", U_RL, "alice", "wonderland", NULL, NULL, 200);
	TEST_ASSERT(hdr(&r, "ETag", e1, sizeof(e1)));
	TEST_STR_EQ(rl_doc, r.body); /* back as it was, re-serialised */

	/* a 409 on the wire, the absolute URI from the Host header; the
	 * document is unchanged */
	HREQ("PUT", U_FR "/entry%5b2%5d", "alice", "wonderland",
	     "Content-Type: " CT_EL "\r\n",
	     "<entry uri=\"sip:bob@example.com\"/>", 409);
	TEST_STR_EQ(CT_ERR, hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_ASSERT(strstr(r.body, "<uniqueness-failure") != NULL);
	HREQ("PUT", U_RL "/~~/resource-lists/list%5b@name=%22x%22%5d/entry",
	     "alice", "wonderland", "Content-Type: " CT_EL "\r\n",
	     "<entry uri=\"sip:x@example.com\"/>", 409);
	TEST_ASSERT(strstr(r.body,
	                   "<ancestor>http://xcap.test:8080/xcap/" RL_DOC
	                   "/~~/resource-lists</ancestor>"));
	HREQ("PUT", U_RL, "alice", "wonderland", A_HDRS, "<resource-lists",
	     409);
	TEST_ASSERT(strstr(r.body, "<not-well-formed") != NULL);
	HREQ("PUT", U_RL, "alice", "wonderland", "Content-Type: text/xml\r\n",
	     rl_doc2, 415);
	HREQ("GET", U_RL, "alice", "wonderland", NULL, NULL, 200);
	TEST_STR_EQ(rl_doc, r.body);
	TEST_STR_EQ(e1, hdr(&r, "ETag", v, sizeof(v)));

	/* 400 for a bad selector, with a plain body naming the problem */
	HREQ("GET", U_RL "/~~/resource-lists/list%5b0%5d", "alice",
	     "wonderland", NULL, NULL, 400);
	TEST_STR_EQ("text/plain", hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_ASSERT(strstr(r.body, "position") != NULL);

	/* bob: 403; the admin: allowed */
	HREQ("GET", U_RL, "bob", "builder", NULL, NULL, 403);
	HREQ("PUT", U_RL, "bob", "builder", A_HDRS, rl_doc2, 403);
	HREQ("GET", U_RL, "admin", "root", NULL, NULL, 200);
	TEST_STR_EQ(rl_doc, r.body);

	/* the global tree: xcap-caps for any user of the default realm */
	HREQ("GET", "/xcap/xcap-caps/global/index", "bob", "builder", NULL,
	     NULL, 200);
	TEST_STR_EQ("application/xcap-caps+xml",
	            hdr(&r, "Content-Type", v, sizeof(v)));
	TEST_ASSERT(strstr(r.body, "<auid>rls-services</auid>") != NULL);
	HREQ("PUT", "/xcap/xcap-caps/global/index", "bob", "builder",
	     "Content-Type: application/xcap-caps+xml\r\n", "<x/>", 405);
	TEST_STR_EQ("GET", hdr(&r, "Allow", v, sizeof(v)));
	HREQ("GET", "/xcap/rls-services/global/index", "bob", "builder", NULL,
	     NULL, 403);
	HREQ("GET", "/xcap/rls-services/global/index", "admin", "root", NULL,
	     NULL, 200);

	/* other methods: 405 with Allow */
	HREQ("POST", U_RL, "alice", "wonderland", A_HDRS, rl_doc, 405);
	TEST_STR_EQ("GET, PUT, DELETE", hdr(&r, "Allow", v, sizeof(v)));

	/* DELETE the document */
	HREQ("DELETE", U_RL, "alice", "wonderland", NULL, NULL, 200);
	HREQ("GET", U_RL, "alice", "wonderland", NULL, NULL, 404);

	xcap_stats_get(f.x, &s);
	TEST_ASSERT(s.gets >= 10 && s.puts >= 8 && s.deletes == 3);
	TEST_ASSERT(s.errors >= 10);
out:
	hfix_close(&f);
	return err;
}
