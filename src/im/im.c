/* im/im.c - pager MESSAGE handling: sender and receiver chains (seed 003
 * 7.2.1-7.2.3), relaying with storage when no device takes the message */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../list/rlist.h"
#include "../presence/rules.h"
#include "../proxy/domain.h"
#include "../proxy/location.h"
#include "../proxy/proxy.h"
#include "../sip/tsx.h"
#include "../store/docwatch.h"
#include "../store/store.h"
#include "cpim.h"
#include "im_int.h"
#include "imdn.h"
#include "mwi.h"

#define LOG_MODULE "im"

#define CT_COMPOSING "application/im-iscomposing+xml"

static const char *const watched[] = {IM_RULES_AUID, IM_SETTINGS_AUID, RLS_AUID,
                                      NULL};

/* --- users --- */

static void user_destroy(void *data)
{
	struct im_user *u = data;

	hash_unlink(&u->he);
	tmr_cancel(&u->retry);
	list_flush(&u->gidx);
	mem_deref(u->aor);
	mem_deref(u->rules);
	mem_deref(u->groups);
	mem_deref(u->settings);
}

static bool user_cmp(struct le *le, void *arg)
{
	const struct im_user *u = le->data;

	return !strcasecmp(u->aor, arg);
}

struct im_user *im_user_find(const struct im *im, const char *aor)
{
	struct le *le =
	    hash_lookup(im->users, str_hash_ci(aor), user_cmp, (void *)aor);

	return le ? le->data : NULL;
}

struct im_user *im_user_get(struct im *im, const char *aor)
{
	struct im_user *u = im_user_find(im, aor);

	if (u)
		return u;
	u = mem_zalloc(sizeof(*u), user_destroy);
	if (!u)
		return NULL;
	tmr_init(&u->retry);
	u->im = im;
	u->archive = -1;
	if (mem_strdup(&u->aor, aor)) {
		mem_deref(u);
		return NULL;
	}
	for (char *c = strchr(u->aor, '@'); c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c | 0x20);
	hash_append(im->users, str_hash_ci(aor), &u->he, u);
	return u;
}

/* Wall clock in ms, never going back (DateTime of messages in order). */
uint64_t im_now_ms(struct im *im)
{
	uint64_t ms = tmrl_wallclock_ms(im->tl);

	if (ms <= im->last_ms)
		ms = im->last_ms + 1;
	im->last_ms = ms;
	return ms;
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *e;

		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		e = p;
		while (*e && *e != ',' && *e != ' ' && *e != '\t')
			e++;
		if ((size_t)(e - p) == 1 && *p == '*')
			return true;
		if ((size_t)(e - p) == n && !strncasecmp(p, word, n))
			return true;
		p = e;
	}
	return false;
}

/* Archiving: the user's own setting, else the domain policy (D-18). */
bool im_archives(const struct im *im, const char *aor)
{
	const struct im_user *u = im_user_find(im, aor);
	const char *at = strrchr(aor, '@');

	if (u && u->archive >= 0)
		return u->archive == 1;
	return at && in_list(im->archive_domains, at + 1);
}

/* --- documents --- */

static int settings_apply(struct im_user *u, const char *s, size_t len)
{
	char *copy = NULL;

	if (s && mem_strndup(&copy, s, len))
		return ENOMEM;
	mem_deref(u->settings);
	u->settings = copy;
	u->no_send = false;
	u->archive = -1;
	for (size_t i = 0; s && i < len;) {
		size_t e = i;

		while (e < len && s[e] != '\n')
			e++;
		if (e - i == 7 && !strncmp(s + i, "send=no", 7))
			u->no_send = true;
		else if (e - i == 11 && !strncmp(s + i, "archive=yes", 11))
			u->archive = 1;
		else if (e - i == 10 && !strncmp(s + i, "archive=no", 10))
			u->archive = 0;
		i = e + 1;
	}
	return 0;
}

