/*
** test_cpu_clocks.c — clock counts of instruction forms against the Intel 80386
** Programmer's Reference Manual (1986), chapter 17 (section 17.2.2.11, each
** instruction's "Clocks" column; 386intel.txt in solidconcrete/pseudographics-to-UTF).
**
** Each row runs `setup`, then measures cpu_cycles() from a breakpoint at label t0 (the
** instruction `insn`) to one at t2, across `insn` and a NOP at t1 (3 clocks). Control
** transfers go to t1, so `m` (components of the next instruction) is 1: the NOP is a
** single byte. Measuring across the NOP makes the result independent of whether an
** implementation charges "+m" to the transfer or to the instruction it reaches; the
** setup never jumps to t0 for the same reason (code it needs, such as a subroutine
** or data, goes after a '|' in `setup` and is placed behind the HLT at t2). Memory operands are aligned and use one base register or a
** displacement only, and there are no wait states (the manual's assumptions).
** "r/m" columns read "register/memory"; pm= is the protected-mode count (flat ring 0,
** CPL <= IOPL, same privilege level).
*/
#include "cpu_fixture.h"

#include <stdio.h>
#include <string.h>

#define CLK_NOP 3   /* NOP 3: the instruction at t1 */

typedef struct clk_case {
    const char *manual;     /* the manual's mnemonic form and its clocks entry */
    const char *setup;
    const char *insn;
    unsigned    clocks;     /* expected, from the entry (m = 1) */
    unsigned    bits;       /* 32: flat protected mode; 16: real mode */
} clk_case;

/* An IDT at 0x21000 with an interrupt gate for vector 0x30 (and 4 for INTO, 3 for
** INT3) pointing at t1, flat code selector 0x28. */
#define IDT_HEAD                                                                \
    "mov eax,t1\n"                                                              \
    "mov ebx,0x21000+0x30*8\ncall gate\nmov ebx,0x21000+4*8\ncall gate\n"       \
    "mov ebx,0x21000+3*8\ncall gate\n"                                          \
    "lidt [idtr]\n"
#define IDT_TAIL                                                                \
    "|gate: mov [ebx],ax\nmov word [ebx+2],0x28\nmov word [ebx+4],0x8e00\n"     \
    "push eax\nshr eax,16\nmov [ebx+6],ax\npop eax\nret\n"                      \
    "idtr: dw 0x7ff\ndd 0x21000\n"
#define IDT_SETUP IDT_HEAD IDT_TAIL

/* The real-mode IVT entries for vectors 0x30, 3 and 4 point at t1. */
#define IVT_SETUP                                                               \
    "xor ax,ax\nmov ds,ax\nmov word [0x30*4],t1\nmov word [0x30*4+2],0\n"       \
    "mov word [3*4],t1\nmov word [3*4+2],0\nmov word [4*4],t1\nmov word [4*4+2],0\n"

#define M "[0x20000]"

