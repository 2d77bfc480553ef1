/* xcap/usage.c - XCAP application usages (RFC 4825 5, 12): resource-lists
 * and rls-services (RFC 4826 3.4, 4.4), pres-rules (RFC 5025 9), impd's
 * IM rules; XML Schema validation and the constraints beyond it */
#include "usage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/xml.h"
#include "../list/rlist.h"
#include "../presence/rules.h"
#include "../sip/msg.h"
#include "xops.h"
#include "xsd/xsd.h"

#define CAPS_NS      "urn:ietf:params:xml:ns:xcap-caps"
#define XCAP_ERR_NS  "urn:ietf:params:xml:ns:xcap-error"
#define AUTH_POLICY  "application/auth-policy+xml"
#define CP_FIELD_ID  "cp:ruleset/cp:rule/@id"
#define RLS_FIELD_ID "rls-services/service/@uri"
#define NALT         3   /* alternative service URIs offered */
#define ALT_TRIES    100 /* candidates tried for them */

/* ---- the usages ---- */

enum { U_CAPS, U_RLIST, U_RLS, U_PRES, U_IM, U_N };

static const struct xcap_usage usages[U_N] = {
    [U_CAPS] = {"xcap-caps", "application/xcap-caps+xml", CAPS_NS, NULL, false,
                true, false},
    /* RFC 4826 3.4: "index" is only the usual name */
    [U_RLIST] = {RLIST_AUID, RLIST_CTYPE, RLIST_NS, NULL, true, false, false},
    /* RFC 4826 4.4: one "index" per user; the global index (the union)
     * is for the RLS only */
    [U_RLS] = {RLS_AUID, "application/rls-services+xml", RLS_NS, RLS_DOC_NAME,
               true, true, true},
    /* RFC 5025 9: default namespace pres-rules; impd reads "index" */
    [U_PRES] = {PRES_RULES_AUID, AUTH_POLICY, PRES_RULES_NS, "index", true,
                false, false},
    /* doc/im.md: the same shape, impd's IM namespace by default */
    [U_IM] = {"impd-im-rules", AUTH_POLICY, IM_RULES_NS, "index", true, false,
              false},
};

static const struct xcap_usage *const usage_list[U_N + 1] = {
    &usages[U_CAPS], &usages[U_RLIST], &usages[U_RLS],
    &usages[U_PRES], &usages[U_IM],    NULL,
};

/* What each usage's documents look like. */
static const struct {
	const char *xsd;  /* the schema compiled for it (imports the rest) */
	const char *root; /* root element and its namespace */
	const char *root_ns;
} specs[U_N] = {
    [U_CAPS] = {"xcap-caps.xsd", "xcap-caps", CAPS_NS},
    [U_RLIST] = {"resource-lists.xsd", "resource-lists", RLIST_NS},
    [U_RLS] = {"rls-services.xsd", "rls-services", RLS_NS},
    [U_PRES] = {"pres-rules.xsd", "ruleset", PRES_CP_NS},
    [U_IM] = {"im-rules.xsd", "ruleset", PRES_CP_NS},
};

const struct xcap_usage *const *xcap_usages(void)
{
	return usage_list;
}

const struct xcap_usage *xcap_usage_find(const char *auid)
{
	for (int i = 0; auid && i < U_N; i++) {
		if (!strcmp(usages[i].auid, auid))
			return &usages[i];
	}
	return NULL;
}

static int usage_index(const struct xcap_usage *u)
{
	for (int i = 0; i < U_N; i++) {
		if (u == &usages[i] ||
		    (u && u->auid && !strcmp(u->auid, usages[i].auid)))
			return i;
	}
	return -1;
}

/* ---- libxml2 errors ---- */

/* The first error libxml2 reports while compiling or validating. */
struct lxerr {
	bool set;
	bool nomem;
	long line;
	char msg[300];
};

/* Copy a libxml2 message, shortened for a phrase: "Element" starts
 * lower case, "{namespace}" before names goes, and so do the trailing
 * newline and full stop. */
static void tidy(char *out, size_t size, const char *msg)
{
	const char *p = msg;
	size_t k = 0;

	if (!size)
		return;
	if (!strncmp(p, "Element '", 9)) {
		snprintf(out, size, "element '");
		k = strlen(out);
		p += 9;
	}
	while (*p && k + 1 < size) {
		if (*p == '{') {
			size_t n = strcspn(p + 1, "} \t\r\n'\"");
			char c = p[1 + n] == '}' ? p[2 + n] : '\0';

			if (n &&
			    ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     c == '_' || c == '*')) {
				p += n + 2;
				continue;
			}
		}
		out[k++] = *p++;
	}
	while (k && strchr(" \t\r\n.", out[k - 1]))
		k--;
	out[k] = '\0';
}

