/*
** mem.c — the bus (RAM, ROM mirrors, unmapped), paging with a small TLB, the slow
** paths of segment-relative access, dirty pages and decode-cache invalidation.
**
** Every byte the guest or the host touches goes through cpu_phys_page() or
** cpu_phys_rd8()/cpu_phys_wr8(), which check the address against the bus: nothing
** here ever indexes host memory outside bus.ram / bus.rom.
*/
#include "cpu_int.h"

/* ---- physical bus ------------------------------------------------------------- */

/* ROM byte at addr, or -1. The image ends at 0xFFFFFFFF and again at 0xFFFFF. */
static int rom_byte(const cpu_state *c, uint32_t addr)
{
    uint32_t n = c->bus.rom_size;
    if (!c->bus.rom || n == 0) return -1;
    if (addr >= 0u - n) return c->bus.rom[addr - (0u - n)];
    if (n <= 0x100000u && addr >= 0x100000u - n && addr < 0x100000u)
        return c->bus.rom[addr - (0x100000u - n)];
    return -1;
}

/* Whole page inside one ROM mirror: its host address, else NULL. */
static uint8_t *rom_page(const cpu_state *c, uint32_t page)
{
    uint32_t n = c->bus.rom_size, top = 0u - n, low = 0x100000u - n;
    if (!c->bus.rom || n == 0) return NULL;
    if (page >= top) return (uint8_t *)(uintptr_t)(c->bus.rom + (page - top));
    if (n <= 0x100000u && page >= low && page + 4096u <= 0x100000u)
        return (uint8_t *)(uintptr_t)(c->bus.rom + (page - low));
    return NULL;
}

static int rom_overlaps(const cpu_state *c, uint32_t page)
{
    uint32_t n = c->bus.rom_size;
    if (!c->bus.rom || n == 0) return 0;
    if ((uint64_t)page + 4096u > (uint64_t)(0u - n)) return 1;
    return n <= 0x100000u && page < 0x100000u && (uint64_t)page + 4096u > 0x100000u - n;
}

uint8_t *cpu_phys_page(cpu_state *c, uint32_t page, int write)
{
    assert((page & 0xFFFu) == 0);
    if (rom_overlaps(c, page))
        return write ? NULL : rom_page(c, page);
    if (page < c->bus.ram_size && c->bus.ram_size - page >= 4096u)
        return c->bus.ram + page;
    return NULL;
}

uint8_t cpu_phys_rd8(cpu_state *c, uint32_t addr)
{
    int b = rom_byte(c, addr);
    if (b >= 0) return (uint8_t)b;
    if (addr < c->bus.ram_size) return c->bus.ram[addr];
    return 0xFF;
}

void cpu_page_written(cpu_state *c, uint32_t page)
{
    uint32_t p = page >> 12;
    if (p >= c->npages) return;
    c->dirty[p >> 6] |= 1ull << (p & 63);
    if (c->codemap[p >> 6] & (1ull << (p & 63))) {
        c->codemap[p >> 6] &= ~(1ull << (p & 63));
        c->codelines[p] = 0;
        c->pgen[p] = (c->pgen[p] + 1u) & 0x3FFFFFFFu;
        if (c->pgen[p] == 0) c->pgen[p] = 1;   /* 0 is the "never written" tag of ROM */
        c->code_lin_page = CPU_TLB_INVALID;
    }
}

/* A byte of a page with decoded code, but in none of its code lines, is data beside
** code (a VxD's variables after its code): the page is dirty, its decoded entries
** stay valid, since none of them holds that byte. Any other write to the page drops
** them all (cpu_page_written). */
void cpu_phys_wr8(cpu_state *c, uint32_t addr, uint8_t v)
{
    uint32_t p = addr >> 12;
    if (rom_byte(c, addr) >= 0 || addr >= c->bus.ram_size) return;  /* dropped */
    assert(p < c->npages);
    if ((c->codemap[p >> 6] >> (p & 63) & 1) && !(c->codelines[p] >> ((addr >> 6) & 63) & 1))
        c->dirty[p >> 6] |= 1ull << (p & 63);
    else
        cpu_page_written(c, addr & ~0xFFFu);
    c->bus.ram[addr] = v;
}

