// Builds one function body instruction by instruction, checking every operand against a
// typed operand stack as it goes (WebAssembly Core Specification 2.0, §3.3 "Validation of
// instructions"), so that a kernel generator's mistake is an exception naming the instruction
// instead of an opaque `CompileError` from the engine later.
import { f32Bytes, sleb, uleb } from './leb128.ts';
import { CONTROL, OPS, type OpInfo, VALTYPE_CODE, type ValType } from './opcodes.ts';

/** A parameter or local variable of the function being built. */
export interface Local {
  /** Index in the function's local space (parameters first). */
  readonly index: number;
  /** Its type. */
  readonly type: ValType;
  /** A name for the disassembly. */
  readonly name: string;
}

/** A branch target: a block (branching goes to its end) or a loop (branching goes to its start). */
export interface Label {
  /** Position in the control stack (outermost 0). */
  readonly depth: number;
  /** Types a branch to it carries. */
  readonly types: readonly ValType[];
}

/** A function callable from another: index and signature. */
export interface FunctionRef {
  /** Index in the module's function space. */
  readonly index: number;
  /** Parameter types. */
  readonly params: readonly ValType[];
  /** Result types. */
  readonly results: readonly ValType[];
}

interface Frame {
  kind: 'function' | 'block' | 'loop' | 'if';
  results: ValType[];
  height: number;
  unreachable: boolean;
}

/** An error in the instructions a generator emitted. */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}

/** Instruction emitter for one function. */
export class FunctionBuilder {
  /** The parameters, as locals 0…n−1. */
  readonly params: readonly Local[];
  private readonly locals: Local[] = [];
  private readonly code: number[] = [];
  private readonly stack: ValType[] = [];
  private readonly frames: Frame[];

  constructor(
    /** Function name (for messages). */
    readonly name: string,
    params: readonly (ValType | [name: string, type: ValType])[],
    /** Result types. */
    readonly results: readonly ValType[],
  ) {
    this.params = params.map((p, index) => {
      const [n, type] = typeof p === 'string' ? [`p${index}`, p] : p;
      return { index, type, name: n };
    });
    this.frames = [{ kind: 'function', results: [...results], height: 0, unreachable: false }];
  }

  /** Declares a new local of `type`. */
  local(type: ValType, name?: string): Local {
    const l = {
      index: this.params.length + this.locals.length,
      type,
      name: name ?? `l${this.locals.length}`,
    };
    this.locals.push(l);
    return l;
  }

  /** `local.get`. */
  get(l: Local): this {
    this.raw(CONTROL.localGet, ...uleb(l.index));
    return this.push(l.type);
  }

  /** `local.set`. */
  set(l: Local): this {
    this.pop(l.type, 'local.set');
    return this.raw(CONTROL.localSet, ...uleb(l.index));
  }

  /** `local.tee`. */
  tee(l: Local): this {
    this.pop(l.type, 'local.tee');
    this.raw(CONTROL.localTee, ...uleb(l.index));
    return this.push(l.type);
  }

  /** `i32.const`. */
  i32(value: number): this {
    this.raw(CONTROL.i32Const, ...sleb(value));
    return this.push('i32');
  }

  /** `i64.const` (small values; used for wait timeouts). */
  i64(value: number): this {
    if (!Number.isSafeInteger(value) || Math.abs(value) > 2 ** 31) {
      throw new EncodeError(`${this.name}: i64.const ${value} out of the supported range`);
    }
    this.raw(CONTROL.i64Const, ...sleb(value));
    return this.push('i64');
  }

  /** `f32.const`. */
  f32(value: number): this {
    this.raw(CONTROL.f32Const, ...f32Bytes(value));
    return this.push('f32');
  }

  /** `v128.const` from 16 bytes, or 4 i32 / f32 lanes. */
  v128(value: { bytes: readonly number[] } | { i32: readonly number[] } | { f32: readonly number[] }): this {
    const b = new Uint8Array(16);
    const dv = new DataView(b.buffer);
    if ('bytes' in value) b.set(value.bytes);
    else if ('i32' in value) for (const [i, v] of value.i32.entries()) dv.setInt32(4 * i, v, true);
    else for (const [i, v] of value.f32.entries()) dv.setFloat32(4 * i, v, true);
    this.raw(0xfd, ...uleb(CONTROL.v128Const), ...b);
    return this.push('v128');
  }

  /** Splats one f32 or i32 constant to a v128. */
  splat(type: 'f32' | 'i32', value: number): this {
    return this.v128(
      type === 'f32' ? { f32: [value, value, value, value] } : { i32: [value, value, value, value] },
    );
  }

