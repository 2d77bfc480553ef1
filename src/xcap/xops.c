/* xcap/xops.c - XCAP operations on one document (RFC 4825 7, 8, 10, 11):
 * GET, PUT and DELETE of documents, elements and attributes, GET of
 * namespace bindings, and the application/xcap-error+xml bodies */
#include "xops.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/xml.h"
#include "xsel.h"

#define XCAP_ERR_NS "urn:ietf:params:xml:ns:xcap-error"

enum {
	SEL_PRINT_MAX = 65536, /* longest ancestor selector we print */
	REF_MAX = 32,          /* longest character reference ("&#x...;") */
};

/* --- UTF-8 and XML characters --- */

/* The UTF-8 sequence at p (n > 0 bytes left): its length, 0 when it is
 * not valid UTF-8 (RFC 3629: no overlong forms, no surrogates). */
static size_t utf8_dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		len = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		len = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static size_t utf8_enc(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* XML 1.0 2.2 Char */
static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
	       (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;

	while (n) {
		size_t l = utf8_dec(p, n, &c);

		if (!l)
			return false;
		p += l;
		n -= l;
	}
	return true;
}

/* A copy of s fit for an XML writer: every byte that does not start a
 * valid XML character becomes '?'. */
static int clean_dup(char **dp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	char *d = mem_alloc(n + 1, NULL);

	if (!d)
		return ENOMEM;
	while (n) {
		uint32_t c;
		size_t l = utf8_dec(p, n, &c);

		if (!l || !xml_char(c)) {
			d[o++] = '?';
			l = 1;
		} else {
			memcpy(d + o, p, l);
			o += l;
		}
		p += l;
		n -= l;
	}
	d[o] = '\0';
	*dp = d;
	return 0;
}

/* --- errors --- */

void xcap_err_reset(struct xcap_err *e)
{
	if (!e)
		return;
	e->phrase = mem_deref(e->phrase);
	e->ancestor = mem_deref(e->ancestor);
	e->field = mem_deref(e->field);
	if (e->alt) {
		/* NULL each slot first: an array whose destructor releases
		 * its strings then finds nothing left to release */
		for (uint32_t i = 0; i < e->nalt; i++)
			e->alt[i] = mem_deref(e->alt[i]);
		e->alt = mem_deref(e->alt);
	}
	e->nalt = 0;
	e->code = XE_NONE;
	e->status = 0;
}

int xcap_err_set(struct xcap_err *e, enum xcap_ecode code, unsigned status,
                 const char *fmt, ...)
{
	int ret = (code == XE_HTTP && status == 500) ? EIO : EINVAL;
	va_list ap;
	char *p;
	int n;

	if (!e)
		return ret;
	xcap_err_reset(e);
	e->code = code;
	if (!status)
		status = (code > XE_NONE && code < XE_HTTP) ? 409 : 500;
	e->status = status;
	if (!fmt)
		fmt = "";
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = mem_alloc((size_t)n + 1, NULL);
	if (!p)
		return ENOMEM;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	e->phrase = p;
	return ret;
}

/* The element of each 409 condition (RFC 4825 11.2) */
static const char *const conds[] = {
    [XE_NOT_WELL_FORMED] = "not-well-formed",
    [XE_NOT_XML_FRAG] = "not-xml-frag",
    [XE_NO_PARENT] = "no-parent",
    [XE_SCHEMA_VALIDATION] = "schema-validation-error",
    [XE_NOT_XML_ATT_VALUE] = "not-xml-att-value",
    [XE_CANNOT_INSERT] = "cannot-insert",
    [XE_CANNOT_DELETE] = "cannot-delete",
    [XE_UNIQUENESS_FAILURE] = "uniqueness-failure",
    [XE_CONSTRAINT_FAILURE] = "constraint-failure",
    [XE_NOT_UTF8] = "not-utf-8",
};

static int w_attr(xmlTextWriterPtr w, const char *name, const char *val)
{
	char *c = NULL;
	int err = clean_dup(&c, val);

	if (!err)
		err = xml_wattr(w, name, c);
	mem_deref(c);
	return err;
}

static int w_elem(xmlTextWriterPtr w, const char *name, const char *text)
{
	char *c = NULL;
	int err = clean_dup(&c, text);

	if (!err && xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST c) < 0)
		err = ENOMEM;
	mem_deref(c);
	return err;
}

/* The ancestor URI of no-parent, or NULL (*up stays NULL) for none. */
static int ancestor_uri(char **up, const struct xcap_err *e,
                        const char *root_uri, const char *dir_uri)
{
	size_t n;
	char *u;

	if (!e->ancestor)
		return dir_uri ? mem_strdup(up, dir_uri) : 0;
	if (!root_uri)
		return 0;
	if (!e->ancestor[0])
		return mem_strdup(up, root_uri);
	n = strlen(root_uri) + 4 + strlen(e->ancestor) + 1;
	u = mem_alloc(n, NULL);
	if (!u)
		return ENOMEM;
	snprintf(u, n, "%s/~~/%s", root_uri, e->ancestor);
	*up = u;
	return 0;
}

