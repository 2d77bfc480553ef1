/* presence/pidf.c - PIDF documents (RFC 3863) with the data model
 * (RFC 4479), RPID (RFC 4480) and servcaps (RFC 5196): parse, print,
 * availability
 *
 * Parsing uses libxml2 with a private parser context: no network, no
 * entity substitution, and a DOCTYPE stops the parse (no DTD, so no
 * external entity and no entity expansion). Errors are collected by a
 * structured handler on that context and never printed.
 *
 * Lenient mode (the seed documents, REQUIREMENTS D-04): an element or
 * attribute whose prefix is not declared is bound by its prefix:
 *   rpid -> RPID, dm pdm -> data model, caps sc -> caps, c cp cipid ->
 *   CIPID, lt -> location types, gp -> geopriv
 * the seeds' wrong servcaps namespace "urn:ietf:params:xml:ns:pidf:servcaps"
 * is read as the caps namespace, and an element in the PIDF namespace
 * whose name PIDF does not define is read as RPID when it sits inside a
 * person or an RPID element, or is an RPID element name directly in a
 * tuple or its status (the seeds' unprefixed <available/> and
 * <user-input>). Any other undeclared prefix is an error in both modes.
 *
 * Availability (pidf_avail), first match wins:
 *   dnd       an activity named do-not-disturb in any namespace, an
 *             <rpid:other> saying "do-not-disturb", "do not disturb" or
 *             "dnd", or the form impd emits: <rpid:busy/> with an
 *             <rpid:note> "Do not disturb" in the same activities
 *   offline   no tuple whose basic is open
 *   busy      busy, meeting, on-the-phone, performance, presentation
 *   away      away, appointment, breakfast, dinner, holiday, in-transit,
 *             meal, permanent-absence, sleeping, steering, travel,
 *             vacation
 *   available an open tuple and none of the above
 * Activities are those of every <dm:person>; the strongest wins (dnd >
 * busy > away). The seed's "away with every tuple closed" (000 4.1.3,
 * a defect per Appendix A) therefore reads as offline.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xmlsave.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/mem.h"
#include "pidf_int.h"

#define SEED_CAPS_NS "urn:ietf:params:xml:ns:pidf:servcaps"

static const struct {
	const char *prefix;
	const char *ns;
} known_prefixes[] = {
    {"rpid", PIDF_RPID_NS}, {"dm", PIDF_DM_NS},       {"pdm", PIDF_DM_NS},
    {"caps", PIDF_CAPS_NS}, {"sc", PIDF_CAPS_NS},     {"c", PIDF_CIPID_NS},
    {"cp", PIDF_CIPID_NS},  {"cipid", PIDF_CIPID_NS}, {"lt", PIDF_LT_NS},
    {"gp", PIDF_GP_NS},
};

/* Output prefixes of the namespaces impd knows. */
static const struct {
	const char *ns;
	const char *prefix;
} out_prefixes[] = {
    {PIDF_DM_NS, "dm"},   {PIDF_RPID_NS, "rpid"}, {PIDF_CAPS_NS, "caps"},
    {PIDF_CIPID_NS, "c"}, {PIDF_LT_NS, "lt"},     {PIDF_GP_NS, "gp"},
    {PIDF_NS, "pidf"}, /* only for attributes in the PIDF namespace */
};

static const char *const pidf_names[] = {
    "presence", "tuple", "status", "basic", "contact", "note", "timestamp",
};

/* RPID elements that may stand directly in a tuple or its status. */
static const char *const rpid_tuple_names[] = {
    "activities",  "class",       "mood",         "place-is",
    "place-type",  "privacy",     "relationship", "sphere",
    "status-icon", "time-offset", "user-input",   "service-class",
};

static const char *const busy_acts[] = {
    "busy", "meeting", "on-the-phone", "performance", "presentation",
};

static const char *const away_acts[] = {
    "away",     "appointment", "breakfast", "dinner",
    "holiday",  "in-transit",  "meal",      "permanent-absence",
    "sleeping", "steering",    "travel",    "vacation",
};

static bool in_list(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(list[i], s))
			return true;
	}
	return false;
}

#define IN_LIST(list, s) in_list(list, sizeof(list) / sizeof(list[0]), s)

