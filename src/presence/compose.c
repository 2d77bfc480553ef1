/* presence/compose.c - documents impd makes: the composition of a
 * presentity's sources (PRES-04, REQUIREMENTS D-04, D-05), registration-
 * derived documents with servcaps (RFC 5196, feature tags RFC 3840) and
 * the polite-block document
 *
 * Composition policy (pres_compose), a pure function of the set of
 * sources:
 * - Order: sources sorted by updated_ms, then id, then kind; "later" and
 *   "most recent" below mean later in that order.
 * - Tuples: the union, in the order the sources began (created_ms,
 *   then id, then kind). A tuple keeps its id; an id that is
 *   not a valid XML ID gets a "t" in front and "-" for bad characters
 *   (the seeds use ids such as "0983wqh"); an id already used by a
 *   source that began earlier becomes "<id>-<6 hex of SHA-256(source id)>" (and
 *   "-2", "-3" ... on in the unlikely case that is taken too). Person and
 *   device ids share that id space.
 * - A registration-derived tuple is left out when a tuple of another
 *   source names the same contact URI or the same dm:deviceID: the
 *   device publishes for itself.
 * - Person: the persons of one source only: the most recent source with
 *   the strongest stated availability (dnd > busy > away > available).
 *   Registration-derived sources are only looked at when no other source
 *   has a person.
 * - DND: when that person says do-not-disturb, every tuple's basic is
 *   closed. DND is written in RFC 4480 terms only: the activities hold
 *   <rpid:busy/> and a first <rpid:note>Do not disturb</rpid:note>;
 *   a seed-form <do-not-disturb/> (or <rpid:other>dnd</rpid:other>) is
 *   removed; the user's own activity notes move to the person's
 *   <dm:note> (when it has none). pidf_avail reads that form back as dnd.
 * - Other non-RFC activities: the seeds' <rpid:available/> is dropped
 *   (no activity is the RFC way to say it); any other unknown name in
 *   the RPID namespace becomes <rpid:other>name</rpid:other>. An
 *   activities element left without activity goes, its notes moving to
 *   <dm:note>.
 * - Devices: the union by dm:deviceID, the most recent winning (a device
 *   without deviceID is invalid and dropped).
 * - Notes of <presence>: those of the person's source, else of the most
 *   recent source that has some. Other top-level extension elements: the
 *   union in source order.
 * - Output order (RFC 3863 / 4479 schemas): tuples, notes, persons,
 *   devices, extensions; in a tuple status (basic first), extensions,
 *   contact, notes, timestamp; in a person extensions, notes, timestamp;
 *   in a device extensions, deviceID, notes, timestamp; notes first in
 *   activities. Elements of the PIDF namespace PIDF does not define, and
 *   elements of no namespace, are dropped from those places.
 */
#include <errno.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../base/mem.h"
#include "../base/util.h"
#include "pidf_int.h"

static const char *const rfc_acts[] = {
    "appointment",
    "away",
    "breakfast",
    "busy",
    "dinner",
    "holiday",
    "in-transit",
    "looking-for-work",
    "meal",
    "meeting",
    "on-the-phone",
    "performance",
    "permanent-absence",
    "playing",
    "presentation",
    "shopping",
    "sleeping",
    "spectator",
    "steering",
    "travel",
    "tv",
    "unknown",
    "vacation",
    "working",
    "worship",
    "other",
};

static bool is_rfc_act(const char *name)
{
	for (size_t i = 0; i < sizeof(rfc_acts) / sizeof(rfc_acts[0]); i++) {
		if (!strcmp(rfc_acts[i], name))
			return true;
	}
	return false;
}

/*
 * The set of ids used in a document
 */

struct ids {
	char **v; /* mem array of mem strings */
	size_t n, cap;
};

static void ids_reset(struct ids *s)
{
	for (size_t i = 0; i < s->n; i++)
		mem_deref(s->v[i]);
	s->v = mem_deref(s->v);
	s->n = s->cap = 0;
}

static bool ids_has(const struct ids *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i], id))
			return true;
	}
	return false;
}

