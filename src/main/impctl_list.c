/* main/impctl_list.c - impctl list and buddy commands: group URIs kept
 * as rls-services documents (RFC 4826 4), buddy lists kept as the user's
 * resource-lists document (RFC 4826 3); every write is checked as an
 * XCAP PUT is (RFC 4825 8.2.5, the usages' schemas and constraints) */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"
#include "base/xml.h"
#include "impctl.h"
#include "list/rlist.h"
#include "sip/msg.h"
#include "store/store.h"
#include "xcap/usage.h"
#include "xcap/xops.h"

#define msg impctl_msg

/* The package every list made here serves (RFC 4826 4.1); pager group
 * messages do not look at it. */
#define LIST_PACKAGE "presence"
/* The list of the resource-lists document buddy add writes to unless
 * --list names another. */
#define BUDDY_LIST "buddies"

/* A document that is not valid (a file given, a stored one, or what an
 * edit would make): the status impctl gives bad input (rules set does
 * the same; impctl.h has no code of its own for it). */
#define EX_BADDOC EX_USAGE

static int oom(void)
{
	msg("out of memory");
	return EX_STORE;
}

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
	if (!m)
		return oom();
	pl_set_str(&pl, m);
	/* XML text without white space around it (parsers trim it) */
	if (pl.l && xml_text_ok(m) && !isspace((unsigned char)m[0]) &&
	    !isspace((unsigned char)m[pl.l - 1]) &&
	    !sip_uri_decode(&u, &pl, NULL)) {
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
	bool quiet;             /* no word about documents that do not parse */
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
		if (!sc->quiet)
			msg("the lists of '%s' are not valid (%s); replace "
			    "them with impctl list set or remove them",
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

/* ---- checking a document as XCAP would take it ---- */

struct vchk {
	struct store *st;
	const char *owner;
	char found[256];
	int err; /* a store error in a callback */
};

/* xcap_vctx.service_owner: the other user who has a list with uri. */
static const char *vchk_owner(const char *uri, void *arg)
{
	struct vchk *v = arg;
	struct scan sc;
	int err;

	memset(&sc, 0, sizeof(sc));
	sc.uri = uri;
	sc.owner = v->owner;
	sc.quiet = true;
	err = scan(v->st, &sc);
	mem_deref(sc.s);
	if (err) {
		v->err = err;
		return NULL;
	}
	if (!sc.found[0])
		return NULL;
	snprintf(v->found, sizeof(v->found), "%s", sc.found);
	return v->found;
}

/* xcap_vctx.local_domain: a domain of the store. */
static bool vchk_domain(const char *domain, void *arg)
{
	struct vchk *v = arg;
	bool ex = false;
	int err = store_domain_exists(v->st, domain, &ex);

	if (err)
		v->err = err;
	return ex;
}

/* doc as owner's document of auid, checked as an XCAP PUT of it is: the
 * usage's schema, the constraints of RFC 4826 3.4.3 and 4.3.3 (unique
 * list names and entry URIs, service URIs unique across users and in a
 * domain of ours) and impd's own reader. what names the document in the
 * message ("the result", a file name). EX_OK, or an exit code after a
 * message naming the problem. */
static int doc_check(struct store *st, const char *auid, const char *owner,
                     const char *doc, size_t len, const char *what)
{
	struct xcap_schemas *sc = NULL;
	struct xcap_vctx vc;
	struct xcap_err e;
	struct vchk v;
	int err, ex = EX_OK;

	memset(&vc, 0, sizeof(vc));
	memset(&e, 0, sizeof(e));
	memset(&v, 0, sizeof(v));
	v.st = st;
	v.owner = owner;
	vc.owner = owner;
	vc.docname = RLS_DOC_NAME;
	vc.service_owner = vchk_owner;
	vc.local_domain = vchk_domain;
	vc.arg = &v;
	err = xcap_schemas_alloc(&sc);
	if (!err)
		err = xcap_usage_validate(sc, xcap_usage_find(auid), doc, len,
		                          &vc, &e);
	if (v.err) {
		ex = impctl_store_fail("check", v.err);
	} else if (err == EINVAL && e.code != XE_NONE && e.phrase) {
		msg("%s is not a valid %s document: %s", what, auid, e.phrase);
		for (uint32_t i = 0; i < e.nalt; i++)
			msg("  free: %s", e.alt[i]);
		ex = EX_BADDOC;
	} else if (err) {
		msg("cannot check %s: %s", what, err_str(err));
		ex = EX_STORE;
	}
	xcap_err_reset(&e);
	mem_deref(sc);
	return ex;
}

/* Check and store doc as aor's document of auid. */
static int doc_store(struct store *st, const char *auid, const char *aor,
                     const char *doc, size_t len, const char *what)
{
	int ex = doc_check(st, auid, aor, doc, len, what);
	int err;

	if (ex)
		return ex;
	err = store_doc_put(st, auid, aor, RLS_DOC_NAME, doc, len, NULL);
	return err ? impctl_store_fail(auid, err) : EX_OK;
}

/* ---- editing with libxml2 ---- */

static bool is_el(const xmlNode *n, const char *ns, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST ns) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

/* xml (already read by impd's parser, so well formed and at most
 * RLIST_MAX_DEPTH lists deep) as a tree to edit. */
static int edit_open(xmlDocPtr *docp, const char *xml, size_t len)
{
	struct xml_err xe = {NULL, 0, false};
	int err = xml_read_strict(docp, xml, len, &xe);

	if (!err)
		xml_strip_blanks(xmlDocGetRootElement(*docp));
	return err;
}

/* An empty resource-lists document (RFC 4826 3.2). */
static int rlist_doc_new(xmlDocPtr *docp)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *root;
	xmlNsPtr ns;

	root = doc ? xmlNewDocNode(doc, NULL, BAD_CAST "resource-lists", NULL)
	           : NULL;
	if (!root) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST RLIST_NS, NULL);
	if (!ns) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	xmlSetNs(root, ns);
	*docp = doc;
	return 0;
}

