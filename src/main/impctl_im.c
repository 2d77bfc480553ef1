/* main/impctl_im.c - impctl im commands: a user's IM policy (common
 * policy rules with impd's IM actions, RFC 4745), IM settings and the
 * deferred messages waiting for the user */
#include "im/im.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/util.h"
#include "impctl.h"
#include "presence/rules.h"
#include "store/store.h"

#define DOC_NAME "index"

enum {
	AOR_MAX = 256,
	URI_MAX = 1024,
	ID_MAX = 80,
};

static const char im_rules_prefix[] = "im-";
static const char reception_id[] = "reception";

/* ---- rules ---- */

static int rules_show(struct store *st, const char *aor)
{
	char *doc = NULL;
	size_t len = 0;
	int err = impctl_doc_read(st, IM_RULES_AUID, aor, &doc, &len);

	if (err == ENOENT) {
		impctl_msg("user '%s' has no IM rules (everyone may send; "
		           "messages are delivered)",
		           aor);
		return EX_NOTFOUND;
	}
	if (err)
		return impctl_store_fail("im rules show", err);
	fwrite(doc, 1, len, stdout);
	if (len && doc[len - 1] != '\n')
		putchar('\n');
	mem_deref(doc);
	return EX_OK;
}

static int rules_remove(struct store *st, const char *aor)
{
	int err = store_doc_delete(st, IM_RULES_AUID, aor, DOC_NAME);

	if (err == ENOENT) {
		impctl_msg("user '%s' has no IM rules", aor);
		return EX_NOTFOUND;
	}
	return err ? impctl_store_fail("im rules remove", err) : EX_OK;
}

/* im rules show|set|remove USER [FILE] */
static int cmd_rules(struct store *st, int argc, const char *const *argv)
{
	char aor[AOR_MAX];
	int ex;

	if (argc < 2)
		return impctl_usage("im rules show|set|remove USER@DOMAIN");
	if (!strcmp(argv[0], "set") ? argc != 3 : argc != 2)
		return impctl_usage("im rules show|remove USER@DOMAIN, or im "
		                    "rules set USER@DOMAIN FILE");
	if (strcmp(argv[0], "show") && strcmp(argv[0], "set") &&
	    strcmp(argv[0], "remove"))
		return impctl_usage("im rules takes show, set or remove");
	ex = impctl_user(st, argv[1], aor, sizeof(aor));
	if (ex)
		return ex;
	if (!strcmp(argv[0], "show"))
		return rules_show(st, aor);
	if (!strcmp(argv[0], "set"))
		return impctl_rules_set(st, IM_RULES_AUID, aor, argv[2],
		                        "im rules set");
	return rules_remove(st, aor);
}

/* Add or replace one rule of aor's IM rules (pres_rules_with_im). */
static int rules_put(struct store *st, const char *aor, const char *id,
                     const char *uri, const char *handling,
                     const char *reception)
{
	struct buf *mb = NULL;
	char *doc = NULL;
	size_t len = 0;
	int err;

	err = impctl_doc_read(st, IM_RULES_AUID, aor, &doc, &len);
	if (err && err != ENOENT)
		return impctl_store_fail("im rules", err);
	err = pres_rules_with_im(&mb, doc, len, id, uri, handling, reception);
	mem_deref(doc);
	if (err == EBADMSG) {
		impctl_msg("the stored IM rules of '%s' are not valid; replace "
		           "them with impctl im rules set or remove them with "
		           "impctl im rules remove",
		           aor);
		return EX_USAGE;
	}
	if (err) {
		impctl_msg("cannot build the rule: %s", err_str(err));
		return EX_STORE;
	}
	err = store_doc_put(st, IM_RULES_AUID, aor, DOC_NAME,
	                    (const char *)mb->b, mb->end, NULL);
	mem_deref(mb);
	return err ? impctl_store_fail("im rules", err) : EX_OK;
}

static const char *handling_word(enum pres_im_handling h)
{
	switch (h) {
	case PRES_IM_BLOCK:
		return "block";
	case PRES_IM_DISCARD:
		return "discard";
	case PRES_IM_ALLOW:
		return "allow";
	}
	return "?";
}

static const char *reception_word(enum pres_im_reception r)
{
	switch (r) {
	case PRES_IM_REJECT:
		return "reject";
	case PRES_IM_STORE:
		return "store";
	case PRES_IM_DELIVER:
		return "deliver";
	}
	return "?";
}

/* Other rules may still decide otherwise for uri (RFC 4745 10.2: the
 * highest value wins): say so. */
