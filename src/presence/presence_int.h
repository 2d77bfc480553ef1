/* presence/presence_int.h - internals shared by presence.c (package,
 * composition, authorization) and publish.c (RFC 3903) */
#ifndef PRESENCE_PRESENCE_INT_H
#define PRESENCE_PRESENCE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/hash.h"
#include "../base/list.h"
#include "../base/log.h"
#include "../base/tmr.h"
#include "pidf.h"
#include "presence.h"

struct pres_rules;
struct buf;

enum {
	PRES_AOR_MAX = 256,    /* "user@domain" */
	PRES_ETAG_LEN = 20,    /* entity tags impd gives out */
	PRES_BODY_CACHE = 32,  /* printed bodies kept per presentity */
	PRES_TRUSTED_MAX = 32, /* entries of cf->trusted */
};

/* Counters beyond struct pres_stats (tests look at the body cache). */
struct pres_istats {
	uint32_t compositions;    /* pres_compose runs */
	uint32_t transformations; /* pres_transform / pidf_polite runs */
	uint32_t bodies;          /* NOTIFY bodies handed out (cache hits
	                             included) */
	uint32_t rules_loaded;    /* rules documents applied */
	uint32_t rules_bad;       /* rules documents that did not parse */
};

struct pres {
	struct pres_conf cf;
	char *trusted_s;                 /* mem copy of cf.trusted */
	char *trusted[PRES_TRUSTED_MAX]; /* normalised entries (mem) */
	uint32_t n_trusted;
	struct evt *evt;       /* borrowed: see pres_alloc */
	struct loc *loc;       /* borrowed */
	struct store *st;      /* reference */
	struct tmrl *tl;       /* reference */
	struct hash *pents;    /* struct pent by aor */
	struct list reqs;      /* struct pubreq waiting for the store */
	struct docwatch *docs; /* rules and settings documents */
	uint64_t last_ms;      /* last updated_ms given out */
	uint32_t npubs;        /* live publications */
	uint32_t notifies;     /* composition changes notified */
	struct pres_istats is;
};

/* A presentity impd knows something about: publications, a rules or
 * settings document, or watchers. The hash does not own it: pres holds
 * one reference while it has publications, rules or settings ("held"),
 * each watcher's subscription data holds one; the last one unlinks it. */
struct pent {
	struct le he;
	struct pres *p; /* borrowed; NULL once pres is gone */
	char *aor;      /* "bob@example.com" */
	char *entity;   /* "pres:bob@example.com" */
	bool held;
	struct list pubs;  /* struct ppub, live */
	uint32_t npending; /* initial publications being stored */
	struct pres_rules *rules;
	bool invisible;
	struct tmr rules_tmr;  /* next validity boundary of the rules */
	uint32_t nsubs;        /* presence subscriptions (struct wsub) */
	struct pidf *composed; /* cached composition, or NULL */
	struct buf *printed;   /* composed, printed */
	uint32_t version;      /* bumped when the composition changes */
	struct list bodies;    /* struct pbody: printed views of version */
};

/* One live publication (RFC 3903) of a presentity. */
struct ppub {
	struct le le;    /* in pent->pubs */
	struct pent *pe; /* borrowed: the pent owns the list */
	char *etag;
	char sid[48]; /* source id for composition: the first entity tag
	                 (since this start), kept across refresh and modify */
	char *publisher;
	enum pres_src_kind kind;
	uint64_t created_ms; /* wall clock when it began (0: unknown) */
	uint64_t expires;    /* wall clock, seconds */
	uint64_t updated_ms; /* wall clock of the last modification */
	char *body;          /* the document as published (mem) */
	size_t len;
	struct pidf *doc;
	struct tmr tmr; /* expiry */
	bool busy;      /* a store write for it is in flight */
};

/* --- presence.c --- */
struct pent *pres_pent_find(const struct pres *p, const char *aor);
/* Find or make; a new one is held. ENOMEM. */
int pres_pent_get(struct pent **pep, struct pres *p, const char *aor);
/* Drop the hold when nothing but watchers needs the pent any more (may
 * free it when nobody else holds a reference). */
void pres_pent_check(struct pent *pe);
/* A source of pe changed: recompose, and notify the watchers when the
 * document changed. */
void pres_pent_changed(struct pent *pe);
/* Wall clock in ms, strictly increasing between calls. */
uint64_t pres_wall_ms(struct pres *p);
/* Internal counters. */
void pres_istats_get(const struct pres *p, struct pres_istats *s);

/* --- publish.c --- */
struct sip_msg;
/* Log context of a request: Call-ID, peer, branch (msg may be NULL). */
void pres_lctx(struct log_ctx *lc, const struct sip_msg *msg);

/* Load the stored publications (start-up, synchronous). */
int pres_pub_load(struct pres *p);
/* Make a publication object (not yet linked). */
int pres_ppub_alloc(struct ppub **pp, const char *etag, const char *publisher,
                    enum pres_src_kind kind, const char *body, size_t len,
                    struct pidf *doc);
/* Link pub into pe (pe's list takes a reference). */
void pres_ppub_link(struct pent *pe, struct ppub *pub);
/* Cancel the requests waiting for the store (pres is going away). */
void pres_pub_detach(struct pres *p);

#endif
