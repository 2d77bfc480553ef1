/* store/store_sqlite.c - SQLite backend: WAL, migrations, group commit */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MODULE "store"
#include "base/log.h"
#include "base/mem.h"
#include "base/util.h"
#include "store_int.h"

/*
 * Two connections to one file:
 * - sync: the synchronous API (impctl, start-up), behind sync_mtx;
 * - async: owned by the worker thread, which takes everything queued,
 *   runs it in ONE transaction (each write in its own savepoint, so a
 *   failing write does not take the others down), commits, and hands the
 *   ops to store_complete() for the loop thread.
 * Durability: journal_mode=WAL with synchronous=FULL, so a COMMIT has
 * reached the disk (WAL fsync) before any handler learns err == 0; group
 * commit pays one fsync per batch. See doc/store.md.
 */

enum {
	DEFAULT_BUSY_MS = 5000,
};

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SAVEPOINT,
	ST_RELEASE,
	ST_ROLLBACK_TO,
	ST_DOMAIN_ADD,
	ST_DOMAIN_DEL,
	ST_DOMAIN_USERS_DEL,
	ST_DOMAIN_GET,
	ST_DOMAIN_LIST,
	ST_USER_ADD,
	ST_USER_UPD,
	ST_USER_DEL,
	ST_USER_GET,
	ST_USER_LIST,
	ST_USER_LIST_DOM,
	ST_REG_DEL,
	ST_REG_ADD,
	ST_REG_LIST,
	ST_REG_LIST_AOR,
	ST_SEQ_BUMP,
	ST_SEQ_GET,
	ST_DOC_PUT,
	ST_DOC_DEL,
	ST_DOC_GET,
	ST_DOC_LIST,
	ST_DOC_CHANGES,
	ST_PUB_PUT,
	ST_PUB_DEL,
	ST_PUB_LIST,
	ST_SUB_PUT,
	ST_SUB_DEL,
	ST_SUB_LIST,
	ST_MSG_QUOTA,
	ST_MSG_ADD,
	ST_MSG_LIST,
	ST_MSG_LIST_ALL,
	ST_MSG_DEL,
	ST_MSG_TRIED,
	ST_MSG_OWNERS,
	ST_MSG_EXPIRED,
	ST_ARCH_ADD,
	ST_ARCH_URI_ADD,
	ST_ARCH_OUTCOME,
	ST_ARCH_LIST,
	ST_ARCH_LIST_PEER,
	ST_ARCH_EXPIRE,
	ST_ARCH_EXPIRE_ALL,
	ST_N
};

#define USER_COLS "user, domain, ha1_md5, ha1_sha256, enabled"
#define REG_COLS                                                               \
	"aor, contact, instance, reg_id, callid, cseq, expires, q, path, "     \
	"received, params, user_agent, temp_gruu"
#define DOC_COLS "auid, owner, name, etag, content, seq, mtime_ms"
#define PUB_COLS                                                               \
	"etag, event, resource, publisher, expires, updated_ms, ctype, body"
#define SUB_COLS                                                               \
	"id, event, event_id, resource, watcher, ident, callid, local_tag, "   \
	"remote_tag, from_hdr, to_hdr, contact, route, dst, local_contact, "   \
	"accept, supported, local_cseq, remote_cseq, expires, created, "       \
	"state, throttle_ms, data"
/* the columns a put writes (MSG_COLS without the id) */
#define MSG_PUT_COLS                                                           \
	"owner, sender, sender_name, sender_auth, recipient, received_ms, "    \
	"expires, ctype, body, imdn_id, imdn_disp, attempts, arch_in, "        \
	"arch_out"
#define MSG_COLS "id, " MSG_PUT_COLS
#define ARCH_PUT_COLS                                                          \
	"owner, outgoing, peer, sender, recipients, time_ms, ctype, body, "    \
	"outcome"
#define ARCH_COLS "id, " ARCH_PUT_COLS

static const char *const stmt_sql[ST_N] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT op",
    [ST_RELEASE] = "RELEASE op",
    [ST_ROLLBACK_TO] = "ROLLBACK TO op",
    [ST_DOMAIN_ADD] = "INSERT INTO domains(name) VALUES(?1)",
    [ST_DOMAIN_DEL] = "DELETE FROM domains WHERE name = ?1",
    [ST_DOMAIN_USERS_DEL] = "DELETE FROM users WHERE domain = ?1",
    [ST_DOMAIN_GET] = "SELECT 1 FROM domains WHERE name = ?1",
    [ST_DOMAIN_LIST] = "SELECT name FROM domains ORDER BY name",
    [ST_USER_ADD] =
        "INSERT INTO users(" USER_COLS ") VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_USER_UPD] = "UPDATE users SET ha1_md5 = ?3, ha1_sha256 = ?4, "
                    "enabled = ?5 WHERE user = ?1 AND domain = ?2",
    [ST_USER_DEL] = "DELETE FROM users WHERE user = ?1 AND domain = ?2",
    [ST_USER_GET] =
        "SELECT " USER_COLS " FROM users WHERE user = ?1 AND domain = ?2",
    [ST_USER_LIST] = "SELECT " USER_COLS " FROM users ORDER BY domain, user",
    [ST_USER_LIST_DOM] =
        "SELECT " USER_COLS " FROM users WHERE domain = ?1 ORDER BY user",
    [ST_REG_DEL] = "DELETE FROM registrations WHERE aor = ?1",
    [ST_REG_ADD] = "INSERT INTO registrations(" REG_COLS
                   ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12, ?13)",
    [ST_REG_LIST] =
        "SELECT " REG_COLS " FROM registrations ORDER BY aor, rowid",
    [ST_REG_LIST_AOR] =
        "SELECT " REG_COLS " FROM registrations WHERE aor = ?1 ORDER BY rowid",
    [ST_SEQ_BUMP] = "UPDATE doc_seq SET seq = seq + 1",
    [ST_SEQ_GET] = "SELECT seq FROM doc_seq",
    [ST_DOC_PUT] =
        "INSERT INTO docs(" DOC_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT(auid, owner, name) DO UPDATE SET "
        "etag = excluded.etag, content = excluded.content, "
        "seq = excluded.seq, mtime_ms = excluded.mtime_ms",
    [ST_DOC_DEL] = "UPDATE docs SET etag = '', content = NULL, seq = ?4, "
                   "mtime_ms = ?5 WHERE auid = ?1 AND owner = ?2 AND "
                   "name = ?3 AND content IS NOT NULL",
    [ST_DOC_GET] = "SELECT " DOC_COLS " FROM docs WHERE auid = ?1 AND "
                   "owner = ?2 AND name = ?3 AND content IS NOT NULL",
    [ST_DOC_LIST] = "SELECT " DOC_COLS " FROM docs WHERE content IS NOT "
                    "NULL AND (?1 IS NULL OR auid = ?1) AND (?2 IS NULL "
                    "OR owner = ?2) ORDER BY seq",
    [ST_DOC_CHANGES] =
        "SELECT " DOC_COLS " FROM docs WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    [ST_PUB_PUT] = "INSERT OR REPLACE INTO publications(" PUB_COLS
                   ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_PUB_DEL] = "DELETE FROM publications WHERE etag = ?1",
    [ST_PUB_LIST] = "SELECT " PUB_COLS " FROM publications ORDER BY rowid",
    [ST_SUB_PUT] = "INSERT OR REPLACE INTO subscriptions(" SUB_COLS
                   ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
                   "?21, ?22, ?23, ?24)",
    [ST_SUB_DEL] = "DELETE FROM subscriptions WHERE id = ?1",
    [ST_SUB_LIST] = "SELECT " SUB_COLS " FROM subscriptions ORDER BY rowid",
    [ST_MSG_QUOTA] = "SELECT count(*), coalesce(sum(length(body)), 0) "
                     "FROM messages WHERE owner = ?1",
    [ST_MSG_ADD] = "INSERT INTO messages(" MSG_PUT_COLS
                   ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                   "?11, ?12, ?13, ?14)",
    [ST_MSG_LIST] = "SELECT " MSG_COLS " FROM messages WHERE owner = ?1 "
                    "AND id > ?2 ORDER BY id LIMIT ?3",
    [ST_MSG_LIST_ALL] =
        "SELECT " MSG_COLS " FROM messages WHERE id > ?2 ORDER BY id LIMIT ?3",
    [ST_MSG_DEL] = "DELETE FROM messages WHERE id = ?1",
    [ST_MSG_TRIED] =
        "UPDATE messages SET attempts = attempts + 1 WHERE id = ?1",
    [ST_MSG_OWNERS] = "SELECT owner, count(*), sum(length(body)) FROM "
                      "messages GROUP BY owner ORDER BY owner",
    /* the index finds the (few) expired ones; sorting them is cheap,
     * scanning every message in id order is not */
    [ST_MSG_EXPIRED] = "SELECT " MSG_COLS " FROM messages INDEXED BY "
                       "messages_expires WHERE expires < ?1 ORDER BY id "
                       "LIMIT ?2",
    [ST_ARCH_ADD] = "INSERT INTO archive(" ARCH_PUT_COLS
                    ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_ARCH_URI_ADD] = "INSERT OR IGNORE INTO archive_uris(arch_id, owner, "
                        "uri) VALUES(?1, ?2, ?3)",
    [ST_ARCH_OUTCOME] = "UPDATE archive SET outcome = ?2 WHERE id = ?1",
    [ST_ARCH_LIST] = "SELECT " ARCH_COLS " FROM archive WHERE owner = ?1 "
                     "AND time_ms >= ?2 AND id > ?3 ORDER BY time_ms, id "
                     "LIMIT ?4",
    [ST_ARCH_LIST_PEER] =
        "SELECT " ARCH_COLS " FROM archive WHERE owner = ?1 AND time_ms >= "
        "?2 AND id > ?3 AND id IN (SELECT arch_id FROM archive_uris WHERE "
        "owner = ?1 AND uri = ?5) ORDER BY time_ms, id LIMIT ?4",
    [ST_ARCH_EXPIRE] = "DELETE FROM archive WHERE owner = ?1 AND time_ms < ?2",
    [ST_ARCH_EXPIRE_ALL] = "DELETE FROM archive WHERE time_ms < ?2",
};

