/* store/store.h - the storage interface (SQLite embedded; PostgreSQL later) */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct store;

/*
 * Two faces:
 * - synchronous calls for impctl and start-up (never from the loop thread
 *   once the daemon runs);
 * - asynchronous calls for the daemon: the work runs on the store's
 *   worker thread and the completion handler runs on the loop thread.
 *   A non-NULL arg must be a mem object: the store holds a reference until
 *   the handler has run. Writes acknowledged with err == 0 are committed
 *   (durable) before the handler runs; writes queued together are
 *   committed together (group commit).
 */

/* uri: "sqlite:PATH" (created, migrated), or "mem:" (tests). loop may be
 * NULL for synchronous use only. */
int store_open(struct store **stp, const char *uri, struct loop *loop);
/* Schema version of an open store. */
int store_schema_version(struct store *st);

typedef void store_done_h(int err, void *arg);

/* --- domains --- */
int store_domain_add(struct store *st, const char *domain);    /* EEXIST */
int store_domain_remove(struct store *st, const char *domain); /* ENOENT */
int store_domain_exists(struct store *st, const char *domain, bool *exists);
typedef void store_domain_h(const char *domain, void *arg);
int store_domain_list(struct store *st, store_domain_h *h, void *arg);

/* --- users (credentials: only HA1 values, never passwords) --- */
struct store_user {
	char user[128];
	char domain[128];
	char ha1_md5[33];    /* MD5(user:realm:password), realm = domain */
	char ha1_sha256[65]; /* SHA-256(user:realm:password) */
	bool enabled;
};
int store_user_add(struct store *st, const struct store_user *u);
/* EEXIST; ENOENT when the domain is unknown */
int store_user_update(struct store *st, const struct store_user *u);
/* ENOENT */
int store_user_remove(struct store *st, const char *user,
                      const char *domain); /* ENOENT */
int store_user_get(struct store *st, const char *user, const char *domain,
                   struct store_user *u); /* ENOENT */
typedef void store_user_h(const struct store_user *u, void *arg);
/* domain NULL: all domains */
int store_user_list(struct store *st, const char *domain, store_user_h *h,
                    void *arg);
/* Async lookup: h(err, u, arg) on the loop thread; err ENOENT when no such
 * user. */
typedef void store_user_get_h(int err, const struct store_user *u, void *arg);
int store_user_get_async(struct store *st, const char *user, const char *domain,
                         store_user_get_h *h, void *arg);

/* --- registrations (location service bindings) --- */
struct store_binding {
	const char *aor;      /* "alice@example.com" */
	const char *contact;  /* Contact URI as registered */
	const char *instance; /* +sip.instance value or "" */
	uint32_t reg_id;      /* RFC 5626 reg-id or 0 */
	const char *callid;
	uint32_t cseq;
	uint64_t expires;       /* absolute, seconds since the epoch */
	uint32_t q;             /* q x 1000 */
	const char *path;       /* Path values joined with ",", or "" */
	const char *received;   /* "udp:192.0.2.1:5060" source, or "" */
	const char *params;     /* contact header params (feature tags), "" */
	const char *user_agent; /* or "" */
	const char *temp_gruu;  /* current temporary GRUU token or "" */
};
/* Replace every binding of aor with bindings[0..n) in one commit (n == 0
 * removes the AoR). Async; done on the loop thread. */
int store_reg_replace(struct store *st, const char *aor,
                      const struct store_binding *bindings, uint32_t n,
                      store_done_h *done, void *arg);
/* Synchronous version (tests, impctl). */
int store_reg_replace_sync(struct store *st, const char *aor,
                           const struct store_binding *bindings, uint32_t n);
typedef void store_binding_h(const struct store_binding *b, void *arg);
/* All bindings (aor NULL) or one AoR's, synchronously (start-up, impctl).
 * Strings are valid during the call only. */
int store_reg_list(struct store *st, const char *aor, store_binding_h *h,
                   void *arg);

