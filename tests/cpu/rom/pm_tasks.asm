; pm_tasks.asm — a protected-mode ROM test of call gates to an inner ring and of task
; switches (issue 14 items 8 and 9). POST codes on port 0x190 mark each stage; the
; last one is FF when every check passed, EE after a failed check (the stage before
; it names what failed). Ends with HLT at ring 0, IF clear.
;
;   01 real mode, tables copied to RAM   02 protected mode, ring 0
;   10 ring 3 called ring 0 through a call gate with 2 parameters, RETF 8 came back
;      with the stacks switched back and DS nulled
;   11 ring 0 again through a second gate
;   20 JMP to a 386 TSS and back (busy bits, TR)
;   21 CALL through a task gate, IRET with NT back (back link, NT)
;   22 #GP through an IDT task gate with its error code on the handler task's stack
;   23 JMP to a 286 TSS and back (upper register halves all ones)
;   FF done
        bits 16
        org 0xF000

%define POST    0x190
%define GDT     0x1000      ; RAM copies of the tables (busy bits are written)
%define IDT     0x1800
%define TSS_A   0x2000
%define TSS_B   0x2100
%define TSS_C   0x2200      ; 286 TSS
%define TSS_D   0x2300      ; the #GP handler task
K_CODE  equ 0x08            ; ring-0 code, base 0xF0000 (EIP = label), 32-bit
K_DATA  equ 0x10            ; ring-0 data, flat
U_CODE  equ 0x1B            ; ring-3 code, base 0xF0000
U_DATA  equ 0x23            ; ring-3 data, flat
SEL_A   equ 0x28
SEL_B   equ 0x30
SEL_C   equ 0x38
SEL_D   equ 0x40
GATE_IN equ 0x48            ; call gate (386, DPL 3, 2 parameters) to ring0_entry
TGATE   equ 0x50            ; task gate (DPL 3) to TSS B
GATE_UP equ 0x58            ; call gate (386, DPL 3) to ring0_cont

%macro post 1
        mov dx, POST
        mov al, %1
        out dx, al
%endmacro

