/* rls/rls_int.h - internals shared by the resource list server's files */
#ifndef RLS_RLS_INT_H
#define RLS_RLS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/hash.h"
#include "../base/list.h"
#include "../base/tmr.h"
#include "../event/evt.h"
#include "rlmi.h"
#include "rls.h"

struct buf;
struct docwatch;
struct rls_services;

#define RLS_XCAP_ROOT "/xcap/" /* where XCAP references point (xcap.root) */

struct rls {
	struct rls_conf cf;
	char *suffix;          /* owned copy of cf.buddies_suffix */
	struct evt *e;         /* borrowed */
	struct store *st;      /* borrowed */
	struct tmrl *tl;       /* borrowed */
	const struct dom *dom; /* borrowed */
	struct docwatch *docs;
	struct hash *ldocs;  /* struct ldoc by owner */
	struct hash *svcs;   /* struct svc by service key */
	struct hash *bes;    /* struct rls_be by key */
	struct list lsubs;   /* struct lsub */
	struct tmr tmr_redo; /* lists to resolve again after changes */
	struct rls_stats stats;
};

/* A stored resource-lists or rls-services document. */
struct ldoc {
	struct le le; /* in rls.ldocs, by owner */
	char *auid, *owner, *name;
	char *content;
	size_t len;
	struct rls_services *svc; /* rls-services: parsed, or NULL */
};

/* A service URI defined in someone's rls-services document. */
struct svc {
	struct le le; /* in rls.svcs, by key */
	char *key;    /* "friends@example.com" */
	char *uri;    /* as written */
	char *owner;
};

/* A member of a resolved list. */
struct rmem {
	char *uri;
	char *name; /* display name or NULL */
};
struct rset {
	struct rmem *m; /* mem array */
	uint32_t n, cap;
	struct hash *seen; /* member keys (dedup) */
};

/* A back-end subscription: one watcher's view of one resource, shared by
 * every list subscription of that watcher that holds the resource. Each
 * struct lmem holds a reference. */
struct rls_be {
	struct le he; /* in rls.bes */
	struct rls *r;
	char *key;     /* watcher identity "|" member key */
	char *uri;     /* the member URI */
	char *aor;     /* local: the resource "bob@example.com", else NULL */
	char *watcher; /* "sip:alice@example.com" */
	char *ident;   /* or NULL */
	char *display;
	struct evt_sub *isub;  /* local */
	struct evt_csub *csub; /* remote */
	struct tmr tmr;        /* remote: subscribe again */
	bool known;            /* a state arrived (or is final) */
	enum rlmi_state state;
	const char *reason; /* static */
	struct buf *body;   /* the latest document (reference) or NULL */
	char *ctype;
	char id[12];       /* instance id */
	struct list users; /* struct lmem */
};

struct lsub;
struct lmem {
	struct le le; /* in be->users */
	struct lsub *ls;
	struct rls_be *be; /* reference */
	char *key;         /* member key (dedup, reuse after changes) */
	char *uri, *name;
	bool changed; /* not yet in a NOTIFY */
};

/* A list subscription (evt_sub_data). */
struct lsub {
	struct le le; /* in rls.lsubs */
	struct rls *r;
	struct evt_sub *sub; /* borrowed; NULL once ended */
	char *owner;         /* the list's owner "alice@example.com" */
	char *uri;           /* "sip:friends@example.com" */
	struct lmem *m;      /* mem array of n */
	uint32_t n;
	struct tmr tmr_wait; /* first NOTIFY: waiting for members */
	bool accepted;
	bool redo; /* resolve again (documents changed) */
};

/* rls_res.c */
/* The key of a member URI: "user@host" for sip/sips/pres URIs (host
 * lower case), else the URI itself. */
int rls_member_key(char **keyp, const char *uri);
/* Does resource belong to a list (a service URI or a buddy list)? */
bool rls_owns(const struct rls *r, const char *resource);
/* The members of list resource: ENOENT when no such list; *ownerp the
 * owner ("alice@example.com"). */
int rls_resolve(struct rls *r, const char *resource, char **ownerp,
                struct rset **setp);
/* A document changed (content NULL: deleted). */
int rls_doc_update(struct rls *r, const char *auid, const char *owner,
                   const char *name, const char *content, size_t len);

/* rls_be.c */
int rls_be_get(struct rls_be **bep, struct rls *r, const char *uri,
               const char *key, const char *watcher, const char *ident,
               const char *display);
/* rls.c: a back-end's state changed: NOTIFY its lists */
void rls_be_changed(struct rls_be *be);

#endif
