#!/usr/bin/env node
// A soak child: prints random text, random binary, random line lengths with random pauses on
// stdout and stderr, and records every byte it printed (side file per stream) and the exit status
// it chose (side file `exit`), so the soak can compare the journal with the truth.
// Usage: child.mjs <sideDir> <seed> <onSigterm: exit|die|ignore>
//   exit:   SIGTERM → exits with a status of its choosing (recorded)
//   die:    SIGTERM → dies of it (recorded as -15)
//   ignore: SIGTERM → stops printing and waits for SIGKILL (recorded as -9)
// Each chunk is written to the side file and the pipe in one synchronous step, so a signal
// handler (which runs between steps) never splits the two.
import fs from 'node:fs';
import path from 'node:path';

const [sideDir, seedText, onSigterm] = process.argv.slice(2);
let seed = Number(seedText) >>> 0;
const random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const int = (n) => Math.floor(random() * n);
const pick = (list) => list[int(list.length)];

const side = { 1: fs.openSync(path.join(sideDir, 'stdout'), 'a'), 2: fs.openSync(path.join(sideDir, 'stderr'), 'a') };
const recordExit = (status) => fs.writeFileSync(path.join(sideDir, 'exit'), String(status));
const waitABit = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd, bytes) {
  for (let offset = 0; offset < bytes.length; ) {
    try {
      offset += fs.writeSync(fd, bytes, offset);
    } catch (error) {
      if (error.code !== 'EAGAIN') throw error;
      Atomics.wait(waitABit, 0, 0, 1);
    }
  }
}

const TERMINATORS = ['\n', '\n', '\n', '\r\n', '\r'];
const WORDS = ['brainstem', 'journal', 'héllo', 'naïve', 'Ωmega', '日本語', '🧠', 'tab\there', '', ' ', 'x'];

function textChunk() {
  let text = '';
  for (let lines = 1 + int(20); lines > 0; lines--) {
    for (let words = int(12); words > 0; words--) text += pick(WORDS) + ' ';
    text += pick(TERMINATORS);
  }
  return Buffer.from(text, 'utf8');
}

function binaryChunk() {
  const bytes = Buffer.alloc(1 + int(4096));
  for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
  return bytes;
}

function longLineChunk() {
  // Up to 200 KB without a terminator, sometimes with a multibyte character across every cut point.
  const unit = pick(['a', 'é', '日', '🧠']);
  const line = unit.repeat(1 + int(200_000 / Buffer.byteLength(unit)));
  return Buffer.from(line + (random() < 0.7 ? pick(TERMINATORS) : ''), 'utf8');
}

function splitTerminatorChunk() {
  // A \r at the end of one write and \n at the start of the next: one terminator.
  return [Buffer.from(`split ${int(1000)}\r`), Buffer.from('\nafter split\n')];
}

let stopped = false;
process.on('SIGTERM', () => {
  if (onSigterm === 'exit') {
    const status = 10 + int(20);
    recordExit(status);
    process.exit(status);
  } else if (onSigterm === 'die') {
    recordExit(-15);
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, 'SIGTERM');
  } else {
    recordExit(-9);
    stopped = true;
    setInterval(() => {}, 1000);
  }
});

// Tells the soak that SIGTERM is handled from now on (a SIGTERM before this would find Node's default).
fs.writeFileSync(path.join(sideDir, 'ready'), '');

const steps = 5 + int(60);
for (let step = 0; step < steps && !stopped; step++) {
  const fd = random() < 0.6 ? 1 : 2;
  const kind = random();
  const chunks = kind < 0.5 ? [textChunk()] : kind < 0.75 ? [binaryChunk()] : kind < 0.9 ? [longLineChunk()] : splitTerminatorChunk();
  for (const chunk of chunks) {
    writeAll(side[fd], chunk);
    writeAll(fd, chunk);
  }
  if (random() < 0.6) await new Promise((resolve) => setTimeout(resolve, int(60)));
}
if (!stopped) {
  const status = int(4);
  recordExit(status);
  process.exit(status);
}
