/* tests/unit/store/test_store_sqlite.c - SQLite: migrations, failures */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/mem.h"
#include "store/store.h"
#include "store/store_int.h"
#include "store_test.h"
#include "test.h"

/* The schema as version 1 shipped it: a fixture, kept apart from the
 * migrations on purpose. */
static const char v1_schema[] =
    "CREATE TABLE schema_version (version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1);"
    "CREATE TABLE domains (name TEXT NOT NULL COLLATE NOCASE PRIMARY KEY);"
    "CREATE TABLE users (user TEXT NOT NULL,"
    " domain TEXT NOT NULL COLLATE NOCASE,"
    " ha1_md5 TEXT NOT NULL DEFAULT '', ha1_sha256 TEXT NOT NULL DEFAULT '',"
    " enabled INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (user, domain));"
    "CREATE TABLE registrations (aor TEXT NOT NULL, contact TEXT NOT NULL,"
    " instance TEXT NOT NULL DEFAULT '', reg_id INTEGER NOT NULL DEFAULT 0,"
    " callid TEXT NOT NULL DEFAULT '', cseq INTEGER NOT NULL DEFAULT 0,"
    " expires INTEGER NOT NULL, q INTEGER NOT NULL DEFAULT 1000,"
    " path TEXT NOT NULL DEFAULT '', received TEXT NOT NULL DEFAULT '',"
    " params TEXT NOT NULL DEFAULT '', user_agent TEXT NOT NULL DEFAULT '',"
    " temp_gruu TEXT NOT NULL DEFAULT '');"
    "INSERT INTO domains VALUES ('example.com');"
    "INSERT INTO users VALUES ('alice', 'example.com',"
    " '0123456789abcdef0123456789abcdef', '', 1);"
    "INSERT INTO registrations (aor, contact, expires)"
    " VALUES ('alice@example.com', 'sip:alice@192.0.2.1', 4000000000);";

/* Run sql on the file with a connection of our own. */
static int raw_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : EIO;
}

