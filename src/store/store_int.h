/* store/store_int.h - store internals: backend table, async operations */
#ifndef STORE_INT_H
#define STORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/list.h"
#include "base/pl.h"
#include "store.h"

struct store_cq;

/* Documents collected for a handler as one array: the executor appends
 * (store_docbuf_add as a store_doc_h), store_docbuf_finish points the
 * string fields into s. Built on the executing thread, read and freed on
 * the loop thread after the hand-over. err: the first failure (ENOMEM). */
struct store_docbuf {
	struct store_doc *v;
	size_t *off; /* v[i]'s strings start at s + off[i] */
	uint32_t n, cap;
	char *s;
	size_t slen, scap;
	int err;
};

/* Messages or archive records collected for a handler as one array, the
 * same way: v holds n struct store_msg (store_msgbuf_*) or struct
 * store_arch (store_archbuf_*), their strings and bodies packed in s. */
struct store_rows {
	void *v;
	size_t *off; /* row i's strings start at s + off[i] */
	uint32_t n, cap;
	char *s;
	size_t slen, scap;
	int err;
};

/* An asynchronous operation: one mem block holding the request (strings
 * packed after the struct), filled in by whoever executes it (the sqlite
 * worker, or the caller's thread for inline execution) and completed on
 * the loop thread. Holds a reference to arg until destroyed. */
enum store_op_type {
	STORE_OP_REG_REPLACE,
	STORE_OP_USER_GET,
	STORE_OP_DOC_PUT,
	STORE_OP_DOC_CHANGES,
	STORE_OP_DOC_GET,    /* doc: the key; res: the document */
	STORE_OP_DOC_DELETE, /* doc: the key and mtime_ms; doc.seq: result */
	STORE_OP_PUB_PUT,
	STORE_OP_PUB_DELETE,
	STORE_OP_SUB_PUT,
	STORE_OP_SUB_DELETE,
	STORE_OP_MSG_PUT,
	STORE_OP_MSG_LIST,
	STORE_OP_MSG_DELETE,
	STORE_OP_MSG_TRIED,
	STORE_OP_MSG_EXPIRE,
	STORE_OP_ARCH_PUT,
	STORE_OP_ARCH_OUTCOME,
	STORE_OP_ARCH_LIST,
	STORE_OP_ARCH_EXPIRE,
};

