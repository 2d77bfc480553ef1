/* presence/regevent.h - the reg event package (RFC 3680) as a notifier */
#ifndef PRESENCE_REGEVENT_H
#define PRESENCE_REGEVENT_H

struct evt;
struct loc;
struct regevent;

/* Registers the "reg" package (with reg.winfo) on e and watches loc.
 * Only the AoR's owner may subscribe (403 otherwise).
 * (added by the regevent helper: it holds references to e and loc; as
 * neither can unregister a package or a watcher, release e and loc
 * before the regevent, never after: its destructor then frees them.) */
int regevent_alloc(struct regevent **rp, struct evt *e, struct loc *loc);

#endif
