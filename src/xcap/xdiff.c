/* xcap/xdiff.c - the xcap-diff event package (RFC 5875 4, 5; documents in
 * the XCAP diff format of RFC 5874 3, without patches) */
#include "xdiff.h"

#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "xcap.diff"

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../base/xml.h"
#include "../event/evt.h"
#include "../list/rlist.h"
#include "../sip/msg.h"
#include "../store/docwatch.h"
#include "../store/store.h"
#include "usage.h"
#include "xsel.h"

#define XDIFF_NS "urn:ietf:params:xml:ns:xcap-diff"

enum {
	AUIDS_MAX = 16,   /* usages with a users tree */
	REASON_MAX = 120, /* reason phrase of a 400 */
	OWNERS_BUCKETS = 256,
};

/*
 * Lifetime (as the reg event package): evt has no way to unregister a
 * package, so it keeps a pointer to us (package arg). We hold a
 * reference to evt and drop it, after the document watcher, in our
 * destructor: the subscriptions end (ended runs) while we are whole. So
 * the caller releases evt before releasing us.
 */
struct xdiff {
	struct evt *e;       /* reference */
	struct docwatch *dw; /* follows the users' documents */
	struct hash *owners; /* struct owner, by owner key */
	char *root;          /* xcap-root as configured */
	size_t root_len;     /* without trailing '/' (prefix matching) */
	const char *rpath;   /* path part of root ("/xcap") or "" */
	size_t rpath_len;
	const char *auids[AUIDS_MAX + 1]; /* static strings of the usages */
};

/* The live documents of one owner with their etags. */
struct owner {
	struct le he;
	char *key;        /* "alice@example.com" */
	struct list docs; /* struct idoc */
};

/* One live document: its strings follow in the same block. */
struct idoc {
	struct le le;
	const char *auid, *name, *etag;
};

/* One document, as a NOTIFY told it (snapshot entries). */
struct sent {
	const char *auid, *name, *etag;
};

/* The covered documents of a subscription at one moment, sorted by
 * (auid, name); strings packed behind the entries. */
struct snap {
	uint32_t n;
	struct sent e[];
};

/* One item of a selection: a document, or a directory (name NULL). */
struct sel {
	const char *auid;
	const char *name;
};

/* evt_sub_data: what the subscription covers (nsel 0: every document of
 * the subscriber) and what its last NOTIFY said. */
struct xsub {
	char *text;      /* the selection as persisted (sel points into a
	                    copy) */
	struct sel *sel; /* mem array */
	uint32_t nsel;
	struct snap *told; /* NULL: nothing told yet */
};

/* --- helpers --- */

/* "user@domain": equal users, domains equal but for case. */
static bool same_aor(const char *a, const char *b)
{
	const char *ata = strrchr(a, '@'), *atb = strrchr(b, '@');

	if (!ata || !atb || ata - a != atb - b || ata == a)
		return false;
	return !strncmp(a, b, (size_t)(ata - a)) && !strcasecmp(ata, atb);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..n) percent-decoded into a new string. EINVAL: a bad escape or a
 * control character. */
static int pct_decode(char **outp, const char *s, size_t n)
{
	char *o = mem_alloc(n + 1, NULL);
	size_t i, k = 0;

	if (!o)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h = i + 2 < n ? hexval(s[i + 1]) : -1;
			int l = i + 2 < n ? hexval(s[i + 2]) : -1;

			if (h < 0 || l < 0) {
				mem_deref(o);
				return EINVAL;
			}
			c = h * 16 + l;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			mem_deref(o);
			return EINVAL;
		}
		o[k++] = (char)c;
	}
	o[k] = '\0';
	*outp = o;
	return 0;
}

/* Characters a path segment may carry as they are (RFC 3986 pchar). */
static bool pchar(unsigned char c, bool slash)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	if (c == '/')
		return slash;
	return strchr("-._~!$&'()*+,;=:@", c) && c;
}

static int pct_write(struct buf *b, const char *s, bool slash)
{
	int err = 0;

	for (; !err && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (pchar(c, slash))
			err = buf_write_u8(b, c);
		else
			err = buf_printf(b, "%%%02X", c);
	}
	return err;
}

/* --- the index: owner -> documents -> etag --- */

static void owner_destroy(void *data)
{
	struct owner *o = data;

	hash_unlink(&o->he);
	list_flush(&o->docs);
	mem_deref(o->key);
}

