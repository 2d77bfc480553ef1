/* im/imdn.c - Instant Message Disposition Notification (RFC 5438 6.3,
 * 7.2, 9: Disposition-Notification values and message/imdn+xml) */
#include "imdn.h"

#include <errno.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/xml.h"

/* --- imdn.Disposition-Notification --- */

static const struct {
	const char *name;
	uint32_t bit;
} disps[] = {
    {"positive-delivery", IMDN_POSITIVE_DELIVERY},
    {"negative-delivery", IMDN_NEGATIVE_DELIVERY},
    {"display", IMDN_DISPLAY},
    {"processing", IMDN_PROCESSING},
};

#define NDISPS (sizeof(disps) / sizeof(disps[0]))

uint32_t imdn_disp_parse(const struct pl *value)
{
	uint32_t bits = 0;
	size_t i = 0, n;

	if (!value || !value->p)
		return 0;
	n = value->l;
	while (i < n) {
		const char *comma = memchr(value->p + i, ',', n - i);
		size_t e = comma ? (size_t)(comma - value->p) : n;
		struct pl tok = {value->p + i, e - i};

		pl_trim(&tok);
		for (size_t k = 0; k < NDISPS; k++) {
			if (!pl_strcasecmp(&tok, disps[k].name))
				bits |= disps[k].bit;
		}
		i = e + 1;
	}
	return bits;
}

int imdn_disp_print(char *buf, size_t size, uint32_t bits)
{
	size_t used = 0;

	if (!buf || !size)
		return EINVAL;
	buf[0] = '\0';
	for (size_t k = 0; k < NDISPS; k++) {
		int n;

		if (!(bits & disps[k].bit))
			continue;
		n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "",
		             disps[k].name);
		if (n < 0 || (size_t)n >= size - used) {
			buf[0] = '\0';
			return ERANGE;
		}
		used += (size_t)n;
	}
	return 0;
}

/* --- names --- */

static const char *const status_names[] = {
    [IMDN_DELIVERED] = "delivered", [IMDN_FAILED] = "failed",
    [IMDN_FORBIDDEN] = "forbidden", [IMDN_ERROR] = "error",
    [IMDN_DISPLAYED] = "displayed", [IMDN_PROCESSED] = "processed",
    [IMDN_STORED] = "stored",
};

static const char *const kind_names[] = {
    [IMDN_KIND_DELIVERY] = "delivery-notification",
    [IMDN_KIND_DISPLAY] = "display-notification",
    [IMDN_KIND_PROCESSING] = "processing-notification",
};

#define NSTATUS (sizeof(status_names) / sizeof(status_names[0]))
#define NKIND   (sizeof(kind_names) / sizeof(kind_names[0]))

const char *imdn_status_name(enum imdn_status s)
{
	if ((unsigned)s >= NSTATUS || !status_names[s])
		return "unknown";
	return status_names[s];
}

static bool kind_ok(enum imdn_kind k)
{
	return (unsigned)k < NKIND && kind_names[k];
}

/* Which statuses each notification may carry (RFC 5438 7.2.1). */
static bool status_fits(enum imdn_kind k, enum imdn_status s)
{
	switch (s) {
	case IMDN_FORBIDDEN:
	case IMDN_ERROR:
		return kind_ok(k);
	case IMDN_DELIVERED:
	case IMDN_FAILED:
		return k == IMDN_KIND_DELIVERY;
	case IMDN_DISPLAYED:
		return k == IMDN_KIND_DISPLAY;
	case IMDN_PROCESSED:
	case IMDN_STORED:
		return k == IMDN_KIND_PROCESSING;
	}
	return false;
}

/* --- printing --- */

static int doc_write(xmlTextWriterPtr w, void *arg)
{
	const struct imdn *d = arg;
	int err;

	if (xmlTextWriterSetIndent(w, 1) < 0 ||
	    xmlTextWriterSetIndentString(w, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "imdn") < 0 ||
	    xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns",
	                                BAD_CAST IMDN_XML_NS) < 0)
		return ENOMEM;
	err = xml_welem(w, "message-id", d->message_id);
	if (!err)
		err = xml_welem(w, "datetime", d->datetime);
	if (!err)
		err = xml_welem(w, "recipient-uri", d->recipient_uri);
	if (!err)
		err = xml_welem(w, "original-recipient-uri",
		                d->original_recipient_uri);
	if (!err)
		err = xml_welem(w, "subject", d->subject);
	if (err)
		return err;
	if (xmlTextWriterStartElement(w, BAD_CAST kind_names[d->kind]) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "status") < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST status_names[d->status]) <
	        0 ||
	    xmlTextWriterEndDocument(w) < 0)
		return ENOMEM;
	return 0;
}

static bool opt_ok(const char *s)
{
	return !s || xml_text_ok(s);
}

int imdn_print(struct buf **mbp, const struct imdn *d)
{
	if (!mbp || !d || !d->message_id || !d->message_id[0] ||
	    !xml_text_ok(d->message_id) || !d->datetime || !d->datetime[0] ||
	    !xml_text_ok(d->datetime) || !opt_ok(d->recipient_uri) ||
	    !opt_ok(d->original_recipient_uri) || !opt_ok(d->subject) ||
	    !kind_ok(d->kind) || !status_fits(d->kind, d->status))
		return EINVAL;
	return xml_write_buf(mbp, doc_write, (void *)d);
}

/* --- parsing --- */

struct pctx {
	struct xml_err xe;
	struct imdn d;
};

#define perr(c, n, ...) xml_err_set(&(c)->xe, xmlGetLineNo(n), __VA_ARGS__)

