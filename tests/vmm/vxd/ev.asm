; ev.asm — test VxD for events (EV-1), priority events (EV-2), time-outs (TO-1) and
; simulated interrupts (INT-1, NC-3). VMs: sys 0x10000, dos1 0x10100, dos2 0x10200.
[map symbols ev.map]
org 0x100000
bits 32
%include "vmm.inc"

DOS2    equ 0x00010200

Control_Proc:
        cmp     eax, Device_Init
        jne     .done
        mov     edi, irq5_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     [irq5_h], eax
        mov     edi, irq6_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     [irq6_h], eax
        mov     edi, irq7_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     edi, irq5_desc          ; twice: CF set
        VPICDcall VPICD_Virtualize_IRQ
        setc    [revirt_cf]
.done:  clc
        ret

spin:   mov     ecx, [spin_n]           ; busy VxD code: about 11 clocks per round
.l:     dec     ecx
        jnz     .l
        ret

; EV-1: a global event runs in the current VM, a VM event in its VM.
place_start:
        mov     esi, ev_glob
        mov     edx, 0x11
        VMMcall Schedule_Global_Event
        mov     [h_glob], esi
        mov     ebx, DOS2
        mov     esi, ev_vm
        mov     edx, 0x22
        VMMcall Schedule_VM_Event
        mov     [h_vm], esi
        mov     dword [phase], 1        ; events have not run inside this call
        ret
ev_glob:
        mov     [glob_ebx], ebx
        mov     [glob_edx], edx
        mov     eax, [phase]
        mov     [glob_phase], eax
        ret
ev_vm:  mov     [vm_ebx], ebx
        mov     [vm_edx], edx
        ret

; EV-1: Call_VM_Event for the current VM runs at once (ESI = 0); for another VM it
; is scheduled (ESI = handle).
callvm_start:
        VMMcall Get_Cur_VM_Handle
        mov     esi, ev_now
        VMMcall Call_VM_Event
        mov     [now_esi], esi
        mov     eax, [now_runs]
        mov     [now_runs_after], eax
        mov     ebx, DOS2
        mov     esi, ev_later
        VMMcall Call_VM_Event
        mov     [later_esi], esi
        mov     eax, [later_runs]
        mov     [later_runs_after], eax
        ret
ev_now: inc     dword [now_runs]
        ret
ev_later:
        inc     dword [later_runs]
        mov     [later_ebx], ebx
        ret

; EV-1: a cancelled event never runs; handle 0 is accepted.
cancel_start:
        mov     esi, ev_never
        VMMcall Schedule_Global_Event
        VMMcall Cancel_Global_Event
        xor     esi, esi
        VMMcall Cancel_Global_Event
        mov     ebx, DOS2
        mov     esi, ev_never
        VMMcall Schedule_VM_Event
        VMMcall Cancel_VM_Event
        ret
ev_never:
        inc     dword [never_runs]
        ret

; TO-1: a global time-out of 30 ms, set near 0 ms, fires at the 40 ms tick, 10 ms late.
to_start:
        mov     eax, 30
        mov     edx, 0x33
        mov     esi, to_cb
        VMMcall Set_Global_Time_Out
        mov     [h_to], esi
        VMMcall Get_System_Time
        mov     [to_set_ms], eax
        ret
to_cb:  mov     [to_ebx], ebx
        mov     [to_ecx], ecx
        mov     [to_edx], edx
        VMMcall Get_System_Time
        mov     [to_now_ms], eax
        VMMcall Get_Last_Updated_System_Time
        mov     [to_upd_ms], eax
        ret

; TO-1: a VM time-out of 30 ms counts only the VM's execution time.
vmto_start:
        VMMcall Get_Cur_VM_Handle
        mov     eax, 30
        mov     esi, vmto_cb
        VMMcall Set_VM_Time_Out
        mov     eax, 30
        mov     esi, gto_cb
        VMMcall Set_Global_Time_Out
        ret
vmto_cb:
        mov     [vmto_ebx], ebx
        mov     [vmto_ecx], ecx
        VMMcall Get_VM_Exec_Time
        mov     [vmto_exec], eax
        VMMcall Get_System_Time
        mov     [vmto_sys], eax
        ret
gto_cb: VMMcall Get_System_Time
        mov     [gto_sys], eax
        ret
nothing:
        ret

; EV-2: a priority event for dos2 waits for the critical section dos1 holds, runs
; boosted, and is unboosted after.
prio_start:
        mov     [spin_n], edx           ; the stimulus's arg: rounds of spin
        VMMcall Begin_Critical_Section
        mov     eax, High_Pri_Device_Boost
        mov     ebx, DOS2
        mov     ecx, PEF_Wait_Not_Crit
        mov     edx, 0x44
        mov     esi, prio_cb
        VMMcall Call_Priority_VM_Event
        mov     [h_prio], esi
        call    spin
        mov     dword [crit_phase], 1
        VMMcall End_Critical_Section
        mov     dword [crit_phase], 2
        ret
