/* The KVM probe's guest: a boot sector that SeaBIOS loads at 0x7c00. It
 * enters 64-bit long mode on identity-mapped 2 MiB pages, as a Linux
 * kernel's early code does, writes 96 MiB of fresh memory three times over
 * (the first pass faults every page in), reads the last pass back, and tells
 * QEMU the outcome through the isa-debug-exit device at port 0xf4: QEMU then
 * exits with status (value << 1) | 1, 99 when all went well, 97 when the
 * memory read back wrong. Under working KVM this takes a few milliseconds
 * and under TCG well under a second; where KVM runs guests only crawling
 * (nested virtualization without fast paging, say), it does not finish
 * within the probe's deadline.
 * Built with: as --32; ld -m elf_i386 -Ttext 0x7c00 --oformat binary. */
#define PT_BASE 0x1000          /* PML4, then the PDPT, then the PD */
#define TEST_BASE 0x1000000     /* 16 MiB: above the firmware and this code */
#define TEST_QWORDS (96 * 1024 * 1024 / 8)
#define EXIT_PORT 0xf4
#define EXIT_OK 0x31
#define EXIT_BAD_MEMORY 0x30

    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $0x7c00, %sp
    cld

    /* page tables: three zeroed pages, PML4[0] -> PDPT, PDPT[0] -> PD, and
     * the PD's 512 entries map the first GiB with present, writable, 2 MiB
     * pages */
    mov $PT_BASE, %di
    mov $(3 * 4096 / 2), %cx
    rep stosw
    movl $(PT_BASE + 0x1000 + 3), PT_BASE
    movl $(PT_BASE + 0x2000 + 3), PT_BASE + 0x1000
    mov $(PT_BASE + 0x2000), %di
    mov $0x83, %eax
    mov $512, %cx
1:  mov %eax, (%di)
    add $0x200000, %eax
    add $8, %di
    loop 1b

    /* long mode: PAE, the page tables, EFER.LME, then protection and paging */
    lgdtl gdtr
    mov %cr4, %eax
    or $0x20, %eax
    mov %eax, %cr4
    mov $PT_BASE, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax
    mov %eax, %cr0
    ljmpl $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov $3, %r8                 /* passes; pass n writes the value n */
fill:
    mov $TEST_BASE, %rdi
    mov $TEST_QWORDS, %rcx
    mov %r8, %rax
    rep stosq
    dec %r8
    jnz fill
    mov $TEST_BASE, %rdi        /* the last pass wrote 1 everywhere */
    mov $TEST_QWORDS, %rcx
    mov $1, %rax
    repe scasq
    mov $EXIT_OK, %al
    je 2f
    mov $EXIT_BAD_MEMORY, %al
2:  out %al, $EXIT_PORT
3:  hlt
    jmp 3b

    .p2align 3
gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
gdtr:
    .word gdtr - gdt - 1
    .long gdt

    .org 510
    .byte 0x55, 0xaa
