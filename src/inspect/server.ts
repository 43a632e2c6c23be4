/**
 * The inspector's HTTP server: one page, its assets, and `/events`, a
 * Server-Sent Events stream of the bus (its history on connect, then every
 * event as it happens).
 *
 * It listens on 127.0.0.1 only, checks each peer's address and the `Host` it
 * asked for, and answers only requests that carry its token (token.ts). Child output reaches the page only as JSON data, which
 * the page puts into the DOM as text; the Content-Security-Policy forbids any
 * script but the page's own files as a second line of defence.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Bus } from '../bus/create-bus.js';
import { BrainstemError, ValidationError } from '../errors.js';
import { pageAssets } from './assets.js';
import { createEventStream } from './event-stream.js';
import type { EarlierProcess } from './journal-scan.js';
import { checkJournal } from '../journal/safe.js';
import { readJournalReplay, type JournalReplay } from './replay.js';
import { healthLogIn, readLogTail, type LoggedLine } from './log-tail.js';
import { INSPECTOR_HOST, isLoopbackAddress, isLoopbackHost } from './loopback.js';
import { newToken, tokenCheck, type TokenCheck } from './token.js';

export interface InspectorOptions {
  /** The bus to show: its `history()` on connect, then every event. */
  bus: Pick<Bus, 'on' | 'history'>;
  /** TCP port on 127.0.0.1; 0 picks a free one. @default 0 */
  port?: number;
  /**
   * Keep the host process alive while the inspector is open. Off, the server
   * and its connections are unref'd: a script that has run its tasks exits by
   * itself even with a page open (the page then shows it disconnected).
   * @default false
   */
  keepAlive?: boolean;
  /**
   * The journal the bus's processes log to: the page can then read the log
   * tail of a process it knows only from the journal (`/log`, through the
   * journal's safe opener: never a file outside it). @default none
   */
  journal?: string;
  /**
   * What the journal remembers from before the bus: with `journal`, the day's
   * event log is read from its first record (`readJournalReplay`) and sent
   * to every page before the bus's own history, so the history slider
   * reaches back past the inspector's start. `false`: the bus only.
   * @default the journal's event log for today, when `journal` is given
   */
  replay?: JournalReplay | false;
  /** Processes known only from their logs, e.g. those that ran before the inspector started. @default [] */
  earlier?: readonly EarlierProcess[];
  /** Bytes a page may fall behind before it is dropped (it reconnects and gets the history again). @default 8 MiB */
  maxBufferedBytes?: number;
  /** Pages served at once; one more gets a 503. @default 32 */
  maxClients?: number;
}

export interface Inspector {
  /** `http://127.0.0.1:<port>/?token=<token>`: the token is the key to the page, give it to no one. */
  readonly url: string;
  readonly port: number;
  /** Records replayed from the journal's event log to every page. */
  readonly replayed: number;
  /** Pages currently connected to the event stream. */
  readonly clients: number;
  /** Ends every stream, stops listening and unsubscribes from the bus. Idempotent. */
  close(): Promise<void>;
}

