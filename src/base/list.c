/* base/list.c - intrusive doubly-linked lists */
#include "list.h"

#include "mem.h"

void list_init(struct list *l)
{
	if (!l)
		return;
	l->head = NULL;
	l->tail = NULL;
	l->n = 0;
}

void list_append(struct list *l, struct le *le, void *data)
{
	if (!l || !le)
		return;
	if (le->list)
		list_unlink(le);
	le->prev = l->tail;
	le->next = NULL;
	le->list = l;
	le->data = data;
	if (l->tail)
		l->tail->next = le;
	else
		l->head = le;
	l->tail = le;
	l->n++;
}

void list_prepend(struct list *l, struct le *le, void *data)
{
	if (!l || !le)
		return;
	if (le->list)
		list_unlink(le);
	le->prev = NULL;
	le->next = l->head;
	le->list = l;
	le->data = data;
	if (l->head)
		l->head->prev = le;
	else
		l->tail = le;
	l->head = le;
	l->n++;
}

void list_insert_before(struct list *l, struct le *at, struct le *le,
                        void *data)
{
	if (!l || !le)
		return;
	if (!at || at->list != l || at == le) {
		list_append(l, le, data);
		return;
	}
	if (le->list)
		list_unlink(le);
	le->prev = at->prev;
	le->next = at;
	le->list = l;
	le->data = data;
	if (at->prev)
		at->prev->next = le;
	else
		l->head = le;
	at->prev = le;
	l->n++;
}

void list_insert_after(struct list *l, struct le *at, struct le *le, void *data)
{
	if (!l || !le)
		return;
	if (!at || at->list != l || at == le) {
		list_append(l, le, data);
		return;
	}
	if (le->list)
		list_unlink(le);
	le->prev = at;
	le->next = at->next;
	le->list = l;
	le->data = data;
	if (at->next)
		at->next->prev = le;
	else
		l->tail = le;
	at->next = le;
	l->n++;
}

void list_unlink(struct le *le)
{
	struct list *l;

	if (!le || !le->list)
		return;
	l = le->list;
	if (le->prev)
		le->prev->next = le->next;
	else
		l->head = le->next;
	if (le->next)
		le->next->prev = le->prev;
	else
		l->tail = le->prev;
	l->n--;
	le->prev = NULL;
	le->next = NULL;
	le->list = NULL;
}

void list_flush(struct list *l)
{
	struct le *le;

	if (!l)
		return;
	/* Take the head each time: a destructor may unlink any element,
	 * including ones after the current one. */
	while ((le = l->head) != NULL) {
		void *data = le->data;

		list_unlink(le);
		mem_deref(data);
	}
}

struct le *list_apply(const struct list *l, list_apply_h *h, void *arg)
{
	struct le *le, *next;

	if (!l || !h)
		return NULL;
	for (le = l->head; le; le = next) {
		next = le->next;
		if (h(le, arg))
			return le;
	}
	return NULL;
}
