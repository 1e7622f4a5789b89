/* The libraries a shared object names in its DT_NEEDED entries, read from
 * its ELF file: how the VM host learns that floe's library needs libasan. */
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmhost/vm-priv.h"

#define ELF_PART_MAX (16u << 20)   /* section tables and strings past this are not ours */

/* size bytes at off, in a new buffer; NULL when the file is shorter */
static void *read_at(int fd, uint64_t off, uint64_t size)
{
    void *b;

    if (size == 0 || size > ELF_PART_MAX || off > (uint64_t)INT64_MAX - size)
        return NULL;
    b = malloc(size);
    if (b && pread(fd, b, size, (off_t)off) != (ssize_t)size) {
        free(b);
        b = NULL;
    }
    return b;
}

/* The first name starting with prefix among dyn's DT_NEEDED entries, whose
 * strings are str (n bytes): 1 copied into out, 0 none. */
static int find_needed(const Elf64_Dyn *dyn, size_t n_dyn, const char *str, uint64_t n,
                       const char *prefix, char *out, size_t outlen)
{
    for (size_t i = 0; i < n_dyn && dyn[i].d_tag != DT_NULL; i++) {
        const char *name;

        if (dyn[i].d_tag != DT_NEEDED || dyn[i].d_un.d_val >= n)
            continue;
        name = str + dyn[i].d_un.d_val;
        if (!memchr(name, 0, n - dyn[i].d_un.d_val) || strncmp(name, prefix, strlen(prefix)))
            continue;
        if (strlen(name) >= outlen)
            return 0;
        strcpy(out, name);
        return 1;
    }
    return 0;
}

/* The dynamic section of a 64-bit ELF file and the string table it links to. */
static int scan_sections(int fd, const Elf64_Ehdr *eh, const char *prefix, char *out,
                         size_t outlen)
{
    Elf64_Shdr *sh;
    int found = 0;

    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum == 0)
        return -1;
    sh = read_at(fd, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(*sh));
    if (!sh)
        return -1;
    for (unsigned i = 0; i < eh->e_shnum && !found; i++) {
        const Elf64_Shdr *ds = &sh[i], *ss;
        Elf64_Dyn *dyn;
        char *str;

        if (ds->sh_type != SHT_DYNAMIC || ds->sh_link >= eh->e_shnum)
            continue;
        ss = &sh[ds->sh_link];
        dyn = read_at(fd, ds->sh_offset, ds->sh_size);
        str = read_at(fd, ss->sh_offset, ss->sh_size);
        if (dyn && str)
            found = find_needed(dyn, ds->sh_size / sizeof(*dyn), str, ss->sh_size, prefix,
                                out, outlen);
        free(dyn);
        free(str);
    }
    free(sh);
    return found;
}

int vm_elf_needed(const char *path, const char *prefix, char *out, size_t outlen)
{
    Elf64_Ehdr eh;
    int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

    if (fd < 0)
        return -1;
    if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) &&
        !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
        eh.e_ident[EI_DATA] == ELFDATA2LSB)
        rc = scan_sections(fd, &eh, prefix, out, outlen);
    close(fd);
    return rc;
}
