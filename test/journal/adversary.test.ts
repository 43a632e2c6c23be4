/**
 * SPEC 12, the journal, tried by a real second user: `nobody` (setpriv) plants
 * symlinks, makes the journal its own, swaps a running log for a link. Every
 * attempt must end in a refusal naming the path and the fix, with the
 * adversary's files untouched and nothing written where it pointed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createBus, JournalError, ManagedProcess, runTask, type LogEvent } from '../../src/index.js';
import { readJournalFile } from '../../src/journal/safe.js';
import { runBin } from '../cli/bin.js';
import { fixture, logTexts, scratchDir, until } from '../helpers.js';

const test = suite('journal under an adversary: another local user plants links and journals');

const DAY = '20260314';
const NOBODY = 65534;

/** Runs `cmd` as the other local user, `nobody`. */
function asNobody(...cmd: string[]): void {
  execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...cmd], { stdio: 'pipe' });
}

/** A directory everyone may create in, as /tmp (sticky, 1777), with a file of nobody's own in `bait/`. */
function sharedPlace(label: string): { shared: string; journal: string; bait: string; baitFile: string } {
  const shared = scratchDir(label);
  fs.chmodSync(shared, 0o1777);
  const bait = path.join(shared, 'bait');
  asNobody('mkdir', '-m', '0755', bait);
  const baitFile = path.join(bait, 'w.log');
  asNobody('sh', '-c', `printf 'nobody owns this\\n' > ${baitFile}`);
  return { shared, journal: path.join(shared, 'journal'), bait, baitFile };
}

/**
 * Lets `nobody` write into `dir` (and pass through the journal's directories
 * above it) for `plant`, then makes them private again, as a user who just
 * read "chmod 700" would: what was planted meanwhile stays.
 */
function slip(dir: string, plant: () => void): void {
  const above: string[] = [];
  for (let up = path.dirname(dir); fs.statSync(up).uid === process.getuid!() && (fs.statSync(up).mode & 0o777) === 0o700; up = path.dirname(up)) above.push(up);
  for (const each of above) fs.chmodSync(each, 0o711);
  fs.chmodSync(dir, 0o777);
  try {
    plant();
  } finally {
    fs.chmodSync(dir, 0o700);
    for (const each of above) fs.chmodSync(each, 0o700);
  }
}

async function refusal(run: Promise<unknown>): Promise<JournalError> {
  const outcome = await run.then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(outcome instanceof JournalError, `refused with a JournalError, got ${String(outcome)}`);
  return outcome;
}

const untouched = (file: string) => {
  assert.ok(fs.lstatSync(file).isFile(), `${file} is still a regular file`);
  assert.is(fs.readFileSync(file, 'utf8'), 'nobody owns this\n', `${file} is untouched`);
};

test('a journal another user created (in a shared /tmp-like place) is refused: EPERM, the path, the fix, nothing spawned or written', async () => {
  const { shared, journal } = sharedPlace('foreign-journal');
  asNobody('mkdir', '-m', '0777', journal);
  const ran = path.join(shared, 'ran');
  const error = await refusal(runTask(['touch', ran], { journal, callosum: false }));
  assert.is(error.code, 'EPERM');
  assert.is(error.path, journal);
  assert.ok(error.message.includes(journal), error.message);
  assert.match(error.message, new RegExp(`belongs to uid ${NOBODY}.*use a journal of your own \\(--journal or JOURNAL_PATH\\)`));
  assert.not.ok(fs.existsSync(ran), 'nothing was spawned');
  assert.equal(fs.readdirSync(journal), [], 'nothing was written into it');
});

test("a journal that is another user's symlink is refused (ELOOP), and where it points gets nothing", async () => {
  const { journal, bait } = sharedPlace('foreign-link');
  asNobody('ln', '-s', bait, journal);
  const error = await refusal(runTask(['true'], { journal, callosum: false }));
  assert.is(error.code, 'ELOOP');
  assert.match(error.message, /symlink that belongs to uid 65534/);
  assert.equal(fs.readdirSync(bait), ['w.log']);
});

test('a journal of our own that group or others may write is refused with "chmod 700 <path>"; after the chmod it is used', async () => {
  const journal = path.join(scratchDir('open-journal'), 'journal');
  fs.mkdirSync(journal);
  fs.chmodSync(journal, 0o777);
  const error = await refusal(runTask(['true'], { journal, callosum: false }));
  assert.is(error.code, 'EPERM');
  assert.ok(error.message.includes(`chmod 700 ${journal}`), error.message);
  assert.match(error.message, /writable by group and others \(mode 0777\)/);
  assert.equal(fs.readdirSync(journal), []);
  fs.chmodSync(journal, 0o700);
  const result = await runTask(['echo', 'fine'], { journal, callosum: false });
  assert.equal(logTexts(result.logPath), ['fine']);
});

