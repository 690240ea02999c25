// The engine worker shipped beside the bundle (ruminate-worker-<version>.js).
import { serveEngine } from '@ruminate/runtime/worker';

serveEngine();
