/* tests/unit/base/test_log.c - log capture, levels, rate limiting */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "test.h"

#define LOG_MODULE "test.log"

struct cap {
	int n;
	enum log_level lvl;
	char module[32];
	char line[256];
};

static void capture(enum log_level lvl, const char *module, const char *line,
                    void *arg)
{
	struct cap *c = arg;

	c->n++;
	c->lvl = lvl;
	snprintf(c->module, sizeof(c->module), "%s", module);
	snprintf(c->line, sizeof(c->line), "%s", line);
}

TEST(test_log_capture_ctx)
{
	struct log_ctx ctx = {"a84b4c76", "udp:192.0.2.4:5060", ""};
	enum log_level saved_lvl = log_level_get();
	struct cap c = {0};
	log_h *saved_h;
	void *saved_arg;
	int err = 0;

	log_handler_get(&saved_h, &saved_arg);
	log_handler_set(capture, &c);
	log_level_set(LOG_LVL_INFO);
	log_warn(&ctx, "NOTIFY failed: %s", "Connection refused");
	TEST_EQ(1, c.n);
	TEST_EQ(LOG_LVL_WARN, c.lvl);
	TEST_STR_EQ("test.log", c.module);
	TEST_STR_EQ("cid=a84b4c76 peer=udp:192.0.2.4:5060 NOTIFY failed: "
	            "Connection refused",
	            c.line);
	log_info(NULL, "plain %d", 7);
	TEST_STR_EQ("plain 7", c.line);
	/* one line, whatever the text holds */
	log_info(NULL, "a\r\nb\n");
	TEST_STR_EQ("a??b", c.line);
	log_debug(NULL, "hidden");
	TEST_EQ(3, c.n);
	log_level_set(LOG_LVL_DEBUG);
	log_debug(NULL, "shown");
	TEST_EQ(4, c.n);
	TEST_STR_EQ("shown", c.line);
out:
	log_level_set(saved_lvl);
	log_handler_set(saved_h, saved_arg);
	return err;
}

TEST(test_log_module_levels)
{
	enum log_level saved_lvl = log_level_get();
	struct cap c = {0};
	enum log_level lvl;
	log_h *saved_h;
	void *saved_arg;
	int err = 0;

	log_handler_get(&saved_h, &saved_arg);
	log_handler_set(capture, &c);
	log_level_set(LOG_LVL_WARN);
	err = log_module_level_set("tlog", LOG_LVL_ERR);
	TEST_ERR(err);
	err = log_module_level_set("tlog.tsx", LOG_LVL_DEBUG);
	TEST_ERR(err);
	TEST_ASSERT(log_enabled("tlog.tsx", LOG_LVL_DEBUG));
	TEST_ASSERT(log_enabled("tlog.tsx.client", LOG_LVL_DEBUG));
	TEST_ASSERT(!log_enabled("tlog.tp", LOG_LVL_WARN));
	TEST_ASSERT(log_enabled("tlog.tp", LOG_LVL_ERR));
	TEST_ASSERT(!log_enabled("tlog", LOG_LVL_WARN));
	/* "tlog" is not a prefix of "tlogx" */
	TEST_ASSERT(log_enabled("tlogx", LOG_LVL_WARN));
	TEST_ASSERT(!log_enabled("other", LOG_LVL_NOTICE));
	log_msg("tlog.tp", LOG_LVL_WARN, NULL, "dropped");
	TEST_EQ(0, c.n);
	log_msg("tlog.tsx", LOG_LVL_DEBUG, NULL, "kept");
	TEST_EQ(1, c.n);
	/* setting again replaces */
	err = log_module_level_set("tlog", LOG_LVL_INFO);
	TEST_ERR(err);
	TEST_ASSERT(log_enabled("tlog.tp", LOG_LVL_INFO));

	TEST_ERR(log_level_parse("debug", &lvl));
	TEST_EQ(LOG_LVL_DEBUG, lvl);
	TEST_ERR(log_level_parse("WARN", &lvl));
	TEST_EQ(LOG_LVL_WARN, lvl);
	TEST_ERR(log_level_parse("err", &lvl));
	TEST_EQ(LOG_LVL_ERR, lvl);
	TEST_ERR_EQ(EINVAL, log_level_parse("loud", &lvl));
	err = 0;
out:
	(void)log_module_level_set("tlog", saved_lvl);
	(void)log_module_level_set("tlog.tsx", saved_lvl);
	log_level_set(saved_lvl);
	log_handler_set(saved_h, saved_arg);
	return err;
}

TEST(test_log_rate_limit)
{
	struct log_rl rl = LOG_RL_INIT(3, 60);
	uint32_t sup = 99;
	int err = 0;

	for (int i = 0; i < 3; i++) {
		TEST_EQ(1, log_rl_allow(&rl, &sup));
		TEST_EQ(0, sup);
	}
	for (int i = 0; i < 5; i++)
		TEST_EQ(0, log_rl_allow(&rl, &sup));
	/* the window ends: the next line reports what was dropped */
	rl.window_start -= 60;
	TEST_EQ(1, log_rl_allow(&rl, &sup));
	TEST_EQ(5, sup);
	TEST_EQ(1, log_rl_allow(&rl, &sup));
	TEST_EQ(0, sup);
out:
	return err;
}

/* The default output: "<N>module key=value... text\n" in one write. */
TEST_NO_OOM(test_log_default_stderr)
{
	struct log_ctx ctx = {"", "tcp:[::1]:5061", "z9hG4bK776"};
	char out[256];
	int p[2] = {-1, -1}, saved = -1, err = 0;
	log_h *saved_h;
	void *saved_arg;
	ssize_t n;

	log_handler_get(&saved_h, &saved_arg);
	TEST_ASSERT(pipe(p) == 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	TEST_ASSERT(saved >= 0);
	TEST_ASSERT(dup2(p[1], STDERR_FILENO) >= 0);
	log_handler_set(NULL, NULL);
	log_msg("sip.tsx", LOG_LVL_ERR, &ctx, "timer %c fired", 'B');
	log_handler_set(saved_h, saved_arg);
	dup2(saved, STDERR_FILENO);
	n = read(p[0], out, sizeof(out) - 1);
	TEST_ASSERT(n > 0);
	out[n] = '\0';
	TEST_STR_EQ("<3>sip.tsx peer=tcp:[::1]:5061 branch=z9hG4bK776 timer B "
	            "fired\n",
	            out);
out:
	log_handler_set(saved_h, saved_arg);
	if (saved >= 0) {
		dup2(saved, STDERR_FILENO);
		close(saved);
	}
	if (p[0] >= 0) {
		close(p[0]);
		close(p[1]);
	}
	return err;
}