/* The document indented, in UTF-8 with an XML declaration, as a mem
 * string. */
static int edit_dump(char **sp, size_t *lenp, xmlDocPtr doc)
{
	xmlChar *out = NULL;
	int size = 0, err;

	xmlDocDumpFormatMemoryEnc(doc, &out, &size, "UTF-8", 1);
	if (!out || size <= 0) {
		xmlFree(out);
		return ENOMEM;
	}
	err = mem_strndup(sp, (const char *)out, (size_t)size);
	if (!err)
		*lenp = (size_t)size;
	xmlFree(out);
	return err;
}

/* Is attribute att of n v (URIs compared as the lists do, names
 * exactly)? */
static bool att_is(xmlNode *n, const char *att, const char *v, bool uri)
{
	xmlChar *a = xmlGetNoNsProp(n, BAD_CAST att);
	bool eq;

	if (!a)
		return false;
	eq = uri ? rlist_uri_eq(xml_trim(a), v) : !strcmp((char *)a, v);
	xmlFree(a);
	return eq;
}

/* The child of parent named ns:name whose attribute att is v, or NULL. */
static xmlNode *child_find(xmlNode *parent, const char *ns, const char *name,
                           const char *att, const char *v, bool uri)
{
	for (xmlNode *k = parent->children; k; k = k->next)
		if (is_el(k, ns, name) && att_is(k, att, v, uri))
			return k;
	return NULL;
}

/* The namespace href in scope at n, else declared on the root element
 * with prefix pfx (pfx2, pfx3 ... when pfx is bound at n). */
static xmlNsPtr ns_get(xmlNode *n, const char *href, const char *pfx)
{
	xmlNsPtr ns = xmlSearchNsByHref(n->doc, n, BAD_CAST href);
	char p[16];

	if (ns)
		return ns;
	snprintf(p, sizeof(p), "%s", pfx);
	for (int i = 2; xmlSearchNs(n->doc, n, BAD_CAST p) && i < 100; i++)
		snprintf(p, sizeof(p), "%s%d", pfx, i);
	return xmlNewNs(xmlDocGetRootElement(n->doc), BAD_CAST href,
	                BAD_CAST p);
}

/* Put k into parent after its last child in the resource-lists
 * namespace, else first: a list holds its display name, then its
 * members, then extensions (RFC 4826 3.2 listType); the document holds
 * lists only. */
