/* presence/transform.c - what one watcher may see: the presence rules
 * transformations (RFC 5025 3.3) applied to a presence document
 *
 * - <presence> and its entity stay; its notes follow provide-note; other
 *   top-level extension elements are unknown attributes.
 * - Tuples (services) are kept by provide-services: all, or an item
 *   "class:NAME" (the tuple's <rpid:class>), "occurrence-id:ID" (its id),
 *   "uri:URI" (its contact) or "uri-scheme:SCHEME" (its contact's scheme,
 *   any case). Persons by provide-persons ("class:", "occurrence-id:"),
 *   devices by provide-devices ("class:", "occurrence-id:", "deviceID:").
 * - Inside a kept element, the attributes: status with basic, contact and
 *   timestamp always stay (a device keeps its deviceID, which identifies
 *   it); notes follow provide-note (<note>, <dm:note>, and <rpid:note>
 *   inside kept RPID elements); the RPID elements and a tuple's
 *   <dm:deviceID> follow their provide-* bit; user-input follows its
 *   level (bare-minimum: the value only; thresholds: plus idle-threshold;
 *   full: plus last-input); every other element is an unknown attribute
 *   kept when provide-unknown-attribute names its namespace and name
 *   ("NS-URI name"). provide-all-attributes keeps all of them.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "pidf_int.h"

static const struct {
	const char *name;
	uint32_t bit;
} rpid_attrs[] = {
    {"activities", PRES_ATTR_ACTIVITIES},
    {"class", PRES_ATTR_CLASS},
    {"mood", PRES_ATTR_MOOD},
    {"place-is", PRES_ATTR_PLACE_IS},
    {"place-type", PRES_ATTR_PLACE_TYPE},
    {"privacy", PRES_ATTR_PRIVACY},
    {"relationship", PRES_ATTR_RELATIONSHIP},
    {"status-icon", PRES_ATTR_STATUS_ICON},
    {"sphere", PRES_ATTR_SPHERE},
    {"time-offset", PRES_ATTR_TIME_OFFSET},
};

enum kind {
	K_ROOT,
	K_TUPLE,
	K_STATUS,
	K_PERSON,
	K_DEVICE,
};

/* The value of a "type:value" item, or NULL when item is not of type. */
static const char *item_val(const char *item, const char *type)
{
	size_t tl = strlen(type);

	if (!item || strncmp(item, type, tl) || item[tl] != ':')
		return NULL;
	return item + tl + 1;
}

/* The trimmed text of n has scheme "scheme:". */
static bool scheme_is(const xmlNode *n, const char *scheme)
{
	xmlChar *c = n ? xmlNodeGetContent(n) : NULL;
	const char *p = (const char *)c, *colon;
	size_t l = strlen(scheme);
	bool ok = false;

	if (!c)
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	colon = strchr(p, ':');
	ok = l && colon && (size_t)(colon - p) == l &&
	     !strncasecmp(p, scheme, l);
	xmlFree(c);
	return ok;
}

static bool item_match(const xmlNode *el, enum kind k, const char *it)
{
	const char *v;
	xmlChar *id;
	bool ok;

	if ((v = item_val(it, "class")))
		return pidf_text_eq(pidf_child(el, PIDF_RPID_NS, "class"), v,
		                    false);
	if ((v = item_val(it, "occurrence-id"))) {
		id = pidf_attr(el, "id");
		ok = id && !strcmp((const char *)id, v);
		xmlFree(id);
		return ok;
	}
	if (k == K_DEVICE && (v = item_val(it, "deviceID")))
		return pidf_text_eq(pidf_child(el, PIDF_DM_NS, "deviceID"), v,
		                    true);
	if (k == K_TUPLE && (v = item_val(it, "uri")))
		return pidf_text_eq(pidf_child(el, PIDF_NS, "contact"), v,
		                    false);
	if (k == K_TUPLE && (v = item_val(it, "uri-scheme")))
		return scheme_is(pidf_child(el, PIDF_NS, "contact"), v);
	return false;
}

static bool wanted(const xmlNode *el, enum kind k,
                   const struct pres_perm_set *set)
{
	if (set->all)
		return true;
	for (uint32_t i = 0; set->items && i < set->n; i++) {
		if (item_match(el, k, set->items[i]))
			return true;
	}
	return false;
}

static bool unknown_ok(const xmlNode *c, const struct pres_perm *perm)
{
	const struct pres_perm_set *u = &perm->unknown;
	const char *ns = c->ns && c->ns->href ? (const char *)c->ns->href : "";
	size_t nl = strlen(ns);

	if (u->all)
		return true;
	for (uint32_t i = 0; u->items && i < u->n; i++) {
		const char *it = u->items[i];

		if (it && !strncmp(it, ns, nl) && it[nl] == ' ' &&
		    !strcmp(it + nl + 1, (const char *)c->name))
			return true;
	}
	return false;
}

