// Assembles a WebAssembly module from functions built with FunctionBuilder: the type,
// import (one memory), function, export and code sections, in the order of the WebAssembly
// Core Specification 2.0, §5.5 "Modules".
import { FunctionBuilder, type FunctionRef } from './function-builder.ts';
import { name as nameBytes, uleb, vec } from './leb128.ts';
import { VALTYPE_CODE, type ValType } from './opcodes.ts';

/** The memory a module imports as `env.memory`. */
export interface MemoryImport {
  /** Initial size in 64 KiB pages. */
  initial: number;
  /** Maximum size in pages (required when shared). */
  maximum?: number;
  /** Shared between threads (needs the threads feature and a maximum). */
  shared?: boolean;
}

/** A function of the module under construction. */
interface Built {
  ref: FunctionRef;
  builder: FunctionBuilder;
  exported: boolean;
}

const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const MAGIC_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Builder of one module: one imported memory, functions, exports. */
export class ModuleBuilder {
  private memoryImport: MemoryImport | undefined;
  private readonly built: Built[] = [];

  /** Imports the linear memory every function reads and writes, as `env.memory`. */
  importMemory(memory: MemoryImport): this {
    if (memory.shared && memory.maximum === undefined) {
      throw new RangeError('A shared memory needs a maximum size.');
    }
    this.memoryImport = memory;
    return this;
  }

  /**
   * Adds a function whose body `emit` writes; exported under `name` unless `exported` is false.
   * Functions may call those added before them.
   */
  func(
    name: string,
    params: readonly (ValType | [name: string, type: ValType])[],
    results: readonly ValType[],
    emit: (b: FunctionBuilder) => void,
    opts: { exported?: boolean } = {},
  ): FunctionRef {
    if (this.built.some((f) => f.builder.name === name)) throw new RangeError(`Duplicate function ${name}.`);
    const builder = new FunctionBuilder(name, params, results);
    emit(builder);
    const ref: FunctionRef = {
      index: this.built.length,
      params: builder.params.map((p) => p.type),
      results: [...results],
    };
    this.built.push({ ref, builder, exported: opts.exported ?? true });
    return ref;
  }

  /** Names of the exported functions, in export order. */
  exportNames(): string[] {
    return this.built.filter((f) => f.exported).map((f) => f.builder.name);
  }

  /** The functions' builders (for the disassembly's names). */
  functions(): readonly FunctionBuilder[] {
    return this.built.map((f) => f.builder);
  }

  /** The module's bytes. */
  encode(): Uint8Array<ArrayBuffer> {
    const sigKey = (f: FunctionRef) => `${f.params.join(',')}>${f.results.join(',')}`;
    const types: FunctionRef[] = [];
    const typeIndex = new Map<string, number>();
    for (const { ref } of this.built) {
      if (!typeIndex.has(sigKey(ref))) {
        typeIndex.set(sigKey(ref), types.length);
        types.push(ref);
      }
    }
    const valtypes = (ts: readonly ValType[]) => vec(ts.map((t) => [VALTYPE_CODE[t]]));
    const sections: number[][] = [];
    const section = (id: number, items: readonly (readonly number[])[]) => {
      const body = vec(items);
      sections.push([id, ...uleb(body.length), ...body]);
    };
    section(
      SECTION.type,
      types.map((t) => [0x60, ...valtypes(t.params), ...valtypes(t.results)]),
    );
    if (this.memoryImport) {
      const m = this.memoryImport;
      const flags = (m.maximum !== undefined ? 1 : 0) | (m.shared ? 2 : 0);
      const limits = [flags, ...uleb(m.initial), ...(m.maximum !== undefined ? uleb(m.maximum) : [])];
      section(SECTION.import, [[...nameBytes('env'), ...nameBytes('memory'), 0x02, ...limits]]);
    }
    section(
      SECTION.function,
      this.built.map(({ ref }) => uleb(typeIndex.get(sigKey(ref)) as number)),
    );
    section(
      SECTION.export,
      this.built
        .filter((f) => f.exported)
        .map((f) => [...nameBytes(f.builder.name), 0x00, ...uleb(f.ref.index)]),
    );
    section(
      SECTION.code,
      this.built.map((f) => f.builder.encode()),
    );
    return Uint8Array.from([...MAGIC_VERSION, ...sections.flat()]);
  }
}
