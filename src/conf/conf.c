/* conf/conf.c - configuration file parser, checks, dump and docs */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "base/pl.h"
#include "base/sa.h"
#include "conf_int.h"

/*
 * Syntax: one "key value" per line; '#' starts a comment at the start of
 * a line or after white space outside quotes; blank lines are ignored.
 * A value runs to the end of the line (trimmed) or is "quoted" with \"
 * and \\ escapes. Control characters other than TAB are refused, so every
 * value can be written back by conf_dump.
 */

enum {
	VAL_MAX = 1024,     /* longest value read (fields are <= 512) */
	FILE_MAX = 1 << 20, /* longest configuration file */
	SHOW_MAX = 48,      /* longest piece of input quoted in a message */
};

static void errf(char *errbuf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void errf(char *errbuf, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, size, fmt, ap);
	va_end(ap);
}

/* Input bytes made printable for a message: at most SHOW_MAX of them,
 * anything but printable ASCII as '?'. */
static const char *show(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size; i++) {
		if (i == SHOW_MAX) {
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	}
	buf[n] = '\0';
	return buf;
}

static bool bad_char(char c)
{
	return ((unsigned char)c < 0x20 && c != '\t') || c == 0x7f;
}

static int parse_bool(const char *v, bool *b)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(v, yes[i])) {
			*b = true;
			return 0;
		}
		if (!strcasecmp(v, no[i])) {
			*b = false;
			return 0;
		}
	}
	return EINVAL;
}

static bool listen_ok(char *v)
{
	struct sa sa;
	char *addr = strchr(v, ':');
	size_t plen;

	if (!addr)
		return false;
	plen = (size_t)(addr - v);
	if (plen != 3 || (strncasecmp(v, "udp", 3) &&
	                  strncasecmp(v, "tcp", 3) && strncasecmp(v, "tls", 3)))
		return false;
	addr++;
	/* the port is required: "[v6]:port" or "v4:port" */
	if (addr[0] == '[') {
		const char *rb = strchr(addr, ']');

		if (!rb || rb[1] != ':')
			return false;
	} else if (!strchr(addr, ':')) {
		return false;
	}
	if (sa_decode(&sa, addr, strlen(addr)))
		return false;
	for (size_t i = 0; i < plen; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	return true;
}

/* A host name (or IPv4 literal): labels of letters, digits and '-'. */
static bool domain_ok(char *v)
{
	size_t label = 0;
	char prev = '.';

	for (char *p = v; *p; p++) {
		char c = *p;

		if (c == '.') {
			if (prev == '.' || prev == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)c) || c == '-') {
			if (c == '-' && prev == '.')
				return false;
			if (++label > 63)
				return false;
			*p = (char)tolower((unsigned char)c);
		} else {
			return false;
		}
		prev = c;
	}
	return prev != '.' && prev != '-';
}

/*
 * Set key k from value v (NUL-terminated, no NUL inside). On EINVAL, why
 * gets what was expected.
 */
