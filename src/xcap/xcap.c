/* xcap/xcap.c - the XCAP server on impd's HTTP server (RFC 4825 6-8, 11;
 * RFC 4826 4.3.4 for the global rls-services document) */
#include "xcap.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "xcap"

#include "../base/buf.h"
#include "../base/list.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../base/util.h"
#include "../base/xml.h"
#include "../http/http.h"
#include "../list/rlist.h"
#include "../proxy/domain.h"
#include "../store/docwatch.h"
#include "../store/store.h"
#include "usage.h"
#include "xcap_int.h"
#include "xops.h"
#include "xsel.h"

enum {
	MAX_DOC_DEFAULT = 1048576,
	SVC_POLL_MS = 1000, /* rls-services changes made elsewhere (impctl) */
};

#define CAPS_AUID  "xcap-caps"
#define ALLOW_ALL  "Allow: GET, PUT, DELETE\r\n"
#define ALLOW_GET  "Allow: GET\r\n"
#define CTYPE_EL   "application/xcap-el+xml"
#define CTYPE_ATT  "application/xcap-att+xml"
#define CTYPE_ERR  "application/xcap-error+xml"
#define CTYPE_TEXT "text/plain"

/* The service URIs of one user's rls-services document (uniqueness of
 * service URIs across users, RFC 4826 4.3.3). */
struct svc_owner {
	struct le le; /* in xcap->svcs */
	char *owner;
	uint64_t seq; /* change sequence of the state held */
	char **uris;  /* mem array of mem strings */
	uint32_t n;
};

struct xreq;

struct xcap {
	char *root;   /* "/xcap" */
	char *prefix; /* "/xcap/" */
	char *realm;
	uint32_t max_doc;
	struct store *st;      /* borrowed */
	const struct dom *dom; /* borrowed, may be NULL */
	struct xcap_schemas *sc;
	struct docwatch *dw; /* rls-services documents */
	struct list svcs;    /* struct svc_owner */
	struct list wq;      /* writes waiting their turn (struct xreq) */
	struct xreq *busy;   /* the write in progress, or NULL */
	struct list reads;   /* GETs waiting for the store (struct xreq) */
	bool wq_running;     /* inside wq_run */
	struct buf *caps;    /* the xcap-caps document */
	char caps_etag[33];
	struct xcap_stats stats;
};

enum meth { M_GET, M_PUT, M_DELETE };

/* The stored (or generated) document a request works on. */
struct cur {
	struct buf *content;
	char *etag;
	bool found;
	int err;
};

/* One request. Writes go through x->wq one at a time: the store has no
 * compare-and-swap, so read, check, modify and store must not overlap. */
struct xreq {
	struct le le;     /* in x->wq while queued */
	struct xcap *x;   /* NULL once the server is gone */
	xcap_reply_h *rh; /* NULL once replied */
	void *rarg;
	enum meth meth;
	struct xcap_uri u;
	const struct xcap_usage *us;
	char *rest, *user, *base;
	char *if_match, *if_none;
	bool admin;
	const char *body; /* borrowed: valid until the reply */
	size_t blen;
	char *root_uri, *dir_uri; /* for error bodies */
	/* the document it works on, read from the store */
	struct cur cur;
	void (*next)(struct xreq *xr); /* runs once cur is there */
	/* a write being stored */
	struct buf *newdoc;
	struct svc_owner *svc; /* the new service URIs (rls-services) */
	bool created;
};

static const char *const meth_names[] = {"GET", "PUT", "DELETE"};

/* ---- the service URI index ---- */

static void svc_destroy(void *data)
{
	struct svc_owner *so = data;

	list_unlink(&so->le);
	for (uint32_t i = 0; i < so->n; i++)
		mem_deref(so->uris[i]);
	mem_deref(so->uris);
	mem_deref(so->owner);
}

/* The service URIs of an rls-services document (content NULL: none).
 * *bad: the document did not parse (no URIs then). */
static int svc_alloc(struct svc_owner **sop, const char *owner, uint64_t seq,
                     const char *content, size_t len, bool *bad)
{
	struct rls_services *rs = NULL;
	struct svc_owner *so;
	char why[128];
	int err;

	*bad = false;
	so = mem_zalloc(sizeof(*so), svc_destroy);
	if (!so)
		return ENOMEM;
	so->seq = seq;
	err = mem_strdup(&so->owner, owner);
	if (err)
		goto out;
	if (content) {
		err = rls_services_parse(&rs, content, len, why, sizeof(why));
		if (err == EBADMSG) {
			*bad = true;
			err = 0;
		}
		if (err)
			goto out;
	}
	if (rs && rs->n) {
		so->uris = mem_zalloc(rs->n * sizeof(*so->uris), NULL);
		if (!so->uris) {
			err = ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < rs->n; i++) {
			err = mem_strdup(&so->uris[i], rs->s[i].uri);
			if (err)
				goto out;
			so->n++;
		}
	}
out:
	mem_deref(rs);
	if (err)
		mem_deref(so);
	else
		*sop = so;
	return err;
}

