/* base/log.c - leveled, per-module logging with a carried context */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_MAX    2048
#define LOG_MODULES_MAX 64
#define LOG_PREFIX_MAX  48

struct mod_level {
	char prefix[LOG_PREFIX_MAX];
	size_t len;
	enum log_level lvl;
};

static pthread_mutex_t log_mtx = PTHREAD_MUTEX_INITIALIZER;
/* serialises calls of a custom handler (tests capture from any thread) */
static pthread_mutex_t out_mtx = PTHREAD_MUTEX_INITIALIZER;
static enum log_level default_level = LOG_LVL_INFO;
static struct mod_level mods[LOG_MODULES_MAX];
static size_t nmods;
static log_h *handler;
static void *handler_arg;
static _Thread_local int in_handler;

/* Longest prefix that equals module or is followed by '.' in it; the
 * caller holds log_mtx. */
static enum log_level level_for(const char *module)
{
	enum log_level lvl = default_level;
	size_t best = 0;

	if (!module)
		return lvl;
	for (size_t i = 0; i < nmods; i++) {
		const struct mod_level *m = &mods[i];

		if (m->len <= best || strncmp(module, m->prefix, m->len))
			continue;
		if (module[m->len] != '\0' && module[m->len] != '.')
			continue;
		best = m->len;
		lvl = m->lvl;
	}
	return lvl;
}

int log_enabled(const char *module, enum log_level lvl)
{
	enum log_level max;

	pthread_mutex_lock(&log_mtx);
	max = nmods ? level_for(module) : default_level;
	pthread_mutex_unlock(&log_mtx);
	return lvl <= max;
}

void log_level_set(enum log_level lvl)
{
	pthread_mutex_lock(&log_mtx);
	default_level = lvl;
	pthread_mutex_unlock(&log_mtx);
}

int log_module_level_set(const char *prefix, enum log_level lvl)
{
	size_t len;
	int err = 0;

	if (!prefix)
		return EINVAL;
	len = strlen(prefix);
	if (len >= LOG_PREFIX_MAX)
		return EINVAL;
	if (!len) {
		log_level_set(lvl);
		return 0;
	}
	pthread_mutex_lock(&log_mtx);
	for (size_t i = 0; i < nmods; i++) {
		if (mods[i].len == len && !strcmp(mods[i].prefix, prefix)) {
			mods[i].lvl = lvl;
			goto out;
		}
	}
	if (nmods == LOG_MODULES_MAX) {
		err = ENOSPC;
		goto out;
	}
	memcpy(mods[nmods].prefix, prefix, len + 1);
	mods[nmods].len = len;
	mods[nmods].lvl = lvl;
	nmods++;
out:
	pthread_mutex_unlock(&log_mtx);
	return err;
}

int log_level_parse(const char *s, enum log_level *lvl)
{
	static const struct {
		const char *name;
		enum log_level lvl;
	} names[] = {
	    {"debug", LOG_LVL_DEBUG},   {"info", LOG_LVL_INFO},
	    {"notice", LOG_LVL_NOTICE}, {"warn", LOG_LVL_WARN},
	    {"warning", LOG_LVL_WARN},  {"err", LOG_LVL_ERR},
	    {"error", LOG_LVL_ERR},
	};

	if (!s || !lvl)
		return EINVAL;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i].name)) {
			*lvl = names[i].lvl;
			return 0;
		}
	}
	return EINVAL;
}

void log_handler_set(log_h *h, void *arg)
{
	pthread_mutex_lock(&log_mtx);
	handler = h;
	handler_arg = arg;
	pthread_mutex_unlock(&log_mtx);
}

void log_handler_get(log_h **hp, void **argp)
{
	pthread_mutex_lock(&log_mtx);
	if (hp)
		*hp = handler;
	if (argp)
		*argp = handler_arg;
	pthread_mutex_unlock(&log_mtx);
}

enum log_level log_level_get(void)
{
	enum log_level lvl;

	pthread_mutex_lock(&log_mtx);
	lvl = default_level;
	pthread_mutex_unlock(&log_mtx);
	return lvl;
}

/* Append to line at *pos, truncating at size - 1. */
static void append(char *line, size_t size, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *line, size_t size, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= size - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line + *pos, size - *pos, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	*pos += (size_t)n;
	if (*pos > size - 1)
		*pos = size - 1;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void default_output(enum log_level lvl, const char *module,
                           const char *line)
{
	char out[LOG_LINE_MAX + 96];
	int n;

	n = snprintf(out, sizeof(out) - 1, "<%d>%s %s", (int)lvl,
	             module ? module : "-", line);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(out) - 2)
		n = (int)sizeof(out) - 2;
	out[n++] = '\n';
	/* one write per line: lines from threads do not interleave */
	write_all(STDERR_FILENO, out, (size_t)n);
}

void log_vmsg(const char *module, enum log_level lvl, const struct log_ctx *ctx,
              const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t pos = 0;
	log_h *h;
	void *arg;
	int n;

	pthread_mutex_lock(&log_mtx);
	if (lvl > level_for(module)) {
		pthread_mutex_unlock(&log_mtx);
		return;
	}
	h = handler;
	arg = handler_arg;
	pthread_mutex_unlock(&log_mtx);

	line[0] = '\0';
	if (ctx) {
		if (ctx->callid[0])
			append(line, sizeof(line), &pos, "cid=%.*s ",
			       (int)sizeof(ctx->callid), ctx->callid);
		if (ctx->peer[0])
			append(line, sizeof(line), &pos, "peer=%.*s ",
			       (int)sizeof(ctx->peer), ctx->peer);
		if (ctx->branch[0])
			append(line, sizeof(line), &pos, "branch=%.*s ",
			       (int)sizeof(ctx->branch), ctx->branch);
	}
	if (fmt && pos < sizeof(line) - 1) {
		n = vsnprintf(line + pos, sizeof(line) - pos, fmt, ap);
		if (n > 0)
			pos += (size_t)n;
		if (pos > sizeof(line) - 1)
			pos = sizeof(line) - 1;
	}
	/* one line: no trailing newline, no control characters (text may
	 * quote what a peer sent) */
	while (pos && (line[pos - 1] == '\n' || line[pos - 1] == '\r' ||
	               line[pos - 1] == ' '))
		line[--pos] = '\0';
	for (size_t i = 0; i < pos; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = (c == '\t') ? ' ' : '?';
	}

	if (h && !in_handler) {
		pthread_mutex_lock(&out_mtx);
		in_handler = 1;
		h(lvl, module ? module : "-", line, arg);
		in_handler = 0;
		pthread_mutex_unlock(&out_mtx);
	} else {
		default_output(lvl, module, line);
	}
}

void log_msg(const char *module, enum log_level lvl, const struct log_ctx *ctx,
             const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(module, lvl, ctx, fmt, ap);
	va_end(ap);
}

int log_rl_allow(struct log_rl *rl, uint32_t *suppressed)
{
	struct timespec ts;
	uint64_t now;

	if (suppressed)
		*suppressed = 0;
	if (!rl)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec;
	if (rl->count == 0 || now - rl->window_start >= rl->period_s ||
	    now < rl->window_start) {
		rl->window_start = now;
		rl->count = 1;
		if (suppressed)
			*suppressed = rl->suppressed;
		rl->suppressed = 0;
		return 1;
	}
	if (rl->count < rl->burst) {
		rl->count++;
		return 1;
	}
	if (rl->suppressed < UINT32_MAX)
		rl->suppressed++;
	return 0;
}
