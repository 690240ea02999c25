// Worker entry for the peers benchmark: the runtime's engine with room for the batch run's
// sequences. URL sources are read with HTTP range requests from the bench server, no cache, so
// every load fetches the file the way wllama's does.
import { serveEngine } from '@ruminate/runtime/worker';

serveEngine({ maxSequences: 40 });
