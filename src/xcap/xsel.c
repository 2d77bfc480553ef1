/* xcap/xsel.c - XCAP resource selectors: the XCAP URI (RFC 4825 6.2) and
 * node selectors with their namespace bindings (RFC 4825 6.3, 6.4) */
#include "xsel.h"

#include <errno.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/pl.h"

enum {
	MAX_STEPS = 64, /* element steps of a node selector */
	MAX_SEL = 4096, /* bytes of a node selector, and of a query */
	MAX_NS = 64,    /* xmlns() parts of a query */
	MAX_SHOW = 64,  /* bytes of user text quoted in an error */
};

static const char xml_ns[] = "http://www.w3.org/XML/1998/namespace";

static void seterr(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* NCName characters (XML Namespaces); any non-ASCII octet is taken as
 * part of a UTF-8 name character. */
static bool name_start(char c)
{
	return is_alpha(c) || c == '_' || (uint8_t)c >= 0x80;
}

static bool name_char(char c)
{
	return name_start(c) || is_digit(c) || c == '-' || c == '.';
}

/* How much of [p, e) an error message quotes. */
static int show(const char *p, const char *e)
{
	return e - p > MAX_SHOW ? MAX_SHOW : (int)(e - p);
}

static size_t ncname_len(const char *p, const char *e)
{
	const char *q = p;

	if (q >= e || !name_start(*q))
		return 0;
	while (q < e && name_char(*q))
		q++;
	return (size_t)(q - p);
}

/* ---- the parsed selector ---- */

static void step_reset(struct xsel_step *st)
{
	mem_deref(st->prefix);
	mem_deref(st->name);
	mem_deref(st->aprefix);
	mem_deref(st->aname);
	mem_deref(st->aval);
	memset(st, 0, sizeof(*st));
}

static void xsel_destroy(void *data)
{
	struct xsel *s = data;

	for (uint32_t i = 0; i < s->n; i++)
		step_reset(&s->steps[i]);
	mem_deref(s->steps);
	mem_deref(s->tprefix);
	mem_deref(s->tname);
	for (uint32_t i = 0; i < s->nns; i++) {
		mem_deref(s->ns[i].prefix);
		mem_deref(s->ns[i].uri);
	}
	mem_deref(s->ns);
}

/* Room for one more element of size sz in the mem array *vp holding n;
 * its capacity is n rounded up to a power of 2, at least 4. */
static int grow(void **vp, uint32_t n, size_t sz)
{
	void *v;

	if (n && (n < 4 || (n & (n - 1))))
		return 0;
	v = n ? mem_realloc(*vp, 2 * (size_t)n * sz) : mem_alloc(4 * sz, NULL);
	if (!v)
		return ENOMEM;
	*vp = v;
	return 0;
}

/* The namespace bound to prefix (l octets), the last binding winning
 * (XPointer xmlns() scheme); "xml" is always bound. NULL: unbound. */
static const char *ns_find(const struct xsel *s, const char *prefix, size_t l)
{
	for (uint32_t i = s->nns; i-- > 0;) {
		if (strlen(s->ns[i].prefix) == l &&
		    !memcmp(s->ns[i].prefix, prefix, l))
			return s->ns[i].uri;
	}
	if (l == 3 && !memcmp(prefix, "xml", 3))
		return xml_ns;
	return NULL;
}

/* ---- query: xmlns(p=uri)... (RFC 4825 6.4, XPointer xmlns scheme) ---- */

struct qctx {
	const char *p, *e;
	char *err;
	size_t errsize;
};

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && is_ws(*p))
		p++;
	return p;
}

/* The namespace name of an xmlns() part up to its closing ')': '^'
 * escapes '^', '(' and ')'; unescaped parentheses must balance. */
static int ns_name(struct qctx *c, char **urip)
{
	const char *p = c->p;
	char *u, *w;
	int depth = 0;

	u = mem_alloc((size_t)(c->e - p) + 1, NULL);
	if (!u)
		return ENOMEM;
	w = u;
	for (;; p++) {
		if (p >= c->e) {
			seterr(c->err, c->errsize,
			       "query: unterminated xmlns(");
			goto bad;
		}
		if (*p == '^') {
			if (p + 1 >= c->e ||
			    (p[1] != '^' && p[1] != '(' && p[1] != ')')) {
				seterr(
				    c->err, c->errsize,
				    "query: '^' must escape '^', '(' or ')'");
				goto bad;
			}
			*w++ = *++p;
			continue;
		}
		if (*p == ')' && depth == 0)
			break;
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		*w++ = *p;
	}
	while (w > u && is_ws(w[-1]))
		w--;
	*w = '\0';
	c->p = p + 1;
	*urip = u;
	return 0;
bad:
	mem_deref(u);
	return EINVAL;
}

