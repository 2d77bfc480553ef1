/* proxy/domain.h - the domains this server is responsible for */
#ifndef PROXY_DOMAIN_H
#define PROXY_DOMAIN_H

#include <stdbool.h>

#include "../base/pl.h"
#include "../base/sa.h"

struct dom;
struct store;

/* Domains from the store plus extra (e.g. --domain), reloadable. */
int dom_alloc(struct dom **dp, struct store *st);
int dom_add(struct dom *d, const char *domain);
int dom_reload(struct dom *d);
bool dom_is_local(const struct dom *d, const struct pl *host);
/* Addresses of this server (listeners): a URI whose host is one of them
 * (and port matches one of ours, or none) is "us". */
int dom_add_self(struct dom *d, const struct sa *addr);
bool dom_is_self(const struct dom *d, const struct pl *host, uint16_t port);
/* The first configured domain (default realm). */
const char *dom_default(const struct dom *d);

#endif