static int child_insert(xmlNode *parent, xmlNode *k)
{
	xmlNode *last = NULL;

	for (xmlNode *c = parent->children; c; c = c->next)
		if (is_el(c, RLIST_NS, NULL))
			last = c;
	if (last)
		return xmlAddNextSibling(last, k) ? 0 : ENOMEM;
	if (parent->children)
		return xmlAddPrevSibling(parent->children, k) ? 0 : ENOMEM;
	return xmlAddChild(parent, k) ? 0 : ENOMEM;
}

/* <entry uri=URI><display-name>NAME</display-name><ip:preferred/></entry>
 * (display name and preferred as given) added to list (LIST-06:
 * <ip:preferred/> marks a preferred contact). */
static int entry_add(xmlNode *list, const char *uri, const char *name,
                     bool preferred)
{
	xmlNsPtr rl = ns_get(list, RLIST_NS, "rl"), ip;
	xmlNode *e, *p;

	e = rl ? xmlNewDocNode(list->doc, rl, BAD_CAST "entry", NULL) : NULL;
	if (!e || !xmlNewProp(e, BAD_CAST "uri", BAD_CAST uri))
		goto fail;
	if (name &&
	    !xmlNewTextChild(e, rl, BAD_CAST "display-name", BAD_CAST name))
		goto fail;
	if (preferred) {
		p = xmlNewChild(e, NULL, BAD_CAST "preferred", NULL);
		if (!p)
			goto fail;
		ip = xmlSearchNsByHref(list->doc, list, BAD_CAST XCAP_META_NS);
		if (!ip)
			ip = xmlNewNs(p, BAD_CAST XCAP_META_NS, BAD_CAST "ip");
		if (!ip)
			goto fail;
		xmlSetNs(p, ip);
	}
	if (child_insert(list, e))
		goto fail;
	return 0;
fail:
	xmlFreeNode(e);
	return ENOMEM;
}

/* Remove every <entry> with uri from list and the lists nested in it;
 * how many went. */
static uint32_t entries_remove(xmlNode *list, const char *uri)
{
	uint32_t n = 0;
	xmlNode *k, *next;

	for (k = list->children; k; k = next) {
		next = k->next;
		if (is_el(k, RLIST_NS, "list")) {
			n += entries_remove(k, uri);
		} else if (is_el(k, RLIST_NS, "entry") &&
		           att_is(k, "uri", uri, true)) {
			xmlUnlinkNode(k);
			xmlFreeNode(k);
			n++;
		}
	}
	return n;
}

/* A member of a flattened list? */
static bool member_in(const struct rlist *l, const char *uri)
{
	for (uint32_t i = 0; l && i < l->n; i++)
		if (rlist_uri_eq(l->e[i].uri, uri))
			return true;
	return false;
}

/* ---- operands and options ---- */

enum { OPT_LIST = 1, OPT_NAME = 2, OPT_PREFERRED = 4 };

struct args {
	const char *op[3]; /* operands */
	int nop;
	const char *list;
	const char *name;
	bool preferred;
};

/* "--NAME" (*vp NULL) or "--NAME=VALUE". */
static bool opt_is(const char *a, const char *name, const char **vp)
{
	size_t n = strlen(name);

	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return false;
	*vp = a[n] ? a + n + 1 : NULL;
	return true;
}

/* argv: exactly nop operands and the options of opts, in any order;
 * "--" ends the options. Option values must be text XML can carry. */
static int args_parse(struct args *a, int argc, const char *const *argv,
                      int nop, unsigned opts, const char *use)
{
	bool dashdash = false;

	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i], *v = NULL;
		unsigned o = 0;

		if (!dashdash && !strcmp(s, "--")) {
			dashdash = true;
			continue;
		}
		if (dashdash || s[0] != '-' || !s[1]) {
			if (a->nop == nop)
				return impctl_usage(use);
			a->op[a->nop++] = s;
			continue;
		}
		if (opt_is(s, "--list", &v))
			o = OPT_LIST;
		else if (opt_is(s, "--name", &v))
			o = OPT_NAME;
		else if (!strcmp(s, "--preferred"))
			o = OPT_PREFERRED;
		if (!(o & opts)) {
			msg("unknown option '%s'", s);
			return impctl_usage(use);
		}
		if (o == OPT_PREFERRED) {
			a->preferred = true;
			continue;
		}
		if (!v && i + 1 < argc)
			v = argv[++i];
		if (!v || !*v || !xml_text_ok(v)) {
			msg("%s needs a value (text without control "
			    "characters)",
			    o == OPT_LIST ? "--list" : "--name");
			return impctl_usage(use);
		}
		if (o == OPT_LIST)
			a->list = v;
		else
			a->name = v;
	}
	if (a->nop != nop)
		return impctl_usage(use);
	return EX_OK;
}

