/* test_trap.c — I/O trapping (docs/vmm.md, "I/O trapping", IOT-1 … IOT-6): real VxD
** code (tests/vmm/vxd/trap.asm) installs the handlers and switches trapping; real
** client code (hand-assembled 16-bit bytes, V86 and protected mode) does the I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_vmm.h"

#define CL_CLIENT 0x80u   /* Client_Reg_Struc inside a VM's control block */

/* mov dx,3F8h; mov al,48h; out dx,al; in al,dx; hlt; jmp $ */
static const uint8_t p_byte[] = { 0xBA, 0xF8, 0x03, 0xB0, 0x48, 0xEE, 0xEC, 0xF4, 0xEB, 0xFE };
/* mov dx,2EAh; in ax,dx; mov bx,ax; mov dx,2E8h; in eax,dx; mov esi,eax; push cs; pop es;
** mov di,200h; mov cx,2; std; mov dx,2EAh; rep insb; cld; mov cx,0; rep insb; hlt; jmp $ */
static const uint8_t p_wide[] = { 0xBA, 0xEA, 0x02, 0xED, 0x89, 0xC3, 0xBA, 0xE8, 0x02, 0x66, 0xED,
                                  0x66, 0x89, 0xC6, 0x0E, 0x07, 0xBF, 0x00, 0x02, 0xB9, 0x02, 0x00,
                                  0xFD, 0xBA, 0xEA, 0x02, 0xF3, 0x6C, 0xFC, 0xB9, 0x00, 0x00, 0xF3,
                                  0x6C, 0xF4, 0xEB, 0xFE };

/* A client program (tf_give), in V86 mode or as the system VM's PM client. */
static void give(tf *t, uint32_t vm, const uint8_t *img, uint32_t len, int pm) {
    tf_give(t, vm, img, len);
    t->vms[vm].client.pm = (uint8_t)pm;
}

static uint64_t line_cycle(const tf *t, long idx) {
    ck_assert_int_ge(idx, 0);
    return strtoull(tf_line_text(t, idx), NULL, 10);
}

/* IOT-1: one handler per port (the second install of 0x3F8 is refused, CF set), a
** Mult_IO table installs all its entries, and the 128-handler table refuses the 129th. */
START_TEST(iot1_install_results) {
    tf t;
    tf_init(&t, "trap", 2);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u8(&t, "cf_first"), 0);
    ck_assert_uint_eq(tf_u8(&t, "cf_second"), 1);
    ck_assert_uint_eq(tf_u8(&t, "cf_mult"), 0);
    ck_assert_uint_eq(tf_u32(&t, "filled"), 128 - 4);
    ck_assert_uint_eq(tf_u32(&t, "full_port"), 0x100 + 124);
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=install ok=0"), 2);
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=install ok=1"), 128);
    ck_assert_int_eq(tf_count(&t, "SVC_RET svc=Install_Mult_IO_Handlers cf=0"), 1);
    tf_free(&t);
}
END_TEST

/* IOT-1: installing after initialization, and switching a port with no handler, are
** guest errors that say what went wrong. */
START_TEST(iot1_misuse_is_clean_error) {
    static const char *const call[] = { "late_install", "enable_unknown" };
    static const char *const want[] = { "Install_IO_Handler is only available during initialization",
                                        "Enable_Global_Trapping: no I/O handler is installed for port 0x0999" };
    for (int k = 0; k < 2; k++) {
        tf t;
        tf_init(&t, "trap", 2);
        tf_stim(&t, 100000, VMM_STIM_CALL, 1, call[k], 0);
        ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
        ck_assert_msg(strstr(vmm_error(t.v), want[k]), "%s", vmm_error(t.v));
        tf_free(&t);
    }
}
END_TEST

/* IOT-2: OUT then IN on a trapped port run the handler in dos1's context with EBX =
** dos1, ECX = the type, EDX = the port, EBP = its Client_Reg_Struc, EAX = the byte
** out; the handler's AL is the client's AL, and the client resumes after each. */
static void byte_run(tf *t, int pm) {
    tf_init(t, "trap", 2);
    give(t, 1, p_byte, sizeof p_byte, pm);
    ck_assert_int_eq(tf_run(t), VMM_OK);
    ck_assert_uint_eq(tf_u32(t, "data_calls"), 2);
    ck_assert_uint_eq(tf_u32(t, "h_ebx"), tf_handle(t, 1));
    ck_assert_uint_eq(tf_u32(t, "h_ecx"), 0x00);                 /* Byte_Input, the last */
    ck_assert_uint_eq(tf_u32(t, "h_edx"), 0x3F8);
    ck_assert_uint_eq(tf_u32(t, "h_ebp"), tf_handle(t, 1) + CL_CLIENT);
    ck_assert_uint_eq(tf_creg(t, 1, 0x1C, 1), 0x5A);               /* Client_AL */
    ck_assert_uint_eq(tf_creg(t, 1, 0x24, 4), 0x08);               /* after the HLT */
    ck_assert_int_eq(tf_count(t, "IOTRAP op=call vm=dos1 port=0x03f8 iotype=0x04 handler=T.io_data value=0x48"), 1);
    ck_assert_int_eq(tf_count(t, "CB_ENTER kind=iotrap cb=T.io_data vm=dos1 eax=0x00000048 edx=0x000003f8"), 1);
    ck_assert_int_eq(tf_count(t, "IOTRAP op=done vm=dos1 port=0x03f8 value=0x0000005a"), 1);
    ck_assert_int_eq(tf_count(t, "size=1 value="), 0);           /* no IO record: no bus access */
}

