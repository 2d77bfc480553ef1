/* im/im_group.c - group pager messages (PAGER-05, AUTHZ-05, D-28): a
 * MESSAGE to a group URI (a service of some user's rls-services
 * document) or to the URI-list service (RFC 5365) is stored for every
 * local member, acknowledged once with 202, and delivered like deferred
 * messages; members in other domains get it sent at once */
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
#include "../store/store.h"
#include "im_int.h"
#include "mime.h"

#define LOG_MODULE "im"

#define MAX_NEST 8 /* groups inside groups */

/* --- the index of group URIs --- */

struct gidx {
	struct le he;  /* in im.groups */
	struct le ule; /* in the owner's list */
	char key[256]; /* "team@example.com" */
	struct im_user *owner;
	const struct rls_service *svc; /* in owner->groups */
};

static void gidx_destroy(void *data)
{
	struct gidx *g = data;

	hash_unlink(&g->he);
	list_unlink(&g->ule);
}

/* "user@host" key of a URI string, or EINVAL. */
static int uri_key(char *key, size_t size, const char *uri)
{
	struct sip_uri u;
	struct parse_err pe;
	struct pl p;

	pl_set_str(&p, uri);
	if (sip_uri_decode(&u, &p, &pe) || !u.is_sip || !pl_isset(&u.user))
		return EINVAL;
	return loc_aor_print(&u, key, size);
}

static bool gidx_cmp(struct le *le, void *arg)
{
	const struct gidx *g = le->data;

	return !strcasecmp(g->key, arg);
}

static struct gidx *gidx_find(const struct im *im, const char *key)
{
	struct le *le =
	    hash_lookup(im->groups, str_hash_ci(key), gidx_cmp, (void *)key);

	return le ? le->data : NULL;
}

void im_group_index(struct im *im, struct im_user *u)
{
	list_flush(&u->gidx);
	for (uint32_t i = 0; u->groups && i < u->groups->n; i++) {
		const struct rls_service *s = &u->groups->s[i];
		struct gidx *g;

		if (!s->list)
			continue; /* a <resource-list> reference: XCAP */
		g = mem_zalloc(sizeof(*g), gidx_destroy);
		if (!g)
			return;
		if (uri_key(g->key, sizeof(g->key), s->uri)) {
			log_notice(NULL, "group URI '%s' of %s ignored", s->uri,
			           u->aor);
			mem_deref(g);
			continue;
		}
		if (gidx_find(im, g->key)) {
			log_notice(NULL, "group URI '%s' of %s is taken",
			           s->uri, u->aor);
			mem_deref(g);
			continue;
		}
		g->owner = u;
		g->svc = s;
		hash_append(im->groups, str_hash_ci(g->key), &g->he, g);
		list_append(&u->gidx, &g->ule, g);
	}
}

/* --- one fan-out --- */

struct gjob {
	struct im_req *rq;
	char to[300]; /* To of the copies: the group URI, or "" for
	                 each member's own URI (URI-lists) */
	char **rcpt;  /* mem array of mem strings */
	uint32_t n, i, cap;
	const char *ctype; /* the message (the inner part of a URI-list) */
	const char *body;
	size_t len;
	char *ctype_copy;
	uint32_t members; /* recipients without the group markers */
	uint32_t stored, foreign, blocked, failed;
	struct buf *outcomes; /* "uri: what; ..." for the sender's archive */
};

static void gjob_destroy(void *data)
{
	struct gjob *j = data;

	for (uint32_t i = 0; i < j->n; i++)
		mem_deref(j->rcpt[i]);
	mem_deref(j->rcpt);
	mem_deref(j->ctype_copy);
	mem_deref(j->outcomes);
	mem_deref(j->rq);
}

/* One member's outcome: counted, logged, kept for the archive. */
static void note(struct gjob *j, uint32_t *counter, const char *uri,
                 const char *what)
{
	(*counter)++;
	log_info(&j->rq->lctx, "group copy for %s: %s", uri, what);
	if (j->outcomes)
		buf_printf(j->outcomes, "%s%s %s", j->outcomes->end ? "; " : "",
		           uri, what);
}

static bool has_rcpt(const struct gjob *j, const char *uri)
{
	for (uint32_t i = 0; i < j->n; i++)
		if (rlist_uri_eq(j->rcpt[i], uri))
			return true;
	return false;
}

static int push(struct gjob *j, const char *uri)
{
	if (j->n >= j->rq->im->cf.max_group + MAX_NEST)
		return ENOSPC;
	if (j->n == j->cap) {
		uint32_t cap = j->cap ? j->cap * 2 : 8;
		char **v = mem_realloc(j->rcpt, cap * sizeof(*v));

		if (!v)
			return ENOMEM;
		j->rcpt = v;
		j->cap = cap;
	}
	j->rcpt[j->n] = NULL;
	if (mem_strdup(&j->rcpt[j->n], uri))
		return ENOMEM;
	j->n++;
	return 0;
}

