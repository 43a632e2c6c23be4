// What the page knows at a moment of the history: the bus events up to a
// cursor, folded by the runtime's own `project` (served from the runtime).
import { project } from '/project.js';

const FINAL = new Set(['exited', 'killed', 'failed']);

/**
 * The view after the first `count` events: the table rows (project's, plus
 * start and end times the table needs for durations) in order of appearance.
 */
export function viewAt(events, count) {
  const prefix = events.slice(0, count);
  const table = project(prefix);
  const times = new Map();
  for (const event of prefix) {
    if (event.type !== 'transition') continue;
    const time = times.get(event.ref) ?? { startTime: event.startTime, endAt: null, cmd: event.cmd };
    if (FINAL.has(event.to)) time.endAt = event.at;
    times.set(event.ref, time);
  }
  const rows = [...table.values()].map((row) => ({ ...row, ...times.get(row.ref) }));
  const at = prefix.length > 0 ? prefix[prefix.length - 1].at : null;
  return { prefix, rows, at };
}

/** The states a process went through and the moves between them, up to the cursor. */
export function pathOf(prefix, ref) {
  const visited = [];
  const moves = [];
  for (const event of prefix) {
    if (event.type !== 'transition' || event.ref !== ref) continue;
    visited.push(event.to);
    if (event.from) moves.push(`${event.from}>${event.to}`);
  }
  return { current: visited.length > 0 ? visited[visited.length - 1] : null, visited: new Set(visited), moves: new Set(moves) };
}

export function isFinal(state) {
  return FINAL.has(state);
}

/** `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** `HH:MM:SS.mmm` local time. */
export function formatTime(epochMs) {
  if (epochMs === null || epochMs === undefined) return '';
  const d = new Date(epochMs);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * The services after the events of `prefix`, folded from `service` events:
 * by name, in order of appearance, each with when it entered its state, since
 * when it is up, and when its next start is due while in backoff.
 */
export function servicesAt(prefix) {
  const services = new Map();
  for (const event of prefix) {
    if (event.type !== 'service') continue;
    const known = services.get(event.service);
    services.set(event.service, {
      name: event.service,
      state: event.to,
      restarts: event.restarts,
      ref: event.ref ?? known?.ref ?? null,
      // A pid only while a process runs: up or starting.
      pid: event.to === 'up' || event.to === 'starting' ? (event.pid ?? null) : null,
      exitCode: event.exitCode ?? known?.exitCode ?? null,
      since: event.at,
      upSince: event.to === 'up' ? (known?.state === 'up' ? known.upSince : event.at) : null,
      nextStartAt: event.to === 'backoff' && typeof event.delayMs === 'number' ? event.at + event.delayMs : null,
      gaveUp: event.to === 'failed',
    });
  }
  return services;
}

/** The states a service went through and the moves between them, up to the cursor. */
export function servicePathOf(prefix, name) {
  const visited = [];
  const moves = [];
  for (const event of prefix) {
    if (event.type !== 'service' || event.service !== name) continue;
    visited.push(event.to);
    if (event.from) moves.push(`${event.from}>${event.to}`);
  }
  return { current: visited.length > 0 ? visited[visited.length - 1] : null, visited: new Set(visited), moves: new Set(moves) };
}

/** Each command's task queue as its last `queue` event left it. */
export function queuesAt(prefix) {
  const queues = new Map();
  for (const event of prefix) {
    if (event.type === 'queue') queues.set(event.command, { command: event.command, running: event.running, queued: event.queued });
  }
  return queues;
}
