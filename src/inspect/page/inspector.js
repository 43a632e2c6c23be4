// The inspector page: keeps the bus events it was sent, and renders the
// table, the chart, the selected process's events and its log tail as they
// were after the event under the history slider (the last one when live).
import { drawChart } from './chart-view.js';
import { el } from './dom.js';
import { eventItem, logLine } from './events-view.js';
import { renderServices } from './services-view.js';
import { formatDuration, formatTime, isFinal, pathOf, queuesAt, servicesAt, viewAt } from './timeline.js';

/** Line events kept in the page; lifecycle events are always kept. */
const MAX_LINES = 20000;
const TAIL = 300;
const EVENTS_SHOWN = 200;

const state = {
  events: [],
  lastSeq: 0,
  lines: 0,
  earlier: [],
  /** null: live (follow the newest event); else how many events the slider shows. */
  cursor: null,
  /** The ref the user picked; null: follow the newest process. */
  picked: null,
  connected: false,
  mark: () => {},
  /** The service the user picked; null: follow the one that changed last. */
  pickedService: null,
  markService: () => {},
  /** Processes this page got line events of: their tail comes from those, never from the file (which may be ahead of the slider). */
  refsWithLines: new Set(),
  /** A service or queue event was seen: the services panel is shown (also when replayed to before it). */
  supervised: false,
};

const noteSupervised = (event) => {
  if (event.type === 'service' || event.type === 'queue') state.supervised = true;
};

const $ = (id) => document.getElementById(id);

function receive(events) {
  for (const event of events) {
    // The stream repeats what the history on connect already held.
    if (event.seq <= state.lastSeq) continue;
    state.events.push(event);
    state.lastSeq = event.seq;
    noteSupervised(event);
    if (event.type === 'line') {
      state.lines++;
      state.refsWithLines.add(event.ref);
    }
  }
  if (state.lines > MAX_LINES) trimLines();
  scheduleRender();
}

function trimLines() {
  let excess = state.lines - MAX_LINES;
  const kept = [];
  let dropped = 0;
  for (const event of state.events) {
    if (excess > 0 && event.type === 'line') {
      excess--;
      dropped++;
      continue;
    }
    kept.push(event);
  }
  state.events = kept;
  state.lines -= dropped;
  if (state.cursor !== null) state.cursor = Math.max(0, state.cursor - dropped);
}

let renderTimer = null;
function scheduleRender() {
  if (renderTimer !== null) return;
  renderTimer = setTimeout(() => {
    renderTimer = null;
    render();
  }, 30);
}

function render() {
  const total = state.events.length;
  const count = state.cursor === null ? total : Math.min(state.cursor, total);
  const view = viewAt(state.events, count);
  const known = new Set(view.rows.map((row) => row.ref));
  const earlier = state.earlier.filter((process) => !known.has(process.ref));
  const selected = selectedRef(view, earlier);
  const now = state.cursor === null ? Date.now() : view.at;

  renderSlider(count, total, view.at);
  renderTable(view.rows, earlier, selected, now);
  renderSelected(view, selected, earlier);
  const services = servicesAt(view.prefix);
  renderServices({
    prefix: view.prefix,
    services,
    queues: queuesAt(view.prefix),
    now,
    shown: state.supervised,
    picked: state.pickedService,
    mark: state.markService,
    // Picking a service shows its current (or last) process below.
    pick: (service) => {
      state.pickedService = service.name;
      if (service.ref) state.picked = service.ref;
      render();
    },
  });
  $('summary').textContent = summarize(view.rows, earlier, services);
}


function selectedRef(view, earlier) {
  const refs = new Set([...view.rows.map((row) => row.ref), ...earlier.map((process) => process.ref)]);
  if (state.picked !== null && refs.has(state.picked)) return state.picked;
  // Follow the newest process until the user picks one.
  for (let i = view.prefix.length - 1; i >= 0; i--) {
    const event = view.prefix[i];
    if (event.type === 'transition' && event.from === null) return event.ref;
  }
  return earlier.length > 0 ? earlier[earlier.length - 1].ref : null;
}

function renderSlider(count, total, at) {
  const slider = $('slider');
  slider.max = String(total);
  slider.value = String(count);
  const live = state.cursor === null;
  $('live').setAttribute('aria-pressed', String(live));
  document.body.classList.toggle('replaying', !live);
  $('position').textContent = `${live ? 'live' : 'replay'} · event ${count} of ${total}${at ? ` · ${formatTime(at)}` : ''}`;
}

function renderTable(rows, earlier, selected, now) {
  const body = $('processes').tBodies[0];
  const trs = rows.map((row) => {
    const duration = row.startTime === undefined ? null : (row.endAt ?? now) - row.startTime;
    return tableRow(row.ref, selected, row.state, [
      row.name,
      row.ref,
      row.pid ?? '',
      el('span', { class: `state state-${row.state}` }, row.state),
      row.exitCode ?? '',
      formatDuration(duration),
      el('span', { class: 'path', title: row.logPath }, row.logPath),
    ]);
  });
  for (const process of earlier) {
    trs.push(tableRow(process.ref, selected, 'logged', [
      process.name,
      process.ref,
      '',
      el('span', { class: 'state state-logged', title: 'ran before the inspector started: known from its log only' }, 'logged'),
      '',
      '',
      el('span', { class: 'path', title: process.logPath }, process.logPath),
    ]));
  }
  body.replaceChildren(...trs);
  $('empty').hidden = trs.length > 0;
}

