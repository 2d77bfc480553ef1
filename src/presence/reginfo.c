/* presence/reginfo.c - registration information documents (RFC 3680 5.3,
 * RFC 5626 / 5628 instance and reg-id as unknown-param) */
#include "reginfo.h"

#include <errno.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../base/mem.h"
#include "../base/xml.h"

#define REGINFO_NS "urn:ietf:params:xml:ns:reginfo"

static const char *const reg_states[] = {"init", "active", "terminated", NULL};
static const char *const c_states[] = {"active", "terminated", NULL};
static const char *const c_events[] = {
    "registered",  "created",   "refreshed",    "shortened", "expired",
    "deactivated", "probation", "unregistered", "rejected",  NULL};

static bool in_set(const char *s, const char *const *set)
{
	for (; *set; set++) {
		if (!strcmp(s, *set))
			return true;
	}
	return false;
}

static bool str_ok(const char *s)
{
	return s && s[0] && xml_text_ok(s);
}

/* --- building --- */

/* q x1000 as a qvalue (RFC 3261 20.10): 1000 "1", 500 "0.5", 1 "0.001" */
static void q_print(char *buf, size_t size, uint32_t q)
{
	size_t l;

	if (q >= 1000) {
		snprintf(buf, size, "1");
		return;
	}
	snprintf(buf, size, "0.%03u", q);
	l = strlen(buf);
	while (buf[l - 1] == '0')
		buf[--l] = '\0';
}

static int contact_check(const struct reginfo_contact *c)
{
	if (!str_ok(c->id) || !str_ok(c->uri) || !c->state ||
	    !in_set(c->state, c_states) || !c->event ||
	    !in_set(c->event, c_events) || c->q > 1000)
		return EINVAL;
	if ((c->callid && !xml_text_ok(c->callid)) ||
	    (c->instance && c->instance[0] && !xml_text_ok(c->instance)))
		return EINVAL;
	return 0;
}

static int reg_check(const struct reginfo_reg *r)
{
	size_t i;
	int err;

	if (!str_ok(r->aor) || !str_ok(r->id) || !r->state ||
	    !in_set(r->state, reg_states) || (r->n && !r->contacts))
		return EINVAL;
	for (i = 0; i < r->n; i++) {
		err = contact_check(&r->contacts[i]);
		if (err)
			return err;
	}
	return 0;
}

/* <unknown-param name=...>pre val post</unknown-param> */
static int param_write(xmlTextWriterPtr xw, const char *name, const char *pre,
                       const char *val, const char *post)
{
	if (xmlTextWriterStartElement(xw, BAD_CAST "unknown-param") < 0 ||
	    xml_wattr(xw, "name", name) ||
	    xmlTextWriterWriteString(xw, BAD_CAST pre) < 0 ||
	    xmlTextWriterWriteString(xw, BAD_CAST val) < 0 ||
	    xmlTextWriterWriteString(xw, BAD_CAST post) < 0 ||
	    xmlTextWriterEndElement(xw) < 0)
		return ENOMEM;
	return 0;
}

static int contact_write(xmlTextWriterPtr xw, const struct reginfo_contact *c)
{
	char q[8], num[16];
	int err;

	if (xmlTextWriterStartElement(xw, BAD_CAST "contact") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "id", c->id);
	if (!err)
		err = xml_wattr(xw, "state", c->state);
	if (!err)
		err = xml_wattr(xw, "event", c->event);
	if (!err && c->duration_s)
		err = xml_wattr_u32(xw, "duration-registered", c->duration_s);
	if (!err && c->expires)
		err = xml_wattr_u32(xw, "expires", c->expires);
	if (!err && c->q) {
		q_print(q, sizeof(q), c->q);
		err = xml_wattr(xw, "q", q);
	}
	if (!err && c->callid && c->callid[0]) {
		err = xml_wattr(xw, "callid", c->callid);
		if (!err)
			err = xml_wattr_u32(xw, "cseq", c->cseq);
	}
	if (err)
		return err;
	if (xmlTextWriterWriteElement(xw, BAD_CAST "uri", BAD_CAST c->uri) < 0)
		return ENOMEM;
	/* the instance as its Contact parameter value: "<urn:...>" quoted */
	if (c->instance && c->instance[0]) {
		bool lt = c->instance[0] == '<';

		err = param_write(xw, "+sip.instance", lt ? "\"" : "\"<",
		                  c->instance, lt ? "\"" : ">\"");
	}
	if (!err && c->reg_id) {
		snprintf(num, sizeof(num), "%u", c->reg_id);
		err = param_write(xw, "reg-id", "", num, "");
	}
	if (err)
		return err;
	if (xmlTextWriterEndElement(xw) < 0)
		return ENOMEM;
	return 0;
}

