/* http/http.c - impd's HTTP server: libmicrohttpd driven by the event loop,
 * routing, digest authentication (RFC 7616 3.3-3.5) */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LOG_MODULE "http"

#include "../base/buf.h"
#include "../base/json.h"
#include "../base/list.h"
#include "../base/log.h"
#include "../base/loop.h"
#include "../base/mem.h"
#include "../base/sa.h"
#include "../base/tmr.h"
#include "../base/util.h"
#include "../store/store.h"

#ifndef IMPD_VERSION
#define IMPD_VERSION "0"
#endif

enum {
	CONN_TIMEOUT_S = 60,
	CONN_LIMIT = 512,
	NONCE_NC_SIZE = 4093, /* prime: libmicrohttpd's nonce hash is weak */
	MAX_TIMER_MS = 3600000,
};

struct route {
	struct le le;
	char *method; /* NULL: any */
	char *prefix;
	size_t plen;
	bool auth;
	http_h *fn;
	void *arg;
};

struct http {
	struct MHD_Daemon *d;
	struct loop *loop; /* borrowed */
	struct store *st;  /* borrowed */
	struct tmr tmr;    /* libmicrohttpd's next timeout */
	int epfd;          /* libmicrohttpd's epoll fd, watched by loop */
	uint16_t port;
	uint32_t max_body;
	uint32_t nonce_ttl_s;
	char *server;
	char *admins;
	struct list routes;
	struct list reqs; /* live requests (struct http_req) */
	bool in_run;      /* inside MHD_run */
	char opaque[17];
	uint8_t rnd[32]; /* secret for libmicrohttpd's nonces */
};

enum rq_state {
	RQ_NEW,     /* receiving the body */
	RQ_LOOKUP,  /* suspended: credentials being fetched */
	RQ_CHECK,   /* credentials known: check the Authorization */
	RQ_HANDLER, /* the route's handler has it */
	RQ_DONE,    /* response queued */
};

struct http_req {
	struct le le;                /* in h->reqs */
	struct http *h;              /* NULL once the server is gone */
	struct MHD_Connection *conn; /* NULL once libmicrohttpd is done */
	enum rq_state state;
	char *method;
	char *path;
	size_t plen; /* the route's prefix length */
	bool auth;
	http_h *fn;
	void *arg;
	struct buf *body;
	bool too_big;
	bool suspended;
	bool in_cb;   /* inside the access handler: queue, do not resume */
	bool replied; /* http_reply was called */
	bool abort;   /* no response could be made: close the connection */
	struct MHD_Response *resp; /* ready to queue */
	unsigned status;
	/* authentication */
	char *puser, *pdomain; /* the path's "user@domain" */
	char *auser;           /* username of the Authorization header */
	int lerr;              /* store failure of a lookup */
	bool pfound, afound;
	struct store_user su; /* auser's credentials */
	char *user;           /* the authenticated "user@domain" */
	bool admin;
};

static void run(struct http *h);

/* ---- helpers ---- */

static void mhd_log(void *arg, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *arg, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)arg;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	/* 0.9.75 says this whenever MHD_USE_ERROR_LOG comes with a
	 * logger, although the logger is the first option */
	if (strstr(line, "EXTERNAL_LOGGER is not the first option"))
		return;
	log_notice(NULL, "libmicrohttpd: %s", line);
}

/* "Name: value\r\n" lines of hdrs added to resp. */
static int add_headers(struct MHD_Response *resp, const char *hdrs)
{
	char *copy = NULL, *line, *next;
	int err;

	if (!hdrs || !*hdrs)
		return 0;
	err = mem_strdup(&copy, hdrs);
	if (err)
		return err;
	for (line = copy; line && *line; line = next) {
		char *colon, *v, *e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		e = line + strlen(line);
		while (e > line && (e[-1] == '\r' || e[-1] == ' '))
			*--e = '\0';
		if (!*line)
			continue;
		colon = strchr(line, ':');
		if (!colon || colon == line) {
			err = EINVAL;
			break;
		}
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		if (MHD_add_response_header(resp, line, v) == MHD_NO) {
			err = ENOMEM;
			break;
		}
	}
	mem_deref(copy);
	return err;
}