static struct svc_owner *svc_find(const struct xcap *x, const char *owner)
{
	LIST_FOREACH(&x->svcs, le) {
		struct svc_owner *so = le->data;

		if (!strcmp(so->owner, owner))
			return so;
	}
	return NULL;
}

/* so replaces what the index held for its owner (takes the reference). */
static void svc_replace(struct xcap *x, struct svc_owner *so)
{
	mem_deref(svc_find(x, so->owner));
	list_append(&x->svcs, &so->le, so);
}

/* A deleted document: no service URIs (the entry keeps its sequence, so
 * an older state read before the delete is not taken back). */
static void svc_clear(struct xcap *x, const char *owner)
{
	struct svc_owner *so = svc_find(x, owner);

	if (!so)
		return;
	for (uint32_t i = 0; i < so->n; i++)
		so->uris[i] = mem_deref(so->uris[i]);
	so->n = 0;
}

/* docwatch: every rls-services document at start-up, then changes. */
static int svc_doc_h(const struct store_doc *d, bool startup, void *arg)
{
	struct xcap *x = arg;
	struct svc_owner *old, *so = NULL;
	bool bad;
	int err;

	(void)startup;
	if (!*d->owner || strcmp(d->name, RLS_DOC_NAME))
		return 0;
	old = svc_find(x, d->owner);
	if (old && d->seq < old->seq) /* we stored a newer state already */
		return 0;
	if (!d->content) {
		svc_clear(x, d->owner);
		if (old)
			old->seq = d->seq;
		return 0;
	}
	err = svc_alloc(&so, d->owner, d->seq, d->content, d->len, &bad);
	if (err)
		return err;
	if (bad)
		log_warn(NULL,
		         "rls-services of %s does not parse: its service "
		         "URIs are not reserved",
		         d->owner);
	svc_replace(x, so);
	return 0;
}

struct vctx_arg {
	const struct xcap *x;
	const char *owner;
};

/* xcap_vctx.service_owner: another user already defines uri. */
static const char *svc_owner_of(const char *uri, void *arg)
{
	const struct vctx_arg *va = arg;

	LIST_FOREACH(&va->x->svcs, le) {
		const struct svc_owner *so = le->data;

		if (!strcmp(so->owner, va->owner))
			continue;
		for (uint32_t i = 0; i < so->n; i++)
			if (rlist_uri_eq(so->uris[i], uri))
				return so->owner;
	}
	return NULL;
}

static bool local_domain(const char *domain, void *arg)
{
	const struct vctx_arg *va = arg;
	struct pl pl;

	pl_set_str(&pl, domain);
	return dom_is_local(va->x->dom, &pl);
}

/* ---- small helpers ---- */

/* Does the list of entity tags of an If-Match or If-None-Match value
 * name etag ("*" names any)? Weak tags (W/"x") count only with weak
 * (RFC 7232 2.3.2). Unquoted tags are accepted too (lenient). */
static bool etag_match(const char *list, const char *etag, bool weak)
{
	size_t n = strlen(etag);
	const char *p = list;

	while (*p) {
		const char *s;
		size_t len;
		bool w = false;

		p += strspn(p, " \t,");
		if (!*p)
			break;
		if (*p == '*')
			return true;
		if (!strncmp(p, "W/", 2)) {
			w = true;
			p += 2;
		}
		if (*p == '"') {
			const char *e = strchr(p + 1, '"');

			if (!e)
				return false;
			s = p + 1;
			len = (size_t)(e - s);
			p = e + 1;
		} else {
			s = p;
			len = strcspn(p, " \t,");
			p += len;
		}
		if ((!w || weak) && len == n && !memcmp(s, etag, n))
			return true;
	}
	return false;
}

/* The media type of a Content-Type value (parameters ignored) is want. */
static bool ctype_is(const char *v, const char *want)
{
	struct pl pl;
	const char *semi;

	if (!v)
		return false;
	pl_set_str(&pl, v);
	semi = pl_strchr(&pl, ';');
	if (semi)
		pl.l = (size_t)(semi - pl.p);
	pl_trim(&pl);
	return !pl_strcasecmp(&pl, want);
}

/* "user@domain" equals the owner key: user part exactly, domain without
 * regard to case. */
static bool owner_eq(const char *user, const char *owner)
{
	const char *ua, *oa;

	if (!user || !owner)
		return false;
	ua = strrchr(user, '@');
	oa = strrchr(owner, '@');
	if (!ua || !oa || ua - user != oa - owner)
		return false;
	return !strncmp(user, owner, (size_t)(ua - user)) &&
	       !strcasecmp(ua + 1, oa + 1);
}

static void cur_reset(struct cur *c)
{
	c->content = mem_deref(c->content);
	c->etag = mem_deref(c->etag);
	c->found = false;
}

