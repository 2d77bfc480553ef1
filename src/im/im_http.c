/* im/im_http.c - message history over HTTP (archive, deferred messages) and
 * its JSON objects (RFC 8259; times as RFC 3339 5.6 date-time) */
#include "im_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "im.http"

#include "../base/buf.h"
#include "../base/json.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../base/util.h"
#include "../http/http.h"
#include "../store/store.h"

enum { OWNER_MAX = 260 };

/* ---- JSON objects ---- */

static bool body_is_text(const char *p, size_t n)
{
	return !n || (!memchr(p, 0, n) && json_utf8_valid(p, n));
}

/* The recipients, stored joined with ", ", as an array. */
static void json_recipients(struct json *j, const char *s)
{
	json_arr_begin(j);
	while (s && *s) {
		const char *e = strchr(s, ',');
		struct pl pl;

		pl.p = s;
		pl.l = e ? (size_t)(e - s) : strlen(s);
		pl_trim(&pl);
		if (pl.l)
			json_strn(j, pl.p, pl.l);
		s = e ? e + 1 : NULL;
	}
	json_arr_end(j);
}

int im_json_arch(struct buf *mb, const struct store_arch *a)
{
	size_t pos, end;
	struct json j;
	int err;

	if (!mb || !a)
		return EINVAL;
	pos = mb->pos;
	end = mb->end;
	json_init(&j, mb);
	json_obj_begin(&j);
	json_key(&j, "id");
	json_u64(&j, a->id);
	json_key(&j, "time");
	json_time_ms(&j, a->time_ms);
	json_key(&j, "direction");
	json_str(&j, a->outgoing ? "out" : "in");
	json_key(&j, "peer");
	json_str(&j, a->peer);
	json_key(&j, "from");
	json_str(&j, a->sender);
	json_key(&j, "to");
	json_recipients(&j, a->recipients);
	json_key(&j, "content_type");
	json_str(&j, a->ctype);
	if (body_is_text(a->body, a->len)) {
		json_key(&j, "body");
		json_strn(&j, a->body ? a->body : "", a->len);
	} else {
		json_key(&j, "body_base64");
		json_base64(&j, a->body, a->len);
	}
	json_key(&j, "outcome");
	json_str(&j, a->outcome);
	json_obj_end(&j);
	err = json_end(&j);
	if (err) {
		mb->pos = pos;
		mb->end = end;
	}
	return err;
}

int im_json_msg(struct buf *mb, const struct store_msg *m)
{
	size_t pos, end;
	struct json j;
	int err;

	if (!mb || !m)
		return EINVAL;
	pos = mb->pos;
	end = mb->end;
	json_init(&j, mb);
	json_obj_begin(&j);
	json_key(&j, "id");
	json_u64(&j, m->id);
	json_key(&j, "from");
	json_str(&j, m->sender);
	json_key(&j, "time");
	json_time_ms(&j, m->received_ms);
	json_key(&j, "content_type");
	json_str(&j, m->ctype);
	json_key(&j, "size");
	json_u64(&j, m->len);
	json_obj_end(&j);
	err = json_end(&j);
	if (err) {
		mb->pos = pos;
		mb->end = end;
	}
	return err;
}

/* ---- time ---- */

