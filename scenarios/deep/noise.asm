; noise.asm — the background VxD every deep-bug scenario loads beside its buggy one.
; It does what an ordinary busy system does around a driver: a VM's call schedules a
; burst of global events and one VM event for the calling VM, each of which only
; counts that it ran. None of it can fail; its only purpose is to put many
; irrelevant decisions (pending-event, ready-vm, jitter) around the few that matter.
%include "vmm.inc"
Control_Proc:
        clc
        ret
burst:  mov     esi, ev_a                ; three global events and a VM event
        xor     edx, edx
        VMMcall Schedule_Global_Event
        mov     esi, ev_b
        VMMcall Schedule_Global_Event
        mov     esi, ev_c
        VMMcall Schedule_Global_Event
        mov     esi, ev_vm
        VMMcall Schedule_VM_Event
        ret
ev_a:   inc     dword [count]
        ret
ev_b:   inc     dword [count]
        ret
ev_c:   inc     dword [count]
        ret
ev_vm:  inc     dword [count]
        ret
count:  dd 0
