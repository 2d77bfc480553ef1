/* base/json.c - a small JSON writer on struct buf (RFC 8259 7, RFC 4648 4,
 * RFC 3339 5.6) */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "buf.h"

/* Length of the well-formed UTF-8 sequence at p[0..n) (1..4), or 0 when
 * the bytes there are not one (RFC 3629 section 4). */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0; /* continuation, overlong lead, or beyond U+10FFFF */
	if (n < len)
		return 0;
	/* the second byte's range excludes overlong forms, surrogates and
	 * code points above U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool json_utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i = 0;

	if (!s)
		return n == 0;
	while (i < n) {
		size_t l = utf8_seq(s + i, n - i);

		if (!l)
			return false;
		i += l;
	}
	return true;
}

int json_write_str(struct buf *b, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t i = 0, start = 0;
	int err;

	if (!b || (!s && n))
		return EINVAL;
	err = buf_write_u8(b, '"');
	while (!err && i < n) {
		uint8_t c = s[i];
		size_t el = 0, l = utf8_seq(s + i, n - i);
		unsigned cp = c;
		char esc[6];

		if (l == 1 && c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			i++;
			continue;
		}
		/* U+2028 and U+2029 are escaped too, so that the output is
		 * also safe inside JavaScript source */
		if (l > 1) {
			if (!(l == 3 && c == 0xe2 && s[i + 1] == 0x80 &&
			      (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))) {
				i += l;
				continue;
			}
			cp = s[i + 2] == 0xa8 ? 0x2028 : 0x2029;
		} else if (!l) { /* not UTF-8: this byte becomes U+FFFD */
			cp = 0xfffd;
			l = 1;
		}
		err = buf_write(b, s + start, i - start);
		if (err)
			break;
		esc[el++] = '\\';
		switch (cp) {
		case '"':
		case '\\':
			esc[el++] = (char)cp;
			break;
		case '\b':
			esc[el++] = 'b';
			break;
		case '\f':
			esc[el++] = 'f';
			break;
		case '\n':
			esc[el++] = 'n';
			break;
		case '\r':
			esc[el++] = 'r';
			break;
		case '\t':
			esc[el++] = 't';
			break;
		default:
			esc[el++] = 'u';
			esc[el++] = hex[(cp >> 12) & 0xf];
			esc[el++] = hex[(cp >> 8) & 0xf];
			esc[el++] = hex[(cp >> 4) & 0xf];
			esc[el++] = hex[cp & 0xf];
			break;
		}
		err = buf_write(b, esc, el);
		i += l;
		start = i;
	}
	if (!err && start < n)
		err = buf_write(b, s + start, n - start);
	if (!err)
		err = buf_write_u8(b, '"');
	return err;
}

int json_write_base64(struct buf *b, const void *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                          "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *s = p;
	char out[4];
	int err = 0;

	if (!b || (!s && n))
		return EINVAL;
	for (size_t i = 0; i < n && !err; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		out[0] = tab[(v >> 18) & 0x3f];
		out[1] = tab[(v >> 12) & 0x3f];
		out[2] = left > 1 ? tab[(v >> 6) & 0x3f] : '=';
		out[3] = left > 2 ? tab[v & 0x3f] : '=';
		err = buf_write(b, out, 4);
	}
	return err;
}

