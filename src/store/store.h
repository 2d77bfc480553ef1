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

/* Wait until every queued asynchronous operation has completed (used at
 * shutdown and by tests). */
void store_flush(struct store *st);

#endif