static int query_part(struct xsel *s, struct qctx *c)
{
	struct xsel_ns *b;
	const char *pfx;
	size_t pl;
	char *uri = NULL;
	int err;

	if ((size_t)(c->e - c->p) < 6 || memcmp(c->p, "xmlns(", 6)) {
		seterr(c->err, c->errsize,
		       "query: expected xmlns(prefix=namespace) at '%.*s'",
		       show(c->p, c->e), c->p);
		return EINVAL;
	}
	c->p = skip_ws(c->p + 6, c->e);
	pfx = c->p;
	pl = ncname_len(pfx, c->e);
	if (!pl) {
		seterr(c->err, c->errsize, "query: xmlns() without a prefix");
		return EINVAL;
	}
	c->p = skip_ws(pfx + pl, c->e);
	if (c->p >= c->e || *c->p != '=') {
		seterr(c->err, c->errsize,
		       "query: expected '=' after xmlns(%.*s", (int)pl, pfx);
		return EINVAL;
	}
	c->p = skip_ws(c->p + 1, c->e);
	err = ns_name(c, &uri);
	if (err)
		return err;
	if (!uri[0] || (pl == 5 && !memcmp(pfx, "xmlns", 5)) ||
	    (pl == 3 && !memcmp(pfx, "xml", 3) && strcmp(uri, xml_ns))) {
		seterr(c->err, c->errsize,
		       uri[0] ? "query: prefix '%.*s' cannot be bound"
		              : "query: empty namespace name for '%.*s'",
		       (int)pl, pfx);
		err = EINVAL;
		goto out;
	}
	if (s->nns == MAX_NS) {
		seterr(c->err, c->errsize,
		       "query: more than %d namespace bindings", MAX_NS);
		err = EINVAL;
		goto out;
	}
	err = grow((void **)&s->ns, s->nns, sizeof(*s->ns));
	if (err)
		goto out;
	b = &s->ns[s->nns];
	memset(b, 0, sizeof(*b));
	err = mem_strndup(&b->prefix, pfx, pl);
	if (err)
		goto out;
	b->uri = uri;
	uri = NULL;
	s->nns++;
out:
	mem_deref(uri);
	return err;
}

static int query_parse(struct xsel *s, const char *q, char *err, size_t errsize)
{
	struct qctx c = {q, q, err, errsize};
	size_t len;
	int e;

	if (!q)
		return 0;
	len = strlen(q);
	if (len > MAX_SEL) {
		seterr(err, errsize, "query longer than %d bytes", MAX_SEL);
		return EINVAL;
	}
	c.e = q + len;
	for (;;) {
		c.p = skip_ws(c.p, c.e);
		if (c.p >= c.e)
			return 0;
		e = query_part(s, &c);
		if (e)
			return e;
	}
}

/* ---- node selector (RFC 4825 6.3) ---- */

struct sctx {
	const char *p, *e;
	uint32_t step; /* 1-based, for messages */
	struct xsel *s;
	char *err;
	size_t errsize;
};

static int serr(struct sctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "step N: what"; returns EINVAL. */
static int serr(struct sctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errsize)
		return EINVAL;
	n = snprintf(c->err, c->errsize, "step %u: ", c->step);
	if (n < 0 || (size_t)n >= c->errsize)
		return EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errsize - (size_t)n, fmt, ap);
	va_end(ap);
	return EINVAL;
}

/* A QName at c->p: pfx->l is 0 without a prefix. false: none there. */
static bool qname(struct sctx *c, struct pl *pfx, struct pl *local)
{
	size_t n = ncname_len(c->p, c->e), m;

	if (!n)
		return false;
	pl_set_mem(pfx, NULL, 0);
	pl_set_mem(local, c->p, n);
	if (n < (size_t)(c->e - c->p) && c->p[n] == ':') {
		m = ncname_len(c->p + n + 1, c->e);
		if (m) {
			*pfx = *local;
			pl_set_mem(local, c->p + n + 1, m);
			n += 1 + m;
		}
	}
	c->p += n;
	return true;
}