static const clk_case clk_cases[] = {
    /* data movement */
    { "MOV r32,r/m32 2/4 (reg)", "", "mov eax,ebx", 2, 32 },
    { "MOV r32,r/m32 2/4 (mem)", "", "mov eax," M, 4, 32 },
    { "MOV r/m32,r32 2/2 (mem)", "", "mov " M ",eax", 2, 32 },
    { "MOV r8,r/m8 2/4 (mem)", "", "mov al,byte " M, 4, 32 },
    { "MOV r16,r/m16 2/4 (mem)", "", "mov ax," M, 4, 32 },
    { "MOV reg,imm 2", "", "mov ecx,0x12345678", 2, 32 },
    { "MOV r/m32,imm32 2/2 (mem)", "", "mov dword " M ",5", 2, 32 },
    { "MOV EAX,moffs32 4", "", "a32 mov eax,[dword 0x20000]", 4, 32 },
    { "MOV moffs32,EAX 2", "", "a32 mov [dword 0x20000],eax", 2, 32 },
    { "MOV r/m16,Sreg 2/2", "", "mov ax,ds", 2, 32 },
    { "MOV Sreg,r/m16 2/5, pm=18/19 (pm reg)", "mov eax,0x30", "mov ds,ax", 18, 32 },
    { "MOV Sreg,r/m16 2/5, pm=18/19 (pm mem)", "mov word " M ",0x30", "mov es," M, 19, 32 },
    { "MOV Sreg,r/m16 2/5 (real reg)", "xor ax,ax", "mov ds,ax", 2, 16 },
    { "MOV Sreg,r/m16 2/5 (real mem)", "mov word [0x8000],0", "mov es,[0x8000]", 5, 16 },
    { "MOVZX r32,r/m8 3/6 (reg)", "", "movzx eax,bl", 3, 32 },
    { "MOVZX r32,r/m16 3/6 (mem)", "", "movzx eax,word " M, 6, 32 },
    { "MOVSX r32,r/m8 3/6 (reg)", "", "movsx eax,bl", 3, 32 },
    { "MOVSX r32,r/m16 3/6 (mem)", "", "movsx eax,word " M, 6, 32 },
    { "XCHG EAX,r32 3", "", "xchg eax,ecx", 3, 32 },
    { "XCHG r32,r/m32 3/5 (reg)", "", "xchg ebx,ecx", 3, 32 },
    { "XCHG r32,r/m32 3/5 (mem)", "", "xchg " M ",ecx", 5, 32 },
    { "LEA r32,m 2", "", "lea eax,[ebx+8]", 2, 32 },
    { "XLAT m8 5", "mov ebx,0x20000\nxor eax,eax", "xlatb", 5, 32 },
    { "PUSH r32 2", "", "push eax", 2, 32 },
    { "PUSH m32 5", "", "push dword " M, 5, 32 },
    { "PUSH imm32 2", "", "push 0x12345678", 2, 32 },
    { "PUSH imm8 2", "", "push byte 5", 2, 32 },
    { "PUSH DS 2", "", "push ds", 2, 32 },
    { "POP r32 4", "push eax", "pop ecx", 4, 32 },
    { "POP m32 5", "push eax", "pop dword " M, 5, 32 },
    { "POP DS 7, pm=21 (pm)", "push ds", "pop ds", 21, 32 },
    { "POP DS 7, pm=21 (real)", "push ds", "pop ds", 7, 16 },
    { "PUSHAD 18", "", "pushad", 18, 32 },
    { "POPAD 24", "pushad", "popad", 24, 32 },
    { "PUSHFD 4", "", "pushfd", 4, 32 },
    { "POPFD 5", "pushfd", "popfd", 5, 32 },
    { "LAHF 2", "", "lahf", 2, 32 },
    { "SAHF 3", "", "sahf", 3, 32 },
    { "CBW 3", "", "cbw", 3, 32 },
    { "CWDE 3", "", "cwde", 3, 32 },
    { "CWD 2", "", "cwd", 2, 32 },
    { "CDQ 2", "", "cdq", 2, 32 },
    { "LDS r32,m16:32 7, pm=22 (pm)", "mov dword " M ",0\nmov word [0x20004],0x30", "lds eax," M, 22, 32 },
    { "LES r16,m16:16 7, pm=22 (real)", "mov dword [0x8000],0", "les ax,[0x8000]", 7, 16 },
    /* arithmetic and logic */
    { "ADD r32,r/m32 2/6 (reg)", "", "add eax,ebx", 2, 32 },
    { "ADD r32,r/m32 2/6 (mem)", "", "add eax," M, 6, 32 },
    { "ADD r/m32,r32 2/7 (mem)", "", "add " M ",eax", 7, 32 },
    { "ADD EAX,imm32 2", "", "add eax,0x12345", 2, 32 },
    { "ADD r/m32,imm32 2/7 (mem)", "", "add dword " M ",0x12345", 7, 32 },
    { "ADD r/m32,imm8 2/7 (reg)", "", "add ebx,byte 5", 2, 32 },
    { "ADC r/m8,r8 2/7 (mem)", "", "adc byte " M ",al", 7, 32 },
    { "SUB r16,r/m16 2/6 (mem)", "", "sub ax," M, 6, 32 },
    { "SBB r/m32,imm8 2/7 (mem)", "", "sbb dword " M ",byte 1", 7, 32 },
    { "AND r32,r/m32 2/6 (reg)", "", "and eax,ecx", 2, 32 },
    { "OR r/m32,r32 2/7 (mem)", "", "or " M ",ecx", 7, 32 },
    { "XOR r32,r/m32 2/6 (mem)", "", "xor ecx," M, 6, 32 },
    { "CMP r32,r/m32 2/6 (reg)", "", "cmp eax,ebx", 2, 32 },
    { "CMP r/m32,r32 2/5 (mem)", "", "cmp " M ",eax", 5, 32 },
    { "CMP r32,r/m32 2/6 (mem)", "", "cmp eax," M, 6, 32 },
    { "CMP r/m32,imm32 2/5 (mem)", "", "cmp dword " M ",7", 5, 32 },
    { "TEST r/m32,r32 2/5 (reg)", "", "test eax,ebx", 2, 32 },
    { "TEST r/m32,r32 2/5 (mem)", "", "test " M ",ebx", 5, 32 },
    { "TEST r/m32,imm32 2/5 (mem)", "", "test dword " M ",1", 5, 32 },
    { "INC r32 2", "", "inc eax", 2, 32 },
    { "INC r/m32 2/6 (mem)", "", "inc dword " M, 6, 32 },
    { "DEC r/m8 2/6 (reg)", "", "dec bl", 2, 32 },
    { "NEG r/m32 2/6 (reg)", "", "neg eax", 2, 32 },
    { "NEG r/m32 2/6 (mem)", "", "neg dword " M, 6, 32 },
    { "NOT r/m32 2/6 (mem)", "", "not dword " M, 6, 32 },
    /* multiply (early-out: max(ceiling(log2 |m|), 3) + 6, 9 when m = 0; +3 for memory) */
    { "MUL r/m32 9-38/12-41, m=5", "mov ecx,5", "mul ecx", 9, 32 },
    { "MUL r/m32 9-38/12-41, m=0", "mov ecx,0", "mul ecx", 9, 32 },
    { "MUL r/m32 9-38/12-41, m=1FFh", "mov ecx,0x1ff", "mul ecx", 15, 32 },
    { "MUL r/m32 9-38/12-41, m=12345h", "mov ecx,0x12345", "mul ecx", 23, 32 },
    { "MUL r/m32 9-38/12-41, m=FFFFFFFFh", "mov ecx,-1", "mul ecx", 38, 32 },
    { "MUL r/m32 9-38/12-41 (mem), m=1FFh", "mov dword " M ",0x1ff", "mul dword " M, 18, 32 },
    { "MUL r/m8 9-14/12-17, m=FFh", "mov cl,0xff", "mul cl", 14, 32 },
    { "MUL r/m16 9-22/12-25, m=FFFFh", "mov cx,0xffff", "mul cx", 22, 32 },
    { "IMUL r/m32 9-38/12-41, m=-1FFh", "mov ecx,-0x1ff", "imul ecx", 15, 32 },
    { "IMUL r32,r/m32 9-38/12-41, both 1FFh", "mov eax,0x1ff\nmov ecx,eax", "imul eax,ecx", 15, 32 },
    { "IMUL r32,r/m32,imm32 9-38/12-41, both 1FFh", "mov ecx,0x1ff", "imul eax,ecx,0x1ff", 15, 32 },
    /* divide */
    { "DIV r/m8 14/17", "mov eax,100\nmov cl,7", "div cl", 14, 32 },
    { "DIV r/m16 22/25", "mov eax,100\nxor edx,edx\nmov cx,7", "div cx", 22, 32 },
    { "DIV r/m32 38/41 (reg)", "mov eax,100\nxor edx,edx\nmov ecx,7", "div ecx", 38, 32 },
    { "DIV r/m32 38/41 (mem)", "mov eax,100\nxor edx,edx\nmov dword " M ",7", "div dword " M, 41, 32 },
    { "IDIV r/m8 19/22", "mov eax,100\nmov cl,7", "idiv cl", 19, 32 },
    { "IDIV r/m16 27/30", "mov eax,100\nxor edx,edx\nmov cx,7", "idiv cx", 27, 32 },
    { "IDIV r/m32 43/46", "mov eax,100\nxor edx,edx\nmov ecx,7", "idiv ecx", 43, 32 },
    /* BCD */
    { "DAA 4", "", "daa", 4, 32 },
    { "DAS 4", "", "das", 4, 32 },
    { "AAA 4", "", "aaa", 4, 32 },
    { "AAS 4", "", "aas", 4, 32 },
    { "AAM 17", "mov eax,79", "aam", 17, 32 },
    { "AAD 19", "mov eax,0x0709", "aad", 19, 32 },
    /* shifts and rotates */
    { "SHL r/m32,1 3/7 (reg)", "", "shl eax,1", 3, 32 },
    { "SHL r/m32,1 3/7 (mem)", "", "shl dword " M ",1", 7, 32 },
    { "SHR r/m32,CL 3/7 (reg)", "mov cl,5", "shr eax,cl", 3, 32 },
    { "SAR r/m32,imm8 3/7 (reg)", "", "sar eax,5", 3, 32 },
    { "SAR r/m8,imm8 3/7 (mem)", "", "sar byte " M ",3", 7, 32 },
    { "ROL r/m32,imm8 3/7 (reg)", "", "rol eax,7", 3, 32 },
    { "ROR r/m32,CL 3/7 (mem)", "mov cl,3", "ror dword " M ",cl", 7, 32 },
    { "RCL r/m32,1 9/10 (reg)", "", "rcl eax,1", 9, 32 },
    { "RCL r/m32,1 9/10 (mem)", "", "rcl dword " M ",1", 10, 32 },
    { "RCR r/m32,CL 9/10 (reg)", "mov cl,4", "rcr eax,cl", 9, 32 },
    { "RCR r/m32,imm8 9/10 (mem)", "", "rcr dword " M ",4", 10, 32 },
    { "SHLD r/m32,r32,imm8 3/7 (reg)", "", "shld eax,ebx,4", 3, 32 },
    { "SHLD r/m32,r32,imm8 3/7 (mem)", "", "shld " M ",ebx,4", 7, 32 },
    { "SHRD r/m32,r32,CL 3/7 (reg)", "mov cl,4", "shrd eax,ebx,cl", 3, 32 },
    /* bit operations */
    { "BT r/m32,r32 3/12 (reg)", "", "bt eax,ebx", 3, 32 },
    { "BT r/m32,r32 3/12 (mem)", "xor ebx,ebx", "bt " M ",ebx", 12, 32 },
    { "BT r/m32,imm8 3/6 (reg)", "", "bt eax,3", 3, 32 },
    { "BT r/m32,imm8 3/6 (mem)", "", "bt dword " M ",3", 6, 32 },
    { "BTS r/m32,r32 6/13 (reg)", "", "bts eax,ebx", 6, 32 },
    { "BTS r/m32,r32 6/13 (mem)", "xor ebx,ebx", "bts " M ",ebx", 13, 32 },
    { "BTR r/m32,imm8 6/8 (reg)", "", "btr eax,3", 6, 32 },
    { "BTC r/m32,imm8 6/8 (mem)", "", "btc dword " M ",3", 8, 32 },
    { "SETcc r/m8 4/5 (reg)", "", "setz al", 4, 32 },
    { "SETcc r/m8 4/5 (mem)", "", "setnz byte " M, 5, 32 },
    /* flags */
    { "CLC 2", "", "clc", 2, 32 },
    { "STC 2", "", "stc", 2, 32 },
    { "CMC 2", "", "cmc", 2, 32 },
    { "CLD 2", "", "cld", 2, 32 },
    { "STD 2", "", "std", 2, 32 },
    { "CLI 3", "", "cli", 3, 32 },
    { "NOP 3", "", "nop", 3, 32 },
    /* control transfer (m = 1: the target is a HLT) */
    { "JMP rel8 7+m", "", "jmp short t1", 8, 32 },
    { "JMP rel32 7+m", "", "jmp near t1", 8, 32 },
    { "JMP r/m32 7+m/10+m (reg)", "mov eax,t1", "jmp eax", 8, 32 },
    { "JMP r/m32 7+m/10+m (mem)", "mov dword " M ",t1", "jmp dword " M, 11, 32 },
    { "JMP ptr16:32 12+m, pm=27+m (pm)", "", "jmp 0x28:t1", 28, 32 },
    { "JMP ptr16:16 12+m (real)", "", "jmp 0:t1", 13, 16 },
    { "Jcc rel8 7+m taken", "xor eax,eax", "jz t1", 8, 32 },
    { "Jcc rel8 3 not taken", "xor eax,eax", "jnz t1", 3, 32 },
    { "Jcc rel32 7+m taken", "xor eax,eax", "jz near t1", 8, 32 },
    { "Jcc rel32 3 not taken", "xor eax,eax", "jnz near t1", 3, 32 },
    { "JECXZ rel8 9+m taken", "xor ecx,ecx", "jecxz t1", 10, 32 },
    { "JECXZ rel8 5 not taken", "mov ecx,1", "jecxz t1", 5, 32 },
    { "LOOP rel8 11+m taken", "mov ecx,2", "loop t1", 12, 32 },
    { "LOOPE rel8 11+m taken", "mov ecx,2\nxor eax,eax", "loope t1", 12, 32 },
    { "CALL rel32 7+m", "", "call t1", 8, 32 },
    { "CALL r/m32 7+m/10+m (reg)", "mov eax,t1", "call eax", 8, 32 },
    { "CALL r/m32 7+m/10+m (mem)", "mov dword " M ",t1", "call dword " M, 11, 32 },
    { "CALL ptr16:32 17+m, pm=34+m (pm)", "", "call 0x28:t1", 35, 32 },
    { "CALL ptr16:16 17+m (real)", "", "call 0:t1", 18, 16 },
    { "RET near 10+m", "push t1", "ret", 11, 32 },
    { "RET near imm16 10+m", "push t1", "ret 0", 11, 32 },
    { "RET far 18+m, pm=32+m (pm)", "push dword 0x28\npush dword t1", "retf", 33, 32 },
    { "RET far 18+m (real)", "push word 0\npush word t1", "retf", 19, 16 },
    { "ENTER imm16,0 10", "", "enter 16,0", 10, 32 },
    { "ENTER imm16,1 12", "mov ebp,esp", "enter 16,1", 12, 32 },
    { "LEAVE 4", "mov ebp,esp", "leave", 4, 32 },
    { "BOUND r32,m32&32 10 (in range)", "mov dword " M ",0\nmov dword [0x20004],10\nmov eax,5",
      "bound eax," M, 10, 32 },
    /* interrupts */
    { "INT imm8 37, pm=59 (same privilege)", IDT_SETUP, "int 0x30", 59, 32 },
    { "INT 3 33, pm=59", IDT_SETUP, "int3", 59, 32 },
    { "INTO 35, pm=59 (taken)", IDT_HEAD "mov al,0x7f\nadd al,1\n" IDT_TAIL, "into", 59, 32 },
    { "INTO 3 (not taken)", "xor eax,eax", "into", 3, 32 },
    { "INT imm8 37 (real)", IVT_SETUP, "int 0x30", 37, 16 },
    { "INT 3 33 (real)", IVT_SETUP, "int3", 33, 16 },
    { "IRETD 22, pm=38 (same privilege)", "pushfd\npush dword 0x28\npush dword t1", "iretd", 38, 32 },
    { "IRET 22 (real)", "pushf\npush word 0\npush word t1", "iret", 22, 16 },
    /* strings (n = repetitions) */
    { "MOVS 7", "mov esi,0x20000\nmov edi,0x20100", "movsd", 7, 32 },
    { "REP MOVS 5+4n, n=4", "mov esi,0x20000\nmov edi,0x20100\nmov ecx,4", "rep movsd", 21, 32 },
    { "REP MOVS 5+4n, n=0", "xor ecx,ecx", "rep movsb", 5, 32 },
    { "STOS 4", "mov edi,0x20100", "stosd", 4, 32 },
    { "REP STOS 5+5n, n=4", "mov edi,0x20100\nmov ecx,4", "rep stosw", 25, 32 },
    { "LODS 5", "mov esi,0x20000", "lodsb", 5, 32 },
    { "CMPS 10", "mov esi,0x20000\nmov edi,0x20100", "cmpsd", 10, 32 },
    { "REPE CMPS 5+9n, n=3", "mov esi,0x20000\nmov edi,0x20100\nmov ecx,3", "repe cmpsb", 32, 32 },
    { "SCAS 7", "mov edi,0x20100", "scasd", 7, 32 },
    { "REPNE SCAS 5+8n, n=3", "mov edi,0x20100\nmov ecx,3\nmov al,1", "repne scasb", 29, 32 },
    /* I/O (pm: CPL <= IOPL) */
    { "IN AL,imm8 12, pm=6*/26", "", "in al,0x60", 6, 32 },
    { "IN EAX,DX 13, pm=7*/27", "mov dx,0x60", "in eax,dx", 7, 32 },
    { "OUT imm8,AL 10, pm=4*/24", "", "out 0x60,al", 4, 32 },
    { "OUT DX,AL 11, pm=5*/25", "mov dx,0x60", "out dx,al", 5, 32 },
    { "IN AL,imm8 12 (real)", "", "in al,0x60", 12, 16 },
    { "OUT DX,AL 11 (real)", "mov dx,0x60", "out dx,al", 11, 16 },
    /* system */
    { "MOV r32,CR0 6", "", "mov eax,cr0", 6, 32 },
    { "MOV CR0,r32 10", "mov eax,cr0", "mov cr0,eax", 10, 32 },
    { "LGDT m16&32 11", "sgdt [0x20000]", "lgdt [0x20000]", 11, 32 },
    { "SGDT m 9", "", "sgdt [0x20000]", 9, 32 },
    { "SIDT m 9", "", "sidt [0x20000]", 9, 32 },
    { "LIDT m16&32 11", "sidt [0x20000]", "lidt [0x20000]", 11, 32 },
    { "SMSW r/m16 2/3 (reg)", "", "smsw ax", 2, 32 },
    { "SMSW r/m16 2/3 (mem)", "", "smsw [0x20000]", 3, 32 },
    { "LMSW r/m16 10/13 (reg)", "smsw ax", "lmsw ax", 10, 32 },
    { "CLTS 5", "", "clts", 5, 32 },
    /* 16-bit forms in real mode */
    { "ADD r16,r/m16 2/6 (real mem)", "", "add ax,[0x8000]", 6, 16 },
    { "PUSH r16 2 (real)", "", "push ax", 2, 16 },
    { "POP r16 4 (real)", "push ax", "pop bx", 4, 16 },
    { "Jcc rel8 7+m (real, taken)", "xor ax,ax", "jz t1", 8, 16 },
    { "CALL rel16 7+m (real)", "", "call t1", 8, 16 },
};

