/* tests/unit/proxy/test_proxy_util.h - fixture for the stateful proxy tests */
#ifndef TEST_PROXY_UTIL_H
#define TEST_PROXY_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "base/pl.h"
#include "proxy/proxy.h"
#include "sip/msg.h"

struct tmrl;
struct rec_tp;
struct sip_tsxl;
struct store;
struct dom;
struct loc;
struct auth;
struct registrar;

/* A binding loaded into the location service before the proxy starts. */
struct pt_binding {
	const char *aor;     /* "bob@example.com" */
	const char *contact; /* "sip:bob@192.0.2.20:5070" */
	const char *rx;      /* "udp:192.0.2.20:5070" */
	uint32_t q;          /* x1000 */
	const char *path;    /* or NULL */
};

struct pfix {
	struct tmrl *tmrl;
	struct rec_tp *rt;
	struct sip_tsxl *tl;
	struct store *st;
	struct dom *dom;
	struct loc *loc;
	struct auth *auth;
	struct registrar *reg;
	struct proxy *p;
};

/*
 * In a --oom replay an allocation failure inside the proxy is swallowed
 * (it answers 500 or drops), so later expectations may not hold: there
 * the checks below turn into ENOMEM. A normal run has allocated before
 * the test starts (mem_fail_count() > 0) or is the first one run; a
 * replay starts at 0. Either way a failed check fails a normal run.
 */
extern bool pt_oom;
extern uint32_t pt_starts;
#define PT_START() (pt_oom = pt_starts++ > 0 && mem_fail_count() == 0)
#define PT_ERR(e)                                                              \
	do {                                                                   \
		int pt_e = (e);                                                \
		if (pt_e) {                                                    \
			err = pt_oom ? ENOMEM : pt_e;                          \
			if (!pt_oom)                                           \
				TEST_ERR(err);                                 \
			goto out;                                              \
		}                                                              \
	} while (0)
#define PT_ASSERT(c)                                                           \
	do {                                                                   \
		if (!(c)) {                                                    \
			if (pt_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_ASSERT(c);                                        \
		}                                                              \
	} while (0)
#define PT_EQ(a, b)                                                            \
	do {                                                                   \
		if ((long long)(a) != (long long)(b)) {                        \
			if (pt_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_EQ(a, b);                                         \
		}                                                              \
	} while (0)

/* cf NULL: defaults (no auth). users: "alice" etc. in example.com with
 * password "secret" (auth module enabled when n_users > 0). The proxy gets
 * f->st as its user directory (proxy_set_store). */
int pfix_init(struct pfix *f, const struct proxy_conf *cf,
              const struct pt_binding *b, uint32_t nb, const char *const *users,
              uint32_t n_users, bool registrar);
void pfix_close(struct pfix *f);

/* Feed a received message (lone "\n" become CRLF). */
int pt_recv(struct pfix *f, enum sip_transp tp, const char *src,
            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A request from the caller at udp 192.0.2.1:5062: method, Request-URI,
 * branch, From URI, To URI (NULL: the Request-URI), To tag (or NULL),
 * Max-Forwards (-1: none), extra header lines ("X: y\n"). */
int pt_req(struct pfix *f, const char *met, const char *ruri,
           const char *branch, const char *from, const char *to,
           const char *totag, int mf, const char *extra);
/* The downstream that got record idx answers it. */
int pt_respond(struct pfix *f, uint32_t idx, uint16_t scode, const char *totag,
               const char *extra);
/* First record at or after from starting with prefix ("SIP/2.0 180",
 * "INVITE ") sent to addr ("192.0.2.20:5070", NULL: any); -1 if none. */
int pt_find(const struct pfix *f, uint32_t from, const char *prefix,
            const char *addr);
uint32_t pt_count(const struct pfix *f, const char *prefix, const char *addr);
/* Does record idx contain s? */
bool pt_has(const struct pfix *f, int idx, const char *s);
/* Copy record idx as a NUL-terminated string (mem). */
int pt_text(char **sp, const struct pfix *f, int idx);
uint32_t pt_n(const struct pfix *f);

#endif