/* Takes the reference to id (a mem string) on success. */
static int ids_take(struct ids *s, char *id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v;

		v = s->v ? mem_realloc(s->v, cap * sizeof(*v))
		         : mem_alloc(cap * sizeof(*v), NULL);
		if (!v)
			return ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

/* A valid id from any string: kind letter in front when needed, "-" for
 * characters an XML ID cannot hold. */
static int id_sanitize(char **outp, const char *id, char kind)
{
	size_t n = id ? strlen(id) : 0, j = 0;
	char *out = mem_alloc(n + 2, NULL);

	if (!out)
		return ENOMEM;
	if (!n || !pidf_id_valid(id)) {
		unsigned char c0 = n ? (unsigned char)id[0] : '0';

		if (!((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z') ||
		      c0 == '_' || c0 >= 0x80))
			out[j++] = kind;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		          (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		          c == '.' || c >= 0x80;

		out[j++] = ok ? (char)c : '-';
	}
	out[j] = '\0';
	*outp = out;
	return 0;
}

/* The id an element of source srcid gets: its own when free, else with
 * the source's suffix. The result is recorded in s; *idp is borrowed
 * from s. */
static int id_unique(struct ids *s, const char **idp, const char *id, char kind,
                     const char *srcid)
{
	char *base = NULL, *cand = NULL, suffix[65];
	size_t size;
	int err;

	err = id_sanitize(&base, id, kind);
	if (err)
		return err;
	if (!ids_has(s, base)) {
		cand = base;
		base = NULL;
		goto take;
	}
	sha256_hex(suffix, srcid ? srcid : "", srcid ? strlen(srcid) : 0);
	suffix[6] = '\0';
	size = strlen(base) + 32;
	cand = mem_alloc(size, NULL);
	if (!cand) {
		err = ENOMEM;
		goto out;
	}
	snprintf(cand, size, "%s-%s", base, suffix);
	for (unsigned i = 2; ids_has(s, cand); i++)
		snprintf(cand, size, "%s-%s-%u", base, suffix, i);
take:
	err = ids_take(s, cand);
	if (err)
		goto out;
	*idp = cand;
	cand = NULL;
out:
	mem_deref(cand);
	mem_deref(base);
	return err;
}

/*
 * Tree normalization
 */

/* Drop the children that are not elements (whitespace, comments). */
static void drop_nonelements(xmlNode *parent)
{
	for (xmlNode *c = parent->children, *next; c; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE)
			pidf_drop(c);
	}
}

/* Keep the first child ns:name only. */
static void dedupe(xmlNode *parent, const char *ns, const char *name)
{
	bool seen = false;

	for (xmlNode *c = pidf_first(parent), *next; c; c = next) {
		next = pidf_next(c);
		if (!pidf_is(c, ns, name))
			continue;
		if (seen)
			pidf_drop(c);
		seen = true;
	}
}

typedef int rank_h(const xmlNode *c);

/* Drop children ranked < 0, then order the rest by rank (stable). */
static void reorder(xmlNode *parent, rank_h *rank, int nranks)
{
	size_t n = 0;

	drop_nonelements(parent);
	for (xmlNode *c = parent->children, *next; c; c = next) {
		next = c->next;
		if (rank(c) < 0)
			pidf_drop(c);
		else
			n++;
	}
	for (int r = 0; r < nranks; r++) {
		xmlNode *c = parent->children;

		for (size_t i = 0; i < n && c; i++) {
			xmlNode *next = c->next;

			if (rank(c) == r) {
				xmlUnlinkNode(c);
				xmlAddChild(parent, c);
			}
			c = next;
		}
	}
}

/* Extension elements: in a namespace other than PIDF. */
static bool is_ext(const xmlNode *c)
{
	return c->ns && c->ns->href && c->ns->href[0] &&
	       !pidf_in_ns(c, PIDF_NS);
}

static int tuple_rank(const xmlNode *c)
{
	if (pidf_is(c, PIDF_NS, "status"))
		return 0;
	if (pidf_is(c, PIDF_NS, "contact"))
		return 2;
	if (pidf_is(c, PIDF_NS, "note"))
		return 3;
	if (pidf_is(c, PIDF_NS, "timestamp"))
		return 4;
	return is_ext(c) ? 1 : -1;
}

static int status_rank(const xmlNode *c)
{
	if (pidf_is(c, PIDF_NS, "basic"))
		return 0;
	return is_ext(c) ? 1 : -1;
}

static int person_rank(const xmlNode *c)
{
	if (pidf_is(c, PIDF_DM_NS, "note"))
		return 1;
	if (pidf_is(c, PIDF_DM_NS, "timestamp"))
		return 2;
	return is_ext(c) ? 0 : -1;
}

static int device_rank(const xmlNode *c)
{
	if (pidf_is(c, PIDF_DM_NS, "deviceID"))
		return 1;
	if (pidf_is(c, PIDF_DM_NS, "note"))
		return 2;
	if (pidf_is(c, PIDF_DM_NS, "timestamp"))
		return 3;
	return is_ext(c) ? 0 : -1;
}

static int acts_rank(const xmlNode *c)
{
	if (pidf_is(c, PIDF_RPID_NS, "note"))
		return 0;
	return c->ns ? 1 : -1;
}

static int set_closed(xmlNode *tuple)
{
	xmlNode *st = pidf_child(tuple, PIDF_NS, "status");
	xmlNode *b = pidf_child(st, PIDF_NS, "basic"), *nb;

	if (!st)
		return 0; /* a parsed tuple always has one */
	nb = xmlNewDocNode(tuple->doc, st->ns, (const xmlChar *)"basic",
	                   (const xmlChar *)"closed");
	if (!nb)
		return ENOMEM;
	if (b) {
		xmlReplaceNode(b, nb);
		xmlFreeNode(b);
	} else if (st->children) {
		xmlAddPrevSibling(st->children, nb);
	} else {
		xmlAddChild(st, nb);
	}
	return 0;
}

static int norm_tuple(xmlNode *t, bool dnd)
{
	xmlNode *st;

	drop_nonelements(t);
	dedupe(t, PIDF_NS, "status");
	dedupe(t, PIDF_NS, "contact");
	dedupe(t, PIDF_NS, "timestamp");
	reorder(t, tuple_rank, 5);
	st = pidf_child(t, PIDF_NS, "status");
	if (st) {
		dedupe(st, PIDF_NS, "basic");
		reorder(st, status_rank, 2);
	}
	return dnd ? set_closed(t) : 0;
}

/* Move activities notes to the person's <dm:note> when it has none;
 * drop them otherwise. */
static int notes_to_person(xmlNode *acts, xmlNode *person)
{
	bool has = pidf_child(person, PIDF_DM_NS, "note") != NULL;
	xmlNs *dm = NULL;

	for (xmlNode *c = pidf_first(acts), *next; c; c = next) {
		next = pidf_next(c);
		if (!pidf_is(c, PIDF_RPID_NS, "note"))
			continue;
		if (has) {
			pidf_drop(c);
			continue;
		}
		if (!dm) {
			dm = pidf_ns_for(person, PIDF_DM_NS);
			if (!dm)
				return ENOMEM;
		}
		xmlUnlinkNode(c);
		xmlSetNs(c, dm);
		xmlAddChild(person, c);
	}
	return 0;
}

static int norm_activities(xmlNode *acts, xmlNode *person)
{
	bool dnd = pidf_activities_avail(acts) == PRES_AVAIL_DND;
	bool any = false, busy = false, dndnote = false;
	int err;

	drop_nonelements(acts);
	for (xmlNode *c = pidf_first(acts), *next; c; c = next) {
		const char *name = (const char *)c->name;
		xmlNode *o;

		next = pidf_next(c);
		if (pidf_is(c, PIDF_RPID_NS, "note")) {
			dndnote =
			    dndnote || pidf_text_eq(c, PIDF_DND_NOTE, true);
			continue;
		}
		if (pidf_is_dnd_activity(c) || !c->ns ||
		    pidf_is(c, PIDF_RPID_NS, "available")) {
			pidf_drop(c);
			continue;
		}
		any = true;
		if (!pidf_in_ns(c, PIDF_RPID_NS) || is_rfc_act(name)) {
			busy = busy || pidf_is(c, PIDF_RPID_NS, "busy");
			continue;
		}
		o = xmlNewDocNode(acts->doc, acts->ns, (const xmlChar *)"other",
		                  c->name);
		if (!o)
			return ENOMEM;
		xmlReplaceNode(c, o);
		xmlFreeNode(c);
	}
	if (dnd && !busy &&
	    !xmlNewChild(acts, acts->ns, (const xmlChar *)"busy", NULL))
		return ENOMEM;
	if (dnd && !dndnote) {
		xmlNode *note;

		err = notes_to_person(acts, person);
		if (err)
			return err;
		note =
		    xmlNewDocNode(acts->doc, acts->ns, (const xmlChar *)"note",
		                  (const xmlChar *)PIDF_DND_NOTE);
		if (!note)
			return ENOMEM;
		if (acts->children)
			xmlAddPrevSibling(acts->children, note);
		else
			xmlAddChild(acts, note);
	}
	if (!any && !dnd) {
		err = notes_to_person(acts, person);
		if (err)
			return err;
		pidf_drop(acts);
		return 0;
	}
	reorder(acts, acts_rank, 2);
	return 0;
}

static int norm_person(xmlNode *p)
{
	int err;

	drop_nonelements(p);
	for (xmlNode *c = pidf_first(p), *next; c; c = next) {
		next = pidf_next(c);
		if (pidf_is(c, PIDF_NS, "note") ||
		    pidf_is(c, PIDF_NS, "timestamp")) {
			xmlNs *dm = pidf_ns_for(p, PIDF_DM_NS);

			if (!dm)
				return ENOMEM;
			xmlSetNs(c, dm);
		} else if (pidf_is(c, PIDF_RPID_NS, "activities")) {
			err = norm_activities(c, p);
			if (err)
				return err;
		}
	}
	dedupe(p, PIDF_DM_NS, "timestamp");
	reorder(p, person_rank, 3);
	return 0;
}

static int norm_device(xmlNode *d)
{
	dedupe(d, PIDF_DM_NS, "deviceID");
	dedupe(d, PIDF_DM_NS, "timestamp");
	reorder(d, device_rank, 4);
	return 0;
}

/*
 * Composition
 */

struct comp {
	xmlDoc *doc;
	xmlNode *root;
	struct ids ids;
	const struct pres_source **order;  /* by updated_ms */
	const struct pres_source **stable; /* by created_ms: tuple ids */
	size_t n;
};

static int src_cmp(const void *a, const void *b)
{
	const struct pres_source *x = *(const struct pres_source *const *)a;
	const struct pres_source *y = *(const struct pres_source *const *)b;
	int c;

	if (x->updated_ms != y->updated_ms)
		return x->updated_ms < y->updated_ms ? -1 : 1;
	c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
	if (c)
		return c;
	return (int)x->kind - (int)y->kind;
}

static uint64_t src_created(const struct pres_source *s)
{
	return s->created_ms ? s->created_ms : s->updated_ms;
}

static int src_cmp_created(const void *a, const void *b)
{
	const struct pres_source *x = *(const struct pres_source *const *)a;
	const struct pres_source *y = *(const struct pres_source *const *)b;
	int c;

	if (src_created(x) != src_created(y))
		return src_created(x) < src_created(y) ? -1 : 1;
	c = strcmp(x->id ? x->id : "", y->id ? y->id : "");
	if (c)
		return c;
	return (int)x->kind - (int)y->kind;
}

static xmlNode *src_root(const struct pres_source *s)
{
	return xmlDocGetRootElement(s->doc->doc);
}

/* Trimmed text of a and b equal, ignoring case. */
static bool same_text(const xmlNode *a, const xmlNode *b)
{
	xmlChar *ta, *tb;
	bool eq = false;

	if (!a || !b)
		return false;
	ta = xmlNodeGetContent(a);
	tb = xmlNodeGetContent(b);
	if (ta && tb) {
		char *x = (char *)ta, *y = (char *)tb;
		size_t lx, ly;

		while (*x == ' ' || *x == '\t' || *x == '\r' || *x == '\n')
			x++;
		while (*y == ' ' || *y == '\t' || *y == '\r' || *y == '\n')
			y++;
		lx = strlen(x);
		ly = strlen(y);
		while (lx && strchr(" \t\r\n", x[lx - 1]))
			lx--;
		while (ly && strchr(" \t\r\n", y[ly - 1]))
			ly--;
		eq = lx && lx == ly && !strncasecmp(x, y, lx);
	}
	xmlFree(ta);
	xmlFree(tb);
	return eq;
}

/* A registration tuple another source's tuple speaks for. */
static bool reg_covered(const struct comp *c, const xmlNode *t)
{
	const xmlNode *ct = pidf_child(t, PIDF_NS, "contact");
	const xmlNode *dv = pidf_child(t, PIDF_DM_NS, "deviceID");

	for (size_t i = 0; i < c->n; i++) {
		if (c->order[i]->kind == PRES_SRC_REGISTRATION)
			continue;
		for (xmlNode *o = pidf_first(src_root(c->order[i])); o;
		     o = pidf_next(o)) {
			if (!pidf_is(o, PIDF_NS, "tuple"))
				continue;
			if (same_text(ct, pidf_child(o, PIDF_NS, "contact")) ||
			    same_text(dv,
			              pidf_child(o, PIDF_DM_NS, "deviceID")))
				return true;
		}
	}
	return false;
}

/* Copy n into the result under the root, with a unique id (kind: 't',
 * 'p', 'd'; 0: no id). */
static int copy_in(struct comp *c, xmlNode **outp, const xmlNode *n, char kind,
                   const char *srcid)
{
	xmlNode *cp = xmlDocCopyNode((xmlNode *)n, c->doc, 1);
	const char *id;
	xmlChar *old;
	int err;

	if (!cp)
		return ENOMEM;
	if (kind) {
		old = pidf_attr(n, "id");
		err = id_unique(&c->ids, &id, (const char *)old, kind, srcid);
		xmlFree(old);
		if (!err &&
		    !xmlSetProp(cp, (const xmlChar *)"id", (const xmlChar *)id))
			err = ENOMEM;
		if (err) {
			xmlFreeNode(cp);
			return err;
		}
	}
	xmlAddChild(c->root, cp);
	*outp = cp;
	return 0;
}

static bool has_person(const struct pres_source *s)
{
	return pidf_child(src_root(s), PIDF_DM_NS, "person") != NULL;
}

static enum pres_avail src_person_avail(const struct pres_source *s)
{
	enum pres_avail a = PRES_AVAIL_AVAILABLE;

	for (xmlNode *p = pidf_first(src_root(s)); p; p = pidf_next(p)) {
		if (pidf_is(p, PIDF_DM_NS, "person") &&
		    pidf_person_avail(p) > a)
			a = pidf_person_avail(p);
	}
	return a;
}

static const struct pres_source *pick_person(const struct comp *c,
                                             enum pres_avail *ap)
{
	const struct pres_source *best = NULL;
	enum pres_avail ba = PRES_AVAIL_UNKNOWN;

	for (int reg = 0; reg < 2 && !best; reg++) {
		for (size_t i = 0; i < c->n; i++) {
			const struct pres_source *s = c->order[i];
			enum pres_avail a;

			if ((s->kind == PRES_SRC_REGISTRATION) != (bool)reg ||
			    !has_person(s))
				continue;
			a = src_person_avail(s);
			if (!best || a >= ba) {
				best = s;
				ba = a;
			}
		}
	}
	*ap = ba;
	return best;
}

static int add_tuples(struct comp *c, bool dnd)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct pres_source *s = c->stable[i];

		for (xmlNode *t = pidf_first(src_root(s)); t;
		     t = pidf_next(t)) {
			xmlNode *cp;
			int err;

			if (!pidf_is(t, PIDF_NS, "tuple") ||
			    (s->kind == PRES_SRC_REGISTRATION &&
			     reg_covered(c, t)))
				continue;
			err = copy_in(c, &cp, t, 't', s->id);
			if (!err)
				err = norm_tuple(cp, dnd);
			if (err)
				return err;
		}
	}
	return 0;
}

