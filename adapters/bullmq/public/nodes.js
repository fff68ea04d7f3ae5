// The nodes and devices panel: polls /api/nodes (the workers' heartbeats
// and the recent jobs of every queue) and redraws. Plain DOM, no build.
'use strict';

const POLL_MS = 2000;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'testid') e.dataset.testid = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? '' : String(c)));
  return e;
}

// A job's GPU as the attribution has it: null means the job's node has no
// GPU and the job ran on the CPU.
function gpuText(gpu) {
  if (!gpu) return 'CPU only';
  const index = gpu.index === null || gpu.index === undefined ? '' : ` #${gpu.index}`;
  return `${gpu.name || gpu.uuid || 'GPU'}${index}`;
}

function gpuCell(gpu) {
  return el('td', { class: gpu ? 'gpu' : 'gpu-none', testid: 'gpu' }, gpuText(gpu));
}

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : '';
}

function pct(p) {
  return Math.max(0, Math.min(100, Number(p) || 0));
}

// Each device with what runs on it now (the heartbeat's per-device
// `running`): its state is "busy" while a job is on it, else what `ladder
// devices` said at start-up.
function deviceTable(devices) {
  if (!devices.length) return el('p', { class: 'empty' }, 'no devices reported');
  const body = el('tbody');
  for (const d of devices) {
    const on = Array.isArray(d.running) ? d.running : [];
    const now = on.length
      ? on.map((j) => `${j.queue} ${j.id}: ${j.stage || ''} ${pct(j.percent)}%`).join(', ')
      : 'nothing';
    body.append(el('tr', { testid: 'device', 'data-device': d.id || d.kind, 'data-state': d.state || '' },
      el('td', null, d.kind), el('td', null, d.name), el('td', { class: `state-${d.state}`, testid: 'device-state' }, d.state || ''),
      el('td', { testid: 'device-now' }, now),
      el('td', null, d.role || ''), el('td', null, d.tier || ''), el('td', null, d.reason || '')));
  }
  return el('table', { class: 'devices' },
    el('thead', null, el('tr', null, ...['kind', 'device', 'state', 'running now', 'role', 'tier', 'reason'].map((h) => el('th', null, h)))), body);
}

function runningTable(node) {
  if (!node.running.length) return el('p', { class: 'empty' }, 'no job running');
  const body = el('tbody');
  for (const j of node.running) {
    const p = pct(j.progress && j.progress.percent);
    const devices = Array.isArray(j.devices) && j.devices.length ? j.devices.join(', ') : 'waiting for a host slot';
    body.append(el('tr', { testid: 'running-job', 'data-job': j.id, 'data-queue': j.queue },
      el('td', null, j.queue), el('td', { testid: 'job-id' }, j.id), el('td', null, j.class || ''),
      el('td', { testid: 'job-node' }, node.node), gpuCell(j.gpu), el('td', { testid: 'job-devices' }, devices),
      el('td', null, (j.progress && j.progress.stage) || ''),
      el('td', null, el('progress', { max: '100', value: String(p), testid: 'progress' }), ` ${p}%`)));
  }
  return el('table', { class: 'running' },
    el('thead', null, el('tr', null, ...['queue', 'job', 'class', 'node', 'GPU', 'on', 'stage', 'progress'].map((h) => el('th', null, h)))), body);
}

function renderNodes(nodes) {
  const box = document.getElementById('nodes');
  box.replaceChildren();
  if (!nodes.length) {
    box.append(el('p', { class: 'empty', testid: 'no-nodes' }, 'no live worker'));
    return;
  }
  for (const n of nodes) {
    box.append(el('div', { class: 'node', testid: 'node', 'data-node': n.node, 'data-worker': n.worker },
      el('h3', null, el('span', { testid: 'node-name' }, n.node), ` — tier ${n.tier || 'none'} — ${n.backend === 'nvenc' ? gpuText(n.gpu) : 'CPU only'}`),
      el('p', { class: 'meta' }, `worker ${n.worker} · queues ${n.queues.join(', ')} · up since ${time(n.started_at)} · beat ${time(n.updated_at)}`),
      deviceTable(n.devices || []),
      runningTable(n)));
  }
}

function renderRecent(recent) {
  const body = document.getElementById('recent');
  body.replaceChildren();
  for (const j of recent) {
    body.append(el('tr', { testid: 'recent-job', 'data-job': j.id, 'data-queue': j.queue },
      el('td', null, time(j.finished_at)), el('td', null, j.queue), el('td', null, j.id),
      el('td', { class: `status-${j.status}` }, j.status), el('td', null, j.class || ''),
      el('td', { testid: 'job-node' }, j.node || ''), el('td', null, j.tier || ''), gpuCell(j.gpu)));
  }
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const res = await fetch('api/nodes', { cache: 'no-store' });
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || res.statusText);
    renderNodes(data.nodes);
    renderRecent(data.recent);
    status.className = 'status';
    status.textContent = `${data.nodes.length} worker(s) · updated ${time(data.time)}`;
  } catch (err) {
    status.className = 'status error';
    status.textContent = `cannot read /api/nodes: ${err.message}`;
  }
  setTimeout(poll, POLL_MS);
}

poll();
