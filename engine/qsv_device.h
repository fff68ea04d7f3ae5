/*
 * Private to engine/ and its unit test: an Intel adapter as a libavutil
 * QSV device (qsv_device.c), for the encoders and the decoder alike.
 */
#ifndef LADDER_ENGINE_QSV_DEVICE_H
#define LADDER_ENGINE_QSV_DEVICE_H

#include <stddef.h>

#include <libavutil/buffer.h>

/* The adapter at render_node (the inventory's, "/dev/dri/renderD129";
 * NULL or "" = FFmpeg's default) as a QSV device; node gets what was
 * opened, for messages. An AVERROR on failure. */
int qsv_device_create(AVBufferRef **out, const char *render_node, char *node, size_t node_size);

#endif /* LADDER_ENGINE_QSV_DEVICE_H */
