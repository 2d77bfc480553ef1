/* tests/unit/event/evt_test.c - fixture for the events framework tests */
#include "evt_test.h"

#include <stdio.h>
#include <string.h>

#include "base/tmr.h"
#include "sip/rec_tp.h"
#include "sip/tsx.h"
#include "store/store.h"

bool ev_oom;
uint32_t ev_starts;

const struct evt_conf efix_conf = {
    .min_expires = 60,
    .max_expires = 3600,
    .notify_interval_ms = 500,
    .notify_retries = 3,
    .max_body = 1024,
    .max_subs = 0,
    .server_name = "impd-test",
};

static const struct sip_timers timers = {500, 4000, 5000};

/* --- the test package --- */

static int tp_subscribe(struct evt_sub *s, bool restored, void *arg)
{
	struct tpkg *p = arg;

	p->nsub++;
	if (restored)
		p->nrestored++;
	mem_deref(p->last);
	p->last = mem_ref(s);
	switch (p->mode) {
	case TP_ACTIVE:
		return evt_sub_accept(s, EVT_ACTIVE);
	case TP_PENDING:
		return evt_sub_accept(s, EVT_PENDING);
	case TP_REJECT:
		return evt_sub_reject(s, 403, NULL, EVT_REASON_REJECTED);
	default:
		return 0;
	}
}

static int tp_body(struct evt_sub *s, bool full, struct buf **bodyp,
                   char *ctype, size_t ctype_size, void *arg)
{
	struct tpkg *p = arg;
	struct buf *b;
	int err;

	(void)ctype;
	(void)ctype_size;
	p->nbody++;
	p->nfull += full;
	p->last_version = evt_sub_version(s);
	err = buf_alloc(&b, 64);
	if (err)
		return err;
	err = buf_printf(b, "%s v%u %s", p->state, evt_sub_version(s),
	                 full ? "full" : "partial");
	if (err) {
		mem_deref(b);
		return err;
	}
	*bodyp = b;
	return 0;
}

static void tp_ended(struct evt_sub *s, void *arg)
{
	struct tpkg *p = arg;

	p->nended++;
	if (p->last == s)
		p->last = mem_deref(p->last);
}

/* --- the "proxy" --- */

static void req_h(struct sip_msg *msg, void *arg)
{
	struct efix *f = arg;
	struct sip_stsx *st = NULL;

	if (sip_stsx_alloc(&st, f->tl, msg))
		return;
	if (sip_msg_is(msg, "SUBSCRIBE"))
		(void)evt_handle_subscribe(st, f->ident, f->e);
	else if (sip_msg_is(msg, "NOTIFY"))
		(void)evt_handle_notify(st, NULL, f->e);
	else
		(void)sip_stsx_replyf(st, 405, NULL, "%s", "");
	mem_deref(st);
}

int efix_evt_new(struct efix *f, const struct evt_conf *cf, bool winfo)
{
	struct evt_pkg pkg = {
	    .name = "test",
	    .ctype = "text/plain",
	    .default_expires = 600,
	    .winfo = winfo,
	    .subscribe = tp_subscribe,
	    .body = tp_body,
	    .ended = tp_ended,
	    .arg = &f->pkg,
	};
	int err;

	err = evt_alloc(&f->e, cf ? cf : &efix_conf, f->tl, f->st);
	if (!err)
		err = evt_pkg_register(f->e, &pkg);
	return err;
}

void efix_evt_free(struct efix *f)
{
	f->pkg.last = mem_deref(f->pkg.last);
	f->e = mem_deref(f->e);
}

int efix_init(struct efix *f, const struct evt_conf *cf, bool store, bool winfo,
              uint32_t nrec)
{
	int err;

	memset(f, 0, sizeof(*f));
	snprintf(f->pkg.state, sizeof(f->pkg.state), "s0");
	err = tmrl_alloc_fake(&f->tmrl, 1000);
	if (!err)
		err = rec_tp_alloc(&f->rt, f->tmrl, nrec);
	if (!err)
		err = sip_tsxl_alloc(&f->tl, f->tmrl, rec_tp_ops(), f->rt,
		                     &timers, req_h, f);
	if (!err && store)
		err = store_open(&f->st, "mem:", NULL);
	if (!err)
		err = efix_evt_new(f, cf, winfo);
	return err;
}

void efix_close(struct efix *f)
{
	efix_evt_free(f);
	f->tl = mem_deref(f->tl);
	f->st = mem_deref(f->st);
	f->rt = mem_deref(f->rt);
	f->tmrl = mem_deref(f->tmrl);
}

/* --- messages --- */

void sreq_init(struct sreq *r)
{
	memset(r, 0, sizeof(*r));
	r->user = "bob";
	r->event = "test";
	r->callid = "c1";
	r->ftag = "a1";
	r->from = "sip:alice@a.example.com";
	r->expires = 600;
}

