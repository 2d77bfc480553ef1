/* tests/unit/http/test_http.c - the HTTP server on the loop: routing, digest
 * authentication (RFC 7616), realm routes, queries, HTTPS, replies that come
 * later, the history API */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "http/http.h"
#include "im/im_http.h"
#include "store/store.h"
#include "test.h"

#define DOMAIN "example.com"
#define PREFIX "/api/v1/users/"

struct rsp {
	unsigned status;
	char head[4096]; /* status line and header fields */
	char body[16384];
	size_t blen;
};

struct later {
	struct tmr tmr;
	struct http_req *rq;
	unsigned calls;
};

struct fix {
	struct loop *loop;
	struct store *st;
	struct http *h;
	uint16_t port;
	uint16_t tls_port;
	bool via_tls; /* xfer() speaks HTTPS to tls_port */
	struct later later;
	unsigned echo_calls;
	unsigned info_calls;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int user_add(struct store *st, const char *user, const char *pw)
{
	struct store_user u;
	char in[256];

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "%s", DOMAIN);
	snprintf(in, sizeof(in), "%s:%s:%s", user, DOMAIN, pw);
	md5_hex(u.ha1_md5, in, strlen(in));
	sha256_hex(u.ha1_sha256, in, strlen(in));
	u.enabled = true;
	return store_user_add(st, &u);
}

/* Handler: replies at once with who asked. */
static void echo_h(struct http_req *rq, void *arg)
{
	struct fix *f = arg;
	char body[512];
	size_t blen;
	const char *b = http_req_body(rq, &blen);
	const char *q = http_req_arg(rq, "q");

	f->echo_calls++;
	snprintf(body, sizeof(body),
	         "%s %s rest=%s user=%s admin=%d q=%s body=%zu:%s",
	         http_req_method(rq), http_req_path(rq), http_req_rest(rq),
	         http_req_user(rq) ? http_req_user(rq) : "-",
	         http_req_admin(rq), q ? q : "-", blen, b);
	http_reply(rq, 200, "text/plain", body, strlen(body),
	           "X-Test: yes\r\n");
}

/* Handler: replies with what the request accessors say. */
static void info_h(struct http_req *rq, void *arg)
{
	struct fix *f = arg;
	char body[1024], base[128];
	const char *q = http_req_query(rq);
	int err;

	f->info_calls++;
	err = http_req_base(rq, base, sizeof(base));
	snprintf(body, sizeof(body),
	         "rest=%s user=%s admin=%d query=%s tls=%d base=%s",
	         http_req_rest(rq), http_req_user(rq) ? http_req_user(rq) : "-",
	         http_req_admin(rq), q ? q : "(null)", http_req_tls(rq),
	         err ? err_str(err) : base);
	http_reply(rq, 200, "text/plain", body, strlen(body), NULL);
}

static void later_fire(void *arg)
{
	struct later *l = arg;
	struct http_req *rq = l->rq;

	l->rq = NULL;
	http_reply(rq, 202, "text/plain", "later", 5, NULL);
}

/* Handler: replies 30 ms later, from a timer. */
static void later_h(struct http_req *rq, void *arg)
{
	struct fix *f = arg;

	f->later.calls++;
	f->later.rq = rq;
	if (tmr_start(&f->later.tmr, loop_tmrl(f->loop), 30, later_fire,
	              &f->later)) {
		f->later.rq = NULL;
		http_reply_error(rq, 500, "no timer");
	}
}

/* tls: an HTTPS listener too, with tests/data/tls/server.pem. */
static int fix_init(struct fix *f, uint32_t max_body, bool tls)
{
	char cert[512], key[512];
	struct http_conf cf = {
	    .listen = "127.0.0.1:0",
	    .admins = "ops@elsewhere.test, admin@EXAMPLE.com",
	    .max_body = max_body,
	    .nonce_ttl_s = 300,
	    .server_name = "impd-test/1",
	    .tls_listen = tls ? "127.0.0.1:0" : "",
	    .tls_cert = cert,
	    .tls_key = key,
	};
	int err;

	snprintf(cert, sizeof(cert), "%s/tls/server.pem", test_datadir());
	snprintf(key, sizeof(key), "%s/tls/server.key", test_datadir());
	memset(f, 0, sizeof(*f));
	tmr_init(&f->later.tmr);
	err = loop_alloc(&f->loop);
	if (!err)
		err = store_open(&f->st, "mem:", f->loop);
	if (!err)
		err = store_domain_add(f->st, DOMAIN);
	if (!err)
		err = user_add(f->st, "alice", "wonderland");
	if (!err)
		err = user_add(f->st, "bob", "builder");
	if (!err)
		err = user_add(f->st, "admin", "root");
	if (!err)
		err = http_alloc(&f->h, &cf, f->loop, f->st);
	if (!err)
		err = http_route(f->h, "GET", PREFIX, true, echo_h, f);
	if (!err)
		err = http_route(f->h, NULL, "/echo/", false, echo_h, f);
	if (!err)
		err = http_route(f->h, "GET", "/later/", false, later_h, f);
	if (!err)
		err = http_route(f->h, NULL, "/info/", false, info_h, f);
	/* XCAP's shape: <auid>/users/<xui>/..., <auid>/global/... */
	if (!err)
		err = http_route_realm(f->h, "GET", "/xcap/", 2, "Example.COM",
		                       info_h, f);
	if (!err)
		err = http_route_realm(f->h, "GET", "/r1/", 1, NULL, info_h, f);
	if (!err) {
		f->port = http_port(f->h);
		f->tls_port = http_tls_port(f->h);
	}
	return err;
}

