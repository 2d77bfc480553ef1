/* tests/unit/presence/pres_fix.c - fixture for the presence service tests */
#include "pres_fix.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/loop.h"
#include "base/tmr.h"
#include "event/evt.h"
#include "presence/pidf.h"
#include "presence/rules.h"
#include "proxy/location.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"

bool pfx_oom;
uint32_t pfx_starts;

void pfx_conf(struct pres_conf *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->pub_min_expires = 60;
	cf->pub_max_expires = 3600;
	cf->pub_default_expires = 3600;
	cf->sub_default_expires = 3600;
	cf->max_doc = 4096;
	cf->max_pubs = 4;
	cf->lenient = false;
	cf->trusted = "";
	cf->default_local = PRES_ALLOW;
	cf->default_foreign = PRES_CONFIRM;
	cf->trust_foreign_from = false;
	cf->rules_poll_ms = 0;
}

static void noreq_h(struct sip_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

static int user_add(struct store *st, const char *user, bool enabled)
{
	struct store_user u;

	memset(&u, 0, sizeof(u));
	snprintf(u.user, sizeof(u.user), "%s", user);
	snprintf(u.domain, sizeof(u.domain), "example.com");
	snprintf(u.ha1_md5, sizeof(u.ha1_md5), "%032d", 0);
	u.enabled = enabled;
	return store_user_add(st, &u);
}

int pfx_init_store(struct pfx *f)
{
	return pfx_init_store_uri(f, "mem:", false);
}

int pfx_init_store_uri(struct pfx *f, const char *uri, bool loop)
{
	static const char *const users[] = {"alice", "bob", "carol",
	                                    "calendar"};
	int err;

	memset(f, 0, sizeof(*f));
	err = tmrl_alloc_fake(&f->tl, 1000);
	if (!err && loop)
		err = loop_alloc(&f->loop);
	if (!err)
		err = store_open(&f->st, uri, f->loop);
	if (!err)
		err = store_domain_add(f->st, "example.com");
	for (size_t i = 0; !err && i < sizeof(users) / sizeof(users[0]); i++)
		err = user_add(f->st, users[i], true);
	if (!err)
		err = user_add(f->st, "dis", false);
	return err;
}

int pfx_start(struct pfx *f, const struct pres_conf *cf)
{
	static const struct sip_timers timers = {500, 4000, 5000};
	const struct evt_conf ec = {
	    .min_expires = 60,
	    .max_expires = 3600,
	    .notify_interval_ms = 100,
	    .notify_retries = 3,
	    .max_body = 65536,
	    .max_subs = 0,
	    .server_name = NULL,
	};
	struct pres_conf dflt;
	int err;

	pfx_conf(&dflt);
	err = loc_alloc(&f->loc, f->st, f->tl);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tl, 256);
	if (!err)
		err = sip_tsxl_alloc(&f->tsxl, f->tl, rec_tp_ops(), f->rt,
		                     &timers, noreq_h, NULL);
	if (!err)
		err = evt_alloc(&f->evt, &ec, f->tsxl, NULL);
	if (!err)
		err = pres_alloc(&f->pres, cf ? cf : &dflt, f->evt, f->st,
		                 f->loc, f->tl);
	return err;
}

int pfx_init(struct pfx *f, const struct pres_conf *cf)
{
	int err = pfx_init_store(f);

	if (!err)
		err = pfx_start(f, cf);
	return err;
}

void pfx_close(struct pfx *f)
{
	/* the daemon's order: the service before the framework */
	f->pres = mem_deref(f->pres);
	f->evt = mem_deref(f->evt);
	f->tsxl = mem_deref(f->tsxl);
	f->rt = mem_deref(f->rt);
	f->loc = mem_deref(f->loc);
	f->st = mem_deref(f->st);
	for (int i = 0; f->loop && i < 5; i++)
		loop_run_once(f->loop, 0);
	f->loop = mem_deref(f->loop);
	for (int i = 0; i < PFX_SUBS; i++)
		f->subs[i].last = mem_deref(f->subs[i].last);
	f->tl = mem_deref(f->tl);
}

static struct pfx_sub *sub_find(struct pfx *f, const struct pl *callid)
{
	for (int i = 0; i < PFX_SUBS; i++)
		if (f->subs[i].used && !pl_strcmp(callid, f->subs[i].callid))
			return &f->subs[i];
	return NULL;
}

