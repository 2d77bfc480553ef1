/* list/rlist.c - resource-lists and rls-services documents (RFC 4826 3,
 * 4), URI-list bodies (RFC 5366, copyControl of RFC 5364), list URI
 * comparison (RFC 3261 19.1.4) */
#include "rlist.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/xml.h"
#include "../sip/msg.h"

/* ---- URI comparison ----
 *
 * A total order on URIs whose equality is the one of the lists: sorting
 * by it finds duplicates in n log n, and rlist_uri_eq needs no memory. */

enum ukind { K_SIP, K_OTHER, K_RAW };
enum { P_USER, P_TTL, P_METHOD, P_MADDR, P_TRANSPORT, P_N };
static const char *const key_params[P_N] = {"user", "ttl", "method", "maddr",
                                            "transport"};

struct ukey {
	const char *s;
	uint32_t idx; /* document order */
	enum ukind kind;
	struct pl scheme, rest; /* K_SIP, K_OTHER: around the first ':' */
	struct sip_uri u;       /* K_SIP */
	bool v6;                /* u.host is an IPv6 address, in a6 */
	uint8_t a6[16];
	struct pl pv[P_N];
	bool ph[P_N];
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The ':' ending an RFC 3986 scheme at the start of s, or NULL. */
static const char *scheme_end(const char *s)
{
	const char *p = s;

	if (!is_alpha(*p))
		return NULL;
	while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	return *p == ':' ? p : NULL;
}

static void ukey_init(struct ukey *k, const char *s, uint32_t idx)
{
	const char *colon = scheme_end(s);
	struct pl pl;

	memset(k, 0, sizeof(*k));
	k->s = s;
	k->idx = idx;
	k->kind = K_RAW;
	if (!colon)
		return;
	k->scheme.p = s;
	k->scheme.l = (size_t)(colon - s);
	pl_set_str(&k->rest, colon + 1);
	if (pl_strcasecmp(&k->scheme, "sip") &&
	    pl_strcasecmp(&k->scheme, "sips")) {
		k->kind = K_OTHER;
		return;
	}
	pl_set_str(&pl, s);
	if (sip_uri_decode(&k->u, &pl, NULL))
		return; /* not a SIP URI: compared as written */
	k->kind = K_SIP;
	if (k->u.af == AF_INET6 && k->u.host.l < 64) {
		char h[64];

		memcpy(h, k->u.host.p, k->u.host.l);
		h[k->u.host.l] = '\0';
		k->v6 = inet_pton(AF_INET6, h, k->a6) == 1;
	}
	for (int i = 0; i < P_N; i++)
		k->ph[i] =
		    !sip_param_get(&k->u.params, key_params[i], &k->pv[i]);
}

static int lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

static int cmp_bytes(const struct pl *a, const struct pl *b, bool icase)
{
	size_t n = a->l < b->l ? a->l : b->l;

	for (size_t i = 0; i < n; i++) {
		int x = (uint8_t)a->p[i], y = (uint8_t)b->p[i];

		if (icase) {
			x = lower(x);
			y = lower(y);
		}
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a->l == b->l ? 0 : (a->l < b->l ? -1 : 1);
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = (char)lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The next octet of an escaped string (%HH undone); -1 at the end. */
static int esc_next(const char **pp, const char *e)
{
	const char *p = *pp;

	if (p >= e)
		return -1;
	if (*p == '%' && e - p >= 3 && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
		*pp = p + 3;
		return hexval(p[1]) * 16 + hexval(p[2]);
	}
	*pp = p + 1;
	return (uint8_t)*p;
}

/* user and password: case-sensitive, escapes undone */
static int cmp_esc(const struct pl *a, const struct pl *b)
{
	/* an absent part is a NULL pointer: no arithmetic on it */
	const char *p = a->p, *pe = a->p ? a->p + a->l : NULL;
	const char *q = b->p, *qe = b->p ? b->p + b->l : NULL;

	for (;;) {
		int x = esc_next(&p, pe), y = esc_next(&q, qe);

		if (x != y)
			return x < y ? -1 : 1;
		if (x < 0)
			return 0;
	}
}

static int cmp_sip(const struct ukey *a, const struct ukey *b)
{
	int r;

	r = cmp_esc(&a->u.user, &b->u.user);
	if (!r)
		r = cmp_esc(&a->u.password, &b->u.password);
	if (r)
		return r;
	if (a->v6 != b->v6)
		return a->v6 ? -1 : 1;
	r = a->v6 ? memcmp(a->a6, b->a6, 16)
	          : cmp_bytes(&a->u.host, &b->u.host, true);
	if (r)
		return r;
	if (a->u.port != b->u.port)
		return a->u.port < b->u.port ? -1 : 1;
	for (int i = 0; i < P_N; i++) {
		if (a->ph[i] != b->ph[i])
			return a->ph[i] ? 1 : -1;
		r = cmp_bytes(&a->pv[i], &b->pv[i], i != P_METHOD);
		if (r)
			return r;
	}
	return cmp_bytes(&a->u.headers, &b->u.headers, false);
}

static int ukey_cmp(const struct ukey *a, const struct ukey *b)
{
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == K_RAW)
		return strcmp(a->s, b->s);
	r = cmp_bytes(&a->scheme, &b->scheme, true);
	if (r)
		return r;
	if (a->kind == K_OTHER)
		return cmp_bytes(&a->rest, &b->rest, false);
	return cmp_sip(a, b);
}

/* equal keys in document order */
static int ukey_sort_h(const void *x, const void *y)
{
	const struct ukey *a = *(const struct ukey *const *)x;
	const struct ukey *b = *(const struct ukey *const *)y;
	int r = ukey_cmp(a, b);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

bool rlist_uri_eq(const char *a, const char *b)
{
	struct ukey ka, kb;

	if (!a || !b)
		return false;
	ukey_init(&ka, a, 0);
	ukey_init(&kb, b, 0);
	return !ukey_cmp(&ka, &kb);
}

/* For uris[0..n): dup[i] set when an earlier uri equals uris[i]. */
static int find_dups(const char *const *uris, size_t stride, uint32_t n,
                     bool *dup)
{
	struct ukey *k, **kp;

	memset(dup, 0, n * sizeof(*dup));
	if (n < 2)
		return 0;
	k = mem_alloc(n * sizeof(*k), NULL);
	kp = mem_alloc(n * sizeof(*kp), NULL);
	if (!k || !kp) {
		mem_deref(k);
		mem_deref(kp);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		const char *const *up =
		    (const char *const *)(const void *)((const char *)uris +
		                                        i * stride);

		ukey_init(&k[i], *up, i);
		kp[i] = &k[i];
	}
	qsort(kp, n, sizeof(*kp), ukey_sort_h);
	for (uint32_t i = 1; i < n; i++) {
		if (!ukey_cmp(kp[i - 1], kp[i]))
			dup[kp[i]->idx] = true;
	}
	mem_deref(kp);
	mem_deref(k);
	return 0;
}

/* ---- the parsed objects ---- */

/* NULL-terminated mem arrays of mem strings (refs, packages, the lists
 * of rlist_doc_parse): the array holds its elements. */
static void strv_destroy(void *data)
{
	void **v = data;

	for (size_t i = 0; v[i]; i++)
		mem_deref(v[i]);
}

/* Append x (whose reference moves to the array) to a NULL-terminated
 * array of *n elements. */
static int strv_add(void ***vp, uint32_t *n, void *x)
{
	void **v = *vp;

	if (!v) {
		v = mem_zalloc(2 * sizeof(*v), strv_destroy);
		if (!v)
			return ENOMEM;
	} else {
		v = mem_realloc(v, (*n + 2) * sizeof(*v));
		if (!v)
			return ENOMEM;
	}
	v[*n] = x;
	v[*n + 1] = NULL;
	++*n;
	*vp = v;
	return 0;
}

static void entry_reset(struct rlist_entry *e)
{
	e->uri = mem_deref(e->uri);
	e->display = mem_deref(e->display);
	e->list = mem_deref(e->list);
}

static void rlist_destroy(void *data)
{
	struct rlist *l = data;

	for (uint32_t i = 0; i < l->n; i++)
		entry_reset(&l->e[i]);
	mem_deref(l->e);
	mem_deref(l->refs);
	mem_deref(l->name);
}

static void service_reset(struct rls_service *s)
{
	s->uri = mem_deref(s->uri);
	s->list = mem_deref(s->list);
	s->list_ref = mem_deref(s->list_ref);
	s->packages = mem_deref(s->packages);
	s->npackages = 0;
}

static void services_destroy(void *data)
{
	struct rls_services *s = data;

	for (uint32_t i = 0; i < s->n; i++)
		service_reset(&s->s[i]);
	mem_deref(s->s);
}

/* ---- parsing ---- */

struct pctx {
	struct xml_err xe; /* first: the parser context's _private */
	bool urilist;      /* copyControl attributes are read */
	uint32_t members;  /* entry, entry-ref and external so far */
	uint32_t ecap;     /* room in the list being filled */
};

#define perr(c, line, ...) xml_err_set(&(c)->xe, (line), __VA_ARGS__)

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST ns) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

static long line_of(const xmlNode *n)
{
	return xmlGetLineNo(n);
}

/* An attribute without namespace as a mem string (*sp NULL when absent);
 * trimmed for anyURI values. ENOMEM. */
static int attr_dup(char **sp, xmlNode *n, const char *name, bool trim)
{
	xmlChar *v;
	int err;

	*sp = NULL;
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return 0;
	v = xmlGetNoNsProp(n, BAD_CAST name);
	if (!v)
		return ENOMEM;
	err = mem_strdup(sp, trim ? xml_trim(v) : (const char *)v);
	xmlFree(v);
	return err;
}

/* The text of an element with text content only (trimmed if trim). */
static int text_dup(struct pctx *c, char **sp, xmlNode *n, bool trim)
{
	xmlChar *v;
	int err;

	*sp = NULL;
	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			perr(c, line_of(k), "element <%s> inside <%s>",
			     (const char *)k->name, (const char *)n->name);
			return EBADMSG;
		}
	}
	v = xmlNodeGetContent(n);
	if (!v)
		return ENOMEM;
	err = mem_strdup(sp, trim ? xml_trim(v) : (const char *)v);
	xmlFree(v);
	return err;
}

