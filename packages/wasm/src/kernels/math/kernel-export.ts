// What every kernel emitter returns.

/** An emitted kernel: its export name and the names of its i32 arguments (before thread, threads). */
export interface KernelExport {
  /** Export name in the module. */
  readonly name: string;
  /** Argument names, in call order. */
  readonly args: readonly string[];
}
