/* tests/unit/presence/pres_fix.h - fixture for the presence service tests:
 * fake clock, "mem:" store, location service, events framework on the
 * recording transport, and a watcher side that answers every NOTIFY */
#ifndef TEST_PRES_FIX_H
#define TEST_PRES_FIX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mem.h"
#include "presence/presence.h"
#include "sip/msg.h"
#include "test.h"

struct tmrl;
struct store;
struct loc;
struct rec_tp;
struct sip_tsxl;
struct evt;
struct pres;
struct pidf;

enum { PFX_SUBS = 8 };

/* One watcher's subscription as the watcher sees it. */
struct pfx_sub {
	bool used;
	char callid[48];
	uint16_t scode;       /* final answer to the SUBSCRIBE (0: none) */
	struct sip_msg *last; /* the last NOTIFY (a new CSeq), or NULL */
	uint32_t n;           /* NOTIFYs seen (retransmissions not counted) */
	uint32_t cseq;        /* CSeq of last */
};

struct loop;

struct pfx {
	struct loop *loop; /* or NULL: the store runs inline */
	struct tmrl *tl;
	struct store *st;
	struct loc *loc;
	struct rec_tp *rt;
	struct sip_tsxl *tsxl;
	struct evt *evt;
	struct pres *pres;
	struct pfx_sub subs[PFX_SUBS];
	unsigned n; /* requests made: branches, tags, Call-IDs */
};

/*
 * In an --oom replay an allocation failure inside the service is
 * swallowed (it answers 500, or a NOTIFY is not sent), so later
 * expectations may not hold: there the checks below return ENOMEM. A
 * replay starts with mem_fail_count() == 0; a normal run has allocated
 * before (or is the first test run).
 */
extern bool pfx_oom;
extern uint32_t pfx_starts;
#define PFX_START() (pfx_oom = pfx_starts++ > 0 && mem_fail_count() == 0)
#define PFX_ERR(e)                                                             \
	do {                                                                   \
		int pfx_e = (e);                                               \
		if (pfx_e) {                                                   \
			err = pfx_oom ? ENOMEM : pfx_e;                        \
			if (!pfx_oom)                                          \
				TEST_ERR(err);                                 \
			goto out;                                              \
		}                                                              \
	} while (0)
#define PFX_ASSERT(c)                                                          \
	do {                                                                   \
		if (!(c)) {                                                    \
			if (pfx_oom) {                                         \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_ASSERT(c);                                        \
		}                                                              \
	} while (0)
#define PFX_EQ(a, b)                                                           \
	do {                                                                   \
		if ((long long)(a) != (long long)(b)) {                        \
			if (pfx_oom) {                                         \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_EQ(a, b);                                         \
		}                                                              \
	} while (0)

/* Defaults: publications 60..3600 s, max_doc 4096, 4 publications per
 * presentity, local watchers allowed, others confirm, no polling. */
void pfx_conf(struct pres_conf *cf);
/* Users alice, bob, carol, calendar in example.com (dis: disabled);
 * cf NULL: pfx_conf. pfx_init is pfx_init_store then pfx_start (put
 * publications or documents in the store in between). */
int pfx_init(struct pfx *f, const struct pres_conf *cf);
int pfx_init_store(struct pfx *f);
/* The same on another store ("sqlite:PATH"), with a loop for its
 * completions (run by store_flush in pfx_pump) when loop. */
int pfx_init_store_uri(struct pfx *f, const char *uri, bool loop);
int pfx_start(struct pfx *f, const struct pres_conf *cf);
void pfx_close(struct pfx *f);

/* Answer every NOTIFY sent so far with 200 and note SUBSCRIBE answers. */
int pfx_pump(struct pfx *f);
/* Let ms pass (in steps of at most 500 ms), pumping after each. */
int pfx_run(struct pfx *f, uint64_t ms);

/* PUBLISH to aor ("bob@example.com") from ident (authenticated
 * "user@domain", or NULL: unauthenticated with From from). hdrs: extra
 * header lines ("Expires: 60\n"), may be NULL; ctype NULL: PIDF; body
 * NULL: none. *rspp: the answer. */
int pfx_publish(struct pfx *f, const char *ident, const char *from,
                const char *aor, const char *hdrs, const char *ctype,
                const char *body, struct sip_msg **rspp);
/* The same, answering just the status and the SIP-ETag (etag may be
 * NULL; size >= 64). */
int pfx_pub(struct pfx *f, const char *ident, const char *aor, const char *hdrs,
            const char *body, uint16_t *scode, char *etag);

/* SUBSCRIBE to aor from ident (or unauthenticated from). *sp: the
 * watcher's view; (*sp)->scode the answer. */
int pfx_subscribe(struct pfx *f, struct pfx_sub **sp, const char *ident,
                  const char *from, const char *aor, uint32_t expires);
/* The same with header lines of one's own instead of the Accept line
 * ("Supported: eventlist\nAccept: ...\n"). */
int pfx_subscribe_hdrs(struct pfx *f, struct pfx_sub **sp, const char *ident,
                       const char *from, const char *aor, uint32_t expires,
                       const char *hdrs);
/* Does the last NOTIFY's Subscription-State start with prefix? */
bool pfx_state_is(const struct pfx_sub *s, const char *prefix);
/* The last NOTIFY's body, parsed strictly; ENOENT without body. */
int pfx_doc(const struct pfx_sub *s, struct pidf **dp);
/* Does the last NOTIFY's body contain text? */
bool pfx_body_has(const struct pfx_sub *s, const char *text);

/* Put a document (auid PRES_RULES_AUID or PRES_SETTINGS_AUID) of owner;
 * xml NULL deletes it. tell: call pres_rules_changed (else the service
 * finds it by polling). */
int pfx_doc_put(struct pfx *f, const char *auid, const char *owner,
                const char *xml, bool tell);

/* Register a binding for aor (replacing the others), or none
 * (contact NULL). */
int pfx_register(struct pfx *f, const char *aor, const char *contact,
                 const char *instance, const char *params, uint32_t q);

/* A small PIDF document: entity pres:aor, one tuple. note, activity
 * (rpid element name, e.g. "away") may be NULL. */
int pfx_pidf(char *buf, size_t size, const char *aor, const char *tuple,
             bool open, const char *note, const char *activity);

#endif
