#!/usr/bin/env node
import { isRuminateError } from '@ruminate/errors';
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
  // `ruminate <command> --help` (or -h) shows the command's usage, as `ruminate help <command>` does.
  if (rest.includes('--help') || rest.includes('-h')) {
    out(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    // parseArgs names the bad option; the usage says what the command takes.
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) {
      log(`ruminate ${name}: ${(e as Error).message.split('.')[0]}\n\n${command.usage}`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (isRuminateError(e)) log(`ruminate: ${e.message} [${e.code}]`);
    else log(`ruminate: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