static struct MHD_Response *make_resp(const struct http *h, const char *ctype,
                                      const char *body, size_t len,
                                      const char *hdrs, int *errp)
{
	struct MHD_Response *resp;
	int err = 0;

	resp = MHD_create_response_from_buffer(len, (void *)(body ? body : ""),
	                                       MHD_RESPMEM_MUST_COPY);
	if (!resp) {
		*errp = ENOMEM;
		return NULL;
	}
	if ((ctype &&
	     MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	                             ctype) == MHD_NO) ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, h->server) ==
	        MHD_NO)
		err = ENOMEM;
	if (!err)
		err = add_headers(resp, hdrs);
	if (err) {
		MHD_destroy_response(resp);
		*errp = err;
		return NULL;
	}
	return resp;
}

/* {"error":"...","status":N} */
static int error_body(struct buf **mbp, unsigned status, const char *why)
{
	struct buf *mb = NULL;
	struct json j;
	int err;

	err = buf_alloc(&mb, 64);
	if (err)
		return err;
	json_init(&j, mb);
	json_obj_begin(&j);
	json_key(&j, "error");
	json_str(&j, why ? why : "");
	json_key(&j, "status");
	json_u64(&j, status);
	json_obj_end(&j);
	err = json_end(&j);
	if (err)
		mem_deref(mb);
	else
		*mbp = mb;
	return err;
}

static struct MHD_Response *make_error(const struct http *h, unsigned status,
                                       const char *why, const char *hdrs,
                                       int *errp)
{
	struct MHD_Response *resp;
	struct buf *mb = NULL;

	*errp = error_body(&mb, status, why);
	if (*errp)
		return NULL;
	resp = make_resp(h, "application/json", (const char *)mb->b, mb->end,
	                 hdrs, errp);
	mem_deref(mb);
	return resp;
}

/* ---- driving libmicrohttpd from the loop ---- */

static void tmr_fired(void *arg)
{
	run(arg);
}

static void arm(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG to = 0;
	int err;

	if (MHD_get_timeout(h->d, &to) != MHD_YES) {
		tmr_cancel(&h->tmr);
		return;
	}
	if (to > MAX_TIMER_MS)
		to = MAX_TIMER_MS;
	err = tmr_start(&h->tmr, loop_tmrl(h->loop), to, tmr_fired, h);
	if (err)
		log_warn(NULL, "cannot start the connection timer: %s",
		         err_str(err));
}

static void run(struct http *h)
{
	if (h->in_run)
		return; /* a resume inside MHD_run: its ITC wakes us again */
	h->in_run = true;
	(void)MHD_run(h->d);
	h->in_run = false;
	arm(h);
}

static void epoll_ready(int flags, void *arg)
{
	(void)flags;
	run(arg);
}

/* ---- requests ---- */

static void req_destroy(void *data)
{
	struct http_req *rq = data;

	list_unlink(&rq->le);
	if (rq->resp)
		MHD_destroy_response(rq->resp);
	mem_deref(rq->method);
	mem_deref(rq->path);
	mem_deref(rq->body);
	mem_deref(rq->puser);
	mem_deref(rq->pdomain);
	mem_deref(rq->auser);
	mem_deref(rq->user);
}

static void suspend(struct http_req *rq)
{
	if (rq->suspended)
		return;
	MHD_suspend_connection(rq->conn);
	rq->suspended = true;
}

/* A result arrived outside the access handler: let libmicrohttpd call
 * it again. */
static void wake(struct http_req *rq)
{
	if (!rq->suspended || !rq->h || !rq->conn)
		return;
	rq->suspended = false;
	MHD_resume_connection(rq->conn);
	run(rq->h);
}

static enum MHD_Result queue(struct http_req *rq)
{
	enum MHD_Result ret;

	ret = MHD_queue_response(rq->conn, rq->status, rq->resp);
	MHD_destroy_response(rq->resp);
	rq->resp = NULL;
	rq->state = RQ_DONE;
	log_debug(NULL, "%s %s -> %u", rq->method, rq->path, rq->status);
	return ret;
}

/* An error response now, from inside the access handler. */
static enum MHD_Result fail_now(struct http_req *rq, unsigned status,
                                const char *why, const char *hdrs)
{
	int err;

	rq->resp = make_error(rq->h, status, why, hdrs, &err);
	if (!rq->resp)
		return MHD_NO;
	rq->status = status;
	return queue(rq);
}

