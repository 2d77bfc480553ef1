/* sip/tsx.c - transaction tables, dispatch (RFC 3261 17, 18.2.2, RFC 3581) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/util.h"
#include "tsx_int.h"

static void tsxl_destroy(void *data)
{
	struct sip_tsxl *tl = data;

	/* Freeing the layer ends every transaction: handles the TU still
	 * holds stay valid but inert. */
	sip_tsx_server_flush(tl);
	sip_tsx_client_flush(tl);
	mem_deref(tl->sht);
	mem_deref(tl->cht);
}

int sip_tsxl_alloc(struct sip_tsxl **tlp, struct tmrl *tmrl,
                   const struct sip_tp_ops *ops, void *tpctx,
                   const struct sip_timers *timers, sip_req_h *reqh, void *arg)
{
	struct sip_tsxl *tl;
	int err;

	if (!tlp || !tmrl || !ops || !ops->send || !timers || !timers->t1 ||
	    !timers->t2 || !timers->t4)
		return EINVAL;
	tl = mem_zalloc(sizeof(*tl), tsxl_destroy);
	if (!tl)
		return ENOMEM;
	tl->tmrl = tmrl;
	tl->ops = ops;
	tl->tpctx = tpctx;
	tl->t = *timers;
	tl->reqh = reqh;
	tl->arg = arg;
	err = hash_alloc(&tl->sht, SIP_TSX_BUCKETS);
	if (err)
		goto out;
	err = hash_alloc(&tl->cht, SIP_TSX_BUCKETS);
	if (err)
		goto out;
out:
	if (err)
		mem_deref(tl);
	else
		*tlp = tl;
	return err;
}

int sip_tsxl_recv(struct sip_tsxl *tl, struct sip_msg *msg)
{
	int err;

	if (!tl || !msg)
		return EINVAL;
	if (!msg->req)
		return sip_tsx_client_recv(tl, msg);
	err = sip_tsx_server_recv(tl, msg);
	if (err != ENOENT)
		return err;
	/* New request, ACK for a 2xx, or CANCEL: the TU decides. tl may be
	 * gone once reqh returns. */
	if (tl->reqh)
		tl->reqh(msg, tl->arg);
	return 0;
}

int sip_tsxl_send(struct sip_tsxl *tl, const struct sip_dst *dst,
                  struct buf *mb)
{
	if (!tl || !dst || !mb)
		return EINVAL;
	return sip_tsx_send(tl, dst, mb, NULL, NULL);
}

void sip_tsxl_branch(struct sip_tsxl *tl, char *buf, size_t size)
{
	char tok[25];

	(void)tl;
	if (!buf || !size)
		return;
	rand_token(tok, sizeof(tok) - 1);
	snprintf(buf, size, "%s%s", SIP_TSX_COOKIE, tok);
}

struct tmrl *sip_tsxl_tmrl(struct sip_tsxl *tl)
{
	return tl ? tl->tmrl : NULL;
}

const struct sip_tp_ops *sip_tsxl_tp_ops(struct sip_tsxl *tl, void **ctx)
{
	if (!tl)
		return NULL;
	if (ctx)
		*ctx = tl->tpctx;
	return tl->ops;
}

const struct sip_timers *sip_tsxl_timers(const struct sip_tsxl *tl)
{
	return tl ? &tl->t : NULL;
}

uint32_t sip_tsxl_count(const struct sip_tsxl *tl, bool server)
{
	if (!tl)
		return 0;
	return server ? tl->nst : tl->nct;
}

void sip_resp_dst(struct sip_dst *dst, const struct sip_msg *req)
{
	const struct sip_via *via;
	uint16_t port;

	if (!dst)
		return;
	memset(dst, 0, sizeof(*dst));
	if (!req)
		return;
	via = &req->via;
	dst->tp = req->tp != SIP_TRANSP_NONE ? req->tp : via->tp;

	/* Streams: back on the connection the request came on; the
	 * transport reuses an open connection to the source address. */
	if (sip_transp_reliable(dst->tp)) {
		dst->addr = req->src;
		return;
	}

	/* UDP (18.2.2, RFC 3581). The received and rport values that count
	 * are the ones this server would add (18.2.1): the packet's source
	 * address and port. Values a sender wrote into its own Via (RFC 5118
	 * 4.5 has received=[2001:db8::9:255]) are not ours and not
	 * reachable. So: the source address; the source port when rport is
	 * present, else the sent-by port or 5060. maddr is not honoured. */
	dst->addr = req->src;
	if (via->rport)
		port = sa_port(&req->src);
	else
		port = via->port ? via->port : sip_transp_port(SIP_TRANSP_UDP);
	sa_set_port(&dst->addr, port);
}

/* --- helpers shared by the client and server halves --- */

bool sip_tsx_branch_is_rfc3261(const struct pl *branch)
{
	size_t n = sizeof(SIP_TSX_COOKIE) - 1;

	return branch && branch->p && branch->l > n &&
	       !memcmp(branch->p, SIP_TSX_COOKIE, n);
}

uint16_t sip_tsx_via_port(const struct sip_via *v)
{
	if (v->port)
		return v->port;
	return sip_transp_port(v->tp != SIP_TRANSP_NONE ? v->tp
	                                                : SIP_TRANSP_UDP);
}

bool sip_tsx_sentby_eq(const struct sip_via *a, const struct sip_via *b)
{
	return !pl_casecmp(&a->host, &b->host) &&
	       sip_tsx_via_port(a) == sip_tsx_via_port(b);
}

static void pl_copy_trunc(char *buf, size_t size, const struct pl *pl)
{
	size_t n = pl && pl->p ? pl->l : 0;

	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(buf, pl->p, n);
	buf[n] = '\0';
}

void sip_tsx_lctx_init(struct log_ctx *lctx, const struct sip_msg *msg,
                       const struct sip_dst *dst)
{
	char addr[56];

	memset(lctx, 0, sizeof(*lctx));
	if (msg) {
		pl_copy_trunc(lctx->callid, sizeof(lctx->callid), &msg->callid);
		pl_copy_trunc(lctx->branch, sizeof(lctx->branch),
		              &msg->via.branch);
	}
	if (dst && !sa_print(&dst->addr, addr, sizeof(addr)))
		snprintf(lctx->peer, sizeof(lctx->peer), "%s:%s",
		         sip_transp_lname(dst->tp), addr);
}

int sip_tsx_send(struct sip_tsxl *tl, const struct sip_dst *dst, struct buf *mb,
                 sip_send_err_h *eh, void *arg)
{
	return tl->ops->send(tl->tpctx, dst, mb, eh, arg);
}

uint32_t sip_tsx_64t1(const struct sip_tsxl *tl)
{
	return 64 * tl->t.t1;
}