struct err_ctx {
	const struct xcap_err *e;
	const char *root_uri, *dir_uri;
};

static int err_write(xmlTextWriterPtr w, void *arg)
{
	const struct err_ctx *c = arg;
	const struct xcap_err *e = c->e;
	const char *root_uri = c->root_uri, *dir_uri = c->dir_uri;
	char *anc = NULL;
	int err;

	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "xcap-error") < 0)
		return ENOMEM;
	err = xml_wattr(w, "xmlns", XCAP_ERR_NS);
	if (err)
		return err;
	if (xmlTextWriterStartElement(w, BAD_CAST conds[e->code]) < 0)
		return ENOMEM;
	if (e->phrase && e->phrase[0]) {
		err = w_attr(w, "phrase", e->phrase);
		if (err)
			return err;
	}
	if (e->code == XE_NO_PARENT) {
		err = ancestor_uri(&anc, e, root_uri, dir_uri);
		if (!err && anc && anc[0]) /* "": nothing worth naming */
			err = w_elem(w, "ancestor", anc);
		mem_deref(anc);
		if (err)
			return err;
	} else if (e->code == XE_UNIQUENESS_FAILURE) {
		if (xmlTextWriterStartElement(w, BAD_CAST "exists") < 0)
			return ENOMEM;
		err = w_attr(w, "field", e->field ? e->field : "");
		for (uint32_t i = 0; !err && e->alt && i < e->nalt; i++) {
			if (e->alt[i])
				err = w_elem(w, "alt-value", e->alt[i]);
		}
		if (err)
			return err;
		if (xmlTextWriterEndElement(w) < 0)
			return ENOMEM;
	}
	if (xmlTextWriterEndDocument(w) < 0)
		return ENOMEM;
	return 0;
}

int xcap_err_body(struct buf **mbp, const struct xcap_err *e,
                  const char *root_uri, const char *dir_uri)
{
	struct err_ctx ec;

	if (!mbp || !e || e->code <= XE_NONE || e->code >= XE_HTTP)
		return EINVAL;
	ec.e = e;
	ec.root_uri = root_uri;
	ec.dir_uri = dir_uri;
	return xml_write_buf(mbp, err_write, &ec);
}

/* --- documents --- */

/* The stored document as a tree (a document that does not parse is the
 * server's fault: 500). */
static int doc_read(xmlDocPtr *dp, const char *doc, size_t len,
                    struct xcap_err *e)
{
	char msg[160] = "";
	struct xml_err xe = {msg, sizeof(msg), false};
	int err;

	err = xml_read_strict(dp, doc, len, &xe);
	if (err == ENOMEM)
		return ENOMEM;
	if (err)
		return xcap_err_set(e, XE_HTTP, 500,
		                    "stored document does not parse: %s", msg);
	return 0;
}

