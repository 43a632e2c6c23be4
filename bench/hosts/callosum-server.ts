/**
 * 2. The Callosum server of the flood, in a process of its own (as
 * `brainstem callosum serve` would be):
 * `node --import tsx bench/hosts/callosum-server.ts SOCKET_PATH`; prints `ready`.
 */
import { CallosumServer } from '../../src/index.js';

const server = new CallosumServer({ socketPath: process.argv[2]!, keepAlive: true });
await server.start();
process.stdout.write('ready\n');
process.once('SIGTERM', () => void server.stop().then(() => process.exit(0)));