const char *pres_avail_name(enum pres_avail a)
{
	switch (a) {
	case PRES_AVAIL_OFFLINE:
		return "offline";
	case PRES_AVAIL_AVAILABLE:
		return "available";
	case PRES_AVAIL_AWAY:
		return "away";
	case PRES_AVAIL_BUSY:
		return "busy";
	case PRES_AVAIL_DND:
		return "dnd";
	default:
		return "unknown";
	}
}

/*
 * Tree helpers
 */

bool pidf_in_ns(const xmlNode *n, const char *ns)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns);
}

bool pidf_is(const xmlNode *n, const char *ns, const char *name)
{
	return pidf_in_ns(n, ns) && !strcmp((const char *)n->name, name);
}

xmlNode *pidf_first(const xmlNode *parent)
{
	xmlNode *c = parent ? parent->children : NULL;

	while (c && c->type != XML_ELEMENT_NODE)
		c = c->next;
	return c;
}

xmlNode *pidf_next(const xmlNode *n)
{
	xmlNode *c = n ? n->next : NULL;

	while (c && c->type != XML_ELEMENT_NODE)
		c = c->next;
	return c;
}

xmlNode *pidf_child(const xmlNode *parent, const char *ns, const char *name)
{
	for (xmlNode *c = pidf_first(parent); c; c = pidf_next(c)) {
		if (pidf_is(c, ns, name))
			return c;
	}
	return NULL;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trimmed [*pp, *pp + *lenp) of s. */
static void trim(const char *s, const char **pp, size_t *lenp)
{
	size_t n = strlen(s);

	while (n && is_ws(*s)) {
		s++;
		n--;
	}
	while (n && is_ws(s[n - 1]))
		n--;
	*pp = s;
	*lenp = n;
}

bool pidf_text_eq(const xmlNode *n, const char *s, bool icase)
{
	xmlChar *c;
	const char *p;
	size_t l;
	bool eq;

	if (!n)
		return false;
	c = xmlNodeGetContent(n);
	if (!c)
		return false;
	trim((const char *)c, &p, &l);
	eq = l == strlen(s) &&
	     (icase ? !strncasecmp(p, s, l) : !strncmp(p, s, l));
	xmlFree(c);
	return eq;
}

int pidf_text_dup(char **sp, const xmlNode *n)
{
	xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
	const char *p;
	size_t l;
	int err;

	if (n && !c)
		return ENOMEM;
	trim(c ? (const char *)c : "", &p, &l);
	err = mem_strndup(sp, p, l);
	xmlFree(c);
	return err;
}

xmlChar *pidf_attr(const xmlNode *n, const char *name)
{
	return xmlGetNoNsProp(n, (const xmlChar *)name);
}

void pidf_drop(xmlNode *n)
{
	if (!n)
		return;
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

const char *pidf_tuple_basic_of(const xmlNode *tuple)
{
	xmlNode *st = pidf_child(tuple, PIDF_NS, "status");
	xmlNode *b = pidf_child(st, PIDF_NS, "basic");

	if (!b)
		return NULL;
	if (pidf_text_eq(b, "open", false))
		return "open";
	if (pidf_text_eq(b, "closed", false))
		return "closed";
	return NULL;
}

bool pidf_is_dnd_activity(const xmlNode *act)
{
	if (!act || act->type != XML_ELEMENT_NODE)
		return false;
	if (!strcmp((const char *)act->name, "do-not-disturb"))
		return true;
	if (pidf_is(act, PIDF_RPID_NS, "other"))
		return pidf_text_eq(act, "do-not-disturb", true) ||
		       pidf_text_eq(act, "do not disturb", true) ||
		       pidf_text_eq(act, "dnd", true);
	return false;
}

enum pres_avail pidf_activities_avail(const xmlNode *acts)
{
	enum pres_avail a = PRES_AVAIL_AVAILABLE;
	bool busy = false, dndnote = false;

	for (xmlNode *c = pidf_first(acts); c; c = pidf_next(c)) {
		const char *name = (const char *)c->name;

		if (pidf_is_dnd_activity(c))
			return PRES_AVAIL_DND;
		if (pidf_is(c, PIDF_RPID_NS, "note")) {
			dndnote =
			    dndnote || pidf_text_eq(c, PIDF_DND_NOTE, true);
			continue;
		}
		if (pidf_is(c, PIDF_RPID_NS, "busy"))
			busy = true;
		if (IN_LIST(busy_acts, name))
			a = PRES_AVAIL_BUSY;
		else if (IN_LIST(away_acts, name) && a < PRES_AVAIL_AWAY)
			a = PRES_AVAIL_AWAY;
	}
	if (busy && dndnote)
		return PRES_AVAIL_DND;
	return a;
}

enum pres_avail pidf_person_avail(const xmlNode *person)
{
	enum pres_avail a = PRES_AVAIL_AVAILABLE;

	for (xmlNode *c = pidf_first(person); c; c = pidf_next(c)) {
		enum pres_avail x;

		if (strcmp((const char *)c->name, "activities"))
			continue;
		x = pidf_activities_avail(c);
		if (x > a)
			a = x;
	}
	return a;
}

static bool name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c >= 0x80;
}

bool pidf_id_valid(const char *id)
{
	const unsigned char *p = (const unsigned char *)id;

	if (!p || !name_start(*p))
		return false;
	for (p++; *p; p++) {
		if (!name_start(*p) && !(*p >= '0' && *p <= '9') && *p != '-' &&
		    *p != '.')
			return false;
	}
	return true;
}

bool pidf_uri_valid(const char *uri)
{
	const unsigned char *p = (const unsigned char *)uri;

	if (!p || !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return false;
	for (p++; *p; p++) {
		if (*p <= 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

/*
 * Namespace tidying: every declaration on the root
 */

struct tidy {
	xmlDoc *doc;
	xmlNs *head, *tail;
	unsigned gen;
};

static bool prefix_used(const struct tidy *t, const char *p)
{
	for (xmlNs *ns = t->head; ns; ns = ns->next) {
		if (ns->prefix && !strcmp((const char *)ns->prefix, p))
			return true;
	}
	return false;
}

static bool prefix_reserved(const char *p)
{
	for (size_t i = 0; i < sizeof(out_prefixes) / sizeof(out_prefixes[0]);
	     i++) {
		if (!strcmp(out_prefixes[i].prefix, p))
			return true;
	}
	return !strcmp(p, "xml") || !strncmp(p, "xmlns", 5);
}

static xmlNs *tidy_get(struct tidy *t, const xmlChar *href, const xmlChar *oldp,
                       bool attr)
{
	const char *h = (const char *)href, *pref = NULL;
	char gen[24];
	xmlNs *ns;

	for (ns = t->head; ns; ns = ns->next) {
		if (xmlStrEqual(ns->href, href) && (!attr || ns->prefix))
			return ns;
	}
	if (attr || strcmp(h, PIDF_NS)) {
		for (size_t i = 0;
		     i < sizeof(out_prefixes) / sizeof(out_prefixes[0]); i++) {
			if (!strcmp(out_prefixes[i].ns, h) &&
			    !prefix_used(t, out_prefixes[i].prefix))
				pref = out_prefixes[i].prefix;
		}
		if (!pref && oldp && !prefix_used(t, (const char *)oldp) &&
		    !prefix_reserved((const char *)oldp))
			pref = (const char *)oldp;
		while (!pref) {
			snprintf(gen, sizeof(gen), "ns%u", ++t->gen);
			if (!prefix_used(t, gen))
				pref = gen;
		}
	}
	ns = xmlNewNs(NULL, href, (const xmlChar *)pref);
	if (!ns)
		return NULL;
	if (t->tail)
		t->tail->next = ns;
	else
		t->head = ns;
	t->tail = ns;
	return ns;
}

static bool is_xml_ns(const xmlNs *ns)
{
	return (ns->prefix && !strcmp((const char *)ns->prefix, "xml")) ||
	       (ns->href && xmlStrEqual(ns->href, XML_XML_NAMESPACE));
}

static int tidy_walk(struct tidy *t, xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns && is_xml_ns(n->ns))
			n->ns = xmlSearchNs(t->doc, n, (const xmlChar *)"xml");
		else if (n->ns && n->ns->href && n->ns->href[0]) {
			n->ns = tidy_get(t, n->ns->href, n->ns->prefix, false);
			if (!n->ns)
				return ENOMEM;
		} else
			n->ns = NULL;
		for (xmlAttr *a = n->properties; a; a = a->next) {
			if (!a->ns)
				continue;
			if (is_xml_ns(a->ns)) {
				a->ns = xmlSearchNs(t->doc, n,
				                    (const xmlChar *)"xml");
				if (!a->ns)
					return ENOMEM;
				continue;
			}
			if (!a->ns->href || !a->ns->href[0]) {
				a->ns = NULL;
				continue;
			}
			a->ns = tidy_get(t, a->ns->href, a->ns->prefix, true);
			if (!a->ns)
				return ENOMEM;
		}
		if (tidy_walk(t, n->children))
			return ENOMEM;
	}
	return 0;
}

static void tidy_free_defs(xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->nsDef) {
			xmlFreeNsList(n->nsDef);
			n->nsDef = NULL;
		}
		tidy_free_defs(n->children);
	}
}

/* An element in no namespace under one in a namespace needs xmlns="". */
static int tidy_undeclare(xmlNode *n, bool parent_ns)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!n->ns && parent_ns &&
		    !xmlNewNs(n, (const xmlChar *)"", NULL))
			return ENOMEM;
		if (tidy_undeclare(n->children, n->ns != NULL))
			return ENOMEM;
	}
	return 0;
}

