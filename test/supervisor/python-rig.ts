// Shared set-up for the interop tests: solstone's Python server on a fresh socket, brainstem's
// connection to it, and a Supervisor using that connection; all of it ended after the body.
import path from 'node:path';
import { createBus } from '../../src/bus/create-bus.js';
import { CallosumConnection } from '../../src/callosum/connection.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import { startPeer, tempDir, waitFor } from '../callosum/helpers.js';

export interface PythonRig {
  tmp: ReturnType<typeof tempDir>;
  connection: CallosumConnection;
  sup: Supervisor;
}

export async function withSupervisorOnPythonServer(body: (rig: PythonRig) => Promise<void>): Promise<void> {
  const tmp = tempDir();
  const server = startPeer(['serve', tmp.socket]);
  await waitFor('python server ready', () => server.lines.includes('ready'));
  const connection = new CallosumConnection({ socketPath: tmp.socket });
  connection.start();
  const sup = new Supervisor({ journal: path.join(tmp.dir, 'journal'), bus: createBus(), callosum: connection, sweep: false });
  try {
    await body({ tmp, connection, sup });
  } finally {
    await sup.stop();
    await connection.stop();
    server.child.kill('SIGTERM');
    await server.exited;
    tmp.cleanup();
  }
}