/* The watcher answers a NOTIFY with 200. */
static int answer(struct pfx *f, const struct sip_msg *req)
{
	struct sip_msg *rsp = NULL;
	struct parse_err pe;
	struct buf *mb = NULL;
	int err;

	err = sip_resp_encode(&mb, req, 200, NULL, NULL, NULL, NULL);
	if (err)
		return err;
	mb->pos = 0;
	err = sip_msg_decode(&rsp, mb, false, &pe);
	if (!err) {
		rsp->tp = SIP_TRANSP_UDP;
		err = sa_decode(&rsp->src, "192.0.2.50:5060", 15);
	}
	if (!err)
		sip_tsxl_recv(f->tsxl, rsp);
	mem_deref(rsp);
	mem_deref(mb);
	return err;
}

int pfx_pump(struct pfx *f)
{
	int err = 0;

	store_flush(f->st);
	for (uint32_t i = 0; i < rec_tp_count(f->rt); i++) {
		struct pl pl = rec_tp_pl(f->rt, i);
		struct sip_msg *msg = NULL;
		struct pfx_sub *s;

		if (!pl.l)
			continue; /* not kept */
		if (rec_tp_decode(f->rt, i, &msg)) {
			err = ENOMEM;
			continue;
		}
		s = sub_find(f, &msg->callid);
		if (msg->req && !pl_strcmp(&msg->met, "NOTIFY")) {
			if (s && msg->cseq.num > s->cseq) {
				mem_deref(s->last);
				s->last = mem_ref(msg);
				s->cseq = msg->cseq.num;
				s->n++;
			}
			if (answer(f, msg))
				err = ENOMEM;
		} else if (!msg->req && s && msg->scode >= 200 &&
		           !pl_strcmp(&msg->cseq.met, "SUBSCRIBE")) {
			s->scode = msg->scode;
		}
		mem_deref(msg);
	}
	rec_tp_clear(f->rt);
	return err;
}

int pfx_run(struct pfx *f, uint64_t ms)
{
	int err = pfx_pump(f);

	while (ms) {
		uint64_t step = ms > 500 ? 500 : ms;

		tmrl_fake_advance(f->tl, step);
		ms -= step;
		if (pfx_pump(f))
			err = ENOMEM;
	}
	return err;
}

/* Octets of text once lone "\n" become "\r\n". */
static size_t wire_len(const char *s)
{
	size_t n = 0;

	for (size_t i = 0; s[i]; i++)
		n += (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) ? 2 : 1;
	return n;
}

/* The last response sent with Call-ID callid, decoded. */
static int find_resp(struct pfx *f, const char *callid, struct sip_msg **rspp)
{
	for (uint32_t i = rec_tp_count(f->rt); i-- > 0;) {
		struct sip_msg *msg = NULL;

		if (!rec_tp_pl(f->rt, i).l || rec_tp_decode(f->rt, i, &msg))
			continue;
		if (!msg->req && !pl_strcmp(&msg->callid, callid)) {
			*rspp = msg;
			return 0;
		}
		mem_deref(msg);
	}
	return ENOENT;
}

