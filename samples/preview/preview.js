// The preview page of samples/serve.sh: plays the output's master.m3u8
// with hls.js or its manifest.mpd with dash.js (?format=hls|dash), lists
// the video levels (rungs) in a menu, plays the one chosen (or lets the
// player's ABR choose: "auto"), and shows the playing level's size and
// bitrate and the decoded picture size. window.preview lets a test read
// what the page knows.
'use strict';
(function () {
  const video = document.getElementById('video');
  const formatMenu = document.getElementById('format');
  const levelMenu = document.getElementById('level');
  const current = document.getElementById('current');
  const decoded = document.getElementById('decoded');
  const status = document.getElementById('status');
  const params = new URLSearchParams(location.search);
  const format = params.get('format') === 'dash' ? 'dash' : 'hls';
  // levels: [{width, height, bitrate, id}] in the player's order; the menu's values index it.
  const preview = { format, levels: [], playing: null, errors: [] };
  window.preview = preview;

  formatMenu.value = format;
  formatMenu.onchange = function () {
    params.set('format', formatMenu.value);
    location.search = params.toString();
  };

  function describe(level) {
    return level.width + 'x' + level.height + ', ' + Math.round(level.bitrate / 1000) + ' kb/s';
  }

  function fillMenu(levels) {
    preview.levels = levels;
    levels.forEach(function (level, i) { levelMenu.add(new Option(describe(level), String(i))); });
  }

  function showPlaying(index) {
    const level = preview.levels[index];
    preview.playing = level ? index : null;
    current.textContent = level ? describe(level) : '-';
  }

  function fail(message) {
    preview.errors.push(message);
    status.textContent = message;
  }

  video.addEventListener('resize', function () {
    decoded.textContent = video.videoWidth + 'x' + video.videoHeight;
  });
  video.addEventListener('error', function () {
    fail('video element: ' + (video.error ? video.error.code + ' ' + video.error.message : 'error'));
  });

  function startHls() {
    if (typeof Hls === 'undefined' || !Hls.isSupported()) return fail('hls.js cannot play here (no MSE)');
    const hls = new Hls();
    preview.player = hls;
    hls.on(Hls.Events.MANIFEST_PARSED, function () {
      fillMenu(hls.levels.map(function (l, i) { return { width: l.width, height: l.height, bitrate: l.bitrate, id: i }; }));
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, function (_, data) { showPlaying(data.level); });
    hls.on(Hls.Events.ERROR, function (_, data) {
      if (data.fatal) fail('hls.js: ' + data.type + ' ' + data.details);
    });
    // currentLevel switches at once (the buffer ahead is dropped): what a
    // viewer who picks a level expects to see; -1 gives ABR the choice back.
    levelMenu.onchange = function () { hls.currentLevel = Number(levelMenu.value); };
    hls.loadSource('/master.m3u8');
    hls.attachMedia(video);
  }

  function startDash() {
    if (typeof dashjs === 'undefined') return fail('dash.js did not load');
    const player = dashjs.MediaPlayer().create();
    preview.player = player;
    const E = dashjs.MediaPlayer.events;
    const indexOf = function (rep) {
      return rep ? preview.levels.findIndex(function (l) { return l.id === rep.id; }) : -1;
    };
    player.on(E.STREAM_INITIALIZED, function () {
      fillMenu(player.getRepresentationsByType('video').map(function (r) {
        return { width: r.width, height: r.height, bitrate: r.bandwidth, id: r.id };
      }));
      showPlaying(indexOf(player.getCurrentRepresentationForType('video')));
    });
    player.on(E.QUALITY_CHANGE_RENDERED, function (e) {
      if (e.mediaType === 'video') showPlaying(indexOf(e.newRepresentation));
    });
    player.on(E.ERROR, function (e) {
      const err = e.error || {};
      fail('dash.js: ' + (err.code === undefined ? '' : err.code + ' ') + (err.message || String(err)));
    });
    levelMenu.onchange = function () {
      const i = Number(levelMenu.value);
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: i < 0 } } } });
      // forceReplace: the buffer ahead is replaced, as hls.js's currentLevel does.
      if (i >= 0) player.setRepresentationForTypeById('video', preview.levels[i].id, true);
    };
    player.initialize(video, '/manifest.mpd', true);
  }

  if (format === 'dash') startDash();
  else startHls();
})();