static int doc_h(const struct store_doc *d, bool startup, void *arg)
{
	struct im *im = arg;
	struct im_user *u;
	char err[256];
	int e = 0;

	if (!d->owner || !d->owner[0] || strcmp(d->name, "index"))
		return 0;
	u = im_user_get(im, d->owner);
	if (!u)
		return ENOMEM;
	if (!strcmp(d->auid, IM_SETTINGS_AUID))
		return settings_apply(u, d->content, d->content ? d->len : 0);
	if (!strcmp(d->auid, IM_RULES_AUID)) {
		struct pres_rules *r = NULL;

		if (d->content)
			e = pres_rules_parse(&r, d->content, d->len, err,
			                     sizeof(err));
		if (e == ENOMEM)
			return e;
		if (e)
			log_warn(NULL, "IM rules of %s ignored: %s", d->owner,
			         err);
		mem_deref(u->rules);
		u->rules = r;
	} else if (!strcmp(d->auid, RLS_AUID)) {
		struct rls_services *g = NULL;

		if (d->content)
			e = rls_services_parse(&g, d->content, d->len, err,
			                       sizeof(err));
		if (e == ENOMEM)
			return e;
		if (e)
			log_warn(NULL, "groups of %s ignored: %s", d->owner,
			         err);
		list_flush(&u->gidx);
		mem_deref(u->groups);
		u->groups = g;
		im_group_index(im, u);
	}
	if (!startup)
		log_debug(NULL, "%s of %s %s", d->auid, d->owner,
		          d->content ? "changed" : "removed");
	return 0;
}

/* A nickname of the sender's (settings line "alias.NAME=URI"), or
 * NULL; *len is the URI's length. */
static const char *alias_find(const struct im_user *u, const struct pl *name,
                              size_t *len)
{
	const char *p = u ? u->settings : NULL;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (l > 6 + name->l + 1 && !strncmp(p, "alias.", 6) &&
		    !strncasecmp(p + 6, name->p, name->l) &&
		    p[6 + name->l] == '=') {
			*len = l - 7 - name->l;
			return p + 7 + name->l;
		}
		p = nl ? nl + 1 : NULL;
	}
	return NULL;
}

/* --- requests --- */

static void req_destroy(void *data)
{
	struct im_req *rq = data;

	if (rq->st)
		sip_stsx_release(rq->st);
	mem_deref(rq->msg);
}

int im_req_reply(struct im_req *rq, uint16_t scode, const char *reason,
                 const char *hdrs)
{
	const char *sn = rq->im->server_name;
	int err;

	if (!rq->st || sip_stsx_status(rq->st) >= 200)
		return EALREADY;
	if (scode >= 300)
		log_info(&rq->lctx, "MESSAGE to %s: %u %s", rq->rcpt, scode,
		         reason ? reason : sip_reason(scode));
	else
		log_debug(&rq->lctx, "MESSAGE to %s: %u", rq->rcpt, scode);
	err = sip_stsx_replyf(rq->st, scode, reason, "%s%s%s%s",
	                      hdrs ? hdrs : "", sn ? "Server: " : "",
	                      sn ? sn : "", sn ? "\r\n" : "");
	if (err)
		log_warn(&rq->lctx, "sending %u: %s", scode, err_str(err));
	return err;
}

void im_req_msg(const struct im_req *rq, struct store_msg *m, const char *owner,
                const char *recipient)
{
	memset(m, 0, sizeof(*m));
	m->owner = owner;
	m->sender = rq->sender;
	m->sender_name = rq->sender_name;
	m->sender_auth = rq->ident[0] != '\0';
	m->recipient = recipient;
	m->received_ms = rq->t_ms;
	m->expires = rq->t_ms / 1000 + rq->im->cf.max_age_s;
	m->ctype = rq->ctype;
	m->body = rq->msg->body.p;
	m->len = rq->msg->body.l;
	m->imdn_id = rq->imdn_id;
	m->imdn_disp = rq->imdn_disp;
	m->arch_in = rq->arch_in;
	m->arch_out = rq->arch_out;
}

static void noop_id_h(int err, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	if (err)
		log_warn(NULL, "archive: %s", err_str(err));
}

/* Does owner's side of rq get an archive record? */
static bool archived(const struct im_req *rq, bool outgoing)
{
	const char *owner = outgoing ? rq->ident : rq->rcpt;

	return !rq->composing && !rq->notification && owner[0] &&
	       im_archives(rq->im, owner);
}

