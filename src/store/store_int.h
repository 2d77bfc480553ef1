/* store/store_int.h - store internals: backend table, async operations */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct store_cq;

/* An asynchronous operation: one mem block holding the request (strings
 * packed after the struct), filled in by whoever executes it (the sqlite
 * worker, or the caller's thread for inline execution) and completed on
 * the loop thread. Holds a reference to arg until destroyed. */
enum store_op_type {
	STORE_OP_REG_REPLACE,
	STORE_OP_USER_GET,
};

struct store_op {
	struct store_op *next; /* in a queue (worker, completion) */
	enum store_op_type type;
	int err; /* result */
	union {
		store_done_h *done;
		store_user_get_h *user_get;
	} h;
	void *arg; /* mem object or NULL; referenced */
	/* STORE_OP_REG_REPLACE */
	const char *aor;
	struct store_binding *b; /* packed copies */
	uint32_t n;
	/* STORE_OP_USER_GET */
	const char *user;
	const char *domain;
	struct store_user u; /* result */
};

/* A backend: every function gets the store; sync functions are called
 * from one thread at a time per the store.h contract (backends lock
 * anyway). list handlers must not call back into the store. */
struct store_be {
	const char *scheme; /* "sqlite", "mem" */
	/* Set st->be. arg: the URI after "scheme:". */
	int (*open)(struct store *st, const char *arg);
	/* Finish queued work (commit it) and free st->be. */
	void (*close)(struct store *st);
	int (*schema_version)(struct store *st);
	int (*domain_add)(struct store *st, const char *domain);
	int (*domain_remove)(struct store *st, const char *domain);
	int (*domain_exists)(struct store *st, const char *domain, bool *ex);
	int (*domain_list)(struct store *st, store_domain_h *h, void *arg);
	int (*user_add)(struct store *st, const struct store_user *u);
	int (*user_update)(struct store *st, const struct store_user *u);
	int (*user_remove)(struct store *st, const char *user,
	                   const char *domain);
	int (*user_get)(struct store *st, const char *user, const char *domain,
	                struct store_user *u);
	int (*user_list)(struct store *st, const char *domain, store_user_h *h,
	                 void *arg);
	int (*reg_replace)(struct store *st, const char *aor,
	                   const struct store_binding *b, uint32_t n);
	int (*reg_list)(struct store *st, const char *aor, store_binding_h *h,
	                void *arg);
	/* Optional: queue op for a worker thread (only when the store has a
	 * loop). NULL: the op runs inline through the sync functions. The
	 * worker hands finished ops to store_complete(). */
	int (*submit)(struct store *st, struct store_op *op);
	/* Optional: wait until every submitted op went to store_complete. */
	void (*drain)(struct store *st);
};

struct store {
	const struct store_be *be;
	void *bed;           /* backend data */
	struct loop *loop;   /* NULL: synchronous use only */
	struct store_cq *cq; /* completions waiting for the loop */
};

/* Hand a chain of executed ops (linked by next) to the loop thread; any
 * thread. The store takes over the ops. */
void store_complete(struct store *st, struct store_op *ops);

/* Current schema version (the last migration). */
#define STORE_SCHEMA_VERSION 2
/* Bindings per AoR in one replace (sanity bound). */
#define STORE_MAX_BINDINGS 1024

/* Packed copy of bindings: dst[0..n) followed by every string (NULL
 * copied as ""); store_bindings_size() bytes in all. Returns the copied
 * aor, which every dst[i].aor points to. */
size_t store_bindings_size(const char *aor, const struct store_binding *b,
                           uint32_t n);
const char *store_bindings_pack(struct store_binding *dst, const char *aor,
                                const struct store_binding *b, uint32_t n);

/* Errno for an sqlite result code (store_sqlite.c). */
int store_sqlite_errno(int rc);

/* Fault injection for tests: make the next n sqlite group commits fail as
 * if COMMIT had returned an I/O error (0 = off). Any thread. */
void store_sqlite_fail_commits(uint32_t n);
/* Group commits done by every sqlite worker so far (tests: batching). */
uint64_t store_sqlite_commit_count(void);

extern const struct store_be store_be_sqlite;
extern const struct store_be store_be_mem;

#endif
