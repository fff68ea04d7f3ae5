/*
 * One progressive MP4 from CMAF tracks: the init segment and media segments
 * of each track (a rung's video, the audio renditions) are read back in
 * order as one fragmented stream and stream-copied into a single MP4 with
 * the moov at the front ("faststart"), so a browser's <video> or any
 * download player takes it directly. Nothing is re-encoded: the samples,
 * their timestamps and the decoder configuration are the segments' own, so
 * the frame count and the timeline equal the CMAF rendition's.
 *
 * The file appears atomically: it is written under a hidden temporary name
 * in the destination directory, flushed, and renamed; on failure nothing
 * named path exists.
 */
#ifndef LADDER_MP4_STITCH_H
#define LADDER_MP4_STITCH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_mp4_track {
    const char *init_path;              /* "OUT/video/720p/init.mp4" */
    const char *const *segment_paths;   /* in presentation order */
    size_t nb_segments;
    /* An alternative to an earlier track of its kind (a second language):
     * written disabled in the same alternate group, so players play the
     * first and offer this one. 0: enabled. */
    int alternate;
} ladder_mp4_track;

/*
 * Write path from nb_tracks tracks (at least one; each CMAF track holds one
 * stream). err receives one line naming the file concerned when it fails.
 * Returns 0, LADDER_EINVAL, LADDER_EINPUT_INVALID (a segment that does not
 * parse), LADDER_ENOSPC, LADDER_EOUTPUT, LADDER_EIO or LADDER_ENOMEM.
 */
int ladder_mp4_stitch(const char *path, const ladder_mp4_track *tracks, size_t nb_tracks,
                      char *err, size_t err_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_MP4_STITCH_H */
