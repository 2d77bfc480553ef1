/* proxy/auth.c - digest auth (RFC 3261 22, RFC 2617, RFC 7616, RFC 8760) */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "proxy.auth"

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/log.h"
#include "../base/mem.h"
#include "../base/tmr.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "../store/store.h"
#include "auth.h"
#include "reg_int.h"

/*
 * Nonces are stateless: hex(time) hex(random) then the first 128 bits of
 * HMAC-SHA256(secret, "<those 32 hex digits>:<realm>"), 64 characters in
 * all. Checking one needs no table; it is stale nonce_ttl_s seconds after
 * its time. Replays are caught with the nonce count: a bounded table keeps
 * the highest nc seen per nonce (oldest use evicted first). A nonce whose
 * entry was evicted cannot be checked any more, so every nonce issued no
 * later than the newest evicted one is treated as stale from then on: the
 * client gets a fresh nonce and no replay gets through.
 */

enum {
	NONCE_LEN = 64,
	NC_MAX = 16384,    /* nonce-count table entries */
	CACHE_MAX = 65536, /* credential cache entries */
	NC_BUCKETS = 4096,
	CACHE_BUCKETS = 4096,
	CLOCK_SKEW_S = 60, /* a nonce from the future is forged */
};

enum alg {
	ALG_MD5,
	ALG_SHA256,
};

struct auth {
	struct store *st;
	struct tmrl *tl;
	struct auth_conf cf;
	char *secret; /* HMAC key (cf.secret points here) */
	size_t secret_len;
	struct hash *cache;    /* struct cent */
	struct list cache_age; /* oldest first */
	struct hash *ncs;      /* struct ncent */
	struct list nc_age;    /* least recently used first */
	uint64_t nc_floor;     /* nonces issued up to this time are stale */
};

/* One cached store lookup (positive or negative). */
struct cent {
	struct le he;
	struct le le;
	uint64_t expires_ms;
	bool found;
	bool enabled;
	char ha1_md5[33];
	char ha1_sha256[65];
	char *user;  /* points into key */
	char *realm; /* points into key */
	char key[];
};

struct ncent {
	struct le he;
	struct le le;
	uint64_t ts;
	uint32_t nc;
	char nonce[NONCE_LEN + 1];
};

/* A verification in progress. */
struct pend {
	struct auth *a;      /* reference */
	struct sip_stsx *st; /* reference; holds the request */
	auth_h *h;
	void *arg; /* reference */
	bool proxy;
	enum alg alg;
	bool stale;
	uint32_t nc;
	uint64_t nonce_ts;
	struct sip_auth cr; /* slices into the request */
	char *user;
	char *realm;
	struct log_ctx lctx;
};

/* --- pure helpers --- */

static void digest_hex(char *out, enum alg alg, const void *p, size_t n)
{
	if (alg == ALG_SHA256)
		sha256_hex(out, p, n);
	else
		md5_hex(out, p, n);
}

static size_t digest_len(enum alg alg)
{
	return alg == ALG_SHA256 ? 64 : 32;
}

static int alg_decode(const struct pl *pl, enum alg *alg)
{
	if (!pl_isset(pl) || !pl_strcasecmp(pl, "MD5"))
		*alg = ALG_MD5;
	else if (!pl_strcasecmp(pl, "SHA-256"))
		*alg = ALG_SHA256;
	else
		return ENOTSUP;
	return 0;
}

int auth_ha1(char *out, size_t size, const char *alg, const char *user,
             const char *realm, const char *password)
{
	struct buf *b = NULL;
	enum alg a;
	struct pl apl;
	int err;

	if (!out || !alg || !user || !realm || !password)
		return EINVAL;
	pl_set_str(&apl, alg);
	if (alg_decode(&apl, &a))
		return EINVAL;
	if (size < digest_len(a) + 1)
		return ERANGE;
	err = buf_alloc(&b, 128);
	if (err)
		return err;
	err = buf_printf(b, "%s:%s:%s", user, realm, password);
	if (!err) {
		char tmp[65];

		digest_hex(tmp, a, b->b, b->end);
		memcpy(out, tmp, digest_len(a) + 1);
	}
	mem_deref(b);
	return err;
}

