; ts.asm — test VxD for Call_When_Task_Switched (TS-1).
[map symbols ts.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        cmp     eax, Device_Init
        jne     .done
        mov     esi, ts_a
        VMMcall Call_When_Task_Switched
        mov     esi, ts_b
        VMMcall Call_When_Task_Switched
.done:  clc
        ret

ts_a:   mov     ecx, 1
        jmp     ts_log
ts_b:   mov     ecx, 2
ts_log: mov     edx, [nlog]             ; log (which, EAX old VM, EBX new VM)
        cmp     edx, 8
        jae     .full
        imul    edx, edx, 12
        mov     [log + edx], ecx
        mov     [log + edx + 4], eax
        mov     [log + edx + 8], ebx
        inc     dword [nlog]
.full:  ret

noop:   ret

align 4
nlog:   dd 0
log:    times 24 dd 0
