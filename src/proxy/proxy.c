/* proxy/proxy.c - request checks, local answers (RFC 3261 16.3-16.5) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/util.h"
#include "../sip/tsx.h"
#include "../store/store.h"
#include "auth.h"
#include "domain.h"
#include "location.h"
#include "proxy_int.h"
#include "registrar.h"

#define LOG_MODULE "proxy"

/* Handler for a method sent to local AoRs (proxy_local_register). */
struct localh {
	struct le le;
	char *met;
	unsigned flags; /* enum proxy_local_flags */
	proxy_local_h *h;
	void *arg;
};

static const char *const option_tags[] = {"path", "gruu"};

static void localh_destructor(void *data)
{
	struct localh *lh = data;

	list_unlink(&lh->le);
	mem_deref(lh->met);
}

static void proxy_destructor(void *data)
{
	struct proxy *p = data;

	LIST_FOREACH(&p->reqs, le)
		proxy_pxreq_abandon(le->data);
	list_flush(&p->localhl);
	mem_deref(p->server_name);
}

int proxy_alloc(struct proxy **pp, const struct proxy_conf *cf,
                struct sip_tsxl *tl, struct loc *loc, struct dom *dom,
                struct auth *auth, struct registrar *reg)
{
	struct proxy *p;
	int err = 0;

	if (!pp || !cf || !tl)
		return EINVAL;
	p = mem_zalloc(sizeof(*p), proxy_destructor);
	if (!p)
		return ENOMEM;
	p->cf = *cf;
	if (!p->cf.timer_c_ms)
		p->cf.timer_c_ms = 180000;
	if (cf->server_name && cf->server_name[0])
		err = mem_strdup(&p->server_name, cf->server_name);
	p->cf.server_name = p->server_name;
	p->tl = tl;
	p->loc = loc;
	p->dom = dom;
	p->auth = auth;
	p->reg = reg;
	rand_token(p->key, sizeof(p->key) - 1);
	list_init(&p->localhl);
	list_init(&p->reqs);
	if (err) {
		mem_deref(p);
		return err;
	}
	*pp = p;
	return 0;
}

void proxy_set_lenient(struct proxy *p, bool lenient)
{
	if (p)
		p->lenient = lenient;
}

int proxy_set_store(struct proxy *p, struct store *st)
{
	if (!p)
		return EINVAL;
	p->store = st;
	return 0;
}

void proxy_set_allow_events(struct proxy *p, const char *events)
{
	if (p)
		p->allow_events = events;
}

int proxy_local_register(struct proxy *p, const char *met, unsigned flags,
                         proxy_local_h *h, void *arg)
{
	struct localh *lh;
	int err;

	if (!p || !met || !h)
		return EINVAL;
	lh = mem_zalloc(sizeof(*lh), localh_destructor);
	if (!lh)
		return ENOMEM;
	err = mem_strdup(&lh->met, met);
	if (err) {
		mem_deref(lh);
		return err;
	}
	lh->flags = flags;
	lh->h = h;
	lh->arg = arg;
	list_append(&p->localhl, &lh->le, lh);
	return 0;
}

static const struct localh *localh_find(const struct proxy *p,
                                        const struct pl *met, unsigned flag)
{
	LIST_FOREACH(&p->localhl, le) {
		const struct localh *lh = le->data;

		if ((lh->flags & flag) && !pl_strcmp(met, lh->met))
			return lh;
	}
	return NULL;
}

/* Answer locally and end the request context. */
static void finish(struct pxreq *r, uint16_t scode, const char *reason,
                   const char *hdrs)
{
	if (scode >= 300)
		log_info(&r->lctx, "%.*s rejected: %u %s",
		         PL_PRINT(&r->msg->met), scode,
		         reason ? reason : sip_reason(scode));
	else
		log_debug(&r->lctx, "%.*s answered %u", PL_PRINT(&r->msg->met),
		          scode);
	proxy_pxreq_reply(r, scode, reason, hdrs);
	proxy_pxreq_end(r);
}

static bool tag_supported(const struct pl *tag)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_tags); i++)
		if (!pl_strcasecmp(tag, option_tags[i]))
			return true;
	return false;
}

/* "Unsupported: a, b\r\n" for the tags of id we do not know; false when
 * all are known. */
static bool unsupported(char *buf, size_t size, const struct sip_msg *msg,
                        enum sip_hdrid id)
{
	size_t n = 0;
	bool any = false;

