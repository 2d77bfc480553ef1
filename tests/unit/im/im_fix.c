/* tests/unit/im/im_fix.c - fixture for the pager IM service tests */
#include "im_fix.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/tmr.h"
#include "base/util.h"
#include "event/evt.h"
#include "list/rlist.h"
#include "presence/rules.h"
#include "proxy/proxy.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"

void imf_conf(struct im_conf *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->max_body = 4096;
	cf->store_offline = true;
	cf->quota_msgs = 100;
	cf->quota_bytes = 1024 * 1024;
	cf->max_age_s = 7 * 86400;
	cf->retry_s = 60;
	cf->archive_domains = "";
	cf->archive_days = 365;
	cf->exploder = "exploder";
	cf->max_group = 100;
	cf->stream_ok = true;
	cf->udp_mtu = 1300;
	cf->poll_ms = 500;
	cf->server_name = "impd-test";
}

int imf_init_store(struct imfix *f, const struct pt_binding *b, uint32_t nb,
                   bool auth)
{
	static const char *const users[] = {"alice", "bob", "carol"};
	const struct proxy_conf pcf = {180000, 0, auth, "impd-test"};
	int err;

	memset(f, 0, sizeof(*f));
	err = pfix_init(&f->p, &pcf, b, nb, users, 3, true);
	return err;
}

int imf_start(struct imfix *f, const struct im_conf *cf)
{
	const struct evt_conf ec = {
	    .min_expires = 60,
	    .max_expires = 3600,
	    .notify_interval_ms = 100,
	    .notify_retries = 3,
	    .max_body = 65536,
	    .max_subs = 0,
	    .server_name = NULL,
	};
	struct im_conf dflt;
	int err;

	imf_conf(&dflt);
	err = evt_alloc(&f->evt, &ec, f->p.tl, NULL);
	if (!err)
		err = im_alloc(&f->im, cf ? cf : &dflt, f->p.p, f->p.loc,
		               f->p.dom, f->p.st, f->evt, f->p.tmrl);
	if (!err)
		err = proxy_local_register(f->p.p, "MESSAGE", PROXY_LOCAL_AOR,
		                           im_handle_message, f->im);
	if (!err)
		err = proxy_local_register(f->p.p, "SUBSCRIBE",
		                           PROXY_LOCAL_AOR | PROXY_LOCAL_SELF,
		                           evt_handle_subscribe, f->evt);
	return err;
}

int imf_init(struct imfix *f, const struct im_conf *cf,
             const struct pt_binding *b, uint32_t nb, bool auth)
{
	int err = imf_init_store(f, b, nb, auth);

	if (!err)
		err = imf_start(f, cf);
	return err;
}

void imf_close(struct imfix *f)
{
	/* the daemon's order: the services, then the framework (the
	 * message-summary package holds the last reference to it), then
	 * the proxy and what is under it */
	f->evt = mem_deref(f->evt);
	f->im = mem_deref(f->im);
	pfix_close(&f->p);
}

int imf_doc_put(struct imfix *f, const char *auid, const char *owner,
                const char *content)
{
	if (!content)
		return store_doc_delete(f->p.st, auid, owner, "index");
	return store_doc_put(f->p.st, auid, owner, "index", content,
	                     strlen(content), NULL);
}

int imf_im_rules(struct imfix *f, const char *owner, const struct imf_rule *r,
                 uint32_t n)
{
	struct buf *b = NULL, *nb = NULL;
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		err = pres_rules_with_im(&nb, b ? (const char *)b->b : NULL,
		                         b ? b->end : 0, r[i].id, r[i].sender,
		                         r[i].handling, r[i].reception);
		if (!err) {
			mem_deref(b);
			b = nb;
			nb = NULL;
		}
	}
	if (!err && b)
		err = store_doc_put(f->p.st, IM_RULES_AUID, owner, "index",
		                    (const char *)b->b, b->end, NULL);
	mem_deref(b);
	return err;
}

int imf_group(struct imfix *f, const char *owner, const char *uri,
              const char *const *members, uint32_t n)
{
	struct buf *b = NULL;
	int err;

	err = rls_services_with(&b, NULL, 0, uri, members, n, NULL);
	if (!err)
		err = store_doc_put(f->p.st, RLS_AUID, owner, "index",
		                    (const char *)b->b, b->end, NULL);
	mem_deref(b);
	return err;
}