static void idoc_destroy(void *data)
{
	struct idoc *d = data;

	list_unlink(&d->le);
}

static bool owner_cmp(struct le *le, void *arg)
{
	const struct owner *o = le->data;

	return same_aor(o->key, arg);
}

static struct owner *owner_find(const struct xdiff *x, const char *key)
{
	struct le *le =
	    hash_lookup(x->owners, str_hash_ci(key), owner_cmp, (void *)key);

	return le ? le->data : NULL;
}

static struct idoc *idoc_find(const struct owner *o, const char *auid,
                              const char *name)
{
	if (!o)
		return NULL;
	LIST_FOREACH(&o->docs, le) {
		struct idoc *d = le->data;

		if (!strcmp(d->auid, auid) && !strcmp(d->name, name))
			return d;
	}
	return NULL;
}

static int idoc_alloc(struct idoc **dp, const char *auid, const char *name,
                      const char *etag)
{
	size_t la = strlen(auid) + 1, ln = strlen(name) + 1;
	size_t le = strlen(etag) + 1;
	struct idoc *d;
	char *p;

	d = mem_zalloc(sizeof(*d) + la + ln + le, idoc_destroy);
	if (!d)
		return ENOMEM;
	p = (char *)(d + 1);
	d->auid = memcpy(p, auid, la);
	d->name = memcpy(p + la, name, ln);
	d->etag = memcpy(p + la + ln, etag, le);
	*dp = d;
	return 0;
}

/* The document's etag is now etag (NULL: deleted). *changed: the index
 * changed. Nothing changes on error. */
static int index_set(struct xdiff *x, const char *auid, const char *owner,
                     const char *name, const char *etag, bool *changed)
{
	struct owner *o = owner_find(x, owner);
	struct idoc *old = idoc_find(o, auid, name), *d = NULL;
	bool fresh = false;
	int err;

	*changed = false;
	if (!etag) {
		if (!old)
			return 0;
		mem_deref(old);
		if (!o->docs.n)
			mem_deref(o);
		*changed = true;
		return 0;
	}
	if (old && !strcmp(old->etag, etag))
		return 0;
	if (!o) {
		o = mem_zalloc(sizeof(*o), owner_destroy);
		if (!o)
			return ENOMEM;
		list_init(&o->docs);
		err = mem_strdup(&o->key, owner);
		if (err) {
			mem_deref(o);
			return err;
		}
		fresh = true;
	}
	err = idoc_alloc(&d, auid, name, etag);
	if (err) {
		if (fresh)
			mem_deref(o);
		return err;
	}
	if (fresh)
		hash_append(x->owners, str_hash_ci(owner), &o->he, o);
	if (old) {
		list_insert_after(&o->docs, &old->le, &d->le, d);
		mem_deref(old);
	} else {
		list_append(&o->docs, &d->le, d);
	}
	*changed = true;
	return 0;
}

/* --- selections --- */

static void xsub_destroy(void *data)
{
	struct xsub *xs = data;

	mem_deref(xs->told);
	mem_deref(xs->sel);
	mem_deref(xs->text);
}

/* The selection from its persisted text: lines "auid/name" (a document)
 * or "auid/" (a directory); "" selects every document. EBADMSG for a
 * text not written by us. */
static int xsub_alloc(struct xsub **xsp, const char *text)
{
	struct xsub *xs;
	uint32_t n = 0, i = 0;
	char *p, *nl;
	int err;

	xs = mem_zalloc(sizeof(*xs), xsub_destroy);
	if (!xs)
		return ENOMEM;
	err = mem_strdup(&xs->text, text);
	if (err)
		goto out;
	for (p = xs->text; *p; p++)
		n += *p == '\n';
	if (!n)
		goto out;
	xs->sel = mem_zalloc(n * sizeof(*xs->sel), NULL);
	if (!xs->sel) {
		err = ENOMEM;
		goto out;
	}
	for (p = xs->text; *p; p = nl + 1) {
		char *slash;

		nl = strchr(p, '\n');
		if (!nl) {
			err = EBADMSG;
			goto out;
		}
		*nl = '\0';
		slash = strchr(p, '/');
		if (!slash || slash == p) {
			err = EBADMSG;
			goto out;
		}
		*slash = '\0';
		xs->sel[i].auid = p;
		xs->sel[i].name = slash[1] ? slash + 1 : NULL;
		i++;
	}
	xs->nsel = i;
out:
	if (err)
		mem_deref(xs);
	else
		*xsp = xs;
	return err;
}

