export { type EmbeddingArgs, EmbeddingOp, embeddingTuningSpace } from './embedding.ts';
