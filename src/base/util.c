/* base/util.c - small helpers: random tokens, digests, time formats */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int rand_bytes(void *p, size_t n)
{
	uint8_t *b = p;

	if (!p && n)
		return EINVAL;
	while (n) {
		int chunk = n > INT_MAX ? INT_MAX : (int)n;

		if (RAND_bytes(b, chunk) != 1) {
			/* OpenSSL's pool failed: the kernel's is as good */
			ssize_t r = getrandom(b, (size_t)chunk, 0);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return EIO;
			}
			chunk = (int)r;
		}
		b += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

uint32_t rand_u32(void)
{
	uint32_t v = 0;

	(void)rand_bytes(&v, sizeof(v));
	return v;
}

void rand_token(char *buf, size_t n)
{
	static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	uint8_t rnd[64];
	size_t i = 0;

	if (!buf)
		return;
	while (i < n) {
		(void)rand_bytes(rnd, sizeof(rnd));
		for (size_t k = 0; k < sizeof(rnd) && i < n; k++) {
			/* 252 = 7 * 36: reject the rest to stay unbiased */
			if (rnd[k] >= 252)
				continue;
			buf[i++] = alphabet[rnd[k] % 36];
		}
	}
	buf[n] = '\0';
}

static void to_hex(char *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static void digest_hex(char *out, size_t outlen, const EVP_MD *md,
                       const void *p, size_t n)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	if (!md || !EVP_Digest(p ? p : "", p ? n : 0, d, &dl, md, NULL) ||
	    2 * (size_t)dl + 1 > outlen) {
		/* only when the crypto library is broken (e.g. FIPS without
		 * MD5): an empty string never matches a real digest */
		out[0] = '\0';
		return;
	}
	to_hex(out, d, dl);
}

void md5_hex(char out[33], const void *p, size_t n)
{
	digest_hex(out, 33, EVP_md5(), p, n);
}

void sha256_hex(char out[65], const void *p, size_t n)
{
	digest_hex(out, 65, EVP_sha256(), p, n);
}

void hmac_sha256_hex(char out[65], const void *key, size_t klen, const void *p,
                     size_t n)
{
	uint8_t d[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;

	if (klen > INT_MAX ||
	    !HMAC(EVP_sha256(), key ? key : "", key ? (int)klen : 0,
	          p ? p : (const void *)"", p ? n : 0, d, &dl) ||
	    dl != 32) {
		out[0] = '\0';
		return;
	}
	to_hex(out, d, dl);
}

const char *err_str(int err)
{
	static _Thread_local char buf[128];
	const char *s;

	s = strerror_r(err, buf, sizeof(buf));
	if (!s || !*s) {
		snprintf(buf, sizeof(buf), "error %d", err);
		s = buf;
	}
	return s;
}
