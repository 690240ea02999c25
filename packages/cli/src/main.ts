#!/usr/bin/env node
import { isRuminateError } from '@ruminate/gpu';
import { commands } from './commands/index.ts';
import { log, out } from './log.ts';

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: ruminate <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'ruminate help <command> shows a command’s options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = commands.find((c) => c.name === rest[0]);
    out(topic ? topic.usage : help());
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    log(`ruminate: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isRuminateError(e)) log(`ruminate: ${e.message} [${e.code}]`);
    else log(`ruminate: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