static int add_notes(struct comp *c, const struct pres_source *ps)
{
	const struct pres_source *ns = NULL;

	if (ps && pidf_child(src_root(ps), PIDF_NS, "note"))
		ns = ps;
	for (size_t i = c->n; i > 0 && !ns; i--) {
		if (pidf_child(src_root(c->order[i - 1]), PIDF_NS, "note"))
			ns = c->order[i - 1];
	}
	if (!ns)
		return 0;
	for (xmlNode *t = pidf_first(src_root(ns)); t; t = pidf_next(t)) {
		xmlNode *cp;
		int err;

		if (!pidf_is(t, PIDF_NS, "note"))
			continue;
		err = copy_in(c, &cp, t, 0, NULL);
		if (err)
			return err;
	}
	return 0;
}

static int add_persons(struct comp *c, const struct pres_source *ps)
{
	if (!ps)
		return 0;
	for (xmlNode *p = pidf_first(src_root(ps)); p; p = pidf_next(p)) {
		xmlNode *cp;
		int err;

		if (!pidf_is(p, PIDF_DM_NS, "person"))
			continue;
		err = copy_in(c, &cp, p, 'p', ps->id);
		if (!err)
			err = norm_person(cp);
		if (err)
			return err;
	}
	return 0;
}

/* The device of the most recent source with the same deviceID as d. */
static const xmlNode *device_winner(const struct comp *c, const xmlNode *d)
{
	const xmlNode *id = pidf_child(d, PIDF_DM_NS, "deviceID");
	const xmlNode *win = d;

	for (size_t i = 0; i < c->n; i++) {
		for (xmlNode *o = pidf_first(src_root(c->order[i])); o;
		     o = pidf_next(o)) {
			if (pidf_is(o, PIDF_DM_NS, "device") &&
			    same_text(id,
			              pidf_child(o, PIDF_DM_NS, "deviceID")))
				win = o;
		}
	}
	return win;
}

