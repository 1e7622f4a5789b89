/* A boot sector that shows a photograph-like picture: VBE mode 0x101
 * (640x480, 256 colours, drawn through the 64 KiB window at A000 bank by
 * bank), a smooth colour ramp in the palette, then, after
 * a pause long enough for a display server to have sent the blank new
 * surface, a radial gradient with a little noise drawn into it. The
 * picture arrives as ordinary screen updates, which SPICE servers compress
 * as photographs (QUIC, or JPEG when lossy compression is on).
 * Built with: as --32; ld -m elf_i386 -Ttext 0x7c00 --oformat binary. */
    .code16
    .globl _start
_start:
    cli
    xor %ax, %ax
    mov %ax, %ds
    mov %ax, %ss
    mov $0x7c00, %sp
    sti

    mov $0x4f02, %ax            /* VBE mode 0x101 */
    mov $0x0101, %bx
    int $0x10

    /* palette, 6-bit DAC: index i -> (i/4, 63 - i/4, 20 + 4 * (i % 4)), so
     * that every index is its own colour and neighbours differ a little */
    mov $0x3c8, %dx
    xor %al, %al
    out %al, %dx
    inc %dx
    xor %cx, %cx
palette:
    mov %cl, %al
    shr $2, %al
    out %al, %dx
    mov %cl, %al
    shr $2, %al
    mov $63, %ah
    sub %al, %ah
    mov %ah, %al
    out %al, %dx
    mov %cl, %al
    and $3, %al
    shl $2, %al
    add $20, %al
    out %al, %dx
    inc %cx
    cmp $256, %cx
    jne palette

    /* wait 2 s (BIOS wait: CX:DX microseconds) */
    mov $0x86, %ah
    mov $0x001e, %cx
    mov $0x8480, %dx
    int $0x15

    /* draw: index = ((x - 320)^2 + (y - 240)^2) / 512 + noise (0..3) */
    mov $0xa000, %ax
    mov %ax, %es
    xor %di, %di
    xor %dx, %dx                /* bank */
    call set_bank
    mov $0x1234, %bp            /* noise state */
    xor %ebx, %ebx              /* y */
row:
    xor %esi, %esi              /* x */
pixel:
    mov %esi, %eax
    sub $320, %eax
    imul %eax, %eax
    mov %eax, %ecx
    mov %ebx, %eax
    sub $240, %eax
    imul %eax, %eax
    add %ecx, %eax
    shr $9, %eax
    mov %eax, %ecx
    mov %bp, %ax                /* noise: state = state * 5 + 0x3619 */
    mov %ax, %dx
    shl $2, %ax
    add %dx, %ax
    add $0x3619, %ax
    mov %ax, %bp
    shr $14, %ax
    add %cx, %ax
    mov %al, %es:(%di)
    inc %di
    jnz same_bank
    incw bank
    call set_bank
same_bank:
    inc %esi
    cmp $640, %esi
    jne pixel
    inc %ebx
    cmp $480, %ebx
    jne row

halt:
    hlt
    jmp halt

/* moves the A000 window to 64 KiB bank `bank` */
set_bank:
    pusha
    mov $0x4f05, %ax
    xor %bx, %bx
    mov bank, %dx
    int $0x10
    popa
    ret

bank:
    .word 0

    .org 510
    .word 0xaa55