uint32_t cpu_page_tag(cpu_state *c, uint32_t phys)
{
    uint32_t p = phys >> 12;
    if (p >= c->npages || rom_overlaps(c, phys & ~0xFFFu)) return 0;
    return c->pgen[p] << 1;
}

/* A page now holds decoded instructions: writes to it must go the slow way. */
void cpu_mark_code(cpu_state *c, uint32_t page)
{
    uint32_t p = page >> 12;
    unsigned k;
    if (p >= c->npages || (c->codemap[p >> 6] & (1ull << (p & 63)))) return;
    c->codemap[p >> 6] |= 1ull << (p & 63);
    if (rom_overlaps(c, page)) return;
    for (k = 0; k < CPU_TLB_SIZE; k++)
        if (c->tlb_w[k].page == c->bus.ram + page) c->tlb_w[k].tag = CPU_TLB_INVALID;
}

void cpu_mark_code_lines(cpu_state *c, uint32_t phys, unsigned len)
{
    uint32_t p = phys >> 12, k, last = ((phys & 0xFFFu) + len - 1u) >> 6;
    assert(len >= 1 && (phys & 0xFFFu) + len <= 0x1000u);
    if (p >= c->npages) return;
    for (k = (phys & 0xFFFu) >> 6; k <= last; k++) c->codelines[p] |= 1ull << k;
}

void cpu_set_access_hook(cpu_state *c, cpu_access_hook fn, void *ud)
{
    assert(c != NULL);
    c->acc_fn = fn;
    c->acc_ud = fn ? ud : NULL;
    cpu_tlb_flush(c);   /* entries filled without an observer would bypass it */
}

void cpu_tlb_flush(cpu_state *c)
{
    unsigned k;
    for (k = 0; k < CPU_TLB_SIZE; k++) {
        c->tlb_r[k].tag = CPU_TLB_INVALID;
        c->tlb_w[k].tag = CPU_TLB_INVALID;
        c->tlb_cw[k].tag = CPU_TLB_INVALID;
    }
    c->code_lin_page = CPU_TLB_INVALID;
}

/* ---- paging -------------------------------------------------------------------- */

static uint32_t phys_rd32(cpu_state *c, uint32_t a)
{
    uint8_t *p = cpu_phys_page(c, a & ~0xFFFu, 0);
    if (p && (a & 3u) == 0) return cpu_host_ld(p + (a & 0xFFFu), 4);
    return (uint32_t)cpu_phys_rd8(c, a) | (uint32_t)cpu_phys_rd8(c, a + 1) << 8 |
           (uint32_t)cpu_phys_rd8(c, a + 2) << 16 | (uint32_t)cpu_phys_rd8(c, a + 3) << 24;
}

static void phys_wr32(cpu_state *c, uint32_t a, uint32_t v)
{
    unsigned k;
    for (k = 0; k < 4; k++) cpu_phys_wr8(c, a + k, (uint8_t)(v >> (8 * k)));
}

/* Walks the two-level table. Returns 0 and *phys, or the #PF error code bits
** (P, W/R, U/S) with bit 31 set when the access is refused. */
static uint32_t walk(cpu_state *c, uint32_t lin, int write, int user, uint32_t *phys,
                     int set_ad)
{
    uint32_t err = (write ? 2u : 0u) | (user ? 4u : 0u);
    uint32_t pdea = ((c->cr3 & ~0xFFFu) + ((lin >> 22) << 2)) & c->a20_mask;
    uint32_t pde = phys_rd32(c, pdea), ptea, pte;
    if (!(pde & 1u)) return 0x80000000u | err;
    ptea = ((pde & ~0xFFFu) + (((lin >> 12) & 0x3FFu) << 2)) & c->a20_mask;
    pte = phys_rd32(c, ptea);
    if (!(pte & 1u)) return 0x80000000u | err;
    /* The 386 checks U/S and R/W of both levels; supervisor ignores R/W (no CR0.WP). */
    if (user && (!(pde & pte & 4u) || (write && !(pde & pte & 2u))))
        return 0x80000000u | err | 1u;
    if (set_ad) {
        if (!(pde & 0x20u)) phys_wr32(c, pdea, pde | 0x20u);
        if (!(pte & 0x20u) || (write && !(pte & 0x40u)))
            phys_wr32(c, ptea, pte | 0x20u | (write ? 0x40u : 0u));
    }
    *phys = ((pte & ~0xFFFu) | (lin & 0xFFFu)) & c->a20_mask;
    return 0;
}

