import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's chromium; .ci/run installs it with apt-get when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** A headless Chromium with a fresh profile, no network chatter of its own; `close()` removes the profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'brainstem-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };

/** One plain HTTP GET, with any `Host` header. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

/** `path` on the inspector at `url`, carrying its token (as the page's cookie would). */
export function on(url: string, path: string): string {
  const target = new URL(path, url);
  target.searchParams.set('token', new URL(url).searchParams.get('token') ?? '');
  return target.href;
}

/** `url` with its token taken out, or replaced by `token`. */
export function withToken(url: string, token?: string): string {
  const target = new URL(url);
  target.searchParams.delete('token');
  if (token !== undefined) target.searchParams.set('token', token);
  return target.href;
}

/** Parsed Server-Sent Events, as a page's EventSource would see them. */
export type SseMessage = { event: string; data: string };

/** Opens `/events` and collects its messages; `close()` drops the connection as a page that goes away would. */
export function openStream(url: string): Promise<{ messages: SseMessage[]; res: http.IncomingMessage; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get(on(url, 'events'), (res) => {
      const messages: SseMessage[] = [];
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) messages.push({ event, data: data.join('\n') });
        }
      });
      res.on('error', () => {});
      resolve({ messages, res, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** The first IPv4 address of this machine that is not loopback, if it has one. */
export function externalIPv4(): string | undefined {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return undefined;
}
