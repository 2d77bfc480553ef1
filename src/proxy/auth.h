/* proxy/auth.h - digest authentication (RFC 3261 22, RFC 7616/8760) */
#ifndef PROXY_AUTH_H
#define PROXY_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#include "../base/pl.h"

struct store;
struct tmrl;
struct sip_stsx;
struct auth;

struct auth_conf {
	uint32_t nonce_ttl_s; /* a nonce is stale after this (300) */
	uint32_t cache_ttl_s; /* credential cache lifetime (60) */
	bool sha256;          /* offer SHA-256 challenges (true) */
	bool md5;             /* offer MD5 challenges (true) */
	const char *secret;   /* nonce HMAC key; random when NULL */
	bool sha256_first;    /* SHA-256 challenge before MD5 (false) */
};

enum auth_result {
	AUTH_OK,         /* credentials good; user/domain set */
	AUTH_CHALLENGED, /* 401/407 sent (no or stale credentials) */
	AUTH_REJECTED,   /* 403 sent (wrong password, unknown user ...) */
	AUTH_ERROR,      /* 500 sent (store failure) */
};

typedef void auth_h(enum auth_result r, const char *user, const char *domain,
                    void *arg);

int auth_alloc(struct auth **ap, struct store *st, struct tmrl *tl,
               const struct auth_conf *cf);
/* Check the request of st against realm. proxy: Proxy-Authorization and
 * 407, else Authorization and 401. Responses for every outcome but
 * AUTH_OK are sent on st. h runs later (credential lookup is async) or at
 * once; arg must be a mem object (held until h has run) or NULL. */
int auth_verify(struct auth *a, struct sip_stsx *st, const char *realm,
                bool proxy, auth_h *h, void *arg);
/* Forget cached credentials (after impctl changes; admin API later). */
void auth_cache_flush(struct auth *a);

/* Pure helpers (unit-tested against RFC 2617/7616 vectors). */
/* HA1 = H(user:realm:password), hex. alg: "MD5" or "SHA-256". */
int auth_ha1(char *out, size_t size, const char *alg, const char *user,
             const char *realm, const char *password);

#endif