/* Element names of resource-lists that written in the rls-services
 * namespace inside a list are a mistake, not an extension. */
static bool rls_misplaced(const xmlNode *n)
{
	static const char *const names[] = {
	    "entry", "list", "entry-ref", "external", "display-name", NULL};

	if (!is_el(n, RLS_NS, NULL))
		return false;
	for (size_t i = 0; names[i]; i++)
		if (!xmlStrcmp(n->name, BAD_CAST names[i]))
			return true;
	return false;
}

/* Two <list> children of one parent with one name (RFC 4826 3.4.2)?
 * Reports the second one. */
struct nkey {
	const xmlChar *name;
	uint32_t idx;
	long line;
};

static int nkey_sort_h(const void *x, const void *y)
{
	const struct nkey *a = x, *b = y;
	int r = xmlStrcmp(a->name, b->name);

	if (r)
		return r;
	return a->idx < b->idx ? -1 : (a->idx > b->idx);
}

static int names_unique(struct pctx *c, xmlNode *parent, const char *ns)
{
	struct nkey *v;
	uint32_t n = 0, i, bad = UINT32_MAX;
	xmlNode *k;
	int err = 0;

	for (k = parent->children; k; k = k->next)
		if (is_el(k, ns, "list") &&
		    xmlHasNsProp(k, BAD_CAST "name", NULL))
			n++;
	if (n < 2)
		return 0;
	v = mem_zalloc(n * sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	for (i = 0, k = parent->children; k && i < n; k = k->next) {
		if (!is_el(k, ns, "list") ||
		    !xmlHasNsProp(k, BAD_CAST "name", NULL))
			continue;
		v[i].name = xmlGetNoNsProp(k, BAD_CAST "name");
		if (!v[i].name) {
			err = ENOMEM;
			break;
		}
		v[i].idx = i;
		v[i].line = line_of(k);
		i++;
	}
	if (!err) {
		qsort(v, n, sizeof(*v), nkey_sort_h);
		for (i = 1; i < n; i++)
			if (!xmlStrcmp(v[i - 1].name, v[i].name) &&
			    (bad == UINT32_MAX || v[i].idx < v[bad].idx))
				bad = i;
		if (bad != UINT32_MAX) {
			perr(c, v[bad].line,
			     "two lists named '%s' at one level",
			     (const char *)v[bad].name);
			err = EBADMSG;
		}
	}
	for (i = 0; i < n; i++)
		xmlFree((xmlChar *)v[i].name);
	mem_deref(v);
	return err;
}

static bool count_member(struct pctx *c, const xmlNode *n)
{
	if (c->members >= RLIST_MAX_ENTRIES) {
		perr(c, line_of(n), "more than %d entries", RLIST_MAX_ENTRIES);
		return false;
	}
	c->members++;
	return true;
}

/* cp:copyControl, cp:anonymize and cp:count (RFC 5364 4). */
static int copy_attrs(struct pctx *c, xmlNode *n, struct rlist_entry *e)
{
	for (xmlAttr *a = n->properties; a; a = a->next) {
		xmlChar *v;
		const char *s;
		bool ok = true;

		if (!a->ns || xmlStrcmp(a->ns->href, BAD_CAST RLIST_CP_NS))
			continue;
		v = xmlNodeGetContent((xmlNode *)a);
		if (!v)
			return ENOMEM;
		s = xml_trim(v);
		if (!xmlStrcmp(a->name, BAD_CAST "copyControl")) {
			if (!strcmp(s, "to"))
				e->copy = RLIST_TO;
			else if (!strcmp(s, "cc"))
				e->copy = RLIST_CC;
			else if (!strcmp(s, "bcc"))
				e->copy = RLIST_BCC;
			else
				ok = false;
		} else if (!xmlStrcmp(a->name, BAD_CAST "anonymize")) {
			if (!strcmp(s, "true") || !strcmp(s, "1"))
				e->anonymize = true;
			else if (!strcmp(s, "false") || !strcmp(s, "0"))
				e->anonymize = false;
			else
				ok = false;
		} else if (!xmlStrcmp(a->name, BAD_CAST "count")) {
			ok = *s != '\0';
			for (const char *p = s; *p; p++)
				ok = ok && is_digit(*p);
		}
		if (!ok)
			perr(c, line_of(n), "bad %s value '%s'",
			     (const char *)a->name, s);
		xmlFree(v);
		if (!ok)
			return EBADMSG;
	}
	return 0;
}

static int add_entry(struct pctx *c, struct rlist *l,
                     const struct rlist_entry *e)
{
	if (l->n == c->ecap) {
		uint32_t cap = c->ecap ? c->ecap * 2 : 8;
		struct rlist_entry *v =
		    l->e ? mem_realloc(l->e, cap * sizeof(*v))
		         : mem_alloc(cap * sizeof(*v), NULL);

		if (!v)
			return ENOMEM;
		l->e = v;
		c->ecap = cap;
	}
	l->e[l->n++] = *e;
	return 0;
}

static int parse_entry(struct pctx *c, struct rlist *l, xmlNode *n, char *path)
{
	struct rlist_entry e;
	long line = line_of(n);
	int err;

	memset(&e, 0, sizeof(e));
	err = attr_dup(&e.uri, n, "uri", true);
	if (err)
		return err;
	err = EBADMSG;
	if (!e.uri) {
		perr(c, line, "<entry> without uri");
		goto out;
	}
	if (!e.uri[0]) {
		perr(c, line, "<entry> with an empty uri");
		goto out;
	}
	for (xmlNode *k = n->children; k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, line_of(k), "text in <entry>");
			goto out;
		}
		if (is_el(k, RLIST_NS, "display-name")) {
			if (e.display) {
				perr(c, line_of(k),
				     "two <display-name> in "
				     "one <entry>");
				goto out;
			}
			err = text_dup(c, &e.display, k, false);
			if (err)
				goto out;
			err = EBADMSG;
		} else if (is_el(k, RLIST_NS, NULL) || rls_misplaced(k)) {
			perr(c, line_of(k),
			     "unexpected element <%s> in <entry>",
			     (const char *)k->name);
			goto out;
		}
	}
	if (c->urilist) {
		err = copy_attrs(c, n, &e);
		if (err)
			goto out;
	}
	e.list = mem_ref(path);
	err = add_entry(c, l, &e);
