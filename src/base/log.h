/* base/log.h - leveled, per-module logging with a carried context */
#ifndef BASE_LOG_H
#define BASE_LOG_H

#include <stdarg.h>
#include <stdint.h>

/* syslog priorities */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARN = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Who and what a line is about: carried by the object (transaction,
 * connection, subscription), printed as key=value before the text. */
struct log_ctx {
	char callid[33]; /* first 32 octets of the Call-ID, or empty */
	char peer[64];   /* "udp:192.0.2.4:5060" or empty */
	char branch[40]; /* Via branch or empty */
};

/* Each .c that logs defines LOG_MODULE "sub.part" before including. */
void log_msg(const char *module, enum log_level lvl, const struct log_ctx *ctx,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(const char *module, enum log_level lvl, const struct log_ctx *ctx,
              const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* Is a line at lvl for module printed? (cheap; check before costly
 * formatting) */
int log_enabled(const char *module, enum log_level lvl);

/* Default level for all modules, and per module prefix ("sip" matches
 * "sip.tsx"). */
void log_level_set(enum log_level lvl);
int log_module_level_set(const char *prefix, enum log_level lvl);
/* Parse "debug", "info", "notice", "warn", "err". */
int log_level_parse(const char *s, enum log_level *lvl);

/* Replace the output (default: stderr with "<N>" prefixes). Tests
 * capture lines this way. NULL restores the default. */
typedef void log_h(enum log_level lvl, const char *module, const char *line,
                   void *arg);
void log_handler_set(log_h *h, void *arg);
/* added by base: the current handler and argument (NULL: the default),
 * so a test can restore what it replaced. */
void log_handler_get(log_h **hp, void **argp);
/* added by base: the default level (as set by log_level_set). */
enum log_level log_level_get(void);

/* Rate limit: returns 1 if a line for this limiter may be printed now
 * (at most burst lines per period_s seconds, the rest counted and
 * reported as "(N suppressed)" with the next line). */
struct log_rl {
	uint64_t window_start;
	uint32_t count;
	uint32_t suppressed;
	uint32_t burst;
	uint32_t period_s;
};
#define LOG_RL_INIT(burst, period)                                             \
	{                                                                      \
		0, 0, 0, (burst), (period)                                     \
	}
int log_rl_allow(struct log_rl *rl, uint32_t *suppressed);

#define log_err(ctx, ...)  log_msg(LOG_MODULE, LOG_LVL_ERR, ctx, __VA_ARGS__)
#define log_warn(ctx, ...) log_msg(LOG_MODULE, LOG_LVL_WARN, ctx, __VA_ARGS__)
#define log_notice(ctx, ...)                                                   \
	log_msg(LOG_MODULE, LOG_LVL_NOTICE, ctx, __VA_ARGS__)
#define log_info(ctx, ...) log_msg(LOG_MODULE, LOG_LVL_INFO, ctx, __VA_ARGS__)
#define log_debug(ctx, ...)                                                    \
	do {                                                                   \
		if (log_enabled(LOG_MODULE, LOG_LVL_DEBUG))                    \
			log_msg(LOG_MODULE, LOG_LVL_DEBUG, ctx, __VA_ARGS__);  \
	} while (0)

#endif