/* response = H(HA1:nonce:nc:cnonce:qop:H(method:uri)) (RFC 7616 3.4.1) */
static int digest_response(char *out, enum alg alg, const char *ha1,
                           const struct pl *nonce, const struct pl *nc,
                           const struct pl *cnonce, const struct pl *qop,
                           const struct pl *met, const struct pl *uri)
{
	char ha2[65];
	struct buf *b = NULL;
	int err;

	err = buf_alloc(&b, 256);
	if (err)
		return err;
	err = buf_printf(b, "%.*s:%.*s", PL_PRINT(met), PL_PRINT(uri));
	if (err)
		goto out;
	digest_hex(ha2, alg, b->b, b->end);
	buf_reset(b);
	err = buf_printf(b, "%s:%.*s:%.*s:%.*s:%.*s:%s", ha1, PL_PRINT(nonce),
	                 PL_PRINT(nc), PL_PRINT(cnonce), PL_PRINT(qop), ha2);
	if (err)
		goto out;
	digest_hex(out, alg, b->b, b->end);
out:
	mem_deref(b);
	return err;
}

int auth_response(char *out, size_t size, const char *alg, const char *ha1,
                  const struct pl *nonce, const struct pl *nc,
                  const struct pl *cnonce, const struct pl *qop,
                  const struct pl *met, const struct pl *uri)
{
	char tmp[65];
	struct pl apl;
	enum alg a;
	int err;

	if (!out || !alg || !ha1 || !nonce || !nc || !cnonce || !qop || !met ||
	    !uri)
		return EINVAL;
	pl_set_str(&apl, alg);
	if (alg_decode(&apl, &a))
		return EINVAL;
	if (size < digest_len(a) + 1)
		return ERANGE;
	err = digest_response(tmp, a, ha1, nonce, nc, cnonce, qop, met, uri);
	if (!err)
		memcpy(out, tmp, digest_len(a) + 1);
	return err;
}

static int lowc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

/* Constant time for equal lengths; hex case ignored. */
static bool hex_equal(const struct pl *got, const char *want)
{
	size_t n = strlen(want);
	unsigned diff = 0;

	if (got->l != n)
		return false;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned)(lowc((unsigned char)got->p[i]) ^
		                   lowc((unsigned char)want[i]));
	return diff == 0;
}

/* --- nonces --- */

static void nonce_mac(const struct auth *a, char out[33], const char *head,
                      size_t hlen, const char *realm)
{
	char in[NONCE_LEN + 300], mac[65];
	int n;

	n = snprintf(in, sizeof(in), "%.*s:%s", (int)hlen, head, realm);
	if (n < 0 || (size_t)n >= sizeof(in))
		n = (int)sizeof(in) - 1; /* realm too long: cut, still keyed */
	hmac_sha256_hex(mac, a->secret, a->secret_len, in, (size_t)n);
	memcpy(out, mac, 32);
	out[32] = '\0';
}

static void nonce_make(struct auth *a, char out[NONCE_LEN + 1],
                       const char *realm)
{
	uint64_t rnd = 0;
	char mac[33];

	if (rand_bytes(&rnd, sizeof(rnd)))
		rnd = ((uint64_t)rand_u32() << 32) | rand_u32();
	snprintf(out, NONCE_LEN + 1, "%016" PRIx64 "%016" PRIx64,
	         tmrl_wallclock(a->tl), rnd);
	nonce_mac(a, mac, out, 32, realm);
	memcpy(out + 32, mac, 33);
}

/* 0 with the issue time, or EBADMSG when the nonce is not ours. */
static int nonce_check(const struct auth *a, const struct pl *nonce,
                       const char *realm, uint64_t *ts)
{
	char mac[33];
	struct pl tpl;
	unsigned diff = 0;

	if (nonce->l != NONCE_LEN)
		return EBADMSG;
	nonce_mac(a, mac, nonce->p, 32, realm);
	for (size_t i = 0; i < 32; i++)
		diff |= (unsigned)(nonce->p[32 + i] ^ mac[i]);
	if (diff)
		return EBADMSG;
	pl_set_mem(&tpl, nonce->p, 16);
	if (pl_x64(&tpl, ts))
		return EBADMSG;
	if (*ts > tmrl_wallclock(a->tl) + CLOCK_SKEW_S)
		return EBADMSG;
	return 0;
}

