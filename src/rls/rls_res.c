/* rls/rls_res.c - which lists exist and what they hold: the service URIs
 * of every user's rls-services document, the buddy-list convention, and
 * the resolution of a list into members (inline lists, <resource-list>
 * references into resource-lists documents, entry-ref and external
 * references), all from the documents kept in memory. */
#include <ctype.h>
#include <errno.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <string.h>

#define LOG_MODULE "rls"

#include "../base/log.h"
#include "../base/mem.h"
#include "../base/pl.h"
#include "../base/util.h"
#include "../base/xml.h"
#include "../list/rlist.h"
#include "../proxy/domain.h"
#include "../proxy/location.h"
#include "../sip/msg.h"
#include "../xcap/xsel.h"
#include "rls_int.h"

#define REF_DEPTH 4 /* references followed inside referenced lists */

/* ---- keys ---- */

int rls_member_key(char **keyp, const char *uri)
{
	struct sip_uri u;
	struct parse_err pe;
	struct pl p;
	char buf[512];

	if (!strncasecmp(uri, "pres:", 5) || !strncasecmp(uri, "im:", 3)) {
		/* RFC 3859/3860 URIs name the same user as sip: does */
		const char *rest = strchr(uri, ':') + 1;

		if (snprintf(buf, sizeof(buf), "sip:%s", rest) >=
		    (int)sizeof(buf))
			return EINVAL;
		pl_set_str(&p, buf);
	} else {
		pl_set_str(&p, uri);
	}
	if (!sip_uri_decode(&u, &p, &pe) && u.is_sip && pl_isset(&u.user)) {
		char aor[512];

		if (!loc_aor_print(&u, aor, sizeof(aor)))
			return mem_strdup(keyp, aor);
	}
	return mem_strdup(keyp, uri);
}

/* ---- documents ---- */

static bool ldoc_is(const struct ldoc *d, const char *auid, const char *owner,
                    const char *name)
{
	return !strcmp(d->auid, auid) && !strcmp(d->owner, owner) &&
	       !strcmp(d->name, name);
}

static struct ldoc *ldoc_find(const struct rls *r, const char *auid,
                              const char *owner, const char *name)
{
	LIST_FOREACH(hash_list(r->ldocs, str_hash_ci(owner)), le) {
		struct ldoc *d = le->data;

		if (ldoc_is(d, auid, owner, name))
			return d;
	}
	return NULL;
}

static void ldoc_destroy(void *data)
{
	struct ldoc *d = data;

	hash_unlink(&d->le);
	mem_deref(d->auid);
	mem_deref(d->owner);
	mem_deref(d->name);
	mem_deref(d->content);
	mem_deref(d->svc);
}

static void svc_destroy(void *data)
{
	struct svc *s = data;

	hash_unlink(&s->le);
	mem_deref(s->key);
	mem_deref(s->uri);
	mem_deref(s->owner);
}

static const struct svc *svc_find(const struct rls *r, const char *key)
{
	LIST_FOREACH(hash_list(r->svcs, str_hash_ci(key)), le) {
		const struct svc *s = le->data;

		if (!strcasecmp(s->key, key))
			return s;
	}
	return NULL;
}

/* Drop owner's services and index the ones of d (NULL: none). */
static int svcs_index(struct rls *r, const char *owner, const struct ldoc *d)
{
	struct le *le, *next;
	int err = 0;

	for (uint32_t i = 0; i < hash_bsize(r->svcs); i++) {
		for (le = hash_bucket(r->svcs, i)->head; le; le = next) {
			struct svc *s = le->data;

			next = le->next;
			if (!strcmp(s->owner, owner))
				mem_deref(s);
		}
	}
	for (uint32_t i = 0; d && d->svc && i < d->svc->n && !err; i++) {
		const struct rls_service *rs = &d->svc->s[i];
		struct svc *s;
		char *key = NULL;

		err = rls_member_key(&key, rs->uri);
		if (err)
			break;
		if (svc_find(r, key)) {
			log_warn(NULL,
			         "service %s of %s is defined by another "
			         "user already; ignored",
			         rs->uri, owner);
			mem_deref(key);
			continue;
		}
		s = mem_zalloc(sizeof(*s), svc_destroy);
		if (!s) {
			mem_deref(key);
			return ENOMEM;
		}
		s->key = key;
		err = mem_strdup(&s->uri, rs->uri);
		if (!err)
			err = mem_strdup(&s->owner, owner);
		if (err) {
			mem_deref(s);
			break;
		}
		hash_append(r->svcs, str_hash_ci(key), &s->le, s);
	}
	return err;
}