/* Was a device with d's deviceID met before d (in source order)? */
static bool device_seen(const struct comp *c, const xmlNode *d)
{
	const xmlNode *id = pidf_child(d, PIDF_DM_NS, "deviceID");

	for (size_t i = 0; i < c->n; i++) {
		for (xmlNode *o = pidf_first(src_root(c->order[i])); o;
		     o = pidf_next(o)) {
			if (o == d)
				return false;
			if (pidf_is(o, PIDF_DM_NS, "device") &&
			    same_text(id,
			              pidf_child(o, PIDF_DM_NS, "deviceID")))
				return true;
		}
	}
	return false;
}

static const char *src_of(const struct comp *c, const xmlNode *n)
{
	for (size_t i = 0; i < c->n; i++) {
		if (n->doc == c->order[i]->doc->doc)
			return c->order[i]->id;
	}
	return NULL;
}

static int add_devices(struct comp *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (xmlNode *d = pidf_first(src_root(c->order[i])); d;
		     d = pidf_next(d)) {
			const xmlNode *w;
			xmlNode *cp;
			int err;

			if (!pidf_is(d, PIDF_DM_NS, "device") ||
			    !pidf_child(d, PIDF_DM_NS, "deviceID") ||
			    device_seen(c, d))
				continue;
			w = device_winner(c, d);
			err = copy_in(c, &cp, w, 'd', src_of(c, w));
			if (!err)
				err = norm_device(cp);
			if (err)
				return err;
		}
	}
	return 0;
}

