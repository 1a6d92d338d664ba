/* fixture.c — see fixture.h. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#ifndef VMM_TEST_VXD_DIR
#error "VMM_TEST_VXD_DIR must name the folder of the assembled test VxDs"
#endif

static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;
    ck_assert_msg(f != NULL, "cannot open %s", path);
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        ck_assert(buf != NULL);
        ck_assert(fread(buf, 1, (size_t)n, f) == (size_t)n);
        buf[n] = 0;
        *len = (size_t)n;
    }
    fclose(f);
    ck_assert(buf != NULL);
    return buf;
}

/* The map's section table rows: "  <real hex>  <virtual hex>  <name>". */
static void read_map(tf *t, const char *path) {
    size_t len;
    char *map = (char *)slurp(path, &len), *p = strstr(map, "-- Section .text");
    ck_assert_msg(p != NULL, "%s has no .text symbols", path);
    for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long real, virt;
        char name[128];
        if (sscanf(line, " %lx %lx %127s", &real, &virt, name) != 3) continue;
        ck_assert(t->vxd.nlabels < TF_LABELS);
        vmm_label *l = &t->lab[t->vxd.nlabels++];
        snprintf(l->name, sizeof l->name, "%.63s", name);
        l->addr = (uint32_t)virt;
    }
    free(map);
}

void tf_init(tf *t, const char *name, uint32_t nvms) {
    char path[512];
    size_t len;
    memset(t, 0, sizeof *t);
    ck_assert(nvms >= 1 && nvms <= TF_VMS_MAX);
    for (uint32_t i = 0; i < nvms; i++) {
        if (i == 0) snprintf(t->vms[i].name, VMM_NAME_MAX, "sys");
        else snprintf(t->vms[i].name, VMM_NAME_MAX, "dos%u", i);
        t->vms[i].system = i == 0;
    }
    snprintf(path, sizeof path, "%s/%s.bin", VMM_TEST_VXD_DIR, name);
    t->image = slurp(path, &len);
    snprintf(path, sizeof path, "%s/%s.map", VMM_TEST_VXD_DIR, name);
    read_map(t, path);
    snprintf(t->vxd.name, VMM_NAME_MAX, "T");
    t->vxd.load_addr = 0x100000;
    t->vxd.image = t->image;
    t->vxd.image_len = (uint32_t)len;
    t->vxd.labels = t->lab;
    t->vxd.control_proc = tf_label(t, "Control_Proc");
    t->s.vms = t->vms;
    t->s.nvms = nvms;
    t->s.vxds = &t->vxd;
    t->s.nvxds = 1;
    t->s.stim = t->stim;
}

void tf_free(tf *t) {
    vmm_free(t->v);
    free(t->image);
    free(t->text);
    memset(t, 0, sizeof *t);
}

uint32_t tf_label(const tf *t, const char *label) {
    for (uint32_t i = 0; i < t->vxd.nlabels; i++)
        if (!strcmp(t->lab[i].name, label)) return t->lab[i].addr;
    ck_abort_msg("no label %s", label);
    return 0;
}

void tf_stim(tf *t, uint64_t at, uint32_t kind, uint32_t vm, const char *target, uint32_t arg) {
    ck_assert(t->s.nstim < TF_STIM_MAX);
    vmm_stimulus *s = &t->stim[t->s.nstim++];
    s->at_lo = s->at_hi = at;
    s->kind = kind;
    s->vm = vm;
    s->target = target ? tf_label(t, target) : 0;
    s->arg = arg;
}

static void collect_text(tf *t) {
    eng_trace *tr = vmm_trace(t->v);
    size_t cap = TF_TEXT_MAX, pos = 0;
    free(t->text);
    t->text = malloc(cap);
    ck_assert(t->text != NULL);
    for (uint32_t i = 0; i < tr->len; i++) {
        char line[512];
        size_t n = vmm_format_record(t->v, &tr->rec[i], line, sizeof line);
        ck_assert(n > 0 && n < sizeof line);
        ck_assert_msg(pos + n + 2 < cap, "trace text too long");
        memcpy(t->text + pos, line, n);
        pos += n;
        t->text[pos++] = '\n';
    }
    t->text[pos] = 0;
    t->textlen = pos;
    if (getenv("VMM_TEST_TRACE")) fputs(t->text, stderr);
}

int tf_run(tf *t) {
    char err[256];
    int rc;
    if (!t->v) {
        t->v = vmm_new(&t->s, &rc, err, sizeof err);
        ck_assert_msg(t->v != NULL, "vmm_new: %s (%d)", err, rc);
    }
    t->rc = vmm_run(t->v);
    collect_text(t);
    return t->rc;
}

uint32_t tf_u32(tf *t, const char *label) {
    uint32_t x = 0;
    ck_assert_int_eq(vmm_read(t->v, tf_label(t, label), &x, 4), VMM_OK);
    return x;
}

uint8_t tf_u8(tf *t, const char *label) {
    uint8_t x = 0;
    ck_assert_int_eq(vmm_read(t->v, tf_label(t, label), &x, 1), VMM_OK);
    return x;
}

uint32_t tf_handle(tf *t, uint32_t vm) { return vmm_vm_handle(t->v, vm); }

static int line_matches(const char *line, size_t len, const char *pat) {
    char word[128];
    const char *p = pat;
    while (*p) {
        size_t n = strcspn(p, " ");
        if (n) {
            ck_assert(n < sizeof word);
            memcpy(word, p, n);
            word[n] = 0;
            int found = 0;
            for (size_t i = 0; i + n <= len && !found; i++) found = !memcmp(line + i, word, n);
            if (!found) return 0;
        }
        p += n;
        while (*p == ' ') p++;
    }
    return 1;
}

long tf_line(const tf *t, const char *pat, int n) {
    const char *p = t->text;
    long idx = 0;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (line_matches(p, len, pat) && n-- == 0) return idx;
        idx++;
        p = e ? e + 1 : NULL;
    }
    return -1;
}

int tf_count(const tf *t, const char *pat) {
    int n = 0;
    while (tf_line(t, pat, n) >= 0) n++;
    return n;
}

const char *tf_line_text(const tf *t, long idx) {
    static char buf[512];
    const char *p = t->text;
    while (idx-- > 0 && p) { p = strchr(p, '\n'); if (p) p++; }
    buf[0] = 0;
    if (p) { size_t n = strcspn(p, "\n"); if (n >= sizeof buf) n = sizeof buf - 1; memcpy(buf, p, n); buf[n] = 0; }
    return buf;
}

uint64_t tf_hash(const tf *t) { return vmm_trace(t->v)->hash; }

/* A client program for VM vm, loaded and started at 1000:0000 with SS:SP 1000:FFFE. */
void tf_give(tf *t, uint32_t vm, const uint8_t *img, uint32_t len) {
    ck_assert(vm < TF_VMS_MAX && img && len > 0);
    vmm_client *p = &t->vms[vm].client;
    p->image = img;
    p->image_len = len;
    p->load_seg = 0x1000;
    p->cs = 0x1000;
    p->ss = 0x1000;
    p->sp = 0xFFFE;
}

/* VM vm's Client_Reg_Struc field at off (its control block + 0x80). */
uint32_t tf_creg(tf *t, uint32_t vm, uint32_t off, uint32_t size) {
    uint32_t x = 0;
    ck_assert_int_eq(vmm_read(t->v, vmm_vm_handle(t->v, vm) + 0x80u + off, &x, size), VMM_OK);
    return x;
}
