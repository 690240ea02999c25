import type { Command } from '../command.ts';
import { benchCommand } from './bench.ts';
import { convertOnnxCommand } from './convert-onnx.ts';
import { demoCommand } from './demo.ts';
import { deviceCommand } from './device.ts';
import { evalCommand } from './eval.ts';
import { generateCommand } from './generate.ts';
import { planCommand } from './plan.ts';
import { serveCommand } from './serve.ts';
import { strategiesCommand } from './strategies.ts';
import { testKernelsCommand } from './test-kernels.ts';
import { tuneCommand } from './tune.ts';

/** Every subcommand, in the order `ruminate help` lists them. Add new commands here. */
export const commands: Command[] = [
  demoCommand,
  deviceCommand,
  generateCommand,
  serveCommand,
  benchCommand,
  tuneCommand,
  evalCommand,
  testKernelsCommand,
  planCommand,
  strategiesCommand,
  convertOnnxCommand,
];