/*
 * Migrations: migrations[i] takes the schema from version i to i + 1, in
 * the same transaction as the schema_version update. Never edit one that
 * has shipped; append.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 1: the base schema */
    "CREATE TABLE domains ("
    " name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY);"
    "CREATE TABLE users ("
    " user TEXT NOT NULL,"
    " domain TEXT NOT NULL COLLATE NOCASE,"
    " ha1_md5 TEXT NOT NULL DEFAULT '',"
    " ha1_sha256 TEXT NOT NULL DEFAULT '',"
    " enabled INTEGER NOT NULL DEFAULT 1,"
    " PRIMARY KEY (user, domain));"
    "CREATE TABLE registrations ("
    " aor TEXT NOT NULL,"
    " contact TEXT NOT NULL,"
    " instance TEXT NOT NULL DEFAULT '',"
    " reg_id INTEGER NOT NULL DEFAULT 0,"
    " callid TEXT NOT NULL DEFAULT '',"
    " cseq INTEGER NOT NULL DEFAULT 0,"
    " expires INTEGER NOT NULL,"
    " q INTEGER NOT NULL DEFAULT 1000,"
    " path TEXT NOT NULL DEFAULT '',"
    " received TEXT NOT NULL DEFAULT '',"
    " params TEXT NOT NULL DEFAULT '',"
    " user_agent TEXT NOT NULL DEFAULT '',"
    " temp_gruu TEXT NOT NULL DEFAULT '');",
    /* 2: lookups by AoR, expiry sweeps */
    "CREATE INDEX registrations_aor ON registrations (aor);"
    "CREATE INDEX registrations_expires ON registrations (expires);",
    /* 3: documents with a change sequence, publications, subscriptions */
    "CREATE TABLE docs ("
    " auid TEXT NOT NULL,"
    " owner TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " etag TEXT NOT NULL,"
    " content BLOB,"
    " seq INTEGER NOT NULL,"
    " mtime_ms INTEGER NOT NULL,"
    " PRIMARY KEY (auid, owner, name));"
    "CREATE UNIQUE INDEX docs_seq ON docs (seq);"
    "CREATE TABLE doc_seq ("
    " seq INTEGER NOT NULL);"
    "INSERT INTO doc_seq VALUES (0);"
    "CREATE TABLE publications ("
    " etag TEXT NOT NULL PRIMARY KEY,"
    " event TEXT NOT NULL,"
    " resource TEXT NOT NULL,"
    " publisher TEXT NOT NULL DEFAULT '',"
    " expires INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " ctype TEXT NOT NULL DEFAULT '',"
    " body BLOB NOT NULL);"
    "CREATE TABLE subscriptions ("
    " id TEXT NOT NULL PRIMARY KEY,"
    " event TEXT NOT NULL,"
    " event_id TEXT NOT NULL DEFAULT '',"
    " resource TEXT NOT NULL,"
    " watcher TEXT NOT NULL DEFAULT '',"
    " ident TEXT NOT NULL DEFAULT '',"
    " callid TEXT NOT NULL DEFAULT '',"
    " local_tag TEXT NOT NULL DEFAULT '',"
    " remote_tag TEXT NOT NULL DEFAULT '',"
    " from_hdr TEXT NOT NULL DEFAULT '',"
    " to_hdr TEXT NOT NULL DEFAULT '',"
    " contact TEXT NOT NULL DEFAULT '',"
    " route TEXT NOT NULL DEFAULT '',"
    " dst TEXT NOT NULL DEFAULT '',"
    " local_contact TEXT NOT NULL DEFAULT '',"
    " accept TEXT NOT NULL DEFAULT '',"
    " supported TEXT NOT NULL DEFAULT '',"
    " local_cseq INTEGER NOT NULL DEFAULT 0,"
    " remote_cseq INTEGER NOT NULL DEFAULT 0,"
    " expires INTEGER NOT NULL,"
    " created INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " throttle_ms INTEGER NOT NULL DEFAULT 0,"
    " data TEXT NOT NULL DEFAULT '');",
    /* 4: deferred messages, the message archive. AUTOINCREMENT: ids are
     * never reused, so id order is arrival order. archive_uris holds
     * every URI a record matches in a peer query (peer, sender, each
     * recipient), case-insensitively; a trigger keeps it in step. (A
     * rowid table: SQLite 3.40's quick_check wrongly reports NULLs in a
     * WITHOUT ROWID table whose NOT NULL column follows the key.) */
    "CREATE TABLE messages ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " owner TEXT NOT NULL,"
    " sender TEXT NOT NULL DEFAULT '',"
    " sender_name TEXT NOT NULL DEFAULT '',"
    " sender_auth INTEGER NOT NULL DEFAULT 0,"
    " recipient TEXT NOT NULL DEFAULT '',"
    " received_ms INTEGER NOT NULL DEFAULT 0,"
    " expires INTEGER NOT NULL,"
    " ctype TEXT NOT NULL DEFAULT '',"
    " body BLOB NOT NULL,"
    " imdn_id TEXT NOT NULL DEFAULT '',"
    " imdn_disp INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " arch_in INTEGER NOT NULL DEFAULT 0,"
    " arch_out INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX messages_owner ON messages (owner, id);"
    "CREATE INDEX messages_expires ON messages (expires);"
    "CREATE TABLE archive ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " owner TEXT NOT NULL,"
    " outgoing INTEGER NOT NULL DEFAULT 0,"
    " peer TEXT NOT NULL DEFAULT '',"
    " sender TEXT NOT NULL DEFAULT '',"
    " recipients TEXT NOT NULL DEFAULT '',"
    " time_ms INTEGER NOT NULL,"
    " ctype TEXT NOT NULL DEFAULT '',"
    " body BLOB NOT NULL,"
    " outcome TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX archive_owner_time ON archive (owner, time_ms);"
    "CREATE INDEX archive_time ON archive (time_ms);"
    "CREATE TABLE archive_uris ("
    " arch_id INTEGER NOT NULL,"
    " owner TEXT NOT NULL,"
    " uri TEXT NOT NULL COLLATE NOCASE,"
    " PRIMARY KEY (arch_id, uri));"
    "CREATE INDEX archive_uris_uri ON archive_uris (owner, uri, arch_id);"
    "CREATE TRIGGER archive_uris_del AFTER DELETE ON archive BEGIN"
    " DELETE FROM archive_uris WHERE arch_id = old.id; END;",
};

struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST_N]; /* prepared on first use */
};

struct sqstore {
	char *path;
	int busy_ms;
	int version;

	pthread_mutex_t sync_mtx;
	struct sq_conn sync;