static int add_extensions(struct comp *c)
{
	for (size_t i = 0; i < c->n; i++) {
		for (xmlNode *e = pidf_first(src_root(c->order[i])); e;
		     e = pidf_next(e)) {
			xmlNode *cp;
			int err;

			if (!is_ext(e) || pidf_is(e, PIDF_DM_NS, "person") ||
			    pidf_is(e, PIDF_DM_NS, "device"))
				continue;
			err = copy_in(c, &cp, e, 0, NULL);
			if (err)
				return err;
		}
	}
	return 0;
}

int pres_compose(struct pidf **dp, const char *entity,
                 const struct pres_source *src, size_t n)
{
	struct comp c;
	const struct pres_source *ps;
	enum pres_avail pa;
	int err;

	if (!dp || !pidf_uri_valid(entity) || (n && !src))
		return EINVAL;
	/* nobody there: the same document a politely blocked watcher gets,
	 * so that one cannot tell being blocked from the presentity being
	 * offline (RFC 5025 3.2.1) */
	if (!n)
		return pidf_polite(dp, entity);
	for (size_t i = 0; i < n; i++) {
		if (!src[i].doc)
			return EINVAL;
	}
	memset(&c, 0, sizeof(c));
	if (n) {
		c.order = mem_alloc(n * sizeof(*c.order), NULL);
		if (!c.order)
			return ENOMEM;
		for (size_t i = 0; i < n; i++)
			c.order[i] = &src[i];
		qsort(c.order, n, sizeof(*c.order), src_cmp);
		c.stable = mem_alloc(n * sizeof(*c.stable), NULL);
		if (!c.stable) {
			mem_deref(c.order);
			return ENOMEM;
		}
		memcpy(c.stable, c.order, n * sizeof(*c.stable));
		qsort(c.stable, n, sizeof(*c.stable), src_cmp_created);
		c.n = n;
	}
	err = pidf_doc_new(&c.doc, entity);
	if (err)
		goto out;
	c.root = xmlDocGetRootElement(c.doc);
	ps = pick_person(&c, &pa);
	err = add_tuples(&c, ps && pa == PRES_AVAIL_DND);
	if (!err)
		err = add_notes(&c, ps);
	if (!err)
		err = add_persons(&c, ps);
	if (!err)
		err = add_devices(&c);
	if (!err)
		err = add_extensions(&c);
	if (!err) {
		pidf_strip_misc(c.doc);
		err = pidf_ns_tidy(c.doc);
	}
	if (!err) {
		err = pidf_wrap(dp, c.doc);
		c.doc = NULL;
	}
out:
	if (c.doc)
		xmlFreeDoc(c.doc);
	ids_reset(&c.ids);
	mem_deref(c.order);
	mem_deref(c.stable);
	return err;
}

