; life.asm — test VxD for the VM lifecycle (VML-1 .. VML-3): it logs every control
; message (EAX, EDX, the VM's block index) and fails one when told to; its entry
; points nuke, crash, validate and set time-outs. VMs: sys 0x10000, dos1 0x10100,
; dos2 0x10200, dos3 0x10300.
[map symbols life.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        mov     edi, [logp]
        cmp     edi, log_end
        jae     .check
        mov     [edi], al               ; the message
        mov     [edi+1], dl             ; VM_Not_Executeable's flags
        mov     ecx, ebx
        shr     ecx, 8
        mov     [edi+2], cl             ; the VM's control block, 0x10000 + 0x100 * this
        mov     byte [edi+3], 0
        add     dword [logp], 4
.check: cmp     eax, [fail_msg]
        jne     .ok
        cmp     ebx, [fail_vm]
        jne     .ok
        stc
        ret
.ok:    clc
        ret

nuke:   mov     ebx, edx                ; EDX: the VM to nuke
        VMMcall Nuke_VM
        mov     byte [after_nuke], 1
        ret

close_me:                               ; Close_VM of the calling VM, ECX = EDX (flags)
        mov     ecx, edx
        VMMcall Get_Cur_VM_Handle
        mov     eax, 1000
        VMMcall Close_VM
        inc     byte [after_close]
        ret

claim:  xor     ecx, ecx                ; the critical section, no flags
        VMMcall Begin_Critical_Section
        ret

crash:  VMMcall Crash_Cur_VM
        mov     byte [after_crash], 1   ; never reached: the VM is gone
        ret

validate:
        mov     ebx, edx
        VMMcall Validate_VM_Handle
        setc    byte [valid_cf]
        ret

next_vm:
        VMMcall Get_Sys_VM_Handle
        VMMcall Get_Next_VM_Handle
        mov     [next_h], ebx
        ret

sched:  mov     ebx, edx                ; a VM event for the VM in EDX
        mov     esi, ev_cb
        VMMcall Schedule_VM_Event
        mov     [ev_h], esi
        ret

arm_vm: VMMcall Get_Cur_VM_Handle       ; a VM time-out for the calling VM (EDX ms)
        mov     eax, edx
        mov     esi, to_cb
        VMMcall Set_VM_Time_Out
        ret

arm_glob:                               ; a global time-out (EDX ms), ref: the calling VM
        mov     eax, edx
        mov     edx, ebx
        mov     esi, to_cb
        VMMcall Set_Global_Time_Out
        ret

ev_cb:  inc     dword [ev_runs]
        ret
to_cb:  inc     dword [to_runs]
        mov     [to_edx], edx
        ret

fail_msg:    dd 0xFFFFFFFF
fail_vm:     dd 0
after_nuke:  db 0
after_crash: db 0
after_close: db 0
valid_cf:    db 0xFF
             db 0
next_h:      dd 0
ev_h:        dd 0xFFFFFFFF
ev_runs:     dd 0
to_runs:     dd 0
to_edx:      dd 0
logp:        dd log
log:         times 64 dd 0
log_end:
