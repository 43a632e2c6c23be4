/**
 * The inspector's token against another local user: every user can reach
 * 127.0.0.1, so only the token keeps the page, its assets and the event
 * stream to the one who started it.
 */
import { execa } from 'execa';
import http from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, ManagedProcess, startInspector } from '../../src/index.js';
import { cookieValue } from '../../src/inspect/token.js';
import { tempJournal, until } from '../helpers.js';
import { get, on, openStream, withToken } from './helpers.js';

const PATHS = ['', 'events', 'inspector.js', 'project.js', 'chart.json', 'vendor/elk.bundled.js'];

test('the printed URL carries a 256-bit token; without it or with a wrong one every path is a 403', async () => {
  const inspector = await startInspector({ bus: createBus() });
  const other = await startInspector({ bus: createBus() });
  try {
    const token = new URL(inspector.url).searchParams.get('token')!;
    assert.is(Buffer.from(token, 'base64url').length, 32);
    assert.is.not(token, new URL(other.url).searchParams.get('token'), 'a new token per inspector');
    // Same length, one character off: still refused.
    const near = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    for (const path of PATHS) {
      const bare = withToken(on(inspector.url, path));
      assert.is((await get(bare)).status, 403, `/${path} without a token`);
      assert.is((await get(withToken(bare, near))).status, 403, `/${path} with a wrong token`);
      assert.is((await get(withToken(bare, ''))).status, 403, `/${path} with an empty token`);
      assert.is((await get(on(other.url, path).replace(`:${other.port}/`, `:${inspector.port}/`))).status, 403, `/${path} with another inspector's token`);
    }
    const refused = await get(withToken(inspector.url));
    assert.not.match(refused.body, /brainstem inspector/);
    assert.is(refused.headers['set-cookie'], undefined);
  } finally {
    await inspector.close();
    await other.close();
  }
});

test('the tokened URL leaves an HttpOnly, SameSite=Strict cookie that lets the assets and the stream in', async () => {
  const inspector = await startInspector({ bus: createBus() });
  try {
    const page = await get(inspector.url);
    assert.is(page.status, 200);
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, /^brainstem-inspector-\d+=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
    const [pair] = cookie.split(';');
    for (const path of PATHS.filter((p) => p !== 'events')) {
      const reply = await get(withToken(on(inspector.url, path)), { Cookie: `theme=dark; ${pair}` });
      assert.is(reply.status, 200, `/${path} with the cookie`);
    }
    const name = pair!.split('=')[0]!;
    assert.is(cookieValue(`a=1; ${pair}`, name), new URL(inspector.url).searchParams.get('token')!);
    const forged = await get(withToken(inspector.url), { Cookie: `${name}=${'x'.repeat(43)}` });
    assert.is(forged.status, 403, 'a cookie with the wrong value');
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get(withToken(on(inspector.url, 'events')), { headers: { Cookie: pair! } }, resolve).on('error', reject);
    });
    assert.is(stream.statusCode, 200);
    assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
    stream.destroy();
  } finally {
    await inspector.close();
  }
});

test('another local user (nobody) cannot read the page or the event stream without the token', async () => {
  const bus = createBus();
  const journal = tempJournal();
  const inspector = await startInspector({ bus });
  const watching = await openStream(inspector.url);
  try {
    const secret = await ManagedProcess.spawn(['sh', '-c', 'echo the-secret-line'], { bus, journal, name: 'secret', callosum: false });
    await secret.wait();
    await until(() => watching.messages.some((m) => m.data.includes('the-secret-line')), 'the owner seeing the line');
    const bare = withToken(inspector.url);
    for (const path of ['', 'events', 'project.js']) {
      const url = withToken(on(bare, path));
      const curl = await execa('runuser', ['-u', 'nobody', '--', 'curl', '-s', '--max-time', '5', '-w', '\n%{http_code}', url], { reject: false });
      const lines = curl.stdout.split('\n');
      assert.is(lines.at(-1), '403', `curl /${path} as nobody: ${curl.stdout} ${curl.stderr}`);
      assert.not.match(curl.stdout, /the-secret-line/);
    }
    // And with node, reading what the stream would send, cookie guessed and all.
    const script = `const http = require('node:http');
      http.get(process.argv[1], { headers: { Cookie: 'brainstem-inspector-${inspector.port}=guess' } }, (res) => {
        let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => { console.log(res.statusCode + ' ' + body.includes('the-secret-line')); });
      }).on('error', (e) => { console.log('error', e.message); });`;
    const node = await execa('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script, withToken(on(bare, 'events'))], { reject: false, timeout: 10_000 });
    assert.is(node.stdout.trim(), '403 false', node.stderr);
    // The owner's URL still works for its owner.
    assert.is((await get(inspector.url)).status, 200);
  } finally {
    watching.close();
    await inspector.close();
  }
});

test('a malformed request target is a 400, never a 500', async () => {
  const inspector = await startInspector({ bus: createBus() });
  try {
    for (const target of ['//%zz', '/%zz', `/%E0%A4%A?token=x`]) {
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: inspector.port, path: target }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.is(status, 400, target);
    }
    // A protocol-relative target names no host: it is a path like any other (and without the token, refused).
    assert.is((await get(`http://127.0.0.1:${inspector.port}//evil.example/events`)).status, 403);
  } finally {
    await inspector.close();
  }
});

test.run();