	buf[0] = '\0';
	for (const struct sip_hdr *h = sip_msg_hdr(msg, id); h;
	     h = sip_msg_hdr_next(msg, h)) {
		int k;

		if (!h->val.l || tag_supported(&h->val))
			continue;
		k = snprintf(buf + n, size - n, "%s%.*s",
		             any ? ", " : "Unsupported: ", PL_PRINT(&h->val));
		if (k < 0 || (size_t)k >= size - n)
			break;
		n += (size_t)k;
		any = true;
	}
	if (any && n + 3 <= size)
		memcpy(buf + n, "\r\n", 3);
	else if (any)
		memcpy(buf + size - 3, "\r\n", 3);
	return any;
}

static bool known_method(const struct pl *met)
{
	static const char *const mets[] = {
	    "INVITE",   "ACK",     "CANCEL",    "BYE",     "OPTIONS",
	    "REGISTER", "MESSAGE", "PRACK",     "UPDATE",  "INFO",
	    "REFER",    "NOTIFY",  "SUBSCRIBE", "PUBLISH",
	};

	for (size_t i = 0; i < ARRAY_SIZE(mets); i++)
		if (!pl_strcmp(met, mets[i]))
			return true;
	return false;
}

/* A body we consume must be of a type in PROXY_ACCEPT. */
static bool ctype_accepted(const struct sip_msg *msg)
{
	static const char *const types[] = {
	    "application/sdp",
	    "text/plain",
	    "message/cpim",
	    "application/pidf+xml",
	};
	struct pl mt = msg->ctype;
	const char *semi;

	if (!msg->body.l)
		return true;
	semi = pl_strchr(&mt, ';');
	if (semi)
		mt.l = (size_t)(semi - mt.p);
	pl_trim(&mt);
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!pl_strcasecmp(&mt, types[i]))
			return true;
	return false;
}

static bool service(struct pxreq *r, const struct localh *lh);

/* Requests addressed to impd itself (16.5 "indicates this proxy"). */
static void local_us(struct pxreq *r)
{
	const struct sip_msg *msg = r->msg;

	const struct localh *lh;
	char hdrs[512];

	if (!known_method(&msg->met)) {
		finish(r, 501, NULL, "Allow: " PROXY_ALLOW "\r\n");
		return;
	}
	lh = localh_find(r->p, &msg->met, PROXY_LOCAL_SELF);
	if (lh && service(r, lh))
		return;
	if (!sip_msg_is(msg, "OPTIONS")) {
		if (sip_msg_is(msg, "BYE") || pl_isset(&msg->to.tag))
			finish(r, 481, NULL, NULL);
		else
			finish(r, 405, NULL, "Allow: " PROXY_ALLOW "\r\n");
		return;
	}
	if (unsupported(hdrs, sizeof(hdrs), msg, SIP_HDR_REQUIRE)) {
		finish(r, 420, NULL, hdrs);
		return;
	}
	if (!ctype_accepted(msg)) {
		finish(r, 415, NULL, "Accept: " PROXY_ACCEPT "\r\n");
		return;
	}
	snprintf(hdrs, sizeof(hdrs),
	         "Allow: " PROXY_ALLOW "\r\n"
	         "Accept: " PROXY_ACCEPT "\r\n"
	         "Supported: " PROXY_SUPPORTED "\r\n"
	         "%s%s%s",
	         r->p->allow_events ? "Allow-Events: " : "",
	         r->p->allow_events ? r->p->allow_events : "",
	         r->p->allow_events ? "\r\n" : "");
	finish(r, 200, NULL, hdrs);
}

/* CORE-17: fields RFC 3261/6665 require that some peers leave out. */
static bool validate_fields(struct pxreq *r)
{
	const struct sip_msg *msg = r->msg;
	const char *why = NULL;
	uint16_t scode = 400;

	if (!pl_isset(&msg->from.tag)) {
		why = "Missing From tag";
	} else if ((sip_msg_is(msg, "SUBSCRIBE") ||
	            sip_msg_is(msg, "NOTIFY")) &&
	           !sip_msg_hdr(msg, SIP_HDR_EVENT)) {
		why = "Missing Event header";
		scode = 489;
	} else if (sip_msg_is(msg, "NOTIFY") &&
	           !sip_msg_hdr(msg, SIP_HDR_SUBSCRIPTION_STATE)) {
		why = "Missing Subscription-State header";
	}
	if (!why)
		return true;
	if (r->p->lenient) {
		log_notice(&r->lctx, "%.*s accepted (lenient): %s",
		           PL_PRINT(&msg->met), why);
		return true;
	}
	finish(r, scode, why, NULL);
	return false;
}