void imf_advance(struct imfix *f, uint64_t ms)
{
	tmrl_fake_advance(f->p.tmrl, ms);
}

void imf_clear(struct imfix *f)
{
	rec_tp_clear(f->p.rt);
}

uint32_t imf_nrec(const struct imfix *f)
{
	return rec_tp_count(f->p.rt);
}

/* --- requests --- */

/* Feed exact octets through the transaction layer as from src (UDP). */
static int recv_raw(struct imfix *f, struct buf *b, const char *src)
{
	struct sip_msg *msg = NULL;
	struct parse_err pe;
	int err;

	b->pos = 0;
	err = sip_msg_decode(&msg, b, false, &pe);
	if (err)
		return err;
	msg->tp = SIP_TRANSP_UDP;
	err = sa_decode(&msg->src, src, strlen(src));
	if (!err)
		err = sip_tsxl_recv(f->p.tl, msg);
	mem_deref(msg);
	return err == ENOENT ? 0 : err;
}

/* Proxy-Authorization for the From user of r answering challenge ch
 * (RFC 2617 3.2.2, qop auth). */
static int creds(char *out, size_t size, const struct imf_req *r,
                 const char *met, const struct sip_auth *ch)
{
	char user[64], realm[128], nonce[128], opaque[128] = "";
	char ha1[33], ha2[33], rsp[33], buf[512];
	const char *at, *u = r->from;
	int n;

	if (!strncmp(u, "sip:", 4))
		u += 4;
	at = strchr(u, '@');
	if (!at || (size_t)(at - u) >= sizeof(user) ||
	    pl_strcpy(&ch->realm, realm, sizeof(realm)) ||
	    pl_strcpy(&ch->nonce, nonce, sizeof(nonce)))
		return EINVAL;
	if (pl_isset(&ch->opaque) &&
	    pl_strcpy(&ch->opaque, opaque, sizeof(opaque)))
		return EINVAL;
	memcpy(user, u, (size_t)(at - u));
	user[at - u] = '\0';
	n = snprintf(buf, sizeof(buf), "%s:%s:secret", user, realm);
	md5_hex(ha1, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "%s:%s", met, r->ruri);
	md5_hex(ha2, buf, (size_t)n);
	n = snprintf(buf, sizeof(buf), "%s:%s:00000001:1mf1x:auth:%s", ha1,
	             nonce, ha2);
	md5_hex(rsp, buf, (size_t)n);
	n = snprintf(out, size,
	             "Proxy-Authorization: Digest username=\"%s\", "
	             "realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
	             "response=\"%s\", algorithm=MD5, cnonce=\"1mf1x\", "
	             "qop=auth, nc=00000001%s%s%s\r\n",
	             user, realm, nonce, r->ruri, rsp,
	             opaque[0] ? ", opaque=\"" : "", opaque,
	             opaque[0] ? "\"" : "");
	return n > 0 && (size_t)n < size ? 0 : ERANGE;
}

static int send_one(struct imfix *f, const struct imf_req *r, unsigned id,
                    uint32_t cseq, const char *auth)
{
	const char *met = r->met ? r->met : "MESSAGE";
	const char *src = r->src ? r->src : IMF_CALLER;
	size_t len = r->body ? (r->len ? r->len : strlen(r->body)) : 0;
	struct buf *b = NULL;
	int err;

	err = buf_alloc(&b, 1024 + len);
	if (err)
		return err;
	err = buf_printf(b,
	                 "%s %s SIP/2.0\r\n"
	                 "Via: SIP/2.0/UDP %s;branch=z9hG4bKimf%ux%u;rport\r\n"
	                 "Max-Forwards: 70\r\n"
	                 "From: %s%s%s<%s>;tag=imf%u\r\n"
	                 "To: <%s>\r\n"
	                 "Call-ID: imf%u@192.0.2.1\r\n"
	                 "CSeq: %u %s\r\n",
	                 met, r->ruri, src, id, cseq, r->name ? "\"" : "",
	                 r->name ? r->name : "", r->name ? "\" " : "", r->from,
	                 id, r->to ? r->to : r->ruri, id, cseq, met);
	if (!err && r->contact)
		err = buf_printf(b, "Contact: <%s>\r\n", r->contact);
	if (!err && auth)
		err = buf_printf(b, "%s", auth);
	if (!err && r->hdrs)
		err = buf_printf(b, "%s", r->hdrs);
	if (!err && r->ctype)
		err = buf_printf(b, "Content-Type: %s\r\n", r->ctype);
	if (!err)
		err = buf_printf(b, "Content-Length: %zu\r\n\r\n", len);
	if (!err && len)
		err = buf_write(b, r->body, len);
	if (!err)
		err = recv_raw(f, b, src);
	mem_deref(b);
	return err;
}

