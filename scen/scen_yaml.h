/*
** scen_yaml.h — a small YAML tree built from libyaml's event stream, with source
** positions, for the scenario loader. Internal to scen/.
**
** Built from events (not libyaml's document API) so that aliases can be refused:
** a scenario has no use for them, and an alias graph is the one way a few bytes of
** YAML expand into a huge or cyclic tree.
*/
#ifndef VMMSIM_SCEN_YAML_H
#define VMMSIM_SCEN_YAML_H

#include <stddef.h>
#include <stdint.h>

enum { SCEN_Y_SCALAR = 1, SCEN_Y_SEQ, SCEN_Y_MAP };

typedef struct scen_ynode {
    uint32_t type;
    uint32_t line, col;      /* 1-based start of the node */
    uint32_t first, next;    /* children list (maps: key, value, key, value…); 0 = none */
    uint32_t nkids;
    uint32_t len;            /* scalar length */
    int      plain;          /* scalar without quotes or block style */
    int      block;          /* literal/folded block scalar */
    char    *text;           /* scalar text, NUL-terminated, owned by the tree */
} scen_ynode;

typedef struct scen_ytree {
    scen_ynode *n;           /* n[0] unused so that 0 means "none" */
    uint32_t    len, cap;
    uint32_t    root;        /* 0 when the document is empty */
} scen_ytree;

/* Parses text; on error returns a negative SCEN_E* code and writes
** "line:col: message" into err. */
int  scen_ytree_parse(scen_ytree *t, const char *text, size_t len,
                      char *err, size_t errlen);
void scen_ytree_free(scen_ytree *t);

#endif
