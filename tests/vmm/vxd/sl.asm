; sl.asm — test VxD for the time slicer (SL-1). VMs: sys 0x10000, dos1 0x10100,
; dos2 0x10200. Each entry point is called by a timeline `call` stimulus (EDX = arg).
[map symbols sl.map]
org 0x100000
bits 32
%include "vmm.inc"

SYSVM   equ 0x00010000
DOS1    equ 0x00010100
DOS2    equ 0x00010200

Control_Proc:
        clc
        ret

; Get_Time_Slice_Info, _Granularity, Get_Execution_Focus and Get_Time_Slice_Priority
; of the VM whose handle is the argument.
get_info:
        push    edx
        VMMcall Get_Time_Slice_Info
        mov     [info_eax], eax
        mov     [info_ebx], ebx
        mov     [info_ecx], ecx
        VMMcall Get_Time_Slice_Granularity
        mov     [gran], eax
        VMMcall Get_Execution_Focus
        mov     [focus], ebx
        pop     ebx
        VMMcall Get_Time_Slice_Priority
        mov     [pri_eax], eax
        mov     [pri_ecx], ecx
        mov     [pri_edx], edx
        mov     [pri_esi], esi
        ret

; Set_Execution_Focus to the VM whose handle is the argument; CF kept.
set_focus:
        mov     ebx, edx
        VMMcall Set_Execution_Focus
        setc    [focus_cf]
        ret

; Set_Time_Slice_Granularity (argument = ms).
set_gran:
        mov     eax, edx
        VMMcall Set_Time_Slice_Granularity
        ret

; Adjust_Execution_Time for dos1 (argument = signed ms).
adjust_dos1:
        mov     eax, edx
        mov     ebx, DOS1
        VMMcall Adjust_Execution_Time
        ret

; The DDK's way of sending a VM to the background: dos2 gets the Background flag
; and priorities 200 / argument.
dos2_background:
        push    edx
        mov     ebx, DOS2
        VMMcall Get_Time_Slice_Priority
        or      eax, VMStat_Background
        mov     ecx, 200
        pop     edx
        VMMcall Set_Time_Slice_Priority
        ret

; Execution times of the three VMs, ms.
exec_times:
        mov     ebx, SYSVM
        VMMcall Get_VM_Exec_Time
        mov     [exec_sys], eax
        mov     ebx, DOS1
        VMMcall Get_VM_Exec_Time
        mov     [exec_dos1], eax
        VMMcall Get_System_Time
        mov     [exec_now], eax
        ret

; Release_Time_Slice from VxD code in the calling VM.
release:
        VMMcall Release_Time_Slice
        ret

align 4
info_eax:  dd 0
info_ebx:  dd 0
info_ecx:  dd 0
gran:      dd 0
focus:     dd 0
pri_eax:   dd 0
pri_ecx:   dd 0
pri_edx:   dd 0
pri_esi:   dd 0
focus_cf:  dd 0
exec_sys:  dd 0
exec_dos1: dd 0
exec_now:  dd 0
