/* base/util.h - small helpers: random tokens, digests, time formats */
#ifndef BASE_UTIL_H
#define BASE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "pl.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

/* Cryptographically strong random bytes (OpenSSL RAND_bytes). */
int rand_bytes(void *p, size_t n);
uint32_t rand_u32(void);
/* n random characters from [0-9a-z] into buf, NUL-terminated (buf holds
 * n + 1). */
void rand_token(char *buf, size_t n);

/* Hex digests, NUL-terminated: md5 33 octets, sha256 65 octets. */
void md5_hex(char out[33], const void *p, size_t n);
void sha256_hex(char out[65], const void *p, size_t n);
/* HMAC-SHA256 of p with key, as hex (65 octets). */
void hmac_sha256_hex(char out[65], const void *key, size_t klen, const void *p,
                     size_t n);

/* strerror that never fails (thread-safe). */
const char *err_str(int err);

#endif