int pidf_ns_tidy(xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	struct tidy t = {doc, NULL, NULL, 0};
	int err;

	if (!root)
		return EINVAL;
	err = tidy_walk(&t, root);
	if (err) {
		xmlFreeNsList(t.head);
		return err;
	}
	tidy_free_defs(root);
	root->nsDef = t.head;
	return tidy_undeclare(root->children, root->ns != NULL);
}

static void strip_misc(xmlNode *n)
{
	for (xmlNode *next; n; n = next) {
		next = n->next;
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
			pidf_drop(n);
		else if (n->type == XML_ELEMENT_NODE)
			strip_misc(n->children);
	}
}

void pidf_strip_misc(xmlDoc *doc)
{
	strip_misc(doc->children);
}

int pidf_doc_new(xmlDoc **docp, const char *entity)
{
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root;
	xmlNs *ns;

	if (!doc)
		return ENOMEM;
	root = xmlNewDocNode(doc, NULL, (const xmlChar *)"presence", NULL);
	if (!root)
		goto nomem;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, (const xmlChar *)PIDF_NS, NULL);
	if (!ns)
		goto nomem;
	xmlSetNs(root, ns);
	if (!xmlSetProp(root, (const xmlChar *)"entity",
	                (const xmlChar *)entity))
		goto nomem;
	*docp = doc;
	return 0;