int rls_doc_update(struct rls *r, const char *auid, const char *owner,
                   const char *name, const char *content, size_t len)
{
	struct ldoc *d = ldoc_find(r, auid, owner, name);
	bool services = !strcmp(auid, RLS_AUID);
	char err[160];
	int e;

	if (services && strcmp(name, RLS_DOC_NAME))
		return 0; /* only "index" defines services */
	if (!content) {
		mem_deref(d);
		return services ? svcs_index(r, owner, NULL) : 0;
	}
	if (!d) {
		d = mem_zalloc(sizeof(*d), ldoc_destroy);
		if (!d)
			return ENOMEM;
		e = mem_strdup(&d->auid, auid);
		if (!e)
			e = mem_strdup(&d->owner, owner);
		if (!e)
			e = mem_strdup(&d->name, name);
		if (e) {
			mem_deref(d);
			return e;
		}
		hash_append(r->ldocs, str_hash_ci(owner), &d->le, d);
	}
	d->content = mem_deref(d->content);
	d->svc = mem_deref(d->svc);
	d->len = 0;
	e = mem_strndup(&d->content, content, len);
	if (e)
		return e;
	d->len = len;
	if (services) {
		e = rls_services_parse(&d->svc, content, len, err, sizeof(err));
		if (e == EBADMSG) {
			log_warn(NULL, "rls-services of %s: %s", owner, err);
			e = 0;
		}
		if (!e)
			e = svcs_index(r, owner, d);
	}
	return e;
}

/* ---- which resources are lists ---- */

/* "alice-buddies@example.com" -> "alice@example.com" in buf, when the
 * convention is on, the user part ends with the suffix and the domain is
 * ours. */
static bool buddies_owner(const struct rls *r, const char *resource, char *buf,
                          size_t size)
{
	const char *at = strrchr(resource, '@');
	size_t sl = r->suffix ? strlen(r->suffix) : 0;
	size_t ul;
	struct pl host;

	if (!sl || !at)
		return false;
	ul = (size_t)(at - resource);
	if (ul <= sl || strncmp(at - sl, r->suffix, sl))
		return false;
	pl_set_str(&host, at + 1);
	if (r->dom && !dom_is_local(r->dom, &host))
		return false;
	return snprintf(buf, size, "%.*s%s", (int)(ul - sl), resource, at) <
	       (int)size;
}

bool rls_owns(const struct rls *r, const char *resource)
{
	char owner[512];

	return svc_find(r, resource) ||
	       buddies_owner(r, resource, owner, sizeof(owner));
}

/* ---- resolution ---- */

static void rset_destroy(void *data)
{
	struct rset *s = data;

	for (uint32_t i = 0; i < s->n; i++) {
		mem_deref(s->m[i].uri);
		mem_deref(s->m[i].name);
	}
	mem_deref(s->m);
	if (s->seen)
		hash_flush(s->seen);
	mem_deref(s->seen);
}

struct seen {
	struct le le;
	char *key;
};

static void seen_destroy(void *data)
{
	struct seen *s = data;

	hash_unlink(&s->le);
	mem_deref(s->key);
}