/* Put one side's archive record of rq (h gets its id). */
static int archive_put(struct im_req *rq, bool outgoing, const char *outcome,
                       store_arch_put_h *h, void *arg)
{
	struct store_arch a;

	memset(&a, 0, sizeof(a));
	a.owner = outgoing ? rq->ident : rq->rcpt;
	a.outgoing = outgoing;
	a.peer = outgoing ? rq->rcpt_uri : rq->sender;
	a.sender = rq->sender;
	a.recipients = rq->rcpt_uri;
	a.time_ms = rq->t_ms;
	a.ctype = rq->ctype;
	a.body = rq->msg->body.p;
	a.len = rq->msg->body.l;
	a.outcome = outcome;
	return store_arch_put(rq->im->st, &a, h, arg);
}

/* One archive record of rq's message with its final outcome (async). */
static void archive(struct im_req *rq, bool outgoing, const char *outcome)
{
	if (archived(rq, outgoing) &&
	    archive_put(rq, outgoing, outcome, noop_id_h, NULL))
		log_warn(&rq->lctx, "archive of %s: not written",
		         outgoing ? rq->ident : rq->rcpt);
}

static void archive_both(struct im_req *rq, const char *outcome)
{
	archive(rq, true, outcome);
	archive(rq, false, outcome);
}

/* --- storing (DEF-01) --- */

static void stored_h(int err, uint64_t id, void *arg)
{
	struct im_req *rq = arg;
	struct im *im = rq->im;
	struct im_user *u;
	struct store_msg m;

	if (err == EDQUOT) {
		im->stats.rejected++;
		archive_both(rq, "failed 486");
		im_req_reply(rq, 486, "Deferred message quota exceeded", NULL);
		return;
	}
	if (err) {
		log_warn(&rq->lctx, "storing for %s: %s", rq->rcpt,
		         err_str(err));
		im_req_reply(rq, 500, "Message store unavailable",
		             "Retry-After: 10\r\n");
		return;
	}
	im->stats.stored++;
	log_info(&rq->lctx, "MESSAGE from %s stored for %s (id %llu)",
	         rq->sender, rq->rcpt, (unsigned long long)id);
	im_req_reply(rq, 202, "Accepted", NULL);
	u = im_user_get(im, rq->rcpt);
	if (u)
		im_defer_added(im, u, rq->msg->body.l, false);
	if (rq->imdn_disp & IMDN_PROCESSING) {
		im_req_msg(rq, &m, rq->rcpt, rq->rcpt_uri);
		m.id = id;
		im_imdn_send(im, &m, IMDN_STORED);
	}
}

static void store_go(struct im_req *rq)
{
	struct store_msg m;
	int err;

	im_req_msg(rq, &m, rq->rcpt, rq->rcpt_uri);
	err = store_msg_put(rq->im->st, &m, rq->im->cf.quota_msgs,
	                    rq->im->cf.quota_bytes, stored_h, rq);
	if (err)
		stored_h(err, 0, rq);
}

/* Archive records first when the message is archived (their ids go
 * with the stored message so delivery can update them). */
static void arch_id_h(int err, uint64_t id, void *arg)
{
	struct im_req *rq = arg;

	/* completions come in the order of the puts: the sender's first */
	if (err)
		log_warn(&rq->lctx, "archive: %s", err_str(err));
	else if (rq->arch_first_out)
		rq->arch_out = id;
	else
		rq->arch_in = id;
	rq->arch_first_out = false;
	if (--rq->arch_pending == 0)
		store_go(rq);
}

static void store_it(struct im_req *rq)
{
	bool out = archived(rq, true), in = archived(rq, false);

	if (!out && !in) {
		store_go(rq);
		return;
	}
	/* in order: the sender's record first (arch_id_h relies on it) */
	rq->arch_pending = out + in;
	rq->arch_first_out = out;
	if (out && archive_put(rq, true, "stored", arch_id_h, rq))
		arch_id_h(EIO, 0, rq);
	if (in && archive_put(rq, false, "stored", arch_id_h, rq))
		arch_id_h(EIO, 0, rq);
}

static bool storable(const struct im_req *rq)
{
	return rq->im->cf.store_offline && !rq->composing && !rq->no_store;
}