static int set_value(struct conf *cf, const struct conf_key *k, char *v,
                     char *why, size_t wsize)
{
	char *field = (char *)cf + k->off;
	size_t len = strlen(v);
	const char *msg;

	for (size_t i = 0; i < len; i++) {
		if (bad_char(v[i])) {
			snprintf(why, wsize, "control character in the value");
			return EINVAL;
		}
	}

	switch (k->type) {
	case CONF_STR:
		if (len >= k->size) {
			snprintf(why, wsize, "longer than %zu characters",
			         k->size - 1);
			return EINVAL;
		}
		if (!len && (k->flags & CONF_NONEMPTY)) {
			snprintf(why, wsize, "must not be empty");
			return EINVAL;
		}
		if (len && k->check && (msg = k->check(v))) {
			snprintf(why, wsize, "%s", msg);
			return EINVAL;
		}
		memcpy(field, v, len + 1);
		return 0;

	case CONF_U32: {
		struct pl pl;
		uint32_t n;

		pl_set_str(&pl, v);
		if (pl_u32(&pl, &n) || n < k->min || n > k->max) {
			snprintf(why, wsize, "expected a number %u..%u", k->min,
			         k->max);
			return EINVAL;
		}
		*(uint32_t *)(void *)field = n;
		return 0;
	}

	case CONF_BOOL:
		if (parse_bool(v, (bool *)(void *)field)) {
			snprintf(why, wsize,
			         "expected yes/no/true/false/on/off/1/0");
			return EINVAL;
		}
		return 0;

	case CONF_LISTEN:
		if (len >= sizeof(cf->listen[0].spec) || !listen_ok(v)) {
			snprintf(why, wsize,
			         "expected udp|tcp|tls:ADDRESS:PORT, e.g. "
			         "udp:127.0.0.1:5060 or tls:[::1]:5061");
			return EINVAL;
		}
		for (uint32_t i = 0; i < cf->n_listen; i++) {
			if (!strcasecmp(cf->listen[i].spec, v)) {
				snprintf(why, wsize, "given twice");
				return EINVAL;
			}
		}
		if (cf->n_listen >= CONF_MAX_LISTEN) {
			snprintf(why, wsize, "more than %u listeners",
			         CONF_MAX_LISTEN);
			return EINVAL;
		}
		memcpy(cf->listen[cf->n_listen++].spec, v, len + 1);
		return 0;

	case CONF_DOMAIN:
		if (!len || len >= sizeof(cf->domains[0]) || !domain_ok(v)) {
			snprintf(why, wsize, "expected a domain name");
			return EINVAL;
		}
		for (uint32_t i = 0; i < cf->n_domains; i++) {
			if (!strcasecmp(cf->domains[i], v)) {
				snprintf(why, wsize, "given twice");
				return EINVAL;
			}
		}
		if (cf->n_domains >= CONF_MAX_DOMAINS) {
			snprintf(why, wsize, "more than %u domains",
			         CONF_MAX_DOMAINS);
			return EINVAL;
		}
		memcpy(cf->domains[cf->n_domains++], v, len + 1);
		return 0;
	}
	snprintf(why, wsize, "unsupported key type");
	return EINVAL;
}

void conf_defaults(struct conf *cf)
{
	char why[128], v[VAL_MAX];

	if (!cf)
		return;
	memset(cf, 0, sizeof(*cf));
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (!k->def)
			continue;
		snprintf(v, sizeof(v), "%s", k->def);
		(void)set_value(cf, k, v, why, sizeof(why)); /* table test */
	}
}

/* Parse one line p[0..n) (no newline). 0, or EINVAL with msg set. */
static int parse_line(struct conf *cf, const char *p, size_t n, char *msg,
                      size_t msize)
{
	const char *end = p + n, *key, *vs;
	const struct conf_key *k;
	char v[VAL_MAX], why[160], shown[64];
	size_t klen, vlen = 0;

	if (memchr(p, '\0', n)) {
		snprintf(msg, msize, "NUL character in the line");
		return EINVAL;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 0;

	key = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	klen = (size_t)(p - key);
	k = conf_key_find(key, klen);
	if (!k) {
		snprintf(msg, msize, "unknown key '%s'",
		         show(shown, sizeof(shown), key, klen));
		return EINVAL;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#') {
		snprintf(msg, msize, "missing value for '%s'", k->key);
		return EINVAL;
	}

	if (*p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (vlen + 1 >= sizeof(v)) {
				snprintf(msg, msize, "value of '%s' too long",
				         k->key);
				return EINVAL;
			}
			v[vlen++] = *p;
		}
		if (p == end) {
			snprintf(msg, msize,
			         "unterminated quoted value for '%s'", k->key);
			return EINVAL;
		}
		if (*p == '"')
			p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p < end && *p != '#') {
			snprintf(
			    msg, msize,
			    "unexpected text after the quoted value of '%s'",
			    k->key);
			return EINVAL;
		}
	} else {
		vs = p;
		/* a comment starts at a '#' after white space */
		for (; p < end; p++)
			if (*p == '#' && (p[-1] == ' ' || p[-1] == '\t'))
				break;
		while (p > vs && (p[-1] == ' ' || p[-1] == '\t'))
			p--;
		vlen = (size_t)(p - vs);
		if (vlen >= sizeof(v)) {
			snprintf(msg, msize, "value of '%s' too long", k->key);
			return EINVAL;
		}
		memcpy(v, vs, vlen);
	}
	v[vlen] = '\0';

	if (set_value(cf, k, v, why, sizeof(why))) {
		snprintf(msg, msize, "bad value for '%s': %s", k->key, why);
		return EINVAL;
	}
	return 0;
}

