import { WebWorkerMLCEngineHandler } from "@ruminate/web-llm"; // Ruminate edit 1 of 2: the import (was "@mlc-ai/web-llm")

// Hookup an engine to a worker handler
const handler = new WebWorkerMLCEngineHandler();
self.onmessage = (msg: MessageEvent) => {
  handler.onmessage(msg);
};
