/* im/cpim.c - message/cpim (RFC 3862 2, 3, 4; DateTime per RFC 3339 5.6) */
#include "cpim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "mime.h"

#define CPIM_DEFAULT_NS "urn:ietf:params:cpim-headers:"

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static int fail(const char **why, const char *what)
{
	if (why)
		*why = what;
	return EBADMSG;
}

/* Name-char of RFC 3862 3.1: visible ASCII but for the separators that
 * would make the header ambiguous. */
static bool name_char(char c)
{
	unsigned char u = (unsigned char)c;

	if (u <= 0x20 || u >= 0x7f)
		return false;
	return !strchr("()<>@,;:\\\"/[]?={}.", c);
}

static bool name_ok(const struct pl *n)
{
	if (!n->l)
		return false;
	for (size_t i = 0; i < n->l; i++) {
		if (!name_char(n->p[i]))
			return false;
	}
	return true;
}

/* The line at b[pos..n): content ends at *ce (before CR LF or LF), the
 * next line starts at *next. false when it has no LF. */
static bool line_at(const char *b, size_t pos, size_t n, size_t *ce,
                    size_t *next)
{
	const char *lf = memchr(b + pos, '\n', n - pos);
	size_t e;

	if (!lf) {
		*ce = n;
		*next = n;
		return false;
	}
	e = (size_t)(lf - b);
	*next = e + 1;
	if (e > pos && b[e - 1] == '\r')
		e--;
	*ce = e;
	return true;
}

/* The header field at b[*pos..n) with its continuation lines: 0 and the
 * field; ENOENT at the blank line that ends the block (*pos moves past
 * it); ENODATA when the bytes end first; EBADMSG. */
static int read_field(const char *b, size_t n, size_t *pos, struct pl *name,
                      struct pl *value, const char **why)
{
	const char *colon;
	size_t ce, next;
	bool lf;

	if (*pos >= n)
		return ENODATA;
	lf = line_at(b, *pos, n, &ce, &next);
	if (ce == *pos && lf) {
		*pos = next;
		return ENOENT;
	}
	if (is_wsp(b[*pos]))
		return fail(why, "continuation line without a header");
	colon = memchr(b + *pos, ':', ce - *pos);
	if (!colon)
		return fail(why, "header line without colon");
	name->p = b + *pos;
	name->l = (size_t)(colon - name->p);
	while (next < n && is_wsp(b[next]))
		line_at(b, next, n, &ce, &next);
	value->p = colon + 1;
	value->l = (size_t)(b + ce - value->p);
	pl_trim(value);
	if (!value->l)
		value->p = colon + 1;
	*pos = next;
	return 0;
}

/* "NS: prefix <uri>" or "NS: <uri>" (RFC 3862 4.6). */
static int ns_parse(const struct pl *v, struct pl *prefix, struct pl *uri)
{
	const char *p = v->p, *end = v->p + v->l;
	const char *lt = memchr(p, '<', v->l);

	if (!lt || end[-1] != '>' || end - 1 == lt + 1)
		return EBADMSG;
	prefix->p = p;
	prefix->l = (size_t)(lt - p);
	while (prefix->l && is_wsp(prefix->p[prefix->l - 1]))
		prefix->l--;
	if (prefix->l && (!name_ok(prefix) || prefix->l == (size_t)(lt - p)))
		return EBADMSG; /* a prefix is a Name, then SP */
	uri->p = lt + 1;
	uri->l = (size_t)(end - 1 - uri->p);
	for (size_t i = 0; i < uri->l; i++) {
		unsigned char u = (unsigned char)uri->p[i];

		if (u <= 0x20 || u == '<' || u == '>' || u == 0x7f)
			return EBADMSG;
	}
	return 0;
}

/* The NS declaration for prefix in force at position at (the last one
 * before it), or NULL. */
static const struct pl *ns_find(const struct cpim *c, const struct pl *prefix,
                                const char *at)
{
	const struct pl *uri = NULL;

	for (uint32_t i = 0; i < c->nns && i < CPIM_MAX_NS; i++) {
		if (c->ns[i].uri.p < at && !pl_cmp(&c->ns[i].prefix, prefix))
			uri = &c->ns[i].uri;
	}
	return uri;
}

