/* xcap/xsel.h - XCAP resource selectors (RFC 4825 section 6): the URI
 * below the XCAP root split into application usage, tree, user and
 * document, and the node selector (the XPath subset of RFC 4825 6.3)
 * parsed and evaluated against a libxml2 document. Pure code. */
#ifndef XCAP_XSEL_H
#define XCAP_XSEL_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One location step: [prefix:]name or "*", with an optional position
 * (by-pos, 1-based) and an optional attribute test (by-attr); both may
 * be present (by-pos-attr: "name[2][@a=\"v\"]"). As in XPath, whose
 * predicate order RFC 4825 6.3 keeps, the position counts the siblings
 * that pass the name test only; the attribute test then filters that
 * one element (name[2][@a="v"]: the 2nd name, if its a is "v"). */
struct xsel_step {
	char *prefix; /* namespace prefix or NULL (the usage's default
	                 namespace applies, RFC 4825 6.4) */
	char *name;   /* local name, or NULL for "*" */
	uint32_t pos; /* 0: no position */
	char *aprefix, *aname, *aval; /* [@aprefix:aname="aval"]; aname NULL:
	                                 no attribute test; aprefix NULL:
	                                 no namespace (attributes do not
	                                 take the default namespace) */
};

enum xsel_term {
	XSEL_ELEMENT = 0, /* the last step selects an element */
	XSEL_ATTRIBUTE,   /* "/@[prefix:]name" terminal */
	XSEL_NSBIND,      /* "/namespace::*" terminal */
};

/* A namespace binding from the query component: xmlns(p=urn:...) */
struct xsel_ns {
	char *prefix;
	char *uri;
};

/* A parsed node selector. A mem object (destructor frees all). */
struct xsel {
	struct xsel_step *steps; /* mem array, n >= 1 (the root step first) */
	uint32_t n;
	enum xsel_term term;
	char *tprefix, *tname; /* the terminal attribute (XSEL_ATTRIBUTE) */
	struct xsel_ns *ns;    /* mem array */
	uint32_t nns;
};

/*
 * Parse a node selector (the part after "~~/", already percent-decoded:
 * "resource-lists/list[@name=\"friends\"]/entry[2]/@uri") and the query
 * component of the request URI (NULL or "xmlns(a=urn:x)xmlns(b=urn:y)",
 * percent-decoded). Attribute values may be quoted with " or ' and use
 * &quot; &apos; &amp; &lt; &gt; (RFC 4825 6.3); a '/' inside a quoted value
 * is part of the value, not a step separator. A prefix that the query
 * does not bind is an error. EINVAL (err: what and where, e.g. "step 2:
 * position 0") for anything that does not parse (HTTP 400), ENOMEM.
 */
int xsel_parse(struct xsel **sp, const char *sel, const char *query, char *err,
               size_t errsize);

/*
 * Find the one element the selector's steps select in doc (every step
 * must match exactly one element at its level, the first step the
 * root). Names without prefix match elements in default_ns (the
 * usage's default namespace; NULL: no namespace). ENOENT: no element;
 * E2BIG: more than one (both are 404 in XCAP).
 * With depth_ok not NULL, *depth_ok is the number of leading steps that
 * matched exactly one element (for no-parent's ancestor, RFC 4825 8.2.1).
 */
int xsel_eval(const struct xsel *s, xmlDocPtr doc, const char *default_ns,
              xmlNodePtr *nodep, uint32_t *depth_ok);

/* Does element n match step st (name and attribute test; not the
 * position)? For insertion (xops). */
bool xsel_step_match(const struct xsel *s, const struct xsel_step *st,
                     const xmlNode *n, const char *default_ns);

/* Print the first k steps back as a selector (percent-encoded as it
 * goes into an URI path: '[' ']' '"' and the like escaped) into buf
 * ("resource-lists/list%5b@name=%22a%22%5d"); for error bodies. ENOSPC,
 * EINVAL. */
int xsel_print(const struct xsel *s, uint32_t k, char *buf, size_t size);

/* The XCAP URI below the root ("/xcap/" stripped), split (RFC 4825 6.2):
 * "resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list"
 */
enum xcap_tree { XCAP_USERS = 0, XCAP_GLOBAL };
struct xcap_uri {
	char *auid; /* "resource-lists" */
	enum xcap_tree tree;
	char *xui;        /* "sip:alice@example.com" as written, or NULL
	                     (global) */
	char *owner;      /* the store's owner key: xui without "sip:"/"sips:",
	                     domain lower case ("alice@example.com"); "" for
	                     global */
	char *doc;        /* document path below the user/global directory:
	                     "index", "dir/doc"; NULL when the URI names a
	                     directory (ends with '/') */
	char *nodesel;    /* text after "~~/" or NULL (no node selector) */
	struct xsel *sel; /* parsed nodesel, or NULL */
};
/* Parse path (the URI path below the XCAP root, percent-decoded; the
 * document part ends at the first "/~~/" or a final "/~~"; an empty
 * node selector after either is EINVAL) and query. EINVAL with err for
 * malformed URIs (400), ENOENT when the path has no "users"/"global"
 * level (404). u is zeroed first and must be freed with
 * xcap_uri_reset even on error. */
int xcap_uri_parse(struct xcap_uri *u, const char *path, const char *query,
                   char *err, size_t errsize);
void xcap_uri_reset(struct xcap_uri *u);

#endif