uint32_t cpu_translate(cpu_state *c, uint32_t lin, int write, int user)
{
    uint32_t phys = lin, r;
    if (!(c->cr0 & 0x80000000u)) return lin & c->a20_mask;   /* A20 off: bit 20 is 0 */
    r = walk(c, lin, write, user, &phys, 1);
    if (r) {
        c->cr2 = lin;
        cpu_fault(c, CPU_EXC_PF, r & 7u);
    }
    return phys;
}

int cpu_translate_host(cpu_state *c, uint32_t lin, uint32_t *phys)
{
    if (!(c->cr0 & 0x80000000u)) { *phys = lin & c->a20_mask; return CPU_OK; }
    return walk(c, lin, 0, 0, phys, 0) ? CPU_ERANGE : CPU_OK;
}

/* Fills the TLB entry for lin's page after a successful translation. */
static void tlb_fill(cpu_state *c, uint32_t lin, uint32_t phys, int write, int user)
{
    uint32_t page = phys & ~0xFFFu, p = page >> 12;
    unsigned k = (lin >> 12) & (CPU_TLB_SIZE - 1);
    uint8_t *h = cpu_phys_page(c, page, write);
    if (!h || c->cfg.wait_states) return;   /* wait states: every access the slow way */
    if (CPU_UNLIKELY(c->acc_fn != NULL)) return;   /* an observer sees every access */
    /* DBG-6 (debug.c): watched pages stay on the slow path, which matches them. */
    if (CPU_UNLIKELY(c->dbg_data) && cpu_dbg_page_watched(c, lin)) return;
    if (write) {
        /* Only pages that are already dirty and hold no decoded code take the fast
        ** write path, so the fast path needs neither bookkeeping step. */
        if (p >= c->npages) return;
        if (c->codemap[p >> 6] & (1ull << (p & 63))) {   /* code: cpu_lwr's own cache */
            c->tlb_cw[k].tag = (lin & ~0xFFFu) | (user ? 1u : 0u);
            c->tlb_cw[k].page = h;
            return;
        }
        c->dirty[p >> 6] |= 1ull << (p & 63);
        c->tlb_w[k].tag = (lin & ~0xFFFu) | (user ? 1u : 0u);
        c->tlb_w[k].page = h;
    } else {
        c->tlb_r[k].tag = (lin & ~0xFFFu) | (user ? 1u : 0u);
        c->tlb_r[k].page = h;
    }
}

/* Linear read of n bytes (may cross a page: done bytewise after translating both). */
uint32_t cpu_lrd(cpu_state *c, uint32_t lin, unsigned n, int user)
{
    uint32_t v = 0, phys;
    unsigned k;
    assert(n >= 1 && n <= 4);
    c->cycles += c->cfg.wait_states;
    if (CPU_UNLIKELY(c->dbg_data)) cpu_dbg_data(c, lin, n, 0);
    if (CPU_UNLIKELY(c->acc_fn != NULL)) c->acc_fn(c->acc_ud, lin, n, 0);
    if ((lin & 0xFFFu) <= 0x1000u - n) {
        uint8_t *h;
        phys = cpu_translate(c, lin, 0, user);
        h = cpu_phys_page(c, phys & ~0xFFFu, 0);
        tlb_fill(c, lin, phys, 0, user);
        if (h) return cpu_host_ld(h + (phys & 0xFFFu), n);
        for (k = 0; k < n; k++) v |= (uint32_t)cpu_phys_rd8(c, phys + k) << (8 * k);
        return v;
    }
    /* Page-crossing: translate every byte first so a #PF leaves nothing half-read. */
    {
        uint32_t ph[4];
        for (k = 0; k < n; k++) ph[k] = cpu_translate(c, lin + k, 0, user);
        for (k = 0; k < n; k++) v |= (uint32_t)cpu_phys_rd8(c, ph[k]) << (8 * k);
    }
    return v;
}