/* --- nonce-count table --- */

static void ncent_destroy(void *data)
{
	struct ncent *e = data;

	hash_unlink(&e->he);
	list_unlink(&e->le);
}

static bool ncent_cmp(struct le *le, void *arg)
{
	const struct ncent *e = le->data;
	const struct pl *nonce = arg;

	return !pl_strcmp(nonce, e->nonce);
}

/* Record nc for nonce. 0: fresh; EALREADY: replayed (nc not above the
 * highest seen) or unverifiable (entry evicted). ENOMEM. */
static int nc_use(struct auth *a, const struct pl *nonce, uint64_t ts,
                  uint32_t nc)
{
	struct ncent *e;
	struct le *le;
	uint32_t key = pl_hash(nonce);

	le = hash_lookup(a->ncs, key, ncent_cmp, (void *)nonce);
	if (le) {
		e = le->data;
		if (nc <= e->nc)
			return EALREADY;
		e->nc = nc;
		list_unlink(&e->le);
		list_append(&a->nc_age, &e->le, e);
		return 0;
	}
	if (ts <= a->nc_floor)
		return EALREADY;

	e = mem_zalloc(sizeof(*e), ncent_destroy);
	if (!e)
		return ENOMEM;
	if (list_count(&a->nc_age) >= NC_MAX) {
		struct ncent *old = list_ledata(list_head(&a->nc_age));

		if (old->ts > a->nc_floor)
			a->nc_floor = old->ts;
		mem_deref(old);
	}
	pl_strcpy(nonce, e->nonce, sizeof(e->nonce));
	e->ts = ts;
	e->nc = nc;
	hash_append(a->ncs, key, &e->he, e);
	list_append(&a->nc_age, &e->le, e);
	return 0;
}

/* --- credential cache --- */

static void cent_destroy(void *data)
{
	struct cent *e = data;

	hash_unlink(&e->he);
	list_unlink(&e->le);
}

struct ckey {
	const char *user;
	const char *realm;
};

static bool cent_cmp(struct le *le, void *arg)
{
	const struct cent *e = le->data;
	const struct ckey *k = arg;

	return !strcmp(e->user, k->user) && !strcmp(e->realm, k->realm);
}

static uint32_t ckey_hash(const char *user, const char *realm)
{
	return str_hash_ci(user) * 31 + str_hash_ci(realm);
}

static struct cent *cache_find(struct auth *a, const char *user,
                               const char *realm)
{
	struct ckey k = {user, realm};
	struct cent *e;
	struct le *le;

	le = hash_lookup(a->cache, ckey_hash(user, realm), cent_cmp, &k);
	if (!le)
		return NULL;
	e = le->data;
	if (e->expires_ms <= tmrl_now(a->tl)) {
		mem_deref(e);
		return NULL;
	}
	return e;
}

/* Best effort: a cache that cannot grow is no error. */
static void cache_put(struct auth *a, const char *user, const char *realm,
                      const struct store_user *u)
{
	size_t ul = strlen(user) + 1, rl = strlen(realm) + 1;
	struct cent *e;

	if (!a->cf.cache_ttl_s)
		return;
	e = cache_find(a, user, realm);
	if (e)
		mem_deref(e);
	while (list_count(&a->cache_age) >= CACHE_MAX)
		mem_deref(list_ledata(list_head(&a->cache_age)));

	e = mem_zalloc(sizeof(*e) + ul + rl, cent_destroy);
	if (!e)
		return;
	e->user = e->key;
	e->realm = e->key + ul;
	memcpy(e->user, user, ul);
	memcpy(e->realm, realm, rl);
	e->expires_ms = tmrl_now(a->tl) + (uint64_t)a->cf.cache_ttl_s * 1000;
	if (u) {
		e->found = true;
		e->enabled = u->enabled;
		memcpy(e->ha1_md5, u->ha1_md5, sizeof(e->ha1_md5));
		e->ha1_md5[sizeof(e->ha1_md5) - 1] = '\0';
		memcpy(e->ha1_sha256, u->ha1_sha256, sizeof(e->ha1_sha256));
		e->ha1_sha256[sizeof(e->ha1_sha256) - 1] = '\0';
	}
	hash_append(a->cache, ckey_hash(user, realm), &e->he, e);
	list_append(&a->cache_age, &e->le, e);
}