out:
	if (err)
		entry_reset(&e);
	return err;
}

/* entry-ref/@ref (required) or external/@anchor (optional) */
static int parse_ref(struct pctx *c, struct rlist *l, xmlNode *n,
                     const char *attr, bool required)
{
	char *v;
	int err = attr_dup(&v, n, attr, true);

	if (err)
		return err;
	if (!v || !v[0]) {
		mem_deref(v);
		if (!required)
			return 0;
		perr(c, line_of(n), "<%s> without %s", (const char *)n->name,
		     attr);
		return EBADMSG;
	}
	err = strv_add((void ***)&l->refs, &l->nrefs, v);
	if (err)
		mem_deref(v);
	return err;
}

/* "path/name", or path for a list without a name */
static int sub_path(char **subp, char *path, xmlNode *n)
{
	char *name, *s;
	size_t pl, nl;
	int err = attr_dup(&name, n, "name", false);

	if (err)
		return err;
	if (!name) {
		*subp = mem_ref(path);
		return 0;
	}
	pl = strlen(path);
	nl = strlen(name);
	s = mem_alloc(pl + nl + 2, NULL);
	if (!s) {
		mem_deref(name);
		return ENOMEM;
	}
	if (pl) {
		memcpy(s, path, pl);
		s[pl++] = '/';
	}
	memcpy(s + pl, name, nl + 1);
	mem_deref(name);
	*subp = s;
	return 0;
}

