/*
** err.c — names for the engine's error codes and choice kinds.
*/
#include "engine.h"

const char *eng_strerror(int err)
{
    switch (err) {
    case ENG_OK:     return "ok";
    case ENG_EFULL:  return "fixed-capacity structure is full";
    case ENG_EEMPTY: return "nothing to pop";
    case ENG_ENOMEM: return "out of memory at init";
    case ENG_EINVAL: return "invalid argument";
    case ENG_ENOENT: return "no such pending item";
    case ENG_EPAST:  return "event scheduled before the queue's current cycle";
    default:         return "unknown engine error";
    }
}

/* Stable names: schedule files and traces carry them (docs/fuzzing.md). */
const char *eng_choice_kind_name(uint32_t kind)
{
    switch (kind) {
    case ENG_CHOICE_SAME_CYCLE:     return "same-cycle";
    case ENG_CHOICE_PENDING_EVENT:  return "pending-event";
    case ENG_CHOICE_PRIORITY_EVENT: return "priority-event";
    case ENG_CHOICE_READY_VM:       return "ready-vm";
    case ENG_CHOICE_CRIT_WAITER:    return "crit-waiter";
    case ENG_CHOICE_JITTER:         return "jitter";
    case ENG_CHOICE_IRQ_BOUNDARY:   return "irq-boundary";
    case ENG_CHOICE_WINDOW:         return "window";
    case ENG_CHOICE_AMBIGUITY:      return "ambiguity";
    case ENG_CHOICE_IO_ORDER:       return "io-order";
    case ENG_CHOICE_LIFE_ORDER:     return "life-order";
    default:                        return "unknown";
    }
}
