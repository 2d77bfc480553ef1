/* sip/msg.c - message decoder, header access (RFC 3261 7, 8.1.1, 18.3, 20) */
#include "msg.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "../base/mem.h"
#include "msg_int.h"

/*
 * One pass over the octets: start line, then header fields (folding
 * joined, comma lists split), the typed fields decoded as they go by,
 * then the body by Content-Length. The message is one mem block holding
 * the struct and the first NINL header nodes; more nodes come in chunks.
 * Nothing is copied: every pl points into the receive buffer.
 *
 * The same code runs strict (first problem: stop) and lenient (first
 * problem: remember it in pe, go on) for sip_msg_decode_lenient.
 *
 * Strictness (RFC 4475 lets a liberal element accept some of these; we
 * answer 400 instead): exactly one SP between request-line elements, no
 * headers in the Request-URI, no LWS inside <>, display names quoted or
 * tokens, Date in rfc1123 form with GMT, Contact values (all of them) and
 * the top Via well formed, '?' or ',' in an addr-spec URI only inside <>.
 * What the core answers itself (unknown schemes 416, Require 420, unknown
 * Content-Type 415...) decodes fine. A CSeq >= 2^31, Max-Forwards > 255,
 * Expires or Content-Length > 2^32-1 are errors; a Contact expires above
 * 2^32-1 is clamped (sip_contact_decode).
 */

enum { NINL = 16 };

struct hdr_chunk {
	struct hdr_chunk *next;
	size_t n;
	struct sip_hdr h[];
};

struct msg_blk {
	struct sip_msg msg; /* first: what callers hold */
	struct hdr_chunk *chunks;
	struct sip_hdr *cur, *end; /* free nodes */
	struct sip_hdr inl[NINL];
};

static bool own_node(const struct msg_blk *blk, const struct sip_hdr *h)
{
	if (h >= blk->inl && h < blk->inl + NINL)
		return true;
	for (const struct hdr_chunk *c = blk->chunks; c; c = c->next) {
		if (h >= c->h && h < c->h + c->n)
			return true;
	}
	return false;
}

static void msg_destructor(void *arg)
{
	struct msg_blk *blk = arg;
	struct le *le = blk->msg.hdrl.head;

	while (le) {
		struct le *next = le->next;
		struct sip_hdr *h = le->data;

		list_unlink(le);
		/* a node someone else appended is a mem object of its own */
		if (!own_node(blk, h))
			mem_deref(h);
		le = next;
	}
	while (blk->chunks) {
		struct hdr_chunk *c = blk->chunks;

		blk->chunks = c->next;
		mem_deref(c);
	}
	mem_deref(blk->msg.mb);
	mem_deref(blk->msg.conn);
}

static struct sip_hdr *hdr_node(struct msg_blk *blk)
{
	if (blk->cur == blk->end) {
		size_t n = blk->chunks ? blk->chunks->n * 2 : NINL * 2;
		struct hdr_chunk *c;

		c = mem_alloc(sizeof(*c) + n * sizeof(struct sip_hdr), NULL);
		if (!c)
			return NULL;
		c->n = n;
		c->next = blk->chunks;
		blk->chunks = c;
		blk->cur = c->h;
		blk->end = c->h + n;
	}
	return blk->cur++;
}

/* --- decode context --- */

enum {
	SEEN_VIA = 1u << 0,
	SEEN_FROM = 1u << 1,
	SEEN_TO = 1u << 2,
	SEEN_CALLID = 1u << 3,
	SEEN_CSEQ = 1u << 4,
	SEEN_MAXFWD = 1u << 5,
	SEEN_CLEN = 1u << 6,
	SEEN_CTYPE = 1u << 7,
	SEEN_EXPIRES = 1u << 8,
	SEEN_DATE = 1u << 9,
};

struct dctx {
	struct msg_blk *blk;
	struct sip_msg *msg;
	const char *base; /* offsets in parse_err count from here */
	struct parse_err *pe;
	bool lenient;
	int err;       /* first problem (lenient) */
	unsigned seen; /* SEEN_* */
	bool via_ok, cseq_ok;
};