static void fix_close(struct fix *f)
{
	tmr_cancel(&f->later.tmr);
	f->h = mem_deref(f->h);
	if (f->st)
		store_flush(f->st);
	f->st = mem_deref(f->st);
	f->loop = mem_deref(f->loop);
}

/* A TLS client session on fd (non-blocking), the handshake done while
 * the loop runs; no certificate verification. */
static int tls_open(struct fix *f, int fd, SSL_CTX **ctxp, SSL **sslp,
                    uint64_t end)
{
	SSL_CTX *ctx;
	SSL *ssl;

	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return EIO;
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	if (!ssl || !SSL_set_fd(ssl, fd)) {
		SSL_free(ssl);
		SSL_CTX_free(ctx);
		return EIO;
	}
	*ctxp = ctx;
	*sslp = ssl;
	while (now_ms() < end) {
		int ret = SSL_connect(ssl), e;

		if (ret == 1)
			return 0;
		e = SSL_get_error(ssl, ret);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			ERR_clear_error();
			return EPROTO;
		}
		(void)loop_run_once(f->loop, 5);
	}
	return ETIMEDOUT;
}

/* Write all n octets of p (plain or TLS), running the loop meanwhile. */
static int put_all(struct fix *f, int fd, SSL *ssl, const char *p, size_t n,
                   uint64_t end)
{
	while (n && now_ms() < end) {
		ssize_t w;

		if (ssl) {
			int ret = SSL_write(ssl, p, (int)n), e;

			e = ret > 0 ? 0 : SSL_get_error(ssl, ret);
			if (e && e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return EPIPE;
			w = ret > 0 ? ret : 0;
		} else {
			w = send(fd, p, n, MSG_NOSIGNAL);
			if (w < 0 && errno != EAGAIN)
				return errno;
			if (w < 0)
				w = 0;
		}
		p += w;
		n -= (size_t)w;
		if (n)
			(void)loop_run_once(f->loop, 5);
	}
	return n ? ETIMEDOUT : 0;
}

/* Read what is there: > 0 octets, 0 at the end of the stream, -1 for
 * nothing yet. */
static ssize_t get_some(int fd, SSL *ssl, char *p, size_t size)
{
	ssize_t n;

	if (!ssl) {
		n = recv(fd, p, size, 0);
		return n < 0 ? -1 : n;
	}
	n = SSL_read(ssl, p, (int)size);
	if (n > 0)
		return n;
	switch (SSL_get_error(ssl, (int)n)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -1;
	default:
		ERR_clear_error();
		return 0;
	}
}

/* Send req (text, "\n" line ends made CRLF) on a new connection (HTTPS
 * when f->via_tls) and run the loop until the whole response is in. */
static int xfer(struct fix *f, const char *req, struct rsp *r)
{
	struct sockaddr_in sin;
	char raw[sizeof(r->head) + sizeof(r->body)], out[8192];
	size_t rn = 0, on = 0, clen = 0;
	uint64_t end = now_ms() + 3000;
	const char *hend = NULL;
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd, err = 0;

	memset(r, 0, sizeof(*r));
	for (const char *p = req; *p && on + 2 < sizeof(out); p++) {
		if (*p == '\n')
			out[on++] = '\r';
		out[on++] = *p;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(f->via_tls ? f->tls_port : f->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = errno;
		close(fd);
		return err;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (f->via_tls)
		err = tls_open(f, fd, &ctx, &ssl, end);
	if (!err)
		err = put_all(f, fd, ssl, out, on, end);
	while (!err && now_ms() < end) {
		ssize_t n;

		(void)loop_run_once(f->loop, 5);
		n = get_some(fd, ssl, raw + rn, sizeof(raw) - 1 - rn);
		if (n == 0)
			break;
		if (n < 0)
			continue;
		rn += (size_t)n;
		raw[rn] = '\0';
		if (!hend) {
			const char *cl;

			hend = strstr(raw, "\r\n\r\n");
			if (!hend)
				continue;
			cl = strcasestr(raw, "\r\nContent-Length:");
			if (cl && cl < hend)
				clen = strtoul(cl + 17, NULL, 10);
		}
		if (rn >= (size_t)(hend - raw) + 4 + clen)
			break;
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	if (err)
		return err;
	if (!hend)
		return ETIMEDOUT;
	if ((size_t)(hend - raw) >= sizeof(r->head))
		return EMSGSIZE;
	memcpy(r->head, raw, (size_t)(hend - raw) + 2);
	r->blen = rn - (size_t)(hend - raw) - 4;
	memcpy(r->body, hend + 4, r->blen);
	if (sscanf(r->head, "HTTP/1.1 %u", &r->status) != 1)
		return EBADMSG;
	return 0;
}

/* The idx-th (0-based) value of header field name, or NULL. */
static const char *hdr(const struct rsp *r, const char *name, int idx,
                       char *out, size_t size)
{
	const char *p = r->head;
	size_t nl = strlen(name);

	while ((p = strstr(p, "\r\n"))) {
		p += 2;
		if (!strncasecmp(p, name, nl) && p[nl] == ':') {
			const char *v = p + nl + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			if (idx--)
				continue;
			snprintf(out, size, "%.*s",
			         (int)(e ? (size_t)(e - v) : strlen(v)), v);
			return out;
		}
	}
	return NULL;
}

/* A parameter of a challenge, unquoted. */
static bool param(const char *ch, const char *name, char *out, size_t size)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "%s=", name);
	for (p = ch; (p = strcasestr(p, key)); p++) {
		const char *v = p + strlen(key), *e;

		if (p != ch && p[-1] != ' ' && p[-1] != ',')
			continue;
		if (*v == '"')
			e = strchr(++v, '"');
		else
			e = v + strcspn(v, ", ");
		if (!e)
			return false;
		snprintf(out, size, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

static void hash_hex(char *out, const EVP_MD *md, const char *s)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), d, &n, md, NULL);
	for (unsigned int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
	out[2 * n] = '\0';
}

/* An Authorization header line answering challenge ch (RFC 7616 3.4.1,
 * qop=auth). */
static int digest(char *out, size_t size, const char *ch, const char *method,
                  const char *uri, const char *user, const char *pw,
                  unsigned nc)
{
	char realm[128], nonce[256], opaque[128], alg[32], in[1024];
	char ha1[129], ha2[129], resp[129];
	const EVP_MD *md;

	if (!param(ch, "realm", realm, sizeof(realm)) ||
	    !param(ch, "nonce", nonce, sizeof(nonce)))
		return EINVAL;
	if (!param(ch, "opaque", opaque, sizeof(opaque)))
		opaque[0] = '\0';
	if (!param(ch, "algorithm", alg, sizeof(alg)))
		strcpy(alg, "MD5");
	md = !strcasecmp(alg, "SHA-256") ? EVP_sha256() : EVP_md5();
	snprintf(in, sizeof(in), "%s:%s:%s", user, realm, pw);
	hash_hex(ha1, md, in);
	snprintf(in, sizeof(in), "%s:%s", method, uri);
	hash_hex(ha2, md, in);
	snprintf(in, sizeof(in), "%s:%s:%08x:0a4f113b:auth:%s", ha1, nonce, nc,
	         ha2);
	hash_hex(resp, md, in);
	snprintf(out, size,
	         "Authorization: Digest username=\"%s\", realm=\"%s\", "
	         "nonce=\"%s\", uri=\"%s\", algorithm=%s, qop=auth, "
	         "nc=%08x, cnonce=\"0a4f113b\", response=\"%s\", "
	         "opaque=\"%s\"\n",
	         user, realm, nonce, uri, alg, nc, resp, opaque);
	return 0;
}

/* GET uri without credentials (401 expected), then with user's: the
 * challenge whose algorithm is alg ("MD5", "SHA-256") is answered. */
static int get_auth_once(struct fix *f, const char *uri, const char *user,
                         const char *pw, const char *alg, struct rsp *r)
{
	char req[4096], ch[512], auth[1024], a[32];
	struct rsp r0;
	int err, i;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\nHost: t\n\n", uri);
	err = xfer(f, req, &r0);
	if (err)
		return err;
	if (r0.status != 401)
		return EPROTO;
	for (i = 0; hdr(&r0, "WWW-Authenticate", i, ch, sizeof(ch)); i++)
		if (param(ch, "algorithm", a, sizeof(a)) && !strcasecmp(a, alg))
			break;
	if (!hdr(&r0, "WWW-Authenticate", i, ch, sizeof(ch)))
		return ENOENT;
	err = digest(auth, sizeof(auth), ch, "GET", uri, user, pw, 1);
	if (err)
		return err;
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\nHost: t\n%s\n", uri, auth);
	return xfer(f, req, r);
}

/* libmicrohttpd keeps one nonce per slot of a hash table, and the MD5
 * nonce of a challenge may share the slot of its SHA-256 sibling (about
 * 1 in 4000; the server lets SHA-256 win). A nonce changes every second:
 * an MD5 401 is retried once in the next second. Tests that expect 401
 * use SHA-256. */
static int get_auth(struct fix *f, const char *uri, const char *user,
                    const char *pw, const char *alg, struct rsp *r)
{
	int err = get_auth_once(f, uri, user, pw, alg, r);

	if (!err && r->status == 401 && !strcmp(alg, "MD5")) {
		struct timespec ts = {1, 100000000};

		nanosleep(&ts, NULL);
		err = get_auth_once(f, uri, user, pw, alg, r);
	}
	return err;
}

TEST_NO_OOM(test_http_auth)
{
	char v[512], a[64], req[2048], auth[1024];
	struct fix f;
	struct rsp r;
	int err;

	err = fix_init(&f, 1024, false);
	TEST_ERR(err);
	TEST_ASSERT(f.port != 0);

	/* no credentials: 401, one challenge per algorithm, SHA-256 first,
	 * realm = the path's domain */
	err = xfer(
	    &f, "GET " PREFIX "alice@Example.COM/x HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_STR_EQ("application/json", hdr(&r, "Content-Type", 0, v, 512));
	TEST_STR_EQ("impd-test/1", hdr(&r, "Server", 0, v, 512));
	TEST_ASSERT(strstr(r.body, "\"status\":401") != NULL);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 0, v, sizeof(v)) != NULL);
	TEST_ASSERT(!strncmp(v, "Digest ", 7));
	TEST_ASSERT(param(v, "realm", a, sizeof(a)));
	TEST_STR_EQ(DOMAIN, a);
	TEST_ASSERT(param(v, "algorithm", a, sizeof(a)));
	TEST_ASSERT(!strcasecmp(a, "SHA-256"));
	TEST_ASSERT(param(v, "qop", a, sizeof(a)));
	TEST_STR_EQ("auth", a);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 1, v, sizeof(v)) != NULL);
	TEST_ASSERT(param(v, "realm", a, sizeof(a)));
	TEST_STR_EQ(DOMAIN, a);
	TEST_ASSERT(param(v, "algorithm", a, sizeof(a)));
	TEST_ASSERT(!strcasecmp(a, "MD5"));
	TEST_ASSERT(!hdr(&r, "WWW-Authenticate", 2, v, sizeof(v)));
	TEST_EQ(0, f.echo_calls);

	/* the right password, MD5 and SHA-256 */
	err = get_auth(&f, PREFIX "alice@example.com/x?q=a%20b", "alice",
	               "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("GET " PREFIX "alice@example.com/x "
	            "rest=alice@example.com/x user=alice@example.com admin=0 "
	            "q=a b body=0:",
	            r.body);
	TEST_STR_EQ("yes", hdr(&r, "X-Test", 0, v, sizeof(v)));
	TEST_STR_EQ("text/plain", hdr(&r, "Content-Type", 0, v, 512));
	TEST_STR_EQ("impd-test/1", hdr(&r, "Server", 0, v, 512));
	err = get_auth(&f, PREFIX "alice@example.com/y", "alice", "wonderland",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, "user=alice@example.com admin=0"));
	TEST_EQ(2, f.echo_calls);

	/* wrong password, unknown user: 401 again */
	err = get_auth(&f, PREFIX "alice@example.com/x", "alice", "wrong",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 0, v, sizeof(v)) != NULL);
	err = get_auth(&f, PREFIX "alice@example.com/x", "mallory", "x",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);

	/* another user's credentials on alice's path: authenticated as bob
	 * (what bob may see is the handler's business); the admin is
	 * flagged (http.admins, domain case-insensitive) */
	err = get_auth(&f, PREFIX "alice@example.com/x", "bob", "builder",
	               "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, "user=bob@example.com admin=0"));
	err = get_auth(&f, PREFIX "sip:alice@example.com/x", "admin", "root",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, "user=admin@example.com admin=1"));
	TEST_EQ(4, f.echo_calls);

	/* a replayed nonce count is refused */
	err =
	    xfer(&f, "GET " PREFIX "bob@example.com HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 0, v, sizeof(v)));
	err = digest(auth, sizeof(auth), v, "GET", PREFIX "bob@example.com",
	             "bob", "builder", 1);
	TEST_ERR(err);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\nHost: t\n%s\n",
	         PREFIX "bob@example.com", auth);
	err = xfer(&f, req, &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	err = xfer(&f, req, &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_EQ(5, f.echo_calls);

	/* unknown domain or user in the path, no user@domain: 404 */
	err = xfer(
	    &f, "GET " PREFIX "alice@nowhere.test/x HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	err = xfer(
	    &f, "GET " PREFIX "carol@example.com/x HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	err = xfer(&f, "GET " PREFIX " HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	TEST_STR_EQ("{\"error\":\"No user@domain in the path\",\"status\":404}",
	            r.body);
	err = xfer(&f, "GET " PREFIX "example.com/x HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);

	/* unknown route: 404 JSON; a route for another method: 405 */
	err = xfer(&f, "GET /nothing/here HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	TEST_STR_EQ("application/json", hdr(&r, "Content-Type", 0, v, 512));
	TEST_STR_EQ("impd-test/1", hdr(&r, "Server", 0, v, 512));
	TEST_STR_EQ("{\"error\":\"Not found\",\"status\":404}", r.body);
	err = xfer(
	    &f, "DELETE " PREFIX "alice@example.com HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(405, r.status);
	TEST_EQ(5, f.echo_calls);
out:
	fix_close(&f);
	return err;
}

TEST_NO_OOM(test_http_body_async)
{
	char req[4096], big[2048];
	struct fix f;
	struct rsp r;
	int err;

	err = fix_init(&f, 1024, false);
	TEST_ERR(err);

	/* a body within max_body reaches the handler (any method) */
	err = xfer(&f,
	           "POST /echo/x HTTP/1.1\nHost: t\nContent-Length: 5\n\n"
	           "hello",
	           &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("POST /echo/x rest=x user=- admin=0 q=- body=5:hello",
	            r.body);

	/* chunked, within the limit */
	err = xfer(&f,
	           "PUT /echo/ HTTP/1.1\nHost: t\nTransfer-Encoding: chunked\n"
	           "\n3\nabc\n2\nde\n0\n\n",
	           &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("PUT /echo/ rest= user=- admin=0 q=- body=5:abcde", r.body);

	/* over max_body: 413, declared or sent chunked */
	memset(big, 'x', sizeof(big));
	snprintf(req, sizeof(req),
	         "POST /echo/x HTTP/1.1\nHost: t\nContent-Length: 2048\n\n"
	         "%.2048s",
	         big);
	err = xfer(&f, req, &r);
	TEST_ERR(err);
	TEST_EQ(413, r.status);
	snprintf(req, sizeof(req),
	         "POST /echo/x HTTP/1.1\nHost: t\nTransfer-Encoding: chunked\n"
	         "\n600\n%.1536s\n0\n\n",
	         big);
	err = xfer(&f, req, &r);
	TEST_ERR(err);
	TEST_EQ(413, r.status);
	TEST_EQ(2, f.echo_calls);

	/* a handler that replies later (the connection waits suspended) */
	err = xfer(&f, "GET /later/1 HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(202, r.status);
	TEST_STR_EQ("later", r.body);
	TEST_EQ(1, f.later.calls);
	TEST_ASSERT(f.later.rq == NULL);

	/* the server goes away while a handler still holds a request: the
	 * late reply is refused, nothing leaks */
	{
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		struct sockaddr_in sin;
		const char *g = "GET /later/2 HTTP/1.1\r\nHost: t\r\n\r\n";
		uint64_t end = now_ms() + 2000;

		TEST_ASSERT(fd >= 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(f.port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
		    send(fd, g, strlen(g), MSG_NOSIGNAL) < 0) {
			close(fd);
			TEST_ASSERT(false);
		}
		while (f.later.calls < 2 && now_ms() < end)
			(void)loop_run_once(f.loop, 5);
		close(fd);
		TEST_EQ(2, f.later.calls);
		TEST_ASSERT(f.later.rq != NULL);
		tmr_cancel(&f.later.tmr);
		f.h = mem_deref(f.h);
		TEST_EQ(ENOTCONN,
		        http_reply(f.later.rq, 200, NULL, NULL, 0, NULL));
		f.later.rq = NULL;
	}
out:
	fix_close(&f);
	return err;
}

/* ---- realm routes (XCAP's users and global trees) ---- */

#define XUI_ALICE "/xcap/pres-rules/users/sip:alice@example.com/index"

TEST_NO_OOM(test_http_route_realm)
{
	char v[512], a[64];
	struct fix f;
	struct rsp r;
	int err;

	err = fix_init(&f, 1024, false);
	TEST_ERR(err);

	/* the user@domain is segment 2 of the rest: its domain is the
	 * realm */
	err = xfer(&f, "GET " XUI_ALICE " HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 0, v, sizeof(v)) != NULL);
	TEST_ASSERT(param(v, "realm", a, sizeof(a)));
	TEST_STR_EQ(DOMAIN, a);
	err = get_auth(&f, XUI_ALICE, "alice", "wonderland", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("rest=pres-rules/users/sip:alice@example.com/index "
	            "user=alice@example.com admin=0 query=(null) tls=0 "
	            "base=http://t",
	            r.body);
	err = get_auth(&f, XUI_ALICE, "alice", "wrong", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	err = get_auth(&f, XUI_ALICE, "admin", "root", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " user=admin@example.com admin=1 "));
	TEST_EQ(2, f.info_calls);

	/* a path user that does not exist: challenged like any other, 404
	 * once authenticated (the handler is not called) */
	err = xfer(&f,
	           "GET /xcap/pres-rules/users/sip:carol@example.com/index "
	           "HTTP/1.1\nHost: t\n\n",
	           &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	err = get_auth(&f, "/xcap/pres-rules/users/sip:carol@example.com/index",
	               "admin", "root", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	TEST_STR_EQ("{\"error\":\"No such user\",\"status\":404}", r.body);
	err = get_auth(&f, "/xcap/pres-rules/users/sip:carol@example.com/index",
	               "carol", "x", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_EQ(2, f.info_calls);

	/* another domain in the path: its own realm, lower case */
	err = xfer(&f,
	           "GET /xcap/pres-rules/users/sip:x@Other.TEST/index "
	           "HTTP/1.1\nHost: t\n\n",
	           &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 0, v, sizeof(v)) != NULL);
	TEST_ASSERT(param(v, "realm", a, sizeof(a)));
	TEST_STR_EQ("other.test", a);

	/* the global tree, and a users tree without an XUI: the default
	 * realm, where any user of the domain authenticates */
	err = xfer(&f, "GET /xcap/xcap-caps/global/index HTTP/1.1\nHost: t\n\n",
	           &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	TEST_ASSERT(hdr(&r, "WWW-Authenticate", 1, v, sizeof(v)) != NULL);
	TEST_ASSERT(param(v, "realm", a, sizeof(a)));
	TEST_STR_EQ(DOMAIN, a);
	err = get_auth(&f, "/xcap/xcap-caps/global/index", "bob", "builder",
	               "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(!strncmp(r.body,
	                     "rest=xcap-caps/global/index "
	                     "user=bob@example.com admin=0 ",
	                     57));
	err = get_auth(&f, "/xcap/xcap-caps/global/index", "bob", "wrong",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	err = get_auth(&f, "/xcap/xcap-caps/global/index", "mallory", "x",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	err = get_auth(&f, "/xcap/pres-rules/users/", "admin", "root",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " user=admin@example.com admin=1 "));
	err = get_auth(&f, "/xcap/pres-rules", "alice", "wonderland", "SHA-256",
	               &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " user=alice@example.com admin=0 "));
	TEST_EQ(5, f.info_calls);

	/* without a default realm: 404 when the segment is not there */
	err = get_auth(&f, "/r1/x/bob@example.com/y", "bob", "builder",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " user=bob@example.com admin=0 "));
	err = xfer(&f, "GET /r1/bob@example.com HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	TEST_STR_EQ("{\"error\":\"No user@domain in the path\",\"status\":404}",
	            r.body);
	TEST_EQ(6, f.info_calls);
out:
	fix_close(&f);
	return err;
}

TEST_NO_OOM(test_http_query_base)
{
	static const struct {
		const char *target, *body;
	} t[] = {
	    {"/info/a?xmlns(a=urn:x)xmlns(b=urn:y)",
	     "rest=a user=- admin=0 query=xmlns(a=urn:x)xmlns(b=urn:y) tls=0 "
	     "base=http://xcap.example.com:8080"},
	    {"/info/?a=1&b&c=&d=x=y",
	     "rest= user=- admin=0 query=a=1&b&c=&d=x=y tls=0 "
	     "base=http://xcap.example.com:8080"},
	    {"/info/?n=a%20b%3Dc", "rest= user=- admin=0 query=n=a b=c tls=0 "
	                           "base=http://xcap.example.com:8080"},
	    /* libmicrohttpd reads '+' as a space (HTML forms) */
	    {"/info/?x+y=1+2", "rest= user=- admin=0 query=x y=1 2 tls=0 "
	                       "base=http://xcap.example.com:8080"},
	    {"/info/%7Ex", "rest=~x user=- admin=0 query=(null) tls=0 "
	                   "base=http://xcap.example.com:8080"},
	};
	char req[512], want[256];
	struct fix f;
	struct rsp r;
	int err;

	err = fix_init(&f, 1024, false);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(req, sizeof(req),
		         "GET %s HTTP/1.1\nHost: xcap.example.com:8080\n\n",
		         t[i].target);
		err = xfer(&f, req, &r);
		TEST_ERR(err);
		TEST_EQ(200, r.status);
		TEST_STR_EQ(t[i].body, r.body);
	}

	/* a query on an authenticated realm route */
	err = get_auth(&f,
	               "/xcap/resource-lists/users/sip:alice@example.com/index"
	               "/~~/resource-lists/list%5b@name=%22l%22%5d"
	               "?xmlns(x=urn:ietf:params:xml:ns:resource-lists)",
	               "alice", "wonderland", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("rest=resource-lists/users/sip:alice@example.com/index/~~/"
	            "resource-lists/list[@name=\"l\"] user=alice@example.com "
	            "admin=0 "
	            "query=xmlns(x=urn:ietf:params:xml:ns:resource-lists) "
	            "tls=0 base=http://t",
	            r.body);

	/* no Host (HTTP/1.0), or one we would not copy into a URI: the
	 * connection's local address */
	snprintf(want, sizeof(want),
	         "rest= user=- admin=0 query=(null) tls=0 "
	         "base=http://127.0.0.1:%u",
	         f.port);
	err = xfer(&f, "GET /info/ HTTP/1.0\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ(want, r.body);
	err = xfer(&f, "GET /info/ HTTP/1.1\nHost: a\"b<c>\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ(want, r.body);
	err = xfer(&f, "GET /info/ HTTP/1.1\nHost: [::1]:80\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " base=http://[::1]:80"));
out:
	fix_close(&f);
	return err;
}

/* ---- HTTPS ---- */

TEST_NO_OOM(test_http_tls)
{
	char want[256];
	struct fix f;
	struct rsp r;
	int err;

	err = fix_init(&f, 1024, true);
	TEST_ERR(err);
	TEST_ASSERT(f.port != 0);
	TEST_ASSERT(f.tls_port != 0);
	TEST_ASSERT(f.tls_port != f.port);

	/* the same routes over both listeners */
	f.via_tls = true;
	err = xfer(&f,
	           "GET /info/a?xmlns(a=urn:x)xmlns(b=urn:y) HTTP/1.1\n"
	           "Host: xcap.example.com\n\n",
	           &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("rest=a user=- admin=0 query=xmlns(a=urn:x)xmlns(b=urn:y) "
	            "tls=1 base=https://xcap.example.com",
	            r.body);
	snprintf(want, sizeof(want),
	         "rest= user=- admin=0 query=(null) tls=1 "
	         "base=https://127.0.0.1:%u",
	         f.tls_port);
	err = xfer(&f, "GET /info/ HTTP/1.0\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ(want, r.body);
	err = get_auth(&f, XUI_ALICE, "alice", "wonderland", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, " user=alice@example.com admin=0 "));
	TEST_ASSERT(strstr(r.body, " tls=1 base=https://t"));
	err = get_auth(&f, XUI_ALICE, "alice", "wrong", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
	err = xfer(&f, "GET /later/1 HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(202, r.status);
	TEST_STR_EQ("later", r.body);

	f.via_tls = false;
	err = xfer(&f, "GET /info/ HTTP/1.1\nHost: t\n\n", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("rest= user=- admin=0 query=(null) tls=0 base=http://t",
	            r.body);
	TEST_EQ(4, f.info_calls);
out:
	fix_close(&f);
	return err;
}

TEST_NO_OOM(test_http_tls_conf)
{
	char cert[512], key[512], nofile[512];
	struct http_conf cf = {
	    .listen = "",
	    .admins = "",
	    .max_body = 64,
	    .tls_listen = "127.0.0.1:0",
	    .tls_cert = cert,
	    .tls_key = key,
	};
	struct loop *loop = NULL;
	struct store *st = NULL;
	struct http *h = NULL;
	int err;

	snprintf(cert, sizeof(cert), "%s/tls/server.pem", test_datadir());
	snprintf(key, sizeof(key), "%s/tls/server.key", test_datadir());
	snprintf(nofile, sizeof(nofile), "%s/tls/no-such.pem", test_datadir());
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = store_open(&st, "mem:", loop);
	TEST_ERR(err);

	/* HTTPS only */
	err = http_alloc(&h, &cf, loop, st);
	TEST_ERR(err);
	TEST_EQ(0, http_port(h));
	TEST_ASSERT(http_tls_port(h) != 0);
	h = mem_deref(h);

	/* no listener, a bad address, no certificate or key, unreadable
	 * files, a key that is not one */
	cf.tls_listen = NULL;
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));
	cf.tls_listen = "127.0.0.1";
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));
	cf.tls_listen = "127.0.0.1:0";
	cf.tls_cert = "";
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));
	cf.tls_cert = cert;
	cf.tls_key = NULL;
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));
	cf.tls_key = nofile;
	TEST_ERR_EQ(ENOENT, http_alloc(&h, &cf, loop, st));
	cf.tls_key = key;
	cf.tls_cert = nofile;
	TEST_ERR_EQ(ENOENT, http_alloc(&h, &cf, loop, st));
	cf.tls_cert = cert;
	cf.tls_key = cert; /* a certificate, not a key */
	err = http_alloc(&h, &cf, loop, st);
	TEST_ASSERT(err != 0);
	err = 0;

	/* a bad plain address with a good HTTPS one */
	cf.tls_key = key;
	cf.listen = "127.0.0.1:";
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));
out:
	mem_deref(h);
	mem_deref(st);
	mem_deref(loop);
	return err;
}

/* Both listeners and a realm route, allocation failures included. */
TEST(test_http_alloc)
{
	char cert[512], key[512];
	struct http_conf cf = {
	    .listen = "127.0.0.1:0",
	    .admins = "admin@example.com",
	    .max_body = 1024,
	    .tls_listen = "127.0.0.1:0",
	    .tls_cert = cert,
	    .tls_key = key,
	};
	struct loop *loop = NULL;
	struct store *st = NULL;
	struct http *h = NULL;
	int err;

	snprintf(cert, sizeof(cert), "%s/tls/server.pem", test_datadir());
	snprintf(key, sizeof(key), "%s/tls/server.key", test_datadir());
	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = store_open(&st, "mem:", loop);
	TEST_ERR(err);
	err = http_alloc(&h, &cf, loop, st);
	TEST_ERR(err);
	TEST_ASSERT(http_port(h) != 0);
	TEST_ASSERT(http_tls_port(h) != 0);
	err = http_route_realm(h, "GET", "/xcap/", 2, "example.com", info_h,
	                       NULL);
	TEST_ERR(err);
	err = http_route_realm(h, NULL, "/r/", 0, NULL, info_h, NULL);
	TEST_ERR(err);
	err = http_route(h, "GET", "/api/", true, info_h, NULL);
	TEST_ERR(err);
	TEST_ERR_EQ(EINVAL,
	            http_route_realm(h, "GET", "", 0, NULL, info_h, NULL));
	TEST_ERR_EQ(EINVAL,
	            http_route_realm(h, "GET", "/x/", 0, "", info_h, NULL));
out:
	mem_deref(h);
	mem_deref(st);
	mem_deref(loop);
	return err;
}

/* ---- the history API (im_http.c) over the wire ---- */

static int arch_add(struct store *st, const char *owner, bool out,
                    const char *peer, uint64_t t, const char *body, size_t len)
{
	struct store_arch a = {
	    .owner = owner,
	    .outgoing = out,
	    .peer = peer,
	    .sender = out ? "sip:alice@example.com" : peer,
	    .recipients = out ? peer : "sip:alice@example.com",
	    .time_ms = t,
	    .ctype = "text/plain",
	    .body = body,
	    .len = len,
	    .outcome = "delivered",
	};
	uint64_t id;

	return store_arch_put_sync(st, &a, &id);
}

TEST_NO_OOM(test_http_history)
{
	struct store_msg m = {
	    .owner = "alice@example.com",
	    .sender = "sip:bob@example.com",
	    .sender_name = "",
	    .recipient = "sip:alice@example.com",
	    .received_ms = 1795341662345ULL,
	    .expires = 4000000000ULL,
	    .ctype = "text/plain",
	    .body = "hi",
	    .len = 2,
	    .imdn_id = "",
	};
	struct http_conf cf = {
	    .listen = "127.0.0.1:0",
	    .admins = "admin@example.com",
	    .max_body = 1024,
	};
	char v[128];
	struct fix f;
	struct rsp r;
	uint64_t id;
	int err;

	memset(&f, 0, sizeof(f));
	err = loop_alloc(&f.loop);
	TEST_ERR(err);
	err = store_open(&f.st, "mem:", f.loop);
	TEST_ERR(err);
	err = store_domain_add(f.st, DOMAIN);
	TEST_ERR(err);
	err = user_add(f.st, "alice", "wonderland");
	TEST_ERR(err);
	err = user_add(f.st, "bob", "builder");
	TEST_ERR(err);
	err = user_add(f.st, "admin", "root");
	TEST_ERR(err);
	err = http_alloc(&f.h, &cf, f.loop, f.st);
	TEST_ERR(err);
	f.port = http_port(f.h);
	err = im_http_attach(f.h, f.st);
	TEST_ERR(err);

	err = arch_add(f.st, "alice@example.com", true, "sip:bob@example.com",
	               1795341662345ULL, "hello", 5);
	TEST_ERR(err);
	err =
	    arch_add(f.st, "alice@example.com", false, "sip:carol@example.com",
	             1795341663000ULL, "\xff\xfe", 2);
	TEST_ERR(err);
	err = arch_add(f.st, "bob@example.com", false, "sip:alice@example.com",
	               1795341662345ULL, "hello", 5);
	TEST_ERR(err);
	err = store_msg_put_sync(f.st, &m, 0, 0, &id);
	TEST_ERR(err);

	/* alice reads her own history */
	err = get_auth(&f, PREFIX "alice@example.com/history", "alice",
	               "wonderland", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("application/json", hdr(&r, "Content-Type", 0, v, 128));
	TEST_STR_EQ(
	    "{\"user\":\"alice@example.com\",\"messages\":["
	    "{\"id\":1,\"time\":\"2026-11-22T10:01:02.345Z\","
	    "\"direction\":\"out\",\"peer\":\"sip:bob@example.com\","
	    "\"from\":\"sip:alice@example.com\","
	    "\"to\":[\"sip:bob@example.com\"],\"content_type\":\"text/plain\","
	    "\"body\":\"hello\",\"outcome\":\"delivered\"},"
	    "{\"id\":2,\"time\":\"2026-11-22T10:01:03.000Z\","
	    "\"direction\":\"in\",\"peer\":\"sip:carol@example.com\","
	    "\"from\":\"sip:carol@example.com\","
	    "\"to\":[\"sip:alice@example.com\"],"
	    "\"content_type\":\"text/plain\",\"body_base64\":\"//4=\","
	    "\"outcome\":\"delivered\"}]}",
	    r.body);

	/* filters, paging and JSON lines */
	err = get_auth(&f,
	               PREFIX "alice@example.com/history?with=carol@example.com"
	                      "&format=jsonl",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_STR_EQ("application/x-ndjson", hdr(&r, "Content-Type", 0, v, 128));
	TEST_ASSERT(!strncmp(r.body, "{\"id\":2,", 8));
	TEST_ASSERT(r.blen && r.body[r.blen - 1] == '\n');
	TEST_ASSERT(!strchr(r.body, '\n') ||
	            strchr(r.body, '\n') == r.body + r.blen - 1);
	err = get_auth(&f,
	               PREFIX "alice@example.com/history?limit=1&format=jsonl",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(!strncmp(r.body, "{\"id\":1,", 8));
	TEST_ASSERT(strchr(r.body, '\n') == r.body + r.blen - 1);
	err = get_auth(&f,
	               PREFIX "alice@example.com/history?after=1&format=jsonl",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_ASSERT(!strncmp(r.body, "{\"id\":2,", 8));
	err = get_auth(&f,
	               PREFIX "alice@example.com/history?since="
	                      "2026-11-22T10:01:03Z",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, "\"id\":2,") &&
	            !strstr(r.body, "\"id\":1,"));
	err =
	    get_auth(&f, PREFIX "alice@example.com/history?since=1795341663001",
	             "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_STR_EQ("{\"user\":\"alice@example.com\",\"messages\":[]}", r.body);

	/* bad arguments: 400 naming the argument */
	err = get_auth(&f, PREFIX "alice@example.com/history?limit=0", "alice",
	               "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(400, r.status);
	TEST_ASSERT(strstr(r.body, "limit"));
	err = get_auth(&f, PREFIX "alice@example.com/history?since=monday",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(400, r.status);
	TEST_ASSERT(strstr(r.body, "since"));
	err = get_auth(&f, PREFIX "alice@example.com/history?format=xml",
	               "alice", "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(400, r.status);

	/* deferred messages */
	err = get_auth(&f, PREFIX "alice@example.com/deferred", "alice",
	               "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	snprintf(v, sizeof(v), "{\"id\":%llu,", (unsigned long long)id);
	TEST_ASSERT(strstr(r.body, v) != NULL);
	TEST_ASSERT(strstr(r.body, "\"from\":\"sip:bob@example.com\","
	                           "\"time\":\"2026-11-22T10:01:02.345Z\","
	                           "\"content_type\":\"text/plain\","
	                           "\"size\":2}]}"));
	TEST_ASSERT(!strncmp(r.body, "{\"user\":\"alice@example.com\",", 28));

	/* bob may not read alice's; the admin may; unknown resource */
	err = get_auth(&f, PREFIX "alice@example.com/history", "bob", "builder",
	               "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(403, r.status);
	TEST_ASSERT(strstr(r.body, "\"status\":403"));
	err = get_auth(&f, PREFIX "alice@example.com/deferred", "bob",
	               "builder", "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(403, r.status);
	err = get_auth(&f, PREFIX "alice@example.com/history", "admin", "root",
	               "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(200, r.status);
	TEST_ASSERT(strstr(r.body, "\"body\":\"hello\""));
	err = get_auth(&f, PREFIX "alice@example.com/photos", "alice",
	               "wonderland", "MD5", &r);
	TEST_ERR(err);
	TEST_EQ(404, r.status);
	err = get_auth(&f, PREFIX "bob@example.com/history", "bob", "wrong",
	               "SHA-256", &r);
	TEST_ERR(err);
	TEST_EQ(401, r.status);
out:
	fix_close(&f);
	return err;
}

TEST_NO_OOM(test_http_listen)
{
	static const char *const bad[] = {
	    "",        "127.0.0.1",      "127.0.0.1:",   "[::1]",
	    "[::1:80", "example.com:80", "1.2.3.4:99999"};
	struct http_conf cf = {.listen = NULL, .admins = "", .max_body = 64};
	struct loop *loop = NULL;
	struct store *st = NULL;
	struct http *h = NULL;
	int err;

	err = loop_alloc(&loop);
	TEST_ERR(err);
	err = store_open(&st, "mem:", loop);
	TEST_ERR(err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cf.listen = bad[i];
		if (http_alloc(&h, &cf, loop, st) != EINVAL) {
			test_fail(__FILE__, __LINE__, "'%s' accepted", bad[i]);
			h = mem_deref(h);
			err = EINVAL;
		}
	}
	TEST_ERR(err);
	cf.listen = NULL;
	TEST_ERR_EQ(EINVAL, http_alloc(&h, &cf, loop, st));

	/* IPv6, when the host has it */
	cf.listen = "[::1]:0";
	err = http_alloc(&h, &cf, loop, st);
	if (!err) {
		TEST_ASSERT(http_port(h) != 0);
		h = mem_deref(h);
	}
	err = 0;
out:
	mem_deref(h);
	mem_deref(st);
	mem_deref(loop);
	return err;
}