	/* async: only the worker touches conn "async" after start */
	struct store *st; /* borrowed: the worker ends before st does */
	struct sq_conn async;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t qmtx;
	pthread_cond_t qcond; /* work queued, or stop */
	pthread_cond_t idle;  /* queue empty and nothing in flight */
	struct store_op *qhead;
	struct store_op **qtail;
	bool busy;
	bool stop;
};

static uint32_t fail_commits;
static uint64_t commit_count;

uint64_t store_sqlite_commit_count(void)
{
	return __atomic_load_n(&commit_count, __ATOMIC_SEQ_CST);
}

void store_sqlite_fail_commits(uint32_t n)
{
	__atomic_store_n(&fail_commits, n, __ATOMIC_SEQ_CST);
}

static bool fail_commit_now(void)
{
	uint32_t n = __atomic_load_n(&fail_commits, __ATOMIC_SEQ_CST);

	while (n) {
		if (__atomic_compare_exchange_n(&fail_commits, &n, n - 1, false,
		                                __ATOMIC_SEQ_CST,
		                                __ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

int store_sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		return EEXIST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return EBADMSG;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_TOOBIG:
		return E2BIG;
	case SQLITE_RANGE:
	case SQLITE_MISUSE:
		return EINVAL;
	default:
		return EIO;
	}
}

/* Map rc and log what SQLite says (constraint violations are answers,
 * not failures: not logged). */
static int sq_err(struct sq_conn *c, const char *what, int rc)
{
	int err = store_sqlite_errno(rc);

	if (err && err != EEXIST)
		log_err(NULL, "sqlite %s: %s (%d)", what,
		        c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc), rc);
	return err;
}

static int stmt_get(struct sq_conn *c, enum stmt_id id, sqlite3_stmt **sp)
{
	if (!c->stmt[id]) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[id], -1,
		                            SQLITE_PREPARE_PERSISTENT,
		                            &c->stmt[id], NULL);
		if (rc != SQLITE_OK)
			return sq_err(c, "prepare", rc);
	}
	*sp = c->stmt[id];
	return 0;
}

static void stmt_end(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/* Step a statement to completion (no rows expected), then reset it. */
static int stmt_run(struct sq_conn *c, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	int err = 0;

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_err(c, "step", rc);
	stmt_end(s);
	return err;
}

/* A statement without parameters. */
static int exec_id(struct sq_conn *c, enum stmt_id id)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, id, &s);

	return err ? err : stmt_run(c, s);
}

static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
	sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

static void col_copy(char *dst, size_t size, sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	snprintf(dst, size, "%s", v ? (const char *)v : "");
}

static const char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *v = sqlite3_column_text(s, i);

	return v ? (const char *)v : "";
}

static void conn_close(struct sq_conn *c)
{
	for (int i = 0; i < ST_N; i++) {
		sqlite3_finalize(c->stmt[i]);
		c->stmt[i] = NULL;
	}
	if (c->db)
		sqlite3_close(c->db);
	c->db = NULL;
}

