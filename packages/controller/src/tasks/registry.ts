import { RuminateError } from '@ruminate/errors';
import { mulTask } from './mul.ts';
import type { EvalTask } from './types.ts';

const tasks = new Map<string, EvalTask>([[mulTask.name, mulTask]]);

/** The task registered under `name`, or a typed error listing the known ones. */
export function getTask(name: string): EvalTask {
  const t = tasks.get(name);
  if (!t) {
    throw new RuminateError(
      'invalid-argument',
      `Unknown task "${name}"; known tasks: ${[...tasks.keys()].join(', ')}.`,
      {
        field: 'task',
      },
    );
  }
  return t;
}

/** Adds a task (for evaluations of your own). */
export function registerTask(task: EvalTask): void {
  tasks.set(task.name, task);
}
