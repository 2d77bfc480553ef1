/* main/impctl_history.c - impctl history: a user's archived messages as
 * JSON lines (the objects of the HTTP history API) */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/pl.h"
#include "im/im_http.h"
#include "impctl.h"
#include "store/store.h"

struct print_ctx {
	struct buf *mb;
	int err;
	uint64_t n;
};

static void arch_print(const struct store_arch *a, void *arg)
{
	struct print_ctx *p = arg;
	int err;

	if (p->err)
		return;
	buf_reset(p->mb);
	err = im_json_arch(p->mb, a);
	if (!err)
		err = buf_write_u8(p->mb, '\n');
	if (err) {
		p->err = err;
		return;
	}
	fwrite(p->mb->b, 1, p->mb->end, stdout);
	p->n++;
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; NULL when argv[*i] is
 * not that option, "" with *missing when the value is absent. */
static const char *opt_value(int argc, const char *const *argv, int *i,
                             const char *name, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return "";
	}
	return argv[++*i];
}

/* history USER@DOMAIN [--with URI] [--since T] [--limit N]: argv holds
 * the operand USER@DOMAIN and the options (w2 of the entry is NULL:
 * the second word is the operand). */
static int history_run(struct store *st, int argc, const char *const *argv)
{
	struct store_arch_query q;
	struct print_ctx p = {NULL, 0, 0};
	const char *user = NULL, *with = NULL, *v;
	char aor[260], *peer = NULL;
	int ex, err;

	memset(&q, 0, sizeof(q));
	for (int i = 0; i < argc; i++) {
		bool missing = false;

		if ((v = opt_value(argc, argv, &i, "--with", &missing))) {
			if (missing || !*v)
				return impctl_usage("--with needs a URI");
			with = v;
		} else if ((v = opt_value(argc, argv, &i, "--since",
		                          &missing))) {
			if (missing || im_time_parse(v, &q.since_ms))
				return impctl_usage(
				    "--since needs an RFC 3339 date-time "
				    "(2026-11-22T10:00:00Z) or milliseconds "
				    "since the epoch");
		} else if ((v = opt_value(argc, argv, &i, "--limit",
		                          &missing))) {
			struct pl pl;

			pl_set_str(&pl, v);
			if (missing || pl_u32(&pl, &q.limit) || !q.limit)
				return impctl_usage(
				    "--limit needs a positive number");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			impctl_msg("unknown option '%s'", argv[i]);
			return impctl_usage(NULL);
		} else if (!user) {
			user = argv[i];
		} else {
			return impctl_usage("history takes one USER@DOMAIN");
		}
	}
	if (!user)
		return impctl_usage("history needs USER@DOMAIN");
	ex = impctl_user(st, user, aor, sizeof(aor));
	if (ex)
		return ex;
	if (with && !strchr(with, ':')) { /* "bob@example.com" */
		peer = mem_zalloc(strlen(with) + 5, NULL);
		if (!peer)
			return impctl_store_fail("history", ENOMEM);
		snprintf(peer, strlen(with) + 5, "sip:%s", with);
		with = peer;
	}
	q.owner = aor;
	q.peer = with;

	err = buf_alloc(&p.mb, 1024);
	if (!err)
		err = store_arch_list(st, &q, arch_print, &p);
	if (!err)
		err = p.err;
	mem_deref(p.mb);
	mem_deref(peer);
	if (err)
		return impctl_store_fail("history", err);
	return EX_OK;
}

const struct impctl_cmd impctl_history_cmds[] = {
    {"history", NULL, history_run,
     "  history USER@DOMAIN [--with URI] [--since T] [--limit N]\n"
     "                                        archived messages of the user,\n"
     "                                        oldest first, one JSON object\n"
     "                                        a line (T: RFC 3339 or ms\n"
     "                                        since the epoch)\n"},
    {NULL, NULL, NULL, NULL},
};
