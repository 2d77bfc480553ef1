/* proxy/registrar.h - REGISTER processing (RFC 3261 10.3, RFC 3327, RFC 5627)
 */
#ifndef PROXY_REGISTRAR_H
#define PROXY_REGISTRAR_H

#include <stdbool.h>
#include <stdint.h>

struct sip_stsx;
struct loc;
struct auth;
struct dom;
struct registrar;

struct registrar_conf {
	uint32_t min_expires;     /* 60: lower asks get 423 */
	uint32_t max_expires;     /* 3600: higher asks are cut down */
	uint32_t default_expires; /* 3600 */
	uint32_t max_contacts;    /* per AoR (10): more gets 403 */
	bool auth;                /* require digest (true) */
};

int registrar_alloc(struct registrar **rp, const struct registrar_conf *cf,
                    struct loc *loc, struct auth *auth, struct dom *dom);
/* Handle a REGISTER whose Request-URI names a local domain; answers on
 * st (401, 423, 400, 403, 200 with the current bindings ...). */
void registrar_handle(struct registrar *r, struct sip_stsx *st);

#endif