function tableRow(ref, selected, stateName, cells) {
  const tr = el('tr', { dataset: { ref, state: stateName }, class: ref === selected ? 'selected' : undefined, tabindex: 0 }, ...cells.map((cell) => el('td', {}, cell)));
  const pick = () => {
    state.picked = ref;
    render();
  };
  tr.addEventListener('click', pick);
  tr.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') pick();
  });
  return tr;
}

function renderSelected(view, ref, earlier) {
  const row = view.rows.find((r) => r.ref === ref);
  const logged = earlier.find((process) => process.ref === ref) ?? state.earlier.find((process) => process.ref === ref);
  const path = row ? pathOf(view.prefix, ref) : { current: null, visited: new Set(), moves: new Set() };
  state.mark(path);
  const label = row ? `${row.name} · ${ref}` : logged ? `${logged.name} · ${ref}` : '';
  $('chart-title').textContent = row ? `${label} — ${row.state}` : logged ? `${label} — state unknown (ran before the inspector)` : '';
  $('events-title').textContent = label;
  $('log-title').textContent = label;

  const mine = ref === null ? [] : view.prefix.filter((event) => event.ref === ref);
  const lifecycle = mine.filter((event) => event.type !== 'line');
  const lineCount = mine.length - lifecycle.length;
  const items = lifecycle.slice(-EVENTS_SHOWN).map(eventItem);
  if (lineCount > 0) items.push(el('li', { class: 'event-lines' }, `${lineCount} line event${lineCount === 1 ? '' : 's'} (in the log tail)`));
  $('events').replaceChildren(...items);

  const tail = mine.filter((event) => event.type === 'line').slice(-TAIL);
  // A process this page saw no line of (it ran before the page, or in another runtime): its log file's tail.
  const logPath = row?.logPath || logged?.logPath;
  const fromFile = state.refsWithLines.has(ref) ? [] : logged?.tail?.length ? logged.tail : logPath ? fileTail(ref, logPath, row?.state ?? 'logged') : [];
  const lines = [
    ...fromFile.slice(-(TAIL - tail.length)).map((l) => logLine(l.time.slice(11), l.stream, l.line)),
    ...tail.map((event) => logLine(formatTime(event.at), event.stream, event.line)),
  ];
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 24;
  log.replaceChildren(...lines);
  if (atBottom) log.scrollTop = log.scrollHeight;
}

/** Log tails read from the journal, by ref and state (a process that moved on is read again). */
const tails = new Map();

function fileTail(ref, logPath, stateName) {
  const key = `${ref}|${stateName}`;
  const known = tails.get(key);
  if (known) return known.lines;
  tails.set(key, { lines: [] });
  fetch(`/log?path=${encodeURIComponent(logPath)}`)
    .then((response) => (response.ok ? response.json() : { lines: [] }))
    .then((body) => {
      tails.set(key, { lines: body.lines });
      scheduleRender();
    })
    .catch(() => {});
  return [];
}

function summarize(rows, earlier, services) {
  const live = rows.filter((row) => !isFinal(row.state)).length;
  const ended = rows.length - live;
  const parts = [`${live} running`, `${ended} ended`];
  if (services.size > 0) parts.unshift(`${[...services.values()].filter((s) => s.state === 'up').length} of ${services.size} services up`);
  if (earlier.length > 0) parts.push(`${earlier.length} from the journal`);
  return parts.join(' · ');
}

function connect() {
  const source = new EventSource('/events');
  source.addEventListener('open', () => setConnection('live'));
  source.addEventListener('error', () => setConnection(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  source.addEventListener('hello', (message) => {
    const hello = JSON.parse(message.data);
    // A (re)connect brings everything again, in pieces: start over.
    state.events = [];
    state.lastSeq = 0;
    state.lines = 0;
    state.earlier = [];
    state.supervised = false;
    state.refsWithLines = new Set();
    if (state.cursor !== null) state.cursor = Math.min(state.cursor, hello.replay + hello.history);
    scheduleRender();
  });
  source.addEventListener('earlier', (message) => {
    state.earlier.push(...JSON.parse(message.data));
    scheduleRender();
  });
  // The journal's event log from before this runtime: its own seqs, so kept as they come, before the bus's.
  source.addEventListener('replay', (message) => {
    for (const event of JSON.parse(message.data)) {
      state.events.push({ ...event, replayed: true });
      noteSupervised(event);
    }
    scheduleRender();
  });
  source.addEventListener('history', (message) => receive(JSON.parse(message.data)));
  source.addEventListener('batch', (message) => receive(JSON.parse(message.data)));
}

function setConnection(status) {
  const node = $('connection');
  node.dataset.status = status;
  node.textContent = { live: 'connected', reconnecting: 'disconnected — retrying', closed: 'disconnected' }[status];
}

function wireControls() {
  $('slider').addEventListener('input', (event) => {
    const value = Number(event.target.value);
    state.cursor = value >= state.events.length ? null : value;
    render();
  });
  $('live').addEventListener('click', () => {
    state.cursor = null;
    render();
  });
  // Durations of running processes grow while nothing else happens.
  setInterval(() => {
    if (state.cursor === null) scheduleRender();
  }, 1000);
}

async function main() {
  wireControls();
  const [chart, serviceChart] = await Promise.all([fetch('/chart.json'), fetch('/service-chart.json')].map(async (response) => (await response).json()));
  state.mark = await drawChart($('chart'), chart);
  state.markService = await drawChart($('service-chart'), serviceChart, 'service lifecycle state chart', 'RIGHT');
  connect();
  render();
  document.body.dataset.ready = 'true';
}

// For tests and the curious: what the page holds and how it folds it.
window.inspector = { state, viewAt, servicesAt, queuesAt };

main().catch((error) => {
  document.body.prepend(el('p', { class: 'fatal' }, `The inspector page failed: ${error.message}`));
});