/* The proxy's outcome of relaying to the recipient's devices. */
static bool final_h(uint16_t scode, const struct sip_msg *resp, void *arg)
{
	struct im_req *rq = arg;
	char outcome[32];

	(void)resp;
	if (scode < 300) {
		rq->im->stats.relayed++;
		archive_both(rq, "delivered");
		return false;
	}
	if ((scode == 408 || scode == 480 || (scode >= 500 && scode < 600)) &&
	    storable(rq)) {
		log_debug(&rq->lctx, "no device took it (%u): storing", scode);
		store_it(rq);
		return true;
	}
	snprintf(outcome, sizeof(outcome), "failed %u", scode);
	archive_both(rq, outcome);
	if (scode == 480 && !resp)
		im_req_reply(rq, 480, "Recipient unavailable", NULL);
	else
		return false;
	return true;
}

static void relay(struct im_req *rq, bool can_store)
{
	int err;

	rq->no_store = !can_store;
	err =
	    proxy_relay_to(rq->im->px, rq->st, rq->ident[0] ? rq->ident : NULL,
	                   rq->target[0] ? rq->target : NULL, final_h, rq);
	if (err) {
		log_warn(&rq->lctx, "relay: %s", err_str(err));
		im_req_reply(rq, 500, NULL, NULL);
	}
}

static void user_h(int err, const struct store_user *su, void *arg)
{
	struct im_req *rq = arg;

	if (err == ENOENT || (!err && !su->enabled)) {
		im_req_reply(rq, 404, NULL, NULL);
		return;
	}
	if (err) {
		log_warn(&rq->lctx, "user lookup: %s", err_str(err));
		im_req_reply(rq, 500, NULL, "Retry-After: 5\r\n");
		return;
	}
	store_it(rq);
}

/* Reception "store": keep it even when a device is registered. */
static void store_direct(struct im_req *rq)
{
	char user[256];
	char *at;
	int err;

	snprintf(user, sizeof(user), "%s", rq->rcpt);
	at = strrchr(user, '@');
	if (!at) {
		im_req_reply(rq, 404, NULL, NULL);
		return;
	}
	*at = '\0';
	err = store_user_get_async(rq->im->st, user, at + 1, user_h, rq);
	if (err)
		user_h(err, NULL, rq);
}

/* Receiver side (7.2.2): the recipient's policy, then delivery. */
static void receive(struct im_req *rq)
{
	struct im *im = rq->im;
	const struct im_user *u = im_user_find(im, rq->rcpt);
	struct pres_im_perm perm;
	struct pres_watcher w;

	memset(&perm, 0, sizeof(perm));
	w.uri = rq->sender;
	/* impd cannot verify foreign senders yet: their From counts, which
	 * only matters for block/discard rules and allow rules written
	 * for them */
	w.authenticated = true;
	if (u && u->rules)
		pres_rules_eval_im(u->rules, &w, tmrl_wallclock(im->tl), &perm);
	if (perm.has_handling && perm.handling == PRES_IM_BLOCK) {
		archive(rq, true, "blocked");
		im_req_reply(rq, 403, "Blocked by recipient's policy", NULL);
		return;
	}
	if (perm.has_handling && perm.handling == PRES_IM_DISCARD) {
		log_info(&rq->lctx, "MESSAGE from %s to %s discarded (policy)",
		         rq->sender, rq->rcpt);
		archive(rq, true, "delivered");
		im_req_reply(rq, 200, NULL, NULL);
		return;
	}
	if (!perm.has_reception || perm.reception == PRES_IM_DELIVER) {
		relay(rq, storable(rq));
	} else if (perm.reception == PRES_IM_STORE && storable(rq)) {
		store_direct(rq);
	} else {
		relay(rq, false);
	}
}

static bool ctype_is(const struct pl *ct, const char *t)
{
	size_t n = strlen(t);

	return ct->l >= n && !strncasecmp(ct->p, t, n) &&
	       (ct->l == n || ct->p[n] == ';' || ct->p[n] == ' ' ||
	        ct->p[n] == '\t');
}

/* What the body says about itself: is-composing, IMDN request or
 * notification (CPIM). */
