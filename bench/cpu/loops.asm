; loops.asm — the CPU benchmark's two loops, assembled three ways:
;   nasm -f bin   -DFLAT        : flat image at 0x1000 for vmmsim and Unicorn
;                                 (ALU entry at 0x1000, memory entry at 0x1100, HLT ends)
;   nasm -f elf32 -DELF -DALU   : static Linux ELF for qemu-i386 (iterations in argv[1])
;   nasm -f elf32 -DELF -DMEM
; The loop bodies are the same bytes in every build.
; ALU loop: 9 instructions per iteration. Memory loop: 8 per iteration, 4 memory
; operands (two loads, one read-modify-write, one store) over two 2 KiB buffers.

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

%ifdef FLAT
        bits 32
        org 0x1000
alu_entry:                      ; ECX = iterations
        ALU_BODY
        hlt
        times 0x100 - ($ - $$) db 0x90
mem_entry:                      ; ECX = iterations, ESI/EDI = buffers, EDX = 0
        MEM_BODY
        hlt
%endif

%ifdef ELF
        bits 32
        section .text
        global _start
_start: mov esi, [esp + 8]      ; argv[1]: decimal iteration count
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
        xor edx, edx
        mov esi, buf1
        mov edi, buf2
%ifdef ALU
        ALU_BODY
%else
        MEM_BODY
%endif
.exit:  mov eax, 1              ; exit(0)
        xor ebx, ebx
        int 0x80
        section .bss
        alignb 16
buf1:   resb 4096
buf2:   resb 4096
%endif
