/*
** test_cpu_system.c — faults and their error codes, every stop reason of cpu_run, the
** bus bounds (no guest access reaches host memory), the dirty bitmap, decode-cache
** invalidation on self-modifying code, #UD for post-386 opcodes, #NM for ESC.
*/
#include "cpu_fixture.h"

#include <stdio.h>
#include <string.h>

/* Runs a flat snippet that must stop on exception `vec` at label `at`. */
static tc_machine *fault_at(const char *src, unsigned vec, const char *at) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, src);
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_msg(m->info.vector == vec, "vector %u, expected %u", m->info.vector, vec);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, at));      /* faults: EIP of the faulting insn */
    return m;
}

START_TEST(test_de_div_zero) {
    tc_machine *m = fault_at("mov eax,5\nxor ecx,ecx\nf: div ecx\nhlt", CPU_EXC_DE, "f");
    tc_eq(tc_reg(m, CPU_EAX), 5);                  /* nothing changed */
    ck_assert_int_eq(m->info.has_error_code, 0);
    tc_free(m);
}
END_TEST

START_TEST(test_de_idiv_overflow) {
    tc_machine *m = fault_at("mov eax,0x80000000\ncdq\nmov ecx,-1\nf: idiv ecx\nhlt", CPU_EXC_DE, "f");
    tc_free(m);
}
END_TEST

START_TEST(test_de_aam_zero) {
    tc_machine *m = fault_at("mov eax,5\nf: aam 0\nhlt", CPU_EXC_DE, "f");
    tc_free(m);
}
END_TEST

/* LAR/LSL read the access rights and limit of a visible descriptor and set ZF; a null
** selector, one past the GDT limit, or a system type the instruction does not accept
** clears ZF and leaves the destination alone. */
START_TEST(test_lar_lsl) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov ebx,-1\nmov esi,-1\nmov edi,-1\n"
               "mov eax,0x28\nlar ecx,ax\nsetz byte [0x20000]\n"
               "mov eax,0x30\nlsl edx,ax\nsetz byte [0x20001]\n"
               "xor eax,eax\nlar ebx,ax\nsetz byte [0x20002]\n"
               "mov eax,0xFFF8\nlsl esi,ax\nsetz byte [0x20003]\n"
               "hlt");
    tc_run_expect(m, CPU_STOP_HLT);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    uint8_t code_desc[8], z[4];
    ck_assert_int_eq(cpu_lin_read(m->cpu, r.gdtr.base + 0x28, code_desc, 8), CPU_OK);
    uint32_t hi = (uint32_t)code_desc[4] | (uint32_t)code_desc[5] << 8 |
                  (uint32_t)code_desc[6] << 16 | (uint32_t)code_desc[7] << 24;
    ck_assert_int_eq(cpu_lin_read(m->cpu, 0x20000, z, 4), CPU_OK);
    ck_assert_int_eq(z[0], 1);
    tc_eq(tc_reg(m, CPU_ECX), hi & 0x00F0FF00u);   /* access byte and G/D/AVL nibble */
    ck_assert_int_eq((tc_reg(m, CPU_ECX) >> 8) & 0x9Au, 0x9Au);   /* present code segment */
    ck_assert_int_eq(z[1], 1);
    tc_eq(tc_reg(m, CPU_EDX), 0xFFFFFFFFu);        /* flat data: page granular, 4 GiB */
    ck_assert_int_eq(z[2], 0);
    tc_eq(tc_reg(m, CPU_EBX), 0xFFFFFFFFu);        /* null selector: unchanged */
    ck_assert_int_eq(z[3], 0);
    tc_eq(tc_reg(m, CPU_ESI), 0xFFFFFFFFu);        /* beyond the GDT: unchanged */
    tc_free(m);
}
END_TEST