prio_cb:
        mov     [prio_ebx], ebx
        mov     [prio_edx], edx
        setc    [prio_cf]
        mov     eax, [crit_phase]
        mov     [prio_phase], eax
        inc     dword [prio_runs]
        ret

; EV-2: PEF_Time_Out: the section is held past the time-out: the callback runs with
; CF set in the current VM, the boost cancelled.
prio_to_start:
        mov     [spin_n], edx           ; the stimulus's arg: rounds of spin
        VMMcall Begin_Critical_Section
        mov     eax, High_Pri_Device_Boost
        mov     ebx, DOS2
        mov     ecx, PEF_Wait_Not_Crit | PEF_Time_Out
        mov     edi, 30
        mov     esi, prio_cb
        VMMcall Call_Priority_VM_Event
        call    spin
        VMMcall End_Critical_Section
        ret

; EV-2: Cancel_Priority_VM_Event undoes the boost.
prio_cancel_start:
        mov     eax, High_Pri_Device_Boost
        mov     ebx, DOS2
        mov     ecx, PEF_Always_Sched | PEF_Wait_Not_Crit
        mov     esi, prio_cb
        VMMcall Begin_Critical_Section
        VMMcall Call_Priority_VM_Event
        VMMcall Cancel_Priority_VM_Event
        VMMcall End_Critical_Section
        ret

; INT-1: IRQ 5's procedure notes where it ran; IRQ 6's calls a service that is not
; asynchronous (a finding).
irq_spin:
        mov     [spin_n], edx           ; the stimulus's arg: rounds of spin
        call    spin
        ret
hw5:    mov     [hw5_eax], eax
        mov     [hw5_ebx], ebx
        inc     dword [hw5_runs]
        VPICDcall VPICD_Phys_EOI
        clc
        ret
hw6:    push    eax
        VMMcall Get_Cur_VM_Handle
        xor     eax, eax
        VMMcall Adjust_Exec_Priority
        pop     eax
        VPICDcall VPICD_Phys_EOI
        clc
        ret

; NC-3 with a real simulated interrupt: IRQ 7 arrives while dos1 holds the section;
; its procedure requests the interrupt for dos1 (Time_Critical_Boost). The release
; owes the not-critical callback, which waits until the VM's handler returned.
nc3_start:
        mov     [spin_n], edx           ; the stimulus's arg: rounds of spin
        mov     esi, nc3_cb
        VMMcall Call_When_Not_Critical
        VMMcall Begin_Critical_Section
        call    spin
        VMMcall End_Critical_Section
        mov     dword [nc3_phase], 1
        ret
hw7:    VMMcall Get_Cur_VM_Handle
        VPICDcall VPICD_Set_Int_Request
        VPICDcall VPICD_Phys_EOI
        clc
        ret
nc3_cb: mov     eax, [nc3_phase]
        mov     [nc3_seen], eax
        inc     dword [nc3_runs]
        ret

align 4
irq5_desc:  dw 5, 0
            dd hw5, 0, 0, 0, 0, 500
irq6_desc:  dw 6, 0
            dd hw6, 0, 0, 0, 0, 500
irq7_desc:  dw 7, 0
            dd hw7, 0, 0, 0, 0, 500
spin_n:     dd 10000
irq5_h:     dd 0
irq6_h:     dd 0
revirt_cf:  dd 0
phase:      dd 0
h_glob:     dd 0
h_vm:       dd 0
glob_ebx:   dd 0
glob_edx:   dd 0
glob_phase: dd 0xFF
vm_ebx:     dd 0
vm_edx:     dd 0
now_esi:    dd 0xFF
now_runs:   dd 0
now_runs_after: dd 0
later_esi:  dd 0
later_runs: dd 0
later_runs_after: dd 0xFF
later_ebx:  dd 0
never_runs: dd 0
h_to:       dd 0
to_set_ms:  dd 0xFF
to_ebx:     dd 0
to_ecx:     dd 0xFF
to_edx:     dd 0
to_now_ms:  dd 0
to_upd_ms:  dd 0
vmto_ebx:   dd 0
vmto_ecx:   dd 0xFF
vmto_exec:  dd 0
vmto_sys:   dd 0
gto_sys:    dd 0
h_prio:     dd 0
crit_phase: dd 0
prio_ebx:   dd 0
prio_edx:   dd 0
prio_cf:    dd 0xFF
prio_phase: dd 0xFF
prio_runs:  dd 0
hw5_eax:    dd 0
hw5_ebx:    dd 0
hw5_runs:   dd 0
nc3_phase:  dd 0
nc3_seen:   dd 0xFF
nc3_runs:   dd 0
