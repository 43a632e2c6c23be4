// Draws the process machine's chart: elkjs computes every position from the
// machine's own states and transitions (served as /chart.json); this file
// only turns its layout into SVG and marks the selected process on it.
import { svg } from './dom.js';

const FONT = '13px system-ui, sans-serif';
// Measured bold: a label on the coloured path is drawn bold, and must not grow into its neighbour.
const LABEL_FONT = 'bold 11px system-ui, sans-serif';
const START = '__start';

const measure = (() => {
  const context = document.createElement('canvas').getContext('2d');
  return (text, font) => {
    context.font = font;
    return Math.ceil(context.measureText(text).width);
  };
})();

const LINE_HEIGHT = 14;

/**
 * Lays the chart out and draws it into `container`; returns `mark(path)` to
 * highlight a process's (or a service's) path. `label` names the picture for
 * screen readers.
 */
export async function drawChart(container, chart, label = 'process lifecycle state chart', direction = 'DOWN') {
  const elk = new window.ELK();
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': direction,
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '36',
      'elk.layered.spacing.nodeNodeBetweenLayers': '44',
      'elk.spacing.edgeLabel': '6',
      'elk.spacing.edgeEdge': '16',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: [
      { id: START, width: 12, height: 12 },
      ...chart.nodes.map((node) => ({ id: node.id, width: measure(node.id, FONT) + 36, height: 34 })),
    ],
    edges: [
      ...(chart.initial ? [{ id: 'start', sources: [START], targets: [chart.initial], meta: { from: null, to: chart.initial, label: '' } }] : []),
      ...chart.edges.map((edge, i) => ({
        id: `e${i}`,
        sources: [edge.from],
        targets: [edge.to],
        labels: [{ text: edge.label, width: Math.max(...edge.label.split('\n').map((line) => measure(line, LABEL_FONT))) + 6, height: LINE_HEIGHT * edge.label.split('\n').length }],
        meta: edge,
      })),
    ],
  };
  const laid = await elk.layout(graph);
  const finals = new Set(chart.nodes.filter((node) => node.final).map((node) => node.id));

  const root = svg('svg', {
    viewBox: `0 0 ${laid.width} ${laid.height}`,
    width: laid.width,
    height: laid.height,
    role: 'img',
    'aria-label': label,
  });
  root.append(
    svg('defs', {},
      svg('marker', { id: `arrow-${container.id}`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrowhead' }))),
  );

  const edgeViews = [];
  for (const edge of laid.edges) {
    const meta = graph.edges.find((e) => e.id === edge.id).meta;
    const group = svg('g', { class: 'edge', dataset: { from: meta.from ?? '', to: meta.to } });
    for (const section of edge.sections ?? []) {
      const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
      group.append(svg('polyline', { points: points.map((p) => `${p.x},${p.y}`).join(' '), 'marker-end': `url(#arrow-${container.id})` }));
    }
    for (const label of edge.labels ?? []) {
      // One text line per way between the two states.
      label.text.split('\n').forEach((line, i) => group.append(svg('text', { x: label.x + 3, y: label.y + 11 + i * LINE_HEIGHT, class: 'edge-label' }, line)));
    }
    root.append(group);
    edgeViews.push({ group, key: meta.from ? `${meta.from}>${meta.to}` : null });
  }

  const nodeViews = [];
  for (const node of laid.children) {
    if (node.id === START) {
      root.append(svg('circle', { cx: node.x + 6, cy: node.y + 6, r: 6, class: 'start' }));
      continue;
    }
    const group = svg('g', { class: `node${finals.has(node.id) ? ' final' : ''}`, dataset: { state: node.id } });
    group.append(svg('rect', { x: node.x, y: node.y, width: node.width, height: node.height, rx: 10 }));
    if (finals.has(node.id)) group.append(svg('rect', { x: node.x + 3, y: node.y + 3, width: node.width - 6, height: node.height - 6, rx: 7, class: 'inner' }));
    group.append(svg('text', { x: node.x + node.width / 2, y: node.y + node.height / 2 + 4.5, 'text-anchor': 'middle' }, node.id));
    root.append(group);
    nodeViews.push({ group, state: node.id });
  }
  container.replaceChildren(root);

  /**
   * Highlights `path.current`, and colours the states visited and the moves made.
   * The bus says which states a process went between, not which event took it,
   * so parallel edges between the same two states are coloured together.
   */
  return function mark(path) {
    for (const { group, state } of nodeViews) {
      group.classList.toggle('current', path.current === state);
      group.classList.toggle('visited', path.visited.has(state) && path.current !== state);
    }
    for (const { group, key } of edgeViews) {
      group.classList.toggle('path', key === null ? path.current !== null : path.moves.has(key));
    }
  };
}
