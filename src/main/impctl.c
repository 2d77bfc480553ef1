/* main/impctl.c - impd administration: domains, users, registrations,
 * presence rules (RFC 5025) and settings, subscriptions */
#include "impctl.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/util.h"
#include "conf/conf.h"
#include "event/evt.h"
#include "presence/presence.h"
#include "presence/rules.h"
#include "proxy/auth.h"
#include "store/store.h"

#define DEFAULT_STORE "sqlite:impd.db"

static const char usage_head[] =
    "usage: impctl [--store URI] [--config FILE] COMMAND\n"
    "\n"
    "commands:\n"
    "  domain add NAME                       add a domain\n"
    "  domain list                           list the domains\n"
    "  domain remove NAME                    remove a domain and its users\n"
    "  user add USER@DOMAIN --password PW    add a user\n"
    "  user list [DOMAIN]                    list users (of one domain)\n"
    "  user remove USER@DOMAIN               remove a user\n"
    "  user passwd USER@DOMAIN --password PW set a new password\n"
    "  reg list [AOR]                        show registered bindings\n"
    "  rules show USER@DOMAIN                print the user's presence rules\n"
    "  rules set USER@DOMAIN FILE            store a pres-rules document\n"
    "                                        (RFC 5025; '-' reads stdin)\n"
    "  rules remove USER@DOMAIN              remove the user's rules\n"
    "  rules allow|block|polite-block|confirm USER@DOMAIN WATCHER-URI\n"
    "                                        add or replace the rule for\n"
    "                                        one watcher\n"
    "  presence invisible USER@DOMAIN on|off appear offline to watchers\n"
    "  presence show USER@DOMAIN             publications and settings\n"
    "  subs list [USER@DOMAIN]               show stored subscriptions\n";

static const char usage_tail[] =
    "\n"
    "options:\n"
    "  --store URI      the store (default: the 'store' key of the\n"
    "                   --config file, else " DEFAULT_STORE ")\n"
    "  --config FILE    impd configuration file to take the store from\n"
    "  --password PW    the password; '-' reads one line from stdin.\n"
    "                   Only digests (HA1, MD5 and SHA-256, realm =\n"
    "                   domain) are stored, never the password.\n"
    "  -h, --help       this text\n"
    "\n"
    "Presence rules combine as RFC 4745 says: every rule that matches a\n"
    "watcher counts and the most permissive sub-handling wins, so a block\n"
    "rule for one watcher does not undo a rule that allows a whole domain.\n"
    "Watchers no rule matches get the configured default. A running impd\n"
    "picks changes up by itself.\n"
    "\n"
    "exit status: 0 ok, 1 usage or configuration error, 2 not found,\n"
    "3 already exists, 4 store error\n";

struct opts {
	const char *store;
	const char *config;
	const char *password;
	const char *args[4]; /* positional: command words and operands */
	int nargs;
	const struct impctl_cmd *ext; /* a command of impctl_*.c */
	int ext_argc;
	const char *const *ext_argv;
};

static const struct impctl_cmd *const ext_tables[] = {
    impctl_im_cmds,
    impctl_list_cmds,
    impctl_history_cmds,
};

static void print_usage(void)
{
	fputs(usage_head, stdout);
	for (size_t i = 0; i < sizeof(ext_tables) / sizeof(ext_tables[0]); i++)
		for (const struct impctl_cmd *c = ext_tables[i]; c->w1; c++)
			if (c->help)
				fputs(c->help, stdout);
	fputs(usage_tail, stdout);
}

/* A command of the impctl_*.c files: the first two words after the
 * global options name it; everything after them is its own. */
static const struct impctl_cmd *ext_find(int argc, char **argv, int *first)
{
	int i = 1;

	while (i < argc && argv[i][0] == '-' && argv[i][1]) {
		if ((!strcmp(argv[i], "--store") ||
		     !strcmp(argv[i], "--config")) &&
		    i + 1 < argc)
			i += 2;
		else if (!strncmp(argv[i], "--store=", 8) ||
		         !strncmp(argv[i], "--config=", 9))
			i++;
		else
			return NULL;
	}
	if (i + 1 >= argc)
		return NULL;
	for (size_t t = 0; t < sizeof(ext_tables) / sizeof(ext_tables[0]); t++)
		for (const struct impctl_cmd *c = ext_tables[t]; c->w1; c++)
			if (!strcmp(argv[i], c->w1) &&
			    (!c->w2 || !strcmp(argv[i + 1], c->w2))) {
				*first = i;
				return c;
			}
	return NULL;
}

