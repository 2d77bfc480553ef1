/* im/im_int.h - IM service internals */
#ifndef IM_IM_INT_H
#define IM_IM_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/list.h"
#include "../base/log.h"
#include "../base/tmr.h"
#include "im.h"

struct dom;
struct hash;
struct docwatch;
struct im_mwi;
struct pres_rules;
struct rls_services;
struct sip_msg;
struct store_msg;

/* What impd knows about one local user (documents, waiting messages). */
struct im_user {
	struct le he;                /* in im.users */
	char *aor;                   /* "bob@example.com" */
	struct im *im;               /* borrowed: the service owns its users */
	struct pres_rules *rules;    /* IM_RULES_AUID document, or NULL */
	struct rls_services *groups; /* RLS_AUID document, or NULL */
	bool no_send;                /* settings: send=no */
	char *settings;              /* the settings document (aliases) */
	int archive;                 /* settings: -1 default, 0 no, 1 yes */
	/* deferred messages */
	uint32_t waiting;
	uint64_t bytes;
	bool draining;
	uint64_t cursor;     /* drain: last id handled in this run */
	struct tmr retry;    /* next drain attempt */
	struct drain *drain; /* the drain in progress */
	struct list gidx;    /* struct gidx: this user's group URIs */
};

struct im {
	struct im_conf cf;
	char *server_name;
	char *archive_domains;
	char *exploder;
	struct proxy *px;
	struct loc *loc;
	struct store *st;
	struct evt *e;
	struct tmrl *tl;
	struct hash *users;  /* struct im_user by aor */
	struct hash *groups; /* struct gidx by group URI "user@host" */
	struct dom *dom;
	struct docwatch *docs;
	struct im_mwi *mwi;
	struct tmr expire_tmr;
	bool expiring;
	uint64_t last_ms; /* im_now_ms floor */
	uint32_t ticks;   /* expiry timer runs (archive retention hourly) */
	struct im_stats stats;
};

/* im.c */
struct im_user *im_user_find(const struct im *im, const char *aor);
struct im_user *im_user_get(struct im *im, const char *aor); /* creates */
uint64_t im_now_ms(struct im *im);
bool im_archives(const struct im *im, const char *aor);

/* im_defer.c */
int im_defer_init(struct im *im);
void im_defer_close(struct im *im);
/* A message was stored for u (count it, tell message-summary, deliver
 * soon when u has devices and kick is set). */
void im_defer_added(struct im *im, struct im_user *u, size_t len, bool kick);
/* Start delivering u's waiting messages now (when registered). */
void im_defer_kick(struct im *im, struct im_user *u);
/* The MESSAGE impd sends for a stored message (CPIM-wrapped). */
int im_defer_request(struct buf **mbp, const struct im *im,
                     const struct store_msg *m, bool plain);

/* im_imdn.c: tell the sender of m (its imdn_disp asked for it). */
enum imdn_status;
void im_imdn_send(struct im *im, const struct store_msg *m,
                  enum imdn_status status);

/* im_group.c: MESSAGE to a group URI or to the URI-list service; true
 * when handled (the request is answered). */
struct im_req;
bool im_group_handle(struct im_req *rq);
/* (Re)build the group URIs of u after its rls-services changed. */
void im_group_index(struct im *im, struct im_user *u);

/* A MESSAGE being handled (im.c). */
struct im_req {
	struct im *im;
	struct sip_stsx *st;
	struct sip_msg *msg; /* reference */
	struct log_ctx lctx;
	char ident[256];       /* authenticated "user@domain" or "" */
	char sender[512];      /* "sip:alice@example.com" */
	char sender_name[128]; /* From display name (unquoted) or "" */
	char rcpt[256];        /* Request-URI AoR "bob@example.com" */
	char rcpt_uri[300];    /* "sip:bob@example.com" */
	char ctype[256];
	char imdn_id[128];
	uint32_t imdn_disp;
	bool composing;    /* is-composing: never stored nor archived */
	bool notification; /* an IMDN: not archived */
	uint64_t t_ms;
	uint64_t arch_in, arch_out;
	int arch_pending;    /* archive puts not yet done */
	bool arch_first_out; /* the next archive id is the sender's */
	bool no_store;       /* reception reject: never stored */
	char target[300];    /* a nickname's URI (AUTHZ-05), or "" */
};
/* Fill a store_msg for rq addressed to owner/recipient. */
void im_req_msg(const struct im_req *rq, struct store_msg *m, const char *owner,
                const char *recipient);
/* Store rq for owner (quota, 202 or 486/500 when answer). */
int im_req_reply(struct im_req *rq, uint16_t scode, const char *reason,
                 const char *hdrs);

#endif
