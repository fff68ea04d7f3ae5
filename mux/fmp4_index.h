/*
 * Where things are inside a CMAF media segment file, read from its boxes:
 * what an HLS I-frame playlist needs to point a player at the key frame
 * that starts each segment without downloading the rest.
 */
#ifndef LADDER_FMP4_INDEX_H
#define LADDER_FMP4_INDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The byte range of a segment's first sample together with the boxes a
 * player needs to read it: from the start of the first moof to the end of
 * the first sample's data (moof, mdat header, sample). buf/size: the whole
 * segment file. Returns 0, or LADDER_EINPUT_INVALID when the boxes do not
 * say (no moof/traf/trun, a sample outside the file, sizes that overflow).
 */
int ladder_fmp4_first_sample_range(const uint8_t *buf, size_t size, int64_t *offset,
                                   int64_t *length);

/*
 * The first fragment's decode timeline: its tfdt (baseMediaDecodeTime, a
 * version 0 or 1 box) and the sum of its samples' durations (trun's, else
 * tfhd's default), both in the track's timescale. Returns 0, or
 * LADDER_EINPUT_INVALID when the boxes do not say (no tfdt, a trun without
 * durations and no default, sums that overflow).
 */
int ladder_fmp4_decode_times(const uint8_t *buf, size_t size, uint64_t *tfdt, uint64_t *duration);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_FMP4_INDEX_H */