/* ---- list set, show, members, remove, all ---- */

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
	if (!err && !s->n) {
		err = store_doc_delete(st, RLS_AUID, aor, RLS_DOC_NAME);
	} else if (!err) {
		mem_deref(s);
		return doc_store(st, RLS_AUID, aor, (const char *)mb->b,
		                 mb->end, "the result");
	}
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
	if (!m)
		return oom();
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

/* ---- list add, list del ---- */

/* A service with a <resource-list> has no members of its own. */
static int service_ref(const struct rls_service *sv)
{
	msg("'%s' takes its members from the resource list %s; change that "
	    "list instead",
	    sv->uri, sv->list_ref);
	return EX_USAGE;
}

/* Add member m (display name, or NULL) to the inline list of service
 * uri of an rls-services document, or remove it from there (and from
 * the lists nested in it; *removed says how many went). The service
 * must be there with an inline list. */
static int rls_edit(char **outp, size_t *outlen, const char *xml, size_t len,
                    const char *uri, const char *m, const char *name,
                    uint32_t *removed)
{
	xmlDocPtr doc = NULL;
	xmlNode *sv, *list = NULL;
	int err = edit_open(&doc, xml, len);

	if (err)
		return err;
	sv = child_find(xmlDocGetRootElement(doc), RLS_NS, "service", "uri",
	                uri, true);
	for (xmlNode *k = sv ? sv->children : NULL; k && !list; k = k->next)
		if (is_el(k, RLS_NS, "list"))
			list = k;
	if (!list)
		err = ENOENT;
	else if (removed)
		*removed = entries_remove(list, m);
	else
		err = entry_add(list, m, name, false);
	if (!err)
		err = edit_dump(outp, outlen, doc);
	xmlFreeDoc(doc);
	return err;
}

/* The user's rls-services document and what it holds (both NULL when
 * there is none). */
static int rls_load(struct store *st, const char *aor, char **xmlp,
                    size_t *lenp, struct rls_services **sp)
{
	char eb[256];
	int err = impctl_doc_read(st, RLS_AUID, aor, xmlp, lenp);

	if (err == ENOENT)
		return EX_OK;
	if (err)
		return impctl_store_fail("list", err);
	err = rls_services_parse(sp, *xmlp, *lenp, eb, sizeof(eb));
	if (err == ENOMEM)
		return oom();
	if (err) {
		msg("the stored lists of '%s' are not valid (%s); replace "
		    "them over XCAP or remove them with impctl list remove",
		    aor, eb);
		return EX_BADDOC;
	}
	return EX_OK;
}