#define msg impctl_msg

void impctl_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("impctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define usage impctl_usage

int impctl_usage(const char *why)
{
	if (why)
		msg("%s", why);
	fputs("usage: impctl [--store URI] [--config FILE] COMMAND "
	      "(impctl --help lists the commands)\n",
	      stderr);
	return EX_USAGE;
}

/* Store log lines (open failures, SQLite errors) go to stderr plainly. */
static void log_stderr(enum log_level lvl, const char *module, const char *line,
                       void *arg)
{
	(void)lvl;
	(void)arg;
	fprintf(stderr, "impctl: %s: %s\n", module, line);
}

/* A domain name: letters, digits, '-' and '.', no empty label. Lower-cased
 * in place: domains (and so digest realms) are stored in lower case. */
static bool domain_norm(char *d)
{
	size_t n = strlen(d);

	if (!n || n > 127 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.' ||
	    d[n - 1] == '-' || strstr(d, ".."))
		return false;
	for (char *p = d; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.')
			return false;
		*p = (char)tolower((unsigned char)*p);
	}
	return true;
}

/* A user part: printable, no white space, no '@', not empty. */
static bool user_ok(const char *u)
{
	size_t n = strlen(u);

	if (!n || n > 127)
		return false;
	for (const char *p = u; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '@')
			return false;
	return true;
}

/* "user@domain" into its parts (domain lower-cased). */
static int split_aor(const char *arg, char *user, size_t usize, char *dom,
                     size_t dsize)
{
	const char *at = strrchr(arg, '@');

	if (!at || (size_t)(at - arg) >= usize || strlen(at + 1) >= dsize) {
		msg("'%s' is not USER@DOMAIN", arg);
		return EX_USAGE;
	}
	memcpy(user, arg, (size_t)(at - arg));
	user[at - arg] = '\0';
	strcpy(dom, at + 1);
	if (!user_ok(user)) {
		msg("bad user name '%s'", user);
		return EX_USAGE;
	}
	if (!domain_norm(dom)) {
		msg("bad domain name '%s'", at + 1);
		return EX_USAGE;
	}
	return EX_OK;
}

#define store_fail impctl_store_fail

int impctl_store_fail(const char *what, int err)
{
	msg("%s: store error: %s", what, err_str(err));
	return EX_STORE;
}

static int no_domain(const char *dom)
{
	msg("domain '%s' does not exist (add it with: impctl domain add %s)",
	    dom, dom);
	return EX_NOTFOUND;
}

/* The password: from --password, or one line of stdin for "-". */
static int get_password(const struct opts *o, char *pw, size_t size)
{
	size_t n;

	if (!o->password) {
		msg("--password is required (use '--password -' to read it "
		    "from stdin)");
		return EX_USAGE;
	}
	if (strcmp(o->password, "-")) {
		if (strlen(o->password) >= size) {
			msg("password too long");
			return EX_USAGE;
		}
		strcpy(pw, o->password);
	} else {
		if (!fgets(pw, (int)size, stdin)) {
			msg("no password on stdin");
			return EX_USAGE;
		}
		n = strlen(pw);
		if (n && pw[n - 1] != '\n' && !feof(stdin)) {
			msg("password too long");
			return EX_USAGE;
		}
		while (n && (pw[n - 1] == '\n' || pw[n - 1] == '\r'))
			pw[--n] = '\0';
	}
	if (!*pw) {
		msg("empty password");
		return EX_USAGE;
	}
	return EX_OK;
}

/* HA1 for both algorithms, realm = domain, computed by the same function
 * the verifier uses (auth_ha1). */
static int set_ha1(struct store_user *u, const char *pw)
{
	int err = auth_ha1(u->ha1_md5, sizeof(u->ha1_md5), "MD5", u->user,
	                   u->domain, pw);

	if (!err)
		err = auth_ha1(u->ha1_sha256, sizeof(u->ha1_sha256), "SHA-256",
		               u->user, u->domain, pw);
	if (err) {
		msg("cannot compute the credentials: %s", err_str(err));
		return EX_STORE;
	}
	return EX_OK;
}

/* ---- commands ---- */

static int cmd_domain_add(struct store *st, const char *name)
{
	char d[128];
	int err;

	if (strlen(name) >= sizeof(d) || (strcpy(d, name), !domain_norm(d))) {
		msg("bad domain name '%s'", name);
		return EX_USAGE;
	}
	err = store_domain_add(st, d);
	if (err == EEXIST) {
		msg("domain '%s' already exists", d);
		return EX_EXISTS;
	}
	return err ? store_fail("domain add", err) : EX_OK;
}

static void print_domain(const char *domain, void *arg)
{
	(void)arg;
	printf("%s\n", domain);
}

static void count_user(const struct store_user *u, void *arg)
{
	(void)u;
	++*(unsigned *)arg;
}

static int cmd_domain_remove(struct store *st, const char *name)
{
	char d[128];
	unsigned users = 0;
	int err;

	if (strlen(name) >= sizeof(d) || (strcpy(d, name), !domain_norm(d))) {
		msg("bad domain name '%s'", name);
		return EX_USAGE;
	}
	err = store_user_list(st, d, count_user, &users);
	if (!err)
		err = store_domain_remove(st, d);
	if (err == ENOENT) {
		msg("domain '%s' does not exist", d);
		return EX_NOTFOUND;
	}
	if (err)
		return store_fail("domain remove", err);
	if (users)
		msg("removed domain '%s' and its %u user%s", d, users,
		    users == 1 ? "" : "s");
	return EX_OK;
}

static int cmd_user_add(struct store *st, const struct opts *o, const char *aor)
{
	struct store_user u;
	char pw[1024];
	int ex, err;

	memset(&u, 0, sizeof(u));
	ex = split_aor(aor, u.user, sizeof(u.user), u.domain, sizeof(u.domain));
	if (ex)
		return ex;
	ex = get_password(o, pw, sizeof(pw));
	if (!ex)
		ex = set_ha1(&u, pw);
	explicit_bzero(pw, sizeof(pw));
	if (ex)
		return ex;
	u.enabled = true;

	err = store_user_add(st, &u);
	if (err == ENOENT)
		return no_domain(u.domain);
	if (err == EEXIST) {
		msg("user '%s@%s' already exists (set a new password with: "
		    "impctl user passwd %s@%s --password PW)",
		    u.user, u.domain, u.user, u.domain);
		return EX_EXISTS;
	}
	return err ? store_fail("user add", err) : EX_OK;
}

static int cmd_user_passwd(struct store *st, const struct opts *o,
                           const char *aor)
{
	struct store_user u;
	char user[128], dom[128], pw[1024];
	int ex, err;

	ex = split_aor(aor, user, sizeof(user), dom, sizeof(dom));
	if (ex)
		return ex;
	err = store_user_get(st, user, dom, &u);
	if (err == ENOENT) {
		msg("user '%s@%s' does not exist", user, dom);
		return EX_NOTFOUND;
	}
	if (err)
		return store_fail("user passwd", err);
	ex = get_password(o, pw, sizeof(pw));
	if (!ex)
		ex = set_ha1(&u, pw);
	explicit_bzero(pw, sizeof(pw));
	if (ex)
		return ex;
	err = store_user_update(st, &u);
	if (err == ENOENT) {
		msg("user '%s@%s' does not exist", user, dom);
		return EX_NOTFOUND;
	}
	return err ? store_fail("user passwd", err) : EX_OK;
}

static int cmd_user_remove(struct store *st, const char *aor)
{
	char user[128], dom[128];
	int ex, err;

	ex = split_aor(aor, user, sizeof(user), dom, sizeof(dom));
	if (ex)
		return ex;
	err = store_user_remove(st, user, dom);
	if (err == ENOENT) {
		msg("user '%s@%s' does not exist", user, dom);
		return EX_NOTFOUND;
	}
	return err ? store_fail("user remove", err) : EX_OK;
}

static void print_user(const struct store_user *u, void *arg)
{
	(void)arg;
	printf("%s@%s%s\n", u->user, u->domain, u->enabled ? "" : " disabled");
}

static int cmd_user_list(struct store *st, const char *domain)
{
	char d[128];
	bool ex = false;
	int err;

	if (domain) {
		if (strlen(domain) >= sizeof(d) ||
		    (strcpy(d, domain), !domain_norm(d))) {
			msg("bad domain name '%s'", domain);
			return EX_USAGE;
		}
		err = store_domain_exists(st, d, &ex);
		if (err)
			return store_fail("user list", err);
		if (!ex)
			return no_domain(d);
	}
	err = store_user_list(st, domain ? d : NULL, print_user, NULL);
	return err ? store_fail("user list", err) : EX_OK;
}

struct reg_print {
	bool all;
	time_t now;
};

static void print_binding(const struct store_binding *b, void *arg)
{
	const struct reg_print *rp = arg;
	long long left = (long long)b->expires - (long long)rp->now;

	if (rp->all)
		printf("%s ", b->aor);
	printf("%s", b->contact);
	if (left > 0)
		printf(" expires=%lld", left);
	else
		printf(" expired");
	printf(" q=%u.%03u", b->q / 1000, b->q % 1000);
	if (*b->received)
		printf(" received=%s", b->received);
	if (*b->instance)
		printf(" instance=%s", b->instance);
	if (b->reg_id)
		printf(" reg-id=%u", b->reg_id);
	if (*b->path)
		printf(" path=%s", b->path);
	if (*b->user_agent)
		printf(" ua=\"%s\"", b->user_agent);
	putchar('\n');
}

static int cmd_reg_list(struct store *st, const char *aor)
{
	struct reg_print rp = {aor == NULL, time(NULL)};
	int err = store_reg_list(st, aor, print_binding, &rp);

	return err ? store_fail("reg list", err) : EX_OK;
}

/* ---- presence: rules, settings, publications, subscriptions ---- */

#define DOC_NAME "index"
#define DOC_MAX  (1024 * 1024)

/* USER@DOMAIN of an existing user into aor ("user@domain", the domain in
 * lower case: the documents' owner). */
#define existing_user impctl_user

int impctl_user(struct store *st, const char *arg, char *aor, size_t size)
{
	struct store_user u;
	char user[128], dom[128];
	bool dex = false;
	int ex, err;

	ex = split_aor(arg, user, sizeof(user), dom, sizeof(dom));
	if (ex)
		return ex;
	err = store_domain_exists(st, dom, &dex);
	if (err)
		return store_fail("domain lookup", err);
	if (!dex)
		return no_domain(dom);
	err = store_user_get(st, user, dom, &u);
	if (err == ENOENT) {
		msg("user '%s@%s' does not exist", user, dom);
		return EX_NOTFOUND;
	}
	if (err)
		return store_fail("user lookup", err);
	snprintf(aor, size, "%s@%s", user, dom);
	return EX_OK;
}

/* A stored document's content as a NUL-terminated mem string. */
struct doc_copy {
	char *s;
	size_t len;
	int err;
};

static void doc_copy_h(const struct store_doc *d, void *arg)
{
	struct doc_copy *dc = arg;

	if (!d->content)
		return;
	dc->s = mem_deref(dc->s);
	dc->err = mem_strndup(&dc->s, d->content, d->len);
	dc->len = dc->err ? 0 : d->len;
}

/* 0 with dc filled, ENOENT when there is no such document, or a store
 * error. */
static int doc_read(struct store *st, const char *auid, const char *aor,
                    struct doc_copy *dc)
{
	int err;

	memset(dc, 0, sizeof(*dc));
	err = store_doc_get(st, auid, aor, DOC_NAME, doc_copy_h, dc);
	if (!err)
		err = dc->err;
	if (!err && !dc->s)
		err = ENOENT;
	if (err)
		dc->s = mem_deref(dc->s);
	return err;
}

int impctl_doc_read(struct store *st, const char *auid, const char *aor,
                    char **sp, size_t *lenp)
{
	struct doc_copy dc;
	int err = doc_read(st, auid, aor, &dc);

	if (err)
		return err;
	*sp = dc.s;
	*lenp = dc.len;
	return 0;
}

static int cmd_rules_show(struct store *st, const char *arg)
{
	struct doc_copy dc;
	char aor[256];
	int ex, err;

	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	err = doc_read(st, PRES_RULES_AUID, aor, &dc);
	if (err == ENOENT) {
		msg("user '%s' has no presence rules (the configured defaults "
		    "apply)",
		    aor);
		return EX_NOTFOUND;
	}
	if (err)
		return store_fail("rules show", err);
	fwrite(dc.s, 1, dc.len, stdout);
	if (dc.len && dc.s[dc.len - 1] != '\n')
		putchar('\n');
	mem_deref(dc.s);
	return EX_OK;
}

/* The whole of FILE ("-": stdin) as a mem string. */
#define read_input impctl_read_input

int impctl_read_input(const char *file, char **sp, size_t *lenp)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	const char *name = f == stdin ? "stdin" : file;
	struct buf *b = NULL;
	char chunk[4096];
	size_t n;
	int err = 0;

	if (!f) {
		msg("cannot read '%s': %s", file, err_str(errno));
		return EX_USAGE;
	}
	err = buf_alloc(&b, sizeof(chunk));
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->end + n > DOC_MAX)
			err = EFBIG;
		else
			err = buf_write(b, chunk, n);
	}
	if (!err && ferror(f))
		err = EIO;
	if (f != stdin)
		fclose(f);
	if (!err)
		err = mem_strndup(sp, (const char *)b->b, b->end);
	if (!err)
		*lenp = b->end;
	mem_deref(b);
	if (err == EFBIG) {
		msg("%s: larger than %u bytes", name, (unsigned)DOC_MAX);
		return EX_USAGE;
	}
	if (err) {
		msg("cannot read '%s': %s", name, err_str(err));
		return err == ENOMEM ? EX_STORE : EX_USAGE;
	}
	return EX_OK;
}

