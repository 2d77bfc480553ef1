/* presence/presence.h - the presence service: PUBLISH (RFC 3903), the
 * presence event package (RFC 3856) with composition and authorization,
 * registration-derived presence, invisible mode */
#ifndef PRESENCE_PRESENCE_H
#define PRESENCE_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "pidf.h"

struct evt;
struct loc;
struct store;
struct tmrl;
struct sip_stsx;
struct pres;

struct pres_conf {
	uint32_t pub_min_expires;     /* 60: shorter: 423 */
	uint32_t pub_max_expires;     /* 3600: longer are shortened */
	uint32_t pub_default_expires; /* 3600 */
	uint32_t sub_default_expires; /* 3600 */
	uint32_t max_doc;             /* 65536: larger bodies: 413 */
	uint32_t max_pubs;            /* 16 publications per presentity:
	                                 more get 403 ... see doc */
	bool lenient;                 /* accept the seeds' PIDF forms */
	/* Publishers allowed for any presentity of their domain
	 * ("calendar@example.com, gw@example.com"), or "" */
	const char *trusted;
	/* Default sub-handling when the presentity's rules do not decide:
	 * watchers of the presentity's own domain / of other domains. */
	enum pres_handling default_local;   /* allow */
	enum pres_handling default_foreign; /* confirm */
	bool trust_foreign_from; /* treat an unauthenticated From of another
	                            domain as the watcher's identity for
	                            identity conditions (no: never) */
	uint32_t rules_poll_ms;  /* 500: how often the store is asked for
	                            rules changed by impctl (0: never) */
};

/* Registers the "presence" package (with presence.winfo) on e, watches
 * loc for registration-derived presence, loads stored publications and
 * rules (synchronously: call before the loop runs). */
int pres_alloc(struct pres **pp, const struct pres_conf *cf, struct evt *e,
               struct store *st, struct loc *loc, struct tmrl *tl);

/* proxy_local_h for PUBLISH to a local AoR. */
bool pres_handle_publish(struct sip_stsx *st, const char *ident, void *arg);

/* A rules document of aor changed (XCAP later calls this; impctl changes
 * are found by polling): re-evaluate every watcher of aor now. */
void pres_rules_changed(struct pres *p, const char *aor);

/* Counters for logs and tests. */
struct pres_stats {
	uint32_t presentities;
	uint32_t publications;
	uint32_t notifies_composed;
};
void pres_stats_get(const struct pres *p, struct pres_stats *s);

/* Settings documents: auid "impd-presence" holds per-user options as
 * "key=value" lines; "invisible=yes" makes every watcher but the user
 * see the polite-block document (PRES-12). */
#define PRES_SETTINGS_AUID "impd-presence"

#endif
