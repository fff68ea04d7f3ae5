/* See host_inventory.h. */
#include "host_inventory.h"

#include <stdlib.h>

#include "ladder/error.h"

int host_inventory_get(host_inventory *h, const ladder_device_inventory **out)
{
    if (!h->probed) {
        h->err = ladder_device_inventory_probe(&h->inventory);
        h->probed = true;
    }
    *out = h->inventory;
    return h->err;
}

int host_inventory_devices(host_inventory *h, ladder_device_info **devices, int *nb, const char **nvidia_reason)
{
    const ladder_device_inventory *inv = NULL;
    int err = host_inventory_get(h, &inv);
    if (err)
        return err;
    int n = ladder_device_inventory_count(inv);
    ladder_device_info *copy = calloc((size_t)(n > 0 ? n : 1), sizeof(*copy));
    if (!copy)
        return LADDER_ENOMEM;
    for (int i = 0; i < n; i++)
        copy[i] = *ladder_device_inventory_device(inv, i);
    const ladder_vendor_status *nv = ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA);
    *devices = copy;
    *nb = n;
    *nvidia_reason = nv ? nv->reason : "";
    return 0;
}

void host_inventory_close(host_inventory *h)
{
    ladder_device_inventory_close(h->inventory);
    h->inventory = NULL;
    h->probed = false;
}
