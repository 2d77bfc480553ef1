/* tests/unit/proxy/test_proxy_util.c - fixture for the stateful proxy tests */
#include "test_proxy_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../sip/rec_tp.h"
#include "base/mem.h"
#include "base/tmr.h"
#include "base/util.h"
#include "proxy/auth.h"
#include "proxy/domain.h"
#include "proxy/location.h"
#include "proxy/registrar.h"
#include "sip/tsx.h"
#include "store/store.h"
#include "test.h"

bool pt_oom;
uint32_t pt_starts;

static const struct sip_timers timers = {500, 4000, 5000};

static void req_h(struct sip_msg *msg, void *arg)
{
	struct pfix *f = arg;

	proxy_recv(msg, f->p);
}

/* All bindings of b[i].aor (the first time it appears) in one replace. */
static int add_aor(struct pfix *f, const struct pt_binding *b, uint32_t nb,
                   uint32_t i)
{
	struct store_binding sb[8];
	char cid[8][32];
	uint32_t n = 0;

	for (uint32_t k = 0; k < i; k++)
		if (!strcmp(b[k].aor, b[i].aor))
			return 0;
	for (uint32_t k = i; k < nb && n < 8; k++) {
		struct store_binding *s = &sb[n];

		if (strcmp(b[k].aor, b[i].aor))
			continue;
		snprintf(cid[n], sizeof(cid[n]), "reg-%u", k);
		memset(s, 0, sizeof(*s));
		s->aor = b[k].aor;
		s->contact = b[k].contact;
		s->instance = "";
		s->callid = cid[n];
		s->cseq = 1;
		s->expires = tmrl_wallclock(f->tmrl) + 3600;
		s->q = b[k].q ? b[k].q : 1000;
		s->path = b[k].path ? b[k].path : "";
		s->received = b[k].rx ? b[k].rx : "";
		s->params = "";
		s->user_agent = "";
		s->temp_gruu = "";
		n++;
	}
	return store_reg_replace_sync(f->st, b[i].aor, sb, n);
}

static int add_user(struct pfix *f, const char *user)
{
	struct store_user u;
	int err;

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "example.com");
	u.enabled = true;
	err = auth_ha1(u.ha1_md5, sizeof(u.ha1_md5), "MD5", user, "example.com",
	               "secret");
	if (!err)
		err = auth_ha1(u.ha1_sha256, sizeof(u.ha1_sha256), "SHA-256",
		               user, "example.com", "secret");
	if (!err)
		err = store_user_add(f->st, &u);
	return err;
}

int pfix_init(struct pfix *f, const struct proxy_conf *cf,
              const struct pt_binding *b, uint32_t nb, const char *const *users,
              uint32_t n_users, bool registrar)
{
	static const struct proxy_conf defcf = {180000, 0, false, NULL};
	struct sa self;
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tmrl, 1000);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tmrl, 128);
	if (!err)
		err = sip_tsxl_alloc(&f->tl, f->tmrl, rec_tp_ops(), f->rt,
		                     &timers, req_h, f);
	if (!err)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = store_domain_add(f->st, "example.com");
	if (!err)
		err = dom_alloc(&f->dom, f->st);
	if (!err)
		err = sa_set_str(&self, "127.0.0.1", 5060);
	if (!err)
		err = dom_add_self(f->dom, &self);
	for (uint32_t i = 0; i < nb && !err; i++)
		err = add_aor(f, b, nb, i);
	if (!err)
		err = loc_alloc(&f->loc, f->st, f->tmrl);
	for (uint32_t i = 0; i < n_users && !err; i++)
		err = add_user(f, users[i]);
	if (!err && n_users) {
		struct auth_conf acf = {300, 60, false, true, "test-secret"};

		err = auth_alloc(&f->auth, f->st, f->tmrl, &acf);
	}
	if (!err && registrar) {
		struct registrar_conf rcf = {60, 3600, 3600, 10, false};

		err = registrar_alloc(&f->reg, &rcf, f->loc, f->auth, f->dom);
	}
	if (!err)
		err = proxy_alloc(&f->p, cf ? cf : &defcf, f->tl, f->loc,
		                  f->dom, f->auth, f->reg);
	if (!err)
		err = proxy_set_store(f->p, f->st);
	return err;
}

void pfix_close(struct pfix *f)
{
	f->p = mem_deref(f->p);
	f->tl = mem_deref(f->tl);
	f->reg = mem_deref(f->reg);
	f->auth = mem_deref(f->auth);
	f->loc = mem_deref(f->loc);
	f->dom = mem_deref(f->dom);
	f->st = mem_deref(f->st);
	f->rt = mem_deref(f->rt);
	f->tmrl = mem_deref(f->tmrl);
}

