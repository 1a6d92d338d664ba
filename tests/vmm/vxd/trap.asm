; trap.asm — test VxD for I/O trapping (docs/vmm.md, "I/O trapping", IOT-1 … IOT-6).
; At Sys_Critical_Init: a handler for 0x3F8 (twice: the second is refused), a
; Mult_IO table for 0x2E8, 0x2EA, 0x2EB, then handlers for 0x100, 0x101, … until the
; table of 128 is full. At dos2's VM_Init (handle 0x00010200) local trapping of 0x3F8
; is disabled for dos2. The other entry points are timeline calls.
[map symbols trap.map]
org 0x100000
bits 32
%include "vmm.inc"

DOS1    equ 0x00010100
DOS2    equ 0x00010200

Control_Proc:
        cmp     eax, Sys_Critical_Init
        jne     .vm_init
        mov     esi, io_data
        mov     edx, 0x3F8
        VMMcall Install_IO_Handler
        setc    [cf_first]
        mov     esi, io_log
        mov     edx, 0x3F8
        VMMcall Install_IO_Handler
        setc    [cf_second]
        mov     edi, table
        VMMcall Install_Mult_IO_Handlers
        setc    [cf_mult]
        mov     edx, 0x100
.fill:  mov     esi, io_log
        VMMcall Install_IO_Handler
        jc      .full
        inc     dword [filled]
        inc     edx
        cmp     edx, 0x200
        jb      .fill
.full:  mov     [full_port], edx
        jmp     .ok
.vm_init:
        cmp     eax, VM_Init
        jne     .ok
        cmp     ebx, DOS2
        jne     .ok
        mov     edx, 0x3F8
        VMMcall Disable_Local_Trapping
.ok:    clc
        ret

; 0x3F8: keeps its entry registers, answers 0x5A.
io_data:
        mov     [h_eax], eax
        mov     [h_ebx], ebx
        mov     [h_ecx], ecx
        mov     [h_edx], edx
        mov     [h_ebp], ebp
        inc     dword [data_calls]
        mov     al, 0x5A
        ret

; The others: logs (port low byte, data byte, type) and answers the port's low byte.
io_log: push    esi
        mov     esi, [nlog]
        cmp     esi, 60
        jae     .full
        mov     [log + esi], dl
        mov     [log + esi + 1], al
        mov     [log + esi + 2], cl
        add     dword [nlog], 3
.full:  mov     al, dl
        pop     esi
        ret

; Timeline calls.
late_install:                           ; after initialization: a guest error
        mov     esi, io_log
        mov     edx, 0x3F9
        VMMcall Install_IO_Handler
        ret
enable_unknown:                         ; no handler for 0x999: a guest error
        mov     edx, 0x999
        VMMcall Enable_Global_Trapping
        ret
vxd_in:                                 ; IOT-5: ring 0 goes to the bus
        mov     dx, 0x3F8
        in      al, dx
        mov     [vxd_in_val], al
        ret
local_off_dos1:
        mov     ebx, DOS1
        mov     edx, 0x3F8
        VMMcall Disable_Local_Trapping
        ret
global_on:
        mov     edx, 0x3F8
        VMMcall Enable_Global_Trapping
        ret

Begin_VxD_IO_Table table
        VxD_IO  0x2E8, io_log
        VxD_IO  0x2EA, io_log
        VxD_IO  0x2EB, io_log
End_VxD_IO_Table table

cf_first:   db 0
cf_second:  db 0
cf_mult:    db 0
vxd_in_val: db 0
filled:     dd 0
full_port:  dd 0
h_eax:      dd 0
h_ebx:      dd 0
h_ecx:      dd 0
h_edx:      dd 0
h_ebp:      dd 0
data_calls: dd 0
nlog:       dd 0
log:        times 64 db 0