START_TEST(iot2_handler_registers_v86) {
    tf t;
    byte_run(&t, 0);
    tf_free(&t);
}
END_TEST

START_TEST(iot2_handler_registers_pm_client) {
    tf t;
    byte_run(&t, 1);
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hlt vm=dos1 mode=pm"), 1);
    tf_free(&t);
}
END_TEST

/* IOT-3: dos2's local trapping of 0x3F8 is off (its VM_Init): its I/O reaches the bus,
** dos1's the handler. IOT-5: the VxD's own IN of 0x3F8 is never trapped. */
START_TEST(iot3_local_off_goes_to_bus_iot5_vxd_io) {
    tf t;
    tf_init(&t, "trap", 3);
    t.s.m.memory_kb = 8192;
    give(&t, 1, p_byte, sizeof p_byte, 0);
    give(&t, 2, p_byte, sizeof p_byte, 0);
    tf_stim(&t, 200000, VMM_STIM_CALL, 1, "vxd_in", 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_u32(&t, "data_calls"), 2);
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=fault vm=dos2"), 0);
    ck_assert_int_eq(tf_count(&t, "IO op=out vm=dos2 port=0x03f8 size=1 value=0x00000048"), 1);
    ck_assert_int_eq(tf_count(&t, "IO op=in vm=dos2 port=0x03f8 size=1 value=0x000000ff"), 1);
    ck_assert_uint_eq(tf_creg(&t, 2, 0x1C, 1), 0xFF);              /* the floating bus */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x1C, 1), 0x5A);
    ck_assert_uint_eq(tf_u8(&t, "vxd_in_val"), 0xFF);
    ck_assert_int_eq(tf_count(&t, "IO op=in vm=dos1 port=0x03f8 size=1"), 1);   /* the VxD's */
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=fault"), 2);
    tf_free(&t);
}
END_TEST

/* IOT-4: IN AX over two trapped ports, IN EAX over three trapped and one untrapped (the
** bus's 0xFF), REP INSB backwards (DF set), REP INSB with CX = 0 (no access). */
static void wide_run(tf *t, const eng_decision *d, uint32_t nd) {
    tf_init(t, "trap", 2);
    give(t, 1, p_wide, sizeof p_wide, 0);
    if (nd) {
        ck_assert_int_eq(tf_run(t), VMM_OK);
        ck_assert_int_eq(vmm_reset(t->v), VMM_OK);
        eng_chooser_replay(vmm_chooser(t->v), d, nd);
    }
    ck_assert_int_eq(tf_run(t), VMM_OK);
}

START_TEST(iot4_word_dword_and_string_bytes) {
    tf t;
    uint8_t buf[2] = { 0, 0 }, log[21];
    wide_run(&t, NULL, 0);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x10, 2), 0xEBEA);           /* BX: IN AX */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x04, 4), 0xEBEAFFE8u);      /* ESI: IN EAX */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x00, 2), 0x01FE);           /* DI: two bytes down */
    ck_assert_uint_eq(tf_creg(&t, 1, 0x18, 2), 0);                /* CX */
    uint32_t sp = vmm_vm_high_linear(t.v, 1) + 0x10000;
    ck_assert_int_eq(vmm_read(t.v, sp + 0x1FF, buf, 2), VMM_OK);
    ck_assert_uint_eq(buf[0], 0xEA);
    ck_assert_uint_eq(buf[1], 0xEA);
    ck_assert_uint_eq(tf_u32(&t, "nlog"), 21);                 /* 2 + 3 + 2 handler calls */
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "log"), log, sizeof log), VMM_OK);
    static const uint8_t want[21] = { 0xEA, 0, 0, 0xEB, 0, 0, 0xE8, 0, 0, 0xEA, 0, 0, 0xEB, 0, 0,
                                      0xEA, 0, 0, 0xEA, 0, 0 };
    ck_assert_mem_eq(log, want, sizeof want);
    ck_assert_int_eq(tf_count(&t, "IO op=in vm=dos1 port=0x02e9 size=1 value=0x000000ff"), 1);
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=fault vm=dos1 port=0x02ea size=1 dir=in string=1 rep=1 count=0"), 1);
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=io-order n=2 chosen=0"), 2);   /* IN AX, IN EAX */
    ck_assert_int_eq(tf_count(&t, "CLIENT op=hlt vm=dos1 ip=0x0023"), 1);
    uint64_t h = tf_hash(&t);
    ck_assert_int_eq(vmm_reset(t.v), VMM_OK);                  /* deterministic */
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    ck_assert_uint_eq(tf_hash(&t), h);
    tf_free(&t);
}
END_TEST

