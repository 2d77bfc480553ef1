/* im/im_defer.c - deferred delivery (seed 003 7.2.3-7.2.4, D-16): waiting
 * messages go to the recipient's devices when it registers, one at a time
 * in arrival order, CPIM-wrapped, each deleted only after a 2xx */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/hash.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../proxy/location.h"
#include "../proxy/proxy.h"
#include "../store/store.h"
#include "cpim.h"
#include "im_int.h"
#include "imdn.h"
#include "mwi.h"

#define LOG_MODULE "im"

#define BATCH        16    /* messages read from the store at once */
#define EXPIRE_MS    60000 /* how often old messages are looked for */
#define EXPIRE_BATCH 256

/* One copied stored message (the store's arrays live for one call). */
struct dmsg {
	struct store_msg m; /* strings point into s */
	char *s;
	bool gone;  /* expired meanwhile: counted off already */
	bool plain; /* a device refused message/cpim: send unwrapped */
};

/* A drain run of one user: the batch read from the store and the
 * message on its way. Holds a reference to nothing but itself; the user
 * points at it and it points back while both live. */
struct drain {
	struct im *im;
	struct im_user *u; /* NULL once the user or service is gone */
	struct dmsg *v;    /* mem array of BATCH */
	uint32_t n, i;
};

static void drain_next(struct drain *d);
static void drain_read(struct drain *d);

static void dmsg_reset(struct dmsg *dm)
{
	dm->s = mem_deref(dm->s);
	memset(&dm->m, 0, sizeof(dm->m));
	dm->gone = false;
	dm->plain = false;
}

static void drain_destroy(void *data)
{
	struct drain *d = data;

	for (uint32_t i = 0; i < d->n; i++)
		dmsg_reset(&d->v[i]);
	mem_deref(d->v);
}

/* Copy m's strings into one block. */
static int dmsg_copy(struct dmsg *dm, const struct store_msg *m)
{
	const char *src[] = {m->owner,     m->sender, m->sender_name,
	                     m->recipient, m->ctype,  m->imdn_id};
	size_t len = m->len + 1, off = 0;
	const char **dst[] = {&dm->m.owner,       &dm->m.sender,
	                      &dm->m.sender_name, &dm->m.recipient,
	                      &dm->m.ctype,       &dm->m.imdn_id};
	char *s;

	for (size_t i = 0; i < ARRAY_SIZE(src); i++)
		len += strlen(src[i] ? src[i] : "") + 1;
	s = mem_alloc(len, NULL);
	if (!s)
		return ENOMEM;
	dm->m = *m;
	for (size_t i = 0; i < ARRAY_SIZE(src); i++) {
		size_t n = strlen(src[i] ? src[i] : "");

		memcpy(s + off, src[i] ? src[i] : "", n + 1);
		*dst[i] = s + off;
		off += n + 1;
	}
	if (m->len)
		memcpy(s + off, m->body, m->len);
	s[off + m->len] = '\0';
	dm->m.body = s + off;
	dm->s = s;
	return 0;
}

/* --- counting and message-summary --- */

static void count_changed(struct im *im, struct im_user *u)
{
	if (im->mwi)
		im_mwi_set(im->mwi, u->aor, u->waiting);
}

static void count_removed(struct im *im, struct im_user *u, size_t len)
{
	if (u->waiting)
		u->waiting--;
	u->bytes = u->bytes > len ? u->bytes - len : 0;
	if (im->stats.waiting)
		im->stats.waiting--;
	count_changed(im, u);
}

static bool registered(const struct im *im, const char *aor)
{
	return list_head(loc_find(im->loc, aor)) != NULL;
}

static void retry_h(void *arg)
{
	struct im_user *u = arg;

	im_defer_kick(u->im, u);
}

/* --- one delivery --- */