nomem:
	xmlFreeDoc(doc);
	return ENOMEM;
}

/*
 * The document object
 */

static void pidf_destroy(void *data)
{
	struct pidf *d = data;

	for (size_t i = 0; i < d->ntuples; i++)
		mem_deref(d->tuples[i].id);
	mem_deref(d->tuples);
	mem_deref(d->entity);
	mem_deref(d->note);
	if (d->doc)
		xmlFreeDoc(d->doc);
}

/* The first note child with some text. */
static const xmlNode *first_note(const xmlNode *parent, const char *ns)
{
	for (xmlNode *c = pidf_first(parent); c; c = pidf_next(c)) {
		if (pidf_is(c, ns, "note") && !pidf_text_eq(c, "", false))
			return c;
	}
	return NULL;
}

static int find_note(char **notep, const xmlNode *root)
{
	const xmlNode *found = NULL;

	/* Person: its own note, then notes inside its RPID elements. */
	for (xmlNode *p = pidf_first(root); p && !found; p = pidf_next(p)) {
		if (!pidf_is(p, PIDF_DM_NS, "person"))
			continue;
		found = first_note(p, PIDF_DM_NS);
		for (xmlNode *c = pidf_first(p); c && !found; c = pidf_next(c))
			found = first_note(c, PIDF_RPID_NS);
	}
	for (xmlNode *t = pidf_first(root); t && !found; t = pidf_next(t)) {
		if (pidf_is(t, PIDF_NS, "tuple"))
			found = first_note(t, PIDF_NS);
	}
	if (!found)
		found = first_note(root, PIDF_NS);
	if (!found) {
		*notep = NULL;
		return 0;
	}
	return pidf_text_dup(notep, found);
}