int imf_send(struct imfix *f, const struct imf_req *r, unsigned *idp)
{
	const char *met = r->met ? r->met : "MESSAGE";
	struct sip_msg *rsp = NULL;
	const struct sip_hdr *h;
	struct sip_auth ch;
	struct parse_err pe;
	char auth[1024];
	unsigned id;
	int err;

	if (f->n + 1 >= IMF_REQS)
		return E2BIG;
	id = ++f->n;
	*idp = id;
	f->cseq[id] = 1;
	err = send_one(f, r, id, 1, NULL);
	if (err || !r->auth || imf_status(f, id) != 407)
		return err;
	err = imf_resp(f, id, &rsp);
	if (err)
		return err;
	h = sip_msg_hdr(rsp, SIP_HDR_PROXY_AUTHENTICATE);
	if (!h)
		err = EPROTO;
	else if (sip_auth_decode(&ch, &h->val, &pe))
		err = EBADMSG;
	else
		err = creds(auth, sizeof(auth), r, met, &ch);
	if (!err) {
		f->cseq[id] = 2;
		err = send_one(f, r, id, 2, auth);
	}
	mem_deref(rsp);
	return err;
}

int imf_msg(struct imfix *f, const char *from, const char *ruri,
            const char *body, bool auth, unsigned *idp)
{
	struct imf_req r;

	memset(&r, 0, sizeof(r));
	r.from = from;
	r.ruri = ruri;
	r.ctype = "text/plain";
	r.body = body;
	r.auth = auth;
	return imf_send(f, &r, idp);
}

/* The last final response with request id's Call-ID and last CSeq. */
static int find_resp(const struct imfix *f, unsigned id, struct sip_msg **rspp)
{
	char callid[32];

	if (!id || id >= IMF_REQS)
		return EINVAL;
	snprintf(callid, sizeof(callid), "imf%u@192.0.2.1", id);
	for (uint32_t i = rec_tp_count(f->p.rt); i-- > 0;) {
		struct pl pl = rec_tp_pl(f->p.rt, i);
		struct sip_msg *msg = NULL;

		if (pl.l < 8 || memcmp(pl.p, "SIP/2.0 ", 8))
			continue;
		if (rec_tp_decode(f->p.rt, i, &msg))
			return ENOMEM;
		if (msg->scode >= 200 && !pl_strcmp(&msg->callid, callid) &&
		    msg->cseq.num == f->cseq[id]) {
			*rspp = msg;
			return 0;
		}
		mem_deref(msg);
	}
	return ENOENT;
}

uint16_t imf_status(const struct imfix *f, unsigned id)
{
	struct sip_msg *rsp = NULL;
	uint16_t scode;

	if (find_resp(f, id, &rsp))
		return 0;
	scode = rsp->scode;
	mem_deref(rsp);
	return scode;
}

int imf_resp(const struct imfix *f, unsigned id, struct sip_msg **rspp)
{
	return find_resp(f, id, rspp);
}

int imf_register(struct imfix *f, const char *user, const char *addr,
                 uint32_t expires, uint16_t *scode)
{
	char aor[128], contact[128], hdrs[64];
	struct imf_req r;
	unsigned id;
	int err;

	snprintf(aor, sizeof(aor), "sip:%s@example.com", user);
	snprintf(contact, sizeof(contact), "sip:%s@%s", user, addr);
	snprintf(hdrs, sizeof(hdrs), "Expires: %u\r\n", expires);
	memset(&r, 0, sizeof(r));
	r.met = "REGISTER";
	r.ruri = "sip:example.com";
	r.from = aor;
	r.to = aor;
	r.contact = contact;
	r.hdrs = hdrs;
	r.src = addr;
	err = imf_send(f, &r, &id);
	*scode = err ? 0 : imf_status(f, id);
	return err;
}

