/* The KVM probe's boot sector (kvm-probe-guest.S, assembled by the Makefile
 * into KVM_PROBE_BIN) as read-only data of libfloe-vmhost. */
    .section .rodata
    .globl floe_kvm_probe_image, floe_kvm_probe_image_end
    .hidden floe_kvm_probe_image, floe_kvm_probe_image_end
floe_kvm_probe_image:
    .incbin KVM_PROBE_BIN
floe_kvm_probe_image_end:
    .section .note.GNU-stack, "", @progbits
