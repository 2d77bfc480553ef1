/* base/xml.c - small XML documents with libxml2: strict reading, text checks,
 * attribute writing */
#include "xml.h"

#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/xmlwriter.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

void xml_err_set(struct xml_err *e, long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!e || e->set || !e->buf || !e->size)
		return;
	e->set = true;
	n = snprintf(e->buf, e->size, "line %ld: ", line);
	if (n < 0 || (size_t)n >= e->size)
		return;
	va_start(ap, fmt);
	vsnprintf(e->buf + n, e->size - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Structured error handler of our parser context only: keep the first. */
static void err_h(void *data, xmlErrorPtr xe)
{
	xmlParserCtxtPtr ctxt = data;
	struct xml_err *e = ctxt ? ctxt->_private : NULL;
	char msg[160];
	size_t l;

	if (!e || !xe || xe->level < XML_ERR_ERROR)
		return;
	snprintf(msg, sizeof(msg), "%s", xe->message ? xe->message : "error");
	l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = '\0';
	xml_err_set(e, xe->line > 0 ? xe->line : 1, "%s", msg);
}

/* A DOCTYPE: stop at once, so no entity declaration is ever read. */
static void no_dtd_h(void *data, const xmlChar *name, const xmlChar *eid,
                     const xmlChar *sid)
{
	xmlParserCtxtPtr ctxt = data;

	(void)name;
	(void)eid;
	(void)sid;
	xml_err_set(ctxt->_private, xmlSAX2GetLineNumber(ctxt),
	            "DTD not allowed");
	xmlStopParser(ctxt);
}

int xml_read_strict(xmlDocPtr *docp, const char *xml, size_t len,
                    struct xml_err *e)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len > INT_MAX) {
		xml_err_set(e, 1, "document too large");
		return EBADMSG;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return ENOMEM;
	ctxt->_private = e;
	ctxt->sax->serror = err_h;
	ctxt->sax->internalSubset = no_dtd_h;
	/* UTF-8 always: no other decoder runs, and none of them reports on
	 * stderr */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, "UTF-8",
	                        XML_PARSE_NONET | XML_PARSE_NOERROR |
	                            XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc && (!ctxt->wellFormed || !ctxt->nsWellFormed ||
	            doc->intSubset || !xmlDocGetRootElement(doc))) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	if (!doc) {
		xml_err_set(e, 1, "not well-formed"); /* unless told more */
		return EBADMSG;
	}
	*docp = doc;
	return 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool xml_blank(const xmlChar *s)
{
	for (; s && *s; s++) {
		if (!is_ws((char)*s))
			return false;
	}
	return true;
}

bool xml_stray_text(const xmlNode *n)
{
	return (n->type == XML_TEXT_NODE ||
	        n->type == XML_CDATA_SECTION_NODE) &&
	       !xml_blank(n->content);
}

char *xml_trim(xmlChar *s)
{
	char *p = (char *)s, *end;

	while (is_ws(*p))
		p++;
	end = p + strlen(p);
	while (end > p && is_ws(end[-1]))
		*--end = '\0';
	return p;
}

bool xml_text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!p)
		return false;
	while (*p) {
		uint32_t c = *p, min;
		int n;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return false;
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			n = 1, c &= 0x1f, min = 0x80;
		else if ((c & 0xf0) == 0xe0)
			n = 2, c &= 0x0f, min = 0x800;
		else if ((c & 0xf8) == 0xf0)
			n = 3, c &= 0x07, min = 0x10000;
		else
			return false;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    c == 0xfffe || c == 0xffff)
			return false;
		p += n + 1;
	}
	return true;
}

int xml_wattr(xmlTextWriterPtr w, const char *name, const char *val)
{
	if (xmlTextWriterWriteAttribute(w, BAD_CAST name, BAD_CAST val) < 0)
		return ENOMEM;
	return 0;
}

int xml_welem(xmlTextWriterPtr w, const char *name, const char *text)
{
	if (!text)
		return 0;
	if (xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST text) < 0)
		return ENOMEM;
	return 0;
}

/* What h writes, in a new libxml2 memory buffer. */
static int write_mem(xmlBufferPtr *xbp, xml_write_h *h, void *arg)
{
	xmlTextWriterPtr w;
	xmlBufferPtr xb;
	int err;

	xb = xmlBufferCreate();
	if (!xb)
		return ENOMEM;
	w = xmlNewTextWriterMemory(xb, 0);
	if (!w) {
		xmlBufferFree(xb);
		return ENOMEM;
	}
	err = h(w, arg);
	xmlFreeTextWriter(w); /* flushes into xb */
	if (err) {
		xmlBufferFree(xb);
		return err;
	}
	*xbp = xb;
	return 0;
}

int xml_write_buf(struct buf **mbp, xml_write_h *h, void *arg)
{
	xmlBufferPtr xb;
	struct buf *mb = NULL;
	int err = write_mem(&xb, h, arg);

	if (err)
		return err;
	err = buf_alloc_copy(&mb, xmlBufferContent(xb),
	                     (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	if (!err)
		*mbp = mb;
	return err;
}

int xml_write_append(struct buf *mb, xml_write_h *h, void *arg)
{
	xmlBufferPtr xb;
	int err = write_mem(&xb, h, arg);

	if (err)
		return err;
	err = buf_write(mb, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	return err;
}

void xml_strip_blanks(xmlNode *n)
{
	bool elems = false;
	xmlNode *k, *next;

	for (k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			elems = true;
			xml_strip_blanks(k);
		}
	}
	if (!elems)
		return;
	for (k = n->children; k; k = next) {
		next = k->next;
		if (k->type == XML_TEXT_NODE && xml_blank(k->content)) {
			xmlUnlinkNode(k);
			xmlFreeNode(k);
		}
	}
}

int xml_wattr_u32(xmlTextWriterPtr w, const char *name, uint32_t v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	return xml_wattr(w, name, num);
}
