/* tests/unit/proxy/test_auth.c - digest (RFC 2617, RFC 7616, RFC 8760) */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "proxy/auth.h"
#include "proxy/reg_int.h"
#include "sip/msg.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "test.h"

/* --- RFC vectors for the pure helpers --- */

TEST(test_auth_rfc2617_example)
{
	/* RFC 2617 3.5 */
	char ha1[33], resp[33];
	int err;

	err = auth_ha1(ha1, sizeof(ha1), "MD5", "Mufasa", "testrealm@host.com",
	               "Circle Of Life");
	TEST_ERR(err);
	TEST_STR_EQ("939e7578ed9e3c518a452acee763bce9", ha1);
	err = auth_response(resp, sizeof(resp), "MD5", ha1,
	                    &PL("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
	                    &PL("00000001"), &PL("0a4f113b"), &PL("auth"),
	                    &PL("GET"), &PL("/dir/index.html"));
	TEST_ERR(err);
	TEST_STR_EQ("6629fae49393a05397450978507c4ef1", resp);
	TEST_ERR_EQ(ERANGE, auth_ha1(ha1, 32, "MD5", "a", "b", "c"));
	TEST_ERR_EQ(EINVAL,
	            auth_ha1(ha1, sizeof(ha1), "MD5-sess", "a", "b", "c"));
	err = 0;
out:
	return err;
}

TEST(test_auth_rfc7616_example)
{
	/* RFC 7616 3.9.1, SHA-256 and MD5 */
	static const struct pl nonce =
	    PL("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
	static const struct pl cnonce =
	    PL("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	char ha1[65], resp[65];
	int err;

	err = auth_ha1(ha1, sizeof(ha1), "SHA-256", "Mufasa",
	               "http-auth@example.org", "Circle of Life");
	TEST_ERR(err);
	err = auth_response(resp, sizeof(resp), "SHA-256", ha1, &nonce,
	                    &PL("00000001"), &cnonce, &PL("auth"), &PL("GET"),
	                    &PL("/dir/index.html"));
	TEST_ERR(err);
	TEST_STR_EQ("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db"
	            "5856cb6c1",
	            resp);

	err = auth_ha1(ha1, sizeof(ha1), "MD5", "Mufasa",
	               "http-auth@example.org", "Circle of Life");
	TEST_ERR(err);
	err = auth_response(resp, sizeof(resp), "MD5", ha1, &nonce,
	                    &PL("00000001"), &cnonce, &PL("auth"), &PL("GET"),
	                    &PL("/dir/index.html"));
	TEST_ERR(err);
	TEST_STR_EQ("8ca523f5e9506fed4657c9700eebdbec", resp);
out:
	return err;
}

/* --- verification through a server transaction --- */

struct afx {
	struct tmrl *tl;
	struct store *st;
	struct auth *a;
	struct rec_tp *rt;
	struct sip_tsxl *tsxl;
	unsigned branch;
};

struct res {
	unsigned n;
	enum auth_result r;
	char user[64];
	char domain[64];
};

static void res_h(enum auth_result r, const char *user, const char *domain,
                  void *arg)
{
	struct res *res = arg;

	res->n++;
	res->r = r;
	snprintf(res->user, sizeof(res->user), "%s", user ? user : "");
	snprintf(res->domain, sizeof(res->domain), "%s", domain ? domain : "");
}

static void noreq_h(struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static int user_add(struct store *st, const char *user, const char *pw,
                    bool enabled)
{
	struct store_user u;
	int err;

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "example.com");
	err = auth_ha1(u.ha1_md5, sizeof(u.ha1_md5), "MD5", user, "example.com",
	               pw);
	if (!err)
		err = auth_ha1(u.ha1_sha256, sizeof(u.ha1_sha256), "SHA-256",
		               user, "example.com", pw);
	u.enabled = enabled;
	if (!err)
		err = store_user_add(st, &u);
	return err;
}

static int afx_init(struct afx *f, const struct auth_conf *cf)
{
	static const struct sip_timers timers = {500, 4000, 5000};
	struct auth_conf dflt = {300, 60, true, true, NULL};
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 0);
	if (!err)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = store_domain_add(f->st, "example.com");
	if (!err)
		err = user_add(f->st, "alice", "wonderland", true);
	if (!err)
		err = user_add(f->st, "mallory", "pw", false);
	if (!err)
		err = auth_alloc(&f->a, f->st, f->tl, cf ? cf : &dflt);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tl, 16);
	if (!err)
		err = sip_tsxl_alloc(&f->tsxl, f->tl, rec_tp_ops(), f->rt,
		                     &timers, noreq_h, NULL);
	return err;
}

static void afx_close(struct afx *f)
{
	f->tsxl = mem_deref(f->tsxl);
	f->rt = mem_deref(f->rt);
	f->a = mem_deref(f->a);
	f->st = mem_deref(f->st);
	f->tl = mem_deref(f->tl);
}

/* Send met with extra headers (each ending CRLF) through auth_verify.
 * *rspp: the response sent (NULL for AUTH_OK). ENOMEM when an injected
 * failure shows (AUTH_ERROR, nothing sent). */
static int verify(struct afx *f, const char *met, const char *hdrs, bool proxy,
                  enum auth_result *rp, struct sip_msg **rspp)
{
	struct sip_msg *msg = NULL;
	struct sip_stsx *st = NULL;
	struct buf *b = NULL;
	struct res *res;
	uint32_t before;
	int err;

	*rspp = NULL;
	res = mem_zalloc(sizeof(*res), NULL);
	if (!res)
		return ENOMEM;
	err = buf_alloc(&b, 512);
	if (err)
		goto out;
	f->branch++;
	err = buf_printf(b,
	                 "%s sip:%s SIP/2.0\n"
	                 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKau%u\n"
	                 "Max-Forwards: 70\n"
	                 "From: <sip:alice@example.com>;tag=1\n"
	                 "To: <sip:%s>\n"
	                 "Call-ID: auth-test\n"
	                 "CSeq: %u %s\n"
	                 "%s"
	                 "Content-Length: 0\n\n",
	                 met, proxy ? "bob@example.com" : "example.com",
	                 f->branch,
	                 proxy ? "bob@example.com" : "alice@example.com",
	                 f->branch, met, hdrs ? hdrs : "");
	if (!err)
		err = buf_write_u8(b, 0);
	if (err)
		goto out;
	err =
	    rec_msg(&msg, (const char *)b->b, SIP_TRANSP_UDP, "192.0.2.1:5060");
	if (err)
		goto out;
	err = sip_stsx_alloc(&st, f->tsxl, msg);
	if (err)
		goto out;
	before = rec_tp_count(f->rt);
	err = auth_verify(f->a, st, "example.com", proxy, res_h, res);
	if (err)
		goto out;
	if (res->n != 1) {
		test_fail(__FILE__, __LINE__, "handler ran %u times", res->n);
		err = EINVAL;
		goto out;
	}
	if (res->r == AUTH_ERROR) {
		err = ENOMEM; /* the only failure in these tests */
		goto out;
	}
	*rp = res->r;
	if (res->r == AUTH_OK) {
		if (strcmp(res->user, "alice") ||
		    strcmp(res->domain, "example.com")) {
			test_fail(__FILE__, __LINE__, "ok as %s@%s", res->user,
			          res->domain);
			err = EINVAL;
		}
		goto out;
	}
	if (rec_tp_count(f->rt) <= before) {
		err = ENOMEM;
		goto out;
	}
	err = rec_tp_decode(f->rt, rec_tp_count(f->rt) - 1, rspp);
out:
	mem_deref(st);
	mem_deref(msg);
	mem_deref(b);
	mem_deref(res);
	return err;
}

/* The n-th challenge header of rsp (0-based), decoded. */
static int challenge(const struct sip_msg *rsp, bool proxy, unsigned n,
                     struct sip_auth *ch, struct pl *raw)
{
	const struct sip_hdr *h;
	struct parse_err pe;

	h = sip_msg_hdr(rsp, proxy ? SIP_HDR_PROXY_AUTHENTICATE
	                           : SIP_HDR_WWW_AUTHENTICATE);
	while (h && n--)
		h = sip_msg_hdr_next(rsp, h);
	if (!h)
		return ENOENT;
	if (raw)
		*raw = h->val;
	return sip_auth_decode(ch, &h->val, &pe);
}

/* An Authorization header answering nonce (ruri "sip:example.com"). */
static int creds(char *out, size_t size, const char *hname, const char *alg,
                 const char *user, const char *pw, const struct pl *nonce,
                 uint32_t nc, const char *met, const char *duri)
{
	char ha1[65], resp[65], ncs[9];
	struct pl ncpl, mpl, upl;
	int err, n;

	err = auth_ha1(ha1, sizeof(ha1), alg, user, "example.com", pw);
	if (err)
		return err;
	snprintf(ncs, sizeof(ncs), "%08x", nc);
	pl_set_str(&ncpl, ncs);
	pl_set_str(&mpl, met);
	pl_set_str(&upl, duri);
	err = auth_response(resp, sizeof(resp), alg, ha1, nonce, &ncpl,
	                    &PL("0a4f113b"), &PL("auth"), &mpl, &upl);
	if (err)
		return err;
	n = snprintf(out, size,
	             "%s: Digest username=\"%s\", realm=\"example.com\", "
	             "nonce=\"%.*s\", uri=\"%s\", response=\"%s\", "
	             "algorithm=%s, cnonce=\"0a4f113b\", qop=auth, nc=%s\r\n",
	             hname, user, PL_PRINT(nonce), duri, resp, alg, ncs);
	return (n < 0 || (size_t)n >= size) ? ERANGE : 0;
}

/* Get a fresh challenge; copy its (first) nonce into nonce. */
static int get_nonce(struct afx *f, char nonce[80])
{
	struct sip_msg *rsp = NULL;
	struct sip_auth ch;
	enum auth_result r;
	int err;

	err = verify(f, "REGISTER", NULL, false, &r, &rsp);
	if (!err)
		err = challenge(rsp, false, 0, &ch, NULL);
	if (!err)
		err = pl_strcpy(&ch.nonce, nonce, 80);
	mem_deref(rsp);
	return err;
}

TEST(test_auth_challenge)
{
	struct afx f;
	struct sip_msg *rsp = NULL;
	struct sip_auth c1, c2;
	struct pl raw;
	enum auth_result r;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = verify(&f, "REGISTER", NULL, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	TEST_EQ(401, rsp->scode);
	TEST_EQ(2, sip_msg_hdr_count(rsp, SIP_HDR_WWW_AUTHENTICATE));
	TEST_EQ(0, sip_msg_hdr_count(rsp, SIP_HDR_PROXY_AUTHENTICATE));

	/* by default MD5 first (clients that read only the first challenge),
	 * then SHA-256 (RFC 8760), same nonce */
	err = challenge(rsp, false, 0, &c1, &raw);
	TEST_ERR(err);
	TEST_PL_EQ("Digest", &c1.scheme);
	TEST_PL_EQ("example.com", &c1.realm);
	TEST_PL_EQ("MD5", &c1.algorithm);
	TEST_PL_EQ("auth", &c1.qop);
	TEST_EQ(64, c1.nonce.l);
	TEST_ASSERT(!pl_strchr(&raw, '\r') && !pl_strchr(&raw, '\n'));
	{
		char v[512];

		err = pl_strcpy(&raw, v, sizeof(v));
		TEST_ERR(err);
		TEST_ASSERT(!strstr(v, "stale"));
		TEST_ASSERT(strstr(v, "realm=\"example.com\"") != NULL);
		TEST_ASSERT(strstr(v, "qop=\"auth\"") != NULL);
	}
	err = challenge(rsp, false, 1, &c2, NULL);
	TEST_ERR(err);
	TEST_PL_EQ("SHA-256", &c2.algorithm);
	TEST_PL_EQ("auth", &c2.qop);
	TEST_ASSERT(!pl_cmp(&c1.nonce, &c2.nonce));
	rsp = mem_deref(rsp);

	/* proxy: 407 with Proxy-Authenticate */
	err = verify(&f, "INVITE", NULL, true, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	TEST_EQ(407, rsp->scode);
	TEST_EQ(2, sip_msg_hdr_count(rsp, SIP_HDR_PROXY_AUTHENTICATE));
	TEST_EQ(0, sip_msg_hdr_count(rsp, SIP_HDR_WWW_AUTHENTICATE));
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

TEST(test_auth_only_md5)
{
	struct auth_conf cf = {300, 60, false, true, "fixed secret"};
	struct afx f;
	struct sip_msg *rsp = NULL;
	struct sip_auth c;
	enum auth_result r;
	int err;

	err = afx_init(&f, &cf);
	TEST_ERR(err);
	err = verify(&f, "REGISTER", NULL, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(401, rsp->scode);
	TEST_EQ(1, sip_msg_hdr_count(rsp, SIP_HDR_WWW_AUTHENTICATE));
	err = challenge(rsp, false, 0, &c, NULL);
	TEST_ERR(err);
	TEST_PL_EQ("MD5", &c.algorithm);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

static int good_flow(const char *alg)
{
	struct afx f;
	struct sip_msg *rsp = NULL;
	char nonce[80], hdr[512];
	struct pl npl;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);
	err = creds(hdr, sizeof(hdr), "Authorization", alg, "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);
	TEST_ASSERT(rsp == NULL);

	/* the next request on the same nonce with nc 2 */
	err = creds(hdr, sizeof(hdr), "Authorization", alg, "alice",
	            "wonderland", &npl, 2, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

TEST(test_auth_ok_md5)
{
	return good_flow("MD5");
}

TEST(test_auth_ok_sha256)
{
	return good_flow("SHA-256");
}

TEST(test_auth_proxy_ok)
{
	struct afx f;
	struct sip_msg *rsp = NULL;
	struct sip_auth c;
	char nonce[80], hdr[512];
	struct pl npl;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = verify(&f, "INVITE", NULL, true, &r, &rsp);
	TEST_ERR(err);
	err = challenge(rsp, true, 0, &c, NULL);
	TEST_ERR(err);
	err = pl_strcpy(&c.nonce, nonce, sizeof(nonce));
	TEST_ERR(err);
	rsp = mem_deref(rsp);
	pl_set_str(&npl, nonce);

	/* credentials in Authorization do not count for a proxy */
	err = creds(hdr, sizeof(hdr), "Authorization", "SHA-256", "alice",
	            "wonderland", &npl, 1, "INVITE", "sip:bob@example.com");
	TEST_ERR(err);
	err = verify(&f, "INVITE", hdr, true, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	rsp = mem_deref(rsp);

	err = creds(hdr, sizeof(hdr), "Proxy-Authorization", "SHA-256", "alice",
	            "wonderland", &npl, 1, "INVITE", "sip:bob@example.com");
	TEST_ERR(err);
	err = verify(&f, "INVITE", hdr, true, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

static bool has_stale(const struct sip_msg *rsp)
{
	const struct sip_hdr *h = sip_msg_hdr(rsp, SIP_HDR_WWW_AUTHENTICATE);

	for (; h; h = sip_msg_hdr_next(rsp, h)) {
		char v[512];

		if (pl_strcpy(&h->val, v, sizeof(v)) ||
		    !strstr(v, "stale=true"))
			return false;
	}
	return sip_msg_hdr(rsp, SIP_HDR_WWW_AUTHENTICATE) != NULL;
}

TEST(test_auth_stale)
{
	struct afx f;
	struct sip_msg *rsp = NULL;
	char nonce[80], hdr[512];
	struct pl npl;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);

	tmrl_fake_advance(f.tl, 299 * 1000);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r); /* still fresh */

	tmrl_fake_advance(f.tl, 2 * 1000);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 2, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	TEST_EQ(401, rsp->scode);
	TEST_ASSERT(has_stale(rsp));
	rsp = mem_deref(rsp);

	/* a stale nonce with a wrong password is still a wrong password */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice", "guess",
	            &npl, 3, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_REJECTED, r);
	TEST_EQ(403, rsp->scode);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

TEST(test_auth_nc_replay)
{
	struct afx f;
	struct sip_msg *rsp = NULL;
	char nonce[80], hdr[512];
	struct pl npl;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);
	err = creds(hdr, sizeof(hdr), "Authorization", "SHA-256", "alice",
	            "wonderland", &npl, 5, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);

	/* the same credentials again (a replay in a new transaction) */
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	TEST_EQ(401, rsp->scode);
	rsp = mem_deref(rsp);

	/* a lower count too */
	err = creds(hdr, sizeof(hdr), "Authorization", "SHA-256", "alice",
	            "wonderland", &npl, 4, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	rsp = mem_deref(rsp);

	err = creds(hdr, sizeof(hdr), "Authorization", "SHA-256", "alice",
	            "wonderland", &npl, 6, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

static int expect_reject(struct afx *f, const char *hdr, uint16_t scode)
{
	struct sip_msg *rsp = NULL;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = verify(f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_REJECTED, r);
	TEST_EQ(scode, rsp->scode);
	if (scode == 403)
		TEST_PL_EQ("Invalid credentials", &rsp->reason);
out:
	mem_deref(rsp);
	return err;
}

TEST(test_auth_wrong_credentials)
{
	struct afx f;
	char nonce[80], hdr[512];
	struct pl npl;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);

	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "Wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = expect_reject(&f, hdr, 403);
	TEST_ERR(err);
	/* unknown user: the same answer */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "nobody",
	            "wonderland", &npl, 2, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = expect_reject(&f, hdr, 403);
	TEST_ERR(err);
	/* disabled user with the right password */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "mallory", "pw",
	            &npl, 3, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = expect_reject(&f, hdr, 403);
	TEST_ERR(err);
	/* digest-uri naming another resource */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 4, "REGISTER", "sip:other.example");
	TEST_ERR(err);
	err = expect_reject(&f, hdr, 400);
	TEST_ERR(err);
	/* missing response */
	err = expect_reject(&f,
	                    "Authorization: Digest username=\"alice\", "
	                    "realm=\"example.com\", nonce=\"x\", "
	                    "uri=\"sip:example.com\"\r\n",
	                    400);
	TEST_ERR(err);
out:
	afx_close(&f);
	return err;
}

static int expect_challenge(struct afx *f, const char *hdr)
{
	struct sip_msg *rsp = NULL;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = verify(f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	TEST_EQ(401, rsp->scode);
	TEST_ASSERT(!has_stale(rsp));
out:
	mem_deref(rsp);
	return err;
}

TEST(test_auth_rechallenge)
{
	struct afx f;
	char nonce[80], hdr[512];
	struct pl npl;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	/* RFC 4475 3.3.7 (regaut01): unknown scheme ignored */
	err = expect_challenge(
	    &f, "Authorization: NoOneKnowsThisScheme opaque-data=here\r\n");
	TEST_ERR(err);

	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);
	/* another realm */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	{
		char *p = strstr(hdr, "realm=\"example.com\"");

		TEST_ASSERT(p != NULL);
		memcpy(p, "realm=\"examp1e.com\"", 19);
	}
	err = expect_challenge(&f, hdr);
	TEST_ERR(err);

	/* a nonce we did not make */
	nonce[40] = nonce[40] == 'a' ? 'b' : 'a';
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = expect_challenge(&f, hdr);
	TEST_ERR(err);
	nonce[40] = nonce[40] == 'a' ? 'b' : 'a';

	/* an algorithm we do not offer */
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	{
		char *p = strstr(hdr, "algorithm=MD5,");

		TEST_ASSERT(p != NULL);
		memcpy(p, "algorithm=MD7,", 14);
	}
	err = expect_challenge(&f, hdr);
	TEST_ERR(err);

	/* RFC 2069 style (no qop) */
	err = expect_challenge(
	    &f, "Authorization: Digest username=\"alice\", "
	        "realm=\"example.com\", nonce=\"x\", uri=\"sip:example.com\""
	        ", response=\"00000000000000000000000000000000\"\r\n");
	TEST_ERR(err);
out:
	afx_close(&f);
	return err;
}

TEST(test_auth_cache)
{
	struct afx f;
	char nonce[80], hdr[512];
	struct sip_msg *rsp = NULL;
	struct pl npl;
	enum auth_result r = AUTH_ERROR;
	int err;

	err = afx_init(&f, NULL);
	TEST_ERR(err);
	err = get_nonce(&f, nonce);
	TEST_ERR(err);
	pl_set_str(&npl, nonce);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 1, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);

	/* removed from the store: the cached HA1 still serves */
	err = store_user_remove(f.st, "alice", "example.com");
	TEST_ERR(err);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 2, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	if (r != AUTH_OK) {
		/* only an injected failure may have kept it out */
		err = ENOMEM;
		goto out;
	}

	auth_cache_flush(f.a);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 3, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = expect_reject(&f, hdr, 403);
	TEST_ERR(err);

	/* and it expires on its own: put alice back, wait out the TTL of
	 * the negative entry */
	err = user_add(f.st, "alice", "wonderland", true);
	TEST_ERR(err);
	tmrl_fake_advance(f.tl, 61 * 1000);
	err = creds(hdr, sizeof(hdr), "Authorization", "MD5", "alice",
	            "wonderland", &npl, 4, "REGISTER", "sip:example.com");
	TEST_ERR(err);
	err = verify(&f, "REGISTER", hdr, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_OK, r);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}

/* auth.sha256_first: the RFC 8760 order, SHA-256 before MD5. */
TEST(test_auth_challenge_sha256_first)
{
	struct auth_conf cf = {300, 60, true, true, NULL, true};
	struct afx f;
	struct sip_msg *rsp = NULL;
	struct sip_auth c1, c2;
	enum auth_result r;
	int err;

	err = afx_init(&f, &cf);
	TEST_ERR(err);
	err = verify(&f, "REGISTER", NULL, false, &r, &rsp);
	TEST_ERR(err);
	TEST_EQ(AUTH_CHALLENGED, r);
	err = challenge(rsp, false, 0, &c1, NULL);
	TEST_ERR(err);
	TEST_PL_EQ("SHA-256", &c1.algorithm);
	err = challenge(rsp, false, 1, &c2, NULL);
	TEST_ERR(err);
	TEST_PL_EQ("MD5", &c2.algorithm);
out:
	mem_deref(rsp);
	afx_close(&f);
	return err;
}