/* A problem: strict stops with err; lenient notes the first and goes on. */
static int fail(struct dctx *c, int err, const char *reason, const char *at)
{
	if (!c->err) {
		c->err = err;
		pe_set(c->pe, reason, at ? (size_t)(at - c->base) : 0);
	}
	return c->lenient ? 0 : err;
}

/* A problem that leaves nothing to answer: both modes stop. */
static int fatal(struct dctx *c, const char *reason, const char *at)
{
	fail(c, EBADMSG, reason, at);
	return c->lenient ? ENOENT : c->err;
}

/* --- start line --- */

/* "SIP/2.0": 0; "SIP/x.y": ENOTSUP; else EBADMSG. */
static int version_check(const char *p, size_t l)
{
	size_t i = 4, d;

	if (l == 7 && pl_ieq(p, l, "SIP/2.0", 7))
		return 0;
	if (l < 7 || !pl_ieq(p, 4, "SIP/", 4))
		return EBADMSG;
	for (d = i; i < l && ct_is(p[i], CT_DIGIT); i++)
		;
	if (i == d || i == l || p[i] != '.')
		return EBADMSG;
	for (d = ++i; i < l && ct_is(p[i], CT_DIGIT); i++)
		;
	return (i == d || i != l) ? EBADMSG : ENOTSUP;
}

static int status_line(struct dctx *c, const char *p, const char *e)
{
	struct sip_msg *msg = c->msg;
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	unsigned code = 0;
	int err;

	if (!sp)
		return fatal(c, "Malformed status line", p);
	msg->ver.p = p;
	msg->ver.l = (size_t)(sp - p);
	err = version_check(p, msg->ver.l);
	if (err)
		return fatal(c,
		             err == ENOTSUP ? "Unsupported SIP version"
		                            : "Malformed status line",
		             p);
	p = sp + 1;
	if (e - p < 3)
		return fatal(c, "Bad status code", p);
	for (int i = 0; i < 3; i++) {
		if (!ct_is(p[i], CT_DIGIT))
			return fatal(c, "Bad status code", p);
		code = code * 10 + (unsigned)(p[i] - '0');
	}
	if (code < 100 || code > 699 || (e - p > 3 && p[3] != ' '))
		return fatal(c, "Bad status code", p);
	msg->scode = (uint16_t)code;
	p += 3;
	if (p < e)
		++p;
	msg->reason.p = p;
	msg->reason.l = (size_t)(e - p);
	for (; p < e; p++) {
		uint8_t ch = (uint8_t)*p;

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fatal(c, "Malformed status line", p);
	}
	return 0;
}

static int request_line(struct dctx *c, const char *p, const char *e)
{
	struct sip_msg *msg = c->msg;
	const char *sp1, *sp2, *q;
	int err;

	msg->req = true;
	q = skip_token(p, e);
	if (q == p || q == e || *q != ' ')
		return fatal(c, "Malformed request line", p);
	msg->met.p = p;
	msg->met.l = (size_t)(q - p);
	sp1 = q;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1));
	if (!sp2) /* no version: keep what is there as the URI */
		sp2 = e;
	msg->ruri.p = sp1 + 1;
	msg->ruri.l = (size_t)(sp2 - sp1 - 1);

	if (sp2 == e) {
		err = fail(c, EBADMSG, "Malformed request line", e);
	} else {
		msg->ver.p = sp2 + 1;
		msg->ver.l = (size_t)(e - sp2 - 1);
		err = version_check(msg->ver.p, msg->ver.l);
		if (err)
			err = fail(c, err,
			           err == ENOTSUP ? "Unsupported SIP version"
			                          : "Malformed request line",
			           msg->ver.p);
	}
	if (err)
		return err;

	if (sip_uri_decode(&msg->uri, &msg->ruri, NULL) ||
	    msg->uri.headers.p) /* no headers in a Request-URI (19.1.1) */
		return fail(c, EBADMSG, "Malformed Request-URI", msg->ruri.p);
	return 0;
}

