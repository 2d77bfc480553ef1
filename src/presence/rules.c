/* presence/rules.c - authorization rules: common policy (RFC 4745 6, 7,
 * 10) with the presence rules of RFC 5025 3 and impd's IM actions */
#include "rules.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/util.h"

#define PR_NS PRES_RULES_NS
#define CP_NS PRES_CP_NS
#define IM_NS IM_RULES_NS

enum {
	WATCHER_MAX = 1024, /* longer watcher URIs match no identity */
	DOMAIN_MAX = 256,
};

enum cond_kind {
	COND_IDENTITY = 0,
	COND_SPHERE,
	COND_VALIDITY,
};

/* <except>: a canonical identity or a lower-case domain (either NULL) */
struct except {
	char *id;
	char *domain;
};

/* <many>: every authenticated identity (domain NULL) or those of one
 * domain, less the exceptions. never: an exception impd does not know
 * (a <many> that might be narrower than it looks never matches). */
struct many {
	char *domain;
	struct except *exc;
	uint32_t nexc;
	bool never;
};

/* [from, until) in seconds since the epoch */
struct window {
	int64_t from;
	int64_t until;
};

/* One condition element; the conditions of a rule are all true for the
 * rule to match (RFC 4745 10.1). */
struct cond {
	enum cond_kind kind;
	char **ones; /* identity: canonical <one> ids ... */
	uint32_t nones;
	struct many *many; /* ... or <many> (any of them matches) */
	uint32_t nmany;
	char **spheres; /* sphere: tokens (any matches) */
	uint32_t nspheres;
	struct window *win; /* validity: any window holds now */
	uint32_t nwin;
};

struct rule {
	char *id;
	struct cond *conds;
	uint32_t nconds;
	bool never;    /* a condition impd does not understand */
	bool handling; /* it has a <sub-handling> action */
	struct pres_perm perm;
	struct pres_im_perm im; /* its IM actions (has_*: present) */
};

struct pres_rules {
	struct rule *rules;
	uint32_t n;
};

/* ---- memory ---- */

/* Arrays of mem strings end in NULL; the destructor frees the strings
 * (the same convention as pres_perm_set items in perm.c). */
static void strv_destroy(void *data)
{
	char **v = data;

	for (size_t i = 0; v[i]; i++)
		mem_deref(v[i]);
}

static char **strv_alloc(size_t n)
{
	if (n >= SIZE_MAX / sizeof(char *) - 1)
		return NULL;
	return mem_zalloc((n + 1) * sizeof(char *), strv_destroy);
}

static void cond_free(struct cond *c)
{
	mem_deref(c->ones);
	for (uint32_t i = 0; i < c->nmany; i++) {
		struct many *m = &c->many[i];

		mem_deref(m->domain);
		for (uint32_t j = 0; j < m->nexc; j++) {
			mem_deref(m->exc[j].id);
			mem_deref(m->exc[j].domain);
		}
		mem_deref(m->exc);
	}
	mem_deref(c->many);
	mem_deref(c->spheres);
	mem_deref(c->win);
}

static void rule_free(struct rule *ru)
{
	mem_deref(ru->id);
	for (uint32_t i = 0; i < ru->nconds; i++)
		cond_free(&ru->conds[i]);
	mem_deref(ru->conds);
	pres_perm_reset(&ru->perm);
}

static void rules_destroy(void *data)
{
	struct pres_rules *r = data;

	for (uint32_t i = 0; i < r->n; i++)
		rule_free(&r->rules[i]);
	mem_deref(r->rules);
}

static void *array_alloc(size_t n, size_t size)
{
	if (n && size > SIZE_MAX / n)
		return NULL;
	return mem_zalloc(n ? n * size : 1, NULL);
}

/* ---- identities (RFC 4745 7.1) ---- */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool sip_like(const char *scheme, size_t n)
{
	return (n == 3 && !strncmp(scheme, "sip", 3)) ||
	       (n == 4 && !strncmp(scheme, "sips", 4)) ||
	       (n == 4 && !strncmp(scheme, "pres", 4)) ||
	       (n == 2 && !strncmp(scheme, "im", 2));
}

/*
 * The form identities are compared in. sip, sips, pres and im URIs name
 * the same user: "user@host[:port]" with the user unescaped (and
 * compared exactly) and the host in lower case; parameters, headers and
 * a password are dropped. Other URIs: the scheme in lower case, the rest
 * as written. dom gets the host (sip-like URIs) or "". The canonical
 * form is never longer than the URI. false: not a URI, or out too small.
 */
static bool uri_canon(const char *uri, char *out, size_t size, char *dom,
                      size_t dsize)
{
	const char *p = uri, *rest, *at, *hp, *hend, *host, *port = NULL;
	size_t sl, k = 0, hl, pl = 0;

	if (!uri || !size || !dsize || !is_alpha(*p))
		return false;
	while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-' ||
	       *p == '.')
		p++;
	if (*p != ':' || !p[1])
		return false;
	sl = (size_t)(p - uri);
	rest = p + 1;
	*dom = '\0';
	if (strlen(uri) >= size)
		return false;
	for (size_t i = 0; i < sl; i++)
		out[k++] = lower(uri[i]);
	if (!sip_like(out, sl)) {
		for (const char *q = rest - 1; *q; q++) {
			if ((unsigned char)*q <= ' ')
				return false;
			out[k++] = *q;
		}
		out[k] = '\0';
		return true;
	}
	k = 0;
	at = strchr(rest, '@');
	hp = at ? at + 1 : rest;
	if (at) {
		const char *uend = rest;

		while (uend < at && *uend != ':')
			uend++;
		if (uend == rest)
			return false;
		for (const char *q = rest; q < uend; q++) {
			char c = *q;

			if (c == '%') {
				int h1 = q + 2 < uend ? hexval(q[1]) : -1;
				int h2 = h1 >= 0 ? hexval(q[2]) : -1;

				if (h2 < 0 || (h1 == 0 && h2 == 0))
					return false;
				c = (char)(h1 * 16 + h2);
				q += 2;
			} else if ((unsigned char)c <= ' ') {
				return false;
			}
			out[k++] = c;
		}
		out[k++] = '@';
	}
	hend = hp + strcspn(hp, ";?");
	host = hp;
	if (*hp == '[') {
		const char *rb = memchr(hp, ']', (size_t)(hend - hp));

		if (!rb)
			return false;
		hl = (size_t)(rb - hp) + 1;
	} else {
		hl = 0;
		while (host + hl < hend && host[hl] != ':')
			hl++;
	}
	if (hl == 0 || hl >= dsize)
		return false;
	for (size_t i = 0; i < hl; i++) {
		char c = host[i];

		if (*hp != '[' && !is_alpha(c) && !is_digit(c) && c != '-' &&
		    c != '.' && c != '_')
			return false;
		dom[i] = lower(c);
		out[k++] = dom[i];
	}
	dom[hl] = '\0';
	if (host + hl < hend) {
		if (host[hl] != ':')
			return false;
		port = host + hl + 1;
		pl = (size_t)(hend - port);
		if (!pl)
			return false;
		for (size_t i = 0; i < pl; i++)
			if (!is_digit(port[i]))
				return false;
		while (pl > 1 && *port == '0') {
			port++;
			pl--;
		}
		out[k++] = ':';
		memcpy(out + k, port, pl);
		k += pl;
	}
	out[k] = '\0';
	return true;
}