void auth_cache_flush(struct auth *a)
{
	if (!a)
		return;
	list_flush(&a->cache_age);
}

/* --- object --- */

static void auth_destroy(void *data)
{
	struct auth *a = data;

	list_flush(&a->cache_age);
	list_flush(&a->nc_age);
	a->cache = mem_deref(a->cache);
	a->ncs = mem_deref(a->ncs);
	a->secret = mem_deref(a->secret);
	a->st = mem_deref(a->st);
	a->tl = mem_deref(a->tl);
}

int auth_alloc(struct auth **ap, struct store *st, struct tmrl *tl,
               const struct auth_conf *cf)
{
	struct auth *a;
	int err;

	if (!ap || !st || !tl || !cf)
		return EINVAL;
	if (!cf->md5 && !cf->sha256)
		return EINVAL;
	a = mem_zalloc(sizeof(*a), auth_destroy);
	if (!a)
		return ENOMEM;
	list_init(&a->cache_age);
	list_init(&a->nc_age);
	a->st = mem_ref(st);
	a->tl = mem_ref(tl);
	a->cf = *cf;
	if (!a->cf.nonce_ttl_s)
		a->cf.nonce_ttl_s = 300;

	if (cf->secret && cf->secret[0]) {
		err = mem_strdup(&a->secret, cf->secret);
		if (err)
			goto out;
		a->secret_len = strlen(a->secret);
	} else {
		a->secret = mem_alloc(32, NULL);
		if (!a->secret) {
			err = ENOMEM;
			goto out;
		}
		err = rand_bytes(a->secret, 32);
		if (err)
			goto out;
		a->secret_len = 32;
	}
	a->cf.secret = NULL; /* the caller's string is not kept */

	err = hash_alloc(&a->cache, CACHE_BUCKETS);
	if (!err)
		err = hash_alloc(&a->ncs, NC_BUCKETS);

out:
	if (err)
		mem_deref(a);
	else
		*ap = a;
	return err;
}

/* --- replies --- */

static int send_challenge(struct auth *a, struct sip_stsx *st,
                          const char *realm, bool proxy, bool stale)
{
	const char *hname = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	char nonce[NONCE_LEN + 1];
	char sha[512] = "", md5[512] = "";
	const char *st_s = stale ? ", stale=true" : "";

	nonce_make(a, nonce, realm);
	/* RFC 8760 lists the preferred algorithm first; MD5 goes first
	 * unless configured, as many deployed clients answer only the first
	 * challenge and only know MD5. */
	if (a->cf.sha256)
		snprintf(sha, sizeof(sha),
		         "%s: Digest realm=\"%s\", nonce=\"%s\", "
		         "algorithm=SHA-256, qop=\"auth\"%s\r\n",
		         hname, realm, nonce, st_s);
	if (a->cf.md5)
		snprintf(md5, sizeof(md5),
		         "%s: Digest realm=\"%s\", nonce=\"%s\", "
		         "algorithm=MD5, qop=\"auth\"%s\r\n",
		         hname, realm, nonce, st_s);
	return sip_stsx_replyf(st, proxy ? 407 : 401, NULL, "%s%s",
	                       a->cf.sha256_first ? sha : md5,
	                       a->cf.sha256_first ? md5 : sha);
}

/* Send the reply for r (not AUTH_OK) and run h. A challenge or 403 that
 * cannot be sent becomes a 500 / AUTH_ERROR. */
