import type { Command } from '../command.ts';
import { benchCommand } from './bench.ts';
import { demoCommand } from './demo.ts';
import { deviceCommand } from './device.ts';
import { planCommand } from './plan.ts';
import { strategiesCommand } from './strategies.ts';
import { testKernelsCommand } from './test-kernels.ts';

/** Every subcommand, in the order `ruminate help` lists them. Add new commands here. */
export const commands: Command[] = [
  demoCommand,
  deviceCommand,
  benchCommand,
  testKernelsCommand,
  planCommand,
  strategiesCommand,
];