/* --- documents (pres-rules now; every XCAP application usage later) ---
 * One document per (auid, owner, name): auid "pres-rules", owner
 * "alice@example.com" (or "" for global documents), name "index". Every
 * put or delete takes the next value of one store-wide change sequence,
 * so a daemon learns about changes made by impctl (or by another node)
 * by asking for what changed since the last sequence it saw. A delete
 * leaves a tombstone (content NULL) carrying its sequence. */
struct store_doc {
	const char *auid;
	const char *owner;
	const char *name;
	const char *etag;    /* opaque, changes with every put */
	const char *content; /* NULL for a tombstone */
	size_t len;
	uint64_t seq;      /* change sequence of the last put/delete */
	uint64_t mtime_ms; /* wall clock of the last put/delete */
};
/* Insert or replace; the store makes a fresh etag (returned in
 * etag_out, at least 33 octets, when not NULL) and the next sequence. */
int store_doc_put(struct store *st, const char *auid, const char *owner,
                  const char *name, const char *content, size_t len,
                  char *etag_out);
/* ENOENT when there is no live document. */
int store_doc_delete(struct store *st, const char *auid, const char *owner,
                     const char *name);
typedef void store_doc_h(const struct store_doc *d, void *arg);
/* ENOENT when there is no live document; h runs once otherwise. */
int store_doc_get(struct store *st, const char *auid, const char *owner,
                  const char *name, store_doc_h *h, void *arg);
/* Live documents of auid (NULL: all) and owner (NULL: all), in sequence
 * order (start-up, impctl). */
int store_doc_list(struct store *st, const char *auid, const char *owner,
                   store_doc_h *h, void *arg);
/* The highest change sequence so far (0 for an empty store). */
int store_doc_seq(struct store *st, uint64_t *seq);
/* Asynchronous: documents (tombstones included) whose sequence is above
 * since, in sequence order, at most max of them; h gets them as an array
 * valid during the call. */
typedef void store_docs_h(int err, const struct store_doc *docs, uint32_t n,
                          void *arg);
int store_doc_changes_async(struct store *st, uint64_t since, uint32_t max,
                            store_docs_h *h, void *arg);
/* Asynchronous put (same as store_doc_put; the etag goes to h as the only
 * document, with its sequence). */
int store_doc_put_async(struct store *st, const char *auid, const char *owner,
                        const char *name, const char *content, size_t len,
                        store_docs_h *h, void *arg);

/* Asynchronous get: h gets the live document as the only one, or err
 * ENOENT (n 0). */
int store_doc_get_async(struct store *st, const char *auid, const char *owner,
                        const char *name, store_docs_h *h, void *arg);
/* Asynchronous delete (ENOENT when there is no live document; h gets no
 * documents). */
int store_doc_delete_async(struct store *st, const char *auid,
                           const char *owner, const char *name, store_docs_h *h,
                           void *arg);

/* --- event publications (RFC 3903) --- */
struct store_pub {
	const char *etag;      /* entity tag impd gave out (unique key) */
	const char *event;     /* "presence" */
	const char *resource;  /* presentity "bob@example.com" */
	const char *publisher; /* authenticated identity or source name */
	uint64_t expires;      /* absolute, seconds since the epoch */
	uint64_t updated_ms;   /* wall clock of the last modification */
	const char *ctype;     /* body type */
	const char *body;
	size_t len;
};
/* Store p; when old_etag is not NULL the publication it names goes in the
 * same commit (a refresh or modify changes the entity tag). */
int store_pub_put(struct store *st, const struct store_pub *p,
                  const char *old_etag, store_done_h *done, void *arg);
int store_pub_delete(struct store *st, const char *etag, store_done_h *done,
                     void *arg); /* done(0) also when it was gone */
typedef void store_pub_h(const struct store_pub *p, void *arg);
/* All stored publications (start-up), any order. Synchronous. */
int store_pub_list(struct store *st, store_pub_h *h, void *arg);
int store_pub_put_sync(struct store *st, const struct store_pub *p,
                       const char *old_etag); /* tests, impctl */