static void body_kind(struct im_req *rq)
{
	const struct sip_msg *msg = rq->msg;
	struct cpim c;
	const char *why;

	rq->composing = ctype_is(&msg->ctype, CT_COMPOSING);
	rq->notification = ctype_is(&msg->ctype, IMDN_CTYPE);
	if (!ctype_is(&msg->ctype, "message/cpim") ||
	    cpim_parse(&c, msg->body.p, msg->body.l, &why))
		return;
	if (ctype_is(&c.ctype, IMDN_CTYPE))
		rq->notification = true;
	if (ctype_is(&c.ctype, CT_COMPOSING))
		rq->composing = true;
	const struct pl *id = cpim_field(&c, IMDN_NS_URI, "Message-ID");
	const struct pl *dn =
	    cpim_field(&c, IMDN_NS_URI, "Disposition-Notification");

	if (id && id->l < sizeof(rq->imdn_id))
		pl_strcpy(id, rq->imdn_id, sizeof(rq->imdn_id));
	if (dn && rq->imdn_id[0])
		rq->imdn_disp = imdn_disp_parse(dn);
}

static int req_alloc(struct im_req **rqp, struct im *im, struct sip_stsx *st,
                     const char *ident)
{
	struct sip_msg *msg = sip_stsx_req(st);
	struct im_req *rq;

	if (!msg)
		return EINVAL;
	rq = mem_zalloc(sizeof(*rq), req_destroy);
	if (!rq)
		return ENOMEM;
	rq->im = im;
	rq->st = mem_ref(st);
	rq->msg = mem_ref(msg);
	proxy_log_ctx(&rq->lctx, msg);
	rq->t_ms = im_now_ms(im);
	if (ident)
		snprintf(rq->ident, sizeof(rq->ident), "%s", ident);
	if (ident)
		snprintf(rq->sender, sizeof(rq->sender), "sip:%s", ident);
	else if (sip_uri_aor_print(&msg->from.uri, rq->sender,
	                           sizeof(rq->sender)))
		snprintf(rq->sender, sizeof(rq->sender), "%.*s",
		         PL_PRINT(&msg->from.auri));
	/* the display name without its quoted-pair escapes */
	for (size_t i = 0, j = 0;
	     i < msg->from.dname.l && j < sizeof(rq->sender_name) - 1; i++) {
		char c = msg->from.dname.p[i];

		if (c == '\\' && i + 1 < msg->from.dname.l)
			c = msg->from.dname.p[++i];
		rq->sender_name[j++] = c;
		rq->sender_name[j] = '\0';
	}
	if (loc_aor_print(&msg->uri, rq->rcpt, sizeof(rq->rcpt)))
		snprintf(rq->rcpt, sizeof(rq->rcpt), "%.*s",
		         PL_PRINT(&msg->uri.host));
	snprintf(rq->rcpt_uri, sizeof(rq->rcpt_uri), "sip:%s", rq->rcpt);
	if (msg->ctype.l < sizeof(rq->ctype))
		pl_strcpy(&msg->ctype, rq->ctype, sizeof(rq->ctype));
	*rqp = rq;
	return 0;
}

/* AUTHZ-05: a nickname in the sender's own domain ("sip:boss@example.com"
 * with the setting alias.boss=sip:carol@example.com) stands for its URI:
 * a local one goes through the recipient's chain as if addressed
 * directly, another domain's is relayed there. True when rq is done. */
static bool nickname(struct im_req *rq, const struct im_user *su)
{
	const struct sip_msg *msg = rq->msg;
	const char *at = strrchr(su->aor, '@');
	const char *v;
	struct sip_uri u;
	struct parse_err pe;
	struct pl pl;
	size_t len;

	if (!at || pl_strcasecmp(&msg->uri.host, at + 1) ||
	    !(v = alias_find(su, &msg->uri.user, &len)) ||
	    len >= sizeof(rq->target))
		return false;
	memcpy(rq->target, v, len);
	rq->target[len] = '\0';
	pl_set_str(&pl, rq->target);
	if (sip_uri_decode(&u, &pl, &pe) || !u.is_sip || !pl_isset(&u.user)) {
		log_notice(&rq->lctx, "nickname of %s is not a SIP URI: %s",
		           su->aor, rq->target);
		rq->target[0] = '\0';
		return false;
	}
	log_info(&rq->lctx, "nickname %.*s of %s is %s",
	         PL_PRINT(&msg->uri.user), su->aor, rq->target);
	if (!dom_is_local(rq->im->dom, &u.host)) {
		relay(rq, false);
		return true;
	}
	if (loc_aor_print(&u, rq->rcpt, sizeof(rq->rcpt)))
		return false;
	snprintf(rq->rcpt_uri, sizeof(rq->rcpt_uri), "sip:%s", rq->rcpt);
	return false; /* on through the recipient's chain */
}

