; loops.asm — the CPU benchmark's loops, assembled four ways:
;   nasm -f bin   -DFLAT          : flat image at 0x1000 for vmmsim and Unicorn: entries
;                                   at 0x1000 (alu), 0x1100 (memory), 0x1200 (loads),
;                                   0x1300 (mixed); each loop ends in HLT, and the HLTs'
;                                   addresses are a table of dwords at 0x1800
;   nasm -f elf32 -DELF -DLOOP=n  : static Linux ELF for qemu-i386 (iterations in argv[1])
;   nasm -f bin   -DBOCHS         : boot sector + protected-mode code for Bochs (below)
; The loop bodies are the same macros, so the same instructions, in every build.
; At each entry: ECX = iterations, EDX = 0, ESI/EDI = two buffers (each >= 4 KiB, their
; first 1024 dwords filled by FILL_BUFS, so that the loops' results depend on every pass),
; EAX = 0x12345678 (BENCH_EAX0), EBX = EBP = 0, ESP = a stack, DF = 0.
;   alu    : 9 instructions per iteration, registers only.
;   memory : 8 per iteration, 4 memory operands (two loads, one read-modify-write, one
;            store) over two 2 KiB buffers.
;   loads  : the memory loop with its two writes made loads (8 per iteration, no store):
;            shows what guest stores cost an engine (docs/bench.md, Unicorn).
;   mixed  : 39 per iteration, VxD/DOS-like code: PUSH/POP, CALL/RET, string
;            instructions (LODSD, STOSD, MOVSW, REP MOVSD), 16-bit operand forms, and
;            [base], [base+disp8], [base+disp32], [base+index*s+disp8], [disp32] operands.
; Every iteration takes the same path, so instructions = iterations * the count above
; (cpu_bench checks this against cpu386's own count). LOOP ids: 0 alu, 1 memory,
; 2 loads, 3 mixed.

%define MIXVAR_FLAT 0x30000     ; the mixed loop's [disp32] variable (FLAT and BOCHS)

%macro FILL_BUFS 2              ; x = 1; 1024 times: buf1[k] = x, x += G, buf2[k] = x, x += G
        mov eax, 1              ; (cpu_bench.c, bench_fill_buffers: the same for cpu386, Unicorn)
        xor ecx, ecx
%%fill:  mov [%1 + ecx*4], eax
        add eax, 0x9E3779B1
        mov [%2 + ecx*4], eax
        add eax, 0x9E3779B1
        inc ecx
        cmp ecx, 1024
        jb %%fill
%endmacro

%macro ALU_BODY 0
.alu:   add eax, ebx
        xor edx, eax
        sub ebx, edx
        shl edx, 1
        or esi, edx
        and edi, eax
        inc ebp
        dec ecx
        jnz .alu
%endmacro

%macro MEM_BODY 0
.mem:   mov eax, [esi + edx*4]
        add [edi + edx*4], eax
        mov ebx, [edi + edx*4 + 4]
        mov [esi + edx*4 + 4], ebx
        inc edx
        and edx, 511
        dec ecx
        jnz .mem
%endmacro

%macro LOAD_BODY 0              ; MEM_BODY with its RMW and its store made loads
.load:  mov eax, [esi + edx*4]
        add eax, [edi + edx*4]
        mov ebx, [edi + edx*4 + 4]
        mov ebx, [esi + edx*4 + 4]
        inc edx
        and edx, 511
        dec ecx
        jnz .load
%endmacro

; mixed: a VxD-style helper checksums one 16-byte record (16-bit fields) and folds it
; into a control block; the caller walks the records, moves them with string
; instructions and keeps a 16-bit running sum. 10 instructions in .mixsum (with its
; RET), 29 in the loop (with the CALL): 39 per iteration.
%macro MIX_BODY 1               ; %1: the [disp32] variable's address
        jmp .mix
.mixsum:
        push ebx
        movzx eax, word [esi]           ; [base], 16-bit load
        add ax, [esi + 2]               ; [base+disp8], 16-bit operand
        adc ax, [esi + ebx*2 + 4]       ; [base+index*2+disp8]
        rol ax, 3                       ; 16-bit rotate
        xor [edi + 0x400], ax           ; [base+disp32], 16-bit read-modify-write
        shr bx, 1                       ; 16-bit shift
        add [%1], eax                   ; [disp32], 32-bit read-modify-write
        pop ebx
        ret
.mix:   push ecx
        push esi
        push edi
        mov ebx, edx
        and ebx, 7
        shl ebx, 4                      ; record offset (i mod 8) * 16
        add esi, ebx
        add edi, ebx
        call .mixsum
        lodsd                           ; string load
        add eax, edx
        stosd                           ; string store
        movsw                           ; 16-bit string move
        mov ecx, 3
        rep movsd                       ; REP: one instruction
        mov ax, [edi - 2]               ; [base+disp8] negative, 16-bit
        xor ax, dx
        mov [esi - 4], ax               ; 16-bit store
        add bp, ax                      ; 16-bit running sum
        movsx eax, word [edi - 8]
        add ebp, eax
        pop edi
        pop esi
        pop ecx
        inc word [edi + 0x402]          ; 16-bit memory increment
        inc edx
        test edx, 0xFFF
        dec ecx
        jnz .mix
%endmacro

%ifdef FLAT
        bits 32
        org 0x1000
alu_entry:
        ALU_BODY
alu_end: hlt
        times 0x100 - ($ - $$) db 0x90
mem_entry:
        MEM_BODY
mem_end: hlt
        times 0x200 - ($ - $$) db 0x90
load_entry:
        LOAD_BODY
load_end: hlt
        times 0x300 - ($ - $$) db 0x90
mix_entry:
        MIX_BODY MIXVAR_FLAT
mix_end: hlt
        times 0x800 - ($ - $$) db 0x90
        dd alu_end, mem_end, load_end, mix_end
%endif

%ifdef ELF
        bits 32
        section .text
        global _start
_start: FILL_BUFS buf1, buf2
        mov esi, [esp + 8]      ; argv[1]: decimal iteration count
        xor ecx, ecx
        test esi, esi
        jz .go
.digit: movzx eax, byte [esi]
        test al, al
        jz .go
        imul ecx, ecx, 10
        sub eax, '0'
        add ecx, eax
        inc esi
        jmp .digit
.go:    test ecx, ecx
        jz .exit
        mov eax, 0x12345678
        xor ebx, ebx
        xor edx, edx
        xor ebp, ebp
        mov esi, buf1
        mov edi, buf2
%if LOOP == 0
        ALU_BODY
%elif LOOP == 1
        MEM_BODY
%elif LOOP == 2
        LOAD_BODY
%else
        MIX_BODY mixvar
%endif
.exit:  mov eax, 1              ; exit(0)
        xor ebx, ebx
        int 0x80
        section .bss
        alignb 16
buf1:   resb 4096
buf2:   resb 4096
mixvar: resd 1
%endif

%ifdef BOCHS
; A 1.44 MB floppy's boot sector (BIOS loads it at 0x7C00) that reads the protected-mode
; part behind it to 0x7E00, enters flat 32-bit protected mode with interrupts off, runs
; one loop with the FLAT build's registers and buffers (0x10000, 0x20000, stack 0x80000,
; cleared, then filled by FILL_BUFS), writes "R" and EAX EBX EDX EBP ESI EDI in hex and a newline to Bochs's
; debug port 0xE9, and leaves Bochs by writing "Shutdown" to its shutdown port 0x8900.
; cpu_bench patches the iteration count (offset 4) and the loop id (offset 8) and pads
; the image to 1474560 bytes.
        bits 16
        org 0x7C00
boot:   jmp short start16
        dw 0
iters:  dd 1                    ; offset 4, patched
loopid: dd 0                    ; offset 8, patched
start16: cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        mov ax, 0x0200 + PM_SECTORS     ; read PM_SECTORS sectors
        mov cx, 0x0002                  ; cylinder 0, sector 2
        xor dh, dh                      ; head 0; DL = the boot drive
        mov bx, pm32
        int 0x13
        jc .fail
        lgdt [gdtr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword 0x08:pm32
.fail:  mov al, '!'
        out 0xE9, al
        jmp .fail
        align 8
gdt:    dq 0
        dq 0x00CF9B000000FFFF           ; 0x08: flat code
        dq 0x00CF93000000FFFF           ; 0x10: flat data
gdtr:   dw 23
        dd gdt
        times 510 - ($ - $$) db 0
        dw 0xAA55

        bits 32
pm32:   mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, 0x80000
        cld
        mov edi, 0x10000                ; clear the buffers and MIXVAR
        mov ecx, 0x21000 / 4
        xor eax, eax
        rep stosd
        FILL_BUFS 0x10000, 0x20000
        mov ecx, [iters]
        xor ebx, ebx
        xor edx, edx
        xor ebp, ebp
        mov esi, 0x10000
        mov edi, 0x20000
        mov eax, [loopid]
        cmp eax, 1
        je mem_entry
        cmp eax, 2
        je load_entry
        cmp eax, 3
        je mix_entry
        mov eax, 0x12345678
        ALU_BODY
        jmp report
mem_entry:
        mov eax, 0x12345678
        MEM_BODY
        jmp report
load_entry:
        mov eax, 0x12345678
        LOAD_BODY
        jmp report
mix_entry:
        mov eax, 0x12345678
        MIX_BODY MIXVAR_FLAT
report: push edi
        push esi
        push ebp
        push edx
        push ebx
        push eax
        mov al, 'R'
        out 0xE9, al
        mov ecx, 6
.reg:   mov al, ' '
        out 0xE9, al
        pop eax
        call hex32
        loop .reg
        mov al, 10
        out 0xE9, al
        mov dx, 0x8900
        mov esi, shutdown
.sd:    lodsb
        test al, al
        jz .halt
        out dx, al
        jmp .sd
.halt:  hlt
        jmp .halt
hex32:  push ecx                        ; EAX as 8 hex digits to port 0xE9
        mov ecx, 8
.dig:   rol eax, 4
        push eax
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'a' - '9' - 1
.out:   out 0xE9, al
        pop eax
        loop .dig
        pop ecx
        ret
shutdown: db "Shutdown", 0
pm_end:
PM_SECTORS equ (pm_end - pm32 + 511) / 512
        times (PM_SECTORS * 512) - (pm_end - pm32) db 0
%endif
