/* conf/conf_int.h - the key table behind conf.c */
#ifndef CONF_INT_H
#define CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"

enum conf_type {
	CONF_STR,    /* char[] field; size = sizeof the field */
	CONF_U32,    /* uint32_t within [min, max] */
	CONF_BOOL,   /* yes/no/true/false/on/off/1/0 */
	CONF_LISTEN, /* repeatable: struct conf_listen listen[], n_listen */
	CONF_DOMAIN, /* repeatable: domains[][128], n_domains */
};

enum conf_flags {
	CONF_RELOAD = 1 << 0,   /* takes effect on reload (else restart) */
	CONF_NONEMPTY = 1 << 1, /* a string that must not be empty */
};

/* Extra check of a string value: NULL when fine, else what is expected
 * ("expected one of debug, info, ..."). */
typedef const char *conf_check_h(const char *value);

/* One key: parse, default, bounds, dump and documentation. */
struct conf_key {
	const char *key; /* "registrar.min_expires" */
	enum conf_type type;
	size_t off;          /* offsetof(struct conf, field) */
	size_t size;         /* CONF_STR: sizeof the field */
	const char *def;     /* default, as written in a file; NULL: none */
	uint32_t min, max;   /* CONF_U32 bounds */
	unsigned flags;      /* enum conf_flags */
	conf_check_h *check; /* CONF_STR: or NULL */
	const char *doc;
};

extern const struct conf_key conf_keys[];
extern const size_t conf_nkeys;

/* The entry for key (case-insensitive), or NULL. */
const struct conf_key *conf_key_find(const char *key, size_t len);

#endif
