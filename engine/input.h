/* Private to engine/: opening and probing the source. */
#ifndef LADDER_ENGINE_INPUT_H
#define LADDER_ENGINE_INPUT_H

typedef struct ladder_session ladder_session;
struct AVPacket;

/* Open s->input, pick the video (and audio) stream, open the decoder and
 * fill the source description in s. Reports its own error. */
int input_open(ladder_session *s);

/* The input's next packet, as av_read_frame(): the ones input_open() read
 * to measure the frame rate first (engine/frame_rate.h), then the rest. */
int input_read_packet(ladder_session *s, struct AVPacket *pkt);

/* Close the input and free what input_open() kept of it. */
void input_close(ladder_session *s);

#endif
