/** `npm run schema`: writes schema/brainstem.schema.json from ConfigSchema (test/config/schema.test.ts fails while they differ). */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonSchema } from './schema.js';

export function schemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema', 'brainstem.schema.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, schemaText());
  console.log(`wrote ${file}`);
}
