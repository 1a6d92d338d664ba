; flat_load.asm — an image for `--load 0x20000 ... --entry flat32:0x20000`: adds 1..10
; in 32-bit flat protected mode and prints the sum in decimal on port 0xE9.
        bits 32
        org 0x20000
        xor eax, eax
        mov ecx, 10
.add:   add eax, ecx
        loop .add
        push eax
        mov esi, text
        call puts                       ; clobbers AL
        pop eax
        mov ebx, 10                     ; print EAX (< 100) in decimal
        xor edx, edx
        div ebx
        add al, '0'
        out 0xE9, al
        lea eax, [edx + '0']
        out 0xE9, al
        mov al, 10
        out 0xE9, al
        mov dx, 0x190
        mov al, 0x33
        out dx, al
        hlt
puts:   lodsb
        test al, al
        jz .ret
        out 0xE9, al
        jmp puts
.ret:   ret
text:   db "flat32 sum=", 0