/* The whole document as libxml2 writes it, unformatted, in UTF-8. */
static int doc_dump(struct buf **mbp, xmlDocPtr d)
{
	xmlChar *mem = NULL;
	int size = 0, err;

	xmlDocDumpMemoryEnc(d, &mem, &size, "UTF-8");
	if (!mem || size < 0) {
		xmlFree(mem);
		return ENOMEM;
	}
	err = buf_alloc_copy(mbp, mem, (size_t)size);
	xmlFree(mem);
	return err;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A leading XML declaration "<?xml ...?>" of b[0..n): its length (0:
 * none), with *utf8 false when it names an encoding other than UTF-8. */
static size_t xml_decl(const char *b, size_t n, bool *utf8)
{
	const char *end, *p;
	size_t l;

	*utf8 = true;
	if (!b || n < 6 || memcmp(b, "<?xml", 5) || !is_ws(b[5]))
		return 0;
	end = memmem(b, n, "?>", 2);
	if (!end)
		return 0; /* the parser reports it */
	l = (size_t)(end - b) + 2;
	p = memmem(b, l, "encoding", 8);
	if (p) {
		const char *v = p + 8, *q;
		char quote;

		while (v < end && (is_ws(*v) || *v == '='))
			v++;
		if (v >= end || (*v != '"' && *v != '\''))
			return l;
		quote = *v++;
		q = memchr(v, quote, (size_t)(end - v));
		if (!q)
			return l;
		*utf8 = ((q - v == 5 && !strncasecmp(v, "UTF-8", 5)) ||
		         (q - v == 4 && !strncasecmp(v, "UTF8", 4)));
	}
	return l;
}

static int not_found(struct xcap_err *e, int eval_err)
{
	if (eval_err == ENOMEM)
		return ENOMEM;
	if (eval_err == E2BIG)
		return xcap_err_set(e, XE_HTTP, 404,
		                    "the selector selects several elements");
	if (eval_err == ENOENT)
		return xcap_err_set(e, XE_HTTP, 404,
		                    "the selector selects no element");
	return xcap_err_set(e, XE_HTTP, 500, "selector evaluation failed (%d)",
	                    eval_err);
}

/* no-parent naming the first depth steps (RFC 4825 8.2.1) */
static int no_parent(struct xcap_err *e, const struct xsel *s, uint32_t depth)
{
	size_t size = 256;
	char *txt = NULL;
	int ret, err;

	if (depth) {
		for (;;) {
			txt = mem_alloc(size, NULL);
			if (!txt)
				return ENOMEM;
			err = xsel_print(s, depth, txt, size);
			if (!err)
				break;
			txt = mem_deref(txt);
			if (err != ENOSPC || size >= SEL_PRINT_MAX)
				return xcap_err_set(
				    e, XE_HTTP, 500,
				    "cannot print selector (%d)", err);
			size *= 4;
		}
	} else {
		err = mem_strdup(&txt, "");
		if (err)
			return err;
	}
	ret = xcap_err_set(e, XE_NO_PARENT, 409,
	                   "the parent of the selected node does not exist");
	if (ret == ENOMEM) {
		mem_deref(txt);
		return ENOMEM;
	}
	e->ancestor = txt;
	return ret;
}

static int no_document(struct xcap_err *e)
{
	return xcap_err_set(e, XE_NO_PARENT, 409,
	                    "the document does not exist");
}

/* The namespace URI of the selector's terminal attribute (NULL: no
 * namespace). false: an unbound prefix. */
static bool attr_uri(const struct xsel *s, const char **urip)
{
	*urip = NULL;
	if (!s->tprefix)
		return true;
	for (uint32_t i = 0; i < s->nns; i++) {
		if (s->ns[i].prefix && !strcmp(s->ns[i].prefix, s->tprefix)) {
			*urip = s->ns[i].uri;
			return true;
		}
	}
	if (!strcmp(s->tprefix, "xml")) {
		*urip = (const char *)XML_XML_NAMESPACE;
		return true;
	}
	return false;
}

static xmlAttrPtr attr_find(xmlNodePtr el, const struct xsel *s)
{
	const char *uri;

	if (!s->tname || !attr_uri(s, &uri))
		return NULL;
	return xmlHasNsProp(el, BAD_CAST s->tname, BAD_CAST uri);
}

/* --- GET (RFC 4825 8.3, 10) --- */

static int xml_buf_take(struct buf **mbp, xmlBufferPtr xb)
{
	return buf_alloc_copy(mbp, xmlBufferContent(xb),
	                      (size_t)xmlBufferLength(xb));
}

static int get_element(struct buf **mbp, xmlDocPtr d, xmlNodePtr el)
{
	xmlBufferPtr xb = xmlBufferCreate();
	int err;

	if (!xb)
		return ENOMEM;
	if (xmlNodeDump(xb, d, el, 0, 0) < 0)
		err = ENOMEM;
	else
		err = xml_buf_take(mbp, xb);
	xmlBufferFree(xb);
	return err;
}

static int get_attr(struct buf **mbp, xmlAttrPtr a)
{
	xmlChar *v = xmlNodeGetContent((xmlNodePtr)a);
	int err;

	if (!v)
		return a->children ? ENOMEM : buf_alloc(mbp, 0);
	err = buf_alloc_copy(mbp, v, strlen((const char *)v));
	xmlFree(v);
	return err;
}

static int ns_write(xmlTextWriterPtr w, xmlNodePtr el, xmlNsPtr *list)
{
	const xmlChar *prefix = el->ns ? el->ns->prefix : NULL;

	if (xmlTextWriterStartElementNS(w, prefix, el->name, NULL) < 0)
		return ENOMEM;
	for (size_t i = 0; list && list[i]; i++) {
		const xmlNs *ns = list[i];
		const xmlChar *href = ns->href ? ns->href : BAD_CAST "";
		int r;

		if (ns->prefix && xmlStrEqual(ns->prefix, BAD_CAST "xml"))
			continue;
		if (ns->prefix)
			r = xmlTextWriterWriteAttributeNS(
			    w, BAD_CAST "xmlns", ns->prefix, NULL, href);
		else
			r = xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns",
			                                href);
		if (r < 0)
			return ENOMEM;
	}
	if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterFlush(w) < 0)
		return ENOMEM;
	return 0;
}

/* RFC 4825 10: an element named like el with every binding in scope */
static int get_nsbind(struct buf **mbp, xmlDocPtr d, xmlNodePtr el)
{
	xmlNsPtr *list = xmlGetNsList(d, el);
	xmlTextWriterPtr w = NULL;
	xmlBufferPtr xb;
	int err;

	xb = xmlBufferCreate();
	if (!xb) {
		err = ENOMEM;
		goto out;
	}
	w = xmlNewTextWriterMemory(xb, 0);
	if (!w) {
		err = ENOMEM;
		goto out;
	}
	err = ns_write(w, el, list);
	xmlFreeTextWriter(w);
	if (!err)
		err = xml_buf_take(mbp, xb);
out:
	xmlBufferFree(xb);
	xmlFree(list);
	return err;
}