int im_defer_request(struct buf **mbp, const struct im *im,
                     const struct store_msg *m, bool plain)
{
	struct cpim_wrap w;
	struct buf *body = NULL, *mb = NULL;
	const char *ct = m->ctype && m->ctype[0] ? m->ctype : "text/plain";
	const char *bp = m->body;
	size_t blen = m->len;
	char callid[40], tag[20], disp[96] = "", *name = NULL;
	bool wrap = !plain && strncasecmp(ct, "message/cpim", 12) != 0;
	int err = 0;

	rand_token(callid, 24);
	rand_token(tag, 12);
	if (wrap) {
		memset(&w, 0, sizeof(w));
		w.from_name =
		    m->sender_name && m->sender_name[0] ? m->sender_name : NULL;
		w.from_uri = m->sender;
		w.to_uri = m->recipient;
		w.datetime_ms = m->received_ms;
		if (m->imdn_id && m->imdn_id[0]) {
			w.imdn_id = m->imdn_id;
			imdn_disp_print(disp, sizeof(disp), m->imdn_disp);
			w.imdn_disp = disp[0] ? disp : NULL;
		}
		w.ctype = ct;
		w.body = m->body;
		w.len = m->len;
		err = cpim_build(&body, &w);
		if (err)
			return err;
		bp = (const char *)body->b;
		blen = body->end;
		ct = "message/cpim";
	}
	/* the display name goes in quotes with '"' and '\' escaped */
	if (m->sender_name && m->sender_name[0]) {
		size_t n = strlen(m->sender_name);

		name = mem_alloc(2 * n + 1, NULL);
		if (!name) {
			err = ENOMEM;
			goto out;
		}
		for (size_t i = 0, j = 0; i <= n; i++) {
			char c = m->sender_name[i];

			if (c == '"' || c == '\\')
				name[j++] = '\\';
			if (c == '\r' || c == '\n')
				c = ' ';
			name[j++] = c;
		}
	}
	err = buf_alloc(&mb, blen + 512);
	if (!err)
		err =
		    buf_printf(mb,
		               "MESSAGE sip:%s SIP/2.0\r\n"
		               "From: %s%s%s<%s>;tag=%s\r\n"
		               "To: <%s>\r\n"
		               "Call-ID: %s@impd\r\n"
		               "CSeq: 1 MESSAGE\r\n"
		               "Max-Forwards: 70\r\n"
		               "%s%s%s"
		               "Content-Type: %s\r\n"
		               "Content-Length: %zu\r\n\r\n",
		               m->owner, name ? "\"" : "", name ? name : "",
		               name ? "\" " : "", m->sender, tag, m->recipient,
		               callid, im->server_name ? "User-Agent: " : "",
		               im->server_name ? im->server_name : "",
		               im->server_name ? "\r\n" : "", ct, blen);
	if (!err && blen)
		err = buf_write(mb, bp, blen);
	if (err) {
		mb = mem_deref(mb);
		goto out;
	}
	*mbp = mb;
out:
	mem_deref(name);
	mem_deref(body);
	return err;
}

static void deleted_h(int err, void *arg)
{
	struct drain *d = arg;
	struct dmsg *dm;

	if (!d->u)
		return;
	dm = &d->v[d->i];
	if (err) {
		/* it went out but is still stored: stop here rather than
		 * deliver it twice; the next run tries the delete again */
		log_warn(NULL, "deleting delivered message %llu: %s",
		         (unsigned long long)dm->m.id, err_str(err));
		d->u->draining = false;
		return;
	}
	if (!dm->gone)
		count_removed(d->im, d->u, dm->m.len);
	d->i++;
	drain_next(d);
}

static void outcome(struct im *im, const struct store_msg *m, const char *what)
{
	if (m->arch_in)
		store_arch_outcome(im->st, m->arch_in, what, NULL, NULL);
	if (m->arch_out)
		store_arch_outcome(im->st, m->arch_out, what, NULL, NULL);
}

static void stop(struct drain *d, uint16_t scode)
{
	struct im_user *u = d->u;
	struct im *im = d->im;

	log_info(NULL, "delivery to %s stopped (%u); %u waiting", u->aor, scode,
	         u->waiting);
	u->draining = false;
	if (registered(im, u->aor) && im->cf.retry_s)
		tmr_start(&u->retry, im->tl, im->cf.retry_s * 1000ULL, retry_h,
		          u);
}