/* A single-value pragma query; val gets its first column as text. */
static int pragma(struct sq_conn *c, const char *sql, char *val, size_t size)
{
	sqlite3_stmt *s = NULL;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(c->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return store_sqlite_errno(rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && val)
		col_copy(val, size, s, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = store_sqlite_errno(rc);
	sqlite3_finalize(s);
	return err;
}

static int conn_open(struct sq_conn *c, const struct sqstore *sq)
{
	char val[32];
	int rc, err;

	rc = sqlite3_open_v2(sq->path, &c->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                         SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		int sys = c->db ? sqlite3_system_errno(c->db) : 0;

		err = sys ? sys : store_sqlite_errno(rc);
		log_err(
		    NULL, "cannot open database %s: %s", sq->path,
		    sys ? err_str(sys)
		        : (c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc)));
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, sq->busy_ms);

	if (sqlite3_db_readonly(c->db, "main") == 1) {
		log_err(NULL, "database %s is read-only", sq->path);
		err = EROFS;
		goto out;
	}

	err = pragma(c, "PRAGMA journal_mode=WAL", val, sizeof(val));
	if (err == EBADMSG) {
		log_err(NULL,
		        "database %s is corrupt or not an SQLite database",
		        sq->path);
		goto out;
	}
	if (err) {
		log_err(NULL, "database %s: cannot set WAL mode: %s", sq->path,
		        sqlite3_errmsg(c->db));
		goto out;
	}
	if (strcmp(val, "wal")) {
		log_err(NULL,
		        "database %s: cannot use WAL mode (journal mode '%s'; "
		        "is the directory writable?)",
		        sq->path, val);
		err = EROFS;
		goto out;
	}
	err = pragma(c, "PRAGMA synchronous=FULL", NULL, 0);
	if (err) {
		log_err(NULL, "database %s: %s", sq->path,
		        sqlite3_errmsg(c->db));
		goto out;
	}

out:
	if (err)
		conn_close(c);
	return err;
}

/* Corruption shows at the first read of a damaged page: look at every
 * page once, at open, to fail early and clearly. */
static int check_integrity(struct sq_conn *c, const char *path)
{
	char val[128] = "";
	int err = pragma(c, "PRAGMA quick_check(1)", val, sizeof(val));

	if (err || strcmp(val, "ok")) {
		log_err(NULL, "database %s is corrupt: %s", path,
		        err ? sqlite3_errmsg(c->db) : val);
		return EBADMSG;
	}
	return 0;
}

static int read_version(struct sq_conn *c, int *vp)
{
	sqlite3_stmt *s = NULL;
	char val[16] = "";
	int rc, err;

	err = pragma(c,
	             "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	             "AND name = 'schema_version'",
	             val, sizeof(val));
	if (err)
		return err;
	if (!strcmp(val, "0")) {
		*vp = 0;
		return 0;
	}
	rc = sqlite3_prepare_v2(
	    c->db, "SELECT max(version) FROM schema_version", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_err(c, "schema_version", rc);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*vp = sqlite3_column_int(s, 0);
	else
		err = sq_err(c, "schema_version", rc);
	sqlite3_finalize(s);
	return err;
}

static int migrate(struct sqstore *sq)
{
	struct sq_conn *c = &sq->sync;
	char *msg = NULL, sql[128];
	int v = 0, rc, err;

	/* IMMEDIATE: two processes starting at once migrate one at a time */
	err = exec_id(c, ST_BEGIN);
	if (err)
		return err;
	err = read_version(c, &v);
	if (err)
		goto out;
	if (v > STORE_SCHEMA_VERSION) {
		log_err(NULL,
		        "database %s has schema version %d; this impd knows up "
		        "to %d (made by a newer version?)",
		        sq->path, v, STORE_SCHEMA_VERSION);
		err = ENOTSUP;
		goto out;
	}
	if (v == 0) {
		rc = sqlite3_exec(c->db,
		                  "CREATE TABLE schema_version ("
		                  " version INTEGER NOT NULL);"
		                  "INSERT INTO schema_version VALUES (0);",
		                  NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			goto sqlfail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(c->db, migrations[v], NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			goto sqlfail;
		snprintf(sql, sizeof(sql),
		         "UPDATE schema_version SET version = %d", v + 1);
		rc = sqlite3_exec(c->db, sql, NULL, NULL, &msg);
		if (rc != SQLITE_OK)
			goto sqlfail;
		log_info(NULL, "database %s: migrated to schema version %d",
		         sq->path, v + 1);
	}
	sq->version = v;
	err = exec_id(c, ST_COMMIT);
	goto out;

sqlfail:
	log_err(NULL, "database %s: migration to version %d failed: %s",
	        sq->path, v + 1, msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	err = store_sqlite_errno(rc);
	if (err == EEXIST || !err)
		err = EIO;
out:
	if (err && !sqlite3_get_autocommit(c->db))
		exec_id(c, ST_ROLLBACK);
	return err;
}

/* ---- operations on one connection (no locking, no transaction) ---- */

static int c_domain_exists(struct sq_conn *c, const char *domain, bool *ex)
{
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(c, ST_DOMAIN_GET, &s);

	if (err)
		return err;
	bind_str(s, 1, domain);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*ex = rc == SQLITE_ROW;
	else
		err = sq_err(c, "domain lookup", rc);
	stmt_end(s);
	return err;
}

/* Write statement with bound parameters; ENOENT when no row changed. */
static int run_change(struct sq_conn *c, sqlite3_stmt *s)
{
	int err = stmt_run(c, s);

	if (!err && sqlite3_changes(c->db) == 0)
		err = ENOENT;
	return err;
}

static void bind_user(sqlite3_stmt *s, const struct store_user *u)
{
	bind_str(s, 1, u->user);
	bind_str(s, 2, u->domain);
	bind_str(s, 3, u->ha1_md5);
	bind_str(s, 4, u->ha1_sha256);
	sqlite3_bind_int(s, 5, u->enabled ? 1 : 0);
}

static void row_user(sqlite3_stmt *s, struct store_user *u)
{
	memset(u, 0, sizeof(*u));
	col_copy(u->user, sizeof(u->user), s, 0);
	col_copy(u->domain, sizeof(u->domain), s, 1);
	col_copy(u->ha1_md5, sizeof(u->ha1_md5), s, 2);
	col_copy(u->ha1_sha256, sizeof(u->ha1_sha256), s, 3);
	u->enabled = sqlite3_column_int(s, 4) != 0;
}

static int c_user_get(struct sq_conn *c, const char *user, const char *domain,
                      struct store_user *u)
{
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(c, ST_USER_GET, &s);

	if (err)
		return err;
	bind_str(s, 1, user);
	bind_str(s, 2, domain);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		row_user(s, u);
	else if (rc == SQLITE_DONE)
		err = ENOENT;
	else
		err = sq_err(c, "user lookup", rc);
	stmt_end(s);
	return err;
}

static int c_reg_replace(struct sq_conn *c, const char *aor,
                         const struct store_binding *b, uint32_t n)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_REG_DEL, &s);

	if (err)
		return err;
	bind_str(s, 1, aor);
	err = stmt_run(c, s);
	if (err)
		return err;

	err = stmt_get(c, ST_REG_ADD, &s);
	for (uint32_t i = 0; !err && i < n; i++) {
		bind_str(s, 1, aor);
		bind_str(s, 2, b[i].contact);
		bind_str(s, 3, b[i].instance);
		sqlite3_bind_int64(s, 4, b[i].reg_id);
		bind_str(s, 5, b[i].callid);
		sqlite3_bind_int64(s, 6, b[i].cseq);
		sqlite3_bind_int64(s, 7, (sqlite3_int64)b[i].expires);
		sqlite3_bind_int64(s, 8, b[i].q);
		bind_str(s, 9, b[i].path);
		bind_str(s, 10, b[i].received);
		bind_str(s, 11, b[i].params);
		bind_str(s, 12, b[i].user_agent);
		bind_str(s, 13, b[i].temp_gruu);
		err = stmt_run(c, s);
	}
	return err;
}

/* Bind text, or NULL for a NULL v (an optional filter). */
static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void bind_u64(sqlite3_stmt *s, int i, uint64_t v)
{
	sqlite3_bind_int64(s, i, (sqlite3_int64)v);
}

static uint64_t col_u64(sqlite3_stmt *s, int i)
{
	return (uint64_t)sqlite3_column_int64(s, i);
}

/* Bytes of a BLOB column, NUL-terminated (SQLite adds the NUL when it
 * hands a BLOB out as text); NULL for SQL NULL. */
static const char *col_bytes(sqlite3_stmt *s, int i, size_t *len)
{
	const char *v;

	if (sqlite3_column_type(s, i) == SQLITE_NULL) {
		*len = 0;
		return NULL;
	}
	v = (const char *)sqlite3_column_text(s, i);
	*len = v ? (size_t)sqlite3_column_bytes(s, i) : 0;
	return v ? v : "";
}

static int c_seq_get(struct sq_conn *c, uint64_t *seq)
{
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(c, ST_SEQ_GET, &s);

	if (err)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*seq = col_u64(s, 0);
	else if (rc == SQLITE_DONE)
		err = EIO; /* the counter row is gone: not our schema */
	else
		err = sq_err(c, "sequence", rc);
	stmt_end(s);
	return err;
}

/* Take the next change sequence (inside the caller's transaction). */
static int c_seq_next(struct sq_conn *c, uint64_t *seq)
{
	int err = exec_id(c, ST_SEQ_BUMP);

	return err ? err : c_seq_get(c, seq);
}

static int c_doc_put(struct sq_conn *c, const struct store_doc *d,
                     uint64_t *seqp)
{
	sqlite3_stmt *s = NULL;
	uint64_t seq = 0;
	int err = c_seq_next(c, &seq);

	if (!err)
		err = stmt_get(c, ST_DOC_PUT, &s);
	if (err)
		return err;
	bind_str(s, 1, d->auid);
	bind_str(s, 2, d->owner);
	bind_str(s, 3, d->name);
	bind_str(s, 4, d->etag);
	sqlite3_bind_blob64(s, 5, d->content ? d->content : "", d->len,
	                    SQLITE_STATIC);
	bind_u64(s, 6, seq);
	bind_u64(s, 7, d->mtime_ms);
	err = stmt_run(c, s);
	if (!err)
		*seqp = seq;
	return err;
}

/* ENOENT when no live document; the caller rolls back then, so the
 * sequence is not used up. */
static int c_doc_delete(struct sq_conn *c, const char *auid, const char *owner,
                        const char *name, uint64_t mtime_ms)
{
	sqlite3_stmt *s = NULL;
	uint64_t seq = 0;
	int err = c_seq_next(c, &seq);

	if (!err)
		err = stmt_get(c, ST_DOC_DEL, &s);
	if (err)
		return err;
	bind_str(s, 1, auid);
	bind_str(s, 2, owner);
	bind_str(s, 3, name);
	bind_u64(s, 4, seq);
	bind_u64(s, 5, mtime_ms);
	return run_change(c, s);
}

static void row_doc(sqlite3_stmt *s, struct store_doc *d)
{
	d->auid = col_str(s, 0);
	d->owner = col_str(s, 1);
	d->name = col_str(s, 2);
	d->etag = col_str(s, 3);
	d->content = col_bytes(s, 4, &d->len);
	d->seq = col_u64(s, 5);
	d->mtime_ms = col_u64(s, 6);
}

/* Step s (bound), one h call per row; ENOENT when once and no row. */
static int doc_rows(struct sq_conn *c, sqlite3_stmt *s, bool once,
                    store_doc_h *h, void *arg)
{
	struct store_doc d;
	int rc, err = 0, n = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_doc(s, &d);
		h(&d, arg);
		n++;
		if (once)
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = sq_err(c, "document query", rc);
	else if (once && !n)
		err = ENOENT;
	stmt_end(s);
	return err;
}

static int c_doc_changes(struct sq_conn *c, uint64_t since, uint32_t max,
                         store_doc_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_DOC_CHANGES, &s);

	if (err)
		return err;
	bind_u64(s, 1, since > INT64_MAX ? INT64_MAX : since);
	sqlite3_bind_int64(s, 2, max);
	return doc_rows(c, s, false, h, arg);
}

static int c_pub_put(struct sq_conn *c, const struct store_pub *p,
                     const char *old_etag)
{
	sqlite3_stmt *s = NULL;
	int err;

	if (old_etag) {
		err = stmt_get(c, ST_PUB_DEL, &s);
		if (err)
			return err;
		bind_str(s, 1, old_etag);
		err = stmt_run(c, s);
		if (err)
			return err;
	}
	err = stmt_get(c, ST_PUB_PUT, &s);
	if (err)
		return err;
	bind_str(s, 1, p->etag);
	bind_str(s, 2, p->event);
	bind_str(s, 3, p->resource);
	bind_str(s, 4, p->publisher);
	bind_u64(s, 5, p->expires);
	bind_u64(s, 6, p->updated_ms);
	bind_str(s, 7, p->ctype);
	sqlite3_bind_blob64(s, 8, p->body ? p->body : "", p->len,
	                    SQLITE_STATIC);
	return stmt_run(c, s);
}

/* Delete by key (ST_PUB_DEL, ST_SUB_DEL); 0 also when it was gone. */
static int c_key_delete(struct sq_conn *c, enum stmt_id id, const char *key)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, id, &s);

	if (err)
		return err;
	bind_str(s, 1, key);
	return stmt_run(c, s);
}

static int c_sub_put(struct sq_conn *c, const struct store_sub *v)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_SUB_PUT, &s);

	if (err)
		return err;
	bind_str(s, 1, v->id);
	bind_str(s, 2, v->event);
	bind_str(s, 3, v->event_id);
	bind_str(s, 4, v->resource);
	bind_str(s, 5, v->watcher);
	bind_str(s, 6, v->ident);
	bind_str(s, 7, v->callid);
	bind_str(s, 8, v->local_tag);
	bind_str(s, 9, v->remote_tag);
	bind_str(s, 10, v->from_hdr);
	bind_str(s, 11, v->to_hdr);
	bind_str(s, 12, v->contact);
	bind_str(s, 13, v->route);
	bind_str(s, 14, v->dst);
	bind_str(s, 15, v->local_contact);
	bind_str(s, 16, v->accept);
	bind_str(s, 17, v->supported);
	sqlite3_bind_int64(s, 18, v->local_cseq);
	sqlite3_bind_int64(s, 19, v->remote_cseq);
	bind_u64(s, 20, v->expires);
	bind_u64(s, 21, v->created);
	sqlite3_bind_int64(s, 22, v->state);
	sqlite3_bind_int64(s, 23, v->throttle_ms);
	bind_str(s, 24, v->data);
	return stmt_run(c, s);
}