bool im_handle_message(struct sip_stsx *st, const char *ident, void *arg)
{
	struct im *im = arg;
	const struct sip_msg *msg = sip_stsx_req(st);
	const struct im_user *su;
	struct im_req *rq;
	char hdr[128];

	if (!im || !msg)
		return false;
	/* A GRUU names one device: plain proxying (no storage for a
	 * device that went away). */
	if (msg->uri.has_gr)
		return false;
	if (req_alloc(&rq, im, st, ident)) {
		sip_stsx_replyf(st, 500, NULL, NULL);
		return true;
	}

	/* Sender side (7.2.1): the right to send */
	su = ident ? im_user_find(im, ident) : NULL;
	if (su && su->no_send) {
		im_req_reply(rq, 403, "IM not allowed for this user", NULL);
		goto out;
	}
	if (!msg->body.l) {
		im_req_reply(rq, 415, "Missing message body",
		             "Accept: */*\r\n");
		goto out;
	}
	if (msg->body.l > im->cf.max_body) {
		snprintf(hdr, sizeof(hdr), "Message body too large (max %u)",
		         im->cf.max_body);
		im_req_reply(rq, 413, hdr, NULL);
		goto out;
	}
	if (!im->cf.stream_ok && msg->raw.l > im->cf.udp_mtu &&
	    msg->tp != SIP_TRANSP_UDP) {
		/* too large for UDP and impd has no TCP listener: the
		 * devices registered over UDP could only get it fragmented
		 * (RFC 3428 7) */
		const struct list *bl = loc_find(im->loc, rq->rcpt);
		bool stream = false;

		for (struct le *le = list_head(bl); le; le = le->next) {
			const struct loc_binding *b = le->data;

			stream |= b->rx_tp != SIP_TRANSP_UDP;
		}
		if (bl && !stream) {
			im_req_reply(rq, 513, NULL, NULL);
			goto out;
		}
	}
	body_kind(rq);
	if (su && nickname(rq, su))
		goto out;
	if (im_group_handle(rq))
		goto out;
	receive(rq);
out:
	mem_deref(rq);
	return true;
}

/* --- set-up --- */

static void im_destroy(void *data)
{
	struct im *im = data;

	im_defer_close(im);
	mem_deref(im->docs);
	hash_flush(im->users);
	mem_deref(im->users);
	mem_deref(im->groups);
	mem_deref(im->mwi);
	mem_deref(im->server_name);
	mem_deref(im->archive_domains);
	mem_deref(im->exploder);
}

int im_alloc(struct im **ip, const struct im_conf *cf, struct proxy *px,
             struct loc *loc, struct dom *dom, struct store *st, struct evt *e,
             struct tmrl *tl)
{
	struct im *im;
	int err;

	if (!ip || !cf || !px || !loc || !dom || !st || !tl)
		return EINVAL;
	im = mem_zalloc(sizeof(*im), im_destroy);
	if (!im)
		return ENOMEM;
	im->cf = *cf;
	im->px = px;
	im->loc = loc;
	im->dom = dom;
	im->st = st;
	im->e = e;
	im->tl = tl;
	tmr_init(&im->expire_tmr);
	err = mem_strdup(&im->archive_domains,
	                 cf->archive_domains ? cf->archive_domains : "");
	if (!err)
		err =
		    mem_strdup(&im->exploder, cf->exploder ? cf->exploder : "");
	if (!err && cf->server_name)
		err = mem_strdup(&im->server_name, cf->server_name);
	if (!err)
		err = hash_alloc(&im->users, 1024);
	if (!err)
		err = hash_alloc(&im->groups, 256);
	if (!err && e)
		err = im_mwi_alloc(&im->mwi, e);
	if (!err)
		err = docwatch_alloc(&im->docs, st, tl, cf->poll_ms, watched,
		                     doc_h, im);
	if (!err)
		err = im_defer_init(im);
	if (err) {
		mem_deref(im);
		return err;
	}
	*ip = im;
	return 0;
}

void im_stats_get(const struct im *im, struct im_stats *s)
{
	if (!im || !s)
		return;
	*s = im->stats;
}
