/* Private to engine/: opening and probing the source. */
#ifndef LADDER_ENGINE_INPUT_H
#define LADDER_ENGINE_INPUT_H

typedef struct ladder_session ladder_session;

/* Open s->input, pick the video (and audio) stream, open the decoder and
 * fill the source description in s. Reports its own error. */
int input_open(ladder_session *s);

#endif