static bool num(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

static unsigned mdays(unsigned y, unsigned m)
{
	static const unsigned char d[] = {31, 28, 31, 30, 31, 30,
	                                  31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int im_time_parse(const char *s, uint64_t *ms)
{
	unsigned y, mo, d, hh = 0, mi = 0, ss = 0, frac = 0;
	int64_t off_s = 0, t;
	const char *p;
	size_t n;

	if (!s || !ms)
		return EINVAL;
	n = strlen(s);
	if (n && strspn(s, "0123456789") == n) {
		struct pl pl;

		pl_set_str(&pl, s);
		return pl_u64(&pl, ms) ? EINVAL : 0;
	}
	if (n < 10 || !num(s, 4, &y) || s[4] != '-' || !num(s + 5, 2, &mo) ||
	    s[7] != '-' || !num(s + 8, 2, &d))
		return EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo))
		return EINVAL;
	p = s + 10;
	if (*p) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return EINVAL;
		p++;
		if (strlen(p) < 8 || !num(p, 2, &hh) || p[2] != ':' ||
		    !num(p + 3, 2, &mi) || p[5] != ':' || !num(p + 6, 2, &ss))
			return EINVAL;
		if (hh > 23 || mi > 59 || ss > 60)
			return EINVAL;
		if (ss == 60) /* a leap second */
			ss = 59;
		p += 8;
		if (*p == '.') {
			unsigned scale = 100;

			if (!isdigit((unsigned char)*++p))
				return EINVAL;
			for (; isdigit((unsigned char)*p); p++, scale /= 10)
				frac += (unsigned)(*p - '0') * scale;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-' || *p == ' ') {
			/* ' ': a '+' that a query string turned into a space */
			unsigned oh, om;

			if (strlen(p) != 6 || !num(p + 1, 2, &oh) ||
			    p[3] != ':' || !num(p + 4, 2, &om) || oh > 23 ||
			    om > 59)
				return EINVAL;
			off_s = (int64_t)(oh * 3600 + om * 60);
			if (*p == '-')
				off_s = -off_s;
			p += 6;
		} else if (*p) {
			return EINVAL;
		}
		if (*p)
			return EINVAL;
	}
	t = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss -
	    off_s;
	if (t < 0)
		return ERANGE;
	*ms = (uint64_t)t * 1000 + frac;
	return 0;
}

/* ---- the handlers ---- */

struct hist_op {
	struct http_req *rq; /* valid until http_reply */
	char owner[OWNER_MAX];
	bool jsonl;
};

/* The body of a list reply: {"user":..,"messages":[..]} or JSON lines. */
static int list_begin(struct buf *mb, const struct hist_op *op)
{
	int err;

	if (op->jsonl)
		return 0;
	err = buf_write_str(mb, "{\"user\":");
	if (!err)
		err = json_write_str(mb, op->owner, strlen(op->owner));
	if (!err)
		err = buf_write_str(mb, ",\"messages\":[");
	return err;
}

static int list_sep(struct buf *mb, const struct hist_op *op, uint32_t i)
{
	if (op->jsonl)
		return i ? buf_write_u8(mb, '\n') : 0;
	return i ? buf_write_u8(mb, ',') : 0;
}

static void list_reply(struct hist_op *op, struct buf *mb, uint32_t n, int err)
{
	if (!err)
		err = op->jsonl ? (n ? buf_write_u8(mb, '\n') : 0)
		                : buf_write_str(mb, "]}");
	if (err) {
		log_warn(NULL, "history of %s: %s", op->owner, err_str(err));
		http_reply_error(op->rq, 500, "Out of memory");
		return;
	}
	http_reply(op->rq, 200,
	           op->jsonl ? "application/x-ndjson" : "application/json",
	           (const char *)mb->b, mb->end, NULL);
}

static void store_failed(struct hist_op *op, int err)
{
	log_warn(NULL, "history of %s: store error: %s", op->owner,
	         err_str(err));
	http_reply_error(op->rq, 503, "Message store unavailable");
}

static void archs_got(int err, const struct store_arch *a, uint32_t n,
                      void *arg)
{
	struct hist_op *op = arg;
	struct buf *mb = NULL;
	uint32_t i;

	if (err) {
		store_failed(op, err);
		return;
	}
	err = buf_alloc(&mb, 256 + (size_t)n * 256);
	if (!err)
		err = list_begin(mb, op);
	for (i = 0; !err && i < n; i++) {
		err = list_sep(mb, op, i);
		if (!err)
			err = im_json_arch(mb, &a[i]);
	}
	list_reply(op, mb, n, err);
	mem_deref(mb);
}

static void msgs_got(int err, const struct store_msg *m, uint32_t n, void *arg)
{
	struct hist_op *op = arg;
	struct buf *mb = NULL;
	uint32_t i;

	if (err) {
		store_failed(op, err);
		return;
	}
	err = buf_alloc(&mb, 256 + (size_t)n * 128);
	if (!err)
		err = list_begin(mb, op);
	for (i = 0; !err && i < n; i++) {
		err = list_sep(mb, op, i);
		if (!err)
			err = im_json_msg(mb, &m[i]);
	}
	list_reply(op, mb, n, err);
	mem_deref(mb);
}

/* "user@domain" (or "sip:user@domain") at the start of rest, up to '/',
 * into owner (domain lower-cased); *tail: what follows. */