/* A store within one page of decoded code, to bytes in none of its code lines, whose
** translation tlb_cw holds: what cpu_phys_wr8 does for data beside code (the page
** dirty, its entries kept), without the walk. Returns the host bytes (the page is
** marked dirty: the caller stores), or NULL for the full path (a code line, a page no
** longer holding code, a watch or an observer). */
uint8_t *cpu_code_page_wr(cpu_state *c, uint32_t lin, unsigned n, int user)
{
    const cpu_tlbe *t = &c->tlb_cw[(lin >> 12) & (CPU_TLB_SIZE - 1)];
    uint32_t off = lin & 0xFFFu, p;
    uint64_t lines;
    assert(n >= 1 && n <= 4);
    if (t->tag != ((lin & ~0xFFFu) | (user ? 1u : 0u)) || off > 0x1000u - n) return NULL;
    if (CPU_UNLIKELY(c->dbg_data || c->acc_fn != NULL)) return NULL;
    p = (uint32_t)((size_t)(t->page - c->bus.ram) >> 12);
    assert(p < c->npages && t->page == c->bus.ram + ((size_t)p << 12));
    lines = (1ull << (off >> 6)) | (1ull << ((off + n - 1u) >> 6));   /* n <= 4: <= 2 */
    if (!(c->codemap[p >> 6] >> (p & 63) & 1) || (c->codelines[p] & lines)) return NULL;
    c->dirty[p >> 6] |= 1ull << (p & 63);
    return t->page + off;
}

void cpu_lwr(cpu_state *c, uint32_t lin, unsigned n, uint32_t v, int user)
{
    uint32_t ph[4];
    unsigned k;
    assert(n >= 1 && n <= 4);
    c->cycles += c->cfg.wait_states;
    {
        uint8_t *h = cpu_code_page_wr(c, lin, n, user);
        if (h) { cpu_host_st(h, n, v); return; }
    }
    /* Translate every byte's page before writing anything (restartable). */
    for (k = 0; k < n; k++) {
        if (k == 0 || ((lin + k) & 0xFFFu) == 0) ph[k] = cpu_translate(c, lin + k, 1, user);
        else ph[k] = ph[k - 1] + 1;
    }
    for (k = 0; k < n; k++) cpu_phys_wr8(c, ph[k], (uint8_t)(v >> (8 * k)));
    if (CPU_UNLIKELY(c->dbg_data)) cpu_dbg_data(c, lin, n, 1);
    if (CPU_UNLIKELY(c->acc_fn != NULL)) c->acc_fn(c->acc_ud, lin, n, 1);
    if ((lin & 0xFFFu) <= 0x1000u - n) tlb_fill(c, lin, ph[0], 1, user);
}

/* ---- segment-relative slow paths ----------------------------------------------- */

static _Noreturn void seg_fault(cpu_state *c, unsigned s)
{
    /* Limit and rights violations: #SS for the stack segment, else #GP(0). */
    cpu_fault(c, s == CPU_SS ? CPU_EXC_SS : CPU_EXC_GP, 0);
}

uint32_t cpu_rd_slow(cpu_state *c, unsigned s, uint32_t off, unsigned n)
{
    const cpu_segwin *w = &c->sw[s];
    assert(s < 6);
    if (!(off >= w->rlo[n >> 1] && off <= w->rhi[n >> 1])) seg_fault(c, s);
    return cpu_lrd(c, c->seg[s].base + off, n, c->ubit);
}