/* After a handler or a store call that may have answered at once. */
static enum MHD_Result settle(struct http_req *rq)
{
	if (rq->abort)
		return MHD_NO;
	if (rq->resp)
		return queue(rq);
	suspend(rq);
	return MHD_YES;
}

static enum MHD_Result dispatch(struct http_req *rq)
{
	if (rq->body) { /* keep a NUL after the body for convenience */
		if (buf_write_u8(rq->body, 0))
			return fail_now(rq, 500, "Out of memory", NULL);
		rq->body->end--;
		rq->body->pos--;
	}
	rq->state = RQ_HANDLER;
	mem_ref(rq); /* the handler's, dropped by http_reply */
	rq->in_cb = true;
	rq->fn(rq, rq->arg);
	rq->in_cb = false;
	return settle(rq);
}

static bool admin_match(const char *admins, const char *user,
                        const char *domain)
{
	size_t ul = strlen(user), dl = strlen(domain);
	const char *p = admins;

	while (p && *p) {
		const char *e;
		size_t n;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		n = (size_t)(e - p);
		if (n > 4 && !strncasecmp(p, "sip:", 4)) {
			p += 4;
			n -= 4;
		}
		if (n == ul + 1 + dl && !memcmp(p, user, ul) && p[ul] == '@' &&
		    !strncasecmp(p + ul + 1, domain, dl))
			return true;
		p = e;
	}
	return false;
}

/* The value of parameter name of a Digest credentials header (without
 * quotes) into out; false when absent or too long. */
static bool auth_param(const char *hdr, const char *name, char *out,
                       size_t size)
{
	size_t nl = strlen(name);
	const char *p = hdr;

	if (strncasecmp(p, "Digest", 6) || (p[6] != ' ' && p[6] != '\t'))
		return false;
	p += 7;
	while (*p) {
		const char *k, *v;
		size_t kl, o = 0;
		bool quoted;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		k = p;
		while (*p && *p != '=' && *p != ',' && *p != ' ')
			p++;
		kl = (size_t)(p - k);
		while (*p == ' ')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ')
			p++;
		quoted = *p == '"';
		if (quoted)
			p++;
		v = p;
		while (*p && (quoted ? *p != '"' : (*p != ',' && *p != ' '))) {
			if (quoted && *p == '\\' && p[1])
				p++;
			p++;
		}
		if (kl == nl && !strncasecmp(k, name, nl)) {
			for (const char *s = v; s < p; s++) {
				if (quoted && *s == '\\' && s + 1 < p)
					s++;
				if (o + 1 >= size)
					return false;
				out[o++] = *s;
			}
			out[o] = '\0';
			return true;
		}
		if (quoted && *p == '"')
			p++;
	}
	return false;
}

static bool hex_bin(const char *hex, uint8_t *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]))
			return false;
		hi = isdigit((unsigned char)hex[2 * i])
		         ? hex[2 * i] - '0'
		         : (tolower((unsigned char)hex[2 * i]) - 'a' + 10);
		lo = isdigit((unsigned char)hex[2 * i + 1])
		         ? hex[2 * i + 1] - '0'
		         : (tolower((unsigned char)hex[2 * i + 1]) - 'a' + 10);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

struct chal_walk {
	unsigned n;
	char *first; /* copy of the first WWW-Authenticate value */
};

static enum MHD_Result chal_each(void *arg, enum MHD_ValueKind kind,
                                 const char *key, const char *value)
{
	struct chal_walk *w = arg;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_WWW_AUTHENTICATE))
		return MHD_YES;
	if (!w->n++ && mem_strdup(&w->first, value))
		return MHD_NO;
	return MHD_YES;
}

/* Move the first (MD5) challenge behind the second (SHA-256) one: the
 * most preferred goes first (RFC 7616 3.7). */
static void chal_reorder(struct MHD_Response *resp)
{
	struct chal_walk w = {0, NULL};

	(void)MHD_get_response_headers(resp, chal_each, &w);
	if (w.n == 2 && w.first &&
	    MHD_del_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	                            w.first) == MHD_YES)
		(void)MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, w.first);
	mem_deref(w.first);
}

