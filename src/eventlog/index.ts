export { readEvents, type ReadEventsOptions, type EventLogContents } from './read.js';
export { sweepOrphans, DEFAULT_SWEEP_GRACE, type SweepOptions, type SweptProcess } from './sweep.js';
export { eventLogPath, type EventRecord, type RecordFields } from './record.js';
export { traceProcesses, hasEnded, type ProcessTrace } from './traces.js';
export { hostIdentity, isSameProcess, readStat, type HostIdentity, type ProcStat } from './proc.js';
