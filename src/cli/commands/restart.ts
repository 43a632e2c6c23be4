import { COMMON_USAGE, parseCommand, parseMs, type Command } from '../command.js';
import { escapeControls } from '../escape.js';
import { converse, silence } from '../up/ask.js';

const usage = `Usage: brainstem restart NAME [--timeout MS] [--journal DIR]

Asks the supervisor serving the journal (brainstem up, or any Supervisor with
control) to restart service NAME: its process is ended and started again at
once. Sends "supervisor restart" over Callosum and waits for the supervisor's
"restarting" answer; exits 1 when none comes (no server, no supervisor behind
it, or no service of that name).

Options:
  --timeout MS    how long to wait for the answer (default: 5000)
${COMMON_USAGE}`;

export const restart: Command = {
  name: 'restart',
  summary: 'restart a service of a running brainstem up, over Callosum',
  usage,
  async run(argv, io) {
    const { values, positionals, journal } = parseCommand(argv, { usage, options: { timeout: { type: 'string' } }, positionals: { min: 1, max: 1 } }, io);
    const timeout = parseMs('--timeout', values.timeout, usage) ?? 5000;
    const name = positionals[0]!;
    const conversation = converse(journal);
    try {
      conversation.send('restart', { service: name });
      const answer = await conversation.until((message) => (message.tract === 'supervisor' && message.event === 'restarting' && message.service === name ? message : undefined), timeout);
      if (!answer) {
        io.stderr.write(`brainstem restart: ${escapeControls(silence(conversation, timeout, `for ${name}`))}\n`);
        return 1;
      }
      io.stdout.write(`brainstem restart: ${escapeControls(name)} restarting${typeof answer.pid === 'number' ? ` (was pid ${answer.pid})` : ' (it was not running)'}\n`);
      return 0;
    } finally {
      await conversation.close();
    }
  },
};