static bool sent_h(uint16_t scode, const struct sip_msg *resp, void *arg)
{
	struct drain *d = arg;
	struct im *im = d->im;
	struct dmsg *dm;
	char what[32];
	int err;

	(void)resp;
	if (!d->u)
		return false;
	dm = &d->v[d->i];
	store_msg_tried(im->st, dm->m.id, NULL, NULL);
	if (scode < 300) {
		log_info(NULL, "stored message %llu delivered to %s",
		         (unsigned long long)dm->m.id, d->u->aor);
		im->stats.delivered_later++;
		outcome(im, &dm->m, "delivered");
		err = store_msg_delete(im->st, dm->m.id, deleted_h, d);
		if (err)
			deleted_h(err, d);
		return false;
	}
	if (scode == 408 || scode == 480 || (scode >= 500 && scode < 600)) {
		stop(d, scode);
		return false;
	}
	/* a device that does not take CPIM (baresip 1.0 answers 415):
	 * once more as it came, without the wrapper */
	if (scode == 415 && !dm->plain &&
	    strncasecmp(dm->m.ctype, "message/cpim", 12)) {
		log_info(NULL,
		         "stored message %llu: CPIM refused by %s, "
		         "sending it unwrapped",
		         (unsigned long long)dm->m.id, d->u->aor);
		dm->plain = true;
		drain_next(d);
		return false;
	}
	/* refused for good by the device (415, 488, 603 ...) */
	log_notice(NULL, "stored message %llu refused by %s: %u, dropped",
	           (unsigned long long)dm->m.id, d->u->aor, scode);
	snprintf(what, sizeof(what), "failed %u", scode);
	outcome(im, &dm->m, what);
	if (dm->m.imdn_disp & IMDN_NEGATIVE_DELIVERY)
		im_imdn_send(im, &dm->m, IMDN_FAILED);
	err = store_msg_delete(im->st, dm->m.id, deleted_h, d);
	if (err)
		deleted_h(err, d);
	return false;
}

static void drain_next(struct drain *d)
{
	struct im *im = d->im;
	struct buf *mb = NULL;
	struct dmsg *dm;
	char pai[300];
	int err;

	if (!d->u)
		return;
	while (d->i < d->n && d->v[d->i].gone)
		d->i++; /* expired while waiting in this batch */
	if (d->i >= d->n) {
		drain_read(d);
		return;
	}
	dm = &d->v[d->i];
	d->u->cursor = dm->m.id;
	err = im_defer_request(&mb, im, &dm->m, dm->plain);
	if (!err) {
		snprintf(pai, sizeof(pai), "%s", dm->m.sender);
		err =
		    proxy_originate(im->px, (const char *)mb->b, mb->end,
		                    dm->m.sender_auth ? pai : NULL, sent_h, d);
	}
	mem_deref(mb);
	if (err == EINVAL || err == EBADMSG) {
		/* it can never be sent: drop it rather than block the
		 * messages behind it */
		log_warn(NULL, "stored message %llu dropped: %s",
		         (unsigned long long)dm->m.id, err_str(err));
		err = store_msg_delete(im->st, dm->m.id, deleted_h, d);
		if (err)
			deleted_h(err, d);
	} else if (err) {
		log_warn(NULL, "delivering stored message %llu: %s",
		         (unsigned long long)dm->m.id, err_str(err));
		stop(d, 500);
	}
}

static void batch_h(int err, const struct store_msg *msgs, uint32_t n,
                    void *arg)
{
	struct drain *d = arg;

	if (!d->u)
		return;
	for (uint32_t i = 0; i < d->n; i++)
		dmsg_reset(&d->v[i]);
	d->n = d->i = 0;
	if (err) {
		log_warn(NULL, "reading stored messages of %s: %s", d->u->aor,
		         err_str(err));
		stop(d, 500);
		return;
	}
	for (uint32_t i = 0; i < n && i < BATCH; i++) {
		if (dmsg_copy(&d->v[i], &msgs[i])) {
			stop(d, 500);
			return;
		}
		d->n++;
	}
	if (!d->n) {
		struct im_user *u = d->u;

		u->draining = false;
		log_debug(NULL, "no more stored messages for %s", u->aor);
		/* a run from the start that found nothing: the store is the
		 * truth for the count */
		if (!u->cursor && u->waiting) {
			d->im->stats.waiting -=
			    MIN(d->im->stats.waiting, u->waiting);
			u->waiting = 0;
			u->bytes = 0;
			count_changed(d->im, u);
		}
		return;
	}
	drain_next(d);
}

static void drain_read(struct drain *d)
{
	int err = store_msg_list_async(d->im->st, d->u->aor, d->u->cursor,
	                               BATCH, batch_h, d);

	if (err)
		batch_h(err, NULL, 0, d);
}

void im_defer_kick(struct im *im, struct im_user *u)
{
	struct drain *d;

	if (!im || !u || u->draining || !u->waiting || !registered(im, u->aor))
		return;
	tmr_cancel(&u->retry);
	d = u->drain;
	if (!d) {
		d = mem_zalloc(sizeof(*d), drain_destroy);
		if (d)
			d->v = mem_zalloc(BATCH * sizeof(*d->v), NULL);
		if (!d || !d->v) {
			mem_deref(d);
			return;
		}
		d->im = im;
		d->u = u;
		u->drain = d;
	}
	u->draining = true;
	u->cursor = 0;
	log_info(NULL, "delivering %u stored message(s) to %s", u->waiting,
	         u->aor);
	drain_read(d);
}

