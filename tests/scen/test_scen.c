/*
** test_scen.c — Check tests of the scenario loader (scen/scen.h): the schema, every
** class of error with its file:line:column, assembling with nasm, labels, and the
** temporary folder being removed.
*/
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scen/scen.h"

static const char base_yaml[] =
    "name: loader test\n"                                   /* 1 */
    "machine: { clock_hz: 25000000, memory_kb: 2048 }\n"    /* 2 */
    "vms:\n"                                                /* 3 */
    "  - { name: sys, system: true }\n"                     /* 4 */
    "  - { name: dos1, fg_priority: 200, background: true }\n" /* 5 */
    "vxds:\n"                                               /* 6 */
    "  - name: DEMO\n"                                      /* 7 */
    "    device_id: 0x7000\n"                               /* 8 */
    "    asm: |\n"                                          /* 9 */
    "      Control_Proc:\n"                                 /* 10 */
    "              clc\n"                                   /* 11 */
    "              ret\n"                                   /* 12 */
    "      entry:  mov eax, 1\n"                            /* 13 */
    "      .loop:  ret\n"                                   /* 14 */
    "      flag:   dd 0x11223344\n"                         /* 15 */
    "timeline:\n"                                           /* 16 */
    "  - { at: 50000, vm: dos1, do: release_time_slice }\n" /* 17 */
    "  - { at: [60000, 70000], do: kernel_idle }\n"         /* 18 */
    "  - { at: 100, vm: dos1, do: call(DEMO.entry), arg: 7 }\n" /* 19 */
    "expect:\n"                                             /* 20 */
    "  - order: [DEMO.entry, entry.loop]\n"                 /* 21 */
    "  - memory: { label: DEMO.flag, size: 2, value: 0x3344 }\n" /* 22 */
    "  - finding: CS-7\n"                                   /* 23 */
    "  - hash: 0x0123456789abcdef\n";                       /* 24 */

static scen S;

/* Loads base_yaml with `from` replaced by `to` (first occurrence). */
static int load_edit(const char *from, const char *to) {
    char buf[4096];
    const char *p = from ? strstr(base_yaml, from) : NULL;
    if (from) ck_assert_msg(p != NULL, "test bug: '%s' not in base", from);
    if (p)
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - base_yaml), base_yaml, to, p + strlen(from));
    else
        snprintf(buf, sizeof buf, "%s", base_yaml);
    return scen_load_text(&S, buf, strlen(buf), "dir/t.yaml");
}

static void teardown(void) { scen_free(&S); }

START_TEST(test_valid) {
    ck_assert_int_eq(load_edit(NULL, NULL), SCEN_OK);
    ck_assert_str_eq(S.name, "loader test");
    ck_assert_uint_eq(S.m.clock_hz, 25000000);
    ck_assert_uint_eq(S.m.memory_kb, 2048);
    ck_assert_uint_eq(S.nvms, 2);
    ck_assert_int_eq(S.vms[0].system, 1);
    ck_assert_uint_eq(S.vms[1].fg_priority, 200);
    ck_assert_uint_eq(S.vms[1].bg_priority, 50);
    ck_assert_uint_eq(S.vms[1].status_flags, 2);   /* Background bit 1 */
    ck_assert_uint_eq(S.nvxds, 1);
    ck_assert_uint_eq(S.vxds[0].device_id, 0x7000);
    ck_assert_uint_eq(S.vxds[0].load_addr, 0x100000);
    ck_assert_uint_eq(S.vxds[0].image_len, 12);    /* clc ret mov(5) ret dd */
    ck_assert_uint_eq(S.vxds[0].control_proc, 0x100000);
    ck_assert_uint_eq(S.vxds[0].image[0], 0xF8);   /* clc */
    ck_assert_uint_eq(S.vxds[0].image[8], 0x44);
    ck_assert_uint_eq(S.nstim, 3);
    ck_assert_uint_eq(S.stim[0].kind, VMM_STIM_RELEASE_TIME_SLICE);
    ck_assert_uint_eq(S.stim[0].vm, 1);
    ck_assert_uint_eq(S.stim[1].kind, VMM_STIM_KERNEL_IDLE);
    ck_assert_uint_eq(S.stim[1].vm, 0);            /* defaults to the system VM */
    ck_assert_uint_eq(S.stim[1].at_lo, 60000);
    ck_assert_uint_eq(S.stim[1].at_hi, 70000);
    ck_assert_uint_eq(S.stim[2].kind, VMM_STIM_CALL);
    ck_assert_uint_eq(S.stim[2].target, 0x100002);
    ck_assert_uint_eq(S.stim[2].arg, 7);
    ck_assert_uint_eq(S.nexp, 4);
    ck_assert_uint_eq(S.exp[0].kind, SCEN_EXP_ORDER);
    ck_assert_uint_eq(S.exp[0].nrefs, 2);
    ck_assert_uint_eq(S.refs[S.exp[0].ref0 + 1].addr, 0x100007);   /* local label */
    ck_assert_uint_eq(S.exp[1].addr, 0x100008);
    ck_assert_uint_eq(S.exp[1].size, 2);
    ck_assert_str_eq(S.exp[2].rule, "CS-7");
    ck_assert_uint_eq(S.exp[3].hash, 0x0123456789abcdefull);
    ck_assert_ptr_eq(S.vs.vms, S.vms);
    ck_assert_uint_eq(S.vs.nstim, 3);
    char buf[80];
    ck_assert_str_eq(scen_label_at(&S, 0x100002, buf, sizeof buf), "DEMO.entry");
    ck_assert_ptr_null(scen_label_at(&S, 0x100001, buf, sizeof buf));
}
END_TEST