int impctl_rules_set(struct store *st, const char *auid, const char *aor,
                     const char *file, const char *what)
{
	struct pres_rules *r = NULL;
	char *xml = NULL, eb[512];
	size_t len = 0;
	int ex, err;

	ex = read_input(file, &xml, &len);
	if (ex)
		return ex;
	err = pres_rules_parse(&r, xml, len, eb, sizeof(eb));
	if (err) {
		msg("%s: %s", strcmp(file, "-") ? file : "stdin",
		    err == ENOMEM ? "out of memory" : eb);
		mem_deref(xml);
		return err == ENOMEM ? EX_STORE : EX_USAGE;
	}
	mem_deref(r);
	err = store_doc_put(st, auid, aor, DOC_NAME, xml, len, NULL);
	mem_deref(xml);
	return err ? store_fail(what, err) : EX_OK;
}

static int cmd_rules_set(struct store *st, const char *arg, const char *file)
{
	char aor[256];
	int ex;

	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	return impctl_rules_set(st, PRES_RULES_AUID, aor, file, "rules set");
}

static int cmd_rules_remove(struct store *st, const char *arg)
{
	char aor[256];
	int ex, err;

	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	err = store_doc_delete(st, PRES_RULES_AUID, aor, DOC_NAME);
	if (err == ENOENT) {
		msg("user '%s' has no presence rules", aor);
		return EX_NOTFOUND;
	}
	return err ? store_fail("rules remove", err) : EX_OK;
}

