/* The VM config file (see vm-config.h and vmhost/README.md): one key = value
 * per line, blank lines and '#' comments ignored, unknown keys refused. */
#include "vmhost/vm-config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
        *--e = 0;
    return s;
}

static int parse_int(const char *v, int lo, int hi, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (!*v || *end || n < lo || n > hi)
        return -1;
    *out = (int)n;
    return 0;
}

/* yes/on or no/off into *out: 0, or -1 for anything else */
static int parse_yes_no(const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "on"))
        *out = 1;
    else if (!strcmp(v, "no") || !strcmp(v, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

static int split_extra(struct floe_vm_config *cfg, const char *v)
{
    char *copy = strdup(v), *tok, *save = NULL;
    int rc = 0;

    if (!copy)
        return -1;
    for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char **n = realloc(cfg->extra, sizeof(*n) * (size_t)(cfg->n_extra + 1));

        if (!n || !(tok = strdup(tok))) {
            if (n)
                cfg->extra = n;
            rc = -1;
            break;
        }
        cfg->extra = n;
        cfg->extra[cfg->n_extra++] = tok;
    }
    free(copy);
    return rc;
}

/* A file the VM reads must be there now, not when QEMU fails later. */
static int set_file(char **slot, const char *v, const char *key, char *err, size_t errlen)
{
    if (access(v, R_OK) < 0) {
        snprintf(err, errlen, "%s '%s': %s", key, v, strerror(errno));
        return -1;
    }
    free(*slot);
    *slot = strdup(v);
    return *slot ? 0 : -1;
}

static int set_string(char **slot, const char *v)
{
    free(*slot);
    *slot = strdup(v);
    return *slot ? 0 : -1;
}

static int set_key(struct floe_vm_config *cfg, const char *k, const char *v, char *err,
                   size_t errlen)
{
    if (!strcmp(k, "memory"))
        return parse_int(v, 16, 1 << 20, &cfg->memory_mib) ? snprintf(err, errlen,
               "memory must be MiB in 16..1048576, not '%s'", v), -1 : 0;
    if (!strcmp(k, "cpus"))
        return parse_int(v, 1, 64, &cfg->cpus) ? snprintf(err, errlen,
               "cpus must be 1..64, not '%s'", v), -1 : 0;
    if (!strcmp(k, "kvm_probe_seconds"))
        return parse_int(v, 1, 600, &cfg->kvm_probe_seconds) ? snprintf(err, errlen,
               "kvm_probe_seconds must be 1..600, not '%s'", v), -1 : 0;
    if (!strcmp(k, "stop_timeout"))
        return parse_int(v, 0, 3600, &cfg->stop_timeout) ? snprintf(err, errlen,
               "stop_timeout must be 0..3600 seconds, not '%s'", v), -1 : 0;
    if (!strcmp(k, "disk"))
        return set_file(&cfg->disk, v, k, err, errlen);
    if (!strcmp(k, "kernel"))
        return set_file(&cfg->kernel, v, k, err, errlen);
    if (!strcmp(k, "initrd"))
        return set_file(&cfg->initrd, v, k, err, errlen);
    if (!strcmp(k, "cdrom"))
        return set_file(&cfg->cdrom, v, k, err, errlen);
    if (!strcmp(k, "template"))
        return set_file(&cfg->template_file, v, k, err, errlen);
    if (!strcmp(k, "overlay"))
        return set_string(&cfg->overlay, v);
    if (!strcmp(k, "append"))
        return set_string(&cfg->append, v);
    if (!strcmp(k, "accel")) {
        if (!strcmp(v, "auto"))
            cfg->accel = FLOE_VM_ACCEL_AUTO;
        else if (!strcmp(v, "kvm"))
            cfg->accel = FLOE_VM_ACCEL_KVM;
        else if (!strcmp(v, "tcg"))
            cfg->accel = FLOE_VM_ACCEL_TCG;
        else
            return snprintf(err, errlen, "accel must be auto, kvm or tcg, not '%s'", v), -1;
        return 0;
    }
    if (!strcmp(k, "monitors"))
        return parse_int(v, 1, FLOE_VM_MAX_MONITORS, &cfg->monitors) ? snprintf(err, errlen,
               "monitors must be 1..%d, not '%s'", FLOE_VM_MAX_MONITORS, v), -1 : 0;
    if (!strcmp(k, "usb_redir"))
        return parse_int(v, 0, FLOE_VM_MAX_USB_REDIR, &cfg->usb_redir) ? snprintf(err, errlen,
               "usb_redir must be 0..%d ports, not '%s'", FLOE_VM_MAX_USB_REDIR, v), -1 : 0;
    if (!strcmp(k, "sound"))
        return parse_yes_no(v, &cfg->sound) ? snprintf(err, errlen,
               "sound must be yes or no, not '%s'", v), -1 : 0;
    if (!strcmp(k, "boot_menu"))
        return parse_yes_no(v, &cfg->boot_menu) ? snprintf(err, errlen,
               "boot_menu must be yes or no, not '%s'", v), -1 : 0;
    if (!strcmp(k, "display")) {
        if (!strcmp(v, "vnc"))
            cfg->display = FLOE_VM_DISPLAY_VNC;
        else if (!strcmp(v, "qxl"))
            cfg->display = FLOE_VM_DISPLAY_QXL;
        else
            return snprintf(err, errlen, "display must be vnc or qxl, not '%s'", v), -1;
        return 0;
    }
    if (!strcmp(k, "spice_lib"))
        return set_string(&cfg->spice_lib, v);
    if (!strcmp(k, "spice_preload"))
        return set_string(&cfg->spice_preload, v);
    if (!strcmp(k, "extra"))
        return split_extra(cfg, v);
    snprintf(err, errlen, "unknown key '%s'", k);
    return -1;
}

int floe_vm_config_load(const char *path, struct floe_vm_config *cfg, char *err, size_t errlen)
{
    char line[4096], msg[512];
    int lineno = 0, rc = 0;
    FILE *f;

    memset(cfg, 0, sizeof(*cfg));
    cfg->memory_mib = 512;
    cfg->cpus = 1;
    cfg->kvm_probe_seconds = 5;
    cfg->stop_timeout = 10;
    cfg->usb_redir = 2;
    cfg->monitors = 1;
    f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot read VM config %s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        char *s = trim(line), *eq;

        lineno++;
        if (!*s || *s == '#')
            continue;
        eq = strchr(s, '=');
        msg[0] = 0;
        if (!eq) {
            snprintf(msg, sizeof(msg), "expected key = value");
            rc = -1;
        } else {
            *eq = 0;
            rc = set_key(cfg, trim(s), trim(eq + 1), msg, sizeof(msg));
            if (rc < 0 && !msg[0])
                snprintf(msg, sizeof(msg), "out of memory");
        }
        if (rc < 0)
            snprintf(err, errlen, "%s:%d: %s", path, lineno, msg);
    }
    fclose(f);
    if (rc == 0 && cfg->template_file && cfg->disk) {
        snprintf(err, errlen, "%s: disk and template exclude each other", path);
        rc = -1;
    } else if (rc == 0 && cfg->overlay && !cfg->template_file) {
        snprintf(err, errlen, "%s: overlay needs a template", path);
        rc = -1;
    }
    if (rc < 0)
        floe_vm_config_clear(cfg);
    return rc;
}

void floe_vm_config_clear(struct floe_vm_config *cfg)
{
    free(cfg->disk);
    free(cfg->kernel);
    free(cfg->initrd);
    free(cfg->append);
    free(cfg->cdrom);
    free(cfg->template_file);
    free(cfg->overlay);
    free(cfg->spice_lib);
    free(cfg->spice_preload);
    free(cfg->spice.host);
    free(cfg->spice.unix_path);
    free(cfg->spice.password_file);
    free(cfg->spice.image_compression);
    free(cfg->spice.jpeg_wan);
    free(cfg->spice.zlib_glz_wan);
    free(cfg->spice.streaming_video);
    for (int i = 0; i < cfg->n_extra; i++)
        free(cfg->extra[i]);
    free(cfg->extra);
    memset(cfg, 0, sizeof(*cfg));
}