/* ---- deferred messages and the archive ---- */

/* An integer that SQLite keeps signed: larger values as the largest
 * (store.c clamps stored values; this covers keys and bounds). */
static void bind_u63(sqlite3_stmt *s, int i, uint64_t v)
{
	sqlite3_bind_int64(s, i, v > INT64_MAX ? INT64_MAX : (sqlite3_int64)v);
}

/* LIMIT n, 0 for none. */
static void bind_limit(sqlite3_stmt *s, int i, uint32_t n)
{
	sqlite3_bind_int64(s, i, n ? (sqlite3_int64)n : -1);
}

/* An UPDATE or DELETE of one row by id; ENOENT when there is none. */
static int c_id_change(struct sq_conn *c, enum stmt_id id, uint64_t key)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, id, &s);

	if (err)
		return err;
	bind_u63(s, 1, key);
	return run_change(c, s);
}

static int c_msg_put(struct sq_conn *c, const struct store_msg *m,
                     uint32_t max_msgs, uint64_t max_bytes, uint64_t *id)
{
	sqlite3_stmt *s = NULL;
	uint64_t n = 0, bytes = 0;
	int rc, err = stmt_get(c, ST_MSG_QUOTA, &s);

	if (err)
		return err;
	bind_str(s, 1, m->owner);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		n = col_u64(s, 0);
		bytes = col_u64(s, 1);
	} else {
		err = sq_err(c, "message quota", rc);
	}
	stmt_end(s);
	if (err)
		return err;
	if (max_msgs && n >= max_msgs)
		return EDQUOT;
	if (max_bytes && (bytes > max_bytes || m->len > max_bytes - bytes))
		return EDQUOT;

	err = stmt_get(c, ST_MSG_ADD, &s);
	if (err)
		return err;
	bind_str(s, 1, m->owner);
	bind_str(s, 2, m->sender);
	bind_str(s, 3, m->sender_name);
	sqlite3_bind_int(s, 4, m->sender_auth ? 1 : 0);
	bind_str(s, 5, m->recipient);
	bind_u63(s, 6, m->received_ms);
	bind_u63(s, 7, m->expires);
	bind_str(s, 8, m->ctype);
	sqlite3_bind_blob64(s, 9, m->body ? m->body : "", m->len,
	                    SQLITE_STATIC);
	bind_str(s, 10, m->imdn_id);
	sqlite3_bind_int64(s, 11, m->imdn_disp);
	sqlite3_bind_int64(s, 12, m->attempts);
	bind_u63(s, 13, m->arch_in);
	bind_u63(s, 14, m->arch_out);
	err = stmt_run(c, s);
	if (!err)
		*id = (uint64_t)sqlite3_last_insert_rowid(c->db);
	return err;
}

static void row_msg(sqlite3_stmt *s, struct store_msg *m)
{
	m->id = col_u64(s, 0);
	m->owner = col_str(s, 1);
	m->sender = col_str(s, 2);
	m->sender_name = col_str(s, 3);
	m->sender_auth = sqlite3_column_int(s, 4) != 0;
	m->recipient = col_str(s, 5);
	m->received_ms = col_u64(s, 6);
	m->expires = col_u64(s, 7);
	m->ctype = col_str(s, 8);
	m->body = col_bytes(s, 9, &m->len);
	if (!m->body)
		m->body = "";
	m->imdn_id = col_str(s, 10);
	m->imdn_disp = (uint32_t)sqlite3_column_int64(s, 11);
	m->attempts = (uint32_t)sqlite3_column_int64(s, 12);
	m->arch_in = col_u64(s, 13);
	m->arch_out = col_u64(s, 14);
}

/* Step s (bound), one h call per row. */
static int msg_rows(struct sq_conn *c, sqlite3_stmt *s, store_msg_h *h,
                    void *arg)
{
	struct store_msg m;
	int rc, err = 0;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_msg(s, &m);
		h(&m, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(c, "message query", rc);
	stmt_end(s);
	return err;
}

static int c_msg_list(struct sq_conn *c, const char *owner, uint64_t after_id,
                      uint32_t max, store_msg_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, owner ? ST_MSG_LIST : ST_MSG_LIST_ALL, &s);

	if (err)
		return err;
	if (owner)
		bind_str(s, 1, owner);
	bind_u63(s, 2, after_id);
	bind_limit(s, 3, max);
	return msg_rows(c, s, h, arg);
}

/* Collect up to max expired messages into out, then remove them (the
 * caller's transaction makes it one change). */
static int c_msg_expire(struct sq_conn *c, uint64_t now_s, uint32_t max,
                        struct store_rows *out)
{
	const struct store_msg *v;
	sqlite3_stmt *s = NULL;
	uint32_t first = out->n;
	int err = stmt_get(c, ST_MSG_EXPIRED, &s);

	if (err)
		return err;
	bind_u63(s, 1, now_s);
	bind_limit(s, 2, max);
	err = msg_rows(c, s, store_msgbuf_add, out);
	if (!err)
		err = out->err;
	if (!err)
		err = stmt_get(c, ST_MSG_DEL, &s);
	v = out->v;
	for (uint32_t i = first; !err && i < out->n; i++) {
		bind_u63(s, 1, v[i].id);
		err = stmt_run(c, s);
	}
	return err;
}

/* Record one URI of an archive record (store_uri_h). */
struct uri_add {
	struct sq_conn *c;
	sqlite3_stmt *s;
	uint64_t id;
	const char *owner;
};

static int uri_add(const struct pl *uri, void *arg)
{
	struct uri_add *ua = arg;

	bind_u63(ua->s, 1, ua->id);
	bind_str(ua->s, 2, ua->owner);
	sqlite3_bind_text64(ua->s, 3, uri->p, uri->l, SQLITE_STATIC,
	                    SQLITE_UTF8);
	return stmt_run(ua->c, ua->s);
}

static int c_arch_put(struct sq_conn *c, const struct store_arch *a,
                      uint64_t *idp)
{
	struct uri_add ua = {c, NULL, 0, a->owner};
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_ARCH_ADD, &s);

	if (err)
		return err;
	bind_str(s, 1, a->owner);
	sqlite3_bind_int(s, 2, a->outgoing ? 1 : 0);
	bind_str(s, 3, a->peer);
	bind_str(s, 4, a->sender);
	bind_str(s, 5, a->recipients);
	bind_u63(s, 6, a->time_ms);
	bind_str(s, 7, a->ctype);
	sqlite3_bind_blob64(s, 8, a->body ? a->body : "", a->len,
	                    SQLITE_STATIC);
	bind_str(s, 9, a->outcome);
	err = stmt_run(c, s);
	if (err)
		return err;
	ua.id = (uint64_t)sqlite3_last_insert_rowid(c->db);
	err = stmt_get(c, ST_ARCH_URI_ADD, &ua.s);
	if (!err)
		err = store_arch_uris(a, uri_add, &ua);
	if (!err)
		*idp = ua.id;
	return err;
}

static int c_arch_outcome(struct sq_conn *c, uint64_t id, const char *outcome)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_ARCH_OUTCOME, &s);

	if (err)
		return err;
	bind_u63(s, 1, id);
	bind_str(s, 2, outcome);
	return run_change(c, s);
}