test('a symlink planted at <day>/health/<ref>_<name>.log is not followed: the run is refused (ELOOP), the target untouched', async () => {
  const { journal, baitFile } = sharedPlace('planted-log');
  const first = await runTask(['true'], { journal, day: DAY, callosum: false });
  const health = path.dirname(first.logPath);
  const planted = path.join(health, 'victim_w.log');
  slip(health, () => asNobody('ln', '-s', baitFile, planted));
  assert.is(fs.lstatSync(planted).uid, NOBODY);
  const error = await refusal(runTask(['echo', 'secret'], { journal, day: DAY, ref: 'victim', name: 'w', callosum: false }));
  assert.is(error.code, 'ELOOP');
  assert.is(error.path, planted);
  assert.match(error.message, /it is a symlink \(to .*w\.log\) and was not followed/);
  untouched(baitFile);
});

test('a FIFO planted at the log path neither hangs the run nor gets a line: refused', async () => {
  const { journal } = sharedPlace('planted-fifo');
  const first = await runTask(['true'], { journal, day: DAY, callosum: false });
  const health = path.dirname(first.logPath);
  slip(health, () => asNobody('mkfifo', '-m', '0666', path.join(health, 'victim_w.log')));
  const error = await refusal(runTask(['echo', 'secret'], { journal, day: DAY, ref: 'victim', name: 'w', callosum: false }));
  assert.is(error.path, path.join(health, 'victim_w.log'));
  assert.ok(error.code === 'ENXIO' || error.code === 'EPERM', `${error.code}: ${error.message}`);
});

for (const which of ['health', '<day>/health', '<day>'] as const) {
  test(`a ${which} symlink to another user's directory is refused (ELOOP): nothing there replaced, nothing read from it`, async () => {
    const { journal, bait, baitFile } = sharedPlace(`linked-${which.replace(/[<>/]/g, '')}`);
    await runTask(['true'], { journal, day: '20200101', callosum: false });
    const place = { health: path.join(journal, 'health'), '<day>/health': path.join(journal, DAY, 'health'), '<day>': path.join(journal, DAY) }[which];
    fs.rmSync(place, { recursive: true, force: true });
    if (which === '<day>/health') fs.mkdirSync(path.dirname(place), { mode: 0o700 });
    slip(path.dirname(place), () => asNobody('ln', '-s', which === '<day>' ? path.dirname(bait) : bait, place));
    // The links brainstem would make there, `w.log`, land on nobody's regular file if followed.
    const error = await refusal(runTask(['echo', 'secret'], { journal, day: DAY, name: 'w', callosum: false }));
    assert.is(error.code, 'ELOOP');
    assert.is(error.path, place);
    assert.ok(error.message.includes(`rm ${place}`), error.message);
    untouched(baitFile);
    assert.equal(fs.readdirSync(bait), ['w.log'], 'nothing was added where the link points');
    // And what an inspector would serve from there: refused too.
    const relative = which === 'health' ? 'health/w.log' : which === '<day>' ? `${DAY}/bait/w.log` : `${DAY}/health/w.log`;
    assert.throws(() => readJournalFile(journal, relative), (thrown: unknown) => thrown instanceof JournalError && thrown.code === 'ELOOP');
  });
}

test('a directory in the journal owned by another user is refused (EPERM), naming it', async () => {
  const { journal } = sharedPlace('foreign-day');
  await runTask(['true'], { journal, day: '20200101', callosum: false });
  slip(journal, () => asNobody('mkdir', '-m', '0700', path.join(journal, DAY)));
  const error = await refusal(runTask(['true'], { journal, day: DAY, callosum: false }));
  assert.is(error.code, 'EPERM');
  assert.is(error.path, path.join(journal, DAY));
  assert.match(error.message, /belongs to uid 65534/);
});