/* Copies of a QName; its prefix must be bound by the query. */
static int dup_qname(struct sctx *c, char **prefixp, char **namep,
                     const struct pl *pfx, const struct pl *local)
{
	int err;

	if (pfx->l) {
		if (!ns_find(c->s, pfx->p, pfx->l))
			return serr(c,
			            "prefix '%.*s' is not bound by "
			            "xmlns() in the query",
			            show(pfx->p, pfx->p + pfx->l), pfx->p);
		err = pl_strdup(prefixp, pfx);
		if (err)
			return err;
	}
	return pl_strdup(namep, local);
}

/* XML 1.0 Char production. */
static bool xml_char(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd ||
	       (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

static size_t utf8_put(char *w, uint32_t cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xc0 | (cp >> 6));
		w[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xe0 | (cp >> 12));
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | (cp >> 18));
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int hexval(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* &#N; or &#xH; (l octets after '#'): the code point, 0 if invalid. */
static uint32_t char_ref(const char *p, size_t l)
{
	bool hex = l && (*p == 'x');
	uint32_t cp = 0;

	if (hex) {
		p++;
		l--;
	}
	if (!l)
		return 0;
	for (; l; p++, l--) {
		int d = hex ? hexval(*p) : (is_digit(*p) ? *p - '0' : -1);

		if (d < 0)
			return 0;
		cp = cp * (hex ? 16 : 10) + (uint32_t)d;
		if (cp > 0x10ffff)
			return 0;
	}
	return xml_char(cp) ? cp : 0;
}

/* The reference at c->p ('&') before end, decoded into *wp. */
static int entity(struct sctx *c, const char *end, char **wp)
{
	static const struct {
		const char *name;
		char ch;
	} ents[] = {{"quot", '"'},
	            {"apos", '\''},
	            {"amp", '&'},
	            {"lt", '<'},
	            {"gt", '>'}};
	const char *p = c->p + 1;
	const char *semi = memchr(p, ';', (size_t)(end - p));
	size_t l;
	uint32_t cp;

	if (!semi)
		return serr(c, "'&' without ';' in an attribute value");
	l = (size_t)(semi - p);
	if (l && *p == '#') {
		cp = char_ref(p + 1, l - 1);
		if (!cp)
			return serr(c, "bad character reference '&%.*s;'",
			            show(p, semi), p);
		*wp += utf8_put(*wp, cp);
		c->p = semi + 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		if (strlen(ents[i].name) == l && !memcmp(ents[i].name, p, l)) {
			*(*wp)++ = ents[i].ch;
			c->p = semi + 1;
			return 0;
		}
	}
	return serr(c, "unknown entity '&%.*s;'", show(p, semi), p);
}

/* AttValue (XML 1.0 [10]): quoted with " or ', no '<', references
 * decoded. Decoded text is never longer than its source. */
static int att_value(struct sctx *c, char **valp)
{
	const char *end;
	char q, *v, *w;
	int err;

	if (c->p >= c->e || (*c->p != '"' && *c->p != '\''))
		return serr(c, "attribute value must be quoted");
	q = *c->p++;
	end = memchr(c->p, q, (size_t)(c->e - c->p));
	if (!end)
		return serr(c, "unterminated quoted value");
	v = mem_alloc((size_t)(end - c->p) + 1, NULL);
	if (!v)
		return ENOMEM;
	w = v;
	while (c->p < end) {
		char ch = *c->p;

		if (ch == '&') {
			err = entity(c, end, &w);
			if (err)
				goto bad;
			continue;
		}
		if (ch == '<' || ((uint8_t)ch < 0x20 && !is_ws(ch))) {
			err = ch == '<' ? serr(c, "'<' in an attribute value")
			                : serr(c, "control character in an "
			                          "attribute value");
			goto bad;
		}
		*w++ = ch;
		c->p++;
	}
	*w = '\0';
	c->p = end + 1;
	*valp = v;
	return 0;
bad:
	mem_deref(v);
	return err;
}

static int position(struct sctx *c, uint32_t *posp)
{
	uint32_t v = 0;

	while (c->p < c->e && is_digit(*c->p)) {
		uint32_t d = (uint32_t)(*c->p - '0');

		if (v > (UINT32_MAX - d) / 10)
			return serr(c, "position too large");
		v = v * 10 + d;
		c->p++;
	}
	if (!v)
		return serr(c, "position 0");
	*posp = v;
	return 0;
}

/* After '@': att-name "=" att-value. */
static int attr_test(struct sctx *c, struct xsel_step *st)
{
	struct pl pfx, local;
	int err;

	if (!qname(c, &pfx, &local))
		return serr(c, "expected an attribute name after '@'");
	if (c->p >= c->e || *c->p != '=')
		return serr(c, "expected '=' after the attribute name");
	c->p++;
	err = dup_qname(c, &st->aprefix, &st->aname, &pfx, &local);
	if (err)
		return err;
	return att_value(c, &st->aval);
}

/* by-pos "[N]", by-attr "[@a=v]", by-pos-attr "[N][@a=v]". */
static int predicates(struct sctx *c, struct xsel_step *st)
{
	int err;

	while (c->p < c->e && *c->p == '[') {
		c->p++;
		if (c->p >= c->e)
			return serr(c, "unterminated '['");
		if (is_digit(*c->p)) {
			if (st->aname)
				return serr(c, "a position must come before "
				               "the attribute test");
			if (st->pos)
				return serr(c, "more than one position");
			err = position(c, &st->pos);
		} else if (*c->p == '@') {
			if (st->aname)
				return serr(c, "more than one attribute test");
			c->p++;
			err = attr_test(c, st);
		} else {
			return serr(c, "expected a position or '@' after '['");
		}
		if (err)
			return err;
		if (c->p >= c->e)
			return serr(c, "unterminated '['");
		if (*c->p != ']')
			return serr(c, "expected ']' at '%.*s'",
			            show(c->p, c->e), c->p);
		c->p++;
	}
	return 0;
}

static int element_step(struct sctx *c)
{
	struct xsel_step st;
	struct pl pfx, local;
	int err;

	memset(&st, 0, sizeof(st));
	if (c->s->n == MAX_STEPS)
		return serr(c, "more than %d steps", MAX_STEPS);
	if (*c->p == '*') {
		c->p++;
	} else if (!qname(c, &pfx, &local)) {
		return serr(c, "expected a name or '*' at '%.*s'",
		            show(c->p, c->e), c->p);
	} else {
		err = dup_qname(c, &st.prefix, &st.name, &pfx, &local);
		if (err)
			goto out;
	}
	err = predicates(c, &st);
	if (!err && c->p < c->e && *c->p != '/')
		err = serr(c, "unexpected '%.*s' after the step",
		           show(c->p, c->e), c->p);
	if (!err)
		err = grow((void **)&c->s->steps, c->s->n, sizeof(st));
	if (!err) {
		c->s->steps[c->s->n++] = st;
		return 0;
	}
out:
	step_reset(&st);
	return err;
}

/* "@name" or "namespace::*": the last segment only. */
static int terminal(struct sctx *c, bool attr)
{
	struct pl pfx, local;

	if (attr) {
		c->p++;
		if (!qname(c, &pfx, &local))
			return serr(c, "expected an attribute name after '@'");
	} else {
		c->p += 12;
	}
	if (c->p < c->e && *c->p == '/')
		return serr(c, "%s must be the last step",
		            attr ? "an attribute selector" : "namespace::*");
	if (c->p < c->e)
		return serr(c, "unexpected '%.*s' after the step",
		            show(c->p, c->e), c->p);
	if (!c->s->n)
		return serr(c, "%s needs an element step before it",
		            attr ? "an attribute selector" : "namespace::*");
	if (!attr) {
		c->s->term = XSEL_NSBIND;
		return 0;
	}
	c->s->term = XSEL_ATTRIBUTE;
	return dup_qname(c, &c->s->tprefix, &c->s->tname, &pfx, &local);
}

static int segment(struct sctx *c)
{
	if (c->p >= c->e || *c->p == '/')
		return serr(c, "empty step");
	if (*c->p == '@')
		return terminal(c, true);
	if (c->e - c->p >= 12 && !memcmp(c->p, "namespace::*", 12))
		return terminal(c, false);
	return element_step(c);
}

int xsel_parse(struct xsel **sp, const char *sel, const char *query, char *err,
               size_t errsize)
{
	struct sctx c;
	struct xsel *s;
	size_t len;
	int e;

	if (err && errsize)
		err[0] = '\0';
	if (!sp || !sel)
		return EINVAL;
	len = strlen(sel);
	if (!len) {
		seterr(err, errsize, "empty selector");
		return EINVAL;
	}
	if (len > MAX_SEL) {
		seterr(err, errsize, "selector longer than %d bytes", MAX_SEL);
		return EINVAL;
	}
	s = mem_zalloc(sizeof(*s), xsel_destroy);
	if (!s)
		return ENOMEM;
	e = query_parse(s, query, err, errsize);
	if (e)
		goto out;
	c = (struct sctx){sel, sel + len, 0, s, err, errsize};
	for (;;) {
		c.step++;
		e = segment(&c);
		if (e || c.p >= c.e)
			break;
		c.p++; /* '/' */
	}
out:
	if (e) {
		mem_deref(s);
		return e;
	}
	*sp = s;
	return 0;
}

/* ---- evaluation ---- */

static const char *href(const xmlNs *ns)
{
	return ns && ns->href && ns->href[0] ? (const char *)ns->href : NULL;
}

static bool ns_eq(const char *a, const char *b)
{
	return a ? b && !strcmp(a, b) : !b;
}

static bool name_ok(const struct xsel *s, const struct xsel_step *st,
                    const xmlNode *n, const char *default_ns)
{
	const char *want = default_ns && default_ns[0] ? default_ns : NULL;

	if (n->type != XML_ELEMENT_NODE)
		return false;
	if (!st->name)
		return true;
	if (!n->name || strcmp((const char *)n->name, st->name))
		return false;
	if (st->prefix) {
		want = ns_find(s, st->prefix, strlen(st->prefix));
		if (!want)
			return false;
	}
	return ns_eq(want, href(n->ns));
}

/* The value of a (text children compared in place) is v? */
static bool value_eq(const xmlAttr *a, const char *v)
{
	size_t vl = strlen(v), off = 0;
	xmlChar *all;
	bool eq;

	for (const xmlNode *t = a->children; t; t = t->next) {
		size_t l;

		if (t->type != XML_TEXT_NODE)
			goto slow;
		l = t->content ? strlen((const char *)t->content) : 0;
		if (l > vl - off || memcmp(t->content, v + off, l))
			return false;
		off += l;
	}
	return off == vl;
slow: /* entity references: let libxml2 put the value together */
	all = xmlNodeListGetString(a->doc, a->children, 1);
	eq = all ? !strcmp((const char *)all, v) : !vl;
	xmlFree(all);
	return eq;
}

static bool attr_ok(const struct xsel *s, const struct xsel_step *st,
                    const xmlNode *n)
{
	const char *want = NULL;

	if (!st->aname)
		return true;
	if (st->aprefix) {
		want = ns_find(s, st->aprefix, strlen(st->aprefix));
		if (!want)
			return false;
	}
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->type != XML_ATTRIBUTE_NODE || !a->name ||
		    strcmp((const char *)a->name, st->aname) ||
		    !ns_eq(want, href(a->ns)))
			continue;
		return st->aval && value_eq(a, st->aval);
	}
	return false;
}