int xcap_get(struct xcap_got *g, const char *doc, size_t len,
             const struct xsel *sel, const char *default_ns, struct xcap_err *e)
{
	struct buf *mb = NULL;
	xmlDocPtr d = NULL;
	xmlNodePtr el = NULL;
	const char *ctype = NULL;
	xmlAttrPtr a;
	int err;

	if (!g)
		return EINVAL;
	if (!doc)
		return xcap_err_set(e, XE_HTTP, 404, "no such document");
	if (!sel) {
		err = buf_alloc_copy(&mb, doc, len);
		goto out;
	}
	err = doc_read(&d, doc, len, e);
	if (err)
		goto out;
	err = xsel_eval(sel, d, default_ns, &el, NULL);
	if (err) {
		err = not_found(e, err);
		goto out;
	}
	switch (sel->term) {
	case XSEL_ELEMENT:
		ctype = "application/xcap-el+xml";
		err = get_element(&mb, d, el);
		break;
	case XSEL_ATTRIBUTE:
		ctype = "application/xcap-att+xml";
		a = attr_find(el, sel);
		if (!a)
			err = xcap_err_set(e, XE_HTTP, 404,
			                   "the element has no attribute %s",
			                   sel->tname ? sel->tname : "");
		else
			err = get_attr(&mb, a);
		break;
	case XSEL_NSBIND:
		ctype = "application/xcap-ns+xml";
		err = get_nsbind(&mb, d, el);
		break;
	default:
		err =
		    xcap_err_set(e, XE_HTTP, 500, "unknown selector terminal");
		break;
	}
out:
	xmlFreeDoc(d);
	if (err) {
		mem_deref(mb);
		return err;
	}
	g->body = mb;
	g->ctype = ctype;
	return 0;
}

/* --- PUT (RFC 4825 8.2) --- */

static int put_document(struct buf **newp, bool *created, const char *doc,
                        const char *body, size_t blen, struct xcap_err *e)
{
	char msg[160] = "";
	struct xml_err xe = {msg, sizeof(msg), false};
	xmlDocPtr d = NULL;
	bool utf8;
	int err;

	if (!body || !blen)
		return xcap_err_set(e, XE_NOT_WELL_FORMED, 409,
		                    "the body is empty");
	if (!utf8_valid(body, blen))
		return xcap_err_set(e, XE_NOT_UTF8, 409,
		                    "the body is not valid UTF-8");
	xml_decl(body, blen, &utf8);
	if (!utf8)
		return xcap_err_set(e, XE_NOT_UTF8, 409,
		                    "the XML declaration names another "
		                    "encoding than UTF-8");
	err = xml_read_strict(&d, body, blen, &xe);
	if (err == ENOMEM)
		return ENOMEM;
	if (err)
		return xcap_err_set(e, XE_NOT_WELL_FORMED, 409, "%s", msg);
	xmlFreeDoc(d);
	err = buf_alloc_copy(newp, body, blen);
	if (err)
		return err;
	*created = doc == NULL;
	return 0;
}

/* Append s[0..n) to b as attribute value text (escaped). */
static int write_attval(struct buf *b, const char *s, size_t n)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++) {
		switch (s[i]) {
		case '&':
			err = buf_write_str(b, "&amp;");
			break;
		case '<':
			err = buf_write_str(b, "&lt;");
			break;
		case '"':
			err = buf_write_str(b, "&quot;");
			break;
		default:
			err = buf_write_u8(b, (uint8_t)s[i]);
			break;
		}
	}
	return err;
}

/* The body wrapped in an element declaring every namespace in scope at
 * ctx (RFC 4825 8.2.3: prefixes bound in the document apply). The
 * wrapper start tag adds no line, so parser line numbers are the
 * body's. */
static int frag_wrap(struct buf **wp, xmlDocPtr d, xmlNodePtr ctx,
                     const char *body, size_t blen)
{
	xmlNsPtr *list = ctx ? xmlGetNsList(d, ctx) : NULL;
	struct buf *w = NULL;
	int err;

	err = buf_alloc(&w, blen + 64);
	if (!err)
		err = buf_write_str(w, "<x");
	for (size_t i = 0; !err && list && list[i]; i++) {
		const xmlNs *ns = list[i];
		const char *href = ns->href ? (const char *)ns->href : "";

		if (ns->prefix && !xmlStrcmp(ns->prefix, BAD_CAST "xml"))
			continue;
		if (ns->prefix)
			err = buf_printf(w, " xmlns:%s=\"", ns->prefix);
		else
			err = buf_write_str(w, " xmlns=\"");
		if (!err)
			err = write_attval(w, href, strlen(href));
		if (!err)
			err = buf_write_u8(w, '"');
	}
	if (!err)
		err = buf_write_u8(w, '>');
	if (!err)
		err = buf_write(w, body, blen);
	if (!err)
		err = buf_write_str(w, "</x>");
	xmlFree(list);
	if (err) {
		mem_deref(w);
		return err;
	}
	*wp = w;
	return 0;
}

