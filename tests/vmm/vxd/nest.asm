; nest.asm — test VxD for nested execution, V86 call-backs and break points
; (docs/vmm.md, "Nested execution", NX-1 … NX-4, VCB-1 … VCB-3). Each entry point is
; called by a timeline `call` stimulus in dos1, whose client program (tests/vmm/test_nest.c)
; has an INT 21h handler that adds 0101h to AX.
[map symbols nest.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        clc
        ret

; NX-1, NX-2, NX-3: save the client, Exec_Int 21h with AX = 1234h inside a block, read
; AX back, end the block, restore the client.
nx_exec_int:
        mov     edi, saved
        VMMcall Save_Client_State
        VMMcall Begin_Nest_V86_Exec
        mov     eax, [ebp + Client_EIP]
        mov     [bp_ip], eax
        movzx   eax, word [ebp + Client_CS]
        mov     [bp_cs], eax
        mov     word [ebp + Client_AX], 0x1234
        mov     eax, 0x21
        VMMcall Exec_Int
        movzx   eax, word [ebp + Client_AX]
        mov     [result], eax
        mov     eax, 0x21                       ; a second Exec_Int in the same block
        VMMcall Exec_Int
        movzx   eax, word [ebp + Client_AX]
        mov     [result2], eax
        VMMcall End_Nest_Exec
        mov     eax, [ebp + Client_EIP]
        mov     [end_ip], eax
        mov     esi, saved
        VMMcall Restore_Client_State
        movzx   eax, word [ebp + Client_AX]
        mov     [ax_after], eax
        mov     dword [done], 1
        ret

; NX-4: a VM event scheduled before the Exec_Int runs in the nest, above the parked frame.
nx_event:
        mov     esi, ev_cb
        mov     edx, 0x55
        VMMcall Schedule_VM_Event
        mov     edi, saved
        VMMcall Save_Client_State
        VMMcall Begin_Nest_V86_Exec
        mov     eax, 0x21
        VMMcall Exec_Int
        mov     eax, [ev_runs]
        mov     [ev_before_ret], eax
        VMMcall End_Nest_Exec
        mov     esi, saved
        VMMcall Restore_Client_State
        ret
ev_cb:
        inc     dword [ev_runs]
        ret

; NX-1: Resume_Exec runs the client from Client_CS:IP (resume_target, which jumps to the
; nest's break point).
nx_resume:
        VMMcall Begin_Nest_V86_Exec
        mov     word [ebp + Client_IP], 0x50
        mov     word [ebp + Client_CS], 0x1000
        VMMcall Resume_Exec
        mov     dword [resumed], 1
        VMMcall End_Nest_Exec
        ret

; errors: Exec_Int outside a block; End_Nest_Exec without a block
nx_no_block:
        mov     eax, 0x21
        VMMcall Exec_Int
        ret
nx_end_alone:
        VMMcall End_Nest_Exec
        ret

; a nest block opened and closed: the client jumps to its break point later
nx_stray_setup:
        VMMcall Begin_Nest_V86_Exec
        VMMcall End_Nest_Exec
        mov     ecx, [ebx + CB_High_Linear]
        mov     word [ecx + 0x10010], 1
        ret

; VCB-1: a V86 call-back; its address goes to the client's cbaddr (1000:0080).
vcb_alloc:
        mov     esi, v86_cb
        mov     edx, 0xCAFE
        VMMcall Allocate_V86_Call_Back
        jc      .fail
        mov     [cb_addr], eax
        mov     ecx, [ebx + CB_High_Linear]
        mov     [ecx + 0x10080], ax             ; offset
        shr     eax, 16
        mov     [ecx + 0x10082], ax             ; segment
        ret
.fail:  mov     dword [cb_addr], -1
        ret
v86_cb:
        inc     dword [cb_runs]
        mov     [cb_ebx], ebx
        mov     [cb_edx], edx
        mov     [cb_eax], eax
        ret

; VCB-2: a break point at 1000:0008 of the break-point program; then the go flag.
bp_setup:
        mov     eax, 0x10000008
        mov     esi, bp_cb
        mov     edx, 0xB0B0
        VMMcall Install_V86_Break_Point
        setc    [bp_cf]
        mov     eax, 0x10000008                 ; a second one at the same place fails
        VMMcall Install_V86_Break_Point
        setc    [bp_cf2]
        mov     ecx, [ebx + CB_High_Linear]
        mov     word [ecx + 0x10020], 1
        ret
bp_cb:                                          ; emulates the NOP it replaced
        inc     dword [bp_runs]
        mov     [bp_eax], eax
        mov     [bp_esi], esi
        mov     [bp_edx], edx
        inc     word [ebp + Client_IP]
        ret

; VCB-2: the callback removes its break point instead: the NOP itself runs.
bp_setup_rm:
        mov     eax, 0x10000008
        mov     esi, bp_cb_rm
        VMMcall Install_V86_Break_Point
        mov     ecx, [ebx + CB_High_Linear]
        mov     word [ecx + 0x10020], 1
        ret
bp_cb_rm:
        inc     dword [bp_runs]
        mov     eax, 0x10000008
        VMMcall Remove_V86_Break_Point
        setc    [bp_cf]
        VMMcall Remove_V86_Break_Point          ; gone: CF set
        setc    [bp_cf2]
        ret

; VCB-2: a break point at 1000:0010 that the client reaches as 0FFF:0020.
bp_setup_seg:
        mov     eax, 0x10000010
        mov     esi, bp_cb
        VMMcall Install_V86_Break_Point
        mov     ecx, [ebx + CB_High_Linear]
        mov     word [ecx + 0x10030], 1
        ret

; VCB-3: the callback neither advances the client nor removes its break point.
bp_setup_stuck:
        mov     eax, 0x10000008
        mov     esi, bp_cb_stuck
        VMMcall Install_V86_Break_Point
        mov     ecx, [ebx + CB_High_Linear]
        mov     word [ecx + 0x10020], 1
        ret
bp_cb_stuck:
        inc     dword [bp_runs]
        ret

; VCB-4: Call_When_VM_Returns (EAX time-out) before an Exec_Int of vector ECX (21h:
; the fast handler; 60h: a loop of about 22 ms at 33 MHz).
ret_zero:
        xor     eax, eax
        mov     ecx, 0x21
        jmp     ret_common
ret_fast:
        mov     eax, 1000
        mov     ecx, 0x21
        jmp     ret_common
ret_pos:
        mov     eax, 5
        mov     ecx, 0x60
        jmp     ret_common
ret_neg:
        mov     eax, -5
        mov     ecx, 0x60
ret_common:
        push    ecx
        push    eax
        mov     ecx, [ebx + CB_High_Linear]
        mov     dword [ecx + 0x60 * 4], 0x10000060
        mov     edi, saved
        VMMcall Save_Client_State
        VMMcall Begin_Nest_V86_Exec
        pop     eax
        mov     edx, 0x77
        mov     esi, ret_cb
        VMMcall Call_When_VM_Returns
        pop     eax
        VMMcall Exec_Int
        VMMcall End_Nest_Exec
        mov     esi, saved
        VMMcall Restore_Client_State
        mov     dword [ret_done], 1
        ret
ret_cb:
        pushfd
        pop     eax
        mov     ecx, [ret_runs]
        and     ecx, 3
        mov     [ret_fl + ecx * 4], eax
        mov     [ret_edx], edx
        mov     [ret_ebx], ebx
        inc     dword [ret_runs]
        ret

ret_done: dd 0
ret_runs: dd 0
ret_fl: dd 0, 0, 0, 0
ret_edx: dd 0
ret_ebx: dd 0
saved:  times Client_Reg_Struc_Size db 0
bp_ip:  dd 0
bp_cs:  dd 0
result: dd 0
result2: dd 0
end_ip: dd 0
ax_after: dd 0
done:   dd 0
ev_runs: dd 0
ev_before_ret: dd 0
resumed: dd 0
cb_addr: dd 0
cb_runs: dd 0
cb_ebx: dd 0
cb_edx: dd 0
cb_eax: dd 0
bp_cf:  db 0
bp_cf2: db 0
bp_runs: dd 0
bp_eax: dd 0
bp_esi: dd 0
bp_edx: dd 0
