/* http/http.c - impd's HTTP server: libmicrohttpd driven by the event loop,
 * HTTP and HTTPS (RFC 9110 4.2.2) listeners, routing, digest authentication
 * (RFC 7616 3.3-3.5) */
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

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
	MAX_PEM = 1048576, /* a certificate chain or key file */
	MAX_HOST = 255,    /* a Host header used by http_req_base */
};

enum { LSN_HTTP, LSN_HTTPS, LSN_N };

struct route {
	struct le le;
	char *method; /* NULL: any */
	char *prefix;
	size_t plen;
	bool auth;
	bool realm;     /* http_route_realm: 404 for the path user comes
	                   after authentication */
	unsigned seg;   /* the "user@domain" segment of the rest */
	char *defrealm; /* realm when that segment is absent, or NULL */
	http_h *fn;
	void *arg;
};

/* One libmicrohttpd daemon (plain or TLS) on the loop. */
struct lsn {
	struct http *h; /* the server this is embedded in */
	struct MHD_Daemon *d;
	struct tmr tmr; /* libmicrohttpd's next timeout */
	int epfd;       /* libmicrohttpd's epoll fd, watched by loop */
	struct sa sa;   /* the address bound (port filled in) */
	bool tls;
	bool in_run; /* inside MHD_run */
};

