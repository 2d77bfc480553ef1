/* base/xml.h - small XML documents with libxml2: strict reading (the
 * watcherinfo, reginfo, IMDN and list parsers share it) and the checks
 * and attribute helpers their writers share */
#ifndef BASE_XML_H
#define BASE_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first error of a parse, as "line N: what" in buf. */
struct xml_err {
	char *buf;
	size_t size;
	bool set;
};

/* Record an error unless one is recorded already. */
void xml_err_set(struct xml_err *e, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parse xml as UTF-8 (whatever its declaration says) with a private
 * parser context: no network, no entity substitution, a DOCTYPE stops
 * the parse, nothing is printed. The document must be well formed,
 * namespace well formed and have a root. EBADMSG (e says why), ENOMEM. */
int xml_read_strict(xmlDocPtr *docp, const char *xml, size_t len,
                    struct xml_err *e);

/* Only XML white space (or NULL)? */
bool xml_blank(const xmlChar *s);
/* A text or CDATA child that is not white space (element-only content
 * must have none). */
bool xml_stray_text(const xmlNode *n);
/* XML white space off both ends, in place. */
char *xml_trim(xmlChar *s);

/* Valid UTF-8 made of XML 1.0 characters only (RFC 3629; XML 1.0 2.2):
 * what a writer may put in text or an attribute. NULL is false. */
bool xml_text_ok(const char *s);

/* An attribute on the element being written (ENOMEM on failure). */
struct _xmlTextWriter;
int xml_wattr(struct _xmlTextWriter *w, const char *name, const char *val);
int xml_wattr_u32(struct _xmlTextWriter *w, const char *name, uint32_t v);
/* <name>text</name> when text is not NULL (ENOMEM on failure). */
int xml_welem(struct _xmlTextWriter *w, const char *name, const char *text);

/* Run h on a writer into memory and copy what it wrote into a new buffer
 * *mbp (set only on success). h's error is returned; ENOMEM. */
struct buf;
typedef int xml_write_h(struct _xmlTextWriter *w, void *arg);
int xml_write_buf(struct buf **mbp, xml_write_h *h, void *arg);
/* The same, appended to mb. */
int xml_write_append(struct buf *mb, xml_write_h *h, void *arg);

/* Remove the blank text between elements below n (text of elements
 * without element children, e.g. display names, stays), so that libxml2
 * indents what it writes. */
void xml_strip_blanks(xmlNode *n);

#endif