static int c_arch_list(struct sq_conn *c, const struct store_arch_query *q,
                       store_arch_h *h, void *arg)
{
	struct store_arch a;
	sqlite3_stmt *s = NULL;
	int rc, err;

	err = stmt_get(c, q->peer ? ST_ARCH_LIST_PEER : ST_ARCH_LIST, &s);
	if (err)
		return err;
	bind_str(s, 1, q->owner);
	bind_u63(s, 2, q->since_ms);
	bind_u63(s, 3, q->after_id);
	bind_limit(s, 4, q->limit);
	if (q->peer)
		bind_str(s, 5, q->peer);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		a.id = col_u64(s, 0);
		a.owner = col_str(s, 1);
		a.outgoing = sqlite3_column_int(s, 2) != 0;
		a.peer = col_str(s, 3);
		a.sender = col_str(s, 4);
		a.recipients = col_str(s, 5);
		a.time_ms = col_u64(s, 6);
		a.ctype = col_str(s, 7);
		a.body = col_bytes(s, 8, &a.len);
		if (!a.body)
			a.body = "";
		a.outcome = col_str(s, 9);
		h(&a, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(c, "archive query", rc);
	stmt_end(s);
	return err;
}

static int c_arch_expire(struct sq_conn *c, const char *owner,
                         uint64_t before_ms)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, owner ? ST_ARCH_EXPIRE : ST_ARCH_EXPIRE_ALL, &s);

	if (err)
		return err;
	if (owner)
		bind_str(s, 1, owner);
	bind_u63(s, 2, before_ms);
	return stmt_run(c, s);
}

/* ---- the synchronous API: sync connection under sync_mtx ---- */

static struct sqstore *lock_sync(struct store *st)
{
	struct sqstore *sq = st->bed;

	pthread_mutex_lock(&sq->sync_mtx);
	return sq;
}

static void unlock_sync(struct sqstore *sq)
{
	pthread_mutex_unlock(&sq->sync_mtx);
}

/* End a write transaction: commit on success, else roll back. */
static int tx_end(struct sq_conn *c, int err)
{
	if (!err)
		err = exec_id(c, ST_COMMIT);
	if (err && !sqlite3_get_autocommit(c->db))
		exec_id(c, ST_ROLLBACK);
	return err;
}

static int s_schema_version(struct store *st)
{
	return ((struct sqstore *)st->bed)->version;
}

static int s_domain_add(struct store *st, const char *domain)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int err = stmt_get(&sq->sync, ST_DOMAIN_ADD, &s);

	if (!err) {
		bind_str(s, 1, domain);
		err = stmt_run(&sq->sync, s);
	}
	unlock_sync(sq);
	return err;
}

static int s_domain_remove(struct store *st, const char *domain)
{
	struct sqstore *sq = lock_sync(st);
	struct sq_conn *c = &sq->sync;
	sqlite3_stmt *s = NULL;
	int err = exec_id(c, ST_BEGIN);

	if (err)
		goto out;
	/* the domain's users go with it */
	err = stmt_get(c, ST_DOMAIN_USERS_DEL, &s);
	if (!err) {
		bind_str(s, 1, domain);
		err = stmt_run(c, s);
	}
	if (!err)
		err = stmt_get(c, ST_DOMAIN_DEL, &s);
	if (!err) {
		bind_str(s, 1, domain);
		err = run_change(c, s);
	}
	err = tx_end(c, err);
out:
	unlock_sync(sq);
	return err;
}

static int s_domain_exists(struct store *st, const char *domain, bool *ex)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_domain_exists(&sq->sync, domain, ex);

	unlock_sync(sq);
	return err;
}

static int s_domain_list(struct store *st, store_domain_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(&sq->sync, ST_DOMAIN_LIST, &s);

	if (err)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		h(col_str(s, 0), arg);
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "domain list", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_user_add(struct store *st, const struct store_user *u)
{
	struct sqstore *sq = lock_sync(st);
	struct sq_conn *c = &sq->sync;
	sqlite3_stmt *s = NULL;
	bool ex = false;
	int err = exec_id(c, ST_BEGIN);

	if (err)
		goto out;
	err = c_domain_exists(c, u->domain, &ex);
	if (!err && !ex)
		err = ENOENT;
	if (!err)
		err = stmt_get(c, ST_USER_ADD, &s);
	if (!err) {
		bind_user(s, u);
		err = stmt_run(c, s);
	}
	err = tx_end(c, err);
out:
	unlock_sync(sq);
	return err;
}

static int s_user_update(struct store *st, const struct store_user *u)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int err = stmt_get(&sq->sync, ST_USER_UPD, &s);

	if (!err) {
		bind_user(s, u);
		err = run_change(&sq->sync, s);
	}
	unlock_sync(sq);
	return err;
}

static int s_user_remove(struct store *st, const char *user, const char *domain)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int err = stmt_get(&sq->sync, ST_USER_DEL, &s);

	if (!err) {
		bind_str(s, 1, user);
		bind_str(s, 2, domain);
		err = run_change(&sq->sync, s);
	}
	unlock_sync(sq);
	return err;
}

static int s_user_get(struct store *st, const char *user, const char *domain,
                      struct store_user *u)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_user_get(&sq->sync, user, domain, u);

	unlock_sync(sq);
	return err;
}

static int s_user_list(struct store *st, const char *domain, store_user_h *h,
                       void *arg)
{
	struct sqstore *sq = lock_sync(st);
	struct store_user u;
	sqlite3_stmt *s = NULL;
	int rc, err;

	err = stmt_get(&sq->sync, domain ? ST_USER_LIST_DOM : ST_USER_LIST, &s);
	if (err)
		goto out;
	if (domain)
		bind_str(s, 1, domain);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_user(s, &u);
		h(&u, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "user list", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_reg_replace(struct store *st, const char *aor,
                         const struct store_binding *b, uint32_t n)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync, c_reg_replace(&sq->sync, aor, b, n));
	unlock_sync(sq);
	return err;
}

static int s_reg_list(struct store *st, const char *aor, store_binding_h *h,
                      void *arg)
{
	struct sqstore *sq = lock_sync(st);
	struct store_binding b;
	sqlite3_stmt *s = NULL;
	int rc, err;

	err = stmt_get(&sq->sync, aor ? ST_REG_LIST_AOR : ST_REG_LIST, &s);
	if (err)
		goto out;
	if (aor)
		bind_str(s, 1, aor);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		b.aor = col_str(s, 0);
		b.contact = col_str(s, 1);
		b.instance = col_str(s, 2);
		b.reg_id = (uint32_t)sqlite3_column_int64(s, 3);
		b.callid = col_str(s, 4);
		b.cseq = (uint32_t)sqlite3_column_int64(s, 5);
		b.expires = (uint64_t)sqlite3_column_int64(s, 6);
		b.q = (uint32_t)sqlite3_column_int64(s, 7);
		b.path = col_str(s, 8);
		b.received = col_str(s, 9);
		b.params = col_str(s, 10);
		b.user_agent = col_str(s, 11);
		b.temp_gruu = col_str(s, 12);
		h(&b, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "registration list", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_doc_put(struct store *st, const struct store_doc *d, uint64_t *seq)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync, c_doc_put(&sq->sync, d, seq));
	unlock_sync(sq);
	return err;
}

static int s_doc_delete(struct store *st, const char *auid, const char *owner,
                        const char *name, uint64_t mtime_ms)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync, c_doc_delete(&sq->sync, auid, owner,
		                                     name, mtime_ms));
	unlock_sync(sq);
	return err;
}

static int c_doc_get(struct sq_conn *c, const char *auid, const char *owner,
                     const char *name, store_doc_h *h, void *arg)
{
	sqlite3_stmt *s = NULL;
	int err = stmt_get(c, ST_DOC_GET, &s);

	if (err)
		return err;
	bind_str(s, 1, auid);
	bind_str(s, 2, owner);
	bind_str(s, 3, name);
	return doc_rows(c, s, true, h, arg);
}

static int s_doc_get(struct store *st, const char *auid, const char *owner,
                     const char *name, store_doc_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_doc_get(&sq->sync, auid, owner, name, h, arg);

	unlock_sync(sq);
	return err;
}

static int s_doc_list(struct store *st, const char *auid, const char *owner,
                      store_doc_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int err = stmt_get(&sq->sync, ST_DOC_LIST, &s);

	if (!err) {
		bind_opt(s, 1, auid);
		bind_opt(s, 2, owner);
		err = doc_rows(&sq->sync, s, false, h, arg);
	}
	unlock_sync(sq);
	return err;
}

static int s_doc_seq(struct store *st, uint64_t *seq)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_seq_get(&sq->sync, seq);

	unlock_sync(sq);
	return err;
}

static int s_doc_changes(struct store *st, uint64_t since, uint32_t max,
                         store_doc_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_doc_changes(&sq->sync, since, max, h, arg);

	unlock_sync(sq);
	return err;
}

static int s_pub_put(struct store *st, const struct store_pub *p,
                     const char *old_etag)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync, c_pub_put(&sq->sync, p, old_etag));
	unlock_sync(sq);
	return err;
}