/* --- subscriptions, notifier side (RFC 6665 dialogs) --- */
struct store_sub {
	const char *id;       /* impd's key (unique) */
	const char *event;    /* package: "presence", "presence.winfo" */
	const char *event_id; /* Event header id parameter, or "" */
	const char *resource; /* "bob@example.com" */
	const char *watcher;  /* the SUBSCRIBE's From URI */
	const char *ident;    /* authenticated identity or "" */
	const char *callid;
	const char *local_tag;  /* impd's tag (To of the SUBSCRIBE) */
	const char *remote_tag; /* the subscriber's From tag */
	const char *from_hdr;   /* SUBSCRIBE From value (becomes NOTIFY To) */
	const char *to_hdr;     /* SUBSCRIBE To value, no tag (NOTIFY From) */
	const char *contact;    /* remote target */
	const char *route;      /* route set, values joined with ",", or "" */
	const char *dst;        /* "udp:192.0.2.1:5060" where NOTIFYs go */
	const char *local_contact; /* the Contact impd gave out */
	const char *accept;        /* Accept values joined with ",", or "" */
	const char *supported;     /* Supported values joined with ",", or "" */
	uint32_t local_cseq;       /* last NOTIFY CSeq (a checkpoint) */
	uint32_t remote_cseq;      /* last SUBSCRIBE CSeq */
	uint64_t expires;          /* absolute, seconds since the epoch */
	uint64_t created;          /* seconds since the epoch */
	int state;                 /* enum evt_state value */
	uint32_t throttle_ms;      /* RFC 6446 rate, or 0 */
	const char *data;          /* package data (opaque text) or "" */
};
/* Insert or replace (by id). */
int store_sub_put(struct store *st, const struct store_sub *s,
                  store_done_h *done, void *arg);
int store_sub_delete(struct store *st, const char *id, store_done_h *done,
                     void *arg); /* done(0) also when it was gone */
typedef void store_sub_h(const struct store_sub *s, void *arg);
/* All stored subscriptions (start-up), any order. Synchronous. */
int store_sub_list(struct store *st, store_sub_h *h, void *arg);
int store_sub_put_sync(struct store *st, const struct store_sub *s);

/* --- deferred messages (DEF-01..04): pager messages waiting for an
 * offline recipient. Every put takes the next id of one store-wide
 * sequence, so id order is arrival order. --- */
struct store_msg {
	uint64_t id;        /* assigned by the store (put ignores it) */
	const char *owner;  /* recipient AoR "bob@example.com" */
	const char *sender; /* original sender URI "sip:alice@example.com" */
	const char *sender_name; /* display name of the From, or "" */
	bool sender_auth;        /* sender was authenticated by impd */
	const char *recipient;   /* the URI it was sent to (To URI) */
	uint64_t received_ms;    /* wall clock when impd accepted it */
	uint64_t expires;        /* absolute seconds: dropped after this */
	const char *ctype;       /* Content-Type value of the original */
	const char *body;
	size_t len;
	const char *imdn_id; /* imdn.Message-ID of a CPIM body, or "" */
	uint32_t imdn_disp;  /* enum imdn_disp bits asked for (im/imdn.h) */
	uint32_t attempts;   /* delivery attempts so far (store_msg_tried) */
	uint64_t arch_in;    /* archive record of the recipient's side to
	                        update on delivery, or 0 */
	uint64_t arch_out;   /* the sender's side, or 0 */
};
/* Quota check and insert in one transaction: EDQUOT when the owner
 * already has max_msgs messages or the new one would take the owner's
 * bodies over max_bytes (0: no limit). h gets the new id (0 on error). */
typedef void store_msg_put_h(int err, uint64_t id, void *arg);
int store_msg_put(struct store *st, const struct store_msg *m,
                  uint32_t max_msgs, uint64_t max_bytes, store_msg_put_h *h,
                  void *arg);
int store_msg_put_sync(struct store *st, const struct store_msg *m,
                       uint32_t max_msgs, uint64_t max_bytes, uint64_t *id);