static void decide_note(struct store *st, const char *aor, const char *uri,
                        const char *word)
{
	struct pres_watcher w = {uri, true};
	struct pres_rules *r = NULL;
	struct pres_im_perm p;
	char *doc = NULL;
	size_t len = 0;

	if (impctl_doc_read(st, IM_RULES_AUID, aor, &doc, &len))
		return;
	if (!pres_rules_parse(&r, doc, len, NULL, 0) &&
	    pres_rules_eval_im(r, &w, (uint64_t)time(NULL), &p) &&
	    p.has_handling && strcmp(handling_word(p.handling), word))
		impctl_msg("note: other rules of '%s' still give %s '%s' (the "
		           "most permissive matching rule wins)",
		           aor, uri, handling_word(p.handling));
	mem_deref(r);
	mem_deref(doc);
}

/* im allow|block|discard USER SENDER-URI */
static int decide(struct store *st, int argc, const char *const *argv,
                  const char *word)
{
	char aor[AOR_MAX], uri[URI_MAX], id[ID_MAX + sizeof(im_rules_prefix)];
	const char *sender;
	int ex;

	if (argc != 2) {
		char why[80];

		snprintf(why, sizeof(why), "im %s USER@DOMAIN SENDER-URI",
		         word);
		return impctl_usage(why);
	}
	sender = argv[1];
	/* "bob@example.com" is taken as sip:bob@example.com */
	if (!strchr(sender, ':') && strchr(sender, '@'))
		snprintf(uri, sizeof(uri), "sip:%s", sender);
	else
		snprintf(uri, sizeof(uri), "%s", sender);
	memcpy(id, im_rules_prefix, sizeof(im_rules_prefix) - 1);
	if (strlen(sender) + 4 >= sizeof(uri) ||
	    pres_rules_watcher_id(id + sizeof(im_rules_prefix) - 1, ID_MAX,
	                          uri)) {
		impctl_msg("'%s' is not a sender URI (like "
		           "sip:bob@example.com)",
		           sender);
		return EX_USAGE;
	}
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	ex = rules_put(st, aor, id, uri, word, NULL);
	if (!ex)
		decide_note(st, aor, uri, word);
	return ex;
}

static int cmd_allow(struct store *st, int argc, const char *const *argv)
{
	return decide(st, argc, argv, "allow");
}

static int cmd_block(struct store *st, int argc, const char *const *argv)
{
	return decide(st, argc, argv, "block");
}

static int cmd_discard(struct store *st, int argc, const char *const *argv)
{
	return decide(st, argc, argv, "discard");
}

/* im reception USER deliver|store|reject: the catch-all rule */
static int cmd_reception(struct store *st, int argc, const char *const *argv)
{
	char aor[AOR_MAX];
	int ex;

	if (argc != 2)
		return impctl_usage("im reception USER@DOMAIN "
		                    "deliver|store|reject");
	if (strcmp(argv[1], "deliver") && strcmp(argv[1], "store") &&
	    strcmp(argv[1], "reject"))
		return impctl_usage("im reception takes 'deliver', 'store' or "
		                    "'reject'");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	return rules_put(st, aor, reception_id, NULL, NULL, argv[1]);
}

/* ---- settings: "key=value" lines ---- */

/* Is the line p (l octets) a setting of key? val gets its value (blanks
 * trimmed). */
static bool setting_line(const char *p, size_t l, const char *key,
                         const char **val, size_t *vlen)
{
	const char *end = p + l, *eq = memchr(p, '=', l), *k = p, *ke, *v;
	size_t kl = strlen(key);

	if (!eq)
		return false;
	while (k < eq && (*k == ' ' || *k == '\t'))
		k++;
	ke = eq;
	while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
		ke--;
	if ((size_t)(ke - k) != kl || strncasecmp(k, key, kl))
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

/* The first value of key in a settings document, or NULL. */
static const char *setting_get(const char *s, size_t len, const char *key,
                               size_t *vlen)
{
	const char *p = s, *end = s ? s + len : NULL;

	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *v;

		if (setting_line(p, l, key, &v, vlen))
			return v;
		p += l + (nl ? 1 : 0);
	}
	return NULL;
}

static bool value_is(const char *v, size_t vl, const char *word)
{
	return v && vl == strlen(word) && !strncasecmp(v, word, vl);
}

static bool value_yes(const char *v, size_t vl)
{
	return value_is(v, vl, "yes") || value_is(v, vl, "true") ||
	       value_is(v, vl, "on") || value_is(v, vl, "1");
}

static bool value_no(const char *v, size_t vl)
{
	return value_is(v, vl, "no") || value_is(v, vl, "false") ||
	       value_is(v, vl, "off") || value_is(v, vl, "0");
}

/* aor's settings with every line of key replaced by "key=value" (value
 * NULL: removed); other lines stay. An empty result removes the
 * document. */