/*
 * 401 with two challenges, SHA-256 listed first. libmicrohttpd queues the
 * response with the first call; the second adds its header to the same
 * (queued, not yet sent) response, and its own queueing is refused.
 * SHA-256 goes second so that its nonce is registered last: libmicrohttpd
 * remembers one nonce per slot of its table and the two may share one.
 */
static enum MHD_Result challenge(struct http_req *rq, bool stale)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int err;

	resp = make_error(rq->h, 401, "Authentication required", NULL, &err);
	if (!resp)
		return MHD_NO;
	ret =
	    MHD_queue_auth_fail_response2(rq->conn, rq->pdomain, rq->h->opaque,
	                                  resp, stale, MHD_DIGEST_ALG_MD5);
	if (ret == MHD_YES) {
		(void)MHD_queue_auth_fail_response2(rq->conn, rq->pdomain,
		                                    rq->h->opaque, resp, stale,
		                                    MHD_DIGEST_ALG_SHA256);
		chal_reorder(resp);
	}
	MHD_destroy_response(resp);
	rq->state = RQ_DONE;
	log_debug(NULL, "%s %s -> 401%s", rq->method, rq->path,
	          stale ? " (stale)" : "");
	return ret;
}

static enum MHD_Result auth_check(struct http_req *rq)
{
	enum MHD_DigestAuthAlgorithm algo = MHD_DIGEST_ALG_MD5;
	const char *hdr;
	uint8_t ha1[32];
	size_t ha1_len = 16;
	char alg[32];
	int r;

	if (rq->lerr)
		return fail_now(rq, 503, "User directory unavailable",
		                "Retry-After: 5\r\n");
	if (!rq->pfound)
		return fail_now(rq, 404, "No such user", NULL);
	if (!rq->auser || !rq->afound || !rq->su.enabled)
		return challenge(rq, false);

	hdr = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
	                                  MHD_HTTP_HEADER_AUTHORIZATION);
	if (hdr && auth_param(hdr, "algorithm", alg, sizeof(alg))) {
		if (!strcasecmp(alg, "SHA-256")) {
			algo = MHD_DIGEST_ALG_SHA256;
			ha1_len = 32;
		} else if (strcasecmp(alg, "MD5")) {
			return challenge(rq, false);
		}
	}
	if (!hex_bin(algo == MHD_DIGEST_ALG_MD5 ? rq->su.ha1_md5
	                                        : rq->su.ha1_sha256,
	             ha1, ha1_len))
		return challenge(rq, false);
	r = MHD_digest_auth_check_digest2(rq->conn, rq->pdomain, rq->auser, ha1,
	                                  ha1_len, rq->h->nonce_ttl_s, algo);
	if (r != MHD_YES) {
		log_info(NULL, "%s %s: digest authentication of %s@%s failed%s",
		         rq->method, rq->path, rq->auser, rq->pdomain,
		         r == MHD_INVALID_NONCE ? " (nonce)" : "");
		return challenge(rq, r == MHD_INVALID_NONCE);
	}
	rq->user =
	    mem_zalloc(strlen(rq->auser) + strlen(rq->pdomain) + 2, NULL);
	if (!rq->user)
		return fail_now(rq, 500, "Out of memory", NULL);
	sprintf(rq->user, "%s@%s", rq->auser, rq->pdomain);
	rq->admin = admin_match(rq->h->admins, rq->auser, rq->pdomain);
	return dispatch(rq);
}

static void lookup_done(struct http_req *rq)
{
	rq->state = RQ_CHECK;
	wake(rq);
}

static void auser_got(int err, const struct store_user *u, void *arg)
{
	struct http_req *rq = arg;

	if (!rq->h || !rq->conn || rq->state != RQ_LOOKUP)
		return;
	if (!err) {
		rq->su = *u;
		rq->afound = true;
	} else if (err != ENOENT) {
		rq->lerr = err;
	}
	lookup_done(rq);
}

static void puser_got(int err, const struct store_user *u, void *arg)
{
	struct http_req *rq = arg;

	if (!rq->h || !rq->conn || rq->state != RQ_LOOKUP)
		return;
	if (err) {
		if (err != ENOENT)
			rq->lerr = err;
		lookup_done(rq);
		return;
	}
	rq->pfound = true;
	if (!rq->auser) {
		lookup_done(rq);
		return;
	}
	if (!strcmp(rq->auser, rq->puser)) {
		rq->su = *u;
		rq->afound = true;
		lookup_done(rq);
		return;
	}
	err = store_user_get_async(rq->h->st, rq->auser, rq->pdomain, auser_got,
	                           rq);
	if (err) {
		rq->lerr = err;
		lookup_done(rq);
	}
}