start:  cli
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov es, ax
        push cs
        pop ds
        mov si, gdt_rom
        mov di, GDT
        mov cx, gdt_end - gdt_rom
        cld
        rep movsb
        mov di, IDT                 ; an IDT whose only gate is #GP's task gate
        xor ax, ax
        mov cx, 256 * 4
        rep stosw
        mov word [es:IDT + 13 * 8 + 2], SEL_D
        mov word [es:IDT + 13 * 8 + 4], 0x8500
        post 0x01
        o32 lgdt [cs:gdtr]
        o32 lidt [cs:idtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword K_CODE:pm

        bits 32
pm:     mov ax, K_DATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, 0x7000
        post 0x02
        mov dword [TSS_A + 4], 0x6000        ; ESP0:SS0 for the call gate
        mov dword [TSS_A + 8], K_DATA
        mov ax, SEL_A
        ltr ax
        ; ---- item 8: ring 3 calls ring 0 through a call gate ------------------
        push dword U_DATA
        push dword 0x5000
        push dword 0x3002                    ; IOPL 3: ring 3 may write the POST port
        push dword U_CODE
        push dword ring3
        iretd
ring3:  mov ax, U_DATA
        mov ds, ax
        mov es, ax
        push dword 0x1111
        push dword 0x2222
        call GATE_IN:0
        cmp esp, 0x5000                      ; RETF 8 popped the parameters here too
        jne fail
        mov ax, ds                           ; ring 0 loaded a DPL-0 DS: nulled
        test ax, ax
        jnz fail
        mov ax, es
        cmp ax, U_DATA
        jne fail
        mov ax, cs
        cmp ax, U_CODE
        jne fail
        post 0x10
        call GATE_UP:0                       ; to ring 0 for good

ring0_entry:                                 ; CPL 0 on the TSS's ring-0 stack
        cmp esp, 0x6000 - 24
        jne fail
        cmp dword [ss:esp + 8], 0x2222       ; parameters copied in order
        jne fail
        cmp dword [ss:esp + 12], 0x1111
        jne fail
        cmp dword [ss:esp + 16], 0x5000 - 8  ; the caller's ESP and SS
        jne fail
        cmp dword [ss:esp + 20], U_DATA
        jne fail
        mov ax, cs
        cmp ax, K_CODE
        jne fail
        mov ax, K_DATA
        mov ds, ax
        retf 8

ring0_cont:
        mov ax, K_DATA
        mov ds, ax
        mov es, ax
        mov esp, 0x7000
        post 0x11
        ; ---- item 9: tasks --------------------------------------------------
        mov edi, TSS_B
        mov ebx, task_b
        call make_tss
        mov edi, TSS_D
        mov ebx, task_d
        call make_tss
        jmp SEL_B:0                          ; B checks itself and jumps back
        str ax
        cmp ax, SEL_A
        jne fail
        test byte [GDT + SEL_B + 5], 2       ; B left by JMP: not busy
        jnz fail
        post 0x20
        call TGATE:0                         ; B again, nested: IRET comes back
        str ax
        cmp ax, SEL_A
        jne fail
        test byte [GDT + SEL_B + 5], 2
        jnz fail
        pushfd
        pop eax
        test eax, 0x4000                     ; the caller's NT is clear
        jnz fail
        post 0x21
        mov ax, 0x99                         ; #GP(0x98) through the IDT task gate
        mov ds, ax                           ; D skips this instruction (2 bytes)
        cmp dword [0x3000], 0x98             ; D's record of its error code
        jne fail
        post 0x22
        mov ebx, 0x12345678
        mov word [TSS_C + 0x0E], task_c      ; IP
        mov word [TSS_C + 0x10], 2           ; FLAGS
        mov word [TSS_C + 0x18], 0xBEEF      ; BX
        mov word [TSS_C + 0x1A], 0x4800      ; SP
        mov word [TSS_C + 0x22], K_DATA      ; ES
        mov word [TSS_C + 0x24], K_CODE      ; CS
        mov word [TSS_C + 0x26], K_DATA      ; SS
        mov word [TSS_C + 0x28], K_DATA      ; DS
        jmp SEL_C:0
        cmp dword [0x3004], 0xFFFFBEEF       ; what C found in EBX
        jne fail
        post 0x23
        post 0xFF
        hlt

fail:   post 0xEE
        hlt

; A 386 TSS at EDI for a ring-0 task starting at EBX, its stack below EDI + 0x3000.
make_tss:
        push edi
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        pop edi
        mov [edi + 0x20], ebx                ; EIP
        mov dword [edi + 0x24], 2            ; EFLAGS
        lea eax, [edi + 0x3000]
        mov [edi + 0x38], eax                ; ESP
        mov dword [edi + 0x4C], K_CODE       ; CS
        mov eax, K_DATA
        mov [edi + 0x48], eax                ; ES
        mov [edi + 0x50], eax                ; SS
        mov [edi + 0x54], eax                ; DS
        ret

task_b: str ax                               ; entered by JMP
        cmp ax, SEL_B
        jne fail
        pushfd
        pop eax
        test eax, 0x4000
        jnz fail
        test byte [GDT + SEL_A + 5], 2       ; A left by JMP: not busy
        jnz fail
        jmp SEL_A:0
        pushfd                               ; entered again by CALL: nested
        pop eax
        test eax, 0x4000
        jz fail
        cmp word [TSS_B], SEL_A              ; the back link
        jne fail
        test byte [GDT + SEL_A + 5], 2       ; the caller stays busy
        jz fail
        iretd
        jmp fail

task_d: pop eax                              ; the error code, on this task's stack
        mov [0x3000], eax
        add dword [TSS_A + 0x20], 2          ; resume A after the faulting MOV
        iretd
        jmp task_d

task_c: mov [0x3004], ebx                    ; a 286 task (32-bit code segment)
        jmp SEL_A:0

        align 8
gdt_rom:
        dq 0
        dw 0xFFFF, 0x0000
        db 0x0F, 0x9A, 0x40, 0x00            ; K_CODE: base 0xF0000, 64 KiB, 32-bit
        dw 0xFFFF, 0x0000
        db 0x00, 0x92, 0xCF, 0x00            ; K_DATA: flat
        dw 0xFFFF, 0x0000
        db 0x0F, 0xFA, 0x40, 0x00            ; U_CODE
        dw 0xFFFF, 0x0000
        db 0x00, 0xF2, 0xCF, 0x00            ; U_DATA
        dw 0x67, TSS_A
        db 0x00, 0x89, 0x00, 0x00
        dw 0x67, TSS_B
        db 0x00, 0x89, 0x00, 0x00
        dw 0x2B, TSS_C
        db 0x00, 0x81, 0x00, 0x00
        dw 0x67, TSS_D
        db 0x00, 0x89, 0x00, 0x00
        dw ring0_entry, K_CODE
        db 2, 0xEC
        dw 0                                 ; GATE_IN
        dw 0, SEL_B
        db 0, 0xE5
        dw 0                                 ; TGATE
        dw ring0_cont, K_CODE
        db 0, 0xEC
        dw 0                                 ; GATE_UP
gdt_end:
gdtr:   dw gdt_end - gdt_rom - 1
        dd GDT
idtr:   dw 256 * 8 - 1
        dd IDT

        bits 16                              ; the reset vector is real-mode code
%include "rom_tail.inc"