static const struct {
	const char *word;
	enum pres_handling h;
} handlings[] = {
    {"allow", PRES_ALLOW},
    {"block", PRES_BLOCK},
    {"polite-block", PRES_POLITE_BLOCK},
    {"confirm", PRES_CONFIRM},
};

static const char *handling_word(enum pres_handling h)
{
	for (size_t i = 0; i < sizeof(handlings) / sizeof(handlings[0]); i++)
		if (handlings[i].h == h)
			return handlings[i].word;
	return "?";
}

/* rules allow|block|polite-block|confirm USER@DOMAIN WATCHER-URI */
static int cmd_rules_decide(struct store *st, enum pres_handling h,
                            const char *arg, const char *watcher)
{
	struct pres_watcher w = {NULL, true};
	struct pres_rules *r = NULL;
	struct pres_perm perm;
	struct doc_copy dc;
	struct buf *mb = NULL;
	char aor[256], uri[1024], id[80];
	int ex, err;

	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	/* "bob@example.com" is taken as sip:bob@example.com */
	if (!strchr(watcher, ':') && strchr(watcher, '@'))
		snprintf(uri, sizeof(uri), "sip:%s", watcher);
	else
		snprintf(uri, sizeof(uri), "%s", watcher);
	if (strlen(watcher) + 4 >= sizeof(uri) ||
	    pres_rules_watcher_id(id, sizeof(id), uri)) {
		msg("'%s' is not a watcher URI (like sip:bob@example.com)",
		    watcher);
		return EX_USAGE;
	}
	err = doc_read(st, PRES_RULES_AUID, aor, &dc);
	if (err && err != ENOENT)
		return store_fail("rules", err);
	err = pres_rules_with(&mb, dc.s, dc.len, id, uri, h);
	if (err == EBADMSG) {
		msg("the stored rules of '%s' are not valid; replace them with "
		    "impctl rules set or remove them with impctl rules remove",
		    aor);
		mem_deref(dc.s);
		return EX_USAGE;
	}
	mem_deref(dc.s);
	if (err) {
		msg("cannot build the rule: %s", err_str(err));
		return EX_STORE;
	}
	err = store_doc_put(st, PRES_RULES_AUID, aor, DOC_NAME,
	                    (const char *)mb->b, mb->end, NULL);
	if (err) {
		mem_deref(mb);
		return store_fail("rules", err);
	}
	/* Other rules may still decide otherwise (the union of RFC 4745
	 * 10): say so. */
	pres_perm_init(&perm);
	w.uri = uri;
	if (!pres_rules_parse(&r, (const char *)mb->b, mb->end, NULL, 0) &&
	    pres_rules_eval(r, &w, NULL, (uint64_t)time(NULL), &perm) &&
	    perm.sub_handling != h)
		msg("note: other rules of '%s' still give %s '%s' (the most "
		    "permissive matching rule wins)",
		    aor, uri, handling_word(perm.sub_handling));
	pres_perm_reset(&perm);
	mem_deref(r);
	mem_deref(mb);
	return EX_OK;
}