/* IOT-4: the io-order choice's other answer takes the bytes from the high port down;
** the value assembled is the same. */
START_TEST(iot4_io_order_choice_descending) {
    tf t;
    uint8_t log[6];
    eng_decision d[2] = { { ENG_CHOICE_IO_ORDER, 2, 1 }, { ENG_CHOICE_IO_ORDER, 2, 1 } };
    wide_run(&t, d, 2);
    ck_assert_uint_eq(eng_chooser_mismatches(vmm_chooser(t.v)), 0);
    ck_assert_int_eq(tf_count(&t, "CHOICE kind=io-order n=2 chosen=1"), 2);
    ck_assert_int_eq(vmm_read(t.v, tf_label(&t, "log"), log, sizeof log), VMM_OK);
    ck_assert_uint_eq(log[0], 0xEB);
    ck_assert_uint_eq(log[3], 0xEA);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x10, 2), 0xEBEA);
    ck_assert_uint_eq(tf_creg(&t, 1, 0x04, 4), 0xEBEAFFE8u);
    long call = tf_line(&t, "IOTRAP op=call vm=dos1 port=0x02eb", 1);   /* IN EAX: 2EB first */
    long bus = tf_line(&t, "IO op=in vm=dos1 port=0x02e9", 0);
    ck_assert(call >= 0 && bus > call);
    tf_free(&t);
}
END_TEST

/* IOT-6: the handler call comes the VMM entry's 119 cycles after the fault, its entry
** the CALL's 9 later; the client resumes after the VMM's 60-cycle return. */
START_TEST(iot6_entry_and_return_cycles) {
    tf t;
    tf_init(&t, "trap", 2);
    give(&t, 1, p_byte, sizeof p_byte, 0);
    ck_assert_int_eq(tf_run(&t), VMM_OK);
    uint64_t fault = line_cycle(&t, tf_line(&t, "IOTRAP op=fault vm=dos1", 0));
    uint64_t call = line_cycle(&t, tf_line(&t, "IOTRAP op=call vm=dos1", 0));
    uint64_t enter = line_cycle(&t, tf_line(&t, "CB_ENTER kind=iotrap", 0));
    uint64_t done = line_cycle(&t, tf_line(&t, "IOTRAP op=done vm=dos1", 0));
    uint64_t fault2 = line_cycle(&t, tf_line(&t, "IOTRAP op=fault vm=dos1", 1));
    ck_assert_uint_eq(call - fault, 119);
    ck_assert_uint_eq(enter - call, 9);
    ck_assert_uint_ge(fault2 - done, 60 + 1);                  /* the return, then the IN */
    tf_free(&t);
}
END_TEST

/* Another #GP of client code (MOV CR0 in V86 mode) is not taken for a trap: it stays
** the clean error it was, with trapped ports installed. */
START_TEST(iot2_other_gp_stays_an_error) {
    static const uint8_t p_cr0[] = { 0x0F, 0x22, 0xC0, 0xF4 };   /* mov cr0,eax; hlt */
    tf t;
    tf_init(&t, "trap", 2);
    give(&t, 1, p_cr0, sizeof p_cr0, 0);
    ck_assert_int_eq(tf_run(&t), VMM_EGUEST);
    ck_assert_msg(strstr(vmm_error(t.v), "exception 13") && strstr(vmm_error(t.v), "1000:0000"),
                  "%s", vmm_error(t.v));
    ck_assert_int_eq(tf_count(&t, "IOTRAP op=fault"), 0);
    tf_free(&t);
}
END_TEST

Suite *trap_suite(void) {
    Suite *s = suite_create("trap");
    TCase *tc = tcase_create("iot");
    tcase_add_test(tc, iot1_install_results);
    tcase_add_test(tc, iot1_misuse_is_clean_error);
    tcase_add_test(tc, iot2_handler_registers_v86);
    tcase_add_test(tc, iot2_handler_registers_pm_client);
    tcase_add_test(tc, iot3_local_off_goes_to_bus_iot5_vxd_io);
    tcase_add_test(tc, iot4_word_dword_and_string_bytes);
    tcase_add_test(tc, iot4_io_order_choice_descending);
    tcase_add_test(tc, iot6_entry_and_return_cycles);
    tcase_add_test(tc, iot2_other_gp_stays_an_error);
    suite_add_tcase(s, tc);
    return s;
}