/* --- what impd sent --- */

static bool dst_is(const struct rec_sent *s, const char *addr)
{
	char a[64];

	if (!addr)
		return true;
	return !sa_print(&s->dst.addr, a, sizeof(a)) && !strcmp(a, addr);
}

/* Record i is a request met to addr and not a copy of an earlier one
 * (a retransmission has the same octets). */
static bool is_new(const struct imfix *f, uint32_t from, uint32_t i,
                   const char *met, const char *addr)
{
	struct pl pl = rec_tp_pl(f->p.rt, i);
	size_t ml = strlen(met);

	if (pl.l <= ml || memcmp(pl.p, met, ml) || pl.p[ml] != ' ' ||
	    !dst_is(rec_tp_get(f->p.rt, i), addr))
		return false;
	for (uint32_t k = from; k < i; k++) {
		struct pl o = rec_tp_pl(f->p.rt, k);

		if (o.l == pl.l && !memcmp(o.p, pl.p, pl.l))
			return false;
	}
	return true;
}

uint32_t imf_count(const struct imfix *f, uint32_t from, const char *met,
                   const char *addr)
{
	uint32_t n = 0;

	for (uint32_t i = from; i < rec_tp_count(f->p.rt); i++)
		n += is_new(f, from, i, met, addr);
	return n;
}

int imf_find(const struct imfix *f, uint32_t from, const char *met,
             const char *addr, uint32_t nth)
{
	for (uint32_t i = from; i < rec_tp_count(f->p.rt); i++)
		if (is_new(f, from, i, met, addr) && nth-- == 0)
			return (int)i;
	return -1;
}

int imf_decode(const struct imfix *f, int idx, struct sip_msg **msgp)
{
	if (idx < 0)
		return ENOENT;
	return rec_tp_decode(f->p.rt, (uint32_t)idx, msgp);
}

int imf_answer(struct imfix *f, int idx, uint16_t scode)
{
	if (idx < 0)
		return ENOENT;
	return pt_respond(&f->p, (uint32_t)idx, scode, "ua1", NULL);
}

/* --- the store --- */

static void scpy(char *d, size_t size, const char *s)
{
	snprintf(d, size, "%s", s ? s : "(null)");
}

static void msg_h(const struct store_msg *m, void *arg)
{
	struct imf_msgs *out = arg;
	struct imf_m *x;

	if (out->n++ >= IMF_MSGS)
		return;
	x = &out->m[out->n - 1];
	x->id = m->id;
	scpy(x->owner, sizeof(x->owner), m->owner);
	scpy(x->sender, sizeof(x->sender), m->sender);
	scpy(x->name, sizeof(x->name), m->sender_name);
	scpy(x->recipient, sizeof(x->recipient), m->recipient);
	scpy(x->ctype, sizeof(x->ctype), m->ctype);
	scpy(x->imdn_id, sizeof(x->imdn_id), m->imdn_id);
	x->imdn_disp = m->imdn_disp;
	x->sender_auth = m->sender_auth;
	x->received_ms = m->received_ms;
	x->expires = m->expires;
	x->len = m->len;
	if (m->len < sizeof(x->body)) {
		memcpy(x->body, m->body, m->len);
		x->body[m->len] = '\0';
	}
}

int imf_msgs(struct imfix *f, const char *owner, struct imf_msgs *out)
{
	memset(out, 0, sizeof(*out));
	return store_msg_list(f->p.st, owner, msg_h, out);
}

/* --- checks --- */

bool imf_pl_eq(const struct pl *pl, const char *p, size_t len)
{
	return pl && pl->l == len && (!len || !memcmp(pl->p, p, len));
}

bool imf_has(const struct pl *pl, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; pl && i + n <= pl->l; i++)
		if (!memcmp(pl->p + i, s, n))
			return true;
	return false;
}

const char *imf_hdr(const struct sip_msg *msg, enum sip_hdrid id, char *buf,
                    size_t size)
{
	const struct sip_hdr *h = msg ? sip_msg_hdr(msg, id) : NULL;

	if (!h || pl_strcpy(&h->val, buf, size))
		buf[0] = '\0';
	return buf;
}