/* One "key=value" line of a settings document: is its key "invisible"?
 * val gets the value (blanks trimmed). */
static bool invisible_line(const char *p, size_t l, const char **val,
                           size_t *vlen)
{
	const char *end = p + l, *eq = memchr(p, '=', l), *k = p, *ke, *v;

	if (!eq)
		return false;
	while (k < eq && (*k == ' ' || *k == '\t'))
		k++;
	ke = eq;
	while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
		ke--;
	if (ke - k != 9 || strncasecmp(k, "invisible", 9))
		return false;
	v = eq + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && strchr(" \t\r", end[-1]))
		end--;
	*val = v;
	*vlen = (size_t)(end - v);
	return true;
}

/* The settings document without its invisible lines, then the new one
 * (other settings stay). */
static int settings_with(struct buf *b, const char *old, size_t len, bool on)
{
	const char *p = old, *end = old ? old + len : NULL;
	int err = 0;

	while (p && p < end && !err) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *v;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), vl;

		if (l && !invisible_line(p, l, &v, &vl)) {
			err = buf_write(b, p, l);
			if (!err)
				err = buf_write_str(b, "\n");
		}
		p += l + (nl ? 1 : 0);
	}
	if (!err)
		err =
		    buf_write_str(b, on ? "invisible=yes\n" : "invisible=no\n");
	return err;
}

