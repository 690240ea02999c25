import { RuminateError } from '@ruminate/errors';
import { MAX_ARGS, OP_WORDS } from './control.ts';

/** One kernel call: exports[fn](...args, threadIndex, threadCount). */
export interface Op {
  /** Index into the pool's exportNames. */
  readonly fn: number;
  /** Up to 14 i32 arguments (integers in [-2^31, 2^32); offsets above 2 GiB may be given unsigned). */
  readonly args: readonly number[];
}

/** Reserved fn of the fault-injection op: the thread named by its one argument dies (tests only). */
export const FAULT_INJECTION_FN = -1;

/** A forward pass: ops encoded as OP_WORDS words each ([fn, argc, args…]), copied into the control region by run(). */
export class Program {
  /** The encoded ops. */
  readonly words: Int32Array;
  /** Number of ops. */
  readonly length: number;

  private constructor(words: Int32Array) {
    this.words = words;
    this.length = words.length / OP_WORDS;
  }

  /** Encodes `ops`, checking their shape (export indices are checked by the pool). */
  static from(ops: readonly Op[]): Program {
    const words = new Int32Array(ops.length * OP_WORDS);
    ops.forEach((op, i) => {
      if (!Number.isInteger(op.fn) || (op.fn < 0 && op.fn !== FAULT_INJECTION_FN)) {
        throw new RuminateError('invalid-argument', `op ${i}: fn must be an export index ≥ 0, got ${op.fn}`, {
          field: 'fn',
        });
      }
      if (op.args.length > MAX_ARGS) {
        throw new RuminateError(
          'invalid-argument',
          `op ${i}: at most ${MAX_ARGS} arguments, got ${op.args.length}`,
          {
            field: 'args',
          },
        );
      }
      const base = i * OP_WORDS;
      words[base] = op.fn;
      words[base + 1] = op.args.length;
      op.args.forEach((a, j) => {
        checkArg(a, i, j);
        words[base + 2 + j] = a;
      });
    });
    return new Program(words);
  }

  /** Changes argument `arg` of op `op` in place (per-step values such as a position). */
  setArg(op: number, arg: number, value: number): void {
    const base = op * OP_WORDS;
    if (!(op >= 0 && op < this.length && arg >= 0 && arg < this.words[base + 1]!)) {
      throw new RuminateError('invalid-argument', `op ${op} has no argument ${arg}`, { field: 'arg' });
    }
    checkArg(value, op, arg);
    this.words[base + 2 + arg] = value;
  }

  /** Export index of op `op`. */
  fnOf(op: number): number {
    return this.words[op * OP_WORDS]!;
  }
}

function checkArg(a: number, op: number, arg: number): void {
  if (!Number.isInteger(a) || a < -(2 ** 31) || a >= 2 ** 32) {
    throw new RuminateError('invalid-argument', `op ${op}, argument ${arg}: not a 32-bit integer: ${a}`, {
      field: 'args',
    });
  }
}

/** An op that makes thread `thread` of the pool die on the spot, to test fault handling. */
export function faultInjectionOp(thread: number): Op {
  return { fn: FAULT_INJECTION_FN, args: [thread] };
}