/* A domain attribute: lower case, no trailing dot, no empty label. */
static int domain_dup(char **dp, const char *d)
{
	size_t n = strlen(d);
	char *s;

	if (n && d[n - 1] == '.')
		n--;
	if (!n || n >= DOMAIN_MAX || d[0] == '.')
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];

		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.' &&
		    c != '_')
			return EINVAL;
		if (c == '.' && d[i + 1] == '.')
			return EINVAL;
	}
	s = mem_alloc(n + 1, NULL);
	if (!s)
		return ENOMEM;
	for (size_t i = 0; i < n; i++)
		s[i] = lower(d[i]);
	s[n] = '\0';
	*dp = s;
	return 0;
}

/* The canonical form of an id attribute as a mem string. */
static int id_dup(char **dp, const char *uri)
{
	size_t n = strlen(uri) + 1;
	char dom[DOMAIN_MAX];
	char *s = mem_alloc(n, NULL);

	if (!s)
		return ENOMEM;
	if (!uri_canon(uri, s, n, dom, sizeof(dom))) {
		mem_deref(s);
		return EINVAL;
	}
	*dp = s;
	return 0;
}

/* ---- time (RFC 3339 5.6) ---- */

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t leaps_before(int64_t y) /* leap years in [1, y) */
{
	y--;
	return y / 4 - y / 100 + y / 400;
}

static int64_t days_since_epoch(int64_t y, int m, int d)
{
	static const int cum[12] = {0,   31,  59,  90,  120, 151,
	                            181, 212, 243, 273, 304, 334};
	int64_t days = (y - 1970) * 365 + leaps_before(y) - leaps_before(1970);

	days += cum[m - 1] + (m > 2 && leap(y)) + d - 1;
	return days;
}

static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* "2025-03-01T09:30:00.5+01:00" to seconds since the epoch (fractions
 * dropped). The offset is required. */
static bool rfc3339(const char *s, int64_t *t)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	                              31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	const char *p;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &se))
		return false;
	p = s + 19;
	if (*p == '.') {
		if (!is_digit(p[1]))
			return false;
		for (p++; is_digit(*p); p++)
			;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		sign = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	           digits(p + 1, 2, &oh) && p[3] == ':' &&
	           digits(p + 4, 2, &om)) {
		sign = *p == '+' ? 1 : -1;
	} else {
		return false;
	}
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 ||
	    se > 60 || oh > 23 || om > 59)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return false;
	*t = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	     sign * (oh * 3600 + om * 60);
	return true;
}

/* ---- parsing ---- */

struct pctx {
	char *err;
	size_t errsize;
};

static int fail(struct pctx *pc, const xmlNode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct pctx *pc, const xmlNode *n, const char *fmt, ...)
{
	va_list ap;
	long line = n ? xmlGetLineNo(n) : 0;
	int off;

	if (!pc->err || !pc->errsize)
		return EBADMSG;
	off = snprintf(pc->err, pc->errsize, "line %ld: ", line > 0 ? line : 1);
	if (off < 0 || (size_t)off >= pc->errsize)
		return EBADMSG;
	va_start(ap, fmt);
	vsnprintf(pc->err + off, pc->errsize - (size_t)off, fmt, ap);
	va_end(ap);
	return EBADMSG;
}

static bool in_ns(const xmlNode *n, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, ns);
}

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return in_ns(n, ns) && !strcmp((const char *)n->name, name);
}

static const char *nm(const xmlNode *n)
{
	return (const char *)n->name;
}

static bool blank(const xmlChar *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return false;
	return true;
}

/* Element-only content: text other than white space is an error. */
static int elem_only(struct pctx *pc, const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next) {
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) &&
		    !blank(c->content))
			return fail(pc, c, "text is not allowed in <%s>",
			            nm(n));
		if (c->type == XML_ENTITY_REF_NODE)
			return fail(pc, c, "entity reference in <%s>", nm(n));
	}
	return 0;
}

static size_t count_elems(const xmlNode *n)
{
	size_t k = 0;

	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			k++;
	return k;
}

/* The text of a simple element, trimmed, as a mem string. */
static int text_dup(struct pctx *pc, const xmlNode *n, char **sp)
{
	size_t len = 0, k = 0, a, b;
	char *s;

	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE)
			len +=
			    c->content ? strlen((const char *)c->content) : 0;
		else if (c->type == XML_ELEMENT_NODE ||
		         c->type == XML_ENTITY_REF_NODE)
			return fail(pc, c, "<%s> holds text only", nm(n));
	}
	s = mem_alloc(len + 1, NULL);
	if (!s)
		return ENOMEM;
	for (const xmlNode *c = n->children; c; c = c->next) {
		size_t l;

		if ((c->type != XML_TEXT_NODE &&
		     c->type != XML_CDATA_SECTION_NODE) ||
		    !c->content)
			continue;
		l = strlen((const char *)c->content);
		memcpy(s + k, c->content, l);
		k += l;
	}
	s[k] = '\0';
	for (a = 0; a < k && strchr(" \t\r\n", s[a]); a++)
		;
	for (b = k; b > a && strchr(" \t\r\n", s[b - 1]); b--)
		;
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	*sp = s;
	return 0;
}

/* An attribute without namespace as a mem string; ENOENT when absent. */
static int attr_dup(const xmlNode *n, const char *name, char **sp)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int err;

	if (!v)
		return xmlHasNsProp(n, (const xmlChar *)name, NULL) ? ENOMEM
		                                                    : ENOENT;
	err = mem_strdup(sp, (const char *)v);
	xmlFree(v);
	return err;
}

/* xs:ID (an NCName), ASCII letters or any non-ASCII octet. */
static bool ncname(const char *s)
{
	if (!s || !*s || (!is_alpha(*s) && *s != '_' && !(*s & 0x80)))
		return false;
	for (; *s; s++)
		if (!is_alpha(*s) && !is_digit(*s) && !strchr("._-", *s) &&
		    !(*s & 0x80))
			return false;
	return true;
}