static int rset_add(struct rset *s, const char *uri, const char *name,
                    uint32_t max)
{
	struct seen *sn;
	char *key = NULL;
	int err;

	if (!uri || !*uri)
		return 0;
	err = rls_member_key(&key, uri);
	if (err)
		return err;
	LIST_FOREACH(hash_list(s->seen, str_hash_ci(key)), le) {
		const struct seen *o = le->data;

		if (!strcasecmp(o->key, key)) {
			mem_deref(key);
			return 0; /* the first occurrence wins */
		}
	}
	if (s->n >= max) {
		mem_deref(key);
		return E2BIG;
	}
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct rmem *m = mem_realloc(s->m, cap * sizeof(*m));

		if (!m) {
			mem_deref(key);
			return ENOMEM;
		}
		s->m = m;
		s->cap = cap;
	}
	sn = mem_zalloc(sizeof(*sn), seen_destroy);
	if (!sn) {
		mem_deref(key);
		return ENOMEM;
	}
	sn->key = key;
	hash_append(s->seen, str_hash_ci(key), &sn->le, sn);
	memset(&s->m[s->n], 0, sizeof(s->m[s->n]));
	err = mem_strdup(&s->m[s->n].uri, uri);
	if (!err && name)
		err = mem_strdup(&s->m[s->n].name, name);
	if (err) {
		mem_deref(s->m[s->n].uri);
		mem_deref(s->m[s->n].name);
		return err;
	}
	s->n++;
	return 0;
}

struct rctx {
	struct rls *r;
	const char *owner;
	struct rset *set;
	uint32_t max;
	bool truncated;
};

static int add_list(struct rctx *c, const struct rlist *l, int depth);

/* An XCAP reference (absolute http(s) URI or relative to the root) to an
 * element of one of the owner's resource-lists documents. */
static int add_ref(struct rctx *c, const char *ref, int depth)
{
	struct xcap_uri xu;
	const struct ldoc *d;
	const char *p = ref;
	char path[1024], msg[128];
	xmlDocPtr doc = NULL;
	xmlNodePtr node = NULL;
	struct xml_err xe = {msg, sizeof(msg), false};
	size_t o = 0;
	int err;

	if (depth > REF_DEPTH)
		return 0;
	if (!strncasecmp(p, "http://", 7) || !strncasecmp(p, "https://", 8)) {
		p = strchr(p + 8, '/');
		if (!p)
			return 0;
	}
	if (!strncmp(p, RLS_XCAP_ROOT, strlen(RLS_XCAP_ROOT)))
		p += strlen(RLS_XCAP_ROOT);
	else if (*p == '/')
		p++;
	/* percent-decode into path */
	for (; *p && o + 1 < sizeof(path); p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) &&
		    isxdigit((unsigned char)p[2])) {
			char hx[3] = {p[1], p[2], 0};

			path[o++] = (char)strtol(hx, NULL, 16);
			p += 2;
		} else {
			path[o++] = *p;
		}
	}
	path[o] = '\0';
	err = xcap_uri_parse(&xu, path, NULL, msg, sizeof(msg));
	if (err == ENOMEM) {
		xcap_uri_reset(&xu);
		return err;
	}
	if (err || xu.tree != XCAP_USERS || strcmp(xu.auid, RLIST_AUID) ||
	    !xu.doc || strcasecmp(xu.owner, c->owner)) {
		/* other users' lists stay private; others are not ours */
		log_info(NULL, "list of %s: reference %s not followed",
		         c->owner, ref);
		xcap_uri_reset(&xu);
		return 0;
	}
	d = ldoc_find(c->r, RLIST_AUID, xu.owner, xu.doc);
	if (!d)
		goto out;
	err = xml_read_strict(&doc, d->content, d->len, &xe);
	if (err) {
		err = err == ENOMEM ? err : 0;
		goto out;
	}
	if (!xu.sel) {
		/* the whole document: every list */
		for (xmlNode *k = xmlDocGetRootElement(doc)->children;
		     k && !err; k = k->next) {
			struct rlist *l = NULL;

			if (k->type != XML_ELEMENT_NODE)
				continue;
			err = rlist_node_flatten(&l, k, msg, sizeof(msg));
			if (!err)
				err = add_list(c, l, depth + 1);
			else if (err != ENOMEM)
				err = 0;
			mem_deref(l);
		}
		goto out;
	}
	if (xsel_eval(xu.sel, doc, RLIST_NS, &node, NULL) ||
	    node->type != XML_ELEMENT_NODE)
		goto out;
	if (!xmlStrcmp(node->name, BAD_CAST "list")) {
		struct rlist *l = NULL;

		err = rlist_node_flatten(&l, node, msg, sizeof(msg));
		if (!err)
			err = add_list(c, l, depth + 1);
		else if (err != ENOMEM)
			err = 0;
		mem_deref(l);
	} else if (!xmlStrcmp(node->name, BAD_CAST "entry")) {
		xmlChar *uri = xmlGetProp(node, BAD_CAST "uri");
		xmlChar *dn = NULL;

		for (xmlNode *k = node->children; k; k = k->next)
			if (k->type == XML_ELEMENT_NODE &&
			    !xmlStrcmp(k->name, BAD_CAST "display-name")) {
				dn = xmlNodeGetContent(k);
				break;
			}
		if (uri)
			err = rset_add(c->set, (const char *)uri,
			               (const char *)dn, c->max);
		xmlFree(uri);
		xmlFree(dn);
	}
