/* base/list.h - intrusive doubly-linked lists */
#ifndef BASE_LIST_H
#define BASE_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list;

struct le {
	struct le *prev;
	struct le *next;
	struct list *list;
	void *data;
};

struct list {
	struct le *head;
	struct le *tail;
	size_t n;
};

#define LIST_INIT                                                              \
	{                                                                      \
		NULL, NULL, 0                                                  \
	}
#define LE_INIT                                                                \
	{                                                                      \
		NULL, NULL, NULL, NULL                                         \
	}

void list_init(struct list *l);
void list_append(struct list *l, struct le *le, void *data);
void list_prepend(struct list *l, struct le *le, void *data);
/* Insert le before/after an element already in l. */
void list_insert_before(struct list *l, struct le *at, struct le *le,
                        void *data);
void list_insert_after(struct list *l, struct le *at, struct le *le,
                       void *data);
/* Remove from whatever list le is in; no-op if in none. */
void list_unlink(struct le *le);
/* mem_deref every element's data (each element's destructor must unlink
 * it, or the list is walked safely anyway). */
void list_flush(struct list *l);
static inline size_t list_count(const struct list *l)
{
	return l ? l->n : 0;
}
static inline struct le *list_head(const struct list *l)
{
	return l ? l->head : NULL;
}
static inline void *list_ledata(const struct le *le)
{
	return le ? le->data : NULL;
}
typedef bool list_apply_h(struct le *le, void *arg);
/* Call h on each element until it returns true; returns that element.
 * Safe against unlinking the current element. */
struct le *list_apply(const struct list *l, list_apply_h *h, void *arg);

/* for (le = l->head; le; le = le->next) with the next saved first */
#define LIST_FOREACH(l, le)                                                    \
	for (struct le *le = (l)->head, *le##_n = le ? le->next : NULL; le;    \
	     le = le##_n, le##_n = le ? le->next : NULL)

#endif