/* The request now belongs to a service (registrar, presence ...) that took
 * its own reference to the server transaction and answers later: drop
 * ours without ending the transaction, and stop hearing about it. */
static void handoff(struct pxreq *r)
{
	if (r->st) {
		sip_stsx_set_termh(r->st, NULL, NULL);
		r->st = mem_deref(r->st);
	}
	r->final_sent = true;
	proxy_pxreq_end(r);
}

/* The user directory answered for a local AoR without binding. The store
 * held our reference meanwhile; a CANCEL, the end of the transaction or
 * of the proxy may have come first, and then there is nothing to do. */
/* Offer the request to a service; true when the service took it. */
static bool service(struct pxreq *r, const struct localh *lh)
{
	bool taken;

	mem_ref(r);
	taken = lh->h(r->st, r->ident[0] ? r->ident : NULL, lh->arg);
	if (taken) {
		log_debug(&r->lctx, "%.*s to a local service",
		          PL_PRINT(&r->msg->met));
		handoff(r);
	}
	mem_deref(r);
	return taken;
}

static void user_got(int err, const struct store_user *u, void *arg)
{
	struct pxreq *r = arg;

	if (!r->p || r->ended)
		return;
	if (r->final_sent) {
		proxy_pxreq_end(r);
		return;
	}
	if (err == ENOENT || (!err && !u->enabled)) {
		/* a disabled user is not told apart from a missing one */
		log_debug(&r->lctx, "%.*s: %s user", PL_PRINT(&r->rc.ruri),
		          err ? "unknown" : "disabled");
		finish(r, 404, NULL, NULL);
	} else if (err) {
		log_warn(&r->lctx, "user lookup: %s", err_str(err));
		finish(r, 500, NULL, "Retry-After: 5\r\n");
	} else {
		finish(r, 480, NULL, NULL);
	}
}

/* A local AoR has no binding: 404 or 480 depends on whether the user
 * exists, which the store tells us later (user_got). */
static void user_lookup(struct pxreq *r)
{
	char aor[512], *at;
	int err;

	at = loc_aor_print(&r->rc.uri, aor, sizeof(aor)) ? NULL
	                                                 : strrchr(aor, '@');
	if (!at) {
		finish(r, 404, NULL, NULL);
		return;
	}
	*at = '\0';
	err = store_user_get_async(r->p->store, aor, at + 1, user_got, r);
	if (err) {
		log_warn(&r->lctx, "user lookup: %s", err_str(err));
		finish(r, 500, NULL, "Retry-After: 5\r\n");
	}
}

/* The target set and forwarding (16.5-16.6). */
static void route_targets(struct pxreq *r)
{
	struct proxy *p = r->p;
	const struct sip_msg *msg = r->msg;
	const char *reason;
	uint16_t scode;
	bool unbound;
	int err;

	/* RFC 3325: the identity impd asserted, toward its own users'
	 * devices only (the trust domain ends there) */
	if (!r->rc.first && pl_isset(&r->rc.uri.user) &&
	    proxy_host_is_local(p, &r->rc.uri)) {
		if (!r->pai[0] && r->ident[0])
			snprintf(r->pai, sizeof(r->pai), "sip:%s", r->ident);
		r->rc.pai = r->pai[0] ? r->pai : NULL;
	}

	err = proxy_branch_hash(r->hash, p, msg, &msg->via);
	if (!err)
		err = proxy_targets(&r->targets, &scode, &reason, &unbound, p,
		                    msg, &r->rc);
	if (err) {
		log_warn(&r->lctx, "target set: %s", err_str(err));
		finish(r, 500, NULL, NULL);
		return;
	}
	if (scode == 480 && unbound && p->store) {
		user_lookup(r);
		return;
	}
	if (scode) {
		finish(r, scode, reason, NULL);
		return;
	}
	log_debug(&r->lctx, "%.*s %.*s: %zu target(s)", PL_PRINT(&msg->met),
	          PL_PRINT(&r->rc.ruri), list_count(&r->targets));
	proxy_fork_start(r);
}