/* --- typed header fields --- */

static int cseq_decode(const struct pl *v, struct sip_cseq *cs, bool *range)
{
	const char *p = v->p, *e = v->p + v->l, *s;
	struct pl num;
	uint64_t x;
	bool ovf;

	*range = false;
	for (s = p; p < e && ct_is(*p, CT_DIGIT); p++)
		;
	num.p = s;
	num.l = (size_t)(p - s);
	if (sip_dec_u64(&num, &x, &ovf))
		return EBADMSG;
	s = skip_lws(p, e);
	if (s == p)
		return EBADMSG;
	p = skip_token(s, e);
	if (p == s || p != e)
		return EBADMSG;
	cs->met.p = s;
	cs->met.l = (size_t)(p - s);
	if (ovf || x >= (1u << 31)) { /* RFC 3261 8.1.1.5 */
		*range = true;
		return ERANGE;
	}
	cs->num = (uint32_t)x;
	return 0;
}

/* rfc1123-date = wkday "," SP date1 SP time SP "GMT" (RFC 3261 20.17) */
static bool date_valid(const struct pl *v)
{
	static const char wk[] = "MonTueWedThuFriSatSun";
	static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const char shape[] = "www, dd mmm yyyy dd:dd:dd GMT";
	const char *p = v->p;
	bool ok = false;

	if (v->l != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < 7; i++)
		ok |= pl_ieq(p, 3, wk + 3 * i, 3);
	if (!ok)
		return false;
	ok = false;
	for (size_t i = 0; i < 12; i++)
		ok |= pl_ieq(p + 8, 3, mo + 3 * i, 3);
	if (!ok || !pl_ieq(p + 26, 3, "GMT", 3))
		return false;
	for (size_t i = 0; i < v->l; i++) {
		char s = shape[i];

		if (s == 'd' || s == 'y') {
			if (!ct_is(p[i], CT_DIGIT))
				return false;
		} else if (s == ',' || s == ' ' || s == ':') {
			if (p[i] != s)
				return false;
		}
	}
	return true;
}

/* type SLASH subtype *(SEMI m-parameter) */
static bool ctype_valid(const struct pl *v)
{
	const char *p = v->p, *e = v->p + v->l, *s = p;
	struct hparam_it it;
	struct pl n, pv;
	bool hv;
	int err;

	p = skip_token(p, e);
	if (p == s)
		return false;
	p = skip_lws(p, e);
	if (p == e || *p != '/')
		return false;
	p = skip_lws(p + 1, e);
	s = p;
	p = skip_token(p, e);
	if (p == s)
		return false;
	it.p = p;
	it.e = e;
	it.via_vals = false;
	while (!(err = sip_hparam_next(&it, &n, &pv, &hv)))
		;
	return err == ENOENT;
}

/* Call-ID: word ["@" word], no LWS inside. */
static bool callid_valid(const struct pl *v)
{
	if (!v->l)
		return false;
	for (size_t i = 0; i < v->l; i++) {
		uint8_t ch = (uint8_t)v->p[i];

		if (ch <= 0x20 || ch >= 0x7f)
			return false;
	}
	return true;
}

static int decimal(const struct pl *v, uint64_t max, uint64_t *x)
{
	bool ovf;

	if (sip_dec_u64(v, x, &ovf))
		return EBADMSG;
	return (ovf || *x > max) ? ERANGE : 0;
}

/* A single-valued header seen twice? */
static int once(struct dctx *c, unsigned bit, const char *reason,
                const char *at, bool *first)
{
	*first = !(c->seen & bit);
	c->seen |= bit;
	if (*first)
		return 0;
	return fail(c, EBADMSG, reason, at);
}