static int setting_put(struct store *st, const char *aor, const char *key,
                       const char *value, const char *what)
{
	struct buf *b = NULL;
	char *old = NULL;
	const char *p, *end;
	size_t len = 0;
	int err;

	err = impctl_doc_read(st, IM_SETTINGS_AUID, aor, &old, &len);
	if (err && err != ENOENT)
		return impctl_store_fail(what, err);
	err = buf_alloc(&b, 64);
	for (p = old, end = old ? old + len : NULL; !err && p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *v;
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p), vl;

		if (l && !setting_line(p, l, key, &v, &vl)) {
			err = buf_write(b, p, l);
			if (!err)
				err = buf_write_str(b, "\n");
		}
		p += l + (nl ? 1 : 0);
	}
	if (!err && value)
		err = buf_printf(b, "%s=%s\n", key, value);
	mem_deref(old);
	if (err) {
		mem_deref(b);
		impctl_msg("%s: %s", what, err_str(err));
		return EX_STORE;
	}
	if (b->end)
		err = store_doc_put(st, IM_SETTINGS_AUID, aor, DOC_NAME,
		                    (const char *)b->b, b->end, NULL);
	else
		err = store_doc_delete(st, IM_SETTINGS_AUID, aor, DOC_NAME);
	mem_deref(b);
	if (err == ENOENT && !value)
		err = 0; /* nothing stored, nothing to remove */
	return err ? impctl_store_fail(what, err) : EX_OK;
}

/* im send USER on|off */
static int cmd_send(struct store *st, int argc, const char *const *argv)
{
	char aor[AOR_MAX];
	bool on;
	int ex;

	if (argc != 2)
		return impctl_usage("im send USER@DOMAIN on|off");
	if (!strcmp(argv[1], "on"))
		on = true;
	else if (!strcmp(argv[1], "off"))
		on = false;
	else
		return impctl_usage("im send takes 'on' or 'off'");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	return setting_put(st, aor, "send", on ? NULL : "no", "im send");
}

/* im archive USER on|off|default */
static int cmd_archive(struct store *st, int argc, const char *const *argv)
{
	const char *v;
	char aor[AOR_MAX];
	int ex;

	if (argc != 2)
		return impctl_usage("im archive USER@DOMAIN on|off|default");
	if (!strcmp(argv[1], "on"))
		v = "yes";
	else if (!strcmp(argv[1], "off"))
		v = "no";
	else if (!strcmp(argv[1], "default"))
		v = NULL;
	else
		return impctl_usage(
		    "im archive takes 'on', 'off' or 'default'");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	return setting_put(st, aor, "archive", v, "im archive");
}

/* im alias USER NAME [URI]: a nickname only USER uses (AUTHZ-05); no
 * URI removes it */
static int cmd_alias(struct store *st, int argc, const char *const *argv)
{
	char aor[AOR_MAX], key[96];
	const char *name, *uri;
	int ex;

	if (argc != 2 && argc != 3)
		return impctl_usage("im alias USER@DOMAIN NAME [URI]");
	name = argv[1];
	uri = argc == 3 ? argv[2] : NULL;
	if (!*name || strlen(name) > 64)
		return impctl_usage("a nickname has 1 to 64 characters");
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("-_.!~*'+", *c))
			return impctl_usage("a nickname is a URI user part: "
			                    "letters, digits and -_.!~*'+");
	if (uri && ((strncmp(uri, "sip:", 4) && strncmp(uri, "sips:", 5)) ||
	            !strchr(uri, '@') || strpbrk(uri, " \t\r\n<>\"")))
		return impctl_usage(
		    "the nickname's URI must be a sip: or sips: "
		    "URI with a user part");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	snprintf(key, sizeof(key), "alias.%s", name);
	return setting_put(st, aor, key, uri, "im alias");
}

/* ---- show ---- */

static void rule_print(const struct pres_rule_info *ri, void *arg)
{
	unsigned *n = arg;

	(*n)++;
	printf("rule %s ", ri->id);
	if (ri->never)
		printf("never (a condition impd does not understand)");
	else if (!ri->nconds)
		printf("everyone");
	else if (ri->one)
		printf("from %s", ri->one);
	else
		printf("conditions=%u", (unsigned)ri->nconds);
	if (ri->im.has_handling)
		printf(" im-handling=%s", handling_word(ri->im.handling));
	if (ri->im.has_reception)
		printf(" reception=%s", reception_word(ri->im.reception));
	if (!ri->im.has_handling && !ri->im.has_reception)
		printf(" (no IM action)");
	putchar('\n');
}

