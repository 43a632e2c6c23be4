export { startInspector, InspectorError, type Inspector, type InspectorOptions } from './server.js';
export { scanHealthLogs, type EarlierProcess, type LoggedLine, type ScanOptions } from './journal-scan.js';
export { callosumFedBus } from './callosum-feed.js';
export { readJournalReplay, type JournalReplay } from './replay.js';