static int typed_value(struct dctx *c, struct sip_hdr *h)
{
	struct sip_msg *msg = c->msg;
	const struct pl *v = &h->val;
	uint64_t x;
	bool first;
	int err;

	switch (h->id) {
	case SIP_HDR_VIA:
		if (c->seen & SEEN_VIA)
			return 0;
		c->seen |= SEEN_VIA;
		if (!sip_via_decode(&msg->via, v, NULL)) {
			c->via_ok = true;
			return 0;
		}
		if (c->lenient) { /* enough to route a 400: sent-by */
			struct pl head = *v;
			const char *semi = memchr(v->p, ';', v->l);

			if (semi)
				head.l = (size_t)(semi - v->p);
			c->via_ok = !sip_via_decode(&msg->via, &head, NULL);
		}
		return fail(c, EBADMSG, "Malformed Via header", v->p);

	case SIP_HDR_FROM:
		err = once(c, SEEN_FROM, "Multiple From headers", h->name.p,
		           &first);
		if (err || !first)
			return err;
		if (sip_addr_decode(&msg->from, v, NULL))
			return fail(c, EBADMSG, "Malformed From header", v->p);
		return 0;

	case SIP_HDR_TO:
		err =
		    once(c, SEEN_TO, "Multiple To headers", h->name.p, &first);
		if (err || !first)
			return err;
		if (sip_addr_decode(&msg->to, v, NULL))
			return fail(c, EBADMSG, "Malformed To header", v->p);
		return 0;

	case SIP_HDR_CALL_ID:
		err = once(c, SEEN_CALLID, "Multiple Call-ID headers",
		           h->name.p, &first);
		if (err || !first)
			return err;
		msg->callid = *v;
		if (!callid_valid(v))
			return fail(c, EBADMSG, "Malformed Call-ID header",
			            v->p);
		return 0;

	case SIP_HDR_CSEQ: {
		bool range;

		err = once(c, SEEN_CSEQ, "Multiple CSeq headers", h->name.p,
		           &first);
		if (err || !first)
			return err;
		if (!cseq_decode(v, &msg->cseq, &range)) {
			c->cseq_ok = true;
			return 0;
		}
		return fail(c, EBADMSG,
		            range ? "Invalid CSeq number"
		                  : "Malformed CSeq header",
		            v->p);
	}

	case SIP_HDR_MAX_FORWARDS:
		err = once(c, SEEN_MAXFWD, "Multiple Max-Forwards headers",
		           h->name.p, &first);
		if (err || !first)
			return err;
		if (decimal(v, 255, &x))
			return fail(c, EBADMSG, "Invalid Max-Forwards", v->p);
		msg->maxfwd = (int32_t)x;
		return 0;

	case SIP_HDR_EXPIRES:
		err = once(c, SEEN_EXPIRES, "Multiple Expires headers",
		           h->name.p, &first);
		if (err || !first)
			return err;
		if (decimal(v, UINT32_MAX, &x))
			return fail(c, EBADMSG, "Invalid Expires", v->p);
		msg->expires = (int64_t)x;
		return 0;

	case SIP_HDR_CONTENT_LENGTH:
		err = once(c, SEEN_CLEN, "Multiple Content-Length headers",
		           h->name.p, &first);
		if (err || !first)
			return err;
		if (decimal(v, UINT32_MAX, &x))
			return fail(c, EBADMSG, "Invalid Content-Length", v->p);
		msg->clen = (uint32_t)x;
		msg->has_clen = true;
		return 0;

	case SIP_HDR_CONTENT_TYPE:
		err = once(c, SEEN_CTYPE, "Multiple Content-Type headers",
		           h->name.p, &first);
		if (err || !first)
			return err;
		msg->ctype = *v;
		if (v->l && !ctype_valid(v))
			return fail(c, EBADMSG, "Malformed Content-Type header",
			            v->p);
		return 0;

	case SIP_HDR_CONTACT: {
		struct sip_contact ct;

		if (sip_contact_decode(&ct, v, NULL))
			return fail(c, EBADMSG, "Malformed Contact header",
			            v->p);
		return 0;
	}

	case SIP_HDR_DATE:
		err = once(c, SEEN_DATE, "Multiple Date headers", h->name.p,
		           &first);
		if (err || !first)
			return err;
		if (!date_valid(v))
			return fail(c, EBADMSG, "Malformed Date header", v->p);
		return 0;

	default:
		return 0;
	}
}

