/*
** trace.c — VMM trace records: how each is packed into eng_record args, and its
** canonical text line. docs/trace-format.md is the specification of the text; keep
** the two in step (the harness's reference model parses the text).
**
** Packing (a0..a5):
**   BOOT        nvms, nvxds, nstim, clock_hz, memory_kb
**   VM_STATE    vm, state, status, suspend count, handle, system
**   EVENT       seq, kind, index
**   STIMULUS    index, kind, vm, target, arg
**   CONTROL     msg, vxd, vm
**   SERVICE     dword | vm << 32 | path << 48, eax, ebx, ecx, edx, esi
**   SVC_RET     dword | vm << 32 | cf << 48 | zf << 49, eax, ebx, ecx, edx, esi
**   CB_ENTER    kind | depth << 8 | vm << 16 | pri << 32, addr, eax, ebx, edx, ebp
**   CB_RETURN   kind | depth << 8 | vm << 16 | cf << 32, addr, eax, cycles
**   TASK_SWITCH old, new, reason, pri
**   PRIORITY    vm, pri, old, boost (two's complement), reason
**   CRIT        op, vm, owner, count, n
**   CHOICE      kind, n, chosen
**   FINDING     code, vm, addr, then per code: CB-1 reg, expected, actual;
**               CS-7 dword, owner, count; INIT vxd, msg
**   END         reason, code (two's complement), findings
**   EV          op | type << 8 | vm << 16, handle, cb, ref, boost, flags
**   TIMEOUT     op | type << 8 | vm << 16 | late << 32, handle, cb, ref, due ms
**   IRQ         op | irq << 8 | vm << 16, procedure, handle
**   SLICE       op | vm << 8, cycles, slice priority, credit ms (two's complement),
**               granularity ms
**   IO          op | size << 8 | vm << 16 | port << 32, value
**   CLIENT      op | vm << 8 | if << 16 | vector << 24 | pm << 32, cs << 16 | ip, target
**               (CS << 16 | IP)
**   MACHINE     timer_tick_ms | time_slice_ms << 32,
**               idle_slots | nc_slots << 16 | ts_slots << 32 | irq_boundary_window << 48
**                 | time_slicing << 56,
**               service_cycles | wait_states << 32, irq_handler_cycles | event_capacity << 32,
**               max_cycles, hang_cycles
**               (slot counts ≤ VMM_SLOTS_MAX 4096, the window ≤ 64, time_slicing 0/1:
**               16 and 8 bits hold them; the uint32 fields keep 32 bits)
*/
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm_int.h"

void vmmi_rec(vmm_state *v, uint16_t type, uint8_t n, uint64_t a0, uint64_t a1, uint64_t a2,
             uint64_t a3, uint64_t a4, uint64_t a5) {
    uint64_t a[ENG_REC_ARGS] = { a0, a1, a2, a3, a4, a5 };
    uint64_t index = v->tr.count;
    assert(n <= ENG_REC_ARGS && type > 0 && type < VMM_REC_TYPE_COUNT);
    eng_trace_add(&v->tr, vmmi_cycles(v), type, n, a, NULL);   /* full storage: still hashed */
    if (v->rec_hook) v->rec_hook(v->rec_hook_ud, index, type);
}

void vmm_set_rec_hook(vmm_state *v, vmm_rec_hook fn, void *ud) {
    assert(v);
    v->rec_hook = fn;
    v->rec_hook_ud = fn ? ud : NULL;
}

void vmmi_rec_vmstate(vmm_state *v, uint32_t vm, int state) {
    assert(vm < v->nvms);
    vmmi_rec(v, VMM_REC_VM_STATE, 6, vm, (uint64_t)state, vmmi_status(v, vm), v->vm[vm].suspend,
            v->vm[vm].handle, vm == v->sys);
}

/* The machine parameters that decide scheduling, effective values (defaults filled
** in), so that a trace says which machine produced it and a reference model can check
** the table limits (IDLE-1, NC-1), the tick (TO-1) and the granularity (SL-1) exactly. */
void vmmi_rec_machine(vmm_state *v) {
    const vmm_machine *m = &v->m;
    uint64_t window = m->irq_boundary_window ? m->irq_boundary_window : 1;
    assert(m->idle_slots <= 0xFFFF && m->nc_slots <= 0xFFFF && m->ts_slots <= 0xFFFF);
    assert(window <= 0xFF && m->time_slicing <= 1);
    vmmi_rec(v, VMM_REC_MACHINE, 6, m->timer_tick_ms | (uint64_t)m->time_slice_ms << 32,
            m->idle_slots | (uint64_t)m->nc_slots << 16 | (uint64_t)m->ts_slots << 32 | window << 48 |
                (uint64_t)m->time_slicing << 56,
            m->service_cycles | (uint64_t)m->wait_states << 32,
            m->irq_handler_cycles | (uint64_t)m->event_capacity << 32, m->max_cycles, m->hang_cycles);
}

