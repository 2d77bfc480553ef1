/* tests/unit/store/store_test.h - helpers shared by the store tests */
#ifndef STORE_TEST_H
#define STORE_TEST_H

#include <stddef.h>

/* A fresh temporary directory; uri gets "sqlite:DIR/test.db" (and path,
 * if not NULL, "DIR/test.db"). ENOMEM/EIO. */
struct tmpdb {
	char dir[256];
	char path[300];
	char uri[320];
};
int tmpdb_init(struct tmpdb *t);
/* Remove the database files and the directory. */
void tmpdb_clean(struct tmpdb *t);

#endif
