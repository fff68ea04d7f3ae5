/* Private to engine/: playlists and the report, written at the end. */
#ifndef LADDER_ENGINE_OUTPUTS_H
#define LADDER_ENGINE_OUTPUTS_H

typedef struct ladder_session ladder_session;

/* Remove playlists and the report an earlier run left in the output dir. */
void outputs_remove_stale(ladder_session *s);
/* Media playlists, then the master playlist last: its presence means the
 * whole ladder is in place. Fills s->report. */
int outputs_write(ladder_session *s);
/* OUTDIR/report.json. */
int outputs_write_report(ladder_session *s);

#endif