struct http {
	struct lsn lsn[LSN_N]; /* a listener without a daemon is off */
	struct loop *loop;     /* borrowed */
	struct store *st;      /* borrowed */
	uint32_t max_body;
	uint32_t nonce_ttl_s;
	char *server;
	char *admins;
	char *cert_pem, *key_pem; /* the HTTPS daemon's, NUL-terminated */
	struct list routes;
	struct list reqs; /* live requests (struct http_req) */
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
	struct lsn *l;               /* borrowed: in h, valid while h is */
	struct MHD_Connection *conn; /* NULL once libmicrohttpd is done */
	enum rq_state state;
	char *method;
	char *path;
	char *query; /* rebuilt from the arguments, or NULL */
	size_t plen; /* the route's prefix length */
	bool tls;
	bool auth;
	bool realm;           /* see struct route */
	unsigned seg;         /* see struct route */
	const char *defrealm; /* borrowed from the route (lives with h) */
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

static void run(struct lsn *l);

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

static void arm(struct lsn *l)
{
	MHD_UNSIGNED_LONG_LONG to = 0;
	int err;

	if (MHD_get_timeout(l->d, &to) != MHD_YES) {
		tmr_cancel(&l->tmr);
		return;
	}
	if (to > MAX_TIMER_MS)
		to = MAX_TIMER_MS;
	err = tmr_start(&l->tmr, loop_tmrl(l->h->loop), to, tmr_fired, l);
	if (err)
		log_warn(NULL, "cannot start the connection timer: %s",
		         err_str(err));
}

static void run(struct lsn *l)
{
	if (l->in_run)
		return; /* a resume inside MHD_run: its ITC wakes us again */
	l->in_run = true;
	(void)MHD_run(l->d);
	l->in_run = false;
	arm(l);
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
	mem_deref(rq->query);
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
	run(rq->l);
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
	if (!rq->pfound && !rq->realm)
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
	if (!rq->pfound) /* a realm route's path user, after authentication */
		return fail_now(rq, 404, "No such user", NULL);
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
	if (err && err != ENOENT) {
		rq->lerr = err;
		lookup_done(rq);
		return;
	}
	rq->pfound = !err;
	/* an unknown path user: 404 at once (http_route), or after the
	 * credentials of the realm's users are checked (http_route_realm) */
	if (!rq->auser || (!rq->pfound && !rq->realm)) {
		lookup_done(rq);
		return;
	}
	if (rq->pfound && !strcmp(rq->auser, rq->puser)) {
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

/* Segment seg (0-based, '/'-separated) of rest, *lenp its length; NULL
 * when rest has fewer segments. */
static const char *path_seg(const char *rest, unsigned seg, size_t *lenp)
{
	const char *end;

	for (; seg; seg--) {
		rest = strchr(rest, '/');
		if (!rest)
			return NULL;
		rest++;
	}
	end = strchr(rest, '/');
	*lenp = end ? (size_t)(end - rest) : strlen(rest);
	return rest;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* "user@domain" (or "sip:user@domain"), the len octets at rest, into
 * rq->puser and rq->pdomain (lower case). EINVAL when it is not one. */
static int path_user(struct http_req *rq, const char *rest, size_t len)
{
	const char *end = rest + len, *at = NULL;
	size_t n;
	int err;

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
	if (err) {
		rq->puser = mem_deref(rq->puser);
		return err;
	}
	lower(rq->pdomain);
	return 0;
}

/*
 * Realm and credentials lookup. The realm is the domain of the path's
 * user@domain segment; without one, the route's default realm, where
 * any user of that domain may authenticate (no path user to look up).
 */
static enum MHD_Result auth_start(struct http_req *rq)
{
	const char *seg;
	size_t slen = 0;
	char *u;
	int err, perr;

	seg = path_seg(rq->path + rq->plen, rq->seg, &slen);
	perr = seg ? path_user(rq, seg, slen) : EINVAL;
	if (perr == ENOMEM)
		return fail_now(rq, 500, "Out of memory", NULL);
	if (perr && !rq->defrealm)
		return fail_now(rq, 404, "No user@domain in the path", NULL);
	u = MHD_digest_auth_get_username(rq->conn);
	if (u) {
		err = mem_strdup(&rq->auser, u);
		MHD_free(u);
		if (err)
			return fail_now(rq, 500, "Out of memory", NULL);
	}
	rq->state = RQ_LOOKUP;
	if (!perr) {
		err = store_user_get_async(rq->h->st, rq->puser, rq->pdomain,
		                           puser_got, rq);
	} else {
		if (mem_strdup(&rq->pdomain, rq->defrealm))
			return fail_now(rq, 500, "Out of memory", NULL);
		lower(rq->pdomain);
		rq->pfound = true;
		if (!rq->auser) {
			rq->state = RQ_CHECK;
			return auth_check(rq);
		}
		err = store_user_get_async(rq->h->st, rq->auser, rq->pdomain,
		                           auser_got, rq);
	}
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

struct query_walk {
	struct buf *mb;
	int err;
};

static enum MHD_Result query_each(void *arg, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
	struct query_walk *w = arg;

	(void)kind;
	if (!w->mb)
		w->err = buf_alloc(&w->mb, 128);
	else
		w->err = buf_write_u8(w->mb, '&');
	if (!w->err)
		w->err = buf_write_str(w->mb, key);
	if (!w->err && value)
		w->err = buf_printf(w->mb, "=%s", value);
	return w->err ? MHD_NO : MHD_YES;
}

/* libmicrohttpd splits the query on '&' and the first '=' of each part
 * (and decodes it): join the parts again, in order. */
static int query_rebuild(struct http_req *rq)
{
	struct query_walk w = {NULL, 0};

	(void)MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND,
	                                query_each, &w);
	if (!w.err && w.mb)
		w.err =
		    mem_strndup(&rq->query, (const char *)w.mb->b, w.mb->end);
	mem_deref(w.mb);
	return w.err;
}

static enum MHD_Result req_start(struct lsn *l, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 void **con_cls)
{
	struct http *h = l->h;
	const struct route *rt;
	struct http_req *rq;
	const char *cl;
	bool other;

	rq = mem_zalloc(sizeof(*rq), req_destroy);
	if (!rq)
		return MHD_NO;
	rq->h = h;
	rq->l = l;
	rq->tls = l->tls;
	rq->conn = conn;
	list_append(&h->reqs, &rq->le, rq);
	*con_cls = rq; /* released by completed() */
	if (mem_strdup(&rq->method, method) || mem_strdup(&rq->path, url) ||
	    query_rebuild(rq))
		return MHD_NO;

	rt = route_find(h, url, method, &other);
	if (!rt) {
		if (other)
			return fail_now(rq, 405, "Method not allowed", NULL);
		return fail_now(rq, 404, "Not found", NULL);
	}
	rq->plen = rt->plen;
	rq->auth = rt->auth;
	rq->realm = rt->realm;
	rq->seg = rt->seg;
	rq->defrealm = rt->defrealm;
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
	struct lsn *l = cls;
	struct http_req *rq = *con_cls;

	(void)version;
	if (!rq)
		return req_start(l, conn, url, method, con_cls);
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
	mem_deref(r->defrealm);
}

static void http_destroy(void *data)
{
	struct http *h = data;

	for (int i = 0; i < LSN_N; i++) {
		struct lsn *l = &h->lsn[i];

		tmr_cancel(&l->tmr);
		if (l->epfd >= 0)
			loop_fd_close(h->loop, l->epfd);
	}
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
	for (int i = 0; i < LSN_N; i++)
		if (h->lsn[i].d)
			MHD_stop_daemon(h->lsn[i].d);
	LIST_FOREACH(&h->reqs, le) {
		struct http_req *rq = le->data;

		rq->conn = NULL;
		list_unlink(&rq->le);
	}
	list_flush(&h->routes);
	mem_deref(h->server);
	mem_deref(h->admins);
	mem_deref(h->cert_pem);
	mem_deref(h->key_pem);
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

/* A whole PEM file into *pemp (NUL-terminated). */
static int pem_read(char **pemp, const char *path)
{
	struct buf *mb = NULL;
	char chunk[4096];
	FILE *f;
	size_t n;
	int err;

	f = fopen(path, "re");
	if (!f)
		return errno;
	err = buf_alloc(&mb, sizeof(chunk));
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (mb->end + n > MAX_PEM)
			err = EFBIG;
		else
			err = buf_write(mb, chunk, n);
	}
	if (!err && ferror(f))
		err = EIO;
	fclose(f);
	if (!err && (!mb->end || memchr(mb->b, '\0', mb->end)))
		err = EINVAL; /* empty, or not text */
	if (!err)
		err = mem_strndup(pemp, (const char *)mb->b, mb->end);
	mem_deref(mb);
	return err;
}

/* The HTTPS listener's certificate chain and key. */
static int tls_load(struct http *h, const struct http_conf *cf)
{
	int err;

	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		log_err(NULL, "http.tls_listen: this libmicrohttpd has no TLS "
		              "support");
		return ENOTSUP;
	}
	if (!cf->tls_cert || !*cf->tls_cert || !cf->tls_key || !*cf->tls_key) {
		log_err(NULL, "http.tls_listen needs a certificate and a key "
		              "(http.tls_cert and http.tls_key, or tls.cert "
		              "and tls.key)");
		return EINVAL;
	}
	err = pem_read(&h->cert_pem, cf->tls_cert);
	if (err) {
		log_err(NULL, "HTTPS certificate %s: %s", cf->tls_cert,
		        err_str(err));
		return err;
	}
	err = pem_read(&h->key_pem, cf->tls_key);
	if (err)
		log_err(NULL, "HTTPS key %s: %s", cf->tls_key, err_str(err));
	return err;
}

/* Start the daemon of l on sa (what names the address in logs). */
static int lsn_start(struct lsn *l, const struct sa *sa, const char *what)
{
	struct http *h = l->h;
	struct MHD_OptionItem tlsopt[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, h->cert_pem},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, h->key_pem},
	    {MHD_OPTION_END, 0, NULL},
	};
	const union MHD_DaemonInfo *info;
	unsigned int flags;
	int err;

	l->sa = *sa;
	flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (sa_af(sa) == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (l->tls)
		flags |= MHD_USE_TLS;
	errno = 0;
	l->d = MHD_start_daemon(
	    flags, sa_port(sa), NULL, NULL, on_request, l,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h, MHD_OPTION_SOCK_ADDR,
	    &l->sa.u.sa, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof(h->rnd), h->rnd,
	    MHD_OPTION_NONCE_NC_SIZE, (unsigned int)NONCE_NC_SIZE,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_LIMIT,
	    MHD_OPTION_ARRAY, l->tls ? tlsopt : &tlsopt[2], MHD_OPTION_END);
	if (!l->d) {
		err = errno ? errno : EIO;
		if (l->tls) /* libmicrohttpd has logged why */
			log_err(NULL, "cannot serve HTTPS on %s: %s", what,
			        err_str(err));
		else
			log_err(NULL, "cannot listen on %s: %s", what,
			        err_str(err));
		return err;
	}
	info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info)
		sa_set_port(&l->sa, info->port);
	info = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info)
		return EIO;
	err = loop_fd_listen(h->loop, info->epoll_fd, FD_READ, epoll_ready, l);
	if (err)
		return err;
	l->epfd = info->epoll_fd;
	arm(l);
	return 0;
}

