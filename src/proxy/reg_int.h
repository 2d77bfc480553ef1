/* proxy/reg_int.h - internals shared by location, registrar and auth */
#ifndef PROXY_REG_INT_H
#define PROXY_REG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/sa.h"
#include "../sip/msg.h"

struct log_ctx;
struct loc;
struct tmrl;

/* The timer list the location service runs on. */
struct tmrl *loc_tmrl(const struct loc *loc);

/* "udp:192.0.2.1:5060" / "tcp:[2001:db8::1]:5060"; "" when tp is NONE.
 * ERANGE if it does not fit. */
int loc_rx_print(enum sip_transp tp, const struct sa *addr, char *buf,
                 size_t size);
/* The reverse; EINVAL. */
int loc_rx_decode(const char *s, enum sip_transp *tp, struct sa *addr);

/* Digest request-digest with qop (RFC 7616 3.4.1): hex of
 * H(ha1:nonce:nc:cnonce:qop:H(met:uri)); alg "MD5" or "SHA-256". */
int auth_response(char *out, size_t size, const char *alg, const char *ha1,
                  const struct pl *nonce, const struct pl *nc,
                  const struct pl *cnonce, const struct pl *qop,
                  const struct pl *met, const struct pl *uri);

/* Log context of a request: Call-ID, peer, branch. */
void reg_lctx(struct log_ctx *lc, const struct sip_msg *msg);

#endif