static void route_on(struct pxreq *r)
{
	const struct sip_msg *msg = r->msg;

	/* Services for local AoRs (presence, IM) */
	if (!r->rc.first && pl_isset(&r->rc.uri.user) &&
	    proxy_host_is_local(r->p, &r->rc.uri)) {
		const struct localh *lh =
		    localh_find(r->p, &msg->met, PROXY_LOCAL_AOR);

		if (lh && service(r, lh))
			return;
	}
	route_targets(r);
}

static void auth_done(enum auth_result res, const char *user,
                      const char *domain, void *arg)
{
	struct pxreq *r = arg;
	const struct sip_msg *msg;
	char fuser[128];
	size_t len;

	if (!r->p || r->ended)
		return;
	mem_ref(r);
	msg = r->msg;
	if (res != AUTH_OK) {
		log_info(&r->lctx, "%.*s not authenticated (%d)",
		         PL_PRINT(&msg->met), (int)res);
		r->final_sent = true;
		proxy_pxreq_end(r);
	} else if (r->final_sent) {
		proxy_pxreq_end(r);
	} else if (!user ||
	           sip_unescape(&msg->from.uri.user, fuser, sizeof(fuser),
	                        &len) ||
	           strcmp(fuser, user) ||
	           (domain && pl_strcasecmp(&msg->from.uri.host, domain))) {
		finish(r, 403, "From does not match credentials", NULL);
	} else {
		log_debug(&r->lctx, "authenticated as %s@%s", user,
		          domain ? domain : "");
		if (domain)
			snprintf(r->ident, sizeof(r->ident), "%s@%s", user,
			         domain);
		else
			snprintf(r->ident, sizeof(r->ident), "%s@%.*s", user,
			         PL_PRINT(&msg->from.uri.host));
		for (char *c = strchr(r->ident, '@'); c && *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c | 0x20);
		route_on(r);
	}
	mem_deref(r);
}

/* Step 6: no open relay; local users prove who they are (CORE-10). */
static void authorize(struct pxreq *r)
{
	struct proxy *p = r->p;
	const struct sip_msg *msg = r->msg;
	bool in_dialog = pl_isset(&msg->to.tag);
	bool from_local = proxy_host_is_local(p, &msg->from.uri);
	char realm[128];
	int err;

	if (!from_local && !proxy_host_is_local(p, &r->rc.uri) &&
	    !(in_dialog && r->rc.to_us)) {
		finish(r, 403, "Relaying denied", NULL);
		return;
	}
	if (!from_local || in_dialog || !p->cf.auth_local || !p->auth) {
		route_on(r);
		return;
	}
	if (pl_strcpy(&msg->from.uri.host, realm, sizeof(realm))) {
		finish(r, 400, "Bad From host", NULL);
		return;
	}
	for (char *c = realm; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c | 0x20);
	err = auth_verify(p->auth, r->st, realm, true, auth_done, r);
	if (err) {
		log_warn(&r->lctx, "auth_verify: %s", err_str(err));
		finish(r, 500, NULL, NULL);
	}
}

static void process(struct pxreq *r)
{
	struct proxy *p = r->p;
	const struct sip_msg *msg = r->msg;
	char hdrs[512];
	int err;

	/* 16.3 */
	if (!msg->uri.is_sip && !msg->uri.is_tel) {
		finish(r, 416, NULL, NULL);
		return;
	}
	if (!validate_fields(r))
		return;
	if (msg->maxfwd == 0 &&
	    !(sip_msg_is(msg, "OPTIONS") && proxy_uri_is_us(p, &msg->uri) &&
	      !sip_msg_hdr(msg, SIP_HDR_ROUTE))) {
		finish(r, 483, NULL, NULL);
		return;
	}
	if (proxy_loop_detect(p, msg)) {
		finish(r, 482, NULL, NULL);
		return;
	}
	if (unsupported(hdrs, sizeof(hdrs), msg, SIP_HDR_PROXY_REQUIRE)) {
		finish(r, 420, NULL, hdrs);
		return;
	}

	/* 16.4 */
	err = proxy_route_pre(&r->rc, p, msg);
	if (err) {
		finish(r, 400, "Bad Route header", NULL);
		return;
	}

	/* Requests for impd itself */
	if (!r->rc.first) {
		if (sip_msg_is(msg, "REGISTER") &&
		    proxy_host_is_local(p, &r->rc.uri)) {
			if (unsupported(hdrs, sizeof(hdrs), msg,
			                SIP_HDR_REQUIRE)) {
				finish(r, 420, NULL, hdrs);
				return;
			}
			if (!p->reg) {
				finish(r, 501, "No registrar", NULL);
				return;
			}
			registrar_handle(p->reg, r->st);
			handoff(r);
			return;
		}
		if (proxy_uri_is_us(p, &r->rc.uri)) {
			local_us(r);
			return;
		}
	}
	authorize(r);
}

