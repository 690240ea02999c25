export { type Arena, type CreateMemoryOptions, createMemory } from './create.ts';
export { assertFitsWasm32, MAX_WASM32_BYTES, MAX_WASM32_PAGES, pagesFor, WASM_PAGE_BYTES } from './limits.ts';
export { MemoryPlan, MIN_ALIGN, NULL_GUARD_BYTES, type Region, WEIGHT_ALIGN } from './plan.ts';
export { f32At, f32Of, i32At, i32Of, u8At, u8Of } from './views.ts';