START_TEST(test_ud_post386) {
    /* CPUID, BSWAP, CMPXCHG, XADD, CMOVcc, RDTSC, INVD, WBINVD, INVLPG: #UD on a 386 */
    static const char *ops[] = { "cpuid", "bswap eax", "cmpxchg [0x20000],ecx",
                                 "xadd eax,ecx", "cmovz eax,ecx", "rdtsc", "invd",
                                 "wbinvd", "invlpg [0x20000]", "ud2" };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char src[128];
        snprintf(src, sizeof src, "nop\nf: %s\nhlt", ops[i]);
        tc_machine *m = tc_new(1024);
        tc_flat(m, src);
        int stop = tc_run(m, 100000);
        ck_assert_msg(stop == CPU_STOP_EXCEPTION && m->info.vector == CPU_EXC_UD,
                      "%s: stop %s vector %u, expected #UD", ops[i], cpu_stop_name(stop),
                      m->info.vector);
        tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "f"));
        tc_free(m);
    }
}
END_TEST

START_TEST(test_nm_esc) {
    tc_machine *m = fault_at("f: fld dword [0x20000]\nhlt", CPU_EXC_NM, "f");
    tc_free(m);
}
END_TEST

START_TEST(test_bp_int3) {
    /* INT3 is a trap: reported with EIP after it when intercepted as an exception */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "nop\nint3\nafter: hlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_BP);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    tc_free(m);
}
END_TEST

START_TEST(test_of_into) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "xor eax,eax\ninto\nmov al,0x7f\nadd al,1\ninto\nafter: hlt");
    tc_run_expect(m, CPU_STOP_EXCEPTION);
    ck_assert_uint_eq(m->info.vector, CPU_EXC_OF);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    tc_free(m);
}
END_TEST

START_TEST(test_br_bound) {
    tc_machine *m = fault_at("mov dword [0x20000],0\nmov dword [0x20004],10\nmov eax,10\n"
                             "bound eax,[0x20000]\nmov eax,11\nf: bound eax,[0x20000]\nhlt",
                             CPU_EXC_BR, "f");
    tc_free(m);
}
END_TEST

START_TEST(test_gp_segment_limit) {
    /* a data segment with limit 0xFFF: a dword at 0xFFE crosses it -> #GP(0) */
    tc_machine *m = fault_at(
        "lgdt [gdtr]\nmov ax,0x38\nmov ds,ax\nmov eax,[0xffc]\nf: mov eax,[0xffe]\nhlt\n"
        "gdtr: dw 0x3f\ndd gdt\n"
        "align 8\ngdt: dq 0,0,0,0,0\n"
        "dq 0x00cf9a000000ffff\ndq 0x00cf92000000ffff\n"     /* 0x28 code, 0x30 data */
        "dq 0x0040920000000fff\n",                            /* 0x38: limit 0xFFF */
        CPU_EXC_GP, "f");
    ck_assert_int_eq(m->info.has_error_code, 1);
    tc_eq(m->info.error_code, 0);
    tc_free(m);
}
END_TEST

START_TEST(test_gp_null_selector) {
    tc_machine *m = fault_at("xor eax,eax\nmov es,ax\nf: mov dword [es:0x20000],1\nhlt",
                             CPU_EXC_GP, "f");
    tc_eq(m->info.error_code, 0);
    tc_free(m);
}
END_TEST

START_TEST(test_gp_load_bad_selector) {
    /* a selector beyond the GDT limit: #GP(selector) */
    tc_machine *m = fault_at("mov ax,0x400\nf: mov ds,ax\nhlt", CPU_EXC_GP, "f");
    tc_eq(m->info.error_code & 0xFFFC, 0x400);
    tc_free(m);
}
END_TEST

START_TEST(test_np_segment) {
    /* a present-bit-clear data descriptor: #NP(selector) */
    tc_machine *m = fault_at(
        "lgdt [gdtr]\nmov ax,0x38\nf: mov ds,ax\nhlt\n"
        "gdtr: dw 0x3f\ndd gdt\nalign 8\ngdt: dq 0,0,0,0,0\n"
        "dq 0x00cf9a000000ffff\ndq 0x00cf92000000ffff\ndq 0x00cf12000000ffff\n",
        CPU_EXC_NP, "f");
    tc_eq(m->info.error_code & 0xFFFC, 0x38);
    tc_free(m);
}
END_TEST

