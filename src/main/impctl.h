/* main/impctl.h - impctl command groups kept in files of their own
 * (impctl_im.c, impctl_list.c, impctl_history.c) and the helpers of
 * impctl.c they share */
#ifndef MAIN_IMPCTL_H
#define MAIN_IMPCTL_H

#include <stddef.h>

struct store;

/* Exit codes (documented in --help). */
enum {
	EX_OK = 0,
	EX_USAGE = 1,
	EX_NOTFOUND = 2,
	EX_EXISTS = 3,
	EX_STORE = 4,
};

/* One command "w1 w2 ..." (w2 NULL: "w1 ..." whose next word is already
 * an operand, as in "history USER"). argv holds everything after the
 * command words as given (operands and options such as "--with",
 * "sip:bob@example.com", in order); argc counts them. impctl.c checks only that
 * w1 and w2 match; run parses and checks the rest (usage errors: impctl_usage).
 */
struct impctl_cmd {
	const char *w1, *w2;
	int (*run)(struct store *st, int argc, const char *const *argv);
	const char *help; /* lines for --help, each "  w1 w2 ...  what\n" */
};
/* Tables end with an entry whose w1 is NULL. */
extern const struct impctl_cmd impctl_im_cmds[];
extern const struct impctl_cmd impctl_list_cmds[];
extern const struct impctl_cmd impctl_history_cmds[];

/* "impctl: ..." on stderr. */
void impctl_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print why (may be NULL) and the short usage line; EX_USAGE. */
int impctl_usage(const char *why);
/* A store failure message; EX_STORE. */
int impctl_store_fail(const char *what, int err);
/* USER@DOMAIN of an existing user into aor ("user@domain", domain lower
 * case); EX_OK or an exit code after a message. */
int impctl_user(struct store *st, const char *arg, char *aor, size_t size);
/* The whole of FILE ("-": stdin) as a NUL-terminated mem string;
 * EX_OK or an exit code after a message. */
int impctl_read_input(const char *file, char **sp, size_t *lenp);
/* Check FILE ("-": stdin) as a rules document (the presence rules
 * engine; bad XML: EX_USAGE with the parser's message) and store it as
 * aor's document auid. what names the command in store errors. */
int impctl_rules_set(struct store *st, const char *auid, const char *aor,
                     const char *file, const char *what);
/* A stored document (name "index") as a NUL-terminated mem string:
 * 0, ENOENT, or a store error. */
int impctl_doc_read(struct store *st, const char *auid, const char *aor,
                    char **sp, size_t *lenp);

#endif
