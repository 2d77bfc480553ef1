/* main/impctl_list.c - impctl list commands: group URIs kept as
 * rls-services documents (RFC 4826 4) */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"
#include "impctl.h"
#include "list/rlist.h"
#include "sip/msg.h"
#include "store/store.h"

#define msg impctl_msg

/* The package every list made here serves (RFC 4826 4.1); pager group
 * messages do not look at it. */
#define LIST_PACKAGE "presence"

/* SERVICE-URI: sip:NAME@DOMAIN or sips:, DOMAIN ours, NAME not a user.
 * uri gets it with the scheme and domain in lower case. */
static int service_check(struct store *st, const char *arg, char *uri,
                         size_t size)
{
	struct store_user su;
	struct sip_uri u;
	struct pl pl;
	char user[128], dom[128];
	size_t ul = 0;
	bool ex = false;
	int err;

	pl_set_str(&pl, arg);
	if (sip_uri_decode(&u, &pl, NULL) || !u.is_sip) {
		msg("'%s' is not a sip: or sips: URI", arg);
		return EX_USAGE;
	}
	if (!u.user.l || u.password.l || u.port || u.params.l || u.headers.l ||
	    u.af || u.host.l >= sizeof(dom)) {
		msg("'%s': a list URI is sip:NAME@DOMAIN (no port, parameters "
		    "or headers; DOMAIN a domain of this server)",
		    arg);
		return EX_USAGE;
	}
	if (sip_unescape(&u.user, user, sizeof(user), &ul) ||
	    strcspn(user, "@ \t\r\n") != ul) {
		msg("'%s': bad user part", arg);
		return EX_USAGE;
	}
	for (size_t i = 0; i < u.host.l; i++)
		dom[i] = (char)tolower((unsigned char)u.host.p[i]);
	dom[u.host.l] = '\0';
	err = store_domain_exists(st, dom, &ex);
	if (err)
		return impctl_store_fail("domain lookup", err);
	if (!ex) {
		msg("'%s' is not a domain of this server (add it with: impctl "
		    "domain add %s)",
		    dom, dom);
		return EX_NOTFOUND;
	}
	err = store_user_get(st, user, dom, &su);
	if (!err) {
		msg("'%s' is the address of the user %s@%s; a list needs a URI "
		    "of its own",
		    arg, user, dom);
		return EX_EXISTS;
	}
	if (err != ENOENT)
		return impctl_store_fail("user lookup", err);
	snprintf(uri, size, "%s:%.*s@%s", u.sips ? "sips" : "sip",
	         PL_PRINT(&u.user), dom);
	return EX_OK;
}

/* A member: a sip, sips, tel, pres or im URI ("bob@example.com" is taken
 * as sip:bob@example.com). A mem string. */
static int member_norm(const char *arg, char **mp)
{
	static const char *const schemes[] = {"sip", "sips", "tel", "pres",
	                                      "im"};
	struct sip_uri u;
	struct pl pl;
	char *m = NULL;
	bool ok = false;
	size_t l = strlen(arg);

	if (!strchr(arg, ':') && strchr(arg, '@')) {
		m = mem_alloc(l + 5, NULL);
		if (m)
			snprintf(m, l + 5, "sip:%s", arg);
	} else if (mem_strdup(&m, arg)) {
		m = NULL;
	}
	if (!m) {
		msg("out of memory");
		return EX_STORE;
	}
	pl_set_str(&pl, m);
	if (!sip_uri_decode(&u, &pl, NULL)) {
		for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]);
		     i++)
			ok = ok || !pl_strcasecmp(&u.scheme, schemes[i]);
	}
	if (!ok) {
		msg("'%s' is not a member URI (sip:, sips:, tel:, pres: or "
		    "im:)",
		    arg);
		mem_deref(m);
		return EX_USAGE;
	}
	*mp = m;
	return EX_OK;
}

/* ---- scanning every rls-services document ---- */

struct scan {
	const char *uri;        /* the service looked for, NULL: print all */
	const char *owner;      /* the owner to skip, or NULL */
	char found[256];        /* the owner who has it */
	struct rls_services *s; /* found: the owner's services */
	int err;
};

static void print_services(const char *owner, const struct rls_services *s)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const struct rls_service *sv = &s->s[i];

		if (sv->list)
			printf("%s owner=%s members=%u\n", sv->uri, owner,
			       sv->list->n);
		else
			printf("%s owner=%s resource-list=%s\n", sv->uri, owner,
			       sv->list_ref);
	}
}

