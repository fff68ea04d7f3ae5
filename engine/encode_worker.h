/*
 * Private to engine/: the encoder workers (encode_worker.c), one thread
 * per lease.
 */
#ifndef LADDER_ENGINE_ENCODE_WORKER_H
#define LADDER_ENGINE_ENCODE_WORKER_H

/* The thread: arg is the ladder_session. */
void *encode_worker_main(void *arg);

#endif /* LADDER_ENGINE_ENCODE_WORKER_H */