static bool is_ours(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST IMDN_XML_NS) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

/* The text of a simple element into *sp (token values trimmed, strings
 * as they are). */
static int text_get(struct pctx *c, xmlNode *n, bool trim, char **sp)
{
	xmlChar *s;
	int err;

	if (*sp) {
		perr(c, n, "two <%s>", (const char *)n->name);
		return EBADMSG;
	}
	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			perr(c, k, "element inside <%s>",
			     (const char *)n->name);
			return EBADMSG;
		}
	}
	s = xmlNodeGetContent(n);
	if (!s)
		return ENOMEM;
	err = mem_strdup(sp, trim ? xml_trim(s) : (char *)s);
	xmlFree(s);
	return err;
}

static int parse_status(struct pctx *c, xmlNode *n, enum imdn_kind kind)
{
	for (xmlNode *k = n->children; k; k = k->next) {
		enum imdn_status s = 0;

		if (xml_stray_text(k)) {
			perr(c, k, "text in <status>");
			return EBADMSG;
		}
		if (!is_ours(k, NULL))
			continue; /* extensions */
		for (unsigned i = 1; i < NSTATUS; i++) {
			if (!xmlStrcmp(k->name, BAD_CAST status_names[i]))
				s = (enum imdn_status)i;
		}
		if (!s) {
			perr(c, k, "unknown status <%s>",
			     (const char *)k->name);
			return EBADMSG;
		}
		if (c->d.status) {
			perr(c, k, "two values in <status>");
			return EBADMSG;
		}
		if (!status_fits(kind, s)) {
			perr(c, k, "status <%s> does not belong to <%s>",
			     status_names[s], kind_names[kind]);
			return EBADMSG;
		}
		c->d.status = s;
	}
	if (!c->d.status) {
		perr(c, n, "empty <status>");
		return EBADMSG;
	}
	return 0;
}

static int parse_notification(struct pctx *c, xmlNode *n, enum imdn_kind kind)
{
	bool seen = false;
	int err;

	if (c->d.kind) {
		perr(c, n, "two notification elements");
		return EBADMSG;
	}
	c->d.kind = kind;
	for (xmlNode *k = n->children; k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, k, "text in <%s>", kind_names[kind]);
			return EBADMSG;
		}
		if (!is_ours(k, NULL))
			continue;
		if (xmlStrcmp(k->name, BAD_CAST "status")) {
			perr(c, k, "unexpected element <%s>",
			     (const char *)k->name);
			return EBADMSG;
		}
		if (seen) {
			perr(c, k, "two <status>");
			return EBADMSG;
		}
		seen = true;
		err = parse_status(c, k, kind);
		if (err)
			return err;
	}
	if (!seen) {
		perr(c, n, "<%s> without <status>", kind_names[kind]);
		return EBADMSG;
	}
	return 0;
}

static int parse_child(struct pctx *c, xmlNode *k)
{
	const char *name = (const char *)k->name;

	if (!strcmp(name, "message-id"))
		return text_get(c, k, true, &c->d.message_id);
	if (!strcmp(name, "datetime"))
		return text_get(c, k, true, &c->d.datetime);
	if (!strcmp(name, "recipient-uri"))
		return text_get(c, k, true, &c->d.recipient_uri);
	if (!strcmp(name, "original-recipient-uri"))
		return text_get(c, k, true, &c->d.original_recipient_uri);
	if (!strcmp(name, "subject"))
		return text_get(c, k, false, &c->d.subject);
	for (unsigned i = 1; i < NKIND; i++) {
		if (!strcmp(name, kind_names[i]))
			return parse_notification(c, k, (enum imdn_kind)i);
	}
	perr(c, k, "unexpected element <%s>", name);
	return EBADMSG;
}

static int parse_root(struct pctx *c, xmlNode *root)
{
	int err;

	if (!is_ours(root, "imdn")) {
		perr(c, root, "root is not <imdn> of " IMDN_XML_NS);
		return EBADMSG;
	}
	for (xmlNode *k = root->children; k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, k, "text in <imdn>");
			return EBADMSG;
		}
		if (!is_ours(k, NULL))
			continue; /* other namespaces: extensions */
		err = parse_child(c, k);
		if (err)
			return err;
	}
	if (!c->d.message_id || !c->d.message_id[0]) {
		perr(c, root, "<imdn> without <message-id>");
		return EBADMSG;
	}
	if (!c->d.datetime || !c->d.datetime[0]) {
		perr(c, root, "<imdn> without <datetime>");
		return EBADMSG;
	}
	if (!c->d.kind) {
		perr(c, root, "<imdn> without a notification element");
		return EBADMSG;
	}
	return 0;
}

int imdn_parse(struct imdn *d, const char *xml, size_t len, char *err,
               size_t errsize)
{
	struct pctx c;
	xmlDocPtr doc;
	int e;

	memset(&c, 0, sizeof(c));
	c.xe.buf = err;
	c.xe.size = errsize;
	if (err && errsize)
		err[0] = '\0';
	if (!d || !xml)
		return EINVAL;
	e = xml_read_strict(&doc, xml, len, &c.xe);
	if (e)
		return e;
	e = parse_root(&c, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	if (e) {
		imdn_reset(&c.d);
		return e;
	}
	*d = c.d;
	return 0;
}

void imdn_reset(struct imdn *d)
{
	if (!d)
		return;
	mem_deref(d->message_id);
	mem_deref(d->datetime);
	mem_deref(d->recipient_uri);
	mem_deref(d->original_recipient_uri);
	mem_deref(d->subject);
	memset(d, 0, sizeof(*d));
}