uint32_t vmmi_choose(vmm_state *v, uint32_t kind, uint32_t n) {
    return vmmi_choose_opts(v, kind, n, NULL, NULL);
}

/* ids: each option's identity for partial-order reduction (por.c), or NULL; src: each
** option's source, which PCT orders by (ENG_SRC_*, docs/fuzzing.md), or NULL. */
uint32_t vmmi_choose_opts(vmm_state *v, uint32_t kind, uint32_t n, const uint64_t *ids,
                          const uint64_t *src) {
    assert(n >= 1);
    if (v->por.fp) vmmi_por_step(v, n, ids);   /* one option is a step too (por.c) */
    if (n == 1) return 0;
    uint32_t k = eng_choose_src(&v->ch, kind, n, src);
    assert(k < n);
    vmmi_rec(v, VMM_REC_CHOICE, 3, kind, n, k, 0, 0, 0);
    return k;
}

void vmmi_finding_add(vmm_state *v, int code, uint32_t vm, uint32_t addr, uint64_t a3,
                     uint64_t a4, uint64_t a5, const char *text) {
    static const char *const rule[] = { "", "CB-1", "CS-7", "INIT", "INT-1", "VML-1", "VML-2",
                                        "VML-3" };
    assert(code >= VMM_FND_CB1 && code < VMM_FND_COUNT);
    assert(sizeof rule / sizeof rule[0] == VMM_FND_COUNT);
    vmmi_rec(v, VMM_REC_FINDING, 6, (uint64_t)code, vm, addr, a3, a4, a5);
    if (v->run.nfind < VMM_FINDINGS_MAX) {
        vmm_finding *f = &v->find[v->run.nfind];
        f->cycle = vmmi_cycles(v);
        snprintf(f->rule, sizeof f->rule, "%s", rule[code]);
        snprintf(f->text, sizeof f->text, "%s", text);
    }
    v->run.nfind++;
    v->run.nfind_code[code]++;
}

const char *vmmi_control_msg_name(uint32_t msg) {
    static const char *const n[] = {
        "Sys_Critical_Init", "Device_Init", "Init_Complete", "Sys_VM_Init", "Sys_VM_Terminate",
        "System_Exit", "Sys_Critical_Exit", "Create_VM", "VM_Critical_Init", "VM_Init",
        "VM_Terminate", "VM_Not_Executeable", "Destroy_VM", "VM_Suspend", "VM_Resume" };
    assert(sizeof n / sizeof n[0] == 15);   /* messages 0..0Eh (docs/vmm.md) */
    if (msg == 0x19) return "Close_VM_Notify";   /* 3.1: Close_VM (vmm/life.c) */
    return msg < sizeof n / sizeof n[0] ? n[msg] : "Unknown_Message";
}

/* ---- text ---------------------------------------------------------------------- */

typedef struct out { char *p; size_t len, pos; } out;

static void put(out *o, const char *fmt, ...) {
    assert(o && fmt && (o->len == 0 || o->p));
    va_list ap;
    size_t room = o->pos < o->len ? o->len - o->pos : 0;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + (room ? o->pos : 0), room, fmt, ap);
    va_end(ap);
    if (n > 0) o->pos += (size_t)n;
}

static const char *vm_name(const vmm_state *v, uint64_t vm) {
    assert(v && v->s);
    return vm < v->nvms ? v->s->vms[vm].name : "none";
}

static void put_label(out *o, const vmm_state *v, const char *key, uint32_t addr) {
    assert(o && key);
    const char *l = vmm_label_at(v, addr);
    if (l) put(o, " %s=%s", key, l); else put(o, " %s=0x%08x", key, addr);
}