static int cmd_presence_invisible(struct store *st, const char *arg,
                                  const char *onoff)
{
	struct doc_copy dc;
	struct buf *b = NULL;
	char aor[256];
	bool on;
	int ex, err;

	if (!strcmp(onoff, "on"))
		on = true;
	else if (!strcmp(onoff, "off"))
		on = false;
	else
		return usage("presence invisible takes 'on' or 'off'");
	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	err = doc_read(st, PRES_SETTINGS_AUID, aor, &dc);
	if (err && err != ENOENT)
		return store_fail("presence invisible", err);
	err = buf_alloc(&b, 64);
	if (!err)
		err = settings_with(b, dc.s, dc.len, on);
	mem_deref(dc.s);
	if (!err)
		err = store_doc_put(st, PRES_SETTINGS_AUID, aor, DOC_NAME,
		                    (const char *)b->b, b->end, NULL);
	mem_deref(b);
	return err ? store_fail("presence invisible", err) : EX_OK;
}

/* Is the "invisible" key of a settings document on (the daemon's
 * reading: yes, true, on or 1; the first such line counts)? */
static bool settings_invisible(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *v;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), vl;

		p += l + (nl ? 1 : 0);
		if (!invisible_line(line, l, &v, &vl))
			continue;
		return (vl == 3 && !strncasecmp(v, "yes", 3)) ||
		       (vl == 4 && !strncasecmp(v, "true", 4)) ||
		       (vl == 2 && !strncasecmp(v, "on", 2)) ||
		       (vl == 1 && *v == '1');
	}
	return false;
}

struct pub_print {
	const char *aor;
	time_t now;
	unsigned n;
};

static void print_pub(const struct store_pub *p, void *arg)
{
	struct pub_print *pp = arg;
	long long left = (long long)p->expires - (long long)pp->now;

	if (strcasecmp(p->resource, pp->aor))
		return;
	pp->n++;
	printf("%s event=%s publisher=%s", p->etag, p->event,
	       *p->publisher ? p->publisher : "-");
	if (left > 0)
		printf(" expires=%lld", left);
	else
		printf(" expired");
	printf(" size=%zu\n", p->len);
}