static int reg_write(xmlTextWriterPtr xw, const struct reginfo_reg *r)
{
	size_t i;
	int err;

	if (xmlTextWriterStartElement(xw, BAD_CAST "registration") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "aor", r->aor);
	if (!err)
		err = xml_wattr(xw, "id", r->id);
	if (!err)
		err = xml_wattr(xw, "state", r->state);
	for (i = 0; !err && i < r->n; i++)
		err = contact_write(xw, &r->contacts[i]);
	if (err)
		return err;
	if (xmlTextWriterEndElement(xw) < 0)
		return ENOMEM;
	return 0;
}

struct doc_ctx {
	uint32_t version;
	bool full;
	const struct reginfo_reg *regs;
	size_t n;
};

static int doc_write(xmlTextWriterPtr xw, void *arg)
{
	const struct doc_ctx *c = arg;
	uint32_t version = c->version;
	bool full = c->full;
	const struct reginfo_reg *regs = c->regs;
	size_t n = c->n;
	size_t i;
	int err;

	if (xmlTextWriterSetIndent(xw, 1) < 0 ||
	    xmlTextWriterSetIndentString(xw, BAD_CAST "  ") < 0 ||
	    xmlTextWriterStartDocument(xw, "1.0", "UTF-8", NULL) < 0 ||
	    xmlTextWriterStartElement(xw, BAD_CAST "reginfo") < 0)
		return ENOMEM;
	err = xml_wattr(xw, "xmlns", REGINFO_NS);
	if (!err)
		err = xml_wattr_u32(xw, "version", version);
	if (!err)
		err = xml_wattr(xw, "state", full ? "full" : "partial");
	for (i = 0; !err && i < n; i++)
		err = reg_write(xw, &regs[i]);
	if (err)
		return err;
	if (xmlTextWriterEndDocument(xw) < 0)
		return ENOMEM;
	return 0;
}

int reginfo_doc_build(struct buf **mbp, uint32_t version, bool full,
                      const struct reginfo_reg *regs, size_t n)
{
	struct doc_ctx dc;
	size_t i;
	int err;

	if (!mbp || (n && !regs))
		return EINVAL;
	for (i = 0; i < n; i++) {
		err = reg_check(&regs[i]);
		if (err)
			return err;
	}

	dc.version = version;
	dc.full = full;
	dc.regs = regs;
	dc.n = n;
	return xml_write_buf(mbp, doc_write, &dc);
}

/* --- parsing --- */

struct pctx {
	struct xml_err xe;    /* first: the parser context's _private */
	reginfo_contact_h *h; /* NULL: the checking pass */
	void *arg;
	/* room for the registration with the most contacts / strings */
	struct reginfo_contact *cv;
	xmlChar **ov;
	size_t omax;
};

#define perr(c, line, ...) xml_err_set(&(c)->xe, (line), __VA_ARGS__)

static bool is_ours(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns &&
	       !xmlStrcmp(n->ns->href, BAD_CAST REGINFO_NS) &&
	       (!name || !xmlStrcmp(n->name, BAD_CAST name));
}

/* Strings of one registration to free once it is done. */
struct owned {
	xmlChar **v;
	size_t n, max;
};

/* Keep s (NULL: malloc failed) for freeing; its text (trimmed if tr) or
 * NULL. */
