/* im/mime.c - media types (RFC 2045 5.1), multipart bodies (RFC 2046
 * 5.1.1) and the header fields inside body parts */
#include "mime.h"

#include <errno.h>
#include <string.h>

#define MIME_MAX_BOUNDARY 70

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* token := 1*<any CHAR except SPACE, CTLs or tspecials> (RFC 2045 5.1) */
static bool is_tchar(char c)
{
	unsigned char u = (unsigned char)c;

	if (u <= 0x20 || u >= 0x7f)
		return false;
	return !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Length of the token at p[0..n). */
static size_t token_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar(p[i]))
		i++;
	return i;
}

static size_t skip_wsp(const char *p, size_t i, size_t n)
{
	while (i < n && is_wsp(p[i]))
		i++;
	return i;
}

int mime_type_parse(struct mime_type *t, const struct pl *value)
{
	struct mime_type r;
	struct pl v;
	size_t i, n;

	if (!t || !value)
		return EINVAL;
	v = *value;
	if (!v.p)
		return EBADMSG;
	pl_trim(&v);
	n = v.l;
	r.type.p = v.p;
	r.type.l = token_len(v.p, n);
	i = r.type.l;
	if (!r.type.l || i >= n || v.p[i] != '/')
		return EBADMSG;
	i++;
	r.subtype.p = v.p + i;
	r.subtype.l = token_len(v.p + i, n - i);
	if (!r.subtype.l)
		return EBADMSG;
	i = skip_wsp(v.p, i + r.subtype.l, n);
	if (i < n && v.p[i] != ';')
		return EBADMSG;
	r.params.p = v.p + i;
	r.params.l = n - i;
	*t = r;
	return 0;
}

bool mime_type_is(const struct mime_type *t, const char *ts)
{
	const char *slash;
	struct pl ty, sub;

	if (!t || !ts)
		return false;
	slash = strchr(ts, '/');
	if (!slash)
		return false;
	ty.p = ts;
	ty.l = (size_t)(slash - ts);
	pl_set_str(&sub, slash + 1);
	if (pl_strcmp(&ty, "*") && pl_casecmp(&t->type, &ty))
		return false;
	return !pl_strcmp(&sub, "*") || !pl_casecmp(&t->subtype, &sub);
}

/* A quoted-string at p[i..n) (p[i] is the opening quote): its content
 * without the quotes, escapes left as they are. false if unterminated. */
static bool quoted(const char *p, size_t i, size_t n, struct pl *val,
                   size_t *next)
{
	size_t j = i + 1;

	while (j < n && p[j] != '"') {
		if (p[j] == '\\')
			j++;
		j++;
	}
	if (j >= n)
		return false;
	val->p = p + i + 1;
	val->l = j - i - 1;
	*next = j + 1;
	return true;
}

int mime_param(const struct mime_type *t, const char *name, struct pl *val)
{
	const char *p;
	size_t i = 0, n;

	if (!t || !name || !val)
		return EINVAL;
	p = t->params.p;
	n = p ? t->params.l : 0;
	for (;;) {
		struct pl attr, v;

		i = skip_wsp(p, i, n);
		if (i >= n || p[i] != ';')
			return ENOENT;
		i = skip_wsp(p, i + 1, n);
		attr.p = p + i;
		attr.l = token_len(p + i, n - i);
		if (!attr.l)
			return ENOENT;
		i = skip_wsp(p, i + attr.l, n);
		if (i >= n || p[i] != '=')
			return ENOENT;
		i = skip_wsp(p, i + 1, n);
		if (i < n && p[i] == '"') {
			if (!quoted(p, i, n, &v, &i))
				return ENOENT;
		} else {
			v.p = p + i;
			v.l = token_len(p + i, n - i);
			if (!v.l)
				return ENOENT;
			i += v.l;
		}
		if (!pl_strcasecmp(&attr, name)) {
			*val = v;
			return 0;
		}
	}
}

/* The line at p[pos..n): *ce is where its content ends (before CR LF or
 * LF), *next where the following line starts. false if the line has no
 * LF (it runs to n). */
static bool line_at(const char *p, size_t pos, size_t n, size_t *ce,
                    size_t *next)
{
	const char *lf = memchr(p + pos, '\n', n - pos);
	size_t e;

	if (!lf) {
		*ce = n;
		*next = n;
		return false;
	}
	e = (size_t)(lf - p);
	*next = e + 1;
	if (e > pos && p[e - 1] == '\r')
		e--;
	*ce = e;
	return true;
}

int mime_hdr(const struct pl *hdrs, const char *name, struct pl *val)
{
	const char *p;
	size_t pos = 0, n;

	if (!hdrs || !name || !val)
		return EINVAL;
	p = hdrs->p;
	n = p ? hdrs->l : 0;
	while (pos < n) {
		const char *colon;
		size_t ce, next;
		struct pl hn, v;

		line_at(p, pos, n, &ce, &next);
		if (is_wsp(p[pos]) || ce == pos) {
			pos = next;
			continue;
		}
		colon = memchr(p + pos, ':', ce - pos);
		if (!colon) {
			pos = next;
			continue;
		}
		hn.p = p + pos;
		hn.l = (size_t)(colon - hn.p);
		while (hn.l && is_wsp(hn.p[hn.l - 1]))
			hn.l--;
		/* folded continuation lines belong to the value */
		while (next < n && is_wsp(p[next]))
			line_at(p, next, n, &ce, &next);
		if (pl_strcasecmp(&hn, name)) {
			pos = next;
			continue;
		}
		v.p = colon + 1;
		v.l = (size_t)(p + ce - v.p);
		pl_trim(&v);
		*val = v;
		return 0;
	}
	return ENOENT;
}

