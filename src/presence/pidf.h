/* presence/pidf.h - presence documents: PIDF (RFC 3863) with the data
 * model (RFC 4479), RPID (RFC 4480) and service capabilities (RFC 5196);
 * composition of several sources and privacy transformations (RFC 5025) */
#ifndef PRESENCE_PIDF_H
#define PRESENCE_PIDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"

/* A parsed presence document: a mem object, never changed after it is
 * made (parse, build, compose and transform all make new ones), so one
 * document may be shared by many holders. Elements impd does not know are
 * kept and printed again. Pure code: no logging, clock or globals. */
struct pidf;

/* The availability impd derives from a document (REQUIREMENTS D-04). */
enum pres_avail {
	PRES_AVAIL_UNKNOWN = 0,
	PRES_AVAIL_OFFLINE,   /* no open tuple */
	PRES_AVAIL_AVAILABLE, /* an open tuple, no activity below */
	PRES_AVAIL_AWAY,      /* rpid away, appointment absence ... */
	PRES_AVAIL_BUSY,      /* rpid busy, on-the-phone, meeting ... */
	PRES_AVAIL_DND,       /* do-not-disturb in any seed or RFC form */
};
const char *pres_avail_name(enum pres_avail a); /* "available" ... */

/* Parse xml (len octets). lenient: accept the seed documents' forms
 * (well-known prefixes used without a declaration - rpid, dm, caps/sc, c,
 * cp, pdm, lt, gp - are bound to their namespaces; unprefixed RPID names
 * inside a person are read as RPID). EBADMSG with err = "line N: what"
 * for XML that is not well formed, a root that is not <presence> in the
 * PIDF namespace, a missing or non-URI entity, a tuple without id or
 * status, duplicate tuple ids. ENOMEM. */
int pidf_parse(struct pidf **dp, const char *xml, size_t len, bool lenient,
               char *err, size_t errsize);
/* Serialize: UTF-8, every namespace declared on the root, unknown
 * elements kept. */
int pidf_print(struct buf **mbp, const struct pidf *d);
const char *pidf_entity(const struct pidf *d); /* "pres:bob@example.com" */
size_t pidf_tuple_count(const struct pidf *d);
/* Tuple i (0-based) id and basic status ("open"/"closed"/NULL). */
const char *pidf_tuple_id(const struct pidf *d, size_t i);
const char *pidf_tuple_basic(const struct pidf *d, size_t i);
enum pres_avail pidf_avail(const struct pidf *d);
/* A note of the document (person first, then tuples), or NULL. */
const char *pidf_note(const struct pidf *d);

/* Documents impd makes itself: registration-derived presence (one tuple
 * per registered contact), the polite-block document (one closed tuple,
 * nothing else). */
struct pidf_tuple_spec {
	const char *id;       /* tuple id (valid XML ID) */
	bool open;            /* basic */
	const char *contact;  /* or NULL */
	uint32_t priority;    /* contact priority x1000 (0: none) */
	const char *deviceid; /* dm:deviceID (urn:uuid:...) or NULL */
	const char *note;     /* or NULL */
	uint32_t caps;        /* enum pidf_caps bits: servcaps to show */
	uint64_t timestamp_s; /* 0: none */
};
enum pidf_caps {
	PIDF_CAP_AUDIO = 1 << 0,
	PIDF_CAP_VIDEO = 1 << 1,
	PIDF_CAP_TEXT = 1 << 2,
	PIDF_CAP_MESSAGE = 1 << 3, /* methods MESSAGE */
	PIDF_CAP_APPLICATION = 1 << 4,
	PIDF_CAP_CONTROL = 1 << 5,
	PIDF_CAP_AUTOMATA = 1 << 6,
	PIDF_CAP_MOBILITY_MOBILE = 1 << 7,
	PIDF_CAP_MOBILITY_FIXED = 1 << 8,
};
/* RFC 3840 feature tags of a Contact's parameters (";audio;video;
 * +sip.instance=...;methods=\"INVITE,MESSAGE\"") as caps bits. */
uint32_t pidf_caps_from_params(const char *params);
int pidf_build(struct pidf **dp, const char *entity,
               const struct pidf_tuple_spec *tuples, size_t n);

/*
 * Composition (PRES-04): the presentity's document made of all its live
 * sources. A pure function of the set of sources: the order of src does
 * not change the result (sources are ordered by updated_ms, then id).
 * - Tuples: the union; a tuple keeps its source id; when two sources use
 *   the same id, the one that began later (created_ms) gets
 *   "<id>-<srcsuffix>"
 *   where srcsuffix is derived from the source id, so it stays the same
 *   for the life of the publication (REQUIREMENTS D-05).
 * - Person: the person element of the most recent source that has one,
 *   unless a source states a higher-priority availability (dnd > busy >
 *   away > available): then that source's person is taken. Elements of
 *   other persons are not mixed in.
 * - DND: when the composed availability is dnd, every tuple's basic is
 *   closed (communication is not accepted) (D-04).
 * - Devices: the union, by deviceID (most recent wins).
 */
