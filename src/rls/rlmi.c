/* rls/rlmi.c - resource list meta-information (RFC 4662 5) and the
 * multipart/related body of a list NOTIFY (RFC 4662 4.3, 5; RFC 2387) */
#include "rlmi.h"

#include <errno.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/buf.h"
#include "../base/mem.h"
#include "../base/xml.h"
#include "../im/mime.h"

/* Limits of what the reader accepts. */
#define RLMI_MAX_RES   10000
#define RLMI_MAX_INST  16
#define RLMI_MAX_PARTS (RLMI_MAX_RES + 1) /* the root and one a resource */

#define ROOT_CTYPE RLMI_CTYPE ";charset=\"UTF-8\""

static const char *const state_names[] = {
    [RLMI_ACTIVE] = "active",
    [RLMI_PENDING] = "pending",
    [RLMI_TERMINATED] = "terminated",
};

#define NSTATES (sizeof(state_names) / sizeof(state_names[0]))

/* --- building the document --- */

static bool str_ok(const char *s)
{
	return s && s[0] && xml_text_ok(s);
}

static bool opt_ok(const char *s)
{
	return !s || xml_text_ok(s);
}

static int list_check(const struct rlmi_list *l)
{
	if (!str_ok(l->uri) || !opt_ok(l->name) || !opt_ok(l->cid) ||
	    (l->nres && !l->res))
		return EINVAL;
	for (uint32_t i = 0; i < l->nres; i++) {
		const struct rlmi_res *r = &l->res[i];

		if (!str_ok(r->uri) || !opt_ok(r->name) ||
		    (r->ninst && !r->inst))
			return EINVAL;
		for (uint32_t k = 0; k < r->ninst; k++) {
			const struct rlmi_inst *in = &r->inst[k];

			if (!str_ok(in->id) || (unsigned)in->state >= NSTATES ||
			    !opt_ok(in->reason) || !opt_ok(in->cid))
				return EINVAL;
		}
	}
	return 0;
}

static int inst_write(xmlTextWriterPtr w, const struct rlmi_inst *in)
{
	int err;

	if (xmlTextWriterStartElement(w, BAD_CAST "instance") < 0)
		return ENOMEM;
	err = xml_wattr(w, "id", in->id);
	if (!err)
		err = xml_wattr(w, "state", state_names[in->state]);
	if (!err && in->reason)
		err = xml_wattr(w, "reason", in->reason);
	if (!err && in->cid)
		err = xml_wattr(w, "cid", in->cid);
	if (!err && xmlTextWriterEndElement(w) < 0)
		err = ENOMEM;
	return err;
}

static int res_write(xmlTextWriterPtr w, const struct rlmi_res *r)
{
	int err;

	if (xmlTextWriterStartElement(w, BAD_CAST "resource") < 0)
		return ENOMEM;
	err = xml_wattr(w, "uri", r->uri);
	if (!err)
		err = xml_welem(w, "name", r->name);
	for (uint32_t k = 0; !err && k < r->ninst; k++)
		err = inst_write(w, &r->inst[k]);
	if (!err && xmlTextWriterEndElement(w) < 0)
		err = ENOMEM;
	return err;
}

/* Compact on purpose: no indentation, the NOTIFY is big enough. */
static int doc_write(xmlTextWriterPtr w, void *arg)
{
	const struct rlmi_list *l = arg;
	int err;

	if (xmlTextWriterStartDocument(w, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(w, BAD_CAST "list") < 0)
		return ENOMEM;
	err = xml_wattr(w, "xmlns", RLMI_NS);
	if (!err)
		err = xml_wattr(w, "uri", l->uri);
	if (!err)
		err = xml_wattr_u32(w, "version", l->version);
	if (!err)
		err = xml_wattr(w, "fullState", l->full ? "true" : "false");
	if (!err && l->cid)
		err = xml_wattr(w, "cid", l->cid);
	if (!err)
		err = xml_welem(w, "name", l->name);
	for (uint32_t i = 0; !err && i < l->nres; i++)
		err = res_write(w, &l->res[i]);
	if (!err && xmlTextWriterEndDocument(w) < 0)
		err = ENOMEM;
	return err;
}

int rlmi_encode(struct buf *mb, const struct rlmi_list *l)
{
	int err;

	if (!mb || !l)
		return EINVAL;
	err = list_check(l);
	if (err)
		return err;
	return xml_write_append(mb, doc_write, (void *)l);
}

/* --- building the multipart/related body --- */

#define FNV64_INIT  0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static uint64_t fnv64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV64_PRIME;
	}
	return h;
}