/* --- header fields --- */

static int add_value(struct dctx *c, const struct pl *name, const char *v,
                     const char *ve, enum sip_hdrid id, uint16_t line)
{
	struct sip_hdr *h = hdr_node(c->blk);

	if (!h)
		return ENOMEM;
	memset(&h->le, 0, sizeof(h->le));
	h->name = *name;
	h->val.p = v;
	h->val.l = (size_t)(ve - v);
	h->id = id;
	h->line = line;
	list_append(&c->msg->hdrl, &h->le, h);
	return typed_value(c, h);
}

/* Empty list elements: an error where the grammar has none to spare. */
static bool empty_elem_ok(enum sip_hdrid id)
{
	return id != SIP_HDR_VIA && id != SIP_HDR_CONTACT;
}

/* Split a list header at commas outside quotes and <>. */
static int add_list(struct dctx *c, const struct pl *name, const char *v,
                    const char *ve, enum sip_hdrid id, uint16_t line)
{
	const char *p = v, *s = v;
	int err;

	if (v == ve)
		return add_value(c, name, v, ve, id, line);
	for (;;) {
		const char *q;

		while (p < ve && !ct_is(*p, CT_LSTOP))
			++p;
		if (p < ve && *p == '"') {
			q = sip_skip_quoted(p, ve);
			if (!q) {
				err = fail(c, EBADMSG,
				           "Unterminated quoted string", p);
				if (err)
					return err;
				q = ve;
			}
			p = q;
			continue;
		}
		if (p < ve && *p == '<') {
			q = memchr(p, '>', (size_t)(ve - p));
			if (!q) {
				err = fail(c, EBADMSG, "Unbalanced <>", p);
				if (err)
					return err;
				q = ve - 1;
			}
			p = q + 1;
			continue;
		}

		/* p at ',' or ve: one element [s, p) */
		q = p;
		trim_lws(&s, &q);
		if (s < q) {
			err = add_value(c, name, s, q, id, line);
		} else if (!empty_elem_ok(id)) {
			err =
			    fail(c, EBADMSG,
			         id == SIP_HDR_VIA ? "Malformed Via header"
			                           : "Malformed Contact header",
			         s);
		} else {
			err = 0;
		}
		if (err)
			return err;
		if (p >= ve)
			return 0;
		s = ++p;
	}
}

/* One header field [p, e) with folding inside; CRLF not included. */
static int header_field(struct dctx *c, const char *p, const char *e,
                        uint16_t line)
{
	const char *s = p, *v;
	struct pl name;
	enum sip_hdrid id;

	p = skip_token(p, e);
	if (p == s)
		return fail(c, EBADMSG, "Malformed header field", s);
	name.p = s;
	name.l = (size_t)(p - s);
	while (p < e && (*p == ' ' || *p == '\t'))
		++p;
	if (p == e || *p != ':')
		return fail(c, EBADMSG, "Malformed header field", s);
	v = skip_lws(p + 1, e);
	while (e > v && ct_is(e[-1], CT_LWS))
		--e;

	id = sip_hdr_id(&name);
	if (sip_hdr_is_list(id))
		return add_list(c, &name, v, e, id, line);
	return add_value(c, &name, v, e, id, line);
}

/* A CR that does not end the line [p, nl) (never valid in a header). */
static bool bare_cr(const char *p, const char *nl)
{
	if (nl > p && nl[-1] == '\r')
		--nl;
	return memchr(p, '\r', (size_t)(nl - p)) != NULL;
}

static const char *const missing[] = {
    "Missing Via header",     "Missing From header", "Missing To header",
    "Missing Call-ID header", "Missing CSeq header",
};