static int add_field(struct cpim *c, const struct pl *name,
                     const struct pl *value, const char **why)
{
	struct cpim_field f;
	const char *dot = memchr(name->p, '.', name->l);

	if (c->nf >= CPIM_MAX_FIELDS)
		return fail(why, "too many message headers");
	memset(&f, 0, sizeof(f));
	f.prefix.p = name->p;
	f.name = *name;
	f.value = *value;
	if (dot) {
		f.prefix.l = (size_t)(dot - name->p);
		f.name.p = dot + 1;
		f.name.l = name->l - f.prefix.l - 1;
	}
	if (!name_ok(&f.name) || (dot && !name_ok(&f.prefix)))
		return fail(why, "bad message header name");
	if (dot && !ns_find(c, &f.prefix, f.name.p))
		return fail(why, "header prefix not declared by NS");
	if (!dot && !pl_strcmp(&f.name, "NS")) {
		if (c->nns >= CPIM_MAX_NS)
			return fail(why, "too many NS headers");
		if (ns_parse(value, &c->ns[c->nns].prefix, &c->ns[c->nns].uri))
			return fail(why, "bad NS header");
		c->nns++;
	}
	c->f[c->nf++] = f;
	return 0;
}

int cpim_parse(struct cpim *c, const char *buf, size_t len, const char **why)
{
	struct cpim m;
	struct pl name, value;
	size_t pos = 0, start;
	int err;

	if (!c || (!buf && len))
		return EINVAL;
	if (!buf)
		buf = "";
	memset(&m, 0, sizeof(m));

	/* message headers */
	for (;;) {
		err = read_field(buf, len, &pos, &name, &value, why);
		if (err == ENOENT)
			break;
		if (err == ENODATA)
			return fail(why, "no blank line after the message "
			                 "headers");
		if (err)
			return err;
		err = add_field(&m, &name, &value, why);
		if (err)
			return err;
	}

	/* headers of the encapsulated MIME object */
	start = pos;
	for (;;) {
		size_t here = pos;

		err = read_field(buf, len, &pos, &name, &value, why);
		if (err == ENOENT) {
			m.content_hdrs.p = buf + start;
			m.content_hdrs.l = here - start;
			break;
		}
		if (err == ENODATA)
			return fail(why, "no blank line after the content "
			                 "headers");
		if (err)
			return err;
		if (!name.l)
			return fail(why, "content header without name");
	}
	if (mime_hdr(&m.content_hdrs, "Content-Type", &m.ctype)) {
		m.ctype.p = buf + pos;
		m.ctype.l = 0;
	}
	m.body.p = buf + pos;
	m.body.l = len - pos;
	*c = m;
	return 0;
}

/* The namespace URI of field f. */
static struct pl field_ns(const struct cpim *c, const struct cpim_field *f)
{
	const struct pl *uri = ns_find(c, &f->prefix, f->name.p);
	struct pl def = PL(CPIM_DEFAULT_NS);

	return uri ? *uri : def;
}

static const struct pl *find_from(const struct cpim *c, uint32_t i,
                                  const struct pl *ns_uri,
                                  const struct pl *name)
{
	for (; i < c->nf && i < CPIM_MAX_FIELDS; i++) {
		const struct cpim_field *f = &c->f[i];
		struct pl ns;

		if (pl_cmp(&f->name, name))
			continue;
		ns = field_ns(c, f);
		if (!pl_cmp(&ns, ns_uri))
			return &f->value;
	}
	return NULL;
}

const struct pl *cpim_field(const struct cpim *c, const char *ns_uri,
                            const char *name)
{
	struct pl n, ns;

	if (!c || !name)
		return NULL;
	pl_set_str(&n, name);
	pl_set_str(&ns, ns_uri ? ns_uri : CPIM_DEFAULT_NS);
	return find_from(c, 0, &ns, &n);
}

const struct pl *cpim_field_next(const struct cpim *c, const struct pl *prev)
{
	if (!c || !prev)
		return NULL;
	for (uint32_t i = 0; i < c->nf && i < CPIM_MAX_FIELDS; i++) {
		struct pl ns;

		if (&c->f[i].value != prev)
			continue;
		ns = field_ns(c, &c->f[i]);
		return find_from(c, i + 1, &ns, &c->f[i].name);
	}
	return NULL;
}

int cpim_addr(const struct pl *value, struct pl *name, struct pl *uri)
{
	const char *p, *end, *lt, *gt, *from;
	struct pl v, dn, u;

	if (!value || !uri)
		return EINVAL;
	v = *value;
	if (!v.p)
		return EBADMSG;
	pl_trim(&v);
	p = v.p;
	end = v.p + v.l;
	from = p;
	dn.p = p;
	dn.l = 0;
	if (p < end && *p == '"') {
		const char *q = p + 1;

		while (q < end && *q != '"') {
			if (*q == '\\')
				q++;
			q++;
		}
		if (q >= end)
			return EBADMSG;
		dn.p = p + 1;
		dn.l = (size_t)(q - dn.p);
		from = q + 1;
		while (from < end && is_wsp(*from))
			from++;
		if (from >= end || *from != '<')
			return EBADMSG;
	}
	lt = memchr(from, '<', (size_t)(end - from));
	if (!lt)
		return EBADMSG;
	gt = memchr(lt + 1, '>', (size_t)(end - lt - 1));
	if (!gt || gt + 1 != end)
		return EBADMSG;
	if (from == p) {
		dn.p = p;
		dn.l = (size_t)(lt - p);
		pl_trim(&dn);
		if (!dn.l)
			dn.p = p;
	}
	u.p = lt + 1;
	u.l = (size_t)(gt - u.p);
	pl_trim(&u);
	if (!u.l)
		return EBADMSG;
	*uri = u;
	if (name)
		*name = dn;
	return 0;
}

