/* QEMU's command line for the VM (the syntax of the values put in it is
 * vm-quote.c's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmhost/vm-priv.h"

const char *vm_qemu_program(void)
{
    const char *qemu = getenv("QEMU");

    return qemu && *qemu ? qemu : "qemu-system-x86_64";
}

#define MAX_FIXED_ARGS (72 + 4 * FLOE_VM_MAX_USB_REDIR + 4 * FLOE_VM_MAX_MONITORS)

static char *int_arg(int v)
{
    char b[16];

    snprintf(b, sizeof(b), "%d", v);
    return strdup(b);
}

/* a + b in a new string; frees both (NULL if either is NULL) */
static char *concat_free(char *a, char *b)
{
    char *r = NULL;

    if (a && b && asprintf(&r, "%s%s", a, b) < 0)
        r = NULL;
    free(a);
    free(b);
    return r;
}

char **vm_qemu_args(const struct floe_vm *vm, char **own, int *n_own)
{
    const struct floe_vm_config *c = &vm->cfg;
    char **argv = calloc((size_t)(MAX_FIXED_ARGS + c->n_extra), sizeof(*argv));
    int n = 0;

    if (!argv)
        return NULL;
#define ARG(s) (argv[n++] = (char *)(s))
#define OWN(s) (own[(*n_own)++] = argv[n++] = (s))
    ARG(vm_qemu_program());
    ARG("-nodefaults"); ARG("-no-user-config"); ARG("-display"); ARG("none");
    /* one head: the standard VGA and its VNC server (or QXL); more: a
     * secondary VGA (no legacy ports) or QXL device for each further head */
    if (c->display == FLOE_VM_DISPLAY_QXL) {
        ARG("-vga"); ARG("qxl");
    } else if (c->monitors == 1) {
        ARG("-vga"); ARG("std");
    } else {
        ARG("-device"); ARG("VGA,id=head0");
    }
    for (int i = 1; i < c->monitors; i++) {
        char id[32];

        snprintf(id, sizeof(id), "%s,id=head%d",
                 c->display == FLOE_VM_DISPLAY_QXL ? "qxl" : "secondary-vga", i);
        ARG("-device");
        OWN(strdup(id));
    }
    ARG("-accel"); ARG(vm->accel == FLOE_VM_ACCEL_KVM ? "kvm" : "tcg");
    ARG("-m"); OWN(int_arg(c->memory_mib));
    ARG("-smp"); OWN(int_arg(c->cpus));
    ARG("-qmp"); OWN(vm_escape_commas("unix:", vm->qmp_path, ",server=on,wait=off"));
    if (c->display == FLOE_VM_DISPLAY_QXL) {
        if (!c->spice.disable_ticketing) {
            ARG("-object"); OWN(vm_spice_secret_object(vm));
        }
        ARG("-spice"); OWN(vm_spice_option(vm));
    }
    for (int i = 0; c->display == FLOE_VM_DISPLAY_VNC && i < c->monitors; i++) {
        char tail[48];

        snprintf(tail, sizeof(tail), ",id=vnc%d,display=head%d", i, i);
        ARG("-vnc");
        OWN(vm_escape_commas("unix:", vm->heads[i].vnc_path, c->monitors == 1 ? "" : tail));
    }
    /* a USB tablet makes QEMU's VNC pointer absolute in the guest */
    ARG("-device"); ARG("usb-ehci,id=ehci"); ARG("-device"); ARG("usb-tablet,bus=ehci.0");
    /* the guest agent's port, as SPICE agents look for it: on a socket
     * floe-server relays, or with display = qxl on QEMU's vdagent device,
     * which the SPICE server in QEMU (floe's library) serves */
    ARG("-device"); ARG("virtio-serial-pci,id=vser");
    ARG("-chardev");
    if (c->display == FLOE_VM_DISPLAY_QXL)
        ARG("spicevmc,id=agent,name=vdagent");
    else
        OWN(vm_escape_commas("socket,id=agent,server=on,wait=off,path=", vm->agent_path, ""));
    ARG("-device");
    ARG("virtserialport,bus=vser.0,chardev=agent,id=" VM_AGENT_PORT_ID ",name=com.redhat.spice.0");
    /* USB redirection ports: each a usb-redir device on a socket chardev */
    if (c->usb_redir) {
        ARG("-device"); ARG("qemu-xhci,id=xhci");
    }
    for (int i = 0; i < c->usb_redir; i++) {
        char id[32], path[sizeof(vm->dir) + 32];

        snprintf(path, sizeof(path), "%s/usbredir%d.sock", vm->dir, i);
        snprintf(id, sizeof(id), "usbredir%d", i);
        ARG("-chardev");
        OWN(concat_free(vm_escape_commas("socket,server=on,wait=off,id=", id, ""),
                        vm_escape_commas(",path=", path, "")));
        ARG("-device");
        OWN(concat_free(strdup("usb-redir,bus=xhci.0,chardev="), strdup(id)));
    }
    if (c->sound) {
        ARG("-audiodev"); ARG("none,id=snd0");
        ARG("-device"); ARG("intel-hda"); ARG("-device"); ARG("hda-duplex,audiodev=snd0");
    }
    if (c->template_file) {
        ARG("-drive");
        OWN(vm_escape_commas("file=", vm->overlay, ",if=virtio,format=qcow2"));
    } else if (c->disk) {
        ARG("-drive");
        OWN(vm_escape_commas("file=", c->disk, vm_has_suffix(c->disk, ".qcow2")
                          ? ",if=virtio,format=qcow2" : ",if=virtio,format=raw"));
    }
    /* always a drive, empty without cdrom, so that vm-cdrom can insert one */
    ARG("-drive");
    OWN(c->cdrom ? vm_escape_commas("if=none,id=cd0,media=cdrom,format=raw,readonly=on,file=",
                                 c->cdrom, "")
                 : strdup("if=none,id=cd0,media=cdrom"));
    ARG("-device"); ARG("ide-cd,drive=cd0,id=" CDROM_ID);
    if (vm->incoming) { ARG("-incoming"); ARG(vm->incoming); }
    if (c->kernel) { ARG("-kernel"); ARG(c->kernel); }
    if (c->initrd) { ARG("-initrd"); ARG(c->initrd); }
    if (c->append) { ARG("-append"); ARG(c->append); }
    if (c->boot_menu) { ARG("-boot"); ARG("menu=on,splash-time=60000"); }
    for (int i = 0; i < c->n_extra; i++)
        ARG(c->extra[i]);
#undef ARG
#undef OWN
    for (int i = 0; i < n; i++)
        if (!argv[i]) {
            free(argv);
            return NULL;
        }
    return argv;
}