int pfx_publish(struct pfx *f, const char *ident, const char *from,
                const char *aor, const char *hdrs, const char *ctype,
                const char *body, struct sip_msg **rspp)
{
	struct sip_msg *msg = NULL;
	struct sip_stsx *st = NULL;
	struct buf *b = NULL;
	char callid[32];
	char *text = NULL;
	unsigned n = ++f->n;
	int err;

	*rspp = NULL;
	err = pfx_pump(f);
	if (err)
		return err;
	snprintf(callid, sizeof(callid), "pub%u@192.0.2.1", n);
	err = buf_alloc(&b, 1024);
	if (err)
		return err;
	err = buf_printf(b,
	                 "PUBLISH sip:%s SIP/2.0\n"
	                 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKpub%u\n"
	                 "Max-Forwards: 70\n"
	                 "From: <sip:%s>;tag=pf%u\n"
	                 "To: <sip:%s>\n"
	                 "Call-ID: %s\n"
	                 "CSeq: %u PUBLISH\n"
	                 "%s",
	                 aor, n, ident ? ident : from, n, aor, callid, n,
	                 hdrs ? hdrs : "Event: presence\n");
	if (!err && body)
		err = buf_printf(b, "Content-Type: %s\n",
		                 ctype ? ctype : "application/pidf+xml");
	if (!err)
		err = buf_printf(b, "Content-Length: %zu\n\n%s",
		                 body ? wire_len(body) : 0, body ? body : "");
	if (!err)
		err = buf_write_u8(b, 0);
	if (err)
		goto out;
	text = (char *)b->b;
	err = rec_msg(&msg, text, SIP_TRANSP_UDP, "192.0.2.1:5060");
	if (!err)
		err = sip_stsx_alloc(&st, f->tsxl, msg);
	if (err)
		goto out;
	if (!pres_handle_publish(st, ident, f->pres)) {
		err = EPROTO;
		goto out;
	}
	store_flush(f->st);
	err = find_resp(f, callid, rspp);
	if (err)
		err = ENOMEM; /* nothing sent: an allocation failed */
	if (!err && (*rspp)->scode == 500 &&
	    sip_msg_hdr(*rspp, SIP_HDR_RETRY_AFTER) && pfx_oom)
		err = ENOMEM;
	if (pfx_pump(f) && !err)
		err = ENOMEM;
out:
	if (err)
		*rspp = mem_deref(*rspp);
	mem_deref(st);
	mem_deref(msg);
	mem_deref(b);
	return err;
}

int pfx_pub(struct pfx *f, const char *ident, const char *aor, const char *hdrs,
            const char *body, uint16_t *scode, char *etag)
{
	struct sip_msg *rsp = NULL;
	const struct sip_hdr *h;
	int err;

	err = pfx_publish(f, ident, ident, aor, hdrs, NULL, body, &rsp);
	if (err)
		return err;
	*scode = rsp->scode;
	if (etag) {
		etag[0] = '\0';
		h = sip_msg_hdr(rsp, SIP_HDR_SIP_ETAG);
		if (h && pl_strcpy(&h->val, etag, 64))
			err = ERANGE;
	}
	mem_deref(rsp);
	return err;
}

int pfx_subscribe(struct pfx *f, struct pfx_sub **sp, const char *ident,
                  const char *from, const char *aor, uint32_t expires)
{
	return pfx_subscribe_hdrs(f, sp, ident, from, aor, expires,
	                          "Accept: application/pidf+xml\n");
}

int pfx_subscribe_hdrs(struct pfx *f, struct pfx_sub **sp, const char *ident,
                       const char *from, const char *aor, uint32_t expires,
                       const char *hdrs)
{
	struct sip_msg *msg = NULL;
	struct sip_stsx *st = NULL;
	struct pfx_sub *s = NULL;
	char text[1024];
	unsigned n = ++f->n;
	int err;

	err = pfx_pump(f);
	if (err)
		return err;
	for (int i = 0; i < PFX_SUBS && !s; i++)
		if (!f->subs[i].used)
			s = &f->subs[i];
	if (!s)
		return E2BIG;
	memset(s, 0, sizeof(*s));
	s->used = true;
	snprintf(s->callid, sizeof(s->callid), "sub%u@192.0.2.50", n);
	snprintf(text, sizeof(text),
	         "SUBSCRIBE sip:%s SIP/2.0\n"
	         "Via: SIP/2.0/UDP 192.0.2.50:5060;branch=z9hG4bKsub%u\n"
	         "Max-Forwards: 70\n"
	         "From: <sip:%s>;tag=sf%u\n"
	         "To: <sip:%s>\n"
	         "Call-ID: %s\n"
	         "CSeq: 1 SUBSCRIBE\n"
	         "Contact: <sip:w%u@192.0.2.50:5060>\n"
	         "Event: presence\n"
	         "%s"
	         "Expires: %u\n"
	         "Content-Length: 0\n\n",
	         aor, n, ident ? ident : from, n, aor, s->callid, n,
	         hdrs ? hdrs : "", expires);
	err = rec_msg(&msg, text, SIP_TRANSP_UDP, "192.0.2.50:5060");
	if (!err)
		err = sip_stsx_alloc(&st, f->tsxl, msg);
	if (err)
		goto out;
	if (!evt_handle_subscribe(st, ident, f->evt)) {
		err = EPROTO;
		goto out;
	}
	err = pfx_pump(f);
	if (!err && !s->scode)
		err = ENOMEM; /* not answered: an allocation failed */
out:
	mem_deref(st);
	mem_deref(msg);
	if (!err)
		*sp = s;
	return err;
}