static const char *own(struct owned *o, xmlChar *s, bool tr)
{
	if (!s)
		return NULL;
	if (o->n == o->max) {
		xmlFree(s); /* cannot happen: room is counted beforehand */
		return NULL;
	}
	o->v[o->n++] = s;
	return tr ? xml_trim(s) : (const char *)s;
}

/* Attributes of type string keep their white space; the others (tokens,
 * numbers, URIs) are collapsed by schema rules, so we trim them. */
static bool string_attr(const char *name)
{
	return !strcmp(name, "id") || !strcmp(name, "callid") ||
	       !strcmp(name, "name");
}

/* An attribute without namespace; *vp NULL if absent. ENOMEM. */
static int attr_get(const char **vp, struct owned *o, xmlNode *n,
                    const char *name)
{
	*vp = NULL;
	if (!xmlHasNsProp(n, BAD_CAST name, NULL))
		return 0;
	*vp = own(o, xmlGetNoNsProp(n, BAD_CAST name), !string_attr(name));
	return *vp ? 0 : ENOMEM;
}

/* unsigned decimal; larger values saturate when sat, else fail. */
static bool num_u32(const char *s, uint32_t *v, bool sat)
{
	uint64_t x = 0;

	if (!s[0])
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX) {
			if (!sat)
				return false;
			x = UINT32_MAX + 1ULL; /* stays above */
		}
	}
	*v = x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	return true;
}

/* qvalue (RFC 3261 20.10) x1000: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"] */
static bool num_q(const char *s, uint32_t *q)
{
	uint32_t v, scale = 100;

	if (s[0] != '0' && s[0] != '1')
		return false;
	v = (uint32_t)(s[0] - '0') * 1000;
	s++;
	if (!*s)
		goto done;
	if (*s++ != '.')
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || !scale)
			return false;
		v += (uint32_t)(*s - '0') * scale;
		scale /= 10;
	}
	if (v > 1000)
		return false;
done:
	*q = v;
	return true;
}

enum {
	C_ID,
	C_STATE,
	C_EVENT,
	C_EXPIRES,
	C_DUR,
	C_Q,
	C_CALLID,
	C_CSEQ,
	C_RETRY,
	C_NATTR
};

static const char *const cattrs[C_NATTR] = {
    "id", "state",  "event", "expires",    "duration-registered",
    "q",  "callid", "cseq",  "retry-after"};

/* The quotes and angle brackets of a +sip.instance value, in place. */
static const char *instance_strip(char *s)
{
	size_t l = strlen(s);

	if (l >= 2 && s[0] == '"' && s[l - 1] == '"') {
		s[--l] = '\0';
		s++, l--;
	}
	if (l >= 2 && s[0] == '<' && s[l - 1] == '>') {
		s[--l] = '\0';
		s++;
	}
	return s;
}

static int parse_param(struct pctx *c, struct owned *o, xmlNode *n,
                       struct reginfo_contact *ct)
{
	const char *name, *val;
	int err;

	err = attr_get(&name, o, n, "name");
	if (err)
		return err;
	if (!name || !name[0]) {
		perr(c, xmlGetLineNo(n), "unknown-param without name");
		return EBADMSG;
	}
	val = own(o, xmlNodeGetContent(n), true);
	if (!val)
		return ENOMEM;
	if (!strcmp(name, "+sip.instance")) {
		ct->instance = instance_strip((char *)val);
	} else if (!strcmp(name, "reg-id")) {
		if (!num_u32(val, &ct->reg_id, false)) {
			perr(c, xmlGetLineNo(n), "bad reg-id");
			return EBADMSG;
		}
	}
	return 0;
}

static int contact_attrs(struct pctx *c, struct owned *o, xmlNode *n,
                         struct reginfo_contact *ct)
{
	const char *v[C_NATTR];
	long line = xmlGetLineNo(n);
	uint32_t dummy;
	int err = 0, i;

