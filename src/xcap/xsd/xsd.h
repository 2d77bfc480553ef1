/* xcap/xsd/xsd.h - the XML Schemas of the XCAP application usages, built
 * into the binary: embed.py turns the .xsd files of this folder into a
 * generated C file holding this table. */
#ifndef XCAP_XSD_XSD_H
#define XCAP_XSD_XSD_H

#include <stddef.h>

struct xcap_xsd {
	const char *name; /* file name: "resource-lists.xsd" */
	const char *text; /* the schema document, NUL-terminated */
	size_t len;       /* strlen(text) */
};

/* Every schema, ended by an entry with name NULL. */
extern const struct xcap_xsd xcap_xsds[];

#endif