/*
 * Documents from specifications
 */

static bool utf8_ok(const char *s)
{
	return !s || xmlCheckUTF8((const unsigned char *)s);
}

static int add_text(xmlNode *parent, xmlNs *ns, const char *name,
                    const char *text)
{
	return xmlNewTextChild(parent, ns, (const xmlChar *)name,
	                       (const xmlChar *)text)
	           ? 0
	           : ENOMEM;
}

static int add_servcaps(xmlNode *t, xmlNs *caps, uint32_t bits)
{
	/* RFC 5196 schema order */
	static const struct {
		uint32_t bit;
		const char *name;
	} bools[] = {
	    {PIDF_CAP_APPLICATION, "application"},
	    {PIDF_CAP_AUDIO, "audio"},
	    {PIDF_CAP_AUTOMATA, "automata"},
	    {PIDF_CAP_CONTROL, "control"},
	    {PIDF_CAP_MESSAGE, NULL}, /* methods */
	    {PIDF_CAP_TEXT, "text"},
	    {PIDF_CAP_VIDEO, "video"},
	};
	xmlNode *sc, *m, *sup;

	sc = xmlNewChild(t, caps, (const xmlChar *)"servcaps", NULL);
	if (!sc)
		return ENOMEM;
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		if (!(bits & bools[i].bit))
			continue;
		if (bools[i].name) {
			if (add_text(sc, caps, bools[i].name, "true"))
				return ENOMEM;
			continue;
		}
		m = xmlNewChild(sc, caps, (const xmlChar *)"methods", NULL);
		sup =
		    m ? xmlNewChild(m, caps, (const xmlChar *)"supported", NULL)
		      : NULL;
		if (!sup ||
		    !xmlNewChild(sup, caps, (const xmlChar *)"MESSAGE", NULL))
			return ENOMEM;
	}
	return 0;
}