bool xsel_step_match(const struct xsel *s, const struct xsel_step *st,
                     const xmlNode *n, const char *default_ns)
{
	return s && st && n && name_ok(s, st, n, default_ns) &&
	       attr_ok(s, st, n);
}

/* The one element among k and its following siblings that st selects:
 * XPath order, the position counts the siblings that pass the name
 * test, the attribute test then filters that one. */
static int select_one(const struct xsel *s, const struct xsel_step *st,
                      xmlNode *k, const char *default_ns, xmlNode **np)
{
	xmlNode *found = NULL;
	uint32_t idx = 0;

	for (; k; k = k->next) {
		if (!name_ok(s, st, k, default_ns))
			continue;
		idx++;
		if (st->pos && idx != st->pos)
			continue;
		if (attr_ok(s, st, k)) {
			if (found)
				return E2BIG;
			found = k;
		}
		if (st->pos)
			break;
	}
	if (!found)
		return ENOENT;
	*np = found;
	return 0;
}

int xsel_eval(const struct xsel *s, xmlDocPtr doc, const char *default_ns,
              xmlNodePtr *nodep, uint32_t *depth_ok)
{
	xmlNode *cur = NULL;
	int err;

	if (depth_ok)
		*depth_ok = 0;
	if (!s || !s->n || !doc)
		return EINVAL;
	for (uint32_t i = 0; i < s->n; i++) {
		err = select_one(s, &s->steps[i],
		                 i ? cur->children : doc->children, default_ns,
		                 &cur);
		if (err)
			return err;
		if (depth_ok)
			*depth_ok = i + 1;
	}
	if (nodep)
		*nodep = cur;
	return 0;
}