out:
	if (doc)
		xmlFreeDoc(doc);
	xcap_uri_reset(&xu);
	return err;
}

static int add_list(struct rctx *c, const struct rlist *l, int depth)
{
	int err = 0;

	for (uint32_t i = 0; l && i < l->n && !err; i++)
		err = rset_add(c->set, l->e[i].uri, l->e[i].display, c->max);
	for (uint32_t i = 0; l && i < l->nrefs && !err; i++)
		err = add_ref(c, l->refs[i], depth);
	if (err == E2BIG) {
		c->truncated = true;
		err = 0;
	}
	return err;
}

int rls_resolve(struct rls *r, const char *resource, char **ownerp,
                struct rset **setp)
{
	const struct svc *sv = svc_find(r, resource);
	struct rctx c;
	struct rset *set;
	char owner[512], msg[160];
	int err = 0;

	if (sv) {
		snprintf(owner, sizeof(owner), "%s", sv->owner);
	} else if (!buddies_owner(r, resource, owner, sizeof(owner))) {
		return ENOENT;
	}
	set = mem_zalloc(sizeof(*set), rset_destroy);
	if (!set)
		return ENOMEM;
	err = hash_alloc(&set->seen, 64);
	if (err) {
		mem_deref(set);
		return err;
	}
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.owner = owner;
	c.set = set;
	c.max = r->cf.max_resources ? r->cf.max_resources : 1000;
	if (sv) {
		const struct ldoc *d =
		    ldoc_find(r, RLS_AUID, sv->owner, RLS_DOC_NAME);
		const struct rls_service *rs =
		    d && d->svc ? rls_services_find(d->svc, sv->uri) : NULL;

		if (!rs) {
			mem_deref(set);
			return ENOENT;
		}
		if (rs->list)
			err = add_list(&c, rs->list, 0);
		else if (rs->list_ref)
			err = add_ref(&c, rs->list_ref, 0);
	} else {
		const struct ldoc *d =
		    ldoc_find(r, RLIST_AUID, owner, RLS_DOC_NAME);
		struct rlist **lists = NULL;
		uint32_t n = 0;

		if (d) {
			err = rlist_doc_parse(&lists, &n, d->content, d->len,
			                      msg, sizeof(msg));
			if (err == EBADMSG) {
				log_warn(NULL, "buddy list of %s: %s", owner,
				         msg);
				err = 0;
			}
		}
		for (uint32_t i = 0; !err && i < n; i++)
			err = add_list(&c, lists[i], 0);
		mem_deref(lists);
	}
	if (err == E2BIG)
		err = 0;
	if (c.truncated)
		log_warn(NULL,
		         "list %s has more than %u members; the rest is "
		         "left out",
		         resource, c.max);
	if (!err && ownerp)
		err = mem_strdup(ownerp, owner);
	if (err) {
		mem_deref(set);
		return err;
	}
	*setp = set;
	return 0;
}