static uint64_t fnv64_str(uint64_t h, const char *s)
{
	return fnv64(h, s, strlen(s) + 1); /* the NUL separates fields */
}

/* splitmix64: a bijection, so distinct counters give distinct outputs */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* What goes inside <> of a Content-ID (or start): printable ASCII
 * without space and angle brackets. Whether it is a proper msg-id
 * (local@domain, RFC 2392) is the caller's business. */
static bool cid_ok(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

/* A header value on one line: printable ASCII and tabs. */
static bool hval_ok(const char *s)
{
	if (!s || !s[0])
		return false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return false;
	}
	return true;
}

static bool is_host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The host of a SIP URI (or of any URI with user@host) when it makes a
 * dot-atom domain; else "rls.invalid". */
static struct pl uri_host(const char *uri)
{
	size_t end = strcspn(uri, ";?>"), start, n = 0;
	const char *at = NULL;
	struct pl host = PL("rls.invalid");

	for (size_t i = 0; i < end; i++) {
		if (uri[i] == '@')
			at = uri + i;
	}
	if (at)
		start = (size_t)(at - uri) + 1;
	else if (!strncasecmp(uri, "sip:", 4))
		start = 4;
	else if (!strncasecmp(uri, "sips:", 5))
		start = 5;
	else
		return host;
	while (start + n < end && is_host_char(uri[start + n]))
		n++;
	if (!n || n > 200 || (start + n < end && uri[start + n] != ':') ||
	    uri[start] == '.' || uri[start + n - 1] == '.')
		return host;
	for (size_t i = 1; i < n; i++) {
		if (uri[start + i] == '.' && uri[start + i - 1] == '.')
			return host;
	}
	host.p = uri + start;
	host.l = n;
	return host;
}

/* The root Content-ID when the caller gives none:
 * rlmi.<hash of the list URI>.<version>@<host of the list URI>. */
