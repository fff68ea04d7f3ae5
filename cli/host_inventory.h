/*
 * The host's device inventory for one command, probed at most once: a probe
 * opens a CUDA context per GPU (a fraction of a second each), and `ladder
 * encode` asks for it while routing, resolving --devices, applying tiers
 * and choosing the decode device.
 */
#ifndef LADDER_CLI_HOST_INVENTORY_H
#define LADDER_CLI_HOST_INVENTORY_H

#include <stdbool.h>

#include "ladder/device_inventory.h"

typedef struct host_inventory {
    ladder_device_inventory *inventory;
    int err;                      /* the probe's result, once probed */
    bool probed;
} host_inventory;

/* The inventory, probed on first use; 0, or the probe's error every time. */
int host_inventory_get(host_inventory *h, const ladder_device_inventory **out);

/*
 * Its devices copied into an array the caller frees (never NULL on 0, even
 * with no device), *nb their count, and why the host has no NVIDIA device
 * ("" when it has some; owned by h).
 */
int host_inventory_devices(host_inventory *h, ladder_device_info **devices, int *nb, const char **nvidia_reason);

void host_inventory_close(host_inventory *h);

#endif
