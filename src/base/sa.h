/* base/sa.h - socket addresses (IPv4/IPv6) */
#ifndef BASE_SA_H
#define BASE_SA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pl.h"

struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};

void sa_init(struct sa *sa, int af);
/* Numeric address only (no DNS): "127.0.0.1", "::1", "[::1]". EINVAL. */
int sa_set_str(struct sa *sa, const char *addr, uint16_t port);
int sa_set_pl(struct sa *sa, const struct pl *addr, uint16_t port);
/* "host:port", "[v6]:port". EINVAL. */
int sa_decode(struct sa *sa, const char *str, size_t len);
int sa_af(const struct sa *sa);
uint16_t sa_port(const struct sa *sa);
void sa_set_port(struct sa *sa, uint16_t port);
bool sa_isset(const struct sa *sa);
/* Address only ("127.0.0.1", "::1"). */
int sa_ntop(const struct sa *sa, char *buf, size_t size);
/* "127.0.0.1:5060" or "[::1]:5060". */
int sa_print(const struct sa *sa, char *buf, size_t size);
/* Address and port equal. */
bool sa_cmp(const struct sa *a, const struct sa *b);
bool sa_cmp_addr(const struct sa *a, const struct sa *b);
bool sa_is_loopback(const struct sa *sa);
uint32_t sa_hash(const struct sa *sa);

#endif
