// One bus event as an item of the selected process's event list, and one
// log line of its tail. Text from children only ever becomes text nodes.
import { el } from './dom.js';
import { formatDuration, formatTime } from './timeline.js';

export function eventItem(event) {
  const head = [el('span', { class: 'seq' }, `#${event.seq}`), el('span', { class: 'time' }, formatTime(event.at)), el('span', { class: 'type' }, event.type)];
  if (event.type === 'transition') {
    const facts = [
      event.pid !== undefined ? `pid ${event.pid}` : null,
      event.exitCode !== undefined ? `exit ${event.exitCode}` : null,
      event.signal ?? null,
      event.error ?? null,
    ].filter(Boolean);
    return el('li', { dataset: { type: 'transition', to: event.to } }, ...head,
      el('span', { class: 'move' }, `${event.from ?? '∅'} → `, el('span', { class: `state state-${event.to}` }, event.to)),
      facts.length > 0 ? el('span', { class: 'facts' }, facts.join(' · ')) : null);
  }
  if (event.type === 'service') {
    const facts = [
      `service ${event.service}`,
      `restarts ${event.restarts}`,
      event.exitCode !== undefined ? `exit ${event.exitCode}` : null,
      event.delayMs !== undefined ? `next start in ${formatDuration(event.delayMs)}` : null,
    ].filter(Boolean);
    return el('li', { dataset: { type: 'service', to: event.to } }, ...head,
      el('span', { class: 'move' }, `${event.from ?? '∅'} → `, el('span', { class: `state state-${event.to}` }, event.to)),
      el('span', { class: 'facts' }, facts.join(' · ')));
  }
  return el('li', { dataset: { type: 'log', kind: event.kind } }, ...head, el('span', { class: 'move' }, event.kind),
    el('span', { class: 'facts' }, event.error ? `${event.path} · ${event.error}` : event.path));
}

export function logLine(time, stream, text) {
  return el('div', { class: `line stream-${stream}` }, el('span', { class: 'time' }, time), el('span', { class: 'stream' }, stream === 'stderr' ? 'err' : 'out'), el('span', { class: 'text' }, text));
}