static int walk_list(struct pctx *c, struct rlist *l, xmlNode *list, char *path,
                     unsigned depth)
{
	bool display = false;
	int err;

	if (depth > RLIST_MAX_DEPTH) {
		perr(c, line_of(list), "lists nested more than %d deep",
		     RLIST_MAX_DEPTH);
		return EBADMSG;
	}
	err = names_unique(c, list, RLIST_NS);
	for (xmlNode *k = list->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, line_of(k), "text in <list>");
			err = EBADMSG;
		} else if (is_el(k, RLIST_NS, "display-name")) {
			if (display) {
				perr(c, line_of(k),
				     "two <display-name> in "
				     "one <list>");
				err = EBADMSG;
			}
			display = true;
		} else if (is_el(k, RLIST_NS, "entry")) {
			err = count_member(c, k) ? parse_entry(c, l, k, path)
			                         : EBADMSG;
		} else if (is_el(k, RLIST_NS, "entry-ref")) {
			err = count_member(c, k)
			          ? parse_ref(c, l, k, "ref", true)
			          : EBADMSG;
		} else if (is_el(k, RLIST_NS, "external")) {
			err = count_member(c, k)
			          ? parse_ref(c, l, k, "anchor", false)
			          : EBADMSG;
		} else if (is_el(k, RLIST_NS, "list")) {
			char *sub = NULL;

			err = sub_path(&sub, path, k);
			if (!err)
				err = walk_list(c, l, k, sub, depth + 1);
			mem_deref(sub);
		} else if (is_el(k, RLIST_NS, NULL)) {
			perr(c, line_of(k), "unexpected element <%s> in <list>",
			     (const char *)k->name);
			err = EBADMSG;
		} else if (rls_misplaced(k)) {
			perr(c, line_of(k),
			     "<%s> in the rls-services namespace: list members "
			     "are in " RLIST_NS,
			     (const char *)k->name);
			err = EBADMSG;
		}
		/* other namespaces: extensions, ignored */
	}
	return err;
}

