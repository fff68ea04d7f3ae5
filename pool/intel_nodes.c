/*
 * Intel render nodes from sysfs: see intel_nodes.h.
 *
 * /sys/class/drm/renderD<N>/device is a link to the PCI function
 * (.../0000:03:00.0); its vendor and device files hold "0x8086", "0x56a0".
 * Tests point the scan at a tree of their own with the same shape.
 */
#include "intel_nodes.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRM_SYSFS_DEFAULT "/sys/class/drm"

void intel_bus_id_format(char *buf, size_t size, unsigned domain, unsigned bus,
                         unsigned slot, unsigned function)
{
    snprintf(buf, size, "%08X:%02X:%02X.%X", domain, bus & 0xffu, slot & 0x1fu,
             function & 0x7u);
}

/* A sysfs attribute holding one hexadecimal number ("0x8086\n"). */
static bool read_hex(const char *path, unsigned *value)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    char text[32] = "";
    bool ok = fgets(text, sizeof(text), f) != NULL;
    fclose(f);
    char *end = NULL;
    errno = 0;
    unsigned long v = ok ? strtoul(text, &end, 16) : 0;
    if (!ok || errno || end == text || v > 0xffffffffUL)
        return false;
    *value = (unsigned)v;
    return true;
}

/* "renderD129" -> 129; anything else (card0, renderD129-DP-1) -> -1. */
static int render_minor(const char *name)
{
    if (strncmp(name, "renderD", 7) || name[7] < '0' || name[7] > '9')
        return -1;
    char *end = NULL;
    long minor = strtol(name + 7, &end, 10);
    return *end || minor > 100000 ? -1 : (int)minor;
}

/* The PCI address is the name of the function's directory, which the
 * device link resolves to: "0000:03:00.0". */
static void read_pci_address(const char *device_link, intel_node *node)
{
    char target[PATH_MAX];
    if (!realpath(device_link, target))
        return;
    const char *name = strrchr(target, '/');
    name = name ? name + 1 : target;
    char tail;
    if (sscanf(name, "%x:%x:%x.%x%c", &node->domain, &node->bus, &node->slot,
               &node->function, &tail) != 4)
        return;
    node->pci_known = true;
    intel_bus_id_format(node->bus_id, sizeof(node->bus_id), node->domain, node->bus,
                        node->slot, node->function);
}

/* Fill *node from <root>/<name>; false when it is not an Intel GPU. */
static bool read_node(const char *root, const char *name, int minor, intel_node *node)
{
    char path[PATH_MAX];
    unsigned vendor = 0;
    snprintf(path, sizeof(path), "%s/%s/device/vendor", root, name);
    if (!read_hex(path, &vendor) || vendor != INTEL_PCI_VENDOR)
        return false;
    memset(node, 0, sizeof(*node));
    node->minor = minor;
    snprintf(node->path, sizeof(node->path), "/dev/dri/renderD%d", minor);
    snprintf(path, sizeof(path), "%s/%s/device/device", root, name);
    if (!read_hex(path, &node->device_id))
        return false;
    snprintf(path, sizeof(path), "%s/%s/device", root, name);
    read_pci_address(path, node);
    return true;
}

static int pci_order(const void *pa, const void *pb)
{
    const intel_node *a = pa, *b = pb;
    if (a->pci_known != b->pci_known)
        return a->pci_known ? -1 : 1;
    const unsigned ka[] = { a->domain, a->bus, a->slot, a->function, (unsigned)a->minor };
    const unsigned kb[] = { b->domain, b->bus, b->slot, b->function, (unsigned)b->minor };
    for (size_t i = 0; i < sizeof(ka) / sizeof(ka[0]); i++)
        if (ka[i] != kb[i])
            return ka[i] < kb[i] ? -1 : 1;
    return 0;
}

int intel_nodes_scan(const char *sysfs_root, intel_node *out, int max)
{
    const char *root = sysfs_root ? sysfs_root : DRM_SYSFS_DEFAULT;
    DIR *dir = opendir(root);
    if (!dir)
        return 0;
    int count = 0;
    struct dirent *entry;
    while (count < max && (entry = readdir(dir)) != NULL) {
        int minor = render_minor(entry->d_name);
        if (minor >= 0 && read_node(root, entry->d_name, minor, &out[count]))
            count++;
    }
    closedir(dir);
    qsort(out, (size_t)count, sizeof(*out), pci_order);
    return count;
}
