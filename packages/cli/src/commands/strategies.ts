import { parseArgs } from 'node:util';
import { listStrategies } from '@ruminate/controller';
import type { Command } from '../command.ts';
import { out, table } from '../log.ts';

/** The registry as JSON: one object per strategy. */
export function strategiesJson(): {
  name: string;
  aliases: string[];
  summary: string;
  defaultSamples: number;
  params: Record<string, string>;
}[] {
  return listStrategies().map((d) => ({
    name: d.name,
    aliases: [...d.aliases],
    summary: d.summary,
    defaultSamples: d.defaultSamples,
    params: { ...d.params },
  }));
}

export const strategiesCommand: Command = {
  name: 'strategies',
  summary: 'List the test-time compute strategies (names, aliases, parameters)',
  usage:
    'ruminate strategies [--json]\n\n  Strategies are written name[@samples] (e.g. sc@16); on `generate`, --n N is the @N.',
  async run(argv) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' } } });
    const all = strategiesJson();
    if (values.json) {
      out(JSON.stringify(all));
      return 0;
    }
    out(
      table(
        ['name', 'aliases', 'default N', 'what it does'],
        all.map((s) => [s.name, s.aliases.join(', '), s.defaultSamples, s.summary]),
      ),
    );
    for (const s of all) {
      const params = Object.entries(s.params);
      if (params.length === 0) continue;
      out(`\n${s.name}:`);
      for (const [k, v] of params) out(`  ${k.padEnd(11)} ${v}`);
    }
    return 0;
  },
};
