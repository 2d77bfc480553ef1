/* xcap/xops.h - the XCAP operations on one document (RFC 4825 section 8):
 * GET, PUT and DELETE of the whole document, of an element, of an
 * attribute, and GET of namespace bindings, with the error conditions of
 * section 11. Pure code on bytes in, bytes out: the caller reads the
 * stored document, runs the operation, validates the result with the
 * application usage and stores it. */
#ifndef XCAP_XOPS_H
#define XCAP_XOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct xsel;

/* The conditions of RFC 4825 section 11 (application/xcap-error+xml)
 * and the plain HTTP failures around them. */
enum xcap_ecode {
	XE_NONE = 0,
	/* 409 with an xcap-error body */
	XE_NOT_WELL_FORMED,    /* <not-well-formed/> */
	XE_NOT_XML_FRAG,       /* <not-xml-frag/> */
	XE_NO_PARENT,          /* <no-parent><ancestor>URI</ancestor> */
	XE_SCHEMA_VALIDATION,  /* <schema-validation-error/> */
	XE_NOT_XML_ATT_VALUE,  /* <not-xml-att-value/> */
	XE_CANNOT_INSERT,      /* <cannot-insert/> */
	XE_CANNOT_DELETE,      /* <cannot-delete/> */
	XE_UNIQUENESS_FAILURE, /* <uniqueness-failure><exists field=..>
	                          <alt-value>..</alt-value></exists> */
	XE_CONSTRAINT_FAILURE, /* <constraint-failure phrase=".."/> */
	XE_NOT_UTF8,           /* <not-utf-8/> */
	/* plain HTTP statuses (the body is a short text) */
	XE_HTTP, /* status in xcap_err.status */
};

/* An outcome with what the error body needs. A plain struct; free the
 * strings with xcap_err_reset. */
struct xcap_err {
	enum xcap_ecode code;
	unsigned status; /* HTTP status: 409 for XE_* above XE_NONE and
	                    below XE_HTTP, else 400/404/405/413/415/500 */
	char *phrase;    /* human readable detail (every error has one,
	                    e.g. "entry has no uri attribute", "line 3:
	                    mismatched tag"); goes into the phrase attribute
	                    or the plain text body */
	char *ancestor;  /* no-parent: the node selector (xsel_print form)
	                    of the closest existing ancestor, "" for the
	                    document itself, NULL when the document does
	                    not exist (the caller then names the user's
	                    directory) */
	char *field;     /* uniqueness-failure: node selector of the
	                    clashing value ("rls-services/service/@uri") */
	char **alt;      /* uniqueness-failure: suggested values (mem array
	                    of strings, may be empty) */
	uint32_t nalt;
};
/* Set e (drops what it held); printf-style phrase. Returns the errno a
 * caller passes on: EINVAL for every code except XE_HTTP 500 (EIO). */
int xcap_err_set(struct xcap_err *e, enum xcap_ecode code, unsigned status,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void xcap_err_reset(struct xcap_err *e);

/* The application/xcap-error+xml body for e (codes XE_NOT_WELL_FORMED ..
 * XE_NOT_UTF8). root_uri: the absolute URI the ancestor is relative to
 * ("http://127.0.0.1:8080/xcap/resource-lists/users/sip:a@b/index"):
 * the ancestor element carries root_uri + "/~~/" + e->ancestor (or
 * root_uri alone for ""), or dir_uri when e->ancestor is NULL. */
int xcap_err_body(struct buf **mbp, const struct xcap_err *e,
                  const char *root_uri, const char *dir_uri);

/* What a GET returns. */
struct xcap_got {
	struct buf *body;  /* mem */
	const char *ctype; /* static: the usage's type for a document,
	                      "application/xcap-el+xml" (element),
	                      "application/xcap-att+xml" (attribute),
	                      "application/xcap-ns+xml" (namespaces);
	                      for documents the caller uses its usage type */
};

/*
 * GET: sel NULL: the document itself (byte-exact copy). An element: its
 * serialisation as libxml2 writes it from the document (namespace
 * declarations in scope are NOT added: RFC 4825 8.1.1 returns the
 * element as it appears). An attribute: its value, unescaped. Namespace
 * bindings: an element with the same name as the selected one carrying
 * every binding in scope as xmlns attributes (RFC 4825 7.1, 8.1.3).
 * Errors: XE_HTTP 404 (nothing selected, several selected), XE_HTTP 500
 * when the stored document does not parse.
 */
int xcap_get(struct xcap_got *g, const char *doc, size_t len,
             const struct xsel *sel, const char *default_ns,
             struct xcap_err *e);

/*
 * PUT: the new document, or an error (doc unchanged).
 * - sel NULL: body replaces (or creates) the document byte-exact: it
 *   must be well formed UTF-8 XML (XE_NOT_WELL_FORMED, XE_NOT_UTF8).
 * - element: body must be exactly one element (XE_NOT_XML_FRAG
 *   otherwise; whitespace around it allowed) whose name and attribute
 *   test match the last step (XE_CANNOT_INSERT otherwise). An existing
 *   selected element is replaced in place; otherwise the parent (all
 *   steps but the last) must exist (XE_NO_PARENT with the ancestor) and
 *   the element is inserted so that the selector then selects it: a
 *   positional last step puts it before the pos-th matching sibling
 *   (after the last one when pos is one past the end; beyond that:
 *   XE_CANNOT_INSERT); otherwise after the last element child of the
 *   parent. Afterwards the selector must select exactly the new element
 *   (XE_CANNOT_INSERT otherwise, RFC 4825 8.2.3 idempotency). The
 *   element keeps the namespace bindings of the body; prefixes it uses
 *   must be declared in the body or in scope at the parent.
 * - attribute: body is the value (XE_NOT_XML_ATT_VALUE when it is not
 *   a valid attribute value: '<', '&' without an entity, or a bare '"'
 *   is allowed since it is escaped when serialised - see RFC 4825 8.2.5);
 *   the element must exist (XE_NO_PARENT).
 * - namespace bindings: XE_HTTP 405.
 * The document must exist for anything but sel NULL (XE_NO_PARENT with
 * ancestor NULL). *created: the selected thing did not exist before
 * (201 versus 200). The result is the whole new document (libxml2
 * serialisation for element/attribute operations, UTF-8, with an XML
 * declaration).
 */
int xcap_put(struct buf **newdocp, bool *created, const char *doc, size_t len,
             const struct xsel *sel, const char *body, size_t blen,
             const char *default_ns, struct xcap_err *e);

/*
 * DELETE: sel NULL: the caller deletes the document (returns 0 with
 * *newdocp NULL; XE_HTTP 404 when doc is NULL). Element: removed with
 * the whitespace text node before it; the root element cannot be
 * deleted (XE_CANNOT_DELETE); afterwards the selector must select
 * nothing (XE_CANNOT_DELETE otherwise, e.g. a positional selector that
 * would select the next sibling). Attribute: removed. Namespace
 * bindings: XE_HTTP 405. Nothing selected: XE_HTTP 404.
 */
int xcap_delete(struct buf **newdocp, const char *doc, size_t len,
                const struct xsel *sel, const char *default_ns,
                struct xcap_err *e);

#endif