int pidf_wrap(struct pidf **dp, xmlDoc *doc)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	struct pidf *d;
	xmlChar *v;
	size_t n = 0;
	bool open = false;
	int err;

	d = mem_zalloc(sizeof(*d), pidf_destroy);
	if (!d) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	d->doc = doc;
	v = pidf_attr(root, "entity");
	err = mem_strdup(&d->entity, v ? (const char *)v : "");
	xmlFree(v);
	if (err)
		goto out;
	for (xmlNode *t = pidf_first(root); t; t = pidf_next(t))
		n += pidf_is(t, PIDF_NS, "tuple");
	if (n) {
		d->tuples = mem_zalloc(n * sizeof(*d->tuples), NULL);
		if (!d->tuples) {
			err = ENOMEM;
			goto out;
		}
	}
	for (xmlNode *t = pidf_first(root); t; t = pidf_next(t)) {
		struct pidf_tup *tp;

		if (!pidf_is(t, PIDF_NS, "tuple"))
			continue;
		tp = &d->tuples[d->ntuples++];
		tp->node = t;
		tp->basic = pidf_tuple_basic_of(t);
		open = open || (tp->basic && !strcmp(tp->basic, "open"));
		v = pidf_attr(t, "id");
		if (v) {
			err = mem_strdup(&tp->id, (const char *)v);
			xmlFree(v);
			if (err)
				goto out;
		}
	}
	d->avail = open ? PRES_AVAIL_AVAILABLE : PRES_AVAIL_OFFLINE;
	for (xmlNode *p = pidf_first(root); p; p = pidf_next(p)) {
		enum pres_avail a;

		if (!pidf_is(p, PIDF_DM_NS, "person"))
			continue;
		a = pidf_person_avail(p);
		if (a == PRES_AVAIL_DND || (open && a > d->avail))
			d->avail = a;
		if (a == PRES_AVAIL_DND)
			break;
	}
	err = find_note(&d->note, root);
out:
	if (err)
		mem_deref(d);
	else
		*dp = d;
	return err;
}

/*
 * Parsing
 */

/* libxml2 reports some errors outside any parser context (an encoding
 * that fails while reading input, output errors) through the calling
 * thread's generic handler, which prints to stderr: it is silenced for
 * the length of our own calls and then put back. */
struct quiet {
	xmlGenericErrorFunc fn;
	void *ctx;
};

static void silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void quiet_on(struct quiet *q)
{
	q->fn = xmlGenericError;
	q->ctx = xmlGenericErrorContext;
	xmlSetGenericErrorFunc(NULL, silent);
}

static void quiet_off(const struct quiet *q)
{
	xmlSetGenericErrorFunc(q->ctx, q->fn);
}

struct perr {
	long line;
	bool set;
	bool dtd;
	char msg[160];
};

static void on_error(void *ctx, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct perr *pe = ctxt ? ctxt->_private : NULL;
	size_t n;

	if (!pe || pe->set || !e || e->level < XML_ERR_ERROR ||
	    e->domain == XML_FROM_NAMESPACE)
		return;
	pe->set = true;
	pe->line = e->line;
	snprintf(pe->msg, sizeof(pe->msg), "%s",
	         e->message ? e->message : "not well formed");
	n = strlen(pe->msg);
	while (n && is_ws(pe->msg[n - 1]))
		pe->msg[--n] = '\0';
}

static void on_dtd(void *ctx, const xmlChar *name, const xmlChar *ext,
                   const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct perr *pe = ctxt->_private;

	(void)name;
	(void)ext;
	(void)sys;
	if (pe) {
		pe->dtd = true;
		pe->line = ctxt->input ? ctxt->input->line : 0;
	}
	xmlStopParser(ctxt);
}