START_TEST(test_ss_stack_limit) {
    /* SS with limit 0xFFF: a push at ESP = 2 wraps below 0 -> #SS(0) */
    tc_machine *m = fault_at(
        "lgdt [gdtr]\nmov ax,0x38\nmov ss,ax\nmov esp,2\nf: push eax\nhlt\n"
        "gdtr: dw 0x3f\ndd gdt\nalign 8\ngdt: dq 0,0,0,0,0\n"
        "dq 0x00cf9a000000ffff\ndq 0x00cf92000000ffff\ndq 0x0040920000000fff\n",
        CPU_EXC_SS, "f");
    tc_eq(m->info.error_code, 0);
    tc_free(m);
}
END_TEST

START_TEST(test_pf_cr2_error_code) {
    /* identity-map the first 4 MiB except page 0x30000 (not present); a write there
    ** gives #PF with CR2 = the address and error code W|P=0 -> 2 */
    tc_machine *m = fault_at(
        "mov edi,0x40000\nmov eax,0x41003\nmov [edi],eax\n"          /* PDE 0 -> PT 0x41000 */
        "mov edi,0x41000\nmov eax,3\nmov ecx,1024\n"
        "fill: mov [edi],eax\nadd eax,0x1000\nadd edi,4\nloop fill\n"
        "mov dword [0x41000+0x30*4],0\n"                              /* page 0x30000 absent */
        "mov eax,0x40000\nmov cr3,eax\nmov eax,cr0\nor eax,0x80000000\nmov cr0,eax\n"
        "mov dword [0x20000],1\n"                                     /* present page: fine */
        "f: mov dword [0x30010],5\nhlt",
        CPU_EXC_PF, "f");
    ck_assert_int_eq(m->info.has_error_code, 1);
    tc_eq(m->info.error_code, 2);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.cr2, 0x30010);
    tc_free(m);
}
END_TEST

/* Exceptions go through the IDT when not intercepted: #DE lands in the handler with
** the faulting EIP on the stack. */
START_TEST(test_exception_delivery_idt) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,handler\nmov [0x21000],ax\nmov word [0x21002],0x28\n"
               "mov word [0x21004],0x8e00\nshr eax,16\nmov [0x21006],ax\nlidt [idtr]\n"
               "mov ecx,0\nf: div ecx\nhlt\n"
               "handler: mov ebx,[esp]\nmov esi,[esp+4]\nhlt\n"
               "idtr: dw 0xff\ndd 0x21000\n");
    cpu_get_config(m->cpu)->exc_intercept = 0;
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), tc_sym(m, "f"));
    tc_eq(tc_reg(m, CPU_ESI), 0x28);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_triple_fault) {
    /* no usable IDT: #UD, then #GP on its gate, then #DF, then shutdown */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "lidt [idtr]\nud2\nhlt\nidtr: dw 0\ndd 0\n");
    cpu_get_config(m->cpu)->exc_intercept = 0;
    tc_run_expect(m, CPU_STOP_TRIPLE_FAULT);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_hlt) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,1\nhlt\nafter: nop");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    tc_free(m);
}
END_TEST

START_TEST(test_stop_vmmcall) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "int 0x20\ndd 0x00010123\nafter: mov eax,7\nhlt");
    cpu_get_config(m->cpu)->trap_int20 = 1;
    tc_run_expect(m, CPU_STOP_VMMCALL);
    tc_eq(m->info.vmmcall, 0x00010123);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    tc_run_expect(m, CPU_STOP_HLT);                  /* resumes after the dword */
    tc_eq(tc_reg(m, CPU_EAX), 7);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_int_intercept) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov esp,0x80000\nint 0x2f\nafter: hlt");
    cpu_get_config(m->cpu)->int_intercept[0x2f / 32] |= 1u << (0x2f % 32);
    tc_run_expect(m, CPU_STOP_INT);
    ck_assert_uint_eq(m->info.vector, 0x2f);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    tc_eq(tc_reg(m, CPU_ESP), 0x80000);              /* nothing pushed */
    tc_free(m);
}
END_TEST