/* ---- printing ---- */

struct pbuf {
	char *b;
	size_t size, len;
	bool full;
};

/* pchar of RFC 3986 3.3 ('/' separates the steps) stays as it is. */
static bool path_char(char c)
{
	return is_alpha(c) || is_digit(c) || strchr("-._~!$&'()*+,;=:@/", c);
}

static void put(struct pbuf *pb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool raw = c && path_char(c);
		size_t need = raw ? 1 : 3;

		if (pb->full || pb->len + need >= pb->size) {
			pb->full = true;
			pb->b[pb->len] = '\0';
			return;
		}
		if (raw) {
			pb->b[pb->len++] = c;
		} else {
			pb->b[pb->len++] = '%';
			pb->b[pb->len++] = hex[(uint8_t)c >> 4];
			pb->b[pb->len++] = hex[(uint8_t)c & 0xf];
		}
	}
	pb->b[pb->len] = '\0';
}

static void put_str(struct pbuf *pb, const char *s)
{
	put(pb, s, strlen(s));
}

static void put_qname(struct pbuf *pb, const char *prefix, const char *name)
{
	if (prefix) {
		put_str(pb, prefix);
		put_str(pb, ":");
	}
	put_str(pb, name);
}

/* An AttValue in "": '"', '&' and '<' as references. */
static void put_value(struct pbuf *pb, const char *v)
{
	put_str(pb, "\"");
	for (; *v; v++) {
		if (*v == '"')
			put_str(pb, "&quot;");
		else if (*v == '&')
			put_str(pb, "&amp;");
		else if (*v == '<')
			put_str(pb, "&lt;");
		else
			put(pb, v, 1);
	}
	put_str(pb, "\"");
}