static bool owner_parse(const char *rest, char *owner, size_t size,
                        const char **tail)
{
	const char *end = strchr(rest, '/'), *at = NULL;
	size_t n;

	if (!end)
		end = rest + strlen(rest);
	*tail = end;
	if (end - rest > 4 && !strncasecmp(rest, "sip:", 4))
		rest += 4;
	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	n = (size_t)(end - rest);
	if (!at || at == rest || at + 1 == end || n >= size)
		return false;
	memcpy(owner, rest, n);
	owner[n] = '\0';
	for (char *p = owner + (at - rest); *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

/* limit and after, shared by both resources; false after a 400. */
static bool paging_args(struct http_req *rq, uint32_t *limit, uint64_t *after)
{
	const char *s;
	struct pl pl;

	*limit = IM_HTTP_LIMIT_DEFAULT;
	*after = 0;
	s = http_req_arg(rq, "limit");
	if (s) {
		int err;

		pl_set_str(&pl, s);
		err = pl_u32(&pl, limit);
		if (err == ERANGE) {
			*limit = IM_HTTP_LIMIT_MAX;
		} else if (err || !*limit) {
			http_reply_error(rq, 400,
			                 "limit: not a positive number");
			return false;
		}
		if (*limit > IM_HTTP_LIMIT_MAX)
			*limit = IM_HTTP_LIMIT_MAX;
	}
	s = http_req_arg(rq, "after");
	if (s) {
		pl_set_str(&pl, s);
		if (pl_u64(&pl, after)) {
			http_reply_error(rq, 400, "after: not a message id");
			return false;
		}
	}
	return true;
}

static void users_h(struct http_req *rq, void *arg)
{
	struct store *st = arg;
	struct store_arch_query q;
	struct hist_op *op = NULL;
	const char *user = http_req_user(rq), *tail, *s;
	char owner[OWNER_MAX], *with = NULL;
	bool history;
	uint32_t limit;
	uint64_t after;
	int err;

	if (!owner_parse(http_req_rest(rq), owner, sizeof(owner), &tail)) {
		http_reply_error(rq, 404, "No user@domain in the path");
		return;
	}
	if (!http_req_admin(rq) && (!user || strcmp(user, owner))) {
		http_reply_error(rq, 403, "Not your message history");
		return;
	}
	if (!strcmp(tail, "/history")) {
		history = true;
	} else if (!strcmp(tail, "/deferred")) {
		history = false;
	} else {
		http_reply_error(rq, 404, "Not found");
		return;
	}
	if (!paging_args(rq, &limit, &after))
		return;

	op = mem_zalloc(sizeof(*op), NULL);
	if (!op) {
		http_reply_error(rq, 500, "Out of memory");
		return;
	}
	op->rq = rq;
	memcpy(op->owner, owner, sizeof(owner));
	s = http_req_arg(rq, "format");
	if (s && !strcmp(s, "jsonl")) {
		op->jsonl = true;
	} else if (s && strcmp(s, "json")) {
		http_reply_error(rq, 400, "format: json or jsonl");
		goto out;
	}

	if (!history) {
		err =
		    store_msg_list_async(st, owner, after, limit, msgs_got, op);
		if (err)
			store_failed(op, err);
		goto out;
	}

	memset(&q, 0, sizeof(q));
	q.owner = owner;
	q.after_id = after;
	q.limit = limit;
	s = http_req_arg(rq, "since");
	if (s && im_time_parse(s, &q.since_ms)) {
		http_reply_error(rq, 400,
		                 "since: not an RFC 3339 date-time or "
		                 "milliseconds since the epoch");
		goto out;
	}
	s = http_req_arg(rq, "with");
	if (s && !*s) {
		http_reply_error(rq, 400, "with: empty URI");
		goto out;
	}
	if (s && !strchr(s, ':')) { /* "bob@example.com" */
		with = mem_zalloc(strlen(s) + 5, NULL);
		if (!with) {
			http_reply_error(rq, 500, "Out of memory");
			goto out;
		}
		sprintf(with, "sip:%s", s);
		s = with;
	}
	q.peer = s;
	err = store_arch_list_async(st, &q, archs_got, op);
	if (err)
		store_failed(op, err);
out:
	mem_deref(with);
	mem_deref(op); /* the store holds its own reference */
}

int im_http_attach(struct http *h, struct store *st)
{
	if (!h || !st)
		return EINVAL;
	return http_route(h, "GET", IM_HTTP_PREFIX, true, users_h, st);
}