/* im show USER */
static int cmd_show(struct store *st, int argc, const char *const *argv)
{
	struct pres_rules *r = NULL;
	char aor[AOR_MAX], eb[512];
	const char *v;
	char *doc = NULL;
	size_t len = 0, vl = 0;
	unsigned n = 0;
	int ex, err;

	if (argc != 1)
		return impctl_usage("im show USER@DOMAIN");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = impctl_doc_read(st, IM_SETTINGS_AUID, aor, &doc, &len);
	if (err && err != ENOENT)
		return impctl_store_fail("im show", err);
	v = setting_get(doc, len, "send", &vl);
	printf("send=%s\n", v && value_no(v, vl) ? "no" : "yes");
	v = setting_get(doc, len, "archive", &vl);
	printf("archive=%s\n", !v                 ? "default"
	                       : value_yes(v, vl) ? "yes"
	                       : value_no(v, vl)  ? "no"
	                                          : "default");
	for (const char *p = doc; p && p < doc + len;) {
		const char *nl = memchr(p, '\n', (size_t)(doc + len - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(doc + len - p);

		if (l > 6 && !strncmp(p, "alias.", 6))
			printf("%.*s\n", (int)l, p);
		p += l + 1;
	}
	doc = mem_deref(doc);

	err = impctl_doc_read(st, IM_RULES_AUID, aor, &doc, &len);
	if (err == ENOENT) {
		printf("rules=none\n");
		return EX_OK;
	}
	if (err)
		return impctl_store_fail("im show", err);
	err = pres_rules_parse(&r, doc, len, eb, sizeof(eb));
	mem_deref(doc);
	if (err == ENOMEM) {
		impctl_msg("im show: out of memory");
		return EX_STORE;
	}
	if (err) {
		printf("rules=invalid (%s)\n", eb);
		return EX_OK;
	}
	printf("rules=%zu\n", pres_rules_count(r));
	pres_rules_info(r, rule_print, &n);
	mem_deref(r);
	return EX_OK;
}

/* ---- deferred messages ---- */

/* "2026-11-22T10:01:02.345Z" */
static void rfc3339_ms(char *out, size_t size, uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	if (!gmtime_r(&t, &tm) ||
	    !strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, size, "-");
		return;
	}
	snprintf(out, size, "%s.%03uZ", s, (unsigned)(ms % 1000));
}

static void msg_print(const struct store_msg *m, void *arg)
{
	unsigned *n = arg;
	char when[48];

	(*n)++;
	rfc3339_ms(when, sizeof(when), m->received_ms);
	printf("%llu %s %s %s %zu\n", (unsigned long long)m->id, when,
	       m->sender && *m->sender ? m->sender : "-",
	       m->ctype && *m->ctype ? m->ctype : "-", m->len);
}

/* im deferred USER */
static int cmd_deferred(struct store *st, int argc, const char *const *argv)
{
	char aor[AOR_MAX];
	unsigned n = 0;
	int ex, err;

	if (argc != 1)
		return impctl_usage("im deferred USER@DOMAIN");
	ex = impctl_user(st, argv[0], aor, sizeof(aor));
	if (ex)
		return ex;
	err = store_msg_list(st, aor, msg_print, &n);
	return err ? impctl_store_fail("im deferred", err) : EX_OK;
}

const struct impctl_cmd impctl_im_cmds[] = {
    {"im", "rules", cmd_rules,
     "  im rules show|remove USER@DOMAIN      print or remove the IM rules\n"
     "  im rules set USER@DOMAIN FILE         store an IM rules document\n"
     "                                        (common policy with the\n"
     "                                        " IM_RULES_NS " actions\n"
     "                                        im-handling and reception;\n"
     "                                        '-' reads stdin)\n"},
    {"im", "allow", cmd_allow,
     "  im allow|block|discard USER@DOMAIN SENDER-URI\n"
     "                                        add or replace the IM rule\n"
     "                                        for one sender (discard:\n"
     "                                        accepted, then dropped)\n"},
    {"im", "block", cmd_block, NULL},
    {"im", "discard", cmd_discard, NULL},
    {"im", "reception", cmd_reception,
     "  im reception USER@DOMAIN deliver|store|reject\n"
     "                                        what happens to messages:\n"
     "                                        to the devices (stored while\n"
     "                                        offline), always stored, or\n"
     "                                        never stored\n"},
    {"im", "send", cmd_send,
     "  im send USER@DOMAIN on|off            may the user send IM\n"},
    {"im", "archive", cmd_archive,
     "  im archive USER@DOMAIN on|off|default archive the user's messages\n"
     "                                        (default: im.archive_domains)\n"},
    {"im", "alias", cmd_alias,
     "  im alias USER@DOMAIN NAME [URI]       a nickname: the user's\n"
     "                                        MESSAGEs to sip:NAME@DOMAIN\n"
     "                                        go to URI (no URI: remove)\n"},
    {"im", "show", cmd_show,
     "  im show USER@DOMAIN                   IM settings and rules\n"},
    {"im", "deferred", cmd_deferred,
     "  im deferred USER@DOMAIN               messages waiting for the\n"
     "                                        user: id, time, sender,\n"
     "                                        type, size\n"},
    {NULL, NULL, NULL, NULL},
};
