; misc.asm — test VxD for the VM handle services, suspend counts and the service path.
[map symbols misc.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        cmp     eax, Init_Complete
        jne     .done
        VMMcall Get_VMM_Version
        mov     [ver_eax], eax
        VMMcall Get_Sys_VM_Handle
        mov     [sys_h], ebx
        VMMcall Test_Sys_VM_Handle
        setz    [sys_z]
        VMMcall Test_Cur_VM_Handle
        setz    [cur_z]
        VMMcall Get_Next_VM_Handle
        mov     [next_h], ebx
        VMMcall Get_Next_VM_Handle
        mov     [next2_h], ebx
        VMMcall Validate_VM_Handle
        setc    [valid_c]
        mov     ebx, 0x1234
        VMMcall Validate_VM_Handle
        setc    [invalid_c]
.done:  clc
        ret

; suspend counts, from the system VM on dos1
susp:   VMMcall Get_Sys_VM_Handle
        VMMcall Get_Next_VM_Handle      ; dos1
        mov     esi, ebx
        VMMcall Suspend_VM
        setc    [s_cf + 0]              ; 0
        VMMcall Suspend_VM
        setc    [s_cf + 1]              ; 0 (count 2)
        VMMcall Resume_VM
        setc    [s_cf + 2]              ; 0 (count 1)
        mov     eax, [esi + CB_VM_Status]
        mov     [stat1], eax              ; still suspended
        VMMcall Resume_VM
        setc    [s_cf + 3]              ; 0 (count 0: runs)
        mov     eax, [esi + CB_VM_Status]
        mov     [stat2], eax
        VMMcall Resume_VM
        setc    [s_cf + 4]              ; 1: not suspended
        VMMcall No_Fail_Resume_VM
        setc    [s_cf + 5]              ; 0
        VMMcall Get_Sys_VM_Handle
        VMMcall Suspend_VM
        setc    [s_cf + 6]              ; 1: the system VM
        ret

heap:   VMMcall _HeapAllocate
        ret

twice:  mov     ecx, 2
.again: VMMcall Get_Cur_VM_Handle       ; one call site, two calls
        loop    .again
        ret

spin:   jmp     spin

; INT 2Fh entry points from VxD code (the CPU stops on INT 2Fh)
i2f:    mov     eax, 0x1681
        int     0x2F
        VMMcall Get_Crit_Section_Status
        mov     [i2f_count], ecx
        mov     eax, 0x1682
        int     0x2F
        mov     eax, 0x1680             ; release the time slice: AL = 0
        int     0x2F
        mov     [i2f_eax], eax
        VMMcall Get_Cur_VM_Handle
        mov     eax, [ebx + CB_VM_Status]
        mov     [i2f_status], eax
        VMMcall Wake_Up_VM
        mov     eax, [ebx + CB_VM_Status]
        mov     [i2f_status2], eax
        ret

; VMMjmp: the service returns to the caller's caller
jmpt:   call    .helper
        mov     dword [jmp_back], 1
        ret
.helper:
        mov     dword [jmp_in], 1
        VMMjmp  Get_Cur_VM_Handle
        mov     dword [jmp_in], 2       ; never reached
        ret

align 4
ver_eax:   dd 0
sys_h:     dd 0
next_h:    dd 0
next2_h:   dd 0
stat1:       dd 0
stat2:       dd 0
sys_z:     db 0xFF
cur_z:     db 0xFF
valid_c:   db 0xFF
invalid_c: db 0xFF
s_cf:      times 8 db 0xFF
align 4
i2f_count:   dd 0xFF
i2f_eax:     dd 0
i2f_status:  dd 0
i2f_status2: dd 0
jmp_back:    dd 0
jmp_in:      dd 0