/* Each broken input: the error code and the exact "file:line:col:" prefix. */
static const struct { const char *from, *to; int rc; const char *prefix, *needle; } bad[] = {
    { "memory_kb: 2048 }", "memory_kb: [2048 }", SCEN_ESYNTAX, "dir/t.yaml:2:", "YAML syntax" },
    { "clock_hz: 25000000", "clock_hz: 25000000, turbo: 1", SCEN_ESCHEMA, "dir/t.yaml:2:32:", "unknown key 'turbo'" },
    { "memory_kb: 2048", "memory_kb: lots", SCEN_ESCHEMA, "dir/t.yaml:2:43:", "found 'lots'" },
    { "memory_kb: 2048", "memory_kb: 1", SCEN_ESCHEMA, "dir/t.yaml:2:43:", "from 2048 to" },
    { "memory_kb: 2048", "memory_kb: 2050", SCEN_ESCHEMA, "dir/t.yaml:2:43:", "multiple of 4" },
    { "device_id: 0x7000", "device_id: 0x7000\n    load: 0x200000", SCEN_ESCHEMA, "dir/t.yaml:7:5:", "beyond machine.memory_kb" },
    { "device_id: 0x7000", "device_id: 0x7000\n    load: 0x1000", SCEN_ESCHEMA, "dir/t.yaml:9:11:", "at or above 0x100000" },
    { "fg_priority: 200", "fg_priority: -3", SCEN_ESCHEMA, "dir/t.yaml:5:32:", "expected an integer" },
    { "system: true }\n", "system: yes }\n", SCEN_ESCHEMA, "dir/t.yaml:4:26:", "true or false" },
    { "  - { name: dos1,", "  - { nam: dos1,", SCEN_ESCHEMA, "dir/t.yaml:5:", "unknown key 'nam'" },
    { "{ name: sys, system: true }", "{ name: sys }", SCEN_ESCHEMA, "dir/t.yaml:4:3:", "exactly one VM" },
    { "vm: dos1, do: release", "vm: dos9, do: release", SCEN_ELABEL, "dir/t.yaml:17:22:", "found 'dos9'" },
    { "do: release_time_slice", "do: nap", SCEN_ESCHEMA, "dir/t.yaml:17:32:", "call(VXD.label)" },
    { "at: 50000, ", "", SCEN_ESCHEMA, "dir/t.yaml:17:5:", "missing key 'at'" },
    { "[60000, 70000]", "[70000, 60000]", SCEN_ESCHEMA, "dir/t.yaml:18:19:", "hi >= lo" },
    { "call(DEMO.entry)", "call(DEMO.entree)", SCEN_ELABEL, "dir/t.yaml:19:35:", "unknown label 'DEMO.entree'" },
    { "[DEMO.entry, entry.loop]", "[DEMO.entry, loop]", SCEN_ELABEL, "dir/t.yaml:21:25:", "'loop'" },
    { "mov eax, 1", "mov eax, [nope]", SCEN_EASM, "dir/t.yaml:13:7:", "symbol `nope' not defined" },
    { "      Control_Proc:\n", "      Ctl:\n", SCEN_ELABEL, "dir/t.yaml:7:5:", "control procedure" },
    { "size: 2", "size: 3", SCEN_ESCHEMA, "dir/t.yaml:22:39:", "1, 2 or 4" },
    { "- finding: CS-7", "- finding: CS-7\n    hash: 1", SCEN_ESCHEMA, "dir/t.yaml:23:5:", "one of order" },
    { "name: DEMO\n", "name: DEMO\n    file: x.asm\n", SCEN_ESCHEMA, "dir/t.yaml:7:5:", "found both" },
    { "device_id: 0x7000", "device_id: 0x17000", SCEN_ESCHEMA, "dir/t.yaml:8:16:", "0 to 65535" },
    { "name: loader test\n", "name: a\nname: b\n", SCEN_ESCHEMA, "dir/t.yaml:2:1:", "duplicate key 'name'" },
    { "name: loader test\n", "name: &a x\nrule: *a\n", SCEN_ESYNTAX, "dir/t.yaml:2:7:", "alias" },
    /* symbols (scenarios/README.md, "Symbols") and the callback expectations */
    { "value: 0x3344 }", "value: VM_dos9 }", SCEN_ELABEL, "dir/t.yaml:22:49:", "found unknown VM 'VM_dos9'" },
    { "value: 0x3344 }", "value: DEMO.nope+2 }", SCEN_ELABEL, "dir/t.yaml:22:49:", "unknown label 'DEMO.nope'" },
    { "value: 0x3344 }", "value: DEMO.flag }", SCEN_ESCHEMA, "dir/t.yaml:22:49:", "expected a value at most 0xffff" },
    { "value: 0x3344 }", "value: VM_dos1 }", SCEN_ESCHEMA, "dir/t.yaml:22:49:", "a value at most 0xffff" },
    { "value: 0x3344 }", "value: VM_dos1+x }", SCEN_ESCHEMA, "dir/t.yaml:22:49:", "a number, VM_name" },
    { "arg: 7 }", "regs: { ebp: 1 } }", SCEN_ESCHEMA, "dir/t.yaml:19:", "unknown key 'ebp'" },
    { "arg: 7 }", "arg: 7, regs: { edx: 1 } }", SCEN_ESCHEMA, "dir/t.yaml:19:", "unexpected key 'arg'" },
    { "  - finding: CS-7\n", "  - entry: { cb: DEMO.entry }\n", SCEN_ESCHEMA, "dir/t.yaml:23:12:", "at least one of vm" },
    { "  - finding: CS-7\n", "  - calls: { cb: DEMO.entry, at_least: 2, at_most: 1 }\n", SCEN_ESCHEMA,
      "dir/t.yaml:23:", "a count >= at_least" },
    { "  - finding: CS-7\n", "  - before: [DEMO.entry]\n", SCEN_ESCHEMA, "dir/t.yaml:23:13:", "at least two labels" },
    /* a list where calls: wants a mapping (found by fuzz_scen: its keys were read before its type) */
    { "  - finding: CS-7\n", "  - calls: [DEMO.entry]\n", SCEN_ESCHEMA, "dir/t.yaml:23:", "expect.calls" },
    { "name: loader test", "name: \"a\\tb\"", SCEN_ESCHEMA, "dir/t.yaml:1:7:", "one line of text" },
};