static void cur_h(const struct store_doc *d, void *arg)
{
	struct cur *c = arg;

	if (!d->content || c->found)
		return;
	c->err = buf_alloc_copy(&c->content, d->content, d->len);
	if (!c->err)
		c->err = mem_strdup(&c->etag, d->etag);
	c->found = !c->err;
}

/* A generated document (caps, the global rls-services): its entity tag
 * is the MD5 of its bytes. Takes mb. */
static int cur_generated(struct cur *c, struct buf *mb)
{
	char etag[33];

	md5_hex(etag, mb->b, mb->end);
	c->content = mb;
	c->found = true;
	return mem_strdup(&c->etag, etag);
}

/* ---- the global rls-services document: every user's services ---- */

struct uni {
	xmlDocPtr out;
	xmlNodePtr root;
	int err;
};

static bool is_el(const xmlNode *n, const char *name, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns) &&
	       !strcmp((const char *)n->name, name);
}

static void uni_add(const struct store_doc *d, void *arg)
{
	struct uni *u = arg;
	struct xml_err xe;
	char why[128];
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	int err;

	if (u->err || !d->content || !*d->owner ||
	    strcmp(d->name, RLS_DOC_NAME))
		return;
	xe.buf = why;
	xe.size = sizeof(why);
	xe.set = false;
	err = xml_read_strict(&doc, d->content, d->len, &xe);
	if (err) {
		if (err == ENOMEM)
			u->err = err;
		return; /* a broken document adds nothing */
	}
	root = xmlDocGetRootElement(doc);
	if (!root || !is_el(root, "rls-services", RLS_NS))
		goto out;
	for (xmlNodePtr n = root->children; n; n = n->next) {
		xmlNodePtr copy = NULL, nl;

		if (!is_el(n, "service", RLS_NS))
			continue;
		/* the copy declares the namespaces it uses itself */
		copy = xmlDocCopyNode(n, u->out, 1);
		if (!copy) {
			u->err = ENOMEM;
			break;
		}
		nl = xmlNewDocText(u->out, BAD_CAST "\n");
		if (!nl || !xmlAddChild(u->root, copy)) {
			xmlFreeNode(copy);
			xmlFreeNode(nl);
			u->err = ENOMEM;
			break;
		}
		if (!xmlAddChild(u->root, nl)) {
			xmlFreeNode(nl);
			u->err = ENOMEM;
			break;
		}
	}
out:
	xmlFreeDoc(doc);
}

static int rls_union(struct cur *c, struct store *st)
{
	struct uni u = {NULL, NULL, 0};
	struct buf *mb = NULL;
	xmlChar *mem = NULL;
	xmlNsPtr ns;
	xmlNodePtr nl;
	int size = 0, err;

	u.out = xmlNewDoc(BAD_CAST "1.0");
	if (!u.out)
		return ENOMEM;
	u.root = xmlNewDocNode(u.out, NULL, BAD_CAST "rls-services", NULL);
	if (!u.root) {
		err = ENOMEM;
		goto out;
	}
	xmlDocSetRootElement(u.out, u.root);
	ns = xmlNewNs(u.root, BAD_CAST RLS_NS, NULL);
	nl = xmlNewDocText(u.out, BAD_CAST "\n");
	if (!ns || !nl) {
		xmlFreeNode(nl);
		err = ENOMEM;
		goto out;
	}
	xmlSetNs(u.root, ns);
	xmlAddChild(u.root, nl);
	err = store_doc_list(st, RLS_AUID, NULL, uni_add, &u);
	if (!err)
		err = u.err;
	if (err)
		goto out;
	xmlDocDumpMemoryEnc(u.out, &mem, &size, "UTF-8");
	if (!mem || size < 0) {
		err = ENOMEM;
		goto out;
	}
	err = buf_alloc_copy(&mb, mem, (size_t)size);
	if (!err)
		err = cur_generated(c, mb);
out:
	xmlFree(mem);
	xmlFreeDoc(u.out);
	return err;
}

/* ---- replies ---- */

static void reply(struct xreq *xr, unsigned status, const char *ctype,
                  const char *body, size_t len, const char *hdrs)
{
	xcap_reply_h *rh = xr->rh;

	if (!rh)
		return;
	xr->rh = NULL;
	if (xr->x && status >= 400)
		xr->x->stats.errors++;
	rh(status, ctype, body, len, hdrs, xr->rarg);
}