#if LIBXML_VERSION >= 21200
static void lx_error_h(void *arg, const xmlError *xe)
#else
static void lx_error_h(void *arg, xmlErrorPtr xe)
#endif
{
	struct lxerr *le = arg;

	if (!le || !xe || xe->level < XML_ERR_ERROR)
		return;
	if (xe->code == XML_ERR_NO_MEMORY)
		le->nomem = true;
	if (le->set)
		return;
	le->set = true;
	le->line = xe->line;
	if (le->line <= 0 && xe->node &&
	    ((xmlNodePtr)xe->node)->type == XML_ELEMENT_NODE)
		le->line = xmlGetLineNo(xe->node);
	tidy(le->msg, sizeof(le->msg), xe->message ? xe->message : "invalid");
}

/* ---- compiling the schemas ---- */

struct xcap_schemas {
	xmlSchemaPtr s[U_N];
};

static void schemas_destroy(void *data)
{
	struct xcap_schemas *sc = data;

	for (int i = 0; i < U_N; i++) {
		if (sc->s[i])
			xmlSchemaFree(sc->s[i]);
	}
}

static const struct xcap_xsd *xsd_find(const char *name)
{
	const char *slash;

	if (!name)
		return NULL;
	slash = strrchr(name, '/');
	if (slash)
		name = slash + 1;
	for (const struct xcap_xsd *x = xcap_xsds; x->name; x++) {
		if (!strcmp(x->name, name))
			return x;
	}
	return NULL;
}

/* The entity loader while the schemas compile: an <xs:import> gets the
 * built-in schema of that file name, anything else nothing (no file, no
 * network). */
static xmlParserInputPtr xsd_loader(const char *url, const char *id,
                                    xmlParserCtxtPtr ctxt)
{
	const struct xcap_xsd *x = xsd_find(url);
	xmlParserInputPtr in;

	(void)id;
	if (!x)
		return NULL;
	in = xmlNewStringInputStream(ctxt, (const xmlChar *)x->text);
	if (in && !in->filename)
		in->filename = (char *)xmlStrdup((const xmlChar *)x->name);
	return in;
}

static int compile(xmlSchemaPtr *sp, const char *name)
{
	const struct xcap_xsd *x = xsd_find(name);
	struct lxerr le = {0};
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr s;

	if (!x || x->len > INT_MAX)
		return EINVAL;
	pc = xmlSchemaNewMemParserCtxt(x->text, (int)x->len);
	if (!pc)
		return ENOMEM;
	xmlSchemaSetParserStructuredErrors(pc, lx_error_h, &le);
	s = xmlSchemaParse(pc);
	xmlSchemaFreeParserCtxt(pc);
	if (!s || le.set) {
		if (s)
			xmlSchemaFree(s);
		return le.nomem ? ENOMEM : EINVAL;
	}
	*sp = s;
	return 0;
}

int xcap_schemas_alloc(struct xcap_schemas **sp)
{
	xmlExternalEntityLoader prev;
	struct xcap_schemas *sc;
	int err = 0;

	if (!sp)
		return EINVAL;
	sc = mem_zalloc(sizeof(*sc), schemas_destroy);
	if (!sc)
		return ENOMEM;
	/* process-wide: done once, before the loop runs */
	prev = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(xsd_loader);
	for (int i = 0; i < U_N && !err; i++)
		err = compile(&sc->s[i], specs[i].xsd);
	xmlSetExternalEntityLoader(prev);
	if (err) {
		mem_deref(sc);
		return err;
	}
	*sp = sc;
	return 0;
}

/* ---- small helpers ---- */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns) &&
	       (!name || !strcmp((const char *)n->name, name));
}

static long line_of(const xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 ? l : 1;
}

/* An attribute without namespace as a mem string, XML white space off
 * both ends when trim (anyURI and NCName values collapse). ENOENT when
 * absent. */
static int attr_dup(char **sp, const xmlNode *n, const char *name, bool trim)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int err;

	if (!v)
		return xmlHasNsProp(n, (const xmlChar *)name, NULL) ? ENOMEM
		                                                    : ENOENT;
	err = mem_strdup(sp, trim ? xml_trim(v) : (const char *)v);
	xmlFree(v);
	return err;
}