enum pres_src_kind {
	PRES_SRC_PUBLISH = 0,  /* PUBLISH from a device of the presentity */
	PRES_SRC_REGISTRATION, /* derived from registered contacts */
	PRES_SRC_TRUSTED,      /* a trusted source: calendar gateway ... */
	PRES_SRC_BACKEND,      /* NOTIFY of a back-end subscription */
};
struct pres_source {
	const char *id; /* stable for the life of the source: the first
	                   entity tag of a publication, "reg", ... */
	enum pres_src_kind kind;
	uint64_t updated_ms;
	const struct pidf *doc;
	uint64_t created_ms; /* when the source began (0: updated_ms): tuple
	                        ids are claimed in this order, so a later
	                        refresh or modify never moves a rename from
	                        one source to the other */
};
/* n == 0 (nothing published, nothing registered) gives the polite-block
 * document: one closed tuple, so a politely blocked watcher cannot tell
 * its view from an offline presentity's. entity: "pres:bob@example.com" */
int pres_compose(struct pidf **dp, const char *entity,
                 const struct pres_source *src, size_t n);

/*
 * Permissions (RFC 5025 section 3): what one watcher may see.
 */
enum pres_handling {
	PRES_BLOCK = 0,
	PRES_CONFIRM = 10,
	PRES_POLITE_BLOCK = 20,
	PRES_ALLOW = 30,
};
/* provide-devices / provide-persons / provide-services: all, or the
 * elements matching any item. Items are "class:NAME",
 * "occurrence-id:ID", "deviceID:URN" (devices), "uri:URI" and
 * "uri-scheme:SCHEME" (services). */
struct pres_perm_set {
	bool all;
	char **items; /* mem array of mem strings, or NULL */
	uint32_t n;
};
enum pres_attr {
	PRES_ATTR_ACTIVITIES = 1 << 0,
	PRES_ATTR_CLASS = 1 << 1,
	PRES_ATTR_DEVICEID = 1 << 2,
	PRES_ATTR_MOOD = 1 << 3,
	PRES_ATTR_PLACE_IS = 1 << 4,
	PRES_ATTR_PLACE_TYPE = 1 << 5,
	PRES_ATTR_PRIVACY = 1 << 6,
	PRES_ATTR_RELATIONSHIP = 1 << 7,
	PRES_ATTR_STATUS_ICON = 1 << 8,
	PRES_ATTR_SPHERE = 1 << 9,
	PRES_ATTR_TIME_OFFSET = 1 << 10,
	PRES_ATTR_NOTE = 1 << 11,
	PRES_ATTR_ALL = 1 << 12, /* provide-all-attributes */
};
enum pres_user_input {
	PRES_UI_FALSE = 0,
	PRES_UI_BARE_MINIMUM,
	PRES_UI_THRESHOLDS,
	PRES_UI_FULL,
};
struct pres_perm {
	enum pres_handling sub_handling;
	struct pres_perm_set devices, persons, services;
	uint32_t attrs; /* enum pres_attr bits */
	enum pres_user_input user_input;
	struct pres_perm_set unknown; /* provide-unknown-attribute:
	                                 "NS-URI name" items */
};
void pres_perm_init(struct pres_perm *p);  /* block, nothing provided */
void pres_perm_reset(struct pres_perm *p); /* frees items, then init */
/* Everything provided, with sub-handling h (domain default rules). */
void pres_perm_full(struct pres_perm *p, enum pres_handling h);
int pres_perm_copy(struct pres_perm *dst, const struct pres_perm *src);
/* Union (RFC 4745 10.2): max sub-handling, union of provide-*. */
int pres_perm_merge(struct pres_perm *dst, const struct pres_perm *src);
/* 32 hex chars that are equal when two permission sets show the same
 * things (to share one transformed document between watchers). */
void pres_perm_key(const struct pres_perm *p, char key[33]);

/* Apply RFC 5025 3.3 transformations: keep the tuples, persons and
 * devices perm provides, and within them only the attributes it
 * provides (basic status, contact and timestamp always stay in a kept
 * tuple). sub_handling is not looked at here. */
int pres_transform(struct pidf **dp, const struct pidf *in,
                   const struct pres_perm *perm);
/* The polite-block / invisible document for entity: one closed tuple
 * with a fixed id and nothing else. */
int pidf_polite(struct pidf **dp, const char *entity);

#endif