START_TEST(test_errors) {
    int i = _i;
    int rc = load_edit(bad[i].from, bad[i].to);
    ck_assert_msg(rc == bad[i].rc, "case %d: rc %d, want %d (%s)", i, rc, bad[i].rc, scen_error(&S));
    ck_assert_msg(!strncmp(scen_error(&S), bad[i].prefix, strlen(bad[i].prefix)),
                  "case %d: '%s' does not start with '%s'", i, scen_error(&S), bad[i].prefix);
    ck_assert_msg(strstr(scen_error(&S), bad[i].needle), "case %d: '%s' lacks '%s'", i,
                  scen_error(&S), bad[i].needle);
}
END_TEST

START_TEST(test_empty_and_garbage) {
    ck_assert_int_eq(scen_parse(&S, "", 0, "e.yaml"), SCEN_ESCHEMA);
    ck_assert_str_eq(scen_error(&S), "e.yaml:1:1: scenario: expected a mapping with 'vms' "
                     "(and vxds, timeline, expect), found an empty document");
    scen_free(&S);
    ck_assert_int_eq(scen_parse(&S, "- 1\n- 2\n", 8, "l.yaml"), SCEN_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(scen_error(&S), "l.yaml:1:1: scenario: expected a mapping, found a list"));
    scen_free(&S);
    ck_assert_int_eq(scen_parse(&S, "a: [\x01", 5, "b.yaml"), SCEN_ESYNTAX);
    scen_free(&S);
    /* Deep nesting is a limit, not a stack overflow. */
    char deep[200];
    memset(deep, '[', sizeof deep);
    ck_assert_int_eq(scen_parse(&S, deep, sizeof deep, "d.yaml"), SCEN_ELIMIT);
    ck_assert_ptr_nonnull(strstr(scen_error(&S), "nesting deeper"));
}
END_TEST

START_TEST(test_file_source_and_placement) {
    char dir[] = "/tmp/vmmsim-test-XXXXXX", path[256], yaml[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/drv.asm", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("Control_Proc: clc\n ret\n times 5000 db 0x90\nlast: ret\n", f);
    fclose(f);
    snprintf(yaml, sizeof yaml,
             "vms: [ { name: sys, system: true } ]\n"
             "vxds:\n  - { name: A, file: drv.asm }\n  - { name: B, file: drv.asm }\n"
             "  - { name: C, file: drv.asm, load: 0x200000 }\n");
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    ck_assert_int_eq(scen_load_text(&S, yaml, strlen(yaml), path), SCEN_OK);
    ck_assert_uint_eq(S.vxds[0].load_addr, 0x100000);
    ck_assert_uint_eq(S.vxds[0].image_len, 5003);
    ck_assert_uint_eq(S.vxds[1].load_addr, 0x102000);   /* next 4 KiB boundary */
    ck_assert_uint_eq(S.vxds[2].load_addr, 0x200000);
    ck_assert_uint_eq(S.vxds[2].control_proc, 0x200000);
    scen_free(&S);
    /* An error inside a file source names that file and its line. */
    snprintf(path, sizeof path, "%s/drv.asm", dir);
    f = fopen(path, "w");
    fputs("Control_Proc: clc\n bogus eax\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/s.yaml", dir);
    ck_assert_int_eq(scen_load_text(&S, yaml, strlen(yaml), path), SCEN_EASM);
    char want[400];
    snprintf(want, sizeof want, "%s/drv.asm:2:1: VxD 'A'", dir);
    ck_assert_msg(!strncmp(scen_error(&S), want, strlen(want)), "%s", scen_error(&S));
    scen_free(&S);
    /* A `file:` that does not exist names the key's position, not a temp file. */
    snprintf(yaml, sizeof yaml, "vms: [ { name: sys, system: true } ]\n"
             "vxds:\n  - { name: A, file: gone.asm }\n");
    ck_assert_int_eq(scen_load_text(&S, yaml, strlen(yaml), path), SCEN_EIO);
    snprintf(want, sizeof want, "%s:3:22: vxds.file: expected a readable NASM source", path);
    ck_assert_msg(!strncmp(scen_error(&S), want, strlen(want)), "%s", scen_error(&S));
    snprintf(path, sizeof path, "%s/drv.asm", dir);
    unlink(path);
    rmdir(dir);
}
END_TEST

static int dir_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

START_TEST(test_temp_cleaned_and_no_nasm) {
    char tmp[] = "/tmp/vmmsim-tmpdir-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    setenv("TMPDIR", tmp, 1);
    ck_assert_int_eq(load_edit(NULL, NULL), SCEN_OK);
    scen_free(&S);
    ck_assert_int_eq(load_edit("mov eax, 1", "mov eax, [nope]"), SCEN_EASM);
    ck_assert_int_eq(dir_entries(tmp), 0);   /* nothing left behind, also on failure */
    scen_free(&S);
    setenv("VMMSIM_NASM", "/nonexistent/nasm", 1);
    ck_assert_int_eq(load_edit(NULL, NULL), SCEN_ENONASM);
    ck_assert_ptr_nonnull(strstr(scen_error(&S), "apt-get install nasm"));
    ck_assert_ptr_null(strchr(scen_error(&S), '\n'));   /* one line */
    ck_assert_int_eq(dir_entries(tmp), 0);
    unsetenv("VMMSIM_NASM");
    unsetenv("TMPDIR");
    rmdir(tmp);
}
END_TEST

START_TEST(test_default_scenario_loads) {
    ck_assert_int_eq(scen_load_text(&S, scen_default_yaml, strlen(scen_default_yaml),
                                    SCEN_DEFAULT_NAME), SCEN_OK);
    ck_assert_uint_ge(S.nvxds, 1);
    ck_assert_uint_ge(S.nstim, 1);
    ck_assert_uint_ge(S.nexp, 1);
}
END_TEST

/* INT-1 and timing: irq_handler_cycles, `do: irq` stimuli and `within` expectations. */
static const char irq_yaml[] =
    "machine: { irq_handler_cycles: 1500 }\n"                   /* 1 */
    "vms: [ { name: sys, system: true }, { name: dos1 } ]\n"    /* 2 */
    "vxds:\n"                                                   /* 3 */
    "  - name: DEMO\n"                                          /* 4 */
    "    asm: |\n"                                              /* 5 */
    "      Control_Proc: clc\n"                                 /* 6 */
    "              ret\n"                                       /* 7 */
    "      hw:     ret\n"                                       /* 8 */
    "      cb:     ret\n"                                       /* 9 */
    "timeline:\n"                                               /* 10 */
    "  - { at: 1000, vm: dos1, do: call(DEMO.cb) }\n"           /* 11 */
    "  - { at: [2000, 2500], do: irq, irq: 5 }\n"               /* 12 */
    "expect:\n"                                                 /* 13 */
    "  - within: { from: { stimulus: 1 }, to: DEMO.hw, cycles: 300 }\n"   /* 14 */
    "  - within: { from: { return: DEMO.hw }, to: cb, cycles: 0x100 }\n"  /* 15 */
    "  - within: { from: { enter: DEMO.cb }, to: DEMO.hw, cycles: 1 }\n"  /* 16 */
    "  - within: { from: { service: End_Critical_Section }, to: DEMO.cb, cycles: 9 }\n"; /* 17 */

static int load_irq_edit(const char *from, const char *to) {
    char buf[4096];
    const char *p = from ? strstr(irq_yaml, from) : NULL;
    if (from) ck_assert_msg(p != NULL, "test bug: '%s' not in irq_yaml", from);
    if (p)
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - irq_yaml), irq_yaml, to, p + strlen(from));
    else
        snprintf(buf, sizeof buf, "%s", irq_yaml);
    return scen_load_text(&S, buf, strlen(buf), "dir/i.yaml");
}

