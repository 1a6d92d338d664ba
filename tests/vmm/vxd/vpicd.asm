; vpicd.asm — test VxD for the VPICD_IRQ_Descriptor procedures (INT-1): Virt_Int,
; EOI and IRET procedures, the IRET time-out, procedures left 0, CB-1 on a VID
; procedure, and the interrupt-boundary choice point. VMs: sys 0x10000, dos1 0x10100.
[map symbols vpicd.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        cmp     eax, Device_Init
        jne     .done
        mov     edi, irq5_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     [irq5_h], eax
        mov     edi, irq3_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     [irq3_h], eax
        mov     edi, irq4_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     edi, irq6_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     edi, irq9_desc
        VPICDcall VPICD_Virtualize_IRQ
        mov     edi, irq10_desc
        VPICDcall VPICD_Virtualize_IRQ
.done:  clc
        ret

; stamp: the next number of the order in which the procedures ran (EAX)
stamp:  mov     eax, [seq]
        inc     eax
        mov     [seq], eax
        ret

spin:   mov     ecx, edx                ; the stimulus's arg: rounds of spin
.l:     dec     ecx
        jnz     .l
        ret

; IRQs 5, 3, 4, 6: the hardware-interrupt procedure requests the interrupt for the
; current VM and ends the physical interrupt.
hw_req: mov     [hw_eax], eax
        VPICDcall VPICD_Set_Int_Request
        VPICDcall VPICD_Phys_EOI
        call    stamp
        mov     [hw_seq], eax
        clc
        ret

virt5:  mov     [virt5_eax], eax
        mov     [virt5_ebx], ebx
        pushfd
        pop     dword [virt5_fl]
        VPICDcall VPICD_Clear_Int_Request   ; too late: the interrupt is under way
        call    stamp
        mov     [virt5_seq], eax
        mov     esi, 0x5A5A5A5A         ; a register VID procedures may change
        ret

eoi5:   mov     [eoi5_eax], eax
        mov     [eoi5_ebx], ebx
        pushfd
        pop     dword [eoi5_fl]
        call    stamp
        mov     [eoi5_seq], eax
        ret

iret5:  setc    [iret5_cf]
        mov     [iret5_eax], eax
        mov     [iret5_ebx], ebx
        pushfd
        pop     dword [iret5_fl]
        inc     dword [iret5_runs]
        call    stamp
        mov     [iret5_seq], eax
        ret

iret3:  setc    byte [iret3_cf]
        inc     dword [iret3_runs]
        call    stamp
        mov     [iret3_seq], eax
        ret

eoi6:   mov     ebp, 0x1234             ; CB-1: EBP not preserved
        ret

iret10: setc    byte [iret10_cf]        ; told of the time-out, then busy past the IRET
        mov     ecx, 1000
.l:     dec     ecx
        jnz     .l
        inc     dword [iret10_runs]
        ret

; The interrupt-boundary choice point: straight-line code whose ECX counts the
; instructions run; hw9 reads the interrupted code's ECX.
straight:
        xor     ecx, ecx
        times 200 inc ecx
        ret
hw9:    mov     [hw9_ecx], ecx
        inc     dword [hw9_runs]
        VPICDcall VPICD_Phys_EOI
        clc
        ret

align 4
irq5_desc:  dw 5, 0
            dd hw_req, virt5, eoi5, 0, iret5, 500
irq3_desc:  dw 3, 0                     ; IRET procedure only, 1 ms time-out
            dd hw_req, 0, 0, 0, iret3, 1
irq4_desc:  dw 4, 0                     ; no procedure but Hw_Int_Proc
            dd hw_req, 0, 0, 0, 0, 500
irq6_desc:  dw 6, 0
            dd hw_req, 0, eoi6, 0, 0, 500
irq9_desc:  dw 9, 0
            dd hw9, 0, 0, 0, 0, 500
irq10_desc: dw 10, 0                    ; IRET procedure only, 1 ms time-out
            dd hw_req, 0, 0, 0, iret10, 1

irq5_h:     dd 0
irq3_h:     dd 0
seq:        dd 0
hw_eax:     dd 0
hw_seq:     dd 0
virt5_eax:  dd 0
virt5_ebx:  dd 0
virt5_fl:   dd 0
virt5_seq:  dd 0
eoi5_eax:   dd 0
eoi5_ebx:   dd 0
eoi5_fl:    dd 0
eoi5_seq:   dd 0
iret5_eax:  dd 0
iret5_ebx:  dd 0
iret5_fl:   dd 0
iret5_seq:  dd 0
iret5_runs: dd 0
iret5_cf:   dd 0xFF
iret3_cf:   dd 0xFF
iret3_runs: dd 0
iret3_seq:  dd 0
hw9_ecx:    dd 0xFFFFFFFF
hw9_runs:   dd 0
iret10_cf:  dd 0xFF
iret10_runs: dd 0