int http_alloc(struct http **hp, const struct http_conf *cf, struct loop *loop,
               struct store *st)
{
	bool plain, tls;
	struct sa sa[LSN_N];
	struct http *h;
	int err;

	if (!hp || !cf || !loop || !st)
		return EINVAL;
	plain = cf->listen && *cf->listen;
	tls = cf->tls_listen && *cf->tls_listen;
	if (!plain && !tls) {
		log_err(NULL, "http.listen and http.tls_listen are both empty");
		return EINVAL;
	}
	if (plain && listen_addr(&sa[LSN_HTTP], cf->listen)) {
		log_err(NULL, "http.listen '%s': not IP:PORT or [IPv6]:PORT",
		        cf->listen);
		return EINVAL;
	}
	if (tls && listen_addr(&sa[LSN_HTTPS], cf->tls_listen)) {
		log_err(NULL,
		        "http.tls_listen '%s': not IP:PORT or [IPv6]:PORT",
		        cf->tls_listen);
		return EINVAL;
	}
	h = mem_zalloc(sizeof(*h), http_destroy);
	if (!h)
		return ENOMEM;
	for (int i = 0; i < LSN_N; i++) {
		h->lsn[i].h = h;
		h->lsn[i].epfd = -1;
		h->lsn[i].tls = i == LSN_HTTPS;
		tmr_init(&h->lsn[i].tmr);
	}
	h->loop = loop;
	h->st = st;
	h->max_body = cf->max_body ? cf->max_body : 1048576;
	h->nonce_ttl_s = cf->nonce_ttl_s ? cf->nonce_ttl_s : 300;
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

