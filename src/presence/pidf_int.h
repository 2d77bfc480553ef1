/* presence/pidf_int.h - shared internals of pidf.c, compose.c and
 * transform.c: the document object over a libxml2 tree and tree helpers */
#ifndef PRESENCE_PIDF_INT_H
#define PRESENCE_PIDF_INT_H

#include <libxml/tree.h>
#include <stdbool.h>

#include "pidf.h"

#define PIDF_NS       "urn:ietf:params:xml:ns:pidf"
#define PIDF_DM_NS    "urn:ietf:params:xml:ns:pidf:data-model"
#define PIDF_RPID_NS  "urn:ietf:params:xml:ns:pidf:rpid"
#define PIDF_CAPS_NS  "urn:ietf:params:xml:ns:pidf:caps"
#define PIDF_CIPID_NS "urn:ietf:params:xml:ns:pidf:cipid"
#define PIDF_LT_NS    "urn:ietf:params:xml:ns:location-type"
#define PIDF_GP_NS    "urn:ietf:params:xml:ns:pidf:geopriv10"

/* The note that marks do-not-disturb in the RFC 4480 form impd emits:
 * <rpid:activities><rpid:note>Do not disturb</rpid:note><rpid:busy/> */
#define PIDF_DND_NOTE "Do not disturb"

struct pidf_tup {
	char *id;          /* mem string, or NULL when the tuple has none */
	const char *basic; /* static "open" / "closed", or NULL */
	xmlNode *node;     /* borrowed: owned by the document */
};

struct pidf {
	xmlDoc *doc; /* owned; never changed once wrapped */
	char *entity;
	struct pidf_tup *tuples; /* mem array */
	size_t ntuples;
	enum pres_avail avail;
	char *note;
};

/* Wrap doc (always taken over: freed on failure) into a new document
 * object, computing the cached facts. ENOMEM. */
int pidf_wrap(struct pidf **dp, xmlDoc *doc);
/* Move every namespace declaration to the root: PIDF is the default
 * namespace, the known ones get their usual prefixes (dm, rpid, caps,
 * c, lt, gp), others keep theirs when free. Unused declarations go.
 * ENOMEM. */
int pidf_ns_tidy(xmlDoc *doc);

/* Remove every comment and processing instruction (documents impd
 * makes carry none of the publisher's). */
void pidf_strip_misc(xmlDoc *doc);
/* A new document <presence xmlns=PIDF entity=entity/>; ENOMEM. */
int pidf_doc_new(xmlDoc **docp, const char *entity);

/* Tree helpers. Names are compared by namespace URI and local name. */
bool pidf_is(const xmlNode *n, const char *ns, const char *name);
bool pidf_in_ns(const xmlNode *n, const char *ns);
xmlNode *pidf_first(const xmlNode *parent); /* first element child */
xmlNode *pidf_next(const xmlNode *n);       /* next element sibling */
xmlNode *pidf_child(const xmlNode *parent, const char *ns, const char *name);
/* Trimmed text content equal to s (case-insensitive when icase). */
bool pidf_text_eq(const xmlNode *n, const char *s, bool icase);
/* Trimmed text content as a mem string (NULL n: ""). ENOMEM. */
int pidf_text_dup(char **sp, const xmlNode *n);
/* An attribute without namespace as a libxml2 string (xmlFree it). */
xmlChar *pidf_attr(const xmlNode *n, const char *name);
/* "open", "closed" (static) or NULL: the basic status of a tuple. */
const char *pidf_tuple_basic_of(const xmlNode *tuple);
/* What the activities of a person say: DND, BUSY, AWAY or AVAILABLE
 * (no activity of those). */
enum pres_avail pidf_person_avail(const xmlNode *person);
/* The same for one <rpid:activities>. */
enum pres_avail pidf_activities_avail(const xmlNode *acts);
/* An activity element that means do-not-disturb (seed or other form). */
bool pidf_is_dnd_activity(const xmlNode *act);
/* A valid XML ID (NCName; ASCII letters, digits, "_-." and any
 * non-ASCII octet). */
bool pidf_id_valid(const char *id);
/* "scheme:rest" with a valid scheme and no space or control octet. */
bool pidf_uri_valid(const char *uri);
/* A declaration of href usable on n (an in-scope one, or a new one on
 * n that pidf_ns_tidy later moves to the root); NULL: ENOMEM. */
xmlNs *pidf_ns_for(xmlNode *n, const char *href);
/* Unlink and free a node. */
void pidf_drop(xmlNode *n);

#endif