  /**
   * Any instruction of the table by name, with its immediates: memory instructions take
   * `(offset = 0, alignLog2 = natural)`, lane instructions `(lane)`, lane loads `(offset, lane)`,
   * `i8x16.shuffle` its 16 lane indices.
   */
  op(name: string, ...imm: number[]): this {
    const info = OPS.get(name);
    if (!info) throw new EncodeError(`${this.name}: unknown instruction ${name}`);
    for (let i = info.params.length - 1; i >= 0; i--) this.pop(info.params[i] as ValType, name);
    this.opcode(info);
    this.immediates(info, imm);
    for (const r of info.results) this.push(r);
    return this;
  }

  /** `drop` of whatever is on top. */
  drop(): this {
    this.popAny('drop');
    return this.raw(CONTROL.drop);
  }

  /** `select`: pops (a, b, cond) of one type, pushes cond ? a : b. */
  select(): this {
    this.pop('i32', 'select');
    const t = this.popAny('select');
    this.pop(t, 'select');
    this.raw(CONTROL.select);
    return this.push(t);
  }

  /** `block … end`; `body` gets the label a `br` to which leaves the block. */
  block(body: (exit: Label) => void, result?: ValType): this {
    return this.structured('block', CONTROL.block, result, body);
  }

  /** `loop … end`; `body` gets the label a `br` to which starts the next iteration. */
  loop(body: (again: Label) => void): this {
    return this.structured('loop', CONTROL.loop, undefined, body);
  }

  /** `if … else … end` on the i32 on top of the stack. */
  if(then: () => void, otherwise?: () => void, result?: ValType): this {
    this.pop('i32', 'if');
    const frame = this.enter('if', result);
    this.raw(CONTROL.if, result ? VALTYPE_CODE[result] : CONTROL.emptyBlock);
    then();
    if (otherwise) {
      this.checkEnd(frame, 'if');
      this.stack.length = frame.height;
      frame.unreachable = false;
      this.raw(CONTROL.else);
      otherwise();
    } else if (result) throw new EncodeError(`${this.name}: an if with a result needs an else`);
    return this.leave(frame);
  }

  /** `br` to a label. */
  br(label: Label): this {
    this.branchTypes(label, 'br');
    this.raw(CONTROL.br, ...uleb(this.frames.length - 1 - label.depth));
    return this.unreachable();
  }

  /** `br_if` to a label on the i32 on top of the stack. */
  brIf(label: Label): this {
    this.pop('i32', 'br_if');
    this.branchTypes(label, 'br_if');
    for (const t of label.types) this.push(t);
    return this.raw(CONTROL.brIf, ...uleb(this.frames.length - 1 - label.depth));
  }

  /** `return`. */
  ret(): this {
    for (let i = this.results.length - 1; i >= 0; i--) this.pop(this.results[i] as ValType, 'return');
    this.raw(CONTROL.return);
    return this.unreachable();
  }

  /** `call`. */
  call(fn: FunctionRef): this {
    for (let i = fn.params.length - 1; i >= 0; i--) this.pop(fn.params[i] as ValType, 'call');
    this.raw(CONTROL.call, ...uleb(fn.index));
    for (const r of fn.results) this.push(r);
    return this;
  }

  /**
   * A counted loop: `i` from `start` while `i < end` (signed), adding `step` after each `body`.
   * Emits nothing of the body when the range is statically empty.
   */
  range(i: Local, start: number | Local, end: number | Local, step: number, body: () => void): this {
    if (typeof start === 'number' && typeof end === 'number' && start >= end) return this;
    const operand = (v: number | Local) => (typeof v === 'number' ? this.i32(v) : this.get(v));
    operand(start).set(i);
    return this.block((exit) => {
      this.loop((again) => {
        this.get(i);
        operand(end);
        this.op('i32.ge_s').brIf(exit);
        body();
        this.get(i).i32(step).op('i32.add').set(i).br(again);
      });
    });
  }

  /** The encoded body (locals and instructions) for the code section. */
  encode(): number[] {
    const frame = this.frames[0] as Frame;
    if (this.frames.length !== 1) throw new EncodeError(`${this.name}: unclosed block`);
    this.checkEnd(frame, 'function');
    const groups: [number, ValType][] = [];
    for (const l of this.locals) {
      const last = groups.at(-1);
      if (last && last[1] === l.type) last[0]++;
      else groups.push([1, l.type]);
    }
    const locals = [...uleb(groups.length), ...groups.flatMap(([n, t]) => [...uleb(n), VALTYPE_CODE[t]])];
    const body = [...locals, ...this.code, CONTROL.end];
    return [...uleb(body.length), ...body];
  }

