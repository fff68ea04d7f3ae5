/*
 * Replayed inventories (pool/inventory_file.c, $LADDER_INVENTORY_FILE):
 * any file either loads or is refused with a reason; a loaded inventory
 * has known kinds, NUL-terminated strings, per-vendor indexes that count
 * up from 0, and vendor counts that add up to the devices.
 */
#include "fuzz.h"

#include "ladder/device_inventory.h"
#include "ladder/error.h"

const char *fuzz_write_temp(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size);
    if (!path)
        return 0;
    ladder_device_inventory *inv = NULL;
    char err[512];
    err[0] = '\0';
    int ret = ladder_device_inventory_load(&inv, path, err, sizeof(err));
    if (ret) {
        FUZZ_CHECK(ret == LADDER_ECONFIG || ret == LADDER_ENOMEM);
        FUZZ_CHECK(inv == NULL && (ret == LADDER_ENOMEM || err[0] != '\0'));
        return 0;
    }
    int n = ladder_device_inventory_count(inv);
    int per_kind[LADDER_DEVICE_KIND_COUNT] = { 0 };
    for (int i = 0; i < n; i++) {
        const ladder_device_info *d = ladder_device_inventory_device(inv, i);
        FUZZ_CHECK(d && d->index == i);
        FUZZ_CHECK((int)d->kind >= 0 && d->kind < LADDER_DEVICE_KIND_COUNT);
        FUZZ_CHECK(d->vendor_index == per_kind[d->kind]);
        per_kind[d->kind]++;
        FUZZ_CHECK(memchr(d->name, '\0', sizeof(d->name)) && memchr(d->uuid, '\0', sizeof(d->uuid)));
        FUZZ_CHECK(memchr(d->reason, '\0', sizeof(d->reason)));
        for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
            FUZZ_CHECK(memchr(d->encode[c].note, '\0', sizeof(d->encode[c].note)) &&
                       memchr(d->decode[c].library_name, '\0', sizeof(d->decode[c].library_name)));
    }
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++)
        FUZZ_CHECK(ladder_device_inventory_vendor(inv, (enum ladder_device_kind)k)->devices == per_kind[k]);
    ladder_device_inventory_close(inv);
    return 0;
}