static void root_cid_make(char *buf, size_t size, const struct rlmi_list *l)
{
	struct pl host = uri_host(l->uri);

	snprintf(buf, size, "rlmi.%016llx.%u@%.*s",
	         (unsigned long long)fnv64_str(FNV64_INIT, l->uri), l->version,
	         PL_PRINT(&host));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Two parts with one Content-ID? ENOMEM, EINVAL when so. */
static int cids_unique(const char *root, const struct rlmi_part *parts,
                       uint32_t n)
{
	const char **v = mem_alloc(((size_t)n + 1) * sizeof(*v), NULL);
	int err = 0;

	if (!v)
		return ENOMEM;
	v[0] = root;
	for (uint32_t i = 0; i < n; i++)
		v[i + 1] = parts[i].cid;
	qsort(v, (size_t)n + 1, sizeof(*v), str_cmp);
	for (uint32_t i = 0; i < n; i++) {
		if (!strcmp(v[i], v[i + 1]))
			err = EINVAL;
	}
	mem_deref(v);
	return err;
}

static bool mem_has(const void *p, size_t n, const char *s, size_t sl)
{
	return n >= sl && memmem(p, n, s, sl) != NULL;
}

static bool str_has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

/* A boundary (RFC 2046 5.1.1: at most 70 characters) that occurs in no
 * part, in no header of a part and not in the RLMI document. Candidates
 * are derived from the list and the Content-IDs (not from the part
 * bodies, which come from other servers) and are distinct, and each one
 * that is taken occupies at least one position in the content, so the
 * loop ends after at most (content length + 1) candidates. */
static void boundary_pick(char *bnd, size_t size, const struct rlmi_list *l,
                          const char *root_cid, const struct buf *doc,
                          const struct rlmi_part *parts, uint32_t n)
{
	uint64_t seed = FNV64_INIT;

	seed = fnv64_str(seed, l->uri);
	seed = fnv64(seed, &l->version, sizeof(l->version));
	seed = fnv64_str(seed, root_cid);
	for (uint32_t i = 0; i < n; i++)
		seed = fnv64_str(seed, parts[i].cid);
	for (uint64_t t = 0;; t++) {
		bool taken;
		size_t bl;

		snprintf(bnd, size, "impd-rlmi-%016llx",
		         (unsigned long long)mix64(seed + t));
		bl = strlen(bnd);
		taken = mem_has(doc->b, doc->end, bnd, bl) ||
		        str_has(root_cid, bnd);
		for (uint32_t i = 0; !taken && i < n; i++) {
			taken = mem_has(parts[i].body, parts[i].len, bnd, bl) ||
			        str_has(parts[i].cid, bnd) ||
			        str_has(parts[i].ctype, bnd);
		}
		if (!taken)
			return;
	}
}

static int part_write(struct buf *mb, const char *bnd, const char *cid,
                      const char *ctype, const void *body, size_t len)
{
	int err;

	err = buf_printf(mb,
	                 "--%s\r\n"
	                 "Content-Transfer-Encoding: binary\r\n"
	                 "Content-ID: <%s>\r\n"
	                 "Content-Type: %s\r\n"
	                 "\r\n",
	                 bnd, cid, ctype);
	if (!err)
		err = buf_write(mb, body, len);
	if (!err)
		err = buf_write(mb, "\r\n", 2);
	return err;
}

/* Content-IDs are written as given inside <>: the caller makes them
 * msg-ids (local@domain); one without '@' gets nothing added. EINVAL for
 * one with space, control, non-ASCII or angle brackets, for two parts
 * with one Content-ID, and for a part Content-Type that is not one line
 * of printable ASCII. ERANGE: ctype_size too small. On error *mbp is
 * untouched and ctype is "". */
int rlmi_multipart(struct buf **mbp, char *ctype, size_t ctype_size,
                   const struct rlmi_list *l, const char *root_cid,
                   const struct rlmi_part *parts, uint32_t n)
{
	struct buf *doc = NULL, *mb = NULL;
	char cidbuf[256], bnd[40];
	size_t total;
	int err, len;

	if (ctype && ctype_size)
		ctype[0] = '\0';
	if (!mbp || !ctype || !ctype_size || !l || (n && !parts))
		return EINVAL;
	if (!root_cid)
		root_cid = l->cid;
	if (!root_cid && l->uri) {
		root_cid_make(cidbuf, sizeof(cidbuf), l);
		root_cid = cidbuf;
	}
	if (!cid_ok(root_cid))
		return EINVAL;
	for (uint32_t i = 0; i < n; i++) {
		if (!cid_ok(parts[i].cid) || !hval_ok(parts[i].ctype) ||
		    (!parts[i].body && parts[i].len))
			return EINVAL;
	}
	err = cids_unique(root_cid, parts, n);
	if (err)
		return err;

	err = buf_alloc(&doc, 256 + (size_t)l->nres * 128);
	if (!err)
		err = rlmi_encode(doc, l);
	if (err)
		goto out;
	boundary_pick(bnd, sizeof(bnd), l, root_cid, doc, parts, n);
	len = snprintf(ctype, ctype_size,
	               "multipart/related;type=\"" RLMI_CTYPE "\";"
	               "start=\"<%s>\";boundary=\"%s\"",
	               root_cid, bnd);
	if (len < 0 || (size_t)len >= ctype_size) {
		err = ERANGE;
		goto out;
	}

	/* the fixed text of a part is under 120 bytes, of the end 40 */
	total = doc->end + 120 + strlen(root_cid) + strlen(ROOT_CTYPE) + 40;
	for (uint32_t i = 0; i < n; i++)
		total += parts[i].len + 120 + strlen(parts[i].cid) +
		         strlen(parts[i].ctype);
	err = buf_alloc(&mb, total);
	if (err)
		goto out;
	err = part_write(mb, bnd, root_cid, ROOT_CTYPE, doc->b, doc->end);
	for (uint32_t i = 0; !err && i < n; i++)
		err = part_write(mb, bnd, parts[i].cid, parts[i].ctype,
		                 parts[i].body, parts[i].len);
	if (!err)
		err = buf_printf(mb, "--%s--\r\n", bnd);
out:
	mem_deref(doc);
	if (err) {
		ctype[0] = '\0';
		mem_deref(mb);
		return err;
	}
	*mbp = mb;
	return 0;
}

/* --- reading the document --- */

struct dctx {
	struct xml_err xe;
};

#define perr(c, n, ...) xml_err_set(&(c)->xe, xmlGetLineNo(n), __VA_ARGS__)

static void doc_destroy(void *data)
{
	struct rlmi_doc *d = data;
	struct rlmi_list *l = &d->l;

	for (uint32_t i = 0; l->res && i < l->nres; i++) {
		struct rlmi_res *r = &l->res[i];

		for (uint32_t k = 0; r->inst && k < r->ninst; k++) {
			mem_deref((void *)r->inst[k].id);
			mem_deref((void *)r->inst[k].reason);
			mem_deref((void *)r->inst[k].cid);
		}
		mem_deref(r->inst);
		mem_deref((void *)r->uri);
		mem_deref((void *)r->name);
	}
	mem_deref(l->res);
	mem_deref((void *)l->uri);
	mem_deref((void *)l->name);
	mem_deref((void *)l->cid);
}

static bool is_ours(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST RLMI_NS) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

/* An attribute without namespace as a mem string (URIs and tokens
 * trimmed, strings as they are); *sp NULL when absent. ENOMEM. */
static int attr_dup(char **sp, xmlNode *n, const char *name, bool trim)
{
	xmlChar *v;
	int err;

	*sp = NULL;
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return 0;
	v = xmlGetNoNsProp(n, BAD_CAST name);
	if (!v)
		return ENOMEM;
	err = mem_strdup(sp, trim ? xml_trim(v) : (char *)v);
	xmlFree(v);
	return err;
}

/* unsigned decimal (xs:unsignedInt) */
static bool num_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;

	if (!s[0])
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

/* <name>: text only, kept as it is (xs:string). The first of several
 * (one per xml:lang) is kept; the others are checked and dropped. */
static int name_get(struct dctx *c, xmlNode *n, const char **namep)
{
	xmlChar *s;
	char *dup;
	int err;

	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE) {
			perr(c, k, "element inside <name>");
			return EBADMSG;
		}
	}
	if (*namep)
		return 0;
	s = xmlNodeGetContent(n);
	if (!s)
		return ENOMEM;
	err = mem_strdup(&dup, (const char *)s);
	xmlFree(s);
	if (!err)
		*namep = dup;
	return err;
}