static int parse_except(struct pctx *pc, const xmlNode *n, struct except *e)
{
	char *v = NULL;
	int err;

	err = attr_dup(n, "id", &v);
	if (!err) {
		err = id_dup(&e->id, v);
		if (err == EINVAL)
			err = fail(pc, n, "except id '%s' is not a URI", v);
		mem_deref(v);
		if (err)
			return err;
	} else if (err != ENOENT) {
		return err;
	}
	err = attr_dup(n, "domain", &v);
	if (!err) {
		err = domain_dup(&e->domain, v);
		if (err == EINVAL)
			err = fail(pc, n, "except domain '%s' is not a domain",
			           v);
		mem_deref(v);
		if (err)
			return err;
	} else if (err != ENOENT) {
		return err;
	}
	if (!e->id && !e->domain)
		return fail(pc, n, "<except> needs an id or a domain");
	return 0;
}

static int parse_many(struct pctx *pc, const xmlNode *n, struct many *m)
{
	char *v = NULL;
	int err = elem_only(pc, n);

	if (err)
		return err;
	err = attr_dup(n, "domain", &v);
	if (!err) {
		err = domain_dup(&m->domain, v);
		if (err == EINVAL)
			err =
			    fail(pc, n, "many domain '%s' is not a domain", v);
		mem_deref(v);
		if (err)
			return err;
	} else if (err != ENOENT) {
		return err;
	}
	m->exc = array_alloc(count_elems(n), sizeof(*m->exc));
	if (!m->exc)
		return ENOMEM;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, CP_NS, "except")) {
			err = parse_except(pc, c, &m->exc[m->nexc++]);
			if (err)
				return err;
		} else if (in_ns(c, CP_NS)) {
			return fail(pc, c, "unexpected element <%s> in <many>",
			            nm(c));
		} else {
			m->never = true; /* an extension: not understood */
		}
	}
	return 0;
}

static int parse_identity(struct pctx *pc, const xmlNode *n, struct cond *c)
{
	size_t ne = count_elems(n);
	int err = elem_only(pc, n);

	if (err)
		return err;
	c->kind = COND_IDENTITY;
	c->ones = strv_alloc(ne);
	c->many = array_alloc(ne, sizeof(*c->many));
	if (!c->ones || !c->many)
		return ENOMEM;
	for (const xmlNode *e = n->children; e; e = e->next) {
		char *v = NULL;

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(e, CP_NS, "one")) {
			err = attr_dup(e, "id", &v);
			if (err == ENOENT)
				return fail(pc, e, "<one> without id");
			if (err)
				return err;
			err = id_dup(&c->ones[c->nones], v);
			if (err == EINVAL)
				err =
				    fail(pc, e, "one id '%s' is not a URI", v);
			mem_deref(v);
			if (err)
				return err;
			c->nones++;
		} else if (is_el(e, CP_NS, "many")) {
			err = parse_many(pc, e, &c->many[c->nmany++]);
			if (err)
				return err;
		} else if (in_ns(e, CP_NS)) {
			return fail(pc, e,
			            "unexpected element <%s> in <identity>",
			            nm(e));
		}
		/* other namespaces: an identity impd cannot match */
	}
	return 0;
}

static int parse_sphere(struct pctx *pc, const xmlNode *n, struct cond *c)
{
	char *v = NULL, *tok, *save = NULL;
	size_t nt = 0;
	int err = attr_dup(n, "value", &v);

	if (err == ENOENT)
		return fail(pc, n, "<sphere> without value");
	if (err)
		return err;
	c->kind = COND_SPHERE;
	for (const char *p = v; *p;) {
		p += strspn(p, " \t\r\n");
		if (!*p)
			break;
		nt++;
		p += strcspn(p, " \t\r\n");
	}
	if (!nt) {
		err = fail(pc, n, "<sphere> with an empty value");
		goto out;
	}
	c->spheres = strv_alloc(nt);
	if (!c->spheres) {
		err = ENOMEM;
		goto out;
	}
	for (tok = strtok_r(v, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		err = mem_strdup(&c->spheres[c->nspheres], tok);
		if (err)
			goto out;
		c->nspheres++;
	}
out:
	mem_deref(v);
	return err;
}

static int parse_time(struct pctx *pc, const xmlNode *n, int64_t *t)
{
	char *v = NULL;
	int err = text_dup(pc, n, &v);

	if (err)
		return err;
	if (!rfc3339(v, t))
		err = fail(pc, n,
		           "<%s> '%s' is not an RFC 3339 date-time with "
		           "an offset",
		           nm(n), v);
	mem_deref(v);
	return err;
}

static int parse_validity(struct pctx *pc, const xmlNode *n, struct cond *c)
{
	const xmlNode *from = NULL;
	int err = elem_only(pc, n);

	if (err)
		return err;
	c->kind = COND_VALIDITY;
	c->win = array_alloc(count_elems(n) / 2 + 1, sizeof(*c->win));
	if (!c->win)
		return ENOMEM;
	for (const xmlNode *e = n->children; e; e = e->next) {
		struct window *w = &c->win[c->nwin];

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (!from && is_el(e, CP_NS, "from")) {
			err = parse_time(pc, e, &w->from);
			from = e;
		} else if (from && is_el(e, CP_NS, "until")) {
			err = parse_time(pc, e, &w->until);
			if (!err && w->until <= w->from)
				err =
				    fail(pc, e, "<until> is not after <from>");
			from = NULL;
			c->nwin++;
		} else {
			err = fail(pc, e, "<%s> where <%s> belongs", nm(e),
			           from ? "until" : "from");
		}
		if (err)
			return err;
	}
	if (from)
		return fail(pc, from, "<from> without <until>");
	if (!c->nwin)
		return fail(pc, n, "<validity> without <from> and <until>");
	return 0;
}

static int parse_conditions(struct pctx *pc, const xmlNode *n, struct rule *ru)
{
	int err = elem_only(pc, n);

	if (err)
		return err;
	ru->conds = array_alloc(count_elems(n), sizeof(*ru->conds));
	if (!ru->conds)
		return ENOMEM;
	for (const xmlNode *e = n->children; e; e = e->next) {
		struct cond *c = &ru->conds[ru->nconds];

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(e, CP_NS, "identity")) {
			ru->nconds++;
			err = parse_identity(pc, e, c);
		} else if (is_el(e, CP_NS, "sphere")) {
			ru->nconds++;
			err = parse_sphere(pc, e, c);
		} else if (is_el(e, CP_NS, "validity")) {
			ru->nconds++;
			err = parse_validity(pc, e, c);
		} else {
			/* RFC 4745 10.1: a condition not understood is
			 * false */
			ru->never = true;
		}
		if (err)
			return err;
	}
	return 0;
}

/* The IM actions: a name and its value in the combining order. */
struct im_val {
	const char *name;
	int v;
};

static const struct im_val im_handlings[] = {
    {"block", PRES_IM_BLOCK},
    {"discard", PRES_IM_DISCARD},
    {"allow", PRES_IM_ALLOW},
};
static const struct im_val im_receptions[] = {
    {"reject", PRES_IM_REJECT},
    {"store", PRES_IM_STORE},
    {"deliver", PRES_IM_DELIVER},
};