static bool xsub_covers(const struct xsub *xs, const char *auid,
                        const char *name)
{
	uint32_t i;

	if (!xs->nsel)
		return true;
	for (i = 0; i < xs->nsel; i++) {
		const struct sel *s = &xs->sel[i];

		if (!strcmp(s->auid, auid) &&
		    (!s->name || !strcmp(s->name, name)))
			return true;
	}
	return false;
}

/* Where the XCAP path of uri starts: after the root (absolute URI, or
 * absolute path below the root's path), or uri itself (relative to the
 * root). NULL: an URI elsewhere. */
static const char *below_root(const struct xdiff *x, const char *uri)
{
	const char *p = NULL;

	if (x->root_len && !strncmp(uri, x->root, x->root_len))
		p = uri + x->root_len;
	else if (uri[0] == '/' && !strncmp(uri, x->rpath, x->rpath_len))
		p = uri + x->rpath_len;
	else if (uri[0] == '/' || memchr(uri, ':', strcspn(uri, "/")))
		return NULL; /* another path, or a scheme: another URI */
	else
		return uri;
	if (*p != '/' && *p != '\0')
		return NULL; /* "http://h/xcapx/..." is not below ".../xcap" */
	while (*p == '/')
		p++;
	return p;
}

/* One URI of the SUBSCRIBE body: append its selection line to text.
 * EBADMSG with why for an URI we do not take. */
static int uri_sel(const struct xdiff *x, const char *res, const char *uri,
                   struct buf *text, char *why, size_t wsize)
{
	const struct xcap_usage *u;
	const char *p = below_root(x, uri), *q;
	struct xcap_uri xu;
	char *path = NULL, *query = NULL, perr[96];
	int err;

	memset(&xu, 0, sizeof(xu));
	if (!p) {
		snprintf(why, wsize, "Not below the XCAP root: %.60s", uri);
		return EBADMSG;
	}
	q = strchr(p, '?');
	err = pct_decode(&path, p, q ? (size_t)(q - p) : strlen(p));
	if (!err && q)
		err = pct_decode(&query, q + 1, strlen(q + 1));
	if (err == EINVAL) {
		snprintf(why, wsize, "Bad escape in XCAP URI: %.60s", uri);
		err = EBADMSG;
		goto out;
	}
	if (err)
		goto out;
	perr[0] = '\0';
	err = xcap_uri_parse(&xu, path, query, perr, sizeof(perr));
	if (err == EINVAL || err == ENOENT) {
		snprintf(why, wsize, "Bad XCAP URI: %s",
		         perr[0] ? perr : "no users tree");
		err = EBADMSG;
		goto out;
	}
	if (err)
		goto out;
	err = EBADMSG;
	u = xcap_usage_find(xu.auid);
	if (!u || !u->users) {
		snprintf(why, wsize, "Unknown application usage: %.60s",
		         xu.auid);
		goto out;
	}
	if (xu.tree != XCAP_USERS || !xu.owner || !same_aor(xu.owner, res)) {
		snprintf(why, wsize, "Not the subscriber's documents: %.60s",
		         uri);
		goto out;
	}
	if (xu.nodesel) {
		snprintf(why, wsize, "Node selectors are not supported");
		goto out;
	}
	err = buf_printf(text, "%s/%s\n", xu.auid, xu.doc ? xu.doc : "");
out:
	xcap_uri_reset(&xu);
	mem_deref(path);
	mem_deref(query);
	return err;
}

/* The selection text of a new subscription from its SUBSCRIBE body (none:
 * every document). EBADMSG (400, why) or EPROTONOSUPPORT (415). */