/* The one element of the wrapper, or XE_NOT_XML_FRAG. */
static int frag_element(xmlNodePtr *elp, xmlDocPtr wd, struct xcap_err *e)
{
	xmlNodePtr root = xmlDocGetRootElement(wd), el = NULL;
	unsigned n = 0;

	for (xmlNodePtr c = root->children; c; c = c->next) {
		switch (c->type) {
		case XML_ELEMENT_NODE:
			n++;
			el = c;
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (!xml_blank(c->content))
				return xcap_err_set(e, XE_NOT_XML_FRAG, 409,
				                    "text outside the element");
			break;
		case XML_COMMENT_NODE:
			return xcap_err_set(e, XE_NOT_XML_FRAG, 409,
			                    "a comment outside the element");
		case XML_PI_NODE:
			return xcap_err_set(e, XE_NOT_XML_FRAG, 409,
			                    "a processing instruction outside "
			                    "the element");
		default:
			return xcap_err_set(e, XE_NOT_XML_FRAG, 409,
			                    "unexpected content outside the "
			                    "element");
		}
	}
	if (n != 1)
		return xcap_err_set(e, XE_NOT_XML_FRAG, 409,
		                    n ? "%u elements, not one" : "no element",
		                    n);
	*elp = el;
	return 0;
}

/* Parse body as one element in the namespace context of ctx (NULL: the
 * document level). *wdp holds the element *elp. */
static int frag_parse(xmlDocPtr *wdp, xmlNodePtr *elp, xmlDocPtr d,
                      xmlNodePtr ctx, const char *body, size_t blen,
                      struct xcap_err *e)
{
	char msg[160] = "";
	struct xml_err xe = {msg, sizeof(msg), false};
	struct buf *w = NULL;
	xmlDocPtr wd = NULL;
	size_t skip;
	bool utf8;
	int err;

	if (!body)
		body = "", blen = 0;
	if (!utf8_valid(body, blen))
		return xcap_err_set(e, XE_NOT_UTF8, 409,
		                    "the body is not valid UTF-8");
	/* a byte order mark and an XML declaration are tolerated */
	if (blen >= 3 && !memcmp(body, "\xef\xbb\xbf", 3)) {
		body += 3;
		blen -= 3;
	}
	skip = xml_decl(body, blen, &utf8);
	if (!utf8)
		return xcap_err_set(e, XE_NOT_UTF8, 409,
		                    "the XML declaration names another "
		                    "encoding than UTF-8");
	err = frag_wrap(&w, d, ctx, body + skip, blen - skip);
	if (err)
		return err;
	err = xml_read_strict(&wd, (const char *)w->b, w->end, &xe);
	mem_deref(w);
	if (err == ENOMEM)
		return ENOMEM;
	if (err)
		return xcap_err_set(e, XE_NOT_XML_FRAG, 409, "%s", msg);
	err = frag_element(elp, wd, e);
	if (err) {
		xmlFreeDoc(wd);
		return err;
	}
	*wdp = wd;
	return 0;
}

struct adopt_ctx {
	xmlDocPtr doc;
	xmlNodePtr parent; /* NULL: the document level */
};

/* Adoption callback (with it libxml2 maps no namespace by itself): a
 * declaration in the adopted subtree stays; one the wrapper made, copied
 * from the scope of the destination parent, becomes the document's. */
static xmlNsPtr adopt_ns(xmlDOMWrapCtxtPtr c, xmlNodePtr node,
                         const xmlChar *href, const xmlChar *prefix)
{
	const struct adopt_ctx *ac = c->_private;
	xmlNodePtr n = node->type == XML_ATTRIBUTE_NODE ? node->parent : node;
	xmlNsPtr ns;

	if (prefix && xmlStrEqual(prefix, BAD_CAST "xml"))
		return xmlSearchNs(ac->doc, node, prefix);
	for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
		for (ns = n->nsDef; ns; ns = ns->next) {
			if (xmlStrEqual(ns->prefix, prefix))
				return xmlStrEqual(ns->href, href) ? ns : NULL;
		}
	}
	if (!ac->parent)
		return NULL; /* unreachable: no bindings at document level */
	ns = xmlSearchNs(ac->doc, ac->parent, prefix);
	if (ns && xmlStrEqual(ns->href, href))
		return ns;
	return xmlSearchNsByHref(ac->doc, ac->parent, href);
}

/* Move el from its wrapper document into d, below parent (NULL: the
 * root), without new namespace declarations. */
static int adopt(xmlDocPtr d, xmlNodePtr parent, xmlDocPtr wd, xmlNodePtr el)
{
	struct adopt_ctx ac = {d, parent};
	xmlDOMWrapCtxtPtr c = xmlDOMWrapNewCtxt();
	int r;

	if (!c)
		return ENOMEM;
	c->getNsForNodeFunc = adopt_ns;
	c->_private = &ac;
	xmlUnlinkNode(el);
	r = xmlDOMWrapAdoptNode(c, wd, el, d, parent, 0);
	xmlDOMWrapFreeCtxt(c);
	if (r) {
		xmlFreeNode(el);
		return ENOMEM;
	}
	return 0;
}

static xmlNodePtr last_element(xmlNodePtr parent)
{
	xmlNodePtr last = NULL;

	for (xmlNodePtr c = parent->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			last = c;
	}
	return last;
}