/* INT-1: an irq stimulus needs no VM; TO-1/EV-1 timing expectations name their trigger. */
START_TEST(int1_irq_stimulus_and_within) {
    ck_assert_msg(load_irq_edit(NULL, NULL) == SCEN_OK, "%s", scen_error(&S));
    ck_assert_uint_eq(S.m.irq_handler_cycles, 1500);
    ck_assert_uint_eq(S.nstim, 2);
    ck_assert_uint_eq(S.stim[1].kind, VMM_STIM_IRQ);
    ck_assert_uint_eq(S.stim[1].arg, 5);
    ck_assert_uint_eq(S.stim[1].vm, 0);
    ck_assert_uint_eq(S.stim[1].at_lo, 2000);
    ck_assert_uint_eq(S.stim[1].at_hi, 2500);
    ck_assert_uint_eq(S.nexp, 4);
    for (uint32_t k = 0; k < 4; k++) ck_assert_uint_eq(S.exp[k].kind, SCEN_EXP_WITHIN);
    ck_assert_uint_eq(S.exp[0].trig, SCEN_TRIG_STIMULUS);
    ck_assert_uint_eq(S.exp[0].trig_index, 1);
    ck_assert_uint_eq(S.exp[0].cycles, 300);
    ck_assert_uint_eq(S.refs[S.exp[0].ref0].addr, 0x100002);   /* DEMO.hw */
    ck_assert_uint_eq(S.exp[1].trig, SCEN_TRIG_RETURN);
    ck_assert_uint_eq(S.refs[S.exp[1].trig_ref].addr, 0x100002);
    ck_assert_uint_eq(S.refs[S.exp[1].ref0].addr, 0x100003);   /* cb, unprefixed */
    ck_assert_uint_eq(S.exp[1].cycles, 256);
    ck_assert_uint_eq(S.exp[2].trig, SCEN_TRIG_ENTER);
    ck_assert_uint_eq(S.refs[S.exp[2].trig_ref].addr, 0x100003);
    ck_assert_uint_eq(S.exp[3].trig, SCEN_TRIG_SERVICE);
    ck_assert_str_eq(S.exp[3].svc, "End_Critical_Section");
    scen_free(&S);
    /* Without the key, the machine default applies (docs/vmm.md: 2000). */
    ck_assert_int_eq(load_irq_edit("machine: { irq_handler_cycles: 1500 }\n", ""), SCEN_OK);
    ck_assert_uint_eq(S.m.irq_handler_cycles, 2000);
}
END_TEST

static const struct { const char *from, *to; int rc; const char *prefix, *needle; } bad_irq[] = {
    { "1500", "0", SCEN_ESCHEMA, "dir/i.yaml:1:32:", "from 1 to 1000000000" },
    { "1500", "1000000001", SCEN_ESCHEMA, "dir/i.yaml:1:32:", "machine.irq_handler_cycles" },
    { "irq: 5", "irq: 16", SCEN_ESCHEMA, "dir/i.yaml:12:39:", "0 to 15" },
    { ", irq: 5", "", SCEN_ESCHEMA, "dir/i.yaml:12:5:", "missing key 'irq'" },
    { "do: irq,", "do: irq, vm: dos1,", SCEN_ESCHEMA, "dir/i.yaml:12:34:", "unexpected key 'vm'" },
    { "irq: 5", "irq: 5, arg: 5", SCEN_ESCHEMA, "dir/i.yaml:12:42:", "unexpected key 'arg'" },
    { "do: call(DEMO.cb)", "do: call(DEMO.cb), irq: 3", SCEN_ESCHEMA, "dir/i.yaml:11:46:", "only do: irq" },
    { "do: irq", "do: irqs", SCEN_ESCHEMA, "dir/i.yaml:12:29:", "end_crit or irq" },
    { "{ stimulus: 1 }", "{ stimulus: 2 }", SCEN_ESCHEMA, "dir/i.yaml:14:33:", "from 0 to 1" },
    { "{ stimulus: 1 }", "{ stimulus: 1, enter: cb }", SCEN_ESCHEMA, "dir/i.yaml:14:21:", "one of { stimulus" },
    { "{ stimulus: 1 }", "{ vm: dos1 }", SCEN_ESCHEMA, "dir/i.yaml:14:23:", "unknown key 'vm'" },
    { "{ return: DEMO.hw }", "{ return: DEMO.hx }", SCEN_ELABEL, "dir/i.yaml:15:31:", "'DEMO.hx'" },
    { "to: DEMO.hw, cycles: 1 }", "to: DEMO.hz, cycles: 1 }", SCEN_ELABEL, "dir/i.yaml:16:45:", "'DEMO.hz'" },
    { "cycles: 300", "cycles: soon", SCEN_ESCHEMA, "dir/i.yaml:14:59:", "found 'soon'" },
    { ", cycles: 300", "", SCEN_ESCHEMA, "dir/i.yaml:14:13:", "missing key 'cycles'" },
    { "service: End_Critical_Section", "service: 'End Crit'", SCEN_ESCHEMA, "dir/i.yaml:17:32:", "service name" },
    { "- within: { from: { stimulus: 1 },", "- within: {", SCEN_ESCHEMA, "dir/i.yaml:14:13:", "missing key 'from'" },
};