/* A plain text body naming the problem. */
static void reply_text(struct xreq *xr, unsigned status, const char *hdrs,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void reply_text(struct xreq *xr, unsigned status, const char *hdrs,
                       const char *fmt, ...)
{
	char text[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(text) - 2)
		n = (int)sizeof(text) - 2;
	text[n++] = '\n';
	text[n] = '\0';
	if (status >= 500)
		log_warn(NULL, "xcap %s %s by %s: %u %s", meth_names[xr->meth],
		         xr->rest ? xr->rest : "", xr->user ? xr->user : "-",
		         status, text);
	else
		log_debug(NULL, "xcap %s %s by %s: %u %s", meth_names[xr->meth],
		          xr->rest ? xr->rest : "", xr->user ? xr->user : "-",
		          status, text);
	reply(xr, status, CTYPE_TEXT, text, (size_t)n, hdrs);
}

static void reply_enomem(struct xreq *xr)
{
	reply_text(xr, 500, NULL, "out of memory");
}

/* An error from xops or the usage: 409 with an xcap-error body, or a
 * plain status. */
static void reply_xerr(struct xreq *xr, const struct xcap_err *e)
{
	const char *phrase = e->phrase ? e->phrase : "error";
	struct buf *mb = NULL;
	int err;

	if (e->code <= XE_NONE || e->code >= XE_HTTP) {
		unsigned status = e->status >= 400 ? e->status : 500;

		reply_text(xr, status, status == 405 ? ALLOW_GET : NULL, "%s",
		           phrase);
		return;
	}
	err = xcap_err_body(&mb, e, xr->root_uri ? xr->root_uri : "",
	                    xr->dir_uri ? xr->dir_uri : "");
	if (err) {
		reply_text(xr, err == ENOMEM ? 500 : 409, NULL, "%s",
		           err == ENOMEM ? "out of memory" : phrase);
		return;
	}
	log_debug(NULL, "xcap %s %s by %s: 409 %s", meth_names[xr->meth],
	          xr->rest, xr->user ? xr->user : "-", phrase);
	reply(xr, 409, CTYPE_ERR, (const char *)mb->b, mb->end, NULL);
	mem_deref(mb);
}

static void reply_etag(struct xreq *xr, unsigned status, const char *ctype,
                       const char *body, size_t len, const char *etag)
{
	char hdrs[128];

	if (etag)
		snprintf(hdrs, sizeof(hdrs), "ETag: \"%s\"\r\n", etag);
	reply(xr, status, ctype, body, len, etag ? hdrs : NULL);
}

/* ---- requests ---- */

static void xreq_destroy(void *data)
{
	struct xreq *xr = data;

	list_unlink(&xr->le);
	/* every request gets its one answer, even at shutdown */
	if (xr->rh)
		reply_text(xr, 503, NULL, "XCAP server shutting down");
	xcap_uri_reset(&xr->u);
	mem_deref(xr->rest);
	mem_deref(xr->user);
	mem_deref(xr->base);
	mem_deref(xr->if_match);
	mem_deref(xr->if_none);
	mem_deref(xr->root_uri);
	mem_deref(xr->dir_uri);
	mem_deref(xr->newdoc);
	mem_deref(xr->svc);
	mem_deref(xr->cur.content);
	mem_deref(xr->cur.etag);
}

static int strdup_opt(char **dst, const char *src)
{
	return src ? mem_strdup(dst, src) : 0;
}

/* The absolute URIs of the document and its directory. */
static int uris_make(struct xreq *xr)
{
	const struct xcap *x = xr->x;
	struct buf *mb = NULL;
	int err;

	err = buf_alloc(&mb, 256);
	if (err)
		return err;
	if (xr->u.tree == XCAP_USERS)
		err = buf_printf(mb, "%s%s/%s/users/%s/", xr->base, x->root,
		                 xr->u.auid, xr->u.xui ? xr->u.xui : "");
	else
		err = buf_printf(mb, "%s%s/%s/global/", xr->base, x->root,
		                 xr->u.auid);
	if (!err)
		err = mem_strndup(&xr->dir_uri, (const char *)mb->b, mb->end);
	if (!err)
		err = buf_write_str(mb, xr->u.doc ? xr->u.doc : "");
	if (!err)
		err = mem_strndup(&xr->root_uri, (const char *)mb->b, mb->end);
	mem_deref(mb);
	return err;
}

/* Parse and authorise; false when answered already. */
static bool prepare(struct xreq *xr, const struct xcap_rq *rq)
{
	const struct xcap_usage *us;
	char why[256] = "";
	int err;

	err = xcap_uri_parse(&xr->u, xr->rest, rq->query, why, sizeof(why));
	if (err == ENOMEM) {
		reply_enomem(xr);
		return false;
	}
	if (err == ENOENT) {
		reply_text(xr, 404, NULL,
		           "no users or global tree in '%s' (expected "
		           "AUID/users/XUI/DOC or AUID/global/DOC)",
		           xr->rest);
		return false;
	}
	if (err) {
		reply_text(xr, 400, NULL, "bad XCAP URI: %s",
		           why[0] ? why : "does not parse");
		return false;
	}
	us = xcap_usage_find(xr->u.auid);
	if (!us) {
		reply_text(xr, 404, NULL, "unknown application usage '%s'",
		           xr->u.auid);
		return false;
	}
	xr->us = us;
	if (xr->u.tree == XCAP_USERS ? !us->users : !us->global) {
		reply_text(xr, 404, NULL, "%s has no %s tree", us->auid,
		           xr->u.tree == XCAP_USERS ? "users" : "global");
		return false;
	}
	if (!xr->u.doc) {
		reply_text(xr, 404, NULL,
		           "directory listings are not offered (xcap-directory "
		           "is not supported)");
		return false;
	}
	err = uris_make(xr);
	if (err) {
		reply_enomem(xr);
		return false;
	}

	/* access */
	if (xr->u.tree == XCAP_USERS) {
		if (!owner_eq(xr->user, xr->u.owner) && !xr->admin) {
			reply_text(xr, 403, NULL,
			           "%s may not access the documents of %s",
			           xr->user ? xr->user : "anonymous",
			           xr->u.owner);
			return false;
		}
	} else {
		if (xr->meth != M_GET) {
			reply_text(xr, 405, ALLOW_GET,
			           "the global tree is read only");
			return false;
		}
		if ((us->global_admin_only || !strcmp(us->auid, RLS_AUID)) &&
		    !xr->admin) {
			reply_text(xr, 403, NULL,
			           "the global %s document is for "
			           "administrators only",
			           us->auid);
			return false;
		}
	}

	/* document name */
	if (us->docname && strcmp(xr->u.doc, us->docname)) {
		if (xr->meth == M_PUT) {
			struct xcap_err e;

			memset(&e, 0, sizeof(e));
			xcap_err_set(&e, XE_CONSTRAINT_FAILURE, 409,
			             "document name must be %s", us->docname);
			if (!e.phrase)
				reply_enomem(xr);
			else
				reply_xerr(xr, &e);
			xcap_err_reset(&e);
		} else {
			reply_text(xr, 404, NULL,
			           "no document '%s' (%s documents are named "
			           "'%s')",
			           xr->u.doc, us->auid, us->docname);
		}
		return false;
	}

	if (xr->meth == M_GET)
		return true;
	if (xr->u.sel && xr->u.sel->term == XSEL_NSBIND) {
		reply_text(xr, 405, ALLOW_GET,
		           "namespace bindings are read only");
		return false;
	}
	if (xr->meth == M_PUT) {
		const char *want = us->mime;

		if (xr->u.sel)
			want = xr->u.sel->term == XSEL_ATTRIBUTE ? CTYPE_ATT
			                                         : CTYPE_EL;
		if (!ctype_is(rq->ctype, want)) {
			reply_text(xr, 415, NULL,
			           "Content-Type must be %s (got %s)", want,
			           rq->ctype ? rq->ctype : "none");
			return false;
		}
	}
	return true;
}

/* The stored document came (or not): xr->cur, then xr->next. */
static void cur_got(int err, const struct store_doc *docs, uint32_t n,
                    void *arg)
{
	struct xreq *xr = arg;
	struct cur *c = &xr->cur;

	if (!err && n)
		cur_h(&docs[0], c);
	else if (err == ENOENT)
		err = 0;
	if (!c->err)
		c->err = err;
	if (c->err)
		cur_reset(c);
	xr->next(xr);
}

/* Read the document the request names (from the store, asynchronously,
 * or generated) into xr->cur, then call next(xr): later, or at once. */
static void cur_fetch(struct xreq *xr, void (*next)(struct xreq *xr))
{
	struct xcap *x = xr->x;
	struct cur *c = &xr->cur;
	int err;

	cur_reset(c);
	c->err = 0;
	xr->next = next;
	if (xr->u.tree == XCAP_GLOBAL && !strcmp(xr->u.auid, CAPS_AUID)) {
		if (!strcmp(xr->u.doc, "index")) {
			c->content = mem_ref(x->caps);
			c->found = true;
			c->err = mem_strdup(&c->etag, x->caps_etag);
		}
		next(xr);
		return;
	}
	if (xr->u.tree == XCAP_GLOBAL && !strcmp(xr->u.auid, RLS_AUID)) {
		/* admins only, rare: read synchronously */
		if (!strcmp(xr->u.doc, RLS_DOC_NAME))
			c->err = rls_union(c, x->st);
		next(xr);
		return;
	}
	err = store_doc_get_async(x->st, xr->u.auid, xr->u.owner, xr->u.doc,
	                          cur_got, xr);
	if (err) {
		c->err = err;
		next(xr);
	}
}

/* A store failure or ENOMEM while reading: answered here (true). */
static bool cur_failed(struct xreq *xr)
{
	int err = xr->cur.err;

	if (!err)
		return false;
	if (err == ENOMEM)
		reply_enomem(xr);
	else
		reply_text(xr, 500, NULL, "document store failure: %s",
		           err_str(err));
	return true;
}

static void get_cont(struct xreq *xr)
{
	struct cur *c = &xr->cur;
	struct xcap_got g;
	struct xcap_err e;
	char hdrs[128];
	int err;

	list_unlink(&xr->le); /* off x->reads */
	memset(&g, 0, sizeof(g));
	memset(&e, 0, sizeof(e));
	if (cur_failed(xr))
		goto out;
	if (xr->if_match &&
	    (!c->found || !etag_match(xr->if_match, c->etag, false))) {
		reply_text(xr, 412, NULL, "If-Match: %s",
		           c->found ? "the document has another entity tag"
		                    : "no such document");
		goto out;
	}
	if (!c->found) {
		reply_text(xr, 404, NULL, "no such document");
		goto out;
	}
	if (xr->if_none && etag_match(xr->if_none, c->etag, true)) {
		snprintf(hdrs, sizeof(hdrs), "ETag: \"%s\"\r\n", c->etag);
		reply(xr, 304, NULL, NULL, 0, hdrs);
		goto out;
	}
	err = xcap_get(&g, (const char *)c->content->b, c->content->end,
	               xr->u.sel, xr->us->ns, &e);
	if (err == ENOMEM) {
		reply_enomem(xr);
		goto out;
	}
	if (err) {
		reply_xerr(xr, &e);
		goto out;
	}
	reply_etag(xr, 200, xr->u.sel ? g.ctype : xr->us->mime,
	           g.body ? (const char *)g.body->b : "",
	           g.body ? g.body->end : 0, c->etag);
out:
	mem_deref(g.body);
	xcap_err_reset(&e);
	cur_reset(c);
}

/* A write went through: tell the watchers, log, answer. */
static void written(struct xreq *xr, unsigned status, const char *etag)
{
	if (xr->x)
		docwatch_kick(xr->x->st);
	log_info(NULL, "xcap %s %s by %s: %u", meth_names[xr->meth], xr->rest,
	         xr->user ? xr->user : "-", status);
	reply_etag(xr, status, NULL, NULL, 0, etag);
}

static void wq_run(struct xcap *x);

/* The write has its answer: the next one may start. xr may be gone
 * when this returns. */
static void write_end(struct xreq *xr)
{
	struct xcap *x = xr->x;

	cur_reset(&xr->cur);
	if (!x || x->busy != xr)
		return;
	x->busy = NULL;
	mem_deref(xr); /* the queue's reference */
	if (!x->wq_running)
		wq_run(x);
}

static void put_done(int err, const struct store_doc *docs, uint32_t n,
                     void *arg)
{
	struct xreq *xr = arg;
	struct xcap *x = xr->x;

	if (!err && !n)
		err = EIO;
	if (err) {
		reply_text(xr, 500, NULL, "document store failure: %s",
		           err_str(err));
	} else {
		if (x && xr->svc) {
			xr->svc->seq = docs[0].seq;
			svc_replace(x, xr->svc);
			xr->svc = NULL;
		}
		written(xr, xr->created ? 201 : 200, docs[0].etag);
	}
	write_end(xr);
}

static void del_done(int err, const struct store_doc *docs, uint32_t n,
                     void *arg)
{
	struct xreq *xr = arg;

	(void)docs;
	(void)n;
	if (err == ENOENT) {
		reply_text(xr, 404, NULL, "no such document");
	} else if (err) {
		reply_text(xr, 500, NULL, "document store failure: %s",
		           err_str(err));
	} else {
		if (xr->x && !strcmp(xr->u.auid, RLS_AUID) &&
		    !strcmp(xr->u.doc, RLS_DOC_NAME))
			svc_clear(xr->x, xr->u.owner);
		written(xr, 200, NULL);
	}
	write_end(xr);
}

static bool write_cond_ok(const struct xreq *xr, const struct cur *c)
{
	if (xr->if_match &&
	    (!c->found || !etag_match(xr->if_match, c->etag, false)))
		return false;
	if (xr->if_none && c->found && etag_match(xr->if_none, c->etag, true))
		return false;
	return true;
}

/* The whole document after the change passes the usage's schema and
 * constraints. */
static int validate(struct xreq *xr, const struct buf *nd, struct xcap_err *e)
{
	const struct xcap *x = xr->x;
	struct vctx_arg va = {x, xr->u.owner};
	struct xcap_vctx vc;

	memset(&vc, 0, sizeof(vc));
	vc.owner = xr->u.owner;
	vc.docname = xr->u.doc;
	vc.service_owner = svc_owner_of;
	vc.local_domain = x->dom ? local_domain : NULL;
	vc.arg = &va;
	return xcap_usage_validate(x->sc, xr->us, (const char *)nd->b, nd->end,
	                           &vc, e);
}

/* The current document is read: check, change, validate, store. Every
 * path ends in write_end (now, or from the store's completion). */
static void write_cont(struct xreq *xr)
{
	struct xcap *x = xr->x;
	struct cur *c = &xr->cur;
	const char *doc;
	struct buf *nd = NULL;
	struct xcap_err e;
	bool created = false, rls, bad;
	size_t len;
	int err;

	memset(&e, 0, sizeof(e));
	if (!x) {
		reply_text(xr, 503, NULL, "XCAP server shutting down");
		goto done;
	}
	if (cur_failed(xr))
		goto done;
	if (!write_cond_ok(xr, c)) {
		reply_text(
		    xr, 412, NULL, "%s",
		    xr->if_match && !c->found ? "If-Match: no such document"
		    : xr->if_match && !etag_match(xr->if_match, c->etag, false)
		        ? "If-Match: the document has another entity "
		          "tag"
		        : "If-None-Match: the document exists");
		goto done;
	}
	doc = c->found ? (const char *)c->content->b : NULL;
	len = c->found ? c->content->end : 0;
	if (xr->meth == M_PUT)
		err = xcap_put(&nd, &created, doc, len, xr->u.sel, xr->body,
		               xr->blen, xr->us->ns, &e);
	else
		err = xcap_delete(&nd, doc, len, xr->u.sel, xr->us->ns, &e);
	if (err == ENOMEM) {
		reply_enomem(xr);
		goto done;
	}
	if (err) {
		reply_xerr(xr, &e);
		goto done;
	}
	if (!nd) { /* DELETE of the document */
		err = store_doc_delete_async(x->st, xr->u.auid, xr->u.owner,
		                             xr->u.doc, del_done, xr);
		if (err) {
			reply_text(xr, 500, NULL, "document store failure: %s",
			           err_str(err));
			goto done;
		}
		goto out; /* del_done ends the write */
	}
	if (nd->end > x->max_doc) {
		xcap_err_set(
		    &e, XE_CONSTRAINT_FAILURE, 409,
		    "the document would be %zu octets; the limit is %u",
		    nd->end, x->max_doc);
		if (e.phrase)
			reply_xerr(xr, &e);
		else
			reply_enomem(xr);
		goto done;
	}
	err = validate(xr, nd, &e);
	if (err == ENOMEM) {
		reply_enomem(xr);
		goto done;
	}
	if (err) {
		reply_xerr(xr, &e);
		goto done;
	}
	rls = !strcmp(xr->u.auid, RLS_AUID) && !strcmp(xr->u.doc, RLS_DOC_NAME);
	if (rls) {
		err = svc_alloc(&xr->svc, xr->u.owner, 0, (const char *)nd->b,
		                nd->end, &bad);
		if (err) {
			reply_enomem(xr);
			goto done;
		}
	}
	xr->created = created;
	xr->newdoc = nd;
	nd = NULL;
	cur_reset(c);
	err = store_doc_put_async(x->st, xr->u.auid, xr->u.owner, xr->u.doc,
	                          (const char *)xr->newdoc->b, xr->newdoc->end,
	                          put_done, xr);
	if (err) {
		reply_text(xr, 500, NULL, "document store failure: %s",
		           err_str(err));
		goto done;
	}
	goto out; /* put_done ends the write */
done:
	mem_deref(nd);
	xcap_err_reset(&e);
	write_end(xr);
	return;
out:
	mem_deref(nd);
	xcap_err_reset(&e);
}

/* Start queued writes, one at a time (a write that completes at once
 * lets the next one start in this loop). */
static void wq_run(struct xcap *x)
{
	struct le *le;

	x->wq_running = true;
	while (!x->busy && (le = list_head(&x->wq))) {
		struct xreq *xr = le->data;

		list_unlink(&xr->le);
		x->busy = xr; /* the queue's reference */
		cur_fetch(xr, write_cont);
	}
	x->wq_running = false;
}

void xcap_handle(struct xcap *x, const struct xcap_rq *rq, xcap_reply_h *rh,
                 void *arg)
{
	struct xreq *xr;
	enum meth m;
	int err;

	if (!x || !rq || !rh)
		return;
	if (rq->method && !strcmp(rq->method, "GET")) {
		m = M_GET;
		x->stats.gets++;
	} else if (rq->method && !strcmp(rq->method, "PUT")) {
		m = M_PUT;
		x->stats.puts++;
	} else if (rq->method && !strcmp(rq->method, "DELETE")) {
		m = M_DELETE;
		x->stats.deletes++;
	} else {
		static const char t[] = "XCAP offers GET, PUT and DELETE\n";

		x->stats.errors++;
		rh(405, CTYPE_TEXT, t, sizeof(t) - 1, ALLOW_ALL, arg);
		return;
	}
	xr = mem_zalloc(sizeof(*xr), xreq_destroy);
	if (!xr) {
		static const char t[] = "out of memory\n";

		x->stats.errors++;
		rh(500, CTYPE_TEXT, t, sizeof(t) - 1, NULL, arg);
		return;
	}
	xr->x = x;
	xr->rh = rh;
	xr->rarg = arg;
	xr->meth = m;
	xr->admin = rq->admin;
	xr->body = rq->body ? rq->body : "";
	xr->blen = rq->body ? rq->blen : 0;
	err = mem_strdup(&xr->rest, rq->rest ? rq->rest : "");
	if (!err)
		err = mem_strdup(&xr->base, rq->base ? rq->base : "");
	if (!err)
		err = strdup_opt(&xr->user, rq->user);
	if (!err)
		err = strdup_opt(&xr->if_match, rq->if_match);
	if (!err)
		err = strdup_opt(&xr->if_none, rq->if_none_match);
	if (err) {
		reply_enomem(xr);
		goto out;
	}
	if (!prepare(xr, rq))
		goto out;
	if (m == M_GET) {
		list_append(&x->reads, &xr->le, xr); /* borrowed */
		cur_fetch(xr, get_cont);
		goto out;
	}
	list_append(&x->wq, &xr->le, mem_ref(xr));
	wq_run(x);
out:
	mem_deref(xr);
}

/* ---- on the HTTP server ---- */

static void http_reply_h(unsigned status, const char *ctype, const char *body,
                         size_t len, const char *hdrs, void *arg)
{
	int err = http_reply(arg, status, ctype, body, len, hdrs);

	if (err && err != ENOTCONN)
		log_warn(NULL, "cannot send the XCAP response: %s",
		         err_str(err));
}

static void route_h(struct http_req *hrq, void *arg)
{
	struct xcap *x = arg;
	struct xcap_rq rq;
	char base[512];

	memset(&rq, 0, sizeof(rq));
	if (http_req_base(hrq, base, sizeof(base)))
		base[0] = '\0';
	rq.method = http_req_method(hrq);
	rq.rest = http_req_rest(hrq);
	rq.query = http_req_query(hrq);
	rq.base = base;
	rq.user = http_req_user(hrq);
	rq.admin = http_req_admin(hrq);
	rq.ctype = http_req_header(hrq, "Content-Type");
	rq.if_match = http_req_header(hrq, "If-Match");
	rq.if_none_match = http_req_header(hrq, "If-None-Match");
	rq.body = http_req_body(hrq, &rq.blen);
	xcap_handle(x, &rq, http_reply_h, hrq);
}

static void xcap_destroy(void *data)
{
	struct xcap *x = data;

	x->dw = mem_deref(x->dw);
	if (x->busy) { /* its completion still answers */
		x->busy->x = NULL;
		x->busy = mem_deref(x->busy);
	}
	LIST_FOREACH(&x->wq, le) {
		struct xreq *xr = le->data;

		list_unlink(&xr->le);
		xr->x = NULL;
		mem_deref(xr); /* answers 503 */
	}
	while (x->reads.head) { /* the store's completion answers them */
		struct xreq *xr = x->reads.head->data;

		list_unlink(&xr->le);
		xr->x = NULL;
	}
	list_flush(&x->svcs);
	mem_deref(x->sc);
	mem_deref(x->caps);
	mem_deref(x->root);
	mem_deref(x->prefix);
	mem_deref(x->realm);
}

int xcap_core_alloc(struct xcap **xp, const struct xcap_conf *cf,
                    struct store *st, struct tmrl *tl, const struct dom *dom)
{
	static const char *const auids[] = {RLS_AUID, NULL};
	const char *root;
	struct xcap *x;
	size_t rl;
	int err;

	if (!xp || !cf || !st || !tl)
		return EINVAL;
	root = cf->root && *cf->root ? cf->root : "/xcap";
	if (root[0] != '/')
		return EINVAL;
	rl = strlen(root);
	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 1) /* "/": the routes start at "/" */
		rl = 0;
	x = mem_zalloc(sizeof(*x), xcap_destroy);
	if (!x)
		return ENOMEM;
	list_init(&x->svcs);
	list_init(&x->wq);
	list_init(&x->reads);
	x->st = st;
	x->dom = dom;
	x->max_doc = cf->max_doc ? cf->max_doc : MAX_DOC_DEFAULT;
	err = mem_strndup(&x->root, root, rl);
	if (!err)
		err = mem_strndup(&x->prefix, root, rl + 1);
	if (!err)
		x->prefix[rl] = '/';
	if (!err && cf->realm)
		err = mem_strdup(&x->realm, cf->realm);
	if (!err)
		err = xcap_schemas_alloc(&x->sc);
	if (!err)
		err = xcap_caps_doc(&x->caps);
	if (err)
		goto out;
	md5_hex(x->caps_etag, x->caps->b, x->caps->end);
	err = docwatch_alloc(&x->dw, st, tl, SVC_POLL_MS, auids, svc_doc_h, x);
out:
	if (err)
		mem_deref(x);
	else
		*xp = x;
	return err;
}

int xcap_alloc(struct xcap **xp, const struct xcap_conf *cf, struct http *h,
               struct store *st, struct tmrl *tl, const struct dom *dom)
{
	struct xcap *x = NULL;
	int err;

	if (!xp || !h)
		return EINVAL;
	err = xcap_core_alloc(&x, cf, st, tl, dom);
	if (err)
		return err;
	/* method NULL: the handler answers 405 itself, with Allow */
	err = http_route_realm(h, NULL, x->prefix, 2, x->realm, route_h, x);
	if (err) {
		mem_deref(x);
		return err;
	}
	*xp = x;
	return 0;
}

void xcap_stats_get(const struct xcap *x, struct xcap_stats *s)
{
	if (!s)
		return;
	if (!x) {
		memset(s, 0, sizeof(*s));
		return;
	}
	*s = x->stats;
}