int conf_load_text(struct conf *cf, const char *text, size_t len,
                   const char *name, char *errbuf, size_t errsize)
{
	const char *p = text, *end = text + len;
	char msg[320];
	unsigned line = 0;

	if (!cf || (!text && len))
		return EINVAL;
	if (!name)
		name = "(config)";

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (parse_line(cf, p, n, msg, sizeof(msg))) {
			errf(errbuf, errsize, "%s:%u: %s", name, line, msg);
			return EINVAL;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int conf_load_file(struct conf *cf, const char *path, char *errbuf,
                   size_t errsize)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0;
	int err = 0;

	if (!cf || !path)
		return EINVAL;
	f = fopen(path, "rb");
	if (!f) {
		errf(errbuf, errsize, "%s: cannot open: %s", path,
		     strerror(errno));
		return ENOENT;
	}
	buf = mem_alloc(FILE_MAX + 1, NULL);
	if (!buf) {
		err = ENOMEM;
		errf(errbuf, errsize, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f)) {
		err = EIO;
		errf(errbuf, errsize, "%s: read error", path);
		goto out;
	}
	if (n > FILE_MAX) {
		err = EINVAL;
		errf(errbuf, errsize, "%s: larger than %u octets", path,
		     FILE_MAX);
		goto out;
	}
	err = conf_load_text(cf, buf, n, path, errbuf, errsize);
out:
	mem_deref(buf);
	fclose(f);
	return err;
}

int conf_set(struct conf *cf, const char *key, const char *value, char *errbuf,
             size_t errsize)
{
	const struct conf_key *k;
	char v[VAL_MAX], why[160], shown[64];
	size_t len;

	if (!cf || !key || !value)
		return EINVAL;
	k = conf_key_find(key, strlen(key));
	if (!k) {
		errf(errbuf, errsize, "--%s: unknown key",
		     show(shown, sizeof(shown), key, strlen(key)));
		return EINVAL;
	}
	len = strlen(value);
	if (len >= sizeof(v)) {
		errf(errbuf, errsize, "--%s: value too long", k->key);
		return EINVAL;
	}
	memcpy(v, value, len + 1);
	if (set_value(cf, k, v, why, sizeof(why))) {
		errf(errbuf, errsize, "--%s: bad value '%s': %s", k->key,
		     show(shown, sizeof(shown), value, len), why);
		return EINVAL;
	}
	return 0;
}

/* Every single-valued key holds what set_value could have put there. */
static int check_fields(const struct conf *cf, char *errbuf, size_t errsize)
{
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *field = (const char *)cf + k->off;
		const char *msg = NULL;

		if (k->type == CONF_U32) {
			uint32_t n = *(const uint32_t *)(const void *)field;

			if (n < k->min || n > k->max) {
				errf(errbuf, errsize,
				     "%s %u is out of range %u..%u", k->key, n,
				     k->min, k->max);
				return EINVAL;
			}
		} else if (k->type == CONF_STR) {
			size_t len = strnlen(field, k->size);

			if (len == k->size)
				msg = "not terminated";
			else if (!len && (k->flags & CONF_NONEMPTY))
				msg = "must not be empty";
			else if (len && k->check)
				msg = k->check(field);
			if (msg) {
				errf(errbuf, errsize, "%s: %s", k->key, msg);
				return EINVAL;
			}
		}
	}
	if (cf->n_listen > CONF_MAX_LISTEN ||
	    cf->n_domains > CONF_MAX_DOMAINS) {
		errf(errbuf, errsize, "too many listen or domain entries");
		return EINVAL;
	}
	return 0;
}