/* Asynchronous: owner's messages with id above after_id, in id order, at
 * most max; the array is valid during the call. */
typedef void store_msgs_h(int err, const struct store_msg *msgs, uint32_t n,
                          void *arg);
int store_msg_list_async(struct store *st, const char *owner, uint64_t after_id,
                         uint32_t max, store_msgs_h *h, void *arg);
/* Synchronous: owner's (NULL: everyone's) messages in id order. */
typedef void store_msg_h(const struct store_msg *m, void *arg);
int store_msg_list(struct store *st, const char *owner, store_msg_h *h,
                   void *arg);
/* Delete one message (after a 2xx from a device). done(0) also when it
 * was already gone. */
int store_msg_delete(struct store *st, uint64_t id, store_done_h *done,
                     void *arg);
int store_msg_delete_sync(struct store *st, uint64_t id); /* ENOENT */
/* Count one more delivery attempt of id (async, fire and forget: done
 * may be NULL). */
int store_msg_tried(struct store *st, uint64_t id, store_done_h *done,
                    void *arg);
/* Per-owner totals of waiting messages (start-up, impctl). */
typedef void store_msg_owner_h(const char *owner, uint32_t n, uint64_t bytes,
                               void *arg);
int store_msg_owners(struct store *st, store_msg_owner_h *h, void *arg);
/* Asynchronous: remove every message whose expires is below now_s, in
 * one commit; h gets the removed messages (to tell their senders), at
 * most max of them per call (call again while n == max). */
int store_msg_expire(struct store *st, uint64_t now_s, uint32_t max,
                     store_msgs_h *h, void *arg);

/* --- message archive (LOG-01, LOG-03, LOG-04): one record per owner
 * side of a message (the sender's copy and the recipient's copy are two
 * records when both archive). Bodies are kept byte for byte. --- */
struct store_arch {
	uint64_t id;            /* assigned by the store */
	const char *owner;      /* whose history "alice@example.com" */
	bool outgoing;          /* the owner sent it */
	const char *peer;       /* the other party's URI (a list URI for a
	                           group message) */
	const char *sender;     /* From URI */
	const char *recipients; /* recipient URIs joined with ", " */
	uint64_t time_ms;       /* wall clock when impd accepted it */
	const char *ctype;
	const char *body;
	size_t len;
	const char *outcome; /* "pending", "delivered", "stored",
	                        "failed 480", "blocked", "discarded" ... */
};
typedef void store_arch_put_h(int err, uint64_t id, void *arg);
int store_arch_put(struct store *st, const struct store_arch *a,
                   store_arch_put_h *h, void *arg);
int store_arch_put_sync(struct store *st, const struct store_arch *a,
                        uint64_t *id);
/* Replace the outcome of record id (async; done may be NULL). */
int store_arch_outcome(struct store *st, uint64_t id, const char *outcome,
                       store_done_h *done, void *arg);
/* A history query: owner's records, oldest first, time_ms >= since_ms,
 * id above after_id (paging), with peer (NULL: any; matched against
 * peer, sender and recipients, case-insensitively on the URI), at most
 * limit (0: no limit). */
struct store_arch_query {
	const char *owner;
	const char *peer;
	uint64_t since_ms;
	uint64_t after_id;
	uint32_t limit;
};
typedef void store_arch_h(const struct store_arch *a, void *arg);
int store_arch_list(struct store *st, const struct store_arch_query *q,
                    store_arch_h *h, void *arg); /* synchronous */
typedef void store_archs_h(int err, const struct store_arch *a, uint32_t n,
                           void *arg);
int store_arch_list_async(struct store *st, const struct store_arch_query *q,
                          store_archs_h *h, void *arg);
/* Asynchronous: remove owner's (NULL: everyone's) records older than
 * before_ms (retention). */
int store_arch_expire(struct store *st, const char *owner, uint64_t before_ms,
                      store_done_h *done, void *arg);

/* Wait until every queued asynchronous operation has completed (used at
 * shutdown and by tests). */
void store_flush(struct store *st);

#endif
