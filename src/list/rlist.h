/* list/rlist.h - resource lists (RFC 4826): resource-lists and
 * rls-services documents, and URI-list bodies (RFC 5366). Pure code
 * (libxml2). The pager group messages use it now; XCAP and the RLS
 * (issue 5) build on it. */
#ifndef LIST_RLIST_H
#define LIST_RLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define RLIST_AUID   "resource-lists"
#define RLS_AUID     "rls-services"
#define RLIST_NS     "urn:ietf:params:xml:ns:resource-lists"
#define RLS_NS       "urn:ietf:params:xml:ns:rls-services"
#define RLIST_CP_NS  "urn:ietf:params:xml:ns:copycontrol"
#define RLIST_CTYPE  "application/resource-lists+xml"
#define RLS_DOC_NAME "index"

/* One member of a flattened list. */
enum rlist_copy { RLIST_TO = 0, RLIST_CC, RLIST_BCC }; /* RFC 5364 */
struct rlist_entry {
	char *uri;            /* as written in <entry uri=...> */
	char *display;        /* <display-name> or NULL */
	char *list;           /* name path of the (nested) list it came from,
	                         "team/backend", or "" at the top */
	enum rlist_copy copy; /* copyControl attribute (URI-lists) */
	bool anonymize;       /* anonymize="true" (URI-lists) */
};

/* A flattened list: the entries of a <list> and of every list nested in
 * it, in document order, each URI once (the first occurrence wins; URIs
 * are compared the RFC 3261 19.1.4 way for sip/sips and exactly
 * otherwise). entry-ref and external elements are kept apart: impd does
 * not resolve them here (XCAP does, issue 5). A mem object. */
struct rlist {
	char *name;            /* the <list name=...> or "" */
	struct rlist_entry *e; /* mem array */
	uint32_t n;
	char **refs; /* entry-ref/@ref and external/@anchor
	                values not resolved (mem array) */
	uint32_t nrefs;
};

/* One <service uri=...> of an rls-services document with an inline
 * <list> (flattened) or a <resource-list> reference (URI kept, list
 * NULL), and its <packages>. */
struct rls_service {
	char *uri;
	struct rlist *list; /* inline list, or NULL */
	char *list_ref;     /* <resource-list> content, or NULL */
	char **packages;    /* mem array; n 0 = any */
	uint32_t npackages;
};
struct rls_services {
	struct rls_service *s; /* mem array */
	uint32_t n;
};

/*
 * Parsers (namespace-aware, no DTD, at most RLIST_MAX_ENTRIES entries in
 * total and RLIST_MAX_DEPTH nesting). EBADMSG with err "line N: what" for
 * a document that is not well formed, a wrong root or namespace, an
 * entry without uri, two lists with one name at one level (RFC 4826
 * 3.4.2), two services with one uri, a service with neither or both of
 * list and resource-list.
 */
#define RLIST_MAX_ENTRIES 10000
#define RLIST_MAX_DEPTH   16
/* A resource-lists document: every top-level <list> (a mem array of
 * struct rlist *, each a mem object). */
int rlist_doc_parse(struct rlist ***listsp, uint32_t *n, const char *xml,
                    size_t len, char *err, size_t errsize);
/* One <list> element of a parsed resource-lists (or rls-services)
 * document, flattened as above (the RLS resolves XCAP references to
 * lists with it). node: an xmlNode of a <list> in the resource-lists or
 * rls-services namespace. EBADMSG with err, ENOMEM, EINVAL. */
int rlist_node_flatten(struct rlist **lp, void *node, char *err,
                       size_t errsize);
/* A URI-list body (RFC 5366: resource-lists with one list, copyControl
 * attributes allowed): one flattened list. */
int rlist_urilist_parse(struct rlist **lp, const char *xml, size_t len,
                        char *err, size_t errsize);
int rls_services_parse(struct rls_services **sp, const char *xml, size_t len,
                       char *err, size_t errsize);
/* The service with uri (compared as above), or NULL. */
const struct rls_service *rls_services_find(const struct rls_services *s,
                                            const char *uri);

/* Editing for impctl (and tests): an rls-services document equal to base
 * (NULL: empty <rls-services>) where the service uri has an inline list
 * with members[0..n) (replacing any service with that uri), or without
 * that service (n == SIZE_MAX... see rls_services_without). Existing
 * other services are kept byte-equivalent (re-serialised by libxml2). */
int rls_services_with(struct buf **mbp, const char *base, size_t base_len,
                      const char *uri, const char *const *members, uint32_t n,
                      const char *package);
/* ENOENT when base has no such service. */
int rls_services_without(struct buf **mbp, const char *base, size_t base_len,
                         const char *uri);
/* Compare two URIs the way the lists do (sip/sips per RFC 3261 19.1.4:
 * user and password case-sensitive, host case-insensitive, parameters
 * ignored except user/ttl/method/maddr/transport; others exactly). */
bool rlist_uri_eq(const char *a, const char *b);

#endif
