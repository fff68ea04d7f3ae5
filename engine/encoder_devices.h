/*
 * Private to engine/: one hardware device context per GPU, shared by the
 * session's encoders (encoder_devices.c says why). Any thread.
 */
#ifndef LADDER_ENGINE_ENCODER_DEVICES_H
#define LADDER_ENGINE_ENCODER_DEVICES_H

#include <libavutil/buffer.h>
#include <libavutil/hwcontext.h>

typedef struct encoder_devices encoder_devices;

int encoder_devices_init(encoder_devices **out);
void encoder_devices_close(encoder_devices **d);
/* A new reference in *out to the context of GPU gpu (Intel: of
 * render_node), made on first use; or a negative code (the device cannot
 * be opened). */
int encoder_devices_get(encoder_devices *d, enum AVHWDeviceType type, int gpu, const char *render_node,
                        AVBufferRef **out);

#endif /* LADDER_ENGINE_ENCODER_DEVICES_H */