test('the log swapped for a symlink mid-run: no later line reaches the link target; a fresh regular file at the path gets them', async () => {
  const { shared, journal, baitFile } = sharedPlace('swapped-log');
  const go = path.join(shared, 'go');
  const bus = createBus();
  let seen = 0;
  bus.on('line', () => seen++);
  const mp = await ManagedProcess.spawn([fixture('waits_for_file_between_halves.sh'), go], { journal, bus, name: 'halves', day: DAY, callosum: false });
  try {
    await until(() => seen >= 50, 'the first half to be logged');
    const health = path.dirname(mp.logPath);
    // As an attacker swaps it: a link made beside the log, renamed over it in one step.
    slip(health, () => asNobody('sh', '-c', `ln -s ${baitFile} ${health}/swap && mv -f ${health}/swap ${mp.logPath}`));
    assert.ok(fs.lstatSync(mp.logPath).isSymbolicLink());
    fs.writeFileSync(go, '');
    assert.is(await mp.wait(), 0);
    untouched(baitFile);
    const after = fs.lstatSync(mp.logPath);
    assert.ok(after.isFile(), 'a regular file again at the log path');
    assert.is(after.uid, process.getuid!());
    assert.is(after.mode & 0o777, 0o600);
    const texts = logTexts(mp.logPath);
    assert.equal(texts, Array.from({ length: 50 }, (_, i) => `line ${i + 51}`));
    const opened = bus.history().filter((e) => e.type === 'log' && (e as unknown as LogEvent).kind === 'opened');
    assert.is(opened.length, 2, 'the reopen is announced');
    assert.is(mp.journalError, null);
  } finally {
    await mp.cleanup();
  }
});

test("--ref a --name b beside --name a_b: the <name>.log link is a log error, the other run's file untouched; the run still logs", async () => {
  const journal = path.join(scratchDir('collision'), 'journal');
  const other = await runTask(['echo', 'from a/b'], { journal, day: DAY, ref: 'a', name: 'b', callosum: false });
  assert.is(path.basename(other.logPath), 'a_b.log');
  const bus = createBus();
  const colliding = await runTask(['echo', 'from a_b'], { journal, day: DAY, name: 'a_b', bus, callosum: false });
  assert.is(colliding.exitCode, 0);
  const errors = bus.history().filter((e) => e.type === 'log' && (e as unknown as LogEvent).kind === 'error') as unknown as LogEvent[];
  assert.is(errors.length, 1, 'one log error');
  assert.is(errors[0]!.path, other.logPath);
  assert.match(errors[0]!.error!, /a regular file holds that name .* left untouched \(EEXIST\)/);
  assert.ok(fs.lstatSync(other.logPath).isFile(), "the other run's log is still a regular file");
  assert.equal(logTexts(other.logPath), ['from a/b']);
  assert.equal(logTexts(colliding.logPath), ['from a_b'], 'the colliding run logged to its own file');
  assert.is(fs.realpathSync(path.join(journal, 'health', 'a_b.log')), colliding.logPath, 'its top-level link was placed');
});

test('--name a_b first, then --ref a --name b: refused (ELOOP) at the link, which is left pointing where it did', async () => {
  const journal = path.join(scratchDir('collision-reverse'), 'journal');
  const first = await runTask(['echo', 'from a_b'], { journal, day: DAY, name: 'a_b', callosum: false });
  const link = path.join(journal, DAY, 'health', 'a_b.log');
  const error = await refusal(runTask(['echo', 'from a/b'], { journal, day: DAY, ref: 'a', name: 'b', callosum: false }));
  assert.is(error.code, 'ELOOP');
  assert.is(error.path, link);
  assert.is(fs.readlinkSync(link), path.basename(first.logPath));
  assert.equal(logTexts(first.logPath), ['from a_b']);
});

test('brainstem run in a shared directory where another user made ./journal: refused, exit not 0, the path and the fix on stderr', async () => {
  const { shared, journal } = sharedPlace('default-journal');
  asNobody('mkdir', '-m', '0777', journal);
  const ran = path.join(shared, 'ran');
  const result = await runBin(['run', '--', 'touch', ran], { cwd: shared, env: { JOURNAL_PATH: undefined } });
  assert.is.not(result.code, 0);
  assert.ok(result.stderr.includes(journal), result.stderr);
  assert.match(result.stderr, /belongs to uid 65534.*use a journal of your own/);
  assert.not.ok(fs.existsSync(ran), 'nothing was spawned');
  assert.equal(fs.readdirSync(journal), [], "nothing was written into nobody's journal");
});

test("brainstem logs on another user's journal refuses to read it (exit 1), printing none of it", async () => {
  const { journal } = sharedPlace('foreign-logs');
  asNobody('sh', '-c', `mkdir -p -m 0700 ${journal}/health ${journal}/${DAY}/health && echo forged > ${journal}/${DAY}/health/1_w.log && ln -s ../${DAY}/health/1_w.log ${journal}/health/w.log && chmod 0755 ${journal} ${journal}/health ${journal}/${DAY} ${journal}/${DAY}/health && chmod 0644 ${journal}/${DAY}/health/1_w.log`);
  const result = await runBin(['logs', 'w', '--journal', journal]);
  assert.is(result.code, 1);
  assert.is(result.stdout, '');
  assert.match(result.stderr, /belongs to uid 65534/);
});

test.run();