	for (i = 0; !err && i < C_NATTR; i++)
		err = attr_get(&v[i], o, n, cattrs[i]);
	if (err)
		return err;
	if (!v[C_ID] || !v[C_ID][0]) {
		perr(c, line, "contact without id");
		return EBADMSG;
	}
	if (!v[C_STATE] || !in_set(v[C_STATE], c_states)) {
		perr(c, line, "contact: missing or unknown state");
		return EBADMSG;
	}
	if (!v[C_EVENT] || !in_set(v[C_EVENT], c_events)) {
		perr(c, line, "contact: missing or unknown event");
		return EBADMSG;
	}
	if ((v[C_EXPIRES] && !num_u32(v[C_EXPIRES], &ct->expires, true)) ||
	    (v[C_DUR] && !num_u32(v[C_DUR], &ct->duration_s, true)) ||
	    (v[C_CSEQ] && !num_u32(v[C_CSEQ], &ct->cseq, true)) ||
	    (v[C_RETRY] && !num_u32(v[C_RETRY], &dummy, true))) {
		perr(c, line, "contact: bad number");
		return EBADMSG;
	}
	if (v[C_Q] && !num_q(v[C_Q], &ct->q)) {
		perr(c, line, "contact: bad q");
		return EBADMSG;
	}
	ct->id = v[C_ID];
	ct->state = v[C_STATE];
	ct->event = v[C_EVENT];
	ct->callid = v[C_CALLID];
	return 0;
}

static int parse_contact(struct pctx *c, struct owned *o, xmlNode *n,
                         struct reginfo_contact *ct)
{
	int err;

	memset(ct, 0, sizeof(*ct));
	err = contact_attrs(c, o, n, ct);
	for (xmlNode *k = n->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, xmlGetLineNo(k), "text in contact");
			err = EBADMSG;
		} else if (is_ours(k, "uri")) {
			if (ct->uri) {
				perr(c, xmlGetLineNo(k), "second <uri>");
				return EBADMSG;
			}
			ct->uri = own(o, xmlNodeGetContent(k), true);
			if (!ct->uri)
				return ENOMEM;
			if (!ct->uri[0]) {
				perr(c, xmlGetLineNo(k), "empty <uri>");
				return EBADMSG;
			}
		} else if (is_ours(k, "unknown-param")) {
			err = parse_param(c, o, k, ct);
		} else if (is_ours(k, "display-name")) {
			continue; /* not kept */
		} else if (is_ours(k, NULL)) {
			perr(c, xmlGetLineNo(k), "unexpected element <%s>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
	if (!err && !ct->uri) {
		perr(c, xmlGetLineNo(n), "contact without <uri>");
		err = EBADMSG;
	}
	return err;
}

/* Room needed for one contact's strings: its attributes, the uri and
 * two per unknown-param (name and value). */
static size_t contact_room(const xmlNode *n)
{
	size_t r = C_NATTR + 1;

	for (const xmlNode *k = n->children; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE)
			r += 2;
	}
	return r;
}