static const struct im_val *im_val_find(const struct im_val *tab, size_t n,
                                        const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (!strcmp(tab[i].name, name))
			return &tab[i];
	return NULL;
}

/* <im:im-handling> or <im:reception>; other elements of the IM
 * namespace are actions impd does not know: ignored (RFC 4745 10). */
static int parse_im_action(struct pctx *pc, const xmlNode *e,
                           struct pres_im_perm *im)
{
	const struct im_val *tab, *iv;
	const char *list;
	bool *has;
	size_t ntab;
	char *v = NULL;
	int err;

	if (is_el(e, IM_NS, "im-handling")) {
		tab = im_handlings;
		ntab = ARRAY_SIZE(im_handlings);
		list = "block, discard, allow";
		has = &im->has_handling;
	} else if (is_el(e, IM_NS, "reception")) {
		tab = im_receptions;
		ntab = ARRAY_SIZE(im_receptions);
		list = "reject, store, deliver";
		has = &im->has_reception;
	} else {
		return 0;
	}
	if (*has)
		return fail(pc, e, "a second <%s>", nm(e));
	err = text_dup(pc, e, &v);
	if (err)
		return err;
	iv = im_val_find(tab, ntab, v);
	if (!iv) {
		err = fail(pc, e, "%s '%s' is not one of %s", nm(e), v, list);
	} else {
		*has = true;
		if (tab == im_handlings)
			im->handling = (enum pres_im_handling)iv->v;
		else
			im->reception = (enum pres_im_reception)iv->v;
	}
	mem_deref(v);
	return err;
}

static int parse_actions(struct pctx *pc, const xmlNode *n, struct rule *ru)
{
	static const struct {
		const char *name;
		enum pres_handling h;
	} tab[] = {
	    {"block", PRES_BLOCK},
	    {"confirm", PRES_CONFIRM},
	    {"polite-block", PRES_POLITE_BLOCK},
	    {"allow", PRES_ALLOW},
	};
	bool seen = false;
	int err = elem_only(pc, n);

	if (err)
		return err;
	for (const xmlNode *e = n->children; e; e = e->next) {
		char *v = NULL;
		size_t i;

		if (in_ns(e, IM_NS)) {
			err = parse_im_action(pc, e, &ru->im);
			if (err)
				return err;
			continue;
		}
		if (!is_el(e, PR_NS, "sub-handling"))
			continue; /* other actions are not ours */
		if (seen)
			return fail(pc, e, "a second <sub-handling>");
		seen = true;
		err = text_dup(pc, e, &v);
		if (err)
			return err;
		for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
			if (!strcmp(v, tab[i].name))
				break;
		if (i == sizeof(tab) / sizeof(tab[0]))
			err = fail(pc, e,
			           "sub-handling '%s' is not one of "
			           "block, confirm, polite-block, allow",
			           v);
		else
			ru->perm.sub_handling = tab[i].h;
		ru->handling = !err;
		mem_deref(v);
		if (err)
			return err;
	}
	return 0;
}

static int parse_bool(struct pctx *pc, const xmlNode *n, bool *b)
{
	char *v = NULL;
	int err = text_dup(pc, n, &v);

	if (err)
		return err;
	if (!strcmp(v, "true") || !strcmp(v, "1"))
		*b = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0"))
		*b = false;
	else
		err = fail(pc, n, "<%s> '%s' is not a boolean", nm(n), v);
	mem_deref(v);
	return err;
}

/* "prefix" + v as a new mem string. */
static int item_dup(char **sp, const char *prefix, const char *v)
{
	size_t a = strlen(prefix), b = strlen(v);
	char *s = mem_alloc(a + b + 1, NULL);

	if (!s)
		return ENOMEM;
	memcpy(s, prefix, a);
	memcpy(s + a, v, b + 1);
	*sp = s;
	return 0;
}

/* Add item (consumed) to set s, once. s->items has room (allocated for
 * the element count). */
static void set_add(struct pres_perm_set *s, char *item)
{
	for (uint32_t i = 0; i < s->n; i++) {
		if (!strcmp(s->items[i], item)) {
			mem_deref(item);
			return;
		}
	}
	s->items[s->n++] = item;
}

struct sel {
	const char *name;   /* child element */
	const char *prefix; /* item prefix */
	bool lower;         /* case-insensitive value (a URI scheme) */
};

/* provide-services / provide-persons / provide-devices (RFC 5025
 * 3.3.1-3.3.3): all-X, or items from the selector children. */
static int parse_provide_set(struct pctx *pc, const xmlNode *n,
                             struct pres_perm_set *s, const char *all,
                             const struct sel *sels, size_t nsels)
{
	size_t ne = count_elems(n);
	const xmlNode *alln = NULL;
	bool items = false;
	int err = elem_only(pc, n);

	if (err)
		return err;
	if (s->all)
		return 0;
	if (!s->items) {
		s->items = strv_alloc(ne);
		if (!s->items)
			return ENOMEM;
	} else {
		/* a second element of the same kind: grow for its items */
		char **v = strv_alloc((size_t)s->n + ne);

		if (!v)
			return ENOMEM;
		for (uint32_t i = 0; i < s->n; i++)
			v[i] = mem_ref(s->items[i]);
		mem_deref(s->items);
		s->items = v;
	}
	for (const xmlNode *e = n->children; e; e = e->next) {
		char *v = NULL, *item = NULL;
		size_t i;

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(e, PR_NS, all)) {
			alln = e;
			continue;
		}
		for (i = 0; i < nsels; i++)
			if (is_el(e, PR_NS, sels[i].name))
				break;
		if (i == nsels) {
			if (in_ns(e, PR_NS))
				return fail(pc, e,
				            "unexpected element <%s> in <%s>",
				            nm(e), nm(n));
			continue; /* an extension selector: selects nothing */
		}
		err = text_dup(pc, e, &v);
		if (!err && !*v)
			err = fail(pc, e, "empty <%s>", nm(e));
		if (!err && sels[i].lower)
			for (char *p = v; *p; p++)
				*p = lower(*p);
		if (!err)
			err = item_dup(&item, sels[i].prefix, v);
		mem_deref(v);
		if (err)
			return err;
		set_add(s, item);
		items = true;
	}
	if (alln && items)
		return fail(pc, alln, "<%s> with other selectors", all);
	if (alln) {
		s->all = true;
		s->items = mem_deref(s->items);
		s->n = 0;
	}
	return 0;
}

static int parse_unknown_attr(struct pctx *pc, const xmlNode *n,
                              struct pres_perm *p)
{
	char *ns = NULL, *name = NULL, *item = NULL;
	bool on = false;
	size_t a, b;
	int err = attr_dup(n, "ns", &ns);