static int inst_parse(struct dctx *c, xmlNode *n, struct rlmi_res *r,
                      uint32_t idx)
{
	struct rlmi_inst *in = &r->inst[idx];
	char *id = NULL, *state = NULL, *reason = NULL, *cid = NULL;
	size_t s;
	int err;

	err = attr_dup(&id, n, "id", false);
	if (!err)
		err = attr_dup(&state, n, "state", true);
	if (!err)
		err = attr_dup(&reason, n, "reason", true);
	if (!err)
		err = attr_dup(&cid, n, "cid", true);
	/* owned by the document from here on */
	in->id = id;
	in->reason = reason;
	in->cid = cid;
	if (err)
		goto out;
	err = EBADMSG;
	if (!id || !id[0]) {
		perr(c, n, "<instance> without id");
		goto out;
	}
	for (uint32_t k = 0; k < idx; k++) {
		if (!strcmp(r->inst[k].id, id)) {
			perr(c, n, "duplicate instance id \"%s\"", id);
			goto out;
		}
	}
	if (!state) {
		perr(c, n, "<instance> without state");
		goto out;
	}
	for (s = 0; s < NSTATES; s++) {
		if (!strcmp(state, state_names[s]))
			break;
	}
	if (s >= NSTATES) {
		perr(c, n, "<instance>: unknown state \"%s\"", state);
		goto out;
	}
	in->state = (enum rlmi_state)s;
	/* the content is any XML (RFC 4662 5.2), but not bare text */
	for (xmlNode *k = n->children; k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, k, "text in <instance>");
			goto out;
		}
	}
	err = 0;
out:
	mem_deref(state);
	return err;
}

/* Children of <list> or <resource>: names first, then the elements
 * called item; text and other RLMI elements are errors, elements of
 * other namespaces are extensions and ignored. Counts the items. */