static int vrecv(struct pfix *f, enum sip_transp tp, const char *src,
                 const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int vrecv(struct pfix *f, enum sip_transp tp, const char *src,
                 const char *fmt, va_list ap)
{
	struct sip_msg *msg = NULL;
	char text[4096];
	int n, err;

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return ERANGE;
	err = rec_msg(&msg, text, tp, src);
	if (err)
		return err;
	err = sip_tsxl_recv(f->tl, msg);
	mem_deref(msg);
	return err == ENOENT ? 0 : err;
}

int pt_recv(struct pfix *f, enum sip_transp tp, const char *src,
            const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vrecv(f, tp, src, fmt, ap);
	va_end(ap);
	return err;
}

int pt_req(struct pfix *f, const char *met, const char *ruri,
           const char *branch, const char *from, const char *to,
           const char *totag, int mf, const char *extra)
{
	char mfs[32] = "";

	if (mf >= 0)
		snprintf(mfs, sizeof(mfs), "Max-Forwards: %d\n", mf);
	return pt_recv(f, SIP_TRANSP_UDP, "192.0.2.1:5062",
	               "%s %s SIP/2.0\n"
	               "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=%s;rport\n"
	               "%s"
	               "From: <%s>;tag=f1\n"
	               "To: <%s>%s%s\n"
	               "Call-ID: c1@192.0.2.1\n"
	               "CSeq: 1 %s\n"
	               "Contact: <sip:caller@192.0.2.1:5062>\n"
	               "%s"
	               "Content-Length: 0\n"
	               "\n",
	               met, ruri, branch, mfs, from, to ? to : ruri,
	               totag ? ";tag=" : "", totag ? totag : "", met,
	               extra ? extra : "");
}

int pt_respond(struct pfix *f, uint32_t idx, uint16_t scode, const char *totag,
               const char *extra)
{
	const struct rec_sent *s = rec_tp_get(f->rt, idx);
	struct sip_msg *req = NULL;
	struct buf *b = NULL;
	char src[64];
	int err;

	if (!s)
		return ENOENT;
	err = rec_tp_decode(f->rt, idx, &req);
	if (err)
		return err;
	err = buf_alloc(&b, 1024);
	if (err)
		goto out;
	err = buf_printf(b, "SIP/2.0 %u %s\n", scode, sip_reason(scode));
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_VIA); h && !err;
	     h = sip_msg_hdr_next(req, h))
		err = buf_printf(b, "Via: %.*s\n", PL_PRINT(&h->val));
	if (!err)
		err =
		    buf_printf(b,
		               "From: %.*s\nTo: %.*s%s%s\nCall-ID: %.*s\n"
		               "CSeq: %u %.*s\n%sContent-Length: 0\n\n",
		               PL_PRINT(&sip_msg_hdr(req, SIP_HDR_FROM)->val),
		               PL_PRINT(&sip_msg_hdr(req, SIP_HDR_TO)->val),
		               totag && !pl_isset(&req->to.tag) ? ";tag=" : "",
		               totag && !pl_isset(&req->to.tag) ? totag : "",
		               PL_PRINT(&req->callid), req->cseq.num,
		               PL_PRINT(&req->cseq.met), extra ? extra : "");
	if (!err)
		err = buf_write_u8(b, 0);
	if (err)
		goto out;
	if (sa_print(&s->dst.addr, src, sizeof(src))) {
		err = EINVAL;
		goto out;
	}
	err = pt_recv(f, s->dst.tp, src, "%s", (const char *)b->b);
out:
	mem_deref(b);
	mem_deref(req);
	return err;
}

static bool dst_is(const struct rec_sent *s, const char *addr)
{
	char a[64];

	if (!addr)
		return true;
	if (sa_print(&s->dst.addr, a, sizeof(a)))
		return false;
	return !strcmp(a, addr);
}

int pt_find(const struct pfix *f, uint32_t from, const char *prefix,
            const char *addr)
{
	int i = (int)from;

	while ((i = rec_tp_find(f->rt, (uint32_t)i, prefix)) >= 0) {
		if (dst_is(rec_tp_get(f->rt, (uint32_t)i), addr))
			return i;
		i++;
	}
	return -1;
}

uint32_t pt_count(const struct pfix *f, const char *prefix, const char *addr)
{
	uint32_t n = 0;
	int i = 0;

	while ((i = pt_find(f, (uint32_t)i, prefix, addr)) >= 0) {
		n++;
		i++;
	}
	return n;
}

bool pt_has(const struct pfix *f, int idx, const char *s)
{
	struct pl pl;
	size_t n = strlen(s);

	if (idx < 0)
		return false;
	pl = rec_tp_pl(f->rt, (uint32_t)idx);
	for (size_t i = 0; i + n <= pl.l; i++)
		if (!memcmp(pl.p + i, s, n))
			return true;
	return false;
}

int pt_text(char **sp, const struct pfix *f, int idx)
{
	struct pl pl;

	if (idx < 0)
		return ENOENT;
	pl = rec_tp_pl(f->rt, (uint32_t)idx);
	if (!pl.l)
		return ENOENT;
	return mem_strndup(sp, pl.p, pl.l);
}

uint32_t pt_n(const struct pfix *f)
{
	return rec_tp_count(f->rt);
}