	if (tls)
		err = tls_load(h, cf);
	if (!err && plain)
		err = lsn_start(&h->lsn[LSN_HTTP], &sa[LSN_HTTP], cf->listen);
	if (!err && tls)
		err = lsn_start(&h->lsn[LSN_HTTPS], &sa[LSN_HTTPS],
		                cf->tls_listen);
out:
	if (err)
		mem_deref(h);
	else
		*hp = h;
	return err;
}

uint16_t http_port(const struct http *h)
{
	return h && h->lsn[LSN_HTTP].d ? sa_port(&h->lsn[LSN_HTTP].sa) : 0;
}

uint16_t http_tls_port(const struct http *h)
{
	return h && h->lsn[LSN_HTTPS].d ? sa_port(&h->lsn[LSN_HTTPS].sa) : 0;
}

static int route_add(struct http *h, const char *method, const char *prefix,
                     const char *defrealm, struct route **rp)
{
	struct route *r;
	int err = 0;

	r = mem_zalloc(sizeof(*r), route_destroy);
	if (!r)
		return ENOMEM;
	if (method)
		err = mem_strdup(&r->method, method);
	if (!err)
		err = mem_strdup(&r->prefix, prefix);
	if (!err && defrealm)
		err = mem_strdup(&r->defrealm, defrealm);
	if (err) {
		mem_deref(r);
		return err;
	}
	r->plen = strlen(prefix);
	list_append(&h->routes, &r->le, r);
	*rp = r;
	return 0;
}

int http_route(struct http *h, const char *method, const char *prefix,
               bool auth, http_h *fn, void *arg)
{
	struct route *r;
	int err;

	if (!h || !prefix || !*prefix || !fn)
		return EINVAL;
	err = route_add(h, method, prefix, NULL, &r);
	if (err)
		return err;
	r->auth = auth;
	r->fn = fn;
	r->arg = arg;
	return 0;
}

int http_route_realm(struct http *h, const char *method, const char *prefix,
                     unsigned seg, const char *default_realm, http_h *fn,
                     void *arg)
{
	struct route *r;
	int err;

	if (!h || !prefix || !*prefix || !fn ||
	    (default_realm && !*default_realm))
		return EINVAL;
	err = route_add(h, method, prefix, default_realm, &r);
	if (err)
		return err;
	r->auth = true;
	r->realm = true;
	r->seg = seg;
	r->fn = fn;
	r->arg = arg;
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

const char *http_req_query(const struct http_req *rq)
{
	return rq ? rq->query : NULL;
}

bool http_req_tls(const struct http_req *rq)
{
	return rq && rq->tls;
}

/* A Host header we are willing to copy into a URI (and a body): a
 * reg-name or IP literal of unreserved characters, and a port. */
static bool host_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MAX_HOST)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(".-_~%:[]", *s))
			return false;
	return true;
}

/* The local address of rq's connection, else its listener's. */
static int local_addr(const struct http_req *rq, char *buf, size_t size)
{
	const union MHD_ConnectionInfo *ci = NULL;
	struct sa sa;

	if (rq->conn)
		ci = MHD_get_connection_info(rq->conn,
		                             MHD_CONNECTION_INFO_CONNECTION_FD);
	memset(&sa, 0, sizeof(sa));
	sa.len = sizeof(sa.u.ss);
	if (!ci || getsockname(ci->connect_fd, &sa.u.sa, &sa.len) < 0) {
		if (!rq->h)
			return ENOTCONN;
		sa = rq->l->sa;
	}
	return sa_print(&sa, buf, size);
}

int http_req_base(const struct http_req *rq, char *buf, size_t size)
{
	const char *host = NULL;
	char addr[64];
	int n, err;

	if (!rq || !buf || !size)
		return EINVAL;
	if (rq->conn)
		host = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
		                                   MHD_HTTP_HEADER_HOST);
	if (!host || !host_ok(host)) {
		err = local_addr(rq, addr, sizeof(addr));
		if (err)
			return err;
		host = addr;
	}
	n = snprintf(buf, size, "%s://%s", rq->tls ? "https" : "http", host);
	return n < 0 || (size_t)n >= size ? ENOSPC : 0;
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