static int request_sel(const struct xdiff *x, struct evt_sub *sub, char **textp,
                       char *why, size_t wsize)
{
	const struct sip_msg *msg = evt_sub_request(sub);
	const char *res = evt_sub_resource(sub);
	struct rlist *l = NULL;
	struct buf *text = NULL;
	char perr[96];
	struct pl ct;
	uint32_t i;
	int err;

	if (!msg || !msg->body.l)
		return mem_strdup(textp, "");
	ct = msg->ctype;
	{
		const char *semi = pl_strchr(&ct, ';');

		if (semi)
			ct.l = (size_t)(semi - ct.p);
		pl_trim(&ct);
	}
	if (ct.l && pl_strcasecmp(&ct, RLIST_CTYPE)) {
		snprintf(why, wsize, "Unsupported Media Type");
		return EPROTONOSUPPORT;
	}
	perr[0] = '\0';
	err = rlist_urilist_parse(&l, msg->body.p, msg->body.l, perr,
	                          sizeof(perr));
	if (err == EBADMSG || err == EINVAL) {
		snprintf(why, wsize, "Bad URI list: %s", perr);
		return EBADMSG;
	}
	if (err)
		return err;
	if (!l->n) {
		snprintf(why, wsize, "The URI list names no document");
		err = EBADMSG;
		goto out;
	}
	err = buf_alloc(&text, 128);
	for (i = 0; !err && i < l->n; i++)
		err = uri_sel(x, res, l->e[i].uri, text, why, wsize);
	if (!err)
		err = buf_write_u8(text, 0);
	if (!err)
		err = mem_strdup(textp, (const char *)text->b);
out:
	mem_deref(text);
	mem_deref(l);
	return err;
}

/* why goes into a status line: nothing but printable ASCII (the URI
 * came from the subscriber). */
static void phrase_clean(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
	}
}

/* --- the package --- */

static int subscribe_h(struct evt_sub *sub, bool restored, void *arg)
{
	struct xdiff *x = arg;
	const char *ident = evt_sub_ident(sub), *res = evt_sub_resource(sub);
	struct xsub *xs = NULL;
	char *text = NULL, why[REASON_MAX];
	int err;

	if (!ident || !res || !same_aor(ident, res)) {
		log_info(NULL, "xcap-diff subscription to %s by %s refused",
		         res ? res : "", ident ? ident : "(unauthenticated)");
		return evt_sub_reject(sub, 403, NULL, EVT_REASON_REJECTED);
	}
	why[0] = '\0';
	if (restored) {
		err = xsub_alloc(&xs, evt_sub_pdata(sub));
		if (err == EBADMSG)
			log_warn(NULL,
			         "xcap-diff subscription of %s: bad "
			         "stored selection",
			         res);
		if (err)
			return err;
	} else {
		err = request_sel(x, sub, &text, why, sizeof(why));
		if (err == EBADMSG || err == EPROTONOSUPPORT) {
			phrase_clean(why);
			log_info(NULL, "xcap-diff subscription of %s: %s", res,
			         why);
			return evt_sub_reject(sub, err == EBADMSG ? 400 : 415,
			                      why, EVT_REASON_REJECTED);
		}
		if (!err)
			err = xsub_alloc(&xs, text);
		if (!err)
			err = evt_sub_set_pdata(sub, text);
		mem_deref(text);
		if (err) {
			mem_deref(xs);
			return err;
		}
	}
	evt_sub_set_data(sub, xs);
	mem_deref(xs);
	return evt_sub_accept(sub, EVT_ACTIVE);
}

static int sent_cmp(const void *a, const void *b)
{
	const struct sent *x = a, *y = b;
	int c = strcmp(x->auid, y->auid);

	return c ? c : strcmp(x->name, y->name);
}

static const struct sent *snap_find(const struct snap *s, const struct sent *k)
{
	if (!s || !s->n)
		return NULL;
	return bsearch(k, s->e, s->n, sizeof(s->e[0]), sent_cmp);
}

/* The documents of owner that xs covers, now. */
static int snap_build(struct snap **sp, const struct xdiff *x,
                      const char *owner, const struct xsub *xs)
{
	const struct owner *o = owner_find(x, owner);
	size_t n = 0, sz = 0, i = 0;
	struct snap *s;
	char *pos;

	if (o) {
		LIST_FOREACH(&o->docs, le) {
			const struct idoc *d = le->data;

			if (!xsub_covers(xs, d->auid, d->name))
				continue;
			n++;
			sz += strlen(d->auid) + strlen(d->name) +
			      strlen(d->etag) + 3;
		}
	}
	s = mem_zalloc(sizeof(*s) + n * sizeof(s->e[0]) + sz, NULL);
	if (!s)
		return ENOMEM;
	pos = (char *)&s->e[n];
	if (o) {
		LIST_FOREACH(&o->docs, le) {
			const struct idoc *d = le->data;
			const char *v[3] = {d->auid, d->name, d->etag};
			const char **f[3] = {&s->e[i].auid, &s->e[i].name,
			                     &s->e[i].etag};

			if (!xsub_covers(xs, d->auid, d->name))
				continue;
			for (int k = 0; k < 3; k++) {
				size_t l = strlen(v[k]) + 1;

				*f[k] = memcpy(pos, v[k], l);
				pos += l;
			}
			i++;
		}
	}
	s->n = (uint32_t)n;
	qsort(s->e, n, sizeof(s->e[0]), sent_cmp);
	*sp = s;
	return 0;
}

