/*
 * Private to engine/: which device may encode which rung (rung_devices.c),
 * decided before the run by a pre-flight of every distinct encoder: the
 * codec invariant.
 */
#ifndef LADDER_ENGINE_RUNG_DEVICES_H
#define LADDER_ENGINE_RUNG_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

typedef struct ladder_session ladder_session;
typedef struct rung_ctx rung_ctx;

/* What one device may do on one rung (rung_ctx.on_device[d]). config and
 * config_size are written once by the pre-flight, before any worker
 * starts; usable and why by the pre-flight, then under progress_lock when
 * a device surprises (encode_worker.c's distrust_device()); chunks under
 * progress_lock by the workers. */
typedef struct rung_device {
    bool usable;                  /* its workers may take this rung's chunks */
    uint8_t *config;              /* the configuration its encoder produces */
    int config_size;
    char why[192];                /* why not usable: one line for log and report */
    int chunks;                   /* encoded here */
} rung_device;

/* The job's devices (or one CPU device) into session.devices. */
int rung_devices_init(ladder_session *s);
/* Lease slots of all devices together. */
int rung_devices_slots(const ladder_session *s);
/* Every device's encoder for every codec the resolved ladder uses. */
int rung_devices_resolve(ladder_session *s);
/* The pre-flight of rung r on every device: its canonical configuration
 * (and r->codecpar) from the first, usable or not for the others. */
int rung_devices_preflight(ladder_session *s, rung_ctx *r);
/* Devices and chunks per device into session.report. */
void rung_devices_report(ladder_session *s);
void rung_devices_close(rung_ctx *r);

#endif /* LADDER_ENGINE_RUNG_DEVICES_H */