static int parse(struct dctx *c, const char *p, const char *end, bool stream)
{
	struct sip_msg *msg = c->msg;
	const char *start, *nl, *le, *body;
	uint32_t line = 0;
	size_t avail;
	int err;

	while (p < end && (*p == '\r' || *p == '\n')) /* 7.5: ignore */
		++p;
	start = p;
	nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
	if (!nl)
		return fatal(c, "Malformed start line", p);
	le = (nl > p && nl[-1] == '\r') ? nl - 1 : nl;
	if (le - p >= 4 && pl_ieq(p, 4, "SIP/", 4))
		err = status_line(c, p, le);
	else
		err = request_line(c, p, le);
	if (err)
		return err;

	/* header fields up to the empty line */
	p = nl + 1;
	for (;;) {
		const char *fs = p;

		if (p >= end) {
			err = fail(c, EBADMSG, "Missing end of headers", p);
			if (err)
				return err;
			body = end;
			break;
		}
		if (*p == '\n') {
			body = p + 1;
			break;
		}
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			body = p + 2;
			break;
		}
		if (*p == ' ' || *p == '\t') {
			err = fail(c, EBADMSG, "Malformed header field", p);
			if (err)
				return err;
		}
		/* the field runs to a LF not followed by SP/HTAB (folding) */
		for (;;) {
			nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl) {
				p = end;
				nl = end;
				break;
			}
			if (bare_cr(p, nl)) {
				err = fail(c, EBADMSG, "Malformed header field",
				           p);
				if (err)
					return err;
			}
			p = nl + 1;
			if (p >= end || (*p != ' ' && *p != '\t'))
				break;
		}
		if (nl == end) {
			err = fail(c, EBADMSG, "Missing end of headers", fs);
			if (err)
				return err;
			body = end;
			break;
		}
		le = (nl > fs && nl[-1] == '\r') ? nl - 1 : nl;
		if (line > UINT16_MAX)
			return fatal(c, "Too many header fields", fs);
		if (*fs != ' ' && *fs != '\t') {
			err = header_field(c, fs, le, (uint16_t)line++);
			if (err)
				return err;
		}
	}

	/* RFC 3261 8.1.1: mandatory fields (Max-Forwards may lack, 2543) */
	for (unsigned i = 0; i < 5; i++) {
		if (c->seen & (1u << i))
			continue;
		err = fail(c, EBADMSG, missing[i], start);
		if (c->lenient)
			return ENOENT;
		return err;
	}
	if (c->lenient && !c->via_ok)
		return ENOENT;
	if (msg->req && c->cseq_ok && pl_cmp(&msg->met, &msg->cseq.met)) {
		err = fail(c, EBADMSG, "CSeq method mismatch", msg->cseq.met.p);
		if (err)
			return err;
	}

	/* body (18.3): a datagram ignores octets after Content-Length;
	 * a stream message is exactly what the framer found */
	avail = (size_t)(end - body);
	if (msg->has_clen) {
		if (msg->clen > avail || (stream && msg->clen != avail)) {
			err = fail(c, EBADMSG, "Content-Length mismatch", body);
			if (err)
				return err;
			if (msg->clen > avail)
				msg->clen = (uint32_t)avail;
		}
	} else if (stream) {
		err = fail(c, EBADMSG, "Missing Content-Length header", body);
		if (err)
			return err;
		msg->clen = (uint32_t)avail;
	} else {
		if (avail > UINT32_MAX)
			return fatal(c, "Message too large", body);
		msg->clen = (uint32_t)avail;
	}
	msg->body.p = body;
	msg->body.l = msg->clen;
	msg->raw.p = start;
	msg->raw.l = (size_t)(body + msg->clen - start);

	if (c->lenient && c->err && !msg->req)
		return ENOENT; /* only requests get an error reply */
	return 0;
}

static int decode(struct sip_msg **msgp, struct buf *b, bool stream,
                  struct parse_err *pe, bool lenient)
{
	struct dctx c;
	struct msg_blk *blk;
	const char *p, *end;
	int err;