START_TEST(test_clock_table) {
    const clk_case *k = &clk_cases[_i];
    const char *bar = strchr(k->setup, '|');
    int setup_len = bar ? (int)(bar - k->setup) : (int)strlen(k->setup);
    char src[2048];
    snprintf(src, sizeof src, "%.*s\nt0:\n%s\nt1: nop\nt2: hlt\n%s\n", setup_len, k->setup,
             k->insn, bar ? bar + 1 : "");
    tc_machine *m = tc_new(1024);
    if (k->bits == 16) tc_real(m, src); else tc_flat(m, src);
    cpu_get_config(m->cpu)->exc_intercept = 0;   /* INT/INTO go through the IDT/IVT */
    uint64_t got = tc_clocks_between(m, "t0", "t2") - CLK_NOP;
    ck_assert_msg(got == k->clocks, "%s: '%s' took %llu clocks, manual says %u",
                  k->manual, k->insn, (unsigned long long)got, k->clocks);
    tc_free(m);
}
END_TEST

/* Wait states (cpu_config.wait_states) add clocks per memory bus cycle and never to a
** register form. */
START_TEST(test_wait_states) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "t0: mov eax,ebx\nt1: mov eax,[0x20000]\nt2: hlt");
    cpu_get_config(m->cpu)->wait_states = 3;
    uint64_t reg = tc_clocks_between(m, "t0", "t1");
    uint64_t mem = tc_clocks_between(m, "t1", "t2");
    ck_assert_uint_eq(reg, 2);
    ck_assert_uint_gt(mem, 4);
    tc_free(m);
}
END_TEST

/* The budget is checked before each instruction: a run stops at the first boundary
** at or past start + budget. */
START_TEST(test_budget_boundary) {
    tc_machine *m = tc_new(1024);
    tc_flat(m, "l: add eax,1\njmp l");
    uint64_t c0 = cpu_cycles(m->cpu);
    ck_assert_int_eq(tc_run(m, 1000), CPU_STOP_BUDGET);
    uint64_t used = cpu_cycles(m->cpu) - c0;
    ck_assert_uint_ge(used, 1000);
    ck_assert_uint_lt(used, 1000 + 10);     /* overshoot at most one instruction */
    tc_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("cpu_clocks");
    TCase *tc = tcase_create("clocks");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_clock_table, 0, (int)(sizeof clk_cases / sizeof clk_cases[0]));
    tcase_add_test(tc, test_wait_states);
    tcase_add_test(tc, test_budget_boundary);
    suite_add_tcase(s, tc);
    return tc_main(s);
}