/* "user@domain" (or "sip:user@domain") up to the next '/' of rest into
 * rq->puser and rq->pdomain (lower case). EINVAL when absent. */
static int path_user(struct http_req *rq, const char *rest)
{
	const char *end = strchr(rest, '/'), *at = NULL;
	size_t n;
	int err;

	if (!end)
		end = rest + strlen(rest);
	if (end - rest > 4 && !strncasecmp(rest, "sip:", 4))
		rest += 4;
	for (const char *p = rest; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at || at == rest || at + 1 == end)
		return EINVAL;
	n = (size_t)(end - at - 1);
	if ((size_t)(at - rest) >= sizeof(rq->su.user) ||
	    n >= sizeof(rq->su.domain))
		return EINVAL;
	err = mem_strndup(&rq->puser, rest, (size_t)(at - rest));
	if (!err)
		err = mem_strndup(&rq->pdomain, at + 1, n);
	if (err)
		return err;
	for (char *p = rq->pdomain; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return 0;
}

static enum MHD_Result auth_start(struct http_req *rq)
{
	char *u;
	int err;

	err = path_user(rq, rq->path + rq->plen);
	if (err == ENOMEM)
		return fail_now(rq, 500, "Out of memory", NULL);
	if (err)
		return fail_now(rq, 404, "No user@domain in the path", NULL);
	u = MHD_digest_auth_get_username(rq->conn);
	if (u) {
		err = mem_strdup(&rq->auser, u);
		MHD_free(u);
		if (err)
			return fail_now(rq, 500, "Out of memory", NULL);
	}
	rq->state = RQ_LOOKUP;
	err = store_user_get_async(rq->h->st, rq->puser, rq->pdomain, puser_got,
	                           rq);
	if (err)
		return fail_now(rq, 500, "User directory unavailable", NULL);
	if (rq->state == RQ_CHECK) /* answered at once (store without loop) */
		return auth_check(rq);
	suspend(rq);
	return MHD_YES;
}

/* Longest prefix among the routes for this method; *other: a route for
 * another method would match (405). */
static const struct route *route_find(const struct http *h, const char *path,
                                      const char *method, bool *other)
{
	const struct route *best = NULL;

	*other = false;
	LIST_FOREACH(&h->routes, le) {
		const struct route *r = le->data;

		if (strncmp(path, r->prefix, r->plen))
			continue;
		if (r->method && strcmp(r->method, method)) {
			*other = true;
			continue;
		}
		if (!best || r->plen > best->plen)
			best = r;
	}
	return best;
}

static enum MHD_Result req_start(struct http *h, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 void **con_cls)
{
	const struct route *rt;
	struct http_req *rq;
	const char *cl;
	bool other;

	rq = mem_zalloc(sizeof(*rq), req_destroy);
	if (!rq)
		return MHD_NO;
	rq->h = h;
	rq->conn = conn;
	list_append(&h->reqs, &rq->le, rq);
	*con_cls = rq; /* released by completed() */
	if (mem_strdup(&rq->method, method) || mem_strdup(&rq->path, url))
		return MHD_NO;

	rt = route_find(h, url, method, &other);
	if (!rt) {
		if (other)
			return fail_now(rq, 405, "Method not allowed", NULL);
		return fail_now(rq, 404, "Not found", NULL);
	}
	rq->plen = rt->plen;
	rq->auth = rt->auth;
	rq->fn = rt->fn;
	rq->arg = rt->arg;

	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl) {
		struct pl pl;
		uint64_t v;

		pl_set_str(&pl, cl);
		pl_trim(&pl);
		if (pl_u64(&pl, &v) || v > h->max_body) {
			rq->too_big = true;
			return fail_now(rq, 413, "Request body too large",
			                "Connection: close\r\n");
		}
	}
	return MHD_YES;
}