static void scan_h(const struct store_doc *d, void *arg)
{
	struct scan *sc = arg;
	struct rls_services *s = NULL;
	char eb[256];
	int err;

	if (!d->content || sc->err || sc->found[0] ||
	    (sc->owner && !strcmp(d->owner, sc->owner)))
		return;
	err = rls_services_parse(&s, d->content, d->len, eb, sizeof(eb));
	if (err == ENOMEM) {
		sc->err = err;
		return;
	}
	if (err) {
		msg("the lists of '%s' are not valid (%s); replace them with "
		    "impctl list set or remove them",
		    d->owner, eb);
		return;
	}
	if (!sc->uri) {
		print_services(d->owner, s);
	} else if (rls_services_find(s, sc->uri)) {
		snprintf(sc->found, sizeof(sc->found), "%s", d->owner);
		sc->s = mem_ref(s);
	}
	mem_deref(s);
}

static int scan(struct store *st, struct scan *sc)
{
	int err = store_doc_list(st, RLS_AUID, NULL, scan_h, sc);

	if (!err)
		err = sc->err;
	return err;
}

/* ---- commands ---- */

static int stored_invalid(const char *aor)
{
	msg("the stored lists of '%s' are not valid; remove them with "
	    "impctl list remove for each list, or replace the document",
	    aor);
	return EX_USAGE;
}

static int list_store(struct store *st, const char *aor, int err,
                      struct buf *mb)
{
	struct rls_services *s = NULL;

	if (err == EBADMSG)
		return stored_invalid(aor);
	if (err == E2BIG) {
		msg("more than %d members in the lists of '%s'",
		    RLIST_MAX_ENTRIES, aor);
		return EX_USAGE;
	}
	if (err) {
		msg("cannot build the list: %s", err_str(err));
		return EX_STORE;
	}
	err = rls_services_parse(&s, (const char *)mb->b, mb->end, NULL, 0);
	if (!err && !s->n)
		err = store_doc_delete(st, RLS_AUID, aor, RLS_DOC_NAME);
	else if (!err)
		err = store_doc_put(st, RLS_AUID, aor, RLS_DOC_NAME,
		                    (const char *)mb->b, mb->end, NULL);
	mem_deref(s);
	return err ? impctl_store_fail("list", err) : EX_OK;
}

/* list set USER@DOMAIN SERVICE-URI MEMBER-URI... */
static int cmd_set(struct store *st, int argc, const char *const *argv)
{
	struct scan sc;
	struct buf *mb = NULL;
	char aor[256], uri[512];
	char **m = NULL, *xml = NULL;
	size_t len = 0;
	int ex, err, n = argc - 2, i;

	if (argc < 3)
		return impctl_usage("list set needs USER@DOMAIN SERVICE-URI "
		                    "and at least one MEMBER-URI");
	if (n > RLIST_MAX_ENTRIES)
		return impctl_usage("too many members");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (!ex)
		ex = service_check(st, argv[1], uri, sizeof(uri));
	if (ex)
		return ex;
	memset(&sc, 0, sizeof(sc));
	sc.uri = uri;
	sc.owner = aor;
	err = scan(st, &sc);
	mem_deref(sc.s);
	if (err)
		return impctl_store_fail("list set", err);
	if (sc.found[0]) {
		msg("'%s' is already a list of '%s'", uri, sc.found);
		return EX_EXISTS;
	}
	m = mem_zalloc((size_t)n * sizeof(*m), NULL);
	if (!m) {
		msg("out of memory");
		return EX_STORE;
	}
	for (i = 0, ex = EX_OK; !ex && i < n; i++) {
		ex = member_norm(argv[2 + i], &m[i]);
		if (!ex && rlist_uri_eq(m[i], uri)) {
			msg("a list cannot contain itself ('%s')", argv[2 + i]);
			ex = EX_USAGE;
		}
	}
	if (ex)
		goto out;
	err = impctl_doc_read(st, RLS_AUID, aor, &xml, &len);
	if (err && err != ENOENT) {
		ex = impctl_store_fail("list set", err);
		goto out;
	}
	err = rls_services_with(&mb, xml, len, uri, (const char *const *)m,
	                        (uint32_t)n, LIST_PACKAGE);
	ex = list_store(st, aor, err, mb);
out:
	for (i = 0; i < n; i++)
		mem_deref(m[i]);
	mem_deref(m);
	mem_deref(xml);
	mem_deref(mb);
	return ex;
}

