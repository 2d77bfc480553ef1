/* base/xml.c - reading small XML documents strictly with libxml2 */
#include "xml.h"

#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