/* Civil date from days since 1970-01-01 (proleptic Gregorian). */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* v as exactly n decimal digits at p. */
static char *digits(char *p, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

void json_fmt_time_ms(char out[25], uint64_t ms)
{
	uint64_t s = ms / 1000;
	char *p = out;
	int64_t y;
	unsigned mo, d;

	civil((int64_t)(s / 86400), &y, &mo, &d);
	if (y > 9999) { /* RFC 3339 years have four digits */
		y = 9999, mo = 12, d = 31;
		s = 86399, ms = 999;
	}
	p = digits(p, (unsigned)y, 4);
	*p++ = '-';
	p = digits(p, mo, 2);
	*p++ = '-';
	p = digits(p, d, 2);
	*p++ = 'T';
	p = digits(p, (unsigned)(s % 86400 / 3600), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(s % 3600 / 60), 2);
	*p++ = ':';
	p = digits(p, (unsigned)(s % 60), 2);
	*p++ = '.';
	p = digits(p, (unsigned)(ms % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
}

/* ---- the writer ---- */

void json_init(struct json *j, struct buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
	if (!b)
		j->err = EINVAL;
}

int json_end(const struct json *j)
{
	if (j->err)
		return j->err;
	return j->depth || j->key ? EPROTO : 0;
}

static bool in_obj(const struct json *j)
{
	return j->depth && !(j->isarr & (1u << (j->depth - 1)));
}

/* Before a value: the comma in an array, the check that an object's
 * member has its key. */
static bool value_start(struct json *j)
{
	if (j->err)
		return false;
	if (in_obj(j)) {
		if (!j->key) {
			j->err = EPROTO;
			return false;
		}
		j->key = false;
		return true;
	}
	if (j->depth) {
		uint32_t bit = 1u << (j->depth - 1);

		if ((j->more & bit) && (j->err = buf_write_u8(j->b, ',')))
			return false;
		j->more |= bit;
	}
	return true;
}

static void put(struct json *j, const void *p, size_t n)
{
	if (!j->err)
		j->err = buf_write(j->b, p, n);
}

static void nest_begin(struct json *j, char c, bool arr)
{
	if (!value_start(j))
		return;
	if (j->depth >= JSON_MAX_DEPTH) {
		j->err = EPROTO;
		return;
	}
	put(j, &c, 1);
	j->depth++;
	j->more &= ~(1u << (j->depth - 1));
	if (arr)
		j->isarr |= 1u << (j->depth - 1);
	else
		j->isarr &= ~(1u << (j->depth - 1));
}

static void nest_end(struct json *j, char c, bool arr)
{
	if (j->err)
		return;
	if (!j->depth || j->key ||
	    !!(j->isarr & (1u << (j->depth - 1))) != arr) {
		j->err = EPROTO;
		return;
	}
	j->depth--;
	put(j, &c, 1);
}

void json_obj_begin(struct json *j)
{
	nest_begin(j, '{', false);
}

void json_obj_end(struct json *j)
{
	nest_end(j, '}', false);
}

void json_arr_begin(struct json *j)
{
	nest_begin(j, '[', true);
}

void json_arr_end(struct json *j)
{
	nest_end(j, ']', true);
}

void json_key(struct json *j, const char *key)
{
	uint32_t bit;

	if (j->err)
		return;
	if (!in_obj(j) || j->key || !key) {
		j->err = EPROTO;
		return;
	}
	bit = 1u << (j->depth - 1);
	if (j->more & bit)
		put(j, ",", 1);
	j->more |= bit;
	if (!j->err)
		j->err = json_write_str(j->b, key, strlen(key));
	put(j, ":", 1);
	j->key = true;
}

void json_strn(struct json *j, const void *p, size_t n)
{
	if (!value_start(j))
		return;
	j->err = json_write_str(j->b, p, n);
}

void json_str(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void json_u64(struct json *j, uint64_t v)
{
	if (!value_start(j))
		return;
	j->err = buf_printf(j->b, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	if (!value_start(j))
		return;
	j->err = buf_printf(j->b, "%" PRId64, v);
}

void json_bool(struct json *j, bool v)
{
	if (!value_start(j))
		return;
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void json_null(struct json *j)
{
	if (!value_start(j))
		return;
	put(j, "null", 4);
}

void json_base64(struct json *j, const void *p, size_t n)
{
	if (!value_start(j))
		return;
	put(j, "\"", 1);
	if (!j->err)
		j->err = json_write_base64(j->b, p, n);
	put(j, "\"", 1);
}

void json_time_ms(struct json *j, uint64_t ms)
{
	char t[25];

	json_fmt_time_ms(t, ms);
	json_strn(j, t, strlen(t));
}

void json_raw(struct json *j, const char *p, size_t n)
{
	if (!value_start(j))
		return;
	put(j, p, n);
}