START_TEST(int1_irq_and_within_errors) {
    int i = _i;
    int rc = load_irq_edit(bad_irq[i].from, bad_irq[i].to);
    ck_assert_msg(rc == bad_irq[i].rc, "case %d: rc %d, want %d (%s)", i, rc, bad_irq[i].rc, scen_error(&S));
    ck_assert_msg(!strncmp(scen_error(&S), bad_irq[i].prefix, strlen(bad_irq[i].prefix)),
                  "case %d: '%s' does not start with '%s'", i, scen_error(&S), bad_irq[i].prefix);
    ck_assert_msg(strstr(scen_error(&S), bad_irq[i].needle), "case %d: '%s' lacks '%s'", i,
                  scen_error(&S), bad_irq[i].needle);
}
END_TEST

/* SL-1 machine and VM keys, and register expectations (a VM's Client_Reg_Struc). */
START_TEST(sl1_keys_and_register_expectation) {
    ck_assert_int_eq(load_edit("memory_kb: 2048 }", "memory_kb: 2048, time_slicing: true, "
                               "time_slice_ms: 10 }"), SCEN_OK);
    ck_assert_uint_eq(S.m.time_slicing, 1);
    ck_assert_uint_eq(S.m.time_slice_ms, 10);
    scen_free(&S);
    ck_assert_int_eq(load_edit("background: true }", "background: true, high_pri_background: true }"),
                     SCEN_OK);
    ck_assert_uint_eq(S.vms[1].status_flags, (1u << 1) | (1u << 9));   /* Background, High_Pri_Back */
    scen_free(&S);
    ck_assert_int_eq(load_edit("  - finding: CS-7\n", "  - register: { vm: dos1, reg: ds, value: 0x1234 }\n"
                               "  - register: { vm: sys, reg: EAX, value: 7 }\n"), SCEN_OK);
    const scen_expect *e = &S.exp[2];
    ck_assert_uint_eq(e->kind, SCEN_EXP_REGISTER);
    ck_assert_str_eq(e->reg, "DS");
    ck_assert_uint_eq(e->vm, 1);
    ck_assert_uint_eq(e->addr, 0x3C);   /* Client_DS */
    ck_assert_uint_eq(e->size, 2);
    ck_assert_uint_eq(e->value, 0x1234);
    ck_assert_uint_eq(S.exp[3].addr, 0x1C);   /* Client_EAX */
    ck_assert_uint_eq(S.exp[3].size, 4);
}
END_TEST

static const struct { const char *from, *to; const char *prefix, *needle; } bad_sl[] = {
    { "memory_kb: 2048 }", "memory_kb: 2048, time_slicing: 2 }", "dir/t.yaml:2:", "true or false" },
    { "memory_kb: 2048 }", "memory_kb: 2048, time_slice_ms: 0 }", "dir/t.yaml:2:", "from 1 to 60000" },
    { "background: true }", "background: true, high_pri_background: 3 }", "dir/t.yaml:5:", "true or false" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAXX, value: 1 }\n", "dir/t.yaml:23:", "one of EAX" },
    { "  - finding: CS-7\n", "  - register: { vm: dos9, reg: EAX, value: 1 }\n", "dir/t.yaml:23:", "found 'dos9'" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: DS, value: 0x10000 }\n", "dir/t.yaml:23:", "expect.register.value" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, value: 1 }\n", "dir/t.yaml:23:", "reg" },
};

START_TEST(sl1_and_register_errors) {
    int i = _i;
    int rc = load_edit(bad_sl[i].from, bad_sl[i].to);
    ck_assert_msg(rc != SCEN_OK, "case %d: loaded", i);
    ck_assert_msg(!strncmp(scen_error(&S), bad_sl[i].prefix, strlen(bad_sl[i].prefix)),
                  "case %d: '%s' does not start with '%s'", i, scen_error(&S), bad_sl[i].prefix);
    ck_assert_msg(strstr(scen_error(&S), bad_sl[i].needle), "case %d: '%s' lacks '%s'", i,
                  scen_error(&S), bad_sl[i].needle);
}
END_TEST

