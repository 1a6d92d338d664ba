; idle.asm — test VxD for the Call_When_Idle rules (IDLE-1 … IDLE-5).
[map symbols idle.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        cmp     eax, Device_Init
        jne     .done
        mov     esi, idle_a
        VMMcall Call_When_Idle
        setc    [cf1]
        mov     esi, idle_b
        VMMcall Call_When_Idle
        setc    [cf2]
        mov     esi, idle_c
        VMMcall Call_When_Idle
        setc    [cf3]
.done:  clc
        ret

idle_a: inc     dword [cnt_a]           ; passes on (CF set)
        mov     [a_ebx], ebx
        mov     [a_ebp], ebp
        stc
        ret
idle_b: inc     dword [cnt_b]           ; has work: ends the chain (CF clear)
        clc
        ret
idle_c: inc     dword [cnt_c]
        clc
        ret

align 4
cnt_a:  dd 0
cnt_b:  dd 0
cnt_c:  dd 0
a_ebx:  dd 0
a_ebp:  dd 0
cf1:    db 0xFF
cf2:    db 0xFF
cf3:    db 0xFF