/* Drop the entries whose uri an earlier entry has. */
static int dedup(struct rlist *l)
{
	bool *dup;
	uint32_t i, j;
	int err;

	if (l->n < 2)
		return 0;
	dup = mem_alloc(l->n * sizeof(*dup), NULL);
	if (!dup)
		return ENOMEM;
	err = find_dups((const char *const *)&l->e[0].uri, sizeof(l->e[0]),
	                l->n, dup);
	if (err)
		goto out;
	for (i = j = 0; i < l->n; i++) {
		if (dup[i])
			entry_reset(&l->e[i]);
		else
			l->e[j++] = l->e[i];
	}
	l->n = j;
out:
	mem_deref(dup);
	return err;
}

/* One <list> element, flattened. */
static int flatten(struct pctx *c, struct rlist **lp, xmlNode *list)
{
	struct rlist *l;
	char *path = NULL;
	int err;

	l = mem_zalloc(sizeof(*l), rlist_destroy);
	if (!l)
		return ENOMEM;
	c->ecap = 0;
	err = attr_dup(&l->name, list, "name", false);
	if (!err && !l->name)
		err = mem_strdup(&l->name, "");
	if (!err)
		err = mem_strdup(&path, "");
	if (!err)
		err = walk_list(c, l, list, path, 1);
	if (!err)
		err = dedup(l);
	mem_deref(path);
	if (err) {
		mem_deref(l);
		return err;
	}
	*lp = l;
	return 0;
}

static int doc_open(xmlDocPtr *docp, struct pctx *c, const char *xml,
                    size_t len, const char *ns, const char *root)
{
	xmlNode *r;
	int err;

	if (!xml)
		return EINVAL;
	err = xml_read_strict(docp, xml, len, &c->xe);
	if (err)
		return err;
	r = xmlDocGetRootElement(*docp);
	if (!is_el(r, ns, root)) {
		perr(c, line_of(r), "root is not <%s> of %s", root, ns);
		xmlFreeDoc(*docp);
		*docp = NULL;
		return EBADMSG;
	}
	return 0;
}

static void err_clear(char *err, size_t errsize)
{
	if (err && errsize)
		err[0] = '\0';
}