START_TEST(test_stop_breakpoint) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov eax,1\nbrk: mov eax,2\nhlt");
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, tc_sym(m, "brk")), CPU_OK);
    tc_run_expect(m, CPU_STOP_BREAKPOINT);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "brk"));
    tc_eq(tc_reg(m, CPU_EAX), 1);                    /* before executing it */
    tc_run_expect(m, CPU_STOP_HLT);                  /* resumes past it */
    tc_eq(tc_reg(m, CPU_EAX), 2);
    tc_free(m);
}
END_TEST

START_TEST(test_breakpoint_table_full) {
    tc_machine *m = tc_new(1024);
    for (int i = 0; i < CPU_MAX_BREAKPOINTS; i++)
        ck_assert_int_eq(cpu_breakpoint_add(m->cpu, 0x1000u + (uint32_t)i), CPU_OK);
    ck_assert_int_eq(cpu_breakpoint_add(m->cpu, 0x9000), CPU_EINVAL);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_request) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov al,1\nout 0x80,al\nafter: mov eax,5\nhlt");
    m->stop_port = 0x80;
    tc_run_expect(m, CPU_STOP_REQUEST);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));  /* after the current instruction */
    tc_run_expect(m, CPU_STOP_HLT);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_on_sti) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "cli\nsti\nafter: nop\nhlt");
    cpu_get_config(m->cpu)->stop_on_sti = 1;
    tc_run_expect(m, CPU_STOP_STI);
    tc_eq(cpu_get_eip(m->cpu), tc_sym(m, "after"));
    ck_assert(tc_flags(m) & CPU_IF);
    tc_free(m);
}
END_TEST

START_TEST(test_sti_shadow) {
    /* no external interrupt between STI and the next instruction */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "sti\nnop\nhlt");
    cpu_get_config(m->cpu)->stop_on_sti = 1;
    tc_run_expect(m, CPU_STOP_STI);
    ck_assert_int_eq(cpu_interrupt(m->cpu, 0x40), CPU_EINVAL);
    tc_free(m);
}
END_TEST

START_TEST(test_stop_budget) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "l: inc eax\njmp l");
    ck_assert_int_eq(tc_run(m, 500), CPU_STOP_BUDGET);
    uint32_t a = tc_reg(m, CPU_EAX);
    ck_assert_int_eq(tc_run(m, 500), CPU_STOP_BUDGET);
    ck_assert_uint_gt(tc_reg(m, CPU_EAX), a);
    tc_free(m);
}
END_TEST

/* Bounds: accesses beyond RAM never touch host memory; reads give all-ones, writes
** are dropped, and host accessors answer CPU_ERANGE. */
START_TEST(test_bounds_beyond_ram) {
    tc_machine *m = tc_new(1024);   /* RAM ends at 0x100000 */
    tc_flat(m, "mov dword [0x200000],0x12345678\nmov eax,[0x200000]\n"
               "mov ebx,[0xffffe]\n"                   /* straddles the end of RAM */
               "mov dword [0xffffc],0xaabbccdd\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 0xffffffff);
    tc_eq(tc_reg(m, CPU_EBX), 0xffff0000);
    tc_eq(tc_rd32(m, 0xffffc), 0xaabbccdd);
    /* host reads see the bus as the guest does: RAM, then all-ones; host writes
    ** outside RAM are refused */
    uint8_t b[8];
    ck_assert_int_eq(cpu_phys_read(m->cpu, 0xffffc, b, 8), CPU_OK);
    ck_assert_uint_eq(b[0], 0xdd);
    ck_assert_uint_eq(b[4], 0xff);
    ck_assert_uint_eq(b[7], 0xff);
    ck_assert_int_eq(cpu_phys_write(m->cpu, 0x100000, b, 1), CPU_ERANGE);
    ck_assert_int_eq(cpu_phys_write(m->cpu, 0xffffc, b, 8), CPU_ERANGE);
    ck_assert_int_eq(cpu_phys_read(m->cpu, 0xfffffffe, b, 4), CPU_ERANGE);
    tc_free(m);
}
END_TEST

START_TEST(test_bounds_code_beyond_ram) {
    /* jumping to unmapped memory executes all-ones bytes, never host memory: the
    ** run must stop with an exception (0xFF 0xFF is an invalid FF /7) */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "jmp 0x28:0x300000");
    int stop = tc_run(m, 100000);
    ck_assert_int_eq(stop, CPU_STOP_EXCEPTION);
    tc_free(m);
}
END_TEST

