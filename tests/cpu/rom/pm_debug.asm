; pm_debug.asm — the interpreter's own protected-mode test ROM for issue 14, items 1–7
; and 10: A20 gate (real mode), POP SS, LOCK #UD, ENTER, PUSH sreg, ENTER's write probe
; under paging, single-step, instruction/data breakpoints and general detect.
; Each test writes its POST code to port 0x190 first; a failing check halts (IF clear)
; with that code as the last one, so `vmmsim bare --expect-post FF` exits 1. All pass:
; POST FF. Needs 2 MiB of RAM (--memory-kb 2048) for the A20 test.
        bits 16
        org 0xF000

POST    equ 0x190
IDT     equ 0x2000              ; RAM: the IDT (256 gates)
VARS    equ 0x8000              ; RAM: variables below
last_vec  equ VARS + 0x00
last_err  equ VARS + 0x04
db_count  equ VARS + 0x08
last_dr6  equ VARS + 0x0C
resume    equ VARS + 0x10
int_count equ VARS + 0x14
watched   equ VARS + 0x40       ; the data breakpoint's dword
PD      equ 0x30000
PT      equ 0x31000
ROMLIN  equ 0xF0000             ; linear base of the ROM's code (CS = F000 in real mode)

%macro POSTCODE 1
        mov al, %1
        mov dx, POST
        out dx, al
%endmacro

; ---- real mode: the A20 gate -----------------------------------------------------------
start:  cli
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov ds, ax
        POSTCODE 0x01
        mov ax, 0xFFFF
        mov es, ax
        mov byte [0x0010], 0xA5         ; 0000:0010 = linear 0x10
        mov byte [es:0x0020], 0x5A      ; FFFF:0020 = linear 0x100010 with A20 on
        cmp byte [0x0010], 0xA5
        jne fail16
        mov al, 0xD1                    ; 8042: write the output port
        out 0x64, al
        mov al, 0xDD                    ; bit 1 clear: A20 off
        out 0x60, al
        cmp byte [es:0x0020], 0xA5      ; now wraps to linear 0x10
        jne fail16
        in al, 0x92                     ; port 92h bit 1 turns it back on
        or al, 2
        out 0x92, al
        cmp byte [es:0x0020], 0x5A
        jne fail16
        POSTCODE 0x02
        o32 cs lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:(ROMLIN + pm32)
fail16: hlt
        jmp fail16

; ---- protected mode --------------------------------------------------------------------
        bits 32
%macro GATE 2                           ; vector, handler label: 32-bit interrupt gate
        mov eax, ROMLIN + %2
        mov [IDT + 8 * %1], ax
        mov word [IDT + 8 * %1 + 2], 0x08
        mov word [IDT + 8 * %1 + 4], 0x8E00
        shr eax, 16
        mov [IDT + 8 * %1 + 6], ax
%endmacro
%macro EXPECT 2                         ; memory dword, value
        cmp dword %1, %2
        jne fail
%endmacro

pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x9000
        GATE 1, h_db
        GATE 6, h_ud
        GATE 14, h_pf
        GATE 0x40, h_int
        lidt [ROMLIN + idtr]

; item 1: POP SS moves SP by the old (16-bit) stack's size
        POSTCODE 0x10
        mov ax, 0x18
        mov ss, ax
        mov esp, 0x20000
        push dword 0x10
        pop ss
        cmp esp, 0x20000
        jne fail
        mov esp, 0x9000

; item 2: LOCK MOV is #UD, LOCK ADD [mem] is not
        POSTCODE 0x11
        mov dword [resume], ROMLIN + .ud_back
        mov byte [last_vec], 0
        db 0xF0                         ; LOCK
        mov [VARS + 0x20], eax          ; A3 disp32
        jmp fail
.ud_back:
        EXPECT [last_vec], 6
        mov dword [VARS + 0x20], 1
        lock add [VARS + 0x20], eax
        lock bts dword [VARS + 0x20], 4

; item 3: a 32-bit ENTER on a 16-bit stack keeps ESP's upper half in EBP
        POSTCODE 0x12
        mov ax, 0x18
        mov ss, ax
        mov esp, 0x10000
        mov ebp, 0x1FFEC
        enter 8, 0
        cmp ebp, 0x1FFFC
        jne fail
        cmp esp, 0x1FFF4
        jne fail
        mov ax, 0x10
        mov ss, ax
        mov esp, 0x9000

; item 5: a 32-bit PUSH DS writes the selector's 2 bytes only
        POSTCODE 0x13
        mov dword [0x9000 - 4], 0xAAAAAAAA
        push ds
        pop eax
        cmp eax, 0xAAAA0010
        jne fail