/* Add uri, expanding group URIs: the group URI itself goes in as a
 * marker first, so a list that holds itself (or a list holding it)
 * stops there. ENOSPC past max_group. */
static int add_rcpt(struct gjob *j, const char *uri, int depth)
{
	const struct gidx *g;
	char key[256];
	int err;

	if (rlist_uri_eq(uri, j->rq->sender) || has_rcpt(j, uri))
		return 0;
	if (uri_key(key, sizeof(key), uri) ||
	    !(g = gidx_find(j->rq->im, key))) {
		err = push(j, uri);
		if (!err && ++j->members > j->rq->im->cf.max_group)
			err = ENOSPC;
		return err;
	}
	if (depth >= MAX_NEST)
		return 0;
	err = push(j, uri);
	for (uint32_t i = 0; !err && i < g->svc->list->n; i++)
		err = add_rcpt(j, g->svc->list->e[i].uri, depth + 1);
	return err;
}

static bool is_group_marker(const struct gjob *j, uint32_t i)
{
	char key[256];

	return !uri_key(key, sizeof(key), j->rcpt[i]) &&
	       gidx_find(j->rq->im, key);
}

static void next(struct gjob *j);

static void arch_h(int err, uint64_t id, void *arg)
{
	(void)id;
	(void)arg;
	if (err)
		log_warn(NULL, "archive of a group message: %s", err_str(err));
}

/* The sender's copy of a group message in its history: every member and
 * its outcome (D-28). */
static void archive(struct gjob *j)
{
	struct im_req *rq = j->rq;
	struct store_arch a;
	struct buf *rcpt = NULL, *out = NULL;
	int err;

	if (!rq->ident[0] || rq->composing || rq->notification ||
	    !im_archives(rq->im, rq->ident) || !j->outcomes)
		return;
	err = buf_alloc(&rcpt, 256);
	for (uint32_t i = 0; !err && i < j->n; i++)
		if (!is_group_marker(j, i))
			err = buf_printf(rcpt, "%s%s", rcpt->end ? ", " : "",
			                 j->rcpt[i]);
	if (!err)
		err = buf_alloc(&out, j->outcomes->end + 8);
	if (!err)
		err = buf_printf(out, "group: %.*s", (int)j->outcomes->end,
		                 (const char *)j->outcomes->b);
	if (!err)
		err = buf_write_u8(rcpt, 0);
	if (!err)
		err = buf_write_u8(out, 0);
	if (!err) {
		memset(&a, 0, sizeof(a));
		a.owner = rq->ident;
		a.outgoing = true;
		a.peer = j->to[0] ? j->to : "URI-list";
		a.sender = rq->sender;
		a.recipients = (const char *)rcpt->b;
		a.time_ms = rq->t_ms;
		a.ctype = j->ctype;
		a.body = j->body;
		a.len = j->len;
		a.outcome = (const char *)out->b;
		err = store_arch_put(rq->im->st, &a, arch_h, NULL);
	}
	if (err)
		log_warn(&rq->lctx, "archive of a group message: %s",
		         err_str(err));
	mem_deref(rcpt);
	mem_deref(out);
}

static void finish(struct gjob *j)
{
	struct im_req *rq = j->rq;
	char summary[128];

	snprintf(summary, sizeof(summary),
	         "group: %u stored, %u sent on, %u blocked, %u failed",
	         j->stored, j->foreign, j->blocked, j->failed);
	log_info(&rq->lctx, "%s from %s: %s", j->to[0] ? j->to : "URI-list",
	         rq->sender, summary);
	archive(j);
	if (j->stored + j->foreign)
		im_req_reply(rq, 202, "Accepted", NULL);
	else
		im_req_reply(rq, 480, "No group member takes the message",
		             NULL);
}

static void member_stored_h(int err, uint64_t id, void *arg)
{
	struct gjob *j = arg;
	const char *uri = j->rcpt[j->i];
	char aor[256];
	struct im_user *u;

	(void)id;
	if (!err && !uri_key(aor, sizeof(aor), uri) &&
	    (u = im_user_get(j->rq->im, aor))) {
		note(j, &j->stored, uri, "stored");
		im_defer_added(j->rq->im, u, j->len, true);
	} else {
		note(j, &j->failed, uri,
		     err == EDQUOT ? "failed 486" : "failed 500");
	}
	j->i++;
	next(j);
}