static int bad(char *err, size_t errsize, long line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(char *err, size_t errsize, long line, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	if (err && errsize) {
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		snprintf(err, errsize, "line %ld: %s", line, what);
	}
	return EBADMSG;
}

static const char *known_ns(const char *prefix)
{
	for (size_t i = 0;
	     i < sizeof(known_prefixes) / sizeof(known_prefixes[0]); i++) {
		if (!strcmp(known_prefixes[i].prefix, prefix))
			return known_prefixes[i].ns;
	}
	return NULL;
}

xmlNs *pidf_ns_for(xmlNode *n, const char *href)
{
	xmlNs *found = xmlSearchNsByHref(n->doc, n, (const xmlChar *)href);
	char p[24];

	if (found && found->prefix)
		return found;
	for (xmlNs *ns = n->nsDef; ns; ns = ns->next) {
		if (ns->prefix && ns->href &&
		    !strcmp((const char *)ns->href, href))
			return ns;
	}
	for (unsigned i = 0; i < 1000; i++) {
		bool used = false;

		snprintf(p, sizeof(p), "tmp%u", i);
		for (xmlNs *ns = n->nsDef; ns; ns = ns->next)
			used = used || (ns->prefix &&
			                !strcmp((const char *)ns->prefix, p));
		if (!used)
			return xmlNewNs(n, (const xmlChar *)href,
			                (const xmlChar *)p);
	}
	return NULL;
}

/* Set a node's or attribute's name (dictionary aware). */
static int rename_attr(xmlDoc *doc, xmlAttr *a, const char *name)
{
	const xmlChar *old = a->name, *nn;

	if (doc->dict)
		nn = xmlDictLookup(doc->dict, (const xmlChar *)name, -1);
	else
		nn = xmlStrdup((const xmlChar *)name);
	if (!nn)
		return ENOMEM;
	a->name = nn;
	if (old && !(doc->dict && xmlDictOwns(doc->dict, old)))
		xmlFree((xmlChar *)old);
	return 0;
}

struct fix {
	xmlDoc *doc;
	bool lenient;
	char *err;
	size_t errsize;
};

/* Split "p:l"; EBADMSG when the prefix cannot be bound. */
static int resolve(struct fix *f, const xmlNode *n, const char *qname,
                   const char **hrefp, const char **localp)
{
	const char *colon = strchr(qname, ':');
	char prefix[32];
	size_t pl = (size_t)(colon - qname);

	if (pl == 0 || pl >= sizeof(prefix) ||
	    xmlValidateNCName((const xmlChar *)colon + 1, 0))
		return bad(f->err, f->errsize, xmlGetLineNo(n), "bad name %s",
		           qname);
	memcpy(prefix, qname, pl);
	prefix[pl] = '\0';
	*hrefp = f->lenient ? known_ns(prefix) : NULL;
	*localp = colon + 1;
	if (!*hrefp)
		return bad(f->err, f->errsize, xmlGetLineNo(n),
		           "namespace prefix %s is not defined", prefix);
	return 0;
}

static bool rpid_context(const xmlNode *n)
{
	const xmlNode *p = n->parent;

	if (pidf_in_ns(p, PIDF_RPID_NS))
		return true;
	if ((pidf_is(p, PIDF_NS, "tuple") || pidf_is(p, PIDF_NS, "status")) &&
	    IN_LIST(rpid_tuple_names, (const char *)n->name))
		return true;
	for (; p && p->type == XML_ELEMENT_NODE; p = p->parent) {
		if (pidf_is(p, PIDF_DM_NS, "person"))
			return true;
	}
	return false;
}

static int fix_attrs(struct fix *f, xmlNode *n)
{
	for (xmlAttr *a = n->properties, *next; a; a = next) {
		const char *href, *local;
		xmlNs *ns;
		int err;

		next = a->next;
		if (!strchr((const char *)a->name, ':'))
			continue;
		if (a->ns)
			return bad(f->err, f->errsize, xmlGetLineNo(n),
			           "bad name %s", (const char *)a->name);
		err = resolve(f, n, (const char *)a->name, &href, &local);
		if (err)
			return err;
		if (xmlHasNsProp(n, (const xmlChar *)local,
		                 (const xmlChar *)href)) {
			xmlRemoveProp(a); /* a duplicate once bound */
			continue;
		}
		ns = pidf_ns_for(n, href);
		if (!ns)
			return ENOMEM;
		err = rename_attr(f->doc, a, local);
		if (err)
			return err;
		a->ns = ns;
	}
	return 0;
}

static int fix_walk(struct fix *f, xmlNode *n)
{
	int err;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns && strchr((const char *)n->name, ':'))
			return bad(f->err, f->errsize, xmlGetLineNo(n),
			           "bad name %s", (const char *)n->name);
		if (!n->ns && strchr((const char *)n->name, ':')) {
			const char *href, *local;
			xmlNs *ns;

			err =
			    resolve(f, n, (const char *)n->name, &href, &local);
			if (err)
				return err;
			ns = pidf_ns_for(n, href);
			if (!ns)
				return ENOMEM;
			xmlNodeSetName(n, (const xmlChar *)local);
			xmlSetNs(n, ns);
		} else if (f->lenient && pidf_in_ns(n, PIDF_NS) &&
		           !IN_LIST(pidf_names, (const char *)n->name) &&
		           rpid_context(n)) {
			xmlNs *ns = pidf_ns_for(n, PIDF_RPID_NS);

			if (!ns)
				return ENOMEM;
			xmlSetNs(n, ns);
		}
		err = fix_attrs(f, n);
		if (err)
			return err;
		err = fix_walk(f, n->children);
		if (err)
			return err;
	}
	return 0;
}