static void finish(struct pend *p, enum auth_result r, uint16_t scode,
                   const char *reason)
{
	int err = 0;

	switch (r) {
	case AUTH_OK:
		break;
	case AUTH_CHALLENGED:
		err = send_challenge(p->a, p->st, p->realm, p->proxy, p->stale);
		break;
	case AUTH_REJECTED:
		err = sip_stsx_replyf(p->st, scode, reason, NULL);
		break;
	case AUTH_ERROR:
		err = sip_stsx_replyf(p->st, 500, NULL, "Retry-After: 5\r\n");
		break;
	}
	if (err && r != AUTH_ERROR) {
		log_warn(&p->lctx, "cannot send %u: %s", scode, err_str(err));
		r = AUTH_ERROR;
		sip_stsx_replyf(p->st, 500, NULL, "Retry-After: 5\r\n");
	}
	if (p->h)
		p->h(r, r == AUTH_OK ? p->user : NULL, p->realm, p->arg);
}

static void pend_destroy(void *data)
{
	struct pend *p = data;

	mem_deref(p->user);
	mem_deref(p->realm);
	mem_deref(p->arg);
	mem_deref(p->st);
	mem_deref(p->a);
}

/* The digest-uri must name the Request-URI (RFC 2617 3.2.2.5); proxies
 * on the way may have changed parameters or the port. */
static bool uri_matches(const struct sip_msg *msg, const struct pl *duri)
{
	struct sip_uri u;
	struct parse_err pe;

	if (!pl_cmp(duri, &msg->ruri))
		return true;
	if (sip_uri_decode(&u, duri, &pe))
		return false;
	if (sip_uri_cmp(&u, &msg->uri))
		return true;
	return u.is_sip && msg->uri.is_sip &&
	       !pl_cmp(&u.user, &msg->uri.user) &&
	       !pl_casecmp(&u.host, &msg->uri.host);
}

/* With the user record known (NULL: no such user). */
static void check(struct pend *p, bool found, bool enabled, const char *ha1_md5,
                  const char *ha1_sha256)
{
	const struct sip_msg *msg = sip_stsx_req(p->st);
	const char *ha1 = p->alg == ALG_SHA256 ? ha1_sha256 : ha1_md5;
	char want[65];
	int err;

	if (!found || !enabled || !ha1 || strlen(ha1) != digest_len(p->alg)) {
		log_notice(&p->lctx, "%s@%s: unknown or disabled user", p->user,
		           p->realm);
		finish(p, AUTH_REJECTED, 403, "Invalid credentials");
		return;
	}
	err = digest_response(want, p->alg, ha1, &p->cr.nonce, &p->cr.nc,
	                      &p->cr.cnonce, &p->cr.qop, &msg->met, &p->cr.uri);
	if (err) {
		finish(p, AUTH_ERROR, 500, NULL);
		return;
	}
	if (!hex_equal(&p->cr.response, want)) {
		log_notice(&p->lctx, "%s@%s: wrong credentials", p->user,
		           p->realm);
		finish(p, AUTH_REJECTED, 403, "Invalid credentials");
		return;
	}
	if (p->stale) {
		finish(p, AUTH_CHALLENGED, 401, NULL);
		return;
	}
	err = nc_use(p->a, &p->cr.nonce, p->nonce_ts, p->nc);
	if (err == EALREADY) {
		log_notice(&p->lctx, "%s@%s: nonce count %08x reused", p->user,
		           p->realm, p->nc);
		p->stale = true;
		finish(p, AUTH_CHALLENGED, 401, NULL);
		return;
	}
	if (err) {
		finish(p, AUTH_ERROR, 500, NULL);
		return;
	}
	finish(p, AUTH_OK, 0, NULL);
}

static void user_got(int err, const struct store_user *u, void *arg)
{
	struct pend *p = arg;

	if (err && err != ENOENT) {
		log_err(&p->lctx, "user lookup %s@%s: %s", p->user, p->realm,
		        err_str(err));
		finish(p, AUTH_ERROR, 500, NULL);
		return;
	}
	cache_put(p->a, p->user, p->realm, err ? NULL : u);
	if (err)
		check(p, false, false, NULL, NULL);
	else
		check(p, true, u->enabled, u->ha1_md5, u->ha1_sha256);
}

