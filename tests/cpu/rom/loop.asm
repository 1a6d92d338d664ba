; loop.asm — never halts: bare mode must stop it at --max-cycles.
        bits 16
        org 0xF000
start:  jmp start
%include "rom_tail.inc"
