/* event/winfo_doc.c - watcher information documents (RFC 3858 4, 5) */
#include "winfo_doc.h"

#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/xml.h"

#define WINFO_NS "urn:ietf:params:xml:ns:watcherinfo"

static const char *const statuses[] = {"pending", "active", "waiting",
                                       "terminated", NULL};
static const char *const events[] = {"subscribe", "approved",   "deactivated",
                                     "probation", "rejected",   "timeout",
                                     "giveup",    "noresource", NULL};

static bool in_set(const char *s, const char *const *set)
{
	for (; *set; set++) {
		if (!strcmp(s, *set))
			return true;
	}
	return false;
}

static bool str_ok(const char *s)
{
	return s && s[0] && xml_text_ok(s);
}

/* --- building --- */

static int watcher_check(const struct winfo_watcher *w)
{
	if (!str_ok(w->id) || !str_ok(w->uri) || !w->status ||
	    !in_set(w->status, statuses) || !w->event ||
	    !in_set(w->event, events))
		return EINVAL;
	if (w->display && !xml_text_ok(w->display))
		return EINVAL;
	return 0;
}

static int watcher_write(xmlTextWriterPtr xw, const struct winfo_watcher *w)
{
	int err;

	if (xmlTextWriterStartElement(xw, BAD_CAST "watcher") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "id", w->id);
	if (!err)
		err = xml_wattr(xw, "status", w->status);
	if (!err)
		err = xml_wattr(xw, "event", w->event);
	if (!err)
		err = xml_wattr_u32(xw, "duration-subscribed", w->duration_s);
	if (!err && w->expiration_s)
		err = xml_wattr_u32(xw, "expiration", w->expiration_s);
	if (!err && w->display && w->display[0])
		err = xml_wattr(xw, "display-name", w->display);
	if (err)
		return err;
	if (xmlTextWriterWriteString(xw, BAD_CAST w->uri) < 0 ||
	    xmlTextWriterEndElement(xw) < 0)
		return ENOMEM;
	return 0;
}

struct doc_ctx {
	uint32_t version;
	bool full;
	const char *resource_uri, *package;
	const struct winfo_watcher *w;
	size_t n;
};

static int doc_write(xmlTextWriterPtr xw, void *arg)
{
	const struct doc_ctx *c = arg;
	uint32_t version = c->version;
	bool full = c->full;
	const char *resource_uri = c->resource_uri, *package = c->package;
	const struct winfo_watcher *w = c->w;
	size_t n = c->n;
	size_t i;
	int err;

	if (xmlTextWriterSetIndent(xw, 1) < 0 ||
	    xmlTextWriterSetIndentString(xw, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(xw, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(xw, BAD_CAST "watcherinfo") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "xmlns", WINFO_NS);
	if (!err)
		err = xml_wattr_u32(xw, "version", version);
	if (!err)
		err = xml_wattr(xw, "state", full ? "full" : "partial");
	if (err)
		return err;
	if (xmlTextWriterStartElement(xw, BAD_CAST "watcher-list") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "resource", resource_uri);
	if (!err)
		err = xml_wattr(xw, "package", package);
	for (i = 0; !err && i < n; i++)
		err = watcher_write(xw, &w[i]);
	if (err)
		return err;
	if (xmlTextWriterEndDocument(xw) < 0)
		return ENOMEM;
	return 0;
}

int winfo_doc_build(struct buf **mbp, uint32_t version, bool full,
                    const char *resource_uri, const char *package,
                    const struct winfo_watcher *w, size_t n)
{
	struct doc_ctx dc;
	size_t i;
	int err;

	if (!mbp || !str_ok(resource_uri) || !str_ok(package) || (n && !w))
		return EINVAL;
	for (i = 0; i < n; i++) {
		err = watcher_check(&w[i]);
		if (err)
			return err;
	}

	dc.version = version;
	dc.full = full;
	dc.resource_uri = resource_uri;
	dc.package = package;
	dc.w = w;
	dc.n = n;
	return xml_write_buf(mbp, doc_write, &dc);
}

/* --- parsing --- */

struct pctx {
	struct xml_err xe;  /* first: the parser context's _private */
	winfo_watcher_h *h; /* NULL: the checking pass */
	void *arg;
};

#define perr(c, line, ...) xml_err_set(&(c)->xe, (line), __VA_ARGS__)

static bool is_ours(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST WINFO_NS) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

/* Attributes of type string keep their white space; the others (tokens,
 * numbers, URIs) are collapsed by schema rules, so we trim them. */
static bool string_attr(const char *name)
{
	return !strcmp(name, "id") || !strcmp(name, "display-name");
}

/* An attribute without namespace; *vp NULL if absent (the copy to
 * xmlFree goes to *ownp). ENOMEM. */
static int attr_get(const char **vp, xmlChar **ownp, xmlNode *n,
                    const char *name)
{
	*vp = NULL;
	*ownp = NULL;
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return 0;
	*ownp = xmlGetNoNsProp(n, BAD_CAST name);
	if (!*ownp)
		return ENOMEM;
	*vp = string_attr(name) ? (const char *)*ownp : xml_trim(*ownp);
	return 0;
}

/* unsigned decimal; larger values saturate when sat, else fail. */
static bool num_u32(const char *s, uint32_t *v, bool sat)
{
	uint64_t x = 0;

	if (!s[0])
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX) {
			if (!sat)
				return false;
			x = UINT32_MAX + 1ULL; /* stays above */
		}
	}
	*v = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	return true;
}

enum { W_ID, W_STATUS, W_EVENT, W_DUR, W_EXP, W_DISP, W_NATTR };

