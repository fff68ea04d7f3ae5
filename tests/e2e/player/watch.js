// Shared by the player pages (index.html for hls.js, shaka.html): watch a
// <video> element while lib/player.mjs switches levels during playback
// (playHlsSwitching / playShakaSwitching). Records, without judging:
//   waiting   'waiting' events after playback first started (stalls)
//   resizes   every change of videoWidth x videoHeight, with currentTime
//   jumps     currentTime going backwards, or forwards by more than
//             maxJumpSeconds beyond what the wall clock x playbackRate
//             explains (sampled every 50 ms; no seek is ever asked)
//   frozen    stretches of at least frozenMs where the element was playing
//             (not paused, not ended) but currentTime did not move
//   buffered  video.buffered, whenever mark(why) is called and at the end
'use strict';
window.watchVideo = function (video, options) {
  const o = Object.assign({ maxJumpSeconds: 0.5, frozenMs: 750, sampleMs: 50 }, options || {});
  const W = {
    options: o, waiting: [], resizes: [], jumps: [], frozen: [], buffered: [], samples: 0,
    firstPlayingAt: null, endedAt: null,
  };
  const now = function () { return performance.now(); };
  const ranges = function () {
    const r = [];
    for (let i = 0; i < video.buffered.length; i++) r.push([video.buffered.start(i), video.buffered.end(i)]);
    return r;
  };
  W.mark = function (why) { W.buffered.push({ why: why, t: now(), currentTime: video.currentTime, ranges: ranges() }); };
  video.addEventListener('playing', function () { if (W.firstPlayingAt === null) W.firstPlayingAt = now(); });
  video.addEventListener('waiting', function () {
    if (W.firstPlayingAt !== null && !video.ended) {
      W.waiting.push({ t: now(), currentTime: video.currentTime, readyState: video.readyState, buffered: ranges() });
    }
  });
  video.addEventListener('resize', function () {
    W.resizes.push({ t: now(), currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight });
  });
  video.addEventListener('ended', function () { W.endedAt = now(); W.mark('ended'); });

  let prev = null;
  let stillSince = null;
  W.timer = setInterval(function () {
    const cur = {
      t: now(), ct: video.currentTime, paused: video.paused, seeking: video.seeking, ended: video.ended,
      rate: video.playbackRate,
    };
    W.samples++;
    const playing = W.firstPlayingAt !== null && !cur.paused && !cur.ended && !cur.seeking;
    if (prev && !prev.seeking && !cur.seeking) {
      const d = cur.ct - prev.ct;
      const wall = (cur.t - prev.t) / 1000;
      const explained = prev.paused || prev.ended ? 0 : wall * prev.rate;
      if (d < -0.001) {
        W.jumps.push({ kind: 'backward', from: prev.ct, to: cur.ct, wallMs: Math.round(wall * 1000) });
      } else if (d - explained > o.maxJumpSeconds) {
        W.jumps.push({ kind: 'forward', from: prev.ct, to: cur.ct, wallMs: Math.round(wall * 1000), excess: d - explained });
      }
    }
    if (playing && prev && cur.ct === prev.ct) {
      if (stillSince === null) stillSince = { t: prev.t, ct: cur.ct };
    } else {
      if (stillSince !== null && prev && prev.t - stillSince.t >= o.frozenMs) {
        W.frozen.push({ currentTime: stillSince.ct, ms: Math.round(prev.t - stillSince.t) });
      }
      stillSince = null;
    }
    prev = cur;
  }, o.sampleMs);
  W.finish = function () {
    clearInterval(W.timer);
    if (stillSince !== null && prev && prev.t - stillSince.t >= o.frozenMs) {
      W.frozen.push({ currentTime: stillSince.ct, ms: Math.round(prev.t - stillSince.t), atFinish: true });
    }
    W.mark('finish');
    return {
      waiting: W.waiting, resizes: W.resizes, jumps: W.jumps, frozen: W.frozen, buffered: W.buffered,
      samples: W.samples, firstPlayingAt: W.firstPlayingAt, endedAt: W.endedAt, options: W.options,
    };
  };
  return W;
};