START_TEST(test_dirty_bitmap) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov dword [0x23000],1\nmov byte [0x45fff],2\nhlt");
    cpu_dirty_clear(m->cpu);
    tc_run_expect(m, CPU_STOP_HLT);
    uint32_t npages;
    const uint64_t *bm = cpu_dirty_bitmap(m->cpu, &npages);
    ck_assert_uint_eq(npages, 256);
    unsigned set = 0;
    for (uint32_t p = 0; p < npages; p++) set += (unsigned)(bm[p / 64] >> (p % 64) & 1);
    ck_assert_uint_ge(set, 2);
    ck_assert(bm[0x23 / 64] >> (0x23 % 64) & 1);
    ck_assert(bm[0x45 / 64] >> (0x45 % 64) & 1);
    ck_assert(!(bm[0x60 / 64] >> (0x60 % 64) & 1));
    cpu_dirty_clear(m->cpu);
    bm = cpu_dirty_bitmap(m->cpu, &npages);
    ck_assert(!(bm[0x23 / 64] >> (0x23 % 64) & 1));
    uint8_t v = 9;                                    /* host writes mark pages too */
    ck_assert_int_eq(cpu_phys_write(m->cpu, 0x61000, &v, 1), CPU_OK);
    ck_assert(bm[0x61 / 64] >> (0x61 % 64) & 1);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_guest_write) {
    /* the guest patches an instruction it has already executed: the new bytes run */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "xor ebx,ebx\nmov ecx,2\n"
               "again: call patchme\nmov byte [patchme+1],7\nloop again\nhlt\n"
               "patchme: mov al,1\nadd bl,al\nret");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 1 + 7);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_host_write) {
    /* the host rewrites code between runs (cpu_phys_write invalidates decode) */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "l: mov eax,1\nbrk: hlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 1);
    uint8_t patch[] = { 0xB8, 0x22, 0, 0, 0 };
    ck_assert_int_eq(cpu_phys_write(m->cpu, tc_sym(m, "l"), patch, sizeof patch), CPU_OK);
    cpu_set_eip(m->cpu, tc_sym(m, "l"));
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 0x22);
    /* out-of-band write straight into RAM, announced with cpu_invalidate */
    m->ram[tc_sym(m, "l") + 1] = 0x33;
    cpu_invalidate(m->cpu, tc_sym(m, "l"), 5);
    cpu_set_eip(m->cpu, tc_sym(m, "l"));
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EAX), 0x33);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_string_store) {
    /* REP STOSB over the next instructions: they become NOPs */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "mov edi,target\nmov ecx,5\nmov al,0x90\nxor ebx,ebx\nrep stosb\n"
               "target: mov ebx,0x1234\nhlt");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 0);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_line_crossing) {
    /* decoded entries are dropped by a write to any 64-byte line they cover: the
    ** patched byte is the JMP's displacement, alone in the line after its opcode */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "xor ebx,ebx\nmov ecx,2\n"
               "again: call j\nmov byte [j+1],t2-j-5\nloop again\nhlt\n"
               "align 64\ntimes 63 nop\n"
               "j: jmp near t1\n"
               "align 64\nhlt\nalign 64\nt1: add ebx,1\nret\nalign 64\nt2: add ebx,0x100\nret");
    ck_assert_int_eq(tc_sym(m, "j") % 64, 63);   /* the layout the test needs */
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 1 + 0x100);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_data_beside_code) {
    /* stores to data in the code's page (other lines) keep the decoded code; a store
    ** into a line of decoded code still drops it */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "xor ebx,ebx\nmov ecx,3\n"
               "again: mov [data],ecx\ncall patchme\nmov byte [patchme+1],7\nloop again\nhlt\n"
               "patchme: mov al,1\nadd bl,al\nret\n"
               "align 64\ndata: dd 0");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 1 + 7 + 7);
    uint32_t v = 0;
    ck_assert_int_eq(cpu_phys_read(m->cpu, tc_sym(m, "data"), &v, 4), CPU_OK);
    tc_eq(v, 1);
    tc_free(m);
}
END_TEST