static int fix_seed_ns(xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNs *ns = n->nsDef; ns; ns = ns->next) {
			xmlChar *h;

			if (!ns->href ||
			    strcmp((const char *)ns->href, SEED_CAPS_NS))
				continue;
			h = xmlStrdup((const xmlChar *)PIDF_CAPS_NS);
			if (!h)
				return ENOMEM;
			xmlFree((xmlChar *)ns->href);
			ns->href = h;
		}
		if (fix_seed_ns(n->children))
			return ENOMEM;
	}
	return 0;
}

static int tuple_cmp(const void *a, const void *b)
{
	const struct pidf_tup *x = *(const struct pidf_tup *const *)a;
	const struct pidf_tup *y = *(const struct pidf_tup *const *)b;
	int c = strcmp(x->id, y->id);

	if (c)
		return c;
	return xmlGetLineNo(x->node) < xmlGetLineNo(y->node) ? -1 : 1;
}

/* A <basic> must say open or closed (RFC 3863). Some clients (baresip
 * 1.0) send "unknown": strict mode refuses it, lenient mode drops the
 * element (a status without basic is valid: nothing is claimed). Every
 * <basic> of a status is looked at, not only the first. */
static int fix_basic(xmlNode *root, bool lenient, char *err, size_t errsize)
{
	for (xmlNode *t = pidf_first(root); t; t = pidf_next(t)) {
		xmlNode *st = pidf_child(t, PIDF_NS, "status");

		if (!pidf_is(t, PIDF_NS, "tuple"))
			continue;
		for (xmlNode *b = pidf_first(st), *next; b; b = next) {
			next = pidf_next(b);
			if (!pidf_is(b, PIDF_NS, "basic") ||
			    pidf_text_eq(b, "open", false) ||
			    pidf_text_eq(b, "closed", false))
				continue;
			if (!lenient)
				return bad(
				    err, errsize, xmlGetLineNo(b),
				    "<basic> is neither open nor closed");
			pidf_drop(b);
		}
	}
	return 0;
}

