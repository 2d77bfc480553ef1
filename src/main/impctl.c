/* main/impctl.c - impd administration: domains, users, registrations */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/mem.h"
#include "base/util.h"
#include "conf/conf.h"
#include "proxy/auth.h"
#include "store/store.h"

/* Exit codes (documented in --help). */
enum {
	EX_OK = 0,
	EX_USAGE = 1,
	EX_NOTFOUND = 2,
	EX_EXISTS = 3,
	EX_STORE = 4,
};

#define DEFAULT_STORE "sqlite:impd.db"

static const char usage_text[] =
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
    "exit status: 0 ok, 1 usage or configuration error, 2 not found,\n"
    "3 already exists, 4 store error\n";

struct opts {
	const char *store;
	const char *config;
	const char *password;
	const char *args[4]; /* positional: command words and operands */
	int nargs;
};

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("impctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage(const char *why)
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

static int store_fail(const char *what, int err)
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
			fputs(usage_text, stdout);
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
	return usage("unknown command or wrong number of arguments");
}

/* Recognised command before touching the store (no file is created for a
 * typo). */
static bool known(const struct opts *o)
{
	return is(o, "domain", "add", 1, 1) || is(o, "domain", "list", 0, 0) ||
	       is(o, "domain", "remove", 1, 1) || is(o, "user", "add", 1, 1) ||
	       is(o, "user", "list", 0, 1) || is(o, "user", "remove", 1, 1) ||
	       is(o, "user", "passwd", 1, 1) || is(o, "reg", "list", 0, 1);
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

	ex = parse_args(&o, argc, argv);
	if (ex < 0)
		return EX_OK; /* --help */
	if (ex)
		return usage(NULL);
	if (!o.nargs)
		return usage("no command");
	if (!known(&o))
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
	ex = run(st, &o);
	if (fflush(stdout)) {
		msg("write error: %s", err_str(errno));
		if (!ex)
			ex = EX_STORE;
	}
	mem_deref(st);
	return ex;
}