/* <document sel=... [previous-etag=...] [new-etag=...]/>: no patch
 * content (the subscriber fetches the document, RFC 5874 4.4). */
static int doc_write(xmlTextWriterPtr xw, const char *owner,
                     const struct sent *d, const char *prev, const char *next)
{
	struct buf *sel = NULL;
	int err;

	if ((prev && !xml_text_ok(prev)) || (next && !xml_text_ok(next)))
		return 0; /* not a store etag: nothing to say about it */
	err = buf_alloc(&sel, 128);
	if (!err)
		err = pct_write(sel, d->auid, false);
	if (!err)
		err = buf_write_str(sel, "/users/sip:");
	if (!err)
		err = pct_write(sel, owner, false);
	if (!err)
		err = buf_write_u8(sel, '/');
	if (!err)
		err = pct_write(sel, d->name, true);
	if (!err)
		err = buf_write_u8(sel, 0);
	if (err)
		goto out;
	if (xmlTextWriterStartElement(xw, BAD_CAST "document") < 0) {
		err = ENOMEM;
		goto out;
	}
	err = xml_wattr(xw, "sel", (const char *)sel->b);
	if (!err && prev)
		err = xml_wattr(xw, "previous-etag", prev);
	if (!err && next)
		err = xml_wattr(xw, "new-etag", next);
	if (!err && xmlTextWriterEndElement(xw) < 0)
		err = ENOMEM;
out:
	mem_deref(sel);
	return err;
}