void im_defer_added(struct im *im, struct im_user *u, size_t len, bool kick)
{
	u->waiting++;
	u->bytes += len;
	im->stats.waiting++;
	count_changed(im, u);
	if (kick)
		im_defer_kick(im, u);
	else if (!u->draining && !tmr_isrunning(&u->retry) &&
	         registered(im, u->aor) && im->cf.retry_s)
		tmr_start(&u->retry, im->tl, im->cf.retry_s * 1000ULL, retry_h,
		          u);
}

/* --- triggers --- */

static void loc_changed(const char *aor, void *arg)
{
	struct im *im = arg;
	struct im_user *u = im_user_find(im, aor);

	if (u && u->waiting && !u->draining)
		im_defer_kick(im, u);
}

/* --- expiry (DEF-04) --- */

static void expire_start(struct im *im);

static void expired_h(int err, const struct store_msg *msgs, uint32_t n,
                      void *arg)
{
	struct im *im = arg;

	im->expiring = false;
	if (err) {
		log_warn(NULL, "expiring stored messages: %s", err_str(err));
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct store_msg *m = &msgs[i];
		struct im_user *u = im_user_find(im, m->owner);

		log_info(NULL, "stored message %llu for %s expired",
		         (unsigned long long)m->id, m->owner);
		im->stats.expired++;
		outcome(im, m, "expired");
		/* in the batch of a drain run: the run must not count it
		 * off again (nor send it when it has not gone yet) */
		for (uint32_t k = 0; u && u->drain && k < u->drain->n; k++)
			if (u->drain->v[k].m.id == m->id)
				u->drain->v[k].gone = true;
		if (u)
			count_removed(im, u, m->len);
		if (m->imdn_disp & IMDN_NEGATIVE_DELIVERY)
			im_imdn_send(im, m, IMDN_FAILED);
	}
	if (n >= EXPIRE_BATCH)
		expire_start(im);
}

static void expire_start(struct im *im)
{
	if (im->expiring)
		return;
	im->expiring = true;
	if (store_msg_expire(im->st, tmrl_wallclock(im->tl), EXPIRE_BATCH,
	                     expired_h, im)) {
		im->expiring = false;
	}
}

/* Archive retention (im.archive_days), once an hour. */
static void archive_expire(struct im *im)
{
	uint64_t keep = (uint64_t)im->cf.archive_days * 86400000ULL;
	uint64_t now = im_now_ms(im);
	int err;

	if (!im->cf.archive_days || now <= keep)
		return;
	err = store_arch_expire(im->st, NULL, now - keep, NULL, NULL);
	if (err)
		log_warn(NULL, "archive retention: %s", err_str(err));
}

static void expire_h(void *arg)
{
	struct im *im = arg;

	tmr_start(&im->expire_tmr, im->tl, EXPIRE_MS, expire_h, im);
	expire_start(im);
	if (im->ticks++ % 60 == 0)
		archive_expire(im);
}

/* --- set-up --- */

static void owner_h(const char *owner, uint32_t n, uint64_t bytes, void *arg)
{
	struct im *im = arg;
	struct im_user *u = im_user_get(im, owner);

	if (!u)
		return;
	u->waiting = n;
	u->bytes = bytes;
	im->stats.waiting += n;
	if (im->mwi)
		im_mwi_set(im->mwi, u->aor, n);
}

static void startup_h(void *arg)
{
	struct im *im = arg;

	tmr_start(&im->expire_tmr, im->tl, EXPIRE_MS, expire_h, im);
	expire_start(im);
	archive_expire(im);
	HASH_FOREACH(im->users, i, le) {
		struct im_user *u = le->data;

		if (u->waiting)
			im_defer_kick(im, u);
	}
}

int im_defer_init(struct im *im)
{
	int err = store_msg_owners(im->st, owner_h, im);

	if (!err)
		err = loc_watch(im->loc, loc_changed, im);
	if (err)
		return err;
	/* after the listeners are up: the first loop iteration */
	tmr_start(&im->expire_tmr, im->tl, 1000, startup_h, im);
	return 0;
}

void im_defer_close(struct im *im)
{
	tmr_cancel(&im->expire_tmr);
	if (!im->users)
		return;
	HASH_FOREACH(im->users, i, le) {
		struct im_user *u = le->data;

		tmr_cancel(&u->retry);
		if (u->drain) {
			u->drain->u = NULL;
			u->drain = mem_deref(u->drain);
		}
	}
}