/* --- building --- */

static bool has_crlf(const char *s)
{
	return s && strpbrk(s, "\r\n");
}

/* No white space, controls or angle brackets (RFC 3986 has none). */
static bool uri_ok(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++) {
		unsigned char u = (unsigned char)*s;

		if (u <= 0x20 || u == 0x7f || u == '<' || u == '>')
			return false;
	}
	return true;
}

/* Extra content headers: lines with a colon (or continuation lines after
 * one), no blank line. */
static bool extra_ok(const char *s)
{
	const char *next;

	if (!s)
		return true;
	if (is_wsp(s[0]))
		return false;
	for (const char *p = s; *p; p = next) {
		size_t l = strcspn(p, "\n");

		next = p[l] ? p + l + 1 : p + l;
		if (*p == '\r' || *p == '\n')
			return false; /* a blank line would end the block */
		if (!is_wsp(*p) && (*p == ':' || !memchr(p, ':', l)))
			return false;
	}
	return true;
}

/* A line fold (CRLF and white space, as in a SIP display name, RFC 3261
 * 25.1) at p? */
static bool is_fold(const char *p)
{
	return p[0] == '\r' && p[1] == '\n' && is_wsp(p[2]);
}

/* CR and LF only inside folds. */
static bool name_text_ok(const char *s)
{
	for (; s && *s; s++) {
		if (is_fold(s))
			s += 2;
		else if (*s == '\r' || *s == '\n')
			return false;
	}
	return true;
}

/* The display name as a quoted-string, folds unfolded. */
static int write_name(struct buf *mb, const char *name)
{
	int err = buf_write_u8(mb, '"');

	for (const char *p = name; !err && *p; p++) {
		if (is_fold(p))
			p += 2;
		if (*p == '"' || *p == '\\')
			err = buf_write_u8(mb, '\\');
		if (!err)
			err = buf_write_u8(mb, (uint8_t)*p);
	}
	if (!err)
		err = buf_write_str(mb, "\" ");
	return err;
}

static int build(struct buf *mb, const struct cpim_wrap *w, const char *dt)
{
	int err;

	err = buf_write_str(mb, "From: ");
	if (!err && w->from_name && w->from_name[0])
		err = write_name(mb, w->from_name);
	if (!err)
		err = buf_printf(mb, "<%s>\r\nTo: <%s>\r\nDateTime: %s\r\n",
		                 w->from_uri, w->to_uri, dt);
	if (!err && w->imdn_id)
		err = buf_printf(mb,
		                 "NS: imdn <" IMDN_NS_URI ">\r\n"
		                 "imdn.Message-ID: %s\r\n",
		                 w->imdn_id);
	if (!err && w->imdn_disp)
		err = buf_printf(mb, "imdn.Disposition-Notification: %s\r\n",
		                 w->imdn_disp);
	if (!err)
		err = buf_printf(mb, "\r\nContent-Type: %s\r\n", w->ctype);
	if (!err && w->extra_content_hdrs && w->extra_content_hdrs[0]) {
		size_t l = strlen(w->extra_content_hdrs);

		err = buf_write_str(mb, w->extra_content_hdrs);
		if (!err && w->extra_content_hdrs[l - 1] != '\n')
			err = buf_write_str(mb, "\r\n");
	}
	if (!err)
		err = buf_write_str(mb, "\r\n");
	if (!err && w->len)
		err = buf_write(mb, w->body, w->len);
	return err;
}