static int raw_count(const char *path, const char *sql, int *n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_open(path, &db);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*n = sqlite3_column_int(s, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : EIO;
}

static void count_h(const struct store_binding *b, void *arg)
{
	(void)b;
	++*(int *)arg;
}

TEST(test_store_sqlite_migrate_v1)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct store_user u;
	int n = 0, err = tmpdb_init(&t);

	if (err)
		return err;
	err = raw_exec(t.path, v1_schema);
	TEST_ERR(err);

	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	TEST_EQ(STORE_SCHEMA_VERSION, store_schema_version(st));
	/* the data survived */
	err = store_user_get(st, "alice", "example.com", &u);
	TEST_ERR(err);
	TEST_STR_EQ("0123456789abcdef0123456789abcdef", u.ha1_md5);
	err = store_reg_list(st, "alice@example.com", count_h, &n);
	TEST_ERR(err);
	TEST_EQ(1, n);
	st = mem_deref(st);

	/* migration 2 ran: its indexes exist, the version is recorded */
	err = raw_count(t.path,
	                "SELECT count(*) FROM sqlite_master WHERE type = "
	                "'index' AND name LIKE 'registrations_%'",
	                &n);
	TEST_ERR(err);
	TEST_EQ(2, n);
	err = raw_count(t.path, "SELECT version FROM schema_version", &n);
	TEST_ERR(err);
	TEST_EQ(STORE_SCHEMA_VERSION, n);

	/* opening again migrates nothing and keeps everything */
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	TEST_EQ(STORE_SCHEMA_VERSION, store_schema_version(st));
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_sqlite_newer_schema)
{
	struct tmpdb t;
	struct store *st = NULL;
	int err = tmpdb_init(&t);

	if (err)
		return err;
	err = raw_exec(t.path, "CREATE TABLE schema_version (version INTEGER);"
	                       "INSERT INTO schema_version VALUES (99);");
	TEST_ERR(err);
	TEST_ERR_EQ(ENOTSUP, store_open(&st, t.uri, NULL));
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_sqlite_foreign_db)
{
	struct tmpdb t;
	struct store *st = NULL;
	int n = -1, err = tmpdb_init(&t);

	if (err)
		return err;
	/* somebody else's database with a table of ours' name */
	err = raw_exec(t.path, "CREATE TABLE domains (x);");
	TEST_ERR(err);
	TEST_ERR_EQ(EIO, store_open(&st, t.uri, NULL));
	/* and nothing was half-done: no schema_version left behind */
	err = raw_count(t.path,
	                "SELECT count(*) FROM sqlite_master WHERE name = "
	                "'schema_version'",
	                &n);
	TEST_ERR(err);
	TEST_EQ(0, n);
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_sqlite_corrupt)
{
	struct tmpdb t;
	struct store *st = NULL;
	char junk[8192];
	int fd, err = tmpdb_init(&t);

	if (err)
		return err;
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 7 + 3);
	fd = open(t.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	TEST_ASSERT(fd >= 0);
	TEST_ASSERT(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	TEST_ERR_EQ(EBADMSG, store_open(&st, t.uri, NULL));
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_sqlite_unwritable)
{
	struct tmpdb t;
	struct store *st = NULL;
	char uri[400];
	int err = tmpdb_init(&t);

	if (err)
		return err;
	/* a directory where the file should be */
	TEST_ASSERT(mkdir(t.path, 0700) == 0);
	err = store_open(&st, t.uri, NULL);
	if (err == ENOMEM)
		goto out;
	TEST_ASSERT(err != 0);
	rmdir(t.path);
	/* a directory that does not exist */
	snprintf(uri, sizeof(uri), "sqlite:%s/no/such/dir.db", t.dir);
	err = store_open(&st, uri, NULL);
	if (err == ENOMEM)
		goto out;
	TEST_ASSERT(err != 0);

	/* a read-only file (root ignores file modes: not testable then) */
	err = store_open(&st, t.uri, NULL);
	TEST_ERR(err);
	st = mem_deref(st);
	if (geteuid() != 0) {
		TEST_ASSERT(chmod(t.path, 0444) == 0);
		TEST_ERR_EQ(EROFS, store_open(&st, t.uri, NULL));
		chmod(t.path, 0644);
	}
	err = 0;
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}

/* ---- failures of the group commit ---- */

struct fctx {
	int calls, ok, eio, other;
};

static void fdone_h(int err, void *arg)
{
	struct fctx *c = arg;

	c->calls++;
	if (!err)
		c->ok++;
	else if (err == EIO)
		c->eio++;
	else
		c->other++;
}

static void fuget_h(int err, const struct store_user *u, void *arg)
{
	fdone_h(err == ENOENT ? 0 : err, arg);
	(void)u;
}

static void loop_drain(struct loop *l)
{
	for (int i = 0; i < 5; i++)
		loop_run_once(l, 0);
}

static int queue_n(struct store *st, int n, struct fctx *c)
{
	struct store_binding b = {0};
	char aor[64];

	b.contact = "sip:x@192.0.2.1";
	for (int i = 0; i < n; i++) {
		snprintf(aor, sizeof(aor), "u%d@example.com", i);
		int err = store_reg_replace(st, aor, &b, 1, fdone_h, c);
		if (err)
			return err;
	}
	return 0;
}

TEST_NO_OOM(test_store_sqlite_commit_fails)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct fctx *c = NULL;
	int n = 0, err = tmpdb_init(&t);

	if (err)
		return err;
	c = mem_zalloc(sizeof(*c), NULL);
	TEST_ASSERT(c);
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);

	/* every commit fails: every handler hears EIO, reads included */
	store_sqlite_fail_commits(1000);
	err = queue_n(st, 20, c);
	TEST_ERR(err);
	err = store_user_get_async(st, "x", "example.com", fuget_h, c);
	TEST_ERR(err);
	store_flush(st);
	store_sqlite_fail_commits(0);
	TEST_EQ(21, c->calls);
	TEST_EQ(21, c->eio);
	err = store_reg_list(st, NULL, count_h, &n);
	TEST_ERR(err);
	TEST_EQ(0, n); /* nothing half-written */

	/* and the store recovers */
	memset(c, 0, sizeof(*c));
	err = queue_n(st, 20, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(20, c->ok);
	err = store_reg_list(st, NULL, count_h, &n);
	TEST_ERR(err);
	TEST_EQ(20, n);
	TEST_EQ(1, mem_nrefs(c));
out:
	store_sqlite_fail_commits(0);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* Another process holds the write lock past busy_ms: the batch cannot
 * begin, and everyone in it is told. */
TEST_NO_OOM(test_store_sqlite_locked)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct fctx *c = NULL;
	sqlite3 *db = NULL;
	char uri[400];
	int n = 0, err = tmpdb_init(&t);

	if (err)
		return err;
	c = mem_zalloc(sizeof(*c), NULL);
	TEST_ASSERT(c);
	err = loop_alloc(&l);
	TEST_ERR(err);
	snprintf(uri, sizeof(uri), "%s?busy_ms=50", t.uri);
	err = store_open(&st, uri, l);
	TEST_ERR(err);

	TEST_ASSERT(sqlite3_open(t.path, &db) == SQLITE_OK);
	TEST_ASSERT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	            SQLITE_OK);
	err = queue_n(st, 5, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(5, c->calls);
	TEST_EQ(5, c->eio);
	TEST_ASSERT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) ==
	            SQLITE_OK);

	memset(c, 0, sizeof(*c));
	err = queue_n(st, 5, c);
	TEST_ERR(err);
	store_flush(st);
	TEST_EQ(5, c->ok);
	err = store_reg_list(st, NULL, count_h, &n);
	TEST_ERR(err);
	TEST_EQ(5, n);
