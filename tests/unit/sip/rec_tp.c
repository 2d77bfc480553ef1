/* tests/unit/sip/rec_tp.c - a recording transport for state machine tests */
#include "rec_tp.h"

#include <errno.h>
#include <string.h>

#include "base/mem.h"
#include "base/tmr.h"

struct rec_ent {
	struct rec_sent s;
	sip_send_err_h *eh; /* held while rec_tp_hold() was on */
	void *arg;          /* reference held with eh */
};

struct rec_tp {
	struct tmrl *tmrl; /* borrowed */
	struct rec_ent *ents;
	uint32_t max;
	uint32_t n;     /* kept */
	uint32_t count; /* sent */
	int fail_err;
	uint32_t fail_n;
	bool hold;
	struct sa laddr;
};

static void ent_reset(struct rec_ent *e)
{
	mem_deref(e->s.mb);
	mem_deref(e->arg);
	memset(e, 0, sizeof(*e));
}

void rec_tp_clear(struct rec_tp *rt)
{
	if (!rt)
		return;
	for (uint32_t i = 0; i < rt->n; i++)
		ent_reset(&rt->ents[i]);
	rt->n = 0;
	rt->count = 0;
}

static void rec_tp_destroy(void *data)
{
	struct rec_tp *rt = data;

	rec_tp_clear(rt);
	mem_deref(rt->ents);
}

int rec_tp_alloc(struct rec_tp **rtp, struct tmrl *tmrl, uint32_t max)
{
	struct rec_tp *rt;

	if (!rtp)
		return EINVAL;
	rt = mem_zalloc(sizeof(*rt), rec_tp_destroy);
	if (!rt)
		return ENOMEM;
	rt->tmrl = tmrl;
	rt->max = max;
	if (max) {
		rt->ents = mem_zalloc(max * sizeof(*rt->ents), NULL);
		if (!rt->ents) {
			mem_deref(rt);
			return ENOMEM;
		}
	}
	(void)sa_set_str(&rt->laddr, "127.0.0.1", 5060);
	*rtp = rt;
	return 0;
}

static int rec_send(void *ctx, const struct sip_dst *dst, struct buf *mb,
                    sip_send_err_h *eh, void *arg)
{
	struct rec_tp *rt = ctx;
	struct rec_ent *e;

	if (!rt || !dst || !mb)
		return EINVAL;
	if (rt->fail_n) {
		rt->fail_n--;
		return rt->fail_err;
	}
	rt->count++;
	if (rt->n >= rt->max)
		return 0;
	e = &rt->ents[rt->n++];
	e->s.dst = *dst;
	e->s.mb = mem_ref(mb);
	e->s.t = rt->tmrl ? tmrl_now(rt->tmrl) : 0;
	if (rt->hold && eh) {
		e->eh = eh;
		e->arg = mem_ref(arg);
	}
	return 0;
}

static int rec_laddr(void *ctx, enum sip_transp tp, const struct sa *dst,
                     struct sa *local)
{
	struct rec_tp *rt = ctx;

	(void)tp;
	(void)dst;
	if (!rt || !local)
		return EINVAL;
	*local = rt->laddr;
	return 0;
}

const struct sip_tp_ops *rec_tp_ops(void)
{
	static const struct sip_tp_ops ops = {rec_send, rec_laddr};

	return &ops;
}

uint32_t rec_tp_count(const struct rec_tp *rt)
{
	return rt ? rt->count : 0;
}

const struct rec_sent *rec_tp_get(const struct rec_tp *rt, uint32_t i)
{
	if (!rt || i >= rt->n)
		return NULL;
	return &rt->ents[i].s;
}

struct pl rec_tp_pl(const struct rec_tp *rt, uint32_t i)
{
	const struct rec_sent *s = rec_tp_get(rt, i);
	struct pl pl = PL_INIT;

	if (s)
		pl_set_mem(&pl, s->mb->b, s->mb->end);
	return pl;
}

static bool starts(const struct rec_tp *rt, uint32_t i, const char *prefix)
{
	struct pl pl = rec_tp_pl(rt, i);
	size_t n = strlen(prefix);

	return pl.l >= n && !memcmp(pl.p, prefix, n);
}

uint32_t rec_tp_count_prefix(const struct rec_tp *rt, const char *prefix)
{
	uint32_t c = 0;

	if (!rt || !prefix)
		return 0;
	for (uint32_t i = 0; i < rt->n; i++)
		c += starts(rt, i, prefix);
	return c;
}

int rec_tp_find(const struct rec_tp *rt, uint32_t from, const char *prefix)
{
	if (!rt || !prefix)
		return -1;
	for (uint32_t i = from; i < rt->n; i++)
		if (starts(rt, i, prefix))
			return (int)i;
	return -1;
}

int rec_tp_decode(const struct rec_tp *rt, uint32_t i, struct sip_msg **msgp)
{
	const struct rec_sent *s = rec_tp_get(rt, i);
	struct parse_err pe;
	struct buf *b;
	int err;

	if (!s || !msgp)
		return ENOENT;
	err = buf_alloc_copy(&b, s->mb->b, s->mb->end);
	if (err)
		return err;
	err = sip_msg_decode(msgp, b, false, &pe);
	mem_deref(b);
	return err;
}

void rec_tp_fail_next(struct rec_tp *rt, int err, uint32_t n)
{
	if (!rt)
		return;
	rt->fail_err = err;
	rt->fail_n = n;
}

void rec_tp_hold(struct rec_tp *rt, bool on)
{
	if (rt)
		rt->hold = on;
}

int rec_tp_fail(struct rec_tp *rt, uint32_t i, int err)
{
	struct rec_ent *e;
	sip_send_err_h *eh;
	void *arg;

	if (!rt || i >= rt->n || !rt->ents[i].eh)
		return ENOENT;
	e = &rt->ents[i];
	eh = e->eh;
	arg = e->arg;
	e->eh = NULL;
	e->arg = NULL;
	eh(err, arg);
	mem_deref(arg); /* the send is over */
	return 0;
}

void rec_tp_set_laddr(struct rec_tp *rt, const struct sa *laddr)
{
	if (rt && laddr)
		rt->laddr = *laddr;
}

int rec_buf(struct buf **bp, const char *text)
{
	struct buf *b;
	size_t n;
	int err;

	if (!bp || !text)
		return EINVAL;
	n = strlen(text);
	err = buf_alloc(&b, 2 * n + 1);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++) {
		if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
			err = buf_write_u8(b, '\r');
		if (!err)
			err = buf_write_u8(b, (uint8_t)text[i]);
	}
	if (err) {
		mem_deref(b);
		return err;
	}
	b->pos = 0;
	*bp = b;
	return 0;
}

int rec_msg(struct sip_msg **msgp, const char *text, enum sip_transp tp,
            const char *src)
{
	struct sip_msg *msg = NULL;
	struct parse_err pe;
	struct buf *b;
	int err;

	if (!msgp || !text)
		return EINVAL;
	err = rec_buf(&b, text);
	if (err)
		return err;
	err = sip_msg_decode(&msg, b, sip_transp_reliable(tp), &pe);
	if (err)
		goto out;
	msg->tp = tp;
	if (src) {
		err = sa_decode(&msg->src, src, strlen(src));
		if (err)
			goto out;
	}
	(void)sa_set_str(&msg->dst, "127.0.0.1", sip_transp_port(tp));
out:
	mem_deref(b);
	if (err)
		msg = mem_deref(msg);
	else
		*msgp = msg;
	return err;
}
