/* im/im_http.h - message history over HTTP: the archive (LOG-03) and the
 * deferred messages of a user, as JSON; the JSON objects impctl prints */
#ifndef IM_IM_HTTP_H
#define IM_IM_HTTP_H

#include <stdint.h>

struct buf;
struct http;
struct store;
struct store_arch;
struct store_msg;

#define IM_HTTP_PREFIX "/api/v1/users/"

enum {
	IM_HTTP_LIMIT_DEFAULT = 100,
	IM_HTTP_LIMIT_MAX = 1000,
};

/*
 * Serve, with digest authentication, to the user themself or to an
 * administrator (http.admins), otherwise 403:
 * GET /api/v1/users/USER@DOMAIN/history?with=URI&since=T&limit=N&after=ID
 *     &format=jsonl
 *   200 application/json {"user":"USER@DOMAIN","messages":[...]} oldest
 *   first (im_json_arch objects), or application/x-ndjson, one object a
 *   line. since: RFC 3339 or ms since the epoch; limit: default 100, at
 *   most 1000; after: the last id of the previous page.
 * GET /api/v1/users/USER@DOMAIN/deferred?limit=N&after=ID
 *   200 {"user":..,"messages":[im_json_msg objects]}
 * st is borrowed and must outlive h.
 */
int im_http_attach(struct http *h, struct store *st);

/* One archive record appended to mb as a JSON object (no newline):
 * {"id":1,"time":"2026-11-22T10:01:02.345Z","direction":"out",
 *  "peer":"sip:bob@D","from":"sip:alice@D","to":["sip:bob@D"],
 *  "content_type":"text/plain","body":"hello","outcome":"delivered"}
 * A body that is not UTF-8 text (invalid UTF-8 or a NUL octet) comes as
 * "body_base64". On error mb is left as it was. */
int im_json_arch(struct buf *mb, const struct store_arch *a);
/* One waiting message: {"id":7,"from":"sip:alice@D",
 * "time":"2026-11-22T10:01:02.345Z","content_type":"text/plain",
 * "size":5} */
int im_json_msg(struct buf *mb, const struct store_msg *m);

/* A point in time: RFC 3339 ("2026-11-22T10:01:02.345Z",
 * "2026-11-22T11:01:02+01:00", a date alone as midnight UTC) or decimal
 * milliseconds since the epoch, into ms since the epoch. EINVAL when it
 * is neither, ERANGE before 1970. */
int im_time_parse(const char *s, uint64_t *ms);

#endif