/* list add USER@DOMAIN SERVICE-URI MEMBER-URI [--name DISPLAY] */
static int cmd_add(struct store *st, int argc, const char *const *argv)
{
	struct rls_services *s = NULL;
	const struct rls_service *sv = NULL;
	struct buf *mb = NULL;
	struct scan sc;
	struct args a;
	char aor[256], uri[512], *m = NULL, *xml = NULL, *out = NULL;
	const char *base;
	size_t len = 0, blen, olen = 0;
	int ex, err;

	ex = args_parse(&a, argc, argv, 3, OPT_NAME,
	                "list add needs USER@DOMAIN SERVICE-URI MEMBER-URI "
	                "[--name DISPLAY]");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (!ex)
		ex = service_check(st, a.op[1], uri, sizeof(uri));
	if (!ex)
		ex = member_norm(a.op[2], &m);
	if (ex)
		return ex;
	if (rlist_uri_eq(m, uri)) {
		msg("a list cannot contain itself ('%s')", a.op[2]);
		ex = EX_USAGE;
		goto out;
	}
	ex = rls_load(st, aor, &xml, &len, &s);
	if (ex)
		goto out;
	sv = s ? rls_services_find(s, uri) : NULL;
	if (sv && !sv->list) {
		ex = service_ref(sv);
		goto out;
	}
	if (sv && member_in(sv->list, m)) {
		msg("'%s' is already a member of '%s'; nothing changed", m,
		    sv->uri);
		goto out;
	}
	base = xml;
	blen = len;
	if (!sv) { /* a new list: nobody else may have it */
		memset(&sc, 0, sizeof(sc));
		sc.uri = uri;
		sc.owner = aor;
		err = scan(st, &sc);
		mem_deref(sc.s);
		if (err) {
			ex = impctl_store_fail("list add", err);
			goto out;
		}
		if (sc.found[0]) {
			msg("'%s' is already a list of '%s'", uri, sc.found);
			ex = EX_EXISTS;
			goto out;
		}
		err = rls_services_with(&mb, xml, len, uri, NULL, 0,
		                        LIST_PACKAGE);
		if (err) {
			msg("cannot build the list: %s", err_str(err));
			ex = EX_STORE;
			goto out;
		}
		base = (const char *)mb->b;
		blen = mb->end;
	}
	err = rls_edit(&out, &olen, base, blen, uri, m, a.name, NULL);
	if (err) {
		msg("cannot build the list: %s", err_str(err));
		ex = EX_STORE;
		goto out;
	}
	ex = doc_store(st, RLS_AUID, aor, out, olen, "the result");
out:
	mem_deref(out);
	mem_deref(mb);
	mem_deref(s);
	mem_deref(xml);
	mem_deref(m);
	return ex;
}

/* list del USER@DOMAIN SERVICE-URI MEMBER-URI */
static int cmd_del(struct store *st, int argc, const char *const *argv)
{
	struct rls_services *s = NULL;
	const struct rls_service *sv;
	struct args a;
	char aor[256], *m = NULL, *xml = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	uint32_t n = 0;
	int ex, err;

	ex = args_parse(&a, argc, argv, 3, 0,
	                "list del needs USER@DOMAIN SERVICE-URI MEMBER-URI");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (!ex)
		ex = member_norm(a.op[2], &m);
	if (ex)
		return ex;
	ex = rls_load(st, aor, &xml, &len, &s);
	if (ex)
		goto out;
	if (!s) {
		msg("user '%s' has no lists", aor);
		ex = EX_NOTFOUND;
		goto out;
	}
	sv = rls_services_find(s, a.op[1]);
	if (!sv) {
		msg("user '%s' has no list '%s'", aor, a.op[1]);
		ex = EX_NOTFOUND;
		goto out;
	}
	if (!sv->list) {
		ex = service_ref(sv);
		goto out;
	}
	err = rls_edit(&out, &olen, xml, len, sv->uri, m, NULL, &n);
	if (err) {
		msg("cannot change the list: %s", err_str(err));
		ex = EX_STORE;
		goto out;
	}
	if (!n) {
		msg("'%s' is not a member of '%s'", m, sv->uri);
		ex = EX_NOTFOUND;
		goto out;
	}
	ex = doc_store(st, RLS_AUID, aor, out, olen, "the result");
out:
	mem_deref(out);
	mem_deref(s);
	mem_deref(xml);
	mem_deref(m);
	return ex;
}

/* ---- buddy lists: the user's resource-lists document ---- */

/* The user's buddy lists document and its top-level lists (NULL and 0
 * when there is none). */
static int buddy_load(struct store *st, const char *aor, char **xmlp,
                      size_t *lenp, struct rlist ***listsp, uint32_t *np)
{
	char eb[256];
	int err = impctl_doc_read(st, RLIST_AUID, aor, xmlp, lenp);

	if (err == ENOENT)
		return EX_OK;
	if (err)
		return impctl_store_fail("buddy", err);
	err = rlist_doc_parse(listsp, np, *xmlp, *lenp, eb, sizeof(eb));
	if (err == ENOMEM)
		return oom();
	if (err) {
		msg("the stored buddy lists of '%s' are not valid (%s); "
		    "replace them with impctl buddy set or remove them with "
		    "impctl buddy clear",
		    aor, eb);
		return EX_BADDOC;
	}
	return EX_OK;
}

