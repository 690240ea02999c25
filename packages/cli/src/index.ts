export type { Command } from './command.ts';
export { commands } from './commands/index.ts';
