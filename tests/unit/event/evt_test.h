/* tests/unit/event/evt_test.h - fixture for the events framework tests: a
 * fake clock, the recording transport, a transaction layer that hands
 * SUBSCRIBE and NOTIFY to evt as the proxy does, and a tiny package */
#ifndef TEST_EVT_TEST_H
#define TEST_EVT_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "base/mem.h"
#include "event/evt.h"
#include "sip/msg.h"
#include "test.h"

struct tmrl;
struct rec_tp;
struct sip_tsxl;
struct store;

/* How the test package decides. */
enum tp_mode {
	TP_ACTIVE = 0,
	TP_PENDING,
	TP_REJECT, /* 403 */
	TP_DEFER,  /* keeps the sub in tp.last; the test decides */
};

struct tpkg {
	enum tp_mode mode;
	char state[64];       /* the package's state: NOTIFY bodies */
	struct evt_sub *last; /* reference: the last new subscription */
	uint32_t nsub;        /* subscribe calls */
	uint32_t nrestored;   /* of those, restored ones */
	uint32_t nended;
	uint32_t nbody;
	uint32_t nfull;        /* body calls asking for the full state */
	uint32_t last_version; /* evt_sub_version in the last body call */
};

struct efix {
	struct tmrl *tmrl;
	struct rec_tp *rt;
	struct sip_tsxl *tl;
	struct store *st;
	struct evt *e;
	struct tpkg pkg;
	const char *ident; /* what the "proxy" says authenticated */
	uint32_t branch;
};

/* Conf used when init gets NULL. */
extern const struct evt_conf efix_conf;

/*
 * In a --oom replay an allocation failure inside evt is swallowed (it
 * answers 500 or sends nothing), so later expectations may not hold: the
 * checks below turn into ENOMEM there. A normal run has allocated before
 * the test starts or is the first one; a replay starts at count 0.
 */
extern bool ev_oom;
extern uint32_t ev_starts;
#define EV_START() (ev_oom = ev_starts++ > 0 && mem_fail_count() == 0)
#define EV_ERR(e)                                                              \
	do {                                                                   \
		int ev_e = (e);                                                \
		if (ev_e) {                                                    \
			err = ev_oom ? ENOMEM : ev_e;                          \
			if (!ev_oom)                                           \
				TEST_ERR(err);                                 \
			goto out;                                              \
		}                                                              \
	} while (0)
#define EV_ASSERT(c)                                                           \
	do {                                                                   \
		if (!(c)) {                                                    \
			if (ev_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_ASSERT(c);                                        \
		}                                                              \
	} while (0)
#define EV_EQ(a, b)                                                            \
	do {                                                                   \
		if ((long long)(a) != (long long)(b)) {                        \
			if (ev_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_EQ(a, b);                                         \
		}                                                              \
	} while (0)

#define EV_STR(expected, actual)                                               \
	do {                                                                   \
		const char *ev_a = (actual);                                   \
		if (!ev_a || strcmp((expected), ev_a)) {                       \
			if (ev_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_STR_EQ(expected, ev_a);                           \
		}                                                              \
	} while (0)
#define EV_PL(expected, plp)                                                   \
	do {                                                                   \
		if (pl_strcmp((plp), (expected))) {                            \
			if (ev_oom) {                                          \
				err = ENOMEM;                                  \
				goto out;                                      \
			}                                                      \
			TEST_PL_EQ(expected, plp);                             \
		}                                                              \
	} while (0)

/* cf NULL: efix_conf. store: open a "mem:" store. winfo: register the
 * package "test" with watcher info. nrec: records the transport keeps. */
int efix_init(struct efix *f, const struct evt_conf *cf, bool store, bool winfo,
              uint32_t nrec);
void efix_close(struct efix *f);
/* Free the evt only (the store stays), for restore tests. */
void efix_evt_free(struct efix *f);
/* New evt on the same transport and store, package registered. */
int efix_evt_new(struct efix *f, const struct evt_conf *cf, bool winfo);

/* One SUBSCRIBE. */
struct sreq {
	const char *user;    /* Request-URI user at example.com ("bob") */
	const char *event;   /* Event value ("test") */
	const char *callid;  /* "c1" */
	const char *ftag;    /* From tag ("a1") */
	const char *from;    /* From URI ("sip:alice@a.example.com") */
	const char *totag;   /* NULL: out of dialog */
	uint32_t cseq;       /* 0: 1 */
	int64_t expires;     /* -1: no Expires header */
	const char *extra;   /* more header lines ("X: y\n"), or NULL */
	enum sip_transp tp;  /* NONE: UDP */
	const char *src;     /* NULL: "192.0.2.1:5060" */
	const char *body;    /* NULL: none */
	const char *contact; /* NULL: "sip:alice@192.0.2.1:5060" */
};
void sreq_init(struct sreq *r);
/* Send r through the transaction layer; *rspp: the response evt sent
 * (decoded), if rspp. ENOMEM when nothing came back. */
int efix_subscribe(struct efix *f, const struct sreq *r, struct sip_msg **rspp);
/* Feed literal text (lone "\n" become "\r\n") through the layer. */
int efix_recv(struct efix *f, const char *text, enum sip_transp tp,
              const char *src);

/* Index of the first NOTIFY at or after from, or -1; with msgp, the
 * decoded NOTIFY. */
int efix_notify(struct efix *f, uint32_t from, struct sip_msg **msgp);
uint32_t efix_count(struct efix *f, const char *prefix);
uint32_t efix_nrec(struct efix *f);
/* Answer the request recorded at index i with scode (to_tag: added to
 * To when it has none, for SUBSCRIBE answers; extra header lines). */
int efix_answer(struct efix *f, uint32_t i, uint16_t scode, const char *to_tag,
                const char *extra);
/* Answer every NOTIFY recorded at or after from with scode; returns how
 * many. */
uint32_t efix_answer_all(struct efix *f, uint32_t from, uint16_t scode);
/* Header value of msg (first), copied; "" when absent. */
const char *efix_hdr(const struct sip_msg *msg, enum sip_hdrid id, char *buf,
                     size_t size);
/* The body of msg as a C string. */
const char *efix_body(const struct sip_msg *msg, char *buf, size_t size);
void efix_advance(struct efix *f, uint64_t ms);

#endif
