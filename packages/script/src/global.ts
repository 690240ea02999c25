// Entry of the classic-script (IIFE) bundle: `<script src="ruminate-x.y.z.js">` sets
// `window.Ruminate` and registers <ruminate-chat>.
import * as Ruminate from './index.ts';

declare global {
  interface Window {
    /** The Ruminate API, set by the script-tag bundle. */
    Ruminate: typeof Ruminate;
  }
}

window.Ruminate = Ruminate;
Ruminate.defineChatElement();