START_TEST(test_smc_code_into_data_line) {
    /* code written into a line that held only data, run, then patched and run again */
    tc_machine *m = tc_new(1024);
    tc_flat(m, "xor ebx,ebx\nmov dword [target],0xC311B0\ncall target\nmov bl,al\n"
               "mov byte [target+1],0x22\ncall target\nmov bh,al\nhlt\n"
               "align 64\ntarget: times 64 db 0");
    tc_run_expect(m, CPU_STOP_HLT);
    tc_eq(tc_reg(m, CPU_EBX), 0x2211);
    tc_free(m);
}
END_TEST

START_TEST(test_rom_readonly) {
    uint8_t rom[4096];
    memset(rom, 0xF4, sizeof rom);                   /* HLT everywhere */
    rom[4096 - 16] = 0x90;
    tc_machine *m = tc_new(1024);
    cpu_free(m->cpu);
    m->bus.rom = rom;
    m->bus.rom_size = sizeof rom;
    m->cpu = cpu_new(&m->bus);
    cpu_reset(m->cpu);
    cpu_regs r;
    cpu_get_regs(m->cpu, &r);
    tc_eq(r.seg[CPU_CS].sel, 0xF000);
    tc_eq(r.eip, 0xFFF0);
    tc_eq(r.seg[CPU_CS].base + r.eip, 0xFFFFFFF0);
    tc_run_expect(m, CPU_STOP_HLT);                  /* NOP then HLT from the ROM */
    tc_eq(cpu_get_eip(m->cpu), 0xFFF2);
    uint8_t b = 0;
    ck_assert_int_eq(cpu_phys_read(m->cpu, 0xFFFF0, &b, 1), CPU_OK);   /* low mirror */
    ck_assert_uint_eq(b, 0x90);
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_system");
    TCase *f = tcase_create("faults");
    tcase_set_timeout(f, 60);
    tcase_add_test(f, test_de_div_zero);
    tcase_add_test(f, test_de_idiv_overflow);
    tcase_add_test(f, test_de_aam_zero);
    tcase_add_test(f, test_ud_post386);
    tcase_add_test(f, test_lar_lsl);
    tcase_add_test(f, test_nm_esc);
    tcase_add_test(f, test_bp_int3);
    tcase_add_test(f, test_of_into);
    tcase_add_test(f, test_br_bound);
    tcase_add_test(f, test_gp_segment_limit);
    tcase_add_test(f, test_gp_null_selector);
    tcase_add_test(f, test_gp_load_bad_selector);
    tcase_add_test(f, test_np_segment);
    tcase_add_test(f, test_ss_stack_limit);
    tcase_add_test(f, test_pf_cr2_error_code);
    tcase_add_test(f, test_exception_delivery_idt);
    suite_add_tcase(s, f);
    TCase *st = tcase_create("stops");
    tcase_add_test(st, test_stop_hlt);
    tcase_add_test(st, test_stop_triple_fault);
    tcase_add_test(st, test_stop_vmmcall);
    tcase_add_test(st, test_stop_int_intercept);
    tcase_add_test(st, test_stop_breakpoint);
    tcase_add_test(st, test_breakpoint_table_full);
    tcase_add_test(st, test_stop_request);
    tcase_add_test(st, test_stop_on_sti);
    tcase_add_test(st, test_sti_shadow);
    tcase_add_test(st, test_stop_budget);
    suite_add_tcase(s, st);
    TCase *mem = tcase_create("memory");
    tcase_add_test(mem, test_bounds_beyond_ram);
    tcase_add_test(mem, test_bounds_code_beyond_ram);
    tcase_add_test(mem, test_dirty_bitmap);
    tcase_add_test(mem, test_smc_guest_write);
    tcase_add_test(mem, test_smc_host_write);
    tcase_add_test(mem, test_smc_string_store);
    tcase_add_test(mem, test_smc_line_crossing);
    tcase_add_test(mem, test_smc_data_beside_code);
    tcase_add_test(mem, test_smc_code_into_data_line);
    tcase_add_test(mem, test_rom_readonly);
    suite_add_tcase(s, mem);
    return tc_main(s);
}