static int no_buddies(const char *aor)
{
	msg("user '%s' has no buddy lists", aor);
	return EX_NOTFOUND;
}

/* buddy show USER@DOMAIN */
static int cmd_buddy_show(struct store *st, int argc, const char *const *argv)
{
	struct args a;
	char aor[256], *xml = NULL;
	size_t len = 0;
	int ex, err;

	ex = args_parse(&a, argc, argv, 1, 0, "buddy show needs USER@DOMAIN");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = impctl_doc_read(st, RLIST_AUID, aor, &xml, &len);
	if (err == ENOENT)
		return no_buddies(aor);
	if (err)
		return impctl_store_fail("buddy show", err);
	fwrite(xml, 1, len, stdout);
	if (len && xml[len - 1] != '\n')
		putchar('\n');
	mem_deref(xml);
	return EX_OK;
}

/* Add m to the top-level list lname of a resource-lists document (xml
 * NULL: a new one), making the list when it is not there. */
static int buddy_edit_add(char **outp, size_t *outlen, const char *xml,
                          size_t len, const char *lname, const char *m,
                          const char *name, bool preferred)
{
	xmlDocPtr doc = NULL;
	xmlNode *root, *list;
	xmlNsPtr rl;
	int err = xml ? edit_open(&doc, xml, len) : rlist_doc_new(&doc);

	if (err)
		return err;
	root = xmlDocGetRootElement(doc);
	list = child_find(root, RLIST_NS, "list", "name", lname, false);
	if (!list) {
		rl = ns_get(root, RLIST_NS, "rl");
		list =
		    rl ? xmlNewDocNode(doc, rl, BAD_CAST "list", NULL) : NULL;
		if (!list ||
		    !xmlNewProp(list, BAD_CAST "name", BAD_CAST lname) ||
		    child_insert(root, list)) {
			xmlFreeNode(list);
			err = ENOMEM;
		}
	}
	if (!err)
		err = entry_add(list, m, name, preferred);
	if (!err)
		err = edit_dump(outp, outlen, doc);
	xmlFreeDoc(doc);
	return err;
}

/* buddy add USER@DOMAIN URI [--list NAME] [--name DISPLAY] [--preferred] */
static int cmd_buddy_add(struct store *st, int argc, const char *const *argv)
{
	struct rlist **lists = NULL;
	struct args a;
	char aor[256], *m = NULL, *xml = NULL, *out = NULL;
	const char *lname;
	size_t len = 0, olen = 0;
	uint32_t n = 0;
	int ex, err;

	ex = args_parse(&a, argc, argv, 2, OPT_LIST | OPT_NAME | OPT_PREFERRED,
	                "buddy add needs USER@DOMAIN URI [--list NAME] "
	                "[--name DISPLAY] [--preferred]");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (!ex)
		ex = member_norm(a.op[1], &m);
	if (ex)
		return ex;
	lname = a.list ? a.list : BUDDY_LIST;
	ex = buddy_load(st, aor, &xml, &len, &lists, &n);
	if (ex)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (strcmp(lists[i]->name, lname) || !member_in(lists[i], m))
			continue;
		msg("'%s' is already in the list '%s' of '%s'; nothing "
		    "changed",
		    m, lname, aor);
		goto out;
	}
	err = buddy_edit_add(&out, &olen, xml, len, lname, m, a.name,
	                     a.preferred);
	if (err) {
		msg("cannot build the list: %s", err_str(err));
		ex = EX_STORE;
		goto out;
	}
	ex = doc_store(st, RLIST_AUID, aor, out, olen, "the result");
out:
	mem_deref(out);
	mem_deref(lists);
	mem_deref(xml);
	mem_deref(m);
	return ex;
}