int efix_recv(struct efix *f, const char *text, enum sip_transp tp,
              const char *src)
{
	struct sip_msg *msg = NULL;
	int err;

	err = rec_msg(&msg, text, tp, src);
	if (err)
		return err;
	(void)sip_tsxl_recv(f->tl, msg);
	mem_deref(msg);
	return 0;
}

int efix_subscribe(struct efix *f, const struct sreq *r, struct sip_msg **rspp)
{
	enum sip_transp tp = r->tp ? r->tp : SIP_TRANSP_UDP;
	char text[4096], exp[32] = "", totag[64] = "";
	uint32_t before = rec_tp_count(f->rt);
	int i, err;

	if (r->expires >= 0)
		snprintf(exp, sizeof(exp), "Expires: %lld\n",
		         (long long)r->expires);
	if (r->totag)
		snprintf(totag, sizeof(totag), ";tag=%s", r->totag);
	snprintf(text, sizeof(text),
	         "SUBSCRIBE sip:%s@example.com SIP/2.0\n"
	         "Via: SIP/2.0/%s 192.0.2.1:5060;branch=z9hG4bKs%u\n"
	         "Max-Forwards: 70\n"
	         "From: \"Alice\" <%s>;tag=%s\n"
	         "To: <sip:%s@example.com>%s\n"
	         "Call-ID: %s\n"
	         "CSeq: %u SUBSCRIBE\n"
	         "Contact: <%s>\n"
	         "Event: %s\n"
	         "%s%s"
	         "Content-Length: %zu\n"
	         "\n%s",
	         r->user, sip_transp_name(tp), ++f->branch, r->from, r->ftag,
	         r->user, totag, r->callid, r->cseq ? r->cseq : 1,
	         r->contact ? r->contact : "sip:alice@192.0.2.1:5060", r->event,
	         exp, r->extra ? r->extra : "", r->body ? strlen(r->body) : 0,
	         r->body ? r->body : "");
	err = efix_recv(f, text, tp, r->src ? r->src : "192.0.2.1:5060");
	if (err || !rspp)
		return err;
	*rspp = NULL;
	if (rec_tp_count(f->rt) <= before)
		return ENOMEM;
	i = rec_tp_find(f->rt, before, "SIP/2.0 ");
	if (i < 0)
		return ENOMEM;
	return rec_tp_decode(f->rt, (uint32_t)i, rspp);
}

int efix_notify(struct efix *f, uint32_t from, struct sip_msg **msgp)
{
	int i = rec_tp_find(f->rt, from, "NOTIFY ");

	if (i >= 0 && msgp && rec_tp_decode(f->rt, (uint32_t)i, msgp))
		return -1;
	return i;
}

uint32_t efix_count(struct efix *f, const char *prefix)
{
	return rec_tp_count_prefix(f->rt, prefix);
}

uint32_t efix_nrec(struct efix *f)
{
	return rec_tp_count(f->rt);
}

int efix_answer(struct efix *f, uint32_t i, uint16_t scode, const char *to_tag,
                const char *extra)
{
	struct sip_msg *req = NULL, *rsp = NULL;
	struct buf *mb = NULL;
	int err;

	err = rec_tp_decode(f->rt, i, &req);
	if (err)
		return err;
	err = sip_resp_encode(&mb, req, scode, NULL, to_tag, NULL, "%s",
	                      extra ? extra : "");
	if (err)
		goto out;
	err = sip_msg_decode(&rsp, mb, false, &(struct parse_err){0});
	if (err)
		goto out;
	rsp->tp = rec_tp_get(f->rt, i)->dst.tp;
	rsp->src = rec_tp_get(f->rt, i)->dst.addr;
	(void)sip_tsxl_recv(f->tl, rsp);
out:
	mem_deref(rsp);
	mem_deref(mb);
	mem_deref(req);
	return err;
}

uint32_t efix_answer_all(struct efix *f, uint32_t from, uint16_t scode)
{
	uint32_t n = 0, end = rec_tp_count(f->rt);
	int i = (int)from;

	while ((i = rec_tp_find(f->rt, (uint32_t)i, "NOTIFY ")) >= 0 &&
	       (uint32_t)i < end) {
		if (!efix_answer(f, (uint32_t)i, scode, NULL, NULL))
			n++;
		i++;
	}
	return n;
}

const char *efix_hdr(const struct sip_msg *msg, enum sip_hdrid id, char *buf,
                     size_t size)
{
	const struct sip_hdr *h = msg ? sip_msg_hdr(msg, id) : NULL;

	buf[0] = '\0';
	if (h)
		snprintf(buf, size, "%.*s", PL_PRINT(&h->val));
	return buf;
}

const char *efix_body(const struct sip_msg *msg, char *buf, size_t size)
{
	buf[0] = '\0';
	if (msg)
		snprintf(buf, size, "%.*s", PL_PRINT(&msg->body));
	return buf;
}

void efix_advance(struct efix *f, uint64_t ms)
{
	tmrl_fake_advance(f->tmrl, ms);
}
