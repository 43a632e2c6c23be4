// The services panel: each supervised service as the events up to the
// slider left it (state, restarts, pid, up since, next restart, gave up), the
// picked one on serviceMachine's chart, and the task queues. Hidden until
// the page has seen a service or a queue.
import { el } from './dom.js';
import { formatDuration, formatTime, servicePathOf } from './timeline.js';

const $ = (id) => document.getElementById(id);
const NO_PATH = { current: null, visited: new Set(), moves: new Set() };

/**
 * `services` and `queues` as folded by timeline.js; `now` the time the
 * countdowns count to (the wall clock live, the slider's moment in replay);
 * `picked` the service the user chose, else the one that changed last is
 * shown; `pick(service)` is called when the user chooses one.
 */
export function renderServices({ prefix, services, queues, now, shown, picked, mark, pick }) {
  $('supervision').hidden = !shown;
  const selected = selectedService(prefix, services, picked);
  $('services').tBodies[0].replaceChildren(...[...services.values()].map((service) => serviceRow(service, selected === service.name, now, pick)));
  mark(selected === null ? NO_PATH : servicePathOf(prefix, selected));
  const service = selected === null ? null : services.get(selected);
  $('service-chart-title').textContent = service ? `${service.name} — ${service.state}` : '';

  const rows = [...queues.values()].map((queue) => el('tr', { dataset: { command: queue.command } },
    el('td', {}, queue.command),
    el('td', {}, queue.running ?? ''),
    el('td', {}, queue.queued.length),
    el('td', { class: 'path' }, queue.queued.length > 0 ? queue.queued[0].cmd.join(' ') : '')));
  $('queues').tBodies[0].replaceChildren(...rows);
  $('queues-empty').hidden = rows.length > 0;
}

function serviceRow(service, isSelected, now, pick) {
  const countdown = service.nextStartAt === null ? '' : el('span', { class: 'countdown' }, service.nextStartAt > now ? `in ${formatDuration(service.nextStartAt - now)}` : 'due');
  const tr = el('tr', { dataset: { service: service.name, state: service.state }, class: isSelected ? 'selected' : undefined, tabindex: 0 },
    el('td', {}, service.name),
    el('td', {}, el('span', { class: `state state-${service.state}` }, service.state)),
    el('td', {}, service.restarts),
    el('td', {}, service.pid ?? ''),
    el('td', {}, service.upSince === null ? '' : `${formatTime(service.upSince).slice(0, 8)} (${formatDuration(now - service.upSince)})`),
    el('td', {}, countdown),
    el('td', {}, service.gaveUp ? el('span', { class: 'gave-up' }, `after ${service.restarts} restart${service.restarts === 1 ? '' : 's'}`) : ''));
  tr.addEventListener('click', () => pick(service));
  tr.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') pick(service);
  });
  return tr;
}

function selectedService(prefix, services, picked) {
  if (picked !== null && services.has(picked)) return picked;
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i].type === 'service') return prefix[i].service;
  }
  return null;
}
