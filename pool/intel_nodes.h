/*
 * Private to pool/ (and its unit tests): Intel GPUs as the kernel lists
 * them, one DRM render node each, named by PCI address.
 *
 * An adapter is its PCI address; /dev/dri/renderD<N> is only how it is
 * reached today. N is neither an adapter index nor stable across hosts:
 * another vendor's GPU may hold renderD128, and an integrated GPU may come
 * after a discrete one. The Intel probe ties every oneVPL implementation to
 * one of these adapters, and the engine opens that adapter's own node.
 */
#ifndef LADDER_POOL_INTEL_NODES_H
#define LADDER_POOL_INTEL_NODES_H

#include <stdbool.h>
#include <stddef.h>

#define INTEL_NODES_MAX 16
#define INTEL_PCI_VENDOR 0x8086u

typedef struct intel_node {
    char path[32];             /* "/dev/dri/renderD129" */
    int minor;                 /* 129 */
    unsigned device_id;        /* PCI device id, 0x56a0 */
    bool pci_known;            /* the address below was read */
    unsigned domain, bus, slot, function;
    char bus_id[32];           /* "00000000:03:00.0", "" unknown */
} intel_node;

/*
 * The render nodes under sysfs_root (NULL: "/sys/class/drm") whose PCI
 * vendor is Intel, into out[0..max), in PCI address order (nodes without
 * one last, by minor). Returns how many; 0 when the directory is missing.
 * Never loads a library or opens a device: a host without Intel GPUs pays
 * for one directory read.
 */
int intel_nodes_scan(const char *sysfs_root, intel_node *out, int max);

/*
 * A PCI address as ladder writes bus ids for every vendor: NVIDIA's form
 * (nvidia-smi's, pool/nvidia_probe.c), domain in 8 hex digits, upper
 * case: "00000000:03:00.0".
 */
void intel_bus_id_format(char *buf, size_t size, unsigned domain, unsigned bus,
                         unsigned slot, unsigned function);

#endif /* LADDER_POOL_INTEL_NODES_H */
