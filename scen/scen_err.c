/*
** scen_err.c — the loader's error codes and messages, shared by the schema
** (scen_load.c) and the assembler step (scen_asm.c). Every message starts with
** "path:line:col: " when the error has a position.
*/
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>

#include "scen_int.h"

const char *scen_strerror(int err) {
    assert(err <= 0);
    switch (err) {
    case SCEN_OK: return "ok";
    case SCEN_ESYNTAX: return "YAML syntax error";
    case SCEN_ESCHEMA: return "scenario schema error";
    case SCEN_ELABEL: return "unknown label or VM";
    case SCEN_EASM: return "assembler error";
    case SCEN_ENONASM: return "nasm not installed";
    case SCEN_EIO: return "I/O error";
    case SCEN_ENOMEM: return "out of memory";
    case SCEN_ELIMIT: return "scenario loader limit exceeded";
    default: return "unknown scenario error";
    }
}

const char *scen_error(const scen *s) { return s->err; }

int scen_fail(scen *s, int code, uint32_t line, uint32_t col, const char *fmt, ...) {
    assert(code < 0);
    if (s->errcode) return s->errcode;   /* keep the first error */
    int k = line ? snprintf(s->err, sizeof s->err, "%s:%u:%u: ", s->path, line, col)
                 : snprintf(s->err, sizeof s->err, "%s: ", s->path);
    if (k < 0 || (size_t)k >= sizeof s->err) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + k, sizeof s->err - (size_t)k, fmt, ap);
    va_end(ap);
    s->errcode = code;
    return code;
}