int xsel_print(const struct xsel *s, uint32_t k, char *buf, size_t size)
{
	struct pbuf pb = {buf, size, 0, false};

	if (!s || !buf || !size || k > s->n)
		return EINVAL;
	buf[0] = '\0';
	for (uint32_t i = 0; i < k; i++) {
		const struct xsel_step *st = &s->steps[i];

		if (i)
			put_str(&pb, "/");
		if (st->name)
			put_qname(&pb, st->prefix, st->name);
		else
			put_str(&pb, "*");
		if (st->pos) {
			char num[16];

			snprintf(num, sizeof(num), "[%u]", st->pos);
			put_str(&pb, num);
		}
		if (st->aname) {
			put_str(&pb, "[@");
			put_qname(&pb, st->aprefix, st->aname);
			put_str(&pb, "=");
			put_value(&pb, st->aval ? st->aval : "");
			put_str(&pb, "]");
		}
	}
	return pb.full ? ENOSPC : 0;
}

/* ---- the XCAP URI (RFC 4825 6.2) ---- */

void xcap_uri_reset(struct xcap_uri *u)
{
	if (!u)
		return;
	mem_deref(u->auid);
	mem_deref(u->xui);
	mem_deref(u->owner);
	mem_deref(u->doc);
	mem_deref(u->nodesel);
	mem_deref(u->sel);
	memset(u, 0, sizeof(*u));
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool prefix_ci(const char *p, const char *e, const char *pfx)
{
	size_t l = strlen(pfx);

	if ((size_t)(e - p) < l)
		return false;
	for (size_t i = 0; i < l; i++)
		if (lower(p[i]) != pfx[i])
			return false;
	return true;
}

/* A host name, IPv4 address or bracketed IPv6 reference. */
static bool host_ok(const char *p, const char *e)
{
	bool v6 = e - p >= 3 && *p == '[' && e[-1] == ']';

	if (p >= e)
		return false;
	if (v6) {
		p++;
		e--;
	}
	for (; p < e; p++) {
		if (v6 ? hexval(*p) < 0 && *p != ':' && *p != '.'
		       : !is_alpha(*p) && !is_digit(*p) && *p != '-' &&
		             *p != '.')
			return false;
	}
	return true;
}

/* owner: the XUI without sip:/sips:, its domain in lower case. */
static int owner_of(struct xcap_uri *u, const char *x, const char *e, char *err,
                    size_t errsize)
{
	const char *p = x, *at = NULL;
	size_t l;
	bool bad;

	if (prefix_ci(p, e, "sip:"))
		p += 4;
	else if (prefix_ci(p, e, "sips:"))
		p += 5;
	for (const char *q = p; q < e; q++) {
		if (*q == '@')
			at = q;
	}
	bad = !at || at == p || !host_ok(at + 1, e);
	for (const char *q = p; !bad && q < at; q++)
		bad = *q == ':' || (uint8_t)*q < 0x20 || *q == 0x7f;
	if (bad) {
		seterr(err, errsize, "XUI '%.*s' is not user@domain",
		       show(x, e), x);
		return EINVAL;
	}
	l = (size_t)(e - p);
	u->owner = mem_alloc(l + 1, NULL);
	if (!u->owner)
		return ENOMEM;
	for (size_t i = 0; i < l; i++)
		u->owner[i] = p + i > at ? lower(p[i]) : p[i];
	u->owner[l] = '\0';
	return 0;
}

/* Document path segments: none empty (but a final one: a directory),
 * no "." or "..". */
static int doc_path(const char *p, const char *e, char *err, size_t errsize)
{
	const char *s = p;

	for (const char *q = p;; q++) {
		if (q < e && *q != '/')
			continue;
		if ((q == s && q < e) || (q - s == 1 && s[0] == '.') ||
		    (q - s == 2 && s[0] == '.' && s[1] == '.')) {
			seterr(err, errsize,
			       "document path '%.*s' has an empty, '.' or "
			       "'..' segment",
			       show(p, e), p);
			return EINVAL;
		}
		if (q >= e)
			return 0;
		s = q + 1;
	}
}

int xcap_uri_parse(struct xcap_uri *u, const char *path, const char *query,
                   char *err, size_t errsize)
{
	const char *e, *p, *slash, *sel = NULL;
	size_t len;
	int r;

	if (u)
		memset(u, 0, sizeof(*u));
	if (err && errsize)
		err[0] = '\0';
	if (!u || !path)
		return EINVAL;
	len = strlen(path);
	e = strstr(path, "/~~/");
	if (e) {
		sel = e + 4;
	} else if (len >= 3 && !strcmp(path + len - 3, "/~~")) {
		e = path + len - 3;
		sel = path + len;
	} else {
		e = path + len;
	}

	slash = memchr(path, '/', (size_t)(e - path));
	if (slash == path || e == path) {
		seterr(err, errsize, "no application usage in the XCAP URI");
		return EINVAL;
	}
	r = mem_strndup(&u->auid, path, (size_t)((slash ? slash : e) - path));
	if (r)
		return r;
	if (!slash) {
		seterr(err, errsize, "no users or global tree after '%s'",
		       u->auid);
		return ENOENT;
	}
	p = slash + 1;
	slash = memchr(p, '/', (size_t)(e - p));
	len = (size_t)((slash ? slash : e) - p);
	if (len == 5 && !memcmp(p, "users", 5)) {
		u->tree = XCAP_USERS;
	} else if (len == 6 && !memcmp(p, "global", 6)) {
		u->tree = XCAP_GLOBAL;
	} else {
		seterr(err, errsize, "'%.*s' is not the users or global tree",
		       show(p, p + len), p);
		return ENOENT;
	}
	p = slash ? slash + 1 : e;

	if (u->tree == XCAP_USERS) {
		slash = memchr(p, '/', (size_t)(e - p));
		len = (size_t)((slash ? slash : e) - p);
		if (!len) {
			seterr(err, errsize, "no XUI after users/");
			return EINVAL;
		}
		r = mem_strndup(&u->xui, p, len);
		if (!r)
			r = owner_of(u, p, p + len, err, errsize);
		if (r)
			return r;
		p = slash ? slash + 1 : e;
	} else {
		r = mem_strdup(&u->owner, "");
		if (r)
			return r;
	}

	if (p < e) {
		r = doc_path(p, e, err, errsize);
		if (!r && e[-1] != '/')
			r = mem_strndup(&u->doc, p, (size_t)(e - p));
		if (r)
			return r;
	}
	if (!sel)
		return 0;
	if (!u->doc) {
		seterr(err, errsize, "node selector without a document");
		return EINVAL;
	}
	r = mem_strdup(&u->nodesel, sel);
	if (r)
		return r;
	if (!*sel) {
		seterr(err, errsize, "empty node selector after '~~'");
		return EINVAL;
	}
	return xsel_parse(&u->sel, sel, query, err, errsize);
}