/* The credentials meant for realm, if any. */
static bool find_creds(const struct sip_msg *msg, enum sip_hdrid id,
                       const char *realm, struct sip_auth *cr)
{
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = sip_msg_hdr_next(msg, h)) {
		struct parse_err pe;

		if (sip_auth_decode(cr, &h->val, &pe))
			continue;
		if (pl_strcasecmp(&cr->scheme, "Digest"))
			continue; /* RFC 4475 3.3.7: unknown schemes ignored */
		if (pl_strcmp(&cr->realm, realm))
			continue;
		return true;
	}
	return false;
}

int auth_verify(struct auth *a, struct sip_stsx *st, const char *realm,
                bool proxy, auth_h *h, void *arg)
{
	const struct sip_msg *msg;
	struct pend *p;
	struct cent *ce;
	uint64_t ts;
	int err;

	if (!a || !st || !realm || !realm[0])
		return EINVAL;
	msg = sip_stsx_req(st);
	if (!msg)
		return EINVAL;

	p = mem_zalloc(sizeof(*p), pend_destroy);
	if (!p)
		return ENOMEM;
	p->a = mem_ref(a);
	p->st = mem_ref(st);
	p->h = h;
	p->arg = mem_ref(arg);
	p->proxy = proxy;
	reg_lctx(&p->lctx, msg);
	err = mem_strdup(&p->realm, realm);
	if (err)
		goto out;

	if (!find_creds(msg,
	                proxy ? SIP_HDR_PROXY_AUTHORIZATION
	                      : SIP_HDR_AUTHORIZATION,
	                realm, &p->cr)) {
		finish(p, AUTH_CHALLENGED, 0, NULL);
		goto out;
	}
	if (!pl_isset(&p->cr.username) || !pl_isset(&p->cr.nonce) ||
	    !pl_isset(&p->cr.uri) || !pl_isset(&p->cr.response)) {
		finish(p, AUTH_REJECTED, 400, "Incomplete credentials");
		goto out;
	}
	if (alg_decode(&p->cr.algorithm, &p->alg) ||
	    (p->alg == ALG_MD5 && !a->cf.md5) ||
	    (p->alg == ALG_SHA256 && !a->cf.sha256)) {
		finish(p, AUTH_CHALLENGED, 0, NULL);
		goto out;
	}
	/* qop=auth with nc and cnonce: RFC 2069 style answers (no qop) have
	 * no replay protection and are not accepted */
	{
		uint64_t nc = 0;

		if (pl_strcasecmp(&p->cr.qop, "auth") ||
		    !pl_isset(&p->cr.cnonce) || p->cr.nc.l != 8 ||
		    pl_x64(&p->cr.nc, &nc) || !nc) {
			finish(p, AUTH_CHALLENGED, 0, NULL);
			goto out;
		}
		p->nc = (uint32_t)nc;
	}
	if (nonce_check(a, &p->cr.nonce, realm, &ts)) {
		log_debug(&p->lctx, "nonce not ours");
		finish(p, AUTH_CHALLENGED, 0, NULL);
		goto out;
	}
	p->nonce_ts = ts;
	p->stale = tmrl_wallclock(a->tl) > ts + a->cf.nonce_ttl_s;
	if (!uri_matches(msg, &p->cr.uri)) {
		log_notice(&p->lctx, "digest uri %.*s is not the Request-URI",
		           PL_PRINT(&p->cr.uri));
		finish(p, AUTH_REJECTED, 400, "Digest URI mismatch");
		goto out;
	}
	err = pl_strdup(&p->user, &p->cr.username);
	if (err)
		goto out;

	ce = cache_find(a, p->user, realm);
	if (ce) {
		check(p, ce->found, ce->enabled, ce->ha1_md5, ce->ha1_sha256);
		goto out;
	}
	err = store_user_get_async(a->st, p->user, realm, user_got, p);

out:
	mem_deref(p);
	return err;
}
