/* xcap/usage.h - XCAP application usages (RFC 4825 section 5): the
 * documents impd serves, their MIME types, default namespaces, XML
 * Schemas (libxml2) and extra constraints, and the xcap-caps document
 * (RFC 4825 12). Pure code apart from the compiled schemas the caller
 * owns. */
#ifndef XCAP_USAGE_H
#define XCAP_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct xcap_err;
struct xcap_schemas;

/* impd's namespace for list metadata (LIST-06): <entry> may carry
 * <ip:preferred/> (or any element of another namespace; the schema lets
 * them through and impd keeps them byte-for-byte) */
#define XCAP_META_NS "urn:x-impd:params:xml:ns:list-meta"

struct xcap_usage {
	const char *auid;       /* "resource-lists" */
	const char *mime;       /* "application/resource-lists+xml" */
	const char *ns;         /* default namespace of node selectors */
	const char *docname;    /* the only document name allowed in the
	                           users tree ("index"), or NULL: any */
	bool users;             /* has a users tree */
	bool global;            /* has a global tree (read only in impd) */
	bool global_admin_only; /* global documents: admins only */
};

/* The usages impd serves: xcap-caps, resource-lists, rls-services,
 * pres-rules, impd-im-rules (IM policy, doc/im.md), in that order,
 * NULL-terminated. */
const struct xcap_usage *const *xcap_usages(void);
const struct xcap_usage *xcap_usage_find(const char *auid);

/* The schemas of every usage compiled once (from the XSD files built
 * into the binary). A mem object; ENOMEM, EINVAL (a schema that does
 * not compile: a build bug). */
int xcap_schemas_alloc(struct xcap_schemas **sp);

/* What the constraints beyond the schema need to know. */
struct xcap_vctx {
	const char *owner;   /* "alice@example.com" */
	const char *docname; /* "index" */
	/* rls-services: the owner of another document that already defines
	 * service uri (compared with rlist_uri_eq), or NULL. */
	const char *(*service_owner)(const char *uri, void *arg);
	/* Is domain one impd serves? (service URIs must be in one.) NULL:
	 * any. */
	bool (*local_domain)(const char *domain, void *arg);
	void *arg;
};

/*
 * Validate a whole document for usage u: well formed (XE_NOT_WELL_FORMED),
 * the usage's root element and namespace and its XML Schema
 * (XE_SCHEMA_VALIDATION, phrase naming the element and line: "line 4:
 * element 'entyr': This element is not expected"), then the constraints
 * (XE_UNIQUENESS_FAILURE with field and alt values, XE_CONSTRAINT_FAILURE):
 * - resource-lists (RFC 4826 3.4.3): list/@name unique among sibling
 *   lists, entry/@uri unique within a list (RFC 3261 comparison for sip
 *   URIs), entry-ref/@ref and external/@anchor unique within a list;
 * - rls-services (RFC 4826 4.3.3): service/@uri unique within the
 *   document and across users (vc->service_owner; alt values:
 *   "sip:<user>-<n>@<domain>" not taken), in a local domain
 *   (constraint-failure), a <resource-list> that is an XCAP URI of a
 *   list (absolute http(s) URI or relative to the root);
 * - pres-rules and impd-im-rules (RFC 4745): rule/@id unique.
 * - xcap-caps: read only (XE_HTTP 405 is the caller's business).
 * 0 when valid; EINVAL with e set; ENOMEM.
 */
int xcap_usage_validate(struct xcap_schemas *sc, const struct xcap_usage *u,
                        const char *doc, size_t len, const struct xcap_vctx *vc,
                        struct xcap_err *e);

/* The xcap-caps document (RFC 4825 12.2): every auid above, the
 * extension namespaces impd accepts, and every usage's namespace. */
int xcap_caps_doc(struct buf **mbp);

#endif