static int s_pub_delete(struct store *st, const char *etag)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_key_delete(&sq->sync, ST_PUB_DEL, etag);

	unlock_sync(sq);
	return err;
}

static int s_pub_list(struct store *st, store_pub_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	struct store_pub p;
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(&sq->sync, ST_PUB_LIST, &s);

	if (err)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		p.etag = col_str(s, 0);
		p.event = col_str(s, 1);
		p.resource = col_str(s, 2);
		p.publisher = col_str(s, 3);
		p.expires = col_u64(s, 4);
		p.updated_ms = col_u64(s, 5);
		p.ctype = col_str(s, 6);
		p.body = col_bytes(s, 7, &p.len);
		if (!p.body)
			p.body = "";
		h(&p, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "publication list", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_sub_put(struct store *st, const struct store_sub *v)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_sub_put(&sq->sync, v);

	unlock_sync(sq);
	return err;
}

static int s_sub_delete(struct store *st, const char *id)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_key_delete(&sq->sync, ST_SUB_DEL, id);

	unlock_sync(sq);
	return err;
}

static int s_sub_list(struct store *st, store_sub_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	struct store_sub v;
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(&sq->sync, ST_SUB_LIST, &s);

	if (err)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		v.id = col_str(s, 0);
		v.event = col_str(s, 1);
		v.event_id = col_str(s, 2);
		v.resource = col_str(s, 3);
		v.watcher = col_str(s, 4);
		v.ident = col_str(s, 5);
		v.callid = col_str(s, 6);
		v.local_tag = col_str(s, 7);
		v.remote_tag = col_str(s, 8);
		v.from_hdr = col_str(s, 9);
		v.to_hdr = col_str(s, 10);
		v.contact = col_str(s, 11);
		v.route = col_str(s, 12);
		v.dst = col_str(s, 13);
		v.local_contact = col_str(s, 14);
		v.accept = col_str(s, 15);
		v.supported = col_str(s, 16);
		v.local_cseq = (uint32_t)sqlite3_column_int64(s, 17);
		v.remote_cseq = (uint32_t)sqlite3_column_int64(s, 18);
		v.expires = col_u64(s, 19);
		v.created = col_u64(s, 20);
		v.state = sqlite3_column_int(s, 21);
		v.throttle_ms = (uint32_t)sqlite3_column_int64(s, 22);
		v.data = col_str(s, 23);
		h(&v, arg);
	}
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "subscription list", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_msg_put(struct store *st, const struct store_msg *m,
                     uint32_t max_msgs, uint64_t max_bytes, uint64_t *id)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync,
		             c_msg_put(&sq->sync, m, max_msgs, max_bytes, id));
	unlock_sync(sq);
	return err;
}

static int s_msg_list(struct store *st, const char *owner, uint64_t after_id,
                      uint32_t max, store_msg_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_msg_list(&sq->sync, owner, after_id, max, h, arg);

	unlock_sync(sq);
	return err;
}

static int s_msg_delete(struct store *st, uint64_t id)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_id_change(&sq->sync, ST_MSG_DEL, id);

	unlock_sync(sq);
	return err;
}

static int s_msg_tried(struct store *st, uint64_t id)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_id_change(&sq->sync, ST_MSG_TRIED, id);

	unlock_sync(sq);
	return err;
}

static int s_msg_owners(struct store *st, store_msg_owner_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	sqlite3_stmt *s = NULL;
	int rc, err = stmt_get(&sq->sync, ST_MSG_OWNERS, &s);

	if (err)
		goto out;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		h(col_str(s, 0), (uint32_t)sqlite3_column_int64(s, 1),
		  col_u64(s, 2), arg);
	if (rc != SQLITE_DONE)
		err = sq_err(&sq->sync, "message owners", rc);
	stmt_end(s);
out:
	unlock_sync(sq);
	return err;
}

static int s_msg_expire(struct store *st, uint64_t now_s, uint32_t max,
                        struct store_rows *out)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err =
		    tx_end(&sq->sync, c_msg_expire(&sq->sync, now_s, max, out));
	unlock_sync(sq);
	return err;
}

static int s_arch_put(struct store *st, const struct store_arch *a,
                      uint64_t *id)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync, c_arch_put(&sq->sync, a, id));
	unlock_sync(sq);
	return err;
}

static int s_arch_outcome(struct store *st, uint64_t id, const char *outcome)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_arch_outcome(&sq->sync, id, outcome);

	unlock_sync(sq);
	return err;
}

static int s_arch_list(struct store *st, const struct store_arch_query *q,
                       store_arch_h *h, void *arg)
{
	struct sqstore *sq = lock_sync(st);
	int err = c_arch_list(&sq->sync, q, h, arg);

	unlock_sync(sq);
	return err;
}

static int s_arch_expire(struct store *st, const char *owner,
                         uint64_t before_ms)
{
	struct sqstore *sq = lock_sync(st);
	int err = exec_id(&sq->sync, ST_BEGIN);

	if (!err)
		err = tx_end(&sq->sync,
		             c_arch_expire(&sq->sync, owner, before_ms));
	unlock_sync(sq);
	return err;
}

/* ---- the worker ---- */

/* The writing part of op (runs inside its savepoint). */
static int op_write(struct sq_conn *c, struct store_op *op)
{
	switch (op->type) {
	case STORE_OP_REG_REPLACE:
		return c_reg_replace(c, op->aor, op->b, op->n);
	case STORE_OP_DOC_PUT:
		return c_doc_put(c, &op->doc, &op->doc.seq);
	case STORE_OP_DOC_DELETE:
		return c_doc_delete(c, op->doc.auid, op->doc.owner,
		                    op->doc.name, op->doc.mtime_ms);
	case STORE_OP_PUB_PUT:
		return c_pub_put(c, &op->pub, op->old_etag);
	case STORE_OP_PUB_DELETE:
		return c_key_delete(c, ST_PUB_DEL, op->pub.etag);
	case STORE_OP_SUB_PUT:
		return c_sub_put(c, &op->sub);
	case STORE_OP_SUB_DELETE:
		return c_key_delete(c, ST_SUB_DEL, op->sub.id);
	case STORE_OP_MSG_PUT:
		return c_msg_put(c, &op->msg, op->max_msgs, op->max_bytes,
		                 &op->id);
	case STORE_OP_MSG_DELETE:
		return c_id_change(c, ST_MSG_DEL, op->id);
	case STORE_OP_MSG_TRIED:
		return c_id_change(c, ST_MSG_TRIED, op->id);
	case STORE_OP_MSG_EXPIRE:
		return c_msg_expire(c, op->since, op->max, &op->rows);
	case STORE_OP_ARCH_PUT:
		return c_arch_put(c, &op->arch, &op->id);
	case STORE_OP_ARCH_OUTCOME:
		return c_arch_outcome(c, op->id, op->arch.outcome);
	case STORE_OP_ARCH_EXPIRE:
		return c_arch_expire(c, op->arch.owner, op->since);
	default:
		return EINVAL;
	}
}

static int op_exec(struct sq_conn *c, struct store_op *op)
{
	int err, rerr;

	switch (op->type) {
	case STORE_OP_USER_GET:
		return c_user_get(c, op->user, op->domain, &op->u);
	case STORE_OP_DOC_CHANGES:
		/* the result is allocated here and freed on the loop thread,
		 * after the hand-over through the completion queue */
		err = c_doc_changes(c, op->since, op->max, store_docbuf_add,
		                    &op->res);
		return store_docbuf_finish(&op->res, err);
	case STORE_OP_DOC_GET:
		err = c_doc_get(c, op->doc.auid, op->doc.owner, op->doc.name,
		                store_docbuf_add, &op->res);
		return store_docbuf_finish(&op->res, err);
	case STORE_OP_MSG_LIST:
		err = c_msg_list(c, op->msg.owner, op->since, op->max,
		                 store_msgbuf_add, &op->rows);
		return store_msgbuf_finish(&op->rows, err);
	case STORE_OP_ARCH_LIST:
		err = c_arch_list(c, &op->query, store_archbuf_add, &op->rows);
		return store_archbuf_finish(&op->rows, err);
	default:
		break;
	}
	err = exec_id(c, ST_SAVEPOINT);
	if (err)
		return err;
	err = op_write(c, op);
	if (err)
		exec_id(c, ST_ROLLBACK_TO);
	/* RELEASE after ROLLBACK TO drops the savepoint */
	rerr = exec_id(c, ST_RELEASE);
	if (!err)
		err = rerr;
	/* the expired messages go to the handler (they are gone when the
	 * batch commits; a failed commit turns the result into EIO) */
	if (op->type == STORE_OP_MSG_EXPIRE)
		err = store_msgbuf_finish(&op->rows, err);
	return err;
}

