/* sip/encode.c - header and response encoding (RFC 3261 7.3, 8.2.6) */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "../base/mem.h"
#include "msg.h"
#include "msg_int.h"

/* Write a value with its folding undone (CR and LF dropped, the WSP that
 * followed them kept). */
static int write_unfolded(struct buf *mb, const struct pl *v)
{
	const char *p = v->p, *e;
	int err;

	if (!p || !v->l)
		return 0;
	e = p + v->l;
	while (p < e) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		const char *q = nl ? nl : e;

		if (q > p && q[-1] == '\r')
			--q;
		err = buf_write(mb, p, (size_t)(q - p));
		if (err)
			return err;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static int write_hdr(struct buf *mb, const char *name, const struct pl *v)
{
	int err = buf_write_str(mb, name);

	err = err ? err : buf_write(mb, ": ", 2);
	err = err ? err : write_unfolded(mb, v);
	return err ? err : buf_write(mb, "\r\n", 2);
}

int sip_hdr_encode(struct buf *mb, const struct sip_hdr *h)
{
	const char *name;
	int err;

	if (!mb || !h)
		return EINVAL;
	name = sip_hdr_name(h->id);
	if (name)
		return write_hdr(mb, name, &h->val);
	err = buf_write_pl(mb, &h->name);
	err = err ? err : buf_write(mb, ": ", 2);
	err = err ? err : write_unfolded(mb, &h->val);
	return err ? err : buf_write(mb, "\r\n", 2);
}

/* The top Via as received, with received/rport filled in from the packet
 * source (RFC 3261 18.2.1, RFC 3581 4). */
int sip_via_encode_rx(struct buf *mb, const struct sip_msg *msg,
                      const struct sip_hdr *h)
{
	struct parse_err pe;
	struct sip_via v;
	char ip[64];
	struct pl rest, prefix;
	bool fill_rport;
	int err;

	if (sip_via_decode(&v, &h->val, &pe) || !sa_isset(&msg->src) ||
	    sa_ntop(&msg->src, ip, sizeof(ip)))
		return sip_hdr_encode(mb, h);
	fill_rport = v.rport && !v.rport_val;
	if (!v.rport && !pl_strcmp(&v.host, ip))
		return sip_hdr_encode(mb, h);

	prefix = h->val;
	rest = PL("");
	if (v.params.p && v.params.p >= h->val.p &&
	    v.params.p <= h->val.p + h->val.l) {
		prefix.l = (size_t)(v.params.p - h->val.p);
		rest = v.params;
	}
	err = buf_printf(mb, "Via: %.*s", PL_PRINT(&prefix));
	while (!err && rest.l) {
		const char *semi;
		struct pl prm, name;
		const char *eq;

		if (rest.p[0] == ';') {
			rest.p++;
			rest.l--;
		}
		semi = pl_strchr(&rest, ';');
		prm.p = rest.p;
		prm.l = semi ? (size_t)(semi - rest.p) : rest.l;
		rest.p += prm.l;
		rest.l -= prm.l;
		pl_trim(&prm);
		if (!prm.l)
			continue;
		eq = pl_strchr(&prm, '=');
		name.p = prm.p;
		name.l = eq ? (size_t)(eq - prm.p) : prm.l;
		pl_trim(&name);
		if (!pl_strcasecmp(&name, "received"))
			continue;
		if (fill_rport && !pl_strcasecmp(&name, "rport"))
			err = buf_printf(mb, ";rport=%u", sa_port(&msg->src));
		else
			err = buf_printf(mb, ";%.*s", PL_PRINT(&prm));
	}
	if (!err)
		err = buf_printf(mb, ";received=%s\r\n", ip);
	return err;
}

int sip_resp_encode(struct buf **mbp, const struct sip_msg *req, uint16_t scode,
                    const char *reason, const char *totag,
                    const struct pl *body, const char *fmt, ...)
{
	const struct sip_hdr *from = NULL, *to = NULL, *cid = NULL,
	                     *cseq = NULL;
	struct buf *mb = NULL;
	size_t blen = body && body->p ? body->l : 0;
	bool first_via = true;
	int err;

	if (!mbp || !req || scode < 100 || scode > 699)
		return EINVAL;
	err = buf_alloc(&mb, 512 + blen);
	if (err)
		return err;
	err = buf_printf(mb, "SIP/2.0 %u %s\r\n", scode,
	                 reason ? reason : sip_reason(scode));
	if (err)
		goto out;

	for (const struct le *le = req->hdrl.head; le; le = le->next) {
		const struct sip_hdr *h = le->data;

		switch (h->id) {
		case SIP_HDR_VIA:
			err = first_via ? sip_via_encode_rx(mb, req, h)
			                : write_hdr(mb, "Via", &h->val);
			first_via = false;
			if (err)
				goto out;
			break;
		case SIP_HDR_FROM:
			from = from ? from : h;
			break;
		case SIP_HDR_TO:
			to = to ? to : h;
			break;
		case SIP_HDR_CALL_ID:
			cid = cid ? cid : h;
			break;
		case SIP_HDR_CSEQ:
			cseq = cseq ? cseq : h;
			break;
		default:
			break;
		}
	}
	if (from && (err = write_hdr(mb, "From", &from->val)))
		goto out;
	if (to) {
		err = buf_write_str(mb, "To: ");
		err = err ? err : write_unfolded(mb, &to->val);
		if (!err && scode > 100 && totag && *totag && !req->to.tag.l)
			err = buf_printf(mb, ";tag=%s", totag);
		err = err ? err : buf_write(mb, "\r\n", 2);
		if (err)
			goto out;
	}
	if (cid && (err = write_hdr(mb, "Call-ID", &cid->val)))
		goto out;
	if (cseq && (err = write_hdr(mb, "CSeq", &cseq->val)))
		goto out;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		err = buf_vprintf(mb, fmt, ap);
		va_end(ap);
		if (err)
			goto out;
	}
	err = buf_printf(mb, "Content-Length: %zu\r\n\r\n", blen);
	if (!err && blen)
		err = buf_write(mb, body->p, blen);
	if (err)
		goto out;

	mb->pos = 0;
	*mbp = mb;
	mb = NULL;
out:
	mem_deref(mb);
	return err;
}