/* list show USER@DOMAIN */
static int cmd_show(struct store *st, int argc, const char *const *argv)
{
	char aor[256], *xml = NULL;
	size_t len = 0;
	int ex, err;

	if (argc != 1)
		return impctl_usage("list show needs USER@DOMAIN");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = impctl_doc_read(st, RLS_AUID, aor, &xml, &len);
	if (err == ENOENT) {
		msg("user '%s' has no lists", aor);
		return EX_NOTFOUND;
	}
	if (err)
		return impctl_store_fail("list show", err);
	fwrite(xml, 1, len, stdout);
	if (len && xml[len - 1] != '\n')
		putchar('\n');
	mem_deref(xml);
	return EX_OK;
}

/* list members SERVICE-URI */
static int cmd_members(struct store *st, int argc, const char *const *argv)
{
	const struct rls_service *sv;
	struct scan sc;
	int err;

	if (argc != 1)
		return impctl_usage("list members needs SERVICE-URI");
	memset(&sc, 0, sizeof(sc));
	sc.uri = argv[0];
	err = scan(st, &sc);
	if (err) {
		mem_deref(sc.s);
		return impctl_store_fail("list members", err);
	}
	sv = rls_services_find(sc.s, argv[0]);
	if (!sv) {
		msg("no list has the URI '%s'", argv[0]);
		mem_deref(sc.s);
		return EX_NOTFOUND;
	}
	printf("owner: %s\n", sc.found);
	if (sv->list) {
		for (uint32_t i = 0; i < sv->list->n; i++)
			printf("%s\n", sv->list->e[i].uri);
		if (sv->list->nrefs)
			msg("note: %u entry-ref/external member%s not "
			    "resolved here",
			    sv->list->nrefs, sv->list->nrefs == 1 ? "" : "s");
	} else {
		msg("note: the members are in the resource list %s",
		    sv->list_ref);
	}
	mem_deref(sc.s);
	return EX_OK;
}

/* list remove USER@DOMAIN SERVICE-URI */
static int cmd_remove(struct store *st, int argc, const char *const *argv)
{
	struct buf *mb = NULL;
	char aor[256], *xml = NULL;
	size_t len = 0;
	int ex, err;

	if (argc != 2)
		return impctl_usage(
		    "list remove needs USER@DOMAIN SERVICE-URI");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = impctl_doc_read(st, RLS_AUID, aor, &xml, &len);
	if (err == ENOENT) {
		msg("user '%s' has no lists", aor);
		return EX_NOTFOUND;
	}
	if (err)
		return impctl_store_fail("list remove", err);
	err = rls_services_without(&mb, xml, len, argv[1]);
	mem_deref(xml);
	if (err == ENOENT) {
		msg("user '%s' has no list '%s'", aor, argv[1]);
		return EX_NOTFOUND;
	}
	ex = list_store(st, aor, err, mb);
	mem_deref(mb);
	return ex;
}

/* list all */
static int cmd_all(struct store *st, int argc, const char *const *argv)
{
	struct scan sc;
	int err;

	(void)argv;
	if (argc)
		return impctl_usage("list all takes no arguments");
	memset(&sc, 0, sizeof(sc));
	err = scan(st, &sc);
	return err ? impctl_store_fail("list all", err) : EX_OK;
}

const struct impctl_cmd impctl_list_cmds[] = {
    {"list", "set", cmd_set,
     "  list set USER@DOMAIN SERVICE-URI MEMBER-URI...\n"
     "                                        make SERVICE-URI (sip:NAME@"
     "DOMAIN)\n"
     "                                        a group of the members, "
     "owned by\n"
     "                                        the user (replaces that "
     "list)\n"},
    {"list", "show", cmd_show,
     "  list show USER@DOMAIN                 print the user's lists\n"
     "                                        (rls-services document)\n"},
    {"list", "members", cmd_members,
     "  list members SERVICE-URI              the owner and members of a "
     "list\n"},
    {"list", "remove", cmd_remove,
     "  list remove USER@DOMAIN SERVICE-URI   remove one list\n"},
    {"list", "all", cmd_all,
     "  list all                              every list: owner, member "
     "count\n"},
    {NULL, NULL, NULL, NULL},
};
