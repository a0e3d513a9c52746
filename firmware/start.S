/* Entry of every test payload: 64-bit mode, paging on, RSI = boot_params. */
    .section .head32, "ax"
    .code32
    /* Nothing enters here: kvmkit uses the 64-bit entry. */
1:  hlt
    jmp 1b

    .section .head64, "ax"
    .code64
    .globl _start
_start:
    cli
    lea stack_top(%rip), %rsp
    mov %rsi, %rdi              /* payload_main(struct boot_params *) */
    call payload_main
    /* payload_main returned: reset through the i8042 so kvmkit exits 0. */
    mov $0xfe, %al
    out %al, $0x64
2:  hlt
    jmp 2b