/* Symbolic values resolve after assembling; the call's registers; entry, calls and
** before are parsed into their fields (explore/expect.c checks them on a run). */
START_TEST(symbols_call_regs_and_callback_expectations) {
    ck_assert_int_eq(load_edit("  - finding: CS-7\n",
        "  - memory: { addr: DEMO.flag+2, size: 2, value: 0x1122 }\n"          /* 23 */
        "  - memory: { addr: VM_dos1+8, value: VM_dos1+0x80 }\n"               /* 24 */
        "  - register: { vm: dos1, reg: EBX, value: DEMO.flag }\n"             /* 25 */
        "  - entry: { cb: DEMO.entry, nth: 2, vm: dos1, ebx: VM_dos1, edx: 7 }\n" /* 26 */
        "  - calls: { cb: entry.loop, at_most: 3 }\n"                          /* 27 */
        "  - before: { every: [DEMO.entry, entry.loop] }\n"), SCEN_OK);       /* 28 */
    ck_assert_uint_eq(S.nexp, 9);
    ck_assert_uint_eq(S.exp[2].nrefs, 1);   /* addr: LABEL+N reads as label: + offset: */
    ck_assert_uint_eq(S.exp[2].addr, 0x100008 + 2);          /* flag is at +8 */
    ck_assert_uint_eq(S.exp[2].value, 0x1122);
    ck_assert_uint_eq(S.exp[3].nrefs, 0);
    ck_assert_uint_eq(S.exp[3].addr, 0x10108);               /* VM_dos1 + 8 */
    ck_assert_uint_eq(S.exp[3].value, 0x10180);
    ck_assert_uint_eq(S.exp[4].value, 0x100008);             /* DEMO.flag */
    ck_assert_uint_eq(S.exp[5].kind, SCEN_EXP_ENTRY);
    ck_assert_uint_eq(S.exp[5].nth, 2);
    ck_assert_uint_eq(S.exp[5].regmask, 1u << SCEN_ENTRY_VM | 1u << SCEN_ENTRY_EBX | 1u << SCEN_ENTRY_EDX);
    ck_assert_uint_eq(S.exp[5].regs[SCEN_ENTRY_VM], 1);
    ck_assert_uint_eq(S.exp[5].regs[SCEN_ENTRY_EBX], 0x10100);
    ck_assert_uint_eq(S.exp[5].regs[SCEN_ENTRY_EDX], 7);
    ck_assert_uint_eq(S.refs[S.exp[5].ref0].addr, 0x100002);
    ck_assert_uint_eq(S.exp[6].kind, SCEN_EXP_CALLS);
    ck_assert_uint_eq(S.exp[6].lo, 0);
    ck_assert_uint_eq(S.exp[6].hi, 3);
    ck_assert_uint_eq(S.exp[7].kind, SCEN_EXP_BEFORE);
    ck_assert_uint_eq(S.exp[7].every, 1);
    ck_assert_uint_eq(S.exp[7].nrefs, 2);
    ck_assert_uint_eq(S.refs[S.exp[7].ref0 + 1].addr, 0x100007);   /* entry.loop */
    scen_free(&S);
    ck_assert_int_eq(load_edit("arg: 7 }", "regs: { eax: VM_sys, ecx: DEMO.flag+1, edx: 9, edi: 2 } }"), SCEN_OK);
    const vmm_stimulus *t = &S.stim[2];
    ck_assert_uint_eq(t->kind, VMM_STIM_CALL);
    ck_assert_uint_eq(t->arg, 9);                            /* EDX */
    ck_assert_uint_eq(t->regs_set, 1u << VMM_CALL_EAX | 1u << VMM_CALL_ECX | 1u << VMM_CALL_EDI);
    ck_assert_uint_eq(t->regs[VMM_CALL_EAX], 0x10000);
    ck_assert_uint_eq(t->regs[VMM_CALL_ECX], 0x100009);
    ck_assert_uint_eq(t->regs[VMM_CALL_EDI], 2);
}
END_TEST

/* name: up to SCEN_NAME_MAX-1 bytes, then a clear error. */
START_TEST(long_name) {
    char from[SCEN_NAME_MAX + 16], to[SCEN_NAME_MAX + 16];
    snprintf(from, sizeof from, "name: loader test");
    snprintf(to, sizeof to, "name: %0*d", SCEN_NAME_MAX - 1, 0);
    ck_assert_int_eq(load_edit(from, to), SCEN_OK);
    ck_assert_uint_eq(strlen(S.name), SCEN_NAME_MAX - 1);
    scen_free(&S);
    snprintf(to, sizeof to, "name: x%0*d", SCEN_NAME_MAX - 1, 0);
    ck_assert_int_eq(load_edit(from, to), SCEN_ESCHEMA);
    ck_assert_str_eq(scen_error(&S), "dir/t.yaml:1:7: name: expected a text of at most 1023 characters, "
                     "found 'x000000000000000000000000000000000000000...'");
}
END_TEST

/* Client programs (docs/vmm.md, "Client code"): dos1 of base_yaml gets one. */
static const char client_dos1[] =
    "  - name: dos1\n"                                      /* 5 */
    "    client:\n"                                         /* 6 */
    "      load: 0x1000:0x0100\n"                           /* 7 */
    "      cs_ip: go\n"                                     /* 8 */
    "      regs: { eax: 5, ds: 0x3000 }\n"                  /* 9 */
    "      asm: |\n"                                        /* 10 */
    "        nop\n"                                         /* 11 */
    "        go: hlt\n";                                    /* 12 */

/* base_yaml with dos1's program, then `from` replaced by `to` (when from != NULL). */
static int load_client_edit(const char *from, const char *to) {
    char one[4096], two[4096];
    const char *line = "  - { name: dos1, fg_priority: 200, background: true }\n";
    const char *p = strstr(base_yaml, line);
    ck_assert(p != NULL);
    snprintf(one, sizeof one, "%.*s%s%s", (int)(p - base_yaml), base_yaml, client_dos1, p + strlen(line));
    const char *q = from ? strstr(one, from) : NULL;
    if (from) ck_assert_msg(q != NULL, "test bug: '%s' not in the client base", from);
    if (q) snprintf(two, sizeof two, "%.*s%s%s", (int)(q - one), one, to, q + strlen(from));
    else snprintf(two, sizeof two, "%s", one);
    return scen_load_text(&S, two, strlen(two), "dir/t.yaml");
}