static int cmd_presence_show(struct store *st, const char *arg)
{
	struct pub_print pp = {NULL, time(NULL), 0};
	struct doc_copy dc;
	char aor[256];
	bool inv = false;
	int ex, err;

	ex = existing_user(st, arg, aor, sizeof(aor));
	if (ex)
		return ex;
	err = doc_read(st, PRES_SETTINGS_AUID, aor, &dc);
	if (err && err != ENOENT)
		return store_fail("presence show", err);
	if (!err)
		inv = settings_invisible(dc.s, dc.len);
	mem_deref(dc.s);
	printf("invisible=%s\n", inv ? "yes" : "no");
	pp.aor = aor;
	err = store_pub_list(st, print_pub, &pp);
	if (err)
		return store_fail("presence show", err);
	printf("publications=%u\n", pp.n);
	return EX_OK;
}

static const char *state_word(int state)
{
	switch (state) {
	case EVT_INIT:
		return "init";
	case EVT_PENDING:
		return "pending";
	case EVT_ACTIVE:
		return "active";
	case EVT_TERMINATED:
		return "terminated";
	}
	return "?";
}

struct sub_print {
	const char *aor; /* NULL: all */
	time_t now;
};

static void print_sub(const struct store_sub *s, void *arg)
{
	struct sub_print *sp = arg;
	long long left = (long long)s->expires - (long long)sp->now;

	if (sp->aor && strcasecmp(s->resource, sp->aor))
		return;
	printf("%s event=%s", s->id, s->event);
	if (*s->event_id)
		printf(";id=%s", s->event_id);
	printf(" resource=%s watcher=%s", s->resource, s->watcher);
	if (*s->ident && strcmp(s->ident, s->watcher))
		printf(" identity=%s", s->ident);
	printf(" state=%s", state_word(s->state));
	if (left > 0)
		printf(" expires=%lld", left);
	else
		printf(" expired");
	putchar('\n');
}

static int cmd_subs_list(struct store *st, const char *arg)
{
	struct sub_print sp = {NULL, time(NULL)};
	char aor[256];
	int ex, err;

	if (arg) {
		ex = existing_user(st, arg, aor, sizeof(aor));
		if (ex)
			return ex;
		sp.aor = aor;
	}
	err = store_sub_list(st, print_sub, &sp);
	return err ? store_fail("subs list", err) : EX_OK;
}

/* ---- main ---- */

static int parse_args(struct opts *o, int argc, char **argv)
{
	bool dashdash = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = NULL;
		const char *val = NULL;

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!dashdash && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
			print_usage();
			return -1;
		}
		if (!dashdash && !strncmp(a, "--store", 7))
			dst = &o->store;
		else if (!dashdash && !strncmp(a, "--config", 8))
			dst = &o->config;
		else if (!dashdash && !strncmp(a, "--password", 10))
			dst = &o->password;
		if (dst) {
			const char *eq = strchr(a, '=');
			size_t nlen = eq ? (size_t)(eq - a) : strlen(a);

			if ((dst == &o->store && nlen != 7) ||
			    (dst == &o->config && nlen != 8) ||
			    (dst == &o->password && nlen != 10)) {
				msg("unknown option '%s'", a);
				return EX_USAGE;
			}
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else {
				msg("%s needs a value", a);
				return EX_USAGE;
			}
			*dst = val;
			continue;
		}
		if (!dashdash && a[0] == '-' && a[1]) {
			msg("unknown option '%s'", a);
			return EX_USAGE;
		}
		if (o->nargs == (int)(sizeof(o->args) / sizeof(o->args[0]))) {
			msg("too many arguments");
			return EX_USAGE;
		}
		o->args[o->nargs++] = a;
	}
	return EX_OK;
}

static int store_uri(const struct opts *o, char *uri, size_t size)
{
	struct conf *cf;
	char eb[512];
	int err;

	if (o->store) {
		snprintf(uri, size, "%s", o->store);
		return EX_OK;
	}
	if (!o->config) {
		snprintf(uri, size, "%s", DEFAULT_STORE);
		return EX_OK;
	}
	cf = mem_zalloc(sizeof(*cf), NULL);
	if (!cf) {
		msg("out of memory");
		return EX_STORE;
	}
	conf_defaults(cf);
	err = conf_load_file(cf, o->config, eb, sizeof(eb));
	if (!err)
		snprintf(uri, size, "%s", cf->store);
	else
		msg("%s", eb);
	mem_deref(cf);
	return err ? EX_USAGE : EX_OK;
}

/* Is the command words' shape right? "n" operands after the words. */
static bool is(const struct opts *o, const char *w1, const char *w2, int lo,
               int hi)
{
	return o->nargs >= 2 + lo && o->nargs <= 2 + hi &&
	       !strcmp(o->args[0], w1) && !strcmp(o->args[1], w2);
}