const char *vmmi_cb_kind_name(uint32_t k) {
    static const char *const n[VMM_CB_KIND_COUNT] = { "?", "control", "call", "idle", "nc", "ts",
                                                      "event", "prio", "timeout", "hwint",
                                                      "vid_virt", "vid_eoi", "vid_iret",
                                                      "iotrap", "v86int", "v86cb", "life" };
    assert(n[VMM_CB_KIND_COUNT - 1] != NULL);   /* one name per kind */
    return k < VMM_CB_KIND_COUNT ? n[k] : "?";
}

static const char *pick(const char *const *names, uint32_t n, uint64_t i) {
    assert(names && n > 0);
    return i < n ? names[i] : "?";
}
#define PICK(arr, i) pick(arr, sizeof arr / sizeof arr[0], i)

/* IOTRAP (IOT-2, docs/trace-format.md): a trapped instruction, a handler call, the end. */
static void fmt_iotrap(out *o, const vmm_state *v, const uint64_t *a) {
    static const char *const op[] = { "fault", "call", "done", "install" };
    uint32_t vm = (uint32_t)(a[0] >> 8 & 0xFF), port = (uint32_t)(a[0] >> 16 & 0xFFFF);
    char where[VMM_NAME_MAX * 3 + 16];
    assert(o && a);
    put(o, "IOTRAP op=%s vm=%s port=0x%04x", PICK(op, a[0] & 0xFF), vm_name(v, vm), port);
    if ((a[0] & 0xFF) == 0) {
        uint32_t cs = (uint32_t)(a[3] >> 16 & 0xFFFF), ip = (uint32_t)(a[3] & 0xFFFF);
        put(o, " size=%u dir=%s string=%u rep=%u count=%u cs=0x%04x ip=0x%04x", (unsigned)(a[1] & 0xFF),
            (a[1] >> 8 & 1) ? "out" : "in", (unsigned)(a[1] >> 9 & 1), (unsigned)(a[1] >> 10 & 1),
            (uint32_t)a[2], cs, ip);
        if (vm < v->nvms && vmmi_cl_where(v, vm, cs, ip, where, sizeof where)) put(o, " at=%s", where);
    } else if ((a[0] & 0xFF) == 1) {
        put(o, " iotype=0x%02x", (uint32_t)a[1]);
        put_label(o, v, "handler", (uint32_t)a[2]);
        put(o, " addr=0x%08x value=0x%02x", (uint32_t)a[2], (uint32_t)a[3]);
    } else if ((a[0] & 0xFF) == 3) {   /* IOT-1: ok=0 when refused */
        put(o, " ok=%u", (unsigned)(a[1] & 1));
        put_label(o, v, "handler", (uint32_t)a[2]);
        put(o, " addr=0x%08x", (uint32_t)a[2]);
    } else {
        put(o, " value=0x%08x", (uint32_t)a[1]);
    }
}

static void fmt_finding(out *o, const vmm_state *v, const uint64_t *a) {
    assert(o && a);
    static const char *const rule[] = { "?", "CB-1", "CS-7", "INIT", "INT-1", "VML-1", "VML-2",
                                        "VML-3" };
    static const char *const reg[] = { "ebp", "esp", "es", "cs", "ss", "ds", "fs", "gs" };
    char buf[160];
    put(o, " rule=%s vm=%s", PICK(rule, a[0]), vm_name(v, a[1]));
    switch (a[0]) {
    case VMM_FND_CB1:
        put_label(o, v, "cb", (uint32_t)a[2]);
        put(o, " reg=%s expected=0x%08x actual=0x%08x", PICK(reg, a[3]), (uint32_t)a[4], (uint32_t)a[5]);
        break;
    case VMM_FND_INT1:
        put(o, " svc=%s", vmmi_svc_name((uint32_t)a[3], buf, sizeof buf));
        break;
    case VMM_FND_CS7:
        put(o, " svc=%s owner=%s count=%u", vmmi_svc_name((uint32_t)a[3], buf, sizeof buf),
            vm_name(v, a[4]), (uint32_t)a[5]);
        break;
    case VMM_FND_INIT:
        put(o, " vxd=%s msg=%s", a[3] < v->s->nvxds ? v->s->vxds[a[3]].name : "?",
            vmmi_control_msg_name((uint32_t)a[4]));
        break;
    case VMM_FND_VML1: case VMM_FND_VML2: case VMM_FND_VML3:
        vmmi_life_fmt_finding(v, a, buf, sizeof buf);
        put(o, "%s", buf);
        break;
    }
}