/** The inspector could not start, e.g. its port is taken. */
export class InspectorError extends BrainstemError {
  constructor(
    message: string,
    readonly port: number,
    /** The operating system's code, e.g. `EADDRINUSE`, when known. */
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/**
 * Serves a live view of every process on `bus` at `http://127.0.0.1:<port>/?token=<token>`.
 * @throws ValidationError for a bad port, JournalError for a journal another user could steer, InspectorError when it cannot listen
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { bus, journal, keepAlive = false, earlier = [], maxBufferedBytes = 8 * 1024 * 1024, maxClients = 32 } = options;
  const requested = options.port ?? 0;
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    throw new ValidationError(`port must be an integer from 0 to 65535, got ${String(requested)}`, 'port');
  }
  if (!bus || typeof bus.on !== 'function' || typeof bus.history !== 'function') {
    throw new ValidationError('bus must be a brainstem bus (createBus())', 'bus');
  }
  // A journal another user could steer is refused before anything of it is served.
  if (journal !== undefined) checkJournal(journal);
  if (!Number.isInteger(maxClients) || maxClients < 1) throw new ValidationError(`maxClients must be a positive integer, got ${String(maxClients)}`, 'maxClients');

  const assets = pageAssets();
  const sockets = new Set<Socket>();
  let port = requested;
  const token = newToken();
  // Known once the port is: the cookie is named after it. No request is handled before `listen` resolves.
  let auth: TokenCheck = tokenCheck(token, port);
  const replay = options.replay ?? (journal !== undefined ? await readJournalReplay(journal) : false);
  const events = createEventStream({ bus, earlier, maxBufferedBytes, maxClients, ...(replay && { replay }) });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      req.socket.destroy();
      return;
    }
    if (!isLoopbackHost(req.headers.host, port)) {
      reply(res, 403, 'Forbidden: the inspector answers only to 127.0.0.1 and localhost.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'Method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const target = requestTarget(req.url);
    if (!target) {
      reply(res, 400, 'Bad request: not a path\n');
      return;
    }
    const admitted = auth.check(req, target.searchParams);
    if (!admitted) {
      reply(res, 403, 'Forbidden: open the URL the inspector printed (it carries the token).\n');
      return;
    }
    // The first request with the token leaves a cookie, so the page's assets and stream need no token in their URLs.
    if (admitted === 'query') res.setHeader('Set-Cookie', auth.cookie());
    const pathname = target.pathname;
    if (pathname === '/events') {
      events.open(req, res, SECURITY_HEADERS);
      return;
    }
    if (pathname === '/log') {
      serveLogTail(res, journal, target.searchParams.get('path'));
      return;
    }
    const asset = assets.get(pathname);
    if (!asset) {
      reply(res, 404, 'Not found\n');
      return;
    }
    const body = await asset.body();
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) reply(res, 500, `Inspector error: ${error instanceof Error ? error.message : String(error)}\n`);
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    // Belt and braces: the bind already keeps other hosts out.
    if (!isLoopbackAddress(socket.remoteAddress)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    if (!keepAlive) socket.unref();
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  // Sockets of any kind (a refused request still holds one until it closes): the pages, their assets, and room to refuse more.
  server.maxConnections = maxClients * 4;

  await new Promise<void>((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      events.close();
      reject(new InspectorError(`Cannot start the inspector on ${INSPECTOR_HOST}:${requested}: ${error.message}`, requested, error.code, { cause: error }));
    };
    server.once('error', fail);
    server.listen(requested, INSPECTOR_HOST, () => {
      server.off('error', fail);
      resolve();
    });
  });
  if (!keepAlive) server.unref();
  port = (server.address() as { port: number }).port;
  auth = tokenCheck(token, port);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${INSPECTOR_HOST}:${port}/?token=${token}`,
    port,
    replayed: replay ? replay.events.length : 0,
    get clients() {
      return events.clients;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        events.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

/**
 * The path and query of a request. Parsed against a fixed origin, so a target
 * such as `//host/x` stays a path and never names a host; undefined when it is
 * not a path at all (`//%zz`, `*`, an absolute URL).
 */
function requestTarget(raw: string | undefined): URL | undefined {
  if (!raw?.startsWith('/')) return undefined;
  try {
    const url = new URL(`http://${INSPECTOR_HOST}${raw}`);
    // A malformed escape (`%zz`) is the client's error: say so rather than fail later.
    decodeURIComponent(url.pathname);
    return url;
  } catch {
    return undefined;
  }
}

/** Lines shown in the page's log tail. */
const TAIL_LINES = 300;

/** `/log?path=<logPath>`: the tail of one of the journal's health logs, as JSON; anything else, refused. */
function serveLogTail(res: http.ServerResponse, journal: string | undefined, logPath: string | null): void {
  const relative = journal && logPath ? healthLogIn(journal, logPath) : undefined;
  if (!journal || !relative) {
    reply(res, 404, 'Not a health log of this journal\n');
    return;
  }
  let lines: LoggedLine[];
  try {
    lines = readLogTail(journal, relative, TAIL_LINES);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    reply(res, code === 'ENOENT' ? 404 : 403, `${error instanceof Error ? error.message : String(error)}\n`);
    return;
  }
  const body = JSON.stringify({ lines });
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function reply(res: http.ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