START_TEST(client_keys_and_memory_by_segoff) {
    ck_assert_int_eq(load_client_edit("  - finding: CS-7\n",
                                      "  - memory: { vm: dos1, at: 0x1000:0x0102, size: 1, value: 0 }\n"),
                     SCEN_OK);
    const vmm_client *c = &S.vms[1].client;
    ck_assert_ptr_nonnull(c->image);
    ck_assert_uint_eq(c->image_len, 2);               /* nop, hlt */
    ck_assert_uint_eq(c->image[1], 0xF4);
    ck_assert_uint_eq(c->load_seg, 0x1000);
    ck_assert_uint_eq(c->load_off, 0x100);
    ck_assert_uint_eq(c->cs, 0x1000);
    ck_assert_uint_eq(c->ip, 0x101);                  /* label go, org = the load offset */
    ck_assert_uint_eq(c->ss, 0x1000);
    ck_assert_uint_eq(c->sp, 0xFFFE);
    ck_assert_uint_eq(c->regs[VMM_CREG_EAX], 5);
    ck_assert_uint_eq(c->regs[VMM_CREG_DS], 0x3000);
    ck_assert_uint_eq(c->regs_set, 1u << VMM_CREG_EAX | 1u << VMM_CREG_DS);
    ck_assert_ptr_null(S.vms[0].client.image);        /* sys has none */
    ck_assert_uint_eq(S.nvxds, 1);                    /* the program is no VxD */
    const scen_expect *e = &S.exp[2];
    ck_assert_uint_eq(e->kind, SCEN_EXP_MEMORY);
    ck_assert_uint_eq(e->vm, 1);
    ck_assert_uint_eq(e->v86, 1 + 0x10102);
}
END_TEST

/* Expectations at a label (`when:`, `nth:`) become client probes of their VM, with the
** label's address in its space and what they compare. */
START_TEST(client_state_at_a_label) {
    ck_assert_int_eq(load_client_edit("  - finding: CS-7\n",
                                      "  - register: { vm: dos1, reg: ds, value: 0x3000, when: dos1.go }\n"
                                      "  - memory: { vm: dos1, at: 0x1000:0x0102, size: 1, value: 7,\n"
                                      "              when: dos1.go+1, nth: 2 }\n"), SCEN_OK);
    const vmm_client *c = &S.vms[1].client;
    ck_assert_uint_eq(c->nprobes, 2);
    ck_assert_ptr_nonnull(c->probes);
    ck_assert_uint_eq(S.exp[2].probe, 1);
    ck_assert_uint_eq(S.exp[3].probe, 2);
    ck_assert_uint_eq(c->probes[0].lin, 0x10101);           /* 1000:0101, label go */
    ck_assert_uint_eq(c->probes[0].nth, 0);                 /* every pass */
    ck_assert_uint_eq(c->probes[0].what, 0x3C);             /* Client_DS */
    ck_assert_uint_eq(c->probes[0].size, 2);
    ck_assert_uint_eq(c->probes[0].value, 0x3000);
    ck_assert_uint_eq(c->probes[1].lin, 0x10102);
    ck_assert_uint_eq(c->probes[1].nth, 2);
    ck_assert_uint_eq(c->probes[1].what, VMM_PROBE_MEM);
    ck_assert_uint_eq(c->probes[1].addr, 0x10102);
    ck_assert_uint_eq(c->probes[1].size, 1);
    ck_assert_uint_eq(S.vms[0].client.nprobes, 0);
    scen_free(&S);
    char many[1024] = "";   /* one more than a VM's probes */
    for (uint32_t k = 0; k <= VMM_PROBES_MAX; k++)
        strncat(many, "  - register: { vm: dos1, reg: EAX, value: 0, when: dos1.go }\n",
                sizeof many - strlen(many) - 1);
    ck_assert_int_eq(load_client_edit("  - finding: CS-7\n", many), SCEN_ELIMIT);
    ck_assert_msg(strstr(scen_error(&S), "dir/t.yaml:38:53: expect.register.when: expected at most 8 "),
                  "%s", scen_error(&S));
}
END_TEST

/* A scenario whose only source is a client program (no VxD) assembles it too. */
START_TEST(client_without_vxds) {
    static const char y[] = "name: only a program\nvms:\n  - { name: sys, system: true }\n"
                            "  - name: dos1\n    client:\n      asm: |\n        hlt\n";
    ck_assert_int_eq(scen_load_text(&S, y, strlen(y), "dir/t.yaml"), SCEN_OK);
    ck_assert_uint_eq(S.nvxds, 0);
    ck_assert_uint_eq(S.vms[1].client.image_len, 1);
    ck_assert_uint_eq(S.vms[1].client.image[0], 0xF4);
}
END_TEST