static const char *const wattrs[W_NATTR] = {"id",         "status",
                                            "event",      "duration-subscribed",
                                            "expiration", "display-name"};

static int parse_watcher(struct pctx *c, xmlNode *n, const char *resource,
                         const char *package)
{
	const char *v[W_NATTR];
	xmlChar *own[W_NATTR + 1] = {NULL};
	long line = xmlGetLineNo(n);
	struct winfo_watcher w;
	int err = 0, i;

	memset(&w, 0, sizeof(w));
	for (i = 0; !err && i < W_NATTR; i++)
		err = attr_get(&v[i], &own[i], n, wattrs[i]);
	if (err)
		goto out;
	err = EBADMSG;
	if (!v[W_ID] || !v[W_ID][0]) {
		perr(c, line, "watcher without id");
		goto out;
	}
	if (!v[W_STATUS] || !in_set(v[W_STATUS], statuses)) {
		perr(c, line, "watcher: missing or unknown status");
		goto out;
	}
	if (!v[W_EVENT] || !in_set(v[W_EVENT], events)) {
		perr(c, line, "watcher: missing or unknown event");
		goto out;
	}
	if (v[W_DUR] && !num_u32(v[W_DUR], &w.duration_s, true)) {
		perr(c, line, "watcher: bad duration-subscribed");
		goto out;
	}
	if (v[W_EXP] && !num_u32(v[W_EXP], &w.expiration_s, true)) {
		perr(c, line, "watcher: bad expiration");
		goto out;
	}
	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			perr(c, xmlGetLineNo(k), "element inside watcher");
			goto out;
		}
	}
	own[W_NATTR] = xmlNodeGetContent(n);
	if (!own[W_NATTR]) {
		err = ENOMEM;
		goto out;
	}
	w.uri = xml_trim(own[W_NATTR]);
	if (!w.uri[0]) {
		perr(c, line, "watcher without URI");
		goto out;
	}
	err = 0;
	w.id = v[W_ID];
	w.status = v[W_STATUS];
	w.event = v[W_EVENT];
	w.display = v[W_DISP];
	if (c->h)
		c->h(resource, package, &w, c->arg);
out:
	for (i = 0; i <= W_NATTR; i++)
		xmlFree(own[i]);
	return err;
}

static int parse_list(struct pctx *c, xmlNode *n)
{
	xmlChar *ores = NULL, *opkg = NULL;
	const char *res, *pkg;
	long line = xmlGetLineNo(n);
	int err;

	err = attr_get(&res, &ores, n, "resource");
	if (!err)
		err = attr_get(&pkg, &opkg, n, "package");
	if (err)
		goto out;
	err = EBADMSG;
	if (!res || !res[0]) {
		perr(c, line, "watcher-list without resource");
		goto out;
	}
	if (!pkg || !pkg[0]) {
		perr(c, line, "watcher-list without package");
		goto out;
	}
	err = 0;
	for (xmlNode *k = n->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, xmlGetLineNo(k), "text in watcher-list");
			err = EBADMSG;
		} else if (is_ours(k, "watcher")) {
			err = parse_watcher(c, k, res, pkg);
		} else if (is_ours(k, NULL)) {
			perr(c, xmlGetLineNo(k), "unexpected element <%s>",
			     (const char *)k->name);
			err = EBADMSG;
		}
		/* elements of other namespaces: extensions, ignored */
	}
out:
	xmlFree(ores);
	xmlFree(opkg);
	return err;
}

static int parse_root(struct pctx *c, xmlNode *root, struct winfo_info *info)
{
	xmlChar *over = NULL, *ostate = NULL;
	const char *ver, *state;
	long line = xmlGetLineNo(root);
	int err;

	if (!is_ours(root, "watcherinfo")) {
		perr(c, line, "root is not <watcherinfo> of " WINFO_NS);
		return EBADMSG;
	}
	err = attr_get(&ver, &over, root, "version");
	if (!err)
		err = attr_get(&state, &ostate, root, "state");
	if (err)
		goto out;
	err = EBADMSG;
	if (!ver || !num_u32(ver, &info->version, false)) {
		perr(c, line, "watcherinfo: missing or bad version");
		goto out;
	}
	if (!state || (strcmp(state, "full") && strcmp(state, "partial"))) {
		perr(c, line, "watcherinfo: state must be full or partial");
		goto out;
	}
	info->full = !strcmp(state, "full");
	err = 0;
	for (xmlNode *k = root->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, xmlGetLineNo(k), "text in watcherinfo");
			err = EBADMSG;
		} else if (is_ours(k, "watcher-list")) {
			err = parse_list(c, k);
		} else if (is_ours(k, NULL)) {
			perr(c, xmlGetLineNo(k), "unexpected element <%s>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
out:
	xmlFree(over);
	xmlFree(ostate);
	return err;
}

int winfo_doc_parse(const char *xml, size_t len, struct winfo_info *info,
                    winfo_watcher_h *h, void *arg, char *err, size_t errsize)
{
	struct pctx c = {{err, errsize, false}, NULL, NULL};
	struct winfo_info wi;
	xmlDocPtr doc;
	int e;

	if (err && errsize)
		err[0] = '\0';
	if (!xml || !info)
		return EINVAL;
	e = xml_read_strict(&doc, xml, len, &c.xe);
	if (e)
		return e;
	/* check everything first, so h sees only a valid document */
	e = parse_root(&c, xmlDocGetRootElement(doc), &wi);
	if (!e && h) {
		c.h = h;
		c.arg = arg;
		e = parse_root(&c, xmlDocGetRootElement(doc), &wi);
	}
	xmlFreeDoc(doc);
	if (!e) {
		if (err && errsize)
			err[0] = '\0';
		*info = wi;
	}
	return e;
}
