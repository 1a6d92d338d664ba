; hook.asm — test VxD for V86 interrupt hooks and the Simulate_* services (docs/vmm.md,
; "V86 interrupt hooks", "Changing client execution"). At Device_Init it hooks INT 21h
; twice (hook_a, then hook_b: hook_b runs first) and INT 60h, 2Fh. Timeline `call`
; entry points exercise the services from a VM's context.
[map symbols hook.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        cmp     eax, Device_Init
        jne     .ok
        mov     eax, 0x21
        mov     esi, hook_a
        VMMcall Hook_V86_Int_Chain
        setc    [inst_cf]
        mov     eax, 0x21
        mov     esi, hook_b
        VMMcall Hook_V86_Int_Chain
        mov     eax, 0x60
        mov     esi, hook_60
        VMMcall Hook_V86_Int_Chain
        mov     eax, 0x2F
        mov     esi, hook_2f
        VMMcall Hook_V86_Int_Chain
.ok:    clc
        ret

; counts and passes on (CF set); remembers its entry registers
hook_a: inc     dword [a_calls]
        mov     [a_eax], eax
        mov     [a_ebx], ebx
        mov     [a_ebp], ebp
        mov     eax, [b_calls]
        mov     [a_saw_b], eax          ; hook_b ran before it
        stc
        ret
; AH=30h: answers and consumes (CF clear); anything else passes on
hook_b: inc     dword [b_calls]
        cmp     byte [ebp + Client_AH], 0x30
        jne     .pass
        mov     word [ebp + Client_AX], 0x0A03
        clc
        ret
.pass:  stc
        ret
; INT 60h: Simulate_Push BEEFh, Simulate_Pop (EAX), then Simulate_Far_Call to
; Client_CS:Client_BX; consumed
hook_60:
        mov     eax, 0xBEEF
        VMMcall Simulate_Push
        xor     eax, eax
        VMMcall Simulate_Pop
        mov     [popped], eax
        mov     cx, [ebp + Client_CS]
        movzx   edx, word [ebp + Client_BX]
        VMMcall Simulate_Far_Call
        clc
        ret
; INT 2Fh: counts, passes on
hook_2f:
        inc     dword [mux_calls]
        stc
        ret

; Simulate_Push from a VM without a program (an error)
push_nop:
        mov     eax, 1
        VMMcall Simulate_Push
        ret
; Map_Flat of DS:SI and of a bad segment offset (-1), in the calling VM
flat:   mov     ah, Client_DS
        mov     al, Client_SI
        VMMcall Map_Flat
        mov     [flat_ok], eax
        mov     ah, 0x70                ; beyond Client_Reg_Struc
        mov     al, Client_SI
        VMMcall Map_Flat
        mov     [flat_bad], eax
        ret
; 70 installs for INT 50h: the table holds 64 in all
fill:   mov     ecx, 70
.next:  push    ecx
        mov     eax, 0x50
        mov     esi, hook_2f
        VMMcall Hook_V86_Int_Chain
        pop     ecx
        jnc     .ok
        inc     dword [full_cf]
.ok:    loop    .next
        mov     eax, 0x100              ; no such interrupt
        mov     esi, hook_2f
        VMMcall Hook_V86_Int_Chain
        setc    [bad_vec_cf]
        ret
; Simulate_Int 21h into the calling VM
sim21:  mov     eax, 0x21
        VMMcall Simulate_Int
        ret

; the protected-mode client (the system VM's): Push / Pop through its LDT stack, Map_Flat
; of DS:0; Simulate_Int (not modelled there); a bad Client_SS
pm_sims:
        mov     eax, 0x1234
        VMMcall Simulate_Push
        xor     eax, eax
        VMMcall Simulate_Pop
        mov     [popped], eax
        mov     ah, Client_DS
        mov     al, 0xFF                ; -1: offset 0
        VMMcall Map_Flat
        mov     [flat_ok], eax
        ret
bad_ss: mov     word [ebp + Client_SS], 0x1F
        mov     eax, 1
        VMMcall Simulate_Push
        ret

inst_cf:    db 0xFF
bad_vec_cf: db 0
a_calls:    dd 0
b_calls:    dd 0
a_eax:      dd 0
a_ebx:      dd 0
a_ebp:      dd 0
a_saw_b:    dd 0
popped:     dd 0
mux_calls:  dd 0
flat_ok:    dd 0
flat_bad:   dd 0
full_cf:    dd 0