void cpu_wr_slow(cpu_state *c, unsigned s, uint32_t off, unsigned n, uint32_t v)
{
    const cpu_segwin *w = &c->sw[s];
    assert(s < 6);
    if (!(off >= w->wlo[n >> 1] && off <= w->whi[n >> 1])) seg_fault(c, s);
    cpu_lwr(c, c->seg[s].base + off, n, v, c->ubit);
}

void cpu_wr_probe(cpu_state *c, unsigned s, uint32_t off)
{
    const cpu_segwin *w = &c->sw[s];
    assert(s < 6);
    if (!(off >= w->wlo[0] && off <= w->whi[0])) seg_fault(c, s);
    (void)cpu_translate(c, c->seg[s].base + off, 1, c->ubit);
}

uint32_t cpu_fetch_code(cpu_state *c, uint32_t off, unsigned n)
{
    const cpu_seg *cs = &c->seg[CPU_CS];
    if (off > cs->limit || cs->limit - off < n - 1) cpu_fault(c, CPU_EXC_GP, 0);
    return cpu_lrd(c, cs->base + off, n, c->ubit);
}

/* ---- host access (cpu386.h) ---------------------------------------------------- */

int cpu_phys_read(cpu_state *c, uint32_t addr, void *dst, uint32_t len)
{
    uint8_t *d = dst;
    uint32_t k;
    assert(c && (dst || len == 0));
    if (len && (uint64_t)addr + len > 0x100000000ull) return CPU_ERANGE;
    for (k = 0; k < len; k++) d[k] = cpu_phys_rd8(c, addr + k);
    return CPU_OK;
}

int cpu_phys_write(cpu_state *c, uint32_t addr, const void *src, uint32_t len)
{
    const uint8_t *s = src;
    uint32_t k;
    assert(c && (src || len == 0));
    if (len && ((uint64_t)addr + len > c->bus.ram_size)) return CPU_ERANGE;
    for (k = 0; k < len; k++) {
        if (rom_byte(c, addr + k) >= 0) return CPU_ERANGE;
    }
    for (k = 0; k < len; k++) cpu_phys_wr8(c, addr + k, s[k]);
    return CPU_OK;
}

int cpu_lin_read(cpu_state *c, uint32_t addr, void *dst, uint32_t len)
{
    uint8_t *d = dst;
    uint32_t k, phys;
    if (len && (uint64_t)addr + len > 0x100000000ull) return CPU_ERANGE;
    for (k = 0; k < len; k++) {
        if (cpu_translate_host(c, addr + k, &phys)) return CPU_ERANGE;
        d[k] = cpu_phys_rd8(c, phys);
    }
    return CPU_OK;
}

int cpu_lin_write(cpu_state *c, uint32_t addr, const void *src, uint32_t len)
{
    const uint8_t *s = src;
    uint32_t k, phys;
    if (len && (uint64_t)addr + len > 0x100000000ull) return CPU_ERANGE;
    for (k = 0; k < len; k++) {   /* check all before writing any */
        if (cpu_translate_host(c, addr + k, &phys)) return CPU_ERANGE;
        if (phys >= c->bus.ram_size || rom_byte(c, phys) >= 0) return CPU_ERANGE;
    }
    for (k = 0; k < len; k++) {
        cpu_translate_host(c, addr + k, &phys);
        cpu_phys_wr8(c, phys, s[k]);
    }
    return CPU_OK;
}

const uint64_t *cpu_dirty_bitmap(const cpu_state *c, uint32_t *npages)
{
    if (npages) *npages = c->npages;
    return c->dirty;
}

void cpu_dirty_clear(cpu_state *c)
{
    memset(c->dirty, 0, ((c->npages + 63) / 64) * sizeof *c->dirty);
    cpu_tlb_flush(c);   /* the write TLB assumes its pages are already dirty */
}

void cpu_invalidate(cpu_state *c, uint32_t phys, uint32_t len)
{
    uint64_t a = phys & ~0xFFFu, end = (uint64_t)phys + len;
    for (; a < end && a < c->bus.ram_size; a += 4096u)
        cpu_page_written(c, (uint32_t)a);   /* dirty too: the RAM did change */
}
