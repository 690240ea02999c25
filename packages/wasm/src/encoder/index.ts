export { disassemble } from './disassemble.ts';
export {
  EncodeError,
  FunctionBuilder,
  type FunctionRef,
  type Label,
  type Local,
} from './function-builder.ts';
export { type MemoryImport, ModuleBuilder } from './module-builder.ts';
export { RELAXED_OPS, type ValType } from './opcodes.ts';