static int children_check(struct dctx *c, xmlNode *n, const char *item,
                          uint32_t max, uint32_t *count)
{
	uint32_t cnt = 0;

	for (xmlNode *k = n->children; k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, k, "text in <%s>", (const char *)n->name);
			return EBADMSG;
		} else if (is_ours(k, item)) {
			if (++cnt > max) {
				perr(c, k, "more than %u <%s> in <%s>", max,
				     item, (const char *)n->name);
				return EBADMSG;
			}
		} else if (is_ours(k, "name")) {
			if (cnt) {
				perr(c, k, "<name> after <%s>", item);
				return EBADMSG;
			}
		} else if (is_ours(k, NULL)) {
			perr(c, k, "unexpected element <%s> in <%s>",
			     (const char *)k->name, (const char *)n->name);
			return EBADMSG;
		}
	}
	*count = cnt;
	return 0;
}

static int res_parse(struct dctx *c, xmlNode *n, struct rlmi_res *r)
{
	char *uri = NULL;
	uint32_t cnt, i = 0;
	int err;

	err = attr_dup(&uri, n, "uri", true);
	r->uri = uri;
	if (err)
		return err;
	if (!uri || !uri[0]) {
		perr(c, n, "<resource> without uri");
		return EBADMSG;
	}
	err = children_check(c, n, "instance", RLMI_MAX_INST, &cnt);
	if (err)
		return err;
	if (cnt) {
		r->inst = mem_zalloc(cnt * sizeof(*r->inst), NULL);
		if (!r->inst)
			return ENOMEM;
		r->ninst = cnt;
	}
	for (xmlNode *k = n->children; !err && k; k = k->next) {
		if (is_ours(k, "name"))
			err = name_get(c, k, &r->name);
		else if (is_ours(k, "instance"))
			err = inst_parse(c, k, r, i++);
	}
	return err;
}

static int list_parse(struct dctx *c, xmlNode *n, struct rlmi_list *l)
{
	char *uri = NULL, *ver = NULL, *full = NULL, *cid = NULL;
	uint32_t cnt, i = 0;
	int err;

	if (!is_ours(n, "list")) {
		perr(c, n, "root is not <list> of " RLMI_NS);
		return EBADMSG;
	}
	err = attr_dup(&uri, n, "uri", true);
	if (!err)
		err = attr_dup(&ver, n, "version", true);
	if (!err)
		err = attr_dup(&full, n, "fullState", true);
	if (!err)
		err = attr_dup(&cid, n, "cid", true);
	l->uri = uri;
	l->cid = cid;
	if (err)
		goto out;
	err = EBADMSG;
	if (!uri || !uri[0]) {
		perr(c, n, "<list> without uri");
		goto out;
	}
	if (!ver || !num_u32(ver, &l->version)) {
		perr(c, n, "<list>: missing or bad version");
		goto out;
	}
	if (full && (!strcmp(full, "true") || !strcmp(full, "1"))) {
		l->full = true;
	} else if (!full || (strcmp(full, "false") && strcmp(full, "0"))) {
		perr(c, n, "<list>: fullState must be true or false");
		goto out;
	}
	err = children_check(c, n, "resource", RLMI_MAX_RES, &cnt);
	if (err)
		goto out;
	if (cnt) {
		l->res = mem_zalloc(cnt * sizeof(*l->res), NULL);
		if (!l->res) {
			err = ENOMEM;
			goto out;
		}
		l->nres = cnt;
	}
	for (xmlNode *k = n->children; !err && k; k = k->next) {
		if (is_ours(k, "name"))
			err = name_get(c, k, &l->name);
		else if (is_ours(k, "resource"))
			err = res_parse(c, k, &l->res[i++]);
	}
out:
	mem_deref(ver);
	mem_deref(full);
	return err;
}

int rlmi_decode(struct rlmi_doc **dp, const char *xml, size_t len, char *err,
                size_t errsize)
{
	struct dctx c = {{err, errsize, false}};
	struct rlmi_doc *d;
	xmlDocPtr doc;
	int e;

	if (err && errsize)
		err[0] = '\0';
	if (!dp || (!xml && len))
		return EINVAL;
	e = xml_read_strict(&doc, xml ? xml : "", len, &c.xe);
	if (e)
		return e;
	d = mem_zalloc(sizeof(*d), doc_destroy);
	if (!d) {
		xmlFreeDoc(doc);
		return ENOMEM;
	}
	e = list_parse(&c, xmlDocGetRootElement(doc), &d->l);
	xmlFreeDoc(doc);
	if (e) {
		mem_deref(d);
		if (e == ENOMEM && err && errsize)
			err[0] = '\0';
		return e;
	}
	*dp = d;
	return 0;
}