static int run(struct store *st, const struct opts *o)
{
	const char *a2 = o->nargs > 2 ? o->args[2] : NULL;

	if (is(o, "domain", "add", 1, 1))
		return cmd_domain_add(st, a2);
	if (is(o, "domain", "list", 0, 0)) {
		int err = store_domain_list(st, print_domain, NULL);
		return err ? store_fail("domain list", err) : EX_OK;
	}
	if (is(o, "domain", "remove", 1, 1))
		return cmd_domain_remove(st, a2);
	if (is(o, "user", "add", 1, 1))
		return cmd_user_add(st, o, a2);
	if (is(o, "user", "list", 0, 1))
		return cmd_user_list(st, a2);
	if (is(o, "user", "remove", 1, 1))
		return cmd_user_remove(st, a2);
	if (is(o, "user", "passwd", 1, 1))
		return cmd_user_passwd(st, o, a2);
	if (is(o, "reg", "list", 0, 1))
		return cmd_reg_list(st, a2);
	if (is(o, "rules", "show", 1, 1))
		return cmd_rules_show(st, a2);
	if (is(o, "rules", "set", 2, 2))
		return cmd_rules_set(st, a2, o->args[3]);
	if (is(o, "rules", "remove", 1, 1))
		return cmd_rules_remove(st, a2);
	for (size_t i = 0; i < sizeof(handlings) / sizeof(handlings[0]); i++)
		if (is(o, "rules", handlings[i].word, 2, 2))
			return cmd_rules_decide(st, handlings[i].h, a2,
			                        o->args[3]);
	if (is(o, "presence", "invisible", 2, 2))
		return cmd_presence_invisible(st, a2, o->args[3]);
	if (is(o, "presence", "show", 1, 1))
		return cmd_presence_show(st, a2);
	if (is(o, "subs", "list", 0, 1))
		return cmd_subs_list(st, a2);
	return usage("unknown command or wrong number of arguments");
}

/* Recognised command before touching the store (no file is created for a
 * typo). */
static bool known(const struct opts *o)
{
	return is(o, "domain", "add", 1, 1) || is(o, "domain", "list", 0, 0) ||
	       is(o, "domain", "remove", 1, 1) || is(o, "user", "add", 1, 1) ||
	       is(o, "user", "list", 0, 1) || is(o, "user", "remove", 1, 1) ||
	       is(o, "user", "passwd", 1, 1) || is(o, "reg", "list", 0, 1) ||
	       is(o, "rules", "show", 1, 1) || is(o, "rules", "set", 2, 2) ||
	       is(o, "rules", "remove", 1, 1) ||
	       is(o, "rules", "allow", 2, 2) || is(o, "rules", "block", 2, 2) ||
	       is(o, "rules", "polite-block", 2, 2) ||
	       is(o, "rules", "confirm", 2, 2) ||
	       is(o, "presence", "invisible", 2, 2) ||
	       is(o, "presence", "show", 1, 1) || is(o, "subs", "list", 0, 1);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct store *st = NULL;
	char uri[1024];
	int ex, err;

	memset(&o, 0, sizeof(o));
	log_handler_set(log_stderr, NULL);
	log_level_set(LOG_LVL_WARN);

	o.ext = ext_find(argc, argv, &ex);
	if (o.ext) {
		/* w2 NULL: the second word is the command's operand */
		int skip = o.ext->w2 ? 2 : 1;

		o.ext_argc = argc - ex - skip;
		o.ext_argv = (const char *const *)argv + ex + skip;
		argc = ex + 2; /* the global options and the two words */
	}
	ex = parse_args(&o, argc, argv);
	if (ex < 0)
		return EX_OK; /* --help */
	if (ex)
		return usage(NULL);
	if (!o.nargs)
		return usage("no command");
	if (!o.ext && !known(&o))
		return usage("unknown command or wrong number of arguments");
	if (o.password &&
	    !(is(&o, "user", "add", 1, 1) || is(&o, "user", "passwd", 1, 1)))
		return usage("--password goes with user add and user passwd");

	ex = store_uri(&o, uri, sizeof(uri));
	if (ex)
		return ex;
	err = store_open(&st, uri, NULL);
	if (err) {
		msg("cannot open store '%s': %s", uri, err_str(err));
		return EX_STORE;
	}
	ex = o.ext ? o.ext->run(st, o.ext_argc, o.ext_argv) : run(st, &o);
	if (fflush(stdout)) {
		msg("write error: %s", err_str(errno));
		if (!ex)
			ex = EX_STORE;
	}
	mem_deref(st);
	return ex;
}