static int diff_write(xmlTextWriterPtr xw, const char *root, const char *owner,
                      const struct snap *cur, const struct snap *old)
{
	uint32_t i;
	int err;

	if (xmlTextWriterSetIndent(xw, 1) < 0 ||
	    xmlTextWriterSetIndentString(xw, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(xw, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(xw, BAD_CAST "xcap-diff") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "xmlns", XDIFF_NS);
	if (!err)
		err = xml_wattr(xw, "xcap-root", root);
	/* full (old NULL): every document; else the changed and new ones */
	for (i = 0; !err && i < cur->n; i++) {
		const struct sent *o = old ? snap_find(old, &cur->e[i]) : NULL;

		if (o && !strcmp(o->etag, cur->e[i].etag))
			continue;
		err = doc_write(xw, owner, &cur->e[i], o ? o->etag : NULL,
		                cur->e[i].etag);
	}
	/* and the deleted ones: previous-etag only (RFC 5874 4.1) */
	for (i = 0; !err && old && i < old->n; i++) {
		if (snap_find(cur, &old->e[i]))
			continue;
		err = doc_write(xw, owner, &old->e[i], old->e[i].etag, NULL);
	}
	if (!err && xmlTextWriterEndDocument(xw) < 0)
		err = ENOMEM;
	return err;
}

static int diff_build(struct buf **mbp, const char *root, const char *owner,
                      const struct snap *cur, const struct snap *old)
{
	xmlTextWriterPtr xw;
	xmlBufferPtr xb;
	int err;

	xb = xmlBufferCreate();
	if (!xb)
		return ENOMEM;
	xw = xmlNewTextWriterMemory(xb, 0);
	if (!xw) {
		xmlBufferFree(xb);
		return ENOMEM;
	}
	err = diff_write(xw, root, owner, cur, old);
	xmlFreeTextWriter(xw); /* flushes into xb */
	if (!err)
		err = buf_alloc_copy(mbp, xmlBufferContent(xb),
		                     (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	return err;
}

static int body_h(struct evt_sub *sub, bool full, struct buf **bodyp,
                  char *ctype, size_t ctype_size, void *arg)
{
	struct xdiff *x = arg;
	struct xsub *xs = evt_sub_data(sub);
	const char *owner = evt_sub_resource(sub);
	struct snap *cur = NULL;
	int err;

	(void)ctype;
	(void)ctype_size;
	if (!xs || !owner)
		return EINVAL;
	if (!xs->told)
		full = true; /* nothing told yet (or restored): all of it */
	err = snap_build(&cur, x, owner, xs);
	if (!err)
		err = diff_build(bodyp, x->root, owner, cur,
		                 full ? NULL : xs->told);
	if (err) {
		mem_deref(cur);
		return err;
	}
	/* a NOTIFY that fails is sent again with the full state: what we
	 * tell now is what the subscriber is assumed to know */
	mem_deref(xs->told);
	xs->told = cur;
	return 0;
}

static void ended_h(struct evt_sub *sub, void *arg)
{
	(void)arg;
	evt_sub_set_data(sub, NULL);
}

/* --- changes --- */

struct change {
	const char *auid, *name;
};

static bool notify_h(struct evt_sub *sub, void *arg)
{
	const struct change *c = arg;
	const struct xsub *xs = evt_sub_data(sub);

	if (xs && xsub_covers(xs, c->auid, c->name))
		evt_sub_notify(sub, false);
	return false;
}

static int doc_h(const struct store_doc *d, bool startup, void *arg)
{
	struct xdiff *x = arg;
	struct change c;
	bool changed;
	int err;

	if (!d->auid || !d->owner || !d->owner[0] || !d->name)
		return 0; /* global documents have no subscribers */
	err = index_set(x, d->auid, d->owner, d->name,
	                d->content ? (d->etag ? d->etag : "") : NULL, &changed);
	if (err || startup || !changed)
		return err;
	c.auid = d->auid;
	c.name = d->name;
	evt_sub_apply(x->e, XDIFF_PKG, d->owner, notify_h, &c);
	return 0;
}

/* --- set-up --- */

static void xdiff_destroy(void *data)
{
	struct xdiff *x = data;

	x->dw = mem_deref(x->dw);
	x->e = mem_deref(x->e);
	hash_flush(x->owners);
	x->owners = mem_deref(x->owners);
	x->root = mem_deref(x->root);
}

static int root_set(struct xdiff *x, const char *root)
{
	const char *scheme, *path;
	int err;

	err = mem_strdup(&x->root, root);
	if (err)
		return err;
	x->root_len = strlen(root);
	while (x->root_len && root[x->root_len - 1] == '/')
		x->root_len--;
	scheme = strstr(x->root, "://");
	path = scheme ? strchr(scheme + 3, '/') : NULL;
	x->rpath = path ? path : "";
	x->rpath_len = path ? (size_t)(x->root + x->root_len - path) : 0;
	return 0;
}

int xdiff_alloc(struct xdiff **xp, const struct xdiff_conf *cf, struct evt *e,
                struct store *st, struct tmrl *tl)
{
	const struct xcap_usage *const *u;
	struct evt_pkg pkg;
	struct xdiff *x;
	size_t n = 0;
	int err;

	if (!xp || !cf || !cf->root_uri || !*cf->root_uri || !e || !st || !tl)
		return EINVAL;
	x = mem_zalloc(sizeof(*x), xdiff_destroy);
	if (!x)
		return ENOMEM;
	x->e = mem_ref(e);
	for (u = xcap_usages(); u && *u && n < AUIDS_MAX; u++) {
		if ((*u)->users)
			x->auids[n++] = (*u)->auid;
	}
	x->auids[n] = NULL;
	err = root_set(x, cf->root_uri);
	if (!err)
		err = hash_alloc(&x->owners, OWNERS_BUCKETS);
	/* the index first (synchronous load), then polled changes */
	if (!err)
		err = docwatch_alloc(&x->dw, st, tl, cf->poll_ms, x->auids,
		                     doc_h, x);
	if (err)
		goto out;

	memset(&pkg, 0, sizeof(pkg));
	pkg.name = XDIFF_PKG;
	pkg.ctype = XDIFF_CTYPE;
	pkg.default_expires = 3600;
	pkg.winfo = false;
	pkg.subscribe = subscribe_h;
	pkg.body = body_h;
	pkg.ended = ended_h;
	pkg.arg = x;
	err = evt_pkg_register(e, &pkg);
	if (err)
		goto out;
	log_info(NULL, "xcap-diff: %u user(s) with documents",
	         (unsigned)hash_count(x->owners));
out:
	if (err)
		mem_deref(x);
	else
		*xp = x;
	return err;
}