	if (!err)
		err = attr_dup(n, "name", &name);
	if (err == ENOENT)
		err = fail(pc, n, "<%s> needs ns and name", nm(n));
	if (!err && (!*ns || !*name))
		err = fail(pc, n, "<%s> with an empty ns or name", nm(n));
	if (!err)
		err = parse_bool(pc, n, &on);
	if (err || !on || p->unknown.all)
		goto out;
	a = strlen(ns);
	b = strlen(name);
	item = mem_alloc(a + b + 2, NULL);
	if (!item) {
		err = ENOMEM;
		goto out;
	}
	memcpy(item, ns, a);
	item[a] = ' ';
	memcpy(item + a + 1, name, b + 1);
	set_add(&p->unknown, item);
out:
	mem_deref(ns);
	mem_deref(name);
	return err;
}

static int parse_user_input(struct pctx *pc, const xmlNode *n,
                            struct pres_perm *p)
{
	static const char *const names[] = {"false", "bare-minimum",
	                                    "thresholds", "full"};
	char *v = NULL;
	size_t i;
	int err = text_dup(pc, n, &v);

	if (err)
		return err;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(v, names[i]))
			break;
	if (i == sizeof(names) / sizeof(names[0]))
		err = fail(pc, n,
		           "provide-user-input '%s' is not one of false, "
		           "bare-minimum, thresholds, full",
		           v);
	else if ((enum pres_user_input)i > p->user_input)
		p->user_input = (enum pres_user_input)i;
	mem_deref(v);
	return err;
}

static const struct sel service_sels[] = {
    {"service-uri", "uri:", false},
    {"service-uri-scheme", "uri-scheme:", true},
    {"occurrence-id", "occurrence-id:", false},
    {"class", "class:", false},
};
static const struct sel person_sels[] = {
    {"occurrence-id", "occurrence-id:", false},
    {"class", "class:", false},
};
static const struct sel device_sels[] = {
    {"deviceID", "deviceID:", false},
    {"occurrence-id", "occurrence-id:", false},
    {"class", "class:", false},
};

static const struct {
	const char *name;
	uint32_t bit;
} attr_tab[] = {
    {"provide-activities", PRES_ATTR_ACTIVITIES},
    {"provide-class", PRES_ATTR_CLASS},
    {"provide-deviceID", PRES_ATTR_DEVICEID},
    {"provide-mood", PRES_ATTR_MOOD},
    {"provide-place-is", PRES_ATTR_PLACE_IS},
    {"provide-place-type", PRES_ATTR_PLACE_TYPE},
    {"provide-privacy", PRES_ATTR_PRIVACY},
    {"provide-relationship", PRES_ATTR_RELATIONSHIP},
    {"provide-status-icon", PRES_ATTR_STATUS_ICON},
    {"provide-sphere", PRES_ATTR_SPHERE},
    {"provide-time-offset", PRES_ATTR_TIME_OFFSET},
    {"provide-note", PRES_ATTR_NOTE},
};

static size_t count_named(const xmlNode *n, const char *name)
{
	size_t k = 0;

	for (const xmlNode *c = n->children; c; c = c->next)
		if (is_el(c, PR_NS, name))
			k++;
	return k;
}

static int parse_transformations(struct pctx *pc, const xmlNode *n,
                                 struct rule *ru)
{
	struct pres_perm *p = &ru->perm;
	int err = elem_only(pc, n);
	size_t nu;

	if (err)
		return err;
	nu = count_named(n, "provide-unknown-attribute");
	if (nu) {
		p->unknown.items = strv_alloc(nu);
		if (!p->unknown.items)
			return ENOMEM;
	}
	for (const xmlNode *e = n->children; e; e = e->next) {
		size_t i;
		bool on = false;

		if (!in_ns(e, PR_NS))
			continue; /* not ours: ignored (RFC 4745 10) */
		if (is_el(e, PR_NS, "provide-services")) {
			err =
			    parse_provide_set(pc, e, &p->services,
			                      "all-services", service_sels, 4);
		} else if (is_el(e, PR_NS, "provide-persons")) {
			err = parse_provide_set(pc, e, &p->persons,
			                        "all-persons", person_sels, 2);
		} else if (is_el(e, PR_NS, "provide-devices")) {
			err = parse_provide_set(pc, e, &p->devices,
			                        "all-devices", device_sels, 3);
		} else if (is_el(e, PR_NS, "provide-all-attributes")) {
			p->attrs |= PRES_ATTR_ALL;
		} else if (is_el(e, PR_NS, "provide-user-input")) {
			err = parse_user_input(pc, e, p);
		} else if (is_el(e, PR_NS, "provide-unknown-attribute")) {
			err = parse_unknown_attr(pc, e, p);
		} else {
			for (i = 0; i < sizeof(attr_tab) / sizeof(attr_tab[0]);
			     i++)
				if (!strcmp(nm(e), attr_tab[i].name))
					break;
			if (i == sizeof(attr_tab) / sizeof(attr_tab[0]))
				continue; /* an unknown transformation */
			err = parse_bool(pc, e, &on);
			if (!err && on)
				p->attrs |= attr_tab[i].bit;
		}
		if (err)
			return err;
	}
	/* no empty arrays: a set with n == 0 has items NULL */
	if (!p->unknown.n)
		p->unknown.items = mem_deref(p->unknown.items);
	if (!p->services.n)
		p->services.items = mem_deref(p->services.items);
	if (!p->persons.n)
		p->persons.items = mem_deref(p->persons.items);
	if (!p->devices.n)
		p->devices.items = mem_deref(p->devices.items);
	return 0;
}

static int parse_rule(struct pctx *pc, const xmlNode *n, struct rule *ru)
{
	bool cond = false, act = false, tr = false;
	char *id = NULL;
	int err = elem_only(pc, n);

	if (err)
		return err;
	pres_perm_init(&ru->perm);
	err = attr_dup(n, "id", &id);
	if (err == ENOENT)
		return fail(pc, n, "<rule> without id");
	if (err)
		return err;
	ru->id = id;
	if (!ncname(id))
		return fail(pc, n, "rule id '%s' is not an XML ID", id);
	for (const xmlNode *e = n->children; e; e = e->next) {
		bool *seen;

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(e, CP_NS, "conditions"))
			seen = &cond;
		else if (is_el(e, CP_NS, "actions"))
			seen = &act;
		else if (is_el(e, CP_NS, "transformations"))
			seen = &tr;
		else
			return fail(pc, e, "unexpected element <%s> in <rule>",
			            nm(e));
		if (*seen)
			return fail(pc, e, "a second <%s> in rule '%s'", nm(e),
			            id);
		*seen = true;
		if (seen == &cond)
			err = parse_conditions(pc, e, ru);
		else if (seen == &act)
			err = parse_actions(pc, e, ru);
		else
			err = parse_transformations(pc, e, ru);
		if (err)
			return err;
	}
	return 0;
}

static int parse_ruleset(struct pctx *pc, const xmlNode *root,
                         struct pres_rules *r)
{
	int err;