static void req_recv(struct proxy *p, struct sip_msg *msg)
{
	struct sip_stsx *st;
	struct pxreq *r;
	int err;

	err = sip_stsx_alloc(&st, p->tl, msg);
	if (err) {
		struct log_ctx lctx;

		proxy_log_ctx(&lctx, msg);
		log_warn(&lctx, "%.*s dropped: no server transaction: %s",
		         PL_PRINT(&msg->met), err_str(err));
		return;
	}
	err = proxy_pxreq_alloc(&r, p, st, msg);
	if (err) {
		sip_stsx_replyf(st, 500, NULL, NULL);
		sip_stsx_release(st);
		return;
	}
	list_append(&p->reqs, &r->le, r);
	mem_ref(r);
	process(r);
	mem_deref(r);
}

/* 16.10 */
static void cancel_recv(struct proxy *p, struct sip_msg *msg)
{
	struct sip_stsx *ist = sip_stsx_find_invite(p->tl, msg);
	const struct sip_hdr *rh = sip_msg_hdr(msg, SIP_HDR_REASON);
	struct sip_stsx *cst;
	struct log_ctx lctx;
	struct pxreq *r;
	char reason[256];
	int err;

	proxy_log_ctx(&lctx, msg);
	err = sip_stsx_alloc(&cst, p->tl, msg);
	if (err) {
		log_warn(&lctx, "CANCEL dropped: %s", err_str(err));
		return;
	}
	if (!ist) {
		log_info(&lctx, "CANCEL for no transaction: 481");
		sip_stsx_replyf(cst, 481, NULL, NULL);
		sip_stsx_release(cst);
		return;
	}
	sip_stsx_replyf(cst, 200, NULL, NULL);
	sip_stsx_release(cst);

	if (!rh || pl_strcpy(&rh->val, reason, sizeof(reason)))
		reason[0] = '\0';
	r = proxy_pxreq_find(p, ist);
	log_info(&lctx, "CANCEL from upstream");
	if (r)
		proxy_pxreq_cancel(r, reason[0] ? reason : NULL);
	else if (sip_stsx_status(ist) < 200)
		sip_stsx_replyf(ist, 487, NULL, NULL);
}

/* ACK for a 2xx: forwarded statelessly (16.11-like, RFC 3261 13.2.2.4). */
static void ack_recv(struct proxy *p, struct sip_msg *msg)
{
	struct list tl = LIST_INIT;
	struct log_ctx lctx;
	struct buf *mb = NULL;
	struct sip_dst dst;
	struct rctx rc;
	const char *reason;
	char hash[33], branch[48];
	uint16_t scode = 0;
	int err;

	proxy_log_ctx(&lctx, msg);
	if (msg->maxfwd == 0) {
		log_info(&lctx, "ACK with Max-Forwards 0 dropped");
		return;
	}
	if (proxy_loop_detect(p, msg)) {
		log_info(&lctx, "looping ACK dropped");
		return;
	}
	if (proxy_route_pre(&rc, p, msg)) {
		log_info(&lctx, "ACK with a bad Route dropped");
		return;
	}
	if (!rc.first && proxy_uri_is_us(p, &rc.uri)) {
		log_debug(&lctx, "ACK for us absorbed");
		return;
	}
	if (!proxy_host_is_local(p, &msg->from.uri) &&
	    !proxy_host_is_local(p, &rc.uri) && !rc.to_us) {
		log_info(&lctx, "ACK dropped: relaying denied");
		return;
	}
	err = proxy_targets(&tl, &scode, &reason, NULL, p, msg, &rc);
	if (err || scode || !list_head(&tl)) {
		log_info(&lctx, "ACK dropped: no target (%u %s)", scode,
		         err ? err_str(err) : "");
		goto out;
	}
	err = proxy_branch_hash(hash, p, msg, &msg->via);
	if (err)
		goto out;
	snprintf(branch, sizeof(branch), "z9hG4bK%s.0", hash);
	err = proxy_req_encode(&mb, &dst, p, msg, &rc, list_head(&tl)->data,
	                       branch, false);
	if (!err)
		err = sip_tsxl_send(p->tl, &dst, mb);
	if (err)
		log_info(&lctx, "ACK not forwarded: %s", err_str(err));
	else
		log_debug(&lctx, "ACK forwarded");
out:
	list_flush(&tl);
	mem_deref(mb);
}