/* One transaction for the whole batch. */
static void group_run(struct sqstore *sq, struct store_op *ops)
{
	struct sq_conn *c = &sq->async;
	uint32_t n = 0;
	int err;

	err = exec_id(c, ST_BEGIN);
	if (err) {
		log_err(NULL, "database %s: cannot begin a transaction: %s",
		        sq->path, err_str(err));
		goto fail;
	}
	for (struct store_op *op = ops; op; op = op->next) {
		op->err = op_exec(c, op);
		n++;
	}
	if (fail_commit_now()) {
		log_err(NULL, "database %s: commit failed (injected)",
		        sq->path);
		err = EIO;
		goto fail;
	}
	err = exec_id(c, ST_COMMIT);
	if (err) {
		log_err(NULL, "database %s: commit of %u operations failed: %s",
		        sq->path, n, err_str(err));
		goto fail;
	}
	__atomic_add_fetch(&commit_count, 1, __ATOMIC_SEQ_CST);
	return;

fail:
	if (!sqlite3_get_autocommit(c->db))
		exec_id(c, ST_ROLLBACK);
	/* nothing of the batch is durable: tell everyone */
	for (struct store_op *op = ops; op; op = op->next)
		op->err = EIO;
}

static void *worker_main(void *arg)
{
	struct sqstore *sq = arg;
	struct store_op *ops;
	sigset_t all;

	/* signals belong to the loop thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	pthread_mutex_lock(&sq->qmtx);
	for (;;) {
		while (!sq->qhead && !sq->stop)
			pthread_cond_wait(&sq->qcond, &sq->qmtx);
		if (!sq->qhead)
			break; /* stop, and everything done */
		ops = sq->qhead;
		sq->qhead = NULL;
		sq->qtail = &sq->qhead;
		sq->busy = true;
		pthread_mutex_unlock(&sq->qmtx);

		group_run(sq, ops);
		store_complete(sq->st, ops);

		pthread_mutex_lock(&sq->qmtx);
		sq->busy = false;
		if (!sq->qhead)
			pthread_cond_broadcast(&sq->idle);
	}
	pthread_mutex_unlock(&sq->qmtx);
	return NULL;
}

static int s_submit(struct store *st, struct store_op *op)
{
	struct sqstore *sq = st->bed;
	int err = 0;

	pthread_mutex_lock(&sq->qmtx);
	if (sq->stop) {
		err = ESHUTDOWN;
	} else {
		op->next = NULL;
		*sq->qtail = op;
		sq->qtail = &op->next;
		pthread_cond_signal(&sq->qcond);
	}
	pthread_mutex_unlock(&sq->qmtx);
	return err;
}

static void s_drain(struct store *st)
{
	struct sqstore *sq = st->bed;

	if (!sq->thread_started)
		return;
	pthread_mutex_lock(&sq->qmtx);
	while (sq->qhead || sq->busy)
		pthread_cond_wait(&sq->idle, &sq->qmtx);
	pthread_mutex_unlock(&sq->qmtx);
}

/* ---- open and close ---- */

static void sqstore_destroy(void *data)
{
	struct sqstore *sq = data;

	if (sq->thread_started) {
		/* the worker commits what is queued, then ends */
		pthread_mutex_lock(&sq->qmtx);
		sq->stop = true;
		pthread_cond_signal(&sq->qcond);
		pthread_mutex_unlock(&sq->qmtx);
		pthread_join(sq->thread, NULL);
	}
	conn_close(&sq->async);
	conn_close(&sq->sync);
	pthread_cond_destroy(&sq->idle);
	pthread_cond_destroy(&sq->qcond);
	pthread_mutex_destroy(&sq->qmtx);
	pthread_mutex_destroy(&sq->sync_mtx);
	mem_deref(sq->path);
}

/* "PATH" or "PATH?busy_ms=N". */
static int parse_arg(struct sqstore *sq, const char *arg)
{
	const char *q = strchr(arg, '?');
	size_t n = q ? (size_t)(q - arg) : strlen(arg);
	int err;

	if (!n) {
		log_err(NULL, "store URI: 'sqlite:' needs a file name");
		return EINVAL;
	}
	err = mem_strndup(&sq->path, arg, n);
	if (err)
		return err;
	sq->busy_ms = DEFAULT_BUSY_MS;
	if (q) {
		char *end;
		unsigned long v;

		if (strncmp(q + 1, "busy_ms=", 8)) {
			log_err(NULL, "store URI: unknown option '%s'", q + 1);
			return EINVAL;
		}
		errno = 0;
		v = strtoul(q + 9, &end, 10);
		if (errno || end == q + 9 || *end || v > 600000) {
			log_err(NULL, "store URI: bad busy_ms '%s'", q + 9);
			return EINVAL;
		}
		sq->busy_ms = (int)v;
	}
	return 0;
}

static int s_open(struct store *st, const char *arg)
{
	struct sqstore *sq;
	int err;

	sq = mem_zalloc(sizeof(*sq), NULL);
	if (!sq)
		return ENOMEM;
	sq->st = st;
	sq->qtail = &sq->qhead;
	if (pthread_mutex_init(&sq->sync_mtx, NULL)) {
		mem_deref(sq);
		return ENOMEM;
	}
	if (pthread_mutex_init(&sq->qmtx, NULL)) {
		pthread_mutex_destroy(&sq->sync_mtx);
		mem_deref(sq);
		return ENOMEM;
	}
	if (pthread_cond_init(&sq->qcond, NULL)) {
		pthread_mutex_destroy(&sq->qmtx);
		pthread_mutex_destroy(&sq->sync_mtx);
		mem_deref(sq);
		return ENOMEM;
	}
	if (pthread_cond_init(&sq->idle, NULL)) {
		pthread_cond_destroy(&sq->qcond);
		pthread_mutex_destroy(&sq->qmtx);
		pthread_mutex_destroy(&sq->sync_mtx);
		mem_deref(sq);
		return ENOMEM;
	}
	mem_destructor(sq, sqstore_destroy);

	err = parse_arg(sq, arg);
	if (err)
		goto out;
	err = conn_open(&sq->sync, sq);
	if (err)
		goto out;
	err = check_integrity(&sq->sync, sq->path);
	if (err)
		goto out;
	err = migrate(sq);
	if (err)
		goto out;

	if (st->loop) {
		err = conn_open(&sq->async, sq);
		if (err)
			goto out;
		err = pthread_create(&sq->thread, NULL, worker_main, sq);
		if (err) {
			log_err(NULL, "cannot start the store thread: %s",
			        err_str(err));
			goto out;
		}
		sq->thread_started = true;
		pthread_setname_np(sq->thread, "impd-store");
	}

out:
	if (err)
		mem_deref(sq);
	else
		st->bed = sq;
	return err;
}

static void s_close(struct store *st)
{
	st->bed = mem_deref(st->bed);
}

const struct store_be store_be_sqlite = {
    .scheme = "sqlite",
    .open = s_open,
    .close = s_close,
    .schema_version = s_schema_version,
    .domain_add = s_domain_add,
    .domain_remove = s_domain_remove,
    .domain_exists = s_domain_exists,
    .domain_list = s_domain_list,
    .user_add = s_user_add,
    .user_update = s_user_update,
    .user_remove = s_user_remove,
    .user_get = s_user_get,
    .user_list = s_user_list,
    .reg_replace = s_reg_replace,
    .reg_list = s_reg_list,
    .doc_put = s_doc_put,
    .doc_delete = s_doc_delete,
    .doc_get = s_doc_get,
    .doc_list = s_doc_list,
    .doc_seq = s_doc_seq,
    .doc_changes = s_doc_changes,
    .pub_put = s_pub_put,
    .pub_delete = s_pub_delete,
    .pub_list = s_pub_list,
    .sub_put = s_sub_put,
    .sub_delete = s_sub_delete,
    .sub_list = s_sub_list,
    .msg_put = s_msg_put,
    .msg_list = s_msg_list,
    .msg_delete = s_msg_delete,
    .msg_tried = s_msg_tried,
    .msg_owners = s_msg_owners,
    .msg_expire = s_msg_expire,
    .arch_put = s_arch_put,
    .arch_outcome = s_arch_outcome,
    .arch_list = s_arch_list,
    .arch_expire = s_arch_expire,
    .submit = s_submit,
    .drain = s_drain,
};