struct store_op {
	struct store_op *next; /* in a queue (worker, completion) */
	enum store_op_type type;
	int err; /* result */
	union {
		store_done_h *done;
		store_user_get_h *user_get;
		store_docs_h *docs;
		store_msg_put_h *msg_put;
		store_msgs_h *msgs;
		store_arch_put_h *arch_put;
		store_archs_h *archs;
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
	/* STORE_OP_DOC_PUT: doc (packed, etag fresh) is the request and,
	 * with seq, the result */
	struct store_doc doc;
	/* STORE_OP_DOC_CHANGES */
	uint64_t since;
	uint32_t max;
	struct store_docbuf res;
	/* STORE_OP_PUB_PUT (pub, old_etag or NULL), _PUB_DELETE (pub.etag) */
	struct store_pub pub;
	const char *old_etag;
	/* STORE_OP_SUB_PUT (sub), _SUB_DELETE (sub.id) */
	struct store_sub sub;
	/* STORE_OP_MSG_PUT: msg (packed), the quota; id is the result.
	 * _MSG_LIST: msg.owner, since (after_id), max. _MSG_DELETE and
	 * _MSG_TRIED: id. _MSG_EXPIRE: since (now_s), max. Results of the
	 * list and the expiry: rows (struct store_msg). */
	struct store_msg msg;
	uint32_t max_msgs;
	uint64_t max_bytes;
	uint64_t id;
	struct store_rows rows;
	/* STORE_OP_ARCH_PUT: arch (packed); id is the result.
	 * _ARCH_OUTCOME: id, arch.outcome. _ARCH_LIST: query (strings
	 * packed); rows (struct store_arch) the result. _ARCH_EXPIRE:
	 * arch.owner (NULL: everyone), since (before_ms). */
	struct store_arch arch;
	struct store_arch_query query;
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
	/* d: every string set, content not NULL, a fresh etag, mtime_ms;
	 * sets *seq to the sequence the put took. */
	int (*doc_put)(struct store *st, const struct store_doc *d,
	               uint64_t *seq);
	/* ENOENT when no live document (no sequence taken then). */
	int (*doc_delete)(struct store *st, const char *auid, const char *owner,
	                  const char *name, uint64_t mtime_ms);
	int (*doc_get)(struct store *st, const char *auid, const char *owner,
	               const char *name, store_doc_h *h, void *arg);
	int (*doc_list)(struct store *st, const char *auid, const char *owner,
	                store_doc_h *h, void *arg);
	int (*doc_seq)(struct store *st, uint64_t *seq);
	/* Tombstones included, by sequence, at most max. */
	int (*doc_changes)(struct store *st, uint64_t since, uint32_t max,
	                   store_doc_h *h, void *arg);
	int (*pub_put)(struct store *st, const struct store_pub *p,
	               const char *old_etag);
	int (*pub_delete)(struct store *st, const char *etag); /* 0 if gone */
	int (*pub_list)(struct store *st, store_pub_h *h, void *arg);
	int (*sub_put)(struct store *st, const struct store_sub *s);
	int (*sub_delete)(struct store *st, const char *id); /* 0 if gone */
	int (*sub_list)(struct store *st, store_sub_h *h, void *arg);
	/* m: every string set (body too), values clamped to INT64_MAX; the
	 * quota check and the insert are one transaction; EDQUOT. *id: the
	 * new message's id. */
	int (*msg_put)(struct store *st, const struct store_msg *m,
	               uint32_t max_msgs, uint64_t max_bytes, uint64_t *id);
	/* owner's (NULL: everyone's) messages above after_id, at most max
	 * (0: all), in id order. */
	int (*msg_list)(struct store *st, const char *owner, uint64_t after_id,
	                uint32_t max, store_msg_h *h, void *arg);
	int (*msg_delete)(struct store *st, uint64_t id); /* ENOENT */
	int (*msg_tried)(struct store *st, uint64_t id);  /* ENOENT */
	/* By owner (byte order). */
	int (*msg_owners)(struct store *st, store_msg_owner_h *h, void *arg);
	/* In one transaction: append up to max messages with expires below
	 * now_s to out (store_msgbuf_add), in id order, and remove them;
	 * when out->err is set nothing is removed and it is returned. */
	int (*msg_expire)(struct store *st, uint64_t now_s, uint32_t max,
	                  struct store_rows *out);
	/* a: every string set (body too), time_ms clamped. *id: new id. */
	int (*arch_put)(struct store *st, const struct store_arch *a,
	                uint64_t *id);
	int (*arch_outcome)(struct store *st, uint64_t id,
	                    const char *outcome); /* ENOENT */
	/* q->owner set; since_ms and after_id clamped to INT64_MAX. */
	int (*arch_list)(struct store *st, const struct store_arch_query *q,
	                 store_arch_h *h, void *arg);
	/* owner NULL: everyone's. */
	int (*arch_expire)(struct store *st, const char *owner,
	                   uint64_t before_ms);
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
	struct list dwatch;  /* every struct docwatch on this store
	                        (docwatch_kick) */
};

/* Hand a chain of executed ops (linked by next) to the loop thread; any
 * thread. The store takes over the ops. */
void store_complete(struct store *st, struct store_op *ops);

/* Current schema version (the last migration). */
#define STORE_SCHEMA_VERSION 4
/* Bindings per AoR in one replace (sanity bound). */
#define STORE_MAX_BINDINGS 1024

/* Packed copy of bindings: dst[0..n) followed by every string (NULL
 * copied as ""); store_bindings_size() bytes in all. Returns the copied
 * aor, which every dst[i].aor points to. */
size_t store_bindings_size(const char *aor, const struct store_binding *b,
                           uint32_t n);
const char *store_bindings_pack(struct store_binding *dst, const char *aor,
                                const struct store_binding *b, uint32_t n);

/* Largest document, publication, message or archive body (sanity bound;
 * E2BIG). */
#define STORE_MAX_BODY (16u * 1024 * 1024)

/* Packed copies for documents, publications and subscriptions: the
 * strings of src go to cur (NULL copied as "", content and body copied
 * with len bytes plus a NUL; a NULL content stays NULL), dst points to
 * them; returns the cursor after them. _strsize: the bytes they take. */
size_t store_doc_strsize(const struct store_doc *d);
char *store_doc_pack(struct store_doc *dst, const struct store_doc *d,
                     char *cur);
size_t store_pub_strsize(const struct store_pub *p);
char *store_pub_pack(struct store_pub *dst, const struct store_pub *p,
                     char *cur);
size_t store_sub_strsize(const struct store_sub *s);
char *store_sub_pack(struct store_sub *dst, const struct store_sub *s,
                     char *cur);

/* A store_doc_h appending a copy of d to the store_docbuf arg. */
void store_docbuf_add(const struct store_doc *d, void *arg);
/* After the last add: err (the executor's result) or db->err, if any,
 * empties db and is returned; else the string fields of db->v are pointed
 * into db->s and 0 returned. */
int store_docbuf_finish(struct store_docbuf *db, int err);
/* Free the buffers; db is empty again. */
void store_docbuf_reset(struct store_docbuf *db);

/* The same for messages (a store_msg_h) and archive records (a
 * store_arch_h) collected in a struct store_rows arg. */
void store_msgbuf_add(const struct store_msg *m, void *arg);
int store_msgbuf_finish(struct store_rows *r, int err);
void store_archbuf_add(const struct store_arch *a, void *arg);
int store_archbuf_finish(struct store_rows *r, int err);
void store_rows_reset(struct store_rows *r);

/* Packed copies of messages and archive records (strings as above, the
 * body last, NULL as ""). */
size_t store_msg_strsize(const struct store_msg *m);
char *store_msg_pack(struct store_msg *dst, const struct store_msg *m,
                     char *cur);
size_t store_arch_strsize(const struct store_arch *a);
char *store_arch_pack(struct store_arch *dst, const struct store_arch *a,
                      char *cur);

/* The URIs an archive record matches in a peer query: its peer, its
 * sender and each of its ", "-separated recipients, each trimmed, empty
 * ones left out (a URI may come more than once). Stops and returns what
 * h returns when that is not 0. */
typedef int store_uri_h(const struct pl *uri, void *arg);
int store_arch_uris(const struct store_arch *a, store_uri_h *h, void *arg);
/* Does a match peer (case-insensitive, ASCII; NULL matches all)? */
bool store_arch_match(const struct store_arch *a, const char *peer);

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