	if (!is_el(root, CP_NS, "ruleset"))
		return fail(pc, root,
		            "the root <%s> in namespace '%s' is not <ruleset> "
		            "in %s",
		            nm(root),
		            root->ns && root->ns->href
		                ? (const char *)root->ns->href
		                : "",
		            CP_NS);
	err = elem_only(pc, root);
	if (err)
		return err;
	r->rules = array_alloc(count_elems(root), sizeof(*r->rules));
	if (!r->rules)
		return ENOMEM;
	for (const xmlNode *e = root->children; e; e = e->next) {
		struct rule *ru = &r->rules[r->n];

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (!is_el(e, CP_NS, "rule"))
			return fail(pc, e,
			            "unexpected element <%s> in <ruleset>",
			            nm(e));
		r->n++;
		err = parse_rule(pc, e, ru);
		if (err)
			return err;
		for (uint32_t i = 0; i + 1 < r->n; i++)
			if (!strcmp(r->rules[i].id, ru->id))
				return fail(pc, e, "duplicate rule id '%s'",
				            ru->id);
	}
	return 0;
}

/* The first error libxml2 reports (the last one is often a consequence
 * of it, "Premature end of data ..."). */
struct xerr {
	bool set;
	bool nomem;
	int line;
	char msg[200];
};

#if LIBXML_VERSION >= 21200
static void xml_error(void *arg, const xmlError *e)
#else
static void xml_error(void *arg, xmlErrorPtr e)
#endif
{
	xmlParserCtxtPtr ctx = arg;
	struct xerr *xe = ctx ? ctx->_private : NULL;
	size_t l;

	if (!xe || !e || e->level < XML_ERR_ERROR)
		return;
	if (e->code == XML_ERR_NO_MEMORY)
		xe->nomem = true;
	if (xe->set)
		return;
	xe->set = true;
	xe->line = e->line;
	snprintf(xe->msg, sizeof(xe->msg), "%s",
	         e->message ? e->message : "not well-formed XML");
	l = strlen(xe->msg);
	while (l && (xe->msg[l - 1] == '\n' || xe->msg[l - 1] == ' '))
		xe->msg[--l] = '\0';
}

/* Parse with libxml2: no network, no entity substitution, no DTD
 * loading, errors collected through the context (nothing printed). */
static int xml_read(xmlDocPtr *docp, const char *xml, size_t len, int extra,
                    struct pctx *pc)
{
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
	                 XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES | extra;
	struct xerr xe = {false, false, 0, ""};
	xmlParserCtxtPtr ctx;
	xmlDocPtr doc;
	int err = 0;

	if (!xml || len > INT_MAX)
		return fail(pc, NULL, "document too large or missing");
	ctx = xmlNewParserCtxt();
	if (!ctx)
		return ENOMEM;
	ctx->_private = &xe;
	ctx->sax->serror = xml_error;
	doc = xmlCtxtReadMemory(ctx, xml, (int)len, NULL, NULL, opts);
	if (!doc || !ctx->wellFormed || !ctx->nsWellFormed) {
		if (xe.nomem) {
			err = ENOMEM;
		} else {
			err = EBADMSG;
			if (pc->err && pc->errsize)
				snprintf(pc->err, pc->errsize, "line %d: %s",
				         xe.line > 0 ? xe.line : 1,
				         xe.set ? xe.msg
				                : "not well-formed XML");
		}
	} else if (doc->intSubset || doc->extSubset) {
		err = fail(pc, (const xmlNode *)doc->intSubset,
		           "a DOCTYPE is not allowed");
	} else if (!xmlDocGetRootElement(doc)) {
		err = fail(pc, NULL, "no root element");
	}
	xmlFreeParserCtxt(ctx);
	if (err) {
		xmlFreeDoc(doc);
		return err;
	}
	*docp = doc;
	return 0;
}

int pres_rules_parse(struct pres_rules **rp, const char *xml, size_t len,
                     char *err, size_t errsize)
{
	struct pctx pc = {err, errsize};
	struct pres_rules *r;
	xmlDocPtr doc = NULL;
	int e;

	if (!rp)
		return EINVAL;
	if (err && errsize)
		*err = '\0';
	r = mem_zalloc(sizeof(*r), rules_destroy);
	if (!r)
		return ENOMEM;
	e = xml_read(&doc, xml, len, 0, &pc);
	if (!e)
		e = parse_ruleset(&pc, xmlDocGetRootElement(doc), r);
	xmlFreeDoc(doc);
	if (e) {
		if (e == ENOMEM && err && errsize)
			snprintf(err, errsize, "out of memory");
		mem_deref(r);
		return e;
	}
	*rp = r;
	return 0;
}

size_t pres_rules_count(const struct pres_rules *r)
{
	return r ? r->n : 0;
}

/* ---- evaluation (RFC 4745 10) ---- */

struct wctx {
	bool ok; /* authenticated, with a URI we understand */
	char id[WATCHER_MAX];
	char dom[DOMAIN_MAX];
};

static bool many_match(const struct many *m, const struct wctx *w)
{
	if (m->never || (m->domain && strcmp(m->domain, w->dom)))
		return false;
	for (uint32_t i = 0; i < m->nexc; i++) {
		const struct except *e = &m->exc[i];

		if (e->id && !strcmp(e->id, w->id))
			return false;
		if (e->domain && !strcmp(e->domain, w->dom))
			return false;
	}
	return true;
}

static bool cond_match(const struct cond *c, const struct wctx *w,
                       const char *sphere, int64_t now)
{
	switch (c->kind) {
	case COND_IDENTITY:
		if (!w->ok)
			return false;
		for (uint32_t i = 0; i < c->nones; i++)
			if (!strcmp(c->ones[i], w->id))
				return true;
		for (uint32_t i = 0; i < c->nmany; i++)
			if (many_match(&c->many[i], w))
				return true;
		return false;
	case COND_SPHERE:
		if (!sphere)
			return false;
		for (uint32_t i = 0; i < c->nspheres; i++)
			if (!strcasecmp(c->spheres[i], sphere))
				return true;
		return false;
	case COND_VALIDITY:
		for (uint32_t i = 0; i < c->nwin; i++)
			if (c->win[i].from <= now && now < c->win[i].until)
				return true;
		return false;
	}
	return false;
}

static bool rule_match(const struct rule *ru, const struct wctx *w,
                       const char *sphere, int64_t now)
{
	if (ru->never)
		return false;
	for (uint32_t i = 0; i < ru->nconds; i++)
		if (!cond_match(&ru->conds[i], w, sphere, now))
			return false;
	return true;
}

/* An allocation failure while combining fails closed: block, nothing
 * provided, and true (the rules decided), so that a default rule never
 * shows more than the presentity's own rules would. */
