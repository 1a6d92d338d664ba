/*
** vmmsim_assert.h — assertions shared by every module (header only; it includes
** nothing of ours, so engine and cpu386 may use it without a dependency circle).
**
** assert(x)  an invariant; live in the test build, gone under NDEBUG.
** ALWAYS(x)  a condition that is handled but must never be false: in the test build
**            a false x fails like assert; under NDEBUG it is only evaluated, and the
**            caller's handling runs.  if (!ALWAYS(n <= cap)) return ERR_LIMIT;
** NEVER(x)   the same for a condition that must never be true.
**            if (NEVER(depth == 0)) return ERR_GUEST;
** (After SQLite's ALWAYS/NEVER.)
**
** The test build is the one CMake configures with VMMSIM_CHECKS=ON, the default:
** NDEBUG is not defined even in Release (see CMakeLists.txt), so the build that
** ctest and the harness use runs with every assertion and invariant walker on.
*/
#ifndef VMMSIM_ASSERT_H
#define VMMSIM_ASSERT_H

#include <assert.h>

#ifdef NDEBUG
#define ALWAYS(x) ((x) ? 1 : 0)
#define NEVER(x)  ((x) ? 1 : 0)
#else
#define ALWAYS(x) ((x) ? 1 : (assert(0 && "ALWAYS(" #x ")"), 0))
#define NEVER(x)  ((x) ? (assert(0 && "NEVER(" #x ")"), 1) : 0)
#endif

#endif