bool pfx_state_is(const struct pfx_sub *s, const char *prefix)
{
	const struct sip_hdr *h;

	if (!s || !s->last)
		return false;
	h = sip_msg_hdr(s->last, SIP_HDR_SUBSCRIPTION_STATE);
	return h && h->val.l >= strlen(prefix) &&
	       !strncasecmp(h->val.p, prefix, strlen(prefix));
}

int pfx_doc(const struct pfx_sub *s, struct pidf **dp)
{
	char errbuf[128];

	if (!s || !s->last || !s->last->body.l)
		return ENOENT;
	return pidf_parse(dp, s->last->body.p, s->last->body.l, false, errbuf,
	                  sizeof(errbuf));
}

bool pfx_body_has(const struct pfx_sub *s, const char *text)
{
	size_t n = strlen(text);

	if (!s || !s->last)
		return false;
	for (size_t i = 0; i + n <= s->last->body.l; i++)
		if (!memcmp(s->last->body.p + i, text, n))
			return true;
	return false;
}

int pfx_doc_put(struct pfx *f, const char *auid, const char *owner,
                const char *xml, bool tell)
{
	int err;

	if (xml)
		err = store_doc_put(f->st, auid, owner, "index", xml,
		                    strlen(xml), NULL);
	else
		err = store_doc_delete(f->st, auid, owner, "index");
	if (err)
		return err;
	if (tell)
		pres_rules_changed(f->pres, owner);
	return pfx_pump(f);
}

struct reg_done {
	int n;
	int err;
};

static void reg_done_h(int err, void *arg)
{
	struct reg_done *d = arg;

	d->n++;
	d->err = err;
}

int pfx_register(struct pfx *f, const char *aor, const char *contact,
                 const char *instance, const char *params, uint32_t q)
{
	struct list l = LIST_INIT;
	struct loc_binding t, *b;
	struct reg_done *d;
	int err;

	if (contact) {
		memset(&t, 0, sizeof(t));
		t.aor = (char *)aor;
		t.contact = (char *)contact;
		t.instance = (char *)(instance ? instance : "");
		t.callid = "reg-call";
		t.cseq = ++f->n;
		t.expires = tmrl_wallclock(f->tl) + 3600;
		t.q = q;
		t.params = (char *)(params ? params : "");
		t.rx_tp = SIP_TRANSP_UDP;
		err = sa_set_str(&t.rx_addr, "192.0.2.60", 5060);
		if (err)
			return err;
		err = loc_binding_alloc(&b, &t);
		if (err)
			return err;
		list_append(&l, &b->le, b);
	}
	d = mem_zalloc(sizeof(*d), NULL);
	if (!d) {
		list_flush(&l);
		return ENOMEM;
	}
	err = loc_replace(f->loc, aor, &l, reg_done_h, d);
	if (err)
		list_flush(&l);
	else if (d->n != 1)
		err = EPROTO;
	else
		err = d->err;
	mem_deref(d);
	if (!err)
		err = pfx_pump(f);
	return err;
}

int pfx_pidf(char *buf, size_t size, const char *aor, const char *tuple,
             bool open, const char *note, const char *activity)
{
	int n;

	n = snprintf(
	    buf, size,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" "
	    "xmlns:dm=\"urn:ietf:params:xml:ns:pidf:data-model\" "
	    "xmlns:rpid=\"urn:ietf:params:xml:ns:pidf:rpid\" "
	    "entity=\"pres:%s\">\n"
	    "<tuple id=\"%s\"><status><basic>%s</basic></status>"
	    "<contact>sip:%s</contact></tuple>\n"
	    "<dm:person id=\"p-%s\">%s%s%s%s%s%s</dm:person>\n"
	    "</presence>\n",
	    aor, tuple, open ? "open" : "closed", aor, tuple,
	    activity ? "<rpid:activities><rpid:" : "", activity ? activity : "",
	    activity ? "/></rpid:activities>" : "", note ? "<dm:note>" : "",
	    note ? note : "", note ? "</dm:note>" : "");
	return n > 0 && (size_t)n < size ? 0 : ERANGE;
}