bool pres_rules_eval(const struct pres_rules *r, const struct pres_watcher *w,
                     const char *sphere, uint64_t now_s, struct pres_perm *perm)
{
	struct wctx wc;
	int64_t now = now_s > INT64_MAX ? INT64_MAX : (int64_t)now_s;
	bool matched = false;

	pres_perm_reset(perm);
	if (!r || !w)
		return false;
	wc.ok = w->authenticated &&
	        uri_canon(w->uri, wc.id, sizeof(wc.id), wc.dom, sizeof(wc.dom));
	if (!wc.ok) {
		wc.id[0] = '\0';
		wc.dom[0] = '\0';
	}
	for (uint32_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->rules[i];

		if (!rule_match(ru, &wc, sphere, now))
			continue;
		matched = matched || ru->handling;
		if (pres_perm_merge(perm, &ru->perm)) {
			pres_perm_reset(perm);
			return true;
		}
	}
	return matched;
}

static void im_perm_init(struct pres_im_perm *p)
{
	p->handling = PRES_IM_BLOCK;
	p->reception = PRES_IM_REJECT;
	p->has_handling = false;
	p->has_reception = false;
}

bool pres_rules_eval_im(const struct pres_rules *r,
                        const struct pres_watcher *sender, uint64_t now_s,
                        struct pres_im_perm *perm)
{
	struct wctx wc;
	int64_t now = now_s > INT64_MAX ? INT64_MAX : (int64_t)now_s;

	if (!perm)
		return false;
	im_perm_init(perm);
	if (!r || !sender)
		return false;
	wc.ok = sender->authenticated &&
	        uri_canon(sender->uri, wc.id, sizeof(wc.id), wc.dom,
	                  sizeof(wc.dom));
	if (!wc.ok) {
		wc.id[0] = '\0';
		wc.dom[0] = '\0';
	}
	for (uint32_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->rules[i];
		const struct pres_im_perm *im = &ru->im;

		if (!(im->has_handling || im->has_reception) ||
		    !rule_match(ru, &wc, NULL, now))
			continue;
		if (im->has_handling &&
		    (!perm->has_handling || im->handling > perm->handling)) {
			perm->handling = im->handling;
			perm->has_handling = true;
		}
		if (im->has_reception &&
		    (!perm->has_reception || im->reception > perm->reception)) {
			perm->reception = im->reception;
			perm->has_reception = true;
		}
	}
	return perm->has_handling || perm->has_reception;
}

void pres_rules_info(const struct pres_rules *r, pres_rule_info_h *h, void *arg)
{
	if (!r || !h)
		return;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->rules[i];
		const struct cond *c = ru->nconds == 1 ? &ru->conds[0] : NULL;
		struct pres_rule_info ri;

		memset(&ri, 0, sizeof(ri));
		ri.id = ru->id;
		ri.nconds = ru->nconds;
		if (c && c->kind == COND_IDENTITY && c->nones == 1 && !c->nmany)
			ri.one = c->ones[0];
		ri.never = ru->never;
		ri.has_sub_handling = ru->handling;
		ri.sub_handling = ru->perm.sub_handling;
		ri.im = ru->im;
		h(&ri, arg);
	}
}

uint64_t pres_rules_next_change(const struct pres_rules *r, uint64_t now_s)
{
	int64_t now = now_s > INT64_MAX ? INT64_MAX : (int64_t)now_s;
	int64_t best = 0;

	if (!r)
		return 0;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->rules[i];

		if (ru->never)
			continue;
		for (uint32_t j = 0; j < ru->nconds; j++) {
			const struct cond *c = &ru->conds[j];

			if (c->kind != COND_VALIDITY)
				continue;
			for (uint32_t k = 0; k < c->nwin; k++) {
				int64_t t[2] = {c->win[k].from,
				                c->win[k].until};

				for (int x = 0; x < 2; x++)
					if (t[x] > now &&
					    (!best || t[x] < best))
						best = t[x];
			}
		}
	}
	return (uint64_t)best;
}

/* ---- building (pres_rules_with, pres_rules_with_im) ---- */

static xmlNsPtr ns_get(xmlNodePtr root, const char *href, const char *pfx)
{
	xmlNsPtr ns = xmlSearchNsByHref(root->doc, root, (const xmlChar *)href);
	char p[16];

	if (ns)
		return ns;
	snprintf(p, sizeof(p), "%s", pfx);
	for (int i = 2;
	     xmlSearchNs(root->doc, root, (const xmlChar *)p) && i < 100; i++)
		snprintf(p, sizeof(p), "%s%d", pfx, i);
	return xmlNewNs(root, (const xmlChar *)href, (const xmlChar *)p);
}

static const char *handling_name(enum pres_handling h)
{
	switch (h) {
	case PRES_BLOCK:
		return "block";
	case PRES_CONFIRM:
		return "confirm";
	case PRES_POLITE_BLOCK:
		return "polite-block";
	case PRES_ALLOW:
		return "allow";
	}
	return NULL;
}

/* <rule id><conditions><identity><one id/>..., the actions and, for
 * allow, everything provided. NULL when libxml2 runs out of memory. */
static xmlNodePtr rule_build(xmlDocPtr doc, xmlNsPtr cp, xmlNsPtr pr,
                             const char *rule_id, const char *watcher_uri,
                             enum pres_handling h)
{
	static const char *const all[][2] = {
	    {"provide-services", "all-services"},
	    {"provide-persons", "all-persons"},
	    {"provide-devices", "all-devices"},
	};
	xmlNodePtr rule, c, id, one, act, tr, x;

	rule = xmlNewDocNode(doc, cp, BAD_CAST "rule", NULL);
	if (!rule)
		return NULL;
	if (!xmlNewProp(rule, BAD_CAST "id", BAD_CAST rule_id))
		goto fail;
	c = xmlNewChild(rule, cp, BAD_CAST "conditions", NULL);
	id = c ? xmlNewChild(c, cp, BAD_CAST "identity", NULL) : NULL;
	one = id ? xmlNewChild(id, cp, BAD_CAST "one", NULL) : NULL;
	if (!one || !xmlNewProp(one, BAD_CAST "id", BAD_CAST watcher_uri))
		goto fail;
	act = xmlNewChild(rule, cp, BAD_CAST "actions", NULL);
	if (!act || !xmlNewTextChild(act, pr, BAD_CAST "sub-handling",
	                             BAD_CAST handling_name(h)))
		goto fail;
	if (h != PRES_ALLOW)
		return rule;
	tr = xmlNewChild(rule, cp, BAD_CAST "transformations", NULL);
	if (!tr)
		goto fail;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		x = xmlNewChild(tr, pr, BAD_CAST all[i][0], NULL);
		if (!x || !xmlNewChild(x, pr, BAD_CAST all[i][1], NULL))
			goto fail;
	}
	if (!xmlNewChild(tr, pr, BAD_CAST "provide-all-attributes", NULL) ||
	    !xmlNewTextChild(tr, pr, BAD_CAST "provide-user-input",
	                     BAD_CAST "full"))
		goto fail;
	return rule;
fail:
	xmlFreeNode(rule);
	return NULL;
}