/* The white space text node just before n, or NULL. */
static xmlNodePtr blank_before(xmlNodePtr n)
{
	xmlNodePtr ws = n->prev;

	if (!ws || ws->type != XML_TEXT_NODE || !ws->content ||
	    !ws->content[0] || !xml_blank(ws->content))
		return NULL;
	return ws;
}

/* Put el after prev (before next), repeating the white space before
 * prev (next) so that the indentation stays as it was. */
static int insert_after(xmlDocPtr d, xmlNodePtr prev, xmlNodePtr el)
{
	xmlNodePtr ws = blank_before(prev), t;

	xmlAddNextSibling(prev, el);
	if (!ws)
		return 0;
	t = xmlNewDocText(d, ws->content);
	if (!t)
		return ENOMEM;
	xmlAddPrevSibling(el, t);
	return 0;
}

static int insert_before(xmlDocPtr d, xmlNodePtr next, xmlNodePtr el)
{
	xmlNodePtr ws = blank_before(next), t;

	xmlAddPrevSibling(next, el);
	if (!ws)
		return 0;
	t = xmlNewDocText(d, ws->content);
	if (!t)
		return ENOMEM;
	xmlAddNextSibling(el, t);
	return 0;
}

/* Where a new element goes below parent (RFC 4825 8.2.3). A position
 * counts the siblings that pass the name test (XPath, as xsel_eval): the
 * new element goes before the pos-th of them, or after the last when
 * pos is one past the end; no position: after the last element. */
static int insert_new(xmlDocPtr d, xmlNodePtr parent, xmlNodePtr el,
                      const struct xsel *s, const char *dns, struct xcap_err *e)
{
	struct xsel_step nst = s->steps[s->n - 1];
	xmlNodePtr anchor = NULL, before = NULL;
	uint32_t m = 0;

	nst.aname = NULL; /* the name test alone */
	if (nst.pos) {
		for (xmlNodePtr c = parent->children; c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE ||
			    !xsel_step_match(s, &nst, c, dns))
				continue;
			if (++m == nst.pos) {
				before = c;
				break;
			}
			anchor = c;
		}
		if (!before && nst.pos > m + 1)
			return xcap_err_set(
			    e, XE_CANNOT_INSERT, 409,
			    "position %u: only %u such elements", nst.pos, m);
	}
	if (before)
		return insert_before(d, before, el);
	if (!anchor)
		anchor = last_element(parent);
	if (!anchor) {
		xmlAddChild(parent, el);
		return 0;
	}
	return insert_after(d, anchor, el);
}

static int put_element(xmlDocPtr d, bool *created, const struct xsel *s,
                       const char *body, size_t blen, const char *dns,
                       struct xcap_err *e)
{
	const struct xsel_step *st = &s->steps[s->n - 1];
	xmlNodePtr old = NULL, parent = NULL, el = NULL, chk = NULL;
	struct xsel ps;
	xmlDocPtr wd = NULL;
	uint32_t depth = 0;
	int err;

	err = xsel_eval(s, d, dns, &old, &depth);
	if (!err) {
		parent = old->parent && old->parent->type == XML_ELEMENT_NODE
		             ? old->parent
		             : NULL;
	} else if (err == ENOENT || err == E2BIG) {
		old = NULL;
		if (depth + 1 < s->n)
			return no_parent(e, s, depth);
		if (s->n == 1)
			return xcap_err_set(e, XE_CANNOT_INSERT, 409,
			                    "the document has another root "
			                    "element");
		ps = *s; /* the parent's steps */
		ps.n = s->n - 1;
		ps.term = XSEL_ELEMENT;
		err = xsel_eval(&ps, d, dns, &parent, NULL);
		if (err)
			return not_found(e, err);
	} else {
		return not_found(e, err);
	}

	err = frag_parse(&wd, &el, d, parent, body, blen, e);
	if (err)
		return err;
	if (!xsel_step_match(s, st, el, dns)) {
		err = xcap_err_set(e, XE_CANNOT_INSERT, 409,
		                   "element <%s> does not match the selector's "
		                   "last step",
		                   (const char *)el->name);
		goto out;
	}
	err = adopt(d, parent, wd, el);
	if (err)
		goto out;
	if (old) {
		xmlReplaceNode(old, el);
		xmlFreeNode(old);
	} else {
		err = insert_new(d, parent, el, s, dns, e);
		if (err) {
			if (!el->parent)
				xmlFreeNode(el);
			goto out;
		}
	}
	/* RFC 4825 8.2.5: the request URI must now select what was put */
	err = xsel_eval(s, d, dns, &chk, NULL);
	if (err == ENOMEM)
		goto out;
	if (err || chk != el) {
		err = xcap_err_set(e, XE_CANNOT_INSERT, 409,
		                   "the selector would not select the new "
		                   "element");
		goto out;
	}
	*created = old == NULL;
out:
	xmlFreeDoc(wd);
	return err;
}

/* The reference p[0..rl) ("&lt;", "&#38;", "&#x26;"; rl counts the ';')
 * as a character. */