/* The text content of an element, trimmed, as a mem string. */
static int text_dup(char **sp, const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	int err;

	if (!v)
		return mem_strdup(sp, "");
	err = mem_strdup(sp, xml_trim(v));
	xmlFree(v);
	return err;
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append p[0..n) to b with %HH undone; lowercased when icase. */
static int put_unesc(struct buf *b, const struct pl *pl, bool icase)
{
	int err = 0;

	for (size_t i = 0; pl->p && i < pl->l && !err; i++) {
		int c = (uint8_t)pl->p[i];

		if (c == '%' && pl->l - i >= 3 && hexval(pl->p[i + 1]) >= 0 &&
		    hexval(pl->p[i + 2]) >= 0) {
			c = hexval(pl->p[i + 1]) * 16 + hexval(pl->p[i + 2]);
			i += 2;
		}
		err = buf_write_u8(b, (uint8_t)(icase ? lower(c) : c));
	}
	return err;
}

/* ---- duplicates ---- */

/* One value that must be unique among its siblings. */
struct item {
	char *v;   /* the value (mem) */
	char *key; /* sort key: equal values have equal keys (mem) */
	uint32_t idx;
	const xmlNode *n;
};

struct items {
	struct item *it; /* mem array */
	uint32_t n, size;
};

static void items_reset(struct items *is)
{
	for (uint32_t i = 0; i < is->n; i++) {
		mem_deref(is->it[i].v);
		mem_deref(is->it[i].key);
	}
	is->it = mem_deref(is->it);
	is->n = is->size = 0;
}

/* A bucket key for URI comparison the rlist_uri_eq way (RFC 3261 19.1.4
 * for sip/sips: unescaped user and password, host without case, port,
 * the user/ttl/method/maddr/transport parameters, headers): URIs that
 * compare equal get equal keys, so sorting by key puts them side by side
 * and rlist_uri_eq then decides. Anything else: the scheme without case
 * and the rest as written. */
static int uri_key(char **keyp, const char *uri)
{
	static const char *const params[] = {"user", "ttl", "method", "maddr",
	                                     "transport"};
	const char *colon = strchr(uri, ':');
	struct sip_uri su;
	struct buf *b = NULL;
	struct pl pl;
	int err;

	err = buf_alloc(&b, strlen(uri) + 16);
	if (err)
		return err;
	pl_set_str(&pl, uri);
	if (colon && !sip_uri_decode(&su, &pl, NULL) && su.is_sip) {
		err = buf_write_str(b, su.sips ? "sips:" : "sip:");
		if (!err)
			err = put_unesc(b, &su.user, false);
		if (!err)
			err = buf_write_u8(b, ':');
		if (!err)
			err = put_unesc(b, &su.password, false);
		if (!err && su.af == AF_INET6 && su.host.l < 64) {
			char h[64], out[INET6_ADDRSTRLEN];
			uint8_t a6[16];

			memcpy(h, su.host.p, su.host.l);
			h[su.host.l] = '\0';
			if (inet_pton(AF_INET6, h, a6) == 1 &&
			    inet_ntop(AF_INET6, a6, out, sizeof(out)))
				err = buf_printf(b, "@[%s]", out);
			else
				err = buf_printf(b, "@[%s]", h);
		} else if (!err) {
			err = buf_write_u8(b, '@');
			if (!err)
				err = put_unesc(b, &su.host, true);
		}
		if (!err)
			err = buf_printf(b, ":%u", su.port);
		for (size_t i = 0; !err && i < sizeof(params) / sizeof(*params);
		     i++) {
			struct pl v;

			if (sip_param_get(&su.params, params[i], &v))
				continue;
			err = buf_printf(b, ";%s=", params[i]);
			if (!err)
				err = put_unesc(b, &v, true);
		}
		if (!err)
			err = buf_printf(b, "?%.*s", (int)su.headers.l,
			                 su.headers.p ? su.headers.p : "");
	} else if (colon) {
		struct pl scheme = {uri, (size_t)(colon - uri)};

		err = put_unesc(b, &scheme, true);
		if (!err)
			err = buf_write_str(b, colon);
	} else {
		err = buf_write_str(b, uri);
	}
	if (!err)
		err = buf_write_u8(b, '\0');
	if (!err)
		err = mem_strdup(keyp, (const char *)b->b);
	mem_deref(b);
	return err;
}

/* Add v (the reference moves to is; freed on failure too). */
static int items_add(struct items *is, char *v, bool uri, const xmlNode *n)
{
	struct item *it;
	int err;

	if (is->n == is->size) {
		uint32_t size = is->size ? is->size * 2 : 8;
		struct item *a = is->it ? mem_realloc(is->it, size * sizeof(*a))
		                        : mem_alloc(size * sizeof(*a), NULL);

		if (!a) {
			mem_deref(v);
			return ENOMEM;
		}
		is->it = a;
		is->size = size;
	}
	it = &is->it[is->n];
	memset(it, 0, sizeof(*it));
	it->v = v;
	it->idx = is->n;
	it->n = n;
	if (uri) {
		err = uri_key(&it->key, v);
		if (err) {
			mem_deref(v);
			return err;
		}
	} else {
		it->key = mem_ref(v);
	}
	is->n++;
	return 0;
}

static int item_cmp(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	int r = strcmp(a->key, b->key);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

static int idx_cmp(const void *x, const void *y)
{
	const struct item *a = x, *b = y;

	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

static bool same(const struct item *a, const struct item *b, bool uri)
{
	return uri ? rlist_uri_eq(a->v, b->v) : !strcmp(a->v, b->v);
}

/* The duplicate that comes first in document order: *second repeats
 * *first. False when every value is unique. Reorders is->it, then puts
 * it back in document order. */
static bool find_dup(struct items *is, bool uri, uint32_t *first,
                     uint32_t *second)
{
	uint32_t a = 0;
	bool found = false;

	if (is->n < 2)
		return false;
	qsort(is->it, is->n, sizeof(*is->it), item_cmp);
	while (a < is->n) {
		uint32_t b = a + 1;

		while (b < is->n && !strcmp(is->it[a].key, is->it[b].key))
			b++;
		/* a run of equal keys, in document order */
		for (uint32_t j = a + 1; j < b; j++) {
			for (uint32_t i = a; i < j; i++) {
				if (!same(&is->it[i], &is->it[j], uri))
					continue;
				if (!found || is->it[j].idx < *second) {
					*first = is->it[i].idx;
					*second = is->it[j].idx;
					found = true;
				}
				break;
			}
		}
		a = b;
	}
	qsort(is->it, is->n, sizeof(*is->it), idx_cmp);
	return found;
}

/* ---- validation state ---- */

struct vstate {
	const struct xcap_vctx *vc;
	struct xcap_err *e;
	struct buf *path; /* node selector of the element being checked */
};

static int set_field(struct vstate *vs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* e->field = the current path + the formatted rest. */
static int set_field(struct vstate *vs, const char *fmt, ...)
{
	size_t end = vs->path->end;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = buf_vprintf(vs->path, fmt, ap);
	va_end(ap);
	if (!err)
		err = buf_write_u8(vs->path, '\0');
	if (!err) {
		vs->e->field = mem_deref(vs->e->field);
		err = mem_strdup(&vs->e->field, (const char *)vs->path->b);
	}
	vs->path->pos = vs->path->end = end;
	return err;
}

/* Append one step to the path: name[@att="v"] (or with single quotes
 * when v holds a double quote), else name[pos]. */
static int path_step(struct vstate *vs, const char *name, const char *att,
                     const char *v, uint32_t pos)
{
	if (att && v && !strchr(v, '"'))
		return buf_printf(vs->path, "/%s[@%s=\"%s\"]", name, att, v);
	if (att && v && !strchr(v, '\''))
		return buf_printf(vs->path, "/%s[@%s='%s']", name, att, v);
	if (pos)
		return buf_printf(vs->path, "/%s[%u]", name, pos);
	return buf_printf(vs->path, "/%s", name);
}

/* ---- resource lists (RFC 4826 3.4.3) ---- */

/* The members of one kind among the children of list. */
static int collect(struct items *is, const xmlNode *list, const char *name,
                   const char *att, bool uri)
{
	for (const xmlNode *k = list->children; k; k = k->next) {
		char *v = NULL;
		int err;

		if (!is_el(k, RLIST_NS, name))
			continue;
		err = attr_dup(&v, k, att, uri);
		if (err == ENOENT)
			continue; /* <list> without a name */
		if (!err)
			err = items_add(is, v, uri, k);
		if (err)
			return err;
	}
	return 0;
}

/* One uniqueness rule of RFC 4826 3.4.3 on the children of list. */
static int unique_members(struct vstate *vs, const xmlNode *list,
                          const char *prefix, const char *lname,
                          const char *name, const char *att, bool uri)
{
	struct items is = {0};
	uint32_t a, b;
	int err = collect(&is, list, name, att, uri);

	if (!err && find_dup(&is, uri, &a, &b)) {
		if (lname)
			err = xcap_err_set(
			    vs->e, XE_UNIQUENESS_FAILURE, 409,
			    "line %ld: %s %s '%s' repeats '%s' in list '%s'",
			    line_of(is.it[b].n), name, att, is.it[b].v,
			    is.it[a].v, lname);
		else
			err = xcap_err_set(
			    vs->e, XE_UNIQUENESS_FAILURE, 409,
			    "line %ld: %s %s '%s' repeats '%s' in one list",
			    line_of(is.it[b].n), name, att, is.it[b].v,
			    is.it[a].v);
		if (err == EINVAL) {
			int e2 = set_field(vs, "/%s%s/@%s", prefix, name, att);

			if (e2)
				err = e2;
		}
	}
	items_reset(&is);
	return err;
}

/* list: a <list> (or the document root for the top lists); lname its
 * name or NULL. prefix: how its members' names are written in node
 * selectors ("" in resource-lists, "rl:" in rls-services). */
static int check_list(struct vstate *vs, const xmlNode *list,
                      const char *prefix, const char *lname)
{
	uint32_t pos = 0;
	int err;

	err = unique_members(vs, list, prefix, lname, "list", "name", false);
	if (!err)
		err = unique_members(vs, list, prefix, lname, "entry", "uri",
		                     true);
	if (!err)
		err = unique_members(vs, list, prefix, lname, "entry-ref",
		                     "ref", false);
	if (!err)
		err = unique_members(vs, list, prefix, lname, "external",
		                     "anchor", false);
	for (const xmlNode *k = list->children; k && !err; k = k->next) {
		size_t end = vs->path->end;
		char *name = NULL;
		char step[16];

		if (!is_el(k, RLIST_NS, "list"))
			continue;
		pos++;
		err = attr_dup(&name, k, "name", false);
		if (err && err != ENOENT)
			break;
		snprintf(step, sizeof(step), "%slist", prefix);
		err = path_step(vs, step, "name", name, pos);
		if (!err)
			err = check_list(vs, k, prefix, name);
		vs->path->pos = vs->path->end = end;
		mem_deref(name);
	}
	return err;
}

/* ---- rls-services (RFC 4826 4.3.3) ---- */

/* The parts of a service URI: scheme, user and host (slices of it). */
struct suri {
	struct pl scheme, user, host;
	uint16_t port;
};

/* sip/sips through the SIP parser; pres:, im: as user@domain. */
static bool suri_parse(struct suri *s, const char *uri)
{
	struct sip_uri su;
	struct pl pl;
	const char *colon = strchr(uri, ':'), *at, *end;

	memset(s, 0, sizeof(*s));
	if (!colon)
		return false;
	pl_set_str(&pl, uri);
	if (!sip_uri_decode(&su, &pl, NULL) && su.is_sip) {
		if (!su.host.l || su.af == AF_INET6)
			return false;
		s->scheme = su.scheme;
		s->user = su.user;
		s->host = su.host;
		s->port = su.port;
		return true;
	}
	s->scheme.p = uri;
	s->scheme.l = (size_t)(colon - uri);
	if (pl_strcasecmp(&s->scheme, "pres") &&
	    pl_strcasecmp(&s->scheme, "im"))
		return false;
	end = colon + 1 + strcspn(colon + 1, ";?");
	at = memchr(colon + 1, '@', (size_t)(end - colon - 1));
	if (!at || at == colon + 1 || at + 1 == end)
		return false;
	s->user.p = colon + 1;
	s->user.l = (size_t)(at - colon - 1);
	s->host.p = at + 1;
	s->host.l = (size_t)(end - at - 1);
	return true;
}

/* Taken: in this document, or another user's. */
static bool uri_taken(const struct vstate *vs, const struct items *svc,
                      const char *uri)
{
	const struct xcap_vctx *vc = vs->vc;
	const char *owner;

	for (uint32_t i = 0; i < svc->n; i++) {
		if (rlist_uri_eq(svc->it[i].v, uri))
			return true;
	}
	if (!vc || !vc->service_owner)
		return false;
	owner = vc->service_owner(uri, vc->arg);
	return owner && (!vc->owner || strcmp(owner, vc->owner));
}

static void strv_destroy(void *data)
{
	char **v = data;

	for (size_t i = 0; v[i]; i++)
		mem_deref(v[i]);
}

/* alt-values for a service URI that is taken: "sip:<user>-<n>@<domain>"
 * not taken yet (the user part of uri without a "-<n>" it may end with,
 * or the owner's user when uri has none). */
static int set_alt(struct vstate *vs, const struct items *svc, const char *uri)
{
	struct suri s;
	struct pl base;
	char **alt;
	uint32_t n = 0;
	int err = 0;

	if (!suri_parse(&s, uri))
		return 0;
	base = s.user;
	if (!base.l && vs->vc && vs->vc->owner) {
		const char *at = strchr(vs->vc->owner, '@');

		base.p = vs->vc->owner;
		base.l = at ? (size_t)(at - base.p) : strlen(base.p);
	}
	if (!base.l)
		return 0;
	/* "team-2" offers "team-3", not "team-2-1" */
	for (size_t i = base.l; i > 0; i--) {
		if (base.p[i - 1] >= '0' && base.p[i - 1] <= '9')
			continue;
		if (base.p[i - 1] == '-' && i < base.l && i > 1)
			base.l = i - 1;
		break;
	}
	alt = mem_zalloc((NALT + 1) * sizeof(*alt), strv_destroy);
	if (!alt)
		return ENOMEM;
	for (uint32_t k = 1; k <= ALT_TRIES && n < NALT && !err; k++) {
		char cand[512], *c = NULL;
		int l;

		if (s.port)
			l = snprintf(cand, sizeof(cand), "%.*s:%.*s-%u@%.*s:%u",
			             (int)s.scheme.l, s.scheme.p, (int)base.l,
			             base.p, k, (int)s.host.l, s.host.p,
			             s.port);
		else
			l = snprintf(cand, sizeof(cand), "%.*s:%.*s-%u@%.*s",
			             (int)s.scheme.l, s.scheme.p, (int)base.l,
			             base.p, k, (int)s.host.l, s.host.p);
		if (l < 0 || (size_t)l >= sizeof(cand))
			break;
		/* scheme and host without case */
		for (char *p = cand; *p && *p != ':'; p++)
			*p = (char)lower(*p);
		for (char *p = strrchr(cand, '@'); p && *p; p++)
			*p = (char)lower(*p);
		if (uri_taken(vs, svc, cand))
			continue;
		err = mem_strdup(&c, cand);
		if (!err)
			alt[n++] = c;
	}
	if (err) {
		mem_deref(alt);
		return err;
	}
	vs->e->alt = alt;
	vs->e->nalt = n;
	return 0;
}

/* A uniqueness failure on service uri v (index b of svc). */
static int svc_clash(struct vstate *vs, const struct items *svc, uint32_t b,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int svc_clash(struct vstate *vs, const struct items *svc, uint32_t b,
                     const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	int err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err = xcap_err_set(vs->e, XE_UNIQUENESS_FAILURE, 409, "line %ld: %s",
	                   line_of(svc->it[b].n), msg);
	if (err != EINVAL)
		return err;
	if (mem_strdup(&vs->e->field, RLS_FIELD_ID) ||
	    set_alt(vs, svc, svc->it[b].v))
		return ENOMEM;
	return EINVAL;
}

static int check_domain(struct vstate *vs, const struct item *it)
{
	const struct xcap_vctx *vc = vs->vc;
	char host[256];
	struct suri s;

	if (!vc || !vc->local_domain)
		return 0;
	if (!suri_parse(&s, it->v) || s.host.l >= sizeof(host))
		return xcap_err_set(vs->e, XE_CONSTRAINT_FAILURE, 409,
		                    "line %ld: service uri '%s' has no domain "
		                    "(a sip:, sips:, pres: or im: URI with a "
		                    "host name is needed)",
		                    line_of(it->n), it->v);
	for (size_t i = 0; i < s.host.l; i++)
		host[i] = (char)lower(s.host.p[i]);
	host[s.host.l] = '\0';
	if (vc->local_domain(host, vc->arg))
		return 0;
	return xcap_err_set(vs->e, XE_CONSTRAINT_FAILURE, 409,
	                    "line %ld: service uri '%s' is not in a domain "
	                    "this server serves",
	                    line_of(it->n), it->v);
}

/* "resource-lists/users/..." or ".../global/...": the document part of
 * an XCAP URI of the resource-lists usage. */
static bool rlist_doc_path(const char *p)
{
	return !strncmp(p, "resource-lists/users/", 21) ||
	       !strncmp(p, "resource-lists/global/", 22);
}

/* A <resource-list> value: the XCAP URI of a <list> of a resource-lists
 * document, absolute (http or https) or relative to the XCAP root. */
static bool list_ref_ok(const char *v)
{
	const char *sel, *p;
	char last[64];
	size_t k = 0;
	int depth = 0;
	char quote = 0;

	if (!strncasecmp(v, "http://", 7) || !strncasecmp(v, "https://", 8)) {
		p = strstr(v, "/resource-lists/");
		if (!p || !rlist_doc_path(p + 1))
			return false;
	} else if (!rlist_doc_path(v)) {
		return false;
	}
	sel = strstr(v, "/~~/");
	if (!sel)
		return false;
	/* the last step of the node selector (escapes undone) is a list */
	for (p = sel + 4; *p && *p != '?' && *p != '#'; p++) {
		int c = (uint8_t)*p;

		if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = hexval(p[1]) * 16 + hexval(p[2]);
			p += 2;
		}
		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = (char)c;
		} else if (c == '[') {
			depth++;
		} else if (c == ']') {
			depth--;
		} else if (!depth && c == '/') {
			k = 0;
		} else if (!depth && k + 1 < sizeof(last)) {
			last[k++] = (char)c;
		}
	}
	last[k] = '\0';
	if (!strcmp(last, "list"))
		return true;
	k = strlen(last);
	return k > 5 && !strcmp(last + k - 5, ":list");
}

/* The <list> or <resource-list> of one service. */
static int check_service(struct vstate *vs, const xmlNode *svc, const char *uri)
{
	size_t end = vs->path->end;
	int err = 0;

	for (const xmlNode *k = svc->children; k && !err; k = k->next) {
		if (is_el(k, RLS_NS, "resource-list")) {
			char *v = NULL;

			err = text_dup(&v, k);
			if (!err && !list_ref_ok(v))
				err = xcap_err_set(
				    vs->e, XE_CONSTRAINT_FAILURE, 409,
				    "line %ld: resource-list '%s' of service "
				    "'%s' is not the XCAP URI of a <list> "
				    "(http(s)://.../resource-lists/users/"
				    "<user>/<doc>/~~/resource-lists/list..., "
				    "or that path relative to the XCAP root)",
				    line_of(k), v, uri);
			mem_deref(v);
		} else if (is_el(k, RLS_NS, "list")) {
			err = path_step(vs, "service", "uri", uri, 0);
			if (!err)
				err = buf_write_str(vs->path, "/list");
			if (!err)
				err = check_list(vs, k, "rl:", NULL);
			vs->path->pos = vs->path->end = end;
		}
	}
	return err;
}

static int check_rls(struct vstate *vs, const xmlNode *root)
{
	const struct xcap_vctx *vc = vs->vc;
	struct items svc = {0};
	uint32_t a, b;
	int err = 0;

	for (const xmlNode *k = root->children; k && !err; k = k->next) {
		char *v = NULL;

		if (!is_el(k, RLS_NS, "service"))
			continue;
		err = attr_dup(&v, k, "uri", true);
		if (!err)
			err = items_add(&svc, v, true, k);
	}
	if (!err && find_dup(&svc, true, &a, &b))
		err =
		    svc_clash(vs, &svc, b,
		              "service uri '%s' repeats '%s' of this document",
		              svc.it[b].v, svc.it[a].v);
	for (uint32_t i = 0; i < svc.n && !err; i++) {
		const char *owner = NULL;

		err = check_domain(vs, &svc.it[i]);
		if (err)
			break;
		if (vc && vc->service_owner)
			owner = vc->service_owner(svc.it[i].v, vc->arg);
		if (owner && (!vc->owner || strcmp(owner, vc->owner))) {
			err = svc_clash(vs, &svc, i,
			                "service uri '%s' is already used by "
			                "another user",
			                svc.it[i].v);
			break;
		}
		err = check_service(vs, svc.it[i].n, svc.it[i].v);
	}
	items_reset(&svc);
	return err;
}

/* ---- rule sets (RFC 4745 7: rule ids unique) ---- */

static int check_ruleset(struct vstate *vs, const xmlNode *root)
{
	struct items ids = {0};
	uint32_t a, b;
	int err = 0;

	for (const xmlNode *k = root->children; k && !err; k = k->next) {
		char *v = NULL;

		if (!is_el(k, PRES_CP_NS, "rule"))
			continue;
		err = attr_dup(&v, k, "id", true);
		if (!err)
			err = items_add(&ids, v, false, k);
	}
	if (!err && find_dup(&ids, false, &a, &b)) {
		err = xcap_err_set(vs->e, XE_UNIQUENESS_FAILURE, 409,
		                   "line %ld: rule id '%s' is used twice",
		                   line_of(ids.it[b].n), ids.it[b].v);
		if (err == EINVAL && mem_strdup(&vs->e->field, CP_FIELD_ID))
			err = ENOMEM;
	}
	items_reset(&ids);
	return err;
}

/* ---- the whole document ---- */

/* impd's own reader of the usage must take the document too (it has
 * limits and checks the schema does not express: a service list member
 * in the wrong namespace, <until> before <from>, ...). */
static int check_reader(struct vstate *vs, int ui, const char *doc, size_t len)
{
	char msg[256] = "";
	int err = 0;

	if (ui == U_RLIST) {
		struct rlist **lists = NULL;
		uint32_t n = 0;

		err = rlist_doc_parse(&lists, &n, doc, len, msg, sizeof(msg));
		mem_deref(lists);
	} else if (ui == U_RLS) {
		struct rls_services *s = NULL;

		err = rls_services_parse(&s, doc, len, msg, sizeof(msg));
		mem_deref(s);
	} else if (ui == U_PRES || ui == U_IM) {
		struct pres_rules *r = NULL;

		err = pres_rules_parse(&r, doc, len, msg, sizeof(msg));
		mem_deref(r);
	}
	if (err == EBADMSG)
		return xcap_err_set(vs->e, XE_CONSTRAINT_FAILURE, 409, "%s",
		                    msg[0] ? msg : "document refused");
	return err;
}

static int schema_check(struct xcap_schemas *sc, int ui, xmlDocPtr d,
                        struct xcap_err *e)
{
	const xmlNode *root = xmlDocGetRootElement(d);
	struct lxerr le = {0};
	xmlSchemaValidCtxtPtr vctx;
	int r;

	if (!is_el(root, specs[ui].root_ns, specs[ui].root))
		return xcap_err_set(
		    e, XE_SCHEMA_VALIDATION, 409,
		    "line %ld: the root element '%s' in namespace '%s' is "
		    "not '%s' in %s",
		    line_of(root), (const char *)root->name,
		    root->ns && root->ns->href ? (const char *)root->ns->href
		                               : "",
		    specs[ui].root, specs[ui].root_ns);
	vctx = xmlSchemaNewValidCtxt(sc->s[ui]);
	if (!vctx)
		return ENOMEM;
	xmlSchemaSetValidStructuredErrors(vctx, lx_error_h, &le);
	r = xmlSchemaValidateDoc(vctx, d);
	xmlSchemaFreeValidCtxt(vctx);
	if (le.nomem)
		return ENOMEM;
	if (r < 0 && !le.set)
		return ENOMEM; /* an internal error: out of memory */
	if (r == 0 && !le.set)
		return 0;
	if (!le.set)
		return xcap_err_set(e, XE_SCHEMA_VALIDATION, 409,
		                    "line 1: the document does not match the "
		                    "%s schema",
		                    usages[ui].auid);
	return xcap_err_set(e, XE_SCHEMA_VALIDATION, 409, "line %ld: %s",
	                    le.line > 0 ? le.line : 1, le.msg);
}

int xcap_usage_validate(struct xcap_schemas *sc, const struct xcap_usage *u,
                        const char *doc, size_t len, const struct xcap_vctx *vc,
                        struct xcap_err *e)
{
	struct vstate vs = {vc, e, NULL};
	struct xml_err xe;
	char msg[256] = "";
	xmlDocPtr d = NULL;
	const xmlNode *root;
	int ui = usage_index(u), err;

	if (!sc || ui < 0 || !doc || !e)
		return EINVAL;
	xe.buf = msg;
	xe.size = sizeof(msg);
	xe.set = false;
	err = xml_read_strict(&d, doc, len, &xe);
	if (err == EBADMSG)
		return xcap_err_set(e, XE_NOT_WELL_FORMED, 409, "%s",
		                    msg[0] ? msg : "not well-formed");
	if (err)
		return err;
	err = schema_check(sc, ui, d, e);
	if (err)
		goto out;
	err = buf_alloc(&vs.path, 128);
	if (err)
		goto out;
	root = xmlDocGetRootElement(d);
	switch (ui) {
	case U_RLIST:
		err = buf_write_str(vs.path, "resource-lists");
		if (!err)
			err = check_list(&vs, root, "", NULL);
		break;
	case U_RLS:
		err = buf_write_str(vs.path, "rls-services");
		if (!err)
			err = check_rls(&vs, root);
		break;
	case U_PRES:
	case U_IM:
		err = check_ruleset(&vs, root);
		break;
	default:
		break;
	}
	if (!err)
		err = check_reader(&vs, ui, doc, len);
out:
	mem_deref(vs.path);
	xmlFreeDoc(d);
	return err;
}

/* ---- xcap-caps (RFC 4825 12) ---- */

int xcap_caps_doc(struct buf **mbp)
{
	/* the namespaces of the usages, then the extensions documents may
	 * carry, then the error reports */
	static const char *const extra_ns[] = {
	    PRES_CP_NS, RLIST_CP_NS, XCAP_META_NS, XCAP_ERR_NS, NULL,
	};
	struct buf *b = NULL;
	int err;

	if (!mbp)
		return EINVAL;
	err = buf_alloc(&b, 1024);
	if (!err)
		err = buf_write_str(
		    b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		       "<xcap-caps xmlns=\"" CAPS_NS "\">\n"
		       "  <auids>\n");
	for (int i = 0; i < U_N && !err; i++)
		err = buf_printf(b, "    <auid>%s</auid>\n", usages[i].auid);
	if (!err)
		err = buf_write_str(b, "  </auids>\n"
		                       "  <extensions/>\n"
		                       "  <namespaces>\n");
	for (int i = 0; i < U_N && !err; i++)
		err = buf_printf(b, "    <namespace>%s</namespace>\n",
		                 usages[i].ns);
	for (int i = 0; extra_ns[i] && !err; i++) {
		bool dup = false;

		for (int j = 0; j < U_N; j++)
			dup = dup || !strcmp(usages[j].ns, extra_ns[i]);
		if (!dup)
			err = buf_printf(b, "    <namespace>%s</namespace>\n",
			                 extra_ns[i]);
	}
	if (!err)
		err = buf_write_str(b, "  </namespaces>\n"
		                       "</xcap-caps>\n");
	if (err) {
		mem_deref(b);
		return err;
	}
	*mbp = b;
	return 0;
}
