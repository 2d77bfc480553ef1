/* base/sa.c - socket addresses (IPv4/IPv6) */
#include "sa.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

void sa_init(struct sa *sa, int af)
{
	if (!sa)
		return;
	memset(sa, 0, sizeof(*sa));
	sa->u.sa.sa_family = (sa_family_t)af;
	if (af == AF_INET)
		sa->len = sizeof(struct sockaddr_in);
	else if (af == AF_INET6)
		sa->len = sizeof(struct sockaddr_in6);
	else
		sa->len = 0;
}

/* Numeric IPv4 or IPv6 (optionally in brackets) from a bounded string. */
static int set_addr(struct sa *sa, const char *p, size_t n, uint16_t port)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct sa s;

	if (n >= 2 && p[0] == '[' && p[n - 1] == ']') {
		p++;
		n -= 2;
		if (!n || n >= sizeof(tmp) || !memchr(p, ':', n))
			return EINVAL;
		memcpy(tmp, p, n);
		tmp[n] = '\0';
		sa_init(&s, AF_INET6);
		if (inet_pton(AF_INET6, tmp, &s.u.in6.sin6_addr) != 1)
			return EINVAL;
		goto ok;
	}
	if (!n || n >= sizeof(tmp))
		return EINVAL;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	sa_init(&s, AF_INET);
	if (inet_pton(AF_INET, tmp, &s.u.in.sin_addr) == 1)
		goto ok;
	sa_init(&s, AF_INET6);
	if (inet_pton(AF_INET6, tmp, &s.u.in6.sin6_addr) == 1)
		goto ok;
	return EINVAL;
ok:
	sa_set_port(&s, port);
	*sa = s;
	return 0;
}

int sa_set_str(struct sa *sa, const char *addr, uint16_t port)
{
	if (!sa || !addr)
		return EINVAL;
	return set_addr(sa, addr, strlen(addr), port);
}

int sa_set_pl(struct sa *sa, const struct pl *addr, uint16_t port)
{
	if (!sa || !addr || !addr->p)
		return EINVAL;
	return set_addr(sa, addr->p, addr->l, port);
}

int sa_decode(struct sa *sa, const char *str, size_t len)
{
	struct pl pport;
	uint32_t port = 0;
	size_t hlen;
	int err;

	if (!sa || !str || !len)
		return EINVAL;
	if (str[0] == '[') {
		const char *rb = memchr(str, ']', len);

		if (!rb)
			return EINVAL;
		hlen = (size_t)(rb - str) + 1;
		if (hlen < len && str[hlen] != ':')
			return EINVAL;
	} else {
		const char *c = memchr(str, ':', len);

		hlen = c ? (size_t)(c - str) : len;
		/* a second colon: bare IPv6, which needs brackets here */
		if (c && memchr(c + 1, ':', len - hlen - 1))
			return EINVAL;
	}
	if (hlen < len) {
		pport.p = str + hlen + 1;
		pport.l = len - hlen - 1;
		err = pl_u32(&pport, &port);
		if (err || port > 65535)
			return EINVAL;
	}
	return set_addr(sa, str, hlen, (uint16_t)port);
}

int sa_af(const struct sa *sa)
{
	return sa ? sa->u.sa.sa_family : AF_UNSPEC;
}

uint16_t sa_port(const struct sa *sa)
{
	if (!sa)
		return 0;
	switch (sa->u.sa.sa_family) {
	case AF_INET:
		return ntohs(sa->u.in.sin_port);
	case AF_INET6:
		return ntohs(sa->u.in6.sin6_port);
	default:
		return 0;
	}
}

void sa_set_port(struct sa *sa, uint16_t port)
{
	if (!sa)
		return;
	switch (sa->u.sa.sa_family) {
	case AF_INET:
		sa->u.in.sin_port = htons(port);
		break;
	case AF_INET6:
		sa->u.in6.sin6_port = htons(port);
		break;
	default:
		break;
	}
}

bool sa_isset(const struct sa *sa)
{
	int af = sa_af(sa);

	return af == AF_INET || af == AF_INET6;
}

int sa_ntop(const struct sa *sa, char *buf, size_t size)
{
	char tmp[INET6_ADDRSTRLEN];
	const void *a;
	size_t n;

	if (!sa || !buf || !size)
		return EINVAL;
	if (sa_af(sa) == AF_INET)
		a = &sa->u.in.sin_addr;
	else if (sa_af(sa) == AF_INET6)
		a = &sa->u.in6.sin6_addr;
	else
		return EAFNOSUPPORT;
	if (!inet_ntop(sa_af(sa), a, tmp, sizeof(tmp)))
		return errno ? errno : EINVAL;
	n = strlen(tmp);
	if (n >= size)
		return ERANGE;
	memcpy(buf, tmp, n + 1);
	return 0;
}

int sa_print(const struct sa *sa, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];
	int err, n;

	if (!buf || !size)
		return EINVAL;
	err = sa_ntop(sa, addr, sizeof(addr));
	if (err)
		return err;
	if (sa_af(sa) == AF_INET6)
		n = snprintf(buf, size, "[%s]:%u", addr, sa_port(sa));
	else
		n = snprintf(buf, size, "%s:%u", addr, sa_port(sa));
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return ERANGE;
	}
	return 0;
}

bool sa_cmp_addr(const struct sa *a, const struct sa *b)
{
	if (!a || !b || sa_af(a) != sa_af(b))
		return false;
	switch (sa_af(a)) {
	case AF_INET:
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	case AF_INET6:
		return !memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr,
		               sizeof(a->u.in6.sin6_addr));
	default:
		return sa_af(a) == AF_UNSPEC;
	}
}

bool sa_cmp(const struct sa *a, const struct sa *b)
{
	return sa_cmp_addr(a, b) && sa_port(a) == sa_port(b);
}

bool sa_is_loopback(const struct sa *sa)
{
	const uint8_t *b;

	switch (sa_af(sa)) {
	case AF_INET:
		return (ntohl(sa->u.in.sin_addr.s_addr) >> 24) == 127;
	case AF_INET6:
		if (IN6_IS_ADDR_LOOPBACK(&sa->u.in6.sin6_addr))
			return true;
		b = sa->u.in6.sin6_addr.s6_addr;
		return IN6_IS_ADDR_V4MAPPED(&sa->u.in6.sin6_addr) &&
		       b[12] == 127;
	default:
		return false;
	}
}

uint32_t sa_hash(const struct sa *sa)
{
	const uint8_t *p;
	uint32_t h = 2166136261u;
	size_t n;
	uint16_t port;

	switch (sa_af(sa)) {
	case AF_INET:
		p = (const uint8_t *)&sa->u.in.sin_addr;
		n = sizeof(sa->u.in.sin_addr);
		break;
	case AF_INET6:
		p = sa->u.in6.sin6_addr.s6_addr;
		n = sizeof(sa->u.in6.sin6_addr);
		break;
	default:
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	port = sa_port(sa);
	h ^= (uint32_t)(port >> 8);
	h *= 16777619u;
	h ^= (uint32_t)(port & 0xff);
	h *= 16777619u;
	return h;
}