static void member_user_h(int err, const struct store_user *su, void *arg)
{
	struct gjob *j = arg;
	struct im_req *rq = j->rq;
	const char *uri = j->rcpt[j->i];
	struct store_msg m;
	char aor[256];

	if (err || !su->enabled || uri_key(aor, sizeof(aor), uri)) {
		note(j, &j->failed, uri,
		     err == ENOENT || !err ? "failed 404" : "failed 500");
		j->i++;
		next(j);
		return;
	}
	im_req_msg(rq, &m, aor, j->to[0] ? j->to : uri);
	m.ctype = j->ctype;
	m.body = j->body;
	m.len = j->len;
	m.arch_in = m.arch_out = 0;
	err = store_msg_put(rq->im->st, &m, rq->im->cf.quota_msgs,
	                    rq->im->cf.quota_bytes, member_stored_h, j);
	if (err)
		member_stored_h(err, 0, j);
}

static bool direct_sent_h(uint16_t scode, const struct sip_msg *resp, void *arg)
{
	(void)resp;
	(void)arg;
	log_info(NULL, "group copy sent without storing: %u", scode);
	return false;
}

/* A copy sent at once, not stored: to a member in another domain (impd
 * keeps messages for its own users only) or to a local member who
 * refuses storage. owner: "user@host" the request goes to. */
static void member_direct(struct gjob *j, const char *uri, const char *owner)
{
	struct im_req *rq = j->rq;
	struct store_msg m;
	struct buf *mb = NULL;
	int err;

	im_req_msg(rq, &m, owner, j->to[0] ? j->to : uri);
	m.ctype = j->ctype;
	m.body = j->body;
	m.len = j->len;
	err = im_defer_request(&mb, rq->im, &m, false);
	if (!err)
		err = proxy_originate(rq->im->px, (const char *)mb->b, mb->end,
		                      NULL, direct_sent_h, NULL);
	mem_deref(mb);
	if (err)
		note(j, &j->failed, uri, "failed 500");
	else
		note(j, &j->foreign, uri, "sent");
}

static void next(struct gjob *j)
{
	struct im *im = j->rq->im;

	while (j->i < j->n) {
		const char *uri = j->rcpt[j->i];
		struct sip_uri u;
		struct parse_err pe;
		struct pl p;
		char aor[256], *at;
		const struct im_user *ru;
		struct pres_im_perm perm;
		struct pres_watcher w;

		pl_set_str(&p, uri);
		if (is_group_marker(j, j->i) || sip_uri_decode(&u, &p, &pe) ||
		    !u.is_sip || !pl_isset(&u.user)) {
			j->i++;
			continue;
		}
		if (!dom_is_local(im->dom, &u.host)) {
			member_direct(j, uri,
			              uri + (strncmp(uri, "sip:", 4) ? 0 : 4));
			j->i++;
			continue;
		}
		if (loc_aor_print(&u, aor, sizeof(aor))) {
			note(j, &j->failed, uri, "failed 404");
			j->i++;
			continue;
		}
		/* the member's own policy */
		memset(&perm, 0, sizeof(perm));
		w.uri = j->rq->sender;
		w.authenticated = true;
		ru = im_user_find(im, aor);
		if (ru && ru->rules)
			pres_rules_eval_im(ru->rules, &w,
			                   tmrl_wallclock(im->tl), &perm);
		if (perm.has_handling && perm.handling != PRES_IM_ALLOW) {
			note(j, &j->blocked, uri,
			     perm.handling == PRES_IM_BLOCK ? "blocked"
			                                    : "discarded");
			j->i++;
			continue;
		}
		if (perm.has_reception && perm.reception == PRES_IM_REJECT) {
			/* never stored: sent now if a device is there */
			if (list_head(loc_find(im->loc, aor))) {
				member_direct(j, uri, aor);
			} else {
				note(j, &j->failed, uri, "failed 480");
			}
			j->i++;
			continue;
		}
		at = strrchr(aor, '@');
		*at = '\0';
		if (store_user_get_async(im->st, aor, at + 1, member_user_h, j))
			member_user_h(EIO, NULL, j);
		return;
	}
	finish(j);
}

static int job_alloc(struct gjob **jp, struct im_req *rq)
{
	struct gjob *j = mem_zalloc(sizeof(*j), gjob_destroy);

	if (!j)
		return ENOMEM;
	j->rq = mem_ref(rq);
	if (buf_alloc(&j->outcomes, 256)) {
		mem_deref(j);
		return ENOMEM;
	}
	j->ctype = rq->ctype;
	j->body = rq->msg->body.p;
	j->len = rq->msg->body.l;
	*jp = j;
	return 0;
}

static void start(struct gjob *j)
{
	mem_ref(j);
	next(j);
	mem_deref(j);
}