static int check(const struct pidf *d, char *err, size_t errsize)
{
	xmlNode *root = xmlDocGetRootElement(d->doc);
	const struct pidf_tup **v;
	int ret = 0;

	if (!xmlHasNsProp(root, (const xmlChar *)"entity", NULL))
		return bad(err, errsize, xmlGetLineNo(root),
		           "<presence> has no entity");
	if (!pidf_uri_valid(d->entity))
		return bad(err, errsize, xmlGetLineNo(root),
		           "entity %s is not a URI", d->entity);
	for (size_t i = 0; i < d->ntuples; i++) {
		const struct pidf_tup *t = &d->tuples[i];

		if (!t->id || !t->id[0])
			return bad(err, errsize, xmlGetLineNo(t->node),
			           "<tuple> has no id");
		if (!pidf_child(t->node, PIDF_NS, "status"))
			return bad(err, errsize, xmlGetLineNo(t->node),
			           "tuple %s has no <status>", t->id);
	}
	if (d->ntuples < 2)
		return 0;
	v = mem_alloc(d->ntuples * sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	for (size_t i = 0; i < d->ntuples; i++)
		v[i] = &d->tuples[i];
	qsort(v, d->ntuples, sizeof(*v), tuple_cmp);
	for (size_t i = 1; i < d->ntuples && !ret; i++) {
		if (!strcmp(v[i - 1]->id, v[i]->id))
			ret = bad(err, errsize, xmlGetLineNo(v[i]->node),
			          "duplicate tuple id %s", v[i]->id);
	}
	mem_deref(v);
	return ret;
}

int pidf_parse(struct pidf **dp, const char *xml, size_t len, bool lenient,
               char *err, size_t errsize)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOBLANKS |
	                 XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                 XML_PARSE_NOCDATA;
	xmlParserCtxtPtr ctxt;
	struct quiet q;
	struct perr pe;
	struct fix f;
	struct pidf *d = NULL;
	xmlDoc *doc;
	xmlNode *root;
	int e;

	if (!dp || (!xml && len))
		return EINVAL;
	if (err && errsize)
		err[0] = '\0';
	if (len > INT_MAX)
		return bad(err, errsize, 1, "document too large");
	if (len == 0)
		return bad(err, errsize, 1, "empty document");
	memset(&pe, 0, sizeof(pe));
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return ENOMEM;
	ctxt->sax->serror = on_error;
	ctxt->sax->internalSubset = on_dtd;
	ctxt->sax->externalSubset = NULL;
	ctxt->_private = &pe;
	quiet_on(&q);
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, opts);
	quiet_off(&q);
	ctxt->_private = NULL;
	xmlFreeParserCtxt(ctxt);
	if (pe.dtd) {
		xmlFreeDoc(doc);
		return bad(err, errsize, pe.line, "DOCTYPE is not allowed");
	}
	if (!doc) {
		if (!pe.set)
			return ENOMEM;
		return bad(err, errsize, pe.line, "%s", pe.msg);
	}
	root = xmlDocGetRootElement(doc);
	if (!root) {
		xmlFreeDoc(doc);
		return bad(err, errsize, 1, "no root element");
	}
	f = (struct fix){doc, lenient, err, errsize};
	e = lenient ? fix_seed_ns(root) : 0;
	if (!e)
		e = fix_walk(&f, root);
	if (!e && !pidf_is(root, PIDF_NS, "presence"))
		e = bad(err, errsize, xmlGetLineNo(root),
		        "root element is not <presence> of %s", PIDF_NS);
	if (!e)
		e = fix_basic(root, lenient, err, errsize);
	if (!e)
		e = pidf_ns_tidy(doc);
	if (e) {
		xmlFreeDoc(doc);
		return e;
	}
	e = pidf_wrap(&d, doc);
	if (e)
		return e;
	e = check(d, err, errsize);
	if (e) {
		mem_deref(d);
		return e;
	}
	*dp = d;
	return 0;
}

/*
 * Output and accessors
 */

int pidf_print(struct buf **mbp, const struct pidf *d)
{
	xmlBufferPtr xb;
	xmlSaveCtxtPtr sc;
	struct quiet q;
	int err = 0;

	if (!mbp || !d)
		return EINVAL;
	xb = xmlBufferCreate();
	if (!xb)
		return ENOMEM;
	quiet_on(&q);
	sc = xmlSaveToBuffer(xb, "UTF-8", XML_SAVE_FORMAT);
	if (!sc)
		err = ENOMEM;
	if (!err && xmlSaveDoc(sc, d->doc) < 0)
		err = ENOMEM;
	if (sc && xmlSaveClose(sc) < 0)
		err = ENOMEM;
	quiet_off(&q);
	if (!err)
		err = buf_alloc_copy(mbp, xmlBufferContent(xb),
		                     (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	return err;
}

const char *pidf_entity(const struct pidf *d)
{
	return d ? d->entity : NULL;
}

size_t pidf_tuple_count(const struct pidf *d)
{
	return d ? d->ntuples : 0;
}

const char *pidf_tuple_id(const struct pidf *d, size_t i)
{
	return d && i < d->ntuples ? d->tuples[i].id : NULL;
}

const char *pidf_tuple_basic(const struct pidf *d, size_t i)
{
	return d && i < d->ntuples ? d->tuples[i].basic : NULL;
}

enum pres_avail pidf_avail(const struct pidf *d)
{
	return d ? d->avail : PRES_AVAIL_UNKNOWN;
}

const char *pidf_note(const struct pidf *d)
{
	return d ? d->note : NULL;
}