  /** Every local (parameters first), for the disassembly. */
  allLocals(): readonly Local[] {
    return [...this.params, ...this.locals];
  }

  private structured(
    kind: 'block' | 'loop',
    opcode: number,
    result: ValType | undefined,
    body: (label: Label) => void,
  ): this {
    const frame = this.enter(kind, result);
    this.raw(opcode, result ? VALTYPE_CODE[result] : CONTROL.emptyBlock);
    body({ depth: this.frames.length - 1, types: kind === 'loop' ? [] : frame.results });
    return this.leave(frame);
  }

  private enter(kind: Frame['kind'], result: ValType | undefined): Frame {
    const frame: Frame = {
      kind,
      results: result ? [result] : [],
      height: this.stack.length,
      unreachable: false,
    };
    this.frames.push(frame);
    return frame;
  }

  private leave(frame: Frame): this {
    this.checkEnd(frame, frame.kind);
    this.frames.pop();
    this.stack.length = frame.height;
    for (const r of frame.results) this.stack.push(r);
    return this.raw(CONTROL.end);
  }

  private checkEnd(frame: Frame, what: string): void {
    const got = this.stack.slice(frame.height);
    if (frame.unreachable && got.length === 0) return;
    if (got.length !== frame.results.length || got.some((t, i) => t !== frame.results[i])) {
      throw new EncodeError(
        `${this.name}: ${what} ends with [${got.join(' ')}] on the stack, expected [${frame.results.join(' ')}]`,
      );
    }
  }

  private branchTypes(label: Label, what: string): void {
    const n = label.types.length;
    for (let i = n - 1; i >= 0; i--) this.pop(label.types[i] as ValType, what);
    for (const t of label.types) this.push(t); // br_if leaves them; br makes the rest unreachable
    this.stack.length -= n;
  }

  private unreachable(): this {
    const frame = this.frames.at(-1) as Frame;
    this.stack.length = frame.height;
    frame.unreachable = true;
    return this;
  }

  private opcode(info: OpInfo): void {
    if (info.prefix === undefined) this.raw(info.code);
    else this.raw(info.prefix, ...uleb(info.code));
  }

  private immediates(info: OpInfo, imm: number[]): void {
    const memarg = (offset = 0, align = info.align) => {
      if (offset < 0 || !Number.isInteger(offset))
        throw new EncodeError(`${this.name}: ${info.name} offset ${offset}`);
      return [...uleb(align), ...uleb(offset)];
    };
    const lane = (l: number | undefined) => {
      if (l === undefined || !Number.isInteger(l) || l < 0 || l > 15) {
        throw new EncodeError(`${this.name}: ${info.name} needs a lane index, got ${l}`);
      }
      return l;
    };
    switch (info.imm) {
      case 'none':
        return;
      case 'zero':
        this.raw(0x00);
        return;
      case 'mem':
        this.raw(...memarg(imm[0], imm[1]));
        return;
      case 'lane':
        this.raw(lane(imm[0]));
        return;
      case 'memlane':
        this.raw(...memarg(imm[0]), lane(imm[1]));
        return;
      case 'shuffle':
        if (imm.length !== 16 || imm.some((l) => !Number.isInteger(l) || l < 0 || l > 31)) {
          throw new EncodeError(`${this.name}: i8x16.shuffle needs 16 lane indices below 32`);
        }
        this.raw(...imm);
        return;
    }
  }

  private push(t: ValType): this {
    this.stack.push(t);
    return this;
  }

  private pop(expected: ValType, what: string): void {
    const frame = this.frames.at(-1) as Frame;
    if (this.stack.length === frame.height) {
      if (frame.unreachable) return;
      throw new EncodeError(`${this.name}: ${what} needs an ${expected} operand but the stack is empty`);
    }
    const got = this.stack.pop();
    if (got !== expected) throw new EncodeError(`${this.name}: ${what} expects ${expected}, found ${got}`);
  }

  private popAny(what: string): ValType {
    const frame = this.frames.at(-1) as Frame;
    if (this.stack.length === frame.height) {
      throw new EncodeError(`${this.name}: ${what} needs an operand but the stack is empty`);
    }
    return this.stack.pop() as ValType;
  }

  private raw(...bytes: number[]): this {
    for (const b of bytes) this.code.push(b);
    return this;
  }
}
