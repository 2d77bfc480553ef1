/* proxy/location.h - location service: AoR -> contact bindings (RFC 3261 10,
 * RFC 5627) */
#ifndef PROXY_LOCATION_H
#define PROXY_LOCATION_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/list.h"
#include "../base/sa.h"
#include "../sip/msg.h"

struct store;
struct tmrl;
struct loc;

/* One binding; refcounted (mem). Strings are owned. */
struct loc_binding {
	struct le le;   /* in the AoR's list, q descending, then
	                   newest first */
	char *aor;      /* "alice@example.com" */
	char *contact;  /* Contact URI as registered */
	char *instance; /* +sip.instance or "" */
	uint32_t reg_id;
	char *callid;
	uint32_t cseq;
	uint64_t expires;      /* absolute wall-clock seconds */
	uint32_t q;            /* x1000 */
	char *path;            /* Path values joined with ",", or "" */
	enum sip_transp rx_tp; /* where the REGISTER came from */
	struct sa rx_addr;
	char *params; /* contact params (feature tags) */
	char *user_agent;
	char *temp_gruu; /* token, or "" */
};

/* Loads every binding from st (dropping expired ones); keeps expiry timers
 * on tl; writes changes through store_reg_replace. */
int loc_alloc(struct loc **lp, struct store *st, struct tmrl *tl);
/* The live bindings of aor ("user@domain"), q descending; NULL if none.
 * Borrowed: take mem_ref on a binding to keep it. */
const struct list *loc_find(struct loc *loc, const char *aor);
/* The binding a GRUU Request-URI names (public: aor + ;gr=urn:uuid...,
 * temporary: token@domain;gr), or NULL. */
struct loc_binding *loc_find_gruu(struct loc *loc, const struct sip_uri *uri);
/* Replace aor's bindings with the given list of loc_binding objects
 * (references move in); persists, then calls done(err, arg) (arg: a mem
 * object or NULL). */
typedef void loc_done_h(int err, void *arg);
int loc_replace(struct loc *loc, const char *aor, struct list *bindings,
                loc_done_h *done, void *arg);
/* Wall-clock seconds on the location service's clock (fake in tests):
 * the clock binding expiry times are on. */
uint64_t loc_wallclock(const struct loc *loc);
/* Total bindings (for stats and memory measurements). */
uint32_t loc_count(const struct loc *loc);
/* Told after every change of aor's bindings (reg event, deferred
 * delivery plug in here). One handler per registration call. */
typedef void loc_change_h(const char *aor, void *arg);
int loc_watch(struct loc *loc, loc_change_h *h, void *arg);
/* Print aor key "user@domain" from a URI (user unescaped, host lower
 * case). EINVAL if no user part. */
int loc_aor_print(const struct sip_uri *uri, char *buf, size_t size);

/* added by registrar: a new binding holding copies of b's fields and
 * strings (NULL strings become ""), in one allocation; b->le is not used.
 * The bindings given to loc_replace must come from here. ENOMEM. */
int loc_binding_alloc(struct loc_binding **bp, const struct loc_binding *b);

#endif