static int parse_reg(struct pctx *c, xmlNode *n)
{
	struct owned o = {c->ov, 0, c->omax};
	struct reginfo_reg reg;
	long line = xmlGetLineNo(n);
	size_t i;
	int err;

	memset(&reg, 0, sizeof(reg));

	err = attr_get(&reg.aor, &o, n, "aor");
	if (!err)
		err = attr_get(&reg.id, &o, n, "id");
	if (!err)
		err = attr_get(&reg.state, &o, n, "state");
	if (err)
		goto out;
	err = EBADMSG;
	if (!reg.aor || !reg.aor[0]) {
		perr(c, line, "registration without aor");
		goto out;
	}
	if (!reg.id || !reg.id[0]) {
		perr(c, line, "registration without id");
		goto out;
	}
	if (!reg.state || !in_set(reg.state, reg_states)) {
		perr(c, line, "registration: missing or unknown state");
		goto out;
	}
	err = 0;
	for (xmlNode *k = n->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, xmlGetLineNo(k), "text in registration");
			err = EBADMSG;
		} else if (is_ours(k, "contact")) {
			err = parse_contact(c, &o, k, &c->cv[reg.n++]);
		} else if (is_ours(k, NULL)) {
			perr(c, xmlGetLineNo(k), "unexpected element <%s>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
	if (err || !c->h)
		goto out;
	reg.contacts = reg.n ? c->cv : NULL;
	if (!reg.n)
		c->h(&reg, NULL, c->arg);
	for (i = 0; i < reg.n; i++)
		c->h(&reg, &c->cv[i], c->arg);
out:
	for (i = 0; i < o.n; i++)
		xmlFree(o.v[i]);
	return err;
}

static int parse_root(struct pctx *c, xmlNode *root, struct reginfo_info *info)
{
	struct owned o;
	xmlChar *v[2] = {NULL, NULL};
	const char *ver, *state;
	long line = xmlGetLineNo(root);
	int err;

	if (!is_ours(root, "reginfo")) {
		perr(c, line, "root is not <reginfo> of " REGINFO_NS);
		return EBADMSG;
	}
	o.v = v;
	o.n = 0;
	o.max = 2;
	err = attr_get(&ver, &o, root, "version");
	if (!err)
		err = attr_get(&state, &o, root, "state");
	if (err)
		goto out;
	err = EBADMSG;
	if (!ver || !num_u32(ver, &info->version, false)) {
		perr(c, line, "reginfo: missing or bad version");
		goto out;
	}
	if (!state || (strcmp(state, "full") && strcmp(state, "partial"))) {
		perr(c, line, "reginfo: state must be full or partial");
		goto out;
	}
	info->full = !strcmp(state, "full");
	err = 0;
	for (xmlNode *k = root->children; !err && k; k = k->next) {
		if (xml_stray_text(k)) {
			perr(c, xmlGetLineNo(k), "text in reginfo");
			err = EBADMSG;
		} else if (is_ours(k, "registration")) {
			err = parse_reg(c, k);
		} else if (is_ours(k, NULL)) {
			perr(c, xmlGetLineNo(k), "unexpected element <%s>",
			     (const char *)k->name);
			err = EBADMSG;
		}
	}
out:
	xmlFree(v[0]);
	xmlFree(v[1]);
	return err;
}

/* The room the largest registration of the document needs: contacts
 * and strings (sizes the parse arrays, so nothing is allocated between
 * the checking pass and the calls of h). */
static void room_max(const xmlNode *root, size_t *ncp, size_t *nsp)
{
	size_t mc = 1, ms = 1;

	for (const xmlNode *r = root->children; r; r = r->next) {
		size_t nc = 0, ns = 3;

		if (!is_ours(r, "registration"))
			continue;
		for (const xmlNode *k = r->children; k; k = k->next) {
			if (is_ours(k, "contact")) {
				nc++;
				ns += contact_room(k);
			}
		}
		mc = nc > mc ? nc : mc;
		ms = ns > ms ? ns : ms;
	}
	*ncp = mc;
	*nsp = ms;
}

int reginfo_doc_parse(const char *xml, size_t len, struct reginfo_info *info,
                      reginfo_contact_h *h, void *arg, char *err,
                      size_t errsize)
{
	struct pctx c;
	struct reginfo_info ri;
	xmlNode *root;
	xmlDocPtr doc;
	size_t nc;
	int e;

	if (err && errsize)
		err[0] = '\0';
	if (!xml || !info)
		return EINVAL;
	memset(&c, 0, sizeof(c));
	c.xe.buf = err;
	c.xe.size = errsize;
	e = xml_read_strict(&doc, xml, len, &c.xe);
	if (e)
		return e;
	root = xmlDocGetRootElement(doc);
	room_max(root, &nc, &c.omax);
	c.cv = mem_zalloc(nc * sizeof(*c.cv), NULL);
	c.ov = mem_zalloc(c.omax * sizeof(*c.ov), NULL);
	if (!c.cv || !c.ov) {
		e = ENOMEM;
		goto out;
	}
	/* check everything first, so h sees only a valid document */
	e = parse_root(&c, root, &ri);
	if (!e && h) {
		c.h = h;
		c.arg = arg;
		e = parse_root(&c, root, &ri);
	}
out:
	mem_deref(c.cv);
	mem_deref(c.ov);
	xmlFreeDoc(doc);
	if (!e) {
		if (err && errsize)
			err[0] = '\0';
		*info = ri;
	}
	return e;
}