/* MESSAGE to a group URI. */
static void group_send(struct im_req *rq, const struct gidx *g)
{
	const struct rlist *l = g->svc->list;
	char owner[300];
	bool member = false;
	struct gjob *j;
	int err;

	snprintf(owner, sizeof(owner), "sip:%s", g->owner->aor);
	for (uint32_t i = 0; i < l->n && !member; i++)
		member = rlist_uri_eq(l->e[i].uri, rq->sender);
	if (!rlist_uri_eq(owner, rq->sender) && !member) {
		im_req_reply(rq, 403, "Not allowed to send to this group",
		             NULL);
		return;
	}
	err = job_alloc(&j, rq);
	if (err) {
		im_req_reply(rq, 500, NULL, NULL);
		return;
	}
	snprintf(j->to, sizeof(j->to), "%s", g->svc->uri);
	err = add_rcpt(j, g->svc->uri, 0);
	if (err == ENOSPC)
		im_req_reply(rq, 403, "Too many recipients", NULL);
	else if (err)
		im_req_reply(rq, 500, NULL, NULL);
	else
		start(j);
	mem_deref(j);
}

/* RFC 5365: multipart/mixed with the recipient list and the message. */
static void urilist_send(struct im_req *rq)
{
	const struct sip_msg *msg = rq->msg;
	struct mime_part parts[MIME_MAX_PARTS];
	const struct mime_part *list = NULL, *body = NULL;
	struct mime_type mt;
	struct rlist *rl = NULL;
	struct gjob *j = NULL;
	struct pl bnd;
	const char *why = NULL;
	char err_text[256];
	uint32_t n = 0;
	int err;

	if (!rq->ident[0]) {
		im_req_reply(rq, 403, "URI-list service for local users only",
		             NULL);
		return;
	}
	if (mime_type_parse(&mt, &msg->ctype) ||
	    !mime_type_is(&mt, "multipart/mixed") ||
	    mime_param(&mt, "boundary", &bnd)) {
		im_req_reply(rq, 415, "URI-list MESSAGE needs multipart/mixed",
		             "Accept: multipart/mixed\r\n");
		return;
	}
	err = mime_multipart(&bnd, msg->body.p, msg->body.l, parts,
	                     MIME_MAX_PARTS, &n, &why);
	if (err) {
		snprintf(err_text, sizeof(err_text), "Bad multipart body: %s",
		         why ? why : err_str(err));
		im_req_reply(rq, 400, err_text, NULL);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct mime_type pt;

		if (!list && !mime_type_parse(&pt, &parts[i].ctype) &&
		    mime_type_is(&pt, RLIST_CTYPE))
			list = &parts[i];
		else if (!body)
			body = &parts[i];
	}
	if (!list || !body) {
		im_req_reply(rq, 400,
		             list ? "No message part" : "No recipient list",
		             NULL);
		return;
	}
	err = rlist_urilist_parse(&rl, list->body.p, list->body.l, err_text,
	                          sizeof(err_text));
	if (err) {
		char reason[300];

		snprintf(reason, sizeof(reason), "Bad recipient list: %s",
		         err_text);
		im_req_reply(rq, err == ENOMEM ? 500 : 400,
		             err == ENOMEM ? NULL : reason, NULL);
		return;
	}
	err = job_alloc(&j, rq);
	if (!err)
		err = pl_strdup(&j->ctype_copy, &body->ctype);
	if (!err) {
		j->ctype = j->ctype_copy[0] ? j->ctype_copy : "text/plain";
		j->body = body->body.p;
		j->len = body->body.l;
	}
	for (uint32_t i = 0; !err && i < rl->n; i++)
		err = add_rcpt(j, rl->e[i].uri, 0);
	mem_deref(rl);
	if (err == ENOSPC)
		im_req_reply(rq, 403, "Too many recipients", NULL);
	else if (err)
		im_req_reply(rq, 500, NULL, NULL);
	else
		start(j);
	mem_deref(j);
}

bool im_group_handle(struct im_req *rq)
{
	struct im *im = rq->im;
	const struct gidx *g = gidx_find(im, rq->rcpt);
	const char *at = strrchr(rq->rcpt, '@');
	size_t ul = at ? (size_t)(at - rq->rcpt) : 0;

	if (g) {
		group_send(rq, g);
		return true;
	}
	if (im->exploder[0] && ul == strlen(im->exploder) &&
	    !strncmp(rq->rcpt, im->exploder, ul) &&
	    sip_msg_hdr_has_value(rq->msg, SIP_HDR_REQUIRE,
	                          "recipient-list-message")) {
		urilist_send(rq);
		return true;
	}
	return false;
}
