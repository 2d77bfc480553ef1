/* conf/conf.h - impd configuration: one file, one table of keys */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_LISTEN  16
#define CONF_MAX_DOMAINS 16

/* A listener: "udp:127.0.0.1:5060", "tcp:[::1]:5060", "tls:0.0.0.0:5061". */
struct conf_listen {
	char spec[96];
};

struct conf {
	/* [core] */
	struct conf_listen listen[CONF_MAX_LISTEN];
	uint32_t n_listen;
	char domains[CONF_MAX_DOMAINS][128]; /* "domain" may repeat */
	uint32_t n_domains;
	char store[512];      /* "sqlite:impd.db" */
	char server_name[64]; /* "impd/0.1.0" */
	char log_level[16];   /* "info" */

	/* [tls] */
	char tls_cert[512];
	char tls_key[512];
	char tls_ca[512];
	bool tls_verify_client;
	bool tls_verify_server;

	/* [sip] transport and transaction limits */
	uint32_t max_msg;    /* 65535 */
	uint32_t max_hdr;    /* 16384 */
	uint32_t max_conns;  /* 4096 */
	uint32_t tcp_idle_s; /* 600 */
	uint32_t connect_ms; /* 5000 */
	uint32_t udp_mtu;    /* 1300 */
	uint32_t t1_ms;      /* 500 */
	uint32_t t2_ms;      /* 4000 */
	uint32_t t4_ms;      /* 5000 */
	bool lenient;        /* accept the seeds' sloppy forms, logged */

	/* [registrar] */
	uint32_t reg_min_expires;     /* 60 */
	uint32_t reg_max_expires;     /* 3600 */
	uint32_t reg_default_expires; /* 3600 */
	uint32_t reg_max_contacts;    /* 10 */

	/* [auth] */
	bool auth_register;     /* true */
	bool auth_proxy;        /* true: 407 for local users' requests */
	uint32_t nonce_ttl_s;   /* 300 */
	uint32_t auth_cache_s;  /* 60 */
	bool auth_md5;          /* true */
	bool auth_sha256;       /* false */
	bool auth_sha256_first; /* false: MD5 challenge first */

	/* [proxy] */
	uint32_t timer_c_s; /* 180 */
	uint32_t serial_s;  /* 0 */

	/* [events] RFC 6665 notifier */
	uint32_t evt_min_expires;        /* 60 */
	uint32_t evt_max_expires;        /* 3600 */
	uint32_t evt_notify_interval_ms; /* 500 */
	uint32_t evt_notify_retries;     /* 3 */
	uint32_t evt_max_subs;           /* 0: no limit */

	/* [presence] */
	uint32_t pres_pub_min_expires;     /* 60 */
	uint32_t pres_pub_max_expires;     /* 3600 */
	uint32_t pres_pub_default_expires; /* 3600 */
	uint32_t pres_sub_default_expires; /* 3600 */
	uint32_t pres_max_doc;             /* 65536 */
	uint32_t pres_max_pubs;            /* 16 */
	bool pres_lenient;                 /* yes: seed PIDF forms */
	char pres_trusted[512];            /* "" */
	char pres_default_local[16];       /* "allow" */
	char pres_default_foreign[16];     /* "confirm" */
	bool pres_trust_foreign_from;      /* no */
	uint32_t pres_rules_poll_ms;       /* 500 */

	/* [im] pager messages */
	uint32_t im_max_body;         /* 65536 */
	bool im_store_offline;        /* yes */
	uint32_t im_quota_msgs;       /* 100 */
	uint32_t im_quota_kb;         /* 1024 */
	uint32_t im_max_age_h;        /* 168 */
	uint32_t im_retry_s;          /* 60 */
	char im_archive_domains[512]; /* "" */
	uint32_t im_archive_days;     /* 365 */
	char im_exploder[64];         /* "exploder" */
	uint32_t im_max_group;        /* 100 */

	/* [http] */
	char http_listen[96]; /* "" = no HTTP */
	char http_admins[512];
	uint32_t http_max_body;   /* 1048576 */
	char http_tls_listen[96]; /* "" = no HTTPS */
	char http_tls_cert[512];  /* "" = tls_cert */
	char http_tls_key[512];   /* "" = tls_key */

	/* [xcap] */
	char xcap_root[64];      /* "/xcap" */
	char xcap_root_uri[256]; /* "" = from the listener */
	uint32_t xcap_max_doc;   /* 1048576 */

	/* [rls] */
	char rls_buddies_suffix[32]; /* "-buddies" */
	uint32_t rls_max_resources;  /* 1000 */
	uint32_t rls_wait_ms;        /* 300 */
	uint32_t rls_be_expires;     /* 3600 */
};

/* Fill every field with its default. */
void conf_defaults(struct conf *cf);
/* Parse a file into cf (call conf_defaults first). On error: EINVAL and
 * errbuf holds "path:line: message". ENOENT if the file cannot be opened
 * (message in errbuf too). */
int conf_load_file(struct conf *cf, const char *path, char *errbuf,
                   size_t errsize);
/* Parse text (name for messages). Pure: used by the fuzzer. */
int conf_load_text(struct conf *cf, const char *text, size_t len,
                   const char *name, char *errbuf, size_t errsize);
/* Set one key from the command line ("listen", "udp:..."). Same
 * validation; errbuf gets "--key: message". */
int conf_set(struct conf *cf, const char *key, const char *value, char *errbuf,
             size_t errsize);
/* Check cross-key rules (TLS listener needs cert and key, min <= default
 * <= max expires ...). */
int conf_validate(const struct conf *cf, char *errbuf, size_t errsize);
/* Print every key with its value (--dump-config) or with its default and
 * documentation (--help-config, for the README table). */
void conf_dump(const struct conf *cf, FILE *f);
void conf_print_doc(FILE *f);

#endif
