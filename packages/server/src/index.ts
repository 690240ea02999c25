// @ruminate/server: `ruminate serve`, an OpenAI-compatible HTTP server over Ruminate's engine in
// Node (continuous batching across requests through the runtime's StepCoalescer).

export { Admission, type Reservation } from './admission.ts';
export { type ErrorReply, errorReply } from './openai-error.ts';
export { type ServedModel, type ServeModelOptions, serveModel } from './serve-model.ts';
export { type RuminateServer, type ServerOptions, startServer } from './server.ts';