; item 4: ENTER probes its frame as a write: a not-present page gives #PF with W
        POSTCODE 0x14
        mov edi, PT
        mov eax, 3                      ; identity map of 4 MiB, present, writable
.pte:   stosd
        add eax, 0x1000
        cmp edi, PT + 4096
        jne .pte
        mov dword [PD], PT | 3
        mov dword [PT + 4 * 0x50], 0    ; page 0x50000 not present
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov dword [resume], ROMLIN + .pf_back
        mov esp, 0x51100                ; the #PF frame stays on page 0x51000
        enter 0x1000, 0                 ; EBP at 0x510FC, frame bottom at 0x500FC
        jmp fail
.pf_back:
        mov esp, 0x9000
        mov eax, cr0
        and eax, 0x7FFFFFFF
        mov cr0, eax
        EXPECT [last_vec], 14
        EXPECT [last_err], 2            ; W, supervisor, not present
        mov eax, cr2
        cmp eax, 0x500FC
        jne fail

; item 6: single-step
        POSTCODE 0x15
        mov dword [db_count], 0
        mov ax, 0x10
        pushfd
        or dword [esp], 0x100
        popfd                           ; sets TF: no trap after it
        nop                             ; 1
        nop                             ; 2
        mov ss, ax                      ; held...
        nop                             ; 3 (after this one)
        int 0x40                        ; the handler is not stepped, nor its IRET
        nop                             ; 4
        pushfd                          ; 5
        and dword [esp], ~0x100         ; 6
        popfd                           ; 7: TF was set at its start
        nop
        EXPECT [db_count], 7
        EXPECT [int_count], 1
        test dword [last_dr6], 0x4000   ; BS
        jz fail

; item 7: an instruction breakpoint, resumed by RF, taken once per execution
        POSTCODE 0x16
        mov dword [db_count], 0
        mov eax, ROMLIN + .bp
        mov dr0, eax
        mov eax, 1                      ; L0, execute
        mov dr7, eax
        xor esi, esi
        mov ecx, 3
.loop:  nop
.bp:    inc esi
        loop .loop
        xor eax, eax
        mov dr7, eax
        cmp esi, 3
        jne fail
        EXPECT [db_count], 3
        test dword [last_dr6], 1        ; B0
        jz fail

; item 7: data breakpoints: a 4-byte write breakpoint, then read/write
        POSTCODE 0x17
        mov dword [db_count], 0
        mov eax, watched
        mov dr1, eax
        mov eax, 0x00D00004             ; L1, R/W1 = 01 (write), LEN1 = 11 (4 bytes)
        mov dr7, eax
        mov eax, [watched]              ; a read: no trap
        mov [watched + 4], eax          ; outside the field: no trap
        EXPECT [db_count], 0
        mov [watched + 2], al           ; a trap after this instruction
        EXPECT [db_count], 1
        test dword [last_dr6], 2        ; B1
        jz fail
        mov eax, 0x00F00004             ; R/W1 = 11: reads too
        mov dr7, eax
        mov eax, [watched + 1]
        EXPECT [db_count], 2
        xor eax, eax
        mov dr7, eax

; item 7: general detect
        POSTCODE 0x18
        mov dword [db_count], 0
        mov eax, 0x2000                 ; GD
        mov dr7, eax
        mov eax, dr0                    ; #DB fault (BD); GD cleared, then it runs
        EXPECT [db_count], 1
        test dword [last_dr6], 0x2000   ; BD
        jz fail
        mov eax, dr7
        test eax, 0x2000
        jnz fail

        POSTCODE 0xFF
        hlt
fail:   hlt
        jmp fail

; ---- handlers ----------------------------------------------------------------------------
h_db:   push eax                        ; #DB: count, keep DR6, clear it, return
        inc dword [db_count]
        mov eax, dr6
        mov [last_dr6], eax
        xor eax, eax
        mov dr6, eax
        pop eax
        iretd
h_int:  inc dword [int_count]
        iretd
h_ud:   mov dword [last_vec], 6         ; no error code: drop EIP, CS, EFLAGS
        add esp, 12
        jmp [resume]
h_pf:   pop dword [last_err]
        mov dword [last_vec], 14
        add esp, 12
        jmp [resume]

        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF           ; 0x08 flat 32-bit code, ring 0
        dq 0x00CF92000000FFFF           ; 0x10 flat 32-bit data
        dq 0x000092000000FFFF           ; 0x18 16-bit data (B = 0), limit FFFFh
gdtr:   dw 31
        dd ROMLIN + gdt
idtr:   dw 0x7FF
        dd IDT
        bits 16
%include "rom_tail.inc"