int cpim_build(struct buf **mbp, const struct cpim_wrap *w)
{
	struct buf *mb = NULL;
	char dt[32];
	int err;

	if (!mbp || !w || !uri_ok(w->from_uri) || !uri_ok(w->to_uri) ||
	    !w->ctype || !w->ctype[0] || has_crlf(w->ctype) ||
	    !name_text_ok(w->from_name) || (w->imdn_id && !w->imdn_id[0]) ||
	    has_crlf(w->imdn_id) || has_crlf(w->imdn_disp) ||
	    (w->imdn_disp && !w->imdn_id) || !extra_ok(w->extra_content_hdrs) ||
	    (!w->body && w->len))
		return EINVAL;
	err = cpim_datetime_print(dt, sizeof(dt), w->datetime_ms);
	if (err)
		return err;
	err = buf_alloc(&mb, 256 + w->len);
	if (err)
		return err;
	err = build(mb, w, dt);
	if (err) {
		mem_deref(mb);
		return err;
	}
	*mbp = mb;
	return 0;
}

/* --- RFC 3339 date-time --- */

#define MS_PER_DAY 86400000ULL
/* 10000-01-01T00:00:00Z: the first instant with a five-digit year */
#define MS_Y10K 253402300800000ULL

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned mdays(int64_t y, unsigned m)
{
	static const unsigned char d[12] = {31, 28, 31, 30, 31, 30,
	                                    31, 31, 30, 31, 30, 31};

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Leap years in [1, y). */
static int64_t leaps_before(int64_t y)
{
	y--;
	return y / 4 - y / 100 + y / 400;
}

/* Days from 1970-01-01 to y-m-d (negative before). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t days = 365 * (y - 1970) + leaps_before(y) - leaps_before(1970);

	for (unsigned i = 1; i < m; i++)
		days += mdays(y, i);
	return days + d - 1;
}

int cpim_datetime_print(char *buf, size_t size, uint64_t ms)
{
	uint64_t days = ms / MS_PER_DAY, rest = ms % MS_PER_DAY;
	unsigned y = 1970, m = 1;
	int n;

	if (!buf || size < 25 || ms >= MS_Y10K)
		return EINVAL;
	while (days >= (leap(y) ? 366u : 365u)) {
		days -= leap(y) ? 366u : 365u;
		y++;
	}
	while (days >= mdays(y, m)) {
		days -= mdays(y, m);
		m++;
	}
	n = snprintf(buf, size, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, m,
	             (unsigned)days + 1, (unsigned)(rest / 3600000),
	             (unsigned)(rest / 60000 % 60),
	             (unsigned)(rest / 1000 % 60), (unsigned)(rest % 1000));
	return n == 24 ? 0 : EINVAL;
}

/* n decimal digits at *p; false if any is not a digit. */
static bool digits(const char **p, const char *end, unsigned n, unsigned *v)
{
	unsigned x = 0;

	if (end - *p < (ptrdiff_t)n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return false;
		x = x * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*v = x;
	return true;
}

static bool expect(const char **p, const char *end, char a, char b)
{
	if (*p >= end || (**p != a && **p != b))
		return false;
	(*p)++;
	return true;
}

int cpim_datetime_parse(const struct pl *s, uint64_t *ms)
{
	unsigned y, mo, d, h, mi, sec, frac = 0, oh = 0, om = 0;
	const char *p, *end;
	int64_t t, off = 0;
	struct pl v;

	if (!s || !ms || !s->p)
		return EINVAL;
	v = *s;
	pl_trim(&v);
	p = v.p;
	end = v.p + v.l;
	if (!digits(&p, end, 4, &y) || !expect(&p, end, '-', '-') ||
	    !digits(&p, end, 2, &mo) || !expect(&p, end, '-', '-') ||
	    !digits(&p, end, 2, &d) || !expect(&p, end, 'T', 't') ||
	    !digits(&p, end, 2, &h) || !expect(&p, end, ':', ':') ||
	    !digits(&p, end, 2, &mi) || !expect(&p, end, ':', ':') ||
	    !digits(&p, end, 2, &sec))
		return EINVAL;
	if (expect(&p, end, '.', '.')) {
		unsigned nd = 0;

		while (p < end && *p >= '0' && *p <= '9') {
			if (nd++ < 3)
				frac = frac * 10 + (unsigned)(*p - '0');
			p++;
		}
		if (!nd)
			return EINVAL;
		for (; nd < 3; nd++)
			frac *= 10;
	}
	if (!expect(&p, end, 'Z', 'z')) {
		int sign;

		if (p >= end || (*p != '+' && *p != '-'))
			return EINVAL;
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, end, 2, &oh) || !expect(&p, end, ':', ':') ||
		    !digits(&p, end, 2, &om) || oh > 23 || om > 59)
			return EINVAL;
		off = sign * (int64_t)(oh * 3600 + om * 60);
	}
	if (p != end || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays(y, mo) || h > 23 || mi > 59 || sec > 60)
		return EINVAL;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0)
		return EINVAL;
	*ms = (uint64_t)t * 1000 + frac;
	return 0;
}