/* The top <list> children of <resource-lists>: into the array v. */
static int doc_lists(struct pctx *c, xmlNode *root, struct rlist ***vp,
                     uint32_t *np)
{
	int err = names_unique(c, root, RLIST_NS);

	for (xmlNode *k = root->children; !err && k; k = k->next) {
		struct rlist *l;

		if (xml_stray_text(k)) {
			perr(c, line_of(k), "text in <resource-lists>");
			err = EBADMSG;
		} else if (is_el(k, RLIST_NS, "list")) {
			err = flatten(c, &l, k);
			if (!err) {
				err = strv_add((void ***)vp, np, l);
				if (err)
					mem_deref(l);
			}
		} else if (is_el(k, RLIST_NS, NULL)) {
			perr(c, line_of(k),
			     "unexpected element <%s> in <resource-lists>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
	return err;
}

int rlist_doc_parse(struct rlist ***listsp, uint32_t *n, const char *xml,
                    size_t len, char *err, size_t errsize)
{
	struct pctx c = {{err, errsize, false}, false, 0, 0};
	struct rlist **v = NULL;
	uint32_t nv = 0;
	xmlDocPtr doc;
	int e;

	err_clear(err, errsize);
	if (!listsp || !n)
		return EINVAL;
	e = doc_open(&doc, &c, xml, len, RLIST_NS, "resource-lists");
	if (e)
		return e;
	e = doc_lists(&c, xmlDocGetRootElement(doc), &v, &nv);
	xmlFreeDoc(doc);
	if (e) {
		mem_deref(v);
		return e;
	}
	if (!v) {
		v = mem_zalloc(sizeof(*v), strv_destroy);
		if (!v)
			return ENOMEM;
	}
	*listsp = v;
	*n = nv;
	return 0;
}

int rlist_node_flatten(struct rlist **lp, void *node, char *err, size_t errsize)
{
	xmlNode *n = node;
	struct pctx c;
	int err2;

	if (!lp || !n || n->type != XML_ELEMENT_NODE ||
	    xmlStrcmp(n->name, BAD_CAST "list") || !n->ns ||
	    (xmlStrcmp(n->ns->href, BAD_CAST RLIST_NS) &&
	     xmlStrcmp(n->ns->href, BAD_CAST RLS_NS)))
		return EINVAL;
	err_clear(err, errsize);
	memset(&c, 0, sizeof(c));
	c.xe.buf = err;
	c.xe.size = errsize;
	err2 = flatten(&c, lp, n);
	if (err2 == EBADMSG && !c.xe.set)
		perr(&c, line_of(n), "bad list");
	return err2;
}

int rlist_urilist_parse(struct rlist **lp, const char *xml, size_t len,
                        char *err, size_t errsize)
{
	struct pctx c = {{err, errsize, false}, true, 0, 0};
	xmlNode *root, *list = NULL;
	xmlDocPtr doc;
	int e = 0;

	err_clear(err, errsize);
	if (!lp)
		return EINVAL;
	e = doc_open(&doc, &c, xml, len, RLIST_NS, "resource-lists");
	if (e)
		return e;
	root = xmlDocGetRootElement(doc);
	for (xmlNode *k = root->children; !e && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(&c, line_of(k), "text in <resource-lists>");
			e = EBADMSG;
		} else if (is_el(k, RLIST_NS, "list")) {
			if (list) {
				perr(&c, line_of(k),
				     "URI-list with more than one <list>");
				e = EBADMSG;
			}
			list = k;
		} else if (is_el(k, RLIST_NS, NULL)) {
			perr(&c, line_of(k),
			     "unexpected element <%s> in <resource-lists>",
			     (const char *)k->name);
			e = EBADMSG;
		}
	}
	if (!e && !list) {
		perr(&c, line_of(root), "URI-list without <list>");
		e = EBADMSG;
	}
	if (!e)
		e = flatten(&c, lp, list);
	xmlFreeDoc(doc);
	return e;
}

static int parse_packages(struct pctx *c, struct rls_service *s, xmlNode *n)
{
	int err = 0;

	for (xmlNode *k = n->children; !err && k; k = k->next) {
		char *p;

		if (xml_stray_text(k)) {
			perr(c, line_of(k), "text in <packages>");
			err = EBADMSG;
		} else if (is_el(k, RLS_NS, "package")) {
			err = text_dup(c, &p, k, true);
			if (!err && !p[0]) {
				perr(c, line_of(k), "empty <package>");
				err = EBADMSG;
			}
			if (!err)
				err = strv_add((void ***)&s->packages,
				               &s->npackages, p);
			if (err)
				mem_deref(p);
		} else if (is_el(k, RLS_NS, NULL)) {
			perr(c, line_of(k),
			     "unexpected element <%s> in <packages>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
	return err;
}

static int service_child(struct pctx *c, struct rls_service *s, xmlNode *k,
                         bool *packages, bool *rl_list)
{
	int err;

	if (xml_stray_text(k)) {
		perr(c, line_of(k), "text in <service>");
		return EBADMSG;
	}
	if (is_el(k, RLS_NS, "list") || is_el(k, RLS_NS, "resource-list")) {
		if (s->list || s->list_ref) {
			perr(c, line_of(k),
			     "<service> with more than one of <list> and "
			     "<resource-list>");
			return EBADMSG;
		}
		if (!xmlStrcmp(k->name, BAD_CAST "list"))
			return flatten(c, &s->list, k);
		err = text_dup(c, &s->list_ref, k, true);
		if (!err && !s->list_ref[0]) {
			perr(c, line_of(k), "empty <resource-list>");
			err = EBADMSG;
		}
		return err;
	}
	if (is_el(k, RLS_NS, "packages")) {
		if (*packages) {
			perr(c, line_of(k), "two <packages> in one <service>");
			return EBADMSG;
		}
		*packages = true;
		return parse_packages(c, s, k);
	}
	if (is_el(k, RLS_NS, NULL)) {
		perr(c, line_of(k), "unexpected element <%s> in <service>",
		     (const char *)k->name);
		return EBADMSG;
	}
	if (is_el(k, RLIST_NS, "list"))
		*rl_list = true;
	return 0; /* other namespaces: extensions */
}

static int parse_service(struct pctx *c, struct rls_service *s, xmlNode *n)
{
	bool packages = false, rl_list = false;
	int err;

	memset(s, 0, sizeof(*s));
	err = attr_dup(&s->uri, n, "uri", true);
	if (err)
		return err;
	if (!s->uri || !s->uri[0]) {
		perr(c, line_of(n), "<service> without uri");
		return EBADMSG;
	}
	for (xmlNode *k = n->children; !err && k; k = k->next)
		err = service_child(c, s, k, &packages, &rl_list);
	if (!err && !s->list && !s->list_ref) {
		perr(c, line_of(n),
		     "<service> with neither <list> nor <resource-list>%s",
		     rl_list ? " (its <list> is in the rls-services namespace)"
		             : "");
		err = EBADMSG;
	}
	return err;
}

static int add_service(struct rls_services *ss, uint32_t *cap,
                       const struct rls_service *s)
{
	if (ss->n == *cap) {
		uint32_t nc = *cap ? *cap * 2 : 4;
		struct rls_service *v =
		    ss->s ? mem_realloc(ss->s, nc * sizeof(*v))
		          : mem_alloc(nc * sizeof(*v), NULL);

		if (!v)
			return ENOMEM;
		ss->s = v;
		*cap = nc;
	}
	ss->s[ss->n++] = *s;
	return 0;
}

/* Two services with one uri: the second one is reported. */
static int services_unique(struct pctx *c, struct rls_services *ss,
                           const long *lines)
{
	bool *dup;
	int err;

	if (ss->n < 2)
		return 0;
	dup = mem_alloc(ss->n * sizeof(*dup), NULL);
	if (!dup)
		return ENOMEM;
	err = find_dups((const char *const *)&ss->s[0].uri, sizeof(ss->s[0]),
	                ss->n, dup);
	for (uint32_t i = 0; !err && i < ss->n; i++) {
		if (dup[i]) {
			perr(c, lines[i], "two services with the uri '%s'",
			     ss->s[i].uri);
			err = EBADMSG;
		}
	}
	mem_deref(dup);
	return err;
}

static int parse_services(struct pctx *c, struct rls_services *ss,
                          xmlNode *root)
{
	uint32_t cap = 0, lcap = 0;
	long *lines = NULL;
	int err = 0;

	for (xmlNode *k = root->children; !err && k; k = k->next) {
		struct rls_service s;

		if (xml_stray_text(k)) {
			perr(c, line_of(k), "text in <rls-services>");
			err = EBADMSG;
		} else if (is_el(k, RLS_NS, "service")) {
			err = parse_service(c, &s, k);
			if (!err)
				err = add_service(ss, &cap, &s);
			if (err) {
				service_reset(&s);
				break;
			}
			if (ss->n > lcap) {
				long *v =
				    lines ? mem_realloc(lines, cap * sizeof(*v))
				          : mem_alloc(cap * sizeof(*v), NULL);

				if (!v) {
					err = ENOMEM;
					break;
				}
				lines = v;
				lcap = cap;
			}
			lines[ss->n - 1] = line_of(k);
		} else if (is_el(k, RLS_NS, NULL)) {
			perr(c, line_of(k),
			     "unexpected element <%s> in <rls-services>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
	if (!err)
		err = services_unique(c, ss, lines);
	mem_deref(lines);
	return err;
}

int rls_services_parse(struct rls_services **sp, const char *xml, size_t len,
                       char *err, size_t errsize)
{
	struct pctx c = {{err, errsize, false}, false, 0, 0};
	struct rls_services *ss;
	xmlDocPtr doc;
	int e;

	err_clear(err, errsize);
	if (!sp)
		return EINVAL;
	e = doc_open(&doc, &c, xml, len, RLS_NS, "rls-services");
	if (e)
		return e;
	ss = mem_zalloc(sizeof(*ss), services_destroy);
	e = ss ? parse_services(&c, ss, xmlDocGetRootElement(doc)) : ENOMEM;
	xmlFreeDoc(doc);
	if (e) {
		mem_deref(ss);
		return e;
	}
	*sp = ss;
	return 0;
}

const struct rls_service *rls_services_find(const struct rls_services *s,
                                            const char *uri)
{
	struct ukey k, ks;

	if (!s || !uri)
		return NULL;
	ukey_init(&k, uri, 0);
	for (uint32_t i = 0; i < s->n; i++) {
		ukey_init(&ks, s->s[i].uri, 0);
		if (!ukey_cmp(&k, &ks))
			return &s->s[i];
	}
	return NULL;
}

/* ---- editing ---- */

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Not empty, XML text, no white space around (parsers trim it). */
static bool value_ok(const char *s)
{
	size_t l = s ? strlen(s) : 0;

	return l && !is_ws(s[0]) && !is_ws(s[l - 1]) && xml_text_ok(s);
}

/* The namespace of href in scope at root, declared there (prefix pfx,
 * pfx2, ...) if it is not. */
static xmlNsPtr ns_get(xmlNode *root, const char *href, const char *pfx)
{
	xmlNsPtr ns = xmlSearchNsByHref(root->doc, root, BAD_CAST href);
	char p[16];

	if (ns)
		return ns;
	snprintf(p, sizeof(p), "%s", pfx);
	for (int i = 2; xmlSearchNs(root->doc, root, BAD_CAST p) && i < 100;
	     i++)
		snprintf(p, sizeof(p), "%s%d", pfx, i);
	return xmlNewNs(root, BAD_CAST href, BAD_CAST p);
}

/* A base document (validated first) or a new empty one, blanks gone. */
static int edit_open(xmlDocPtr *docp, const char *base, size_t base_len)
{
	struct rls_services *chk = NULL;
	struct xml_err xe = {NULL, 0, false};
	xmlDocPtr doc;
	xmlNode *root;
	int err;

	if (base) {
		err = rls_services_parse(&chk, base, base_len, NULL, 0);
		mem_deref(chk);
		if (!err)
			err = xml_read_strict(&doc, base, base_len, &xe);
		if (err)
			return err;
		xml_strip_blanks(xmlDocGetRootElement(doc));
		*docp = doc;
		return 0;
	}
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "rls-services", NULL)
	           : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, BAD_CAST RLS_NS, NULL));
	if (!root->ns || !ns_get(root, RLIST_NS, "rl")) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	*docp = doc;
	return 0;
}

/* The <service> child of root whose uri equals uri, or NULL. */
static xmlNode *service_find(xmlNode *root, const char *uri)
{
	for (xmlNode *k = root->children; k; k = k->next) {
		xmlChar *v;
		bool eq;

		if (!is_el(k, RLS_NS, "service"))
			continue;
		v = xmlGetNoNsProp(k, BAD_CAST "uri");
		eq = v && rlist_uri_eq(xml_trim(v), uri);
		xmlFree(v);
		if (eq)
			return k;
	}
	return NULL;
}

static int doc_dump(struct buf **mbp, xmlDocPtr doc)
{
	struct rls_services *chk = NULL;
	xmlChar *out = NULL;
	int size = 0, err;

	xmlDocDumpFormatMemoryEnc(doc, &out, &size, "UTF-8", 1);
	if (!out || size <= 0) {
		xmlFree(out);
		return ENOMEM;
	}
	/* what we store must parse; only too many entries in all can fail
	 * here (everything else was checked) */
	err =
	    rls_services_parse(&chk, (const char *)out, (size_t)size, NULL, 0);
	mem_deref(chk);
	if (err == EBADMSG)
		err = E2BIG;
	if (!err)
		err = buf_alloc_copy(mbp, out, (size_t)size);
	xmlFree(out);
	return err;
}

/* <list name=user-part-of-uri><rl:entry uri=m/>...</list> */
static xmlNode *list_build(xmlDocPtr doc, xmlNsPtr rls, xmlNsPtr rl,
                           const char *uri, const char *const *members,
                           const bool *dup, uint32_t n)
{
	struct sip_uri u;
	struct pl pl;
	xmlNode *list;

	list = xmlNewDocNode(doc, rls, BAD_CAST "list", NULL);
	if (!list)
		return NULL;
	pl_set_str(&pl, uri);
	if (!sip_uri_decode(&u, &pl, NULL) && u.is_sip && u.user.l) {
		xmlChar *name = xmlStrndup(BAD_CAST u.user.p, (int)u.user.l);

		if (!name || !xmlNewProp(list, BAD_CAST "name", name)) {
			xmlFree(name);
			goto fail;
		}
		xmlFree(name);
	}
	for (uint32_t i = 0; i < n; i++) {
		xmlNode *e;

		if (dup[i])
			continue;
		e = xmlNewChild(list, rl, BAD_CAST "entry", NULL);
		if (!e || !xmlNewProp(e, BAD_CAST "uri", BAD_CAST members[i]))
			goto fail;
	}
	return list;
fail:
	xmlFreeNode(list);
	return NULL;
}

static xmlNode *service_build(xmlDocPtr doc, xmlNsPtr rls, xmlNsPtr rl,
                              const char *uri, const char *const *members,
                              const bool *dup, uint32_t n, const char *package)
{
	xmlNode *s, *list, *pk;

	s = xmlNewDocNode(doc, rls, BAD_CAST "service", NULL);
	if (!s || !xmlNewProp(s, BAD_CAST "uri", BAD_CAST uri))
		goto fail;
	list = list_build(doc, rls, rl, uri, members, dup, n);
	if (!list)
		goto fail;
	if (!xmlAddChild(s, list)) {
		xmlFreeNode(list);
		goto fail;
	}
	if (package) {
		pk = xmlNewChild(s, rls, BAD_CAST "packages", NULL);
		if (!pk || !xmlNewTextChild(pk, rls, BAD_CAST "package",
		                            BAD_CAST package))
			goto fail;
	}
	return s;
fail:
	xmlFreeNode(s);
	return NULL;
}

int rls_services_with(struct buf **mbp, const char *base, size_t base_len,
                      const char *uri, const char *const *members, uint32_t n,
                      const char *package)
{
	xmlDocPtr doc = NULL;
	xmlNode *root, *old, *s;
	xmlNsPtr rl;
	bool *dup;
	int err;

	if (!mbp || !value_ok(uri) || (n && !members) ||
	    n > RLIST_MAX_ENTRIES || (package && !value_ok(package)))
		return EINVAL;
	for (uint32_t i = 0; i < n; i++)
		if (!value_ok(members[i]))
			return EINVAL;
	dup = mem_alloc(n ? n * sizeof(*dup) : 1, NULL);
	if (!dup)
		return ENOMEM;
	err = find_dups(members, sizeof(*members), n, dup);
	if (!err)
		err = edit_open(&doc, base, base_len);
	if (err)
		goto out;
	root = xmlDocGetRootElement(doc);
	rl = ns_get(root, RLIST_NS, "rl");
	s = rl ? service_build(doc, root->ns, rl, uri, members, dup, n, package)
	       : NULL;
	if (!s) {
		err = ENOMEM;
		goto out;
	}
	old = service_find(root, uri);
	if (old) {
		xmlReplaceNode(old, s);
		xmlFreeNode(old);
	} else if (!xmlAddChild(root, s)) {
		xmlFreeNode(s);
		err = ENOMEM;
		goto out;
	}
	err = doc_dump(mbp, doc);
out:
	xmlFreeDoc(doc);
	mem_deref(dup);
	return err;
}

int rls_services_without(struct buf **mbp, const char *base, size_t base_len,
                         const char *uri)
{
	xmlDocPtr doc = NULL;
	xmlNode *old;
	int err;

	if (!mbp || !base || !uri)
		return EINVAL;
	err = edit_open(&doc, base, base_len);
	if (err)
		return err;
	old = service_find(xmlDocGetRootElement(doc), uri);
	if (!old) {
		err = ENOENT;
	} else {
		xmlUnlinkNode(old);
		xmlFreeNode(old);
		err = doc_dump(mbp, doc);
	}
	xmlFreeDoc(doc);
	return err;
}