int conf_validate(const struct conf *cf, char *errbuf, size_t errsize)
{
	int err;

	if (!cf)
		return EINVAL;
	err = check_fields(cf, errbuf, errsize);
	if (err)
		return err;

	for (uint32_t i = 0; i < cf->n_listen; i++) {
		if (strncasecmp(cf->listen[i].spec, "tls:", 4))
			continue;
		if (!cf->tls_cert[0] || !cf->tls_key[0]) {
			errf(errbuf, errsize,
			     "listen %.96s: a TLS listener needs tls.cert and "
			     "tls.key",
			     cf->listen[i].spec);
			return EINVAL;
		}
	}
	if (cf->http_tls_listen[0] &&
	    (!(cf->http_tls_cert[0] || cf->tls_cert[0]) ||
	     !(cf->http_tls_key[0] || cf->tls_key[0]))) {
		errf(errbuf, errsize,
		     "http.tls_listen %.96s needs http.tls_cert and "
		     "http.tls_key (or tls.cert and tls.key)",
		     cf->http_tls_listen);
		return EINVAL;
	}
	if (cf->tls_verify_client && !cf->tls_ca[0]) {
		errf(errbuf, errsize,
		     "tls.verify_client needs tls.ca (the CAs that sign "
		     "client certificates)");
		return EINVAL;
	}
	if (cf->reg_min_expires > cf->reg_default_expires ||
	    cf->reg_default_expires > cf->reg_max_expires) {
		errf(errbuf, errsize,
		     "registrar expiry: need min_expires (%u) <= "
		     "default_expires (%u) <= max_expires (%u)",
		     cf->reg_min_expires, cf->reg_default_expires,
		     cf->reg_max_expires);
		return EINVAL;
	}
	if (cf->t1_ms > cf->t2_ms) {
		errf(errbuf, errsize,
		     "sip.t1_ms (%u) must not exceed sip.t2_ms (%u)", cf->t1_ms,
		     cf->t2_ms);
		return EINVAL;
	}
	if (cf->max_hdr > cf->max_msg) {
		errf(errbuf, errsize,
		     "sip.max_hdr (%u) must not exceed sip.max_msg (%u)",
		     cf->max_hdr, cf->max_msg);
		return EINVAL;
	}
	if ((cf->auth_register || cf->auth_proxy) && !cf->auth_md5 &&
	    !cf->auth_sha256) {
		errf(errbuf, errsize,
		     "auth.md5 and auth.sha256 are both off: no challenge can "
		     "be sent (turn one on, or auth.register and auth.proxy "
		     "off)");
		return EINVAL;
	}
	return 0;
}

/* A string as a file value: bare when that reads back the same. */
static void put_value(FILE *f, const char *v)
{
	size_t len = strlen(v);
	bool quote = !len || v[0] == ' ' || v[0] == '\t' || v[0] == '"' ||
	             v[len - 1] == ' ' || v[len - 1] == '\t' ||
	             strpbrk(v, "#\\\"");

	if (!quote) {
		fputs(v, f);
		return;
	}
	fputc('"', f);
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void conf_dump(const struct conf *cf, FILE *f)
{
	if (!cf || !f)
		return;
	fprintf(f, "# impd configuration (every key, as in effect)\n");
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];
		const char *field = (const char *)cf + k->off;

		switch (k->type) {
		case CONF_LISTEN:
			for (uint32_t j = 0; j < cf->n_listen; j++)
				fprintf(f, "%-27s %s\n", k->key,
				        cf->listen[j].spec);
			if (!cf->n_listen)
				fprintf(f,
				        "# %-25s (none: udp:127.0.0.1:5060 "
				        "and tcp:127.0.0.1:5060)\n",
				        k->key);
			break;
		case CONF_DOMAIN:
			for (uint32_t j = 0; j < cf->n_domains; j++)
				fprintf(f, "%-27s %s\n", k->key,
				        cf->domains[j]);
			if (!cf->n_domains)
				fprintf(f, "# %-25s (none)\n", k->key);
			break;
		case CONF_STR:
			fprintf(f, "%-27s ", k->key);
			put_value(f, field);
			fputc('\n', f);
			break;
		case CONF_U32:
			fprintf(f, "%-27s %u\n", k->key,
			        *(const uint32_t *)(const void *)field);
			break;
		case CONF_BOOL:
			fprintf(f, "%-27s %s\n", k->key,
			        *(const bool *)(const void *)field ? "yes"
			                                           : "no");
			break;
		}
	}
}

/* Markdown table cell text: '|' escaped. */
static void put_cell(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

void conf_print_doc(FILE *f)
{
	if (!f)
		return;
	fprintf(f, "| key | default | values | meaning |\n"
	           "| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct conf_key *k = &conf_keys[i];

		fprintf(f, "| `%s` | ", k->key);
		if (k->def && *k->def)
			fprintf(f, "`%s`", k->def);
		else
			fprintf(f, "(none)");
		fprintf(f, " | ");
		switch (k->type) {
		case CONF_STR:
			fprintf(f, "text");
			break;
		case CONF_U32:
			fprintf(f, "%u..%u", k->min, k->max);
			break;
		case CONF_BOOL:
			fprintf(f, "yes/no");
			break;
		case CONF_LISTEN:
			put_cell(f, "udp|tcp|tls:ADDR:PORT, repeatable");
			break;
		case CONF_DOMAIN:
			fprintf(f, "domain name, repeatable");
			break;
		}
		fprintf(f, " | ");
		put_cell(f, k->doc);
		fprintf(f, " |\n");
	}
}