int proxy_relay(struct proxy *p, struct sip_stsx *st, const char *ident,
                proxy_final_h *final_h, void *arg)
{
	return proxy_relay_to(p, st, ident, NULL, final_h, arg);
}

int proxy_relay_to(struct proxy *p, struct sip_stsx *st, const char *ident,
                   const char *ruri, proxy_final_h *final_h, void *arg)
{
	struct sip_msg *msg = st ? sip_stsx_req(st) : NULL;
	struct sip_uri uri;
	struct parse_err pe;
	struct pxreq *r;
	struct pl pl;
	char *copy = NULL;
	int err;

	if (!p || !msg)
		return EINVAL;
	if (ruri) {
		err = mem_strdup(&copy, ruri);
		if (err)
			return err;
		pl_set_str(&pl, copy);
		if (sip_uri_decode(&uri, &pl, &pe)) {
			mem_deref(copy);
			return EINVAL;
		}
	}
	err = proxy_pxreq_alloc(&r, p, mem_ref(st), msg);
	if (err) {
		mem_deref(copy);
		mem_deref(st);
		return err;
	}
	r->ruri = copy;
	list_append(&p->reqs, &r->le, r);
	r->final_h = final_h;
	r->final_arg = mem_ref(arg);
	if (ident)
		snprintf(r->ident, sizeof(r->ident), "%s", ident);
	mem_ref(r);
	if (proxy_route_pre(&r->rc, p, msg)) {
		finish(r, 400, "Bad Route header", NULL);
	} else {
		if (r->ruri) {
			pl_set_str(&r->rc.ruri, r->ruri);
			r->rc.uri = uri;
		}
		route_targets(r);
	}
	mem_deref(r);
	return 0;
}

int proxy_originate(struct proxy *p, const char *req, size_t len,
                    const char *pai, proxy_final_h *final_h, void *arg)
{
	const char *eol = req ? memchr(req, '\n', len) : NULL;
	struct sip_msg *msg = NULL;
	struct parse_err pe;
	struct pxreq *r;
	struct buf *b;
	char branch[48];
	int err;

	if (!p || !eol || !final_h)
		return EINVAL;
	/* A Via of our own so the request decodes like a received one;
	 * proxy_req_encode leaves it out (rc.originated). */
	sip_tsxl_branch(p->tl, branch, sizeof(branch));
	err = buf_alloc(&b, len + 96);
	if (err)
		return err;
	err = buf_write(b, req, (size_t)(eol - req) + 1);
	if (!err)
		err = buf_printf(
		    b, "Via: SIP/2.0/UDP impd.invalid;branch=%s\r\n", branch);
	if (!err)
		err = buf_write(b, eol + 1, len - (size_t)(eol + 1 - req));
	if (!err) {
		b->pos = 0;
		err = sip_msg_decode(&msg, b, false, &pe);
	}
	mem_deref(b);
	if (err)
		return err == ENOMEM ? ENOMEM : EBADMSG;
	err = proxy_pxreq_alloc(&r, p, NULL, msg);
	mem_deref(msg);
	if (err)
		return err;
	list_append(&p->reqs, &r->le, r);
	r->final_h = final_h;
	r->final_arg = mem_ref(arg);
	if (pai)
		snprintf(r->pai, sizeof(r->pai), "%s", pai);
	mem_ref(r);
	if (proxy_route_pre(&r->rc, p, r->msg)) {
		finish(r, 400, "Bad Route header", NULL);
	} else {
		r->rc.originated = true;
		route_targets(r);
	}
	mem_deref(r);
	return 0;
}

void proxy_recv(struct sip_msg *msg, void *arg)
{
	struct proxy *p = arg;

	if (!p || !msg || !msg->req)
		return;
	if (sip_msg_is(msg, "ACK"))
		ack_recv(p, msg);
	else if (sip_msg_is(msg, "CANCEL"))
		cancel_recv(p, msg);
	else
		req_recv(p, msg);
}