/* What goes into one new rule (pres_rules_with or pres_rules_with_im). */
struct rule_spec {
	const char *id;
	const char *uri; /* identity one id, or NULL (IM: everyone) */
	bool im;
	enum pres_handling h;  /* presence */
	const char *handling;  /* IM, or NULL */
	const char *reception; /* IM, or NULL */
};

/* <rule id><conditions>[<identity><one id/>]</conditions><actions>
 * with the IM actions. NULL when libxml2 runs out of memory. */
static xmlNodePtr im_rule_build(xmlDocPtr doc, xmlNsPtr cp, xmlNsPtr im,
                                const struct rule_spec *rs)
{
	xmlNodePtr rule, c, id, one, act;

	rule = xmlNewDocNode(doc, cp, BAD_CAST "rule", NULL);
	if (!rule)
		return NULL;
	if (!xmlNewProp(rule, BAD_CAST "id", BAD_CAST rs->id))
		goto fail;
	c = xmlNewChild(rule, cp, BAD_CAST "conditions", NULL);
	if (!c)
		goto fail;
	if (rs->uri) {
		id = xmlNewChild(c, cp, BAD_CAST "identity", NULL);
		one = id ? xmlNewChild(id, cp, BAD_CAST "one", NULL) : NULL;
		if (!one || !xmlNewProp(one, BAD_CAST "id", BAD_CAST rs->uri))
			goto fail;
	}
	act = xmlNewChild(rule, cp, BAD_CAST "actions", NULL);
	if (!act)
		goto fail;
	if (rs->handling && !xmlNewTextChild(act, im, BAD_CAST "im-handling",
	                                     BAD_CAST rs->handling))
		goto fail;
	if (rs->reception && !xmlNewTextChild(act, im, BAD_CAST "reception",
	                                      BAD_CAST rs->reception))
		goto fail;
	return rule;
fail:
	xmlFreeNode(rule);
	return NULL;
}

/* base (or a new <ruleset>) with the rule of rs appended, or replacing
 * the rule with the same id, printed into *mbp. */
static int doc_with_rule(struct buf **mbp, const char *base, size_t base_len,
                         const struct rule_spec *rs)
{
	struct pctx pc = {NULL, 0};
	struct pres_rules *chk = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, rule, old = NULL, next;
	xmlNsPtr cp, xns;
	xmlChar *out = NULL;
	struct buf *mb = NULL;
	int size = 0, err;

	if (base) {
		/* the base must be a valid ruleset itself */
		err = pres_rules_parse(&chk, base, base_len, NULL, 0);
		mem_deref(chk);
		if (err)
			return err;
		err = xml_read(&doc, base, base_len, XML_PARSE_NOBLANKS, &pc);
		if (err)
			return err;
		root = xmlDocGetRootElement(doc);
	} else {
		doc = xmlNewDoc(BAD_CAST "1.0");
		root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "ruleset", NULL)
		           : NULL;
		if (!root) {
			err = ENOMEM;
			goto out;
		}
		xmlDocSetRootElement(doc, root);
	}
	cp = ns_get(root, CP_NS, "cp");
	if (cp && !root->ns)
		xmlSetNs(root, cp);
	xns = cp ? (rs->im ? ns_get(root, IM_NS, "im")
	                   : ns_get(root, PR_NS, "pr"))
	         : NULL;
	if (!xns) {
		err = ENOMEM;
		goto out;
	}
	for (xmlNodePtr e = root->children; e; e = next) {
		xmlChar *v;

		next = e->next;
		if (!is_el(e, CP_NS, "rule"))
			continue;
		v = xmlGetNoNsProp(e, BAD_CAST "id");
		if (v && !strcmp((const char *)v, rs->id))
			old = e;
		xmlFree(v);
	}
	rule = rs->im ? im_rule_build(doc, cp, xns, rs)
	              : rule_build(doc, cp, xns, rs->id, rs->uri, rs->h);
	if (!rule) {
		err = ENOMEM;
		goto out;
	}
	if (old) {
		xmlReplaceNode(old, rule);
		xmlFreeNode(old);
	} else if (!xmlAddChild(root, rule)) {
		xmlFreeNode(rule);
		err = ENOMEM;
		goto out;
	}
	xmlDocDumpFormatMemoryEnc(doc, &out, &size, "UTF-8", 1);
	if (!out || size <= 0) {
		err = ENOMEM;
		goto out;
	}
	err = buf_alloc_copy(&mb, out, (size_t)size);
	if (err)
		goto out;
	*mbp = mb;
out:
	xmlFree(out);
	xmlFreeDoc(doc);
	return err;
}

int pres_rules_with(struct buf **mbp, const char *base, size_t base_len,
                    const char *rule_id, const char *watcher_uri,
                    enum pres_handling h)
{
	const struct rule_spec rs = {rule_id, watcher_uri, false,
	                             h,       NULL,        NULL};
	char canon[WATCHER_MAX], dom[DOMAIN_MAX];

	if (!mbp || !ncname(rule_id) || !handling_name(h) ||
	    !uri_canon(watcher_uri, canon, sizeof(canon), dom, sizeof(dom)))
		return EINVAL;
	return doc_with_rule(mbp, base, base_len, &rs);
}

int pres_rules_with_im(struct buf **mbp, const char *base, size_t base_len,
                       const char *rule_id, const char *sender_uri,
                       const char *handling, const char *reception)
{
	const struct rule_spec rs = {rule_id,    sender_uri, true,
	                             PRES_BLOCK, handling,   reception};
	char canon[WATCHER_MAX], dom[DOMAIN_MAX];

	if (!mbp || !ncname(rule_id) || (!handling && !reception))
		return EINVAL;
	if (sender_uri &&
	    !uri_canon(sender_uri, canon, sizeof(canon), dom, sizeof(dom)))
		return EINVAL;
	if ((handling &&
	     !im_val_find(im_handlings, ARRAY_SIZE(im_handlings), handling)) ||
	    (reception &&
	     !im_val_find(im_receptions, ARRAY_SIZE(im_receptions), reception)))
		return EINVAL;
	return doc_with_rule(mbp, base, base_len, &rs);
}

int pres_rules_watcher_id(char *id, size_t size, const char *watcher_uri)
{
	char canon[WATCHER_MAX], dom[DOMAIN_MAX], h[33];
	size_t k = 0;

	if (!id || size < 80 ||
	    !uri_canon(watcher_uri, canon, sizeof(canon), dom, sizeof(dom)))
		return EINVAL;
	/* "w-" + a readable part + "-" + a digest of the whole */
	id[k++] = 'w';
	id[k++] = '-';
	for (const char *p = canon; *p && k < 2 + 60; p++)
		id[k++] =
		    (is_alpha(*p) || is_digit(*p) || *p == '.' || *p == '-')
		        ? *p
		        : '_';
	md5_hex(h, canon, strlen(canon));
	snprintf(id + k, size - k, "-%.12s", h);
	return 0;
}
