/**
 * Time, for everything brainstem schedules or stamps. The process machine's
 * delays (terminate timeout, drain bound, midnight) run on the clock given to
 * `createActor`, so a test clock drives a whole lifecycle.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface TestClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due, in order, each seeing its own due time as `now()`. */
  advance(ms: number): void;
  /** Moves time forward to the next pending timer and fires it; returns false when none is pending. */
  next(): boolean;
  /** How many timers are pending. */
  pending(): number;
}

// setTimeout fires at once for delays past 2^31-1 ms; chain shorter timers instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The wall clock. Its timers never keep the host process alive. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const handle: { timer?: NodeJS.Timeout } = {};
    const arm = (remaining: number) => {
      const step = Math.min(Math.max(remaining, 0), MAX_TIMER_MS);
      handle.timer = setTimeout(() => (remaining > step ? arm(remaining - step) : fn()), step);
      handle.timer.unref();
    };
    arm(ms);
    return handle;
  },
  clearTimeout(id) {
    const timer = (id as { timer?: NodeJS.Timeout } | undefined)?.timer;
    if (timer) clearTimeout(timer);
  },
};

/** A clock that moves only when told to, for scripted lifecycle tests. */
export function createTestClock(start: number | Date | string = 0): TestClock {
  let now = typeof start === 'number' ? start : new Date(start).getTime();
  if (!Number.isFinite(now)) throw new RangeError(`createTestClock: not a time: ${String(start)}`);
  let nextId = 1;
  const timers = new Map<number, { due: number; fn: () => void; order: number }>();

  const earliest = () => {
    let found: [number, { due: number; fn: () => void; order: number }] | undefined;
    for (const entry of timers) {
      if (!found || entry[1].due < found[1].due || (entry[1].due === found[1].due && entry[1].order < found[1].order)) found = entry;
    }
    return found;
  };

  const fire = ([id, timer]: [number, { due: number; fn: () => void }]) => {
    timers.delete(id);
    now = Math.max(now, timer.due);
    timer.fn();
  };

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { due: now + Math.max(0, ms), fn: fn as () => void, order: id });
      return id;
    },
    clearTimeout(id) {
      timers.delete(id as number);
    },
    advance(ms) {
      const until = now + ms;
      for (let entry = earliest(); entry && entry[1].due <= until; entry = earliest()) fire(entry);
      now = until;
    },
    next() {
      const entry = earliest();
      if (!entry) return false;
      fire(entry);
      return true;
    },
    pending: () => timers.size,
  };
}