static int add_device(xmlNode *root, xmlNs *dm, xmlNs *caps, struct ids *ids,
                      const struct pidf_tuple_spec *ts)
{
	xmlNode *d, *dc, *mob, *sup;
	const char *id;
	char *base;
	size_t size = strlen(ts->id) + 8;
	int err;

	for (xmlNode *o = pidf_first(root); o; o = pidf_next(o)) {
		if (pidf_is(o, PIDF_DM_NS, "device") &&
		    pidf_text_eq(pidf_child(o, PIDF_DM_NS, "deviceID"),
		                 ts->deviceid, false))
			return 0;
	}
	base = mem_alloc(size, NULL);
	if (!base)
		return ENOMEM;
	snprintf(base, size, "dev-%s", ts->id);
	err = id_unique(ids, &id, base, 'd', ts->id);
	mem_deref(base);
	if (err)
		return err;
	d = xmlNewChild(root, dm, (const xmlChar *)"device", NULL);
	if (!d || !xmlSetProp(d, (const xmlChar *)"id", (const xmlChar *)id))
		return ENOMEM;
	dc = xmlNewChild(d, caps, (const xmlChar *)"devcaps", NULL);
	mob = dc ? xmlNewChild(dc, caps, (const xmlChar *)"mobility", NULL)
	         : NULL;
	sup = mob ? xmlNewChild(mob, caps, (const xmlChar *)"supported", NULL)
	          : NULL;
	if (!sup)
		return ENOMEM;
	if ((ts->caps & PIDF_CAP_MOBILITY_FIXED) &&
	    !xmlNewChild(sup, caps, (const xmlChar *)"fixed", NULL))
		return ENOMEM;
	if ((ts->caps & PIDF_CAP_MOBILITY_MOBILE) &&
	    !xmlNewChild(sup, caps, (const xmlChar *)"mobile", NULL))
		return ENOMEM;
	return add_text(d, dm, "deviceID", ts->deviceid);
}

static int add_tuple(xmlNode *root, xmlNs *dm, xmlNs *caps,
                     const struct pidf_tuple_spec *ts)
{
	const uint32_t sc_bits =
	    PIDF_CAP_AUDIO | PIDF_CAP_VIDEO | PIDF_CAP_TEXT | PIDF_CAP_MESSAGE |
	    PIDF_CAP_APPLICATION | PIDF_CAP_CONTROL | PIDF_CAP_AUTOMATA;
	xmlNode *t, *st, *ct;
	char v[40];

	t = xmlNewChild(root, root->ns, (const xmlChar *)"tuple", NULL);
	if (!t ||
	    !xmlSetProp(t, (const xmlChar *)"id", (const xmlChar *)ts->id))
		return ENOMEM;
	st = xmlNewChild(t, root->ns, (const xmlChar *)"status", NULL);
	if (!st ||
	    add_text(st, root->ns, "basic", ts->open ? "open" : "closed"))
		return ENOMEM;
	if ((ts->caps & sc_bits) && add_servcaps(t, caps, ts->caps))
		return ENOMEM;
	if (ts->deviceid && add_text(t, dm, "deviceID", ts->deviceid))
		return ENOMEM;
	if (ts->contact) {
		ct = xmlNewTextChild(t, root->ns, (const xmlChar *)"contact",
		                     (const xmlChar *)ts->contact);
		if (!ct)
			return ENOMEM;
		if (ts->priority) {
			if (ts->priority >= 1000) {
				snprintf(v, sizeof(v), "1");
			} else {
				size_t l;

				snprintf(v, sizeof(v), "0.%03u",
				         (unsigned)ts->priority);
				l = strlen(v);
				while (v[l - 1] == '0')
					v[--l] = '\0';
			}
			if (!xmlSetProp(ct, (const xmlChar *)"priority",
			                (const xmlChar *)v))
				return ENOMEM;
		}
	}
	if (ts->note && add_text(t, root->ns, "note", ts->note))
		return ENOMEM;
	if (ts->timestamp_s) {
		time_t tt = (time_t)ts->timestamp_s;
		struct tm tm;

		if (!gmtime_r(&tt, &tm) ||
		    !strftime(v, sizeof(v), "%Y-%m-%dT%H:%M:%SZ", &tm))
			return EINVAL;
		if (add_text(t, root->ns, "timestamp", v))
			return ENOMEM;
	}
	return 0;
}

static int spec_check(const struct pidf_tuple_spec *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!pidf_id_valid(t[i].id) || t[i].priority > 1000 ||
		    !utf8_ok(t[i].contact) || !utf8_ok(t[i].note) ||
		    !utf8_ok(t[i].deviceid) ||
		    (t[i].deviceid && !pidf_uri_valid(t[i].deviceid)))
			return EINVAL;
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(t[i].id, t[j].id))
				return EINVAL;
		}
	}
	return 0;
}

