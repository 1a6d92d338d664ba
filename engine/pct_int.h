/*
** pct_int.h — the PCT strategy's hooks into the chooser (choice.c). Internal.
*/
#ifndef VMMSIM_PCT_INT_H
#define VMMSIM_PCT_INT_H

#include "engine.h"

/* Internal to the library: hidden from the link's exported symbols (tools/check-prefixes). */
#pragma GCC visibility push(hidden)

void     engi_pct_rewind(eng_chooser *c);   /* draws the run's change points */
uint32_t engi_pct_next(eng_chooser *c, uint32_t kind, uint32_t n, const uint64_t *src);

#pragma GCC visibility pop

#endif