static void body_add(struct http_req *rq, const char *p, size_t n)
{
	int err;

	if (rq->too_big || rq->abort)
		return;
	if ((rq->body ? rq->body->end : 0) + n > rq->h->max_body) {
		rq->too_big = true;
		rq->body = mem_deref(rq->body);
		return;
	}
	if (!rq->body && buf_alloc(&rq->body, n < 1024 ? 1024 : n)) {
		rq->abort = true;
		return;
	}
	err = buf_write(rq->body, p, n);
	if (err)
		rq->abort = true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct http_req *rq = *con_cls;

	(void)version;
	if (!rq)
		return req_start(h, conn, url, method, con_cls);
	if (!rq->h || rq->abort)
		return MHD_NO;
	if (*upload_size) {
		body_add(rq, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (rq->resp)
		return queue(rq);
	switch (rq->state) {
	case RQ_NEW:
		if (rq->too_big)
			return fail_now(rq, 413, "Request body too large",
			                NULL);
		if (!rq->auth)
			return dispatch(rq);
		return auth_start(rq);
	case RQ_CHECK:
		return auth_check(rq);
	case RQ_DONE:
		return MHD_YES;
	default: /* woken up without a result */
		suspend(rq);
		return MHD_YES;
	}
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct http_req *rq = *con_cls;

	(void)cls;
	(void)conn;
	if (!rq)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug(NULL, "%s %s: terminated (%d)", rq->method, rq->path,
		          (int)toe);
	*con_cls = NULL;
	rq->conn = NULL;
	rq->suspended = false;
	list_unlink(&rq->le);
	mem_deref(rq);
}

/* ---- the server ---- */

static void route_destroy(void *data)
{
	struct route *r = data;

	list_unlink(&r->le);
	mem_deref(r->method);
	mem_deref(r->prefix);
}

static void http_destroy(void *data)
{
	struct http *h = data;

	tmr_cancel(&h->tmr);
	if (h->epfd >= 0)
		loop_fd_close(h->loop, h->epfd);
	/* libmicrohttpd refuses to stop with suspended connections; their
	 * handlers may still reply later (to a detached request) */
	LIST_FOREACH(&h->reqs, le) {
		struct http_req *rq = le->data;

		rq->h = NULL;
		if (rq->suspended && rq->conn) {
			rq->suspended = false;
			MHD_resume_connection(rq->conn);
		}
	}
	if (h->d)
		MHD_stop_daemon(h->d);
	LIST_FOREACH(&h->reqs, le) {
		struct http_req *rq = le->data;

		rq->conn = NULL;
		list_unlink(&rq->le);
	}
	list_flush(&h->routes);
	mem_deref(h->server);
	mem_deref(h->admins);
}

/* "IP:PORT" or "[v6]:PORT" (the port is required, 0 picks one). */
static int listen_addr(struct sa *sa, const char *s)
{
	const char *colon, *rb;

	if (!s || !*s)
		return EINVAL;
	colon = strrchr(s, ':');
	rb = strchr(s, ']');
	if (!colon || !colon[1] || (s[0] == '[' && (!rb || colon < rb)))
		return EINVAL;
	return sa_decode(sa, s, strlen(s));
}

int http_alloc(struct http **hp, const struct http_conf *cf, struct loop *loop,
               struct store *st)
{
	const union MHD_DaemonInfo *info;
	unsigned int flags;
	struct http *h;
	struct sa sa;
	int err;

	if (!hp || !cf || !loop || !st)
		return EINVAL;
	err = listen_addr(&sa, cf->listen);
	if (err) {
		log_err(NULL, "http.listen '%s': not IP:PORT or [IPv6]:PORT",
		        cf->listen ? cf->listen : "");
		return err;
	}
	h = mem_zalloc(sizeof(*h), http_destroy);
	if (!h)
		return ENOMEM;
	h->epfd = -1;
	h->loop = loop;
	h->st = st;
	h->max_body = cf->max_body ? cf->max_body : 1048576;
	h->nonce_ttl_s = cf->nonce_ttl_s ? cf->nonce_ttl_s : 300;
	tmr_init(&h->tmr);
	list_init(&h->routes);
	list_init(&h->reqs);
	err = mem_strdup(&h->server, cf->server_name && *cf->server_name
	                                 ? cf->server_name
	                                 : "impd/" IMPD_VERSION);
	if (!err)
		err = mem_strdup(&h->admins, cf->admins ? cf->admins : "");
	if (!err)
		err = rand_bytes(h->rnd, sizeof(h->rnd));
	if (err)
		goto out;
	rand_token(h->opaque, sizeof(h->opaque) - 1);

	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (sa_af(&sa) == AF_INET6)
		flags |= MHD_USE_IPv6;
	errno = 0;
	h->d = MHD_start_daemon(
	    flags, sa_port(&sa), NULL, NULL, on_request, h,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR,
	    &sa.u.sa, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof(h->rnd), h->rnd,
	    MHD_OPTION_NONCE_NC_SIZE, (unsigned int)NONCE_NC_SIZE,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_LIMIT,
	    MHD_OPTION_END);
	if (!h->d) {
		err = errno ? errno : EIO;
		log_err(NULL, "cannot listen on %s: %s", cf->listen,
		        err_str(err));
		goto out;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info) {
		err = EIO;
		goto out;
	}
	h->epfd = info->epoll_fd;
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : sa_port(&sa);
	err = loop_fd_listen(loop, h->epfd, FD_READ, epoll_ready, h);
	if (err) {
		h->epfd = -1;
		goto out;
	}
	arm(h);
out:
	if (err)
		mem_deref(h);
	else
		*hp = h;
	return err;
}

uint16_t http_port(const struct http *h)
{
	return h ? h->port : 0;
}

int http_route(struct http *h, const char *method, const char *prefix,
               bool auth, http_h *fn, void *arg)
{
	struct route *r;
	int err = 0;

	if (!h || !prefix || !*prefix || !fn)
		return EINVAL;
	r = mem_zalloc(sizeof(*r), route_destroy);
	if (!r)
		return ENOMEM;
	if (method)
		err = mem_strdup(&r->method, method);
	if (!err)
		err = mem_strdup(&r->prefix, prefix);
	if (err) {
		mem_deref(r);
		return err;
	}
	r->plen = strlen(prefix);
	r->auth = auth;
	r->fn = fn;
	r->arg = arg;
	list_append(&h->routes, &r->le, r);
	return 0;
}

/* ---- request accessors ---- */

const char *http_req_method(const struct http_req *rq)
{
	return rq ? rq->method : NULL;
}

const char *http_req_path(const struct http_req *rq)
{
	return rq ? rq->path : NULL;
}

const char *http_req_rest(const struct http_req *rq)
{
	return rq ? rq->path + rq->plen : NULL;
}

const char *http_req_arg(const struct http_req *rq, const char *name)
{
	if (!rq || !rq->conn || !name)
		return NULL;
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND,
	                                   name);
}

const char *http_req_header(const struct http_req *rq, const char *name)
{
	if (!rq || !rq->conn || !name)
		return NULL;
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *http_req_body(const struct http_req *rq, size_t *len)
{
	if (len)
		*len = rq && rq->body ? rq->body->end : 0;
	return rq && rq->body ? (const char *)rq->body->b : "";
}

const char *http_req_user(const struct http_req *rq)
{
	return rq ? rq->user : NULL;
}

bool http_req_admin(const struct http_req *rq)
{
	return rq && rq->admin;
}

int http_reply(struct http_req *rq, unsigned status, const char *ctype,
               const char *body, size_t len, const char *hdrs)
{
	int err = 0;

	if (!rq || (!body && len) || status < 100 || status > 999)
		return EINVAL;
	if (rq->state != RQ_HANDLER || rq->replied)
		return EPROTO;
	rq->replied = true;
	if (rq->h && rq->conn) {
		rq->resp = make_resp(rq->h, ctype, body, len, hdrs, &err);
		if (!rq->resp)
			rq->abort = true; /* the connection is closed */
		rq->status = status;
		if (!rq->in_cb)
			wake(rq);
	} else {
		err = ENOTCONN;
	}
	mem_deref(rq); /* the handler's reference */
	return err;
}

int http_reply_error(struct http_req *rq, unsigned status, const char *why)
{
	struct buf *mb = NULL;
	int err, err2;

	err = error_body(&mb, status, why);
	if (err) {
		/* the request must still end: an empty body then */
		err2 = http_reply(rq, status, NULL, NULL, 0, NULL);
		return err2 ? err2 : err;
	}
	err = http_reply(rq, status, "application/json", (const char *)mb->b,
	                 mb->end, NULL);
	mem_deref(mb);
	return err;
}