/* --- reading the multipart/related body --- */

static int berr(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int berr(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (err && size) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return EBADMSG;
}

static void body_destroy(void *data)
{
	struct rlmi_body *b = data;

	for (uint32_t i = 0; b->parts && i < b->n; i++) {
		mem_deref(b->parts[i].cid);
		mem_deref(b->parts[i].ctype);
		mem_deref(b->parts[i].body);
	}
	mem_deref(b->parts);
	mem_deref(b->rlmi);
}

/* "<x>" -> "x" (a value without the brackets stays as it is) */
static void unbracket(struct pl *v)
{
	pl_trim(v);
	if (v->l >= 2 && v->p[0] == '<' && v->p[v->l - 1] == '>') {
		v->p++;
		v->l -= 2;
	}
}

/* Upper bound of the number of parts: the delimiters in the body. */
static size_t delim_count(const char *body, size_t len, const struct pl *bnd)
{
	size_t cnt = 0, pos = 0;

	if (!bnd->l)
		return 0;
	while (pos < len) {
		const char *hit = memmem(body + pos, len - pos, bnd->p, bnd->l);

		if (!hit)
			break;
		cnt++;
		pos = (size_t)(hit - body) + bnd->l;
	}
	return cnt;
}

struct cid_ref {
	struct pl cid;
	uint32_t idx;
};

static int cid_ref_cmp(const void *a, const void *b)
{
	const struct cid_ref *x = a, *y = b;

	return pl_cmp(&x->cid, &y->cid);
}

/* Content-IDs of every part (unbracketed); the first duplicate, or
 * EBADMSG for a part other than the root without one. */
static int part_ids(struct pl *ids, const struct mime_part *mp, uint32_t n,
                    char *err, size_t errsize)
{
	struct cid_ref *v;
	int e = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct pl cte;

		if (mime_hdr(&mp[i].hdrs, "Content-ID", &ids[i])) {
			ids[i].p = NULL;
			ids[i].l = 0;
		} else {
			unbracket(&ids[i]);
		}
		if (!mime_hdr(&mp[i].hdrs, "Content-Transfer-Encoding", &cte) &&
		    pl_strcasecmp(&cte, "binary") &&
		    pl_strcasecmp(&cte, "8bit") && pl_strcasecmp(&cte, "7bit"))
			return berr(err, errsize,
			            "part %u: Content-Transfer-Encoding %.*s "
			            "not supported",
			            i + 1, PL_PRINT(&cte));
	}
	v = mem_alloc((size_t)n * sizeof(*v), NULL);
	if (!v)
		return ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		v[i].cid = ids[i];
		v[i].idx = i;
	}
	qsort(v, n, sizeof(*v), cid_ref_cmp);
	for (uint32_t i = 1; !e && i < n; i++) {
		if (v[i].cid.l && !pl_cmp(&v[i - 1].cid, &v[i].cid))
			e = berr(err, errsize, "duplicate Content-ID <%.*s>",
			         PL_PRINT(&v[i].cid));
	}
	mem_deref(v);
	return e;
}

static int part_copy(struct rlmi_body_part *bp, const struct mime_part *mp,
                     const struct pl *cid)
{
	int err;

	err = pl_strdup(&bp->cid, cid);
	if (!err)
		err = pl_strdup(&bp->ctype, &mp->ctype);
	if (err)
		return err;
	bp->body = mem_alloc(mp->body.l + 1, NULL);
	if (!bp->body)
		return ENOMEM;
	if (mp->body.l)
		memcpy(bp->body, mp->body.p, mp->body.l);
	bp->body[mp->body.l] = '\0';
	bp->len = mp->body.l;
	return 0;
}

/* The root part's index: by start, else the first. */
static int root_find(uint32_t *rootp, const struct mime_type *t,
                     const struct pl *ids, const struct mime_part *mp,
                     uint32_t n, char *err, size_t errsize)
{
	struct mime_type rt;
	struct pl start;
	uint32_t root = 0;

	if (!mime_param(t, "start", &start)) {
		unbracket(&start);
		for (root = 0; root < n; root++) {
			if (ids[root].l && !pl_cmp(&ids[root], &start))
				break;
		}
		if (root >= n)
			return berr(err, errsize,
			            "no part with the start Content-ID <%.*s>",
			            PL_PRINT(&start));
	}
	if (mime_type_parse(&rt, &mp[root].ctype) ||
	    !mime_type_is(&rt, RLMI_CTYPE))
		return berr(err, errsize, "root part is not " RLMI_CTYPE);
	*rootp = root;
	return 0;
}