/* buddy remove USER@DOMAIN URI [--list NAME] */
static int cmd_buddy_remove(struct store *st, int argc, const char *const *argv)
{
	struct rlist **lists = NULL;
	xmlDocPtr doc = NULL;
	xmlNode *list = NULL;
	struct args a;
	char aor[256], *m = NULL, *xml = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	uint32_t n = 0;
	int ex, err;

	ex = args_parse(&a, argc, argv, 2, OPT_LIST,
	                "buddy remove needs USER@DOMAIN URI [--list NAME]");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (!ex)
		ex = member_norm(a.op[1], &m);
	if (ex)
		return ex;
	ex = buddy_load(st, aor, &xml, &len, &lists, &n);
	if (ex)
		goto out;
	if (!xml) {
		ex = no_buddies(aor);
		goto out;
	}
	err = edit_open(&doc, xml, len);
	if (err) {
		ex = oom(); /* it parsed before */
		goto out;
	}
	list = xmlDocGetRootElement(doc);
	if (a.list)
		list =
		    child_find(list, RLIST_NS, "list", "name", a.list, false);
	if (!list) {
		msg("user '%s' has no buddy list '%s'", aor, a.list);
		ex = EX_NOTFOUND;
		goto out;
	}
	n = entries_remove(list, m);
	if (!n) {
		if (a.list)
			msg("'%s' is not in the list '%s' of '%s'", m, a.list,
			    aor);
		else
			msg("'%s' is not in the buddy lists of '%s'", m, aor);
		ex = EX_NOTFOUND;
		goto out;
	}
	err = edit_dump(&out, &olen, doc);
	if (err) {
		ex = oom();
		goto out;
	}
	ex = doc_store(st, RLIST_AUID, aor, out, olen, "the result");
out:
	xmlFreeDoc(doc);
	mem_deref(out);
	mem_deref(lists);
	mem_deref(xml);
	mem_deref(m);
	return ex;
}

/* buddy set USER@DOMAIN FILE */
static int cmd_buddy_set(struct store *st, int argc, const char *const *argv)
{
	struct args a;
	char aor[256], *xml = NULL;
	size_t len = 0;
	int ex;

	ex = args_parse(&a, argc, argv, 2, 0,
	                "buddy set needs USER@DOMAIN FILE ('-': stdin)");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (!ex)
		ex = impctl_read_input(a.op[1], &xml, &len);
	if (ex)
		return ex;
	ex = doc_store(st, RLIST_AUID, aor, xml, len,
	               strcmp(a.op[1], "-") ? a.op[1] : "stdin");
	mem_deref(xml);
	return ex;
}

/* buddy clear USER@DOMAIN */
static int cmd_buddy_clear(struct store *st, int argc, const char *const *argv)
{
	struct args a;
	char aor[256];
	int ex, err;

	ex = args_parse(&a, argc, argv, 1, 0, "buddy clear needs USER@DOMAIN");
	if (!ex)
		ex = impctl_user(st, a.op[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = store_doc_delete(st, RLIST_AUID, aor, RLS_DOC_NAME);
	if (err == ENOENT)
		return no_buddies(aor);
	return err ? impctl_store_fail("buddy clear", err) : EX_OK;
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
    {"list", "add", cmd_add,
     "  list add USER@DOMAIN SERVICE-URI MEMBER-URI [--name DISPLAY]\n"
     "                                        add a member to a list (the "
     "list\n"
     "                                        is made when missing)\n"},
    {"list", "del", cmd_del,
     "  list del USER@DOMAIN SERVICE-URI MEMBER-URI\n"
     "                                        remove a member from a list\n"},
    {"buddy", "show", cmd_buddy_show,
     "  buddy show USER@DOMAIN                print the user's buddy lists\n"
     "                                        (resource-lists document)\n"},
    {"buddy", "add", cmd_buddy_add,
     "  buddy add USER@DOMAIN URI [--list NAME] [--name DISPLAY] "
     "[--preferred]\n"
     "                                        add a buddy to the list NAME\n"
     "                                        (default \"" BUDDY_LIST
     "\", made when\n"
     "                                        missing)\n"},
    {"buddy", "remove", cmd_buddy_remove,
     "  buddy remove USER@DOMAIN URI [--list NAME]\n"
     "                                        remove a buddy from every "
     "list\n"
     "                                        (or from NAME)\n"},
    {"buddy", "set", cmd_buddy_set,
     "  buddy set USER@DOMAIN FILE            store a resource-lists "
     "document\n"
     "                                        ('-' reads stdin)\n"},
    {"buddy", "clear", cmd_buddy_clear,
     "  buddy clear USER@DOMAIN               remove the user's buddy "
     "lists\n"},
    {NULL, NULL, NULL, NULL},
};
