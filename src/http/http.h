/* http/http.h - impd's HTTP server (libmicrohttpd driven by impd's event
 * loop): routing by path prefix, digest authentication against the user
 * directory, replies that may come later (asynchronous store calls).
 * XCAP (issue 5) and the admin API plug in here. */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct store;
struct http;
struct http_req;

struct http_conf {
	const char *listen;   /* "127.0.0.1:8080", "[::1]:8080" */
	const char *admins;   /* "admin@example.com, ops@example.com" or "" */
	uint32_t max_body;    /* 1048576: larger request bodies get 413 */
	uint32_t nonce_ttl_s; /* 300 */
	const char *server_name;
	/* HTTPS (a second listener serving the same routes): address or
	 * "" for none, and the PEM certificate chain and key files. */
	const char *tls_listen; /* "127.0.0.1:8443" */
	const char *tls_cert;
	const char *tls_key;
};

/* Listen and serve on loop's thread (libmicrohttpd without threads of
 * its own: its epoll fd is watched by loop, its timeouts by loop's
 * timers). st: the user directory for authentication (borrowed). */
int http_alloc(struct http **hp, const struct http_conf *cf, struct loop *loop,
               struct store *st);
/* The port actually bound (for "127.0.0.1:0"); 0 when that listener is
 * not configured. */
uint16_t http_port(const struct http *h);
uint16_t http_tls_port(const struct http *h);

/*
 * A handler for requests whose path starts with prefix (longest prefix
 * wins; method NULL: any method, else exact). With auth, the request is
 * authenticated first (RFC 7616 digest, MD5 and SHA-256, realm = the
 * domain of the "user@domain" path segment that follows prefix, username
 * = the user part; 401 with a challenge otherwise) and h runs only for an
 * authenticated user. h must call http_reply exactly once, now or later
 * (the connection is suspended meanwhile); rq stays valid until then.
 */
typedef void http_h(struct http_req *rq, void *arg);
int http_route(struct http *h, const char *method, const char *prefix,
               bool auth, http_h *fn, void *arg);

/*
 * Like http_route with authentication, for trees where the realm's
 * "user@domain" (or "sip:user@domain") is path segment seg of the rest
 * (0: right after prefix; XCAP: "<auid>/users/<xui>/..." is seg 2). When
 * the rest has no such segment or it is not user@domain (XCAP's global
 * tree), the realm is default_realm and any user of that domain may
 * authenticate (default_realm NULL: 404 instead).
 */
int http_route_realm(struct http *h, const char *method, const char *prefix,
                     unsigned seg, const char *default_realm, http_h *fn,
                     void *arg);

const char *http_req_method(const struct http_req *rq);
/* Path without the query, percent-decoded ("/api/v1/users/a@b/history"). */
const char *http_req_path(const struct http_req *rq);
/* The rest of the path after the route's prefix. */
const char *http_req_rest(const struct http_req *rq);
/* The query component as written, percent-decoded, without '?'
 * ("xmlns(a=urn:x)xmlns(b=urn:y)"), or NULL when there is none. */
const char *http_req_query(const struct http_req *rq);
/* Came over the HTTPS listener. */
bool http_req_tls(const struct http_req *rq);
/* "http://HOST" or "https://HOST" from the Host header (or the
 * listener's address when there is none), for absolute URIs in bodies.
 * ENOSPC. */
int http_req_base(const struct http_req *rq, char *buf, size_t size);
/* A query argument (decoded) or NULL. */
const char *http_req_arg(const struct http_req *rq, const char *name);
/* A request header or NULL. */
const char *http_req_header(const struct http_req *rq, const char *name);
const char *http_req_body(const struct http_req *rq, size_t *len);
/* The authenticated identity "user@domain", or NULL (auth false). */
const char *http_req_user(const struct http_req *rq);
/* The authenticated user is listed in http.admins. */
bool http_req_admin(const struct http_req *rq);

/* Send the response (body copied; ctype NULL: no body type; hdrs extra
 * "Name: value\r\n" lines or NULL). Once per request. */
int http_reply(struct http_req *rq, unsigned status, const char *ctype,
               const char *body, size_t len, const char *hdrs);
/* A JSON error body {"error":"...","status":N}. */
int http_reply_error(struct http_req *rq, unsigned status, const char *why);

#endif