static int fail(const char **why, const char *what)
{
	if (why)
		*why = what;
	return EBADMSG;
}

/* The next delimiter line in b[from..n): "--boundary" at the start of a
 * line (for the first delimiter also at the very start of the body),
 * then "--" for the close delimiter, transport padding and the line end.
 * *dstart is where the delimiter begins with the CRLF (or LF) before it,
 * *after is where the next line starts. A line that merely starts with
 * "--boundary" followed by something else is content. */
static bool find_delim(const char *b, size_t n, size_t from, bool first,
                       const struct pl *db, size_t *dstart, size_t *after,
                       bool *close)
{
	size_t pos = from;

	while (pos < n && n - pos >= db->l) {
		const char *hit = memmem(b + pos, n - pos, db->p, db->l);
		size_t q, ds, e;
		bool cl = false;

		if (!hit)
			return false;
		q = (size_t)(hit - b);
		pos = q + 1;
		if (first && q == 0) {
			ds = 0;
		} else if (q > from && b[q - 1] == '\n') {
			ds = q - 1;
			if (ds > from && b[ds - 1] == '\r')
				ds--;
		} else {
			continue;
		}
		e = q + db->l;
		if (n - e >= 2 && b[e] == '-' && b[e + 1] == '-') {
			cl = true;
			e += 2;
		}
		e = skip_wsp(b, e, n);
		if (n - e >= 2 && b[e] == '\r' && b[e + 1] == '\n')
			e += 2;
		else if (e < n && b[e] == '\n')
			e++;
		else if (e < n && !cl)
			continue; /* "--boundaryX": not ours */
		*dstart = ds;
		*after = e;
		*close = cl;
		return true;
	}
	return false;
}

/* One body part in b[start..end): headers, blank line, content. */
static int part_parse(const char *b, size_t start, size_t end,
                      struct mime_part *mp, const char **why)
{
	size_t pos = start;

	for (;;) {
		size_t ce, next;

		if (pos >= end) {
			/* headers only (RFC 2046: body-part :=
			 * MIME-part-headers [CRLF *OCTET]), or an empty part */
			mp->hdrs.p = b + start;
			mp->hdrs.l = pos - start;
			mp->body.p = b + end;
			mp->body.l = 0;
			break;
		}
		if (!line_at(b, pos, end, &ce, &next))
			return fail(why, "body part without blank line after "
			                 "its headers");
		if (ce == pos) {
			mp->hdrs.p = b + start;
			mp->hdrs.l = pos - start;
			mp->body.p = b + next;
			mp->body.l = end - next;
			break;
		}
		if (is_wsp(b[pos])) {
			if (pos == start)
				return fail(why, "body part header starts with "
				                 "a continuation line");
		} else if (!memchr(b + pos, ':', ce - pos)) {
			return fail(why, "body part header line without colon");
		}
		pos = next;
	}
	if (mime_hdr(&mp->hdrs, "Content-Type", &mp->ctype)) {
		mp->ctype.p = mp->hdrs.p;
		mp->ctype.l = 0;
	}
	if (mime_hdr(&mp->hdrs, "Content-Disposition", &mp->disposition)) {
		mp->disposition.p = mp->hdrs.p;
		mp->disposition.l = 0;
	}
	return 0;
}

int mime_multipart(const struct pl *boundary, const char *body, size_t len,
                   struct mime_part *parts, uint32_t max, uint32_t *n,
                   const char **why)
{
	char dbuf[2 + MIME_MAX_BOUNDARY];
	struct pl db;
	size_t pos, ds, after;
	uint32_t count = 0;
	bool close;
	int err;

	if ((!body && len) || (!parts && max) || !n)
		return EINVAL;
	if (!boundary || !boundary->p || !boundary->l)
		return fail(why, "missing boundary");
	if (boundary->l > MIME_MAX_BOUNDARY)
		return fail(why, "boundary longer than 70 characters");
	dbuf[0] = '-';
	dbuf[1] = '-';
	memcpy(dbuf + 2, boundary->p, boundary->l);
	db.p = dbuf;
	db.l = 2 + boundary->l;

	if (!len || !find_delim(body, len, 0, true, &db, &ds, &after, &close))
		return fail(why, "no opening delimiter");
	if (close)
		return fail(why, "close delimiter before the first body part");
	for (pos = after;;) {
		struct mime_part mp;

		if (!find_delim(body, len, pos, false, &db, &ds, &after,
		                &close))
			return fail(why, "no close delimiter");
		err = part_parse(body, pos, ds, &mp, why);
		if (err)
			return err;
		if (count >= max) {
			if (why)
				*why = "too many body parts";
			return E2BIG;
		}
		parts[count++] = mp;
		if (close)
			break;
		pos = after;
	}
	*n = count;
	return 0;
}