static bool ref_dec(const unsigned char *p, size_t rl, uint32_t *cp)
{
	static const struct {
		const char *ref;
		char c;
	} named[] = {{"&lt;", '<'},
	             {"&gt;", '>'},
	             {"&amp;", '&'},
	             {"&quot;", '"'},
	             {"&apos;", '\''}};
	uint32_t c = 0;
	bool hex;
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (rl == strlen(named[i].ref) &&
		    !memcmp(p, named[i].ref, rl)) {
			*cp = (uint32_t)named[i].c;
			return true;
		}
	}
	if (rl < 4 || p[1] != '#')
		return false;
	hex = p[2] == 'x';
	i = hex ? 3 : 2;
	if (i >= rl - 1)
		return false;
	for (; i < rl - 1; i++) {
		unsigned d;

		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (hex && p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (hex && p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return false;
		c = c * (hex ? 16 : 10) + d;
		if (c > 0x10ffff)
			return false;
	}
	*cp = c;
	return xml_char(c);
}

/* An attribute value as it would appear between quotes (XML 1.0 AttValue,
 * 3.3.3): references decoded, literal white space normalised to spaces.
 * RFC 4825 8.2.2: XE_NOT_XML_ATT_VALUE otherwise. */
static int att_value(char **vp, const char *b, size_t n, struct xcap_err *e)
{
	const unsigned char *p = (const unsigned char *)b;
	const char *bad = NULL;
	char *v, *o;

	/* nothing decodes longer than it is written */
	v = mem_alloc(n + 1, NULL);
	if (!v)
		return ENOMEM;
	o = v;
	while (n && !bad) {
		uint32_t c;
		size_t l;

		if (*p == '<') {
			bad = "'<' in an attribute value";
		} else if (*p == '&') {
			const unsigned char *semi =
			    memchr(p, ';', n < REF_MAX ? n : REF_MAX);
			size_t rl = semi ? (size_t)(semi - p) + 1 : 0;

			if (!ref_dec(p, rl, &c)) {
				bad = "'&' that starts no valid reference";
				continue;
			}
			o += utf8_enc(c, o);
			p += rl;
			n -= rl;
		} else if (!(l = utf8_dec(p, n, &c))) {
			bad = "invalid UTF-8 in an attribute value";
		} else if (!xml_char(c)) {
			bad = "a character XML does not allow in an attribute "
			      "value";
		} else if (c == '\r' && n > 1 && p[1] == '\n') {
			p++; /* CR LF is one line end */
			n--;
		} else {
			if (c == '\r' || c == '\n' || c == '\t') {
				*o++ = ' ';
			} else {
				memcpy(o, p, l);
				o += l;
			}
			p += l;
			n -= l;
		}
	}
	if (bad) {
		mem_deref(v);
		return xcap_err_set(e, XE_NOT_XML_ATT_VALUE, 409, "%s", bad);
	}
	*o = '\0';
	*vp = v;
	return 0;
}

/* The namespace declaration an attribute in uri uses on el: an existing
 * prefixed one, else a new one declared on el. */
static int attr_ns(xmlNsPtr *nsp, xmlDocPtr d, xmlNodePtr el, const char *uri,
                   const char *prefix)
{
	xmlNsPtr *list = xmlGetNsList(d, el), ns = NULL;
	char gen[16];

	for (size_t i = 0; list && list[i]; i++) {
		if (!list[i]->prefix ||
		    !xmlStrEqual(list[i]->href, BAD_CAST uri))
			continue;
		if (!ns || xmlStrEqual(list[i]->prefix, BAD_CAST prefix))
			ns = list[i];
	}
	xmlFree(list);
	if (!ns && !strcmp(uri, (const char *)XML_XML_NAMESPACE))
		ns = xmlSearchNs(d, el, BAD_CAST "xml");
	if (!ns) {
		for (unsigned i = 0; xmlSearchNs(d, el, BAD_CAST prefix); i++) {
			snprintf(gen, sizeof(gen), "ns%u", i);
			prefix = gen;
		}
		ns = xmlNewNs(el, BAD_CAST uri, BAD_CAST prefix);
	}
	if (!ns)
		return ENOMEM;
	*nsp = ns;
	return 0;
}

static int put_attr(xmlDocPtr d, bool *created, const struct xsel *s,
                    const char *body, size_t blen, const char *dns,
                    struct xcap_err *e)
{
	xmlNodePtr el = NULL, chk = NULL;
	xmlNsPtr ns = NULL;
	uint32_t depth = 0;
	const char *uri;
	char *v = NULL;
	bool existed;
	int err;

	err = xsel_eval(s, d, dns, &el, &depth);
	if (err == ENOENT || err == E2BIG)
		return no_parent(e, s, depth < s->n ? depth : s->n - 1);
	if (err)
		return not_found(e, err);
	if (!s->tname || !attr_uri(s, &uri))
		return xcap_err_set(e, XE_HTTP, 400,
		                    "attribute prefix not bound");
	if (!uri && !strcmp(s->tname, "xmlns"))
		return xcap_err_set(e, XE_CANNOT_INSERT, 409,
		                    "a namespace declaration is not an "
		                    "attribute");
	err = att_value(&v, body ? body : "", body ? blen : 0, e);
	if (err)
		return err;
	existed = xmlHasNsProp(el, BAD_CAST s->tname, BAD_CAST uri) != NULL;
	if (uri)
		err = attr_ns(&ns, d, el, uri, s->tprefix);
	if (!err && !xmlSetNsProp(el, ns, BAD_CAST s->tname, BAD_CAST v))
		err = ENOMEM;
	mem_deref(v);
	if (err)
		return err;
	/* RFC 4825 8.2.5: the selector must still select this element */
	err = xsel_eval(s, d, dns, &chk, NULL);
	if (err == ENOMEM)
		return err;
	if (err || chk != el)
		return xcap_err_set(e, XE_CANNOT_INSERT, 409,
		                    "the selector would no longer select the "
		                    "element");
	*created = !existed;
	return 0;
}

int xcap_put(struct buf **newdocp, bool *created, const char *doc, size_t len,
             const struct xsel *sel, const char *body, size_t blen,
             const char *default_ns, struct xcap_err *e)
{
	struct buf *mb = NULL;
	xmlDocPtr d = NULL;
	bool cr = false;
	int err;

	if (!newdocp || (sel && (!sel->steps || !sel->n)))
		return EINVAL;
	if (!sel) {
		err = put_document(&mb, &cr, doc, body, blen, e);
		goto out;
	}
	if (sel->term == XSEL_NSBIND)
		return xcap_err_set(e, XE_HTTP, 405,
		                    "namespace bindings cannot be written");
	if (!doc)
		return no_document(e);
	err = doc_read(&d, doc, len, e);
	if (err)
		goto out;
	if (sel->term == XSEL_ATTRIBUTE)
		err = put_attr(d, &cr, sel, body, blen, default_ns, e);
	else
		err = put_element(d, &cr, sel, body, blen, default_ns, e);
	if (!err)
		err = doc_dump(&mb, d);
out:
	xmlFreeDoc(d);
	if (err)
		return err;
	*newdocp = mb;
	if (created)
		*created = cr;
	return 0;
}

/* --- DELETE (RFC 4825 8.4) --- */

static int delete_element(xmlDocPtr d, xmlNodePtr el, const struct xsel *s,
                          const char *dns, struct xcap_err *e)
{
	xmlNodePtr ws = el->prev, chk = NULL;
	int err;

	if (el == xmlDocGetRootElement(d))
		return xcap_err_set(e, XE_CANNOT_DELETE, 409,
		                    "the root element cannot be deleted");
	if (ws && ws->type == XML_TEXT_NODE && xml_blank(ws->content)) {
		xmlUnlinkNode(ws);
		xmlFreeNode(ws);
	}
	xmlUnlinkNode(el);
	xmlFreeNode(el);
	err = xsel_eval(s, d, dns, &chk, NULL);
	if (err == ENOMEM)
		return err;
	if (!err)
		return xcap_err_set(e, XE_CANNOT_DELETE, 409,
		                    "the selector would then select another "
		                    "element");
	return 0;
}

static int delete_attr(xmlDocPtr d, xmlNodePtr el, const struct xsel *s,
                       const char *dns, struct xcap_err *e)
{
	xmlAttrPtr a = attr_find(el, s);
	xmlNodePtr chk = NULL;
	int err;

	if (!a)
		return xcap_err_set(e, XE_HTTP, 404,
		                    "the element has no attribute %s",
		                    s->tname ? s->tname : "");
	xmlRemoveProp(a);
	err = xsel_eval(s, d, dns, &chk, NULL);
	if (err == ENOMEM)
		return err;
	if (!err && attr_find(chk, s))
		return xcap_err_set(e, XE_CANNOT_DELETE, 409,
		                    "the selector would then select another "
		                    "attribute");
	return 0;
}

int xcap_delete(struct buf **newdocp, const char *doc, size_t len,
                const struct xsel *sel, const char *default_ns,
                struct xcap_err *e)
{
	struct buf *mb = NULL;
	xmlDocPtr d = NULL;
	xmlNodePtr el = NULL;
	int err;

	if (!newdocp || (sel && (!sel->steps || !sel->n)))
		return EINVAL;
	if (!doc)
		return xcap_err_set(e, XE_HTTP, 404, "no such document");
	if (!sel) {
		*newdocp = NULL;
		return 0;
	}
	if (sel->term == XSEL_NSBIND)
		return xcap_err_set(e, XE_HTTP, 405,
		                    "namespace bindings cannot be deleted");
	err = doc_read(&d, doc, len, e);
	if (err)
		goto out;
	err = xsel_eval(sel, d, default_ns, &el, NULL);
	if (err) {
		err = not_found(e, err);
		goto out;
	}
	if (sel->term == XSEL_ATTRIBUTE)
		err = delete_attr(d, el, sel, default_ns, e);
	else
		err = delete_element(d, el, sel, default_ns, e);
	if (!err)
		err = doc_dump(&mb, d);
out:
	xmlFreeDoc(d);
	if (!err)
		*newdocp = mb;
	return err;
}