	if (pe) {
		pe->reason = NULL;
		pe->off = 0;
	}
	if (!msgp || !b)
		return EINVAL;
	*msgp = NULL;
	if (b->pos > b->end || (b->end && !b->b))
		return EINVAL;
	if (!b->b || b->pos == b->end) {
		pe_set(pe, "Empty message", 0);
		return lenient ? ENOENT : EBADMSG;
	}

	blk = mem_alloc(sizeof(*blk), msg_destructor);
	if (!blk)
		return ENOMEM;
	memset(&blk->msg, 0, sizeof(blk->msg));
	blk->chunks = NULL;
	blk->cur = blk->inl;
	blk->end = blk->inl + NINL;
	list_init(&blk->msg.hdrl);
	blk->msg.maxfwd = -1;
	blk->msg.expires = -1;
	blk->msg.mb = mem_ref(b);

	p = (const char *)b->b + b->pos;
	end = (const char *)b->b + b->end;
	memset(&c, 0, sizeof(c));
	c.blk = blk;
	c.msg = &blk->msg;
	c.base = p;
	c.pe = pe;
	c.lenient = lenient;

	err = parse(&c, p, end, stream);
	if (err) {
		mem_deref(blk);
		return err;
	}
	*msgp = &blk->msg;
	return 0;
}

int sip_msg_decode(struct sip_msg **msgp, struct buf *b, bool stream,
                   struct parse_err *pe)
{
	return decode(msgp, b, stream, pe, false);
}

int sip_msg_decode_lenient(struct sip_msg **msgp, struct buf *b, bool stream,
                           struct parse_err *pe)
{
	return decode(msgp, b, stream, pe, true);
}

/* --- access --- */

static inline const struct sip_hdr *hdr_of(const struct le *le)
{
	return le ? le->data : NULL;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *msg, enum sip_hdrid id)
{
	if (!msg)
		return NULL;
	for (const struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;

		if (h->id == id)
			return h;
	}
	return NULL;
}

const struct sip_hdr *sip_msg_xhdr(const struct sip_msg *msg, const char *name)
{
	struct pl n;
	enum sip_hdrid id;

	if (!msg || !name)
		return NULL;
	pl_set_str(&n, name);
	id = sip_hdr_id(&n);
	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(msg, id);
	for (const struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;

		if (h->id == SIP_HDR_OTHER && !pl_casecmp(&h->name, &n))
			return h;
	}
	return NULL;
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *msg,
                                       const struct sip_hdr *h)
{
	(void)msg;
	if (!h)
		return NULL;
	for (const struct le *le = h->le.next; le; le = le->next) {
		const struct sip_hdr *x = le->data;

		if (x->id != h->id)
			continue;
		if (h->id != SIP_HDR_OTHER || !pl_casecmp(&x->name, &h->name))
			return x;
	}
	return NULL;
}

uint32_t sip_msg_hdr_count(const struct sip_msg *msg, enum sip_hdrid id)
{
	uint32_t n = 0;

	if (!msg)
		return 0;
	for (const struct le *le = msg->hdrl.head; le; le = le->next)
		n += hdr_of(le)->id == id;
	return n;
}

bool sip_msg_hdr_has_value(const struct sip_msg *msg, enum sip_hdrid id,
                           const char *tag)
{
	if (!msg || !tag)
		return false;
	for (const struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;

		if (h->id == id && !pl_strcasecmp(&h->val, tag))
			return true;
	}
	return false;
}

const struct sip_hdr *sip_msg_hdr_apply(const struct sip_msg *msg,
                                        enum sip_hdrid id, sip_hdr_h *h,
                                        void *arg)
{
	if (!msg || !h)
		return NULL;
	for (const struct le *le = msg->hdrl.head; le; le = le->next) {
		const struct sip_hdr *x = le->data;

		if (x->id == id && h(x, msg, arg))
			return x;
	}
	return NULL;
}