static void drop_notes(xmlNode *el)
{
	for (xmlNode *c = pidf_first(el), *next; c; c = next) {
		next = pidf_next(c);
		if (pidf_is(c, PIDF_RPID_NS, "note"))
			pidf_drop(c);
	}
}

/* user-input per level; false when the element goes. */
static bool user_input(xmlNode *c, enum pres_user_input ui)
{
	switch (ui) {
	case PRES_UI_FULL:
		return true;
	case PRES_UI_BARE_MINIMUM:
		xmlUnsetProp(c, (const xmlChar *)"idle-threshold");
		/* fall through */
	case PRES_UI_THRESHOLDS:
		xmlUnsetProp(c, (const xmlChar *)"last-input");
		return true;
	default:
		return false;
	}
}

/* Keep c, a child of an element of kind k? */
static bool keep_attr(xmlNode *c, enum kind k, const struct pres_perm *perm)
{
	const uint32_t a = perm->attrs;
	bool note = a & PRES_ATTR_NOTE;

	switch (k) {
	case K_ROOT:
		if (pidf_is(c, PIDF_NS, "note"))
			return note;
		break;
	case K_TUPLE:
		if (pidf_is(c, PIDF_NS, "status") ||
		    pidf_is(c, PIDF_NS, "contact") ||
		    pidf_is(c, PIDF_NS, "timestamp"))
			return true;
		if (pidf_is(c, PIDF_NS, "note"))
			return note;
		if (pidf_is(c, PIDF_DM_NS, "deviceID"))
			return a & PRES_ATTR_DEVICEID;
		break;
	case K_STATUS:
		if (pidf_is(c, PIDF_NS, "basic"))
			return true;
		break;
	case K_PERSON:
	case K_DEVICE:
		if (pidf_is(c, PIDF_DM_NS, "timestamp") ||
		    (k == K_DEVICE && pidf_is(c, PIDF_DM_NS, "deviceID")))
			return true;
		if (pidf_is(c, PIDF_DM_NS, "note"))
			return note;
		break;
	}
	if (pidf_in_ns(c, PIDF_RPID_NS)) {
		if (!strcmp((const char *)c->name, "user-input"))
			return user_input(c, perm->user_input);
		for (size_t i = 0;
		     i < sizeof(rpid_attrs) / sizeof(rpid_attrs[0]); i++) {
			if (strcmp(rpid_attrs[i].name, (const char *)c->name))
				continue;
			if (!(a & rpid_attrs[i].bit))
				return false;
			if (!note)
				drop_notes(c);
			return true;
		}
	}
	return unknown_ok(c, perm);
}

static void filter(xmlNode *el, enum kind k, const struct pres_perm *perm)
{
	for (xmlNode *c = pidf_first(el), *next; c; c = next) {
		next = pidf_next(c);
		if (!keep_attr(c, k, perm)) {
			pidf_drop(c);
			continue;
		}
		if (k == K_TUPLE && pidf_is(c, PIDF_NS, "status"))
			filter(c, K_STATUS, perm);
	}
}

int pres_transform(struct pidf **dp, const struct pidf *in,
                   const struct pres_perm *perm)
{
	const bool all = perm && (perm->attrs & PRES_ATTR_ALL);
	xmlDoc *doc;
	xmlNode *root;
	int err;

	if (!dp || !in || !perm)
		return EINVAL;
	doc = xmlCopyDoc(in->doc, 1);
	if (!doc)
		return ENOMEM;
	pidf_strip_misc(doc);
	root = xmlDocGetRootElement(doc);
	for (xmlNode *c = pidf_first(root), *next; c; c = next) {
		enum kind k;
		const struct pres_perm_set *set;

		next = pidf_next(c);
		if (pidf_is(c, PIDF_NS, "tuple")) {
			k = K_TUPLE;
			set = &perm->services;
		} else if (pidf_is(c, PIDF_DM_NS, "person")) {
			k = K_PERSON;
			set = &perm->persons;
		} else if (pidf_is(c, PIDF_DM_NS, "device")) {
			k = K_DEVICE;
			set = &perm->devices;
		} else {
			if (!all && !keep_attr(c, K_ROOT, perm))
				pidf_drop(c);
			continue;
		}
		if (!wanted(c, k, set))
			pidf_drop(c);
		else if (!all)
			filter(c, k, perm);
	}
	err = pidf_ns_tidy(doc);
	if (err) {
		xmlFreeDoc(doc);
		return err;
	}
	return pidf_wrap(dp, doc);
}
