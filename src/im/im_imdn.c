/* im/im_imdn.c - disposition notifications impd sends itself (RFC 5438):
 * "stored" when it defers a message, "failed" when a stored message
 * expires or a device refuses it for good */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/util.h"
#include "../proxy/proxy.h"
#include "../store/store.h"
#include "cpim.h"
#include "im_int.h"
#include "imdn.h"

#define LOG_MODULE "im"

static bool imdn_sent_h(uint16_t scode, const struct sip_msg *resp, void *arg)
{
	(void)resp;
	(void)arg;
	if (scode >= 300)
		log_info(NULL, "IMDN not delivered: %u", scode);
	return false;
}

static int original_datetime(const struct store_msg *m, char *buf, size_t size)
{
	const struct pl *v;
	struct cpim c;
	const char *why;

	if (!m->ctype || strncasecmp(m->ctype, "message/cpim", 12) ||
	    cpim_parse(&c, m->body, m->len, &why))
		return ENOENT;
	v = cpim_field(&c, NULL, "DateTime");
	if (!v || v->l >= size)
		return ENOENT;
	return pl_strcpy(v, buf, size);
}

static int imdn_request(struct buf **mbp, struct im *im,
                        const struct store_msg *m, enum imdn_status status)
{
	struct buf *doc = NULL, *cp = NULL, *mb = NULL;
	struct cpim_wrap w;
	struct imdn d;
	char dt[64], id[40], callid[40], tag[20], rcpt[300];
	int err = 0;

	/* the original's DateTime (RFC 5438 7.2.1.3), else when impd got
	 * it */
	if (original_datetime(m, dt, sizeof(dt)))
		err = cpim_datetime_print(dt, sizeof(dt), m->received_ms);
	if (err)
		return err;
	snprintf(rcpt, sizeof(rcpt), "sip:%s", m->owner);
	memset(&d, 0, sizeof(d));
	d.message_id = (char *)m->imdn_id;
	d.datetime = dt;
	d.recipient_uri = rcpt;
	d.original_recipient_uri = (char *)m->recipient;
	d.kind =
	    status == IMDN_STORED ? IMDN_KIND_PROCESSING : IMDN_KIND_DELIVERY;
	d.status = status;
	err = imdn_print(&doc, &d);
	if (err)
		return err;

	rand_token(id, 20);
	rand_token(callid, 24);
	rand_token(tag, 12);
	memset(&w, 0, sizeof(w));
	w.from_uri = rcpt;
	w.to_uri = m->sender;
	w.datetime_ms = im_now_ms(im);
	w.imdn_id = id;
	w.ctype = IMDN_CTYPE;
	w.extra_content_hdrs = "Content-Disposition: notification\r\n";
	w.body = (const char *)doc->b;
	w.len = doc->end;
	err = cpim_build(&cp, &w);
	if (!err)
		err = buf_alloc(&mb, cp->end + 512);
	if (!err)
		err = buf_printf(mb,
		                 "MESSAGE %s SIP/2.0\r\n"
		                 "From: <%s>;tag=%s\r\n"
		                 "To: <%s>\r\n"
		                 "Call-ID: %s@impd\r\n"
		                 "CSeq: 1 MESSAGE\r\n"
		                 "Max-Forwards: 70\r\n"
		                 "Content-Type: message/cpim\r\n"
		                 "Content-Length: %zu\r\n\r\n",
		                 m->sender, rcpt, tag, m->sender, callid,
		                 cp->end);
	if (!err)
		err = buf_write(mb, cp->b, cp->end);
	mem_deref(doc);
	mem_deref(cp);
	if (err) {
		mem_deref(mb);
		return err;
	}
	*mbp = mb;
	return 0;
}

void im_imdn_send(struct im *im, const struct store_msg *m,
                  enum imdn_status status)
{
	struct buf *mb = NULL;
	int err;

	if (!m->imdn_id || !m->imdn_id[0])
		return;
	err = imdn_request(&mb, im, m, status);
	if (!err)
		err = proxy_originate(im->px, (const char *)mb->b, mb->end,
		                      NULL, imdn_sent_h, NULL);
	mem_deref(mb);
	if (err)
		log_warn(NULL, "IMDN %s for %s to %s: %s",
		         imdn_status_name(status), m->imdn_id, m->sender,
		         err_str(err));
	else
		log_info(NULL, "IMDN %s for %s sent to %s",
		         imdn_status_name(status), m->imdn_id, m->sender);
}
