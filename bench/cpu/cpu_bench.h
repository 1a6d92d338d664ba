/*
** cpu_bench.h — shared by cpu_bench.c (rounds, statistics, output) and cpu_peers.c
** (Unicorn in process; qemu-i386 and Bochs as timed child processes).
*/
#ifndef CPU_BENCH_H
#define CPU_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_RAM        0x100000u
#define BENCH_IMG_BASE   0x1000u    /* the flat image's origin (loops.asm, FLAT) */
#define BENCH_END_TABLE  0x800u     /* offset of the loops' HLT addresses in it */
#define BENCH_BUF1       0x10000u
#define BENCH_BUF2       0x20000u
#define BENCH_STACK      0x80000u
#define BENCH_GDT        0x800u
#define BENCH_EAX0       0x12345678u /* EAX at every loop's entry (loops.asm) */
#define BENCH_TINY_ITERS 1000u      /* the child peers' short run, subtracted */
#define BENCH_QEMU_SCALE 10u        /* qemu-i386 runs 10x the iterations: it is fast */
#define BENCH_NOTE_MAX   120

/* The registers a loop leaves, compared between engines (EAX EBX EDX EBP ESI EDI). */
enum { BENCH_NREGS = 6 };
typedef struct bench_regs { uint32_t r[BENCH_NREGS]; } bench_regs;

typedef struct bench_loop {
    const char *name;
    int         id;             /* LOOP id in loops.asm */
    uint32_t    entry;          /* in the flat image */
    uint32_t    end;            /* its HLT (read from the image's table) */
    unsigned    insns_per_iter;
    const char *elf;            /* static ELF for qemu-i386 */
} bench_loop;

/* One engine on one loop in one round. For a child process the figures are the
** difference of the long run and the tiny run (BENCH_TINY_ITERS iterations). */
typedef struct bench_sample {
    int        ok;
    int        timing_only;             /* !ok only because long - tiny <= 0 (noise) */
    double     cpu_s, wall_s;           /* of the measured instructions */
    double     tiny_cpu_s, tiny_wall_s; /* child peers: the subtracted run */
    uint64_t   instructions;            /* counted in the measured difference */
    uint64_t   cycles;                  /* simulated 386 clocks (vmmsim only) */
    int        have_regs, have_tiny_regs;
    bench_regs regs, tiny_regs;         /* after the long run, the tiny run */
    char       note[BENCH_NOTE_MAX];
} bench_sample;

/* The flat image and the loop's iteration count, the inputs of every in-process run. */
typedef struct bench_job {
    const bench_loop *loop;
    const uint8_t    *img;
    size_t            img_size;
    uint32_t          iters;
} bench_job;

/* The buffers' first 1024 dwords as loops.asm's FILL_BUFS writes them. */
#define BENCH_FILL_DWORDS 1024u
void bench_fill_buffers(uint32_t buf1[BENCH_FILL_DWORDS], uint32_t buf2[BENCH_FILL_DWORDS]);

double bench_now_s(void);           /* CLOCK_MONOTONIC */
double bench_thread_cpu_s(void);    /* CLOCK_THREAD_CPUTIME_ID */

void bench_run_unicorn(const bench_job *j, bench_sample *s);
void bench_run_qemu(const bench_job *j, bench_sample *s);
void bench_run_bochs(const bench_job *j, const uint8_t *boot, size_t boot_size,
                     bench_sample *s);

#endif