static const struct { const char *from, *to; int rc; const char *prefix, *needle; } bad_client[] = {
    { "load: 0x1000:0x0100", "load: 0x10000:0", SCEN_ESCHEMA, "dir/t.yaml:7:13:", "SEG:OFF" },
    { "load: 0x1000:0x0100", "load: 4096", SCEN_ESCHEMA, "dir/t.yaml:7:13:", "SEG:OFF" },
    { "cs_ip: go", "cs_ip: gone", SCEN_ELABEL, "dir/t.yaml:8:14:", "unknown label 'gone'" },
    { "eax: 5,", "esp: 5,", SCEN_ESCHEMA, "dir/t.yaml:9:", "unknown key 'esp'" },
    { "ds: 0x3000", "ds: 0x13000", SCEN_ESCHEMA, "dir/t.yaml:9:", "0 to 65535" },
    { "    client:\n", "    client:\n      file: p.asm\n", SCEN_ESCHEMA, "dir/t.yaml:", "found both" },
    { "        nop\n", "        mov ax, [nope]\n", SCEN_EASM, "dir/t.yaml:11:", "symbol `nope' not defined" },
    { "      load: 0x1000:0x0100\n", "      turbo: 1\n", SCEN_ESCHEMA, "dir/t.yaml:7:", "unknown key 'turbo'" },
    { "  - finding: CS-7\n", "  - memory: { vm: dos1, addr: 4, at: 0:0, value: 0 }\n", SCEN_ESCHEMA,
      "dir/t.yaml:30:", "'vm:' takes" },
    { "  - finding: CS-7\n", "  - memory: { at: 0:0, value: 0 }\n", SCEN_ESCHEMA, "dir/t.yaml:30:",
      "only with 'vm:'" },
    { "  - finding: CS-7\n", "  - memory: { vm: dos1, value: 0 }\n", SCEN_ESCHEMA, "dir/t.yaml:30:",
      "missing key 'at'" },
    { "      load: 0x1000:0x0100\n", "      mode: pm\n", SCEN_ESCHEMA, "dir/t.yaml:7:13:",
      "pm is the system VM's" },
    { "      load: 0x1000:0x0100\n", "      mode: real\n", SCEN_ESCHEMA, "dir/t.yaml:7:13:", "v86 or pm" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, when: sys.go }\n", SCEN_ESCHEMA,
      "dir/t.yaml:30:53:", "a label of VM dos1's program" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, when: dos1.gone }\n",
      SCEN_ELABEL, "dir/t.yaml:30:53:", "register.when: expected a label of VM dos1's program, found unknown label 'dos1.gone'" },
    { "  - finding: CS-7\n", "  - register: { vm: sys, reg: EAX, value: 0, when: sys.go }\n",
      SCEN_ELABEL, "dir/t.yaml:30:52:", "found 'sys.go' (the VM has no client program)" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, nth: 2 }\n", SCEN_ESCHEMA,
      "dir/t.yaml:30:", "'nth' (only with 'when:')" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, when: dos1.go, nth: 0 }\n",
      SCEN_ESCHEMA, "dir/t.yaml:30:67:", "a pass number from 1" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, when: dos1.go+0x10000 }\n",
      SCEN_ESCHEMA, "dir/t.yaml:30:53:", "a label of VM dos1's program" },
    { "  - finding: CS-7\n", "  - memory: { label: X.y, value: 0, when: dos1.go }\n", SCEN_ESCHEMA,
      "dir/t.yaml:30:", "'when' (only with 'vm:')" },
    { "  - finding: CS-7\n", "  - register: { vm: dos1, reg: EAX, value: 0, when: dos1.go+0xFFFF }\n",
      SCEN_ESCHEMA, "dir/t.yaml:30:53:", "'dos1.go+65535' is beyond its 64 KiB segment" },
};

START_TEST(client_errors) {
    int i = _i;
    int rc = load_client_edit(bad_client[i].from, bad_client[i].to);
    ck_assert_msg(rc == bad_client[i].rc, "case %d: rc %d, want %d (%s)", i, rc, bad_client[i].rc,
                  scen_error(&S));
    ck_assert_msg(!strncmp(scen_error(&S), bad_client[i].prefix, strlen(bad_client[i].prefix)),
                  "case %d: '%s' does not start with '%s'", i, scen_error(&S), bad_client[i].prefix);
    ck_assert_msg(strstr(scen_error(&S), bad_client[i].needle), "case %d: '%s' lacks '%s'", i,
                  scen_error(&S), bad_client[i].needle);
}
END_TEST

/* The VM lifecycle (docs/vmm.md): vms[].start and do: create_vm / destroy_vm / exit. */
START_TEST(lifecycle_keys) {
    char buf[4096], *p;
    snprintf(buf, sizeof buf, "%s", base_yaml);
    p = strstr(buf, "fg_priority: 200, background: true }");
    ck_assert_ptr_nonnull(p);
    memcpy(p, "start: later,     background: true }", 36);      /* same length */
    p = strstr(buf, "do: release_time_slice }");
    memcpy(p, "do: create_vm          }", 24);
    p = strstr(buf, "do: kernel_idle }");
    memcpy(p, "do: exit        }", 17);
    ck_assert_int_eq(scen_load_text(&S, buf, strlen(buf), "dir/l.yaml"), SCEN_OK);
    ck_assert_uint_eq(S.vms[1].start_later, 1);
    ck_assert_uint_eq(S.vms[0].start_later, 0);
    ck_assert_uint_eq(S.stim[0].kind, VMM_STIM_CREATE_VM);
    ck_assert_uint_eq(S.stim[0].vm, 1);
    ck_assert_uint_eq(S.stim[1].kind, VMM_STIM_EXIT);
    ck_assert_uint_eq(S.stim[1].vm, 0);                  /* the system VM, unsaid */
    scen_free(&S);
    ck_assert_int_eq(load_edit("background: true }", "start: soon }"), SCEN_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(scen_error(&S), "boot or later"));
    scen_free(&S);
    ck_assert_int_eq(load_edit("do: release_time_slice", "do: destroy_vm"), SCEN_OK);
    ck_assert_uint_eq(S.stim[0].kind, VMM_STIM_DESTROY_VM);
}
END_TEST

int main(void) {
    Suite *s = suite_create("scen");
    TCase *tc = tcase_create("loader");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, test_valid);
    tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(tc, test_empty_and_garbage);
    tcase_add_test(tc, test_file_source_and_placement);
    tcase_add_test(tc, test_temp_cleaned_and_no_nasm);
    tcase_add_test(tc, test_default_scenario_loads);
    tcase_add_test(tc, int1_irq_stimulus_and_within);
    tcase_add_loop_test(tc, int1_irq_and_within_errors, 0, (int)(sizeof bad_irq / sizeof bad_irq[0]));
    tcase_add_test(tc, sl1_keys_and_register_expectation);
    tcase_add_loop_test(tc, sl1_and_register_errors, 0, (int)(sizeof bad_sl / sizeof bad_sl[0]));
    tcase_add_test(tc, symbols_call_regs_and_callback_expectations);
    tcase_add_test(tc, long_name);
    tcase_add_test(tc, client_keys_and_memory_by_segoff);
    tcase_add_test(tc, client_without_vxds);
    tcase_add_test(tc, client_state_at_a_label);
    tcase_add_test(tc, lifecycle_keys);
    tcase_add_loop_test(tc, client_errors, 0, (int)(sizeof bad_client / sizeof bad_client[0]));
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