static void fmt_service(out *o, const vmm_state *v, const eng_record *r) {
    assert(o && r && (r->type == VMM_REC_SERVICE || r->type == VMM_REC_SVC_RET));
    static const char *const path[] = { "int", "call", "stim", "int2f", "client" };
    const uint64_t *a = r->args;
    char buf[64];
    uint32_t dword = (uint32_t)a[0];
    put(o, " vm=%s svc=%s", vm_name(v, a[0] >> 32 & 0xFFFF), vmmi_svc_name(dword, buf, sizeof buf));
    if (r->type == VMM_REC_SERVICE)
        put(o, " dword=0x%08x path=%s", dword, PICK(path, a[0] >> 48 & 0xFF));
    else
        put(o, " cf=%u zf=%u", (unsigned)(a[0] >> 48 & 1), (unsigned)(a[0] >> 49 & 1));
    put(o, " eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x esi=0x%08x", (uint32_t)a[1],
        (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
}

/* EV, TIMEOUT and IRQ records (EV-1, EV-2, TO-1, INT-1). */
static void fmt_time(out *o, const vmm_state *v, const eng_record *r) {
    assert(o && r);
    static const char *const evop[] = { "schedule", "run", "cancel", "timeout" };
    static const char *const evty[] = { "global", "vm", "priority" };
    static const char *const toop[] = { "set", "due", "call", "cancel" };
    static const char *const irqop[] = { "virtualize", "raise", "unowned", "hw_int", "request",
                                         "clear", "eoi", "simulate", "iret", "iret_timeout" };
    const uint64_t *a = r->args;
    uint32_t op = (uint32_t)(a[0] & 0xFF), ty = (uint32_t)(a[0] >> 8 & 0xFF);
    uint64_t vm = a[0] >> 16 & 0xFFFF;
    switch (r->type) {
    case VMM_REC_EV:
        put(o, "EV op=%s kind=%s handle=0x%08x vm=%s", PICK(evop, op), PICK(evty, ty),
            (uint32_t)a[1], vm_name(v, vm));
        put_label(o, v, "cb", (uint32_t)a[2]);
        put(o, " ref=0x%08x boost=0x%08x flags=0x%08x", (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
        break;
    case VMM_REC_TIMEOUT:
        put(o, "TIMEOUT op=%s kind=%s handle=0x%08x vm=%s", PICK(toop, op), PICK(evty, ty),
            (uint32_t)a[1], vm_name(v, vm));
        put_label(o, v, "cb", (uint32_t)a[2]);
        put(o, " ref=0x%08x due=%llu late=%u", (uint32_t)a[3], (unsigned long long)a[4],
            (uint32_t)(a[0] >> 32));
        break;
    case VMM_REC_IRQ:
        put(o, "IRQ op=%s irq=%u vm=%s", PICK(irqop, op), ty, vm_name(v, vm));
        put_label(o, v, "proc", (uint32_t)a[1]);
        put(o, " handle=0x%08x", (uint32_t)a[2]);
        break;
    }
}

static void fmt_body(out *o, const vmm_state *v, const eng_record *r) {
    assert(o && v && r);
    static const char *const vmst[] = { "create", "suspend", "resume", "idle", "wake", "block", "unblock",
                                        "destroy" };
    static const char *const sw[] = { "priority", "block", "unblock", "suspend", "resume", "release", "slice",
                                      "event" };
    static const char *const prr[] = { "adjust", "crit", "event", "irq", "slice" };
    static const char *const evk[] = { "?", "stimulus", "tick", "iret", "slice", "iret_timeout",
                                       "return_timeout" };
    static const char *const slop[] = { "start", "focus", "release", "adjust" };
    static const char *const crop[] = { "claim", "end", "release", "block", "grant" };
    static const char *const endr[] = { "done", "max_cycles", "error" };
    static const char *const ioop[] = { "in", "out" };
    const uint64_t *a = r->args;
    switch (r->type) {
    case VMM_REC_BOOT:
        put(o, "BOOT vms=%u vxds=%u stimuli=%u clock_hz=%u memory_kb=%u", (uint32_t)a[0],
            (uint32_t)a[1], (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4]);
        break;
    case VMM_REC_MACHINE:
        put(o, "MACHINE timer_tick_ms=%u idle_slots=%u nc_slots=%u ts_slots=%u service_cycles=%u "
            "wait_states=%u irq_handler_cycles=%u time_slicing=%u time_slice_ms=%u "
            "irq_boundary_window=%u event_capacity=%u max_cycles=%llu hang_cycles=%llu",
            (uint32_t)a[0], (unsigned)(a[1] & 0xFFFF), (unsigned)(a[1] >> 16 & 0xFFFF),
            (unsigned)(a[1] >> 32 & 0xFFFF), (uint32_t)a[2], (uint32_t)(a[2] >> 32), (uint32_t)a[3],
            (unsigned)(a[1] >> 56 & 0xFF), (uint32_t)(a[0] >> 32), (unsigned)(a[1] >> 48 & 0xFF),
            (uint32_t)(a[3] >> 32), (unsigned long long)a[4], (unsigned long long)a[5]);
        break;
    case VMM_REC_VM_STATE:
        put(o, "VM_STATE vm=%s state=%s handle=0x%08x system=%u status=0x%08x suspend=%u",
            vm_name(v, a[0]), PICK(vmst, a[1]), (uint32_t)a[4], (uint32_t)a[5], (uint32_t)a[2],
            (uint32_t)a[3]);
        break;
    case VMM_REC_EVENT:
        put(o, "EVENT seq=%llu kind=%s index=%u", (unsigned long long)a[0],
            PICK(evk, a[1]), (uint32_t)a[2]);
        break;
    case VMM_REC_STIMULUS:
        put(o, "STIMULUS index=%u do=%s vm=%s", (uint32_t)a[0], vmm_stim_name((uint32_t)a[1]),
            vm_name(v, a[2]));
        put_label(o, v, "target", (uint32_t)a[3]);
        put(o, " arg=0x%08x", (uint32_t)a[4]);
        break;
    case VMM_REC_CONTROL:
        put(o, "CONTROL msg=%s vxd=%s vm=%s", vmmi_control_msg_name((uint32_t)a[0]),
            a[1] < v->s->nvxds ? v->s->vxds[a[1]].name : "?", vm_name(v, a[2]));
        if (a[0] == VMM_MSG_VM_NOT_EXECUTEABLE)   /* VML: the EDX flags (vmm/life.c) */
            put(o, " flags=0x%08x", (uint32_t)a[3]);
        break;
    case VMM_REC_SERVICE:
        put(o, "SERVICE");
        fmt_service(o, v, r);
        break;
    case VMM_REC_SVC_RET:
        put(o, "SVC_RET");
        fmt_service(o, v, r);
        break;
    case VMM_REC_CB_ENTER:
        put(o, "CB_ENTER kind=%s", vmmi_cb_kind_name(a[0] & 0xFF));
        put_label(o, v, "cb", (uint32_t)a[1]);
        put(o, " addr=0x%08x vm=%s pri=0x%08x depth=%u eax=0x%08x ebx=0x%08x edx=0x%08x ebp=0x%08x",
            (uint32_t)a[1], vm_name(v, a[0] >> 16 & 0xFFFF), (uint32_t)(a[0] >> 32),
            (unsigned)(a[0] >> 8 & 0xFF), (uint32_t)a[2], (uint32_t)a[3], (uint32_t)a[4], (uint32_t)a[5]);
        break;
    case VMM_REC_CB_RETURN:
        put(o, "CB_RETURN kind=%s", vmmi_cb_kind_name(a[0] & 0xFF));
        put_label(o, v, "cb", (uint32_t)a[1]);
        put(o, " addr=0x%08x vm=%s depth=%u cf=%u eax=0x%08x cycles=%llu", (uint32_t)a[1],
            vm_name(v, a[0] >> 16 & 0xFFFF), (unsigned)(a[0] >> 8 & 0xFF), (unsigned)(a[0] >> 32 & 1),
            (uint32_t)a[2], (unsigned long long)a[3]);
        break;
    case VMM_REC_TASK_SWITCH:
        put(o, "TASK_SWITCH old=%s new=%s reason=%s pri=0x%08x", vm_name(v, a[0]), vm_name(v, a[1]),
            PICK(sw, a[2]), (uint32_t)a[3]);
        break;
    case VMM_REC_PRIORITY:
        put(o, "PRIORITY vm=%s pri=0x%08x old=0x%08x boost=%lld reason=%s", vm_name(v, a[0]),
            (uint32_t)a[1], (uint32_t)a[2], (long long)(int64_t)a[3], PICK(prr, a[4]));
        break;
    case VMM_REC_CRIT:
        put(o, "CRIT op=%s vm=%s owner=%s count=%u n=%u", PICK(crop, a[0]), vm_name(v, a[1]),
            vm_name(v, a[2]), (uint32_t)a[3], (uint32_t)a[4]);
        break;
    case VMM_REC_CHOICE:
        put(o, "CHOICE kind=%s n=%u chosen=%u", eng_choice_kind_name((uint32_t)a[0]),
            (uint32_t)a[1], (uint32_t)a[2]);
        break;
    case VMM_REC_FINDING:
        put(o, "FINDING");
        fmt_finding(o, v, a);
        break;
    case VMM_REC_EV:
    case VMM_REC_TIMEOUT:
    case VMM_REC_IRQ:
        fmt_time(o, v, r);
        break;
    case VMM_REC_SLICE:
        put(o, "SLICE op=%s vm=%s cycles=%llu pri=%u credit=%lld granularity=%u", PICK(slop, a[0] & 0xFF),
            vm_name(v, a[0] >> 8), (unsigned long long)a[1], (uint32_t)a[2], (long long)(int64_t)a[3],
            (uint32_t)a[4]);
        break;
    case VMM_REC_IO:
        put(o, "IO op=%s vm=%s port=0x%04x size=%u value=0x%08x", PICK(ioop, a[0] & 0xFF),
            vm_name(v, a[0] >> 16 & 0xFFFF), (unsigned)(a[0] >> 32 & 0xFFFF),
            (unsigned)(a[0] >> 8 & 0xFF), (uint32_t)a[1]);
        break;
    case VMM_REC_CLIENT: {
        static const char *const clop[] = { "int", "hlt", "wake", "simint", "iret", "if", "vmm", "hook", "sim",
                                              "execint", "break" };
        char where[VMM_NAME_MAX * 3 + 16];
        uint32_t vm = (uint32_t)(a[0] >> 8 & 0xFF), cs = (uint32_t)(a[1] >> 16 & 0xFFFF), ip = (uint32_t)(a[1] & 0xFFFF);
        put(o, "CLIENT op=%s vm=%s cs=0x%04x ip=0x%04x", PICK(clop, a[0] & 0xFF), vm_name(v, vm), cs, ip);
        if (vm < v->nvms && vmmi_cl_where(v, vm, cs, ip, where, sizeof where)) put(o, " at=%s", where);
        put(o, " if=%u vector=0x%02x target=0x%08x", (unsigned)(a[0] >> 16 & 1), (unsigned)(a[0] >> 24 & 0xFF),
            (uint32_t)a[2]);
        if (a[0] >> 32 & 1) put(o, " mode=pm");   /* a protected-mode client's record */
        if ((a[0] & 0xFF) == VMM_CLOP_SIM) {         /* SIM-2 … SIM-5: what the service did */
            const char *svc = vmm_service_name(0x10000u | (uint32_t)(a[0] >> 24 & 0xFF));
            put(o, " svc=%s ss=0x%04x old_sp=0x%04x sp=0x%04x value=0x%08x", svc ? svc : "?",
                (unsigned)(a[3] >> 32 & 0xFFFF), (unsigned)(a[3] >> 16 & 0xFFFF), (unsigned)(a[3] & 0xFFFF),
                (uint32_t)a[4]);
        }
        break;
    }
    case VMM_REC_IOTRAP:
        fmt_iotrap(o, v, a);
        break;
    case VMM_REC_END:
        put(o, "END reason=%s code=%lld findings=%u", PICK(endr, a[0]), (long long)(int64_t)a[1],
            (uint32_t)a[2]);
        break;
    default:
        put(o, "UNKNOWN type=%u", r->type);
        break;
    }
}

size_t vmm_format_record(const vmm_state *v, const eng_record *r, char *buf, size_t len) {
    out o = { buf, len, 0 };
    assert(v && r);
    if (len) buf[0] = 0;
    if (r->type == ENG_REC_CHECKPOINT) {   /* the engine's own rendering */
        size_t n = eng_checkpoint_format(r, buf, len);
        return n < len ? n : (len ? len - 1 : 0);
    }
    put(&o, "%012llu ", (unsigned long long)r->cycle);
    fmt_body(&o, v, r);
    return o.pos < len ? o.pos : (len ? len - 1 : 0);
}
