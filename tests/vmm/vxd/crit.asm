; crit.asm — test VxD for the critical section (CS-2 … CS-7) and PRI-1.
[map symbols crit.map]
org 0x100000
bits 32
%include "vmm.inc"

Control_Proc:
        clc
        ret

; CS-2, CS-3 (as scenarios/cs2_other_vm_blocks.yaml)
note2:  VMMcall Get_Cur_VM_Handle
        mov     [dos2], ebx
        ret
take:   xor     ecx, ecx
        VMMcall Begin_Critical_Section  ; blocks while dos1 owns it
        mov     dword [got_it], 1
        VMMcall Get_Cur_VM_Handle
        mov     eax, [ntake]
        mov     [take_log + eax * 4], ebx
        inc     dword [ntake]
        VMMcall Get_Crit_Section_Status
        mov     [take_owner], ebx
        mov     [take_count], ecx
        VMMcall End_Critical_Section
        ret
boost2: mov     ebx, [dos2]
        mov     eax, Time_Critical_Boost
        VMMcall Adjust_Exec_Priority    ; PRI-1: dos2 runs now (and blocks)
        mov     eax, [got_it]
        mov     [got_it_at_boost], eax
        ret

; CS-3 with two waiters of equal priority (a crit-waiter choice)
note3:  VMMcall Get_Cur_VM_Handle
        mov     [dos3], ebx
        ret
boost23:
        mov     ebx, [dos2]
        mov     eax, Time_Critical_Boost
        VMMcall Adjust_Exec_Priority    ; dos2 runs and blocks
        mov     ebx, [dos3]
        mov     eax, Time_Critical_Boost
        VMMcall Adjust_Exec_Priority    ; dos3 runs and blocks
        ret

; CS-4
cs4:    mov     eax, 3
        xor     ecx, ecx
        VMMcall Claim_Critical_Section
        VMMcall Get_Crit_Section_Status
        mov     [cs4_c + 0], ecx        ; 3
        xor     eax, eax
        VMMcall Claim_Critical_Section  ; count 0: nothing
        VMMcall Get_Crit_Section_Status
        mov     [cs4_c + 4], ecx        ; 3
        xor     ecx, ecx
        VMMcall Release_Critical_Section
        VMMcall Get_Crit_Section_Status
        mov     [cs4_c + 8], ecx        ; 3
        mov     ecx, 2
        VMMcall Release_Critical_Section
        VMMcall Get_Crit_Section_Status
        mov     [cs4_c + 12], ecx       ; 1
        mov     ecx, 1
        VMMcall Release_Critical_Section
        VMMcall Get_Crit_Section_Status
        mov     [cs4_c + 16], ecx       ; 0
        ret

; CS-5
cs5:    VMMcall Get_Crit_Section_Status
        mov     [cs5_ecx0], ecx
        mov     [cs5_ebx0], ebx
        setc    [cs5_cf + 0]            ; 0
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall Get_Crit_Section_Status
        mov     [cs5_ecx1], ecx
        setc    [cs5_cf + 1]            ; 1: the owner has Critical_Section_Boost
        xor     ecx, ecx
        xor     ebx, ebx
        VMMcall Get_Crit_Status_No_Block
        mov     [cs5_nb_ecx], ecx       ; 1, as Get_Crit_Section_Status
        mov     [cs5_nb_ebx], ebx       ; the owner
        setc    [cs5_nb_cf]             ; 1
        VMMcall End_Critical_Section
        VMMcall Get_Cur_VM_Handle
        mov     eax, High_Pri_Device_Boost
        VMMcall Adjust_Exec_Priority
        VMMcall Get_Crit_Section_Status
        setc    [cs5_cf + 2]            ; 0: below Critical_Section_Boost
        VMMcall Get_Cur_VM_Handle
        mov     eax, Critical_Section_Boost
        VMMcall Adjust_Exec_Priority
        VMMcall Get_Crit_Section_Status
        setc    [cs5_cf + 3]            ; 1: not owner, but priority >= the boost
        VMMcall Get_Cur_VM_Handle
        mov     eax, -(Critical_Section_Boost + High_Pri_Device_Boost)
        VMMcall Adjust_Exec_Priority
        ret

; CS-6
cs6:    xor     ecx, ecx
        VMMcall Begin_Critical_Section
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        VMMcall End_Crit_And_Suspend    ; count 2: fails
        setc    [cf_at_2]
        VMMcall Get_Crit_Section_Status
        mov     [count_after_fail], ecx
        VMMcall End_Critical_Section
        VMMcall End_Crit_And_Suspend    ; count 1: release + suspend
        setc    [cf_at_1]
        mov     dword [resumed], 1
        ret

; CS-7
cs7:    VMMcall End_Critical_Section    ; no Begin
        xor     ecx, ecx
        VMMcall Begin_Critical_Section
        mov     ecx, 2
        VMMcall Release_Critical_Section ; one too many
        ret

; PRI-1
pri1_note:
        VMMcall Get_Cur_VM_Handle
        mov     [dos2], ebx
        ret
pri1_start:
        mov     ebx, [dos2]
        mov     eax, High_Pri_Device_Boost
        VMMcall Adjust_Exec_Priority    ; dos2 runs before this returns
        mov     eax, [b_ran]
        mov     [b_ran_at_return], eax
        ret
pri1_b: inc     dword [b_ran]
        VMMcall Get_Cur_VM_Handle
        mov     [b_cur], ebx
        mov     eax, -High_Pri_Device_Boost
        VMMcall Adjust_Exec_Priority
        ret

align 4
dos2:             dd 0
dos3:             dd 0
ntake:            dd 0
take_log:         times 4 dd 0
got_it:           dd 0
got_it_at_boost:  dd 0xFF
take_owner:       dd 0
take_count:       dd 0
cs4_c:            times 5 dd 0xFF
cs5_ecx0:         dd 0xFF
cs5_ebx0:         dd 0
cs5_ecx1:         dd 0
cs5_cf:           times 4 db 0xFF
cs5_nb_ecx:       dd 0xFF
cs5_nb_ebx:       dd 0
cs5_nb_cf:        db 0xFF
cf_at_2:          db 0
cf_at_1:          db 0xFF
align 4
count_after_fail: dd 0
resumed:          dd 0
b_ran:            dd 0
b_ran_at_return:  dd 0xFF
b_cur:            dd 0