/* Split and check (no copies yet): parts into *mpp, Content-IDs into
 * *idsp (both mem arrays), the root's index. */
static int body_split(struct mime_part **mpp, struct pl **idsp, uint32_t *np,
                      uint32_t *rootp, const char *ctype, const char *body,
                      size_t len, char *err, size_t errsize)
{
	struct mime_part *mp = NULL;
	struct pl *ids = NULL, v, bnd;
	struct mime_type t;
	const char *why = "malformed";
	size_t max;
	uint32_t n = 0;
	int e;

	pl_set_str(&v, ctype);
	if (mime_type_parse(&t, &v) || !mime_type_is(&t, "multipart/related"))
		return berr(err, errsize,
		            "Content-Type is not multipart/related");
	if (mime_param(&t, "boundary", &bnd) || !bnd.l)
		return berr(err, errsize, "Content-Type without boundary");
	if (mime_param(&t, "type", &v))
		return berr(err, errsize, "multipart/related without type");
	if (pl_strcasecmp(&v, RLMI_CTYPE))
		return berr(err, errsize, "multipart/related of type %.*s",
		            PL_PRINT(&v));
	max = delim_count(body, len, &bnd);
	if (max > RLMI_MAX_PARTS)
		max = RLMI_MAX_PARTS;
	mp = mem_alloc((max ? max : 1) * sizeof(*mp), NULL);
	if (!mp)
		return ENOMEM;
	e = mime_multipart(&bnd, body, len, mp, (uint32_t)max, &n, &why);
	if (e == E2BIG)
		e = berr(err, errsize, "more than %u body parts",
		         RLMI_MAX_PARTS);
	else if (e)
		e = berr(err, errsize, "multipart: %s", why);
	if (!e) {
		ids = mem_alloc((size_t)n * sizeof(*ids), NULL);
		if (!ids)
			e = ENOMEM;
	}
	if (!e)
		e = part_ids(ids, mp, n, err, errsize);
	if (!e)
		e = root_find(rootp, &t, ids, mp, n, err, errsize);
	if (e) {
		mem_deref(mp);
		mem_deref(ids);
		return e;
	}
	*mpp = mp;
	*idsp = ids;
	*np = n;
	return 0;
}

int rlmi_body_decode(struct rlmi_body **bp, const char *ctype, const char *body,
                     size_t len, char *err, size_t errsize)
{
	struct mime_part *mp = NULL;
	struct rlmi_body *b = NULL;
	struct pl *ids = NULL;
	uint32_t n = 0, root = 0, k = 0;
	char sub[160];
	int e;

	if (err && errsize)
		err[0] = '\0';
	if (!bp || !ctype || (!body && len))
		return EINVAL;
	e = body_split(&mp, &ids, &n, &root, ctype, body ? body : "", len, err,
	               errsize);
	if (e)
		return e;
	for (uint32_t i = 0; i < n; i++) {
		if (i != root && !ids[i].l) {
			e = berr(err, errsize, "part %u without Content-ID",
			         i + 1);
			goto out;
		}
	}
	b = mem_zalloc(sizeof(*b), body_destroy);
	if (!b) {
		e = ENOMEM;
		goto out;
	}
	e = rlmi_decode(&b->rlmi, mp[root].body.p, mp[root].body.l, sub,
	                sizeof(sub));
	if (e == EBADMSG)
		berr(err, errsize, "root part: %s", sub);
	if (e || n < 2)
		goto out;
	b->parts = mem_zalloc((n - 1) * sizeof(*b->parts), NULL);
	if (!b->parts) {
		e = ENOMEM;
		goto out;
	}
	b->n = n - 1;
	for (uint32_t i = 0; !e && i < n; i++) {
		if (i != root)
			e = part_copy(&b->parts[k++], &mp[i], &ids[i]);
	}
out:
	mem_deref(mp);
	mem_deref(ids);
	if (e) {
		mem_deref(b);
		if (e == ENOMEM && err && errsize)
			err[0] = '\0';
		return e;
	}
	*bp = b;
	return 0;
}