int pidf_build(struct pidf **dp, const char *entity,
               const struct pidf_tuple_spec *tuples, size_t n)
{
	struct ids ids;
	xmlDoc *doc = NULL;
	xmlNode *root;
	xmlNs *dm, *caps;
	int err;

	if (!dp || !pidf_uri_valid(entity) || (n && !tuples))
		return EINVAL;
	err = spec_check(tuples, n);
	if (err)
		return err;
	memset(&ids, 0, sizeof(ids));
	for (size_t i = 0; i < n && !err; i++) {
		char *id;

		err = mem_strdup(&id, tuples[i].id);
		if (!err) {
			err = ids_take(&ids, id);
			if (err)
				mem_deref(id);
		}
	}
	if (!err)
		err = pidf_doc_new(&doc, entity);
	if (err)
		goto out;
	root = xmlDocGetRootElement(doc);
	dm = xmlNewNs(root, (const xmlChar *)PIDF_DM_NS, (const xmlChar *)"dm");
	caps = xmlNewNs(root, (const xmlChar *)PIDF_CAPS_NS,
	                (const xmlChar *)"caps");
	if (!dm || !caps) {
		err = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = add_tuple(root, dm, caps, &tuples[i]);
	for (size_t i = 0; i < n && !err; i++) {
		if (tuples[i].deviceid &&
		    (tuples[i].caps &
		     (PIDF_CAP_MOBILITY_FIXED | PIDF_CAP_MOBILITY_MOBILE)))
			err = add_device(root, dm, caps, &ids, &tuples[i]);
	}
	if (!err)
		err = pidf_ns_tidy(doc);
	if (!err) {
		err = pidf_wrap(dp, doc);
		doc = NULL;
	}
out:
	if (doc)
		xmlFreeDoc(doc);
	ids_reset(&ids);
	return err;
}

int pidf_polite(struct pidf **dp, const char *entity)
{
	const struct pidf_tuple_spec t = {.id = "t0", .open = false};

	return pidf_build(dp, entity, &t, 1);
}

/*
 * Feature tags (RFC 3840 9)
 */

static bool tok_eq(const char *p, size_t l, const char *s)
{
	return l == strlen(s) && !strncasecmp(p, s, l);
}

/* Does the comma list v[0..l) hold token s (not negated with "!")? */
static bool list_has(const char *v, size_t l, const char *s)
{
	size_t i = 0;

	while (i < l) {
		size_t b, e;

		while (i < l && (v[i] == ' ' || v[i] == ','))
			i++;
		b = i;
		while (i < l && v[i] != ',')
			i++;
		e = i;
		while (e > b && v[e - 1] == ' ')
			e--;
		if (tok_eq(v + b, e - b, s))
			return true;
	}
	return false;
}

uint32_t pidf_caps_from_params(const char *params)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} bools[] = {
	    {"audio", PIDF_CAP_AUDIO},
	    {"video", PIDF_CAP_VIDEO},
	    {"text", PIDF_CAP_TEXT},
	    {"application", PIDF_CAP_APPLICATION},
	    {"control", PIDF_CAP_CONTROL},
	    {"automata", PIDF_CAP_AUTOMATA},
	};
	const char *p = params;
	uint32_t caps = 0;

	if (!p)
		return 0;
	while (*p) {
		const char *name, *val = NULL;
		size_t nl, vl = 0;

		while (*p == ';' || *p == ' ' || *p == '\t')
			p++;
		name = p;
		while (*p && *p != '=' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		nl = (size_t)(p - name);
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '=') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '"') {
				val = ++p;
				while (*p && *p != '"') {
					if (*p == '\\' && p[1])
						p++;
					p++;
				}
				vl = (size_t)(p - val);
				if (*p == '"')
					p++;
			} else {
				val = p;
				while (*p && *p != ';')
					p++;
				vl = (size_t)(p - val);
				while (vl && (val[vl - 1] == ' ' ||
				              val[vl - 1] == '\t'))
					vl--;
			}
		}
		while (*p && *p != ';')
			p++; /* junk after a value */
		if (!nl)
			continue;
		for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
			if (!tok_eq(name, nl, bools[i].name))
				continue;
			if (!val || !(tok_eq(val, vl, "FALSE") ||
			              tok_eq(val, vl, "!TRUE")))
				caps |= bools[i].bit;
		}
		if (tok_eq(name, nl, "methods") && val &&
		    list_has(val, vl, "MESSAGE"))
			caps |= PIDF_CAP_MESSAGE;
		if (tok_eq(name, nl, "mobility") && val) {
			if (list_has(val, vl, "fixed"))
				caps |= PIDF_CAP_MOBILITY_FIXED;
			if (list_has(val, vl, "mobile"))
				caps |= PIDF_CAP_MOBILITY_MOBILE;
		}
	}
	return caps;
}