out:
	sqlite3_close(db);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* While a batch waits for the write lock, everything queued meanwhile goes
 * into the next one: 100 writes, at most two commits. */
TEST_NO_OOM(test_store_sqlite_group_commit)
{
	struct tmpdb t;
	struct store *st = NULL;
	struct loop *l = NULL;
	struct fctx *c = NULL;
	sqlite3 *db = NULL;
	uint64_t before;
	int n = 0, err = tmpdb_init(&t);

	if (err)
		return err;
	c = mem_zalloc(sizeof(*c), NULL);
	TEST_ASSERT(c);
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);

	TEST_ASSERT(sqlite3_open(t.path, &db) == SQLITE_OK);
	TEST_ASSERT(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) ==
	            SQLITE_OK);
	before = store_sqlite_commit_count();
	err = queue_n(st, 100, c);
	TEST_ERR(err);
	usleep(50000);
	TEST_ASSERT(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL) ==
	            SQLITE_OK);
	store_flush(st);
	TEST_EQ(100, c->calls);
	TEST_EQ(100, c->ok);
	TEST_ASSERT(store_sqlite_commit_count() - before <= 2);
	err = store_reg_list(st, NULL, count_h, &n);
	TEST_ERR(err);
	TEST_EQ(100, n);
out:
	sqlite3_close(db);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

/* The daemon's worker and impctl's connection write the same file. */
TEST_NO_OOM(test_store_sqlite_two_writers)
{
	struct tmpdb t;
	struct store *st = NULL, *adm = NULL;
	struct loop *l = NULL;
	struct fctx *c = NULL;
	char name[64];
	int n = 0, err = tmpdb_init(&t);

	if (err)
		return err;
	c = mem_zalloc(sizeof(*c), NULL);
	TEST_ASSERT(c);
	err = loop_alloc(&l);
	TEST_ERR(err);
	err = store_open(&st, t.uri, l);
	TEST_ERR(err);
	err = store_open(&adm, t.uri, NULL);
	TEST_ERR(err);
	for (int i = 0; i < 20; i++) {
		err = queue_n(st, 5, c);
		TEST_ERR(err);
		snprintf(name, sizeof(name), "d%d.example", i);
		err = store_domain_add(adm, name);
		TEST_ERR(err);
	}
	store_flush(st);
	TEST_EQ(100, c->ok);
	err = store_reg_list(adm, NULL, count_h, &n);
	TEST_ERR(err);
	TEST_EQ(5, n);
	err = raw_count(t.path, "SELECT count(*) FROM domains", &n);
	TEST_ERR(err);
	TEST_EQ(20, n);
out:
	mem_deref(adm);
	mem_deref(st);
	if (l)
		loop_drain(l);
	mem_deref(l);
	mem_deref(c);
	tmpdb_clean(&t);
	return err;
}

TEST(test_store_sqlite_uri_options)
{
	struct tmpdb t;
	struct store *st = NULL;
	char uri[400];
	int err = tmpdb_init(&t);

	if (err)
		return err;
	snprintf(uri, sizeof(uri), "%s?busy_ms=x", t.uri);
	TEST_ERR_EQ(EINVAL, store_open(&st, uri, NULL));
	snprintf(uri, sizeof(uri), "%s?fast=1", t.uri);
	TEST_ERR_EQ(EINVAL, store_open(&st, uri, NULL));
	snprintf(uri, sizeof(uri), "%s?busy_ms=100", t.uri);
	err = store_open(&st, uri, NULL);
	TEST_ERR(err);
out:
	mem_deref(st);
	tmpdb_clean(&t);
	return err;
}
