; nc.asm — test VxD for the Call_When_Not_Critical rules (NC-2, NC-3, NC-4) and CB-1.
[map symbols nc.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        clc
        ret

; NC-2: three callbacks installed, then three releases of the critical section.
nc2_start:
        mov     esi, nc_a
        mov     edx, 1
        VMMcall Call_When_Not_Critical
        mov     esi, nc_b
        mov     edx, 2
        VMMcall Call_When_Not_Critical
        mov     esi, nc_c
        mov     edx, 3
        VMMcall Call_When_Not_Critical
        mov     ecx, 3
.again: push    ecx
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall End_Critical_Section
        inc     dword [releases]
        pop     ecx
        loop    .again
        ret
nc_a:   jmp     nc_log
nc_b:   jmp     nc_log
nc_c:   jmp     nc_log
nc_log: mov     eax, [nlog]             ; log (reference data, releases done before)
        mov     [log + eax * 8], edx
        mov     ecx, [releases]
        mov     [log + eax * 8 + 4], ecx
        inc     dword [nlog]
        ret

; NC-3: released while the VM is boosted to Time_Critical_Boost.
nc3_start:
        VMMcall Get_Cur_VM_Handle
        mov     eax, Time_Critical_Boost
        VMMcall Adjust_Exec_Priority
        mov     esi, nc3_cb
        xor     edx, edx
        VMMcall Call_When_Not_Critical
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall End_Critical_Section
        mov     dword [nc3_phase], 1
        ret
nc3_unboost:
        mov     dword [nc3_phase], 2
        VMMcall Get_Cur_VM_Handle
        mov     eax, -Time_Critical_Boost
        VMMcall Adjust_Exec_Priority
        mov     dword [nc3_phase], 3
        ret
nc3_cb: mov     eax, [nc3_phase]
        mov     [nc3_seen], eax
        inc     dword [nc3_calls]
        ret

; NC-4: the callback's registers.
nc4_start:
        mov     esi, nc4_cb
        mov     edx, 0x12345678
        VMMcall Call_When_Not_Critical
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall End_Critical_Section
        ret
nc4_cb: mov     [nc4_ebx], ebx
        mov     [nc4_edx], edx
        mov     [nc4_ebp], ebp
        ret

; CB-1: a callback that clobbers EBP.
cb1_start:
        push    ebp
        mov     ebp, 0x00C0FFEE
        mov     esi, cb1_bad
        VMMcall Call_When_Not_Critical
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall End_Critical_Section
        mov     [cb1_ebp_after], ebp
        pop     ebp
        ret
cb1_bad:
        xor     ebp, ebp
        ret

align 4
releases:       dd 0
nlog:           dd 0
log:            times 8 dd 0
nc3_phase:      dd 0
nc3_seen:       dd 0xFF
nc3_calls:      dd 0
nc4_ebx:        dd 0
nc4_edx:        dd 0
nc4_ebp:        dd 0
cb1_ebp_after:  dd 0
