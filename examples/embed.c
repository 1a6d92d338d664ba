/*
** embed.c — vmmsim as a library: load a scenario, run it under a chosen schedule,
** read the verdict and the trace hash through the public API (explore/explore.h).
**
**   usage: embed [SCENARIO.yaml] [canonical|random|pct] [SEED]
**   (no SCENARIO or "-": the built-in demo scenario)
**
** Prints "hash: 0x... verdict: PASS|FAIL|ERROR", the same hash as
** `vmmsim run --quiet --strategy S --seed N SCENARIO`. Build it against an installed
** vmmsim (README, "Install"):
**   cc embed.c $(pkg-config --cflags --libs vmmsim) -o embed
** or with CMake: find_package(vmmsim) and target_link_libraries(embed vmmsim::vmmsim)
** (examples/CMakeLists.txt).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "explore/explore.h"

/* The strategies a command line may name; ENG_STRAT_* are engine/engine.h's. */
static int strategy_of(const char *name) {
    if (!strcmp(name, "canonical")) return ENG_STRAT_CANONICAL;
    if (!strcmp(name, "random")) return ENG_STRAT_RANDOM;
    if (!strcmp(name, "pct")) return ENG_STRAT_PCT;
    return -1;
}

int main(int argc, char **argv) {
    if (argc > 4) {
        fprintf(stderr, "usage: embed [SCENARIO.yaml|-] [canonical|random|pct] [SEED]\n");
        return 2;
    }
    const char *path = argc > 1 && strcmp(argv[1], "-") ? argv[1] : NULL;
    int strategy = argc > 2 ? strategy_of(argv[2]) : ENG_STRAT_CANONICAL;
    uint64_t seed = 0;
    if (strategy < 0 || (argc > 3 && xpl_u64_arg(argv[3], &seed) < 0)) {
        fprintf(stderr, "embed: bad strategy or seed (canonical|random|pct, an integer)\n");
        return 2;
    }
    xpl_sim *c = calloc(1, sizeof *c);      /* large: it holds the loaded scenario */
    if (!c) { fprintf(stderr, "embed: out of memory\n"); return 4; }
    c->strategy = strategy;
    c->seed = seed;
    int rc = xpl_sim_load(c, path, stderr); /* error message already printed */
    if (rc) { free(c); return rc; }
    xpl_sim_run(c, stderr);
    xpl_verdict v;
    xpl_verdict_get(c, &v);
    const eng_trace *t = vmm_trace(c->v);
    printf("hash: 0x%016llx verdict: %s\n", (unsigned long long)t->hash,
           c->run_rc ? "ERROR" : v.failed ? "FAIL" : "PASS");
    if (v.failed) printf("failed: %s\n", v.sig);
    rc = c->run_rc ? 3 : v.failed ? 1 : 0;
    xpl_sim_free(c);
    free(c);
    return rc;
}
